//! Accounts, imports and exports through the engine: ports of Go's
//! accounts_test.go (and no_auth_user_test.go) tests that apply without
//! JWTs, clusters or latency tracking, driven under simulated time.

use std::collections::HashMap;
use std::time::Duration;

use bytes::BytesMut;

use crate::conf::{apply_config, parse};
use crate::options::ServerOptions;
use crate::time::Instant;

use super::super::{ConnId, Event, RemoteAddr, Server};
use super::*;

fn load(text: &str) -> Result<ServerOptions, String> {
    let env = |_: &str| None;
    let mut include = |p: &str| Err(format!("open {p}: no such file"));
    let map = parse(text, "test.conf", &env, &mut include).map_err(|e| e.to_string())?;
    let mut o = ServerOptions::default();
    apply_config(&map, &mut o).map_err(|es| es.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))?;
    Ok(o)
}

fn server(text: &str) -> Server {
    let o = load(text).expect("config loads");
    Server::new(o, 11, Instant::ZERO, 1_700_000_000_000_000_000).expect("server starts")
}

fn server_err(text: &str) -> String {
    match load(text) {
        Err(e) => e,
        Ok(o) => match Server::new(o, 11, Instant::ZERO, 0) {
            Err(e) => e,
            Ok(_) => panic!("expected an error"),
        },
    }
}

/// A test client: collects everything the server wrote to it.
struct Net {
    s: Server,
    out: HashMap<ConnId, String>,
    closed: Vec<ConnId>,
    now: Instant,
}

impl Net {
    fn new(text: &str) -> Net {
        Net { s: server(text), out: HashMap::new(), closed: Vec::new(), now: Instant::ZERO }
    }

    fn drain(&mut self) {
        while let Some(ev) = self.s.poll_event() {
            let (Event::Transmit(id) | Event::Close(id)) = ev;
            let mut buf = BytesMut::new();
            self.s.poll_transmit(id, &mut buf);
            self.out.entry(id).or_default().push_str(&String::from_utf8_lossy(&buf));
            if matches!(ev, Event::Close(_)) {
                self.closed.push(id);
                self.s.handle_disconnect(self.now, id);
            }
        }
    }

    /// Connects with a CONNECT carrying `creds` (JSON fields, may be empty).
    fn connect(&mut self, creds: &str) -> ConnId {
        let id = self.s.handle_accept(self.now, RemoteAddr { ip: "127.0.0.1".into(), port: 4000 });
        let sep = if creds.is_empty() { "" } else { "," };
        let line = format!("CONNECT {{\"verbose\":false,\"headers\":true{sep}{creds}}}\r\n");
        self.send(id, &line);
        self.take(id);
        id
    }

    fn user(&mut self, u: &str, p: &str) -> ConnId {
        self.connect(&format!("\"user\":\"{u}\",\"pass\":\"{p}\""))
    }

    fn send(&mut self, id: ConnId, text: &str) {
        self.s.handle_read(self.now, id, text.as_bytes());
        self.drain();
    }

    fn take(&mut self, id: ConnId) -> String {
        self.out.remove(&id).unwrap_or_default()
    }

    /// Subscribes and makes sure the SUB went through (a PING round trip).
    fn sub(&mut self, id: ConnId, subject: &str, sid: &str) {
        self.send(id, &format!("SUB {subject} {sid}\r\nPING\r\n"));
        let got = self.take(id);
        assert!(got.ends_with("PONG\r\n"), "sub {subject}: {got:?}");
        assert!(!got.contains("-ERR"), "sub {subject}: {got:?}");
    }

    fn publish(&mut self, id: ConnId, subject: &str, reply: Option<&str>, payload: &str) {
        let r = reply.map(|r| format!(" {r}")).unwrap_or_default();
        self.send(id, &format!("PUB {subject}{r} {}\r\n{payload}\r\n", payload.len()));
    }

    fn is_closed(&self, id: ConnId) -> bool {
        self.closed.contains(&id)
    }
}

const TWO_ACCOUNTS: &str = r#"
accounts {
  A { users = [ {user: a, password: a} ] }
  B { users = [ {user: b, password: b} ] }
}
"#;

