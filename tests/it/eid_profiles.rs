//! eID provider profiles against the real test OpenID Provider (oidc-provider on Node) shaped like each kind of
//! provider: Entra ID (no `acr`, `tid` checked, `oid` mapped straight to a directory account, `amr` with `mfa`), an
//! OIDC broker for Swedish eIDs (the person nested in a claim object, the broker's acr table, `login_hint` passed
//! on), and per-provider zones and button labels.

use crate::common::oidc::{OpClient, OpOptions, TestOp};
use crate::common::*;
use crate::eid::{location, Browser};
use serde_json::json;

/// The municipality's Entra ID tenant.
const TENANT: &str = "7d1f4a9e-2b3c-4d5e-8f90-1a2b3c4d5e6f";
/// The person logging in at the test OP (its login page takes an 11-digit number).
const PID: &str = "12089912345";
/// The `oid` the test OP gives [`PID`] under the Entra ID shape; a directory account of that name exists.
const OID: &str = "00000000-0000-4000-8000-012089912345";
/// A person of the same tenant whose `oid` names no account.
const STRANGER: &str = "31129912345";

/// The OP, a gateway in front of the echo backends, and the gateway's public base URL.
struct Setup {
    _env: Env,
    op: TestOp,
    base: String,
    _dir: tempfile::TempDir,
}

/// Starts an OP with `opts` and a gateway whose `[[eid.providers]]` come from `providers(op)`; `accounts` is the
/// accounts file to start with; `extra_users` adds users-file entries.
fn start(opts: OpOptions, providers: impl Fn(&TestOp) -> String, accounts: Option<&str>, extra_users: &str) -> Setup {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = OpClient::basic("portvakt", "klient-hemlighet", &format!("{base}/.portvakt/eid/callback"));
    let op = TestOp::start_with(vec![client], opts);
    let dir = tempfile::tempdir().unwrap();
    let accounts = accounts.map(|text| {
        let p = dir.path().join("accounts.json");
        std::fs::write(&p, text).unwrap();
        p
    });
    // Linking is not used here: the `[email]` server is a port nobody listens on.
    let extra = format!(
        "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n\
         [[institutions]]\nname = \"kommune\"\nemail_domains = [\"kommune.example\"]\n\n{}",
        free_port(),
        providers(&op)
    );
    let env = Env::start(Opts {
        http_port: Some(port),
        server_extra: format!("public_url = \"{base}\""),
        extra,
        accounts,
        extra_users: extra_users.into(),
        ..Default::default()
    });
    Setup { _env: env, op, base, _dir: dir }
}

impl Setup {
    /// An eID login at `provider` as `pid` choosing `level` at the OP; the gateway's answer to the callback.
    async fn login(&self, b: &mut Browser, provider: &str, pid: &str, level: &str) -> reqwest::Response {
        let r = b.get(&format!("{}/.portvakt/eid/start?provider={provider}&rd=%2Fexpense%2F", self.base)).await;
        assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
        let back = self.op.browser(REMOTE).authorize(&location(&r), pid, level).await;
        b.get(&back.callback).await
    }

    /// What the expense backend sees for this browser: status and echoed request.
    async fn expense(&self, b: &Browser) -> (u16, serde_json::Value) {
        get_json(&b.http, &format!("{}/expense/", self.base), &b.cookie_header(), &[]).await
    }
}

/// The Entra ID provider trusted to name directory accounts by `oid`, and (same OP, same client) a provider under
/// the ID-porten profile that takes `oid` as its person claim but, like ID-porten, requires `acr`.
fn entra_providers(op: &TestOp) -> String {
    format!(
        r#"
[[eid.providers]]
name = "entra"
profile = "entra-id"
title = "Entra ID"
titles = {{ nb = "Kommunens Microsoft-konto", en = "Municipal Microsoft account" }}
tenant_id = "{TENANT}"
authority = "{origin}"
client_id = "portvakt"
client_secret = "klient-hemlighet"
trust_directory_mapping = true
directory = "staff"
assurance = "low"
mfa_assurance = "substantial"
timeout = "5s"

[[eid.providers]]
name = "strict"
profile = "idporten"
title = "Strict"
issuer = "{issuer}"
client_id = "portvakt"
client_secret = "klient-hemlighet"
person_claim = "oid"
timeout = "5s"
"#,
        origin = op.origin(),
        issuer = op.issuer(),
    )
}

fn entra_op() -> OpOptions {
    OpOptions {
        issuer_path: format!("/{TENANT}/v2.0"),
        shape: "entra-id",
        tenant_id: Some(TENANT.into()),
        ..Default::default()
    }
}

