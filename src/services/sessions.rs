//! Sessions as the audit trail sees them: created at login, checked on each request (an end by the idle timeout or
//! the absolute lifetime recorded with its user), stepped up by a second factor, ended by logout or because the
//! directory no longer has the account. Each records its audit event here, so handlers only call and render.

use crate::audit::{self, AuditEvent, EndReason, Outcome, Who};
use crate::methods::{Method, Methods};
use crate::session::{Invalid, SessionId, SessionRecord, Sessions, StoreError};
use std::time::Duration;

/// Starts a session after a complete password login (`session_created`).
pub async fn create(
    sessions: &Sessions,
    user: &crate::directory::User,
    methods: Methods,
) -> Result<(SessionId, SessionRecord), StoreError> {
    let (id, rec) = sessions.create(user, methods).await?;
    created(&id, &rec);
    Ok((id, rec))
}

/// Records that a session began (`session_created`), for sessions started elsewhere (eID).
pub fn created(id: &SessionId, rec: &SessionRecord) {
    let key = id.key();
    let who = Who::user(&rec.username, &rec.realm).with_session(&key);
    audit::emit(AuditEvent::SessionCreated { methods: &rec.methods.header_value(), who });
}

/// The session presented by a request, with timeouts checked and the request recorded as activity; one that this
/// check ends by the idle timeout or the absolute lifetime is recorded (`session_ended`, `idle` or `absolute`) with
/// its user and realm.
pub async fn validate(
    sessions: &Sessions,
    id: &SessionId,
    idle: &(dyn Fn(Methods) -> Duration + Sync),
    now: crate::clock::Instant,
) -> Result<Result<std::sync::Arc<SessionRecord>, Invalid>, StoreError> {
    match sessions.validate_ending_at(id, idle, now).await? {
        Ok(rec) => Ok(Ok(rec)),
        Err(ended) => {
            let reason = match ended.why {
                Invalid::IdleTimeout => Some(EndReason::Idle),
                Invalid::Lifetime => Some(EndReason::Absolute),
                Invalid::Missing => None,
            };
            if let Some(reason) = reason {
                let key = id.key();
                let who = match ended.record.as_deref() {
                    Some(rec) => Who::user(&rec.username, &rec.realm).with_session(&key),
                    None => Who { session: Some(&key), ..Default::default() },
                };
                audit::emit(AuditEvent::SessionEnded { reason, who });
            }
            Ok(Err(ended.why))
        }
    }
}

/// Replaces the session by one with `added` proved (a new ID), recording the factor's success (`login`).
pub async fn step_up(
    sessions: &Sessions,
    id: &SessionId,
    rec: &SessionRecord,
    added: Method,
) -> Result<(SessionId, SessionRecord), StoreError> {
    let (new_id, next) = sessions.step_up(id, rec, added).await?;
    tracing::info!(user = %next.username, methods = %next.methods.header_value(), "second factor verified");
    let key = new_id.key();
    let who = Who::user(&next.username, &next.realm).with_session(&key);
    audit::emit(AuditEvent::Login { method: added, outcome: Outcome::Success, reason: None, who });
    Ok((new_id, next))
}

/// Why the gateway ends one session now; the idle timeout and the lifetime end sessions in [`validate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The user logged out (`session_ended`, `logout`); the reply clears the session cookie.
    Logout,
    /// The directory no longer has the account, or has disabled it (`session_ended`, `revoked`).
    AccountGone,
    /// A new login on this browser replaces the session (no event: the login that replaces it is recorded).
    Replaced,
}

/// The one place that ends a single session: removes it from the store, logs it and records its audit event.
/// Whether the reply clears the session cookie is [`End::clears_cookie`]; the gateway writes that header
/// (`Gateway::end_session`).
pub async fn end(sessions: &Sessions, id: &SessionId, rec: &SessionRecord, why: End) -> Result<(), StoreError> {
    let reason = match why {
        End::Logout => {
            sessions.end(id).await?;
            tracing::info!(user = %rec.username, "logout");
            EndReason::Logout
        }
        End::AccountGone => {
            tracing::info!(user = %rec.username, realm = %rec.realm, reason = "account_gone", "session ended: the directory no longer has this account, or it is disabled");
            sessions.end(id).await?;
            EndReason::Revoked
        }
        End::Replaced => return sessions.end(id).await,
    };
    let key = id.key();
    let who = Who::user(&rec.username, &rec.realm).with_session(&key);
    audit::emit(AuditEvent::SessionEnded { reason, who });
    Ok(())
}

impl End {
    /// Whether the reply to this request clears the session cookie: after a logout. A replaced session's cookie is
    /// overwritten by the new login's, and a revoked account's request goes on as one without a session.
    pub fn clears_cookie(self) -> bool {
        self == End::Logout
    }
}

/// Records a request of this session that a policy refused with 403 (`policy_denied`): the deciding rule's id
/// (without the "(file:line)" the log carries; the built-in zone rule when none decided) and the kind of denial.
pub fn policy_denied(service: &str, d: &crate::access::Denial, id: &SessionId, rec: &SessionRecord) {
    use crate::access::{DenyKind, BUILTIN_RULE};
    let rule = d.rule.as_deref().map(|r| r.split(" (").next().unwrap_or(r)).unwrap_or(BUILTIN_RULE);
    let kind = match d.kind {
        DenyKind::Zone => "zone",
        DenyKind::ClosedUntil(_) => "closed",
        DenyKind::Rule => "rule",
        DenyKind::NoAccess => "no_access",
    };
    let key = id.key();
    let who = Who::user(&rec.username, &rec.realm).with_session(&key);
    audit::emit(AuditEvent::PolicyDenied { service, rule, kind, who });
}
