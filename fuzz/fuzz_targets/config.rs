//! Config files: any text is loaded or refused without panicking; every error names the file and a position
//! inside it. Seed the corpus with config/*.toml.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portvakt::config::error::SourceFile;
use portvakt::config::Config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let src = SourceFile { path: "config/fuzz.toml".into(), text: text.into() };
    if let Err(errors) = Config::from_source(&src) {
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
