//! OpenID Connect back-channel logout against the real test OpenID Provider: a logout token signed by the OP,
//! posted to one gateway, ends the session on another gateway sharing the SQLite store (within the other's
//! `[session] cache_ttl`); a replayed token is refused on either, and so is every token that is not a valid logout
//! token for us.

use crate::common::oidc::{jwt_parts, OpBrowser, OpClient, TestOp, LOA_HIGH};
use crate::common::*;
use portvakt::store::seal::Secrets;
use serde_json::{json, Value};

/// Each instance's `[session] cache_ttl`: a session ended on one is refused on the other at most this late.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// The test person's national identity number (`pid`), linked to anna.
const PID: &str = "12089912345";

/// The OP and two gateways on one SQLite file, both with A's public URL (the OP's callback goes to A).
struct Pair {
    a: Env,
    b: Env,
    op: TestOp,
    _keys: tempfile::TempDir,
}

fn pair() -> Pair {
    pair_on(None)
}

/// Like [`pair`], on a shared Redis server at `redis` (its port) instead of the SQLite file when given.
fn pair_on(redis: Option<u16>) -> Pair {
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(keys.path().join("store-keys"), Secrets::generate_file_text()).unwrap();
    let accounts = keys.path().join("accounts.json");
    std::fs::write(
        &accounts,
        format!(
            r#"{{"staff:anna": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
        ),
    )
    .unwrap();
    let (port, port_b) = (free_port(), free_port());
    let public = format!("http://127.0.0.1:{port}");
    let mut client = OpClient::basic("portvakt", "klient-hemlighet", &format!("{public}/.portvakt/eid/callback"));
    // The OP's own back-channel logout goes to B (the "other" instance).
    client.extra = json!({
        "backchannel_logout_uri": format!("http://127.0.0.1:{port_b}/.portvakt/eid/backchannel-logout"),
        "backchannel_logout_session_required": true,
    });
    let op = TestOp::start(vec![client]);
    // Several instances on Redis sign assertions with one key file ([assertion], where `extra` starts).
    let signing = keys.path().join("assertion-key.pem");
    std::fs::write(&signing, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let assertion_key =
        if redis.is_some() { format!("key_file = \"{}\"\n\n", signing.display()) } else { String::new() };
    let extra = format!(
        "{assertion_key}[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n\
         [[institutions]]\nname = \"kommune\"\nemail_domains = [\"kommune.example\"]\n\n\
         [[eid.providers]]\nname = \"idporten\"\nissuer = \"{}\"\nclient_id = \"portvakt\"\n\
         client_secret = \"klient-hemlighet\"\ntimeout = \"5s\"\n\n\
         {}",
        free_port(),
        op.issuer(),
        match redis {
            None => format!(
                "[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
                keys.path().join("state.db").display(),
                keys.path().join("store-keys").display()
            ),
            Some(port) => format!(
                "[store]\nkind = \"redis\"\nkeys_file = \"{}\"\n\n[store.redis]\nurl = \"redis://127.0.0.1:{port}\"\n",
                keys.path().join("store-keys").display()
            ),
        }
    );
    let opts = |http_port| Opts {
        http_port,
        server_extra: format!("public_url = \"{public}\""),
        extra: extra.clone(),
        accounts: Some(accounts.clone()),
        session: Some("[session]\nidle_timeout = \"15m\"\nabsolute_lifetime = \"12h\"\ncache_ttl = \"1s\"\n".into()),
        ..Opts::default()
    };
    let a = Env::start(opts(Some(port)));
    let b = Env::start(opts(Some(port_b)));
    Pair { a, b, op, _keys: keys }
}

impl Pair {
    /// An eID login on A from a new browser (and a new one at the OP); returns its session cookie and the ID token's
    /// claims.
    async fn login(&self) -> (String, Value) {
        self.login_with(&self.op.browser(REMOTE)).await
    }

    /// An eID login on A from a new browser that uses `op` at the OP.
    async fn login_with(&self, op: &OpBrowser) -> (String, Value) {
        let c = client_from(REMOTE);
        let r = c
            .get(format!("{}/.portvakt/eid/start?provider=idporten&rd=%2Fexpense%2F", self.a.http_url()))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 302);
        let cookies: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
            .collect();
        let back = op.authorize(r.headers()["location"].to_str().unwrap(), PID, LOA_HIGH).await;
        let r = c.get(&back.callback).header("cookie", cookies.join("; ")).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let session = set_cookie(r.headers(), "portvakt").expect("a session");
        (session, jwt_parts(&self.op.last_id_token().await.unwrap()).1)
    }

    /// The status the expense backend's answer has on gateway `gw` with `session` (200 logged in, 401 not), asked
    /// once `gw`'s copy of the session is older than `[session] cache_ttl`: the store decides, as it does on every
    /// instance within that window after a session ends elsewhere.
    async fn status_on(&self, gw: &Env, session: &str) -> u16 {
        gw.clock.advance(CACHE_TTL + std::time::Duration::from_millis(1));
        get_json(&client_from(REMOTE), &format!("{}/expense/", gw.http_url()), session, &[]).await.0
    }
}

