//! The in-process session cache in front of a shared store, from outside: two gateways on one SQLite file and on
//! one Redis; a session ended on B is refused on A within `[session] cache_ttl` (the clock is driven by hand), at
//! once with the cache off; a store outage with a warm cache is a 503 for whatever needs the store and, once the
//! window is over, for the session too. Also: instances sharing a store sign assertions with one derived key.

use crate::common::redis::RedisServer;
use crate::common::*;
use portvakt::clock::{Clock, ManualClock};
use portvakt::store::redis::{Redis, RedisSettings, RedisStore};
use portvakt::store::seal::Secrets;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A fresh SQLite state directory with a keys file; the `[store]` section that uses them.
fn sqlite(dir: &Path) -> String {
    std::fs::write(dir.join("store-keys"), Secrets::generate_file_text()).unwrap();
    format!(
        "[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
        dir.join("state.db").display(),
        dir.join("store-keys").display()
    )
}

/// `[session]` with the given cache window.
fn session(cache_ttl: &str) -> String {
    format!("[session]\nidle_timeout = \"15m\"\nabsolute_lifetime = \"12h\"\ncache_ttl = \"{cache_ttl}\"\n")
}

/// Two gateways on one SQLite file (each opens it itself, as two processes do), their clocks in step.
fn sqlite_pair(store: &str, cache_ttl: &str) -> (Env, Env) {
    let start = || Env::start(Opts { extra: store.to_string(), session: Some(session(cache_ttl)), ..Opts::default() });
    let (a, b) = (start(), start());
    b.clock.set(a.clock.now());
    (a, b)
}

/// Two gateways on one Redis (a connection each, the same store keys), sharing one clock.
fn redis_pair(server: &RedisServer, cache_ttl: &str) -> (Env, Env) {
    let settings = RedisSettings::standalone("127.0.0.1", server.port());
    let clock = ManualClock::new();
    let secrets = Arc::new(Secrets::generate());
    let start = || {
        let stores = RedisStore::stores(Arc::new(Redis::new(settings.clone())), secrets.clone(), clock.clone());
        Env::start(Opts {
            stores: Some((stores, secrets.clone())),
            clock: Some(clock.clone()),
            session: Some(session(cache_ttl)),
            ..Opts::default()
        })
    };
    (start(), start())
}

async fn status(c: &reqwest::Client, gw: &Env, cookie: &str) -> u16 {
    get_json(c, &format!("{}/expense/", gw.http_url()), cookie, &[]).await.0
}

/// Logged in on A and used on both (A's cache is warm); logged out on B: B refuses at once, A answers from its
/// cache until `window` has passed since its last store read, and refuses from then on.
async fn logout_on_b_is_refused_on_a_within(a: &Env, b: &Env, window: Duration) {
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(status(&c, a, &cookie).await, 200, "read from the store, now cached on A");
    assert_eq!(status(&c, b, &cookie).await, 200);
    assert_eq!(logout(&c, &b.http_url(), &cookie).await, 200);
    assert_eq!(status(&c, b, &cookie).await, 401, "refused at once where it was ended");
    assert_eq!(status(&c, a, &cookie).await, 200, "A's copy is younger than cache_ttl (the documented window)");
    a.clock.advance(window - Duration::from_millis(1));
    assert_eq!(status(&c, a, &cookie).await, 200, "still within the window");
    a.clock.advance(Duration::from_millis(1));
    assert_eq!(status(&c, a, &cookie).await, 401, "refused once the window is over");
}

/// SQLite, `cache_ttl = "2s"`: a logout on B is refused on A exactly when A's cached copy is 2 s old.
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_logout_on_b_refused_on_a_within_cache_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = sqlite_pair(&sqlite(dir.path()), "2s");
    logout_on_b_is_refused_on_a_within(&a, &b, Duration::from_secs(2)).await;
}

/// Redis, `cache_ttl = "2s"`: a logout on B is refused on A exactly when A's cached copy is 2 s old.
#[tokio::test(flavor = "multi_thread")]
async fn redis_logout_on_b_refused_on_a_within_cache_ttl() {
    let server = RedisServer::start();
    let (a, b) = redis_pair(&server, "2s");
    logout_on_b_is_refused_on_a_within(&a, &b, Duration::from_secs(2)).await;
}

/// With `cache_ttl = "0s"` there is no cache: a logout on B is refused on A at once, on SQLite and on Redis.
#[tokio::test(flavor = "multi_thread")]
async fn cache_off_refuses_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = RedisServer::start();
    let c = client_from(INTERNAL);
    for (a, b) in [sqlite_pair(&sqlite(dir.path()), "0s"), redis_pair(&server, "0s")] {
        let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
        assert_eq!(status(&c, &a, &cookie).await, 200);
        assert_eq!(logout(&c, &b.http_url(), &cookie).await, 200);
        assert_eq!(status(&c, &a, &cookie).await, 401);
    }
}

