//! The `[session]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::{normalize_host, valid_name, Checker};
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[session]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSession {
    /// Inactivity after which a session ends.
    pub idle_timeout: Option<Spanned<ConfigDuration>>,
    /// Time after login at which a session ends regardless of activity.
    pub absolute_lifetime: Option<Spanned<ConfigDuration>>,
    /// Longest gap between two rewrites of a busy session's last activity in the store.
    pub touch_interval: Option<Spanned<ConfigDuration>>,
    /// How long an instance may answer from its in-process copy of a session read from a shared store.
    pub cache_ttl: Option<Spanned<ConfigDuration>>,
    /// Base cookie name.
    pub cookie_name: Option<Spanned<String>>,
    /// Share the cookie across subdomains (then `__Secure-` instead of `__Host-`).
    pub cookie_domain: Option<Spanned<String>>,
    /// Where sessions live: "memory" (default).
    pub store: Option<Spanned<String>>,
}

/// Session settings.
#[derive(Debug, Clone)]
pub struct SessionSettings {
    /// Inactivity limit.
    pub idle_timeout: Duration,
    /// Lifetime limit.
    pub absolute_lifetime: Duration,
    /// Longest gap between two store writes of a busy session's last activity (at most a tenth of `idle_timeout`):
    /// a session ends between `idle_timeout - touch_interval` and `idle_timeout` after its last request.
    pub touch_interval: Duration,
    /// How long after reading a session from a shared store (SQLite, Redis) an instance may answer from its own
    /// copy (0: never): a session ended on another instance is refused here at most this long after; at most
    /// `touch_interval` (see [`crate::store::cache`]).
    pub cache_ttl: Duration,
    /// Base cookie name (prefixed with `__Host-`/`__Secure-` on HTTPS).
    pub cookie_name: String,
    /// Cookie domain for sharing across subdomains.
    pub cookie_domain: Option<String>,
}

/// `[session]`: idle timeout of at least a minute, a lifetime no shorter, a touch interval up to a tenth of the
/// idle timeout, a session cache window up to the touch interval, a cookie name and domain that a browser accepts.
pub fn validate(c: &mut Checker<'_>, s: &FileSession) -> SessionSettings {
    let idle = s.idle_timeout.as_ref().map(|d| (d.get_ref().0, d.span()));
    let abs = s.absolute_lifetime.as_ref().map(|d| (d.get_ref().0, d.span()));
    let idle_timeout = idle.as_ref().map(|d| d.0).unwrap_or(Duration::from_secs(15 * 60));
    let absolute_lifetime = abs.as_ref().map(|d| d.0).unwrap_or(Duration::from_secs(12 * 3600));
    if let Some(d) = &s.idle_timeout {
        if idle_timeout < Duration::from_secs(60) {
            c.err(d, "idle_timeout must be at least \"1m\"");
        }
    }
    if let Some(d) = &s.absolute_lifetime {
        if absolute_lifetime < idle_timeout {
            c.err(d, "absolute_lifetime must not be shorter than idle_timeout");
        }
    }
    let max_touch = idle_timeout / 10;
    let touch_interval = match &s.touch_interval {
        Some(d) if d.get_ref().0 < Duration::from_secs(1) || d.get_ref().0 > max_touch => {
            c.err(
                d,
                format!(
                    "touch_interval must be between \"1s\" and a tenth of idle_timeout ({}s here): a session \
                     may end up to touch_interval before idle_timeout",
                    max_touch.as_secs()
                ),
            );
            super::touch_interval(idle_timeout)
        }
        Some(d) => d.get_ref().0,
        None => super::touch_interval(idle_timeout),
    };
    let cache_ttl = match &s.cache_ttl {
        Some(d) if d.get_ref().0 > touch_interval => {
            c.err(
                d,
                format!(
                    "cache_ttl must be at most touch_interval ({}s here): a session ended on another instance is \
                     still served here for up to cache_ttl; \"0s\" turns the cache off",
                    touch_interval.as_secs()
                ),
            );
            crate::store::cache::DEFAULT_TTL.min(touch_interval)
        }
        Some(d) => d.get_ref().0,
        None => crate::store::cache::DEFAULT_TTL.min(touch_interval),
    };
    let cookie_name = match &s.cookie_name {
        Some(n) if !valid_name(n.get_ref()) => {
            c.err(n, "cookie_name may only contain a-z, 0-9, '-' and '_'");
            "portvakt".to_string()
        }
        Some(n) => n.get_ref().clone(),
        None => "portvakt".to_string(),
    };
    let cookie_domain = s.cookie_domain.as_ref().and_then(|d| {
        let n = normalize_host(d.get_ref().trim_start_matches('.'));
        if n.is_none() {
            c.err(d, "cookie_domain must be a domain name such as \"kommune.no\"");
        }
        n
    });
    if let Some(st) = &s.store {
        if st.get_ref() != "memory" {
            c.err(st, format!("unknown session store \"{}\": use \"memory\"", st.get_ref()));
        }
    }
    SessionSettings { idle_timeout, absolute_lifetime, touch_interval, cache_ttl, cookie_name, cookie_domain }
}
