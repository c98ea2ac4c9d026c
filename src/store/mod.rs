//! The store layer: every piece of shared state behind traits of *atomic domain operations*.
//!
//! A leaf module: it knows clocks and bytes, nothing of the gateway. Each operation is one atomic step in every
//! backend (a lock in memory, a transaction in SQLite, a script or single command in Redis), so concurrent requests
//! on one instance or across instances can't lose updates or pass a single-use check twice. Every write carries a
//! TTL; readers also check expiry against the backend's clock, so an entry is dead at its deadline even before a
//! sweep removes it.
//!
//! Keys handed to the store are [`Key`]s: SHA-256 of a bearer token (session ID, eID `state`, link cookie), never the
//! token. Persistent backends go further through [`seal`]: they store HMAC(server key, key) and seal every value with
//! an AEAD bound to that key, so a dump of the store is useless to a thief. Domain values (a session record, an eID
//! flow) reach the store as opaque bytes; the fields a store must index or compare (account, eID `sid`, expiry,
//! failure counts, the code's MAC) are typed.

pub mod cache;
pub mod config;
pub mod contract;
pub mod import;
pub mod memory;
pub mod redis;
pub mod seal;
pub mod sqlite;

use crate::clock::Instant;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why a store operation failed. None of these is ever read as "no session" or "allowed".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backend is unreachable, refused the operation, or its file can't be opened.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The backend did not answer in time.
    #[error("store timed out: {0}")]
    Timeout(String),
    /// A concurrent writer won (a busy database, an optimistic transaction that lost); retrying may succeed.
    #[error("store conflict: {0}")]
    Conflict(String),
    /// Stored data can't be read back (bad seal, unknown key ID, undecodable value).
    #[error("store data corrupt: {0}")]
    Corrupt(String),
}

/// A store key: SHA-256 of a bearer token. Its `Debug` shows two bytes only.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(pub [u8; 32]);

/// Hashed as its first eight bytes: a SHA-256 output is already spread evenly, and no client can choose it, so a map
/// keyed by it needs neither the other 24 bytes nor a keyed hash against flooding.
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        state.write_u64(u64::from_ne_bytes([a, b, c, d, e, f, g, h]));
    }
}

/// The hasher of maps keyed by a [`Key`] (alone or first in a tuple): the key's eight bytes, and what follows it,
/// mixed with one multiply each. SipHash of all 32 bytes (the derived `Hash` under std's `RandomState`) cost about
/// 250 instructions per look-up, and a proxied request makes three (docs/BENCHMARKS.md, finding 100).
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        // Odd multiplier (2^64 / golden ratio): a bijection, so an evenly spread key stays evenly spread in every bit.
        self.0 = (self.0 ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word.iter_mut().zip(chunk).for_each(|(w, b)| *w = *b);
            self.write_u64(u64::from_ne_bytes(word));
        }
    }
}

/// Builds [`KeyHasher`]s.
pub type BuildKeyHasher = std::hash::BuildHasherDefault<KeyHasher>;
/// A map keyed by [`Key`]s, hashed by [`KeyHasher`].
pub type KeyMap<V> = std::collections::HashMap<Key, V, BuildKeyHasher>;
/// A set of [`Key`]s, hashed by [`KeyHasher`].
pub type KeySet = std::collections::HashSet<Key, BuildKeyHasher>;

#[cfg(test)]
mod key_hasher_tests {
    use super::*;
    use std::hash::BuildHasher;

