//! The refused send of session 8 (a walk in a real browser once found no code field): a second login of the same
//! user within the destination cooldown (another browser, or the login made again after the phone dropped the tab)
//! asks for a code, and the cooldown refuses it because the code that went out moments ago belongs to the first
//! login. The page must say that, not only "a code was just sent" with no field to type it in; and once the wait has
//! passed, a reload, Back or Forward shows the page as it is then, not the old refusal.

use crate::common::smtp::SmtpServer;
use crate::common::*;
use std::time::Duration;

/// A gateway that sends e-mail codes to a real SMTP server.
fn start(smtp: &SmtpServer) -> Env {
    let extra = format!(
        "\n[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n",
        smtp.port
    );
    Env::start(Opts { extra, ..Default::default() })
}

/// A remote password login of anna on its way to the expense service: the session cookie and the page's CSRF token.
async fn remote_login(c: &reqwest::Client, base: &str) -> (String, String) {
    let l = login(c, base, "anna", PASSWORD, "/expense/claims", "portvakt", None).await;
    let cookie = l.cookie.unwrap();
    let page = browse(c, &format!("{base}{}", l.location.unwrap()), &cookie, &[]).await;
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    (cookie, csrf)
}

/// Whether the page has the field for typing a code.
fn has_code_field(html: &str) -> bool {
    html.contains("name=\"code\"")
}

/// A second login within the cooldown is told that the code sent moments ago was for another login and works only
/// there, and when it can ask here (429 with Retry-After, no code field); after the wait, reloading the refused
/// page shows no stale refusal (200), the send goes through and its code logs in. The first login's code still
/// works in the first login.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_login_within_the_cooldown_is_told_why_and_when() {
    let smtp = SmtpServer::start();
    let env = start(&smtp);
    let base = env.http_url();
    let form =
        |csrf: &str| vec![("csrf", csrf.to_string()), ("channel", "email".into()), ("rd", "/expense/claims".into())];
    let send = |c: &reqwest::Client, cookie: &str, csrf: &str| {
        let (c, cookie, base, form) = (c.clone(), cookie.to_string(), base.clone(), form(csrf));
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send_code(&c, &base, &cookie, &form).await
        }
    };

    // The first login sends a code; the code field is there.
    let first = client_from(REMOTE);
    let (cookie1, csrf1) = remote_login(&first, &base).await;
    let (r, html) = send(&first, &cookie1, &csrf1).await;
    assert_eq!(r, "sent", "{html}");
    assert!(has_code_field(&html), "{html}");
    smtp.wait_for(1, Duration::from_secs(10));

    // Ten seconds later, a second login of the same user (another browser) asks for a code to the same address.
    env.clock.advance(Duration::from_secs(10));
    let second = client_from(REMOTE);
    let (cookie2, csrf2) = remote_login(&second, &base).await;
    let loc = {
        let r = second
            .post(format!("{base}/.portvakt/second-factor/send"))
            .header("cookie", &cookie2)
            .form(&[("csrf", csrf2.as_str()), ("channel", "email"), ("rd", "/expense/claims")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        r.headers()["location"].to_str().unwrap().to_string()
    };
    assert!(loc.contains("r=cooldown-other"), "{loc}");
    let page = browse(&second, &format!("{base}{loc}"), &cookie2, &[]).await;
    assert_eq!(page.status(), 429);
    assert_eq!(page.headers()["retry-after"], "20");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("A code was sent to the same number or address moments ago for another login, and it works only there. Wait 20 seconds, then ask for a new code here."),
        "{html}"
    );
    assert!(!has_code_field(&html), "this login has no code to type: {html}");
    // Swedish words for the same.
    let sv = browse(&second, &format!("{base}{loc}"), &cookie2, &[("accept-language", "sv")]).await;
    assert!(sv.text().await.unwrap().contains("för en annan inloggning"));

    // The wait passes; the phone reloads the tab: no stale refusal, and the send goes through now.
    env.clock.advance(Duration::from_secs(21));
    let page = browse(&second, &format!("{base}{loc}"), &cookie2, &[]).await;
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("retry-after").is_none());
    let html = page.text().await.unwrap();
    assert!(!html.contains("Wait 20 seconds") && !html.contains("for another login"), "{html}");
    let (r, html) = send(&second, &cookie2, &csrf2).await;
    assert_eq!(r, "sent", "{html}");
    assert!(has_code_field(&html), "{html}");

    // Each login's own code logs it in.
    let mails = smtp.wait_for(2, Duration::from_secs(10));
    let codes: Vec<String> = mails.iter().map(|m| crate::second_factor::code_in(&m.body)).collect();
    for (c, cookie, csrf, code) in [(&first, &cookie1, &csrf1, &codes[0]), (&second, &cookie2, &csrf2, &codes[1])] {
        let r = c
            .post(format!("{base}/.portvakt/second-factor/verify"))
            .header("cookie", cookie.as_str())
            .form(&[("csrf", csrf.as_str()), ("code", code.as_str()), ("rd", "/expense/claims")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/expense/claims");
    }
}

/// Within one login, the refusal of a second send inside the cooldown keeps the words it had ("a code was just
/// sent") and the field for the code already sent, and says the wait left when reloaded ten seconds later.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_login_within_the_cooldown_keeps_its_field() {
    let smtp = SmtpServer::start();
    let env = start(&smtp);
    let base = env.http_url();
    let c = client_from(REMOTE);
    let (cookie, csrf) = remote_login(&c, &base).await;
    let form = [("csrf", csrf.as_str()), ("channel", "email"), ("rd", "/expense/claims")];
    assert_eq!(send_code(&c, &base, &cookie, &form).await.0, "sent");
    let r = c.post(format!("{base}/.portvakt/second-factor/send")).header("cookie", &cookie).form(&form).send().await;
    let loc = r.unwrap().headers()["location"].to_str().unwrap().to_string();
    assert!(loc.contains("r=cooldown&"), "{loc}");
    let html = browse(&c, &format!("{base}{loc}"), &cookie, &[]).await.text().await.unwrap();
    assert!(html.contains("A code was just sent. Wait 30 seconds"), "{html}");
    assert!(has_code_field(&html), "{html}");
    env.clock.advance(Duration::from_secs(10));
    let page = browse(&c, &format!("{base}{loc}"), &cookie, &[]).await;
    assert_eq!(page.headers()["retry-after"], "20");
    let html = page.text().await.unwrap();
    assert!(html.contains("A code was just sent. Wait 20 seconds"), "{html}");
    assert!(has_code_field(&html), "{html}");
}
