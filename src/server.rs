//! Builds the pingora server from a validated config and runs it: one proxy service per listener, TLS with
//! reloadable certificates, and background services for session expiry, backend DNS, SIGHUP reloads and systemd.

pub mod config;

use crate::assertion::SigningKey;
use crate::clock::SharedClock;
use crate::config::{Config, TlsFiles};
use crate::directory::SharedDirectory;
use crate::edge::{ConnectionCounter, Edge};
use crate::gateway::upstream::DnsRefresher;
use crate::gateway::{Gateway, State};
use crate::session::Sessions;
use arc_swap::ArcSwap;
use async_trait::async_trait;
use pingora::server::configuration::ServerConf;
use pingora::server::{RunArgs, Server, ShutdownSignal, ShutdownSignalWatch, ShutdownWatch};
use pingora::services::background::{background_service, BackgroundService};
use pingora::services::listening::Service;
use pingora::services::ServiceReadyNotifier;
use pingora_core::listeners::tls::TlsSettings;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::Arc;
use std::time::Duration;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Config, users file or key problems.
    #[error("{0}")]
    Config(#[from] crate::config::error::ConfigErrors),
    /// The TLS certificate or key could not be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The assertion key could not be read.
    #[error("assertion key: {0}")]
    Key(String),
    /// A delivery channel could not be set up.
    #[error("{0}")]
    Notify(String),
    /// The account store could not be opened.
    #[error("{0}")]
    Accounts(String),
    /// The state store could not be opened or did not answer its probe.
    #[error("store: {0}")]
    Store(String),
    /// The audit file could not be opened.
    #[error("[audit]: {0}")]
    Audit(String),
    /// pingora refused a listener setting.
    #[error("listener {0}: {1}")]
    Listener(String, String),
}

/// What the gateway needs besides its config; tests pass a manual clock here.
#[derive(Debug, Clone)]
pub struct Deps {
    /// Time source.
    pub clock: SharedClock,
    /// Stores to use instead of the configured `[store]` (tests share one between two gateways).
    pub stores: Option<(crate::store::Stores, Arc<crate::store::seal::Secrets>)>,
    /// E-mail delivery instead of the configured one.
    pub email: Option<Arc<dyn crate::notify::EmailSender>>,
    /// SMS delivery instead of the configured one.
    pub sms: Option<Arc<dyn crate::notify::SmsSender>>,
    /// The assertion signing key instead of the configured or generated one.
    pub signing_key: Option<SigningKey>,
}

impl Default for Deps {
    fn default() -> Self {
        Deps { clock: Arc::new(crate::clock::SystemClock), stores: None, email: None, sms: None, signing_key: None }
    }
}

