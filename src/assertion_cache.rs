//! Reuse of signed assertions and of the identity headers around them: an ES256 signature per proxied request would
//! dominate the gateway's CPU, so a token is reused for the same session, service and zone while more than half of its
//! lifetime remains. With it the gateway keeps the finished `X-Portvakt-*` header values, so a proxied request copies
//! and joins none of them (docs/BENCHMARKS.md, session 9, finding 11); they are reused only while the session's
//! identity facts are the ones they were built from (a directory refresh that changes the groups gets new ones).
//!
//! The cache is kept per worker thread. A request runs on the thread that accepted its connection, so it reads only
//! what its own thread made: no lock, map or reference count is written by two threads per request. With one map
//! shared by the threads, whose values shared their bytes across them, each request passed those cache lines between
//! the cores: a clone and drop of a value costs 45 ns while another thread uses it and 14 ns when none does, about
//! 0.3 µs per request for the cache (docs/BENCHMARKS.md, session 11, finding 45: all state the threads share costs
//! Portvakt about 4 %). The price: each thread signs its own token per session, service and zone (one signature per
//! half lifetime), and holds its own copy of the headers.

use crate::methods::Methods;
use crate::session::{SessionKey, SessionRecord};
use http::HeaderValue;
use parking_lot::Mutex;
use std::collections::HashMap;
use thread_local::ThreadLocal;

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

/// Cached headers with their zone, facts, and reuse and expiry times.
struct Entry {
    /// The zone they were made for (a session is nearly always seen from one zone).
    zone: Box<str>,
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

/// Signed tokens and identity headers by session (its key changes at every login and step-up), service index and
/// zone, one map per worker thread.
#[derive(Default)]
pub struct AssertionCache {
    shards: ThreadLocal<Mutex<Shard>>,
}

/// One thread's entries: by session and service, then the zones that session was seen from.
type Shard = HashMap<(SessionKey, usize), Vec<Entry>, crate::store::BuildKeyHasher>;

/// Leaves out every token: only how many are cached.
impl std::fmt::Debug for AssertionCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionCache").field("len", &self.len()).finish()
    }
}

/// Entries held at most per thread; past this its map is cleared rather than grown (it only saves work).
const MAX_ENTRIES_PER_THREAD: usize = 200_000;

impl AssertionCache {
    /// This thread's cached headers for the session, service and zone, still good for reuse at `now` (unix seconds)
    /// and made from the same facts as `rec` has.
    pub fn get(
        &self,
        session: &SessionKey,
        service: usize,
        zone: &str,
        now: u64,
        rec: &SessionRecord,
    ) -> Option<IdentityHeaders> {
        let shard = self.shards.get()?.lock();
        let entries = shard.get(&(*session, service))?;
        entries
            .iter()
            .find(|e| &*e.zone == zone)
            .filter(|e| now < e.reuse_until && e.facts.matches(rec))
            .map(|e| e.headers.clone())
    }

