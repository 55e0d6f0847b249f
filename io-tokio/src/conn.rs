//! One client connection's reader and writer tasks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::BytesMut;
use rnatsd_core::server::ConnId;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use crate::runtime::Shared;

/// Read buffer: starts small (idle connections are cheap) and doubles up
/// to the maximum while reads fill it, as Go's readLoop does.
const READ_BUF_MIN: usize = 512;
const READ_BUF_MAX: usize = 64 * 1024;

/// The most input the engine takes per lock: between chunks the lock is
/// released and the sync thread gets the batch begun so far, so the fsync
/// of one chunk's publishes runs while the next chunk is processed.
const FEED_CHUNK: usize = 8 * 1024;

/// Hands `buf` to the engine in chunks of about [`FEED_CHUNK`] bytes; what
/// is left is the unfinished op the engine handed back.
fn feed(shared: &Shared, id: ConnId, buf: &mut BytesMut) {
    let mut all = false;
    loop {
        let whole = all || buf.len() <= 2 * FEED_CHUNK;
        let mut chunk = if whole { std::mem::take(buf) } else { buf.split_to(FEED_CHUNK) };
        let fed = chunk.len();
        {
            let mut inner = shared.lock();
            let now = shared.clock.now();
            inner.server.handle_read_buf(now, id, &mut chunk);
            inner.dispatch(shared);
        }
        // The engine handed back an unfinished op (contiguous with the
        // rest, so joining them is O(1)).
        let stuck = chunk.len() == fed;
        chunk.unsplit(std::mem::take(buf));
        *buf = chunk;
        if whole {
            return;
        }
        // One op longer than a chunk: give it everything next.
        all = stuck;
    }
}

pub(crate) struct ConnHandle {
    /// Wakes the writer: output is pending, or the connection is closing.
    pub wake: Notify,
    closing: AtomicBool,
}

impl ConnHandle {
    pub fn new() -> ConnHandle {
        ConnHandle { wake: Notify::new(), closing: AtomicBool::new(false) }
    }

    pub fn close(&self) {
        self.closing.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }
}

/// Serves a plaintext TCP connection (its halves need no lock).
pub(crate) fn spawn(stream: TcpStream, id: ConnId, handle: Arc<ConnHandle>, shared: Arc<Shared>) {
    let (rd, wr) = stream.into_split();
    spawn_halves(rd, wr, id, handle, shared);
}

/// Serves any other stream (a TLS session).
pub(crate) fn spawn_io<S>(stream: S, id: ConnId, handle: Arc<ConnHandle>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (rd, wr) = tokio::io::split(stream);
    spawn_halves(rd, wr, id, handle, shared);
}

fn spawn_halves<R, W>(mut rd: R, mut wr: W, id: ConnId, handle: Arc<ConnHandle>, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let reader_shared = shared.clone();
    let reader = tokio::spawn(async move {
        let mut buf = BytesMut::new();
        let mut want = READ_BUF_MIN;
        let mut short_reads = 0u32;
        loop {
            buf.reserve(want);
            let n = match rd.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            feed(&reader_shared, id, &mut buf);
            if n >= want && want < READ_BUF_MAX {
                want *= 2;
                short_reads = 0;
            } else if n < want / 2 && want > READ_BUF_MIN {
                // Shrink after a run of small reads, so a burst does not pin
                // 64 KiB to a connection that went quiet.
                short_reads += 1;
                if short_reads > 2 {
                    want /= 2;
                    short_reads = 0;
                    if buf.capacity() > 2 * want {
                        // Keep the unfinished op the engine handed back.
                        let mut smaller = BytesMut::with_capacity(want.max(buf.len()));
                        smaller.extend_from_slice(&buf);
                        buf = smaller;
                    }
                }
            }
        }
        // The peer went away: tell the engine, which closes the connection;
        // the writer then finishes and reports the disconnect.
        let mut inner = reader_shared.lock();
        let now = reader_shared.clock.now();
        inner.server.handle_disconnect(now, id);
        if let Some(h) = inner.handles.get(&id) {
            h.close();
        }
        inner.dispatch(&reader_shared);
    });
    let reader_abort = reader.abort_handle();
    tokio::spawn(async move {
        let mut out = BytesMut::new();
        let write_deadline = shared.lock().server.options().write_deadline;
        loop {
            let n = {
                let mut inner = shared.lock();
                inner.server.poll_transmit(id, &mut out)
            };
            if n > 0 {
                let res = tokio::time::timeout(write_deadline, wr.write_all(&out)).await;
                out.clear();
                match res {
                    Ok(Ok(())) => continue,
                    Ok(Err(_)) => break,
                    Err(_) => {
                        let mut inner = shared.lock();
                        let now = shared.clock.now();
                        inner.server.handle_write_stalled(now, id);
                        inner.dispatch(&shared);
                        break;
                    }
                }
            }
            if handle.is_closing() {
                break;
            }
            handle.wake.notified().await;
        }
        let _ = wr.shutdown().await;
        reader_abort.abort();
        let mut inner = shared.lock();
        let now = shared.clock.now();
        inner.server.handle_disconnect(now, id);
        inner.handles.remove(&id);
        inner.dispatch(&shared);
    });
}
