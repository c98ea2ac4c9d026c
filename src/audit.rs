//! The audit trail: a typed [`AuditEvent`] emitted by domain code, written as one JSON object per line to its own
//! file (`[audit] file`) or to the systemd journal under its own identifier (`[audit] journal = true`,
//! `SYSLOG_IDENTIFIER=portvakt-audit`). docs/audit.md documents every event and field.
//!
//! Emitting is one line: `audit::emit(AuditEvent::...)`. The request's facts (client address, zone, service,
//! request id) come from the [`Scope`] the gateway opens around each request, so domain code does not carry them.
//! Every event is also counted in [`crate::metrics`], with or without an audit file.
//!
//! Writing never blocks the runtime: the line is serialised on the caller's thread and handed to a writer thread
//! through a bounded channel of [`QUEUE`] lines. When the channel is full (the disk or journal stalls), the event is
//! dropped, counted in `portvakt_audit_events_dropped_total` and reported in the log; the request goes on.
//!
//! What never appears in an event: passwords, one-time codes, session IDs or cookies (only a short hash prefix of
//! the session's store key), tokens, eID person identifiers, phone numbers and e-mail addresses.

use crate::methods::{Assurance, Method};
use crate::metrics::{self, Metrics, Name};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use toml::Spanned;

/// Lines the writer may fall behind by before events are dropped.
pub const QUEUE: usize = 8192;

/// The journal identifier of audit events (`journalctl -t portvakt-audit`).
pub const JOURNAL_IDENTIFIER: &str = "portvakt-audit";

/// How an event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It happened / was accepted.
    Success,
    /// It was refused (wrong password, wrong code, a limit, a policy).
    Failure,
    /// It could not be decided (a store, directory, provider or delivery failed).
    Error,
}

impl Outcome {
    /// The word in the `outcome` field and the `result` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => metrics::result::SUCCESS,
            Outcome::Failure => metrics::result::FAILURE,
            Outcome::Error => metrics::result::ERROR,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// No request within the idle timeout.
    Idle,
    /// The absolute lifetime passed.
    Absolute,
    /// The user logged out.
    Logout,
    /// Ended by the gateway: the account is gone or disabled, an eID unlink, a provider's front-channel logout.
    Revoked,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::Idle => "idle",
            EndReason::Absolute => "absolute",
            EndReason::Logout => "logout",
            EndReason::Revoked => "revoked",
        }
    }
}

/// An account change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The SMS numbers were changed.
    Phones,
    /// An eID was linked.
    EidLink,
    /// The eID link was removed.
    EidUnlink,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Phones => "phones",
            Change::EidLink => "eid_link",
            Change::EidUnlink => "eid_unlink",
        }
    }
}

/// Who an event is about: user name and realm (never a password, number or person ID).
#[derive(Debug, Clone, Copy, Default)]
pub struct Who<'a> {
    /// User name as typed or as the directory knows it.
    pub user: Option<&'a str>,
    /// Realm (directory) name.
    pub realm: Option<&'a str>,
    /// The session's store key, written as a short hash prefix.
    pub session: Option<&'a crate::store::Key>,
}

impl<'a> Who<'a> {
    /// A user in a realm.
    pub fn user(user: &'a str, realm: &'a str) -> Who<'a> {
        Who { user: Some(user), realm: Some(realm), session: None }
    }

    /// The same, with the session.
    pub fn with_session(self, key: &'a crate::store::Key) -> Who<'a> {
        Who { session: Some(key), ..self }
    }
}

