//! Hardening of the edge, tried from outside as an attacker would (issue 13): zone floors that policy rules cannot
//! lower, look-alike identity headers, ambiguous Content-Length, requests without Host, gateway forms posted with the
//! wrong type or from another site, and redirects built from a forged Host header.

use crate::common::*;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A policy whose only rule for `expense` has no conditions at all: it allows everyone from everywhere.
const ALLOW_ANYONE: &str = r#"
[[rule]]
id = "expense-anyone"
services = ["expense"]
effect = "allow"

[[rule]]
id = "self-service-anyone"
services = ["self-service"]
effect = "allow"
"#;

/// Sends raw bytes from `source` to `addr` and reads until the gateway closes the connection (bounded by a timeout):
/// for requests a client library would fix up. Returns the status and the whole response text.
async fn raw(addr: SocketAddr, source: &str, request: &[u8]) -> (u16, String) {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(source.parse().unwrap(), 0)).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

/// The JSON body of a raw response from an echo backend.
fn echo_json(text: &str) -> serde_json::Value {
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    // The echo answers with Content-Length; chunked bodies are not expected here.
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not an echo answer ({e}):\n{text}"))
}

/// A header name as nginx, Apache and CGI read it: lower case, `_` for `-`.
fn folded(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Identity and routing headers a client sends, in several spellings; none may reach a backend.
const FORGED: &[(&str, &str)] = &[
    ("Remote-User", "mallory"),
    ("remote_user", "mallory"),
    ("X-REMOTE-USER", "mallory"),
    ("x_remote_user", "mallory"),
    ("X-Forwarded-User", "mallory"),
    ("X_Forwarded_User", "mallory"),
    ("X-Auth-Request-User", "mallory"),
    ("X-Auth-Request-Email", "mallory@evil.example"),
    ("X-Auth-Request-Groups", "admins"),
    ("X-Real-IP", "10.1.2.3"),
    ("x_real_ip", "10.1.2.3"),
    ("X-Forwarded-Port", "443"),
    ("X-Forwarded-Prefix", "/admin"),
    ("X-Forwarded-Server", "intranet"),
    ("X-Original-URL", "/admin"),
    ("X-Rewrite-URL", "/admin"),
    ("Forwarded", "for=10.1.2.3;proto=https"),
    ("X_Forwarded_For", "10.1.2.3"),
    ("X_Forwarded_Host", "intranet.evil.example"),
    ("X-Legacy-Auth", "mallory"),
];

/// Names a backend must not see, folded.
fn forbidden() -> Vec<String> {
    FORGED
        .iter()
        .map(|(n, _)| folded(n))
        .filter(|n| !n.starts_with("x-forwarded-for") && n != "x-forwarded-host")
        .collect()
}

/// Checks what an echo backend saw: no forged header in any spelling, no forged value, the harmless header kept,
/// and the forwarding headers the gateway set itself.
fn assert_clean(v: &serde_json::Value, proto: &str) {
    let h = v["headers"].as_object().unwrap_or_else(|| panic!("{v}"));
    let bad = forbidden();
    for (name, values) in h {
        assert!(!bad.contains(&folded(name)), "{name} reached the backend: {v}");
        let text = values.to_string();
        assert!(
            !text.contains("mallory") && !text.contains("10.1.2.3") && !text.contains("evil.example"),
            "{name}: {text}"
        );
    }
    assert_eq!(v["headers"]["x-request-id"][0], "keep-me", "{v}");
    assert_eq!(v["headers"]["x-forwarded-for"][0], INTERNAL, "{v}");
    assert_eq!(v["headers"]["x-forwarded-proto"][0], proto, "{v}");
    assert_eq!(v["headers"]["x-portvakt-user"][0], "anna", "{v}");
}

/// The gateway's config for the header tests: one operator-added name on top of the built-in list.
fn header_opts() -> Opts {
    Opts { extra: "[forwarding]\nstrip_request_headers = [\"X-Legacy-Auth\"]\n".into(), ..Default::default() }
}

/// An unconditional allow rule does not let a password-only session from the remote zone through: the remote zone's
/// floor (two_factor) still sends it to step up, and the backend never sees the request. Inside, password suffices.
#[tokio::test(flavor = "multi_thread")]
async fn policy_rule_cannot_lower_the_zone_floor() {
    let env = Env::start(Opts { policies: Some(ALLOW_ANYONE.into()), ..Default::default() });
    let outside = client_from(REMOTE);
    let l = login(&outside, &env.http_url(), "anna", PASSWORD, "/expense/", "portvakt", None).await;
    assert_eq!(l.status, 303, "{}", l.body);
    assert_eq!(l.location.as_deref(), Some("/.portvakt/second-factor?rd=%2Fexpense%2F"));
    let cookie = l.cookie.unwrap();
    let r = browse(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302, "a password-only session from remote must step up");
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/.portvakt/second-factor"));
    let (status, body) = get_json(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 401, "the backend must not answer: {body}");
    // Over HTTPS and HTTP/2 too (a session of its own: the cookie is __Host-portvakt there).
    let l = login(&outside, &env.https_url(), "anna", PASSWORD, "/expense/", "__Host-portvakt", None).await;
    assert_eq!(l.location.as_deref(), Some("/.portvakt/second-factor?rd=%2Fexpense%2F"));
    let tls_cookie = l.cookie.unwrap();
    let r = browse(&outside, &format!("{}/expense/", env.https_url()), &tls_cookie, &[]).await;
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/.portvakt/second-factor"));
    // The portal does not offer it as open either.
    let portal = browse(&outside, &format!("{}/.portvakt/portal", env.https_url()), &tls_cookie, &[]).await;
    let html = portal.text().await.unwrap();
    let i = html.find("<h2>Expenses</h2>").unwrap_or_else(|| panic!("{html}"));
    let start = html[..i].rfind("data-state=\"").unwrap() + 12;
    assert_eq!(html[start..].split('"').next().unwrap(), "step-up", "{html}");
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (status, v) = get_json(&inside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200, "{v}");
}

/// A service that names the remote zone in `allow_below_zone_floor` is decided by its policy rules alone; the other
/// services keep the floor.
#[tokio::test(flavor = "multi_thread")]
async fn allow_below_zone_floor_is_per_service() {
    let wiki = Backends::start(1);
    let policies =
        format!("{ALLOW_ANYONE}\n[[rule]]\nid = \"wiki-anyone\"\nservices = [\"wiki\"]\neffect = \"allow\"\n");
    let env = Env::start(Opts {
        policies: Some(policies),
        extra: format!(
            "[[services]]\nname = \"wiki\"\npath_prefix = \"/wiki\"\nupstreams = [\"{}\"]\nallow_below_zone_floor = [\"remote\"]\n",
            wiki.addrs[0]
        ),
        ..Default::default()
    });
    let outside = client_from(REMOTE);
    let cookie = login(&outside, &env.http_url(), "anna", PASSWORD, "/wiki/", "portvakt", None).await.cookie.unwrap();
    let (status, v) = get_json(&outside, &format!("{}/wiki/page", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["service"], "svc0");
    assert_eq!(v["headers"]["x-portvakt-methods"][0], "password");
    let (status, _) = get_json(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 401, "the exception is for wiki only");
}

/// Look-alike identity headers in any letter case and with underscores are removed over HTTP/1.1 (raw bytes, so the
/// spelling reaches the gateway as typed); an operator-added name is removed too; an unrelated header passes.
#[tokio::test(flavor = "multi_thread")]
async fn identity_headers_removed_over_http1() {
    let env = Env::start(header_opts());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let mut req = format!(
        "GET /expense/h HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nCookie: {cookie}\r\nX-Request-Id: keep-me\r\nConnection: close\r\n",
        env.http
    );
    for (n, v) in FORGED {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let (status, text) = raw(env.http, INTERNAL, req.as_bytes()).await;
    assert_eq!(status, 200, "{text}");
    assert_clean(&echo_json(&text), "http");
}

/// The same headers sent over HTTP/2 (lower case by the protocol, underscores kept) are removed as well.
#[tokio::test(flavor = "multi_thread")]
async fn identity_headers_removed_over_http2() {
    let env = Env::start(header_opts());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.https_url(), "anna", PASSWORD, "/", "__Host-portvakt", None).await.cookie.unwrap();
    let mut rb = c
        .get(format!("{}/expense/h", env.https_url()))
        .header("accept", "application/json")
        .header("cookie", &cookie)
        .header("x-request-id", "keep-me");
    for (n, v) in FORGED {
        rb = rb.header(*n, *v);
    }
    let resp = rb.send().await.unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["headers"]["x-forwarded-for"][0], INTERNAL);
    assert_clean(&v, "https");
}

/// From a trusted proxy the forwarding chain is kept (X-Forwarded-For extended, -Proto and -Host passed on), but the
/// other look-alike headers are still removed.
#[tokio::test(flavor = "multi_thread")]
async fn trusted_proxy_keeps_its_chain_but_not_identity_headers() {
    let env = Env::start(header_opts());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let proxy = client_from(PROXY);
    let (status, v) = get_json(
        &proxy,
        &format!("{}/expense/", env.http_url()),
        &cookie,
        &[
            ("x-forwarded-for", "10.1.2.4"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "portal.kommune.example"),
            ("x-forwarded-user", "mallory"),
            ("remote-user", "mallory"),
            ("x-real-ip", "10.9.9.9"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let h = &v["headers"];
    assert_eq!(h["x-forwarded-for"][0], "10.1.2.4, 127.0.0.3");
    assert_eq!(h["x-forwarded-proto"][0], "https");
    assert_eq!(h["x-forwarded-host"][0], "portal.kommune.example");
    for n in ["x-forwarded-user", "remote-user", "x-real-ip"] {
        assert!(h.get(n).is_none(), "{n}: {v}");
    }
}

/// `Content-Length: 5, 5` and two equal Content-Length lines reach the backend as one value; differing values are
/// refused with 400 and never forwarded.
#[tokio::test(flavor = "multi_thread")]
async fn content_length_forwarded_as_one_value() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for cl in ["Content-Length: 5, 5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n"] {
        let req = format!(
            "POST /expense/cl HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nCookie: {cookie}\r\n{cl}Connection: close\r\n\r\nhello",
            env.http
        );
        let (status, text) = raw(env.http, INTERNAL, req.as_bytes()).await;
        assert_eq!(status, 200, "{cl}: {text}");
        let v = echo_json(&text);
        assert_eq!(v["headers"]["content-length"], serde_json::json!(["5"]), "{cl}: {v}");
    }
    let req = format!(
        "POST /expense/cl HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nCookie: {cookie}\r\nContent-Length: 5, 6\r\nConnection: close\r\n\r\nhello!",
        env.http
    );
    let (status, text) = raw(env.http, INTERNAL, req.as_bytes()).await;
    assert_eq!(status, 400, "{text}");
    assert!(!text.contains("\"service\""), "the backend must not see it: {text}");
}

/// An HTTP/1.1 request without Host is refused with 400 (RFC 9112 3.2), to a service and to the gateway's pages.
#[tokio::test(flavor = "multi_thread")]
async fn http11_without_host_is_refused() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let req =
        format!("GET /expense/x HTTP/1.1\r\nAccept: application/json\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n");
    let (status, text) = raw(env.http, INTERNAL, req.as_bytes()).await;
    assert_eq!(status, 400, "{text}");
    assert!(!text.contains("\"service\""), "the backend must not see it: {text}");
    let (status, text) = raw(env.http, INTERNAL, b"GET /.portvakt/login HTTP/1.1\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status, 400, "{text}");
    // With Host the same request is served.
    let req = format!(
        "GET /expense/x HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n",
        env.http
    );
    assert_eq!(raw(env.http, INTERNAL, req.as_bytes()).await.0, 200);
}

/// GETs the login page for its CSRF cookie and token.
async fn login_form(c: &reqwest::Client, base: &str) -> (String, String) {
    let page = c.get(format!("{base}/.portvakt/login")).send().await.unwrap();
    let cookie = set_cookie(page.headers(), "portvakt-csrf").unwrap();
    let token = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    (cookie, token)
}

/// A login POST with `Content-Type: text/plain` (or none) is refused with 415 and a page that says what to do; no
/// session is made, although the body would parse as a valid form.
#[tokio::test(flavor = "multi_thread")]
async fn login_form_must_be_urlencoded() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let (cookie, token) = login_form(&c, &env.http_url()).await;
    let body = format!("csrf={token}&rd=%2F&username=anna&password={}", urlencode(PASSWORD));
    for ctype in [Some("text/plain"), Some("multipart/form-data; boundary=x"), None] {
        let mut rb = c.post(format!("{}/.portvakt/login", env.http_url())).header("cookie", &cookie).body(body.clone());
        if let Some(t) = ctype {
            rb = rb.header("content-type", t);
        }
        let r = rb.header("accept-language", "en").send().await.unwrap();
        assert_eq!(r.status(), 415, "{ctype:?}");
        assert!(set_cookie(r.headers(), "portvakt").is_none(), "no session from a {ctype:?} body");
        let html = r.text().await.unwrap();
        assert!(html.contains("application/x-www-form-urlencoded"), "{html}");
    }
    // The same form as application/x-www-form-urlencoded (with a charset parameter) logs in.
    let r = c
        .post(format!("{}/.portvakt/login", env.http_url()))
        .header("cookie", &cookie)
        .header("content-type", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(set_cookie(r.headers(), "portvakt").is_some());
}

/// A form POST from another site (Origin of a foreign host, or `Sec-Fetch-Site: cross-site`) is refused with 403
/// even with a valid CSRF token; the same POST from the gateway's own origin logs in, also with the `Origin: null`
/// a real browser sends from a no-referrer page (found in Chromium: every browser login was refused).
#[tokio::test(flavor = "multi_thread")]
async fn cross_site_form_post_is_refused() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let base = env.http_url();
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", base.as_str()), ("sec-fetch-site", "cross-site")],
    ] {
        let (cookie, token) = login_form(&c, &base).await;
        let mut rb = c.post(format!("{base}/.portvakt/login")).header("cookie", &cookie).form(&[
            ("csrf", token.as_str()),
            ("rd", "/"),
            ("username", "anna"),
            ("password", PASSWORD),
        ]);
        for (k, v) in &headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        assert!(set_cookie(r.headers(), "portvakt").is_none(), "{headers:?}");
    }
    for headers in [
        vec![("origin", base.as_str()), ("sec-fetch-site", "same-origin")],
        // What Chromium sends for the login form itself: the gateway's pages say Referrer-Policy: no-referrer.
        vec![("origin", "null"), ("sec-fetch-site", "same-origin")],
        vec![("origin", "https://portal.kommune.example")],
        vec![("sec-fetch-site", "none")],
    ] {
        let (cookie, token) = login_form(&c, &base).await;
        let mut rb = c.post(format!("{base}/.portvakt/login")).header("cookie", &cookie).form(&[
            ("csrf", token.as_str()),
            ("rd", "/"),
            ("username", "anna"),
            ("password", PASSWORD),
        ]);
        for (k, v) in &headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().await.unwrap();
        assert_eq!(r.status(), 303, "{headers:?}");
    }
}

/// The plain-HTTP redirect never sends a browser to the host named in a forged Host header: an unknown host is sent
/// to the configured public host; a configured one keeps its name.
#[tokio::test(flavor = "multi_thread")]
async fn https_redirect_ignores_a_forged_host() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let r =
        c.get(format!("http://{}/expense/x?y=1", env.redirect)).header("host", "evil.example").send().await.unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(r.headers()["location"], "https://portal.kommune.example/expense/x?y=1");
    let r = c
        .get(format!("http://{}/expense/x", env.redirect))
        .header("host", "Portal.Kommune.Example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "https://portal.kommune.example/expense/x");
    // With public_url configured, an unknown host goes there, port included.
    let env = Env::start(Opts {
        server_extra: "public_url = \"https://gw.kommune.example:8443\"".into(),
        ..Default::default()
    });
    for host in ["evil.example", "127.0.0.1"] {
        let r = c.get(format!("http://{}/a?b=1", env.redirect)).header("host", host).send().await.unwrap();
        assert_eq!(r.status(), 308);
        assert_eq!(r.headers()["location"], "https://gw.kommune.example:8443/a?b=1", "{host}");
    }
    let r = c.get(format!("http://{}/a", env.redirect)).header("host", "portal.kommune.example").send().await.unwrap();
    assert_eq!(r.headers()["location"], "https://portal.kommune.example/a");
    // With no public host configured at all, an unknown host is refused (421), never redirected to itself.
    let env = Env::start(Opts { hosts: Some("[]".into()), ..Default::default() });
    let r = c.get(format!("http://{}/a", env.redirect)).header("host", "evil.example").send().await.unwrap();
    assert_eq!(r.status(), 421);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("public_url"));
}

