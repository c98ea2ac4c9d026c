//! The real `portvakt run` process, as systemd drives it: start, SIGHUP reload, SIGTERM stop.

use crate::common::*;
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

/// A temporary directory whose users.toml holds `anna` with the test password.
fn dir_with_anna() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
    std::fs::write(dir.path().join("users.toml"), users(&[("anna", &hash)])).unwrap();
    dir
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig} {pid}");
}

/// The gateway process; killed when dropped, so a failing test leaves nothing running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `portvakt run` in `dir` (which holds users.toml) with `threads` worker threads and the given `[[services]]`
/// tables, its standard error going to `stderr`, and waits until it answers; returns the process and its base URL.
async fn start_gateway(dir: &std::path::Path, threads: usize, services: &str, stderr: Stdio) -> (Running, String) {
    let port = free_port();
    let child = spawn_gateway(dir, port, threads, services, stderr);
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
    (child, base)
}

/// Writes a config listening on `port` in `dir` and starts `portvakt run` with it, without waiting.
fn spawn_gateway(dir: &std::path::Path, port: u16, threads: usize, services: &str, stderr: Stdio) -> Running {
    let cfg = format!(
        "[server]\nthreads = {threads}\ngrace_period = \"0s\"\ngraceful_shutdown_timeout = \"1s\"\npid_file = \"{d}/p.pid\"\nupgrade_socket = \"{d}/u.sock\"\n\n\
         [[listeners]]\naddress = \"127.0.0.1:{port}\"\nredirect_to_https = false\n\n[[zones]]\nname = \"internal\"\ncidrs = [\"127.0.0.1/32\"]\n\n\
         [[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n[accounts]\npath = \"accounts.json\"\n\n{services}",
        d = dir.display()
    );
    let cfg_path = dir.join("portvakt.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    Running(
        Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(["run", "--config"])
            .arg(&cfg_path)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

/// SIGHUP re-reads the users file, also when sent the moment the gateway answers; a broken file is refused and the old
/// users keep working; SIGTERM stops the process cleanly within its grace period.
#[tokio::test(flavor = "multi_thread")]
async fn sighup_reload_and_sigterm_stop() {
    let dir = dir_with_anna();
    let services = "[[services]]\nname = \"expense\"\npath_prefix = \"/expense\"\nupstreams = [\"127.0.0.1:9\"]\n";
    let (mut child, base) = start_gateway(dir.path(), 1, services, Stdio::null()).await;
    let pid = child.0.id();
    // A reload sent as soon as the gateway answers finds the handler in place: SIGHUP's default action ends a process.
    signal(pid, "-HUP");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(child.0.try_wait().unwrap().is_none(), "SIGHUP right after start ended the gateway");
    let c = client_from(INTERNAL);
    assert!(login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.is_some());
    assert!(login(&c, &base, "carl", PASSWORD, "/", "portvakt", None).await.cookie.is_none());

    let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
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
    let status = exit_within(&mut child, Duration::from_secs(15)).await.expect("SIGTERM did not stop the gateway");
    assert!(status.success(), "{status:?}");
}

/// Waits up to `limit` for the process to exit; its status, or `None` if it is still running.
async fn exit_within(child: &mut Running, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(s) = child.0.try_wait().unwrap() {
            return Some(s);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// Ctrl-C (SIGINT) stops a gateway with several worker threads at once and quietly. pingora's fast stop once left a
/// worker thread looping on "Accept() failed" at full CPU, logging that line, and the process never exited.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_a_gateway_with_several_threads() {
    let dir = dir_with_anna();
    let services = "[[services]]\nname = \"expense\"\npath_prefix = \"/expense\"\nupstreams = [\"127.0.0.1:9\"]\n";
    let c = client_from(INTERNAL);
    for round in 0..8 {
        let log_path = dir.path().join(format!("stderr-{round}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let (mut child, base) = start_gateway(dir.path(), 2, services, Stdio::from(log)).await;
        for _ in 0..4 {
            let r = c.get(format!("{base}/.portvakt/healthz")).send().await.unwrap();
            assert_eq!(r.status(), 200, "round {round}");
        }
        signal(child.0.id(), "-INT");
        let status = exit_within(&mut child, Duration::from_secs(5)).await;
        let log = std::fs::read_to_string(&log_path).unwrap();
        let status = status.unwrap_or_else(|| panic!("round {round}: Ctrl-C did not stop the gateway within 5 s"));
        assert!(status.success(), "round {round}: {status:?}");
        assert!(!log.contains("Accept() failed"), "round {round}: stopping is not an accept failure: {log}");
    }
}

/// A client that hangs up in the middle of a request is not an error in the log (it is routine on any network);
/// a backend that cannot be reached still is. The log, not being a terminal, has no colour codes.
#[tokio::test(flavor = "multi_thread")]
async fn clients_hanging_up_are_not_logged_as_errors() {
    use std::io::Write;
    let backends = Backends::start(1);
    let dir = dir_with_anna();
    let services = format!(
        "[[services]]\nname = \"app\"\npath_prefix = \"/app\"\nupstreams = [\"{}\"]\n\n\
         [[services]]\nname = \"down\"\npath_prefix = \"/down\"\nupstreams = [\"127.0.0.1:9\"]\n",
        backends.addrs[0]
    );
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (mut child, base) = start_gateway(dir.path(), 1, &services, Stdio::from(log)).await;
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/", "portvakt", None).await.cookie.expect("logged in");
    let down = c.get(format!("{base}/down/x")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(down.status(), 502);
    // Upload part of a body, then hang up, three times.
    let addr = base.trim_start_matches("http://").to_string();
    for _ in 0..3 {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /app/upload HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Length: 100000\r\n\r\npartial"
        )
        .unwrap();
        s.flush().unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ok = c.get(format!("{base}/app/x")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the gateway still serves");
    signal(child.0.id(), "-TERM");
    let _ = child.0.wait();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.iter().any(|l| l.contains("127.0.0.1:9")), "the unreachable backend is an error: {log}");
    assert!(!log.contains('\u{1b}'), "no terminal colour codes in a log that is not a terminal: {log:?}");
    assert!(errors.iter().all(|l| !l.contains("Downstream")), "a client hanging up is not an error: {errors:#?}");
}

/// A listener address that another program holds stops the start at once, with an error naming the address and
/// what to do, instead of a process that says it is ready and never listens.
#[tokio::test(flavor = "multi_thread")]
async fn a_taken_port_stops_the_start_with_a_clear_error() {
    let dir = dir_with_anna();
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = spawn_gateway(dir.path(), port, 1, "", Stdio::from(log));
    let status = exit_within(&mut child, Duration::from_secs(10)).await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    let status = status.unwrap_or_else(|| panic!("the gateway kept running without its listener: {log}"));
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains(&format!("listener 127.0.0.1:{port}: address already in use")),
        "the error names the address and the cause: {log}"
    );
    assert!(!log.contains("portvakt ready"), "not announced as ready: {log}");
    drop(holder);
}