/// Everything the audit trail records. Reasons are fixed words (`wrong_password`, `locked`, ...).
#[derive(Debug, Clone)]
pub enum AuditEvent<'a> {
    /// A login step with one factor: password, a one-time code (sms/email) or eID.
    Login {
        /// Which factor.
        method: Method,
        /// Accepted, refused or undecided.
        outcome: Outcome,
        /// Why it was refused or failed.
        reason: Option<&'static str>,
        /// Who.
        who: Who<'a>,
    },
    /// A one-time code was sent (or refused by a limit, or its delivery failed).
    CodeSent {
        /// `sms` or `email`.
        channel: &'static str,
        /// Sent, refused, or delivery failed.
        outcome: Outcome,
        /// The limit or failure.
        reason: Option<&'static str>,
        /// Who.
        who: Who<'a>,
    },
    /// The result of an eID login at the provider, with the assurance it proved.
    Eid {
        /// Provider name from the config.
        provider: &'a str,
        /// Verified, refused, or the provider failed.
        outcome: Outcome,
        /// Why.
        reason: Option<&'static str>,
        /// The assurance level proved (none when refused).
        assurance: Assurance,
        /// The account it maps to, when known.
        who: Who<'a>,
        /// The account was read from its last-known directory entry (the directory did not answer); written as
        /// `"from_snapshot": true` in `detail`, with reason `directory_unavailable`.
        from_snapshot: bool,
    },
    /// A session was created after a complete login.
    SessionCreated {
        /// The methods proved.
        methods: &'a str,
        /// Who.
        who: Who<'a>,
    },
    /// A session ended.
    SessionEnded {
        /// Why.
        reason: EndReason,
        /// Who.
        who: Who<'a>,
    },
    /// A lockout began: too many failures for an account, an address, or a code.
    Lockout {
        /// `account`, `address` or `code_tries`.
        limit: &'static str,
        /// Who (the user name as typed for password lockouts).
        who: Who<'a>,
    },
    /// A request was refused by a send or rate limit.
    RateLimited {
        /// The limit's name.
        limit: &'static str,
        /// Who.
        who: Who<'a>,
    },
    /// A policy denied a request to a service.
    PolicyDenied {
        /// The service.
        service: &'a str,
        /// The rule that decided (`builtin:zone-login` for the built-in rule).
        rule: &'a str,
        /// `zone`, `closed`, `rule` or `no_access`.
        kind: &'static str,
        /// Who.
        who: Who<'a>,
    },
    /// An account's SMS numbers or eID link changed (or a change was refused).
    AccountChanged {
        /// What changed.
        change: Change,
        /// Changed or refused.
        outcome: Outcome,
        /// Why it was refused.
        reason: Option<&'static str>,
        /// Whose account.
        who: Who<'a>,
    },
    /// Users files, policies and certificates were reloaded (SIGHUP), or the policy directory changed.
    Reload {
        /// `config` (SIGHUP: users files, policies, certificates) or `policies` (a policy file changed).
        what: &'static str,
        /// Loaded, or refused (the previous version keeps serving).
        outcome: Outcome,
        /// Policy rules in force afterwards.
        rules: Option<usize>,
    },
}

/// One audit line. Every field is always present (null where it does not apply), so a SIEM sees one schema.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// Event name: `login`, `code_sent`, `eid`, `session_created`, `session_ended`, `lockout`, `rate_limited`,
    /// `policy_denied`, `account_changed`, `reload`.
    pub event: String,
    /// `success`, `failure` or `error`.
    pub outcome: String,
    /// Why (a fixed word), or null.
    pub reason: Option<String>,
    /// User name, or null.
    pub user: Option<String>,
    /// Realm, or null.
    pub realm: Option<String>,
    /// First 12 hex digits of a hash of the session's store key, or null.
    pub session: Option<String>,
    /// Client address as the gateway believed it (trusted proxies applied), or null.
    pub client: Option<String>,
    /// Zone of the request, or null.
    pub zone: Option<String>,
    /// Login method (`password`, `sms`, `email`, `eid`), or the methods of a new session, or null.
    pub method: Option<String>,
    /// Service, or null.
    pub service: Option<String>,
    /// Policy rule, or null.
    pub rule: Option<String>,
    /// The request's id (also in the gateway's log), or null outside a request.
    pub request_id: Option<String>,
    /// The gateway instance (`[audit] instance`, default the host name).
    pub instance: String,
    /// Event details: `channel`, `provider`, `assurance`, `limit`, `change`, `what`, `rules`, `kind` as they apply.
    pub detail: serde_json::Map<String, serde_json::Value>,
}

