// Portvakt patch (see PATCH.md, section 7): idle connections of the keep-alive pool without a task each.
//
// pingora 0.9.1 spawns a task for every connection released to the pool (so once per proxied request) that watches
// it while idle and must be woken, and must let go of the connection, before the next request can take it. Here the
// pool's connections are listed instead: a request that takes one checks that it is still listed and not idle past
// its timeout, and one task per connector (started when the first connection is released, ended when the pool is
// empty) closes the ones that expired, that the server closed, or that received data while idle.

use super::test_reusable_stream;
use crate::protocols::{Stream, UniqueIDType};
use log::debug;
use pingora_pool::{BuildMixHasher, ConnectionMeta, ConnectionPool};
use std::collections::hash_map::{self, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// What the pool holds for each idle connection.
pub(super) type Pooled = Arc<Mutex<Stream>>;

/// The longest the sweep waits between two looks at the idle connections.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// One idle connection in the pool.
struct Entry {
    meta: ConnectionMeta,
    stream: Weak<Mutex<Stream>>,
    idle_since: Instant,
    idle_timeout: Option<Duration>,
}

impl Entry {
    fn deadline(&self) -> Option<Instant> {
        self.idle_timeout.map(|t| self.idle_since + t)
    }

    fn expired(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }
}

#[derive(Default)]
struct State {
    // By socket: a listed connection holds its descriptor open, so no two listed connections share one. Socket
    // numbers come from the kernel, so they are hashed with pingora-pool's multiply (its patch 03), not SipHash.
    idle: HashMap<UniqueIDType, Entry, BuildMixHasher>,
    sweeping: bool,
}

/// The idle connections of one connector's pool, and whether a sweep task runs for them.
#[derive(Default)]
pub(super) struct IdleSet {
    state: parking_lot::Mutex<State>,
}

impl IdleSet {
    /// Lists `stream` (about to be put into `pool` under `meta`) as idle; starts the sweep if none runs.
    pub(super) fn released(
        self: &Arc<Self>,
        pool: &Arc<ConnectionPool<Pooled>>,
        meta: &ConnectionMeta,
        stream: &Pooled,
        idle_timeout: Option<Duration>,
        unexpected_data: &Arc<AtomicU64>,
    ) {
        let entry = Entry {
            meta: meta.clone(),
            stream: Arc::downgrade(stream),
            idle_since: Instant::now(),
            idle_timeout,
        };
        let start_sweep = {
            let mut state = self.state.lock();
            state.idle.insert(meta.id, entry);
            !std::mem::replace(&mut state.sweeping, true)
        };
        if start_sweep {
            self.spawn_sweep(pool, unexpected_data.clone());
        }
    }

    /// Whether `stream`, with socket `id` and just taken from the pool, may carry a request: it is still listed
    /// (the sweep has not closed it) and not idle past its timeout. Either way it is no longer listed.
    pub(super) fn taken(&self, id: UniqueIDType, stream: &Pooled) -> bool {
        match self.state.lock().idle.entry(id) {
            hash_map::Entry::Occupied(e) if std::ptr::eq(e.get().stream.as_ptr(), Arc::as_ptr(stream)) => {
                !e.remove().expired(Instant::now())
            }
            _ => false,
        }
    }

    fn spawn_sweep(self: &Arc<Self>, pool: &Arc<ConnectionPool<Pooled>>, unexpected_data: Arc<AtomicU64>) {
        let flag = SweepFlag {
            set: Arc::downgrade(self),
            armed: true,
        };
        let pool = Arc::downgrade(pool);
        // On the releasing thread's runtime, like the idle watch it replaces (patch 02).
        let rt = tokio::runtime::Handle::try_current().unwrap_or_else(|_| pingora_runtime::current_handle());
        rt.spawn(async move {
            let mut flag = flag;
            let mut wait = SWEEP_EVERY;
            loop {
                pingora_timeout::sleep(wait).await;
                let (Some(set), Some(pool)) = (flag.set.upgrade(), pool.upgrade()) else {
                    return;
                };
                match set.sweep(&pool, &unexpected_data) {
                    Some(next) => wait = next,
                    None => {
                        // The pool is empty and `sweep` cleared the flag: the next release starts a new sweep.
                        flag.armed = false;
                        return;
                    }
                }
            }
        });
    }

    /// Closes the listed connections that expired, broke or received data; returns when to look again, or `None`
    /// (and clears the running flag) when nothing is left to watch.
    fn sweep(&self, pool: &ConnectionPool<Pooled>, unexpected_data: &AtomicU64) -> Option<Duration> {
        let now = Instant::now();
        let mut next = SWEEP_EVERY;
        let mut closing = Vec::new();
        let left = {
            let mut state = self.state.lock();
            state.idle.retain(|_, e| {
                // Gone from the pool (taken by a request that then closed it, or evicted): forget it.
                let Some(stream) = e.stream.upgrade() else {
                    return false;
                };
                let usable = !e.expired(now)
                    && match stream.try_lock() {
                        Ok(mut s) => test_reusable_stream(&mut s, unexpected_data),
                        Err(_) => true, // being taken right now
                    };
                if usable {
                    if let Some(d) = e.deadline() {
                        next = next.min(d.saturating_duration_since(now));
                    }
                    true
                } else {
                    closing.push((e.meta.clone(), stream));
                    false
                }
            });
            let left = !state.idle.is_empty();
            if !left {
                state.sweeping = false;
            }
            left
        };
        for (meta, stream) in closing {
            debug!("closing idle connection fd {} of pool {}", meta.id, meta.key);
            // While `stream` is held its descriptor stays open, so `meta.id` names no other connection.
            pool.pop_closed(&meta);
            drop(stream);
        }
        left.then_some(next.max(Duration::from_millis(1)))
    }
}

/// Clears the running flag when the sweep task ends other than by finding the pool empty (its runtime stopped).
struct SweepFlag {
    set: Weak<IdleSet>,
    armed: bool,
}

impl Drop for SweepFlag {
    fn drop(&mut self) {
        if self.armed {
            if let Some(set) = self.set.upgrade() {
                set.state.lock().sweeping = false;
            }
        }
    }
}
