//! One canonical request path (issue 13, point 1): every spelling of a path either is refused with 400, or reaches
//! routing, policy and the backend as the same canonical path. Requests are written by hand (raw HTTP/1.1 request
//! lines over TCP, HTTP/2 frames through the `h2` crate over TLS) because client libraries normalise paths
//! themselves; the echo backends report the request line they received.

use crate::common::*;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Who may open what: admins only on the admin service, a denied sub-path on four services with different path
/// settings, everything else open to every user.
const POLICY: &str = r#"
[[rule]]
id = "admins-only"
services = ["self-service-admin"]
effect = "allow"
groups = ["admins"]

[[rule]]
id = "no-secrets"
services = ["expense", "iis", "java", "plain"]
paths = ["/expense/secret", "/iis/secret", "/java/secret", "/plain/secret"]
effect = "deny"

[[rule]]
id = "everyone"
services = ["self-service", "expense", "signing", "iis", "java", "plain"]
effect = "allow"
"#;

/// A gateway with the harness's services plus an admins-only service under self-service and three services whose
/// backends read paths differently; `anna` is an ordinary user and `ada` an admin.
struct PathEnv {
    env: Env,
    /// Keeps the extra backends running.
    _backends: Backends,
    /// `portvakt=<id>` for anna.
    anna: String,
    /// `portvakt=<id>` for ada.
    ada: String,
}

impl PathEnv {
    async fn start() -> PathEnv {
        let backends = Backends::start_named(&["admin", "iis", "java", "plain"]);
        let a = &backends.addrs;
        let extra = format!(
            r#"
[[services]]
name = "self-service-admin"
title = "Self-service administration"
path_prefix = "/self-service/admin"
upstreams = ["{}"]

[[services]]
name = "iis"
path_prefix = "/iis"
upstreams = ["{}"]
case_insensitive_paths = true

[[services]]
name = "java"
path_prefix = "/java"
upstreams = ["{}"]
path_params = "strip"

[[services]]
name = "plain"
path_prefix = "/plain"
upstreams = ["{}"]
path_params = "keep"
"#,
            a[0], a[1], a[2], a[3]
        );
        let env = Env::start(Opts {
            extra,
            policies: Some(POLICY.into()),
            extra_users:
                "[[users]]\nusername = \"ada\"\npassword_hash = \"{hash}\"\nname = \"Ada\"\ngroups = [\"admins\"]\n"
                    .into(),
            ..Opts::default()
        });
        let c = client_from(INTERNAL);
        let anna = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.expect("anna");
        let ada = login(&c, &env.http_url(), "ada", PASSWORD, "/", "portvakt", None).await.cookie.expect("ada");
        PathEnv { env, _backends: backends, anna, ada }
    }
}

/// A response as the client received it.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// Sends one HTTP/1.1 request with exactly this request target, and reads the response to the end.
async fn h1(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Accept: application/json\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut buf)).await.expect("response in time").ok();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body =
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(body) } else { body.into() };
    Answer { status, head: head.to_string(), body }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    for _ in 0..10_000 {
        let Some((size, rest)) = s.split_once("\r\n") else { break };
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Accepts the test gateway's self-signed certificate.
#[derive(Debug)]
struct AnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Sends one HTTP/2 request over TLS with exactly this `:path` (and `:authority` = the listener's address).
/// `None` when the `http` crate cannot even express the path (then no HTTP/2 client could send it).
async fn h2(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Option<Answer> {
    let pq = ::http::uri::PathAndQuery::try_from(path).ok()?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert(provider)))
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.unwrap();
    let (client, conn) = h2::client::handshake(tls).await.unwrap();
    tokio::spawn(conn);
    let mut parts = ::http::uri::Parts::default();
    parts.scheme = Some(::http::uri::Scheme::HTTPS);
    parts.authority = Some(addr.to_string().parse().unwrap());
    parts.path_and_query = Some(pq);
    let mut rb = ::http::Request::builder()
        .method(method)
        .uri(::http::Uri::from_parts(parts).unwrap())
        .header("accept", "application/json");
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let mut client = client.ready().await.unwrap();
    let (resp, _) = client.send_request(rb.body(()).unwrap(), true).unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(10), resp).await.expect("response in time").unwrap();
    let status = resp.status().as_u16();
    let head = format!("{:?}", resp.headers());
    let bytes = h2_body(resp.into_body()).await;
    Some(Answer { status, head, body: String::from_utf8_lossy(&bytes).into_owned() })
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// 400 from the gateway; no backend saw it.
    Refused,
    /// 403 from the gateway; no backend saw it.
    Denied,
    /// 404 from the gateway; no backend saw it.
    NotFound,
    /// A gateway page answered 200 (not proxied).
    GatewayOk,
    /// The backend with this name received this request target.
    Proxied(String, String),
    /// Anything else.
    Other(u16, String),
}