/// Builds the shared gateway state from a config (directories loaded, key read or generated).
pub fn build_state(cfg: Config, deps: &Deps) -> Result<Arc<State>, StartError> {
    let directories: Vec<SharedDirectory> =
        crate::directory::build_all(&cfg.path, &cfg.directories, &cfg.institutions)?;
    let (stores, secrets) = match &deps.stores {
        Some(s) => s.clone(),
        None => open_stores(&cfg, deps.clock.clone())?,
    };
    let key = match (&deps.signing_key, &cfg.assertion.key_file) {
        (Some(k), _) => k.clone(),
        (None, Some(p)) => {
            let pem = std::fs::read_to_string(p).map_err(|e| StartError::Key(format!("{}: {e}", p.display())))?;
            SigningKey::from_pem(&pem).map_err(|e| StartError::Key(format!("{}: {e}", p.display())))?
        }
        // A shared store has keys every instance reads from the same file: the assertion key is derived from them,
        // so every instance signs with one key (and keeps it over a restart).
        (None, None) if !stores.sessions.in_process() => SigningKey::derive(&secrets).map_err(StartError::Key)?,
        (None, None) => {
            tracing::warn!("no [assertion] key_file and no shared [store]: using a key generated at start; backends must refetch the JWKS after every restart");
            SigningKey::generate().map_err(StartError::Key)?
        }
    };
    // Every store and directory operation is counted and timed (crate::instrument).
    let observer = Arc::new(build_observer(&cfg)?);
    let stores = crate::instrument::stores(&stores, &observer.metrics);
    let directories: Vec<SharedDirectory> =
        directories.into_iter().map(|d| crate::instrument::directory(d, &observer.metrics)).collect();
    // A shared store is read through an in-process cache (crate::store::cache), outside the instrumentation so the
    // store metrics count the reads that reach the store.
    let session_store: Arc<dyn crate::store::SessionStore> =
        if cfg.session.cache_ttl.is_zero() || stores.sessions.in_process() {
            stores.sessions.clone()
        } else {
            Arc::new(crate::store::cache::CachedSessions::new(stores.sessions.clone(), cfg.session.cache_ttl))
        };
    let mut stores = stores;
    stores.sessions = session_store.clone();
    let sessions = Sessions::new(session_store, deps.clock.clone(), cfg.session.clone());
    let email = match (&deps.email, &cfg.email) {
        (Some(e), _) => Some(e.clone()),
        (None, Some(s)) => {
            Some(crate::notify::build_email(s).map_err(|e| StartError::Notify(format!("[email]: {e}")))?)
        }
        (None, None) => None,
    };
    let sms = match (&deps.sms, &cfg.sms) {
        (Some(s), _) => Some(s.clone()),
        (None, Some(s)) => Some(crate::notify::build_sms(s).map_err(|e| StartError::Notify(format!("[sms]: {e}")))?),
        (None, None) => None,
    };
    if email.is_none() && sms.is_none() {
        tracing::warn!("neither [email] nor [sms] is configured: remote users can only log in with eID");
    }
    let services = crate::gateway::Services { stores, secrets, email, sms, observer: observer.clone() };
    let policies = cfg.load_policies(&directories)?;
    if let Some(p) = &policies {
        observer.metrics.policy_rules.set(i64::try_from(p.rule_count()).unwrap_or(i64::MAX));
    }
    let access = crate::access::Access::new(policies);
    Ok(Arc::new(State::new(cfg, directories, sessions, key, deps.clock.clone(), services, access)))
}

/// The metrics (request series pre-registered for every zone and service) and the audit writer of a config.
pub fn build_observer(cfg: &Config) -> Result<crate::audit::Observer, StartError> {
    let mut zones: Vec<Arc<str>> = cfg.zones.iter().map(|z| Arc::from(z.name.as_str())).collect();
    zones.push(Arc::from(crate::config::REMOTE_ZONE));
    let services: Vec<Arc<str>> = cfg.services.iter().map(|s| Arc::from(s.name.as_str())).collect();
    let metrics = Arc::new(crate::metrics::Metrics::new(&zones, &services));
    crate::audit::Observer::new(metrics, &cfg.audit).map_err(|e| StartError::Audit(e.to_string()))
}

