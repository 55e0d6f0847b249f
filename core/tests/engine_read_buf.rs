//! handle_read_buf: ops split across reads at every kind of boundary are
//! decoded as if the stream had arrived whole.

use bytes::BytesMut;
use rnatsd_core::options::ServerOptions;
use rnatsd_core::prng::Prng;
use rnatsd_core::server::{Event, RemoteAddr, Server};
use rnatsd_core::time::Instant;

#[test]
fn split_reads_through_handle_read_buf_lose_nothing() {
    for seed in 0..20u64 {
        let mut s = Server::new(ServerOptions::default(), seed, Instant::ZERO, 0).unwrap();
        let publisher = s.handle_accept(Instant::ZERO, RemoteAddr { ip: "127.0.0.1".into(), port: 1 });
        let subscriber = s.handle_accept(Instant::ZERO, RemoteAddr { ip: "127.0.0.1".into(), port: 2 });
        let mut out = BytesMut::new();
        s.handle_read(Instant::ZERO, subscriber, b"CONNECT {\"verbose\":false}\r\nSUB foo 1\r\n");
        let payload = vec![b'x'; 1024];
        let mut stream = Vec::new();
        stream.extend_from_slice(b"CONNECT {\"verbose\":false}\r\n");
        let n = 300;
        for _ in 0..n {
            stream.extend_from_slice(format!("PUB foo {}\r\n", payload.len()).as_bytes());
            stream.extend_from_slice(&payload);
            stream.extend_from_slice(b"\r\n");
        }
        let mut prng = Prng::from_seed(seed);
        let mut buf = BytesMut::new();
        let mut pos = 0;
        while pos < stream.len() {
            let want = 1 + prng.below(5000) as usize;
            buf.reserve(want);
            let take = want.min(stream.len() - pos);
            buf.extend_from_slice(&stream[pos..pos + take]);
            pos += take;
            s.handle_read_buf(Instant::ZERO, publisher, &mut buf);
            while let Some(ev) = s.poll_event() {
                if let Event::Close(id) = ev {
                    panic!("seed {seed}: conn {id:?} closed at byte {pos}");
                }
            }
            s.check_invariants();
        }
        let mut got = BytesMut::new();
        s.poll_transmit(subscriber, &mut out);
        got.extend_from_slice(&out);
        let text = String::from_utf8_lossy(&got);
        assert_eq!(text.matches("MSG foo 1 1024\r\n").count(), n, "seed {seed}");
    }
}
