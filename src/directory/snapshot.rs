//! Last-known directory entries: after each successful directory read of an account (password login, eID login or
//! link, session refresh) its entry is kept in the store, sealed like every store value, for `outage_grace`. While
//! the directory does not answer, an eID login of a linked account may use an entry younger than that
//! ([`Snapshot::usable`]); a password login never does (the password cannot be checked).

use super::User;
use crate::clock::Instant;
use crate::identity::AccountId;
use crate::store::{SnapshotStore, StoreError};
use std::time::Duration;

/// What the directory said about an account, and when.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// Display name.
    pub display_name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Short group names.
    pub groups: Vec<String>,
    /// Institution.
    pub institution: Option<String>,
    /// Mobile numbers from the entry.
    #[serde(default)]
    pub phones: Vec<String>,
    /// The directory called the account disabled.
    pub disabled: bool,
    /// When the directory answered.
    pub fetched_at: Instant,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names, addresses and numbers stay out of logs.
        f.debug_struct("Snapshot")
            .field("groups", &self.groups)
            .field("disabled", &self.disabled)
            .field("fetched_at", &self.fetched_at)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// The entry of a user the directory just returned.
    pub fn of(user: &User, now: Instant) -> Snapshot {
        Snapshot {
            display_name: user.display_name.clone(),
            email: user.email.clone(),
            groups: user.groups.clone(),
            institution: user.institution.clone(),
            phones: user.phones.clone(),
            disabled: false,
            fetched_at: now,
        }
    }

    /// The entry of an account the directory refused (disabled) or no longer has: it never stands in.
    pub fn refused(now: Instant) -> Snapshot {
        Snapshot {
            display_name: String::new(),
            email: None,
            groups: Vec::new(),
            institution: None,
            phones: Vec::new(),
            disabled: true,
            fetched_at: now,
        }
    }

    /// Whether this entry may stand in for the directory at `now`: not disabled and younger than `grace`.
    pub fn usable(&self, now: Instant, grace: Duration) -> bool {
        !self.disabled && !grace.is_zero() && now.since(self.fetched_at) < grace
    }

    /// The user this entry describes.
    pub fn user(&self, account: &AccountId) -> User {
        User {
            username: account.username.clone(),
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            groups: self.groups.clone(),
            realm: account.realm.clone(),
            institution: self.institution.clone(),
            phones: self.phones.clone(),
        }
    }
}

/// Keeps `snap` as the account's last-known entry for `grace` (nothing when `grace` is zero: turned off).
pub async fn remember(
    store: &dyn SnapshotStore,
    account: &AccountId,
    snap: &Snapshot,
    grace: Duration,
) -> Result<(), StoreError> {
    if grace.is_zero() {
        return Ok(());
    }
    let bytes = serde_json::to_vec(snap).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    store.put_snapshot(&account.key(), bytes, grace).await
}

/// The account's last-known entry, if one is kept (an unreadable one is an error, never "none").
pub async fn recall(store: &dyn SnapshotStore, account: &AccountId) -> Result<Option<Snapshot>, StoreError> {
    match store.snapshot(&account.key()).await? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(&b).map(Some).map_err(|e| StoreError::Corrupt(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry stands in only while younger than the grace, never when disabled or with the grace turned off;
    /// its user is the account's with the entry's facts, and its Debug leaves out names and addresses.
    #[test]
    fn usable_within_grace_only() {
        let user = User {
            username: "anna".into(),
            display_name: "Anna Lindqvist".into(),
            email: Some("anna@kommune.example".into()),
            groups: vec!["payroll".into()],
            realm: "ad".into(),
            institution: None,
            phones: vec![],
        };
        let t0 = Instant(1_000_000);
        let s = Snapshot::of(&user, t0);
        let h = Duration::from_secs(3600);
        assert!(s.usable(t0.plus(h - Duration::from_secs(1)), h));
        assert!(!s.usable(t0.plus(h), h));
        assert!(!s.usable(t0, Duration::ZERO));
        assert!(!Snapshot { disabled: true, ..s.clone() }.usable(t0, h));
        assert_eq!(s.user(&AccountId::new("ad", "anna")), user);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("Lindqvist") && !dbg.contains("anna@"), "{dbg}");
    }
}
