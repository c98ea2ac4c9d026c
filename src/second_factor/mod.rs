//! The second factor: one-time codes by SMS or e-mail, as an explicit state machine over stored challenges.
//!
//! A code is issued only for a session whose password was verified, belongs to that session alone, is stored
//! hashed, expires, and allows a fixed number of wrong tries; asking for a new code keeps the count. Consecutive
//! failures per account lock the step for a while. No HTTP here: the web handlers in `gateway` are thin.

pub mod code;
pub mod config;
pub mod limits;

use crate::clock::{Instant, SharedClock};
use crate::methods::Method;
use crate::session::SessionKey;
use crate::store::seal::Secrets;
use crate::store::{ChallengeEntry, ChallengeStore, Consumed, Lockout, NewCode, Opened, RateLimitStore, StoreError};
use code::CodeFormat;
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

/// A pending code for one session, as pages show it. The code itself is never stored, only its MAC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The account ("realm:username").
    pub account: String,
    /// Where the current code went.
    pub channel: Channel,
    /// When the current code stops working.
    pub expires: Instant,
    /// Wrong tries so far (kept across resends).
    pub failures: u32,
    /// Codes sent for this challenge.
    pub sends: u32,
}

impl Challenge {
    fn from_entry(e: ChallengeEntry) -> Option<Challenge> {
        Some(Challenge {
            channel: Channel::parse(&e.channel)?,
            account: e.account,
            expires: e.expires,
            failures: e.failures,
            sends: e.sends,
        })
    }
}

/// How long a dead challenge is kept after its code expired, so "expired" can be told apart from "never sent".
const KEEP_EXPIRED: Duration = Duration::from_secs(3600);

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
    secrets: Arc<Secrets>,
    clock: SharedClock,
    settings: SecondFactorSettings,
    /// Abuse limits on sending.
    pub limits: limits::SendLimits,
}

impl SecondFactor {
    /// The code step with its stores, the keys codes are MACed with, a clock and settings.
    pub fn new(
        store: Arc<dyn ChallengeStore>,
        rate_limits: Arc<dyn RateLimitStore>,
        secrets: Arc<Secrets>,
        clock: SharedClock,
        settings: SecondFactorSettings,
    ) -> SecondFactor {
        let limits = limits::SendLimits::new(settings.limits.clone(), rate_limits, clock.clone());
        SecondFactor { store, secrets, clock, settings, limits }
    }

    /// The settings in force.
    pub fn settings(&self) -> &SecondFactorSettings {
        &self.settings
    }

    /// The session's pending challenge, if any.
    pub async fn pending(&self, session: &SessionKey) -> Result<Option<Challenge>, StoreError> {
        Ok(self.store.get(session).await?.and_then(Challenge::from_entry))
    }

    async fn lock_remaining(&self, account: &str) -> Result<Option<Duration>, StoreError> {
        let now = self.clock.now();
        let f = self.store.account_failures(account, now).await?;
        Ok(f.locked_until.filter(|u| *u > now).map(|u| u.since(now)))
    }

