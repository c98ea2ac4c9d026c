//! End-to-end tests of the gateway over real sockets, with real backends, over HTTP and HTTPS.

use crate::common::*;
use std::collections::HashSet;
use std::time::Duration;

/// An internal employee logs in with a password and reaches all three backends, each seeing the right identity.
#[tokio::test(flavor = "multi_thread")]
async fn internal_login_reaches_all_backends_with_identity() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/expense/report", "portvakt", None).await;
    assert_eq!(l.status, 303, "{}", l.body);
    assert_eq!(l.location.as_deref(), Some("/expense/report"));
    let cookie = l.cookie.expect("session cookie");
    for (path, backend) in [("/self-service/pay", "svc0"), ("/expense/report", "svc1"), ("/signing/doc", "svc2")] {
        let (status, v) = get_json(&c, &format!("{}{path}", env.http_url()), &cookie, &[]).await;
        assert_eq!(status, 200, "{path}: {v}");
        assert_eq!(v["service"], backend);
        assert_eq!(v["path"], path);
        let h = &v["headers"];
        assert_eq!(h["x-portvakt-user"][0], "anna");
        assert_eq!(h["x-portvakt-groups"][0], "staff,payroll");
        assert_eq!(h["x-portvakt-methods"][0], "password");
        assert_eq!(h["x-portvakt-zone"][0], "internal");
        assert_eq!(h["x-forwarded-for"][0], "127.0.0.1");
        assert_eq!(h["x-forwarded-proto"][0], "http");
        assert!(h["x-portvakt-assertion"][0].as_str().unwrap().split('.').count() == 3);
    }
}

/// Over HTTPS the browser speaks HTTP/2, gets a __Host- cookie marked Secure, and the backend sees proto https.
#[tokio::test(flavor = "multi_thread")]
async fn https_with_http2_and_host_cookie() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let page = c.get(format!("{}/.portvakt/login", env.https_url())).send().await.unwrap();
    assert_eq!(page.version(), reqwest::Version::HTTP_2);
    assert!(page.headers()["strict-transport-security"].to_str().unwrap().contains("max-age="));
    let l = login(&c, &env.https_url(), "anna", PASSWORD, "/self-service/", "__Host-portvakt", None).await;
    assert_eq!(l.status, 303, "{}", l.body);
    let line_cookie = l.cookie.clone().unwrap();
    let resp = c
        .get(format!("{}/self-service/", env.https_url()))
        .header("cookie", &line_cookie)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["headers"]["x-portvakt-user"][0], "anna");
    assert_eq!(v["headers"]["x-forwarded-proto"][0], "https");
    assert_eq!(v["headers"]["host"][0], env.https.to_string());
}

