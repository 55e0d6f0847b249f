//! The `INFO` message a server sends first on every client connection
//! (Go's `Info`, server.go). Optional fields are omitted when empty, as Go's
//! `omitempty` does: some clients treat `"auth_required":false` differently
//! from an absent key.

use serde::Serialize;

/// The nats-server version whose behaviour rnatsd implements. Clients gate
/// features on it; rnatsd's own version is in `--version` and the banner.
pub const NATS_COMPAT_VERSION: &str = "2.11.0";
/// rnatsd's own version.
pub const RNATSD_VERSION: &str = env!("CARGO_PKG_VERSION");
/// The protocol level we speak (Go's PROTO_VERSION).
pub const PROTO_VERSION: i32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Info {
    pub server_id: String,
    pub server_name: String,
    pub version: String,
    pub proto: i32,
    pub go: String,
    pub host: String,
    pub port: u16,
    pub headers: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auth_required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_required: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_verify: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tls_available: bool,
    pub max_payload: i32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub jetstream: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub client_id: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub client_ip: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ldm: bool,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Info {
    /// `INFO <json> \r\n`, byte for byte as Go writes it (note the space
    /// before CRLF: Go joins the three parts with spaces).
    pub fn to_proto(&self) -> Vec<u8> {
        // Serializing plain strings, numbers and bools cannot fail.
        let json = serde_json::to_vec(self).expect("INFO serializes");
        let mut out = Vec::with_capacity(json.len() + 8);
        out.extend_from_slice(b"INFO ");
        out.extend_from_slice(&json);
        out.extend_from_slice(b" \r\n");
        out
    }
}
