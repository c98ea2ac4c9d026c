//! User directories: who the users are and whether their password is right.
//!
//! [`Directory`] is the trait every backend implements: the users file ([`file`]) and LDAP / Active Directory
//! ([`ldap`]). Password hashing is CPU-heavy and runs on the blocking pool; LDAP is async network work with
//! timeouts. Neither blocks the async runtime.

pub mod config;
pub mod file;
pub mod ldap;
pub mod password;
pub mod snapshot;

pub use crate::identity::User;

use crate::config::error::{ConfigError, ConfigErrors};
use crate::identity::Institution;
use config::{DirectoryKind, DirectorySettings};
use std::path::Path;
use std::sync::Arc;

/// Why a directory refused a login whose password it did not call wrong (Active Directory's bind codes), one
/// variant per code so the audit trail tells them apart; pages group those where the user's action is the same
/// ([`Refusal::must_change_password`], [`Refusal::disabled`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The password was right but has expired (AD 532).
    PasswordExpired,
    /// The password was right but must be changed at next logon (AD 773).
    PasswordMustChange,
    /// The account is disabled (AD 533, or `userAccountControl` ACCOUNTDISABLE with the AD preset).
    Disabled,
    /// The account has expired (AD 701).
    AccountExpired,
    /// The account is locked after too many wrong passwords (AD 775).
    Locked,
}

impl Refusal {
    /// The audit reason logged for this refusal (one per AD code).
    pub fn reason(self) -> &'static str {
        match self {
            Refusal::PasswordExpired => "password_expired",
            Refusal::PasswordMustChange => "password_must_change",
            Refusal::Disabled => "account_disabled",
            Refusal::AccountExpired => "account_expired",
            Refusal::Locked => "account_locked",
        }
    }

    /// Whether the user's way out is to change the password (532, 773): the same page, with the change link.
    pub fn must_change_password(self) -> bool {
        matches!(self, Refusal::PasswordExpired | Refusal::PasswordMustChange)
    }

    /// Whether the account cannot be used until an administrator acts (533, 701): the "account disabled" page.
    pub fn disabled(self) -> bool {
        matches!(self, Refusal::Disabled | Refusal::AccountExpired)
    }
}

/// Why a directory could not answer (not: a wrong password, which is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The backend is unreachable or failed.
    #[error("user directory {0} is unavailable: {1}")]
    Unavailable(String, String),
    /// The directory refused the account for a reason the user can act on.
    #[error("user directory {realm} refused the account: {}", reason.reason())]
    Refused {
        /// The realm.
        realm: String,
        /// Why.
        reason: Refusal,
        /// Where to change the password, for [`Refusal::PasswordMustChange`].
        password_change_url: Option<String>,
    },
}

/// A source of users and password checks.
#[async_trait::async_trait]
pub trait Directory: Send + Sync + std::fmt::Debug {
    /// Realm id of this directory.
    fn name(&self) -> &str;
    /// Label shown in the group choice.
    fn title(&self) -> &str;
    /// Checks a password; `Ok(None)` for an unknown user or a wrong password, in about the same time.
    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>, DirectoryError>;
    /// Looks a user up without a password (for session refresh and account pages); a disabled account is
    /// [`DirectoryError::Refused`] with [`Refusal::Disabled`].
    async fn lookup(&self, username: &str) -> Result<Option<User>, DirectoryError>;
    /// The user whose e-mail address is `email` (compared case-insensitively); used to link an eID. A disabled
    /// account is [`DirectoryError::Refused`] with [`Refusal::Disabled`].
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, DirectoryError>;
    /// Every group name this directory knows, for checking policies; `None` if it can't list them.
    fn groups(&self) -> Option<std::collections::HashSet<String>> {
        None
    }
    /// Whether [`Directory::groups`] is a mapping of the directory's own groups (LDAP `group_map`): a policy
    /// naming a group outside it is then a warning in `portvakt check`, not an error.
    fn groups_mapped(&self) -> bool {
        false
    }
    /// How often a logged-in user's account is checked again (`None`: never, the data is local).
    fn refresh_interval(&self) -> Option<std::time::Duration> {
        None
    }
    /// Re-reads the backing store (SIGHUP); errors leave the old data serving.
    fn reload(&self) -> Result<(), ConfigErrors> {
        Ok(())
    }
}

/// A shared handle to a directory.
pub type SharedDirectory = Arc<dyn Directory>;

/// Normalises a typed username: trimmed and lower-cased, as Active Directory treats them case-insensitively.
pub fn normalize_username(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Whether a username is acceptable in a users file: 1–64 of a-z, 0-9, '.', '_', '-', '@'.
pub fn valid_username(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_@".contains(c))
}

/// The institution of a realm's accounts when their entries name none: the one `[[institutions]]` entry that
/// covers the realm (by its `directories`, or all realms when it lists none); `None` when none or several do.
pub fn default_institution(institutions: &[Institution], realm: &str) -> Option<String> {
    let explicit: Vec<_> = institutions.iter().filter(|i| i.directories.iter().any(|d| d == realm)).collect();
    if let [one] = explicit.as_slice() {
        return Some(one.name.clone());
    }
    if !explicit.is_empty() {
        return None;
    }
    match institutions.iter().filter(|i| i.has_realm(realm)).collect::<Vec<_>>().as_slice() {
        [one] => Some(one.name.clone()),
        _ => None,
    }
}

/// Builds every configured directory of the config file `config_path`; errors in users files are reported with
/// their positions.
pub fn build_all(
    config_path: &Path,
    dirs: &[DirectorySettings],
    institutions: &[Institution],
) -> Result<Vec<SharedDirectory>, ConfigErrors> {
    let mut out: Vec<SharedDirectory> = Vec::new();
    let mut errors = Vec::new();
    for d in dirs {
        match &d.kind {
            DirectoryKind::File { path } => {
                let default = default_institution(institutions, &d.name);
                match file::FileDirectory::load_with(&d.name, &d.title, path, default) {
                    Ok(fd) => out.push(Arc::new(fd)),
                    Err(e) => errors.extend(e.0),
                }
            }
            DirectoryKind::Ldap(s) => match ldap::LdapDirectory::new(&d.name, &d.title, (**s).clone()) {
                Ok(ld) => {
                    let known = institutions.iter().map(|i| (i.name.clone(), i.title.clone())).collect();
                    out.push(Arc::new(ld.with_institutions(default_institution(institutions, &d.name), known)))
                }
                Err(e) => {
                    errors.push(ConfigError { file: config_path.to_path_buf(), position: None, message: e.to_string() })
                }
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ConfigErrors(errors))
    }
}
