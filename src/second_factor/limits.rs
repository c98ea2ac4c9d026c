//! Abuse limits on sending codes (governor), so the gateway can't be turned into an SMS cannon: a cooldown and a
//! daily cap per destination, caps per account and per client address per hour, a global hourly cap, and an
//! allowlist of country prefixes. Limiters run on the injected clock; keyed ones are cleaned periodically.

use crate::clock::SharedClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// governor's view of the gateway clock.
#[derive(Debug, Clone)]
pub struct GovClock(pub SharedClock);

impl governor::clock::Clock for GovClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.now().0)
    }
}

type Keyed = RateLimiter<String, DefaultKeyedStateStore<String>, GovClock, NoOpMiddleware<Duration>>;
type Direct = RateLimiter<NotKeyed, InMemoryState, GovClock, NoOpMiddleware<Duration>>;

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

/// The send limiters.
#[derive(Debug)]
pub struct SendLimits {
    clock: GovClock,
    settings: LimitSettings,
    cooldown: Keyed,
    daily: Keyed,
    account: Keyed,
    address: Keyed,
    global: Direct,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

fn quota(count: u32, window: Duration) -> Quota {
    let per = window / count.max(1);
    Quota::with_period(per.max(Duration::from_millis(1))).unwrap_or(Quota::per_second(nz(1))).allow_burst(nz(count))
}

impl SendLimits {
    /// Limiters for the settings, on the given clock.
    pub fn new(settings: LimitSettings, clock: SharedClock) -> SendLimits {
        let c = GovClock(clock);
        let keyed = |q: Quota| RateLimiter::new(q, DefaultKeyedStateStore::default(), c.clone());
        let day = Duration::from_secs(24 * 3600);
        let hour = Duration::from_secs(3600);
        SendLimits {
            cooldown: keyed(quota(1, settings.destination_cooldown)),
            daily: keyed(quota(settings.per_destination_per_day, day)),
            account: keyed(quota(settings.per_account_per_hour, hour)),
            address: keyed(quota(settings.per_address_per_hour, hour)),
            global: RateLimiter::new(quota(settings.per_hour, hour), InMemoryState::default(), c.clone()),
            clock: c,
            settings,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &LimitSettings {
        &self.settings
    }

    /// Checks (and counts) one send to `destination` (E.164 for SMS) for `account` from `addr`.
    pub fn check(&self, destination: &str, is_sms: bool, account: &str, addr: Option<IpAddr>) -> Result<(), LimitHit> {
        use governor::clock::Clock;
        if is_sms
            && !self.settings.allowed_prefixes.is_empty()
            && !self.settings.allowed_prefixes.iter().any(|p| destination.starts_with(p.as_str()))
        {
            return Err(LimitHit::Country);
        }
        let now = self.clock.now();
        let wait = |nu: governor::NotUntil<Duration>| nu.wait_time_from(now);
        let dest = destination.to_string();
        self.cooldown.check_key(&dest).map_err(|e| LimitHit::Cooldown(wait(e)))?;
        self.daily.check_key(&dest).map_err(|e| LimitHit::Destination(wait(e)))?;
        self.account.check_key(&account.to_string()).map_err(|e| LimitHit::Account(wait(e)))?;
        if let Some(ip) = addr {
            let key = match ip.to_canonical() {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            };
            self.address.check_key(&key).map_err(|e| LimitHit::Address(wait(e)))?;
        }
        self.global.check().map_err(|e| LimitHit::Global(wait(e)))?;
        Ok(())
    }

    /// Forgets keys whose limits have fully recovered (call periodically; keyed limiters grow otherwise).
    pub fn retain_recent(&self) {
        self.cooldown.retain_recent();
        self.daily.retain_recent();
        self.account.retain_recent();
        self.address.retain_recent();
    }

    /// Keys currently tracked, for tests and metrics.
    pub fn tracked_keys(&self) -> usize {
        self.cooldown.len() + self.daily.len() + self.account.len() + self.address.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn limits(clock: Arc<ManualClock>, s: LimitSettings) -> SendLimits {
        SendLimits::new(s, clock)
    }

    /// A second send to one number within the cooldown is refused, and allowed once it has passed.
    #[test]
    fn cooldown_trips_and_recovers() {
        let clock = ManualClock::new();
        let l = limits(clock.clone(), LimitSettings::default());
        assert!(l.check("+46701234567", true, "a", None).is_ok());
        match l.check("+46701234567", true, "a", None) {
            Err(LimitHit::Cooldown(w)) => assert!(w <= Duration::from_secs(30) && w > Duration::from_secs(29)),
            other => panic!("{other:?}"),
        }
        assert!(l.check("+46709999999", true, "b", None).is_ok(), "other numbers are unaffected");
        clock.advance(Duration::from_secs(30));
        assert!(l.check("+46701234567", true, "a", None).is_ok());
    }

    /// The daily cap per number trips after its count and recovers as the day passes.
    #[test]
    fn daily_cap() {
        let clock = ManualClock::new();
        let s = LimitSettings { per_destination_per_day: 3, per_account_per_hour: 100, ..Default::default() };
        let l = limits(clock.clone(), s);
        for _ in 0..3 {
            assert!(l.check("+4791234567", true, "a", None).is_ok());
            clock.advance(Duration::from_secs(31));
        }
        assert!(matches!(l.check("+4791234567", true, "a", None), Err(LimitHit::Destination(_))));
        clock.advance(Duration::from_secs(8 * 3600));
        assert!(l.check("+4791234567", true, "a", None).is_ok());
    }

    /// Per-account, per-address and global hourly caps each trip and recover.
    #[test]
    fn account_address_global_caps() {
        let clock = ManualClock::new();
        let s = LimitSettings { per_account_per_hour: 2, per_address_per_hour: 3, per_hour: 4, ..Default::default() };
        let l = limits(clock.clone(), s);
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        assert!(l.check("+4520000001", true, "acc1", Some(ip)).is_ok());
        assert!(l.check("+4520000002", true, "acc1", Some(ip)).is_ok());
        assert!(matches!(l.check("+4520000003", true, "acc1", Some(ip)), Err(LimitHit::Account(_))));
        assert!(l.check("+4520000004", true, "acc2", Some(ip)).is_ok());
        assert!(matches!(l.check("+4520000005", true, "acc3", Some(ip)), Err(LimitHit::Address(_))));
        assert!(l.check("+4520000006", true, "acc4", None).is_ok());
        assert!(matches!(l.check("+4520000007", true, "acc5", None), Err(LimitHit::Global(_))));
        clock.advance(Duration::from_secs(3600));
        assert!(l.check("+4520000008", true, "acc1", Some(ip)).is_ok());
    }

    /// Numbers outside the allowed countries are refused; e-mail destinations are not country-checked.
    #[test]
    fn country_allowlist() {
        let l = limits(ManualClock::new(), LimitSettings::default());
        assert_eq!(l.check("+12025550123", true, "a", None), Err(LimitHit::Country));
        assert!(l.check("anna@kommune.no", false, "a", None).is_ok());
    }

    /// Cleaning drops keys whose limits have recovered, so memory stays bounded.
    #[test]
    fn retain_recent_cleans() {
        let clock = ManualClock::new();
        let l = limits(clock.clone(), LimitSettings::default());
        for i in 0..50 {
            l.check(&format!("+467000000{i:02}"), true, &format!("acc{i}"), None).unwrap();
        }
        assert!(l.tracked_keys() >= 150);
        clock.advance(Duration::from_secs(25 * 3600));
        l.retain_recent();
        assert_eq!(l.tracked_keys(), 0);
    }
}
