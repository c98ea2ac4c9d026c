//! The canonical request path, for every backend reading: an accepted path starts with `/`, canonicalises to itself
//! and contains no `/../`, `//` or encoded `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::canonical::{canonicalize, canonicalize_for_routing, PathParams, PathRules};

fn check(raw: &str, got: Result<String, portvakt::canonical::PathError>, again: impl Fn(&str) -> Option<String>) {
    let Ok(c) = got else { return };
    assert!(c.starts_with('/'), "{raw:?} -> {c:?}");
    assert!(!c.contains("/../") && !c.contains("//"), "{raw:?} -> {c:?}");
    assert!(!c.to_ascii_lowercase().contains("%2f"), "{raw:?} -> {c:?}");
    assert_eq!(again(&c).as_deref(), Some(c.as_str()), "not idempotent: {raw:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    for params in [PathParams::Reject, PathParams::Strip, PathParams::Keep] {
        for case_insensitive in [false, true] {
            let rules = PathRules { params, case_insensitive };
            check(raw, canonicalize(raw, rules), |c| canonicalize(c, rules).ok());
        }
    }
    check(raw, canonicalize_for_routing(raw), |c| canonicalize_for_routing(c).ok());
});
