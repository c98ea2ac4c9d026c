//! Zero-downtime binary upgrade of the real `portvakt run` process: `portvakt upgrade` replaces the binary under a
//! steady stream of authenticated requests, on a shared SQLite store, as systemd would see it (NOTIFY_SOCKET).

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pids of every live (not zombie) `portvakt run` process started with this config file.
fn gateway_processes(cfg: &Path) -> Vec<u32> {
    let needle = cfg.to_string_lossy().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else { continue };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
        if cmdline.contains(" run ") && cmdline.contains(&needle) && !zombie {
            found.push(pid);
        }
    }
    found
}

/// Stops every process of this config with SIGTERM when dropped, so a failing test leaves nothing running.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for pid in gateway_processes(&self.0) {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
    }
}

/// The pid in a pid file, if it holds one.
fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Places the freshly built binary at `to` (a hard link where possible) by renaming over it, as a package upgrade
/// does: a running process keeps the old file, `to` names the new one.
fn install_binary(to: &Path) {
    let tmp = to.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(env!("CARGO_BIN_EXE_portvakt"), &tmp).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_portvakt"), &tmp).unwrap();
    }
    std::fs::rename(&tmp, to).unwrap();
}

/// Counts of a request stream.
#[derive(Default)]
struct Tally {
    ok: AtomicUsize,
    failed: Mutex<Vec<String>>,
}

