//! Seeded randomness. `core` never asks the OS for entropy: every machine that
//! needs random choices (queue-group member selection, server ids, nonces,
//! Raft election timeouts) owns a [`Prng`] built from a seed the adapter gives.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// A deterministic pseudo-random generator (ChaCha8), seeded by a `u64`.
#[derive(Clone, Debug)]
pub struct Prng {
    rng: ChaCha8Rng,
}

impl Prng {
    pub fn from_seed(seed: u64) -> Prng {
        Prng { rng: ChaCha8Rng::seed_from_u64(seed) }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// A uniform integer in `0..n`. `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Prng::below(0)");
        // Lemire's multiply-shift; the tiny bias is irrelevant for our uses.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `num/den`: integer ratios, never floats.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        assert!(den > 0, "Prng::chance with zero denominator");
        self.below(den) < num
    }

    pub fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.rng.fill_bytes(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Prng::from_seed(7);
        let mut b = Prng::from_seed(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let mut c = Prng::from_seed(8);
        assert_ne!(Prng::from_seed(7).next_u64(), c.next_u64());
    }

    #[test]
    fn below_stays_in_range() {
        let mut p = Prng::from_seed(1);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = p.below(5) as usize;
            seen[v] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
