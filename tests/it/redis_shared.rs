//! Two gateway instances sharing one real Redis (no sticky sessions): a session, a logout and an outage are seen
//! the same way by both; a Sentinel failover is followed without a restart; a dump of Redis holds no secret.

use crate::common::redis::{dump_contains, RedisServer, SentinelSetup, MASTER_NAME};
use crate::common::*;
use portvakt::clock::ManualClock;
use portvakt::store::redis::config::{Endpoint, HostPort};
use portvakt::store::redis::{Redis, RedisSettings, RedisStore};
use portvakt::store::seal::Secrets;
use std::sync::Arc;

/// Two gateways over the same Redis settings, one clock and one set of store keys, as two hosts would be
/// configured. Each gateway has its own connection.
fn two_gateways(settings: &RedisSettings) -> (Env, Env) {
    two_gateways_with(settings, "")
}

/// Like [`two_gateways`], with extra config for both.
fn two_gateways_with(settings: &RedisSettings, extra: &str) -> (Env, Env) {
    two_gateways_users(settings, extra, "")
}

/// Like [`two_gateways_with`], with more users (`{hash}` is the test password's hash).
fn two_gateways_users(settings: &RedisSettings, extra: &str, extra_users: &str) -> (Env, Env) {
    let clock = ManualClock::new();
    let secrets = Arc::new(Secrets::generate());
    let start = || {
        let redis = Arc::new(Redis::new(settings.clone()));
        let stores = RedisStore::stores(redis, secrets.clone(), clock.clone());
        Env::start(Opts {
            stores: Some((stores, secrets.clone())),
            clock: Some(clock.clone()),
            extra: extra.to_string(),
            extra_users: extra_users.to_string(),
            ..Default::default()
        })
    };
    (start(), start())
}

/// Logged in on A, the cookie works on B (the backend sees the same user); logged out on B, A refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn session_from_a_works_on_b_and_logout_on_b_ends_it_on_a() {
    let server = RedisServer::start();
    let (a, b) = two_gateways(&RedisSettings::standalone("127.0.0.1", server.port()));
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (status, body) = get_json(&c, &format!("{}/expense/", b.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["headers"]["x-portvakt-user"][0], "anna", "{body}");
    assert_eq!(logout(&c, &b.http_url(), &cookie).await, 200);
    assert_eq!(get_json(&c, &format!("{}/expense/", a.http_url()), &cookie, &[]).await.0, 401);
    assert_eq!(get_json(&c, &format!("{}/expense/", b.http_url()), &cookie, &[]).await.0, 401);
}

/// Redis stopped: both gateways answer 503 with the "temporarily unavailable" page, keep the cookie and proxy
/// nothing; Redis back (same data): the same cookie works again on both, without a restart.
#[tokio::test(flavor = "multi_thread")]
async fn redis_down_is_503_and_the_session_survives() {
    let mut server = RedisServer::start();
    let (a, b) = two_gateways(&RedisSettings::standalone("127.0.0.1", server.port()));
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    server.stop();
    for gw in [&a, &b] {
        let r = browse(&c, &format!("{}/expense/x", gw.http_url()), &cookie, &[("accept-language", "en")]).await;
        assert_eq!(r.status(), 503);
        assert!(set_cookie_line(r.headers(), "portvakt").is_none(), "the cookie must be kept");
        let body = r.text().await.unwrap();
        assert!(body.contains("temporarily unavailable"), "{body}");
        assert!(!body.contains("svc1"), "nothing proxied: {body}");
    }
    server.start_again();
    for gw in [&a, &b] {
        let (status, body) = get_json(&c, &format!("{}/expense/", gw.http_url()), &cookie, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["headers"]["x-portvakt-user"][0], "anna");
    }
}

