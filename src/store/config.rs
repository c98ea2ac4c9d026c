//! The `[store]` config section: which backend holds the shared state, and its settings. Owned here; the config
//! module only places it in the file and turns its problems into FILE:LINE:COL errors.

use super::seal::Secrets;
use serde::Deserialize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// `[store]` as written in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileStore {
    /// `"sqlite"` (the default when the section is present) or `"memory"`.
    pub kind: Option<Spanned<String>>,
    /// SQLite: the database file (default `/var/lib/portvakt/state.db`, in systemd's `StateDirectory`).
    pub path: Option<Spanned<String>>,
    /// SQLite and Redis: the keys file (index key and sealing key ring; see [`Secrets`]).
    pub keys_file: Option<Spanned<String>>,
    /// Redis: `[store.redis]`, the server or Sentinels and how to reach them.
    pub redis: Option<Spanned<super::redis::RedisFile>>,
}

/// The validated store settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// Everything in this process's memory: lost on restart, not shared between instances.
    Memory,
    /// One SQLite file, shared by the processes of one host.
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The keys file.
        keys_file: PathBuf,
    },
    /// Redis (standalone or Sentinel), shared by every instance.
    Redis {
        /// How to reach it.
        settings: Box<super::redis::RedisSettings>,
        /// The keys file (the same on every instance).
        keys_file: PathBuf,
    },
}

/// A problem in `[store]`, at a byte range of the file where one applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file.
    pub span: Option<Range<usize>>,
    /// What is wrong and what to do.
    pub message: String,
}

/// Default database file: systemd's `StateDirectory=portvakt`.
pub const DEFAULT_SQLITE_PATH: &str = "/var/lib/portvakt/state.db";

/// What `check` and the start say about a config without `[store]`: memory is meant to be an explicit choice.
pub const NO_STORE_WARNING: &str = "warning: no [store] section: sessions, pending codes, eID logins, login bans and \
     send limits are kept in this process's memory, lost on every restart and not shared with other instances; add \
     [store] with kind = \"sqlite\", path and keys_file (README, \"[store]\"), or kind = \"memory\" to choose this on \
     purpose";

/// Validates `[store]`; `resolve` turns a configured path into one relative to the config file. Without the
/// section the state is kept in memory.
pub fn validate(f: Option<&FileStore>, resolve: &dyn Fn(&str) -> PathBuf) -> (StoreSettings, Vec<Problem>) {
    let mut problems = Vec::new();
    let Some(f) = f else { return (StoreSettings::Memory, problems) };
    let at = |s: &Spanned<String>| Some(s.span());
    let kind = f.kind.as_ref().map(|k| k.get_ref().as_str()).unwrap_or("sqlite");
    match kind {
        "memory" => {
            for (name, v) in [("path", &f.path), ("keys_file", &f.keys_file)] {
                if let Some(v) = v {
                    problems.push(Problem {
                        span: at(v),
                        message: format!("{name} is a setting of kind = \"sqlite\"; the memory store has none"),
                    });
                }
            }
            if let Some(r) = &f.redis {
                problems.push(Problem {
                    span: Some(r.span()),
                    message: "[store.redis] is a setting of kind = \"redis\"; the memory store has none".into(),
                });
            }
            (StoreSettings::Memory, problems)
        }
        "redis" => {
            if let Some(p) = &f.path {
                problems.push(Problem {
                    span: at(p),
                    message: "path is a setting of kind = \"sqlite\"; Redis is set in [store.redis]".into(),
                });
            }
            let keys_file = keys_file(f, resolve, &mut problems, "redis");
            let settings = match &f.redis {
                Some(r) => match super::redis::config::check(r.get_ref(), Some(r.span()), resolve) {
                    Ok(s) => Some(s),
                    Err(v) => {
                        problems.extend(v.into_iter().map(|(span, message)| Problem { span, message }));
                        None
                    }
                },
                None => {
                    problems.push(Problem {
                        span: f.kind.as_ref().map(|k| k.span()),
                        message: "kind = \"redis\" needs a [store.redis] table with `url` (one server) or \
                                  `sentinels` and `master_name`"
                            .into(),
                    });
                    None
                }
            };
            match settings {
                Some(settings) => (StoreSettings::Redis { settings: Box::new(settings), keys_file }, problems),
                None => (StoreSettings::Memory, problems),
            }
        }
        "sqlite" => {
            let path =
                f.path.as_ref().map(|p| resolve(p.get_ref())).unwrap_or_else(|| PathBuf::from(DEFAULT_SQLITE_PATH));
            if let Some(p) = &f.path {
                if let Some(msg) = check_db_path(&path) {
                    problems.push(Problem { span: at(p), message: msg });
                }
            }
            if let Some(r) = &f.redis {
                problems.push(Problem {
                    span: Some(r.span()),
                    message: "[store.redis] is a setting of kind = \"redis\", not \"sqlite\"".into(),
                });
            }
            let keys_file = keys_file(f, resolve, &mut problems, "sqlite");
            (StoreSettings::Sqlite { path, keys_file }, problems)
        }
        other => {
            let span = f.kind.as_ref().map(|k| k.span());
            problems.push(Problem {
                span,
                message: format!("unknown store kind \"{other}\": use \"sqlite\", \"redis\" or \"memory\""),
            });
            (StoreSettings::Memory, problems)
        }
    }
}

