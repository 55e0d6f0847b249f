//! The subscription index (Go's `server/sublist.go`): which subscriptions
//! want a published subject.
//!
//! A [`Sublist`] is a trie over subject tokens ([`node`]), with `*` and `>`
//! in their own slots at each level, fronted by a bounded cache of match
//! results keyed by published subject ([`cache`]). The values stored are
//! small `Copy` handles chosen by the caller (the engine uses a subscription
//! id); the sublist never looks inside them beyond ordering.
//!
//! Determinism: a [`SublistResult`] is canonical (sorted, see [`result`]), so
//! its order depends only on which subscriptions match. Hash tables use
//! foldhash with an explicit seed ([`Sublist::with_seed`]); their iteration
//! order only decides which cache entries a sweep drops, never a result.
//!
//! Differences from Go, on purpose:
//! - inserting the exact same (subject, queue, value) twice is refused with
//!   [`SublistError::Duplicate`] (Go would count it twice but store it once);
//! - an invalid subject is refused before the trie is touched (Go may leave
//!   nodes behind for `a.b..c`);
//! - the cache sweep runs inline, so [`Sublist::cache_count`] never exceeds
//!   [`CACHE_MAX`];
//! - there are no interest-change notifications (Go's channels) and no
//!   weighted remote queue subscriptions (`qw`): the engine owns both.

mod cache;
mod matching;
mod node;
mod result;
mod stats;

#[cfg(test)]
mod tests;

use std::fmt::Debug;
use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use foldhash::fast::FixedState;

pub use cache::{CACHE_MAX, CACHE_SWEEP};
pub use result::{QueueGroup, SublistResult};
pub use stats::SublistStats;

use cache::ResultCache;
use node::Level;

use crate::subject::{is_valid_sublist_subject, with_tokens};

/// Why an insert or remove was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SublistError {
    /// Empty token, or `>` not last (Go `ErrInvalidSubject`). For a SUB this
    /// is `-ERR 'Invalid Subject'`.
    InvalidSubject,
    /// No such subscription (Go `ErrNotFound`).
    NotFound,
    /// This exact subscription is already stored.
    Duplicate,
}

impl std::fmt::Display for SublistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SublistError::InvalidSubject => "sublist: invalid subject",
            SublistError::NotFound => "sublist: no matches found",
            SublistError::Duplicate => "sublist: subscription already present",
        })
    }
}

impl std::error::Error for SublistError {}

/// One stored subscription, as listed by [`Sublist::all`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SublistEntry<T> {
    pub subject: Bytes,
    pub queue: Option<Bytes>,
    pub value: T,
}

/// The subscription index. See the module documentation.
#[derive(Debug)]
pub struct Sublist<T> {
    root: Level<T>,
    cache: Option<ResultCache<T>>,
    hasher: FixedState,
    /// Shared by every empty answer (Go `emptyResult`): misses do not allocate.
    empty: Arc<SublistResult<T>>,
    count: usize,
    inserts: u64,
    removes: u64,
    matches: u64,
    cache_hits: u64,
}

impl<T: Copy + Ord + Debug> Default for Sublist<T> {
    fn default() -> Self {
        Sublist::new()
    }
}

impl<T: Copy + Ord + Debug> Sublist<T> {
    /// A sublist with the results cache on (Go `NewSublistWithCache`).
    pub fn new() -> Sublist<T> {
        Sublist::with_cache(true)
    }

    /// Go `NewSublist(enableCache)`, hash seed 0.
    pub fn with_cache(cache: bool) -> Sublist<T> {
        Sublist::with_seed(cache, 0)
    }

    /// A sublist whose hash tables are keyed by `hash_seed`. The engine
    /// passes a value from its `Prng`, so subjects chosen by clients cannot
    /// be aimed at hash collisions, while a simulation replays exactly.
    pub fn with_seed(cache: bool, hash_seed: u64) -> Sublist<T> {
        let hasher = FixedState::with_seed(hash_seed);
        Sublist {
            root: Level::new(hasher.clone()),
            cache: cache.then(|| ResultCache::new(hasher.clone())),
            hasher,
            empty: Arc::new(SublistResult::default()),
            count: 0,
            inserts: 0,
            removes: 0,
            matches: 0,
            cache_hits: 0,
        }
    }

    /// Go `CacheEnabled`.
    pub fn cache_enabled(&self) -> bool {
        self.cache.is_some()
    }

    /// Go `Count`: number of stored subscriptions.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Go `CacheCount`: number of cached results.
    pub fn cache_count(&self) -> usize {
        self.cache.as_ref().map_or(0, ResultCache::len)
    }

