//! The request head a backend receives, byte for byte: header names the gateway adds are spelled as they always
//! were (vendored pingora-http, patch 1), and the client's own header names reach it as HTTP/2 clients send them,
//! or with the case the client wrote when `[forwarding] preserve_header_case` says so (pingora-core, section 22).

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the recording backend answers unless a test gives its own answer.
const OK_ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";

/// A backend that hands the raw head of each request it receives to the test and answers it with `answer`.
async fn recording_backend(
    answer: &'static [u8],
) -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head: Vec<u8> = buf.drain(..end + 4).collect();
                        let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
                        if s.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, rx)
}

/// One HTTP/1.1 request written by hand (so header names go out exactly as written here); returns the response
/// head.
fn raw_get(addr: std::net::SocketAddr, head: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "gateway closed before answering");
        got.extend_from_slice(&chunk[..n]);
    }
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(got.len());
    String::from_utf8_lossy(&got[..end]).into_owned()
}

/// Logs anna in, then sends one request written by hand through the gateway to a recording backend (`/signing/` is
/// its service). `head` gets the gateway's address and the session's `Cookie` value and returns the request head.
/// Returns the status line the client got and the head the backend received.
async fn through_the_gateway(head: impl FnOnce(std::net::SocketAddr, &str) -> String) -> (String, String) {
    let (response, received) = answered_through_the_gateway(OK_ANSWER, head).await;
    (response.lines().next().unwrap_or_default().to_string(), received)
}

