//! Events the server publishes in the system account (Go's events.go):
//! `$SYS.ACCOUNT.<acc>.CONNECT` / `.DISCONNECT` and `.SERVER.CONNS`,
//! `$SYS.SERVER.<id>.STATSZ` heartbeats and `$SYS.SERVER.<id>.SHUTDOWN`,
//! plus the `ServerInfo` envelope every system message carries.
//!
//! Event ids come from the engine's seeded [`crate::prng::Prng`], so a
//! simulated run replays them. The STATSZ heartbeat is a server-wide core
//! timer ([`super::timers::TimerKind::Statsz`]): it starts at 250 ms after
//! the first client binds to the system account and doubles up to 10 s
//! (Go's `startStatszTimer`/`statsHBInterval`). Unlike Go it runs only while
//! some client is bound to the system account: nobody else can receive it,
//! and an idle server then has no perpetual timer.

use std::collections::BTreeSet;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use crate::time::{Instant, UnixNanos};

use super::accounts::AccountId;
use super::internal::Outgoing;
use super::timers::TimerKind;
use super::zfmt::rfc3339;
use super::{ConnId, Server, INTERNAL_CONN};

/// Go's `statsHBInterval`: the STATSZ heartbeat once backed off.
pub const STATSZ_INTERVAL: Duration = Duration::from_secs(10);
/// Go's first STATSZ delay after start (`startStatszTimer`).
pub const STATSZ_FIRST: Duration = Duration::from_millis(250);

pub const CONNECT_EVENT_TYPE: &str = "io.nats.server.advisory.v1.client_connect";
pub const DISCONNECT_EVENT_TYPE: &str = "io.nats.server.advisory.v1.client_disconnect";
pub const ACCOUNT_CONNS_TYPE: &str = "io.nats.server.advisory.v1.account_connections";

/// Go's `ServerInfo`: who sent a system message.
#[derive(Clone, Debug, Serialize)]
pub struct ServerInfo {
    pub name: String,
    pub host: String,
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    #[serde(rename = "ver")]
    pub version: String,
    pub jetstream: bool,
    /// Go's `ServerCapability` bits: 1 JetStream, 2 binary stream snapshots.
    pub flags: u64,
    pub seq: u64,
    pub time: String,
}

/// Go's `ClientInfo`, for the fields a plain client has.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ClientInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub host: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub id: u64,
    #[serde(rename = "acc", skip_serializing_if = "String::is_empty")]
    pub account: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lang: String,
    #[serde(rename = "ver", skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Go's `time.Duration` in nanoseconds.
    #[serde(skip_serializing_if = "is_zero")]
    pub rtt: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub server: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_type: String,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// Go's `DataStats` as events carry it (`MsgBytes` only: no routes,
/// gateways or leaf nodes here).
#[derive(Clone, Debug, Default, Serialize)]
pub struct EventDataStats {
    pub msgs: u64,
    pub bytes: u64,
}

/// Go's `ConnectEventMsg` and `DisconnectEventMsg` (the latter adds the
/// traffic and the reason).
#[derive(Clone, Debug, Serialize)]
pub struct ClientEventMsg {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub timestamp: String,
    pub server: ServerInfo,
    pub client: ClientInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<EventDataStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received: Option<EventDataStats>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Go's `ServerStats`.
#[derive(Clone, Debug, Serialize)]
pub struct ServerStats {
    pub start: String,
    pub mem: i64,
    pub cores: usize,
    pub cpu: f64,
    pub connections: usize,
    pub total_connections: u64,
    pub active_accounts: usize,
    pub subscriptions: usize,
    pub sent: EventDataStats,
    pub received: EventDataStats,
    pub slow_consumers: u64,
    pub stale_connections: u64,
}

/// Go's `ServerStatsMsg`: the STATSZ heartbeat and the `PING.STATSZ` reply.
#[derive(Clone, Debug, Serialize)]
pub struct ServerStatsMsg {
    pub server: ServerInfo,
    pub statsz: ServerStats,
}

/// Go's `AccountNumConns` (`$SYS.ACCOUNT.<acc>.SERVER.CONNS`).
#[derive(Clone, Debug, Serialize)]
pub struct AccountNumConns {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub timestamp: String,
    pub server: ServerInfo,
    pub acc: String,
    pub name: String,
    pub conns: usize,
    pub leafnodes: usize,
    pub total_conns: usize,
    pub num_subscriptions: usize,
    pub sent: EventDataStats,
    pub received: EventDataStats,
    pub slow_consumers: u64,
}

/// The engine's system-account state.
#[derive(Debug, Default)]
pub(super) struct SysState {
    /// Go's `s.sys.seq`: one per system message sent.
    pub seq: u64,
    /// Connections a CONNECT event was sent for (each gets one DISCONNECT).
    pub connected: BTreeSet<ConnId>,
    /// The armed STATSZ heartbeat and its current interval.
    pub statsz_at: Option<Instant>,
    pub statsz_interval: Duration,
    /// Request handlers (see [`super::sysreq`]).
    pub handlers: Vec<super::sysreq::SysEndpoint>,
    pub shutdown_sent: bool,
}

/// A NUID-shaped event id (22 base62 characters) from the seeded PRNG.
pub(super) fn event_id(prng: &mut crate::prng::Prng) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..22).map(|_| ALPHABET[prng.below(62) as usize] as char).collect()
}

