//! Seeded randomness for the simulator: the core [`Prng`] plus integer
//! probabilities ([`Ratio`]). Floats never decide anything in a simulation,
//! so a run is the same on every machine.

pub use rnatsd_core::prng::Prng;
use std::fmt;

/// A probability `num/den` (`num <= den`, `den > 0`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    pub const NEVER: Ratio = Ratio { num: 0, den: 1 };
    pub const ALWAYS: Ratio = Ratio { num: 1, den: 1 };

    pub const fn new(num: u64, den: u64) -> Ratio {
        assert!(den > 0, "Ratio with zero denominator");
        assert!(num <= den, "Ratio above one");
        Ratio { num, den }
    }

    pub fn is_never(self) -> bool {
        self.num == 0
    }

    /// Draws once: true with probability `num/den`. Draws nothing from the
    /// generator for [`Ratio::NEVER`], so turning a fault off does not shift
    /// the random stream of a run less than it has to.
    pub fn sample(self, prng: &mut Prng) -> bool {
        if self.num == 0 {
            return false;
        }
        prng.chance(self.num, self.den)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// A uniform integer in `lo..=hi`.
pub fn range_inclusive(prng: &mut Prng, lo: u64, hi: u64) -> u64 {
    assert!(lo <= hi);
    if hi - lo == u64::MAX {
        return prng.next_u64();
    }
    lo + prng.below(hi - lo + 1)
}

/// Derives an independent seed for a sub-component (e.g. one node's core
/// `Prng`) from a parent generator.
pub fn fork_seed(prng: &mut Prng) -> u64 {
    prng.next_u64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_extremes() {
        let mut p = Prng::from_seed(3);
        for _ in 0..100 {
            assert!(!Ratio::NEVER.sample(&mut p));
            assert!(Ratio::ALWAYS.sample(&mut p));
        }
    }

    #[test]
    fn ratio_is_roughly_right() {
        let mut p = Prng::from_seed(4);
        let r = Ratio::new(1, 4);
        let hits = (0..4000).filter(|_| r.sample(&mut p)).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn range_inclusive_hits_both_ends() {
        let mut p = Prng::from_seed(5);
        let v: Vec<u64> = (0..200).map(|_| range_inclusive(&mut p, 3, 5)).collect();
        assert!(v.contains(&3) && v.contains(&5) && v.iter().all(|x| (3..=5).contains(x)));
    }
}
