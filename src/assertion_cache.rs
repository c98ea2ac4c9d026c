//! Reuse of signed assertions and of the identity headers around them: an ES256 signature per proxied request would
//! dominate the gateway's CPU, so a token is reused for the same session, service and zone while more than half of its
//! lifetime remains. With it the gateway keeps the finished `X-Portvakt-*` header values, so a proxied request copies
//! and joins none of them (docs/BENCHMARKS.md, session 9, finding 11); they are reused only while the session's
//! identity facts are the ones they were built from (a directory refresh that changes the groups gets new ones).

use crate::methods::Methods;
use crate::session::{SessionKey, SessionRecord};
use http::HeaderValue;
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

/// The identity headers for one session, service and zone, ready to insert: cloning one shares its bytes.
#[derive(Clone)]
pub struct IdentityHeaders {
    /// `X-Portvakt-User`.
    pub user: HeaderValue,
    /// `X-Portvakt-Groups`.
    pub groups: HeaderValue,
    /// `X-Portvakt-Methods`.
    pub methods: HeaderValue,
    /// `X-Portvakt-Zone`.
    pub zone: HeaderValue,
    /// `X-Portvakt-Institution`, where the user has one.
    pub institution: Option<HeaderValue>,
    /// `X-Portvakt-Assertion`: the signed token.
    pub assertion: HeaderValue,
}

/// Leaves out the signed token (a bearer credential for the backend).
impl std::fmt::Debug for IdentityHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityHeaders")
            .field("user", &self.user)
            .field("groups", &self.groups)
            .field("methods", &self.methods)
            .field("zone", &self.zone)
            .field("institution", &self.institution)
            .finish_non_exhaustive()
    }
}