/// Opens the configured store backend and its keys, and probes it (write, read back, delete) with a few bounded
/// retries, so a broken store stops the start with a clear message instead of failing the first login.
pub fn open_stores(
    cfg: &Config,
    clock: SharedClock,
) -> Result<(crate::store::Stores, Arc<crate::store::seal::Secrets>), StartError> {
    use crate::store::config::StoreSettings;
    match &cfg.store {
        StoreSettings::Memory => {
            let mut stores = crate::store::memory::MemoryStore::stores(clock);
            let accounts = crate::account::FileAccountStore::open(&cfg.accounts.path)
                .map_err(|e| StartError::Accounts(e.to_string()))?;
            stores.accounts = Arc::new(accounts);
            Ok((stores, Arc::new(crate::store::seal::Secrets::generate())))
        }
        StoreSettings::Sqlite { path, keys_file } => {
            let secrets =
                Arc::new(crate::store::seal::Secrets::load(keys_file).map_err(|e| StartError::Store(e.to_string()))?);
            let mut last = String::new();
            for attempt in 1..=STARTUP_PROBES {
                let opened = crate::store::sqlite::SqliteStore::open(path, secrets.clone(), clock.clone())
                    .and_then(|s| s.probe_now().map(|()| s));
                match opened {
                    Ok(s) => {
                        let (p, sec, c) = (path.clone(), secrets.clone(), clock.clone());
                        import_accounts(cfg, move || {
                            crate::store::sqlite::SqliteStore::open(&p, sec, c).map(|s| s.stores().accounts)
                        })?;
                        return Ok((s.stores(), secrets));
                    }
                    Err(e) => {
                        last = e.to_string();
                        tracing::warn!(attempt, path = %path.display(), error = %e, "store probe failed");
                        if attempt < STARTUP_PROBES {
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                }
            }
            Err(StartError::Store(format!(
                "[store] path = \"{}\": the SQLite database did not pass the write/read/delete probe after \
                 {STARTUP_PROBES} tries: {last}",
                path.display()
            )))
        }
        StoreSettings::Redis { settings, keys_file } => {
            let secrets =
                Arc::new(crate::store::seal::Secrets::load(keys_file).map_err(|e| StartError::Store(e.to_string()))?);
            probe_redis(settings)?;
            let (set, sec, c) = ((**settings).clone(), secrets.clone(), clock.clone());
            import_accounts(cfg, move || {
                let redis = Arc::new(crate::store::redis::Redis::new(set));
                Ok(crate::store::redis::RedisStore::stores(redis, sec, c).accounts)
            })?;
            // The gateway's own connection opens lazily, on pingora's runtime (it may fork after this).
            let redis = Arc::new(crate::store::redis::Redis::new((**settings).clone()));
            Ok((crate::store::redis::RedisStore::stores(redis, secrets.clone(), clock), secrets))
        }
    }
}

/// Imports the old `[accounts]` file into a persistent store once ([`crate::store::import`]), on a thread and
/// runtime of its own with a store connection of its own (`open`), so nothing of it outlives the start.
fn import_accounts<F>(cfg: &Config, open: F) -> Result<(), StartError>
where
    F: FnOnce() -> Result<Arc<dyn crate::store::AccountStore>, crate::store::StoreError> + Send + 'static,
{
    let path = cfg.accounts.path.clone();
    if !path.exists() {
        return Ok(());
    }
    let run = std::thread::spawn(move || -> Result<crate::store::import::Imported, String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let store = open().map_err(|e| format!("{}: can't open the store to import it: {e}", path.display()))?;
        rt.block_on(crate::store::import::accounts_file(&path, store.as_ref())).map_err(|e| e.to_string())
    });
    let done = match run.join() {
        Ok(r) => r.map_err(|e| StartError::Accounts(format!("[accounts] path: {e}")))?,
        Err(_) => return Err(StartError::Accounts("[accounts] path: the import thread failed".into())),
    };
    if let Some(to) = &done.moved_to {
        tracing::info!(
            accounts = done.accounts,
            phones = done.phones,
            eid_links = done.eid_links,
            skipped = done.skipped,
            moved_to = %to.display(),
            "imported the accounts file into the store"
        );
    }
    Ok(())
}

/// Probes Redis (write, read back, delete) with bounded retries on a connection of its own, on a thread and runtime
/// of its own (this runs before pingora's runtimes exist, possibly inside a test's runtime).
fn probe_redis(settings: &crate::store::redis::RedisSettings) -> Result<(), StartError> {
    let settings = settings.clone();
    let probe = std::thread::spawn(move || -> Result<(), String> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        rt.block_on(async move {
            let mut last = String::new();
            for attempt in 1..=STARTUP_PROBES {
                let redis = crate::store::redis::Redis::new(settings.clone());
                match redis.probe().await {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        last = e.to_string();
                        tracing::warn!(attempt, error = %e, "Redis store probe failed");
                        if attempt < STARTUP_PROBES {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            }
            Err(format!(
                "[store.redis] {}: Redis did not pass the write/read/delete probe after {STARTUP_PROBES} tries: {last}",
                settings.describe()
            ))
        })
    });
    match probe.join() {
        Ok(r) => r.map_err(StartError::Store),
        Err(_) => Err(StartError::Store("the Redis probe thread failed".into())),
    }
}

/// Probes made at start before giving up.
const STARTUP_PROBES: u32 = 3;

/// A certificate resolver whose certificate can be swapped on reload without dropping connections.
#[derive(Debug)]
pub struct ReloadableCert {
    files: TlsFiles,
    current: ArcSwap<CertifiedKey>,
}

impl ReloadableCert {
    /// Loads the certificate and key.
    pub fn load(files: &TlsFiles) -> Result<ReloadableCert, StartError> {
        let ck = load_certified_key(files)?;
        Ok(ReloadableCert { files: files.clone(), current: ArcSwap::from_pointee(ck) })
    }

    /// Re-reads the files; on error the old certificate keeps serving.
    pub fn reload(&self) -> Result<(), StartError> {
        let ck = load_certified_key(&self.files)?;
        self.current.store(Arc::new(ck));
        Ok(())
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

fn load_certified_key(files: &TlsFiles) -> Result<CertifiedKey, StartError> {
    let cert_pem = std::fs::read(&files.cert).map_err(|e| StartError::Tls(format!("{}: {e}", files.cert.display())))?;
    let key_pem = std::fs::read(&files.key).map_err(|e| StartError::Tls(format!("{}: {e}", files.key.display())))?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| StartError::Tls(format!("{}: {e}", files.cert.display())))?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| StartError::Tls(format!("{}: {e}", files.key.display())))?
        .ok_or_else(|| StartError::Tls(format!("{}: no private key", files.key.display())))?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| StartError::Tls(format!("{}: {e}", files.key.display())))?;
    Ok(CertifiedKey::new(certs, signer))
}

/// A shutdown signal driven by a channel, so tests (and the demo) can stop the server without Unix signals.
#[derive(Debug)]
pub struct ChannelShutdown(pub tokio::sync::Mutex<tokio::sync::mpsc::Receiver<()>>);

#[async_trait]
impl ShutdownSignalWatch for ChannelShutdown {
    async fn recv(&self) -> ShutdownSignal {
        let _ = self.0.lock().await.recv().await;
        ShutdownSignal::FastShutdown
    }
}

/// Binds each listener address once and lets it go again, so that a taken port or a missing privilege stops the
/// start with a clear error. pingora would retry a taken port for 30 s, then panic in its service task and leave the
/// process running without that listener.
fn check_listeners(
    listeners: &[crate::config::ListenerSettings],
    admin: Option<&crate::admin::AdminSettings>,
) -> Result<(), StartError> {
    let addresses = listeners.iter().map(|l| l.address).chain(admin.map(|a| a.listen));
    for address in addresses {
        // std sets SO_REUSEADDR, as pingora does, so the previous run's connections in TIME_WAIT are no obstacle.
        if let Err(e) = std::net::TcpListener::bind(address) {
            let why = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "address already in use: another program (or another portvakt) listens there; stop it or change \
                     this [[listeners]] address"
                        .to_string()
                }
                std::io::ErrorKind::PermissionDenied => "permission denied: ports below 1024 need \
                     CAP_NET_BIND_SERVICE (systemd/portvakt.service grants it) or root"
                    .to_string(),
                std::io::ErrorKind::AddrNotAvailable => {
                    "address not available: no network interface of this machine has this address".to_string()
                }
                _ => e.to_string(),
            };
            return Err(StartError::Listener(address.to_string(), why));
        }
    }
    Ok(())
}

