//! The gateway's own endpoints under `/.portvakt/`: login, logout, step-up, portal, health, JWKS, stylesheet.
//! Thin handlers: the decisions live in `access`, `session` and `directory`.

use super::handler::HandlerError;
use super::http::{self, parse_form, query_param, safe_redirect};
use super::reply::Reply;
use super::routes;
use super::{Ctx, Gateway};
use crate::access::{self, Decision, DenyKind};
use crate::config::REMOTE_ZONE;
use crate::directory::{normalize_username, DirectoryError, Refusal};
use crate::notify::EmailMessage;
use crate::pages::{self, AccountView, ChannelChoice, LoginView, Msg, PageCtx, SecondFactorView, Tile, TileState};
use crate::second_factor::limits::LimitHit;
use crate::second_factor::{Channel, IssueError, VerifyError};
use crate::session::{random_token, token_eq, Invalid, Method, Methods, SessionId, SessionRecord};
use bytes::Bytes;
use pingora::prelude::*;
use pingora::proxy::Session;
use std::collections::HashMap;

const PORTAL: &str = "/.portvakt/portal";

/// Maps a store or directory failure to 503, naming what failed (the error page tells the user to try again).
pub(super) fn unavailable<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> Box<Error> {
    move |e| Error::explain(HTTPStatus(503), format!("{what}: {e}"))
}

/// Answers a request under `/.portvakt/` from the route table.
pub async fn handle(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let req = session.req_header();
    let method = req.method.clone();
    // The canonical path: `/.portvakt/./login` and `/x/../.portvakt/login` are the login page.
    let path = ctx.path.clone().unwrap_or_else(|| req.uri.path().to_string());
    match routes::find(routes::ROUTES, &method, &path, gw.state.eid.enabled()) {
        routes::Found::Handler(h) => h(gw, session, ctx).await.or_else(HandlerError::into_reply),
        routes::Found::MethodNotAllowed(allow) => {
            let lang = ctx.lang(session.req_header());
            Ok(Reply::error_page(gw, lang, 405, Msg::BadRequestTitle, Msg::BadRequestBody.text(lang).into())
                .header("allow", allow))
        }
        routes::Found::NotFound => {
            let lang = ctx.lang(session.req_header());
            Ok(Reply::error_page(gw, lang, 404, Msg::NotFoundTitle, Msg::NotFoundBody.text(lang).into()))
        }
    }
}

