//! The server's internal client: subscriptions whose messages go to a
//! service inside the engine (JetStream's API and stream subjects now; the
//! system account's requests later) instead of to a socket, and a way for
//! that service to publish replies that are routed like any message (Go's
//! internal clients and `sendInternalMsg`).
//!
//! The service is a sans-IO component behind [`InternalService`]. The engine
//! collects the messages delivered to internal subscriptions while it
//! routes, then hands them to the service once the client's input is
//! processed ([`Server::run_internal`]), publishes what the service answers,
//! and asks it to `flush` (group commit: one sync for the whole batch)
//! before releasing replies that promise durability.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::storage::{StorageError, SyncHandle};
use crate::time::{Instant, UnixNanos};

use super::accounts::AccountId;
use super::subs::{SubRef, Subscription};
use super::{ConnId, Server};

/// The internal client's id. Client ids start at 1.
pub const INTERNAL_CONN: ConnId = ConnId(0);

/// Rounds of service work per call before the engine stops for this call
/// (a service whose replies keep feeding itself is a bug, not a loop).
const INTERNAL_ROUNDS_MAX: usize = 64;

/// A message the service publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The subject routed on.
    pub subject: Bytes,
    pub reply: Option<Bytes>,
    /// The subject subscribers see in place of `subject` (Go's
    /// `pa.deliver`: a consumer's message goes to the pull request's inbox
    /// under its original subject).
    pub deliver_as: Option<Bytes>,
    /// A full `NATS/1.0` header block, or none.
    pub headers: Option<Bytes>,
    pub payload: Bytes,
}

/// A message delivered to an internal subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InternalMsg {
    /// The account it was published in (`$G` for the service's own
    /// subjects; see [`Server::subscribe_internal_in`]).
    pub account: AccountId,
    pub subject: Bytes,
    pub reply: Option<Bytes>,
    pub headers: Option<Bytes>,
    pub payload: Bytes,
}

/// A service living inside the engine. Every method is called from the
/// engine's `handle_*` calls; none may block or do IO except through the
/// storage it was built with.
pub trait InternalService: Send {
    /// Subjects to subscribe to. Re-read whenever [`Self::take_interest_changed`] says so.
    fn interest(&self) -> Vec<String>;
    /// A message on one of the service's subjects. Returns what to publish now.
    fn handle_msg(&mut self, now: Instant, realtime: UnixNanos, msg: InternalMsg) -> Vec<Outgoing>;
    /// True when [`Self::flush`] (or [`Self::begin_flush`]) has work.
    fn wants_flush(&self) -> bool;
    /// Makes pending writes durable (one sync per store) and returns the
    /// replies that waited for it.
    fn flush(&mut self, now: Instant) -> Vec<Outgoing>;
    /// Group commit off the engine's lock, first half: returns the replies
    /// durable already and the sync handles whose results the engine passes
    /// to [`Self::finish_flush`] once its adapter ran them. The engine calls
    /// it again only after that finish. Default: [`Self::flush`] in place.
    fn begin_flush(&mut self, now: Instant) -> (Vec<Outgoing>, Vec<Box<dyn SyncHandle>>) {
        (self.flush(now), Vec::new())
    }
    /// Second half: one result per handle of the last non-empty
    /// [`Self::begin_flush`], in order. Returns the replies now durable.
    fn finish_flush(&mut self, _now: Instant, _results: &[Result<(), StorageError>]) -> Vec<Outgoing> {
        Vec::new()
    }
    /// True once after the service's interest changed.
    fn take_interest_changed(&mut self) -> bool;
    fn handle_timeout(&mut self, now: Instant, realtime: UnixNanos) -> Vec<Outgoing>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn check_invariants(&self);
    /// The server is shutting down: make state durable and close stores
    /// (called once, after the clients are closed).
    fn shutdown(&mut self, _now: Instant) {}
    /// JetStream's figures for `/jsz` and `/varz` (`None`: not JetStream).
    fn jetstream_report(&self, _realtime: UnixNanos, _o: &super::JszOptions) -> Option<super::JetStreamReport> {
        None
    }
    /// Subjects, each with an optional queue group, whose client interest
    /// the service tracks (Go's `registerNotification`: a push consumer's
    /// deliver subject). Re-read whenever the subscriptions change.
    fn watched_interest(&self) -> Vec<(String, Option<String>)> {
        Vec::new()
    }
    /// A message the service published with a reply subject reached no
    /// subscriber (Go's `didNotDeliver`: a pull request's inbox is gone).
    fn handle_undelivered(&mut self, _now: Instant, _realtime: UnixNanos, _subject: &[u8], _reply: &[u8]) -> Vec<Outgoing> {
        Vec::new()
    }
    /// Client interest in a watched subject appeared or went away (and once,
    /// with the current state, when a subject starts being watched).
    fn handle_interest(
        &mut self,
        _now: Instant,
        _realtime: UnixNanos,
        _subject: &str,
        _queue: Option<&str>,
        _interest: bool,
    ) -> Vec<Outgoing> {
        Vec::new()
    }
}

