//! Password login with failed-attempt regulation, and password confirmation for account changes.
//!
//! An attempt is counted before the password is checked (so parallel guesses cannot all be checked before the
//! first is counted), cleared on success, and taken back when the password was not checked (directory down) or
//! the directory refused a right password because it must be changed.

use super::Unavailable;
use crate::audit::{self, AuditEvent, Outcome, Who};
use crate::directory::{DirectoryError, Refusal, SharedDirectory, User};
use crate::methods::Method;
use crate::regulation::Regulator;
use std::net::IpAddr;
use std::time::Duration;

/// Longest username and password looked at; longer ones fail without a directory question.
const MAX_USERNAME: usize = 256;
const MAX_PASSWORD: usize = 1024;

/// How a password login ended.
#[derive(Debug)]
pub enum LoginOutcome {
    /// The password is right: this is the user.
    Success(User),
    /// Wrong password, unknown user or realm, or an empty or oversized field: one message for all.
    Failed,
    /// The account or address is banned for now; try again after this long.
    TooManyAttempts(Duration),
    /// The directory refused the account (must change password, disabled, locked).
    Refused {
        /// Why.
        reason: Refusal,
        /// Where to change the password, for [`Refusal::must_change_password`].
        password_change_url: Option<String>,
    },
    /// The directory did not answer; the attempt is not counted.
    DirectoryDown,
}

/// How a password confirmation (for an account change) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// The password is right.
    Confirmed,
    /// It is not (or it is empty); the attempt stays counted.
    Wrong,
    /// The account or address is banned for now.
    TooManyAttempts(Duration),
}

/// The regulation key of an account: `realm:username` ([`crate::identity::AccountId::key`]).
pub fn account_key(realm: &str, username: &str) -> String {
    crate::identity::AccountId::new(realm, username).key()
}

/// Password checks over the configured directories, regulated.
#[derive(Debug, Clone, Copy)]
pub struct PasswordLogin<'a> {
    /// The directories, the first being the default realm.
    pub directories: &'a [SharedDirectory],
    /// Failed-attempt regulation.
    pub regulator: &'a Regulator,
}

impl PasswordLogin<'_> {
    /// The directory for a realm name (empty: the first).
    pub fn directory(&self, realm: &str) -> Option<&SharedDirectory> {
        if realm.is_empty() {
            self.directories.first()
        } else {
            self.directories.iter().find(|d| d.name() == realm)
        }
    }

    /// A login with `username` (already normalised) and `password` in `realm`, from `client`.
    pub async fn attempt(
        &self,
        realm: &str,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<LoginOutcome, Unavailable> {
        let Some(dir) = self.directory(realm) else { return Ok(LoginOutcome::Failed) };
        if username.is_empty() || username.len() > MAX_USERNAME || password.is_empty() || password.len() > MAX_PASSWORD
        {
            return Ok(LoginOutcome::Failed);
        }
        let shown = client.map(|c| c.to_string()).unwrap_or_default();
        let account = account_key(dir.name(), username);
        let store = Unavailable::of("regulation store");
        if let Err(wait) = self.regulator.begin(&account, client).await.map_err(&store)? {
            tracing::warn!(user = %username, client = %shown, "login refused: too many failed attempts");
            let (who, reason) = (Who::user(username, dir.name()), Some("locked"));
            audit::emit(AuditEvent::Login { method: Method::Password, outcome: Outcome::Failure, reason, who });
            return Ok(LoginOutcome::TooManyAttempts(wait));
        }
        match dir.authenticate(username, password).await {
            Ok(Some(user)) => {
                self.regulator.succeeded(&account, client).await.map_err(&store)?;
                // Logged with the new session by the caller, once it exists (`session_created` follows).
                let who = Who::user(&user.username, &user.realm);
                audit::emit(AuditEvent::Login {
                    method: Method::Password,
                    outcome: Outcome::Success,
                    reason: None,
                    who,
                });
                Ok(LoginOutcome::Success(user))
            }
            Ok(None) => {
                let banned = self.regulator.failed(&account, client).await.ok().flatten().is_some();
                tracing::info!(user = %username, client = %shown, realm = %dir.name(), banned, reason = "wrong_password", "login failed");
                let (who, reason) = (Who::user(username, dir.name()), Some("wrong_password"));
                audit::emit(AuditEvent::Login { method: Method::Password, outcome: Outcome::Failure, reason, who });
                if banned {
                    audit::emit(AuditEvent::Lockout { limit: "login", who });
                }
                Ok(LoginOutcome::Failed)
            }
            Err(DirectoryError::Refused { reason, password_change_url, .. }) => {
                // The directory's own state (AD: must change password, disabled, locked). "Must change" comes only
                // after a right password: not a guess, so not counted; disabled and locked stay counted.
                if reason.must_change_password() {
                    self.regulator.not_checked(&account, client).await.map_err(&store)?;
                }
                tracing::info!(user = %username, client = %shown, realm = %dir.name(), reason = reason.reason(), "login refused by the directory");
                let (who, why) = (Who::user(username, dir.name()), Some(reason.reason()));
                audit::emit(AuditEvent::Login {
                    method: Method::Password,
                    outcome: Outcome::Failure,
                    reason: why,
                    who,
                });
                Ok(LoginOutcome::Refused { reason, password_change_url })
            }
            Err(e) => {
                // Not a wrong password: the attempt is taken back from the account's and address's counts.
                self.regulator.not_checked(&account, client).await.map_err(&store)?;
                tracing::error!(error = %e, user = %username, client = %shown, realm = %dir.name(), reason = "directory_unavailable", "directory unavailable during login");
                let (who, why) = (Who::user(username, dir.name()), Some("directory_unavailable"));
                audit::emit(AuditEvent::Login { method: Method::Password, outcome: Outcome::Error, reason: why, who });
                Ok(LoginOutcome::DirectoryDown)
            }
        }
    }

    /// Confirms the password of a logged-in user before an account change, regulated like a login.
    pub async fn confirm(
        &self,
        realm: &str,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Confirmation, Unavailable> {
        let Some(dir) = self.directory(realm) else {
            return Err(Unavailable { what: "directory", detail: format!("the directory of realm {realm} is gone") });
        };
        let account = account_key(realm, username);
        let store = Unavailable::of("regulation store");
        if let Err(wait) = self.regulator.begin(&account, client).await.map_err(&store)? {
            return Ok(Confirmation::TooManyAttempts(wait));
        }
        let ok = !password.is_empty()
            && password.len() <= MAX_PASSWORD
            && dir.authenticate(username, password).await.map_err(Unavailable::of("directory"))?.is_some();
        if !ok {
            return Ok(Confirmation::Wrong);
        }
        self.regulator.succeeded(&account, client).await.map_err(&store)?;
        Ok(Confirmation::Confirmed)
    }
}