/// Go's TestAccountIsolation: a `>` subscriber in one account never sees
/// the other's traffic, while its own account delivers as usual.
#[test]
fn test_account_isolation() {
    let mut n = Net::new(TWO_ACCOUNTS);
    let (a, a2, b) = (n.user("a", "a"), n.user("a", "a"), n.user("b", "b"));
    n.sub(b, ">", "1");
    n.sub(a2, ">", "1");
    n.publish(a, "foo", None, "hello");
    n.publish(a, "_R_.abc.def", None, "x");
    assert_eq!(n.take(b), "", "account B must not see A's messages");
    let got = n.take(a2);
    assert!(got.contains("MSG foo 1 5\r\nhello\r\n"), "{got:?}");
    n.publish(b, "foo", None, "bbb");
    assert_eq!(n.take(a2), "");
    assert!(n.s.check_invariants_ok());
}

/// Go's TestMultiAccountsIsolation with queue groups: each account picks
/// its own queue member.
#[test]
fn test_multi_accounts_isolation() {
    let mut n = Net::new(TWO_ACCOUNTS);
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.send(b, "SUB foo q 1\r\nPING\r\n");
    n.take(b);
    for _ in 0..5 {
        n.publish(a, "foo", None, "x");
    }
    assert_eq!(n.take(b), "");
}

/// Go's TestAccountParseConfig: accounts, their users, the system account.
#[test]
fn test_account_parse_config() {
    let o = load(
        r#"
        accounts {
          synadia { users = [ {user: alice, password: foo}, {user: bob, password: bar} ] }
          nats.io { users = [ {user: derek, password: foo}, {user: ivan, password: bar} ] }
        }
        "#,
    )
    .unwrap();
    assert_eq!(o.accounts.len(), 2);
    assert_eq!(o.accounts[0].name, "synadia");
    assert_eq!(o.accounts[0].users.len(), 2);
    assert_eq!(o.accounts[1].users[0].username, "derek");
    let s = Server::new(o, 1, Instant::ZERO, 0).unwrap();
    // $G, the two accounts, and $SYS.
    assert_eq!(s.accounts.len(), 4);
    assert!(s.accounts.lookup("$SYS").is_some());
    assert_eq!(s.accounts.system(), s.accounts.lookup("$SYS"));
}

/// Go's TestAccountParseConfigDuplicateUsers.
#[test]
fn test_account_parse_config_duplicate_users() {
    let e = server_err(
        r#"
        authorization { users = [ {user: derek, password: foo} ] }
        accounts { synadia { users = [ {user: derek, password: foo} ] } }
        "#,
    );
    assert!(e.contains("Duplicate user \"derek\" detected"), "{e}");
}

/// Go's TestAccountParseConfigImportsExports.
#[test]
fn test_account_parse_config_imports_exports() {
    let s = server(
        r#"
        accounts {
          nats.io {
            users = [ {user: nats, password: nats} ]
            exports = [
              {stream: "nats.io.events"}
              {service: "nats.time", response_type: stream}
              {service: "nats.photo", response_type: chunked, accounts: [synadia]}
            ]
          }
          synadia {
            users = [ {user: synadia, password: synadia} ]
            imports = [
              {stream: {account: nats.io, subject: "nats.io.events"}, prefix: "nats"}
              {service: {account: nats.io, subject: "nats.time"}, to: "time"}
              {service: {account: nats.io, subject: "nats.photo"}}
            ]
          }
        }
        "#,
    );
    let natsio = s.accounts.get(s.accounts.lookup("nats.io").unwrap());
    assert_eq!(natsio.stream_exports.len(), 1);
    assert_eq!(natsio.service_exports.len(), 2);
    assert_eq!(natsio.service_exports[1].approved, Some(vec!["synadia".to_string()]));
    assert_eq!(natsio.service_exports[1].response_type, ResponseType::Chunked);
    let syn = s.accounts.get(s.accounts.lookup("synadia").unwrap());
    assert_eq!(syn.stream_imports[0].to, "nats.nats.io.events");
    assert_eq!(syn.service_imports[0].to, "time");
    assert_eq!(syn.service_imports[0].from, "nats.time");
    assert_eq!(syn.service_imports[0].response_type, ResponseType::Stream);
    assert_eq!(syn.service_imports[1].to, "nats.photo");
}

