//! eID login over OpenID Connect against a real OpenID Provider (oidc-provider on Node, configured like ID-porten),
//! with link codes read from a real SMTP server and identities checked at real echo backends.

use crate::common::oidc::{client_key, jwt_parts, AuthMethod, OpClient, TestOp, LOA_HIGH, LOA_SUBSTANTIAL};
use crate::common::smtp::SmtpServer;
use crate::common::*;
use serde_json::Value;
use std::time::Duration;

/// The test person's national identity number (`pid`).
pub(crate) const PID: &str = "12089912345";

/// How the gateway is registered at the OP.
#[derive(Default)]
pub(crate) struct Setup {
    /// Client authentication (basic when None).
    pub(crate) auth: Option<AuthMethod>,
    /// Push authorization requests.
    pub(crate) par: bool,
    /// `acr_values` to request, as TOML (default: substantial).
    pub(crate) acr_values: Option<&'static str>,
    /// Accounts file content to start with.
    pub(crate) accounts: Option<String>,
    /// The client's private key (PEM) for private_key_jwt.
    pub(crate) key_pem: Option<String>,
    /// Lifetime of the OP's ID tokens (60 s when None).
    pub(crate) id_token_ttl_secs: Option<u64>,
    /// More TOML for the gateway's config (e.g. `[audit]`).
    pub(crate) extra: String,
    /// The `[[directories]]` section instead of the users file (e.g. the AD stand-in).
    pub(crate) directories: Option<String>,
}

pub(crate) struct EidEnv {
    pub(crate) env: Env,
    pub(crate) op: TestOp,
    pub(crate) smtp: SmtpServer,
    pub(crate) base: String,
    _keys: tempfile::TempDir,
}

pub(crate) fn start(s: Setup) -> EidEnv {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let keys = tempfile::tempdir().unwrap();
    let auth = s.auth.unwrap_or(AuthMethod::Basic);
    let mut client = OpClient::basic("portvakt", "klient-hemlighet", &format!("{base}/.portvakt/eid/callback"));
    client.post_logout_redirect_uris = vec![format!("{base}/.portvakt/logged-out")];
    client.frontchannel_logout_uri = Some(format!("{base}/.portvakt/eid/frontchannel-logout"));
    let auth_toml = match &auth {
        AuthMethod::Basic => "client_secret = \"klient-hemlighet\"".to_string(),
        AuthMethod::Post => "client_auth = \"client_secret_post\"\nclient_secret = \"klient-hemlighet\"".to_string(),
        AuthMethod::PrivateKeyJwt { public_jwk } => {
            client.client_secret = None;
            std::fs::write(keys.path().join("client.pem"), s.key_pem.as_deref().expect("key_pem")).unwrap();
            format!(
                "client_auth = \"private_key_jwt\"\nprivate_key = \"{}\"\nkey_id = \"{}\"",
                keys.path().join("client.pem").display(),
                public_jwk["kid"].as_str().unwrap()
            )
        }
    };
    client.auth_method = auth;
    let op_opts =
        crate::common::oidc::OpOptions { id_token_ttl_secs: s.id_token_ttl_secs.unwrap_or(60), ..Default::default() };
    let op = TestOp::start_with(vec![client], op_opts);
    let smtp = SmtpServer::start();
    let accounts = s.accounts.map(|text| {
        let p = keys.path().join("accounts.json");
        std::fs::write(&p, text).unwrap();
        p
    });
    let extra = format!(
        r#"
{email}
{KOMMUNE_INSTITUTION}
[[eid.providers]]
name = "idporten"
title = "ID-porten"
issuer = "{issuer}"
client_id = "portvakt"
{auth_toml}
acr_values = {acr_values}
pushed_authorization = {par}
timeout = "5s"

{more}
"#,
        email = smtp.email_toml(),
        issuer = op.issuer(),
        acr_values = s.acr_values.unwrap_or("[\"idporten-loa-substantial\"]"),
        par = s.par,
        more = s.extra,
    );
    let env = Env::start(Opts {
        http_port: Some(port),
        server_extra: format!("public_url = \"{base}\""),
        extra,
        accounts,
        directories: s.directories,
        ..Default::default()
    });
    EidEnv { env, op, smtp, base, _keys: keys }
}