/// After login, an absolute `rd` naming the host of a forged Host header falls back to the portal: only configured
/// hosts are redirect targets.
#[tokio::test(flavor = "multi_thread")]
async fn rd_to_the_forged_request_host_is_refused() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let (cookie, token) = login_form(&c, &env.http_url()).await;
    let r = c
        .post(format!("{}/.portvakt/login", env.http_url()))
        .header("host", "evil.example")
        .header("cookie", &cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("rd", "https://evil.example/steal"),
            ("username", "anna"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/.portvakt/portal");
    // A configured host is still a valid target.
    let (cookie, token) = login_form(&c, &env.http_url()).await;
    let r = c
        .post(format!("{}/.portvakt/login", env.http_url()))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("rd", "https://portal.kommune.example/expense/"),
            ("username", "anna"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "https://portal.kommune.example/expense/");
}

/// A config with one service that lowers the floor and one kept built-in header, for the command-line tests.
fn cli_env(service_extra: &str, forwarding: &str, policies: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.toml"), "").unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/main.toml"), ALLOW_ANYONE).unwrap();
    let text = format!(
        "{}[[listeners]]\naddress = \"127.0.0.1:8080\"\nredirect_to_https = false\n\n[[zones]]\nname = \"internal\"\ncidrs = [\"10.0.0.0/8\"]\n\n\
         [[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n\
         [[services]]\nname = \"expense\"\nupstreams = [\"127.0.0.1:9000\"]\n{service_extra}\n\n\
         [[services]]\nname = \"self-service\"\npath_prefix = \"/self-service\"\nupstreams = [\"127.0.0.1:9001\"]\n\n{forwarding}",
        if policies { "policies_dir = \"policies\"\n" } else { "" }
    );
    let cfg = dir.path().join("portvakt.toml");
    std::fs::write(&cfg, text).unwrap();
    (dir, cfg)
}

