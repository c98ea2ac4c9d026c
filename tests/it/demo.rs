//! `portvakt demo` from the outside: the demo config with the shipped policies (`--policies`) in the running gateway
//! on a manual clock (closed hours, step-up, the portal's reasons), and the real binary starting it on chosen ports.

use crate::common::*;
use portvakt::demo::{demo_config, spawn_backends, write_demo_files, DemoOptions, DEMO_CREDENTIALS};
use portvakt::server::{build_server, build_state, ChannelShutdown, Deps};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A first port for a demo: it and the six others the demo uses (+1, +2, +3, +1021..+1023) are free right now.
fn demo_port() -> u16 {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    for _ in 0..200 {
        let p: u16 = rng.gen_range(20_000..30_000);
        if [0u16, 1, 2, 3, 1021, 1022, 1023].iter().all(|o| std::net::TcpListener::bind(("127.0.0.1", p + o)).is_ok()) {
            return p;
        }
    }
    panic!("no free demo port range");
}

/// 2026-11-24 (a Tuesday) at the given Oslo wall-clock time (CET, UTC+1).
fn oslo(hh: u64, mm: u64) -> portvakt::clock::Instant {
    let midnight_utc = 1_795_478_400_000u64; // 2026-11-24T00:00:00Z
    portvakt::clock::Instant(midnight_utc + ((hh * 60 + mm) * 60 - 3600) * 1000)
}

/// The `data-state` of the portal card titled `title` (`open`, `closed`, `step-up`, `wrong-network`).
fn state_of(html: &str, title: &str) -> String {
    let i = html.find(&format!("<h2>{title}</h2>")).unwrap_or_else(|| panic!("{title} in {html}"));
    let start = html[..i].rfind("data-state=\"").unwrap() + 12;
    html[start..].split('"').next().unwrap().to_string()
}

/// The portal card of `title`, from its heading to the next card.
fn card_of<'a>(html: &'a str, title: &str) -> &'a str {
    let i = html.find(&format!("<h2>{title}</h2>")).unwrap();
    let rest = &html[i..];
    &rest[..rest[4..].find("<h2>").map(|j| j + 4).unwrap_or(rest.len())]
}

async fn portal(c: &reqwest::Client, base: &str, cookie: &str) -> String {
    browse(c, &format!("{base}/.portvakt/portal"), cookie, &[("accept-language", "en")]).await.text().await.unwrap()
}

