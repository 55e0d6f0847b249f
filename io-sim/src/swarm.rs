//! Swarm testing: the seed picks which faults are on and how often, so that
//! a campaign explores many fault mixes (some runs with one fault hammering,
//! some with none). Every chosen parameter is printable, so a failing seed's
//! report says exactly what it ran with.

use crate::disk::DiskConfig;
use crate::net::{PacketConfig, StreamConfig};
use crate::prng::{range_inclusive, Prng, Ratio};
use std::fmt;
use std::time::Duration;

/// All fault parameters of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwarmConfig {
    pub disk: DiskConfig,
    pub stream: StreamConfig,
    pub packet: PacketConfig,
    /// Per harness fault tick: crash a node.
    pub crash: Ratio,
    /// Per harness fault tick: pause a node (for up to `pause_max`).
    pub pause: Ratio,
    pub pause_max: Duration,
    /// Per node: clock drift in ppm, chosen once.
    pub drift_ppm_max: i64,
    /// Per harness fault tick: step a node's wall clock.
    pub clock_jump: Ratio,
}

impl SwarmConfig {
    /// No faults anywhere.
    pub fn calm() -> SwarmConfig {
        SwarmConfig {
            disk: DiskConfig::perfect(),
            stream: StreamConfig::perfect(),
            packet: PacketConfig::perfect(),
            crash: Ratio::NEVER,
            pause: Ratio::NEVER,
            pause_max: Duration::ZERO,
            drift_ppm_max: 0,
            clock_jump: Ratio::NEVER,
        }
    }

    /// Draws a fault mix from `prng`: each fault is on with probability
    /// one half, at a rate from a small menu.
    pub fn from_prng(prng: &mut Prng) -> SwarmConfig {
        let mut c = SwarmConfig::calm();
        let pick = |prng: &mut Prng, rates: &[Ratio]| -> Ratio {
            if prng.below(2) == 0 {
                Ratio::NEVER
            } else {
                rates[prng.below(rates.len() as u64) as usize]
            }
        };
        let rare = [Ratio::new(1, 1000), Ratio::new(1, 200), Ratio::new(1, 50)];
        let common = [
            Ratio::new(1, 20),
            Ratio::new(1, 4),
            Ratio::new(1, 2),
            Ratio::new(9, 10),
        ];
        let d = &mut c.disk;
        d.bit_flip_on_read = pick(prng, &rare);
        d.bit_flip_at_rest = pick(prng, &rare);
        d.misdirected_write = pick(prng, &rare);
        d.lost_write = pick(prng, &rare);
        d.eio_read = pick(prng, &rare);
        d.eio_write = pick(prng, &rare);
        d.eio_sync = pick(prng, &rare);
        d.enospc = pick(prng, &rare);
        d.slow_io = pick(prng, &common);
        d.slow_io_max = Duration::from_micros(range_inclusive(prng, 1, 50_000));
        d.torn_write = pick(prng, &common);
        d.stale_rollback = pick(prng, &rare);
        d.truncation = pick(prng, &rare);
        let s = &mut c.stream;
        s.latency_min = Duration::from_micros(range_inclusive(prng, 1, 200));
        s.latency_max = s.latency_min + Duration::from_micros(range_inclusive(prng, 0, 5_000));
        s.split = pick(prng, &common);
        s.tiny_fragment = pick(prng, &common);
        s.short_read = pick(prng, &common);
        s.reset = pick(prng, &rare);
        s.slow_reader = pick(prng, &common);
        s.slow_reader_max = Duration::from_micros(range_inclusive(prng, 1, 200_000));
        let p = &mut c.packet;
        p.delay_min = Duration::from_micros(range_inclusive(prng, 10, 500));
        p.delay_max = p.delay_min + Duration::from_micros(range_inclusive(prng, 0, 10_000));
        p.drop = pick(prng, &rare);
        p.duplicate = pick(prng, &rare);
        p.reorder = pick(prng, &common);
        p.reorder_max = Duration::from_micros(range_inclusive(prng, 0, 20_000));
        c.crash = pick(prng, &rare);
        c.pause = pick(prng, &rare);
        c.pause_max = Duration::from_millis(range_inclusive(prng, 1, 5_000));
        c.drift_ppm_max = if prng.below(2) == 0 {
            0
        } else {
            range_inclusive(prng, 1, 500) as i64
        };
        c.clock_jump = pick(prng, &rare);
        c
    }
}

impl fmt::Display for SwarmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "disk:    {}", self.disk)?;
        writeln!(f, "stream:  {}", self.stream)?;
        writeln!(f, "packet:  {}", self.packet)?;
        write!(
            f,
            "process: crash={} pause={}(max {:?}) drift_ppm_max={} clock_jump={}",
            self.crash, self.pause, self.pause_max, self.drift_ppm_max, self.clock_jump
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_swarm() {
        let a = SwarmConfig::from_prng(&mut Prng::from_seed(42));
        let b = SwarmConfig::from_prng(&mut Prng::from_seed(42));
        assert_eq!(a, b);
        assert_eq!(a.to_string(), b.to_string());
    }

    #[test]
    fn swarms_differ_and_sometimes_disable_faults() {
        let configs: Vec<_> = (0..64)
            .map(|s| SwarmConfig::from_prng(&mut Prng::from_seed(s)))
            .collect();
        assert!(configs.iter().any(|c| c.stream.split.is_never()));
        assert!(configs.iter().any(|c| !c.stream.split.is_never()));
        assert!(configs.windows(2).any(|w| w[0] != w[1]));
        assert!(configs[0].to_string().contains("torn="));
    }
}
