//! The in-memory backend: one process, everything lost on restart. Each operation holds one lock for its whole
//! step, so it is atomic across pingora's worker threads; rate limits are governor's in-process GCRA.

use super::*;
use crate::clock::SharedClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::RateLimiter;
use parking_lot::{Mutex, RwLock};
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Arc;

/// Most regulation keys held before idle ones are swept, so a flood of distinct names can't exhaust memory.
const MAX_REGULATION_KEYS: usize = 100_000;

#[derive(Debug, Clone)]
struct Timed<T> {
    value: T,
    deadline: Instant,
}

#[derive(Debug, Default)]
struct SessionMaps {
    by_key: KeyMap<Timed<SessionEntry>>,
    by_account: HashMap<Arc<str>, KeySet>,
    by_sid: HashMap<(String, String), KeySet>,
}

impl SessionMaps {
    fn insert(&mut self, key: Key, entry: SessionEntry, deadline: Instant) {
        self.remove(&key);
        self.by_account.entry(entry.account.clone()).or_default().insert(key);
        if let Some(s) = &entry.eid_sid {
            self.by_sid.entry((s.provider.clone(), s.sid.clone())).or_default().insert(key);
        }
        self.by_key.insert(key, Timed { value: entry, deadline });
    }

    fn remove(&mut self, key: &Key) -> bool {
        let Some(old) = self.by_key.remove(key) else { return false };
        if let Some(set) = self.by_account.get_mut(&old.value.account) {
            set.remove(key);
            if set.is_empty() {
                self.by_account.remove(&old.value.account);
            }
        }
        if let Some(s) = &old.value.eid_sid {
            let k = (s.provider.clone(), s.sid.clone());
            if let Some(set) = self.by_sid.get_mut(&k) {
                set.remove(key);
                if set.is_empty() {
                    self.by_sid.remove(&k);
                }
            }
        }
        true
    }
}

#[derive(Debug, Default)]
struct RegEntry {
    attempts: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

/// governor's view of the injected clock.
#[derive(Debug, Clone)]
struct GovClock(SharedClock);

impl governor::clock::Clock for GovClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.now().0)
    }
}

/// Accounts by name, and the person index (provider, person ID) → account.
type AccountMaps = (HashMap<String, Account>, HashMap<(String, String), String>);

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, GovClock, NoOpMiddleware<Duration>>;

/// Every store in this process's memory.
#[derive(Debug)]
pub struct MemoryStore {
    clock: SharedClock,
    sessions: RwLock<SessionMaps>,
    challenges: Mutex<KeyMap<Timed<ChallengeEntry>>>,
    failures: Mutex<HashMap<String, Timed<AccountFailures>>>,
    flows: Mutex<KeyMap<Timed<Vec<u8>>>>,
    marks: Mutex<KeyMap<Timed<()>>>,
    snapshots: Mutex<HashMap<String, Timed<Vec<u8>>>>,
    regulation: Mutex<HashMap<String, RegEntry>>,
    limiters: Mutex<HashMap<Quota, Arc<Keyed>>>,
    accounts: Mutex<AccountMaps>,
}

impl MemoryStore {
    /// An empty store on the given clock.
    pub fn new(clock: SharedClock) -> MemoryStore {
        MemoryStore {
            clock,
            sessions: Default::default(),
            challenges: Default::default(),
            failures: Default::default(),
            flows: Default::default(),
            marks: Default::default(),
            snapshots: Default::default(),
            regulation: Default::default(),
            limiters: Default::default(),
            accounts: Default::default(),
        }
    }

    /// Every trait of this store, sharing one instance.
    pub fn stores(clock: SharedClock) -> Stores {
        Stores::all_from(Arc::new(MemoryStore::new(clock)))
    }

    fn deadline(&self, ttl: Duration) -> Instant {
        self.clock.now().plus(ttl)
    }
}

