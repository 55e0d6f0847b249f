//! JWT operator mode in the engine (Go's jwt.go `validateTrustedOperators`,
//! the JWT half of auth.go `processClientOrLeafAuthentication`, accounts.go
//! `updateAccountClaimsWithRefresh` and events.go's `$SYS.REQ...CLAIMS`
//! handlers), over the sans-IO library in [`crate::jwt`].
//!
//! - Accounts are registered lazily: the first CONNECT of a user of
//!   account `A...` fetches `A...`'s JWT from the resolver, verifies it,
//!   and turns its claims into [`AccountOptions`] (exports, imports, limits,
//!   default permissions); the accounts table is then reconfigured with every
//!   JWT account, so ids, sublists and subscriptions are kept.
//! - A user's permissions come from its JWT (else the account's default
//!   permissions); its `exp` (or the end of its connect window) arms a
//!   per-connection timer that closes it with `User Authentication Expired`.
//! - In the system account, the internal client answers the claim requests
//!   (`$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE`, `$SYS.REQ.CLAIMS.UPDATE`,
//!   `...LOOKUP`, `LIST`, `DELETE`) with the resolver's handlers, and an
//!   updated account JWT is applied to the live account: limits, exports,
//!   imports, and revocations, which cut matching users.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use serde_json::json;

use crate::conf::operator::{OperatorConfig, ResolverConfig};
use crate::jwt::auth::{authorize_connect, verify_account_claims, ConnectAuth, TrustedOperators};
use crate::jwt::claims::AccountClaims;
use crate::jwt::decode::decode_user_claims;
use crate::jwt::resolver::sys_api::{
    self, ClaimUpdateError, ClaimUpdateResponse, ClaimUpdateStatus, ACC_CLAIMS_REQ_SUBJ, ACC_DELETE_REQ_SUBJ, ACC_LIST_REQ_SUBJ, ACC_LOOKUP_REQ_WILDCARD,
    ACC_UPDATE_NEW_WILDCARD, ACC_UPDATE_OLD_WILDCARD,
};
use crate::jwt::resolver::{configure_resolver, AccountResolver};
use crate::jwt::types::{ExportType, Permissions as JwtPermissions};
use crate::options::{Permissions, ResponsePermission, ServerOptions, SubjectPermission};
use crate::storage::Storage;
use crate::subject;
use crate::time::Instant;

use super::accounts::{AccountLimits, AccountOptions, ExportKind, ExportOptions, ImportOptions, ResponseType};
use super::accounts::AccountId;
use super::client::CloseReason;
use super::internal::{InternalMsg, Outgoing};
use super::perms::ClientPermissions;
use super::timers::TimerKind;
use super::{ConnId, Server};

/// How many accounts one registration may pull in through imports.
const MAX_IMPORT_FETCHES: usize = 256;

/// The claim request subjects the system account's internal client serves.
const SYS_CLAIM_SUBJECTS: [&str; 6] = [
    ACC_UPDATE_NEW_WILDCARD,
    ACC_UPDATE_OLD_WILDCARD,
    ACC_CLAIMS_REQ_SUBJ,
    ACC_LOOKUP_REQ_WILDCARD,
    ACC_LIST_REQ_SUBJ,
    ACC_DELETE_REQ_SUBJ,
];

/// A connection's JWT user, kept for revocations and expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtUser {
    /// The user's public key (JWT subject).
    pub user: String,
    /// The JWT's `iat`.
    pub issued_at: i64,
    /// The account public key.
    pub account: String,
    /// The key that issued the user JWT (the account or a signing key).
    pub issuer: String,
    pub bearer: bool,
    /// The user JWT's `subs` limit (-1: none).
    pub max_subs: i64,
    /// When the connection must close (JWT `exp` or connect window end).
    pub expires: Option<Instant>,
}

/// Operator mode state: trusted operators, the resolver and the accounts
/// built from JWTs.
pub(super) struct OperatorState {
    trusted: TrustedOperators,
    pinned: Option<BTreeSet<String>>,
    resolver: AccountResolver,
    /// The full resolver's storage (rooted at its `dir`).
    storage: Option<Box<dyn Storage + Send>>,
    /// Accounts registered from JWTs, by public key.
    accounts: BTreeMap<String, AccountClaims>,
    system_account: Option<String>,
    /// When the account-expiry timer is armed for.
    account_timer: Option<Instant>,
}

