//! The gateway: pingora's `ProxyHttp` for one listener, over state shared by all listeners.
//!
//! Every request is classified (client address, zone), then either answered by the gateway itself (anything under
//! `/.portvakt/`, redirects to login or step-up, denials) in `request_filter`, or forwarded to its service with the
//! client's identity look-alikes ([`headers`]: `X-Portvakt-*`, `Remote-User`, `X-Forwarded-*`, ...) and our cookies
//! removed, one Content-Length, and the identity headers and assertion added.

pub mod extract;
pub mod handler;
pub mod handlers;
pub use crate::forwarding as headers;
pub mod http;
pub mod reply;
pub mod routes;
pub mod routing;
pub mod snapshots;
pub mod upstream;

use crate::access::{self, Decision, Denial, DenyKind, Facts};
use crate::assertion::{Claims, SigningKey};
use crate::clock::SharedClock;
use crate::config::{Config, ListenerSettings};
use crate::directory::SharedDirectory;
use crate::pages::{Lang, Msg, RealmChoice, Text};
use crate::session::{Invalid, SessionId, SessionRecord, Sessions};
use crate::zones::{ClientAddr, PeerAddr, Zone, ZoneTable};
use async_trait::async_trait;
use pingora::prelude::*;
use pingora::proxy::{FailToProxy, ProxyHttp, Session};
use pingora_http::{RequestHeader, ResponseHeader};
use reply::Reply;
use std::collections::HashSet;
use std::sync::Arc;
use upstream::Upstreams;

/// The prefix every gateway page lives under; never proxied.
pub const RESERVED_PREFIX: &str = "/.portvakt/";

/// Everything the listeners share: config, zones, routes, directories, sessions, signing key, clock.
#[derive(Debug)]
pub struct State {
    /// Validated config.
    pub cfg: Config,
    /// Zones and trusted proxies.
    pub zones: ZoneTable,
    /// Service routing.
    pub router: routing::Router,
    /// Backends per service (same order as `cfg.services`).
    pub upstreams: Vec<Arc<Upstreams>>,
    /// Directories, the first being the default realm.
    pub directories: Vec<SharedDirectory>,
    /// Sessions.
    pub sessions: Sessions,
    /// Assertion signing key.
    pub key: SigningKey,
    /// Time source.
    pub clock: SharedClock,
    /// Host names that belong to the gateway (valid redirect targets).
    pub own_hosts: HashSet<String>,
    /// Realms for the login form.
    pub realms: Vec<RealmChoice>,
    /// Content-Security-Policy for gateway pages.
    pub csp: String,
    /// Failed-login regulation.
    pub regulator: crate::regulation::Regulator,
    /// Access decisions (policies or the built-in rule).
    pub access: crate::access::Access,
    /// Signed assertions reused within half their lifetime.
    pub assertions: crate::assertion_cache::AssertionCache,
    /// One-time codes.
    pub second_factor: crate::second_factor::SecondFactor,
    /// Self-registered numbers and eID links.
    pub accounts: Arc<dyn crate::account::AccountStore>,
    /// The stores behind sessions, codes, flows, regulation and limits (readiness probes them).
    pub stores: crate::store::Stores,
    /// The store keys (sealing, MACs); the TLS session ticket keys derive from them ([`crate::tls`]).
    pub secrets: Arc<crate::store::seal::Secrets>,
    /// E-mail delivery, if configured.
    pub email: Option<Arc<dyn crate::notify::EmailSender>>,
    /// SMS delivery, if configured.
    pub sms: Option<Arc<dyn crate::notify::SmsSender>>,
    /// eID login (no providers: disabled).
    pub eid: crate::eid::Eid,
    /// Metrics and the audit trail.
    pub observer: Arc<crate::audit::Observer>,
    /// The observer as each worker thread's audit scopes hold it: cloning a thread's own outer `Arc` writes no
    /// reference count the other threads write (docs/BENCHMARKS.md, session 12, finding 58).
    pub thread_observer: thread_local::ThreadLocal<Arc<Arc<crate::audit::Observer>>>,
    /// Page language when neither the language cookie nor Accept-Language names one of ours.
    pub default_lang: Lang,
    /// The stylesheet, with the configured primary colour.
    pub stylesheet: bytes::Bytes,
    /// The favicon: the configured one, or Portvakt's own.
    pub favicon: crate::branding::Image,
    /// Portvakt's own mark, served as the logo when none is configured.
    pub default_logo: crate::branding::Image,
    /// What every page shows around its content: name, logo, favicon, footer links, support.
    pub chrome: crate::pages::Chrome,
}

/// Delivery and storage a [`State`] is built with.
#[derive(Debug, Clone)]
pub struct Services {
    /// The stores of the configured backend.
    pub stores: crate::store::Stores,
    /// Keys one-time codes are MACed with.
    pub secrets: Arc<crate::store::seal::Secrets>,
    /// E-mail delivery, if configured.
    pub email: Option<Arc<dyn crate::notify::EmailSender>>,
    /// SMS delivery, if configured.
    pub sms: Option<Arc<dyn crate::notify::SmsSender>>,
    /// Metrics and the audit trail.
    pub observer: Arc<crate::audit::Observer>,
}

impl State {
    /// Builds shared state from a config and its dependencies.
    pub fn new(
        cfg: Config,
        directories: Vec<SharedDirectory>,
        sessions: Sessions,
        key: SigningKey,
        clock: SharedClock,
        services: Services,
        access: crate::access::Access,
    ) -> State {
        let zones = ZoneTable::new(&cfg.zones, cfg.remote_login, &cfg.trusted_proxies);
        let router = routing::Router::new(&cfg.services);
        let upstreams = cfg.services.iter().map(|s| Arc::new(Upstreams::new(s.upstreams.clone()))).collect();
        let own_hosts: HashSet<String> =
            cfg.server.hosts.iter().cloned().chain(cfg.services.iter().flat_map(|s| s.hosts.iter().cloned())).collect();
        let realms = directories
            .iter()
            .map(|d| RealmChoice { name: d.name().to_string(), title: d.title().to_string() })
            .collect();
        let mut form_action = String::from("'self'");
        for h in &own_hosts {
            form_action.push_str(&format!(" https://{h} http://{h}"));
        }
        // Logout is a form POST answered by a redirect to the provider's end-session endpoint, which
        // form-action also governs.
        for p in &cfg.eid.providers {
            if let Ok(u) = url::Url::parse(&p.issuer) {
                form_action.push(' ');
                form_action.push_str(&u.origin().ascii_serialization());
            }
        }
        let csp = format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
        );
        let stores = services.stores;
        let regulator = crate::regulation::Regulator::new(
            stores.regulation.clone(),
            clock.clone(),
            cfg.login.per_account,
            cfg.login.per_address,
        );
        let second_factor = crate::second_factor::SecondFactor::new(
            stores.challenges.clone(),
            stores.rate_limits.clone(),
            services.secrets.clone(),
            clock.clone(),
            cfg.second_factor.clone(),
        );
        let public_url = cfg.server.public_url.as_ref().map(|u| u.as_str().to_string()).unwrap_or_default();
        let flows = crate::eid::flow::Flows::new(stores.flows.clone(), clock.clone());
        let eid = crate::eid::Eid::new(&cfg.eid, &public_url, flows, clock.clone());
        let default_lang = cfg.branding.default_language.as_deref().and_then(Lang::from_code).unwrap_or(Lang::En);
        let stylesheet = crate::pages::stylesheet(cfg.branding.primary_color.as_deref()).into();
        let favicon = cfg.branding.favicon.clone().unwrap_or_else(crate::pages::default_favicon);
        let chrome = crate::pages::Chrome::new(&cfg.branding, cfg.support.as_ref(), &favicon);
        State {
            chrome,
            default_lang,
            stylesheet,
            favicon,
            default_logo: crate::pages::default_favicon(),
            observer: services.observer,
            thread_observer: thread_local::ThreadLocal::new(),
            eid,
            second_factor,
            accounts: stores.accounts.clone(),
            stores,
            secrets: services.secrets,
            email: services.email,
            sms: services.sms,
            regulator,
            assertions: Default::default(),
            access,
            cfg,
            zones,
            router,
            upstreams,
            directories,
            sessions,
            key,
            clock,
            own_hosts,
            realms,
            csp,
        }
    }

    /// The directory for a realm name, or the first one.
    pub fn directory(&self, realm: Option<&str>) -> Option<&SharedDirectory> {
        match realm {
            Some(r) if !r.is_empty() => self.directories.iter().find(|d| d.name() == r),
            _ => self.directories.first(),
        }
    }
}