fn sweep_map<K: Clone + Eq + std::hash::Hash, V, S: std::hash::BuildHasher>(
    map: &mut HashMap<K, Timed<V>, S>,
    now: Instant,
    limit: usize,
) -> Vec<K> {
    let dead: Vec<K> = map.iter().filter(|(_, t)| t.deadline <= now).map(|(k, _)| k.clone()).take(limit).collect();
    for k in &dead {
        map.remove(k);
    }
    dead
}

impl MemoryStore {
    /// `get_and_touch` on the sessions map: read under the read lock, written (the touch) under the write lock only
    /// when a touch is due.
    fn sessions_get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Option<SessionEntry> {
        let now = touch.now;
        let due = |e: &Timed<SessionEntry>| {
            now.since(e.value.last_seen) >= touch.interval
                && now.since(e.value.last_seen) < touch.max_idle
                && now < e.value.expires
        };
        {
            let map = self.sessions.read();
            match map.by_key.get(key) {
                None => return None,
                Some(e) if e.deadline <= now => return None,
                Some(e) if !due(e) => return Some(e.value.clone()),
                Some(_) => {}
            }
        }
        let mut map = self.sessions.write();
        let e = map.by_key.get_mut(key).filter(|e| e.deadline > now)?;
        let before = e.value.clone();
        if due(e) {
            e.value.last_seen = now;
            e.deadline = now.plus(ttl);
        }
        Some(before)
    }
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError> {
        let deadline = self.deadline(ttl);
        self.sessions.write().insert(*key, entry, deadline);
        Ok(())
    }

    async fn get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Result<Option<SessionEntry>, StoreError> {
        Ok(self.sessions_get_and_touch(key, touch, ttl))
    }

    fn get_and_touch_now(
        &self,
        key: &Key,
        touch: Touch,
        ttl: Duration,
    ) -> Option<Result<Option<SessionEntry>, StoreError>> {
        Some(Ok(self.sessions_get_and_touch(key, touch, ttl)))
    }

    async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut map = self.sessions.write();
        if map.by_key.get(old).is_none_or(|e| e.deadline <= now) {
            return Ok(false);
        }
        map.remove(old);
        map.insert(*new, entry, now.plus(ttl));
        Ok(true)
    }

    async fn end(&self, key: &Key) -> Result<bool, StoreError> {
        Ok(self.sessions.write().remove(key))
    }

    async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError> {
        let mut map = self.sessions.write();
        let keys: Vec<Key> = map
            .by_sid
            .get(&(sid.provider.clone(), sid.sid.clone()))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        Ok(keys.iter().filter(|k| map.remove(k)).count())
    }

    async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError> {
        let mut map = self.sessions.write();
        let keys: Vec<Key> = map.by_account.get(account).map(|s| s.iter().copied().collect()).unwrap_or_default();
        let chosen: Vec<Key> = keys
            .into_iter()
            .filter(|k| scope == SessionScope::All || map.by_key.get(k).is_some_and(|e| e.value.eid))
            .collect();
        Ok(chosen.iter().filter(|k| map.remove(k)).count())
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let mut map = self.sessions.write();
        let dead: Vec<Key> = map
            .by_key
            .iter()
            .filter(|(_, e)| e.deadline <= now || e.value.expires <= now)
            .map(|(k, _)| *k)
            .take(limit)
            .collect();
        Ok(dead.iter().filter(|k| map.remove(k)).count())
    }

    async fn count(&self) -> Result<usize, StoreError> {
        Ok(self.sessions.read().by_key.len())
    }

    fn in_process(&self) -> bool {
        true
    }
}