/// Builds the pingora server for a state: listeners, TLS and background services.
pub fn build_server(state: Arc<State>) -> Result<Server, StartError> {
    build_server_with(state, None)
}

/// Builds the pingora server; `process` is set for the `portvakt run` process (pid file, binary upgrade), where a
/// process started with `--upgrade` takes its listening sockets over from the instance it replaces.
fn build_server_with(state: Arc<State>, process: Option<Arc<crate::upgrade::Handover>>) -> Result<Server, StartError> {
    let cfg = &state.cfg;
    let taking_over = process.as_ref().is_some_and(|p| p.taking_over);
    // The instance being replaced still holds the addresses: its sockets arrive over the upgrade socket instead.
    if !taking_over {
        check_listeners(&cfg.listeners, cfg.admin.as_ref())?;
    }
    let conf = ServerConf {
        threads: cfg.server.threads.max(1),
        grace_period_seconds: Some(cfg.server.grace_period.as_secs()),
        graceful_shutdown_timeout_seconds: Some(cfg.server.graceful_shutdown_timeout.as_secs()),
        pid_file: cfg.server.pid_file.clone(),
        upgrade_sock: cfg.server.upgrade_socket.clone(),
        // One single-threaded runtime per thread: a connection's tasks stay on the thread that accepted it, with fewer
        // cross-thread wake-ups (p50 at moderate load -20 %, docs/BENCHMARKS.md). Needs the patched pingora-runtime.
        work_stealing: false,
        ..ServerConf::default()
    };
    let opt = taking_over.then(|| pingora::server::configuration::Opt { upgrade: true, ..Default::default() });
    let mut server = Server::new_with_opt_and_conf(opt, conf);
    let conf = server.configuration.clone();
    let cert = match &cfg.tls {
        Some(files) if cfg.listeners.iter().any(|l| l.tls) => Some(Arc::new(ReloadableCert::load(files)?)),
        _ => None,
    };
    // Session tickets for all TLS listeners, under keys every instance with the same store keys derives alike.
    let tickets = Arc::new(crate::tls::SessionTickets::new(
        state.secrets.clone(),
        state.clock.clone(),
        cfg.tls.as_ref().map(|t| t.session_ticket_lifetime).unwrap_or(crate::config::DEFAULT_SESSION_TICKET_LIFETIME),
    ));
    // The listeners open only once the supervisor handles SIGHUP: a reload sent as soon as the gateway answers must
    // not meet SIGHUP's default action, which ends the process.
    let supervisor = server.add_service(background_service(
        "reload and systemd",
        Supervisor { state: state.clone(), cert: cert.clone(), process },
    ));
    // One count of open connections for all listeners: the caps are per gateway, not per listener.
    let limits = &cfg.server.limits;
    let counter = ConnectionCounter::new(limits);
    for l in &cfg.listeners {
        let addr = l.address.to_string();
        let mut proxy = pingora::proxy::http_proxy(&conf, Gateway::new(state.clone(), l.clone()));
        let mut options = limits.server_options();
        // One header map per HTTP/1.1 head instead of two, unless the letter case is to be kept (`[forwarding]`).
        options.h1_discard_header_case = !cfg.forwarding.preserve_header_case;
        proxy.server_options = Some(options);
        proxy.h2_options = Some(limits.h2_options());
        // The listener accepts TCP; `Edge` counts the connection and does the TLS handshake (crate::edge).
        let tls = match l.tls {
            true => {
                let cert = cert.clone().ok_or_else(|| StartError::Tls("no certificate configured".into()))?;
                let mut tls =
                    TlsSettings::intermediate("", "").map_err(|e| StartError::Listener(addr.clone(), e.to_string()))?;
                tls.set_cert_resolver(cert.clone());
                tls.enable_h2();
                let mut acceptor = tls.build();
                // pingora's TlsSettings has no hook for session tickets; its Acceptor takes our own rustls config.
                let config = crate::tls::server_config(cert, tickets.clone())
                    .map_err(|e| StartError::Tls(format!("TLS configuration: {e}")))?;
                acceptor.acceptor = pingora_core::tls::TlsAcceptor::from(Arc::new(config));
                Some(acceptor)
            }
            false => None,
        };
        let edge = Edge::new(proxy, tls, counter.clone(), limits.request_head_timeout);
        let mut svc = Service::new(format!("portvakt {addr}"), edge);
        svc.add_tcp(&addr);
        server.add_service(svc).add_dependency(&supervisor);
    }
    if let Some(admin) = &cfg.admin {
        // Metrics on a listener of its own (loopback by default); the public listeners never serve them.
        let mut svc = Service::new("portvakt admin".to_string(), crate::admin::Admin { state: state.clone() });
        svc.add_tcp(&admin.listen.to_string());
        server.add_service(svc).add_dependency(&supervisor);
    }
    server.add_service(background_service("systemd watchdog", crate::health::Watchdog::new(&cfg.listeners)));
    server.add_service(background_service(
        "session reaper",
        SessionReaper { state: state.clone(), interval: Duration::from_secs(60) },
    ));
    server.add_service(background_service(
        "backend dns",
        DnsRefresher { upstreams: state.upstreams.clone(), interval: Duration::from_secs(30) },
    ));
    server.add_service(background_service(
        "policy watcher",
        PolicyWatcher { state: state.clone(), interval: Duration::from_millis(500) },
    ));
    Ok(server)
}

