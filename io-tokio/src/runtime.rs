//! Starting and stopping a server: bind, build the engine, spawn the accept
//! loop, the timer task and (with `http_port`) the monitoring listener.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rnatsd_core::options::ServerOptions;
use rnatsd_core::server::{ConnId, Event, MonitorResponse, RemoteAddr, Server, TlsPolicy};
use rnatsd_core::storage::{StorageError, SyncBatch};
use rnatsd_core::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use crate::clock::Clock;
use crate::conn::{self, ConnHandle};
use crate::monitor;
use crate::tls;

/// A sync batch's id and its handles' results.
pub(crate) type SyncDone = (u64, Vec<Result<(), StorageError>>);

/// Everything the tasks share.
pub(crate) struct Shared {
    pub inner: Mutex<Inner>,
    pub clock: Clock,
    pub timer_wake: Notify,
    pub shutdown: Notify,
    /// Lame-duck mode: the accept loop drops the listener (one permit).
    pub stop_accept: Notify,
    /// Sync batches the sync thread finished while the engine was busy:
    /// whoever holds the engine lock reports them before letting go.
    pub synced: Mutex<Vec<SyncDone>>,
    pub synced_pending: AtomicBool,
}

pub(crate) struct Inner {
    pub server: Server,
    pub handles: HashMap<ConnId, Arc<ConnHandle>>,
    /// The deadline the timer task sleeps towards.
    pub armed: Option<Instant>,
    /// To the sync thread: batches of deferred fsyncs (group commit).
    pub sync_tx: mpsc::Sender<SyncBatch>,
}

impl Shared {
    /// Locks the engine. The guard reports finished sync batches to the
    /// engine when it is dropped (see [`EngineGuard`]).
    pub fn lock(&self) -> EngineGuard<'_> {
        EngineGuard { guard: Some(self.raw_lock()), shared: self }
    }

    fn raw_lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock means a panic in the engine: a bug. Keep serving
        // the other connections rather than cascading the panic.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reports every finished sync batch to the engine (lock held).
    fn report_synced(&self, inner: &mut Inner) {
        if !self.synced_pending.swap(false, Ordering::AcqRel) {
            return;
        }
        let done = std::mem::take(&mut *self.synced.lock().unwrap_or_else(|e| e.into_inner()));
        if done.is_empty() {
            return;
        }
        let now = self.clock.now();
        for (id, results) in done {
            inner.server.handle_sync_done(now, id, results);
        }
        inner.dispatch(self);
    }

    /// The sync thread finished a batch: report it now if the engine is
    /// free, else leave it to the lock's holder, so the sync thread never
    /// waits behind a long read and the next fsync starts at once.
    fn sync_finished(&self, id: u64, results: Vec<Result<(), StorageError>>) {
        self.synced.lock().unwrap_or_else(|e| e.into_inner()).push((id, results));
        self.synced_pending.store(true, Ordering::SeqCst);
        // Pairs with the fence in `EngineGuard::drop`: either this thread
        // sees the lock free, or the holder sees the flag once it let go.
        fence(Ordering::SeqCst);
        let guard = match self.inner.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        drop(EngineGuard { guard: Some(guard), shared: self });
    }
}

/// The engine's lock. Dropping it first reports the sync batches that
/// finished meanwhile, and checks again once unlocked: a batch that
/// finished just as the lock was let go is then reported by this thread,
/// since the sync thread saw the lock taken and left it.
pub(crate) struct EngineGuard<'a> {
    guard: Option<MutexGuard<'a, Inner>>,
    shared: &'a Shared,
}

impl std::ops::Deref for EngineGuard<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        self.guard.as_ref().expect("held until drop")
    }
}

impl std::ops::DerefMut for EngineGuard<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        self.guard.as_mut().expect("held until drop")
    }
}

impl Drop for EngineGuard<'_> {
    fn drop(&mut self) {
        let shared = self.shared;
        let mut guard = self.guard.take().expect("held until drop");
        loop {
            shared.report_synced(&mut guard);
            drop(guard);
            fence(Ordering::SeqCst);
            if !shared.synced_pending.load(Ordering::SeqCst) {
                return;
            }
            guard = match shared.inner.try_lock() {
                Ok(g) => g,
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
                // Someone else holds it now: their drop reports.
                Err(std::sync::TryLockError::WouldBlock) => return,
            };
        }
    }
}