/// Runs the real `portvakt` binary; returns exit code and stdout.
fn portvakt(args: &[&str], cfg: &std::path::Path) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .arg(args[0])
        .arg("--config")
        .arg(cfg)
        .args(&args[1..])
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// `portvakt check` prints a lowered floor and a kept identity header as warnings at FILE:LINE:COL, then `ok`, and
/// exits 0; an unknown zone, a lowered floor without policies, and keeping a header the gateway sets are errors.
#[test]
fn check_warns_about_lowered_floors_and_kept_headers() {
    let (_d, cfg) = cli_env(
        "allow_below_zone_floor = [\"remote\"]",
        "[forwarding]\nstrip_request_headers = [\"X-Legacy-Auth\"]\nkeep_request_headers = [\"X-Real-IP\"]\n",
        true,
    );
    let (code, out) = portvakt(&["check"], &cfg);
    assert_eq!(code, Some(0), "{out}");
    let file = cfg.display().to_string();
    assert!(
        out.contains(&format!("{file}:18:27: warning: service \"expense\" lets its policy rules admit logins below the floor of zone \"remote\" (two_factor)")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{file}:27:25: warning: client header \"X-Real-IP\" is passed to backends")),
        "{out}"
    );
    assert!(out.ends_with("ok\n"), "{out}");

    let (_d, cfg) = cli_env("allow_below_zone_floor = [\"outside\"]", "", true);
    let (code, out) = portvakt(&["check"], &cfg);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("{}:18:27: unknown zone \"outside\" in allow_below_zone_floor", cfg.display())),
        "{out}"
    );

    let (_d, cfg) = cli_env("allow_below_zone_floor = [\"remote\"]", "", false);
    let (code, out) = portvakt(&["check"], &cfg);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("{}:17:27: allow_below_zone_floor needs policies_dir", cfg.display())), "{out}");

    let (_d, cfg) = cli_env(
        "",
        "[forwarding]\nkeep_request_headers = [\"X_Portvakt_User\", \"X-Forwarded-For\", \"Accept\"]\n",
        true,
    );
    let (code, out) = portvakt(&["check"], &cfg);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("{}:26:25: \"X_Portvakt_User\" is set by the gateway itself", cfg.display())),
        "{out}"
    );
    assert!(out.contains("\"X-Forwarded-For\" is set by the gateway itself"), "{out}");
    assert!(out.contains("\"Accept\" is not on the built-in list"), "{out}");

    let (_d, cfg) =
        cli_env("", "[forwarding]\nstrip_request_headers = [\"X-Ok\", \"Transfer-Encoding\", \"bad name\"]\n", true);
    let (code, out) = portvakt(&["check"], &cfg);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("{}:26:34: \"Transfer-Encoding\" frames or routes the request", cfg.display())),
        "{out}"
    );
    assert!(out.contains("\"bad name\" is not a valid header name"), "{out}");
}

