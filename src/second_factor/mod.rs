//! The second factor: one-time codes by SMS or e-mail, as an explicit state machine over stored challenges.
//!
//! A code is issued only for a session whose password was verified, belongs to that session alone, is stored
//! hashed, expires, and allows a fixed number of wrong tries; asking for a new code keeps the count. Consecutive
//! failures per account lock the step for a while. No HTTP here: the web handlers in `gateway` are thin.

pub mod code;
pub mod limits;

use crate::clock::{Instant, SharedClock};
use crate::methods::Method;
use crate::session::{SessionKey, StoreError};
use code::CodeFormat;
use parking_lot::Mutex;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Where a code goes: one of the user's (at most two) SMS numbers, or their e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Channel {
    /// SMS to number 0 or 1.
    Sms(u8),
    /// E-mail.
    Email,
}

impl Channel {
    /// Parses the form value `sms:0`, `sms:1` or `email`.
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "sms:0" => Some(Channel::Sms(0)),
            "sms:1" => Some(Channel::Sms(1)),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }

    /// The form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms(0) => "sms:0",
            Channel::Sms(_) => "sms:1",
            Channel::Email => "email",
        }
    }

    /// The login method a verified code adds.
    pub fn method(self) -> Method {
        match self {
            Channel::Sms(_) => Method::Sms,
            Channel::Email => Method::Email,
        }
    }
}

/// Settings of the code step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondFactorSettings {
    /// How long a code is valid.
    pub code_lifetime: Duration,
    /// Wrong tries per challenge.
    pub max_tries: u32,
    /// Consecutive wrong codes per account before the step is locked.
    pub lockout_after: u32,
    /// How long the lock lasts.
    pub lockout_time: Duration,
    /// Code format for SMS.
    pub sms_code: CodeFormat,
    /// Code format for e-mail.
    pub email_code: CodeFormat,
    /// Send limits.
    pub limits: limits::LimitSettings,
}

impl Default for SecondFactorSettings {
    fn default() -> Self {
        SecondFactorSettings {
            code_lifetime: Duration::from_secs(300),
            max_tries: 5,
            lockout_after: 10,
            lockout_time: Duration::from_secs(15 * 60),
            sms_code: CodeFormat::default(),
            email_code: CodeFormat::default(),
            limits: limits::LimitSettings::default(),
        }
    }
}

/// A pending code for one session. The code itself is never stored, only a salted hash.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Challenge {
    /// The account ("realm:username").
    pub account: String,
    /// Where the current code went.
    pub channel: Channel,
    salt: [u8; 16],
    hash: [u8; 32],
    /// When the current code stops working.
    pub expires: Instant,
    /// Wrong tries so far (kept across resends).
    pub failures: u32,
    /// Codes sent for this challenge.
    pub sends: u32,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Challenge")
            .field("account", &self.account)
            .field("channel", &self.channel)
            .field("expires", &self.expires)
            .field("failures", &self.failures)
            .field("sends", &self.sends)
            .finish_non_exhaustive()
    }
}

fn hash_code(salt: &[u8; 16], code: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(code.as_bytes());
    h.finalize().into()
}

/// Consecutive failures of one account, and its lock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccountFailures {
    /// Consecutive wrong codes.
    pub count: u32,
    /// Locked until then.
    pub locked_until: Option<Instant>,
}

/// Where challenges and account failure counts live (in memory now; Redis in a later issue).
#[async_trait::async_trait]
pub trait ChallengeStore: Send + Sync + std::fmt::Debug {
    /// The session's challenge.
    async fn get(&self, session: &SessionKey) -> Result<Option<Challenge>, StoreError>;
    /// Stores the session's challenge.
    async fn put(&self, session: SessionKey, c: Challenge) -> Result<(), StoreError>;
    /// Removes the session's challenge.
    async fn remove(&self, session: &SessionKey) -> Result<(), StoreError>;
    /// The account's failure state.
    async fn failures(&self, account: &str) -> Result<AccountFailures, StoreError>;
    /// Replaces the account's failure state.
    async fn set_failures(&self, account: &str, f: AccountFailures) -> Result<(), StoreError>;
    /// Drops expired challenges and finished locks.
    async fn purge(&self, now: Instant) -> Result<usize, StoreError>;
}