/// The engine's side of the internal client.
#[derive(Default)]
pub(super) struct Internal {
    pub service: Option<Box<dyn InternalService>>,
    /// Internal subscriptions by subject (the subject doubles as the sid).
    pub subs: BTreeMap<Bytes, SubRef>,
    /// Internal subscriptions in a given account (system services).
    pub account_subs: BTreeMap<(AccountId, Bytes), SubRef>,
    pub inbox: Vec<InternalMsg>,
    /// Interest last reported for each watched (subject, queue).
    pub watched: BTreeMap<(String, Option<String>), bool>,
    /// The sublist generation when `watched` was last synced.
    pub watch_gen: u64,
    /// (subject, reply) of service messages nobody received.
    pub undelivered: Vec<(Bytes, Bytes)>,
    /// Services of other accounts (per-account JetStream); see
    /// `internal_services.rs`. Each is swapped into the fields above
    /// while it runs.
    pub slots: Vec<super::internal_services::AccountSlot>,
    /// The account of the service in the fields above (`None`: `$G`).
    pub current: Option<AccountId>,
    /// Builds services for accounts that appear after startup (operator
    /// mode); given by the adapter, which alone can open storage.
    pub factory: Option<super::internal_services::AccountServiceFactory>,
    /// Split-phase syncs begun and not yet done.
    pub sync: super::sync::SyncQueue,
}

impl Server {
    /// Installs the internal service (JetStream) and subscribes to its interest.
    pub fn set_internal_service(&mut self, now: Instant, service: Box<dyn InternalService>) {
        self.internal.sync.forget(None);
        self.internal.service = Some(service);
        self.sync_internal_interest();
        self.run_internal(now);
    }

    pub fn has_internal_service(&self) -> bool {
        self.internal.service.is_some()
    }

    /// Sets the wall clock: `realtime` is the wall time at `now`. Wall time
    /// at later instants is derived from the monotonic clock until the next
    /// call, so a stepped system clock moves message timestamps only when
    /// the adapter says so.
    pub fn handle_wall_clock(&mut self, now: Instant, realtime: UnixNanos) {
        self.wall_offset = realtime - now.as_nanos() as i64;
    }

    pub(super) fn realtime(&self, now: Instant) -> UnixNanos {
        self.wall_offset + now.as_nanos() as i64
    }

    /// Records a delivery to an internal subscription.
    pub(super) fn deliver_internal(
        &mut self,
        account: AccountId,
        subject: &Bytes,
        reply: Option<&Bytes>,
        header_len: Option<usize>,
        message: &Bytes,
    ) {
        let (headers, payload) = match header_len {
            Some(h) if h > 0 && h <= message.len() => (Some(message.slice(..h)), message.slice(h..)),
            _ => (None, message.clone()),
        };
        let msg = InternalMsg { account, subject: subject.clone(), reply: reply.cloned(), headers, payload };
        self.internal.inbox.push(msg);
    }

    /// The id of a live account, for the internal client's account-scoped
    /// calls.
    pub fn account_id(&self, name: &str) -> Option<AccountId> {
        self.accounts.lookup(name)
    }

    /// The name of an account (as in [`InternalMsg::account`]).
    pub fn account_name(&self, id: AccountId) -> &str {
        &self.accounts.get(id).name
    }