/// A setup whose client signs its token requests with a fresh ES256 key (private_key_jwt).
fn private_key_jwt_setup(par: bool) -> Setup {
    let (pem, jwk) = client_key();
    Setup { auth: Some(AuthMethod::PrivateKeyJwt { public_jwk: jwk }), par, key_pem: Some(pem), ..Default::default() }
}

/// The accounts file with anna's account linked to [`PID`].
pub(crate) fn linked_accounts() -> String {
    format!(
        r#"{{"staff:anna": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
    )
}

/// A browser at the gateway: its source address and the cookies it holds there (also used by `ldap`).
pub(crate) struct Browser {
    pub(crate) http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn from(source: &str) -> Browser {
        Browser { http: client_from(source), cookies: Vec::new() }
    }

    pub(crate) fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn keep(&mut self, resp: &reqwest::Response) {
        for line in resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = line.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !v.is_empty() && !line.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    pub(crate) async fn get(&mut self, url: &str) -> reqwest::Response {
        let r = self
            .http
            .get(url)
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }

    pub(crate) async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let r = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .header("accept-language", "en")
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r
    }

    /// The page a form's 303 leads to (POST-redirect-GET), as this browser GETs it from `base`; panics when `r` is
    /// no 303 to one of the gateway's pages or that page does not answer 200.
    pub(crate) async fn after_see_other(&mut self, base: &str, r: reqwest::Response) -> String {
        let to = location(&r);
        assert_eq!(r.status(), 303, "{to}: {}", r.text().await.unwrap());
        assert!(to.starts_with("/.portvakt/"), "a 303 to {to:?}, not to one of the gateway's pages");
        let page = self.get(&format!("{base}{to}")).await;
        assert_eq!(page.status(), 200, "the page after the redirect to {to}");
        page.text().await.unwrap()
    }
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

impl EidEnv {
    /// Starts an eID login at the gateway and returns the provider URL it redirects to.
    pub(crate) async fn begin(&self, b: &mut Browser, rd: &str) -> String {
        let r = b.get(&format!("{}/.portvakt/eid/start?provider=idporten&rd={}", self.base, urlencode(rd))).await;
        assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
        let to = location(&r);
        assert!(to.starts_with(&self.op.issuer()), "{to}");
        to
    }

    /// A whole eID login at the provider up to the gateway's answer to the callback.
    pub(crate) async fn eid_login(
        &self,
        b: &mut Browser,
        op: &crate::common::oidc::OpBrowser,
        rd: &str,
        acr: &str,
    ) -> reqwest::Response {
        let url = self.begin(b, rd).await;
        let back = op.authorize(&url, PID, acr).await;
        b.get(&back.callback).await
    }

