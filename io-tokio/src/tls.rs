//! TLS for client connections: loads the certificate files into a rustls
//! `ServerConfig` (Go's `GenTLSConfig`), and runs a connection's TLS phase
//! as the engine's [`TlsPolicy`] says, reporting every outcome back to the
//! engine (which decides INFO, errors, timeouts and pinning). See the call
//! order in `rnatsd_core::server::tls`.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::{ConnId, TlsInfo, TlsPolicy, TLS_HANDSHAKE_RECORD};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use crate::conn::{self, ConnHandle};
use crate::runtime::Shared;
use crate::x509;

/// Builds the acceptor for `opts`, or None when TLS is off. Errors are
/// worded as Go's `GenTLSConfig` words them.
pub(crate) fn build_acceptor(opts: &ServerOptions) -> Result<Option<TlsAcceptor>, String> {
    if !opts.tls {
        return Ok(None);
    }
    let (Some(cert_file), Some(key_file)) = (opts.tls_cert.as_deref(), opts.tls_key.as_deref()) else {
        return Err("TLS Server certificate must be present and valid".to_string());
    };
    let certs = load_certs(cert_file).map_err(|e| format!("error parsing X509 certificate/key pair: {e}"))?;
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("error parsing X509 certificate/key pair: {key_file}: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if opts.tls_verify {
        let Some(ca_file) = opts.tls_ca_cert.as_deref() else {
            return Err("TLS verify requires a CA file (tls { ca_file } or --tlscacert)".to_string());
        };
        let mut roots = RootCertStore::empty();
        for c in load_certs(ca_file).map_err(|e| format!("failed to parse root ca certificate: {e}"))? {
            roots.add(c).map_err(|e| format!("failed to parse root ca certificate: {ca_file}: {e}"))?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("failed to build client certificate verifier: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(certs, key).map_err(|e| format!("error parsing X509 certificate/key pair: {e}"))?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

fn load_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{path}: {e}"))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{path}: no certificate found"));
    }
    Ok(certs)
}

/// What the client did first.
enum First {
    Byte(u8),
    /// Nothing within the handshake-first fallback delay.
    Silent,
    /// EOF or a read error.
    Gone,
    /// The engine closed the connection (TLS timeout, max connections...).
    Closed,
}

/// Runs the TLS phase of an accepted connection, then hands the (TLS or
/// plaintext) stream to the ordinary reader and writer tasks.
pub(crate) async fn serve(
    mut stream: TcpStream,
    id: ConnId,
    handle: Arc<ConnHandle>,
    shared: Arc<Shared>,
    policy: TlsPolicy,
    acceptor: TlsAcceptor,
) {
    let fallback = match policy {
        TlsPolicy::Off => return conn::spawn(stream, id, handle, shared),
        TlsPolicy::InfoFirst { .. } => {
            // INFO goes out in plaintext before the handshake.
            if !write_pending(&mut stream, id, &shared).await {
                return finish(id, &shared);
            }
            None
        }
        TlsPolicy::HandshakeFirst { fallback } => fallback,
    };
    let mut first = first_byte(&stream, &handle, fallback).await;
    if let First::Silent = first {
        {
            let mut inner = shared.lock();
            let now = shared.clock.now();
            inner.server.handle_tls_first_fallback(now, id);
            inner.dispatch(&shared);
        }
        if !write_pending(&mut stream, id, &shared).await {
            return finish(id, &shared);
        }
        first = first_byte(&stream, &handle, None).await;
    }
    match first {
        First::Byte(TLS_HANDSHAKE_RECORD) => {}
        First::Byte(_) => {
            let mut inner = shared.lock();
            let now = shared.clock.now();
            // Plaintext goes on (allow_non_tls), or the engine queued
            // "TLS Required" and closed: either way the writer drains it.
            inner.server.handle_tls_not_offered(now, id);
            inner.dispatch(&shared);
            drop(inner);
            return conn::spawn(stream, id, handle, shared);
        }
        First::Silent | First::Gone | First::Closed => return conn::spawn(stream, id, handle, shared),
    }
    let accept = acceptor.accept(stream);
    tokio::pin!(accept);
    let result = loop {
        tokio::select! {
            r = &mut accept => break r,
            _ = handle.wake.notified() => {
                if handle.is_closing() {
                    // The engine gave up (TLS timeout): drop the socket.
                    return finish(id, &shared);
                }
            }
        }
    };
    match result {
        Ok(tls) => {
            let peer_cert =
                tls.get_ref().1.peer_certificates().and_then(|c| c.first()).and_then(|c| x509::peer_cert(c.as_ref()));
            let mut inner = shared.lock();
            let now = shared.clock.now();
            inner.server.handle_tls_established(now, id, TlsInfo { peer_cert });
            inner.dispatch(&shared);
            drop(inner);
            conn::spawn_io(tls, id, handle, shared);
        }
        Err(e) => {
            {
                let mut inner = shared.lock();
                let now = shared.clock.now();
                inner.server.handle_tls_failed(now, id, &e.to_string());
                inner.dispatch(&shared);
            }
            finish(id, &shared);
        }
    }
}

/// Writes what the engine queued (INFO) straight to the socket. False if
/// the socket failed.
async fn write_pending(stream: &mut TcpStream, id: ConnId, shared: &Shared) -> bool {
    let mut out = BytesMut::new();
    let (n, deadline) = {
        let mut inner = shared.lock();
        (inner.server.poll_transmit(id, &mut out), inner.server.options().write_deadline)
    };
    if n == 0 {
        return true;
    }
    matches!(tokio::time::timeout(deadline, stream.write_all(&out)).await, Ok(Ok(())))
}

/// Waits for the client's first byte without consuming it.
async fn first_byte(stream: &TcpStream, handle: &ConnHandle, fallback: Option<Duration>) -> First {
    let silent_at = fallback.map(|d| tokio::time::Instant::now() + d);
    let mut b = [0u8; 1];
    loop {
        tokio::select! {
            r = stream.peek(&mut b) => {
                return match r {
                    Ok(n) if n > 0 => First::Byte(b[0]),
                    _ => First::Gone,
                };
            }
            _ = handle.wake.notified() => {
                if handle.is_closing() {
                    return First::Closed;
                }
            }
            _ = async { tokio::time::sleep_until(silent_at.unwrap_or_else(tokio::time::Instant::now)).await },
                if silent_at.is_some() => return First::Silent,
        }
    }
}

/// The connection ends without its reader and writer ever starting.
fn finish(id: ConnId, shared: &Shared) {
    let mut inner = shared.lock();
    let now = shared.clock.now();
    inner.server.handle_disconnect(now, id);
    inner.handles.remove(&id);
    inner.dispatch(shared);
}