    /// Equal keys hash equal; store keys spread over every bucket bit and every control bit a hash table reads; the
    /// number after a key in a tuple (the assertion cache's service index) changes the hash.
    #[test]
    fn store_keys_spread_and_tuples_differ() {
        let build = BuildKeyHasher::default();
        let keys: Vec<Key> = (0..4096).map(|i| Key::of_token(&format!("token-{i}"))).collect();
        assert_eq!(build.hash_one(keys[7]), build.hash_one(Key(keys[7].0)));
        let hashes: Vec<u64> = keys.iter().map(|k| build.hash_one(k)).collect();
        // 4,096 keys over 1,024 buckets leave about 19 empty; a hash that kept fewer bits would leave hundreds.
        let buckets: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
        assert!(buckets.len() > 990, "{} of 1024 low-bit buckets used", buckets.len());
        let top: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert_eq!(top.len(), 128, "top seven bits (hashbrown's control byte)");
        let by_service: std::collections::HashSet<u64> = (0..64usize).map(|s| build.hash_one((keys[0], s))).collect();
        assert_eq!(by_service.len(), 64);
        // Anything else hashed with it (a slice: its length, then its bytes) still hashes every byte.
        assert_ne!(build.hash_one(b"abcdefghi".as_slice()), build.hash_one(b"abcdefghj".as_slice()));
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({:02x}{:02x}..)", self.0[0], self.0[1])
    }
}

impl Key {
    /// The key of a token: SHA-256 of its bytes.
    pub fn of_token(token: &str) -> Key {
        use sha2::Digest;
        Key(sha2::Sha256::digest(token.as_bytes()).into())
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions

/// A provider session (eID `sid`), indexed for front-channel logout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EidSid {
    /// Provider name in the config.
    pub provider: String,
    /// The provider's session ID.
    pub sid: String,
}

/// A session as the store holds it: the indexed facts, and the domain's record as opaque bytes.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionEntry {
    /// The account ("realm:username"), indexed for [`SessionStore::end_all_of`]. Shared, like `data`, so that a
    /// store hit (memory, or the cache in front of SQLite and Redis) hands the entry out without copying it.
    pub account: Arc<str>,
    /// Whether the login used eID (selects sessions for [`SessionScope::EidOnly`]).
    pub eid: bool,
    /// The provider session, indexed for [`SessionStore::end_by_eid_sid`].
    pub eid_sid: Option<EidSid>,
    /// When the login completed.
    pub created: Instant,
    /// Last activity recorded (debounced: see [`SessionStore::get_and_touch`]).
    pub last_seen: Instant,
    /// The absolute end of the session, whatever its activity.
    pub expires: Instant,
    /// The domain's session record, serialised; sealed at rest by persistent backends.
    pub data: Arc<[u8]>,
}

impl fmt::Debug for SessionEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionEntry")
            .field("eid", &self.eid)
            .field("created", &self.created)
            .field("last_seen", &self.last_seen)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod session_entry_tests {
    use super::*;

    /// A session entry as SQLite keeps it (sealed JSON): the shared `account` and `data` write and read the text
    /// their former `String` and `Vec<u8>` did, so a database written before reads the same after an upgrade.
    #[test]
    fn session_entries_keep_their_json() {
        let written_before = r#"{"account":"staff:anna","eid":true,"eid_sid":{"provider":"idporten","sid":"s-1"},"created":1,"last_seen":2,"expires":3,"data":[123,125]}"#;
        let entry: SessionEntry = serde_json::from_str(written_before).unwrap();
        assert_eq!(&*entry.account, "staff:anna");
        assert_eq!(&*entry.data, b"{}");
        assert_eq!(serde_json::to_string(&entry).unwrap(), written_before);
    }
}

/// How [`SessionStore::get_and_touch`] treats activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// The request's time.
    pub now: Instant,
    /// `last_seen` is rewritten only when older than this (default 30 s, at most a tenth of the idle timeout), so
    /// a busy session costs one write per interval, not one per request. The effective idle window is therefore
    /// between `idle - interval` and `idle`.
    pub interval: Duration,
    /// The longest idle timeout any login may have: a session idle this long is not touched (and is ended by the
    /// caller), so two racing requests can't revive an idle session.
    pub max_idle: Duration,
}

