//! Phone numbers: never panic; an accepted number is E.164 and normalises to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::phone::{mask, normalize};

fuzz_target!(|data: &[u8]| {
    let Ok(typed) = std::str::from_utf8(data) else { return };
    for (default, allowed) in [("+46", vec!["+46".to_string(), "+47".into(), "+45".into()]), ("+47", vec![])] {
        if let Ok(e164) = normalize(typed, default, &allowed) {
            let digits = e164.strip_prefix('+').expect("starts with +");
            assert!(digits.bytes().all(|b| b.is_ascii_digit()) && (8..=15).contains(&digits.len()), "{e164}");
            assert!(!digits.starts_with('0'), "{e164}");
            assert_eq!(normalize(&e164, default, &allowed), Ok(e164.clone()));
            let _ = mask(&e164, default);
        }
    }
});