/// The users-file entry named by [`OID`]; its e-mail is not the one in the token, so only the `oid` can find it.
const OID_USER: &str = "[[users]]\nusername = \"00000000-0000-4000-8000-012089912345\"\npassword_hash = \"{hash}\"\nname = \"Kari Nordmann\"\nemail = \"kari@kommune.example\"\ngroups = [\"staff\"]\n";

/// Entra-style ID tokens (no `acr`; `tid`, `oid`, `amr`) log in under the entra-id profile, straight into the
/// account the `oid` names, with no link step; the same tokens under the ID-porten profile are refused for lack of
/// `acr`. An `oid` naming no account is refused (no link step either), a token of another tenant (`tid`) is refused,
/// and `amr` with `mfa` gives the configured higher assurance (the remote zone's two-factor rule passes only then).
#[tokio::test(flavor = "multi_thread")]
async fn entra_id_tokens_map_oid_to_that_account_only() {
    let s = start(
        entra_op(),
        entra_providers,
        Some(&format!(
            r#"{{"staff:anna": {{"phones": [], "eid": {{"provider": "strict", "person_id": "{OID}", "linked_at": 1795420800000}}}}}}"#
        )),
        OID_USER,
    );
    // The issuer and keys are the tenant's, derived from tenant_id.
    let disco = s.op.discovery().await;
    assert_eq!(disco["issuer"], format!("{}/{TENANT}/v2.0", s.op.origin()));
    assert!(disco["jwks_uri"].as_str().unwrap().starts_with(&format!("{}/{TENANT}/", s.op.origin())));

    // The button's label is the page language's.
    let mut b = Browser::from(INTERNAL);
    let page = b.get(&format!("{}/.portvakt/login?rd=%2Fexpense%2F", s.base)).await.text().await.unwrap();
    assert!(page.contains("Log in with Municipal Microsoft account"), "{page}");
    let nb = b
        .http
        .get(format!("{}/.portvakt/login", s.base))
        .header("accept-language", "nb")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(nb.contains("Kommunens Microsoft-konto"), "{nb}");

    // No acr: refused under the ID-porten profile, although the eID is linked there to anna.
    let mut b = Browser::from(INTERNAL);
    let r = s.login(&mut b, "strict", PID, "mfa").await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("could not be verified"));
    let token = s.op.last_id_token().await.unwrap();
    let claims = crate::common::oidc::jwt_parts(&token).1;
    assert!(claims.get("acr").is_none(), "the OP sent an Entra-style token without acr: {claims}");
    assert_eq!(claims["tid"], TENANT);
    assert!(b.cookie("portvakt").is_none());

    // Under entra-id: logged in as the account the oid names, at once; MFA gives substantial.
    let mut b = Browser::from(REMOTE);
    let r = s.login(&mut b, "entra", PID, "mfa").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/expense/");
    assert!(b.cookie("portvakt-link").is_none(), "no link step");
    let (status, echo) = s.expense(&b).await;
    assert_eq!(status, 200, "MFA counts as two factors in the remote zone: {echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], OID);
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");

    // Without MFA the login is at `assurance` (low): the remote zone asks for a second factor.
    let mut b = Browser::from(REMOTE);
    assert_eq!(s.login(&mut b, "entra", PID, "pwd").await.status(), 303);
    let r = b.get(&format!("{}/expense/", s.base)).await;
    assert_eq!(r.status(), 302);
    assert!(location(&r).starts_with("/.portvakt/second-factor"), "{}", location(&r));

    // Another person of the tenant whose oid names no account: refused, not sent to linking, no session.
    let mut b = Browser::from(INTERNAL);
    let r = s.login(&mut b, "entra", STRANGER, "mfa").await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("no matching account in the municipality"));
    assert!(b.cookie("portvakt").is_none() && b.cookie("portvakt-link").is_none());

    // A token from another tenant (wrong tid), otherwise valid and for the mapped account: refused.
    let mut b = Browser::from(INTERNAL);
    let r = b.get(&format!("{}/.portvakt/eid/start?provider=entra&rd=%2Fexpense%2F", s.base)).await;
    let back = s.op.browser(INTERNAL).authorize(&location(&r), PID, "mfa").await;
    s.op.tamper_next(json!({ "set": { "tid": "0b0b0b0b-1111-2222-3333-444444444444" } })).await;
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 400);
    assert!(b.cookie("portvakt").is_none());
    // Untampered, the same flow logs in.
    assert_eq!(s.login(&mut b, "entra", PID, "mfa").await.status(), 303);
}