/// Go's TestImportExportConfigFailures: imports that no export allows,
/// unknown accounts, prefix with `to`.
#[test]
fn test_import_export_config_failures() {
    let unauthorized = server_err(
        r#"accounts {
          nats.io { exports = [ {stream: "foo", accounts: [other]} ] }
          other {}
          synadia { imports = [ {stream: {account: nats.io, subject: "foo"}} ] }
        }"#,
    );
    assert!(unauthorized.contains("stream import not authorized"), "{unauthorized}");
    let not_exported = server_err(
        r#"accounts {
          nats.io {}
          synadia { imports = [ {service: {account: nats.io, subject: "foo"}} ] }
        }"#,
    );
    assert!(not_exported.contains("service import not authorized"), "{not_exported}");
    let missing = server_err(r#"accounts { synadia { imports = [ {stream: {account: nope, subject: "foo"}} ] } }"#);
    assert!(missing.contains("\"nope\" account not defined for stream import"), "{missing}");
    let both = server_err(
        r#"accounts { a { exports = [ {stream: "x"} ] }
           b { imports = [ {stream: {account: a, subject: "x"}, prefix: p, to: q} ] } }"#,
    );
    assert!(both.contains("can not have a 'prefix' and a 'to'"), "{both}");
    let reserved = server_err(r#"accounts { $G { } }"#);
    assert!(reserved.contains("Reserved Account"), "{reserved}");
    let bad_rt = server_err(r#"accounts { a { exports = [ {service: "x", response_type: many} ] } }"#);
    assert!(bad_rt.contains("Unknown response type"), "{bad_rt}");
}

/// Go's TestImportAuthorized: public and approved exports.
#[test]
fn test_import_authorized() {
    let mut a = Account::new("foo");
    a.stream_exports.push(StreamExport { subject: "foo.>".into(), approved: None });
    a.stream_exports.push(StreamExport { subject: "bar.*".into(), approved: Some(vec!["bar".into()]) });
    assert!(a.stream_import_authorized("bar", "foo.x"));
    assert!(a.stream_import_authorized("bar", "foo.>"));
    assert!(!a.stream_import_authorized("bar", "foo"));
    assert!(!a.stream_import_authorized("bar", ">"));
    assert!(a.stream_import_authorized("bar", "bar.x"));
    assert!(!a.stream_import_authorized("baz", "bar.x"));
    assert!(!a.stream_import_authorized("bar", "bar.x.y"));
    assert!(!a.stream_import_authorized("bar", "foo.*.>."), "invalid subject");
    let none = Account::new("none");
    assert!(!none.stream_import_authorized("bar", "foo"), "no exports: nothing is importable");
}

const STREAM_PREFIX: &str = r#"
accounts {
  A {
    users = [ {user: a, password: a} ]
    exports = [ {stream: "foo.>"} ]
  }
  B {
    users = [ {user: b, password: b} ]
    imports = [ {stream: {account: A, subject: "foo.>"}, prefix: "pre"} ]
  }
  C { users = [ {user: c, password: c} ] }
}
"#;

/// Go's TestSimpleMapping: a stream import with a prefix delivers the
/// exporter's messages in the importer under the prefix, and nowhere else.
#[test]
fn test_simple_mapping() {
    let mut n = Net::new(STREAM_PREFIX);
    let (a, b, c) = (n.user("a", "a"), n.user("b", "b"), n.user("c", "c"));
    n.sub(b, "pre.foo.>", "1");
    n.sub(b, "foo.>", "2");
    n.sub(c, ">", "3");
    n.publish(a, "foo.bar", Some("inbox"), "hi");
    let got = n.take(b);
    assert_eq!(got, "MSG pre.foo.bar 1 inbox 2\r\nhi\r\n");
    assert_eq!(n.take(c), "");
    // Subjects outside the export are not imported.
    n.publish(a, "bar", None, "x");
    assert_eq!(n.take(b), "");
    // And nothing flows back from the importer.
    n.sub(a, ">", "9");
    n.publish(b, "foo.bar", None, "back");
    n.publish(b, "pre.foo.bar", None, "back");
    assert_eq!(n.take(a), "");
}

/// Go's TestPrefixWildcardMapping and TestNoPrefixWildcardMapping.
#[test]
fn test_prefix_wildcard_mapping() {
    let mut n = Net::new(
        r#"accounts {
          A { users = [ {user: a, password: a} ], exports = [ {stream: "*.>"} ] }
          B { users = [ {user: b, password: b} ],
              imports = [ {stream: {account: A, subject: "*.>"}, prefix: "pub.imports"} ] }
          C { users = [ {user: c, password: c} ],
              imports = [ {stream: {account: A, subject: "*.>"}} ] }
        }"#,
    );
    let (a, b, c) = (n.user("a", "a"), n.user("b", "b"), n.user("c", "c"));
    n.sub(b, ">", "1");
    n.sub(c, ">", "1");
    n.publish(a, "foo.bar", None, "x");
    assert_eq!(n.take(b), "MSG pub.imports.foo.bar 1 1\r\nx\r\n");
    assert_eq!(n.take(c), "MSG foo.bar 1 1\r\nx\r\n");
}

