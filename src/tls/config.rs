//! The `[tls]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::Checker;
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

/// `[tls]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTls {
    /// PEM certificate chain.
    pub cert: Spanned<String>,
    /// PEM private key.
    pub key: Spanned<String>,
    /// How long a TLS session ticket lets a client resume; also the ticket key period.
    pub session_ticket_lifetime: Option<Spanned<ConfigDuration>>,
}

/// Certificate and key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// How long a session ticket lets a client resume its TLS session (and how often the ticket key changes).
    pub session_ticket_lifetime: Duration,
}

/// Default `[tls] session_ticket_lifetime`: a browser that left in the afternoon resumes the next morning.
pub const DEFAULT_SESSION_TICKET_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// `[tls]`: a certificate file with PEM certificates and a key file with a PEM private key, both readable (pingora
/// panics on either at start otherwise), and a session ticket lifetime from a minute to 7 days.
pub fn validate(c: &mut Checker<'_>, t: &FileTls) -> Option<TlsFiles> {
    let cert = c.resolve(t.cert.get_ref());
    let key = c.resolve(t.key.get_ref());
    let mut ok = true;
    match std::fs::read(&cert) {
        Err(e) => {
            c.err(&t.cert, format!("cannot read certificate {}: {e}", cert.display()));
            ok = false;
        }
        Ok(bytes) => {
            let certs: Vec<_> = rustls_pemfile::certs(&mut bytes.as_slice()).collect();
            if certs.is_empty() || certs.iter().any(|c| c.is_err()) {
                c.err(&t.cert, format!("{} holds no PEM certificate", cert.display()));
                ok = false;
            }
        }
    }
    match std::fs::read(&key) {
        Err(e) => {
            c.err(&t.key, format!("cannot read private key {}: {e}", key.display()));
            ok = false;
        }
        Ok(bytes) => match rustls_pemfile::private_key(&mut bytes.as_slice()) {
            Ok(Some(_)) => {}
            _ => {
                c.err(&t.key, format!("{} holds no PEM private key", key.display()));
                ok = false;
            }
        },
    }
    let session_ticket_lifetime = match &t.session_ticket_lifetime {
        Some(d) if d.get_ref().0 < Duration::from_secs(60) || d.get_ref().0 > Duration::from_secs(7 * 24 * 3600) => {
            c.err(d, "session_ticket_lifetime must be between \"1m\" and \"7d\" (TLS 1.3's limit)");
            DEFAULT_SESSION_TICKET_LIFETIME
        }
        Some(d) => d.get_ref().0,
        None => DEFAULT_SESSION_TICKET_LIFETIME,
    };
    ok.then_some(TlsFiles { cert, key, session_ticket_lifetime })
}
