//! Joining the parts of a concatenated message that arrive one by one, in any order.
//!
//! Parts belong together when they share an origin (whatever the caller keys on:
//! typically link, sender and receiver), a concatenation reference and a total. The
//! reassembler holds no clock: the caller passes `now` with each part and to
//! [`Reassembler::expire`], so tests and the event loop decide what time it is.
//!
//! Payloads are joined by concatenating bytes, which is right for unpacked septets,
//! UTF-16BE, 8-bit data and UTF-8 text alike; packed septets must be unpacked first,
//! since each part's packing starts after its own fill bits.
//!
//! # Layout
//! - [`Reassembler`]: `offer` a part → [`Offer`]; `expire` stale groups → [`Expired`].
//! - [`Assembled`]: the joined message, with the first part's UDH minus the concat element.
//! - [`ReassemblyError`]: a part that can never complete a message.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use thiserror::Error;

use super::udh::{ConcatRef, Udh, UdhError};

/// Why a part was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// The part's UDH cannot be parsed.
    #[error("part UDH: {0}")]
    Udh(#[from] UdhError),
    /// A message of zero parts cannot be completed.
    #[error("concatenation reference {reference} declares a total of 0 parts")]
    ZeroTotal {
        /// The reference.
        reference: u16,
    },
    /// Sequence numbers run from 1 to the total.
    #[error("concatenation reference {reference}: part {seq} is outside 1..={total}")]
    SeqOutOfRange {
        /// The reference.
        reference: u16,
        /// The part's sequence number.
        seq: u8,
        /// The declared total.
        total: u8,
    },
}

/// What happened to an offered part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offer<K> {
    /// Held; the message still misses parts.
    Pending {
        /// Parts held for this message so far.
        received: usize,
        /// Parts it has.
        total: u8,
    },
    /// A part with this sequence number was already held; this copy was dropped.
    Duplicate,
    /// The message is whole (or was never concatenated).
    Complete(Assembled<K>),
}

/// A whole message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assembled<K> {
    /// The origin the parts were offered with.
    pub origin: K,
    /// The concatenation reference; `None` for a message that came in one piece.
    pub reference: Option<ConcatRef>,
    /// Parts joined.
    pub total: u8,
    /// The first part's UDH without the concatenation element; empty if nothing is left.
    pub udh: Vec<u8>,
    /// The parts' payloads in sequence order.
    pub payload: Vec<u8>,
}

/// One held part of a message that expired incomplete, as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPart {
    /// Its sequence number.
    pub seq: u8,
    /// Its UDH as received.
    pub udh: Vec<u8>,
    /// Its payload.
    pub payload: Vec<u8>,
}

/// A message given up on by [`Reassembler::expire`], with what had arrived, so the
/// caller can log it or deliver the parts one by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired<K> {
    /// The origin the parts were offered with.
    pub origin: K,
    /// The concatenation reference.
    pub reference: ConcatRef,
    /// Parts the message declared.
    pub total: u8,
    /// Parts that arrived, in sequence order.
    pub parts: Vec<HeldPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey<K> {
    origin: K,
    reference: ConcatRef,
    total: u8,
}

#[derive(Debug)]
struct Group {
    first_seen: Instant,
    /// Indexed by `seq - 1`.
    slots: Vec<Option<HeldPart>>,
    received: usize,
}

/// Collects parts until their message is whole.
#[derive(Debug)]
pub struct Reassembler<K> {
    timeout: Duration,
    groups: HashMap<GroupKey<K>, Group>,
}

impl<K: Clone + Eq + Hash> Reassembler<K> {
    /// A reassembler that gives up on a message `timeout` after its first part.
    pub fn new(timeout: Duration) -> Reassembler<K> {
        Reassembler {
            timeout,
            groups: HashMap::new(),
        }
    }

    /// Messages waiting for parts.
    pub fn pending(&self) -> usize {
        self.groups.len()
    }

    /// Offer one received part with its UDH (raw, possibly empty) and payload.
    pub fn offer(
        &mut self,
        origin: K,
        udh: &[u8],
        payload: Vec<u8>,
        now: Instant,
    ) -> Result<Offer<K>, ReassemblyError> {
        let parsed = Udh::parse(udh)?;
        let Some(concat) = parsed.concat()? else {
            return Ok(Offer::Complete(Assembled {
                origin,
                reference: None,
                total: 1,
                udh: udh.to_vec(),
                payload,
            }));
        };
        let reference = concat.reference.value();
        if concat.total == 0 {
            return Err(ReassemblyError::ZeroTotal { reference });
        }
        if concat.seq == 0 || concat.seq > concat.total {
            return Err(ReassemblyError::SeqOutOfRange {
                reference,
                seq: concat.seq,
                total: concat.total,
            });
        }
        let key = GroupKey {
            origin,
            reference: concat.reference,
            total: concat.total,
        };
        let group = self.groups.entry(key.clone()).or_insert_with(|| Group {
            first_seen: now,
            slots: vec![None; usize::from(concat.total)],
            received: 0,
        });
        let Some(slot) = group.slots.get_mut(usize::from(concat.seq) - 1) else {
            return Err(ReassemblyError::SeqOutOfRange {
                reference,
                seq: concat.seq,
                total: concat.total,
            });
        };
        if slot.is_some() {
            return Ok(Offer::Duplicate);
        }
        *slot = Some(HeldPart {
            seq: concat.seq,
            udh: udh.to_vec(),
            payload,
        });
        group.received += 1;
        if group.received < usize::from(concat.total) {
            return Ok(Offer::Pending {
                received: group.received,
                total: concat.total,
            });
        }
        let Some(group) = self.groups.remove(&key) else {
            return Ok(Offer::Duplicate);
        };
        let held: Vec<HeldPart> = group.slots.into_iter().flatten().collect();
        let mut first_udh = match held.first() {
            Some(first) => Udh::parse(&first.udh)?,
            None => Udh::default(),
        };
        first_udh.remove_concat();
        let payload = held.into_iter().flat_map(|p| p.payload).collect();
        Ok(Offer::Complete(Assembled {
            origin: key.origin,
            reference: Some(key.reference),
            total: key.total,
            udh: first_udh.to_bytes()?,
            payload,
        }))
    }

    /// Give up on every message whose first part is `timeout` old at `now`.
    pub fn expire(&mut self, now: Instant) -> Vec<Expired<K>> {
        let timeout = self.timeout;
        let stale: Vec<GroupKey<K>> = self
            .groups
            .iter()
            .filter(|(_, g)| now.saturating_duration_since(g.first_seen) >= timeout)
            .map(|(k, _)| k.clone())
            .collect();
        stale
            .into_iter()
            .filter_map(|key| {
                let group = self.groups.remove(&key)?;
                Some(Expired {
                    origin: key.origin,
                    reference: key.reference,
                    total: key.total,
                    parts: group.slots.into_iter().flatten().collect(),
                })
            })
            .collect()
    }
}
