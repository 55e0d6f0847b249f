//! Server options: what nats-server calls `Options` (opts.go). Built by the
//! `server` crate from flags and the config file (see [`crate::conf`]), then
//! handed to the core [`crate::server::Server`] as a value.
//!
//! Field names follow Go's config keys; defaults follow Go's `setBaselineOptions`.

use std::time::Duration;

pub const DEFAULT_PORT: u16 = 4222;
pub const DEFAULT_HOST: &str = "0.0.0.0";
pub const DEFAULT_HTTP_PORT: u16 = 8222;
/// const.go: MAX_PAYLOAD_SIZE (1 MiB).
pub const MAX_PAYLOAD_SIZE: i32 = 1024 * 1024;
/// const.go: MAX_CONTROL_LINE_SIZE.
pub const MAX_CONTROL_LINE_SIZE: i32 = 4096;
/// const.go: MAX_PENDING_SIZE (64 MiB).
pub const MAX_PENDING_SIZE: i64 = 64 * 1024 * 1024;
/// const.go: DEFAULT_MAX_CONNECTIONS (64K).
pub const DEFAULT_MAX_CONNECTIONS: i32 = 64 * 1024;
/// const.go: DEFAULT_PING_INTERVAL.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(120);
/// const.go: DEFAULT_PING_MAX_OUT.
pub const DEFAULT_PING_MAX_OUT: i32 = 2;
/// const.go: AUTH_TIMEOUT (2 s).
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(2);
/// const.go: DEFAULT_FLUSH_DEADLINE (10 s).
pub const DEFAULT_FLUSH_DEADLINE: Duration = Duration::from_secs(10);
/// const.go: TLS_TIMEOUT (2 s), the TLS handshake wait.
pub const TLS_TIMEOUT: Duration = Duration::from_secs(2);
/// const.go: DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY (50 ms).
pub const DEFAULT_TLS_HANDSHAKE_FIRST_FALLBACK_DELAY: Duration = Duration::from_millis(50);
/// jetstream: default sync interval (2 min) when `sync_interval` is set to a non-always value.
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(120);

/// Publish/subscribe permissions of one user (Go's `Permissions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions {
    pub publish: Option<SubjectPermission>,
    pub subscribe: Option<SubjectPermission>,
    /// `allow_responses`: (max messages, expiry). None when not set.
    pub response: Option<ResponsePermission>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectPermission {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponsePermission {
    pub max_msgs: i32,
    pub expires: Duration,
}

/// A user of the `authorization { users = [...] }` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub username: String,
    /// Plain text, or a bcrypt hash (`$2a$...`) as Go accepts.
    pub password: String,
    pub permissions: Option<Permissions>,
}

/// An NKEY user of the `authorization { users = [...] }` block (Go's
/// `NkeyUser`): authenticates by signing the INFO nonce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NkeyUser {
    /// The public user key (`U...`, 56 characters of base32).
    pub nkey: String,
    pub permissions: Option<Permissions>,
}

