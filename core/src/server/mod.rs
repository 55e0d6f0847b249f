//! The protocol engine: Go's `Server` plus its client connections, as one
//! sans-IO state machine.
//!
//! # Call order
//!
//! The adapter (io-tokio in production, io-sim in tests) owns sockets, time
//! and threads, and drives a [`Server`] like this:
//!
//! 1. [`Server::new`] with the options (the listen port already bound and
//!    resolved), a seed, and `now`.
//! 2. For each accepted socket, [`Server::handle_accept`], which returns the
//!    connection's [`ConnId`] and queues INFO.
//! 3. For each read, [`Server::handle_read`] with the bytes; when the peer
//!    goes away, [`Server::handle_disconnect`].
//! 4. When `now` reaches [`Server::poll_timeout`], [`Server::handle_timeout`].
//! 5. After any `handle_*` call, drain [`Server::poll_event`]:
//!    - [`Event::Transmit`]: call [`Server::poll_transmit`] for that
//!      connection and write the bytes to its socket;
//!    - [`Event::Close`]: take what `poll_transmit` still gives, write it,
//!      close the socket, then call [`Server::handle_disconnect`].
//! 6. Also drain [`Server::poll_sync`]: run each sync batch outside the
//!    engine and report it with [`Server::handle_sync_done`] (group commit
//!    off the engine's lock; see `sync.rs`).
//!
//! Nothing here blocks, reads a clock or touches the OS. Every call ends
//! with [`Server::check_invariants`] in debug builds, and the simulator calls
//! it after every step in all builds.

pub mod accounts;
mod auth;
mod client;
mod connect;
mod connz;
mod deliver;
mod events;
mod httpz;
mod idmap;
mod info;
mod internal;
mod internal_services;
mod jsz;
mod ldm;
mod metrics;
pub mod nkey;
mod operator;
mod perms;
mod process;
mod reload;
mod subs;
mod subsz;
mod sync;
mod sysreq;
mod timers;
mod tls;
mod varz;
mod zfmt;
mod zstatus;

#[cfg(test)]
mod ops_tests;
#[cfg(test)]
mod operator_tests;
#[cfg(test)]
mod sys_tests;

use std::collections::{BTreeMap, VecDeque};

use bytes::BytesMut;

use crate::options::ServerOptions;
use crate::prng::Prng;
use crate::protocol::{encode, ParserLimits};
use crate::time::{Instant, UnixNanos};

pub use client::{CloseReason, ConnState};
pub use connect::ConnectOptions;
pub use internal::{InternalMsg, InternalService, Outgoing, INTERNAL_CONN};
pub use accounts::AccountId;
pub use info::{Info, NATS_COMPAT_VERSION, PROTO_VERSION, RNATSD_VERSION};
pub use subs::SubRef;
pub use connz::{ConnInfo, Connz, ConnzOptions, ConnzState, SortOpt, SubDetail, SubsOpt, CLOSED_CONNS_MAX};
pub use httpz::{MonitorResponse, MONITOR_PATHS};
pub use subsz::{Subsz, SubszOptions};
pub use sysreq::{subject_matches, SysEndpoint, SysHandler, SysRequest};
pub use events::{ClientInfo, ServerInfo, ServerStats, ServerStatsMsg, STATSZ_FIRST, STATSZ_INTERVAL};
pub use varz::{ProcessStats, Varz};
pub use zfmt::{civil_from_days, go_duration, my_uptime, rfc3339};
pub use jsz::{AccountDetail, JetStreamConfig, JetStreamReport, JetStreamStats, JetStreamVarz, Jsz, JszOptions, StreamDetail};
pub use zstatus::{AccountStatz, Accountz, Gatewayz, HealthStatus, HealthzOptions, Leafz, Routez};
pub use tls::{PeerCert, TlsInfo, TlsPolicy, TLS_HANDSHAKE_RECORD};
pub use sync::SYNC_BATCHES_MAX;

use accounts::Accounts;
use auth::AuthConfig;
use idmap::IdMap;
use internal::Internal;
use client::ClientConn;
use subs::SubTable;
use timers::{TimerKind, Timers};

/// A client connection's id: Go's `cid`, unique for the server's lifetime
/// and sent to the client as INFO `client_id`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// The peer address of an accepted connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteAddr {
    pub ip: String,
    pub port: u16,
}