fn seen(a: &Answer) -> Seen {
    let echo = serde_json::from_str::<serde_json::Value>(&a.body)
        .ok()
        .and_then(|v| Some((v.get("service")?.as_str()?.to_string(), v.get("path")?.as_str()?.to_string())));
    match (a.status, echo) {
        (200, Some((svc, path))) => Seen::Proxied(svc, path),
        (200, None) if a.body == "ok\n" => Seen::GatewayOk,
        (400, None) => Seen::Refused,
        (403, None) => Seen::Denied,
        (404, None) => Seen::NotFound,
        (s, _) => Seen::Other(s, a.body.chars().take(200).collect()),
    }
}

fn p(backend: &str, path: &str) -> Seen {
    Seen::Proxied(backend.into(), path.into())
}

/// The variants: every example of issue 13 point 1 and their relatives, with what must become of each for anna
/// (an ordinary user). svc0 is self-service, svc1 expense.
fn variants() -> Vec<(&'static str, Seen)> {
    use Seen::*;
    vec![
        // The admin service under self-service: every spelling of it is the admin service, which anna may not open.
        ("/self-service/admin/x", Denied),
        ("/self-service//admin/x", Denied),
        ("/self-service/./admin/x", Denied),
        ("/self-service/x/../admin/x", Denied),
        ("/self-service/%61dmin/x", Denied),
        ("/self-service/%2e/admin/x", Denied),
        ("/self-service/%2E%2E/self-service/admin/x", Denied),
        ("/self-service/.%2e/self-service/admin/", Denied),
        ("/expense/../self-service/admin/x", Denied),
        ("/expense/%2e%2e/self-service/admin", Denied),
        ("/self-service/admin%2fx", Refused),
        ("/self-service/admin%2Fx", Refused),
        ("/self-service/%2561dmin/x", Refused),
        ("/self-service/admin;/x", Refused),
        ("/self-service/admin%3b/x", p("svc0", "/self-service/admin%3B/x")),
        ("/self-service/ADMIN/x", p("svc0", "/self-service/ADMIN/x")),
        ("/self-service/adminx", p("svc0", "/self-service/adminx")),
        ("/self-service/x", p("svc0", "/self-service/x")),
        // A denied sub-path on a service that refuses ';' (the default).
        ("/expense/secret", Denied),
        ("/expense/secret/", Denied),
        ("/expense//secret", Denied),
        ("/expense/./secret", Denied),
        ("/expense/x/../secret", Denied),
        ("/expense/%73ecret", Denied),
        ("/expense/secre%74/x", Denied),
        ("/expense/%2e%2e/expense/secret", Denied),
        ("/expense/secret;/x", Refused),
        ("/expense/secret;jsessionid=1", Refused),
        ("/expense/x/..;/secret", Refused),
        ("/expense/secret%00", Refused),
        ("/expense/%00/../secret", Refused),
        ("/expense/secret%0a", Refused),
        ("/expense/a%1b", Refused),
        ("/expense/a%7f", Refused),
        ("/expense/%c0%af", Refused),
        ("/expense/%c0%ae%c0%ae/secret", Refused),
        ("/expense/%e0%80%ae/secret", Refused),
        ("/expense/%ed%a0%80", Refused),
        ("/expense/%ff", Refused),
        ("/expense/%c3", Refused),
        ("/expense/%252e%252e/secret", Refused),
        ("/expense/%252fsecret", Refused),
        ("/expense/%25%32%65", Refused),
        ("/expense/a%5csecret", Refused),
        ("/expense/a\\..\\secret", Refused),
        ("/expense/%zz", Refused),
        ("/expense/%2", Refused),
        // Ordinary spellings of ordinary paths, in their canonical form at the backend.
        ("/expense/secret.", p("svc1", "/expense/secret.")),
        ("/expense/secret%20", p("svc1", "/expense/secret%20")),
        ("/expense/SECRET", p("svc1", "/expense/SECRET")),
        ("/expense/public", p("svc1", "/expense/public")),
        ("/expense/%70ublic", p("svc1", "/expense/public")),
        ("/expense/a%20b", p("svc1", "/expense/a%20b")),
        ("/expense/caf%c3%a9", p("svc1", "/expense/caf%C3%A9")),
        ("/expense/%7euser", p("svc1", "/expense/~user")),
        ("/expense/a/b/../../c", p("svc1", "/expense/c")),
        ("///expense///a", p("svc1", "/expense/a")),
        ("/expense/x/..", p("svc1", "/expense/")),
        ("/expense/a/../b?x=%2e%2e/y&z=1", p("svc1", "/expense/b?x=%2e%2e/y&z=1")),
        ("/expense/100%25", p("svc1", "/expense/100%25")),
        ("/expense/../../../etc/passwd", NotFound),
        // A Windows backend: letter case ignored, trailing dots and spaces refused.
        ("/iis/secret", Denied),
        ("/iis/SECRET/x", Denied),
        ("/IIS/Secret", Denied),
        ("/iis/%53ecret", Denied),
        ("/iis/secret./x", Refused),
        ("/iis/secret%20/x", Refused),
        ("/iis/secret%2e", Refused),
        ("/iis/Public/A.aspx", p("iis", "/iis/Public/A.aspx")),
        ("/IIS/public", p("iis", "/IIS/public")),
        // A Java backend: ';' parameters stripped before dot segments, as the servlet container does.
        ("/java/secret;/x", Denied),
        ("/java/secret;jsessionid=1", Denied),
        ("/java/x/..;/secret", Denied),
        ("/java/public;jsessionid=1/a", p("java", "/java/public/a")),
        ("/java/..;/expense/secret", Refused),
        ("/java/..;/self-service/admin/x", Refused),
        // A backend for which ';' is an ordinary character: kept, but never as a dot segment.
        ("/plain/secret;/x", p("plain", "/plain/secret;/x")),
        ("/plain/secret", Denied),
        ("/plain/x/..;/secret", Refused),
        ("/plain/..;/expense/secret", Refused),
        // The reserved prefix is recognised on the canonical path.
        ("/x/../.portvakt/healthz", GatewayOk),
        ("/.portvakt/./healthz", GatewayOk),
        ("/self-service/..%2f.portvakt/healthz", Refused),
        ("/expense/..;/.portvakt/healthz", Refused),
    ]
}

