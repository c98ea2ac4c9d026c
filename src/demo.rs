//! `portvakt demo`: three small backends that show the identity they receive, and the gateway in front of them
//! with demo users, one listener that counts as internal and one pinned to `remote`.
//!
//! The echo backend is also what the integration tests use as a real HTTP backend.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The demo config, as committed in `config/demo.toml`.
pub const DEMO_CONFIG: &str = include_str!("../config/demo.toml");
/// The demo users file, as committed in `config/demo-users.toml`.
pub const DEMO_USERS: &str = include_str!("../config/demo-users.toml");
/// Demo credentials printed at start: (username, password, what they show).
pub const DEMO_CREDENTIALS: &[(&str, &str, &str)] = &[
    ("anna", "vinter-2026", "office staff: groups staff, payroll"),
    ("bjorn", "sommar-2026", "teacher: group teachers"),
];

/// Serves HTTP/1.1 on `listener` forever, answering every request with what it received: JSON when the client
/// accepts `application/json` (with `peer`, the gateway connection the request came on), otherwise a small HTML page
/// showing the `X-Portvakt-*` identity headers.
pub async fn serve_echo(listener: TcpListener, name: String) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let name = name.clone();
        tokio::spawn(async move {
            let _ = echo_connection(stream, peer, &name).await;
        });
    }
}

async fn echo_connection(mut stream: TcpStream, peer: SocketAddr, name: &str) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        // Read one request head.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            if buf.len() > 128 * 1024 {
                return Ok(());
            }
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        };
        let head = String::from_utf8_lossy(buf.get(..head_end).unwrap_or_default()).into_owned();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_string();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                headers.entry(k.trim().to_ascii_lowercase()).or_default().push(v.trim().to_string());
            }
        }
        let body_len: usize = headers
            .get("content-length")
            .and_then(|v| v.first())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
            .min(1024 * 1024);
        while buf.len() < head_end + body_len {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
        buf.drain(..head_end + body_len);
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let wants_json = headers.get("accept").is_some_and(|v| v.iter().any(|a| a.contains("application/json")));
        let (ctype, body) = if wants_json {
            let v = serde_json::json!({
                "service": name, "method": method, "path": path, "headers": headers, "peer": peer.to_string()
            });
            ("application/json", v.to_string())
        } else {
            ("text/html; charset=utf-8", echo_html(name, &method, &path, &headers))
        };
        let close = headers.get("connection").is_some_and(|v| v.iter().any(|c| c.eq_ignore_ascii_case("close")));
        let resp = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nx-demo-backend: {name}\r\n{}\r\n{body}",
            body.len(),
            if close { "connection: close\r\n" } else { "" }
        );
        stream.write_all(resp.as_bytes()).await?;
        if close {
            return Ok(());
        }
    }
}

fn echo_html(name: &str, method: &str, path: &str, headers: &BTreeMap<String, Vec<String>>) -> String {
    use html_escape::encode_text as e;
    let mut rows = String::new();
    for (k, vs) in headers.iter().filter(|(k, _)| k.starts_with("x-portvakt-") && *k != "x-portvakt-assertion") {
        for v in vs {
            rows.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", e(k), e(v)));
        }
    }
    let assertion = headers.get("x-portvakt-assertion").and_then(|v| v.first()).map(|a| a.len()).unwrap_or(0);
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{n}</title></head>\
         <body style=\"font-family:system-ui;max-width:40rem;margin:2rem auto\"><h1>Demo backend: {n}</h1>\
         <p>{m} {p}</p><p>The gateway forwarded this identity:</p><table>{rows}</table>\
         <p>Signed assertion: {assertion} bytes (verify with /.portvakt/jwks.json)</p>\
         <p><a href=\"/.portvakt/portal\">Back to the portal</a></p></body></html>",
        n = e(name),
        m = e(method),
        p = e(path),
    )
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Writes the embedded demo config and users file into `dir`, returning the config path.
pub fn write_demo_files(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let cfg = dir.join("demo.toml");
    std::fs::write(&cfg, DEMO_CONFIG)?;
    std::fs::write(dir.join("demo-users.toml"), DEMO_USERS)?;
    // The demo's state lives in an SQLite file beside its config, under keys made for this demo only.
    let keys = dir.join("demo-store-keys");
    if !keys.exists() {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&keys)?;
        f.write_all(crate::store::seal::Secrets::generate_file_text().as_bytes())?;
    }
    Ok(cfg)
}

/// Starts one echo backend per service of the config on its configured address, on a runtime of its own thread.
pub fn spawn_backends(cfg: &crate::config::Config) -> std::io::Result<Vec<SocketAddr>> {
    let mut binds = Vec::new();
    for s in &cfg.services {
        for u in &s.upstreams {
            if let crate::config::UpstreamAddr::Ip(a) = u {
                let l = std::net::TcpListener::bind(a)?;
                l.set_nonblocking(true)?;
                binds.push((l, s.title.clone(), *a));
            }
        }
    }
    let addrs = binds.iter().map(|b| b.2).collect();
    std::thread::Builder::new().name("demo-backends".into()).spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "demo backends could not start");
                return;
            }
        };
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for (l, name, _) in binds {
                if let Ok(l) = TcpListener::from_std(l) {
                    tasks.push(tokio::spawn(serve_echo(l, name)));
                }
            }
            for t in tasks {
                let _ = t.await;
            }
        });
    })?;
    Ok(addrs)
}