/// A session key as it appears in the audit trail: 12 hex digits of SHA-256("portvakt-audit" ‖ key).
pub fn session_tag(key: &crate::store::Key) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"portvakt-audit");
    h.update(key.0);
    let d = h.finalize();
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The facts of the request an event happens in.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// Request id (hex in the record).
    pub id: u64,
    /// When the request head arrived.
    pub start: Option<Instant>,
    /// Believed client address.
    pub client: Option<IpAddr>,
    /// Zone name.
    pub zone: Option<Arc<str>>,
    /// Service name, once routed.
    pub service: Option<Arc<str>>,
}

/// Request ids a thread reserves at once ([`Observer::request_id`]).
pub const REQUEST_ID_BLOCK: u64 = 1024;

/// The audit destination and metrics of one gateway, and its instance name.
#[derive(Debug)]
pub struct Observer {
    /// Metrics.
    pub metrics: Arc<Metrics>,
    instance: Arc<str>,
    sink: Option<SyncSender<Vec<u8>>>,
    dropped: AtomicU64,
    next_id: AtomicU64,
    /// Each thread's current block of request ids: (next, end).
    ids: thread_local::ThreadLocal<std::cell::Cell<(u64, u64)>>,
}

impl Observer {
    /// An observer writing to `settings` (nothing with `None`); starts the writer thread.
    pub fn new(metrics: Arc<Metrics>, settings: &AuditSettings) -> std::io::Result<Observer> {
        let sink = match &settings.sink {
            AuditSink::None => None,
            sink => Some(start_writer(sink.clone())?),
        };
        // Request ids are unique per process start: a random high half, a counter below.
        let seed = u64::from(rand::random::<u32>()) << 32;
        Ok(Observer {
            metrics,
            instance: Arc::from(settings.instance.as_str()),
            sink,
            dropped: AtomicU64::new(0),
            next_id: AtomicU64::new(seed),
            ids: thread_local::ThreadLocal::new(),
        })
    }

    /// An observer that counts but writes nothing (tests, `explain`).
    pub fn metrics_only(metrics: Arc<Metrics>) -> Observer {
        Observer {
            metrics,
            instance: Arc::from("portvakt"),
            sink: None,
            dropped: AtomicU64::new(0),
            next_id: AtomicU64::new(0),
            ids: thread_local::ThreadLocal::new(),
        }
    }

    /// A fresh request id, unique in this process. Each worker thread takes ids from a block of
    /// [`REQUEST_ID_BLOCK`] it reserved, so a request writes no counter the other threads write (docs/BENCHMARKS.md,
    /// session 12, finding 58); ids are unique, not in the order requests arrived across threads.
    pub fn request_id(&self) -> u64 {
        let block = self.ids.get_or(|| std::cell::Cell::new((0, 0)));
        let (mut next, mut end) = block.get();
        if next == end {
            next = self.next_id.fetch_add(REQUEST_ID_BLOCK, Ordering::Relaxed);
            end = next.wrapping_add(REQUEST_ID_BLOCK);
        }
        block.set((next.wrapping_add(1), end));
        next
    }

