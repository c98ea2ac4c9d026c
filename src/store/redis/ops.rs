//! The operations the store's traits are built from, each one command or one Lua script on one key (so every
//! operation is atomic on the server and Redis Cluster stays possible). Keys given here are suffixes: the
//! configured prefix is put in front. Values are opaque bytes: the store seals them before they get here.

use super::conn::{Redis, Retry};
use crate::store::StoreError;
use redis::Script;
use std::sync::LazyLock;
use std::time::Duration;

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Reads a session hash (`v` = sealed record, `t` = last seen in ms) and, when `t` is older than the touch
/// interval, sets it to now and renews the expiry: one round trip, and a write only every touch interval.
/// KEYS[1] session; ARGV now_ms, touch_interval_ms, ttl_ms. Returns nil or {v, t_after}.
static GET_AND_TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'v', 't')
if not r[1] then return false end
local now = tonumber(ARGV[1])
local t = tonumber(r[2]) or 0
if now - t >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 't', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  t = now
end
return {r[1], tostring(t)}
",
    )
});

/// A single-use mark: set when there is none whose deadline (the value, ms) is after now. The deadline is checked
/// against the gateway's clock, not only Redis's expiry. KEYS[1] mark; ARGV now_ms, deadline_ms, ttl_ms. Returns 1
/// when this call set the mark, 0 when a live one was there.
static USE_ONCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local d = redis.call('GET', KEYS[1])
if d and tonumber(d) and tonumber(d) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
",
    )
});

/// Replaces the sealed record of an existing session hash, keeping `t`; nothing when the session is gone.
/// KEYS[1] session; ARGV value, ttl_ms. Returns 1 when replaced, 0 when there was no session.
static REPLACE_EXISTING: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
",
    )
});

/// Adds `by` to a counter and, when the counter is new, sets its expiry: a fixed window that starts at the first
/// count. KEYS[1] counter; ARGV by, ttl_ms. Returns the new value.
static INCR_WINDOW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
",
    )
});

/// Takes back one count (a refund), never below zero and without touching the expiry.
/// KEYS[1] counter. Returns the new value (0 when there was none).
static DECR_FLOOR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 0 then return 0 end
return redis.call('DECR', KEYS[1])
",
    )
});

/// One guess at a challenge hash (`v` = sealed challenge, `c` = MAC of the code, `n` = wrong tries so far):
/// a right code deletes the challenge and returns it; a wrong one counts, and the last allowed wrong one deletes it.
/// KEYS[1] challenge; ARGV code MAC, max tries. Returns {1, v} on a match, {0, remaining} otherwise, nil when gone.
static TRY_CODE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local r = redis.call('HMGET', KEYS[1], 'v', 'c')
if not r[1] then return false end
if r[2] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {1, r[1]}
end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local left = tonumber(ARGV[2]) - n
if left <= 0 then
  redis.call('DEL', KEYS[1])
  left = 0
end
return {0, left}
",
    )
});

/// GCRA (the generic cell rate algorithm, as governor implements it) on the server's own clock (`TIME`), so every
/// instance shares one limit whatever their clocks say. The key holds the theoretical arrival time (µs).
/// KEYS[1] limit; ARGV emission interval µs, burst. Returns 0 when allowed, else µs to wait.
static GCRA: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait > 0 then return wait end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.ceil((next - now) / 1000) + 1)
return 0
",
    )
});

/// Adds a member to an index set and makes the set live at least `ttl` from now.
/// KEYS[1] set; ARGV member, ttl_ms.
static INDEX_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
",
    )
});

/// What a guess at a challenge found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTry {
    /// The code matched: the challenge is consumed and this is its sealed value.
    Matched(Vec<u8>),
    /// The code was wrong; this many tries are left (0: the challenge is gone).
    Wrong {
        /// Tries left.
        remaining: u32,
    },
    /// No such challenge (expired, consumed, or never opened).
    Gone,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("Redis answered {what} in an unexpected shape"))
}

impl Redis {
    /// Writes a value with an expiry, replacing any.
    pub async fn put(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let cmd = redis::cmd("SET").arg(self.key(key)).arg(value).arg("PX").arg(ms(ttl)).clone();
        self.query(&cmd, Retry::Idempotent).await
    }

    /// Writes a value with an expiry only if the key is free; `false` when it was taken.
    pub async fn put_new(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let cmd = redis::cmd("SET").arg(self.key(key)).arg(value).arg("NX").arg("PX").arg(ms(ttl)).clone();
        let r: Option<String> = self.query(&cmd, Retry::Once).await?;
        Ok(r.is_some())
    }

