//! User directories: who the users are and whether their password is right.
//!
//! [`Directory`] is the trait every backend implements (the users file now, LDAP later). Password checks are
//! CPU-heavy and run on the blocking pool, never on the async runtime.

pub mod file;
pub mod password;

use std::sync::Arc;

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
}

/// Why a directory could not answer (not: a wrong password, which is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The backend is unreachable or failed.
    #[error("user directory {0} is unavailable: {1}")]
    Unavailable(String, String),
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
    /// Looks a user up without a password (for session refresh and account pages).
    async fn lookup(&self, username: &str) -> Result<Option<User>, DirectoryError>;
    /// The user whose e-mail address is `email` (compared case-insensitively); used to link an eID.
    async fn find_by_email(&self, email: &str) -> Result<Option<User>, DirectoryError>;
    /// Every group name this directory knows, for checking policies; `None` if it can't list them.
    fn groups(&self) -> Option<std::collections::HashSet<String>> {
        None
    }
    /// Re-reads the backing store (SIGHUP); errors leave the old data serving.
    fn reload(&self) -> Result<(), crate::config::error::ConfigErrors> {
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

/// Builds every configured directory; errors in users files are reported with their positions.
pub fn build_all(cfg: &crate::config::Config) -> Result<Vec<SharedDirectory>, crate::config::error::ConfigErrors> {
    let mut out: Vec<SharedDirectory> = Vec::new();
    let mut errors = Vec::new();
    for d in &cfg.directories {
        match &d.kind {
            crate::config::DirectoryKind::File { path } => match file::FileDirectory::load(&d.name, &d.title, path) {
                Ok(fd) => out.push(Arc::new(fd)),
                Err(e) => errors.extend(e.0),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(crate::config::error::ConfigErrors(errors))
    }
}
