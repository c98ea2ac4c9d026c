//! The `[admin]` section: the admin listener's address, validated against the public listeners (composed by
//! [`crate::config`]).

use serde::Deserialize;
use std::net::SocketAddr;
use toml::Spanned;

/// `[admin]` as written in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAdmin {
    /// Address of the admin listener (default `127.0.0.1:9187`).
    pub listen: Option<Spanned<String>>,
    /// `true` allows an address other than loopback (put a firewall in front: metrics have no login).
    pub allow_remote: Option<Spanned<bool>>,
}

/// Validated `[admin]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminSettings {
    /// Address of the admin listener.
    pub listen: SocketAddr,
}

/// The default admin address: loopback, the port Prometheus exporters for gateways commonly avoid clashing with.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9187";

/// Validates `[admin]` against the public listeners; `None` without the section (no admin listener).
pub fn validate(f: Option<&FileAdmin>, public: &[SocketAddr]) -> (Option<AdminSettings>, crate::audit::ConfigProblems) {
    let mut problems = Vec::new();
    let Some(f) = f else { return (None, problems) };
    let span = f.listen.as_ref().map(|l| l.span());
    let text = f.listen.as_ref().map(|l| l.get_ref().as_str()).unwrap_or(DEFAULT_LISTEN);
    let listen: SocketAddr = match text.parse() {
        Ok(a) => a,
        Err(_) => {
            problems
                .push((span, format!("listen = \"{text}\" is not an address with a port, e.g. \"127.0.0.1:9187\"")));
            return (None, problems);
        }
    };
    let remote_ok = f.allow_remote.as_ref().is_some_and(|a| *a.get_ref());
    if !listen.ip().is_loopback() && !remote_ok {
        problems.push((
            span.clone(),
            format!(
                "listen = \"{listen}\" is not a loopback address: metrics have no login. Use 127.0.0.1 or ::1 and \
                 scrape through an SSH tunnel or a local agent, or set allow_remote = true behind a firewall"
            ),
        ));
    }
    for p in public {
        let same_port = p.port() == listen.port();
        let overlaps = p.ip() == listen.ip() || p.ip().is_unspecified() || listen.ip().is_unspecified();
        if same_port && overlaps {
            problems.push((
                span.clone(),
                format!("listen = \"{listen}\" is also a public [[listeners]] address ({p}): the admin listener needs an address of its own"),
            ));
        }
    }
    (Some(AdminSettings { listen }), problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A non-loopback admin address is refused without allow_remote, and a public listener's port is refused.
    #[test]
    fn admin_address_rules() {
        let f = FileAdmin { listen: Some(Spanned::new(0..1, "0.0.0.0:9187".into())), allow_remote: None };
        let (_, p) = validate(Some(&f), &[]);
        assert!(p.iter().any(|(_, m)| m.contains("not a loopback address")), "{p:?}");
        let f = FileAdmin { listen: Some(Spanned::new(0..1, "127.0.0.1:8080".into())), allow_remote: None };
        let (_, p) = validate(Some(&f), &["0.0.0.0:8080".parse().unwrap()]);
        assert!(p.iter().any(|(_, m)| m.contains("public [[listeners]]")), "{p:?}");
        let (s, p) = validate(Some(&FileAdmin::default()), &["0.0.0.0:443".parse().unwrap()]);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s.unwrap().listen, DEFAULT_LISTEN.parse().unwrap());
    }
}