/// Runs the gateway until the shutdown signal (Unix signals when `shutdown` is `None`).
pub fn run(cfg: Config, deps: Deps, shutdown: Option<Box<dyn ShutdownSignalWatch>>) -> Result<(), StartError> {
    let state = build_state(cfg, &deps)?;
    let server = build_server(state)?;
    let args = match shutdown {
        Some(s) => RunArgs { shutdown_signal: s },
        None => RunArgs::default(),
    };
    server.run(args);
    Ok(())
}

/// Runs the gateway as the `portvakt run` process until a Unix signal: writes the pid file, and on SIGUSR2 replaces
/// its own binary without dropping a connection ([`crate::upgrade`]). With `taking_over`, this process is that
/// replacement: it receives the listening sockets over `[server] upgrade_socket` before it starts serving.
pub fn run_process(cfg: Config, config_path: std::path::PathBuf, taking_over: bool) -> Result<(), StartError> {
    let handover = Arc::new(crate::upgrade::Handover::new(&cfg, config_path, taking_over));
    let state = build_state(cfg, &Deps::default())?;
    let mut server = build_server_with(state, Some(handover.clone()))?;
    if taking_over {
        // Blocks until the old process has sent its listening sockets (pingora's bootstrap; it exits on failure).
        server.bootstrap();
    }
    server.run(RunArgs { shutdown_signal: Box::new(crate::upgrade::ProcessSignals::new(handover.clone())) });
    handover.remove_pid_file();
    Ok(())
}

