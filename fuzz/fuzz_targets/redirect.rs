//! `rd` redirect targets: anything accepted, followed by a browser from a portal page, lands on an own host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::gateway::http::safe_redirect;

const OWN: [&str; 2] = ["portal.kommune.no", "expense.kommune.no"];

fuzz_target!(|data: &[u8]| {
    let Ok(rd) = std::str::from_utf8(data) else { return };
    let Some(t) = safe_redirect(rd, &|h| OWN.contains(&h)) else { return };
    let base = url::Url::parse("https://portal.kommune.no/.portvakt/login").unwrap();
    let landed = base.join(&t).unwrap_or_else(|e| panic!("{rd:?} -> {t:?} does not resolve: {e}"));
    assert!(matches!(landed.scheme(), "https" | "http"), "{rd:?} -> {landed}");
    assert!(landed.host_str().is_some_and(|h| OWN.contains(&h)), "{rd:?} -> {landed}");
    assert!(http::HeaderValue::from_str(&t).is_ok(), "{t:?} is no header value");
});
