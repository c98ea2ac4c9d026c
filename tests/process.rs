//! The real `portvakt run` process, as systemd drives it: start, SIGHUP reload, SIGTERM stop.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn users(entries: &[(&str, &str)]) -> String {
    entries
        .iter()
        .map(|(u, h)| {
            format!("[[users]]\nusername = \"{u}\"\npassword_hash = \"{h}\"\nemail = \"{u}@kommune.example\"\n\n")
        })
        .collect()
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig} {pid}");
}

/// SIGHUP re-reads the users file; a broken file is refused and the old users keep working; SIGTERM stops the
/// process cleanly within its grace period.
#[tokio::test(flavor = "multi_thread")]
async fn sighup_reload_and_sigterm_stop() {
    let dir = tempfile::tempdir().unwrap();
    let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
    std::fs::write(dir.path().join("users.toml"), users(&[("anna", &hash)])).unwrap();
    let port = free_port();
    let cfg = format!(
        "[server]\nthreads = 1\ngrace_period = \"0s\"\ngraceful_shutdown_timeout = \"1s\"\npid_file = \"{d}/p.pid\"\nupgrade_socket = \"{d}/u.sock\"\n\n\
         [[listeners]]\naddress = \"127.0.0.1:{port}\"\nredirect_to_https = false\n\n[[zones]]\nname = \"internal\"\ncidrs = [\"127.0.0.1/32\"]\n\n\
         [[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n[accounts]\npath = \"accounts.json\"\n\n\
         [[services]]\nname = \"expense\"\npath_prefix = \"/expense\"\nupstreams = [\"127.0.0.1:9\"]\n",
        d = dir.path().display()
    );
    let cfg_path = dir.path().join("portvakt.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_portvakt"))
        .args(["run", "--config"])
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let c = client_from(INTERNAL);
    let start = Instant::now();
    loop {
        if let Ok(r) = c.get(format!("{base}/.portvakt/healthz")).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "gateway did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.is_some());
    assert!(login(&c, &base, "carl", PASSWORD, "/", "portvakt", None).await.cookie.is_none());

    std::fs::write(dir.path().join("users.toml"), users(&[("anna", &hash), ("carl", &hash)])).unwrap();
    signal(pid, "-HUP");
    let start = Instant::now();
    while login(&c, &base, "carl", PASSWORD, "/", "portvakt", None).await.cookie.is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "SIGHUP did not reload the users file");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    std::fs::write(dir.path().join("users.toml"), "[[users]]\nusername = \"anna\"\npassword_hash = \"broken\"\n")
        .unwrap();
    signal(pid, "-HUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.is_some(), "old users keep serving");
    assert!(login(&c, &base, "carl", PASSWORD, "/", "portvakt", None).await.cookie.is_some());

    signal(pid, "-TERM");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(15) {
            let _ = child.kill();
            panic!("SIGTERM did not stop the gateway");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}
