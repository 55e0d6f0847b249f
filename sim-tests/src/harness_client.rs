//! The simulated clients' side of [`Sim`]: connecting, acting, reading
//! what the server sent, and moving bytes between the server and the net.

use super::*;

impl Sim {
    pub(super) fn connect(&mut self) {
        let now = self.now();
        let stream = self.net.connect();
        let account = if self.work.accounts > 0 { Some(self.clients.len() % self.work.accounts as usize) } else { None };
        let k = self.model.add_client_in(account.unwrap_or(0));
        let port = 40_000 + k as u16;
        let conn = self.server.handle_accept(
            self.server_now(),
            RemoteAddr {
                ip: format!("10.0.0.{}", k % 250),
                port,
            },
        );
        self.trace
            .record(now, conn.0, "accept", &port.to_le_bytes());
        let headers = self.prng.below(4) != 0;
        let no_responders = headers && self.prng.below(2) == 0;
        assert_eq!(k, self.clients.len());
        self.clients.push(Client {
            stream,
            conn,
            open: true,
            server_open: true,
            done: false,
            inbuf: BytesMut::new(),
            sent: 0,
            delivered: 0,
            pending: VecDeque::new(),
            next_sid: 1,
            subs: Vec::new(),
            headers,
            blocked: false,
            final_ping_sent: false,
        });
        self.conn_owner.insert(conn, k);
        self.drain_events();
        let creds = account.map(|a| (format!("u{a}"), "p".to_string()));
        self.send(
            k,
            wire::connect_as(headers, no_responders, creds.as_ref().map(|(u, p)| (u.as_str(), p.as_str()))),
            ClientOp::Connect {
                headers,
                no_responders,
            },
        );
        let gap = self.gap();
        self.schedule(now + gap, Ev::Act(k));
    }

    /// Time until a client's next action: usually short, sometimes a
    /// think pause of up to `think_max` (real clients are bursty).
    fn gap(&mut self) -> Duration {
        let max = if self.prng.below(20) == 0 {
            self.work.think_max
        } else {
            self.work.act_gap_max
        };
        Duration::from_nanos(range_inclusive(&mut self.prng, 0, max.as_nanos() as u64))
    }

    /// Writes `bytes` (one op) toward the server.
    pub(super) fn send(&mut self, k: usize, bytes: Vec<u8>, op: ClientOp) {
        let c = &mut self.clients[k];
        if !c.open {
            return;
        }
        let now = self.queue.now();
        let (stream, conn) = (c.stream, c.conn);
        match self.net.send(now, stream, Dir::ToServer, &bytes) {
            Sent::Arrives(times) => {
                let c = &mut self.clients[k];
                c.sent += bytes.len() as u64;
                c.pending.push_back((c.sent, op));
                self.trace.record(now, conn.0, "client-send", &bytes);
                for at in times {
                    self.schedule(at, Ev::ServerRead(k));
                }
            }
            Sent::Reset => self.lost_connection(k),
        }
    }

    /// The client's stream is gone: the server hears of it now.
    pub(super) fn lost_connection(&mut self, k: usize) {
        let now = self.now();
        let c = &mut self.clients[k];
        c.open = false;
        c.done = true;
        self.net.reset(c.stream);
        if c.server_open {
            c.server_open = false;
            let conn = c.conn;
            self.trace.record(now, conn.0, "disconnect", &[]);
            self.server.handle_disconnect(self.server_now(), conn);
            self.model.disconnected(k, false);
            self.drain_events();
        }
        if (self.clients.len() as u64) < self.work.clients_max && now < self.run_until {
            let gap = self.gap();
            self.schedule(now + gap, Ev::Connect);
        }
    }

