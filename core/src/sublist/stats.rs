//! Go's `SublistStats`, as served by the `/subsz` monitoring endpoint.

use serde::Serialize;

/// Counters and cache fanout of one sublist, or the sum over several
/// (see [`SublistStats::add`]). JSON field names are Go's.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SublistStats {
    #[serde(rename = "num_subscriptions")]
    pub num_subs: u32,
    pub num_cache: u32,
    pub num_inserts: u64,
    pub num_removes: u64,
    pub num_matches: u64,
    pub cache_hit_rate: f64,
    pub max_fanout: u32,
    pub avg_fanout: f64,
    #[serde(skip)]
    pub(crate) tot_fanout: u64,
    #[serde(skip)]
    pub(crate) cache_cnt: u64,
    #[serde(skip)]
    pub(crate) cache_hits: u64,
}

impl SublistStats {
    /// Go `SublistStats.add`: accumulate another sublist's stats. The
    /// averages are recomputed from the underlying totals, not averaged.
    pub fn add(&mut self, stat: &SublistStats) {
        self.num_subs += stat.num_subs;
        self.num_cache += stat.num_cache;
        self.num_inserts += stat.num_inserts;
        self.num_removes += stat.num_removes;
        self.num_matches += stat.num_matches;
        self.cache_hits += stat.cache_hits;
        self.max_fanout = self.max_fanout.max(stat.max_fanout);
        self.tot_fanout += stat.tot_fanout;
        self.cache_cnt += stat.cache_cnt;
        if self.tot_fanout > 0 {
            self.avg_fanout = self.tot_fanout as f64 / self.cache_cnt as f64;
        }
        if self.num_matches > 0 {
            self.cache_hit_rate = self.cache_hits as f64 / self.num_matches as f64;
        }
    }
}