/// GET /.portvakt/healthz: alive.
pub(super) async fn healthz(_gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Result<Reply> {
    Ok(Reply::text(200, "ok\n"))
}

/// GET /.portvakt/readyz: ready only while the store answers a write/read/delete probe, so a load balancer routes
/// around an instance whose store is down, and back once it answers again.
pub(super) async fn readyz(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Result<Reply> {
    Ok(match gw.state.stores.probe.probe().await {
        Ok(()) => Reply::text(200, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: store probe failed");
            Reply::text(503, "not ready: the state store does not answer\n")
        }
    })
}

/// GET /.portvakt/logged-out: where a provider's logout returns to.
pub(super) async fn logged_out(_gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let pctx = page_ctx(ctx, session.req_header(), None);
    Ok(Reply::html(200, pages::logged_out_page(&pctx)))
}

/// GET /.portvakt/jwks.json: the assertion's public keys.
pub(super) async fn jwks(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Result<Reply> {
    Ok(Reply::bytes(200, "application/jwk-set+json", Bytes::from(gw.state.key.jwks())))
}

/// GET the stylesheet.
pub(super) async fn stylesheet(_gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Result<Reply> {
    Ok(Reply::bytes(200, "text/css; charset=utf-8", Bytes::from_static(pages::CSS.as_bytes())))
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

fn page_ctx<'a>(ctx: &mut Ctx, req: &pingora_http::RequestHeader, user: Option<(&'a str, &'a str)>) -> PageCtx<'a> {
    PageCtx { lang: ctx.lang(req), user }
}

fn zone_label(ctx: &Ctx, lang: pages::Lang) -> &'static str {
    match ctx.zone.as_deref() {
        Some(z) if z.name != REMOTE_ZONE => Msg::ZoneInternal.text(lang),
        _ => Msg::ZoneRemote.text(lang),
    }
}

/// A CSRF token for pre-login forms: the one in the client's cookie, or a new one to set.
pub(super) fn prelogin_csrf(gw: &Gateway, req: &pingora_http::RequestHeader) -> (String, bool) {
    match http::cookie(req, &gw.cookies.csrf) {
        Some(t) if t.len() == 22 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            (t.to_string(), false)
        }
        _ => (random_token(), true),
    }
}

/// What a login page render needs beyond the gateway and request.
#[derive(Default)]
struct LoginRender<'a> {
    rd: &'a str,
    username: &'a str,
    realm: &'a str,
    error: Option<String>,
    notice: Option<String>,
    /// HTTP status; 0 means 200.
    status: u16,
}

fn login_view_reply(gw: &Gateway, ctx: &mut Ctx, req: &pingora_http::RequestHeader, v: LoginRender<'_>) -> Reply {
    let (csrf, fresh) = prelogin_csrf(gw, req);
    let pctx = page_ctx(ctx, req, None);
    let html = pages::login_page(
        &pctx,
        &LoginView {
            rd: v.rd,
            csrf: &csrf,
            realms: &gw.state.realms,
            selected_realm: v.realm,
            username: v.username,
            error: v.error,
            notice: v.notice,
            password_help_url: gw.state.cfg.server.password_help_url.as_deref(),
            eid_providers: &gw.state.eid_buttons,
        },
    );
    let mut r = Reply::html(if v.status == 0 { 200 } else { v.status }, html);
    if fresh {
        r = r.header("set-cookie", gw.cookie_header(&gw.cookies.csrf, &csrf, false));
    }
    r
}

pub(super) async fn login_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let req = session.req_header();
    let rd = query_param(req, "rd").unwrap_or_default();
    let lang = ctx.lang(req);
    let notice = (query_param(req, "expired").as_deref() == Some("1")).then(|| {
        pages::fill(
            Msg::SessionExpired.text(lang),
            &[("minutes", &(gw.state.cfg.session.idle_timeout.as_secs() / 60).to_string())],
        )
    });
    Ok(login_view_reply(gw, ctx, req, LoginRender { rd: &rd, notice, ..Default::default() }))
}

/// Reads a form body up to the configured cap. `Err(reply)` for a body that is too large (413), one that is not
/// `application/x-www-form-urlencoded` (415), or one posted from another site (403: an `Origin` that is neither
/// this request's own origin nor a configured host, or `Sec-Fetch-Site: cross-site`). The body of a refused form is
/// not read, and the connection is not reused.
pub(super) async fn read_form(
    gw: &Gateway,
    session: &mut Session,
    ctx: &mut Ctx,
) -> Result<std::result::Result<HashMap<String, String>, Reply>> {
    let req = session.req_header();
    if !http::is_urlencoded_form(req) {
        session.set_keepalive(None);
        let lang = ctx.lang(session.req_header());
        return Ok(Err(Reply::error_page(gw, lang, 415, Msg::BadRequestTitle, Msg::FormTypeBody.text(lang).into())));
    }
    if http::is_cross_site(req, &|h| gw.is_own_host(h)) {
        tracing::info!(
            origin = ?req.headers.get(::http::header::ORIGIN),
            fetch_site = ?req.headers.get("sec-fetch-site"),
            path = ctx.path.as_deref().unwrap_or(""),
            "cross-site form refused"
        );
        session.set_keepalive(None);
        return Ok(Err(csrf_refused(gw, ctx, session)));
    }
    let cap = gw.state.cfg.server.max_form_bytes;
    let declared = session
        .req_header()
        .headers
        .get(::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = |gw: &Gateway, ctx: &mut Ctx, session: &mut Session| {
        session.set_keepalive(None);
        let lang = ctx.lang(session.req_header());
        Reply::error_page(gw, lang, 413, Msg::TooLargeTitle, Msg::TooLargeBody.text(lang).into())
    };
    if declared.is_some_and(|n| n > cap) {
        return Ok(Err(too_large(gw, ctx, session)));
    }
    let mut buf = Vec::new();
    // A failed read is the client's side (it hung up mid-body): marked so, `suppress_error_log` keeps it out of the
    // error log and `fail_to_proxy` answers nothing.
    let downstream = |mut e: Box<pingora::Error>| {
        e.as_down();
        e
    };
    while let Some(chunk) = session.read_request_body().await.map_err(downstream)? {
        if buf.len() + chunk.len() > cap {
            return Ok(Err(too_large(gw, ctx, session)));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Ok(parse_form(&buf)))
}

/// 429 with the wait in seconds, on the page and in Retry-After.
pub fn too_many_attempts(gw: &Gateway, ctx: &mut Ctx, session: &Session, wait: std::time::Duration) -> Reply {
    let lang = ctx.lang(session.req_header());
    let secs = wait.as_secs().max(1).to_string();
    let body = pages::fill(Msg::TooManyAttemptsBody.text(lang), &[("seconds", &secs)]);
    Reply::error_page_html(gw, lang, 429, Msg::TooManyAttemptsTitle, body).header("retry-after", secs)
}

pub(super) fn csrf_refused(gw: &Gateway, ctx: &mut Ctx, session: &Session) -> Reply {
    let lang = ctx.lang(session.req_header());
    Reply::error_page(gw, lang, 403, Msg::ForbiddenTitle, Msg::ForbiddenCsrf.text(lang).into())
}

pub(super) async fn login_post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let form = match read_form(gw, session, ctx).await? {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let req = session.req_header();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let cookie_token = http::cookie(req, &gw.cookies.csrf).unwrap_or("");
    if cookie_token.is_empty() || !token_eq(cookie_token, field("csrf")) {
        return Ok(csrf_refused(gw, ctx, session));
    }
    let rd = field("rd").to_string();
    let realm = field("realm").to_string();
    let username = normalize_username(field("username"));
    let password = field("password");
    let lang = ctx.lang(req);
    let failed = |gw: &Gateway, ctx: &mut Ctx, session: &Session, username: &str| {
        let msg = pages::fill(Msg::LoginFailed.text(lang), &[]);
        login_view_reply(
            gw,
            ctx,
            session.req_header(),
            LoginRender { rd: &rd, username, realm: &realm, error: Some(msg), notice: None, status: 0 },
        )
    };
    let client = ctx.client.and_then(|c| c.0).map(|ip| ip.to_string()).unwrap_or_default();
    let Some(dir) = gw.state.directory(Some(&realm)) else {
        return Ok(failed(gw, ctx, session, &username));
    };
    if username.is_empty() || username.len() > 256 || password.is_empty() || password.len() > 1024 {
        return Ok(failed(gw, ctx, session, &username));
    }
    let account = format!("{}:{username}", dir.name());
    let client_ip = ctx.client.and_then(|c| c.0);
    // Counted before the password is checked, so parallel guesses can't all be checked before the first is counted.
    if let Err(wait) = gw.state.regulator.begin(&account, client_ip).await.map_err(unavailable("regulation store"))? {
        tracing::warn!(user = %username, client = %client, "login refused: too many failed attempts");
        return Ok(too_many_attempts(gw, ctx, session, wait));
    }
    let user = match dir.authenticate(&username, password).await {
        Ok(Some(u)) => {
            gw.state.regulator.succeeded(&account, client_ip).await.map_err(unavailable("regulation store"))?;
            u
        }
        Ok(None) => {
            let banned = gw.state.regulator.failed(&account, client_ip).await.ok().flatten().is_some();
            tracing::info!(user = %username, client = %client, realm = %dir.name(), banned, reason = "wrong_password", "login failed");
            return Ok(failed(gw, ctx, session, &username));
        }
        Err(DirectoryError::Refused { reason, password_change_url, .. }) => {
            // The directory's own state (AD: must change password, disabled, locked). "Must change" comes only
            // after a right password: not a guess, so not counted; disabled and locked stay counted.
            if reason == Refusal::PasswordMustChange {
                gw.state.regulator.not_checked(&account, client_ip).await.map_err(unavailable("regulation store"))?;
            }
            tracing::info!(user = %username, client = %client, realm = %dir.name(), reason = reason.reason(), "login refused by the directory");
            let mut msg = pages::fill(
                match reason {
                    Refusal::PasswordMustChange => Msg::PasswordMustChange,
                    Refusal::Disabled => Msg::AccountDisabled,
                    Refusal::Locked => Msg::AccountLocked,
                }
                .text(lang),
                &[],
            );
            if let (Refusal::PasswordMustChange, Some(url)) = (reason, password_change_url) {
                msg.push_str(&format!(
                    " <a href=\"{}\">{}</a>",
                    html_escape::encode_double_quoted_attribute(&url),
                    pages::fill(Msg::PasswordChangeLink.text(lang), &[])
                ));
            }
            let req = session.req_header();
            let r =
                LoginRender { rd: &rd, username: &username, realm: &realm, error: Some(msg), notice: None, status: 0 };
            return Ok(login_view_reply(gw, ctx, req, r));
        }
        Err(e) => {
            // Not a wrong password: the attempt is taken back from the account's and address's counts, and eID
            // stays offered on the page.
            gw.state.regulator.not_checked(&account, client_ip).await.map_err(unavailable("regulation store"))?;
            tracing::error!(error = %e, user = %username, client = %client, realm = %dir.name(), reason = "directory_unavailable", "directory unavailable during login");
            let msg = pages::fill(Msg::DirectoryDown.text(lang), &[]);
            let req = session.req_header();
            let r = LoginRender {
                rd: &rd,
                username: &username,
                realm: &realm,
                error: Some(msg),
                notice: None,
                status: 503,
            };
            return Ok(login_view_reply(gw, ctx, req, r).header("retry-after", "60".to_string()));
        }
    };
    // A session the client already had is ended, never upgraded: the new login gets a new ID.
    if let Ok((old, _)) = gw.current_session(session.req_header(), ctx).await? {
        let _ = gw.state.sessions.end(&old).await;
    }
    let (id, rec) =
        gw.state.sessions.create(&user, Methods::of(Method::Password)).await.map_err(unavailable("session store"))?;
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    tracing::info!(user = %rec.username, client = %client, zone = %zone.name, realm = %rec.realm, "login");
    let req = session.req_header();
    let target = safe_redirect(&rd, &|h| gw.is_own_host(h)).unwrap_or_else(|| PORTAL.to_string());
    let location = if needs_step_up(gw, req, &zone, &rec, &target) {
        format!("/.portvakt/second-factor?rd={}", http::url_encode(&target))
    } else {
        target
    };
    Ok(Reply::see_other(&location).header("set-cookie", gw.session_cookie(&id)))
}

/// Whether, after a password login, the user should step up before going to `target`: when the target is a service
/// that needs a stronger login, or (for the portal and other pages) when the zone itself requires two factors.
fn needs_step_up(
    gw: &Gateway,
    req: &pingora_http::RequestHeader,
    zone: &crate::zones::Zone,
    rec: &SessionRecord,
    target: &str,
) -> bool {
    let (host, path) = match url::Url::parse(target) {
        Ok(u) => (u.host_str().unwrap_or_default().to_ascii_lowercase(), u.path().to_string()),
        Err(_) => (http::host_of(req).unwrap_or_default(), target.split('?').next().unwrap_or("/").to_string()),
    };
    // The same canonical path and route the request to `target` will get.
    let resolved = gw.state.router.resolve(&host, &path).ok();
    let service = resolved.as_ref().and_then(|r| match r.target {
        super::routing::Target::Service(i) => gw.state.cfg.services.get(i).map(|s| (s, r.path.as_str())),
        _ => None,
    });
    match service {
        Some((s, path)) => gw.state.access.decide(&gw.facts(zone, rec, &s.name, path)) == Decision::StepUp,
        None => access::builtin(zone, rec.methods, rec.assurance) == Decision::StepUp,
    }
}

fn to_login(ctx: &Ctx, req: &pingora_http::RequestHeader, why: Invalid) -> Reply {
    let rd = if ctx.path.is_some() { super::request_target(ctx, req) } else { PORTAL.to_string() };
    let mut loc = format!("/.portvakt/login?rd={}", http::url_encode(&rd));
    if why == Invalid::IdleTimeout {
        loc.push_str("&expired=1");
    }
    Reply::redirect(&loc)
}

pub(super) async fn logout_post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let form = match read_form(gw, session, ctx).await? {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let mut provider_logout = None;
    if let Ok((id, rec)) = gw.current_session(session.req_header(), ctx).await? {
        if !token_eq(&rec.csrf, form.get("csrf").map(String::as_str).unwrap_or("")) {
            return Ok(csrf_refused(gw, ctx, session));
        }
        gw.state.sessions.end(&id).await.map_err(unavailable("session store"))?;
        tracing::info!(user = %rec.username, "logout");
        // An eID login also ends the provider's session, or the next eID login would pass without a question.
        if let (Some(login), Some(base)) = (&rec.eid, &gw.state.cfg.server.public_url) {
            let back = format!("{}/.portvakt/logged-out", base.as_str().trim_end_matches('/'));
            let lang = ctx.lang(session.req_header());
            provider_logout = gw.state.eid.end_session_url(login, &back, lang.code()).await;
        }
    }
    let clear = gw.cookie_header(&gw.cookies.session, "", true);
    if let Some(url) = provider_logout {
        return Ok(Reply::see_other(&url).header("set-cookie", clear).header("clear-site-data", "\"cache\""));
    }
    let pctx = page_ctx(ctx, session.req_header(), None);
    Ok(Reply::html(200, pages::logged_out_page(&pctx))
        .header("set-cookie", clear)
        .header("clear-site-data", "\"cache\""))
}

pub(super) async fn portal_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let rec = match gw.current_session(session.req_header(), ctx).await? {
        Ok((_, rec)) => rec,
        Err(why) => return Ok(to_login(ctx, session.req_header(), why)),
    };
    let req = session.req_header();
    let lang = ctx.lang(req);
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    let scheme = if gw.listener.is_https() { "https" } else { "http" };
    let port =
        http::authority_of(req).and_then(|a| a.parse::<::http::uri::Authority>().ok()).and_then(|a| a.port_u16());
    let tiles: Vec<Tile> = gw
        .state
        .cfg
        .services
        .iter()
        .map(|s| {
            let path = if s.path_prefix == "/" { "/".to_string() } else { format!("{}/", s.path_prefix) };
            let url = match s.hosts.first() {
                Some(h) => match port {
                    Some(p) => format!("{scheme}://{h}:{p}{path}"),
                    None => format!("{scheme}://{h}{path}"),
                },
                None => path.clone(),
            };
            let state = match gw.state.access.decide(&gw.facts(&zone, &rec, &s.name, &path)) {
                Decision::Allow => TileState::Open,
                Decision::StepUp => TileState::NeedsStepUp,
                Decision::Deny(d) => match d.kind {
                    DenyKind::Zone => TileState::NotFromThisNetwork,
                    DenyKind::ClosedUntil(t) => TileState::ClosedUntil(access::local_time(t)),
                    DenyKind::Rule | DenyKind::NoAccess => {
                        TileState::NoAccess(d.message.as_ref().and_then(|m| m.get(lang.code())).map(str::to_string))
                    }
                },
            };
            Tile { title: s.title.clone(), description: s.description.clone(), url, state }
        })
        .collect();
    let label = zone_label(ctx, lang);
    let pctx = PageCtx { lang, user: Some((&rec.display_name, &rec.csrf)) };
    Ok(Reply::html(200, pages::portal_page(&pctx, &rec.display_name, label, &tiles)))
}

/// The gateway's own POST handlers need a live session and its CSRF token; this reads both plus the form.
pub(super) async fn session_form(
    gw: &Gateway,
    session: &mut Session,
    ctx: &mut Ctx,
) -> Result<std::result::Result<(SessionId, SessionRecord, HashMap<String, String>), Reply>> {
    let form = match read_form(gw, session, ctx).await? {
        Ok(f) => f,
        Err(r) => return Ok(Err(r)),
    };
    let (id, rec) = match gw.current_session(session.req_header(), ctx).await? {
        Ok(v) => v,
        Err(why) => {
            let mut r = to_login(ctx, session.req_header(), why);
            r = r.with_status(303);
            return Ok(Err(r));
        }
    };
    if !token_eq(&rec.csrf, form.get("csrf").map(String::as_str).unwrap_or("")) {
        return Ok(Err(csrf_refused(gw, ctx, session)));
    }
    Ok(Ok((id, rec, form)))
}

/// A user's code channels: their registered numbers and their e-mail.
struct UserChannels {
    list: Vec<(Channel, String)>,
}

impl UserChannels {
    async fn load(gw: &Gateway, rec: &SessionRecord) -> Result<UserChannels> {
        let account = gw.state.accounts.get(&account_key(rec)).await.map_err(unavailable("account store"))?;
        let mut list = Vec::new();
        if gw.state.sms.is_some() {
            for (i, p) in account.phones.iter().take(crate::account::MAX_PHONES).enumerate() {
                list.push((Channel::Sms(u8::try_from(i).unwrap_or(0)), p.clone()));
            }
        }
        if let (Some(e), Some(_)) = (&rec.email, &gw.state.email) {
            list.push((Channel::Email, e.clone()));
        }
        Ok(UserChannels { list })
    }

    fn destination(&self, c: Channel) -> Option<&str> {
        self.list.iter().find(|(ch, _)| *ch == c).map(|(_, d)| d.as_str())
    }

    fn label(&self, gw: &Gateway, lang: pages::Lang, c: Channel, dest: &str) -> String {
        match c {
            Channel::Sms(_) => Msg::ChannelSms
                .text(lang)
                .replace("{number}", &crate::phone::mask(dest, &gw.state.cfg.accounts.default_country)),
            Channel::Email => Msg::ChannelEmail.text(lang).replace("{address}", &crate::phone::mask_email(dest)),
        }
    }

    fn choices(&self, gw: &Gateway, lang: pages::Lang) -> Vec<ChannelChoice> {
        self.list
            .iter()
            .map(|(c, d)| ChannelChoice { value: c.as_str().to_string(), label: self.label(gw, lang, *c, d) })
            .collect()
    }

    fn sent_message(&self, gw: &Gateway, lang: pages::Lang, c: Channel) -> Option<String> {
        let dest = self.destination(c)?;
        let minutes = (gw.state.second_factor.settings().code_lifetime.as_secs() / 60).max(1).to_string();
        Some(match c {
            Channel::Sms(_) => pages::fill(
                Msg::CodeSentSms.text(lang),
                &[("number", &crate::phone::mask(dest, &gw.state.cfg.accounts.default_country)), ("minutes", &minutes)],
            ),
            Channel::Email => pages::fill(
                Msg::CodeSentEmail.text(lang),
                &[("address", &crate::phone::mask_email(dest)), ("minutes", &minutes)],
            ),
        })
    }
}

pub(super) fn account_key(rec: &SessionRecord) -> String {
    format!("{}:{}", rec.realm, rec.username)
}

struct SecondFactorRender<'a> {
    status: u16,
    rd: &'a str,
    selected: &'a str,
    sent: Option<String>,
    error: Option<String>,
}

fn second_factor_reply(
    gw: &Gateway,
    ctx: &mut Ctx,
    req: &pingora_http::RequestHeader,
    rec: &SessionRecord,
    ch: &UserChannels,
    v: SecondFactorRender<'_>,
) -> Reply {
    let lang = ctx.lang(req);
    let choices = ch.choices(gw, lang);
    let pctx = PageCtx { lang, user: Some((&rec.display_name, &rec.csrf)) };
    let html = pages::second_factor_page(
        &pctx,
        &SecondFactorView {
            channels: &choices,
            selected: v.selected,
            rd: v.rd,
            csrf: &rec.csrf,
            sent: v.sent,
            error: v.error,
            eid_providers: &gw.state.eid_buttons,
        },
    );
    Reply::html(v.status, html)
}

/// Where to go after a login or step-up: `rd` when it is a local path or a configured host, else the portal.
pub(super) fn after_login_target(gw: &Gateway, rd: &str) -> String {
    safe_redirect(rd, &|h| gw.is_own_host(h)).unwrap_or_else(|| PORTAL.to_string())
}

pub(super) async fn second_factor_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let (id, rec) = match gw.current_session(session.req_header(), ctx).await? {
        Ok(v) => v,
        Err(why) => return Ok(to_login(ctx, session.req_header(), why)),
    };
    let req = session.req_header();
    let rd = query_param(req, "rd").unwrap_or_default();
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    if crate::methods::is_two_factor(rec.methods, rec.assurance) && !needs_step_up(gw, req, &zone, &rec, &rd) {
        return Ok(Reply::redirect(&after_login_target(gw, &rd)));
    }
    let ch = UserChannels::load(gw, &rec).await?;
    let now = gw.state.clock.now();
    let pending = gw
        .state
        .second_factor
        .pending(&id.key())
        .await
        .map_err(unavailable("challenge store"))?
        .filter(|c| c.expires > now && c.failures < gw.state.second_factor.settings().max_tries);
    let lang = ctx.lang(session.req_header());
    let sent = pending.as_ref().and_then(|c| ch.sent_message(gw, lang, c.channel));
    let selected = pending.map(|c| c.channel.as_str()).unwrap_or("");
    Ok(second_factor_reply(
        gw,
        ctx,
        session.req_header(),
        &rec,
        &ch,
        SecondFactorRender { status: 200, rd: &rd, selected, sent, error: None },
    ))
}