/// The keys file of a persistent store, checked readable and well-formed.
fn keys_file(f: &FileStore, resolve: &dyn Fn(&str) -> PathBuf, problems: &mut Vec<Problem>, kind: &str) -> PathBuf {
    match &f.keys_file {
        Some(k) => {
            let kp = resolve(k.get_ref());
            if let Err(e) = Secrets::load(&kp) {
                problems.push(Problem { span: Some(k.span()), message: e.to_string() });
            }
            kp
        }
        None => {
            let span = f.kind.as_ref().map(|k| k.span());
            problems.push(Problem {
                span,
                message: format!(
                    "kind = \"{kind}\" needs keys_file: a file with the store's keys (make one with \
                     `portvakt store-keys > FILE`, mode 0600; with systemd, LoadCredential=)"
                ),
            });
            PathBuf::new()
        }
    }
}

/// An existing database file must be readable and writable; a missing one is created at start.
fn check_db_path(path: &Path) -> Option<String> {
    if path.is_dir() {
        return Some(format!("{} is a directory: name the database file, e.g. state.db", path.display()));
    }
    if path.exists() {
        if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open(path) {
            return Some(format!("cannot open the store database {} for reading and writing: {e}", path.display()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> FileStore {
        toml::from_str(text).unwrap()
    }

    /// Each bad setting is reported at its own position with what to do; good ones validate.
    #[test]
    fn problems_at_positions() {
        let dir = tempfile::tempdir().unwrap();
        let resolve = |p: &str| dir.path().join(p);
        std::fs::write(dir.path().join("keys"), Secrets::generate_file_text()).unwrap();
        let (s, p) = validate(Some(&parse("path = \"state.db\"\nkeys_file = \"keys\"\n")), &resolve);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(s, StoreSettings::Sqlite { path: dir.path().join("state.db"), keys_file: dir.path().join("keys") });
        let text = "kind = \"sqlite\"\nkeys_file = \"missing\"\n";
        let (_, p) = validate(Some(&parse(text)), &resolve);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("can't read store keys file"), "{}", p[0].message);
        assert_eq!(&text[p[0].span.clone().unwrap()], "\"missing\"");
        let (_, p) = validate(Some(&parse("kind = \"redis-ish\"\n")), &resolve);
        assert!(p[0].message.contains("unknown store kind"));
        let (_, p) = validate(Some(&parse("kind = \"sqlite\"\n")), &resolve);
        assert!(p[0].message.contains("needs keys_file"));
        let (s, p) = validate(Some(&parse("kind = \"memory\"\n")), &resolve);
        assert_eq!((s, p.len()), (StoreSettings::Memory, 0));
        assert_eq!(validate(None, &resolve).0, StoreSettings::Memory);
    }

    /// kind = "redis": a bad URL and an unreadable password file are reported at their values; a missing table
    /// or keys file at `kind`; [store.redis] under another kind is refused.
    #[test]
    fn redis_problems_at_positions() {
        let dir = tempfile::tempdir().unwrap();
        let resolve = |p: &str| dir.path().join(p);
        std::fs::write(dir.path().join("keys"), Secrets::generate_file_text()).unwrap();
        let text = "kind = \"redis\"\nkeys_file = \"keys\"\n[redis]\nurl = \"http://x\"\npassword_file = \"nope\"\n";
        let (_, p) = validate(Some(&parse(text)), &resolve);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(&text[p[0].span.clone().unwrap()], "\"http://x\"");
        assert!(p[1].message.contains("cannot read secret file"), "{p:?}");
        assert_eq!(&text[p[1].span.clone().unwrap()], "\"nope\"");
        let (_, p) = validate(Some(&parse("kind = \"redis\"\n")), &resolve);
        assert!(p.iter().any(|x| x.message.contains("needs keys_file")), "{p:?}");
        assert!(p.iter().any(|x| x.message.contains("needs a [store.redis] table")), "{p:?}");
        let text = "kind = \"redis\"\nkeys_file = \"keys\"\n[redis]\nurl = \"redis://10.0.0.5\"\n";
        let (s, p) = validate(Some(&parse(text)), &resolve);
        assert!(p.is_empty(), "{p:?}");
        assert!(matches!(s, StoreSettings::Redis { .. }));
        let (_, p) =
            validate(Some(&parse("kind = \"sqlite\"\nkeys_file = \"keys\"\n[redis]\nurl = \"redis://h\"\n")), &resolve);
        assert!(p[0].message.contains("not \"sqlite\""), "{p:?}");
    }
}
