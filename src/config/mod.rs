//! Configuration: the TOML file ([`file`]) is read, every value checked, and turned into a validated [`Config`].
//!
//! Relative paths in the file are relative to the file's own directory. All problems found are reported together,
//! each with file, line and column.
//!
//! # Adding a config section
//! A section `[example]` that configures module `foo` touches the module `foo`, three lines in `config` and
//! the README (checked by `tests/it/config_sections.rs` and `tests/it/layers.rs`):
//! 1. In `src/foo/config.rs` (or `src/foo.rs` for a small module): `FileExample` (serde, `deny_unknown_fields`,
//!    `Spanned` values where an error must point at them), `ExampleSettings`, and
//!    `pub fn validate(c: &mut Checker<'_>, f: &FileExample) -> ExampleSettings`, reporting each problem with
//!    `c.err(&value, "...")` so it prints as `FILE:LINE:COL: message`. Unit tests for its messages go there too.
//! 2. One field in `FileConfig` (`src/config/file.rs`): `pub example: crate::foo::config::FileExample`, and one line
//!    in `convert` plus one field in `Config` (`src/config/mod.rs`) that calls `validate`.
//! 3. A `###` heading naming `[example]` in README's configuration reference with every key, and a commented
//!    example in `config/portvakt.toml` when operators need it.
//! 4. If `foo` sits above `config` in tests/it/layers.rs, list `foo::config` in the config layer there (as
//!    `admin::config` and `server::config` are).

pub mod check;
pub mod duration;
pub mod error;
pub mod file;
pub mod secret;

pub use crate::account::config::AccountSettings;
pub use crate::assertion::config::AssertionSettings;
pub use crate::directory::config::{DirectoryKind, DirectorySettings};
pub use crate::protected::config::{PortalShow, ServiceSettings, UpstreamAddr};
pub use crate::regulation::config::LoginSettings;
pub use crate::server::config::{ListenerSettings, ServerSettings};
pub use crate::session::config::SessionSettings;
pub use crate::tls::config::{TlsFiles, DEFAULT_SESSION_TICKET_LIFETIME};
pub use crate::zones::config::{LoginRequirement, ZoneSettings, REMOTE_ZONE};
pub use check::{normalize_host, valid_name};

use check::Checker;
use error::{ConfigError, ConfigErrors, SourceFile};
use file::FileConfig;
use ipnet::IpNet;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The validated configuration the rest of the program uses.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this came from.
    pub path: PathBuf,
    /// Process and HTTP settings.
    pub server: ServerSettings,
    /// Listening sockets.
    pub listeners: Vec<ListenerSettings>,
    /// Certificate and key, checked readable and parseable.
    pub tls: Option<TlsFiles>,
    /// Configured zones (the implicit `remote` zone is not listed).
    pub zones: Vec<ZoneSettings>,
    /// Peers whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Login required from the remote zone.
    pub remote_login: LoginRequirement,
    /// Session lifetimes and cookie.
    pub session: SessionSettings,
    /// User directories (realms).
    pub directories: Vec<DirectorySettings>,
    /// Protected services.
    pub services: Vec<ServiceSettings>,
    /// Identity assertion settings.
    pub assertion: AssertionSettings,
    /// Failed-login regulation.
    pub login: LoginSettings,
    /// One-time codes.
    pub second_factor: crate::second_factor::SecondFactorSettings,
    /// Account store and self-service numbers.
    pub accounts: AccountSettings,
    /// Where shared state lives.
    pub store: crate::store::config::StoreSettings,
    /// E-mail delivery, if configured.
    pub email: Option<crate::notify::config::EmailSettings>,
    /// SMS delivery, if configured.
    pub sms: Option<crate::notify::config::SmsSettings>,
    /// eID providers and linking (no providers: no eID).
    pub eid: crate::eid::config::EidSettings,
    /// Institutions and their e-mail domains.
    pub institutions: Vec<crate::identity::Institution>,
    /// Policy directory, when configured.
    pub policies_dir: Option<PathBuf>,
    /// Client headers removed before forwarding, and the case of forwarded header names.
    pub forwarding: crate::forwarding::Forwarding,
    /// The admin listener (metrics), if configured.
    pub admin: Option<crate::admin::config::AdminSettings>,
    /// Where audit events go.
    pub audit: crate::audit::AuditSettings,
    /// The municipality's look.
    pub branding: crate::branding::Branding,
    /// How users reach IT support, when configured.
    pub support: Option<crate::branding::Support>,
    /// Settings that are valid but weaken a default on purpose: `portvakt check` prints them and still says ok.
    pub warnings: Vec<ConfigError>,
}