impl std::fmt::Debug for OperatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorState").field("accounts", &self.accounts.keys().collect::<Vec<_>>()).finish()
    }
}

/// A storage that refuses everything: what a MEMORY resolver is configured
/// with (it never touches storage).
struct NoStorage;

impl Storage for NoStorage {
    fn open(&mut self, path: &str, _create: bool) -> Result<crate::storage::FileId, crate::storage::StorageError> {
        Err(no_storage(path))
    }
    fn close(&mut self, _file: crate::storage::FileId) {}
    fn read_at(&mut self, _f: crate::storage::FileId, _o: u64, _b: &mut [u8]) -> Result<usize, crate::storage::StorageError> {
        Err(no_storage(""))
    }
    fn write_at(&mut self, _f: crate::storage::FileId, _o: u64, _d: &[u8]) -> Result<(), crate::storage::StorageError> {
        Err(no_storage(""))
    }
    fn append(&mut self, _f: crate::storage::FileId, _d: &[u8]) -> Result<u64, crate::storage::StorageError> {
        Err(no_storage(""))
    }
    fn len(&mut self, _f: crate::storage::FileId) -> Result<u64, crate::storage::StorageError> {
        Err(no_storage(""))
    }
    fn truncate(&mut self, _f: crate::storage::FileId, _l: u64) -> Result<(), crate::storage::StorageError> {
        Err(no_storage(""))
    }
    fn sync(&mut self, _f: crate::storage::FileId) -> Result<(), crate::storage::StorageError> {
        Err(no_storage(""))
    }
    fn rename(&mut self, from: &str, _to: &str) -> Result<(), crate::storage::StorageError> {
        Err(no_storage(from))
    }
    fn remove(&mut self, path: &str) -> Result<(), crate::storage::StorageError> {
        Err(no_storage(path))
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, crate::storage::StorageError> {
        Err(no_storage(dir))
    }
    fn sync_dir(&mut self, dir: &str) -> Result<(), crate::storage::StorageError> {
        Err(no_storage(dir))
    }
}

fn no_storage(path: &str) -> crate::storage::StorageError {
    crate::storage::StorageError::new(crate::storage::StorageErrorKind::Other, format!("no resolver storage for {path:?}"))
}

impl OperatorState {
    /// Go's `validateTrustedOperators` and `configureResolver`. None when
    /// the options configure no operator. `storage` must be rooted at the
    /// full resolver's `dir` (required for `type: full`).
    pub(super) fn new(
        opts: &ServerOptions,
        storage: Option<Box<dyn Storage + Send>>,
    ) -> Result<Option<OperatorState>, String> {
        let Some(cfg) = opts.operator.as_ref().filter(|c| c.is_operator_mode()) else {
            return Ok(None);
        };
        validate_operator_options(opts, cfg)?;
        let trusted = cfg.trusted_operators()?;
        let mut storage = storage;
        let resolver = match (&cfg.resolver, storage.as_mut()) {
            (Some(ResolverConfig::Full { dir, .. }), None) => {
                return Err(format!("resolver dir {dir:?}: no storage was opened for the full account resolver"));
            }
            (Some(ResolverConfig::Full { .. }), Some(st)) => configure_resolver(cfg, &trusted, st.as_mut())?,
            _ => configure_resolver(cfg, &trusted, &mut NoStorage)?,
        };
        if let Some(pinned) = &cfg.resolver_pinned_accounts {
            if let Some(bad) = pinned.iter().find(|k| !crate::jwt::nkey::is_valid_public_account_key(k)) {
                return Err(format!("pinned account key {bad:?} is not a valid public account nkey"));
            }
        }
        let system_account = opts.system_account.clone().or_else(|| cfg.system_account.clone());
        Ok(Some(OperatorState {
            pinned: cfg.pinned_accounts(),
            trusted,
            resolver,
            storage,
            accounts: BTreeMap::new(),
            system_account,
            account_timer: None,
        }))
    }

