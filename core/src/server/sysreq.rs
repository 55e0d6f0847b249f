//! Requests the server answers in the system account (Go's events.go
//! `monSrvc`/`monAccSrvc` and `zReq`): `$SYS.REQ.SERVER.PING[.<Z>]`,
//! `$SYS.REQ.SERVER.<id>.<Z>` and `$SYS.REQ.ACCOUNT.<acc>.<Z>`.
//!
//! A table of [`SysEndpoint`]s (subject pattern → handler) is subscribed
//! through the internal client in the system account when the engine
//! starts. Messages that reach those subscriptions are taken out of the
//! internal inbox before the JetStream service sees it, dispatched to the
//! first endpoint whose pattern matches, and the handler's answer is
//! published to the request's reply subject in the system account.
//! Other components add endpoints with [`Server::register_sys_handler`].

use bytes::Bytes;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::time::{Instant, UnixNanos};

use super::accounts::AccountId;
use super::internal::{InternalMsg, Outgoing};
use super::{
    ConnzOptions, ConnzState, HealthzOptions, JszOptions, ProcessStats, Server, SortOpt, SubsOpt, SubszOptions,
};

/// One system request as a handler sees it.
#[derive(Clone, Debug)]
pub struct SysRequest {
    pub now: Instant,
    pub realtime: UnixNanos,
    /// The account the request was published in (the system account,
    /// unless it came through an import).
    pub account: AccountId,
    pub subject: String,
    pub reply: Option<Bytes>,
    pub headers: Option<Bytes>,
    pub payload: Bytes,
}

impl SysRequest {
    /// The subject's `i`th token (0-based), or "".
    pub fn token(&self, i: usize) -> &str {
        self.subject.split('.').nth(i).unwrap_or("")
    }
}

/// A handler: the reply payload, or `None` for no reply (Go's
/// `errSkipZreq`: a filter that does not match this server).
pub type SysHandler = fn(&mut Server, &SysRequest) -> Option<Vec<u8>>;

/// A subscribed subject pattern and its handler.
#[derive(Clone, Debug)]
pub struct SysEndpoint {
    pub subject: String,
    pub handler: SysHandler,
}

/// Rounds of request handling per call (replies that are requests again
/// would be a bug, not a loop).
const SYS_ROUNDS_MAX: usize = 8;

/// The `<Z>` names of the server requests (Go's `monSrvc`, for what exists).
pub const SERVER_Z: &[&str] =
    &["IDZ", "STATSZ", "VARZ", "CONNZ", "SUBSZ", "ROUTEZ", "GATEWAYZ", "LEAFZ", "ACCOUNTZ", "JSZ", "HEALTHZ"];
/// The `<Z>` names of the account requests (Go's `monAccSrvc`); `STATZ`
/// also serves `$SYS.REQ.ACCOUNT.PING.STATZ`.
pub const ACCOUNT_Z: &[&str] = &["CONNZ", "SUBSZ", "LEAFZ", "JSZ", "INFO", "STATZ"];

/// Whether `subject` matches `pattern` (`*` one token, `>` the rest).
pub fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut s = subject.split('.');
    for p in pattern.split('.') {
        match (p, s.next()) {
            (">", Some(_)) => return true,
            ("*", Some(_)) => {}
            (p, Some(t)) if p == t => {}
            _ => return false,
        }
    }
    s.next().is_none()
}

impl Server {
    /// Subscribes `subject` in the system account and routes what arrives
    /// there to `handler`. Endpoints are tried in registration order; keep
    /// patterns disjoint. Errors without a system account or on a bad subject.
    pub fn register_sys_handler(&mut self, subject: &str, handler: SysHandler) -> Result<(), String> {
        let sys = self.accounts.system().ok_or_else(|| "no system account".to_string())?;
        self.subscribe_internal_in(sys, subject)?;
        self.sys.handlers.push(SysEndpoint { subject: subject.to_string(), handler });
        Ok(())
    }