/// The in-memory challenge store.
#[derive(Debug, Default)]
pub struct MemoryChallengeStore {
    challenges: Mutex<HashMap<SessionKey, Challenge>>,
    failures: Mutex<HashMap<String, AccountFailures>>,
}

#[async_trait::async_trait]
impl ChallengeStore for MemoryChallengeStore {
    async fn get(&self, session: &SessionKey) -> Result<Option<Challenge>, StoreError> {
        Ok(self.challenges.lock().get(session).cloned())
    }
    async fn put(&self, session: SessionKey, c: Challenge) -> Result<(), StoreError> {
        self.challenges.lock().insert(session, c);
        Ok(())
    }
    async fn remove(&self, session: &SessionKey) -> Result<(), StoreError> {
        self.challenges.lock().remove(session);
        Ok(())
    }
    async fn failures(&self, account: &str) -> Result<AccountFailures, StoreError> {
        Ok(self.failures.lock().get(account).copied().unwrap_or_default())
    }
    async fn set_failures(&self, account: &str, f: AccountFailures) -> Result<(), StoreError> {
        let mut m = self.failures.lock();
        if f == AccountFailures::default() {
            m.remove(account);
        } else {
            m.insert(account.to_string(), f);
        }
        Ok(())
    }
    async fn purge(&self, now: Instant) -> Result<usize, StoreError> {
        let mut c = self.challenges.lock();
        let before = c.len();
        // Keep dead challenges a while after expiry so "expired" can still be told apart from "never sent".
        c.retain(|_, ch| ch.expires.plus(Duration::from_secs(3600)) > now);
        let mut f = self.failures.lock();
        f.retain(|_, a| a.count > 0 || a.locked_until.is_some_and(|u| u > now));
        Ok(before - c.len())
    }
}

/// Why a code could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The account's code step is locked.
    #[error("second factor locked for {0:?}")]
    Locked(Duration),
    /// This login attempt already had its share of codes.
    #[error("too many codes for this login attempt")]
    ChallengeCap,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a typed code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// No pending code for this session.
    NoChallenge,
    /// The code expired.
    Expired,
    /// The challenge used up its tries.
    TooManyTries,
    /// Wrong code; this many tries remain.
    Wrong(u32),
    /// The account's code step is locked for this long.
    Locked(Duration),
}

/// The code step: issue and verify, over a store and a clock.
#[derive(Debug)]
pub struct SecondFactor {
    store: Arc<dyn ChallengeStore>,
    clock: SharedClock,
    settings: SecondFactorSettings,
    /// Abuse limits on sending.
    pub limits: limits::SendLimits,
}

impl SecondFactor {
    /// The code step with its store, clock and settings.
    pub fn new(store: Arc<dyn ChallengeStore>, clock: SharedClock, settings: SecondFactorSettings) -> SecondFactor {
        let limits = limits::SendLimits::new(settings.limits.clone(), clock.clone());
        SecondFactor { store, clock, settings, limits }
    }

    /// The settings in force.
    pub fn settings(&self) -> &SecondFactorSettings {
        &self.settings
    }

    /// The session's pending challenge, if any.
    pub async fn pending(&self, session: &SessionKey) -> Result<Option<Challenge>, StoreError> {
        self.store.get(session).await
    }

    async fn lock_remaining(&self, account: &str) -> Result<Option<Duration>, StoreError> {
        let f = self.store.failures(account).await?;
        let now = self.clock.now();
        Ok(f.locked_until.filter(|u| *u > now).map(|u| u.since(now)))
    }

    /// Whether a code could be issued now (lock, per-challenge cap), without changing anything: checked before the
    /// rate limiters so a refused request doesn't use up the user's share of sends.
    pub async fn precheck(&self, session: &SessionKey, account: &str) -> Result<(), IssueError> {
        if let Some(wait) = self.lock_remaining(account).await? {
            return Err(IssueError::Locked(wait));
        }
        let sends = self.store.get(session).await?.filter(|c| c.account == account).map(|c| c.sends).unwrap_or(0);
        if sends >= self.settings.limits.per_challenge {
            return Err(IssueError::ChallengeCap);
        }
        Ok(())
    }