#[async_trait::async_trait]
impl ChallengeStore for MemoryStore {
    async fn open(&self, session: &Key, code: NewCode, max_sends: u32, ttl: Duration) -> Result<Opened, StoreError> {
        let now = self.clock.now();
        let mut map = self.challenges.lock();
        let prior = map.get(session).filter(|c| c.deadline > now && c.value.account == code.account);
        let (failures, sends) = prior.map(|c| (c.value.failures, c.value.sends)).unwrap_or((0, 0));
        if sends >= max_sends {
            return Ok(Opened::SendCap);
        }
        let entry = ChallengeEntry {
            account: code.account,
            channel: code.channel,
            code_mac: code.code_mac,
            expires: code.expires,
            failures,
            sends: sends + 1,
        };
        map.insert(*session, Timed { value: entry.clone(), deadline: now.plus(ttl) });
        Ok(Opened::Stored(entry))
    }

    async fn get(&self, session: &Key) -> Result<Option<ChallengeEntry>, StoreError> {
        let now = self.clock.now();
        Ok(self.challenges.lock().get(session).filter(|c| c.deadline > now).map(|c| c.value.clone()))
    }

    async fn consume_if_matches(
        &self,
        session: &Key,
        account: &str,
        code_mac: &[u8; 32],
        now: Instant,
        max_tries: u32,
    ) -> Result<Consumed, StoreError> {
        use subtle::ConstantTimeEq;
        let mut map = self.challenges.lock();
        let Some(c) = map.get_mut(session).filter(|c| c.deadline > now && c.value.account == account) else {
            return Ok(Consumed::Missing);
        };
        if c.value.failures >= max_tries {
            return Ok(Consumed::Exhausted);
        }
        if now >= c.value.expires {
            return Ok(Consumed::Expired);
        }
        if bool::from(c.value.code_mac.ct_eq(code_mac)) {
            let taken = c.value.clone();
            map.remove(session);
            return Ok(Consumed::Matched(taken));
        }
        c.value.failures += 1;
        Ok(Consumed::Wrong { remaining: max_tries.saturating_sub(c.value.failures) })
    }

    async fn record_wrong_try(&self, session: &Key, max_tries: u32) -> Result<Option<u32>, StoreError> {
        let now = self.clock.now();
        let mut map = self.challenges.lock();
        let Some(c) = map.get_mut(session).filter(|c| c.deadline > now) else { return Ok(None) };
        if c.value.failures < max_tries {
            c.value.failures += 1;
        }
        Ok(Some(max_tries.saturating_sub(c.value.failures)))
    }

    async fn uncount_send(&self, session: &Key) -> Result<(), StoreError> {
        if let Some(c) = self.challenges.lock().get_mut(session) {
            c.value.sends = c.value.sends.saturating_sub(1);
        }
        Ok(())
    }

    async fn remove(&self, session: &Key) -> Result<(), StoreError> {
        self.challenges.lock().remove(session);
        Ok(())
    }

    async fn incr_account_failures(
        &self,
        account: &str,
        now: Instant,
        lockout: Lockout,
        ttl: Duration,
    ) -> Result<AccountFailures, StoreError> {
        let mut map = self.failures.lock();
        let e = map
            .entry(account.to_string())
            .or_insert_with(|| Timed { value: AccountFailures::default(), deadline: now.plus(ttl) });
        if e.deadline <= now {
            e.value = AccountFailures::default();
        }
        if e.value.locked_until.is_some_and(|u| u <= now) {
            e.value.locked_until = None;
        }
        e.value.count += 1;
        if e.value.count >= lockout.after {
            e.value.count = 0;
            e.value.locked_until = Some(now.plus(lockout.duration));
        }
        e.deadline = now.plus(ttl.max(lockout.duration));
        Ok(e.value)
    }

    async fn account_failures(&self, account: &str, now: Instant) -> Result<AccountFailures, StoreError> {
        let map = self.failures.lock();
        let mut f = map.get(account).filter(|e| e.deadline > now).map(|e| e.value).unwrap_or_default();
        if f.locked_until.is_some_and(|u| u <= now) {
            f.locked_until = None;
        }
        Ok(f)
    }

    async fn reset_account_failures(&self, account: &str) -> Result<(), StoreError> {
        self.failures.lock().remove(account);
        Ok(())
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let n = sweep_map(&mut self.challenges.lock(), now, limit).len();
        Ok(n + sweep_map(&mut self.failures.lock(), now, limit.saturating_sub(n)).len())
    }
}

