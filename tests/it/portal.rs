//! Issue #16 points 4, 7 and 8 from the outside: the municipality's gateway (its name, logo, favicon, colour and
//! support), a logout a service can link to, a language switcher without JavaScript and a default language, a
//! group preselected by link or host with a hint after a failed login, a portal that lists only what the user
//! could open, and login by e-mail address.

use crate::common::*;
use std::path::Path;

/// A 1x1 PNG (its signature is what the gateway checks).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A browser's GET of a gateway page from the internal network, with extra headers.
async fn page(env: &Env, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = client_from(INTERNAL).get(format!("{}{path}", env.http_url())).header("accept", "text/html");
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

/// The `lang` attribute of a page.
fn lang_of(html: &str) -> &str {
    let start = html.find("<html lang=\"").map(|i| i + 12).unwrap_or(0);
    html.get(start..start + 2).unwrap_or("")
}

/// `GET /.portvakt/logout` (a link from a service) shows "Log out?" with the logout form instead of 405; the POST
/// ends the session and answers 303 to the logged-out page, so Back and reload never resend the form; without a
/// session the link shows the logged-out page.
#[tokio::test(flavor = "multi_thread")]
async fn logout_by_link_confirms_then_redirects_to_a_page() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let r = browse(&c, &format!("{base}/.portvakt/logout"), &cookie, &[]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Log out?"), "{html}");
    assert!(html.contains("action=\"/.portvakt/logout\""), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    assert_eq!(get_json(&c, &format!("{base}/expense/"), &cookie, &[]).await.0, 200, "the GET ended nothing");

    let out = c
        .post(format!("{base}/.portvakt/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert!(set_cookie_line(out.headers(), "portvakt").unwrap().contains("Max-Age=0"));
    let to = out.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, "/.portvakt/logged-out");
    let landed = browse(&c, &format!("{base}{to}"), "", &[]).await;
    assert_eq!(landed.status(), 200);
    assert!(landed.text().await.unwrap().contains("You are logged out"));
    assert_eq!(get_json(&c, &format!("{base}/expense/"), &cookie, &[]).await.0, 401, "the session is gone");

    let again = browse(&c, &format!("{base}/.portvakt/logout"), &cookie, &[]).await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("You are logged out"));
}

/// The language switcher is a plain link: it sets the language cookie and goes back to the page it was on (a path
/// on this host only; another origin goes to the portal); the chosen language beats Accept-Language afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn language_switch_sets_a_cookie_and_returns_to_the_same_origin_only() {
    let env = Env::start(Opts::default());
    let back = urlencode("/.portvakt/login?rd=%2Fexpense%2F");
    let r = page(&env, &format!("/.portvakt/language?lang=nn&rd={back}"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/.portvakt/login?rd=%2Fexpense%2F");
    let line = set_cookie_line(r.headers(), "portvakt-lang").expect("language cookie");
    assert!(line.starts_with("portvakt-lang=nn;"), "{line}");
    assert!(line.contains("Max-Age=") && line.contains("Path=/") && line.contains("SameSite=Lax"), "{line}");

    let html = page(&env, "/.portvakt/login", &[("cookie", "portvakt-lang=nn"), ("accept-language", "en")]).await;
    let html = html.text().await.unwrap();
    assert_eq!(lang_of(&html), "nn", "{html}");
    assert!(html.contains("Brukarnamn"), "{html}");

    for evil in ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""] {
        let r = page(&env, &format!("/.portvakt/language?lang=sv&rd={}", urlencode(evil)), &[]).await;
        assert_eq!(r.status(), 303, "{evil}");
        assert_eq!(r.headers()["location"], "/.portvakt/portal", "{evil}");
    }
    let r = page(&env, "/.portvakt/language?lang=de&rd=%2F", &[]).await;
    assert_eq!(r.status(), 400);
    assert!(set_cookie_line(r.headers(), "portvakt-lang").is_none());
}

/// With `[branding] default_language = "nb"` a German browser gets bokmål (not English); a browser asking for one
/// of our languages still gets it, and one asking for none gets the default.
#[tokio::test(flavor = "multi_thread")]
async fn default_language_is_configurable() {
    let env = Env::start(Opts { extra: "[branding]\ndefault_language = \"nb\"\n".into(), ..Default::default() });
    for (accept, want) in [(Some("de-DE, fr;q=0.8"), "nb"), (Some("da"), "da"), (None, "nb")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept-language", a)).into_iter().collect();
        let html = page(&env, "/.portvakt/login", &headers).await.text().await.unwrap();
        assert_eq!(lang_of(&html), want, "{accept:?}");
    }
}

/// The configured logo and Portvakt's own favicon are served with their content types, a year's caching for their
/// versioned URLs and a 304 for a browser that has them; the stylesheet carries the primary colour.
#[tokio::test(flavor = "multi_thread")]
async fn logo_favicon_and_colour_are_served() {
    let assets = tempfile::tempdir().unwrap();
    let logo = assets.path().join("logo.png");
    std::fs::write(&logo, PNG).unwrap();
    let extra =
        format!("[branding]\nname = \"Tromsø kommune\"\nlogo = \"{}\"\nprimary_color = \"#7A1F5C\"\n", logo.display());
    let env = Env::start(Opts { extra, ..Default::default() });
    let r = page(&env, "/.portvakt/static/logo?v=1", &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age=31536000"));
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let again = page(&env, "/.portvakt/static/logo?v=1", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status(), 304);

    let fav = page(&env, "/.portvakt/static/favicon", &[]).await;
    assert_eq!(fav.status(), 200);
    assert_eq!(fav.headers()["content-type"], "image/svg+xml");
    assert!(fav.text().await.unwrap().contains("<svg"));

    let css = page(&env, "/.portvakt/static/portvakt.css", &[]).await.text().await.unwrap();
    assert!(css.contains("--accent: #7a1f5c"), "{css}");
}

/// Writes a minimal valid config plus `extra` into `dir` and returns its path.
fn config_with(dir: &Path, extra: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("users.toml"), "").unwrap();
    let text = format!(
        "[[listeners]]\naddress = \"127.0.0.1:8080\"\nredirect_to_https = false\n\n[[directories]]\nname = \
         \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n[[services]]\nname = \"expense\"\nupstreams = \
         [\"127.0.0.1:9000\"]\n\n[store]\nkind = \"memory\"\n\n{extra}"
    );
    let p = dir.join("portvakt.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// `portvakt check` finds each bad `[branding]` and `[support]` value at FILE:LINE:COL with what to do: a primary
/// colour too light for white text, a logo that is not an image, an unknown language, a footer link that is not a
/// link, a support section with no way to reach support, a bad phone number.
#[test]
fn branding_and_support_errors_have_positions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("logo.png"), "not an image").unwrap();
    let extra = "[branding]\nprimary_color = \"#f5b700\"\nlogo = \"logo.png\"\ndefault_language = \"de\"\n\n\
                 [[branding.footer_links]]\ntitle = \"Privacy\"\nurl = \"javascript:alert(1)\"\n\n\
                 [support]\nhours = \"08-16\"\n";
    let cfg = config_with(dir.path(), extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let at = |line: usize, col: usize| format!("{}:{line}:{col}: ", cfg.display());
    let expect = [
        (at(18, 17), "contrast of 1.8:1 with the white text on it"),
        (at(19, 8), "is not a PNG, SVG, JPEG, WebP, GIF image"),
        (at(20, 20), "default_language \"de\" is not one of sv, nb, nn, da, en"),
        (at(24, 7), "is not an https:// or http:// URL or a path starting with /"),
        (at(26, 1), "[support] needs at least one of phone, email or url"),
    ];
    for (pos, words) in expect {
        assert!(stdout.lines().any(|l| l.starts_with(&pos) && l.contains(words)), "{pos}{words} in:\n{stdout}");
    }

    let good = "[branding]\nname = \"Tromsø kommune\"\nprimary_color = \"#0b5cad\"\ndefault_language = \"nn\"\n\n\
                [[branding.footer_links]]\ntitle = \"Personvern\"\nurl = \"https://tromso.kommune.no/personvern\"\n\n\
                [support]\nphone = \"+47 77 79 00 00\"\nemail = \"it@tromso.kommune.no\"\nhours = \"08–15.30\"\n";
    let cfg = config_with(dir.path(), good);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");

    let cfg = config_with(dir.path(), "[support]\nphone = \"call us\"\n");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{}phone \"call us\" is not a phone number", at(18, 9))), "{stdout}");
}

