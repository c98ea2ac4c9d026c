//! The embedded default backend: one SQLite file (WAL, `synchronous=FULL`, busy timeout), shared safely by the old
//! and the new process during a binary upgrade.
//!
//! Every call runs on tokio's blocking pool and every read-modify-write is one `BEGIN IMMEDIATE` transaction on the
//! one writing connection, so it is atomic across threads and processes. Plain reads (the session read of every
//! proxied request, flow and account look-ups) run in deferred read transactions on a small pool of read-only
//! connections: under WAL they read a consistent snapshot without taking the write lock, so they neither wait for
//! writers nor make writers wait. The debounced session touch is a separate conditional `UPDATE`. Rows are keyed by [`Secrets::index`] MACs and values sealed with
//! [`Secrets::seal`] bound to their table and key: the file holds no session ID, code, account name or person ID in
//! clear. The file is created with mode 0600.

use super::seal::Secrets;
use super::*;
use crate::clock::SharedClock;
use parking_lot::Mutex;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How long a statement waits for another process's write lock before failing with [`StoreError::Timeout`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Read-only connections per process (reads run in parallel on the blocking pool; the machine has few cores).
const READERS: usize = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    k BLOB PRIMARY KEY, account BLOB NOT NULL, sid BLOB, eid INTEGER NOT NULL,
    last_seen INTEGER NOT NULL, expires INTEGER NOT NULL, deadline INTEGER NOT NULL, v BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_account ON sessions(account);
CREATE INDEX IF NOT EXISTS sessions_sid ON sessions(sid);
CREATE INDEX IF NOT EXISTS sessions_deadline ON sessions(deadline);
CREATE TABLE IF NOT EXISTS challenges (
    k BLOB PRIMARY KEY, account BLOB NOT NULL, mac BLOB NOT NULL, expires INTEGER NOT NULL,
    failures INTEGER NOT NULL, sends INTEGER NOT NULL, deadline INTEGER NOT NULL, v BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS challenges_deadline ON challenges(deadline);
CREATE TABLE IF NOT EXISTS account_failures (
    k BLOB PRIMARY KEY, count INTEGER NOT NULL, locked_until INTEGER, deadline INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS flows (k BLOB PRIMARY KEY, deadline INTEGER NOT NULL, v BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS flows_deadline ON flows(deadline);
CREATE TABLE IF NOT EXISTS regulation (
    k BLOB PRIMARY KEY, attempts TEXT NOT NULL, banned_until INTEGER, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rate_limits (k BLOB PRIMARY KEY, tat INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rate_limits_tat ON rate_limits(tat);
CREATE TABLE IF NOT EXISTS accounts (k BLOB PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS persons (k BLOB PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS probe (k INTEGER PRIMARY KEY, v BLOB NOT NULL);
";

/// The SQLite backend: one connection per process, used from the blocking pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    conn: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
    secrets: Arc<Secrets>,
    clock: SharedClock,
    path: PathBuf,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn at(i: Instant) -> i64 {
    i64::try_from(i.0).unwrap_or(i64::MAX)
}

fn inst(v: i64) -> Instant {
    Instant(u64::try_from(v).unwrap_or(0))
}

/// Maps SQLite's errors onto the store's: a busy database is a timeout, damage is corruption, the rest unavailable.
fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match &e {
        rusqlite::Error::SqliteFailure(f, _) => match f.code {
            C::DatabaseBusy | C::DatabaseLocked => StoreError::Timeout(format!("SQLite busy: {e}")),
            C::DatabaseCorrupt | C::NotADatabase => StoreError::Corrupt(format!("SQLite: {e}")),
            C::ConstraintViolation => StoreError::Conflict(format!("SQLite: {e}")),
            _ => StoreError::Unavailable(format!("SQLite: {e}")),
        },
        _ => StoreError::Unavailable(format!("SQLite: {e}")),
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn unjson<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(format!("undecodable value: {e}")))
}

/// Associated data of a sealed value: its table and row key.
fn ad(table: &str, k: &[u8]) -> Vec<u8> {
    let mut v = table.as_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(k);
    v
}

impl SqliteStore {
    /// Opens (creating with mode 0600 if needed) the database at `path`, sets WAL, `synchronous=FULL` and the busy
    /// timeout, and creates the tables. Blocking: call at startup or from the blocking pool.
    pub fn open(path: &Path, secrets: Arc<Secrets>, clock: SharedClock) -> Result<SqliteStore, StoreError> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("can't create {}: {e}", dir.display())))?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| StoreError::Unavailable(format!("can't open {}: {e}", path.display())))?;
        let conn = Connection::open(path).map_err(map_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(map_err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(map_err)?;
        conn.execute_batch(SCHEMA).map_err(map_err)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = PathBuf::from(p);
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| StoreError::Unavailable(format!("can't restrict {}: {e}", p.display())))?;
            }
        }
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = Connection::open(path).map_err(map_err)?;
            r.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
            r.pragma_update(None, "query_only", "ON").map_err(map_err)?;
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                readers,
                next_reader: std::sync::atomic::AtomicUsize::new(0),
                secrets,
                clock,
                path: path.to_path_buf(),
            }),
        })
    }

    /// Every trait of this store, sharing one connection.
    pub fn stores(self) -> Stores {
        Stores::all_from(Arc::new(self))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the blocking pool; commits if it returns `Ok`.
    async fn tx<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, &Inner, Instant) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let now = inner.clock.now();
            let mut conn = inner.conn.lock();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
            let out = f(&tx, &inner, now)?;
            tx.commit().map_err(map_err)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("SQLite task failed: {e}")))?
    }
}