/// Stream import with `to`: wildcards of the import fill those of `to`.
#[test]
fn test_stream_import_mapped_to() {
    let mut n = Net::new(
        r#"accounts {
          A { users = [ {user: a, password: a} ], exports = [ {stream: "orders.*.created"} ] }
          B { users = [ {user: b, password: b} ],
              imports = [ {stream: {account: A, subject: "orders.*.created"}, to: "new.*"} ] }
        }"#,
    );
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(b, ">", "1");
    n.publish(a, "orders.42.created", None, "x");
    assert_eq!(n.take(b), "MSG new.42 1 1\r\nx\r\n");
}

const SERVICE: &str = r#"
accounts {
  A {
    users = [ {user: a, password: a} ]
    exports = [ {service: "svc.>"} ]
  }
  B {
    users = [ {user: b, password: b} ]
    imports = [ {service: {account: A, subject: "svc.>"}, to: "local.>"} ]
  }
}
"#;

/// Go's TestCrossAccountRequestReply: the requester's reply is replaced
/// by an `_R_.` inbox in the exporter; the response reaches the
/// requester's inbox and the singleton mapping is gone after it.
#[test]
fn test_cross_account_request_reply() {
    let mut n = Net::new(SERVICE);
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(a, "svc.>", "1");
    n.sub(b, "my.inbox", "7");
    n.publish(b, "local.time", Some("my.inbox"), "req");
    let got = n.take(a);
    let line = got.lines().next().unwrap().to_string();
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts[0], "MSG");
    assert_eq!(parts[1], "svc.time", "{line}");
    let reply = parts[3].to_string();
    assert!(reply.starts_with("_R_."), "{reply}");
    assert!(!reply.contains("my.inbox"));
    let acc_a = n.s.accounts.lookup("A").unwrap();
    assert_eq!(n.s.accounts.get(acc_a).num_pending_responses(), 1);
    n.publish(a, &reply, None, "resp");
    assert_eq!(n.take(b), "MSG my.inbox 7 4\r\nresp\r\n");
    assert_eq!(n.s.accounts.get(acc_a).num_pending_responses(), 0, "singleton is done");
    n.publish(a, &reply, None, "again");
    assert_eq!(n.take(b), "", "a singleton answers once");
}

/// A responder reaches the requester's reply subject and nothing else:
/// publishing in its own account on the importer's subjects, or on a
/// guessed `_R_` subject, reaches nobody in the importer.
#[test]
fn test_service_responder_cannot_reach_importer_subjects() {
    let mut n = Net::new(SERVICE);
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(b, ">", "1");
    n.sub(a, "svc.>", "1");
    n.publish(b, "local.x", Some("b.inbox"), "req");
    let line = n.take(a);
    let reply = line.split(' ').nth(3).unwrap().to_string();
    n.take(b);
    for subject in ["b.inbox", "local.x", "foo", "_R_.zzzzzz.zzzzzz", "svc.x"] {
        n.publish(a, subject, None, "leak");
    }
    assert_eq!(n.take(b), "", "only the mapped reply crosses");
    // A client may not set an `_R_.` reply itself.
    n.publish(a, "svc.y", Some(&reply), "x");
    assert!(n.take(a).contains("Permissions Violation for Publish with Reply of"));
}

