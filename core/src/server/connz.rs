//! `/connz`: open and recently closed client connections, with Go's query
//! options (sort, paging, subscriptions, auth, state, cid) and JSON field
//! names (monitor.go `Connz`, `ConnInfo`, `ConnzOptions`). Closed
//! connections are kept in a ring of Go's default size
//! (`DEFAULT_MAX_CLOSED_CLIENTS`), oldest dropped first.

use std::cmp::Reverse;
use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

use crate::time::{Instant, UnixNanos};

use super::client::{ClientConn, CloseReason};
use super::zfmt::{my_uptime, rfc3339, rtt_string, wall_of};
use super::Server;

/// Go's `DefaultConnListSize`: the default `limit` of `/connz`.
pub const DEFAULT_CONN_LIST_SIZE: i64 = 1024;
/// Go's `DEFAULT_MAX_CLOSED_CLIENTS`: how many closed connections `/connz`
/// remembers.
pub const CLOSED_CONNS_MAX: usize = 10_000;
/// The name Go gives the global account.
pub use super::accounts::GLOBAL_ACCOUNT;

/// Go's `SortOpt`. Only `cid`, `start`, `uptime` and `reason` sort
/// ascending; every other key sorts descending.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum SortOpt {
    #[default]
    Cid,
    Start,
    Subs,
    Pending,
    OutMsgs,
    InMsgs,
    OutBytes,
    InBytes,
    Last,
    Idle,
    Uptime,
    Stop,
    Reason,
    Rtt,
}

impl SortOpt {
    /// Parses Go's sort key (`""` is by cid). The error is Go's text.
    pub fn parse(s: &str) -> Result<SortOpt, String> {
        Ok(match s {
            "" | "cid" => SortOpt::Cid,
            "start" => SortOpt::Start,
            "subs" => SortOpt::Subs,
            "pending" => SortOpt::Pending,
            "msgs_to" => SortOpt::OutMsgs,
            "msgs_from" => SortOpt::InMsgs,
            "bytes_to" => SortOpt::OutBytes,
            "bytes_from" => SortOpt::InBytes,
            "last" => SortOpt::Last,
            "idle" => SortOpt::Idle,
            "uptime" => SortOpt::Uptime,
            "stop" => SortOpt::Stop,
            "reason" => SortOpt::Reason,
            "rtt" => SortOpt::Rtt,
            _ => return Err(format!("invalid sorting option: {s}")),
        })
    }
}

/// Go's `ConnState` filter of `/connz?state=`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ConnzState {
    #[default]
    Open,
    Closed,
    All,
}

/// `subs=1` lists subjects, `subs=detail` lists [`SubDetail`]s.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum SubsOpt {
    #[default]
    None,
    List,
    Detail,
}

/// Go's `ConnzOptions` (the HTTP query decoded).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnzOptions {
    pub sort: SortOpt,
    pub auth: bool,
    pub subs: SubsOpt,
    pub offset: i64,
    pub limit: i64,
    pub cid: u64,
    pub state: ConnzState,
    pub user: String,
    pub acc: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Connz {
    pub server_id: String,
    pub now: String,
    pub num_connections: usize,
    pub total: usize,
    pub offset: i64,
    pub limit: i64,
    pub connections: Vec<ConnInfo>,
}

/// One connection, Go's `ConnInfo`.
#[derive(Clone, Debug, Serialize)]
pub struct ConnInfo {
    pub cid: u64,
    pub kind: &'static str,
    #[serde(rename = "type")]
    pub conn_type: &'static str,
    pub ip: String,
    pub port: u16,
    pub start: String,
    pub last_activity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rtt: String,
    pub uptime: String,
    pub idle: String,
    pub pending_bytes: usize,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub in_bytes: u64,
    pub out_bytes: u64,
    pub subscriptions: usize,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lang: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub authorized_user: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscriptions_list: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscriptions_list_detail: Vec<SubDetail>,
}

/// Go's `SubDetail`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubDetail {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account: String,
    pub subject: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub qgroup: String,
    pub sid: String,
    pub msgs: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub max: u64,
    pub cid: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// The raw facts of one connection, open or closed, from which a
/// [`ConnInfo`] is rendered; sorting works on these.
#[derive(Clone, Debug)]
pub(super) struct ConnSnap {
    cid: u64,
    ip: String,
    port: u16,
    start: Instant,
    last: Instant,
    stop: Option<Instant>,
    reason: Option<CloseReason>,
    rtt: Duration,
    pending: usize,
    in_msgs: u64,
    out_msgs: u64,
    in_bytes: u64,
    out_bytes: u64,
    num_subs: usize,
    name: String,
    lang: String,
    version: String,
    user: String,
    /// The account's name (`$G` for the global account).
    account: String,
    subs: Vec<SubDetail>,
}