    fn fetch(&self, key: &str) -> Option<String> {
        self.resolver.fetch(key).ok().map(str::to_string)
    }
}

/// The parts of Go's `validateTrustedOperators` about other options.
fn validate_operator_options(opts: &ServerOptions, cfg: &OperatorConfig) -> Result<(), String> {
    if cfg.resolver.is_none() {
        return Err("operators require an account resolver to be configured".into());
    }
    if !opts.accounts.is_empty() {
        return Err("operators do not allow Accounts to be configured directly".into());
    }
    if !opts.users.is_empty() || !opts.nkeys.is_empty() {
        return Err("operators do not allow users to be configured directly".into());
    }
    Ok(())
}

/// The options of the accounts table in operator mode: the JWT accounts
/// (imports that cannot be satisfied dropped, as Go skips them) and the
/// system account (bare when its JWT is not known).
fn accounts_options(base: &ServerOptions, st: &OperatorState) -> ServerOptions {
    let mut o = base.clone();
    o.accounts = st.accounts.values().map(account_options).collect();
    if let Some(sys) = &st.system_account {
        if !st.accounts.contains_key(sys) {
            o.accounts.push(AccountOptions::new(sys));
        }
        o.system_account = Some(sys.clone());
    }
    let exports: BTreeMap<String, Vec<ExportOptions>> =
        o.accounts.iter().map(|a| (a.name.clone(), a.exports.clone())).collect();
    let tokens: BTreeMap<&str, Vec<(&str, bool)>> = st
        .accounts
        .iter()
        .map(|(k, ac)| (k.as_str(), ac.nats.exports.iter().map(|e| (e.subject.as_str(), e.token_req)).collect()))
        .collect();
    for a in &mut o.accounts {
        let name = a.name.clone();
        a.imports.retain(|im| {
            let ok = import_satisfied(&exports, &tokens, &name, im);
            if !ok {
                tracing::warn!("Account {name}: import of {:?} from {} skipped (not exported to it)", im.subject, im.account);
            }
            ok
        });
    }
    o
}

/// Whether `importer`'s import matches an export of the exporting account
/// that does not need an activation token (not supported) and approves it.
fn import_satisfied(
    exports: &BTreeMap<String, Vec<ExportOptions>>,
    tokens: &BTreeMap<&str, Vec<(&str, bool)>>,
    importer: &str,
    im: &ImportOptions,
) -> bool {
    let Some(list) = exports.get(&im.account) else { return false };
    list.iter().any(|e| {
        let token_req = tokens
            .get(im.account.as_str())
            .is_some_and(|t| t.iter().any(|(s, req)| *s == e.subject && *req));
        e.kind == im.kind
            && !token_req
            && (e.accounts.is_empty() || e.accounts.iter().any(|a| a == importer))
            && subject::subject_is_subset_match(im.subject.as_bytes(), e.subject.as_bytes())
    })
}

/// Account claims as the accounts table's options.
pub fn account_options(ac: &AccountClaims) -> AccountOptions {
    let mut a = AccountOptions::new(&ac.claims.subject);
    a.nkey = Some(ac.claims.subject.clone());
    let l = &ac.nats.limits;
    a.limits = AccountLimits {
        max_connections: l.conn,
        max_subscriptions: l.subs,
        max_payload: l.payload,
        max_leafnodes: l.leaf_node_conn,
    };
    a.default_permissions = to_permissions(&ac.nats.default_permissions);
    if l.is_jetstream_enabled() {
        let j = &l.jetstream;
        a.jetstream = true;
        a.jetstream_limits = Some(crate::jetstream::account_info::JetStreamAccountLimits::from_config(
            j.mem_storage,
            j.disk_storage,
            j.streams,
            j.consumer,
        ));
    }
    for e in &ac.nats.exports {
        let kind = match e.export_type {
            ExportType::Stream => ExportKind::Stream,
            ExportType::Service => ExportKind::Service,
            ExportType::Unknown => continue,
        };
        let response_type = match e.response_type.as_str() {
            "Stream" => ResponseType::Stream,
            "Chunked" => ResponseType::Chunked,
            _ => ResponseType::Singleton,
        };
        let response_threshold = (e.response_threshold_nanos > 0)
            .then(|| std::time::Duration::from_nanos(e.response_threshold_nanos.unsigned_abs()));
        a.exports.push(ExportOptions {
            kind,
            subject: e.subject.clone(),
            accounts: Vec::new(),
            response_type,
            response_threshold,
        });
    }
    for i in &ac.nats.imports {
        let (kind, prefix, to) = match i.import_type {
            ExportType::Stream if !i.local_subject.is_empty() => (ExportKind::Stream, None, Some(i.local_subject.clone())),
            ExportType::Stream => (ExportKind::Stream, Some(i.to.clone()).filter(|t| !t.is_empty()), None),
            ExportType::Service => {
                let to = [&i.local_subject, &i.to].into_iter().find(|s| !s.is_empty()).cloned();
                (ExportKind::Service, None, to)
            }
            ExportType::Unknown => continue,
        };
        if !i.token.is_empty() {
            tracing::warn!("Account {}: import of {:?} with an activation token is not supported", ac.claims.subject, i.subject);
            continue;
        }
        a.imports.push(ImportOptions { kind, account: i.account.clone(), subject: i.subject.clone(), prefix, to });
    }
    a
}

/// JWT permissions as the engine's; None when nothing is set.
pub fn to_permissions(p: &JwtPermissions) -> Option<Permissions> {
    let sp = |allow: &Vec<String>, deny: &Vec<String>| {
        (!allow.is_empty() || !deny.is_empty()).then(|| SubjectPermission { allow: allow.clone(), deny: deny.clone() })
    };
    let out = Permissions {
        publish: sp(&p.publish.allow, &p.publish.deny),
        subscribe: sp(&p.subscribe.allow, &p.subscribe.deny),
        response: p.resp.as_ref().map(|r| ResponsePermission {
            max_msgs: i32::try_from(r.max_msgs).unwrap_or(i32::MAX),
            expires: std::time::Duration::from_nanos(r.expires_nanos.max(0).unsigned_abs()),
        }),
    };
    (out != Permissions::default()).then_some(out)
}

impl Server {
    pub(super) fn operator_mode(&self) -> bool {
        self.operator.is_some()
    }

