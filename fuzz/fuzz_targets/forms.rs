//! Form bodies and query strings: never panic; a parsed form re-encoded parses to the same fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pingora_http::RequestHeader;
use portvakt::gateway::http::{parse_form, query_param};

fuzz_target!(|data: &[u8]| {
    let fields = parse_form(data);
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fields {
        s.append_pair(k, v);
    }
    assert_eq!(parse_form(s.finish().as_bytes()), fields);
    let mut uri = b"/.portvakt/login?".to_vec();
    uri.extend_from_slice(data);
    if let Ok(req) = RequestHeader::build("GET", &uri, None) {
        let _ = query_param(&req, "rd");
    }
});
