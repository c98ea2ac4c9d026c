//! The account store: what users register themselves (SMS numbers, the eID linked to the account). It must survive a restart:
//! the default keeps a JSON file, rewritten atomically (temporary file, fsync, rename) on the blocking pool.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The most SMS numbers one user may register.
pub const MAX_PHONES: usize = 2;

/// What one user has registered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// SMS numbers in E.164, at most [`MAX_PHONES`].
    #[serde(default)]
    pub phones: Vec<String>,
    /// The eID linked to the account, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<EidLink>,
}

/// An eID linked to an account: logging in with this person's eID at this provider logs in as the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EidLink {
    /// Provider name.
    pub provider: String,
    /// The person's identifier at the provider (e.g. `pid`).
    pub person_id: String,
    /// When the link was made.
    pub linked_at: crate::clock::Instant,
}

/// Why the account store failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// More numbers than allowed.
    #[error("at most {MAX_PHONES} numbers can be registered")]
    TooManyPhones,
    /// The account already has an eID linked (unlink it first).
    #[error("this account already has an eID linked")]
    AlreadyLinked,
    /// This person's eID is already linked to another account.
    #[error("this eID is already linked to another account")]
    PersonTaken,
    /// The backing file could not be read or written.
    #[error("account store {0}: {1}")]
    Io(String, String),
}

/// Accounts keyed by "realm:username".
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync + std::fmt::Debug {
    /// The account, empty if never saved.
    async fn get(&self, key: &str) -> Result<Account, AccountError>;
    /// Replaces the SMS numbers; returns the previous ones.
    async fn set_phones(&self, key: &str, phones: Vec<String>) -> Result<Vec<String>, AccountError>;
    /// The account ("realm:username") this person's eID is linked to.
    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, AccountError>;
    /// Links an eID to an account; refused if the account has a link or the person is linked elsewhere.
    async fn link_eid(&self, key: &str, link: EidLink) -> Result<(), AccountError>;
    /// Removes the account's eID link; returns the link removed.
    async fn unlink_eid(&self, key: &str) -> Result<Option<EidLink>, AccountError>;
}

/// The embedded default: all accounts in one JSON file.
#[derive(Debug)]
pub struct FileAccountStore {
    path: PathBuf,
    data: Arc<Mutex<BTreeMap<String, Account>>>,
    /// Serialises writers so file writes happen in order.
    write_lock: tokio::sync::Mutex<()>,
}

impl FileAccountStore {
    /// Opens (or starts) the store at `path`; a corrupt file is an error, never silently replaced.
    pub fn open(path: &Path) -> Result<FileAccountStore, AccountError> {
        let data = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| AccountError::Io(path.display().to_string(), format!("not valid account data: {e}")))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(AccountError::Io(path.display().to_string(), e.to_string())),
        };
        Ok(FileAccountStore {
            path: path.to_path_buf(),
            data: Arc::new(Mutex::new(data)),
            write_lock: Default::default(),
        })
    }

    async fn persist(&self) -> Result<(), AccountError> {
        let _w = self.write_lock.lock().await;
        let snapshot = serde_json::to_vec_pretty(&*self.data.lock())
            .map_err(|e| AccountError::Io(self.path.display().to_string(), e.to_string()))?;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || write_atomically(&path, &snapshot))
            .await
            .map_err(|e| AccountError::Io(self.path.display().to_string(), e.to_string()))?
            .map_err(|e| AccountError::Io(self.path.display().to_string(), e.to_string()))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl AccountStore for FileAccountStore {
    async fn get(&self, key: &str) -> Result<Account, AccountError> {
        Ok(self.data.lock().get(key).cloned().unwrap_or_default())
    }

    async fn set_phones(&self, key: &str, phones: Vec<String>) -> Result<Vec<String>, AccountError> {
        if phones.len() > MAX_PHONES {
            return Err(AccountError::TooManyPhones);
        }
        let old = {
            let mut data = self.data.lock();
            let acc = data.entry(key.to_string()).or_default();
            std::mem::replace(&mut acc.phones, phones)
        };
        self.persist().await?;
        Ok(old)
    }

    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, AccountError> {
        let data = self.data.lock();
        let found = data
            .iter()
            .find(|(_, a)| a.eid.as_ref().is_some_and(|l| l.provider == provider && l.person_id == person_id));
        Ok(found.map(|(k, _)| k.clone()))
    }

    async fn link_eid(&self, key: &str, link: EidLink) -> Result<(), AccountError> {
        {
            let mut data = self.data.lock();
            let taken = data.iter().any(|(k, a)| {
                k != key && a.eid.as_ref().is_some_and(|l| l.provider == link.provider && l.person_id == link.person_id)
            });
            if taken {
                return Err(AccountError::PersonTaken);
            }
            let acc = data.entry(key.to_string()).or_default();
            if acc.eid.is_some() {
                return Err(AccountError::AlreadyLinked);
            }
            acc.eid = Some(link);
        }
        self.persist().await
    }

    async fn unlink_eid(&self, key: &str) -> Result<Option<EidLink>, AccountError> {
        let old = self.data.lock().get_mut(key).and_then(|a| a.eid.take());
        if old.is_some() {
            self.persist().await?;
        }
        Ok(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers survive reopening the store; a third number is refused; a corrupt file is an error.
    #[tokio::test]
    async fn persists_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state/accounts.json");
        let s = FileAccountStore::open(&p).unwrap();
        assert_eq!(s.get("staff:anna").await.unwrap(), Account::default());
        let old = s.set_phones("staff:anna", vec!["+46701234567".into()]).await.unwrap();
        assert!(old.is_empty());
        assert!(matches!(
            s.set_phones("staff:anna", vec!["+461".into(), "+462".into(), "+463".into()]).await,
            Err(AccountError::TooManyPhones)
        ));
        drop(s);
        let s = FileAccountStore::open(&p).unwrap();
        assert_eq!(s.get("staff:anna").await.unwrap().phones, vec!["+46701234567"]);
        std::fs::write(&p, "{not json").unwrap();
        assert!(FileAccountStore::open(&p).is_err());
    }

    /// A link survives reopening, is found by person, is one per account and one per person, and unlinks.
    #[tokio::test]
    async fn eid_links() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("accounts.json");
        let s = FileAccountStore::open(&p).unwrap();
        let link = |pid: &str| EidLink {
            provider: "idporten".into(),
            person_id: pid.into(),
            linked_at: crate::clock::Instant(1),
        };
        s.link_eid("staff:anna", link("111")).await.unwrap();
        assert!(matches!(s.link_eid("staff:anna", link("222")).await, Err(AccountError::AlreadyLinked)));
        assert!(matches!(s.link_eid("staff:bjorn", link("111")).await, Err(AccountError::PersonTaken)));
        drop(s);
        let s = FileAccountStore::open(&p).unwrap();
        assert_eq!(s.find_eid("idporten", "111").await.unwrap().as_deref(), Some("staff:anna"));
        assert_eq!(s.find_eid("other", "111").await.unwrap(), None);
        assert_eq!(s.unlink_eid("staff:anna").await.unwrap(), Some(link("111")));
        assert_eq!(s.find_eid("idporten", "111").await.unwrap(), None);
        s.link_eid("staff:bjorn", link("111")).await.unwrap();
        assert_eq!(s.find_eid("idporten", "111").await.unwrap().as_deref(), Some("staff:bjorn"));
    }
}
