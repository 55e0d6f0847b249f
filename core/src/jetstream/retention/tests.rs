//! Retention with consumers and consumer persistence, through
//! [`JetStream::handle_msg`] over an in-memory storage shared by restarts.

use crate::jetstream::{JetStream, JsConfig, Outgoing, StorageFactory};
use crate::storage::{FileId, Storage, StorageError, StorageErrorKind};
use crate::time::Instant;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
// Test only: the files must outlive a `JetStream` (a restart) while the
// factory hands out `Send` storages; nothing here runs on two threads.
#[allow(clippy::disallowed_types)]
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Files {
    files: BTreeMap<String, Vec<u8>>,
    handles: BTreeMap<u64, String>,
    next: u64,
}

/// Files that outlive a [`JetStream`] (a clean restart; crashes are the
/// simulator's business).
#[derive(Clone, Default)]
#[allow(clippy::disallowed_types)]
struct Disk(Arc<Mutex<Files>>);

impl Disk {
    fn with<T>(&self, f: impl FnOnce(&mut Files) -> T) -> T {
        f(&mut self.0.lock().expect("test lock"))
    }
}

fn not_found(p: &str) -> StorageError {
    StorageError::new(StorageErrorKind::NotFound, p)
}

impl Storage for Disk {
    fn open(&mut self, path: &str, create: bool) -> Result<FileId, StorageError> {
        self.with(|d| {
            if !d.files.contains_key(path) {
                if !create {
                    return Err(not_found(path));
                }
                d.files.insert(path.to_string(), Vec::new());
            }
            d.next += 1;
            let n = d.next;
            d.handles.insert(n, path.to_string());
            Ok(FileId(n))
        })
    }
    fn close(&mut self, file: FileId) {
        self.with(|d| d.handles.remove(&file.0));
    }
    fn read_at(&mut self, f: FileId, off: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        self.with(|d| {
            let name = d.handles.get(&f.0).ok_or(not_found("handle"))?.clone();
            let data = d.files.get(&name).ok_or(not_found(&name))?;
            let off = (off as usize).min(data.len());
            let n = buf.len().min(data.len() - off);
            buf[..n].copy_from_slice(&data[off..off + n]);
            Ok(n)
        })
    }
    fn write_at(&mut self, f: FileId, off: u64, src: &[u8]) -> Result<(), StorageError> {
        self.with(|d| {
            let name = d.handles.get(&f.0).ok_or(not_found("handle"))?.clone();
            let data = d.files.get_mut(&name).ok_or(not_found(&name))?;
            let end = off as usize + src.len();
            if data.len() < end {
                data.resize(end, 0);
            }
            data[off as usize..end].copy_from_slice(src);
            Ok(())
        })
    }
    fn append(&mut self, f: FileId, src: &[u8]) -> Result<u64, StorageError> {
        let at = self.len(f)?;
        self.write_at(f, at, src)?;
        Ok(at)
    }
    fn len(&mut self, f: FileId) -> Result<u64, StorageError> {
        self.with(|d| {
            let name = d.handles.get(&f.0).ok_or(not_found("handle"))?;
            Ok(d.files.get(name).map_or(0, |v| v.len() as u64))
        })
    }
    fn truncate(&mut self, f: FileId, len: u64) -> Result<(), StorageError> {
        self.with(|d| {
            let name = d.handles.get(&f.0).ok_or(not_found("handle"))?.clone();
            d.files
                .get_mut(&name)
                .ok_or(not_found(&name))?
                .resize(len as usize, 0);
            Ok(())
        })
    }
    fn sync(&mut self, _f: FileId) -> Result<(), StorageError> {
        Ok(())
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), StorageError> {
        self.with(|d| {
            let v = d.files.remove(from).ok_or(not_found(from))?;
            d.files.insert(to.to_string(), v);
            Ok(())
        })
    }
    fn remove(&mut self, path: &str) -> Result<(), StorageError> {
        self.with(|d| d.files.remove(path));
        Ok(())
    }
    fn sync_dir(&mut self, _dir: &str) -> Result<(), StorageError> {
        Ok(())
    }
    fn list(&mut self, dir: &str) -> Result<Vec<String>, StorageError> {
        let prefix = format!("{dir}/");
        Ok(self.with(|d| {
            let mut out = BTreeSet::new();
            for k in d.files.keys() {
                if let Some(rest) = k.strip_prefix(&prefix) {
                    match rest.find('/') {
                        Some(i) => out.insert(format!("{}/", &rest[..i])),
                        None => out.insert(rest.to_string()),
                    };
                }
            }
            out.into_iter().collect()
        }))
    }
}

const WALL: i64 = 1_700_000_000_000_000_000;

struct Js {
    js: JetStream,
    now: u64,
}