/// Cookie names for one listener (prefixed on HTTPS).
#[derive(Debug, Clone)]
pub struct CookieNames {
    /// Session cookie.
    pub session: String,
    /// Pre-login CSRF cookie.
    pub csrf: String,
    /// Binds an eID login to the browser that started it.
    pub eid: String,
    /// Holds a verified eID while it is being linked.
    pub link: String,
    /// The language the user chose with the language switcher.
    pub lang: Arc<str>,
    /// Every name any listener may use, stripped before forwarding.
    pub all: Vec<String>,
}

impl CookieNames {
    /// Names for a listener: `__Host-` on HTTPS (or `__Secure-` with a cookie domain), bare on plain HTTP.
    pub fn new(base: &str, https: bool, domain: bool) -> CookieNames {
        let prefix = match (https, domain) {
            (false, _) => "",
            (true, false) => "__Host-",
            (true, true) => "__Secure-",
        };
        let all = ["", "__Host-", "__Secure-"]
            .iter()
            .flat_map(|p| {
                [
                    format!("{p}{base}"),
                    format!("{p}{base}-csrf"),
                    format!("{p}{base}-eid"),
                    format!("{p}{base}-link"),
                    format!("{p}{base}-lang"),
                ]
            })
            .collect();
        CookieNames {
            session: format!("{prefix}{base}"),
            csrf: format!("{prefix}{base}-csrf"),
            eid: format!("{prefix}{base}-eid"),
            link: format!("{prefix}{base}-link"),
            lang: format!("{prefix}{base}-lang").into(),
            all,
        }
    }
}

/// The `ProxyHttp` for one listener.
#[derive(Debug)]
pub struct Gateway {
    /// Shared state.
    pub state: Arc<State>,
    /// This listener's settings.
    pub listener: ListenerSettings,
    /// Cookie names on this listener.
    pub cookies: CookieNames,
}

impl Gateway {
    /// A gateway for one listener.
    pub fn new(state: Arc<State>, listener: ListenerSettings) -> Gateway {
        let cookies = CookieNames::new(
            &state.cfg.session.cookie_name,
            listener.is_https(),
            state.cfg.session.cookie_domain.is_some(),
        );
        Gateway { state, listener, cookies }
    }

    /// The eID buttons for a page in `lang` shown to this request: the providers usable from its zone, each with
    /// its label in that language.
    pub fn eid_buttons(&self, ctx: &Ctx, lang: Lang) -> Vec<crate::pages::eid::ProviderButton> {
        let zone = ctx.zone.as_ref().map(|z| z.name.as_str());
        self.state
            .cfg
            .eid
            .providers
            .iter()
            .filter(|p| zone.is_some_and(|z| p.usable_in(z)))
            .map(|p| crate::pages::eid::ProviderButton {
                name: p.name.clone(),
                title: p.title_in(lang.code()).into(),
                level: None,
            })
            .collect()
    }

    /// Whether a host name (lower case, no port) belongs to the gateway: `[server] hosts`, the host of `public_url`,
    /// or a service's hosts. Never the request's own Host header, which the client chooses.
    pub fn is_own_host(&self, host: &str) -> bool {
        self.state.own_hosts.contains(host)
    }

    /// The `Set-Cookie` value for a session ID.
    pub fn session_cookie(&self, id: &SessionId) -> String {
        self.cookie_header(&self.cookies.session, id.as_str(), false)
    }

    /// A `Set-Cookie` value; `clear` expires it. `Secure` on HTTPS; the configured cookie domain only for the
    /// session cookie on HTTPS (the others are host-only).
    pub fn cookie_header(&self, name: &str, value: &str, clear: bool) -> String {
        let https = self.listener.is_https();
        let domain = match &self.state.cfg.session.cookie_domain {
            Some(d) if https && name == self.cookies.session => Some(d.as_str()),
            _ => None,
        };
        http::set_cookie(name, value, https, domain, clear)
    }

