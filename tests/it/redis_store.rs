//! The Redis backend against real `redis-server` and `redis-sentinel` processes: connection, authentication, TLS,
//! Sentinel failover, outages, and what a dump of the server shows.

use crate::common::redis::{RedisOptions, RedisServer, SentinelSetup, MASTER_NAME};
use portvakt::store::redis::config::{Endpoint, HostPort, Secret, TlsMaterial};
use portvakt::store::redis::conn::Retry;
use portvakt::store::redis::{Redis, RedisSettings};
use portvakt::store::StoreError;
use std::time::Duration;

/// The store contract suite, unchanged, against a real server: each check on a fresh key prefix (an empty store).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contract_suite_passes() {
    use portvakt::clock::ManualClock;
    use portvakt::store::contract::{run_all, Backend};
    use portvakt::store::redis::RedisStore;
    use portvakt::store::seal::Secrets;
    use std::sync::Arc;
    let server = RedisServer::start();
    let port = server.port();
    let n = std::sync::atomic::AtomicUsize::new(0);
    let secrets = Arc::new(Secrets::generate());
    run_all(|| {
        let mut s = RedisSettings::standalone("127.0.0.1", port);
        s.key_prefix = format!("contract{}:", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        let secrets = secrets.clone();
        async move {
            let clock = ManualClock::new();
            let stores = RedisStore::stores(Arc::new(Redis::new(s)), secrets, clock.clone());
            Backend::on_clock(stores, clock)
        }
    })
    .await;
}

fn settings_for(server: &RedisServer) -> RedisSettings {
    RedisSettings::standalone("127.0.0.1", server.port())
}

async fn set_get(r: &Redis, k: &str, v: &str) -> Result<Option<String>, StoreError> {
    let key = r.key(k.as_bytes());
    r.query::<()>(redis::cmd("SET").arg(&key).arg(v), Retry::Idempotent).await?;
    r.query(redis::cmd("GET").arg(&key), Retry::Idempotent).await
}

/// A plain server: the startup probe passes and keys carry the configured prefix.
#[tokio::test]
async fn standalone_probe_and_prefix() {
    let server = RedisServer::start();
    let mut s = settings_for(&server);
    s.key_prefix = "pv-test:".into();
    let r = Redis::new(s);
    r.probe().await.unwrap();
    assert_eq!(set_get(&r, "k", "v").await.unwrap().as_deref(), Some("v"));
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut server.admin()).unwrap();
    assert_eq!(keys, vec!["pv-test:k".to_string()]);
}

/// An ACL user with its password works; a wrong password is refused with a message naming the credentials.
#[tokio::test]
async fn acl_user_and_wrong_password() {
    let server = RedisServer::start_with(RedisOptions {
        acl_user: Some(("portvakt".into(), "s3cret-pass".into())),
        ..Default::default()
    });
    let mut s = settings_for(&server);
    s.username = Some("portvakt".into());
    s.password = Some(Secret("s3cret-pass".into()));
    Redis::new(s.clone()).probe().await.unwrap();

    s.password = Some(Secret("wrong".into()));
    let err = Redis::new(s).probe().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(ref m) if m.contains("credentials")), "{err}");
    assert!(!err.to_string().contains("wrong"), "the password must not appear in errors: {err}");
}

/// The database index is selected on every connection.
#[tokio::test]
async fn db_index_is_used() {
    let server = RedisServer::start();
    let mut s = settings_for(&server);
    s.db = 3;
    let r = Redis::new(s);
    set_get(&r, "in-db3", "x").await.unwrap();
    let mut admin = server.admin();
    let in0: i64 = redis::cmd("EXISTS").arg("portvakt:in-db3").query(&mut admin).unwrap();
    redis::cmd("SELECT").arg(3).query::<()>(&mut admin).unwrap();
    let in3: i64 = redis::cmd("EXISTS").arg("portvakt:in-db3").query(&mut admin).unwrap();
    assert_eq!((in0, in3), (0, 1));
}

