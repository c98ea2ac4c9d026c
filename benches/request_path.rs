//! The per-request work of an authenticated proxied request besides the session lookup (benches/session.rs): the
//! access decision, the identity headers with the signed ES256 assertion, and stripping client-sent
//! `X-Portvakt-*` headers from a realistic browser request.

use criterion::{criterion_group, criterion_main, Criterion};
use pingora_http::RequestHeader;
use portvakt::access;
use portvakt::assertion::{Claims, SigningKey};
use portvakt::assertion_cache::{AssertionCache, IdentityHeaders};
use portvakt::config::LoginRequirement;
use portvakt::gateway::headers::HeaderFilter;
use portvakt::session::{Method, Methods, SessionId, SessionRecord};
use portvakt::zones::Zone;
use std::hint::black_box;
use std::sync::Arc;

/// What a browser sends to a service behind the gateway, plus two forged identity headers to strip.
fn browser_request() -> RequestHeader {
    let mut r = RequestHeader::build("GET", b"/app/payslips/2026-11?view=pdf", None).expect("request");
    let headers: [(&str, &str); 17] = [
        ("host", "portal.kommune.example"),
        ("user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"),
        ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
        ("accept-language", "sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("referer", "https://portal.kommune.example/.portvakt/portal"),
        ("cookie", "portvakt=Zq3x9VfQm2Lk8Rt1Yw4Pb7Nc5Hd0Gs6Ja3Ue9Io2Ty4; lang=sv; _pk_id.1=3f2a1b"),
        ("sec-fetch-dest", "document"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-user", "?1"),
        ("sec-ch-ua", "\"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\""),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Windows\""),
        ("upgrade-insecure-requests", "1"),
        ("X-Portvakt-User", "admin"),
        ("x_portvakt_groups", "admins"),
    ];
    for (n, v) in headers {
        r.append_header(n, v).expect("header");
    }
    r
}

fn access_decision(c: &mut Criterion) {
    let internal = Zone::new("internal", LoginRequirement::Password);
    let remote = Zone::new("remote", LoginRequirement::TwoFactor);
    let pw = Methods::of(Method::Password);
    let mut g = c.benchmark_group("access");
    g.bench_function("decide: password from internal (allow)", |b| {
        b.iter(|| black_box(access::builtin(black_box(&internal), black_box(pw), portvakt::methods::Assurance::None)))
    });
    g.bench_function("decide: password from remote (step up)", |b| {
        b.iter(|| black_box(access::builtin(black_box(&remote), black_box(pw), portvakt::methods::Assurance::None)))
    });
    g.finish();
}

fn identity(c: &mut Criterion) {
    let key = SigningKey::generate().expect("key");
    let groups = vec!["staff".to_string(), "payroll".to_string()];
    let methods = Methods::of(Method::Password).with(Method::Sms);
    let now = 1_795_000_000u64;
    let claims = || Claims {
        iss: "https://portal.kommune.example",
        sub: "anna",
        aud: "self-service",
        iat: now,
        nbf: now - 5,
        exp: now + 60,
        name: "Anna Lindqvist",
        groups: &groups,
        amr: methods.iter().map(|m| m.as_str()).collect(),
        zone: "internal",
        realm: "staff",
        institution: None,
    };
    let mut g = c.benchmark_group("identity");
    g.bench_function("assertion: claims + ES256 sign", |b| b.iter(|| black_box(key.sign(&claims()).expect("sign"))));
    let base = browser_request();
    g.bench_function("identity headers + assertion on a request", |b| {
        b.iter(|| {
            let mut up = base.clone();
            up.insert_header("x-portvakt-user", "anna").expect("header");
            up.insert_header("x-portvakt-groups", groups.join(",")).expect("header");
            up.insert_header("x-portvakt-methods", methods.header_value()).expect("header");
            up.insert_header("x-portvakt-zone", "internal").expect("header");
            up.insert_header("x-portvakt-assertion", key.sign(&claims()).expect("sign")).expect("header");
            black_box(up)
        })
    });
    // The signature alone, and the same signature with ring (already in the tree through rustls), for comparison.
    let token = key.sign(&claims()).expect("sign");
    let signed_part = token.rsplit_once('.').map(|(m, _)| m.to_string()).unwrap_or_default();
    let p256_key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    g.bench_function("ES256 signature only, p256 crate (before)", |b| {
        b.iter(|| {
            let sig: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(&p256_key, signed_part.as_bytes());
            black_box(sig)
        })
    });
    let rng = ring::rand::SystemRandom::new();
    let alg = &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("key");
    let ring_key = ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).expect("key");
    g.bench_function("ES256 signature only, ring (as now)", |b| {
        b.iter(|| black_box(ring_key.sign(&rng, signed_part.as_bytes()).expect("sign")))
    });
    g.bench_function("identity headers without assertion", |b| {
        b.iter(|| {
            let mut up = base.clone();
            up.insert_header("x-portvakt-user", "anna").expect("header");
            up.insert_header("x-portvakt-groups", groups.join(",")).expect("header");
            up.insert_header("x-portvakt-methods", methods.header_value()).expect("header");
            up.insert_header("x-portvakt-zone", "internal").expect("header");
            black_box(up)
        })
    });
    // A request of a session whose assertion is cached: before session 9 the cache held the token and every request
    // built the other values and copied all of them into the header map; now a hit hands out finished values that
    // share their bytes (docs/BENCHMARKS.md, session 9, finding 11).
    let rec = SessionRecord {
        username: "anna".into(),
        display_name: "Anna Lindqvist".into(),
        realm: "staff".into(),
        groups: groups.clone(),
        institution: Some("Skolförvaltningen".into()),
        directory_phones: vec![],
        email: Some("anna@kommune.example".into()),
        methods,
        assurance: portvakt::methods::Assurance::default(),
        eid: None,
        created: portvakt::clock::Instant(0),
        checked: None,
        from_snapshot: None,
        last_seen: portvakt::clock::Instant(0),
        csrf: "csrf".into(),
    };
    let cached_token: Arc<str> = Arc::from(token.as_str());
    let cache = AssertionCache::default();
    let ck = SessionId::generate().key();
    let built = IdentityHeaders::build(&rec, "internal", portvakt::forwarding::groups_header(&rec.groups), &token);
    cache.put(ck, 0, "internal", &rec, built.expect("headers"), now, now + 60);
    g.bench_function("identity headers, cached assertion, values built per request (before)", |b| {
        b.iter(|| {
            let mut up = base.clone();
            let t = black_box(&cached_token).clone();
            up.insert_header("x-portvakt-user", rec.username.as_str()).expect("header");
            up.insert_header("x-portvakt-groups", portvakt::forwarding::groups_header(&rec.groups)).expect("header");
            up.insert_header("x-portvakt-methods", rec.methods.header_value()).expect("header");
            up.insert_header("x-portvakt-zone", "internal").expect("header");
            if let Some(i) = &rec.institution {
                up.insert_header("x-portvakt-institution", i.as_str()).expect("header");
            }
            up.insert_header("x-portvakt-assertion", &*t).expect("header");
            black_box(up)
        })
    });
    g.bench_function("identity headers from the cache (as now)", |b| {
        b.iter(|| {
            let mut up = base.clone();
            let ids = cache.get(black_box(&ck), 0, "internal", now + 1, &rec).expect("cached");
            up.insert_header("x-portvakt-user", ids.user).expect("header");
            up.insert_header("x-portvakt-groups", ids.groups).expect("header");
            up.insert_header("x-portvakt-methods", ids.methods).expect("header");
            up.insert_header("x-portvakt-zone", ids.zone).expect("header");
            if let Some(i) = ids.institution {
                up.insert_header("x-portvakt-institution", i).expect("header");
            }
            up.insert_header("x-portvakt-assertion", ids.assertion).expect("header");
            black_box(up)
        })
    });
    g.finish();
}