    /// The password login service over this gateway's directories and regulation.
    pub fn logins(&self) -> crate::services::login::PasswordLogin<'_> {
        crate::services::login::PasswordLogin { directories: &self.state.directories, regulator: &self.state.regulator }
    }

    /// The code sending service over this gateway's code step and senders.
    pub fn codes(&self) -> crate::services::codes::CodeSender<'_> {
        crate::services::codes::CodeSender {
            second_factor: &self.state.second_factor,
            sms: self.state.sms.as_ref(),
            email: self.state.email.as_ref(),
        }
    }

    /// The eID linking service.
    pub fn eid_linking(&self) -> crate::services::eid_link::EidLinking<'_> {
        crate::services::eid_link::EidLinking {
            institutions: &self.state.cfg.institutions,
            directories: &self.state.directories,
            accounts: &*self.state.accounts,
            eid: &self.state.eid,
            codes: self.codes(),
            clock: &self.state.clock,
        }
    }

    /// Ends the session this request presents, if it is live: a new login never upgrades an old session.
    pub async fn end_current_session(&self, req: &RequestHeader, ctx: &Ctx) -> Result<()> {
        if let Ok((old, rec)) = self.current_session(req, ctx).await? {
            let _ = self.end_session(&old, &rec, crate::services::sessions::End::Replaced).await;
        }
        ctx.set_page_user(None);
        Ok(())
    }

    /// Ends one session through the sessions service (store, log, audit event); returns the `Set-Cookie` value
    /// that clears the session cookie when this end clears it ([`crate::services::sessions::End::clears_cookie`]).
    pub async fn end_session(
        &self,
        id: &SessionId,
        rec: &SessionRecord,
        why: crate::services::sessions::End,
    ) -> std::result::Result<Option<String>, crate::session::StoreError> {
        crate::services::sessions::end(&self.state.sessions, id, rec, why).await?;
        Ok(why.clears_cookie().then(|| self.clear_session_cookie()))
    }

    /// The `Set-Cookie` value that removes the session cookie from the browser.
    pub fn clear_session_cookie(&self) -> String {
        self.cookie_header(&self.cookies.session, "", true)
    }

    /// The access facts for a session asking for a service (or account action) now.
    pub fn facts<'a>(&self, zone: &'a Zone, rec: &'a SessionRecord, service: &'a str, path: &'a str) -> Facts<'a> {
        self.facts_at(zone, rec, service, path, self.state.clock.now())
    }

    /// The access facts at `at` (a proxied request's time, read once).
    pub fn facts_at<'a>(
        &self,
        zone: &'a Zone,
        rec: &'a SessionRecord,
        service: &'a str,
        path: &'a str,
        at: crate::clock::Instant,
    ) -> Facts<'a> {
        // One look-up by name for both settings (service names are unique: config validation refuses duplicates).
        let settings = self.state.cfg.service(service);
        let below_floor_allowed = settings.is_some_and(|s| s.allow_below_zone_floor.contains(&zone.name));
        let case_insensitive = settings.is_some_and(|s| s.path_rules.case_insensitive);
        Facts {
            below_floor_allowed,
            service,
            path,
            case_insensitive,
            zone,
            user: &rec.username,
            groups: &rec.groups,
            realm: &rec.realm,
            institution: rec.institution.as_deref(),
            methods: rec.methods,
            assurance: rec.assurance,
            at,
        }
    }

    /// The session presented by this request, validated (timeouts checked, activity recorded).
    /// The idle timeout follows the zone the request comes from now (policies may set a stricter one outside).
    pub async fn current_session(
        &self,
        req: &RequestHeader,
        ctx: &Ctx,
    ) -> Result<Result<(SessionId, Arc<SessionRecord>), Invalid>> {
        let Some(id) = http::cookie(req, &self.cookies.session).and_then(SessionId::parse) else {
            return Ok(Err(Invalid::Missing));
        };
        // Borrowed, not cloned: an `Arc` clone writes the zone's reference count, which both worker threads share.
        let zone: &Zone = ctx.zone.as_deref().unwrap_or_else(|| self.state.zones.remote());
        let default = self.state.cfg.session.idle_timeout;
        // The timeout this session is judged by is kept in ctx, so an idle logout can name it on the login page.
        let idle = |m| {
            let d = self.state.access.idle_timeout(&zone.name, m, default);
            ctx.idle_applied.store(d.as_secs(), std::sync::atomic::Ordering::Relaxed);
            d
        };
        let now = ctx.now(self.state.clock.as_ref());
        let r = crate::services::sessions::validate(&self.state.sessions, &id, &idle, now)
            .await
            .map_err(|e| Error::explain(HTTPStatus(503), format!("session store: {e}")))?;
        match r {
            Ok(rec) => {
                let rec = self.refresh_account(&id, rec, false).await?;
                // Kept for the header of an error page later in this request, which then needs no store call.
                ctx.set_page_user(rec.as_ref());
                Ok(rec.map(|rec| (id, rec)).ok_or(Invalid::Missing))
            }
            Err(why) => Ok(Err(why)),
        }
    }

    /// Checks the session's account in its directory again when the directory's refresh interval has passed since
    /// the last check (or always, with `force`, at step-up): a deleted or disabled account ends the session
    /// (`None`), changed groups, name and e-mail are stored. A directory that cannot answer is a 503, never a logout;
    /// a session started from a last-known entry (eID during an outage) is checked every
    /// [`SNAPSHOT_RECHECK`] instead and keeps working within the realm's `outage_grace` until the directory answers.
    pub async fn refresh_account(
        &self,
        id: &SessionId,
        mut rec: Arc<SessionRecord>,
        force: bool,
    ) -> Result<Option<Arc<SessionRecord>>> {
        let Some(dir) = self.state.directory(Some(&rec.realm)) else { return Ok(Some(rec)) };
        let Some(every) = dir.refresh_interval() else { return Ok(Some(rec)) };
        let now = self.state.clock.now();
        let due = if rec.from_snapshot.is_some() { every.min(SNAPSHOT_RECHECK) } else { every };
        if !force && now.since(rec.checked.unwrap_or(rec.created)) < due {
            return Ok(Some(rec));
        }
        let store_err = |e: crate::session::StoreError| Error::explain(HTTPStatus(503), format!("session store: {e}"));
        match dir.lookup(&rec.username).await {
            Ok(Some(u)) => {
                if u.groups != rec.groups {
                    tracing::info!(user = %rec.username, realm = %rec.realm, groups = %u.groups.join(","), "groups changed in the directory");
                }
                self.remember_entry(&u).await;
                // The shared record is copied only here, when the directory's answer changes it.
                let rec_mut = Arc::make_mut(&mut rec);
                rec_mut.groups = u.groups;
                rec_mut.institution = u.institution;
                rec_mut.directory_phones = u.phones;
                rec_mut.display_name = u.display_name;
                rec_mut.email = u.email;
                rec_mut.checked = Some(now);
                rec_mut.from_snapshot = None;
                rec_mut.last_seen = now;
                let kept = self.state.sessions.update(id, &rec).await.map_err(store_err)?;
                Ok(kept.then_some(rec))
            }
            Ok(None) | Err(crate::directory::DirectoryError::Refused { .. }) => {
                // Gone, or disabled (a lookup checks no password, so its only refusal is a disabled account).
                self.remember_refused(&rec.realm, &rec.username).await;
                let gone = crate::services::sessions::End::AccountGone;
                self.end_session(id, &rec, gone).await.map_err(store_err)?;
                Ok(None)
            }
            Err(e) => match rec.from_snapshot {
                Some(fetched) if now.since(fetched) < self.outage_grace(&rec.realm) => {
                    tracing::warn!(user = %rec.username, realm = %rec.realm, error = %e, "directory still unavailable: the session from the last-known entry goes on");
                    let rec_mut = Arc::make_mut(&mut rec);
                    rec_mut.checked = Some(now);
                    rec_mut.last_seen = now;
                    let kept = self.state.sessions.update(id, &rec).await.map_err(store_err)?;
                    Ok(kept.then_some(rec))
                }
                _ => Err(Error::explain(HTTPStatus(503), format!("directory: {e}"))),
            },
        }
    }
}

/// The future of a hook whose work is already done: zero-sized when it succeeded (its `Box` allocates nothing, as
/// pingora-proxy's patch 06 does for hooks left at their default), an allocated one carrying the error otherwise.
fn finished<'a>(r: Result<()>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>> {
    match r {
        Ok(()) => Box::pin(std::future::poll_fn(|_| std::task::Poll::Ready(Ok(())))),
        Err(e) => Box::pin(std::future::ready(Err(e))),
    }
}

/// How often a session started from a last-known directory entry asks its directory again (at most its refresh
/// interval), so it is refreshed soon after the directory answers without a lookup on every request.
pub const SNAPSHOT_RECHECK: std::time::Duration = std::time::Duration::from_secs(30);

