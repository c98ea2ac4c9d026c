//! Config durations: never panic; a bare number is never accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::config::duration::parse_duration;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let r = parse_duration(s);
    if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) {
        assert!(r.is_err(), "bare number {s:?} accepted");
    }
});
