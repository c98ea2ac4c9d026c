//! Accept-Language: any header yields a language the pages are written in, and one the header names (or English).
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::pages::Lang;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let lang = Lang::from_accept_language(Some(header));
    assert!(Lang::ALL.contains(&lang));
    let h = header.to_ascii_lowercase();
    let named = match lang {
        Lang::En => true,
        Lang::Nb => h.contains("nb") || h.contains("no"),
        Lang::Nn => h.contains("nn") || h.contains("nyn"),
        other => h.contains(other.code()),
    };
    assert!(named, "{lang:?} from {header:?}");
});
