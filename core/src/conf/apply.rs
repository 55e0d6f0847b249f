//! Applying a parsed config map to [`ServerOptions`]: a port of the parts
//! of Go's opts.go `processConfigFileLine` that rnatsd supports.
//!
//! Keys Go knows but rnatsd does not support yet produce a warning naming
//! the key; keys Go does not know produce Go's `unknown field` error. A
//! value of the wrong type produces the message Go's type assertion panic
//! turns into (`interface conversion: interface {} is int64, not string`).

use std::time::Duration;

use super::duration::{format_duration, go_quote, parse_duration};
use super::value::{ConfError, Kind, Map, Value};
use crate::options::{ServerOptions, AUTH_TIMEOUT, DEFAULT_HOST};

/// Top-level keys Go's processConfigFileLine accepts that rnatsd ignores for now.
pub const UNSUPPORTED_KEYS: &[&str] = &[
    "mappings",
    "maps",
    "disable_sublist_cache",
    "no_sublist_cache",
    "default_sentinel",
    "gateway",
    "leaf",
    "leafnodes",
    "logfile_max_num",
    "log_max_num",
    "prof_block_rate",
    "proxy_protocol",
    "max_sub_tokens",
    "max_subscription_tokens",
    "ocsp",
    "write_timeout",
    "resolver_tls",
    "trusted",
    "trusted_keys",
    "connect_error_reports",
    "reconnect_error_reports",
    "websocket",
    "ws",
    "mqtt",
    "server_tags",
    "server_metadata",
    "feature_flags",
    "default_js_domain",
    "ocsp_cache",
    "no_fast_producer_stall",
    "max_closed_clients",
    "proxies",
];

const UNSUPPORTED_JETSTREAM_KEYS: &[&str] = &[
    "prev_key",
    "prev_ek",
    "prev_encryption_key",
    "extension_hint",
    "limits",
    "tpm",
    "unique_tag",
    "max_outstanding_catchup",
    "max_buffered_size",
    "max_buffered_msgs",
    "request_queue_limit",
    "info_queue_limit",
    "meta_compact",
    "meta_compact_size",
    "meta_compact_sync",
    "max_concurrent_io",
];

const UNSUPPORTED_CLUSTER_KEYS: &[&str] = &[
    "authorization",
    "tls",
    "connect_backoff",
    "permissions",
    "pool_size",
    "accounts",
    "compression",
    "ping_interval",
    "ping_max",
    "write_deadline",
    "write_timeout",
];

/// Applies `map` to `opts`. Returns the warnings (also appended to
/// `opts.warnings`), or every error found.
pub fn apply_config(map: &Map, opts: &mut ServerOptions) -> Result<Vec<String>, Vec<ConfError>> {
    let mut no_files = |name: &str| Err(format!("open {name}: no such file or directory"));
    apply_config_with_files(map, opts, &mut no_files)
}

/// Like [`apply_config`]; `read_file` reads files the config names by
/// path (the `operator` JWT), as the adapter reads includes.
pub fn apply_config_with_files(
    map: &Map,
    opts: &mut ServerOptions,
    read_file: super::operator::ReadFileFn<'_>,
) -> Result<Vec<String>, Vec<ConfError>> {
    let mut a = Applier::default();
    for (k, v) in map.iter() {
        if let Err(e) = a.process_config_file_line(k, v, opts) {
            a.errors.push(e);
        }
    }
    match super::operator::parse_operator_config(map, read_file) {
        Ok(cfg) if cfg.is_operator_mode() => {
            if opts.system_account.is_none() {
                opts.system_account = cfg.system_account.clone();
            }
            opts.operator = Some(cfg);
        }
        Ok(cfg) => {
            if cfg.resolver.is_some() || !cfg.resolver_preload.is_empty() {
                a.warnings.push("resolver configured without an operator: ignored".to_string());
            }
            opts.operator = None;
        }
        Err(errs) => a.errors.extend(errs),
    }
    opts.warnings.extend(a.warnings.iter().cloned());
    if a.errors.is_empty() {
        Ok(a.warnings)
    } else {
        Err(a.errors)
    }
}

#[derive(Default)]
pub(crate) struct Applier {
    pub(crate) errors: Vec<ConfError>,
    pub(crate) warnings: Vec<String>,
}

/// Go's type-assertion failure text.
pub(crate) fn conv_err(v: &Value, want: &str) -> ConfError {
    let msg = format!(
        "interface conversion: interface {{}} is {}, not {}",
        v.kind.go_type_name(),
        want
    );
    ConfError::at(v, msg)
}

