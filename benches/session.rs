//! Session lookup: `Sessions::validate` against an in-memory store holding 100,000 live sessions, as on every
//! proxied request (cookie value to SHA-256 key, map read, timeout checks, activity update).

use criterion::{criterion_group, criterion_main, Criterion};
use portvakt::clock::SystemClock;
use portvakt::config::SessionSettings;
use portvakt::directory::User;
use portvakt::session::{Method, Methods, SessionId, Sessions};
use portvakt::store::memory::MemoryStore;
use portvakt::store::{Key, KeyMap};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const LIVE: usize = 100_000;

fn store_with_sessions(rt: &tokio::runtime::Runtime) -> (Sessions, Vec<SessionId>) {
    let sessions = Sessions::new(
        Arc::new(MemoryStore::new(Arc::new(SystemClock))),
        Arc::new(SystemClock),
        SessionSettings {
            idle_timeout: Duration::from_secs(900),
            absolute_lifetime: Duration::from_secs(12 * 3600),
            touch_interval: portvakt::session::touch_interval(Duration::from_secs(900)),
            cache_ttl: Duration::ZERO,
            cookie_name: "portvakt".into(),
            cookie_domain: None,
        },
    );
    let ids = rt.block_on(async {
        let mut ids = Vec::with_capacity(LIVE);
        for i in 0..LIVE {
            let user = User {
                username: format!("user{i:06}"),
                display_name: format!("User Number {i}"),
                email: Some(format!("user{i:06}@kommune.example")),
                groups: vec!["staff".into(), "payroll".into()],
                realm: "staff".into(),
                institution: None,
                phones: Vec::new(),
            };
            let (id, _) = sessions.create(&user, Methods::of(Method::Password)).await.expect("create");
            ids.push(id);
        }
        ids
    });
    (sessions, ids)
}

fn session_lookup(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let (sessions, ids) = store_with_sessions(&rt);
    let mut g = c.benchmark_group("session");
    // Cycling through all IDs keeps the lookups spread over the whole map, as with many users.
    let mut i = 0usize;
    g.bench_function("validate, 100k live sessions", |b| {
        b.iter(|| {
            i = (i + 1) % ids.len();
            let r = rt.block_on(sessions.validate(&ids[i])).expect("store");
            black_box(r.is_ok())
        })
    });
    let unknown = SessionId::generate();
    g.bench_function("validate unknown id, 100k live sessions", |b| {
        b.iter(|| black_box(rt.block_on(sessions.validate(black_box(&unknown))).expect("store").is_err()))
    });
    g.bench_function("cookie value to store key (parse + SHA-256)", |b| {
        let v = ids[0].as_str().to_string();
        b.iter(|| black_box(SessionId::parse(black_box(&v)).map(|id| id.key())))
    });
    g.finish();
}

/// A look-up in a map of 100,000 store keys: hashed by `KeyHasher` (eight bytes, one multiply) against the derived
/// `Hash` under std's `RandomState` (SipHash of all 32 bytes) that the maps used before finding 100.
fn key_map_lookup(c: &mut Criterion) {
    let keys: Vec<Key> = (0..LIVE).map(|i| Key::of_token(&format!("token-{i}"))).collect();
    let by_key: KeyMap<usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    let sip: std::collections::HashMap<[u8; 32], usize> = keys.iter().enumerate().map(|(i, k)| (k.0, i)).collect();
    let mut g = c.benchmark_group("store key map");
    let mut i = 0usize;
    g.bench_function("look-up, KeyHasher, 100k keys", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(by_key.get(black_box(&keys[i])))
        })
    });
    g.bench_function("look-up, SipHash of 32 bytes (before), 100k keys", |b| {
        b.iter(|| {
            i = (i + 1) % keys.len();
            black_box(sip.get(black_box(&keys[i].0)))
        })
    });
    g.finish();
}

criterion_group!(benches, session_lookup, key_map_lookup);
criterion_main!(benches);