/// The Set-Cookie for the session is HttpOnly, SameSite=Lax, Path=/, and on HTTPS Secure with the __Host- prefix.
#[tokio::test(flavor = "multi_thread")]
async fn session_cookie_attributes() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let page = c.get(format!("{}/.portvakt/login", env.https_url())).send().await.unwrap();
    let csrf = set_cookie(page.headers(), "__Host-portvakt-csrf").unwrap();
    let html = page.text().await.unwrap();
    let token = hidden_field(&html, "csrf").unwrap();
    let resp = c
        .post(format!("{}/.portvakt/login", env.https_url()))
        .header("cookie", csrf)
        .form(&[("csrf", token.as_str()), ("rd", ""), ("username", "anna"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let line = set_cookie_line(resp.headers(), "__Host-portvakt").unwrap();
    for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
        assert!(line.contains(attr), "{line}");
    }
    assert!(!line.contains("Domain="), "{line}");
    let value = line.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert_eq!(value.len(), 43, "256-bit ID in base64url");
}

/// Plain HTTP on a redirect listener sends the browser to the same path on HTTPS; health checks are answered.
#[tokio::test(flavor = "multi_thread")]
async fn plain_http_redirects_to_https() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let r = c
        .get(format!("http://{}/expense/x?y=1", env.redirect))
        .header("host", "portal.kommune.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "https://portal.kommune.example/expense/x?y=1");
    let h = c.get(format!("http://{}/.portvakt/healthz", env.redirect)).send().await.unwrap();
    assert_eq!(h.status(), 200);
    assert_eq!(h.text().await.unwrap(), "ok\n");
}

/// From the remote zone a password login is stopped at the second-factor page; the backend is never reached.
#[tokio::test(flavor = "multi_thread")]
async fn remote_without_second_factor_is_stopped() {
    let env = Env::start(Opts::default());
    let c = client_from(REMOTE);
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/expense/", "portvakt", None).await;
    assert_eq!(l.status, 303);
    assert_eq!(l.location.as_deref(), Some("/.portvakt/second-factor?rd=%2Fexpense%2F"));
    let cookie = l.cookie.unwrap();
    let r = browse(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/.portvakt/second-factor"));
    let page = c
        .get(format!("{}/.portvakt/second-factor", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", "sv-SE,sv;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap();
    // No number, no e-mail and no eID here: no code form that cannot help, but what to do, in Swedish.
    assert_eq!(page.status(), 403);
    let html = page.text().await.unwrap();
    assert!(html.contains("lang=\"sv\""));
    assert!(html.contains("Registrera ditt mobilnummer"), "the page says, in Swedish, what to do: {html}");
    // A non-browser client gets 401, not a page, and a line in its language that says why.
    let api = c.get(format!("{}/expense/", env.http_url())).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.text().await.unwrap(), "a stronger login is required from this network\n");
    let api = c
        .get(format!("{}/expense/", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", "sv")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.text().await.unwrap(), "en starkare inloggning krävs från det här nätverket\n");
    // Without a session: where to log in, with the challenge header, in the reader's language.
    let api = c.get(format!("{}/expense/", env.http_url())).header("accept-language", "nb").send().await.unwrap();
    assert_eq!(api.status(), 401);
    assert_eq!(api.headers()["www-authenticate"], "Portvakt realm=\"portvakt\"");
    assert_eq!(api.text().await.unwrap(), "innlogging kreves: logg inn på /.portvakt/login\n");
}

/// A password session made inside, replayed from outside (same cookie), is sent to step up, never let through.
#[tokio::test(flavor = "multi_thread")]
async fn internal_session_used_from_remote_must_step_up() {
    let env = Env::start(Opts::default());
    let inside = client_from(INTERNAL);
    let l = login(&inside, &env.http_url(), "anna", PASSWORD, "/expense/", "portvakt", None).await;
    let cookie = l.cookie.unwrap();
    let (s, _) = get_json(&inside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(s, 200);
    let outside = client_from(REMOTE);
    let r = browse(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/.portvakt/second-factor"));
    // The listener pinned to remote treats even a loopback peer as remote.
    let r = browse(&inside, &format!("http://{}/expense/", env.pinned_remote), &cookie, &[]).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/.portvakt/second-factor"));
}

/// X-Forwarded-For from an untrusted peer is ignored; from a trusted proxy it decides the zone.
#[tokio::test(flavor = "multi_thread")]
async fn forwarded_for_trusted_only_from_proxies() {
    let env = Env::start(Opts::default());
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();

    // A remote client claiming to be internal is still remote.
    let remote = client_from(REMOTE);
    let r = browse(&remote, &format!("{}/expense/", env.http_url()), &cookie, &[("x-forwarded-for", "10.1.2.3")]).await;
    assert_eq!(r.status(), 302, "spoofed XFF must not make a remote client internal");

    // Through the trusted proxy, an internal client address is believed...
    let proxy = client_from(PROXY);
    let (s, v) =
        get_json(&proxy, &format!("{}/expense/", env.http_url()), &cookie, &[("x-forwarded-for", "10.1.2.3")]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["headers"]["x-portvakt-zone"][0], "internal");
    assert_eq!(v["headers"]["x-forwarded-for"][0], "10.1.2.3, 127.0.0.3");
    // ...and a remote one is remote, even with a spoofed internal entry to its left.
    let r = browse(
        &proxy,
        &format!("{}/expense/", env.http_url()),
        &cookie,
        &[("x-forwarded-for", "10.9.9.9, 203.0.113.5")],
    )
    .await;
    assert_eq!(r.status(), 302);
    // A proxy that sends garbage fails closed: remote.
    let r = browse(
        &proxy,
        &format!("{}/expense/", env.http_url()),
        &cookie,
        &[("x-forwarded-for", "10.1.2.3, not-an-address")],
    )
    .await;
    assert_eq!(r.status(), 302);
}

/// After 15 idle minutes (manual clock) the next request is treated as no session and the login page says why.
#[tokio::test(flavor = "multi_thread")]
async fn idle_timeout_ends_session() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    env.clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 200);
    env.clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 200);
    env.clock.advance(Duration::from_secs(15 * 60 + 1));
    let r = browse(&c, &format!("{}/expense/a?b=1", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(loc, "/.portvakt/login?rd=%2Fexpense%2Fa%3Fb%3D1&expired=15");
    let page = c.get(format!("{}{loc}", env.http_url())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("inactive for more than 15 minutes"), "{page}");
    // And it stays ended.
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 401);
}

/// A busy session still ends at its absolute lifetime.
#[tokio::test(flavor = "multi_thread")]
async fn absolute_lifetime_ends_busy_session() {
    let env = Env::start(Opts {
        session: Some("[session]\nidle_timeout = \"15m\"\nabsolute_lifetime = \"1h\"\n".into()),
        ..Default::default()
    });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for _ in 0..5 {
        env.clock.advance(Duration::from_secs(10 * 60));
        assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 200);
    }
    env.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 401);
}

/// Logout deletes the session server-side: replaying the old cookie fails.
#[tokio::test(flavor = "multi_thread")]
async fn logout_then_replay_fails() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let portal = c.get(format!("{}/.portvakt/portal", env.http_url())).header("cookie", &cookie).send().await.unwrap();
    let html = portal.text().await.unwrap();
    let token = hidden_field(&html, "csrf").unwrap();
    let out = c
        .post(format!("{}/.portvakt/logout", env.http_url()))
        .header("cookie", &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(set_cookie_line(out.headers(), "portvakt").unwrap().contains("Max-Age=0"));
    assert_eq!(out.headers()["location"], "/.portvakt/logged-out");
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 401);
}

/// Logout without the session's CSRF token is refused and the session survives.
#[tokio::test(flavor = "multi_thread")]
async fn logout_without_csrf_refused() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let out = c
        .post(format!("{}/.portvakt/logout", env.http_url()))
        .header("cookie", &cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 403);
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 200);
}

