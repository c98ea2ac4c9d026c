//! Sessions: random IDs held by the browser, records held by a [`SessionStore`] under the ID's hash.
//!
//! The ID (256 random bits) is never stored; a stolen store dump can't be replayed as cookies. Idle timeout and
//! absolute lifetime are checked on every lookup against the injected clock, whatever the store does on its own.

pub mod config;

use crate::clock::{Instant, SharedClock};
use crate::identity::AccountId;
use base64::Engine;
use rand::RngCore;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use crate::methods::{Assurance, Method, Methods};
pub use crate::token::{random_token, token_eq};
pub use config::SessionSettings;

/// A session ID as held in the browser's cookie, with its store key (hashed once, not at every use on a request's
/// path). Its `Debug` never shows the value. The 43 characters are kept inline: reading the cookie on a request
/// allocates nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; ID_LEN], SessionKey);

/// Length of a session ID: 32 bytes in base64url without padding.
const ID_LEN: usize = 43;

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

impl SessionId {
    /// A fresh ID of 256 random bits, base64url without padding.
    pub fn generate() -> SessionId {
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        let mut id = [0u8; ID_LEN];
        // 32 bytes always encode to exactly 43 characters, so this cannot fail; an ID of zeros would never parse.
        let _ = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_slice(b, &mut id);
        SessionId::with_key(id)
    }

    /// Accepts a cookie value only if it has the shape of an ID this gateway issues.
    pub fn parse(s: &str) -> Option<SessionId> {
        let id: [u8; ID_LEN] = s.as_bytes().try_into().ok()?;
        id.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_').then(|| SessionId::with_key(id))
    }

    fn with_key(id: [u8; ID_LEN]) -> SessionId {
        let key = SessionKey::of_token(std::str::from_utf8(&id).unwrap_or_default());
        SessionId(id, key)
    }

    /// The cookie value.
    pub fn as_str(&self) -> &str {
        // Only base64url characters are ever stored (generated or checked by `parse`), so this is always the ID.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The store key: SHA-256 of the ID.
    pub fn key(&self) -> SessionKey {
        self.1
    }
}

/// The hash under which a session is stored.
pub use crate::store::Key as SessionKey;

/// What a session knows about its user and login.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    /// Login name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Directory the user logged in through.
    pub realm: String,
    /// Groups at login.
    pub groups: Vec<String>,
    /// The user's institution, if one is known (forwarded as `X-Portvakt-Institution`).
    #[serde(default)]
    pub institution: Option<String>,
    /// Mobile numbers from the directory entry, as written there (offered for SMS codes after registered ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_phones: Vec<String>,
    /// E-mail address at login (for codes and notices).
    pub email: Option<String>,
    /// Methods used.
    pub methods: Methods,
    /// eID assurance of the login (`None` without eID).
    #[serde(default)]
    pub assurance: Assurance,
    /// The eID login behind this session, for ending the provider's session and front-channel logout.
    #[serde(default)]
    pub eid: Option<EidLogin>,
    /// When the login completed.
    pub created: Instant,
    /// When the directory last confirmed the account (`None`: at login); directories with a refresh interval
    /// check it again after that long.
    #[serde(default)]
    pub checked: Option<Instant>,
    /// The login used a last-known directory entry fetched then (an eID login while the directory did not
    /// answer): the account is checked again at every request until the directory answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_snapshot: Option<Instant>,
    /// Last request seen.
    pub last_seen: Instant,
    /// Token that POST forms of this session must carry.
    pub csrf: String,
}

/// Leaves out the CSRF token; the eID login prints without its ID token.
impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("username", &self.username)
            .field("realm", &self.realm)
            .field("groups", &self.groups)
            .field("institution", &self.institution)
            .field("methods", &self.methods)
            .field("assurance", &self.assurance)
            .field("eid", &self.eid)
            .field("created", &self.created)
            .field("checked", &self.checked)
            .field("last_seen", &self.last_seen)
            .finish_non_exhaustive()
    }
}