/// Every variant (more than 60) over HTTP/1.1 and HTTP/2: refused with 400, denied with 403, or proxied with the
/// canonical path the policy decided on, never to a refused resource.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_variants_over_http1_and_http2() {
    let pe = PathEnv::start().await;
    let id = pe.anna.trim_start_matches("portvakt=");
    let h1_cookie = pe.anna.clone();
    let h2_cookie = format!("__Host-portvakt={id}");
    let vs = variants();
    assert!(vs.len() >= 60, "{} variants", vs.len());
    let mut wrong = Vec::new();
    let mut h2_sent = 0;
    for (target, want) in &vs {
        let got = seen(&h1(pe.env.http, "GET", target, &[("cookie", &h1_cookie)]).await);
        if got != *want {
            wrong.push(format!("HTTP/1.1 {target}: want {want:?}, got {got:?}"));
        }
        if let Some(a) = h2(pe.env.https, "GET", target, &[("cookie", &h2_cookie)]).await {
            h2_sent += 1;
            let got = seen(&a);
            if got != *want {
                wrong.push(format!("HTTP/2 {target}: want {want:?}, got {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {} variants wrong:\n{}", wrong.len(), vs.len() * 2, wrong.join("\n"));
    // Only a literal backslash cannot be put in an HTTP/2 request by the http crate.
    assert!(h2_sent >= vs.len() - 1, "only {h2_sent} sent over HTTP/2");
}

/// An admin reaches the admin service by any spelling, and its backend receives the one canonical path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_reach_the_admin_service_by_its_canonical_path() {
    let pe = PathEnv::start().await;
    let id = pe.ada.trim_start_matches("portvakt=");
    for target in ["/self-service/%61dmin/x", "/self-service//admin/./x", "/expense/../self-service/admin/x"] {
        let a = h1(pe.env.http, "GET", target, &[("cookie", &pe.ada)]).await;
        assert_eq!(seen(&a), p("admin", "/self-service/admin/x"), "HTTP/1.1 {target}");
        let a = h2(pe.env.https, "GET", target, &[("cookie", &format!("__Host-portvakt={id}"))]).await.unwrap();
        assert_eq!(seen(&a), p("admin", "/self-service/admin/x"), "HTTP/2 {target}");
    }
}

/// An absolute-form target is forwarded in origin-form with its canonical path; its authority decides the host, and
/// a Host header that disagrees is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_form_is_rewritten_to_origin_form() {
    let pe = PathEnv::start().await;
    let base = format!("http://{}", pe.env.http);
    let cookie = [("cookie", pe.anna.as_str())];
    let a = h1(pe.env.http, "GET", &format!("{base}/expense/a/../b?q=%2e%2e"), &cookie).await;
    assert_eq!(seen(&a), p("svc1", "/expense/b?q=%2e%2e"));
    let a = h1(pe.env.http, "GET", &format!("{base}/self-service/x/../admin/x"), &cookie).await;
    assert_eq!(seen(&a), Seen::Denied);
    let a = h1(pe.env.http, "GET", &format!("{base}/expense/secret%2fx"), &cookie).await;
    assert_eq!(seen(&a), Seen::Refused);
    let a = h1(
        pe.env.http,
        "GET",
        "http://other.example/expense/x",
        &[("cookie", pe.anna.as_str()), ("host", &pe.env.http.to_string())],
    )
    .await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(!a.body.contains("\"service\""), "{a:?}");
}

/// `OPTIONS *` is answered by the gateway itself (200 with Allow) over HTTP/1.1 and HTTP/2; no backend is asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_star_is_answered_by_the_gateway() {
    let pe = PathEnv::start().await;
    let a = h1(pe.env.http, "OPTIONS", "*", &[]).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert!(a.head.to_ascii_lowercase().contains("allow: get, head, post"), "{a:?}");
    assert!(a.body.is_empty(), "{a:?}");
    let a = h2(pe.env.https, "OPTIONS", "*", &[]).await.unwrap();
    assert_eq!(a.status, 200, "{a:?}");
    assert!(a.head.contains("\"allow\": \"GET, HEAD, POST"), "{a:?}");
    // "*" is no path for any other method.
    let a = h1(pe.env.http, "GET", "*", &[]).await;
    assert_eq!(a.status, 400, "{a:?}");
}

