//! The full resolver's system-account request handlers (Go's
//! `DirAccResolver.Start` subscriptions, `respondToUpdate`,
//! `handleListRequest`, `handleDeleteRequest` in accounts.go) as pure
//! functions over a [`DirAccResolver`]: the engine subscribes in the
//! system account, passes subject and body in, and publishes what comes
//! back to the request's reply subject.

use serde::Serialize;
use serde_json::Value;

use super::dirstore::{DeleteType, DirJwtStore};
use super::ResolverError;
use crate::jwt::auth::TrustedOperators;
use crate::jwt::decode::{decode_account_claims, decode_generic};
use crate::jwt::nkey::is_valid_public_account_key;
use crate::jwt::validate::{validate_account, ValidationResults};
use crate::storage::Storage;

/// Go's request subjects (events.go).
pub const ACC_LOOKUP_REQ_SUBJ: &str = "$SYS.REQ.ACCOUNT.%s.CLAIMS.LOOKUP";
pub const ACC_PACK_REQ_SUBJ: &str = "$SYS.REQ.CLAIMS.PACK";
pub const ACC_LIST_REQ_SUBJ: &str = "$SYS.REQ.CLAIMS.LIST";
pub const ACC_CLAIMS_REQ_SUBJ: &str = "$SYS.REQ.CLAIMS.UPDATE";
pub const ACC_DELETE_REQ_SUBJ: &str = "$SYS.REQ.CLAIMS.DELETE";
pub const ACC_UPDATE_EVENT_SUBJ_OLD: &str = "$SYS.ACCOUNT.%s.CLAIMS.UPDATE";
pub const ACC_UPDATE_EVENT_SUBJ_NEW: &str = "$SYS.REQ.ACCOUNT.%s.CLAIMS.UPDATE";
/// Wildcard forms to subscribe to.
pub const ACC_LOOKUP_REQ_WILDCARD: &str = "$SYS.REQ.ACCOUNT.*.CLAIMS.LOOKUP";
pub const ACC_UPDATE_OLD_WILDCARD: &str = "$SYS.ACCOUNT.*.CLAIMS.UPDATE";
pub const ACC_UPDATE_NEW_WILDCARD: &str = "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE";

/// Go's `http.StatusOK` / `http.StatusInternalServerError` codes.
const CODE_OK: u16 = 200;
const CODE_ERR: u16 = 500;

/// The account token of `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` (6 tokens)
/// or `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE` (5 tokens).
pub fn update_subject_account(subject: &str) -> Option<&str> {
    let tk: Vec<&str> = subject.split('.').collect();
    match tk.len() {
        6 => Some(tk[3]),
        5 => Some(tk[2]),
        _ => None,
    }
}

/// The account token of `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.LOOKUP`.
pub fn lookup_subject_account(subject: &str) -> Option<&str> {
    let tk: Vec<&str> = subject.split('.').collect();
    (tk.len() == 6).then(|| tk[3])
}

/// Go's `ClaimUpdateStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimUpdateStatus {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account: String,
    pub code: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// Go's `ClaimUpdateError`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClaimUpdateError {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account: String,
    pub code: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// The outcome Go's `respondToUpdate` reports, before the server info is
/// attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimUpdateResponse {
    Ok(ClaimUpdateStatus),
    Err(ClaimUpdateError),
}

impl ClaimUpdateResponse {
    fn ok(account: &str, message: &str) -> Self {
        ClaimUpdateResponse::Ok(ClaimUpdateStatus {
            account: account.to_string(),
            code: CODE_OK,
            message: message.to_string(),
        })
    }

    fn err(account: &str, message: &str, err: &str) -> Self {
        ClaimUpdateResponse::Err(ClaimUpdateError {
            account: account.to_string(),
            code: CODE_ERR,
            description: format!("{message} - {err}"),
        })
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, ClaimUpdateResponse::Ok(_))
    }

    /// Go's `ServerAPIClaimUpdateResponse` JSON: `{"server":...,"data":...}`
    /// or `{"server":...,"error":...}`. `server` is the engine's
    /// `ServerInfo` JSON.
    pub fn to_json(&self, server: &Value) -> Vec<u8> {
        let body = match self {
            ClaimUpdateResponse::Ok(d) => serde_json::json!({ "server": server, "data": d }),
            ClaimUpdateResponse::Err(e) => serde_json::json!({ "server": server, "error": e }),
        };
        body.to_string().into_bytes()
    }
}

/// What an update or delete request did: the reply to send (if the
/// request had a reply subject) and the accounts whose JWT changed or was
/// removed (the engine re-applies or disables them, Go's `changed` and
/// `deleted` callbacks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateOutcome {
    pub response: ClaimUpdateResponse,
    pub changed: Vec<String>,
    pub deleted: Vec<String>,
}

