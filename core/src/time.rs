//! Time as a value. `core` never reads a clock: the adapter (io-tokio or
//! io-sim) passes a monotonic [`Instant`] into every `handle_*` call, and wall
//! time as [`UnixNanos`] where NATS needs it (message timestamps, MaxAge, TTL).

use std::ops::{Add, Sub};
use std::time::Duration;

/// A monotonic point in time: nanoseconds since an epoch chosen by the adapter.
///
/// Only differences between two `Instant`s of the same adapter mean anything.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

/// Wall-clock time: nanoseconds since the Unix epoch (may jump, may go back).
pub type UnixNanos = i64;

impl Instant {
    pub const ZERO: Instant = Instant(0);
    pub const MAX: Instant = Instant(u64::MAX);

    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    pub fn saturating_add(self, d: Duration) -> Instant {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_arithmetic_saturates() {
        let a = Instant::from_nanos(10);
        assert_eq!(a + Duration::from_nanos(5), Instant::from_nanos(15));
        assert_eq!(Instant::MAX + Duration::from_secs(1), Instant::MAX);
        assert_eq!(a - Instant::from_nanos(20), Duration::ZERO);
        assert_eq!(Instant::from_nanos(20) - a, Duration::from_nanos(10));
    }
}
