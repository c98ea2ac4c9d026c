//! The users file: a TOML list of users with argon2id hashes, reloadable on SIGHUP.

use super::password::{hash_password, validate_phc, verify_password_blocking};
use super::{valid_username, Directory, DirectoryError, User};
use crate::config::error::{ConfigErrors, SourceFile};
use arc_swap::ArcSwap;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsersFile {
    #[serde(default)]
    users: Vec<FileUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileUser {
    username: Spanned<String>,
    password_hash: Spanned<String>,
    name: Option<String>,
    email: Option<Spanned<String>>,
    #[serde(default)]
    groups: Vec<String>,
    /// Institution of this user (default: the realm's, from `[[institutions]]`).
    institution: Option<Spanned<String>>,
}

struct Entry {
    user: User,
    hash: String,
}

/// Users read from a TOML file.
pub struct FileDirectory {
    name: String,
    title: String,
    path: PathBuf,
    users: ArcSwap<HashMap<String, Entry>>,
    /// A hash checked for unknown users so they take as long as wrong passwords.
    dummy_hash: String,
    /// Institution of users whose entry names none.
    default_institution: Option<String>,
}

impl std::fmt::Debug for FileDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes are secrets: only the shape is shown.
        f.debug_struct("FileDirectory")
            .field("name", &self.name)
            .field("path", &self.path)
            .field("users", &self.users.load().len())
            .finish()
    }
}

impl FileDirectory {
    /// Loads and validates a users file.
    pub fn load(name: &str, title: &str, path: &Path) -> Result<FileDirectory, ConfigErrors> {
        FileDirectory::load_with(name, title, path, None)
    }

    /// Loads and validates a users file whose users without an `institution` belong to `default_institution`.
    pub fn load_with(
        name: &str,
        title: &str,
        path: &Path,
        default_institution: Option<String>,
    ) -> Result<FileDirectory, ConfigErrors> {
        let users = read_users(name, path, default_institution.as_deref())?;
        let dummy_hash = hash_password("portvakt-timing-equaliser").unwrap_or_default();
        Ok(FileDirectory {
            name: name.to_string(),
            title: title.to_string(),
            path: path.to_path_buf(),
            users: ArcSwap::from_pointee(users),
            dummy_hash,
            default_institution,
        })
    }
}

fn read_users(
    realm: &str,
    path: &Path,
    default_institution: Option<&str>,
) -> Result<HashMap<String, Entry>, ConfigErrors> {
    let src = SourceFile::read(path).map_err(|e| ConfigErrors(vec![e]))?;
    let file: UsersFile = src.parse().map_err(|e| ConfigErrors(vec![e]))?;
    let mut errors = Vec::new();
    let mut map = HashMap::new();
    for u in file.users {
        let username = u.username.get_ref().clone();
        if !valid_username(&username) {
            errors.push(src.error_at(
                Some(u.username.span()),
                format!("username \"{username}\" may only contain a-z, 0-9, '.', '_', '-' and '@' (lower case)"),
            ));
            continue;
        }
        if let Err(e) = validate_phc(u.password_hash.get_ref()) {
            errors.push(src.error_at(Some(u.password_hash.span()), format!("password_hash of \"{username}\": {e}")));
            continue;
        }
        if let Some(e) = &u.email {
            if !e.get_ref().contains('@') {
                errors.push(src.error_at(Some(e.span()), format!("email of \"{username}\" is not an e-mail address")));
            }
        }
        if let Some(i) = &u.institution {
            if !crate::config::check::valid_name(i.get_ref()) {
                errors.push(src.error_at(
                    Some(i.span()),
                    format!("institution of \"{username}\" may only contain a-z, 0-9, '-' and '_'"),
                ));
            }
        }
        if map.contains_key(&username) {
            errors.push(src.error_at(Some(u.username.span()), format!("user \"{username}\" is listed twice")));
            continue;
        }
        map.insert(
            username.clone(),
            Entry {
                user: User {
                    display_name: u.name.unwrap_or_else(|| username.clone()),
                    username,
                    email: u.email.map(|e| e.into_inner()),
                    groups: u.groups,
                    realm: realm.to_string(),
                    institution: u
                        .institution
                        .map(Spanned::into_inner)
                        .or_else(|| default_institution.map(str::to_string)),
                    phones: Vec::new(),
                },
                hash: u.password_hash.into_inner(),
            },
        );
    }
    if errors.is_empty() {
        Ok(map)
    } else {
        Err(ConfigErrors(errors))
    }
}

