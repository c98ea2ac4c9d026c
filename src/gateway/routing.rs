//! Which service a request belongs to, by host and canonical path prefix, and the canonical path itself.

use crate::canonical::{self, PathError, PathRules};
use crate::protected::ServiceSettings;

#[derive(Debug, Clone)]
struct Route {
    host: Option<String>,
    prefix: String,
    /// The prefix decoded and lower-cased, for services whose backend ignores case.
    folded: Option<String>,
    service: usize,
}

/// Routes compiled from the services: host-specific routes before any-host ones, longest prefix first.
#[derive(Debug, Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    rules: Vec<PathRules>,
}

/// Where a request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The gateway's own pages (`/.portvakt/`).
    Gateway,
    /// A service, by index.
    Service(usize),
    /// No service has this path.
    Nowhere,
}

/// A request's destination and the canonical path that routing, policy, logs and the backend all use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Where it goes.
    pub target: Target,
    /// The canonical path (without query).
    pub path: String,
}

impl Router {
    /// Builds the router; service indexes refer to `services`.
    pub fn new(services: &[ServiceSettings]) -> Router {
        let mut routes = Vec::new();
        for (i, s) in services.iter().enumerate() {
            let folded = s.path_rules.case_insensitive.then(|| canonical::folded(&s.path_prefix));
            let route = |host| Route { host, prefix: s.path_prefix.clone(), folded: folded.clone(), service: i };
            if s.hosts.is_empty() {
                routes.push(route(None));
            }
            for h in &s.hosts {
                routes.push(route(Some(h.clone())));
            }
        }
        routes.sort_by(|a, b| b.host.is_some().cmp(&a.host.is_some()).then(b.prefix.len().cmp(&a.prefix.len())));
        Router { routes, rules: services.iter().map(|s| s.path_rules).collect() }
    }

    /// The service index for a host and canonical path.
    pub fn route(&self, host: &str, path: &str) -> Option<usize> {
        let mut folded_path: Option<String> = None;
        self.routes
            .iter()
            .find(|r| {
                r.host.as_deref().is_none_or(|h| h == host)
                    && match &r.folded {
                        None => prefix_matches(&r.prefix, path),
                        Some(f) => prefix_matches(f, folded_path.get_or_insert_with(|| canonical::folded(path))),
                    }
            })
            .map(|r| r.service)
    }

    /// Where a canonical path goes: the gateway's own pages, a service, or nowhere.
    pub fn target(&self, host: &str, path: &str) -> Target {
        if canonical::is_reserved(path) {
            return Target::Gateway;
        }
        self.route(host, path).map_or(Target::Nowhere, Target::Service)
    }

    /// Canonicalises a request path (without query) and routes it, in two passes: the service is found on a
    /// reading that keeps `;` as an ordinary character, then that service's own rules give the canonical path,
    /// which must still belong to the same service (or the request is refused as ambiguous).
    pub fn resolve(&self, host: &str, raw: &str) -> Result<Resolved, PathError> {
        // Both readings borrow `raw` when it is already canonical (the usual request): one copy, for the result.
        let first = canonical::canonicalize_for_routing_borrowed(raw)?;
        let target = self.target(host, &first);
        let rules = match target {
            Target::Service(i) => self.rules.get(i).copied().unwrap_or_default(),
            Target::Gateway | Target::Nowhere => PathRules::default(),
        };
        let path = canonical::canonicalize_borrowed(raw, rules)?;
        if path != first && self.target(host, &path) != target {
            return Err(PathError::Ambiguous);
        }
        Ok(Resolved { target, path: path.into_owned() })
    }

    /// The path rules of a service.
    pub fn rules(&self, service: usize) -> PathRules {
        self.rules.get(service).copied().unwrap_or_default()
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
            title_by_language: Default::default(),
            description: String::new(),
            description_by_language: Default::default(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            path_prefix: prefix.into(),
            upstreams: vec![],
            upstream_tls: false,
            upstream_sni: String::new(),
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            allow_below_zone_floor: vec![],
            path_rules: PathRules::default(),
            show: Default::default(),
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

    /// A case-insensitive service is routed in any letter case; others only in their own.
    #[test]
    fn case_insensitive_routes() {
        let mut iis = svc("iis", &[], "/Intranet");
        iis.path_rules.case_insensitive = true;
        let r = Router::new(&[svc("root", &[], "/"), iis, svc("expense", &[], "/expense")]);
        assert_eq!(r.route("x", "/INTRANET/a"), Some(1));
        assert_eq!(r.route("x", "/intranet"), Some(1));
        assert_eq!(r.route("x", "/intranetx"), Some(0));
        assert_eq!(r.route("x", "/EXPENSE/a"), Some(0));
    }

    /// Resolving finds the service on the lenient reading, canonicalises with its rules, and refuses parameters
    /// that would move the request elsewhere.
    #[test]
    fn resolve_two_passes() {
        let mut java = svc("java", &[], "/java");
        java.path_rules.params = crate::canonical::PathParams::Strip;
        let r = Router::new(&[java, svc("expense", &[], "/expense")]);
        let res = |p: &str| r.resolve("x", p);
        assert_eq!(res("/java/a;x/b"), Ok(Resolved { target: Target::Service(0), path: "/java/a/b".into() }));
        assert_eq!(res("/java/a/..;/b"), Ok(Resolved { target: Target::Service(0), path: "/java/b".into() }));
        assert_eq!(res("/java/..;/expense/secret"), Err(PathError::Ambiguous));
        assert_eq!(res("/java/..;/.portvakt/login"), Err(PathError::Ambiguous));
        assert_eq!(res("/expense/a;b"), Err(PathError::PathParams));
        assert_eq!(
            res("/x/../.portvakt/login"),
            Ok(Resolved { target: Target::Gateway, path: "/.portvakt/login".into() })
        );
        assert_eq!(res("/nothing"), Ok(Resolved { target: Target::Nowhere, path: "/nothing".into() }));
    }
}
