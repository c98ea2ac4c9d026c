//! Real `portvakt run` processes (the binary, as systemd runs it) on one store: two processes on one SQLite file
//! share sessions, one-time codes and their tries; a restart keeps sessions, pending codes, send limits and bans; a
//! store that can't be reached or written stops the start with a message naming the config key.

use crate::common::smtp::SmtpServer;
use crate::common::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `portvakt run`; killed when dropped, so a failing test leaves nothing running.
struct Proc {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// What the process wrote to standard error so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits for a clean exit.
    async fn stop(mut self) {
        let ok = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success();
        assert!(ok);
        let status = exit_within(&mut self.child, Duration::from_secs(15)).await.expect("SIGTERM did not stop it");
        assert!(status.success(), "{status:?}: {}", self.log());
    }
}

/// Waits up to `limit` for the process to exit; its status, or `None` if it is still running.
async fn exit_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// One installation: a state directory with users, store keys and an echo backend; a real SMTP server for codes.
struct Site {
    dir: tempfile::TempDir,
    backends: Backends,
    smtp: SmtpServer,
    /// Extra config for every process (limits).
    extra: String,
}

impl Site {
    fn new(extra: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
        let users: String = ["anna", "bjorn"]
            .iter()
            .map(|u| {
                format!(
                    "[[users]]\nusername = \"{u}\"\npassword_hash = \"{hash}\"\nemail = \"{u}@kommune.example\"\n\n"
                )
            })
            .collect();
        std::fs::write(dir.path().join("users.toml"), users).unwrap();
        std::fs::write(dir.path().join("store-keys"), portvakt::store::seal::Secrets::generate_file_text()).unwrap();
        Site { dir, backends: Backends::start(1), smtp: SmtpServer::start(), extra: extra.to_string() }
    }

    /// The `[store]` section of an SQLite file in the state directory.
    fn sqlite(&self) -> String {
        format!(
            "[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
            self.dir.path().join("state.db").display(),
            self.dir.path().join("store-keys").display()
        )
    }

