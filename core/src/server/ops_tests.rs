//! Engine-level tests of the operations features under simulated time:
//! lame-duck schedule, reload of permissions and limits, closed ring.

use std::time::Duration;

use bytes::BytesMut;

use crate::options::{Permissions, ServerOptions, SubjectPermission, User};
use crate::time::Instant;

use super::{ConnId, ConnzOptions, ConnzState, Event, RemoteAddr, Server};

fn server(opts: ServerOptions) -> Server {
    Server::new(opts, 7, Instant::ZERO, 1_700_000_000_000_000_000).unwrap()
}

fn accept(s: &mut Server, now: Instant) -> ConnId {
    s.handle_accept(now, RemoteAddr { ip: "127.0.0.1".into(), port: 5000 })
}

/// Drains events; returns (conn, output) pairs and the closed conns.
fn drain(s: &mut Server, now: Instant) -> (Vec<(ConnId, String)>, Vec<ConnId>) {
    let (mut out, mut closed) = (Vec::new(), Vec::new());
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::Transmit(id) | Event::Close(id) => {
                let mut buf = BytesMut::new();
                s.poll_transmit(id, &mut buf);
                out.push((id, String::from_utf8_lossy(&buf).into_owned()));
                if matches!(ev, Event::Close(_)) {
                    closed.push(id);
                    s.handle_disconnect(now, id);
                }
            }
        }
    }
    (out, closed)
}

/// Go's TestLameDuckMode, under simulated time: nothing closes before the
/// grace period, clients get INFO with ldm, all close within the duration.
#[test]
fn test_lame_duck_mode() {
    let opts = ServerOptions {
        lame_duck_duration: Duration::from_secs(30),
        lame_duck_grace_period: Duration::from_secs(2),
        ..ServerOptions::default()
    };
    let mut s = server(opts);
    let t0 = Instant::ZERO;
    let ids: Vec<ConnId> = (0..3).map(|_| accept(&mut s, t0)).collect();
    for id in &ids {
        s.handle_read(t0, *id, b"CONNECT {\"protocol\":1,\"verbose\":false}\r\n");
    }
    drain(&mut s, t0);
    assert!(s.handle_lame_duck(t0));
    assert!(!s.handle_lame_duck(t0), "entering twice does nothing");
    let (out, closed) = drain(&mut s, t0);
    assert!(closed.is_empty());
    assert_eq!(out.iter().filter(|(_, o)| o.contains("\"ldm\":true")).count(), 3);
    // New connections are refused while in lame-duck mode.
    let late = accept(&mut s, t0);
    assert_eq!(drain(&mut s, t0).1, vec![late]);
    let mut closed_at = Vec::new();
    while !s.lame_duck_complete() {
        let at = s.poll_timeout().expect("a timer is armed");
        assert!(at < t0 + Duration::from_secs(30), "all closed within the duration");
        s.handle_timeout(at);
        for id in drain(&mut s, at).1 {
            closed_at.push((id, at));
        }
    }
    let closed_ids: Vec<ConnId> = closed_at.iter().map(|(id, _)| *id).collect();
    assert_eq!(closed_ids, ids);
    assert_eq!(closed_at[0].1, t0 + Duration::from_secs(2), "first close at the grace period");
    for w in closed_at.windows(2) {
        let gap = w[1].1 - w[0].1;
        assert!(gap >= Duration::from_millis(500) && gap <= Duration::from_secs(1), "{gap:?}");
    }
    assert_eq!(s.num_connections(), 0);
}

fn user(name: &str, pass: &str, sub_allow: &[&str]) -> User {
    let perms = (!sub_allow.is_empty()).then(|| Permissions {
        subscribe: Some(SubjectPermission { allow: sub_allow.iter().map(|s| s.to_string()).collect(), deny: vec![] }),
        ..Permissions::default()
    });
    User { username: name.into(), password: pass.into(), permissions: perms }
}

