//! Engine-level tests of the system account under simulated time: the
//! STATSZ heartbeat schedule, the SHUTDOWN event, the connect and
//! disconnect events, and request dispatch.

use std::collections::HashMap;
use std::time::Duration;

use bytes::BytesMut;

use crate::conf::{apply_config, parse};
use crate::options::ServerOptions;
use crate::time::Instant;

use super::{ConnId, Event, RemoteAddr, Server, STATSZ_FIRST, STATSZ_INTERVAL};

const CONF: &str = r#"
accounts {
  A { users = [ {user: a, password: a} ] }
  SYS { users = [ {user: sys, password: sys} ] }
}
system_account: SYS
"#;

struct Net {
    s: Server,
    out: HashMap<ConnId, String>,
    now: Instant,
}

impl Net {
    fn new() -> Net {
        let env = |_: &str| None;
        let mut include = |p: &str| Err(format!("no include {p}"));
        let map = parse(CONF, "sys.conf", &env, &mut include).expect("config parses");
        let mut o = ServerOptions::default();
        apply_config(&map, &mut o).expect("config applies");
        let s = Server::new(o, 5, Instant::ZERO, 1_700_000_000_000_000_000).expect("server starts");
        Net { s, out: HashMap::new(), now: Instant::ZERO }
    }

    fn drain(&mut self) {
        while let Some(ev) = self.s.poll_event() {
            let (Event::Transmit(id) | Event::Close(id)) = ev;
            let mut buf = BytesMut::new();
            self.s.poll_transmit(id, &mut buf);
            self.out.entry(id).or_default().push_str(&String::from_utf8_lossy(&buf));
            if matches!(ev, Event::Close(_)) {
                self.s.handle_disconnect(self.now, id);
            }
        }
    }

    fn send(&mut self, id: ConnId, text: &str) {
        self.s.handle_read(self.now, id, text.as_bytes());
        self.drain();
    }

    fn user(&mut self, u: &str) -> ConnId {
        let id = self.s.handle_accept(self.now, RemoteAddr { ip: "127.0.0.1".into(), port: 4000 });
        self.send(id, &format!("CONNECT {{\"verbose\":false,\"name\":\"n-{u}\",\"user\":\"{u}\",\"pass\":\"{u}\"}}\r\n"));
        self.take(id);
        id
    }

    fn take(&mut self, id: ConnId) -> String {
        self.out.remove(&id).unwrap_or_default()
    }

    /// Advances simulated time to `to`, firing every timer on the way.
    fn advance(&mut self, to: Instant) {
        for _ in 0..10_000 {
            match self.s.poll_timeout() {
                Some(t) if t <= to => {
                    self.now = t;
                    self.s.handle_timeout(t);
                    self.drain();
                }
                _ => break,
            }
        }
        self.now = to;
    }
}

fn count(out: &str, needle: &str) -> usize {
    out.matches(needle).count()
}

/// The STATSZ heartbeat starts 250 ms after a system client binds and
/// doubles to 10 s (Go's startStatszTimer); it stops with no system client.
#[test]
fn test_statsz_heartbeat_backs_off() {
    let mut n = Net::new();
    assert!(n.s.poll_timeout().is_none(), "no perpetual timer on an idle server");
    let sys = n.user("sys");
    n.send(sys, "SUB $SYS.SERVER.*.STATSZ 1\r\n");
    let subject = format!("MSG $SYS.SERVER.{}.STATSZ 1", n.s.info().server_id);
    n.advance(Instant::ZERO + (STATSZ_FIRST - Duration::from_millis(1)));
    assert_eq!(count(&n.take(sys), &subject), 0);
    n.advance(Instant::ZERO + STATSZ_FIRST);
    assert_eq!(count(&n.take(sys), &subject), 1);
    // 250, 750, 1750, 3750, 7750, 15750, then every 10 s.
    n.advance(Instant::ZERO + Duration::from_millis(15_750));
    assert_eq!(count(&n.take(sys), &subject), 5);
    n.advance(Instant::ZERO + Duration::from_millis(15_750) + STATSZ_INTERVAL);
    assert_eq!(count(&n.take(sys), &subject), 1);
    n.send(sys, "UNSUB 1\r\n");
    n.s.handle_disconnect(n.now, sys);
    n.drain();
    // Stale per-connection timer entries pop lazily; give them time.
    n.advance(n.now + Duration::from_secs(600));
    assert!(n.s.poll_timeout().is_none(), "heartbeat stops without a system client");
}

/// `$SYS.SERVER.<id>.SHUTDOWN` goes out before the connections close.
#[test]
fn test_shutdown_event_before_close() {
    let mut n = Net::new();
    let sys = n.user("sys");
    n.send(sys, "SUB $SYS.SERVER.*.SHUTDOWN 1\r\n");
    n.s.handle_shutdown(n.now);
    n.drain();
    let out = n.take(sys);
    assert!(out.contains(&format!("MSG $SYS.SERVER.{}.SHUTDOWN 1", n.s.info().server_id)), "{out}");
    assert!(out.contains("\"seq\":"), "{out}");
}

/// Connect and disconnect events carry deterministic ids from the seed.
#[test]
fn test_connect_events_are_deterministic() {
    let run = || {
        let mut n = Net::new();
        let sys = n.user("sys");
        n.send(sys, "SUB $SYS.ACCOUNT.> 1\r\n");
        let a = n.user("a");
        n.s.handle_disconnect(n.now, a);
        n.drain();
        n.take(sys)
    };
    let first = run();
    assert_eq!(count(&first, "MSG $SYS.ACCOUNT.A.CONNECT 1"), 1, "{first}");
    assert_eq!(count(&first, "MSG $SYS.ACCOUNT.A.DISCONNECT 1"), 1, "{first}");
    assert_eq!(count(&first, "MSG $SYS.ACCOUNT.A.SERVER.CONNS 1"), 2, "{first}");
    assert!(first.contains("\"reason\":\"Client Closed\""), "{first}");
    assert_eq!(first, run(), "same seed, same events");
}

/// Requests are answered to the reply subject, and other components can
/// add endpoints to the dispatch table.
#[test]
fn test_sys_request_dispatch_table() {
    let mut n = Net::new();
    fn hello(_: &mut Server, req: &super::SysRequest) -> Option<Vec<u8>> {
        Some(format!("hello {}", req.token(3)).into_bytes())
    }
    n.s.register_sys_handler("$SYS.REQ.TEST.*", hello).unwrap();
    assert!(n.s.sys_endpoints().iter().any(|e| e.subject == "$SYS.REQ.SERVER.PING.VARZ"));
    let sys = n.user("sys");
    n.send(sys, "SUB inbox.> 1\r\nPUB $SYS.REQ.TEST.x inbox.1 0\r\n\r\n");
    let out = n.take(sys);
    assert!(out.contains("MSG inbox.1 1 7\r\nhello x\r\n"), "{out}");
    let a = n.user("a");
    n.send(a, "SUB inbox.> 1\r\nPUB $SYS.REQ.TEST.x inbox.1 0\r\n\r\n");
    assert!(!n.take(a).contains("hello"), "only the system account reaches it");
}
