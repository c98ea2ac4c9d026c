//! The `[eid]` and `[[institutions]]` tables: OpenID Providers for eID login, and the municipal e-mail domains that
//! linking accepts. Validated at load like every other section, each problem at its file, line and key.

use crate::config::check::{is_loopback_url, Checker};
use crate::config::duration::ConfigDuration;
use crate::config::error::{ConfigError, SourceFile};
use crate::config::secret::Secret;
pub use crate::identity::{validate_institutions, FileInstitution, Institution};
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

/// A claim as written: a top-level claim name, or a path into nested claim objects.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FileClaim {
    /// `"pid"`: the top-level claim of that name, taken whole (dots and slashes included).
    Name(String),
    /// `["person", "ssn"]`: the `ssn` member of the `person` claim object.
    Path(Vec<String>),
}

/// One `[[eid.providers]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileProvider {
    /// Short name, used in URLs and the account store.
    pub name: Spanned<String>,
    /// `idporten` (default), `entra-id`, `broker` or `generic`: the defaults and checks that apply.
    pub profile: Option<Spanned<String>>,
    /// Button label, e.g. "ID-porten".
    pub title: Option<String>,
    /// Button label per page language (`sv`, `nb`, `nn`, `da`, `en`); `title` for the others.
    pub titles: Option<BTreeMap<String, Spanned<String>>>,
    /// Zones from which this provider may be used (button shown, login accepted); default: every zone.
    pub zones: Option<Vec<Spanned<String>>>,
    /// The highest assurance a login at this provider may reach, whatever it claims (default `high`).
    pub max_assurance: Option<Spanned<String>>,
    /// Issuer URL; discovery reads `{issuer}/.well-known/openid-configuration`. Derived for `entra-id`.
    pub issuer: Option<Spanned<String>>,
    /// `entra-id`: the tenant ID (a GUID); issuer and keys are derived from it and `tid` must match it.
    pub tenant_id: Option<Spanned<String>>,
    /// `entra-id`: the login host, default `https://login.microsoftonline.com` (sovereign clouds differ).
    pub authority: Option<Spanned<String>>,
    /// `entra-id`: the claim (`person_claim`) names the directory account itself; no e-mail-code link.
    pub trust_directory_mapping: Option<Spanned<bool>>,
    /// `entra-id` with `trust_directory_mapping`: the directory (realm) the accounts are looked up in.
    pub directory: Option<Spanned<String>>,
    /// `entra-id`: assurance of a login (Entra ID sends no `acr`).
    pub assurance: Option<Spanned<String>>,
    /// `entra-id`: assurance of a login whose `amr` contains `mfa` (default: `assurance`).
    pub mfa_assurance: Option<Spanned<String>>,
    /// `broker`/`generic`: query parameters of `/.portvakt/eid/start` passed on to the provider (e.g.
    /// `login_hint`, a country selection).
    pub pass_through: Option<Vec<Spanned<String>>>,
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
    /// The claim that identifies the person: a name, or a path `["person", "ssn"]` into nested claims; default
    /// `pid` (ID-porten's national identity number), `oid` for `entra-id`.
    pub person_claim: Option<Spanned<FileClaim>>,
    /// Use pushed authorization requests (RFC 9126); the provider must advertise the endpoint.
    pub pushed_authorization: Option<bool>,
    /// End the provider's session at logout when it has an `end_session_endpoint` (default true).
    pub end_session: Option<bool>,
    /// Timeout of each call to the provider.
    pub timeout: Option<Spanned<ConfigDuration>>,
    /// Extra PEM CA certificate(s) to trust for the provider (private CAs, tests).
    pub ca_file: Option<Spanned<String>>,
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

/// Which kind of provider an entry is: the defaults and checks that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Norway's ID-porten: `pid`, `idporten-loa-*`, `acr` required.
    IdPorten,
    /// Microsoft Entra ID, single tenant: no `acr`, assurance from config and `amr`, `tid` checked.
    EntraId,
    /// An OIDC broker for national eIDs (BankID, Freja, MitID): acr table and person claim path required.
    Broker,
    /// Any other OpenID Provider: acr table and person claim required, no defaults.
    Generic,
}

