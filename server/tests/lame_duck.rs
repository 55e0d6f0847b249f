//! Lame-duck mode with real clients and two servers (Go's
//! TestLameDuckMode family, server_test.go, with the clients' side of it):
//! server A enters lame-duck mode (SIGUSR2, or `--signal ldm=<pid>`),
//! tells its clients with `ldm` in INFO, waits `lame_duck_grace_period`,
//! closes them over `lame_duck_duration` and exits cleanly; async-nats and
//! nats-py requesters that list B second move to B without losing a
//! request. Responders run on both servers.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;

/// A running `rnatsd -c <conf> -P <pid>`, killed on drop.
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

impl Proc {
    fn start(name: &str, duration: &str, grace: &str) -> Proc {
        let dir = std::env::temp_dir().join(format!("rnatsd-ldm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let conf = format!(
            "listen: 127.0.0.1:{port}\nlog_file: \"{}\"\nlame_duck_duration: \"{duration}\"\nlame_duck_grace_period: \"{grace}\"\n",
            dir.join("s.log").display()
        );
        std::fs::write(dir.join("s.conf"), conf).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_rnatsd"))
            .arg("-c")
            .arg(dir.join("s.conf"))
            .arg("-P")
            .arg(dir.join("s.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn rnatsd");
        let p = Proc { child, dir, port };
        p.wait_log("Server is ready");
        p
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("s.log")).unwrap_or_default()
    }

    fn wait_log(&self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.log().contains(want) {
            assert!(Instant::now() < deadline, "log never had {want:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (at most `secs`) for the process to exit.
    fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "rnatsd did not exit in {secs}s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A responder on one server only, answering `svc` with `name`.
async fn responder(url: String, name: &'static str) -> async_nats::Client {
    let nc = async_nats::ConnectOptions::new().max_reconnects(Some(0)).connect(url).await.unwrap();
    let mut sub = nc.subscribe("svc").await.unwrap();
    nc.flush().await.unwrap();
    let c = nc.clone();
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            if let Some(reply) = m.reply {
                let _ = c.publish(reply, name.into()).await;
            }
        }
    });
    nc
}

/// A raw protocol client that sent CONNECT; returns the reader.
fn raw_client(port: u16) -> (TcpStream, BufReader<TcpStream>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut info = String::new();
    r.read_line(&mut info).unwrap();
    s.write_all(b"CONNECT {\"verbose\":false,\"protocol\":1}\r\nPING\r\n").unwrap();
    let mut pong = String::new();
    r.read_line(&mut pong).unwrap();
    assert_eq!(pong.trim_end(), "PONG");
    (s, r)
}

/// Lines until EOF, with when EOF came.
fn read_until_closed(r: &mut BufReader<TcpStream>) -> (Vec<String>, Instant) {
    let mut out = Vec::new();
    loop {
        let mut l = String::new();
        match r.read_line(&mut l) {
            Ok(0) | Err(_) => return (out, Instant::now()),
            Ok(_) => out.push(l.trim_end().to_string()),
        }
    }
}

/// Go's TestLameDuckMode with an async-nats requester: `--signal ldm=<pid>`
/// on A; the INFO carries `ldm`, clients are closed only after the grace
/// period (1 s; the duration is Go's minimum, 30 s, over which closes are
/// spread at most 1 s apart), the requester (A then B in its
/// list) moves to B when told, every request is answered, and A exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_lame_duck_mode_async_nats_moves_without_losing_requests() {
    let mut a = Proc::start("a", "30s", "1s");
    let b = Proc::start("b", "30s", "1s");
    let _ra = responder(a.url(), "A").await;
    let _rb = responder(b.url(), "B").await;
    let (_raw, mut raw_r) = raw_client(a.port);

    let ldm_seen = Arc::new(AtomicBool::new(false));
    let (ldm_tx, mut ldm_rx) = tokio::sync::mpsc::unbounded_channel();
    let seen = ldm_seen.clone();
    let nc = async_nats::ConnectOptions::new()
        .retain_servers_order()
        .event_callback(move |e| {
            let (seen, tx) = (seen.clone(), ldm_tx.clone());
            async move {
                if matches!(e, async_nats::Event::LameDuckMode) {
                    seen.store(true, Ordering::SeqCst);
                    let _ = tx.send(());
                }
            }
        })
        .connect(vec![a.url(), b.url()])
        .await
        .unwrap();
    // A client told of lame-duck mode moves on its own initiative, as
    // nats.go applications do from their lame-duck handler.
    let mover = nc.clone();
    tokio::spawn(async move {
        if ldm_rx.recv().await.is_some() {
            let _ = mover.force_reconnect().await;
        }
    });

    let signalled = Instant::now() + Duration::from_millis(300);
    let pid_file = a.dir.join("s.pid");
    let signaller = tokio::spawn(async move {
        tokio::time::sleep_until(signalled.into()).await;
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_rnatsd"))
            .arg(format!("--signal=ldm={}", pid_file.display()))
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    });

    let (mut answers_a, mut answers_b, mut lost, mut retries) = (0, 0, 0, 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    for i in 0..2000 {
        if Instant::now() > deadline || (ldm_seen.load(Ordering::SeqCst) && answers_b >= 20) {
            break;
        }
        let mut answer = None;
        for _ in 0..5 {
            let req = nc.request("svc", i.to_string().into());
            match tokio::time::timeout(Duration::from_secs(1), req).await {
                Ok(Ok(m)) => {
                    answer = Some(m.payload.to_vec());
                    break;
                }
                _ => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        match answer.as_deref() {
            Some(b"A") => answers_a += 1,
            Some(b"B") => answers_b += 1,
            _ => lost += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signaller.await.unwrap();
    eprintln!("async-nats: answers A {answers_a}, B {answers_b}, retries {retries}, lost {lost}");
    assert!(ldm_seen.load(Ordering::SeqCst), "async-nats saw lame duck mode");
    assert_eq!(lost, 0, "lost requests (answers A {answers_a}, B {answers_b}, retries {retries})");
    assert!(answers_a > 0 && answers_b >= 20, "answers A {answers_a}, B {answers_b}");

    // The raw client: INFO with ldm, closed after the grace period.
    let (lines, closed_at) = tokio::task::spawn_blocking(move || read_until_closed(&mut raw_r)).await.unwrap();
    assert!(lines.iter().any(|l| l.starts_with("INFO ") && l.contains("\"ldm\":true")), "{lines:?}");
    let since = closed_at.duration_since(signalled);
    assert!(since >= Duration::from_millis(900), "closed {since:?} after the signal, before the 1s grace");
    // Go spreads the closes over the duration, at most 1 s apart: with a
    // handful of clients all are gone a few seconds after the grace.
    assert!(since <= Duration::from_secs(8), "closed {since:?} after the signal");
    let st = a.wait_exit(15);
    assert!(st.success(), "{st:?}");
    let log = a.log();
    assert!(log.contains("Entering lame duck mode, stop accepting new clients"), "{log}");
    assert!(log.contains("Server Exiting.."), "{log}");
    drop(nc);
}

/// The same with the official Python client (its lame-duck callback is
/// only informed; the server's close after the grace period moves it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_lame_duck_mode_nats_py_moves_without_losing_requests() {
    if !common::have_nats_py() {
        return;
    }
    let mut a = Proc::start("pya", "30s", "1s");
    let b = Proc::start("pyb", "30s", "1s");
    let _ra = responder(a.url(), "A").await;
    let _rb = responder(b.url(), "B").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/lame_duck_client.py");
    let mut py = tokio::process::Command::new("python3")
        .arg(script)
        .arg(a.url())
        .arg(b.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = py.stdout.take().unwrap();
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let ready = tokio::time::timeout(Duration::from_secs(15), lines.next_line()).await;
    assert!(matches!(ready, Ok(Ok(Some(ref l))) if l == "ready"), "{ready:?}");
    let st = Command::new("kill").args(["-s", "USR2", &a.child.id().to_string()]).status().unwrap();
    assert!(st.success());
    let summary = tokio::time::timeout(Duration::from_secs(40), lines.next_line()).await;
    let Ok(Ok(Some(summary))) = summary else {
        let out = py.wait_with_output().await.unwrap();
        panic!("no summary from nats-py: {}", String::from_utf8_lossy(&out.stderr));
    };
    eprintln!("nats-py: {summary}");
    let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(v["ldm"], true, "{v}");
    assert_eq!(v["lost"], 0, "{v}");
    assert!(v["answers"]["A"].as_u64().unwrap() > 0, "{v}");
    assert!(v["b_after_ldm"].as_u64().unwrap() >= 20, "{v}");
    let st = a.wait_exit(15);
    assert!(st.success(), "{st:?}");
    let _ = py.wait().await;
}