    /// The system account, unless `no_system_account`.
    pub fn system_account(&self) -> Option<AccountId> {
        self.accounts.system()
    }

    /// Subscribes the internal client to `subject` in `account`: what is
    /// published there reaches the service as an [`InternalMsg`] naming the
    /// account. Subscribing twice is a no-op.
    pub fn subscribe_internal_in(&mut self, account: AccountId, subject: &str) -> Result<(), String> {
        let key = (account, Bytes::copy_from_slice(subject.as_bytes()));
        if self.internal.account_subs.contains_key(&key) {
            return Ok(());
        }
        let r = self.subs.insert(Subscription {
            conn: INTERNAL_CONN,
            acc: account,
            subject: key.1.clone(),
            queue: None,
            sid: key.1.clone(),
            max: None,
            delivered: 0,
        });
        if self.accounts.get_mut(account).sublist.insert(subject.as_bytes(), None, r).is_err() {
            self.subs.remove(r);
            return Err(format!("invalid subject {subject:?}"));
        }
        self.internal.account_subs.insert(key, r);
        Ok(())
    }

    /// Drops an internal subscription made with [`Server::subscribe_internal_in`].
    pub fn unsubscribe_internal_in(&mut self, account: AccountId, subject: &str) {
        let key = (account, Bytes::copy_from_slice(subject.as_bytes()));
        if let Some(r) = self.internal.account_subs.remove(&key) {
            if let Some(s) = self.subs.remove(r) {
                let _ = self.accounts.get_mut(s.acc).sublist.remove(&s.subject, None, r);
            }
        }
    }

    /// Publishes from the internal client in `account` (routed there like
    /// a client's publish, imports included).
    pub fn publish_internal_in(&mut self, account: AccountId, o: Outgoing) {
        let (header_len, message) = internal_message(&o);
        let shown = o.deliver_as.as_ref().unwrap_or(&o.subject);
        self.deliver_shown(account, INTERNAL_CONN, false, &o.subject, shown, o.reply.as_ref(), header_len, &message);
    }

    /// Hands collected messages to the service, publishes its answers, and
    /// flushes (group commit) so held replies go out once durable.
    pub(super) fn run_internal_one(&mut self, now: Instant) {
        self.operator_take_sys_msgs();
        self.run_sys_requests(now);
        let Some(mut service) = self.internal.service.take() else {
            self.drop_own_inbox();
            return;
        };
        let realtime = self.realtime(now);
        for _ in 0..INTERNAL_ROUNDS_MAX {
            // Interest changes from the same input come first, so a message
            // published after an UNSUB is not sent to the departed client.
            let mut out = self.sync_watched(now, realtime, service.as_mut(), false);
            for (subject, reply) in std::mem::take(&mut self.internal.undelivered) {
                out.extend(service.handle_undelivered(now, realtime, &subject, &reply));
            }
            let inbox = self.take_own_inbox();
            for msg in inbox {
                out.extend(service.handle_msg(now, realtime, msg));
            }
            if service.wants_flush() {
                out.extend(self.begin_service_flush(now, service.as_mut()));
            }
            let changed = service.take_interest_changed();
            if changed {
                self.internal.service = Some(service);
                self.sync_internal_interest();
                service = self.internal.service.take().expect("service just put back");
                out.extend(self.sync_watched(now, realtime, service.as_mut(), true));
            }
            if out.is_empty() && !changed && !self.has_own_inbox() && self.internal.undelivered.is_empty() {
                break;
            }
            for o in out {
                self.publish_internal(o);
            }
        }
        self.internal.service = Some(service);
    }

    /// True when subscriptions changed since watched interest was synced.
    pub(super) fn watched_stale(&self) -> bool {
        self.internal.service.is_some() && self.accounts.get(self.internal_account()).sublist.generation() != self.internal.watch_gen
    }

