//! The audit trail's remaining events from the outside: sessions that end by the idle timeout or the absolute
//! lifetime name their user, the wrong code that locks an account's code step is a `lockout` event, and an eID
//! journey (link by e-mail code, eID login, logout) writes no person ID, token, code, cookie or address.

use crate::common::smtp::SmtpServer;
use crate::common::*;
use std::time::{Duration, Instant};

/// A gateway writing its audit trail to a file, with e-mail codes to a real SMTP server.
struct AuditEnv {
    env: Env,
    smtp: SmtpServer,
    audit: std::path::PathBuf,
}

fn start(extra: &str) -> AuditEnv {
    let smtp = SmtpServer::start();
    let extra = format!(
        "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n\
         [audit]\nfile = \"audit.jsonl\"\ninstance = \"gw-audit\"\n\n{extra}",
        smtp.port
    );
    let env = Env::start(Opts { extra, ..Default::default() });
    let audit = env.dir.path().join("audit.jsonl");
    AuditEnv { env, smtp, audit }
}

/// The audit lines on disk once `pred` holds for them (or after 10 s, whatever they are then).
async fn lines_until(path: &std::path::Path, pred: impl Fn(&[serde_json::Value]) -> bool) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let lines: Vec<serde_json::Value> =
            text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
        if pred(&lines) || start.elapsed() > Duration::from_secs(10) {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ended<'a>(lines: &'a [serde_json::Value], reason: &str) -> Vec<&'a serde_json::Value> {
    lines.iter().filter(|l| l["event"] == "session_ended" && l["reason"] == reason).collect()
}

