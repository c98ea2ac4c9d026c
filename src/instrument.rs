//! Store and directory operations counted and timed for [`crate::metrics`]: wrappers around the configured stores
//! and directories, put in place once at start, so neither the backends nor their callers carry metrics code.
//!
//! A store operation is `success` when the store answered (whatever the answer) and `error` when it failed; a
//! directory operation likewise (an unknown user or a wrong password is an answer, `success`; an unreachable LDAP
//! server is `error`). A directory outage thus shows in `portvakt_directory_operations_total{result="error"}`
//! while `/readyz`, which only asks the state store, stays ready.

use crate::clock::Instant;
use crate::directory::{Directory, DirectoryError, SharedDirectory, User};
use crate::metrics::{Metrics, Name};
use crate::store::*;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;

/// Times one store call and counts it.
macro_rules! timed {
    ($self:ident, $op:literal, $call:expr) => {{
        let start = std::time::Instant::now();
        let r = $call.await;
        $self.metrics.store_op($self.name, $op, r.is_ok(), start.elapsed());
        r
    }};
}

/// One store behind its metrics.
#[derive(Debug)]
pub struct Timed<T: ?Sized> {
    inner: Arc<T>,
    name: &'static str,
    metrics: Arc<Metrics>,
}

fn timed<T: ?Sized>(inner: &Arc<T>, name: &'static str, metrics: &Arc<Metrics>) -> Timed<T> {
    Timed { inner: inner.clone(), name, metrics: metrics.clone() }
}

/// The same stores, each operation counted and timed under the store's name.
pub fn stores(s: &Stores, m: &Arc<Metrics>) -> Stores {
    Stores {
        sessions: Arc::new(timed(&s.sessions, "sessions", m)),
        challenges: Arc::new(timed(&s.challenges, "challenges", m)),
        flows: Arc::new(timed(&s.flows, "flows", m)),
        regulation: Arc::new(timed(&s.regulation, "regulation", m)),
        rate_limits: Arc::new(timed(&s.rate_limits, "rate_limits", m)),
        accounts: Arc::new(timed(&s.accounts, "accounts", m)),
        snapshots: Arc::new(timed(&s.snapshots, "snapshots", m)),
        probe: Arc::new(timed(&s.probe, "probe", m)),
    }
}

#[async_trait]
impl SessionStore for Timed<dyn SessionStore> {
    async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError> {
        timed!(self, "create", self.inner.create(key, entry, ttl))
    }
    async fn get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Result<Option<SessionEntry>, StoreError> {
        timed!(self, "get_and_touch", self.inner.get_and_touch(key, touch, ttl))
    }
    fn get_and_touch_now(
        &self,
        key: &Key,
        touch: Touch,
        ttl: Duration,
    ) -> Option<Result<Option<SessionEntry>, StoreError>> {
        // Counted and timed as the call it answers for; nothing is counted when the backend has no answer at once
        // (the caller then asks `get_and_touch`, which counts).
        let start = std::time::Instant::now();
        let r = self.inner.get_and_touch_now(key, touch, ttl)?;
        self.metrics.store_op(self.name, "get_and_touch", r.is_ok(), start.elapsed());
        Some(r)
    }
    async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError> {
        timed!(self, "rotate", self.inner.rotate(old, new, entry, ttl))
    }
    async fn end(&self, key: &Key) -> Result<bool, StoreError> {
        timed!(self, "end", self.inner.end(key))
    }
    async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError> {
        timed!(self, "end_by_eid_sid", self.inner.end_by_eid_sid(sid))
    }
    async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError> {
        timed!(self, "end_all_of", self.inner.end_all_of(account, scope))
    }
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        timed!(self, "sweep", self.inner.sweep(now, limit))
    }
    async fn count(&self) -> Result<usize, StoreError> {
        timed!(self, "count", self.inner.count())
    }
    fn in_process(&self) -> bool {
        self.inner.in_process()
    }
}

#[async_trait]
impl ChallengeStore for Timed<dyn ChallengeStore> {
    async fn open(&self, session: &Key, code: NewCode, max_sends: u32, ttl: Duration) -> Result<Opened, StoreError> {
        timed!(self, "open", self.inner.open(session, code, max_sends, ttl))
    }
    async fn get(&self, session: &Key) -> Result<Option<ChallengeEntry>, StoreError> {
        timed!(self, "get", self.inner.get(session))
    }
    async fn consume_if_matches(
        &self,
        session: &Key,
        account: &str,
        code_mac: &[u8; 32],
        now: Instant,
        max_tries: u32,
    ) -> Result<Consumed, StoreError> {
        timed!(self, "consume_if_matches", self.inner.consume_if_matches(session, account, code_mac, now, max_tries))
    }
    async fn record_wrong_try(&self, session: &Key, max_tries: u32) -> Result<Option<u32>, StoreError> {
        timed!(self, "record_wrong_try", self.inner.record_wrong_try(session, max_tries))
    }
    async fn uncount_send(&self, session: &Key) -> Result<(), StoreError> {
        timed!(self, "uncount_send", self.inner.uncount_send(session))
    }
    async fn remove(&self, session: &Key) -> Result<(), StoreError> {
        timed!(self, "remove", self.inner.remove(session))
    }
    async fn incr_account_failures(
        &self,
        account: &str,
        now: Instant,
        lockout: Lockout,
        ttl: Duration,
    ) -> Result<AccountFailures, StoreError> {
        timed!(self, "incr_account_failures", self.inner.incr_account_failures(account, now, lockout, ttl))
    }
    async fn account_failures(&self, account: &str, now: Instant) -> Result<AccountFailures, StoreError> {
        timed!(self, "account_failures", self.inner.account_failures(account, now))
    }
    async fn reset_account_failures(&self, account: &str) -> Result<(), StoreError> {
        timed!(self, "reset_account_failures", self.inner.reset_account_failures(account))
    }
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        timed!(self, "sweep", self.inner.sweep(now, limit))
    }
}

