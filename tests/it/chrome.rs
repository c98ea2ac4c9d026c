//! Issue #16 points 7 and 8 from the outside: every page shows the municipality's name, logo and favicon, a
//! language switcher that works without JavaScript, its footer links and (on the login, code, error and denial
//! pages) how to reach IT support; error and denial pages keep the "logged in as / Log out" header of a live
//! session; form errors are tied to their fields.

use crate::common::redis::RedisServer;
use crate::common::smtp::SmtpServer;
use crate::common::*;
use portvakt::clock::ManualClock;
use portvakt::store::redis::{Redis, RedisSettings, RedisStore};
use portvakt::store::seal::Secrets;
use std::sync::Arc;

/// A 1x1 PNG (its signature is what the gateway checks).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Policies for the tests: expenses for payroll only (bjorn is a teacher), signing from anywhere.
const POLICIES: &str = r#"
[[rule]]
id = "self-service"
services = ["self-service"]
effect = "allow"

[[rule]]
id = "expense-payroll"
services = ["expense"]
effect = "allow"
groups = ["payroll"]

[[rule]]
id = "signing"
services = ["signing"]
effect = "allow"
"#;

/// `[branding]` and `[support]` of Tromsø, with a logo file written into `dir`.
fn branding(dir: &std::path::Path) -> String {
    let logo = dir.join("logo.png");
    std::fs::write(&logo, PNG).unwrap();
    format!(
        r##"
[branding]
name = "Tromsø kommune"
logo = "{logo}"
primary_color = "#7a1f5c"

[[branding.footer_links]]
title = "Privacy"
titles = {{ nb = "Personvern", sv = "Integritet" }}
url = "https://tromso.kommune.no/personvern"

[[branding.footer_links]]
title = "Accessibility statement"
url = "/tilgjengelighet"

[support]
phone = "+47 77 79 00 00"
email = "it-hjelp@tromso.kommune.no"
url = "https://tromso.kommune.no/it-hjelp"
hours = "Mon–Fri 08:00–15:30"
hours_by_language = {{ nb = "Man–fre 08.00–15.30" }}
"##,
        logo = logo.display()
    )
}

/// `[email]` through a real SMTP server.
fn email(smtp: &SmtpServer) -> String {
    format!(
        "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Portvakt \
         <noreply@kommune.example>\"\ntimeout = \"5s\"\n",
        smtp.port
    )
}

/// A gateway with Tromsø's branding and support, e-mail codes, the test policies and a dead backend for signing.
fn branded_env() -> (Env, tempfile::TempDir, SmtpServer) {
    let assets = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let env = Env::start(Opts {
        extra: format!("{}\n{}", email(&smtp), branding(assets.path())),
        policies: Some(POLICIES.into()),
        dead_backend: Some(dead),
        ..Default::default()
    });
    (env, assets, smtp)
}

/// The support box: phone as a tel: link, e-mail as a mailto: link, the help pages and the hours in `hours`.
fn assert_support(html: &str, hours: &str, what: &str) {
    assert!(html.contains("<aside class=\"card support\" aria-labelledby=\"support-title\">"), "{what}: {html}");
    assert!(html.contains("<a href=\"tel:+4777790000\">+47 77 79 00 00</a>"), "{what}: {html}");
    assert!(
        html.contains("<a href=\"mailto:it-hjelp@tromso.kommune.no\">it-hjelp@tromso.kommune.no</a>"),
        "{what}: {html}"
    );
    assert!(html.contains("href=\"https://tromso.kommune.no/it-hjelp\""), "{what}: {html}");
    assert!(html.contains(hours), "{what}: hours {hours}: {html}");
}

/// The "logged in as" header with the logout form for `name`.
fn assert_header_user(html: &str, name: &str, what: &str) {
    assert!(html.contains(name), "{what}: {name} in the header: {html}");
    let header = html.split("<header>").nth(1).and_then(|h| h.split("</header>").next()).unwrap_or("");
    assert!(header.contains(name), "{what}: {name} not in the header: {header}");
    assert!(header.contains("action=\"/.portvakt/logout\""), "{what}: no logout form in the header: {header}");
    assert!(hidden_field(header, "csrf").is_some_and(|t| !t.is_empty()), "{what}: logout form without token");
}

