//! The contract every store backend passes, unchanged: memory, SQLite and Redis run these same checks.
//!
//! Test code, compiled into the library so integration tests of any backend can call it; nothing on a request path
//! calls it. Give [`run_all`] a constructor of fresh, empty backends; each check gets its own. Time is moved with
//! [`Backend::advance`]: for backends that expire entries on the injected clock it moves the [`ManualClock`]; a
//! backend whose server keeps its own time (Redis) supplies an `advance` that also waits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::*;
use crate::clock::{Clock, ManualClock};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Moves a backend's time forward.
pub type Advance = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A fresh backend under test.
#[derive(Clone)]
pub struct Backend {
    /// Its stores.
    pub stores: Stores,
    /// The clock the backend and the checks share.
    pub clock: Arc<ManualClock>,
    /// Moves time forward by at least the given duration, as the backend sees it.
    pub advance: Advance,
}

impl Backend {
    /// A backend whose expiry follows `clock`.
    pub fn on_clock(stores: Stores, clock: Arc<ManualClock>) -> Backend {
        let c = clock.clone();
        let advance: Advance = Arc::new(move |d| {
            c.advance(d);
            Box::pin(async {})
        });
        Backend { stores, clock, advance }
    }

    /// Moves time forward.
    pub async fn advance(&self, d: Duration) {
        (self.advance)(d).await
    }

    fn now(&self) -> Instant {
        self.clock.now()
    }
}

/// Runs every check, each on a fresh backend from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Backend>,
{
    sessions_touch_debounced(&make().await).await;
    sessions_expire(&make().await).await;
    sessions_rotate(&make().await).await;
    sessions_indexes(&make().await).await;
    sessions_sweep(&make().await).await;
    challenges_lifecycle(&make().await).await;
    challenges_parallel_wrong_counted_exactly(&make().await).await;
    challenges_parallel_right_one_wins(&make().await).await;
    account_failures_lock(&make().await).await;
    flows_single_use_under_concurrency(&make().await).await;
    flows_expire(&make().await).await;
    marks_single_use_under_concurrency(&make().await).await;
    snapshots_replace_and_expire(&make().await).await;
    regulation_counted_before_check(&make().await).await;
    rate_limits_gcra(&make().await).await;
    accounts_link_rules(&make().await).await;
    accounts_parallel_links_one_wins(&make().await).await;
    probe_answers(&make().await).await;
}

fn key(n: u8) -> Key {
    Key::of_token(&format!("token-{n}"))
}

fn session(b: &Backend, account: &str, eid_sid: Option<(&str, &str)>) -> SessionEntry {
    let now = b.now();
    SessionEntry {
        account: account.into(),
        eid: eid_sid.is_some(),
        eid_sid: eid_sid.map(|(p, s)| EidSid { provider: p.into(), sid: s.into() }),
        created: now,
        last_seen: now,
        expires: now.plus(Duration::from_secs(12 * 3600)),
        data: format!("record of {account}").into_bytes().into(),
    }
}

const MIN: Duration = Duration::from_secs(60);

fn touch(b: &Backend) -> Touch {
    Touch { now: b.now(), interval: Duration::from_secs(30), max_idle: 15 * MIN }
}

/// `get_and_touch` returns the stored entry, rewrites `last_seen` only after the touch interval, and renews the TTL.
pub async fn sessions_touch_debounced(b: &Backend) {
    let s = &b.stores.sessions;
    let e = session(b, "staff:anna", None);
    let t0 = e.last_seen;
    s.create(&key(1), e.clone(), 15 * MIN).await.unwrap();
    b.advance(Duration::from_secs(10)).await;
    let got = s.get_and_touch(&key(1), touch(b), 15 * MIN).await.unwrap().unwrap();
    assert_eq!(got.data, e.data);
    assert_eq!(got.last_seen, t0);
    b.advance(Duration::from_secs(25)).await;
    let got = s.get_and_touch(&key(1), touch(b), 15 * MIN).await.unwrap().unwrap();
    assert_eq!(got.last_seen, t0, "returned as stored before this request");
    let touched_at = b.now();
    let got = s.get_and_touch(&key(1), touch(b), 15 * MIN).await.unwrap().unwrap();
    assert_eq!(got.last_seen, touched_at, "35 s after the last write, the request was recorded");
    // The touch renewed the TTL: 14 minutes later it is still there, although 14:35 after its creation + 15 min TTL.
    b.advance(14 * MIN).await;
    assert!(s.get_and_touch(&key(1), touch(b), 15 * MIN).await.unwrap().is_some());
    assert!(s.get_and_touch(&key(2), touch(b), 15 * MIN).await.unwrap().is_none());
}

