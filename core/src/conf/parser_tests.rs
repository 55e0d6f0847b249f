//! Parser tests ported from Go's conf/parse_test.go. Values are compared
//! through a JSON rendering that keeps Go's int64/float64 distinction.

use std::collections::HashMap;

use serde_json::{json, Value as Json};

use super::parser::parse;
use super::value::{ConfError, Kind, Map, Value};

fn to_json(kind: &Kind) -> Json {
    match kind {
        Kind::String(s) => Json::String(s.clone()),
        Kind::Bool(b) => Json::Bool(*b),
        Kind::Integer(n) => json!(*n),
        Kind::Float(f) => json!(*f),
        Kind::DateTime(d) => Json::String(format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year, d.month, d.day, d.hour, d.minute, d.second
        )),
        Kind::Array(a) => Json::Array(a.iter().map(|v| to_json(&v.kind)).collect()),
        Kind::Map(m) => map_json(m),
    }
}

fn map_json(m: &Map) -> Json {
    Json::Object(
        m.iter()
            .map(|(k, v)| (k.to_string(), to_json(&v.kind)))
            .collect(),
    )
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// Parses with an in-memory file system for includes.
fn parse_files(
    text: &str,
    source: &str,
    env: &dyn Fn(&str) -> Option<String>,
    files: &[(&str, &str)],
) -> Result<Map, ConfError> {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut include = |path: &str| match files.get(path) {
        Some(text) => Ok((text.clone(), path.to_string())),
        None => Err(format!("open {path}: no such file or directory")),
    };
    parse(text, source, env, &mut include)
}

fn parse_str(text: &str) -> Result<Map, ConfError> {
    parse_files(text, "", &no_env, &[])
}

fn test(text: &str, expected: Json) {
    let m = parse_str(text).unwrap_or_else(|e| panic!("parse error: {e}"));
    assert_eq!(map_json(&m), expected, "parsing {text:?}");
}

fn test_env(text: &str, var: &str, val: &str, expected: Json) {
    let env = |name: &str| (name == var).then(|| val.to_string());
    let m = parse_files(text, "", &env, &[]).unwrap_or_else(|e| panic!("parse error: {e}"));
    assert_eq!(map_json(&m), expected);
}

/// Go: TestSimpleTopLevel
#[test]
fn test_simple_top_level() {
    test(
        "foo='1'; bar=2.2; baz=true; boo=22",
        json!({"foo": "1", "bar": 2.2, "baz": true, "boo": 22}),
    );
}

/// Go: TestBools
#[test]
fn test_bools() {
    for text in ["foo=true", "foo=TRUE", "foo=yes", "foo=on"] {
        test(text, json!({"foo": true}));
    }
    for text in ["foo=false", "foo=Off", "foo=no"] {
        test(text, json!({"foo": false}));
    }
}

/// Go: TestSimpleVariable
#[test]
fn test_simple_variable() {
    test(
        "\n  index = 22\n  foo = $index\n",
        json!({"index": 22, "foo": 22}),
    );
}

/// Go: TestNestedVariable
#[test]
fn test_nested_variable() {
    let text = "\n  index = 22\n  nest {\n    index = 11\n    foo = $index\n  }\n  bar = $index\n";
    test(
        text,
        json!({"index": 22, "nest": {"index": 11, "foo": 11}, "bar": 22}),
    );
}

/// Go: TestMissingVariable
#[test]
fn test_missing_variable() {
    let err = parse_str("foo=$index").unwrap_err();
    assert!(err.message.starts_with("variable reference"), "{err}");
    assert_eq!(
        err.message,
        "variable reference for 'index' on line 1 can not be found"
    );
}

/// Go: TestEnvVariable
#[test]
fn test_env_variable() {
    test_env("foo = $__UNIQ22__", "__UNIQ22__", "22", json!({"foo": 22}));
}

/// Go: TestEnvVariableString
#[test]
fn test_env_variable_string() {
    test_env(
        "foo = $__UNIQ22__",
        "__UNIQ22__",
        "xyz",
        json!({"foo": "xyz"}),
    );
}

/// Go: TestEnvVariableStringStartingWithNumber (the Go test parses the
/// literal "$%s", an undefined variable).
#[test]
fn test_env_variable_string_starting_with_number() {
    let env = |name: &str| (name == "__UNIQ22__").then(|| "3xyz".to_string());
    assert!(parse_files("foo = $%s", "", &env, &[]).is_err());
}

/// Go: TestEnvVariableStringStartingWithNumberAndSizeUnit
#[test]
fn test_env_variable_string_starting_with_number_and_size_unit() {
    test_env(
        "foo = $__UNIQ22__",
        "__UNIQ22__",
        "3Gyz",
        json!({"foo": "3Gyz"}),
    );
}

/// Go: TestEnvVariableStringStartingWithNumberUsingQuotes
#[test]
fn test_env_variable_string_starting_with_number_using_quotes() {
    test_env(
        "foo = $__UNIQ22__",
        "__UNIQ22__",
        "'3xyz'",
        json!({"foo": "3xyz"}),
    );
}

#[test]
fn test_env_variable_reference_cycle() {
    let env = |name: &str| (name == "LOOP").then(|| "$LOOP".to_string());
    let err = parse_files("foo = $LOOP", "", &env, &[]).unwrap_err();
    assert!(
        err.message.contains("variable reference cycle for 'LOOP'"),
        "{err}"
    );
}

/// Go: TestBcryptVariable
#[test]
fn test_bcrypt_variable() {
    test("password: $2a$11$ooo", json!({"password": "$2a$11$ooo"}));
}

/// Go: TestConvenientNumbers
#[test]
fn test_convenient_numbers() {
    let text = "
k = 8k
kb = 4kb
ki = 3ki
kib = 4ki
m = 1m
mb = 2MB
mi = 2Mi
mib = 64MiB
g = 2g
gb = 22GB
gi = 22Gi
gib = 22GiB
tb = 22TB
ti = 22Ti
tib = 22TiB
pb = 22PB
pi = 22Pi
pib = 22PiB
";
    let k: i64 = 1024;
    test(
        text,
        json!({
            "k": 8000, "kb": 4 * k, "ki": 3 * k, "kib": 4 * k,
            "m": 1_000_000, "mb": 2 * k * k, "mi": 2 * k * k, "mib": 64 * k * k,
            "g": 2_000_000_000i64, "gb": 22 * k * k * k, "gi": 22 * k * k * k, "gib": 22 * k * k * k,
            "tb": 22 * k.pow(4), "ti": 22 * k.pow(4), "tib": 22 * k.pow(4),
            "pb": 22 * k.pow(5), "pi": 22 * k.pow(5), "pib": 22 * k.pow(5),
        }),
    );
}

/// Go: TestParseFileWithChecksDigestPreservesConfigKeyUsedAsVariable
#[test]
fn test_parse_file_with_checks_digest_preserves_config_key_used_as_variable() {
    let m = parse_str("\n\t\tport = 4222\n\t\tmonitor_port = $port\n\t").unwrap();
    let port = m.get("port").expect("port kept");
    assert!(port.used_variable);
    assert_eq!(m.get("monitor_port").and_then(Value::as_int), Some(4222));
    assert!(!m.get("monitor_port").is_some_and(|v| v.used_variable));
}

/// Go: TestSample1
#[test]
fn test_sample1() {
    let text = "\nfoo  {\n  host {\n    ip   = '127.0.0.1'\n    port = 4242\n  }\n  servers = [ \"a.com\", \"b.com\", \"c.com\"]\n}\n";
    test(
        text,
        json!({"foo": {"host": {"ip": "127.0.0.1", "port": 4242}, "servers": ["a.com", "b.com", "c.com"]}}),
    );
}

/// Go: TestSample2
#[test]
fn test_sample2() {
    let text = "
cluster {
  port: 4244

  authorization {
    user: route_user
    password: top_secret
    timeout: 1
  }

  # Routes are actively solicited and connected to from this server.
  // Test both styles of comments

  routes = [
    nats-route://foo:bar@apcera.me:4245
    nats-route://foo:bar@apcera.me:4246
  ]
}
";
    test(
        text,
        json!({"cluster": {
            "port": 4244,
            "authorization": {"user": "route_user", "password": "top_secret", "timeout": 1},
            "routes": ["nats-route://foo:bar@apcera.me:4245", "nats-route://foo:bar@apcera.me:4246"],
        }}),
    );
}

/// Go: TestSample3
#[test]
fn test_sample3() {
    let text = "\nfoo  {\n  expr = '(true == \"false\")'\n  text = 'This is a multi-line\ntext block.'\n}\n";
    test(
        text,
        json!({"foo": {"expr": "(true == \"false\")", "text": "This is a multi-line\ntext block."}}),
    );
}

/// Go: TestSample4
#[test]
fn test_sample4() {
    let text = "\n  array [\n    { abc: 123 }\n    { xyz: \"word\" }\n  ]\n";
    test(text, json!({"array": [{"abc": 123}, {"xyz": "word"}]}));
}

/// Go: TestSample5
#[test]
fn test_sample5() {
    test(
        "\n  now = 2016-05-04T18:53:41Z\n  gmt = false\n\n",
        json!({"now": "2016-05-04T18:53:41Z", "gmt": false}),
    );
    let err = parse_str("now = 2016-13-04T18:53:41Z").unwrap_err();
    assert_eq!(
        err.message,
        "expected Zulu formatted DateTime, but got '2016-13-04T18:53:41Z'"
    );
}

const SIMPLE_CONF: &str = "listen: 127.0.0.1:4222\n\nauthorization {\n  include 'includes/users.conf' # Pull in from file\n  timeout: 0.5\n}\n";
const USERS_CONF: &str = "# Users configuration\n\ninclude ./passwords.conf;\n\nusers = [\n  {user: alice, password: $ALICE_PASS}\n  {user: bob,   password: $BOB_PASS}\n]\n";
const PASSWORDS_CONF: &str = "# Just foo & bar for testing\nALICE_PASS: $2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q\nBOB_PASS: $2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly\n";
const ALICE: &str = "$2a$10$UHR6GhotWhpLsKtVP0/i6.Nh9.fuY73cWjLoJjb2sKT8KISBcUW5q";
const BOB: &str = "$2a$11$dZM98SpGeI7dCFFGSpt.JObQcix8YHml4TBUZoge9R1uxnMIln5ly";

/// Go: TestIncludes
#[test]
fn test_includes() {
    let files = [
        ("includes/users.conf", USERS_CONF),
        ("includes/passwords.conf", PASSWORDS_CONF),
    ];
    let m = parse_files(SIMPLE_CONF, "simple.conf", &no_env, &files).unwrap();
    let expected = json!({
        "listen": "127.0.0.1:4222",
        "authorization": {
            "ALICE_PASS": ALICE,
            "BOB_PASS": BOB,
            "users": [{"user": "alice", "password": ALICE}, {"user": "bob", "password": BOB}],
            "timeout": 0.5,
        },
    });
    assert_eq!(map_json(&m), expected);
    // Included values name their own file.
    let auth = m.get("authorization").and_then(Value::as_map).unwrap();
    assert_eq!(
        auth.get("ALICE_PASS").unwrap().source,
        "includes/passwords.conf"
    );
}

/// Go: TestIncludeVariablesWithChecks
#[test]
fn test_include_variables_with_checks() {
    let text = "\nauthorization {\n\n  include \"./includes/passwords.conf\"\n\n  CAROL_PASS: foo\n\n  users = [\n   {user: alice, password: $ALICE_PASS}\n   {user: bob,   password: $BOB_PASS}\n   {user: carol, password: $CAROL_PASS}\n  ]\n}\n";
    let m = parse_files(
        text,
        "",
        &no_env,
        &[("includes/passwords.conf", PASSWORDS_CONF)],
    )
    .unwrap();
    let auth = m.get("authorization").and_then(Value::as_map).unwrap();
    let check = |key: &str, val: &str, line: usize, pos: usize| {
        let v = auth.get(key).unwrap_or_else(|| panic!("missing {key}"));
        assert_eq!((v.as_str(), v.line, v.pos), (Some(val), line, pos), "{key}");
    };
    check("ALICE_PASS", ALICE, 2, 1);
    check("BOB_PASS", BOB, 3, 1);
    check("CAROL_PASS", "foo", 6, 3);
}

/// Go: TestParserNoInfiniteLoop
#[test]
fn test_parser_no_infinite_loop() {
    for text in ["A@@Føøøø?˛ø:{øøøø˙˙", "include \"9/\u{fffd}"] {
        let err = parse_str(text).unwrap_err();
        assert!(err.message.contains("Unexpected EOF"), "{err}");
    }
}

/// Go: TestParseWithNoValuesAreInvalid
#[test]
fn test_parse_with_no_values_are_invalid() {
    let cases = [
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "config is invalid (:1:41)"),
        ("              aaaaaaaaaaaaaaaaaaaaaaaaaaa", "config is invalid (:1:41)"),
        ("     aaaaaaaaaaaaaaaaaaaaaaaaaaa         ", "config is invalid (:1:41)"),
        (
            "\n          \t\t# with comments and no spaces to create key values\n         \t\t# is also an invalid config.\n         \t\taaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n                        ",
            "config is invalid (:5:25)",
        ),
        ("\n                        a,a,a,a,a,a,a,a,a,a,a\n                        ", "config is invalid (:3:25)"),
    ];
    for (text, want) in cases {
        let err = parse_str(text).unwrap_err();
        assert!(err.message.contains(want), "{text:?}: {err}");
    }
}

