//! Which service a request belongs to, by host and path prefix.

use crate::config::ServiceSettings;

#[derive(Debug, Clone)]
struct Route {
    host: Option<String>,
    prefix: String,
    service: usize,
}

/// Routes compiled from the services: host-specific routes before any-host ones, longest prefix first.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
}

impl Router {
    /// Builds the router; service indexes refer to `services`.
    pub fn new(services: &[ServiceSettings]) -> Router {
        let mut routes = Vec::new();
        for (i, s) in services.iter().enumerate() {
            if s.hosts.is_empty() {
                routes.push(Route { host: None, prefix: s.path_prefix.clone(), service: i });
            }
            for h in &s.hosts {
                routes.push(Route { host: Some(h.clone()), prefix: s.path_prefix.clone(), service: i });
            }
        }
        routes.sort_by(|a, b| b.host.is_some().cmp(&a.host.is_some()).then(b.prefix.len().cmp(&a.prefix.len())));
        Router { routes }
    }

    /// The service index for a host and path.
    pub fn route(&self, host: &str, path: &str) -> Option<usize> {
        self.routes
            .iter()
            .find(|r| r.host.as_deref().is_none_or(|h| h == host) && prefix_matches(&r.prefix, path))
            .map(|r| r.service)
    }
}

/// Whether `path` is `prefix` or below it ("/expense" matches "/expense" and "/expense/x", not "/expenses").
pub fn prefix_matches(prefix: &str, path: &str) -> bool {
    prefix == "/" || path == prefix || (path.starts_with(prefix) && path.as_bytes().get(prefix.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn svc(name: &str, hosts: &[&str], prefix: &str) -> ServiceSettings {
        ServiceSettings {
            name: name.into(),
            title: name.into(),
            description: String::new(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            path_prefix: prefix.into(),
            upstreams: vec![],
            upstream_tls: false,
            upstream_sni: String::new(),
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            allow_below_zone_floor: vec![],
        }
    }

    /// Host-specific routes win over any-host ones; longer prefixes win; prefixes match on segment boundaries.
    #[test]
    fn routing_order() {
        let r = Router::new(&[
            svc("portal-root", &[], "/"),
            svc("expense", &[], "/expense"),
            svc("sign", &["sign.kommune.no"], "/"),
        ]);
        assert_eq!(r.route("portal.kommune.no", "/expense/new"), Some(1));
        assert_eq!(r.route("portal.kommune.no", "/expenses"), Some(0));
        assert_eq!(r.route("sign.kommune.no", "/expense"), Some(2));
        let r = Router::new(&[svc("expense", &[], "/expense")]);
        assert_eq!(r.route("x", "/"), None);
        assert_eq!(r.route("x", "/expense"), Some(0));
    }
}
