//! The gateway's own endpoints under `/.portvakt/`: login, logout, step-up, portal, health, JWKS, stylesheet.
//! Thin handlers: the decisions live in `access`, `session` and `directory`.

use super::http::{self, parse_form, query_param, safe_redirect};
use super::reply::Reply;
use super::{Ctx, Gateway};
use crate::access::{self, Decision};
use crate::config::REMOTE_ZONE;
use crate::directory::normalize_username;
use crate::pages::{self, LoginView, Msg, PageCtx, Tile, TileState};
use crate::session::{random_token, token_eq, Invalid, Method, Methods};
use bytes::Bytes;
use pingora::prelude::*;
use pingora::proxy::Session;
use std::collections::HashMap;

const PORTAL: &str = "/.portvakt/portal";

/// Answers a request under `/.portvakt/`.
pub async fn handle(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let req = session.req_header();
    let method = req.method.clone();
    let path = req.uri.path().to_string();
    let get = method == ::http::Method::GET || method == ::http::Method::HEAD;
    let post = method == ::http::Method::POST;
    match path.as_str() {
        "/.portvakt/healthz" if get => Ok(Reply::text(200, "ok\n")),
        "/.portvakt/jwks.json" if get => {
            Ok(Reply::bytes(200, "application/jwk-set+json", Bytes::from(gw.state.key.jwks())))
        }
        pages::CSS_PATH if get => {
            Ok(Reply::bytes(200, "text/css; charset=utf-8", Bytes::from_static(pages::CSS.as_bytes())))
        }
        "/.portvakt/login" if get => login_get(gw, session, ctx).await,
        "/.portvakt/login" if post => login_post(gw, session, ctx).await,
        "/.portvakt/second-factor" if get => step_up_get(gw, session, ctx).await,
        "/.portvakt/logout" if post => logout_post(gw, session, ctx).await,
        "/.portvakt/portal" if get => portal_get(gw, session, ctx).await,
        "/.portvakt/healthz"
        | "/.portvakt/jwks.json"
        | pages::CSS_PATH
        | "/.portvakt/login"
        | "/.portvakt/second-factor"
        | "/.portvakt/logout"
        | "/.portvakt/portal" => {
            let lang = ctx.lang(session.req_header());
            Ok(Reply::error_page(gw, lang, 405, Msg::BadRequestTitle, Msg::BadRequestBody.text(lang).into())
                .header("allow", if path == "/.portvakt/logout" { "POST" } else { "GET, HEAD, POST" }))
        }
        _ => {
            let lang = ctx.lang(session.req_header());
            Ok(Reply::error_page(gw, lang, 404, Msg::NotFoundTitle, Msg::NotFoundBody.text(lang).into()))
        }
    }
}

/// The answer on a plain-HTTP listener that only redirects: the same path on HTTPS.
pub fn https_redirect(gw: &Gateway, req: &pingora_http::RequestHeader) -> Reply {
    let path = req.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let host = http::host_of(req).unwrap_or_default();
    let base = match &gw.state.cfg.server.public_url {
        Some(u) if u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host)) || host.is_empty() => {
            u.as_str().trim_end_matches('/').to_string()
        }
        _ if host.contains(':') => format!("https://[{host}]"),
        _ => format!("https://{host}"),
    };
    Reply::text(308, "").header("location", format!("{base}{path}"))
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
fn prelogin_csrf(gw: &Gateway, req: &pingora_http::RequestHeader) -> (String, bool) {
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
        },
    );
    let mut r = Reply::html(200, html);
    if fresh {
        r = r.header("set-cookie", gw.cookie_header(&gw.cookies.csrf, &csrf, false));
    }
    r
}

async fn login_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
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