/// What a session remembers of its eID login.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EidLogin {
    /// Provider name in the config.
    pub provider: String,
    /// The provider's session ID (`sid`), matched by front-channel logout.
    pub sid: Option<String>,
    /// The ID token, sent back as `id_token_hint` when ending the provider's session.
    pub id_token: String,
}

/// Leaves out the ID token.
impl fmt::Debug for EidLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EidLogin").field("provider", &self.provider).field("sid", &self.sid).finish_non_exhaustive()
    }
}

/// Which sessions [`SessionStore::remove_matching`] ends.
#[derive(Debug, Clone, Copy)]
pub enum SessionFilter<'a> {
    /// eID sessions from `provider` whose provider session is `sid` (front-channel logout).
    EidSid {
        /// Provider name.
        provider: &'a str,
        /// Provider session ID.
        sid: &'a str,
    },
    /// eID sessions of one account (after its eID link is removed).
    EidOfUser {
        /// Directory (realm).
        realm: &'a str,
        /// Username.
        username: &'a str,
    },
}

impl SessionFilter<'_> {
    /// Whether the filter selects `r`.
    pub fn matches(&self, r: &SessionRecord) -> bool {
        match *self {
            SessionFilter::EidSid { provider, sid } => {
                r.eid.as_ref().is_some_and(|e| e.provider == provider && e.sid.as_deref() == Some(sid))
            }
            SessionFilter::EidOfUser { realm, username } => {
                r.eid.is_some() && r.realm == realm && r.username == username
            }
        }
    }
}

pub use crate::store::{SessionStore, StoreError};

/// The default `[session] touch_interval`: 30 s, or a tenth of the idle timeout if that is shorter. A session is
/// thus ended between `idle - interval` and `idle` after its last request.
pub fn touch_interval(idle: Duration) -> Duration {
    Duration::from_secs(30).min(idle / 10)
}
/// Why a presented session is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    /// No cookie, a malformed one, or an unknown/ended session.
    Missing,
    /// Ended by the idle timeout.
    IdleTimeout,
    /// Ended by the absolute lifetime.
    Lifetime,
}

/// Why a presented session is not valid, with its record when this check ended it.
#[derive(Debug, Clone)]
pub struct Ended {
    /// Why.
    pub why: Invalid,
    /// The record of a session ended by this check (idle timeout, lifetime); `None` for [`Invalid::Missing`].
    pub record: Option<Box<SessionRecord>>,
}

/// Session lifecycle on top of a store, with timeouts checked against the injected clock.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    clock: SharedClock,
    settings: SessionSettings,
    decoded: Arc<Decoded>,
}

/// Session records decoded from their stored bytes, by store key, with those bytes: a request whose store answer
/// holds the same bytes gets the decoded record instead of decoding the JSON again
/// (docs/BENCHMARKS.md, session 10). The bytes are the whole of what a record is decoded from, so a cached record
/// is exactly what decoding would give, whatever changed them (a directory refresh, a step-up, another instance);
/// idle and lifetime checks use the store's entry, never the cache. Bounded: an entry not used between two reaper
/// runs is dropped ([`Sessions::purge_expired`]), and a full map starts over.
///
/// Kept per worker thread (docs/BENCHMARKS.md, session 12, finding 56): a hit locks, reads and reference-counts
/// only what its own thread decoded, so the record's reference count, its `used` mark and the map's lock are no
/// longer cache lines both threads write on every request. A session used on two threads is decoded once on each;
/// ending or replacing a session forgets it on every thread.
#[derive(Default)]
struct Decoded {
    shards: thread_local::ThreadLocal<parking_lot::Mutex<crate::store::KeyMap<DecodedRecord>>>,
    /// Records decoded from JSON so far (tests count them).
    decodes: std::sync::atomic::AtomicU64,
}

