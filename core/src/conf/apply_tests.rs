//! Option-processing tests ported from Go's server/opts_test.go (fixture
//! texts inline; Go reads them from server/configs/).

use std::collections::HashMap;
use std::time::Duration;

use super::apply::{apply_config, get_storage_size};
use super::parser::parse;
use super::value::{ConfError, Kind, Value};
use crate::options::ServerOptions;

type Applied = Result<Vec<String>, Vec<ConfError>>;

fn load_env(text: &str, env: &[(&str, &str)], files: &[(&str, &str)]) -> (Applied, ServerOptions) {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let files: HashMap<String, String> = files
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env_fn = |name: &str| env.get(name).cloned();
    let mut include = |path: &str| match files.get(path) {
        Some(t) => Ok((t.clone(), path.to_string())),
        None => Err(format!("open {path}: no such file or directory")),
    };
    let mut opts = ServerOptions::default();
    let result = match parse(text, "test.conf", &env_fn, &mut include) {
        Ok(map) => apply_config(&map, &mut opts),
        Err(e) => Err(vec![e]),
    };
    (result, opts)
}

fn load(text: &str) -> (Applied, ServerOptions) {
    load_env(text, &[], &[])
}

fn load_ok(text: &str) -> ServerOptions {
    let (r, o) = load(text);
    if let Err(errs) = r {
        panic!(
            "unexpected errors: {}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    o
}

fn load_err(text: &str) -> String {
    match load(text).0 {
        Ok(w) => panic!("expected an error, got warnings {w:?}"),
        Err(errs) => errs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

const TEST_CONF: &str = r#"
# Simple config file

server_name: testing_server

server_metadata {
  key1: value1
  key2: value2
}

listen: 127.0.0.1:4242

http: 8222

http_base_path: /nats

authorization {
  user:     derek
  password: porkchop
  timeout:  1
}

# logging options
debug:   false
trace:   true
logtime: false
syslog: true
remote_syslog: "udp://foo.com:33"

pid_file: "/tmp/nats-server/nats-server.pid"
prof_port: 6543
max_connections: 100
max_subscriptions: 1000
max_pending: 10000000
max_control_line: 2048
max_payload: 65536
ping_interval: "60s"
ping_max: 3
write_deadline: "3s"
lame_duck_duration: "4m"
connect_error_reports: 86400
"#;

/// Go: TestConfigFile
#[test]
fn test_config_file() {
    let (r, o) = load(TEST_CONF);
    let warnings = r.expect("no errors");
    assert_eq!(o.server_name, "testing_server");
    assert_eq!((o.host.as_str(), o.port), ("127.0.0.1", 4242));
    assert_eq!(o.username.as_deref(), Some("derek"));
    assert_eq!(o.password.as_deref(), Some("porkchop"));
    assert_eq!(o.auth_timeout, Duration::from_secs(1));
    assert!(!o.debug && o.trace && !o.logtime && o.syslog);
    assert_eq!(o.remote_syslog.as_deref(), Some("udp://foo.com:33"));
    assert_eq!(o.http_port, 8222);
    assert_eq!(o.http_base_path, "/nats");
    assert_eq!(
        o.pid_file.as_deref(),
        Some("/tmp/nats-server/nats-server.pid")
    );
    assert_eq!(o.prof_port, 6543);
    assert_eq!(
        (o.max_control_line, o.max_payload, o.max_conn, o.max_subs),
        (2048, 65536, 100, 1000)
    );
    assert_eq!(o.max_pending, 10_000_000);
    assert_eq!(o.ping_interval, Duration::from_secs(60));
    assert_eq!(o.max_pings_out, 3);
    assert_eq!(o.write_deadline, Duration::from_secs(3));
    assert_eq!(o.lame_duck_duration, Duration::from_secs(240));
    // Go knows these; rnatsd warns that it ignores them.
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("test.conf:6:1: field \"server_metadata\" is not supported"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("\"connect_error_reports\""),
        "{warnings:?}"
    );
    assert_eq!(o.warnings, warnings);
}

/// Go: TestListenConfig
#[test]
fn test_listen_config() {
    let o = load_ok(
        "listen: 10.0.1.22:4422\n\nhttp: 127.0.0.1:8422\nhttps: 127.0.0.1:9443\n\ncluster {\n  listen: 127.0.0.1:4244\n  name: \"abc\"\n}\n",
    );
    assert_eq!((o.host.as_str(), o.port), ("10.0.1.22", 4422));
    assert_eq!(
        (o.http_host.as_str(), o.http_port, o.https_port),
        ("127.0.0.1", 8422, 9443)
    );
    assert_eq!(o.cluster_listen.as_deref(), Some("127.0.0.1:4244"));
    assert_eq!(o.cluster_name.as_deref(), Some("abc"));
}

/// Go: TestListenPortOnlyConfig
#[test]
fn test_listen_port_only_config() {
    let o = load_ok("listen: 8922\n");
    assert_eq!((o.host.as_str(), o.port), ("0.0.0.0", 8922));
}

/// Go: TestListenPortWithColonConfig
#[test]
fn test_listen_port_with_colon_config() {
    let o = load_ok("listen: \":8922\"\n");
    assert_eq!((o.host.as_str(), o.port), ("0.0.0.0", 8922));
}

/// Go: TestMultipleUsersConfig
#[test]
fn test_multiple_users_config() {
    let o = load_ok(
        "listen: 127.0.0.1:4443\n\nauthorization {\n    users = [\n      {user: alice, password: foo}\n      {user: bob,   password: bar}\n    ]\n    timeout: 0.5\n}\n",
    );
    let names: Vec<&str> = o.users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(o.auth_timeout, Duration::from_millis(500));
}

const AUTHORIZATION_CONF: &str = r#"
listen: 127.0.0.1:4222

authorization {
  super_user = {
    publish = "*"
    subscribe = ">"
  }
  req_pub_user = {
    publish = ["req.foo", "req.bar"]
    subscribe = "_INBOX.>"
  }
  default_user = {
    subscribe = "PUBLIC.>"
  }
  my_service = {
    subscribe = "my.service.req"
    publish_allow_responses: true
  }
  my_stream_service = {
    subscribe = "my.service.req"
    allow_responses: {max: 10, expires: "1m"}
  }
  default_permissions: $default_user
  users = [
    {user: alice, password: foo, permissions: $super_user}
    {user: bob,   password: bar, permissions: $req_pub_user}
    {user: susan, password: baz}
    {user: svca,  password: pc,  permissions: $my_service}
    {user: svcb,  password: sam, permissions: $my_stream_service}
  ]
}
"#;

/// Go: TestAuthorizationConfig
#[test]
fn test_authorization_config() {
    let o = load_ok(AUTHORIZATION_CONF);
    assert_eq!(o.users.len(), 5);
    let user = |name: &str| {
        o.users
            .iter()
            .find(|u| u.username == name)
            .and_then(|u| u.permissions.clone())
            .unwrap()
    };
    let alice = user("alice");
    assert_eq!(alice.publish.unwrap().allow, ["*"]);
    assert_eq!(alice.subscribe.unwrap().allow, [">"]);
    assert_eq!(user("bob").publish.unwrap().allow, ["req.foo", "req.bar"]);
    let susan = user("susan");
    assert!(susan.publish.is_none());
    assert_eq!(susan.subscribe.unwrap().allow, ["PUBLIC.>"]);
    let svca = user("svca");
    assert_eq!(svca.subscribe.unwrap().allow, ["my.service.req"]);
    assert!(svca.publish.unwrap().allow.is_empty());
    let r = svca.response.unwrap();
    assert_eq!((r.max_msgs, r.expires), (1, Duration::from_secs(120)));
    let svcb = user("svcb");
    assert!(svcb.publish.unwrap().allow.is_empty());
    let r = svcb.response.unwrap();
    assert_eq!((r.max_msgs, r.expires), (10, Duration::from_secs(60)));
}

/// Go: TestNewStyleAuthorizationConfig
#[test]
fn test_new_style_authorization_config() {
    let o = load_ok(
        r#"authorization {
  users = [
    {user: alice, password: foo, permissions: {
      publish = { allow = ["foo", "bar", "baz"] }
      subscribe = { deny = ["foo", "bar"] }
    }}
    {user: bob, password: bar, permissions: {
      publish = { deny = ["foo", "bar"] }
      subscribe = { allow = ["$SYS.>"] }
    }}
  ]
}"#,
    );
    let alice = o.users[0].permissions.clone().unwrap();
    assert_eq!(alice.publish.unwrap().allow, ["foo", "bar", "baz"]);
    let sub = alice.subscribe.unwrap();
    assert!(sub.allow.is_empty());
    assert_eq!(sub.deny, ["foo", "bar"]);
    let bob = o.users[1].permissions.clone().unwrap();
    assert_eq!(bob.publish.unwrap().deny, ["foo", "bar"]);
    assert_eq!(bob.subscribe.unwrap().allow, ["$SYS.>"]);
}

/// Go: TestTokenWithUserPass
#[test]
fn test_token_with_user_pass() {
    let err = load_err(
        "\n\tauthorization={\n\t\tuser: user\n\t\tpass: password\n\t\ttoken: $2a$11$whatever\n\t}",
    );
    assert!(err.contains("token"), "{err}");
}

/// Go: TestTokenWithUsers
#[test]
fn test_token_with_users() {
    let err = load_err("authorization={\n\t\ttoken: $2a$11$whatever\n\t\tusers: [\n\t\t\t{user: test, password: test}\n\t\t]\n\t}");
    assert!(
        err.contains("Can not have a token and a users array"),
        "{err}"
    );
}

/// Go: TestParseWriteDeadline
#[test]
fn test_parse_write_deadline() {
    let err = load_err("write_deadline: \"1x\"");
    assert!(err.contains("parsing"), "{err}");
    assert_eq!(
        load_ok("write_deadline: \"1s\"").write_deadline,
        Duration::from_secs(1)
    );
    assert_eq!(
        load_ok("write_deadline: 2").write_deadline,
        Duration::from_secs(2)
    );
}

/// Go: TestEmptyConfig
#[test]
fn test_empty_config() {
    let (r, o) = load("");
    assert_eq!(r, Ok(vec![]));
    assert_eq!(o, ServerOptions::default());
}

/// Go: TestMalformedListenAddress
#[test]
fn test_malformed_listen_address() {
    let err = load_err("# test garbage listen address for failure\nlisten: 10.0.1.22:foo");
    // The lexer already rejects it, as in Go.
    assert!(
        err.starts_with("test.conf:2:20: Parse error on line 2: 'Expected a top-level value"),
        "{err}"
    );
    assert_eq!(
        load_err("listen: \"10.0.1.22:foo\""),
        "test.conf:1:0: could not parse port \"foo\""
    );
}

/// Go: TestMalformedClusterAddress
#[test]
fn test_malformed_cluster_address() {
    let err = load_err(
        "# Test malformed cluster listen address\ncluster {\n  listen: 266.0.0.1:foo\n}\n",
    );
    assert!(
        err.starts_with("test.conf:3:22: Parse error on line 3: 'Expected a map value terminator"),
        "{err}"
    );
    let err = load_err("cluster {\n  listen: \"266.0.0.1:foo\"\n}\n");
    assert_eq!(err, "test.conf:2:3: could not parse port \"foo\"");
}

/// Go: TestPanic
#[test]
fn test_panic() {
    let err = load_err("port: \"this_string_trips_a_panic\"");
    assert!(err.contains(":1:0: interface conversion:"), "{err}");
    assert_eq!(
        err,
        "test.conf:1:0: interface conversion: interface {} is string, not int64"
    );
}

/// Go: TestPingIntervalOld
#[test]
fn test_ping_interval_old() {
    let (r, o) = load("ping_interval: 5");
    let warnings = r.expect("only a warning");
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0], "test.conf:1:0: invalid use of field \"ping_interval\": ping_interval should be converted to a duration");
    assert_eq!(o.ping_interval, Duration::from_secs(5));
}

/// Go: TestPingIntervalNew
#[test]
fn test_ping_interval_new() {
    assert_eq!(
        load_ok("ping_interval: \"5m\"").ping_interval,
        Duration::from_secs(300)
    );
    let err = load_err("ping_interval: \"5x\"");
    assert_eq!(
        err,
        "test.conf:1:0: error parsing ping_interval: time: unknown unit \"x\" in duration \"5x\""
    );
}

/// Go: TestLargeMaxControlLine
#[test]
fn test_large_max_control_line() {
    let err = load_err("\n\t\tmax_control_line = 3000000000\n\t");
    assert!(err.ends_with("max_control_line value is too big"), "{err}");
}

/// Go: TestLargeMaxPayload (the config half; the max_pending check is the server's)
#[test]
fn test_large_max_payload() {
    let err = load_err("\n\t\tmax_payload = 3000000000\n\t");
    assert!(err.ends_with("max_payload value is too big"), "{err}");
    let o = load_ok("max_payload = 100000\nmax_pending = 50000");
    assert_eq!((o.max_payload, o.max_pending), (100_000, 50_000));
}

/// Go: TestHandleUnknownTopLevelConfigurationField
#[test]
fn test_handle_unknown_top_level_configuration_field() {
    let err = load_err("\n\t\tport: 1234\n\t\tstreaming {\n\t\t\tid: \"me\"\n\t\t}\n\t");
    assert_eq!(err, "test.conf:3:3: unknown field \"streaming\"");
    let err = load_err("port: 1234\ncluster {\n  non_top_level_unknown_field: 123\n}\n");
    assert_eq!(
        err,
        "test.conf:3:3: unknown field \"non_top_level_unknown_field\""
    );
}

/// Go: TestParsingResponsePermissions
#[test]
fn test_parsing_response_permissions() {
    let conf = |a: &str, b: &str| {
        format!(
            "listen: \"127.0.0.1:-1\"\nauthorization {{\n users [\n  {{\n   user: ivan\n   password: pwd\n   permissions {{\n    allow_responses {{\n     {a}\n     {b}\n    }}\n   }}\n  }}\n ]\n}}\n"
        )
    };
    let check = |a: &str, b: &str, max: i32, ttl: Duration| {
        let o = load_ok(&conf(a, b));
        let r = o.users[0].permissions.clone().unwrap().response.unwrap();
        assert_eq!((r.max_msgs, r.expires), (max, ttl), "{a} {b}");
    };
    let (dmax, dttl) = (1, Duration::from_secs(120));
    check("", "", dmax, dttl);
    check("max: 10", "", 10, dttl);
    check("", "ttl: 5s", dmax, Duration::from_secs(5));
    check("max: 0", "", dmax, dttl);
    check("", "ttl: \"0s\"", dmax, dttl);
    check("max: 10", "ttl: \"5s\"", 10, Duration::from_secs(5));
    check("max: -1", "ttl: \"5s\"", -1, Duration::from_secs(5));
    // Go keeps a negative TTL (no expiry); rnatsd stores Duration::MAX.
    check("max: 10", "ttl: \"-1s\"", 10, Duration::MAX);
    let err_of = |a: &str, b: &str| load_err(&conf(a, b));
    assert!(err_of("unknown_field: 123", "").contains("Unknown field"));
    assert!(err_of("max: 10", "ttl: 123").contains("not a duration string"));
    assert!(err_of("max: 10", "ttl: xyz").contains("error parsing expires"));
}

/// Go: TestQueuePermissions (config half: queue subjects allowed on subscribe)
#[test]
fn test_queue_permissions() {
    for perm in ["allow", "deny"] {
        let text = format!(
            "no_auth_user: u\nauthorization {{\n users [{{\n  user: u, password: pwd, permissions: {{ sub: {{ {perm}: [\"foo.> *.dev\"] }} }}\n }}]\n}}"
        );
        let o = load_ok(&text);
        assert_eq!(o.no_auth_user.as_deref(), Some("u"));
        let sub = o.users[0].permissions.clone().unwrap().subscribe.unwrap();
        let list = if perm == "allow" { sub.allow } else { sub.deny };
        assert_eq!(list, ["foo.> *.dev"]);
    }
}

/// Go: TestQueueQualifierOnlyAllowedForSubscribePermissions
#[test]
fn test_queue_qualifier_only_allowed_for_subscribe_permissions() {
    let err = load_err("authorization { users [{user: u, password: p, permissions: { pub: { allow: [\"foo.> *.dev\"] } }}] }");
    assert!(
        err.contains("subject \"foo.> *.dev\" is not a valid subject"),
        "{err}"
    );
}

/// Go: TestGetStorageSize
#[test]
fn test_get_storage_size() {
    let v = |s: &str| Value::new(Kind::String(s.to_string()), 1, 0, "t");
    assert_eq!(get_storage_size(&v("1K")), Ok(1024));
    assert_eq!(get_storage_size(&v("1M")), Ok(1_048_576));
    assert_eq!(get_storage_size(&v("1G")), Ok(1_073_741_824));
    assert_eq!(get_storage_size(&v("1T")), Ok(1_099_511_627_776));
    assert!(get_storage_size(&v("1L")).is_err());
    assert!(get_storage_size(&v("TT")).is_err());
    assert_eq!(get_storage_size(&v("")), Ok(0));
}

/// Go: TestAuthorizationTimeoutConfigParsing
#[test]
fn test_authorization_timeout_config_parsing() {
    let timeout = |t: &str| load_ok(&format!("authorization {{\n timeout: {t}\n}}")).auth_timeout;
    assert_eq!(
        load_ok("authorization {}").auth_timeout,
        Duration::from_secs(2)
    );
    assert_eq!(timeout("0"), Duration::from_secs(2));
    assert_eq!(timeout("1"), Duration::from_secs(1));
    assert_eq!(timeout("10s"), Duration::from_secs(10));
    // A bare 1m is the integer one million (with a warning).
    assert_eq!(timeout("1m"), Duration::from_secs(1_000_000));
    assert_eq!(timeout("\"1m\""), Duration::from_secs(60));
    assert_eq!(timeout("\"10m5s30ms\""), Duration::from_millis(605_030));
    assert_eq!(timeout("0.091"), Duration::from_millis(91));
    let err = load_err("authorization {\n timeout: random_garbage\n}");
    assert!(err.contains("invalid duration \"random_garbage\""), "{err}");
    let (r, _) = load("authorization {\n timeout: 1m\n}");
    assert!(r.unwrap()[0].contains("is high, consider keeping it under 60 seconds"));
}

/// Go: TestVarReferencesVar
#[test]
fn test_var_references_var() {
    assert_eq!(
        load_ok("\n\t\tA: 7890\n\t\tB: $A\n\t\tC: $B\n\t\tport: $C\n\t").port,
        7890
    );
}

/// Go: TestVarReferencesEnvVar
#[test]
fn test_var_references_env_var() {
    let text = "\n\t\tA: $_TEST_ENV_NATS_PORT_\n\t\tB: $A\n\t\tC: $B\n\t\tport: $C\n\t";
    let (r, o) = load_env(text, &[("_TEST_ENV_NATS_PORT_", "7890")], &[]);
    assert!(r.is_ok());
    assert_eq!(o.port, 7890);
}

/// Go: TestVarReferencesSelf
#[test]
fn test_var_references_self() {
    assert!(load_err("A: $A").contains("variable reference for 'A' on line 1 can not be found"));
}

/// Go: TestEnvVarReferencesVar
#[test]
fn test_env_var_references_var() {
    let (r, _) = load_env(
        "\n\t\tP: 8080\n\t\tport: $_TEST_ENV_NATS_PORT_\n\t",
        &[("_TEST_ENV_NATS_PORT_", "$P")],
        &[],
    );
    let err = r.unwrap_err()[0].to_string();
    assert!(
        err.contains("variable reference for 'P' on line 1 can not be found"),
        "{err}"
    );
}

/// Go: TestEnvVarReferencesEnvVar
#[test]
fn test_env_var_references_env_var() {
    let env = [
        ("_TEST_ENV_A_", "$_TEST_ENV_B_"),
        ("_TEST_ENV_B_", "$_TEST_ENV_C_"),
        ("_TEST_ENV_C_", "7890"),
    ];
    let (r, o) = load_env("\n\t\tport: $_TEST_ENV_A_\n\t", &env, &[]);
    assert!(r.is_ok());
    assert_eq!(o.port, 7890);
}

/// Go: TestEnvVarReferencesSelf
#[test]
fn test_env_var_references_self() {
    let (r, _) = load_env("TEST: $_TEST_ENV_", &[("_TEST_ENV_", "$_TEST_ENV_")], &[]);
    assert!(r.unwrap_err()[0]
        .to_string()
        .contains("variable reference cycle"));
}

/// Go: TestEnvVarReferencesSelfCycle
#[test]
fn test_env_var_references_self_cycle() {
    let env = [
        ("_TEST_ENV_A_", "$_TEST_ENV_B_"),
        ("_TEST_ENV_B_", "$_TEST_ENV_C_"),
        ("_TEST_ENV_C_", "$_TEST_ENV_A_"),
    ];
    let (r, _) = load_env("TEST: $_TEST_ENV_A_", &env, &[]);
    assert!(r.unwrap_err()[0]
        .to_string()
        .contains("variable reference cycle"));
}

/// Go: TestEnvVarInclude
#[test]
fn test_env_var_include() {
    let (r, _) = load_env("TEST: $_TEST_ENV_A_", &[("_TEST_ENV_A_", "include x")], &[]);
    let err = r.unwrap_err()[0].to_string();
    assert!(
        err.contains("Expected a top-level value to end with a new line, comment or EOF"),
        "{err}"
    );
}

/// Go: TestEnvVarFromIncludedFile
#[test]
fn test_env_var_from_included_file() {
    let env = [
        ("_TEST_ENV_PORT_A_", "$_TEST_ENV_PORT_B_"),
        ("_TEST_ENV_PORT_B_", "7890"),
    ];
    let files = [("inc.conf", "\n\t\tTEST_PORT: $_TEST_ENV_PORT_A_\n\t")];
    let (r, o) = load_env(
        "\n\t\tinclude \"./inc.conf\"\n\t\tport: $TEST_PORT\n\t",
        &env,
        &files,
    );
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(o.port, 7890);
}

#[test]
fn test_jetstream_config() {
    let o = load_ok("jetstream {\n store_dir: \"/data/js\"\n max_memory_store: 1G\n max_file: \"10G\"\n sync_interval: \"10s\"\n strict: true\n domain: hub\n}");
    let js = &o.jetstream;
    assert!(js.enabled && js.strict);
    assert_eq!(js.store_dir.as_deref(), Some("/data/js"));
    assert_eq!(
        (js.max_memory_store, js.max_file_store),
        (1_000_000_000, 10 << 30)
    );
    assert_eq!(js.sync_interval, Some(Duration::from_secs(10)));
    assert_eq!(js.domain.as_deref(), Some("hub"));
    let o = load_ok("jetstream { sync: always, enabled: false }");
    assert!(o.jetstream.sync_always && !o.jetstream.enabled);
    assert!(load_ok("jetstream: enabled").jetstream.enabled);
    assert!(!load_ok("jetstream: false").jetstream.enabled);
    let err = load_err("jetstream: maybe");
    assert_eq!(
        err,
        "test.conf:1:0: Expected 'enabled' or 'disabled' for string value, got 'maybe'"
    );
    let err = load_err("store_dir: /a\njetstream { store_dir: /b }");
    assert!(
        err.ends_with("Duplicate 'store_dir' configuration"),
        "{err}"
    );
    let err = load_err("jetstream { max_mem: \"1X\" }");
    assert!(
        err.ends_with("max_mem_store sizes defined as strings must end in K, M, G, T"),
        "{err}"
    );
    let o = load_ok("jetstream { cipher: chachapoly, key: \"s3cr3t\" }");
    assert_eq!(
        o.jetstream.cipher,
        Some(crate::store::filestore::Cipher::ChaChaPoly)
    );
    assert_eq!(o.jetstream.key.as_deref(), Some("s3cr3t"));
    let err = load_err("jetstream { cipher: rot13, key: k }");
    assert!(err.contains("Unknown cipher type"), "{err}");
}

#[test]
fn test_misc_top_level_keys() {
    let text = "host: 127.0.0.2\nport: -1\nmax_conn: 0\nmax_subs: 7\nlogtime_utc: true\nlog_file: /tmp/x.log\n\
                trace_verbose: true\nclient_advertise: \"a:1\"\nhttp_port: 8223\nmonitor_port: 8224\nhttps_port: 8225\n\
                ports_file_dir: /tmp\nlame_duck_grace_period: \"3s\"\nno_header_support: true\nlog_size_limit: 1MB\n";
    let o = load_ok(text);
    assert_eq!(
        (o.host.as_str(), o.port, o.max_conn, o.max_subs),
        ("127.0.0.2", -1, -1, 7)
    );
    assert!(o.logtime_utc && o.trace_verbose && o.trace && o.no_header_support);
    assert_eq!(o.log_file.as_deref(), Some("/tmp/x.log"));
    assert_eq!(o.client_advertise.as_deref(), Some("a:1"));
    assert_eq!((o.http_port, o.https_port), (8224, 8225));
    assert_eq!(o.ports_file_dir.as_deref(), Some("/tmp"));
    assert_eq!(o.lame_duck_grace_period, Duration::from_secs(3));
    assert_eq!(o.log_size_limit, 1 << 20);
    let err = load_err("lame_duck_duration: \"10s\"");
    assert!(
        err.ends_with("invalid lame_duck_duration of 10s, minimum is 30 seconds"),
        "{err}"
    );
    let err = load_err("server_name: \"a b\"");
    assert!(err.ends_with("server name cannot contain spaces"), "{err}");
    let err = load_err("debug: 1");
    assert_eq!(
        err,
        "test.conf:1:0: interface conversion: interface {} is int64, not bool"
    );
}

#[test]
fn test_cluster_config() {
    let text = "cluster {\n name: c1\n port: 6222\n routes: [nats://a:6222, nats://b:6222]\n advertise: \"x:1\"\n no_advertise: true\n connect_retries: 3\n pool_size: 5\n}";
    let (r, o) = load(text);
    let warnings = r.unwrap();
    assert_eq!(o.cluster_listen.as_deref(), Some("0.0.0.0:6222"));
    assert_eq!(o.routes, ["nats://a:6222", "nats://b:6222"]);
    assert_eq!(o.cluster_advertise.as_deref(), Some("x:1"));
    assert!(o.cluster_no_advertise);
    assert_eq!(o.cluster_connect_retries, 3);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("test.conf:8:2: field \"pool_size\""),
        "{warnings:?}"
    );
}

#[test]
fn test_duplicate_and_mixed_users() {
    let err = load_err("authorization { users [{user: a, password: x}, {user: a, password: y}] }");
    assert!(err.ends_with("Duplicate user \"a\" detected"), "{err}");
    let err = load_err("authorization { user: b, users [{user: a, password: x}] }");
    assert!(
        err.ends_with("Can not have a single user/pass and a users array"),
        "{err}"
    );
    let err = load_err("authorization { users [{password: x}] }");
    assert!(err.ends_with("User entry requires a user"), "{err}");
}