    /// The registered system endpoints, in dispatch order.
    pub fn sys_endpoints(&self) -> &[SysEndpoint] {
        &self.sys.handlers
    }

    /// Go's `initEventTracking`, for the requests: subscribes the table.
    pub(super) fn start_system_requests(&mut self) {
        if self.accounts.system().is_none() {
            return;
        }
        let id = self.info.server_id.clone();
        let mut table: Vec<(String, SysHandler)> = vec![("$SYS.REQ.SERVER.PING".into(), server_ping)];
        for z in SERVER_Z {
            table.push((format!("$SYS.REQ.SERVER.PING.{z}"), server_z));
            table.push((format!("$SYS.REQ.SERVER.{id}.{z}"), server_z));
        }
        for z in ACCOUNT_Z {
            table.push((format!("$SYS.REQ.ACCOUNT.*.{z}"), account_z));
        }
        for (subject, handler) in table {
            if let Err(e) = self.register_sys_handler(&subject, handler) {
                tracing::error!("system request subscription {subject}: {e}");
            }
        }
    }

    /// Takes system requests out of the internal inbox and answers them.
    pub(super) fn run_sys_requests(&mut self, now: Instant) {
        let Some(sys) = self.accounts.system() else { return };
        for _ in 0..SYS_ROUNDS_MAX {
            // The common case (JetStream traffic): nothing for the system
            // account, and no reshuffling of the inbox.
            if !self.internal.inbox.iter().any(|m| m.account == sys) {
                return;
            }
            let inbox = std::mem::take(&mut self.internal.inbox);
            let (mine, rest): (Vec<InternalMsg>, Vec<InternalMsg>) =
                inbox.into_iter().partition(|m| m.account == sys && self.sys_handler_for(&m.subject).is_some());
            self.internal.inbox = rest;
            if mine.is_empty() {
                return;
            }
            for m in mine {
                self.handle_sys_request(now, m);
            }
        }
    }

    fn sys_handler_for(&self, subject: &[u8]) -> Option<SysHandler> {
        let subject = std::str::from_utf8(subject).ok()?;
        self.sys.handlers.iter().find(|e| subject_matches(&e.subject, subject)).map(|e| e.handler)
    }

    fn handle_sys_request(&mut self, now: Instant, m: InternalMsg) {
        let Some(handler) = self.sys_handler_for(&m.subject) else { return };
        let req = SysRequest {
            now,
            realtime: self.realtime(now),
            account: m.account,
            subject: String::from_utf8_lossy(&m.subject).into_owned(),
            reply: m.reply,
            headers: m.headers,
            payload: m.payload,
        };
        let Some(reply) = req.reply.clone() else { return };
        let Some(payload) = handler(self, &req) else { return };
        let o = Outgoing { subject: reply, reply: None, deliver_as: None, headers: None, payload: Bytes::from(payload) };
        self.publish_internal_in(m.account, o);
    }

    /// Go's `ServerAPIResponse`: `{"server", "data"}` or `{"server", "error"}`.
    fn api_response(&mut self, realtime: UnixNanos, result: Result<Value, (u16, String)>) -> Vec<u8> {
        let server = self.server_info_event(realtime);
        let v = match result {
            Ok(data) => json!({ "server": server, "data": data }),
            Err((code, description)) => json!({ "server": server, "error": { "code": code, "description": description } }),
        };
        serde_json::to_vec(&v).unwrap_or_default()
    }

    /// Go's `EventFilterOptions`: true when the request is for this server.
    fn filter_matches(&self, body: &Map<String, Value>) -> bool {
        let exact = body.get("exact_match").and_then(Value::as_bool).unwrap_or(false);
        let test = |key: &str, have: &str| match body.get(key).and_then(Value::as_str) {
            None | Some("") => true,
            Some(want) if exact => want == have,
            Some(want) => have.contains(want),
        };
        test("server_name", &self.info.server_name) && test("host", &self.info.host) && test("cluster", "")
    }
}