#[async_trait::async_trait]
impl Directory for FileDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    fn title(&self) -> &str {
        &self.title
    }

    async fn authenticate(&self, username: &str, password: &str) -> Result<Option<User>, DirectoryError> {
        let users = self.users.load();
        let (hash, user) = match users.get(username) {
            Some(e) => (e.hash.clone(), Some(e.user.clone())),
            None => (self.dummy_hash.clone(), None),
        };
        let ok = verify_password_blocking(password.to_string(), hash).await;
        Ok(if ok { user } else { None })
    }

    async fn lookup(&self, username: &str) -> Result<Option<User>, DirectoryError> {
        Ok(self.users.load().get(username).map(|e| e.user.clone()))
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, DirectoryError> {
        let users = self.users.load();
        let mut found =
            users.values().filter(|e| e.user.email.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(email)));
        match (found.next(), found.next()) {
            (Some(e), None) => Ok(Some(e.user.clone())),
            (Some(_), Some(_)) => {
                // Two accounts share the address: linking either would be a guess.
                tracing::warn!(directory = %self.name, "two users share an e-mail address; eID linking refused");
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn groups(&self) -> Option<std::collections::HashSet<String>> {
        Some(self.users.load().values().flat_map(|e| e.user.groups.iter().cloned()).collect())
    }

    fn reload(&self) -> Result<(), ConfigErrors> {
        let users = read_users(&self.name, &self.path, self.default_institution.as_deref())?;
        self.users.store(Arc::new(users));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn users_file(body: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(body.as_bytes()).unwrap();
        f
    }

    /// A right password returns the user; a wrong one and an unknown user both return None.
    #[tokio::test]
    async fn authenticate_right_wrong_unknown() {
        let h = hash_password("pw1").unwrap();
        let f = users_file(&format!(
            "[[users]]\nusername = \"anna\"\npassword_hash = \"{h}\"\nname = \"Anna A\"\ngroups = [\"staff\"]\n"
        ));
        let d = FileDirectory::load("staff", "Staff", f.path()).unwrap();
        let u = d.authenticate("anna", "pw1").await.unwrap().unwrap();
        assert_eq!(u.display_name, "Anna A");
        assert_eq!(u.groups, vec!["staff"]);
        assert!(d.authenticate("anna", "pw2").await.unwrap().is_none());
        assert!(d.authenticate("bob", "pw1").await.unwrap().is_none());
    }

    /// A user's own `institution` wins over the realm's default; users without one get the default; a bad name
    /// is reported at its position.
    #[tokio::test]
    async fn institution_from_entry_or_realm() {
        let h = hash_password("pw1").unwrap();
        let f = users_file(&format!(
            "[[users]]\nusername = \"anna\"\npassword_hash = \"{h}\"\ninstitution = \"skola-nord\"\n[[users]]\nusername = \"bob\"\npassword_hash = \"{h}\"\n"
        ));
        let d = FileDirectory::load_with("staff", "Staff", f.path(), Some("kommune".into())).unwrap();
        assert_eq!(d.lookup("anna").await.unwrap().unwrap().institution.as_deref(), Some("skola-nord"));
        assert_eq!(d.lookup("bob").await.unwrap().unwrap().institution.as_deref(), Some("kommune"));
        let plain = FileDirectory::load("staff", "Staff", f.path()).unwrap();
        assert_eq!(plain.lookup("bob").await.unwrap().unwrap().institution, None);
        let bad = users_file(&format!(
            "[[users]]\nusername = \"anna\"\npassword_hash = \"{h}\"\ninstitution = \"Skola Nord\"\n"
        ));
        let e = FileDirectory::load("s", "S", bad.path()).unwrap_err().to_string();
        assert!(e.contains(":4:15: institution of \"anna\""), "{e}");
    }

    /// A bad hash and a bad username are reported with their lines.
    #[test]
    fn bad_entries_have_positions() {
        let f = users_file("[[users]]\nusername = \"Anna\"\npassword_hash = \"x\"\n[[users]]\nusername = \"bob\"\npassword_hash = \"plain\"\n");
        let e = FileDirectory::load("s", "S", f.path()).unwrap_err().to_string();
        assert!(e.contains(":2:12: username \"Anna\""), "{e}");
        assert!(e.contains(":6:17: password_hash of \"bob\""), "{e}");
    }
}