    /// The last authorization request the OP received, as its parameters.
    async fn last_auth_params(&self) -> Value {
        self.op.requests_of("auth").await.last().expect("an authorization request")["params"].clone()
    }
}

/// The query of an authorization URL the gateway sent the browser to, as the OP will receive it.
fn params_of(url: &str) -> Value {
    let q: serde_json::Map<String, Value> = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    Value::Object(q)
}

pub(crate) fn code_in(text: &str) -> String {
    let i = text.find("code is ").expect("code in the e-mail") + "code is ".len();
    text[i..].split('.').next().unwrap().trim().to_string()
}

/// The whole journey: the first eID login from the internal network links the eID to the account by a code sent to
/// the municipal address (a private address is refused); a later eID login from the remote zone reaches the backend
/// as `eid`; the account page shows the link and unlinks it after the password, after which the remote eID login
/// must link again at work.
#[tokio::test(flavor = "multi_thread")]
async fn link_at_work_then_log_in_remotely_then_unlink() {
    let e = start(Setup::default());
    let mut b = Browser::from(INTERNAL);
    let op = e.op.browser(INTERNAL);
    let login_page = b.get(&format!("{}/.portvakt/login?rd=%2Fexpense%2Freport", e.base)).await.text().await.unwrap();
    assert!(
        login_page.contains(
            "href=\"/.portvakt/eid/start?provider=idporten&amp;rd=%2Fexpense%2Freport\">Log in with ID-porten</a>"
        ),
        "{login_page}"
    );
    let url = e.begin(&mut b, "/expense/report").await;
    let p = params_of(&url);
    assert_eq!(p["code_challenge_method"], "S256");
    assert_eq!(p["acr_values"], LOA_SUBSTANTIAL);
    assert_eq!(p["ui_locales"], "en");
    assert_eq!(p["redirect_uri"], format!("{}/.portvakt/eid/callback", e.base));
    assert!(p["state"].as_str().unwrap().len() >= 43 && p["nonce"].as_str().unwrap().len() >= 43);
    assert!(p.get("prompt").is_none(), "a first login needs no forced prompt: {p}");
    let back = op.authorize(&url, PID, LOA_HIGH).await;
    assert_eq!(back.param("iss").as_deref(), Some(e.op.issuer().as_str()));
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), "/.portvakt/eid/link");
    assert!(b.cookie("portvakt").is_none(), "no session before the link is made");

    let page = b.get(&format!("{}/.portvakt/eid/link", e.base)).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let link_url = format!("{}/.portvakt/eid/link", e.base);

    let r = b.post(&link_url, &[("csrf", &csrf), ("email", "anna.lindqvist@gmail.com")]).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("gmail.com is not one of the municipality&#x27;s e-mail domains")
            || html.contains("gmail.com is not one of the municipality's e-mail domains"),
        "{html}"
    );
    let r = b.post(&link_url, &[("csrf", &csrf), ("email", "nobody@kommune.example")]).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("No account has the address nobody@kommune.example"));
    assert!(e.smtp.messages().is_empty(), "no code for refused addresses");

    let r = b.post(&link_url, &[("csrf", &csrf), ("email", " Anna@Kommune.example ")]).await;
    assert_eq!(location(&r), "/.portvakt/eid/link", "sent: POST-redirect-GET to the page with the code form");
    let html = b.after_see_other(&e.base, r).await;
    assert!(html.contains("We sent a code to anna@kommune.example") && html.contains("id=\"code\""), "{html}");
    let mail = e.smtp.wait_for(1, Duration::from_secs(10)).remove(0);
    assert_eq!(mail.to, "anna@kommune.example");
    assert_eq!(mail.subject, "Your code for linking eID");
    let code = code_in(&mail.body);
    let r = b.post(&link_url, &[("csrf", &csrf), ("code", "000000")]).await;
    assert_eq!(r.status(), 400, "a wrong code links nothing");
    let r = b.post(&link_url, &[("csrf", &csrf), ("code", &code.to_lowercase())]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/expense/report");
    assert!(b.cookie("portvakt").is_some(), "the link logs the user in");
    assert!(b.cookie("portvakt-link").is_none(), "the link step is over");
    let (status, echo) = get_json(&b.http, &format!("{}/expense/report", e.base), &b.cookie_header(), &[]).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
    let mails = e.smtp.wait_for(2, Duration::from_secs(10));
    assert_eq!(mails[1].subject, "An eID was linked to your account");
    assert!(mails[1].body.contains("ID-porten"));
    let stored = std::fs::read_to_string(e.env.dir.path().join("accounts.json")).unwrap();
    assert!(stored.contains(PID), "the link is in the account store: {stored}");

    // Later, from home: a new browser in the remote zone, at substantial.
    let mut home = Browser::from(REMOTE);
    let home_op = e.op.browser(REMOTE);
    let r = e.eid_login(&mut home, &home_op, "/self-service/", LOA_SUBSTANTIAL).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/self-service/");
    let (status, echo) = get_json(&home.http, &format!("{}/self-service/", e.base), &home.cookie_header(), &[]).await;
    assert_eq!(status, 200, "an eID login satisfies the remote zone's two-factor rule: {echo}");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
    assert_eq!(echo["headers"]["x-portvakt-zone"][0], "remote");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");

    // The account page shows the link, masked, and unlinks it after the password.
    let page = home.get(&format!("{}/.portvakt/account", e.base)).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("ID-porten (ID number ••••••••345)"), "{html}");
    assert!(!html.contains(PID), "the full person ID is never shown");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let unlink = format!("{}/.portvakt/account/eid/unlink", e.base);
    let r = home.post(&unlink, &[("csrf", &csrf), ("password", "wrong")]).await;
    assert_eq!(r.status(), 400);
    let html = r.text().await.unwrap();
    assert!(html.contains("The password is wrong. The eID is still linked."), "{html}");
    // The error is tied to the unlink form's password field, not to the numbers form's.
    let field = &html[html.find("id=\"unlink-password\"").unwrap()..];
    let field = &field[..field.find('>').unwrap()];
    assert!(field.contains("aria-invalid=\"true\" aria-describedby=\"account-error-1\""), "{field}");
    if let Some(i) = html.find("id=\"password\"") {
        assert!(!html[i..i + html[i..].find('>').unwrap()].contains("aria-invalid"), "{html}");
    }
    assert!(std::fs::read_to_string(e.env.dir.path().join("accounts.json")).unwrap().contains(PID));
    let r = home.post(&unlink, &[("csrf", &csrf), ("password", PASSWORD)]).await;
    assert_eq!(location(&r), "/.portvakt/logged-out?r=eid-unlinked", "this eID session ended with its link");
    assert!(home.after_see_other(&e.base, r).await.contains("Your eID is no longer linked"));
    assert!(!std::fs::read_to_string(e.env.dir.path().join("accounts.json")).unwrap().contains(PID));
    let mails = e.smtp.wait_for(3, Duration::from_secs(10));
    assert_eq!(mails[2].subject, "The eID link to your account was removed");
    assert_eq!(mails[2].to, "anna@kommune.example");
    // Sessions opened with the unlinked eID are over, at work and at home.
    let r = b.get(&format!("{}/expense/report", e.base)).await;
    assert_eq!(r.status(), 302);
    let r = home.get(&format!("{}/self-service/", e.base)).await;
    assert_eq!(r.status(), 302);
    // From home, an unlinked eID is sent to work to link first.
    let r = e.eid_login(&mut home, &home_op, "/self-service/", LOA_SUBSTANTIAL).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("First eID login must be made at work"));
}

