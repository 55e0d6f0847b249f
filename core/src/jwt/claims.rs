//! The three claim types the server trusts (nats-io/jwt v2 `claims.go`,
//! `operator_claims.go`, `account_claims.go`, `user_claims.go`) and the
//! generic claim used by the resolver's delete request.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::types::{
    is_false, is_revoked, is_zero, Export, GenericFields, Import, OperatorLimits, Permissions,
    SigningKeys, UserPermissionLimits, WeightedMapping,
};

/// Go's claim type names (`ClaimType`).
pub const OPERATOR_CLAIM: &str = "operator";
pub const ACCOUNT_CLAIM: &str = "account";
pub const USER_CLAIM: &str = "user";
pub const ACTIVATION_CLAIM: &str = "activation";
pub const GENERIC_CLAIM: &str = "generic";

/// Go's `ClaimsData`: the registered JWT fields. Times are unix seconds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClaimsData {
    #[serde(rename = "aud", skip_serializing_if = "String::is_empty")]
    pub audience: String,
    #[serde(rename = "exp", skip_serializing_if = "is_zero")]
    pub expires: i64,
    #[serde(rename = "jti", skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "iat", skip_serializing_if = "is_zero")]
    pub issued_at: i64,
    #[serde(rename = "iss", skip_serializing_if = "String::is_empty")]
    pub issuer: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "nbf", skip_serializing_if = "is_zero")]
    pub not_before: i64,
    #[serde(rename = "sub", skip_serializing_if = "String::is_empty")]
    pub subject: String,
}

impl ClaimsData {
    /// Go's `ClaimsData.Validate` time checks, at `now` (unix seconds).
    pub fn is_expired_at(&self, now_secs: i64) -> bool {
        self.expires > 0 && now_secs > self.expires
    }
    pub fn is_not_yet_valid_at(&self, now_secs: i64) -> bool {
        self.not_before > 0 && self.not_before > now_secs
    }
    /// Go's `IsSelfSigned`.
    pub fn is_self_signed(&self) -> bool {
        self.issuer == self.subject
    }
}

/// Go's `Operator` (the `nats` object of an operator JWT).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Operator {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signing_keys: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account_server_url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operator_service_urls: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub system_account: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub assert_server_version: String,
    #[serde(skip_serializing_if = "is_false")]
    pub strict_signing_key_usage: bool,
    #[serde(flatten)]
    pub generic: GenericFields,
}

/// Go's `OperatorClaims`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperatorClaims {
    #[serde(flatten)]
    pub claims: ClaimsData,
    pub nats: Operator,
}

impl OperatorClaims {
    /// Go's `OperatorClaims.DidSign`: was `issuer` (of a claim whose subject
    /// is `subject`) this operator or one of its signing keys?
    pub fn did_sign(&self, issuer: &str, subject: &str) -> bool {
        if issuer == self.claims.subject {
            return !self.nats.strict_signing_key_usage || subject == self.claims.subject;
        }
        self.nats.signing_keys.iter().any(|k| k == issuer)
    }
}

/// Go's `ExternalAuthorization` (auth callout settings; decoded, not used).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExternalAuthorization {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auth_users: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_accounts: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub xkey: String,
}

/// Go's `MsgTrace`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MsgTrace {
    #[serde(rename = "dest", skip_serializing_if = "String::is_empty")]
    pub destination: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub sampling: i64,
}

fn signing_keys_empty(k: &SigningKeys) -> bool {
    k.is_empty()
}

/// Go's `Account` (the `nats` object of an account JWT).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Account {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<Import>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<Export>,
    pub limits: OperatorLimits,
    #[serde(skip_serializing_if = "signing_keys_empty")]
    pub signing_keys: SigningKeys,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    pub default_permissions: Permissions,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mappings: BTreeMap<String, Vec<WeightedMapping>>,
    #[serde(skip_serializing_if = "ExternalAuthorization::is_default")]
    pub authorization: ExternalAuthorization,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<MsgTrace>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster_traffic: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info_url: String,
    #[serde(flatten)]
    pub generic: GenericFields,
}

impl ExternalAuthorization {
    fn is_default(&self) -> bool {
        *self == ExternalAuthorization::default()
    }
}

