//! Configuration reload (SIGHUP) under live connections, against the
//! `rnatsd` binary: users removed, permissions narrowed, logging changed
//! (debug, trace, log file), and SIGUSR1 log reopening. Ports of Go's
//! reload_test.go tests where they apply to a single server; the clients
//! are raw protocol sockets (to see Go's exact `-ERR` texts) and
//! async-nats (to see what a real client experiences).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `rnatsd -c <conf>`, killed (and its directory removed) on drop.
struct Proc {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Proc {
    /// `conf` is formatted with `{port}` and `{dir}` replaced.
    fn start(name: &str, conf: &str) -> Proc {
        let dir = std::env::temp_dir().join(format!("rnatsd-reload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port();
        write_conf(&dir, port, conf);
        let child = Command::new(env!("CARGO_BIN_EXE_rnatsd"))
            .arg("-c")
            .arg(dir.join("s.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rnatsd");
        let p = Proc { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "rnatsd never listened on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        p
    }


    fn signal(&self, sig: &str) {
        let st = Command::new("kill").args(["-s", sig, &self.child.id().to_string()]).status().unwrap();
        assert!(st.success());
    }

    /// Rewrites the config and sends SIGHUP; waits for `want` in `log`.
    fn reload(&self, conf: &str, log: &Path, want: &str) {
        write_conf(&self.dir, self.port, conf);
        self.signal("HUP");
        wait_log(log, want);
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

/// Writes `dir/s.conf` from `conf` with `{port}` and `{dir}` filled in.
fn write_conf(dir: &Path, port: u16, conf: &str) {
    let text = conf.replace("{port}", &port.to_string()).replace("{dir}", &dir.display().to_string());
    std::fs::write(dir.join("s.conf"), text).unwrap();
}

/// Waits up to 10 s for `path` to contain `want`; returns the content.
fn wait_log(path: &Path, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(want) {
            return text;
        }
        assert!(Instant::now() < deadline, "{} never contained {want:?}:\n{text}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A raw protocol client.
struct Raw {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

impl Raw {
    /// Connects with `user`/`pass` and returns the client and the reply
    /// to the first PING (`PONG` or an `-ERR`).
    fn connect(port: u16, user: &str, pass: &str) -> (Raw, String) {
        let w = TcpStream::connect(("127.0.0.1", port)).unwrap();
        w.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut raw = Raw { r: BufReader::new(w.try_clone().unwrap()), w };
        let info = raw.line();
        assert!(info.starts_with("INFO "), "{info}");
        raw.send(&format!("CONNECT {{\"verbose\":false,\"protocol\":1,\"user\":\"{user}\",\"pass\":\"{pass}\"}}\r\nPING\r\n"));
        let first = raw.line();
        (raw, first)
    }

    fn send(&mut self, s: &str) {
        self.w.write_all(s.as_bytes()).unwrap();
    }

    /// The next line ("" at EOF), skipping server PINGs (answered).
    fn line(&mut self) -> String {
        loop {
            let mut l = String::new();
            match self.r.read_line(&mut l) {
                Ok(0) | Err(_) => return String::new(),
                Ok(_) => {}
            }
            let l = l.trim_end().to_string();
            if l == "PING" {
                self.send("PONG\r\n");
                continue;
            }
            return l;
        }
    }

    /// Lines up to and including the PONG of a PING sent now.
    fn ping(&mut self) -> Vec<String> {
        self.send("PING\r\n");
        let mut out = Vec::new();
        loop {
            let l = self.line();
            if l.is_empty() || l == "PONG" {
                out.push(l);
                return out;
            }
            out.push(l);
        }
    }

    /// Lines until the server closes the connection (at most 5 s).
    fn until_closed(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let l = self.line();
            if l.is_empty() {
                return out;
            }
            out.push(l);
        }
    }
}

fn users_conf(users: &[&str]) -> String {
    let list: Vec<String> = users.iter().map(|u| format!("{{user: {u}, password: pw}}")).collect();
    format!(
        "listen: 127.0.0.1:{{port}}\nlog_file: \"{{dir}}/s.log\"\nauthorization {{ users = [ {} ] }}\n",
        list.join(", ")
    )
}

/// Go's TestConfigReloadRotateUsersAuthentication, live: removing a user
/// cuts that user's connections with `Authorization Violation` (raw and
/// async-nats alike, and async-nats cannot come back), while the other
/// user's connections keep working.
#[tokio::test]
async fn test_config_reload_rotate_users_authentication() {
    let p = Proc::start("users", &users_conf(&["alice", "bob"]));
    let log = p.dir.join("s.log");
    wait_log(&log, "Server is ready");
    let (mut raw_bob, pong) = Raw::connect(p.port, "bob", "pw");
    assert_eq!(pong, "PONG");
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let bob = async_nats::ConnectOptions::with_user_and_password("bob".into(), "pw".into())
        .max_reconnects(Some(3))
        .event_callback(move |e| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(e.to_string());
            }
        })
        .connect(p.url())
        .await
        .unwrap();
    let alice = async_nats::ConnectOptions::with_user_and_password("alice".into(), "pw".into())
        .connect(p.url())
        .await
        .unwrap();
    let mut sub = alice.subscribe("echo").await.unwrap();
    alice.flush().await.unwrap();
    bob.flush().await.unwrap();

    p.reload(&users_conf(&["alice"]), &log, "Reloaded server configuration");
    let lines = raw_bob.until_closed();
    assert_eq!(lines, vec!["-ERR 'Authorization Violation'".to_string()]);
    let saw = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = Vec::new();
        while let Some(e) = events.recv().await {
            seen.push(e.clone());
            if e.to_lowercase().contains("authorization violation") {
                return seen;
            }
        }
        seen
    })
    .await
    .expect("async-nats reports the violation in time");
    assert!(saw.iter().any(|e| e.to_lowercase().contains("authorization violation")), "{saw:?}");
    // Bob can no longer connect; alice's connection is untouched.
    assert_eq!(Raw::connect(p.port, "bob", "pw").1, "-ERR 'Authorization Violation'");
    alice.publish("echo", "still here".into()).await.unwrap();
    let msg = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut sub)).await.unwrap().unwrap();
    assert_eq!(&msg.payload[..], b"still here");
    drop(bob);
}

fn perms_conf(publish: &str, subscribe: &str) -> String {
    format!(
        "listen: 127.0.0.1:{{port}}\nlog_file: \"{{dir}}/s.log\"\nauthorization {{\n  users = [\n    \
         {{user: alice, password: pw, permissions: {{publish: {publish}, subscribe: {subscribe}}}}}\n    \
         {{user: admin, password: pw}}\n  ]\n}}\n"
    )
}

/// Go's TestConfigReloadChangePermissions, live: after a reload narrows a
/// user's permissions, publishing to a subject no longer allowed gets
/// Go's `-ERR`, and subscriptions no longer allowed are removed (with
/// Go's `-ERR` naming subject and sid) so no more messages arrive on them.
#[test]
fn test_config_reload_change_permissions() {
    let p = Proc::start("perms", &perms_conf("[\"foo\", \"bar\"]", "[\"sub.>\", \"keep\"]"));
    let log = p.dir.join("s.log");
    wait_log(&log, "Server is ready");
    let (mut alice, pong) = Raw::connect(p.port, "alice", "pw");
    assert_eq!(pong, "PONG");
    alice.send("SUB sub.x 1\r\nSUB keep 2\r\nPUB foo 2\r\nhi\r\n");
    assert_eq!(alice.ping(), vec!["PONG".to_string()]);
    let (mut admin, pong) = Raw::connect(p.port, "admin", "pw");
    assert_eq!(pong, "PONG");

    p.reload(&perms_conf("[\"bar\"]", "[\"keep\"]"), &log, "Reloaded server configuration");
    let lines = alice.ping();
    assert_eq!(
        lines,
        vec!["-ERR 'Permissions Violation for Subscription to \"sub.x\" (sid \"1\")'".to_string(), "PONG".to_string()]
    );
    alice.send("PUB foo 2\r\nhi\r\nPUB bar 2\r\nok\r\n");
    assert_eq!(
        alice.ping(),
        vec!["-ERR 'Permissions Violation for Publish to \"foo\"'".to_string(), "PONG".to_string()]
    );
    // The removed subscription gets nothing; the kept one still delivers.
    admin.send("PUB sub.x 4\r\nlost\r\nPUB keep 4\r\nkept\r\n");
    assert_eq!(admin.ping(), vec!["PONG".to_string()]);
    let lines = alice.ping();
    assert_eq!(lines, vec!["MSG keep 2 4".to_string(), "kept".to_string(), "PONG".to_string()]);
    // The connection itself stays open (Go does not cut it).
    alice.send("PUB bar 2\r\nok\r\n");
    assert_eq!(alice.ping(), vec!["PONG".to_string()]);
}

fn log_conf(file: &str, debug: bool, trace: bool) -> String {
    format!("listen: 127.0.0.1:{{port}}\nlog_file: \"{{dir}}/{file}\"\ndebug: {debug}\ntrace: {trace}\n")
}

/// Go's TestConfigReloadLogging (and TestConfigReloadEnableTraceAtRuntime's
/// idea), live: debug and trace turned on by a reload show up for the next
/// connection, turned off disappear, and a new `log_file` receives the
/// lines from then on while the old file stops growing.
#[test]
fn test_config_reload_logging() {
    let p = Proc::start("logging", &log_conf("a.log", false, false));
    let a = p.dir.join("a.log");
    wait_log(&a, "Server is ready");
    let (_c1, pong) = Raw::connect(p.port, "", "");
    assert_eq!(pong, "PONG");
    std::thread::sleep(Duration::from_millis(100));
    let before = std::fs::read_to_string(&a).unwrap();
    assert!(!before.contains("[DBG]") && !before.contains("[TRC]"), "{before}");

    p.reload(&log_conf("a.log", true, true), &a, "Reloaded server configuration");
    let (_c2, pong) = Raw::connect(p.port, "", "");
    assert_eq!(pong, "PONG");
    let text = wait_log(&a, "[TRC]");
    assert!(text.contains("[DBG]"), "{text}");
    assert!(text.contains("CONNECT"), "trace shows the CONNECT: {text}");

    // A new log file; debug and trace off again.
    p.reload(&log_conf("b.log", false, false), &a, "Reloaded: log_file");
    wait_log(&a, "Reloaded server configuration");
    // The switch happens once the reload is applied: the next reload's
    // lines are in the new file only.
    let b = p.dir.join("b.log");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.exists() {
        assert!(Instant::now() < deadline, "b.log never created");
        std::thread::sleep(Duration::from_millis(20));
    }
    let a_len = std::fs::metadata(&a).unwrap().len();
    p.signal("HUP");
    wait_log(&b, "Reloaded server configuration");
    let (_c3, pong) = Raw::connect(p.port, "", "");
    assert_eq!(pong, "PONG");
    std::thread::sleep(Duration::from_millis(200));
    let b_text = std::fs::read_to_string(&b).unwrap();
    assert!(!b_text.contains("[TRC]") && !b_text.contains("[DBG]"), "{b_text}");
    assert_eq!(std::fs::metadata(&a).unwrap().len(), a_len, "old log file no longer written");
}

/// Go's TestSignalToReOpenLogFile with the lines that follow: after the
/// file is renamed and SIGUSR1 sent, the new file gets the server's later
/// lines and the renamed one stops growing.
#[test]
fn test_signal_reopen_log_file_gets_new_lines() {
    let p = Proc::start("reopen", &log_conf("s.log", true, false));
    let log = p.dir.join("s.log");
    wait_log(&log, "Server is ready");
    let rotated = p.dir.join("s.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    p.signal("USR1");
    wait_log(&log, "File log re-opened");
    let rotated_len = std::fs::metadata(&rotated).unwrap().len();
    let (_c, pong) = Raw::connect(p.port, "", "");
    assert_eq!(pong, "PONG");
    // cid 1 was the start-up probe's connection.
    wait_log(&log, "cid:2 - Client connection created");
    assert_eq!(std::fs::metadata(&rotated).unwrap().len(), rotated_len);
    let old = std::fs::read_to_string(&rotated).unwrap();
    assert!(old.contains("Server is ready") && !old.contains("cid:2 -"), "{old}");
}

/// Go's TestConfigReloadDisableUsersAuthentication, live: dropping the
/// users keeps the authenticated connections open and lets clients in
/// without credentials.
#[tokio::test]
async fn test_config_reload_disable_users_authentication() {
    let p = Proc::start("nousers", &users_conf(&["alice"]));
    let log = p.dir.join("s.log");
    wait_log(&log, "Server is ready");
    assert_eq!(Raw::connect(p.port, "", "").1, "-ERR 'Authorization Violation'");
    let alice = async_nats::ConnectOptions::with_user_and_password("alice".into(), "pw".into())
        .connect(p.url())
        .await
        .unwrap();
    let mut sub = alice.subscribe("echo").await.unwrap();
    alice.flush().await.unwrap();
    p.reload("listen: 127.0.0.1:{port}\nlog_file: \"{dir}/s.log\"\n", &log, "Reloaded server configuration");
    let (mut anon, pong) = Raw::connect(p.port, "", "");
    assert_eq!(pong, "PONG");
    anon.send("PUB echo 3\r\nhey\r\n");
    assert_eq!(anon.ping(), vec!["PONG".to_string()]);
    let msg = tokio::time::timeout(Duration::from_secs(5), futures::StreamExt::next(&mut sub)).await.unwrap().unwrap();
    assert_eq!(&msg.payload[..], b"hey");
}