impl SqliteStore {
    /// Runs `f` in one deferred (read) transaction on a read-only connection, on the blocking pool: it sees one
    /// snapshot and takes no write lock. `f` must only read (the connection refuses writes).
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>, &Inner, Instant) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let now = inner.clock.now();
            let n = inner.readers.len().max(1);
            let start = inner.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // A free reader if there is one, else wait for the next in turn.
            let mut conn = (0..n)
                .find_map(|i| inner.readers.get((start + i) % n).and_then(|m| m.try_lock()))
                .or_else(|| inner.readers.get(start % n).map(|m| m.lock()))
                .ok_or_else(|| StoreError::Unavailable("SQLite: no read connection".into()))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(map_err)?;
            let out = f(&tx, &inner, now)?;
            tx.commit().map_err(map_err)?;
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("SQLite task failed: {e}")))?
    }
}

impl Inner {
    fn k(&self, kind: &str, key: &Key) -> Vec<u8> {
        self.secrets.index(kind, key).to_vec()
    }
    fn kn(&self, kind: &str, name: &str) -> Vec<u8> {
        self.secrets.index_name(kind, name).to_vec()
    }
    fn seal(&self, table: &str, k: &[u8], v: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.secrets.seal(&ad(table, k), v)
    }
    fn open(&self, table: &str, k: &[u8], v: &[u8]) -> Result<Vec<u8>, StoreError> {
        self.secrets.open(&ad(table, k), v)
    }
    fn sid(&self, s: &EidSid) -> Vec<u8> {
        self.kn("sid", &format!("{}\u{0}{}", s.provider, s.sid))
    }
    fn person(&self, provider: &str, pid: &str) -> Vec<u8> {
        self.kn("person", &format!("{provider}\u{0}{pid}"))
    }

    fn insert_session(
        &self,
        tx: &Transaction<'_>,
        k: &[u8],
        entry: &SessionEntry,
        deadline: Instant,
    ) -> Result<(), StoreError> {
        let sealed = self.seal("sessions", k, &json(entry)?)?;
        tx.execute(
            "INSERT OR REPLACE INTO sessions (k, account, sid, eid, last_seen, expires, deadline, v)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                k,
                self.kn("account", &entry.account),
                entry.eid_sid.as_ref().map(|s| self.sid(s)),
                entry.eid,
                at(entry.last_seen),
                at(entry.expires),
                at(deadline),
                sealed
            ],
        )
        .map_err(map_err)?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl SessionStore for SqliteStore {
    async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError> {
        let key = *key;
        self.tx(move |tx, s, now| s.insert_session(tx, &s.k("session", &key), &entry, now.plus(ttl))).await
    }

    async fn get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Result<Option<SessionEntry>, StoreError> {
        let key = *key;
        // The read takes no lock; the touch, due once per interval, is a conditional write of its own that
        // re-checks the same rule, so racing requests (or processes) write it at most once and never revive a
        // session that was ended or idled out meanwhile.
        let found = self
            .read(move |tx, s, _| {
                let k = s.k("session", &key);
                let now = touch.now;
                let row: Option<(i64, i64, i64, Vec<u8>)> = tx
                    .query_row("SELECT last_seen, expires, deadline, v FROM sessions WHERE k = ?1", params![k], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })
                    .optional()
                    .map_err(map_err)?;
                let Some((last_seen, expires, deadline, v)) = row else { return Ok(None) };
                if inst(deadline) <= now {
                    return Ok(None);
                }
                let mut entry: SessionEntry = unjson(&s.open("sessions", &k, &v)?)?;
                entry.last_seen = inst(last_seen);
                let idle = now.since(entry.last_seen);
                let due = idle >= touch.interval && idle < touch.max_idle && now < inst(expires);
                Ok(Some((entry, due)))
            })
            .await?;
        let Some((entry, due)) = found else { return Ok(None) };
        if due {
            self.tx(move |tx, s, _| {
                let now = at(touch.now);
                tx.execute(
                    "UPDATE sessions SET last_seen = ?2, deadline = ?3
                     WHERE k = ?1 AND deadline > ?2 AND expires > ?2 AND ?2 - last_seen >= ?4 AND ?2 - last_seen < ?5",
                    params![s.k("session", &key), now, at(touch.now.plus(ttl)), ms(touch.interval), ms(touch.max_idle)],
                )
                .map_err(map_err)
            })
            .await?;
        }
        Ok(Some(entry))
    }

