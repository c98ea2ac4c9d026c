//! The crate's layers, checked: every `crate::` and `super::` path in `src/**.rs` (outside `#[cfg(test)]` modules)
//! must point down the layer table below, or to a module listed earlier in its own layer. A new module is placed in
//! the table before it can be used; an import that points up fails with the file and line that made it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, bottom first. A unit is a top-level module, or a submodule that sits lower than its parent (the
/// config core). Within a layer a unit may use the units listed before it, so the whole table is one order and no
/// cycle can pass. Units listed here that do not exist yet are allowed (modules that are planned).
const LAYERS: &[(&str, &[&str])] = &[
    (
        "config core: source files, positions, durations, secrets, the one Checker; time, methods, paths, tokens",
        &[
            "config::error",
            "config::duration",
            "config::secret",
            "config::check",
            "clock",
            "methods",
            "phone",
            "canonical",
            "token",
        ],
    ),
    ("identity, zones, protected services, policy", &["identity", "zones", "protected", "policy"]),
    (
        "stores, directories, notification, connection limits, TLS session tickets",
        &["store", "directory", "notify", "edge", "metrics", "tls"],
    ),
    (
        "domain services",
        &[
            "instrument",
            "session",
            "regulation",
            "second_factor",
            "account",
            "assertion",
            "assertion_cache",
            "eid",
            "access",
            "audit",
            "services",
            "forwarding",
            "branding",
        ],
    ),
    ("config: composes every section into one validated Config", &["admin::config", "server::config", "config"]),
    ("pages: HTML and strings", &["pages"]),
    ("gateway: router, extractors, handlers, proxy phases", &["gateway"]),
    ("server, its admin listener and health, binary upgrade, demo", &["admin", "health", "upgrade", "server", "demo"]),
    ("command line", &["cli"]),
];

/// Imports that still point the wrong way: (from unit, to unit). Each is a move not made yet; the test fails when
/// one of them is gone too, so the list only shrinks.
const KNOWN: &[(&str, &str)] = &[];

/// Rank of a unit in the table: (layer, position within it).
fn rank(unit: &str) -> Option<(usize, usize)> {
    LAYERS.iter().enumerate().find_map(|(l, (_, units))| units.iter().position(|u| *u == unit).map(|p| (l, p)))
}

/// The unit a module path belongs to: the longest prefix of it that is in the table (else its top-level module).
fn unit_of(path: &[String]) -> String {
    for n in (1..=path.len().min(2)).rev() {
        let candidate = path[..n].join("::");
        if rank(&candidate).is_some() {
            return candidate;
        }
    }
    path.first().cloned().unwrap_or_default()
}

/// Source text with comments, string and character literals blanked out (newlines kept, so lines still count).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (i == 0 || !ident(b[i - 1]) || b[i - 1] == 'b') && matches!(next, Some('"' | '#')) {
            // A raw string r"..." or r#"..."#; `r#ident` is a raw identifier and passes through.
            let hashes = b[i + 1..].iter().take_while(|c| **c == '#').count();
            if b.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            i += 2 + hashes;
            out.push_str(&" ".repeat(2 + hashes));
            while i < b.len() && !b[i..].starts_with(&close) {
                out.push(blank(b[i]));
                i += 1;
            }
            out.push_str(&" ".repeat(close.len()));
            i += close.len();
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if let Some(&x) = b.get(i) {
                    out.push(blank(x));
                }
                i += 1;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // 'x', '\n', '\u{..}' are characters; 'a without a closing quote right after is a lifetime.
            let end = if next == Some('\\') {
                b[i + 2..].iter().position(|c| *c == '\'').map(|p| i + 2 + p)
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    out.push_str(&" ".repeat(e + 1 - i));
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// An item without its leading whitespace and `pub`, `pub(crate)`, `pub(super)`, ... visibility.
fn without_visibility(item: &str) -> &str {
    let t = item.trim_start();
    match t.strip_prefix("pub") {
        Some(r) if r.starts_with('(') => r.find(')').map(|e| r[e + 1..].trim_start()).unwrap_or(t),
        Some(r) if r.starts_with(char::is_whitespace) => r.trim_start(),
        _ => t,
    }
}

/// Removes the bodies of `#[cfg(test)]` inline modules (tests may use the whole crate).
fn drop_test_modules(s: &str) -> String {
    let mut out = s.to_string();
    let mut from = 0;
    while let Some(p) = out[from..].find("#[cfg(test)]").map(|p| p + from) {
        let after = &out[p + "#[cfg(test)]".len()..];
        let is_mod = without_visibility(after).starts_with("mod ");
        let open = after.find('{').map(|o| p + "#[cfg(test)]".len() + o);
        let semi = after.find(';').map(|o| p + "#[cfg(test)]".len() + o);
        match (is_mod, open) {
            (true, Some(o)) if semi.is_none_or(|s| s > o) => {
                let mut depth = 0usize;
                let mut end = out.len();
                for (k, ch) in out[o..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = o + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let blanked: String = out[p..end].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
                out.replace_range(p..end, &blanked);
                from = end;
            }
            _ => from = p + 1,
        }
    }
    out
}

/// Every module path a piece of source names through `crate::` or `super::`, with its line; `module` is the path of
/// the file's own module (for `super`).
fn referenced_paths(src: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let text = drop_test_modules(&strip(src));
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == '$');
        let rest = &chars[i..];
        let (base, skip): (Vec<String>, usize) =
            if starts_word && rest.starts_with(&['c', 'r', 'a', 't', 'e', ':', ':']) {
                (Vec::new(), 7)
            } else if starts_word && rest.starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
                let mut base = module.to_vec();
                let mut k = i;
                while chars[k..].starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
                    base.pop();
                    k += 7;
                }
                (base, k - i)
            } else {
                i += 1;
                continue;
            };
        let line = chars[..i].iter().filter(|c| **c == '\n').count() + 1;
        let mut k = i + skip;
        for p in parse_tree(&chars, &mut k) {
            let mut full = base.clone();
            full.extend(p);
            if !full.is_empty() {
                found.push((line, full));
            }
        }
        i = k.max(i + 1);
    }
    found
}