/// [`answered_through_the_gateway`] with `extra` appended to the gateway's config.
async fn configured_through_the_gateway(
    extra: &str,
    answer: &'static [u8],
    head: impl FnOnce(std::net::SocketAddr, &str) -> String,
) -> (String, String) {
    let (addr, mut heads) = recording_backend(answer).await;
    let env = Env::start(Opts { dead_backend: Some(addr), extra: extra.to_string(), ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let gw = env.http;
    let request = head(gw, &cookie);
    let response = tokio::task::spawn_blocking(move || raw_get(gw, &request)).await.unwrap();
    let received = tokio::time::timeout(Duration::from_secs(10), heads.recv()).await.ok().flatten().unwrap_or_default();
    (response, received)
}

/// [`through_the_gateway`] with a backend that answers `answer`; returns the whole response head the client got, and
/// the head the backend received (empty when none arrived within 10 s).
async fn answered_through_the_gateway(
    answer: &'static [u8],
    head: impl FnOnce(std::net::SocketAddr, &str) -> String,
) -> (String, String) {
    configured_through_the_gateway("", answer, head).await
}

/// A request written with mixed-case header names, and a forged identity header among them.
fn mixed_case_request(gw: std::net::SocketAddr, cookie: &str) -> String {
    format!(
        "GET /signing/doc?id=7 HTTP/1.1\r\nHost: {gw}\r\nUser-Agent: wire-test\r\nX-Custom-Case: 1\r\n\
         Cookie: {cookie}\r\nX-Portvakt-User: mallory\r\nAccept: */*\r\n\r\n"
    )
}

/// A backend's answer with mixed-case header names of its own.
const MIXED_CASE_ANSWER: &[u8] =
    b"HTTP/1.1 200 OK\r\nX-Backend-Case: 1\r\nContent-Type: text/plain\r\ncontent-length: 2\r\n\r\nok";

/// The names of a head's header lines, as written.
fn names(head: &str) -> Vec<&str> {
    head.split("\r\n").skip(1).filter(|l| !l.is_empty()).map(|l| l.split(':').next().unwrap()).collect()
}

/// Each of `expected` is the name of exactly one of `head`'s header lines, spelled exactly so.
fn assert_spelled_once(head: &str, expected: &[&str]) {
    let names = names(head);
    for e in expected {
        assert_eq!(names.iter().filter(|n| *n == e).count(), 1, "{e} once, spelled so, in:\n{head}");
    }
}

/// By default the client's header names reach the backend as an HTTP/2 client's would: lowercase, with `Host`
/// titled; and the backend's names reach an HTTP/1.1 client the same way. (The gateway's own names: below.)
#[tokio::test(flavor = "multi_thread")]
async fn header_names_are_passed_on_as_http2_spells_them() {
    let (response, head) = configured_through_the_gateway("", MIXED_CASE_ANSWER, mixed_case_request).await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert_spelled_once(&head, &["Host", "user-agent", "x-custom-case", "accept"]);
    assert!(!head.contains("User-Agent") && !head.contains("X-Custom-Case"), "{head}");
    let got = names(&response);
    assert!(got.contains(&"x-backend-case") && got.contains(&"Content-Type"), "{response}");
}

/// With `preserve_header_case`, both directions keep the case each side wrote.
#[tokio::test(flavor = "multi_thread")]
async fn preserve_header_case_keeps_the_case_each_side_wrote() {
    let extra = "[forwarding]\npreserve_header_case = true\n";
    let (response, head) = configured_through_the_gateway(extra, MIXED_CASE_ANSWER, mixed_case_request).await;
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
    assert_spelled_once(&head, &["Host", "User-Agent", "X-Custom-Case", "Accept", "x-portvakt-user"]);
    assert!(names(&response).contains(&"X-Backend-Case"), "{response}");
}

/// Identity and forwarding headers reach the backend as lowercase `x-portvakt-*`/`x-forwarded-*` lines and `Host`,
/// exactly as the gateway wrote them before they were inserted under pre-built names, once each, whatever becomes
/// of the client's own names.
#[tokio::test(flavor = "multi_thread")]
async fn backends_see_header_names_spelled_as_before() {
    let (status, head) = through_the_gateway(mixed_case_request).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let lines: Vec<&str> = head.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "GET /signing/doc?id=7 HTTP/1.1", "{head}");
    assert_spelled_once(
        &head,
        &[
            "x-portvakt-user",
            "x-portvakt-groups",
            "x-portvakt-methods",
            "x-portvakt-zone",
            "x-portvakt-assertion",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "Host",
        ],
    );
    assert!(lines.contains(&"x-portvakt-user: anna"), "{head}");
    assert!(lines.contains(&"x-portvakt-zone: internal"), "{head}");
    assert!(lines.contains(&"x-forwarded-for: 127.0.0.1"), "{head}");
    assert!(lines.contains(&"x-forwarded-proto: http"), "{head}");
    assert!(lines.iter().any(|l| l.eq_ignore_ascii_case("x-custom-case: 1")), "{head}");
    assert!(!head.contains("mallory") && !head.to_lowercase().contains("cookie"), "{head}");
}

/// Hop-by-hop fields a client sends (RFC 9110 7.6.1), and the fields its Connection header names, end at the gateway:
/// the backend's head has none of them and every other header the client sent (vendored pingora-proxy, patch 10).
#[tokio::test(flavor = "multi_thread")]
async fn hop_by_hop_fields_end_at_the_gateway() {
    let (status, head) = through_the_gateway(|gw, cookie| {
        format!(
            "GET /signing/doc HTTP/1.1\r\nHost: {gw}\r\nConnection: keep-alive, X-Drop-Me\r\nKeep-Alive: timeout=5\r\n\
             Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Checksum\r\nProxy-Authorization: Basic dTpw\r\n\
             HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nX-Drop-Me: 1\r\nX-Keep-Me: 1\r\nCookie: {cookie}\r\n\r\n"
        )
    })
    .await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    let lower = head.to_lowercase();
    let names: Vec<&str> = lower.split("\r\n").skip(1).filter_map(|l| l.split(':').next()).collect();
    for gone in
        ["keep-alive", "proxy-connection", "te", "trailer", "proxy-authorization", "http2-settings", "x-drop-me"]
    {
        assert!(!names.contains(&gone), "{gone} reached the backend:\n{head}");
    }
    assert!(!lower.contains("x-drop-me") && !lower.contains("timeout=5"), "{head}");
    assert!(lower.contains("x-keep-me: 1\r\n"), "{head}");
    assert!(head.contains("x-portvakt-user: anna\r\n"), "{head}");
}

/// A backend's `Clear-Site-Data` cannot clear the gateway's cookies: its `"cookies"` directive is dropped and `"*"`
/// narrowed, and its other directives reach the browser.
#[tokio::test(flavor = "multi_thread")]
async fn a_backends_clear_site_data_leaves_the_gateways_cookies_alone() {
    const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nClear-Site-Data: \"cache\", \"cookies\"\r\nClear-Site-Data: \"*\"\r\n\
        Clear-Site-Data: \"cookies\"\r\ncontent-length: 2\r\n\r\nok";
    let (response, _) = answered_through_the_gateway(ANSWER, |gw, cookie| {
        format!("GET /signing/doc HTTP/1.1\r\nHost: {gw}\r\nCookie: {cookie}\r\n\r\n")
    })
    .await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert_eq!(
        field_values(&response, "clear-site-data"),
        ["\"cache\"", "\"cache\", \"storage\", \"executionContexts\""],
        "{response}"
    );
}

/// The values of one kind of header line in a head, in order (names compared without case).
fn field_values<'a>(head: &'a str, name: &str) -> Vec<&'a str> {
    head.split("\r\n")
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

/// A backend behind the same host may set a cookie whose value is text beyond ASCII ("namn=Åsa"), and the browser
/// sends it back in the same Cookie line as the session. The session is still read, so the request is forwarded;
/// the backend gets its own cookies as the browser sent them, and none of the gateway's.
#[tokio::test(flavor = "multi_thread")]
async fn cookies_beyond_ascii_neither_hide_the_session_nor_reach_the_backend_with_it() {
    let (status, head) = through_the_gateway(|gw, cookie| {
        format!(
            "GET /signing/doc HTTP/1.1\r\nHost: {gw}\r\nCookie: namn=Åsa; {cookie}; tema=mörk\r\n\
             Cookie: portvakt-csrf=abc; lang=sv\r\n\r\n"
        )
    })
    .await;
    assert_eq!(status, "HTTP/1.1 200 OK", "the session beside a cookie beyond ASCII was not read");
    assert_eq!(field_values(&head, "cookie"), ["namn=Åsa; tema=mörk; lang=sv"], "{head}");
    assert!(!head.contains("portvakt="), "{head}");
    assert!(head.contains("x-portvakt-user: anna\r\n"), "{head}");
}

