//! What a page handler returns: a [`Reply`], or a [`HandlerError`] that either is an early answer (a refused form,
//! a redirect to login, a limit page) or a failure for `fail_to_proxy` (a store that does not answer: 503 page).
//! Both work with `?`.

use super::reply::Reply;
use super::{http, Ctx, Gateway};
use crate::pages::{Msg, PageCtx, Text};
use crate::second_factor::limits::LimitHit;
use crate::services::codes::{Refusal, StepRefusal};
use crate::session::{Invalid, SessionRecord};
use pingora::prelude::*;
use pingora::proxy::Session;
use pingora_http::RequestHeader;
use std::time::Duration;

/// Why a handler stopped before its happy end.
#[derive(Debug)]
pub enum HandlerError {
    /// Answer with this reply (refusals, redirects, validation pages).
    Reply(Reply),
    /// A failure with its HTTP meaning (`HTTPStatus(503)` for a store or directory that does not answer).
    Fail(Box<Error>),
}

/// A handler's result.
pub type Handled = std::result::Result<Reply, HandlerError>;

impl From<Reply> for HandlerError {
    fn from(r: Reply) -> HandlerError {
        HandlerError::Reply(r)
    }
}

impl From<Box<Error>> for HandlerError {
    fn from(e: Box<Error>) -> HandlerError {
        HandlerError::Fail(e)
    }
}

impl HandlerError {
    /// The reply to send, or the failure for pingora's error path.
    pub fn into_reply(self) -> Result<Reply> {
        match self {
            HandlerError::Reply(r) => Ok(r),
            HandlerError::Fail(e) => Err(e),
        }
    }
}

/// Maps a store or directory failure to 503, naming what failed (the error page tells the user to try again).
pub fn unavailable<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> HandlerError {
    move |e| HandlerError::Fail(Error::explain(HTTPStatus(503), format!("{what}: {e}")))
}

impl From<crate::services::Unavailable> for HandlerError {
    fn from(e: crate::services::Unavailable) -> HandlerError {
        HandlerError::Fail(Error::explain(HTTPStatus(503), e.to_string()))
    }
}

/// Where the portal lives: the target after login when `rd` is missing or not ours.
pub const PORTAL: &str = "/.portvakt/portal";

/// The page context for a request: its language, the municipality's chrome, the page the language switcher comes
/// back to, and the user shown in the header (with the logout form's token).
pub fn page_ctx<'a>(
    gw: &'a Gateway,
    ctx: &mut Ctx,
    req: &RequestHeader,
    user: Option<(&'a str, &'a str)>,
) -> PageCtx<'a> {
    PageCtx {
        lang: ctx.lang(req),
        user,
        chrome: &gw.state.chrome,
        here: return_path(ctx, req),
        answers_form: req.method == ::http::Method::POST,
    }
}

/// Gateway pages a language switch may come back to by GET; every other gateway path (the eID callback, the
/// language endpoint itself, static files) comes back to the portal.
const RETURNABLE: [&str; 7] = [
    "/.portvakt/login",
    "/.portvakt/second-factor",
    "/.portvakt/portal",
    "/.portvakt/account",
    "/.portvakt/logout",
    "/.portvakt/logged-out",
    "/.portvakt/eid/link",
];

/// Where the language switcher on this request's page comes back to: the same page by GET. A page answering a
/// form (POST) comes back to the page the form is on (`/.portvakt/second-factor/verify` to
/// `/.portvakt/second-factor`), a service's page to the same path; a gateway path that is not a page, to the portal.
pub fn return_path(ctx: &Ctx, req: &RequestHeader) -> String {
    let Some(path) = ctx.path.as_deref() else { return PORTAL.to_string() };
    if !crate::canonical::is_reserved(path) {
        return if req.method == ::http::Method::GET { super::request_target(ctx, req) } else { path.to_string() };
    }
    let Some(page) =
        RETURNABLE.iter().find(|p| path == **p || path.strip_prefix(**p).is_some_and(|r| r.starts_with('/')))
    else {
        return PORTAL.to_string();
    };
    match req.method {
        ::http::Method::GET | ::http::Method::HEAD if path == *page => super::request_target(ctx, req),
        // After the logout form, the session is gone: the logged-out page.
        _ if *page == "/.portvakt/logout" && req.method == ::http::Method::POST => "/.portvakt/logged-out".to_string(),
        _ => page.to_string(),
    }
}