/// `portvakt explain` shows the floor: an allowing rule below the remote zone's floor ends in deny (exit 3) with the
/// floor as the deciding rule; with `allow_below_zone_floor` the rule decides and the floor line says so.
#[test]
fn explain_shows_the_zone_floor() {
    let (_d, cfg) = cli_env("", "", true);
    let args = ["explain", "--service", "expense", "--zone", "remote", "--user", "anna", "--methods", "password"];
    let (code, out) = portvakt(&args, &cfg);
    assert_eq!(code, Some(3), "{out}");
    assert!(out.starts_with("deny\nrule: builtin:zone-floor (zone \"remote\": two_factor)\n"), "{out}");
    assert!(out.contains("why: rule expense-anyone"), "{out}");
    assert!(out.contains("rules can only raise a zone's floor"), "{out}");
    assert!(out.contains("would allow: log in with password plus a one-time code"), "{out}");
    let (code, out) = portvakt(
        &["explain", "--service", "expense", "--zone", "remote", "--user", "anna", "--methods", "password,sms"],
        &cfg,
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("allow\nrule: expense-anyone ("), "{out}");
    assert!(out.contains("floor: zone \"remote\" needs at least password plus a one-time code"), "{out}");

    let (_d, cfg) = cli_env("allow_below_zone_floor = [\"remote\"]", "", true);
    let (code, out) = portvakt(&args, &cfg);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("allow\nrule: expense-anyone ("), "{out}");
    assert!(
        out.contains("but service \"expense\" sets allow_below_zone_floor for it: the rules alone decide"),
        "{out}"
    );
}