/// A session is gone after its TTL; one idle past `max_idle` is not revived by a touch.
pub async fn sessions_expire(b: &Backend) {
    let s = &b.stores.sessions;
    s.create(&key(1), session(b, "staff:anna", None), 30 * MIN).await.unwrap();
    b.advance(16 * MIN).await;
    let got = s.get_and_touch(&key(1), touch(b), 30 * MIN).await.unwrap().unwrap();
    let got2 = s.get_and_touch(&key(1), touch(b), 30 * MIN).await.unwrap().unwrap();
    assert_eq!(got.last_seen, got2.last_seen, "idle past max_idle: not touched");
    b.advance(15 * MIN).await;
    assert!(s.get_and_touch(&key(1), touch(b), 30 * MIN).await.unwrap().is_none(), "past its TTL");
}

/// Rotation moves the session to its new key in one step and refuses to revive an ended one.
pub async fn sessions_rotate(b: &Backend) {
    let s = &b.stores.sessions;
    s.create(&key(1), session(b, "staff:anna", None), 15 * MIN).await.unwrap();
    let mut next = session(b, "staff:anna", None);
    next.data = b"stepped up".as_slice().into();
    assert!(s.rotate(&key(1), &key(2), next.clone(), 15 * MIN).await.unwrap());
    assert!(s.get_and_touch(&key(1), touch(b), 15 * MIN).await.unwrap().is_none());
    assert_eq!(
        s.get_and_touch(&key(2), touch(b), 15 * MIN).await.unwrap().unwrap().data,
        b"stepped up".as_slice().into()
    );
    assert!(!s.rotate(&key(1), &key(3), next, 15 * MIN).await.unwrap(), "old key is gone");
    assert!(s.get_and_touch(&key(3), touch(b), 15 * MIN).await.unwrap().is_none());
    // The index follows the rotation: ending the account's sessions ends the new one.
    assert_eq!(s.end_all_of("staff:anna", SessionScope::All).await.unwrap(), 1);
    assert!(s.get_and_touch(&key(2), touch(b), 15 * MIN).await.unwrap().is_none());
}

/// Sessions are found by provider session and by account (all, or eID only); `end` reports what it ended.
pub async fn sessions_indexes(b: &Backend) {
    let s = &b.stores.sessions;
    s.create(&key(1), session(b, "staff:anna", Some(("idp", "sid-1"))), 15 * MIN).await.unwrap();
    s.create(&key(2), session(b, "staff:anna", Some(("idp", "sid-2"))), 15 * MIN).await.unwrap();
    s.create(&key(3), session(b, "staff:anna", None), 15 * MIN).await.unwrap();
    s.create(&key(4), session(b, "staff:bjorn", Some(("idp", "sid-1"))), 15 * MIN).await.unwrap();
    s.create(&key(5), session(b, "staff:bjorn", None), 15 * MIN).await.unwrap();
    let sid = |x: &str| EidSid { provider: "idp".into(), sid: x.into() };
    assert_eq!(s.end_by_eid_sid(&sid("sid-1")).await.unwrap(), 2);
    assert_eq!(s.end_by_eid_sid(&sid("sid-1")).await.unwrap(), 0);
    assert_eq!(s.end_all_of("staff:anna", SessionScope::EidOnly).await.unwrap(), 1);
    assert!(s.get_and_touch(&key(3), touch(b), 15 * MIN).await.unwrap().is_some(), "password session kept");
    assert_eq!(s.end_all_of("staff:anna", SessionScope::All).await.unwrap(), 1);
    assert!(s.end(&key(5)).await.unwrap());
    assert!(!s.end(&key(5)).await.unwrap());
    assert_eq!(s.count().await.unwrap(), 0);
}