fn strip(c: &mut Criterion) {
    let base = browser_request();
    let filter = HeaderFilter::default();
    let mut g = c.benchmark_group("strip");
    g.bench_function("HeaderFilter::removes over 17 header names", |b| {
        b.iter(|| black_box(base.headers.keys().filter(|n| filter.removes(black_box(n.as_str()))).count()))
    });
    g.bench_function("request clone (baseline for the next)", |b| b.iter(|| black_box(base.clone())));
    g.bench_function("request clone + strip forged headers (as the gateway does)", |b| {
        b.iter(|| {
            let mut up = base.clone();
            let forged: Vec<http::HeaderName> =
                up.headers.keys().filter(|n| filter.removes(n.as_str())).cloned().collect();
            for n in forged {
                up.remove_header(&n);
            }
            black_box(up)
        })
    });
    g.finish();
}

/// The backend's request target: before session 10 every proxied request built `path?query` anew, parsed it into a
/// `Uri` and set it; now a target already sent as the canonical path is kept (docs/BENCHMARKS.md, session 10).
fn upstream_target(c: &mut Criterion) {
    let base = browser_request();
    let path = "/app/payslips/2026-11";
    let mut g = c.benchmark_group("target");
    g.bench_function("upstream target rebuilt and parsed on every request (before)", |b| {
        b.iter(|| {
            let mut up = base.clone();
            let target = match base.uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            };
            up.set_uri(http::Uri::try_from(target.as_str()).expect("uri"));
            black_box(up)
        })
    });
    g.bench_function("upstream target kept when sent in canonical form (as now)", |b| {
        b.iter(|| {
            let up = base.clone();
            black_box(portvakt::gateway::origin_form_is(&base, black_box(path)));
            black_box(up)
        })
    });
    g.finish();
}

