//! The `[eid]` and `[[institutions]]` tables: OpenID Providers for eID login, and the municipal e-mail domains that
//! linking accepts. Validated at load like every other section, each problem at its file, line and key.

use crate::config::check::{is_loopback_url, Checker};
use crate::config::duration::ConfigDuration;
use crate::config::error::{ConfigError, SourceFile};
use crate::config::secret::Secret;
use crate::methods::Assurance;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// Timeout of calls to a provider: default, least and most.
const PROVIDER_TIMEOUT: (Duration, Duration, Duration) =
    (Duration::from_secs(10), Duration::from_secs(1), Duration::from_secs(60));

/// `[eid]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEid {
    /// Zones from which a first eID login may be linked (without policy files); default: every configured zone.
    pub link_zones: Option<Vec<Spanned<String>>>,
    /// How long a started eID login may take before its callback is refused.
    pub flow_lifetime: Option<Spanned<ConfigDuration>>,
    /// The providers.
    #[serde(default)]
    pub providers: Vec<FileProvider>,
}

/// One `[[eid.providers]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileProvider {
    /// Short name, used in URLs and the account store.
    pub name: Spanned<String>,
    /// Button label, e.g. "ID-porten".
    pub title: Option<String>,
    /// Issuer URL; discovery reads `{issuer}/.well-known/openid-configuration`.
    pub issuer: Spanned<String>,
    /// Client ID registered at the provider.
    pub client_id: Spanned<String>,
    /// `client_secret_basic` (default), `client_secret_post` or `private_key_jwt`.
    pub client_auth: Option<Spanned<String>>,
    /// Client secret, inline.
    pub client_secret: Option<Spanned<Secret>>,
    /// Client secret, from a file.
    pub client_secret_file: Option<Spanned<String>>,
    /// PKCS#8 PEM P-256 key for `private_key_jwt` (ES256).
    pub private_key: Option<Spanned<String>>,
    /// Key ID registered with the provider for `private_key`.
    pub key_id: Option<Spanned<String>>,
    /// Scopes; default `["openid", "profile"]`.
    pub scopes: Option<Vec<Spanned<String>>>,
    /// Accepted `acr` values and the assurance each gives.
    pub acr: Option<BTreeMap<String, Spanned<String>>>,
    /// `acr_values` to request: the least one is the minimum accepted. Default: the lowest in `acr`.
    pub acr_values: Option<Vec<Spanned<String>>>,
    /// The claim that identifies the person; default `pid` (ID-porten's national identity number).
    pub person_claim: Option<Spanned<String>>,
    /// Use pushed authorization requests (RFC 9126); the provider must advertise the endpoint.
    pub pushed_authorization: Option<bool>,
    /// End the provider's session at logout when it has an `end_session_endpoint` (default true).
    pub end_session: Option<bool>,
    /// Timeout of each call to the provider.
    pub timeout: Option<Spanned<ConfigDuration>>,
    /// Extra PEM CA certificate(s) to trust for the provider (private CAs, tests).
    pub ca_file: Option<Spanned<String>>,
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

/// How Portvakt authenticates itself at a provider's token endpoint.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// HTTP Basic with the client secret.
    SecretBasic(Secret),
    /// Client ID and secret in the form body.
    SecretPost(Secret),
    /// A client assertion signed with our key (RFC 7523).
    PrivateKeyJwt(crate::assertion::SigningKey),
}

impl ClientAuth {
    /// The name used in config and discovery.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClientAuth::SecretBasic(_) => "client_secret_basic",
            ClientAuth::SecretPost(_) => "client_secret_post",
            ClientAuth::PrivateKeyJwt(_) => "private_key_jwt",
        }
    }
}

/// A validated provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Short name.
    pub name: String,
    /// Button label.
    pub title: String,
    /// Issuer URL exactly as configured (and as the provider must state it).
    pub issuer: String,
    /// Client ID.
    pub client_id: String,
    /// Client authentication.
    pub client_auth: ClientAuth,
    /// Scopes requested.
    pub scopes: Vec<String>,
    /// Accepted `acr` values with their assurance.
    pub acr: BTreeMap<String, Assurance>,
    /// `acr_values` requested.
    pub acr_values: Vec<String>,
    /// The least assurance accepted back.
    pub min_assurance: Assurance,
    /// Claim identifying the person.
    pub person_claim: String,
    /// Whether to push authorization requests.
    pub pushed_authorization: bool,
    /// Whether to end the provider's session at logout.
    pub end_session: bool,
    /// Timeout per call.
    pub timeout: Duration,
    /// Extra CA file to trust.
    pub ca_file: Option<std::path::PathBuf>,
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

