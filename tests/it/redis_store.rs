//! The Redis backend against real `redis-server` and `redis-sentinel` processes: connection, authentication, TLS,
//! Sentinel failover, outages, and what a dump of the server shows.

use crate::common::redis::{RedisOptions, RedisServer, SentinelSetup, MASTER_NAME};
use portvakt::store::redis::config::{Endpoint, HostPort, Secret, TlsMaterial};
use portvakt::store::redis::conn::Retry;
use portvakt::store::redis::{Redis, RedisSettings};
use portvakt::store::StoreError;
use std::time::Duration;

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