    /// Go `Insert`. `queue: None` (or an empty name) is a plain subscription.
    pub fn insert(
        &mut self,
        subject: &[u8],
        queue: Option<&[u8]>,
        value: T,
    ) -> Result<(), SublistError> {
        if !is_valid_sublist_subject(subject) {
            return Err(SublistError::InvalidSubject);
        }
        let queue = queue.filter(|q| !q.is_empty());
        let (root, hasher) = (&mut self.root, &self.hasher);
        let group = with_tokens(subject, |tokens| {
            node::insert(root, hasher, tokens, queue, value)
        })
        .map_err(|()| SublistError::Duplicate)?;
        self.count += 1;
        self.inserts += 1;
        if let Some(cache) = &mut self.cache {
            cache.on_insert(subject, group.as_ref(), value);
        }
        Ok(())
    }

    /// Go `Remove`.
    pub fn remove(
        &mut self,
        subject: &[u8],
        queue: Option<&[u8]>,
        value: T,
    ) -> Result<(), SublistError> {
        self.remove_no_cache(subject, queue, value)?;
        if let Some(cache) = &mut self.cache {
            cache.on_remove(subject);
        }
        Ok(())
    }

    fn remove_no_cache(
        &mut self,
        subject: &[u8],
        queue: Option<&[u8]>,
        value: T,
    ) -> Result<(), SublistError> {
        if !is_valid_sublist_subject(subject) {
            return Err(SublistError::InvalidSubject);
        }
        let queue = queue.filter(|q| !q.is_empty());
        let root = &mut self.root;
        if !with_tokens(subject, |tokens| node::remove(root, tokens, queue, &value)) {
            return Err(SublistError::NotFound);
        }
        self.count -= 1;
        self.removes += 1;
        Ok(())
    }

