//! Regulation: after too many failed logins for one account or from one address, further attempts are refused
//! for a while without checking the password. Time comes from the injected clock.
//!
//! Unknown usernames are regulated exactly like known ones, so a ban reveals nothing about which accounts exist.

pub mod config;

use crate::clock::SharedClock;
use crate::store::{BanState, RegulationLimits, RegulationStore, StoreError};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Limits for one kind of key.
pub type Limits = RegulationLimits;

/// Counts login attempts per account and per client address in a [`RegulationStore`], before the password is
/// checked, and bans keys that fail too often.
#[derive(Debug)]
pub struct Regulator {
    clock: SharedClock,
    per_account: Limits,
    per_address: Limits,
    store: Arc<dyn RegulationStore>,
}

impl Regulator {
    /// A regulator with limits for accounts and for client addresses, counting in `store`.
    pub fn new(
        store: Arc<dyn RegulationStore>,
        clock: SharedClock,
        per_account: Limits,
        per_address: Limits,
    ) -> Regulator {
        Regulator { clock, per_account, per_address, store }
    }

    fn keys(&self, account: &str, addr: Option<IpAddr>) -> Vec<(String, Limits)> {
        let mut keys = vec![(account_key(account), self.per_account)];
        if let Some(a) = addr {
            keys.push((address_key(a), self.per_address));
        }
        keys
    }

    /// Counts this attempt before its password is checked: `Ok(Err(wait))` if the account or address is banned
    /// (check nothing then). At most `max_failures` attempts per window get `Ok(Ok(()))`, however many run at once.
    pub async fn begin(&self, account: &str, addr: Option<IpAddr>) -> Result<Result<(), Duration>, StoreError> {
        let keys = self.keys(account, addr);
        let refs: Vec<(&str, Limits)> = keys.iter().map(|(k, l)| (k.as_str(), *l)).collect();
        Ok(match self.store.record_attempt(&refs, self.clock.now()).await? {
            BanState::Allowed => Ok(()),
            BanState::Banned(w) => Err(w),
        })
    }

    /// After a wrong password: `Some(wait)` if the account or address is now banned.
    pub async fn failed(&self, account: &str, addr: Option<IpAddr>) -> Result<Option<Duration>, StoreError> {
        let keys = self.keys(account, addr);
        let refs: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        self.store.banned(&refs, self.clock.now()).await
    }

    /// A successful login forgets the account's attempts and takes back this attempt from the address's count.
    pub async fn succeeded(&self, account: &str, addr: Option<IpAddr>) -> Result<(), StoreError> {
        self.store.clear(&account_key(account)).await?;
        if let Some(a) = addr {
            let key = address_key(a);
            self.store.refund(&[(key.as_str(), self.per_address)], self.clock.now()).await?;
        }
        Ok(())
    }

    /// The password could not be checked (the directory did not answer), or was right but the directory refused
    /// the login for another reason: takes this attempt back from every count, as it was not a guess.
    pub async fn not_checked(&self, account: &str, addr: Option<IpAddr>) -> Result<(), StoreError> {
        let keys = self.keys(account, addr);
        let refs: Vec<(&str, Limits)> = keys.iter().map(|(k, l)| (k.as_str(), *l)).collect();
        self.store.refund(&refs, self.clock.now()).await
    }

    /// Drops idle entries, at most `limit`; run periodically.
    pub async fn purge(&self, limit: usize) -> Result<usize, StoreError> {
        self.store.sweep(self.clock.now(), limit).await
    }
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

    fn reg(clock: Arc<ManualClock>) -> Regulator {
        Regulator::new(
            crate::store::memory::MemoryStore::stores(clock.clone()).regulation,
            clock,
            Limits { max_failures: 3, find_time: Duration::from_secs(300), ban_time: Duration::from_secs(600) },
            Limits { max_failures: 5, find_time: Duration::from_secs(300), ban_time: Duration::from_secs(60) },
        )
    }

    async fn fail(r: &Regulator, account: &str, addr: Option<IpAddr>) -> Result<(), Duration> {
        r.begin(account, addr).await.unwrap()?;
        match r.failed(account, addr).await.unwrap() {
            Some(w) => Err(w),
            None => Ok(()),
        }
    }

    /// The third failure within the window bans the account for the ban time, then it recovers.
    #[tokio::test]
    async fn account_ban_and_recovery() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        assert!(fail(&r, "anna", None).await.is_ok());
        assert!(fail(&r, "anna", None).await.is_ok());
        assert_eq!(fail(&r, "anna", None).await, Err(Duration::from_secs(600)));
        assert_eq!(r.begin("anna", None).await.unwrap(), Err(Duration::from_secs(600)));
        assert!(r.begin("bjorn", None).await.unwrap().is_ok());
        clock.advance(Duration::from_secs(599));
        assert!(r.begin("anna", None).await.unwrap().is_err());
        clock.advance(Duration::from_secs(1));
        assert!(r.begin("anna", None).await.unwrap().is_ok());
    }

    /// Failures older than the window don't count.
    #[tokio::test]
    async fn old_failures_expire() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        fail(&r, "anna", None).await.unwrap();
        fail(&r, "anna", None).await.unwrap();
        clock.advance(Duration::from_secs(301));
        assert!(fail(&r, "anna", None).await.is_ok());
    }

    /// One address trying many accounts is banned by the address limit; IPv6 counts per /64.
    #[tokio::test]
    async fn address_ban_spans_accounts_and_v6_prefix() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        let a: IpAddr = "2001:db8:1:2::10".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::99".parse().unwrap();
        for i in 0..4 {
            assert!(fail(&r, &format!("user{i}"), Some(a)).await.is_ok());
        }
        assert!(fail(&r, "user9", Some(b)).await.is_err());
        assert!(r.begin("someone-else", Some(a)).await.unwrap().is_err());
        assert!(r.begin("someone-else", Some("2001:db8:1:3::1".parse().unwrap())).await.unwrap().is_ok());
    }

    /// Success clears the account's count and refunds the address's; purge drops idle entries.
    #[tokio::test]
    async fn success_and_purge() {
        let clock = ManualClock::new();
        let r = reg(clock.clone());
        fail(&r, "anna", None).await.unwrap();
        fail(&r, "anna", None).await.unwrap();
        r.begin("anna", None).await.unwrap().unwrap();
        r.succeeded("anna", None).await.unwrap();
        assert!(fail(&r, "anna", None).await.is_ok());
        clock.advance(Duration::from_secs(25 * 3600));
        assert_eq!(r.purge(100).await.unwrap(), 1);
    }

    /// 50 parallel attempts for one account: exactly `max_failures` may be checked, the rest are refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_attempts_counted_before_checking() {
        let r = Arc::new(reg(ManualClock::new()));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { r.begin("anna", None).await.unwrap().is_ok() })
            })
            .collect();
        let mut allowed = 0;
        for t in tasks {
            allowed += usize::from(t.await.unwrap());
        }
        assert_eq!(allowed, 3);
    }
}
