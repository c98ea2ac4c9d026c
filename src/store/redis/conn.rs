//! The connection: one multiplexed connection shared by every request (no pool), opened lazily, dropped after any
//! failure that says it points at the wrong or a dead server, and opened again on the next call — through Sentinel
//! when configured, checking with `ROLE` that the named server really is the master.

use super::config::{Endpoint, HostPort, RedisSettings};
use crate::store::StoreError;
use arc_swap::ArcSwapOption;
use redis::aio::MultiplexedConnection;
use redis::{
    AsyncConnectionConfig, Client, ClientTlsConfig, ConnectionAddr, ErrorKind, FromRedisValue, IntoConnectionInfo,
    RedisConnectionInfo, RedisError, RedisResult, ServerErrorKind, TlsCertificates,
};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Whether a failed operation may be sent again on a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The operation gives the same result when applied twice (reads, overwrites, deletes): retried once after
    /// any connection failure.
    Idempotent,
    /// The operation counts or consumes: retried only when the server certainly did not run it (`READONLY`,
    /// `MASTERDOWN`, `LOADING`).
    Once,
}

struct Live {
    con: MultiplexedConnection,
    addr: HostPort,
    generation: u64,
}

/// A Redis master reached through one multiplexed connection; cheap to share behind an `Arc`.
pub struct Redis {
    settings: Arc<RedisSettings>,
    current: ArcSwapOption<Live>,
    reconnect: tokio::sync::Mutex<()>,
    next_sentinel: AtomicUsize,
    generation: AtomicU64,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = self.current.load().as_ref().map(|l| l.addr.to_string());
        f.debug_struct("Redis").field("endpoint", &self.settings.endpoint).field("connected_to", &addr).finish()
    }
}

/// How a Redis error is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Class {
    /// The connection must be replaced (and, with Sentinel, the master asked for again).
    reconnect: bool,
    /// The server refused before running the command.
    not_run: bool,
}

fn classify(e: &RedisError) -> Class {
    match e.kind() {
        ErrorKind::Server(ServerErrorKind::ReadOnly)
        | ErrorKind::Server(ServerErrorKind::MasterDown)
        | ErrorKind::Server(ServerErrorKind::BusyLoading) => Class { reconnect: true, not_run: true },
        ErrorKind::Io => Class { reconnect: true, not_run: false },
        _ => Class { reconnect: false, not_run: false },
    }
}

/// Maps a Redis error to the store's kinds; the message names the server and never holds keys or values.
pub fn map_error(e: &RedisError, addr: &str) -> StoreError {
    if e.is_timeout() {
        return StoreError::Timeout(format!("Redis at {addr} did not answer in time"));
    }
    match e.kind() {
        ErrorKind::Parse | ErrorKind::UnexpectedReturnType => {
            StoreError::Corrupt(format!("Redis at {addr} answered something unexpected: {}", e.category()))
        }
        ErrorKind::AuthenticationFailed | ErrorKind::Server(ServerErrorKind::NoPerm) => StoreError::Unavailable(
            format!("Redis at {addr} refused our credentials or ACL permissions: check `username` and `password_file`"),
        ),
        ErrorKind::Server(ServerErrorKind::ReadOnly) => {
            StoreError::Unavailable(format!("Redis at {addr} is a read-only replica, not the master"))
        }
        ErrorKind::Server(ServerErrorKind::MasterDown) => {
            StoreError::Unavailable(format!("Redis at {addr} has lost its master (MASTERDOWN)"))
        }
        ErrorKind::Server(ServerErrorKind::BusyLoading) => {
            StoreError::Unavailable(format!("Redis at {addr} is still loading its data"))
        }
        ErrorKind::Io => StoreError::Unavailable(format!("Redis at {addr} cannot be reached: {}", io_reason(e))),
        _ => StoreError::Unavailable(format!("Redis at {addr} failed: {}", e.category())),
    }
}

fn io_reason(e: &RedisError) -> String {
    // The error's own text may carry a server reply; keep only its first line, which names the failure.
    e.to_string().lines().next().unwrap_or_default().chars().take(200).collect()
}

