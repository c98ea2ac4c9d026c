//! The request series (`portvakt_requests_total{zone,service,status}` and
//! `portvakt_request_duration_seconds{zone,service}`), kept per worker thread and summed when `/metrics` is read.
//!
//! Every finished request is counted here, on both worker threads. Counting into prometheus_client's families wrote
//! memory both threads write on every request (two map read locks, the histogram's write lock, the counter, four
//! label reference counts; docs/BENCHMARKS.md finding 52): each such cache line travels between the cores. Here
//! each thread counts into its own `Shard`, plain atomics only its own thread writes, resolved by index (zone ×
//! service × status slot) without hashing or locking; a scrape adds up every thread's shard. Zones and services
//! are known when the config is loaded (they do not change on a reload: a SIGHUP reloads users files, policies and
//! certificates only), and the statuses a gateway answers with are a bounded set ([`STATUSES`]); a status outside
//! it is counted under a lock (rare: a backend's unusual code).
//!
//! Counts never go backwards: a shard is only ever added to, and shards stay for the life of the gateway (a
//! thread that ends leaves its counts, and a new thread that reuses its slot adds to them).

use super::{Name, RequestLabels, ZoneService};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use thread_local::ThreadLocal;

/// Statuses counted without a lock: what the gateway itself answers and what backends commonly do. The first
/// [`PRE_REGISTERED`] are shown at zero from the start (dashboards and alerts use them); the others appear with
/// their first request, as a prometheus_client series does.
pub const STATUSES: [u16; 28] = [
    200, 302, 401, 403, 404, 502, 503, // shown from the start
    0, 201, 204, 206, 301, 303, 304, 307, 308, 400, 405, 408, 409, 413, 414, 422, 429, 431, 500, 501, 504,
];
/// How many of [`STATUSES`] exist at zero from the start.
pub const PRE_REGISTERED: usize = 7;
const N_STATUS: usize = STATUSES.len();

