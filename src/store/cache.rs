//! A read-through in-process cache of sessions in front of a shared store (SQLite, Redis).
//!
//! Without it every proxied request reads the store once; with it a busy session costs one store read per
//! `[session] cache_ttl` (default 1 s) per instance, plus the debounced touch, which still goes to the store.
//!
//! # Why a short time-to-live and not invalidation messages
//! Revocation stays correct across instances by bounding how old a cached answer may be: an entry is served for at
//! most `cache_ttl` after it was read from the store, so a logout, "log out everywhere", an eID unlink or a
//! back-channel logout made on instance B is refused on instance A at most `cache_ttl` later. On the instance that
//! ends a session the cache entry is dropped at once (every ending operation goes through this wrapper). The
//! alternatives were considered and not taken:
//! - Redis keyspace notifications or pub/sub: delivery is fire-and-forget; a subscriber that reconnects (failover,
//!   a network blip) silently misses messages, so "exact" becomes "unbounded" in exactly the cases that matter, and
//!   Sentinel failover would need the subscription re-established on the new master. A time bound can't be missed.
//! - A generation table polled in SQLite: a poll per request is a read per request, which is what the cache
//!   removes; polled on a timer, it is again a time window, with more moving parts.
//!
//! The same bound applies to a store outage: a session read within the last `cache_ttl` is served during that
//! window (as it would be if the outage began a moment later); after it, the request needs the store and gets the
//! 503 page. Everything else that needs the store (login, codes, logout, account pages) is never cached.
//!
//! # Idle and absolute expiry stay exact
//! A cached entry is served only while its `last_seen` is younger than the touch interval, i.e. while the store
//! would not write a touch either; once a touch is due the request goes to the store, which writes it, and the
//! cache keeps the `last_seen` the store now holds. So every caller sees the same `last_seen` the store would have
//! returned on this instance, and the idle and lifetime checks (done by the caller on the returned entry, against
//! the request's time) decide exactly as without the cache. (A policy idle timeout shorter than the touch interval
//! would be incoherent with the debounce itself, cache or not.)

use super::*;
use parking_lot::Mutex;
use std::sync::Arc;

/// Sessions held at most; when full the cache starts over (each entry lives a second or so anyway).
pub const CAPACITY: usize = 65_536;

/// The default `[session] cache_ttl`.
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);

/// A [`SessionStore`] that answers [`SessionStore::get_and_touch`] from memory for up to `ttl` after reading the
/// store, and passes every other operation through, dropping the entries it affects.
#[derive(Debug)]
pub struct CachedSessions {
    inner: Arc<dyn SessionStore>,
    ttl: Duration,
    capacity: usize,
    map: Mutex<Map>,
}

#[derive(Default)]
struct Map {
    entries: KeyMap<Cached>,
    /// Bumped by every operation that ends or replaces sessions, so a read that started before it does not put
    /// back what it read (a logout racing a request must not be undone by the request's late answer).
    generation: u64,
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Map").field("entries", &self.entries.len()).field("generation", &self.generation).finish()
    }
}

struct Cached {
    entry: SessionEntry,
    /// When the store was read (the request's time).
    read_at: Instant,
}

impl CachedSessions {
    /// A cache of at most [`CAPACITY`] sessions, each served for at most `ttl` after it was read from `inner`.
    pub fn new(inner: Arc<dyn SessionStore>, ttl: Duration) -> CachedSessions {
        CachedSessions::with_capacity(inner, ttl, CAPACITY)
    }

    /// Like [`CachedSessions::new`] with another capacity (tests).
    pub fn with_capacity(inner: Arc<dyn SessionStore>, ttl: Duration, capacity: usize) -> CachedSessions {
        CachedSessions { inner, ttl, capacity: capacity.max(1), map: Mutex::new(Map::default()) }
    }

    /// Sessions cached right now (tests, metrics).
    pub fn len(&self) -> usize {
        self.map.lock().entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the entries `drop` selects and invalidates reads in flight.
    fn forget(&self, drop: impl Fn(&Key, &SessionEntry) -> bool) {
        let mut m = self.map.lock();
        m.generation = m.generation.wrapping_add(1);
        m.entries.retain(|k, c| !drop(k, &c.entry));
    }

    fn forget_key(&self, key: &Key) {
        let mut m = self.map.lock();
        m.generation = m.generation.wrapping_add(1);
        m.entries.remove(key);
    }
}

#[async_trait::async_trait]
impl SessionStore for CachedSessions {
    async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError> {
        self.forget_key(key);
        self.inner.create(key, entry, ttl).await
    }

