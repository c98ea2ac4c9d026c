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

/// Decodes the claims of a backend's assertion after verifying it against the gateway's JWKS for `aud`.
async fn verified_claims(env: &Env, c: &reqwest::Client, token: &str, aud: &str) -> serde_json::Value {
    let jwks: jsonwebtoken::jwk::JwkSet =
        c.get(format!("{}/.portvakt/jwks.json", env.http_url())).send().await.unwrap().json().await.unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut val = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    val.set_audience(&[aud]);
    val.set_issuer(&["https://portal.kommune.example"]);
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &val).unwrap().claims
}

/// Policies by realm and by institution in the running gateway. The teachers realm reads the institution from
/// slapd's `departmentNumber`; the admin realm gets it from the one `[[institutions]]` entry that lists it. Only
/// teachers of skola-nord open expense, only the admin realm opens signing. The backend gets the institution in
/// `X-Portvakt-Institution` and in the signed assertion; a client's own `X-Portvakt-Institution` never reaches it
/// and never changes a decision.
#[tokio::test(flavor = "multi_thread")]
async fn policies_by_realm_and_institution_reach_the_backend() {
    let slapd = Slapd::start();
    let dirs = format!(
        "{}\n{}",
        slapd.directory_toml("admin", "Administration", PEOPLE_ADMIN, ""),
        slapd.directory_toml(
            "teachers",
            "Pedagogical staff",
            PEOPLE_TEACHERS,
            "institution_attribute = \"departmentNumber\""
        )
    );
    let policy = r#"
[[rule]]
id = "expense-nord-teachers"
services = ["expense"]
effect = "allow"
realms = ["teachers"]
institutions = ["skola-nord"]

[[rule]]
id = "signing-admin"
services = ["signing"]
effect = "allow"
realms = ["admin"]

[[rule]]
id = "self-service-all"
services = ["self-service"]
effect = "allow"
"#;
    let extra = r#"
[[institutions]]
name = "kommune-adm"
title = "Kommunens administration"
directories = ["admin"]

[[institutions]]
name = "skola-nord"
title = "Skola Nord"

[[institutions]]
name = "skola-syd"
title = "Skola Syd"
"#;
    let env = Env::start(Opts {
        directories: Some(dirs),
        policies: Some(policy.into()),
        extra: extra.into(),
        ..Default::default()
    });
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let forged = [("x-portvakt-institution", "kommune-adm"), ("X-Portvakt-Realm", "admin")];

    let tove = login_realm(&c, &base, "tove", PASSWORD, "teachers").await.cookie.unwrap();
    let (s, v) = get_json(&c, &format!("{base}/expense/claims"), &tove, &forged).await;
    assert_eq!(s, 200, "{v}");
    let h = &v["headers"];
    assert_eq!(h["x-portvakt-institution"], serde_json::json!(["skola-nord"]), "only the gateway's value: {h}");
    assert!(h.get("x-portvakt-realm").is_none(), "{h}");
    let claims = verified_claims(&env, &c, h["x-portvakt-assertion"][0].as_str().unwrap(), "expense").await;
    assert_eq!(claims["institution"], "skola-nord");
    assert_eq!(claims["realm"], "teachers");
    assert_eq!(get_json(&c, &format!("{base}/signing/x"), &tove, &forged).await.0, 403, "not the admin realm");

    // kim of the teachers realm belongs to Skola-Syd (the attribute's value, lower-cased): no expense.
    let kim_t = login_realm(&c, &base, "kim", PASSWORD, "teachers").await.cookie.unwrap();
    assert_eq!(get_json(&c, &format!("{base}/expense/claims"), &kim_t, &forged).await.0, 403);
    let (s, v) = get_json(&c, &format!("{base}/self-service/"), &kim_t, &[]).await;
    assert_eq!(s, 200);
    assert_eq!(v["headers"]["x-portvakt-institution"][0], "skola-syd");

    // kim of the admin realm: the institution comes from [[institutions]] directories = ["admin"].
    let kim_a = login_realm(&c, &base, "kim", PASSWORD, "admin").await.cookie.unwrap();
    let (s, v) = get_json(&c, &format!("{base}/signing/x"), &kim_a, &[]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["headers"]["x-portvakt-institution"][0], "kommune-adm");
    let claims = verified_claims(&env, &c, v["headers"]["x-portvakt-assertion"][0].as_str().unwrap(), "signing").await;
    assert_eq!(claims["institution"], "kommune-adm");
    let forged_nord = [("x-portvakt-institution", "skola-nord")];
    assert_eq!(get_json(&c, &format!("{base}/expense/claims"), &kim_a, &forged_nord).await.0, 403);
    // The 403 page says no rule lets this account in (not a login problem).
    let r = browse(&c, &format!("{base}/expense/claims"), &kim_a, &[("accept-language", "en")]).await;
    assert_eq!(r.status(), 403);
}