impl Inner {
    /// Drains the engine's events into the connection handles, and wakes
    /// the timer task if the engine now wants an earlier deadline.
    pub fn dispatch(&mut self, shared: &Shared) {
        while let Some(batch) = self.server.poll_sync() {
            // The thread lives as long as this sender (it is in `Inner`).
            let _ = self.sync_tx.send(batch);
        }
        while let Some(ev) = self.server.poll_event() {
            match ev {
                Event::Transmit(id) => {
                    if let Some(h) = self.handles.get(&id) {
                        h.wake.notify_one();
                    }
                }
                Event::Close(id) => {
                    if let Some(h) = self.handles.get(&id) {
                        h.close();
                    }
                }
            }
        }
        let next = self.server.poll_timeout();
        if let Some(n) = next {
            if self.armed.is_none_or(|a| n < a) {
                self.armed = Some(n);
                shared.timer_wake.notify_one();
            }
        }
    }
}

/// A running server.
pub struct RunningServer {
    pub client_addr: SocketAddr,
    pub http_addr: Option<SocketAddr>,
    shared: Arc<Shared>,
}

impl RunningServer {
    /// Closes every connection (flushing what is queued) and stops
    /// accepting. Returns once connections are gone or after `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        {
            let mut inner = self.shared.lock();
            let now = self.shared.clock.now();
            inner.server.handle_shutdown(now);
            inner.dispatch(&self.shared);
        }
        self.shared.shutdown.notify_waiters();
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if self.shared.lock().handles.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The `/varz` JSON, as the monitoring endpoint serves it.
    pub fn varz_json(&self) -> String {
        monitor::varz_json(&self.shared)
    }

    pub fn num_connections(&self) -> usize {
        self.shared.lock().server.num_connections()
    }

    /// Applies reloaded options (see `Server::handle_reload`): the config
    /// keys that changed, or Go's error with nothing changed.
    pub fn reload(&self, opts: ServerOptions) -> Result<Vec<&'static str>, String> {
        let mut inner = self.shared.lock();
        let (now, realtime) = (self.shared.clock.now(), self.shared.clock.realtime());
        let res = inner.server.handle_reload(now, realtime, opts);
        inner.dispatch(&self.shared);
        res
    }

    /// The options in force (after reloads).
    pub fn options(&self) -> ServerOptions {
        self.shared.lock().server.options().clone()
    }

    /// Enters lame-duck mode: the listener closes, clients are told and
    /// then closed on the engine's schedule. False if already in it.
    pub fn enter_lame_duck(&self) -> bool {
        let entered = {
            let mut inner = self.shared.lock();
            let now = self.shared.clock.now();
            let entered = inner.server.handle_lame_duck(now);
            inner.dispatch(&self.shared);
            entered
        };
        if entered {
            self.shared.stop_accept.notify_one();
        }
        entered
    }

    /// Resolves once lame-duck mode has closed its clients.
    pub async fn lame_duck_complete(&self) {
        loop {
            if self.shared.lock().server.lame_duck_complete() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Answers a monitoring request as the HTTP listener would (target is
    /// path and query), without HTTP: for embedding and tests.
    pub fn monitor_request(&self, target: &str) -> MonitorResponse {
        let process = monitor::process_stats();
        let mut inner = self.shared.lock();
        let (now, realtime) = (self.shared.clock.now(), self.shared.clock.realtime());
        inner.server.handle_monitor_request(now, realtime, target, process)
    }
}

/// Binds the client (and monitoring) listeners and starts serving.
/// `opts.port` of -1 (or 0) picks a free port, as Go's RANDOM_PORT does.
pub async fn start(mut opts: ServerOptions, seed: u64) -> Result<RunningServer, String> {
    let port = if opts.port <= 0 { 0 } else { opts.port as u16 };
    let listener = listen((opts.host.as_str(), port))
        .await
        .map_err(|e| format!("Error listening on port: {}:{}, \"{}\"", opts.host, opts.port, e))?;
    let client_addr = listener.local_addr().map_err(|e| e.to_string())?;
    opts.port = i32::from(client_addr.port());

    let http_listener = monitor::bind(&mut opts).await?;
    let http_addr = http_listener.as_ref().and_then(|m| m.listener.local_addr().ok());

    let acceptor = tls::build_acceptor(&opts)?;
    let clock = Clock::new();
    let js = opts.jetstream.clone();
    let resolver_storage = crate::storage::resolver_storage(&opts)?;
    let mut server = Server::new_with_resolver_storage(opts, seed, clock.now(), clock.realtime(), resolver_storage)?;
    if js.enabled {
        let name = server.info().server_name.clone();
        let service = crate::storage::jetstream_service(&js, &name, clock.now(), clock.realtime())?;
        server.set_internal_service(clock.now(), service);
        crate::storage::install_account_jetstreams(&mut server, &js, clock.now(), clock.realtime())?;
    }
    let (sync_tx, sync_rx) = mpsc::channel();
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner { server, handles: HashMap::new(), armed: None, sync_tx }),
        clock,
        timer_wake: Notify::new(),
        shutdown: Notify::new(),
        stop_accept: Notify::new(),
        synced: Mutex::new(Vec::new()),
        synced_pending: AtomicBool::new(false),
    });
    spawn_sync_thread(Arc::downgrade(&shared), sync_rx)?;
    {
        // Batches begun while JetStream recovered.
        let mut inner = shared.lock();
        inner.dispatch(&shared);
    }
    tokio::spawn(accept_loop(listener, shared.clone(), acceptor));
    tokio::spawn(timer_loop(shared.clone()));
    if let Some(l) = http_listener {
        tokio::spawn(monitor::serve(l, shared.clone()));
    }
    Ok(RunningServer { client_addr, http_addr, shared })
}