    async fn get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Result<Option<SessionEntry>, StoreError> {
        let now = touch.now;
        let generation = {
            let m = self.map.lock();
            if let Some(c) = m.entries.get(key) {
                let fresh = now >= c.read_at && now.since(c.read_at) < self.ttl;
                let no_touch_due = now >= c.entry.last_seen && now.since(c.entry.last_seen) < touch.interval;
                if fresh && no_touch_due {
                    return Ok(Some(c.entry.clone()));
                }
            }
            m.generation
        };
        let got = self.inner.get_and_touch(key, touch, ttl).await;
        let mut m = self.map.lock();
        match &got {
            Ok(Some(entry)) if m.generation == generation => {
                // What the store holds after this call: the touch (same rule as every backend) moved last_seen.
                let idle = now.since(entry.last_seen);
                let touched = idle >= touch.interval && idle < touch.max_idle && now < entry.expires;
                let mut cached = entry.clone();
                if touched {
                    cached.last_seen = now;
                }
                if m.entries.len() >= self.capacity && !m.entries.contains_key(key) {
                    m.entries.clear();
                }
                m.entries.insert(*key, Cached { entry: cached, read_at: now });
            }
            // Gone, ended meanwhile, or the store failed: nothing is kept that the store did not just confirm.
            _ => {
                m.entries.remove(key);
            }
        }
        got
    }

    fn get_and_touch_now(
        &self,
        key: &Key,
        touch: Touch,
        _ttl: Duration,
    ) -> Option<Result<Option<SessionEntry>, StoreError>> {
        // The hit of `get_and_touch`, by the same rule; anything else goes to the store.
        let now = touch.now;
        let m = self.map.lock();
        let c = m.entries.get(key)?;
        let fresh = now >= c.read_at && now.since(c.read_at) < self.ttl;
        let no_touch_due = now >= c.entry.last_seen && now.since(c.entry.last_seen) < touch.interval;
        (fresh && no_touch_due).then(|| Ok(Some(c.entry.clone())))
    }

    async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError> {
        self.forget(|k, _| k == old || k == new);
        self.inner.rotate(old, new, entry, ttl).await
    }

    async fn end(&self, key: &Key) -> Result<bool, StoreError> {
        self.forget_key(key);
        self.inner.end(key).await
    }

    async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError> {
        self.forget(|_, e| e.eid_sid.as_ref() == Some(sid));
        self.inner.end_by_eid_sid(sid).await
    }

    async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError> {
        self.forget(|_, e| &*e.account == account && (scope == SessionScope::All || e.eid));
        self.inner.end_all_of(account, scope).await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.inner.sweep(now, limit).await
    }

    async fn count(&self) -> Result<usize, StoreError> {
        self.inner.count().await
    }

    fn in_process(&self) -> bool {
        self.inner.in_process()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::store::contract::{run_all, Backend};
    use crate::store::memory::MemoryStore;

    /// With the cache in front, a backend still passes the whole store contract (one instance: every end is
    /// seen at once).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn cached_backend_passes_the_contract() {
        run_all(|| async {
            let clock = ManualClock::new();
            let mut stores = MemoryStore::stores(clock.clone());
            stores.sessions = Arc::new(CachedSessions::new(stores.sessions.clone(), DEFAULT_TTL));
            Backend::on_clock(stores, clock)
        })
        .await;
    }

    /// A session store asked as `Sessions::validate_ending_at` asks: `get_and_touch_now` first, `get_and_touch` when
    /// it has no answer at once. Counts the answers given at once.
    #[derive(Debug)]
    struct AskedAtOnce(Arc<dyn SessionStore>, Arc<std::sync::atomic::AtomicUsize>);

    #[async_trait::async_trait]
    impl SessionStore for AskedAtOnce {
        async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError> {
            self.0.create(key, entry, ttl).await
        }
        async fn get_and_touch(
            &self,
            key: &Key,
            touch: Touch,
            ttl: Duration,
        ) -> Result<Option<SessionEntry>, StoreError> {
            match self.0.get_and_touch_now(key, touch, ttl) {
                Some(r) => {
                    self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    r
                }
                None => self.0.get_and_touch(key, touch, ttl).await,
            }
        }
        async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError> {
            self.0.rotate(old, new, entry, ttl).await
        }
        async fn end(&self, key: &Key) -> Result<bool, StoreError> {
            self.0.end(key).await
        }
        async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError> {
            self.0.end_by_eid_sid(sid).await
        }
        async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError> {
            self.0.end_all_of(account, scope).await
        }
        async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
            self.0.sweep(now, limit).await
        }
        async fn count(&self) -> Result<usize, StoreError> {
            self.0.count().await
        }
    }

