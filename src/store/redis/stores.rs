//! Every store trait on Redis. Each operation is one command or one Lua script on one key — or, for the two rules
//! that span keys (login regulation over account and address, eID links over account and person), one script on
//! keys that share a hash tag, so Redis Cluster keeps them in one slot. Keys are HMACs under the server's index key,
//! values are sealed ([`crate::store::seal`]), codes are MACs.
//!
//! Expiry follows the injected clock like every backend: each entry carries its deadline (`d`, ms), scripts compare
//! it with the caller's time, and Redis's own expiry (set to the same TTL) only collects garbage. A busy session
//! costs one script per request (read + debounced touch); nothing else runs on the proxied path.

use super::conn::{Redis, Retry};
use crate::clock::{Instant, SharedClock};
use crate::store::seal::Secrets;
use crate::store::{
    Account, AccountFailures, AccountStore, BanState, ChallengeEntry, ChallengeStore, Consumed, EidLink, EidSid,
    FlowStore, Key, LinkOutcome, Lockout, NewCode, Opened, Probe, Quota, RateDecision, RateLimitStore,
    RegulationLimits, RegulationStore, SessionEntry, SessionScope, SessionStore, SnapshotStore, StoreError, Stores,
    Touch,
};
use redis::Script;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// The Redis backend's stores over one connection.
#[derive(Debug, Clone)]
pub struct RedisStore {
    redis: Arc<Redis>,
    secrets: Arc<Secrets>,
    clock: SharedClock,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("Redis holds {what} in an unexpected shape"))
}

/// Garbage-collection slack on Redis's own expiry, beyond the logical deadline.
const GC_SLACK: Duration = Duration::from_secs(60);

fn px(ttl: Duration) -> u64 {
    ms(ttl.saturating_add(GC_SLACK)).max(1)
}

// ---- scripts -------------------------------------------------------------------------------------------------------

/// KEYS[1] session hash {v sealed, t last_seen, e expires, d deadline, x eid flag}.
/// ARGV now, interval, max_idle, ttl_ms, px. Returns nil or {v, t_before}.
static GET_AND_TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'v', 't', 'e', 'd')
if not r[1] then return false end
local now = tonumber(ARGV[1])
if now >= tonumber(r[4]) then
  redis.call('DEL', KEYS[1])
  return false
end
local t = tonumber(r[2])
local idle = now - t
if idle >= tonumber(ARGV[2]) and idle < tonumber(ARGV[3]) and now < tonumber(r[3]) then
  redis.call('HSET', KEYS[1], 't', ARGV[1], 'd', now + tonumber(ARGV[4]))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return {r[1], r[2]}
",
    )
});

/// KEYS[1] old session, KEYS[2] new session. ARGV now. Claims the old one (DEL) if live; 1 when it was.
static END_LIVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local d = redis.call('HGET', KEYS[1], 'd')
if not d then return 0 end
redis.call('DEL', KEYS[1])
if tonumber(ARGV[1]) >= tonumber(d) then return 0 end
return 1
",
    )
});

/// KEYS[1] challenge hash {v sealed (account, channel), a account MAC, c code MAC, x expires, f failures, s sends,
/// d deadline}. ARGV a, c, x, v, max_sends, now, ttl_ms, px. Returns {1, f, s} stored, {0} send cap.
static CH_OPEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'a', 'f', 's', 'd')
local now = tonumber(ARGV[6])
local f, s = 0, 0
if r[1] == ARGV[1] and r[4] and now < tonumber(r[4]) then
  f = tonumber(r[2]) or 0
  s = tonumber(r[3]) or 0
  if s >= tonumber(ARGV[5]) then return {0} end
end
s = s + 1
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'a', ARGV[1], 'c', ARGV[2], 'x', ARGV[3], 'v', ARGV[4], 'f', f, 's', s,
  'd', now + tonumber(ARGV[7]))
redis.call('PEXPIRE', KEYS[1], ARGV[8])
return {1, f, s}
",
    )
});

/// KEYS[1] challenge. ARGV a, c, now, max_tries.
/// Returns {1, v, x, f, s} matched (deleted), {2, remaining} wrong, {3} exhausted, {4} expired, {5} missing.
static CH_CONSUME: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'a', 'c', 'x', 'f', 'v', 's', 'd')
local now = tonumber(ARGV[3])
if not r[1] or r[1] ~= ARGV[1] or now >= tonumber(r[7]) then return {5} end
local f = tonumber(r[4])
local max = tonumber(ARGV[4])
if f >= max then return {3} end
if now >= tonumber(r[3]) then return {4} end
if r[2] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return {1, r[5], r[3], r[4], r[6]}
end
f = redis.call('HINCRBY', KEYS[1], 'f', 1)
return {2, max - f}
",
    )
});

/// KEYS[1] challenge. ARGV now, max_tries. Returns -1 when missing, else tries left.
static CH_WRONG: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'f', 'd')
if not r[1] or tonumber(ARGV[1]) >= tonumber(r[2]) then return -1 end
local f = tonumber(r[1])
local max = tonumber(ARGV[2])
if f < max then f = redis.call('HINCRBY', KEYS[1], 'f', 1) end
if f > max then f = max end
return max - f
",
    )
});