/// Go's TestCrossAccountServiceResponseTypes: streamed responses keep
/// the mapping until the threshold passes.
#[test]
fn test_cross_account_service_response_types() {
    let mut n = Net::new(
        r#"accounts {
          A { users = [ {user: a, password: a} ],
              exports = [ {service: "svc", response_type: stream, response_threshold: "5s"} ] }
          B { users = [ {user: b, password: b} ], imports = [ {service: {account: A, subject: "svc"}} ] }
        }"#,
    );
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(a, "svc", "1");
    n.sub(b, "inbox", "1");
    n.publish(b, "svc", Some("inbox"), "req");
    let reply = n.take(a).split(' ').nth(3).unwrap().to_string();
    for i in 0..3 {
        n.publish(a, &reply, None, &format!("r{i}"));
    }
    let got = n.take(b);
    assert_eq!(got.matches("MSG inbox 1 2").count(), 3, "{got:?}");
    // After the threshold the mapping is swept.
    let at = Instant::ZERO + Duration::from_secs(5);
    assert!(n.s.poll_timeout().is_some_and(|t| t <= at), "response timer armed");
    n.now = at;
    n.s.handle_timeout(at);
    n.drain();
    n.take(a);
    n.take(b);
    let acc_a = n.s.accounts.lookup("A").unwrap();
    assert_eq!(n.s.accounts.get(acc_a).num_pending_responses(), 0, "swept by the timer");
    n.publish(a, &reply, None, "late");
    assert_eq!(n.take(b), "");
}

/// Go's TestServiceExportWithWildcards / TestServiceImportWithWildcards.
#[test]
fn test_service_import_with_wildcards() {
    let mut n = Net::new(SERVICE);
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(a, "svc.*.x", "1");
    n.publish(b, "local.foo.x", None, "1");
    assert_eq!(n.take(a), "MSG svc.foo.x 1 1\r\n1\r\n");
    n.publish(b, "svc.foo.x", None, "2");
    assert_eq!(n.take(a), "", "only the local subject of the import is routed");
}

/// Go's TestAccountGlobalDefault: users outside accounts are in `$G`,
/// which is separate from every named account.
#[test]
fn test_account_global_default() {
    let mut n = Net::new(
        r#"authorization { users = [ {user: g, password: g} ] }
           accounts { A { users = [ {user: a, password: a} ] } }"#,
    );
    let (g, a) = (n.user("g", "g"), n.user("a", "a"));
    assert_eq!(n.s.conns.get(&g).unwrap().acc, GLOBAL);
    assert_ne!(n.s.conns.get(&a).unwrap().acc, GLOBAL);
    n.sub(g, ">", "1");
    n.publish(a, "foo", None, "x");
    assert_eq!(n.take(g), "");
}

/// Go's TestAccountMapsUsers (users and NKEY users bound to accounts).
#[test]
fn test_account_maps_users() {
    let n = Net::new(TWO_ACCOUNTS);
    let a = n.s.accounts.lookup("A").unwrap();
    let who = n.s.auth.check(
        &super::super::ConnectOptions { user: Some("a".into()), pass: Some("a".into()), ..Default::default() },
        b"",
        None,
    );
    assert_eq!(who.unwrap().account.as_deref(), Some("A"));
    assert_ne!(a, GLOBAL);
}

/// Go's TestNoAuthUser (no_auth_user_test.go): a client without
/// credentials is the `no_auth_user`, in that user's account.
#[test]
fn test_no_auth_user() {
    let mut n = Net::new(
        r#"accounts { FOO { users = [ {user: foo, password: pwd1} ] }
                      BAR { users = [ {user: bar, password: pwd2} ] } }
           no_auth_user: foo"#,
    );
    let anon = n.connect("");
    assert!(!n.is_closed(anon));
    let foo_acc = n.s.accounts.lookup("FOO").unwrap();
    assert_eq!(n.s.conns.get(&anon).unwrap().acc, foo_acc);
    let bar = n.user("bar", "pwd2");
    assert_ne!(n.s.conns.get(&bar).unwrap().acc, foo_acc);
    let wrong = n.user("bar", "nope");
    assert!(n.is_closed(wrong));
    let e = server_err("accounts { FOO { users = [ {user: foo, password: pwd1} ] } }\nno_auth_user: nobody");
    assert!(e.contains("not present as user or nkey"), "{e}");
}