    /// Asked at once, as a request asks, the memory store and the cache in front of it pass the whole store
    /// contract (revocation, idle expiry, the touch), and the answers at once are used.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn answers_at_once_pass_the_contract() {
        for cached in [false, true] {
            let at_once = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let n = at_once.clone();
            run_all(move || {
                let n = n.clone();
                async move {
                    let clock = ManualClock::new();
                    let mut stores = MemoryStore::stores(clock.clone());
                    if cached {
                        stores.sessions = Arc::new(CachedSessions::new(stores.sessions.clone(), DEFAULT_TTL));
                    }
                    stores.sessions = Arc::new(AskedAtOnce(stores.sessions.clone(), n));
                    Backend::on_clock(stores, clock)
                }
            })
            .await;
            assert!(at_once.load(std::sync::atomic::Ordering::Relaxed) > 0, "cached: {cached}");
        }
    }

    fn entry(now: Instant) -> SessionEntry {
        SessionEntry {
            account: "staff:anna".into(),
            eid: false,
            eid_sid: None,
            created: now,
            last_seen: now,
            expires: now.plus(Duration::from_secs(3600)),
            data: b"{}".as_slice().into(),
        }
    }

    fn touch(now: Instant) -> Touch {
        Touch { now, interval: Duration::from_secs(30), max_idle: Duration::from_secs(900) }
    }

    /// Another instance's logout (straight on the shared store) is seen once the cached read is `ttl` old; the
    /// answer within the window is the cached one, and the cache holds what the store holds after a touch.
    #[tokio::test]
    async fn a_foreign_end_is_seen_after_the_ttl() {
        let clock = ManualClock::new();
        let shared: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(clock.clone()));
        let a = CachedSessions::new(shared.clone(), Duration::from_secs(1));
        let key = Key::of_token("s");
        let ttl = Duration::from_secs(1800);
        shared.create(&key, entry(clock.now()), ttl).await.unwrap();
        assert!(a.get_and_touch(&key, touch(clock.now()), ttl).await.unwrap().is_some());
        assert!(shared.end(&key).await.unwrap(), "ended on instance B");
        clock.advance(Duration::from_millis(999));
        assert!(a.get_and_touch(&key, touch(clock.now()), ttl).await.unwrap().is_some(), "within the window");
        clock.advance(Duration::from_millis(1));
        assert!(a.get_and_touch(&key, touch(clock.now()), ttl).await.unwrap().is_none(), "refused after it");
        assert!(a.is_empty());
    }

    /// A due touch always reaches the store, so the store's `last_seen` is exactly what it would be without the
    /// cache, and the cache answers with it afterwards.
    #[tokio::test]
    async fn a_due_touch_reaches_the_store() {
        let clock = ManualClock::new();
        let shared: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(clock.clone()));
        let a = CachedSessions::new(shared.clone(), Duration::from_secs(3600));
        let key = Key::of_token("s");
        let ttl = Duration::from_secs(1800);
        let t0 = clock.now();
        shared.create(&key, entry(t0), ttl).await.unwrap();
        a.get_and_touch(&key, touch(clock.now()), ttl).await.unwrap();
        clock.advance(Duration::from_secs(31));
        let t1 = clock.now();
        assert_eq!(a.get_and_touch(&key, touch(t1), ttl).await.unwrap().unwrap().last_seen, t0, "as before");
        let direct = shared.get_and_touch(&key, touch(t1), ttl).await.unwrap().unwrap();
        assert_eq!(direct.last_seen, t1, "the touch was written to the store");
        clock.advance(Duration::from_secs(5));
        assert_eq!(a.get_and_touch(&key, touch(clock.now()), ttl).await.unwrap().unwrap().last_seen, t1);
    }

    /// Ending on this instance drops the cached entry at once, by key, by account and by eID session.
    #[tokio::test]
    async fn local_ends_are_seen_at_once() {
        let clock = ManualClock::new();
        let shared: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(clock.clone()));
        let a = CachedSessions::new(shared.clone(), Duration::from_secs(3600));
        let ttl = Duration::from_secs(1800);
        let sid = EidSid { provider: "idporten".into(), sid: "x".into() };
        let mut e = entry(clock.now());
        e.eid = true;
        e.eid_sid = Some(sid.clone());
        let keys = [Key::of_token("1"), Key::of_token("2"), Key::of_token("3")];
        for k in &keys {
            a.create(k, e.clone(), ttl).await.unwrap();
            assert!(a.get_and_touch(k, touch(clock.now()), ttl).await.unwrap().is_some());
        }
        a.end(&keys[0]).await.unwrap();
        assert!(a.get_and_touch(&keys[0], touch(clock.now()), ttl).await.unwrap().is_none());
        a.end_by_eid_sid(&sid).await.unwrap();
        assert!(a.get_and_touch(&keys[1], touch(clock.now()), ttl).await.unwrap().is_none());
        a.create(&keys[2], e.clone(), ttl).await.unwrap();
        assert!(a.get_and_touch(&keys[2], touch(clock.now()), ttl).await.unwrap().is_some());
        a.end_all_of("staff:anna", SessionScope::EidOnly).await.unwrap();
        assert!(a.get_and_touch(&keys[2], touch(clock.now()), ttl).await.unwrap().is_none());
    }

    /// A full cache starts over instead of growing.
    #[tokio::test]
    async fn capacity_is_bounded() {
        let clock = ManualClock::new();
        let shared: Arc<dyn SessionStore> = Arc::new(MemoryStore::new(clock.clone()));
        let a = CachedSessions::with_capacity(shared.clone(), Duration::from_secs(1), 4);
        let ttl = Duration::from_secs(1800);
        for i in 0..10 {
            let k = Key::of_token(&i.to_string());
            shared.create(&k, entry(clock.now()), ttl).await.unwrap();
            a.get_and_touch(&k, touch(clock.now()), ttl).await.unwrap();
            assert!(a.len() <= 4);
        }
    }
}