/// TLS with the test CA and a client certificate works; without the client certificate, or trusting another CA,
/// the connection is refused and reported as unavailable.
#[tokio::test]
async fn tls_with_ca_and_client_certificate() {
    let server = RedisServer::start_with(RedisOptions { tls: true, ..Default::default() });
    let ca = server.ca.clone().unwrap();
    let read = |p: &std::path::Path| std::fs::read(p).unwrap();
    let mut s = RedisSettings::standalone("localhost", server.port());
    s.tls =
        Some(TlsMaterial { ca: Some(read(&ca.ca_cert)), client: Some((read(&ca.client_cert), read(&ca.client_key))) });
    let r = Redis::new(s.clone());
    r.probe().await.unwrap();
    assert_eq!(set_get(&r, "tls", "yes").await.unwrap().as_deref(), Some("yes"));

    let mut no_client = s.clone();
    no_client.tls = Some(TlsMaterial { ca: Some(read(&ca.ca_cert)), client: None });
    let err = Redis::new(no_client).probe().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_) | StoreError::Timeout(_)), "{err}");

    let other = tempfile::tempdir().unwrap();
    let other_ca = crate::common::redis::TestCa::generate(other.path());
    let mut wrong_ca = s.clone();
    wrong_ca.tls = Some(TlsMaterial {
        ca: Some(read(&other_ca.ca_cert)),
        client: Some((read(&ca.client_cert), read(&ca.client_key))),
    });
    let err = Redis::new(wrong_ca).probe().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}

/// A stopped server is an Unavailable error at once (no hang), and the same client works again when the server is
/// back, with the data it had.
#[tokio::test]
async fn outage_then_recovery_without_new_client() {
    let mut server = RedisServer::start();
    let r = Redis::new(settings_for(&server));
    set_get(&r, "kept", "1").await.unwrap();
    server.stop();
    let started = std::time::Instant::now();
    let err = r.query::<Option<String>>(redis::cmd("GET").arg(r.key(b"kept")), Retry::Idempotent).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    server.start_again();
    let v: Option<String> = r.query(redis::cmd("GET").arg(r.key(b"kept")), Retry::Idempotent).await.unwrap();
    assert_eq!(v.as_deref(), Some("1"));
}

/// A server that stops answering (paused) is a Timeout within the response timeout, not a hang.
#[tokio::test]
async fn silent_server_is_a_timeout() {
    let server = RedisServer::start();
    let mut s = settings_for(&server);
    s.response_timeout = Duration::from_millis(300);
    let r = Redis::new(s);
    r.probe().await.unwrap();
    let mut admin = server.admin();
    // CLIENT PAUSE holds every client's commands, as an overloaded or stuck server would.
    redis::cmd("CLIENT").arg("PAUSE").arg(3000).arg("ALL").query::<()>(&mut admin).unwrap();
    let started = std::time::Instant::now();
    let err = r.query::<Option<String>>(redis::cmd("GET").arg(r.key(b"x")), Retry::Once).await.unwrap_err();
    assert!(matches!(err, StoreError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
}

fn sentinel_settings(setup: &SentinelSetup) -> RedisSettings {
    let mut s = RedisSettings::standalone("127.0.0.1", 1);
    s.endpoint = Endpoint::Sentinel {
        sentinels: setup.sentinels.iter().map(|p| HostPort { host: "127.0.0.1".into(), port: p.port }).collect(),
        master_name: MASTER_NAME.into(),
        username: None,
        password: setup.sentinel_password.clone().map(Secret),
    };
    s
}

/// Through password-protected Sentinels the client finds the master; after the master is killed and the replica
/// promoted, the same client finds the new master by itself and the data written before is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_failover_is_followed() {
    let mut setup = tokio::task::spawn_blocking(|| SentinelSetup::start(Some("sentinel-pw"))).await.unwrap();
    let r = Redis::new(sentinel_settings(&setup));
    set_get(&r, "before", "failover").await.unwrap();
    assert_eq!(r.connected_to(), Some(format!("127.0.0.1:{}", setup.master.port)));
    // Let the replica catch up before the master dies, as a write acknowledged by WAIT would.
    let acked: i64 = r.query(redis::cmd("WAIT").arg(1).arg(2000), Retry::Idempotent).await.unwrap();
    assert_eq!(acked, 1);

    let setup = tokio::task::spawn_blocking(move || {
        setup.kill_master_and_wait_failover();
        setup
    })
    .await
    .unwrap();
    let v: Option<String> = r.query(redis::cmd("GET").arg(r.key(b"before")), Retry::Idempotent).await.unwrap();
    assert_eq!(v.as_deref(), Some("failover"));
    assert_eq!(r.connected_to(), Some(format!("127.0.0.1:{}", setup.replica.port)));
    set_get(&r, "after", "failover").await.unwrap();
}

/// Sentinels that require a password refuse a client without it, and the error says no master was found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_auth_is_required() {
    let setup = tokio::task::spawn_blocking(|| SentinelSetup::start(Some("sentinel-pw"))).await.unwrap();
    let mut s = sentinel_settings(&setup);
    if let Endpoint::Sentinel { password, .. } = &mut s.endpoint {
        *password = None;
    }
    let err = Redis::new(s).probe().await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(ref m) if m.contains("no usable master")), "{err}");
}

