//! Changes users make to their own account (SMS numbers, the eID link), with their audit events. The checks that
//! decide whether a change may be made (zone, password) stay with the caller; what was decided is recorded here.

use super::Unavailable;
use crate::account::{AccountStore, EidLink};
use crate::audit::{self, AuditEvent, Change, Observer, Outcome, Who};
use crate::session::{SessionFilter, SessionRecord, Sessions};

/// Why a change was refused (`account_changed` failure reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not from a zone where the change is allowed.
    Zone,
    /// The password given to confirm it was wrong.
    WrongPassword,
}

/// Records a refused change of `change` for the session's user.
pub fn refused(rec: &SessionRecord, change: Change, why: Refusal) {
    let reason = Some(match why {
        Refusal::Zone => "zone",
        Refusal::WrongPassword => "wrong_password",
    });
    let who = Who::user(&rec.username, &rec.realm);
    audit::emit(AuditEvent::AccountChanged { change, outcome: Outcome::Failure, reason, who });
}

/// Stores the user's SMS numbers under `account` (`realm:username`), returning the old ones; a real change is
/// recorded (`account_changed`, `phones`).
pub async fn set_phones(
    accounts: &dyn AccountStore,
    rec: &SessionRecord,
    account: &str,
    numbers: Vec<String>,
) -> Result<Vec<String>, Unavailable> {
    let old = accounts.set_phones(account, numbers.clone()).await.map_err(Unavailable::of("account store"))?;
    if old != numbers {
        tracing::info!(user = %rec.username, count = numbers.len(), "SMS numbers changed");
        let who = Who::user(&rec.username, &rec.realm);
        audit::emit(AuditEvent::AccountChanged {
            change: Change::Phones,
            outcome: Outcome::Success,
            reason: None,
            who,
        });
    }
    Ok(old)
}

/// Removes the eID link of `account` and ends the sessions opened with it (a wrongly linked person must not keep
/// access), recording the unlink (`account_changed`, `eid_unlink`) and each ended session (`revoked`).
pub async fn unlink_eid(
    accounts: &dyn AccountStore,
    sessions: &Sessions,
    observer: &Observer,
    rec: &SessionRecord,
    account: &str,
) -> Result<Option<EidLink>, Unavailable> {
    let Some(l) = accounts.unlink_eid(account).await.map_err(Unavailable::of("account store"))? else {
        return Ok(None);
    };
    let who = Who::user(&rec.username, &rec.realm);
    audit::emit(AuditEvent::AccountChanged { change: Change::EidUnlink, outcome: Outcome::Success, reason: None, who });
    let filter = SessionFilter::EidOfUser { realm: &rec.realm, username: &rec.username };
    let ended =
        super::eid_login::end_sessions(sessions, observer, &filter).await.map_err(Unavailable::of("session store"))?;
    tracing::info!(user = %rec.username, provider = %l.provider, ended, "eID unlinked");
    Ok(Some(l))
}
