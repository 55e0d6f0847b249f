//! Retention policies that depend on consumers (Go's `WorkQueuePolicy` and
//! `InterestPolicy` in server/stream.go and consumer.go):
//!
//! - **workqueue**: a message is removed once its consumer acked it; the
//!   consumers of a workqueue stream must not overlap (Go's
//!   `partitionUnique`), must ack explicitly and deliver all.
//! - **interest**: a message is removed once every consumer whose filter
//!   matches its subject has acked it; a message nobody is interested in
//!   when it is published is not stored (its sequence is used).
//!
//! The rule is Go's `noInterest`/`needAck`: consumer `c` still needs
//! message `seq` on subject `subj` when its filter matches `subj`, `seq` is
//! above its ack floor, and `seq` is either not delivered yet or pending.
//! The hooks: [`JetStream::publish_interest`] before a publish,
//! [`JetStream::retention_after_ack`] after an ack,
//! [`JetStream::retention_after_consumer_removed`] after a delete (and
//! [`JetStream::retention_after_expiry`] after ephemerals expire), and
//! [`JetStream::retention_recover`] after a restart (an ack persisted
//! before the removal it caused).

use super::consumer::{AckKind, AckPolicy, Consumer, ConsumerConfig, DeliverPolicy};
use super::errors::*;
use super::types::{RetentionPolicy, StreamConfig};
use super::JetStream;
use crate::store::StoreError;
use crate::subject::{subject_matches_filter, subjects_collide};
use std::collections::BTreeMap;

/// Messages examined per retention scan (each is a load): a bound, not a
/// limit anyone should reach with sane `max_ack_pending`.
const SCAN_MAX: u64 = 1 << 20;

/// Go's `consumer.isFilteredMatch`: the consumer selects `subject`.
pub fn filter_matches(cfg: &ConsumerConfig, subject: &str) -> bool {
    let filters = cfg.filters();
    filters.is_empty()
        || filters
            .iter()
            .any(|f| subject_matches_filter(subject.as_bytes(), f.as_bytes()))
}

/// Go's `consumer.needAck`: `c` has not acknowledged `seq` yet.
pub fn need_ack(c: &Consumer, seq: u64, subject: &str) -> bool {
    if !filter_matches(c.config(), subject) {
        return false;
    }
    let st = c.ack_state();
    let undelivered = seq >= c.next_seq() || c.has_skip_list();
    match c.config().ack_policy {
        AckPolicy::None => undelivered,
        AckPolicy::All | AckPolicy::Explicit => {
            seq > st.ack_floor.stream && (undelivered || st.pending.contains_key(&seq))
        }
    }
}

/// Go's workqueue checks of `addConsumerWithAction`: explicit acks, deliver
/// all, and filters that do not overlap any other consumer's
/// (`partitionUnique`). `existing` are the stream's consumers.
pub fn check_workqueue_consumer(
    stream: &StreamConfig,
    cfg: &ConsumerConfig,
    existing: Option<&BTreeMap<String, Consumer>>,
) -> Result<(), ApiError> {
    if stream.retention != RetentionPolicy::WorkQueue || cfg.direct {
        return Ok(());
    }
    if cfg.ack_policy != AckPolicy::Explicit {
        return Err(ApiError::new(&JS_CONSUMER_WQ_REQUIRES_EXPLICIT_ACK_ERR));
    }
    let others: Vec<&Consumer> = existing
        .map(|m| m.values().filter(|c| c.name() != cfg.name).collect())
        .unwrap_or_default();
    if !others.is_empty() {
        let mine = cfg.filters();
        if mine.is_empty() {
            return Err(ApiError::new(&JS_CONSUMER_WQ_MULTIPLE_UNFILTERED_ERR));
        }
        for o in others {
            let theirs = o.config().filters();
            let overlap = theirs.is_empty()
                || mine.iter().any(|a| {
                    theirs
                        .iter()
                        .any(|b| subjects_collide(a.as_bytes(), b.as_bytes()))
                });
            if overlap {
                return Err(ApiError::new(&JS_CONSUMER_WQ_CONSUMER_NOT_UNIQUE_ERR));
            }
        }
    }
    if cfg.deliver_policy != DeliverPolicy::All {
        return Err(ApiError::new(&JS_CONSUMER_WQ_CONSUMER_NOT_DELIVER_ALL_ERR));
    }
    Ok(())
}

impl JetStream {
    /// Go's publish-time `noInterest` test, inverted: false when `stream`
    /// has interest retention and no consumer selects `subject` (the
    /// message is then not stored). Always true for other policies.
    pub(crate) fn publish_interest(&self, stream: &str, subject: &str) -> bool {
        let Some(s) = self.streams.get(stream) else {
            return true;
        };
        if s.cfg.retention != RetentionPolicy::Interest {
            return true;
        }
        self.consumers
            .get(stream)
            .is_some_and(|cs| cs.values().any(|c| filter_matches(c.config(), subject)))
    }

