//! LDAP directories against a real OpenLDAP `slapd` (tests/it/common/ldap.rs) over LDAPS and StartTLS with a test
//! CA: login, wrong password and unknown user, filter injection, nested groups in policies, two realms, accounts
//! disabled during a session, and the directory going away and coming back.
//!
//! What slapd cannot emulate: Active Directory's `LDAP_MATCHING_RULE_IN_CHAIN` (1.2.840.113556.1.4.1941) and the
//! `data XXX` bind codes. Here nested groups are followed by Portvakt's own level-by-level group search (the
//! generic `nested_groups = true`); the AD preset's filters and bind codes are unit tests in `src/directory/ldap`.

use crate::common::ldap::Slapd;
use crate::common::*;
use std::time::Duration;

const PEOPLE_ADMIN: &str = "ou=admin,ou=people,dc=kommune,dc=example";
const PEOPLE_TEACHERS: &str = "ou=teachers,ou=people,dc=kommune,dc=example";

/// The policy: expense only for the payroll group (which anna reaches only through a nested group).
const PAYROLL_POLICY: &str = r#"
[[rule]]
id = "payroll-expense"
services = ["expense"]
effect = "allow"
groups = ["payroll"]

[[rule]]
id = "teachers-self-service"
services = ["self-service"]
effect = "allow"
groups = ["teachers", "admin-staff", "finance-staff"]
"#;

/// A gateway whose only realm is slapd's admin OU, with `extra` lines in its `[directories.ldap]`.
fn gateway(slapd: &Slapd, extra: &str, policies: Option<&str>) -> Env {
    Env::start(Opts {
        directories: Some(slapd.directory_toml("admin", "Administration", PEOPLE_ADMIN, extra)),
        policies: policies.map(str::to_string),
        ..Default::default()
    })
}

