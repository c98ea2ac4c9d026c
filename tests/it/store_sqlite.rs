//! The SQLite store from outside: state survives a restart, two gateways share one file as the old and new process
//! do during an upgrade, and a store that fails is a 503 that keeps the session, never a logout or a bypass.

use crate::common::*;
use portvakt::clock::Clock;
use std::path::Path;
use std::time::Duration;

/// A fresh state directory with a keys file; the `[store]` section that uses them.
fn state(dir: &Path) -> String {
    std::fs::write(dir.join("store-keys"), portvakt::store::seal::Secrets::generate_file_text()).unwrap();
    format!(
        "[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
        dir.join("state.db").display(),
        dir.join("store-keys").display()
    )
}

fn opts(store: &str) -> Opts {
    Opts { extra: store.to_string(), ..Opts::default() }
}

/// A restart keeps the session and the login ban: both live in the SQLite file, not in the process.
#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_sessions_and_bans() {
    let dir = tempfile::tempdir().unwrap();
    let store = state(dir.path());
    let c = client_from(INTERNAL);
    let cookie = {
        let env = Env::start(opts(&store));
        let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
        for _ in 0..5 {
            assert_eq!(login(&c, &env.http_url(), "bjorn", "guess", "/", "portvakt", None).await.status, 200);
        }
        cookie
    };
    let env = Env::start(opts(&store));
    let (status, echo) = get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200, "the session survived the restart");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
    let l = login(&c, &env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await;
    assert_eq!(l.status, 429, "the ban survived the restart: {}", l.body);
}

/// Two gateways on one file (old and new process of an upgrade): A logs in, B validates and touches the session,
/// A sees the touch (the session is not idle for A), B logs out, A refuses the cookie once its cache window is over.
#[tokio::test(flavor = "multi_thread")]
async fn two_gateways_share_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = state(dir.path());
    let a = Env::start(opts(&store));
    let b = Env::start(opts(&store));
    b.clock.set(a.clock.now());
    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    b.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(get_json(&c, &format!("{}/expense/", b.http_url()), &cookie, &[]).await.0, 200);
    // 20 minutes after the login, but 10 after B's touch: alive for A only if A sees B's write.
    a.clock.advance(Duration::from_secs(20 * 60));
    assert_eq!(get_json(&c, &format!("{}/expense/", a.http_url()), &cookie, &[]).await.0, 200);
    b.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(logout(&c, &b.http_url(), &cookie).await, 200);
    // A may answer from its session cache for up to `[session] cache_ttl` (1 s by default) after its last read.
    a.clock.advance(Duration::from_secs(1));
    assert_eq!(get_json(&c, &format!("{}/expense/", a.http_url()), &cookie, &[]).await.0, 401);
}

/// Another process holds the write lock on the file (a real SQLite lock, not a mock). Reads don't need it: the
/// session is read and the request proxied at once. A request that needs a write (the session's touch is due) gets
/// the 503 page ("your session is kept"), the backend sees nothing, the cookie is not cleared, readiness says not
/// ready; once the lock is gone the same cookie works again. (No session cache here: every request reads the file.)
#[tokio::test(flavor = "multi_thread")]
async fn locked_store_is_503_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let store = state(dir.path());
    let session = "[session]\nidle_timeout = \"15m\"\ntouch_interval = \"30s\"\ncache_ttl = \"0s\"\n".to_string();
    let env = Env::start(Opts { session: Some(session), ..opts(&store) });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(c.get(format!("{}/.portvakt/readyz", env.http_url())).send().await.unwrap().status(), 200);
    let locker = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    locker.execute_batch("BEGIN EXCLUSIVE; INSERT INTO probe (k, v) VALUES (7, x'00');").unwrap();
    let started = std::time::Instant::now();
    let (status, echo) = get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200, "a read passes another process's write lock: {echo}");
    assert!(started.elapsed() < Duration::from_secs(3), "and does not wait for it: {:?}", started.elapsed());
    // 31 s later the touch is due: that write waits for the lock, then the request gets the 503 page.
    env.clock.advance(Duration::from_secs(31));
    let r = browse(&c, &format!("{}/expense/", env.http_url()), &cookie, &[("accept-language", "sv")]).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get_all("set-cookie").iter().all(|v| !v.to_str().unwrap().starts_with("portvakt=")));
    let body = r.text().await.unwrap();
    assert!(body.contains("Om du är inloggad förblir du inloggad"), "{body}");
    assert!(!body.contains("svc1"), "nothing proxied");
    let ready = c.get(format!("{}/.portvakt/readyz", env.http_url())).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    locker.execute_batch("ROLLBACK;").unwrap();
    drop(locker);
    assert_eq!(c.get(format!("{}/.portvakt/readyz", env.http_url())).send().await.unwrap().status(), 200);
    let (status, echo) = get_json(&c, &format!("{}/expense/", env.http_url()), &cookie, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
}