    /// Reports changes of client interest in the service's watched
    /// subjects (the internal client's own subscriptions do not count).
    fn sync_watched(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        service: &mut dyn InternalService,
        force: bool,
    ) -> Vec<Outgoing> {
        let generation = self.accounts.get(self.internal_account()).sublist.generation();
        if !force && generation == self.internal.watch_gen {
            return Vec::new();
        }
        self.internal.watch_gen = generation;
        let mut next = BTreeMap::new();
        let mut out = Vec::new();
        for key in service.watched_interest() {
            let has = self.client_interest(&key.0, key.1.as_deref());
            if self.internal.watched.get(&key) != Some(&has) {
                out.extend(service.handle_interest(now, realtime, &key.0, key.1.as_deref(), has));
            }
            next.insert(key, has);
        }
        self.internal.watched = next;
        out
    }

    /// Whether a client subscription gets messages on `subject`: any plain
    /// or queue subscription, or with `queue` a member of that group.
    fn client_interest(&mut self, subject: &str, queue: Option<&str>) -> bool {
        let acc = self.internal_account();
        let r = self.accounts.get_mut(acc).sublist.match_subject(subject.as_bytes());
        let is_client = |s: &SubRef| self.subs.get(*s).is_some_and(|s| s.conn != INTERNAL_CONN);
        match queue {
            None => r.psubs.iter().any(is_client) || r.qsubs.iter().any(|g| g.members.iter().any(is_client)),
            Some(q) => r.qsubs.iter().filter(|g| g.name.as_ref() == q.as_bytes()).any(|g| g.members.iter().any(is_client)),
        }
    }

    /// Runs the service's timers; called from `handle_timeout`.
    pub(super) fn internal_timeout(&mut self, now: Instant) {
        let realtime = self.realtime(now);
        let out = match &mut self.internal.service {
            Some(s) => s.handle_timeout(now, realtime),
            None => return,
        };
        for o in out {
            self.publish_internal(o);
        }
        self.run_internal(now);
    }

    /// Publishes a message from the internal client.
    pub(super) fn publish_internal(&mut self, o: Outgoing) {
        let (header_len, message) = internal_message(&o);
        let shown = o.deliver_as.as_ref().unwrap_or(&o.subject);
        let n = self.deliver_shown(self.internal_account(), INTERNAL_CONN, false, &o.subject, shown, o.reply.as_ref(), header_len, &message);
        if n == 0 {
            if let Some(reply) = &o.reply {
                self.internal.undelivered.push((o.subject.clone(), reply.clone()));
            }
        }
    }

    /// Makes the internal subscriptions equal the service's interest.
    pub(super) fn sync_internal_interest(&mut self) {
        let want: Vec<Bytes> = match &self.internal.service {
            Some(s) => s.interest().into_iter().map(Bytes::from).collect(),
            None => Vec::new(),
        };
        let stale: Vec<Bytes> = self.internal.subs.keys().filter(|k| !want.contains(k)).cloned().collect();
        for subject in stale {
            if let Some(r) = self.internal.subs.remove(&subject) {
                if let Some(s) = self.subs.remove(r) {
                    let _ = self.accounts.get_mut(s.acc).sublist.remove(&s.subject, s.queue.as_deref(), r);
                }
            }
        }
        let acc = self.internal_account();
        for subject in want {
            if self.internal.subs.contains_key(&subject) {
                continue;
            }
            let r = self.subs.insert(Subscription {
                conn: INTERNAL_CONN,
                acc,
                subject: subject.clone(),
                queue: None,
                sid: subject.clone(),
                max: None,
                delivered: 0,
            });
            if self.accounts.get_mut(acc).sublist.insert(&subject, None, r).is_err() {
                tracing::error!("internal subscription on invalid subject {:?}", String::from_utf8_lossy(&subject));
                self.subs.remove(r);
                continue;
            }
            self.internal.subs.insert(subject, r);
        }
    }
}

/// An outgoing message as the engine routes it: headers and payload in one
/// buffer, with the header length.
fn internal_message(o: &Outgoing) -> (Option<usize>, Bytes) {
    match &o.headers {
        Some(h) => {
            let mut m = Vec::with_capacity(h.len() + o.payload.len());
            m.extend_from_slice(h);
            m.extend_from_slice(&o.payload);
            (Some(h.len()), Bytes::from(m))
        }
        None => (None, o.payload.clone()),
    }
}
