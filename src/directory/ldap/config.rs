//! The `[directories.ldap]` table: its file format, the preset, and validation into [`LdapSettings`].

use crate::config::check::{is_loopback_url, valid_name, Checker};
use crate::config::duration::ConfigDuration;
use crate::config::error::{ConfigError, SourceFile};
use crate::config::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// `[directories.ldap]` as written in the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLdap {
    /// "active-directory" fills the AD defaults; absent means a generic LDAP server.
    pub preset: Option<Spanned<String>>,
    /// Server URLs tried in order: `ldaps://host[:port]` (default) or `ldap://host[:port]` with StartTLS.
    pub urls: Spanned<Vec<Spanned<String>>>,
    /// Upgrade `ldap://` connections with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// PEM file of the CA certificates that sign the servers' certificates (default: the system's roots).
    pub ca_file: Option<Spanned<String>>,
    /// Allow `ldap://` without TLS; only for loopback hosts (tests).
    #[serde(default)]
    pub insecure_plaintext: bool,
    /// DN of the service account that searches for users.
    pub bind_dn: Spanned<String>,
    /// File holding the service account's password (e.g. a systemd credential).
    pub bind_password_file: Spanned<String>,
    /// Where users are searched (subtree).
    pub base_dn: Spanned<String>,
    /// Extra filter every user must match (e.g. only people; with the AD preset disabled accounts are found and
    /// refused by their `userAccountControl`).
    pub user_filter: Option<Spanned<String>>,
    /// Attributes a typed username is compared with (any of them may match).
    pub login_attributes: Option<Vec<Spanned<String>>>,
    /// Attribute whose value becomes the session's username.
    pub username_attribute: Option<Spanned<String>>,
    /// Attribute with the display name.
    pub display_name_attribute: Option<Spanned<String>>,
    /// Attribute with the e-mail address.
    pub mail_attribute: Option<Spanned<String>>,
    /// "member_of" (read the user's group attribute) or "search" (search for groups naming the user).
    pub group_source: Option<Spanned<String>>,
    /// For "member_of": the attribute listing the user's group DNs.
    pub group_attribute: Option<Spanned<String>>,
    /// For "search": where groups are searched (default: `base_dn`).
    pub group_base_dn: Option<Spanned<String>>,
    /// For "search": the filter; `{dn}` is the member's DN, `{username}` the username.
    pub group_filter: Option<Spanned<String>>,
    /// For "search": attribute with the group's short name when `group_map` is not used.
    pub group_name_attribute: Option<Spanned<String>>,
    /// Follow groups inside groups.
    pub nested_groups: Option<bool>,
    /// Group DN → short name used in policies; with a map only mapped groups are given to the user.
    pub group_map: Option<BTreeMap<String, Spanned<String>>>,
    /// Time limit for opening a connection (TCP and TLS).
    pub connect_timeout: Option<ConfigDuration>,
    /// Time limit for one operation (bind, search).
    pub timeout: Option<ConfigDuration>,
    /// Service-bound connections kept open.
    pub pool_size: Option<Spanned<usize>>,
    /// How often a logged-in user's account is checked again.
    pub refresh_interval: Option<ConfigDuration>,
    /// Where users change an expired password (shown on the "password must be changed" page).
    pub password_change_url: Option<Spanned<String>>,
    /// Attribute naming the user's institution (e.g. `company` or `department`); default: the realm's.
    pub institution_attribute: Option<Spanned<String>>,
    /// Attribute with the user's mobile number(s) for SMS codes; one users cannot write themselves.
    pub phone_attribute: Option<Spanned<String>>,
}

/// Where a user's groups come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupSource {
    /// The user entry's attribute listing group DNs (AD's `memberOf`).
    MemberOf {
        /// The attribute.
        attribute: String,
    },
    /// A search for group entries that name the user.
    Search {
        /// Search base.
        base_dn: String,
        /// Filter template with `{dn}` and `{username}`.
        filter: String,
        /// Attribute with the group's short name.
        name_attribute: String,
    },
}