/// The client's side of the connection failed (closed, reset, or a read or write on it failed): nothing can be
/// answered, and nothing is wrong with the gateway or the backend.
fn client_went_away(e: &Error) -> bool {
    *e.esource() == ErrorSource::Downstream && matches!(e.etype(), WriteError | ReadError | ConnectionClosed)
}

/// Per-request state.
#[derive(Default)]
pub struct Ctx {
    /// Believed client address.
    pub client: Option<ClientAddr>,
    /// Zone of the request.
    pub zone: Option<Arc<Zone>>,
    /// Page language (computed when a page is rendered).
    pub lang: Option<Lang>,
    /// The language cookie's name on this listener, and the configured default language.
    pub lang_pref: Option<(Arc<str>, Lang)>,
    /// The canonical path (without query), once the request's path was accepted.
    pub path: Option<String>,
    /// Routed service index.
    pub service: Option<usize>,
    /// Identity of an allowed request, with its session's store key.
    pub identity: Option<(crate::session::SessionKey, Arc<SessionRecord>)>,
    /// Round-robin start for this request.
    pub upstream_first: Option<usize>,
    /// Connection attempts so far.
    pub upstream_attempts: usize,
    /// When the request head was read (metrics, login latency).
    pub start: Option<std::time::Instant>,
    /// The request's id in the audit trail.
    pub request_id: u64,
    /// Seconds of the idle timeout the session was judged by (the zone's policy rule or `session.idle_timeout`),
    /// once the session was looked up: an idle logout names it.
    pub idle_applied: std::sync::atomic::AtomicU64,
    /// The live session this request presented, once looked up: the header of an error or denial page shows its
    /// display name and CSRF token (with the logout button) without asking the store again. Shared with the
    /// decoded-record cache, so keeping it copies nothing.
    pub page_user: std::sync::Mutex<Option<Arc<SessionRecord>>>,
    /// The request's time on the gateway's clock, read once when first needed: the session's idle and lifetime
    /// checks, the access decision and the assertion's timestamps all use it.
    pub now: std::sync::OnceLock<crate::clock::Instant>,
}

impl Ctx {
    /// Remembers the session shown in the header of this request's pages (None: no live session).
    pub fn set_page_user(&self, rec: Option<&Arc<SessionRecord>>) {
        if let Ok(mut u) = self.page_user.lock() {
            *u = rec.cloned();
        }
    }

    /// The display name and CSRF token for the header, when this request presented a live session.
    pub fn page_user(&self) -> Option<(String, String)> {
        let u = self.page_user.lock().ok()?;
        u.as_ref().map(|r| (r.display_name.clone(), r.csrf.clone()))
    }

    /// The request's time (the `now` field), read from `clock` the first time it is asked for.
    pub fn now(&self, clock: &dyn crate::clock::Clock) -> crate::clock::Instant {
        *self.now.get_or_init(|| clock.now())
    }

    /// The idle timeout the session was judged by, once looked up.
    pub fn idle_applied(&self) -> Option<std::time::Duration> {
        let secs = self.idle_applied.load(std::sync::atomic::Ordering::Relaxed);
        (secs > 0).then(|| std::time::Duration::from_secs(secs))
    }
}

/// Shows whose request it is, not the session's record (its CSRF token and eID login stay out).
impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("client", &self.client)
            .field("zone", &self.zone.as_ref().map(|z| &z.name))
            .field("path", &self.path)
            .field("service", &self.service)
            .field("user", &self.identity.as_ref().map(|(_, r)| (&r.realm, &r.username)))
            .field("upstream_attempts", &self.upstream_attempts)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// Page language, computed once: the one chosen with the language switcher (its cookie), else the best match
    /// for Accept-Language, else the configured default language.
    pub fn lang(&mut self, req: &RequestHeader) -> Lang {
        let pref = &self.lang_pref;
        *self.lang.get_or_insert_with(|| {
            let (cookie, default) = match pref {
                Some((name, default)) => (http::cookie(req, name).and_then(Lang::from_code), *default),
                None => (None, Lang::En),
            };
            cookie.unwrap_or_else(|| {
                let accept = req.headers.get(::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
                Lang::negotiate(accept, default)
            })
        })
    }
}

// Names of the headers `upstream_request_filter` adds, built once: pingora-http inserts a pre-built `HeaderName`
// without parsing or copying it (vendor/pingora-http/PATCH.md, section 1), and a static one clones for free. All
// lowercase, so they reach the backend spelled exactly as the string names did before.
static X_PORTVAKT_USER: ::http::HeaderName = ::http::HeaderName::from_static("x-portvakt-user");
static X_PORTVAKT_GROUPS: ::http::HeaderName = ::http::HeaderName::from_static("x-portvakt-groups");
static X_PORTVAKT_METHODS: ::http::HeaderName = ::http::HeaderName::from_static("x-portvakt-methods");
static X_PORTVAKT_ZONE: ::http::HeaderName = ::http::HeaderName::from_static("x-portvakt-zone");
static X_PORTVAKT_INSTITUTION: ::http::HeaderName = ::http::HeaderName::from_static("x-portvakt-institution");
static X_PORTVAKT_ASSERTION: ::http::HeaderName = ::http::HeaderName::from_static("x-portvakt-assertion");
static X_FORWARDED_FOR: ::http::HeaderName = ::http::HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_HOST: ::http::HeaderName = ::http::HeaderName::from_static("x-forwarded-host");
static X_FORWARDED_PROTO: ::http::HeaderName = ::http::HeaderName::from_static("x-forwarded-proto");
/// At most this many header names are added to an upstream request (the nine above and `Host`).
const UPSTREAM_HEADERS_ADDED: usize = 10;

/// `Clear-Site-Data` (W3C Clear Site Data), which `http` has no constant for; checked in backends' answers.
static CLEAR_SITE_DATA: ::http::HeaderName = ::http::HeaderName::from_static("clear-site-data");