/// Which sessions of an account [`SessionStore::end_all_of`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionScope {
    /// Every session ("log out everywhere").
    All,
    /// Sessions logged in with eID (after the account's eID link is removed).
    EidOnly,
}

/// Sessions, keyed by the hash of their ID.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Stores a new session that lives at most `ttl` without activity. An existing entry under `key` is replaced.
    async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError>;

    /// One round trip per request: the session as stored *before* this request (so the caller checks idle and
    /// lifetime against the previous `last_seen`), touched at `touch.now` when its `last_seen` is older than
    /// `touch.interval` and it is neither past `touch.max_idle` nor past `expires`; the touch renews the TTL to
    /// `ttl`. `None` when there is no live session under `key`.
    async fn get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Result<Option<SessionEntry>, StoreError>;

    /// [`SessionStore::get_and_touch`] answered at once, without a future, where the backend can: the memory store
    /// always, the store cache on a hit. `None` means "ask `get_and_touch`". The answer and its effects (the touch)
    /// are exactly `get_and_touch`'s; a request then boxes and polls no future for its session lookup.
    fn get_and_touch_now(
        &self,
        _key: &Key,
        _touch: Touch,
        _ttl: Duration,
    ) -> Option<Result<Option<SessionEntry>, StoreError>> {
        None
    }

    /// Replaces the session under `old` by `entry` under `new` in one step: `false` (and nothing written) when
    /// `old` is gone, so a session ended meanwhile is not revived.
    async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError>;

    /// Ends the session under `key`; `true` if there was one.
    async fn end(&self, key: &Key) -> Result<bool, StoreError>;

    /// Ends every session of this provider session (front-channel logout); returns how many.
    async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError>;

    /// Ends the sessions of an account that `scope` selects; returns how many.
    async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError>;

    /// Removes at most `limit` entries (sessions and index rows) that expired before `now`; returns how many. Run
    /// periodically in bounded batches so a sweep never holds the store for long.
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError>;

    /// Sessions held, expired ones not yet swept included (tests, metrics).
    async fn count(&self) -> Result<usize, StoreError>;

    /// Whether the sessions live in this process's memory (nothing to gain from [`cache::CachedSessions`]).
    fn in_process(&self) -> bool {
        false
    }
}

// ---------------------------------------------------------------------------------------------------------------
// One-time-code challenges

/// A code challenge of one session, as stored: the code only as a MAC ([`seal::Secrets::code_mac`]).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChallengeEntry {
    /// The account ("realm:username") the code was sent for.
    pub account: String,
    /// Where the current code went (the domain's channel name, e.g. `sms:0`).
    pub channel: String,
    /// MAC of the current code.
    pub code_mac: [u8; 32],
    /// When the current code stops working.
    pub expires: Instant,
    /// Wrong tries so far (kept across resends).
    pub failures: u32,
    /// Codes sent for this challenge.
    pub sends: u32,
}

impl fmt::Debug for ChallengeEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChallengeEntry")
            .field("account", &self.account)
            .field("channel", &self.channel)
            .field("expires", &self.expires)
            .field("failures", &self.failures)
            .field("sends", &self.sends)
            .finish_non_exhaustive()
    }
}

/// A new code for [`ChallengeStore::open`].
#[derive(Clone, PartialEq, Eq)]
pub struct NewCode {
    /// The account the code is for.
    pub account: String,
    /// Where it goes.
    pub channel: String,
    /// MAC of the code.
    pub code_mac: [u8; 32],
    /// When it stops working.
    pub expires: Instant,
}

impl fmt::Debug for NewCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewCode").field("account", &self.account).field("channel", &self.channel).finish()
    }
}

/// What [`ChallengeStore::open`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The code is stored; the challenge as it now is (failures kept from an earlier code of the same account).
    Stored(ChallengeEntry),
    /// This challenge already had `max_sends` codes; nothing changed.
    SendCap,
}

