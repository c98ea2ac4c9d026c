//! Sessions: random IDs held by the browser, records held by a [`SessionStore`] under the ID's hash.
//!
//! The ID (256 random bits) is never stored; a stolen store dump can't be replayed as cookies. Idle timeout and
//! absolute lifetime are checked on every lookup against the injected clock, whatever the store does on its own.

pub mod memory;

use crate::clock::{Instant, SharedClock};
use crate::config::SessionSettings;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use crate::methods::{Assurance, Method, Methods};

/// A session ID as held in the browser's cookie. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId(String);

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
        SessionId(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
    }

    /// Accepts a cookie value only if it has the shape of an ID this gateway issues.
    pub fn parse(s: &str) -> Option<SessionId> {
        (s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| SessionId(s.to_string()))
    }

    /// The cookie value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The store key: SHA-256 of the ID.
    pub fn key(&self) -> SessionKey {
        SessionKey(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// The hash under which a session is stored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionKey(pub [u8; 32]);

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

/// What a session knows about its user and login.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionRecord {
    /// Login name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Directory the user logged in through.
    pub realm: String,
    /// Groups at login.
    pub groups: Vec<String>,
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
    /// Last request seen.
    pub last_seen: Instant,
    /// Token that POST forms of this session must carry.
    pub csrf: String,
}

/// What a session remembers of its eID login.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EidLogin {
    /// Provider name in the config.
    pub provider: String,
    /// The provider's session ID (`sid`), matched by front-channel logout.
    pub sid: Option<String>,
    /// The ID token, sent back as `id_token_hint` when ending the provider's session.
    pub id_token: String,
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

/// Why a store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend is unreachable or answered with an error.
    #[error("session store unavailable: {0}")]
    Unavailable(String),
}

/// Where session records live. Implementations: in-memory now; Redis and an embedded file store fit the same calls.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Stores a new record; `ttl` is a hint for stores that expire entries themselves.
    async fn insert(&self, key: SessionKey, record: SessionRecord, ttl: Duration) -> Result<(), StoreError>;
    /// The record under `key`, if any.
    async fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError>;
    /// Records activity at `now`.
    async fn touch(&self, key: &SessionKey, now: Instant, ttl: Duration) -> Result<(), StoreError>;
    /// Deletes the record.
    async fn remove(&self, key: &SessionKey) -> Result<(), StoreError>;
    /// Drops records idle since before `idle_before` or created before `created_before`; returns how many.
    async fn purge(&self, idle_before: Instant, created_before: Instant) -> Result<usize, StoreError>;
    /// Deletes every record the filter selects; returns how many.
    async fn remove_matching(&self, filter: &SessionFilter<'_>) -> Result<usize, StoreError>;
    /// Number of records held.
    async fn len(&self) -> Result<usize, StoreError>;
    /// Whether the store holds no records.
    async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len().await? == 0)
    }
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

/// Session lifecycle on top of a store, with timeouts checked against the injected clock.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: Arc<dyn SessionStore>,
    clock: SharedClock,
    settings: SessionSettings,
}

impl Sessions {
    /// Sessions over a store, clock and settings.
    pub fn new(store: Arc<dyn SessionStore>, clock: SharedClock, settings: SessionSettings) -> Sessions {
        Sessions { store, clock, settings }
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
            email: user.email.clone(),
            methods,
            assurance,
            eid,
            created: now,
            last_seen: now,
            csrf: random_token(),
        };
        let id = SessionId::generate();
        self.store.insert(id.key(), rec.clone(), self.settings.idle_timeout).await?;
        Ok((id, rec))
    }

    /// Looks a session up, ends it if idle or too old, and records this request as activity.
    pub async fn validate(&self, id: &SessionId) -> Result<Result<SessionRecord, Invalid>, StoreError> {
        let idle = self.settings.idle_timeout;
        self.validate_with(id, &|_| idle).await
    }

    /// Like [`Sessions::validate`], with the idle timeout chosen per login (policies may be stricter outside).
    pub async fn validate_with(
        &self,
        id: &SessionId,
        idle: &(dyn Fn(Methods) -> Duration + Sync),
    ) -> Result<Result<SessionRecord, Invalid>, StoreError> {
        let key = id.key();
        let Some(mut rec) = self.store.get(&key).await? else {
            return Ok(Err(Invalid::Missing));
        };
        let now = self.clock.now();
        if now.since(rec.created) >= self.settings.absolute_lifetime {
            self.store.remove(&key).await?;
            return Ok(Err(Invalid::Lifetime));
        }
        if now.since(rec.last_seen) >= idle(rec.methods) {
            self.store.remove(&key).await?;
            return Ok(Err(Invalid::IdleTimeout));
        }
        self.store.touch(&key, now, self.settings.idle_timeout).await?;
        rec.last_seen = now;
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
        self.store.insert(id.key(), next.clone(), self.settings.idle_timeout).await?;
        self.store.remove(&old.key()).await?;
        Ok((id, next))
    }

    /// Ends a session (logout).
    pub async fn end(&self, id: &SessionId) -> Result<(), StoreError> {
        self.store.remove(&id.key()).await
    }

    /// Ends every session the filter selects; returns how many.
    pub async fn end_matching(&self, filter: &SessionFilter<'_>) -> Result<usize, StoreError> {
        self.store.remove_matching(filter).await
    }

    /// Drops every expired record; run periodically by the reaper.
    pub async fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let idle_before = Instant(now.0.saturating_sub(ms(self.settings.idle_timeout)));
        let created_before = Instant(now.0.saturating_sub(ms(self.settings.absolute_lifetime)));
        self.store.purge(idle_before, created_before).await
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// 128 random bits, base64url: CSRF tokens and similar.
pub fn random_token() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Constant-time string equality for tokens.
pub fn token_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
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
        }
    }

    fn sessions(clock: Arc<ManualClock>) -> Sessions {
        Sessions::new(
            Arc::new(memory::MemoryStore::default()),
            clock,
            SessionSettings {
                idle_timeout: Duration::from_secs(900),
                absolute_lifetime: Duration::from_secs(3600),
                cookie_name: "portvakt".into(),
                cookie_domain: None,
            },
        )
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

    /// The purge drops only expired records.
    #[tokio::test]
    async fn purge_drops_expired_only() {
        let clock = ManualClock::new();
        let s = sessions(clock.clone());
        s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        clock.advance(Duration::from_secs(16 * 60));
        let (fresh, _) = s.create(&user(), Methods::of(Method::Password)).await.unwrap();
        assert_eq!(s.purge_expired().await.unwrap(), 1);
        assert_eq!(s.store().len().await.unwrap(), 1);
        assert!(s.validate(&fresh).await.unwrap().is_ok());
    }
}