#[async_trait::async_trait]
impl FlowStore for MemoryStore {
    async fn put(&self, key: &Key, flow: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let deadline = self.deadline(ttl);
        self.flows.lock().insert(*key, Timed { value: flow, deadline });
        Ok(())
    }

    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.clock.now();
        Ok(self.flows.lock().get(key).filter(|t| t.deadline > now).map(|t| t.value.clone()))
    }

    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.clock.now();
        Ok(self.flows.lock().remove(key).filter(|t| t.deadline > now).map(|t| t.value))
    }

    async fn use_once(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut marks = self.marks.lock();
        if marks.get(key).is_some_and(|t| t.deadline > now) {
            return Ok(false);
        }
        marks.insert(*key, Timed { value: (), deadline: now.plus(ttl) });
        Ok(true)
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let flows = sweep_map(&mut self.flows.lock(), now, limit).len();
        let marks = sweep_map(&mut self.marks.lock(), now, limit.saturating_sub(flows)).len();
        let snapshots = sweep_map(&mut self.snapshots.lock(), now, limit.saturating_sub(flows + marks)).len();
        Ok(flows + marks + snapshots)
    }
}

#[async_trait::async_trait]
impl SnapshotStore for MemoryStore {
    async fn put_snapshot(&self, account: &str, entry: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let deadline = self.deadline(ttl);
        self.snapshots.lock().insert(account.to_string(), Timed { value: entry, deadline });
        Ok(())
    }

    async fn snapshot(&self, account: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = self.clock.now();
        Ok(self.snapshots.lock().get(account).filter(|t| t.deadline > now).map(|t| t.value.clone()))
    }
}

fn reg_prune(e: &mut RegEntry, limits: RegulationLimits, now: Instant) {
    if e.banned_until.is_some_and(|u| u <= now) {
        e.banned_until = None;
        e.attempts.clear();
    }
    while e.attempts.front().is_some_and(|t| now.since(*t) >= limits.find_time) {
        e.attempts.pop_front();
    }
}