/// The `jetstream {}` block and the `-js`/`-sd` flags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JetStreamOptions {
    pub enabled: bool,
    pub store_dir: Option<String>,
    /// -1 means "dynamic" as in Go.
    pub max_memory_store: i64,
    pub max_file_store: i64,
    /// None: rnatsd's default (durable before ack). Some(ZERO) = `always`.
    pub sync_interval: Option<Duration>,
    pub sync_always: bool,
    pub strict: bool,
    pub domain: Option<String>,
    /// `cipher`: the AEAD for encryption at rest (default AES-GCM when a
    /// key is set).
    pub cipher: Option<crate::store::filestore::Cipher>,
    /// `key` / `ek` / `encryption_key`: turns on encryption at rest.
    pub key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerOptions {
    pub config_file: Option<String>,
    pub server_name: String,
    pub host: String,
    /// 0 or -1 (RANDOM_PORT) picks a free port, as in Go.
    pub port: i32,
    pub client_advertise: Option<String>,

    // Authorization (single user, token, or users list).
    pub username: Option<String>,
    pub password: Option<String>,
    pub authorization: Option<String>,
    pub users: Vec<User>,
    /// NKEY users (Go: Nkeys).
    pub nkeys: Vec<NkeyUser>,
    pub auth_timeout: Duration,
    pub no_auth_user: Option<String>,
    /// The `accounts {}` block (Go: Accounts), in config order.
    pub accounts: Vec<crate::server::accounts::AccountOptions>,
    /// `system_account` (Go: SystemAccount); `$SYS` when unset.
    pub system_account: Option<String>,
    /// `no_system_account` (Go: NoSystemAccount).
    pub no_system_account: bool,
    /// Operator mode (`operator`, `resolver`, `resolver_preload`, ...):
    /// Some only when at least one operator is configured.
    pub operator: Option<crate::conf::operator::OperatorConfig>,

    // Limits.
    pub max_conn: i32,
    pub max_subs: i32,
    pub max_payload: i32,
    pub max_control_line: i32,
    pub max_pending: i64,
    pub ping_interval: Duration,
    pub max_pings_out: i32,
    pub write_deadline: Duration,
    pub no_header_support: bool,

    // Logging.
    pub debug: bool,
    pub trace: bool,
    pub trace_verbose: bool,
    pub logtime: bool,
    pub logtime_utc: bool,
    pub log_file: Option<String>,
    pub syslog: bool,
    pub pid_file: Option<String>,
    pub ports_file_dir: Option<String>,

    // Monitoring.
    pub http_host: String,
    pub http_port: i32,
    pub https_port: i32,
    pub http_base_path: String,

    pub jetstream: JetStreamOptions,

    // Clustering (accepted, not yet supported).
    pub cluster_listen: Option<String>,
    pub cluster_name: Option<String>,
    pub routes: Vec<String>,

    pub lame_duck_duration: Duration,
    pub lame_duck_grace_period: Duration,

    // Added with the config/flags port (Go has these options).
    /// `log_size_limit` / `--log_size_limit` (Go: LogSizeLimit).
    pub log_size_limit: i64,
    /// `max_traced_msg_len` / `--max_traced_msg_len` (Go: MaxTracedMsgLen).
    pub max_traced_msg_len: i32,
    /// `remote_syslog` / `-r` (Go: RemoteSyslog).
    pub remote_syslog: Option<String>,
    /// `trace_headers` (Go: TraceHeaders; also turns on trace).
    pub trace_headers: bool,
    /// `prof_port` / `--profile` (Go: ProfPort).
    pub prof_port: i32,
    /// `cluster { advertise }` / `--cluster_advertise` (Go: Cluster.Advertise).
    pub cluster_advertise: Option<String>,
    /// `cluster { no_advertise }` / `--no_advertise` (Go: Cluster.NoAdvertise).
    pub cluster_no_advertise: bool,
    /// `cluster { connect_retries }` / `--connect_retries` (Go: Cluster.ConnectRetries).
    pub cluster_connect_retries: i32,
    /// TLS for client connections: `tls {}` or `--tls`, `--tlsverify`,
    /// `--tlscert`, `--tlskey`, `--tlscacert` (Go: TLS, TLSVerify, TLSCert,
    /// TLSKey, TLSCaCert; `tls` true stands for Go's `TLSConfig != nil`).
    pub tls: bool,
    /// Require and verify client certificates (`verify`, `--tlsverify`).
    pub tls_verify: bool,
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    pub tls_ca_cert: Option<String>,
    /// `verify_and_map`: the client certificate names the user (Go: TLSMap).
    pub tls_map: bool,
    /// Handshake timeout (`timeout`; Go: TLSTimeout, default 2 s).
    pub tls_timeout: Duration,
    /// `handshake_first`: TLS before INFO (Go: TLSHandshakeFirst).
    pub tls_handshake_first: bool,
    /// With `handshake_first: auto` or a duration: a client silent this
    /// long gets INFO in plaintext (Go: TLSHandshakeFirstFallback).
    pub tls_handshake_first_fallback: Duration,
    /// `pinned_certs`: lowercase hex SHA-256 of the client certificate's
    /// SubjectPublicKeyInfo (Go: TLSPinnedCerts). Empty: no pinning.
    pub tls_pinned_certs: Vec<String>,
    /// `allow_non_tls`: TLS is offered, not required (Go: AllowNonTLS).
    pub allow_non_tls: bool,

    /// Unknown-but-Go-known keys seen in the config file, for warnings.
    pub warnings: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            config_file: None,
            server_name: String::new(),
            host: DEFAULT_HOST.to_string(),
            port: DEFAULT_PORT as i32,
            client_advertise: None,
            username: None,
            password: None,
            authorization: None,
            users: Vec::new(),
            nkeys: Vec::new(),
            auth_timeout: AUTH_TIMEOUT,
            no_auth_user: None,
            accounts: Vec::new(),
            system_account: None,
            no_system_account: false,
            operator: None,
            max_conn: DEFAULT_MAX_CONNECTIONS,
            max_subs: 0,
            max_payload: MAX_PAYLOAD_SIZE,
            max_control_line: MAX_CONTROL_LINE_SIZE,
            max_pending: MAX_PENDING_SIZE,
            ping_interval: DEFAULT_PING_INTERVAL,
            max_pings_out: DEFAULT_PING_MAX_OUT,
            write_deadline: DEFAULT_FLUSH_DEADLINE,
            no_header_support: false,
            debug: false,
            trace: false,
            trace_verbose: false,
            logtime: true,
            logtime_utc: false,
            log_file: None,
            syslog: false,
            pid_file: None,
            ports_file_dir: None,
            http_host: DEFAULT_HOST.to_string(),
            http_port: 0,
            https_port: 0,
            http_base_path: String::new(),
            jetstream: JetStreamOptions::default(),
            cluster_listen: None,
            cluster_name: None,
            routes: Vec::new(),
            lame_duck_duration: Duration::from_secs(120),
            lame_duck_grace_period: Duration::from_secs(10),
            log_size_limit: 0,
            max_traced_msg_len: 0,
            remote_syslog: None,
            trace_headers: false,
            prof_port: 0,
            cluster_advertise: None,
            cluster_no_advertise: false,
            cluster_connect_retries: 0,
            tls: false,
            tls_verify: false,
            tls_cert: None,
            tls_key: None,
            tls_ca_cert: None,
            tls_map: false,
            tls_timeout: TLS_TIMEOUT,
            tls_handshake_first: false,
            tls_handshake_first_fallback: Duration::ZERO,
            tls_pinned_certs: Vec::new(),
            allow_non_tls: false,
            warnings: Vec::new(),
        }
    }
}
