//! A minimal blocking NATS client connection over `std::net`, speaking the
//! protocol directly so the load generator spends as little CPU as possible.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::error::{BenchError, BenchResult};
use crate::scanner::{Frame, FrameScanner};

/// The CONNECT line every bench connection sends.
pub const CONNECT_LINE: &[u8] = b"CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\
\"no_responders\":true,\"protocol\":1,\"name\":\"rnatsd-bench\"}\r\n";

/// Longest a connection handshake (CONNECT ... PONG) may take.
const HANDSHAKE_MAX: Duration = Duration::from_secs(5);

/// Read buffer size for busy connections.
const READ_BUF_LEN: usize = 256 * 1024;

/// A connected, handshaken NATS client.
pub struct NatsConn {
    stream: TcpStream,
    scanner: FrameScanner,
    read_buf: Vec<u8>,
    /// The read timeout currently set on the socket, cached so steady-state
    /// loops do not pay a `setsockopt` per read.
    read_timeout: Option<Duration>,
}

/// What one [`NatsConn::read_some`] call saw.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadStats {
    pub msgs: u64,
    pub pongs: u64,
    /// False when the server closed the connection.
    pub open: bool,
}

impl NatsConn {
    /// Connects, sends CONNECT plus `extra` (e.g. SUB lines), and waits for the
    /// PONG of a trailing PING so the server has processed all of it.
    pub fn connect(addr: SocketAddr, extra: &[u8], deadline: Instant) -> BenchResult<Self> {
        let deadline = deadline.min(Instant::now() + HANDSHAKE_MAX);
        let stream = TcpStream::connect_timeout(&addr, remaining(deadline)?)?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        let mut conn = NatsConn {
            stream,
            scanner: FrameScanner::new(),
            read_buf: vec![0; READ_BUF_LEN],
            read_timeout: None,
        };
        let mut hello = CONNECT_LINE.to_vec();
        hello.extend_from_slice(extra);
        conn.write_all(&hello)?;
        conn.flush_barrier(deadline)?;
        Ok(conn)
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> BenchResult<()> {
        self.stream
            .write_all(bytes)
            .map_err(|e| BenchError::new(format!("write: {e}")))
    }

    /// A second handle on the socket, used to shut it down from another thread.
    pub fn shutdown_handle(&self) -> BenchResult<TcpStream> {
        Ok(self.stream.try_clone()?)
    }

    /// Bounds how long a blocking write may stall (a server that stops
    /// reading must not hang the bench).
    pub fn set_write_timeout(&self, timeout: Duration) -> BenchResult<()> {
        Ok(self.stream.set_write_timeout(Some(timeout))?)
    }

    /// Sends PING and reads until the matching PONG: after it returns, the
    /// server has processed everything written before. MSG frames seen on the
    /// way are counted and returned.
    pub fn flush_barrier(&mut self, deadline: Instant) -> BenchResult<u64> {
        self.write_all(b"PING\r\n")?;
        let mut msgs = 0;
        loop {
            let stats = self.read_some(Some(remaining(deadline)?), |_| {})?;
            msgs += stats.msgs;
            if !stats.open {
                return Err(BenchError::new("server closed the connection"));
            }
            if stats.pongs > 0 {
                return Ok(msgs);
            }
        }
    }

    /// Performs one `read` (waiting at most `timeout`, forever if `None`) and
    /// scans it, calling `on_msg` for every MSG frame. Answers
    /// server PINGs and fails on `-ERR`.
    pub fn read_some(
        &mut self,
        timeout: Option<Duration>,
        mut on_msg: impl FnMut(Frame<'_>),
    ) -> BenchResult<ReadStats> {
        if timeout != self.read_timeout {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        let n = match self.stream.read(&mut self.read_buf) {
            Ok(n) => n,
            Err(e) if is_timeout(&e) => {
                return Err(BenchError::new("timed out waiting for the server"))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                return Ok(ReadStats {
                    open: true,
                    ..Default::default()
                })
            }
            Err(e) => return Err(e.into()),
        };
        let mut stats = ReadStats {
            open: n > 0,
            ..Default::default()
        };
        let mut pings = 0;
        let mut err: Option<String> = None;
        self.scanner
            .feed(&self.read_buf[..n], |frame| match frame {
                Frame::Msg { .. } => {
                    stats.msgs += 1;
                    on_msg(frame);
                }
                Frame::Pong => stats.pongs += 1,
                Frame::Ping => pings += 1,
                Frame::Err(text) => err = Some(String::from_utf8_lossy(text).into_owned()),
                Frame::Info | Frame::Ok => {}
            })?;
        if let Some(text) = err {
            return Err(BenchError::new(format!("server sent -ERR {text}")));
        }
        for _ in 0..pings {
            self.write_all(b"PONG\r\n")?;
        }
        Ok(stats)
    }

    pub fn shutdown(&self) {
        // The peer may already be gone; nothing to do about a failure here.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

/// Time left until `deadline`, or an error once it has passed.
pub fn remaining(deadline: Instant) -> BenchResult<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(BenchError::new("time cap reached"));
    }
    Ok(left)
}

pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Builds `count` copies of `PUB <subject> [reply] <len>\r\n<payload>\r\n`.
pub fn pub_batch(subject: &str, reply: Option<&str>, payload: &[u8], count: usize) -> Vec<u8> {
    let head = match reply {
        Some(reply) => format!("PUB {subject} {reply} {}\r\n", payload.len()),
        None => format!("PUB {subject} {}\r\n", payload.len()),
    };
    let mut out = Vec::with_capacity(count * (head.len() + payload.len() + 2));
    for _ in 0..count {
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A payload of `len` printable bytes.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scanner::FrameScanner;

    #[test]
    fn pub_batch_is_well_formed() {
        let batch = pub_batch("a.b", Some("r"), b"hi", 3);
        assert_eq!(batch, b"PUB a.b r 2\r\nhi\r\n".repeat(3));
        assert_eq!(pub_batch("x", None, b"", 1), b"PUB x 0\r\n\r\n");
        // The same bytes framed as MSG would be counted by the scanner.
        let msgs = String::from_utf8(batch)
            .unwrap()
            .replace("PUB a.b r", "MSG a.b 1 r");
        let mut count = 0;
        FrameScanner::new()
            .feed(msgs.as_bytes(), |f| {
                assert!(matches!(
                    f,
                    Frame::Msg {
                        payload_len: 2,
                        reply: Some(b"r"),
                        ..
                    }
                ));
                count += 1;
            })
            .unwrap();
        assert_eq!(count, 3);
    }

    #[test]
    fn payload_has_requested_length() {
        assert_eq!(payload(0).len(), 0);
        assert_eq!(payload(1024).len(), 1024);
        assert_eq!(&payload(3), b"abc");
    }
}
