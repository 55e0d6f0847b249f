//! The HTTP monitoring listener (`-m`/`http_port`, or `https_port` with
//! the server's `tls {}` certificate, as Go's `StartMonitoring`). Every endpoint is
//! answered by the engine ([`Server::handle_monitor_request`]: Go's
//! paths, query options and JSON); this adapter only reads the request
//! line, adds the process facts (memory, CPU, cores) and writes the reply.
//!
//! A deliberately small HTTP/1.1 responder (one request per connection):
//! it is not on any hot path, and a full HTTP stack would be the largest
//! dependency of the binary.
//!
//! [`Server::handle_monitor_request`]: rnatsd_core::server::Server::handle_monitor_request

use std::sync::Arc;
use std::time::Duration;

use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::{MonitorResponse, ProcessStats};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::runtime::Shared;

/// The bound monitoring listener; `tls` is set for HTTPS.
pub(crate) struct MonitorListener {
    pub listener: TcpListener,
    pub tls: Option<TlsAcceptor>,
}

/// Binds the monitoring port `opts` asks for (Go's `StartMonitoring`:
/// HTTP or HTTPS, never both; HTTPS needs the `tls {}` certificate and
/// asks no client certificate). A negative port picks a free one; the
/// bound port is written back to `opts`.
pub(crate) async fn bind(opts: &mut ServerOptions) -> Result<Option<MonitorListener>, String> {
    if opts.http_port != 0 && opts.https_port != 0 {
        return Err(format!("can't specify both HTTP ({}) and HTTPs ({}) ports", opts.http_port, opts.https_port));
    }
    let secure = opts.https_port != 0;
    let port = if secure { opts.https_port } else { opts.http_port };
    if port == 0 {
        return Ok(None);
    }
    let tls = if secure {
        if !opts.tls || opts.tls_cert.is_none() || opts.tls_key.is_none() {
            return Err("TLS cert and key required for HTTPS".to_string());
        }
        let mut no_client_auth = opts.clone();
        no_client_auth.tls_verify = false;
        crate::tls::build_acceptor(&no_client_auth)?
    } else {
        None
    };
    let hp = if port < 0 { 0 } else { port as u16 };
    let l = TcpListener::bind((opts.http_host.as_str(), hp))
        .await
        .map_err(|e| format!("Can't listen to the monitor port: listen tcp {}:{}: {}", opts.http_host, hp, e))?;
    let bound = i32::from(l.local_addr().map_err(|e| e.to_string())?.port());
    if secure {
        opts.https_port = bound;
    } else {
        opts.http_port = bound;
    }
    Ok(Some(MonitorListener { listener: l, tls }))
}

pub(crate) async fn serve(m: MonitorListener, shared: Arc<Shared>) {
    loop {
        let (stream, _) = tokio::select! {
            r = m.listener.accept() => match r { Ok(x) => x, Err(_) => continue },
            _ = shared.shutdown.notified() => return,
        };
        let shared = shared.clone();
        let tls = m.tls.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), async move {
                match tls {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(s) => handle(s, shared).await,
                        Err(_) => Ok(()),
                    },
                    None => handle(stream, shared).await,
                }
            })
            .await;
        });
    }
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, shared: Arc<Shared>) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 16 * 1024 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let line = buf.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split_whitespace();
    let _method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/").to_string();
    let process = process_stats();
    let resp = {
        let mut inner = shared.lock();
        inner.server.handle_monitor_request(shared.clock.now(), shared.clock.realtime(), &target, process)
    };
    stream.write_all(&http_bytes(&resp)).await?;
    stream.shutdown().await
}

fn http_bytes(r: &MonitorResponse) -> Vec<u8> {
    let reason = match r.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "",
    };
    format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        r.status,
        r.content_type,
        r.body.len(),
        r.body
    )
    .into_bytes()
}

pub(crate) fn varz_json(shared: &Shared) -> String {
    let process = process_stats();
    let varz = {
        let inner = shared.lock();
        inner.server.varz(shared.clock.now(), shared.clock.realtime(), process)
    };
    serde_json::to_string_pretty(&varz).unwrap_or_default()
}

/// Memory, CPU and cores of this process, as Go's `pse.ProcUsage` reports
/// them on Linux (zero where /proc is not available).
pub fn process_stats() -> ProcessStats {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    ProcessStats { mem: rss_bytes(), cpu: cpu_percent(), cores, gomaxprocs: cores }
}

fn rss_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<i64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Average CPU since the process started, in percent of one core:
/// (utime + stime) / (system uptime - process start), from /proc.
fn cpu_percent() -> f64 {
    const TICKS: f64 = 100.0; // USER_HZ on Linux
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the parenthesized command name; utime is field 14.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let (utime, stime, start) = (num(11), num(12), num(19));
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|u| u.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()))
        .unwrap_or(0.0);
    let elapsed = uptime - start / TICKS;
    if elapsed <= 0.0 {
        return 0.0;
    }
    let pcpu = (utime + stime) / TICKS / elapsed * 100.0;
    (pcpu * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_stats_are_plausible() {
        let p = process_stats();
        assert!(p.cores >= 1);
        if std::path::Path::new("/proc/self/statm").exists() {
            assert!(p.mem > 0);
        }
        assert!(p.cpu >= 0.0);
    }

    #[test]
    fn response_has_status_line_and_length() {
        let r = MonitorResponse { status: 404, content_type: "text/plain", body: "nope".into() };
        let s = String::from_utf8(http_bytes(&r)).unwrap();
        assert!(s.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(s.contains("Content-Length: 4\r\n"));
        assert!(s.ends_with("\r\n\r\nnope"));
    }
}
