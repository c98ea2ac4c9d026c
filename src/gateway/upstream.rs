//! Backend addresses: literal IPs are used as they are; host names are resolved with hickory in the background,
//! never with blocking DNS on a request path.

use crate::protected::UpstreamAddr;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use hickory_resolver::config::{ResolverConfig, GOOGLE};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::TokioResolver;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The keep-alive pool (pingora's `HttpPeer::group_key`) a request's backend connection comes from: one per worker
/// thread, as nginx keeps one per worker. With one pool for all threads, a connection released on one thread and
/// taken on another must be handed over between them (its idle watch is a task on the releasing thread, see
/// vendor/pingora-core/PATCH.md), a cross-thread wake-up and wait on every proxied request.
pub fn pool_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    thread_local!(static KEY: u64 = NEXT.fetch_add(1, Ordering::Relaxed));
    KEY.with(|k| *k)
}

/// One service's backends, picked round-robin.
#[derive(Debug)]
pub struct Upstreams {
    configured: Vec<UpstreamAddr>,
    resolved: ArcSwap<Vec<SocketAddr>>,
    /// Each worker thread's round-robin position: a request writes no counter the other threads write
    /// (docs/BENCHMARKS.md, session 12, finding 58). Threads start at different positions.
    next: thread_local::ThreadLocal<std::cell::Cell<usize>>,
}

impl Upstreams {
    /// Backends from config; literal addresses are usable at once.
    pub fn new(configured: Vec<UpstreamAddr>) -> Upstreams {
        let literal: Vec<SocketAddr> = configured
            .iter()
            .filter_map(|a| match a {
                UpstreamAddr::Ip(sa) => Some(*sa),
                UpstreamAddr::Name(..) => None,
            })
            .collect();
        Upstreams { configured, resolved: ArcSwap::from_pointee(literal), next: thread_local::ThreadLocal::new() }
    }

    /// Whether any backend is a host name.
    pub fn needs_dns(&self) -> bool {
        self.configured.iter().any(|a| matches!(a, UpstreamAddr::Name(..)))
    }

    /// How many addresses are currently known.
    pub fn len(&self) -> usize {
        self.resolved.load().len()
    }

    /// Whether no address is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The backend for a request's `attempt`-th try: round-robin start, then the following ones on retry.
    pub fn pick(&self, first: &mut Option<usize>, attempt: usize) -> Option<SocketAddr> {
        let list = self.resolved.load();
        if list.is_empty() {
            return None;
        }
        let start = *first.get_or_insert_with(|| {
            let next = self.next.get_or(|| std::cell::Cell::new(usize::try_from(pool_key()).unwrap_or(0)));
            next.replace(next.get().wrapping_add(1))
        });
        list.get(start.wrapping_add(attempt) % list.len()).copied()
    }

    async fn refresh(&self, resolver: &TokioResolver) {
        let mut out = Vec::new();
        for a in &self.configured {
            match a {
                UpstreamAddr::Ip(sa) => out.push(*sa),
                UpstreamAddr::Name(host, port) => match resolver.lookup_ip(host.as_str()).await {
                    Ok(ips) => out.extend(ips.iter().map(|ip| SocketAddr::new(ip, *port))),
                    Err(e) => {
                        tracing::warn!(upstream = %host, error = %e, "cannot resolve backend host name")
                    }
                },
            }
        }
        if !out.is_empty() {
            self.resolved.store(Arc::new(out));
        }
    }
}

/// Re-resolves backend host names every `interval` until shutdown.
#[derive(Debug)]
pub struct DnsRefresher {
    /// Backends to keep resolved.
    pub upstreams: Vec<Arc<Upstreams>>,
    /// Time between refreshes.
    pub interval: Duration,
}

#[async_trait]
impl BackgroundService for DnsRefresher {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let targets: Vec<_> = self.upstreams.iter().filter(|u| u.needs_dns()).cloned().collect();
        if targets.is_empty() {
            return;
        }
        let Some(resolver) = system_resolver() else {
            return;
        };
        loop {
            for u in &targets {
                u.refresh(&resolver).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

/// The resolver from /etc/resolv.conf; without a usable one, the public resolvers hickory 0.24 defaulted to.
fn system_resolver() -> Option<TokioResolver> {
    let builder = match TokioResolver::builder_tokio() {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "no usable /etc/resolv.conf; using default resolver settings");
            TokioResolver::builder_with_config(ResolverConfig::udp_and_tcp(&GOOGLE), TokioRuntimeProvider::default())
        }
    };
    match builder.build() {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the DNS resolver; backend host names are not resolved");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A thread keeps its pool key; another thread gets another.
    #[test]
    fn pool_key_is_per_thread() {
        let here = pool_key();
        assert_eq!(here, pool_key());
        let there = std::thread::spawn(pool_key).join().unwrap();
        assert_ne!(here, there);
    }

    /// Round-robin spreads first tries (each thread goes round by itself); a retry moves to the next backend.
    #[test]
    fn round_robin_and_retry() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2".parse().unwrap();
        let u = Upstreams::new(vec![UpstreamAddr::Ip(a), UpstreamAddr::Ip(b)]);
        let mut f1 = None;
        let mut f2 = None;
        let p1 = u.pick(&mut f1, 0).unwrap();
        let p2 = u.pick(&mut f2, 0).unwrap();
        assert_ne!(p1, p2);
        assert_eq!(u.pick(&mut f1, 1), Some(p2));
        let none = Upstreams::new(vec![UpstreamAddr::Name("x.invalid".into(), 80)]);
        assert!(none.needs_dns());
        assert_eq!(none.pick(&mut None, 0), None);
    }

    /// A backend named by host name is resolved by the hickory resolver the gateway starts (localhost, answered
    /// locally as RFC 6761 asks), keeping its port; a name that cannot resolve leaves the list empty.
    #[tokio::test]
    async fn host_names_resolve_through_the_system_resolver() {
        let resolver = system_resolver().expect("resolver starts");
        let u = Upstreams::new(vec![UpstreamAddr::Name("localhost".into(), 8081)]);
        assert_eq!(u.pick(&mut None, 0), None);
        u.refresh(&resolver).await;
        let got = u.pick(&mut None, 0).expect("localhost resolved");
        assert!(got.ip().is_loopback(), "{got}");
        assert_eq!(got.port(), 8081);
    }
}