impl UpdateOutcome {
    fn reply(response: ClaimUpdateResponse) -> Self {
        UpdateOutcome { response, changed: Vec::new(), deleted: Vec::new() }
    }
}

/// Go's `DirAccResolver`: the store plus the operator keys it trusts.
#[derive(Clone, Debug)]
pub struct DirAccResolver {
    pub store: DirJwtStore,
    trusted: TrustedOperators,
}

impl DirAccResolver {
    /// Go's `DirAccResolver.Start` preconditions (`getOperatorKeys`).
    pub fn new(store: DirJwtStore, trusted: TrustedOperators) -> Result<DirAccResolver, ResolverError> {
        if trusted.keys.is_empty() {
            return Err(ResolverError::Store("no operator key found".into()));
        }
        Ok(DirAccResolver { store, trusted })
    }

    /// Go's `DirAccResolver.Fetch` (local half; Go then asks other servers).
    pub fn fetch(&self, name: &str) -> Result<&str, ResolverError> {
        if !is_valid_public_account_key(name) {
            return Err(ResolverError::InvalidAccountKey);
        }
        self.store.load(name).ok_or(ResolverError::MissingAccount)
    }

    /// Go's `DirAccResolver.Store` (preloads): `saveIfNewer`.
    pub fn store_jwt(&mut self, storage: &mut dyn Storage, name: &str, jwt: &str) -> Result<bool, ResolverError> {
        self.store.save_if_newer(storage, name, jwt)
    }

    /// The shared checks of both update handlers; on success the account.
    fn check_update(&self, msg: &[u8], subject_key: Option<&str>) -> Result<String, ClaimUpdateResponse> {
        const FAILED: &str = "jwt update resulted in error";
        let text = std::str::from_utf8(msg).map_err(|_| ClaimUpdateResponse::err("n/a", FAILED, "invalid utf-8"))?;
        let claim = decode_account_claims(text.trim()).map_err(|e| ClaimUpdateResponse::err("n/a", FAILED, &e.to_string()))?;
        let sub = claim.claims.subject.clone();
        let (op, strict) = self.trusted.first_operator().unwrap_or(("", false));
        if subject_key.is_none() && claim.claims.issuer == op && strict {
            return Err(ClaimUpdateResponse::err(&sub, FAILED, "operator requires issuer to be a signing key"));
        }
        let mut vr = ValidationResults::default();
        // Go's claimValidate: blocking issues only; an expired JWT is stored.
        validate_account(&claim, 0, &mut vr);
        if vr.is_blocking(false) {
            let errs = format!("validation errors: {:?}", vr.errors());
            return Err(ClaimUpdateResponse::err(&sub, "jwt validation failed", &errs));
        }
        if let Some(key) = subject_key {
            if sub != key {
                return Err(ClaimUpdateResponse::err(key, FAILED, "subject does not match jwt content"));
            }
            if claim.claims.issuer == op && strict {
                return Err(ClaimUpdateResponse::err(key, FAILED, "operator requires issuer to be a signing key"));
            }
        }
        // Stricter than Go, which stores first and rejects on use: only JWTs
        // issued by a trusted operator key are stored.
        if !self.trusted.is_trusted_issuer(&claim.claims.issuer) {
            return Err(ClaimUpdateResponse::err(&sub, FAILED, "account not signed by trusted operator"));
        }
        Ok(sub)
    }

    fn save_update(&mut self, storage: &mut dyn Storage, key: &str, msg: &[u8]) -> UpdateOutcome {
        let jwt = String::from_utf8_lossy(msg);
        match self.store.save(storage, key, jwt.trim()) {
            Err(e) => UpdateOutcome::reply(ClaimUpdateResponse::err(key, "jwt update resulted in error", &e.to_string())),
            Ok(changed) => UpdateOutcome {
                response: ClaimUpdateResponse::ok(key, "jwt updated"),
                changed: if changed { vec![key.to_string()] } else { Vec::new() },
                deleted: Vec::new(),
            },
        }
    }

    /// `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.UPDATE` (and the old
    /// `$SYS.ACCOUNT.<acc>.CLAIMS.UPDATE`). None for a malformed subject
    /// (Go logs and does not reply).
    pub fn handle_account_update(&mut self, storage: &mut dyn Storage, subject: &str, msg: &[u8]) -> Option<UpdateOutcome> {
        let key = update_subject_account(subject)?;
        Some(match self.check_update(msg, Some(key)) {
            Err(resp) => UpdateOutcome::reply(resp),
            Ok(key) => self.save_update(storage, &key, msg),
        })
    }

