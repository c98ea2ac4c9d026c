//! eID logins in progress: an authorization request waiting for its callback, and a verified eID waiting to be
//! linked. Both are single-use, expire, and are bound to the browser that started them by a cookie whose hash
//! they hold.

use super::Verified;
use crate::clock::{Instant, SharedClock};
use crate::store::{Key, StoreError};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// SHA-256 of a token: flows are stored under, and compare against, hashes only.
pub fn hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// An authorization request sent to a provider, keyed by the hash of its `state`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthFlow {
    /// Provider name.
    pub provider: String,
    /// Hash of the browser's binding cookie.
    pub binding: [u8; 32],
    /// `nonce` sent.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
    /// Where to go after login.
    pub rd: String,
    /// A fresh login was asked for (`prompt=login`): the ID token must show one (`auth_time`).
    #[serde(default)]
    pub fresh_login: bool,
    /// The least assurance this login must come back with (a step-up asked for a level); `None`: the provider's.
    #[serde(default)]
    pub min_assurance: Option<crate::methods::Assurance>,
    /// The callback is refused after this.
    pub expires: Instant,
}

/// Leaves out the nonce, the PKCE verifier and the binding hash.
impl std::fmt::Debug for AuthFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthFlow")
            .field("provider", &self.provider)
            .field("rd", &self.rd)
            .field("fresh_login", &self.fresh_login)
            .field("min_assurance", &self.min_assurance)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// A verified eID with no account link yet, keyed by the hash of the link cookie. Stored as one JSON object: the
/// login's fields flattened beside `pending` and `expires`, as before this struct held a [`Verified`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LinkFlow {
    /// The verified login (its `Debug` leaves out the ID token and the person's identifier).
    #[serde(flatten)]
    pub login: Verified,
    /// The account a code was sent for ("realm:username") and the address it went to.
    pub pending: Option<(String, String)>,
    /// The link page stops working after this.
    pub expires: Instant,
}

/// The account a provider's subject (`sub`) logged in as, for a back-channel logout that names only `sub`; keyed
/// by the hash of provider and subject.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SubjectFlow {
    /// "realm:username".
    pub account: String,
    /// Forgotten after this (the longest a session lives).
    pub expires: Instant,
}

/// A flow in progress.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Flow {
    /// Waiting for the provider's callback.
    Auth(AuthFlow),
    /// Waiting for the user to link.
    Link(LinkFlow),
    /// A subject's account, while its sessions may live.
    Subject(SubjectFlow),
}

impl Flow {
    fn expires(&self) -> Instant {
        match self {
            Flow::Auth(a) => a.expires,
            Flow::Link(l) => l.expires,
            Flow::Subject(s) => s.expires,
        }
    }
}

/// Flows in a [`crate::store::FlowStore`], serialised, under the hash of their state or cookie.
#[derive(Debug, Clone)]
pub struct Flows {
    store: Arc<dyn crate::store::FlowStore>,
    clock: SharedClock,
}

fn decode(bytes: Option<Vec<u8>>) -> Result<Option<Flow>, StoreError> {
    bytes.map(|b| serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(format!("eID flow: {e}")))).transpose()
}

impl Flows {
    /// Flows kept in `store`, expiring on `clock`.
    pub fn new(store: Arc<dyn crate::store::FlowStore>, clock: SharedClock) -> Flows {
        Flows { store, clock }
    }

    /// Stores a flow until it expires.
    pub async fn put(&self, key: [u8; 32], flow: Flow) -> Result<(), StoreError> {
        let ttl = flow.expires().since(self.clock.now());
        let bytes = serde_json::to_vec(&flow).map_err(|e| StoreError::Corrupt(format!("eID flow: {e}")))?;
        self.store.put(&Key(key), bytes, ttl).await
    }

    /// The flow, left in place.
    pub async fn get(&self, key: &[u8; 32]) -> Result<Option<Flow>, StoreError> {
        decode(self.store.get(&Key(*key)).await?)
    }

    /// The flow, removed: of any number of racing takes of one key, exactly one finds it.
    pub async fn take(&self, key: &[u8; 32]) -> Result<Option<Flow>, StoreError> {
        decode(self.store.take(&Key(*key)).await?)
    }

