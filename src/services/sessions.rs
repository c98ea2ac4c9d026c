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
) -> Result<Result<SessionRecord, Invalid>, StoreError> {
    match sessions.validate_ending(id, idle).await? {
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

/// Ends a session at the user's request (`session_ended`, `logout`).
pub async fn logout(sessions: &Sessions, id: &SessionId, rec: &SessionRecord) -> Result<(), StoreError> {
    sessions.end(id).await?;
    tracing::info!(user = %rec.username, "logout");
    ended(id, rec, EndReason::Logout);
    Ok(())
}

/// Ends a session whose account the directory no longer has, or has disabled (`session_ended`, `revoked`).
pub async fn revoke(sessions: &Sessions, id: &SessionId, rec: &SessionRecord) -> Result<(), StoreError> {
    tracing::info!(user = %rec.username, realm = %rec.realm, reason = "account_gone", "session ended: the directory no longer has this account, or it is disabled");
    sessions.end(id).await?;
    ended(id, rec, EndReason::Revoked);
    Ok(())
}

fn ended(id: &SessionId, rec: &SessionRecord, reason: EndReason) {
    let key = id.key();
    let who = Who::user(&rec.username, &rec.realm).with_session(&key);
    audit::emit(AuditEvent::SessionEnded { reason, who });
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
