//! The `[server]` section (process settings, size caps, connection limits) and `[[listeners]]`: their file format,
//! settings and validation (composed by [`crate::config`]). Below `config` in the layers, like [`crate::admin::config`],
//! while the server that uses them sits above it.

use crate::config::check::{normalize_host, Checker};
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;
use toml::Spanned;

/// `[server]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileServer {
    /// Worker threads per listener.
    pub threads: Option<usize>,
    /// Public base URL of the portal, e.g. "https://portal.kommune.no".
    pub public_url: Option<Spanned<String>>,
    /// Extra host names that belong to the gateway (valid `rd` targets).
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    /// How long to keep serving after SIGTERM.
    pub grace_period: Option<ConfigDuration>,
    /// How long to wait for runtimes to stop after the grace period.
    pub graceful_shutdown_timeout: Option<ConfigDuration>,
    /// Pid file path.
    pub pid_file: Option<String>,
    /// Socket used for zero-downtime upgrades.
    pub upgrade_socket: Option<String>,
    /// Largest accepted request header block in bytes.
    pub max_header_bytes: Option<Spanned<usize>>,
    /// Largest accepted form body to the gateway's own pages, in bytes.
    pub max_form_bytes: Option<Spanned<usize>>,
    /// Log format: "text" or "json".
    pub log_format: Option<Spanned<String>>,
    /// URL of the password help page.
    pub password_help_url: Option<String>,
    /// Time from a request head's first bytes (or a new connection) to its end.
    pub request_head_timeout: Option<Spanned<ConfigDuration>>,
    /// Idle wait for the next request on a kept-alive connection.
    pub keepalive_timeout: Option<Spanned<ConfigDuration>>,
    /// Concurrent client connections in total.
    pub max_connections: Option<Spanned<usize>>,
    /// Concurrent client connections per client address (IPv6: per /64).
    pub max_connections_per_client: Option<Spanned<usize>>,
    /// Concurrent streams per HTTP/2 connection.
    pub http2_max_concurrent_streams: Option<Spanned<u32>>,
}

/// Process and HTTP settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Worker threads per listener.
    pub threads: usize,
    /// Portal base URL (scheme, host, optional port), without a trailing slash.
    pub public_url: Option<url::Url>,
    /// Host names (lower case, no port) that belong to the gateway.
    pub hosts: Vec<String>,
    /// Serving time after SIGTERM.
    pub grace_period: Duration,
    /// Runtime stop timeout after the grace period.
    pub graceful_shutdown_timeout: Duration,
    /// Pid file.
    pub pid_file: String,
    /// Upgrade socket.
    pub upgrade_socket: String,
    /// Largest request header block accepted.
    pub max_header_bytes: usize,
    /// Largest form body accepted on gateway pages.
    pub max_form_bytes: usize,
    /// Emit JSON logs instead of text.
    pub log_json: bool,
    /// Link to the password help page.
    pub password_help_url: Option<String>,
    /// Connection limits: deadlines, caps and HTTP/2 limits.
    pub limits: crate::edge::EdgeLimits,
}

/// `[server]`: an http(s) public URL with a host, host names, header and form size caps in range, the log format
/// and the connection limits ([`edge_limits`]).
pub fn validate(c: &mut Checker<'_>, s: &FileServer) -> ServerSettings {
    let public_url = s.public_url.as_ref().and_then(|u| match url::Url::parse(u.get_ref()) {
        Ok(url) if (url.scheme() == "https" || url.scheme() == "http") && url.host_str().is_some() => Some(url),
        Ok(_) => {
            c.err(u, "public_url must be an http:// or https:// URL with a host");
            None
        }
        Err(e) => {
            c.err(u, format!("public_url is not a valid URL: {e}"));
            None
        }
    });
    let mut hosts: Vec<String> = Vec::new();
    if let Some(h) = public_url.as_ref().and_then(|u| u.host_str()) {
        hosts.push(h.to_ascii_lowercase());
    }
    for h in &s.hosts {
        match normalize_host(h.get_ref()) {
            Some(n) => hosts.push(n),
            None => c.err(h, format!("\"{}\" is not a valid host name", h.get_ref())),
        }
    }
    let max_header_bytes = match &s.max_header_bytes {
        Some(v) if *v.get_ref() < 1024 || *v.get_ref() > 1_048_576 => {
            c.err(v, "max_header_bytes must be between 1024 and 1048576");
            32 * 1024
        }
        Some(v) => *v.get_ref(),
        None => 32 * 1024,
    };
    let max_form_bytes = match &s.max_form_bytes {
        Some(v) if *v.get_ref() < 256 || *v.get_ref() > 1_048_576 => {
            c.err(v, "max_form_bytes must be between 256 and 1048576");
            16 * 1024
        }
        Some(v) => *v.get_ref(),
        None => 16 * 1024,
    };
    let log_json = match &s.log_format {
        None => false,
        Some(f) => match f.get_ref().as_str() {
            "text" => false,
            "json" => true,
            _ => {
                c.err(f, "log_format must be \"text\" or \"json\"");
                false
            }
        },
    };
    let limits = edge_limits(c, s, max_header_bytes);
    ServerSettings {
        threads: s.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)),
        public_url,
        hosts,
        grace_period: s.grace_period.map(|d| d.0).unwrap_or(Duration::from_secs(10)),
        graceful_shutdown_timeout: s.graceful_shutdown_timeout.map(|d| d.0).unwrap_or(Duration::from_secs(5)),
        pid_file: s.pid_file.clone().unwrap_or_else(|| "/run/portvakt/portvakt.pid".into()),
        upgrade_socket: s.upgrade_socket.clone().unwrap_or_else(|| "/run/portvakt/upgrade.sock".into()),
        max_header_bytes,
        max_form_bytes,
        log_json,
        password_help_url: s.password_help_url.clone(),
        limits,
    }
}