/// One decoded record and the bytes it came from.
struct DecodedRecord {
    bytes: Vec<u8>,
    rec: Arc<SessionRecord>,
    /// Used since the last purge.
    used: bool,
}

/// Decoded records held at most per thread (as many as the store's session cache, [`crate::store::cache::CAPACITY`]).
const DECODED_CAPACITY: usize = crate::store::cache::CAPACITY;

/// Counts only: the records hold CSRF tokens and eID ID tokens.
impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("records", &self.shards.iter().map(|m| m.lock().len()).sum::<usize>())
            .field("decodes", &self.decodes.load(std::sync::atomic::Ordering::Relaxed))
            .finish()
    }
}

impl Decoded {
    /// The record stored as `bytes` under `key`: this thread's decoded record (shared, not copied) when the bytes
    /// are the ones it was decoded from, else decoded (and kept for this thread).
    fn record(&self, key: &SessionKey, bytes: &[u8]) -> Result<Arc<SessionRecord>, StoreError> {
        let shard = self.shards.get_or_default();
        if let Some(d) = shard.lock().get_mut(key).filter(|d| d.bytes == bytes) {
            d.used = true;
            return Ok(d.rec.clone());
        }
        self.decodes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let rec: Arc<SessionRecord> =
            Arc::new(serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("session record: {e}")))?);
        let mut m = shard.lock();
        if m.len() >= DECODED_CAPACITY && !m.contains_key(key) {
            m.clear();
        }
        m.insert(*key, DecodedRecord { bytes: bytes.to_vec(), rec: rec.clone(), used: true });
        Ok(rec)
    }

    /// Forgets the record under `key` on every thread (the session ended or was replaced).
    fn forget(&self, key: &SessionKey) {
        for shard in self.shards.iter() {
            shard.lock().remove(key);
        }
    }

    /// Drops the records not used since the last call, on every thread.
    fn purge_unused(&self) {
        for shard in self.shards.iter() {
            shard.lock().retain(|_, d| std::mem::replace(&mut d.used, false));
        }
    }
}

impl Sessions {
    /// Sessions over a store, clock and settings.
    pub fn new(store: Arc<dyn SessionStore>, clock: SharedClock, settings: SessionSettings) -> Sessions {
        Sessions { store, clock, settings, decoded: Arc::default() }
    }

