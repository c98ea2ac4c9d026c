//! Last-known directory entries as the gateway uses them ([`crate::directory::snapshot`]): kept after each
//! successful directory read of an account, and used by an eID login of a linked account while its directory does
//! not answer, within the realm's `outage_grace`.

use super::Gateway;
use crate::clock::Instant;
use crate::directory::snapshot::{self, Snapshot};
use crate::directory::{DirectoryError, User};
use crate::identity::AccountId;
use std::time::Duration;

/// How an eID login's account read ended.
#[derive(Debug)]
pub enum EidAccount {
    /// The directory answered with this user (`None`), or it did not and a last-known entry fetched then stands in.
    Found(User, Option<Instant>),
    /// The directory no longer has the account.
    Gone,
    /// The directory calls the account disabled.
    Disabled,
    /// The directory did not answer and no usable last-known entry exists (older than the grace, disabled, none).
    Unavailable(DirectoryError),
}

impl Gateway {
    /// The realm's `outage_grace` (zero for an unknown realm: no stand-in).
    pub fn outage_grace(&self, realm: &str) -> Duration {
        self.state.cfg.directories.iter().find(|d| d.name == realm).map(|d| d.outage_grace).unwrap_or_default()
    }

    /// Keeps what the directory just said about `user` as the account's last-known entry. A store failure is
    /// logged: the request goes on, only a later outage finds no entry.
    pub async fn remember_entry(&self, user: &User) {
        let account = AccountId::new(&user.realm, &user.username);
        self.keep(&account, &Snapshot::of(user, self.state.clock.now())).await;
    }

    /// Records that the directory refused or no longer has the account, so no older entry stands in for it.
    pub async fn remember_refused(&self, realm: &str, username: &str) {
        let account = AccountId::new(realm, username);
        self.keep(&account, &Snapshot::refused(self.state.clock.now())).await;
    }

    async fn keep(&self, account: &AccountId, snap: &Snapshot) {
        let grace = self.outage_grace(&account.realm);
        if let Err(e) = snapshot::remember(self.state.stores.snapshots.as_ref(), account, snap, grace).await {
            tracing::warn!(realm = %account.realm, user = %account.username, error = %e, "last-known directory entry not kept");
        }
    }

    /// The account of a linked eID login: read from its directory (and kept), or, while the directory does not
    /// answer, its last-known entry when younger than the realm's `outage_grace` and not disabled.
    pub async fn eid_account(&self, realm: &str, username: &str) -> Result<EidAccount, crate::store::StoreError> {
        let Some(dir) = self.state.directory(Some(realm)) else { return Ok(EidAccount::Gone) };
        match dir.lookup(username).await {
            Ok(Some(user)) => {
                self.remember_entry(&user).await;
                Ok(EidAccount::Found(user, None))
            }
            Ok(None) => {
                self.remember_refused(realm, username).await;
                Ok(EidAccount::Gone)
            }
            Err(DirectoryError::Refused { .. }) => {
                // A lookup's refusal is a disabled account (lookups check no password).
                self.remember_refused(realm, username).await;
                Ok(EidAccount::Disabled)
            }
            Err(e) => {
                let account = AccountId::new(realm, username);
                let now = self.state.clock.now();
                let grace = self.outage_grace(realm);
                match snapshot::recall(self.state.stores.snapshots.as_ref(), &account).await? {
                    Some(s) if s.usable(now, grace) => {
                        tracing::warn!(realm, user = username, error = %e, age_s = now.since(s.fetched_at).as_secs(), "directory unavailable: eID login from the last-known entry");
                        Ok(EidAccount::Found(s.user(&account), Some(s.fetched_at)))
                    }
                    _ => Ok(EidAccount::Unavailable(e)),
                }
            }
        }
    }
}
