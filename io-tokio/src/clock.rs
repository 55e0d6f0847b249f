//! The real clock, turned into the values core takes.

use rnatsd_core::time::{Instant, UnixNanos};

/// Monotonic time since the server started, and wall time.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    base: std::time::Instant,
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock {
    pub fn new() -> Clock {
        Clock { base: std::time::Instant::now() }
    }

    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.base.elapsed().as_nanos() as u64)
    }

    /// The `std` instant at which core's `at` falls, for sleeping.
    pub fn to_std(&self, at: Instant) -> std::time::Instant {
        self.base + std::time::Duration::from_nanos(at.as_nanos())
    }

    pub fn realtime(&self) -> UnixNanos {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => d.as_nanos() as i64,
            Err(e) => -(e.duration().as_nanos() as i64),
        }
    }
}
