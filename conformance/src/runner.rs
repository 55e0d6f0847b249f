//! Spawning a server binary and playing cases against it over loopback TCP.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::normalize::{normalize_bytes, strip_barrier_pong};
use crate::{Case, Step};

/// Longest wait for anything in one read phase (the brief's 1 s).
pub const READ_LIMIT: Duration = Duration::from_secs(1);
/// Silence that ends a read phase once its goal is met.
const QUIET: Duration = Duration::from_millis(50);
/// Pause between the writes of a split step, so they arrive as separate reads.
const WRITE_GAP: Duration = Duration::from_millis(20);

/// A running server process; killed on drop.
pub struct ServerProc {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Starts `bin -a 127.0.0.1 -p <free port> [-c config]` and waits (up to
/// 10 s) until it accepts connections.
pub fn start_server(bin: &Path, config: Option<&Path>) -> Result<ServerProc, String> {
    let port = free_port()?;
    let mut cmd = Command::new(bin);
    cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()]);
    if let Some(c) = config {
        cmd.arg("-c").arg(c);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let child = cmd.spawn().map_err(|e| format!("spawn {}: {e}", bin.display()))?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut proc = ServerProc { child, addr };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(proc);
        }
        if let Ok(Some(status)) = proc.child.try_wait() {
            return Err(format!("{} exited at startup: {status}", bin.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{} did not listen on {addr} within 10 s", bin.display()))
}

/// Writes each case's config file under `dir`; returns their paths.
pub fn write_configs(dir: &Path) -> Result<Vec<(crate::Config, Option<PathBuf>)>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for c in crate::Config::ALL {
        let path = match c.file_text() {
            Some(text) => {
                let p = dir.join(format!("{}.conf", c.name()));
                std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
                Some(p)
            }
            None => None,
        };
        out.push((c, path));
    }
    Ok(out)
}

struct Conn {
    stream: TcpStream,
    closed: bool,
}

/// Reads into `buf` until the peer closes (returns true), `deadline`
/// passes, or, once `done(buf)` holds, `QUIET` passes without data.
fn read_phase(s: &mut TcpStream, buf: &mut Vec<u8>, deadline: Instant, done: impl Fn(&[u8]) -> bool) -> bool {
    let mut chunk = [0u8; 8192];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let goal = done(buf);
        let wait = if goal { QUIET.min(deadline - now) } else { deadline - now };
        if s.set_read_timeout(Some(wait.max(Duration::from_millis(1)))).is_err() {
            return true;
        }
        match s.read(&mut chunk) {
            Ok(0) => return true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if goal {
                    return false;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

/// Reads what a step provoked: a quiet phase, then (when `barrier` and the
/// connection is still open) PING and read up to the PONG, which is removed.
fn read_step(c: &mut Conn, barrier: bool) -> Vec<u8> {
    let mut got = Vec::new();
    if !barrier {
        c.closed = read_phase(&mut c.stream, &mut got, Instant::now() + READ_LIMIT, |_| false);
        return got;
    }
    c.closed = read_phase(&mut c.stream, &mut got, Instant::now() + READ_LIMIT, |_| true);
    if c.closed {
        return got;
    }
    let _ = c.stream.write_all(b"PING\r\n");
    let mut tail = Vec::new();
    c.closed = read_phase(&mut c.stream, &mut tail, Instant::now() + READ_LIMIT, |b| b.ends_with(b"PONG\r\n"));
    strip_barrier_pong(&mut tail);
    got.extend_from_slice(&tail);
    got
}

fn record(out: &mut Vec<String>, conn: usize, bytes: &[u8], closed: bool) {
    for line in normalize_bytes(bytes) {
        out.push(format!("[c{conn}] {line}"));
    }
    if closed {
        out.push(format!("[c{conn}] <closed>"));
    }
}

fn open(addr: SocketAddr, out: &mut Vec<String>, idx: usize) -> Slot {
    let stream = match TcpStream::connect_timeout(&addr, READ_LIMIT) {
        Ok(s) => s,
        Err(e) => {
            out.push(format!("[c{idx}] <connect failed: {}>", e.kind()));
            return Slot::Failed;
        }
    };
    let _ = stream.set_nodelay(true);
    let mut c = Conn { stream, closed: false };
    let mut info = Vec::new();
    c.closed = read_phase(&mut c.stream, &mut info, Instant::now() + READ_LIMIT, |b| b.ends_with(b"\r\n"));
    record(out, idx, &info, c.closed);
    Slot::Open(c)
}

/// A connection of a case: not used yet, failed to connect, or open.
enum Slot {
    Unopened,
    Failed,
    Open(Conn),
}

fn play_step(addr: SocketAddr, conns: &mut Vec<Slot>, step: &Step, out: &mut Vec<String>) {
    if conns.len() <= step.conn {
        conns.resize_with(step.conn + 1, || Slot::Unopened);
    }
    if matches!(conns[step.conn], Slot::Unopened) {
        conns[step.conn] = open(addr, out, step.conn);
    }
    let Slot::Open(c) = &mut conns[step.conn] else { return };
    if c.closed {
        out.push(format!("[c{}] <write skipped: closed>", step.conn));
        return;
    }
    for (i, w) in step.writes.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(WRITE_GAP);
        }
        let _ = c.stream.write_all(w);
    }
    let got = read_step(c, step.barrier);
    record(out, step.conn, &got, c.closed);
}

/// Plays `case` against the server at `addr` and returns its transcript:
/// the normalized lines each connection received, `<closed>` where the
/// server closed it, and a final drain of every connection still open.
pub fn play(case: &Case, addr: SocketAddr) -> Vec<String> {
    let mut out = Vec::new();
    let mut conns: Vec<Slot> = Vec::new();
    for step in &case.steps {
        play_step(addr, &mut conns, step, &mut out);
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let Slot::Open(c) = c else { continue };
        if c.closed {
            continue;
        }
        let got = read_step(c, true);
        record(&mut out, i, &got, c.closed);
        if !c.closed {
            out.push(format!("[c{i}] <open>"));
        }
    }
    out
}
