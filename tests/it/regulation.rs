//! Login regulation from outside (#13 point 3): parallel password guesses for one account are counted before any
//! password is checked, so a burst gets no more checks than the configured failures, and the right password does
//! not get in while the ban holds.

use crate::common::*;

/// 50 parallel wrong passwords for anna (max_failures 5): at most 5 are checked (200 "login failed"), the rest are
/// refused with 429 unchecked; the right password, sent while the burst is still in flight once a ban was seen, and
/// again after it, does not log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_checked_at_most_max_failures() {
    let env = Env::start(Opts {
        extra: "[login]\nmax_failures = 5\nmax_failures_per_address = 1000\nfind_time = \"5m\"\nban_time = \"5m\"\n"
            .into(),
        threads: Some(4),
        ..Opts::default()
    });
    let base = env.http_url();
    let c = client_from(INTERNAL);
    // Fetch every form first (each with its own CSRF cookie), so the POSTs can leave together.
    let mut forms = Vec::new();
    for _ in 0..51 {
        let page = c.get(format!("{base}/.portvakt/login?rd=%2F")).send().await.unwrap();
        let cookie = set_cookie(page.headers(), "portvakt-csrf").unwrap();
        let html = page.text().await.unwrap();
        forms.push((cookie, hidden_field(&html, "csrf").unwrap()));
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(51));
    let banned_seen = std::sync::Arc::new(tokio::sync::Notify::new());
    let tasks: Vec<_> = forms
        .into_iter()
        .enumerate()
        .map(|(i, (cookie, token))| {
            let (c, base, start, banned_seen) = (c.clone(), base.clone(), start.clone(), banned_seen.clone());
            tokio::spawn(async move {
                let password = if i == 50 { PASSWORD.to_string() } else { format!("guess-{i}") };
                start.wait().await;
                if i == 50 {
                    // Bounded: without regulation no 429 ever comes, and the assertions below say so.
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(60), banned_seen.notified()).await;
                }
                let r = c
                    .post(format!("{base}/.portvakt/login"))
                    .header("cookie", cookie)
                    .form(&[("csrf", token.as_str()), ("rd", "/"), ("username", "anna"), ("password", &password)])
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                if status == 429 {
                    banned_seen.notify_one();
                }
                (i, status, set_cookie(r.headers(), "portvakt").is_some())
            })
        })
        .collect();
    let mut checked_wrong = 0;
    let mut refused = 0;
    let mut right = None;
    for t in tasks {
        let (i, status, cookie) = t.await.unwrap();
        if i == 50 {
            right = Some((status, cookie));
            continue;
        }
        match status {
            200 => checked_wrong += 1,
            429 => refused += 1,
            other => panic!("wrong password {i} answered {other}"),
        }
    }
    let (right_status, right_cookie) = right.unwrap();
    assert!(checked_wrong <= 5, "{checked_wrong} wrong passwords were checked; at most 5 may be");
    assert_eq!(checked_wrong + refused, 50);
    assert_eq!(right_status, 429, "the right password during the ban must be refused");
    assert!(!right_cookie, "a refused login sets no session cookie");
    // The ban outlasts the burst.
    let l = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await;
    assert_eq!(l.status, 429, "{}", l.body);
    assert!(l.cookie.is_none());
}
