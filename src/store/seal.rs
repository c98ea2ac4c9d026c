//! What persistent backends (SQLite, Redis) put on disk or on the wire, made useless to a thief.
//!
//! - Storage keys are HMAC-SHA256(index key, kind ‖ key), never a token or its plain hash: a dump can't be matched
//!   against a guessed or leaked token without the server's key.
//! - Values are sealed with XChaCha20-Poly1305 (random 192-bit nonce) with the storage key as associated data, so a
//!   value copied under another key does not open. Each sealed value names its key ID; a [`Secrets`] ring opens
//!   every ID it holds and seals with the newest, so keys rotate by adding a line to the keys file.
//! - One-time codes are kept only as HMAC(index key, session key ‖ code); person IDs only sealed or as index MACs.
//!
//! Keys come from a file (systemd `LoadCredential=`), never from the config text. The file holds lines
//! `index BASE64` (exactly one: 32 bytes that derive every storage key; it can't rotate without losing the data)
//! and `seal ID BASE64` (one or more: ID 1–255, 32 bytes each; the highest ID seals). `#` starts a comment.

use super::{Key, StoreError};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Format version byte at the start of every sealed value.
const VERSION: u8 = 1;
/// Nonce length of XChaCha20-Poly1305.
const NONCE: usize = 24;

/// The server's store keys: the index key and the sealing key ring. `Debug` shows key IDs only.
#[derive(Clone)]
pub struct Secrets {
    index: [u8; 32],
    ring: BTreeMap<u8, [u8; 32]>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets").field("seal_key_ids", &self.ring.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

/// Why a keys file was refused; `line` is 1-based where one applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    /// The file could not be read.
    #[error("can't read store keys file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The OS's reason.
        reason: String,
    },
    /// A line is not `index BASE64` or `seal ID BASE64` with 32 bytes of key.
    #[error("store keys file line {line}: {reason}")]
    BadLine {
        /// The line.
        line: usize,
        /// What is wrong (never the key material).
        reason: String,
    },
    /// The file lacks the index key or any sealing key.
    #[error("store keys file needs exactly one `index` line and at least one `seal` line: {0}")]
    Incomplete(String),
}

impl Secrets {
    /// Fresh random keys, for the memory store and tests (nothing outlives the process, so nothing to share).
    pub fn generate() -> Secrets {
        let mut index = [0u8; 32];
        let mut seal = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut index);
        rand::rngs::OsRng.fill_bytes(&mut seal);
        Secrets { index, ring: BTreeMap::from([(1, seal)]) }
    }

    /// The text of a new keys file with random keys (`portvakt demo` writes one beside its state file).
    pub fn generate_file_text() -> String {
        let s = Secrets::generate();
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut out = String::from("# Portvakt store keys (see README, [store]). Keep secret; mode 0600.\n");
        out.push_str(&format!("index {}\n", b64.encode(s.index)));
        for (id, k) in &s.ring {
            out.push_str(&format!("seal {id} {}\n", b64.encode(k)));
        }
        out
    }

    /// Reads a keys file.
    pub fn load(path: &Path) -> Result<Secrets, KeysError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeysError::Unreadable { path: path.display().to_string(), reason: e.to_string() })?;
        Secrets::parse(&text).map_err(|e| match e {
            KeysError::Incomplete(_) => KeysError::Incomplete(path.display().to_string()),
            other => other,
        })
    }

    /// Parses the text of a keys file.
    pub fn parse(text: &str) -> Result<Secrets, KeysError> {
        let mut index = None;
        let mut ring = BTreeMap::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let body = raw.split('#').next().unwrap_or_default().trim();
            if body.is_empty() {
                continue;
            }
            let bad = |reason: &str| KeysError::BadLine { line, reason: reason.to_string() };
            let parts: Vec<&str> = body.split_whitespace().collect();
            match parts.as_slice() {
                ["index", b64] => {
                    if index.is_some() {
                        return Err(bad("a second `index` line"));
                    }
                    index = Some(decode_key(b64).ok_or_else(|| bad("the index key must be 32 bytes of base64"))?);
                }
                ["seal", id, b64] => {
                    let id: u8 = id
                        .parse()
                        .ok()
                        .filter(|i| *i >= 1)
                        .ok_or_else(|| bad("the key ID must be a number from 1 to 255"))?;
                    let key = decode_key(b64).ok_or_else(|| bad("a sealing key must be 32 bytes of base64"))?;
                    if ring.insert(id, key).is_some() {
                        return Err(bad("this key ID appears twice"));
                    }
                }
                _ => return Err(bad("expected `index BASE64` or `seal ID BASE64`")),
            }
        }
        match index {
            Some(index) if !ring.is_empty() => Ok(Secrets { index, ring }),
            _ => Err(KeysError::Incomplete(String::from("(text)"))),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC accepts keys of any length; this can't fail, and a fallback would never be used.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&self.index) {
            Ok(m) => m,
            Err(_) => return [0u8; 32],
        };
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    /// The storage key of `key` in a table or key space `kind` (e.g. `"session"`).
    pub fn index(&self, kind: &str, key: &Key) -> [u8; 32] {
        self.mac(&[kind.as_bytes(), &key.0])
    }

    /// The storage key of a name (account, provider session, person ID, regulation key) in `kind`.
    pub fn index_name(&self, kind: &str, name: &str) -> [u8; 32] {
        self.mac(&[kind.as_bytes(), name.as_bytes()])
    }

    /// A 32-byte key for `purpose` and `context`, derived (HMAC-SHA256) from sealing key `id` (the newest when `None`),
    /// with that key's ID; `None` for an unknown ID. Every instance with the same keys file derives the same keys,
    /// and a new sealing key gives new ones (the TLS session ticket keys, [`crate::tls`]).
    pub fn derive_key(&self, id: Option<u8>, purpose: &str, context: &[u8]) -> Option<(u8, [u8; 32])> {
        let (id, key) = match id {
            Some(id) => (id, self.ring.get(&id)?),
            None => self.ring.iter().next_back().map(|(id, key)| (*id, key))?,
        };
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
        for p in [purpose.as_bytes(), context] {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        Some((id, m.finalize().into_bytes().into()))
    }

    /// The MAC under which a one-time code for `session` is stored and compared.
    pub fn code_mac(&self, session: &Key, code: &str) -> [u8; 32] {
        self.mac(&[b"code", &session.0, code.as_bytes()])
    }

    /// Seals `plain` bound to `ad` (the storage key) with the newest key of the ring.
    pub fn seal(&self, ad: &[u8], plain: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (id, key) = self.ring.iter().next_back().ok_or_else(|| StoreError::Corrupt("no sealing key".into()))?;
        let cipher = XChaCha20Poly1305::new(key.into());
        let mut nonce = [0u8; NONCE];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad: ad })
            .map_err(|_| StoreError::Corrupt("sealing failed".into()))?;
        let mut out = Vec::with_capacity(2 + NONCE + ct.len());
        out.push(VERSION);
        out.push(*id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens a value sealed by [`Secrets::seal`] under the same `ad`; a wrong key, ID or tampering is `Corrupt`.
    pub fn open(&self, ad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let (&version, rest) = sealed.split_first().ok_or_else(|| StoreError::Corrupt("empty sealed value".into()))?;
        if version != VERSION {
            return Err(StoreError::Corrupt(format!("sealed value of unknown version {version}")));
        }
        let (&id, rest) = rest.split_first().ok_or_else(|| StoreError::Corrupt("truncated sealed value".into()))?;
        let key = self.ring.get(&id).ok_or_else(|| StoreError::Corrupt(format!("sealed with unknown key ID {id}")))?;
        if rest.len() < NONCE {
            return Err(StoreError::Corrupt("truncated sealed value".into()));
        }
        let (nonce, ct) = rest.split_at(NONCE);
        let nonce: [u8; NONCE] = nonce.try_into().map_err(|_| StoreError::Corrupt("truncated sealed value".into()))?;
        XChaCha20Poly1305::new(key.into())
            .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad: ad })
            .map_err(|_| StoreError::Corrupt(format!("sealed value does not open with key ID {id}")))
    }
}