/// `portvakt demo --policies`' config in the running gateway: the demo user sees self-service closed during the
/// payroll night with the shipped reason and the time it opens (service titles in the reader's language), open by day; from the remote listener a password
/// session is sent to the code page (step-up) for self-service, and the portal shows every service as needing a
/// stronger login there.
#[tokio::test(flavor = "multi_thread")]
async fn demo_with_shipped_policies_shows_hours_step_up_and_reasons() {
    let port = demo_port();
    let dir = tempfile::tempdir().unwrap();
    let path = write_demo_files(dir.path(), &DemoOptions { port, policies: true, eid: false }).unwrap();
    let cfg = portvakt::config::Config::load(&path).unwrap_or_else(|e| panic!("demo config invalid:\n{e}"));
    assert!(cfg.policies_dir.is_some(), "--policies runs with a policies directory");
    spawn_backends(&cfg).unwrap();
    let clock = portvakt::clock::ManualClock::new();
    clock.set(oslo(2, 0));
    let state = build_state(cfg, &Deps { clock: clock.clone(), ..Deps::default() }).unwrap();
    let server = build_server(state).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let thread = std::thread::spawn(move || {
        server.run(pingora::server::RunArgs { shutdown_signal: Box::new(ChannelShutdown(tokio::sync::Mutex::new(rx))) })
    });
    let (internal, remote, schools) =
        (format!("http://127.0.0.1:{port}"), format!("http://127.0.0.1:{}", port + 1), port + 2);
    for p in [port, port + 1, schools] {
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", p)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
    let (user, password, _) = DEMO_CREDENTIALS[0];
    let c = client_from(INTERNAL);
    let cookie = login(&c, &internal, user, password, "/", "portvakt", None).await.cookie.expect("demo login");

    // 02:00 in Oslo: the payroll night of policies/services.toml.
    let html = portal(&c, &internal, &cookie).await;
    assert_eq!(state_of(&html, "Self-service"), "closed", "{html}");
    assert!(card_of(&html, "Self-service").contains("05:00"), "{html}");
    assert_eq!(state_of(&html, "Expenses"), "open");
    // The demo's services have titles in every page language (a Swedish reader of the demo sees no English titles).
    let sv = browse(&c, &format!("{internal}/.portvakt/portal"), &cookie, &[("accept-language", "sv")]).await;
    let sv = sv.text().await.unwrap();
    assert_eq!(state_of(&sv, "Självservice"), "closed", "{sv}");
    assert!(sv.contains("Tidrapporter, milersättning och kvitton") && !sv.contains("Self-service"), "{sv}");
    let r = browse(&c, &format!("{internal}/self-service/"), &cookie, &[("accept-language", "en")]).await;
    assert_eq!(r.status(), 403);
    let page = r.text().await.unwrap();
    assert!(page.contains("while the payroll run is in progress"), "the shipped rule's message: {page}");
    // By day it opens, and the demo backend receives the identity (a new login: the night's session idled out).
    clock.set(oslo(10, 0));
    let cookie = login(&c, &internal, user, password, "/", "portvakt", None).await.cookie.expect("demo login");
    let (status, echo) = get_json(&c, &format!("{internal}/self-service/"), &cookie, &[]).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], user);

    // From the listener that counts as the internet: a password login must step up for self-service.
    let r = browse(&c, &format!("{remote}/self-service/"), &cookie, &[("accept-language", "en")]).await;
    assert_eq!(r.status(), 302, "a password session from outside is sent to the second factor");
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("/.portvakt/second-factor"), "{to}");
    let html = portal(&c, &remote, &cookie).await;
    assert_eq!(state_of(&html, "Self-service"), "step-up", "{html}");
    assert_eq!(state_of(&html, "Signing"), "step-up", "signing from outside needs a stronger login: {html}");
    assert_eq!(state_of(&html, "Expenses"), "step-up");

    // The schools' network the shipped policies name is a listener of its own.
    let cs = client_from(INTERNAL);
    let r = cs.get(format!("http://127.0.0.1:{schools}/.portvakt/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let _ = tx.try_send(());
    thread.join().unwrap();
}

/// The real `portvakt demo --policies --port P` starts on P, P+1 and P+2, prints the policies it runs with, and
/// serves the login page and its backends; without `--policies` there is no schools listener. Stopped with Ctrl-C it
/// leaves nothing in the temp dir (its keys and SQLite file lived there), and it removes what a killed demo left.
#[test]
fn demo_binary_runs_with_policies_on_chosen_ports() {
    let port = demo_port();
    let tmp = tempfile::tempdir().unwrap();
    // A demo killed with SIGKILL: a process id above the kernel's pid_max limit, so no process has it.
    let stale = tmp.path().join("portvakt-demo-4194305");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("demo-store-keys"), "old keys").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["demo", "--policies", "--port", &port.to_string()])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    for _ in 0..200 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 || line.contains("Stop with Ctrl-C") {
            text.push_str(&line);
            break;
        }
        text.push_str(&line);
    }
    let ready = (0..400).any(|_| {
        let up = [port, port + 1, port + 2].iter().all(|p| std::net::TcpStream::connect(("127.0.0.1", *p)).is_ok());
        if !up {
            std::thread::sleep(Duration::from_millis(50));
        }
        up
    });
    let login_page = ready.then(|| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let c = client_from(INTERNAL);
            let r = c.get(format!("http://127.0.0.1:{}/.portvakt/login", port + 2)).send().await.unwrap();
            r.status().as_u16()
        })
    });
    let during: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let stopped = (0..250).any(|_| {
        let done = matches!(child.try_wait(), Ok(Some(_)));
        if !done {
            std::thread::sleep(Duration::from_millis(20));
        }
        done
    });
    if !stopped {
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(ready, "demo did not listen on {port}..{}:\n{text}", port + 2);
    assert_eq!(login_page, Some(200));
    assert!(stopped, "Ctrl-C did not stop the demo within 5 s");
    let own = format!("portvakt-demo-{}", child.id());
    assert_eq!(during, vec![std::ffi::OsString::from(&own)], "the killed demo's directory is removed at start");
    let after: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(after.is_empty(), "the demo left {after:?} in the temp dir");
    assert!(text.contains(&format!("http://127.0.0.1:{}/  counts as zone \"schools\"", port + 2)), "{text}");
    assert!(text.contains("Policies: the shipped policies/"), "{text}");
    assert!(text.contains("signing from the remote listener needs an eID login at level high"), "{text}");
    let plain = demo_config(&DemoOptions { port, ..DemoOptions::default() }).unwrap();
    assert!(!plain.contains("schools") && !plain.contains("policies_dir"), "{plain}");
}

/// The demo's output so far, read by a thread of its own (so the demo never blocks on a full pipe).
struct DemoProcess {
    child: std::process::Child,
    out: std::sync::Arc<std::sync::Mutex<String>>,
}