pub(super) async fn second_factor_send(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let (id, rec, form) = match session_form(gw, session, ctx).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let rd = form.get("rd").cloned().unwrap_or_default();
    let ch = UserChannels::load(gw, &rec).await?;
    let lang = ctx.lang(session.req_header());
    let req = session.req_header();
    let fail = |gw: &Gateway, ctx: &mut Ctx, status: u16, selected: &str, error: String| {
        second_factor_reply(
            gw,
            ctx,
            req,
            &rec,
            &ch,
            SecondFactorRender { status, rd: &rd, selected, sent: None, error: Some(error) },
        )
    };
    let Some((channel, dest)) =
        form.get("channel").and_then(|c| Channel::parse(c)).and_then(|c| ch.destination(c).map(|d| (c, d.to_string())))
    else {
        let msg = pages::fill(Msg::BadRequestBody.text(lang), &[]);
        return Ok(fail(gw, ctx, 400, "", msg));
    };
    let account = account_key(&rec);
    let client_ip = ctx.client.and_then(|c| c.0);
    let is_sms = matches!(channel, Channel::Sms(_));
    match gw.state.second_factor.precheck(&id.key(), &account).await {
        Ok(()) => {}
        Err(IssueError::Store(e)) => return Err(unavailable("challenge store")(e)),
        Err(e) => {
            let (msg, wait) = issue_refusal(gw, lang, &e);
            let mut r = fail(gw, ctx, 429, channel.as_str(), msg);
            if let Some(w) = wait {
                r = r.header("retry-after", w.as_secs().to_string());
            }
            return Ok(r);
        }
    };
    let checked = match gw.state.second_factor.limits.check(&dest, is_sms, &account, client_ip).await {
        Err(crate::second_factor::limits::CheckError::Store(e)) => return Err(unavailable("rate limit store")(e)),
        Err(crate::second_factor::limits::CheckError::Limit(hit)) => Err(hit),
        Ok(()) => Ok(()),
    };
    if let Err(hit) = checked {
        tracing::warn!(user = %rec.username, limit = hit.name(), "code send refused by limit");
        let (msg, wait) = limit_message(lang, hit);
        let mut r = fail(gw, ctx, 429, channel.as_str(), msg);
        if let Some(w) = wait {
            r = r.header("retry-after", w.as_secs().max(1).to_string());
        }
        return Ok(r);
    }
    let code = match gw.state.second_factor.issue(id.key(), &account, channel).await {
        Ok(c) => c,
        Err(e) => return Err(unavailable("second factor")(e)),
    };
    let shown = crate::second_factor::code::display(&code);
    let minutes = (gw.state.second_factor.settings().code_lifetime.as_secs() / 60).max(1).to_string();
    let sent = match channel {
        Channel::Sms(_) => {
            let text = Msg::CodeSmsText.text(lang).replace("{code}", &shown).replace("{minutes}", &minutes);
            match &gw.state.sms {
                Some(s) => s.send(&dest, &text).await,
                None => Err(crate::notify::NotifyError::Unavailable("no [sms] configured".into())),
            }
        }
        Channel::Email => {
            let msg = EmailMessage {
                subject: Msg::CodeEmailSubject.text(lang).to_string(),
                body: Msg::CodeEmailBody.text(lang).replace("{code}", &shown).replace("{minutes}", &minutes),
            };
            match &gw.state.email {
                Some(s) => s.send(&dest, &msg).await,
                None => Err(crate::notify::NotifyError::Unavailable("no [email] configured".into())),
            }
        }
    };
    if let Err(e) = sent {
        // The provider's failure is not the user's: the send is not counted, and the page offers the other way.
        let _ = gw.state.second_factor.uncount_send(&id.key()).await;
        tracing::warn!(user = %rec.username, channel = channel.as_str(), error = %e, "code could not be sent");
        let (msg, other) = match channel {
            Channel::Sms(_) => (Msg::SendFailedSms, "email"),
            Channel::Email => (Msg::SendFailedEmail, "sms:0"),
        };
        let msg = pages::fill(msg.text(lang), &[]);
        return Ok(fail(gw, ctx, 503, other, msg));
    }
    tracing::info!(user = %rec.username, channel = channel.as_str(), "code sent");
    let sent = ch.sent_message(gw, lang, channel);
    Ok(second_factor_reply(
        gw,
        ctx,
        session.req_header(),
        &rec,
        &ch,
        SecondFactorRender { status: 200, rd: &rd, selected: channel.as_str(), sent, error: None },
    ))
}

