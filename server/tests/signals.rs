//! Signals and `--signal` against the spawned binary (Go's signal_test.go
//! and reload_test.go scenarios): SIGHUP and `--signal reload=<pidfile>`
//! reload the config file, cutting clients whose credentials changed;
//! a bad config keeps the old one; an option Go cannot change live is
//! refused by name; SIGUSR2 (lame-duck mode) tells clients, closes them
//! and exits. Every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rnatsd-signals-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

impl Server {
    /// Writes `conf` and starts `rnatsd -c <conf> -P <pid file>`.
    fn start(name: &str, conf: &str) -> Server {
        let dir = temp_dir(name);
        std::fs::write(dir.join("s.conf"), conf).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_rnatsd"))
            .arg("-c")
            .arg(dir.join("s.conf"))
            .arg("-P")
            .arg(dir.join("s.pid"))
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn rnatsd");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut s = Server { child, lines: rx, seen: Vec::new(), port: 0, dir };
        s.wait_for("Server is ready");
        let l = s.seen.iter().find(|l| l.contains("Listening for client connections on")).unwrap();
        s.port = l.rsplit(':').next().unwrap().trim().parse().unwrap();
        s
    }

    fn conf_path(&self) -> PathBuf {
        self.dir.join("s.conf")
    }

    fn pid_path(&self) -> PathBuf {
        self.dir.join("s.pid")
    }

    /// Waits up to 10 s for a log line containing `want`.
    fn wait_for(&mut self, want: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(want)) {
            return l.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(50)) {
                self.seen.push(l.clone());
                if l.contains(want) {
                    return l;
                }
            }
        }
        panic!("never saw {want:?}; got {:#?}", self.seen);
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill").args(["-s", sig, &self.child.id().to_string()]).status().unwrap();
        assert!(st.success());
    }

    /// Waits up to `secs` for the process to exit.
    fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "rnatsd did not exit in {secs}s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A raw client: connects, reads INFO, sends CONNECT and PING; returns
/// the stream and the first line after (PONG, or -ERR).
fn connect(port: u16, user: &str, pass: &str) -> (TcpStream, BufReader<TcpStream>, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut info = String::new();
    r.read_line(&mut info).unwrap();
    assert!(info.starts_with("INFO "), "{info}");
    write!(s, "CONNECT {{\"verbose\":false,\"protocol\":1,\"user\":\"{user}\",\"pass\":\"{pass}\"}}\r\nPING\r\n").unwrap();
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    (s, r, line.trim_end().to_string())
}

/// Reads lines until EOF (at most 5 s); returns them.
fn read_to_close(r: &mut BufReader<TcpStream>) -> Vec<String> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let mut l = String::new();
        match r.read_line(&mut l) {
            Ok(0) => return out,
            Ok(_) => out.push(l.trim_end().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                panic!("connection still open; got {out:?}")
            }
            Err(_) => return out,
        }
    }
    panic!("connection still open; got {out:?}");
}

fn user_conf(pass: &str) -> String {
    format!("listen: 127.0.0.1:-1\nauthorization {{ user: derek, password: {pass} }}\n")
}

/// Go's TestConfigReloadRotateUserAuthentication, through SIGHUP.
#[test]
fn test_config_reload_rotate_user_authentication() {
    let mut s = Server::start("rotate", &user_conf("foo"));
    let (_old, mut old_r, pong) = connect(s.port, "derek", "foo");
    assert_eq!(pong, "PONG");
    std::fs::write(s.conf_path(), user_conf("bar")).unwrap();
    s.signal("HUP");
    s.wait_for("Trapped \"hangup\" signal");
    s.wait_for("Reloaded: authorization password");
    s.wait_for("Reloaded server configuration");
    // The old connection is cut as Go cuts it.
    let lines = read_to_close(&mut old_r);
    assert!(lines.iter().any(|l| l == "-ERR 'Authorization Violation'"), "{lines:?}");
    // New credentials work, old ones do not.
    assert_eq!(connect(s.port, "derek", "bar").2, "PONG");
    assert_eq!(connect(s.port, "derek", "foo").2, "-ERR 'Authorization Violation'");
}

/// Go's TestProcessSignalReloadProcess / TestSignalToReloadConfig:
/// `--signal reload=<pid file>`.
#[test]
fn test_signal_to_reload_config() {
    let mut s = Server::start("sigreload", "listen: 127.0.0.1:-1\nmax_payload: 1024\n");
    std::fs::write(s.conf_path(), "listen: 127.0.0.1:-1\nmax_payload: 2048\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rnatsd"))
        .arg(format!("--signal=reload={}", s.pid_path().display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    s.wait_for("Reloaded: max_payload = 2048");
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut info = String::new();
    BufReader::new(c.try_clone().unwrap()).read_line(&mut info).unwrap();
    assert!(info.contains("\"max_payload\":2048"), "{info}");
    let _ = c.write_all(b"");
    // A pid that is not a number is refused as Go refuses it.
    let out = Command::new(env!("CARGO_BIN_EXE_rnatsd")).arg("--signal").arg("reload=notapid").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid pid: notapid"));
    let out = Command::new(env!("CARGO_BIN_EXE_rnatsd"))
        .arg(format!("--signal=bogus={}", s.pid_path().display()))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown signal \"bogus\""));
}