/// The AD matching rule that follows nested groups inside the server (`LDAP_MATCHING_RULE_IN_CHAIN`).
pub const IN_CHAIN: &str = "1.2.840.113556.1.4.1941";

/// A validated LDAP directory.
#[derive(Debug, Clone)]
pub struct LdapSettings {
    /// Servers in order.
    pub urls: Vec<url::Url>,
    /// StartTLS on `ldap://` URLs.
    pub starttls: bool,
    /// Extra CA certificates.
    pub ca_file: Option<PathBuf>,
    /// Plain `ldap://` allowed (loopback only).
    pub insecure_plaintext: bool,
    /// Service account DN.
    pub bind_dn: String,
    /// Service account password.
    pub bind_password: Secret,
    /// User search base.
    pub base_dn: String,
    /// Extra user filter (with its parentheses).
    pub user_filter: String,
    /// Attributes a typed username may match.
    pub login_attributes: Vec<String>,
    /// The session username's attribute.
    pub username_attribute: String,
    /// Display name attribute.
    pub display_name_attribute: String,
    /// E-mail attribute.
    pub mail_attribute: String,
    /// Group source.
    pub groups: GroupSource,
    /// Follow nested groups.
    pub nested_groups: bool,
    /// Active Directory preset in force (nested groups via the in-chain rule, `userAccountControl` read for the
    /// disabled flag).
    pub active_directory: bool,
    /// Normalised group DN → short name.
    pub group_map: Option<BTreeMap<String, String>>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Operation timeout.
    pub timeout: Duration,
    /// Pool size.
    pub pool_size: usize,
    /// Account re-check interval.
    pub refresh_interval: Duration,
    /// Password change page.
    pub password_change_url: Option<String>,
    /// Attribute with the user's institution.
    pub institution_attribute: Option<String>,
    /// Attribute with mobile numbers for SMS codes.
    pub phone_attribute: Option<String>,
}

/// A DN compared case-insensitively and without spaces around separators.
pub fn normalize_dn(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    let mut chars = dn.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(c);
            if let Some(n) = chars.next() {
                out.extend(n.to_lowercase());
            }
            continue;
        }
        if c == ',' || c == '=' || c == '+' {
            while out.ends_with(' ') {
                out.pop();
            }
            out.push(c);
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// An attribute name as written, or `default`.
fn attr(v: &mut Checker<'_>, value: &Option<Spanned<String>>, default: &str) -> String {
    match value {
        Some(a) if !valid_attribute(a.get_ref()) => {
            v.err(a, format!("\"{}\" is not an LDAP attribute name", a.get_ref()));
            default.to_string()
        }
        Some(a) => a.get_ref().clone(),
        None => default.to_string(),
    }
}

/// A search filter as written, checked to be one parenthesised expression.
fn filter(v: &mut Checker<'_>, f: &Spanned<String>, what: &str) -> String {
    let probe = f.get_ref().replace("{dn}", "x").replace("{username}", "x");
    if !balanced_filter(&probe) {
        v.err(
            f,
            format!("{what} \"{}\" is not an LDAP filter in parentheses, e.g. \"(objectClass=person)\"", f.get_ref()),
        );
    }
    f.get_ref().clone()
}

/// Attribute descriptions: a name or an OID, with options.
fn valid_attribute(a: &str) -> bool {
    !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == ';')
}