/// Two groups, the second preselected on the schools' host; the users file has anna (staff) and bjorn.
fn two_realms(login_by_email: bool) -> String {
    format!(
        "[[directories]]\nname = \"staff\"\ntitle = \"Other staff\"\nkind = \"file\"\npath = \"users.toml\"\n\
         login_by_email = {login_by_email}\n\n\
         [[directories]]\nname = \"schools\"\ntitle = \"Pedagogical staff\"\nkind = \"file\"\npath = \"users.toml\"\n\
         hosts = [\"skole.kommune.example\"]\n"
    )
}

/// Whether the login page's group choice has `realm` selected.
fn selected(html: &str, realm: &str) -> bool {
    html.contains(&format!("<option value=\"{realm}\" selected>"))
        || html.contains(&format!("<option value=\"{realm}\" selected=\"selected\">"))
}

/// `?realm=` preselects a group (an unknown one is ignored) and a directory's `hosts` preselect it on those hosts,
/// as the old per-group entry pages did.
#[tokio::test(flavor = "multi_thread")]
async fn realm_is_preselected_by_link_or_host() {
    let env = Env::start(Opts { directories: Some(two_realms(false)), ..Default::default() });
    let html = page(&env, "/.portvakt/login?realm=schools", &[]).await.text().await.unwrap();
    assert!(selected(&html, "schools") && !selected(&html, "staff"), "{html}");
    let html = page(&env, "/.portvakt/login?realm=nope", &[]).await.text().await.unwrap();
    assert!(!selected(&html, "schools"), "{html}");
    let html = page(&env, "/.portvakt/login", &[("host", "skole.kommune.example")]).await.text().await.unwrap();
    assert!(selected(&html, "schools"), "{html}");
    let html = page(&env, "/.portvakt/login?realm=staff", &[("host", "skole.kommune.example")]).await;
    assert!(selected(&html.text().await.unwrap(), "staff"), "the link wins over the host");
}