/// Logs in through the real form with a realm choice; returns the login result.
async fn login_realm(c: &reqwest::Client, base: &str, user: &str, password: &str, realm: &str) -> Login {
    let page = c.get(format!("{base}/.portvakt/login?rd=%2F")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf_cookie = set_cookie(page.headers(), "portvakt-csrf").expect("csrf cookie");
    let html = page.text().await.unwrap();
    let token = hidden_field(&html, "csrf").unwrap();
    let resp = c
        .post(format!("{base}/.portvakt/login"))
        .header("cookie", csrf_cookie)
        .header("accept-language", "en")
        .form(&[("csrf", token.as_str()), ("rd", "/"), ("username", user), ("password", password), ("realm", realm)])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let cookie = set_cookie(resp.headers(), "portvakt");
    let body = resp.text().await.unwrap();
    Login { status, location, cookie, body }
}

/// The alert paragraph of a page (the error shown to the user).
fn alert(html: &str) -> String {
    let start = html.find("role=\"alert\">").map(|i| i + 13).unwrap_or_else(|| panic!("no alert in {html}"));
    html[start..].split("</p>").next().unwrap().to_string()
}

const WRONG: &str = "The username or password is wrong";

/// The identity an echo backend received on the internal network.
async fn backend_identity(env: &Env, c: &reqwest::Client, cookie: &str, path: &str) -> (u16, serde_json::Value) {
    let (s, v) = get_json(c, &format!("{}{path}", env.http_url()), cookie, &[]).await;
    (s, v["headers"].clone())
}

/// Login over LDAPS with the test CA: the backend gets the uid, display name and nested groups, and the policy
/// engine lets anna into the service that only `payroll` (reached through finance-staff) may open.
#[tokio::test(flavor = "multi_thread")]
async fn ldaps_login_with_nested_groups_reaches_policy() {
    let slapd = Slapd::start();
    let env = gateway(&slapd, "", Some(PAYROLL_POLICY));
    let c = client_from(INTERNAL);
    let l = login_realm(&c, &env.http_url(), "Anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "{}", l.body);
    let cookie = l.cookie.unwrap();
    let (s, h) = backend_identity(&env, &c, &cookie, "/expense/claims").await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["x-portvakt-user"][0], "anna");
    assert_eq!(h["x-portvakt-groups"][0], "finance-staff,payroll");
    // kim is in admin-staff only: the payroll rule does not let them in.
    let kim = login_realm(&c, &env.http_url(), "kim", PASSWORD, "admin").await.cookie.unwrap();
    assert_eq!(backend_identity(&env, &c, &kim, "/expense/claims").await.0, 403);
    assert_eq!(backend_identity(&env, &c, &kim, "/self-service/").await.0, 200);
}

/// Login over `ldap://` upgraded with StartTLS (the CA checked, hostname verified) works the same; the e-mail
/// attribute is a login name too.
#[tokio::test(flavor = "multi_thread")]
async fn starttls_login_by_mail() {
    let slapd = Slapd::start();
    let dir = slapd
        .directory_toml("admin", "Administration", PEOPLE_ADMIN, "starttls = true")
        .replace(&slapd.ldaps_url(), &slapd.ldap_url());
    let env = Env::start(Opts { directories: Some(dir), ..Default::default() });
    let c = client_from(INTERNAL);
    let l = login_realm(&c, &env.http_url(), "anna@kommune.example", PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "{}", l.body);
    let (s, h) = backend_identity(&env, &c, &l.cookie.unwrap(), "/self-service/").await;
    assert_eq!(s, 200);
    assert_eq!(h["x-portvakt-user"][0], "anna");
}

/// A server certificate the configured CA did not sign is refused: the login is "cannot check", never a success.
#[tokio::test(flavor = "multi_thread")]
async fn untrusted_certificate_refused() {
    let slapd = Slapd::start();
    let other = rcgen::generate_simple_self_signed(vec!["other".into()]).unwrap();
    let ca = slapd.dir.path().join("other-ca.pem");
    std::fs::write(&ca, other.cert.pem()).unwrap();
    let dir = slapd
        .directory_toml("admin", "Administration", PEOPLE_ADMIN, "")
        .replace(&slapd.ca_file.display().to_string(), &ca.display().to_string());
    let env = Env::start(Opts { directories: Some(dir), ..Default::default() });
    let l = login_realm(&client_from(INTERNAL), &env.http_url(), "anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 503, "{}", l.body);
    assert!(l.cookie.is_none());
}

/// A wrong password and an unknown user get the same page; an empty password is refused without a bind.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_and_unknown_user_same_page() {
    let slapd = Slapd::start();
    let env = gateway(&slapd, "", None);
    let c = client_from(INTERNAL);
    let wrong = login_realm(&c, &env.http_url(), "anna", "not the password", "admin").await;
    let unknown = login_realm(&c, &env.http_url(), "nobody", PASSWORD, "admin").await;
    let empty = login_realm(&c, &env.http_url(), "anna", "", "admin").await;
    for l in [&wrong, &unknown, &empty] {
        assert_eq!(l.status, 200);
        assert!(l.cookie.is_none());
        assert!(alert(&l.body).starts_with(WRONG), "{}", l.body);
    }
    assert_eq!(alert(&wrong.body), alert(&unknown.body));
    assert_eq!(wrong.body.replace("value=\"anna\"", "value=\"nobody\"").len(), unknown.body.len());
}

/// Filter metacharacters typed as a username never match another account, even with that account's password:
/// `an*a` and `anna*` would match exactly anna if the `*` reached the filter, `anna)(cn=...` would add a term
/// matching only anna.
#[tokio::test(flavor = "multi_thread")]
async fn injection_never_matches_another_user() {
    let slapd = Slapd::start();
    let env = gateway(&slapd, "", None);
    let c = client_from(INTERNAL);
    for evil in [
        "anna*",
        "an*a",
        "*nna",
        "anna)(cn=Anna Lindqvist",
        "ann*",
        "*",
        "anna)(uid=*",
        "*)(uid=anna",
        "an\\6ena",
        "anna\0",
        "anna)(|(objectClass=*",
        "ånna*",
        "uid=anna,ou=admin,ou=people,dc=kommune,dc=example",
    ] {
        let l = login_realm(&c, &env.http_url(), evil, PASSWORD, "admin").await;
        assert!(l.cookie.is_none(), "{evil:?} logged in");
        assert_eq!(l.status, 200, "{evil:?}: {}", l.body);
        assert!(alert(&l.body).starts_with(WRONG), "{evil:?}: {}", l.body);
    }
    // The real user still works afterwards (no ban from the attempts above: they were another account each).
    assert_eq!(login_realm(&c, &env.http_url(), "anna", PASSWORD, "admin").await.status, 303);
}

/// Two realms over two OUs: kim exists in both and gets the account of the realm chosen on the login page, with
/// that realm's groups; tove exists only among teachers and cannot log in through the admin realm.
#[tokio::test(flavor = "multi_thread")]
async fn two_realms_resolved_by_choice() {
    let slapd = Slapd::start();
    let dirs = format!(
        "{}\n{}",
        slapd.directory_toml("admin", "Administration", PEOPLE_ADMIN, ""),
        slapd.directory_toml("teachers", "Pedagogical staff", PEOPLE_TEACHERS, "")
    );
    let env = Env::start(Opts { directories: Some(dirs), ..Default::default() });
    let c = client_from(INTERNAL);
    let page = c.get(format!("{}/.portvakt/login", env.http_url())).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Pedagogical staff") && page.contains("Administration"), "{page}");
    for (realm, groups, email_name) in [("admin", "admin-staff", "Kim Admin"), ("teachers", "teachers", "Kim Lärare")]
    {
        let l = login_realm(&c, &env.http_url(), "kim", PASSWORD, realm).await;
        assert_eq!(l.status, 303, "{realm}: {}", l.body);
        let (_, h) = backend_identity(&env, &c, &l.cookie.unwrap(), "/self-service/").await;
        assert_eq!(h["x-portvakt-groups"][0], groups, "{realm}");
        let claims = h["x-portvakt-assertion"][0].as_str().unwrap().split('.').nth(1).unwrap().to_string();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims).unwrap(),
        )
        .unwrap();
        assert_eq!(claims["realm"], realm);
        assert_eq!(claims["name"], email_name);
    }
    assert!(login_realm(&c, &env.http_url(), "tove", PASSWORD, "admin").await.cookie.is_none());
    assert_eq!(login_realm(&c, &env.http_url(), "tove", PASSWORD, "teachers").await.status, 303);
}

