//! Tests of the `portvakt` command itself: check, explain, hash-password, dev-cert.

use std::io::Write;
use std::process::{Command, Stdio};

fn portvakt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_portvakt"))
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const USERS: &str = "[[users]]\nusername = \"anna\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$qVrSYzry/0mNj/z5jpNPLw$kl9D321lJqftIGzFEKYg+6X/GfpCuGvdFcADbrOMhSY\"\n";

const GOOD: &str = r#"[[listeners]]
address = "127.0.0.1:8080"
redirect_to_https = false

[[zones]]
name = "internal"
cidrs = ["10.0.0.0/8"]

[[directories]]
name = "staff"
kind = "file"
path = "users.toml"

[[services]]
name = "expense"
upstreams = ["127.0.0.1:9000"]
"#;

/// `check` prints ok for the demo config shipped in the repo.
#[test]
fn check_accepts_shipped_demo_config() {
    let out = portvakt().args(["check", "--config", "config/demo.toml"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    assert!(out.status.success());
}

/// `check` reports each problem as FILE:LINE:COL and exits 1; a bad users file is found too.
#[test]
fn check_reports_broken_config_with_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "users.toml", "[[users]]\nusername = \"anna\"\npassword_hash = \"plaintext\"\n");
    let bad = GOOD.replace("10.0.0.0/8", "10.0.0.0/33").replace("[[services]]", "[[services]]\ncolour = \"blue\"");
    let cfg = write(dir.path(), "portvakt.toml", &bad);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("{}:15:1: unknown field `colour`", cfg.display())), "{stdout}");

    let bad = GOOD.replace("10.0.0.0/8", "10.0.0.0/33");
    let cfg = write(dir.path(), "portvakt.toml", &bad);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains(&format!("{}:7:10: \"10.0.0.0/33\" is not a CIDR", cfg.display())), "{stdout}");

    let cfg = write(dir.path(), "portvakt.toml", GOOD);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("users.toml:3:17: password_hash of \"anna\""), "{stdout}");

    let cfg = write(dir.path(), "portvakt.toml", &format!("{GOOD}\n[accounts]\npath = \"accounts.json\"\n"));
    write(dir.path(), "users.toml", USERS);
    write(dir.path(), "accounts.json", "{ not json");
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("accounts.json: account store") && stdout.contains("not valid account data"), "{stdout}");

    let out = portvakt().args(["check", "--config", "/nonexistent/portvakt.toml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("/nonexistent/portvakt.toml: cannot read file"));
}

/// An unreadable certificate is a check error at the `cert` key, not a panic at start.
#[test]
fn check_reports_missing_certificate() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "users.toml", USERS);
    let text = format!("{GOOD}\n[tls]\ncert = \"missing.pem\"\nkey = \"missing-key.pem\"\n");
    let cfg = write(dir.path(), "portvakt.toml", &text);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(":19:8: cannot read certificate"), "{stdout}");
    let out = portvakt().args(["run", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read certificate"));
}

/// `explain` exits 0 on allow, 3 on deny and 1 on error, and names the rule.
#[test]
fn explain_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "users.toml", USERS);
    let cfg = write(dir.path(), "portvakt.toml", GOOD);
    let run = |args: &[&str]| {
        let out = portvakt().arg("explain").arg("--config").arg(&cfg).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["--service", "expense", "--zone", "internal", "--user", "anna"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("allow\nrule: builtin:zone-login"), "{out}");
    let (code, out, _) = run(&["--service", "expense", "--zone", "remote", "--user", "anna", "--methods", "password"]);
    assert_eq!(code, Some(3));
    assert!(out.starts_with("deny\n") && out.contains("would allow"), "{out}");
    let (code, _, _) =
        run(&["--service", "expense", "--zone", "remote", "--user", "anna", "--methods", "password,sms"]);
    assert_eq!(code, Some(0));
    let (code, _, err) = run(&["--service", "payroll", "--zone", "internal", "--user", "anna"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown service \"payroll\""));
    let (code, _, err) = run(&["--service", "expense", "--zone", "mars", "--user", "anna"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("unknown zone"));
}

/// `hash-password` prints an argon2id hash that the users file accepts and that verifies the password.
#[test]
fn hash_password_roundtrip() {
    let mut child = portvakt().arg("hash-password").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"vinter 2026\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(hash.starts_with("$argon2id$"));
    assert!(portvakt::directory::password::verify_password("vinter 2026", &hash));
    let out = portvakt().arg("hash-password").stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// `dev-cert` writes a certificate, key and assertion key that a TLS config then accepts.
#[test]
fn dev_cert_files_pass_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = portvakt().args(["dev-cert", "--out"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    write(dir.path(), "users.toml", USERS);
    let text = format!("{GOOD}\n[[listeners]]\naddress = \"127.0.0.1:8443\"\ntls = true\n\n[tls]\ncert = \"dev-cert.pem\"\nkey = \"dev-key.pem\"\n\n[assertion]\nkey_file = \"dev-assertion-key.pem\"\n\n[store]\nkind = \"sqlite\"\npath = \"state.db\"\nkeys_file = \"dev-store-keys\"\n");
    let cfg = write(dir.path(), "portvakt.toml", &text);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("dev-key.pem")).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "private key must not be readable by others");
}

const POLICY: &str = r#"timezone = "Europe/Oslo"

[[rule]]
id = "expense-inside"
services = ["expense"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "expense-outside"
services = ["expense"]
effect = "allow"
zones = ["remote"]
two_factor = true

[[rule]]
id = "expense-closed-sunday"
services = ["expense"]
effect = "deny"
[[rule.windows]]
days = ["sun"]
from = "00:00"
to = "23:59"
"#;

fn policy_env(policy: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "users.toml", USERS);
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    write(&dir.path().join("policies"), "expense.toml", policy);
    let cfg = write(dir.path(), "portvakt.toml", &format!("policies_dir = \"policies\"\n{GOOD}"));
    (dir, cfg)
}

/// With policies, explain names the deciding rule and what would allow it; exit 0 allow, 3 deny, 1 error.
#[test]
fn explain_with_policies() {
    let (_dir, cfg) = policy_env(POLICY);
    let run = |args: &[&str]| {
        let out = portvakt().arg("explain").arg("--config").arg(&cfg).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let tuesday = ["--at", "2026-11-24T10:00:00+01:00"];
    let (code, out, err) =
        run(&[&["--service", "expense", "--zone", "internal", "--user", "anna"][..], &tuesday].concat());
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("allow\nrule: expense-inside ("), "{out}");
    let (code, out, _) = run(&[&["--service", "expense", "--zone", "remote", "--user", "anna"][..], &tuesday].concat());
    assert_eq!(code, Some(3));
    assert!(out.starts_with("deny\n"), "{out}");
    assert!(out.contains("would allow: log in with a one-time code"), "{out}");
    let sunday = ["--at", "2026-11-29T10:00:00+01:00"];
    let (code, out, _) =
        run(&[&["--service", "expense", "--zone", "internal", "--user", "anna"][..], &sunday].concat());
    assert_eq!(code, Some(3));
    assert!(out.contains("rule: expense-closed-sunday ("), "{out}");
    assert!(out.contains("would allow: try again after"), "{out}");
    let (code, _, err) = run(&["--service", "expense", "--zone", "internal", "--user", "anna", "--at", "yesterday"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("RFC 3339"), "{err}");
}

/// check reports policy problems with file, line and column: unknown service, shadowed allow, bad time.
#[test]
fn check_reports_policy_problems() {
    let bad = format!(
        "{POLICY}\n[[rule]]\nid = \"typo\"\nservices = [\"expnse\"]\neffect = \"allow\"\n\n[[rule]]\nid = \"late\"\nservices = [\"expense\"]\neffect = \"allow\"\n[[rule.windows]]\ndays = [\"mon\"]\nfrom = \"25:00\"\nto = \"26:00\"\n"
    );
    let (dir, cfg) = policy_env(&bad);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let file = dir.path().join("policies/expense.toml");
    assert!(stdout.contains(&format!("{}:27:13:", file.display())) && stdout.contains("expnse"), "{stdout}");
    assert!(stdout.contains(&format!("{}:36:8:", file.display())) && stdout.contains("25:00"), "{stdout}");
    let shadow = "[[rule]]\nid = \"all\"\nservices = [\"expense\"]\neffect = \"allow\"\n\n[[rule]]\nid = \"nobody\"\nservices = [\"expense\"]\neffect = \"deny\"\n";
    let (_dir, cfg) = policy_env(shadow);
    let out = portvakt().args(["check", "--config"]).arg(&cfg).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("expense.toml:1:1:") && stdout.contains("nobody"), "shadowed allow named: {stdout}");
}
