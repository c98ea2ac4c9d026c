//! Work an authenticated proxied request no longer does, counted from outside with the in-process gateway rather
//! than timed (docs/BENCHMARKS.md, session 10), and the checks that must still hold with that work saved: the idle
//! timeout, a logout, a changed session.

use crate::common::*;
use std::time::Duration;

/// A session's requests decode its stored record once: later requests whose store answer holds the same bytes copy
/// the decoded record instead of parsing JSON again (the store's touches every 30 s change only `last_seen`, not
/// the record). The backend sees the same identity on every request, and the cache keeps nothing the store does
/// not: the idle timeout still ends the session, and a logout is refused at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_session_hit_decodes_nothing() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let url = format!("{}/expense/", env.http_url());
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (status, _) = get_json(&c, &url, &cookie, &[]).await;
    assert_eq!(status, 200);
    let decoded = env.state.sessions.records_decoded();
    assert!(decoded >= 1, "the first request decoded the record");
    for i in 0..20 {
        env.clock.advance(Duration::from_secs(5));
        let (status, echo) = get_json(&c, &url, &cookie, &[]).await;
        assert_eq!(status, 200, "request {i}");
        assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna", "request {i}");
        assert_eq!(echo["headers"]["x-portvakt-groups"][0], "staff,payroll", "request {i}");
    }
    assert_eq!(
        env.state.sessions.records_decoded(),
        decoded,
        "20 requests of an unchanged session (three store touches among them) decoded its record again"
    );

    // The idle timeout is the store entry's, not the cache's: 15 minutes without a request end the session.
    env.clock.advance(Duration::from_secs(15 * 60));
    assert_eq!(get_json(&c, &url, &cookie, &[]).await.0, 401, "idle for 15 minutes");

    // A new login decodes its own record once; its logout is refused at the next request.
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    for _ in 0..5 {
        assert_eq!(get_json(&c, &url, &cookie, &[]).await.0, 200);
    }
    assert_eq!(env.state.sessions.records_decoded(), decoded + 1, "one decode for the new session's five requests");
    assert_eq!(logout(&c, &env.http_url(), &cookie).await, 200);
    assert_eq!(get_json(&c, &url, &cookie, &[]).await.0, 401, "refused after the logout");
}
