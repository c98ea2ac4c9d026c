//! Who a user is, below every service that asks: the [`User`] a directory answers with, the [`AccountId`] that
//! stores key accounts by, and the [`Institution`]s (the `[[institutions]]` section) accounts belong to.

use crate::config::error::{ConfigError, SourceFile};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use toml::Spanned;

/// A user as the gateway knows them after login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name, lower case.
    pub username: String,
    /// Name shown on pages.
    pub display_name: String,
    /// Municipal e-mail address.
    pub email: Option<String>,
    /// Groups the user belongs to.
    pub groups: Vec<String>,
    /// The directory (realm) the user came from.
    pub realm: String,
    /// The user's institution: from the directory entry, else the one `[[institutions]]` entry for the realm.
    pub institution: Option<String>,
    /// Mobile numbers from the directory entry as written there (LDAP `phone_attribute`), for SMS codes.
    pub phones: Vec<String>,
}

/// An account: a username within a directory (realm). Stores, bans and session indexes key accounts by
/// [`AccountId::key`], `realm:username`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId {
    /// The directory (realm) the account is in.
    pub realm: String,
    /// Login name, lower case.
    pub username: String,
}

impl AccountId {
    /// The account `username` in `realm`.
    pub fn new(realm: &str, username: &str) -> AccountId {
        AccountId { realm: realm.to_string(), username: username.to_string() }
    }

    /// The store key, `realm:username`.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// Reads a store key back; the realm is everything before the first `:` (realm names have none).
    pub fn parse(key: &str) -> Option<AccountId> {
        let (realm, username) = key.split_once(':')?;
        Some(AccountId::new(realm, username))
    }

    /// Reads a store key back where one is expected to be well formed: a key without `:` (none is ever written)
    /// names that username in no realm, which no directory has, so it finds no account rather than failing.
    pub fn from_key(key: &str) -> AccountId {
        AccountId::parse(key).unwrap_or_else(|| AccountId::new("", key))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.realm, self.username)
    }
}

/// One `[[institutions]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInstitution {
    /// Short name.
    pub name: Spanned<String>,
    /// Shown on pages.
    pub title: Option<String>,
    /// E-mail domains that count as this institution's own (none: the institution is only a policy and header
    /// label, and its accounts cannot link an eID by e-mail).
    #[serde(default)]
    pub email_domains: Vec<Spanned<String>>,
    /// Directories (realms) whose accounts belong to it; default: all.
    pub directories: Option<Vec<Spanned<String>>>,
}

/// A validated institution.
#[derive(Debug, Clone)]
pub struct Institution {
    /// Short name.
    pub name: String,
    /// Shown on pages.
    pub title: String,
    /// Lower-case e-mail domains.
    pub email_domains: Vec<String>,
    /// Realms; empty means all.
    pub directories: Vec<String>,
}

impl Institution {
    /// Whether accounts of `realm` belong to this institution.
    pub fn has_realm(&self, realm: &str) -> bool {
        self.directories.is_empty() || self.directories.iter().any(|d| d == realm)
    }

    /// Whether `domain` (lower case) is one of its own.
    pub fn has_domain(&self, domain: &str) -> bool {
        self.email_domains.iter().any(|d| d == domain)
    }
}

/// Validates `[[institutions]]` against the directory names.
pub fn validate_institutions(
    src: &SourceFile,
    list: &[FileInstitution],
    realms: &HashSet<String>,
) -> Result<Vec<Institution>, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let mut out: Vec<Institution> = Vec::new();
    let mut seen_domains: HashSet<String> = HashSet::new();
    for i in list {
        let name = i.name.get_ref().clone();
        if out.iter().any(|o| o.name == name) {
            errors.push(src.error_at(Some(i.name.span()), format!("institution \"{name}\" is defined twice")));
        }
        let mut domains = Vec::new();
        for d in &i.email_domains {
            let v = d.get_ref().trim().to_ascii_lowercase();
            let ok = !v.is_empty()
                && v.contains('.')
                && !v.starts_with('.')
                && !v.ends_with('.')
                && v.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.');
            if !ok {
                errors.push(src.error_at(Some(d.span()), format!("\"{}\" is not an e-mail domain", d.get_ref())));
                continue;
            }
            if !seen_domains.insert(v.clone()) {
                errors.push(src.error_at(Some(d.span()), format!("domain \"{v}\" is listed twice")));
            }
            domains.push(v);
        }
        let mut directories = Vec::new();
        for d in i.directories.iter().flatten() {
            if !realms.contains(d.get_ref()) {
                errors.push(src.error_at(Some(d.span()), format!("unknown directory \"{}\"", d.get_ref())));
            }
            directories.push(d.get_ref().clone());
        }
        out.push(Institution {
            title: i.title.clone().unwrap_or_else(|| name.clone()),
            name,
            email_domains: domains,
            directories,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An account key is `realm:username` and reads back to the same account, also when the username holds a `:`.
    #[test]
    fn account_key_round_trip() {
        let a = AccountId::new("staff", "anna");
        assert_eq!(a.key(), "staff:anna");
        assert_eq!(AccountId::parse("staff:anna"), Some(a));
        assert_eq!(AccountId::parse("staff:a:b"), Some(AccountId::new("staff", "a:b")));
        assert_eq!(AccountId::parse("nocolon"), None);
        assert_eq!(AccountId::from_key("staff:a:b"), AccountId::new("staff", "a:b"));
        assert_eq!(AccountId::from_key("nocolon"), AccountId::new("", "nocolon"));
    }
}