/// The sweep removes expired sessions only, in bounded batches.
pub async fn sessions_sweep(b: &Backend) {
    let s = &b.stores.sessions;
    for n in 0..5 {
        s.create(&key(n), session(b, "staff:anna", Some(("idp", "x"))), 10 * MIN).await.unwrap();
    }
    b.advance(5 * MIN).await;
    s.create(&key(9), session(b, "staff:bjorn", None), 10 * MIN).await.unwrap();
    b.advance(6 * MIN).await;
    assert_eq!(s.sweep(b.now(), 3).await.unwrap(), 3);
    assert_eq!(s.sweep(b.now(), 100).await.unwrap(), 2);
    assert_eq!(s.count().await.unwrap(), 1);
    assert!(s.get_and_touch(&key(9), touch(b), 15 * MIN).await.unwrap().is_some());
}

fn code(b: &Backend, account: &str, mac: u8) -> NewCode {
    NewCode { account: account.into(), channel: "sms:0".into(), code_mac: [mac; 32], expires: b.now().plus(5 * MIN) }
}

/// Opening keeps failures across resends, caps sends, and compare-and-delete works once; expiry is reported.
pub async fn challenges_lifecycle(b: &Backend) {
    let c = &b.stores.challenges;
    let ttl = 65 * MIN;
    assert!(matches!(c.open(&key(1), code(b, "staff:anna", 1), 3, ttl).await.unwrap(), Opened::Stored(_)));
    let wrong = c.consume_if_matches(&key(1), "staff:anna", &[9; 32], b.now(), 5).await.unwrap();
    assert_eq!(wrong, Consumed::Wrong { remaining: 4 });
    let Opened::Stored(e) = c.open(&key(1), code(b, "staff:anna", 2), 3, ttl).await.unwrap() else { panic!() };
    assert_eq!((e.failures, e.sends), (1, 2), "a resend keeps the failures");
    assert_eq!(c.record_wrong_try(&key(1), 5).await.unwrap(), Some(3));
    c.uncount_send(&key(1)).await.unwrap();
    assert!(matches!(c.open(&key(1), code(b, "staff:anna", 7), 3, ttl).await.unwrap(), Opened::Stored(_)));
    assert!(matches!(c.open(&key(1), code(b, "staff:anna", 3), 3, ttl).await.unwrap(), Opened::Stored(_)));
    assert_eq!(c.open(&key(1), code(b, "staff:anna", 4), 3, ttl).await.unwrap(), Opened::SendCap);
    assert_eq!(c.get(&key(1)).await.unwrap().unwrap().code_mac, [3; 32]);
    let other = c.consume_if_matches(&key(1), "staff:bjorn", &[3; 32], b.now(), 5).await.unwrap();
    assert_eq!(other, Consumed::Missing, "bound to its account");
    let Consumed::Matched(m) = c.consume_if_matches(&key(1), "staff:anna", &[3; 32], b.now(), 5).await.unwrap() else {
        panic!("right code")
    };
    assert_eq!(m.channel, "sms:0");
    assert_eq!(c.consume_if_matches(&key(1), "staff:anna", &[3; 32], b.now(), 5).await.unwrap(), Consumed::Missing);
    c.open(&key(2), code(b, "staff:anna", 5), 3, ttl).await.unwrap();
    b.advance(5 * MIN).await;
    let now = b.now();
    assert_eq!(c.consume_if_matches(&key(2), "staff:anna", &[5; 32], now, 5).await.unwrap(), Consumed::Expired);
    b.advance(61 * MIN).await;
    assert_eq!(c.sweep(b.now(), 100).await.unwrap(), 1);
    assert!(c.get(&key(2)).await.unwrap().is_none());
}