/// Every page carries the municipality's name (title, header, footer) instead of "Portvakt", its logo with the name
/// as alt text, the favicon link (to the served favicon's versioned URL), the footer links in the reader's language
/// and a language switcher of five links, each language named in itself with `lang`/`hreflang`, the current one
/// marked with `aria-current`; following a switcher link sets the language and comes back to the same page.
#[tokio::test(flavor = "multi_thread")]
async fn pages_show_the_municipality_and_switch_language_by_link() {
    let (env, _assets, _smtp) = branded_env();
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let r = browse(&c, &format!("{base}/.portvakt/login?rd=%2Fexpense%2F"), "", &[("accept-language", "nb")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("<title>Logg inn – Tromsø kommune</title>"), "{html}");
    assert!(!html.contains("Portvakt"), "the municipality's name replaces Portvakt: {html}");
    assert!(html.contains("<img class=\"logo\" src=\"/.portvakt/static/logo?v="), "{html}");
    assert!(html.contains("alt=\"Tromsø kommune\""), "{html}");
    let icon = html.split("<link rel=\"icon\" href=\"").nth(1).and_then(|h| h.split('"').next()).unwrap().to_string();
    assert!(icon.starts_with("/.portvakt/static/favicon?v="), "{icon}");
    let fav = browse(&c, &format!("{base}{}", icon.replace("&amp;", "&")), "", &[]).await;
    assert_eq!(fav.status(), 200);
    assert_eq!(fav.headers()["content-type"], "image/svg+xml");
    assert!(html.contains("<a href=\"https://tromso.kommune.no/personvern\">Personvern</a>"), "{html}");
    assert!(html.contains("<a href=\"/tilgjengelighet\">Accessibility statement</a>"), "{html}");
    assert!(html.contains("<footer>"), "{html}");

    let back = urlencode("/.portvakt/login?rd=%2Fexpense%2F");
    for (code, name) in
        [("sv", "Svenska"), ("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("da", "Dansk"), ("en", "English")]
    {
        let href = format!("/.portvakt/language?lang={code}&amp;rd={back}");
        let current = if code == "nb" { " aria-current=\"true\"" } else { "" };
        let link = format!("<a href=\"{href}\" lang=\"{code}\" hreflang=\"{code}\"{current}>{name}</a>");
        assert!(html.contains(&link), "{link} in {html}");
    }
    assert_eq!(html.matches("aria-current").count(), 1, "{html}");

    // Following the Svenska link: the cookie is set and the same page comes back, in Swedish.
    let r = browse(&c, &format!("{base}/.portvakt/language?lang=sv&rd={back}"), "", &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/.portvakt/login?rd=%2Fexpense%2F");
    let cookie = set_cookie(r.headers(), "portvakt-lang").unwrap();
    let url = format!("{base}/.portvakt/login?rd=%2Fexpense%2F");
    let sv = browse(&c, &url, &cookie, &[("accept-language", "nb")]).await.text().await.unwrap();
    assert!(sv.contains("<html lang=\"sv\">"), "{sv}");
    assert!(sv.contains(">Integritet</a>"), "the footer link in Swedish: {sv}");
    assert!(sv.contains("lang=\"sv\" hreflang=\"sv\" aria-current=\"true\">Svenska</a>"), "{sv}");
}

/// The support box is on the login page (hours in the reader's language where configured, else as written), the
/// code page, an error page and a denial page; error and denial pages of a logged-in user keep the "logged in as /
/// Log out" header: a policy denial (403), a backend that does not answer (502), a refused form (403).
#[tokio::test(flavor = "multi_thread")]
async fn support_box_and_header_on_login_code_error_and_denial_pages() {
    let (env, _assets, _smtp) = branded_env();
    let base = env.http_url();
    let c = client_from(INTERNAL);
    let login_nb = browse(&c, &format!("{base}/.portvakt/login"), "", &[("accept-language", "nb")]).await;
    assert_support(&login_nb.text().await.unwrap(), "Man–fre 08.00–15.30", "login (nb)");
    let login_da = browse(&c, &format!("{base}/.portvakt/login"), "", &[("accept-language", "da")]).await;
    assert_support(&login_da.text().await.unwrap(), "Mon–Fri 08:00–15:30", "login (da)");

    // The code page: a login from outside needs a second factor (anna has her e-mail address for codes).
    let remote = client_from(REMOTE);
    let l = login(&remote, &base, "anna", PASSWORD, "/self-service/", "portvakt", None).await;
    let (cookie, to) = (l.cookie.unwrap(), l.location.unwrap());
    assert!(to.starts_with("/.portvakt/second-factor"), "{to}");
    let code_page = browse(&remote, &format!("{base}{to}"), &cookie, &[]).await.text().await.unwrap();
    assert_support(&code_page, "Mon–Fri 08:00–15:30", "code page");
    assert_header_user(&code_page, "Anna Lindqvist", "code page");

    // A denial: bjorn is no payroll clerk.
    let bjorn = login(&c, &base, "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let r = browse(&c, &format!("{base}/expense/"), &bjorn, &[]).await;
    assert_eq!(r.status(), 403);
    let denial = r.text().await.unwrap();
    assert_support(&denial, "Mon–Fri 08:00–15:30", "denial");
    assert_header_user(&denial, "Bjørn", "denial");

    // A backend that does not answer: the 502 page.
    let anna = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let r = browse(&c, &format!("{base}/signing/"), &anna, &[]).await;
    assert_eq!(r.status(), 502);
    let bad_gateway = r.text().await.unwrap();
    assert_support(&bad_gateway, "Mon–Fri 08:00–15:30", "502");
    assert_header_user(&bad_gateway, "Anna Lindqvist", "502");

    // A refused form (no CSRF token) from a logged-in user.
    let r = c
        .post(format!("{base}/.portvakt/account/phones"))
        .header("cookie", &anna)
        .header("accept", "text/html")
        .form(&[("phone1", "+4791234567")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let refused = r.text().await.unwrap();
    assert_support(&refused, "Mon–Fri 08:00–15:30", "refused form");
    assert_header_user(&refused, "Anna Lindqvist", "refused form");

    // Without a session the error page has no header user, and still the support box.
    let r = browse(&c, &format!("{base}/.portvakt/no-such-page"), "", &[]).await;
    assert_eq!(r.status(), 404);
    let not_found = r.text().await.unwrap();
    assert_support(&not_found, "Mon–Fri 08:00–15:30", "404");
    assert!(!not_found.contains("action=\"/.portvakt/logout\""), "{not_found}");
}

/// The session store down: the 503 page still renders, with the municipality's chrome and the support box, and no
/// header user (it would need the store); nothing is proxied.
#[tokio::test(flavor = "multi_thread")]
async fn store_outage_page_renders_without_a_store_call() {
    let mut server = RedisServer::start();
    let assets = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let secrets = Arc::new(Secrets::generate());
    let redis = Arc::new(Redis::new(RedisSettings::standalone("127.0.0.1", server.port())));
    let stores = RedisStore::stores(redis, secrets.clone(), clock.clone());
    let env = Env::start(Opts {
        stores: Some((stores, secrets)),
        clock: Some(clock),
        extra: branding(assets.path()),
        ..Default::default()
    });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    server.stop();
    let r = browse(&c, &format!("{}/expense/x", env.http_url()), &cookie, &[("accept-language", "en")]).await;
    assert_eq!(r.status(), 503);
    let html = r.text().await.unwrap();
    assert!(html.contains("temporarily unavailable"), "{html}");
    assert!(html.contains("– Tromsø kommune</title>"), "{html}");
    assert_support(&html, "Mon–Fri 08:00–15:30", "503");
    assert!(!html.contains("action=\"/.portvakt/logout\""), "no header user without the store: {html}");
    assert!(!html.contains("svc1"), "nothing proxied: {html}");
}

/// A wrong password marks both fields invalid and points them at the error (`aria-invalid`, `aria-describedby`),
/// the error box takes the focus when the page opens, and the fields keep the autocomplete tokens password
/// managers use (no paste blocking: no `onpaste`, no `autocomplete="off"`); a wrong code marks the code field.
#[tokio::test(flavor = "multi_thread")]
async fn form_errors_are_tied_to_their_fields() {
    let smtp = SmtpServer::start();
    let env = Env::start(Opts { extra: email(&smtp), ..Default::default() });
    let base = env.http_url();
    let c = client_from(INTERNAL);
    let l = login(&c, &base, "anna", "wrong", "/", "portvakt", None).await;
    assert_eq!(l.status, 200);
    let html = l.body;
    assert!(html.contains("id=\"form-error\" tabindex=\"-1\" autofocus role=\"alert\">"), "{html}");
    for field in ["username", "password"] {
        let input = html.split(&format!("id=\"{field}\"")).nth(1).and_then(|i| i.split('>').next()).unwrap();
        assert!(input.contains("aria-invalid=\"true\" aria-describedby=\"form-error\""), "{field}: {input}");
    }
    assert!(html.contains("autocomplete=\"username\"") && html.contains("autocomplete=\"current-password\""));
    assert!(!html.contains("onpaste") && !html.contains("autocomplete=\"off\""), "{html}");
    let fresh = browse(&c, &format!("{base}/.portvakt/login"), "", &[]).await.text().await.unwrap();
    assert!(!fresh.contains("aria-invalid") && !fresh.contains("form-error"), "{fresh}");

    let remote = client_from(REMOTE);
    let l = login(&remote, &base, "anna", PASSWORD, "/self-service/", "portvakt", None).await;
    let cookie = l.cookie.unwrap();
    let page = browse(&remote, &format!("{base}{}", l.location.unwrap()), &cookie, &[]).await.text().await.unwrap();
    let (csrf, rd) = (hidden_field(&page, "csrf").unwrap(), hidden_field(&page, "rd").unwrap());
    let (result, page) =
        send_code(&remote, &base, &cookie, &[("csrf", &csrf), ("rd", &rd), ("channel", "email")]).await;
    assert_eq!(result, "sent", "{page}");
    assert!(page.contains("autocomplete=\"one-time-code\""), "{page}");
    let r = remote
        .post(format!("{base}/.portvakt/second-factor/verify"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("rd", rd.as_str()), ("code", "AAA-AAA")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let input = html.split("id=\"code\"").nth(1).and_then(|i| i.split('>').next()).unwrap();
    assert!(input.contains("aria-invalid=\"true\" aria-describedby=\"form-error code-help\""), "{input}");
    assert!(html.contains("id=\"form-error\""), "{html}");
}

/// `portvakt check` refuses, at FILE:LINE:COL, a primary colour that keeps white text readable but not links on a
/// notice, a footer link title in a language the pages do not have, and empty opening hours in one language.
#[test]
fn check_refuses_inaccessible_colour_and_bad_translations() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.toml"), "").unwrap();
    let text = "[[listeners]]\naddress = \"127.0.0.1:8080\"\nredirect_to_https = false\n\n[[directories]]\nname = \
                \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n[[services]]\nname = \"expense\"\nupstreams = \
                [\"127.0.0.1:9000\"]\n\n[store]\nkind = \"memory\"\n\n\
                [branding]\nprimary_color = \"#2f73b8\"\n\n\
                [[branding.footer_links]]\ntitle = \"Privacy\"\ntitles = { de = \"Datenschutz\" }\nurl = \"/privacy\"\n\n\
                [support]\nphone = \"+47 77 79 00 00\"\nhours_by_language = { nb = \" \" }\n";
    let cfg = dir.path().join("portvakt.toml");
    std::fs::write(&cfg, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let at = |line: usize, col: usize| format!("{}:{line}:{col}: ", cfg.display());
    let expect = [
        (at(18, 17), "has a contrast of 4.3:1 as link text on notices (#e8f1fb)"),
        (at(22, 17), "\"de\" is not a page language"),
        (at(27, 28), "hours must be 1 to 120 characters"),
    ];
    for (pos, words) in expect {
        assert!(stdout.lines().any(|l| l.starts_with(&pos) && l.contains(words)), "{pos}{words} in:\n{stdout}");
    }
}