/// KEYS[1] challenge: one send fewer.
static CH_UNSEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local s = tonumber(redis.call('HGET', KEYS[1], 's') or '0')
if s > 0 then redis.call('HINCRBY', KEYS[1], 's', -1) end
return 0
",
    )
});

/// KEYS[1] account failures {n count, l locked until, d deadline}. ARGV now, after, lock_ms, ttl_ms, px.
/// Returns {n, l}.
static AF_INCR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'n', 'l', 'd')
local n, l = 0, 0
if r[3] and now < tonumber(r[3]) then
  n = tonumber(r[1]) or 0
  l = tonumber(r[2]) or 0
end
n = n + 1
if n >= tonumber(ARGV[2]) then
  n = 0
  l = now + tonumber(ARGV[3])
end
local d = now + tonumber(ARGV[4])
if l > d then d = l end
redis.call('HSET', KEYS[1], 'n', n, 'l', l, 'd', d)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {n, l}
",
    )
});

/// KEYS: regulation hashes {n count, w window start, b banned until} sharing one hash tag.
/// ARGV now, then per key max, find_ms, ban_ms. Returns 0 allowed (counted) or the wait in ms (nothing counted).
static REG_RECORD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local wait = 0
local state = {}
for i, k in ipairs(KEYS) do
  local r = redis.call('HMGET', k, 'n', 'w', 'b')
  local b = tonumber(r[3]) or 0
  if b > now and b - now > wait then wait = b - now end
  state[i] = {tonumber(r[1]) or 0, tonumber(r[2]) or 0}
end
if wait > 0 then return wait end
for i, k in ipairs(KEYS) do
  local max = tonumber(ARGV[3 * i - 1])
  local find = tonumber(ARGV[3 * i])
  local ban = tonumber(ARGV[3 * i + 1])
  local n, w = state[i][1], state[i][2]
  if w + find <= now then n, w = 0, now end
  n = n + 1
  local b = 0
  if n >= max then b = now + ban end
  redis.call('HSET', k, 'n', n, 'w', w, 'b', b)
  local keep = find
  if ban > keep then keep = ban end
  redis.call('PEXPIRE', k, keep + 60000)
end
return 0
",
    )
});

/// KEYS: regulation hashes. ARGV now, then per key max. Takes one attempt back; lifts a ban the attempt started.
static REG_REFUND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
for i, k in ipairs(KEYS) do
  local r = redis.call('HMGET', k, 'n', 'b')
  local n = tonumber(r[1]) or 0
  if n > 0 then
    local b = tonumber(r[2]) or 0
    if b > now and n >= tonumber(ARGV[i + 1]) then redis.call('HSET', k, 'b', 0) end
    redis.call('HSET', k, 'n', n - 1)
  end
end
return 0
",
    )
});

/// KEYS[1] GCRA state {t theoretical arrival (ms)}. ARGV now, interval_ms, burst. Returns 0 or the wait (ms).
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = interval * (tonumber(ARGV[3]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', next - now + tolerance + 60000)
return 0
",
    )
});

/// KEYS[1] account hash {v sealed Account, l linked flag}. ARGV expected v ('' = none), new v, l.
/// Compare-and-set: 1 when written, 0 when the account changed meanwhile.
static ACCT_CAS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('HGET', KEYS[1], 'v') or ''
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'l', ARGV[3])
return 1
",
    )
});

/// KEYS[1] account hash, KEYS[2] person index (same hash tag). ARGV expected v, new v, person value.
/// Returns 1 linked, 2 already linked, 3 person taken, 0 changed meanwhile.
static ACCT_LINK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'v', 'l')
if r[2] == '1' then return 2 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 3 end
if (r[1] or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'l', '1')
redis.call('SET', KEYS[2], ARGV[3])
return 1
",
    )
});

/// KEYS[1] account hash, KEYS[2] person index. ARGV expected v, new v. 1 unlinked, 0 changed meanwhile.
static ACCT_UNLINK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('HGET', KEYS[1], 'v') or ''
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'l', '0')
redis.call('DEL', KEYS[2])
return 1
",
    )
});

// ---- values --------------------------------------------------------------------------------------------------------

/// What of a session is sealed: everything but `last_seen` (kept in clear as `t` so a touch needs no re-seal).
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedSession {
    // Shared as in `SessionEntry`: written and read without copying the account or the record.
    account: std::sync::Arc<str>,
    eid: bool,
    eid_sid: Option<EidSid>,
    created: Instant,
    expires: Instant,
    #[serde(with = "b64")]
    data: std::sync::Arc<[u8]>,
}

/// What of a challenge is sealed: the account and channel (the code is a MAC in clear, the counts are numbers).
#[derive(serde::Serialize, serde::Deserialize)]
struct SealedChallenge {
    account: String,
    channel: String,
}