/// 100 parallel wrong codes: exactly `max_tries` are compared and counted; the right code then fails.
pub async fn challenges_parallel_wrong_counted_exactly(b: &Backend) {
    let c = b.stores.challenges.clone();
    c.open(&key(1), code(b, "staff:anna", 1), 3, 65 * MIN).await.unwrap();
    let now = b.now();
    let tasks: Vec<_> = (0..100u8)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let mac = [100u8.wrapping_add(i); 32];
                c.consume_if_matches(&key(1), "staff:anna", &mac, now, 5).await.unwrap()
            })
        })
        .collect();
    let mut wrong = 0;
    for t in tasks {
        match t.await.unwrap() {
            Consumed::Wrong { .. } => wrong += 1,
            Consumed::Exhausted => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(wrong, 5);
    assert_eq!(c.get(&key(1)).await.unwrap().unwrap().failures, 5);
    assert_eq!(c.consume_if_matches(&key(1), "staff:anna", &[1; 32], now, 5).await.unwrap(), Consumed::Exhausted);
}

/// 50 parallel right codes: exactly one matches.
pub async fn challenges_parallel_right_one_wins(b: &Backend) {
    let c = b.stores.challenges.clone();
    c.open(&key(1), code(b, "staff:anna", 1), 3, 65 * MIN).await.unwrap();
    let now = b.now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.consume_if_matches(&key(1), "staff:anna", &[1; 32], now, 5).await.unwrap() })
        })
        .collect();
    let mut matched = 0;
    for t in tasks {
        matched += usize::from(matches!(t.await.unwrap(), Consumed::Matched(_)));
    }
    assert_eq!(matched, 1);
}

/// Account failures count in parallel without loss, lock at the threshold, and reset.
pub async fn account_failures_lock(b: &Backend) {
    let c = b.stores.challenges.clone();
    let lockout = Lockout { after: 1000, duration: 15 * MIN };
    let now = b.now();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(
                async move { c.incr_account_failures("staff:anna", now, lockout, 24 * 60 * MIN).await.unwrap() },
            )
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(c.account_failures("staff:anna", now).await.unwrap().count, 40);
    let small = Lockout { after: 3, duration: 15 * MIN };
    c.reset_account_failures("staff:anna").await.unwrap();
    assert_eq!(c.incr_account_failures("staff:anna", now, small, 60 * MIN).await.unwrap().count, 1);
    c.incr_account_failures("staff:anna", now, small, 60 * MIN).await.unwrap();
    let f = c.incr_account_failures("staff:anna", now, small, 60 * MIN).await.unwrap();
    assert_eq!(f, AccountFailures { count: 0, locked_until: Some(now.plus(15 * MIN)) });
    assert_eq!(c.account_failures("staff:anna", now).await.unwrap().locked_until, Some(now.plus(15 * MIN)));
    b.advance(15 * MIN).await;
    assert_eq!(c.account_failures("staff:anna", b.now()).await.unwrap().locked_until, None);
    assert_eq!(c.account_failures("staff:bjorn", b.now()).await.unwrap(), AccountFailures::default());
}

/// 50 parallel takes of one flow: exactly one gets it; `get` leaves it in place.
pub async fn flows_single_use_under_concurrency(b: &Backend) {
    let f = b.stores.flows.clone();
    f.put(&key(1), b"state".to_vec(), 10 * MIN).await.unwrap();
    assert_eq!(f.get(&key(1)).await.unwrap().as_deref(), Some(&b"state"[..]));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.take(&key(1)).await.unwrap() })
        })
        .collect();
    let mut got = 0;
    for t in tasks {
        if let Some(v) = t.await.unwrap() {
            assert_eq!(v, b"state");
            got += 1;
        }
    }
    assert_eq!(got, 1);
    assert!(f.get(&key(1)).await.unwrap().is_none());
}

/// Flows die at their TTL and are swept.
pub async fn flows_expire(b: &Backend) {
    let f = &b.stores.flows;
    f.put(&key(1), b"a".to_vec(), 10 * MIN).await.unwrap();
    f.put(&key(2), b"b".to_vec(), 30 * MIN).await.unwrap();
    b.advance(10 * MIN).await;
    assert!(f.take(&key(1)).await.unwrap().is_none());
    f.put(&key(3), b"c".to_vec(), MIN).await.unwrap();
    b.advance(MIN).await;
    assert_eq!(f.sweep(b.now(), 100).await.unwrap(), 1);
    assert!(f.get(&key(2)).await.unwrap().is_some());
}

