//! The `[assertion]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::Checker;
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

/// `[assertion]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAssertion {
    /// `iss` claim.
    pub issuer: Option<String>,
    /// PKCS#8 PEM P-256 key; generated at start when absent.
    pub key_file: Option<Spanned<String>>,
    /// Token lifetime.
    pub lifetime: Option<ConfigDuration>,
}

/// Assertion settings.
#[derive(Debug, Clone)]
pub struct AssertionSettings {
    /// `iss` claim.
    pub issuer: String,
    /// Signing key file; `None` means a key generated at start.
    pub key_file: Option<PathBuf>,
    /// Token lifetime.
    pub lifetime: Duration,
}

/// `[assertion]`: the issuer (default: the public URL, else "portvakt"), a signing key file that holds a PKCS#8
/// P-256 key, the token lifetime (default 60 s).
pub fn validate(c: &mut Checker<'_>, a: &FileAssertion, public_url: Option<&url::Url>) -> AssertionSettings {
    AssertionSettings {
        issuer: a
            .issuer
            .clone()
            .or_else(|| public_url.map(|u| u.as_str().trim_end_matches('/').to_string()))
            .unwrap_or_else(|| "portvakt".to_string()),
        key_file: a.key_file.as_ref().map(|k| {
            let p = c.resolve(k.get_ref());
            match std::fs::read_to_string(&p) {
                Ok(pem) => {
                    if super::SigningKey::from_pem(&pem).is_err() {
                        c.err(k, format!("{} is not a PKCS#8 PEM P-256 (ES256) private key", p.display()));
                    }
                }
                Err(e) => c.err(k, format!("cannot read assertion key {}: {e}", p.display())),
            }
            p
        }),
        lifetime: a.lifetime.map(|d| d.0).unwrap_or(Duration::from_secs(60)),
    }
}