/// A header value could not be built from the session's facts (a byte HTTP does not allow in a header).
#[derive(Debug, thiserror::Error)]
#[error("identity header {0} holds a byte not allowed in an HTTP header")]
pub struct InvalidIdentity(pub &'static str);

impl IdentityHeaders {
    /// The headers for `rec` in `zone`, with its `groups` value (encoded by the caller) and the signed `assertion`.
    pub fn build(
        rec: &SessionRecord,
        zone: &str,
        groups: String,
        assertion: &str,
    ) -> Result<IdentityHeaders, InvalidIdentity> {
        let value = |name: &'static str, v: String| HeaderValue::try_from(v).map_err(|_| InvalidIdentity(name));
        Ok(IdentityHeaders {
            user: value("x-portvakt-user", rec.username.clone())?,
            groups: value("x-portvakt-groups", groups)?,
            methods: value("x-portvakt-methods", rec.methods.header_value())?,
            zone: value("x-portvakt-zone", zone.to_string())?,
            institution: match &rec.institution {
                Some(i) => Some(value("x-portvakt-institution", i.clone())?),
                None => None,
            },
            assertion: value("x-portvakt-assertion", assertion.to_string())?,
        })
    }
}

/// The session facts the headers and the token were made from; reuse needs them unchanged.
#[derive(PartialEq, Eq)]
struct Facts {
    username: String,
    display_name: String,
    realm: String,
    groups: Vec<String>,
    institution: Option<String>,
    methods: Methods,
}

impl Facts {
    fn of(rec: &SessionRecord) -> Facts {
        Facts {
            username: rec.username.clone(),
            display_name: rec.display_name.clone(),
            realm: rec.realm.clone(),
            groups: rec.groups.clone(),
            institution: rec.institution.clone(),
            methods: rec.methods,
        }
    }

    fn matches(&self, rec: &SessionRecord) -> bool {
        self.username == rec.username
            && self.display_name == rec.display_name
            && self.realm == rec.realm
            && self.groups == rec.groups
            && self.institution == rec.institution
            && self.methods == rec.methods
    }
}

/// Cached headers with their facts and reuse and expiry times.
struct Entry {
    headers: IdentityHeaders,
    facts: Facts,
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

/// Signed tokens and identity headers by session, service and zone.
#[derive(Debug, Default)]
pub struct AssertionCache {
    map: RwLock<HashMap<CacheKey, Entry>>,
}

/// Entries held at most; past this the cache is cleared rather than grown (it only saves work).
const MAX_ENTRIES: usize = 200_000;

impl AssertionCache {
    /// Cached headers still good for reuse at `now` (unix seconds), made from the same facts as `rec` has.
    pub fn get(&self, key: &CacheKey, now: u64, rec: &SessionRecord) -> Option<IdentityHeaders> {
        self.map.read().get(key).filter(|e| now < e.reuse_until && e.facts.matches(rec)).map(|e| e.headers.clone())
    }

    /// Stores the headers made from `rec` with a token issued at `iat` that expires at `exp`.
    pub fn put(&self, key: CacheKey, rec: &SessionRecord, headers: IdentityHeaders, iat: u64, exp: u64) {
        let entry =
            Entry { headers, facts: Facts::of(rec), reuse_until: iat + exp.saturating_sub(iat) / 2, expires: exp };
        let mut m = self.map.write();
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, entry);
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

    fn record() -> SessionRecord {
        SessionRecord {
            username: "anna".into(),
            display_name: "Anna Lindqvist".into(),
            realm: "staff".into(),
            groups: vec!["staff".into(), "payroll".into()],
            institution: None,
            directory_phones: vec![],
            email: None,
            methods: Methods::default(),
            assurance: crate::methods::Assurance::default(),
            eid: None,
            created: crate::clock::Instant(0),
            checked: None,
            from_snapshot: None,
            last_seen: crate::clock::Instant(0),
            csrf: "csrf".into(),
        }
    }

    /// A cache holding headers for `record()` in zone "internal" of `service`, made at 1000 and expiring at 1060.
    fn cached(service: usize, token: &str) -> (AssertionCache, SessionRecord, CacheKey) {
        let c = AssertionCache::default();
        let rec = record();
        let k = CacheKey { session: SessionId::generate().key(), service, zone: Arc::from("internal") };
        let headers = IdentityHeaders::build(&rec, "internal", rec.groups.join(","), token).unwrap();
        c.put(k.clone(), &rec, headers, 1000, 1060);
        (c, rec, k)
    }

    /// Headers are reused only during the first half of the token's lifetime and for the same session, service and
    /// zone.
    #[test]
    fn reuse_window_and_key() {
        let (c, rec, k) = cached(1, "tok");
        assert_eq!(c.get(&k, 1029, &rec).map(|h| h.assertion), Some(HeaderValue::from_static("tok")));
        assert!(c.get(&k, 1030, &rec).is_none());
        assert!(c.get(&CacheKey { service: 2, ..k.clone() }, 1000, &rec).is_none());
        assert!(c.get(&CacheKey { zone: Arc::from("remote"), ..k.clone() }, 1000, &rec).is_none());
        assert_eq!(c.purge(1059), 0);
        assert_eq!(c.purge(1060), 1);
    }

    /// A session whose groups (or other identity facts) changed, as a directory refresh does, gets no headers made
    /// from the old ones.
    #[test]
    fn changed_facts_are_not_served_from_the_cache() {
        let (c, rec, k) = cached(0, "tok");
        let mut fewer = rec.clone();
        fewer.groups.pop();
        assert!(c.get(&k, 1001, &fewer).is_none(), "a removed group was still served");
        let mut other = rec.clone();
        other.institution = Some("Skolförvaltningen".into());
        assert!(c.get(&k, 1001, &other).is_none());
        assert!(c.get(&k, 1001, &rec).is_some());
    }

    /// A request served from the cache copies no header bytes: every hit hands out the same shared buffer.
    #[test]
    fn cached_values_share_their_bytes() {
        let (c, rec, k) = cached(0, &"e".repeat(600));
        let a = c.get(&k, 1001, &rec).unwrap();
        let b = c.get(&k, 1002, &rec).unwrap();
        for (x, y) in [(&a.assertion, &b.assertion), (&a.groups, &b.groups), (&a.user, &b.user)] {
            assert_eq!(x.as_bytes().as_ptr(), y.as_bytes().as_ptr(), "a cache hit copied a header value");
        }
    }

    /// Building refuses a value HTTP cannot carry instead of forwarding it.
    #[test]
    fn a_control_byte_is_refused() {
        let mut rec = record();
        rec.username = "anna\r\nX-Evil: 1".into();
        let e = IdentityHeaders::build(&rec, "internal", rec.groups.join(","), "tok").unwrap_err();
        assert_eq!(e.0, "x-portvakt-user");
    }

    /// The Debug of cached headers and of an entry leave out the signed token.
    #[test]
    fn debug_leaves_out_the_token() {
        let rec = record();
        let h = IdentityHeaders::build(&rec, "internal", String::new(), "eyJ-assertion-secret").unwrap();
        let e = Entry { headers: h.clone(), facts: Facts::of(&rec), reuse_until: 1, expires: 2 };
        for shown in [format!("{e:?}"), format!("{h:?}")] {
            assert!(!shown.contains("eyJ-assertion-secret"), "{shown}");
        }
        assert!(format!("{e:?}").contains("reuse_until"));
    }
}
