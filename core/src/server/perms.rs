//! Per-user publish and subscribe permissions, compiled into sublists as Go
//! does (client.go `setPermissions`, `canSubscribe`, `pubAllowed`). A deny
//! always wins over an allow; no allow list means everything is allowed.

use std::collections::HashMap;

use bytes::Bytes;

use crate::options::{Permissions, SubjectPermission};
use crate::subject;
use crate::sublist::Sublist;

/// Go's maxPermCacheSize: publish decisions cached per connection.
const PERM_CACHE_MAX: usize = 128;

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
                // An invalid subject in a permission list can never match;
                // config loading reports it.
                let _ = sl.insert(s.as_bytes(), None, i as u32);
            }
            Some(sl)
        };
        // Go: an allow list given but empty is different from none; an empty
        // `allow: []` with deny only behaves as allow-all.
        Compiled { allow: build(&p.allow), deny: build(&p.deny), allow_list: p.allow.clone() }
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
}

impl ClientPermissions {
    pub fn new(p: &Permissions) -> ClientPermissions {
        ClientPermissions {
            publish: Compiled::new(&p.publish),
            subscribe: Compiled::new(&p.subscribe),
            pub_cache: HashMap::new(),
        }
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
    pub fn can_subscribe(&mut self, subject: &[u8]) -> bool {
        let mut allowed = match &mut self.subscribe.allow {
            Some(sl) => !sl.match_subject(subject).psubs.is_empty(),
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
                allowed = sl.match_subject(subject).psubs.is_empty();
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
