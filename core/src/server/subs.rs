//! The subscription table: a slab of subscriptions indexed by [`SubRef`],
//! which is what the sublist stores. A `SubRef` carries a generation so a
//! stale reference to a reused slot is detected, never misdelivered.

use bytes::Bytes;

use super::accounts::AccountId;
use super::ConnId;

/// A handle to one subscription: slot index plus generation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubRef {
    idx: u32,
    gen: u32,
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub conn: ConnId,
    /// The account whose sublist holds it.
    pub acc: AccountId,
    pub subject: Bytes,
    pub queue: Option<Bytes>,
    pub sid: Bytes,
    /// Auto-unsubscribe after this many deliveries (`UNSUB <sid> <max>`).
    pub max: Option<u64>,
    pub delivered: u64,
}

#[derive(Debug, Default)]
pub struct SubTable {
    slots: Vec<(u32, Option<Subscription>)>,
    free: Vec<u32>,
    live: usize,
}

impl SubTable {
    pub fn insert(&mut self, sub: Subscription) -> SubRef {
        self.live += 1;
        if let Some(idx) = self.free.pop() {
            let slot = &mut self.slots[idx as usize];
            assert!(slot.1.is_none(), "free slot in use");
            slot.0 = slot.0.wrapping_add(1);
            slot.1 = Some(sub);
            return SubRef { idx, gen: slot.0 };
        }
        let idx = u32::try_from(self.slots.len()).expect("fewer than 2^32 subscriptions");
        self.slots.push((0, Some(sub)));
        SubRef { idx, gen: 0 }
    }

    pub fn get(&self, r: SubRef) -> Option<&Subscription> {
        match self.slots.get(r.idx as usize) {
            Some((gen, Some(s))) if *gen == r.gen => Some(s),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, r: SubRef) -> Option<&mut Subscription> {
        match self.slots.get_mut(r.idx as usize) {
            Some((gen, Some(s))) if *gen == r.gen => Some(s),
            _ => None,
        }
    }

    pub fn remove(&mut self, r: SubRef) -> Option<Subscription> {
        let slot = self.slots.get_mut(r.idx as usize)?;
        if slot.0 != r.gen || slot.1.is_none() {
            return None;
        }
        self.free.push(r.idx);
        self.live -= 1;
        slot.1.take()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn iter(&self) -> impl Iterator<Item = (SubRef, &Subscription)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, (gen, s))| s.as_ref().map(|s| (SubRef { idx: i as u32, gen: *gen }, s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(sid: &'static str) -> Subscription {
        Subscription {
            conn: ConnId(1),
            acc: crate::server::accounts::GLOBAL,
            subject: Bytes::from_static(b"foo"),
            queue: None,
            sid: Bytes::from_static(sid.as_bytes()),
            max: None,
            delivered: 0,
        }
    }

    #[test]
    fn stale_refs_are_rejected_after_slot_reuse() {
        let mut t = SubTable::default();
        let a = t.insert(sub("1"));
        assert!(t.remove(a).is_some());
        let b = t.insert(sub("2"));
        assert!(t.get(a).is_none(), "old generation must not resolve");
        assert_eq!(t.get(b).unwrap().sid, "2");
        assert!(t.remove(a).is_none());
        assert_eq!(t.len(), 1);
    }
}