impl Server {
    /// The `server` object of the next system message (bumps `seq`).
    pub(super) fn server_info_event(&mut self, realtime: UnixNanos) -> ServerInfo {
        self.sys.seq += 1;
        let js = self.info.jetstream;
        ServerInfo {
            name: self.info.server_name.clone(),
            host: self.info.host.clone(),
            id: self.info.server_id.clone(),
            cluster: String::new(),
            version: self.info.version.clone(),
            jetstream: js,
            flags: if js { 0b11 } else { 0 },
            seq: self.sys.seq,
            time: rfc3339(realtime),
        }
    }

    /// Publishes `body` as JSON on `subject` in the system account.
    pub(super) fn send_sys_json<T: Serialize>(&mut self, subject: String, body: &T) {
        let Some(sys) = self.accounts.system() else { return };
        let payload = match serde_json::to_vec(body) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("system event on {subject}: {e}");
                return;
            }
        };
        let o = Outgoing {
            subject: Bytes::from(subject),
            reply: None,
            deliver_as: None,
            headers: None,
            payload: Bytes::from(payload),
        };
        self.publish_internal_in(sys, o);
    }

    fn event_client_info(&self, id: ConnId, realtime: UnixNanos, stopped: bool) -> Option<ClientInfo> {
        let c = self.conns.get(&id)?;
        let start = self.realtime(c.created);
        Some(ClientInfo {
            start: Some(rfc3339(start.min(realtime))),
            host: c.ip.clone(),
            id: id.0,
            account: self.accounts.get(c.acc).name.clone(),
            user: c.user.clone().unwrap_or_default(),
            name: c.opts.name.clone(),
            lang: c.opts.lang.clone(),
            version: c.opts.version.clone(),
            rtt: c.rtt.map(|d| d.as_nanos() as u64).unwrap_or(0),
            server: self.info.server_name.clone(),
            stop: stopped.then(|| rfc3339(realtime)),
            kind: "Client".into(),
            client_type: "nats".into(),
        })
    }

    /// Go's `accountConnectEvent`: a client finished CONNECT.
    pub(super) fn account_connect_event(&mut self, now: Instant, id: ConnId) {
        if self.accounts.system().is_none() || self.sys.connected.contains(&id) {
            return;
        }
        let realtime = self.realtime(now);
        let Some(client) = self.event_client_info(id, realtime, false) else { return };
        self.sys.connected.insert(id);
        let subject = format!("$SYS.ACCOUNT.{}.CONNECT", client.account);
        let m = ClientEventMsg {
            kind: CONNECT_EVENT_TYPE,
            id: event_id(&mut self.prng),
            timestamp: rfc3339(realtime),
            server: self.server_info_event(realtime),
            client,
            sent: None,
            received: None,
            reason: None,
        };
        self.send_sys_json(subject, &m);
        let acc = self.conns.get(&id).map(|c| c.acc);
        if let Some(acc) = acc {
            self.account_conns_event(realtime, acc);
            if Some(acc) == self.accounts.system() && self.sys.statsz_at.is_none() {
                self.sys.statsz_interval = STATSZ_FIRST;
                self.arm_statsz(now + STATSZ_FIRST);
            }
        }
    }

    /// Go's `accountDisconnectEvent`: a connected client is gone.
    pub(super) fn account_disconnect_event(&mut self, now: Instant, id: ConnId) {
        if !self.sys.connected.remove(&id) {
            return;
        }
        let realtime = self.realtime(now);
        let Some(client) = self.event_client_info(id, realtime, true) else { return };
        let Some(c) = self.conns.get(&id) else { return };
        let acc = c.acc;
        let reason = c.close_reason.map(super::CloseReason::as_str).unwrap_or("Client Closed").to_string();
        // Go's "sent" is what the server sent to the client.
        let sent = EventDataStats { msgs: c.out_msgs, bytes: c.out_bytes };
        let received = EventDataStats { msgs: c.in_msgs, bytes: c.in_bytes };
        let subject = format!("$SYS.ACCOUNT.{}.DISCONNECT", client.account);
        let m = ClientEventMsg {
            kind: DISCONNECT_EVENT_TYPE,
            id: event_id(&mut self.prng),
            timestamp: rfc3339(realtime),
            server: self.server_info_event(realtime),
            client,
            sent: Some(sent),
            received: Some(received),
            reason: Some(reason),
        };
        self.send_sys_json(subject, &m);
        self.account_conns_event(realtime, acc);
    }

    /// Go's `sendAccConnsUpdate`, on connect and disconnect (never for `$G`).
    fn account_conns_event(&mut self, realtime: UnixNanos, acc: AccountId) {
        if acc == super::accounts::GLOBAL {
            return;
        }
        let name = self.accounts.get(acc).name.clone();
        let conns = self.account_conns(acc);
        let num_subscriptions = self.accounts.get(acc).sublist.count();
        let (mut sent, mut received) = (EventDataStats::default(), EventDataStats::default());
        for c in self.conns.values().filter(|c| c.acc == acc && !c.is_closing()) {
            sent.msgs += c.out_msgs;
            sent.bytes += c.out_bytes;
            received.msgs += c.in_msgs;
            received.bytes += c.in_bytes;
        }
        let m = AccountNumConns {
            kind: ACCOUNT_CONNS_TYPE,
            id: event_id(&mut self.prng),
            timestamp: rfc3339(realtime),
            server: self.server_info_event(realtime),
            acc: name.clone(),
            name,
            conns,
            leafnodes: 0,
            total_conns: conns,
            num_subscriptions,
            sent,
            received,
            slow_consumers: 0,
        };
        self.send_sys_json(format!("$SYS.ACCOUNT.{}.SERVER.CONNS", m.acc), &m);
    }

    /// Go's `ServerStatsMsg` for now.
    pub(super) fn statsz_msg(&mut self, realtime: UnixNanos) -> ServerStatsMsg {
        let mut active: BTreeSet<AccountId> = BTreeSet::new();
        for c in self.conns.values().filter(|c| !c.is_closing() && c.id != INTERNAL_CONN) {
            active.insert(c.acc);
        }
        let statsz = ServerStats {
            start: rfc3339(self.started_realtime),
            mem: 0,
            cores: 0,
            cpu: 0.0,
            connections: self.num_connections(),
            total_connections: self.stats.total_connections,
            active_accounts: active.len(),
            subscriptions: self.num_subscriptions(),
            sent: EventDataStats { msgs: self.stats.out_msgs, bytes: self.stats.out_bytes },
            received: EventDataStats { msgs: self.stats.in_msgs, bytes: self.stats.in_bytes },
            slow_consumers: self.stats.slow_consumers,
            stale_connections: self.stats.stale_connections,
        };
        ServerStatsMsg { server: self.server_info_event(realtime), statsz }
    }

    fn arm_statsz(&mut self, at: Instant) {
        self.sys.statsz_at = Some(at);
        self.timers.schedule(at, INTERNAL_CONN, TimerKind::Statsz);
    }

    /// The STATSZ timer fired: publish, back off, and re-arm while a client
    /// is bound to the system account.
    pub(super) fn on_statsz_timer(&mut self, now: Instant) {
        match self.sys.statsz_at {
            Some(at) if at <= now => {}
            _ => return,
        }
        self.sys.statsz_at = None;
        let Some(sys) = self.accounts.system() else { return };
        if self.shutting_down || self.account_conns(sys) == 0 {
            return;
        }
        let realtime = self.realtime(now);
        let m = self.statsz_msg(realtime);
        self.send_sys_json(format!("$SYS.SERVER.{}.STATSZ", self.info.server_id), &m);
        self.sys.statsz_interval = (self.sys.statsz_interval * 2).clamp(STATSZ_FIRST, STATSZ_INTERVAL);
        self.arm_statsz(now + self.sys.statsz_interval);
    }

    /// Go's `shutdownEventing`: `$SYS.SERVER.<id>.SHUTDOWN` with the
    /// `ServerInfo`, once, before the connections close.
    pub(super) fn shutdown_event(&mut self, now: Instant) {
        if self.sys.shutdown_sent || self.accounts.system().is_none() {
            return;
        }
        self.sys.shutdown_sent = true;
        let realtime = self.realtime(now);
        let si = self.server_info_event(realtime);
        self.send_sys_json(format!("$SYS.SERVER.{}.SHUTDOWN", self.info.server_id), &si);
    }
}