    fn lockout(&self) -> Lockout {
        Lockout { after: self.settings.lockout_after, duration: self.settings.lockout_time }
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
    /// failure count and counts against the per-challenge cap, both in one atomic store step.
    pub async fn issue(&self, session: SessionKey, account: &str, channel: Channel) -> Result<String, IssueError> {
        if let Some(wait) = self.lock_remaining(account).await? {
            return Err(IssueError::Locked(wait));
        }
        let format = match channel {
            Channel::Sms(_) => &self.settings.sms_code,
            Channel::Email => &self.settings.email_code,
        };
        let code = format.generate();
        let new = NewCode {
            account: account.to_string(),
            channel: channel.as_str().to_string(),
            code_mac: self.secrets.code_mac(&session, &code),
            expires: self.clock.now().plus(self.settings.code_lifetime),
        };
        let ttl = self.settings.code_lifetime + KEEP_EXPIRED;
        match self.store.open(&session, new, self.settings.limits.per_challenge, ttl).await? {
            Opened::Stored(_) => Ok(code),
            Opened::SendCap => Err(IssueError::ChallengeCap),
        }
    }

    /// Undoes the count of a send that the provider refused (its failure is not the user's).
    pub async fn uncount_send(&self, session: &SessionKey) -> Result<(), StoreError> {
        self.store.uncount_send(session).await
    }

    /// The session's challenge as stored, taken before a send so that [`SecondFactor::undo_send`] can put it back.
    pub async fn snapshot(&self, session: &SessionKey) -> Result<Option<ChallengeEntry>, StoreError> {
        self.store.get(session).await
    }

    /// Takes back a send the provider did not take: it is not counted, and the challenge is as it was before it
    /// (`before`, from [`SecondFactor::snapshot`]): the code sent earlier works again (the user may hold it and the
    /// page keeps its field for it), or, with none before, no code is pending (none was delivered).
    pub async fn undo_send(&self, session: SessionKey, before: Option<ChallengeEntry>) -> Result<(), StoreError> {
        let Some(b) = before else { return self.store.remove(&session).await };
        let now = self.clock.now();
        let ttl = b.expires.since(now) + KEEP_EXPIRED;
        let code = NewCode { account: b.account, channel: b.channel, code_mac: b.code_mac, expires: b.expires };
        // Storing it again counts a send and keeps the failures; both counts end as they were before.
        self.store.uncount_send(&session).await?;
        if let Opened::Stored(_) = self.store.open(&session, code, u32::MAX, ttl).await? {
            self.store.uncount_send(&session).await?;
        }
        Ok(())
    }

    /// Checks a typed code for the session. On success the challenge is consumed and its channel returned. The
    /// comparison and the count of a wrong try are one atomic store step: parallel guesses get no extra tries, and
    /// of two parallel right codes only one succeeds.
    pub async fn verify(
        &self,
        session: &SessionKey,
        account: &str,
        typed: &str,
    ) -> Result<Result<Channel, VerifyError>, StoreError> {
        Ok(self.verify_noting_lockout(session, account, typed).await?.0)
    }

    /// Like [`SecondFactor::verify`], and whether this wrong code began the account's lockout (`true` only for the
    /// try that locked it, not for tries refused while it is locked).
    pub async fn verify_noting_lockout(
        &self,
        session: &SessionKey,
        account: &str,
        typed: &str,
    ) -> Result<(Result<Channel, VerifyError>, bool), StoreError> {
        let r = self.verify_inner(session, account, typed).await?;
        Ok(match r {
            Err((e, began)) => (Err(e), began),
            Ok(c) => (Ok(c), false),
        })
    }

    async fn verify_inner(
        &self,
        session: &SessionKey,
        account: &str,
        typed: &str,
    ) -> Result<Result<Channel, (VerifyError, bool)>, StoreError> {
        let refused = |e| Ok(Err((e, false)));
        if let Some(wait) = self.lock_remaining(account).await? {
            return refused(VerifyError::Locked(wait));
        }
        let now = self.clock.now();
        let max = self.settings.max_tries;
        let outcome = match code::normalize(typed) {
            Some(t) => {
                self.store.consume_if_matches(session, account, &self.secrets.code_mac(session, &t), now, max).await?
            }
            None => match self.store.get(session).await?.filter(|c| c.account == account) {
                None => Consumed::Missing,
                Some(c) if c.failures >= max => Consumed::Exhausted,
                Some(c) if now >= c.expires => Consumed::Expired,
                Some(_) => match self.store.record_wrong_try(session, max).await? {
                    Some(remaining) => Consumed::Wrong { remaining },
                    None => Consumed::Missing,
                },
            },
        };
        let remaining = match outcome {
            Consumed::Matched(c) => {
                self.store.reset_account_failures(account).await?;
                return Ok(Channel::parse(&c.channel).ok_or((VerifyError::NoChallenge, false)));
            }
            Consumed::Missing => return refused(VerifyError::NoChallenge),
            Consumed::Expired => return refused(VerifyError::Expired),
            Consumed::Exhausted => return refused(VerifyError::TooManyTries),
            Consumed::Wrong { remaining } => remaining,
        };
        let ttl = self.settings.lockout_time.max(Duration::from_secs(24 * 3600));
        let f = self.store.incr_account_failures(account, now, self.lockout(), ttl).await?;
        if let Some(until) = f.locked_until.filter(|u| *u > now) {
            // The lock check above passed, so this wrong code is the one that locked the account.
            return Ok(Err((VerifyError::Locked(until.since(now)), true)));
        }
        refused(if remaining == 0 { VerifyError::TooManyTries } else { VerifyError::Wrong(remaining) })
    }

    /// Drops expired challenges and cleans limiters, at most `limit` entries each; run periodically.
    pub async fn purge(&self, limit: usize) -> Result<usize, StoreError> {
        let n = self.limits.sweep(limit).await?;
        Ok(n + self.store.sweep(self.clock.now(), limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::session::SessionId;

    fn sf(clock: Arc<ManualClock>) -> SecondFactor {
        let stores = crate::store::memory::MemoryStore::stores(clock.clone());
        let secrets = Arc::new(Secrets::generate());
        SecondFactor::new(stores.challenges, stores.rate_limits, secrets, clock, SecondFactorSettings::default())
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

    /// The stored challenge holds no code in clear, and its Debug shows no MAC.
    #[tokio::test]
    async fn stored_as_mac() {
        let clock = ManualClock::new();
        let stores = crate::store::memory::MemoryStore::stores(clock.clone());
        let secrets = Arc::new(Secrets::generate());
        let s = SecondFactor::new(
            stores.challenges.clone(),
            stores.rate_limits,
            secrets,
            clock,
            SecondFactorSettings::default(),
        );
        let k = key();
        let code = s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        let c = stores.challenges.get(&k).await.unwrap().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(!json.contains(&code));
        assert!(!format!("{c:?}").contains("mac"));
    }

    /// Of 100 parallel wrong codes exactly `max_tries` are counted, and the right code then fails.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_wrong_codes_counted_exactly() {
        let s = Arc::new(sf(ManualClock::new()));
        let k = key();
        let code = s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.verify(&k, "staff:anna", "XXXXXX").await.unwrap() })
            })
            .collect();
        let mut wrong = 0;
        for t in tasks {
            if matches!(t.await.unwrap(), Err(VerifyError::Wrong(_))) {
                wrong += 1;
            }
        }
        assert_eq!(wrong, 4, "five tries: four say 'wrong', the fifth says 'no tries left'");
        assert_eq!(s.pending(&k).await.unwrap().unwrap().failures, 5);
        assert_eq!(s.verify(&k, "staff:anna", &code).await.unwrap(), Err(VerifyError::TooManyTries));
    }

    /// Of 20 parallel right codes exactly one succeeds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_right_codes_one_success() {
        let s = Arc::new(sf(ManualClock::new()));
        let k = key();
        let code = s.issue(k, "staff:anna", Channel::Email).await.unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (s, code) = (s.clone(), code.clone());
                tokio::spawn(async move { s.verify(&k, "staff:anna", &code).await.unwrap() })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap().is_ok());
        }
        assert_eq!(ok, 1);
    }
}
