//! Operator-mode config keys (Go's opts.go cases `operator`, `resolver`,
//! `resolver_preload`, `resolver_pinned_accounts`, `system_account` and
//! jwt.go `readOperatorJWT` / `validateTrustedOperators`), parsed into an
//! [`OperatorConfig`] for `apply.rs` to wire in.
//!
//! Pure: an `operator` value naming a file is read through a callback
//! (the adapter reads the disk); a value that cannot be read but starts
//! with `eyJ` is taken as an inline JWT, as Go does.

use std::collections::BTreeSet;

use super::duration::parse_duration;
use super::value::{ConfError, Kind, Map, Value};
use crate::jwt::auth::TrustedOperators;
use crate::jwt::claims::OperatorClaims;
use crate::jwt::creds::parse_decorated_jwt;
use crate::jwt::decode::{decode_account_claims, decode_operator_claims};

/// Go's `jwtPrefix`: how an inline JWT starts.
pub const JWT_PREFIX: &str = "eyJ";

/// Reads a file named in the config: its contents or an error text.
pub type ReadFileFn<'a> = &'a mut dyn FnMut(&str) -> Result<String, String>;

/// The `resolver` setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolverConfig {
    /// `resolver: MEMORY` (or `MEM`, or `type: mem` in a map).
    Memory,
    /// `resolver: URL("...")`, or the operator's `account_server_url` +
    /// `/accounts` (parsed, not supported by this server yet).
    Url(String),
    /// `resolver: {type: full, dir: ...}`.
    Full {
        dir: String,
        allow_delete: bool,
        hard_delete: bool,
        /// Max JWTs stored (0: no limit).
        limit: i64,
        /// Sync interval (`interval`), nanoseconds; 0 means Go's default (1m).
        interval_nanos: i64,
        /// Fetch timeout (`timeout`), nanoseconds; 0 means the default.
        timeout_nanos: i64,
    },
    /// `resolver: {type: cache, dir: ...}` (parsed, not supported yet).
    Cache { dir: String, limit: i64, ttl_nanos: i64, timeout_nanos: i64 },
}

/// Everything operator mode needs from the config file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperatorConfig {
    /// Each trusted operator: its JWT and its claims.
    pub operators: Vec<(String, OperatorClaims)>,
    /// `system_account`, else the single operator's `system_account`.
    pub system_account: Option<String>,
    pub resolver: Option<ResolverConfig>,
    /// `resolver_preload`, in file order: account public key -> JWT.
    pub resolver_preload: Vec<(String, String)>,
    pub resolver_pinned_accounts: Option<BTreeSet<String>>,
}

impl OperatorConfig {
    /// True when any operator is configured (the server runs in operator
    /// mode and needs a resolver).
    pub fn is_operator_mode(&self) -> bool {
        !self.operators.is_empty()
    }

    /// `resolver_pinned_accounts` plus the system account, as Go's
    /// `validateTrustedOperators` extends it.
    pub fn pinned_accounts(&self) -> Option<BTreeSet<String>> {
        let mut set = self.resolver_pinned_accounts.clone()?;
        if let Some(sys) = &self.system_account {
            set.insert(sys.clone());
        }
        Some(set)
    }

    /// Go's `validateTrustedOperators` (the parts that concern these keys;
    /// the caller checks that no `accounts`/`users` are configured).
    pub fn trusted_operators(&self) -> Result<TrustedOperators, String> {
        if self.operators.is_empty() {
            return Ok(TrustedOperators::default());
        }
        let Some(res) = &self.resolver else {
            return Err("operators require an account resolver to be configured".into());
        };
        let ops: Vec<OperatorClaims> = self.operators.iter().map(|(_, c)| c.clone()).collect();
        if self.system_account.is_none() && ops[0].nats.system_account.is_empty() {
            if let ResolverConfig::Full { .. } | ResolverConfig::Cache { .. } = res {
                return Err("using nats based account resolver - the system account needs to be \
                            specified in configuration or the operator jwt"
                    .into());
            }
        }
        TrustedOperators::new(ops, self.system_account.as_deref())
    }
}

/// Go's `readOperatorJWT`: a file (maybe decorated) or an inline JWT.
pub fn read_operator_jwt(name: &str, read_file: ReadFileFn<'_>) -> Result<(String, OperatorClaims), String> {
    let contents = match read_file(name) {
        Ok(c) => c,
        Err(_) if name.starts_with(JWT_PREFIX) => name.to_string(),
        Err(e) => return Err(e),
    };
    let jwt = parse_decorated_jwt(&contents);
    let claims = decode_operator_claims(&jwt).map_err(|e| e.to_string())?;
    Ok((jwt, claims))
}

