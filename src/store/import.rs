//! The one-time import of the old accounts file (`[accounts] path`, the JSON file the memory store keeps) into a
//! persistent store, so a switch to `kind = "sqlite"` or `"redis"` keeps the numbers and eID links users registered.
//!
//! The import only fills what the store does not have yet (an account's numbers when it has none, its eID link when
//! it has none and the person is not linked elsewhere), so running it twice, or on two instances at once, changes
//! nothing the users did in the store since. Afterwards the file is renamed to `<name>.imported`: it is kept as a
//! backup, and a later start does not bring back a number or a link a user has removed since.

use super::{Account, AccountStore, LinkOutcome, StoreError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why the import failed; the start stops, the file is left in place.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file exists but can't be read.
    #[error("{0}: can't read the accounts file to import it: {1}")]
    Read(PathBuf, String),
    /// The file is not the accounts file format.
    #[error("{0}: not a valid accounts file, nothing imported (fix it, or move it away to start without it): {1}")]
    Parse(PathBuf, String),
    /// The store failed while importing.
    #[error("{0}: importing into the store failed (nothing is lost, the file is kept for the next start): {1}")]
    Store(PathBuf, StoreError),
    /// The imported file could not be renamed, so the next start would import it again.
    #[error("{0}: imported, but can't rename it to {1} (the directory must be writable): {2}")]
    Rename(PathBuf, PathBuf, String),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Accounts in the file.
    pub accounts: usize,
    /// Accounts whose numbers were copied.
    pub phones: usize,
    /// eID links made.
    pub eid_links: usize,
    /// Entries left out because the store already had something else (named in the log, never overwritten).
    pub skipped: usize,
    /// Where the file was moved to, if there was one.
    pub moved_to: Option<PathBuf>,
}

/// The name the file gets once imported: `accounts.json` becomes `accounts.json.imported`.
pub fn imported_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".imported");
    PathBuf::from(name)
}

/// Imports the accounts file at `path` into `store` if the file exists (see the module doc), then renames it. No
/// file: nothing to do.
pub async fn accounts_file(path: &Path, store: &dyn AccountStore) -> Result<Imported, ImportError> {
    let bytes = match tokio::fs::read(path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Imported::default()),
        Err(e) => return Err(ImportError::Read(path.to_path_buf(), e.to_string())),
    };
    let file: BTreeMap<String, Account> =
        serde_json::from_slice(&bytes).map_err(|e| ImportError::Parse(path.to_path_buf(), e.to_string()))?;
    let store_err = |e| ImportError::Store(path.to_path_buf(), e);
    let mut done = Imported { accounts: file.len(), ..Imported::default() };
    for (name, old) in file {
        let now = store.get(&name).await.map_err(store_err)?;
        if !old.phones.is_empty() {
            if now.phones.is_empty() {
                store.set_phones(&name, old.phones.clone()).await.map_err(store_err)?;
                done.phones += 1;
            } else if now.phones != old.phones {
                tracing::warn!(account = %name, "accounts import: the store already has other SMS numbers; kept them");
                done.skipped += 1;
            }
        }
        if let Some(link) = old.eid {
            let provider = link.provider.clone();
            match store.link_eid(&name, link).await.map_err(store_err)? {
                LinkOutcome::Linked => done.eid_links += 1,
                LinkOutcome::AlreadyLinked => {
                    if now.eid.as_ref().map(|l| &l.provider) != Some(&provider) {
                        tracing::warn!(account = %name, "accounts import: the account already has an eID link; kept it");
                        done.skipped += 1;
                    }
                }
                LinkOutcome::PersonTaken => {
                    tracing::warn!(account = %name, %provider, "accounts import: this person's eID is linked to another account in the store; not linked");
                    done.skipped += 1;
                }
            }
        }
    }
    let to = imported_name(path);
    match tokio::fs::rename(path, &to).await {
        Ok(()) => done.moved_to = Some(to),
        // Another instance starting at the same time imported and moved it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(ImportError::Rename(path.to_path_buf(), to, e.to_string())),
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::memory::MemoryStore;
    use crate::store::EidLink;

    fn file_text() -> String {
        r#"{
  "staff:anna": {"phones": ["+4791234567"], "eid": {"provider": "idporten", "person_id": "12089912345", "linked_at": 1795420800000}},
  "staff:bjorn": {"phones": ["+4798765432", "+4741234567"]},
  "staff:carl": {"phones": [], "eid": {"provider": "idporten", "person_id": "01017012345", "linked_at": 1795420800000}}
}"#
        .to_string()
    }

    /// Numbers and links are copied into an empty store, the file is renamed, and a second run finds nothing.
    #[tokio::test]
    async fn imports_once_and_renames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, file_text()).unwrap();
        let store = MemoryStore::stores(ManualClock::new()).accounts;
        let done = accounts_file(&path, store.as_ref()).await.unwrap();
        assert_eq!((done.accounts, done.phones, done.eid_links, done.skipped), (3, 2, 2, 0));
        assert_eq!(store.get("staff:bjorn").await.unwrap().phones, vec!["+4798765432", "+4741234567"]);
        assert_eq!(store.find_eid("idporten", "12089912345").await.unwrap().as_deref(), Some("staff:anna"));
        assert_eq!(store.find_eid("idporten", "01017012345").await.unwrap().as_deref(), Some("staff:carl"));
        assert!(!path.exists());
        assert!(dir.path().join("accounts.json.imported").exists());
        assert_eq!(accounts_file(&path, store.as_ref()).await.unwrap(), Imported::default());
    }

    /// What the store already holds wins: other numbers, another link, a person linked elsewhere are kept.
    #[tokio::test]
    async fn never_overwrites_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, file_text()).unwrap();
        let store = MemoryStore::stores(ManualClock::new()).accounts;
        store.set_phones("staff:bjorn", vec!["+4790000000".into()]).await.unwrap();
        let link = EidLink {
            provider: "idporten".into(),
            person_id: "01017012345".into(),
            linked_at: crate::clock::Instant(0),
        };
        assert_eq!(store.link_eid("staff:dora", link).await.unwrap(), LinkOutcome::Linked);
        let done = accounts_file(&path, store.as_ref()).await.unwrap();
        assert_eq!((done.phones, done.eid_links, done.skipped), (1, 1, 2));
        assert_eq!(store.get("staff:bjorn").await.unwrap().phones, vec!["+4790000000"]);
        assert_eq!(store.find_eid("idporten", "01017012345").await.unwrap().as_deref(), Some("staff:dora"));
        assert!(store.get("staff:carl").await.unwrap().eid.is_none());
    }

    /// A file that is not an accounts file stops the import and stays where it is.
    #[tokio::test]
    async fn a_corrupt_file_is_an_error_and_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        std::fs::write(&path, "{not json").unwrap();
        let store = MemoryStore::stores(ManualClock::new()).accounts;
        let e = accounts_file(&path, store.as_ref()).await.unwrap_err();
        assert!(e.to_string().contains("not a valid accounts file"), "{e}");
        assert!(path.exists());
    }
}