/// Loads the policy directory again and swaps it in whole; an invalid set is refused and logged, and the old one
/// keeps serving. Returns whether the policies in force are the ones on disk.
pub fn reload_policies(state: &State) -> bool {
    if state.cfg.policies_dir.is_none() {
        return true;
    }
    use crate::audit::{AuditEvent, Outcome};
    match state.cfg.load_policies(&state.directories) {
        Ok(Some(p)) => {
            let rules = p.rule_count();
            tracing::info!(rules, "policies reloaded");
            state.access.replace(p);
            state
                .observer
                .emit(&AuditEvent::Reload { what: "policies", outcome: Outcome::Success, rules: Some(rules) }, None);
            true
        }
        Ok(None) => true,
        Err(errs) => {
            for e in &errs.0 {
                tracing::error!(problem = %e, "policy reload refused; the previous policies keep serving");
            }
            state.observer.emit(&AuditEvent::Reload { what: "policies", outcome: Outcome::Failure, rules: None }, None);
            false
        }
    }
}

/// A fingerprint of the policy files (names, sizes, modification times) to notice edits without inotify.
fn policy_fingerprint(dir: &std::path::Path) -> Vec<(std::path::PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
                .filter_map(|e| e.metadata().ok().map(|m| (e.path(), m.len(), m.modified().ok())))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Reloads the policies when a file in the policy directory changes.
#[derive(Debug)]
struct PolicyWatcher {
    state: Arc<State>,
    interval: Duration,
}

#[async_trait]
impl BackgroundService for PolicyWatcher {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let Some(dir) = self.state.cfg.policies_dir.clone() else { return };
        let mut last = policy_fingerprint(&dir);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => return,
            }
            let now = policy_fingerprint(&dir);
            if now != last {
                last = now;
                reload_policies(&self.state);
            }
        }
    }
}

