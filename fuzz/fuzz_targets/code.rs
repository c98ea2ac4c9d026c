//! One-time codes as typed: never panic; what is compared has no spaces or dashes; long input is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::second_factor::code::normalize;

fuzz_target!(|data: &[u8]| {
    let Ok(typed) = std::str::from_utf8(data) else { return };
    match normalize(typed) {
        Some(n) => assert!(typed.len() <= 64 && !n.chars().any(|c| c.is_whitespace() || c == '-'), "{n:?}"),
        None => assert!(typed.len() > 64),
    }
});
