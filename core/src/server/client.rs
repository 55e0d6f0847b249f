//! One client connection's state inside the engine (Go's `client`).
//!
//! The connection owns its read buffer and parser, its outbound buffer, its
//! subscriptions by sid, and its PING and auth timers. Routing between
//! connections lives in [`super::Server`].

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};

use crate::protocol::{Parser, ParserLimits};
use crate::time::Instant;

use super::accounts::{AccountId, GLOBAL};
use super::connect::ConnectOptions;
use super::perms::ClientPermissions;
use super::subs::SubRef;
use super::tls::TlsInfo;
use super::ConnId;

/// Where a connection is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// INFO sent; waiting for CONNECT (required only when auth is on).
    ExpectConnect,
    /// CONNECT processed (or not required); routing messages.
    Connected,
    /// Closed by the server: no more input is processed, no more output is
    /// queued; the adapter drains what is left and then reports the close.
    Closing,
}

/// Why a connection closed (Go's `ClosedState`), for logs and monitoring.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CloseReason {
    ClientClosed,
    AuthenticationTimeout,
    AuthenticationViolation,
    SlowConsumerPendingBytes,
    SlowConsumerWriteDeadline,
    ParseError,
    ProtocolViolation,
    MaxPayloadExceeded,
    MaxControlLineExceeded,
    MaxConnectionsExceeded,
    MaxAccountConnectionsExceeded,
    StaleConnection,
    ServerShutdown,
    BadClientProtocolVersion,
    NoRespondersRequiresHeaders,
    TlsHandshakeError,
    /// A JWT user's `exp` (or connect window) passed.
    AuthenticationExpired,
    /// The account JWT revoked the user.
    Revocation,
}

impl CloseReason {
    /// The wording Go uses in "Client connection closed: <reason>".
    pub fn as_str(self) -> &'static str {
        match self {
            CloseReason::ClientClosed => "Client Closed",
            CloseReason::AuthenticationTimeout => "Authentication Timeout",
            CloseReason::AuthenticationViolation => "Authentication Failure",
            CloseReason::SlowConsumerPendingBytes => "Slow Consumer (Pending Bytes)",
            CloseReason::SlowConsumerWriteDeadline => "Slow Consumer (Write Deadline)",
            CloseReason::ParseError => "Parse Error",
            CloseReason::ProtocolViolation => "Protocol Violation",
            CloseReason::MaxPayloadExceeded => "Maximum Message Payload Exceeded",
            CloseReason::MaxControlLineExceeded => "Maximum Control Line Exceeded",
            CloseReason::MaxConnectionsExceeded => "Maximum Connections Exceeded",
            CloseReason::MaxAccountConnectionsExceeded => "Maximum Account Connections Exceeded",
            CloseReason::StaleConnection => "Stale Connection",
            CloseReason::ServerShutdown => "Server Shutdown",
            CloseReason::BadClientProtocolVersion => "Bad Client Protocol Version",
            CloseReason::NoRespondersRequiresHeaders => "No Responders Requires Headers",
            CloseReason::TlsHandshakeError => "TLS Handshake Failure",
            CloseReason::AuthenticationExpired => "Authentication Expired",
            CloseReason::Revocation => "Credentials Revoked",
        }
    }
}

#[derive(Debug)]
pub struct ClientConn {
    pub id: ConnId,
    pub ip: String,
    pub port: u16,
    pub state: ConnState,
    pub close_reason: Option<CloseReason>,
    pub opts: ConnectOptions,
    pub connect_received: bool,
    pub user: Option<String>,
    /// The account this connection is bound to (`$G` until authenticated).
    pub acc: AccountId,
    pub perms: Option<ClientPermissions>,
    pub parser: Parser,
    pub read_buf: BytesMut,
    /// Bytes queued for the socket, not yet taken by the adapter.
    pub outbound: BytesMut,
    /// A `Transmit` event is queued and not yet answered by `poll_transmit`.
    pub transmit_pending: bool,
    /// Subscriptions by sid.
    pub subs: HashMap<Bytes, SubRef>,
    #[allow(dead_code)] // for /connz (operations issue)
    pub created: Instant,

    pub last_activity: Instant,
    /// Last time this connection sent us anything (Go's `lastIn`).
    pub last_in: Instant,
    pub pings_out: i32,
    /// A PONG for one of our PINGs has come back (RTT measured).
    pub rtt_measured: bool,
    pub ping_deadline: Option<Instant>,
    pub auth_deadline: Option<Instant>,
    /// The nonce this connection's INFO carried (empty without NKEY users).
    pub nonce: String,
    /// TLS is expected and its handshake has not finished: no bytes are
    /// read, no timers but the TLS one run.
    pub tls_pending: bool,
    pub tls_deadline: Option<Instant>,
    /// INFO was queued (not yet, with TLS handshake-first).
    pub info_sent: bool,
    /// What the TLS handshake established; None for a plaintext client.
    pub tls: Option<TlsInfo>,
    pub in_msgs: u64,
    pub in_bytes: u64,
    pub out_msgs: u64,
    pub out_bytes: u64,
    /// Round-trip time measured from our last PING to its PONG (Go's `rtt`).
    pub rtt: Option<std::time::Duration>,
    /// When the PING that measures `rtt` was sent.
    pub rtt_start: Option<Instant>,
    /// The subscriptions it had when the server closed it, for `/connz?state=closed`.
    pub closed_subs: Vec<super::connz::SubDetail>,
    /// Operator mode: the JWT user this connection authenticated as.
    pub jwt: Option<super::operator::JwtUser>,
}

impl ClientConn {
    pub fn new(id: ConnId, ip: String, port: u16, now: Instant, limits: ParserLimits) -> ClientConn {
        ClientConn {
            id,
            ip,
            port,
            state: ConnState::ExpectConnect,
            close_reason: None,
            opts: ConnectOptions::default(),
            connect_received: false,
            user: None,
            acc: GLOBAL,
            perms: None,
            parser: Parser::for_client_conn(limits),
            read_buf: BytesMut::new(),
            outbound: BytesMut::new(),
            transmit_pending: false,
            subs: HashMap::new(),
            created: now,
            last_activity: now,
            last_in: now,
            pings_out: 0,
            rtt_measured: false,
            ping_deadline: None,
            auth_deadline: None,
            nonce: String::new(),
            tls_pending: false,
            tls_deadline: None,
            info_sent: false,
            tls: None,
            in_msgs: 0,
            in_bytes: 0,
            out_msgs: 0,
            out_bytes: 0,
            rtt: None,
            rtt_start: None,
            closed_subs: Vec::new(),
            jwt: None,
        }
    }

    pub fn is_closing(&self) -> bool {
        self.state == ConnState::Closing
    }

    /// The `"<ip>:<port> - cid:<n>"` prefix of Go's client log lines.
    pub fn log_prefix(&self) -> String {
        format!("{}:{} - cid:{}", self.ip, self.port, self.id.0)
    }
}
