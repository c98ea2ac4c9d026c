//! The account store: what users register themselves (SMS numbers now, eID links later). It must survive a restart:
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
}

/// Why the account store failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// More numbers than allowed.
    #[error("at most {MAX_PHONES} numbers can be registered")]
    TooManyPhones,
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
}