/// Go's bcrypt passwords: `$2a$` and `$2b$` hashes in the config.
#[test]
fn test_bcrypt_passwords() {
    let h2a = bcrypt::hash_with_salt("s3cr3t", 4, [7u8; 16]).unwrap().format_for_version(bcrypt::Version::TwoA);
    let h2b = bcrypt::hash_with_salt("other", 4, [9u8; 16]).unwrap().format_for_version(bcrypt::Version::TwoB);
    let conf = format!(
        "accounts {{ A {{ users = [ {{user: a, password: \"{h2a}\"}}, {{user: b, password: \"{h2b}\"}} ] }} }}"
    );
    let mut n = Net::new(&conf);
    let ok = n.user("a", "s3cr3t");
    assert!(!n.is_closed(ok));
    let ok_b = n.user("b", "other");
    assert!(!n.is_closed(ok_b));
    let bad = n.user("a", "wrong");
    assert!(n.is_closed(bad));
    // The hash itself is not the password.
    let hash_as_pass = n.user("a", &h2a);
    assert!(n.is_closed(hash_as_pass));
}

/// Go's TestSystemAccount: `$SYS` exists by default; `system_account`
/// names a configured account; its users are bound to it.
#[test]
fn test_system_account() {
    let n = Net::new(TWO_ACCOUNTS);
    assert_eq!(n.s.accounts.get(n.s.accounts.system().unwrap()).name, "$SYS");
    let mut n = Net::new(
        r#"accounts { SYS { users = [ {user: admin, password: s} ] }, A { users = [ {user: a, password: a} ] } }
           system_account: SYS"#,
    );
    let sys = n.s.accounts.lookup("SYS").unwrap();
    assert_eq!(n.s.accounts.system(), Some(sys));
    assert!(n.s.accounts.lookup("$SYS").is_none(), "no default $SYS when one is named");
    let admin = n.user("admin", "s");
    assert_eq!(n.s.conns.get(&admin).unwrap().acc, sys);
    let e = server_err("accounts { A {} }\nsystem_account: NOPE");
    assert!(e.contains("system account"), "{e}");
    let none = server(r#"no_system_account: true"#);
    assert!(none.accounts.system().is_none());
}

/// Go's TestAccountUserSubPermsWithQueueGroups: account default
/// permissions apply to its users, queue subscriptions included.
#[test]
fn test_account_user_sub_perms_with_queue_groups() {
    let mut n = Net::new(
        r#"accounts { A {
            default_permissions { subscribe { allow: ["foo", "bar q"] } }
            users = [ {user: a, password: a} ] } }"#,
    );
    let a = n.user("a", "a");
    n.send(a, "SUB foo 1\r\nSUB bar q 2\r\nSUB bar 3\r\nSUB bar other 4\r\nSUB > 5\r\nPING\r\n");
    let got = n.take(a);
    assert!(!got.contains("Subscription to \"foo\""), "{got}");
    assert!(!got.contains("using queue \"q\""), "queue permission admits q: {got}");
    assert!(got.contains("Permissions Violation for Subscription to \"bar\"'\r\n"), "{got}");
    assert!(got.contains("using queue \"other\""), "{got}");
    assert!(got.contains("Subscription to \">\""), "{got}");
}

/// Go's TestAccountImportCycle: an import from the account itself is
/// refused when the mapping collides with the export.
#[test]
fn test_account_import_own_export() {
    let e = server_err(
        r#"accounts { A { exports = [ {service: "foo"} ], imports = [ {service: {account: A, subject: "foo"}} ] } }"#,
    );
    assert!(e.contains("cycle"), "{e}");
}

/// Reload: a user moved to another account is cut; a dropped user is cut;
/// the others keep their connection and subscriptions.
#[test]
fn test_account_reload_users() {
    let mut n = Net::new(TWO_ACCOUNTS);
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(a, "foo", "1");
    let new = load(
        r#"accounts {
          A { users = [ {user: a, password: a} ] }
          C { users = [ {user: b, password: b} ] }
        }"#,
    )
    .unwrap();
    n.s.handle_reload(n.now, 0, new).unwrap();
    n.drain();
    assert!(n.is_closed(b), "b moved to another account");
    assert!(!n.is_closed(a));
    assert!(n.s.accounts.lookup("B").is_none());
    let a2 = n.user("a", "a");
    n.publish(a2, "foo", None, "x");
    assert!(n.take(a).contains("MSG foo 1 1"));
    let bad = load(r#"accounts { A { imports = [ {stream: {account: Z, subject: "x"}} ] } }"#).unwrap();
    assert!(n.s.handle_reload(n.now, 0, bad).is_err());
    assert!(n.s.accounts.lookup("C").is_some(), "a refused reload changes nothing");
}

