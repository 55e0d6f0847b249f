//! Accounts: the tenants of one server (Go's accounts.go, without JWTs).
//!
//! Every account has its own sublist, so a message published in one
//! account is matched only against that account's subscriptions. The only
//! ways across are an import that matches an export:
//! - a stream import: what the exporter publishes on the exported subjects
//!   is also delivered in the importing account (under a prefix or mapped
//!   subject);
//! - a service import: what the importer publishes on the import's local
//!   subject is delivered in the exporting account, with its reply subject
//!   replaced by a fresh `_R_.` inbox that routes the responses (and only
//!   those) back to the requester ([`ResponseImport`]).
//!
//! A connection is bound to one account when it authenticates and keeps
//! its [`AccountId`] (an index) for its lifetime, so the publish path does
//! one array index, no lookup by name. Users outside any account live in
//! the global account `$G`; the system account (`$SYS` unless configured)
//! always exists unless `no_system_account` is set.

mod options;
mod route;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;

use crate::options::{Permissions, ServerOptions};
use crate::prng::Prng;
use crate::subject;
use crate::sublist::Sublist;
use crate::time::Instant;

use super::subs::SubRef;

pub use options::{
    AccountLimits, AccountOptions, ExportKind, ExportOptions, ImportOptions, ResponseType,
    DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD,
};

/// Go's `globalAccountName`.
pub const GLOBAL_ACCOUNT: &str = "$G";
/// Go's `DEFAULT_SYSTEM_ACCOUNT`.
pub const DEFAULT_SYSTEM_ACCOUNT: &str = "$SYS";

/// An account's index in the server's account table. Stable for the
/// server's lifetime: a reload that drops an account leaves its slot empty.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub u32);

/// The global account is always the first.
pub const GLOBAL: AccountId = AccountId(0);

/// A stream export (Go's `streamExport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamExport {
    pub subject: String,
    /// None: public; otherwise the accounts allowed to import.
    pub approved: Option<Vec<String>>,
}

/// A service export (Go's `serviceExport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceExport {
    pub subject: String,
    pub approved: Option<Vec<String>>,
    pub response_type: ResponseType,
    pub response_threshold: Duration,
}

/// A stream import held by the importing account (Go's `streamImport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamImport {
    pub account: AccountId,
    /// The subject (pattern) in the exporting account.
    pub from: String,
    /// The subject (pattern) delivered in the importing account.
    pub to: String,
}

/// A service import held by the importing account (Go's `serviceImport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceImport {
    pub account: AccountId,
    /// The subject (pattern) in the exporting account.
    pub from: String,
    /// The local subject (pattern) the importer publishes on.
    pub to: String,
    pub response_type: ResponseType,
    pub response_threshold: Duration,
}

/// A response mapping held by the exporting account (Go's response
/// `serviceImport` in `exports.responses`): a publish on `_R_...` in the
/// exporter goes to `reply` in the requester's account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseImport {
    pub account: AccountId,
    pub reply: Bytes,
    pub response_type: ResponseType,
    pub expires: Instant,
}

/// A stream import seen from the exporter: where its messages also go.
#[derive(Clone, Debug)]
pub(super) struct StreamTarget {
    pub account: AccountId,
    pub from: Bytes,
    pub to: Bytes,
}

#[derive(Debug)]
pub struct Account {
    pub name: String,
    pub nkey: Option<String>,
    pub sublist: Sublist<SubRef>,
    pub default_permissions: Option<Permissions>,
    pub stream_exports: Vec<StreamExport>,
    pub service_exports: Vec<ServiceExport>,
    pub stream_imports: Vec<StreamImport>,
    pub service_imports: Vec<ServiceImport>,
    pub limits: AccountLimits,
    /// Dropped by a reload: no connection may bind to it any more.
    pub removed: bool,
    /// Stream imports of other accounts on this account's subjects: the
    /// values index `stream_targets`.
    pub(super) stream_routes: Sublist<u32>,
    pub(super) stream_targets: Vec<StreamTarget>,
    /// This account's service imports by local subject: values index
    /// `service_imports`.
    pub(super) service_routes: Sublist<u32>,
    /// Pending responses to requests from other accounts, by `_R_` subject.
    pub(super) responses: HashMap<Bytes, ResponseImport>,
    /// `_R_.<6 chars>.`: this account's service reply prefix.
    pub(super) reply_prefix: String,
}