/// The validated `[eid]` table.
#[derive(Debug, Clone, Default)]
pub struct EidSettings {
    /// Providers, in button order.
    pub providers: Vec<ProviderSettings>,
    /// Zones from which linking is allowed when no policy files are used.
    pub link_zones: Vec<String>,
    /// How long a started login may take.
    pub flow_lifetime: Duration,
}

impl EidSettings {
    /// The provider with this name.
    pub fn provider(&self, name: &str) -> Option<&ProviderSettings> {
        self.providers.iter().find(|p| p.name == name)
    }
}

/// Whether an issuer or endpoint URL may be used: https, or http only to a loopback host.
pub fn acceptable_url(u: &url::Url) -> bool {
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => is_loopback_url(u),
        _ => false,
    }
}

/// Validates `[eid]`; `zones` are every zone name, `realms` every directory name.
pub fn validate_eid(
    src: &SourceFile,
    f: &FileEid,
    base_dir: &Path,
    zones: &HashSet<String>,
    has_public_url: bool,
) -> Result<EidSettings, Vec<ConfigError>> {
    let mut c = Checker::with_base(src, base_dir);
    let mut providers: Vec<ProviderSettings> = Vec::new();
    for p in &f.providers {
        if let Some(ps) = provider(&mut c, p) {
            if providers.iter().any(|q| q.name == ps.name) {
                c.err(&p.name, format!("provider \"{}\" is defined twice", ps.name));
            }
            providers.push(ps);
        }
    }
    if !f.providers.is_empty() && !has_public_url {
        if let Some(p) = f.providers.first() {
            c.err(
                &p.name,
                "eID needs [server] public_url: the callback URL registered at the provider is built from it",
            );
        }
    }
    let (link_zones, errors) = crate::zones::config::zone_list(src, f.link_zones.as_deref(), zones);
    c.extend(errors);
    let flow_lifetime = match &f.flow_lifetime {
        None => Duration::from_secs(600),
        Some(d) => {
            let v = d.get_ref().0;
            if v < Duration::from_secs(60) || v > Duration::from_secs(3600) {
                c.err(d, "flow_lifetime must be between 1m and 1h: the user logs in at the provider meanwhile");
            }
            v
        }
    };
    let (errors, _) = c.finish();
    if errors.is_empty() {
        Ok(EidSettings { providers, link_zones, flow_lifetime })
    } else {
        Err(errors)
    }
}

