//! Stream limits as pure decisions over the index: whether a new message is
//! refused (discard new), and which old messages go (discard old, per-subject
//! limits, max age, TTL). The stores carry the decisions out, each in its own
//! way (dropping bytes, or writing tombstones).

use super::index::MsgIndex;
use super::{DiscardPolicy, StoreError, StreamConfig};
use crate::time::UnixNanos;

/// Refuses a message of accounted `size` on `subj` if a limit says so.
pub fn check_store<P>(
    idx: &MsgIndex<P>,
    cfg: &StreamConfig,
    subj: &str,
    size: u64,
    payload_len: usize,
) -> Result<(), StoreError> {
    if cfg.max_msg_size > 0 && payload_len as u64 > cfg.max_msg_size as u64 {
        return Err(StoreError::MsgTooLarge);
    }
    if cfg.discard != DiscardPolicy::New {
        return Ok(());
    }
    let per = cfg.max_msgs_per_subject;
    if cfg.discard_new_per && per > 0 && idx.subject_count(subj) >= per as u64 {
        return Err(StoreError::MaxMsgsPerSubject);
    }
    // A message that replaces one of its subject (per-subject limit) does
    // not grow the stream.
    let replaces = per > 0 && !cfg.discard_new_per && idx.subject_count(subj) >= per as u64;
    if cfg.max_msgs > 0 && idx.msgs() >= cfg.max_msgs as u64 && !replaces {
        return Err(StoreError::MaxMsgs);
    }
    if cfg.max_bytes > 0 && idx.bytes() + size > cfg.max_bytes as u64 && !replaces {
        return Err(StoreError::MaxBytes);
    }
    Ok(())
}

/// The messages to remove after a store on `subj` (or, with `subj` `None`,
/// after a config change: every subject is checked). Ascending, distinct.
pub fn to_evict<P>(idx: &MsgIndex<P>, cfg: &StreamConfig, subj: Option<&str>) -> Vec<u64> {
    let mut out = Vec::new();
    let per = cfg.max_msgs_per_subject;
    if per > 0 {
        match subj {
            Some(s) => {
                let n = idx.subject_count(s);
                if n > per as u64 {
                    let seqs = idx.matching_seqs(s);
                    out.extend(seqs.iter().take((n - per as u64) as usize));
                }
            }
            None => {
                for (s, st) in idx.subjects_state("") {
                    if st.msgs > per as u64 {
                        let seqs = idx.matching_seqs(&s);
                        out.extend(seqs.iter().take((st.msgs - per as u64) as usize));
                    }
                }
            }
        }
    }
    out.sort_unstable();
    // Global limits only remove the oldest (with discard new, a store that
    // passed check_store cannot exceed them, but a config change can).
    let mut msgs = idx.msgs() - out.len() as u64;
    let mut bytes = idx.bytes()
        - out
            .iter()
            .map(|s| idx.get(*s).map_or(0, |e| e.size))
            .sum::<u64>();
    let over = |msgs: u64, bytes: u64| {
        (cfg.max_msgs > 0 && msgs > cfg.max_msgs as u64)
            || (cfg.max_bytes > 0 && bytes > cfg.max_bytes as u64)
    };
    if over(msgs, bytes) {
        let chosen: std::collections::BTreeSet<u64> = out.iter().copied().collect();
        for (seq, e) in idx.iter() {
            if !over(msgs, bytes) {
                break;
            }
            if chosen.contains(&seq) {
                continue;
            }
            out.push(seq);
            msgs -= 1;
            bytes -= e.size;
        }
        out.sort_unstable();
    }
    out
}

/// The messages past `max_age` or their TTL at wall time `now`.
pub fn expired<P>(idx: &MsgIndex<P>, cfg: &StreamConfig, now: UnixNanos) -> Vec<u64> {
    let mut out = idx.ttl_expired(now);
    if !cfg.max_age.is_zero() {
        let age = i64::try_from(cfg.max_age.as_nanos()).unwrap_or(i64::MAX);
        let min_ts = now.saturating_sub(age);
        out.extend(
            idx.iter()
                .take_while(|(_, e)| e.ts <= min_ts)
                .map(|(s, _)| s),
        );
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// When [`expired`] next has work.
pub fn next_expiry<P>(idx: &MsgIndex<P>, cfg: &StreamConfig) -> Option<UnixNanos> {
    let by_age = (!cfg.max_age.is_zero())
        .then(|| idx.first_entry())
        .flatten()
        .map(|(_, e)| {
            e.ts.saturating_add(i64::try_from(cfg.max_age.as_nanos()).unwrap_or(i64::MAX))
        });
    match (by_age, idx.next_ttl_expiry()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The messages `PurgeEx(subject, seq, keep)` removes.
pub fn purge_ex_seqs<P>(idx: &MsgIndex<P>, subject: &str, seq: u64, keep: u64) -> Vec<u64> {
    let mut seqs = idx.matching_seqs(subject);
    if seq > 0 {
        seqs.retain(|s| *s < seq);
    }
    if keep > 0 {
        let all = idx.matching_seqs(subject);
        // Keep the newest `keep` of the subject, whatever the sequence bound.
        let kept: std::collections::BTreeSet<u64> =
            all.iter().rev().take(keep as usize).copied().collect();
        seqs.retain(|s| !kept.contains(s));
    }
    seqs
}