/// `portvakt check` on a config with an LDAP `group_map`: a policy naming a group no mapping produces, an unknown
/// realm and an unknown institution are each a warning at FILE:LINE:COL (the config is valid: `ok`, exit 0);
/// the explain command takes `--realm` and `--institution` and decides by them.
#[test]
fn check_warns_on_unmapped_groups_realms_and_institutions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(d.join("ca.pem"), ca.cert.pem()).unwrap();
    std::fs::write(d.join("pw"), "secret\n").unwrap();
    std::fs::create_dir(d.join("policies")).unwrap();
    std::fs::write(
        d.join("policies/main.toml"),
        "[[rule]]\nid = \"payroll\"\nservices = [\"expense\"]\neffect = \"allow\"\ngroups = [\"payroll\", \"nurses\"]\nrealms = [\"staf\"]\ninstitutions = [\"skola-nord\", \"skola-vest\"]\n",
    )
    .unwrap();
    let cfg = d.join("portvakt.toml");
    std::fs::write(
        &cfg,
        r#"policies_dir = "policies"

[[listeners]]
address = "127.0.0.1:8080"
redirect_to_https = false

[[directories]]
name = "staff"
kind = "ldap"

[directories.ldap]
preset = "active-directory"
urls = ["ldaps://dc1.kommune.example"]
ca_file = "ca.pem"
bind_dn = "CN=svc,DC=kommune,DC=example"
bind_password_file = "pw"
base_dn = "DC=kommune,DC=example"
[directories.ldap.group_map]
"CN=Payroll,OU=Groups,DC=kommune,DC=example" = "payroll"

[[institutions]]
name = "skola-nord"

[[services]]
name = "expense"
title = "Expenses"
path_prefix = "/expense"
upstreams = ["127.0.0.1:9"]
"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let p = d.join("policies/main.toml").display().to_string();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            format!("{p}:5:22: warning: no directory or group_map produces group \"nurses\", so this entry never matches; the directories produce payroll"),
            format!("{p}:6:11: warning: unknown realm \"staf\", so this entry never matches; the directories are staff"),
            format!("{p}:7:31: warning: unknown institution \"skola-vest\", so this entry never matches; [[institutions]] lists skola-nord"),
            "ok".to_string(),
        ],
        "{stdout}"
    );
    let explain = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(["explain", "--config"])
            .arg(&cfg)
            .args(["--service", "expense", "--zone", "remote", "--user", "anna", "--groups", "payroll"])
            .args(["--methods", "password,sms"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = explain(&["--realm", "staff", "--institution", "skola-nord"]);
    assert_eq!(code, Some(3), "realm staff is not the rule's staf: {out}");
    assert!(out.contains("allows only users of realm staf; user anna logged in through realm staff"), "{out}");
    let (code, _, err) = explain(&["--realm", "teachers"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown realm \"teachers\"; known: staff"), "{err}");
}