    /// Makes a new code for the session and returns it (to be sent, never stored in clear). A resend keeps the
    /// failure count and counts against the per-challenge cap.
    pub async fn issue(&self, session: SessionKey, account: &str, channel: Channel) -> Result<String, IssueError> {
        if let Some(wait) = self.lock_remaining(account).await? {
            return Err(IssueError::Locked(wait));
        }
        let prior = self.store.get(&session).await?.filter(|c| c.account == account);
        let (failures, sends) = prior.as_ref().map(|c| (c.failures, c.sends)).unwrap_or((0, 0));
        if sends >= self.settings.limits.per_challenge {
            return Err(IssueError::ChallengeCap);
        }
        let format = match channel {
            Channel::Sms(_) => &self.settings.sms_code,
            Channel::Email => &self.settings.email_code,
        };
        let code = format.generate();
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let challenge = Challenge {
            account: account.to_string(),
            channel,
            hash: hash_code(&salt, &code),
            salt,
            expires: self.clock.now().plus(self.settings.code_lifetime),
            failures,
            sends: sends + 1,
        };
        self.store.put(session, challenge).await?;
        Ok(code)
    }

    /// Undoes the count of a send that the provider refused (its failure is not the user's).
    pub async fn uncount_send(&self, session: &SessionKey) -> Result<(), StoreError> {
        if let Some(mut c) = self.store.get(session).await? {
            c.sends = c.sends.saturating_sub(1);
            self.store.put(*session, c).await?;
        }
        Ok(())
    }

    /// Checks a typed code for the session. On success the challenge is consumed and its channel returned.
    pub async fn verify(
        &self,
        session: &SessionKey,
        account: &str,
        typed: &str,
    ) -> Result<Result<Channel, VerifyError>, StoreError> {
        if let Some(wait) = self.lock_remaining(account).await? {
            return Ok(Err(VerifyError::Locked(wait)));
        }
        let Some(mut c) = self.store.get(session).await?.filter(|c| c.account == account) else {
            return Ok(Err(VerifyError::NoChallenge));
        };
        if c.failures >= self.settings.max_tries {
            return Ok(Err(VerifyError::TooManyTries));
        }
        if self.clock.now() >= c.expires {
            return Ok(Err(VerifyError::Expired));
        }
        let ok = code::normalize(typed).is_some_and(|t| {
            use subtle::ConstantTimeEq;
            bool::from(hash_code(&c.salt, &t).ct_eq(&c.hash))
        });
        if ok {
            self.store.remove(session).await?;
            self.store.set_failures(account, AccountFailures::default()).await?;
            return Ok(Ok(c.channel));
        }
        c.failures += 1;
        let remaining = self.settings.max_tries.saturating_sub(c.failures);
        self.store.put(*session, c).await?;
        let mut f = self.store.failures(account).await?;
        f.count += 1;
        if f.count >= self.settings.lockout_after {
            f.locked_until = Some(self.clock.now().plus(self.settings.lockout_time));
            f.count = 0;
            self.store.set_failures(account, f).await?;
            return Ok(Err(VerifyError::Locked(self.settings.lockout_time)));
        }
        self.store.set_failures(account, f).await?;
        Ok(Err(if remaining == 0 { VerifyError::TooManyTries } else { VerifyError::Wrong(remaining) }))
    }