    /// Go's `stream.ackMsg` after consumer `consumer` processed an ack of
    /// `sseq`: removes what no consumer needs any more. With `AckAll` every
    /// sequence up to `sseq` was acknowledged.
    pub(crate) fn retention_after_ack(
        &mut self,
        stream: &str,
        consumer: &str,
        kind: &AckKind,
        sseq: u64,
    ) {
        if !matches!(kind, AckKind::Ack | AckKind::Term) {
            return;
        }
        let Some(policy) = self.consumers.get(stream).and_then(|m| m.get(consumer)) else {
            return;
        };
        let lo = match policy.config().ack_policy {
            AckPolicy::All => 1,
            _ => sseq,
        };
        self.retention_scan(stream, lo, sseq);
    }

    /// A consumer of `stream` went away: on an interest stream the messages
    /// only it still needed go too (Go's `checkInterestState`).
    pub(crate) fn retention_after_consumer_removed(&mut self, stream: &str) {
        let interest = self
            .streams
            .get(stream)
            .is_some_and(|s| s.cfg.retention == RetentionPolicy::Interest);
        if interest {
            self.retention_scan(stream, 1, u64::MAX);
        }
    }

    /// Consumers per stream, to see which streams lost some in a timer
    /// pass (ephemerals past their inactivity threshold).
    pub(crate) fn consumer_counts(&self) -> BTreeMap<String, usize> {
        self.consumers
            .iter()
            .map(|(s, m)| (s.clone(), m.len()))
            .collect()
    }

    /// Applies interest retention to the streams that lost consumers since
    /// `before` was taken.
    pub(crate) fn retention_after_expiry(&mut self, before: BTreeMap<String, usize>) {
        for (stream, n) in before {
            if self.consumer_count(&stream) < n {
                self.retention_after_consumer_removed(&stream);
            }
        }
    }

    /// After recovery: acks persisted before the removals they caused are
    /// applied again, for every interest and workqueue stream with
    /// consumers (none is removed where a consumer failed to recover).
    pub(crate) fn retention_recover(&mut self, skip: &[String]) {
        let names: Vec<String> = self.consumers.keys().cloned().collect();
        for stream in names {
            if skip.contains(&stream) {
                continue;
            }
            let hi = self.consumers[&stream]
                .values()
                .map(|c| c.next_seq().saturating_sub(1))
                .max()
                .unwrap_or(0);
            if hi > 0 {
                self.retention_scan(&stream, 1, hi);
            }
        }
    }

    /// Removes every message of `stream` in `lo..=hi` that no consumer needs
    /// (limits streams keep everything). Returns how many went.
    pub(crate) fn retention_scan(&mut self, stream: &str, lo: u64, hi: u64) -> u64 {
        let (Some(s), Some(cs)) = (self.streams.get_mut(stream), self.consumers.get(stream)) else {
            return 0;
        };
        if s.cfg.retention == RetentionPolicy::Limits {
            return 0;
        }
        // A workqueue message no consumer selects waits for one.
        let wq = s.cfg.retention == RetentionPolicy::WorkQueue;
        let mut removed = 0;
        let mut failed = Vec::new();
        let mut seq = lo.max(s.store.state().first_seq);
        for _ in 0..SCAN_MAX {
            if seq > hi {
                break;
            }
            let sm = match s.store.load_next_msg(">", true, seq) {
                Ok((sm, _)) if sm.seq <= hi => sm,
                Ok(_) | Err(StoreError::Eof | StoreError::MsgNotFound) => break,
                Err(e) => {
                    tracing::warn!(stream, error = %e, "retention scan stopped");
                    break;
                }
            };
            seq = sm.seq + 1;
            let unclaimed = wq && !cs.values().any(|c| filter_matches(c.config(), &sm.subj));
            if unclaimed || cs.values().any(|c| need_ack(c, sm.seq, &sm.subj)) {
                continue;
            }
            match s.store.remove_msg(sm.seq) {
                Ok(true) => {
                    removed += 1;
                    s.mark_dirty();
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(stream, seq = sm.seq, error = %e, "retention remove, retried later");
                    failed.push(sm.seq);
                }
            }
        }
        for seq in failed {
            self.durability.retry_removal(stream, seq);
        }
        removed
    }

    /// Retries removals a disk error stopped (from the flush and the
    /// timer); what fails again stays queued.
    pub(crate) fn retry_removals(&mut self) {
        for (stream, seq) in self.durability.take_removals() {
            self.retention_scan(&stream, seq, seq);
        }
    }
}

#[cfg(test)]
mod tests;
