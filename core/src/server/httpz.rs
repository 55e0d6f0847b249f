//! The monitoring HTTP surface as a pure function: a request target
//! (`/connz?sort=subs&limit=2`) in, a status, content type and body out.
//! Paths, query parameters, their defaults and their error texts are Go's
//! (monitor.go `Handle*`, `decodeBool`, `decodeInt`, `decodeState`,
//! `decodeSubs`); `http_base_path` prefixes every path, as in Go. The
//! adapter only moves bytes and adds the process facts.

use crate::time::{Instant, UnixNanos};

use super::jsz::JszOptions;
use super::connz::{ConnzOptions, ConnzState, SortOpt, SubsOpt};
use super::subsz::SubszOptions;
use super::varz::ProcessStats;
use super::zstatus::HealthzOptions;
use super::Server;

/// A monitoring response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

const JSON: &str = "application/json";

impl MonitorResponse {
    fn json(status: u16, body: String) -> MonitorResponse {
        MonitorResponse { status, content_type: JSON, body }
    }

    fn bad_request(text: String) -> MonitorResponse {
        MonitorResponse { status: 400, content_type: "text/plain; charset=utf-8", body: text }
    }

    fn not_found() -> MonitorResponse {
        MonitorResponse { status: 404, content_type: "text/plain; charset=utf-8", body: "404 page not found\n".into() }
    }
}