fn str_of(v: &Value) -> Option<&str> {
    v.as_str()
}

/// Parses the operator-mode keys of the top-level config map. Other keys
/// are ignored. Errors are collected like Go's `configErr`s.
pub fn parse_operator_config(map: &Map, read_file: ReadFileFn<'_>) -> Result<OperatorConfig, Vec<ConfError>> {
    let mut cfg = OperatorConfig::default();
    let mut errors = Vec::new();
    // Go processes system_account before everything else.
    for (k, v) in map.iter() {
        if matches!(k.to_ascii_lowercase().as_str(), "system_account" | "system") {
            match str_of(v) {
                Some(s) => cfg.system_account = Some(s.to_string()),
                None => errors.push(ConfError::at(v, "system_account should be a string")),
            }
        }
    }
    let mut operator_url = None;
    for (k, v) in map.iter() {
        match k.to_ascii_lowercase().as_str() {
            "operator" | "operators" | "roots" | "root" | "root_operators" | "root_operator" => {
                parse_operators(v, read_file, &mut cfg, &mut errors);
                if cfg.operators.len() == 1 {
                    let url = &cfg.operators[0].1.nats.account_server_url;
                    if !url.is_empty() && url.contains("://") {
                        operator_url = Some(format!("{}/accounts", url.trim_end_matches('/')));
                    }
                    if cfg.system_account.is_none() && !cfg.operators[0].1.nats.system_account.is_empty() {
                        cfg.system_account = Some(cfg.operators[0].1.nats.system_account.clone());
                    }
                }
            }
            "resolver" | "account_resolver" | "accounts_resolver" => match parse_resolver(v) {
                Ok(r) => cfg.resolver = Some(r),
                Err(e) => errors.push(e),
            },
            "resolver_preload" => parse_preload(v, &mut cfg, &mut errors),
            "resolver_pinned_accounts" => parse_pinned(v, &mut cfg, &mut errors),
            _ => {}
        }
    }
    // The operator's account server URL is used only without `resolver`.
    if cfg.resolver.is_none() {
        cfg.resolver = operator_url.map(ResolverConfig::Url);
    }
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(errors)
    }
}

fn parse_operators(v: &Value, read_file: ReadFileFn<'_>, cfg: &mut OperatorConfig, errors: &mut Vec<ConfError>) {
    let names: Vec<&str> = match &v.kind {
        Kind::String(s) => vec![s.as_str()],
        Kind::Array(a) => {
            let mut out = Vec::new();
            for item in a {
                match item.as_str() {
                    Some(s) => out.push(s),
                    None => errors.push(ConfError::at(
                        v,
                        format!(
                            "error parsing operators: unsupported type {} where string is expected",
                            item.kind.go_type_name()
                        ),
                    )),
                }
            }
            out
        }
        other => {
            errors.push(ConfError::at(v, format!("error parsing operators: unsupported type {}", other.go_type_name())));
            return;
        }
    };
    cfg.operators.clear();
    for name in names {
        match read_operator_jwt(name, read_file) {
            Ok(op) => cfg.operators.push(op),
            Err(e) => errors.push(ConfError::at(v, format!("error parsing operator JWT: {e}"))),
        }
    }
}

fn parse_resolver(v: &Value) -> Result<ResolverConfig, ConfError> {
    let bad = || {
        ConfError::at(
            v,
            "error parsing account resolver, should be MEM or  URL(\"url\") or a map containing dir and \
             type state=[FULL|CACHE])",
        )
    };
    match &v.kind {
        Kind::String(s) => {
            let up = s.trim().to_ascii_uppercase();
            if up.contains("MEM") {
                return Ok(ResolverConfig::Memory);
            }
            if let Some(rest) = up.strip_prefix("URL") {
                // Recover the original case of the URL inside URL("...").
                let orig = &s.trim()[3..];
                let inner = orig.trim().trim_start_matches('(').trim_end_matches(')').trim().trim_matches('"');
                if rest.is_empty() || inner.is_empty() || !inner.contains("://") {
                    return Err(ConfError::at(v, format!("error parsing account resolver url {inner:?}")));
                }
                return Ok(ResolverConfig::Url(inner.to_string()));
            }
            Err(bad())
        }
        Kind::Map(m) => parse_resolver_map(v, m).map_err(|msg| ConfError::at(v, msg)),
        other => Err(ConfError::at(v, format!("error parsing operator resolver, wrong type {}", other.go_type_name()))),
    }
}

