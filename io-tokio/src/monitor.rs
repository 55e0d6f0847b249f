//! The HTTP monitoring listener (`-m`/`http_port`): `/varz` and `/healthz`
//! with Go's field names, enough for tools and test harnesses that poll
//! them for readiness. The full set comes with the operations issue.
//!
//! A deliberately small HTTP/1.1 responder (GET only, one request per
//! connection): it is not on any hot path, and a full HTTP stack would be
//! the largest dependency of the binary.

use std::sync::Arc;
use std::time::Duration;

use rnatsd_core::server::Varz;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::runtime::Shared;

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r { Ok(x) => x, Err(_) => continue },
            _ = shared.shutdown.notified() => return,
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle(stream, shared)).await;
        });
    }
}

async fn handle(mut stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
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
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    let base = shared.lock().server.options().http_base_path.trim_end_matches('/').to_string();
    let path = path.strip_prefix(base.as_str()).unwrap_or(path);
    let (status, body) = match (method, path) {
        ("GET", "/varz") => ("200 OK", varz_json(&shared)),
        ("GET", "/healthz") => ("200 OK", "{\"status\":\"ok\"}".to_string()),
        ("GET", "/") => ("200 OK", "{\"varz\":\"/varz\",\"healthz\":\"/healthz\"}".to_string()),
        ("GET", _) => ("404 Not Found", "404 page not found\n".to_string()),
        _ => ("405 Method Not Allowed", String::new()),
    };
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(resp.as_bytes()).await?;
    stream.shutdown().await
}

pub(crate) fn varz_json(shared: &Shared) -> String {
    let varz = {
        let inner = shared.lock();
        inner.server.varz(shared.clock.now(), shared.clock.realtime())
    };
    render_varz(&varz)
}

/// `/varz` JSON: the engine's fields plus what only the process knows.
pub fn render_varz(v: &Varz) -> String {
    let mut json = serde_json::to_value(v).unwrap_or_default();
    if let Some(m) = json.as_object_mut() {
        m.insert("start".into(), rfc3339(v.start_unix_nanos).into());
        m.insert("now".into(), rfc3339(v.now_unix_nanos).into());
        m.insert("uptime".into(), go_duration_string(v.uptime_nanos).into());
        m.insert("mem".into(), rss_bytes().into());
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        m.insert("cores".into(), cores.into());
        m.insert("gomaxprocs".into(), cores.into());
        m.insert("cpu".into(), 0.0.into());
    }
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Go's uptime rendering (`1d2h3m4s`).
fn go_duration_string(nanos: u64) -> String {
    let mut s = nanos / 1_000_000_000;
    let days = s / 86_400;
    s %= 86_400;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days}d"));
    }
    if days > 0 || h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if days > 0 || h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{sec}s"));
    out
}

/// RFC 3339 in UTC with nanoseconds, as Go's time.Time marshals.
pub(crate) fn rfc3339(unix_nanos: i64) -> String {
    let secs = unix_nanos.div_euclid(1_000_000_000);
    let nanos = unix_nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        // 2024-02-29T12:34:56.5Z
        assert_eq!(rfc3339(1_709_210_096_500_000_000), "2024-02-29T12:34:56.500000000Z");
    }

    #[test]
    fn uptime_like_go() {
        assert_eq!(go_duration_string(5_000_000_000), "5s");
        assert_eq!(go_duration_string(3_725_000_000_000), "1h2m5s");
        assert_eq!(go_duration_string(90_061_000_000_000), "1d1h1m1s");
    }
}