/// The `[server]` keys of [`crate::edge::EdgeLimits`], each checked against its range.
pub fn edge_limits(c: &mut Checker<'_>, s: &FileServer, max_header_bytes: usize) -> crate::edge::EdgeLimits {
    let d = crate::edge::EdgeLimits::default();
    let mut duration = |v: &Option<Spanned<ConfigDuration>>, name: &str, default: Duration, max: Duration| match v {
        Some(t) if t.get_ref().0 < Duration::from_secs(1) || t.get_ref().0 > max => {
            c.err(t, format!("{name} must be between \"1s\" and \"{}\"", humantime::format_duration(max)));
            default
        }
        Some(t) => t.get_ref().0,
        None => default,
    };
    let request_head_timeout =
        duration(&s.request_head_timeout, "request_head_timeout", d.request_head_timeout, Duration::from_secs(300));
    let keepalive_timeout =
        duration(&s.keepalive_timeout, "keepalive_timeout", d.keepalive_timeout, Duration::from_secs(3600));
    let max_connections = match &s.max_connections {
        Some(v) if *v.get_ref() == 0 || *v.get_ref() > 1_000_000 => {
            c.err(v, "max_connections must be between 1 and 1000000");
            d.max_connections
        }
        Some(v) => *v.get_ref(),
        None => d.max_connections,
    };
    let max_connections_per_client = match &s.max_connections_per_client {
        Some(v) if *v.get_ref() == 0 || *v.get_ref() > max_connections => {
            c.err(v, format!("max_connections_per_client must be between 1 and max_connections ({max_connections})"));
            d.max_connections_per_client.min(max_connections)
        }
        Some(v) => *v.get_ref(),
        None => d.max_connections_per_client.min(max_connections),
    };
    let http2_max_concurrent_streams = match &s.http2_max_concurrent_streams {
        Some(v) if *v.get_ref() == 0 || *v.get_ref() > 1000 => {
            c.err(v, "http2_max_concurrent_streams must be between 1 and 1000");
            d.http2_max_concurrent_streams
        }
        Some(v) => *v.get_ref(),
        None => d.http2_max_concurrent_streams,
    };
    crate::edge::EdgeLimits {
        request_head_timeout,
        keepalive_timeout,
        max_connections,
        max_connections_per_client,
        http2_max_concurrent_streams,
        http2_max_header_list_size: u32::try_from(max_header_bytes).unwrap_or(u32::MAX),
    }
}

/// One `[[listeners]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileListener {
    /// "ip:port".
    pub address: Spanned<String>,
    /// Terminate TLS here (needs `[tls]`).
    #[serde(default)]
    pub tls: bool,
    /// For plain listeners: redirect to HTTPS (default) or serve plain HTTP.
    pub redirect_to_https: Option<bool>,
    /// For plain listeners behind a TLS-terminating load balancer: treat requests as HTTPS.
    #[serde(default)]
    pub behind_tls_proxy: bool,
    /// Every request on this listener counts as coming from this zone.
    pub zone: Option<Spanned<String>>,
}

/// A listening socket.
#[derive(Debug, Clone)]
pub struct ListenerSettings {
    /// Bound address.
    pub address: SocketAddr,
    /// Terminates TLS.
    pub tls: bool,
    /// Plain listener that only redirects to HTTPS.
    pub redirect_to_https: bool,
    /// Requests count as HTTPS (TLS terminated in front of us).
    pub behind_tls_proxy: bool,
    /// Zone every request here is classified as.
    pub pinned_zone: Option<String>,
}

impl ListenerSettings {
    /// Whether the browser sees this listener over HTTPS.
    pub fn is_https(&self) -> bool {
        self.tls || self.behind_tls_proxy
    }
}

/// `[[listeners]]`: at least one, each an `ip:port` given once, TLS only with a valid `[tls]`, a pinned zone that
/// exists, and a plain listener that redirects to HTTPS only where some listener serves it.
pub fn listeners(
    c: &mut Checker<'_>,
    ls: &[FileListener],
    zones: &HashSet<String>,
    have_tls: bool,
) -> Vec<ListenerSettings> {
    if ls.is_empty() {
        c.err_nopos("no [[listeners]] configured: add at least one, e.g. address = \"0.0.0.0:443\", tls = true");
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for l in ls {
        let address = match l.address.get_ref().parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                c.err(
                    &l.address,
                    format!(
                        "\"{}\" is not an ip:port address (e.g. \"0.0.0.0:443\" or \"[::]:443\")",
                        l.address.get_ref()
                    ),
                );
                continue;
            }
        };
        if !seen.insert(address) {
            c.err(&l.address, format!("listener {address} is configured twice"));
        }
        if l.tls && !have_tls {
            c.err(&l.address, "this listener has tls = true but there is no valid [tls] section with cert and key");
        }
        if let Some(z) = &l.zone {
            if !zones.contains(z.get_ref()) {
                c.err(z, format!("unknown zone \"{}\": define it under [[zones]] or use \"remote\"", z.get_ref()));
            }
        }
        let redirect_to_https = !l.tls && l.redirect_to_https.unwrap_or(!l.behind_tls_proxy);
        if redirect_to_https && !have_tls && l.redirect_to_https.is_none() {
            c.err(&l.address, "a plain listener redirects to HTTPS by default, but no TLS listener exists: set redirect_to_https = false to serve plain HTTP");
        }
        out.push(ListenerSettings {
            address,
            tls: l.tls,
            redirect_to_https,
            behind_tls_proxy: l.behind_tls_proxy,
            pinned_zone: l.zone.as_ref().map(|z| z.get_ref().clone()),
        });
    }
    out
}
