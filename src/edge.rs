//! Connection-level defences in front of the HTTP proxy: caps on concurrent connections (per client address and in
//! total), the TLS handshake under a deadline, the HTTP/1 request head and keep-alive deadlines, and the HTTP/2
//! limits.
//!
//! [`Edge`] wraps pingora's HTTP proxy as the application of each listening service. Listeners accept plain TCP;
//! `Edge` counts the connection, refuses it at once when a cap is reached (closed before any byte is read or
//! written: no TLS handshake, no queue), performs the TLS handshake itself and hands the stream to the proxy. The
//! connection keeps its place in the count until the proxy is done with it. The request head deadline and the
//! keep-alive timeout are enforced by pingora-core through `HttpServerOptions` (vendor/pingora-core/PATCH.md, 3).

use async_trait::async_trait;
use pingora_core::apps::{HttpServerOptions, ServerApp};
use pingora_core::listeners::tls::Acceptor;
use pingora_core::protocols::http::v2::server::{default_h2_options, H2Options};
use pingora_core::protocols::l4::stream::Stream as L4Stream;
use pingora_core::protocols::Stream;
use pingora_core::server::ShutdownWatch;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connection limits from `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeLimits {
    /// Time from a request head's first bytes to its end (and for a new connection's TLS handshake and first
    /// request to begin); past it, HTTP/1 gets 408 and the connection is closed.
    pub request_head_timeout: Duration,
    /// Idle wait for the next request on a kept-alive connection (HTTP/1), and for an HTTP/2 connection without
    /// open streams.
    pub keepalive_timeout: Duration,
    /// Concurrent client connections in total.
    pub max_connections: usize,
    /// Concurrent client connections per TCP peer address (IPv6: per /64).
    pub max_connections_per_client: usize,
    /// Concurrent streams per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS).
    pub http2_max_concurrent_streams: u32,
    /// Largest HTTP/2 header list (SETTINGS_MAX_HEADER_LIST_SIZE), from `max_header_bytes`.
    pub http2_max_header_list_size: u32,
}

impl Default for EdgeLimits {
    fn default() -> Self {
        EdgeLimits {
            request_head_timeout: Duration::from_secs(10),
            keepalive_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_connections_per_client: 256,
            http2_max_concurrent_streams: 100,
            http2_max_header_list_size: 32 * 1024,
        }
    }
}

/// Streams a client may reset before the gateway accepted them, per connection, before it is sent GOAWAY
/// (ENHANCE_YOUR_CALM): the HTTP/2 rapid reset attack (CVE-2023-44487). h2's default, set explicitly.
pub const HTTP2_MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;

/// Streams the gateway may reset because of client protocol errors, per connection, before GOAWAY: bounds the
/// work a client can cause by provoking resets (h2's default, set explicitly).
pub const HTTP2_MAX_LOCAL_ERROR_RESET_STREAMS: usize = 1024;

impl EdgeLimits {
    /// pingora's HTTP server options for these limits: the HTTP/1 head deadline and keep-alive timeout, and the
    /// HTTP/2 idle timeout.
    pub fn server_options(&self) -> HttpServerOptions {
        let mut o = HttpServerOptions::default();
        o.h1_request_head_timeout = Some(self.request_head_timeout);
        o.h1_keepalive_timeout = Some(self.keepalive_timeout);
        o.h2_idle_timeout = Some(self.keepalive_timeout);
        o
    }

    /// The HTTP/2 server settings. h2 itself bounds CONTINUATION floods (a header block may not span more frames
    /// than its size limit needs) and answers a header list above the limit with 431 or a reset.
    pub fn h2_options(&self) -> H2Options {
        let mut o = default_h2_options();
        o.max_concurrent_streams(self.http2_max_concurrent_streams);
        o.max_header_list_size(self.http2_max_header_list_size);
        o.max_pending_accept_reset_streams(HTTP2_MAX_PENDING_ACCEPT_RESET_STREAMS);
        o.max_local_error_reset_streams(Some(HTTP2_MAX_LOCAL_ERROR_RESET_STREAMS));
        o
    }
}

/// What the per-client count is kept by: an IPv4 address, or the /64 an IPv6 address is in (one host or home
/// network usually holds a whole /64). IPv4-mapped IPv6 addresses count as their IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// One IPv4 address.
    V4(u32),
    /// The upper 64 bits of an IPv6 address.
    V6(u64),
}

impl ClientKey {
    /// The key for a peer address.
    pub fn of(ip: IpAddr) -> ClientKey {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => ClientKey::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientKey::V4(a) => write!(f, "{}", std::net::Ipv4Addr::from(*a)),
            ClientKey::V6(p) => write!(f, "{}/64", std::net::Ipv6Addr::from(u128::from(*p) << 64)),
        }
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `max_connections` connections are open.
    Total(usize),
    /// `max_connections_per_client` connections from this client are open.
    PerClient(ClientKey, usize),
}

/// How often at most a refused connection is logged; the refusals in between are counted in the next line.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Counts open client connections, per client and in total, across all listeners.
#[derive(Debug)]
pub struct ConnectionCounter {
    max_total: usize,
    max_per_client: usize,
    total: AtomicUsize,
    // A std mutex held for one map update, never across an await.
    per_client: Mutex<HashMap<ClientKey, usize>>,
    refusals: Mutex<RefusalLog>,
}

#[derive(Debug, Default)]
struct RefusalLog {
    last: Option<Instant>,
    unlogged: u64,
}

/// A connection's place in the count, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    counter: Arc<ConnectionCounter>,
    key: Option<ClientKey>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.counter.total.fetch_sub(1, Ordering::AcqRel);
        if let Some(key) = self.key {
            let mut map = self.counter.per_client.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = map.get_mut(&key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
    }
}

impl ConnectionCounter {
    /// A counter enforcing these caps.
    pub fn new(limits: &EdgeLimits) -> Arc<ConnectionCounter> {
        Arc::new(ConnectionCounter {
            max_total: limits.max_connections,
            max_per_client: limits.max_connections_per_client,
            total: AtomicUsize::new(0),
            per_client: Mutex::new(HashMap::new()),
            refusals: Mutex::new(RefusalLog::default()),
        })
    }

    /// Takes a place for a new connection from `peer`, or says which cap refuses it.
    pub fn admit(self: &Arc<Self>, peer: Option<IpAddr>) -> Result<Slot, Refusal> {
        let total = self.total.fetch_add(1, Ordering::AcqRel);
        // From here on a dropped slot gives the place back, also on refusal.
        let mut slot = Slot { counter: self.clone(), key: None };
        if total >= self.max_total {
            return Err(Refusal::Total(self.max_total));
        }
        if let Some(key) = peer.map(ClientKey::of) {
            let mut map = self.per_client.lock().unwrap_or_else(|p| p.into_inner());
            let n = map.entry(key).or_insert(0);
            if *n >= self.max_per_client {
                return Err(Refusal::PerClient(key, self.max_per_client));
            }
            *n += 1;
            slot.key = Some(key);
        }
        Ok(slot)
    }

    /// Open connections in total.
    pub fn open(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }

    /// Logs a refusal: one warning line, at most every ten seconds, with the number refused since the last one.
    pub fn log_refusal(&self, refusal: Refusal, peer: Option<IpAddr>) {
        let now = Instant::now();
        let unlogged = {
            let mut log = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
            if log.last.is_some_and(|t| now.duration_since(t) < REFUSAL_LOG_INTERVAL) {
                log.unlogged += 1;
                return;
            }
            log.last = Some(now);
            std::mem::take(&mut log.unlogged)
        };
        let client = peer.map(|p| p.to_string()).unwrap_or_else(|| "unknown".into());
        match refusal {
            Refusal::Total(max) => tracing::warn!(
                client,
                max_connections = max,
                refused_since_last_line = unlogged,
                "connection refused: max_connections connections are open (this line is written at most every 10s)"
            ),
            Refusal::PerClient(key, max) => tracing::warn!(
                client,
                counted_as = %key,
                max_connections_per_client = max,
                refused_since_last_line = unlogged,
                "connection refused: this client address has max_connections_per_client connections open (this \
                 line is written at most every 10s)"
            ),
        }
    }
}

/// A listening service's application: connection caps and the TLS handshake in front of the HTTP proxy `A`.
pub struct Edge<A> {
    inner: Arc<A>,
    tls: Option<Acceptor>,
    counter: Arc<ConnectionCounter>,
    handshake_timeout: Duration,
}

impl<A> Edge<A> {
    /// Wraps `inner`; with `tls`, connections are TLS (handshake within `handshake_timeout`).
    pub fn new(inner: A, tls: Option<Acceptor>, counter: Arc<ConnectionCounter>, handshake_timeout: Duration) -> Self {
        Edge { inner: Arc::new(inner), tls, counter, handshake_timeout }
    }
}

fn peer_ip(stream: &Stream) -> Option<IpAddr> {
    stream.get_socket_digest().and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip()))
}

#[async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for Edge<A> {
    async fn process_new(self: &Arc<Self>, stream: Stream, shutdown: &ShutdownWatch) -> Option<Stream> {
        let peer = peer_ip(&stream);
        let _slot = match self.counter.admit(peer) {
            Ok(slot) => slot,
            Err(refusal) => {
                // Dropping the stream closes the connection before anything is read or written.
                self.counter.log_refusal(refusal, peer);
                return None;
            }
        };
        let stream: Stream = match &self.tls {
            None => stream,
            Some(acceptor) => {
                let Ok(l4) = stream.into_any().downcast::<L4Stream>() else {
                    tracing::error!("a TLS listener accepted a connection that is not a TCP stream; closed");
                    return None;
                };
                match tokio::time::timeout(self.handshake_timeout, acceptor.tls_handshake(*l4)).await {
                    Ok(Ok(tls)) => Box::new(tls),
                    // A client that hangs up or speaks something else is routine: debug, not pingora's ERROR.
                    Ok(Err(e)) => {
                        tracing::debug!(client = ?peer, error = %e, "TLS handshake failed");
                        return None;
                    }
                    Err(_) => {
                        tracing::debug!(client = ?peer, timeout = ?self.handshake_timeout, "TLS handshake not done in time");
                        return None;
                    }
                }
            }
        };
        let mut next = ServerApp::process_new(&self.inner, stream, shutdown).await;
        while let Some(stream) = next {
            next = ServerApp::process_new(&self.inner, stream, shutdown).await;
        }
        None
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IPv6 addresses count per /64, IPv4-mapped ones as their IPv4 address.
    #[test]
    fn client_keys_group_ipv6_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ClientKey::of(a), ClientKey::of(b));
        assert_ne!(ClientKey::of(a), ClientKey::of(c));
        assert_eq!(ClientKey::of(a).to_string(), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ClientKey::of(mapped), ClientKey::of("192.0.2.7".parse().unwrap()));
    }

    /// The caps refuse the connection over them and give places back when connections end.
    #[test]
    fn caps_refuse_and_release() {
        let limits = EdgeLimits { max_connections: 3, max_connections_per_client: 2, ..EdgeLimits::default() };
        let c = ConnectionCounter::new(&limits);
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::2".parse().unwrap();
        let s1 = c.admit(Some(v6a)).unwrap();
        let _s2 = c.admit(Some(v6b)).unwrap();
        assert_eq!(c.admit(Some(v6a)).unwrap_err(), Refusal::PerClient(ClientKey::of(v6a), 2));
        let _s3 = c.admit(Some("127.0.0.1".parse().unwrap())).unwrap();
        assert_eq!(c.admit(Some("127.0.0.2".parse().unwrap())).unwrap_err(), Refusal::Total(3));
        assert_eq!(c.open(), 3, "refused connections leave no trace in the count");
        drop(s1);
        assert!(c.admit(Some(v6a)).is_ok(), "a closed connection gives its place back");
        assert_eq!(c.open(), 2);
    }
}