    /// Counts an event and writes its line, with the facts of the request it happened in.
    pub fn emit(&self, ev: &AuditEvent<'_>, req: Option<&RequestFacts>) {
        self.count(ev, req);
        let Some(tx) = &self.sink else { return };
        let rec = self.record(ev, req);
        let Ok(mut line) = serde_json::to_vec(&rec) else { return };
        line.push(b'\n');
        match tx.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.metrics.audit_dropped.inc();
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::error!(dropped = n, "audit writer is behind or gone: audit events dropped");
                }
            }
        }
    }

    fn count(&self, ev: &AuditEvent<'_>, req: Option<&RequestFacts>) {
        let m = &self.metrics;
        let zone = || Name(req.and_then(|r| r.zone.clone()).unwrap_or_else(|| Arc::from("none")));
        match ev {
            AuditEvent::Login { method, outcome, .. } => {
                let (method, result) = (method.as_str(), outcome.as_str());
                m.logins.get_or_create(&metrics::LoginLabels { method, zone: zone(), result }).inc();
                if let Some(start) = req.and_then(|r| r.start) {
                    m.login_duration
                        .get_or_create(&metrics::MethodResult { method, result })
                        .observe(start.elapsed().as_secs_f64());
                }
            }
            AuditEvent::CodeSent { channel, outcome, .. } => {
                m.codes_sent.get_or_create(&metrics::ChannelResult { channel, result: outcome.as_str() }).inc();
            }
            AuditEvent::Eid { provider, outcome, .. } => {
                let result = outcome.as_str();
                m.logins.get_or_create(&metrics::LoginLabels { method: "eid", zone: zone(), result }).inc();
                if *outcome == Outcome::Error {
                    m.eid_errors
                        .get_or_create(&metrics::ProviderLabels { provider: Name::from(*provider), kind: "login" })
                        .inc();
                }
            }
            AuditEvent::SessionCreated { .. } => {
                m.sessions_created.inc();
            }
            AuditEvent::SessionEnded { reason, .. } => {
                m.sessions_ended.get_or_create(&metrics::ReasonLabel { reason: reason.as_str() }).inc();
            }
            AuditEvent::Lockout { limit, .. } => {
                m.lockouts.get_or_create(&metrics::LimitLabel { limit }).inc();
            }
            AuditEvent::RateLimited { limit, .. } => {
                m.rate_limited.get_or_create(&metrics::LimitLabel { limit }).inc();
            }
            AuditEvent::PolicyDenied { service, kind, .. } => {
                let service = req.and_then(|r| r.service.clone()).map(Name).unwrap_or_else(|| Name::from(*service));
                m.denials.get_or_create(&metrics::DenialLabels { zone: zone(), service, kind }).inc();
            }
            AuditEvent::AccountChanged { change, outcome, .. } => {
                if *outcome == Outcome::Success {
                    m.account_changes.get_or_create(&metrics::ChangeLabel { change: change.as_str() }).inc();
                }
            }
            AuditEvent::Reload { outcome, rules, .. } => {
                m.reloads.get_or_create(&metrics::ResultLabel { result: outcome.as_str() }).inc();
                if let Some(n) = rules {
                    m.policy_rules.set(i64::try_from(*n).unwrap_or(i64::MAX));
                }
            }
        }
    }

    /// The line an event is written as.
    pub fn record(&self, ev: &AuditEvent<'_>, req: Option<&RequestFacts>) -> Record {
        use serde_json::Value;
        let mut detail = serde_json::Map::new();
        let mut put = |k: &str, v: Value| {
            detail.insert(k.to_string(), v);
        };
        let s = |v: &str| Value::String(v.to_string());
        type Parts<'w> =
            (&'w str, Outcome, Option<&'w str>, Who<'w>, Option<&'w str>, Option<&'w str>, Option<&'w str>);
        let (event, outcome, reason, who, method, service, rule): Parts<'_> = match ev {
            AuditEvent::Login { method, outcome, reason, who } => {
                ("login", *outcome, *reason, *who, Some(method.as_str()), None, None)
            }
            AuditEvent::CodeSent { channel, outcome, reason, who } => {
                put("channel", s(channel));
                ("code_sent", *outcome, *reason, *who, Some(channel), None, None)
            }
            AuditEvent::Eid { provider, outcome, reason, assurance, who, from_snapshot } => {
                put("provider", s(provider));
                put("assurance", s(assurance.as_str()));
                if *from_snapshot {
                    put("from_snapshot", Value::Bool(true));
                }
                ("eid", *outcome, *reason, *who, Some("eid"), None, None)
            }
            AuditEvent::SessionCreated { methods, who } => {
                ("session_created", Outcome::Success, None, *who, Some(methods), None, None)
            }
            AuditEvent::SessionEnded { reason, who } => {
                ("session_ended", Outcome::Success, Some(reason.as_str()), *who, None, None, None)
            }
            AuditEvent::Lockout { limit, who } => {
                put("limit", s(limit));
                ("lockout", Outcome::Failure, Some(limit), *who, None, None, None)
            }
            AuditEvent::RateLimited { limit, who } => {
                put("limit", s(limit));
                ("rate_limited", Outcome::Failure, Some(limit), *who, None, None, None)
            }
            AuditEvent::PolicyDenied { service, rule, kind, who } => {
                put("kind", s(kind));
                ("policy_denied", Outcome::Failure, Some(kind), *who, None, Some(service), Some(rule))
            }
            AuditEvent::AccountChanged { change, outcome, reason, who } => {
                put("change", s(change.as_str()));
                ("account_changed", *outcome, *reason, *who, None, None, None)
            }
            AuditEvent::Reload { what, outcome, rules } => {
                put("what", s(what));
                if let Some(n) = rules {
                    put("rules", Value::from(*n));
                }
                ("reload", *outcome, None, Who::default(), None, None, None)
            }
        };
        let service = service.map(str::to_string).or_else(|| req.and_then(|r| r.service.as_deref().map(String::from)));
        Record {
            time: now_rfc3339(),
            event: event.to_string(),
            outcome: outcome.as_str().to_string(),
            reason: reason.map(String::from),
            user: who.user.map(String::from),
            realm: who.realm.filter(|r| !r.is_empty()).map(String::from),
            session: who.session.map(session_tag),
            client: req.and_then(|r| r.client).map(|c| c.to_string()),
            zone: req.and_then(|r| r.zone.as_deref().map(String::from)),
            method: method.map(String::from),
            service,
            rule: rule.map(String::from),
            request_id: req.map(|r| format!("{:016x}", r.id)),
            instance: self.instance.to_string(),
            detail,
        }
    }
}

