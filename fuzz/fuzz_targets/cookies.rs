//! Cookie headers: one header per input line. A value is only ever returned for exactly the name asked for, and
//! stripping leaves no cookie of a stripped name.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingora_http::RequestHeader;
use portvakt::gateway::http::{cookie, cookies, strip_cookies};

fuzz_target!(|data: &[u8]| {
    let mut req = RequestHeader::build("GET", b"/", None).unwrap();
    for line in data.split(|b| *b == b'\n') {
        if let Ok(v) = http::HeaderValue::from_bytes(line) {
            req.append_header("cookie", v).unwrap();
        }
    }
    let names = ["portvakt", "portvakt-csrf", "__Host-portvakt"];
    for name in names {
        if let Some(v) = cookie(&req, name) {
            assert!(cookies(&req).any(|(n, val)| n == name && val == v), "{name}={v} not a cookie of that name");
        }
    }
    let strip: Vec<String> = names.iter().take(2).map(|s| s.to_string()).collect();
    let before: Vec<(String, String)> =
        cookies(&req).filter(|(n, _)| !strip.iter().any(|s| s == n)).map(|(n, v)| (n.into(), v.into())).collect();
    strip_cookies(&mut req, &strip);
    let after: Vec<(String, String)> = cookies(&req).map(|(n, v)| (n.into(), v.into())).collect();
    assert_eq!(before, after, "stripping changed other cookies or left a stripped one");
});
