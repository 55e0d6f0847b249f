//! The fault menu, the fault atlas that keeps faults survivable, and the
//! counters that prove each fault actually fired.

use std::fmt;

/// Every fault the simulator can inject.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    // Disk.
    DiskBitFlipAtRest,
    DiskBitFlipOnRead,
    DiskTornWrite,
    DiskMisdirectedWrite,
    DiskLostWrite,
    DiskStaleRollback,
    DiskTruncation,
    DiskEioRead,
    DiskEioWrite,
    DiskEioSync,
    DiskEnospc,
    DiskSlowIo,
    // Client byte streams.
    StreamSplit,
    StreamCoalesce,
    StreamReset,
    StreamSlowReader,
    StreamLatency,
    // Node-to-node packets.
    PacketDrop,
    PacketDuplicate,
    PacketReorder,
    PacketDelay,
    PacketPartitioned,
    // Processes and clocks.
    ProcessCrash,
    ProcessPause,
    ClockJump,
    ClockDriftChange,
}

impl FaultKind {
    pub const ALL: [FaultKind; 26] = [
        FaultKind::DiskBitFlipAtRest,
        FaultKind::DiskBitFlipOnRead,
        FaultKind::DiskTornWrite,
        FaultKind::DiskMisdirectedWrite,
        FaultKind::DiskLostWrite,
        FaultKind::DiskStaleRollback,
        FaultKind::DiskTruncation,
        FaultKind::DiskEioRead,
        FaultKind::DiskEioWrite,
        FaultKind::DiskEioSync,
        FaultKind::DiskEnospc,
        FaultKind::DiskSlowIo,
        FaultKind::StreamSplit,
        FaultKind::StreamCoalesce,
        FaultKind::StreamReset,
        FaultKind::StreamSlowReader,
        FaultKind::StreamLatency,
        FaultKind::PacketDrop,
        FaultKind::PacketDuplicate,
        FaultKind::PacketReorder,
        FaultKind::PacketDelay,
        FaultKind::PacketPartitioned,
        FaultKind::ProcessCrash,
        FaultKind::ProcessPause,
        FaultKind::ClockJump,
        FaultKind::ClockDriftChange,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// How often each fault fired in a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultCounters {
    counts: [u64; FaultKind::ALL.len()],
}

impl FaultCounters {
    pub fn hit(&mut self, kind: FaultKind) {
        self.counts[kind.index()] += 1;
    }

    pub fn get(&self, kind: FaultKind) -> u64 {
        self.counts[kind.index()]
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Adds another component's counters into these.
    pub fn merge(&mut self, other: &FaultCounters) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
    }
}

impl fmt::Display for FaultCounters {
    /// Only the faults that fired, `name=count` separated by spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for kind in FaultKind::ALL {
            let n = self.get(kind);
            if n > 0 {
                if !first {
                    write!(f, " ")?;
                }
                write!(f, "{kind:?}={n}")?;
                first = false;
            }
        }
        if first {
            write!(f, "no faults fired")?;
        }
        Ok(())
    }
}

/// Where a disk may be damaged. Damage (corruption, torn and misdirected or
/// lost writes, rollback, truncation) only touches files whose path starts
/// with one of `allow_prefixes` (all files when empty) and none in
/// `protect`, and only bytes inside `region` when set. Errors (EIO, ENOSPC)
/// and latency are not damage and are not limited by the atlas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultAtlas {
    pub allow_prefixes: Vec<String>,
    pub protect: Vec<String>,
    /// Byte range `[start, end)` of a file that may be damaged.
    pub region: Option<(u64, u64)>,
    /// When false, no damage at all (this disk holds the copy that must
    /// survive).
    pub damage_allowed: bool,
}

impl FaultAtlas {
    /// Damage allowed anywhere.
    pub fn anywhere() -> FaultAtlas {
        FaultAtlas {
            damage_allowed: true,
            ..FaultAtlas::default()
        }
    }

    /// No damage allowed.
    pub fn pristine() -> FaultAtlas {
        FaultAtlas::default()
    }

    pub fn may_damage_file(&self, path: &str) -> bool {
        self.damage_allowed
            && (self.allow_prefixes.is_empty()
                || self
                    .allow_prefixes
                    .iter()
                    .any(|p| path.starts_with(p.as_str())))
            && !self.protect.iter().any(|p| p == path)
    }

    /// Clamps `[start, end)` to the damage region; None if nothing is left.
    pub fn clamp(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        let (lo, hi) = match self.region {
            Some((a, b)) => (start.max(a), end.min(b)),
            None => (start, end),
        };
        (lo < hi).then_some((lo, hi))
    }

    /// Atlases for `replicas` copies of the same data such that at least
    /// `intact` of them (chosen by `pick`, a permutation source) are never
    /// damaged: damage to the others is then always survivable.
    pub fn for_replicas(
        replicas: usize,
        intact: usize,
        prng: &mut crate::prng::Prng,
    ) -> Vec<FaultAtlas> {
        assert!(intact >= 1 && intact <= replicas);
        let mut order: Vec<usize> = (0..replicas).collect();
        for i in (1..order.len()).rev() {
            let j = prng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let mut atlases = vec![FaultAtlas::anywhere(); replicas];
        for &i in order.iter().take(intact) {
            atlases[i] = FaultAtlas::pristine();
        }
        atlases
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Prng;

    #[test]
    fn counters_count_and_print() {
        let mut c = FaultCounters::default();
        assert_eq!(c.to_string(), "no faults fired");
        c.hit(FaultKind::DiskTornWrite);
        c.hit(FaultKind::DiskTornWrite);
        c.hit(FaultKind::PacketDrop);
        assert_eq!(c.get(FaultKind::DiskTornWrite), 2);
        assert_eq!(c.total(), 3);
        assert_eq!(c.to_string(), "DiskTornWrite=2 PacketDrop=1");
        let mut d = FaultCounters::default();
        d.merge(&c);
        assert_eq!(d, c);
    }

    #[test]
    fn all_lists_every_kind_in_index_order() {
        for (i, k) in FaultKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }

    #[test]
    fn atlas_limits_files_and_region() {
        let mut a = FaultAtlas::anywhere();
        a.allow_prefixes = vec!["streams/".into()];
        a.protect = vec!["streams/meta.inf".into()];
        a.region = Some((100, 200));
        assert!(a.may_damage_file("streams/1.blk"));
        assert!(!a.may_damage_file("streams/meta.inf"));
        assert!(!a.may_damage_file("raft/log"));
        assert_eq!(a.clamp(0, 150), Some((100, 150)));
        assert_eq!(a.clamp(200, 300), None);
        assert!(!FaultAtlas::pristine().may_damage_file("x"));
    }

    #[test]
    fn replica_atlases_keep_copies_intact() {
        let mut p = Prng::from_seed(9);
        for _ in 0..50 {
            let atlases = FaultAtlas::for_replicas(3, 2, &mut p);
            let intact = atlases.iter().filter(|a| !a.damage_allowed).count();
            assert_eq!(intact, 2);
        }
    }
}
