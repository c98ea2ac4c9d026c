//! Domain services: the orchestration behind the gateway's pages, with no HTTP in them. A handler extracts what the
//! request says, calls one of these, and renders the outcome; the services decide (regulation, limits, sending,
//! linking) over the stores, directories and senders they are given.
//!
//! - [`login`]: password login with failed-attempt regulation, and password confirmation for account changes.
//! - [`codes`]: sending a one-time code (limits, issue, delivery, taking back an undelivered send).
//! - [`eid_link`]: linking a verified eID to an account by a code sent to its municipal e-mail address.
//! - [`sessions`]: sessions created, checked, stepped up and ended, each with its audit event.
//! - [`eid_login`]: eID refusals, the session a linked eID starts, sessions a provider's logout ends.
//! - [`account_changes`]: SMS numbers and the eID link changed (or refused), with their audit events.

pub mod account_changes;
pub mod codes;
pub mod eid_link;
pub mod eid_login;
pub mod login;
pub mod sessions;

/// A store, directory or other dependency did not answer: the request cannot be decided now (a 503 page, never a
/// refusal or a pass).
#[derive(Debug, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct Unavailable {
    /// What failed ("regulation store", "directory").
    pub what: &'static str,
    /// The failure.
    pub detail: String,
}

impl Unavailable {
    /// Maps an error of `what` to [`Unavailable`].
    pub fn of<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Unavailable {
        move |e| Unavailable { what, detail: e.to_string() }
    }
}

/// Sends an e-mail in the background (notices about account changes); a failure is logged, not shown.
pub fn notify_in_background(
    email: Option<std::sync::Arc<dyn crate::notify::EmailSender>>,
    to: Option<String>,
    msg: crate::notify::EmailMessage,
    what: &'static str,
) {
    let (Some(to), Some(email)) = (to, email) else { return };
    tokio::spawn(async move {
        if let Err(e) = email.send(&to, &msg).await {
            tracing::warn!(error = %e, notice = what, "could not send a notice by e-mail");
        }
    });
}