impl Js {
    fn boot(disk: &Disk, now: u64) -> Js {
        let d = disk.clone();
        let factory: StorageFactory = Box::new(move |_| Box::new(d.clone()));
        let at = Instant::from_nanos(now);
        let js = JetStream::new(JsConfig::default(), factory, at, WALL + now as i64).unwrap();
        assert!(
            js.recovery_warnings().is_empty(),
            "{:?}",
            js.recovery_warnings()
        );
        Js { js, now }
    }

    fn step(&mut self, subject: &str, reply: Option<&str>, body: &[u8]) -> Vec<Outgoing> {
        self.now += 1_000_000;
        let at = Instant::from_nanos(self.now);
        let wall = WALL + self.now as i64;
        let mut out = self.js.handle_msg(
            at,
            wall,
            subject.as_bytes(),
            reply.map(str::as_bytes),
            None,
            body,
        );
        if self.js.wants_flush() {
            out.extend(self.js.flush(at));
        }
        out
    }

    fn api(&mut self, subject: &str, body: &str) -> Value {
        let out = self.step(subject, Some("_R"), body.as_bytes());
        let r = out
            .iter()
            .find(|o| &o.subject[..] == b"_R")
            .expect("an API reply");
        serde_json::from_slice(&r.payload).unwrap()
    }

    fn publish(&mut self, subject: &str, body: &str) {
        self.step(subject, None, body.as_bytes());
    }

    /// Pulls up to `n` with no_wait: (stream seq, ack subject, dc).
    fn pull(&mut self, consumer: &str, n: u64) -> Vec<(u64, String, u64)> {
        let body = format!("{{\"batch\":{n},\"no_wait\":true}}");
        let out = self.step(
            &format!("$JS.API.CONSUMER.MSG.NEXT.S.{consumer}"),
            Some("_P"),
            body.as_bytes(),
        );
        out.iter()
            .filter_map(|o| {
                let ack = std::str::from_utf8(o.reply.as_ref()?).ok()?.to_string();
                let t: Vec<&str> = ack.split('.').collect();
                Some((t[5].parse().ok()?, ack.clone(), t[4].parse().ok()?))
            })
            .collect()
    }

    fn msgs(&self) -> u64 {
        self.js.stream("S").unwrap().state().msgs
    }

    fn advance(&mut self, secs: u64) {
        self.now += secs * 1_000_000_000;
        let at = Instant::from_nanos(self.now);
        self.js.handle_timeout(at, WALL + self.now as i64);
    }
}

fn stream(js: &mut Js, retention: &str) {
    let cfg = format!("{{\"name\":\"S\",\"subjects\":[\"s.>\"],\"retention\":\"{retention}\"}}");
    let v = js.api("$JS.API.STREAM.CREATE.S", &cfg);
    assert!(v.get("error").is_none(), "{v}");
}

fn consumer(js: &mut Js, name: &str, extra: &str) -> Value {
    let cfg =
        format!("{{\"stream_name\":\"S\",\"config\":{{\"durable_name\":\"{name}\"{extra}}}}}");
    js.api(&format!("$JS.API.CONSUMER.CREATE.S.{name}"), &cfg)
}

fn err_code(v: &Value) -> u64 {
    v["error"]["err_code"].as_u64().unwrap_or(0)
}

/// Go's TestJetStreamWorkQueueRetentionStream: the consumer rules of a
/// workqueue stream, and an ack removes the message.
#[test]
fn test_jet_stream_work_queue_retention_stream() {
    let disk = Disk::default();
    let mut js = Js::boot(&disk, 0);
    stream(&mut js, "workqueue");
    let v = consumer(&mut js, "A", ",\"ack_policy\":\"none\"");
    assert_eq!(err_code(&v), 10098, "explicit ack required: {v}");
    let v = consumer(&mut js, "A", ",\"deliver_policy\":\"new\"");
    assert_eq!(err_code(&v), 10101, "deliver all required: {v}");
    let v = consumer(&mut js, "A", ",\"filter_subject\":\"s.a.>\"");
    assert!(v.get("error").is_none(), "{v}");
    let v = consumer(&mut js, "B", "");
    assert_eq!(err_code(&v), 10099, "a second unfiltered consumer: {v}");
    let v = consumer(&mut js, "B", ",\"filter_subject\":\"s.*.x\"");
    assert_eq!(err_code(&v), 10100, "overlapping filters: {v}");
    let v = consumer(&mut js, "B", ",\"filter_subject\":\"s.b\"");
    assert!(v.get("error").is_none(), "{v}");
    for i in 0..4 {
        js.publish("s.a.x", &format!("a{i}"));
    }
    js.publish("s.c", "nobody");
    assert_eq!(js.msgs(), 5);
    let got = js.pull("A", 10);
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    js.step(&got[1].1, None, b"+ACK");
    js.step(&got[3].1, None, b"-NAK");
    js.step(&got[0].1, None, b"+TERM");
    assert_eq!(js.msgs(), 3, "acked and terminated messages are removed");
    let state = js.js.stream("S").unwrap().state();
    // 3 and the nak'ed 4 wait, and so does 5, which no consumer selects.
    assert_eq!((state.first_seq, state.last_seq), (3, 5));
}