/// Identity headers the client sends, in any letter case or with underscores, never reach a backend.
#[tokio::test(flavor = "multi_thread")]
async fn forged_identity_headers_never_reach_backend() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let forged = [
        ("X-Portvakt-User", "admin"),
        ("x-portvakt-groups", "payroll-admins"),
        ("X-PORTVAKT-METHODS", "password,eid"),
        ("x_portvakt_user", "admin"),
        ("X_Portvakt_Zone", "internal"),
        ("x-portvakt-assertion", "eyJ.forged.token"),
        ("X-Portvakt-Anything", "x"),
    ];
    for base in [env.http_url(), env.https_url()] {
        let (s, v) =
            get_json(&c, &format!("{base}/self-service/"), &format!("{cookie}; __Host-{cookie}"), &forged).await;
        assert_eq!(s, 200, "{v}");
        let h = v["headers"].as_object().unwrap();
        assert_eq!(h["x-portvakt-user"], serde_json::json!(["bjorn"]));
        assert_eq!(h["x-portvakt-groups"], serde_json::json!(["teachers"]));
        assert_eq!(h["x-portvakt-methods"], serde_json::json!(["password"]));
        assert!(!h.contains_key("x_portvakt_user") && !h.contains_key("x_portvakt_zone"));
        assert!(!h.contains_key("x-portvakt-anything"));
        assert_ne!(h["x-portvakt-assertion"][0], "eyJ.forged.token");
    }
    // Without a session, forged headers get nowhere either.
    let (s, _) = get_json(&c, &format!("{}/self-service/", env.http_url()), "", &forged).await;
    assert_eq!(s, 401);
}