    /// Drops flows expired before `now`, at most `limit`; returns how many.
    pub async fn purge(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.store.sweep(now, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::Assurance;

    /// A link flow stored by an older version (one flat JSON object) reads back the same, and is written the same:
    /// instances of two versions share flows during a rolling upgrade.
    #[test]
    fn link_flows_keep_their_stored_form() {
        let stored = r#"{"Link":{"provider":"idporten","person_id":"12089912345","assurance":"high","acr":"idporten-loa-high","sid":"s1","sub":"sub-1","id_token":"eyJ","rd":"/lon","pending":["staff:anna","anna@kommune.example"],"expires":42}}"#;
        let Flow::Link(l) = serde_json::from_str::<Flow>(stored).unwrap() else { panic!("not a link flow") };
        assert_eq!((l.login.provider.as_str(), l.login.person_id.as_str()), ("idporten", "12089912345"));
        assert_eq!((l.login.assurance, l.login.sub.as_str(), l.login.rd.as_str()), (Assurance::High, "sub-1", "/lon"));
        assert_eq!(l.pending, Some(("staff:anna".into(), "anna@kommune.example".into())));
        assert_eq!(l.expires, Instant(42));
        let again: serde_json::Value = serde_json::to_value(Flow::Link(l)).unwrap();
        assert_eq!(again, serde_json::from_str::<serde_json::Value>(stored).unwrap());
        // Flows written before `sub` existed have none.
        let old = stored.replace(r#""sub":"sub-1","#, "");
        let Flow::Link(l) = serde_json::from_str::<Flow>(&old).unwrap() else { panic!("not a link flow") };
        assert_eq!(l.login.sub, "");
    }

    fn auth(expires: u64) -> Flow {
        Flow::Auth(AuthFlow {
            provider: "p".into(),
            binding: hash("b"),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            rd: "/".into(),
            fresh_login: false,
            min_assurance: None,
            expires: Instant(expires),
        })
    }

    /// A flow can be taken once; purge drops only expired ones.
    #[tokio::test]
    async fn take_once_and_purge() {
        let clock = crate::clock::ManualClock::new();
        clock.set(Instant(0));
        let s = Flows::new(crate::store::memory::MemoryStore::stores(clock.clone()).flows, clock);
        s.put(hash("a"), auth(100)).await.unwrap();
        s.put(hash("b"), auth(300)).await.unwrap();
        assert_eq!(s.take(&hash("a")).await.unwrap(), Some(auth(100)));
        assert_eq!(s.take(&hash("a")).await.unwrap(), None);
        s.put(hash("c"), auth(100)).await.unwrap();
        assert_eq!(s.purge(Instant(200), 100).await.unwrap(), 1);
        assert!(s.get(&hash("b")).await.unwrap().is_some());
    }

    /// Debug of the flows leaves out the nonce, the PKCE verifier and the ID token.
    #[test]
    fn debug_leaves_out_secrets() {
        let a = AuthFlow {
            provider: "p".into(),
            binding: hash("b"),
            nonce: "nonce-secret".into(),
            pkce_verifier: "verifier-secret".into(),
            rd: "/".into(),
            fresh_login: false,
            min_assurance: None,
            expires: Instant(1),
        };
        let shown = format!("{:?}", Flow::Auth(a));
        assert!(shown.contains("AuthFlow") && !shown.contains("nonce-secret"), "{shown}");
        assert!(!shown.contains("verifier-secret"), "{shown}");
        let l = LinkFlow {
            login: Verified {
                provider: "p".into(),
                person_id: "12089912345".into(),
                assurance: Assurance::default(),
                acr: "high".into(),
                sid: None,
                id_token: "eyJ-id-token-secret".into(),
                sub: "s".into(),
                rd: "/".into(),
            },
            pending: None,
            expires: Instant(1),
        };
        let shown = format!("{l:?}");
        assert!(shown.contains("LinkFlow") && !shown.contains("eyJ-id-token-secret"), "{shown}");
        assert!(!shown.contains("12089912345"), "no person ID in Debug: {shown}");
    }
}
