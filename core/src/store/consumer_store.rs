//! Per-consumer state (Go's `ConsumerStore`, `consumerMemStore` and the
//! file store's `o.dat`): delivered and ack-floor sequence pairs, pending
//! acks and redelivery counts, with the update rules of Go's
//! `UpdateDelivered` / `UpdateAcks`, and a checksummed encoding persisted by
//! atomic replace through the storage trait.

use super::StoreError;
use crate::storage::{parent_dir, Storage, StorageErrorKind};
use crate::time::UnixNanos;
use std::collections::BTreeMap;

/// A consumer and a stream sequence (Go's `SequencePair`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SequencePair {
    pub consumer: u64,
    pub stream: u64,
}

/// A delivered, unacked message (Go's `Pending`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    /// The consumer sequence of the original delivery.
    pub sequence: u64,
    pub timestamp: UnixNanos,
}

/// Go's `ConsumerState`. `pending` and `redelivered` are keyed by stream
/// sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerState {
    pub delivered: SequencePair,
    pub ack_floor: SequencePair,
    pub pending: BTreeMap<u64, Pending>,
    pub redelivered: BTreeMap<u64, u64>,
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum AckPolicy {
    None,
    All,
    #[default]
    Explicit,
}

/// The state store of one consumer.
#[derive(Clone, Debug, Default)]
pub struct ConsumerStore {
    pub ack_policy: AckPolicy,
    /// Go's `MaxDeliver` (0 or negative: unlimited).
    pub max_deliver: i64,
    state: ConsumerState,
}

impl ConsumerStore {
    pub fn new(ack_policy: AckPolicy, max_deliver: i64) -> ConsumerStore {
        ConsumerStore {
            ack_policy,
            max_deliver,
            state: ConsumerState::default(),
        }
    }

    pub fn state(&self) -> &ConsumerState {
        &self.state
    }

    /// Replaces the state (Go's `Update`), refusing an inconsistent or an
    /// older one.
    pub fn update(&mut self, state: ConsumerState) -> Result<(), StoreError> {
        check_state(&state)?;
        if state.delivered.consumer < self.state.delivered.consumer
            || state.ack_floor.stream < self.state.ack_floor.stream
        {
            return Err(StoreError::BadRequest("old update".into()));
        }
        self.state = state;
        Ok(())
    }

    /// Go's `UpdateDelivered`: message `sseq` went out as delivery `dseq`
    /// for the `dc`-th time at `ts`.
    pub fn update_delivered(
        &mut self,
        dseq: u64,
        sseq: u64,
        dc: u64,
        ts: UnixNanos,
    ) -> Result<(), StoreError> {
        let st = &mut self.state;
        if dc != 1 && self.ack_policy == AckPolicy::None {
            return Err(StoreError::BadRequest("no ack policy".into()));
        }
        if dseq <= st.ack_floor.consumer {
            return Ok(());
        }
        if self.ack_policy == AckPolicy::None {
            if dseq > st.delivered.consumer {
                st.delivered.consumer = dseq;
                st.ack_floor.consumer = dseq;
            }
            if sseq > st.delivered.stream {
                st.delivered.stream = sseq;
                st.ack_floor.stream = sseq;
            }
            return Ok(());
        }
        if sseq <= st.delivered.stream {
            if let Some(p) = st.pending.get_mut(&sseq) {
                p.timestamp = ts;
            }
        } else {
            st.pending.insert(
                sseq,
                Pending {
                    sequence: dseq,
                    timestamp: ts,
                },
            );
        }
        st.delivered.consumer = st.delivered.consumer.max(dseq);
        st.delivered.stream = st.delivered.stream.max(sseq);
        if dc > 1 {
            if self.max_deliver > 0 && dc > self.max_deliver as u64 {
                st.pending.remove(&sseq);
            }
            let r = st.redelivered.entry(sseq).or_default();
            *r = (*r).max(dc - 1);
        }
        Ok(())
    }

    /// Go's `UpdateAcks`: delivery `dseq` of stream sequence `sseq` was
    /// acked.
    pub fn update_acks(&mut self, dseq: u64, sseq: u64) -> Result<(), StoreError> {
        if self.ack_policy == AckPolicy::None {
            return Err(StoreError::BadRequest("no ack policy".into()));
        }
        let st = &mut self.state;
        st.redelivered.remove(&sseq);
        if dseq <= st.ack_floor.consumer {
            return Ok(());
        }
        let Some(p) = st.pending.get(&sseq).copied() else {
            return Err(StoreError::MsgNotFound);
        };
        if self.ack_policy == AckPolicy::All {
            st.ack_floor = SequencePair {
                consumer: dseq,
                stream: sseq,
            };
            let acked: Vec<u64> = st.pending.range(..=sseq).map(|(s, _)| *s).collect();
            for s in acked {
                st.pending.remove(&s);
                st.redelivered.remove(&s);
            }
            return Ok(());
        }
        st.pending.remove(&sseq);
        let dseq = if dseq > p.sequence && p.sequence > 0 {
            p.sequence
        } else {
            dseq
        };
        if st.pending.is_empty() {
            st.ack_floor = st.delivered;
        } else if dseq == st.ack_floor.consumer + 1 {
            st.ack_floor = SequencePair {
                consumer: dseq,
                stream: sseq,
            };
            // The floor moves up to just below the oldest still pending.
            if let Some((ss, p)) = st.pending.range(sseq + 1..).next() {
                if p.sequence > 0 {
                    st.ack_floor = SequencePair {
                        consumer: p.sequence - 1,
                        stream: ss - 1,
                    };
                }
            }
        }
        Ok(())
    }