/// After logins on both gateways, a dump of every key and value holds no session ID and no username in clear.
#[tokio::test(flavor = "multi_thread")]
async fn redis_dump_holds_no_session_id_or_account() {
    let server = RedisServer::start();
    let (a, b) = two_gateways(&RedisSettings::standalone("127.0.0.1", server.port()));
    let c = client_from(INTERNAL);
    let ca = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let cb = login(&c, &b.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let dump = server.dump();
    assert!(dump.len() >= 2, "sessions are in Redis: {} keys", dump.len());
    for cookie in [&ca, &cb] {
        let id = cookie.split_once('=').unwrap().1;
        assert!(!dump_contains(&dump, id.as_bytes()), "session ID in clear");
    }
    for clear in ["anna", "bjorn", "Lindqvist", "staff:anna"] {
        assert!(!dump_contains(&dump, clear.as_bytes()), "{clear} in clear in the dump");
    }
}

/// Sentinel: the master is killed mid-session; after the failover the same browser session works on both
/// gateways, which were never restarted.
#[tokio::test(flavor = "multi_thread")]
async fn sentinel_failover_keeps_the_session() {
    let mut setup = tokio::task::spawn_blocking(|| SentinelSetup::start(None)).await.unwrap();
    let mut settings = RedisSettings::standalone("127.0.0.1", 1);
    settings.endpoint = Endpoint::Sentinel {
        sentinels: setup.sentinels.iter().map(|s| HostPort { host: "127.0.0.1".into(), port: s.port }).collect(),
        master_name: MASTER_NAME.into(),
        username: None,
        password: None,
    };
    let (a, b) = two_gateways(&settings);
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(get_json(&c, &format!("{}/expense/", b.http_url()), &cookie, &[]).await.0, 200);
    // The login is on the replica before the master dies (asynchronous replication loses only unacknowledged
    // writes; this test is about reconnecting, not about that window).
    let replica = setup.replica.port;
    tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let mut con =
                ::redis::Client::open(format!("redis://127.0.0.1:{replica}")).unwrap().get_connection().unwrap();
            let keys: Vec<String> = ::redis::cmd("KEYS").arg("portvakt:s:*").query(&mut con).unwrap();
            if !keys.is_empty() || std::time::Instant::now() > deadline {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    let _setup = tokio::task::spawn_blocking(move || {
        setup.kill_master_and_wait_failover();
        setup
    })
    .await
    .unwrap();
    for gw in [&a, &b] {
        let (status, body) = get_json(&c, &format!("{}/expense/", gw.http_url()), &cookie, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["headers"]["x-portvakt-user"][0], "anna");
    }
}

mod codes {
    //! One-time codes across the two gateways, delivered by a real SMTP server.
    use super::*;
    use crate::common::smtp::SmtpServer;
    use std::time::Duration;

    fn email_toml(smtp: &SmtpServer) -> String {
        format!(
            "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n",
            smtp.port
        )
    }

    fn code_in(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        for w in chars.windows(7) {
            if w[3] == '-' && w.iter().enumerate().all(|(i, c)| i == 3 || c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                return w.iter().collect();
            }
        }
        panic!("no code in {text:?}");
    }

    async fn post(
        c: &reqwest::Client,
        url: &str,
        cookie: &str,
        form: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let r = c.post(url).header("cookie", cookie).header("accept-language", "en").form(form).send().await.unwrap();
        let status = r.status().as_u16();
        let ck = set_cookie(r.headers(), "portvakt");
        (status, ck, r.text().await.unwrap())
    }

    /// Remote password login on `gw`, then a code by e-mail requested there: returns cookie and CSRF token.
    async fn login_and_send(c: &reqwest::Client, gw: &Env) -> (String, String) {
        let l = login(c, &gw.http_url(), "anna", PASSWORD, "/expense/", "portvakt", None).await;
        let cookie = l.cookie.unwrap();
        let page =
            browse(c, &format!("{}/.portvakt/second-factor?rd=%2Fexpense%2F", gw.http_url()), &cookie, &[]).await;
        let csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
        let form = [("csrf", csrf.as_str()), ("channel", "email"), ("rd", "/expense/")];
        let (s, body) = send_code(c, &gw.http_url(), &cookie, &form).await;
        assert_eq!(s, "sent", "{body}");
        (cookie, csrf)
    }

    /// A code requested on A is accepted on B; the stepped-up session then works on A.
    #[tokio::test(flavor = "multi_thread")]
    async fn code_requested_on_a_verified_on_b() {
        let server = RedisServer::start();
        let smtp = SmtpServer::start();
        let (a, b) = two_gateways_with(&RedisSettings::standalone("127.0.0.1", server.port()), &email_toml(&smtp));
        let c = client_from(REMOTE);
        let (cookie, csrf) = login_and_send(&c, &a).await;
        let code = code_in(&smtp.wait_for(1, Duration::from_secs(10))[0].body);
        let form = [("csrf", csrf.as_str()), ("code", code.as_str()), ("rd", "/expense/")];
        let (s, new_cookie, body) =
            post(&c, &format!("{}/.portvakt/second-factor/verify", b.http_url()), &cookie, &form).await;
        assert_eq!(s, 303, "{body}");
        let new_cookie = new_cookie.expect("stepped-up session");
        let (s, v) = get_json(&c, &format!("{}/expense/", a.http_url()), &new_cookie, &[]).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["headers"]["x-portvakt-methods"][0], "password,email");
        // The code is nowhere in Redis in clear.
        assert!(!dump_contains(&server.dump(), code.as_bytes()));
        assert!(!dump_contains(&server.dump(), code.replace('-', "").as_bytes()));
    }

    /// 50 wrong codes sent in parallel, half to each gateway, count exactly the configured 5 tries: the pages show
    /// "4, 3, 2, 1 tries left" once each, and the right code afterwards is refused.
    #[tokio::test(flavor = "multi_thread")]
    async fn parallel_wrong_codes_across_both_count_exactly_max_tries() {
        let server = RedisServer::start();
        let smtp = SmtpServer::start();
        let (a, b) = two_gateways_with(&RedisSettings::standalone("127.0.0.1", server.port()), &email_toml(&smtp));
        let c = client_from(REMOTE);
        let (cookie, csrf) = login_and_send(&c, &a).await;
        let code = code_in(&smtp.wait_for(1, Duration::from_secs(10))[0].body);
        let wrong = if code == "AAA-AAA" { "BBB-BBB" } else { "AAA-AAA" };
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let url =
                    format!("{}/.portvakt/second-factor/verify", if i % 2 == 0 { a.http_url() } else { b.http_url() });
                let (c, cookie, csrf) = (c.clone(), cookie.clone(), csrf.clone());
                tokio::spawn(async move {
                    post(&c, &url, &cookie, &[("csrf", &csrf), ("code", wrong), ("rd", "/expense/")]).await
                })
            })
            .collect();
        let mut left_seen = Vec::new();
        for t in tasks {
            let (s, ck, body) = t.await.unwrap();
            assert_eq!(s, 200, "{body}");
            assert!(ck.is_none(), "no wrong code logs in");
            if let Some(pos) = body.find(" tries left").or_else(|| body.find(" try left")) {
                let n: String = body[..pos].chars().rev().take_while(char::is_ascii_digit).collect();
                left_seen.push(n.chars().rev().collect::<String>().parse::<u32>().unwrap());
            } else {
                assert!(body.contains("too many times"), "{body}");
            }
        }
        left_seen.sort();
        assert_eq!(left_seen, vec![1, 2, 3, 4]);
        let form = [("csrf", csrf.as_str()), ("code", code.as_str()), ("rd", "/expense/")];
        let (s, ck, body) = post(&c, &format!("{}/.portvakt/second-factor/verify", b.http_url()), &cookie, &form).await;
        assert_eq!(s, 200);
        assert!(ck.is_none() && body.contains("too many times"), "{body}");
    }
}