/// What the engine asks of the adapter.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The connection has bytes to send: call [`Server::poll_transmit`].
    Transmit(ConnId),
    /// The server closed the connection: send what `poll_transmit` still
    /// gives, close the socket, then call [`Server::handle_disconnect`].
    Close(ConnId),
}

/// Counters the monitoring endpoints report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub slow_consumers: u64,
    pub total_connections: u64,
    pub stale_connections: u64,
}

/// Test-only planted bugs that the simulator must be able to find.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Canary {
    pub skip_last_psub: bool,
}

pub struct Server {
    opts: ServerOptions,
    info: Info,
    auth: AuthConfig,
    limits: ParserLimits,
    prng: Prng,
    conns: IdMap<ConnId, ClientConn>,
    subs: SubTable,
    /// Every account with its sublist; `$G` first (see [`accounts`]).
    accounts: Accounts,
    /// The `now` of the current `handle_*` call.
    now: Instant,
    /// When the response-threshold timer next fires, if armed.
    response_timer: Option<Instant>,
    events: VecDeque<Event>,
    timers: Timers,
    next_cid: u64,
    stats: Stats,
    started: Instant,
    started_realtime: UnixNanos,
    canary: Canary,
    shutting_down: bool,
    /// Connections not closing: kept as a count, checked by invariants.
    open_conns: usize,
    internal: Internal,
    /// Wall time minus monotonic time (see `handle_wall_clock`).
    wall_offset: i64,
    /// Recently closed connections, for `/connz?state=closed`.
    closed: connz::ClosedRing,
    /// When the options were loaded or last reloaded (wall time).
    config_time: UnixNanos,
    /// Requests per monitoring path (Go's `httpReqStats`).
    http_req_stats: BTreeMap<String, u64>,
    ldm: Option<ldm::LameDuck>,
    /// JWT operator mode (None without an `operator`).
    operator: Option<operator::OperatorState>,
    /// System account events and requests (see [`events`], [`sysreq`]).
    sys: events::SysState,
}

impl Server {
    /// Builds the engine. `opts.port` must be the port actually listened on.
    /// Errors name the offending option, as Go's `validateOptions` does.
    pub fn new(opts: ServerOptions, seed: u64, now: Instant, realtime: UnixNanos) -> Result<Server, String> {
        Server::new_with_resolver_storage(opts, seed, now, realtime, None)
    }

    /// Like [`Server::new`]; `resolver_storage` is rooted at the directory
    /// of a `resolver: {type: full, dir: ...}` (operator mode), which needs it.
    pub fn new_with_resolver_storage(
        opts: ServerOptions,
        seed: u64,
        now: Instant,
        realtime: UnixNanos,
        resolver_storage: Option<Box<dyn crate::storage::Storage + Send>>,
    ) -> Result<Server, String> {
        validate_options(&opts)?;
        let mut operator = operator::OperatorState::new(&opts, resolver_storage)?;
        let mut prng = Prng::from_seed(seed);
        let server_id = generate_server_id(&mut prng);
        let server_name = if opts.server_name.is_empty() { server_id.clone() } else { opts.server_name.clone() };
        let auth = AuthConfig::from_options(&opts);
        auth.validate_no_auth_user()?;
        let accounts_opts = Server::initial_accounts_options(&opts, operator.as_mut(), realtime.div_euclid(1_000_000_000));
        let accounts = Accounts::from_options(&accounts_opts, &mut prng)?;
        let info = Info {
            server_id,
            server_name,
            version: NATS_COMPAT_VERSION.to_string(),
            proto: PROTO_VERSION,
            go: format!("rnatsd {RNATSD_VERSION}"),
            host: opts.host.clone(),
            port: u16::try_from(opts.port).unwrap_or(0),
            headers: !opts.no_header_support,
            auth_required: auth.required(),
            tls_required: opts.tls && !opts.allow_non_tls,
            tls_verify: opts.tls && opts.tls_verify,
            tls_available: opts.tls && opts.allow_non_tls,
            max_payload: opts.max_payload,
            jetstream: opts.jetstream.enabled,
            client_id: 0,
            client_ip: String::new(),
            nonce: String::new(),
            ldm: false,
        };
        let limits = ParserLimits {
            max_control_line: usize::try_from(opts.max_control_line).unwrap_or(4096),
            max_payload: usize::try_from(opts.max_payload).unwrap_or(0),
        };
        let mut s = Server {
            opts,
            info,
            auth,
            limits,
            prng,
            conns: IdMap::default(),
            subs: SubTable::default(),
            accounts,
            now,
            response_timer: None,
            events: VecDeque::new(),
            timers: Timers::default(),
            next_cid: 1,
            stats: Stats::default(),
            started: now,
            started_realtime: realtime,
            canary: Canary::default(),
            shutting_down: false,
            open_conns: 0,
            internal: Internal::default(),
            wall_offset: realtime - now.as_nanos() as i64,
            closed: connz::ClosedRing::default(),
            config_time: realtime,
            http_req_stats: BTreeMap::new(),
            ldm: None,
            operator,
            sys: events::SysState::default(),
        };
        s.operator_subscribe_sys();
        s.start_system_requests();
        Ok(s)
    }