pub(super) async fn second_factor_verify(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let (id, rec, form) = match session_form(gw, session, ctx).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let rd = form.get("rd").cloned().unwrap_or_default();
    let typed = form.get("code").map(String::as_str).unwrap_or("");
    let account = account_key(&rec);
    let result =
        gw.state.second_factor.verify(&id.key(), &account, typed).await.map_err(unavailable("challenge store"))?;
    let lang = ctx.lang(session.req_header());
    match result {
        Ok(channel) => {
            // Step-up checks the account again, whatever the refresh interval says.
            let Some(rec) = gw.refresh_account(&id, rec, true).await? else {
                return Ok(to_login(ctx, session.req_header(), Invalid::Missing));
            };
            let (new_id, next) =
                gw.state.sessions.step_up(&id, &rec, channel.method()).await.map_err(unavailable("session store"))?;
            tracing::info!(user = %next.username, methods = %next.methods.header_value(), "second factor verified");
            let target = after_login_target(gw, &rd);
            Ok(Reply::see_other(&target).header("set-cookie", gw.session_cookie(&new_id)))
        }
        Err(why) => {
            tracing::info!(user = %rec.username, reason = ?why, "second factor refused");
            let ch = UserChannels::load(gw, &rec).await?;
            let pending = gw.state.second_factor.pending(&id.key()).await.ok().flatten();
            let (status, msg, keep_form) = match why {
                VerifyError::Wrong(left) => {
                    (200, pages::fill(Msg::CodeWrong.text(lang), &[("tries", &left.to_string())]), true)
                }
                VerifyError::Expired => (200, pages::fill(Msg::CodeExpired.text(lang), &[]), false),
                VerifyError::TooManyTries => (200, pages::fill(Msg::CodeTooManyTries.text(lang), &[]), false),
                VerifyError::NoChallenge => (200, pages::fill(Msg::CodeNone.text(lang), &[]), false),
                VerifyError::Locked(w) => (
                    429,
                    pages::fill(
                        Msg::SecondFactorLocked.text(lang),
                        &[("minutes", &w.as_secs().div_ceil(60).max(1).to_string())],
                    ),
                    false,
                ),
            };
            let sent =
                if keep_form { pending.as_ref().and_then(|c| ch.sent_message(gw, lang, c.channel)) } else { None };
            let selected = pending.map(|c| c.channel.as_str()).unwrap_or("");
            Ok(second_factor_reply(
                gw,
                ctx,
                session.req_header(),
                &rec,
                &ch,
                SecondFactorRender { status, rd: &rd, selected, sent, error: Some(msg) },
            ))
        }
    }
}