/// Reads a form body up to the configured cap; `Err(reply)` for a body that is too large.
async fn read_form(
    gw: &Gateway,
    session: &mut Session,
    ctx: &mut Ctx,
) -> Result<std::result::Result<HashMap<String, String>, Reply>> {
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
    while let Some(chunk) = session.read_request_body().await? {
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

fn csrf_refused(gw: &Gateway, ctx: &mut Ctx, session: &Session) -> Reply {
    let lang = ctx.lang(session.req_header());
    Reply::error_page(gw, lang, 403, Msg::ForbiddenTitle, Msg::ForbiddenCsrf.text(lang).into())
}

async fn login_post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
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
            LoginRender { rd: &rd, username, realm: &realm, error: Some(msg), notice: None },
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
    if let Err(wait) = gw.state.regulator.check(&account, client_ip) {
        tracing::warn!(user = %username, client = %client, "login refused: too many failed attempts");
        return Ok(too_many_attempts(gw, ctx, session, wait));
    }
    let user = match dir.authenticate(&username, password).await {
        Ok(Some(u)) => {
            gw.state.regulator.record_success(&account);
            u
        }
        Ok(None) => {
            let banned = gw.state.regulator.record_failure(&account, client_ip).is_err();
            tracing::info!(user = %username, client = %client, realm = %dir.name(), banned, "login failed");
            return Ok(failed(gw, ctx, session, &username));
        }
        Err(e) => {
            tracing::error!(error = %e, "directory unavailable during login");
            let lang = ctx.lang(session.req_header());
            return Ok(Reply::error_page(gw, lang, 503, Msg::UnavailableTitle, Msg::UnavailableBody.text(lang).into()));
        }
    };
    // A session the client already had is ended, never upgraded: the new login gets a new ID.
    if let Ok((old, _)) = gw.current_session(session.req_header()).await? {
        let _ = gw.state.sessions.end(&old).await;
    }
    let (id, rec) = gw
        .state
        .sessions
        .create(&user, Methods::of(Method::Password))
        .await
        .map_err(|e| Error::explain(HTTPStatus(503), format!("session store: {e}")))?;
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    tracing::info!(user = %rec.username, client = %client, zone = %zone.name, realm = %rec.realm, "login");
    let req = session.req_header();
    let request_host = http::host_of(req).unwrap_or_default();
    let target = safe_redirect(&rd, &|h| gw.is_own_host(h, &request_host)).unwrap_or_else(|| PORTAL.to_string());
    let location = match access::decide(&zone, rec.methods) {
        Decision::StepUp => format!("/.portvakt/second-factor?rd={}", http::url_encode(&target)),
        _ => target,
    };
    Ok(Reply::see_other(&location).header("set-cookie", gw.session_cookie(&id)))
}

async fn step_up_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let rec = match gw.current_session(session.req_header()).await? {
        Ok((_, rec)) => rec,
        Err(why) => return Ok(to_login(session.req_header(), why)),
    };
    let req = session.req_header();
    let lang = ctx.lang(req);
    let label = zone_label(ctx, lang);
    let pctx = PageCtx { lang, user: Some((&rec.display_name, &rec.csrf)) };
    Ok(Reply::html(200, pages::step_up_page(&pctx, label, false)))
}

fn to_login(req: &pingora_http::RequestHeader, why: Invalid) -> Reply {
    let rd = req.uri.path_and_query().map(|p| p.as_str()).unwrap_or(PORTAL);
    let mut loc = format!("/.portvakt/login?rd={}", http::url_encode(rd));
    if why == Invalid::IdleTimeout {
        loc.push_str("&expired=1");
    }
    Reply::redirect(&loc)
}

async fn logout_post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let form = match read_form(gw, session, ctx).await? {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    if let Ok((id, rec)) = gw.current_session(session.req_header()).await? {
        if !token_eq(&rec.csrf, form.get("csrf").map(String::as_str).unwrap_or("")) {
            return Ok(csrf_refused(gw, ctx, session));
        }
        gw.state.sessions.end(&id).await.map_err(|e| Error::explain(HTTPStatus(503), format!("session store: {e}")))?;
        tracing::info!(user = %rec.username, "logout");
    }
    let pctx = page_ctx(ctx, session.req_header(), None);
    Ok(Reply::html(200, pages::logged_out_page(&pctx))
        .header("set-cookie", gw.cookie_header(&gw.cookies.session, "", true))
        .header("clear-site-data", "\"cache\""))
}

async fn portal_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let rec = match gw.current_session(session.req_header()).await? {
        Ok((_, rec)) => rec,
        Err(why) => return Ok(to_login(session.req_header(), why)),
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
                None => path,
            };
            let state = match access::decide(&zone, rec.methods) {
                Decision::Allow => TileState::Open,
                Decision::StepUp => TileState::NeedsStepUp,
                Decision::Deny(_) => TileState::NotFromThisNetwork,
            };
            Tile { title: s.title.clone(), description: s.description.clone(), url, state }
        })
        .collect();
    let label = zone_label(ctx, lang);
    let pctx = PageCtx { lang, user: Some((&rec.display_name, &rec.csrf)) };
    Ok(Reply::html(200, pages::portal_page(&pctx, &rec.display_name, label, &tiles)))
}