fn now_rfc3339() -> String {
    let t: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The observer and facts of the request being handled, set by the gateway around each request.
#[derive(Debug)]
pub struct Scope {
    /// The gateway's observer, behind an `Arc` of the worker thread's own (see `gateway::State::thread_observer`).
    pub observer: Arc<Arc<Observer>>,
    /// The request's facts, filled in as the gateway learns them.
    pub facts: RefCell<RequestFacts>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// Runs `f` with `scope` as the current request's scope.
pub async fn scoped<F: std::future::Future>(scope: Scope, f: F) -> F::Output {
    SCOPE.scope(scope, f).await
}

/// Changes the current request's facts (no-op outside a request).
pub fn update(f: impl FnOnce(&mut RequestFacts)) {
    let _ = SCOPE.try_with(|s| f(&mut s.facts.borrow_mut()));
}

/// Emits an event in the current request (counted and written); outside a request it is dropped, so domain code
/// called from tools and unit tests needs no observer.
pub fn emit(ev: AuditEvent<'_>) {
    let _ = SCOPE.try_with(|s| {
        let facts = s.facts.borrow();
        s.observer.emit(&ev, Some(&facts));
    });
}

/// Emits an event in the current request if there is one, else through `observer` without request facts (work a
/// request started that runs on after it, such as ending sessions after a front-channel logout).
pub fn emit_or(observer: &Observer, ev: &AuditEvent<'_>) {
    let in_request = SCOPE
        .try_with(|s| {
            let facts = s.facts.borrow();
            s.observer.emit(ev, Some(&facts));
        })
        .is_ok();
    if !in_request {
        observer.emit(ev, None);
    }
}

/// Problems in a config section, each at the byte range of the file it refers to (where one applies).
pub type ConfigProblems = Vec<(Option<std::ops::Range<usize>>, String)>;

/// `[audit]` as written in the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAudit {
    /// A file the JSON lines are appended to (created 0600 if missing; reopened when logrotate moves it).
    pub file: Option<Spanned<String>>,
    /// `true`: send the lines to the systemd journal as `portvakt-audit`.
    pub journal: Option<Spanned<bool>>,
    /// The journal's socket (default `/run/systemd/journal/socket`).
    pub journal_socket: Option<Spanned<String>>,
    /// The `instance` field (default: the host name).
    pub instance: Option<Spanned<String>>,
}

/// Where audit lines go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AuditSink {
    /// Nowhere (no `[audit]` section): events are still counted in the metrics.
    #[default]
    None,
    /// Appended to a file.
    File(PathBuf),
    /// Sent to the journal over its native socket.
    Journal(PathBuf),
}