    /// Unix seconds now (from the engine's wall clock).
    fn unix_secs(&self) -> i64 {
        self.realtime(self.now).div_euclid(1_000_000_000)
    }

    /// The JWT half of Go's `processClientOrLeafAuthentication`, then
    /// `registerWithAccount`: binds `id` to its JWT account with the user's
    /// permissions and arms its expiry. False when the connection was cut.
    pub(super) fn operator_authenticate(&mut self, id: ConnId) -> bool {
        let now_secs = self.unix_secs();
        let Some(st) = self.operator.as_ref() else { return false };
        let Some(c) = self.conns.get(&id) else { return false };
        let jwt = c.opts.jwt.clone().unwrap_or_default();
        let conn = ConnectAuth {
            jwt: &jwt,
            sig: c.opts.sig.as_deref(),
            nonce: c.nonce.as_bytes(),
            host: &c.ip,
            connection_type: "STANDARD",
        };
        let mut lookup = |k: &str| st.fetch(k);
        let authorized = match authorize_connect(&st.trusted, st.pinned.as_ref(), &conn, now_secs, &mut lookup) {
            Ok(a) => a,
            Err(e) => {
                self.auth_violation(id, &e.to_string());
                return false;
            }
        };
        let acc = match self.register_jwt_account(&authorized.account) {
            Ok(acc) => acc,
            Err(e) => {
                self.auth_violation(id, &format!("Account JWT lookup error: {e}"));
                return false;
            }
        };
        if let Some(limits) = self.jwt_account_jetstream_limits(&authorized.account) {
            self.ensure_account_service(acc, &authorized.account, limits);
        }
        let uc = &authorized.user;
        let perms = to_permissions(&uc.nats.limits.permissions).or_else(|| self.accounts.get(acc).default_permissions.clone());
        let expires = authorized.expires_at.map(|at| {
            let delta = (at - now_secs).max(0).unsigned_abs();
            self.now + std::time::Duration::from_secs(delta)
        });
        let user = JwtUser {
            user: uc.claims.subject.clone(),
            issued_at: uc.claims.issued_at,
            account: authorized.account.clone(),
            issuer: uc.claims.issuer.clone(),
            bearer: uc.nats.limits.bearer_token,
            max_subs: uc.nats.limits.subs,
            expires,
        };
        let user_payload = uc.nats.limits.payload;
        let Some(c) = self.conns.get_mut(&id) else { return false };
        c.user = Some(user.user.clone());
        c.acc = acc;
        c.perms = perms.as_ref().map(ClientPermissions::new);
        c.jwt = Some(user);
        if let Some(at) = expires {
            self.set_timer(id, TimerKind::JwtExpire, at);
        }
        if !self.apply_account_limits(id) {
            return false;
        }
        if user_payload >= 0 {
            let cur = self.conns.get(&id).map(|c| c.parser.limits().max_payload).unwrap_or(0);
            let want = usize::try_from(user_payload).unwrap_or(0);
            if want < cur {
                let mut l = self.limits;
                l.max_payload = want;
                if let Some(c) = self.conns.get_mut(&id) {
                    c.parser.set_limits(l);
                }
            }
        }
        true
    }