#[async_trait]
impl FlowStore for Timed<dyn FlowStore> {
    async fn put(&self, key: &Key, flow: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        timed!(self, "put", self.inner.put(key, flow, ttl))
    }
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        timed!(self, "get", self.inner.get(key))
    }
    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        timed!(self, "take", self.inner.take(key))
    }
    async fn use_once(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError> {
        timed!(self, "use_once", self.inner.use_once(key, ttl))
    }
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        timed!(self, "sweep", self.inner.sweep(now, limit))
    }
}

#[async_trait]
impl RegulationStore for Timed<dyn RegulationStore> {
    async fn record_attempt(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<BanState, StoreError> {
        timed!(self, "record_attempt", self.inner.record_attempt(keys, now))
    }
    async fn refund(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<(), StoreError> {
        timed!(self, "refund", self.inner.refund(keys, now))
    }
    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        timed!(self, "clear", self.inner.clear(key))
    }
    async fn banned(&self, keys: &[&str], now: Instant) -> Result<Option<Duration>, StoreError> {
        timed!(self, "banned", self.inner.banned(keys, now))
    }
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        timed!(self, "sweep", self.inner.sweep(now, limit))
    }
}

#[async_trait]
impl RateLimitStore for Timed<dyn RateLimitStore> {
    async fn hit(&self, key: &str, quota: Quota, now: Instant) -> Result<RateDecision, StoreError> {
        timed!(self, "hit", self.inner.hit(key, quota, now))
    }
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        timed!(self, "sweep", self.inner.sweep(now, limit))
    }
}

#[async_trait]
impl AccountStore for Timed<dyn AccountStore> {
    async fn get(&self, account: &str) -> Result<Account, StoreError> {
        timed!(self, "get", self.inner.get(account))
    }
    async fn set_phones(&self, account: &str, phones: Vec<String>) -> Result<Vec<String>, StoreError> {
        timed!(self, "set_phones", self.inner.set_phones(account, phones))
    }
    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, StoreError> {
        timed!(self, "find_eid", self.inner.find_eid(provider, person_id))
    }
    async fn link_eid(&self, account: &str, link: EidLink) -> Result<LinkOutcome, StoreError> {
        timed!(self, "link_eid", self.inner.link_eid(account, link))
    }
    async fn unlink_eid(&self, account: &str) -> Result<Option<EidLink>, StoreError> {
        timed!(self, "unlink_eid", self.inner.unlink_eid(account))
    }
}

#[async_trait]
impl SnapshotStore for Timed<dyn SnapshotStore> {
    async fn put_snapshot(&self, account: &str, entry: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        timed!(self, "put_snapshot", self.inner.put_snapshot(account, entry, ttl))
    }
    async fn snapshot(&self, account: &str) -> Result<Option<Vec<u8>>, StoreError> {
        timed!(self, "snapshot", self.inner.snapshot(account))
    }
}

#[async_trait]
impl Probe for Timed<dyn Probe> {
    async fn probe(&self) -> Result<(), StoreError> {
        timed!(self, "probe", self.inner.probe())
    }
}

/// A directory behind its metrics.
#[derive(Debug)]
pub struct TimedDirectory {
    inner: SharedDirectory,
    name: Name,
    metrics: Arc<Metrics>,
}

/// The same directory, each operation counted and timed under its realm name.
pub fn directory(d: SharedDirectory, metrics: &Arc<Metrics>) -> SharedDirectory {
    let name = Name::from(d.name());
    Arc::new(TimedDirectory { inner: d, name, metrics: metrics.clone() })
}

impl TimedDirectory {
    fn count<T>(&self, op: &'static str, start: std::time::Instant, r: &Result<T, DirectoryError>) {
        // A refusal by the directory (disabled, must change password) is an answer, not an outage.
        let ok = matches!(r, Ok(_) | Err(DirectoryError::Refused { .. }));
        self.metrics.directory_op(&self.name, op, ok, start.elapsed());
    }
}

#[async_trait]
impl Directory for TimedDirectory {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn title(&self) -> &str {
        self.inner.title()
    }
    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>, DirectoryError> {
        let start = std::time::Instant::now();
        let r = self.inner.authenticate(username, password).await;
        self.count("authenticate", start, &r);
        r
    }
    async fn lookup(&self, username: &str) -> Result<Option<User>, DirectoryError> {
        let start = std::time::Instant::now();
        let r = self.inner.lookup(username).await;
        self.count("lookup", start, &r);
        r
    }
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, DirectoryError> {
        let start = std::time::Instant::now();
        let r = self.inner.find_by_email(email).await;
        self.count("find_by_email", start, &r);
        r
    }
    fn groups(&self) -> Option<std::collections::HashSet<String>> {
        self.inner.groups()
    }
    fn groups_mapped(&self) -> bool {
        self.inner.groups_mapped()
    }
    fn refresh_interval(&self) -> Option<std::time::Duration> {
        self.inner.refresh_interval()
    }
    fn reload(&self) -> Result<(), crate::config::error::ConfigErrors> {
        self.inner.reload()
    }
}
