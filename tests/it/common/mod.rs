//! Test environment: real echo backends and a real gateway on loopback ports, a manual clock, and clients that
//! connect from chosen loopback source addresses (127.0.0.1 internal, 127.0.0.2 remote, 127.0.0.3 a trusted proxy).
#![allow(dead_code)]

use portvakt::clock::ManualClock;
use portvakt::server::{build_server, build_state, ChannelShutdown, Deps};
use reqwest::header::HeaderMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Source address that counts as the internal network.
pub const INTERNAL: &str = "127.0.0.1";
/// Source address in no zone: remote.
pub const REMOTE: &str = "127.0.0.2";
/// Source address of a trusted proxy.
pub const PROXY: &str = "127.0.0.3";

/// The institution most tests configure: the municipality, its staff known by their e-mail domain.
pub const KOMMUNE_INSTITUTION: &str =
    "[[institutions]]\nname = \"kommune\"\ntitle = \"Eksempel kommune\"\nemail_domains = [\"kommune.example\"]\n";
/// Password of every test user.
pub const PASSWORD: &str = "rätt häst batteri";

/// A port free right now on 127.0.0.1, never handed out twice in this process, and below the kernel's ephemeral
/// range (32768+) so no outgoing connection can take it before the gateway binds it.
pub fn free_port() -> u16 {
    use rand::Rng;
    static TAKEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut rng = rand::thread_rng();
    loop {
        let p: u16 = rng.gen_range(20_000..32_000);
        let mut taken = TAKEN.lock().unwrap();
        if taken.contains(&p) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", p)).is_ok() {
            taken.push(p);
            return p;
        }
    }
}

/// Real HTTP backends answering with what they received (the demo's echo backend), on a thread of their own.
pub struct Backends {
    /// Their addresses.
    pub addrs: Vec<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Backends {
    /// Starts `n` echo backends named svc0..svcN on port 0.
    pub fn start(n: usize) -> Backends {
        let names: Vec<String> = (0..n).map(|i| format!("svc{i}")).collect();
        Backends::start_named(&names.iter().map(String::as_str).collect::<Vec<_>>())
    }

    /// Starts one echo backend per name (the name is in every answer) on port 0.
    pub fn start_named(names: &[&str]) -> Backends {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let listeners: Vec<std::net::TcpListener> = (0..names.len())
            .map(|_| {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.set_nonblocking(true).unwrap();
                l
            })
            .collect();
        let addrs = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                for (l, name) in listeners.into_iter().zip(names) {
                    let l = tokio::net::TcpListener::from_std(l).unwrap();
                    tokio::spawn(portvakt::demo::serve_echo(l, name));
                }
                let _ = rx.await;
            });
        });
        Backends { addrs, stop: Some(tx) }
    }
}

