//! Policy files in the running gateway: denials with reasons, the portal's states, account actions, per-zone idle
//! timeouts, and hot reload under load.

use crate::common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const BASE: &str = r#"
timezone = "Europe/Oslo"

[[rule]]
id = "staff-inside"
services = ["self-service", "expense", "signing"]
effect = "allow"
zones = ["internal"]
groups = ["staff", "teachers"]

[[rule]]
id = "staff-outside-two-factor"
services = ["self-service", "expense"]
effect = "allow"
zones = ["remote"]
two_factor = true

[[rule]]
id = "expense-payroll-only"
services = ["expense"]
paths = ["/expense/payroll"]
effect = "deny"
groups = ["teachers"]
message.en = "Payroll approvals are for the payroll office."
message.sv = "Löneattester är för lönekontoret."

[[rule]]
id = "selfservice-night-batch"
services = ["self-service"]
effect = "deny"
message.en = "Closed at night while payroll runs."
[[rule.windows]]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
from = "01:00"
to = "05:00"

[[rule]]
id = "phones-internal"
services = ["account.phones"]
effect = "allow"
zones = ["internal"]

[[idle]]
zones = ["remote"]
timeout = "5m"
"#;

/// 2026-11-24 (a Tuesday) at the given Oslo wall-clock time (CET, UTC+1).
fn oslo(hh: u64, mm: u64) -> portvakt::clock::Instant {
    let midnight_utc = 1_795_478_400_000u64; // 2026-11-24T00:00:00Z
    portvakt::clock::Instant(midnight_utc + ((hh * 60 + mm) * 60 - 3600) * 1000)
}