/// Go: TestParseWithNoValuesEmptyConfigsAreValid
#[test]
fn test_parse_with_no_values_empty_configs_are_valid() {
    for text in [
        "",
        "\n\n\n                        ",
        "\n  # just comments with no values\n  # is still valid.\n  ",
    ] {
        assert!(parse_str(text).unwrap().is_empty());
    }
}

/// Go: TestParseWithTrailingBracketsAreValid
#[test]
fn test_parse_with_trailing_brackets_are_valid() {
    for text in [
        "{}",
        "\n  {\n  # comments in the body\n  }\n  ",
        "\n  accounts { users = [{}]}\n  }\n  ",
        "{\n  accounts { users = [{}]}\n  }\n  ",
    ] {
        assert!(parse_str(text).is_ok(), "{text:?}");
    }
}

/// Go: TestParseWithNoValuesIncludes
#[test]
fn test_parse_with_no_values_includes() {
    let text = "# includes\n\t\t\taccounts {\n  foo { include 'foo.conf'}\n  bar { users = [{user = \"bar\"}] }\n  quux { include 'quux.conf'}\n}\n";
    let err = parse_files(
        text,
        "dir/nats.conf",
        &no_env,
        &[("dir/foo.conf", ""), ("dir/quux.conf", "?????????????")],
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("error parsing include file 'quux.conf', ")
            && err.contains("config is invalid"),
        "{err}"
    );
    assert!(err.contains("quux.conf:1:1"), "{err}");

    let text = "# includes\n\t\t\taccounts {\n  foo { include 'foo.conf'}\n  bar { include 'bar.conf'}\n  quux { include 'quux.conf'}\n}\n";
    let files = [
        ("dir/foo.conf", ""),
        ("dir/bar.conf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        (
            "dir/quux.conf",
            "\n   # just some comments,\n   # and no key values also ok.\n",
        ),
    ];
    let err = parse_files(text, "dir/nats.conf", &no_env, &files)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("error parsing include file 'bar.conf', ") && err.contains("bar.conf:1:34"),
        "{err}"
    );
}

