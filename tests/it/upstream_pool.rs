//! pingora's keep-alive pool of backend connections as the gateway uses it (the vendored `TransportConnector` over
//! real loopback sockets): what a pooled request costs, counted rather than timed, and that idle connections are
//! still closed when they expire or break (vendor/pingora-core/PATCH.md, section 7).

use pingora_core::connectors::TransportConnector;
use pingora_core::protocols::Stream;
use pingora_core::upstreams::peer::{HttpPeer, Peer};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// A backend that accepts connections and says nothing: the test holds its side of each one.
async fn backend() -> (TcpListener, HttpPeer) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let peer = HttpPeer::new(listener.local_addr().unwrap(), false, String::new());
    (listener, peer)
}

/// Takes a connection from `connector` (pooled or new); a new one is accepted by `listener` and its server side kept
/// in `accepted`.
async fn take(
    connector: &TransportConnector,
    peer: &HttpPeer,
    listener: &TcpListener,
    accepted: &mut Vec<TcpStream>,
) -> (Stream, bool) {
    let (stream, reused) = connector.get_stream(peer).await.unwrap();
    if !reused {
        let (server_side, _) = tokio::time::timeout(Duration::from_secs(5), listener.accept()).await.unwrap().unwrap();
        accepted.push(server_side);
    }
    (stream, reused)
}

/// Releasing a backend connection to the pool spawns no task: with 8 connections idle at once, 25 rounds of taking
/// and releasing all of them leave at most one task alive on the runtime (the pool's one sweep), where pingora 0.9.1
/// spawned an idle-watch task per release (8 alive after each round); every round after the first reuses all 8.
#[tokio::test(flavor = "current_thread")]
async fn pooled_connections_spawn_no_task_per_release() {
    let (listener, peer) = backend().await;
    let connector = TransportConnector::new(None);
    let metrics = tokio::runtime::Handle::current().metrics();
    let mut accepted = Vec::new();
    let mut alive_after_release = Vec::new();
    for round in 0..25 {
        let mut held = Vec::new();
        for _ in 0..8 {
            let (stream, reused) = take(&connector, &peer, &listener, &mut accepted).await;
            assert_eq!(reused, round > 0, "round {round}: a connection was {}reused", if reused { "" } else { "not " });
            held.push(stream);
        }
        for stream in held {
            connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_secs(60)));
        }
        tokio::task::yield_now().await;
        alive_after_release.push(metrics.num_alive_tasks());
    }
    assert_eq!(accepted.len(), 8, "the backend should see 8 connections in all");
    assert!(
        alive_after_release.iter().all(|&n| n <= 1),
        "tasks alive after releasing 8 connections, per round: {alive_after_release:?}"
    );
}

/// A pooled connection idle past its timeout is closed (the backend sees it end) and never handed out again.
#[tokio::test(flavor = "current_thread")]
async fn an_idle_connection_is_closed_at_its_timeout() {
    let (listener, peer) = backend().await;
    let connector = TransportConnector::new(None);
    let mut accepted = Vec::new();
    let (stream, _) = take(&connector, &peer, &listener, &mut accepted).await;
    connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_millis(300)));
    let begun = std::time::Instant::now();
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), accepted[0].read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0))), "the idle connection was not closed within 5 s: {read:?}");
    let waited = begun.elapsed();
    assert!(waited >= Duration::from_millis(250), "closed before its idle timeout, after {waited:?}");
    assert!(waited < Duration::from_millis(1500), "closed {waited:?} after release, timeout 300 ms");
    let (_, reused) = take(&connector, &peer, &listener, &mut accepted).await;
    assert!(!reused, "an expired connection was handed out again");
}

/// A connection that stays idle in the pool is reused before its timeout, and one that expired while the pool's
/// sweep had not yet run is not: a request checks the timeout itself when it takes a connection.
#[tokio::test(flavor = "current_thread")]
async fn an_expired_connection_is_not_reused_even_before_the_sweep() {
    let (listener, peer) = backend().await;
    let connector = TransportConnector::new(None);
    let mut accepted = Vec::new();
    let (stream, _) = take(&connector, &peer, &listener, &mut accepted).await;
    connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_millis(200)));
    let (stream, reused) = take(&connector, &peer, &listener, &mut accepted).await;
    assert!(reused, "a connection idle for less than its timeout should be reused");
    connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_millis(200)));
    // Blocks the (only) runtime thread, so the sweep cannot run before the next take.
    std::thread::sleep(Duration::from_millis(300));
    let (_, reused) = take(&connector, &peer, &listener, &mut accepted).await;
    assert!(!reused, "a connection idle past its timeout was handed out");
    assert_eq!(accepted.len(), 2);
}

/// A connection the backend closed while it sat in the pool is not handed out, and the pool closes its own end
/// (within the sweep's second): no socket is left half-closed.
#[tokio::test(flavor = "current_thread")]
async fn a_connection_the_backend_closed_is_dropped_from_the_pool() {
    let (listener, peer) = backend().await;
    let connector = TransportConnector::new(None);
    let mut accepted = Vec::new();
    let (stream, _) = take(&connector, &peer, &listener, &mut accepted).await;
    let local = stream.get_socket_digest().and_then(|d| d.local_addr().cloned());
    connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_secs(60)));
    drop(accepted.pop());
    let local = local.expect("a TCP connection knows its local address").as_inet().copied().unwrap();
    // The kernel shows our end as CLOSE-WAIT until the pool closes it.
    let begun = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let ss = std::process::Command::new("ss").args(["-Htn", "state", "close-wait"]).output().unwrap();
        let ss = String::from_utf8_lossy(&ss.stdout);
        if !ss.contains(&local.to_string()) {
            break;
        }
        assert!(begun.elapsed() < Duration::from_secs(3), "our end of {local} still open (CLOSE-WAIT) after 3 s");
    }
    let (_, reused) = take(&connector, &peer, &listener, &mut accepted).await;
    assert!(!reused, "a connection the backend closed was handed out");
}