    async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError> {
        let (old, new) = (*old, *new);
        self.tx(move |tx, s, now| {
            let n = tx
                .execute("DELETE FROM sessions WHERE k = ?1 AND deadline > ?2", params![s.k("session", &old), at(now)])
                .map_err(map_err)?;
            if n == 0 {
                return Ok(false);
            }
            s.insert_session(tx, &s.k("session", &new), &entry, now.plus(ttl))?;
            Ok(true)
        })
        .await
    }

    async fn end(&self, key: &Key) -> Result<bool, StoreError> {
        let key = *key;
        self.tx(move |tx, s, _| {
            Ok(tx.execute("DELETE FROM sessions WHERE k = ?1", params![s.k("session", &key)]).map_err(map_err)? > 0)
        })
        .await
    }

    async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError> {
        let sid = sid.clone();
        self.tx(move |tx, s, _| {
            tx.execute("DELETE FROM sessions WHERE sid = ?1", params![s.sid(&sid)]).map_err(map_err)
        })
        .await
    }

    async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError> {
        let account = account.to_string();
        self.tx(move |tx, s, _| {
            let a = s.kn("account", &account);
            match scope {
                SessionScope::All => tx.execute("DELETE FROM sessions WHERE account = ?1", params![a]),
                SessionScope::EidOnly => tx.execute("DELETE FROM sessions WHERE account = ?1 AND eid = 1", params![a]),
            }
            .map_err(map_err)
        })
        .await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.tx(move |tx, _, _| {
            tx.execute(
                "DELETE FROM sessions WHERE rowid IN
                 (SELECT rowid FROM sessions WHERE deadline <= ?1 OR expires <= ?1 LIMIT ?2)",
                params![at(now), limit as i64],
            )
            .map_err(map_err)
        })
        .await
    }

    async fn count(&self) -> Result<usize, StoreError> {
        self.read(|tx, _, _| {
            let n: i64 = tx.query_row("SELECT count(*) FROM sessions", [], |r| r.get(0)).map_err(map_err)?;
            Ok(usize::try_from(n).unwrap_or(0))
        })
        .await
    }
}

/// What a challenge row seals: the fields not needed by the atomic comparison.
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedChallenge {
    account: String,
    channel: String,
}

type ChallengeRow = (Vec<u8>, Vec<u8>, i64, u32, u32, i64, Vec<u8>);

fn challenge_row(tx: &Transaction<'_>, k: &[u8]) -> Result<Option<ChallengeRow>, StoreError> {
    tx.query_row(
        "SELECT account, mac, expires, failures, sends, deadline, v FROM challenges WHERE k = ?1",
        params![k],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    )
    .optional()
    .map_err(map_err)
}

fn challenge_entry(s: &Inner, k: &[u8], row: &ChallengeRow) -> Result<ChallengeEntry, StoreError> {
    let sealed: SealedChallenge = unjson(&s.open("challenges", k, &row.6)?)?;
    let code_mac: [u8; 32] =
        row.1.as_slice().try_into().map_err(|_| StoreError::Corrupt("challenge MAC of wrong length".into()))?;
    Ok(ChallengeEntry {
        account: sealed.account,
        channel: sealed.channel,
        code_mac,
        expires: inst(row.2),
        failures: row.3,
        sends: row.4,
    })
}