    pub fn info(&self) -> &Info {
        &self.info
    }

    pub fn options(&self) -> &ServerOptions {
        &self.opts
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Number of open (not closing) client connections.
    pub fn num_connections(&self) -> usize {
        self.open_conns
    }

    pub fn num_subscriptions(&self) -> usize {
        self.subs.len()
    }

    /// Switches on the planted bug the simulator's canary test must find.
    /// Never call this outside tests.
    pub fn enable_canary_bug(&mut self) {
        self.canary.skip_last_psub = true;
    }

    /// A new client connection. Queues INFO (unless TLS goes first, see
    /// [`Server::tls_policy`]); enforces `max_connections` after INFO, as
    /// Go does.
    pub fn handle_accept(&mut self, now: Instant, remote: RemoteAddr) -> ConnId {
        self.now = now;
        let id = ConnId(self.next_cid);
        self.next_cid += 1;
        self.stats.total_connections += 1;
        let open = self.num_connections();
        let mut conn = ClientConn::new(id, remote.ip, remote.port, now, self.limits);
        if self.auth.nonce_required() {
            conn.nonce = nkey::generate_nonce(&mut self.prng);
        }
        conn.tls_pending = self.opts.tls;
        tracing::debug!("{} - Client connection created", conn.log_prefix());
        self.conns.insert(id, conn);
        self.open_conns += 1;
        if !(self.opts.tls && self.opts.tls_handshake_first) {
            let info = self.client_info(id, false);
            if let Some(c) = self.conns.get_mut(&id) {
                c.outbound.extend_from_slice(&info);
                c.info_sent = true;
            }
        }
        self.want_transmit(id);
        if self.shutting_down || self.ldm.is_some() {
            self.close_conn(id, CloseReason::ServerShutdown, true);
            return id;
        }
        if self.opts.max_conn > 0 && open >= self.opts.max_conn as usize {
            self.send_err(id, "maximum connections exceeded");
            self.close_conn(id, CloseReason::MaxConnectionsExceeded, true);
            return id;
        }
        if self.opts.tls {
            // Go schedules the auth timer after the TLS handshake.
            self.start_tls_timer(now, id);
        } else {
            self.start_conn_timers(now, id);
        }
        self.debug_check();
        id
    }

    /// The INFO line for one connection: its client id and ip, its nonce,
    /// and `tls_required` forced on when TLS went first (as Go does).
    fn client_info(&self, id: ConnId, tls_first: bool) -> Vec<u8> {
        let mut info = self.info.clone();
        if let Some(c) = self.conns.get(&id) {
            info.client_id = id.0;
            info.client_ip = c.ip.clone();
            info.nonce = c.nonce.clone();
        }
        if tls_first {
            info.tls_required = true;
            info.tls_available = false;
        }
        info.to_proto()
    }

    /// The auth and ping timers of a connection ready for protocol traffic.
    fn start_conn_timers(&mut self, now: Instant, id: ConnId) {
        if self.auth.required() {
            let deadline = now + self.opts.auth_timeout;
            self.set_timer(id, TimerKind::Auth, deadline);
        } else if let Some(c) = self.conns.get_mut(&id) {
            c.state = ConnState::Connected;
        }
        let first_ping = self.first_ping_deadline(now);
        self.set_timer(id, TimerKind::Ping, first_ping);
    }

    /// Bytes from a connection's socket.
    pub fn handle_read(&mut self, now: Instant, id: ConnId, data: &[u8]) {
        let Some(conn) = self.conns.get_mut(&id) else { return };
        if conn.is_closing() {
            return;
        }
        if conn.tls_pending {
            self.bytes_before_tls(id);
            return;
        }
        self.now = now;
        conn.last_in = now;
        conn.last_activity = now;
        conn.read_buf.extend_from_slice(data);
        self.process_input(now, id);
        self.after_input(now);
        self.debug_check();
    }

    /// Like [`Server::handle_read`], but takes the adapter's buffer: when
    /// nothing of an earlier read is pending, the buffer is swapped in
    /// rather than copied. On return `data` holds the bytes of an op that
    /// is not complete yet (often none): the adapter appends its next read
    /// to them and passes `data` again.
    pub fn handle_read_buf(&mut self, now: Instant, id: ConnId, data: &mut BytesMut) {
        let Some(conn) = self.conns.get_mut(&id) else {
            data.clear();
            return;
        };
        if conn.is_closing() {
            data.clear();
            return;
        }
        if conn.tls_pending {
            data.clear();
            self.bytes_before_tls(id);
            return;
        }
        self.now = now;
        conn.last_in = now;
        conn.last_activity = now;
        if conn.read_buf.is_empty() {
            std::mem::swap(&mut conn.read_buf, data);
            data.clear();
        } else {
            conn.read_buf.extend_from_slice(data);
            data.clear();
        }
        self.process_input(now, id);
        self.after_input(now);
        // Hand an unfinished op back, so the next read appends to it in
        // place instead of being copied behind it.
        if let Some(conn) = self.conns.get_mut(&id) {
            if !conn.is_closing() {
                std::mem::swap(&mut conn.read_buf, data);
            }
        }
        self.debug_check();
    }

    /// The connection's socket is gone (EOF, reset, or closed by the adapter
    /// after an [`Event::Close`]). Frees everything the connection held.
    pub fn handle_disconnect(&mut self, now: Instant, id: ConnId) {
        if let Some(c) = self.conns.get(&id) {
            if !c.is_closing() {
                self.close_conn(id, CloseReason::ClientClosed, false);
            }
        }
        self.account_disconnect_event(now, id);
        if let Some(mut c) = self.conns.remove(&id) {
            let subs = std::mem::take(&mut c.closed_subs);
            self.save_closed(&c, subs, now);
            let reason = c.close_reason.map(CloseReason::as_str).unwrap_or("Client Closed");
            tracing::debug!("{} - Client connection closed: {}", c.log_prefix(), reason);
        }
        self.after_input(now);
        self.debug_check();
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        while let Some((id, kind)) = self.timers.pop_due(now) {
            if kind == TimerKind::LameDuck {
                self.on_lame_duck_timer(now);
                continue;
            }
            if kind == TimerKind::Statsz {
                self.on_statsz_timer(now);
                continue;
            }
            if kind == TimerKind::Responses {
                self.on_response_timer(now);
                continue;
            }
            if kind == TimerKind::AccountExpire {
                self.on_account_expire_timer(now);
                continue;
            }
            let Some(c) = self.conns.get(&id) else { continue };
            if c.is_closing() {
                continue;
            }
            let current = match kind {
                TimerKind::Ping => c.ping_deadline,
                TimerKind::Auth => c.auth_deadline,
                TimerKind::LameDuck | TimerKind::Responses | TimerKind::AccountExpire | TimerKind::Statsz => None,
                TimerKind::Tls => c.tls_deadline,
                TimerKind::JwtExpire => c.jwt.as_ref().and_then(|u| u.expires),
            };
            // Timers are invalidated lazily: only the conn's current deadline counts.
            match current {
                Some(d) if d <= now => {}
                _ => continue,
            }
            match kind {
                TimerKind::Ping => self.on_ping_timer(now, id),
                TimerKind::Auth => self.on_auth_timer(id),
                TimerKind::LameDuck | TimerKind::Responses | TimerKind::AccountExpire | TimerKind::Statsz => {}
                TimerKind::Tls => self.on_tls_timer(id),
                TimerKind::JwtExpire => self.on_jwt_expire_timer(id),
            }
        }
        let service_due = self.internal.service.as_ref().and_then(|s| s.poll_timeout()).is_some_and(|t| t <= now);
        if service_due {
            self.internal_timeout(now);
        }
        self.account_services_timeout(now);
        self.debug_check();
    }

    /// The earliest instant at which [`Server::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let service = self.internal.service.as_ref().and_then(|s| s.poll_timeout());
        let service = match (service, self.account_services_poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match (self.timers.next_deadline(), service) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// After a client's input: let the internal service see what was
    /// delivered to it, and release replies once their writes are durable.
    fn after_input(&mut self, now: Instant) {
        let wants = self.internal.service.as_ref().is_some_and(|s| s.wants_flush()) || self.account_services_want_work();
        if !self.internal.inbox.is_empty() || wants || self.watched_stale() {
            self.run_internal(now);
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Moves all bytes pending for `id` into `out` (which should be empty:
    /// its allocation is reused for the next round). Returns how many bytes
    /// were moved.
    pub fn poll_transmit(&mut self, id: ConnId, out: &mut BytesMut) -> usize {
        let Some(c) = self.conns.get_mut(&id) else { return 0 };
        c.transmit_pending = false;
        if c.outbound.is_empty() {
            return 0;
        }
        if out.is_empty() {
            std::mem::swap(out, &mut c.outbound);
        } else {
            out.extend_from_slice(&c.outbound);
            c.outbound.clear();
        }
        out.len()
    }

    /// The adapter could not write to the connection within
    /// `write_deadline`: Go's slow consumer by write deadline. The pending
    /// output is dropped and the connection closed.
    pub fn handle_write_stalled(&mut self, _now: Instant, id: ConnId) {
        if let Some(c) = self.conns.get(&id) {
            if c.is_closing() {
                return;
            }
            tracing::info!(
                "{} - Slow Consumer Detected: WriteDeadline of {:?} exceeded",
                c.log_prefix(),
                self.opts.write_deadline
            );
            self.stats.slow_consumers += 1;
        }
        self.close_conn(id, CloseReason::SlowConsumerWriteDeadline, false);
        self.debug_check();
    }

    /// Lame duck and shutdown: closes every connection (flushing) and
    /// refuses new ones.
    pub fn handle_shutdown(&mut self, now: Instant) {
        self.shutdown_event(now);
        self.shutting_down = true;
        let mut ids: Vec<ConnId> = self.conns.keys().copied().collect();
        ids.sort_unstable(); // deterministic close order (conns is a HashMap)
        for id in ids {
            self.close_conn(id, CloseReason::ServerShutdown, true);
        }
        if let Some(service) = self.internal.service.as_mut() {
            service.shutdown(now);
        }
        self.account_services_shutdown(now);
        self.debug_check();
    }

    /// Monitoring snapshot, with Go's `/varz` field names for what exists.
    pub fn varz(&self, now: Instant, realtime: UnixNanos, process: ProcessStats) -> Varz {
        varz::build(self, now, realtime, process)
    }

    /// Asserts the engine's internal consistency. Panics on violation: a
    /// failure here is a bug in rnatsd, never the outside world's doing.
    pub fn check_invariants(&self) {
        let in_sublists: usize = self.accounts.all().map(|a| a.sublist.count()).sum();
        assert_eq!(in_sublists, self.subs.len(), "sublists and sub table disagree");
        self.accounts.check_invariants();
        let mut sids = 0;
        for (id, c) in &self.conns {
            assert_eq!(*id, c.id);
            for (sid, r) in &c.subs {
                let s = self.subs.get(*r).expect("conn's sid maps to a live sub");
                assert_eq!(s.conn, *id, "sub belongs to its conn");
                assert_eq!(s.acc, c.acc, "sub lives in its conn's account");
                assert_eq!(&s.sid, sid);
                if let Some(max) = s.max {
                    assert!(s.delivered < max, "a sub that reached its max was not removed");
                }
            }
            sids += c.subs.len();
            if c.is_closing() {
                assert!(c.subs.is_empty(), "closing conn keeps no subs");
            }
            if !c.outbound.is_empty() && !c.is_closing() {
                assert!(c.transmit_pending, "pending output without a Transmit event");
            }
            assert!(c.pings_out >= 0);
            if c.tls_pending && !c.is_closing() {
                assert!(c.subs.is_empty() && !c.connect_received, "no protocol before TLS");
                assert!(c.ping_deadline.is_none() && c.auth_deadline.is_none(), "only the TLS timer runs before TLS");
            }
        }
        let internal = self.internal.subs.len() + self.internal.account_subs.len() + self.account_services_subs();
        assert_eq!(sids + internal, self.subs.len(), "every sub is owned by exactly one conn");
        for ((acc, subject), r) in &self.internal.account_subs {
            let s = self.subs.get(*r).expect("internal account sub is live");
            assert_eq!((s.conn, s.acc, &s.subject), (INTERNAL_CONN, *acc, subject));
        }
        let open = self.conns.values().filter(|c| !c.is_closing()).count();
        assert_eq!(open, self.open_conns, "open connection count");
        assert!(!self.conns.contains_key(&INTERNAL_CONN), "cid 0 is the internal client");
        for (subject, r) in &self.internal.subs {
            let s = self.subs.get(*r).expect("internal sub is live");
            assert_eq!(s.conn, INTERNAL_CONN);
            assert_eq!(&s.subject, subject);
        }
        if let Some(s) = &self.internal.service {
            s.check_invariants();
        }
        self.internal.sync.check_invariants();
        for (_, s) in self.subs.iter() {
            assert!(s.conn == INTERNAL_CONN || self.conns.contains_key(&s.conn), "sub of a vanished conn");
        }
    }

    fn debug_check(&self) {
        if cfg!(debug_assertions) && self.conns.len() < 64 {
            self.check_invariants();
        }
    }

    fn want_transmit(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get_mut(&id) {
            if !c.transmit_pending && !c.outbound.is_empty() {
                c.transmit_pending = true;
                self.events.push_back(Event::Transmit(id));
            }
        }
    }

    /// Queues `-ERR '<text>'` for the connection.
    fn send_err(&mut self, id: ConnId, text: &str) {
        if let Some(c) = self.conns.get_mut(&id) {
            if c.is_closing() {
                return;
            }
            tracing::debug!("{} - Sending -ERR '{}'", c.log_prefix(), text);
            encode::write_err(&mut c.outbound, text);
        }
        self.want_transmit(id);
    }

    /// The adapter fed bytes to a connection whose TLS handshake has not
    /// finished: a broken adapter or a protocol mix-up; close it.
    fn bytes_before_tls(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get(&id) {
            tracing::error!("{} - protocol bytes before the TLS handshake finished", c.log_prefix());
        }
        self.close_conn(id, CloseReason::TlsHandshakeError, false);
        self.debug_check();
    }

    /// Closes a connection from the server side. Its subscriptions go at
    /// once; with `flush` its pending output is still delivered, otherwise
    /// (slow consumer) it is dropped, as Go puts nothing more on the wire.
    fn close_conn(&mut self, id: ConnId, reason: CloseReason, flush: bool) {
        let subs = match self.conns.get(&id) {
            Some(c) if !c.is_closing() => self.sub_details(c),
            _ => return,
        };
        let Some(c) = self.conns.get_mut(&id) else { return };
        c.closed_subs = subs;
        c.state = ConnState::Closing;
        c.close_reason = Some(reason);
        self.open_conns -= 1;
        c.ping_deadline = None;
        c.auth_deadline = None;
        c.tls_deadline = None;
        if !flush {
            c.outbound.clear();
        }
        // Sorted: `subs` is a HashMap, and removal order must not depend on
        // its per-process random iteration order (the simulator replays).
        let mut subs: Vec<_> = c.subs.drain().map(|(_, r)| r).collect();
        subs.sort_unstable();
        for r in subs {
            if let Some(s) = self.subs.remove(r) {
                let _ = self.accounts.get_mut(s.acc).sublist.remove(&s.subject, s.queue.as_deref(), r);
            }
        }
        self.events.push_back(Event::Close(id));
    }

    fn set_timer(&mut self, id: ConnId, kind: TimerKind, at: Instant) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        match kind {
            TimerKind::Ping => c.ping_deadline = Some(at),
            TimerKind::Auth => c.auth_deadline = Some(at),
            TimerKind::LameDuck | TimerKind::Responses | TimerKind::AccountExpire | TimerKind::Statsz => {}
            TimerKind::Tls => c.tls_deadline = Some(at),
            TimerKind::JwtExpire => {
                if let Some(u) = c.jwt.as_mut() {
                    u.expires = Some(at);
                }
            }
        }
        self.timers.schedule(at, id, kind);
    }
}

/// Go's `validateOptions` checks that apply to what we support.
fn validate_options(opts: &ServerOptions) -> Result<(), String> {
    if opts.max_payload > 0 && opts.max_pending > 0 && opts.max_payload as i64 > opts.max_pending {
        return Err(format!(
            "max_payload ({}) cannot be higher than max_pending ({})",
            opts.max_payload, opts.max_pending
        ));
    }
    if opts.port < -1 || opts.port > 65535 {
        return Err(format!("invalid port {}", opts.port));
    }
    Ok(())
}

/// A server id shaped like Go's (an NKEY server public key: 56 characters
/// of base32, starting with `N`), drawn from the seeded PRNG.
fn generate_server_id(prng: &mut Prng) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut id = String::with_capacity(56);
    id.push('N');
    for _ in 0..55 {
        id.push(ALPHABET[prng.below(32) as usize] as char);
    }
    id
}