    /// How many session records were decoded from their stored JSON so far; a request for a session whose stored
    /// bytes did not change since the last one decodes nothing.
    pub fn records_decoded(&self) -> u64 {
        self.decoded.decodes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The settings in force.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The underlying store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// Starts a session for a user who just proved `methods`; always a fresh ID, never one the client offered.
    pub async fn create(
        &self,
        user: &crate::directory::User,
        methods: Methods,
    ) -> Result<(SessionId, SessionRecord), StoreError> {
        self.create_with(user, methods, Assurance::None, None).await
    }

    /// Starts a session for an eID login at `assurance`.
    pub async fn create_eid(
        &self,
        user: &crate::directory::User,
        assurance: Assurance,
        eid: EidLogin,
    ) -> Result<(SessionId, SessionRecord), StoreError> {
        self.create_with(user, Methods::of(Method::Eid), assurance, Some(eid)).await
    }

    async fn create_with(
        &self,
        user: &crate::directory::User,
        methods: Methods,
        assurance: Assurance,
        eid: Option<EidLogin>,
    ) -> Result<(SessionId, SessionRecord), StoreError> {
        let now = self.clock.now();
        let rec = SessionRecord {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            realm: user.realm.clone(),
            groups: user.groups.clone(),
            institution: user.institution.clone(),
            directory_phones: user.phones.clone(),
            email: user.email.clone(),
            methods,
            assurance,
            eid,
            created: now,
            checked: Some(now),
            from_snapshot: None,
            last_seen: now,
            csrf: random_token(),
        };
        let id = SessionId::generate();
        self.store.create(&id.key(), self.entry(&rec)?, self.ttl()).await?;
        Ok((id, rec))
    }

    /// How long a store keeps a session after its last touch: twice the idle timeout, so a request just after the
    /// timeout is told "timed out" rather than "no session"; the idle check itself is exact.
    fn ttl(&self) -> Duration {
        self.settings.idle_timeout.saturating_mul(2)
    }

    fn entry(&self, rec: &SessionRecord) -> Result<crate::store::SessionEntry, StoreError> {
        let data = serde_json::to_vec(rec).map_err(|e| StoreError::Corrupt(format!("session record: {e}")))?;
        Ok(crate::store::SessionEntry {
            account: account_of(rec).into(),
            eid: rec.eid.is_some(),
            eid_sid: rec.eid.as_ref().and_then(|e| {
                e.sid.as_ref().map(|sid| crate::store::EidSid { provider: e.provider.clone(), sid: sid.clone() })
            }),
            created: rec.created,
            last_seen: rec.last_seen,
            expires: rec.created.plus(self.settings.absolute_lifetime),
            data: data.into(),
        })
    }

    /// Looks a session up, ends it if idle or too old, and records this request as activity (in the store's entry;
    /// the record's own `last_seen` is the one last written with it).
    pub async fn validate(&self, id: &SessionId) -> Result<Result<Arc<SessionRecord>, Invalid>, StoreError> {
        let idle = self.settings.idle_timeout;
        self.validate_with(id, &|_| idle).await
    }

    /// Like [`Sessions::validate`], with the idle timeout chosen per login (policies may be stricter outside).
    pub async fn validate_with(
        &self,
        id: &SessionId,
        idle: &(dyn Fn(Methods) -> Duration + Sync),
    ) -> Result<Result<Arc<SessionRecord>, Invalid>, StoreError> {
        Ok(self.validate_ending(id, idle).await?.map_err(|e| e.why))
    }

    /// Like [`Sessions::validate_with`]; a session this call ended (idle timeout, lifetime) comes back with its
    /// record, so the caller can say whose session ended.
    pub async fn validate_ending(
        &self,
        id: &SessionId,
        idle: &(dyn Fn(Methods) -> Duration + Sync),
    ) -> Result<Result<Arc<SessionRecord>, Ended>, StoreError> {
        self.validate_ending_at(id, idle, self.clock.now()).await
    }

    /// Like [`Sessions::validate_ending`] at `now`, the time a request read once for all its checks.
    pub async fn validate_ending_at(
        &self,
        id: &SessionId,
        idle: &(dyn Fn(Methods) -> Duration + Sync),
        now: Instant,
    ) -> Result<Result<Arc<SessionRecord>, Ended>, StoreError> {
        let key = id.key();
        let max_idle = self.settings.idle_timeout;
        let touch = crate::store::Touch { now, interval: self.settings.touch_interval, max_idle };
        // Answered at once where the store can (memory, a cache hit), else asked (a future to await).
        let got = match self.store.get_and_touch_now(&key, touch, self.ttl()) {
            Some(got) => got,
            None => self.store.get_and_touch(&key, touch, self.ttl()).await,
        };
        let Some(entry) = got? else {
            return Ok(Err(Ended { why: Invalid::Missing, record: None }));
        };
        // Shared with the decoded-record cache: a request reads the record and copies nothing of it.
        let rec = self.decoded.record(&key, &entry.data)?;
        let why = if now >= entry.expires || now.since(rec.created) >= self.settings.absolute_lifetime {
            Some(Invalid::Lifetime)
        } else if now.since(entry.last_seen) >= idle(rec.methods).min(max_idle) {
            Some(Invalid::IdleTimeout)
        } else {
            None
        };
        if let Some(why) = why {
            self.decoded.forget(&key);
            self.store.end(&key).await?;
            return Ok(Err(Ended { why, record: Some(Box::new(SessionRecord::clone(&rec))) }));
        }
        Ok(Ok(rec))
    }

    /// Replaces a session by one with a new ID and the added method (step-up); the old ID stops working.
    pub async fn step_up(
        &self,
        old: &SessionId,
        rec: &SessionRecord,
        added: Method,
    ) -> Result<(SessionId, SessionRecord), StoreError> {
        let mut next = rec.clone();
        next.methods = rec.methods.with(added);
        next.last_seen = self.clock.now();
        next.csrf = random_token();
        let id = SessionId::generate();
        let entry = self.entry(&next)?;
        self.decoded.forget(&old.key());
        if !self.store.rotate(&old.key(), &id.key(), entry, self.ttl()).await? {
            return Err(StoreError::Conflict("the session ended while it was being renewed".into()));
        }
        Ok((id, next))
    }

    /// Stores a changed record under the same ID (account data refreshed from the directory); `false` (nothing
    /// written) when the session ended meanwhile, so a logout during the refresh is not undone.
    /// The entry's `last_seen` is now (the update is made for a request that was just validated).
    pub async fn update(&self, id: &SessionId, rec: &SessionRecord) -> Result<bool, StoreError> {
        let mut entry = self.entry(rec)?;
        entry.last_seen = self.clock.now();
        self.store.rotate(&id.key(), &id.key(), entry, self.ttl()).await
    }

    /// Ends a session (logout).
    pub async fn end(&self, id: &SessionId) -> Result<(), StoreError> {
        self.decoded.forget(&id.key());
        self.store.end(&id.key()).await.map(|_| ())
    }

    /// Ends every session the filter selects; returns how many.
    pub async fn end_matching(&self, filter: &SessionFilter<'_>) -> Result<usize, StoreError> {
        match *filter {
            SessionFilter::EidSid { provider, sid } => {
                self.store.end_by_eid_sid(&crate::store::EidSid { provider: provider.into(), sid: sid.into() }).await
            }
            SessionFilter::EidOfUser { realm, username } => {
                self.store.end_all_of(&AccountId::new(realm, username).key(), crate::store::SessionScope::EidOnly).await
            }
        }
    }

    /// Drops expired records, at most `limit` per call; run periodically by the reaper.
    pub async fn purge_expired(&self, limit: usize) -> Result<usize, StoreError> {
        self.decoded.purge_unused();
        self.store.sweep(self.clock.now(), limit).await
    }
}

/// The account a record belongs to, as the stores index it: "realm:username".
pub fn account_of(rec: &SessionRecord) -> String {
    AccountId::new(&rec.realm, &rec.username).key()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::directory::User;

    fn user() -> User {
        User {
            username: "anna".into(),
            display_name: "Anna".into(),
            email: None,
            groups: vec!["staff".into()],
            realm: "staff".into(),
            institution: None,
            phones: Vec::new(),
        }
    }

    fn sessions(clock: Arc<ManualClock>) -> Sessions {
        sessions_touching_every(clock, touch_interval(Duration::from_secs(900)))
    }

    fn sessions_touching_every(clock: Arc<ManualClock>, touch: Duration) -> Sessions {
        Sessions::new(
            Arc::new(crate::store::memory::MemoryStore::new(clock.clone())),
            clock,
            SessionSettings {
                idle_timeout: Duration::from_secs(900),
                absolute_lifetime: Duration::from_secs(3600),
                touch_interval: touch,
                cache_ttl: Duration::ZERO,
                cookie_name: "portvakt".into(),
                cookie_domain: None,
            },
        )
    }

    /// The configured touch interval is the debounce: activity within it after the last write is not recorded, so
    /// a session ends between `idle - touch_interval` and `idle` after its last request; activity after it is.
    #[tokio::test]
    async fn touch_interval_sets_the_effective_idle_window() {
        let clock = ManualClock::new();
        let s = sessions_touching_every(clock.clone(), Duration::from_secs(90));
        let (id, _) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        // 60 s after login: within the 90 s interval, not written; 15 min after login the session has idled out.
        clock.advance(Duration::from_secs(60));
        assert!(s.validate(&id).await.unwrap().is_ok());
        clock.advance(Duration::from_secs(15 * 60 - 60));
        assert_eq!(s.validate(&id).await.unwrap(), Err(Invalid::IdleTimeout));

        // 120 s after login: past the interval, written; 15 min after login the session is still alive.
        let (id, _) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        clock.advance(Duration::from_secs(120));
        assert!(s.validate(&id).await.unwrap().is_ok());
        clock.advance(Duration::from_secs(15 * 60 - 120));
        assert!(s.validate(&id).await.unwrap().is_ok());
    }

    /// A record is decoded once while its stored bytes stay the same (touches change only the entry's
    /// `last_seen`); changed bytes, as a directory refresh's update writes, are decoded again, so the copy served is
    /// always what the store holds; the reaper drops records no request used since its previous run.
    #[tokio::test]
    async fn decoded_records_follow_the_stored_bytes() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        let (id, mut rec) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        for _ in 0..5 {
            clock.advance(Duration::from_secs(40));
            assert_eq!(s.validate(&id).await.unwrap().unwrap().groups, vec!["staff".to_string()]);
        }
        assert_eq!(s.records_decoded(), 1, "five requests, one decode");
        rec.groups = vec!["staff".into(), "payroll".into()];
        assert!(s.update(&id, &rec).await.unwrap());
        assert_eq!(s.validate(&id).await.unwrap().unwrap().groups, rec.groups, "the changed record is served");
        assert_eq!(s.records_decoded(), 2);
        s.purge_expired(100).await.unwrap();
        assert!(s.validate(&id).await.unwrap().is_ok());
        assert_eq!(s.records_decoded(), 2, "used since the last purge: kept");
        s.purge_expired(100).await.unwrap();
        s.purge_expired(100).await.unwrap();
        assert!(s.validate(&id).await.unwrap().is_ok());
        assert_eq!(s.records_decoded(), 3, "unused between two purges: dropped, decoded again");
    }

