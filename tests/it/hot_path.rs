//! The proxy's hot path as the real `portvakt run` process runs it: properties that decide latency at light load,
//! counted from the outside (the kernel's per-thread context-switch counters), not timed.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
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

/// Starts `portvakt run` with `threads` worker threads in front of `backend` (service `expense`), with `anna` in
/// its users file; returns the process, its port and the directory it lives in.
async fn start(threads: usize, backend: std::net::SocketAddr) -> (Running, u16, tempfile::TempDir) {
    start_with(threads, backend, |_| String::new()).await
}

/// [`start`] with a second listener on `https_port` that speaks TLS (HTTP/1.1 and HTTP/2), with the certificate
/// `portvakt dev-cert` makes (for `localhost`) in the directory's `certs`.
async fn start_tls(
    threads: usize,
    backend: std::net::SocketAddr,
    https_port: u16,
) -> (Running, u16, tempfile::TempDir) {
    start_with(threads, backend, |dir| {
        let certs = dir.join("certs");
        let out = Command::new(env!("CARGO_BIN_EXE_portvakt")).args(["dev-cert", "--out"]).arg(&certs).output().unwrap();
        assert!(out.status.success(), "dev-cert: {}", String::from_utf8_lossy(&out.stderr));
        format!(
            "\n[[listeners]]\naddress = \"127.0.0.1:{https_port}\"\ntls = true\n\n[tls]\ncert = \"{c}/dev-cert.pem\"\nkey = \"{c}/dev-key.pem\"\n",
            c = certs.display()
        )
    })
    .await
}