    /// The JetStream limits of JWT account `key` when its claims enable
    /// JetStream (Go's `IsJSEnabled`).
    fn jwt_account_jetstream_limits(&self, key: &str) -> Option<crate::jetstream::account_info::JetStreamAccountLimits> {
        let ac = self.operator.as_ref()?.accounts.get(key)?;
        let a = account_options(ac);
        if !a.jetstream {
            return None;
        }
        a.jetstream_limits
    }

    /// Go's `lookupAccount` + `updateAccountClaims` for a key not yet
    /// registered: fetches it (and the accounts its imports name), then
    /// reconfigures the accounts table.
    pub(super) fn register_jwt_account(&mut self, key: &str) -> Result<AccountId, String> {
        if let Some(id) = self.accounts.lookup(key) {
            if self.operator.as_ref().is_some_and(|st| st.accounts.contains_key(key)) {
                return Ok(id);
            }
        }
        let now_secs = self.unix_secs();
        let Some(st) = self.operator.as_mut() else { return Err("not in operator mode".into()) };
        let before = st.accounts.clone();
        let mut todo = vec![key.to_string()];
        let mut fetched = 0usize;
        while let Some(k) = todo.pop() {
            if st.accounts.contains_key(&k) || fetched >= MAX_IMPORT_FETCHES {
                continue;
            }
            fetched += 1;
            let Some(jwt) = st.fetch(&k) else {
                if k == key {
                    return Err("account missing".into());
                }
                continue;
            };
            let ac = match verify_account_claims(&st.trusted, &jwt, now_secs) {
                Ok(ac) => ac,
                Err(e) if k == key => return Err(e.to_string()),
                Err(e) => {
                    tracing::warn!("Account {k} (imported) not valid: {e}");
                    continue;
                }
            };
            todo.extend(ac.nats.imports.iter().map(|i| i.account.clone()));
            st.accounts.insert(k, ac);
        }
        if let Err(e) = self.rebuild_jwt_accounts() {
            if let Some(st) = self.operator.as_mut() {
                st.accounts = before;
            }
            return Err(e);
        }
        self.accounts.lookup(key).ok_or_else(|| "account missing".to_string())
    }

    /// Reconfigures the accounts table from the JWT accounts and arms the
    /// account-expiry timer.
    fn rebuild_jwt_accounts(&mut self) -> Result<(), String> {
        let Some(st) = self.operator.as_ref() else { return Ok(()) };
        let o = accounts_options(&self.opts, st);
        // Check on a scratch table first: a bad JWT (an import cycle, ...)
        // must not leave the live table half configured.
        super::accounts::Accounts::from_options(&o, &mut crate::prng::Prng::from_seed(0))?;
        self.accounts.configure(&o, &mut self.prng)?;
        self.arm_account_expiry();
        Ok(())
    }

    /// Arms the server-wide timer for the next account JWT expiry.
    fn arm_account_expiry(&mut self) {
        let now_secs = self.unix_secs();
        let now = self.now;
        let Some(st) = self.operator.as_mut() else { return };
        let next = st.accounts.values().map(|ac| ac.claims.expires).filter(|&e| e > now_secs).min();
        let Some(exp) = next else { return };
        let at = now + std::time::Duration::from_secs((exp - now_secs).unsigned_abs());
        if st.account_timer.is_some_and(|t| t <= at && t > now) {
            return;
        }
        st.account_timer = Some(at);
        self.timers.schedule(at, super::INTERNAL_CONN, TimerKind::AccountExpire);
    }

    /// Go's `Account.expiredTimeout`: every client of an account whose JWT
    /// expired gets `Account Authentication Expired` and is closed.
    pub(super) fn on_account_expire_timer(&mut self, now: Instant) {
        let now_secs = self.unix_secs();
        let Some(st) = self.operator.as_mut() else { return };
        if st.account_timer.is_some_and(|t| t > now) {
            return; // A stale entry: a later expiry was armed since.
        }
        st.account_timer = None;
        let expired: Vec<String> = st
            .accounts
            .iter()
            .filter(|(_, ac)| ac.claims.expires > 0 && ac.claims.expires <= now_secs)
            .map(|(k, _)| k.clone())
            .collect();
        for key in expired {
            let Some(acc) = self.accounts.lookup(&key) else { continue };
            let mut ids: Vec<ConnId> = self
                .conns
                .iter()
                .filter(|(_, c)| c.acc == acc && !c.is_closing() && c.jwt.is_some())
                .map(|(id, _)| *id)
                .collect();
            ids.sort_unstable();
            for id in ids {
                if let Some(c) = self.conns.get(&id) {
                    tracing::debug!("{} - Account Authentication Expired", c.log_prefix());
                }
                self.send_err(id, "Account Authentication Expired");
                self.close_conn(id, CloseReason::AuthenticationExpired, true);
            }
        }
        self.arm_account_expiry();
    }

