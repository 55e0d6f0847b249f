//! Internal services of accounts other than `$G` (Go's per-account
//! `jsAccount`): each slot holds one service with its own internal
//! subscriptions in its account. To run a slot, the engine swaps its state
//! into [`super::internal::Internal`]'s single-service fields, so the code
//! in `internal.rs` serves every account; `current` names the account whose
//! service is swapped in, and messages are routed to the service of the
//! account whose sublist matched.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::jetstream::account_info::JetStreamAccountLimits;
use crate::time::{Instant, UnixNanos};

use super::accounts::{AccountId, GLOBAL};
use super::internal::{InternalMsg, InternalService};
use super::subs::SubRef;
use super::Server;

/// Rounds of running every service before the engine stops for this call.
const ACCOUNT_ROUNDS_MAX: usize = 8;

/// One account's service and its internal-client state.
pub(super) struct AccountSlot {
    pub account: AccountId,
    service: Option<Box<dyn InternalService>>,
    subs: BTreeMap<Bytes, SubRef>,
    watched: BTreeMap<(String, Option<String>), bool>,
    watch_gen: u64,
    undelivered: Vec<(Bytes, Bytes)>,
}

/// Builds the JetStream service of an account that appears after startup
/// (a JWT account fetched by the resolver): account name and limits in, the
/// service out. The adapter provides it, since only it can open storage.
pub type AccountServiceFactory = Box<
    dyn FnMut(&str, &JetStreamAccountLimits, Instant, UnixNanos) -> Result<Box<dyn InternalService>, String> + Send,
>;

impl Server {
    /// Installs the internal service of `account` (its JetStream, or the
    /// service answering that JetStream is not enabled there) and
    /// subscribes to its interest in that account. Installing for `$G` is
    /// [`Server::set_internal_service`].
    pub fn set_account_service(&mut self, now: Instant, account: AccountId, service: Box<dyn InternalService>) {
        if account == GLOBAL {
            self.set_internal_service(now, service);
            return;
        }
        assert!(self.internal.current.is_none(), "no slot is swapped in between engine calls");
        let i = match self.internal.slots.iter().position(|s| s.account == account) {
            Some(i) => i,
            None => {
                self.internal.slots.push(AccountSlot {
                    account,
                    service: None,
                    subs: BTreeMap::new(),
                    watched: BTreeMap::new(),
                    watch_gen: 0,
                    undelivered: Vec::new(),
                });
                self.internal.slots.len() - 1
            }
        };
        self.internal.sync.forget(Some(account));
        self.internal.slots[i].service = Some(service);
        self.swap_slot(i);
        if let Some(s) = self.internal.service.as_mut() {
            s.take_interest_changed();
        }
        self.sync_internal_interest();
        self.swap_slot(i);
        self.run_internal(now);
    }

    /// Operator mode: registers the JWT account `key` (looked up in the
    /// resolver, its claims checked) so that a service can be installed in
    /// it before any of its users connects.
    pub fn register_account_for_service(&mut self, key: &str) -> Result<AccountId, String> {
        self.register_jwt_account(key)
    }

    /// Sets the factory for services of accounts that appear after startup.
    pub fn set_account_service_factory(&mut self, factory: AccountServiceFactory) {
        self.internal.factory = Some(factory);
    }

    /// Installs JetStream for account `id` (JWT key `key`) when its claims
    /// enable it and it has no service yet (Go enables JetStream for an
    /// account when its claims arrive). A failure is logged; the account
    /// then has no JetStream, as when its claims do not enable it.
    pub(super) fn ensure_account_service(&mut self, id: AccountId, key: &str, limits: JetStreamAccountLimits) {
        if id == GLOBAL || self.has_account_service(id) || Some(id) == self.system_account() {
            return;
        }
        let Some(mut factory) = self.internal.factory.take() else { return };
        let now = self.now;
        let realtime = self.realtime(now);
        match factory(key, &limits, now, realtime) {
            Ok(service) => self.set_account_service(now, id, service),
            Err(e) => tracing::warn!("JetStream for account {key}: {e}"),
        }
        self.internal.factory = Some(factory);
    }

    /// True when `account` has an installed service of its own.
    pub fn has_account_service(&self, account: AccountId) -> bool {
        if account == GLOBAL {
            return self.internal.service.is_some();
        }
        self.internal.slots.iter().any(|s| s.account == account && s.service.is_some())
    }

