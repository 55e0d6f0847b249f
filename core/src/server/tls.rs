//! TLS as the engine sees it: a policy, a per-connection "TLS pending"
//! phase, and the peer's certificate identities. The engine never touches
//! TLS bytes: the adapter runs the handshake (tokio-rustls in io-tokio) and
//! reports its outcome here. What Go decides in `createClientEx`, `tlsTimeout`
//! and `doTLSHandshake` (INFO's TLS fields, handshake-first, the "TLS
//! Required" error, the handshake timeout, pinned certificates) is decided
//! here.
//!
//! # Call order for a TLS connection
//!
//! 1. [`Server::handle_accept`]; then [`Server::tls_policy`] tells the
//!    adapter what to do. With [`TlsPolicy::Off`] the connection is plain.
//! 2. Otherwise the adapter sends what `poll_transmit` gives (the INFO, in
//!    plaintext; nothing with handshake-first), then looks at the client's
//!    first byte:
//!    With handshake-first and a fallback delay, a client silent that long
//!    gets [`Server::handle_tls_first_fallback`]: the adapter sends the
//!    INFO it queues and looks at the first byte as below.
//!    - not a TLS handshake record: [`Server::handle_tls_not_offered`];
//!      with `allow_non_tls` the connection goes on in plaintext, otherwise
//!      the engine queues `-ERR 'Secure Connection - TLS Required'` and
//!      closes it (the adapter writes that in plaintext);
//!    - a handshake: the adapter runs it, then calls
//!      [`Server::handle_tls_established`] or [`Server::handle_tls_failed`].
//! 3. The engine's TLS timer (`tls_timeout`) closes a connection whose
//!    handshake has not finished, as Go's `tlsTimeout`.

use crate::time::Instant;

use super::client::CloseReason;
use super::timers::TimerKind;
use super::{ConnId, Server};

/// The first byte of a TLS handshake record (ContentType handshake).
pub const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// What the adapter must do with a freshly accepted connection.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TlsPolicy {
    /// No TLS: bytes go straight to the engine.
    Off,
    /// Send INFO in plaintext, then expect the client to start TLS (Go's
    /// default). With `allow_non_tls`, a client may stay in plaintext.
    InfoFirst { allow_non_tls: bool },
    /// TLS handshake before INFO (`handshake_first`). With a fallback
    /// delay, a client silent that long gets INFO in plaintext instead.
    HandshakeFirst { fallback: Option<std::time::Duration> },
}

/// What the adapter learnt from a completed TLS handshake.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// The client's leaf certificate, when it sent one.
    pub peer_cert: Option<PeerCert>,
}

/// The identities in a client certificate, as Go's `x509.Certificate`
/// exposes them to `checkClientTLSCertSubject`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeerCert {
    pub emails: Vec<String>,
    pub dns_names: Vec<String>,
    pub uris: Vec<String>,
    /// The subject as Go's `pkix.RDNSequence.String()` prints it, e.g.
    /// `CN=alice,OU=NATS,O=Synadia,C=US`.
    pub subject: String,
    /// The subject's domain components as `DC=a,DC=b` (Go's
    /// `getTLSAuthDCs`); empty when there are none.
    pub domain_components: String,
    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo, matched
    /// against `pinned_certs`.
    pub spki_sha256: String,
}

impl PeerCert {
    /// The names `verify_and_map` tries, in Go's order: email SANs, DNS
    /// SANs, URI SANs, the subject with its domain components, then the
    /// plain subject.
    pub fn map_candidates(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        out.extend(self.emails.iter().cloned());
        out.extend(self.dns_names.iter().cloned());
        out.extend(self.uris.iter().cloned());
        if !self.domain_components.is_empty() {
            out.push(format!("{},{}", self.subject, self.domain_components));
        }
        if !self.subject.is_empty() {
            out.push(self.subject.clone());
        }
        out
    }
}

impl Server {
    /// How the adapter must treat new connections.
    pub fn tls_policy(&self) -> TlsPolicy {
        if !self.opts.tls {
            TlsPolicy::Off
        } else if self.opts.tls_handshake_first {
            let f = self.opts.tls_handshake_first_fallback;
            TlsPolicy::HandshakeFirst { fallback: (!f.is_zero()).then_some(f) }
        } else {
            TlsPolicy::InfoFirst { allow_non_tls: self.opts.allow_non_tls }
        }
    }