/// The broker's provider for Swedish eIDs: the person is `person.ssn` (a nested claim object), the broker's own
/// acr values map to assurance, `login_hint` is passed on to the broker, and the provider is offered only in the
/// internal zone.
fn broker_providers(op: &TestOp) -> String {
    format!(
        r#"
[[eid.providers]]
name = "bankid"
profile = "broker"
title = "BankID"
titles = {{ sv = "BankID på den här enheten" }}
issuer = "{issuer}"
client_id = "portvakt"
client_secret = "klient-hemlighet"
person_claim = ["person", "ssn"]
acr_values = ["urn:grn:authn:se:bankid:same-device"]
pass_through = ["login_hint"]
zones = ["internal"]
timeout = "5s"

[eid.providers.acr]
"urn:grn:authn:se:bankid:same-device" = "high"
"urn:grn:authn:se:bankid:another-device" = "high"
"urn:grn:authn:se:frejaid" = "substantial"
"#,
        issuer = op.issuer(),
    )
}

/// A broker's token with the person nested (`person: {ssn}`) logs in the account linked to that person; the same
/// person as a top-level claim is refused; `login_hint` from the start URL reaches the broker; the button and the
/// start work only from the provider's zone.
#[tokio::test(flavor = "multi_thread")]
async fn broker_nested_person_claim_pass_through_and_zones() {
    let opts = OpOptions {
        shape: "broker",
        acr_values: Some(vec![
            "urn:grn:authn:se:frejaid".into(),
            "urn:grn:authn:se:bankid:another-device".into(),
            "urn:grn:authn:se:bankid:same-device".into(),
        ]),
        ..Default::default()
    };
    let linked = format!(
        r#"{{"staff:anna": {{"phones": [], "eid": {{"provider": "bankid", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
    );
    let s = start(opts, broker_providers, Some(&linked), "");
    let mut b = Browser::from(INTERNAL);
    let sv = b
        .http
        .get(format!("{}/.portvakt/login", s.base))
        .header("accept-language", "sv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sv.contains("BankID på den här enheten"), "{sv}");

    let r = b
        .get(&format!("{}/.portvakt/eid/start?provider=bankid&rd=%2Fexpense%2F&login_hint=sms%3A46701234567", s.base))
        .await;
    assert_eq!(r.status(), 302);
    let to = location(&r);
    let q: Vec<(String, String)> = url::Url::parse(&to).unwrap().query_pairs().into_owned().collect();
    assert!(q.contains(&("login_hint".into(), "sms:46701234567".into())), "{q:?}");
    assert!(q.contains(&("acr_values".into(), "urn:grn:authn:se:bankid:same-device".into())), "{q:?}");
    let back = s.op.browser(INTERNAL).authorize(&to, PID, "urn:grn:authn:se:bankid:same-device").await;
    let auth = s.op.requests_of("auth").await;
    assert_eq!(auth.last().unwrap()["params"]["login_hint"], "sms:46701234567", "the broker got the hint");
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let claims = crate::common::oidc::jwt_parts(&s.op.last_id_token().await.unwrap()).1;
    assert_eq!(claims["person"]["ssn"], PID, "the person is nested: {claims}");
    assert!(claims.get("pid").is_none() && claims.get("ssn").is_none());
    let (status, echo) = s.expense(&b).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");

    // The person at the top level instead of under `person`: refused.
    let mut b = Browser::from(INTERNAL);
    let r = b.get(&format!("{}/.portvakt/eid/start?provider=bankid&rd=%2Fexpense%2F", s.base)).await;
    let back = s.op.browser(INTERNAL).authorize(&location(&r), PID, "urn:grn:authn:se:bankid:same-device").await;
    s.op.tamper_next(json!({ "drop": "person", "set": { "ssn": PID } })).await;
    let r = b.get(&back.callback).await;
    assert_eq!(r.status(), 400);
    assert!(b.cookie("portvakt").is_none());

    // From the remote zone: no button, and the start is refused with a page that says so.
    let mut far = Browser::from(REMOTE);
    let page = far.get(&format!("{}/.portvakt/login", s.base)).await.text().await.unwrap();
    assert!(!page.contains("provider=bankid"), "{page}");
    let r = far.get(&format!("{}/.portvakt/eid/start?provider=bankid&rd=%2F", s.base)).await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("be used from where you are"));
}

