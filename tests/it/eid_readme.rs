//! The README's eID-by-country configurations (Norway, Sweden, Denmark, Entra ID), taken from README.md as written,
//! pass `portvakt check` with the real binary; a mistake put into one is reported at its line and column.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A users file with one account (the hash is of a throwaway password).
const USERS: &str = "[[users]]\nusername = \"anna\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$qVrSYzry/0mNj/z5jpNPLw$kl9D321lJqftIGzFEKYg+6X/GfpCuGvdFcADbrOMhSY\"\nemail = \"anna@kommune.example\"\n";

/// The `<!-- example: NAME -->` TOML blocks of README.md, by name.
fn examples() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut out = Vec::new();
    let mut rest = readme.as_str();
    while let Some(i) = rest.find("<!-- example: ") {
        let after = &rest[i + "<!-- example: ".len()..];
        let name = after[..after.find(" -->").unwrap()].to_string();
        let body_start = after.find("```toml\n").unwrap() + "```toml\n".len();
        let body = &after[body_start..];
        let end = body.find("\n```").unwrap();
        out.push((name, body[..=end].to_string()));
        rest = &body[end..];
    }
    out
}

/// Writes an example as `portvakt.toml` beside the files it names; returns the config's path.
fn lay_out(dir: &Path, text: &str) -> PathBuf {
    std::fs::write(dir.join("users.toml"), USERS).unwrap();
    std::fs::write(dir.join("store-keys"), portvakt::store::seal::Secrets::generate_file_text()).unwrap();
    std::fs::write(dir.join("idporten-client.pem"), crate::common::oidc::client_key().0).unwrap();
    for secret in ["se-eid-secret", "mitid-secret", "entra-secret"] {
        std::fs::write(dir.join(secret), "a-client-secret\n").unwrap();
    }
    let cfg = dir.join("portvakt.toml");
    std::fs::write(&cfg, text).unwrap();
    cfg
}

/// Runs `portvakt check` on a config; exit code and stdout.
fn check(cfg: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_portvakt")).args(["check", "--config"]).arg(cfg).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every country section has its example, and each passes `portvakt check` as written.
#[test]
fn readme_country_examples_pass_check() {
    let ex = examples();
    let names: Vec<&str> = ex.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["norway", "sweden", "denmark", "entra-id"]);
    for (name, text) in &ex {
        assert!(text.contains("[[eid.providers]]"), "{name}");
        let dir = tempfile::tempdir().unwrap();
        let (code, out) = check(&lay_out(dir.path(), text));
        assert_eq!((code, out.as_str()), (Some(0), "ok\n"), "{name}:\n{text}");
    }
}

/// The same examples with a mistake each are refused at the value's line and column: a multi-tenant Entra ID, a
/// broker without its acr table, an ID-porten acr value outside the table.
#[test]
fn readme_examples_with_mistakes_are_refused_at_their_keys() {
    let ex = examples();
    let get = |n: &str| ex.iter().find(|(name, _)| name == n).unwrap().1.clone();
    let cases = [
        (
            get("entra-id").replace("tenant_id = \"7d1f4a9e-2b3c-4d5e-8f90-1a2b3c4d5e6f\"", "tenant_id = \"common\""),
            "\"common\"",
            "tenant_id \"common\" is multi-tenant",
        ),
        (
            {
                let t = get("denmark");
                t[..t.find("[eid.providers.acr]").unwrap()].to_string()
            },
            "\"mitid\"",
            "profile = \"broker\" needs an `acr` table",
        ),
        (
            get("norway").replace("acr_values = [\"idporten-loa-substantial\"]", "acr_values = [\"Level4\"]"),
            "\"Level4\"",
            "acr value \"Level4\" is not in this provider's `acr` table",
        ),
    ];
    for (text, at, msg) in cases {
        let dir = tempfile::tempdir().unwrap();
        let cfg = lay_out(dir.path(), &text);
        let (code, out) = check(&cfg);
        assert_eq!(code, Some(1), "{out}");
        let offset = text.find(at).unwrap();
        let line = text[..offset].matches('\n').count() + 1;
        let col = offset - text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
        let want = format!("{}:{line}:{col}: {msg}", cfg.display());
        assert!(out.contains(&want), "want {want}\n{out}");
    }
}