/// Every line of `name` in `resp` replaced by `lines`, in their order (none left when `lines` is empty).
fn replace_lines(resp: &mut ResponseHeader, name: &::http::HeaderName, lines: Vec<::http::HeaderValue>) -> Result<()> {
    resp.remove_header(name);
    for v in lines {
        resp.append_header(name, v)?;
    }
    Ok(())
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = Ctx;

    /// No downstream modules. pingora's default adds a response compression module switched off (level 0) to every
    /// request, which compresses nothing and costs five allocator calls per request; Portvakt compresses no answer.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    fn new_ctx(&self) -> Ctx {
        Ctx {
            start: Some(std::time::Instant::now()),
            request_id: self.state.observer.request_id(),
            lang_pref: Some((self.cookies.lang.clone(), self.state.default_lang)),
            ..Ctx::default()
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        // Audit events emitted while the request is handled carry its address, zone, service and id.
        let facts = crate::audit::RequestFacts { id: ctx.request_id, start: ctx.start, ..Default::default() };
        let observer = self.state.thread_observer.get_or(|| Arc::new(self.state.observer.clone())).clone();
        let scope = crate::audit::Scope { observer, facts: facts.into() };
        crate::audit::scoped(scope, self.filter(session, ctx)).await
    }

    /// Counts the request (per-thread series, no await): the work is done before the future is made, and the future
    /// is zero-sized, so its `Box` allocates nothing.
    fn logging<'life0, 'life1, 'life2, 'life3, 'async_trait>(
        &'life0 self,
        session: &'life1 mut Session,
        e: Option<&'life2 Error>,
        ctx: &'life3 mut Ctx,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'async_trait>>
    where
        Self::CTX: Send + Sync,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        Self: Sync + 'async_trait,
    {
        let m = &self.state.observer.metrics;
        let status = session.response_written().map(|r| r.status.as_u16()).unwrap_or(0);
        let zone = ctx.zone.as_ref().map(|z| z.name.as_str());
        let served = match ctx.service {
            Some(i) => crate::metrics::Served::Service(i),
            None if ctx.path.as_deref().is_some_and(|p| p.starts_with(RESERVED_PREFIX)) => {
                crate::metrics::Served::Gateway
            }
            None => crate::metrics::Served::Nowhere,
        };
        let took = ctx.start.map(|s| s.elapsed()).unwrap_or_default();
        m.request(zone, served, status, took);
        if let (Some(e), Some(service)) = (e, ctx.service.and_then(|i| m.services.get(i))) {
            if *e.esource() == ErrorSource::Upstream {
                let kind = match e.etype() {
                    ConnectTimedout | ConnectRefused | ConnectNoRoute | ConnectError | TLSHandshakeFailure => "connect",
                    ReadTimedout | WriteTimedout => "timeout",
                    _ => "other",
                };
                m.upstream_error(service, kind);
            }
        }
        Box::pin(std::future::poll_fn(|_| std::task::Poll::Ready(())))
    }

    async fn upstream_peer(&self, _session: &mut Session, ctx: &mut Ctx) -> Result<Box<HttpPeer>> {
        let idx = ctx.service.ok_or_else(|| Error::explain(HTTPStatus(500), "no service routed"))?;
        let (Some(svc), Some(ups)) = (self.state.cfg.services.get(idx), self.state.upstreams.get(idx)) else {
            return Err(Error::explain(HTTPStatus(500), "service index out of range"));
        };
        let addr = ups
            .pick(&mut ctx.upstream_first, ctx.upstream_attempts)
            .ok_or_else(|| Error::explain(ConnectNoRoute, format!("no address known for {}", svc.name)))?;
        ctx.upstream_attempts += 1;
        let mut peer = HttpPeer::new(addr, svc.upstream_tls, svc.upstream_sni.clone());
        peer.options.connection_timeout = Some(svc.connect_timeout);
        peer.options.total_connection_timeout = Some(svc.connect_timeout);
        peer.options.read_timeout = Some(svc.read_timeout);
        peer.options.idle_timeout = Some(std::time::Duration::from_secs(60));
        // The backend's response head is read as the client's request head was (`[forwarding]`).
        peer.options.h1_discard_header_case = !self.state.cfg.forwarding.preserve_header_case;
        peer.group_key = upstream::pool_key();
        Ok(Box::new(peer))
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut Ctx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        let more =
            ctx.service.and_then(|i| self.state.upstreams.get(i)).is_some_and(|u| ctx.upstream_attempts < u.len());
        if more {
            e.set_retry(true);
        }
        e
    }

    /// The upstream request's headers (nothing awaited): set before the future is made, which is zero-sized when they
    /// are, so its `Box` allocates nothing.
    fn upstream_request_filter<'life0, 'life1, 'life2, 'life3, 'async_trait>(
        &'life0 self,
        session: &'life1 mut Session,
        up: &'life2 mut RequestHeader,
        ctx: &'life3 mut Ctx,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'async_trait>>
    where
        Self::CTX: Send + Sync,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        Self: Sync + 'async_trait,
    {
        finished(self.upstream_headers(session, up, ctx))
    }

    /// The backend's Set-Cookie and Clear-Site-Data lines checked (nothing awaited), before the future is made: see
    /// `logging`.
    fn response_filter<'life0, 'life1, 'life2, 'life3, 'async_trait>(
        &'life0 self,
        _session: &'life1 mut Session,
        resp: &'life2 mut ResponseHeader,
        _ctx: &'life3 mut Ctx,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'async_trait>>
    where
        Self::CTX: Send + Sync,
        'life0: 'async_trait,
        'life1: 'async_trait,
        'life2: 'async_trait,
        'life3: 'async_trait,
        Self: Sync + 'async_trait,
    {
        finished(self.backend_cookies_kept_off(resp))
    }

    /// A client hanging up mid-request is routine (closed tabs, lost Wi-Fi): a debug line, not pingora's ERROR.
    /// Failures with a backend or inside the gateway keep their error log.
    fn suppress_error_log(&self, session: &Session, ctx: &Ctx, e: &Error) -> bool {
        if !client_went_away(e) {
            return false;
        }
        // The address classification already believed (X-Forwarded-For from trusted proxies), not the peer's.
        let client = ctx.client.and_then(|c| c.0);
        let path = ctx.path.as_deref().unwrap_or_else(|| session.req_header().uri.path());
        tracing::debug!(client = ?client, path = %path, error = %e, "client closed the connection mid-request");
        true
    }

    async fn fail_to_proxy(&self, session: &mut Session, e: &Error, ctx: &mut Ctx) -> FailToProxy {
        let code = match e.etype() {
            HTTPStatus(c) => *c,
            ReadTimedout | WriteTimedout => 504,
            _ if client_went_away(e) => 0,
            _ => match e.esource() {
                ErrorSource::Upstream => 502,
                ErrorSource::Downstream => 400,
                ErrorSource::Internal | ErrorSource::Unset => 500,
            },
        };
        // The connection is not reused after a failure: say so, so clients don't send the next request into it.
        session.set_keepalive(None);
        if code > 0 && session.response_written().is_none() {
            let lang = ctx.lang(session.req_header());
            let default = self.state.default_lang.code();
            let service = ctx
                .service
                .and_then(|i| self.state.cfg.services.get(i))
                .map(|s| s.title_in(lang.code(), default).to_string())
                .unwrap_or_default();
            let (title, body) = match code {
                502 | 504 => (Msg::BadGatewayTitle, Msg::BadGatewayBody.arg("service", &service)),
                503 => (Msg::UnavailableTitle, Text::from(Msg::UnavailableBody)),
                400..=499 => (Msg::BadRequestTitle, Text::from(Msg::BadRequestBody)),
                _ => (Msg::ErrorTitle, Text::from(Msg::InternalErrorBody)),
            };
            if code >= 500 {
                tracing::warn!(service = %service, status = code, error = %e, "request failed");
            }
            let r = Reply::error_page(self, lang, code, title, body);
            if let Err(we) = r.send(self, session, ctx).await {
                tracing::debug!(error = %we, "could not send error page");
            }
        }
        FailToProxy { error_code: code, can_reuse_downstream: false }
    }
}