/// The first eID login from the remote zone is refused with a page that says to link at work; no link step opens.
#[tokio::test(flavor = "multi_thread")]
async fn first_link_from_remote_is_refused() {
    let e = start(Setup::default());
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    let r = e.eid_login(&mut b, &op, "/expense/", LOA_HIGH).await;
    assert_eq!(r.status(), 403);
    assert!(b.cookie("portvakt-link").is_none());
    let html = r.text().await.unwrap();
    assert!(
        html.contains("must be made on the municipality&#x27;s network")
            || html.contains("must be made on the municipality's network"),
        "{html}"
    );
    let page = b.get(&format!("{}/.portvakt/eid/link", e.base)).await;
    assert_eq!(page.status(), 400, "no link step without a verified eID");
}

/// A callback without `state`, with a made-up one, or with another browser's, is refused; so is a replayed
/// callback, and a used code under a fresh state (the provider refuses it).
#[tokio::test(flavor = "multi_thread")]
async fn missing_foreign_and_replayed_callbacks_are_refused() {
    let e = start(Setup { accounts: Some(linked_accounts()), ..Default::default() });
    let cb = format!("{}/.portvakt/eid/callback", e.base);
    let mut victim = Browser::from(INTERNAL);
    let mut attacker = Browser::from(INTERNAL);
    let victim_op = e.op.browser(INTERNAL);

    let r = victim.get(&format!("{cb}?code=abc&iss={}", urlencode(&e.op.issuer()))).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("started in another browser"));
    let r = victim.get(&format!("{cb}?code=abc&state=made-up&iss={}", urlencode(&e.op.issuer()))).await;
    assert_eq!(r.status(), 400);

    // The victim's callback URL, opened in the attacker's browser (which started a login of its own).
    let url = e.begin(&mut victim, "/expense/").await;
    e.begin(&mut attacker, "/expense/").await;
    let back = victim_op.authorize(&url, PID, LOA_HIGH).await;
    let r = attacker.get(&back.callback).await;
    assert_eq!(r.status(), 400);
    assert!(attacker.cookie("portvakt").is_none());

    // A login that worked, replayed.
    let url = e.begin(&mut victim, "/expense/").await;
    let back = victim_op.authorize(&url, PID, LOA_HIGH).await;
    let r = victim.get(&back.callback).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let mut again = Browser { http: client_from(INTERNAL), cookies: victim.cookies.clone() };
    again.cookies.retain(|(k, _)| k != "portvakt");
    let r = again.get(&back.callback).await;
    assert_eq!(r.status(), 400, "a callback works once");
    assert!(again.cookie("portvakt").is_none());
    // The same code under a fresh, valid state: the provider refuses it.
    let url = e.begin(&mut again, "/expense/").await;
    let state = url::Url::parse(&url).unwrap().query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let replay = format!(
        "{cb}?code={}&state={}&iss={}",
        urlencode(&back.param("code").unwrap()),
        urlencode(&state),
        urlencode(&e.op.issuer())
    );
    let r = again.get(&replay).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("could not be verified"));
    assert!(again.cookie("portvakt").is_none());
    let tokens = e.op.requests_of("token").await;
    assert_eq!(tokens.last().unwrap()["status"], 400, "the OP itself refused the used code: {tokens:?}");
}