    /// Each worker thread reads the record it decoded itself (nothing of it is shared between threads, so a hit
    /// writes no cache line the other thread writes); a session's end forgets it on every thread.
    #[test]
    fn decoded_records_are_kept_per_thread_and_forgotten_on_all() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        let run = |f: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>| {
            tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
        };
        let mut id = None;
        run(Box::pin(async { id = Some(s.create(&user(), Methods::of(Method::Password)).await.unwrap().0) }));
        let id = id.unwrap();
        // Both threads stay alive until both looked up (a thread that ended leaves its slot to the next one).
        let both = std::sync::Barrier::new(2);
        let records: Vec<(Arc<SessionRecord>, Arc<SessionRecord>)> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (s, id, both) = (&s, &id, &both);
                    scope.spawn(move || {
                        let mut got = Vec::new();
                        for _ in 0..2 {
                            run(Box::pin(async { got.push(s.validate(id).await.unwrap().unwrap()) }));
                        }
                        both.wait();
                        (got.remove(0), got.remove(0))
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(s.records_decoded(), 2, "one decode per thread");
        let [(a1, a2), (b1, b2)] = &records[..] else { panic!("two threads") };
        assert!(Arc::ptr_eq(a1, a2) && Arc::ptr_eq(b1, b2), "a thread's second request reads its first decode");
        assert!(!Arc::ptr_eq(a1, b1), "the threads share no record");
        assert_eq!(**a1, **b1);
        assert!(format!("{s:?}").contains("records: 2"), "{s:?}");
        run(Box::pin(async { s.end(&id).await.unwrap() }));
        assert!(format!("{s:?}").contains("records: 0"), "forgotten on both threads: {s:?}");
    }

    /// IDs are 256-bit base64url strings and only that shape parses.
    #[test]
    fn id_shape() {
        let id = SessionId::generate();
        assert_eq!(id.as_str().len(), 43);
        assert!(SessionId::parse(id.as_str()).is_some());
        assert!(SessionId::parse("short").is_none());
        assert!(SessionId::parse(&"a".repeat(42)).is_none());
        assert!(SessionId::parse(&format!("{}+", "a".repeat(42))).is_none());
        assert_ne!(SessionId::generate(), SessionId::generate());
        assert_eq!(format!("{id:?}"), "SessionId(..)");
        // The key kept with the ID is the hash of its value, for generated and for parsed IDs.
        assert_eq!(id.key(), SessionKey::of_token(id.as_str()));
        assert_eq!(SessionId::parse(id.as_str()).map(|p| p.key()), Some(id.key()));
    }

    /// Activity keeps a session alive; 15 idle minutes end it, and it stays ended.
    #[tokio::test]
    async fn idle_timeout_with_manual_clock() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        let (id, _) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        clock.advance(Duration::from_secs(14 * 60));
        assert!(s.validate(&id).await.unwrap().is_ok());
        clock.advance(Duration::from_secs(14 * 60));
        assert!(s.validate(&id).await.unwrap().is_ok());
        clock.advance(Duration::from_secs(15 * 60));
        assert_eq!(s.validate(&id).await.unwrap(), Err(Invalid::IdleTimeout));
        assert_eq!(s.validate(&id).await.unwrap(), Err(Invalid::Missing));
    }