impl Drop for Backends {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Options for a test gateway.
#[derive(Default)]
pub struct Opts {
    /// Extra TOML appended to the generated config.
    pub extra: String,
    /// Replace the `[session]` section.
    pub session: Option<String>,
    /// A backend address to use for service 2 instead of a live backend (e.g. a dead port).
    pub dead_backend: Option<SocketAddr>,
    /// Account store file to use (to keep it across a restart); a fresh one in the temp dir otherwise.
    pub accounts: Option<PathBuf>,
    /// Policy file contents: written to `policies/main.toml` and enabled with `policies_dir`.
    pub policies: Option<String>,
    /// Port for the plain listener, chosen beforehand (e.g. to register a callback URL at a test OP first).
    pub http_port: Option<u16>,
    /// Port for the plain listener pinned to `remote`, chosen beforehand (e.g. as the `public_url` of a browser
    /// test whose eID logins come back from outside).
    pub remote_port: Option<u16>,
    /// Extra lines for the `[server]` table.
    pub server_extra: String,
    /// Worker threads per listener (1 when `None`).
    pub threads: Option<usize>,
    /// Stores (and their keys) instead of the configured ones: two gateways given the same share their state.
    pub stores: Option<(portvakt::store::Stores, Arc<portvakt::store::seal::Secrets>)>,
    /// A clock shared with another gateway (and with the stores); a fresh one otherwise.
    pub clock: Option<Arc<ManualClock>>,
    /// The `[server] hosts` list as TOML (`["portal.kommune.example"]` when `None`).
    pub hosts: Option<String>,
    /// Extra `[[users]]` entries appended to the users file (same password as the others: use `{hash}`).
    pub extra_users: String,
    /// Replaces the `[[directories]]` section (the users-file realm `staff` otherwise).
    pub directories: Option<String>,
    /// The assertion signing key instead of one generated at start (e.g. an unusable one).
    pub signing_key: Option<portvakt::assertion::SigningKey>,
    /// Extra lines for the `[accounts]` table (e.g. `default_region = "NO"`).
    pub accounts_extra: String,
    /// Three backends running elsewhere (e.g. in another process) instead of three started here.
    pub backend_addrs: Option<Vec<SocketAddr>>,
}

/// A running gateway with its backends and clock; stopped on drop.
pub struct Env {
    /// Temporary directory with config, users file and certificates.
    pub dir: tempfile::TempDir,
    /// The gateway's clock.
    pub clock: Arc<ManualClock>,
    /// Plain HTTP listener (zone by source address).
    pub http: SocketAddr,
    /// HTTPS listener (HTTP/2 and HTTP/1.1).
    pub https: SocketAddr,
    /// Plain listener pinned to `remote`.
    pub pinned_remote: SocketAddr,
    /// Plain listener that redirects to HTTPS.
    pub redirect: SocketAddr,
    /// Backends.
    pub backends: Backends,
    /// Config path.
    pub config: PathBuf,
    /// The gateway's shared state (counters that tests read, such as session records decoded).
    pub state: Arc<portvakt::gateway::State>,
    stop: Option<tokio::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Env {
    /// Starts three backends and a gateway in front of them.
    pub fn start(opts: Opts) -> Env {
        let backends = match opts.backend_addrs.clone() {
            Some(addrs) => Backends { addrs, stop: None },
            None => Backends::start(3),
        };
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), cert.key_pair.serialize_pem()).unwrap();
        let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
        std::fs::write(
            dir.path().join("users.toml"),
            format!(
                "[[users]]\nusername = \"anna\"\npassword_hash = \"{hash}\"\nname = \"Anna Lindqvist\"\nemail = \"anna@kommune.example\"\ngroups = [\"staff\", \"payroll\"]\n\n\
                 [[users]]\nusername = \"bjorn\"\npassword_hash = \"{hash}\"\nname = \"Bjørn\"\ngroups = [\"teachers\"]\n\n{extra}",
                extra = opts.extra_users.replace("{hash}", &hash),
            ),
        )
        .unwrap();
        let http = opts.http_port.unwrap_or_else(free_port);
        let (https, pinned_remote, redirect) = (free_port(), opts.remote_port.unwrap_or_else(free_port), free_port());
        let b = &backends.addrs;
        let third = opts.dead_backend.unwrap_or(b[2]);
        let session = opts
            .session
            .clone()
            .unwrap_or_else(|| "[session]\nidle_timeout = \"15m\"\nabsolute_lifetime = \"12h\"\n".into());
        let policies_line = match &opts.policies {
            Some(p) => {
                std::fs::create_dir_all(dir.path().join("policies")).unwrap();
                std::fs::write(dir.path().join("policies/main.toml"), p).unwrap();
                "policies_dir = \"policies\"\n"
            }
            None => "",
        };
        let text = format!(
            r#"{policies_line}
[server]
threads = {threads}
hosts = {hosts}
grace_period = "0s"
graceful_shutdown_timeout = "1s"
pid_file = "{dir}/portvakt.pid"
upgrade_socket = "{dir}/upgrade.sock"
max_header_bytes = 16384
{server_extra}

[[listeners]]
address = "127.0.0.1:{http}"
redirect_to_https = false

[[listeners]]
address = "127.0.0.1:{https}"
tls = true

[[listeners]]
address = "127.0.0.1:{pinned_remote}"
redirect_to_https = false
zone = "remote"

[[listeners]]
address = "127.0.0.1:{redirect}"

[tls]
cert = "cert.pem"
key = "key.pem"

[network]
trusted_proxies = ["127.0.0.3/32"]

[[zones]]
name = "internal"
cidrs = ["127.0.0.1/32", "10.0.0.0/8"]

{session}

{directories}

[[services]]
name = "self-service"
title = "Self-service"
path_prefix = "/self-service"
upstreams = ["{b0}"]

[[services]]
name = "expense"
title = "Expenses"
path_prefix = "/expense"
upstreams = ["{b1}"]

[[services]]
name = "signing"
title = "Signing"
path_prefix = "/signing"
upstreams = ["{third}"]

[accounts]
path = "{accounts}"
{accounts_extra}

[assertion]
issuer = "https://portal.kommune.example"
{extra}
"#,
            dir = dir.path().display(),
            b0 = b[0],
            b1 = b[1],
            extra = opts.extra,
            directories = opts.directories.clone().unwrap_or_else(|| {
                "[[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n".into()
            }),
            server_extra = opts.server_extra,
            accounts_extra = opts.accounts_extra,
            threads = opts.threads.unwrap_or(1),
            hosts = opts.hosts.as_deref().unwrap_or("[\"portal.kommune.example\"]"),
            accounts = opts.accounts.clone().unwrap_or_else(|| dir.path().join("accounts.json")).display(),
        );
        let config = dir.path().join("portvakt.toml");
        std::fs::write(&config, text).unwrap();
        let cfg = portvakt::config::Config::load(&config).unwrap_or_else(|e| panic!("test config invalid:\n{e}"));
        let clock = opts.clock.clone().unwrap_or_else(ManualClock::new);
        let deps = Deps {
            clock: clock.clone(),
            stores: opts.stores.clone(),
            signing_key: opts.signing_key.clone(),
            ..Deps::default()
        };
        let state = build_state(cfg, &deps).unwrap();
        let server = build_server(state.clone()).unwrap();
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let thread = std::thread::spawn(move || {
            server.run(pingora::server::RunArgs {
                shutdown_signal: Box::new(ChannelShutdown(tokio::sync::Mutex::new(rx))),
            })
        });
        let env = Env {
            dir,
            clock,
            http: ([127, 0, 0, 1], http).into(),
            https: ([127, 0, 0, 1], https).into(),
            pinned_remote: ([127, 0, 0, 1], pinned_remote).into(),
            redirect: ([127, 0, 0, 1], redirect).into(),
            backends,
            config,
            state,
            stop: Some(tx),
            thread: Some(thread),
        };
        for a in [env.http, env.https, env.pinned_remote, env.redirect] {
            wait_for_port(a);
        }
        env
    }

