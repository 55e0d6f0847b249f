//! Per-user publish and subscribe permissions, compiled into sublists as Go
//! does (client.go `setPermissions`, `canSubscribe`, `pubAllowed`). A deny
//! always wins over an allow; no allow list means everything is allowed.

use std::collections::HashMap;

use bytes::Bytes;

use crate::options::{Permissions, ResponsePermission, SubjectPermission};
use crate::time::Instant;
use crate::subject;
use crate::sublist::Sublist;

/// Go's maxPermCacheSize: publish decisions cached per connection.
const PERM_CACHE_MAX: usize = 128;
/// Go's `replyPermLimit`: deliveries between prunes of the replies map.
const REPLY_PERM_LIMIT: usize = 10_000;

#[derive(Debug, Default)]
struct Compiled {
    allow: Option<Sublist<u32>>,
    deny: Option<Sublist<u32>>,
    allow_list: Vec<String>,
}

impl Compiled {
    fn new(p: &Option<SubjectPermission>) -> Compiled {
        let Some(p) = p else { return Compiled::default() };
        let build = |list: &[String]| -> Option<Sublist<u32>> {
            if list.is_empty() {
                return None;
            }
            let mut sl = Sublist::new();
            for (i, s) in list.iter().enumerate() {
                // `subject queue` is a queue permission (Go inserts it as a
                // queue subscription). An invalid subject in a permission
                // list can never match; config loading reports it.
                let (subject, queue) = split_queue(s);
                let _ = sl.insert(subject.as_bytes(), queue.map(str::as_bytes), i as u32);
            }
            Some(sl)
        };
        let allow_list = p.allow.iter().map(|s| split_queue(s).0.to_string()).collect();
        // Go: an allow list given but empty is different from none; an empty
        // `allow: []` with deny only behaves as allow-all.
        Compiled { allow: build(&p.allow), deny: build(&p.deny), allow_list }
    }

    fn is_empty(&self) -> bool {
        self.allow.is_none() && self.deny.is_none()
    }
}

/// One client's compiled permissions.
#[derive(Debug)]
pub struct ClientPermissions {
    publish: Compiled,
    subscribe: Compiled,
    pub_cache: HashMap<Bytes, bool>,
    /// `allow_responses`: how many responses, for how long.
    response: Option<ResponsePermission>,
    /// Reply subjects this client may answer (Go's `c.replies`): when the
    /// request was delivered, and responses sent so far.
    replies: HashMap<Bytes, (Instant, i32)>,
    /// Deliveries since the replies map was last pruned.
    replies_since_prune: usize,
}

impl ClientPermissions {
    pub fn new(p: &Permissions) -> ClientPermissions {
        let mut publish = Compiled::new(&p.publish);
        // Go: `allow_responses` without publish permissions turns the
        // blanket publish allow off (an empty, non-nil allow list).
        if p.response.is_some() && publish.is_empty() {
            publish.allow = Some(Sublist::new());
        }
        ClientPermissions {
            publish,
            subscribe: Compiled::new(&p.subscribe),
            pub_cache: HashMap::new(),
            response: p.response.clone(),
            replies: HashMap::new(),
            replies_since_prune: 0,
        }
    }

    /// Go's `deliverMsg` bookkeeping for `allow_responses`: a request's
    /// reply subject delivered to this client may be answered.
    pub fn note_reply(&mut self, reply: &Bytes, now: Instant) {
        let Some(rp) = &self.response else { return };
        self.replies.insert(reply.clone(), (now, 0));
        self.replies_since_prune += 1;
        if self.replies_since_prune > REPLY_PERM_LIMIT {
            let expires = rp.expires;
            self.replies.retain(|_, (t, _)| now.saturating_duration_since(*t) <= expires);
            self.replies_since_prune = 0;
        }
    }

    pub fn has_response_permission(&self) -> bool {
        self.response.is_some()
    }