    /// Writes the config of process `name` listening on `port` with `store`; returns its path.
    fn config(&self, name: &str, port: u16, store: &str) -> PathBuf {
        let d = self.dir.path().display();
        let text = format!(
            r#"[server]
threads = 2
grace_period = "0s"
graceful_shutdown_timeout = "1s"
pid_file = "{d}/{name}.pid"
upgrade_socket = "{d}/{name}.sock"

[[listeners]]
address = "127.0.0.1:{port}"
redirect_to_https = false

[[zones]]
name = "internal"
cidrs = ["127.0.0.1/32"]

[[directories]]
name = "staff"
kind = "file"
path = "users.toml"

[[services]]
name = "expense"
path_prefix = "/expense"
upstreams = ["{backend}"]

[accounts]
path = "accounts.json"

{email}
{extra}

{store}
"#,
            backend = self.backends.addrs[0],
            email = self.smtp.email_toml(),
            extra = self.extra,
        );
        let path = self.dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Starts `portvakt run` as `name` on a free port and waits until it answers.
    async fn start(&self, name: &str, store: &str) -> Proc {
        let port = free_port();
        let p = self.spawn(name, port, store);
        let c = client_from(INTERNAL);
        let start = Instant::now();
        loop {
            if let Ok(r) = c.get(format!("{}/.portvakt/readyz", p.base)).send().await {
                assert_eq!(r.status(), 200, "{}", p.log());
                return p;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "{name} did not start: {}", p.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts `portvakt run` as `name` without waiting.
    fn spawn(&self, name: &str, port: u16, store: &str) -> Proc {
        let cfg = self.config(name, port, store);
        let log = self.dir.path().join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(["run", "--config"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
            .spawn()
            .unwrap();
        Proc { child, base: format!("http://127.0.0.1:{port}"), log }
    }
}

/// The one-time code in a message body (`ABC-123`).
fn code_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    for w in chars.windows(7) {
        if w[3] == '-' && w.iter().enumerate().all(|(i, c)| i == 3 || c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return w.iter().collect();
        }
    }
    panic!("no code in {text:?}");
}

/// A code that is not `code`.
fn wrong_for(code: &str) -> &'static str {
    if code == "AAA-AAA" {
        "BBB-BBB"
    } else {
        "AAA-AAA"
    }
}

/// POSTs a form with the session cookie; status, new session cookie, body.
async fn post(c: &reqwest::Client, url: &str, cookie: &str, form: &[(&str, &str)]) -> (u16, Option<String>, String) {
    let r = c.post(url).header("cookie", cookie).header("accept-language", "en").form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let ck = set_cookie(r.headers(), "portvakt");
    (status, ck, r.text().await.unwrap())
}

/// Remote password login of `user` at `base`, then a code by e-mail asked for there: the cookie, the CSRF token, the
/// send's result and the page it led to.
async fn login_and_send(c: &reqwest::Client, base: &str, user: &str) -> (String, String, String, String) {
    let l = login(c, base, user, PASSWORD, "/expense/", "portvakt", None).await;
    let cookie = l.cookie.unwrap_or_else(|| panic!("{user} logged in: {} {}", l.status, l.body));
    let page = browse(c, &format!("{base}/.portvakt/second-factor?rd=%2Fexpense%2F"), &cookie, &[]).await;
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("channel", "email"), ("rd", "/expense/")];
    let (s, body) = send_code(c, base, &cookie, &form).await;
    (cookie, csrf, s, body)
}

/// Sends `code` at `base`; status, new session cookie, body.
async fn verify(
    c: &reqwest::Client,
    base: &str,
    cookie: &str,
    csrf: &str,
    code: &str,
) -> (u16, Option<String>, String) {
    let form = [("csrf", csrf), ("code", code), ("rd", "/expense/")];
    post(c, &format!("{base}/.portvakt/second-factor/verify"), cookie, &form).await
}

/// The "N tries left" a wrong-code page shows, `None` on the "too many times" page.
fn tries_left(body: &str) -> Option<u32> {
    if let Some(pos) = body.find(" tries left").or_else(|| body.find(" try left")) {
        let n: String = body[..pos].chars().rev().take_while(char::is_ascii_digit).collect();
        return Some(n.chars().rev().collect::<String>().parse().unwrap());
    }
    assert!(body.contains("too many times"), "{body}");
    None
}

/// Two `portvakt run` processes on one SQLite file (the old and the new process of an upgrade, or two instances on
/// one host): a login on A works on B; a code sent by A is verified on B after wrong tries on both, counted as one
/// challenge; 20 parallel wrong codes across both count exactly `max_tries`; a logout on B is refused on A.
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_share_one_sqlite_file() {
    let site = Site::new("[second_factor.limits]\ndestination_cooldown = \"1s\"\n");
    let store = site.sqlite();
    let a = site.start("a", &store).await;
    let b = site.start("b", &store).await;

    let c = client_from(INTERNAL);
    let cookie = login(&c, &a.base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (status, echo) = get_json(&c, &format!("{}/expense/", b.base), &cookie, &[]).await;
    assert_eq!(status, 200, "the session made by A works on B: {echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");

    // A code sent by A; wrong on B, wrong on A (one challenge, its tries counted across both); right on B.
    let r = client_from(REMOTE);
    let (rc, csrf, s, body) = login_and_send(&r, &a.base, "anna").await;
    assert_eq!(s, "sent", "{body}");
    let code = code_in(&site.smtp.wait_for(1, Duration::from_secs(10))[0].body);
    let (_, _, body) = verify(&r, &b.base, &rc, &csrf, wrong_for(&code)).await;
    assert_eq!(tries_left(&body), Some(4), "{body}");
    let (_, _, body) = verify(&r, &a.base, &rc, &csrf, wrong_for(&code)).await;
    assert_eq!(tries_left(&body), Some(3), "A counts on from B's try: {body}");
    let (s, stepped, body) = verify(&r, &b.base, &rc, &csrf, &code).await;
    assert_eq!(s, 303, "the code sent by A is accepted by B: {body}");
    let stepped = stepped.expect("a stepped-up session");
    let (s, echo) = get_json(&r, &format!("{}/expense/", a.base), &stepped, &[]).await;
    assert_eq!(s, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "password,email");
    // The code is used: replayed on A it is refused.
    let (s, again, body) = verify(&r, &a.base, &rc, &csrf, &code).await;
    assert!(again.is_none(), "a used code gives no session on the other process: {s} {body}");

    // Bjørn's code: 20 wrong codes in parallel, half on each process, count exactly 5 tries.
    let (bc, bcsrf, s, body) = login_and_send(&r, &b.base, "bjorn").await;
    assert_eq!(s, "sent", "{body}");
    let mails = site.smtp.wait_for(2, Duration::from_secs(10));
    let bcode = code_in(&mails.iter().find(|m| m.to.contains("bjorn")).unwrap().body);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
            let (r, bc, bcsrf) = (r.clone(), bc.clone(), bcsrf.clone());
            let wrong = wrong_for(&bcode);
            tokio::spawn(async move { verify(&r, &base, &bc, &bcsrf, wrong).await })
        })
        .collect();
    let mut left = Vec::new();
    for t in tasks {
        let (s, ck, body) = t.await.unwrap();
        assert_eq!(s, 200, "{body}");
        assert!(ck.is_none(), "no wrong code logs in");
        left.extend(tries_left(&body));
    }
    left.sort();
    assert_eq!(left, vec![1, 2, 3, 4], "exactly 5 tries counted across both processes");
    let (s, ck, body) = verify(&r, &a.base, &bc, &bcsrf, &bcode).await;
    assert!(s == 200 && ck.is_none() && body.contains("too many times"), "{s} {body}");

    // Logged out on B: refused on A.
    assert_eq!(logout(&c, &b.base, &cookie).await, 200);
    assert_eq!(get_json(&c, &format!("{}/expense/", a.base), &cookie, &[]).await.0, 401);
    a.stop().await;
    b.stop().await;
}

/// A restart of the real process (SIGTERM, start again on the same file) keeps what a user would miss: the session,
/// a code sent before the restart with its wrong tries, the send limit used up, and a login ban.
#[tokio::test(flavor = "multi_thread")]
async fn restart_keeps_sessions_codes_send_limits_and_bans() {
    let limits =
        "[login]\nmax_failures = 3\nmax_failures_per_address = 1000\nfind_time = \"5m\"\nban_time = \"5m\"\n\n\
                  [second_factor.limits]\ndestination_cooldown = \"10ms\"\nper_account_per_hour = 1\n";
    let site = Site::new(limits);
    let store = site.sqlite();
    let a = site.start("before", &store).await;
    let c = client_from(INTERNAL);
    let r = client_from(REMOTE);
    let cookie = login(&c, &a.base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let (rc, csrf, s, body) = login_and_send(&r, &a.base, "anna").await;
    assert_eq!(s, "sent", "{body}");
    let code = code_in(&site.smtp.wait_for(1, Duration::from_secs(10))[0].body);
    let (_, _, body) = verify(&r, &a.base, &rc, &csrf, wrong_for(&code)).await;
    assert_eq!(tries_left(&body), Some(4), "{body}");
    for i in 0..3 {
        let l = login(&c, &a.base, "bjorn", &format!("guess-{i}"), "/", "portvakt", None).await;
        assert!(l.cookie.is_none());
    }
    assert_eq!(login(&c, &a.base, "bjorn", PASSWORD, "/", "portvakt", None).await.status, 429, "banned before");
    a.stop().await;

    let a = site.start("after", &store).await;
    let (status, echo) = get_json(&c, &format!("{}/expense/", a.base), &cookie, &[]).await;
    assert_eq!(status, 200, "the session survived the restart: {echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
    let (_, _, body) = verify(&r, &a.base, &rc, &csrf, wrong_for(&code)).await;
    assert_eq!(tries_left(&body), Some(3), "the pending code and its wrong try survived: {body}");
    let (s, stepped, body) = verify(&r, &a.base, &rc, &csrf, &code).await;
    assert_eq!(s, 303, "the code sent before the restart works after it: {body}");
    assert!(stepped.is_some());
    let l = login(&c, &a.base, "bjorn", PASSWORD, "/", "portvakt", None).await;
    assert_eq!(l.status, 429, "the ban survived the restart: {}", l.body);
    // Anna's one code per hour is used: a new login's send is refused, and no mail goes out.
    let (_, _, s, body) = login_and_send(&r, &a.base, "anna").await;
    assert!(body.contains("Too many codes have been requested"), "the send limit survived the restart: {s} {body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(site.smtp.messages().len(), 1, "no second code was sent");
    a.stop().await;
}

/// Starts `name` with `store`, expecting the start to fail: the exit status and what it wrote to standard error.
async fn failed_start(site: &Site, name: &str, store: &str) -> (std::process::ExitStatus, String, bool) {
    let mut p = site.spawn(name, free_port(), store);
    let c = client_from(INTERNAL);
    let mut answered = false;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = p.child.try_wait().unwrap() {
            break s;
        }
        answered |= c.get(format!("{}/expense/", p.base)).send().await.is_ok();
        assert!(start.elapsed() < Duration::from_secs(30), "{name} kept running: {}", p.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    (status, p.log(), answered)
}

/// A Redis nobody answers on: the real binary retries its probe, then exits 1 with a message naming
/// `[store.redis] url` and the address; it never serves anything meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn unreachable_redis_stops_the_start_naming_the_key() {
    let site = Site::new("");
    let signing = site.dir.path().join("assertion-key.pem");
    std::fs::write(&signing, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let port = free_port();
    let store = format!(
        "[assertion]\nkey_file = \"{}\"\n\n[store]\nkind = \"redis\"\nkeys_file = \"{}\"\n\n[store.redis]\n\
         url = \"redis://127.0.0.1:{port}\"\nconnect_timeout = \"500ms\"\n",
        signing.display(),
        site.dir.path().join("store-keys").display()
    );
    let (status, log, answered) = failed_start(&site, "redis-down", &store).await;
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!("[store.redis] url = \"redis://127.0.0.1:{port}\"")),
        "the message names the key and the address: {log}"
    );
    assert!(log.contains("did not pass the write/read/delete probe"), "{log}");
    assert!(!answered, "nothing was served without a store");
}

/// An SQLite path that can't be created (its directory is a file): the real binary exits 1 with a message naming
/// `[store] path` and the cause, and never serves anything.
#[tokio::test(flavor = "multi_thread")]
async fn unwritable_sqlite_path_stops_the_start_naming_the_key() {
    let site = Site::new("");
    let blocker = site.dir.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where the state directory should be").unwrap();
    let db = blocker.join("state.db");
    let store = format!(
        "[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
        db.display(),
        site.dir.path().join("store-keys").display()
    );
    let (status, log, answered) = failed_start(&site, "sqlite-bad", &store).await;
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains(&format!("[store] path = \"{}\"", db.display())), "the message names the key: {log}");
    assert!(log.contains("can't create") && log.contains("not-a-directory"), "and the cause: {log}");
    assert!(!answered, "nothing was served without a store");
}