impl Profile {
    /// The name used in config.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::IdPorten => "idporten",
            Profile::EntraId => "entra-id",
            Profile::Broker => "broker",
            Profile::Generic => "generic",
        }
    }
}

/// `entra-id`: what a login's claims are checked against and how its assurance is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraSettings {
    /// The tenant ID, lower case; the token's `tid` must equal it.
    pub tenant_id: String,
    /// Prefix the discovered `jwks_uri` must have: `{authority}/{tenant_id}/`.
    pub keys_prefix: String,
    /// Assurance of a login without `mfa` in `amr`.
    pub assurance: Assurance,
    /// Assurance of a login with `mfa` in `amr`.
    pub mfa_assurance: Assurance,
    /// The directory (realm) `person_claim` names an account in, when the mapping is trusted.
    pub directory: Option<String>,
}

/// The language codes a button label may be given for.
pub const TITLE_LANGUAGES: [&str; 5] = ["sv", "nb", "nn", "da", "en"];

/// Authorization request parameters that Portvakt sets itself and `pass_through` may not name.
const RESERVED_PARAMS: [&str; 17] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "acr_values",
    "ui_locales",
    "prompt",
    "max_age",
    "request",
    "request_uri",
    "response_mode",
    "claims",
    "id_token_hint",
];

/// A validated provider.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Short name.
    pub name: String,
    /// Its profile.
    pub profile: Profile,
    /// Button label.
    pub title: String,
    /// Button label per language code.
    pub titles: BTreeMap<String, String>,
    /// Zones it may be used from; empty: all.
    pub zones: Vec<String>,
    /// Assurance never exceeds this.
    pub max_assurance: Assurance,
    /// `entra-id` settings.
    pub entra: Option<EntraSettings>,
    /// Start-URL query parameters passed on to the authorization request.
    pub pass_through: Vec<String>,
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
    /// Claim identifying the person: a path of member names (one for a top-level claim).
    pub person_claim: Vec<String>,
    /// Whether to push authorization requests.
    pub pushed_authorization: bool,
    /// Whether to end the provider's session at logout.
    pub end_session: bool,
    /// Timeout per call.
    pub timeout: Duration,
    /// Extra CA file to trust.
    pub ca_file: Option<std::path::PathBuf>,
}

impl ProviderSettings {
    /// The button label in language `lang` (a code such as "nb").
    pub fn title_in(&self, lang: &str) -> &str {
        self.titles.get(lang).map(String::as_str).unwrap_or(&self.title)
    }

    /// Whether the provider may be used from `zone`.
    pub fn usable_in(&self, zone: &str) -> bool {
        self.zones.is_empty() || self.zones.iter().any(|z| z == zone)
    }

    /// The person claim as written in config and messages: `pid`, or `person.ssn` for a path.
    pub fn person_claim_label(&self) -> String {
        self.person_claim.join(".")
    }

