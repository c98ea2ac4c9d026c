//! Abuse limits on sending codes (governor), so the gateway can't be turned into an SMS cannon: a cooldown and a
//! daily cap per destination, caps per account and per client address per hour, a global hourly cap, and an
//! allowlist of country prefixes. Limiters run on the injected clock; keyed ones are cleaned periodically.

use crate::clock::SharedClock;
use crate::store::{Quota, RateDecision, RateLimitStore, StoreError};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Configured limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    /// Minimum time between two sends to one destination.
    pub destination_cooldown: Duration,
    /// Sends per destination per day.
    pub per_destination_per_day: u32,
    /// Sends per login attempt (challenge).
    pub per_challenge: u32,
    /// Sends per account per hour.
    pub per_account_per_hour: u32,
    /// Sends per client address per hour.
    pub per_address_per_hour: u32,
    /// Sends per hour for the whole gateway.
    pub per_hour: u32,
    /// Country prefixes SMS may go to, e.g. "+46".
    pub allowed_prefixes: Vec<String>,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            destination_cooldown: Duration::from_secs(30),
            per_destination_per_day: 10,
            per_challenge: 3,
            per_account_per_hour: 10,
            per_address_per_hour: 30,
            per_hour: 1000,
            allowed_prefixes: vec!["+46".into(), "+47".into(), "+45".into()],
        }
    }
}

/// Which limit refused a send, and how long until it would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// A code went to this destination moments ago.
    Cooldown(Duration),
    /// This destination had its daily share.
    Destination(Duration),
    /// This login attempt asked for too many codes.
    Challenge,
    /// This account asked for too many codes.
    Account(Duration),
    /// This address asked for too many codes.
    Address(Duration),
    /// The gateway as a whole hit its hourly cap.
    Global(Duration),
    /// The number's country is not allowed.
    Country,
}

impl LimitHit {
    /// Stable name for logs and tests.
    pub fn name(&self) -> &'static str {
        match self {
            LimitHit::Cooldown(_) => "destination-cooldown",
            LimitHit::Destination(_) => "destination-daily",
            LimitHit::Challenge => "per-challenge",
            LimitHit::Account(_) => "account-hourly",
            LimitHit::Address(_) => "address-hourly",
            LimitHit::Global(_) => "global-hourly",
            LimitHit::Country => "country",
        }
    }
}

/// The send limiters, counted in a [`RateLimitStore`] (shared by every instance on a shared backend).
#[derive(Debug)]
pub struct SendLimits {
    clock: SharedClock,
    settings: LimitSettings,
    store: Arc<dyn RateLimitStore>,
}