    /// Go's `pubAllowed` with `allow_responses`: may this client publish
    /// to `subject` as a response to a request it received?
    pub fn can_respond(&mut self, subject: &Bytes, now: Instant) -> bool {
        let Some(rp) = &self.response else { return false };
        let Some((t, n)) = self.replies.get_mut(subject) else { return false };
        *n += 1;
        let too_many = rp.max_msgs > 0 && *n > rp.max_msgs;
        let expired = now.saturating_duration_since(*t) > rp.expires;
        if too_many || expired {
            self.replies.remove(subject);
            return false;
        }
        true
    }

    /// May this client publish to the literal `subject`?
    pub fn can_publish(&mut self, subject: &Bytes) -> bool {
        if self.publish.is_empty() {
            return true;
        }
        if let Some(v) = self.pub_cache.get(subject) {
            return *v;
        }
        let mut allowed = match &mut self.publish.allow {
            Some(sl) => !sl.match_subject(subject).psubs.is_empty(),
            None => true,
        };
        if allowed {
            if let Some(sl) = &mut self.publish.deny {
                allowed = sl.match_subject(subject).psubs.is_empty();
            }
        }
        if self.pub_cache.len() >= PERM_CACHE_MAX {
            self.pub_cache.clear();
        }
        self.pub_cache.insert(subject.clone(), allowed);
        allowed
    }

    /// May this client subscribe to `subject` (possibly with wildcards)?
    /// As Go's `canSubscribe`: the subscription subject is matched against
    /// the allow and deny lists token by token, so `foo.*` is allowed by an
    /// allow of `foo.*` or `foo.>`, not by `foo.bar`.
    ///
    /// Stricter than Go on one point: Go's token match lets `foo.>` through
    /// an allow of `foo.*` (the `*` node matches the literal `>` token),
    /// which would deliver `foo.a.b`. We also require a wildcard
    /// subscription to be a subset of one allow entry.
    ///
    /// With a queue group, Go's queue permissions apply: an allow entry
    /// `subject queue` admits only that queue (wildcards in the queue name
    /// match), a deny entry `subject queue` refuses only that queue.
    pub fn can_subscribe(&mut self, subject: &[u8], queue: Option<&[u8]>) -> bool {
        let queue = queue.filter(|q| !q.is_empty());
        let mut allowed = match &mut self.subscribe.allow {
            Some(sl) => {
                let r = sl.match_subject(subject);
                match queue {
                    Some(q) if !r.qsubs.is_empty() => queue_matches(q, &r.qsubs),
                    _ => !r.psubs.is_empty(),
                }
            }
            None => true,
        };
        if allowed && self.subscribe.allow.is_some() && subject::subject_has_wildcard(subject) {
            allowed = self
                .subscribe
                .allow_list
                .iter()
                .any(|a| subject::subject_is_subset_match(subject, a.as_bytes()));
        }
        if allowed {
            if let Some(sl) = &mut self.subscribe.deny {
                let r = sl.match_subject(subject);
                allowed = r.psubs.is_empty();
                if let Some(q) = queue {
                    if !r.qsubs.is_empty() && queue_matches(q, &r.qsubs) {
                        allowed = false;
                    }
                }
            }
        }
        allowed
    }

    /// For a wildcard subscription that was allowed: must a delivery on the
    /// literal `subject` be withheld because it falls under a deny clause?
    /// (Go's `mperms`.)
    pub fn deliver_denied(&mut self, subject: &[u8]) -> bool {
        match &mut self.subscribe.deny {
            Some(sl) => !sl.match_subject(subject).psubs.is_empty(),
            None => false,
        }
    }

    pub fn has_subscribe_deny(&self) -> bool {
        self.subscribe.deny.is_some()
    }
}

/// Splits a permission entry `subject [queue]`.
fn split_queue(entry: &str) -> (&str, Option<&str>) {
    let mut it = entry.split_whitespace();
    let subject = it.next().unwrap_or("");
    (subject, it.next())
}

/// Go's `queueMatches`: the queue name matches one of the permission's
/// queue entries (which may hold wildcards).
fn queue_matches(queue: &[u8], groups: &[crate::sublist::QueueGroup<u32>]) -> bool {
    groups.iter().any(|g| {
        let pattern: &[u8] = &g.name;
        subject::match_literal(queue, pattern)
    })
}
