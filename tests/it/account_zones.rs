//! Issue #16.5: one source of truth for where account actions may happen. With policy files, `[accounts]
//! phone_zones` and `[eid] link_zones` must agree with the `account.phones` / `account.eid-link` rules or `portvakt
//! check` refuses the config at the key; the shipped config and policies agree, and a gateway running the shipped
//! account policy lets the schools' network register numbers.

use crate::common::*;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn portvakt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_portvakt"))
}

const USERS: &str = "[[users]]\nusername = \"anna\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$qVrSYzry/0mNj/z5jpNPLw$kl9D321lJqftIGzFEKYg+6X/GfpCuGvdFcADbrOMhSY\"\n";

/// A config with an office and a schools zone and policy files; `accounts` and `eid` are appended as written.
fn config(accounts: &str, eid: &str) -> String {
    format!(
        r#"policies_dir = "policies"

[[listeners]]
address = "127.0.0.1:8080"
redirect_to_https = false

[[zones]]
name = "internal"
cidrs = ["10.0.0.0/8"]

[[zones]]
name = "schools"
cidrs = ["172.16.0.0/12"]

[[directories]]
name = "staff"
kind = "file"
path = "users.toml"

[[services]]
name = "expense"
upstreams = ["127.0.0.1:9000"]

[store]
kind = "memory"

[accounts]
path = "accounts.json"
{accounts}

[eid]
{eid}
"#
    )
}