/// Validated `[audit]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditSettings {
    /// Destination.
    pub sink: AuditSink,
    /// The `instance` field.
    pub instance: String,
}

/// The journal's native socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// Validates `[audit]`; problems come back with the byte range they refer to.
pub fn validate(f: Option<&FileAudit>, resolve: &dyn Fn(&str) -> PathBuf) -> (AuditSettings, ConfigProblems) {
    let mut problems = Vec::new();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "portvakt".into());
    let Some(f) = f else { return (AuditSettings { sink: AuditSink::None, instance: host }, problems) };
    let instance = match &f.instance {
        Some(i) if i.get_ref().trim().is_empty() || i.get_ref().len() > 64 => {
            problems.push((Some(i.span()), "instance must be 1 to 64 characters".to_string()));
            host
        }
        Some(i) => i.get_ref().clone(),
        None => host,
    };
    let journal = f.journal.as_ref().is_some_and(|j| *j.get_ref());
    let sink = match (&f.file, journal) {
        (Some(file), true) => {
            problems.push((Some(file.span()), "set either file or journal = true in [audit], not both".to_string()));
            AuditSink::None
        }
        (Some(file), false) => {
            let p = resolve(file.get_ref());
            match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
                    problems.push((
                        Some(file.span()),
                        format!(
                            "the directory {} does not exist: create it (owned by the portvakt user)",
                            dir.display()
                        ),
                    ));
                }
                _ => {}
            }
            AuditSink::File(p)
        }
        (None, true) => AuditSink::Journal(
            f.journal_socket.as_ref().map(|s| PathBuf::from(s.get_ref())).unwrap_or_else(|| JOURNAL_SOCKET.into()),
        ),
        (None, false) => {
            let at = f.journal.as_ref().map(|j| j.span());
            problems.push((at, "[audit] needs file = \"/var/log/portvakt/audit.jsonl\" or journal = true".to_string()));
            AuditSink::None
        }
    };
    if let (Some(s), false) = (&f.journal_socket, journal) {
        problems.push((Some(s.span()), "journal_socket applies only with journal = true".to_string()));
    }
    (AuditSettings { sink, instance }, problems)
}

/// Starts the writer thread for a sink and returns its channel.
fn start_writer(sink: AuditSink) -> std::io::Result<SyncSender<Vec<u8>>> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(QUEUE);
    match sink {
        AuditSink::None => {}
        AuditSink::File(path) => {
            let file = open_append(&path)?;
            std::thread::Builder::new().name("audit writer".into()).spawn(move || write_file(rx, path, file))?;
        }
        AuditSink::Journal(socket) => {
            let sock = std::os::unix::net::UnixDatagram::unbound()?;
            std::thread::Builder::new().name("audit writer".into()).spawn(move || write_journal(rx, sock, socket))?;
        }
    }
    Ok(tx)
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)
}

