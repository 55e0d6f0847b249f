//! The trie: a [`Level`] holds the children of one token position, a [`Node`]
//! holds the subscriptions whose subject ends at it and the next level.
//! (Go's `level` and `node`.)
//!
//! Unlike Go, empty levels are never kept: `Node::next` is `None` rather
//! than an empty level, and removing the last subscription under a node
//! prunes it and every ancestor that became empty.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;
use foldhash::fast::FixedState;

use crate::subject::{FWC, PWC, TSEP};

/// Above this many members a set switches from a sorted `Vec` to a `BTreeSet`,
/// so that removing one of many thousand subscribers stays O(log n).
const SMALL_MAX: usize = 64;
/// A large set with fewer members than this goes back to a sorted `Vec`.
const LARGE_MIN: usize = 32;
const _: () = assert!(LARGE_MIN < SMALL_MAX);

/// A set of subscription handles, iterated in ascending order.
#[derive(Debug)]
pub(crate) enum SubSet<T> {
    /// Sorted, no duplicates, at most `SMALL_MAX` members.
    Small(Vec<T>),
    /// At least `LARGE_MIN` members.
    Large(BTreeSet<T>),
}

impl<T: Copy + Ord> SubSet<T> {
    pub(crate) fn new() -> SubSet<T> {
        SubSet::Small(Vec::new())
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            SubSet::Small(v) => v.len(),
            SubSet::Large(s) => s.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `value`; false if it was already present.
    pub(crate) fn insert(&mut self, value: T) -> bool {
        match self {
            SubSet::Small(v) => {
                let Err(pos) = v.binary_search(&value) else {
                    return false;
                };
                v.insert(pos, value);
                if v.len() > SMALL_MAX {
                    *self = SubSet::Large(v.iter().copied().collect());
                }
                true
            }
            SubSet::Large(s) => s.insert(value),
        }
    }

    /// Removes `value`; false if it was not present.
    pub(crate) fn remove(&mut self, value: &T) -> bool {
        match self {
            SubSet::Small(v) => match v.binary_search(value) {
                Ok(pos) => {
                    v.remove(pos);
                    true
                }
                Err(_) => false,
            },
            SubSet::Large(s) => {
                let removed = s.remove(value);
                if s.len() < LARGE_MIN {
                    *self = SubSet::Small(s.iter().copied().collect());
                }
                removed
            }
        }
    }

    /// Members in ascending order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        let (small, large) = match self {
            SubSet::Small(v) => (Some(v.iter()), None),
            SubSet::Large(s) => (None, Some(s.iter())),
        };
        small.into_iter().flatten().chain(large.into_iter().flatten())
    }

    /// Appends the members, in ascending order, to `out`.
    pub(crate) fn extend_into(&self, out: &mut Vec<T>) {
        match self {
            SubSet::Small(v) => out.extend_from_slice(v),
            SubSet::Large(s) => out.extend(s.iter().copied()),
        }
    }

    pub(crate) fn check_invariants(&self) {
        match self {
            SubSet::Small(v) => {
                assert!(v.len() <= SMALL_MAX, "small set over its bound");
                assert!(v.windows(2).all(|w| w[0] < w[1]), "small set not sorted/unique");
            }
            SubSet::Large(s) => assert!(s.len() >= LARGE_MIN, "large set under its bound"),
        }
    }
}

/// The members of one queue group at one node.
#[derive(Debug)]
pub(crate) struct QueueSubs<T> {
    pub(crate) name: Bytes,
    pub(crate) members: SubSet<T>,
}

/// Subscriptions ending at one token, and the level below it.
#[derive(Debug)]
pub(crate) struct Node<T> {
    pub(crate) next: Option<Box<Level<T>>>,
    pub(crate) psubs: SubSet<T>,
    /// Sorted by name, no empty group.
    pub(crate) qsubs: Vec<QueueSubs<T>>,
}

impl<T: Copy + Ord> Node<T> {
    fn new() -> Node<T> {
        Node { next: None, psubs: SubSet::new(), qsubs: Vec::new() }
    }

    /// True when the node holds nothing and leads nowhere: prune it.
    pub(crate) fn is_empty(&self) -> bool {
        self.psubs.is_empty() && self.qsubs.is_empty() && self.next.is_none()
    }

    pub(crate) fn has_subs(&self) -> bool {
        !self.psubs.is_empty() || !self.qsubs.is_empty()
    }

    /// Number of queue subscribers over all groups.
    pub(crate) fn num_qsubs(&self) -> usize {
        self.qsubs.iter().map(|q| q.members.len()).sum()
    }

    fn find_queue(&self, queue: &[u8]) -> Result<usize, usize> {
        self.qsubs.binary_search_by(|q| q.name.as_ref().cmp(queue))
    }

    /// Adds a subscription. Returns the group name (shared with the cache)
    /// on success, `Err(())` if the exact subscription is already here.
    pub(crate) fn add(&mut self, queue: Option<&[u8]>, value: T) -> Result<Option<Bytes>, ()> {
        let Some(queue) = queue else {
            return if self.psubs.insert(value) { Ok(None) } else { Err(()) };
        };
        let idx = match self.find_queue(queue) {
            Ok(idx) => idx,
            Err(idx) => {
                let name = Bytes::copy_from_slice(queue);
                self.qsubs.insert(idx, QueueSubs { name, members: SubSet::new() });
                idx
            }
        };
        let group = &mut self.qsubs[idx];
        if group.members.insert(value) {
            Ok(Some(group.name.clone()))
        } else {
            Err(())
        }
    }

