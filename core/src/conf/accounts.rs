//! The `accounts {}` block and `system_account`: a port of Go's opts.go
//! `parseAccounts`, `parseAccountExports`, `parseAccountImports`,
//! `parseExportStreamOrService`, `parseImportStreamOrService` and
//! `parseAccountLimits`. Names are resolved (and imports checked against
//! exports) when the server builds its accounts
//! ([`crate::server::accounts::Accounts::from_options`]).

use std::collections::HashSet;

use super::apply::{go_fmt_v, int, string, unknown_field, Applier};
use super::duration::{go_quote, parse_duration};
use super::value::{ConfError, Kind, Value};
use crate::options::{Permissions, ServerOptions};
use crate::server::accounts::{
    AccountLimits, AccountOptions, ExportKind, ExportOptions, ImportOptions, ResponseType, GLOBAL_ACCOUNT,
};

impl Applier {
    /// Go's `parseAccounts`: an array of names, or a map of account blocks.
    pub(crate) fn apply_accounts(&mut self, v: &Value, o: &mut ServerOptions) -> Result<(), ConfError> {
        if let Some(names) = v.as_array() {
            let mut seen = HashSet::new();
            for n in names {
                let Some(name) = n.as_str() else { return Err(ConfError::at(n, "Expected account name to be a string")) };
                if name == GLOBAL_ACCOUNT {
                    self.errors.push(ConfError::at(n, format!("{} is a Reserved Account", go_quote(name))));
                    continue;
                }
                if !seen.insert(name.to_string()) {
                    self.errors.push(ConfError::at(n, format!("Duplicate Account Entry: {name}")));
                    continue;
                }
                o.accounts.push(AccountOptions::new(name));
            }
            return Ok(());
        }
        let Some(am) = v.as_map() else {
            return Err(ConfError::at(v, format!("Expected map entries for accounts, got {}", go_fmt_v(&v.kind))));
        };
        let mut users_seen: HashSet<String> = o.users.iter().map(|u| u.username.clone()).collect();
        users_seen.extend(o.nkeys.iter().map(|u| u.nkey.clone()));
        for (name, av) in am.iter() {
            if av.used_variable {
                continue;
            }
            let Some(block) = av.as_map() else {
                self.errors.push(ConfError::at(av, "Expected map entries for accounts"));
                continue;
            };
            if name == GLOBAL_ACCOUNT {
                self.errors.push(ConfError::at(av, format!("{} is a Reserved Account", go_quote(name))));
                continue;
            }
            let mut acc = AccountOptions::new(name);
            let mut users_at = av;
            for (k, mv) in block.iter() {
                match k.to_ascii_lowercase().as_str() {
                    "nkey" => match mv.as_str() {
                        Some(nk) if nk.len() == 56 && nk.starts_with('A') => acc.nkey = Some(nk.to_string()),
                        _ => self.errors.push(ConfError::at(
                            mv,
                            format!("Not a valid public nkey for an account: {}", go_quote(&go_fmt_v(&mv.kind))),
                        )),
                    },
                    "imports" => match self.parse_account_imports(mv) {
                        Ok(i) => acc.imports = i,
                        Err(e) => self.errors.push(e),
                    },
                    "exports" => match self.parse_account_exports(mv) {
                        Ok(e) => acc.exports = e,
                        Err(e) => self.errors.push(e),
                    },
                    "users" => {
                        users_at = mv;
                        match self.parse_users(mv) {
                            Ok((users, nkeys)) => {
                                acc.users = users;
                                acc.nkeys = nkeys;
                            }
                            Err(e) => self.errors.push(e),
                        }
                    }
                    "default_permissions" => match self.parse_user_permissions(mv) {
                        Ok(p) => acc.default_permissions = Some(p),
                        Err(e) => self.errors.push(e),
                    },
                    "limits" => match parse_account_limits(mv) {
                        Ok(l) => acc.limits = l,
                        Err(e) => self.errors.push(e),
                    },
                    "jetstream" => {
                        acc.jetstream = !matches!(&mv.kind, Kind::Bool(false))
                            && !matches!(mv.as_str(), Some("disabled" | "disable" | "false"));
                        if mv.as_map().is_some() {
                            match parse_account_jetstream(mv) {
                                Ok(l) => acc.jetstream_limits = Some(l),
                                Err(e) => self.errors.push(e),
                            }
                        }
                    }
                    "mappings" | "maps" | "msg_trace" | "trace_dest" => self.warn_unsupported(k, mv),
                    _ => {
                        if !mv.used_variable {
                            self.errors.push(unknown_field(k, mv));
                        }
                    }
                }
            }
            if !acc.users.is_empty() || !acc.nkeys.is_empty() {
                if o.username.is_some() {
                    self.errors.push(ConfError::at(users_at, "Can not have a single user/pass and accounts"));
                    continue;
                }
                if o.authorization.is_some() {
                    self.errors.push(ConfError::at(users_at, "Can not have a token and accounts"));
                    continue;
                }
            }
            let defaults = acc.default_permissions.clone();
            apply_default_permissions(&mut acc, defaults);
            for n in acc.nkeys.iter().map(|u| &u.nkey).chain(acc.users.iter().map(|u| &u.username)) {
                if !users_seen.insert(n.clone()) {
                    let what = if n.len() == 56 && n.starts_with('U') { "nkey" } else { "user" };
                    self.errors.push(ConfError::at(users_at, format!("Duplicate {what} {} detected", go_quote(n))));
                }
            }
            o.accounts.push(acc);
        }
        Ok(())
    }