/// The request body as a JSON object (empty body: no options).
fn body_object(req: &SysRequest) -> Result<Map<String, Value>, (u16, String)> {
    if req.payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.payload) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err((400, "request body is not a JSON object".into())),
        Err(e) => Err((400, e.to_string())),
    }
}

fn b(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_bool).unwrap_or(false)
}
fn i(m: &Map<String, Value>, k: &str) -> i64 {
    m.get(k).and_then(Value::as_i64).unwrap_or(0)
}
fn s(m: &Map<String, Value>, k: &str) -> String {
    m.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn to_value<T: Serialize>(t: &T) -> Result<Value, (u16, String)> {
    serde_json::to_value(t).map_err(|e| (500, e.to_string()))
}

/// Go's `ConnzOptions` JSON (`state` is Go's integer `ConnState`).
fn connz_options(m: &Map<String, Value>) -> Result<ConnzOptions, (u16, String)> {
    let subs = if b(m, "subscriptions_detail") {
        SubsOpt::Detail
    } else if b(m, "subscriptions") {
        SubsOpt::List
    } else {
        SubsOpt::None
    };
    let state = match i(m, "state") {
        1 => ConnzState::Closed,
        2 => ConnzState::All,
        _ => ConnzState::Open,
    };
    Ok(ConnzOptions {
        sort: SortOpt::parse(&s(m, "sort")).map_err(|e| (400, e))?,
        auth: b(m, "auth"),
        subs,
        offset: i(m, "offset"),
        limit: i(m, "limit"),
        cid: m.get("cid").and_then(Value::as_u64).unwrap_or(0),
        state,
        user: s(m, "user"),
        acc: s(m, "acc"),
    })
}

fn subsz_options(m: &Map<String, Value>) -> SubszOptions {
    SubszOptions {
        offset: i(m, "offset"),
        limit: i(m, "limit"),
        subscriptions: b(m, "subscriptions"),
        account: s(m, "account"),
        test: s(m, "test"),
    }
}

fn jsz_options(m: &Map<String, Value>) -> JszOptions {
    JszOptions {
        account: s(m, "account"),
        accounts: b(m, "accounts"),
        streams: b(m, "streams"),
        consumers: b(m, "consumer"),
        config: b(m, "config"),
        leader_only: b(m, "leader_only"),
        offset: i(m, "offset"),
        limit: i(m, "limit"),
    }
}

fn healthz_options(m: &Map<String, Value>) -> HealthzOptions {
    HealthzOptions {
        js_enabled_only: b(m, "js-enabled-only") || b(m, "js-enabled"),
        js_server_only: b(m, "js-server-only"),
        details: b(m, "details"),
        account: s(m, "account"),
        stream: s(m, "stream"),
        consumer: s(m, "consumer"),
    }
}

/// `$SYS.REQ.SERVER.PING`: the legacy STATSZ ping.
fn server_ping(srv: &mut Server, req: &SysRequest) -> Option<Vec<u8>> {
    let body = body_object(req).unwrap_or_default();
    if !srv.filter_matches(&body) {
        return None;
    }
    let m = srv.statsz_msg(req.realtime);
    serde_json::to_vec(&m).ok()
}

/// `$SYS.REQ.SERVER.{PING,<id>}.<Z>`.
fn server_z(srv: &mut Server, req: &SysRequest) -> Option<Vec<u8>> {
    let z = req.token(4).to_string();
    let body = match body_object(req) {
        Ok(body) => body,
        Err(e) => return Some(srv.api_response(req.realtime, Err(e))),
    };
    if !srv.filter_matches(&body) {
        return None;
    }
    let rt = req.realtime;
    match z.as_str() {
        "STATSZ" => return server_ping(srv, req),
        "IDZ" => {
            let v = json!({ "name": srv.info.server_name, "host": srv.info.host, "id": srv.info.server_id });
            return serde_json::to_vec(&v).ok();
        }
        _ => {}
    }
    let data = match z.as_str() {
        "VARZ" => to_value(&srv.varz(req.now, rt, ProcessStats::default())),
        "CONNZ" => connz_options(&body).and_then(|o| srv.connz(req.now, rt, &o).map_err(|e| (500, e))).and_then(|c| to_value(&c)),
        "SUBSZ" => srv.subsz(rt, &subsz_options(&body)).map_err(|e| (500, e)).and_then(|z| to_value(&z)),
        "ROUTEZ" => to_value(&srv.routez(rt)),
        "GATEWAYZ" => to_value(&srv.gatewayz(rt)),
        "LEAFZ" => to_value(&srv.leafz(rt)),
        "ACCOUNTZ" => srv.accountz(rt, &s(&body, "account")).map_err(|e| (500, e)).and_then(|z| to_value(&z)),
        "JSZ" => srv.jsz(rt, &jsz_options(&body)).map_err(|e| (500, e)).and_then(|z| to_value(&z)),
        "HEALTHZ" => {
            let h = srv.healthz(&healthz_options(&body));
            to_value(&h).map(|mut v| {
                v["status_code"] = json!(h.status_code);
                v
            })
        }
        _ => return None,
    };
    Some(srv.api_response(rt, data))
}

/// `$SYS.REQ.ACCOUNT.<acc>.<Z>` and `$SYS.REQ.ACCOUNT.PING.STATZ`.
fn account_z(srv: &mut Server, req: &SysRequest) -> Option<Vec<u8>> {
    let acc = req.token(3).to_string();
    let z = req.token(4).to_string();
    let rt = req.realtime;
    let body = match body_object(req) {
        Ok(body) => body,
        Err(e) => return Some(srv.api_response(rt, Err(e))),
    };
    if z == "STATZ" {
        let accounts: Vec<String> = if acc == "PING" {
            let list = body.get("accounts").and_then(Value::as_array).cloned().unwrap_or_default();
            list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        } else {
            vec![acc.clone()]
        };
        let include_unused = b(&body, "include_unused");
        let statz = srv.accstatz(rt, &accounts, include_unused);
        if statz.account_statz.is_empty() && !include_unused {
            return None;
        }
        return Some(srv.api_response(rt, to_value(&statz)));
    }
    if srv.accounts.lookup(&acc).is_none() {
        return Some(srv.api_response(rt, Err((400, format!("Account {acc} does not exist")))));
    }
    let data = match z.as_str() {
        "CONNZ" => connz_options(&body)
            .map(|o| ConnzOptions { acc: acc.clone(), ..o })
            .and_then(|o| srv.connz(req.now, rt, &o).map_err(|e| (500, e)))
            .and_then(|c| to_value(&c)),
        "SUBSZ" => {
            let o = SubszOptions { account: acc.clone(), ..subsz_options(&body) };
            srv.subsz(rt, &o).map_err(|e| (500, e)).and_then(|z| to_value(&z))
        }
        "LEAFZ" => to_value(&srv.leafz(rt)),
        "JSZ" => {
            let o = JszOptions { account: acc.clone(), ..jsz_options(&body) };
            srv.jsz(rt, &o).map_err(|e| (500, e)).and_then(|z| to_value(&z))
        }
        "INFO" => srv
            .accountz(rt, &acc)
            .map_err(|e| (500, e))
            .and_then(|z| to_value(&z.account_detail)),
        _ => return None,
    };
    Some(srv.api_response(rt, data))
}

#[cfg(test)]
mod tests {
    use super::subject_matches;

    #[test]
    fn subject_patterns_match_like_the_sublist() {
        assert!(subject_matches("$SYS.REQ.ACCOUNT.*.CONNZ", "$SYS.REQ.ACCOUNT.A.CONNZ"));
        assert!(!subject_matches("$SYS.REQ.ACCOUNT.*.CONNZ", "$SYS.REQ.ACCOUNT.A.CLAIMS.LOOKUP"));
        assert!(!subject_matches("$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.PING.VARZ"));
        assert!(subject_matches("$SYS.REQ.>", "$SYS.REQ.SERVER.PING.VARZ"));
        assert!(!subject_matches("$SYS.REQ.>", "$SYS.REQ"));
    }
}
