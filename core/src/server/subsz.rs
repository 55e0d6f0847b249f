//! `/subsz`: the subscription index's counters (Go's `SublistStats`) and,
//! with `subs=1`, a paged list of subscriptions, optionally only those a
//! publish to `test=<subject>` would reach (monitor.go `Subsz`).

use serde::Serialize;

use crate::subject;
use crate::sublist::SublistStats;
use crate::time::UnixNanos;

use super::connz::SubDetail;
use super::zfmt::rfc3339;
use super::Server;

/// Go's `DefaultSubListSize`.
pub const DEFAULT_SUB_LIST_SIZE: i64 = 1024;

/// Go's `SubszOptions`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubszOptions {
    pub offset: i64,
    pub limit: i64,
    pub subscriptions: bool,
    pub account: String,
    pub test: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Subsz {
    pub server_id: String,
    pub now: String,
    #[serde(flatten)]
    pub stats: SublistStats,
    pub total: usize,
    pub offset: i64,
    pub limit: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriptions_list: Option<Vec<SubDetail>>,
}

impl Server {
    /// Go's `Server.Subsz`. Errors are Go's texts (HTTP 400).
    pub fn subsz(&self, realtime: UnixNanos, o: &SubszOptions) -> Result<Subsz, String> {
        let offset = o.offset.max(0);
        let limit = if o.limit <= 0 { DEFAULT_SUB_LIST_SIZE } else { o.limit };
        if !o.test.is_empty() && !subject::is_valid_literal_subject(o.test.as_bytes()) {
            return Err(format!("invalid test subject, must be valid publish subject: {}", o.test));
        }
        // No account: every account (Go's default); otherwise just that one.
        let filter = if o.account.is_empty() { None } else { Some(self.accounts.lookup(&o.account)) };
        let stats = match filter {
            None => {
                let mut st = SublistStats::default();
                for (_, a) in self.accounts.iter() {
                    st.add(&a.sublist.stats());
                }
                st
            }
            Some(Some(id)) => self.accounts.get(id).sublist.stats(),
            Some(None) => SublistStats::default(),
        };
        let mut sz = Subsz {
            server_id: self.info.server_id.clone(),
            now: rfc3339(realtime),
            stats,
            total: 0,
            offset,
            limit,
            subscriptions_list: None,
        };
        if !o.subscriptions {
            return Ok(sz);
        }
        let mut details = Vec::new();
        if filter != Some(None) {
            for (_, s) in self.subs.iter() {
                if filter.is_some_and(|f| f != Some(s.acc)) {
                    continue;
                }
                if !o.test.is_empty() && !subject::match_literal(o.test.as_bytes(), &s.subject) {
                    continue;
                }
                details.push(SubDetail {
                    account: self.accounts.get(s.acc).name.clone(),
                    subject: String::from_utf8_lossy(&s.subject).into_owned(),
                    qgroup: s.queue.as_ref().map(|q| String::from_utf8_lossy(q).into_owned()).unwrap_or_default(),
                    sid: String::from_utf8_lossy(&s.sid).into_owned(),
                    msgs: s.delivered,
                    max: s.max.unwrap_or(0),
                    cid: s.conn.0,
                });
            }
        }
        details.sort_by(|a, b| (a.cid, &a.sid).cmp(&(b.cid, &b.sid)));
        let total = details.len();
        let lo = (offset as usize).min(total);
        let hi = lo + (limit as usize).min(total - lo);
        sz.total = total;
        sz.subscriptions_list = Some(details[lo..hi].to_vec());
        Ok(sz)
    }
}