    /// The TLS handshake finished. Checks `pinned_certs` (Go's
    /// `matchesPinnedCert`); then, with handshake-first, queues INFO, and
    /// starts the auth and ping timers Go starts after the handshake.
    pub fn handle_tls_established(&mut self, now: Instant, id: ConnId, info: TlsInfo) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.is_closing() || !c.tls_pending {
            return;
        }
        let pinned = &self.opts.tls_pinned_certs;
        if !pinned.is_empty() {
            let key = info.peer_cert.as_ref().map(|p| p.spki_sha256.as_str());
            if !key.is_some_and(|k| pinned.iter().any(|p| p == k)) {
                tracing::error!("{} - TLS handshake error: peer certificate not pinned", c.log_prefix());
                self.close_conn(id, CloseReason::TlsHandshakeError, false);
                self.debug_check();
                return;
            }
        }
        tracing::debug!("{} - TLS handshake complete", c.log_prefix());
        c.tls_pending = false;
        c.tls_deadline = None;
        c.tls = Some(info);
        if !c.info_sent {
            c.info_sent = true;
            let bytes = self.client_info(id, true);
            if let Some(c) = self.conns.get_mut(&id) {
                c.outbound.extend_from_slice(&bytes);
            }
            self.want_transmit(id);
        }
        self.start_conn_timers(now, id);
        self.debug_check();
    }

    /// The client's first byte is not a TLS handshake. With
    /// `allow_non_tls`, after a plaintext INFO, the connection goes on in
    /// plaintext (Go's sniffing) and this returns true; otherwise it is
    /// closed with Go's "TLS Required" error.
    pub fn handle_tls_not_offered(&mut self, now: Instant, id: ConnId) -> bool {
        let Some(c) = self.conns.get_mut(&id) else { return false };
        if c.is_closing() || !c.tls_pending {
            return false;
        }
        if self.opts.allow_non_tls && c.info_sent {
            c.tls_pending = false;
            c.tls_deadline = None;
            self.start_conn_timers(now, id);
            self.debug_check();
            return true;
        }
        tracing::debug!("{} - Client did not start TLS", c.log_prefix());
        self.send_err(id, "Secure Connection - TLS Required");
        self.close_conn(id, CloseReason::TlsHandshakeError, true);
        self.debug_check();
        false
    }

    /// With handshake-first and a fallback delay: the client stayed silent,
    /// so it gets INFO in plaintext (with the configured `tls_required`),
    /// and the connection continues as without handshake-first: the
    /// adapter sends the INFO and waits for the client's first byte again
    /// (Go's "TLS first" fallback).
    pub fn handle_tls_first_fallback(&mut self, _now: Instant, id: ConnId) {
        let Some(c) = self.conns.get_mut(&id) else { return };
        if c.is_closing() || !c.tls_pending || c.info_sent {
            return;
        }
        c.info_sent = true;
        let bytes = self.client_info(id, false);
        if let Some(c) = self.conns.get_mut(&id) {
            c.outbound.extend_from_slice(&bytes);
        }
        self.want_transmit(id);
        self.debug_check();
    }

    /// The TLS handshake failed; `error` is for the log. Go closes such a
    /// connection without a word on the wire.
    pub fn handle_tls_failed(&mut self, _now: Instant, id: ConnId, error: &str) {
        let Some(c) = self.conns.get(&id) else { return };
        if c.is_closing() {
            return;
        }
        tracing::debug!("{} - TLS handshake error: {}", c.log_prefix(), error);
        self.close_conn(id, CloseReason::TlsHandshakeError, false);
        self.debug_check();
    }

    /// Go's `tlsTimeout`: the handshake did not finish in `tls_timeout`.
    pub(super) fn on_tls_timer(&mut self, id: ConnId) {
        let Some(c) = self.conns.get(&id) else { return };
        if !c.tls_pending {
            return;
        }
        tracing::debug!("{} - TLS handshake timeout", c.log_prefix());
        self.send_err(id, "Secure Connection - TLS Required");
        self.close_conn(id, CloseReason::TlsHandshakeError, true);
    }

    /// Arms the TLS handshake timer of a connection that starts with TLS.
    pub(super) fn start_tls_timer(&mut self, now: Instant, id: ConnId) {
        let deadline = now + self.opts.tls_timeout;
        self.set_timer(id, TimerKind::Tls, deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_candidates_follow_gos_order() {
        let p = PeerCert {
            emails: vec!["a@b.c".into()],
            dns_names: vec!["host.example".into()],
            uris: vec!["nats://u".into()],
            subject: "CN=alice,O=Synadia".into(),
            domain_components: "DC=example,DC=com".into(),
            spki_sha256: String::new(),
        };
        assert_eq!(
            p.map_candidates(),
            vec!["a@b.c", "host.example", "nats://u", "CN=alice,O=Synadia,DC=example,DC=com", "CN=alice,O=Synadia"]
        );
        assert!(PeerCert::default().map_candidates().is_empty());
    }
}