/// What to tell a user whose code send hit a limit, and how long to wait (for Retry-After).
pub(super) fn limit_message(lang: pages::Lang, hit: LimitHit) -> (String, Option<std::time::Duration>) {
    match hit {
        LimitHit::Country => (pages::fill(Msg::SendLimitCountry.text(lang), &[]), None),
        LimitHit::Cooldown(w) => {
            (pages::fill(Msg::SendLimitCooldown.text(lang), &[("seconds", &w.as_secs().max(1).to_string())]), Some(w))
        }
        LimitHit::Destination(w) | LimitHit::Account(w) | LimitHit::Address(w) | LimitHit::Global(w) => (
            pages::fill(Msg::SendLimitReached.text(lang), &[("minutes", &w.as_secs().div_ceil(60).max(1).to_string())]),
            Some(w),
        ),
        LimitHit::Challenge => (pages::fill(Msg::SendLimitReached.text(lang), &[("minutes", "5")]), None),
    }
}

/// What to tell a user when no code may be issued now (locked step, or this attempt's share used).
pub(super) fn issue_refusal(gw: &Gateway, lang: pages::Lang, e: &IssueError) -> (String, Option<std::time::Duration>) {
    match e {
        IssueError::Locked(w) => (
            pages::fill(
                Msg::SecondFactorLocked.text(lang),
                &[("minutes", &w.as_secs().div_ceil(60).max(1).to_string())],
            ),
            Some(*w),
        ),
        _ => {
            let minutes = (gw.state.second_factor.settings().code_lifetime.as_secs() / 60).max(1).to_string();
            (pages::fill(Msg::SendLimitReached.text(lang), &[("minutes", &minutes)]), None)
        }
    }
}