/// The session and CSRF cookies are removed before forwarding; the backend's own cookies pass through.
#[tokio::test(flavor = "multi_thread")]
async fn session_cookie_never_reaches_backend() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (s, v) = get_json(
        &c,
        &format!("{}/expense/", env.http_url()),
        &format!("app=1; {cookie}; portvakt-csrf=abc; lang=sv"),
        &[],
    )
    .await;
    assert_eq!(s, 200);
    let cookies = v["headers"]["cookie"].to_string();
    assert!(cookies.contains("app=1") && cookies.contains("lang=sv"), "{cookies}");
    assert!(!cookies.contains("portvakt"), "{cookies}");
    let session_value = cookie.split('=').nth(1).unwrap();
    assert!(!v.to_string().contains(session_value));
    // A request with only our cookie reaches the backend with no Cookie header at all.
    let (_, v) = get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert!(v["headers"].get("cookie").is_none(), "{v}");
}

/// A login POST without a valid CSRF token gets 403 and no session.
#[tokio::test(flavor = "multi_thread")]
async fn login_post_without_csrf_is_403() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let url = format!("{}/.portvakt/login", env.http_url());
    let no_token = c.post(&url).form(&[("username", "anna"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(no_token.status(), 403);
    assert!(set_cookie(no_token.headers(), "portvakt").is_none());
    assert!(no_token.text().await.unwrap().contains("reload the page"));
    let wrong = c
        .post(&url)
        .header("cookie", "portvakt-csrf=AAAAAAAAAAAAAAAAAAAAAA")
        .form(&[("csrf", "BBBBBBBBBBBBBBBBBBBBBB"), ("username", "anna"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
}

/// A redirect target on another host falls back to the portal; own hosts and local paths are kept.
#[tokio::test(flavor = "multi_thread")]
async fn foreign_rd_falls_back_to_portal() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    for (rd, expect) in [
        ("https://evil.example/phish", "/.portvakt/portal"),
        ("//evil.example/phish", "/.portvakt/portal"),
        ("https://portal.kommune.example@evil.example/", "/.portvakt/portal"),
        ("javascript:alert(1)", "/.portvakt/portal"),
        ("https://portal.kommune.example/expense/", "https://portal.kommune.example/expense/"),
        ("/signing/doc?id=7", "/signing/doc?id=7"),
    ] {
        let l = login(&c, &env.http_url(), "anna", PASSWORD, rd, "portvakt", None).await;
        assert_eq!(l.location.as_deref(), Some(expect), "rd={rd}");
    }
}

/// A session cookie planted before login is not adopted: login issues a new ID and the planted one stays invalid.
#[tokio::test(flavor = "multi_thread")]
async fn preset_session_cookie_not_adopted() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let planted = "portvakt=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", Some(planted)).await;
    let fresh = l.cookie.unwrap();
    assert_ne!(fresh, planted);
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), planted, &[]).await.0, 401);
    // A real earlier session is ended by a new login, not upgraded.
    let l2 = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", Some(&fresh)).await;
    let newer = l2.cookie.unwrap();
    assert_ne!(newer, fresh);
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &fresh, &[]).await.0, 401);
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &newer, &[]).await.0, 200);
}

/// The assertion JWT verifies against /.portvakt/jwks.json with the service as audience, and carries the identity.
#[tokio::test(flavor = "multi_thread")]
async fn assertion_verifies_against_jwks() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (_, v) = get_json(&c, &format!("{}/signing/x", env.http_url()), &cookie, &[]).await;
    let token = v["headers"]["x-portvakt-assertion"][0].as_str().unwrap().to_string();
    let jwks: jsonwebtoken::jwk::JwkSet =
        c.get(format!("{}/.portvakt/jwks.json", env.http_url())).send().await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("kid in JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut val = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    val.set_audience(&["signing"]);
    val.set_issuer(&["https://portal.kommune.example"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &val).unwrap().claims;
    assert_eq!(claims["sub"], "anna");
    assert_eq!(claims["groups"], serde_json::json!(["staff", "payroll"]));
    assert_eq!(claims["amr"], serde_json::json!(["password"]));
    assert_eq!(claims["zone"], "internal");
    // Not valid for another service.
    val.set_audience(&["expense"]);
    assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &key, &val).is_err());
}

