//! The trust chain of operator mode (Go's `validateTrustedOperators` in
//! jwt.go, `verifyAccountClaims` in server.go and the JWT half of
//! `processClientOrLeafAuthentication` in auth.go): operator -> account
//! (issued by a trusted operator key) -> user (issued by the account or
//! one of its signing keys), checked at CONNECT against the INFO nonce.
//!
//! Sans-IO: `now` is unix seconds (and the seconds since midnight UTC for
//! connect-time windows come from it); the account JWT comes from the
//! caller's resolver.

use std::collections::BTreeSet;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

use super::claims::{AccountClaims, OperatorClaims, UserClaims};
use super::decode::{decode_account_claims, decode_user_claims};
use super::nkey::{self, is_valid_public_account_key, is_valid_public_operator_key};
use super::template::process_user_permissions_template;
use super::validate::{parse_cidr, parse_clock, validate_account, validate_user, ValidationResults};
use super::{AuthError, JwtError};

/// Go's `jwt.ConnectionType*` names.
pub const CONNECTION_TYPES: [&str; 7] =
    ["STANDARD", "WEBSOCKET", "LEAFNODE", "LEAFNODE_WS", "MQTT", "MQTT_WS", "IN_PROCESS"];

/// The operators a server trusts and the keys derived from them (Go's
/// `Options.TrustedOperators` and `Options.TrustedKeys`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedOperators {
    pub operators: Vec<OperatorClaims>,
    /// Operator identity keys (unless strict signing key usage) and every
    /// operator signing key: the keys allowed to issue account JWTs.
    pub keys: Vec<String>,
}

impl TrustedOperators {
    /// Go's `validateTrustedOperators` (the operator-only part): collects
    /// trusted keys and checks `system_account` agrees with the operator.
    pub fn new(operators: Vec<OperatorClaims>, system_account: Option<&str>) -> Result<TrustedOperators, String> {
        if let Some(sys) = system_account.filter(|s| !s.is_empty()) {
            let non_empty = operators.iter().any(|o| !o.nats.system_account.is_empty());
            let found = operators.iter().any(|o| o.nats.system_account == sys);
            if non_empty && !found {
                return Err("system_account in config and operator JWT must be identical".into());
            }
        }
        let mut keys = Vec::new();
        for op in &operators {
            if !op.nats.strict_signing_key_usage {
                keys.push(op.claims.subject.clone());
            }
            keys.extend(op.nats.signing_keys.iter().cloned());
        }
        if let Some(bad) = keys.iter().find(|k| !is_valid_public_operator_key(k)) {
            return Err(format!("trusted Keys {bad:?} are required to be a valid public operator nkey"));
        }
        Ok(TrustedOperators { operators, keys })
    }

    /// Go's `isTrustedIssuer`.
    pub fn is_trusted_issuer(&self, issuer: &str) -> bool {
        self.keys.iter().any(|k| k == issuer)
    }

    /// The system account named by the first operator, if any.
    pub fn system_account(&self) -> Option<&str> {
        self.operators.first().map(|o| o.nats.system_account.as_str()).filter(|s| !s.is_empty())
    }

    /// Go's `getOperatorKeys`: the first operator's identity key and
    /// whether it must not sign accounts itself (strict signing keys).
    pub fn first_operator(&self) -> Option<(&str, bool)> {
        self.operators.first().map(|o| (o.claims.subject.as_str(), o.nats.strict_signing_key_usage))
    }
}

/// Go's `Server.verifyAccountClaims`: decodes an account JWT, checks its
/// issuer is trusted and that it validates (time checks included).
pub fn verify_account_claims(
    trusted: &TrustedOperators,
    account_jwt: &str,
    now_secs: i64,
) -> Result<AccountClaims, JwtError> {
    let ac = decode_account_claims(account_jwt)?;
    if !trusted.is_trusted_issuer(&ac.claims.issuer) {
        return Err(JwtError::UntrustedIssuer(ac.claims.issuer));
    }
    let mut vr = ValidationResults::default();
    validate_account(&ac, now_secs, &mut vr);
    if vr.is_blocking(true) {
        return Err(JwtError::Validation(vr.descriptions()));
    }
    Ok(ac)
}

/// What a client sent and where it came from, for [`authorize_user`].
#[derive(Clone, Debug, Default)]
pub struct ConnectAuth<'a> {
    /// CONNECT `jwt`.
    pub jwt: &'a str,
    /// CONNECT `sig`: base64url (or standard base64) signature of the nonce.
    pub sig: Option<&'a str>,
    /// The nonce sent in INFO.
    pub nonce: &'a [u8],
    /// The client's IP address as text (Go's `c.host`).
    pub host: &'a str,
    /// The connection type (`STANDARD`, `WEBSOCKET`, ...).
    pub connection_type: &'a str,
}