/// Whether this session may change its numbers from here: the `account.phones` policy when policies are
/// configured, else `[accounts] phone_zones`.
fn phones_allowed(gw: &Gateway, ctx: &Ctx, rec: &SessionRecord) -> bool {
    let Some(zone) = ctx.zone.as_ref() else { return false };
    if gw.state.access.policies().is_some() {
        let f = gw.facts(zone, rec, crate::policy::ACCOUNT_PHONES, "/");
        return gw.state.access.decide(&f) == Decision::Allow;
    }
    gw.state.cfg.accounts.phone_zones.iter().any(|p| *p == zone.name)
}

pub(super) struct AccountRender<'a> {
    pub(super) status: u16,
    pub(super) phone1: &'a str,
    pub(super) phone2: &'a str,
    pub(super) notice: Option<String>,
    pub(super) errors: Vec<String>,
}

pub(super) async fn account_reply(
    gw: &Gateway,
    ctx: &mut Ctx,
    session: &Session,
    rec: &SessionRecord,
    v: AccountRender<'_>,
) -> Result<Reply> {
    let account = gw.state.accounts.get(&account_key(rec)).await.map_err(unavailable("account store"))?;
    let masked: Vec<String> =
        account.phones.iter().map(|p| crate::phone::mask(p, &gw.state.cfg.accounts.default_country)).collect();
    let lang = ctx.lang(session.req_header());
    let pctx = PageCtx { lang, user: Some((&rec.display_name, &rec.csrf)) };
    let html = pages::account_page(
        &pctx,
        &AccountView {
            phones_masked: &masked,
            phone1: v.phone1,
            phone2: v.phone2,
            can_edit: phones_allowed(gw, ctx, rec),
            csrf: &rec.csrf,
            notice: v.notice,
            errors: v.errors,
            eid: super::eid::account_card(gw, rec, account.eid.as_ref()),
        },
    );
    Ok(Reply::html(v.status, html))
}