    pub(super) fn act(&mut self, k: usize) {
        let now = self.now();
        if self.clients[k].done || !self.clients[k].open {
            return;
        }
        if now >= self.run_until {
            if !self.clients[k].final_ping_sent {
                self.clients[k].final_ping_sent = true;
                self.send(k, b"PING\r\n".to_vec(), ClientOp::Ping);
            }
            return;
        }
        let roll = self.prng.below(1000);
        match roll {
            0..=349 => self.act_pub(k, None),
            350..=449 => self.act_sub(k),
            450..=529 => self.act_unsub(k),
            530..=629 => self.act_request(k),
            630..=699 => self.send(k, b"PING\r\n".to_vec(), ClientOp::Ping),
            700..=704 => {
                self.trace
                    .record(now, self.clients[k].conn.0, "client-close", &[]);
                self.lost_connection(k);
                return;
            }
            _ => {
                if self.work.garbage.sample(&mut self.prng) {
                    self.act_garbage(k);
                    return;
                }
                self.act_pub(k, None);
            }
        }
        let gap = self.gap();
        self.schedule(now + gap, Ev::Act(k));
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.prng.below(from.len() as u64) as usize]
    }

    fn act_pub(&mut self, k: usize, reply: Option<String>) {
        let subject = self.pick(&SUBJECTS).to_string();
        self.publish(k, subject, reply, None);
    }

    /// Publishes a new message; `about` names the request being answered.
    fn publish(&mut self, k: usize, subject: String, reply: Option<String>, about: Option<usize>) {
        let id = self.model.msgs.len();
        let mut payload = format!("m{id}.").into_bytes();
        if let Some(r) = about {
            payload.extend_from_slice(format!("re{r}.").as_bytes());
        }
        let filler = match self.prng.below(20) {
            0 => range_inclusive(&mut self.prng, 0, 8_000),
            _ => range_inclusive(&mut self.prng, 0, 64),
        };
        payload.extend((0..filler).map(|i| b'a' + (i % 26) as u8));
        let headers = (self.clients[k].headers && self.prng.below(4) == 0)
            .then(|| Bytes::from(format!("NATS/1.0\r\nX-Id: {id}\r\n\r\n")));
        let bytes = wire::publish(&subject, reply.as_deref(), headers.as_deref(), &payload);
        let rec = MsgRecord {
            publisher: k,
            subject,
            reply,
            headers,
            payload: payload.into(),
            processed: None,
        };
        let msg = self.model.new_msg(rec);
        self.send(k, bytes, ClientOp::Pub { msg });
    }

    fn act_sub(&mut self, k: usize) {
        let filter = self.pick(&FILTERS).to_string();
        let queue = (self.prng.below(3) == 0).then(|| self.pick(&QUEUES).to_string());
        let c = &mut self.clients[k];
        let sid = c.next_sid;
        c.next_sid += 1;
        c.subs.push((sid, filter.clone(), queue.clone(), false));
        let bytes = wire::sub(&filter, queue.as_deref(), sid);
        self.send(
            k,
            bytes,
            ClientOp::Sub {
                sid,
                subject: filter,
                queue,
            },
        );
    }

    fn act_unsub(&mut self, k: usize) {
        let n = self.clients[k].subs.len() as u64;
        if n == 0 {
            return self.act_sub(k);
        }
        let i = self.prng.below(n) as usize;
        let (sid, _, queue, _) = self.clients[k].subs[i].clone();
        // Auto-unsubscribe only on plain subscriptions: which queue member
        // gets a message is the server's random choice, so the model could
        // not count a queue member's deliveries toward its max.
        let max = (queue.is_none() && self.prng.below(2) == 0)
            .then(|| range_inclusive(&mut self.prng, 1, 3));
        if max.is_none() {
            self.clients[k].subs.remove(i);
        }
        self.send(k, wire::unsub(sid, max), ClientOp::Unsub { sid, max });
    }

    fn act_request(&mut self, k: usize) {
        let c = &mut self.clients[k];
        let sid = c.next_sid;
        c.next_sid += 1;
        let inbox = format!("_INBOX.c{k}.{sid}");
        c.subs.push((sid, inbox.clone(), None, true));
        self.send(
            k,
            wire::sub(&inbox, None, sid),
            ClientOp::Sub {
                sid,
                subject: inbox.clone(),
                queue: None,
            },
        );
        let subject = self.pick(&SUBJECTS).to_string();
        self.publish(k, subject, Some(inbox), None);
    }

    fn act_garbage(&mut self, k: usize) {
        let lead = [b'X', b'#', b'Z', 0u8, 0xff][self.prng.below(5) as usize];
        let mut bytes = vec![lead];
        let n = range_inclusive(&mut self.prng, 0, 40);
        bytes.extend((0..n).map(|_| (self.prng.below(95) as u8) + 0x20));
        bytes.extend_from_slice(b"\r\n");
        self.clients[k].done = true;
        self.model.garbage_sent(k);
        self.send(k, bytes, ClientOp::Garbage);
    }

    pub(super) fn client_read(&mut self, k: usize) {
        let now = self.now();
        let stream = self.clients[k].stream;
        match self.net.recv(now, stream, Dir::ToClient) {
            Received::Data(bytes, next) => {
                self.trace
                    .record(now, self.clients[k].conn.0, "client-read", &bytes);
                self.clients[k].inbuf.extend_from_slice(&bytes);
                self.client_decode(k);
                if let Some(at) = next {
                    self.schedule(at, Ev::ClientRead(k));
                }
                if self.clients[k].blocked {
                    self.flush(k, false);
                    self.drain_events();
                }
            }
            Received::Stalled(until) => self.schedule(until, Ev::ClientRead(k)),
            Received::Nothing => {}
            Received::Reset => {
                if self.clients[k].open {
                    self.lost_connection(k);
                }
            }
        }
    }

    fn client_decode(&mut self, k: usize) {
        loop {
            let op = match wire::decode(&mut self.clients[k].inbuf) {
                Ok(Some(op)) => op,
                Ok(None) => return,
                Err(e) => {
                    self.model_violation(format!("client {k}: undecodable server output: {}", e.0));
                    self.clients[k].inbuf.clear();
                    return;
                }
            };
            match op {
                ServerOp::Info(_) => self.model.on_info(k),
                ServerOp::Ping => {
                    self.model.on_other(k);
                    self.send(k, b"PONG\r\n".to_vec(), ClientOp::Pong);
                }
                ServerOp::Pong => self.model.on_pong(k),
                ServerOp::Ok => self.model.on_other(k),
                ServerOp::Err(text) => self.model.on_err(k, &text),
                ServerOp::Msg {
                    subject,
                    sid,
                    reply,
                    headers,
                    payload,
                } => {
                    self.model.on_msg(
                        k,
                        sid,
                        &subject,
                        reply.as_deref(),
                        headers.as_deref(),
                        &payload,
                    );
                    let inbox = self.clients[k].subs.iter().any(|s| s.0 == sid && s.3);
                    if let (Some(reply), false) = (reply, inbox) {
                        let about = crate::checkers::delivery::parse_msg_id(&payload);
                        if !self.clients[k].done {
                            self.publish(k, reply, None, about);
                        }
                    }
                }
            }
        }
    }

    pub(super) fn server_read(&mut self, k: usize) {
        let now = self.now();
        let stream = self.clients[k].stream;
        if !self.clients[k].server_open {
            return;
        }
        match self.net.recv(now, stream, Dir::ToServer) {
            Received::Data(bytes, next) => {
                let conn = self.clients[k].conn;
                self.trace.record(now, conn.0, "server-read", &bytes);
                self.server.handle_read(self.server_now(), conn, &bytes);
                let c = &mut self.clients[k];
                c.delivered += bytes.len() as u64;
                let mut done = Vec::new();
                while c
                    .pending
                    .front()
                    .is_some_and(|(end, _)| *end <= c.delivered)
                {
                    done.push(c.pending.pop_front().expect("front checked").1);
                }
                for op in &done {
                    self.model.apply(k, op);
                }
                self.drain_events();
                if let Some(at) = next {
                    self.schedule(at, Ev::ServerRead(k));
                }
            }
            Received::Stalled(until) => self.schedule(until, Ev::ServerRead(k)),
            Received::Nothing => {}
            Received::Reset => {
                if self.clients[k].server_open {
                    self.lost_connection(k);
                }
            }
        }
    }

    /// Handles every event the server queued.
    pub(super) fn drain_events(&mut self) {
        while let Some(ev) = self.server.poll_event() {
            let now = self.now();
            match ev {
                Event::Transmit(conn) => {
                    let Some(&k) = self.conn_owner.get(&conn) else {
                        continue;
                    };
                    self.flush(k, false);
                }
                Event::Close(conn) => {
                    let Some(&k) = self.conn_owner.get(&conn) else {
                        continue;
                    };
                    self.flush(k, true);
                    self.trace.record(now, conn.0, "server-close", &[]);
                    let c = &mut self.clients[k];
                    self.net.shutdown(c.stream);
                    c.open = false;
                    c.done = true;
                    if c.server_open {
                        c.server_open = false;
                        self.server.handle_disconnect(self.server_now(), conn);
                        self.model.disconnected(k, true);
                    }
                }
            }
        }
    }

    /// Moves the server's pending output for client `k` into the net,
    /// unless the client is `CLIENT_WINDOW` behind (and not `force`).
    pub(super) fn flush(&mut self, k: usize, force: bool) {
        let now = self.now();
        let c = &mut self.clients[k];
        if !c.server_open {
            return;
        }
        if !force && self.net.in_flight(c.stream, Dir::ToClient) >= CLIENT_WINDOW {
            c.blocked = true;
            return;
        }
        c.blocked = false;
        let (stream, conn) = (c.stream, c.conn);
        self.out.clear();
        if self.server.poll_transmit(conn, &mut self.out) == 0 {
            return;
        }
        self.trace.record(now, conn.0, "server-send", &self.out);
        match self.net.send(now, stream, Dir::ToClient, &self.out) {
            Sent::Arrives(times) => {
                for at in times {
                    self.schedule(at, Ev::ClientRead(k));
                }
            }
            Sent::Reset => {
                let c = &mut self.clients[k];
                c.open = false;
                c.done = true;
                if c.server_open {
                    c.server_open = false;
                    self.trace.record(now, conn.0, "disconnect", &[]);
                    self.server.handle_disconnect(self.server_now(), conn);
                    self.model.disconnected(k, false);
                }
            }
        }
    }
}
