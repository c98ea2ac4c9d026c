//! The `[[services]]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::{normalize_host, valid_name, Checker};
use crate::config::duration::ConfigDuration;
use crate::zones::config::{LoginRequirement, ZoneSettings};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;
use toml::Spanned;

/// One `[[services]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileService {
    /// Unique name; also the assertion audience.
    pub name: Spanned<String>,
    /// Title on the portal and denial pages: a string for every language, or a table per page language
    /// (`{ sv = "Lön", en = "Payroll" }`).
    pub title: Option<Spanned<toml::Value>>,
    /// One-line description on the portal, written like `title`.
    pub description: Option<Spanned<toml::Value>>,
    /// Host names routed to this service (empty: any host).
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    /// Path prefix routed to this service (default "/").
    pub path_prefix: Option<Spanned<String>>,
    /// Backend addresses "host:port".
    pub upstreams: Vec<Spanned<String>>,
    /// Speak TLS to the backend.
    #[serde(default)]
    pub upstream_tls: bool,
    /// SNI / verify name for upstream TLS.
    pub upstream_sni: Option<String>,
    /// Connection timeout to the backend.
    pub connect_timeout: Option<ConfigDuration>,
    /// Read timeout from the backend.
    pub read_timeout: Option<ConfigDuration>,
    /// Zones from which this service's policy rules alone decide, even below the zone's login floor.
    pub allow_below_zone_floor: Option<Vec<Spanned<String>>>,
    /// The backend ignores letter case and trailing dots and spaces in names (IIS, other Windows servers).
    #[serde(default)]
    pub case_insensitive_paths: bool,
    /// What `;` parameters in the path mean to the backend: "reject" (default), "strip" or "keep".
    pub path_params: Option<Spanned<String>>,
    /// Which users see it on the portal: "reachable" (default; those who could open it from some zone with some
    /// login) or "all".
    pub show: Option<Spanned<String>>,
}

/// The page languages a service's title and description may be written in.
pub const TEXT_LANGUAGES: &[&str] = &["sv", "nb", "nn", "da", "en"];

/// A title or description as written: a string (every language), or a table of strings per page language. Returns
/// the text for any language (the string, else the first translation in [`TEXT_LANGUAGES`] order) and the
/// translations; problems are reported at the value.
fn texts(
    c: &mut Checker<'_>,
    v: Option<&Spanned<toml::Value>>,
    key: &str,
) -> (Option<String>, BTreeMap<String, String>) {
    let Some(v) = v else { return (None, BTreeMap::new()) };
    let mut by_language = BTreeMap::new();
    match v.get_ref() {
        toml::Value::String(s) => return (Some(s.clone()), by_language),
        toml::Value::Table(t) if !t.is_empty() => {
            for (lang, text) in t {
                match text {
                    _ if !TEXT_LANGUAGES.contains(&lang.as_str()) => {
                        c.err(v, format!("{key}: \"{lang}\" is not a page language: use {}", TEXT_LANGUAGES.join(", ")))
                    }
                    toml::Value::String(s) if !s.trim().is_empty() => {
                        by_language.insert(lang.clone(), s.trim().to_string());
                    }
                    _ => c.err(v, format!("{key}: the {lang} text must be a non-empty string")),
                }
            }
        }
        _ => c.err(
            v,
            format!(
                "{key} must be a string, or a table of strings per language like {{ sv = \"Lön\", en = \"Payroll\" }}"
            ),
        ),
    }
    let any = TEXT_LANGUAGES.iter().find_map(|l| by_language.get(*l)).cloned();
    (any, by_language)
}

/// A protected service.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Unique name.
    pub name: String,
    /// Portal title (where it is written per language: the first of them in sv, nb, nn, da, en order).
    pub title: String,
    /// Portal title per page language code, where written so.
    pub title_by_language: BTreeMap<String, String>,
    /// Portal description (as `title`).
    pub description: String,
    /// Portal description per page language code, where written so.
    pub description_by_language: BTreeMap<String, String>,
    /// Host names (lower case); empty means any host.
    pub hosts: Vec<String>,
    /// Path prefix, starting with '/', without trailing slash unless it is "/".
    pub path_prefix: String,
    /// Backend addresses as written ("host:port").
    pub upstreams: Vec<UpstreamAddr>,
    /// TLS to the backend.
    pub upstream_tls: bool,
    /// SNI for upstream TLS.
    pub upstream_sni: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Read timeout.
    pub read_timeout: Duration,
    /// Zones from which the policy rules alone decide for this service, even below the zone's login floor.
    pub allow_below_zone_floor: Vec<String>,
    /// How the backend reads paths: `;` parameters and letter case (`path_params`, `case_insensitive_paths`).
    pub path_rules: crate::canonical::PathRules,
    /// Who sees it on the portal.
    pub show: PortalShow,
}