/// A cheap check that a filter is one parenthesised expression (the server does the full parse).
fn balanced_filter(f: &str) -> bool {
    let f = f.trim();
    if !f.starts_with('(') || !f.ends_with(')') {
        return false;
    }
    let mut depth = 0i32;
    let mut escaped = false;
    for (i, c) in f.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 || (depth == 0 && i + 1 != f.len()) {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Validates `[directories.ldap]`; relative paths are resolved against `base` (the config file's directory).
pub fn validate(src: &SourceFile, f: &FileLdap, base: &Path) -> Result<LdapSettings, Vec<ConfigError>> {
    let mut v = Checker::with_base(src, base);
    let ad = match &f.preset {
        None => false,
        Some(p) if p.get_ref() == "active-directory" => true,
        Some(p) => {
            v.err(p, format!("unknown preset \"{}\": use \"active-directory\" or leave it out", p.get_ref()));
            false
        }
    };
    if f.urls.get_ref().is_empty() {
        v.err(&f.urls, "urls needs at least one server, e.g. [\"ldaps://dc1.kommune.example\"]");
    }
    let mut urls = Vec::new();
    for u in f.urls.get_ref() {
        let parsed = match url::Url::parse(u.get_ref()) {
            Ok(p) if p.host_str().is_some_and(|h| !h.is_empty()) && matches!(p.scheme(), "ldap" | "ldaps") => p,
            _ => {
                v.err(u, format!("\"{}\" is not an ldaps://host[:port] or ldap://host[:port] URL", u.get_ref()));
                continue;
            }
        };
        if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
            v.err(u, "server URLs name only the host and port; put the search base in base_dn");
        }
        if parsed.scheme() == "ldap" && !f.starttls {
            if !f.insecure_plaintext {
                v.err(
                    u,
                    format!(
                        "{} sends passwords in plain text: use ldaps://, or set starttls = true (insecure_plaintext = true is only for tests on loopback)",
                        u.get_ref()
                    ),
                );
            } else if !is_loopback_url(&parsed) {
                v.err(
                    u,
                    format!(
                        "insecure_plaintext is refused for {}: plain LDAP is allowed only to a loopback host",
                        u.get_ref()
                    ),
                );
            }
        }
        if parsed.scheme() == "ldaps" && f.starttls {
            v.err(u, "starttls = true applies to ldap:// URLs; ldaps:// already speaks TLS");
        }
        urls.push(parsed);
    }
    let ca_file = f.ca_file.as_ref().map(|c| {
        let p = v.resolve(c.get_ref());
        match std::fs::read(&p) {
            Ok(bytes) => {
                let certs: Vec<_> = rustls_pemfile::certs(&mut bytes.as_slice()).collect();
                if certs.is_empty() || certs.iter().any(|c| c.is_err()) {
                    v.err(c, format!("{} holds no PEM certificate", p.display()));
                }
            }
            Err(e) => v.err(c, format!("cannot read ca_file {}: {e}", p.display())),
        }
        p
    });
    let bind_password = {
        let p = v.resolve(f.bind_password_file.get_ref());
        match std::fs::read_to_string(&p) {
            Ok(text) if !text.trim_end_matches(['\r', '\n']).is_empty() => {
                Secret::new(text.trim_end_matches(['\r', '\n']))
            }
            Ok(_) => {
                v.err(&f.bind_password_file, format!("{} is empty", p.display()));
                Secret::new("")
            }
            Err(e) => {
                v.err(&f.bind_password_file, format!("cannot read bind_password_file {}: {e}", p.display()));
                Secret::new("")
            }
        }
    };
    for (k, dn) in [("bind_dn", &f.bind_dn), ("base_dn", &f.base_dn)] {
        if !dn.get_ref().contains('=') {
            v.err(dn, format!("{k} \"{}\" is not a DN, e.g. \"DC=kommune,DC=example\"", dn.get_ref()));
        }
    }
    // Disabled AD accounts are found, not hidden: the preset reads userAccountControl's ACCOUNTDISABLE bit, so a
    // disabled user gets the "account disabled" page (after a right password) instead of "wrong password".
    let default_user_filter = if ad { "(&(objectCategory=person)(objectClass=user))" } else { "(objectClass=person)" };
    let user_filter = match &f.user_filter {
        Some(u) => filter(&mut v, u, "user_filter"),
        None => default_user_filter.to_string(),
    };
    let login_attributes = match &f.login_attributes {
        Some(list) if list.is_empty() => {
            v.err_at(Some(f.bind_dn.span()), "login_attributes must name at least one attribute");
            Vec::new()
        }
        Some(list) => list.iter().map(|a| attr(&mut v, &Some(a.clone()), "uid")).collect(),
        None if ad => vec!["sAMAccountName".into(), "userPrincipalName".into(), "mail".into()],
        None => vec!["uid".into()],
    };
    let username_attribute = attr(&mut v, &f.username_attribute, if ad { "sAMAccountName" } else { "uid" });
    let display_name_attribute = attr(&mut v, &f.display_name_attribute, if ad { "displayName" } else { "cn" });
    let mail_attribute = attr(&mut v, &f.mail_attribute, "mail");
    let source = match &f.group_source {
        None => {
            if ad {
                "search"
            } else {
                "member_of"
            }
        }
        Some(s) if s.get_ref() == "member_of" || s.get_ref() == "search" => s.get_ref().as_str(),
        Some(s) => {
            v.err(s, format!("group_source must be \"member_of\" or \"search\", not \"{}\"", s.get_ref()));
            "member_of"
        }
    };
    let nested_groups = f.nested_groups.unwrap_or(ad && source == "search");
    let groups = if source == "search" {
        let filter = match &f.group_filter {
            Some(g) => {
                if !g.get_ref().contains("{dn}") && !g.get_ref().contains("{username}") {
                    v.err(g, "group_filter must contain {dn} or {username}, e.g. \"(member={dn})\"");
                }
                filter(&mut v, g, "group_filter")
            }
            None if ad && nested_groups => format!("(&(objectClass=group)(member:{IN_CHAIN}:={{dn}}))"),
            None if ad => "(&(objectClass=group)(member={dn}))".to_string(),
            None => "(|(member={dn})(uniqueMember={dn}))".to_string(),
        };
        GroupSource::Search {
            base_dn: f
                .group_base_dn
                .as_ref()
                .map(|b| b.get_ref().clone())
                .unwrap_or_else(|| f.base_dn.get_ref().clone()),
            filter,
            name_attribute: attr(&mut v, &f.group_name_attribute, "cn"),
        }
    } else {
        if let Some(b) = &f.group_base_dn {
            v.err(b, "group_base_dn applies to group_source = \"search\"");
        }
        if nested_groups {
            v.err_at(
                f.group_source.as_ref().map(|s| s.span()),
                "nested_groups needs group_source = \"search\" (memberOf lists direct groups only)",
            );
        }
        GroupSource::MemberOf { attribute: attr(&mut v, &f.group_attribute, "memberOf") }
    };
    let group_map = f.group_map.as_ref().map(|m| {
        m.iter()
            .map(|(dn, name)| {
                if !valid_name(name.get_ref()) {
                    v.err(name, format!("group name \"{}\" may only contain a-z, 0-9, '-' and '_'", name.get_ref()));
                }
                (normalize_dn(dn), name.get_ref().clone())
            })
            .collect()
    });
    let pool_size = match &f.pool_size {
        Some(n) if *n.get_ref() == 0 || *n.get_ref() > 64 => {
            v.err(n, "pool_size must be between 1 and 64");
            4
        }
        Some(n) => *n.get_ref(),
        None => 4,
    };
    let password_change_url = f.password_change_url.as_ref().map(|u| {
        if !url::Url::parse(u.get_ref()).is_ok_and(|p| p.scheme() == "https" || p.scheme() == "http") {
            v.err(u, "password_change_url must be an https:// URL");
        }
        u.get_ref().clone()
    });
    let institution_attribute = f.institution_attribute.as_ref().map(|a| attr(&mut v, &Some(a.clone()), "company"));
    let phone_attribute = f.phone_attribute.as_ref().map(|a| attr(&mut v, &Some(a.clone()), "mobile"));
    let (errors, _) = v.finish();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LdapSettings {
        institution_attribute,
        phone_attribute,
        urls,
        starttls: f.starttls,
        ca_file,
        insecure_plaintext: f.insecure_plaintext,
        bind_dn: f.bind_dn.get_ref().clone(),
        bind_password,
        base_dn: f.base_dn.get_ref().clone(),
        user_filter,
        login_attributes,
        username_attribute,
        display_name_attribute,
        mail_attribute,
        groups,
        nested_groups,
        active_directory: ad,
        group_map,
        connect_timeout: f.connect_timeout.map(|d| d.0).unwrap_or(Duration::from_secs(5)),
        timeout: f.timeout.map(|d| d.0).unwrap_or(Duration::from_secs(5)),
        pool_size,
        refresh_interval: f.refresh_interval.map(|d| d.0).unwrap_or(Duration::from_secs(300)),
        password_change_url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, DirectoryKind};

    /// A config with one LDAP directory; `ldap` is the body of `[directories.ldap]`. The password file is created.
    fn load(ldap: &str) -> (tempfile::TempDir, Result<Config, String>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bind-pw"), "s3cret\n").unwrap();
        let text = format!(
            "[[listeners]]\naddress = \"127.0.0.1:8080\"\nredirect_to_https = false\n\n[[directories]]\nname = \"ad\"\nkind = \"ldap\"\n\n[directories.ldap]\n{ldap}"
        );
        let src = SourceFile { path: dir.path().join("t.toml"), text };
        let r = Config::from_source(&src).map_err(|e| e.to_string().replace(&format!("{}/", dir.path().display()), ""));
        (dir, r)
    }

    const AD: &str = "preset = \"active-directory\"\nurls = [\"ldaps://dc1.kommune.example\"]\nbind_dn = \"CN=svc,DC=kommune,DC=example\"\nbind_password_file = \"bind-pw\"\nbase_dn = \"DC=kommune,DC=example\"\n";

    fn ldap_of(c: &Config) -> &LdapSettings {
        match &c.directories[0].kind {
            DirectoryKind::Ldap(s) => s,
            other => panic!("{other:?}"),
        }
    }

    /// The AD preset logs in by sAMAccountName, UPN or mail, finds disabled accounts (their userAccountControl
    /// refuses them, not the filter) and nests groups in the server with the in-chain rule; the password comes
    /// from its file and never prints.
    #[test]
    fn active_directory_preset_defaults() {
        let (_d, c) = load(AD);
        let c = c.unwrap();
        let s = ldap_of(&c);
        assert_eq!(s.login_attributes, ["sAMAccountName", "userPrincipalName", "mail"]);
        assert_eq!(s.username_attribute, "sAMAccountName");
        assert_eq!(s.user_filter, "(&(objectCategory=person)(objectClass=user))");
        assert!(s.nested_groups && s.active_directory);
        match &s.groups {
            GroupSource::Search { filter, .. } => {
                assert_eq!(filter, "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.bind_password.expose(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(s.refresh_interval, Duration::from_secs(300));
    }

    /// `outage_grace` is "8h" by default and "0s" turns it off; more than a week, a bad duration, or the key on a
    /// users file is an error at the key's position.
    #[test]
    fn outage_grace_validated() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bind-pw"), "s3cret\n").unwrap();
        let load = |ad_grace: &str, file_grace: &str| {
            let text = format!(
                "[[listeners]]\naddress = \"127.0.0.1:8080\"\nredirect_to_https = false\n\n\
                 [[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n{file_grace}\n\
                 [[directories]]\nname = \"ad\"\nkind = \"ldap\"\n{ad_grace}\n[directories.ldap]\n{AD}"
            );
            let src = SourceFile { path: dir.path().join("t.toml"), text };
            Config::from_source(&src).map_err(|e| e.to_string().replace(&format!("{}/", dir.path().display()), ""))
        };
        let grace = |c: &Config| c.directories.iter().find(|d| d.name == "ad").unwrap().outage_grace;
        assert_eq!(grace(&load("", "").unwrap()), Duration::from_secs(8 * 3600));
        assert_eq!(grace(&load("outage_grace = \"0s\"", "").unwrap()), Duration::ZERO);
        assert_eq!(grace(&load("outage_grace = \"7d\"", "").unwrap()), Duration::from_secs(7 * 86400));
        let e = load("outage_grace = \"8d\"", "").unwrap_err();
        assert!(e.contains("t.toml:13:16: outage_grace may be at most \"7d\""), "{e}");
        let e = load("outage_grace = \"soon\"", "").unwrap_err();
        assert!(e.contains("t.toml:13:16") && e.contains("invalid duration"), "{e}");
        let e = load("", "outage_grace = \"1h\"").unwrap_err();
        assert!(e.contains("t.toml:9:16: outage_grace is for kind = \"ldap\""), "{e}");
    }

    /// Plain ldap:// is refused unless insecure_plaintext is set, and then only for a loopback host; each error
    /// points at the URL.
    #[test]
    fn plaintext_only_on_loopback() {
        let base = AD.replace("ldaps://dc1.kommune.example", "ldap://dc1.kommune.example");
        let (_d, r) = load(&base);
        let e = r.unwrap_err();
        assert!(e.contains("t.toml:11:9: ldap://dc1.kommune.example sends passwords in plain text"), "{e}");
        let (_d, r) = load(&format!("{base}insecure_plaintext = true\n"));
        let e = r.unwrap_err();
        assert!(e.contains("t.toml:11:9: insecure_plaintext is refused for ldap://dc1.kommune.example"), "{e}");
        let local = AD.replace("ldaps://dc1.kommune.example", "ldap://127.0.0.1:3389");
        assert!(load(&format!("{local}insecure_plaintext = true\n")).1.is_ok());
        let local6 = AD.replace("ldaps://dc1.kommune.example", "ldap://[::1]:3389");
        assert!(load(&format!("{local6}insecure_plaintext = true\n")).1.is_ok());
        assert!(load(&format!("{base}starttls = true\n")).1.is_ok());
    }

    /// A missing password file, a bad URL, an unknown preset and a bad filter are each reported at their key.
    #[test]
    fn errors_have_positions() {
        let text = AD
            .replace("bind-pw", "missing-pw")
            .replace("active-directory", "openldap")
            .replace("ldaps://dc1.kommune.example", "https://dc1")
            + "user_filter = \"objectClass=user\"\n";
        let (_d, r) = load(&text);
        let e = r.unwrap_err();
        assert!(e.contains("t.toml:10:10: unknown preset \"openldap\""), "{e}");
        assert!(e.contains("t.toml:11:9: \"https://dc1\" is not an ldaps://"), "{e}");
        assert!(e.contains("t.toml:13:22: cannot read bind_password_file"), "{e}");
        assert!(e.contains("t.toml:15:15: user_filter \"objectClass=user\" is not an LDAP filter"), "{e}");
    }

    /// DNs compare without case and spaces around separators; escaped characters keep their meaning.
    #[test]
    fn dn_normalisation() {
        assert_eq!(normalize_dn("CN=Payroll, OU=Groups ,DC=Kommune"), "cn=payroll,ou=groups,dc=kommune");
        assert_eq!(normalize_dn("cn=a\\, b,dc=x"), "cn=a\\, b,dc=x");
    }

    /// The filter check accepts one parenthesised expression and refuses the rest.
    #[test]
    fn filter_shapes() {
        assert!(balanced_filter("(objectClass=person)"));
        assert!(balanced_filter("(&(a=b)(!(c=\\29)))"));
        assert!(!balanced_filter("objectClass=person"));
        assert!(!balanced_filter("(a=b)(c=d)"));
        assert!(!balanced_filter("((a=b)"));
    }
}