/// What a reference count costs when another thread writes the same cache line, against one only this thread
/// touches: the reason the assertion cache is kept per worker thread (docs/BENCHMARKS.md, session 11). A second
/// thread clones and drops the shared value for as long as the measurement runs, then stops.
fn shared_lines(c: &mut Criterion) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut g = c.benchmark_group("shared");
    let value = http::HeaderValue::from_maybe_shared(bytes::Bytes::from("e".repeat(600))).expect("value");
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let other = value.clone();
        let stop = &stop;
        s.spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(other.clone());
            }
        });
        g.bench_function("clone + drop of a header value another thread also clones (shared cache, before)", |b| {
            b.iter(|| black_box(value.clone()))
        });
        stop.store(true, Ordering::Relaxed);
    });
    let own = http::HeaderValue::from_maybe_shared(bytes::Bytes::from("e".repeat(600))).expect("value");
    let _keep = own.clone();
    g.bench_function("clone + drop of a header value only this thread uses (per-thread cache, as now)", |b| {
        b.iter(|| black_box(own.clone()))
    });
    g.finish();
}

/// Counting one finished request in the logging phase while another worker thread counts its own requests of the
/// same zone and service: prometheus_client's families as before (two map read locks, label hashing, four `Arc`
/// clones, the histogram's write lock, the counter) against the per-thread series now (docs/BENCHMARKS.md,
/// session 12, finding 54). Each case runs its own kind of counting on the second thread.
fn metrics_request(c: &mut Criterion) {
    use portvakt::metrics::{Metrics, Name, RequestLabels, Served, ZoneService};
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    let mut g = c.benchmark_group("metrics");
    let (zone, service): (Arc<str>, Arc<str>) = (Arc::from("internal"), Arc::from("wiki"));
    let requests: Family<RequestLabels, Counter> = Family::default();
    let durations: Family<ZoneService, Histogram, fn() -> Histogram> =
        Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 3.0, 11)));
    let before = |zone: &Arc<str>, service: &Arc<str>| {
        let (zone, service) = (Name(zone.clone()), Name(service.clone()));
        durations.get_or_create(&ZoneService { zone: zone.clone(), service: service.clone() }).observe(0.0007);
        requests.get_or_create(&RequestLabels { zone, service, status: 200 }).inc();
    };
    let m = Metrics::new(&[zone.clone(), Arc::from("remote")], &[service.clone(), Arc::from("expense")]);
    let now = || m.request(Some("internal"), Served::Service(0), 200, Duration::from_micros(700));
    for (name, contended) in [("alone", false), ("while another thread counts too", true)] {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            if contended {
                let (stop, before) = (&stop, &before);
                let (zone, service) = (zone.clone(), service.clone());
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        before(&zone, &service);
                    }
                });
            }
            g.bench_function(format!("families, {name} (before)"), |b| b.iter(|| before(black_box(&zone), &service)));
            stop.store(true, Ordering::Relaxed);
        });
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            if contended {
                let (stop, now) = (&stop, &now);
                s.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        now();
                    }
                });
            }
            g.bench_function(format!("per-thread series, {name} (as now)"), |b| b.iter(&now));
            stop.store(true, Ordering::Relaxed);
        });
    }
    g.finish();
}