fn dur(m: &Map, key: &str) -> Result<i64, String> {
    match m.get(key) {
        None => Ok(0),
        Some(v) => match v.as_str() {
            Some(s) => parse_duration(s),
            None => Err(format!("{key} should be a duration string")),
        },
    }
}

fn parse_resolver_map(v: &Value, m: &Map) -> Result<ResolverConfig, String> {
    let s = |key: &str| m.get(key).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let b = |key: &str| m.get(key).and_then(|x| x.as_bool());
    let dir = s("dir");
    let limit = m.get("limit").and_then(|x| x.as_int()).unwrap_or(0);
    let allow_delete = b("allow_delete").unwrap_or(false);
    let hard_delete = b("hard_delete");
    let ttl = dur(m, "ttl")?;
    let interval = dur(m, "interval")?;
    let timeout = dur(m, "timeout")?;
    let need_dir = || if dir.is_empty() { Err("dir has no value and needs to point to a directory".to_string()) } else { Ok(()) };
    match s("type").to_ascii_uppercase().as_str() {
        "FULL" => {
            need_dir()?;
            if ttl != 0 {
                return Err("FULL does not accept ttl".into());
            }
            if hard_delete.is_some() && !allow_delete {
                return Err("hard_delete has no effect without delete".into());
            }
            Ok(ResolverConfig::Full {
                dir,
                allow_delete,
                hard_delete: hard_delete.unwrap_or(false),
                limit,
                interval_nanos: interval,
                timeout_nanos: timeout,
            })
        }
        "CACHE" => {
            need_dir()?;
            if interval != 0 {
                return Err("CACHE does not accept sync".into());
            }
            if allow_delete {
                return Err("CACHE does not accept allow_delete".into());
            }
            if hard_delete.is_some() {
                return Err("CACHE does not accept hard_delete".into());
            }
            Ok(ResolverConfig::Cache { dir, limit, ttl_nanos: ttl, timeout_nanos: timeout })
        }
        "MEM" | "MEMORY" => Ok(ResolverConfig::Memory),
        _ => {
            let _ = v;
            Err("error parsing account resolver, should be MEM or  URL(\"url\") or a map containing dir \
                 and type state=[FULL|CACHE])"
                .into())
        }
    }
}

fn parse_preload(v: &Value, cfg: &mut OperatorConfig, errors: &mut Vec<ConfError>) {
    let Some(m) = v.as_map() else {
        errors.push(ConfError::at(v, "preload should be a map of account_public_key:account_jwt"));
        return;
    };
    cfg.resolver_preload.clear();
    for (key, val) in m.iter() {
        let Some(jwt) = val.as_str() else {
            errors.push(ConfError::at(val, "preload map value should be a string JWT"));
            continue;
        };
        // A JWT that does not decode is a config error; expiry is checked later.
        if decode_account_claims(jwt).is_err() {
            errors.push(ConfError::at(val, "invalid account JWT"));
            continue;
        }
        cfg.resolver_preload.push((key.to_string(), jwt.to_string()));
    }
}

fn parse_pinned(v: &Value, cfg: &mut OperatorConfig, errors: &mut Vec<ConfError>) {
    let mut set = BTreeSet::new();
    match &v.kind {
        Kind::String(s) => {
            set.insert(s.clone());
        }
        Kind::Array(a) => {
            for item in a {
                match item.as_str() {
                    Some(s) => {
                        set.insert(s.to_string());
                    }
                    None => errors.push(ConfError::at(
                        item,
                        format!(
                            "error parsing resolver_pinned_accounts: unsupported type in array {}",
                            item.kind.go_type_name()
                        ),
                    )),
                }
            }
        }
        other => {
            errors.push(ConfError::at(
                v,
                format!("error parsing resolver_pinned_accounts: unsupported type {}", other.go_type_name()),
            ));
            return;
        }
    }
    for key in &set {
        if !crate::jwt::nkey::is_valid_public_account_key(key) {
            errors.push(ConfError::at(v, format!("pinned account key {key:?} is not a valid public account nkey")));
        }
    }
    cfg.resolver_pinned_accounts = Some(set);
}