    /// Writes the state to `path` by atomic replace (tmp, sync, rename,
    /// sync_dir): after `Ok`, it is durable.
    pub fn save(&self, storage: &mut dyn Storage, path: &str) -> Result<(), StoreError> {
        let tmp = format!("{path}.tmp");
        let f = storage.open(&tmp, true)?;
        let bytes = encode_state(&self.state);
        let res = storage
            .truncate(f, 0)
            .and_then(|_| storage.write_at(f, 0, &bytes))
            .and_then(|_| storage.sync(f));
        storage.close(f);
        res?;
        storage.rename(&tmp, path)?;
        storage.sync_dir(parent_dir(path))?;
        Ok(())
    }

    /// Loads the state saved at `path`; `Ok(None)` if there is none. A
    /// damaged file is an error, never a silently reset state.
    pub fn load(
        storage: &mut dyn Storage,
        path: &str,
    ) -> Result<Option<ConsumerState>, StoreError> {
        let f = match storage.open(path, false) {
            Ok(f) => f,
            Err(e) if e.kind == StorageErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let len = storage.len(f)?;
        let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX).min(64 << 20)];
        let mut done = 0;
        while done < buf.len() {
            let n = storage.read_at(f, done as u64, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
        }
        storage.close(f);
        buf.truncate(done);
        decode_state(&buf).map(Some)
    }
}

fn check_state(st: &ConsumerState) -> Result<(), StoreError> {
    if st.ack_floor.consumer > st.delivered.consumer || st.ack_floor.stream > st.delivered.stream {
        return Err(StoreError::BadRequest("bad ack floor".into()));
    }
    if let Some(s) = st
        .pending
        .keys()
        .find(|s| **s <= st.ack_floor.stream || **s > st.delivered.stream)
    {
        return Err(StoreError::BadRequest(format!(
            "pending sequence {s} out of range"
        )));
    }
    Ok(())
}

/// First byte of an encoded state; Go uses 22 for `o.dat`, ours differs
/// because the format does (it carries a checksum).
const STATE_MAGIC: u8 = 0x5C;
const STATE_VERSION: u8 = 1;

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_uvarint(b: &[u8], pos: &mut usize) -> Result<u64, StoreError> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let byte = *b
            .get(*pos)
            .ok_or_else(|| StoreError::Corrupt("consumer state: short".into()))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(StoreError::Corrupt(
        "consumer state: varint overflow".into(),
    ))
}

