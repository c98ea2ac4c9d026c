//! Issue #16 point 6: service titles and descriptions per language. `[[services]] title = { sv = "Lön", en =
//! "Payroll" }` shows the reader's language on the portal, else the default language's, else any written one; a
//! plain string stays valid for every language.

use crate::common::*;

/// A payroll service with a title in Swedish, bokmål and English and a description in Swedish and English; the
/// gateway's default language is bokmål.
const EXTRA: &str = r#"
[branding]
default_language = "nb"

[[services]]
name = "payroll"
title = { sv = "Lön", nb = "Lønn", en = "Payroll" }
description = { sv = "Lönebesked och frånvaro", en = "Payslips and absence" }
path_prefix = "/payroll"
upstreams = ["127.0.0.1:1"]
show = "all"
"#;

/// The portal in `lang` for anna, logged in from the municipality's network.
async fn portal(env: &Env, cookie: &str, lang: &str) -> String {
    let c = client_from(INTERNAL);
    let r = browse(&c, &format!("{}/.portvakt/portal", env.http_url()), cookie, &[("accept-language", lang)]).await;
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// Swedish and English readers see the payroll service's title and description in their language; a Danish reader
/// gets the default language's title (bokmål) and, with no description in bokmål, the first written one; the
/// plain-string titles of the other services show in every language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_shows_titles_in_the_readers_language() {
    let env = Env::start(Opts { extra: EXTRA.into(), ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let sv = portal(&env, &cookie, "sv").await;
    assert!(sv.contains(">Lön<") && sv.contains("Lönebesked och frånvaro"), "{sv}");
    assert!(!sv.contains("Payroll") && !sv.contains("Lønn"), "{sv}");
    let en = portal(&env, &cookie, "en").await;
    assert!(en.contains(">Payroll<") && en.contains("Payslips and absence"), "{en}");
    assert!(!en.contains(">Lön<"), "{en}");
    let da = portal(&env, &cookie, "da").await;
    assert!(da.contains(">Lønn<") && da.contains("Lönebesked och frånvaro"), "{da}");
    for page in [&sv, &en, &da] {
        assert!(page.contains("Expenses"), "{page}");
    }
}