/// `portvakt check` names an unreadable keys file at its line and column.
#[test]
fn check_reports_unreadable_keys_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml")).unwrap();
    std::fs::write(dir.path().join("demo-users.toml"), portvakt::demo::DEMO_USERS).unwrap();
    std::fs::write(&cfg, base.replace("keys_file = \"demo-store-keys\"", "keys_file = \"nope/keys\"")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = base.lines().position(|l| l.starts_with("keys_file")).unwrap() + 1;
    assert!(text.contains(&format!("c.toml:{line}:13: can't read store keys file")), "{text}");
}

/// Switching from the accounts file to SQLite keeps what users registered: at the first start the old
/// `[accounts]` file is imported (the account page shows the number), then renamed to `.imported`; a number the user
/// removes afterwards stays removed over a restart (the file is not imported again).
#[tokio::test(flavor = "multi_thread")]
async fn old_accounts_file_is_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = state(dir.path());
    let accounts = dir.path().join("accounts.json");
    std::fs::write(&accounts, r#"{"staff:anna": {"phones": ["+4791234567"]}}"#).unwrap();
    let masked = portvakt::phone::mask("+4791234567", portvakt::phone::Region::SE);
    let c = client_from(INTERNAL);
    let start = || Env::start(Opts { extra: store.clone(), accounts: Some(accounts.clone()), ..Opts::default() });
    let account_page = |base: String, cookie: String| {
        let c = c.clone();
        async move { browse(&c, &format!("{base}/.portvakt/account"), &cookie, &[]).await.text().await.unwrap() }
    };
    let cookie = {
        let env = start();
        assert!(!accounts.exists(), "the file is moved away once imported");
        assert!(dir.path().join("accounts.json.imported").exists(), "and kept as a backup");
        let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
        let page = account_page(env.http_url(), cookie.clone()).await;
        assert!(page.contains(&masked), "the imported number is on the account page: {page}");
        // Anna removes her number.
        let csrf = hidden_field(&page, "csrf").unwrap();
        let r = c
            .post(format!("{}/.portvakt/account/phones", env.http_url()))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str()), ("phone1", ""), ("phone2", ""), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
        let page = account_page(env.http_url(), cookie.clone()).await;
        assert!(!page.contains(&masked), "removed: {page}");
        cookie
    };
    let env = start();
    let page = account_page(env.http_url(), cookie).await;
    assert!(page.contains("anna") || page.contains("Anna"), "still logged in: {page}");
    assert!(!page.contains(&masked), "the restart did not import the old file again: {page}");
}

/// A config without `[store]` keeps state in memory: `portvakt check` accepts it but warns that everything is lost
/// on a restart and says what to add; `kind = "memory"` written out is a choice made on purpose, without a warning.
#[test]
fn check_warns_when_no_store_is_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml")).unwrap();
    std::fs::write(dir.path().join("demo-users.toml"), portvakt::demo::DEMO_USERS).unwrap();
    let section = "[store]\nkind = \"sqlite\"\npath = \"state.db\"\nkeys_file = \"demo-store-keys\"\n";
    assert!(base.contains(section));
    let check = |name: &str, text: String| {
        let cfg = dir.path().join(name);
        std::fs::write(&cfg, text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(["check", "--config"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let out = check("none.toml", base.replace(section, ""));
    assert!(out.ends_with("ok\n"), "{out}");
    assert!(out.contains("none.toml: warning: no [store] section") && out.contains("lost on every restart"), "{out}");
    let out = check("memory.toml", base.replace(section, "[store]\nkind = \"memory\"\n"));
    assert_eq!(out, "ok\n");
}