    /// The options the accounts table is built from at startup: in
    /// operator mode, the system account's JWT (if the resolver has it).
    pub(super) fn initial_accounts_options(opts: &ServerOptions, st: Option<&mut OperatorState>, now_secs: i64) -> ServerOptions {
        let Some(st) = st else { return opts.clone() };
        if let Some(sys) = st.system_account.clone() {
            if let Some(jwt) = st.fetch(&sys) {
                match verify_account_claims(&st.trusted, &jwt, now_secs) {
                    Ok(ac) => {
                        st.accounts.insert(sys, ac);
                    }
                    Err(e) => tracing::warn!("System account JWT not valid: {e}"),
                }
            }
        }
        accounts_options(opts, st)
    }

    /// Subscribes the system account's claim request subjects.
    pub(super) fn operator_subscribe_sys(&mut self) {
        let tracking = self.operator.as_ref().is_some_and(|st| st.resolver.is_tracking_update());
        let Some(sys) = self.operator.as_ref().and_then(|st| st.system_account.clone()) else { return };
        let Some(acc) = self.accounts.lookup(&sys) else { return };
        // Without a tracking resolver Go listens to claim pushes only.
        let subjects: &[&str] = if tracking { &SYS_CLAIM_SUBJECTS } else { &SYS_CLAIM_SUBJECTS[..2] };
        for s in subjects.iter().copied() {
            if let Err(e) = self.subscribe_internal_in(acc, s) {
                tracing::error!("system account subscription {s}: {e}");
            }
        }
    }

    /// Takes the claim requests out of the internal inbox and answers them
    /// in the system account. Called before the internal service runs.
    pub(super) fn operator_take_sys_msgs(&mut self) {
        let Some(sys) = self.operator.as_ref().and_then(|st| st.system_account.clone()) else { return };
        let Some(sys_id) = self.accounts.lookup(&sys) else { return };
        if !self.internal.inbox.iter().any(|m| m.account == sys_id && is_claims_subject(&m.subject)) {
            return;
        }
        let inbox = std::mem::take(&mut self.internal.inbox);
        let (mine, rest): (Vec<InternalMsg>, Vec<InternalMsg>) =
            inbox.into_iter().partition(|m| m.account == sys_id && is_claims_subject(&m.subject));
        self.internal.inbox = rest;
        for m in mine {
            self.handle_claims_request(sys_id, &sys, m);
        }
    }