    /// Removes a subscription; false if it is not here.
    pub(crate) fn remove(&mut self, queue: Option<&[u8]>, value: &T) -> bool {
        let Some(queue) = queue else {
            return self.psubs.remove(value);
        };
        let Ok(idx) = self.find_queue(queue) else {
            return false;
        };
        let removed = self.qsubs[idx].members.remove(value);
        if self.qsubs[idx].members.is_empty() {
            self.qsubs.remove(idx);
        }
        removed
    }

    /// Checks this node and everything below it; returns the number of
    /// subscriptions found.
    pub(crate) fn check_invariants(&self, is_fwc: bool) -> usize {
        assert!(!self.is_empty(), "empty node left in the trie");
        self.psubs.check_invariants();
        assert!(self.qsubs.windows(2).all(|w| w[0].name < w[1].name), "queue groups not sorted/unique");
        let mut count = self.psubs.len();
        for group in &self.qsubs {
            assert!(!group.members.is_empty(), "empty queue group left in a node");
            group.members.check_invariants();
            count += group.members.len();
        }
        if is_fwc {
            assert!(self.next.is_none(), "a `>` node has children");
        }
        if let Some(next) = &self.next {
            assert!(!next.is_empty(), "empty level left in the trie");
            count += next.check_invariants();
        }
        count
    }
}

/// The children of one token position: literal tokens by value, and the
/// `*` and `>` wildcards in their own slots.
#[derive(Debug)]
pub(crate) struct Level<T> {
    pub(crate) nodes: HashMap<Box<[u8]>, Node<T>, FixedState>,
    pub(crate) pwc: Option<Box<Node<T>>>,
    pub(crate) fwc: Option<Box<Node<T>>>,
}

impl<T: Copy + Ord> Level<T> {
    pub(crate) fn new(hasher: FixedState) -> Level<T> {
        Level { nodes: HashMap::with_hasher(hasher), pwc: None, fwc: None }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.pwc.is_none() && self.fwc.is_none()
    }

    /// Go `numNodes`.
    pub(crate) fn num_nodes(&self) -> usize {
        self.nodes.len() + usize::from(self.pwc.is_some()) + usize::from(self.fwc.is_some())
    }

    /// The child for a subscription token (`*` and `>` are wildcards).
    pub(crate) fn child_mut(&mut self, token: &[u8]) -> Option<&mut Node<T>> {
        match token {
            [PWC] => self.pwc.as_deref_mut(),
            [FWC] => self.fwc.as_deref_mut(),
            _ => self.nodes.get_mut(token),
        }
    }

    pub(crate) fn child_or_insert(&mut self, token: &[u8]) -> &mut Node<T> {
        match token {
            [PWC] => self.pwc.get_or_insert_with(|| Box::new(Node::new())),
            [FWC] => self.fwc.get_or_insert_with(|| Box::new(Node::new())),
            _ => {
                if !self.nodes.contains_key(token) {
                    self.nodes.insert(token.into(), Node::new());
                }
                // The key was inserted just above if it was missing.
                self.nodes.get_mut(token).expect("node present after insert")
            }
        }
    }

    /// Go `pruneNode`.
    pub(crate) fn prune(&mut self, token: &[u8]) {
        match token {
            [PWC] => self.pwc = None,
            [FWC] => self.fwc = None,
            _ => {
                self.nodes.remove(token);
            }
        }
    }

    /// Checks this level and everything below; returns the subscription count.
    pub(crate) fn check_invariants(&self) -> usize {
        let mut count = 0;
        for (token, node) in &self.nodes {
            assert!(!token.is_empty(), "empty token in the trie");
            assert!(!token.contains(&TSEP), "separator inside a token");
            assert!(token.as_ref() != [PWC] && token.as_ref() != [FWC], "wildcard stored as a literal");
            count += node.check_invariants(false);
        }
        if let Some(pwc) = &self.pwc {
            count += pwc.check_invariants(false);
        }
        if let Some(fwc) = &self.fwc {
            count += fwc.check_invariants(true);
        }
        count
    }
}

/// Inserts a subscription into the trie rooted at `root`. The subject must
/// already be valid. Returns the queue group name, `Err(())` on a duplicate.
pub(crate) fn insert<T: Copy + Ord>(
    root: &mut Level<T>,
    hasher: &FixedState,
    tokens: &[&[u8]],
    queue: Option<&[u8]>,
    value: T,
) -> Result<Option<Bytes>, ()> {
    let (last, path) = tokens.split_last().expect("a subject has at least one token");
    let mut level = root;
    for token in path {
        let node = level.child_or_insert(token);
        level = node.next.get_or_insert_with(|| Box::new(Level::new(hasher.clone())));
    }
    let result = level.child_or_insert(last).add(queue, value);
    // A duplicate never creates nodes: it was found where it already lived.
    result
}

/// Removes a subscription and prunes what became empty. Returns whether it
/// was found.
pub(crate) fn remove<T: Copy + Ord>(level: &mut Level<T>, tokens: &[&[u8]], queue: Option<&[u8]>, value: &T) -> bool {
    let (token, rest) = tokens.split_first().expect("a subject has at least one token");
    let Some(node) = level.child_mut(token) else {
        return false;
    };
    let found = if rest.is_empty() {
        node.remove(queue, value)
    } else {
        match node.next.as_deref_mut() {
            None => false,
            Some(next) => {
                let found = remove(next, rest, queue, value);
                if next.is_empty() {
                    node.next = None;
                }
                found
            }
        }
    };
    if node.is_empty() {
        level.prune(token);
    }
    found
}