mod b64 {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<std::sync::Arc<[u8]>, D::Error> {
        let s = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(s).map(Into::into).map_err(serde::de::Error::custom)
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(format!("cannot encode a store value: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(b: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|_| corrupt(what))
}

fn int(v: &redis::Value) -> Option<i64> {
    match v {
        redis::Value::Int(n) => Some(*n),
        redis::Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

fn bytes(v: &redis::Value) -> Option<Vec<u8>> {
    match v {
        redis::Value::BulkString(b) => Some(b.clone()),
        _ => None,
    }
}

impl RedisStore {
    /// The stores over a connection, sealing with `secrets`, with expiry on `clock`.
    pub fn new(redis: Arc<Redis>, secrets: Arc<Secrets>, clock: SharedClock) -> RedisStore {
        RedisStore { redis, secrets, clock }
    }

    /// Every trait of [`Stores`] served by this backend.
    pub fn stores(redis: Arc<Redis>, secrets: Arc<Secrets>, clock: SharedClock) -> Stores {
        Stores::all_from(Arc::new(RedisStore::new(redis, secrets, clock)))
    }

    /// The connection.
    pub fn redis(&self) -> &Arc<Redis> {
        &self.redis
    }

    fn now(&self) -> u64 {
        self.clock.now().0
    }

    /// `kind:HEX` for a token key; the bytes of the HMAC are also the sealing's associated data.
    fn token_key(&self, kind: &str, key: &Key) -> (Vec<u8>, [u8; 32]) {
        let mac = self.secrets.index(kind, key);
        (format!("{kind}:{}", hex(&mac)).into_bytes(), mac)
    }

    fn name_key(&self, kind: &str, name: &str) -> (Vec<u8>, [u8; 32]) {
        let mac = self.secrets.index_name(kind, name);
        (format!("{kind}:{}", hex(&mac)).into_bytes(), mac)
    }

    /// Regulation keys share the hash tag `{reg}` so one script may count several of them (Redis Cluster).
    fn reg_key(&self, name: &str) -> Vec<u8> {
        let mac = self.secrets.index_name("regulation", name);
        self.redis.key(format!("{{reg}}:{}", hex(&mac)).as_bytes())
    }

    /// Account and person keys share the hash tag `{acct}` so a link can check both rules in one script.
    fn acct_key(&self, account: &str) -> (Vec<u8>, [u8; 32]) {
        let mac = self.secrets.index_name("account", account);
        (self.redis.key(format!("{{acct}}:a:{}", hex(&mac)).as_bytes()), mac)
    }

    fn person_key(&self, provider: &str, person_id: &str) -> (Vec<u8>, [u8; 32]) {
        let mac = self.secrets.index_name("person", &format!("{provider}\u{0}{person_id}"));
        (self.redis.key(format!("{{acct}}:p:{}", hex(&mac)).as_bytes()), mac)
    }

    async fn hash_fields(&self, key: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.redis.query(redis::cmd("HGETALL").arg(key), Retry::Idempotent).await
    }

    /// Keys under the prefix matching `pattern` (after the prefix), at most `limit`: sweeps and counts only.
    async fn scan(&self, pattern: &str, limit: usize) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut cursor: u64 = 0;
        let mut out = Vec::new();
        let full = format!("{}{pattern}", self.redis.settings().key_prefix);
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = self
                .redis
                .query(redis::cmd("SCAN").arg(cursor).arg("MATCH").arg(&full).arg("COUNT").arg(500), Retry::Idempotent)
                .await?;
            out.extend(keys);
            cursor = next;
            if cursor == 0 || out.len() >= limit {
                out.truncate(limit);
                return Ok(out);
            }
        }
    }

    /// Deletes up to `limit` keys matching `pattern` whose hash field `field` (a deadline in ms) is before `now`.
    async fn sweep_by(&self, pattern: &str, field: &str, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let mut n = 0;
        for k in self.scan(pattern, usize::MAX).await? {
            if n >= limit {
                break;
            }
            let d: Option<u64> = self.redis.query(redis::cmd("HGET").arg(&k).arg(field), Retry::Idempotent).await?;
            if d.is_some_and(|d| d <= now.0) {
                n += self.redis.query::<usize>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
            }
        }
        Ok(n)
    }

    fn session_from(&self, ad: &[u8], v: &[u8], t: u64) -> Result<SessionEntry, StoreError> {
        let plain = self.secrets.open(ad, v)?;
        let s: SealedSession = from_json(&plain, "a session")?;
        Ok(SessionEntry {
            account: s.account,
            eid: s.eid,
            eid_sid: s.eid_sid,
            created: s.created,
            last_seen: Instant(t),
            expires: s.expires,
            data: s.data,
        })
    }

    async fn write_session(&self, key: &Key, entry: &SessionEntry, ttl: Duration) -> Result<Vec<u8>, StoreError> {
        let (suffix, ad) = self.token_key("s", key);
        let sealed = self.secrets.seal(
            &ad,
            &to_json(&SealedSession {
                account: entry.account.clone(),
                eid: entry.eid,
                eid_sid: entry.eid_sid.clone(),
                created: entry.created,
                expires: entry.expires,
                data: entry.data.clone(),
            })?,
        )?;
        let k = self.redis.key(&suffix);
        let deadline = self.now().saturating_add(ms(ttl));
        let mut p = redis::pipe();
        p.atomic()
            .cmd("DEL")
            .arg(&k)
            .ignore()
            .cmd("HSET")
            .arg(&k)
            .arg("v")
            .arg(sealed)
            .arg("t")
            .arg(entry.last_seen.0)
            .arg("e")
            .arg(entry.expires.0)
            .arg("d")
            .arg(deadline)
            .arg("x")
            .arg(u8::from(entry.eid))
            .ignore()
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(px(ttl))
            .ignore();
        self.redis
            .run(Retry::Idempotent, |mut con| {
                let p = p.clone();
                async move { p.query_async::<()>(&mut con).await }
            })
            .await?;
        // Indexes: the account's sessions and the provider session's, as members naming the session key. They
        // live as long as the longest session in them can; members of ended sessions are skipped when read.
        let life = Duration::from_millis(entry.expires.0.saturating_sub(self.now())).max(ttl);
        let (acct, _) = self.name_key("sa", &entry.account);
        self.redis.index_add(&acct, &suffix, life.saturating_add(GC_SLACK)).await?;
        if let Some(sid) = &entry.eid_sid {
            let (ix, _) = self.name_key("se", &format!("{}\u{0}{}", sid.provider, sid.sid));
            self.redis.index_add(&ix, &suffix, life.saturating_add(GC_SLACK)).await?;
        }
        Ok(suffix)
    }

    /// Ends the sessions named in an index set (those still there and selected by `eid_only`); returns how many.
    async fn end_indexed(&self, index: &[u8], eid_only: bool) -> Result<usize, StoreError> {
        let now = self.now();
        let mut n = 0;
        for member in self.redis.index_members(index).await? {
            let k = self.redis.key(&member);
            let r: (Option<u64>, Option<u8>) =
                self.redis.query(redis::cmd("HMGET").arg(&k).arg("d").arg("x"), Retry::Idempotent).await?;
            match r {
                (Some(d), x) if d > now => {
                    if eid_only && x != Some(1) {
                        continue;
                    }
                    n += self.redis.query::<usize>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
                    self.redis.index_remove(index, &member).await?;
                }
                (Some(_), _) => {
                    self.redis.query::<usize>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
                    self.redis.index_remove(index, &member).await?;
                }
                (None, _) => self.redis.index_remove(index, &member).await?,
            }
        }
        Ok(n)
    }

    async fn account_raw(&self, account: &str) -> Result<(Vec<u8>, Account), StoreError> {
        let (k, ad) = self.acct_key(account);
        let v: Option<Vec<u8>> = self.redis.query(redis::cmd("HGET").arg(&k).arg("v"), Retry::Idempotent).await?;
        match v {
            None => Ok((Vec::new(), Account::default())),
            Some(v) => {
                let a = from_json(&self.secrets.open(&ad, &v)?, "an account")?;
                Ok((v, a))
            }
        }
    }

    fn seal_account(&self, account: &str, a: &Account) -> Result<Vec<u8>, StoreError> {
        let (_, ad) = self.acct_key(account);
        self.secrets.seal(&ad, &to_json(a)?)
    }
}

/// How often an optimistic account update is tried before it reports a conflict.
const CAS_TRIES: usize = 20;

#[async_trait::async_trait]
impl SessionStore for RedisStore {
    async fn create(&self, key: &Key, entry: SessionEntry, ttl: Duration) -> Result<(), StoreError> {
        self.write_session(key, &entry, ttl).await.map(|_| ())
    }

    async fn get_and_touch(&self, key: &Key, touch: Touch, ttl: Duration) -> Result<Option<SessionEntry>, StoreError> {
        let (suffix, ad) = self.token_key("s", key);
        let k = self.redis.key(&suffix);
        let mut inv = GET_AND_TOUCH.key(&k);
        inv.arg(touch.now.0).arg(ms(touch.interval)).arg(ms(touch.max_idle)).arg(ms(ttl)).arg(px(ttl));
        let r: Option<(Vec<u8>, u64)> = self.redis.script(&inv, Retry::Idempotent).await?;
        match r {
            None => Ok(None),
            Some((v, t)) => self.session_from(&ad, &v, t).map(Some),
        }
    }

    async fn rotate(&self, old: &Key, new: &Key, entry: SessionEntry, ttl: Duration) -> Result<bool, StoreError> {
        // The new session is written first and the old one claimed after: a failure between the two leaves the
        // old session working (never a logout); if the old one was already gone, the new one is removed again.
        let (old_suffix, _) = self.token_key("s", old);
        let new_suffix = self.write_session(new, &entry, ttl).await?;
        let old_k = self.redis.key(&old_suffix);
        let mut inv = END_LIVE.key(&old_k);
        inv.arg(self.now());
        match self.redis.script::<i64>(&inv, Retry::Once).await {
            Ok(1) => Ok(true),
            Ok(_) => {
                self.redis.delete(&[&new_suffix]).await?;
                Ok(false)
            }
            Err(e) => {
                let _ = self.redis.delete(&[&new_suffix]).await;
                Err(e)
            }
        }
    }

    async fn end(&self, key: &Key) -> Result<bool, StoreError> {
        let (suffix, _) = self.token_key("s", key);
        let k = self.redis.key(&suffix);
        let mut inv = END_LIVE.key(&k);
        inv.arg(self.now());
        Ok(self.redis.script::<i64>(&inv, Retry::Idempotent).await? == 1)
    }

    async fn end_by_eid_sid(&self, sid: &EidSid) -> Result<usize, StoreError> {
        let (ix, _) = self.name_key("se", &format!("{}\u{0}{}", sid.provider, sid.sid));
        self.end_indexed(&ix, false).await
    }

    async fn end_all_of(&self, account: &str, scope: SessionScope) -> Result<usize, StoreError> {
        let (ix, _) = self.name_key("sa", account);
        self.end_indexed(&ix, scope == SessionScope::EidOnly).await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        self.sweep_by("s:*", "d", now, limit).await
    }

    async fn count(&self) -> Result<usize, StoreError> {
        Ok(self.scan("s:*", usize::MAX).await?.len())
    }
}

#[async_trait::async_trait]
impl ChallengeStore for RedisStore {
    async fn open(&self, session: &Key, code: NewCode, max_sends: u32, ttl: Duration) -> Result<Opened, StoreError> {
        let (suffix, ad) = self.token_key("c", session);
        let k = self.redis.key(&suffix);
        let (_, acct) = self.name_key("ca", &code.account);
        let sealed = self
            .secrets
            .seal(&ad, &to_json(&SealedChallenge { account: code.account.clone(), channel: code.channel.clone() })?)?;
        let mut inv = CH_OPEN.key(&k);
        inv.arg(&acct[..])
            .arg(&code.code_mac[..])
            .arg(code.expires.0)
            .arg(sealed)
            .arg(max_sends)
            .arg(self.now())
            .arg(ms(ttl))
            .arg(px(ttl));
        let r: Vec<i64> = self.redis.script(&inv, Retry::Once).await?;
        match r.as_slice() {
            [0] => Ok(Opened::SendCap),
            [1, f, s] => Ok(Opened::Stored(ChallengeEntry {
                account: code.account,
                channel: code.channel,
                code_mac: code.code_mac,
                expires: code.expires,
                failures: u32::try_from(*f).unwrap_or(u32::MAX),
                sends: u32::try_from(*s).unwrap_or(u32::MAX),
            })),
            _ => Err(corrupt("a challenge")),
        }
    }

    async fn get(&self, session: &Key) -> Result<Option<ChallengeEntry>, StoreError> {
        let (suffix, ad) = self.token_key("c", session);
        let fields = self.hash_fields(&self.redis.key(&suffix)).await?;
        let field = |name: &str| fields.iter().find(|(k, _)| k == name.as_bytes()).map(|(_, v)| v.as_slice());
        let num = |name: &str| field(name).and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
        let (Some(v), Some(c), Some(x), Some(d)) = (field("v"), field("c"), num("x"), num("d")) else {
            return Ok(None);
        };
        if d <= self.now() {
            return Ok(None);
        }
        let s: SealedChallenge = from_json(&self.secrets.open(&ad, v)?, "a challenge")?;
        Ok(Some(ChallengeEntry {
            account: s.account,
            channel: s.channel,
            code_mac: c.try_into().map_err(|_| corrupt("a code MAC"))?,
            expires: Instant(x),
            failures: u32::try_from(num("f").unwrap_or(0)).unwrap_or(u32::MAX),
            sends: u32::try_from(num("s").unwrap_or(0)).unwrap_or(u32::MAX),
        }))
    }

    async fn consume_if_matches(
        &self,
        session: &Key,
        account: &str,
        code_mac: &[u8; 32],
        now: Instant,
        max_tries: u32,
    ) -> Result<Consumed, StoreError> {
        let (suffix, ad) = self.token_key("c", session);
        let k = self.redis.key(&suffix);
        let (_, acct) = self.name_key("ca", account);
        let mut inv = CH_CONSUME.key(&k);
        inv.arg(&acct[..]).arg(&code_mac[..]).arg(now.0).arg(max_tries);
        let r: Vec<redis::Value> = self.redis.script(&inv, Retry::Once).await?;
        match r.first().and_then(int) {
            Some(1) => {
                let v = r.get(1).and_then(bytes).ok_or_else(|| corrupt("a challenge"))?;
                let n = |i: usize| r.get(i).and_then(int).and_then(|x| u64::try_from(x).ok()).unwrap_or(0);
                let s: SealedChallenge = from_json(&self.secrets.open(&ad, &v)?, "a challenge")?;
                Ok(Consumed::Matched(ChallengeEntry {
                    account: s.account,
                    channel: s.channel,
                    code_mac: *code_mac,
                    expires: Instant(n(2)),
                    failures: u32::try_from(n(3)).unwrap_or(u32::MAX),
                    sends: u32::try_from(n(4)).unwrap_or(u32::MAX),
                }))
            }
            Some(2) => {
                let left = r.get(1).and_then(int).ok_or_else(|| corrupt("a code check"))?;
                Ok(Consumed::Wrong { remaining: u32::try_from(left.max(0)).unwrap_or(0) })
            }
            Some(3) => Ok(Consumed::Exhausted),
            Some(4) => Ok(Consumed::Expired),
            Some(5) => Ok(Consumed::Missing),
            _ => Err(corrupt("a code check")),
        }
    }

    async fn record_wrong_try(&self, session: &Key, max_tries: u32) -> Result<Option<u32>, StoreError> {
        let (suffix, _) = self.token_key("c", session);
        let k = self.redis.key(&suffix);
        let mut inv = CH_WRONG.key(&k);
        inv.arg(self.now()).arg(max_tries);
        let left: i64 = self.redis.script(&inv, Retry::Once).await?;
        Ok((left >= 0).then(|| u32::try_from(left).unwrap_or(0)))
    }

    async fn uncount_send(&self, session: &Key) -> Result<(), StoreError> {
        let (suffix, _) = self.token_key("c", session);
        let k = self.redis.key(&suffix);
        let inv = CH_UNSEND.key(&k);
        self.redis.script::<i64>(&inv, Retry::Once).await.map(|_| ())
    }

    async fn remove(&self, session: &Key) -> Result<(), StoreError> {
        let (suffix, _) = self.token_key("c", session);
        self.redis.delete(&[&suffix]).await.map(|_| ())
    }

    async fn incr_account_failures(
        &self,
        account: &str,
        now: Instant,
        lockout: Lockout,
        ttl: Duration,
    ) -> Result<AccountFailures, StoreError> {
        let (suffix, _) = self.name_key("af", account);
        let k = self.redis.key(&suffix);
        let mut inv = AF_INCR.key(&k);
        inv.arg(now.0).arg(lockout.after).arg(ms(lockout.duration)).arg(ms(ttl)).arg(px(ttl.max(lockout.duration)));
        let r: (u64, u64) = self.redis.script(&inv, Retry::Once).await?;
        Ok(AccountFailures {
            count: u32::try_from(r.0).unwrap_or(u32::MAX),
            locked_until: (r.1 > now.0).then_some(Instant(r.1)),
        })
    }

    async fn account_failures(&self, account: &str, now: Instant) -> Result<AccountFailures, StoreError> {
        let (suffix, _) = self.name_key("af", account);
        let r: (Option<u64>, Option<u64>, Option<u64>) = self
            .redis
            .query(redis::cmd("HMGET").arg(self.redis.key(&suffix)).arg("n").arg("l").arg("d"), Retry::Idempotent)
            .await?;
        match r {
            (n, l, Some(d)) if d > now.0 => Ok(AccountFailures {
                count: u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX),
                locked_until: l.filter(|l| *l > now.0).map(Instant),
            }),
            _ => Ok(AccountFailures::default()),
        }
    }

    async fn reset_account_failures(&self, account: &str) -> Result<(), StoreError> {
        let (suffix, _) = self.name_key("af", account);
        self.redis.delete(&[&suffix]).await.map(|_| ())
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let n = self.sweep_by("c:*", "d", now, limit).await?;
        Ok(n + self.sweep_by("af:*", "d", now, limit.saturating_sub(n)).await?)
    }
}

#[async_trait::async_trait]
impl FlowStore for RedisStore {
    async fn put(&self, key: &Key, flow: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let (suffix, ad) = self.token_key("f", key);
        let deadline = self.now().saturating_add(ms(ttl));
        let mut plain = deadline.to_be_bytes().to_vec();
        plain.extend_from_slice(&flow);
        let sealed = self.secrets.seal(&ad, &plain)?;
        self.redis.put(&suffix, &sealed, ttl.saturating_add(GC_SLACK)).await
    }