    /// The absolute lifetime ends a session even when it is busy.
    #[tokio::test]
    async fn absolute_lifetime() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        let (id, _) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        for _ in 0..5 {
            clock.advance(Duration::from_secs(10 * 60));
            assert!(s.validate(&id).await.unwrap().is_ok());
        }
        clock.advance(Duration::from_secs(10 * 60));
        assert_eq!(s.validate(&id).await.unwrap(), Err(Invalid::Lifetime));
    }

    /// Step-up issues a new ID, keeps the login time, and the old ID stops working.
    #[tokio::test]
    async fn step_up_rotates_id() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        let (id, rec) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        let (id2, rec2) = s.step_up(&id, &rec, Method::Sms).await.unwrap();
        assert_ne!(id, id2);
        assert!(rec2.methods.is_password_and_code());
        assert_eq!(rec2.created, rec.created);
        assert_eq!(s.validate(&id).await.unwrap(), Err(Invalid::Missing));
        assert!(s.validate(&id2).await.unwrap().is_ok());
    }

    /// The purge drops only records past their store TTL (twice the idle timeout).
    #[tokio::test]
    async fn purge_drops_expired_only() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        clock.advance(Duration::from_secs(16 * 60));
        assert_eq!(s.purge_expired(100).await.unwrap(), 0, "kept to say 'timed out'");
        clock.advance(Duration::from_secs(15 * 60));
        let (fresh, _) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        assert_eq!(s.purge_expired(100).await.unwrap(), 1);
        assert_eq!(s.store().count().await.unwrap(), 1);
        assert!(s.validate(&fresh).await.unwrap().is_ok());
    }

    /// A session record's Debug leaves out its CSRF token and its eID login's ID token.
    #[test]
    fn debug_leaves_out_tokens() {
        let rec = SessionRecord {
            username: "anna".into(),
            display_name: "Anna".into(),
            realm: "staff".into(),
            groups: vec![],
            institution: None,
            directory_phones: vec![],
            email: None,
            methods: Methods::default(),
            assurance: Assurance::default(),
            eid: Some(EidLogin { provider: "idporten".into(), sid: None, id_token: "eyJ-id-token-secret".into() }),
            created: Instant(0),
            checked: None,
            from_snapshot: None,
            last_seen: Instant(0),
            csrf: "csrf-secret-value".into(),
        };
        let shown = format!("{rec:?}");
        assert!(shown.contains("anna") && shown.contains("idporten"), "{shown}");
        assert!(!shown.contains("csrf-secret-value") && !shown.contains("eyJ-id-token-secret"), "{shown}");
    }
}
