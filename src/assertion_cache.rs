//! Reuse of signed assertions: an ES256 signature per proxied request would dominate the gateway's CPU, so a token
//! is reused for the same session, service and zone while more than half of its lifetime remains.

use crate::session::SessionKey;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::Arc;

/// Which assertion: session (its key changes at every login and step-up), service index, zone name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// Session store key.
    pub session: SessionKey,
    /// Service index.
    pub service: usize,
    /// Zone name.
    pub zone: Arc<str>,
}

/// A cached token with its reuse and expiry times.
struct Entry {
    token: Arc<str>,
    /// Reuse until this unix second (half the token's lifetime).
    reuse_until: u64,
    /// The token's own expiry.
    expires: u64,
}

/// Leaves out the signed token (a bearer credential for the backend).
impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("reuse_until", &self.reuse_until)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// Signed tokens by session, service and zone.
#[derive(Debug, Default)]
pub struct AssertionCache {
    map: RwLock<HashMap<CacheKey, Entry>>,
}

/// Entries held at most; past this the cache is cleared rather than grown (it only saves work).
const MAX_ENTRIES: usize = 200_000;

impl AssertionCache {
    /// A cached token still good for reuse at `now` (unix seconds).
    pub fn get(&self, key: &CacheKey, now: u64) -> Option<Arc<str>> {
        self.map.read().get(key).filter(|e| now < e.reuse_until).map(|e| e.token.clone())
    }

    /// Stores a token issued at `iat` that expires at `exp`.
    pub fn put(&self, key: CacheKey, token: Arc<str>, iat: u64, exp: u64) {
        let mut m = self.map.write();
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, Entry { token, reuse_until: iat + exp.saturating_sub(iat) / 2, expires: exp });
    }

    /// Drops tokens that have expired; run periodically.
    pub fn purge(&self, now: u64) -> usize {
        let mut m = self.map.write();
        let before = m.len();
        m.retain(|_, e| e.expires > now);
        before - m.len()
    }

    /// Number of cached tokens.
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::SessionId;

    /// A token is reused only during the first half of its lifetime and for the same session, service and zone.
    #[test]
    fn reuse_window_and_key() {
        let c = AssertionCache::default();
        let s = SessionId::generate().key();
        let k = CacheKey { session: s, service: 1, zone: Arc::from("internal") };
        c.put(k.clone(), Arc::from("tok"), 1000, 1060);
        assert_eq!(c.get(&k, 1029).as_deref(), Some("tok"));
        assert_eq!(c.get(&k, 1030), None);
        assert_eq!(c.get(&CacheKey { service: 2, ..k.clone() }, 1000), None);
        assert_eq!(c.get(&CacheKey { zone: Arc::from("remote"), ..k.clone() }, 1000), None);
        assert_eq!(c.purge(1059), 0);
        assert_eq!(c.purge(1060), 1);
    }

    /// A cached entry's Debug leaves out the signed token.
    #[test]
    fn debug_leaves_out_the_token() {
        let e = Entry { token: Arc::from("eyJ-assertion-secret"), reuse_until: 1, expires: 2 };
        let shown = format!("{e:?}");
        assert!(shown.contains("reuse_until") && !shown.contains("eyJ-assertion-secret"), "{shown}");
    }
}