/// Go's TestJetStreamInterestRetentionStream: without consumers nothing is
/// kept; with two, a message goes once both acked it.
#[test]
fn test_jet_stream_interest_retention_stream() {
    let disk = Disk::default();
    let mut js = Js::boot(&disk, 0);
    stream(&mut js, "interest");
    js.publish("s.x", "dropped");
    assert_eq!(js.msgs(), 0, "no interest: not stored");
    assert!(consumer(&mut js, "A", "").get("error").is_none());
    assert!(consumer(&mut js, "B", ",\"filter_subject\":\"s.x\"")
        .get("error")
        .is_none());
    js.publish("s.x", "both");
    js.publish("s.y", "only A");
    assert_eq!(js.msgs(), 2);
    let a = js.pull("A", 10);
    let b = js.pull("B", 10);
    assert_eq!(a.iter().map(|g| g.0).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(b.iter().map(|g| g.0).collect::<Vec<_>>(), vec![2]);
    js.step(&a[0].1, None, b"+ACK");
    assert_eq!(js.msgs(), 2, "B still needs 2");
    js.step(&b[0].1, None, b"+ACK");
    assert_eq!(js.msgs(), 1, "both acked 2");
    js.step(&a[1].1, None, b"+ACK");
    assert_eq!(js.msgs(), 0, "only A wanted 3");
    // Deleting the last interested consumer frees what it held.
    js.publish("s.y", "A again");
    assert_eq!(js.msgs(), 1);
    let v = js.api("$JS.API.CONSUMER.DELETE.S.A", "");
    assert_eq!(v["success"], true, "{v}");
    assert_eq!(js.msgs(), 0);
}

/// An ephemeral consumer of an interest stream that goes away for
/// inactivity takes the messages only it wanted with it.
#[test]
fn interest_messages_go_with_an_expired_ephemeral() {
    let disk = Disk::default();
    let mut js = Js::boot(&disk, 0);
    stream(&mut js, "interest");
    let cfg = "{\"stream_name\":\"S\",\"config\":{\"inactive_threshold\":1000000000}}";
    let v = js.api("$JS.API.CONSUMER.CREATE.S", cfg);
    assert!(v.get("error").is_none(), "{v}");
    js.publish("s.x", "wanted");
    assert_eq!(js.msgs(), 1);
    js.advance(2);
    assert_eq!(js.js.consumer_count("S"), 0, "the ephemeral expired");
    assert_eq!(js.msgs(), 0);
}

/// A double ack is answered only by the flush that made it durable, and a
/// durable consumer comes back after a restart where it stopped: nothing
/// acked again, nothing unacked skipped, delivery counts kept.
#[test]
fn durable_consumer_resumes_after_restart() {
    let disk = Disk::default();
    let mut js = Js::boot(&disk, 0);
    stream(&mut js, "limits");
    assert!(consumer(&mut js, "D", ",\"ack_wait\":5000000000")
        .get("error")
        .is_none());
    // An ephemeral consumer is not persisted.
    let v = js.api(
        "$JS.API.CONSUMER.CREATE.S",
        "{\"stream_name\":\"S\",\"config\":{}}",
    );
    assert!(v.get("error").is_none(), "{v}");
    for i in 0..6 {
        js.publish("s.x", &format!("m{i}"));
    }
    let got = js.pull("D", 4);
    assert_eq!(got.len(), 4);
    let at = Instant::from_nanos(js.now);
    let out = js
        .js
        .handle_msg(at, WALL, got[0].1.as_bytes(), Some(b"_A"), None, b"+ACK");
    assert!(
        out.iter().all(|o| &o.subject[..] != b"_A"),
        "the ack reply waits for the flush"
    );
    assert!(js.js.wants_flush());
    let out = js.js.flush(at);
    assert!(
        out.iter().any(|o| &o.subject[..] == b"_A"),
        "released by the flush"
    );
    js.step(&got[2].1, Some("_A"), b"+ACK");
    let seen = js.now;
    drop(js);

    let mut js = Js::boot(&disk, seen + 1_000_000_000);
    assert_eq!(js.js.consumer_count("S"), 1, "only the durable comes back");
    let c = js.js.consumer("S", "D").unwrap();
    let st = c.ack_state();
    assert_eq!(st.ack_floor.stream, 1);
    assert_eq!(st.pending.keys().copied().collect::<Vec<_>>(), vec![2, 4]);
    let fresh = js.pull("D", 10);
    assert_eq!(
        fresh.iter().map(|g| g.0).collect::<Vec<_>>(),
        vec![5, 6],
        "new ones first"
    );
    js.advance(6);
    let again = js.pull("D", 10);
    assert_eq!(
        again.iter().map(|g| (g.0, g.2)).collect::<Vec<_>>(),
        vec![(2, 2), (4, 2), (5, 2), (6, 2)]
    );
}