    /// Sets a single-use mark that lives until `deadline_ms` on the caller's clock (and `ttl` on Redis's): `true`
    /// when this call set it, `false` when a live one was there. One script: of racing callers exactly one wins.
    pub async fn use_once(&self, key: &[u8], now_ms: u64, deadline_ms: u64, ttl: Duration) -> Result<bool, StoreError> {
        let k = self.key(key);
        let mut inv = USE_ONCE.key(&k);
        inv.arg(now_ms).arg(deadline_ms).arg(ms(ttl));
        // Not retried: a lost reply after the mark was set must not turn into a second, losing call.
        let n: i64 = self.script(&inv, Retry::Once).await?;
        Ok(n == 1)
    }

    /// Reads a value.
    pub async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.query(redis::cmd("GET").arg(self.key(key)), Retry::Idempotent).await
    }

    /// Reads and deletes a value in one step (`GETDEL`): of concurrent takers exactly one gets it.
    pub async fn take(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.query(redis::cmd("GETDEL").arg(self.key(key)), Retry::Once).await
    }

    /// Deletes keys; returns how many existed.
    pub async fn delete(&self, keys: &[&[u8]]) -> Result<u64, StoreError> {
        // One DEL per key: keys of different hash slots never share a command (Redis Cluster).
        let mut n = 0;
        for k in keys {
            n += self.query::<u64>(redis::cmd("DEL").arg(self.key(k)), Retry::Idempotent).await?;
        }
        Ok(n)
    }

    /// Creates a session hash (`v` sealed record, `t` last seen ms) with an expiry, only if the key is free.
    pub async fn session_create(
        &self,
        key: &[u8],
        value: &[u8],
        now_ms: u64,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let k = self.key(key);
        // HSETNX on `v` claims the key atomically; `t` and the expiry follow in the same pipeline (MULTI keeps a
        // half-made hash from being seen).
        let mut p = redis::pipe();
        p.atomic()
            .cmd("HSETNX")
            .arg(&k)
            .arg("v")
            .arg(value)
            .cmd("HSETNX")
            .arg(&k)
            .arg("t")
            .arg(now_ms)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(ms(ttl))
            .ignore();
        let (created,): (bool,) = self
            .run(Retry::Once, |mut con| {
                let p = p.clone();
                async move { p.query_async(&mut con).await }
            })
            .await?;
        Ok(created)
    }

    /// Reads a session and, when its last-seen time is older than `touch_interval`, moves it to `now_ms` and
    /// renews the expiry, in one round trip. Returns the sealed record and the last-seen time after the call.
    pub async fn session_get_and_touch(
        &self,
        key: &[u8],
        now_ms: u64,
        touch_interval: Duration,
        ttl: Duration,
    ) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        let k = self.key(key);
        let interval = u64::try_from(touch_interval.as_millis()).unwrap_or(u64::MAX);
        let mut inv = GET_AND_TOUCH.key(&k);
        inv.arg(now_ms).arg(interval).arg(ms(ttl));
        let r: Option<(Vec<u8>, String)> = self.script(&inv, Retry::Idempotent).await?;
        match r {
            None => Ok(None),
            Some((v, t)) => Ok(Some((v, t.parse().map_err(|_| corrupt("a session's last-seen time"))?))),
        }
    }

    /// Replaces the sealed record of a session that still exists; `false` when it is gone (never recreates one).
    pub async fn session_replace(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let k = self.key(key);
        let mut inv = REPLACE_EXISTING.key(&k);
        inv.arg(value).arg(ms(ttl));
        let n: i64 = self.script(&inv, Retry::Idempotent).await?;
        Ok(n == 1)
    }

    /// Moves a session to a new key: the new hash is written first, then the old one deleted; when the old one was
    /// already gone (a concurrent rotation or logout won), the new one is deleted again and `false` returned. The
    /// session is never lost midway: a failure leaves the old key in place.
    pub async fn session_rotate(
        &self,
        old: &[u8],
        new: &[u8],
        value: &[u8],
        now_ms: u64,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        if !self.session_create(new, value, now_ms, ttl).await? {
            return Err(StoreError::Conflict("the new session key is taken".into()));
        }
        let gone = self.query::<u64>(redis::cmd("DEL").arg(self.key(old)), Retry::Once).await;
        match gone {
            Ok(1) => Ok(true),
            Ok(_) => {
                self.delete(&[new]).await?;
                Ok(false)
            }
            Err(e) => {
                // The old session stays valid; the new key must not outlive this failure as a second session.
                let _ = self.delete(&[new]).await;
                Err(e)
            }
        }
    }

    /// Adds `by` to a counter whose window (`ttl`) starts at its first count; returns the new value.
    pub async fn incr_window(&self, key: &[u8], by: i64, ttl: Duration) -> Result<i64, StoreError> {
        let k = self.key(key);
        let mut inv = INCR_WINDOW.key(&k);
        inv.arg(by).arg(ms(ttl));
        self.script(&inv, Retry::Once).await
    }

    /// Takes one count back (never below zero); returns the new value.
    pub async fn decr_floor(&self, key: &[u8]) -> Result<i64, StoreError> {
        let k = self.key(key);
        let inv = DECR_FLOOR.key(&k);
        self.script(&inv, Retry::Once).await
    }

    /// Reads a counter (0 when absent or expired).
    pub async fn counter(&self, key: &[u8]) -> Result<i64, StoreError> {
        let v: Option<i64> = self.query(redis::cmd("GET").arg(self.key(key)), Retry::Idempotent).await?;
        Ok(v.unwrap_or(0))
    }

    /// Opens a challenge: its sealed value and the MAC of its code, with an expiry; replaces an older one.
    pub async fn challenge_open(
        &self,
        key: &[u8],
        value: &[u8],
        code_mac: &[u8],
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let k = self.key(key);
        let mut p = redis::pipe();
        p.atomic()
            .cmd("DEL")
            .arg(&k)
            .ignore()
            .cmd("HSET")
            .arg(&k)
            .arg("v")
            .arg(value)
            .arg("c")
            .arg(code_mac)
            .arg("n")
            .arg(0)
            .ignore()
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(ms(ttl))
            .ignore();
        self.run(Retry::Idempotent, |mut con| {
            let p = p.clone();
            async move { p.query_async::<()>(&mut con).await }
        })
        .await
    }

    /// One guess at a challenge: compare-and-delete on a match, count (and delete after `max_tries`) otherwise.
    /// Of any number of concurrent guesses, at most one matches and at most `max_tries` wrong ones are counted.
    pub async fn challenge_try(&self, key: &[u8], code_mac: &[u8], max_tries: u32) -> Result<CodeTry, StoreError> {
        let k = self.key(key);
        let mut inv = TRY_CODE.key(&k);
        inv.arg(code_mac).arg(max_tries);
        let r: Option<(i64, redis::Value)> = self.script(&inv, Retry::Once).await?;
        match r {
            None => Ok(CodeTry::Gone),
            Some((1, redis::Value::BulkString(v))) => Ok(CodeTry::Matched(v)),
            Some((0, redis::Value::Int(n))) => Ok(CodeTry::Wrong { remaining: u32::try_from(n).unwrap_or(0) }),
            Some(_) => Err(corrupt("a code check")),
        }
    }

    /// A shared rate limit: `burst` hits at once, then one per `period`; `None` when this hit is allowed, else how
    /// long until the next one would be.
    pub async fn gcra(&self, key: &[u8], period: Duration, burst: u32) -> Result<Option<Duration>, StoreError> {
        let k = self.key(key);
        let interval = u64::try_from(period.as_micros()).unwrap_or(u64::MAX).max(1);
        let mut inv = GCRA.key(&k);
        inv.arg(interval).arg(burst.max(1));
        let wait: i64 = self.script(&inv, Retry::Once).await?;
        Ok((wait > 0).then(|| Duration::from_micros(u64::try_from(wait).unwrap_or(0))))
    }

    /// Adds a member to an index set and extends the set's expiry to at least `ttl`.
    pub async fn index_add(&self, key: &[u8], member: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let k = self.key(key);
        let mut inv = INDEX_ADD.key(&k);
        inv.arg(member).arg(ms(ttl));
        self.script::<i64>(&inv, Retry::Idempotent).await.map(|_| ())
    }

    /// The members of an index set.
    pub async fn index_members(&self, key: &[u8]) -> Result<Vec<Vec<u8>>, StoreError> {
        self.query(redis::cmd("SMEMBERS").arg(self.key(key)), Retry::Idempotent).await
    }

    /// Removes a member from an index set.
    pub async fn index_remove(&self, key: &[u8], member: &[u8]) -> Result<(), StoreError> {
        self.query::<i64>(redis::cmd("SREM").arg(self.key(key)).arg(member), Retry::Idempotent).await.map(|_| ())
    }
}
