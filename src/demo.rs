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
    let identity: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(k, _)| k.starts_with("x-portvakt-") && *k != "x-portvakt-assertion")
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
        .collect();
    let assertion = headers.get("x-portvakt-assertion").and_then(|v| v.first()).map(|a| a.len()).unwrap_or(0);
    crate::pages::demo::demo_backend_page(name, method, path, &identity, assertion)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The policy files shipped in `policies/` (name, text), which `portvakt demo --policies` runs with.
pub const SHIPPED_POLICIES: &[(&str, &str)] = &[
    ("services.toml", include_str!("../policies/services.toml")),
    ("account.toml", include_str!("../policies/account.toml")),
];

/// The demo's first listener port when none is given.
pub const DEFAULT_PORT: u16 = 8080;

/// What `portvakt demo` runs: the plain demo by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// First listener (internal); `port + 1` is the one pinned to `remote`, `port + 2` the schools' network (with
    /// `policies`), and the backends listen on `port + 1021..=port + 1023` (9101..9103 for the default 8080).
    pub port: u16,
    /// Run with the shipped policies (`policies/*.toml`): opening hours, step-up and the portal's reasons.
    pub policies: bool,
    /// eID through a local test OpenID Provider on `port + 3` (the Node provider the tests use, started by the
    /// demo as a separate process; the gateway never contains one).
    pub eid: bool,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions { port: DEFAULT_PORT, policies: false, eid: false }
    }
}

/// The demo gateway's client ID at the local test provider.
pub const DEMO_CLIENT_ID: &str = "portvakt-demo";
/// Its client secret: both ends run on this machine's loopback for the demo only.
pub const DEMO_CLIENT_SECRET: &str = "demo-only-not-a-secret";
/// A national identity number the test provider accepts (any 11 digits do).
pub const DEMO_PERSON_ID: &str = "12089912345";

/// Why a demo port cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--port {0} is too high: the demo also needs the ports up to {0} + 1023 (at most 64512)")]
pub struct PortTooHigh(pub u16);

/// The demo config for `opts`: `config/demo.toml` on the chosen ports, and with `policies` the shipped policy files
/// and the schools' network they name (a third listener that counts as zone `schools`).
pub fn demo_config(opts: &DemoOptions) -> Result<String, PortTooHigh> {
    let p = opts.port;
    let at = |offset: u16| p.checked_add(offset).ok_or(PortTooHigh(p));
    let mut text = DEMO_CONFIG.to_string();
    for (from, offset) in [(8080u16, 0u16), (8081, 1), (9101, 1021), (9102, 1022), (9103, 1023)] {
        text = text.replace(&format!("\"127.0.0.1:{from}\""), &format!("\"127.0.0.1:{}\"", at(offset)?));
    }
    if opts.eid {
        let op = at(3)?;
        // public_url must come before the first table: it belongs to [server], which the demo config opens first.
        text = text.replacen("[server]\n", &format!("[server]\npublic_url = \"http://127.0.0.1:{p}\"\n"), 1);
        text.push_str(&format!(
            "\n# portvakt demo --eid: the local test OpenID Provider (tests/support/oidc, run by Node), like ID-porten.\n\
             [[institutions]]\nname = \"kommune\"\ntitle = \"Demo municipality\"\n\
             email_domains = [\"kommune.example\", \"skole.kommune.example\"]\n\n\
             [[eid.providers]]\nname = \"demo-eid\"\ntitle = \"Test eID (local)\"\nissuer = \"http://127.0.0.1:{op}\"\n\
             client_id = \"{DEMO_CLIENT_ID}\"\nclient_secret = \"{DEMO_CLIENT_SECRET}\"\n\
             acr_values = [\"idporten-loa-substantial\"]\ntimeout = \"5s\"\n"
        ));
    }
    if opts.policies {
        let schools = at(2)?;
        text = format!(
            "# portvakt demo --policies: the shipped policies/ (copied beside this file).\npolicies_dir = \"policies\"\n\n{text}\n\
             # The schools' network that the shipped policies name: this listener counts as it.\n\
             [[listeners]]\naddress = \"127.0.0.1:{schools}\"\nredirect_to_https = false\nzone = \"schools\"\n\n\
             [[zones]]\nname = \"schools\"\ncidrs = [\"10.64.0.0/12\"]\nlogin = \"password\"\n"
        );
    }
    Ok(text)
}