/// The session cookie as the gateway read it before session 13: the `cookie` crate parses every piece into a `Cookie`.
fn cookie_by_crate<'a>(req: &'a RequestHeader, name: &str) -> Option<&'a str> {
    req.headers
        .get_all(http::header::COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(|c| {
            let c = c.ok()?;
            Some((c.name_raw()?, c.value_raw()?))
        })
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// `strip_cookies` before session 13: the pieces split and trimmed twice, each name parsed by the `cookie` crate,
/// collected into a `Vec` and joined.
fn strip_cookies_before(req: &mut RequestHeader, names: &[String]) {
    let ours = |piece: &str| {
        let name = portvakt::gateway::http::cookie_piece_name(piece);
        names.iter().any(|x| x == name)
    };
    let pieces = || {
        req.headers
            .get_all(http::header::COOKIE)
            .into_iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .map(str::trim)
            .filter(|c| !c.is_empty())
    };
    if !pieces().any(ours) {
        return;
    }
    let kept: Vec<&str> = pieces().filter(|c| !ours(c)).collect();
    let kept = kept.join("; ");
    req.remove_header(&http::header::COOKIE);
    if !kept.is_empty() {
        let _ = req.insert_header(http::header::COOKIE, kept);
    }
}

/// `host_of` before session 13 for a Host header: an `http::uri::Authority` parsed, the host copied.
fn host_before(req: &RequestHeader) -> Option<String> {
    let h = req.headers.get(http::header::HOST)?.to_str().ok()?;
    let parsed = h.parse::<http::uri::Authority>().ok()?;
    let h = parsed.host().trim_start_matches('[').trim_end_matches(']');
    let h = if h.bytes().any(|b| b.is_ascii_uppercase()) { h.to_ascii_lowercase() } else { h.to_string() };
    (!h.is_empty()).then_some(h)
}

/// The X-Forwarded-For value before session 13: the address formatted by `Display` on the stack.
fn ip_value_before(ip: std::net::IpAddr) -> http::HeaderValue {
    use std::io::Write as _;
    let mut buf = [0u8; 48];
    let mut w = &mut buf[..];
    let room = w.len();
    let n = match write!(w, "{ip}") {
        Ok(()) => room - w.len(),
        Err(_) => 0,
    };
    http::HeaderValue::from_bytes(&buf[..n]).expect("value")
}

/// Session 13's cuts in the hooks (docs/BENCHMARKS.md finding 78): the Cookie header read and stripped without the
/// `cookie` crate, the Host header without an `Authority` parse, the client's IPv4 address written by hand.
fn hooks_cuts(c: &mut Criterion) {
    use portvakt::gateway::http as gh;
    let base = browser_request();
    let ours: Vec<String> = ["portvakt", "portvakt-csrf", "portvakt-lang", "__Host-portvakt", "__Host-portvakt-lang"]
        .map(String::from)
        .to_vec();
    let filter = HeaderFilter::default();
    let mut g = c.benchmark_group("hooks");
    g.bench_function("session cookie: cookie crate (before)", |b| {
        b.iter(|| black_box(cookie_by_crate(black_box(&base), "portvakt")))
    });
    g.bench_function("session cookie: by hand (as now)", |b| {
        b.iter(|| black_box(gh::cookie(black_box(&base), "portvakt")))
    });
    g.bench_function("request clone (baseline for strip_cookies)", |b| b.iter(|| black_box(base.clone())));
    g.bench_function("clone + strip_cookies (before)", |b| {
        b.iter(|| {
            let mut up = base.clone();
            strip_cookies_before(&mut up, &ours);
            black_box(up)
        })
    });
    g.bench_function("clone + strip_cookies (as now)", |b| {
        b.iter(|| {
            let mut up = base.clone();
            gh::strip_cookies(&mut up, &ours);
            black_box(up)
        })
    });
    g.bench_function("host + valid Host: two Authority parses (before)", |b| {
        b.iter(|| {
            let h = black_box(&base).headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            let valid = h.parse::<http::uri::Authority>().is_ok_and(|a| a.as_str() == h && !h.contains('@'));
            black_box((valid, host_before(black_box(&base))))
        })
    });
    g.bench_function("host + valid Host (as now)", |b| {
        b.iter(|| black_box((gh::valid_host_header(black_box(&base)), gh::host_of(black_box(&base)))))
    });
    let ip: std::net::IpAddr = std::net::Ipv4Addr::new(192, 168, 10, 201).into();
    g.bench_function("X-Forwarded-For IPv4: Display (before)", |b| {
        b.iter(|| black_box(ip_value_before(black_box(ip))))
    });
    g.bench_function("X-Forwarded-For IPv4: by hand (as now)", |b| {
        b.iter(|| black_box(gh::ip_header_value(black_box(ip))))
    });
    g.bench_function("HeaderFilter::removes over 17 names: the lists alone (before)", |b| {
        b.iter(|| black_box(base.headers.keys().filter(|n| filter.removes_by_the_lists(black_box(n.as_str()))).count()))
    });
    g.bench_function("HeaderFilter::removes over 17 names (as now)", |b| {
        b.iter(|| black_box(base.headers.keys().filter(|n| filter.removes(black_box(n.as_str()))).count()))
    });
    g.finish();
}

criterion_group!(benches, upstream_target, access_decision, identity, strip, shared_lines, metrics_request, hooks_cuts);
criterion_main!(benches);