#[test]
fn test_map_subject() {
    assert_eq!(&map_subject(b"a.b.c", b"a.*.c", b"x.*")[..], b"x.b");
    assert_eq!(&map_subject(b"a.b.c.d", b"a.>", b"p.a.>")[..], b"p.a.b.c.d");
    assert_eq!(&map_subject(b"a.b", b"a.b", b"a.b")[..], b"a.b");
    assert_eq!(&map_subject(b"a.b", b"a.*", b"lit")[..], b"lit");
    assert_eq!(&map_subject(b"s.1.2", b"s.*.*", b"t.*.*")[..], b"t.1.2");
    assert!(same_wildcards("a.*.>", "b.*.c.>"));
    assert!(!same_wildcards("a.*", "b.>"));
}

impl Server {
    fn check_invariants_ok(&self) -> bool {
        self.check_invariants();
        true
    }
}

/// Go's TestAccountLimitsServerConfig: `limits {}` of an account cap its
/// connections and each connection's subscriptions.
#[test]
fn test_account_limits_server_config() {
    let mut n = Net::new(
        r#"accounts { A { users = [ {user: a, password: a} ], limits { max_connections: 2, max_subscriptions: 1 } } }"#,
    );
    let (a1, a2) = (n.user("a", "a"), n.user("a", "a"));
    let a3 = n.user("a", "a");
    assert!(!n.is_closed(a1) && !n.is_closed(a2));
    assert!(n.is_closed(a3), "third connection of A is over the limit");
    n.send(a1, "SUB foo 1\r\nSUB bar 2\r\n");
    assert!(n.take(a1).contains("maximum subscriptions exceeded"));
}

/// Records what the internal client receives.
struct Recorder(std::sync::mpsc::Sender<super::super::InternalMsg>);

impl super::super::InternalService for Recorder {
    fn interest(&self) -> Vec<String> {
        Vec::new()
    }
    fn handle_msg(
        &mut self,
        _: Instant,
        _: crate::time::UnixNanos,
        msg: super::super::InternalMsg,
    ) -> Vec<super::super::Outgoing> {
        let _ = self.0.send(msg);
        Vec::new()
    }
    fn wants_flush(&self) -> bool {
        false
    }
    fn flush(&mut self, _: Instant) -> Vec<super::super::Outgoing> {
        Vec::new()
    }
    fn take_interest_changed(&mut self) -> bool {
        false
    }
    fn handle_timeout(&mut self, _: Instant, _: crate::time::UnixNanos) -> Vec<super::super::Outgoing> {
        Vec::new()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn check_invariants(&self) {}
}

/// The internal client in a given account: it sees only that account's
/// traffic and publishes into it.
#[test]
fn test_internal_client_in_account() {
    let mut n = Net::new(TWO_ACCOUNTS);
    let (tx, rx) = std::sync::mpsc::channel();
    n.s.set_internal_service(n.now, Box::new(Recorder(tx)));
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    let acc_a = n.s.account_id("A").unwrap();
    n.s.subscribe_internal_in(acc_a, "sys.>").unwrap();
    n.publish(b, "sys.x", None, "from b");
    assert!(rx.try_recv().is_err(), "B's traffic does not reach A's internal sub");
    n.publish(a, "sys.x", None, "from a");
    let got: Vec<_> = rx.try_iter().collect();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].account, acc_a);
    assert_eq!(&got[0].payload[..], b"from a");
    assert_eq!(n.s.account_name(acc_a), "A");
    n.sub(a, "out", "1");
    n.sub(b, "out", "1");
    let o = super::super::Outgoing {
        subject: "out".into(),
        reply: None,
        deliver_as: None,
        headers: None,
        payload: "hi".into(),
    };
    n.s.publish_internal_in(acc_a, o);
    n.drain();
    assert_eq!(n.take(a), "MSG out 1 2\r\nhi\r\n");
    assert_eq!(n.take(b), "");
    n.s.unsubscribe_internal_in(acc_a, "sys.>");
    n.publish(a, "sys.x", None, "again");
    assert!(rx.try_recv().is_err(), "unsubscribed");
    n.s.check_invariants();
}

