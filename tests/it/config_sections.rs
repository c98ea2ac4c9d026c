//! Config sections are owned by their modules and documented: `src/config/` only composes (its file format is the
//! one `FileConfig` table of sections, each section's struct lives in the module it configures), and every key of
//! every section is in README's configuration reference. Both are derived from the source, so a new section or key
//! is checked without editing this file.
//!
//! The steps for adding a section are in the `config` module's doc ("Adding a config section").

use std::path::{Path, PathBuf};

/// The repository root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository as text.
fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The body of `pub struct NAME { ... }` in `src`.
fn struct_body<'a>(src: &'a str, name: &str) -> Option<&'a str> {
    let start = src.find(&format!("pub struct {name} {{"))?;
    let end = src[start..].find("\n}\n")? + start;
    Some(&src[start..end])
}

/// The `pub NAME: TYPE,` fields of a struct body, in order.
fn fields(body: &str) -> Vec<(String, String)> {
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .filter_map(|l| l.split_once(": "))
        .map(|(n, t)| (n.to_string(), t.trim_end_matches(',').to_string()))
        .collect()
}

/// The `crate::a::b::FileX` path inside a field's type, if any.
fn file_struct_path(ty: &str) -> Option<String> {
    let start = ty.find("crate::")?;
    let path: String = ty[start..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
    path.rsplit("::").next().is_some_and(|last| last.starts_with("File")).then_some(path)
}

/// The source file that defines the item at `crate::a::b::Item`: `src/a/b.rs` or `src/a/b/mod.rs`.
fn source_of(path: &str) -> PathBuf {
    let parts: Vec<&str> = path.split("::").collect();
    let module = parts[1..parts.len() - 1].join("/");
    let file = root().join("src").join(format!("{module}.rs"));
    if file.exists() {
        file
    } else {
        root().join("src").join(module).join("mod.rs")
    }
}

/// The README text under the `###` heading that names `[key]` or `[[key]]`, up to the next `###` or `##`.
fn readme_section<'a>(readme: &'a str, key: &str) -> Option<&'a str> {
    let reference = &readme[readme.find("## Configuration reference")?..];
    let mut at = 0;
    while let Some(i) = reference[at..].find("\n### ") {
        let start = at + i + 1;
        let line_end = reference[start..].find('\n').map_or(reference.len(), |e| start + e);
        let heading = &reference[start..line_end];
        if heading.contains(&format!("`[{key}]`")) || heading.contains(&format!("`[[{key}]]`")) {
            let end = [reference[line_end..].find("\n### "), reference[line_end..].find("\n## ")]
                .into_iter()
                .flatten()
                .min()
                .map_or(reference.len(), |e| line_end + e);
            return Some(&reference[start..end]);
        }
        at = line_end;
    }
    None
}

/// Whether a README section documents `key`: in a code span (`key`, `key = ...`), as a TOML line of an example
/// (`key = ...`, commented or not), as the `_file` form of a secret, or as a sub-table `[table.key]` with its own
/// heading.
fn documents(readme: &str, section: &str, table: &str, key: &str) -> bool {
    section.contains(&format!("`{key}`"))
        || section.contains(&format!("`{key} ="))
        || section.contains(&format!("`{key}_file`"))
        || readme.contains(&format!("`[{table}.{key}]`"))
        || readme.contains(&format!("`[[{table}.{key}]]`"))
        || section.lines().any(|l| {
            let l = l.trim_start().trim_start_matches('#').trim_start();
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
}

/// `src/config/file.rs` defines only the `FileConfig` table and `src/config/mod.rs` only `Config`: every section's
/// file struct and settings type live in the module the section configures.
#[test]
fn config_only_composes_the_sections() {
    for (file, allowed) in [("src/config/file.rs", "FileConfig"), ("src/config/mod.rs", "Config")] {
        let text = read(file);
        let structs: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("pub struct ").or(l.trim_start().strip_prefix("struct ")))
            .filter_map(|l| l.split([' ', '{', '<', '(']).next())
            .collect();
        assert_eq!(structs, vec![allowed], "{file} defines a section's type: move it into the module it configures");
    }
    let file = read("src/config/file.rs");
    for (name, ty) in fields(struct_body(&file, "FileConfig").expect("FileConfig")) {
        if ty.contains("File") {
            let path = file_struct_path(&ty).unwrap_or_else(|| panic!("[{name}]: {ty} is not a crate:: path"));
            assert!(!path.starts_with("crate::config::"), "[{name}] is defined in config: {path}");
        }
    }
}

/// Every section of the config file has a heading in README's configuration reference, and every key of its file
/// struct is named under that heading (scalar top-level keys anywhere in the README).
#[test]
fn every_config_key_is_in_the_readme_reference() {
    let readme = read("README.md");
    let file = read("src/config/file.rs");
    let mut missing = Vec::new();
    let mut checked = 0;
    for (name, ty) in fields(struct_body(&file, "FileConfig").expect("FileConfig")) {
        let Some(path) = file_struct_path(&ty) else {
            if !readme.contains(&format!("`{name}")) {
                missing.push(format!("top-level key `{name}`"));
            }
            continue;
        };
        let Some(section) = readme_section(&readme, &name) else {
            missing.push(format!("a ### heading for [{name}]"));
            continue;
        };
        let src = std::fs::read_to_string(source_of(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        let struct_name = path.rsplit("::").next().unwrap_or_default();
        let body = struct_body(&src, struct_name).unwrap_or_else(|| panic!("{struct_name} not in {path}"));
        for (key, _) in fields(body) {
            checked += 1;
            if !documents(&readme, section, &name, &key) {
                missing.push(format!("[{name}] {key}"));
            }
        }
    }
    assert!(checked > 100, "only {checked} keys found: the parser lost the sections");
    assert!(missing.is_empty(), "not in README's configuration reference: {missing:#?}");
}