/// A backend must not set or clear the gateway's own cookies: not with a byte beyond ASCII in the line, and not as a
/// nameless cookie whose value a browser sends back as `portvakt=…`. Its own cookies, such bytes and all, reach the
/// browser.
#[tokio::test(flavor = "multi_thread")]
async fn odd_set_cookie_lines_from_a_backend_cannot_set_the_gateways_cookies() {
    const ANSWER: &[u8] = "HTTP/1.1 200 OK\r\nSet-Cookie: portvakt=planted; Path=/Åsa\r\n\
        Set-Cookie: portvakt-csrf=planted; Path=/\r\nSet-Cookie: =portvakt=planted; Path=/\r\n\
        Set-Cookie: namn=Åsa; Path=/\r\ncontent-length: 2\r\n\r\nok"
        .as_bytes();
    let (response, _) = answered_through_the_gateway(ANSWER, |gw, cookie| {
        format!("GET /signing/doc HTTP/1.1\r\nHost: {gw}\r\nCookie: {cookie}\r\n\r\n")
    })
    .await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let lines = field_values(&response, "set-cookie");
    assert!(lines.iter().all(|l| !l.contains("planted")), "a backend set the gateway's cookie: {lines:?}");
    assert!(lines.contains(&"namn=Åsa; Path=/"), "{lines:?}");
}

/// A backend that reads one request head, reports how many header lines it had, and answers with `n` extra
/// headers (`X-Many-0` …), its head written in three pieces so the gateway reads it in parts.
async fn many_headers_backend(n: usize) -> (std::net::SocketAddr, tokio::sync::mpsc::UnboundedReceiver<usize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                s.set_nodelay(true).unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let end = loop {
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end;
                    }
                    let Ok(k) = s.read(&mut chunk).await else { return };
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                };
                let _ = tx.send(String::from_utf8_lossy(&buf[..end]).split("\r\n").count() - 1);
                let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n");
                for i in 0..n {
                    head.push_str(&format!("X-Many-{i}: value {i}\r\n"));
                }
                head.push_str("\r\nok");
                let bytes = head.into_bytes();
                let third = bytes.len() / 3;
                for piece in [&bytes[..third], &bytes[third..2 * third], &bytes[2 * third..]] {
                    if s.write_all(piece).await.is_err() {
                        return;
                    }
                    // Separate reads on the gateway's side: the head is parsed as partial twice first.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
    });
    (addr, rx)
}

/// Heads full of headers and arriving in pieces are parsed whole in both directions (vendored pingora-core,
/// PATCH.md section 8: the parsers' header room is no longer zeroed per head): a request with 150 headers sent in three writes reaches
/// the backend with all of them, and the backend's 200 extra response headers, sent in three writes, all reach the
/// client in order.
#[tokio::test(flavor = "multi_thread")]
async fn heads_in_pieces_and_full_of_headers_are_parsed_whole() {
    let (addr, mut counts) = many_headers_backend(200).await;
    let env = Env::start(Opts { dead_backend: Some(addr), ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let gw = env.http;
    let response = tokio::task::spawn_blocking(move || {
        let mut head = format!("GET /signing/many HTTP/1.1\r\nHost: {gw}\r\nCookie: {cookie}\r\n");
        for i in 0..150 {
            head.push_str(&format!("X-Req-{i}: {i}\r\n"));
        }
        head.push_str("\r\n");
        let bytes = head.into_bytes();
        let mut s = TcpStream::connect(gw).unwrap();
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let third = bytes.len() / 3;
        for piece in [&bytes[..third], &bytes[third..2 * third], &bytes[2 * third..]] {
            s.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut got = Vec::new();
        let mut chunk = [0u8; 8192];
        while !got.windows(6).any(|w| w == b"\r\n\r\nok") {
            let n = s.read(&mut chunk).unwrap();
            assert!(n > 0, "gateway closed before answering");
            got.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(got).unwrap()
    })
    .await
    .unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(10), counts.recv()).await.unwrap().unwrap();
    // 150 of the client's, Host, and what the gateway adds (identity and X-Forwarded-*); the cookie is removed.
    assert!(sent >= 151 + 8, "the backend saw {sent} header lines");
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    // Names as HTTP/2 spells them (`[forwarding] preserve_header_case` is off).
    let many: Vec<&str> = response.split("\r\n").filter(|l| l.starts_with("x-many-")).collect();
    assert_eq!(many.len(), 200, "{response}");
    for (i, line) in many.iter().enumerate() {
        assert_eq!(*line, format!("x-many-{i}: value {i}"));
    }
}