/// ID tokens that are forged or wrong in any way are refused: wrong nonce, wrong issuer, wrong audience, expired,
/// `alg: none`; so is an authorization response naming another issuer (RFC 9207), and a cancel at the provider
/// gets its own page. A clean login then works.
#[tokio::test(flavor = "multi_thread")]
async fn bad_id_tokens_are_refused() {
    let e = start(Setup { accounts: Some(linked_accounts()), ..Default::default() });
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    let cases: [(&str, Value); 6] = [
        ("wrong nonce", serde_json::json!({ "nonce": "not-the-nonce-we-sent" })),
        ("wrong issuer", serde_json::json!({ "iss": "http://127.0.0.1:9/evil" })),
        ("wrong audience", serde_json::json!({ "aud": "some-other-client" })),
        ("expired", serde_json::json!({ "exp_offset_secs": -3600 })),
        ("alg none", serde_json::json!({ "alg_none": true })),
        ("no nonce", serde_json::json!({ "drop": "nonce" })),
    ];
    for (what, tamper) in cases {
        let url = e.begin(&mut b, "/expense/").await;
        let back = op.authorize(&url, PID, LOA_HIGH).await;
        e.op.tamper_next(tamper).await;
        let r = b.get(&back.callback).await;
        assert_eq!(r.status(), 400, "{what}");
        assert!(r.text().await.unwrap().contains("could not be verified"), "{what}");
        assert!(b.cookie("portvakt").is_none(), "{what}: no session");
        let forged = e.op.last_id_token().await.unwrap();
        if what == "alg none" {
            assert_eq!(jwt_parts(&forged).0["alg"], "none", "the OP really sent an unsigned token");
        }
    }
    // RFC 9207: the response says it came from another issuer.
    let url = e.begin(&mut b, "/expense/").await;
    let back = op.authorize(&url, PID, LOA_HIGH).await;
    let mixed = back.callback.replace(&urlencode(&e.op.issuer()), &urlencode("https://other-idp.example"));
    assert_ne!(mixed, back.callback);
    let r = b.get(&mixed).await;
    assert_eq!(r.status(), 400);
    assert!(b.cookie("portvakt").is_none());
    // The person cancels at the provider: a page says so and offers the way back.
    let url = e.begin(&mut b, "/expense/").await;
    // (A browser without the provider's session, so its login form shows.)
    let back = e.op.browser(REMOTE).cancel(&url).await;
    assert_eq!(back.param("error").as_deref(), Some("access_denied"));
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("The eID login was cancelled"));
    // Untouched, the same login works.
    let r = e.eid_login(&mut b, &op, "/expense/", LOA_HIGH).await;
    assert_eq!(r.status(), 303);
    assert!(b.cookie("portvakt").is_some());
}

/// When `high` is required, a login at `substantial` is refused with a page that says to use a stronger eID; the
/// request asked for `high`.
#[tokio::test(flavor = "multi_thread")]
async fn lower_acr_than_required_is_refused() {
    let e = start(Setup {
        acr_values: Some("[\"idporten-loa-high\"]"),
        accounts: Some(linked_accounts()),
        ..Default::default()
    });
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    let r = e.eid_login(&mut b, &op, "/expense/", LOA_SUBSTANTIAL).await;
    assert_eq!(e.last_auth_params().await["acr_values"], LOA_HIGH);
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("lower security level"));
    assert!(b.cookie("portvakt").is_none());
    let r = e.eid_login(&mut b, &op, "/expense/", LOA_HIGH).await;
    assert_eq!(r.status(), 303);
}