impl Gateway {
    /// What `upstream_request_filter` does: the client's forged headers and the gateway's cookies removed, the identity
    /// and forwarding headers set, the canonical target.
    fn upstream_headers(&self, session: &mut Session, up: &mut RequestHeader, ctx: &mut Ctx) -> Result<()> {
        // Nothing the client sent may pass as identity, address or original URL (`[forwarding]`).
        let filter = &self.state.cfg.forwarding.headers;
        let forged: Vec<::http::HeaderName> =
            up.headers.keys().filter(|n| filter.removes(n.as_str())).cloned().collect();
        for n in forged {
            up.remove_header(&n);
        }
        http::strip_cookies(up, &self.cookies.all);
        // Room for the headers added below in one step (pingora grows its two header maps one insert at a time).
        up.reserve(UPSTREAM_HEADERS_ADDED)?;
        // One Content-Length value, as RFC 9110 8.6 allows a recipient to reconcile `5, 5` and repeated lines.
        // pingora refuses differing values before this point; refuse them here too rather than guess.
        match http::single_content_length(up) {
            Ok(Some(n)) => {
                up.insert_header(::http::header::CONTENT_LENGTH, n.to_string())?;
            }
            Ok(None) => {}
            Err(e) => return Err(Error::explain(HTTPStatus(400), e.to_string())),
        }
        // The backend gets the canonical path the gateway decided on, in origin-form (also when the client sent an
        // absolute-form target), with the query as sent.
        // A request already sent in that form (the usual case) keeps its target: no new string, URI parse or copy.
        if let Some(p) = ctx.path.as_deref().filter(|p| !origin_form_is(session.req_header(), p)) {
            let target = request_target(ctx, session.req_header());
            let uri = ::http::Uri::try_from(target.as_str())
                .map_err(|e| Error::because(HTTPStatus(400), format!("canonical path {p} is not a URI"), e))?;
            up.set_uri(uri);
        }

        let zone = ctx.zone.as_ref().map(|z| z.name.as_str()).unwrap_or(crate::config::REMOTE_ZONE);
        if let (Some((skey, rec)), Some((svc_idx, svc))) =
            (&ctx.identity, ctx.service.and_then(|i| self.state.cfg.services.get(i).map(|s| (i, s))))
        {
            let now = ctx.now(self.state.clock.as_ref()).unix_seconds();
            // Token and header values are made once per session, service and zone on each worker thread (and again
            // when the session's identity changes or the token is half used): a request then only inserts values
            // its own thread made, and touches nothing another thread writes.
            let ids = match self.state.assertions.get(skey, svc_idx, zone, now, rec) {
                Some(h) => h,
                None => {
                    let exp = now + self.state.cfg.assertion.lifetime.as_secs();
                    let signed = self.state.key.sign(&Claims {
                        iss: &self.state.cfg.assertion.issuer,
                        sub: &rec.username,
                        aud: &svc.name,
                        iat: now,
                        nbf: now.saturating_sub(5),
                        exp,
                        name: &rec.display_name,
                        groups: &rec.groups,
                        amr: rec.methods.iter().map(|m| m.as_str()).collect(),
                        zone,
                        realm: &rec.realm,
                        institution: rec.institution.as_deref(),
                    });
                    // Fail closed: a request whose identity cannot be vouched for is not forwarded at all.
                    let built = signed.map_err(|e| e.to_string()).and_then(|t| {
                        let groups = crate::forwarding::groups_header(&rec.groups);
                        crate::assertion_cache::IdentityHeaders::build(rec, zone, groups, &t).map_err(|e| e.to_string())
                    });
                    let h = match built {
                        Ok(h) => h,
                        Err(e) => {
                            tracing::error!(error = %e, service = %svc.name, "not forwarded: {e}");
                            return Err(Error::explain(HTTPStatus(500), e));
                        }
                    };
                    self.state.assertions.put(*skey, svc_idx, zone, rec, h.clone(), now, exp);
                    h
                }
            };
            up.insert_header(&X_PORTVAKT_USER, ids.user)?;
            up.insert_header(&X_PORTVAKT_GROUPS, ids.groups)?;
            up.insert_header(&X_PORTVAKT_METHODS, ids.methods)?;
            up.insert_header(&X_PORTVAKT_ZONE, ids.zone)?;
            // Inbound X-Portvakt-* headers are already removed (headers.rs): this is the only one the backend sees.
            if let Some(i) = ids.institution {
                up.insert_header(&X_PORTVAKT_INSTITUTION, i)?;
            }
            up.insert_header(&X_PORTVAKT_ASSERTION, ids.assertion)?;
        }

        // Forwarding headers: extend the chain only when the peer is a proxy we trust.
        let peer_ip = session.client_addr().and_then(|a| a.as_inet()).map(|a| a.ip().to_canonical());
        let trusted = peer_ip.is_some_and(|ip| self.state.zones.is_trusted_proxy(ip));
        // The chain a trusted proxy sent, extended by its address; else only the peer's address.
        let chain = match (trusted, peer_ip) {
            (true, Some(ip)) => {
                let prior: Vec<&str> =
                    up.headers.get_all(&X_FORWARDED_FOR).into_iter().filter_map(|v| v.to_str().ok()).collect();
                (!prior.is_empty()).then(|| format!("{}, {ip}", prior.join(", ")))
            }
            _ => None,
        };
        up.remove_header(&X_FORWARDED_FOR);
        match (chain, peer_ip) {
            (Some(chain), _) => up.insert_header(&X_FORWARDED_FOR, chain)?,
            (None, Some(ip)) => up.insert_header(&X_FORWARDED_FOR, http::ip_header_value(ip))?,
            (None, None) => {}
        }
        // The client's Host value itself (shared bytes, no copy) where it names the authority, as it usually does.
        let host = http::authority_value(session.req_header()).filter(|h| !h.is_empty());
        if !(trusted && up.headers.contains_key(&X_FORWARDED_HOST)) {
            let value = host.clone().unwrap_or_else(|| ::http::HeaderValue::from_static(""));
            up.insert_header(&X_FORWARDED_HOST, value)?;
        }
        if !(trusted && up.headers.contains_key(&X_FORWARDED_PROTO)) {
            let proto = if self.listener.is_https() { "https" } else { "http" };
            up.insert_header(&X_FORWARDED_PROTO, ::http::HeaderValue::from_static(proto))?;
        }
        up.remove_header(&::http::header::FORWARDED);
        // HTTP/2 requests carry the host in the URI; HTTP/1.1 backends need a Host header.
        if let (None, Some(host)) = (up.headers.get(::http::header::HOST), host) {
            up.insert_header(::http::header::HOST, host)?;
        }
        Ok(())
    }

    /// What `response_filter` does: a backend must not overwrite or clear the gateway's own cookies.
    fn backend_cookies_kept_off(&self, resp: &mut ResponseHeader) -> Result<()> {
        // A backend must not overwrite or clear the gateway's own cookies.
        let lines = resp.headers.get_all(::http::header::SET_COOKIE);
        let kept: Vec<::http::HeaderValue> = lines
            .iter()
            .filter(|v| {
                // Read as text with any byte beyond ASCII replaced: such a byte in a line must not hide its name.
                let line = String::from_utf8_lossy(v.as_bytes());
                let name = http::set_cookie_sent_name(&line);
                !self.cookies.all.iter().any(|n| n == name)
            })
            .cloned()
            .collect();
        if kept.len() != lines.iter().count() {
            replace_lines(resp, &::http::header::SET_COOKIE, kept)?;
        }
        // Nor clear them all at once: `Clear-Site-Data: "cookies"` (or `"*"`) makes the browser drop every cookie of
        // the origin, the gateway's session with them, so one service's logout would end the user's whole session.
        // A walk over the answer's few names: about 60 instructions, where a look-up hashing this custom name took 290.
        if resp.headers.keys().any(|k| *k == CLEAR_SITE_DATA) {
            let kept = http::clear_site_data_without_cookies(resp.headers.get_all(&CLEAR_SITE_DATA).iter());
            replace_lines(resp, &CLEAR_SITE_DATA, kept)?;
        }
        Ok(())
    }

