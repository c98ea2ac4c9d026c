//! The store series (`portvakt_store_operations_total{store,op,result}` and
//! `portvakt_store_operation_duration_seconds{store,op}`), kept per worker thread and summed when `/metrics` is read.
//!
//! Every authenticated request looks its session up through the metrics wrapper ([`crate::instrument`]), so these
//! series were, like the request series ([`super::requests`]), written by both worker threads on every request: two
//! family read locks with label hashing and the histogram's write lock (docs/BENCHMARKS.md finding 52, row 9). Here
//! each thread counts under its own lock into its own list of (store, operation) cells; nothing another thread
//! writes is touched except when `/metrics` is read. Series appear with their first operation, as before, and
//! counts only grow (a thread's cells are never dropped or reset).

use super::{StoreLabels, StoreOp};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use std::collections::BTreeMap;
use std::sync::Arc;
use thread_local::ThreadLocal;

/// Buckets including `+Inf`: 0.1 ms .. ~6.5 s (store and directory round trips).
const N_BUCKET: usize = 12;

/// One store operation's counts on one thread (or added up).
#[derive(Clone, Copy, Default)]
struct Cell {
    ok: u64,
    err: u64,
    buckets: [u64; N_BUCKET],
    sum: f64,
}

/// (store, operation) and its counts.
type Cells = Vec<((&'static str, &'static str), Cell)>;

/// The store series of one gateway.
pub struct StoreSeries {
    bounds: [f64; N_BUCKET],
    /// Each thread's cells, behind a lock only its own thread takes per operation (and a scrape).
    shards: ThreadLocal<parking_lot::Mutex<Cells>>,
}

impl std::fmt::Debug for StoreSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSeries").finish_non_exhaustive()
    }
}

impl Default for StoreSeries {
    fn default() -> StoreSeries {
        StoreSeries { bounds: super::bucket_bounds(0.0001), shards: ThreadLocal::new() }
    }
}

impl StoreSeries {
    /// Counts one operation of `store` (`op`) that succeeded or not after `seconds`, in this thread's own cells.
    pub fn observe(&self, store: &'static str, op: &'static str, ok: bool, seconds: f64) {
        let mut cells = self.shards.get_or_default().lock();
        // A handful of operations per thread: a short scan, the names usually the same static strings.
        let same = |a: &str, b: &str| std::ptr::eq(a, b) || a == b;
        let i = match cells.iter().position(|((s, o), _)| same(s, store) && same(o, op)) {
            Some(i) => i,
            None => {
                cells.push(((store, op), Cell::default()));
                cells.len() - 1
            }
        };
        let Some((_, cell)) = cells.get_mut(i) else { return };
        if ok {
            cell.ok += 1;
        } else {
            cell.err += 1;
        }
        let b = super::bucket_of(&self.bounds, seconds);
        if let Some(c) = cell.buckets.get_mut(b) {
            *c += 1;
        }
        cell.sum += seconds;
    }

    /// Every thread's cells added up, by (store, operation).
    fn totals(&self) -> BTreeMap<(&'static str, &'static str), Cell> {
        let mut out: BTreeMap<(&'static str, &'static str), Cell> = BTreeMap::new();
        for shard in self.shards.iter() {
            for (key, c) in shard.lock().iter() {
                let t = out.entry(*key).or_default();
                t.ok += c.ok;
                t.err += c.err;
                for (t, c) in t.buckets.iter_mut().zip(c.buckets) {
                    *t += c;
                }
                t.sum += c.sum;
            }
        }
        out
    }

    /// Operations counted by each thread that counted any (tests: each thread counts into its own cells).
    pub fn per_thread_counts(&self) -> Vec<u64> {
        self.shards.iter().map(|s| s.lock().iter().map(|(_, c)| c.ok + c.err).sum()).collect()
    }
}

/// The store series as a prometheus_client collector: the same names, labels, HELP, TYPE and buckets as the
/// families they replace.
#[derive(Debug)]
pub struct StoreCollector(pub Arc<StoreSeries>);

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let totals = self.0.totals();
        if totals.is_empty() {
            return Ok(());
        }
        {
            let help = "State store operations by store, operation and result.";
            let mut metric = encoder.encode_descriptor("store_operations", help, None, MetricType::Counter)?;
            for ((store, op), c) in &totals {
                for (result, n) in [(super::result::SUCCESS, c.ok), (super::result::ERROR, c.err)] {
                    if n > 0 {
                        let labels = StoreLabels { store, op, result };
                        ConstCounter::new(n).encode(metric.encode_family(&labels)?)?;
                    }
                }
            }
        }
        let help = "State store operation latency by store and operation.";
        let mut metric =
            encoder.encode_descriptor("store_operation_duration_seconds", help, None, MetricType::Histogram)?;
        for ((store, op), c) in &totals {
            let pairs: Vec<(f64, u64)> = self.0.bounds.iter().copied().zip(c.buckets).collect();
            let count = c.buckets.iter().sum();
            metric.encode_family(&StoreOp { store, op })?.encode_histogram::<NoLabelSet>(c.sum, count, &pairs, None)?;
        }
        Ok(())
    }
}