pub(crate) fn string(v: &Value) -> Result<String, ConfError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| conv_err(v, "string"))
}

pub(crate) fn int(v: &Value) -> Result<i64, ConfError> {
    v.as_int().ok_or_else(|| conv_err(v, "int64"))
}

pub(crate) fn boolean(v: &Value) -> Result<bool, ConfError> {
    v.as_bool().ok_or_else(|| conv_err(v, "bool"))
}

/// An int64 that must fit Go's `int` field; ours are i32.
fn int32(k: &str, v: &Value) -> Result<i32, ConfError> {
    let n = int(v)?;
    i32::try_from(n).map_err(|_| ConfError::at(v, format!("{k} value is out of range")))
}

/// Go's `unknownConfigFieldErr`.
pub(crate) fn unknown_field(k: &str, v: &Value) -> ConfError {
    ConfError::at(v, format!("unknown field {}", go_quote(k)))
}

/// Nanoseconds to a Duration; rnatsd has no negative durations (clamped to zero).
pub(crate) fn nanos_to_duration(n: i64) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(0))
}

/// Go's `%v` of a config value, for error texts.
pub(crate) fn go_fmt_v(kind: &Kind) -> String {
    match kind {
        Kind::String(s) => s.clone(),
        Kind::Bool(b) => b.to_string(),
        Kind::Integer(n) => n.to_string(),
        Kind::Float(f) => f.to_string(),
        Kind::DateTime(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} +0000 UTC",
            d.year, d.month, d.day, d.hour, d.minute, d.second
        ),
        Kind::Array(a) => {
            let items: Vec<String> = a.iter().map(|v| go_fmt_v(&v.kind)).collect();
            format!("[{}]", items.join(" "))
        }
        Kind::Map(m) => {
            let mut items: Vec<(String, String)> = m
                .iter()
                .map(|(k, v)| (k.to_string(), go_fmt_v(&v.kind)))
                .collect();
            items.sort();
            let items: Vec<String> = items.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
            format!("map[{}]", items.join(" "))
        }
    }
}

/// Go's `net.SplitHostPort`.
fn split_host_port(s: &str) -> Option<(String, String)> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &rest[..end];
        let port = rest[end + 1..].strip_prefix(':')?;
        if port.contains(':') || port.contains(']') {
            return None;
        }
        return Some((host.to_string(), port.to_string()));
    }
    let i = s.rfind(':')?;
    let (host, port) = (&s[..i], &s[i + 1..]);
    if host.contains(':') || host.contains('[') || host.contains(']') || port.contains(']') {
        return None;
    }
    Some((host.to_string(), port.to_string()))
}

/// Go's `parseListen`: a port, or a "host:port" string.
pub(crate) fn parse_listen(v: &Value) -> Result<(String, i32), ConfError> {
    match &v.kind {
        Kind::Integer(n) => {
            let port = i32::try_from(*n)
                .map_err(|_| ConfError::at(v, format!("could not parse port \"{n}\"")))?;
            Ok((String::new(), port))
        }
        Kind::String(s) => {
            let Some((host, port)) = split_host_port(s) else {
                return Err(ConfError::at(
                    v,
                    format!("could not parse address string {}", go_quote(s)),
                ));
            };
            let port = port.parse::<i32>().map_err(|_| {
                ConfError::at(v, format!("could not parse port {}", go_quote(&port)))
            })?;
            Ok((host, port))
        }
        other => Err(ConfError::at(
            v,
            format!("expected port or host:port, got {}", other.go_type_name()),
        )),
    }
}

impl Applier {
    pub(crate) fn warn(&mut self, v: &Value, field: &str, reason: &str) {
        // Go's configWarningErr text.
        self.warnings.push(format!(
            "{}:{}:{}: invalid use of field {}: {}",
            v.source,
            v.line,
            v.pos,
            go_quote(field),
            reason
        ));
    }

    pub(crate) fn warn_unsupported(&mut self, field: &str, v: &Value) {
        self.warnings.push(format!(
            "{}:{}:{}: field {} is not supported by rnatsd yet and was ignored",
            v.source,
            v.line,
            v.pos,
            go_quote(field)
        ));
    }

    /// Go's `parseDuration`: a duration string, or (deprecated, with a
    /// warning) an integer number of seconds.
    pub(crate) fn parse_duration_field(
        &mut self,
        field: &str,
        v: &Value,
    ) -> Result<Duration, ConfError> {
        match &v.kind {
            Kind::String(s) => match parse_duration(s) {
                Ok(n) => Ok(nanos_to_duration(n)),
                Err(e) => Err(ConfError::at(v, format!("error parsing {field}: {e}"))),
            },
            Kind::Integer(n) => {
                self.warn(
                    v,
                    field,
                    &format!("{field} should be converted to a duration"),
                );
                Ok(Duration::from_secs(u64::try_from(*n).unwrap_or(0)))
            }
            _ => Err(conv_err(v, "int64")),
        }
    }

