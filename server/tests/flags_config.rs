//! Command-line flags (Go `flag` semantics) and config-file loading.
//! Ports Go's opts_test.go TestMergeOverrides; the route/cluster flag test
//! covers the flag half of TestRouteFlagOverride and TestClusterFlagsOverride.

use std::path::PathBuf;
use std::time::Duration;

use rnatsd::config::load_config_file;
use rnatsd::flags::{ensure_supported, parse_args, Command, USAGE};
use rnatsd_core::options::ServerOptions;

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn run(s: &str) -> ServerOptions {
    match parse_args(args(s)) {
        Ok(Command::Run(o)) => *o,
        other => panic!("{s:?}: expected Run, got {other:?}"),
    }
}

fn err(s: &str) -> String {
    match parse_args(args(s)) {
        Err(e) => e,
        other => panic!("{s:?}: expected an error, got {other:?}"),
    }
}

/// A fresh temp directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rnatsd-conf-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path.to_string_lossy().into_owned()
}

#[test]
fn test_defaults_without_flags() {
    assert_eq!(run(""), ServerOptions::default());
}

#[test]
fn test_every_value_flag_form() {
    for form in [
        "-p 4333",
        "--p 4333",
        "-port 4333",
        "--port=4333",
        "-p=4333",
        "--port 4333",
    ] {
        assert_eq!(run(form).port, 4333, "{form}");
    }
    assert_eq!(run("-p -1").port, -1);
    assert_eq!(run("-p 0x10").port, 16);
    for form in ["-a 127.0.0.1", "--addr 127.0.0.1", "--net=127.0.0.1"] {
        assert_eq!(run(form).host, "127.0.0.1", "{form}");
    }
    for form in ["-n srv", "--name srv", "--server_name=srv"] {
        assert_eq!(run(form).server_name, "srv", "{form}");
    }
    let o = run(
        "--client_advertise adv:1 -P /tmp/p.pid -m 8222 -ms 8443 -l /tmp/l.log --log_size_limit 1048576 \
         -r udp://h:514 --max_traced_msg_len 64 --user u --pass p --auth tok --ports_file_dir /tmp/pf \
         --profile 6060 -sd /tmp/js --cluster_name c1 --cluster_advertise ca:1 --connect_retries 5",
    );
    assert_eq!(o.client_advertise.as_deref(), Some("adv:1"));
    assert_eq!(o.pid_file.as_deref(), Some("/tmp/p.pid"));
    assert_eq!((o.http_port, o.https_port), (8222, 8443));
    assert_eq!(o.log_file.as_deref(), Some("/tmp/l.log"));
    assert_eq!(o.log_size_limit, 1_048_576);
    assert_eq!(o.remote_syslog.as_deref(), Some("udp://h:514"));
    assert_eq!(o.max_traced_msg_len, 64);
    assert_eq!(
        (o.username.as_deref(), o.password.as_deref()),
        (Some("u"), Some("p"))
    );
    assert_eq!(o.authorization.as_deref(), Some("tok"));
    assert_eq!(o.ports_file_dir.as_deref(), Some("/tmp/pf"));
    assert_eq!(o.prof_port, 6060);
    assert_eq!(o.jetstream.store_dir.as_deref(), Some("/tmp/js"));
    assert_eq!(o.cluster_name.as_deref(), Some("c1"));
    assert_eq!(o.cluster_advertise.as_deref(), Some("ca:1"));
    assert_eq!(o.cluster_connect_retries, 5);
    assert_eq!(
        run("--store_dir=/x").jetstream.store_dir.as_deref(),
        Some("/x")
    );
    assert_eq!(run("--http_port 1 -m 2").http_port, 2, "last one wins");
}

#[test]
fn test_boolean_flags() {
    assert!(run("-D").debug);
    assert!(run("--debug").debug);
    assert!(run("-D=true").debug);
    assert!(!run("-D=false").debug);
    assert!(run("-V").trace && run("--trace").trace);
    let o = run("-VV");
    assert!(o.trace && o.trace_verbose && !o.debug);
    let o = run("-DV");
    assert!(o.trace && o.debug && !o.trace_verbose);
    let o = run("-DVV");
    assert!(o.trace && o.debug && o.trace_verbose);
    assert!(!run("-T=false").logtime);
    assert!(run("--logtime").logtime);
    assert!(run("-s").syslog && run("--syslog").syslog);
    assert!(run("-js").jetstream.enabled && run("--jetstream").jetstream.enabled);
    assert!(run("--no_advertise").cluster_no_advertise);
    // A bool flag does not consume the next argument: parsing stops there.
    assert_eq!(err("-D yes"), "unrecognized command: \"yes\"");
}

