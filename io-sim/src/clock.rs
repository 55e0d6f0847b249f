//! Per-node clocks over the global virtual time.
//!
//! Every simulated node sees its own monotonic clock (an offset plus a drift
//! in parts per million against global time; it never goes back) and its own
//! wall clock (the monotonic reading plus a wall offset that jumps forward and
//! back, as NTP steps do). Timers a node arms are deadlines on its monotonic
//! clock; [`NodeClock::to_global`] converts them to the global time at which
//! the event queue must fire them.

use rnatsd_core::time::{Instant, UnixNanos};

const PPM: i128 = 1_000_000;
/// The wall-clock reading of every node at global time zero before offsets:
/// 2026-01-01T00:00:00Z.
pub const WALL_EPOCH: UnixNanos = 1_767_225_600 * 1_000_000_000;
/// Drift is bounded so the monotonic clock always advances.
pub const DRIFT_PPM_MAX: i64 = 100_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeClock {
    /// Global time and node monotonic time at the last re-anchoring.
    anchor_global: u64,
    anchor_node: u64,
    drift_ppm: i64,
    wall_offset: i64,
}

impl NodeClock {
    /// A clock reading `start_offset` at global time zero, drifting by
    /// `drift_ppm`.
    pub fn new(start_offset: u64, drift_ppm: i64) -> NodeClock {
        assert!(drift_ppm.abs() <= DRIFT_PPM_MAX);
        NodeClock {
            anchor_global: 0,
            anchor_node: start_offset,
            drift_ppm,
            wall_offset: 0,
        }
    }

    /// A perfect clock: node time equals global time.
    pub fn perfect() -> NodeClock {
        NodeClock::new(0, 0)
    }

    pub fn drift_ppm(&self) -> i64 {
        self.drift_ppm
    }

    /// The node's monotonic time at global time `global`.
    pub fn mono(&self, global: Instant) -> Instant {
        let g = global.as_nanos();
        assert!(g >= self.anchor_global, "clock read before its anchor");
        let dg = (g - self.anchor_global) as i128;
        let dn = dg * (PPM + self.drift_ppm as i128) / PPM;
        Instant::from_nanos(self.anchor_node.saturating_add(dn as u64))
    }

    /// The node's wall-clock time at global time `global`.
    pub fn wall(&self, global: Instant) -> UnixNanos {
        WALL_EPOCH + self.mono(global).as_nanos() as i64 + self.wall_offset
    }

    /// The earliest global time at which the node's monotonic clock reads at
    /// least `deadline`. Deadlines already passed map to `now`.
    pub fn to_global(&self, deadline: Instant, now: Instant) -> Instant {
        let node_now = self.mono(now);
        if deadline <= node_now {
            return now;
        }
        let dn = (deadline.as_nanos() - self.anchor_node) as i128;
        let rate = PPM + self.drift_ppm as i128;
        let dg = (dn * PPM + rate - 1) / rate;
        let g = Instant::from_nanos(self.anchor_global + dg as u64);
        debug_assert!(self.mono(g) >= deadline);
        g.max(now)
    }

    /// Changes the drift from global time `now` on (monotonic time stays
    /// continuous).
    pub fn set_drift(&mut self, now: Instant, drift_ppm: i64) {
        assert!(drift_ppm.abs() <= DRIFT_PPM_MAX);
        self.anchor_node = self.mono(now).as_nanos();
        self.anchor_global = now.as_nanos();
        self.drift_ppm = drift_ppm;
    }

    /// Steps the wall clock by `delta_nanos` (negative: back in time).
    pub fn jump_wall(&mut self, delta_nanos: i64) {
        self.wall_offset += delta_nanos;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(n: u64) -> Instant {
        Instant::from_nanos(n)
    }

    #[test]
    fn drift_scales_time() {
        let c = NodeClock::new(1000, 1000); // +0.1%
        assert_eq!(c.mono(at(0)), at(1000));
        assert_eq!(c.mono(at(1_000_000)), at(1000 + 1_001_000));
        let slow = NodeClock::new(0, -1000);
        assert_eq!(slow.mono(at(1_000_000)), at(999_000));
    }

    #[test]
    fn deadlines_convert_exactly() {
        for drift in [-DRIFT_PPM_MAX, -7, 0, 13, 250, DRIFT_PPM_MAX] {
            let c = NodeClock::new(555, drift);
            for d in [556u64, 1_000, 123_456_789, 10_000_000_007] {
                let g = c.to_global(at(d), at(0));
                assert!(c.mono(g) >= at(d), "drift {drift} deadline {d}");
                if g > at(0) {
                    assert!(c.mono(at(g.as_nanos() - 1)) < at(d), "not earliest");
                }
            }
        }
    }

    #[test]
    fn set_drift_keeps_monotonic_continuous() {
        let mut c = NodeClock::new(0, 5000);
        let before = c.mono(at(1_000_000));
        c.set_drift(at(1_000_000), -5000);
        assert_eq!(c.mono(at(1_000_000)), before);
        assert!(c.mono(at(2_000_000)) > before);
    }

    #[test]
    fn wall_jumps_do_not_move_monotonic() {
        let mut c = NodeClock::perfect();
        let m = c.mono(at(77));
        let w = c.wall(at(77));
        c.jump_wall(-5_000_000_000);
        assert_eq!(c.mono(at(77)), m);
        assert_eq!(c.wall(at(77)), w - 5_000_000_000);
    }
}