/// A user that passed every check: its claims (with a scoped signing key's
/// template applied), its account and when the connection must close.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthorizedUser {
    pub user: UserClaims,
    /// The account public key (issuer or `issuer_account`).
    pub account: String,
    /// Unix seconds at which the connection expires (the JWT's `exp` or the
    /// end of the current connect-time window, whichever is first).
    pub expires_at: Option<i64>,
    /// Allowed connection types after Go's conversion (empty: any).
    pub allowed_connection_types: BTreeSet<String>,
}

/// First half of Go's JWT auth: decode the CONNECT `jwt` and validate it
/// (expiry included). The caller then resolves `user.account()`.
pub fn decode_connect_user(jwt: &str, now_secs: i64) -> Result<UserClaims, AuthError> {
    if jwt.is_empty() {
        return Err(AuthError::MissingJwt);
    }
    let uc = decode_user_claims(jwt).map_err(AuthError::UserJwtInvalid)?;
    let mut vr = ValidationResults::default();
    validate_user(&uc, now_secs, &mut vr);
    if vr.is_blocking(true) {
        return Err(AuthError::UserJwtNoLongerValid(vr.descriptions()));
    }
    Ok(uc)
}

/// Second half of Go's JWT auth, once the account's claims are known
/// (already checked with [`verify_account_claims`]). In Go's order: pinned
/// accounts, trusted account issuer, user issuer (scoped signer template),
/// account expiry, bearer, connection type, nonce signature, revocation,
/// source IP, connect times.
pub fn authorize_user(
    trusted: &TrustedOperators,
    pinned_accounts: Option<&BTreeSet<String>>,
    mut uc: UserClaims,
    account: &AccountClaims,
    conn: &ConnectAuth<'_>,
    now_secs: i64,
) -> Result<AuthorizedUser, AuthError> {
    let acc_key = uc.account().to_string();
    if pinned_accounts.is_some_and(|p| !p.contains(&acc_key)) {
        return Err(AuthError::AccountNotPinned(acc_key));
    }
    if account.claims.subject != acc_key {
        return Err(AuthError::AccountLookup(format!("account {acc_key} not found")));
    }
    if !trusted.is_trusted_issuer(&account.claims.issuer) {
        return Err(AuthError::AccountNotTrusted);
    }
    match account.has_issuer(&uc.claims.issuer) {
        None => return Err(AuthError::UnknownIssuer),
        Some(None) => {}
        Some(Some(scope)) => {
            if !uc.nats.limits.is_empty() {
                return Err(AuthError::ScopedSigner("scoped users require no permissions or limits set".into()));
            }
            uc.nats.limits = process_user_permissions_template(&scope.template, &uc, account)
                .map_err(AuthError::Template)?;
        }
    }
    if account.claims.is_expired_at(now_secs) {
        return Err(AuthError::AccountExpired);
    }
    let bearer = uc.nats.limits.bearer_token;
    if bearer && account.nats.limits.disallow_bearer {
        return Err(AuthError::BearerNotAllowed);
    }
    let allowed = convert_allowed_connection_types(&uc.nats.limits.allowed_connection_types)?;
    if !allowed.is_empty() && !allowed.contains(conn.connection_type) {
        return Err(AuthError::ConnectionTypeNotAllowed);
    }
    if !bearer {
        verify_nonce_signature(&uc.claims.subject, conn.nonce, conn.sig)?;
    }
    if account.is_user_revoked(&uc.claims.subject, uc.claims.issued_at) {
        return Err(AuthError::Revoked);
    }
    if !validate_src(&uc, conn.host) {
        return Err(AuthError::BadSrcIp(conn.host.to_string()));
    }
    let (allow_now, valid_for) = validate_times_at(&uc, now_secs);
    if !allow_now {
        return Err(AuthError::OutsideConnectTimes);
    }
    let expires_at = expiration(uc.claims.expires, valid_for.map(|d| now_secs + d));
    Ok(AuthorizedUser { user: uc, account: acc_key, expires_at, allowed_connection_types: allowed })
}

/// Both halves with an account lookup: `lookup` returns the account JWT
/// for a public key (from the resolver).
pub fn authorize_connect(
    trusted: &TrustedOperators,
    pinned_accounts: Option<&BTreeSet<String>>,
    conn: &ConnectAuth<'_>,
    now_secs: i64,
    lookup: &mut dyn FnMut(&str) -> Option<String>,
) -> Result<AuthorizedUser, AuthError> {
    let uc = decode_connect_user(conn.jwt, now_secs)?;
    let acc_key = uc.account().to_string();
    if pinned_accounts.is_some_and(|p| !p.contains(&acc_key)) {
        return Err(AuthError::AccountNotPinned(acc_key));
    }
    if !is_valid_public_account_key(&acc_key) {
        return Err(AuthError::AccountLookup("will only fetch valid account keys".into()));
    }
    let Some(acc_jwt) = lookup(&acc_key) else {
        return Err(AuthError::AccountLookup("account missing".into()));
    };
    let account = verify_account_claims(trusted, &acc_jwt, now_secs)
        .map_err(|e| AuthError::AccountLookup(e.to_string()))?;
    authorize_user(trusted, pinned_accounts, uc, &account, conn, now_secs)
}

