//! eID logins as the audit trail sees them: refusals with their reason, the session a verified and linked eID
//! starts, and the sessions a provider's logout ends. The eID flows themselves are [`crate::eid`]; handlers call
//! these and render.

use crate::audit::{self, AuditEvent, EndReason, Observer, Outcome, Who};
use crate::eid::{EidError, Verified};
use crate::methods::Assurance;
use crate::session::{SessionFilter, SessionId, SessionRecord, Sessions, StoreError};

/// Why an eID login was refused after the provider answered (`eid` failure reasons in docs/audit.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider is not offered in the request's zone.
    ZoneNotAllowed,
    /// An eID not linked to an account, outside the zones where linking is allowed.
    NotLinked,
    /// The provider's claim maps to no account of its directory.
    NoMappedAccount,
    /// Linked to an account the directory no longer has.
    AccountGone,
    /// Linked to an account the directory calls disabled.
    AccountDisabled,
}

impl Refusal {
    /// The audit reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::ZoneNotAllowed => "zone_not_allowed",
            Refusal::NotLinked => "not_linked",
            Refusal::NoMappedAccount => "no_mapped_account",
            Refusal::AccountGone => "account_gone",
            Refusal::AccountDisabled => "account_disabled",
        }
    }
}

/// Records a refused eID login (`eid`, failure) at the assurance the provider proved (none before it answered).
pub fn refused(provider: &str, why: Refusal, assurance: Assurance, who: Who<'_>) {
    let reason = Some(why.as_str());
    audit::emit(AuditEvent::Eid { provider, outcome: Outcome::Failure, reason, assurance, who, from_snapshot: false });
}

/// Records a failed eID step (`eid`): `error` when the provider or the store failed, `failure` when the answer was
/// refused or the user cancelled; returns whether it was an error (the page says "try again later" then).
pub fn failed(provider: &str, e: &EidError) -> bool {
    let (outcome, reason) = match e {
        EidError::UnknownProvider | EidError::FlowMissing => (Outcome::Failure, "flow_missing"),
        EidError::Denied { error, .. } if error == "access_denied" => (Outcome::Failure, "cancelled"),
        EidError::Denied { .. } => (Outcome::Error, "provider_error"),
        EidError::Unavailable(_) => (Outcome::Error, "provider_unavailable"),
        EidError::IssuerMismatch(_) | EidError::CodeRefused(_) | EidError::InvalidToken(_) => {
            (Outcome::Failure, "invalid_response")
        }
        EidError::AcrTooLow { .. } => (Outcome::Failure, "assurance_too_low"),
        EidError::Store(_) => (Outcome::Error, "store_unavailable"),
    };
    let (assurance, who) = (Assurance::None, Who::default());
    audit::emit(AuditEvent::Eid { provider, outcome, reason: Some(reason), assurance, who, from_snapshot: false });
    outcome == Outcome::Error
}

/// Starts the session of a verified eID for `user`, recording the eID result with its assurance (`eid`) and the
/// session (`session_created`). `from_snapshot` is when the last-known directory entry `user` came from was fetched
/// (the directory did not answer): the session is marked to be checked again as soon as it answers, and the `eid`
/// event says `directory_unavailable` and `from_snapshot`.
pub async fn start_session(
    sessions: &Sessions,
    user: &crate::directory::User,
    v: &Verified,
    from_snapshot: Option<crate::clock::Instant>,
) -> Result<(SessionId, SessionRecord), StoreError> {
    let (id, mut rec) = sessions.create_eid(user, v.assurance, v.login()).await?;
    if from_snapshot.is_some() {
        rec.from_snapshot = from_snapshot;
        sessions.update(&id, &rec).await?;
    }
    let key = id.key();
    let who = Who::user(&rec.username, &rec.realm).with_session(&key);
    audit::emit(AuditEvent::Eid {
        provider: &v.provider,
        outcome: Outcome::Success,
        reason: from_snapshot.map(|_| "directory_unavailable"),
        assurance: v.assurance,
        who,
        from_snapshot: from_snapshot.is_some(),
    });
    audit::emit(AuditEvent::SessionCreated { methods: &rec.methods.header_value(), who });
    Ok((id, rec))
}

/// Ends the sessions a provider's logout (front- or back-channel) or an eID unlink names, recording each
/// (`session_ended`, `revoked`) through `observer` (also outside a request, as after a front-channel logout).
pub async fn end_sessions(
    sessions: &Sessions,
    observer: &Observer,
    filter: &SessionFilter<'_>,
) -> Result<usize, StoreError> {
    let n = sessions.end_matching(filter).await?;
    let who = match *filter {
        SessionFilter::EidOfUser { realm, username } => Who::user(username, realm),
        _ => Who::default(),
    };
    let ev = AuditEvent::SessionEnded { reason: EndReason::Revoked, who };
    for _ in 0..n {
        audit::emit_or(observer, &ev);
    }
    Ok(n)
}
