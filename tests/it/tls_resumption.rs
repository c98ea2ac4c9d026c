//! TLS session resumption from outside, counted (never timed): hundreds of returning clients resume, a ticket from
//! one gateway resumes on another that shares the store keys (and not on one that does not), and a ticket past its
//! lifetime gets a full handshake that still works.

use crate::common::*;
use portvakt::clock::{Clock, Instant as ClockInstant, ManualClock};
use rustls::HandshakeKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A client configuration trusting the certificates of `envs`, with a session cache of its own (one returning
/// browser).
fn browser(roots: &rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    cfg.resumption = rustls::client::Resumption::in_memory_sessions(8);
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(cfg)
}

/// The certificates of these gateways as trust roots.
fn roots(envs: &[&Env]) -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for env in envs {
        let pem = std::fs::read(env.dir.path().join("cert.pem")).unwrap();
        for c in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(c.unwrap()).unwrap();
        }
    }
    roots
}

/// Connects with `cfg`, fetches the health endpoint over HTTP/1.1 (which also takes in the session tickets the
/// gateway sends after the handshake) and says whether the handshake was a resumption.
async fn visit(cfg: &Arc<rustls::ClientConfig>, to: SocketAddr) -> HandshakeKind {
    let tcp = tokio::net::TcpStream::connect(to).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls =
        tokio::time::timeout(Duration::from_secs(30), tokio_rustls::TlsConnector::from(cfg.clone()).connect(name, tcp))
            .await
            .expect("handshake within 30 s")
            .unwrap();
    let kind = tls.get_ref().1.handshake_kind().expect("handshake done");
    tls.write_all(b"GET /.portvakt/healthz HTTP/1.1\r\nHost: portal.kommune.example\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut resp = Vec::new();
    // The gateway closes after the response (Connection: close); a reset instead of close_notify is fine here.
    let _ = tokio::time::timeout(Duration::from_secs(30), tls.read_to_end(&mut resp)).await.expect("response");
    assert!(resp.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&resp));
    kind
}

/// 600 returning clients (each with its own session cache, as browsers have) come back after their first visit:
/// at least 95 % resume their session (in practice all). rustls's default stateful cache holds 256 sessions and
/// each full handshake stores two, so without session tickets only the last ~128 clients could resume.
#[tokio::test(flavor = "multi_thread")]
async fn six_hundred_returning_clients_resume() {
    let env = Env::start(Opts::default());
    let roots = roots(&[&env]);
    let clients: Vec<_> = (0..600).map(|_| browser(&roots)).collect();
    let to = env.https;
    // Each round 16 at a time, bounded.
    let round = |clients: Vec<Arc<rustls::ClientConfig>>| async move {
        let mut kinds = Vec::new();
        for chunk in clients.chunks(16) {
            let tasks: Vec<_> =
                chunk.iter().cloned().map(|c| tokio::spawn(async move { visit(&c, to).await })).collect();
            for t in tasks {
                kinds.push(t.await.unwrap());
            }
        }
        kinds
    };
    let first = round(clients.clone()).await;
    assert!(first.iter().all(|k| *k == HandshakeKind::Full), "first visits are full handshakes");
    let second = round(clients).await;
    let resumed = second.iter().filter(|k| **k == HandshakeKind::Resumed).count();
    assert!(resumed >= 570, "{resumed} of 600 returning clients resumed their TLS session");
}

/// A session ticket from gateway A resumes on gateway B when both have the same store keys (as instances behind one
/// load balancer sharing a store do); on gateway C, with other keys, the same client gets a full handshake that
/// works.
#[tokio::test(flavor = "multi_thread")]
async fn a_ticket_from_one_gateway_resumes_on_another_with_the_same_keys() {
    let clock = ManualClock::new();
    let secrets = Arc::new(portvakt::store::seal::Secrets::generate());
    let shared = || Opts {
        stores: Some((portvakt::store::memory::MemoryStore::stores(clock.clone()), secrets.clone())),
        clock: Some(clock.clone()),
        ..Opts::default()
    };
    let a = Env::start(shared());
    let b = Env::start(shared());
    let c = Env::start(Opts::default());
    let roots = roots(&[&a, &b, &c]);

    let client = browser(&roots);
    assert_eq!(visit(&client, a.https).await, HandshakeKind::Full);
    assert_eq!(visit(&client, b.https).await, HandshakeKind::Resumed, "B resumes A's session");
    assert_eq!(visit(&client, a.https).await, HandshakeKind::Resumed, "A resumes B's session");

    let other = browser(&roots);
    assert_eq!(visit(&other, a.https).await, HandshakeKind::Full);
    assert_eq!(visit(&other, c.https).await, HandshakeKind::Full, "C, with other keys, cannot read A's ticket");
}

/// Tickets live `session_ticket_lifetime` (24 h by default), whatever the key rotation in between: a ticket issued
/// an hour before the key changes still resumes two hours later, under the next key; the same client 25 hours after
/// its ticket was issued gets a full handshake, which works, and then resumes again.
#[tokio::test(flavor = "multi_thread")]
async fn tickets_resume_across_a_key_rotation_until_their_lifetime_ends() {
    let env = Env::start(Opts::default());
    let day = 24 * 3600 * 1000;
    // One hour before a key period (one lifetime, aligned to the Unix epoch) ends.
    let now = env.clock.now().0;
    env.clock.set(ClockInstant((now / day + 1) * day - 3600 * 1000));
    let roots = roots(&[&env]);
    let client = browser(&roots);
    assert_eq!(visit(&client, env.https).await, HandshakeKind::Full);
    env.clock.advance(Duration::from_secs(2 * 3600));
    assert_eq!(visit(&client, env.https).await, HandshakeKind::Resumed, "under the next period's key");

    let late = browser(&roots);
    assert_eq!(visit(&late, env.https).await, HandshakeKind::Full);
    env.clock.advance(Duration::from_secs(25 * 3600));
    assert_eq!(visit(&late, env.https).await, HandshakeKind::Full, "a ticket past its lifetime is not taken");
    assert_eq!(visit(&late, env.https).await, HandshakeKind::Resumed, "the new ticket is");
}