/// With one backend down, its service answers a clear 502 page while the other services keep working.
#[tokio::test(flavor = "multi_thread")]
async fn backend_down_gives_502_others_work() {
    let dead = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()));
    let env = Env::start(Opts { dead_backend: Some(dead), ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let r = c
        .get(format!("{}/signing/", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", "nb")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["connection"], "close", "the client must not reuse a connection the gateway closes");
    let html = r.text().await.unwrap();
    assert!(html.contains("lang=\"nb\"") && html.contains("Signing"), "{html}");
    assert_eq!(get_json(&c, &format!("{}/self-service/", env.http_url()), &cookie, &[]).await.0, 200);
    assert_eq!(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 200);
}

/// A request with an oversized header block is refused with 431 and never reaches the backend.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_headers_refused() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let big = "x".repeat(20_000);
    for base in [env.http_url(), env.https_url()] {
        let r = c.get(format!("{base}/expense/")).header("cookie", &cookie).header("x-big", &big).send().await;
        match r {
            Ok(r) => assert!(r.status() == 431 || r.status() == 400, "{}", r.status()),
            Err(e) => assert!(base.starts_with("https"), "plain HTTP must answer, got {e}"),
        }
    }
    // Many small headers adding up count too.
    let mut rb = c.get(format!("{}/expense/", env.http_url())).header("cookie", &cookie);
    for i in 0..40 {
        rb = rb.header(format!("x-h{i}"), "y".repeat(500));
    }
    assert_eq!(rb.send().await.unwrap().status(), 431);
}

/// An oversized login form is refused with 413 instead of being read into memory.
#[tokio::test(flavor = "multi_thread")]
async fn oversized_form_refused() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let r = c
        .post(format!("{}/.portvakt/login", env.http_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username=anna&password={}", "p".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

/// A wrong password and an unknown user get the same page (same status, same message, no cookie).
#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_and_unknown_user_look_the_same() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let wrong = login(&c, &env.http_url(), "anna", "not it", "/", "portvakt", None).await;
    let unknown = login(&c, &env.http_url(), "nobody", "not it", "/", "portvakt", None).await;
    assert_eq!(wrong.status, 200);
    assert_eq!(unknown.status, 200);
    assert!(wrong.cookie.is_none() && unknown.cookie.is_none());
    let msg = "The username or password is wrong";
    assert!(wrong.body.contains(msg) && unknown.body.contains(msg));
    assert_eq!(wrong.body.replace("anna", "X").len(), unknown.body.replace("nobody", "X").len());
}

/// Gateway pages carry the security headers and are never proxied, even with a session.
#[tokio::test(flavor = "multi_thread")]
async fn gateway_pages_have_security_headers() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let r = c.get(format!("{}/.portvakt/login", env.https_url())).send().await.unwrap();
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.contains_key("strict-transport-security"));
    let r = c.get(format!("{}/.portvakt/nothing-here", env.http_url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().get("x-demo-backend").is_none());
    let css = c.get(format!("{}/.portvakt/static/portvakt.css", env.http_url())).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

/// The portal lists the three services; from remote with a password login they need a stronger login.
#[tokio::test(flavor = "multi_thread")]
async fn portal_lists_services_with_state() {
    let env = Env::start(Opts::default());
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let html = inside
        .get(format!("{}/.portvakt/portal", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", "da")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("lang=\"da\""));
    assert_eq!(html.matches("data-state=\"open\"").count(), 3, "{html}");
    for t in ["Self-service", "Expenses", "Signing", "href=\"/expense/\""] {
        assert!(html.contains(t), "{t}");
    }
    let root = inside.get(format!("{}/", env.http_url())).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(root.headers()["location"], "/.portvakt/portal");
    let outside = client_from(REMOTE);
    let html = outside
        .get(format!("{}/.portvakt/portal", env.http_url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("data-state=\"step-up\"").count(), 3, "{html}");
}

/// Without a session a browser is redirected to login with the original URL; an API client gets 401.
#[tokio::test(flavor = "multi_thread")]
async fn no_session_browser_redirect_api_401() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let r = c
        .get(format!("{}/self-service/payslip?month=11", env.http_url()))
        .header("accept", "text/html,*/*")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(r.headers()["location"], "/.portvakt/login?rd=%2Fself-service%2Fpayslip%3Fmonth%3D11");
    let r = c
        .get(format!("{}/self-service/payslip", env.http_url()))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// After five wrong passwords the account is refused with 429 even with the right one, and recovers after the ban.
#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_ban_then_recover() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    for _ in 0..5 {
        let l = login(&c, &env.http_url(), "anna", "guess", "/", "portvakt", None).await;
        assert_eq!(l.status, 200);
        assert!(l.cookie.is_none());
    }
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await;
    assert_eq!(l.status, 429, "{}", l.body);
    assert!(l.cookie.is_none());
    assert!(l.body.contains("Wait 300 seconds"), "{}", l.body);
    // Another account from another address is unaffected.
    let other = client_from(REMOTE);
    assert_eq!(login(&other, &env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.status, 303);
    env.clock.advance(Duration::from_secs(301));
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await;
    assert_eq!(l.status, 303, "{}", l.body);
}

/// The assertion is reused within half its lifetime, renewed after, and never shared between services.
#[tokio::test(flavor = "multi_thread")]
async fn assertion_reused_within_half_lifetime() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let token = |v: serde_json::Value| v["headers"]["x-portvakt-assertion"][0].as_str().unwrap().to_string();
    let a1 = token(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.1);
    let a2 = token(get_json(&c, &format!("{}/expense/x", env.http_url()), &cookie, &[]).await.1);
    assert_eq!(a1, a2);
    let s1 = token(get_json(&c, &format!("{}/signing/", env.http_url()), &cookie, &[]).await.1);
    assert_ne!(a1, s1, "audience differs per service");
    env.clock.advance(Duration::from_secs(31));
    let a3 = token(get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.1);
    assert_ne!(a1, a3, "renewed after half the 60 s lifetime");
}

/// A client's requests reuse one keep-alive connection to the backend: the per-thread pool key
/// (`upstream::pool_key`) must stay the same from one request to the next on a thread.
#[tokio::test(flavor = "multi_thread")]
async fn backend_connections_are_kept_alive() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let mut peers = HashSet::new();
    for i in 0..20 {
        let (status, v) = get_json(&c, &format!("{}/expense/{i}", env.http_url()), &cookie, &[]).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["path"], format!("/expense/{i}"));
        peers.insert(v["peer"].as_str().expect("the echo backend names the connection").to_string());
    }
    assert_eq!(peers.len(), 1, "20 requests in a row should share one backend connection: {peers:?}");
}