    /// Exchanges slot `i`'s state with the single-service fields.
    pub(super) fn swap_slot(&mut self, i: usize) {
        let internal = &mut self.internal;
        let slot = &mut internal.slots[i];
        std::mem::swap(&mut internal.service, &mut slot.service);
        std::mem::swap(&mut internal.subs, &mut slot.subs);
        std::mem::swap(&mut internal.watched, &mut slot.watched);
        std::mem::swap(&mut internal.watch_gen, &mut slot.watch_gen);
        std::mem::swap(&mut internal.undelivered, &mut slot.undelivered);
        internal.current = match internal.current {
            None => Some(slot.account),
            Some(_) => None,
        };
    }

    /// The account of the service now in the single-service fields.
    pub(super) fn internal_account(&self) -> AccountId {
        self.internal.current.unwrap_or(GLOBAL)
    }

    /// Whether a message published in `acc` belongs to the service now
    /// swapped in.
    fn owns(&self, acc: AccountId) -> bool {
        match self.internal.current {
            Some(a) => a == acc,
            None => !self.internal.slots.iter().any(|s| s.account == acc),
        }
    }

    pub(super) fn take_own_inbox(&mut self) -> Vec<InternalMsg> {
        if self.internal.slots.is_empty() {
            return std::mem::take(&mut self.internal.inbox);
        }
        let (mine, rest) = std::mem::take(&mut self.internal.inbox).into_iter().partition(|m| self.owns(m.account));
        self.internal.inbox = rest;
        mine
    }

    pub(super) fn drop_own_inbox(&mut self) {
        drop(self.take_own_inbox());
    }

    pub(super) fn has_own_inbox(&self) -> bool {
        self.internal.inbox.iter().any(|m| self.owns(m.account))
    }

    /// Runs every service: `$G`'s, then each account's, until no message
    /// is left for any of them (bounded).
    pub(super) fn run_internal(&mut self, now: Instant) {
        if self.internal.slots.is_empty() || self.internal.current.is_some() {
            self.run_internal_one(now);
            return;
        }
        for _ in 0..ACCOUNT_ROUNDS_MAX {
            self.run_internal_one(now);
            for i in 0..self.internal.slots.len() {
                self.swap_slot(i);
                self.run_internal_one(now);
                self.swap_slot(i);
            }
            if self.internal.inbox.is_empty() {
                break;
            }
        }
        // Messages for no service (their account's service is gone).
        self.internal.inbox.clear();
    }

    /// True when an account's service has work outside of a delivery.
    pub(super) fn account_services_want_work(&self) -> bool {
        self.internal.slots.iter().any(|s| {
            s.service.as_ref().is_some_and(|svc| svc.wants_flush())
                || (s.service.is_some() && self.accounts.get(s.account).sublist.generation() != s.watch_gen)
        })
    }

    /// The earliest timer of any account's service.
    pub(super) fn account_services_poll_timeout(&self) -> Option<Instant> {
        self.internal.slots.iter().filter_map(|s| s.service.as_ref().and_then(|svc| svc.poll_timeout())).min()
    }

    /// Runs the due timers of the accounts' services.
    pub(super) fn account_services_timeout(&mut self, now: Instant) {
        let realtime = self.realtime(now);
        let mut ran = false;
        for i in 0..self.internal.slots.len() {
            let due = self.internal.slots[i].service.as_ref().and_then(|s| s.poll_timeout()).is_some_and(|t| t <= now);
            if !due {
                continue;
            }
            ran = true;
            self.swap_slot(i);
            let out = match &mut self.internal.service {
                Some(s) => s.handle_timeout(now, realtime),
                None => Vec::new(),
            };
            for o in out {
                self.publish_internal(o);
            }
            self.swap_slot(i);
        }
        if ran {
            self.run_internal(now);
        }
    }

    /// Shuts every account's service down (after `$G`'s).
    pub(super) fn account_services_shutdown(&mut self, now: Instant) {
        for s in &mut self.internal.slots {
            if let Some(svc) = s.service.as_mut() {
                svc.shutdown(now);
            }
        }
    }

    /// Internal subscriptions held by the accounts' services.
    pub(super) fn account_services_subs(&self) -> usize {
        let mut n = 0;
        for s in &self.internal.slots {
            for (subject, r) in &s.subs {
                let sub = self.subs.get(*r).expect("account service sub is live");
                assert_eq!((sub.acc, &sub.subject), (s.account, subject));
                n += 1;
            }
            if let Some(svc) = &s.service {
                svc.check_invariants();
            }
        }
        n
    }
}