    async fn get(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let (suffix, ad) = self.token_key("f", key);
        match self.redis.get(&suffix).await? {
            None => Ok(None),
            Some(v) => self.open_flow(&ad, &v),
        }
    }

    async fn take(&self, key: &Key) -> Result<Option<Vec<u8>>, StoreError> {
        let (suffix, ad) = self.token_key("f", key);
        match self.redis.take(&suffix).await? {
            None => Ok(None),
            Some(v) => self.open_flow(&ad, &v),
        }
    }

    async fn use_once(&self, key: &Key, ttl: Duration) -> Result<bool, StoreError> {
        let (suffix, _) = self.token_key("o", key);
        let now = self.now();
        self.redis.use_once(&suffix, now, now.saturating_add(ms(ttl)), ttl.saturating_add(GC_SLACK)).await
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        // A flow's deadline is sealed with it; open each to decide (sweeps are rare and flows few).
        let mut n = 0;
        for k in self.scan("f:*", usize::MAX).await? {
            if n >= limit {
                break;
            }
            let prefix_len = self.redis.settings().key_prefix.len();
            let Some(suffix) = k.get(prefix_len..) else { continue };
            let Some(hexpart) = suffix.get(2..) else { continue };
            let mac = (0..32)
                .map(|i| {
                    let s = std::str::from_utf8(hexpart.get(2 * i..2 * i + 2)?).ok()?;
                    u8::from_str_radix(s, 16).ok()
                })
                .collect::<Option<Vec<u8>>>();
            let Some(ad) = mac else { continue };
            let v: Option<Vec<u8>> = self.redis.query(redis::cmd("GET").arg(&k), Retry::Idempotent).await?;
            let dead = match v {
                Some(v) => self
                    .secrets
                    .open(&ad, &v)
                    .ok()
                    .and_then(|p| p.get(..8).and_then(|d| d.try_into().ok()).map(u64::from_be_bytes))
                    .is_none_or(|d| d <= now.0),
                None => false,
            };
            if dead {
                n += self.redis.query::<usize>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
            }
        }
        Ok(n)
    }
}

impl RedisStore {
    /// The key and sealing context of an account's last-known directory entry.
    fn snapshot_key(&self, account: &str) -> (Vec<u8>, [u8; 32]) {
        self.name_key("dir", account)
    }