impl Account {
    pub fn new(name: &str) -> Account {
        Account {
            name: name.to_string(),
            nkey: None,
            sublist: Sublist::new(),
            default_permissions: None,
            stream_exports: Vec::new(),
            service_exports: Vec::new(),
            stream_imports: Vec::new(),
            service_imports: Vec::new(),
            limits: AccountLimits::default(),
            removed: false,
            stream_routes: Sublist::new(),
            stream_targets: Vec::new(),
            service_routes: Sublist::new(),
            responses: HashMap::new(),
            reply_prefix: String::new(),
        }
    }

    /// True when a publish in this account may leave it (a stream import
    /// of its subjects, a service import, or a pending response).
    #[inline]
    pub(super) fn has_routes(&self) -> bool {
        !self.stream_targets.is_empty() || !self.service_imports.is_empty() || !self.responses.is_empty()
    }

    /// Number of pending service responses (for monitoring and tests).
    pub fn num_pending_responses(&self) -> usize {
        self.responses.len()
    }

    /// Go's `checkStreamImportAuthorized`: does an export cover `subject`
    /// for `importer`?
    pub fn stream_import_authorized(&self, importer: &str, subject: &str) -> bool {
        subject::is_valid_subject(subject.as_bytes())
            && self.stream_exports.iter().any(|e| {
                subject::subject_is_subset_match(subject.as_bytes(), e.subject.as_bytes())
                    && e.approved.as_ref().is_none_or(|a| a.iter().any(|n| n == importer))
            })
    }

    /// Go's `checkServiceImportAuthorized`, returning the export.
    pub fn service_export_for(&self, importer: &str, subject: &str) -> Option<&ServiceExport> {
        if !subject::is_valid_subject(subject.as_bytes()) {
            return None;
        }
        let covers = |e: &&ServiceExport| subject::subject_is_subset_match(subject.as_bytes(), e.subject.as_bytes());
        // An exact export wins over a wildcard one, as Go looks it up first.
        let e = self.service_exports.iter().find(|e| e.subject == subject).or_else(|| self.service_exports.iter().find(covers))?;
        e.approved.as_ref().is_none_or(|a| a.iter().any(|n| n == importer)).then_some(e)
    }
}

/// The server's accounts, indexed by [`AccountId`].
#[derive(Debug)]
pub struct Accounts {
    list: Vec<Account>,
    by_name: HashMap<String, AccountId>,
    system: Option<AccountId>,
}

impl Accounts {
    /// Builds the accounts of `opts`: `$G`, the configured ones, and the
    /// system account; resolves and checks every export and import. Errors
    /// are Go's texts.
    pub fn from_options(opts: &ServerOptions, prng: &mut Prng) -> Result<Accounts, String> {
        let mut a = Accounts { list: Vec::new(), by_name: HashMap::new(), system: None };
        a.add(Account::new(GLOBAL_ACCOUNT), prng);
        a.configure(opts, prng)?;
        Ok(a)
    }

    fn add(&mut self, mut acc: Account, prng: &mut Prng) -> AccountId {
        let id = AccountId(u32::try_from(self.list.len()).expect("fewer than 2^32 accounts"));
        acc.reply_prefix = new_reply_prefix(prng);
        self.by_name.insert(acc.name.clone(), id);
        self.list.push(acc);
        id
    }