/// The closed-connections ring.
#[derive(Debug)]
pub(super) struct ClosedRing {
    buf: VecDeque<ConnSnap>,
    max: usize,
}

impl Default for ClosedRing {
    fn default() -> Self {
        ClosedRing { buf: VecDeque::new(), max: CLOSED_CONNS_MAX }
    }
}

impl ClosedRing {
    pub(super) fn push(&mut self, snap: ConnSnap) {
        if self.buf.len() == self.max {
            self.buf.pop_front();
        }
        self.buf.push_back(snap);
    }
}

impl Server {
    /// The facts of a live connection; `subs` lists its subscriptions.
    pub(super) fn conn_snap(&self, c: &ClientConn, subs: bool) -> ConnSnap {
        ConnSnap {
            cid: c.id.0,
            ip: c.ip.clone(),
            port: c.port,
            start: c.created,
            last: c.last_activity,
            stop: None,
            reason: c.close_reason,
            rtt: c.rtt.unwrap_or_default(),
            pending: c.outbound.len(),
            in_msgs: c.in_msgs,
            out_msgs: c.out_msgs,
            in_bytes: c.in_bytes,
            out_bytes: c.out_bytes,
            num_subs: c.subs.len(),
            name: c.opts.name.clone(),
            lang: c.opts.lang.clone(),
            version: c.opts.version.clone(),
            user: c.user.clone().unwrap_or_default(),
            account: self.accounts.get(c.acc).name.clone(),
            subs: if subs { self.sub_details(c) } else { Vec::new() },
        }
    }

    /// A connection's subscriptions as Go's client `SubDetail`s, by sid.
    pub(super) fn sub_details(&self, c: &ClientConn) -> Vec<SubDetail> {
        let mut out: Vec<SubDetail> = c
            .subs
            .values()
            .filter_map(|r| self.subs.get(*r))
            .map(|s| SubDetail {
                // Go's `newClientSubDetail` leaves the account out (only
                // /subsz names it).
                account: String::new(),
                subject: String::from_utf8_lossy(&s.subject).into_owned(),
                qgroup: s.queue.as_ref().map(|q| String::from_utf8_lossy(q).into_owned()).unwrap_or_default(),
                sid: String::from_utf8_lossy(&s.sid).into_owned(),
                msgs: s.delivered,
                max: s.max.unwrap_or(0),
                cid: c.id.0,
            })
            .collect();
        out.sort_by(|a, b| a.sid.cmp(&b.sid));
        out
    }

    /// Remembers a connection that is going away (Go's `saveClosedClient`).
    /// `subs` are its subscriptions as they were when it was closed.
    pub(super) fn save_closed(&mut self, c: &ClientConn, subs: Vec<SubDetail>, now: Instant) {
        let mut snap = self.conn_snap(c, false);
        snap.stop = Some(now);
        snap.reason = Some(c.close_reason.unwrap_or(CloseReason::ClientClosed));
        snap.num_subs = subs.len();
        snap.pending = 0;
        snap.subs = subs;
        self.closed.push(snap);
    }

    /// Go's `Server.Connz`. Errors are Go's texts (HTTP 400).
    pub fn connz(&self, now: Instant, realtime: UnixNanos, o: &ConnzOptions) -> Result<Connz, String> {
        if o.sort == SortOpt::Stop && o.state != ConnzState::Closed {
            return Err("sort by stop only valid on closed connections".to_string());
        }
        if o.sort == SortOpt::Reason && o.state != ConnzState::Closed {
            return Err("sort by reason only valid on closed connections".to_string());
        }
        let offset = o.offset.max(0);
        let mut limit = if o.limit <= 0 { DEFAULT_CONN_LIST_SIZE } else { o.limit };
        if o.cid > 0 {
            limit = 1;
        }
        let mut connz = Connz {
            server_id: self.info.server_id.clone(),
            now: rfc3339(realtime),
            num_connections: 0,
            total: 0,
            offset,
            limit,
            connections: Vec::new(),
        };
        let open = matches!(o.state, ConnzState::Open | ConnzState::All);
        let closed = matches!(o.state, ConnzState::Closed | ConnzState::All);
        let in_acc = |name: &str| o.acc.is_empty() || o.acc == name;
        let open_conns: Vec<&ClientConn> = self
            .conns
            .values()
            .filter(|c| !c.is_closing() && in_acc(&self.accounts.get(c.acc).name))
            .collect();
        let closed_in_acc = self.closed.buf.iter().filter(|s| in_acc(&s.account)).count();
        connz.total = if open { open_conns.len() } else { 0 } + if closed { closed_in_acc } else { 0 };
        let want_subs = o.subs != SubsOpt::None;
        let mut snaps: Vec<ConnSnap> = Vec::new();
        if open {
            for c in &open_conns {
                if (o.cid > 0 && c.id.0 != o.cid) || (!o.user.is_empty() && c.user.as_deref() != Some(&o.user)) {
                    continue;
                }
                snaps.push(self.conn_snap(c, want_subs));
            }
        }
        if closed && (o.cid == 0 || snaps.is_empty()) {
            for s in &self.closed.buf {
                if (o.cid > 0 && s.cid != o.cid) || (!o.user.is_empty() && s.user != o.user) || !in_acc(&s.account) {
                    continue;
                }
                snaps.push(s.clone());
            }
        }
        sort_snaps(&mut snaps, o.sort, now);
        let total = snaps.len();
        let lo = (offset as usize).min(total);
        let hi = lo + (limit as usize).min(total - lo);
        connz.connections = snaps[lo..hi].iter().map(|s| render(s, o, now, realtime)).collect();
        connz.num_connections = connz.connections.len();
        Ok(connz)
    }
}