    fn process_config_file_line(
        &mut self,
        k: &str,
        v: &Value,
        o: &mut ServerOptions,
    ) -> Result<(), ConfError> {
        let key = k.to_ascii_lowercase();
        match key.as_str() {
            "listen" => {
                let (host, port) = parse_listen(v)?;
                o.host = if host.is_empty() {
                    DEFAULT_HOST.to_string()
                } else {
                    host
                };
                o.port = port;
            }
            "client_advertise" => o.client_advertise = Some(string(v)?),
            "port" => o.port = int32(k, v)?,
            "server_name" => {
                let sn = string(v)?;
                if sn.contains(' ') {
                    return Err(ConfError::at(v, "server name cannot contain spaces"));
                }
                o.server_name = sn;
            }
            "host" | "net" => o.host = string(v)?,
            "debug" => o.debug = boolean(v)?,
            "trace" => o.trace = boolean(v)?,
            "trace_verbose" => {
                o.trace_verbose = boolean(v)?;
                o.trace = o.trace_verbose;
            }
            "trace_headers" => {
                o.trace_headers = boolean(v)?;
                o.trace = o.trace_headers;
            }
            "logtime" => o.logtime = boolean(v)?,
            "logtime_utc" => o.logtime_utc = boolean(v)?,
            "authorization" => self.apply_authorization(v, o)?,
            "http" => {
                let (host, port) = parse_listen(v)?;
                if !host.is_empty() {
                    o.http_host = host;
                }
                o.http_port = port;
            }
            "https" => {
                let (host, port) = parse_listen(v)?;
                if !host.is_empty() {
                    o.http_host = host;
                }
                o.https_port = port;
            }
            "http_port" | "monitor_port" => o.http_port = int32(k, v)?,
            "https_port" => o.https_port = int32(k, v)?,
            "http_base_path" => o.http_base_path = string(v)?,
            "cluster" => self.parse_cluster(v, o)?,
            "store_dir" | "storedir" => {
                if o.jetstream
                    .store_dir
                    .as_deref()
                    .is_some_and(|d| !d.is_empty())
                {
                    return Err(ConfError::at(v, "Duplicate 'store_dir' configuration"));
                }
                o.jetstream.store_dir = Some(string(v)?);
            }
            "jetstream" => self.parse_jetstream(v, o)?,
            "logfile" | "log_file" => o.log_file = Some(string(v)?),
            "logfile_size_limit" | "log_size_limit" => o.log_size_limit = int(v)?,
            "syslog" => o.syslog = boolean(v)?,
            "remote_syslog" => o.remote_syslog = Some(string(v)?),
            "pidfile" | "pid_file" => o.pid_file = Some(string(v)?),
            "ports_file_dir" => o.ports_file_dir = Some(string(v)?),
            "prof_port" => o.prof_port = int32(k, v)?,
            "max_control_line" => o.max_control_line = int31(k, v)?,
            "max_payload" => o.max_payload = int31(k, v)?,
            "max_pending" => o.max_pending = int(v)?,
            "max_connections" | "max_conn" => {
                o.max_conn = int32(k, v)?;
                if o.max_conn == 0 {
                    o.max_conn = -1;
                }
            }
            "max_traced_msg_len" => o.max_traced_msg_len = int32(k, v)?,
            "max_subscriptions" | "max_subs" => o.max_subs = int32(k, v)?,
            "ping_interval" => o.ping_interval = self.parse_duration_field("ping_interval", v)?,
            "ping_max" => o.max_pings_out = int32(k, v)?,
            "write_deadline" => {
                o.write_deadline = self.parse_duration_field("write_deadline", v)?
            }
            "lame_duck_duration" => {
                let d = parse_duration(&string(v)?).map_err(|e| {
                    ConfError::at(v, format!("error parsing lame_duck_duration: {e}"))
                })?;
                if d < 30_000_000_000 {
                    let msg = format!(
                        "invalid lame_duck_duration of {}, minimum is 30 seconds",
                        format_duration(d)
                    );
                    return Err(ConfError::at(v, msg));
                }
                o.lame_duck_duration = nanos_to_duration(d);
            }
            "lame_duck_grace_period" => {
                let d = parse_duration(&string(v)?).map_err(|e| {
                    ConfError::at(v, format!("error parsing lame_duck_grace_period: {e}"))
                })?;
                if d < 0 {
                    return Err(ConfError::at(
                        v,
                        "invalid lame_duck_grace_period, needs to be positive",
                    ));
                }
                o.lame_duck_grace_period = nanos_to_duration(d);
            }
            "tls" => self.apply_tls(v, o)?,
            "allow_non_tls" => o.allow_non_tls = boolean(v)?,
            "no_auth_user" => o.no_auth_user = Some(string(v)?),
            "accounts" => self.apply_accounts(v, o)?,
            "system_account" | "system" => o.system_account = Some(string(v)?).filter(|s| !s.is_empty()),
            "no_system_account" | "no_system" | "no_sys_acc" => o.no_system_account = boolean(v)?,
            "no_header_support" => o.no_header_support = boolean(v)?,
            // Operator mode: parsed as a whole by `conf::operator` after this loop.
            "operator" | "operators" | "roots" | "root" | "root_operators" | "root_operator" | "resolver"
            | "account_resolver" | "accounts_resolver" | "resolver_preload" | "resolver_pinned_accounts" => {}
            _ if UNSUPPORTED_KEYS.contains(&key.as_str()) => self.warn_unsupported(k, v),
            _ => {
                if !v.used_variable {
                    return Err(unknown_field(k, v));
                }
            }
        }
        Ok(())
    }