    /// (Re)applies the account options. Accounts keep their ids (and their
    /// sublists, hence their subscriptions); accounts no longer configured
    /// are marked removed; imports and exports are rebuilt from scratch.
    pub fn configure(&mut self, opts: &ServerOptions, prng: &mut Prng) -> Result<(), String> {
        let mut seen = vec![false; self.list.len()];
        seen[GLOBAL.0 as usize] = true;
        for ao in &opts.accounts {
            if ao.name == GLOBAL_ACCOUNT {
                return Err(format!("{:?} is a Reserved Account", ao.name));
            }
            let id = match self.by_name.get(&ao.name) {
                Some(&id) => id,
                None => self.add(Account::new(&ao.name), prng),
            };
            seen.resize(self.list.len(), false);
            seen[id.0 as usize] = true;
            let acc = &mut self.list[id.0 as usize];
            acc.removed = false;
            acc.nkey = ao.nkey.clone();
            acc.default_permissions = ao.default_permissions.clone();
            acc.limits = ao.limits;
        }
        self.system = None;
        if !opts.no_system_account {
            let name = opts.system_account.as_deref().unwrap_or(DEFAULT_SYSTEM_ACCOUNT);
            let id = match self.by_name.get(name) {
                Some(&id) if seen.get(id.0 as usize).copied().unwrap_or(false) || name == DEFAULT_SYSTEM_ACCOUNT => id,
                None if name == DEFAULT_SYSTEM_ACCOUNT => self.add(Account::new(name), prng),
                _ => return Err("error resolving system account: account missing".to_string()),
            };
            seen.resize(self.list.len(), false);
            seen[id.0 as usize] = true;
            self.list[id.0 as usize].removed = false;
            self.system = Some(id);
        }
        for (i, acc) in self.list.iter_mut().enumerate() {
            if !seen.get(i).copied().unwrap_or(false) {
                acc.removed = true;
            }
            acc.stream_exports.clear();
            acc.service_exports.clear();
            acc.stream_imports.clear();
            acc.service_imports.clear();
            acc.stream_routes = Sublist::new();
            acc.stream_targets.clear();
            acc.service_routes = Sublist::new();
        }
        self.configure_exports(opts)?;
        self.configure_imports(opts)?;
        self.build_routes();
        Ok(())
    }

    fn configure_exports(&mut self, opts: &ServerOptions) -> Result<(), String> {
        for ao in &opts.accounts {
            let id = self.by_name[&ao.name];
            for e in &ao.exports {
                if !subject::is_valid_subject(e.subject.as_bytes()) {
                    return Err(format!("Error adding {} export {:?}: subject is not valid", kind_name(e.kind), e.subject));
                }
                for n in &e.accounts {
                    if self.lookup(n).is_none() {
                        return Err(format!("{n:?} account not defined for {} export", kind_name(e.kind)));
                    }
                }
                let approved = (!e.accounts.is_empty()).then(|| e.accounts.clone());
                let acc = &mut self.list[id.0 as usize];
                match e.kind {
                    ExportKind::Stream => acc.stream_exports.push(StreamExport { subject: e.subject.clone(), approved }),
                    ExportKind::Service => acc.service_exports.push(ServiceExport {
                        subject: e.subject.clone(),
                        approved,
                        response_type: e.response_type,
                        response_threshold: e.response_threshold.unwrap_or(DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD),
                    }),
                }
            }
        }
        Ok(())
    }