/// Binds with a deep accept queue (tokio's default is 1024): a burst of
/// connects must queue, not have its SYNs dropped and retried a second
/// later. The kernel caps it at net.core.somaxconn, as Go's listener is.
async fn listen(addr: (&str, u16)) -> std::io::Result<TcpListener> {
    let mut last = None;
    for a in tokio::net::lookup_host(addr).await? {
        let sock = if a.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
        sock.set_reuseaddr(true)?;
        match sock.bind(a).and_then(|_| sock.listen(65_535)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "no address")))
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, acceptor: Option<TlsAcceptor>) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shared.shutdown.notified() => return,
            _ = shared.stop_accept.notified() => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // EMFILE and friends: back off briefly, as Go does.
                tracing::error!("Temporary Client Accept Error({}), sleeping 10ms", e);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handle = Arc::new(ConnHandle::new());
        let (id, policy) = {
            let mut inner = shared.lock();
            let now = shared.clock.now();
            let id = inner
                .server
                .handle_accept(now, RemoteAddr { ip: peer.ip().to_string(), port: peer.port() });
            inner.handles.insert(id, handle.clone());
            inner.dispatch(&shared);
            (id, inner.server.tls_policy())
        };
        match (&acceptor, policy) {
            (Some(a), policy) if policy != TlsPolicy::Off => {
                tokio::spawn(tls::serve(stream, id, handle, shared.clone(), policy, a.clone()));
            }
            _ => conn::spawn(stream, id, handle, shared.clone()),
        }
    }
}

/// The sync threads: each runs a batch of deferred fsyncs with the engine
/// unlocked, then reports it (which releases the PubAcks it made durable
/// and lets the next batch begin). One per batch the engine keeps in
/// progress (`SYNC_BATCHES_MAX`), so two fsyncs can overlap in the device.
/// Plain threads, since fsync blocks; they end when the server's state is
/// dropped.
fn spawn_sync_thread(shared: Weak<Shared>, rx: mpsc::Receiver<SyncBatch>) -> Result<(), String> {
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..rnatsd_core::server::SYNC_BATCHES_MAX {
        let (shared, rx) = (shared.clone(), rx.clone());
        std::thread::Builder::new()
            .name(format!("rnatsd-sync-{i}"))
            .spawn(move || loop {
                let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(batch) = next else { return };
                let results = batch.run();
                let Some(shared) = shared.upgrade() else { return };
                shared.sync_finished(batch.id, results);
            })
            .map_err(|e| format!("sync thread: {e}"))?;
    }
    Ok(())
}

async fn timer_loop(shared: Arc<Shared>) {
    loop {
        let next = shared.lock().armed;
        match next {
            Some(at) => {
                let when = tokio::time::Instant::from_std(shared.clock.to_std(at));
                tokio::select! {
                    _ = tokio::time::sleep_until(when) => {}
                    _ = shared.timer_wake.notified() => continue,
                }
            }
            None => {
                shared.timer_wake.notified().await;
                continue;
            }
        }
        let mut inner = shared.lock();
        let now = shared.clock.now();
        inner.server.handle_timeout(now);
        inner.armed = None;
        inner.dispatch(&shared);
    }
}