/// Go's TestConfigReloadInvalidConfig: a config with a syntax error keeps
/// the running one and logs why.
#[test]
fn test_config_reload_invalid_config() {
    let mut s = Server::start("invalid", &user_conf("foo"));
    std::fs::write(s.conf_path(), "listen: 127.0.0.1:-1\nauthorization { user: derek password: \n").unwrap();
    s.signal("HUP");
    let l = s.wait_for("Failed to reload server configuration");
    assert!(l.contains("[ERR]"), "{l}");
    assert_eq!(connect(s.port, "derek", "foo").2, "PONG", "old config still in force");
}

/// Go's TestConfigReloadUnsupportedHotSwapping: changing the port is
/// refused by name, and nothing changes.
#[test]
fn test_config_reload_unsupported_hot_swapping() {
    let mut s = Server::start("unsupported", "listen: 127.0.0.1:-1\nmax_payload: 1024\n");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::write(s.conf_path(), format!("listen: 127.0.0.1:{taken}\nmax_payload: 2048\n")).unwrap();
    s.signal("HUP");
    let l = s.wait_for("Failed to reload server configuration");
    assert!(l.contains(&format!("config reload not supported for Port: old={}, new={taken}", s.port)), "{l}");
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut info = [0u8; 2048];
    let n = c.read(&mut info).unwrap();
    assert!(String::from_utf8_lossy(&info[..n]).contains("\"max_payload\":1024"));
}

/// Go's TestSignalToReOpenLogFile: SIGUSR1 reopens the log file, so a
/// rotated (renamed) file is replaced by a fresh one.
#[test]
fn test_signal_to_reopen_log_file() {
    let dir = temp_dir("reopen");
    let log = dir.join("s.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rnatsd"))
        .args(["-a", "127.0.0.1", "-p", "-1", "-l"])
        .arg(&log)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let wait_log = |path: &PathBuf, want: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::fs::read_to_string(path).unwrap_or_default().contains(want) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{} never contained {want:?}", path.display());
    };
    wait_log(&log, "Server is ready");
    std::fs::rename(&log, dir.join("s.log.1")).unwrap();
    Command::new("kill").args(["-s", "USR1", &child.id().to_string()]).status().unwrap();
    wait_log(&log, "File log re-opened");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Go's TestProcessSignalLameDuckMode / TestLameDuckMode: SIGUSR2 stops
/// accepting, sends INFO with `ldm`, closes clients after the grace
/// period, then the server exits cleanly.
#[tokio::test]
async fn test_process_signal_lame_duck_mode() {
    let mut s = Server::start(
        "ldm",
        "listen: 127.0.0.1:-1\nlame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1s\"\n",
    );
    let (tx, mut ldm_rx) = tokio::sync::mpsc::unbounded_channel();
    let nc = async_nats::ConnectOptions::new()
        .max_reconnects(Some(0))
        .event_callback(move |e| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(e.to_string());
            }
        })
        .connect(format!("nats://127.0.0.1:{}", s.port))
        .await
        .expect("async-nats connects");
    nc.flush().await.unwrap();
    let (_raw, mut raw_r, pong) = connect(s.port, "", "");
    assert_eq!(pong, "PONG");
    let start = Instant::now();
    s.signal("USR2");
    s.wait_for("Entering lame duck mode, stop accepting new clients");
    // The async-nats client is told.
    let saw_ldm = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(e) = ldm_rx.recv().await {
            if e.contains("lame duck") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(saw_ldm, "async-nats saw lame duck mode");
    // The raw client got the INFO with ldm, then is closed after the grace.
    let lines = read_to_close(&mut raw_r);
    assert!(lines.iter().any(|l| l.starts_with("INFO ") && l.contains("\"ldm\":true")), "{lines:?}");
    assert!(start.elapsed() >= Duration::from_millis(900), "closed only after the grace period");
    // No new connections.
    assert!(TcpStream::connect(("127.0.0.1", s.port)).is_err(), "listener closed");
    s.wait_for("Closing existing clients");
    let st = s.wait_exit(10);
    assert!(st.success(), "{st:?}");
    s.wait_for("Server Exiting..");
    drop(nc);
}
