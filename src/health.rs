//! Liveness for systemd: the watchdog. When the unit sets `WatchdogSec=`, systemd passes `WATCHDOG_USEC` and
//! expects `WATCHDOG=1` at least that often, or it restarts the service. The ping is sent only after the gateway
//! answered its own `GET /.portvakt/healthz` on a plain listener over loopback within half the interval, so a wedged
//! proxy runtime (or a full accept queue) stops the pings and systemd restarts the process. Without a plain
//! listener the ping proves only that the runtime's timers run.
//!
//! `/.portvakt/healthz` and `/.portvakt/readyz` themselves are answered by the gateway (and on the admin listener).

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The systemd watchdog as a background service; idle when systemd asks for no watchdog.
#[derive(Debug)]
pub struct Watchdog {
    /// Where the gateway's own health check is asked, if there is a plain listener.
    probe: Option<SocketAddr>,
}

impl Watchdog {
    /// A watchdog probing the first plain listener (wildcard addresses are probed on loopback).
    pub fn new(listeners: &[crate::config::ListenerSettings]) -> Watchdog {
        let probe = listeners.iter().find(|l| !l.tls).map(|l| {
            let mut a = l.address;
            if a.ip().is_unspecified() {
                a.set_ip(match a {
                    SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            a
        });
        Watchdog { probe }
    }
}

/// The watchdog interval systemd asked for: `WATCHDOG_USEC`, when `WATCHDOG_PID` is unset or names this process.
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    match std::env::var("WATCHDOG_PID") {
        Ok(pid) if pid.parse::<u32>().ok() != Some(std::process::id()) => None,
        _ => (usec > 0).then(|| Duration::from_micros(usec)),
    }
}

/// Asks `GET /.portvakt/healthz` over HTTP/1.1 and reads the status line.
async fn healthz(addr: SocketAddr) -> std::io::Result<bool> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(b"GET /.portvakt/healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
    let mut buf = [0u8; 64];
    let mut n = 0;
    while n < 12 {
        let m = s.read(buf.get_mut(n..).unwrap_or_default()).await?;
        if m == 0 {
            break;
        }
        n += m;
    }
    Ok(buf.get(..12) == Some(b"HTTP/1.1 200".as_slice()))
}

#[async_trait]
impl BackgroundService for Watchdog {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let Some(interval) = watchdog_interval() else { return };
        // Twice per interval, as sd_watchdog_enabled(3) recommends.
        let every = interval / 2;
        tracing::info!(interval_ms = interval.as_millis() as u64, "systemd watchdog enabled");
        loop {
            let alive = match self.probe {
                Some(addr) => match tokio::time::timeout(every, healthz(addr)).await {
                    Ok(Ok(true)) => true,
                    Ok(Ok(false)) | Ok(Err(_)) | Err(_) => {
                        tracing::warn!(%addr, "watchdog: the gateway did not answer its health check; no ping");
                        false
                    }
                },
                None => true,
            };
            if alive {
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