impl Config {
    /// Loads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let src = SourceFile::read(path).map_err(|e| ConfigErrors(vec![e]))?;
        Self::from_source(&src)
    }

    /// Validates config text as if read from `src.path`.
    pub fn from_source(src: &SourceFile) -> Result<Config, ConfigErrors> {
        let file: FileConfig = src.parse().map_err(|e| ConfigErrors(vec![e]))?;
        let mut c = Checker::new(src);
        let mut cfg = convert(&mut c, file);
        let (errors, warnings) = c.finish();
        if errors.is_empty() {
            cfg.warnings = warnings;
            Ok(cfg)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    /// The service with this name.
    pub fn service(&self, name: &str) -> Option<&ServiceSettings> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Names of every zone, configured ones first, then `remote`.
    pub fn zone_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.zones.iter().map(|z| z.name.clone()).collect();
        v.push(REMOTE_ZONE.to_string());
        v
    }

    /// What policies are checked against: this config's services, zones, realms and institutions, and the
    /// directories' groups.
    pub fn policy_context(&self, dirs: &[crate::directory::SharedDirectory]) -> crate::policy::CheckContext {
        let mut groups = Some(HashSet::new());
        for d in dirs {
            match (d.groups(), groups.as_mut()) {
                (Some(g), Some(all)) => all.extend(g),
                _ => groups = None,
            }
        }
        crate::policy::CheckContext {
            services: self.services.iter().map(|s| s.name.clone()).collect(),
            zones: self.zone_names(),
            groups,
            groups_mapped: dirs.iter().any(|d| d.groups_mapped()),
            realms: Some(self.directories.iter().map(|d| d.name.clone()).collect()),
            institutions: Some(self.institutions.iter().map(|i| i.name.clone()).collect()),
        }
    }

    /// Loads the policy directory, if there is one; `[accounts] phone_zones` and `[eid] link_zones`, where
    /// written, must agree with its account-action rules.
    pub fn load_policies(
        &self,
        dirs: &[crate::directory::SharedDirectory],
    ) -> Result<Option<crate::policy::PolicySet>, ConfigErrors> {
        let Some(dir) = &self.policies_dir else { return Ok(None) };
        let set = crate::policy::PolicySet::load_dir(dir, &self.policy_context(dirs))?;
        // With policy files the account-action rules decide; config keys saying otherwise are refused (#16.5).
        let disagreements = crate::policy::agreement::account_zone_disagreements(&self.path, &set);
        if !disagreements.is_empty() {
            return Err(ConfigErrors(disagreements));
        }
        Ok(Some(set))
    }
}