fn sort_snaps(snaps: &mut [ConnSnap], sort: SortOpt, now: Instant) {
    // Stable over cid order, so ties are deterministic.
    snaps.sort_by_key(|s| s.cid);
    let uptime = |s: &ConnSnap| s.stop.unwrap_or(now).saturating_duration_since(s.start);
    match sort {
        SortOpt::Cid | SortOpt::Start => {}
        SortOpt::Subs => snaps.sort_by_key(|s| Reverse(s.num_subs)),
        SortOpt::Pending => snaps.sort_by_key(|s| Reverse(s.pending)),
        SortOpt::OutMsgs => snaps.sort_by_key(|s| Reverse(s.out_msgs)),
        SortOpt::InMsgs => snaps.sort_by_key(|s| Reverse(s.in_msgs)),
        SortOpt::OutBytes => snaps.sort_by_key(|s| Reverse(s.out_bytes)),
        SortOpt::InBytes => snaps.sort_by_key(|s| Reverse(s.in_bytes)),
        // Most recent activity first; idle: longest idle first.
        SortOpt::Last => snaps.sort_by_key(|s| Reverse(s.last)),
        SortOpt::Idle => snaps.sort_by_key(|s| s.last),
        SortOpt::Uptime => snaps.sort_by_key(|s| uptime(s)),
        SortOpt::Stop => snaps.sort_by_key(|s| Reverse(s.stop)),
        SortOpt::Reason => snaps.sort_by_key(|s| s.reason.map(CloseReason::as_str).unwrap_or("")),
        SortOpt::Rtt => snaps.sort_by_key(|s| Reverse(s.rtt)),
    }
}

fn render(s: &ConnSnap, o: &ConnzOptions, now: Instant, realtime: UnixNanos) -> ConnInfo {
    let end = s.stop.unwrap_or(now);
    let (list, detail) = match o.subs {
        SubsOpt::None => (Vec::new(), Vec::new()),
        SubsOpt::List => (s.subs.iter().map(|d| d.subject.clone()).collect(), Vec::new()),
        SubsOpt::Detail => (Vec::new(), s.subs.clone()),
    };
    ConnInfo {
        cid: s.cid,
        kind: "Client",
        conn_type: "nats",
        ip: s.ip.clone(),
        port: s.port,
        start: rfc3339(wall_of(s.start, now, realtime)),
        last_activity: rfc3339(wall_of(s.last, now, realtime)),
        stop: s.stop.map(|t| rfc3339(wall_of(t, now, realtime))),
        reason: if s.stop.is_some() { s.reason.map(CloseReason::as_str).unwrap_or("").to_string() } else { String::new() },
        rtt: rtt_string(s.rtt),
        uptime: my_uptime(end.saturating_duration_since(s.start)),
        idle: my_uptime(end.saturating_duration_since(s.last)),
        pending_bytes: s.pending,
        in_msgs: s.in_msgs,
        out_msgs: s.out_msgs,
        in_bytes: s.in_bytes,
        out_bytes: s.out_bytes,
        subscriptions: s.num_subs,
        name: s.name.clone(),
        lang: s.lang.clone(),
        version: s.version.clone(),
        authorized_user: if o.auth { s.user.clone() } else { String::new() },
        // Go names the account only with `auth`, and never `$G`.
        account: if o.auth && s.account != GLOBAL_ACCOUNT { s.account.clone() } else { String::new() },
        subscriptions_list: list,
        subscriptions_list_detail: detail,
    }
}
