//! The engine's internal client: a service inside the engine receives the
//! messages published on its subjects and answers through normal routing;
//! replies it holds are released only by a flush (group commit).

use bytes::{Bytes, BytesMut};
use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::{ConnId, InternalMsg, InternalService, Outgoing, RemoteAddr, Server};
use rnatsd_core::time::{Instant, UnixNanos};

/// Answers `svc.echo` at once, and `svc.durable` only after a flush.
#[derive(Default)]
struct Toy {
    held: Vec<Outgoing>,
    flushes: usize,
    seen_realtime: Option<std::sync::mpsc::Sender<UnixNanos>>,
    /// Also subscribe to subjects `svc.>` already covers.
    overlap: bool,
}

impl InternalService for Toy {
    fn interest(&self) -> Vec<String> {
        let mut v = vec!["svc.>".to_string()];
        if self.overlap {
            v.extend(["svc.echo".to_string(), "svc.*".to_string()]);
        }
        v
    }
    fn handle_msg(&mut self, _now: Instant, realtime: UnixNanos, m: InternalMsg) -> Vec<Outgoing> {
        if let Some(tx) = &self.seen_realtime {
            tx.send(realtime).unwrap();
        }
        let Some(reply) = m.reply else { return vec![] };
        let mut body = b"ok:".to_vec();
        body.extend_from_slice(&m.payload);
        let o = Outgoing { subject: reply, reply: None, deliver_as: None, headers: None, payload: Bytes::from(body) };
        if &m.subject[..] == b"svc.durable" {
            self.held.push(o);
            vec![]
        } else {
            vec![o]
        }
    }
    fn wants_flush(&self) -> bool {
        !self.held.is_empty()
    }
    fn flush(&mut self, _now: Instant) -> Vec<Outgoing> {
        self.flushes += 1;
        std::mem::take(&mut self.held)
    }
    fn take_interest_changed(&mut self) -> bool {
        false
    }
    fn handle_timeout(&mut self, _now: Instant, _realtime: UnixNanos) -> Vec<Outgoing> {
        vec![]
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn check_invariants(&self) {}
}

fn client(s: &mut Server, port: u16) -> ConnId {
    let id = s.handle_accept(Instant::ZERO, RemoteAddr { ip: "127.0.0.1".into(), port });
    s.handle_read(Instant::ZERO, id, b"CONNECT {\"verbose\":false}\r\n");
    id
}

fn output(s: &mut Server, id: ConnId) -> String {
    while s.poll_event().is_some() {}
    let mut out = BytesMut::new();
    s.poll_transmit(id, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn internal_service_answers_through_routing() {
    let mut s = Server::new(ServerOptions::default(), 1, Instant::ZERO, 1_000).unwrap();
    s.set_internal_service(Instant::ZERO, Box::new(Toy::default()));
    let c = client(&mut s, 1);
    output(&mut s, c);
    s.handle_read(Instant::from_nanos(5), c, b"SUB _INBOX.1 1\r\nPUB svc.echo _INBOX.1 2\r\nhi\r\n");
    let out = output(&mut s, c);
    assert!(out.contains("MSG _INBOX.1 1 5\r\nok:hi\r\n"), "{out}");
    s.check_invariants();
}

#[test]
fn held_replies_wait_for_the_flush_of_their_batch() {
    let mut s = Server::new(ServerOptions::default(), 1, Instant::ZERO, 1_000).unwrap();
    s.set_internal_service(Instant::ZERO, Box::new(Toy::default()));
    let c = client(&mut s, 1);
    output(&mut s, c);
    // Three durable requests in one read: one flush answers all three.
    s.handle_read(
        Instant::ZERO,
        c,
        b"SUB r 1\r\nPUB svc.durable r 1\r\na\r\nPUB svc.durable r 1\r\nb\r\nPUB svc.durable r 1\r\nc\r\n",
    );
    let out = output(&mut s, c);
    assert_eq!(out.matches("MSG r 1 4\r\n").count(), 3, "{out}");
    let ia = out.find("ok:a").unwrap();
    let ib = out.find("ok:b").unwrap();
    let ic = out.find("ok:c").unwrap();
    assert!(ia < ib && ib < ic, "in order");
    s.check_invariants();
}

#[test]
fn wall_clock_follows_the_monotonic_clock_between_updates() {
    let mut s = Server::new(ServerOptions::default(), 1, Instant::ZERO, 1_000).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    s.set_internal_service(Instant::ZERO, Box::new(Toy { seen_realtime: Some(tx), ..Toy::default() }));
    let c = client(&mut s, 1);
    s.handle_read(Instant::from_nanos(500), c, b"PUB svc.x 0\r\n\r\n");
    s.handle_wall_clock(Instant::from_nanos(600), 10_000);
    s.handle_read(Instant::from_nanos(700), c, b"PUB svc.x 0\r\n\r\n");
    s.check_invariants();
    assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![1_500, 10_100]);
}

#[test]
fn overlapping_internal_subscriptions_deliver_once() {
    let mut s = Server::new(ServerOptions::default(), 1, Instant::ZERO, 1_000).unwrap();
    s.set_internal_service(Instant::ZERO, Box::new(Toy { overlap: true, ..Toy::default() }));
    let c = client(&mut s, 1);
    output(&mut s, c);
    s.handle_read(Instant::from_nanos(5), c, b"SUB _INBOX.1 1\r\nPUB svc.echo _INBOX.1 2\r\nhi\r\n");
    let out = output(&mut s, c);
    assert_eq!(out.matches("ok:hi").count(), 1, "{out}");
    s.check_invariants();
}
