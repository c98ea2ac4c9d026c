//! Policy files: any text is loaded or refused without panicking; every error names the file and a position
//! inside it. Seed the corpus with policies/*.toml.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::config::error::SourceFile;
use portvakt::policy::{CheckContext, PolicySet};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ctx = CheckContext {
        services: ["self-service", "expense", "signing", "self-service-admin"].map(String::from).to_vec(),
        zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
        groups: None,
    };
    let src = SourceFile { path: "policies/fuzz.toml".into(), text: text.into() };
    if let Err(errors) = PolicySet::from_sources(std::slice::from_ref(&src), &ctx) {
        let lines: Vec<&str> = text.split('\n').collect();
        for e in &errors.0 {
            assert_eq!(e.file, src.path);
            if let Some((line, col)) = e.position {
                assert!(line >= 1 && line <= lines.len(), "{e}");
                assert!(col >= 1 && col <= lines[line - 1].chars().count() + 1, "{e}");
            }
        }
    }
});
