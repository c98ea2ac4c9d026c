//! The `[[directories]]` section: its file format, settings and validation (composed by [`crate::config`]); the
//! LDAP table is [`super::ldap::config`].

use crate::config::check::{normalize_host, valid_name, Checker};
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

/// One `[[directories]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDirectory {
    /// Realm id, sent in the login form.
    pub name: Spanned<String>,
    /// Label shown in the group choice.
    pub title: Option<String>,
    /// Backend: "file" or "ldap".
    pub kind: Spanned<String>,
    /// For kind = "file": path to the users file.
    pub path: Option<Spanned<String>>,
    /// For kind = "ldap": servers, accounts, attributes and groups.
    pub ldap: Option<super::ldap::config::FileLdap>,
    /// Login pages on these hosts preselect this group (as the old per-group entry pages did).
    #[serde(default)]
    pub hosts: Vec<Spanned<String>>,
    /// Users may also log in with their e-mail address instead of their username.
    #[serde(default)]
    pub login_by_email: bool,
    /// For kind = "ldap": how old a last-known directory entry may be for an eID login while the directory does
    /// not answer ("0s" turns it off).
    pub outage_grace: Option<Spanned<ConfigDuration>>,
}

/// A user directory.
#[derive(Debug, Clone)]
pub struct DirectorySettings {
    /// Realm id.
    pub name: String,
    /// Label in the group choice.
    pub title: String,
    /// Backend.
    pub kind: DirectoryKind,
    /// Hosts (lower case) whose login page preselects this realm.
    pub hosts: Vec<String>,
    /// Users may log in with their e-mail address.
    pub login_by_email: bool,
    /// How old a last-known directory entry may be for an eID login during a directory outage (zero: never).
    pub outage_grace: Duration,
}

/// Default of `outage_grace`: a working day.
pub const DEFAULT_OUTAGE_GRACE: Duration = Duration::from_secs(8 * 3600);
/// Longest `outage_grace`: a week (a disabled account must not stay usable for longer through a dead directory).
pub const MAX_OUTAGE_GRACE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A directory backend and its settings.
#[derive(Debug, Clone)]
pub enum DirectoryKind {
    /// Users file with argon2id hashes.
    File {
        /// Users file path.
        path: PathBuf,
    },
    /// LDAP or Active Directory.
    Ldap(Box<super::ldap::config::LdapSettings>),
}

/// `[[directories]]`: at least one, unique valid names, each a users file or an LDAP directory with its table.
pub fn validate(c: &mut Checker<'_>, ds: &[FileDirectory]) -> Vec<DirectorySettings> {
    if ds.is_empty() {
        c.err_nopos(
            "no [[directories]] configured: add one, e.g. name = \"staff\", kind = \"file\", path = \"users.toml\"",
        );
    }
    let mut names = HashSet::new();
    let mut claimed: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for d in ds {
        let name = d.name.get_ref().clone();
        if !valid_name(&name) {
            c.err(&d.name, format!("directory name \"{name}\" may only contain a-z, 0-9, '-' and '_'"));
        }
        if !names.insert(name.clone()) {
            c.err(&d.name, format!("directory \"{name}\" is defined twice"));
        }
        if d.kind.get_ref() != "ldap" {
            if let Some(l) = &d.ldap {
                c.err(&l.bind_dn, "a [directories.ldap] table needs kind = \"ldap\"");
            }
        }
        let kind = match d.kind.get_ref().as_str() {
            "ldap" => {
                if let Some(p) = &d.path {
                    c.err(p, "path is for kind = \"file\"; an LDAP directory is set up in [directories.ldap]");
                }
                let Some(l) = &d.ldap else {
                    c.err(&d.kind, "a directory with kind = \"ldap\" needs a [directories.ldap] table with urls, bind_dn, bind_password_file and base_dn");
                    continue;
                };
                match super::ldap::config::validate(c.src(), l, c.base_dir()) {
                    Ok(s) => DirectoryKind::Ldap(Box::new(s)),
                    Err(errs) => {
                        c.extend(errs);
                        continue;
                    }
                }
            }
            "file" => match &d.path {
                Some(p) => DirectoryKind::File { path: c.resolve(p.get_ref()) },
                None => {
                    c.err(&d.kind, "a directory with kind = \"file\" needs path = \"users.toml\"");
                    continue;
                }
            },
            other => {
                c.err(&d.kind, format!("unknown directory kind \"{other}\": use \"file\" or \"ldap\""));
                continue;
            }
        };
        let mut hosts = Vec::new();
        for h in &d.hosts {
            match normalize_host(h.get_ref()) {
                Some(n) if claimed.contains(&n) => {
                    c.err(h, format!("host \"{n}\" already preselects another directory: give each host one"))
                }
                Some(n) => {
                    claimed.insert(n.clone());
                    hosts.push(n);
                }
                None => c.err(h, format!("\"{}\" is not a valid host name", h.get_ref())),
            }
        }
        let outage_grace = match &d.outage_grace {
            None => DEFAULT_OUTAGE_GRACE,
            Some(g) if !matches!(kind, DirectoryKind::Ldap(_)) => {
                c.err(g, "outage_grace is for kind = \"ldap\": a users file is always there to answer");
                Duration::ZERO
            }
            Some(g) if g.get_ref().0 > MAX_OUTAGE_GRACE => {
                c.err(g, "outage_grace may be at most \"7d\": an account disabled during a longer outage would stay usable by eID");
                MAX_OUTAGE_GRACE
            }
            Some(g) => g.get_ref().0,
        };
        let title = d.title.clone().unwrap_or_else(|| name.clone());
        out.push(DirectorySettings { title, name, kind, hosts, login_by_email: d.login_by_email, outage_grace });
    }
    out
}