/// Account rules allowing numbers from the offices only and eID links from offices and schools.
const POLICY: &str = r#"[[rule]]
id = "phones-offices"
services = ["account.phones"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "link-offices-and-schools"
services = ["account.eid-link"]
effect = "allow"
zones = ["internal", "schools"]

[[rule]]
id = "expense"
services = ["expense"]
effect = "allow"
"#;

/// Writes the config, users and policy files into a fresh directory; returns it and the config path.
fn setup(cfg: &str, policy: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users.toml"), USERS).unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("policies/account.toml"), policy).unwrap();
    let path = dir.path().join("portvakt.toml");
    std::fs::write(&path, cfg).unwrap();
    (dir, path)
}

/// `FILE:LINE:COL` of the list value of `key` in the config file.
fn position(cfg: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(cfg).unwrap();
    let (i, line) = text.lines().enumerate().find(|(_, l)| l.starts_with(key)).unwrap();
    format!("{}:{}:{}", cfg.display(), i + 1, line.find('[').unwrap() + 1)
}

fn check(cfg: &Path) -> (Option<i32>, String) {
    let out = portvakt().args(["check", "--config"]).arg(cfg).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `phone_zones` listing a zone the account.phones rules do not allow, and `link_zones` leaving out one they do, are
/// both `check` errors at FILE:LINE:COL of the key, naming the rules and what to do; agreeing lists pass.
#[test]
fn check_refuses_account_zones_that_disagree_with_policies() {
    let (_dir, cfg) =
        setup(&config("phone_zones = [\"internal\", \"schools\"]", "link_zones = [\"internal\"]"), POLICY);
    let (code, out) = check(&cfg);
    assert_eq!(code, Some(1), "{out}");
    let phones = out.lines().find(|l| l.contains("phone_zones")).unwrap_or_else(|| panic!("{out}"));
    let at = position(&cfg, "phone_zones");
    assert!(phones.starts_with(&format!("{at}: [accounts] phone_zones = [\"internal\", \"schools\"]")), "{phones}");
    assert!(phones.contains("the policies allow account.phones from [\"internal\"]"), "{phones}");
    assert!(phones.contains("phones-offices"), "names the rule: {phones}");
    assert!(phones.contains("list the same zones here or remove the key"), "{phones}");
    let link = out.lines().find(|l| l.contains("link_zones")).unwrap_or_else(|| panic!("{out}"));
    let at = position(&cfg, "link_zones");
    assert!(link.starts_with(&format!("{at}: [eid] link_zones = [\"internal\"]")), "{link}");
    assert!(link.contains("from [\"internal\", \"schools\"]"), "{link}");

    // Agreeing (order does not matter) or not written at all: ok.
    for (accounts, eid) in [("phone_zones = [\"internal\"]", "link_zones = [\"schools\", \"internal\"]"), ("", "")] {
        let (_dir, cfg) = setup(&config(accounts, eid), POLICY);
        let (code, out) = check(&cfg);
        assert_eq!((code, out.as_str()), (Some(0), "ok\n"), "{accounts} {eid}");
    }

    // An allow without zones opens every zone; a deny with no other condition closes its zones again, while a deny
    // that only holds for some users does not close a zone for everybody.
    let open_then_closed = POLICY.replace("zones = [\"internal\"]\n", "")
        + "\n[[rule]]\nid = \"phones-not-schools\"\nservices = [\"account.phones\"]\neffect = \"deny\"\nzones = [\"schools\", \"remote\"]\n";
    let (_dir, cfg) = setup(&config("phone_zones = [\"internal\"]", ""), &open_then_closed);
    assert_eq!(check(&cfg), (Some(0), "ok\n".to_string()));
    let (_dir, cfg) = setup(
        &config("phone_zones = [\"internal\"]", ""),
        &open_then_closed
            .replace("zones = [\"schools\", \"remote\"]\n", "zones = [\"schools\", \"remote\"]\nusers = [\"anna\"]\n"),
    );
    let (code, out) = check(&cfg);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("from [\"internal\", \"remote\", \"schools\"]"), "{out}");

    // No rule for an action at all: a written list disagrees with "refused everywhere".
    let (_dir, cfg) = setup(&config("phone_zones = [\"internal\"]", ""), &POLICY.replace("account.phones", "expense"));
    let (code, out) = check(&cfg);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no policy rule allows account.phones"), "{out}");
}

/// The running gateway refuses to start with such a config: `portvakt run` prints the same error and exits 1.
#[test]
fn run_refuses_account_zones_that_disagree_with_policies() {
    let port = free_port();
    let text =
        config("phone_zones = [\"internal\", \"schools\"]", "").replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    let (_dir, cfg) = setup(&text, POLICY);
    let mut child =
        portvakt().args(["run", "--config"]).arg(&cfg).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    // A process has no injected clock: wait for it to exit, boundedly, and stop it if it started serving instead.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("portvakt run started with phone_zones disagreeing with the policies");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let at = position(&cfg, "phone_zones");
    assert!(stderr.contains(&format!("{at}: [accounts] phone_zones")), "{stderr}");
}

/// The shipped config/portvakt.toml with the shipped policies/ passes `check` (its phone_zones and the account
/// rules agree: offices and schools).
#[test]
fn shipped_config_and_policies_agree() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // The shipped layout: config/ beside policies/ and certs/ (development certificates made here).
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    for sub in ["config", "policies"] {
        for e in std::fs::read_dir(repo.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, dir.path().join(sub).join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let out = portvakt().args(["dev-cert", "--out"]).arg(dir.path().join("certs")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, out) = check(&dir.path().join("config/portvakt.toml"));
    assert_eq!((code, out.as_str()), (Some(0), "ok\n"));
}

/// With the shipped account policy, a user on the schools' network can register numbers, like the config's
/// phone_zones says; from outside the same form is refused (403).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schools_network_registers_numbers_with_shipped_policy() {
    const SCHOOLS: &str = "127.0.0.4";
    let policy = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/account.toml")).unwrap();
    let env = Env::start(Opts {
        policies: Some(policy),
        extra: "\n[[zones]]\nname = \"schools\"\ncidrs = [\"127.0.0.4/32\"]\n".into(),
        ..Default::default()
    });
    let base = env.http_url();
    let register = |source: &'static str, number: &'static str| {
        let base = base.clone();
        async move {
            let c = client_from(source);
            let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
            let html = browse(&c, &format!("{base}/.portvakt/account"), &cookie, &[]).await.text().await.unwrap();
            let csrf = hidden_field(&html, "csrf").unwrap();
            let r = c
                .post(format!("{base}/.portvakt/account/phones"))
                .header("cookie", &cookie)
                .form(&[("csrf", csrf.as_str()), ("phone1", number), ("password", PASSWORD)])
                .send()
                .await
                .unwrap();
            let (status, shown) = shown_after(&c, &base, r, &cookie, &[]).await;
            (html.contains("name=\"phone1\""), status, shown)
        }
    };
    let (form, status, body) = register(SCHOOLS, "0701234567").await;
    assert!(form, "the schools' network gets the number form");
    assert_eq!(status, 303, "{body}");
    assert!(body.contains("070•••45 67") && body.contains(&saved("en")), "{body}");
    let (form, status, _) = register(REMOTE, "0709999999").await;
    assert!(!form, "no number form from outside");
    assert_eq!(status, 403);
}