    fn handle_claims_request(&mut self, sys_id: AccountId, sys: &str, m: InternalMsg) {
        let subject = String::from_utf8_lossy(&m.subject).into_owned();
        let server = json!({"name": self.info.server_name, "id": self.info.server_id});
        let memory = self.operator.as_ref().is_some_and(|st| matches!(st.resolver, AccountResolver::Memory(_)));
        if memory && is_update_subject(&subject) {
            // Go's `accountClaimUpdate` for a resolver that does not track
            // updates: applied to a live account only.
            let key = sys_api::update_subject_account(&subject).unwrap_or_default().to_string();
            let (resp, apply) = self.memory_claim_update(&key, &m.payload);
            if apply {
                self.apply_account_update(&key);
            }
            if let Some(reply) = m.reply {
                let payload = Bytes::from(resp.to_json(&server));
                self.publish_internal_in(sys_id, Outgoing { subject: reply, reply: None, deliver_as: None, headers: None, payload });
            }
            return;
        }
        let Some(st) = self.operator.as_mut() else { return };
        let mut changed = Vec::new();
        let mut deleted = Vec::new();
        let reply: Option<Vec<u8>> = match (&mut st.resolver, st.storage.as_mut()) {
            (AccountResolver::Full(d), Some(storage)) => {
                let storage = storage.as_mut();
                if subject == ACC_CLAIMS_REQ_SUBJ {
                    let out = d.handle_claims_update(storage, &m.payload);
                    changed = out.changed;
                    Some(out.response.to_json(&server))
                } else if is_update_subject(&subject) {
                    d.handle_account_update(storage, &subject, &m.payload).map(|out| {
                        changed = out.changed;
                        out.response.to_json(&server)
                    })
                } else if subject == ACC_LIST_REQ_SUBJ {
                    Some(d.handle_list(&server))
                } else if subject == ACC_DELETE_REQ_SUBJ {
                    let out = d.handle_delete(storage, &m.payload, sys);
                    deleted = out.deleted;
                    Some(out.response.to_json(&server))
                } else if is_lookup_subject(&subject) {
                    d.handle_lookup(&subject)
                } else {
                    None
                }
            }
            // Lookups, lists and deletes: the nats-based (full) resolver only.
            (AccountResolver::Memory(_), _) | (AccountResolver::Full(_), None) => None,
        };
        for k in changed {
            self.apply_account_update(&k);
        }
        for k in deleted {
            self.disable_jwt_account(&k);
        }
        if let (Some(reply), Some(body)) = (m.reply, reply) {
            self.publish_internal_in(
                sys_id,
                Outgoing { subject: reply, reply: None, deliver_as: None, headers: None, payload: Bytes::from(body) },
            );
        }
    }

    /// The checks of Go's `accountClaimUpdate` with a MEMORY resolver; on
    /// success the JWT replaces the resolver's copy (so later CONNECTs see
    /// it too) and the caller re-applies the account.
    fn memory_claim_update(&mut self, key: &str, body: &[u8]) -> (ClaimUpdateResponse, bool) {
        let now_secs = self.unix_secs();
        let err = |message: &str, e: &str| {
            tracing::error!("{message} - {key} - {e}");
            let description = format!("{message} - {e}");
            (ClaimUpdateResponse::Err(ClaimUpdateError { account: key.to_string(), code: 500, description }), false)
        };
        let ok = |message: &str, apply: bool| {
            tracing::debug!("{message} - {key}");
            let status = ClaimUpdateStatus { account: key.to_string(), code: 200, message: message.to_string() };
            (ClaimUpdateResponse::Ok(status), apply)
        };
        let Some(st) = self.operator.as_mut() else { return err("jwt update error", "not in operator mode") };
        if body.is_empty() {
            return err("jwt update error", "request body is empty");
        }
        let text = String::from_utf8_lossy(body);
        let jwt = text.trim();
        let ac = match crate::jwt::decode::decode_account_claims(jwt) {
            Ok(ac) => ac,
            Err(e) => return err("jwt update resulted in error", &e.to_string()),
        };
        if ac.claims.subject != key {
            return err("jwt update resulted in error", "subject does not match jwt content");
        }
        if !st.accounts.contains_key(key) {
            return ok("jwt update skipped", false);
        }
        if let Err(e) = verify_account_claims(&st.trusted, jwt, now_secs) {
            return err("jwt update resulted in error", &e.to_string());
        }
        if let AccountResolver::Memory(mem) = &mut st.resolver {
            mem.store(key, jwt);
        }
        ok("jwt updated", true)
    }