    /// `$SYS.REQ.CLAIMS.UPDATE`: the account is the JWT's subject. `msg` is
    /// the payload without headers.
    pub fn handle_claims_update(&mut self, storage: &mut dyn Storage, msg: &[u8]) -> UpdateOutcome {
        match self.check_update(msg, None) {
            Err(resp) => UpdateOutcome::reply(resp),
            Ok(key) => self.save_update(storage, &key, msg),
        }
    }

    /// `$SYS.REQ.ACCOUNT.<acc>.CLAIMS.LOOKUP`: the JWT, or an empty body
    /// when unknown. None for a malformed subject (no reply).
    pub fn handle_lookup(&self, subject: &str) -> Option<Vec<u8>> {
        let key = lookup_subject_account(subject)?;
        Some(self.store.load(key).map(|j| j.as_bytes().to_vec()).unwrap_or_default())
    }

    /// `$SYS.REQ.CLAIMS.LIST`: `{"server":...,"data":[account ids]}`.
    pub fn handle_list(&self, server: &Value) -> Vec<u8> {
        let ids: Vec<&str> = self.store.keys().collect();
        serde_json::json!({ "server": server, "data": ids }).to_string().into_bytes()
    }

    fn check_delete(&self, msg: &[u8], sys_account: &str) -> Result<Vec<String>, (String, String)> {
        let text = String::from_utf8_lossy(msg);
        let gk = decode_generic(text.trim()).map_err(|e| (String::new(), e.to_string()))?;
        let subj = gk.claims.subject.clone();
        let fail = |m: &str| Err((subj.clone(), m.to_string()));
        if self.store.delete_type() == DeleteType::NoDelete {
            return fail("delete must be enabled in server config");
        }
        if subj != gk.claims.issuer {
            return fail("not self signed");
        }
        if !self.trusted.is_trusted_issuer(&gk.claims.issuer) {
            return fail("not trusted");
        }
        let Some(Value::Array(list)) = gk.data.get("accounts") else {
            return fail("malformed request");
        };
        let mut ids = Vec::with_capacity(list.len());
        for entry in list {
            match entry.as_str() {
                Some(a) if is_valid_public_account_key(a) => {
                    if a == sys_account {
                        return fail("not allowed to delete system account");
                    }
                    ids.push(a.to_string());
                }
                _ => return fail("malformed request"),
            }
        }
        Ok(ids)
    }

    /// `$SYS.REQ.CLAIMS.DELETE`: a generic JWT self-signed by a trusted
    /// operator key whose `nats.accounts` lists the accounts to delete.
    pub fn handle_delete(&mut self, storage: &mut dyn Storage, msg: &[u8], sys_account: &str) -> UpdateOutcome {
        let ids = match self.check_delete(msg, sys_account) {
            Ok(ids) => ids,
            Err((subj, err)) => {
                let m = format!("delete accounts request by {subj} failed");
                return UpdateOutcome::reply(ClaimUpdateResponse::err("", &m, &err));
            }
        };
        let mut errs = Vec::new();
        let mut deleted = Vec::new();
        let mut pass = 0;
        for id in &ids {
            match self.store.delete(storage, id) {
                Ok(removed) => {
                    pass += 1;
                    if removed {
                        deleted.push(id.clone());
                    }
                }
                Err(e) => errs.push(e.to_string()),
            }
        }
        let response = if errs.is_empty() {
            ClaimUpdateResponse::ok("", &format!("deleted {pass} accounts"))
        } else {
            let m = format!("deleted {pass} accounts, failed for {}", errs.len());
            ClaimUpdateResponse::err("", &m, &errs.join("\n"))
        };
        UpdateOutcome { response, changed: Vec::new(), deleted }
    }

    /// `$SYS.REQ.CLAIMS.PACK` with the requester's hash: the messages to
    /// send to its reply subject (one `pubkey|jwt` per message, then an
    /// empty terminator; only the terminator when the hashes match).
    pub fn handle_pack_request(&self, their_hash: &[u8], now_secs: i64) -> Vec<Vec<u8>> {
        let ours = self.store.hash();
        let mut out = Vec::new();
        if their_hash != ours.as_slice() {
            out.extend(self.store.pack_walk(1, now_secs).into_iter().map(String::into_bytes));
        }
        out.push(Vec::new());
        out
    }

    /// A message on our pack-response inbox: merges it (empty = end).
    pub fn handle_pack_response(&mut self, storage: &mut dyn Storage, msg: &[u8]) -> Result<Vec<String>, ResolverError> {
        if msg.is_empty() {
            return Ok(Vec::new());
        }
        self.store.merge(storage, &String::from_utf8_lossy(msg))
    }
}