#[test]
fn test_help_version_and_commands() {
    for (s, want) in [
        ("-h", Command::Help),
        ("--help", Command::Help),
        ("help", Command::Help),
        ("-v", Command::Version),
        ("--version", Command::Version),
        ("version", Command::Version),
        ("--help_tls", Command::HelpTls),
        ("-p 1 -- -D", Command::Version),
    ] {
        if s.ends_with("-D") {
            // "--" ends the flags; "-D" is then an unknown command.
            assert_eq!(err(s), "unrecognized command: \"-D\"");
            continue;
        }
        assert_eq!(parse_args(args(s)), Ok(want), "{s}");
    }
    assert!(
        USAGE.contains("--cluster_listen")
            && USAGE.contains("-sl,--signal")
            && USAGE.contains("-DVV")
    );
}

#[test]
fn test_signal_flag() {
    assert_eq!(
        parse_args(args("--signal ldm=1234")),
        Ok(Command::Signal {
            command: "ldm".to_string(),
            pid: Some("1234".to_string())
        })
    );
    assert_eq!(
        parse_args(args("-sl stop")),
        Ok(Command::Signal {
            command: "stop".to_string(),
            pid: None
        })
    );
    assert_eq!(err("-sl a=b=c"), "invalid signal parameters: [c]");
}

#[test]
fn test_bad_flags_and_values() {
    assert_eq!(err("-foo"), "flag provided but not defined: -foo");
    assert_eq!(err("--foo=1"), "flag provided but not defined: -foo");
    assert_eq!(err("---port 1"), "bad flag syntax: ---port");
    assert_eq!(err("-=x"), "bad flag syntax: -=x");
    assert_eq!(
        err("-p abc"),
        "invalid value \"abc\" for flag -p: parse error"
    );
    assert_eq!(
        err("--port=99999999999"),
        "invalid value \"99999999999\" for flag -port: value out of range"
    );
    assert_eq!(
        err("-D=maybe"),
        "invalid boolean value \"maybe\" for -D: parse error"
    );
    assert_eq!(err("-p"), "flag needs an argument: -p");
    assert_eq!(err("stuff"), "unrecognized command: \"stuff\"");
    assert_eq!(
        err("-t"),
        "must specify [-c, --config] option to check configuration file syntax"
    );
}

/// Go: TestRouteFlagOverride / TestClusterFlagsOverride (flag half)
#[test]
fn test_route_and_cluster_flags() {
    let argv = [
        "--cluster",
        "nats://127.0.0.1:6222",
        "--routes",
        "nats://a:1, nats://b:2",
    ];
    let Ok(Command::Run(o)) = parse_args(argv.map(String::from)) else {
        panic!("expected Run")
    };
    assert_eq!(o.cluster_listen.as_deref(), Some("127.0.0.1:6222"));
    assert_eq!(o.routes, ["nats://a:1", "nats://b:2"]);
    assert_eq!(
        run("--cluster_listen nats://0.0.0.0:-1")
            .cluster_listen
            .as_deref(),
        Some("0.0.0.0:-1")
    );
    assert_eq!(
        err("--routes nats://a:1"),
        "solicited routes require cluster capabilities, e.g. --cluster"
    );
}

#[test]
fn test_tls_flags_are_stored_and_startable() {
    let o = run("--tls --tlscert c.pem --tlskey k.pem --tlscacert ca.pem --tlsverify");
    assert!(o.tls && o.tls_verify);
    assert_eq!(
        (
            o.tls_cert.as_deref(),
            o.tls_key.as_deref(),
            o.tls_ca_cert.as_deref()
        ),
        (Some("c.pem"), Some("k.pem"), Some("ca.pem"))
    );
    assert!(ensure_supported(&o).is_ok());
    let no_ca = run("--tlscert c.pem --tlskey k.pem --tlsverify");
    assert!(no_ca.tls);
    assert!(ensure_supported(&no_ca).unwrap_err().contains("needs a CA file"));
    assert_eq!(
        err("--tls"),
        "TLS Server certificate must be present and valid"
    );
    assert_eq!(
        err("--tlscert c.pem"),
        "TLS Server private key must be present and valid"
    );
    let o = run("--tls=false --tlscert c.pem");
    assert!(!o.tls);
    assert!(ensure_supported(&o).is_ok());
    assert!(ensure_supported(&run("")).is_ok());
}