/// Slot of each status below 600 in [`STATUSES`], `u8::MAX` for none.
// Evaluated by the compiler: an index out of range fails the build, it cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const SLOT: [u8; 600] = {
    let mut t = [u8::MAX; 600];
    let mut i = 0;
    while i < N_STATUS {
        t[STATUSES[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// The request-duration buckets, `+Inf` included: 0.5 ms .. ~33 s (gateway pages answer in well under a
/// millisecond, slow backends in seconds).
const N_BUCKET: usize = 12;

/// One zone × service on one thread.
struct Cell {
    statuses: [AtomicU64; N_STATUS],
    buckets: [AtomicU64; N_BUCKET],
    /// Sum of the observed seconds, as `f64` bits.
    sum: AtomicU64,
}

impl Default for Cell {
    fn default() -> Cell {
        Cell {
            statuses: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }
}

/// One worker thread's counts: a cell per zone × service. Only its own thread writes it (a load and a store, no
/// read-modify-write needed), a scrape reads it.
struct Shard {
    cells: Box<[Cell]>,
}

/// Adds one to a counter only this thread writes.
fn bump(c: &AtomicU64) {
    c.store(c.load(Relaxed).wrapping_add(1), Relaxed);
}

/// The request series of one gateway.
pub struct RequestSeries {
    zones: Vec<Name>,
    services: Vec<Name>,
    /// The first this many zones and services have their series shown from the start; the others (`none`)
    /// appear with their first request.
    shown: (usize, usize),
    bounds: [f64; N_BUCKET],
    shards: ThreadLocal<Shard>,
    /// Statuses outside [`STATUSES`], by (zone, service, status): rare, so a lock is fine.
    other: parking_lot::Mutex<BTreeMap<(usize, usize, u16), u64>>,
}

impl std::fmt::Debug for RequestSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestSeries")
            .field("zones", &self.zones.len())
            .field("services", &self.services.len())
            .finish()
    }
}

impl RequestSeries {
    /// Series for every zone × service given (label values, in order, each once); those of the first `shown.0`
    /// zones and `shown.1` services are shown at zero from the start.
    pub fn new(zones: Vec<Name>, services: Vec<Name>, shown: (usize, usize)) -> RequestSeries {
        RequestSeries {
            zones,
            services,
            shown,
            // The same numbers as the families' `exponential_buckets(0.0005, 3.0, 11)`.
            bounds: super::bucket_bounds(0.0005),
            shards: ThreadLocal::new(),
            other: parking_lot::Mutex::new(BTreeMap::new()),
        }
    }

    /// The index of a zone label, if it is one of these series'.
    pub fn zone_index(&self, zone: &str) -> Option<usize> {
        self.zones.iter().position(|z| &*z.0 == zone)
    }

    /// The index of a service label, if it is one of these series'.
    pub fn service_index(&self, service: &str) -> Option<usize> {
        self.services.iter().position(|s| &*s.0 == service)
    }

    fn cells(&self) -> usize {
        self.zones.len() * self.services.len()
    }

    /// Counts one request of `zone` and `service` (indices) answered with `status` after `seconds`, in this thread's
    /// shard: no lock, no hashing, nothing another thread writes (except for a status outside [`STATUSES`]).
    /// Indices out of range are not counted.
    pub fn observe(&self, zone: usize, service: usize, status: u16, seconds: f64) {
        if zone >= self.zones.len() || service >= self.services.len() {
            return;
        }
        let idx = zone * self.services.len() + service;
        let shard = self.shards.get_or(|| Shard { cells: (0..self.cells()).map(|_| Cell::default()).collect() });
        let Some(cell) = shard.cells.get(idx) else { return };
        match SLOT.get(usize::from(status)).copied().filter(|s| *s != u8::MAX) {
            Some(slot) => {
                if let Some(c) = cell.statuses.get(usize::from(slot)) {
                    bump(c);
                }
            }
            None => *self.other.lock().entry((zone, service, status)).or_insert(0) += 1,
        }
        // The first bucket whose bound is at least `seconds` (NaN: the last), as prometheus_client's histogram.
        let b = super::bucket_of(&self.bounds, seconds);
        if let Some(c) = cell.buckets.get(b) {
            bump(c);
        }
        cell.sum.store((f64::from_bits(cell.sum.load(Relaxed)) + seconds).to_bits(), Relaxed);
    }

    /// Every thread's counts added up: per cell, the counts by status slot, the bucket counts and the sum.
    fn totals(&self) -> Vec<([u64; N_STATUS], [u64; N_BUCKET], f64)> {
        let mut out = vec![([0u64; N_STATUS], [0u64; N_BUCKET], 0f64); self.cells()];
        for shard in self.shards.iter() {
            for (total, cell) in out.iter_mut().zip(shard.cells.iter()) {
                for (t, c) in total.0.iter_mut().zip(&cell.statuses) {
                    *t += c.load(Relaxed);
                }
                for (t, c) in total.1.iter_mut().zip(&cell.buckets) {
                    *t += c.load(Relaxed);
                }
                total.2 += f64::from_bits(cell.sum.load(Relaxed));
            }
        }
        out
    }

    /// Requests counted by each thread that counted any, in no particular order (tests: each thread counts into its
    /// own shard).
    pub fn per_thread_counts(&self) -> Vec<u64> {
        self.shards
            .iter()
            .map(|s| s.cells.iter().flat_map(|c| c.buckets.iter()).map(|b| b.load(Relaxed)).sum())
            .collect()
    }

    /// The zone and service of a cell, and whether its series are shown from the start.
    fn labels(&self, cell: usize) -> Option<(&Name, &Name, bool)> {
        let n = self.services.len();
        let (z, s) = (cell.checked_div(n)?, cell % n);
        Some((self.zones.get(z)?, self.services.get(s)?, z < self.shown.0 && s < self.shown.1))
    }
}

/// The request series as a prometheus_client collector: the same names, labels, HELP, TYPE and buckets as the
/// families they replace.
#[derive(Debug)]
pub struct RequestCollector(pub Arc<RequestSeries>);

impl Collector for RequestCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        if s.cells() == 0 {
            return Ok(());
        }
        let totals = s.totals();
        let other = s.other.lock().clone();
        {
            let help = "Requests answered, by zone, service and status.";
            let mut metric = encoder.encode_descriptor("requests", help, None, MetricType::Counter)?;
            for (cell, (statuses, _, _)) in totals.iter().enumerate() {
                let Some((zone, service, shown)) = s.labels(cell) else { continue };
                for (slot, n) in statuses.iter().enumerate() {
                    let (Some(status), true) = (STATUSES.get(slot), (shown && slot < PRE_REGISTERED) || *n > 0) else {
                        continue;
                    };
                    let labels = RequestLabels { zone: zone.clone(), service: service.clone(), status: *status };
                    ConstCounter::new(*n).encode(metric.encode_family(&labels)?)?;
                }
            }
            for ((z, sv, status), n) in &other {
                let (Some(zone), Some(service)) = (s.zones.get(*z), s.services.get(*sv)) else { continue };
                let labels = RequestLabels { zone: zone.clone(), service: service.clone(), status: *status };
                ConstCounter::new(*n).encode(metric.encode_family(&labels)?)?;
            }
        }
        let help = "Time from the request head to the last byte of the answer, by zone and service.";
        let mut metric = encoder.encode_descriptor("request_duration_seconds", help, None, MetricType::Histogram)?;
        for (cell, (_, buckets, sum)) in totals.iter().enumerate() {
            let Some((zone, service, shown)) = s.labels(cell) else { continue };
            let count = buckets.iter().sum();
            if !shown && count == 0 {
                continue;
            }
            let labels = ZoneService { zone: zone.clone(), service: service.clone() };
            let pairs: Vec<(f64, u64)> = s.bounds.iter().copied().zip(buckets.iter().copied()).collect();
            metric.encode_family(&labels)?.encode_histogram::<NoLabelSet>(*sum, count, &pairs, None)?;
        }
        Ok(())
    }
}