    fn parse_account_exports(&mut self, v: &Value) -> Result<Vec<ExportOptions>, ConfError> {
        let Some(items) = v.as_array() else {
            return Err(ConfError::at(v, format!("Exports should be an array, got {}", v.kind.go_type_name())));
        };
        let mut out = Vec::new();
        for item in items {
            match self.parse_export(item) {
                Ok(e) => out.push(e),
                Err(e) => self.errors.push(e),
            }
        }
        Ok(out)
    }

    /// Go's `parseExportStreamOrService`.
    fn parse_export(&mut self, v: &Value) -> Result<ExportOptions, ConfError> {
        let Some(m) = v.as_map() else {
            let msg = format!("Export Items should be a map with type entry, got {}", v.kind.go_type_name());
            return Err(ConfError::at(v, msg));
        };
        let mut kind = None;
        let mut subject = String::new();
        let mut accounts = Vec::new();
        let mut response_type = None;
        let mut threshold = None;
        for (k, mv) in m.iter() {
            match k.to_ascii_lowercase().as_str() {
                "stream" | "service" => {
                    let this = if k.eq_ignore_ascii_case("stream") { ExportKind::Stream } else { ExportKind::Service };
                    if kind.is_some_and(|x| x != this) {
                        let (a, b) = if this == ExportKind::Stream { ("stream", "service") } else { ("service", "stream") };
                        return Err(ConfError::at(mv, format!("Detected {a} {} but already saw a {b}", go_quote(&go_fmt_v(&mv.kind)))));
                    }
                    kind = Some(this);
                    let Some(s) = mv.as_str() else {
                        let what = if this == ExportKind::Stream { "stream" } else { "service" };
                        return Err(ConfError::at(mv, format!("Expected {what} name to be string, got {}", mv.kind.go_type_name())));
                    };
                    subject = s.to_string();
                }
                "response" | "response_type" => {
                    let Some(s) = mv.as_str() else {
                        return Err(ConfError::at(mv, format!("Expected response type to be string, got {}", mv.kind.go_type_name())));
                    };
                    response_type = Some(match s.to_ascii_lowercase().as_str() {
                        "single" | "singleton" => ResponseType::Singleton,
                        "stream" => ResponseType::Stream,
                        "chunk" | "chunked" => ResponseType::Chunked,
                        _ => return Err(ConfError::at(mv, format!("Unknown response type: {}", go_quote(s)))),
                    });
                }
                "threshold" | "response_threshold" | "response_max_time" | "response_time" => {
                    let d = mv.as_str().and_then(|s| parse_duration(s).ok()).filter(|n| *n > 0);
                    let Some(n) = d else {
                        let msg = format!(
                            "Expected response threshold to be a parseable time duration, got {}",
                            go_quote(&go_fmt_v(&mv.kind))
                        );
                        return Err(ConfError::at(mv, msg));
                    };
                    threshold = Some(std::time::Duration::from_nanos(n as u64));
                }
                "accounts" => accounts = string_list(mv)?,
                "latency" | "account_token_position" | "allow_trace" => self.warn_unsupported(k, mv),
                _ => {
                    if !mv.used_variable {
                        self.errors.push(unknown_field(k, mv));
                    }
                }
            }
        }
        let Some(kind) = kind else {
            return Err(ConfError::at(v, "Export Items should be a map with type entry"));
        };
        if kind == ExportKind::Stream && (response_type.is_some() || threshold.is_some()) {
            return Err(ConfError::at(v, "Detected response directive on non-service"));
        }
        Ok(ExportOptions { kind, subject, accounts, response_type: response_type.unwrap_or_default(), response_threshold: threshold })
    }

