//! Match results (Go's `SublistResult`).
//!
//! A result is **canonical**: `psubs` ascending, queue groups ascending by
//! name with unique names, members of each group ascending. The order only
//! depends on the set of matching subscriptions, never on insertion history,
//! hash seeds or whether the answer came from the cache, so replays are
//! bit-exact. A value stored under two different matching subjects appears
//! twice (as in Go, where they would be two subscriptions).

use bytes::Bytes;

use super::node::Node;

/// One queue group in a match result: deliver to one of `members`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueGroup<T> {
    pub name: Bytes,
    /// Never empty, ascending.
    pub members: Vec<T>,
}

/// The subscriptions interested in one published subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SublistResult<T> {
    /// Plain subscriptions: each gets the message. Ascending.
    pub psubs: Vec<T>,
    /// Queue groups: one member of each gets the message. Ascending by name.
    pub qsubs: Vec<QueueGroup<T>>,
}

impl<T> Default for SublistResult<T> {
    fn default() -> Self {
        SublistResult { psubs: Vec::new(), qsubs: Vec::new() }
    }
}

impl<T: Copy + Ord> SublistResult<T> {
    /// No plain subscriber and no queue group.
    pub fn is_empty(&self) -> bool {
        self.psubs.is_empty() && self.qsubs.is_empty()
    }

    /// Go's fanout for stats: plain subscribers plus queue groups.
    pub fn fanout(&self) -> usize {
        self.psubs.len() + self.qsubs.len()
    }

    /// The group named `name`, if any.
    pub fn queue_group(&self, name: &[u8]) -> Option<&QueueGroup<T>> {
        self.qsubs.binary_search_by(|g| g.name.as_ref().cmp(name)).ok().map(|i| &self.qsubs[i])
    }

    /// Go `addNodeToResults`; call [`Self::canonicalize`] when done.
    pub(crate) fn add_node(&mut self, node: &Node<T>) {
        node.psubs.extend_into(&mut self.psubs);
        for group in &node.qsubs {
            // Go's findQSlot: a linear scan, groups per subject are few.
            let slot = match self.qsubs.iter().position(|g| g.name == group.name) {
                Some(slot) => slot,
                None => {
                    let members = Vec::with_capacity(group.members.len());
                    self.qsubs.push(QueueGroup { name: group.name.clone(), members });
                    self.qsubs.len() - 1
                }
            };
            group.members.extend_into(&mut self.qsubs[slot].members);
        }
    }

    /// Sorts into canonical order. Already-sorted input (one contributing
    /// node, the common case) costs a linear pass.
    pub(crate) fn canonicalize(&mut self) {
        self.psubs.sort_unstable();
        self.qsubs.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        for group in &mut self.qsubs {
            group.members.sort_unstable();
        }
    }

    pub(crate) fn is_canonical(&self) -> bool {
        self.psubs.windows(2).all(|w| w[0] <= w[1])
            && self.qsubs.windows(2).all(|w| w[0].name < w[1].name)
            && self.qsubs.iter().all(|g| !g.members.is_empty() && g.members.windows(2).all(|w| w[0] <= w[1]))
    }

    /// Go `addSubToResult`: a copy of `self` with one more subscription,
    /// still canonical. Used to update cached results on insert.
    pub(crate) fn with_added(&self, queue: Option<&Bytes>, value: T) -> SublistResult<T> {
        let mut result = self.clone();
        match queue {
            None => {
                let pos = result.psubs.partition_point(|v| *v <= value);
                result.psubs.insert(pos, value);
            }
            Some(name) => match result.qsubs.binary_search_by(|g| g.name.cmp(name)) {
                Ok(slot) => {
                    let members = &mut result.qsubs[slot].members;
                    let pos = members.partition_point(|v| *v <= value);
                    members.insert(pos, value);
                }
                Err(slot) => {
                    let group = QueueGroup { name: name.clone(), members: vec![value] };
                    result.qsubs.insert(slot, group);
                }
            },
        }
        result
    }
}
