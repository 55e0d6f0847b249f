use super::*;

fn t(n: u64) -> Instant {
    Instant::from_nanos(n)
}

/// Drives one direction until everything sent has been read.
fn drain(net: &mut StreamNet, id: StreamId, mut wake: Vec<Instant>) -> (Vec<u8>, usize) {
    let mut got = Vec::new();
    let mut reads = 0;
    wake.sort();
    while let Some(at) = wake.first().copied() {
        wake.remove(0);
        match net.recv(at, id, Dir::ToServer) {
            Received::Data(b, next) => {
                reads += 1;
                got.extend_from_slice(&b);
                wake.extend(next);
            }
            Received::Stalled(until) => wake.push(until),
            Received::Nothing => {}
            Received::Reset => break,
        }
        wake.sort();
    }
    (got, reads)
}

#[test]
fn bytes_arrive_in_order_exactly_once_under_splits() {
    let mut cfg = StreamConfig::perfect();
    cfg.split = Ratio::new(1, 2);
    cfg.tiny_fragment = Ratio::new(1, 3);
    cfg.short_read = Ratio::new(1, 2);
    cfg.slow_reader = Ratio::new(1, 5);
    cfg.slow_reader_max = Duration::from_millis(5);
    cfg.latency_max = Duration::from_millis(2);
    let mut net = StreamNet::new(7, cfg);
    let id = net.connect();
    let mut sent = Vec::new();
    let mut wake = Vec::new();
    for i in 0..200u64 {
        let msg = format!("PUB a {i}\r\n").into_bytes();
        match net.send(t(i * 1000), id, Dir::ToServer, &msg) {
            Sent::Arrives(times) => wake.extend(times),
            Sent::Reset => panic!("no resets configured"),
        }
        sent.extend_from_slice(&msg);
    }
    let (got, reads) = drain(&mut net, id, wake);
    assert_eq!(got, sent);
    assert!(reads > 1);
    assert_eq!(net.in_flight(id, Dir::ToServer), 0);
    let c = net.counters();
    assert!(c.get(FaultKind::StreamSplit) > 0);
    assert!(c.get(FaultKind::StreamSlowReader) > 0);
}

#[test]
fn reset_drops_everything() {
    let mut cfg = StreamConfig::perfect();
    cfg.reset = Ratio::ALWAYS;
    let mut net = StreamNet::new(1, cfg);
    let id = net.connect();
    assert_eq!(net.send(t(0), id, Dir::ToClient, b"x"), Sent::Reset);
    assert!(!net.is_open(id));
    assert_eq!(net.recv(t(10), id, Dir::ToClient), Received::Reset);
    assert_eq!(net.counters().get(FaultKind::StreamReset), 1);
}

#[test]
fn shutdown_delivers_in_flight_then_ends() {
    let mut net = StreamNet::new(1, StreamConfig::perfect());
    let id = net.connect();
    net.send(t(0), id, Dir::ToClient, b"-ERR 'x'\r\n");
    net.shutdown(id);
    assert_eq!(net.send(t(1), id, Dir::ToClient, b"more"), Sent::Reset);
    let Received::Data(b, None) = net.recv(t(100_000), id, Dir::ToClient) else {
        panic!()
    };
    assert_eq!(&b[..], b"-ERR 'x'\r\n");
    assert_eq!(net.recv(t(100_001), id, Dir::ToClient), Received::Reset);
}

#[test]
fn nothing_before_latency() {
    let mut net = StreamNet::new(1, StreamConfig::perfect());
    let id = net.connect();
    let Sent::Arrives(times) = net.send(t(0), id, Dir::ToServer, b"PING\r\n") else {
        panic!()
    };
    assert_eq!(times, vec![t(50_000)]);
    assert_eq!(net.recv(t(49_999), id, Dir::ToServer), Received::Nothing);
    let Received::Data(b, None) = net.recv(t(50_000), id, Dir::ToServer) else {
        panic!()
    };
    assert_eq!(&b[..], b"PING\r\n");
}

#[test]
fn same_seed_same_fragments() {
    let run = |seed| {
        let mut cfg = StreamConfig::perfect();
        cfg.split = Ratio::ALWAYS;
        cfg.latency_max = Duration::from_millis(1);
        let mut net = StreamNet::new(seed, cfg);
        let id = net.connect();
        match net.send(t(0), id, Dir::ToServer, &[7u8; 300]) {
            Sent::Arrives(v) => v,
            Sent::Reset => Vec::new(),
        }
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
}

#[test]
fn partitions_block_links() {
    let mut net = PacketNet::new(1, PacketConfig::perfect());
    assert_eq!(net.send(t(0), 1, 2).len(), 1);
    net.partition_one_way(1, 2);
    assert!(net.send(t(0), 1, 2).is_empty());
    assert_eq!(net.send(t(0), 2, 1).len(), 1);
    net.heal();
    net.isolate(3, &[1, 2, 3]);
    assert!(!net.deliverable(3, 1) && !net.deliverable(2, 3) && net.deliverable(1, 2));
    assert_eq!(net.counters().get(FaultKind::PacketPartitioned), 1);
}

#[test]
fn drop_duplicate_reorder() {
    let mut cfg = PacketConfig::perfect();
    cfg.drop = Ratio::new(1, 4);
    cfg.duplicate = Ratio::new(1, 4);
    cfg.reorder = Ratio::new(1, 4);
    cfg.reorder_max = Duration::from_millis(10);
    let mut net = PacketNet::new(2, cfg);
    let mut copies = 0;
    let mut overtaken = false;
    let mut last = t(0);
    for i in 0..400u64 {
        let times = net.send(t(i * 1000), 0, 1);
        copies += times.len();
        for at in times {
            overtaken |= at < last;
            last = last.max(at);
        }
    }
    let c = net.counters();
    assert!(c.get(FaultKind::PacketDrop) > 0 && c.get(FaultKind::PacketDuplicate) > 0);
    assert_eq!(
        copies as u64,
        400 - c.get(FaultKind::PacketDrop) + c.get(FaultKind::PacketDuplicate)
    );
    assert!(overtaken);
}
