//! The `[accounts]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::Checker;
use crate::phone::Region;
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
    /// Country whose numbering plan national numbers are read in on English pages, e.g. "SE".
    pub default_region: Option<Spanned<String>>,
    /// Older form of `default_region`: the country's calling code, e.g. "+46".
    pub default_country: Option<Spanned<String>>,
}

/// Where accounts are stored and who may register numbers.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Account store file.
    pub path: PathBuf,
    /// Zones from which numbers may be registered.
    pub phone_zones: Vec<String>,
    /// The country national numbers are read in where the page's language names none (English), and numbers
    /// from the directory.
    pub default_region: crate::phone::Region,
}

/// `[accounts]`: the store path beside the config file, phone zones that exist, a country with a numbering plan
/// (`default_region = "SE"`, or the older `default_country = "+46"`).
pub fn validate(c: &mut Checker<'_>, a: &FileAccounts, zones: &HashSet<String>) -> AccountSettings {
    let path = match &a.path {
        Some(p) => c.resolve(p.get_ref()),
        None => PathBuf::from("/var/lib/portvakt/accounts.json"),
    };
    let (phone_zones, errors) = crate::zones::config::zone_list(c.src(), a.phone_zones.as_deref(), zones);
    c.extend(errors);
    let from_prefix = a.default_country.as_ref().and_then(|dc| {
        let region = Region::from_prefix(dc.get_ref());
        if region.is_none() {
            c.err(
                dc,
                format!(
                    "default_country \"{}\" is no country's calling code; write default_region = \"SE\" (or \"NO\", \"DK\")",
                    dc.get_ref()
                ),
            );
        }
        region
    });
    let default_region = match &a.default_region {
        Some(dr) => match Region::from_code(dr.get_ref()) {
            Some(r) => {
                if let (Some(dc), Some(p)) = (&a.default_country, from_prefix) {
                    if p != r {
                        c.err(
                            dc,
                            format!(
                                "default_country \"{}\" is not the country of default_region \"{}\"; remove default_country",
                                dc.get_ref(),
                                dr.get_ref()
                            ),
                        );
                    }
                }
                r
            }
            None => {
                c.err(
                    dr,
                    format!(
                        "default_region \"{}\" is not a country code with a numbering plan, like \"SE\", \"NO\" or \"DK\"",
                        dr.get_ref()
                    ),
                );
                Region::SE
            }
        },
        None => from_prefix.unwrap_or(Region::SE),
    };
    AccountSettings { path, phone_zones, default_region }
}