/// Why a send was refused: a limit, or the store that counts them failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A limit refused the send.
    #[error("send limit {}", .0.name())]
    Limit(LimitHit),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SendLimits {
    /// Limiters for the settings, counted in `store` on the given clock.
    pub fn new(settings: LimitSettings, store: Arc<dyn RateLimitStore>, clock: SharedClock) -> SendLimits {
        SendLimits { clock, settings, store }
    }

    /// The settings in force.
    pub fn settings(&self) -> &LimitSettings {
        &self.settings
    }

    async fn hit(&self, key: String, count: u32, window: Duration) -> Result<Option<Duration>, StoreError> {
        let quota = Quota { count: count.max(1), window };
        Ok(match self.store.hit(&key, quota, self.clock.now()).await? {
            RateDecision::Ok => None,
            RateDecision::Wait(w) => Some(w),
        })
    }

    /// Checks (and counts) one send to `destination` (E.164 for SMS) for `account` from `addr`.
    pub async fn check(
        &self,
        destination: &str,
        is_sms: bool,
        account: &str,
        addr: Option<IpAddr>,
    ) -> Result<(), CheckError> {
        if is_sms
            && !self.settings.allowed_prefixes.is_empty()
            && !self.settings.allowed_prefixes.iter().any(|p| destination.starts_with(p.as_str()))
        {
            return Err(CheckError::Limit(LimitHit::Country));
        }
        let s = &self.settings;
        let day = Duration::from_secs(24 * 3600);
        let hour = Duration::from_secs(3600);
        if let Some(w) = self.hit(format!("send-cooldown:{destination}"), 1, s.destination_cooldown).await? {
            return Err(CheckError::Limit(LimitHit::Cooldown(w)));
        }
        if let Some(w) = self.hit(format!("send-daily:{destination}"), s.per_destination_per_day, day).await? {
            return Err(CheckError::Limit(LimitHit::Destination(w)));
        }
        if let Some(w) = self.hit(format!("send-account:{account}"), s.per_account_per_hour, hour).await? {
            return Err(CheckError::Limit(LimitHit::Account(w)));
        }
        if let Some(ip) = addr {
            let key = match ip.to_canonical() {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            };
            if let Some(w) = self.hit(format!("send-address:{key}"), s.per_address_per_hour, hour).await? {
                return Err(CheckError::Limit(LimitHit::Address(w)));
            }
        }
        if let Some(w) = self.hit("send-global".to_string(), s.per_hour, hour).await? {
            return Err(CheckError::Limit(LimitHit::Global(w)));
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully recovered, at most `limit` (call periodically).
    pub async fn sweep(&self, limit: usize) -> Result<usize, StoreError> {
        self.store.sweep(self.clock.now(), limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn limits(clock: Arc<ManualClock>, s: LimitSettings) -> SendLimits {
        let store = crate::store::memory::MemoryStore::stores(clock.clone()).rate_limits;
        SendLimits::new(s, store, clock)
    }

    fn hit(r: Result<(), CheckError>) -> Result<(), LimitHit> {
        r.map_err(|e| match e {
            CheckError::Limit(h) => h,
            CheckError::Store(e) => panic!("{e}"),
        })
    }

    /// A second send to one number within the cooldown is refused, and allowed once it has passed.
    #[tokio::test]
    async fn cooldown_trips_and_recovers() {
        let clock = ManualClock::new();
        let l = limits(clock.clone(), LimitSettings::default());
        assert!(hit(l.check("+46701234567", true, "a", None).await).is_ok());
        match hit(l.check("+46701234567", true, "a", None).await) {
            Err(LimitHit::Cooldown(w)) => assert!(w <= Duration::from_secs(30) && w > Duration::from_secs(29)),
            other => panic!("{other:?}"),
        }
        assert!(hit(l.check("+46709999999", true, "b", None).await).is_ok(), "other numbers are unaffected");
        clock.advance(Duration::from_secs(30));
        assert!(hit(l.check("+46701234567", true, "a", None).await).is_ok());
    }

    /// The daily cap per number trips after its count and recovers as the day passes.
    #[tokio::test]
    async fn daily_cap() {
        let clock = ManualClock::new();
        let s = LimitSettings { per_destination_per_day: 3, per_account_per_hour: 100, ..Default::default() };
        let l = limits(clock.clone(), s);
        for _ in 0..3 {
            assert!(hit(l.check("+4791234567", true, "a", None).await).is_ok());
            clock.advance(Duration::from_secs(31));
        }
        assert!(matches!(hit(l.check("+4791234567", true, "a", None).await), Err(LimitHit::Destination(_))));
        clock.advance(Duration::from_secs(8 * 3600));
        assert!(hit(l.check("+4791234567", true, "a", None).await).is_ok());
    }

    /// Per-account, per-address and global hourly caps each trip and recover.
    #[tokio::test]
    async fn account_address_global_caps() {
        let clock = ManualClock::new();
        let s = LimitSettings { per_account_per_hour: 2, per_address_per_hour: 3, per_hour: 4, ..Default::default() };
        let l = limits(clock.clone(), s);
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        assert!(hit(l.check("+4520000001", true, "acc1", Some(ip)).await).is_ok());
        assert!(hit(l.check("+4520000002", true, "acc1", Some(ip)).await).is_ok());
        assert!(matches!(hit(l.check("+4520000003", true, "acc1", Some(ip)).await), Err(LimitHit::Account(_))));
        assert!(hit(l.check("+4520000004", true, "acc2", Some(ip)).await).is_ok());
        assert!(matches!(hit(l.check("+4520000005", true, "acc3", Some(ip)).await), Err(LimitHit::Address(_))));
        assert!(hit(l.check("+4520000006", true, "acc4", None).await).is_ok());
        assert!(matches!(hit(l.check("+4520000007", true, "acc5", None).await), Err(LimitHit::Global(_))));
        clock.advance(Duration::from_secs(3600));
        assert!(hit(l.check("+4520000008", true, "acc1", Some(ip)).await).is_ok());
    }

    /// Numbers outside the allowed countries are refused; e-mail destinations are not country-checked.
    #[tokio::test]
    async fn country_allowlist() {
        let l = limits(ManualClock::new(), LimitSettings::default());
        assert_eq!(hit(l.check("+12025550123", true, "a", None).await), Err(LimitHit::Country));
        assert!(hit(l.check("anna@kommune.no", false, "a", None).await).is_ok());
    }

    /// Cleaning drops keys whose limits have recovered, so memory stays bounded.
    #[tokio::test]
    async fn retain_recent_cleans() {
        let clock = ManualClock::new();
        let l = limits(clock.clone(), LimitSettings::default());
        for i in 0..50 {
            hit(l.check(&format!("+467000000{i:02}"), true, &format!("acc{i}"), None).await).unwrap();
        }
        clock.advance(Duration::from_secs(25 * 3600));
        assert!(l.sweep(10_000).await.unwrap() >= 150);
        assert_eq!(l.sweep(10_000).await.unwrap(), 0);
    }
}
