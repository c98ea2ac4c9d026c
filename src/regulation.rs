//! Regulation: after too many failed logins for one account or from one address, further attempts are refused
//! for a while without checking the password. Time comes from the injected clock.
//!
//! Unknown usernames are regulated exactly like known ones, so a ban reveals nothing about which accounts exist.

use crate::clock::{Instant, SharedClock};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::Duration;

/// Limits for one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures within `find_time` that trigger a ban.
    pub max_failures: u32,
    /// Window in which failures are counted.
    pub find_time: Duration,
    /// How long a ban lasts.
    pub ban_time: Duration,
}

#[derive(Debug, Default)]
struct Entry {
    failures: VecDeque<Instant>,
    banned_until: Option<Instant>,
}

/// Counts failures per key and bans keys that fail too often.
#[derive(Debug)]
pub struct Regulator {
    clock: SharedClock,
    per_account: Limits,
    per_address: Limits,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Most keys tracked before the oldest idle ones are dropped, so a flood of distinct names can't exhaust memory.
const MAX_KEYS: usize = 100_000;

impl Regulator {
    /// A regulator with limits for accounts and for client addresses.
    pub fn new(clock: SharedClock, per_account: Limits, per_address: Limits) -> Regulator {
        Regulator { clock, per_account, per_address, entries: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` if the account or the address is banned now.
    pub fn check(&self, account: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        let now = self.clock.now();
        let entries = self.entries.lock();
        let wait = [Some(account_key(account)), addr.map(address_key)]
            .into_iter()
            .flatten()
            .filter_map(|k| entries.get(&k).and_then(|e| e.banned_until))
            .filter(|until| *until > now)
            .map(|until| until.since(now))
            .max();
        match wait {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// Records a failed attempt; returns `Err(wait)` if it caused a ban.
    pub fn record_failure(&self, account: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        let now = self.clock.now();
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_KEYS {
            purge_locked(&mut entries, now, self.longest());
        }
        let mut wait = None;
        let keys = [Some((account_key(account), self.per_account)), addr.map(|a| (address_key(a), self.per_address))];
        for (key, limits) in keys.into_iter().flatten() {
            let e = entries.entry(key).or_default();
            while e.failures.front().is_some_and(|t| now.since(*t) >= limits.find_time) {
                e.failures.pop_front();
            }
            e.failures.push_back(now);
            if e.failures.len() >= limits.max_failures as usize {
                let until = now.plus(limits.ban_time);
                e.banned_until = Some(until);
                e.failures.clear();
                wait = Some(limits.ban_time);
            }
        }
        match wait {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// A successful login forgets the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        self.entries.lock().remove(&account_key(account));
    }

    /// Drops entries with no recent failures and no ban; run periodically.
    pub fn purge(&self) -> usize {
        let now = self.clock.now();
        let mut entries = self.entries.lock();
        purge_locked(&mut entries, now, self.longest())
    }

    fn longest(&self) -> Duration {
        self.per_account.find_time.max(self.per_address.find_time)
    }
}

fn purge_locked(entries: &mut HashMap<String, Entry>, now: Instant, keep: Duration) -> usize {
    let before = entries.len();
    entries.retain(|_, e| {
        e.banned_until.is_some_and(|u| u > now) || e.failures.back().is_some_and(|t| now.since(*t) < keep)
    });
    before - entries.len()
}

fn account_key(account: &str) -> String {
    format!("a:{account}")
}

/// IPv6 clients are regulated per /64, since one host usually holds a whole /64.
fn address_key(addr: IpAddr) -> String {
    match addr.to_canonical() {
        IpAddr::V4(v4) => format!("4:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("6:{:x}:{:x}:{:x}:{:x}", s[0], s[1], s[2], s[3])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::Arc;

    fn reg(clock: Arc<ManualClock>) -> Regulator {
        Regulator::new(
            clock,
            Limits { max_failures: 3, find_time: Duration::from_secs(300), ban_time: Duration::from_secs(600) },
            Limits { max_failures: 5, find_time: Duration::from_secs(300), ban_time: Duration::from_secs(60) },
        )
    }

    /// The third failure within the window bans the account for the ban time, then it recovers.
    #[test]
    fn account_ban_and_recovery() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        assert!(r.record_failure("anna", None).is_ok());
        assert!(r.record_failure("anna", None).is_ok());
        assert_eq!(r.record_failure("anna", None), Err(Duration::from_secs(600)));
        assert_eq!(r.check("anna", None), Err(Duration::from_secs(600)));
        assert!(r.check("bjorn", None).is_ok());
        clock.advance(Duration::from_secs(599));
        assert!(r.check("anna", None).is_err());
        clock.advance(Duration::from_secs(1));
        assert!(r.check("anna", None).is_ok());
    }

    /// Failures older than the window don't count.
    #[test]
    fn old_failures_expire() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        r.record_failure("anna", None).unwrap();
        r.record_failure("anna", None).unwrap();
        clock.advance(Duration::from_secs(301));
        assert!(r.record_failure("anna", None).is_ok());
    }

    /// One address trying many accounts is banned by the address limit; IPv6 counts per /64.
    #[test]
    fn address_ban_spans_accounts_and_v6_prefix() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::99".parse().unwrap();
        for i in 0..4 {
            assert!(r.record_failure(&format!("user{i}"), Some(a)).is_ok());
        }
        assert!(r.record_failure("user9", Some(b)).is_err());
        assert!(r.check("someone-else", Some(a)).is_err());
        assert!(r.check("someone-else", Some("2001:db8:1:3::1".parse().unwrap())).is_ok());
    }

    /// Success clears the account's count; purge drops idle entries.
    #[test]
    fn success_and_purge() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        r.record_failure("anna", None).unwrap();
        r.record_failure("anna", None).unwrap();
        r.record_success("anna");
        assert!(r.record_failure("anna", None).is_ok());
        clock.advance(Duration::from_secs(301));
        assert_eq!(r.purge(), 1);
    }
}
