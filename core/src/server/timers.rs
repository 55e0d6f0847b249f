//! The engine's timer table: a min-heap of (deadline, connection, kind).
//! Entries are invalidated lazily: a connection keeps its current deadline
//! per kind, and a popped entry that no longer matches is ignored.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::time::Instant;

use super::ConnId;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKind {
    /// Send a PING, or cut a stale connection.
    Ping,
    /// CONNECT did not arrive in time.
    Auth,
    /// Lame-duck mode: close the next client (a server-wide timer).
    LameDuck,
    /// The TLS handshake did not finish in time.
    Tls,
    /// Service import responses past their threshold (a server-wide timer).
    Responses,
    /// A JWT user's expiry (operator mode).
    JwtExpire,
    /// An account JWT's expiry (operator mode, a server-wide timer).
    AccountExpire,
    /// The STATSZ heartbeat in the system account (a server-wide timer).
    Statsz,
}

#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, ConnId, TimerKind)>>,
}

impl Timers {
    pub fn schedule(&mut self, at: Instant, id: ConnId, kind: TimerKind) {
        self.heap.push(Reverse((at, id, kind)));
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Pops one entry due at `now`, if any.
    pub fn pop_due(&mut self, now: Instant) -> Option<(ConnId, TimerKind)> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => {
                let Reverse((_, id, kind)) = self.heap.pop()?;
                Some((id, kind))
            }
            _ => None,
        }
    }
}
