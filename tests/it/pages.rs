//! The gateway's own pages from the outside: words in the reader's language, with plural forms that fit the count.

use crate::common::*;

/// GETs a page with an Accept-Language header and returns its body.
async fn page_in(env: &Env, path: &str, lang: &str) -> String {
    let r = client_from(INTERNAL)
        .get(format!("{}{path}", env.http_url()))
        .header("accept-language", lang)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// After a one-minute idle timeout the login page says "1 minut" / "1 minute" (not "1 minuter", "1 minutes"), and
/// no Unicode isolation marks reach the page.
#[tokio::test(flavor = "multi_thread")]
async fn idle_notice_uses_the_singular_for_one_minute() {
    let session = "[session]\nidle_timeout = \"1m\"\nabsolute_lifetime = \"12h\"\n".to_string();
    let env = Env::start(Opts { session: Some(session), ..Default::default() });
    let sv = page_in(&env, "/.portvakt/login?expired=1", "sv-SE").await;
    assert!(sv.contains("mer än 1 minut. Logga in igen."), "{sv}");
    assert!(!sv.contains("1 minuter"), "{sv}");
    let en = page_in(&env, "/.portvakt/login?expired=1", "en").await;
    assert!(en.contains("for more than 1 minute. Log in again."), "{en}");
    let da = page_in(&env, "/.portvakt/login?expired=1", "da").await;
    assert!(da.contains("mere end 1 minut. Log ind igen."), "{da}");
    for body in [sv, en, da] {
        assert!(!body.contains(['\u{2068}', '\u{2069}']), "isolation marks on the page: {body:?}");
    }
}