#[async_trait::async_trait]
impl ChallengeStore for SqliteStore {
    async fn open(&self, session: &Key, code: NewCode, max_sends: u32, ttl: Duration) -> Result<Opened, StoreError> {
        let session = *session;
        self.tx(move |tx, s, now| {
            let k = s.k("challenge", &session);
            let acc = s.kn("account", &code.account);
            let prior = challenge_row(tx, &k)?.filter(|r| inst(r.5) > now && r.0 == acc);
            let (failures, sends) = prior.map(|r| (r.3, r.4)).unwrap_or((0, 0));
            if sends >= max_sends {
                return Ok(Opened::SendCap);
            }
            let sealed = s.seal(
                "challenges",
                &k,
                &json(&SealedChallenge { account: code.account.clone(), channel: code.channel.clone() })?,
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO challenges (k, account, mac, expires, failures, sends, deadline, v)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    k,
                    acc,
                    code.code_mac.to_vec(),
                    at(code.expires),
                    failures,
                    sends + 1,
                    at(now.plus(ttl)),
                    sealed
                ],
            )
            .map_err(map_err)?;
            Ok(Opened::Stored(ChallengeEntry {
                account: code.account,
                channel: code.channel,
                code_mac: code.code_mac,
                expires: code.expires,
                failures,
                sends: sends + 1,
            }))
        })
        .await
    }

    async fn get(&self, session: &Key) -> Result<Option<ChallengeEntry>, StoreError> {
        let session = *session;
        self.read(move |tx, s, now| {
            let k = s.k("challenge", &session);
            match challenge_row(tx, &k)?.filter(|r| inst(r.5) > now) {
                Some(r) => Ok(Some(challenge_entry(s, &k, &r)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn consume_if_matches(
        &self,
        session: &Key,
        account: &str,
        code_mac: &[u8; 32],
        now: Instant,
        max_tries: u32,
    ) -> Result<Consumed, StoreError> {
        let (session, account, code_mac) = (*session, account.to_string(), *code_mac);
        self.tx(move |tx, s, _| {
            use subtle::ConstantTimeEq;
            let k = s.k("challenge", &session);
            let acc = s.kn("account", &account);
            let Some(row) = challenge_row(tx, &k)?.filter(|r| inst(r.5) > now && r.0 == acc) else {
                return Ok(Consumed::Missing);
            };
            if row.3 >= max_tries {
                return Ok(Consumed::Exhausted);
            }
            if now >= inst(row.2) {
                return Ok(Consumed::Expired);
            }
            if bool::from(row.1.as_slice().ct_eq(&code_mac)) {
                let entry = challenge_entry(s, &k, &row)?;
                tx.execute("DELETE FROM challenges WHERE k = ?1", params![k]).map_err(map_err)?;
                return Ok(Consumed::Matched(entry));
            }
            tx.execute("UPDATE challenges SET failures = failures + 1 WHERE k = ?1", params![k]).map_err(map_err)?;
            Ok(Consumed::Wrong { remaining: max_tries.saturating_sub(row.3 + 1) })
        })
        .await
    }

    async fn record_wrong_try(&self, session: &Key, max_tries: u32) -> Result<Option<u32>, StoreError> {
        let session = *session;
        self.tx(move |tx, s, now| {
            let k = s.k("challenge", &session);
            let Some(row) = challenge_row(tx, &k)?.filter(|r| inst(r.5) > now) else { return Ok(None) };
            let failures = (row.3 + 1).min(max_tries.max(row.3));
            tx.execute("UPDATE challenges SET failures = ?2 WHERE k = ?1", params![k, failures]).map_err(map_err)?;
            Ok(Some(max_tries.saturating_sub(failures)))
        })
        .await
    }

    async fn uncount_send(&self, session: &Key) -> Result<(), StoreError> {
        let session = *session;
        self.tx(move |tx, s, _| {
            tx.execute(
                "UPDATE challenges SET sends = max(sends - 1, 0) WHERE k = ?1",
                params![s.k("challenge", &session)],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn remove(&self, session: &Key) -> Result<(), StoreError> {
        let session = *session;
        self.tx(move |tx, s, _| {
            tx.execute("DELETE FROM challenges WHERE k = ?1", params![s.k("challenge", &session)]).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn incr_account_failures(
        &self,
        account: &str,
        now: Instant,
        lockout: Lockout,
        ttl: Duration,
    ) -> Result<AccountFailures, StoreError> {
        let account = account.to_string();
        self.tx(move |tx, s, _| {
            let k = s.kn("failures", &account);
            let row: Option<(u32, Option<i64>, i64)> = tx
                .query_row("SELECT count, locked_until, deadline FROM account_failures WHERE k = ?1", params![k], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()
                .map_err(map_err)?;
            let mut f = match row {
                Some((c, l, d)) if inst(d) > now => AccountFailures { count: c, locked_until: l.map(inst) },
                _ => AccountFailures::default(),
            };
            if f.locked_until.is_some_and(|u| u <= now) {
                f.locked_until = None;
            }
            f.count += 1;
            if f.count >= lockout.after {
                f.count = 0;
                f.locked_until = Some(now.plus(lockout.duration));
            }
            tx.execute(
                "INSERT OR REPLACE INTO account_failures (k, count, locked_until, deadline) VALUES (?1, ?2, ?3, ?4)",
                params![k, f.count, f.locked_until.map(at), at(now.plus(ttl.max(lockout.duration)))],
            )
            .map_err(map_err)?;
            Ok(f)
        })
        .await
    }

    async fn account_failures(&self, account: &str, now: Instant) -> Result<AccountFailures, StoreError> {
        let account = account.to_string();
        self.read(move |tx, s, _| {
            let row: Option<(u32, Option<i64>, i64)> = tx
                .query_row(
                    "SELECT count, locked_until, deadline FROM account_failures WHERE k = ?1",
                    params![s.kn("failures", &account)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(map_err)?;
            let mut f = match row {
                Some((c, l, d)) if inst(d) > now => AccountFailures { count: c, locked_until: l.map(inst) },
                _ => AccountFailures::default(),
            };
            if f.locked_until.is_some_and(|u| u <= now) {
                f.locked_until = None;
            }
            Ok(f)
        })
        .await
    }

    async fn reset_account_failures(&self, account: &str) -> Result<(), StoreError> {
        let account = account.to_string();
        self.tx(move |tx, s, _| {
            tx.execute("DELETE FROM account_failures WHERE k = ?1", params![s.kn("failures", &account)])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.tx(move |tx, _, _| {
            let a = tx
                .execute(
                    "DELETE FROM challenges WHERE rowid IN (SELECT rowid FROM challenges WHERE deadline <= ?1 LIMIT ?2)",
                    params![at(now), limit as i64],
                )
                .map_err(map_err)?;
            let b = tx
                .execute(
                    "DELETE FROM account_failures WHERE rowid IN
                     (SELECT rowid FROM account_failures WHERE deadline <= ?1 LIMIT ?2)",
                    params![at(now), limit.saturating_sub(a) as i64],
                )
                .map_err(map_err)?;
            Ok(a + b)
        })
        .await
    }
}

#[async_trait::async_trait]
impl FlowStore for SqliteStore {
    async fn put(&self, key: &Key, flow: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let key = *key;
        self.tx(move |tx, s, now| {
            let k = s.k("flow", &key);
            let v = s.seal("flows", &k, &flow)?;
            put_flow_row(tx, &k, now.plus(ttl), &v)
        })
        .await
    }

    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let key = *key;
        self.read(move |tx, s, now| {
            let k = s.k("flow", &key);
            let v = live_flow_row(tx, &k, now)?;
            v.map(|v| s.open("flows", &k, &v)).transpose()
        })
        .await
    }

    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let key = *key;
        self.tx(move |tx, s, now| {
            let k = s.k("flow", &key);
            let row: Option<(i64, Vec<u8>)> = tx
                .query_row("DELETE FROM flows WHERE k = ?1 RETURNING deadline, v", params![k], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(map_err)?;
            match row {
                Some((d, v)) if inst(d) > now => Ok(Some(s.open("flows", &k, &v)?)),
                _ => Ok(None),
            }
        })
        .await
    }

    async fn use_once(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError> {
        let key = *key;
        // A mark is a row of the flows table under its own index ("once"), so the flows' sweep removes it; the
        // write transaction makes check-and-set one step across processes sharing the file.
        self.tx(move |tx, s, now| {
            let k = s.k("once", &key);
            let live: Option<i64> = tx
                .query_row("SELECT deadline FROM flows WHERE k = ?1 AND deadline > ?2", params![k, at(now)], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(map_err)?;
            if live.is_some() {
                return Ok(false);
            }
            let v = s.seal("marks", &k, &[])?;
            put_flow_row(tx, &k, now.plus(ttl), &v)?;
            Ok(true)
        })
        .await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.tx(move |tx, _, _| {
            tx.execute(
                "DELETE FROM flows WHERE rowid IN (SELECT rowid FROM flows WHERE deadline <= ?1 LIMIT ?2)",
                params![at(now), limit as i64],
            )
            .map_err(map_err)
        })
        .await
    }
}

/// A regulation row: attempt times (ms) within the window, and a ban.
struct RegRow {
    attempts: Vec<u64>,
    banned_until: Option<Instant>,
}

fn reg_row(tx: &Transaction<'_>, k: &[u8]) -> Result<RegRow, StoreError> {
    let row: Option<(String, Option<i64>)> = tx
        .query_row("SELECT attempts, banned_until FROM regulation WHERE k = ?1", params![k], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(map_err)?;
    Ok(match row {
        Some((a, b)) => RegRow { attempts: unjson(a.as_bytes())?, banned_until: b.map(inst) },
        None => RegRow { attempts: vec![], banned_until: None },
    })
}

fn reg_write(tx: &Transaction<'_>, k: &[u8], r: &RegRow, last: Instant) -> Result<(), StoreError> {
    let attempts = String::from_utf8(json(&r.attempts)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT OR REPLACE INTO regulation (k, attempts, banned_until, last) VALUES (?1, ?2, ?3, ?4)",
        params![k, attempts, r.banned_until.map(at), at(last)],
    )
    .map_err(map_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl RegulationStore for SqliteStore {
    async fn record_attempt(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<BanState, StoreError> {
        let keys: Vec<(String, RegulationLimits)> = keys.iter().map(|(k, l)| ((*k).to_string(), *l)).collect();
        self.tx(move |tx, s, _| {
            let mut rows = Vec::new();
            let mut wait = None;
            for (name, limits) in &keys {
                let k = s.kn("regulation", name);
                let r = reg_row(tx, &k)?;
                if let Some(u) = r.banned_until.filter(|u| *u > now) {
                    wait = Some(wait.map_or(u.since(now), |w: Duration| w.max(u.since(now))));
                }
                rows.push((k, r, *limits));
            }
            if let Some(w) = wait {
                return Ok(BanState::Banned(w));
            }
            for (k, mut r, limits) in rows {
                if r.banned_until.is_some_and(|u| u <= now) {
                    r.banned_until = None;
                    r.attempts.clear();
                }
                r.attempts.retain(|t| now.since(Instant(*t)) < limits.find_time);
                r.attempts.push(now.0);
                if r.attempts.len() >= limits.max_failures as usize {
                    r.banned_until = Some(now.plus(limits.ban_time));
                }
                reg_write(tx, &k, &r, now)?;
            }
            Ok(BanState::Allowed)
        })
        .await
    }

    async fn refund(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<(), StoreError> {
        let keys: Vec<(String, RegulationLimits)> = keys.iter().map(|(k, l)| ((*k).to_string(), *l)).collect();
        self.tx(move |tx, s, _| {
            for (name, limits) in &keys {
                let k = s.kn("regulation", name);
                let mut r = reg_row(tx, &k)?;
                r.attempts.pop();
                if r.attempts.len() < limits.max_failures as usize && r.banned_until.is_some_and(|u| u > now) {
                    r.banned_until = None;
                }
                reg_write(tx, &k, &r, now)?;
            }
            Ok(())
        })
        .await
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_string();
        self.tx(move |tx, s, _| {
            tx.execute("DELETE FROM regulation WHERE k = ?1", params![s.kn("regulation", &key)]).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn banned(&self, keys: &[&str], now: Instant) -> Result<Option<Duration>, StoreError> {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
        self.read(move |tx, s, _| {
            let mut wait: Option<Duration> = None;
            for name in &keys {
                let r = reg_row(tx, &s.kn("regulation", name))?;
                if let Some(u) = r.banned_until.filter(|u| *u > now) {
                    wait = Some(wait.map_or(u.since(now), |w| w.max(u.since(now))));
                }
            }
            Ok(wait)
        })
        .await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let day_ago = at(now).saturating_sub(ms(Duration::from_secs(24 * 3600)));
        self.tx(move |tx, _, _| {
            tx.execute(
                "DELETE FROM regulation WHERE rowid IN (SELECT rowid FROM regulation
                 WHERE (banned_until IS NULL OR banned_until <= ?1) AND last <= ?2 LIMIT ?3)",
                params![at(now), day_ago, limit as i64],
            )
            .map_err(map_err)
        })
        .await
    }
}

#[async_trait::async_trait]
impl RateLimitStore for SqliteStore {
    async fn hit(&self, key: &str, quota: Quota, now: Instant) -> Result<RateDecision, StoreError> {
        let key = key.to_string();
        self.tx(move |tx, s, _| {
            // GCRA: each event moves the theoretical arrival time (TAT) one emission interval on; an event conforms
            // while the TAT stays within one window of now (a burst of `count`).
            let k = s.kn("rate", &key);
            let interval = ms(quota.window) / i64::from(quota.count.max(1));
            let tat: Option<i64> = tx
                .query_row("SELECT tat FROM rate_limits WHERE k = ?1", params![k], |r| r.get(0))
                .optional()
                .map_err(map_err)?;
            let next = tat.unwrap_or(0).max(at(now)).saturating_add(interval.max(1));
            let ahead = next - at(now);
            if ahead > ms(quota.window) {
                let wait = u64::try_from(ahead - ms(quota.window)).unwrap_or(0);
                return Ok(RateDecision::Wait(Duration::from_millis(wait)));
            }
            tx.execute("INSERT OR REPLACE INTO rate_limits (k, tat) VALUES (?1, ?2)", params![k, next])
                .map_err(map_err)?;
            Ok(RateDecision::Ok)
        })
        .await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.tx(move |tx, _, _| {
            tx.execute(
                "DELETE FROM rate_limits WHERE rowid IN (SELECT rowid FROM rate_limits WHERE tat <= ?1 LIMIT ?2)",
                params![at(now), limit as i64],
            )
            .map_err(map_err)
        })
        .await
    }
}

fn account_row(tx: &Transaction<'_>, s: &Inner, k: &[u8]) -> Result<Account, StoreError> {
    let v: Option<Vec<u8>> =
        tx.query_row("SELECT v FROM accounts WHERE k = ?1", params![k], |r| r.get(0)).optional().map_err(map_err)?;
    match v {
        Some(v) => unjson(&s.open("accounts", k, &v)?),
        None => Ok(Account::default()),
    }
}

fn account_write(tx: &Transaction<'_>, s: &Inner, k: &[u8], a: &Account) -> Result<(), StoreError> {
    let v = s.seal("accounts", k, &json(a)?)?;
    tx.execute("INSERT OR REPLACE INTO accounts (k, v) VALUES (?1, ?2)", params![k, v]).map_err(map_err)?;
    Ok(())
}

fn person_account(tx: &Transaction<'_>, s: &Inner, pk: &[u8]) -> Result<Option<String>, StoreError> {
    let v: Option<Vec<u8>> =
        tx.query_row("SELECT v FROM persons WHERE k = ?1", params![pk], |r| r.get(0)).optional().map_err(map_err)?;
    v.map(|v| String::from_utf8(s.open("persons", pk, &v)?).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
}

#[async_trait::async_trait]
impl AccountStore for SqliteStore {
    async fn get(&self, account: &str) -> Result<Account, StoreError> {
        let account = account.to_string();
        self.read(move |tx, s, _| account_row(tx, s, &s.kn("account", &account))).await
    }

    async fn set_phones(&self, account: &str, phones: Vec<String>) -> Result<Vec<String>, StoreError> {
        let account = account.to_string();
        self.tx(move |tx, s, _| {
            let k = s.kn("account", &account);
            let mut a = account_row(tx, s, &k)?;
            let old = std::mem::replace(&mut a.phones, phones);
            account_write(tx, s, &k, &a)?;
            Ok(old)
        })
        .await
    }

    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, StoreError> {
        let pk = self.inner.person(provider, person_id);
        self.read(move |tx, s, _| person_account(tx, s, &pk)).await
    }

    async fn link_eid(&self, account: &str, link: EidLink) -> Result<LinkOutcome, StoreError> {
        let account = account.to_string();
        self.tx(move |tx, s, _| {
            let pk = s.person(&link.provider, &link.person_id);
            if person_account(tx, s, &pk)?.is_some_and(|a| a != account) {
                return Ok(LinkOutcome::PersonTaken);
            }
            let k = s.kn("account", &account);
            let mut a = account_row(tx, s, &k)?;
            if a.eid.is_some() {
                return Ok(LinkOutcome::AlreadyLinked);
            }
            a.eid = Some(link);
            account_write(tx, s, &k, &a)?;
            let v = s.seal("persons", &pk, account.as_bytes())?;
            tx.execute("INSERT OR REPLACE INTO persons (k, v) VALUES (?1, ?2)", params![pk, v]).map_err(map_err)?;
            Ok(LinkOutcome::Linked)
        })
        .await
    }

    async fn unlink_eid(&self, account: &str) -> Result<Option<EidLink>, StoreError> {
        let account = account.to_string();
        self.tx(move |tx, s, _| {
            let k = s.kn("account", &account);
            let mut a = account_row(tx, s, &k)?;
            let old = a.eid.take();
            if let Some(l) = &old {
                account_write(tx, s, &k, &a)?;
                tx.execute("DELETE FROM persons WHERE k = ?1", params![s.person(&l.provider, &l.person_id)])
                    .map_err(map_err)?;
            }
            Ok(old)
        })
        .await
    }
}

#[async_trait::async_trait]
impl SnapshotStore for SqliteStore {
    async fn put_snapshot(&self, account: &str, entry: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let account = account.to_string();
        // Kept in the flows table under their own index ("snapshot"), sealed, so the flows' sweep removes them.
        self.tx(move |tx, s, now| {
            let k = s.kn("snapshot", &account);
            let v = s.seal("snapshots", &k, &entry)?;
            put_flow_row(tx, &k, now.plus(ttl), &v)
        })
        .await
    }

    async fn snapshot(&self, account: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let account = account.to_string();
        self.read(move |tx, s, now| {
            let k = s.kn("snapshot", &account);
            let v = live_flow_row(tx, &k, now)?;
            v.map(|v| s.open("snapshots", &k, &v)).transpose()
        })
        .await
    }
}

/// Writes a row of the flows table (flows, take-once marks and last-known entries share it, and its sweep).
fn put_flow_row(tx: &Transaction<'_>, k: &[u8], deadline: Instant, v: &[u8]) -> Result<(), StoreError> {
    tx.execute("INSERT OR REPLACE INTO flows (k, deadline, v) VALUES (?1, ?2, ?3)", params![k, at(deadline), v])
        .map_err(map_err)?;
    Ok(())
}

/// The sealed value of a flows-table row that has not expired at `now`.
fn live_flow_row(tx: &Transaction<'_>, k: &[u8], now: Instant) -> Result<Option<Vec<u8>>, StoreError> {
    tx.query_row("SELECT v FROM flows WHERE k = ?1 AND deadline > ?2", params![k, at(now)], |r| r.get(0))
        .optional()
        .map_err(map_err)
}

fn probe_tx(tx: &Transaction<'_>, now: Instant) -> Result<(), StoreError> {
    let v = now.0.to_be_bytes().to_vec();
    tx.execute("INSERT OR REPLACE INTO probe (k, v) VALUES (1, ?1)", params![v]).map_err(map_err)?;
    let back: Vec<u8> = tx.query_row("SELECT v FROM probe WHERE k = 1", [], |r| r.get(0)).map_err(map_err)?;
    tx.execute("DELETE FROM probe WHERE k = 1", []).map_err(map_err)?;
    if back == v {
        Ok(())
    } else {
        Err(StoreError::Corrupt("probe read back something else".into()))
    }
}

impl SqliteStore {
    /// The probe, run on the calling thread (startup, before the runtime serves requests).
    pub fn probe_now(&self) -> Result<(), StoreError> {
        let now = self.inner.clock.now();
        let mut conn = self.inner.conn.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
        probe_tx(&tx, now)?;
        tx.commit().map_err(map_err)
    }
}

#[async_trait::async_trait]
impl Probe for SqliteStore {
    async fn probe(&self) -> Result<(), StoreError> {
        self.tx(|tx, _, now| probe_tx(tx, now)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::store::contract::{run_all, Backend};

    /// The SQLite backend passes the whole contract, each check on a fresh file.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_backend_passes() {
        let dir = tempfile::tempdir().unwrap();
        let n = std::sync::atomic::AtomicUsize::new(0);
        let secrets = Arc::new(Secrets::generate());
        run_all(|| {
            let path = dir.path().join(format!("s{}.db", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
            let secrets = secrets.clone();
            async move {
                let clock = ManualClock::new();
                let s = SqliteStore::open(&path, secrets, clock.clone()).unwrap();
                Backend::on_clock(s.stores(), clock)
            }
        })
        .await;
    }

    /// The file is 0600, and a dump holds no token hash, account name, code MAC of a guessable code, person ID, or
    /// last-known directory entry.
    #[tokio::test]
    async fn file_private_and_opaque() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/portvakt.db");
        let clock = ManualClock::new();
        let s = SqliteStore::open(&path, Arc::new(Secrets::generate()), clock.clone()).unwrap();
        let key = Key::of_token("the-session-id");
        let now = clock.now();
        let entry = SessionEntry {
            account: "staff:anna-account".into(),
            eid: true,
            eid_sid: Some(EidSid { provider: "idporten".into(), sid: "provider-sid-xyz".into() }),
            created: now,
            last_seen: now,
            expires: now.plus(Duration::from_secs(3600)),
            data: b"Anna Lindqvist".as_slice().into(),
        };
        SessionStore::create(&s, &key, entry, Duration::from_secs(900)).await.unwrap();
        let link = EidLink { provider: "idporten".into(), person_id: "12345678901".into(), linked_at: now };
        s.link_eid("staff:anna-account", link).await.unwrap();
        // A last-known directory entry is sealed too: neither the account nor what the directory said shows.
        s.put_snapshot(
            "staff:anna-account",
            b"{\"display_name\":\"Anna Lindqvist\"}".to_vec(),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
        assert!(s.snapshot("staff:anna-account").await.unwrap().is_some());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(s);
        let mut bytes = std::fs::read(&path).unwrap();
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        bytes.extend(std::fs::read(&wal).unwrap_or_default());
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        for secret in
            [&b"the-session-id"[..], &key.0, b"anna-account", b"provider-sid-xyz", b"12345678901", b"Lindqvist"]
        {
            assert!(!has(secret), "found {:?} in the file", String::from_utf8_lossy(secret));
        }
    }
}