pub(super) async fn account_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let rec = match gw.current_session(session.req_header(), ctx).await? {
        Ok((_, rec)) => rec,
        Err(why) => return Ok(to_login(ctx, session.req_header(), why)),
    };
    account_reply(
        gw,
        ctx,
        session,
        &rec,
        AccountRender { status: 200, phone1: "", phone2: "", notice: None, errors: vec![] },
    )
    .await
}

pub(super) async fn account_phones_post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let (_, rec, form) = match session_form(gw, session, ctx).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let lang = ctx.lang(session.req_header());
    if !phones_allowed(gw, ctx, &rec) {
        let zone = ctx.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default();
        tracing::warn!(user = %rec.username, zone = %zone, "number change refused outside the allowed zones");
        let body = pages::fill(Msg::PhonesOnlyInternal.text(lang), &[]);
        return Ok(Reply::error_page_html(gw, lang, 403, Msg::ForbiddenTitle, body));
    }
    let phone1 = form.get("phone1").map(|s| s.trim().to_string()).unwrap_or_default();
    let phone2 = form.get("phone2").map(|s| s.trim().to_string()).unwrap_or_default();
    let refill = |status, errors| AccountRender { status, phone1: &phone1, phone2: &phone2, notice: None, errors };
    let extra =
        form.iter().any(|(k, v)| k.starts_with("phone") && k != "phone1" && k != "phone2" && !v.trim().is_empty());
    if extra {
        let errors = vec![pages::fill(Msg::PhonesTooMany.text(lang), &[])];
        return account_reply(gw, ctx, session, &rec, refill(400, errors)).await;
    }
    match confirm_password(gw, ctx, session, &rec, &form).await? {
        Ok(true) => {}
        Ok(false) => {
            let errors = vec![pages::fill(Msg::PhonesPasswordWrong.text(lang), &[])];
            return account_reply(gw, ctx, session, &rec, refill(400, errors)).await;
        }
        Err(r) => return Ok(r),
    }
    let account = account_key(&rec);
    let settings = &gw.state.cfg.accounts;
    let allowed = &gw.state.cfg.second_factor.limits.allowed_prefixes;
    let mut numbers = Vec::new();
    let mut errors = Vec::new();
    for typed in [&phone1, &phone2] {
        if typed.is_empty() {
            continue;
        }
        match crate::phone::normalize(typed, &settings.default_country, allowed) {
            Ok(n) if !numbers.contains(&n) => numbers.push(n),
            Ok(_) => {}
            Err(e) => {
                let reason = match e {
                    crate::phone::PhoneError::NotDigits => Msg::PhoneReasonDigits,
                    crate::phone::PhoneError::Length => Msg::PhoneReasonLength,
                    crate::phone::PhoneError::Country => Msg::PhoneReasonCountry,
                };
                errors.push(pages::fill(
                    Msg::PhoneInvalid.text(lang),
                    &[("input", typed), ("reason", reason.text(lang))],
                ));
            }
        }
    }
    if !errors.is_empty() {
        return account_reply(gw, ctx, session, &rec, refill(400, errors)).await;
    }
    if numbers.len() > crate::account::MAX_PHONES {
        let errors = vec![pages::fill(Msg::PhonesTooMany.text(lang), &[])];
        return account_reply(gw, ctx, session, &rec, refill(400, errors)).await;
    }
    let old = gw.state.accounts.set_phones(&account, numbers.clone()).await.map_err(unavailable("account store"))?;
    if old != numbers {
        tracing::info!(user = %rec.username, count = numbers.len(), "SMS numbers changed");
        announce_phone_change(gw, lang, &rec, old);
    }
    let notice = Some(pages::fill(Msg::PhonesSaved.text(lang), &[]));
    account_reply(gw, ctx, session, &rec, AccountRender { status: 200, phone1: "", phone2: "", notice, errors: vec![] })
        .await
}