    fn configure_imports(&mut self, opts: &ServerOptions) -> Result<(), String> {
        for ao in &opts.accounts {
            let id = self.by_name[&ao.name];
            for im in &ao.imports {
                let Some(from_id) = self.lookup(&im.account) else {
                    return Err(format!("{:?} account not defined for {} import", im.account, kind_name(im.kind)));
                };
                let exporter = &self.list[from_id.0 as usize];
                match im.kind {
                    ExportKind::Stream => {
                        let to = stream_import_to(im).map_err(|e| format!("Error adding stream import {:?}: {e}", im.subject))?;
                        if !exporter.stream_import_authorized(&ao.name, &im.subject) {
                            return Err(format!("Error adding stream import {:?}: stream import not authorized", im.subject));
                        }
                        let si = StreamImport { account: from_id, from: im.subject.clone(), to };
                        self.list[id.0 as usize].stream_imports.push(si);
                    }
                    ExportKind::Service => {
                        let to = im.to.clone().unwrap_or_else(|| im.subject.clone());
                        let Some(e) = exporter.service_export_for(&ao.name, &im.subject) else {
                            return Err(format!("Error adding service import {:?}: service import not authorized", im.subject));
                        };
                        if !same_wildcards(&im.subject, &to) {
                            return Err(format!(
                                "Error adding service import {:?}: mapping from {to:?} has a different set of wildcards",
                                im.subject
                            ));
                        }
                        if from_id == id && subject::subjects_collide(im.subject.as_bytes(), to.as_bytes()) {
                            return Err(format!("Error adding service import {:?}: service import forms a cycle", im.subject));
                        }
                        let si = ServiceImport {
                            account: from_id,
                            from: im.subject.clone(),
                            to,
                            response_type: e.response_type,
                            response_threshold: e.response_threshold,
                        };
                        self.list[id.0 as usize].service_imports.push(si);
                    }
                }
            }
        }
        Ok(())
    }

    /// Indexes stream imports at their exporter and service imports by
    /// local subject.
    fn build_routes(&mut self) {
        for i in 0..self.list.len() {
            let imports = self.list[i].stream_imports.clone();
            for si in imports {
                let target = StreamTarget {
                    account: AccountId(i as u32),
                    from: Bytes::from(si.from.clone()),
                    to: Bytes::from(si.to.clone()),
                };
                let exporter = &mut self.list[si.account.0 as usize];
                let n = exporter.stream_targets.len() as u32;
                // Valid subjects were checked when the import was added.
                if exporter.stream_routes.insert(si.from.as_bytes(), None, n).is_ok() {
                    exporter.stream_targets.push(target);
                }
            }
            let acc = &mut self.list[i];
            for (n, si) in acc.service_imports.iter().enumerate() {
                let _ = acc.service_routes.insert(si.to.as_bytes(), None, n as u32);
            }
        }
    }

    pub fn lookup(&self, name: &str) -> Option<AccountId> {
        self.by_name.get(name).copied().filter(|id| !self.list[id.0 as usize].removed)
    }

    pub fn get(&self, id: AccountId) -> &Account {
        &self.list[id.0 as usize]
    }

    pub fn get_mut(&mut self, id: AccountId) -> &mut Account {
        &mut self.list[id.0 as usize]
    }

    /// The system account, unless `no_system_account`.
    pub fn system(&self) -> Option<AccountId> {
        self.system
    }

    pub fn iter(&self) -> impl Iterator<Item = (AccountId, &Account)> {
        self.list.iter().enumerate().filter(|(_, a)| !a.removed).map(|(i, a)| (AccountId(i as u32), a))
    }

    /// Every slot, removed ones too (their sublists may still hold subs
    /// until their connections are cut).
    pub(super) fn all(&self) -> impl Iterator<Item = &Account> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops responses whose threshold passed; returns the earliest expiry
    /// left.
    pub(super) fn expire_responses(&mut self, now: Instant) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        for acc in &mut self.list {
            acc.responses.retain(|_, r| r.expires > now);
            for r in acc.responses.values() {
                next = Some(next.map_or(r.expires, |n| n.min(r.expires)));
            }
        }
        next
    }

    pub fn check_invariants(&self) {
        assert_eq!(self.list.first().map(|a| a.name.as_str()), Some(GLOBAL_ACCOUNT));
        assert!(!self.list[0].removed, "$G is never removed");
        assert_eq!(self.by_name.len(), self.list.len(), "names are unique");
        for (i, a) in self.list.iter().enumerate() {
            assert_eq!(self.by_name.get(&a.name), Some(&AccountId(i as u32)));
            assert_eq!(a.stream_routes.count(), a.stream_targets.len());
            assert_eq!(a.service_routes.count(), a.service_imports.len());
            for r in a.responses.values() {
                assert!((r.account.0 as usize) < self.list.len());
            }
        }
        if let Some(s) = self.system {
            assert!(!self.list[s.0 as usize].removed, "system account is live");
        }
    }
}