impl Redis {
    /// A client for these settings. Nothing is opened until the first call (pingora may fork after this).
    pub fn new(settings: RedisSettings) -> Redis {
        Redis {
            settings: Arc::new(settings),
            current: ArcSwapOption::empty(),
            reconnect: tokio::sync::Mutex::new(()),
            next_sentinel: AtomicUsize::new(0),
            generation: AtomicU64::new(0),
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &RedisSettings {
        &self.settings
    }

    /// The full key for `suffix`: the configured prefix, then the suffix bytes.
    pub fn key(&self, suffix: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(self.settings.key_prefix.len() + suffix.len());
        k.extend_from_slice(self.settings.key_prefix.as_bytes());
        k.extend_from_slice(suffix);
        k
    }

    /// The address of the server the current connection goes to, if one is open.
    pub fn connected_to(&self) -> Option<String> {
        self.current.load().as_ref().map(|l| l.addr.to_string())
    }

    /// Runs one command.
    pub async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd, retry: Retry) -> Result<T, StoreError> {
        self.run(retry, |mut con| async move { cmd.query_async::<T>(&mut con).await }).await
    }

    /// Runs a Lua script (by its SHA1, loading it when the server does not know it yet).
    pub async fn script<T: FromRedisValue>(
        &self,
        inv: &redis::ScriptInvocation<'_>,
        retry: Retry,
    ) -> Result<T, StoreError> {
        self.run(retry, |mut con| async move { inv.invoke_async::<T>(&mut con).await }).await
    }

    /// Runs `op` on the shared connection; after a connection failure the connection is replaced and, when
    /// `retry` allows, `op` runs once more on the new one.
    pub async fn run<T, F, Fut>(&self, retry: Retry, op: F) -> Result<T, StoreError>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let mut first = true;
        loop {
            let live = self.live().await?;
            match op(live.con.clone()).await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let class = classify(&e);
                    if class.reconnect {
                        self.drop_connection(live.generation);
                    }
                    let again = first && class.reconnect && (class.not_run || retry == Retry::Idempotent);
                    if !again {
                        let err = map_error(&e, &live.addr.to_string());
                        tracing::warn!(error = %err, "Redis operation failed");
                        return Err(err);
                    }
                    tracing::info!(server = %live.addr, reason = %e.category(), "Redis connection replaced; retrying");
                    first = false;
                }
            }
        }
    }

    fn drop_connection(&self, generation: u64) {
        let current = self.current.load();
        if current.as_ref().is_some_and(|l| l.generation == generation) {
            self.current.store(None);
        }
    }

    async fn live(&self) -> Result<Arc<Live>, StoreError> {
        if let Some(l) = self.current.load_full() {
            return Ok(l);
        }
        // One task connects; the others wait for its result instead of opening connections of their own.
        let _guard = self.reconnect.lock().await;
        if let Some(l) = self.current.load_full() {
            return Ok(l);
        }
        let (con, addr) = self.connect().await?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(server = %addr, "connected to Redis");
        let live = Arc::new(Live { con, addr, generation });
        self.current.store(Some(live.clone()));
        Ok(live)
    }

    fn client(
        &self,
        hp: &HostPort,
        username: Option<&str>,
        password: Option<&str>,
        db: i64,
    ) -> Result<Client, StoreError> {
        let s = &self.settings;
        let addr = match s.tls {
            Some(_) => {
                ConnectionAddr::TcpTls { host: hp.host.clone(), port: hp.port, insecure: false, tls_params: None }
            }
            None => ConnectionAddr::Tcp(hp.host.clone(), hp.port),
        };
        let mut rc = RedisConnectionInfo::default().set_db(db);
        if let Some(u) = username {
            rc = rc.set_username(u);
        }
        if let Some(p) = password {
            rc = rc.set_password(p);
        }
        let bad = |e: RedisError| StoreError::Unavailable(format!("Redis settings for {hp} are unusable: {e}"));
        let info = addr.into_connection_info().map_err(bad)?.set_redis_settings(rc);
        match &s.tls {
            Some(t) => Client::build_with_tls(
                info,
                TlsCertificates {
                    client_tls: t
                        .client
                        .as_ref()
                        .map(|(c, k)| ClientTlsConfig { client_cert: c.clone(), client_key: k.clone() }),
                    root_cert: t.ca.clone(),
                },
            )
            .map_err(bad),
            None => Client::open(info).map_err(bad),
        }
    }

    async fn open(&self, client: &Client, hp: &HostPort) -> Result<MultiplexedConnection, StoreError> {
        let s = &self.settings;
        let cfg = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(s.connect_timeout))
            .set_response_timeout(Some(s.response_timeout));
        // The library's connection timeout covers TCP and TLS; this bound also covers AUTH and SELECT.
        let bound = s.connect_timeout + s.response_timeout;
        match tokio::time::timeout(bound, client.get_multiplexed_async_connection_with_config(&cfg)).await {
            Ok(Ok(con)) => Ok(con),
            Ok(Err(e)) => Err(map_error(&e, &hp.to_string())),
            Err(_) => Err(StoreError::Timeout(format!("Redis at {hp}: no connection within {bound:?}"))),
        }
    }

    async fn connect(&self) -> Result<(MultiplexedConnection, HostPort), StoreError> {
        let s = self.settings.clone();
        match &s.endpoint {
            Endpoint::Standalone(hp) => {
                let client = self.client(hp, s.username.as_deref(), s.password.as_ref().map(|p| p.0.as_str()), s.db)?;
                Ok((self.open(&client, hp).await?, hp.clone()))
            }
            Endpoint::Sentinel { sentinels, master_name, username, password } => {
                let n = sentinels.len();
                let start = self.next_sentinel.load(Ordering::Relaxed);
                let mut problems = Vec::new();
                for i in 0..n {
                    let idx = (start + i) % n;
                    let Some(sentinel) = sentinels.get(idx) else { continue };
                    let master = match self
                        .ask_sentinel(
                            sentinel,
                            master_name,
                            username.as_deref(),
                            password.as_ref().map(|p| p.0.as_str()),
                        )
                        .await
                    {
                        Ok(m) => m,
                        Err(e) => {
                            problems.push(format!("Sentinel {sentinel}: {e}"));
                            continue;
                        }
                    };
                    match self.open_master(&master).await {
                        Ok(con) => {
                            self.next_sentinel.store(idx, Ordering::Relaxed);
                            return Ok((con, master));
                        }
                        Err(e) => problems.push(format!("master {master} named by Sentinel {sentinel}: {e}")),
                    }
                }
                Err(StoreError::Unavailable(format!(
                    "no usable master \"{master_name}\" from {n} Sentinel(s): {}",
                    problems.join("; ")
                )))
            }
        }
    }

    async fn ask_sentinel(
        &self,
        sentinel: &HostPort,
        master_name: &str,
        username: Option<&str>,
        password: Option<&str>,
    ) -> Result<HostPort, StoreError> {
        let client = self.client(sentinel, username, password, 0)?;
        let mut con = self.open(&client, sentinel).await?;
        let addr: Option<(String, u16)> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(master_name)
            .query_async(&mut con)
            .await
            .map_err(|e| map_error(&e, &sentinel.to_string()))?;
        match addr {
            Some((host, port)) => Ok(HostPort { host, port }),
            None => Err(StoreError::Unavailable(format!("it does not know a master named \"{master_name}\""))),
        }
    }

    async fn open_master(&self, hp: &HostPort) -> Result<MultiplexedConnection, StoreError> {
        let s = &self.settings;
        let client = self.client(hp, s.username.as_deref(), s.password.as_ref().map(|p| p.0.as_str()), s.db)?;
        let mut con = self.open(&client, hp).await?;
        // Sentinel's answer may be stale during a failover: believe only a server that says it is the master.
        let role: Vec<redis::Value> =
            redis::cmd("ROLE").query_async(&mut con).await.map_err(|e| map_error(&e, &hp.to_string()))?;
        let first = match role.first() {
            Some(redis::Value::BulkString(b)) => String::from_utf8_lossy(b).into_owned(),
            Some(redis::Value::SimpleString(t)) => t.clone(),
            _ => String::new(),
        };
        if first == "master" {
            Ok(con)
        } else {
            Err(StoreError::Unavailable(format!("it reports role \"{first}\", not master")))
        }
    }

    /// Startup check: writes, reads back and deletes a probe key; says what is wrong otherwise.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let key = self.key(b"probe:");
        let mut k = key;
        k.extend_from_slice(crate::token::random_token().as_bytes());
        let value = crate::token::random_token();
        self.query::<()>(redis::cmd("SET").arg(&k).arg(&value).arg("PX").arg(10_000u64), Retry::Idempotent).await?;
        let back: Option<String> = self.query(redis::cmd("GET").arg(&k), Retry::Idempotent).await?;
        self.query::<i64>(redis::cmd("DEL").arg(&k), Retry::Idempotent).await?;
        if back.as_deref() == Some(value.as_str()) {
            Ok(())
        } else {
            Err(StoreError::Corrupt("Redis did not return the probe value it was given".into()))
        }
    }
}