    /// Whether a login's claim names the directory account itself (`entra-id` with `trust_directory_mapping`).
    pub fn maps_directly(&self) -> Option<&str> {
        self.entra.as_ref().and_then(|e| e.directory.as_deref())
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
    realms: &HashSet<String>,
    has_public_url: bool,
) -> Result<EidSettings, Vec<ConfigError>> {
    let mut c = Checker::with_base(src, base_dir);
    let mut providers: Vec<ProviderSettings> = Vec::new();
    for p in &f.providers {
        if let Some(ps) = provider(&mut c, p, zones, realms) {
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

fn provider(
    c: &mut Checker<'_>,
    p: &FileProvider,
    zones: &HashSet<String>,
    realms: &HashSet<String>,
) -> Option<ProviderSettings> {
    let name = p.name.get_ref().clone();
    if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-') {
        c.err(&p.name, "provider name must be lower-case letters, digits and '-', e.g. \"idporten\"");
    }
    let profile = match p.profile.as_ref().map(|s| s.get_ref().as_str()) {
        None | Some("idporten") => Profile::IdPorten,
        Some("entra-id") => Profile::EntraId,
        Some("broker") => Profile::Broker,
        Some("generic") => Profile::Generic,
        Some(other) => {
            if let Some(at) = &p.profile {
                c.err(
                    at,
                    format!("unknown profile \"{other}\": use \"idporten\", \"entra-id\", \"broker\" or \"generic\""),
                );
            }
            return None;
        }
    };
    let only_entra = |c: &mut Checker<'_>, v: Option<std::ops::Range<usize>>, key: &str| {
        if v.is_some() && profile != Profile::EntraId {
            c.err_at(v, format!("`{key}` belongs to profile = \"entra-id\", not \"{}\"", profile.as_str()));
        }
    };
    only_entra(c, p.tenant_id.as_ref().map(|v| v.span()), "tenant_id");
    only_entra(c, p.authority.as_ref().map(|v| v.span()), "authority");
    only_entra(c, p.trust_directory_mapping.as_ref().map(|v| v.span()), "trust_directory_mapping");
    only_entra(c, p.directory.as_ref().map(|v| v.span()), "directory");
    only_entra(c, p.assurance.as_ref().map(|v| v.span()), "assurance");
    only_entra(c, p.mfa_assurance.as_ref().map(|v| v.span()), "mfa_assurance");
    if let (Some(pt), Profile::IdPorten | Profile::EntraId) = (p.pass_through.as_ref().and_then(|v| v.first()), profile)
    {
        c.err(
            pt,
            format!("`pass_through` belongs to profile = \"broker\" or \"generic\", not \"{}\"", profile.as_str()),
        );
    }
    let level = |c: &mut Checker<'_>, v: &Option<Spanned<String>>| -> Option<Assurance> {
        let v = v.as_ref()?;
        let a = Assurance::parse(v.get_ref());
        if a.is_none() {
            c.err(v, format!("assurance \"{}\" is not low, substantial or high", v.get_ref()));
        }
        a
    };
    let max_assurance = level(c, &p.max_assurance).unwrap_or(Assurance::High);

    // The issuer: as written, or for Entra ID derived from the tenant.
    let mut entra = None;
    let issuer = if profile == Profile::EntraId {
        if let Some(i) = &p.issuer {
            c.err(i, "profile = \"entra-id\" derives the issuer from `tenant_id`; remove `issuer`");
        }
        let authority = p
            .authority
            .as_ref()
            .map(|a| a.get_ref().trim_end_matches('/').to_string())
            .unwrap_or_else(|| "https://login.microsoftonline.com".into());
        if let Some(a) = &p.authority {
            match url::Url::parse(a.get_ref()) {
                Ok(u) if acceptable_url(&u) && u.path() == "/" && u.query().is_none() => {}
                _ => c.err(a, "authority must be an https origin such as \"https://login.microsoftonline.com\""),
            }
        }
        let tenant = match &p.tenant_id {
            None => {
                c.err(&p.name, "profile = \"entra-id\" needs `tenant_id`, the GUID of the municipality's tenant");
                String::new()
            }
            Some(t) => {
                let v = t.get_ref().trim().to_ascii_lowercase();
                if ["common", "organizations", "consumers"].contains(&v.as_str()) {
                    c.err(
                        t,
                        format!(
                            "tenant_id \"{v}\" is multi-tenant: any organisation's accounts could log in; give your own tenant's GUID"
                        ),
                    );
                } else if !is_guid(&v) {
                    c.err(t, format!("tenant_id \"{}\" is not a GUID (Entra ID > Overview > Tenant ID)", t.get_ref()));
                }
                v
            }
        };
        let trusted = p.trust_directory_mapping.as_ref().is_some_and(|t| *t.get_ref());
        let directory = match (&p.directory, trusted) {
            (Some(d), true) => {
                if !realms.contains(d.get_ref()) {
                    c.err(d, format!("unknown directory \"{}\"", d.get_ref()));
                }
                Some(d.get_ref().clone())
            }
            (None, true) => match realms.iter().collect::<Vec<_>>().as_slice() {
                [one] => Some((*one).clone()),
                _ => {
                    let at = p.trust_directory_mapping.as_ref().map(|t| t.span());
                    c.err_at(at, "trust_directory_mapping needs `directory`: the realm whose accounts the claim names");
                    None
                }
            },
            (Some(d), false) => {
                c.err(d, "`directory` is used only with trust_directory_mapping = true");
                None
            }
            (None, false) => None,
        };
        let assurance = match level(c, &p.assurance) {
            Some(a) => a,
            None => {
                if p.assurance.is_none() {
                    c.err(
                        &p.name,
                        "profile = \"entra-id\" needs `assurance` (low, substantial or high): Entra ID sends no acr, so the level is yours to set",
                    );
                }
                Assurance::Low
            }
        };
        let mfa_assurance = level(c, &p.mfa_assurance).unwrap_or(assurance);
        if mfa_assurance < assurance {
            if let Some(m) = &p.mfa_assurance {
                c.err(m, "mfa_assurance is below `assurance`: a login with MFA can't count for less than one without");
            }
        }
        if mfa_assurance > max_assurance {
            if let Some(m) = p.mfa_assurance.as_ref().or(p.assurance.as_ref()) {
                c.err(m, format!("above this provider's max_assurance \"{}\"", max_assurance.as_str()));
            }
        }
        if p.acr.is_some() || p.acr_values.is_some() {
            c.err(&p.name, "profile = \"entra-id\" takes no `acr`/`acr_values`: set `assurance` and `mfa_assurance`");
        }
        entra = Some(EntraSettings {
            keys_prefix: format!("{authority}/{tenant}/"),
            tenant_id: tenant.clone(),
            assurance,
            mfa_assurance,
            directory,
        });
        format!("{authority}/{tenant}/v2.0")
    } else {
        match &p.issuer {
            None => {
                c.err(&p.name, "provider needs `issuer`, the provider's issuer URL");
                return None;
            }
            Some(i) => {
                // Exactly as written: the provider's `iss` must match it character for character.
                match url::Url::parse(i.get_ref()) {
                    Ok(u) if acceptable_url(&u) && u.query().is_none() && u.fragment().is_none() => {}
                    Ok(_) => c.err(i, "issuer must be an https URL without query or fragment (http only for loopback)"),
                    Err(e) => c.err(i, format!("issuer is not a URL: {e}")),
                }
                i.get_ref().clone()
            }
        }
    };
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
        None if profile == Profile::EntraId => vec!["openid".into(), "profile".into(), "email".into()],
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
        None if profile == Profile::IdPorten => {
            acr.insert("idporten-loa-substantial".to_string(), Assurance::Substantial);
            acr.insert("idporten-loa-high".to_string(), Assurance::High);
        }
        None if profile == Profile::EntraId => {}
        None => c.err(
            &p.name,
            format!(
                "profile = \"{}\" needs an `acr` table: which acr values the provider sends and the assurance of each (see the README's country sections)",
                profile.as_str()
            ),
        ),
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
    let min_assurance = match &entra {
        Some(e) => e.assurance,
        None => acr_values.iter().filter_map(|a| acr.get(a)).min().copied().unwrap_or(Assurance::Low),
    };
    if min_assurance > max_assurance {
        let at = p.max_assurance.as_ref().map(|m| m.span());
        c.err_at(
            at,
            format!(
                "max_assurance \"{}\" is below the least level requested ({}): no login could pass",
                max_assurance.as_str(),
                min_assurance.as_str()
            ),
        );
    }
    let person_claim: Vec<String> = match p.person_claim.as_ref().map(|s| (s, s.get_ref())) {
        None => match profile {
            Profile::IdPorten => vec!["pid".into()],
            Profile::EntraId => vec!["oid".into()],
            Profile::Broker | Profile::Generic => {
                c.err(
                    &p.name,
                    format!(
                        "profile = \"{}\" needs `person_claim`: the claim with the person's national identifier, e.g. \"ssn\" or [\"person\", \"ssn\"]",
                        profile.as_str()
                    ),
                );
                vec![]
            }
        },
        Some((at, FileClaim::Name(n))) => {
            if n.is_empty() {
                c.err(at, "person_claim is empty");
            }
            vec![n.clone()]
        }
        Some((at, FileClaim::Path(v))) => {
            if v.is_empty() || v.iter().any(String::is_empty) {
                c.err(at, "person_claim path must name one or more claim members, e.g. [\"person\", \"ssn\"]");
            }
            v.clone()
        }
    };
    if let Some(pc) = &p.person_claim {
        let first = person_claim.first().map(String::as_str).unwrap_or("");
        if person_claim.len() == 1 && ["sub", "iss", "aud", "exp", "iat", "nonce"].contains(&first) {
            c.err(pc, "person_claim must name the person's national identifier (e.g. \"pid\"), not a token claim");
        }
        if profile == Profile::EntraId && !(person_claim.len() == 1 && ["oid", "upn", "email"].contains(&first)) {
            c.err(pc, "with profile = \"entra-id\", person_claim is \"oid\" (default), \"upn\" or \"email\"");
        }
    }
    let mut titles = BTreeMap::new();
    for (lang, t) in p.titles.iter().flatten() {
        if !TITLE_LANGUAGES.contains(&lang.as_str()) {
            c.err(t, format!("\"{lang}\" is not a page language: use {}", TITLE_LANGUAGES.join(", ")));
        } else if t.get_ref().trim().is_empty() {
            c.err(t, "button label is empty");
        }
        titles.insert(lang.clone(), t.get_ref().clone());
    }
    let provider_zones = match &p.zones {
        None => vec![],
        Some(v) => {
            if v.is_empty() {
                c.err(&p.name, "zones = [] would make the provider unusable; leave `zones` out for every zone");
            }
            let (z, errors) = crate::zones::config::zone_list(c.src(), Some(v), zones);
            c.extend(errors);
            z
        }
    };
    let mut pass_through = Vec::new();
    for k in p.pass_through.iter().flatten() {
        let v = k.get_ref();
        if v.is_empty() || !v.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-') {
            c.err(k, "a pass_through parameter is a name of letters, digits, '_' and '-', e.g. \"login_hint\"");
        } else if RESERVED_PARAMS.contains(&v.as_str()) {
            c.err(k, format!("\"{v}\" is set by Portvakt itself and can't be passed through"));
        }
        pass_through.push(v.clone());
    }
    let timeout = c.timeout(&p.timeout, PROVIDER_TIMEOUT, "a login waits on the provider");
    let ca_file = p.ca_file.as_ref().and_then(|ca| c.ca_file(ca));
    Some(ProviderSettings {
        title: p.title.clone().unwrap_or_else(|| name.clone()),
        name,
        profile,
        titles,
        zones: provider_zones,
        max_assurance,
        entra,
        pass_through,
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

/// Whether `s` is a GUID in its usual 8-4-4-4-12 hex form.
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12]) && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::config::error::SourceFile;
    use crate::config::Config;
    use crate::methods::Assurance;