    fn parse_account_imports(&mut self, v: &Value) -> Result<Vec<ImportOptions>, ConfError> {
        let Some(items) = v.as_array() else {
            return Err(ConfError::at(v, format!("Imports should be an array, got {}", v.kind.go_type_name())));
        };
        let mut out: Vec<ImportOptions> = Vec::new();
        for item in items {
            let im = match self.parse_import(item) {
                Ok(im) => im,
                Err(e) => {
                    self.errors.push(e);
                    continue;
                }
            };
            if im.kind == ExportKind::Service {
                let to = im.to.as_deref().unwrap_or(&im.subject);
                let dup = out.iter().find(|d| {
                    d.kind == ExportKind::Service && d.account == im.account && d.to.as_deref().unwrap_or(&d.subject) == to
                });
                if let Some(d) = dup {
                    let msg = format!(
                        "Duplicate service import subject {}, previously used in import for account {}, subject {}",
                        go_quote(to),
                        go_quote(&d.account),
                        go_quote(&d.subject)
                    );
                    self.errors.push(ConfError::at(item, msg));
                    continue;
                }
            }
            out.push(im);
        }
        Ok(out)
    }

    /// Go's `parseImportStreamOrService`.
    fn parse_import(&mut self, v: &Value) -> Result<ImportOptions, ConfError> {
        let Some(m) = v.as_map() else {
            let msg = format!("Import Items should be a map with type entry, got {}", v.kind.go_type_name());
            return Err(ConfError::at(v, msg));
        };
        let mut im: Option<ImportOptions> = None;
        let (mut prefix, mut to) = (None, None);
        for (k, mv) in m.iter() {
            match k.to_ascii_lowercase().as_str() {
                "stream" | "service" => {
                    let kind = if k.eq_ignore_ascii_case("stream") { ExportKind::Stream } else { ExportKind::Service };
                    let name = if kind == ExportKind::Stream { "Stream" } else { "Service" };
                    if im.is_some() {
                        let (a, b) = if kind == ExportKind::Stream { ("stream", "service") } else { ("service", "stream") };
                        return Err(ConfError::at(mv, format!("Detected {a} but already saw a {b}")));
                    }
                    let Some(am) = mv.as_map() else {
                        let msg = format!("{name} entry should be an account map, got {}", mv.kind.go_type_name());
                        return Err(ConfError::at(mv, msg));
                    };
                    let (mut account, mut subject) = (String::new(), String::new());
                    for (ak, av) in am.iter() {
                        match ak.to_ascii_lowercase().as_str() {
                            "account" => account = string(av)?,
                            "subject" => subject = string(av)?,
                            _ => {
                                if !av.used_variable {
                                    self.errors.push(unknown_field(ak, av));
                                }
                            }
                        }
                    }
                    if account.is_empty() || subject.is_empty() {
                        return Err(ConfError::at(mv, "Expect an account name and a subject"));
                    }
                    im = Some(ImportOptions { kind, account, subject, prefix: None, to: None });
                }
                "prefix" => prefix = Some(string(mv)?),
                "to" => to = Some(string(mv)?),
                "share" | "allow_trace" => self.warn_unsupported(k, mv),
                _ => {
                    if !mv.used_variable {
                        self.errors.push(unknown_field(k, mv));
                    }
                }
            }
        }
        let Some(mut im) = im else {
            return Err(ConfError::at(v, "Import Items should be a map with type entry"));
        };
        if im.kind == ExportKind::Stream && prefix.is_some() && to.is_some() {
            return Err(ConfError::at(v, "Stream import can not have a 'prefix' and a 'to' property"));
        }
        if im.kind == ExportKind::Service && prefix.is_some() {
            // Go reads a service `prefix` as its `to`.
            to = to.or(prefix.take());
        }
        im.prefix = prefix;
        im.to = to;
        Ok(im)
    }
}