/// A path denied by a rule gets 403 with the rule's message in the user's language; other paths pass.
#[tokio::test(flavor = "multi_thread")]
async fn deny_rule_gives_403_with_message() {
    let env = Env::start(Opts { policies: Some(BASE.into()), ..Default::default() });
    env.clock.set(oslo(10, 0));
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(get_json(&c, &format!("{}/expense/claims", env.http_url()), &cookie, &[]).await.0, 200);
    let r = c
        .get(format!("{}/expense/payroll/approve", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", "sv")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("Löneattester är för lönekontoret."), "{html}");
    let r = c
        .get(format!("{}/expense/payroll/approve", env.http_url()))
        .header("cookie", &cookie)
        .header("accept-language", "da")
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Payroll approvals are for the payroll office."), "falls back to English");
}

/// The portal shows each service's state now: open, closed until a time, needs a stronger login, not from here.
#[tokio::test(flavor = "multi_thread")]
async fn portal_states_follow_policies() {
    let env = Env::start(Opts { policies: Some(BASE.into()), ..Default::default() });
    env.clock.set(oslo(4, 50));
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let html = inside
        .get(format!("{}/.portvakt/portal", env.http_url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let state_of = |html: &str, title: &str| {
        let i = html.find(&format!("<h2>{title}</h2>")).unwrap_or_else(|| panic!("{title} in {html}"));
        let start = html[..i].rfind("data-state=\"").unwrap() + 12;
        html[start..].split('"').next().unwrap().to_string()
    };
    assert_eq!(state_of(&html, "Self-service"), "closed");
    assert!(html.contains("Closed until 05:00 Tue 24 Nov"), "{html}");
    assert_eq!(state_of(&html, "Expenses"), "open");
    // The proxied request gets the same reason.
    let r = inside.get(format!("{}/self-service/", env.http_url())).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Closed until 05:00"));
    env.clock.set(oslo(4, 59));
    assert_eq!(get_json(&inside, &format!("{}/self-service/", env.http_url()), &cookie, &[]).await.0, 403);
    env.clock.set(oslo(5, 0));
    assert_eq!(get_json(&inside, &format!("{}/self-service/", env.http_url()), &cookie, &[]).await.0, 200);
    // From outside with a password only: expense needs a stronger login, signing is not available from there.
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
    assert_eq!(state_of(&html, "Expenses"), "step-up");
    assert_eq!(state_of(&html, "Signing"), "wrong-network");
    let r = browse(&outside, &format!("{}/signing/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 403);
    let r = browse(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302, "weak login: step up, not deny");
}

/// Account actions follow policy: opening account.phones to every zone (a rule with no zone) lets numbers be saved
/// from inside where the rule before allowed only remote; a password-only session from remote still cannot, because
/// a rule cannot lower the remote zone's floor (two_factor).
#[tokio::test(flavor = "multi_thread")]
async fn account_phones_governed_by_policy() {
    let phones_internal =
        "id = \"phones-internal\"\nservices = [\"account.phones\"]\neffect = \"allow\"\nzones = [\"internal\"]";
    let remote_only = BASE.replace(
        phones_internal,
        "id = \"phones-remote\"\nservices = [\"account.phones\"]\neffect = \"allow\"\nzones = [\"remote\"]",
    );
    let env = Env::start(Opts { policies: Some(remote_only), ..Default::default() });
    let account_page = |c: reqwest::Client, cookie: String, url: String| async move {
        c.get(url).header("cookie", &cookie).send().await.unwrap().text().await.unwrap()
    };
    let url = format!("{}/.portvakt/account", env.http_url());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let outside = client_from(REMOTE);
    let remote_cookie = login(&outside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let html = account_page(c.clone(), cookie.clone(), url.clone()).await;
    assert!(!html.contains("name=\"phone1\""), "{html}");
    let html = account_page(outside.clone(), remote_cookie.clone(), url.clone()).await;
    assert!(!html.contains("name=\"phone1\""), "password only from remote is below the floor: {html}");
    env.write_policies(
        &BASE.replace(phones_internal, "id = \"phones-anywhere\"\nservices = [\"account.phones\"]\neffect = \"allow\""),
    );
    let mut html = String::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        html = account_page(c.clone(), cookie.clone(), url.clone()).await;
        if html.contains("name=\"phone1\"") {
            break;
        }
    }
    assert!(html.contains("name=\"phone1\""), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let r = c
        .post(format!("{}/.portvakt/account/phones", env.http_url()))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str()), ("phone1", "0701234567"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // The rule with no zone does not open it to a password-only session from remote.
    let html = account_page(outside.clone(), remote_cookie.clone(), url.clone()).await;
    assert!(!html.contains("name=\"phone1\""), "{html}");
    let csrf = hidden_field(&html, "csrf").unwrap();
    let r = outside
        .post(format!("{}/.portvakt/account/phones", env.http_url()))
        .header("cookie", &remote_cookie)
        .form(&[("csrf", csrf.as_str()), ("phone1", "0709999999"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// An [[idle]] override makes sessions used from outside end after 5 minutes, while inside keeps 15.
#[tokio::test(flavor = "multi_thread")]
async fn idle_timeout_per_zone() {
    let env = Env::start(Opts { policies: Some(BASE.into()), ..Default::default() });
    env.clock.set(oslo(10, 0));
    let inside = client_from(INTERNAL);
    let outside = client_from(REMOTE);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    env.clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(get_json(&inside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0, 200);
    env.clock.advance(Duration::from_secs(6 * 60));
    let r = browse(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().contains("expired=5"), "ended by the remote idle timeout");
}

/// The idle notice names the timeout that ended the session: a remote zone's 5-minute [[idle]] rule, not the
/// global 15 minutes, in every language; an `expired=` value nobody could have been given names the global one.
#[tokio::test(flavor = "multi_thread")]
async fn idle_notice_names_the_zone_timeout_that_applied() {
    let env = Env::start(Opts { policies: Some(BASE.into()), ..Default::default() });
    env.clock.set(oslo(10, 0));
    let outside = client_from(REMOTE);
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    env.clock.advance(Duration::from_secs(6 * 60));
    let r = browse(&outside, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    for (lang, five, fifteen) in [
        ("en", "more than 5 minutes", "15 minutes"),
        ("sv", "mer än 5 minuter", "15 minuter"),
        ("nb", "5 minutter", "15 minutter"),
        ("nn", "5 minutt", "15 minutt"),
        ("da", "mere end 5 minutter", "15 minutter"),
    ] {
        let page = browse(&outside, &format!("{}{location}", env.http_url()), "", &[("accept-language", lang)]).await;
        let html = page.text().await.unwrap();
        assert!(html.contains(five) && !html.contains(fifteen), "{lang}: {html}");
    }
    let forged = format!("{}/.portvakt/login?expired=99999999", env.http_url());
    let html = browse(&outside, &forged, "", &[]).await.text().await.unwrap();
    assert!(html.contains("more than 15 minutes"), "{html}");
}

/// Under a steady stream of requests, a stricter policy takes effect, an invalid one is refused, and no request fails.
#[tokio::test(flavor = "multi_thread")]
async fn reload_under_load() {
    let env = Arc::new(Env::start(Opts { policies: Some(BASE.into()), ..Default::default() }));
    env.clock.set(oslo(10, 0));
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, denied, failed) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, cookie, url) = (c.clone(), cookie.clone(), format!("{}/expense/", env.http_url()));
        let (stop, ok, denied, failed) = (stop.clone(), ok.clone(), denied.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            // Bounded: at most 3,000 requests per task.
            for _ in 0..3000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                match c.get(&url).header("cookie", &cookie).header("accept", "application/json").send().await {
                    Ok(r) if r.status() == 200 => ok.fetch_add(1, Ordering::Relaxed),
                    Ok(r) if r.status() == 403 => denied.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stricter = BASE.replace("groups = [\"staff\", \"teachers\"]", "groups = [\"teachers\"]");
    env.write_policies(&stricter);
    let mut took = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0 == 403 {
            took = true;
            break;
        }
    }
    assert!(took, "the stricter policy took effect");
    let denied_before = denied.load(Ordering::Relaxed);
    env.write_policies("[[rule]]\nid = \"broken\"\nservices = [\"no-such-service\"]\neffect = \"allow\"\n");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await.0,
        403,
        "invalid set refused; stricter still serves"
    );
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "no request failed during reloads");
    assert!(ok.load(Ordering::Relaxed) > 0 && denied.load(Ordering::Relaxed) > denied_before);
}

/// A user whose groups no rule admits is told that his account gives no access, in his language, not that the
/// service is closed "from here right now" (which would send him to try from another network).
#[tokio::test(flavor = "multi_thread")]
async fn group_denial_says_the_account_has_no_access() {
    let policy =
        "[[rule]]\nid = \"payroll-only\"\nservices = [\"expense\"]\neffect = \"allow\"\ngroups = [\"payroll\"]\n";
    let env = Env::start(Opts { policies: Some(policy.into()), ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for (lang, says) in [
        ("en", "Your account does not give access to"),
        ("sv", "Ditt konto ger inte tillgång till"),
        ("nb", "Kontoen din gir ikke tilgang til"),
        ("da", "Din konto giver ikke adgang til"),
    ] {
        let r = browse(&c, &format!("{}/expense/", env.http_url()), &cookie, &[("accept-language", lang)]).await;
        assert_eq!(r.status(), 403);
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{lang}: {html}");
        for wrong in ["right now", "just nu", "akkurat nå", "lige nu"] {
            assert!(!html.contains(wrong), "{lang}: {html}");
        }
    }
}

/// "Closed until" names the weekday and month in the reader's language (CLDR names), not in English.
#[tokio::test(flavor = "multi_thread")]
async fn closed_until_in_the_readers_language() {
    let env = Env::start(Opts { policies: Some(BASE.into()), ..Default::default() });
    env.clock.set(oslo(4, 50));
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for (lang, says) in [
        ("sv", "Stängd till tis 24 nov 05:00"),
        ("nb", "ti. 24. nov. 05:00"),
        ("nn", "ty. 24. nov. 05:00"),
        ("da", "tir 24. nov 05:00"),
        ("en", "Closed until 05:00 Tue 24 Nov"),
    ] {
        for path in ["/.portvakt/portal", "/self-service/"] {
            let r = browse(&inside, &format!("{}{path}", env.http_url()), &cookie, &[("accept-language", lang)]).await;
            let html = r.text().await.unwrap();
            assert!(html.contains(says), "{lang} {path}: {html}");
            if lang != "en" {
                assert!(!html.contains("Tue") && !html.contains("Nov"), "{lang} {path}: {html}");
            }
        }
    }
}
