//! The floor of `bench/run`: pingora's HTTP proxy with nothing of Portvakt in it, so the table can show what the proxy
//! core costs by itself and what Portvakt's filters add on top. Every request goes to one upstream, given as a
//! resolved address; no filters, no logging. What it shares with the gateway is what the gateway takes from pingora
//! and its own runtime settings: threads, the no-steal runtime, per-thread upstream pools, the allocator, and HTTP/1
//! heads read without their names' case (`[forwarding] preserve_header_case` off, the gateway's default).
//!
//! Usage: `bare_proxy LISTEN UPSTREAM [THREADS] [WORK_STEALING]` (defaults `127.0.0.1:19104`, `127.0.0.1:19100`, 2,
//! `false`: the gateway's settings in `bench/run`). Both addresses must be loopback. The pid file and upgrade socket
//! pingora insists on go to `$TMPDIR`. Stop it with SIGINT.

use async_trait::async_trait;
use pingora::prelude::*;
use pingora::server::configuration::ServerConf;
use std::net::SocketAddr;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The whole proxy: one upstream, plain HTTP, pooled keep-alive connections.
struct Bare {
    upstream: SocketAddr,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        let mut peer = HttpPeer::new(self.upstream, false, String::new());
        peer.group_key = portvakt::gateway::upstream::pool_key();
        peer.options.h1_discard_header_case = true;
        Ok(Box::new(peer))
    }
}

fn loopback(arg: Option<String>, default: &str) -> SocketAddr {
    let addr: SocketAddr = arg.as_deref().unwrap_or(default).parse().unwrap_or_else(|e| {
        eprintln!("bare_proxy: bad address: {e}");
        std::process::exit(2)
    });
    if !addr.ip().is_loopback() {
        eprintln!("bare_proxy: {addr} is not a loopback address");
        std::process::exit(2)
    }
    addr
}

fn main() {
    let mut args = std::env::args().skip(1);
    let listen = loopback(args.next(), "127.0.0.1:19104");
    let upstream = loopback(args.next(), "127.0.0.1:19100");
    let threads = args.next().and_then(|t| t.parse().ok()).unwrap_or(2);
    let work_stealing = args.next().is_some_and(|w| w == "true");
    let tmp = std::env::temp_dir();
    let conf = ServerConf {
        threads,
        work_stealing,
        grace_period_seconds: Some(0),
        graceful_shutdown_timeout_seconds: Some(1),
        pid_file: tmp.join(format!("bare_proxy-{}.pid", listen.port())).display().to_string(),
        upgrade_sock: tmp.join(format!("bare_proxy-{}.sock", listen.port())).display().to_string(),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    let mut svc = http_proxy_service(&server.configuration, Bare { upstream });
    if let Some(proxy) = svc.app_logic_mut() {
        let mut options = pingora::apps::HttpServerOptions::default();
        options.h1_discard_header_case = true;
        proxy.server_options = Some(options);
    }
    svc.add_tcp(&listen.to_string());
    server.add_service(svc);
    server.run_forever();
}