/// What [`ChallengeStore::consume_if_matches`] decided, in one atomic step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// The code matched: the challenge is deleted and returned. Only one of any number of racing calls gets this.
    Matched(ChallengeEntry),
    /// Wrong code: the try is counted; this many remain (0: the challenge is used up).
    Wrong {
        /// Tries left.
        remaining: u32,
    },
    /// The challenge already used up its tries; nothing was compared or counted.
    Exhausted,
    /// The code expired; nothing was compared or counted.
    Expired,
    /// No challenge for this session and account.
    Missing,
}

/// An account's consecutive wrong codes and its lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountFailures {
    /// Consecutive wrong codes since the last success or lock.
    pub count: u32,
    /// The code step is locked until then.
    pub locked_until: Option<Instant>,
}

/// Limits for [`ChallengeStore::incr_account_failures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    /// Consecutive failures that lock the account.
    pub after: u32,
    /// How long the lock lasts.
    pub duration: Duration,
}

/// One-time-code challenges, keyed by their session's key, and per-account failure counts.
#[async_trait::async_trait]
pub trait ChallengeStore: Send + Sync + fmt::Debug {
    /// Stores a new code for the session: a challenge of the same account keeps its failures and counts one more
    /// send, refused with [`Opened::SendCap`] once it had `max_sends`; a challenge of another account is replaced.
    async fn open(&self, session: &Key, code: NewCode, max_sends: u32, ttl: Duration) -> Result<Opened, StoreError>;

    /// The session's challenge, left in place.
    async fn get(&self, session: &Key) -> Result<Option<ChallengeEntry>, StoreError>;

    /// Compare-and-delete: if the session has a live challenge for `account` with fewer than `max_tries` failures,
    /// compares `code_mac` (constant time); a match deletes the challenge, a mismatch counts a wrong try. One atomic
    /// step, so N racing calls compare at most `max_tries` wrong codes and at most one call gets `Matched`.
    async fn consume_if_matches(
        &self,
        session: &Key,
        account: &str,
        code_mac: &[u8; 32],
        now: Instant,
        max_tries: u32,
    ) -> Result<Consumed, StoreError>;

    /// Counts a wrong try without comparing (input that can't be a code); `None` if there is no challenge, else the
    /// tries left (never below 0, never more than `max_tries` counted).
    async fn record_wrong_try(&self, session: &Key, max_tries: u32) -> Result<Option<u32>, StoreError>;

    /// Takes back one send (the provider refused it; not the user's fault).
    async fn uncount_send(&self, session: &Key) -> Result<(), StoreError>;

    /// Deletes the session's challenge.
    async fn remove(&self, session: &Key) -> Result<(), StoreError>;

    /// Counts one wrong code for the account; reaching `lockout.after` locks it for `lockout.duration` from `now`
    /// and restarts the count. Returns the state after this failure. The count lives at most `ttl`.
    async fn incr_account_failures(
        &self,
        account: &str,
        now: Instant,
        lockout: Lockout,
        ttl: Duration,
    ) -> Result<AccountFailures, StoreError>;

    /// The account's failure state (a lock that ended reads as none).
    async fn account_failures(&self, account: &str, now: Instant) -> Result<AccountFailures, StoreError>;

    /// Forgets the account's failures (a right code).
    async fn reset_account_failures(&self, account: &str) -> Result<(), StoreError>;

    /// Removes at most `limit` challenges and counts that expired before `now`; returns how many.
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError>;
}

// ---------------------------------------------------------------------------------------------------------------
// eID flows

