//! The account store: what users register themselves (SMS numbers, the eID linked to the account). It must survive a restart:
//! the default keeps a JSON file, rewritten atomically (temporary file, fsync, rename) on the blocking pool.

pub mod config;

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::store::StoreError;
pub use crate::store::{Account, AccountStore, EidLink, LinkOutcome, MAX_PHONES};

/// Why the account store failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The backing file could not be read or written.
    #[error("account store {0}: {1}")]
    Io(String, String),
}

/// Accounts in one JSON file: kept beside the memory store (`[store] kind = "memory"`) so registrations survive
/// a restart even there; the SQLite backend keeps accounts itself.
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

    async fn persist(&self) -> Result<(), StoreError> {
        self.persist_file().await.map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    async fn persist_file(&self) -> Result<(), AccountError> {
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
    async fn get(&self, key: &str) -> Result<Account, StoreError> {
        Ok(self.data.lock().get(key).cloned().unwrap_or_default())
    }

    async fn set_phones(&self, key: &str, phones: Vec<String>) -> Result<Vec<String>, StoreError> {
        let old = {
            let mut data = self.data.lock();
            let acc = data.entry(key.to_string()).or_default();
            std::mem::replace(&mut acc.phones, phones)
        };
        self.persist().await?;
        Ok(old)
    }

    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, StoreError> {
        let data = self.data.lock();
        let found = data
            .iter()
            .find(|(_, a)| a.eid.as_ref().is_some_and(|l| l.provider == provider && l.person_id == person_id));
        Ok(found.map(|(k, _)| k.clone()))
    }

    async fn link_eid(&self, key: &str, link: EidLink) -> Result<LinkOutcome, StoreError> {
        {
            let mut data = self.data.lock();
            let taken = data.iter().any(|(k, a)| {
                k != key && a.eid.as_ref().is_some_and(|l| l.provider == link.provider && l.person_id == link.person_id)
            });
            if taken {
                return Ok(LinkOutcome::PersonTaken);
            }
            let acc = data.entry(key.to_string()).or_default();
            if acc.eid.is_some() {
                return Ok(LinkOutcome::AlreadyLinked);
            }
            acc.eid = Some(link);
        }
        self.persist().await?;
        Ok(LinkOutcome::Linked)
    }

    async fn unlink_eid(&self, key: &str) -> Result<Option<EidLink>, StoreError> {
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

    /// Numbers survive reopening the store; a corrupt file is an error.
    #[tokio::test]
    async fn persists_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state/accounts.json");
        let s = FileAccountStore::open(&p).unwrap();
        assert_eq!(s.get("staff:anna").await.unwrap(), Account::default());
        let old = s.set_phones("staff:anna", vec!["+46701234567".into()]).await.unwrap();
        assert!(old.is_empty());
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
        assert_eq!(s.link_eid("staff:anna", link("111")).await.unwrap(), LinkOutcome::Linked);
        assert_eq!(s.link_eid("staff:anna", link("222")).await.unwrap(), LinkOutcome::AlreadyLinked);
        assert_eq!(s.link_eid("staff:bjorn", link("111")).await.unwrap(), LinkOutcome::PersonTaken);
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