/// `client_secret_post` and `private_key_jwt` (with pushed authorization requests) authenticate at the real OP.
#[tokio::test(flavor = "multi_thread")]
async fn client_authentication_methods_and_par() {
    let e = start(Setup { auth: Some(AuthMethod::Post), accounts: Some(linked_accounts()), ..Default::default() });
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    assert_eq!(e.eid_login(&mut b, &op, "/expense/", LOA_HIGH).await.status(), 303);
    assert_eq!(e.op.requests_of("token").await.last().unwrap()["client_auth"], "client_secret_post");
    drop(e);

    let e = start(Setup { accounts: Some(linked_accounts()), ..private_key_jwt_setup(true) });
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    let url = e.begin(&mut b, "/expense/").await;
    let q: Vec<(String, String)> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    assert!(q.iter().any(|(k, _)| k == "request_uri"), "PAR: the browser carries only a reference: {q:?}");
    assert!(!q.iter().any(|(k, _)| k == "nonce" || k == "code_challenge"));
    let pars = e.op.requests_of("par").await;
    assert_eq!(pars.len(), 1);
    assert_eq!(pars[0]["client_auth"], "private_key_jwt");
    assert_eq!(pars[0]["params"]["code_challenge_method"], "S256");
    let back = op.authorize(&url, PID, LOA_HIGH).await;
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let token = e.op.requests_of("token").await;
    assert_eq!(token.last().unwrap()["client_auth"], "private_key_jwt");
}