#[async_trait::async_trait]
impl RegulationStore for MemoryStore {
    async fn record_attempt(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<BanState, StoreError> {
        let mut map = self.regulation.lock();
        if map.len() >= MAX_REGULATION_KEYS {
            map.retain(|_, e| e.banned_until.is_some_and(|u| u > now) || !e.attempts.is_empty());
        }
        let wait = keys
            .iter()
            .filter_map(|(k, _)| map.get(*k).and_then(|e| e.banned_until))
            .filter(|u| *u > now)
            .map(|u| u.since(now))
            .max();
        if let Some(w) = wait {
            return Ok(BanState::Banned(w));
        }
        for (k, limits) in keys {
            let e = map.entry((*k).to_string()).or_default();
            reg_prune(e, *limits, now);
            e.attempts.push_back(now);
            if e.attempts.len() >= limits.max_failures as usize {
                e.banned_until = Some(now.plus(limits.ban_time));
            }
        }
        Ok(BanState::Allowed)
    }

    async fn refund(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<(), StoreError> {
        let mut map = self.regulation.lock();
        for (k, limits) in keys {
            if let Some(e) = map.get_mut(*k) {
                e.attempts.pop_back();
                if e.attempts.len() < limits.max_failures as usize && e.banned_until.is_some_and(|u| u > now) {
                    e.banned_until = None;
                }
            }
        }
        Ok(())
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.regulation.lock().remove(key);
        Ok(())
    }

    async fn banned(&self, keys: &[&str], now: Instant) -> Result<Option<Duration>, StoreError> {
        let map = self.regulation.lock();
        Ok(keys
            .iter()
            .filter_map(|k| map.get(*k).and_then(|e| e.banned_until))
            .filter(|u| *u > now)
            .map(|u| u.since(now))
            .max())
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        // Attempts older than a day count in no window a config can set; bans are checked by deadline.
        let day = Duration::from_secs(24 * 3600);
        let mut map = self.regulation.lock();
        let dead: Vec<String> = map
            .iter()
            .filter(|(_, e)| {
                e.banned_until.is_none_or(|u| u <= now) && e.attempts.back().is_none_or(|t| now.since(*t) >= day)
            })
            .map(|(k, _)| k.clone())
            .take(limit)
            .collect();
        for k in &dead {
            map.remove(k);
        }
        Ok(dead.len())
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// governor's quota for `count` per `window`, bursting to `count`.
pub fn governor_quota(q: Quota) -> governor::Quota {
    let per = q.window / q.count.max(1);
    governor::Quota::with_period(per.max(Duration::from_millis(1)))
        .unwrap_or(governor::Quota::per_second(nz(1)))
        .allow_burst(nz(q.count))
}

#[async_trait::async_trait]
impl RateLimitStore for MemoryStore {
    async fn hit(&self, key: &str, quota: Quota, _now: Instant) -> Result<RateDecision, StoreError> {
        use governor::clock::Clock;
        let limiter = {
            let mut map = self.limiters.lock();
            map.entry(quota)
                .or_insert_with(|| {
                    Arc::new(RateLimiter::new(
                        governor_quota(quota),
                        DefaultKeyedStateStore::default(),
                        GovClock(self.clock.clone()),
                    ))
                })
                .clone()
        };
        let now = GovClock(self.clock.clone()).now();
        Ok(match limiter.check_key(&key.to_string()) {
            Ok(()) => RateDecision::Ok,
            Err(nu) => RateDecision::Wait(nu.wait_time_from(now)),
        })
    }

    async fn sweep(&self, _now: Instant, _limit: usize) -> Result<usize, StoreError> {
        let limiters: Vec<Arc<Keyed>> = self.limiters.lock().values().cloned().collect();
        let mut n = 0;
        for l in limiters {
            let before = l.len();
            l.retain_recent();
            n += before.saturating_sub(l.len());
        }
        Ok(n)
    }
}

#[async_trait::async_trait]
impl AccountStore for MemoryStore {
    async fn get(&self, account: &str) -> Result<Account, StoreError> {
        Ok(self.accounts.lock().0.get(account).cloned().unwrap_or_default())
    }

    async fn set_phones(&self, account: &str, phones: Vec<String>) -> Result<Vec<String>, StoreError> {
        let mut a = self.accounts.lock();
        Ok(std::mem::replace(&mut a.0.entry(account.to_string()).or_default().phones, phones))
    }

    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self.accounts.lock().1.get(&(provider.to_string(), person_id.to_string())).cloned())
    }

    async fn link_eid(&self, account: &str, link: EidLink) -> Result<LinkOutcome, StoreError> {
        let mut guard = self.accounts.lock();
        let (accounts, persons) = &mut *guard;
        let pkey = (link.provider.clone(), link.person_id.clone());
        if persons.get(&pkey).is_some_and(|a| a != account) {
            return Ok(LinkOutcome::PersonTaken);
        }
        let acc = accounts.entry(account.to_string()).or_default();
        if acc.eid.is_some() {
            return Ok(LinkOutcome::AlreadyLinked);
        }
        acc.eid = Some(link);
        persons.insert(pkey, account.to_string());
        Ok(LinkOutcome::Linked)
    }

    async fn unlink_eid(&self, account: &str) -> Result<Option<EidLink>, StoreError> {
        let mut guard = self.accounts.lock();
        let (accounts, persons) = &mut *guard;
        let old = accounts.get_mut(account).and_then(|a| a.eid.take());
        if let Some(l) = &old {
            persons.remove(&(l.provider.clone(), l.person_id.clone()));
        }
        Ok(old)
    }
}

#[async_trait::async_trait]
impl Probe for MemoryStore {
    async fn probe(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