/// Encodes a consumer state: magic, version, uvarints, crc32 (LE) over all.
pub fn encode_state(st: &ConsumerState) -> Vec<u8> {
    let mut out = vec![STATE_MAGIC, STATE_VERSION];
    for v in [
        st.ack_floor.consumer,
        st.ack_floor.stream,
        st.delivered.consumer,
        st.delivered.stream,
    ] {
        put_uvarint(&mut out, v);
    }
    put_uvarint(&mut out, st.pending.len() as u64);
    for (sseq, p) in &st.pending {
        put_uvarint(&mut out, *sseq);
        put_uvarint(&mut out, p.sequence);
        put_uvarint(&mut out, p.timestamp as u64);
    }
    put_uvarint(&mut out, st.redelivered.len() as u64);
    for (sseq, n) in &st.redelivered {
        put_uvarint(&mut out, *sseq);
        put_uvarint(&mut out, *n);
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Decodes [`encode_state`]'s output; any damage is an error.
pub fn decode_state(b: &[u8]) -> Result<ConsumerState, StoreError> {
    let bad = |m: &str| StoreError::Corrupt(format!("consumer state: {m}"));
    if b.len() < 6 || b[0] != STATE_MAGIC || b[1] != STATE_VERSION {
        return Err(bad("header"));
    }
    let body = &b[..b.len() - 4];
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&b[b.len() - 4..]);
    if crc32fast::hash(body) != u32::from_le_bytes(crc) {
        return Err(bad("checksum"));
    }
    let mut pos = 2;
    let mut st = ConsumerState::default();
    st.ack_floor.consumer = get_uvarint(body, &mut pos)?;
    st.ack_floor.stream = get_uvarint(body, &mut pos)?;
    st.delivered.consumer = get_uvarint(body, &mut pos)?;
    st.delivered.stream = get_uvarint(body, &mut pos)?;
    let n = get_uvarint(body, &mut pos)?;
    if n > body.len() as u64 {
        return Err(bad("pending count"));
    }
    for _ in 0..n {
        let sseq = get_uvarint(body, &mut pos)?;
        let sequence = get_uvarint(body, &mut pos)?;
        let timestamp = get_uvarint(body, &mut pos)? as i64;
        st.pending.insert(
            sseq,
            Pending {
                sequence,
                timestamp,
            },
        );
    }
    let n = get_uvarint(body, &mut pos)?;
    if n > body.len() as u64 {
        return Err(bad("redelivered count"));
    }
    for _ in 0..n {
        let sseq = get_uvarint(body, &mut pos)?;
        let count = get_uvarint(body, &mut pos)?;
        st.redelivered.insert(sseq, count);
    }
    if pos != body.len() {
        return Err(bad("trailing bytes"));
    }
    check_state(&st)?;
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TestMemStoreConsumerUpdateDelivered-style: delivered, pending,
    /// redelivered, then explicit acks move the floor.
    #[test]
    fn test_consumer_update_delivered_and_acks() {
        let mut o = ConsumerStore::new(AckPolicy::Explicit, 0);
        o.update_delivered(1, 100, 1, 10).unwrap();
        o.update_delivered(2, 110, 1, 11).unwrap();
        o.update_delivered(3, 130, 1, 12).unwrap();
        o.update_delivered(4, 110, 2, 13).unwrap();
        let st = o.state().clone();
        assert_eq!(
            st.delivered,
            SequencePair {
                consumer: 4,
                stream: 130
            }
        );
        assert_eq!(st.pending.len(), 3);
        assert_eq!(
            st.pending[&110],
            Pending {
                sequence: 2,
                timestamp: 13
            }
        );
        assert_eq!(st.redelivered[&110], 1);
        o.update_acks(1, 100).unwrap();
        // The floor moves to just below the oldest pending (110, delivery 2).
        assert_eq!(
            o.state().ack_floor,
            SequencePair {
                consumer: 1,
                stream: 109
            }
        );
        o.update_acks(3, 130).unwrap();
        assert_eq!(
            o.state().ack_floor,
            SequencePair {
                consumer: 1,
                stream: 109
            }
        );
        assert_eq!(o.update_acks(9, 999).unwrap_err(), StoreError::MsgNotFound);
        o.update_acks(4, 110).unwrap();
        assert_eq!(
            o.state().ack_floor,
            SequencePair {
                consumer: 4,
                stream: 130
            }
        );
        assert!(o.state().pending.is_empty());
        assert!(o.state().redelivered.is_empty());
    }

    #[test]
    fn ack_all_acks_everything_below() {
        let mut o = ConsumerStore::new(AckPolicy::All, 0);
        for i in 1..=5 {
            o.update_delivered(i, i * 10, 1, 0).unwrap();
        }
        o.update_acks(3, 30).unwrap();
        assert_eq!(
            o.state().ack_floor,
            SequencePair {
                consumer: 3,
                stream: 30
            }
        );
        assert_eq!(
            o.state().pending.keys().copied().collect::<Vec<_>>(),
            vec![40, 50]
        );
    }

    #[test]
    fn ack_none_moves_floor_with_delivered() {
        let mut o = ConsumerStore::new(AckPolicy::None, 0);
        o.update_delivered(1, 5, 1, 0).unwrap();
        assert_eq!(
            o.state().ack_floor,
            SequencePair {
                consumer: 1,
                stream: 5
            }
        );
        assert!(o.update_acks(1, 5).is_err());
        assert!(o.update_delivered(2, 6, 2, 0).is_err());
    }

    #[test]
    fn state_encoding_round_trips_and_detects_damage() {
        let mut o = ConsumerStore::new(AckPolicy::Explicit, 0);
        o.update_delivered(1, 1, 1, -5).unwrap();
        o.update_delivered(2, 2, 1, 7).unwrap();
        o.update_delivered(3, 2, 3, 8).unwrap();
        let bytes = encode_state(o.state());
        assert_eq!(&decode_state(&bytes).unwrap(), o.state());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            assert!(decode_state(&b).is_err(), "flip at {i}");
        }
        assert!(decode_state(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn update_refuses_bad_and_old_states() {
        let mut o = ConsumerStore::new(AckPolicy::Explicit, 0);
        let mut st = ConsumerState {
            delivered: SequencePair {
                consumer: 5,
                stream: 5,
            },
            ack_floor: SequencePair {
                consumer: 6,
                stream: 1,
            },
            ..ConsumerState::default()
        };
        assert!(o.update(st.clone()).is_err());
        st.ack_floor = SequencePair {
            consumer: 2,
            stream: 2,
        };
        st.pending.insert(2, Pending::default());
        assert!(o.update(st.clone()).is_err(), "pending at the floor");
        st.pending.clear();
        o.update(st.clone()).unwrap();
        st.delivered.consumer = 4;
        assert!(o.update(st).is_err(), "older update");
    }
}
