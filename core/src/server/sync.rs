//! Group commit off the engine's lock: the engine's side of split-phase
//! syncs.
//!
//! When a service (JetStream) has writes to make durable, the engine calls
//! its `begin_flush`, which returns sync handles instead of syncing. The
//! engine queues them as a [`SyncBatch`]; the adapter takes it with
//! [`Server::poll_sync`], runs it outside the engine (io-tokio on its sync
//! thread, the simulator after a chosen delay, or never if the node
//! crashes first) and reports with [`Server::handle_sync_done`]. Only then
//! does the service release the replies that promise durability. Meanwhile
//! the engine keeps taking input, and the writes that arrive go into the
//! next batch. Each service has at most [`SYNC_BATCHES_MAX`] batches in
//! progress (two: the device overlaps two flushes, and a third would only
//! split the batches smaller); a batch covers everything written since the
//! previous one began. Results are applied in the order the batches began,
//! whatever order the adapter reports them in: a batch reported early waits
//! for the older ones.
//!
//! # Call order
//!
//! After any `handle_*` call, drain [`Server::poll_sync`] as well as
//! [`Server::poll_event`]. For each batch, run every handle (in any thread,
//! [`SyncBatch::run`]) and call [`Server::handle_sync_done`] with its id and
//! the results in order. Batches of different services may run in any
//! order. An adapter that never calls `poll_sync` gets no durable replies
//! from a storage that gives handles; one whose storage gives none never
//! sees a batch.

use std::collections::{BTreeMap, VecDeque};

use crate::storage::{StorageError, SyncBatch, SyncHandle};
use crate::time::Instant;

use super::accounts::AccountId;
use super::Server;

/// Batches in progress per service.
pub const SYNC_BATCHES_MAX: usize = 2;

/// The results of one batch.
type Results = Vec<Result<(), StorageError>>;

/// Batches waiting for the adapter and batches it is running.
#[derive(Default)]
pub(super) struct SyncQueue {
    next_id: u64,
    /// Begun, not yet taken by [`Server::poll_sync`].
    ready: VecDeque<SyncBatch>,
    /// Every batch not yet done, by id: the service it belongs to (`None`:
    /// the global account's).
    owner: BTreeMap<u64, Option<AccountId>>,
    /// Results reported before an older batch of the same service.
    early: BTreeMap<u64, Results>,
}

impl SyncQueue {
    /// Whether the service of `owner` may not begin another batch.
    pub fn busy(&self, owner: Option<AccountId>) -> bool {
        self.owner.values().filter(|o| **o == owner).count() >= SYNC_BATCHES_MAX
    }

    /// The oldest batch in progress of `owner`.
    fn oldest(&self, owner: Option<AccountId>) -> Option<u64> {
        self.owner.iter().find(|(_, o)| **o == owner).map(|(id, _)| *id)
    }

    fn push(&mut self, owner: Option<AccountId>, handles: Vec<Box<dyn SyncHandle>>) {
        assert!(!handles.is_empty(), "a batch syncs something");
        assert!(!self.busy(owner), "at most SYNC_BATCHES_MAX batches per service");
        self.next_id += 1;
        self.owner.insert(self.next_id, owner);
        self.ready.push_back(SyncBatch { id: self.next_id, handles });
    }

    /// Forgets the batches of `owner`'s service (it is being replaced):
    /// their results, if they come, are ignored.
    pub fn forget(&mut self, owner: Option<AccountId>) {
        self.owner.retain(|_, o| *o != owner);
        let owner_of = &self.owner;
        self.ready.retain(|b| owner_of.contains_key(&b.id));
        self.early.retain(|id, _| owner_of.contains_key(id));
    }

    pub fn check_invariants(&self) {
        for b in &self.ready {
            assert!(self.owner.contains_key(&b.id), "a ready batch is in progress");
        }
        let mut per: BTreeMap<Option<AccountId>, usize> = BTreeMap::new();
        for o in self.owner.values() {
            *per.entry(*o).or_default() += 1;
        }
        assert!(per.values().all(|n| *n <= SYNC_BATCHES_MAX), "batches per service");
        assert!(self.owner.keys().all(|id| *id <= self.next_id));
        for id in self.early.keys() {
            let owner = self.owner.get(id).expect("an early result is of a batch in progress");
            assert_ne!(self.oldest(*owner), Some(*id), "the oldest batch's results are applied at once");
        }
    }
}

impl Server {
    /// The next sync batch for the adapter to run (see the module docs).
    pub fn poll_sync(&mut self) -> Option<SyncBatch> {
        self.internal.sync.ready.pop_front()
    }

    /// How many sync batches are begun and not yet done.
    pub fn syncs_in_progress(&self) -> usize {
        self.internal.sync.owner.len()
    }

    /// The adapter ran batch `id`: `results` has one entry per handle, in
    /// order. The service releases what became durable (or answers with
    /// the error), and the next batch begins if writes are waiting. An
    /// unknown id (a batch of a service since replaced) is ignored.
    pub fn handle_sync_done(&mut self, now: Instant, id: u64, results: Vec<Result<(), StorageError>>) {
        let Some(&owner) = self.internal.sync.owner.get(&id) else {
            return;
        };
        self.internal.sync.early.insert(id, results);
        // Apply this owner's results in the order its batches began.
        while let Some(oldest) = self.internal.sync.oldest(owner) {
            let Some(results) = self.internal.sync.early.remove(&oldest) else { break };
            self.internal.sync.owner.remove(&oldest);
            self.finish_service_flush(now, owner, results);
        }
        self.run_internal(now);
        self.debug_check();
    }

    /// Hands one batch's results to the service of `owner`.
    fn finish_service_flush(&mut self, now: Instant, owner: Option<AccountId>, results: Results) {
        let slot = match owner {
            None => None,
            Some(acc) => match self.internal.slots.iter().position(|s| s.account == acc) {
                Some(i) => Some(i),
                None => return,
            },
        };
        if let Some(i) = slot {
            self.swap_slot(i);
        }
        if let Some(mut service) = self.internal.service.take() {
            let out = service.finish_flush(now, &results);
            self.internal.service = Some(service);
            for o in out {
                self.publish_internal(o);
            }
        }
        if let Some(i) = slot {
            self.swap_slot(i);
        }
    }

    /// The service swapped in wants its writes made durable: begins its
    /// split-phase flush unless one is in progress. Returns the replies
    /// durable already.
    pub(super) fn begin_service_flush(
        &mut self,
        now: Instant,
        service: &mut dyn super::InternalService,
    ) -> Vec<super::Outgoing> {
        let owner = self.internal.current;
        if self.internal.sync.busy(owner) {
            return Vec::new();
        }
        let (out, handles) = service.begin_flush(now);
        if !handles.is_empty() {
            self.internal.sync.push(owner, handles);
        }
        out
    }
}