/// Go's TestResponsePermissions (`allow_responses`): a client without
/// publish permission may answer requests delivered to it, `max` times,
/// until they expire, and nothing else.
#[test]
fn test_response_permissions() {
    let mut n = Net::new(
        r#"accounts { A { users = [
            {user: svc, password: s, permissions: { subscribe: "req", allow_responses: {max: 2, expires: "1s"} }}
            {user: cli, password: c}
        ] } }"#,
    );
    let (svc, cli) = (n.user("svc", "s"), n.user("cli", "c"));
    n.sub(svc, "req", "1");
    n.sub(cli, "inbox.>", "1");
    n.publish(svc, "inbox.1", None, "x");
    assert!(n.take(svc).contains("Permissions Violation for Publish"), "no request yet");
    n.publish(cli, "req", Some("inbox.1"), "q");
    n.take(svc);
    n.publish(svc, "inbox.1", None, "r1");
    n.publish(svc, "inbox.1", None, "r2");
    assert_eq!(n.take(cli), "MSG inbox.1 1 2\r\nr1\r\nMSG inbox.1 1 2\r\nr2\r\n");
    n.publish(svc, "inbox.1", None, "r3");
    assert!(n.take(svc).contains("Permissions Violation"), "max responses reached");
    n.publish(svc, "inbox.2", None, "x");
    assert!(n.take(svc).contains("Permissions Violation"), "not a reply it was given");
    n.publish(cli, "req", Some("inbox.3"), "q");
    n.take(svc);
    n.now = n.now + Duration::from_secs(2);
    n.publish(svc, "inbox.3", None, "late");
    assert!(n.take(svc).contains("Permissions Violation"), "expired");
    assert_eq!(n.take(cli), "");
}

/// Answers every request on `svc.>` with its name (one per account).
struct Echo(&'static str, bool);

impl super::super::InternalService for Echo {
    fn interest(&self) -> Vec<String> {
        vec!["svc.>".to_string()]
    }
    fn handle_msg(
        &mut self,
        _: Instant,
        _: crate::time::UnixNanos,
        msg: super::super::InternalMsg,
    ) -> Vec<super::super::Outgoing> {
        match msg.reply {
            Some(r) => vec![super::super::Outgoing {
                subject: r,
                reply: None,
                deliver_as: None,
                headers: None,
                payload: self.0.into(),
            }],
            None => Vec::new(),
        }
    }
    fn wants_flush(&self) -> bool {
        false
    }
    fn flush(&mut self, _: Instant) -> Vec<super::super::Outgoing> {
        Vec::new()
    }
    fn take_interest_changed(&mut self) -> bool {
        std::mem::take(&mut self.1)
    }
    fn handle_timeout(&mut self, _: Instant, _: crate::time::UnixNanos) -> Vec<super::super::Outgoing> {
        Vec::new()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn check_invariants(&self) {}
}

/// Per-account internal services (JetStream per account): a request is
/// answered by the service of the publisher's account, in that account;
/// an account without a service of its own gets no answer.
#[test]
fn test_internal_services_per_account() {
    let mut n = Net::new(TWO_ACCOUNTS);
    n.s.set_internal_service(n.now, Box::new(Echo("G", true)));
    let acc_a = n.s.account_id("A").unwrap();
    n.s.set_account_service(n.now, acc_a, Box::new(Echo("A", true)));
    assert!(n.s.has_account_service(acc_a));
    assert!(!n.s.has_account_service(n.s.account_id("B").unwrap()));
    let (a, b) = (n.user("a", "a"), n.user("b", "b"));
    n.sub(a, "inbox", "1");
    n.sub(b, "inbox", "1");
    n.publish(a, "svc.x", Some("inbox"), "q");
    n.drain();
    assert_eq!(n.take(a), "MSG inbox 1 1\r\nA\r\n");
    assert_eq!(n.take(b), "");
    n.publish(b, "svc.x", Some("inbox"), "q");
    n.drain();
    assert_eq!(n.take(b), "", "B has no service: $G's does not answer it");
    assert_eq!(n.take(a), "");
    n.s.check_invariants();
}