impl ServiceSettings {
    /// The title in page language `lang`: that language's, else the gateway's default language's (`default`), else
    /// any written one.
    pub fn title_in(&self, lang: &str, default: &str) -> &str {
        self.title_by_language.get(lang).or_else(|| self.title_by_language.get(default)).unwrap_or(&self.title)
    }

    /// The description in page language `lang`, with the same fallback as [`ServiceSettings::title_in`].
    pub fn description_in(&self, lang: &str, default: &str) -> &str {
        let by = &self.description_by_language;
        by.get(lang).or_else(|| by.get(default)).unwrap_or(&self.description)
    }
}

/// Who sees a service on the portal (`show` in `[[services]]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PortalShow {
    /// Users who could open it from some zone with some login (closed hours still show it).
    #[default]
    Reachable,
    /// Every logged-in user, with the reason it is closed to them.
    All,
}

/// A backend address: a literal socket address or a host name resolved at run time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UpstreamAddr {
    /// Literal IP and port.
    Ip(SocketAddr),
    /// Host name and port, resolved with hickory.
    Name(String, u16),
}

/// `[[services]]`: unique plain names, host names, a canonical path prefix outside `/.portvakt/` that no other
/// service routes with the same hosts, backend addresses, path rules and who sees it on the portal.
pub fn validate(c: &mut Checker<'_>, ss: &[FileService]) -> Vec<ServiceSettings> {
    let mut names = HashSet::new();
    let mut routes: Vec<(Vec<String>, String, String)> = Vec::new();
    let mut out = Vec::new();
    for s in ss {
        let name = s.name.get_ref().clone();
        if !valid_name(&name) {
            c.err(&s.name, format!("service name \"{name}\" may only contain a-z, 0-9, '-' and '_'"));
        }
        let duplicate = !names.insert(name.clone());
        if duplicate {
            c.err(&s.name, format!("duplicate service name \"{name}\": each service needs its own name"));
        }
        let mut hosts = Vec::new();
        for h in &s.hosts {
            match normalize_host(h.get_ref()) {
                Some(n) => hosts.push(n),
                None => c.err(h, format!("\"{}\" is not a valid host name", h.get_ref())),
            }
        }
        let path_prefix = match &s.path_prefix {
            None => "/".to_string(),
            Some(p) => {
                let v = p.get_ref();
                if !v.starts_with('/') || v.contains("..") || v.contains('?') || v.contains('#') {
                    c.err(p, "path_prefix must start with '/' and contain no '..', '?' or '#'");
                } else {
                    // Requests are routed on their canonical path, so a prefix in any other spelling could
                    // never match.
                    match crate::canonical::canonicalize(v, crate::canonical::PathRules::default()) {
                        Err(e) => c.err(
                            p,
                            format!("path_prefix \"{v}\" contains {e}, which the gateway refuses in every request"),
                        ),
                        Ok(canon) if canon.trim_end_matches('/') != v.trim_end_matches('/') => c.err(
                            p,
                            format!(
                                "path_prefix \"{v}\" is not in canonical form: write \"{}\"",
                                canon.trim_end_matches('/')
                            ),
                        ),
                        Ok(_) => {}
                    }
                }
                if crate::canonical::is_reserved(v) {
                    c.err(p, "path_prefix cannot be under /.portvakt/, which is reserved for the gateway's own pages");
                }
                let t = v.trim_end_matches('/');
                if t.is_empty() {
                    "/".to_string()
                } else {
                    t.to_string()
                }
            }
        };
        let mut sorted_hosts = hosts.clone();
        sorted_hosts.sort();
        if let Some((_, _, other)) =
            routes.iter().find(|(h, p, _)| !duplicate && *h == sorted_hosts && *p == path_prefix)
        {
            let at = s.path_prefix.as_ref().map(|p| p.span()).unwrap_or_else(|| s.name.span());
            c.err_at(Some(at), format!("service \"{name}\" has the same hosts and path_prefix as \"{other}\""));
        }
        routes.push((sorted_hosts, path_prefix.clone(), name.clone()));
        if s.upstreams.is_empty() {
            c.err(&s.name, format!("service \"{name}\" has no upstreams"));
        }
        let mut upstreams = Vec::new();
        for u in &s.upstreams {
            match parse_upstream(u.get_ref()) {
                Some(a) => upstreams.push(a),
                None => c.err(
                    u,
                    format!("\"{}\" is not a backend address: write \"host:port\" or \"10.0.0.5:8080\"", u.get_ref()),
                ),
            }
        }
        let params = match &s.path_params {
            None => crate::canonical::PathParams::default(),
            Some(p) => crate::canonical::PathParams::parse(p.get_ref()).unwrap_or_else(|| {
                c.err(
                    p,
                    format!(
                        "path_params \"{}\" is not known: use \"reject\" (refuse ';' in paths), \"strip\" \
                         (Java servers) or \"keep\"",
                        p.get_ref()
                    ),
                );
                crate::canonical::PathParams::default()
            }),
        };
        let path_rules = crate::canonical::PathRules { params, case_insensitive: s.case_insensitive_paths };
        let upstream_sni = s.upstream_sni.clone().unwrap_or_else(|| match upstreams.first() {
            Some(UpstreamAddr::Name(h, _)) => h.clone(),
            _ => String::new(),
        });
        let (title, title_by_language) = texts(c, s.title.as_ref(), "title");
        let (description, description_by_language) = texts(c, s.description.as_ref(), "description");
        out.push(ServiceSettings {
            title: title.unwrap_or_else(|| name.clone()),
            title_by_language,
            description: description.unwrap_or_default(),
            description_by_language,
            name,
            hosts,
            path_prefix,
            upstreams,
            upstream_tls: s.upstream_tls,
            upstream_sni,
            connect_timeout: s.connect_timeout.map(|d| d.0).unwrap_or(Duration::from_secs(3)),
            read_timeout: s.read_timeout.map(|d| d.0).unwrap_or(Duration::from_secs(60)),
            allow_below_zone_floor: s.allow_below_zone_floor.iter().flatten().map(|z| z.get_ref().clone()).collect(),
            path_rules,
            show: match s.show.as_ref().map(|v| (v, v.get_ref().as_str())) {
                None | Some((_, "reachable")) => PortalShow::Reachable,
                Some((_, "all")) => PortalShow::All,
                Some((v, other)) => {
                    c.err(v, format!("show \"{other}\" is not known: use \"reachable\" or \"all\""));
                    PortalShow::Reachable
                }
            },
        });
    }
    out
}