    /// Loads a config from `text` as if read from `t.toml`; errors as their display.
    pub(crate) fn load(text: &str) -> Result<Config, String> {
        Config::from_source(&SourceFile { path: "t.toml".into(), text: text.into() }).map_err(|e| e.to_string())
    }

    /// The least config eID providers can be added to: a server, a listener, a directory, e-mail and an institution.
    pub(crate) const BASE: &str = r#"[server]
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
        assert_eq!(p.person_claim, vec!["pid"]);
        assert_eq!(p.profile, super::Profile::IdPorten);
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

    /// Profiles check what each needs, each problem at its line and column: an unknown profile; entra-id with a
    /// multi-tenant or malformed tenant, an issuer of its own, no assurance; a broker without acr table and person
    /// claim; a reserved pass-through parameter; an unknown button language and zone; entra-id keys elsewhere.
    #[test]
    fn profile_mistakes_are_positioned() {
        let p = |body: &str| format!("\n[[eid.providers]]\n{body}client_id = \"c\"\nclient_secret = \"s\"\n");
        let text = format!(
            "{BASE}{}{}{}{}{}",
            p("name = \"a\"\nprofile = \"azure\"\nissuer = \"https://a.example\"\n"),
            p("name = \"b\"\nprofile = \"entra-id\"\ntenant_id = \"common\"\nissuer = \"https://b.example\"\n"),
            p("name = \"c\"\nprofile = \"entra-id\"\ntenant_id = \"not-a-guid\"\nassurance = \"medium\"\n"),
            p("name = \"d\"\nprofile = \"broker\"\nissuer = \"https://d.example\"\npass_through = [\"state\"]\n"),
            p("name = \"e\"\nissuer = \"https://e.example\"\ntitles = { de = \"E\" }\nzones = [\"mars\"]\ntenant_id = \"x\"\n"),
        );
        let e = load(&text).unwrap_err();
        for want in [
            "t.toml:22:11: unknown profile \"azure\"",
            "t.toml:30:13: tenant_id \"common\" is multi-tenant",
            "t.toml:31:10: profile = \"entra-id\" derives the issuer from `tenant_id`",
            "t.toml:38:13: tenant_id \"not-a-guid\" is not a GUID",
            "t.toml:39:13: assurance \"medium\" is not low, substantial or high",
            "t.toml:44:8: profile = \"broker\" needs an `acr` table",
            "t.toml:44:8: profile = \"broker\" needs `person_claim`",
            "t.toml:28:8: profile = \"entra-id\" needs `assurance`",
            "t.toml:47:17: \"state\" is set by Portvakt itself",
            "t.toml:54:17: \"de\" is not a page language",
            "t.toml:55:10: unknown zone \"mars\"",
            "t.toml:56:13: `tenant_id` belongs to profile = \"entra-id\", not \"idporten\"",
        ] {
            assert!(e.contains(want), "missing {want}:\n{e}");
        }
    }