    /// Everything `request_filter` does, inside the request's audit scope.
    async fn filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<bool> {
        let req = session.req_header();
        if http::header_bytes(req) > self.state.cfg.server.max_header_bytes {
            let lang = ctx.lang(req);
            let r = Reply::error_page(self, lang, 431, Msg::BadRequestTitle, Msg::HeadersTooLargeBody);
            session.set_keepalive(None);
            r.send(self, session, ctx).await?;
            return Ok(true);
        }
        // RFC 9112 3.2: an HTTP/1.1 request needs exactly one valid Host header.
        if req.version == ::http::Version::HTTP_11 && !http::valid_host_header(req) {
            let lang = ctx.lang(req);
            let r = Reply::error_page(self, lang, 400, Msg::BadRequestTitle, Msg::BadRequestBody);
            session.set_keepalive(None);
            r.send(self, session, ctx).await?;
            return Ok(true);
        }
        // Classify the client.
        let peer = session.client_addr().and_then(|a| a.as_inet()).map(|a| PeerAddr(a.ip()));
        let req = session.req_header();
        let client = match peer {
            Some(p) => {
                self.state.zones.client_addr(p, req.headers.get_all(&X_FORWARDED_FOR).into_iter().map(|v| v.as_bytes()))
            }
            None => ClientAddr(None),
        };
        // Borrowed from the zone table for this request's own use; `ctx` keeps one clone for the later phases.
        let zone: &Arc<Zone> = match &self.listener.pinned_zone {
            Some(z) => self.state.zones.by_name(z).unwrap_or_else(|| self.state.zones.remote()),
            None => self.state.zones.classify(client),
        };
        crate::audit::update(|f| (f.client, f.zone) = (client.0, Some(zone.name_arc.clone())));
        ctx.client = Some(client);
        ctx.zone = Some(zone.clone());

        if req.method == ::http::Method::OPTIONS && req.raw_path() == b"*" {
            // A question about the server itself (RFC 9110 9.3.7): the gateway answers, no backend is asked.
            return Reply::text(200, "").header("allow", ALLOWED_METHODS).send(self, session, ctx).await.map(|()| true);
        }
        let path = req.uri.path();
        if self.listener.redirect_to_https && path != "/.portvakt/healthz" && path != "/.portvakt/readyz" {
            let r = https_redirect(self, req);
            r.send(self, session, ctx).await?;
            return Ok(true);
        }
        let host = http::host_of(req).unwrap_or_default();
        // One canonical path for everything after this point: routing, policy, pages, logs and the backend.
        let resolved = if req.raw_path_is_utf8() {
            self.state.router.resolve(&host, req.uri.path())
        } else {
            Err(crate::canonical::PathError::InvalidUtf8)
        };
        let resolved = match resolved {
            Ok(r) => r,
            Err(why) => {
                tracing::info!(
                    client = ?client.0,
                    path = %String::from_utf8_lossy(req.raw_path()).escape_debug(),
                    reason = why.code(),
                    "path refused"
                );
                let lang = ctx.lang(req);
                let reason = Msg::BadPathReason.arg("why", why.code()).render(lang);
                let body = Msg::BadPathBody.arg("reason", reason);
                Reply::error_page(self, lang, 400, Msg::BadRequestTitle, body).send(self, session, ctx).await?;
                return Ok(true);
            }
        };
        let at_root = resolved.path == "/";
        ctx.path = Some(resolved.path);
        let service = match resolved.target {
            routing::Target::Gateway => {
                let r = routes::dispatch(self, session, ctx).await?;
                r.send(self, session, ctx).await?;
                return Ok(true);
            }
            routing::Target::Nowhere => {
                let r = if at_root {
                    Reply::redirect("/.portvakt/portal")
                } else {
                    let lang = ctx.lang(req);
                    Reply::error_page(self, lang, 404, Msg::NotFoundTitle, Msg::NotFoundBody)
                };
                r.send(self, session, ctx).await?;
                return Ok(true);
            }
            routing::Target::Service(i) => i,
        };
        ctx.service = Some(service);
        let service_name = self.state.observer.metrics.services.get(service).cloned();
        crate::audit::update(|f| f.service = service_name);

        let (id_and_rec, invalid) = match self.current_session(session.req_header(), ctx).await? {
            Ok(v) => (Some(v), None),
            Err(why) => (None, Some(why)),
        };
        let Some((sid, rec)) = id_and_rec else {
            let req = session.req_header();
            let r = if http::wants_html(req) {
                handler::to_login(ctx, req, invalid.unwrap_or(Invalid::Missing))
            } else {
                let lang = ctx.lang(req);
                Reply::text(401, &format!("{}\n", Msg::PlainLoginRequired.text(lang)))
                    .header("www-authenticate", "Portvakt realm=\"portvakt\"")
            };
            r.send(self, session, ctx).await?;
            return Ok(true);
        };
        let svc_name = self.state.cfg.services.get(service).map(|s| s.name.as_str()).unwrap_or("");
        let at = ctx.now(self.state.clock.as_ref());
        let decision =
            self.state.access.decide(&self.facts_at(zone, &rec, svc_name, ctx.path.as_deref().unwrap_or("/"), at));
        match decision {
            Decision::Allow => {
                ctx.identity = Some((sid.key(), rec));
                Ok(false)
            }
            Decision::StepUp(_) => {
                let req = session.req_header();
                let rd = request_target(ctx, req);
                let r = if http::wants_html(req) {
                    Reply::redirect(&format!("/.portvakt/second-factor?rd={}", http::url_encode(&rd)))
                } else {
                    let lang = ctx.lang(req);
                    Reply::text(401, &format!("{}\n", Msg::PlainStepUpRequired.text(lang)))
                };
                r.send(self, session, ctx).await?;
                Ok(true)
            }
            Decision::Deny(d) => {
                let lang = ctx.lang(session.req_header());
                let default = self.state.default_lang.code();
                let title =
                    self.state.cfg.services.get(service).map(|s| s.title_in(lang.code(), default)).unwrap_or("");
                tracing::info!(
                    user = %rec.username,
                    zone = %zone.name,
                    service = %svc_name,
                    path = ctx.path.as_deref().unwrap_or(""),
                    rule = d.rule.as_deref().unwrap_or(access::BUILTIN_RULE),
                    reason = ?d.kind,
                    "access denied"
                );
                crate::services::sessions::policy_denied(svc_name, &d, &sid, &rec);
                denial_page(self, lang, title, &d).send(self, session, ctx).await?;
                Ok(true)
            }
        }
    }
}