/// The form checks hold for every gateway form, not only login: a cross-site logout POST (valid CSRF token) leaves
/// the session working, and a text/plain phone-number POST is refused with 415 and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn other_gateway_forms_checked_too() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let html = c.get(format!("{base}/.portvakt/account")).header("cookie", &cookie).send().await.unwrap();
    let html = html.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let r = c
        .post(format!("{base}/.portvakt/logout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(get_json(&c, &format!("{base}/expense/"), &cookie, &[]).await.0, 200, "still logged in");
    let r = c
        .post(format!("{base}/.portvakt/account/phones"))
        .header("cookie", &cookie)
        .header("content-type", "text/plain")
        .body(format!("csrf={csrf}&phone1=0739876543&password={}", urlencode(PASSWORD)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let stored = std::fs::read_to_string(env.dir.path().join("accounts.json")).unwrap_or_default();
    assert!(!stored.contains("739876543"), "no number saved: {stored}");
    // The same logout from the gateway's own origin ends the session.
    let r = c
        .post(format!("{base}/.portvakt/logout"))
        .header("cookie", &cookie)
        .header("origin", &base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    assert_eq!(get_json(&c, &format!("{base}/expense/"), &cookie, &[]).await.0, 401, "logged out");
}

/// Over HTTP/2 (host in `:authority`), the login form from the gateway's own origin is accepted and one from
/// another site refused.
#[tokio::test(flavor = "multi_thread")]
async fn form_origin_checked_over_http2() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let base = env.https_url();
    for (origin, want) in [(base.as_str(), 303), ("https://evil.example", 403), ("http://127.0.0.1:1", 403)] {
        let page = c.get(format!("{base}/.portvakt/login")).send().await.unwrap();
        let cookie = set_cookie(page.headers(), "__Host-portvakt-csrf").unwrap();
        let token = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
        let r = c
            .post(format!("{base}/.portvakt/login"))
            .header("cookie", &cookie)
            .header("origin", origin)
            .form(&[("csrf", token.as_str()), ("rd", "/"), ("username", "anna"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.version(), reqwest::Version::HTTP_2);
        assert_eq!(r.status(), want, "{origin}");
    }
}

/// pingora's gzip encoder and decoder work on the pure-Rust zlib backend that replaced zlib-ng (vendor/pingora-core
/// PATCH.md, 5): 100 KiB of page text shrinks to under a quarter and decompresses to the same bytes.
#[test]
fn gzip_on_the_pure_rust_zlib_backend_round_trips() {
    use pingora_core::protocols::http::compression::Algorithm;
    let text: Vec<u8> = (0..4096).flat_map(|i| format!("row {i} of the portal page\n").into_bytes()).collect();
    let mut enc = Algorithm::Gzip.compressor(6).expect("a gzip compressor");
    let packed = enc.encode(&text, true).unwrap();
    assert!(packed.len() < text.len() / 4, "{} of {} bytes", packed.len(), text.len());
    assert_eq!(&packed[..2], &[0x1f, 0x8b], "gzip magic");
    let mut dec = Algorithm::Gzip.decompressor(true).expect("a gzip decompressor");
    assert_eq!(dec.encode(&packed, true).unwrap().as_ref(), text.as_slice());
}