mod ops {
    //! The atomic operations on a real server, raced from many tasks.
    use super::*;
    use portvakt::store::redis::ops::CodeTry;
    use std::sync::Arc;

    async fn fresh() -> (RedisServer, Arc<Redis>) {
        let server = RedisServer::start();
        let r = Arc::new(Redis::new(settings_for(&server)));
        (server, r)
    }

    /// 100 concurrent wrong guesses at one challenge count exactly `max_tries`; the rest find it gone, and the right
    /// code afterwards finds nothing to match.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wrong_codes_count_exactly_max_tries() {
        let (_server, r) = fresh().await;
        r.challenge_open(b"c:1", b"sealed", b"mac-right", Duration::from_secs(60)).await.unwrap();
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let r = r.clone();
                tokio::spawn(async move { r.challenge_try(b"c:1", format!("wrong{i}").as_bytes(), 5).await.unwrap() })
            })
            .collect();
        let mut counted = 0;
        let mut gone = 0;
        for t in tasks {
            match t.await.unwrap() {
                CodeTry::Wrong { .. } => counted += 1,
                CodeTry::Gone => gone += 1,
                CodeTry::Matched(_) => panic!("a wrong code matched"),
            }
        }
        assert_eq!((counted, gone), (5, 95));
        assert_eq!(r.challenge_try(b"c:1", b"mac-right", 5).await.unwrap(), CodeTry::Gone);
    }

    /// Of 50 concurrent right codes exactly one wins the challenge; wrong tries before it leave the count shown.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn right_code_wins_once() {
        let (_server, r) = fresh().await;
        r.challenge_open(b"c:2", b"sealed-challenge", b"mac-right", Duration::from_secs(60)).await.unwrap();
        assert_eq!(r.challenge_try(b"c:2", b"nope", 5).await.unwrap(), CodeTry::Wrong { remaining: 4 });
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { r.challenge_try(b"c:2", b"mac-right", 5).await.unwrap() })
            })
            .collect();
        let mut wins = Vec::new();
        for t in tasks {
            if let CodeTry::Matched(v) = t.await.unwrap() {
                wins.push(v);
            }
        }
        assert_eq!(wins, vec![b"sealed-challenge".to_vec()]);
    }

    /// Of 50 concurrent takers of one value exactly one gets it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn take_is_single_use() {
        let (_server, r) = fresh().await;
        r.put(b"eid:state", b"flow", Duration::from_secs(60)).await.unwrap();
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { r.take(b"eid:state").await.unwrap() })
            })
            .collect();
        let mut got = 0;
        for t in tasks {
            got += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(got, 1);
    }

    /// 100 concurrent counts land as 100; the window's expiry is set once, at the first count, and refunds stop at
    /// zero.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counters_under_concurrency() {
        let (server, r) = fresh().await;
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { r.incr_window(b"fail:anna", 1, Duration::from_secs(600)).await.unwrap() })
            })
            .collect();
        let mut seen: Vec<i64> = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap());
        }
        seen.sort();
        assert_eq!(seen, (1..=100).collect::<Vec<i64>>());
        let pttl: i64 = redis::cmd("PTTL").arg("portvakt:fail:anna").query(&mut server.admin()).unwrap();
        assert!(pttl > 590_000 && pttl <= 600_000, "{pttl}");
        assert_eq!(r.decr_floor(b"fail:anna").await.unwrap(), 99);
        assert_eq!(r.decr_floor(b"none").await.unwrap(), 0);
        assert_eq!(r.counter(b"none").await.unwrap(), 0);
    }

    /// The shared rate limit allows the burst, then asks to wait about one period, counted on Redis's clock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn gcra_burst_then_wait() {
        let (_server, r) = fresh().await;
        let period = Duration::from_secs(60);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let r = r.clone();
                tokio::spawn(async move { r.gcra(b"rl:sms:anna", period, 3).await.unwrap() })
            })
            .collect();
        let mut allowed = 0;
        let mut waits = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                None => allowed += 1,
                Some(w) => waits.push(w),
            }
        }
        assert_eq!(allowed, 3);
        assert!(waits.iter().all(|w| *w > Duration::from_secs(55) && *w <= period), "{waits:?}");
        // A short period lets the next hit through once it has passed.
        assert_eq!(r.gcra(b"rl:fast", Duration::from_millis(50), 1).await.unwrap(), None);
        assert!(r.gcra(b"rl:fast", Duration::from_millis(50), 1).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(r.gcra(b"rl:fast", Duration::from_millis(50), 1).await.unwrap(), None);
    }

    /// get-and-touch writes last-seen only when it is older than the touch interval; replace never recreates an
    /// ended session; rotation moves the session once, and a second rotation of the old key fails.
    #[tokio::test]
    async fn session_touch_replace_rotate() {
        let (_server, r) = fresh().await;
        let ttl = Duration::from_secs(900);
        assert!(r.session_create(b"s:a", b"rec", 1_000, ttl).await.unwrap());
        assert!(!r.session_create(b"s:a", b"other", 1_000, ttl).await.unwrap());
        let touch = Duration::from_secs(30);
        assert_eq!(r.session_get_and_touch(b"s:a", 20_000, touch, ttl).await.unwrap(), Some((b"rec".to_vec(), 1_000)));
        assert_eq!(r.session_get_and_touch(b"s:a", 31_000, touch, ttl).await.unwrap(), Some((b"rec".to_vec(), 31_000)));
        assert!(r.session_replace(b"s:a", b"rec2", ttl).await.unwrap());
        assert_eq!(
            r.session_get_and_touch(b"s:a", 32_000, touch, ttl).await.unwrap(),
            Some((b"rec2".to_vec(), 31_000))
        );

        assert!(r.session_rotate(b"s:a", b"s:b", b"rec3", 40_000, ttl).await.unwrap());
        assert_eq!(r.session_get_and_touch(b"s:a", 40_000, touch, ttl).await.unwrap(), None);
        assert!(!r.session_rotate(b"s:a", b"s:c", b"rec4", 40_000, ttl).await.unwrap());
        assert_eq!(r.session_get_and_touch(b"s:c", 40_000, touch, ttl).await.unwrap(), None);
        assert_eq!(
            r.session_get_and_touch(b"s:b", 40_000, touch, ttl).await.unwrap(),
            Some((b"rec3".to_vec(), 40_000))
        );

        assert_eq!(r.delete(&[b"s:b"]).await.unwrap(), 1);
        assert!(!r.session_replace(b"s:b", b"zombie", ttl).await.unwrap());
        assert_eq!(r.session_get_and_touch(b"s:b", 41_000, touch, ttl).await.unwrap(), None);
    }

    /// Index sets collect members, keep the longest expiry asked for, and lose members on removal.
    #[tokio::test]
    async fn index_sets() {
        let (server, r) = fresh().await;
        r.index_add(b"ix:anna", b"s1", Duration::from_secs(100)).await.unwrap();
        r.index_add(b"ix:anna", b"s2", Duration::from_secs(50)).await.unwrap();
        let mut m = r.index_members(b"ix:anna").await.unwrap();
        m.sort();
        assert_eq!(m, vec![b"s1".to_vec(), b"s2".to_vec()]);
        let pttl: i64 = redis::cmd("PTTL").arg("portvakt:ix:anna").query(&mut server.admin()).unwrap();
        assert!(pttl > 90_000, "{pttl}");
        r.index_remove(b"ix:anna", b"s1").await.unwrap();
        assert_eq!(r.index_members(b"ix:anna").await.unwrap(), vec![b"s2".to_vec()]);
    }
}