/// eID flows in progress (authorization requests, pending links), keyed by the hash of their state or cookie.
#[async_trait::async_trait]
pub trait FlowStore: Send + Sync + fmt::Debug {
    /// Stores a flow for at most `ttl` (replacing one under the same key).
    async fn put(&self, key: &Key, flow: Vec<u8>, ttl: Duration) -> Result<(), StoreError>;
    /// The live flow, left in place.
    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError>;
    /// The live flow, removed: of any number of racing calls exactly one gets it.
    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError>;
    /// Marks `key` used for `ttl` (e.g. a back-channel logout token's `jti`): `true` for the call that made the
    /// mark, `false` while a mark lives. One atomic step: of any number of racing calls, on any instance sharing the
    /// store, exactly one gets `true`. Marks live apart from flows (the same key names two different things).
    async fn use_once(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError>;
    /// Removes at most `limit` flows and marks that expired before `now`; returns how many.
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError>;
}

// ---------------------------------------------------------------------------------------------------------------
// Last-known directory entries

/// The last directory entry read for each account ("realm:username"), as opaque bytes, kept so an eID login can
/// go on while the directory does not answer (`outage_grace`). Sealed at rest by persistent backends like any
/// value; each write carries a TTL and replaces the previous entry.
#[async_trait::async_trait]
pub trait SnapshotStore: Send + Sync + fmt::Debug {
    /// Stores the account's entry for at most `ttl`, replacing an older one.
    async fn put_snapshot(&self, account: &str, entry: Vec<u8>, ttl: Duration) -> Result<(), StoreError>;
    /// The account's live entry.
    async fn snapshot(&self, account: &str) -> Result<Option<Vec<u8>>, StoreError>;
}

// ---------------------------------------------------------------------------------------------------------------
// Login regulation

/// Limits for one regulated key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegulationLimits {
    /// Attempts within `find_time` allowed to be checked; the attempt that reaches it starts the ban.
    pub max_failures: u32,
    /// Window in which attempts are counted.
    pub find_time: Duration,
    /// How long a ban lasts.
    pub ban_time: Duration,
}

/// The answer of [`RegulationStore::record_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BanState {
    /// The attempt is counted and may be checked (the password verified).
    Allowed,
    /// A key is banned for this long; the attempt must be refused without checking anything.
    Banned(Duration),
}

/// Attempt counters and bans for login regulation (accounts, client addresses).
#[async_trait::async_trait]
pub trait RegulationStore: Send + Sync + fmt::Debug {
    /// Counts one attempt against every key *before* the password is checked, in one atomic step: if any key is
    /// banned, nothing is counted and the longest wait is returned; the attempt that brings a key to its
    /// `max_failures` within `find_time` bans it for `ban_time` (so at most `max_failures` attempts per window are
    /// ever checked, however many run in parallel).
    async fn record_attempt(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<BanState, StoreError>;

    /// Takes back one counted attempt for each key (the attempt succeeded or was not the user's fault), lifting a
    /// ban that this attempt started.
    async fn refund(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<(), StoreError>;

    /// Forgets a key (a successful login clears the account's attempts).
    async fn clear(&self, key: &str) -> Result<(), StoreError>;

    /// The wait if any key is banned now, without counting.
    async fn banned(&self, keys: &[&str], now: Instant) -> Result<Option<Duration>, StoreError>;

    /// Removes at most `limit` keys with neither recent attempts nor a ban; returns how many.
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError>;
}

// ---------------------------------------------------------------------------------------------------------------
// Rate limits

/// A rate: `count` events per `window`, with bursts up to `count` (GCRA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quota {
    /// Events allowed per window (and the burst).
    pub count: u32,
    /// The window.
    pub window: Duration,
}

/// The answer of [`RateLimitStore::hit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    /// Allowed and counted.
    Ok,
    /// Refused (not counted); the next event passes after this long.
    Wait(Duration),
}