/// With `person_claim = "email"` and a trusted mapping, the token's `email` finds the account by its e-mail address
/// (not by username, not by `oid`), and only that account.
#[tokio::test(flavor = "multi_thread")]
async fn entra_id_maps_email_to_the_account_with_that_address() {
    let providers = |op: &TestOp| {
        format!(
            "[[eid.providers]]\nname = \"entra\"\nprofile = \"entra-id\"\ntenant_id = \"{TENANT}\"\nauthority = \"{}\"\n\
             client_id = \"portvakt\"\nclient_secret = \"klient-hemlighet\"\nperson_claim = \"email\"\n\
             trust_directory_mapping = true\nassurance = \"substantial\"\ntimeout = \"5s\"\n",
            op.origin()
        )
    };
    // The OP's email for PID is p{PID}@tenant.example; an account named like the oid exists too, as a decoy.
    let users = format!(
        "[[users]]\nusername = \"siri\"\npassword_hash = \"{{hash}}\"\nname = \"Siri\"\nemail = \"P{PID}@Tenant.example\"\ngroups = [\"staff\"]\n\n{OID_USER}"
    );
    let s = start(entra_op(), providers, None, &users);
    let mut b = Browser::from(INTERNAL);
    let r = s.login(&mut b, "entra", PID, "pwd").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let (status, echo) = s.expense(&b).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "siri", "found by address, case-insensitively");
    // A person whose address no account has: refused.
    let mut b = Browser::from(INTERNAL);
    assert_eq!(s.login(&mut b, "entra", STRANGER, "pwd").await.status(), 403);
    assert!(b.cookie("portvakt").is_none());
}

/// A broker provider whose `acr` table maps the broker's values to `low` and `high`; `cap` adds `max_assurance`.
fn capped_providers(cap: Option<&str>) -> impl Fn(&TestOp) -> String + '_ {
    move |op: &TestOp| {
        let max = cap.map(|c| format!("max_assurance = \"{c}\"\n")).unwrap_or_default();
        format!(
            r#"
[[eid.providers]]
name = "broker"
profile = "broker"
title = "Broker"
issuer = "{issuer}"
client_id = "portvakt"
client_secret = "klient-hemlighet"
person_claim = ["person", "ssn"]
acr_values = ["urn:test:low"]
timeout = "5s"
{max}
[eid.providers.acr]
"urn:test:low" = "low"
"urn:test:high" = "high"
"#,
            issuer = op.issuer(),
        )
    }
}

/// A provider's `max_assurance` caps what its logins count for, whatever the provider answers: the same broker token
/// at `high` opens the remote zone's two-factor services without a cap, and with `max_assurance = "low"` it counts
/// as `low`, so the remote zone asks for a second factor.
#[tokio::test(flavor = "multi_thread")]
async fn max_assurance_caps_what_a_provider_login_counts_for() {
    let linked = format!(
        r#"{{"staff:anna": {{"phones": [], "eid": {{"provider": "broker", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
    );
    for cap in [None, Some("low")] {
        let opts = OpOptions {
            shape: "broker",
            acr_values: Some(vec!["urn:test:low".into(), "urn:test:high".into()]),
            ..Default::default()
        };
        let s = start(opts, capped_providers(cap), Some(&linked), "");
        let mut b = Browser::from(REMOTE);
        let r = s.login(&mut b, "broker", PID, "urn:test:high").await;
        assert_eq!(r.status(), 303, "cap {cap:?}: {}", r.text().await.unwrap());
        let r = b.get(&format!("{}/expense/", s.base)).await;
        match cap {
            None => assert_eq!(r.status(), 200, "an eID login at high opens the remote zone"),
            Some(_) => {
                assert_eq!(r.status(), 302, "capped at low, the remote zone needs a second factor");
                assert!(location(&r).starts_with("/.portvakt/second-factor"), "{}", location(&r));
            }
        }
    }
}

/// Entra ID's keys must be the tenant's own: a discovery document (at the right issuer) naming keys outside
/// `{authority}/{tenant}/` makes the provider unavailable, so the start is the 502 "did not go through" page and
/// nobody is sent to it.
#[tokio::test(flavor = "multi_thread")]
async fn entra_id_keys_outside_the_tenant_are_refused() {
    // The provider's own, valid keys, but published outside the tenant's path (where the multi-tenant endpoint is).
    let opts = OpOptions { jwks_uri: Some("/common/discovery/keys".into()), ..entra_op() };
    let s = start(opts, entra_providers, None, OID_USER);
    let discovery = s.op.discovery().await;
    assert!(discovery["jwks_uri"].as_str().unwrap().ends_with("/common/discovery/keys"), "{discovery}");
    assert!(!s.op.jwks().await["keys"].as_array().unwrap().is_empty(), "the keys are there to be had");
    let mut b = Browser::from(REMOTE);
    let r = b.get(&format!("{}/.portvakt/eid/start?provider=entra&rd=%2Fexpense%2F", s.base)).await;
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("The eID login did not go through"));
    assert!(s.op.requests_of("auth").await.is_empty(), "nobody was sent to a provider with foreign keys");
}