/// Login failures are counted across both gateways: 5 wrong passwords split between A and B ban the account on
/// both (429, no session even with the right password), while the wrong ones before the ban were checked (200).
#[tokio::test(flavor = "multi_thread")]
async fn login_lockout_counted_across_both() {
    let server = RedisServer::start();
    let limits = "[login]\nmax_failures = 5\nmax_failures_per_address = 1000\nfind_time = \"5m\"\nban_time = \"5m\"\n";
    let (a, b) = two_gateways_with(&RedisSettings::standalone("127.0.0.1", server.port()), limits);
    let c = client_from(INTERNAL);
    for i in 0..5 {
        let gw = if i % 2 == 0 { &a } else { &b };
        let l = login(&c, &gw.http_url(), "anna", &format!("guess-{i}"), "/", "portvakt", None).await;
        assert_eq!(l.status, 200, "wrong password {i} is checked and refused");
        assert!(l.cookie.is_none());
    }
    for gw in [&a, &b] {
        let l = login(&c, &gw.http_url(), "anna", PASSWORD, "/", "portvakt", None).await;
        assert_eq!(l.status, 429, "banned on both: {}", l.body);
        assert!(l.cookie.is_none());
    }
    // Bjørn is not affected.
    assert!(login(&c, &b.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.is_some());
}

/// A busy authenticated session costs Redis one command per store read (the read-and-touch script; the debounced
/// touch writes nothing within its interval), not a read and a write. Each request comes one session-cache window
/// (1 s) after the last, so each reads the store.
#[tokio::test(flavor = "multi_thread")]
async fn one_round_trip_per_proxied_request() {
    let server = RedisServer::start();
    let (a, _b) = two_gateways(&RedisSettings::standalone("127.0.0.1", server.port()));
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(get_json(&c, &format!("{}/expense/", a.http_url()), &cookie, &[]).await.0, 200);
    let mut admin = server.admin();
    ::redis::cmd("CONFIG").arg("RESETSTAT").query::<()>(&mut admin).unwrap();
    for _ in 0..20 {
        a.clock.advance(std::time::Duration::from_secs(1));
        assert_eq!(get_json(&c, &format!("{}/expense/", a.http_url()), &cookie, &[]).await.0, 200);
    }
    let stats: String = ::redis::cmd("INFO").arg("commandstats").query(&mut admin).unwrap();
    let calls: Vec<(String, u64)> = stats
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
            let n = rest.strip_prefix("calls=")?.split(',').next()?.parse().ok()?;
            Some((name.to_string(), n))
        })
        .collect();
    // Commands sent by clients: one EVALSHA per request; HMGET is the script's own read inside it.
    let sent: Vec<&(String, u64)> =
        calls.iter().filter(|(n, _)| !["hmget", "info", "config|resetstat"].contains(&n.as_str())).collect();
    assert_eq!(sent, vec![&("evalsha".to_string(), 20)], "{stats}");
}