fn provider(c: &mut Checker<'_>, p: &FileProvider) -> Option<ProviderSettings> {
    let name = p.name.get_ref().clone();
    if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-') {
        c.err(&p.name, "provider name must be lower-case letters, digits and '-', e.g. \"idporten\"");
    }
    // Exactly as written: the provider's `iss` must match it character for character.
    let issuer = p.issuer.get_ref().clone();
    match url::Url::parse(p.issuer.get_ref()) {
        Ok(u) if acceptable_url(&u) && u.query().is_none() && u.fragment().is_none() => {}
        Ok(_) => c.err(&p.issuer, "issuer must be an https URL without query or fragment (http only for loopback)"),
        Err(e) => c.err(&p.issuer, format!("issuer is not a URL: {e}")),
    }
    if p.client_id.get_ref().is_empty() {
        c.err(&p.client_id, "client_id is empty");
    }
    let secret = c.secret(&p.client_secret, &p.client_secret_file, "client_secret");
    let method = p.client_auth.as_ref().map(|m| m.get_ref().as_str()).unwrap_or("client_secret_basic");
    let at = p.client_auth.as_ref().map(|m| m.span()).unwrap_or(p.client_id.span());
    let here = |c: &mut Checker<'_>, msg: String| c.err_at(Some(at.clone()), msg);
    let client_auth = match method {
        "client_secret_basic" | "client_secret_post" => {
            if let Some(k) = &p.private_key {
                c.err(k, format!("`private_key` is only used with client_auth = \"private_key_jwt\", not {method}"));
            }
            match secret {
                Some(Some(s)) if method == "client_secret_basic" => Some(ClientAuth::SecretBasic(s)),
                Some(Some(s)) => Some(ClientAuth::SecretPost(s)),
                Some(None) => {
                    here(c, format!("client_auth = \"{method}\" needs `client_secret` or `client_secret_file`"));
                    None
                }
                None => None,
            }
        }
        "private_key_jwt" => {
            if matches!(secret, Some(Some(_))) {
                here(c, "client_auth = \"private_key_jwt\" signs with `private_key`; remove the client secret".into());
            }
            match &p.private_key {
                None => {
                    here(c, "client_auth = \"private_key_jwt\" needs `private_key` (a PKCS#8 PEM P-256 key)".into());
                    None
                }
                Some(k) => {
                    let path = c.resolve(k.get_ref());
                    match std::fs::read_to_string(&path) {
                        Ok(pem) => match crate::assertion::SigningKey::from_pem(&pem) {
                            Ok(key) => Some(ClientAuth::PrivateKeyJwt(match &p.key_id {
                                Some(kid) => key.with_kid(kid.get_ref()),
                                None => key,
                            })),
                            Err(_) => {
                                c.err(k, format!("{} is not a PKCS#8 PEM P-256 (ES256) private key", path.display()));
                                None
                            }
                        },
                        Err(e) => {
                            c.err(k, format!("cannot read {}: {e}", path.display()));
                            None
                        }
                    }
                }
            }
        }
        other => {
            here(
                c,
                format!(
                    "unknown client_auth \"{other}\": use \"client_secret_basic\", \"client_secret_post\" or \"private_key_jwt\""
                ),
            );
            None
        }
    };
    let scopes: Vec<String> = match &p.scopes {
        None => vec!["openid".into(), "profile".into()],
        Some(v) => {
            let s: Vec<String> = v.iter().map(|s| s.get_ref().clone()).collect();
            if !s.iter().any(|s| s == "openid") {
                if let Some(first) = v.first() {
                    c.err(first, "scopes must include \"openid\"");
                } else {
                    c.err(&p.name, "scopes must include \"openid\"");
                }
            }
            s
        }
    };
    let mut acr = BTreeMap::new();
    match &p.acr {
        None => {
            acr.insert("idporten-loa-substantial".to_string(), Assurance::Substantial);
            acr.insert("idporten-loa-high".to_string(), Assurance::High);
        }
        Some(m) => {
            for (k, v) in m {
                match Assurance::parse(v.get_ref()) {
                    Some(a) => {
                        acr.insert(k.clone(), a);
                    }
                    None => c.err(v, format!("assurance \"{}\" is not low, substantial or high", v.get_ref())),
                }
            }
            if m.is_empty() {
                c.err(&p.name, "acr must map at least one acr value to an assurance");
            }
        }
    }
    let acr_values: Vec<String> = match &p.acr_values {
        None => acr.iter().min_by_key(|(_, a)| **a).map(|(k, _)| vec![k.clone()]).unwrap_or_default(),
        Some(v) => v
            .iter()
            .filter_map(|a| {
                if !acr.contains_key(a.get_ref()) {
                    c.err(a, format!("acr value \"{}\" is not in this provider's `acr` table", a.get_ref()));
                    return None;
                }
                Some(a.get_ref().clone())
            })
            .collect(),
    };
    let min_assurance = acr_values.iter().filter_map(|a| acr.get(a)).min().copied().unwrap_or(Assurance::Low);
    let person_claim = p.person_claim.as_ref().map(|s| s.get_ref().clone()).unwrap_or_else(|| "pid".into());
    if ["sub", "iss", "aud", "exp", "iat", "nonce"].contains(&person_claim.as_str()) {
        if let Some(pc) = &p.person_claim {
            c.err(pc, "person_claim must name the person's national identifier (e.g. \"pid\"), not a token claim");
        }
    }
    let timeout = c.timeout(&p.timeout, PROVIDER_TIMEOUT, "a login waits on the provider");
    let ca_file = p.ca_file.as_ref().and_then(|ca| c.ca_file(ca));
    Some(ProviderSettings {
        title: p.title.clone().unwrap_or_else(|| name.clone()),
        name,
        issuer,
        client_id: p.client_id.get_ref().clone(),
        client_auth: client_auth?,
        scopes,
        acr,
        acr_values,
        min_assurance,
        person_claim,
        pushed_authorization: p.pushed_authorization.unwrap_or(false),
        end_session: p.end_session.unwrap_or(true),
        timeout,
        ca_file,
    })
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
    use crate::config::error::SourceFile;
    use crate::config::Config;
    use crate::methods::Assurance;

    fn load(text: &str) -> Result<Config, String> {
        Config::from_source(&SourceFile { path: "t.toml".into(), text: text.into() }).map_err(|e| e.to_string())
    }

    const BASE: &str = r#"[server]