    fn open_flow(&self, ad: &[u8], v: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let plain = self.secrets.open(ad, v)?;
        let (d, flow) = plain.split_at_checked(8).ok_or_else(|| corrupt("an eID flow"))?;
        let deadline = u64::from_be_bytes(d.try_into().map_err(|_| corrupt("an eID flow"))?);
        Ok((deadline > self.now()).then(|| flow.to_vec()))
    }
}

#[async_trait::async_trait]
impl SnapshotStore for RedisStore {
    async fn put_snapshot(&self, account: &str, entry: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        // Sealed with its deadline in front, as a flow is: read back only while the gateway's clock allows.
        let (suffix, ad) = self.snapshot_key(account);
        let deadline = self.now().saturating_add(ms(ttl));
        let mut plain = deadline.to_be_bytes().to_vec();
        plain.extend_from_slice(&entry);
        let sealed = self.secrets.seal(&ad, &plain)?;
        self.redis.put(&suffix, &sealed, ttl.saturating_add(GC_SLACK)).await
    }

    async fn snapshot(&self, account: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (suffix, ad) = self.snapshot_key(account);
        match self.redis.get(&suffix).await? {
            None => Ok(None),
            Some(v) => self.open_flow(&ad, &v),
        }
    }
}

#[async_trait::async_trait]
impl RegulationStore for RedisStore {
    async fn record_attempt(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<BanState, StoreError> {
        let mut inv = REG_RECORD.prepare_invoke();
        inv.arg(now.0);
        for (name, lim) in keys {
            inv.key(self.reg_key(name));
            inv.arg(lim.max_failures).arg(ms(lim.find_time)).arg(ms(lim.ban_time));
        }
        let wait: u64 = self.redis.script(&inv, Retry::Once).await?;
        Ok(if wait == 0 { BanState::Allowed } else { BanState::Banned(Duration::from_millis(wait)) })
    }

    async fn refund(&self, keys: &[(&str, RegulationLimits)], now: Instant) -> Result<(), StoreError> {
        let mut inv = REG_REFUND.prepare_invoke();
        inv.arg(now.0);
        for (name, lim) in keys {
            inv.key(self.reg_key(name));
            inv.arg(lim.max_failures);
        }
        self.redis.script::<i64>(&inv, Retry::Once).await.map(|_| ())
    }

    async fn clear(&self, key: &str) -> Result<(), StoreError> {
        self.redis.query::<i64>(redis::cmd("DEL").arg(self.reg_key(key)), Retry::Idempotent).await.map(|_| ())
    }

    async fn banned(&self, keys: &[&str], now: Instant) -> Result<Option<Duration>, StoreError> {
        let mut wait = 0;
        for name in keys {
            let b: Option<u64> =
                self.redis.query(redis::cmd("HGET").arg(self.reg_key(name)).arg("b"), Retry::Idempotent).await?;
            wait = wait.max(b.unwrap_or(0).saturating_sub(now.0));
        }
        Ok((wait > 0).then(|| Duration::from_millis(wait)))
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        // A key is dead when its ban is over and its window long past; Redis's expiry does the same in real time.
        let mut n = 0;
        for k in self.scan("{reg}:*", usize::MAX).await? {
            if n >= limit {
                break;
            }
            let r: (Option<u64>, Option<u64>) =
                self.redis.query(redis::cmd("HMGET").arg(&k).arg("w").arg("b"), Retry::Idempotent).await?;
            let (w, b) = (r.0.unwrap_or(0), r.1.unwrap_or(0));
            // Windows are at most a day in any sane config; a key untouched for a day with no ban is gone.
            if b <= now.0 && w.saturating_add(24 * 3600 * 1000) <= now.0 {
                n += self.redis.query::<usize>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
            }
        }
        Ok(n)
    }
}

#[async_trait::async_trait]
impl RateLimitStore for RedisStore {
    async fn hit(&self, key: &str, quota: Quota, now: Instant) -> Result<RateDecision, StoreError> {
        let (suffix, _) = self.name_key("q", key);
        let k = self.redis.key(&suffix);
        let interval = (ms(quota.window) / u64::from(quota.count.max(1))).max(1);
        let mut inv = GCRA.key(&k);
        inv.arg(now.0).arg(interval).arg(quota.count.max(1));
        let wait: u64 = self.redis.script(&inv, Retry::Once).await?;
        Ok(if wait == 0 { RateDecision::Ok } else { RateDecision::Wait(Duration::from_millis(wait)) })
    }

