//! The `[accounts]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::Checker;
use serde::Deserialize;
use std::collections::HashSet;
use std::path::PathBuf;
use toml::Spanned;

/// `[accounts]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAccounts {
    /// Account store file.
    pub path: Option<Spanned<String>>,
    /// Zones from which numbers may be registered.
    pub phone_zones: Option<Vec<Spanned<String>>>,
    /// Country prefix for national numbers, e.g. "+46".
    pub default_country: Option<Spanned<String>>,
}

/// Where accounts are stored and who may register numbers.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Account store file.
    pub path: PathBuf,
    /// Zones from which numbers may be registered.
    pub phone_zones: Vec<String>,
    /// Country prefix for national numbers.
    pub default_country: String,
}

/// `[accounts]`: the store path beside the config file, phone zones that exist, a country prefix like "+46".
pub fn validate(c: &mut Checker<'_>, a: &FileAccounts, zones: &HashSet<String>) -> AccountSettings {
    let path = match &a.path {
        Some(p) => c.resolve(p.get_ref()),
        None => PathBuf::from("/var/lib/portvakt/accounts.json"),
    };
    let (phone_zones, errors) = crate::zones::config::zone_list(c.src(), a.phone_zones.as_deref(), zones);
    c.extend(errors);
    let default_country = match &a.default_country {
        Some(dc) => {
            let ok = dc.get_ref().starts_with('+')
                && dc.get_ref().len() >= 2
                && dc.get_ref().chars().skip(1).all(|ch| ch.is_ascii_digit());
            if !ok {
                c.err(dc, "default_country must be a prefix like \"+46\"");
            }
            dc.get_ref().clone()
        }
        None => "+46".to_string(),
    };
    AccountSettings { path, phone_zones, default_country }
}