/// Most expired entries of one kind removed per sweep, so a sweep never holds a store for long.
const SWEEP_BATCH: usize = 1000;

/// Drops expired sessions periodically so memory is bounded by active users.
#[derive(Debug)]
struct SessionReaper {
    state: Arc<State>,
    interval: Duration,
}

#[async_trait]
impl BackgroundService for SessionReaper {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => return,
            }
            self.state.assertions.purge(self.state.clock.now().unix_seconds());
            if let Err(e) = self.state.regulator.purge(SWEEP_BATCH).await {
                tracing::warn!(error = %e, "regulation purge failed");
            }
            if let Err(e) = self.state.second_factor.purge(SWEEP_BATCH).await {
                tracing::warn!(error = %e, "challenge purge failed");
            }
            if let Err(e) = self.state.eid.purge(SWEEP_BATCH).await {
                tracing::warn!(error = %e, "eID flow purge failed");
            }
            match self.state.sessions.purge_expired(SWEEP_BATCH).await {
                Ok(n) if n > 0 => tracing::debug!(purged = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
        }
    }
}

/// Tells systemd when the gateway is ready and stopping, reloads users files and certificates on SIGHUP, and (in the
/// `portvakt run` process) writes the pid file and starts a binary upgrade on SIGUSR2.
#[derive(Debug)]
struct Supervisor {
    state: Arc<State>,
    cert: Option<Arc<ReloadableCert>>,
    process: Option<Arc<crate::upgrade::Handover>>,
}

impl Supervisor {
    fn reload(&self) {
        let mut ok = true;
        for d in &self.state.directories {
            if let Err(e) = d.reload() {
                ok = false;
                tracing::error!(directory = d.name(), errors = %e, "users file reload refused; the previous users keep serving");
            }
        }
        if !reload_policies(&self.state) {
            ok = false;
        }
        if let Some(c) = &self.cert {
            if let Err(e) = c.reload() {
                ok = false;
                tracing::error!(error = %e, "certificate reload refused; the previous certificate keeps serving");
            }
        }
        if ok {
            tracing::info!("reloaded users files and certificates");
        }
        let outcome = if ok { crate::audit::Outcome::Success } else { crate::audit::Outcome::Failure };
        let ev = crate::audit::AuditEvent::Reload { what: "config", outcome, rules: None };
        self.state.observer.emit(&ev, None);
    }
}

#[async_trait]
impl BackgroundService for Supervisor {
    async fn start_with_ready_notifier(&self, mut shutdown: ShutdownWatch, ready: ServiceReadyNotifier) {
        let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; reload needs a restart");
                None
            }
        };
        let mut usr2 = match &self.process {
            Some(_) => match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined2()) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for SIGUSR2; binary upgrades need a restart");
                    None
                }
            },
            None => None,
        };
        // The listening services wait for this.
        ready.notify_ready();
        // Give them a moment to bind before announcing readiness.
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(p) = &self.process {
            p.write_pid_file();
        }
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        tracing::info!(listeners = ?self.state.cfg.listeners.iter().map(|l| l.address).collect::<Vec<_>>(), "portvakt ready");
        loop {
            tokio::select! {
                _ = async { match hup.as_mut() { Some(h) => { h.recv().await; } None => std::future::pending::<()>().await } } => {
                    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Reloading]);
                    self.reload();
                    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
                }
                _ = async { match usr2.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending::<()>().await } } => {
                    if let Some(p) = &self.process {
                        p.clone().start_upgrade().await;
                    }
                }
                _ = shutdown.changed() => {
                    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
                    return;
                }
            }
        }
    }
}