    /// An entra-id provider: issuer and key location derived from the tenant, `oid` by default, no acr values sent,
    /// the one directory taken for a trusted mapping; a broker takes a claim path.
    #[test]
    fn entra_id_and_broker_settings() {
        let c = load(&format!(
            "{BASE}\n[[eid.providers]]\nname = \"entra\"\nprofile = \"entra-id\"\ntenant_id = \"7D1F4A9E-2B3C-4D5E-8F90-1A2B3C4D5E6F\"\nclient_id = \"c\"\nclient_secret = \"s\"\ntrust_directory_mapping = true\nassurance = \"low\"\nmfa_assurance = \"substantial\"\n\n[[eid.providers]]\nname = \"bankid\"\nprofile = \"broker\"\nissuer = \"https://broker.example\"\nclient_id = \"c\"\nclient_secret = \"s\"\nperson_claim = [\"person\", \"ssn\"]\nacr = {{ \"urn:grn:authn:se:bankid\" = \"high\" }}\n"
        ))
        .unwrap();
        let e = &c.eid.providers[0];
        assert_eq!(e.issuer, "https://login.microsoftonline.com/7d1f4a9e-2b3c-4d5e-8f90-1a2b3c4d5e6f/v2.0");
        let entra = e.entra.as_ref().unwrap();
        assert_eq!(entra.keys_prefix, "https://login.microsoftonline.com/7d1f4a9e-2b3c-4d5e-8f90-1a2b3c4d5e6f/");
        assert_eq!(e.person_claim, vec!["oid"]);
        assert!(e.acr_values.is_empty());
        assert_eq!(e.min_assurance, Assurance::Low);
        assert_eq!(e.maps_directly(), Some("staff"));
        assert_eq!(e.scopes, vec!["openid", "profile", "email"]);
        let b = &c.eid.providers[1];
        assert_eq!(b.person_claim, vec!["person", "ssn"]);
        assert_eq!(b.person_claim_label(), "person.ssn");
        assert_eq!(b.maps_directly(), None);
    }
}
