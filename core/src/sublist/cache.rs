//! The results cache: published subject -> shared result (Go's
//! `Sublist.cache`, bounded by `slCacheMax` and swept to `slCacheSweep`).
//!
//! A hit is one hash lookup and an `Arc` clone. Inserting a subscription
//! updates the cached results it reaches (Go `addToCache`); removing one
//! drops them (Go `removeFromCache`). Go sweeps in a goroutine and drops
//! random entries; here the sweep runs inline when the cache grows past
//! [`CACHE_MAX`], and drops entries in hash-table order, which is
//! deterministic for a given hash seed and history.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use foldhash::fast::FixedState;

use super::result::SublistResult;
use crate::subject::{match_literal, subject_is_literal};

/// Go `slCacheMax`: most cached results.
pub const CACHE_MAX: usize = 1024;
/// Go `slCacheSweep`: a sweep drops entries until this many remain.
pub const CACHE_SWEEP: usize = 512;
const _: () = assert!(CACHE_SWEEP < CACHE_MAX);

#[derive(Debug)]
pub(crate) struct ResultCache<T> {
    map: HashMap<Box<[u8]>, Arc<SublistResult<T>>, FixedState>,
}

impl<T: Copy + Ord> ResultCache<T> {
    pub(crate) fn new(hasher: FixedState) -> ResultCache<T> {
        ResultCache { map: HashMap::with_hasher(hasher) }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    #[inline]
    pub(crate) fn get(&self, subject: &[u8]) -> Option<&Arc<SublistResult<T>>> {
        self.map.get(subject)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &Arc<SublistResult<T>>)> + '_ {
        self.map.iter().map(|(k, v)| (k.as_ref(), v))
    }

    /// Stores a fresh result, sweeping if the cache overflows.
    pub(crate) fn insert(&mut self, subject: &[u8], result: Arc<SublistResult<T>>) {
        self.map.insert(subject.into(), result);
        if self.map.len() > CACHE_MAX {
            let mut excess = self.map.len() - CACHE_SWEEP;
            self.map.retain(|_, _| {
                if excess == 0 {
                    return true;
                }
                excess -= 1;
                false
            });
        }
    }

    /// Go `addToCache`: a subscription on `subject` was inserted.
    pub(crate) fn on_insert(&mut self, subject: &[u8], queue: Option<&Bytes>, value: T) {
        if subject_is_literal(subject) {
            if let Some(result) = self.map.get_mut(subject) {
                *result = Arc::new(result.with_added(queue, value));
            }
            return;
        }
        for (key, result) in self.map.iter_mut() {
            if match_literal(key, subject) {
                *result = Arc::new(result.with_added(queue, value));
            }
        }
    }

    /// Go `removeFromCache`: a subscription on `subject` was removed.
    pub(crate) fn on_remove(&mut self, subject: &[u8]) {
        if subject_is_literal(subject) {
            self.map.remove(subject);
            return;
        }
        self.map.retain(|key, _| !match_literal(key, subject));
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }
}
