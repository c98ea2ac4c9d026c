//! Issue #16 point 6, the native-speaker read, from the outside: words that were untrue or inconsistent on the
//! pages a user sees, in all five languages (docs/WORDING.md holds the terms).

use crate::common::*;
use portvakt::pages::{Lang, Msg};

/// The visible text between the first `open` and the next `close` of a page, with tags removed.
fn between(html: &str, open: &str, close: &str) -> String {
    let start = html.find(open).map(|i| i + open.len()).unwrap_or_else(|| panic!("no {open} in {html}"));
    let rest = html.get(start..).unwrap_or("");
    let text = rest.get(..rest.find(close).unwrap_or(0)).unwrap_or("");
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The account page's heading is the name of the header link that leads to it, in every language (it was "Your
/// account" under a link named "My account", "Ditt konto" under "Mitt konto" …).
#[tokio::test(flavor = "multi_thread")]
async fn account_heading_is_the_name_of_its_link() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let base = env.http_url();
    let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for lang in Lang::ALL {
        let r = browse(&c, &format!("{base}/.portvakt/account"), &cookie, &[("accept-language", lang.code())]).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        let link = between(&html, "<a class=\"account-link\" href=\"/.portvakt/account\">", "</a>");
        let heading = between(&html, "<h1>", "</h1>");
        assert_eq!(link, Msg::AccountLink.text(lang), "{lang:?}");
        assert_eq!(heading, link, "{lang:?}: the heading names the page as its link does");
    }
}

/// The portal of a password-only session from outside lists services that each need a stronger login; its intro
/// must not call them "the services you can use now" in any language.
#[tokio::test(flavor = "multi_thread")]
async fn portal_intro_does_not_promise_what_needs_a_stronger_login() {
    let env = Env::start(Opts::default());
    let c = client_from(REMOTE);
    let base = env.http_url();
    let cookie = login(&c, &base, "anna", PASSWORD, "/.portvakt/portal", "portvakt", None).await.cookie.unwrap();
    let untrue = [
        (Lang::En, "you can use now"),
        (Lang::Sv, "du kan använda nu"),
        (Lang::Nb, "du kan bruke nå"),
        (Lang::Nn, "du kan bruke no"),
        (Lang::Da, "du kan bruge nu"),
    ];
    for (lang, says) in untrue {
        let r = browse(&c, &format!("{base}/.portvakt/portal"), &cookie, &[("accept-language", lang.code())]).await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains(&Msg::PortalNeedsStrongerLogin.text(lang)), "{lang:?}: every service needs more: {html}");
        assert!(!html.contains(says), "{lang:?}: \"{says}\" is untrue here: {html}");
    }
}

/// A refused address gets a page that speaks of the login service (not "the gateway", a word employees do not know),
/// and in every language the refusal's reason, which is technical, comes after a label saying so, in the page's own
/// language (not English inside a Swedish, Norwegian or Danish sentence).
#[tokio::test(flavor = "multi_thread")]
async fn refused_address_page_speaks_of_the_login_service_and_labels_its_reason() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let base = env.http_url();
    for lang in Lang::ALL {
        let r = browse(&c, &format!("{base}/a/%00"), "", &[("accept-language", lang.code())]).await;
        assert_eq!(r.status(), 400);
        let html = r.text().await.unwrap();
        let body = between(&html, "<p role=\"alert\">", "</p>");
        assert!(!body.contains("gateway"), "{lang:?}: {body}");
        let reason = Msg::BadPathReason.arg("why", "nul").render(lang);
        assert!(body.contains(&format!(": {reason})")), "{lang:?}: the reason is labelled: {body}");
        assert!(reason.contains("NUL") && (lang == Lang::En || !body.contains("a NUL byte")), "{lang:?}: {body}");
    }
}