public_url = "https://portal.kommune.example"

[[listeners]]
address = "127.0.0.1:8080"
redirect_to_https = false

[[directories]]
name = "staff"
kind = "file"
path = "users.toml"

[email]
kind = "log"

[[institutions]]
name = "kommune"
email_domains = ["kommune.example"]
"#;

    /// A provider with defaults: ID-porten's acr values, `pid`, substantial requested, secret_basic.
    #[test]
    fn defaults() {
        let c = load(&format!(
            "{BASE}\n[[eid.providers]]\nname = \"idporten\"\nissuer = \"https://idporten.no\"\nclient_id = \"c\"\nclient_secret = \"s\"\n"
        ))
        .unwrap();
        let p = &c.eid.providers[0];
        assert_eq!(p.person_claim, "pid");
        assert_eq!(p.acr_values, vec!["idporten-loa-substantial"]);
        assert_eq!(p.min_assurance, Assurance::Substantial);
        assert_eq!(p.client_auth.as_str(), "client_secret_basic");
        assert_eq!(p.scopes, vec!["openid", "profile"]);
        assert!(c.eid.link_zones.is_empty(), "no configured zones: linking from nowhere until one is configured");
        assert!(c.institutions[0].has_domain("kommune.example"));
    }

    /// Each mistake is reported at its line: plain-http issuer, unknown client_auth, missing secret, an acr value
    /// outside the table, an unknown link zone.
    #[test]
    fn mistakes_are_positioned() {
        let text = format!(
            "{BASE}\n[eid]\nlink_zones = [\"intranet\"]\n\n[[eid.providers]]\nname = \"idporten\"\nissuer = \"http://idporten.no\"\nclient_id = \"c\"\nclient_auth = \"client_secret_jwt\"\n\n[[eid.providers]]\nname = \"broker\"\nissuer = \"https://broker.example\"\nclient_id = \"c\"\nacr_values = [\"loa-3\"]\n"
        );
        let e = load(&text).unwrap_err();
        assert!(e.contains("t.toml:21:15: unknown zone \"intranet\""), "{e}");
        assert!(e.contains("t.toml:25:10: issuer must be an https URL"), "{e}");
        assert!(e.contains("t.toml:27:15: unknown client_auth \"client_secret_jwt\""), "{e}");
        assert!(e.contains("t.toml:32:13: client_auth = \"client_secret_basic\" needs `client_secret`"), "{e}");
        assert!(e.contains("t.toml:33:15: acr value \"loa-3\" is not in this provider's `acr` table"), "{e}");
    }

    /// eID needs a public URL, institutions and e-mail; private_key_jwt needs a readable P-256 key.
    #[test]
    fn prerequisites() {
        let provider = "\n[[eid.providers]]\nname = \"idporten\"\nissuer = \"https://idporten.no\"\nclient_id = \"c\"\nclient_auth = \"private_key_jwt\"\nprivate_key = \"/nonexistent/key.pem\"\n";
        let bare = "[[listeners]]\naddress = \"127.0.0.1:8080\"\nredirect_to_https = false\n";
        let e = load(&format!("{bare}{provider}")).unwrap_err();
        assert!(e.contains("eID needs [server] public_url"), "{e}");
        assert!(e.contains("at least one [[institutions]] entry"), "{e}");
        assert!(e.contains("configure [email]"), "{e}");
        assert!(e.contains("cannot read /nonexistent/key.pem"), "{e}");
    }
}