fn convert(c: &mut Checker<'_>, f: FileConfig) -> Config {
    let server = crate::server::config::validate(c, &f.server);
    let zones = crate::zones::config::zones(c, &f.zones);
    let zone_names: HashSet<String> = zones.iter().map(|z| z.name.clone()).chain([REMOTE_ZONE.to_string()]).collect();
    let tls = f.tls.as_ref().and_then(|t| crate::tls::config::validate(c, t));
    let listeners = crate::server::config::listeners(c, &f.listeners, &zone_names, tls.is_some());
    let (trusted_proxies, remote_login) = crate::zones::config::network(c, &f.network);
    let session = crate::session::config::validate(c, &f.session);
    let directories = crate::directory::config::validate(c, &f.directories);
    let services = crate::protected::config::validate(c, &f.services);
    crate::protected::config::zone_floors(c, &f.services, &zones, remote_login, &zone_names, f.policies_dir.is_some());
    let forwarding = crate::forwarding::config::validate(c, &f.forwarding);
    let assertion = crate::assertion::config::validate(c, &f.assertion, server.public_url.as_ref());
    let policies_dir = f.policies_dir.as_ref().map(|p| {
        let d = c.resolve(p.get_ref());
        if !d.is_dir() {
            c.err(p, format!("policy directory {} does not exist", d.display()));
        }
        d
    });
    let login = crate::regulation::config::validate(c, &f.login);
    let second_factor = crate::second_factor::config::validate(c, &f.second_factor);
    let accounts = crate::account::config::validate(c, &f.accounts, &zone_names);
    let base = c.base_dir().to_path_buf();
    let email = f.email.as_ref().and_then(|e| match crate::notify::config::validate_email(c.src(), e, &base) {
        Ok(s) => Some(s),
        Err(errs) => {
            c.extend(errs);
            None
        }
    });
    let sms = f.sms.as_ref().and_then(|s| match crate::notify::config::validate_sms(c.src(), s, &base) {
        Ok(s) => Some(s),
        Err(errs) => {
            c.extend(errs);
            None
        }
    });
    let realm_names: HashSet<String> = directories.iter().map(|d| d.name.clone()).collect();
    let eid = match &f.eid {
        None => crate::eid::config::EidSettings::default(),
        Some(e) => {
            let public = server.public_url.is_some();
            match crate::eid::config::validate_eid(c.src(), e, &base, &zone_names, &realm_names, public) {
                Ok(s) => s,
                Err(errs) => {
                    c.extend(errs);
                    crate::eid::config::EidSettings::default()
                }
            }
        }
    };
    let institutions = match crate::identity::validate_institutions(c.src(), &f.institutions, &realm_names) {
        Ok(v) => v,
        Err(errs) => {
            c.extend(errs);
            Vec::new()
        }
    };
    if let Some(first) = f.eid.as_ref().and_then(|e| e.providers.first()) {
        if !f.institutions.iter().any(|i| !i.email_domains.is_empty()) {
            c.err(
                &first.name,
                "eID linking needs at least one [[institutions]] entry with the municipal e-mail domains",
            );
        }
        if f.email.is_none() {
            c.err(&first.name, "eID linking sends a code by e-mail: configure [email]");
        }
    }
    let public: Vec<std::net::SocketAddr> = listeners.iter().map(|l: &ListenerSettings| l.address).collect();
    let (admin, problems) = crate::admin::config::validate(f.admin.as_ref(), &public);
    for (span, message) in problems {
        c.err_at(span, message);
    }
    let (audit, problems) = crate::audit::validate(f.audit.as_ref(), &|p| c.resolve(p));
    for (span, message) in problems {
        c.err_at(span, message);
    }
    let branding = crate::branding::validate_branding(c, f.branding.as_ref());
    let support_at = f.support.as_ref().map(Spanned::span);
    let support = crate::branding::validate_support(c, f.support.as_ref().map(Spanned::get_ref), support_at);
    let (store, problems) = crate::store::config::validate(f.store.as_ref(), &|p| c.resolve(p));
    for p in problems {
        c.err_at(p.span, p.message);
    }
    if f.store.is_none() {
        c.warn_at(None, crate::store::config::NO_STORE_WARNING);
    }
    Config {
        store,
        eid,
        institutions,
        email,
        sms,
        login,
        second_factor,
        accounts,
        path: c.src().path.clone(),
        server,
        listeners,
        tls,
        zones,
        trusted_proxies,
        remote_login,
        session,
        directories,
        services,
        assertion,
        policies_dir,
        forwarding,
        admin,
        audit,
        branding,
        support,
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn load(text: &str) -> Result<Config, ConfigErrors> {
        Config::from_source(&SourceFile { path: "t.toml".into(), text: text.into() })
    }

    const MIN: &str = r#"
[[listeners]]
address = "127.0.0.1:8080"
redirect_to_https = false

[[directories]]
name = "staff"
kind = "file"
path = "users.toml"
"#;

    /// A minimal config loads with the documented defaults (15m idle, 12h absolute, two factors from remote).
    #[test]
    fn minimal_config_has_defaults() {
        let c = load(MIN).unwrap();
        assert_eq!(c.session.idle_timeout, Duration::from_secs(900));
        assert_eq!(c.session.absolute_lifetime, Duration::from_secs(43200));
        assert_eq!(c.remote_login, LoginRequirement::TwoFactor);
        assert_eq!(c.listeners.len(), 1);
    }

    /// A service title is a string or a table per page language; another language or a non-string is reported at
    /// the value with what to write.
    #[test]
    fn service_titles_per_language() {
        let svc = |title: &str| {
            load(&format!("{MIN}\n[[services]]\nname = \"a\"\ntitle = {title}\nupstreams = [\"127.0.0.1:1\"]\n"))
        };
        let c = svc("{ sv = \"Lön\", en = \"Payroll\" }").unwrap();
        assert_eq!(c.services[0].title_in("sv", "en"), "Lön");
        assert_eq!(c.services[0].title_in("da", "en"), "Payroll");
        assert_eq!(c.services[0].title_in("da", "nb"), "Lön");
        assert_eq!(svc("\"Lön\"").unwrap().services[0].title_in("en", "sv"), "Lön");
        let s = svc("{ de = \"Gehalt\" }").unwrap_err().to_string();
        assert!(s.starts_with("t.toml:13:9: title: \"de\" is not a page language: use sv, nb, nn, da, en"), "{s}");
        let s = svc("42").unwrap_err().to_string();
        assert!(s.starts_with("t.toml:13:9: title must be a string, or a table of strings per language"), "{s}");
    }

    /// `[accounts] default_region` takes an ISO country code (Sweden by default; the older `default_country`
    /// prefix still names a country), and a wrong or contradicting value is reported at its position.
    #[test]
    fn accounts_default_region() {
        use crate::phone::Region;
        let acc = |body: &str| load(&format!("{MIN}\n[accounts]\n{body}\n"));
        assert_eq!(load(MIN).unwrap().accounts.default_region, Region::SE);
        assert_eq!(acc("default_region = \"no\"").unwrap().accounts.default_region, Region::NO);
        assert_eq!(acc("default_country = \"+45\"").unwrap().accounts.default_region, Region::DK);
        let s = acc("default_region = \"Norway\"").unwrap_err().to_string();
        assert!(s.starts_with("t.toml:12:18: default_region \"Norway\" is not a country code"), "{s}");
        let s = acc("default_country = \"+999\"").unwrap_err().to_string();
        assert!(s.starts_with("t.toml:12:19: default_country \"+999\" is no country's calling code"), "{s}");
        let s = acc("default_region = \"SE\"\ndefault_country = \"+47\"").unwrap_err().to_string();
        assert!(s.starts_with("t.toml:13:19: default_country \"+47\" is not the country of default_region"), "{s}");
    }

    /// Path settings per service load with their defaults, and bad values and non-canonical prefixes are reported
    /// at their position with what to write instead.
    #[test]
    fn service_path_settings() {
        let svc = |extra: &str| {
            format!("{MIN}\n[[services]]\nname = \"a\"\npath_prefix = \"/a\"\nupstreams = [\"127.0.0.1:1\"]\n{extra}")
        };
        let c = load(&svc("")).unwrap();
        assert_eq!(c.services[0].path_rules, crate::canonical::PathRules::default());
        assert_eq!(c.services[0].path_rules.params, crate::canonical::PathParams::Reject);
        let c = load(&svc("case_insensitive_paths = true\npath_params = \"strip\"\n")).unwrap();
        assert!(c.services[0].path_rules.case_insensitive);
        assert_eq!(c.services[0].path_rules.params, crate::canonical::PathParams::Strip);
        let s = load(&svc("path_params = \"ignore\"\n")).unwrap_err().to_string();
        assert!(s.starts_with("t.toml:15:15: path_params \"ignore\" is not known: use \"reject\""), "{s}");
        let s = load(&svc("case_insensitive_paths = \"yes\"\n")).unwrap_err().to_string();
        assert!(s.starts_with("t.toml:15:26: invalid type"), "{s}");
        let s = load(&MIN.replace(
            "redirect_to_https = false",
            "redirect_to_https = false\n\n[[services]]\nname = \"b\"\npath_prefix = \"/%62x\"\nupstreams = [\"127.0.0.1:1\"]",
        ))
        .unwrap_err()
        .to_string();
        assert!(s.contains(":8:15: path_prefix \"/%62x\" is not in canonical form: write \"/bx\""), "{s}");
        let s = load(&svc("").replace("\"/a\"", "\"/a%2Fb\"")).unwrap_err().to_string();
        assert!(
            s.contains(
                "path_prefix \"/a%2Fb\" contains an encoded slash (%2F), which the gateway refuses in every request"
            ),
            "{s}"
        );
    }

    /// An unknown key is reported with its line and column.
    #[test]
    fn unknown_key_has_position() {
        let e = load(&format!("{MIN}\n[session]\nidle_timout = \"5m\"\n")).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with("t.toml:12:1: unknown field `idle_timout`"), "{s}");
    }

    /// A bad CIDR, a duplicate service and a missing cert are all reported together, each at its line.
    #[test]
    fn several_errors_reported_with_lines() {
        let text = format!(
            "{MIN}\n[[zones]]\nname = \"internal\"\ncidrs = [\"10.0.0.0/33\"]\n\n[[services]]\nname = \"a\"\nupstreams = [\"127.0.0.1:1\"]\n\n[[services]]\nname = \"a\"\nupstreams = [\"127.0.0.1:2\"]\n\n[tls]\ncert = \"/nonexistent/c.pem\"\nkey = \"/nonexistent/k.pem\"\n"
        );
        let e = load(&text).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("t.toml:13:10: \"10.0.0.0/33\" is not a CIDR"), "{s}");
        assert!(s.contains("t.toml:20:8: duplicate service name \"a\""), "{s}");
        assert!(s.contains("t.toml:24:8: cannot read certificate"), "{s}");
        assert!(s.contains("t.toml:25:7: cannot read private key"), "{s}");
        assert_eq!(e.0.len(), 4, "{s}");
    }

    /// The connection limits default to a 10 s head deadline, 60 s keep-alive and HTTP/2 header lists as large as
    /// `max_header_bytes`; each key out of range is reported at its value.
    #[test]
    fn connection_limits_defaults_and_ranges() {
        let l = load(MIN).unwrap().server.limits;
        assert_eq!(l.request_head_timeout, Duration::from_secs(10));
        assert_eq!(l.keepalive_timeout, Duration::from_secs(60));
        assert_eq!(l.http2_max_header_list_size, 32 * 1024);
        let text = format!(
            "{MIN}\n[server]\nrequest_head_timeout = \"0s\"\nkeepalive_timeout = \"2h\"\nmax_connections = 0\n\
             max_connections_per_client = 20000\nhttp2_max_concurrent_streams = 5000\n"
        );
        let e = load(&text).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("t.toml:12:24: request_head_timeout must be between \"1s\" and \"5m\""), "{s}");
        assert!(s.contains("t.toml:13:21: keepalive_timeout must be between \"1s\" and \"1h\""), "{s}");
        assert!(s.contains("t.toml:14:19: max_connections must be between 1 and 1000000"), "{s}");
        assert!(s.contains("t.toml:15:30: max_connections_per_client must be between 1 and max_connections"), "{s}");
        assert!(s.contains("t.toml:16:32: http2_max_concurrent_streams must be between 1 and 1000"), "{s}");
        assert_eq!(e.0.len(), 5, "{s}");
    }

    /// `[tls] session_ticket_lifetime` defaults to 24 h, takes a value from 1 minute to 7 days, and outside that is
    /// reported at its value.
    #[test]
    fn session_ticket_lifetime_default_and_range() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        std::fs::write(&cert, generated.cert.pem()).unwrap();
        std::fs::write(&key, generated.key_pair.serialize_pem()).unwrap();
        let tls = format!("[tls]\ncert = \"{}\"\nkey = \"{}\"\n", cert.display(), key.display());
        let c = load(&format!("{MIN}\n{tls}")).unwrap();
        assert_eq!(c.tls.unwrap().session_ticket_lifetime, Duration::from_secs(24 * 3600));
        let c = load(&format!("{MIN}\n{tls}session_ticket_lifetime = \"2h\"\n")).unwrap();
        assert_eq!(c.tls.unwrap().session_ticket_lifetime, Duration::from_secs(7200));
        for bad in ["30s", "8d"] {
            let e = load(&format!("{MIN}\n{tls}session_ticket_lifetime = \"{bad}\"\n")).unwrap_err();
            let s = e.to_string();
            assert!(s.contains("t.toml:14:27: session_ticket_lifetime must be between \"1m\" and \"7d\""), "{s}");
            assert_eq!(e.0.len(), 1, "{s}");
        }
    }

    /// touch_interval defaults to min(30 s, idle/10), takes a value up to idle/10, and beyond that is refused at
    /// the value's position.
    #[test]
    fn touch_interval_default_and_bounds() {
        let c = load(&format!("{MIN}\n[session]\nidle_timeout = \"2m\"\n")).unwrap();
        assert_eq!(c.session.touch_interval, Duration::from_secs(12));
        let c = load(&format!("{MIN}\n[session]\ntouch_interval = \"1m\"\n")).unwrap();
        assert_eq!(c.session.touch_interval, Duration::from_secs(60));
        assert_eq!(load(MIN).unwrap().session.touch_interval, Duration::from_secs(30));
        let e = load(&format!("{MIN}\n[session]\nidle_timeout = \"10m\"\ntouch_interval = \"2m\"\n")).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("t.toml:13:18: touch_interval must be between \"1s\" and a tenth of idle_timeout (60s here)"),
            "{s}"
        );
    }

    /// cache_ttl defaults to 1 s, may be "0s" (off) or up to touch_interval, and beyond is refused at the value.
    #[test]
    fn cache_ttl_default_and_bounds() {
        assert_eq!(load(MIN).unwrap().session.cache_ttl, Duration::from_secs(1));
        let c = load(&format!("{MIN}\n[session]\ncache_ttl = \"0s\"\n")).unwrap();
        assert_eq!(c.session.cache_ttl, Duration::ZERO);
        let c = load(&format!("{MIN}\n[session]\ncache_ttl = \"5s\"\n")).unwrap();
        assert_eq!(c.session.cache_ttl, Duration::from_secs(5));
        let e = load(&format!("{MIN}\n[session]\ntouch_interval = \"10s\"\ncache_ttl = \"11s\"\n")).unwrap_err();
        let s = e.to_string();
        assert!(s.contains("t.toml:13:13: cache_ttl must be at most touch_interval (10s here)"), "{s}");
    }

    /// Durations must carry a unit; the error points at the value.
    #[test]
    fn unitless_duration_refused() {
        let e = load(&format!("{MIN}\n[session]\nidle_timeout = \"900\"\n")).unwrap_err();
        assert!(e.to_string().contains("t.toml:12:16: duration \"900\" has no unit"), "{e}");
    }

    /// The same network in two zones is refused, so overlap resolution never depends on file order.
    #[test]
    fn same_network_in_two_zones_refused() {
        let text = format!("{MIN}\n[[zones]]\nname = \"a\"\ncidrs = [\"10.0.0.0/8\"]\n[[zones]]\nname = \"b\"\ncidrs = [\"10.0.0.0/8\"]\n");
        assert!(load(&text).unwrap_err().to_string().contains("also in zone \"a\""));
    }
}