/// Shared rate limits with governor's GCRA semantics.
#[async_trait::async_trait]
pub trait RateLimitStore: Send + Sync + fmt::Debug {
    /// Counts one event for `key` under `quota` if it conforms; else says how long to wait. The state lives at most
    /// one `window` past the last event.
    async fn hit(&self, key: &str, quota: Quota, now: Instant) -> Result<RateDecision, StoreError>;
    /// Removes at most `limit` keys whose limits have fully recovered by `now`; returns how many.
    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError>;
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts

/// The most SMS numbers one account may register.
pub const MAX_PHONES: usize = 2;

/// An eID linked to an account: logging in with this person's eID at this provider logs in as the account.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EidLink {
    /// Provider name.
    pub provider: String,
    /// The person's identifier at the provider (e.g. `pid`); never stored in clear by persistent backends.
    pub person_id: String,
    /// When the link was made.
    pub linked_at: Instant,
}

impl fmt::Debug for EidLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EidLink").field("provider", &self.provider).field("linked_at", &self.linked_at).finish()
    }
}

/// What one account has registered. Accounts don't expire: they are the one kind of entry without a TTL.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Account {
    /// SMS numbers in E.164, at most [`MAX_PHONES`].
    #[serde(default)]
    pub phones: Vec<String>,
    /// The eID linked to the account, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<EidLink>,
}

/// The answer of [`AccountStore::link_eid`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Linked.
    Linked,
    /// The account already has an eID linked (unlink it first).
    AlreadyLinked,
    /// This person's eID is linked to another account.
    PersonTaken,
}

/// Accounts keyed by "realm:username", with an index person → account.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync + fmt::Debug {
    /// The account, empty if never saved.
    async fn get(&self, account: &str) -> Result<Account, StoreError>;
    /// Replaces the SMS numbers (at most [`MAX_PHONES`], checked by the caller); returns the previous ones.
    async fn set_phones(&self, account: &str, phones: Vec<String>) -> Result<Vec<String>, StoreError>;
    /// The account this person's eID at `provider` is linked to.
    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, StoreError>;
    /// Links an eID to an account atomically across both rules: one link per account, one account per person.
    async fn link_eid(&self, account: &str, link: EidLink) -> Result<LinkOutcome, StoreError>;
    /// Removes the account's eID link (and its index entry); returns the link removed.
    async fn unlink_eid(&self, account: &str) -> Result<Option<EidLink>, StoreError>;
}

// ---------------------------------------------------------------------------------------------------------------
// All of them

/// One backend's stores, as the gateway uses them.
#[derive(Debug, Clone)]
pub struct Stores {
    /// Sessions.
    pub sessions: std::sync::Arc<dyn SessionStore>,
    /// Code challenges and account failure counts.
    pub challenges: std::sync::Arc<dyn ChallengeStore>,
    /// eID flows.
    pub flows: std::sync::Arc<dyn FlowStore>,
    /// Login regulation.
    pub regulation: std::sync::Arc<dyn RegulationStore>,
    /// Rate limits (send limits).
    pub rate_limits: std::sync::Arc<dyn RateLimitStore>,
    /// Accounts.
    pub accounts: std::sync::Arc<dyn AccountStore>,
    /// Last-known directory entries.
    pub snapshots: std::sync::Arc<dyn SnapshotStore>,
    /// Write, read back and delete a probe entry: startup and readiness ask this.
    pub probe: std::sync::Arc<dyn Probe>,
}

impl Stores {
    /// Every store served by one backend value (each trait object shares it).
    pub fn all_from<T>(s: std::sync::Arc<T>) -> Stores
    where
        T: SessionStore
            + ChallengeStore
            + FlowStore
            + RegulationStore
            + RateLimitStore
            + AccountStore
            + SnapshotStore
            + Probe
            + 'static,
    {
        Stores {
            sessions: s.clone(),
            challenges: s.clone(),
            flows: s.clone(),
            regulation: s.clone(),
            rate_limits: s.clone(),
            accounts: s.clone(),
            snapshots: s.clone(),
            probe: s,
        }
    }
}

/// A health check of a backend.
#[async_trait::async_trait]
pub trait Probe: Send + Sync + fmt::Debug {
    /// Writes, reads back and deletes a probe entry; `Ok` only if all three worked.
    async fn probe(&self) -> Result<(), StoreError>;
}