/// Go's TestConfigReloadChangePermissions and
/// TestConfigReloadRotateUsersAuthentication, on the engine.
#[test]
fn test_config_reload_change_permissions() {
    // As Go's test options (`NoSystemAccount`): no internal subscriptions counted.
    let opts = ServerOptions { users: vec![user("a", "pa", &[]), user("b", "pb", &[])], no_system_account: true, ..ServerOptions::default() };
    let mut s = server(opts.clone());
    let t = Instant::ZERO;
    let a = accept(&mut s, t);
    let b = accept(&mut s, t);
    s.handle_read(t, a, b"CONNECT {\"user\":\"a\",\"pass\":\"pa\",\"verbose\":false}\r\nSUB foo 1\r\nSUB bar 2\r\n");
    s.handle_read(t, b, b"CONNECT {\"user\":\"b\",\"pass\":\"pb\",\"verbose\":false}\r\n");
    drain(&mut s, t);
    assert_eq!(s.num_subscriptions(), 2);
    let new = ServerOptions { users: vec![user("a", "pa", &["foo"]), user("b", "changed", &[])], ..opts };
    let changed = s.handle_reload(t, 0, new).unwrap();
    assert_eq!(changed, vec!["users"]);
    let (out, closed) = drain(&mut s, t);
    assert_eq!(closed, vec![b], "b's password changed: cut");
    let b_out: String = out.iter().filter(|(id, _)| *id == b).map(|(_, o)| o.as_str()).collect();
    assert!(b_out.contains("-ERR 'Authorization Violation'"), "{b_out}");
    let a_out: String = out.iter().filter(|(id, _)| *id == a).map(|(_, o)| o.as_str()).collect();
    assert!(a_out.contains("-ERR 'Permissions Violation for Subscription to \"bar\" (sid \"2\")'"), "{a_out}");
    assert_eq!(s.num_subscriptions(), 1, "only foo is left");
    // a's new permissions apply to new subscriptions too.
    s.handle_read(t, a, b"SUB baz 3\r\n");
    let (out, _) = drain(&mut s, t);
    assert!(out.iter().any(|(_, o)| o.contains("Permissions Violation for Subscription to \"baz\"")));
}

/// Go's TestConfigReloadUnsupported / TestConfigReloadMaxSubsUnsupported /
/// TestConfigReloadMaxPayload.
#[test]
fn test_config_reload_unsupported() {
    let mut s = server(ServerOptions { port: 4222, ..ServerOptions::default() });
    let new = ServerOptions { port: 4333, max_payload: 2048, ..ServerOptions::default() };
    assert_eq!(s.handle_reload(Instant::ZERO, 0, new).unwrap_err(), "config reload not supported for Port: old=4222, new=4333");
    assert_eq!(s.info().max_payload, 1024 * 1024, "nothing applied");
    let new = ServerOptions { port: 4222, max_subs: 10, ..ServerOptions::default() };
    assert!(s.handle_reload(Instant::ZERO, 0, new).unwrap_err().starts_with("config reload not supported for MaxSubs"));
    // A random port in the new config means the bound one.
    let new = ServerOptions { port: -1, max_payload: 2048, ..ServerOptions::default() };
    assert_eq!(s.handle_reload(Instant::ZERO, 0, new).unwrap(), vec!["max_payload"]);
    assert_eq!(s.info().max_payload, 2048);
    let t = Instant::ZERO;
    let c = accept(&mut s, t);
    let (out, _) = drain(&mut s, t);
    assert!(out[0].1.contains("\"max_payload\":2048"));
    s.handle_read(t, c, b"PUB foo 4096\r\n");
    let (out, closed) = drain(&mut s, t);
    assert_eq!(closed, vec![c]);
    assert!(out.iter().any(|(_, o)| o.contains("Maximum Payload Violation")));
}

/// Go's TestConfigReloadMaxConnections: lowering the limit closes the
/// excess connections.
#[test]
fn test_config_reload_max_connections() {
    let mut s = server(ServerOptions::default());
    let t = Instant::ZERO;
    let ids: Vec<ConnId> = (0..3).map(|_| accept(&mut s, t)).collect();
    drain(&mut s, t);
    s.handle_reload(t, 0, ServerOptions { max_conn: 1, ..ServerOptions::default() }).unwrap();
    let (out, mut closed) = drain(&mut s, t);
    closed.sort();
    assert_eq!(closed, ids[1..].to_vec());
    assert!(out.iter().any(|(_, o)| o.contains("maximum connections exceeded")));
    assert_eq!(s.num_connections(), 1);
    let c = s.connz(t, 0, &ConnzOptions { state: ConnzState::Closed, ..ConnzOptions::default() }).unwrap();
    assert_eq!(c.total, 2);
    assert!(c.connections.iter().all(|ci| ci.reason == "Maximum Connections Exceeded"));
}
