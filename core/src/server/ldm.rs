//! Lame-duck mode (Go's `lameDuckMode`, server.go): stop accepting, tell
//! clients with an async INFO carrying `"ldm":true`, wait
//! `lame_duck_grace_period`, then close the clients one by one spread
//! over what remains of `lame_duck_duration`, at random intervals of at
//! least half the even share (at most 1 s apart). The schedule runs on the
//! engine's timers; the adapter stops its accept loop, and shuts the
//! server down once [`Server::lame_duck_complete`] is true.

use std::time::Duration;

use crate::time::Instant;

use super::client::CloseReason;
use super::connect::CLIENT_PROTO_INFO;
use super::timers::TimerKind;
use super::{ConnId, Server};

/// The timer table is keyed by connection; server-wide timers use this id,
/// which no connection has (cids start at 1).
pub(super) const SERVER_TIMER_ID: ConnId = ConnId(0);

#[derive(Debug)]
pub(super) struct LameDuck {
    /// The clients to close, captured on entry, in cid order.
    clients: Vec<ConnId>,
    next: usize,
    /// The even share of the duration per client, in nanoseconds (>= 1).
    interval_nanos: u64,
    /// Close this many clients between two waits.
    batch: usize,
    pub(super) deadline: Option<Instant>,
    closing_started: bool,
    complete: bool,
}

impl Server {
    /// Enters lame-duck mode. Returns false (and does nothing) when the
    /// server is already in lame-duck mode or shutting down.
    pub fn handle_lame_duck(&mut self, now: Instant) -> bool {
        if self.shutting_down || self.ldm.is_some() {
            return false;
        }
        tracing::info!("Entering lame duck mode, stop accepting new clients");
        let mut clients: Vec<ConnId> = self.conns.values().filter(|c| !c.is_closing()).map(|c| c.id).collect();
        clients.sort_unstable();
        let grace = self.opts.lame_duck_grace_period;
        let mut dur = self.opts.lame_duck_duration.saturating_sub(grace).as_nanos() as u64;
        if dur == 0 {
            dur = Duration::from_secs(1).as_nanos() as u64;
        }
        let n = clients.len() as u64;
        let mut batch = 1usize;
        let mut si = dur.checked_div(n).unwrap_or(0);
        if si < 1 {
            si = 1;
            batch = usize::try_from(n / dur).unwrap_or(usize::MAX).max(1);
        } else if si > 1_000_000_000 {
            si = 1_000_000_000;
        }
        let complete = clients.is_empty();
        let deadline = if complete { None } else { Some(now + grace) };
        self.ldm = Some(LameDuck {
            clients,
            next: 0,
            interval_nanos: si,
            batch,
            deadline,
            closing_started: false,
            complete,
        });
        if let Some(at) = deadline {
            self.send_ldm_to_clients();
            self.timers.schedule(at, SERVER_TIMER_ID, TimerKind::LameDuck);
        }
        self.debug_check();
        true
    }

    /// True once lame-duck mode has closed every client it started with.
    pub fn lame_duck_complete(&self) -> bool {
        self.ldm.as_ref().is_some_and(|l| l.complete)
    }

    pub fn in_lame_duck_mode(&self) -> bool {
        self.ldm.is_some()
    }

    /// Go's `sendLDMToClients`: an async INFO with `ldm` to every client
    /// that accepts async INFO (protocol >= 1, CONNECT seen).
    fn send_ldm_to_clients(&mut self) {
        let mut ids: Vec<ConnId> = self
            .conns
            .values()
            .filter(|c| !c.is_closing() && c.connect_received && c.opts.protocol >= CLIENT_PROTO_INFO)
            .map(|c| c.id)
            .collect();
        ids.sort_unstable();
        let mut info = self.info.clone();
        info.ldm = true;
        for id in ids {
            let Some(c) = self.conns.get_mut(&id) else { continue };
            info.client_id = id.0;
            info.client_ip = c.ip.clone();
            c.outbound.extend_from_slice(&info.to_proto());
            self.want_transmit(id);
        }
    }

    pub(super) fn on_lame_duck_timer(&mut self, now: Instant) {
        let Some(l) = self.ldm.as_mut() else { return };
        match l.deadline {
            Some(d) if d <= now => l.deadline = None,
            _ => return,
        }
        if !l.closing_started {
            l.closing_started = true;
            tracing::info!("Closing existing clients");
        }
        loop {
            let Some(l) = self.ldm.as_mut() else { return };
            let total = l.clients.len();
            if l.next >= total {
                l.complete = true;
                return;
            }
            let i = l.next;
            let id = l.clients[i];
            l.next += 1;
            let (si, batch) = (l.interval_nanos, l.batch);
            self.close_conn(id, CloseReason::ServerShutdown, true);
            if i == total - 1 {
                if let Some(l) = self.ldm.as_mut() {
                    l.complete = true;
                }
                return;
            }
            if batch == 1 || i % batch == 0 {
                let v = self.prng.below(si).max(si / 2);
                let at = now + Duration::from_nanos(v);
                if let Some(l) = self.ldm.as_mut() {
                    l.deadline = Some(at);
                }
                self.timers.schedule(at, SERVER_TIMER_ID, TimerKind::LameDuck);
                return;
            }
        }
    }
}