#[test]
fn test_include_missing_file() {
    let err = parse_files("include 'nope.conf'", "/etc/nats/a.conf", &no_env, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/nats/a.conf:1:9: error parsing include file 'nope.conf', error opening config file: \
         open /etc/nats/nope.conf: no such file or directory"
    );
}

/// Go: TestJSONParseCompat
#[test]
fn test_json_parse_compat() {
    let text = r#"
  {
    "http_port": 8227,
    "port": 4227,
    "write_deadline": "1h",
    "cluster": {
      "port": 6222,
      "routes": [
        "nats://127.0.0.1:4222",
        "nats://127.0.0.1:4223",
        "nats://127.0.0.1:4224"
      ]
    }
  }
  "#;
    test(
        text,
        json!({"http_port": 8227, "port": 4227, "write_deadline": "1h", "cluster": {"port": 6222,
            "routes": ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223", "nats://127.0.0.1:4224"]}}),
    );
    let text = "{\n  \"jetstream\": {\n    \"store_dir\": \"/tmp/nats\"\n    \"max_mem\": 1000000,\n  },\n  \"port\": 4222,\n  \"server_name\": \"nats1\"\n}\n";
    test(
        text,
        json!({"jetstream": {"store_dir": "/tmp/nats", "max_mem": 1_000_000}, "port": 4222, "server_name": "nats1"}),
    );
    test("{}", json!({}));
    test("\n  {\n  }\n  ", json!({}));
    let text = "\n  accounts {\n    foo  { include 'foo.json'  }\n    bar  { include 'bar.json'  }\n    quux { include 'quux.json' }\n  }\n";
    let files = [
        ("foo.json", r#"{ "users": [ {"user": "foo"} ] }"#),
        ("bar.json", "{\n  \"users\": [ {\"user\": \"bar\"} ]\n}"),
        ("quux.json", "{}"),
    ];
    let m = parse_files(text, "nats.conf", &no_env, &files).unwrap();
    let expected = json!({"accounts": {"foo": {"users": [{"user": "foo"}]}, "bar": {"users": [{"user": "bar"}]}, "quux": {}}});
    assert_eq!(map_json(&m), expected);
}

/// Go: TestBlocks
#[test]
fn test_blocks() {
    let listen = json!({"listen": "0.0.0.0:4222"});
    test("{ listen: 0.0.0.0:4222 }", listen.clone());
    test("{\n\t\t\t\tlisten: 0.0.0.0:4222\n\t\t\t }", listen.clone());
    test(
        "\n\t\t\t{\n\t\t\t\tlisten: 0.0.0.0:4222\n\t\t\t}\n\t\t\t# wibble\n\t\t\t",
        listen.clone(),
    );
    test(
        "\n\t\t\t{\n\t\t\t\t{\n\t\t\t\t\tlisten: 0.0.0.0:4222 // random comment\n\t\t\t\t}\n\t\t\t\t# wibble1\n\t\t\t}\n\t\t\t# wibble2\n\t\t\t",
        listen,
    );
    let text = "\n\t\t\t{\n\t\t\t  \"debug\":              False\n\t\t\t  \"prof_port\":          8221\n\t\t\t  \"server_name\":        \"aws-useast2-natscj1-1\"\n\t\t\t}\n\t\t\t";
    test(
        text,
        json!({"debug": false, "prof_port": 8221, "server_name": "aws-useast2-natscj1-1"}),
    );
    let text = "\n\t\t\t{\n\t\t\t  \"debug\":              False\n\t\t\t  \"server_name\":        \"gcp-asianortheast3-natscj1-1\"\n\n\t\t\t  # Profile port specification.\n\t\t\t  \"prof_port\":          8221\n\t\t\t}\n\t\t\t";
    test(
        text,
        json!({"debug": false, "prof_port": 8221, "server_name": "gcp-asianortheast3-natscj1-1"}),
    );
}

#[test]
fn test_block_string_value() {
    test(
        "numbers (\n1234567890\n)\n",
        json!({"numbers": "\n1234567890\n"}),
    );
}

#[test]
fn test_integer_errors() {
    let err = parse_str("foo = 99999999999999999999").unwrap_err();
    assert_eq!(
        err.message,
        "integer '99999999999999999999' is out of the range"
    );
    // An integer with an unknown size suffix is dropped, as in Go.
    assert!(parse_str("foo = 1kbb\nbar = 2")
        .unwrap()
        .get("foo")
        .is_none());
}

#[test]
fn test_parse_error_position() {
    let err = parse_str("foo = 1\nbar = [1,,2]").unwrap_err();
    assert_eq!(
        err.to_string(),
        ":2:11: Parse error on line 2: 'Unexpected array value terminator ','.'"
    );
}

#[test]
fn test_include_depth_is_bounded() {
    let err = parse_files(
        "include 'self.conf'",
        "self.conf",
        &no_env,
        &[("self.conf", "include 'self.conf'")],
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("includes nested deeper than"),
        "{err}"
    );
}