/// The demo's working directory (`portvakt-demo-PID` under the temp dir), removed when the demo stops.
#[derive(Debug)]
pub struct DemoDir {
    path: PathBuf,
}

impl DemoDir {
    /// Names this process's demo directory under `tmp`, first removing those of demos that no longer run.
    pub fn new(tmp: &Path) -> Self {
        remove_stale_demo_dirs(tmp);
        DemoDir { path: tmp.join(format!("portvakt-demo-{}", std::process::id())) }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes `portvakt-demo-PID` directories under `tmp` that belong to this user and whose process is gone (a demo
/// killed with SIGKILL cannot clean up; its keys and SQLite file would stay in the temp dir otherwise).
fn remove_stale_demo_dirs(tmp: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(me) = std::fs::metadata("/proc/self") else { return };
    let Ok(entries) = std::fs::read_dir(tmp) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) =
            name.to_str().and_then(|n| n.strip_prefix("portvakt-demo-")).and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let ours = entry.metadata().is_ok_and(|m| m.is_dir() && m.uid() == me.uid());
        if ours && pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Writes the demo config for `opts`, the users file and (with `policies`) the shipped policies into `dir`,
/// returning the config path.
pub fn write_demo_files(dir: &Path, opts: &DemoOptions) -> std::io::Result<PathBuf> {
    let text = demo_config(opts).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    std::fs::create_dir_all(dir)?;
    let cfg = dir.join("demo.toml");
    std::fs::write(&cfg, text)?;
    std::fs::write(dir.join("demo-users.toml"), DEMO_USERS)?;
    if opts.policies {
        std::fs::create_dir_all(dir.join("policies"))?;
        for (name, text) in SHIPPED_POLICIES {
            std::fs::write(dir.join("policies").join(name), text)?;
        }
    }
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
            if let crate::protected::UpstreamAddr::Ip(a) = u {
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

/// Why `portvakt demo --eid` cannot start its test OpenID Provider; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DemoEidError {
    /// No `node` on the PATH.
    #[error("portvakt demo --eid runs a local test OpenID Provider on Node.js (20.18 or newer), and `node` was not found: install it (Debian: apt-get install nodejs npm), or run the demo without --eid")]
    NodeMissing,
    /// The provider script is not where the repository keeps it.
    #[error("the test OpenID Provider (tests/support/oidc/provider.mjs) was not found in {0}: run the demo from the Portvakt repository")]
    ProviderMissing(String),
    /// Its npm packages are not installed.
    #[error(
        "the test OpenID Provider's packages are not installed: run (cd {0} && npm ci), or scripts/install-test-deps"
    )]
    PackagesMissing(String),
    /// Writing its config or starting it failed.
    #[error("cannot start the test OpenID Provider: {0}")]
    Io(#[from] std::io::Error),
    /// It exited or did not listen in time.
    #[error("the test OpenID Provider did not start ({0}); its log: {1}")]
    NotStarted(String, String),
}

/// The local test OpenID Provider of `portvakt demo --eid`: a Node process, ended when this is dropped (and by
/// itself when the demo's end closes its stdin).
#[derive(Debug)]
pub struct DemoProvider {
    child: std::process::Child,
    /// Its issuer URL.
    pub issuer: String,
}

impl Drop for DemoProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the test provider lives: `tests/support/oidc` under the working directory, else under the repository
/// this binary was built from.
fn provider_dir() -> Result<PathBuf, DemoEidError> {
    let here = PathBuf::from("tests/support/oidc");
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc");
    [here, built.clone()]
        .into_iter()
        .find(|d| d.join("provider.mjs").is_file())
        .ok_or_else(|| DemoEidError::ProviderMissing(built.display().to_string()))
}

/// Starts the test OpenID Provider for the demo config of `opts` (port `port + 3`), with the demo gateway as its
/// only client (its callback and logout URLs on every demo listener), writing its config and log into `dir`;
/// returns once it listens.
pub fn start_provider(dir: &Path, opts: &DemoOptions) -> Result<DemoProvider, DemoEidError> {
    use std::process::{Command, Stdio};
    let node_ok = Command::new("node").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    if !node_ok.is_ok_and(|s| s.success()) {
        return Err(DemoEidError::NodeMissing);
    }
    let pdir = provider_dir()?;
    if !pdir.join("node_modules/oidc-provider").is_dir() {
        return Err(DemoEidError::PackagesMissing(pdir.display().to_string()));
    }
    let p = opts.port;
    let op = p.checked_add(3).ok_or_else(|| DemoEidError::NotStarted(PortTooHigh(p).to_string(), String::new()))?;
    let listeners = [Some(p), p.checked_add(1), p.checked_add(2)];
    let bases: Vec<String> = listeners.iter().flatten().map(|l| format!("http://127.0.0.1:{l}")).collect();
    let issuer = format!("http://127.0.0.1:{op}");
    let config = serde_json::json!({
        "port": op,
        "issuer": issuer,
        "clients": [{
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "token_endpoint_auth_method": "client_secret_basic",
            "redirect_uris": bases.iter().map(|b| format!("{b}/.portvakt/eid/callback")).collect::<Vec<_>>(),
            "post_logout_redirect_uris": bases.iter().map(|b| format!("{b}/.portvakt/logged-out")).collect::<Vec<_>>(),
        }],
    });
    let cfg = dir.join("oidc-provider.json");
    std::fs::write(&cfg, serde_json::to_vec_pretty(&config).map_err(|e| std::io::Error::other(e.to_string()))?)?;
    let log_path = dir.join("oidc-provider.log");
    let log = std::fs::File::create(&log_path)?;
    let script = std::fs::canonicalize(pdir.join("provider.mjs"))?;
    // stdin stays open while the demo runs: the provider exits when it closes, however the demo ends.
    let child =
        Command::new("node").arg(&script).arg(&cfg).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(log).spawn()?;
    let mut provider = DemoProvider { child, issuer };
    let read_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    for _ in 0..300 {
        if let Some(status) = provider.child.try_wait()? {
            return Err(DemoEidError::NotStarted(format!("it exited: {status}"), read_log()));
        }
        if std::net::TcpStream::connect(("127.0.0.1", op)).is_ok() {
            return Ok(provider);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(DemoEidError::NotStarted(format!("nothing listens on 127.0.0.1:{op} after 30 s"), read_log()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every address `demo_config` moves is in config/demo.toml, so a changed demo config cannot leave one behind.
    #[test]
    fn demo_config_moves_every_port() {
        let text = demo_config(&DemoOptions { port: 20000, policies: true, eid: true }).unwrap();
        for old in ["8080", "8081", "9101", "9102", "9103"] {
            assert!(DEMO_CONFIG.contains(&format!("127.0.0.1:{old}\"")), "{old} in demo.toml");
            assert!(!text.contains(&format!("127.0.0.1:{old}\"")), "{old} left in {text}");
        }
        for new in ["20000", "20001", "20002", "21021", "21022", "21023"] {
            assert!(text.contains(&format!("127.0.0.1:{new}\"")), "{new} in {text}");
        }
        assert!(
            text.contains("issuer = \"http://127.0.0.1:20003\"")
                && text.contains("public_url = \"http://127.0.0.1:20000\"")
        );
        assert_eq!(demo_config(&DemoOptions { port: 64600, ..DemoOptions::default() }).unwrap_err().0, 64600);
    }

    /// The embedded policies are the files in policies/ (a new one there must be added to the list).
    #[test]
    fn shipped_policies_are_all_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = SHIPPED_POLICIES.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