/// The answer on a plain-HTTP listener that only redirects: the same path on HTTPS, on a configured host.
///
/// The request's Host names the target only when it is one of the gateway's configured hosts; any other Host (or
/// none) is sent to the public host (`public_url`, else the first of `[server] hosts`), and with no public host
/// configured the request is refused with 421. A forged Host header never becomes a redirect target.
pub fn https_redirect(gw: &Gateway, req: &pingora_http::RequestHeader) -> Reply {
    let path = req.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let host = http::host_of(req).unwrap_or_default();
    let server = &gw.state.cfg.server;
    let public = server.public_url.as_ref();
    let base = match public {
        Some(u) if u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host)) => {
            u.as_str().trim_end_matches('/').to_string()
        }
        _ if gw.is_own_host(&host) => https_base(&host),
        Some(u) => u.as_str().trim_end_matches('/').to_string(),
        None => match server.hosts.first() {
            Some(h) => https_base(h),
            None => {
                return Reply::text(
                    421,
                    "this host is not served here: use the gateway's own address (configure [server] public_url)\n",
                )
            }
        },
    };
    Reply::text(308, "").header("location", format!("{base}{path}"))
}

/// `https://host`, with brackets around an IPv6 address.
fn https_base(host: &str) -> String {
    if host.contains(':') {
        format!("https://[{host}]")
    } else {
        format!("https://{host}")
    }
}

/// The methods named in the answer to `OPTIONS *`.
pub const ALLOWED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// The request's canonical path with its query as sent: what the backend receives and what `rd` returns to.
pub fn request_target(ctx: &Ctx, req: &RequestHeader) -> String {
    let path = ctx.path.as_deref().unwrap_or("/");
    match req.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

/// Whether the request's target as sent is already `path` in origin-form with its query (`path?query`), i.e. what
/// [`request_target`] would build: then the backend can be sent the target unchanged.
pub fn origin_form_is(req: &RequestHeader, path: &str) -> bool {
    if req.uri.scheme().is_some() || req.uri.authority().is_some() {
        return false;
    }
    let raw = req.raw_path();
    let Some(rest) = raw.strip_prefix(path.as_bytes()) else { return false };
    match req.uri.query() {
        None => rest.is_empty(),
        Some(q) => rest.strip_prefix(b"?") == Some(q.as_bytes()),
    }
}

/// The 403 page for a denial: what happened in the user's language, and the rule's own message if it has one.
pub fn denial_page(gw: &Gateway, lang: Lang, service_title: &str, d: &Denial) -> Reply {
    let message = d.message.as_ref().and_then(|m| m.get(lang.code()));
    let reason = match d.kind {
        DenyKind::Zone => Text::from(Msg::PortalNotFromThisNetwork),
        DenyKind::ClosedUntil(t) => Msg::PortalClosedUntil.arg("time", crate::pages::dates::local_time(t, lang)),
        // An explicit deny rule can match on anything (groups, paths, hours, zones): its own message says why;
        // without one, the words say only what is true of every deny rule, never "from here right now".
        DenyKind::Rule => {
            let reason = match message {
                Some(m) => Text::verbatim(m),
                None => Msg::ForbiddenPolicy.arg("service", service_title),
            };
            return Reply::error_page_paragraphs(gw, lang, 403, Msg::ForbiddenTitle, vec![reason]);
        }
        // No rule lets the user's groups in, from any zone at any time: "from here right now" would be untrue.
        DenyKind::NoAccess => Msg::ForbiddenGroups.arg("service", service_title),
    };
    let mut body = vec![reason];
    if let Some(m) = message {
        body.push(Text::verbatim(m));
    }
    Reply::error_page_paragraphs(gw, lang, 403, Msg::ForbiddenTitle, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cookie names carry __Host- on HTTPS, __Secure- with a domain, nothing on plain HTTP.
    #[test]
    fn cookie_names() {
        assert_eq!(CookieNames::new("portvakt", true, false).session, "__Host-portvakt");
        assert_eq!(CookieNames::new("portvakt", true, true).session, "__Secure-portvakt");
        assert_eq!(CookieNames::new("portvakt", false, false).csrf, "portvakt-csrf");
        assert_eq!(CookieNames::new("portvakt", true, false).eid, "__Host-portvakt-eid");
        assert_eq!(CookieNames::new("portvakt", false, false).link, "portvakt-link");
        assert_eq!(&*CookieNames::new("portvakt", true, false).lang, "__Host-portvakt-lang");
        // Session, CSRF, eID binding, link and language cookies under each of the three prefixes are stripped
        // upstream.
        assert_eq!(CookieNames::new("portvakt", false, false).all.len(), 15);
    }

    /// An address becomes the header value it prints as, the longest IPv6 spelling included.
    #[test]
    fn addresses_become_header_values() {
        for ip in ["10.1.2.3", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "2001:db8::8a2e:370:7334"] {
            let addr: std::net::IpAddr = ip.parse().unwrap();
            assert_eq!(http::ip_header_value(addr).to_str().unwrap(), addr.to_string(), "{ip}");
        }
    }

    /// A target sent as the canonical path (with or without its query) is kept as it is; one in absolute form, with
    /// another spelling of the path, or with a query that differs is rebuilt by request_target.
    #[test]
    fn origin_form_targets_are_kept() {
        let req = |t: &[u8]| RequestHeader::build("GET", t, None).unwrap();
        assert!(origin_form_is(&req(b"/app/x"), "/app/x"));
        assert!(origin_form_is(&req(b"/app/x?a=1&b=%20"), "/app/x"));
        assert!(!origin_form_is(&req(b"/app/./x"), "/app/x"));
        assert!(!origin_form_is(&req(b"/app/%78"), "/app/x"));
        assert!(!origin_form_is(&req(b"/app/x/"), "/app/x"));
        assert!(!origin_form_is(&req(b"http://portal.kommune.example/app/x"), "/app/x"));
        assert!(!origin_form_is(&req(b"/app/xy"), "/app/x"));
    }

    /// A request context's Debug names the user but leaves out the session's CSRF token and eID ID token.
    #[test]
    fn ctx_debug_leaves_out_session_tokens() {
        let rec = SessionRecord {
            username: "anna".into(),
            display_name: "Anna".into(),
            realm: "staff".into(),
            groups: vec![],
            institution: None,
            directory_phones: vec![],
            email: None,
            methods: crate::methods::Methods::default(),
            assurance: crate::methods::Assurance::default(),
            eid: Some(crate::session::EidLogin {
                provider: "idporten".into(),
                sid: None,
                id_token: "eyJ-id-token-secret".into(),
            }),
            created: crate::clock::Instant(0),
            checked: None,
            from_snapshot: None,
            last_seen: crate::clock::Instant(0),
            csrf: "csrf-secret-value".into(),
        };
        let ctx =
            Ctx { identity: Some((crate::session::SessionId::generate().key(), Arc::new(rec))), ..Ctx::default() };
        let shown = format!("{ctx:?}");
        assert!(shown.contains("anna"), "{shown}");
        assert!(!shown.contains("csrf-secret-value") && !shown.contains("eyJ-id-token-secret"), "{shown}");
    }
}
