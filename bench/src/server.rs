//! Starting and stopping a server under test as a child process, and the
//! OS-level measurements taken on it (RSS, file-descriptor limit).

use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{BenchError, BenchResult};

/// How long a server may take to start accepting connections.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A server under test: which binary, and how to label it.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub label: &'static str,
    pub binary: PathBuf,
}

/// A running server child. Killed (and reaped) on drop.
pub struct RunningServer {
    child: Child,
    pub addr: SocketAddr,
}

impl RunningServer {
    /// Starts `spec.binary -a 127.0.0.1 -p <free port>` and waits until the
    /// port accepts connections.
    pub fn start(spec: &ServerSpec) -> BenchResult<Self> {
        Self::start_with_args(spec, &[])
    }

    /// Like [`RunningServer::start`], with `extra` flags appended (e.g.
    /// `-js -sd <dir>` for the JetStream rows).
    pub fn start_with_args(spec: &ServerSpec, extra: &[&str]) -> BenchResult<Self> {
        Self::spawn(spec, extra, Stdio::null())
    }

    /// Like [`RunningServer::start_with_args`], with the server's stderr
    /// (where both servers log) written to `log`, so a failed start can be
    /// explained.
    pub fn start_logged(spec: &ServerSpec, extra: &[&str], log: &Path) -> BenchResult<Self> {
        let file = fs::File::create(log)
            .map_err(|e| BenchError::new(format!("{}: {e}", log.display())))?;
        Self::spawn(spec, extra, Stdio::from(file))
    }

    fn spawn(spec: &ServerSpec, extra: &[&str], stderr: Stdio) -> BenchResult<Self> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(&spec.binary)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| BenchError::new(format!("cannot start {}: {e}", spec.binary.display())))?;
        let mut server = RunningServer { child, addr };
        server.wait_ready(spec)?;
        Ok(server)
    }

    fn wait_ready(&mut self, spec: &ServerSpec) -> BenchResult<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(BenchError::new(format!(
                    "{} exited during startup: {status}",
                    spec.label
                )));
            }
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BenchError::new(format!(
                    "{} did not accept connections within {STARTUP_TIMEOUT:?}",
                    spec.label
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails if the server has exited (a crash during a workload).
    pub fn check_alive(&mut self) -> BenchResult<()> {
        match self.child.try_wait()? {
            Some(status) => Err(BenchError::new(format!("server exited: {status}"))),
            None => Ok(()),
        }
    }

    /// Resident set size in bytes, from `/proc/<pid>/status` (`VmRSS`).
    pub fn rss_bytes(&self) -> BenchResult<u64> {
        let path = format!("/proc/{}/status", self.pid());
        let status =
            fs::read_to_string(&path).map_err(|e| BenchError::new(format!("{path}: {e}")))?;
        parse_vm_rss(&status).ok_or_else(|| BenchError::new(format!("no VmRSS line in {path}")))
    }

    /// Kills the child and waits for it.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        // The child may already have exited; either way it is reaped below.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Picks a free loopback port by binding port 0 and releasing it.
fn free_port() -> BenchResult<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Extracts `VmRSS` (reported in kB) from a `/proc/<pid>/status` text, in bytes.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let mut fields = line["VmRSS:".len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => Some(value * 1024),
        Some(_) => None,
    }
}

/// Raises the soft RLIMIT_NOFILE to at least `wanted` (capped by the hard
/// limit). Children inherit it. Returns the soft limit now in effect.
pub fn raise_nofile_limit(wanted: u64) -> BenchResult<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own; the resource is valid.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    // rlim_t is u64 on Linux, the only platform this bench supports (/proc).
    let current: u64 = lim.rlim_cur;
    if current >= wanted {
        return Ok(current);
    }
    let target = wanted.min(lim.rlim_max);
    lim.rlim_cur = target;
    // SAFETY: setrlimit only reads the struct; rlim_cur <= rlim_max holds.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(target)
}

/// Returns `path` if it names an existing file, else an explanatory error.
pub fn check_binary(label: &str, path: &Path, hint: &str) -> BenchResult<()> {
    if path.is_file() {
        return Ok(());
    }
    Err(BenchError::new(format!(
        "{label} binary {} not found; {hint}",
        path.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_rss_from_proc_status() {
        let status = "Name:\tnats-server\nVmPeak:\t  900 kB\nVmRSS:\t   12345 kB\nThreads:\t5\n";
        assert_eq!(parse_vm_rss(status), Some(12345 * 1024));
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
        assert_eq!(parse_vm_rss("VmRSS:\t12 MB\n"), None);
    }

    #[test]
    fn own_rss_is_readable() {
        let status = fs::read_to_string("/proc/self/status").unwrap();
        assert!(parse_vm_rss(&status).unwrap() > 0);
    }

    #[test]
    fn raising_nofile_never_lowers_it() {
        let before = raise_nofile_limit(0).unwrap();
        assert_eq!(raise_nofile_limit(before).unwrap(), before);
        assert!(raise_nofile_limit(before + 1).unwrap() >= before);
    }
}