    /// Go `RemoveBatch`: removes every listed subscription, then empties the
    /// cache once instead of fixing it per removal. All removals are
    /// attempted; the first error is returned.
    pub fn remove_batch<'a, I>(&mut self, subs: I) -> Result<(), SublistError>
    where
        I: IntoIterator<Item = (&'a [u8], Option<&'a [u8]>, T)>,
    {
        let mut first_err = None;
        for (subject, queue, value) in subs {
            if let Err(err) = self.remove_no_cache(subject, queue, value) {
                first_err.get_or_insert(err);
            }
        }
        if let Some(cache) = &mut self.cache {
            cache.clear();
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Go `Match`: every subscription interested in the published `subject`.
    /// A cache hit is one hash lookup and an `Arc` clone. Subjects with an
    /// empty token match nothing.
    pub fn match_subject(&mut self, subject: &[u8]) -> Arc<SublistResult<T>> {
        self.matches += 1;
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(subject)) {
            self.cache_hits += 1;
            return Arc::clone(hit);
        }
        let Some(result) = self.match_fresh(subject) else {
            return Arc::clone(&self.empty);
        };
        if let Some(cache) = &mut self.cache {
            cache.insert(subject, Arc::clone(&result));
        }
        result
    }

    /// Matches against the trie, ignoring the cache. `None` when the subject
    /// has an empty token (never cached, like Go).
    fn match_fresh(&self, subject: &[u8]) -> Option<Arc<SublistResult<T>>> {
        with_tokens(subject, |tokens| {
            if tokens.iter().any(|t| t.is_empty()) {
                return None;
            }
            let mut result = SublistResult::default();
            let _ = matching::match_level(&self.root, tokens, &mut |node| {
                result.add_node(node);
                ControlFlow::Continue(())
            });
            if result.is_empty() {
                return Some(Arc::clone(&self.empty));
            }
            result.canonicalize();
            Some(Arc::new(result))
        })
    }

    /// Go `HasInterest`: is anyone interested in `subject`? Uses the cache
    /// when the subject is there, else walks the trie until the first match
    /// without filling the cache.
    pub fn has_interest(&mut self, subject: &[u8]) -> bool {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(subject)) {
            self.cache_hits += 1;
            return !hit.is_empty();
        }
        with_tokens(subject, |tokens| {
            if tokens.iter().any(|t| t.is_empty()) {
                return false;
            }
            let found = matching::match_level(&self.root, tokens, &mut |node| {
                if node.has_subs() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            found.is_break()
        })
    }

    /// Go `NumInterest`: (plain subscribers, queue subscribers) for `subject`.
    /// Unlike Go, which stops counting at the first `>` it meets, this
    /// counts every match.
    pub fn num_interest(&mut self, subject: &[u8]) -> (usize, usize) {
        if let Some(hit) = self.cache.as_ref().and_then(|c| c.get(subject)) {
            self.cache_hits += 1;
            return (
                hit.psubs.len(),
                hit.qsubs.iter().map(|g| g.members.len()).sum(),
            );
        }
        with_tokens(subject, |tokens| {
            if tokens.iter().any(|t| t.is_empty()) {
                return (0, 0);
            }
            let (mut np, mut nq) = (0, 0);
            let _ = matching::match_level(&self.root, tokens, &mut |node| {
                np += node.psubs.len();
                nq += node.num_qsubs();
                ControlFlow::Continue(())
            });
            (np, nq)
        })
    }

    /// Go `ReverseMatch`: the stored subscriptions that the (possibly
    /// wildcard) `subject` would match; meant for sublists of mostly literal
    /// subjects (leaf node subscribe permissions). Not cached.
    pub fn reverse_match(&self, subject: &[u8]) -> Arc<SublistResult<T>> {
        let mut result = SublistResult::default();
        with_tokens(subject, |tokens| {
            matching::reverse_match_level(Some(&self.root), tokens, None, &mut |node| {
                result.add_node(node)
            });
        });
        if result.is_empty() {
            return Arc::clone(&self.empty);
        }
        result.canonicalize();
        Arc::new(result)
    }

    /// Go `All`: every stored subscription, sorted by subject, queue, value.
    pub fn all(&self) -> Vec<SublistEntry<T>> {
        let mut out = Vec::with_capacity(self.count);
        let mut path = Vec::new();
        matching::collect_all(&self.root, &mut path, &mut |subject, queue, value| {
            out.push(SublistEntry {
                subject: Bytes::copy_from_slice(subject),
                queue: queue.cloned(),
                value,
            });
        });
        out.sort_unstable();
        out
    }

    /// Go `numLevels`: depth of the deepest stored subject.
    pub fn num_levels(&self) -> usize {
        matching::visit_level(&self.root, 0)
    }

    /// Changes with every insert and remove (cheap, for watching interest).
    pub fn generation(&self) -> u64 {
        self.inserts.wrapping_add(self.removes)
    }

    /// Go `Stats`.
    pub fn stats(&self) -> SublistStats {
        let mut st = SublistStats {
            num_subs: u32::try_from(self.count).unwrap_or(u32::MAX),
            num_cache: u32::try_from(self.cache_count()).unwrap_or(u32::MAX),
            num_inserts: self.inserts,
            num_removes: self.removes,
            num_matches: self.matches,
            cache_hits: self.cache_hits,
            ..SublistStats::default()
        };
        if st.num_matches > 0 {
            st.cache_hit_rate = st.cache_hits as f64 / st.num_matches as f64;
        }
        if let Some(cache) = &self.cache {
            for (_, result) in cache.iter() {
                let fanout = result.fanout() as u64;
                st.cache_cnt += 1;
                st.tot_fanout += fanout;
                st.max_fanout = st.max_fanout.max(u32::try_from(fanout).unwrap_or(u32::MAX));
            }
            if st.tot_fanout > 0 {
                st.avg_fanout = st.tot_fanout as f64 / st.cache_cnt as f64;
            }
        }
        st
    }

    /// Number of cache hits so far (matches and interest checks).
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits
    }

    /// Asserts the structure is consistent: no empty node or level left
    /// behind, sets sorted, the count right, the cache bounded and every
    /// cached result equal to a fresh match. Costs a full walk plus one
    /// match per cache entry: for tests and the simulator.
    pub fn check_invariants(&self) {
        let walked = self.root.check_invariants();
        assert_eq!(
            walked, self.count,
            "count differs from the subscriptions in the trie"
        );
        assert_eq!(
            self.count as u64,
            self.inserts - self.removes,
            "count differs from inserts - removes"
        );
        assert!(
            self.empty.is_empty(),
            "the shared empty result was modified"
        );
        let Some(cache) = &self.cache else {
            return;
        };
        assert!(cache.len() <= CACHE_MAX, "cache over its bound");
        for (subject, cached) in cache.iter() {
            assert!(
                cached.is_canonical(),
                "cached result not canonical for {subject:?}"
            );
            let fresh = self
                .match_fresh(subject)
                .expect("a subject with an empty token was cached");
            assert_eq!(
                **cached,
                *fresh,
                "stale cache entry for {:?}",
                String::from_utf8_lossy(subject)
            );
        }
    }
}