    /// Keeps, for this thread, the headers made from `rec` in `zone` with a token issued at `iat` that expires at
    /// `exp`, in place of any older ones for that session, service and zone.
    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &self,
        session: SessionKey,
        service: usize,
        zone: &str,
        rec: &SessionRecord,
        headers: IdentityHeaders,
        iat: u64,
        exp: u64,
    ) {
        let entry = Entry {
            zone: zone.into(),
            headers,
            facts: Facts::of(rec),
            reuse_until: iat + exp.saturating_sub(iat) / 2,
            expires: exp,
        };
        let mut shard = self.shards.get_or_default().lock();
        if shard.len() >= MAX_ENTRIES_PER_THREAD {
            shard.clear();
        }
        let entries = shard.entry((session, service)).or_default();
        entries.retain(|e| *e.zone != *zone);
        entries.push(entry);
    }

    /// Drops tokens that have expired, on every thread; run periodically. Returns how many were dropped.
    pub fn purge(&self, now: u64) -> usize {
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            shard.retain(|_, entries| {
                let before = entries.len();
                entries.retain(|e| e.expires > now);
                dropped += before - entries.len();
                !entries.is_empty()
            });
        }
        dropped
    }

    /// Number of cached tokens, over all threads.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().values().map(Vec::len).sum::<usize>()).sum()
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
    fn cached(service: usize, token: &str) -> (AssertionCache, SessionRecord, SessionKey) {
        let c = AssertionCache::default();
        let rec = record();
        let k = SessionId::generate().key();
        let headers = IdentityHeaders::build(&rec, "internal", rec.groups.join(","), token).unwrap();
        c.put(k, service, "internal", &rec, headers, 1000, 1060);
        (c, rec, k)
    }

    /// Headers are reused only during the first half of the token's lifetime and for the same session, service and
    /// zone.
    #[test]
    fn reuse_window_and_key() {
        let (c, rec, k) = cached(1, "tok");
        assert_eq!(c.get(&k, 1, "internal", 1029, &rec).map(|h| h.assertion), Some(HeaderValue::from_static("tok")));
        assert!(c.get(&k, 1, "internal", 1030, &rec).is_none());
        assert!(c.get(&k, 2, "internal", 1000, &rec).is_none());
        assert!(c.get(&k, 1, "remote", 1000, &rec).is_none());
        assert!(c.get(&SessionId::generate().key(), 1, "internal", 1000, &rec).is_none());
        assert_eq!(c.purge(1059), 0);
        assert_eq!(c.purge(1060), 1);
        assert!(c.is_empty());
    }

    /// A session whose groups (or other identity facts) changed, as a directory refresh does, gets no headers made
    /// from the old ones.
    #[test]
    fn changed_facts_are_not_served_from_the_cache() {
        let (c, rec, k) = cached(0, "tok");
        let mut fewer = rec.clone();
        fewer.groups.pop();
        assert!(c.get(&k, 0, "internal", 1001, &fewer).is_none(), "a removed group was still served");
        let mut other = rec.clone();
        other.institution = Some("Skolförvaltningen".into());
        assert!(c.get(&k, 0, "internal", 1001, &other).is_none());
        assert!(c.get(&k, 0, "internal", 1001, &rec).is_some());
    }

    /// A request served from the cache copies no header bytes: every hit hands out the same shared buffer.
    #[test]
    fn cached_values_share_their_bytes() {
        let (c, rec, k) = cached(0, &"e".repeat(600));
        let a = c.get(&k, 0, "internal", 1001, &rec).unwrap();
        let b = c.get(&k, 0, "internal", 1002, &rec).unwrap();
        for (x, y) in [(&a.assertion, &b.assertion), (&a.groups, &b.groups), (&a.user, &b.user)] {
            assert_eq!(x.as_bytes().as_ptr(), y.as_bytes().as_ptr(), "a cache hit copied a header value");
        }
    }

    /// Each worker thread reads only the entries it made (so no cache line is written by two threads per request),
    /// while the reaper's purge and the count see every thread's.
    #[test]
    fn each_thread_reads_its_own_and_purge_sees_all() {
        let (c, rec, k) = cached(0, "made-on-the-test-thread");
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(c.get(&k, 0, "internal", 1001, &rec).is_none(), "another thread's entry was handed out");
                let h = IdentityHeaders::build(&rec, "internal", String::new(), "made-on-a-worker").unwrap();
                c.put(k, 0, "internal", &rec, h, 1010, 1070);
                assert_eq!(
                    c.get(&k, 0, "internal", 1011, &rec).map(|h| h.assertion),
                    Some(HeaderValue::from_static("made-on-a-worker"))
                );
            });
        });
        assert_eq!(
            c.get(&k, 0, "internal", 1011, &rec).map(|h| h.assertion),
            Some(HeaderValue::from_static("made-on-the-test-thread"))
        );
        assert_eq!(c.len(), 2);
        let purged = std::thread::scope(|s| s.spawn(|| c.purge(1060)).join().unwrap());
        assert_eq!(purged, 1, "the purge from a third thread dropped the expired entry of the first");
        assert_eq!(c.purge(1070), 1);
        assert!(c.is_empty());
    }

    /// New headers for a session, service and zone replace the old ones instead of piling up beside them.
    #[test]
    fn a_renewal_replaces_the_entry() {
        let (c, rec, k) = cached(0, "first");
        let h = IdentityHeaders::build(&rec, "internal", String::new(), "second").unwrap();
        c.put(k, 0, "internal", &rec, h, 1030, 1090);
        let h = IdentityHeaders::build(&rec, "remote", String::new(), "remote").unwrap();
        c.put(k, 0, "remote", &rec, h, 1030, 1090);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(&k, 0, "internal", 1031, &rec).map(|h| h.assertion), Some(HeaderValue::from_static("second")));
        assert_eq!(c.get(&k, 0, "remote", 1031, &rec).map(|h| h.assertion), Some(HeaderValue::from_static("remote")));
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
        let e =
            Entry { zone: "internal".into(), headers: h.clone(), facts: Facts::of(&rec), reuse_until: 1, expires: 2 };
        for shown in [format!("{e:?}"), format!("{h:?}")] {
            assert!(!shown.contains("eyJ-assertion-secret"), "{shown}");
        }
        assert!(format!("{e:?}").contains("reuse_until"));
    }
}