/// Appends lines; flushes when the queue is empty; reopens the file when it was moved or removed (logrotate).
fn write_file(rx: Receiver<Vec<u8>>, path: PathBuf, file: std::fs::File) {
    use std::os::unix::fs::MetadataExt;
    let mut out = std::io::BufWriter::new(file);
    let mut checked = Instant::now();
    loop {
        let line = match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(l) => Some(l),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                let _ = out.flush();
                return;
            }
        };
        if let Some(l) = line {
            if let Err(e) = out.write_all(&l) {
                tracing::error!(path = %path.display(), error = %e, "audit line not written");
            }
            if let Ok(more) = rx.try_recv() {
                let _ = out.write_all(&more);
                continue;
            }
        }
        let _ = out.flush();
        if checked.elapsed() >= Duration::from_secs(1) {
            checked = Instant::now();
            let current = out.get_ref().metadata().map(|m| (m.dev(), m.ino())).ok();
            let on_disk = std::fs::metadata(&path).map(|m| (m.dev(), m.ino())).ok();
            if on_disk.is_none() || on_disk != current {
                match open_append(&path) {
                    Ok(f) => out = std::io::BufWriter::new(f),
                    Err(e) => tracing::error!(path = %path.display(), error = %e, "audit file could not be reopened"),
                }
            }
        }
    }
}

/// Sends each line as one journal entry (native protocol: `KEY=value` lines in one datagram).
fn write_journal(rx: Receiver<Vec<u8>>, sock: std::os::unix::net::UnixDatagram, socket: PathBuf) {
    let mut warned = false;
    while let Ok(mut line) = rx.recv() {
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let mut msg = Vec::with_capacity(line.len() + 64);
        msg.extend_from_slice(b"SYSLOG_IDENTIFIER=");
        msg.extend_from_slice(JOURNAL_IDENTIFIER.as_bytes());
        msg.extend_from_slice(b"\nPRIORITY=6\nMESSAGE=");
        msg.extend_from_slice(&line);
        msg.push(b'\n');
        if let Err(e) = sock.send_to(&msg, &socket) {
            if !warned {
                warned = true;
                tracing::error!(socket = %socket.display(), error = %e, "audit event not sent to the journal");
            }
        } else {
            warned = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line goes to the journal socket as one datagram with the audit identifier and the JSON as MESSAGE.
    #[test]
    fn journal_datagram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sock");
        let server = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        let metrics = Arc::new(Metrics::new(&[], &[]));
        let settings = AuditSettings { sink: AuditSink::Journal(path), instance: "gw1".into() };
        let obs = Observer::new(metrics, &settings).unwrap();
        obs.emit(&AuditEvent::Reload { what: "policies", outcome: Outcome::Success, rules: Some(3) }, None);
        server.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = vec![0u8; 4096];
        let n = server.recv(&mut buf).unwrap();
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(text.starts_with("SYSLOG_IDENTIFIER=portvakt-audit\nPRIORITY=6\nMESSAGE={"), "{text}");
        let json = text.lines().find_map(|l| l.strip_prefix("MESSAGE=")).unwrap();
        let rec: Record = serde_json::from_str(json).unwrap();
        assert_eq!((rec.event.as_str(), rec.instance.as_str()), ("reload", "gw1"));
    }

    /// Request ids taken on two threads at once are all distinct, and the counter both threads share is written
    /// once per block of ids, not once per request.
    #[test]
    fn request_ids_are_unique_and_taken_in_blocks_per_thread() {
        let obs = Observer::metrics_only(Arc::new(Metrics::new(&[], &[])));
        let both = std::sync::Barrier::new(2);
        let ids: Vec<u64> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (obs, both) = (&obs, &both);
                    s.spawn(move || {
                        let ids: Vec<u64> = (0..2000).map(|_| obs.request_id()).collect();
                        both.wait();
                        ids
                    })
                })
                .collect();
            threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
        });
        let distinct: std::collections::HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), 4000);
        // Two blocks of 1024 per thread: the shared counter moved four times.
        assert_eq!(obs.next_id.load(Ordering::Relaxed), 4 * REQUEST_ID_BLOCK);
    }
}