/// 50 parallel `use_once` of one key: exactly one sets the mark; later calls are refused while it lives, another
/// key is free, a flow under the same key is a different thing, and once the TTL has passed the key is free again.
pub async fn marks_single_use_under_concurrency(b: &Backend) {
    let f = b.stores.flows.clone();
    f.put(&key(1), b"flow".to_vec(), 30 * MIN).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.use_once(&key(1), 10 * MIN).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 1);
    assert!(!f.use_once(&key(1), 10 * MIN).await.unwrap());
    assert!(f.use_once(&key(2), 10 * MIN).await.unwrap());
    assert_eq!(f.get(&key(1)).await.unwrap().as_deref(), Some(&b"flow"[..]));
    b.advance(9 * MIN).await;
    assert!(!f.use_once(&key(1), 10 * MIN).await.unwrap(), "still marked before its TTL");
    b.advance(MIN).await;
    assert!(f.use_once(&key(1), 10 * MIN).await.unwrap(), "free again after its TTL");
    assert!(!f.use_once(&key(1), 10 * MIN).await.unwrap());
}

/// A last-known directory entry is read back as written, replaced by a newer one, kept per account, and gone at
/// its TTL.
pub async fn snapshots_replace_and_expire(b: &Backend) {
    let s = &b.stores.snapshots;
    assert_eq!(s.snapshot("staff:anna").await.unwrap(), None);
    s.put_snapshot("staff:anna", b"groups: payroll".to_vec(), 60 * MIN).await.unwrap();
    s.put_snapshot("staff:bjorn", b"groups: none".to_vec(), 10 * MIN).await.unwrap();
    assert_eq!(s.snapshot("staff:anna").await.unwrap().as_deref(), Some(&b"groups: payroll"[..]));
    b.advance(5 * MIN).await;
    s.put_snapshot("staff:anna", b"groups: teachers".to_vec(), 60 * MIN).await.unwrap();
    assert_eq!(s.snapshot("staff:anna").await.unwrap().as_deref(), Some(&b"groups: teachers"[..]));
    assert_eq!(s.snapshot("staff:bjorn").await.unwrap().as_deref(), Some(&b"groups: none"[..]));
    assert_eq!(s.snapshot("other:anna").await.unwrap(), None);
    b.advance(5 * MIN).await;
    assert_eq!(s.snapshot("staff:bjorn").await.unwrap(), None, "gone at its TTL");
    assert!(s.snapshot("staff:anna").await.unwrap().is_some());
}

/// 50 parallel attempts: exactly `max_failures` allowed; a refund lifts the ban it caused; bans end.
pub async fn regulation_counted_before_check(b: &Backend) {
    let r = b.stores.regulation.clone();
    let lim = RegulationLimits { max_failures: 5, find_time: 5 * MIN, ban_time: 10 * MIN };
    let addr = RegulationLimits { max_failures: 1000, find_time: 5 * MIN, ban_time: MIN };
    let now = b.now();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.record_attempt(&[("a:anna", lim), ("ip:1", addr)], now).await.unwrap() })
        })
        .collect();
    let mut allowed = 0;
    for t in tasks {
        allowed += usize::from(t.await.unwrap() == BanState::Allowed);
    }
    assert_eq!(allowed, 5);
    assert_eq!(r.banned(&["a:anna"], now).await.unwrap(), Some(10 * MIN));
    assert_eq!(r.banned(&["ip:1"], now).await.unwrap(), None);
    b.advance(10 * MIN).await;
    let now = b.now();
    assert_eq!(r.banned(&["a:anna"], now).await.unwrap(), None);
    for _ in 0..4 {
        assert_eq!(r.record_attempt(&[("a:anna", lim)], now).await.unwrap(), BanState::Allowed);
    }
    assert_eq!(r.record_attempt(&[("a:anna", lim)], now).await.unwrap(), BanState::Allowed);
    assert!(r.banned(&["a:anna"], now).await.unwrap().is_some());
    r.refund(&[("a:anna", lim)], now).await.unwrap();
    assert_eq!(r.banned(&["a:anna"], now).await.unwrap(), None, "the refunded attempt's ban is lifted");
    r.clear("a:anna").await.unwrap();
    b.advance(25 * 60 * MIN).await;
    assert!(r.sweep(b.now(), 100).await.unwrap() >= 1);
}