fn decode_key(b64: &str) -> Option<[u8; 32]> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed value opens under its own storage key only, hides its content, and survives a key rotation.
    #[test]
    fn seal_open_bound_and_rotating() {
        let text = Secrets::generate_file_text();
        let old = Secrets::parse(&text).unwrap();
        let sealed = old.seal(b"k1", b"anna's session").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"anna'"));
        assert_eq!(old.open(b"k1", &sealed).unwrap(), b"anna's session");
        assert!(matches!(old.open(b"k2", &sealed), Err(StoreError::Corrupt(_))));
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(matches!(old.open(b"k1", &tampered), Err(StoreError::Corrupt(_))));
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let rotated = Secrets::parse(&format!("{text}seal 9 {b64}\n")).unwrap();
        assert_eq!(rotated.open(b"k1", &sealed).unwrap(), b"anna's session");
        let new = rotated.seal(b"k1", b"x").unwrap();
        assert_eq!(new.get(1), Some(&9));
        assert!(matches!(old.open(b"k1", &new), Err(StoreError::Corrupt(m)) if m.contains("unknown key ID 9")));
        assert_eq!(rotated.index_name("a", "b"), old.index_name("a", "b"));
    }

    /// Bad keys files name the line and never echo key material; Debug shows IDs only.
    #[test]
    fn keys_file_errors() {
        let b64 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 8]);
        let e = Secrets::parse(&format!("index {b64}\nseal 1 {short}\n")).unwrap_err();
        assert!(matches!(&e, KeysError::BadLine { line: 2, .. }), "{e}");
        assert!(!e.to_string().contains(&short));
        assert!(matches!(Secrets::parse(&format!("index {b64}\n")), Err(KeysError::Incomplete(_))));
        assert!(matches!(Secrets::parse(&format!("seal 0 {b64}\n")), Err(KeysError::BadLine { line: 1, .. })));
        let s = Secrets::parse(&format!("# keys\nindex {b64}\nseal 3 {b64} # current\n")).unwrap();
        assert!(!format!("{s:?}").contains(&b64));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(Secrets::load(&dir.path().join("missing")), Err(KeysError::Unreadable { .. })));
    }

    /// Code MACs depend on the session and the code; index keys on kind and name.
    #[test]
    fn macs_separate() {
        let s = Secrets::generate();
        let (a, b) = (Key::of_token("a"), Key::of_token("b"));
        assert_ne!(s.code_mac(&a, "ACD479"), s.code_mac(&b, "ACD479"));
        assert_ne!(s.code_mac(&a, "ACD479"), s.code_mac(&a, "ACD478"));
        assert_ne!(s.index_name("account", "x"), s.index_name("person", "x"));
        assert_ne!(s.index("session", &a), s.index("flow", &a));
    }
}
