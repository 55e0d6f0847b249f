//! Row 6: server RSS at baseline and with many idle connections, each holding
//! one subscription.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::{RunLimits, Sample};
use crate::conn::{is_timeout, remaining, CONNECT_LINE};
use crate::error::{BenchError, BenchResult};
use crate::scanner::{Frame, FrameScanner};
use crate::server::RunningServer;

/// Connections opened before waiting for their PONGs.
const BATCH: usize = 500;

/// Measures `[baseline MiB, MiB with conns, KiB per connection]`. Kills the
/// server before closing the client sockets, so TIME_WAIT lands on the
/// server's port rather than using up the bench's ephemeral ports.
pub fn run(
    server: RunningServer,
    conns: usize,
    settle: Duration,
    limits: RunLimits,
) -> BenchResult<Sample> {
    thread::sleep(settle);
    let baseline = server.rss_bytes()?;
    let start = Instant::now();
    let mut open = Vec::with_capacity(conns);
    let mut capped = false;
    let mut scratch = vec![0u8; 16 * 1024];
    while open.len() < conns {
        if Instant::now() >= limits.deadline(start) {
            capped = true;
            break;
        }
        let batch = BATCH.min(conns - open.len());
        open_batch(
            server.addr,
            open.len(),
            batch,
            &mut open,
            &mut scratch,
            limits.hard_deadline(start),
        )?;
    }
    thread::sleep(settle);
    let mut server = server;
    server.check_alive()?;
    let loaded = server.rss_bytes()?;
    server.stop();
    let opened = open.len();
    drop(open);
    const MIB: f64 = 1024.0 * 1024.0;
    let per_conn_kib = (loaded as f64 - baseline as f64) / 1024.0 / opened.max(1) as f64;
    Ok(Sample {
        values: vec![baseline as f64 / MIB, loaded as f64 / MIB, per_conn_kib],
        capped,
    })
}

/// Opens `batch` connections, pipelines CONNECT + SUB + PING on each, then
/// waits for every PONG.
fn open_batch(
    addr: SocketAddr,
    first_index: usize,
    batch: usize,
    open: &mut Vec<TcpStream>,
    scratch: &mut [u8],
    deadline: Instant,
) -> BenchResult<()> {
    let mut fresh = Vec::with_capacity(batch);
    for i in 0..batch {
        let mut stream = TcpStream::connect_timeout(&addr, remaining(deadline)?)
            .map_err(|e| BenchError::new(format!("connection {}: {e}", first_index + i)))?;
        stream.set_write_timeout(Some(remaining(deadline)?))?;
        let mut hello = CONNECT_LINE.to_vec();
        hello.extend_from_slice(
            format!("SUB bench.idle.{} 1\r\nPING\r\n", first_index + i).as_bytes(),
        );
        stream.write_all(&hello)?;
        fresh.push(stream);
    }
    for stream in &mut fresh {
        wait_pong(stream, scratch, deadline)?;
    }
    open.append(&mut fresh);
    Ok(())
}

fn wait_pong(stream: &mut TcpStream, scratch: &mut [u8], deadline: Instant) -> BenchResult<()> {
    let mut scanner = FrameScanner::new();
    loop {
        stream.set_read_timeout(Some(remaining(deadline)?))?;
        let n = match stream.read(scratch) {
            Ok(0) => {
                return Err(BenchError::new(
                    "server closed an idle connection during setup",
                ))
            }
            Ok(n) => n,
            Err(e) if is_timeout(&e) => return Err(BenchError::new("timed out waiting for PONG")),
            Err(e) => return Err(e.into()),
        };
        let mut pong = false;
        let mut err = None;
        scanner.feed(&scratch[..n], |frame| match frame {
            Frame::Pong => pong = true,
            Frame::Err(text) => err = Some(String::from_utf8_lossy(text).into_owned()),
            _ => {}
        })?;
        if let Some(text) = err {
            return Err(BenchError::new(format!(
                "server sent -ERR {text} during connection setup"
            )));
        }
        if pong {
            return Ok(());
        }
    }
}
