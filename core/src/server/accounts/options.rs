//! What the `accounts {}` block configures (Go's `Account` as built by
//! opts.go `parseAccounts`, before the server resolves names to accounts).
//! Plain data: the runtime [`super::Account`] is built from it.

use std::time::Duration;

use crate::options::{NkeyUser, Permissions, User};

/// Go's `DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD`: how long a service
/// import's response mapping lives without a response.
pub const DEFAULT_SERVICE_EXPORT_RESPONSE_THRESHOLD: Duration = Duration::from_secs(120);

/// Go's `ServiceRespType`: how many responses a service request may get.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum ResponseType {
    /// One response; the mapping goes away after it.
    #[default]
    Singleton,
    /// Any number of responses until the threshold expires.
    Stream,
    /// Like `Stream` (chunks of one large response).
    Chunked,
}

impl ResponseType {
    /// Go's `ServiceRespType.String`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Singleton => "Singleton",
            ResponseType::Stream => "Streamed",
            ResponseType::Chunked => "Chunked",
        }
    }
}

/// Whether an export or import is a stream or a service.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Stream,
    Service,
}

/// One entry of an account's `exports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportOptions {
    pub kind: ExportKind,
    pub subject: String,
    /// Accounts allowed to import; empty means public.
    pub accounts: Vec<String>,
    /// Services only.
    pub response_type: ResponseType,
    /// Services only; None is Go's default (2 min).
    pub response_threshold: Option<Duration>,
}

/// One entry of an account's `imports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    pub kind: ExportKind,
    /// The exporting account.
    pub account: String,
    /// The subject in the exporting account.
    pub subject: String,
    /// Streams only: the subject is delivered as `<prefix>.<subject>`.
    pub prefix: Option<String>,
    /// Streams: the local subject (mapped); services: the local subject
    /// the importer publishes to (defaults to `subject`).
    pub to: Option<String>,
}

/// Go's account `limits {}` (connections, subscriptions, payload, leaf
/// nodes); -1 is unlimited, as Go's `jwt.NoLimit`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AccountLimits {
    pub max_connections: i64,
    pub max_subscriptions: i64,
    pub max_payload: i64,
    pub max_leafnodes: i64,
}

impl Default for AccountLimits {
    fn default() -> Self {
        AccountLimits { max_connections: -1, max_subscriptions: -1, max_payload: -1, max_leafnodes: -1 }
    }
}

/// One account of the `accounts {}` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountOptions {
    pub name: String,
    /// The account's public NKEY (`A...`), informational without JWTs.
    pub nkey: Option<String>,
    /// Users bound to this account (default permissions already applied).
    pub users: Vec<User>,
    pub nkeys: Vec<NkeyUser>,
    pub default_permissions: Option<Permissions>,
    pub exports: Vec<ExportOptions>,
    pub imports: Vec<ImportOptions>,
    pub limits: AccountLimits,
    /// `jetstream: enabled` (or a limits map, or JWT JetStream limits).
    pub jetstream: bool,
    /// The account's JetStream limits when [`Self::jetstream`] is set
    /// (`None`: unlimited).
    pub jetstream_limits: Option<crate::jetstream::account_info::JetStreamAccountLimits>,
}

impl AccountOptions {
    pub fn new(name: &str) -> AccountOptions {
        AccountOptions { name: name.to_string(), ..AccountOptions::default() }
    }
}