/// Sends authenticated requests to the echo service every 10 ms until `stop` (at most 6000), checking each is
/// answered 200 by the backend for anna.
async fn stream(c: reqwest::Client, url: String, cookie: String, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for _ in 0..6000 {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        tick.tick().await;
        let r = c.get(&url).header("cookie", &cookie).header("accept", "application/json").send().await;
        let outcome = match r {
            Ok(r) if r.status() == 200 => match r.json::<serde_json::Value>().await {
                Ok(v) if v["headers"]["x-portvakt-user"][0] == "anna" => Ok(()),
                Ok(v) => Err(format!("200 without anna: {v}")),
                Err(e) => Err(format!("body: {e}")),
            },
            Ok(r) => Err(format!("status {}", r.status())),
            Err(e) => Err(format!("request: {e:?}")),
        };
        match outcome {
            Ok(()) => {
                tally.ok.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => tally.failed.lock().unwrap().push(e),
        }
    }
}

/// Waits up to `limit` for `cond`, polling every 20 ms; whether it became true.
async fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

/// `portvakt upgrade` while requests stream in (over kept-alive and over fresh connections): no request fails, the
/// logged-in session keeps working on the new process, exactly one process is left after the grace period, it runs
/// the new binary file, the pid file names it, systemd was told `MAINPID=` it and it sent `READY=1`; the run
/// directory it made for the upgrade socket is 0700.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn binary_upgrade_under_load_drops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
    std::fs::write(
        d.join("users.toml"),
        format!("[[users]]\nusername = \"anna\"\npassword_hash = \"{hash}\"\nemail = \"anna@kommune.example\"\n"),
    )
    .unwrap();
    std::fs::write(d.join("store-keys"), portvakt::store::seal::Secrets::generate_file_text()).unwrap();
    let backends = Backends::start(1);
    let port = free_port();
    let run = d.join("run");
    let cfg = d.join("portvakt.toml");
    std::fs::write(
        &cfg,
        format!(
            r#"[server]
threads = 2
grace_period = "1s"
graceful_shutdown_timeout = "2s"
pid_file = "{run}/portvakt.pid"
upgrade_socket = "{run}/upgrade.sock"

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

[store]
kind = "sqlite"
path = "{d}/state.db"
keys_file = "{d}/store-keys"
"#,
            run = run.display(),
            d = d.display(),
            backend = backends.addrs[0],
        ),
    )
    .unwrap();
    let _cleanup = Cleanup(cfg.clone());
    std::fs::create_dir(d.join("bin")).unwrap();
    let bin = d.join("bin/portvakt");
    install_binary(&bin);

    // systemd's side: the notify socket the processes report to.
    let notify_path = d.join("notify.sock");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path).unwrap();
    notify.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let listening = Arc::new(AtomicBool::new(true));
    let reader = {
        let (messages, listening) = (messages.clone(), listening.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while listening.load(Ordering::SeqCst) {
                if let Ok(n) = notify.recv(&mut buf) {
                    messages.lock().unwrap().push(String::from_utf8_lossy(&buf[..n]).to_string());
                }
            }
        })
    };

    let log = d.join("gateway.log");
    let mut old = Command::new(&bin)
        .args(["run", "--config"])
        .arg(&cfg)
        .current_dir(d)
        .env("NOTIFY_SOCKET", &notify_path)
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let old_pid = old.id();
    let pid_file = run.join("portvakt.pid");
    let logged = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_for(Duration::from_secs(30), || read_pid(&pid_file) == Some(old_pid)).await,
        "the gateway wrote its pid file: {}",
        logged()
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&run).unwrap().permissions().mode() & 0o777, 0o700, "run directory is private");

    let base = format!("http://127.0.0.1:{port}");
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/expense/", "portvakt", None).await.cookie.expect("anna logs in");
    let url = format!("{base}/expense/report");
    let stop = Arc::new(AtomicBool::new(false));
    let kept_alive = Arc::new(Tally::default());
    let fresh = Arc::new(Tally::default());
    let no_pool = reqwest::Client::builder()
        .local_address(INTERNAL.parse::<std::net::IpAddr>().unwrap())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let streams = [
        tokio::spawn(stream(c.clone(), url.clone(), cookie.clone(), stop.clone(), kept_alive.clone())),
        tokio::spawn(stream(no_pool, url.clone(), cookie.clone(), stop.clone(), fresh.clone())),
    ];
    let served = || kept_alive.ok.load(Ordering::SeqCst) + fresh.ok.load(Ordering::SeqCst);
    assert!(wait_for(Duration::from_secs(10), || served() >= 40).await, "requests flow before the upgrade");

    // The package manager puts the new binary in place; the operator asks for the upgrade.
    install_binary(&bin);
    let bin2 = bin.clone();
    let cfg2 = cfg.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&bin2).args(["upgrade", "--config"]).arg(&cfg2).output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "portvakt upgrade: {}{}", String::from_utf8_lossy(&out.stderr), logged());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("upgraded: pid "), "{out:?}");
    let new_pid = read_pid(&pid_file).expect("pid file after the upgrade");
    assert_ne!(new_pid, old_pid, "the pid file names the new process");

    // The old process drains and exits on its own (pingora's close timeout, then the 1 s grace period).
    let start = Instant::now();
    let status = loop {
        if let Some(s) = old.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the old process did not exit: {}", logged());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "old process exit: {status:?}");
    let after_exit = served();
    assert!(
        wait_for(Duration::from_secs(10), || served() >= after_exit + 40).await,
        "requests keep flowing after the old process exited"
    );
    stop.store(true, Ordering::SeqCst);
    for s in streams {
        s.await.unwrap();
    }

    let failed: Vec<String> =
        kept_alive.failed.lock().unwrap().iter().chain(fresh.failed.lock().unwrap().iter()).cloned().collect();
    assert!(failed.is_empty(), "{} failed requests of {}: {failed:?}\n{}", failed.len(), served(), logged());
    assert!(kept_alive.ok.load(Ordering::SeqCst) > 100 && fresh.ok.load(Ordering::SeqCst) > 100);

    // The session made before the upgrade still works, now on the new process only.
    let r = c.get(&url).header("cookie", &cookie).header("accept", "application/json").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(gateway_processes(&cfg), vec![new_pid], "exactly one gateway process remains");
    let exe = std::fs::read_link(format!("/proc/{new_pid}/exe")).unwrap();
    assert_eq!(exe, bin, "the new process runs the binary now on disk (not the replaced file)");
    assert_eq!(read_pid(&pid_file), Some(new_pid));
    let got = messages.lock().unwrap().clone();
    assert!(got.iter().any(|m| m.lines().any(|l| l == format!("MAINPID={new_pid}"))), "MAINPID sent: {got:?}");
    let ready = got.iter().filter(|m| m.lines().any(|l| l == "READY=1")).count();
    assert!(ready >= 2, "READY=1 from the old and from the new process: {got:?}");

    // SIGTERM stops the new process cleanly; it removes its pid file.
    assert!(Command::new("kill").args(["-TERM", &new_pid.to_string()]).status().unwrap().success());
    assert!(
        wait_for(Duration::from_secs(20), || gateway_processes(&cfg).is_empty()).await,
        "the new process stops on SIGTERM"
    );
    assert!(!pid_file.exists(), "pid file removed at stop");
    listening.store(false, Ordering::SeqCst);
    reader.join().unwrap();
}