/// Go's `applyDefaultPermissions`: users without permissions get the
/// account's defaults.
fn apply_default_permissions(acc: &mut AccountOptions, defaults: Option<Permissions>) {
    let Some(d) = defaults else { return };
    for u in acc.users.iter_mut().filter(|u| u.permissions.is_none()) {
        u.permissions = Some(d.clone());
    }
    for u in acc.nkeys.iter_mut().filter(|u| u.permissions.is_none()) {
        u.permissions = Some(d.clone());
    }
}

/// Go's `parseAccountLimits`.
fn parse_account_limits(v: &Value) -> Result<AccountLimits, ConfError> {
    let Some(m) = v.as_map() else {
        return Err(ConfError::at(v, format!("Expected account limits to be a map/struct, got {}", go_fmt_v(&v.kind))));
    };
    let mut l = AccountLimits::default();
    for (k, mv) in m.iter() {
        match k.to_ascii_lowercase().as_str() {
            "max_connections" | "max_conn" => l.max_connections = int(mv)?,
            "max_subscriptions" | "max_subs" => l.max_subscriptions = int(mv)?,
            "max_payload" | "max_pay" => l.max_payload = int(mv)?,
            "max_leafnodes" | "max_leafs" => l.max_leafnodes = int(mv)?,
            _ => {
                if !mv.used_variable {
                    return Err(ConfError::at(mv, format!("Unknown field {} parsing account limits", go_quote(k))));
                }
            }
        }
    }
    Ok(l)
}

/// Go's `parseJetStreamForAccount` for a map: `max_mem`/`max_memory`,
/// `max_file`/`max_store`, `max_streams`, `max_consumers` (zero or
/// negative: unlimited).
fn parse_account_jetstream(v: &Value) -> Result<crate::jetstream::account_info::JetStreamAccountLimits, ConfError> {
    use super::apply::get_storage_size;
    let m = v.as_map().ok_or_else(|| ConfError::at(v, "Expected jetstream to be a map".to_string()))?;
    let (mut mem, mut store, mut streams, mut consumers) = (-1i64, -1i64, -1i64, -1i64);
    for (k, mv) in m.iter() {
        let size = |mv: &Value| get_storage_size(mv).map_err(|e| ConfError::at(mv, e));
        match k.to_ascii_lowercase().as_str() {
            "max_memory" | "max_mem" | "mem" | "memory" => mem = size(mv)?,
            "max_store" | "max_file" | "max_disk" | "store" | "disk" => store = size(mv)?,
            "max_streams" | "streams" => streams = int(mv)?,
            "max_consumers" | "consumers" => consumers = int(mv)?,
            _ => {
                if !mv.used_variable {
                    return Err(ConfError::at(mv, format!("Unknown field {} parsing jetstream for account", go_quote(k))));
                }
            }
        }
    }
    Ok(crate::jetstream::account_info::JetStreamAccountLimits::from_config(mem, store, streams, consumers))
}

/// A string or an array of strings.
fn string_list(v: &Value) -> Result<Vec<String>, ConfError> {
    match &v.kind {
        Kind::String(s) => Ok(vec![s.clone()]),
        Kind::Array(a) => a.iter().map(string).collect(),
        _ => Err(ConfError::at(v, format!("Expected accounts to be an array of strings, got {}", v.kind.go_type_name()))),
    }
}