/// Parses `a::b::{c, d::e}` (after `crate::`) into its paths, first segments only where a group follows.
fn parse_tree(chars: &[char], k: &mut usize) -> Vec<Vec<String>> {
    let skip_ws = |k: &mut usize| {
        while *k < chars.len() && chars[*k].is_whitespace() {
            *k += 1;
        }
    };
    let mut segments = Vec::new();
    loop {
        skip_ws(k);
        if chars.get(*k) == Some(&'{') {
            *k += 1;
            let mut out = Vec::new();
            loop {
                skip_ws(k);
                match chars.get(*k) {
                    None => return out,
                    Some('}') => {
                        *k += 1;
                        return out;
                    }
                    Some(',') => *k += 1,
                    Some(_) => {
                        let before = *k;
                        for p in parse_tree(chars, k) {
                            let mut full: Vec<String> = segments.clone();
                            full.extend(p);
                            out.push(full);
                        }
                        if *k == before {
                            *k += 1;
                        }
                    }
                }
            }
        }
        let start = *k;
        while *k < chars.len() && (chars[*k].is_alphanumeric() || chars[*k] == '_') {
            *k += 1;
        }
        if *k == start {
            return vec![segments];
        }
        let word: String = chars[start..*k].iter().collect();
        if word != "self" {
            segments.push(word);
        }
        skip_ws(k);
        if chars.get(*k) == Some(&':') && chars.get(*k + 1) == Some(&':') {
            *k += 2;
        } else {
            // `as` renames and anything after the path end it.
            return vec![segments];
        }
    }
}

/// A wrong-way import: file, line, from unit, to unit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    file: String,
    line: usize,
    from: String,
    to: String,
}

/// Problems in one file's source: wrong-way imports, and units the table does not know.
fn check_source(file: &str, module: &[String], src: &str) -> (Vec<Violation>, Vec<String>) {
    let from = unit_of(module);
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    let Some(from_rank) = rank(&from) else {
        unknown.push(format!("{file}: module `{from}` is not in the layer table (tests/it/layers.rs): place it"));
        return (wrong, unknown);
    };
    for (line, path) in referenced_paths(src, module) {
        let to = unit_of(&path);
        if to == from {
            continue;
        }
        match rank(&to) {
            None => unknown.push(format!("{file}:{line}: `{to}` is not in the layer table (tests/it/layers.rs)")),
            Some(r) if r < from_rank => {}
            Some(_) => wrong.push(Violation { file: file.to_string(), line, from: from.clone(), to }),
        }
    }
    (wrong, unknown)
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
}

/// The module path of a file under `src/` (`config/error.rs` → `config::error`, `config/mod.rs` → `config`).
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" && stem != "lib" {
            parts.push(stem.to_string());
        }
    }
    parts
}

