//! Random values of every wire type, for the round-trip property tests.
//!
//! Built from a proptest-chosen seed rather than composed proptest strategies: a submit_sm has
//! eighteen fields, more than proptest's tuple strategies take, and the PDU table can then derive
//! a sampler per body the same way it derives the codec. Failures still reproduce from the seed.

use super::status::CommandStatus;
use super::tlv::{MessageState, Tag, Tlv, Tlvs};
use super::wire::{COctetString, ShortMessage};

/// SplitMix64: tiny, deterministic, good enough to pick field values.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when n is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    pub fn bytes(&mut self, max_len: usize, non_nul: bool) -> Vec<u8> {
        let len = self.below(max_len + 1);
        (0..len)
            .map(|_| {
                let b = self.next_u64() as u8;
                if non_nul && b == 0 { b'0' } else { b }
            })
            .collect()
    }
}

pub trait Sample {
    fn sample(rng: &mut Rng) -> Self;
}

impl Sample for u8 {
    fn sample(rng: &mut Rng) -> Self {
        rng.next_u64() as u8
    }
}

impl Sample for u32 {
    fn sample(rng: &mut Rng) -> Self {
        rng.next_u64() as u32
    }
}

impl<const MAX: usize> Sample for COctetString<MAX> {
    fn sample(rng: &mut Rng) -> Self {
        let bytes = rng.bytes(MAX - 1, true);
        COctetString::new(bytes).unwrap_or_default()
    }
}

impl Sample for ShortMessage {
    fn sample(rng: &mut Rng) -> Self {
        ShortMessage::new(rng.bytes(ShortMessage::MAX, false)).unwrap_or_default()
    }
}

impl Sample for Tlvs {
    fn sample(rng: &mut Rng) -> Self {
        let n = rng.below(4);
        (0..n)
            .filter_map(|_| {
                let tag = Tag(rng.next_u64() as u16);
                let len = if rng.below(8) == 0 { 300 } else { 8 };
                Tlv::new(tag, rng.bytes(len, false)).ok()
            })
            .collect()
    }
}

impl Sample for CommandStatus {
    fn sample(rng: &mut Rng) -> Self {
        match rng.below(3) {
            0 => CommandStatus::Ok,
            1 => CommandStatus::from_u32(rng.below(0x100) as u32),
            _ => CommandStatus::from_u32(rng.next_u64() as u32),
        }
    }
}

impl Sample for MessageState {
    fn sample(rng: &mut Rng) -> Self {
        MessageState::from_u8(rng.next_u64() as u8)
    }
}
