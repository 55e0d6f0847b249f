//! The engine's TLS decisions, driven sans-IO: what the adapter is told to
//! do, what goes on the wire in plaintext, and the handshake timer.

use std::time::Duration;

use bytes::BytesMut;
use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::{ConnId, Event, PeerCert, RemoteAddr, Server, TlsInfo, TlsPolicy};
use rnatsd_core::time::Instant;

fn tls_opts() -> ServerOptions {
    ServerOptions { tls: true, tls_cert: Some("c".into()), tls_key: Some("k".into()), ..ServerOptions::default() }
}

fn server(opts: ServerOptions) -> Server {
    Server::new(opts, 1, Instant::ZERO, 1_000).unwrap()
}

fn accept(s: &mut Server) -> ConnId {
    s.handle_accept(Instant::ZERO, RemoteAddr { ip: "127.0.0.1".into(), port: 1 })
}

fn take(s: &mut Server, id: ConnId) -> String {
    let mut out = BytesMut::new();
    s.poll_transmit(id, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn closed(s: &mut Server, id: ConnId) -> bool {
    let mut seen = false;
    while let Some(e) = s.poll_event() {
        seen |= e == Event::Close(id);
    }
    seen
}

#[test]
fn info_first_then_tls_required_error_for_plaintext() {
    let mut s = server(tls_opts());
    assert_eq!(s.tls_policy(), TlsPolicy::InfoFirst { allow_non_tls: false });
    let id = accept(&mut s);
    let info = take(&mut s, id);
    assert!(info.starts_with("INFO ") && info.contains("\"tls_required\":true"), "{info}");
    assert!(!s.handle_tls_not_offered(Instant::ZERO, id));
    assert_eq!(take(&mut s, id), "-ERR 'Secure Connection - TLS Required'\r\n");
    assert!(closed(&mut s, id));
}

#[test]
fn tls_timer_closes_a_stalled_handshake() {
    let mut s = server(ServerOptions { tls_timeout: Duration::from_millis(500), ..tls_opts() });
    let id = accept(&mut s);
    take(&mut s, id);
    assert_eq!(s.poll_timeout(), Some(Instant::from_nanos(500_000_000)), "only the TLS timer runs");
    s.handle_timeout(Instant::from_nanos(499_000_000));
    assert!(!closed(&mut s, id));
    s.handle_timeout(Instant::from_nanos(500_000_000));
    assert_eq!(take(&mut s, id), "-ERR 'Secure Connection - TLS Required'\r\n");
    assert!(closed(&mut s, id));
}

#[test]
fn established_starts_protocol_and_stops_the_tls_timer() {
    let mut s = server(tls_opts());
    let id = accept(&mut s);
    take(&mut s, id);
    s.handle_tls_established(Instant::ZERO, id, TlsInfo::default());
    s.handle_timeout(Instant::from_nanos(2_000_000_000));
    s.handle_read(Instant::from_nanos(2_000_000_000), id, b"CONNECT {\"verbose\":false}\r\nPING\r\n");
    assert!(take(&mut s, id).ends_with("PONG\r\n"));
    assert_eq!(s.num_connections(), 1);
}

#[test]
fn handshake_first_sends_info_after_tls() {
    let mut s = server(ServerOptions { tls_handshake_first: true, allow_non_tls: true, ..tls_opts() });
    assert_eq!(s.tls_policy(), TlsPolicy::HandshakeFirst { fallback: None });
    let id = accept(&mut s);
    assert_eq!(take(&mut s, id), "", "nothing in plaintext");
    s.handle_tls_established(Instant::ZERO, id, TlsInfo::default());
    let info = take(&mut s, id);
    assert!(info.contains("\"tls_required\":true") && !info.contains("tls_available"), "{info}");
}

#[test]
fn handshake_first_fallback_sends_plaintext_info() {
    let mut s = server(ServerOptions {
        tls_handshake_first: true,
        tls_handshake_first_fallback: Duration::from_millis(50),
        allow_non_tls: true,
        ..tls_opts()
    });
    let id = accept(&mut s);
    assert_eq!(take(&mut s, id), "");
    s.handle_tls_first_fallback(Instant::ZERO, id);
    let info = take(&mut s, id);
    assert!(info.contains("\"tls_available\":true"), "{info}");
    assert!(s.handle_tls_not_offered(Instant::ZERO, id), "allow_non_tls lets it go on in plaintext");
    s.handle_read(Instant::ZERO, id, b"PING\r\n");
    assert_eq!(take(&mut s, id), "PONG\r\n");
}

#[test]
fn allow_non_tls_info_and_plaintext() {
    let mut s = server(ServerOptions { allow_non_tls: true, tls_verify: true, ..tls_opts() });
    let id = accept(&mut s);
    let info = take(&mut s, id);
    assert!(info.contains("\"tls_verify\":true,\"tls_available\":true") && !info.contains("tls_required"), "{info}");
    assert!(s.handle_tls_not_offered(Instant::ZERO, id));
    s.handle_read(Instant::ZERO, id, b"PING\r\n");
    assert_eq!(take(&mut s, id), "PONG\r\n");
}

#[test]
fn pinned_certs_refuse_other_keys() {
    let pin = "ab".repeat(32);
    let mut s = server(ServerOptions { tls_pinned_certs: vec![pin.clone()], ..tls_opts() });
    let cert = |k: &str| TlsInfo { peer_cert: Some(PeerCert { spki_sha256: k.to_string(), ..PeerCert::default() }) };
    let bad = accept(&mut s);
    s.handle_tls_established(Instant::ZERO, bad, cert(&"cd".repeat(32)));
    assert!(closed(&mut s, bad));
    let none = accept(&mut s);
    s.handle_tls_established(Instant::ZERO, none, TlsInfo::default());
    assert!(closed(&mut s, none));
    let good = accept(&mut s);
    s.handle_tls_established(Instant::ZERO, good, cert(&pin));
    assert!(!closed(&mut s, good));
}

#[test]
fn bytes_before_tls_close_the_connection() {
    let mut s = server(tls_opts());
    let id = accept(&mut s);
    take(&mut s, id);
    s.handle_read(Instant::ZERO, id, b"PING\r\n");
    assert!(closed(&mut s, id));
}