/// A user disabled in slapd keeps the session until the refresh interval passes (injected clock), then loses it
/// at the next request; a group change reaches the backend at the same refresh.
#[tokio::test(flavor = "multi_thread")]
async fn disabled_user_loses_session_after_refresh() {
    let slapd = Slapd::start();
    let env = gateway(&slapd, "refresh_interval = \"5m\"", None);
    let c = client_from(INTERNAL);
    let dave = login_realm(&c, &env.http_url(), "dave", PASSWORD, "admin").await.cookie.unwrap();
    let kim = login_realm(&c, &env.http_url(), "kim", PASSWORD, "admin").await.cookie.unwrap();
    assert_eq!(backend_identity(&env, &c, &dave, "/self-service/").await.0, 200);
    slapd.disable("dave", "admin");
    slapd.modify(&format!(
        "dn: cn=finance-staff,ou=groups,{}\nchangetype: modify\nadd: member\nmember: {}\n",
        crate::common::ldap::SUFFIX,
        crate::common::ldap::person_dn("kim", "admin")
    ));
    env.clock.advance(Duration::from_secs(4 * 60));
    assert_eq!(backend_identity(&env, &c, &dave, "/self-service/").await.0, 200, "checked only every 5 minutes");
    let (_, h) = backend_identity(&env, &c, &kim, "/self-service/").await;
    assert_eq!(h["x-portvakt-groups"][0], "admin-staff");
    env.clock.advance(Duration::from_secs(61));
    assert_eq!(
        backend_identity(&env, &c, &dave, "/self-service/").await.0,
        401,
        "the disabled account's session ended"
    );
    assert_eq!(backend_identity(&env, &c, &dave, "/self-service/").await.0, 401);
    let (s, h) = backend_identity(&env, &c, &kim, "/self-service/").await;
    assert_eq!(s, 200);
    assert_eq!(h["x-portvakt-groups"][0], "admin-staff,finance-staff,payroll");
    // And dave cannot log in again.
    assert!(login_realm(&c, &env.http_url(), "dave", PASSWORD, "admin").await.cookie.is_none());
}

/// slapd stopped: the login page says the password cannot be checked now (503, in the user's language) and nothing
/// is counted against the account, however often it is tried; slapd back: login works without a restart.
#[tokio::test(flavor = "multi_thread")]
async fn directory_down_is_not_a_wrong_password() {
    let mut slapd = Slapd::start();
    let env = Env::start(Opts {
        directories: Some(slapd.directory_toml("admin", "Administration", PEOPLE_ADMIN, "")),
        extra: "[login]\nmax_failures = 3\n".into(),
        ..Default::default()
    });
    let c = client_from(INTERNAL);
    // A pooled service connection exists before the outage.
    assert_eq!(login_realm(&c, &env.http_url(), "anna", PASSWORD, "admin").await.status, 303);
    slapd.stop();
    for _ in 0..5 {
        let l = login_realm(&c, &env.http_url(), "anna", PASSWORD, "admin").await;
        assert_eq!(l.status, 503, "{}", l.body);
        assert!(l.cookie.is_none());
        assert!(alert(&l.body).starts_with("We cannot check your password right now"), "{}", l.body);
    }
    // Swedish reader, same page in Swedish.
    let page = c.get(format!("{}/.portvakt/login", env.http_url())).send().await.unwrap();
    let csrf_cookie = set_cookie(page.headers(), "portvakt-csrf").unwrap();
    let token = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    let r = c
        .post(format!("{}/.portvakt/login", env.http_url()))
        .header("cookie", csrf_cookie)
        .header("accept-language", "sv")
        .form(&[
            ("csrf", token.as_str()),
            ("rd", "/"),
            ("username", "anna"),
            ("password", PASSWORD),
            ("realm", "admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("Vi kan inte kontrollera ditt lösenord just nu"));
    slapd.resume();
    // Five "cannot check" answers did not ban anna (max_failures = 3); the gateway reconnects by itself.
    let l = login_realm(&c, &env.http_url(), "anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "{}", l.body);
}

/// A session whose account must be re-checked while slapd is down gets a 503, not a logout; it works again when
/// slapd is back.
#[tokio::test(flavor = "multi_thread")]
async fn refresh_during_outage_is_503_not_logout() {
    let mut slapd = Slapd::start();
    let env = gateway(&slapd, "", None);
    let c = client_from(INTERNAL);
    let cookie = login_realm(&c, &env.http_url(), "anna", PASSWORD, "admin").await.cookie.unwrap();
    slapd.stop();
    env.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(backend_identity(&env, &c, &cookie, "/self-service/").await.0, 503);
    slapd.resume();
    assert_eq!(backend_identity(&env, &c, &cookie, "/self-service/").await.0, 200);
}
