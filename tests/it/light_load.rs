//! Light load, counted on the real `portvakt run` process: how often its threads wake when few or no requests come,
//! which is how a municipality's staff use the gateway most of the day. Counts (the kernel's voluntary context
//! switches per thread, from `/proc/PID/task/*/status`) rather than times, so a busy test host does not change them.

use crate::common::*;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The gateway process; killed when dropped, so a failing test leaves nothing running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `portvakt run` (two worker threads, the no-steal runtime) in a temporary directory with user `anna` and one
/// service `/app` in front of `backend` (with `service_extra` added to its table), and waits until it answers;
/// returns the process, its base URL and the directory (kept alive for the process).
async fn start(backend: std::net::SocketAddr, service_extra: &str) -> (Running, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
    std::fs::write(
        dir.path().join("users.toml"),
        format!("[[users]]\nusername = \"anna\"\npassword_hash = \"{hash}\"\nemail = \"anna@kommune.example\"\n"),
    )
    .unwrap();
    let port = free_port();
    let cfg = format!(
        "[server]\nthreads = 2\ngrace_period = \"0s\"\ngraceful_shutdown_timeout = \"1s\"\npid_file = \"{d}/p.pid\"\n\
         upgrade_socket = \"{d}/u.sock\"\n\n[[listeners]]\naddress = \"127.0.0.1:{port}\"\nredirect_to_https = false\n\n\
         [[zones]]\nname = \"internal\"\ncidrs = [\"127.0.0.1/32\"]\n\n[[directories]]\nname = \"staff\"\nkind = \"file\"\n\
         path = \"users.toml\"\n\n[accounts]\npath = \"accounts.json\"\n\n\
         [[services]]\nname = \"app\"\npath_prefix = \"/app\"\nupstreams = [\"{backend}\"]\n{service_extra}\n",
        d = dir.path().display()
    );
    let cfg_path = dir.path().join("portvakt.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Running(
        Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(["run", "--config"])
            .arg(&cfg_path)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let c = client_from(INTERNAL);
    let started = Instant::now();
    while c.get(format!("{base}/.portvakt/healthz")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(20), "gateway did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, base, dir)
}

/// Voluntary context switches (the thread blocked and was woken) of every thread of `pid`, by thread ID, with the
/// thread's name.
fn wake_ups(pid: u32) -> BTreeMap<u32, (String, u64)> {
    let mut out = BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap().flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u32>() else { continue };
        let (Ok(name), Ok(status)) =
            (std::fs::read_to_string(task.path().join("comm")), std::fs::read_to_string(task.path().join("status")))
        else {
            continue; // the thread ended between the listing and the read
        };
        let voluntary = status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap();
        out.insert(tid, (name.trim().to_string(), voluntary));
    }
    out
}

/// Wake-ups of each thread between two snapshots, as (name, count), threads that did not wake left out.
fn woke(before: &BTreeMap<u32, (String, u64)>, after: &BTreeMap<u32, (String, u64)>) -> Vec<(String, u64)> {
    after
        .iter()
        .map(|(tid, (name, n))| (name.clone(), n - before.get(tid).map_or(0, |b| b.1)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// pingora's clock thread (pingora-timeout's "Timer thread") wakes only when a timer someone waits on is due, or
/// twice a second for its watchdog, not 100 times a second: over 40 authenticated requests paced 25 ms apart, and
/// over 3 idle seconds, it wakes at most 3 times a second (plus 3), and the whole idle gateway at most 10 times a
/// second. pingora-timeout 0.9.1 woke every 10 ms: 127 and 296 times. Requests still time out and keep-alive
/// connections still close (the `hot_path::`, `limits::` and `upstream_pool::` tests).
#[tokio::test(flavor = "multi_thread")]
async fn the_clock_thread_sleeps_until_a_timer_is_due() {
    let backends = Backends::start(1);
    let (child, base, _dir) = start(backends.addrs[0], "").await;
    let pid = child.0.id();
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/app/", "portvakt", None).await.cookie.expect("logged in");
    let get = || async {
        let r = c.get(format!("{base}/app/x")).header("cookie", cookie.as_str()).send().await.unwrap();
        assert_eq!(r.status(), 200, "proxied to the backend");
        r.bytes().await.unwrap();
    };
    // Timers now exist: keep-alive waits for the next request, the backend read's timeout.
    get().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let clock = wake_ups(pid)
        .into_iter()
        .find(|(_, (name, _))| name == "Timer thread")
        .map(|(tid, _)| tid)
        .expect("pingora's clock thread runs once a timeout was registered");

    let before = wake_ups(pid);
    let started = Instant::now();
    for _ in 0..40 {
        get().await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let after = wake_ups(pid);
    let paced_secs = started.elapsed().as_secs_f64();
    let paced = after[&clock].1 - before[&clock].1;
    let all: u64 = woke(&before, &after).iter().map(|(_, n)| n).sum();
    eprintln!(
        "40 paced requests in {paced_secs:.1} s: clock thread woke {paced} times; all threads {all}: {:?}",
        woke(&before, &after)
    );

    let idle_from = wake_ups(pid);
    std::thread::sleep(Duration::from_secs(3));
    let idle_to = wake_ups(pid);
    let idle = idle_to[&clock].1 - idle_from[&clock].1;
    let idle_all: u64 = woke(&idle_from, &idle_to).iter().map(|(_, n)| n).sum();
    eprintln!(
        "3 idle seconds: clock thread woke {idle} times; all threads {idle_all}: {:?}",
        woke(&idle_from, &idle_to)
    );

    // Twice a second for the watchdog, with room for a slow host; 0.9.1 woke 100 times a second.
    let bound = |secs: f64| (3.0 * secs).ceil() as u64 + 3;
    assert!(paced <= bound(paced_secs), "the clock thread woke {paced} times during 40 requests in {paced_secs:.1} s");
    assert!(idle <= bound(3.0), "the clock thread woke {idle} times in 3 idle seconds");
    assert!(idle_all <= 30, "the idle gateway's threads woke {idle_all} times in 3 s");
    get().await; // and still answers after the idle stretch
}

/// With the clock thread asleep between deadlines, a timeout still fires on time: a backend that accepts the
/// connection and never answers gets the user a 504 page after the service's `read_timeout` (1 s), not later, and the
/// gateway serves the next request.
#[tokio::test(flavor = "multi_thread")]
async fn a_backend_that_never_answers_times_out_at_read_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let backend = silent.local_addr().unwrap();
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for s in silent.incoming().take(8).flatten() {
            keep.lock().unwrap().push(s); // accepted and held open, never answered
        }
    });
    let (_child, base, _dir) = start(backend, "read_timeout = \"1s\"").await;
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/app/", "portvakt", None).await.cookie.expect("logged in");
    for _ in 0..2 {
        // Let the clock thread settle into its long sleep first.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let asked = Instant::now();
        let r = c.get(format!("{base}/app/x")).header("cookie", cookie.as_str()).send().await.unwrap();
        let waited = asked.elapsed();
        assert_eq!(r.status(), 504, "a backend that never answers is a gateway timeout");
        assert!(
            waited >= Duration::from_millis(950) && waited < Duration::from_millis(2500),
            "answered after {waited:?}, read_timeout is 1 s"
        );
    }
    assert!(!held.lock().unwrap().is_empty(), "the gateway reached the backend");
}