    async fn sweep(&self, now: Instant, limit: usize) -> Result<usize, StoreError> {
        let mut n = 0;
        for k in self.scan("q:*", usize::MAX).await? {
            if n >= limit {
                break;
            }
            let tat: Option<u64> = self.redis.query(redis::cmd("GET").arg(&k), Retry::Idempotent).await?;
            if tat.is_some_and(|t| t <= now.0) {
                n += self.redis.query::<usize>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
            }
        }
        Ok(n)
    }
}

#[async_trait::async_trait]
impl AccountStore for RedisStore {
    async fn get(&self, account: &str) -> Result<Account, StoreError> {
        Ok(self.account_raw(account).await?.1)
    }

    async fn set_phones(&self, account: &str, phones: Vec<String>) -> Result<Vec<String>, StoreError> {
        let (k, _) = self.acct_key(account);
        for _ in 0..CAS_TRIES {
            let (old_v, mut a) = self.account_raw(account).await?;
            let previous = std::mem::replace(&mut a.phones, phones.clone());
            let new_v = self.seal_account(account, &a)?;
            let mut inv = ACCT_CAS.key(&k);
            inv.arg(&old_v).arg(new_v).arg(if a.eid.is_some() { "1" } else { "0" });
            if self.redis.script::<i64>(&inv, Retry::Idempotent).await? == 1 {
                return Ok(previous);
            }
        }
        Err(StoreError::Conflict("the account kept changing while its numbers were saved".into()))
    }