/// After our idle timeout the provider is asked for a fresh login (its own SSO must not undo ours), and a token whose
/// `auth_time` shows no fresh login is refused; logout ends the provider's session too; front-channel logout from the provider ends ours.
#[tokio::test(flavor = "multi_thread")]
async fn idle_timeout_forces_fresh_provider_login_and_logouts_propagate() {
    // The gateway's clock jumps 16 minutes ahead of the OP's: tokens must outlive the jump.
    let e = start(Setup { accounts: Some(linked_accounts()), id_token_ttl_secs: Some(3600), ..Default::default() });
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    assert_eq!(e.eid_login(&mut b, &op, "/expense/", LOA_HIGH).await.status(), 303);
    e.env.clock.advance(Duration::from_secs(16 * 60));
    let r = b.get(&format!("{}/expense/", e.base)).await;
    assert_eq!(r.status(), 302);
    let loc = location(&r);
    assert!(loc.split(['?', '&']).any(|p| p == "expired=15"), "the notice names the 15-minute idle timeout: {loc}");
    // A provider that ignores prompt=login and reuses its own session (an old auth_time, or none) is refused.
    let real_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    for (what, tamper) in [
        ("an hour-old login", serde_json::json!({ "set": { "auth_time": real_now - 3600 } })),
        ("no auth_time", serde_json::json!({ "drop": "auth_time" })),
    ] {
        let url = e.begin(&mut b, "/expense/").await;
        assert_eq!(params_of(&url)["prompt"], "login", "{what}");
        let back = op.authorize(&url, PID, LOA_HIGH).await;
        e.op.tamper_next(tamper).await;
        let r = b.get(&back.callback).await;
        assert_eq!(r.status(), 400, "{what}");
        assert!(r.text().await.unwrap().contains("could not be verified"), "{what}");
        assert_eq!(b.get(&format!("{}/expense/", e.base)).await.status(), 302, "{what}: no session");
    }
    let url = e.begin(&mut b, "/expense/").await;
    assert_eq!(params_of(&url)["prompt"], "login");
    assert_eq!(params_of(&url)["max_age"], "600", "max_age makes auth_time mandatory");
    let back = op.authorize(&url, PID, LOA_HIGH).await;
    assert!(back.prompted, "the provider asked again despite its own session");
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 303);
    // Without a timed-out session, the provider's single sign-on is used as usual.
    let mut fresh = Browser::from(REMOTE);
    let url = e.begin(&mut fresh, "/expense/").await;
    assert!(params_of(&url).get("prompt").is_none());
    assert!(!op.authorize(&url, PID, LOA_HIGH).await.prompted);

    // Logout ends the provider's session with the ID token as hint, and comes back to the gateway.
    let page = b.get(&format!("{}/.portvakt/portal", e.base)).await;
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    let r = b.post(&format!("{}/.portvakt/logout", e.base), &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let to = location(&r);
    assert!(to.starts_with(&format!("{}/logout", e.op.issuer())), "{to}");
    assert!(to.contains("id_token_hint="));
    assert!(b.cookie("portvakt").is_none());
    let (back_to, _) = op.end_session(&to).await;
    assert_eq!(back_to.as_deref(), Some(format!("{}/.portvakt/logged-out", e.base).as_str()));
    let r = b.get(&back_to.unwrap()).await;
    assert_eq!(r.status(), 200);

    // Front-channel logout: the provider ends our sessions of its session.
    let mut c = Browser::from(REMOTE);
    let op2 = e.op.browser(REMOTE);
    assert_eq!(e.eid_login(&mut c, &op2, "/expense/", LOA_HIGH).await.status(), 303);
    let sid = jwt_parts(&e.op.last_id_token().await.unwrap()).1["sid"].as_str().unwrap().to_string();
    let r = c
        .get(&format!(
            "{}/.portvakt/eid/frontchannel-logout?iss={}&sid={}",
            e.base,
            urlencode(&e.op.issuer()),
            urlencode("some-other-sid")
        ))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(c.get(&format!("{}/expense/", e.base)).await.status(), 200, "another sid ends nothing");
    let r = reqwest::Client::new()
        .get(format!(
            "{}/.portvakt/eid/frontchannel-logout?iss={}&sid={}",
            e.base,
            urlencode(&e.op.issuer()),
            urlencode(&sid)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains(&format!("frame-ancestors {}", e.op.issuer())), "{csp}");
    let mut ended = false;
    for _ in 0..50 {
        if c.get(&format!("{}/expense/", e.base)).await.status() == 302 {
            ended = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ended, "the session of that provider session ended");
    let r = reqwest::Client::new()
        .get(format!("{}/.portvakt/eid/frontchannel-logout?iss={}&sid=x", e.base, urlencode("https://unknown.example")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// A password-only session from the remote zone reaches the second-factor page, which offers eID instead of a code;
/// the eID login made from there replaces the password session, and the backend sees `eid`.
#[tokio::test(flavor = "multi_thread")]
async fn second_factor_page_offers_eid_instead_of_a_code() {
    let e = start(Setup { accounts: Some(linked_accounts()), ..Default::default() });
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    let page = b.get(&format!("{}/.portvakt/login?rd=%2Fexpense%2F", e.base)).await.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let r = b
        .post(
            &format!("{}/.portvakt/login", e.base),
            &[("csrf", &csrf), ("username", "anna"), ("password", PASSWORD), ("rd", "/expense/")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let step_up = location(&r);
    assert!(step_up.starts_with("/.portvakt/second-factor"), "{step_up}");
    let password_session = b.cookie("portvakt").expect("a password session").to_string();
    let page = b.get(&format!("{}{step_up}", e.base)).await.text().await.unwrap();
    assert!(page.contains("Or log in with eID"), "{page}");
    assert!(
        page.contains("href=\"/.portvakt/eid/start?provider=idporten&amp;rd=%2Fexpense%2F\">Log in with ID-porten</a>"),
        "{page}"
    );
    assert_eq!(e.eid_login(&mut b, &op, "/expense/", LOA_HIGH).await.status(), 303);
    assert_ne!(b.cookie("portvakt"), Some(password_session.as_str()), "a new session");
    let (status, echo) = get_json(&b.http, &format!("{}/expense/report", e.base), &b.cookie_header(), &[]).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
    let mut old = Browser::from(REMOTE);
    old.cookies.push(("portvakt".into(), password_session));
    assert_eq!(old.get(&format!("{}/expense/", e.base)).await.status(), 302, "the password session ended");
}