/// A session that idles out and one that reaches its absolute lifetime each end with a `session_ended` line naming
/// the user, the realm and the session (the same hash prefix as its `session_created`).
#[tokio::test(flavor = "multi_thread")]
async fn idle_and_absolute_ends_name_the_user() {
    let e = start("");
    let c = client_from(INTERNAL);
    let base = e.env.http_url();
    let anna = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    e.env.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(get_json(&c, &format!("{base}/expense/"), &anna, &[]).await.0, 401, "idled out");
    let lines = lines_until(&e.audit, |l| !ended(l, "idle").is_empty()).await;
    let idle = ended(&lines, "idle");
    assert_eq!(idle.len(), 1, "{lines:#?}");
    assert_eq!((idle[0]["user"].as_str(), idle[0]["realm"].as_str()), (Some("anna"), Some("staff")), "{lines:#?}");
    let created = lines.iter().find(|l| l["event"] == "session_created" && l["user"] == "anna").unwrap();
    assert_eq!(idle[0]["session"], created["session"]);

    // Kept active every 10 minutes, bjorn's session still ends at the 12-hour lifetime.
    let bjorn = login(&c, &base, "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let mut last = 200;
    for _ in 0..80 {
        e.env.clock.advance(Duration::from_secs(10 * 60));
        last = get_json(&c, &format!("{base}/expense/"), &bjorn, &[]).await.0;
        if last != 200 {
            break;
        }
    }
    assert_eq!(last, 401, "the absolute lifetime ended the session");
    let lines = lines_until(&e.audit, |l| !ended(l, "absolute").is_empty()).await;
    let absolute = ended(&lines, "absolute");
    assert_eq!(absolute.len(), 1, "{lines:#?}");
    assert_eq!((absolute[0]["user"].as_str(), absolute[0]["realm"].as_str()), (Some("bjorn"), Some("staff")));
    assert_eq!(absolute[0]["outcome"], "success");
}

/// The wrong code that locks an account's code step is one `lockout` line (`code_tries`, with the user and the
/// client); tries refused while it is locked are `login` failures with reason `locked`, not new lockouts.
#[tokio::test(flavor = "multi_thread")]
async fn code_lockout_is_an_audit_event() {
    let e = start("[second_factor]\nmax_tries = 5\nlockout_after = 3\nlockout_time = \"15m\"\n");
    let c = client_from(REMOTE);
    let base = e.env.http_url();
    let l = login(&c, &base, "anna", PASSWORD, "/expense/claims", "portvakt", None).await;
    let cookie = l.cookie.unwrap();
    let html = browse(&c, &format!("{base}/.portvakt/second-factor?rd=%2Fexpense%2Fclaims"), &cookie, &[])
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("channel", "email"), ("rd", "/expense/claims")];
    assert_eq!(send_code(&c, &base, &cookie, &form).await.0, "sent");
    e.smtp.wait_for(1, Duration::from_secs(10));
    let mut pages = Vec::new();
    for _ in 0..4 {
        let form = [("csrf", csrf.as_str()), ("code", "XXX-XXX"), ("rd", "/expense/claims")];
        let r = c
            .post(format!("{base}/.portvakt/second-factor/verify"))
            .header("cookie", &cookie)
            .header("accept-language", "en")
            .form(&form)
            .send();
        pages.push(r.await.unwrap().text().await.unwrap());
    }
    for (i, page) in pages.iter().enumerate() {
        assert_eq!(page.contains("Too many wrong codes"), i >= 2, "try {}: {page}", i + 1);
    }
    let lines =
        lines_until(&e.audit, |l| l.iter().filter(|l| l["event"] == "login" && l["method"] == "email").count() >= 4)
            .await;
    let lockouts: Vec<_> = lines.iter().filter(|l| l["event"] == "lockout").collect();
    assert_eq!(lockouts.len(), 1, "one lockout, at the third wrong code: {lines:#?}");
    let lock = lockouts[0];
    assert_eq!(lock["reason"], "code_tries");
    assert_eq!(lock["detail"]["limit"], "code_tries");
    assert_eq!((lock["user"].as_str(), lock["realm"].as_str()), (Some("anna"), Some("staff")));
    assert_eq!((lock["client"].as_str(), lock["zone"].as_str()), (Some("127.0.0.2"), Some("remote")));
    let reasons: Vec<&str> = lines
        .iter()
        .filter(|l| l["event"] == "login" && l["method"] == "email")
        .map(|l| l["reason"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(reasons, ["wrong_code", "wrong_code", "locked", "locked"], "{lines:#?}");
    let scrape_free = std::fs::read_to_string(&e.audit).unwrap();
    assert!(!scrape_free.contains("XXX"), "typed codes never reach the audit trail");
}

/// An eID journey through the real test OpenID Provider (link at work by an e-mail code, a remote eID login at level
/// high, logout) is in the audit trail as `eid` results with the assurance and the user, and the file holds no
/// person ID, authorization code, `state`, `nonce`, ID token, link code, cookie, CSRF token, client secret or
/// e-mail address.
#[tokio::test(flavor = "multi_thread")]
async fn eid_journey_leaves_no_secrets_in_the_audit_trail() {
    use crate::common::oidc::LOA_HIGH;
    use crate::eid::{location, Browser, Setup, PID};
    let e = crate::eid::start(Setup { extra: "[audit]\nfile = \"audit.jsonl\"\n".into(), ..Default::default() });
    let audit = e.env.dir.path().join("audit.jsonl");
    let mut secrets: Vec<String> = vec![PID.into(), "klient-hemlighet".into(), "anna@kommune.example".into()];
    let query = |url: &str, name: &str| {
        url::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap()
    };

    // Linked at work: eID at the provider, then the code sent to the municipal address.
    let mut b = Browser::from(INTERNAL);
    let op = e.op.browser(INTERNAL);
    let url = e.begin(&mut b, "/expense/report").await;
    secrets.extend([query(&url, "state"), query(&url, "nonce")]);
    let back = op.authorize(&url, PID, LOA_HIGH).await;
    secrets.push(back.param("code").unwrap());
    let r = b.get(&back.callback).await;
    assert_eq!(location(&r), "/.portvakt/eid/link");
    secrets.push(e.op.last_id_token().await.expect("an ID token was issued"));
    secrets.extend(b.cookie("portvakt-link").map(str::to_string));
    let link_url = format!("{}/.portvakt/eid/link", e.base);
    let html = b.get(&link_url).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    secrets.push(csrf.clone());
    let r = b.post(&link_url, &[("csrf", &csrf), ("email", "anna@kommune.example")]).await;
    assert_eq!(r.status(), 303);
    let code = crate::eid::code_in(&e.smtp.wait_for(1, Duration::from_secs(10)).remove(0).body);
    secrets.extend([code.clone(), code.replace('-', ""), code.to_lowercase()]);
    let r = b.post(&link_url, &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(r.status(), 303);
    let inside_session = b.cookie("portvakt").expect("linked and logged in").to_string();
    secrets.push(inside_session);

    // Later, from outside: an eID login at level high, then logout.
    let mut far = Browser::from(REMOTE);
    let op_far = e.op.browser(REMOTE);
    let url = e.begin(&mut far, "/expense/report").await;
    secrets.extend([query(&url, "state"), query(&url, "nonce")]);
    let back = op_far.authorize(&url, PID, LOA_HIGH).await;
    secrets.push(back.param("code").unwrap());
    let r = far.get(&back.callback).await;
    assert_eq!(r.status(), 303, "{}", location(&r));
    secrets.push(e.op.last_id_token().await.unwrap());
    let session = far.cookie("portvakt").expect("eID session").to_string();
    secrets.push(session.clone());
    let html = far.get(&format!("{}/.portvakt/portal", e.base)).await.text().await.unwrap();
    let logout_csrf = hidden_field(&html, "csrf").unwrap();
    secrets.push(logout_csrf.clone());
    let r = far.post(&format!("{}/.portvakt/logout", e.base), &[("csrf", &logout_csrf)]).await;
    assert!(r.status() == 200 || r.status() == 303, "logout: {}", r.status());

    let lines =
        lines_until(&audit, |l| l.iter().any(|l| l["event"] == "session_ended" && l["reason"] == "logout")).await;
    let eid: Vec<_> = lines.iter().filter(|l| l["event"] == "eid").collect();
    let outcomes: Vec<(&str, &str)> =
        eid.iter().map(|l| (l["outcome"].as_str().unwrap(), l["reason"].as_str().unwrap_or(""))).collect();
    assert_eq!(outcomes, [("success", ""), ("success", "")], "the linking login and the remote one: {lines:#?}");
    for (l, zone) in eid.iter().zip(["internal", "remote"]) {
        assert_eq!(
            (l["user"].as_str(), l["method"].as_str(), l["zone"].as_str()),
            (Some("anna"), Some("eid"), Some(zone))
        );
        assert_eq!(
            (l["detail"]["assurance"].as_str(), l["detail"]["provider"].as_str()),
            (Some("high"), Some("idporten"))
        );
    }
    assert!(lines.iter().any(|l| l["event"] == "account_changed" && l["detail"]["change"] == "eid_link"), "{lines:#?}");
    let text = std::fs::read_to_string(&audit).unwrap();
    for s in secrets.iter().filter(|s| s.len() >= 6) {
        assert!(!text.contains(s.as_str()), "{s} in the audit file:\n{text}");
    }
    // Parts of the ID token (its signature, its claims) are not in it either.
    for token in secrets.iter().filter(|s| s.matches('.').count() == 2 && s.len() > 100) {
        for part in token.split('.') {
            assert!(!text.contains(part), "a part of an ID token in the audit file");
        }
    }
}

/// Active Directory's refusals (the stand-in domain controller of tests/it/common/ad.rs answers with AD's recorded
/// `data XXX` diagnostics) are audit reasons, one per code: 773 `password_must_change`, 532 `password_expired`,
/// 533 `account_disabled`, 701 `account_expired`, 775 `account_locked`, 52e `wrong_password`; a stopped domain
/// controller is an `error` with `directory_unavailable`, never a wrong password.
#[tokio::test(flavor = "multi_thread")]
async fn active_directory_refusals_are_audit_reasons() {
    use crate::common::ad::{AccountState, AdServer, AdUser};
    let user = |sam: &str, state: AccountState| AdUser {
        sam: sam.into(),
        display_name: format!("{sam} Testsson"),
        password: PASSWORD.into(),
        state,
        uac_disabled: false,
    };
    let ad = AdServer::start(
        vec![
            user("ok.user", AccountState::Normal),
            user("must.change", AccountState::MustChange),
            user("pw.expired", AccountState::PasswordExpired),
            user("disabled", AccountState::Disabled),
            user("acct.expired", AccountState::AccountExpired),
            user("locked.out", AccountState::Locked),
        ],
        &[],
    );
    let pw_dir = tempfile::tempdir().unwrap();
    let pw = pw_dir.path().join("ad-pw");
    std::fs::write(&pw, format!("{}\n", crate::common::ad::SERVICE_PW)).unwrap();
    let env = Env::start(Opts {
        directories: Some(ad.directory_toml("ad", &pw, "")),
        extra: "[audit]\nfile = \"audit.jsonl\"\n".into(),
        ..Default::default()
    });
    let audit = env.dir.path().join("audit.jsonl");
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let tries = [
        ("must.change", PASSWORD, "password_must_change"), // data 773
        ("pw.expired", PASSWORD, "password_expired"),      // data 532
        ("disabled", PASSWORD, "account_disabled"),        // data 533
        ("acct.expired", PASSWORD, "account_expired"),     // data 701
        ("locked.out", PASSWORD, "account_locked"),        // data 775
        ("ok.user", "not the password", "wrong_password"), // data 52e
    ];
    for (who, password, _) in tries {
        assert!(login(&c, &base, who, password, "/", "portvakt", None).await.cookie.is_none(), "{who}");
    }
    drop(ad);
    assert!(login(&c, &base, "ok.user", PASSWORD, "/", "portvakt", None).await.cookie.is_none());
    let lines = lines_until(&audit, |l| l.iter().filter(|l| l["event"] == "login").count() >= 7).await;
    let logins: Vec<(&str, &str, &str)> = lines
        .iter()
        .filter(|l| l["event"] == "login")
        .map(|l| (l["user"].as_str().unwrap(), l["outcome"].as_str().unwrap(), l["reason"].as_str().unwrap_or("")))
        .collect();
    let mut want: Vec<(&str, &str, &str)> = tries.iter().map(|(u, _, r)| (*u, "failure", *r)).collect();
    want.push(("ok.user", "error", "directory_unavailable"));
    assert_eq!(logins, want, "{lines:#?}");
    for l in lines.iter().filter(|l| l["event"] == "login") {
        assert_eq!((l["realm"].as_str(), l["method"].as_str()), (Some("ad"), Some("password")), "{l}");
    }
}

/// With last-known entries turned off (`outage_grace = "0s"`), an eID login whose linked account lives in an Active
/// Directory that has stopped answering gets the 503 page
/// ("temporarily unavailable", session kept): no session is issued without the directory's word (no bypass), the
/// browser's existing session keeps working (no logout), and the audit trail has no eID success; once the domain
/// controller answers again the same eID login works without a restart.
#[tokio::test(flavor = "multi_thread")]
async fn eid_login_during_directory_outage_is_a_503_not_a_logout_or_bypass() {
    use crate::common::ad::{AccountState, AdServer, AdUser};
    use crate::common::oidc::LOA_SUBSTANTIAL;
    use crate::eid::{Browser, Setup, PID};
    let anna = || AdUser {
        sam: "anna".into(),
        display_name: "Anna Lindqvist".into(),
        password: PASSWORD.into(),
        state: AccountState::Normal,
        uac_disabled: false,
    };
    let ad = AdServer::start(vec![anna()], &[]);
    let ad_port = ad.url().rsplit(':').next().unwrap().parse::<u16>().unwrap();
    let pw_dir = tempfile::tempdir().unwrap();
    let pw = pw_dir.path().join("ad-pw");
    std::fs::write(&pw, format!("{}\n", crate::common::ad::SERVICE_PW)).unwrap();
    let accounts = format!(
        r#"{{"ad:anna": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
    );
    let e = crate::eid::start(Setup {
        directories: Some(
            ad.directory_toml("ad", &pw, "").replace("kind = \"ldap\"\n", "kind = \"ldap\"\noutage_grace = \"0s\"\n"),
        ),
        accounts: Some(accounts),
        extra: "[audit]\nfile = \"audit.jsonl\"\n".into(),
        ..Default::default()
    });
    let audit = e.env.dir.path().join("audit.jsonl");
    let mut b = Browser::from(REMOTE);
    let op = e.op.browser(REMOTE);
    let r = e.eid_login(&mut b, &op, "/expense/report", LOA_SUBSTANTIAL).await;
    assert_eq!(r.status(), 303, "eID login with the directory up");
    let session = b.cookie("portvakt").expect("eID session").to_string();
    let expense = format!("{}/expense/report", e.base);
    assert_eq!(get_json(&b.http, &expense, &format!("portvakt={session}"), &[]).await.0, 200);

    drop(ad);
    let r = e.eid_login(&mut b, &op, "/expense/report", LOA_SUBSTANTIAL).await;
    assert_eq!(r.status(), 503, "the directory cannot confirm the account");
    let issued = r.headers().get_all("set-cookie").iter().any(|v| v.to_str().unwrap().starts_with("portvakt="));
    let page = r.text().await.unwrap();
    assert!(page.contains("Temporarily unavailable") && page.contains("Try again in a minute"), "{page}");
    assert!(!issued, "no session without the directory's word");
    assert_eq!(b.cookie("portvakt"), Some(session.as_str()), "the browser's session is not cleared");
    assert_eq!(get_json(&b.http, &expense, &format!("portvakt={session}"), &[]).await.0, 200, "no logout");
    // A browser without a session gets the same page and nothing to pass with.
    let mut fresh = Browser::from(REMOTE);
    let r = e.eid_login(&mut fresh, &e.op.browser(REMOTE), "/expense/report", LOA_SUBSTANTIAL).await;
    assert_eq!(r.status(), 503);
    assert!(fresh.cookie("portvakt").is_none());
    let r = fresh.get(&expense).await;
    assert_eq!(r.status(), 302, "still no session: to the login page");

    // The same domain controller back on its port: the eID login works again, no restart.
    let back = AdServer::start_on(ad_port, vec![anna()], &[]);
    let r = e.eid_login(&mut fresh, &e.op.browser(REMOTE), "/expense/report", LOA_SUBSTANTIAL).await;
    assert_eq!(r.status(), 303, "eID works once the directory answers");
    drop(back);
    let lines = lines_until(&audit, |l| l.iter().filter(|l| l["event"] == "eid").count() >= 2).await;
    let eid: Vec<&str> = lines.iter().filter(|l| l["event"] == "eid").map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(eid, ["success", "success"], "the refused logins are no eID success: {lines:#?}");
}

/// No audit event is built or emitted in the HTTP layer (src/gateway/): every one comes from the domain services,
/// so a handler cannot record what the service did not decide, or forget what it did.
#[test]
fn audit_events_come_from_the_domain_not_the_handlers() {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gateway"), &mut files);
    assert!(files.len() > 10, "src/gateway was read");
    let found: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            text.lines().enumerate().filter_map(move |(i, l)| {
                let code = l.split("//").next().unwrap_or("");
                ["AuditEvent", "audit::emit", "observer.emit", "emit_or("]
                    .iter()
                    .any(|w| code.contains(w))
                    .then(|| format!("{path}:{}: {}", i + 1, l.trim()))
            })
        })
        .collect();
    assert!(found.is_empty(), "audit events in the HTTP layer; move them into src/services:\n{}", found.join("\n"));
}
