//! Pages without a user: health, readiness, the JWKS, the stylesheet, the form-answer script, favicon and logo, the
//! language switcher, and the "logged out" page.

use crate::gateway::handler::{page_ctx, Handled};
use crate::gateway::http::query_param;
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::pages;
use bytes::Bytes;
use pingora::proxy::Session;

/// GET /.portvakt/healthz: alive.
pub async fn healthz(_gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::text(200, "ok\n"))
}

/// GET /.portvakt/readyz: ready only while the store answers a write/read/delete probe, so a load balancer routes
/// around an instance whose store is down, and back once it answers again.
pub async fn readyz(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(match gw.state.stores.probe.probe().await {
        Ok(()) => Reply::text(200, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: store probe failed");
            Reply::text(503, "not ready: the state store does not answer\n")
        }
    })
}

/// GET /.portvakt/logged-out: where logout and a provider's logout return to; `r=eid-unlinked` after an eID login
/// removed its own eID link (which ended the session).
pub async fn logged_out(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let req = session.req_header();
    if query_param(req, "r").as_deref() == Some(super::account::EID_UNLINKED) {
        let lang = ctx.lang(req);
        let body = pages::Msg::EidUnlinked.into();
        return Ok(Reply::message_page(lang, 200, pages::Msg::EidAccountTitle, body, false));
    }
    let pctx = page_ctx(gw, ctx, session.req_header(), None);
    Ok(Reply::html(200, pages::logged_out_page(&pctx)))
}

/// GET /.portvakt/jwks.json: the assertion's public keys.
pub async fn jwks(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::bytes(200, "application/jwk-set+json", Bytes::from(gw.state.key.jwks())))
}

/// GET the stylesheet (with the configured primary colour).
pub async fn stylesheet(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::bytes(200, "text/css; charset=utf-8", gw.state.stylesheet.clone()))
}

/// GET the script of pages that answer a form ([`pages::FORM_ANSWER_JS`]).
pub async fn form_answer_script(_gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::bytes(200, "text/javascript; charset=utf-8", Bytes::from_static(pages::FORM_ANSWER_JS.as_bytes())))
}

/// Cache-Control of images whose URL carries their version: a changed file gets a new URL.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An image with its content type; cached for a year (its URL changes with its content), and 304 for a browser
/// that already has this version.
fn image(session: &Session, img: &crate::branding::Image) -> Reply {
    let etag = format!("\"{}\"", img.version);
    let have = session.req_header().headers.get(::http::header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if have.is_some_and(|h| h.split(',').any(|t| t.trim() == etag)) {
        return Reply::bytes(304, img.content_type, Bytes::new()).cache_control(IMMUTABLE).header("etag", etag);
    }
    Reply::bytes(200, img.content_type, img.bytes.clone()).cache_control(IMMUTABLE).header("etag", etag)
}

/// GET the favicon: `[branding] favicon`, or Portvakt's own.
pub async fn favicon(gw: &Gateway, session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(image(session, &gw.state.favicon))
}

/// GET the logo: `[branding] logo`, or Portvakt's own mark (the pages show a logo only when one is configured).
pub async fn logo(gw: &Gateway, session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(image(session, gw.state.cfg.branding.logo.as_ref().unwrap_or(&gw.state.default_logo)))
}

/// How long the language choice is remembered.
const LANG_COOKIE_DAYS: i64 = 365;

/// A redirect target for the language switcher: a path on this same host, never another origin (`//host`,
/// `/\host`, a scheme); anything else goes to the portal.
pub fn same_origin_path(rd: &str) -> &str {
    let ok = rd.starts_with('/')
        && !rd.starts_with("//")
        && rd.len() <= 4096
        && !rd.chars().any(|c| c.is_control() || c == '\\' || c.is_whitespace());
    if ok {
        rd
    } else {
        crate::gateway::handler::PORTAL
    }
}

/// GET /.portvakt/language?lang=CODE&rd=PATH: remembers the language in a cookie (works without JavaScript) and
/// goes back to the page the switcher was on (a path on this host only).
pub async fn language(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let req = session.req_header();
    let chosen = query_param(req, "lang").as_deref().and_then(pages::Lang::from_code);
    let rd = query_param(req, "rd").unwrap_or_default();
    let Some(lang) = chosen else {
        let lang = ctx.lang(req);
        return Ok(Reply::error_page(gw, lang, 400, pages::Msg::BadRequestTitle, pages::Msg::BadRequestBody));
    };
    let mut c = cookie::Cookie::build((gw.cookies.lang.to_string(), lang.code()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::days(LANG_COOKIE_DAYS));
    if gw.listener.is_https() {
        c = c.secure(true);
    }
    Ok(Reply::see_other(same_origin_path(&rd)).header("set-cookie", c.build().to_string()))
}