/// 403: the form's CSRF token is missing or wrong, or the form was posted from another site.
pub fn csrf_refused(gw: &Gateway, ctx: &mut Ctx, session: &Session) -> Reply {
    let lang = ctx.lang(session.req_header());
    Reply::error_page(gw, lang, 403, Msg::ForbiddenTitle, Msg::ForbiddenCsrf)
}

/// 429 with the wait in seconds, on the page and in Retry-After.
pub fn too_many_attempts(gw: &Gateway, ctx: &mut Ctx, session: &Session, wait: Duration) -> Reply {
    let lang = ctx.lang(session.req_header());
    let secs = wait.as_secs().max(1);
    let body = Msg::TooManyAttemptsBody.arg("seconds", secs);
    Reply::error_page(gw, lang, 429, Msg::TooManyAttemptsTitle, body).header("retry-after", secs.to_string())
}

/// 302 to the login page, coming back to this page; after an idle timeout with `expired=<minutes>`, the minutes
/// of the timeout that applied (a zone's policy rule, or `session.idle_timeout`), which the login page names.
pub fn to_login(ctx: &Ctx, req: &RequestHeader, why: Invalid) -> Reply {
    let rd = if ctx.path.is_some() { super::request_target(ctx, req) } else { PORTAL.to_string() };
    let mut loc = format!("/.portvakt/login?rd={}", http::url_encode(&rd));
    if why == Invalid::IdleTimeout {
        // Whole minutes, rounded down: "inactive for more than N minutes" stays true.
        let minutes = ctx.idle_applied().map_or(0, |d| d.as_secs() / 60);
        loc.push_str(&format!("&expired={minutes}"));
    }
    Reply::redirect(&loc)
}

/// Where to go after a login or step-up: `rd` when it is a local path or a configured host, else the portal.
pub fn after_login_target(gw: &Gateway, rd: &str) -> String {
    http::safe_redirect(rd, &|h| gw.is_own_host(h)).unwrap_or_else(|| PORTAL.to_string())
}

/// The account key (`realm:username`) of a session.
pub fn account_key(rec: &SessionRecord) -> String {
    crate::services::login::account_key(&rec.realm, &rec.username)
}

/// What to tell a user whose code was refused, and how long to wait (for Retry-After).
pub fn code_refusal(gw: &Gateway, r: Refusal) -> (Text, Option<Duration>) {
    let minutes = |w: Duration| w.as_secs().div_ceil(60).max(1);
    match r {
        Refusal::Step(StepRefusal::Locked(w)) => (Msg::SecondFactorLocked.arg("minutes", minutes(w)), Some(w)),
        Refusal::Step(StepRefusal::ChallengeCap) => {
            (Msg::SendLimitReached.arg("minutes", gw.codes().lifetime_minutes()), None)
        }
        Refusal::Limit(LimitHit::Country) => (Text::from(Msg::SendLimitCountry), None),
        Refusal::Limit(LimitHit::Cooldown(w)) => (Msg::SendLimitCooldown.arg("seconds", w.as_secs().max(1)), Some(w)),
        Refusal::Limit(
            LimitHit::Destination(w) | LimitHit::Account(w) | LimitHit::Address(w) | LimitHit::Global(w),
        ) => (Msg::SendLimitReached.arg("minutes", minutes(w)), Some(w)),
        Refusal::Limit(LimitHit::Challenge) => (Msg::SendLimitReached.arg("minutes", 5u64), None),
    }
}

/// A refusal page's Retry-After, when there is a wait.
pub fn with_retry_after(r: Reply, wait: Option<Duration>) -> Reply {
    match wait {
        Some(w) => r.header("retry-after", w.as_secs().max(1).to_string()),
        None => r,
    }
}