    async fn find_eid(&self, provider: &str, person_id: &str) -> Result<Option<String>, StoreError> {
        let (k, ad) = self.person_key(provider, person_id);
        let v: Option<Vec<u8>> = self.redis.query(redis::cmd("GET").arg(&k), Retry::Idempotent).await?;
        match v {
            None => Ok(None),
            Some(v) => {
                let plain = self.secrets.open(&ad, &v)?;
                String::from_utf8(plain).map(Some).map_err(|_| corrupt("an eID link"))
            }
        }
    }

    async fn link_eid(&self, account: &str, link: EidLink) -> Result<LinkOutcome, StoreError> {
        let (k, _) = self.acct_key(account);
        let (pk, pad) = self.person_key(&link.provider, &link.person_id);
        let person_v = self.secrets.seal(&pad, account.as_bytes())?;
        for _ in 0..CAS_TRIES {
            let (old_v, mut a) = self.account_raw(account).await?;
            if a.eid.is_some() {
                return Ok(LinkOutcome::AlreadyLinked);
            }
            a.eid = Some(link.clone());
            let new_v = self.seal_account(account, &a)?;
            let mut inv = ACCT_LINK.key(&k);
            inv.key(&pk).arg(&old_v).arg(new_v).arg(&person_v);
            match self.redis.script::<i64>(&inv, Retry::Once).await? {
                1 => return Ok(LinkOutcome::Linked),
                2 => return Ok(LinkOutcome::AlreadyLinked),
                3 => return Ok(LinkOutcome::PersonTaken),
                _ => continue,
            }
        }
        Err(StoreError::Conflict("the account kept changing while the eID was linked".into()))
    }

    async fn unlink_eid(&self, account: &str) -> Result<Option<EidLink>, StoreError> {
        let (k, _) = self.acct_key(account);
        for _ in 0..CAS_TRIES {
            let (old_v, mut a) = self.account_raw(account).await?;
            let Some(link) = a.eid.take() else { return Ok(None) };
            let (pk, _) = self.person_key(&link.provider, &link.person_id);
            let new_v = self.seal_account(account, &a)?;
            let mut inv = ACCT_UNLINK.key(&k);
            inv.key(&pk).arg(&old_v).arg(new_v);
            if self.redis.script::<i64>(&inv, Retry::Idempotent).await? == 1 {
                return Ok(Some(link));
            }
        }
        Err(StoreError::Conflict("the account kept changing while the eID was unlinked".into()))
    }
}

#[async_trait::async_trait]
impl Probe for RedisStore {
    async fn probe(&self) -> Result<(), StoreError> {
        self.redis.probe().await
    }
}