    /// Drops expired challenges and cleans limiters; run periodically.
    pub async fn purge(&self) -> Result<usize, StoreError> {
        self.limits.retain_recent();
        self.store.purge(self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::session::SessionId;

    fn sf(clock: Arc<ManualClock>) -> SecondFactor {
        SecondFactor::new(Arc::new(MemoryChallengeStore::default()), clock, SecondFactorSettings::default())
    }

    fn key() -> SessionKey {
        SessionId::generate().key()
    }

    /// The right code works once, typed in lower case with dashes; a replay fails.
    #[tokio::test]
    async fn right_code_once() {
        let s = sf(ManualClock::new());
        let k = key();
        let code = s.issue(k, "staff:anna", Channel::Sms(0)).await.unwrap();
        let typed = code::display(&code).to_lowercase();
        assert_eq!(s.verify(&k, "staff:anna", &typed).await.unwrap(), Ok(Channel::Sms(0)));
        assert_eq!(s.verify(&k, "staff:anna", &code).await.unwrap(), Err(VerifyError::NoChallenge));
    }

    /// A code belongs to its session: session B can't use session A's code.
    #[tokio::test]
    async fn bound_to_session() {
        let s = sf(ManualClock::new());
        let (a, b) = (key(), key());
        let code = s.issue(a, "staff:anna", Channel::Email).await.unwrap();
        assert_eq!(s.verify(&b, "staff:anna", &code).await.unwrap(), Err(VerifyError::NoChallenge));
        assert_eq!(s.verify(&a, "staff:anna", &code).await.unwrap(), Ok(Channel::Email));
    }

    /// Codes expire after their lifetime.
    #[tokio::test]
    async fn expiry() {
        let clock = ManualClock::new();
        let s = sf(clock.clone());
        let k = key();
        let code = s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        clock.advance(Duration::from_secs(300));
        assert_eq!(s.verify(&k, "staff:anna", &code).await.unwrap(), Err(VerifyError::Expired));
    }

    /// After five wrong tries the sixth fails even with the right code; a resend doesn't reset the count.
    #[tokio::test]
    async fn tries_and_resend() {
        let s = sf(ManualClock::new());
        let k = key();
        s.issue(k, "staff:anna", Channel::Sms(0)).await.unwrap();
        for left in [4, 3, 2] {
            assert_eq!(s.verify(&k, "staff:anna", "XXXXXX").await.unwrap(), Err(VerifyError::Wrong(left)));
        }
        let code = s.issue(k, "staff:anna", Channel::Sms(0)).await.unwrap();
        assert_eq!(s.verify(&k, "staff:anna", "XXXXXX").await.unwrap(), Err(VerifyError::Wrong(1)));
        assert_eq!(s.verify(&k, "staff:anna", "XXXXXX").await.unwrap(), Err(VerifyError::TooManyTries));
        assert_eq!(s.verify(&k, "staff:anna", &code).await.unwrap(), Err(VerifyError::TooManyTries));
    }

    /// Ten consecutive failures across login attempts lock the account's code step, which then recovers.
    #[tokio::test]
    async fn account_lockout() {
        let clock = ManualClock::new();
        let s = sf(clock.clone());
        let mut last = Ok(Channel::Email);
        for _ in 0..2 {
            let k = key();
            s.issue(k, "staff:anna", Channel::Email).await.unwrap();
            for _ in 0..5 {
                last = s.verify(&k, "staff:anna", "XXXXXX").await.unwrap();
            }
        }
        assert_eq!(last, Err(VerifyError::Locked(Duration::from_secs(900))));
        let k = key();
        assert!(matches!(s.issue(k, "staff:anna", Channel::Email).await, Err(IssueError::Locked(_))));
        clock.advance(Duration::from_secs(901));
        let code = s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        assert_eq!(s.verify(&k, "staff:anna", &code).await.unwrap(), Ok(Channel::Email));
    }

    /// A login attempt gets at most three codes; a refused provider send is not counted.
    #[tokio::test]
    async fn per_challenge_cap() {
        let s = sf(ManualClock::new());
        let k = key();
        for _ in 0..3 {
            s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        }
        assert!(matches!(s.issue(k, "staff:anna", Channel::Email).await, Err(IssueError::ChallengeCap)));
        s.uncount_send(&k).await.unwrap();
        assert!(s.issue(k, "staff:anna", Channel::Email).await.is_ok());
    }

    /// The stored challenge holds no code in clear, and its Debug shows neither hash nor salt.
    #[tokio::test]
    async fn stored_hashed() {
        let store = Arc::new(MemoryChallengeStore::default());
        let s = SecondFactor::new(store.clone(), ManualClock::new(), SecondFactorSettings::default());
        let k = key();
        let code = s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        let c = store.get(&k).await.unwrap().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains(&code));
        assert!(!format!("{c:?}").contains("hash"));
    }
}