/// [`start`] with `extra(dir)` appended to the configuration.
async fn start_with(
    threads: usize,
    backend: std::net::SocketAddr,
    extra: impl FnOnce(&std::path::Path) -> String,
) -> (Running, u16, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
    std::fs::write(
        dir.path().join("users.toml"),
        format!("[[users]]\nusername = \"anna\"\npassword_hash = \"{hash}\"\nemail = \"anna@kommune.example\"\n"),
    )
    .unwrap();
    let port = free_port();
    let cfg = format!(
        "[server]\nthreads = {threads}\ngrace_period = \"0s\"\ngraceful_shutdown_timeout = \"1s\"\npid_file = \"{d}/p.pid\"\nupgrade_socket = \"{d}/u.sock\"\n\n\
         [[listeners]]\naddress = \"127.0.0.1:{port}\"\nredirect_to_https = false\n\n[[zones]]\nname = \"internal\"\ncidrs = [\"127.0.0.1/32\"]\nlogin = \"password\"\n\n\
         [[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n[accounts]\npath = \"accounts.json\"\n\n\
         [[services]]\nname = \"expense\"\npath_prefix = \"/expense\"\nupstreams = [\"{backend}\"]\n{extra}",
        d = dir.path().display(),
        extra = extra(dir.path())
    );
    let cfg_path = dir.path().join("portvakt.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let child = Running(
        Command::new(env!("CARGO_BIN_EXE_portvakt"))
            .args(["run", "--config"])
            .arg(&cfg_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let c = client_from(INTERNAL);
    let begun = Instant::now();
    while c.get(format!("http://127.0.0.1:{port}/.portvakt/healthz")).send().await.is_err() {
        assert!(begun.elapsed() < Duration::from_secs(20), "gateway did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (child, port, dir)
}

/// Voluntary context switches (a thread blocking until woken) of each worker thread of process `pid`, by thread id.
/// Worker threads are the ones pingora names after the listening service (`portvakt 127.0.0.1:PORT`, cut to 15
/// bytes by the kernel).
fn worker_switches(pid: u32) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap().path();
        let comm = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        if !comm.starts_with("portvakt 127.0") {
            continue;
        }
        let status = std::fs::read_to_string(task.join("status")).unwrap_or_default();
        let n = status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        out.push((task.file_name().unwrap().to_string_lossy().into_owned(), n));
    }
    out.sort();
    out
}

/// Waits until the gateway listening on `port` has closed every client connection (no socket with that local port is
/// still established, or waiting for the gateway to close after the client did), as `/proc/net/tcp` shows them.
fn wait_until_clients_are_closed(port: u16) {
    let local = format!(":{port:04X} ");
    let begun = Instant::now();
    loop {
        let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
        // Fields: slot, local address:port, remote address:port, state (01 established, 08 close-wait), ...
        let open = table.lines().skip(1).any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && format!("{} ", f[1]).ends_with(&local) && (f[3] == "01" || f[3] == "08")
        });
        if !open {
            return;
        }
        assert!(begun.elapsed() < Duration::from_secs(10), "the gateway kept client connections open");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How often each worker thread of `pid` was woken since `before` (a [`worker_switches`] reading), in its order.
fn woken_since(pid: u32, before: &[(String, u64)]) -> Vec<u64> {
    worker_switches(pid).iter().zip(before).map(|((_, a), (_, b))| a - b).collect()
}

/// Sends one GET on a kept-alive connection and reads the whole answer (Content-Length framed); returns the status.
fn get(s: &mut TcpStream, path: &str, cookie: &str) -> u16 {
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nCookie: {cookie}\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "the gateway closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("a Content-Length framed answer");
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "the gateway closed the connection mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    status
}

/// A client connection's requests wake only the worker thread that runs the connection. pingora accepts every
/// connection on one thread, whose runtime registered the socket, and runs it on a thread picked at random; without
/// vendor/pingora-core patch 07 the accepting thread received the socket's events for the other thread's connections
/// and woke that thread for each request: two parked threads woken per request instead of one, at light load the
/// costliest step of the proxy (docs/BENCHMARKS.md, session 8).
#[tokio::test(flavor = "multi_thread")]
async fn a_connection_wakes_only_the_thread_that_runs_it() {
    let backends = Backends::start(1);
    let (gw, port, _dir) = start(2, backends.addrs[0]).await;
    let base = format!("http://127.0.0.1:{port}");
    let c = client_from(INTERNAL);
    let cookie = login(&c, &base, "anna", PASSWORD, "/expense/", "portvakt", None).await.cookie.expect("logged in");
    let pid = gw.0.id();
    let report = tokio::task::spawn_blocking(move || {
        assert_eq!(worker_switches(pid).len(), 2, "two worker threads: {:?}", worker_switches(pid));
        let mut crossed = Vec::new();
        // Eight connections: all eight run on the accepting thread with probability 1/256 only.
        for conn in 0..8 {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_nodelay(true).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            assert_eq!(get(&mut s, "/expense/warm", &cookie), 200);
            std::thread::sleep(Duration::from_millis(20));
            let before = worker_switches(pid);
            for i in 0..20 {
                assert_eq!(get(&mut s, &format!("/expense/{conn}/{i}"), &cookie), 200);
                // Let the gateway's threads go idle, as they are between the requests of a light load.
                std::thread::sleep(Duration::from_millis(2));
            }
            let woken = woken_since(pid, &before);
            let (lo, hi) = (*woken.iter().min().unwrap(), *woken.iter().max().unwrap());
            // A request that arrives before its thread has gone back to sleep needs no wake-up; most do.
            assert!(hi >= 10, "connection {conn}: 20 requests should wake their thread about 20 times: {woken:?}");
            if lo > 5 {
                crossed.push(format!("connection {conn}: wake-ups per worker thread {woken:?}"));
            }
        }
        crossed
    })
    .await
    .unwrap();
    assert!(report.is_empty(), "20 requests on one connection woke both worker threads:\n{}", report.join("\n"));
}

/// Connections kept open at once (a load balancer's, or a handful of busy clients') are spread evenly over the worker
/// threads: 16 connections on four threads run 4 on each. pingora 0.9.1 put each new connection on a thread picked at
/// random, which spreads 16 evenly over four threads in one run of 68; a thread with more then serves a burst alone
/// while another idles. vendor/pingora-runtime patch 02 places each on the thread with the fewest open.
#[tokio::test(flavor = "multi_thread")]
async fn connections_open_at_once_are_spread_evenly_over_the_threads() {
    let backends = Backends::start(1);
    let (gw, port, _dir) = start(4, backends.addrs[0]).await;
    let base = format!("http://127.0.0.1:{port}");
    let cookie = {
        let c = client_from(INTERNAL);
        login(&c, &base, "anna", PASSWORD, "/expense/", "portvakt", None).await.cookie.expect("logged in")
        // The login's connections close here: only the connections below stay open.
    };
    let pid = gw.0.id();
    let per_thread = tokio::task::spawn_blocking(move || {
        wait_until_clients_are_closed(port);
        let mut conns: Vec<TcpStream> = (0..16)
            .map(|_| {
                let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_nodelay(true).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                assert_eq!(get(&mut s, "/expense/warm", &cookie), 200);
                s
            })
            .collect();
        // Which thread runs each connection: the one its requests wake, with the threads idle between requests.
        let threads = worker_switches(pid).len();
        assert_eq!(threads, 4, "four worker threads");
        let mut per_thread = vec![0; threads];
        for (conn, s) in conns.iter_mut().enumerate() {
            std::thread::sleep(Duration::from_millis(5));
            let before = worker_switches(pid);
            for i in 0..10 {
                assert_eq!(get(s, &format!("/expense/{conn}/{i}"), &cookie), 200);
                std::thread::sleep(Duration::from_millis(2));
            }
            let woken = woken_since(pid, &before);
            let (runs_on, most) = woken.iter().enumerate().max_by_key(|(_, w)| **w).unwrap();
            assert!(*most >= 5, "connection {conn}: 10 requests should wake their thread: {woken:?}");
            per_thread[runs_on] += 1;
        }
        per_thread
    })
    .await
    .unwrap();
    assert_eq!(per_thread, vec![4, 4, 4, 4], "16 connections open at once, per worker thread");
}

/// The requests of an HTTP/2 connection (how browsers reach the gateway over TLS) wake only the worker thread that
/// runs the connection. pingora 0.9.1 ran each stream as a task on a thread picked at random, so about half of them
/// woke a second thread, and the connection's thread again to send the answer's frames. vendor/pingora-core patch 22
/// runs a stream on its connection's thread.
#[tokio::test(flavor = "multi_thread")]
async fn an_http2_connection_wakes_only_the_thread_that_runs_it() {
    let backends = Backends::start(1);
    let https = free_port();
    let (gw, port, dir) = start_tls(2, backends.addrs[0], https).await;
    let cookie = {
        let c = client_from(INTERNAL);
        let base = format!("http://127.0.0.1:{port}");
        login(&c, &base, "anna", PASSWORD, "/expense/", "portvakt", None).await.cookie.expect("logged in")
    };
    // Over HTTPS the same session travels in the `__Host-` cookie.
    let cookie = cookie.replacen("portvakt=", "__Host-portvakt=", 1);
    let (client, _conn) = h2_connect_to(&dir.path().join("certs/dev-cert.pem"), ([127, 0, 0, 1], https).into()).await;
    let get = |path: String| {
        let (client, cookie) = (&client, &cookie);
        async move { h2_get_json(client, &format!("https://localhost:{https}{path}"), cookie).await.0 }
    };
    assert_eq!(get("/expense/warm".into()).await, 200);
    let pid = gw.0.id();
    // Two threads for each of the two listeners; the plain one's stay asleep.
    assert_eq!(worker_switches(pid).len(), 4, "two worker threads per listener");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = worker_switches(pid);
    for i in 0..20 {
        assert_eq!(get(format!("/expense/h2/{i}")).await, 200);
        // Let the gateway's threads go idle, as they are between the requests of a light load.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let woken = woken_since(pid, &before);
    let mut most = woken.clone();
    most.sort_unstable_by(|a, b| b.cmp(a));
    assert!(most[0] >= 10, "20 requests should wake the connection's thread about 20 times: {woken:?}");
    assert!(most[1] <= 5, "20 requests on one HTTP/2 connection woke two worker threads: {woken:?}");
}