/// POSTs a logout token to a gateway's back-channel logout endpoint, as the OP does; status and body.
async fn post_logout(gw: &Env, token: &str) -> (u16, String) {
    let r = reqwest::Client::new()
        .post(format!("{}/.portvakt/eid/backchannel-logout", gw.http_url()))
        .form(&[("logout_token", token)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "no-store");
    (status, r.text().await.unwrap())
}

/// A logout token for one provider session, posted to B, ends that session on A (they share the SQLite store) and
/// no other; the same token again is refused on A and on B. A token naming only `sub` ends that subject's sessions.
#[tokio::test(flavor = "multi_thread")]
async fn logout_token_ends_the_session_on_the_other_instance_once() {
    let p = pair();
    let (one, claims) = p.login().await;
    let (other, _) = p.login().await;
    assert_eq!(p.status_on(&p.a, &one).await, 200);
    assert_eq!(p.status_on(&p.b, &one).await, 200);
    let sid = claims["sid"].as_str().expect("the OP's ID token has sid").to_string();

    let token = p.op.logout_token("portvakt", json!({ "sid": sid })).await;
    let (status, body) = post_logout(&p.b, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(p.status_on(&p.a, &one).await, 401, "ended on A, where it was made");
    assert_eq!(p.status_on(&p.b, &one).await, 401);
    assert_eq!(p.status_on(&p.a, &other).await, 200, "another provider session (its own sid) lives on");

    // Replayed, on either instance: refused.
    for gw in [&p.b, &p.a] {
        let (status, body) = post_logout(gw, &token).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("replayed"), "{body}");
    }

    // Only `sub`: every eID session of that person ends, whatever its sid.
    let (fresh, fresh_claims) = p.login().await;
    assert_eq!(p.status_on(&p.a, &fresh).await, 200);
    let sub = fresh_claims["sub"].as_str().unwrap().to_string();
    let by_sub = p.op.logout_token("portvakt", json!({ "sub": sub })).await;
    let (status, body) = post_logout(&p.a, &by_sub).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(p.status_on(&p.b, &fresh).await, 401, "a logout naming only sub ends that subject's sessions");
    assert_eq!(p.status_on(&p.a, &other).await, 401, "the same person's other eID session too");
}

/// Tokens that are not valid logout tokens for us are refused with 400 and end nothing: no events claim, another
/// event, a nonce (an ID token), another audience, an unknown key, another issuer, neither sid nor sub, no jti,
/// issued an hour ago, `alg: none`; and a form without a token.
#[tokio::test(flavor = "multi_thread")]
async fn invalid_logout_tokens_are_refused() {
    let p = pair();
    let (session, claims) = p.login().await;
    let sid = claims["sid"].as_str().unwrap().to_string();
    let hour_ago = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 3600;
    let cases: Vec<(&str, String)> = vec![
        ("no events", p.op.logout_token("portvakt", json!({ "sid": sid, "drop": "events" })).await),
        (
            "another event",
            p.op.logout_token("portvakt", json!({ "sid": sid, "set": { "events": { "urn:other": {} } } })).await,
        ),
        ("nonce", p.op.logout_token("portvakt", json!({ "sid": sid, "set": { "nonce": "n" } })).await),
        ("other audience", p.op.logout_token("someone-else", json!({ "sid": sid })).await),
        ("unknown key", p.op.logout_token("portvakt", json!({ "sid": sid, "foreign_key": true })).await),
        (
            "other issuer",
            p.op.logout_token("portvakt", json!({ "sid": sid, "set": { "iss": "https://evil.example" } })).await,
        ),
        ("neither sid nor sub", p.op.logout_token("portvakt", json!({})).await),
        ("no jti", p.op.logout_token("portvakt", json!({ "sid": sid, "drop": "jti" })).await),
        (
            "an hour old",
            p.op.logout_token("portvakt", json!({ "sid": sid, "set": { "iat": hour_ago, "exp": hour_ago + 120 } }))
                .await,
        ),
        ("alg none", {
            let good = p.op.logout_token("portvakt", json!({ "sid": sid })).await;
            let payload = good.split('.').nth(1).unwrap().to_string();
            format!("eyJhbGciOiJub25lIn0.{payload}.")
        }),
        ("empty", String::new()),
    ];
    for (what, token) in cases {
        let (status, body) = post_logout(&p.b, &token).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert!(body.contains("invalid_request"), "{what}: {body}");
        assert_eq!(p.status_on(&p.a, &session).await, 200, "{what}: the session lives on");
    }
    // A good token for the same sid still works afterwards.
    let token = p.op.logout_token("portvakt", json!({ "sid": sid })).await;
    assert_eq!(post_logout(&p.b, &token).await.0, 200);
    assert_eq!(p.status_on(&p.a, &session).await, 401);
}

/// The provider's own back-channel logout: the person logs out at the OP (not at the gateway), the OP posts its
/// logout token to B, and the session made on A ends; the OP saw no error from the gateway.
#[tokio::test(flavor = "multi_thread")]
async fn logout_at_the_provider_reaches_the_other_instance() {
    let p = pair();
    let at_op = p.op.browser(REMOTE);
    let (session, _) = p.login_with(&at_op).await;
    assert_eq!(p.status_on(&p.a, &session).await, 200);
    let (back_to, _) = at_op.end_session(&format!("{}/logout", p.op.issuer())).await;
    assert!(back_to.is_none(), "the OP showed its own logged-out page: {back_to:?}");
    assert_eq!(p.status_on(&p.a, &session).await, 401, "ended through B by the OP's logout token:\n{}", p.op.log());
    assert!(!p.op.log().contains("backchannel.error"), "{}", p.op.log());
}

/// One logout token delivered 40 times at once, alternately to two gateways sharing one store, on SQLite and then
/// on Redis: the store's take-once operation lets exactly one delivery through (200); the other 39 are refused as
/// replayed (400), and the session ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_replays_on_two_instances_exactly_one_accepted() {
    for redis in [None, Some(crate::common::redis::RedisServer::start())] {
        let backend = if redis.is_some() { "redis" } else { "sqlite" };
        let p = pair_on(redis.as_ref().map(|r| r.port()));
        let (session, claims) = p.login().await;
        assert_eq!(p.status_on(&p.a, &session).await, 200);
        let sid = claims["sid"].as_str().unwrap().to_string();
        let token = p.op.logout_token("portvakt", json!({ "sid": sid })).await;
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let url =
                    format!("{}/.portvakt/eid/backchannel-logout", if i % 2 == 0 { &p.a } else { &p.b }.http_url());
                let token = token.clone();
                tokio::spawn(async move {
                    let r = reqwest::Client::new().post(url).form(&[("logout_token", token)]).send().await.unwrap();
                    let status = r.status().as_u16();
                    (status, r.text().await.unwrap())
                })
            })
            .collect();
        let (mut accepted, mut replayed) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                (200, _) => accepted += 1,
                (400, body) if body.contains("replayed") => replayed += 1,
                other => panic!("{backend}: {other:?}"),
            }
        }
        assert_eq!((accepted, replayed), (1, 39), "{backend}");
        assert_eq!(p.status_on(&p.a, &session).await, 401, "{backend}");
        assert_eq!(p.status_on(&p.b, &session).await, 401, "{backend}");
    }
}
