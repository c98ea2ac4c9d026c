//! The `[network]` and `[[zones]]` sections: their file format, settings and validation (composed by
//! [`crate::config`]).

use crate::config::check::{valid_name, Checker};
use crate::config::error::{ConfigError, SourceFile};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::HashSet;
use toml::Spanned;

/// The zone name every address outside the configured zones gets.
pub const REMOTE_ZONE: &str = "remote";

/// The login a zone requires before any service may be opened from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRequirement {
    /// Username and password are enough.
    Password,
    /// Password plus a one-time code, or eID.
    TwoFactor,
}

impl LoginRequirement {
    /// The name as written in the config: "password" or "two_factor".
    pub fn as_str(self) -> &'static str {
        match self {
            LoginRequirement::Password => "password",
            LoginRequirement::TwoFactor => "two_factor",
        }
    }
}

/// `[network]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNetwork {
    /// Proxies whose X-Forwarded-For is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<Spanned<String>>,
    /// Login the remote zone needs: "two_factor" (default) or "password".
    pub remote_login: Option<Spanned<String>>,
}

/// One `[[zones]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileZone {
    /// Zone name, e.g. "internal".
    pub name: Spanned<String>,
    /// IPv4/IPv6 networks.
    pub cidrs: Vec<Spanned<String>>,
    /// Login this zone needs: "password" (default) or "two_factor".
    pub login: Option<Spanned<String>>,
}

/// A named network zone.
#[derive(Debug, Clone)]
pub struct ZoneSettings {
    /// Zone name.
    pub name: String,
    /// Its networks.
    pub cidrs: Vec<IpNet>,
    /// Login required from it.
    pub login: LoginRequirement,
}

/// `[network]`: the trusted proxies and the login the `remote` zone needs (two factors unless written otherwise).
pub fn network(c: &mut Checker<'_>, n: &FileNetwork) -> (Vec<IpNet>, LoginRequirement) {
    let trusted_proxies = n.trusted_proxies.iter().filter_map(|net| cidr(c, net)).collect();
    let remote_login = match &n.remote_login {
        None => LoginRequirement::TwoFactor,
        Some(s) => login_req(c, s).unwrap_or(LoginRequirement::TwoFactor),
    };
    (trusted_proxies, remote_login)
}

/// `[[zones]]`: valid unique names other than `remote`, CIDR networks none of which is in two zones.
pub fn zones(c: &mut Checker<'_>, zs: &[FileZone]) -> Vec<ZoneSettings> {
    let mut out: Vec<ZoneSettings> = Vec::new();
    let mut names = HashSet::new();
    let mut nets: Vec<(IpNet, String)> = Vec::new();
    for z in zs {
        let name = z.name.get_ref().clone();
        if name == REMOTE_ZONE {
            c.err(
                &z.name,
                "\"remote\" is the zone of every address outside the configured zones and cannot be defined",
            );
            continue;
        }
        if !valid_name(&name) {
            c.err(&z.name, format!("zone name \"{name}\" may only contain a-z, 0-9, '-' and '_'"));
        }
        if !names.insert(name.clone()) {
            c.err(&z.name, format!("zone \"{name}\" is defined twice"));
        }
        if z.cidrs.is_empty() {
            c.err(&z.name, format!("zone \"{name}\" has no cidrs"));
        }
        let mut cidrs = Vec::new();
        for net in &z.cidrs {
            if let Some(n) = cidr(c, net) {
                if let Some((_, other)) = nets.iter().find(|(m, _)| *m == n) {
                    c.err(
                        net,
                        format!("network {n} is also in zone \"{other}\": the same network cannot belong to two zones"),
                    );
                }
                nets.push((n, name.clone()));
                cidrs.push(n);
            }
        }
        let login = match &z.login {
            None => LoginRequirement::Password,
            Some(l) => login_req(c, l).unwrap_or(LoginRequirement::Password),
        };
        out.push(ZoneSettings { name, cidrs, login });
    }
    out
}

/// A CIDR network (or a single address), with host bits refused.
fn cidr(c: &mut Checker<'_>, net: &Spanned<String>) -> Option<IpNet> {
    let s = net.get_ref().trim();
    let parsed = s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from));
    match parsed {
        Some(n) => {
            if n.trunc() != n {
                c.err(net, format!("\"{s}\" has host bits set: did you mean \"{}\"?", n.trunc()));
            }
            Some(n.trunc())
        }
        None => {
            c.err(net, format!("\"{s}\" is not a CIDR network (e.g. \"10.0.0.0/8\" or \"fd00::/8\")"));
            None
        }
    }
}

/// "password" or "two_factor".
fn login_req(c: &mut Checker<'_>, s: &Spanned<String>) -> Option<LoginRequirement> {
    match s.get_ref().as_str() {
        "password" => Some(LoginRequirement::Password),
        "two_factor" => Some(LoginRequirement::TwoFactor),
        other => {
            c.err(s, format!("login must be \"password\" or \"two_factor\", not \"{other}\""));
            None
        }
    }
}

/// A list of zone names as written (each must exist), or by default every configured zone but `remote`: account
/// actions that must happen "at work" default to the inside.
pub fn zone_list(
    src: &SourceFile,
    list: Option<&[Spanned<String>]>,
    zones: &HashSet<String>,
) -> (Vec<String>, Vec<ConfigError>) {
    let mut errors = Vec::new();
    let names = match list {
        None => {
            let mut v: Vec<String> = zones.iter().filter(|z| z.as_str() != REMOTE_ZONE).cloned().collect();
            v.sort();
            v
        }
        Some(v) => v
            .iter()
            .filter_map(|z| {
                if !zones.contains(z.get_ref()) {
                    errors.push(src.error_at(Some(z.span()), format!("unknown zone \"{}\"", z.get_ref())));
                    return None;
                }
                Some(z.get_ref().clone())
            })
            .collect(),
    };
    (names, errors)
}
