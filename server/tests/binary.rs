//! The `rnatsd` binary as tools and client test harnesses spawn it: Go's
//! flag forms, Go's startup and shutdown log lines, exit codes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn rnatsd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rnatsd"))
}

/// Spawns the binary and collects stderr lines until `want` appears.
fn spawn_until(args: &[&str], want: &str) -> (Child, Vec<String>, mpsc::Receiver<String>) {
    let mut child = rnatsd().args(args).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().expect("spawn rnatsd");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines = Vec::new();
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            let done = l.contains(want);
            lines.push(l);
            if done {
                return (child, lines, rx);
            }
        }
    }
    let _ = child.kill();
    panic!("never saw {want:?}; got {lines:?}");
}

fn port_of(lines: &[String]) -> u16 {
    let l = lines.iter().find(|l| l.contains("Listening for client connections on")).unwrap();
    l.rsplit(':').next().unwrap().trim().parse().unwrap()
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    // SAFETY-free: use the kill command rather than libc.
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < deadline, "rnatsd did not exit on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn starts_with_gos_log_lines_and_stops_on_sigterm() {
    let (mut child, lines, rx) = spawn_until(&["-a", "127.0.0.1", "-p", "-1"], "Server is ready");
    assert!(lines.iter().any(|l| l.contains("[INF] Starting nats-server")), "{lines:?}");
    let port = port_of(&lines);
    assert!(port > 0);
    assert!(lines.iter().any(|l| l.contains(&format!("Listening for client connections on 127.0.0.1:{port}"))));
    // A client can talk to it.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut info = String::new();
    r.read_line(&mut info).unwrap();
    assert!(info.starts_with("INFO "));
    std::io::Write::write_all(&mut s, b"PING\r\n").unwrap();
    let mut pong = String::new();
    r.read_line(&mut pong).unwrap();
    assert_eq!(pong, "PONG\r\n");
    let st = terminate(&mut child);
    assert!(st.success(), "clean exit on SIGTERM: {st:?}");
    // The reader thread ends when the child's stderr closes.
    let mut rest = Vec::new();
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
        rest.push(l);
    }
    assert!(rest.iter().any(|l| l.contains("Server Exiting..")), "{rest:?}");
}

#[test]
fn flag_forms_are_gos() {
    // -flag=value, --flag value, single-dash long flags.
    let (mut child, lines, _rx) =
        spawn_until(&["--addr=127.0.0.1", "-port", "-1", "-server_name", "flaggy", "-DV"], "Server is ready");
    assert!(lines.iter().any(|l| l.contains("Name:     flaggy")), "{lines:?}");
    terminate(&mut child);
}

#[test]
fn jetstream_flags_report_the_store_directory() {
    let dir = std::env::temp_dir().join(format!("rnatsd-sd-{}", std::process::id()));
    let sd = format!("-sd={}", dir.display());
    let (mut child, lines, _rx) = spawn_until(&["-a", "127.0.0.1", "-p", "-1", "-js", &sd], "Server is ready");
    let want = format!("Store Directory: \"{}\"", dir.join("jetstream").display());
    assert!(lines.iter().any(|l| l.contains(&want)), "{lines:?}");
    terminate(&mut child);
}

#[test]
fn bad_flag_is_a_clear_error() {
    let out = rnatsd().arg("--no-such-flag").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("flag provided but not defined"), "{err}");
}

#[test]
fn bad_flag_value_is_a_clear_error() {
    let out = rnatsd().args(["-p", "notaport"]).output().unwrap();
    assert!(!out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
}

#[test]
fn version_and_help() {
    let out = rnatsd().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("rnatsd"));
    let out = rnatsd().arg("-h").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--port") || help.contains("-p"), "{help}");
}

#[test]
fn clustering_flags_are_not_yet_supported() {
    let out = rnatsd().args(["-p", "-1", "--cluster", "nats://127.0.0.1:-1"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not yet supported"));
}

#[test]
fn config_file_is_read_and_flags_override_it() {
    let dir = std::env::temp_dir().join(format!("rnatsd-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("server.conf");
    std::fs::write(&conf, "# test config\nlisten: 127.0.0.1:-1\nserver_name: from_conf\nmax_payload: 2KB\n").unwrap();
    let (mut child, lines, _rx) =
        spawn_until(&["-c", conf.to_str().unwrap(), "-n", "from_flag"], "Server is ready");
    assert!(lines.iter().any(|l| l.contains("Name:     from_flag")), "{lines:?}");
    let port = port_of(&lines);
    let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut info = String::new();
    BufReader::new(s).read_line(&mut info).unwrap();
    assert!(info.contains("\"max_payload\":2048"), "{info}");
    terminate(&mut child);
}

#[test]
fn bad_config_key_names_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("rnatsd-badconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("bad.conf");
    std::fs::write(&conf, "port: 4222\nno_such_key: 1\n").unwrap();
    let out = rnatsd().args(["-c", conf.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no_such_key") && err.contains(":2"), "{err}");
}
