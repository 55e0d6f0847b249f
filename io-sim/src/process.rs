//! A simulated process: the node state machine the harness drives, plus its
//! life cycle. A crash drops the node (its memory) and its disk's unsynced
//! state; a restart builds a fresh node from what the disk kept; a pause
//! freezes it (the harness holds its inputs until it resumes).

use crate::clock::NodeClock;
use crate::disk::SimDisk;
use crate::faults::{FaultCounters, FaultKind};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProcessState {
    Running,
    Paused,
    Crashed,
}

/// One simulated node process holding a state machine `N`.
#[derive(Debug)]
pub struct Process<N> {
    id: u64,
    state: ProcessState,
    node: Option<N>,
    incarnation: u64,
    pub clock: NodeClock,
    pub disk: Option<SimDisk>,
    counters: FaultCounters,
}

impl<N> Process<N> {
    pub fn new(id: u64, node: N, clock: NodeClock, disk: Option<SimDisk>) -> Process<N> {
        Process {
            id,
            state: ProcessState::Running,
            node: Some(node),
            incarnation: 0,
            clock,
            disk,
            counters: FaultCounters::default(),
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn state(&self) -> ProcessState {
        self.state
    }

    /// How many times it was restarted.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    pub fn counters(&self) -> &FaultCounters {
        &self.counters
    }

    /// The node, if it is running (not paused, not crashed).
    pub fn running(&mut self) -> Option<&mut N> {
        match self.state {
            ProcessState::Running => self.node.as_mut(),
            _ => None,
        }
    }

    /// The node for inspection, unless crashed.
    pub fn node(&self) -> Option<&N> {
        self.node.as_ref()
    }

    /// Kills the process: memory is gone, the disk loses what was not synced.
    pub fn crash(&mut self) {
        self.counters.hit(FaultKind::ProcessCrash);
        self.node = None;
        self.state = ProcessState::Crashed;
        if let Some(d) = self.disk.as_mut() {
            d.crash();
        }
    }

    /// Starts a fresh node after a crash; `make` gets the disk and the new
    /// incarnation number.
    pub fn restart(&mut self, make: impl FnOnce(Option<&mut SimDisk>, u64) -> N) {
        assert_eq!(
            self.state,
            ProcessState::Crashed,
            "restart of a live process"
        );
        self.incarnation += 1;
        self.node = Some(make(self.disk.as_mut(), self.incarnation));
        self.state = ProcessState::Running;
    }

    pub fn pause(&mut self) {
        if self.state == ProcessState::Running {
            self.counters.hit(FaultKind::ProcessPause);
            self.state = ProcessState::Paused;
        }
    }

    pub fn resume(&mut self) {
        if self.state == ProcessState::Paused {
            self.state = ProcessState::Running;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::DiskConfig;
    use crate::faults::FaultAtlas;
    use rnatsd_core::storage::Storage;

    #[test]
    fn crash_and_restart_rebuild_from_disk() {
        let disk = SimDisk::new(1, DiskConfig::perfect(), FaultAtlas::pristine());
        let mut p = Process::new(7, 0u32, NodeClock::perfect(), Some(disk));
        *p.running().unwrap() = 5;
        let d = p.disk.as_mut().unwrap();
        let f = d.open("n", true).unwrap();
        d.append(f, b"ab").unwrap();
        d.sync(f).unwrap();
        d.sync_dir("").unwrap();
        d.append(f, b"cd").unwrap();
        p.crash();
        assert!(p.running().is_none());
        assert_eq!(p.state(), ProcessState::Crashed);
        p.restart(|d, inc| {
            let d = d.unwrap();
            let f = d.open("n", false).unwrap();
            d.len(f).unwrap() as u32 * 100 + inc as u32
        });
        assert_eq!(*p.running().unwrap(), 201);
        assert_eq!(p.counters().get(FaultKind::ProcessCrash), 1);
    }

    #[test]
    fn pause_hides_the_node() {
        let mut p = Process::new(1, "n", NodeClock::perfect(), None);
        p.pause();
        assert!(p.running().is_none());
        assert_eq!(p.node(), Some(&"n"));
        p.resume();
        assert!(p.running().is_some());
    }
}