    fn parse_cluster(&mut self, v: &Value, o: &mut ServerOptions) -> Result<(), ConfError> {
        let Some(cm) = v.as_map() else {
            let msg = format!(
                "Expected map to define cluster, got {}",
                v.kind.go_type_name()
            );
            return Err(ConfError::at(v, msg));
        };
        let (mut host, mut port): (Option<String>, Option<i32>) = (None, None);
        for (mk, mv) in cm.iter() {
            if let Err(e) = self.cluster_field(mk, mv, o, &mut host, &mut port) {
                self.errors.push(e);
            }
        }
        if let Some(port) = port.filter(|p| *p != 0) {
            let host = host
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| DEFAULT_HOST.to_string());
            o.cluster_listen = Some(format!("{host}:{port}"));
        }
        Ok(())
    }

    fn cluster_field(
        &mut self,
        mk: &str,
        mv: &Value,
        o: &mut ServerOptions,
        host: &mut Option<String>,
        port: &mut Option<i32>,
    ) -> Result<(), ConfError> {
        let key = mk.to_ascii_lowercase();
        match key.as_str() {
            "name" => {
                let cn = string(mv)?;
                if cn.contains(' ') {
                    return Err(ConfError::at(mv, "cluster name cannot contain spaces"));
                }
                o.cluster_name = Some(cn);
            }
            "listen" => {
                let (h, p) = parse_listen(mv)?;
                *host = Some(h);
                *port = Some(p);
            }
            "port" => *port = Some(int32(mk, mv)?),
            "host" | "net" => *host = Some(string(mv)?),
            "routes" => {
                let Some(ra) = mv.as_array() else {
                    return Err(conv_err(mv, "[]interface {}"));
                };
                let mut routes = Vec::with_capacity(ra.len());
                for r in ra {
                    routes.push(string(r)?);
                }
                o.routes = routes;
            }
            "cluster_advertise" | "advertise" => o.cluster_advertise = Some(string(mv)?),
            "no_advertise" => o.cluster_no_advertise = boolean(mv)?,
            "connect_retries" => o.cluster_connect_retries = int32(mk, mv)?,
            _ if UNSUPPORTED_CLUSTER_KEYS.contains(&key.as_str()) => self.warn_unsupported(mk, mv),
            _ => {
                if !mv.used_variable {
                    return Err(unknown_field(mk, mv));
                }
            }
        }
        Ok(())
    }

    fn parse_jetstream(&mut self, v: &Value, o: &mut ServerOptions) -> Result<(), ConfError> {
        match &v.kind {
            Kind::Bool(b) => o.jetstream.enabled = *b,
            Kind::String(s) => match s.to_ascii_lowercase().as_str() {
                "enabled" | "enable" => o.jetstream.enabled = true,
                "disabled" | "disable" => o.jetstream.enabled = false,
                _ => {
                    let msg =
                        format!("Expected 'enabled' or 'disabled' for string value, got '{s}'");
                    return Err(ConfError::at(v, msg));
                }
            },
            Kind::Map(m) => {
                let mut do_enable = true;
                for (mk, mv) in m.iter() {
                    self.jetstream_field(mk, mv, o, &mut do_enable)?;
                }
                o.jetstream.enabled = do_enable;
            }
            other => {
                let msg = format!(
                    "Expected map, bool or string to define JetStream, got {}",
                    other.go_type_name()
                );
                return Err(ConfError::at(v, msg));
            }
        }
        Ok(())
    }

    fn jetstream_field(
        &mut self,
        mk: &str,
        mv: &Value,
        o: &mut ServerOptions,
        do_enable: &mut bool,
    ) -> Result<(), ConfError> {
        let key = mk.to_ascii_lowercase();
        match key.as_str() {
            "strict" => match mv.as_bool() {
                Some(b) => o.jetstream.strict = b,
                None => {
                    let msg = format!(
                        "Expected 'true' or 'false' for bool value, got '{}'",
                        go_fmt_v(&mv.kind)
                    );
                    return Err(ConfError::at(mv, msg));
                }
            },
            "store" | "store_dir" | "storedir" => {
                if o.jetstream
                    .store_dir
                    .as_deref()
                    .is_some_and(|d| !d.is_empty())
                {
                    return Err(ConfError::at(mv, "Duplicate 'store_dir' configuration"));
                }
                o.jetstream.store_dir = Some(string(mv)?);
            }
            "sync" | "sync_interval" => {
                if mv
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("always"))
                {
                    o.jetstream.sync_always = true;
                    o.jetstream.sync_interval = Some(Duration::ZERO);
                } else {
                    match self.parse_duration_field(mk, mv) {
                        Ok(d) => o.jetstream.sync_interval = Some(d),
                        Err(e) => self.errors.push(e),
                    }
                }
            }
            "max_memory_store" | "max_mem_store" | "max_mem" => {
                let s = get_storage_size(mv)
                    .map_err(|e| ConfError::at(mv, format!("max_mem_store {e}")))?;
                o.jetstream.max_memory_store = s;
            }
            "max_file_store" | "max_file" => {
                let s = get_storage_size(mv)
                    .map_err(|e| ConfError::at(mv, format!("max_file_store {e}")))?;
                o.jetstream.max_file_store = s;
            }
            "domain" => o.jetstream.domain = Some(string(mv)?),
            "key" | "ek" | "encryption_key" => {
                let k = string(mv)?;
                if k.is_empty() {
                    return Err(ConfError::at(mv, "JetStream encryption key must not be empty"));
                }
                o.jetstream.key = Some(k);
            }
            "cipher" => {
                let c = string(mv)?;
                match crate::store::filestore::Cipher::parse(&c) {
                    Some(c) => o.jetstream.cipher = Some(c),
                    None => {
                        let msg = format!("Unknown cipher type: {c:?}");
                        return Err(ConfError::at(mv, msg));
                    }
                }
            }
            "enable" | "enabled" => *do_enable = boolean(mv)?,
            _ if UNSUPPORTED_JETSTREAM_KEYS.contains(&key.as_str()) => {
                self.warn_unsupported(mk, mv)
            }
            _ => {
                if !mv.used_variable {
                    self.errors.push(unknown_field(mk, mv));
                }
            }
        }
        Ok(())
    }
}

