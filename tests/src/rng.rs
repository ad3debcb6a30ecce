//! xorshift64*: random inputs for the storm and fuzz tests that are the same
//! on every run, so that a failure can be run again.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Any seed but 0, which xorshift never leaves.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// Between `min` and `max` (excluded) random octets.
    pub fn junk(&mut self, min: usize, max: usize) -> Vec<u8> {
        let len = min + self.below(max.saturating_sub(min));
        self.bytes(len)
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