    /// Base URL of the plain listener.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// Replaces the policy file (the gateway notices within a second).
    pub fn write_policies(&self, text: &str) {
        let tmp = self.dir.path().join("policies/.main.toml.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, self.dir.path().join("policies/main.toml")).unwrap();
    }

    /// Base URL of the HTTPS listener.
    pub fn https_url(&self) -> String {
        format!("https://{}", self.https)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.try_send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn wait_for_port(a: SocketAddr) {
    for _ in 0..200 {
        if std::net::TcpStream::connect_timeout(&a, Duration::from_millis(100)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("gateway did not start listening on {a}");
}

/// A client connecting from `source`, following no redirects, accepting the test certificate.
pub fn client_from(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// The `name=value` part of the Set-Cookie for `name`, if any.
pub fn set_cookie(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// The full Set-Cookie line for `name`.
pub fn set_cookie_line(h: &HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// Logs out from the portal's form (its CSRF token, the session cookie given) as a browser does: the POST answers
/// 303 to the logged-out page, which is then loaded; returns that page's status.
pub async fn logout(c: &reqwest::Client, base: &str, cookie: &str) -> u16 {
    let portal = c.get(format!("{base}/.portvakt/portal")).header("cookie", cookie).send().await.unwrap();
    let token = hidden_field(&portal.text().await.unwrap(), "csrf").unwrap();
    let out = c
        .post(format!("{base}/.portvakt/logout"))
        .header("cookie", cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    if out.status() != 303 {
        return out.status().as_u16();
    }
    let to = out.headers().get("location").unwrap().to_str().unwrap().to_string();
    c.get(format!("{base}{to}")).send().await.unwrap().status().as_u16()
}

/// The value of a hidden form field in a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html_unescape(&html[start..end]))
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#x27;", "'").replace("&amp;", "&")
}

/// Result of a login attempt.
#[derive(Debug)]
pub struct Login {
    /// Status of the POST.
    pub status: u16,
    /// Location header.
    pub location: Option<String>,
    /// `name=value` of the session cookie set, if any.
    pub cookie: Option<String>,
    /// Response body.
    pub body: String,
}

/// Logs in through the real form: GET the page for its CSRF cookie and token, then POST.
/// `cookie_name` is `portvakt` on plain HTTP and `__Host-portvakt` on HTTPS; `extra_cookie` is sent along.
pub async fn login(
    c: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
    rd: &str,
    cookie_name: &str,
    extra_cookie: Option<&str>,
) -> Login {
    let page = c.get(format!("{base}/.portvakt/login?rd={}", urlencode(rd))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf_cookie = set_cookie(page.headers(), &format!("{cookie_name}-csrf")).expect("csrf cookie set");
    let html = page.text().await.unwrap();
    let token = hidden_field(&html, "csrf").expect("csrf field");
    let rd_field = hidden_field(&html, "rd").expect("rd field");
    let mut cookie = csrf_cookie;
    if let Some(x) = extra_cookie {
        cookie = format!("{cookie}; {x}");
    }
    let resp = c
        .post(format!("{base}/.portvakt/login"))
        .header("cookie", cookie)
        .form(&[("csrf", token.as_str()), ("rd", rd_field.as_str()), ("username", user), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
    let cookie = set_cookie(resp.headers(), cookie_name);
    let body = resp.text().await.unwrap();
    Login { status, location, cookie, body }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// GETs a URL as JSON from an echo backend through the gateway, with the given cookie and headers.
pub async fn get_json(
    c: &reqwest::Client,
    url: &str,
    cookie: &str,
    headers: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let mut rb = c.get(url).header("accept", "application/json").header("cookie", cookie);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}
/// A TLS connection from the internal test address to `to` (trusting the certificate in `cert`) offering `alpn`.
pub async fn tls_connect(
    cert: &std::path::Path,
    to: SocketAddr,
    alpn: &[u8],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let pem = std::fs::read(cert).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.unwrap()).unwrap();
    }
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(INTERNAL.parse().unwrap(), 0)).unwrap();
    let tcp = sock.connect(to).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
    tls
}

/// An HTTP/2 connection (h2 over TLS) to the TLS listener `to`, and the task that drives it.
pub async fn h2_connect_to(
    cert: &std::path::Path,
    to: SocketAddr,
) -> (h2::client::SendRequest<bytes::Bytes>, tokio::task::JoinHandle<Result<(), h2::Error>>) {
    let tls = tls_connect(cert, to, b"h2").await;
    let (send, conn) = h2::client::Builder::new().handshake::<_, bytes::Bytes>(tls).await.unwrap();
    (send, tokio::spawn(conn))
}

/// An HTTP/2 GET of `url` as [`get_json`] makes it over HTTP/1.1 (`Accept: application/json`, `cookie`), answered
/// within 10 s: the status and the body as JSON (or as a string when it is none).
pub async fn h2_get_json(
    send: &h2::client::SendRequest<bytes::Bytes>,
    url: &str,
    cookie: &str,
) -> (u16, serde_json::Value) {
    let req = http::Request::get(url).header("accept", "application/json").header("cookie", cookie);
    let mut ready = send.clone().ready().await.unwrap();
    let (resp, _) = ready.send_request(req.body(()).unwrap(), true).unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(10), resp).await.expect("answered within 10 s").unwrap();
    let status = resp.status().as_u16();
    let text = String::from_utf8_lossy(&h2_body(resp.into_body()).await).into_owned();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

/// An HTTP/2 response body read to its end, each piece's flow-control capacity given back as it arrives.
pub async fn h2_body(mut body: h2::RecvStream) -> Vec<u8> {
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.unwrap();
        let _ = body.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    bytes
}

pub mod ad;
pub mod ldap;
pub mod oidc;
pub mod redis;
pub mod sms_provider;
pub mod smtp;

/// Asks for a one-time code as a browser does: POSTs `form` to `/.portvakt/second-factor/send` at `base`, which
/// answers 303 to the code page whatever the result (POST-redirect-GET), then GETs that page. Returns the result the
/// redirect names (`sent`, `cooldown`, `limit`, `cap`, `country`, `locked`, `failed`; `status N` for an answer that
/// is no 303) and the page a user sees.
pub async fn send_code(c: &reqwest::Client, base: &str, cookie: &str, form: &[(&str, &str)]) -> (String, String) {
    let r = c.post(format!("{base}/.portvakt/second-factor/send")).header("cookie", cookie).form(form).send().await;
    let r = r.unwrap();
    if r.status() != 303 {
        return (format!("status {}", r.status().as_u16()), r.text().await.unwrap());
    }
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    assert!(loc.starts_with("/.portvakt/second-factor?"), "{loc}");
    let result = loc.split(['?', '&']).find_map(|p| p.strip_prefix("r=")).unwrap_or("").to_string();
    let page = browse(c, &format!("{base}{loc}"), cookie, &[]).await;
    // The page after the redirect keeps the statuses README promises: a limit is a 429 that says when to try again
    // (Retry-After when it names a wait), a provider failure a 503, a code sent a 200.
    let expected = match result.as_str() {
        "sent" => 200,
        "failed" => 503,
        _ => 429,
    };
    assert_eq!(page.status(), expected, "{loc}");
    let waits = loc.split(['?', '&']).find_map(|p| p.strip_prefix("w="));
    let retry_after = page.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(retry_after.as_deref(), waits, "Retry-After names the wait of {loc}");
    (result, page.text().await.unwrap())
}

/// A browser's GET (`Accept: text/html`) with a session cookie and extra headers; redirects are not followed.
pub async fn browse(c: &reqwest::Client, url: &str, cookie: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut rb = c.get(url).header("cookie", cookie).header("accept", "text/html");
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    rb.send().await.unwrap()
}

/// What a browser shows after a POST answered the POST-redirect-GET way: when `r` is a 303 to one of the gateway's
/// own pages (`/.portvakt/...`), that page as the browser GETs it next (same cookie and headers; it must answer
/// 200); any other answer's own body. Returns the POST's status and that HTML.
pub async fn shown_after(
    c: &reqwest::Client,
    base: &str,
    r: reqwest::Response,
    cookie: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let status = r.status().as_u16();
    if status != 303 {
        return (status, r.text().await.unwrap());
    }
    let to = r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(to.starts_with("/.portvakt/"), "a 303 to {to:?}, not to one of the gateway's pages");
    let page = browse(c, &format!("{base}{to}"), cookie, headers).await;
    assert_eq!(page.status(), 200, "the page after the redirect to {to}");
    (status, page.text().await.unwrap())
}

/// "Your numbers were saved." in a language (`sv`, `nb`, `nn`, `da`, `en`): the notice the account page shows after
/// the save's redirect.
pub fn saved(lang: &str) -> String {
    let lang = portvakt::pages::Lang::from_code(lang).unwrap();
    portvakt::pages::Msg::PhonesSaved.text(lang)
}