/// Go: TestMergeOverrides — flags override the config file.
#[test]
fn test_merge_overrides() {
    let dir = temp_dir("merge");
    let conf = write(
        &dir,
        "test.conf",
        "listen: 127.0.0.1:4242\nhttp: 8222\nhttp_base_path: /nats\nauthorization { user: derek, password: porkchop }\n\
         debug: true\ntrace: false\nmax_payload: 65536\n",
    );
    let o = run(&format!(
        "-c {conf} -p 2222 --pass spooky -D=false -V --http_port 8888"
    ));
    assert_eq!(o.config_file.as_deref(), Some(conf.as_str()));
    assert_eq!((o.host.as_str(), o.port), ("127.0.0.1", 2222));
    assert_eq!(o.username.as_deref(), Some("derek"));
    assert_eq!(o.password.as_deref(), Some("spooky"));
    assert!(!o.debug && o.trace);
    assert_eq!((o.http_port, o.http_base_path.as_str()), (8888, "/nats"));
    assert_eq!(o.max_payload, 65536);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn test_config_file_with_include_and_env_variable() {
    let dir = temp_dir("include");
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    write(&dir, "inc/auth.conf", "authorization {\n  user: alice\n  password: $RNATSD_CONF_TEST_PASS\n  timeout: \"3s\"\n}\n");
    let conf = write(
        &dir,
        "main.conf",
        "port: $RNATSD_CONF_TEST_PORT\ninclude 'inc/auth.conf'\n",
    );
    std::env::set_var("RNATSD_CONF_TEST_PORT", "5222");
    std::env::set_var("RNATSD_CONF_TEST_PASS", "s3cret");
    let mut o = ServerOptions::default();
    let warnings = load_config_file(&conf, &mut o).expect("loads");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(o.port, 5222);
    assert_eq!(o.username.as_deref(), Some("alice"));
    assert_eq!(o.password.as_deref(), Some("s3cret"));
    assert_eq!(o.auth_timeout, Duration::from_secs(3));
    // -t reports the file valid (flags not applied, as in Go).
    match parse_args(args(&format!("-t -c {conf} -p 1"))) {
        Ok(Command::CheckConfig(o)) => assert_eq!(o.port, 5222),
        other => panic!("expected CheckConfig, got {other:?}"),
    }
    // An include that does not exist names the including file and line.
    let bad = write(&dir, "bad.conf", "\nport: 1\ninclude 'nope.conf'\n");
    let e = load_config_file(&bad, &mut ServerOptions::default()).unwrap_err();
    assert!(
        e.starts_with(&format!(
            "{bad}:3:10: error parsing include file 'nope.conf', error opening config file: open "
        )),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn test_unknown_key_error_names_file_line_and_key() {
    let dir = temp_dir("unknown");
    let conf = write(&dir, "u.conf", "port: 4222\n\n  bogus_key: 1\n");
    let e = err(&format!("--config {conf}"));
    assert_eq!(e, format!("{conf}:3:3: unknown field \"bogus_key\""));
    let inc = write(&dir, "child.conf", "# child\nwrong: true\n");
    let parent = write(&dir, "parent.conf", "include ./child.conf\n");
    let e = load_config_file(&parent, &mut ServerOptions::default()).unwrap_err();
    assert_eq!(e, format!("{inc}:2:1: unknown field \"wrong\""));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn test_known_but_unsupported_key_warns() {
    let dir = temp_dir("warn");
    let conf = write(&dir, "w.conf", "port: 4223\ngateway {\n  name: A\n}\n");
    let o = run(&format!("-c {conf}"));
    assert_eq!(o.port, 4223);
    assert_eq!(o.warnings.len(), 1);
    assert_eq!(
        o.warnings[0],
        format!("{conf}:2:1: field \"gateway\" is not supported by rnatsd yet and was ignored")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn test_config_errors() {
    let dir = temp_dir("errors");
    let missing = dir.join("missing.conf").to_string_lossy().into_owned();
    assert!(err(&format!("-c {missing}")).starts_with("error opening config file: "));
    let conf = write(&dir, "e.conf", "ping_interval: \"2x\"\nport: \"abc\"\n");
    let e = err(&format!("-c {conf}"));
    let want = format!(
        "{conf}:1:0: error parsing ping_interval: time: unknown unit \"x\" in duration \"2x\"\n\
         {conf}:2:1: interface conversion: interface {{}} is string, not int64"
    );
    assert_eq!(e, want);
    let empty = write(&dir, "empty.conf", "# nothing\n");
    let mut o = ServerOptions::default();
    assert_eq!(
        load_config_file(&empty, &mut o),
        Ok(vec![format!("{empty}: config has no values or is empty")])
    );
    let _ = std::fs::remove_dir_all(dir);
}