/// Modules declared `#[cfg(test)] mod name;` in a file: test-only, like inline test modules.
fn test_only_children(src: &str, module: &[String]) -> Vec<Vec<String>> {
    let text = strip(src);
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(p) = rest.find("#[cfg(test)]") {
        rest = &rest[p + "#[cfg(test)]".len()..];
        if let Some(decl) = without_visibility(rest).strip_prefix("mod ") {
            let name: String = decl.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if decl[name.len()..].trim_start().starts_with(';') {
                let mut m = module.to_vec();
                m.push(name);
                out.push(m);
            }
        }
    }
    out
}

/// Every wrong-way import and unknown unit in `src/` (the binary's `main.rs` and the crate root excluded).
fn scan_crate() -> (Vec<Violation>, Vec<String>) {
    let src_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src_dir, &mut files);
    let mut sources = Vec::new();
    let mut test_only = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src_dir).unwrap_or(f).to_path_buf();
        let text = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let module = module_of(&rel);
        test_only.extend(test_only_children(&text, &module));
        sources.push((rel, module, text));
    }
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for (rel, module, text) in &sources {
        if module.is_empty() || rel == Path::new("main.rs") || test_only.iter().any(|t| module.starts_with(t)) {
            continue;
        }
        let (w, u) = check_source(&format!("src/{}", rel.display()), module, text);
        wrong.extend(w);
        unknown.extend(u);
    }
    (wrong, unknown)
}

/// No import in src/ points up the layer table, apart from the moves still listed in KNOWN; every module is placed.
#[test]
fn imports_point_down_the_layers() {
    let (wrong, unknown) = scan_crate();
    assert!(unknown.is_empty(), "modules missing from the layer table:\n{}", unknown.join("\n"));
    let unexpected: Vec<String> = wrong
        .iter()
        .filter(|v| !KNOWN.contains(&(v.from.as_str(), v.to.as_str())))
        .map(|v| format!("{}:{}: `{}` uses `{}`, which is above it", v.file, v.line, v.from, v.to))
        .collect();
    assert!(unexpected.is_empty(), "imports pointing up the layers (tests/it/layers.rs):\n{}", unexpected.join("\n"));
    let pairs: BTreeSet<(&str, &str)> = wrong.iter().map(|v| (v.from.as_str(), v.to.as_str())).collect();
    let fixed: Vec<String> =
        KNOWN.iter().filter(|k| !pairs.contains(*k)).map(|(a, b)| format!("({a:?}, {b:?})")).collect();
    assert!(fixed.is_empty(), "fixed, so remove from KNOWN in tests/it/layers.rs: {}", fixed.join(", "));
}

/// The checker sees a wrong import however it is written (plain, grouped, nested, inline, through `super`), and
/// ignores comments, strings and test modules.
#[test]
fn a_wrong_import_is_caught_in_every_spelling() {
    let zones = vec!["zones".to_string()];
    let wrong = |src: &str, module: &[String]| {
        check_source("src/x.rs", module, src).0.into_iter().map(|v| (v.line, v.to)).collect::<Vec<_>>()
    };
    assert_eq!(wrong("use crate::gateway::Gateway;\n", &zones), vec![(1, "gateway".to_string())]);
    assert_eq!(wrong("use crate::{clock::Clock, config::Config};\n", &zones), vec![(1, "config".to_string())]);
    assert_eq!(wrong("use crate::config::{error::SourceFile, Config};\n", &zones), vec![(1, "config".to_string())]);
    assert_eq!(wrong("fn f(x: &crate::session::SessionKey) {}\n", &zones), vec![(1, "session".to_string())]);
    let check = vec!["config".to_string(), "check".to_string()];
    assert_eq!(wrong("\nuse super::Config;\n", &check), vec![(2, "config".to_string())]);
    assert_eq!(wrong("use super::{duration::ConfigDuration, error::SourceFile};\n", &check), vec![]);
    let fine = "// crate::gateway in a comment\n/* crate::server */ const S: &str = \"crate::cli\";\n\
                const C: char = '{'; fn f<'a>(x: &'a str) -> &'a str { x }\n\
                #[cfg(test)]\npub(super) mod tests {\n use crate::gateway::X;\n fn g() { let _ = \"}\"; }\n}\n\
                use crate::{clock::Clock, methods::Method as M};\n";
    assert_eq!(wrong(fine, &zones), vec![]);
    assert_eq!(wrong(&format!("{fine}use crate::server::Deps;\n"), &zones), vec![(10, "server".to_string())]);
    let (_, unknown) = check_source("src/x.rs", &zones, "use crate::nowhere::X;\n");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
}