/// A busy session on the default 1 s window costs Redis one read per second, not one per request: 20 requests
/// within a second send nothing after the first read; 20 requests a second apart send one script call each.
#[tokio::test(flavor = "multi_thread")]
async fn redis_reads_once_per_window() {
    let server = RedisServer::start();
    let (a, _b) = redis_pair(&server, "1s");
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(status(&c, &a, &cookie).await, 200);
    let mut admin = server.admin();
    let calls = |admin: &mut ::redis::Connection| -> u64 {
        let stats: String = ::redis::cmd("INFO").arg("commandstats").query(admin).unwrap();
        stats
            .lines()
            .filter_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
            .filter_map(|r| r.split(',').next()?.parse::<u64>().ok())
            .sum()
    };
    ::redis::cmd("CONFIG").arg("RESETSTAT").query::<()>(&mut admin).unwrap();
    for _ in 0..20 {
        assert_eq!(status(&c, &a, &cookie).await, 200);
    }
    assert_eq!(calls(&mut admin), 0, "answered from the cache");
    for _ in 0..20 {
        a.clock.advance(Duration::from_secs(1));
        assert_eq!(status(&c, &a, &cookie).await, 200);
    }
    assert_eq!(calls(&mut admin), 20, "one read per window");
}

/// Redis stops while A's cache is warm. Within the window the cached session is served (the documented bound, as
/// if the outage began a moment later); once the window is over the session gets the 503 page, with the cookie kept
/// and nothing proxied, and so does whatever needs the store (a logout); Redis back, the same cookie works.
#[tokio::test(flavor = "multi_thread")]
async fn redis_outage_with_a_warm_cache() {
    let mut server = RedisServer::start();
    let (a, _b) = redis_pair(&server, "1s");
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let portal = browse(&c, &format!("{}/.portvakt/portal", a.http_url()), &cookie, &[]).await;
    let csrf = hidden_field(&portal.text().await.unwrap(), "csrf").unwrap();
    server.stop();
    assert_eq!(status(&c, &a, &cookie).await, 200, "served from the cache within the window");
    a.clock.advance(Duration::from_secs(1));
    let r = browse(&c, &format!("{}/expense/x", a.http_url()), &cookie, &[("accept-language", "en")]).await;
    assert_eq!(r.status(), 503);
    assert!(set_cookie_line(r.headers(), "portvakt").is_none(), "the cookie is kept");
    let body = r.text().await.unwrap();
    assert!(body.contains("temporarily unavailable"), "{body}");
    assert!(!body.contains("svc1"), "nothing proxied: {body}");
    let out = c
        .post(format!("{}/.portvakt/logout", a.http_url()))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 503, "a logout needs the store");
    server.start_again();
    assert_eq!(status(&c, &a, &cookie).await, 200);
}

/// Decodes an assertion's claims with one JWKS (ES256, audience `signing`).
fn verify(token: &str, jwks: &jsonwebtoken::jwk::JwkSet) -> Result<serde_json::Value, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    let jwk = jwks.find(header.kid.as_deref().unwrap_or_default()).ok_or("kid not in the JWKS")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut val = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    val.set_audience(&["signing"]);
    val.set_issuer(&["https://portal.kommune.example"]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &val).map(|d| d.claims).map_err(|e| e.to_string())
}

/// Two gateways on one SQLite file without an `[assertion] key_file`: both publish the same JWKS, and a backend
/// that fetched it from A alone accepts the assertions of both; a restarted A still signs with that key.
#[tokio::test(flavor = "multi_thread")]
async fn instances_on_one_store_sign_with_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path());
    let c = client_from(INTERNAL);
    let jwks_of = |gw: &Env| {
        let (c, url) = (c.clone(), format!("{}/.portvakt/jwks.json", gw.http_url()));
        async move { c.get(url).send().await.unwrap().json::<jsonwebtoken::jwk::JwkSet>().await.unwrap() }
    };
    let assertion = |gw: &Env| {
        let (c, base) = (c.clone(), gw.http_url());
        async move {
            let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
            let (_, v) = get_json(&c, &format!("{base}/signing/x"), &cookie, &[]).await;
            v["headers"]["x-portvakt-assertion"][0].as_str().unwrap().to_string()
        }
    };
    let (a, b) = sqlite_pair(&store, "1s");
    let jwks = jwks_of(&a).await;
    assert_eq!(serde_json::to_value(&jwks).unwrap(), serde_json::to_value(jwks_of(&b).await).unwrap());
    for gw in [&a, &b] {
        let claims = verify(&assertion(gw).await, &jwks).unwrap();
        assert_eq!(claims["sub"], "anna");
    }
    drop(a);
    let a = Env::start(Opts { extra: store.clone(), ..Opts::default() });
    verify(&assertion(&a).await, &jwks).expect("the key survives a restart");
    // A gateway with other store keys signs with another key, which this JWKS does not accept.
    let other = tempfile::tempdir().unwrap();
    let stranger = Env::start(Opts { extra: sqlite(other.path()), ..Opts::default() });
    assert!(verify(&assertion(&stranger).await, &jwks).is_err());
}