/// Go's `AccountClaims`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountClaims {
    #[serde(flatten)]
    pub claims: ClaimsData,
    pub nats: Account,
}

impl AccountClaims {
    /// Go's `NewAccountClaims`: unlimited NATS limits, JetStream off.
    pub fn new(subject: &str) -> AccountClaims {
        let mut ac = AccountClaims::default();
        ac.claims.subject = subject.to_string();
        ac.nats.limits = OperatorLimits::unlimited();
        ac
    }

    /// Go's `Account.hasIssuer` as the server builds it: the account key
    /// itself (no scope) or one of its signing keys (maybe scoped). None
    /// when `issuer` may not sign users of this account.
    pub fn has_issuer(&self, issuer: &str) -> Option<Option<&super::types::UserScope>> {
        if issuer == self.claims.subject {
            return Some(None);
        }
        self.nats.signing_keys.get_scope(issuer).map(|s| s.as_ref())
    }

    /// Go's `Account.checkUserRevoked`.
    pub fn is_user_revoked(&self, user: &str, issued_at: i64) -> bool {
        is_revoked(&self.nats.revocations, user, issued_at)
    }

    /// Go's `AccountClaims.IsClaimRevoked`: a claim with no iat or subject
    /// counts as revoked.
    pub fn is_claim_revoked(&self, user: &UserClaims) -> bool {
        if user.claims.issued_at == 0 || user.claims.subject.is_empty() {
            return true;
        }
        self.is_user_revoked(&user.claims.subject, user.claims.issued_at)
    }

    /// Go's `AccountClaims.RevokeAt` (revocation times never move back).
    pub fn revoke_at(&mut self, pub_key: &str, unix_secs: i64) {
        let e = self.nats.revocations.entry(pub_key.to_string()).or_insert(unix_secs);
        if *e < unix_secs {
            *e = unix_secs;
        }
    }
}

/// Go's `User` (the `nats` object of a user JWT).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    #[serde(flatten)]
    pub limits: UserPermissionLimits,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    #[serde(flatten)]
    pub generic: GenericFields,
}

/// Go's `UserClaims`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserClaims {
    #[serde(flatten)]
    pub claims: ClaimsData,
    pub nats: User,
}

impl UserClaims {
    /// Go's `NewUserClaims`: unlimited subs, data and payload.
    pub fn new(subject: &str) -> UserClaims {
        let mut uc = UserClaims::default();
        uc.claims.subject = subject.to_string();
        uc.nats.limits.subs = super::types::NO_LIMIT;
        uc.nats.limits.data = super::types::NO_LIMIT;
        uc.nats.limits.payload = super::types::NO_LIMIT;
        uc
    }

    /// The account this user belongs to: `issuer_account` when a signing
    /// key signed it, else the issuer (Go's auth.go).
    pub fn account(&self) -> &str {
        if self.nats.issuer_account.is_empty() {
            &self.claims.issuer
        } else {
            &self.nats.issuer_account
        }
    }
}

/// Go's `GenericClaims`: registered fields plus the raw `nats` object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericClaims {
    #[serde(flatten)]
    pub claims: ClaimsData,
    #[serde(rename = "nats", skip_serializing_if = "serde_json::Map::is_empty")]
    pub data: serde_json::Map<String, serde_json::Value>,
}

/// A decoded, signature-checked claim of one of the supported types.
/// Short-lived (decoded, then matched on), so the size gap between the
/// variants is not worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Claims {
    Operator(OperatorClaims),
    Account(AccountClaims),
    User(UserClaims),
    /// Any other type (Go decodes unknown types as generic claims).
    Generic(GenericClaims),
}

impl Claims {
    pub fn data(&self) -> &ClaimsData {
        match self {
            Claims::Operator(c) => &c.claims,
            Claims::Account(c) => &c.claims,
            Claims::User(c) => &c.claims,
            Claims::Generic(c) => &c.claims,
        }
    }

    /// Go's `ClaimType()`.
    pub fn claim_type(&self) -> &'static str {
        match self {
            Claims::Operator(_) => OPERATOR_CLAIM,
            Claims::Account(_) => ACCOUNT_CLAIM,
            Claims::User(_) => USER_CLAIM,
            Claims::Generic(_) => GENERIC_CLAIM,
        }
    }
}