/// The decoded query string: first value of each key, percent-decoded.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(q: &str) -> Query {
        let pairs = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (percent_decode(k), percent_decode(v)),
                None => (percent_decode(p), String::new()),
            })
            .collect();
        Query(pairs)
    }

    fn get(&self, key: &str) -> &str {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// Go's `decodeBool` (`strconv.ParseBool`).
    fn bool(&self, key: &str) -> Result<bool, MonitorResponse> {
        match self.get(key) {
            "" => Ok(false),
            "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
            v => Err(MonitorResponse::bad_request(format!(
                "Error decoding boolean for '{key}': strconv.ParseBool: parsing \"{v}\": invalid syntax"
            ))),
        }
    }

    /// Go's `decodeInt` (`strconv.Atoi`).
    fn int(&self, key: &str) -> Result<i64, MonitorResponse> {
        match self.get(key) {
            "" => Ok(0),
            v => v.parse::<i64>().map_err(|_| {
                MonitorResponse::bad_request(format!(
                    "Error decoding int for '{key}': strconv.Atoi: parsing \"{v}\": invalid syntax"
                ))
            }),
        }
    }

    /// Go's `decodeUint64`.
    fn uint(&self, key: &str) -> Result<u64, MonitorResponse> {
        match self.get(key) {
            "" => Ok(0),
            v => v.parse::<u64>().map_err(|_| {
                MonitorResponse::bad_request(format!(
                    "Error decoding uint64 for '{key}': strconv.ParseUint: parsing \"{v}\": invalid syntax"
                ))
            }),
        }
    }

    /// Go's `decodeSubs`: `subs=detail`, or a boolean.
    fn subs(&self) -> Result<SubsOpt, MonitorResponse> {
        if self.get("subs").eq_ignore_ascii_case("detail") {
            return Ok(SubsOpt::Detail);
        }
        Ok(if self.bool("subs")? { SubsOpt::List } else { SubsOpt::None })
    }

    /// Go's `decodeState`.
    fn state(&self) -> Result<ConnzState, MonitorResponse> {
        match self.get("state").to_ascii_lowercase().as_str() {
            "" | "open" => Ok(ConnzState::Open),
            "closed" => Ok(ConnzState::Closed),
            "any" | "all" => Ok(ConnzState::All),
            _ => Err(MonitorResponse::bad_request(format!("Error decoding state for {}", self.get("state")))),
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    // Plain structs of strings, numbers and maps with string keys always
    // serialize.
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The monitoring paths, as Go names them, for the index and `http_req_stats`.
pub const MONITOR_PATHS: &[&str] = &[
    "/varz", "/connz", "/routez", "/gatewayz", "/leafz", "/subsz", "/accountz", "/accstatz", "/jsz", "/healthz",
    "/metrics",
];

impl Server {
    /// Answers one monitoring request. `target` is the request target
    /// (path and query). Counts it in `/varz`'s `http_req_stats`.
    pub fn handle_monitor_request(
        &mut self,
        now: Instant,
        realtime: UnixNanos,
        target: &str,
        process: ProcessStats,
    ) -> MonitorResponse {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let base = normalized_base(&self.opts.http_base_path);
        let Some(rest) = path.strip_prefix(base.as_str()) else { return MonitorResponse::not_found() };
        let rest = if rest.is_empty() { "/" } else { rest };
        if !rest.starts_with('/') {
            return MonitorResponse::not_found();
        }
        let endpoint = if rest == "/subscriptionsz" { "/subsz" } else { rest };
        if endpoint == "/" || MONITOR_PATHS.contains(&endpoint) {
            *self.http_req_stats.entry(endpoint.to_string()).or_insert(0) += 1;
        }
        let q = Query::parse(query);
        match self.route(now, realtime, endpoint, &q, process, &base) {
            Ok(r) | Err(r) => r,
        }
    }

    fn route(
        &self,
        now: Instant,
        realtime: UnixNanos,
        endpoint: &str,
        q: &Query,
        process: ProcessStats,
        base: &str,
    ) -> Result<MonitorResponse, MonitorResponse> {
        let ok = |body: String| Ok(MonitorResponse::json(200, body));
        match endpoint {
            "/" => Ok(MonitorResponse { status: 200, content_type: "text/html; charset=utf-8", body: index_html(base) }),
            "/varz" => ok(pretty(&self.varz(now, realtime, process))),
            "/connz" => {
                let o = ConnzOptions {
                    sort: SortOpt::parse(q.get("sort")).map_err(MonitorResponse::bad_request)?,
                    auth: q.bool("auth")?,
                    subs: q.subs()?,
                    offset: q.int("offset")?,
                    limit: q.int("limit")?,
                    cid: q.uint("cid")?,
                    state: q.state()?,
                    user: q.get("user").to_string(),
                    acc: q.get("acc").to_string(),
                };
                let c = self.connz(now, realtime, &o).map_err(MonitorResponse::bad_request)?;
                ok(pretty(&c))
            }
            "/routez" => {
                q.subs()?;
                ok(pretty(&self.routez(realtime)))
            }
            "/gatewayz" => {
                q.subs()?;
                q.bool("accs")?;
                ok(pretty(&self.gatewayz(realtime)))
            }
            "/leafz" => {
                q.bool("subs")?;
                ok(pretty(&self.leafz(realtime)))
            }
            "/subsz" => {
                let o = SubszOptions {
                    subscriptions: q.bool("subs")?,
                    offset: q.int("offset")?,
                    limit: q.int("limit")?,
                    account: q.get("acc").to_string(),
                    test: q.get("test").to_string(),
                };
                ok(pretty(&self.subsz(realtime, &o).map_err(MonitorResponse::bad_request)?))
            }
            "/accountz" => ok(pretty(&self.accountz(realtime, q.get("acc")).map_err(MonitorResponse::bad_request)?)),
            "/accstatz" => {
                let unused = q.bool("unused")?;
                ok(pretty(&self.accstatz(realtime, &[], unused)))
            }
            "/healthz" => {
                for key in ["js-enabled", "js-meta-only"] {
                    q.bool(key)?;
                }
                let o = HealthzOptions {
                    js_enabled_only: q.bool("js-enabled-only")?,
                    js_server_only: q.bool("js-server-only")?,
                    details: q.bool("details")?,
                    account: q.get("account").to_string(),
                    stream: q.get("stream").to_string(),
                    consumer: q.get("consumer").to_string(),
                };
                let h = self.healthz(&o);
                // Go marshals /healthz compactly.
                Ok(MonitorResponse::json(h.status_code, serde_json::to_string(&h).unwrap_or_default()))
            }
            "/jsz" => {
                for key in ["direct-consumers", "raft", "stream-leader-only"] {
                    q.bool(key)?;
                }
                let o = JszOptions {
                    account: q.get("acc").to_string(),
                    accounts: q.bool("accounts")?,
                    streams: q.bool("streams")?,
                    consumers: q.bool("consumers")?,
                    config: q.bool("config")?,
                    leader_only: q.bool("leader-only")?,
                    offset: q.int("offset")?,
                    limit: q.int("limit")?,
                };
                ok(pretty(&self.jsz(realtime, &o).map_err(MonitorResponse::bad_request)?))
            }
            "/metrics" => Ok(MonitorResponse {
                status: 200,
                content_type: "text/plain; version=0.0.4; charset=utf-8",
                body: super::metrics::render(&self.varz(now, realtime, process)),
            }),
            _ => Err(MonitorResponse::not_found()),
        }
    }
}

/// Go cleans `http_base_path`: no trailing slash, a leading one.
fn normalized_base(base: &str) -> String {
    let b = base.trim_end_matches('/');
    if b.is_empty() {
        String::new()
    } else if b.starts_with('/') {
        b.to_string()
    } else {
        format!("/{b}")
    }
}

fn index_html(base: &str) -> String {
    let mut links = String::new();
    for p in MONITOR_PATHS {
        links.push_str(&format!("    <a href=\"{base}{p}\">{p}</a><br/>\n"));
    }
    format!(
        "<html lang=\"en\">\n  <head><title>rnatsd monitoring</title></head>\n  <body>\n    <h1>rnatsd v{} (nats-server v{} compatible)</h1>\n{links}  </body>\n</html>\n",
        super::RNATSD_VERSION,
        super::NATS_COMPAT_VERSION
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding_like_go() {
        let q = Query::parse("acc=%24G&subs=detail&test=foo.bar&x=a+b");
        assert_eq!(q.get("acc"), "$G");
        assert_eq!(q.subs().unwrap(), SubsOpt::Detail);
        assert_eq!(q.get("x"), "a b");
        assert_eq!(q.get("missing"), "");
        let bad = Query::parse("auth=yes").bool("auth").unwrap_err();
        assert_eq!(bad.status, 400);
        assert_eq!(bad.body, "Error decoding boolean for 'auth': strconv.ParseBool: parsing \"yes\": invalid syntax");
        assert_eq!(Query::parse("state=ANY").state().unwrap(), ConnzState::All);
        assert!(Query::parse("state=gone").state().is_err());
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn base_path_normalized() {
        assert_eq!(normalized_base(""), "");
        assert_eq!(normalized_base("/"), "");
        assert_eq!(normalized_base("nats/"), "/nats");
    }
}