/// Go's `setExpiration`: the earlier of the JWT expiry and the end of the
/// connect-time window.
fn expiration(jwt_exp: i64, window_end: Option<i64>) -> Option<i64> {
    match (jwt_exp > 0, window_end) {
        (false, None) => None,
        (true, None) => Some(jwt_exp),
        (false, Some(w)) => Some(w),
        (true, Some(w)) => Some(jwt_exp.min(w)),
    }
}

/// Go's `convertAllowedConnectionTypes`: unknown names are dropped; if
/// none is left of a non-empty list, the user may not connect at all.
pub fn convert_allowed_connection_types(types: &[String]) -> Result<BTreeSet<String>, AuthError> {
    let mut out = BTreeSet::new();
    let mut unknown = false;
    for t in types {
        let u = t.to_ascii_uppercase();
        if CONNECTION_TYPES.contains(&u.as_str()) {
            out.insert(u);
        } else {
            unknown = true;
        }
    }
    if unknown && out.is_empty() {
        return Err(AuthError::ConnectionTypeNotAllowed);
    }
    Ok(out)
}

/// The nonce signature check of a JWT user (Go's auth.go): `sig` is
/// base64url (or standard base64) of an ed25519 signature of the nonce by
/// the user's public key (the JWT subject).
pub fn verify_nonce_signature(user_key: &str, nonce: &[u8], sig: Option<&str>) -> Result<(), AuthError> {
    let Some(sig) = sig.filter(|s| !s.is_empty()) else {
        return Err(AuthError::SignatureMissing);
    };
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .or_else(|_| STANDARD.decode(sig))
        .map_err(|_| AuthError::SignatureNotBase64)?;
    if !nkey::is_valid_public_key(user_key) {
        return Err(AuthError::UserNkeyInvalid);
    }
    nkey::verify(user_key, nonce, &sig).map_err(|_| AuthError::SignatureNotVerified)
}

/// Go's `validateSrc`: no `src` allows any host; otherwise the host must
/// be an IP inside one of the CIDRs.
pub fn validate_src(uc: &UserClaims, host: &str) -> bool {
    let src = &uc.nats.limits.src;
    if src.is_empty() {
        return true;
    }
    let Ok(ip) = host.parse::<core::net::IpAddr>() else {
        return false;
    };
    src.iter().any(|cidr| parse_cidr(cidr).is_some_and(|(net, bits)| cidr_contains(net, bits, ip)))
}

fn cidr_contains(net: core::net::IpAddr, bits: u8, ip: core::net::IpAddr) -> bool {
    use core::net::IpAddr::{V4, V6};
    let (n, i, width) = match (net, ip) {
        (V4(n), V4(i)) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32u32),
        (V6(n), V6(i)) => (u128::from(n), u128::from(i), 128u32),
        (V6(n), V4(i)) => match n.to_ipv4_mapped() {
            Some(n4) if bits >= 96 => {
                return cidr_contains(V4(n4), bits - 96, V4(i));
            }
            _ => return false,
        },
        (V4(_), V6(i)) => match i.to_ipv4_mapped() {
            Some(i4) => return cidr_contains(net, bits, V4(i4)),
            None => return false,
        },
    };
    let bits = u32::from(bits);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (n >> shift) == (i >> shift)
}

const DAY_SECS: i64 = 24 * 3600;

/// Go's `validateTimesAt` in UTC (the only location this core supports,
/// see `validate::is_supported_locale`): whether `now` is inside one of
/// the user's connect windows and, if so, for how many more seconds.
pub fn validate_times_at(uc: &UserClaims, now_secs: i64) -> (bool, Option<i64>) {
    let times = &uc.nats.limits.times;
    if times.is_empty() {
        return (true, None);
    }
    let day_start = now_secs - now_secs.rem_euclid(DAY_SECS);
    let mut best: Option<i64> = None;
    for tr in times {
        let (Some(s), Some(e)) = (parse_clock(&tr.start), parse_clock(&tr.end)) else {
            return (false, None);
        };
        let (start, mut end) = (day_start + i64::from(s), day_start + i64::from(e));
        let mut hit = None;
        if start < now_secs && end > now_secs {
            hit = Some(end - now_secs);
        } else if start > end {
            // The window wraps past midnight.
            if end > now_secs {
                hit = Some(end - now_secs);
            } else {
                end += DAY_SECS;
                if start < now_secs && end > now_secs {
                    hit = Some(end - now_secs);
                }
            }
        }
        if let Some(v) = hit {
            if best.is_none_or(|b| v > b) {
                best = Some(v);
            }
        }
    }
    (best.is_some(), best)
}