/// Configured the way an operator would (`[store] kind = "redis"`, a keys file, `[store.redis]` with an ACL user
/// whose password is in a file), two gateways share sessions and `portvakt check` accepts that config. Without an
/// `[assertion] key_file` both sign with the key derived from the shared keys file, as README says: one JWKS, and
/// B's assertion verifies under A's. (The check once refused this config, although the gateway derives the key.)
#[tokio::test(flavor = "multi_thread")]
async fn configured_redis_store_is_shared() {
    use crate::common::redis::RedisOptions;
    let server = RedisServer::start_with(RedisOptions {
        acl_user: Some(("portvakt".into(), "pw-from-file".into())),
        ..Default::default()
    });
    let secrets_dir = tempfile::tempdir().unwrap();
    let keys = secrets_dir.path().join("store-keys");
    std::fs::write(&keys, Secrets::generate_file_text()).unwrap();
    let pw = secrets_dir.path().join("redis-password");
    std::fs::write(&pw, "pw-from-file\n").unwrap();
    let extra = format!(
        "\n[store]\nkind = \"redis\"\nkeys_file = \"{}\"\n\n[store.redis]\n\
         url = \"redis://127.0.0.1:{}\"\nusername = \"portvakt\"\npassword_file = \"{}\"\n\
         key_prefix = \"pv-configured:\"\n",
        keys.display(),
        server.port(),
        pw.display()
    );
    let a = Env::start(Opts { extra: extra.clone(), ..Default::default() });
    let b = Env::start(Opts { extra, ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (status, body) = get_json(&c, &format!("{}/expense/", b.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<String> = ::redis::cmd("KEYS").arg("pv-configured:s:*").query(&mut server.admin()).unwrap();
    assert_eq!(keys.len(), 1, "the session is in Redis under the configured prefix");
    let jwks_of = |gw: &Env| {
        let (c, url) = (c.clone(), format!("{}/.portvakt/jwks.json", gw.http_url()));
        async move { c.get(url).send().await.unwrap().json::<jsonwebtoken::jwk::JwkSet>().await.unwrap() }
    };
    let jwks = jwks_of(&a).await;
    assert_eq!(serde_json::to_value(&jwks).unwrap(), serde_json::to_value(jwks_of(&b).await).unwrap());
    let assertion = body["headers"]["x-portvakt-assertion"][0].as_str().unwrap().to_string();
    let header = jsonwebtoken::decode_header(&assertion).unwrap();
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("B's assertion is signed with a key A publishes");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &assertion,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("B's assertion verifies under A's JWKS");
    assert_eq!(claims.claims["sub"], "anna");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&a.config)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

mod parallel {
    //! Login bans and send limits under many parallel requests spread over both gateways: counted exactly once in
    //! Redis, whichever gateway a request reaches.
    use super::*;
    use crate::common::smtp::SmtpServer;
    use std::time::Duration;

    /// 40 wrong passwords for one account in parallel, half on each gateway, with `max_failures = 5`: exactly 5 are
    /// checked (the login page again, 200), the other 35 are refused unchecked (429); then the right password is
    /// refused on both while the ban lasts.
    #[tokio::test(flavor = "multi_thread")]
    async fn parallel_wrong_passwords_across_both_check_exactly_max_failures() {
        let server = RedisServer::start();
        let limits =
            "[login]\nmax_failures = 5\nmax_failures_per_address = 1000\nfind_time = \"5m\"\nban_time = \"5m\"\n";
        let (a, b) = two_gateways_with(&RedisSettings::standalone("127.0.0.1", server.port()), limits);
        let c = client_from(INTERNAL);
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let base = if i % 2 == 0 { a.http_url() } else { b.http_url() };
                let c = c.clone();
                tokio::spawn(
                    async move { login(&c, &base, "anna", &format!("guess-{i}"), "/", "portvakt", None).await },
                )
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let l = t.await.unwrap();
            assert!(l.cookie.is_none());
            statuses.push(l.status);
        }
        let checked = statuses.iter().filter(|s| **s == 200).count();
        let refused = statuses.iter().filter(|s| **s == 429).count();
        assert_eq!((checked, refused), (5, 35), "{statuses:?}");
        for gw in [&a, &b] {
            let l = login(&c, &gw.http_url(), "anna", PASSWORD, "/", "portvakt", None).await;
            assert_eq!(l.status, 429, "banned on both: {}", l.body);
        }
    }

    fn email_toml(smtp: &SmtpServer, limits: &str) -> String {
        format!(
            "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
             from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n[second_factor.limits]\n{limits}",
            smtp.port
        )
    }

    /// Remote login of `user` on `base`; the cookie and the CSRF token of the second-factor page.
    async fn remote_session(c: &reqwest::Client, base: &str, user: &str) -> (String, String) {
        let l = login(c, base, user, PASSWORD, "/expense/", "portvakt", None).await;
        let cookie = l.cookie.unwrap_or_else(|| panic!("{user}: {} {}", l.status, l.body));
        let page = browse(c, &format!("{base}/.portvakt/second-factor?rd=%2Fexpense%2F"), &cookie, &[]).await;
        (cookie.clone(), hidden_field(&page.text().await.unwrap(), "csrf").unwrap())
    }

    async fn send(c: &reqwest::Client, base: &str, cookie: &str, csrf: &str) -> (String, String) {
        send_code(c, base, cookie, &[("csrf", csrf), ("channel", "email"), ("rd", "/expense/")]).await
    }

    /// Send limits shared by both gateways: eight users behind one address ask for a code at once, spread over both
    /// gateways, with `per_address_per_hour = 3`: exactly 3 codes go out and 5 are refused with the limit's page.
    /// Then 12 parallel sends to one destination from one session: the 30 s cooldown lets exactly one through.
    #[tokio::test(flavor = "multi_thread")]
    async fn parallel_sends_across_both_are_counted_exactly() {
        let server = RedisServer::start();
        let smtp = SmtpServer::start();
        let users: String = (0..8)
            .map(|i| {
                format!(
                    "[[users]]\nusername = \"u{i}\"\npassword_hash = \"{{hash}}\"\nemail = \"u{i}@kommune.example\"\n\n"
                )
            })
            .collect();
        let extra = email_toml(&smtp, "per_address_per_hour = 3\ndestination_cooldown = \"30s\"\n");
        let (a, b) = two_gateways_users(&RedisSettings::standalone("127.0.0.1", server.port()), &extra, &users);
        let c = client_from(REMOTE);
        let mut sessions = Vec::new();
        for i in 0..8 {
            let base = if i % 2 == 0 { a.http_url() } else { b.http_url() };
            let (cookie, csrf) = remote_session(&c, &base, &format!("u{i}")).await;
            sessions.push((base, cookie, csrf));
        }
        let tasks: Vec<_> = sessions
            .into_iter()
            .map(|(base, cookie, csrf)| {
                let c = c.clone();
                tokio::spawn(async move { send(&c, &base, &cookie, &csrf).await })
            })
            .collect();
        let (mut sent, mut refused) = (0, 0);
        for t in tasks {
            let (s, body) = t.await.unwrap();
            match s.as_str() {
                "sent" => sent += 1,
                "limit" => {
                    assert!(body.contains("Too many codes have been requested"), "{body}");
                    refused += 1
                }
                _ => panic!("{s}: {body}"),
            }
        }
        assert_eq!((sent, refused), (3, 5));
        smtp.wait_for(3, Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 3, "exactly three codes went out");

        // One destination, another address: 12 parallel sends across both, one passes the cooldown.
        let other = client_from("127.0.0.4");
        let (cookie, csrf) = remote_session(&other, &a.http_url(), "anna").await;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let base = if i % 2 == 0 { a.http_url() } else { b.http_url() };
                let (c, cookie, csrf) = (other.clone(), cookie.clone(), csrf.clone());
                tokio::spawn(async move { send(&c, &base, &cookie, &csrf).await })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            let (s, body) = t.await.unwrap();
            // A send refused before the one that passed had stored its code finds no code of this login yet.
            if s == "cooldown" {
                assert!(body.contains("A code was just sent"), "{body}");
            } else if s == "cooldown-other" {
                assert!(body.contains("for another login"), "{body}");
            }
            statuses.push(s);
        }
        assert_eq!(statuses.iter().filter(|s| *s == "sent").count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| s.starts_with("cooldown")).count(), 11, "{statuses:?}");
        smtp.wait_for(4, Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(smtp.messages().len(), 4, "one more code, to anna");
    }
}

/// Switching to `kind = "redis"` keeps what users registered in the old `[accounts]` file: imported at the first
/// start (the account page shows the number on both gateways), the file renamed to `.imported`, and the number sealed
/// in Redis, not in clear.
#[tokio::test(flavor = "multi_thread")]
async fn old_accounts_file_is_imported_into_redis() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("store-keys");
    std::fs::write(&keys, Secrets::generate_file_text()).unwrap();
    let signing = dir.path().join("assertion-key.pem");
    std::fs::write(&signing, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let accounts = dir.path().join("accounts.json");
    std::fs::write(&accounts, r#"{"staff:anna": {"phones": ["+4791234567"]}}"#).unwrap();
    let extra = format!(
        "key_file = \"{}\"\n\n[store]\nkind = \"redis\"\nkeys_file = \"{}\"\n\n[store.redis]\nurl = \"redis://127.0.0.1:{}\"\n",
        signing.display(),
        keys.display(),
        server.port()
    );
    let start = || Env::start(Opts { extra: extra.clone(), accounts: Some(accounts.clone()), ..Default::default() });
    let (a, b) = (start(), start());
    assert!(!accounts.exists() && dir.path().join("accounts.json.imported").exists());
    let masked = portvakt::phone::mask("+4791234567", portvakt::phone::Region::SE);
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for gw in [&a, &b] {
        let page = browse(&c, &format!("{}/.portvakt/account", gw.http_url()), &cookie, &[]).await;
        let page = page.text().await.unwrap();
        assert!(page.contains(&masked), "the imported number is on the account page: {page}");
    }
    let dump = server.dump();
    assert!(!dump_contains(&dump, b"+4791234567") && !dump_contains(&dump, b"91234567"), "the number is sealed");
}