fn kind_name(k: ExportKind) -> &'static str {
    match k {
        ExportKind::Stream => "stream",
        ExportKind::Service => "service",
    }
}

/// The delivered subject of a stream import: `to`, or `<prefix>.<subject>`
/// (Go's `addStreamImportWithClaim`: the prefix must be a literal).
fn stream_import_to(im: &ImportOptions) -> Result<String, &'static str> {
    match (&im.prefix, &im.to) {
        (Some(_), Some(_)) => Err("stream import can not have a 'prefix' and a 'to' property"),
        (Some(p), None) => {
            if !subject::subject_is_literal(p.as_bytes()) || p.is_empty() {
                return Err("stream import prefix can not contain wildcard tokens");
            }
            let sep = if p.ends_with('.') { "" } else { "." };
            Ok(format!("{p}{sep}{}", im.subject))
        }
        (None, Some(to)) => {
            if !same_wildcards(&im.subject, to) {
                return Err("mapping has a different set of wildcards");
            }
            Ok(to.clone())
        }
        (None, None) => Ok(im.subject.clone()),
    }
}

/// The wildcard tokens of a pattern, in order (`*` and a final `>`).
fn wildcards(p: &str) -> Vec<&str> {
    p.split('.').filter(|t| *t == "*" || *t == ">").collect()
}

/// Two patterns map onto each other token for token (or `to` is literal).
pub(super) fn same_wildcards(from: &str, to: &str) -> bool {
    let t = wildcards(to);
    t.is_empty() || wildcards(from) == t
}

/// Maps a literal `subject` matching `from` onto `to`: the tokens the
/// wildcards of `from` matched fill the wildcards of `to`, in order. A
/// literal `to` is returned as is.
pub(super) fn map_subject(subject: &[u8], from: &[u8], to: &[u8]) -> Bytes {
    if from == to || !subject::subject_has_wildcard(to) {
        return Bytes::copy_from_slice(if from == to { subject } else { to });
    }
    let mut caps: Vec<&[u8]> = Vec::new();
    let mut st = subject.split(|b| *b == b'.');
    let mut rest_start = 0usize;
    for ft in from.split(|b| *b == b'.') {
        if ft == b">" {
            caps.push(&subject[rest_start.min(subject.len())..]);
            break;
        }
        let Some(tok) = st.next() else { break };
        rest_start += tok.len() + 1;
        if ft == b"*" {
            caps.push(tok);
        }
    }
    let mut out = Vec::with_capacity(subject.len() + to.len());
    let mut caps = caps.into_iter();
    for (i, tt) in to.split(|b| *b == b'.').enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        if tt == b"*" || tt == b">" {
            out.extend_from_slice(caps.next().unwrap_or(tt));
        } else {
            out.extend_from_slice(tt);
        }
    }
    Bytes::from(out)
}

/// Go's base-62 digits for service replies.
const DIGITS: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Go's `createRespWildcard`: `_R_.` plus six random digits and a dot.
fn new_reply_prefix(prng: &mut Prng) -> String {
    let mut s = String::from("_R_.");
    for _ in 0..6 {
        s.push(DIGITS[prng.below(62) as usize] as char);
    }
    s.push('.');
    s
}

/// Go's `newServiceReply` (untracked): the prefix and six random digits.
pub(super) fn new_service_reply(prefix: &str, prng: &mut Prng) -> Bytes {
    let mut s = Vec::with_capacity(prefix.len() + 6);
    s.extend_from_slice(prefix.as_bytes());
    for _ in 0..6 {
        s.push(DIGITS[prng.below(62) as usize]);
    }
    Bytes::from(s)
}