/// `max_control_line` and `max_payload`: at most 1<<31-1.
fn int31(k: &str, v: &Value) -> Result<i32, ConfError> {
    let n = int(v)?;
    if n > i64::from(i32::MAX) {
        return Err(ConfError::at(v, format!("{k} value is too big")));
    }
    // Go truncates to int32 below the upper bound as well.
    Ok(n as i32)
}

/// Go's `getStorageSize`: an integer, or a string like "10G" (K, M, G, T = powers of 1024).
pub(crate) fn get_storage_size(v: &Value) -> Result<i64, String> {
    let s = match &v.kind {
        Kind::Integer(n) => return Ok(*n),
        Kind::String(s) => s,
        _ => return Err("must be int64 or string".to_string()),
    };
    let Some(last) = s.chars().last() else {
        return Ok(0);
    };
    let prefix = &s[..s.len() - last.len_utf8()];
    let num: i64 = prefix.parse().map_err(|_| {
        format!(
            "strconv.ParseInt: parsing {}: invalid syntax",
            go_quote(prefix)
        )
    })?;
    let shift = match last {
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return Err("sizes defined as strings must end in K, M, G, T".to_string()),
    };
    Ok(num.wrapping_mul(1 << shift))
}

/// The authorization timeout in seconds (Go keeps a float) as a Duration;
/// zero means Go's default.
pub(crate) fn auth_timeout(secs: f64) -> Duration {
    if secs == 0.0 {
        return AUTH_TIMEOUT;
    }
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
}
