//! LDAP directories against a real OpenLDAP `slapd` (tests/it/common/ldap.rs) over LDAPS and StartTLS with a test
//! CA: login, wrong password and unknown user, filter injection, nested groups in policies, two realms, accounts
//! disabled during a session and at step-up, the directory going away and coming back, failover across several
//! URLs, eID linking by slapd's `mail`, SMS codes to slapd's `mobile`, policies by realm and institution, group
//! names percent-encoded in `X-Portvakt-Groups`, and eID logins from the last-known entry while slapd is down.
//!
//! What slapd cannot emulate: Active Directory's `data XXX` bind diagnostics and its matching rules
//! (`LDAP_MATCHING_RULE_IN_CHAIN`, `…_BIT_AND`). Those run against a small stand-in domain controller
//! (tests/it/common/ad.rs) that speaks real LDAPv3 and answers binds with AD's recorded diagnostic strings, with the
//! AD preset's own filters; slapd's ppolicy overlay was not used, as its lockout and expiry answers are not AD's
//! and the gateway reads AD's codes. Against slapd, nested groups are followed by Portvakt's own level-by-level
//! group search (`nested_groups = true`).

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

/// A slapd group whose name has a comma, a space and a non-ASCII letter ("Lön, ekonomi") reaches the backend
/// percent-encoded in `X-Portvakt-Groups` (`l%C3%B6n%2C%20ekonomi`: names are lower-cased as every directory group
/// name is), so the comma-separated list still splits into the real groups; plain ASCII names are unchanged, the
/// signed assertion carries the raw UTF-8 name, and a client's own `X-Portvakt-Groups` never reaches the backend.
#[tokio::test(flavor = "multi_thread")]
async fn group_names_are_percent_encoded_in_the_groups_header() {
    use base64::Engine;
    let slapd = Slapd::start();
    let dn = format!("cn=Lön\\, ekonomi,ou=groups,{}", crate::common::ldap::SUFFIX);
    let b64 = base64::engine::general_purpose::STANDARD;
    slapd.modify(&format!(
        "dn:: {}\nchangetype: add\nobjectClass: groupOfNames\ncn:: {}\nmember: {}\n",
        b64.encode(&dn),
        b64.encode("Lön, ekonomi"),
        crate::common::ldap::person_dn("anna", "admin")
    ));
    let env = gateway(&slapd, "", Some(PAYROLL_POLICY));
    let c = client_from(INTERNAL);
    let cookie = login_realm(&c, &env.http_url(), "anna", PASSWORD, "admin").await.cookie.unwrap();
    let (s, v) = get_json(
        &c,
        &format!("{}/expense/claims", env.http_url()),
        &cookie,
        &[("x-portvakt-groups", "admins"), ("X_Portvakt_Groups", "admins")],
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let h = &v["headers"];
    assert_eq!(h["x-portvakt-groups"], serde_json::json!(["finance-staff,l%C3%B6n%2C%20ekonomi,payroll"]), "{h}");
    assert!(h.get("x_portvakt_groups").is_none(), "{h}");
    let claims = verified_claims(&env, &c, h["x-portvakt-assertion"][0].as_str().unwrap(), "expense").await;
    assert_eq!(claims["groups"], serde_json::json!(["finance-staff", "lön, ekonomi", "payroll"]));
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

[store]
kind = "memory"

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

/// Several server URLs: with the first server stopped, logins go to the second; with the second stopped and the
/// first back, to the first (pooled connections to the dead server are replaced, no restart); with both stopped
/// the "cannot check" page; when one comes back, logins work again.
#[tokio::test(flavor = "multi_thread")]
async fn failover_between_servers_and_recovery() {
    let mut first = Slapd::start();
    let mut second = Slapd::start();
    // One CA file trusting both servers' test CAs.
    let ca = second.dir.path().join("both-cas.pem");
    let pems = format!(
        "{}{}",
        std::fs::read_to_string(&first.ca_file).unwrap(),
        std::fs::read_to_string(&second.ca_file).unwrap()
    );
    std::fs::write(&ca, pems).unwrap();
    let dir = first
        .directory_toml("admin", "Administration", PEOPLE_ADMIN, "")
        .replace(
            &format!("urls = [\"{}\"]", first.ldaps_url()),
            &format!("urls = [\"{}\", \"{}\"]", first.ldaps_url(), second.ldaps_url()),
        )
        .replace(&first.ca_file.display().to_string(), &ca.display().to_string());
    assert!(dir.contains(&second.ldaps_url()), "{dir}");
    let env = Env::start(Opts { directories: Some(dir), ..Default::default() });
    let c = client_from(INTERNAL);
    let base = env.http_url();

    first.stop();
    let l = login_realm(&c, &base, "anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "the second server answers while the first is down: {}", l.body);
    // Tell the servers apart: a change made only on the second one shows in the backend's groups.
    second.modify(&format!(
        "dn: cn=admin-staff,ou=groups,{}\nchangetype: modify\nadd: member\nmember: {}\n",
        crate::common::ldap::SUFFIX,
        crate::common::ldap::person_dn("anna", "admin")
    ));
    let anna = login_realm(&c, &base, "anna", PASSWORD, "admin").await.cookie.unwrap();
    let (_, h) = backend_identity(&env, &c, &anna, "/self-service/").await;
    assert_eq!(h["x-portvakt-groups"][0], "admin-staff,finance-staff,payroll", "answered by the second server");

    first.resume();
    second.stop();
    let l = login_realm(&c, &base, "anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "back on the first server after the second went away: {}", l.body);
    let (_, h) = backend_identity(&env, &c, &l.cookie.unwrap(), "/self-service/").await;
    assert_eq!(h["x-portvakt-groups"][0], "finance-staff,payroll", "answered by the first server");

    first.stop();
    let l = login_realm(&c, &base, "anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 503, "{}", l.body);
    assert!(alert(&l.body).starts_with("We cannot check your password right now"), "{}", l.body);

    second.resume();
    let l = login_realm(&c, &base, "anna", PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "recovered without a restart: {}", l.body);
}

/// eID linking against slapd: the first eID login asks for the municipal address; the account is found by slapd's
/// `mail` attribute (any letter case), the link code goes to that address over real SMTP, and the code logs the
/// slapd account in with its directory groups. An address slapd does not have, and one that two slapd accounts
/// share, send no code.
#[tokio::test(flavor = "multi_thread")]
async fn eid_linking_by_an_address_found_in_slapd() {
    use crate::common::oidc::{OpClient, TestOp, LOA_HIGH};
    use crate::eid::{code_in, location, Browser};
    let slapd = Slapd::start();
    // dave and bjorn share an address: linking by it would be a guess.
    for uid in ["dave", "bjorn"] {
        slapd.modify(&format!(
            "dn: {}\nchangetype: modify\nreplace: mail\nmail: delt@kommune.example\n",
            crate::common::ldap::person_dn(uid, "admin")
        ));
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let op = TestOp::start_with(
        vec![OpClient::basic("portvakt", "klient-hemlighet", &format!("{base}/.portvakt/eid/callback"))],
        Default::default(),
    );
    let smtp = crate::common::smtp::SmtpServer::start();
    let extra = format!(
        "{}\n[[institutions]]\nname = \"kommune\"\nemail_domains = [\"kommune.example\"]\ndirectories = [\"admin\"]\n\n{}",
        smtp.email_toml(),
        op.idporten_toml("ID-porten")
    );
    let _env = Env::start(Opts {
        http_port: Some(port),
        server_extra: format!("public_url = \"{base}\""),
        directories: Some(slapd.directory_toml("admin", "Administration", PEOPLE_ADMIN, "")),
        policies: Some(format!(
            "{PAYROLL_POLICY}\n[[rule]]\nid = \"link-at-work\"\nservices = [\"account.eid-link\"]\neffect = \"allow\"\nzones = [\"internal\"]\n"
        )),
        extra,
        ..Default::default()
    });
    let mut b = Browser::from(INTERNAL);
    let r = b.get(&format!("{base}/.portvakt/eid/start?provider=idporten&rd=%2Fexpense%2Fclaims")).await;
    assert_eq!(r.status(), 302);
    let back = op.browser(INTERNAL).authorize(&location(&r), "12089912345", LOA_HIGH).await;
    let r = b.get(&back.callback).await;
    let to = location(&r);
    assert_eq!(to, "/.portvakt/eid/link", "{} {}", r.status(), r.text().await.unwrap());
    let html = b.get(&format!("{base}/.portvakt/eid/link")).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let link = format!("{base}/.portvakt/eid/link");

    for unknown in ["nobody@kommune.example", "delt@kommune.example"] {
        let r = b.post(&link, &[("csrf", &csrf), ("email", unknown)]).await;
        assert_eq!(r.status(), 400, "{unknown}");
        assert!(r.text().await.unwrap().contains(&format!("No account has the address {unknown}")), "{unknown}");
    }
    assert!(smtp.messages().is_empty(), "no code for an address slapd lacks or two accounts share");

    let r = b.post(&link, &[("csrf", &csrf), ("email", "Anna@Kommune.Example")]).await;
    assert_eq!(r.status(), 303);
    let mail = smtp.wait_for(1, Duration::from_secs(10)).remove(0);
    assert_eq!(mail.to, "anna@kommune.example", "slapd's address for anna");
    let r = b.post(&link, &[("csrf", &csrf), ("code", &code_in(&mail.body))]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/expense/claims");
    let (status, echo) = get_json(&b.http, &format!("{base}/expense/claims"), &b.cookie_header(), &[]).await;
    assert_eq!(status, 200, "payroll (a nested slapd group) opens expense: {echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
    assert_eq!(echo["headers"]["x-portvakt-groups"][0], "finance-staff,payroll");
    // The next eID login needs no link step: the slapd account is found by the stored link.
    let mut again = Browser::from(REMOTE);
    let r = again.get(&format!("{base}/.portvakt/eid/start?provider=idporten&rd=%2Fself-service%2F")).await;
    let back = op.browser(REMOTE).authorize(&location(&r), "12089912345", LOA_HIGH).await;
    let r = again.get(&back.callback).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (status, echo) = get_json(&again.http, &format!("{base}/self-service/"), &again.cookie_header(), &[]).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
}

/// A slapd realm for SMS tests: numbers from the `mobile` attribute, the payroll policy, and number
/// registration from the internal network.
fn sms_gateway(slapd: &Slapd, sms: &crate::common::sms_provider::Elks46Server) -> Env {
    let policies = format!(
        "{PAYROLL_POLICY}\n[[rule]]\nid = \"phones-at-work\"\nservices = [\"account.phones\"]\neffect = \"allow\"\nzones = [\"internal\"]\n"
    );
    Env::start(Opts {
        directories: Some(slapd.directory_toml("admin", "Administration", PEOPLE_ADMIN, "phone_attribute = \"mobile\"")),
        policies: Some(policies),
        extra: format!(
            "[sms]\nkind = \"46elks\"\napi_url = \"{}\"\nusername = \"elks-user\"\npassword = \"elks-pass\"\nfrom = \"Kommunen\"\ntimeout = \"2s\"\n",
            sms.url
        ),
        ..Default::default()
    })
}

/// POSTs a form with a cookie; returns (status, location, new session cookie, body).
async fn post_form(
    c: &reqwest::Client,
    url: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Option<String>, String) {
    let r = c.post(url).header("cookie", cookie).header("accept-language", "en").form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let loc = r.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let ck = set_cookie(r.headers(), "portvakt");
    (status, loc, ck, r.text().await.unwrap())
}

/// A remote password login against slapd up to a sent SMS code: returns the password-only cookie, the step's
/// CSRF token and the code the SMS stand-in received for `number`.
async fn remote_login_to_sms(
    env: &Env,
    sms: &crate::common::sms_provider::Elks46Server,
    user: &str,
    masked: &str,
    number: &str,
) -> (String, String, String) {
    let c = client_from(REMOTE);
    let base = env.http_url();
    let l = login_realm(&c, &base, user, PASSWORD, "admin").await;
    assert_eq!(l.status, 303, "{}", l.body);
    assert_eq!(l.location.as_deref(), Some("/.portvakt/second-factor?rd=%2F"), "remote needs two factors");
    let cookie = l.cookie.unwrap();
    let page = browse(&c, &format!("{base}/.portvakt/second-factor?rd=%2F"), &cookie, &[]).await.text().await.unwrap();
    assert!(page.contains(masked), "{user}'s number offered: {page}");
    let csrf = hidden_field(&page, "csrf").unwrap();
    let before = sms.messages().len();
    let (s, body) = send_code(&c, &base, &cookie, &[("csrf", &csrf), ("channel", "sms:0"), ("rd", "/")]).await;
    assert_eq!(s, "sent", "{body}");
    let mut sent = None;
    for _ in 0..100 {
        if let Some(m) = sms.messages().get(before) {
            sent = Some(m.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = sent.expect("an SMS arrived at the stand-in");
    assert_eq!(sent.to, number);
    (cookie, csrf, crate::second_factor::code_in(&sent.message))
}

/// A remote login with a slapd password and an SMS code, end to end through the 46elks stand-in: anna's code goes
/// to the `mobile` number in slapd (national spelling, normalised); kim, who has none there, registers a number at
/// work (the account page checks the password against slapd) and gets the code there. Both reach the backend with
/// `password,sms` and their slapd groups.
#[tokio::test(flavor = "multi_thread")]
async fn remote_login_with_slapd_password_and_sms_code() {
    let slapd = Slapd::start();
    let sms = crate::common::sms_provider::Elks46Server::start("elks-user", "elks-pass");
    let env = sms_gateway(&slapd, &sms);
    let c = client_from(REMOTE);
    let base = env.http_url();

    let (cookie, csrf, code) = remote_login_to_sms(&env, &sms, "anna", "070•••43 21", "+46707654321").await;
    let (s, loc, stepped, body) = post_form(
        &c,
        &format!("{base}/.portvakt/second-factor/verify"),
        &cookie,
        &[("csrf", &csrf), ("code", &code), ("rd", "/expense/claims")],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    assert_eq!(loc.as_deref(), Some("/expense/claims"));
    let (s, v) = get_json(&c, &format!("{base}/expense/claims"), &stepped.unwrap(), &[]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["headers"]["x-portvakt-user"][0], "anna");
    assert_eq!(v["headers"]["x-portvakt-methods"][0], "password,sms");
    assert_eq!(v["headers"]["x-portvakt-zone"][0], "remote");
    assert_eq!(v["headers"]["x-portvakt-groups"][0], "finance-staff,payroll");

    // kim has no number in slapd: nothing to send to from home until one is registered at work.
    let work = client_from(INTERNAL);
    let kim = login_realm(&work, &base, "kim", PASSWORD, "admin").await.cookie.unwrap();
    let html = browse(&work, &format!("{base}/.portvakt/account"), &kim, &[]).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let (s, _, _, body) = post_form(
        &work,
        &format!("{base}/.portvakt/account/phones"),
        &kim,
        &[("csrf", &csrf), ("password", PASSWORD), ("phone1", "070-111 22 33")],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let (cookie, csrf, code) = remote_login_to_sms(&env, &sms, "kim", "070•••22 33", "+46701112233").await;
    let (s, _, stepped, body) = post_form(
        &c,
        &format!("{base}/.portvakt/second-factor/verify"),
        &cookie,
        &[("csrf", &csrf), ("code", &code), ("rd", "/self-service/")],
    )
    .await;
    assert_eq!(s, 303, "{body}");
    let (s, v) = get_json(&c, &format!("{base}/self-service/"), &stepped.unwrap(), &[]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["headers"]["x-portvakt-user"][0], "kim");
    assert_eq!(v["headers"]["x-portvakt-methods"][0], "password,sms");
}

/// Step-up checks the account in slapd again, whatever the refresh interval says (the clock does not move here):
/// dave, disabled between the password and the code, is sent to the login page by his right code and his session
/// is over; anna, removed from finance-staff (and so from payroll) in between, steps up but is refused expense
/// with a 403 page.
#[tokio::test(flavor = "multi_thread")]
async fn step_up_rechecks_the_directory() {
    let slapd = Slapd::start();
    let sms = crate::common::sms_provider::Elks46Server::start("elks-user", "elks-pass");
    let env = sms_gateway(&slapd, &sms);
    let c = client_from(REMOTE);
    let base = env.http_url();
    let verify = format!("{base}/.portvakt/second-factor/verify");

    let (cookie, csrf, code) = remote_login_to_sms(&env, &sms, "dave", "+47 4•••45 67", "+4741234567").await;
    slapd.disable("dave", "admin");
    let (s, loc, stepped, _) = post_form(&c, &verify, &cookie, &[("csrf", &csrf), ("code", &code), ("rd", "/")]).await;
    assert_eq!(s, 303);
    assert!(loc.as_deref().unwrap_or_default().starts_with("/.portvakt/login"), "{loc:?}");
    assert!(stepped.is_none(), "no stepped-up session for a disabled account");
    assert_eq!(get_json(&c, &format!("{base}/self-service/"), &cookie, &[]).await.0, 401, "the session ended");

    let (cookie, csrf, code) = remote_login_to_sms(&env, &sms, "anna", "070•••43 21", "+46707654321").await;
    // groupOfNames needs a member: bjorn takes anna's place.
    slapd.modify(&format!(
        "dn: cn=finance-staff,ou=groups,{}\nchangetype: modify\nadd: member\nmember: {}\n-\ndelete: member\nmember: {}\n",
        crate::common::ldap::SUFFIX,
        crate::common::ldap::person_dn("bjorn", "admin"),
        crate::common::ldap::person_dn("anna", "admin")
    ));
    let (s, _, stepped, body) =
        post_form(&c, &verify, &cookie, &[("csrf", &csrf), ("code", &code), ("rd", "/expense/claims")]).await;
    assert_eq!(s, 303, "{body}");
    let stepped = stepped.unwrap();
    let r = browse(&c, &format!("{base}/expense/claims"), &stepped, &[("accept-language", "en")]).await;
    assert_eq!(r.status(), 403, "groups were read again at step-up");
    let page = r.text().await.unwrap();
    assert!(page.contains("<h1>"), "a page that says why: {page}");
}

/// Active Directory's refusal pages end to end, against the stand-in domain controller in tests/it/common/ad.rs
/// (real LDAPv3 over TCP, AD's recorded `data XXX` diagnostics; slapd cannot send these). Realm `ad` uses the AD
/// preset as shipped: its user filter finds accounts with ACCOUNTDISABLE set and refuses them by their
/// `userAccountControl`, after a right password only (a wrong one is AD's 52e, the normal page). Each page: 773
/// and 532 say the password must be changed, with the configured link, and count nothing; 533 and 701 say disabled
/// or expired (also for an account whose bind AD would accept but whose flag says disabled); 775 says locked; 52e
/// is the normal wrong-password page. Nested groups arrive through AD's in-chain rule.
#[tokio::test(flavor = "multi_thread")]
async fn active_directory_refusal_pages() {
    use crate::common::ad::{group_dn, user_dn, AccountState, AdServer, AdUser};
    let user = |sam: &str, state: AccountState, uac_disabled: bool| AdUser {
        sam: sam.into(),
        display_name: format!("{sam} Testsson"),
        password: PASSWORD.into(),
        state,
        uac_disabled,
    };
    let ad = AdServer::start(
        vec![
            user("ok.user", AccountState::Normal, false),
            user("must.change", AccountState::MustChange, false),
            user("pw.expired", AccountState::PasswordExpired, false),
            user("acct.expired", AccountState::AccountExpired, false),
            user("locked.out", AccountState::Locked, false),
            user("uac.disabled", AccountState::Disabled, true),
            user("flag.only", AccountState::Normal, true),
        ],
        &[("Lon", vec![group_dn("Ekonomi")]), ("Ekonomi", vec![user_dn("ok.user")])],
    );
    let pw_dir = tempfile::tempdir().unwrap();
    let pw = pw_dir.path().join("ad-pw");
    std::fs::write(&pw, format!("{}\n", crate::common::ad::SERVICE_PW)).unwrap();
    let change = "password_change_url = \"https://passord.kommune.example/change\"\n";
    let map = format!(
        "[directories.ldap.group_map]\n\"{}\" = \"payroll\"\n\"{}\" = \"finance-staff\"\n",
        group_dn("Lon"),
        group_dn("Ekonomi")
    );
    let dirs = format!(
        "{}{map}\n{}",
        ad.directory_toml("ad", &pw, change),
        ad.directory_toml(
            "ad-all",
            &pw,
            &format!("{change}user_filter = \"(&(objectCategory=person)(objectClass=user))\"\n")
        )
        .replace("title = \"Active Directory\"", "title = \"Active Directory (all accounts)\""),
    );
    let env =
        Env::start(Opts { directories: Some(dirs), extra: "[login]\nmax_failures = 3\n".into(), ..Default::default() });
    let c = client_from(INTERNAL);
    let base = env.http_url();

    // A normal login: sAMAccountName, in-chain nested groups mapped to policy names.
    let l = login_realm(&c, &base, "OK.User", PASSWORD, "ad").await;
    assert_eq!(l.status, 303, "{}", l.body);
    let (_, h) = backend_identity(&env, &c, &l.cookie.unwrap(), "/self-service/").await;
    assert_eq!(h["x-portvakt-user"][0], "ok.user");
    assert_eq!(h["x-portvakt-groups"][0], "finance-staff,payroll");

    const MUST_CHANGE: &str = "Your password is correct, but it must be changed before you can log in.";
    const LINK: &str = "<a href=\"https://passord.kommune.example/change\">Change your password</a>";
    const DISABLED: &str = "Your account is disabled or has expired. Contact IT support.";
    const LOCKED: &str = "Your account is locked after too many wrong passwords.";
    for (who, realm, want) in [
        ("must.change", "ad", MUST_CHANGE),
        ("pw.expired", "ad", MUST_CHANGE),
        ("acct.expired", "ad", DISABLED),
        ("uac.disabled", "ad-all", DISABLED),
        ("uac.disabled", "ad", DISABLED),
        ("flag.only", "ad", DISABLED),
        ("locked.out", "ad", LOCKED),
    ] {
        let l = login_realm(&c, &base, who, PASSWORD, realm).await;
        assert!(l.cookie.is_none(), "{who}");
        assert_eq!(l.status, 200, "{who}: {}", l.body);
        let a = alert(&l.body);
        assert!(a.starts_with(want), "{who}: {a}");
        assert_eq!(a.contains(LINK), want == MUST_CHANGE, "{who}: the change link only where a change helps: {a}");
    }
    // Locked answers 775 whatever the password; 52e is the normal wrong-password page.
    assert!(alert(&login_realm(&c, &base, "locked.out", "guess", "ad").await.body).starts_with(LOCKED));
    let wrong = login_realm(&c, &base, "ok.user", "not the password", "ad").await;
    assert!(alert(&wrong.body).starts_with(WRONG), "{}", wrong.body);
    // A disabled account with a wrong password: the normal wrong-password page (its state is not told to a guess).
    for who in ["uac.disabled", "flag.only"] {
        let guess = login_realm(&c, &base, who, "guess", "ad").await;
        assert!(alert(&guess.body).starts_with(WRONG), "{who}: {}", guess.body);
    }
    // "Must change" comes after a right password and is not counted (max_failures = 3): five in a row, then the
    // account is still not banned, as the page still says "must change" rather than "too many attempts".
    for _ in 0..5 {
        let l = login_realm(&c, &base, "must.change", PASSWORD, "ad").await;
        assert!(alert(&l.body).starts_with(MUST_CHANGE), "{}", l.body);
    }
}

/// An eID login through the provider for `pid`, ending at the gateway's answer to the callback.
async fn eid_as(e: &crate::eid::EidEnv, b: &mut crate::eid::Browser, source: &str, pid: &str) -> reqwest::Response {
    let url = e.begin(b, "/self-service/").await;
    let back = e.op.browser(source).authorize(&url, pid, crate::common::oidc::LOA_SUBSTANTIAL).await;
    b.get(&back.callback).await
}

/// The Active Directory preset refuses disabled accounts by `userAccountControl` (ACCOUNTDISABLE) without a
/// password too: an eID linked to a disabled account gets the "account disabled" page (403), linking an eID by the
/// e-mail address of a disabled account is refused with the same page and sends no code, and a session whose account
/// is disabled in AD meanwhile ends at the first request after the refresh interval (injected clock).
#[tokio::test(flavor = "multi_thread")]
async fn active_directory_disabled_accounts_without_a_password() {
    use crate::common::ad::{AccountState, AdServer, AdUser};
    use crate::eid::{Browser, Setup, PID};
    const DISABLED: &str = "Your account is disabled or has expired. Contact IT support.";
    const OFF_PID: &str = "01017012345";
    let user = |sam: &str, disabled: bool| AdUser {
        sam: sam.into(),
        display_name: format!("{sam} Testsson"),
        password: PASSWORD.into(),
        state: if disabled { AccountState::Disabled } else { AccountState::Normal },
        uac_disabled: disabled,
    };
    let ad = AdServer::start(vec![user("anna", false), user("off", true)], &[]);
    let ad_port = ad.port;
    let pw_dir = tempfile::tempdir().unwrap();
    let pw = pw_dir.path().join("ad-pw");
    std::fs::write(&pw, format!("{}\n", crate::common::ad::SERVICE_PW)).unwrap();
    let accounts = format!(
        r#"{{"ad:anna": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}},
            "ad:off": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{OFF_PID}", "linked_at": 1795420800000}}}}}}"#
    );
    let e = crate::eid::start(Setup {
        directories: Some(ad.directory_toml("ad", &pw, "")),
        accounts: Some(accounts),
        ..Default::default()
    });
    // A linked eID of a disabled account.
    let mut b = Browser::from(INTERNAL);
    let r = eid_as(&e, &mut b, INTERNAL, OFF_PID).await;
    assert_eq!(r.status(), 403);
    assert!(b.cookie("portvakt").is_none());
    assert!(r.text().await.unwrap().contains(DISABLED));
    // Linking a new eID by the disabled account's address.
    let mut b = Browser::from(INTERNAL);
    let r = eid_as(&e, &mut b, INTERNAL, "24048812345").await;
    assert_eq!(crate::eid::location(&r), "/.portvakt/eid/link");
    let link = format!("{}/.portvakt/eid/link", e.base);
    let csrf = hidden_field(&b.get(&link).await.text().await.unwrap(), "csrf").unwrap();
    let r = b.post(&link, &[("csrf", &csrf), ("email", "off@kommune.example")]).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains(DISABLED));
    assert!(e.smtp.messages().is_empty(), "no link code for a disabled account");
    // anna logs in by eID; AD then disables her: the session ends after the refresh interval.
    let mut b = Browser::from(INTERNAL);
    assert_eq!(eid_as(&e, &mut b, INTERNAL, PID).await.status(), 303);
    let url = format!("{}/self-service/", e.base);
    assert_eq!(get_json(&b.http, &url, &b.cookie_header(), &[]).await.0, 200);
    drop(ad);
    let _ad = AdServer::start_on(ad_port, vec![user("anna", true), user("off", true)], &[]);
    e.env.clock.advance(Duration::from_secs(4 * 60));
    assert_eq!(get_json(&b.http, &url, &b.cookie_header(), &[]).await.0, 200, "checked only every 5 minutes");
    e.env.clock.advance(Duration::from_secs(61));
    assert_eq!(get_json(&b.http, &url, &b.cookie_header(), &[]).await.0, 401, "the disabled account's session ended");
}

/// eID while the directory is down: each directory read of an account keeps its last-known entry. With slapd
/// stopped, an eID login of a linked account uses that entry within `outage_grace` (its groups reach the backend,
/// the audit trail says `directory_unavailable` and `from_snapshot`), and its session keeps working during the
/// outage; once slapd answers, the next refresh (at most 30 s later, injected clock) applies the directory's current
/// groups, and a session from an entry of an account disabled meanwhile ends. After the grace (injected clock) the
/// eID login is the 503 page again, and a password login during the outage always is.
#[tokio::test(flavor = "multi_thread")]
async fn eid_during_a_directory_outage_uses_the_last_known_entry() {
    use crate::eid::{Browser, Setup, PID};
    let mut slapd = Slapd::start();
    let accounts = format!(
        r#"{{"admin:anna": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
    );
    let dirs = slapd
        .directory_toml("admin", "Administration", PEOPLE_ADMIN, "")
        .replace("kind = \"ldap\"\n", "kind = \"ldap\"\noutage_grace = \"1h\"\n");
    let e = crate::eid::start(Setup {
        directories: Some(dirs),
        accounts: Some(accounts),
        id_token_ttl_secs: Some(4 * 3600),
        extra: "[audit]\nfile = \"audit.jsonl\"\n".into(),
        ..Default::default()
    });
    let audit = e.env.dir.path().join("audit.jsonl");
    let url = format!("{}/self-service/", e.base);
    let groups = |v: &serde_json::Value| v["headers"]["x-portvakt-groups"][0].as_str().unwrap_or("").to_string();
    // The directory answers: the entry is kept. Then anna gets one more group, unseen until slapd answers again.
    let mut first = Browser::from(INTERNAL);
    assert_eq!(eid_as(&e, &mut first, INTERNAL, PID).await.status(), 303);
    slapd.modify(&format!(
        "dn: cn=admin-staff,ou=groups,{}\nchangetype: modify\nadd: member\nmember: {}\n",
        crate::common::ldap::SUFFIX,
        crate::common::ldap::person_dn("anna", "admin")
    ));
    slapd.stop();

    let mut b = Browser::from(INTERNAL);
    let r = eid_as(&e, &mut b, INTERNAL, PID).await;
    assert_eq!(r.status(), 303, "eID works from the last-known entry: {}", r.text().await.unwrap());
    let (s, v) = get_json(&b.http, &url, &b.cookie_header(), &[]).await;
    assert_eq!((s, groups(&v).as_str()), (200, "finance-staff,payroll"), "{v}");
    e.env.clock.advance(Duration::from_secs(31));
    assert_eq!(get_json(&b.http, &url, &b.cookie_header(), &[]).await.0, 200, "no 503 while the grace lasts");
    // A password login is never served from an entry.
    let pw = login_realm(&b.http, &e.base, "anna", PASSWORD, "admin").await;
    assert_eq!(pw.status, 503, "{}", pw.body);
    let lines = {
        let start = std::time::Instant::now();
        loop {
            let text = std::fs::read_to_string(&audit).unwrap_or_default();
            let l: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            if l.iter().filter(|l| l["event"] == "eid").count() >= 2 || start.elapsed() > Duration::from_secs(10) {
                break l;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let eid: Vec<_> = lines.iter().filter(|l| l["event"] == "eid").collect();
    assert_eq!(eid.len(), 2, "{lines:#?}");
    assert_eq!(
        (eid[0]["outcome"].as_str(), eid[0]["detail"].get("from_snapshot")),
        (Some("success"), None),
        "{lines:#?}"
    );
    assert_eq!(eid[1]["outcome"], "success", "{lines:#?}");
    assert_eq!(eid[1]["reason"], "directory_unavailable", "{lines:#?}");
    assert_eq!(eid[1]["detail"]["from_snapshot"], true, "{lines:#?}");

    // slapd answers again: the next refresh reads the directory's groups.
    slapd.resume();
    e.env.clock.advance(Duration::from_secs(31));
    let (s, v) = get_json(&b.http, &url, &b.cookie_header(), &[]).await;
    assert_eq!((s, groups(&v).as_str()), (200, "admin-staff,finance-staff,payroll"), "{v}");

    // anna is disabled while slapd is down again: her new session from the entry ends once slapd answers.
    slapd.disable("anna", "admin");
    slapd.stop();
    let mut c = Browser::from(INTERNAL);
    assert_eq!(eid_as(&e, &mut c, INTERNAL, PID).await.status(), 303, "the entry was not disabled");
    assert_eq!(get_json(&c.http, &url, &c.cookie_header(), &[]).await.0, 200);
    slapd.resume();
    e.env.clock.advance(Duration::from_secs(31));
    assert_eq!(get_json(&c.http, &url, &c.cookie_header(), &[]).await.0, 401, "disabled: the session ended");

    // Re-enabled and read once more (a fresh entry); then an outage longer than the grace: 503, no session.
    slapd.modify(&format!(
        "dn: {}\nchangetype: modify\ndelete: description\n",
        crate::common::ldap::person_dn("anna", "admin")
    ));
    let mut d = Browser::from(INTERNAL);
    assert_eq!(eid_as(&e, &mut d, INTERNAL, PID).await.status(), 303);
    slapd.stop();
    e.env.clock.advance(Duration::from_secs(3600));
    let mut late = Browser::from(INTERNAL);
    let r = eid_as(&e, &mut late, INTERNAL, PID).await;
    assert_eq!(r.status(), 503, "the entry is older than the grace");
    assert!(late.cookie("portvakt").is_none());
}
