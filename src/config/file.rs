//! The TOML file format, as written by admins. Converted into the validated [`super::Config`]; nothing else reads it.

use serde::Deserialize;
use toml::Spanned;

/// The whole `portvakt.toml` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Process and HTTP limits.
    #[serde(default)]
    pub server: crate::server::config::FileServer,
    /// Listening sockets.
    #[serde(default)]
    pub listeners: Vec<crate::server::config::FileListener>,
    /// Certificate and key for TLS listeners.
    pub tls: Option<crate::tls::config::FileTls>,
    /// Network classification.
    #[serde(default)]
    pub network: crate::zones::config::FileNetwork,
    /// Named zones of CIDRs.
    #[serde(default)]
    pub zones: Vec<crate::zones::config::FileZone>,
    /// Session lifetime and cookie.
    #[serde(default)]
    pub session: crate::session::config::FileSession,
    /// User directories (realms), e.g. administrative and pedagogical staff.
    #[serde(default)]
    pub directories: Vec<crate::directory::config::FileDirectory>,
    /// Protected services.
    #[serde(default)]
    pub services: Vec<crate::protected::config::FileService>,
    /// Signed identity assertion sent to backends.
    #[serde(default)]
    pub assertion: crate::assertion::config::FileAssertion,
    /// Failed-login regulation.
    #[serde(default)]
    pub login: crate::regulation::config::FileLogin,
    /// One-time codes.
    #[serde(default)]
    pub second_factor: crate::second_factor::config::FileSecondFactor,
    /// The account store and self-service numbers.
    #[serde(default)]
    pub accounts: crate::account::config::FileAccounts,
    /// Where shared state lives (`[store]`, validated by the store module).
    pub store: Option<crate::store::config::FileStore>,
    /// E-mail delivery (codes, notices); without it, codes are not offered by e-mail.
    pub email: Option<crate::notify::config::FileEmail>,
    /// SMS delivery; without it, codes are not offered by SMS.
    pub sms: Option<crate::notify::config::FileSms>,
    /// eID login over OpenID Connect.
    pub eid: Option<crate::eid::config::FileEid>,
    /// Institutions (municipalities) and their own e-mail domains, for eID linking.
    #[serde(default)]
    pub institutions: Vec<crate::identity::FileInstitution>,
    /// Directory of policy files (used once policy files are enabled).
    pub policies_dir: Option<Spanned<String>>,
    /// What of the client's request is removed before it is forwarded.
    #[serde(default)]
    pub forwarding: crate::forwarding::config::FileForwarding,
    /// The admin listener (metrics), validated by [`crate::admin::config`].
    pub admin: Option<crate::admin::config::FileAdmin>,
    /// The audit trail's destination, validated by [`crate::audit`].
    pub audit: Option<crate::audit::FileAudit>,
    /// The municipality's name, logo, favicon, colour, footer links and default language ([`crate::branding`]).
    pub branding: Option<crate::branding::FileBranding>,
    /// How users reach IT support, shown on the login, code, error and denial pages ([`crate::branding`]).
    pub support: Option<Spanned<crate::branding::FileSupport>>,
}
