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
//! next batch: each service has at most one batch in progress, so a batch
//! covers everything written while the previous one ran.
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

/// Batches waiting for the adapter and batches it is running.
#[derive(Default)]
pub(super) struct SyncQueue {
    next_id: u64,
    /// Begun, not yet taken by [`Server::poll_sync`].
    ready: VecDeque<SyncBatch>,
    /// Every batch not yet done, by id: the service it belongs to (`None`:
    /// the global account's).
    owner: BTreeMap<u64, Option<AccountId>>,
}

impl SyncQueue {
    /// Whether the service of `owner` has a batch in progress.
    pub fn busy(&self, owner: Option<AccountId>) -> bool {
        self.owner.values().any(|o| *o == owner)
    }

    fn push(&mut self, owner: Option<AccountId>, handles: Vec<Box<dyn SyncHandle>>) {
        assert!(!handles.is_empty(), "a batch syncs something");
        assert!(!self.busy(owner), "one batch per service");
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
    }

    pub fn check_invariants(&self) {
        for b in &self.ready {
            assert!(self.owner.contains_key(&b.id), "a ready batch is in progress");
        }
        let mut owners: Vec<_> = self.owner.values().collect();
        owners.sort();
        let n = owners.len();
        owners.dedup();
        assert_eq!(n, owners.len(), "one batch per service");
        assert!(self.owner.keys().all(|id| *id <= self.next_id));
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
        let Some(owner) = self.internal.sync.owner.remove(&id) else {
            return;
        };
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
        self.run_internal(now);
        self.debug_check();
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