    /// Go's `updateAccountClaimsWithRefresh` for an account whose JWT
    /// changed in the resolver: new limits, exports and imports, then
    /// revocations and limits cut matching connections.
    pub(super) fn apply_account_update(&mut self, key: &str) {
        let now_secs = self.unix_secs();
        let Some(st) = self.operator.as_mut() else { return };
        if !st.accounts.contains_key(key) {
            return; // Not in use here: picked up at its first CONNECT.
        }
        let Some(jwt) = st.fetch(key) else { return };
        let ac = match verify_account_claims(&st.trusted, &jwt, now_secs) {
            Ok(ac) => ac,
            Err(e) => {
                tracing::warn!("Account {key}: updated JWT not applied: {e}");
                return;
            }
        };
        let old = st.accounts.insert(key.to_string(), ac.clone());
        if let Err(e) = self.rebuild_jwt_accounts() {
            tracing::error!("Account {key}: update not applied: {e}");
            if let (Some(st), Some(old)) = (self.operator.as_mut(), old) {
                st.accounts.insert(key.to_string(), old);
            }
            return;
        }
        let Some(acc) = self.accounts.lookup(key) else { return };
        let mut ids: Vec<ConnId> = self
            .conns
            .iter()
            .filter(|(_, c)| c.acc == acc && !c.is_closing() && c.jwt.is_some())
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        let default_perms = self.accounts.get(acc).default_permissions.clone();
        let max_conns = ac.nats.limits.conn;
        let mut kept = 0i64;
        for id in ids {
            let Some(c) = self.conns.get(&id) else { continue };
            let Some(u) = c.jwt.clone() else { continue };
            if u.bearer && ac.nats.limits.disallow_bearer {
                self.auth_violation(id, "Bearer User JWT not allowed");
                continue;
            }
            if u.issuer != key && signer_changed(old.as_ref(), &ac, &u.issuer) {
                // Go's `signersChanged`: closed without an error line.
                tracing::debug!("{} - User signing key removed or rescoped", c.log_prefix());
                self.close_conn(id, CloseReason::AuthenticationViolation, true);
                continue;
            }
            if ac.is_user_revoked(&u.user, u.issued_at) {
                tracing::debug!("{} - User Authentication Revoked", c.log_prefix());
                self.send_err(id, "User Authentication Revoked");
                self.close_conn(id, CloseReason::Revocation, true);
                continue;
            }
            if max_conns >= 0 && kept >= max_conns {
                self.send_err(id, "maximum account active connections exceeded");
                self.close_conn(id, CloseReason::MaxAccountConnectionsExceeded, true);
                continue;
            }
            kept += 1;
            // A user without its own permissions follows the account's defaults.
            let own = c.opts.jwt.as_deref().and_then(|j| decode_user_claims(j).ok()).and_then(|uc| to_permissions(&uc.nats.limits.permissions));
            if own.is_none() {
                if let Some(c) = self.conns.get_mut(&id) {
                    c.perms = default_perms.as_ref().map(ClientPermissions::new);
                }
            }
        }
    }

    /// A deleted account: its users are cut (Go's `$SYS.REQ.CLAIMS.DELETE`
    /// with `allow_delete`).
    fn disable_jwt_account(&mut self, key: &str) {
        let Some(acc) = self.accounts.lookup(key) else { return };
        let mut ids: Vec<ConnId> =
            self.conns.iter().filter(|(_, c)| c.acc == acc && !c.is_closing()).map(|(id, _)| *id).collect();
        ids.sort_unstable();
        for id in ids {
            self.auth_violation(id, "account deleted");
        }
        if let Some(st) = self.operator.as_mut() {
            st.accounts.remove(key);
        }
        if let Err(e) = self.rebuild_jwt_accounts() {
            tracing::error!("Account {key}: delete not applied: {e}");
        }
    }

    /// The JWT expiry timer: Go's `authExpired`.
    pub(super) fn on_jwt_expire_timer(&mut self, id: ConnId) {
        if let Some(c) = self.conns.get(&id) {
            tracing::debug!("{} - User Authentication Expired", c.log_prefix());
        }
        self.send_err(id, "User Authentication Expired");
        self.close_conn(id, CloseReason::AuthenticationExpired, true);
    }
}

/// Whether a user signed by `issuer` must go after an account update: the
/// key is no longer a signing key of the account, or its scope changed.
fn signer_changed(old: Option<&AccountClaims>, new: &AccountClaims, issuer: &str) -> bool {
    match new.has_issuer(issuer) {
        None => true,
        Some(None) => false,
        Some(Some(scope)) => old.and_then(|o| o.has_issuer(issuer)) != Some(Some(scope)),
    }
}

fn is_claims_subject(subject: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(subject) else { return false };
    s == ACC_CLAIMS_REQ_SUBJ
        || s == ACC_LIST_REQ_SUBJ
        || s == ACC_DELETE_REQ_SUBJ
        || is_update_subject(s)
        || is_lookup_subject(s)
}

/// `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` or the older `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE`.
fn is_update_subject(s: &str) -> bool {
    (s.starts_with("$SYS.REQ.ACCOUNT.") || s.starts_with("$SYS.ACCOUNT."))
        && s.ends_with(".CLAIMS.UPDATE")
        && sys_api::update_subject_account(s).is_some()
}

/// `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.LOOKUP`.
fn is_lookup_subject(s: &str) -> bool {
    s.starts_with("$SYS.REQ.ACCOUNT.") && s.ends_with(".CLAIMS.LOOKUP") && sys_api::lookup_subject_account(s).is_some()
}