/// A refused path gets an HTML page that says what is wrong and what to do, in the reader's language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusal_page_says_why() {
    let pe = PathEnv::start().await;
    let a = h1(pe.env.http, "GET", "/expense/a%2fb", &[("cookie", &pe.anna), ("accept-language", "en")]).await;
    assert_eq!(a.status, 400);
    assert!(a.head.to_ascii_lowercase().contains("content-type: text/html"), "{a:?}");
    assert!(a.body.contains("an encoded slash (%2F)"), "{}", a.body);
    assert!(a.body.contains("Check the link"), "{}", a.body);
    let a = h1(pe.env.http, "GET", "/expense/a;b", &[("accept-language", "sv")]).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("Kontrollera länken"), "{}", a.body);
    // The reason is in the reader's language too, not English inside a Swedish or Norwegian sentence.
    assert!(
        a.body.contains("(teknisk uppgift: en ”;”-parameter i sökvägen, som den här tjänsten avvisar)"),
        "{}",
        a.body
    );
    let a = h1(pe.env.http, "GET", "/expense/a%2fb", &[("cookie", &pe.anna), ("accept-language", "nb")]).await;
    assert_eq!(a.status, 400);
    assert!(a.body.contains("(teknisk detalj: en kodet skråstrek (%2F))"), "{}", a.body);
}

/// Without a session, the login redirect's `rd` is the canonical path with the query as sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_redirect_carries_the_canonical_path() {
    let pe = PathEnv::start().await;
    let a = h1(pe.env.http, "GET", "/expense/a/../%62?x=%2e%2e", &[("accept", "text/html")]).await;
    assert_eq!(a.status, 302, "{a:?}");
    let location =
        a.head.lines().find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: "))).unwrap();
    assert_eq!(location, format!("/.portvakt/login?rd={}", urlencode("/expense/b?x=%2e%2e")));
}