fn parse_upstream(s: &str) -> Option<UpstreamAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(UpstreamAddr::Ip(a));
    }
    let (host, port) = s.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    if port == 0 {
        return None;
    }
    let host = normalize_host(host)?;
    Some(UpstreamAddr::Name(host, port))
}

/// `allow_below_zone_floor`: known zones only, only with policies (without them the floor is the only rule),
/// and each one a warning: it is valid, but it lets the policy rules admit logins the zone would refuse.
pub fn zone_floors(
    c: &mut Checker<'_>,
    ss: &[FileService],
    zones: &[ZoneSettings],
    remote_login: LoginRequirement,
    zone_names: &HashSet<String>,
    have_policies: bool,
) {
    for s in ss {
        for z in s.allow_below_zone_floor.iter().flatten() {
            let name = z.get_ref();
            if !zone_names.contains(name) {
                c.err(z, format!("unknown zone \"{name}\" in allow_below_zone_floor"));
                continue;
            }
            if !have_policies {
                c.err(
                    z,
                    "allow_below_zone_floor needs policies_dir: without policy files the zone's login is the \
                     only rule, so there is nothing to decide below it",
                );
                continue;
            }
            let floor = zones.iter().find(|x| x.name == *name).map(|x| x.login).unwrap_or(remote_login);
            c.warn(
                z,
                format!(
                    "warning: service \"{}\" lets its policy rules admit logins below the floor of zone \"{name}\" \
                     ({}): only do this for a service that is safe with a weaker login from there",
                    s.name.get_ref(),
                    floor.as_str()
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Host names and upstream addresses are parsed and normalised.
    #[test]
    fn upstream_and_host_parsing() {
        assert_eq!(parse_upstream("127.0.0.1:80"), Some(UpstreamAddr::Ip("127.0.0.1:80".parse().unwrap())));
        assert_eq!(parse_upstream("[::1]:80"), Some(UpstreamAddr::Ip("[::1]:80".parse().unwrap())));
        assert_eq!(
            parse_upstream("Payroll.Kommune.no:8443"),
            Some(UpstreamAddr::Name("payroll.kommune.no".into(), 8443))
        );
        assert_eq!(parse_upstream("nohost"), None);
        assert_eq!(parse_upstream("a b:80"), None);
        assert_eq!(normalize_host("-bad.no"), None);
    }
}