/// GCRA: a burst of `count`, then a wait that ends as the window passes; keys are independent.
pub async fn rate_limits_gcra(b: &Backend) {
    let l = &b.stores.rate_limits;
    let q = Quota { count: 3, window: Duration::from_secs(60) };
    for _ in 0..3 {
        assert_eq!(l.hit("k", q, b.now()).await.unwrap(), RateDecision::Ok);
    }
    let RateDecision::Wait(w) = l.hit("k", q, b.now()).await.unwrap() else { panic!("fourth passes") };
    assert!(w > Duration::from_secs(19) && w <= Duration::from_secs(20), "{w:?}");
    assert_eq!(l.hit("other", q, b.now()).await.unwrap(), RateDecision::Ok);
    b.advance(Duration::from_secs(20)).await;
    assert_eq!(l.hit("k", q, b.now()).await.unwrap(), RateDecision::Ok);
    assert!(matches!(l.hit("k", q, b.now()).await.unwrap(), RateDecision::Wait(_)));
}

fn link(pid: &str) -> EidLink {
    EidLink { provider: "idp".into(), person_id: pid.into(), linked_at: Instant(1) }
}

/// Phones are replaced and returned; an eID links once per account and once per person; unlink frees both.
pub async fn accounts_link_rules(b: &Backend) {
    let a = &b.stores.accounts;
    assert_eq!(a.get("staff:anna").await.unwrap(), Account::default());
    assert!(a.set_phones("staff:anna", vec!["+46701234567".into()]).await.unwrap().is_empty());
    assert_eq!(a.set_phones("staff:anna", vec![]).await.unwrap(), vec!["+46701234567".to_string()]);
    assert_eq!(a.link_eid("staff:anna", link("111")).await.unwrap(), LinkOutcome::Linked);
    assert_eq!(a.link_eid("staff:anna", link("222")).await.unwrap(), LinkOutcome::AlreadyLinked);
    assert_eq!(a.link_eid("staff:bjorn", link("111")).await.unwrap(), LinkOutcome::PersonTaken);
    assert_eq!(a.find_eid("idp", "111").await.unwrap().as_deref(), Some("staff:anna"));
    assert_eq!(a.find_eid("other", "111").await.unwrap(), None);
    assert_eq!(a.get("staff:anna").await.unwrap().eid, Some(link("111")));
    assert_eq!(a.unlink_eid("staff:anna").await.unwrap(), Some(link("111")));
    assert_eq!(a.find_eid("idp", "111").await.unwrap(), None);
    assert_eq!(a.link_eid("staff:bjorn", link("111")).await.unwrap(), LinkOutcome::Linked);
}

/// One person linked from 20 accounts at once: exactly one link is made.
pub async fn accounts_parallel_links_one_wins(b: &Backend) {
    let a = b.stores.accounts.clone();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let a = a.clone();
            tokio::spawn(async move { a.link_eid(&format!("staff:user{i}"), link("333")).await.unwrap() })
        })
        .collect();
    let mut linked = 0;
    for t in tasks {
        linked += usize::from(t.await.unwrap() == LinkOutcome::Linked);
    }
    assert_eq!(linked, 1);
}

/// A healthy backend answers the probe.
pub async fn probe_answers(b: &Backend) {
    b.stores.probe.probe().await.unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory backend passes the whole contract.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_backend_passes() {
        run_all(|| async {
            let clock = ManualClock::new();
            Backend::on_clock(memory::MemoryStore::stores(clock.clone()), clock)
        })
        .await;
    }
}