/// Checks the form's `password` for the session's user, regulated like a login: `Ok(false)` for a wrong one,
/// `Err(reply)` when the account or address is banned for now. Account changes are confirmed this way.
pub(super) async fn confirm_password(
    gw: &Gateway,
    ctx: &mut Ctx,
    session: &Session,
    rec: &SessionRecord,
    form: &HashMap<String, String>,
) -> Result<std::result::Result<bool, Reply>> {
    let Some(dir) = gw.state.directory(Some(&rec.realm)) else {
        return Err(Error::explain(HTTPStatus(503), "directory of this session is gone"));
    };
    let account = account_key(rec);
    let client_ip = ctx.client.and_then(|c| c.0);
    if let Err(wait) = gw.state.regulator.begin(&account, client_ip).await.map_err(unavailable("regulation store"))? {
        return Ok(Err(too_many_attempts(gw, ctx, session, wait)));
    }
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let ok = !password.is_empty()
        && password.len() <= 1024
        && dir.authenticate(&rec.username, password).await.map_err(unavailable("directory"))?.is_some();
    if ok {
        gw.state.regulator.succeeded(&account, client_ip).await.map_err(unavailable("regulation store"))?;
    }
    Ok(Ok(ok))
}

/// Tells the user, by e-mail and on every number registered before the change, that their numbers changed: a thief
/// who adds a number while keeping the owner's is announced on the owner's phone too.
fn announce_phone_change(gw: &Gateway, lang: pages::Lang, rec: &SessionRecord, old: Vec<String>) {
    let email = gw.state.email.clone();
    let sms = gw.state.sms.clone();
    let to_email = rec.email.clone();
    let time = gw.state.clock.now().utc_minute();
    let subject = Msg::PhonesChangedSubject.text(lang).to_string();
    let body = Msg::PhonesChangedBody.text(lang).replace("{time}", &time);
    let text = Msg::PhonesChangedSms.text(lang).to_string();
    tokio::spawn(async move {
        if let (Some(to), Some(email)) = (to_email, email) {
            if let Err(e) = email.send(&to, &EmailMessage { subject, body }).await {
                tracing::warn!(error = %e, "could not announce number change by e-mail");
            }
        }
        if let Some(sms) = sms {
            for n in &old {
                if let Err(e) = sms.send(n, &text).await {
                    tracing::warn!(error = %e, "could not announce number change by SMS");
                }
            }
        }
    });
}
