//! Adding the gateway's ten upstream headers to a cloned browser request through pingora-http's header API: names as
//! strings (parsed and copied on every insert, both header maps grown step by step; the gateway before
//! vendor/pingora-http patch 1) against pre-built `HeaderName`s with room reserved first, into a request read with
//! its names' case (two header maps) and without it (one map: `[forwarding] preserve_header_case` off, the default
//! since vendor/pingora-core patch 23).

use criterion::{criterion_group, criterion_main, Criterion};
use http::{HeaderName, HeaderValue};
use pingora_http::RequestHeader;
use std::hint::black_box;

/// A browser's request as pingora's HTTP/1 reader builds it: names in the client's case and a case map when
/// `keep_case`, else one header map.
fn browser_request(keep_case: bool) -> RequestHeader {
    let build = if keep_case { RequestHeader::build } else { RequestHeader::build_no_case };
    let mut r = build("GET", b"/app/payslips/2026-11?view=pdf", Some(12)).expect("request");
    let headers: [(&str, &str); 12] = [
        ("Host", "portal.kommune.example"),
        ("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
        ("Accept-Language", "sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7"),
        ("Accept-Encoding", "gzip, deflate, br, zstd"),
        ("Referer", "https://portal.kommune.example/.portvakt/portal"),
        ("Sec-Fetch-Dest", "document"),
        ("Sec-Fetch-Mode", "navigate"),
        ("Sec-Fetch-Site", "same-origin"),
        ("Sec-Fetch-User", "?1"),
        ("Upgrade-Insecure-Requests", "1"),
        ("Connection", "keep-alive"),
    ];
    for (n, v) in headers {
        r.append_header(bytes::Bytes::from_static(n.as_bytes()), v).expect("header");
    }
    r
}

const NAMES: [&str; 9] = [
    "x-portvakt-user",
    "x-portvakt-groups",
    "x-portvakt-methods",
    "x-portvakt-zone",
    "x-portvakt-institution",
    "x-portvakt-assertion",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
];

static PREBUILT: [HeaderName; 9] = [
    HeaderName::from_static("x-portvakt-user"),
    HeaderName::from_static("x-portvakt-groups"),
    HeaderName::from_static("x-portvakt-methods"),
    HeaderName::from_static("x-portvakt-zone"),
    HeaderName::from_static("x-portvakt-institution"),
    HeaderName::from_static("x-portvakt-assertion"),
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-proto"),
];

fn upstream_headers(c: &mut Criterion) {
    let client = browser_request(true);
    let client_no_case = browser_request(false);
    // Shared values, as the assertion cache hands them out.
    let values: Vec<HeaderValue> =
        (0..NAMES.len()).map(|i| HeaderValue::from_str(&format!("value {i}")).expect("value")).collect();
    let _shared = values.clone();
    let mut g = c.benchmark_group("upstream headers");
    g.bench_function("clone + 10 inserts, string names (before)", |b| {
        b.iter(|| {
            let mut up = black_box(&client).clone();
            for (n, v) in NAMES.iter().zip(&values) {
                up.insert_header(*n, v.clone()).expect("insert");
            }
            up.insert_header(http::header::HOST, HeaderValue::from_static("portal.kommune.example")).expect("host");
            black_box(up)
        })
    });
    for (label, request) in [
        ("clone + reserve + 10 inserts, pre-built names, case kept", &client),
        ("clone + reserve + 10 inserts, pre-built names, no case map (default)", &client_no_case),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| {
                let mut up = black_box(request).clone();
                up.reserve(10).expect("reserve");
                for (n, v) in PREBUILT.iter().zip(&values) {
                    up.insert_header(n, v.clone()).expect("insert");
                }
                up.insert_header(&http::header::HOST, HeaderValue::from_static("portal.kommune.example"))
                    .expect("host");
                black_box(up)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, upstream_headers);
criterion_main!(benches);