/// A gateway with several worker threads that has served traffic stops promptly when told to stop at once (the
/// test harness and Ctrl-C do that); pingora's fast shutdown once left a worker running and the stop never returned.
#[tokio::test(flavor = "multi_thread")]
async fn several_threads_stop_promptly() {
    for round in 0..20 {
        let env = Env::start(Opts { threads: Some(2), ..Opts::default() });
        let c = client_from(INTERNAL);
        let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
        for i in 0..4 {
            let (status, v) = get_json(&c, &format!("{}/expense/{i}", env.http_url()), &cookie, &[]).await;
            assert_eq!(status, 200, "round {round}: {v}");
        }
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(env);
            let _ = done_tx.send(());
        });
        let stopped = tokio::task::spawn_blocking(move || done_rx.recv_timeout(Duration::from_secs(10))).await.unwrap();
        assert!(stopped.is_ok(), "round {round}: a gateway with two worker threads did not stop within 10 s");
    }
}

/// Gateways started one after another in one process each listen and proxy: pingora's no-steal runtime once handed a
/// new server the thread pools of a stopped one (vendor/pingora-runtime/PATCH.md), and the new one never listened.
#[tokio::test(flavor = "multi_thread")]
async fn gateways_restart_in_one_process() {
    for round in 0..3 {
        let env = Env::start(Opts::default());
        let c = client_from(INTERNAL);
        let l = login(&c, &env.http_url(), "anna", PASSWORD, "/expense/report", "portvakt", None).await;
        assert_eq!(l.status, 303, "round {round}: {}", l.body);
        let cookie = l.cookie.expect("session cookie");
        for _ in 0..3 {
            let (status, v) = get_json(&c, &format!("{}/expense/report", env.http_url()), &cookie, &[]).await;
            assert_eq!(status, 200, "round {round}: {v}");
            assert_eq!(v["headers"]["x-portvakt-user"][0], "anna", "round {round}");
        }
        drop(env);
    }
}