/// POSTs the login form with a realm; returns the status, Location and body.
async fn login_in(env: &Env, realm: &str, user: &str, password: &str) -> (u16, String, String) {
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let r = c.get(format!("{base}/.portvakt/login")).send().await.unwrap();
    let cookie = set_cookie(r.headers(), "portvakt-csrf").unwrap();
    let csrf = hidden_field(&r.text().await.unwrap(), "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("rd", "/"), ("realm", realm), ("username", user), ("password", password)];
    let r = c.post(format!("{base}/.portvakt/login")).header("cookie", cookie).form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    (status, location, r.text().await.unwrap())
}

/// With several groups every failed login says the same words, a wrong password as well as an unknown user, and
/// names the groups to check; with one group there is no such hint.
#[tokio::test(flavor = "multi_thread")]
async fn failed_login_hints_at_the_group_whatever_was_wrong() {
    let env = Env::start(Opts { directories: Some(two_realms(false)), ..Default::default() });
    let hint = "Check that you chose the right group: Other staff, Pedagogical staff.";
    let (_, _, wrong_password) = login_in(&env, "staff", "anna", "not it").await;
    let (_, _, unknown_user) = login_in(&env, "schools", "nobody", PASSWORD).await;
    for body in [&wrong_password, &unknown_user] {
        assert!(body.contains(hint), "{body}");
    }
    let message = |b: &str| b.split("role=\"alert\">").nth(1).and_then(|m| m.split("</p>").next()).map(str::to_string);
    assert!(message(&wrong_password).is_some());
    assert_eq!(message(&wrong_password), message(&unknown_user), "the same words whatever was wrong");

    let one = Env::start(Opts::default());
    let (_, _, body) = login_in(&one, "", "anna", "not it").await;
    assert!(body.contains("The username or password is wrong") && !body.contains("right group"), "{body}");
}

/// With `login_by_email = true` the municipal address logs in as its account (any letter case), and the backend
/// sees the username; where it is not enabled the same address is refused.
#[tokio::test(flavor = "multi_thread")]
async fn login_by_email_address_where_enabled() {
    let env = Env::start(Opts { directories: Some(two_realms(true)), ..Default::default() });
    let (status, location, body) = login_in(&env, "staff", "Anna@Kommune.Example", PASSWORD).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location, "/");
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna@kommune.example", PASSWORD, "/expense/", "portvakt", None).await;
    let (status, v) = get_json(&c, &format!("{}/expense/", env.http_url()), &cookie.cookie.unwrap(), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(v["headers"]["x-portvakt-user"][0], "anna");
    let (status, _, body) = login_in(&env, "schools", "anna@kommune.example", PASSWORD).await;
    assert_eq!(status, 200, "not enabled in schools");
    assert!(body.contains("The username or password is wrong"), "{body}");
}

/// Services the user could never open (no rule lets their groups in, from any zone, with any login) are left off
/// the portal by default; `show = "all"` lists one anyway with why it is closed; a service only closed by the hour
/// or only open from another zone is still listed.
#[tokio::test(flavor = "multi_thread")]
async fn portal_lists_only_reachable_services_by_default() {
    let policies = r#"
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
id = "signing-inside"
services = ["signing"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "intranet-payroll"
services = ["intranet"]
effect = "allow"
groups = ["payroll"]
"#;
    let extra = "[[services]]\nname = \"intranet\"\ntitle = \"Intranet\"\npath_prefix = \"/intranet\"\nupstreams = \
                 [\"127.0.0.1:9\"]\nshow = \"all\"\n";
    let env = Env::start(Opts { policies: Some(policies.into()), extra: extra.into(), ..Default::default() });
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let tiles = |html: &str| -> Vec<String> {
        html.split("<h2>").skip(1).filter_map(|t| t.split("</h2>").next()).map(str::to_string).collect()
    };
    let bjorn = login(&c, &base, "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let html = browse(&c, &format!("{base}/.portvakt/portal"), &bjorn, &[]).await.text().await.unwrap();
    assert_eq!(tiles(&html), ["Self-service", "Signing", "Intranet"], "{html}");
    let anna = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let html = browse(&c, &format!("{base}/.portvakt/portal"), &anna, &[]).await.text().await.unwrap();
    assert_eq!(tiles(&html), ["Self-service", "Expenses", "Signing", "Intranet"], "{html}");
}