impl DemoProcess {
    fn start(args: &[&str]) -> DemoProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    let mut o = out.lock().unwrap();
                    o.push_str(&line);
                    o.push('\n');
                }
            });
        }
        DemoProcess { child, out }
    }

    fn text(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Waits (up to `secs`) until the output contains `s`, or the process exits.
    fn wait_for(&mut self, s: &str, secs: u64) -> bool {
        for _ in 0..secs * 20 {
            if self.text().contains(s) {
                return true;
            }
            if self.child.try_wait().unwrap().is_some() {
                std::thread::sleep(Duration::from_millis(200));
                return self.text().contains(s);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for DemoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A newcomer's eID journey with the real `portvakt demo --eid`: the demo starts the Node test provider (a process
/// of its own, not part of the gateway) and prints how to use it; the login page offers it; an eID login there is
/// linked to anna by the code the demo prints for her municipal address; the backend sees anna logged in with
/// `eid`; a second eID login from the remote listener goes straight in.
#[tokio::test(flavor = "multi_thread")]
async fn demo_eid_links_and_logs_in_end_to_end() {
    use crate::common::oidc::{OpBrowser, LOA_SUBSTANTIAL};
    use crate::eid::{code_in, location, Browser};
    let port = demo_port();
    let mut demo = DemoProcess::start(&["demo", "--eid", "--port", &port.to_string()]);
    assert!(demo.wait_for("Stop with Ctrl-C", 60), "the demo did not start:\n{}", demo.text());
    let issuer = format!("http://127.0.0.1:{}", port + 3);
    let text = demo.text();
    assert!(text.contains(&format!("eID: a local test OpenID Provider at {issuer}")), "{text}");
    assert!(text.contains(portvakt::demo::DEMO_PERSON_ID), "{text}");
    for p in [port, port + 1] {
        assert!((0..200).any(|_| {
            std::net::TcpStream::connect(("127.0.0.1", p)).is_ok() || {
                std::thread::sleep(Duration::from_millis(50));
                false
            }
        }));
    }
    let log = std::env::temp_dir().join(format!("portvakt-demo-{}/oidc-provider.log", demo.child.id()));
    let base = format!("http://127.0.0.1:{port}");

    let mut b = Browser::from(INTERNAL);
    let page = b.get(&format!("{base}/.portvakt/login?rd=%2Fexpense%2F")).await.text().await.unwrap();
    assert!(page.contains("Log in with Test eID (local)"), "{page}");
    let r = b.get(&format!("{base}/.portvakt/eid/start?provider=demo-eid&rd=%2Fexpense%2F")).await;
    assert_eq!(r.status(), 302);
    let url = location(&r);
    assert!(url.starts_with(&issuer), "{url}");
    let op = OpBrowser::for_issuer(&issuer, INTERNAL, log.clone());
    let back = op.authorize(&url, portvakt::demo::DEMO_PERSON_ID, LOA_SUBSTANTIAL).await;
    let r = b.get(&back.callback).await;
    assert_eq!(location(&r), "/.portvakt/eid/link", "a first eID login goes to linking");
    let link = format!("{base}/.portvakt/eid/link");
    let html = b.get(&link).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let r = b.post(&link, &[("csrf", &csrf), ("email", "anna.lindqvist@kommune.example")]).await;
    assert!(b.after_see_other(&base, r).await.contains("id=\"code\""), "the link page now asks for the code");
    assert!(demo.wait_for("code is ", 10), "the link code is printed:\n{}", demo.text());
    let code = code_in(&demo.text());
    let r = b.post(&link, &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(r.status(), 303, "the printed code links the eID");
    let (status, echo) = get_json(&b.http, &format!("{base}/expense/"), &b.cookie_header(), &[]).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");

    // Linked now: from the listener that counts as the internet, an eID login goes straight to the service.
    let remote = format!("http://127.0.0.1:{}", port + 1);
    let mut far = Browser::from(INTERNAL);
    let r = far.get(&format!("{remote}/.portvakt/eid/start?provider=demo-eid&rd=%2Fexpense%2F")).await;
    let url = location(&r);
    let op_far = OpBrowser::for_issuer(&issuer, INTERNAL, log);
    let back = op_far.authorize(&url, portvakt::demo::DEMO_PERSON_ID, LOA_SUBSTANTIAL).await;
    let r = far.get(&back.callback).await;
    assert_eq!(r.status(), 303, "a linked eID logs in: {}", location(&r));
    assert!(far.cookie("portvakt").is_some());
}

/// Without Node on the PATH, `portvakt demo --eid` stops at once with a message that says what to install, and
/// starts no gateway.
#[test]
fn demo_eid_without_node_says_what_to_install() {
    let port = demo_port();
    let out = Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["demo", "--eid", "--port", &port.to_string()])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`node` was not found: install it (Debian: apt-get install nodejs npm)"), "{err}");
    assert!(std::net::TcpListener::bind(("127.0.0.1", port)).is_ok(), "no gateway was started");
}
