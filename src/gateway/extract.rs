//! Extractors: what a handler reads from a request, each answering the refusal itself (through
//! [`HandlerError::Reply`]) so a handler reads `let form = extract::form(gw, session, ctx).await?;`.
//!
//! - [`form`]: a URL-encoded form body, size-capped, from this site only.
//! - [`prelogin_form`]: a form before login, with the CSRF token of the pre-login cookie.
//! - [`logged_in`]: the request's live session, or a redirect to login.
//! - [`session_form`]: a form from a logged-in user, with the session's CSRF token.
//! - [`confirm_password`]: the form's `password` for the session's user, regulated like a login.

use super::handler::{csrf_refused, to_login, too_many_attempts, HandlerError};
use super::{http, Ctx, Gateway};
use crate::pages::Msg;
use crate::services::login::Confirmation;
use crate::session::{random_token, token_eq, SessionId, SessionRecord};
use pingora::proxy::Session;
use pingora_http::RequestHeader;
use std::collections::HashMap;

/// A parsed form body; the first value of a repeated field wins.
#[derive(Default)]
pub struct Form(HashMap<String, String>);

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Forms carry passwords and codes: only the field names.
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Form {
    /// A field's value as sent, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// A field's value without surrounding white space, or "".
    pub fn trimmed(&self, name: &str) -> String {
        self.get(name).trim().to_string()
    }

    /// Every field.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }
}

/// Reads a form body up to the configured cap. Refused: a body that is too large (413), one that is not
/// `application/x-www-form-urlencoded` (415), or one posted from another site (403: an `Origin` that is neither
/// this request's own origin nor a configured host, or `Sec-Fetch-Site: cross-site`). The body of a refused form is
/// not read, and the connection is not reused.
pub async fn form(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Form, HandlerError> {
    let req = session.req_header();
    if !http::is_urlencoded_form(req) {
        session.set_keepalive(None);
        let lang = ctx.lang(session.req_header());
        return Err(super::Reply::error_page(gw, lang, 415, Msg::BadRequestTitle, Msg::FormTypeBody).into());
    }
    if http::is_cross_site(req, &|h| gw.is_own_host(h)) {
        tracing::info!(
            origin = ?req.headers.get(::http::header::ORIGIN),
            fetch_site = ?req.headers.get("sec-fetch-site"),
            path = ctx.path.as_deref().unwrap_or(""),
            "cross-site form refused"
        );
        session.set_keepalive(None);
        return Err(csrf_refused(gw, ctx, session).into());
    }
    let cap = gw.state.cfg.server.max_form_bytes;
    let declared = req
        .headers
        .get(::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = |gw: &Gateway, ctx: &mut Ctx, session: &mut Session| -> HandlerError {
        session.set_keepalive(None);
        let lang = ctx.lang(session.req_header());
        super::Reply::error_page(gw, lang, 413, Msg::TooLargeTitle, Msg::TooLargeBody).into()
    };
    if declared.is_some_and(|n| n > cap) {
        return Err(too_large(gw, ctx, session));
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
            return Err(too_large(gw, ctx, session));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Form(http::parse_form(&buf)))
}

/// A CSRF token for pre-login forms: the one in the client's cookie, or a new one to set (`true`).
pub fn prelogin_csrf(gw: &Gateway, req: &RequestHeader) -> (String, bool) {
    match http::cookie(req, &gw.cookies.csrf) {
        Some(t) if t.len() == 22 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') => {
            (t.to_string(), false)
        }
        _ => (random_token(), true),
    }
}

/// A form posted before login (login, eID link): its `csrf` field must equal the pre-login CSRF cookie (403).
pub async fn prelogin_form(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Form, HandlerError> {
    let form = form(gw, session, ctx).await?;
    let cookie_token = http::cookie(session.req_header(), &gw.cookies.csrf).unwrap_or("");
    if cookie_token.is_empty() || !token_eq(cookie_token, form.get("csrf")) {
        return Err(csrf_refused(gw, ctx, session).into());
    }
    Ok(form)
}

/// A live session: its ID and record.
#[derive(Debug)]
pub struct LoggedIn {
    /// The session ID.
    pub id: SessionId,
    /// The session (shared with the decoded-record cache).
    pub rec: std::sync::Arc<SessionRecord>,
}

/// The request's live session; without one, a redirect to the login page that comes back here.
pub async fn logged_in(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<LoggedIn, HandlerError> {
    match gw.current_session(session.req_header(), ctx).await? {
        Ok((id, rec)) => Ok(LoggedIn { id, rec }),
        Err(why) => Err(to_login(ctx, session.req_header(), why).into()),
    }
}

/// A form from a logged-in user: the form, then the session (303 to login without one), then the session's CSRF
/// token in the form's `csrf` field (403).
pub async fn session_form(
    gw: &Gateway,
    session: &mut Session,
    ctx: &mut Ctx,
) -> Result<(LoggedIn, Form), HandlerError> {
    let form = form(gw, session, ctx).await?;
    let (id, rec) = match gw.current_session(session.req_header(), ctx).await? {
        Ok(v) => v,
        Err(why) => return Err(to_login(ctx, session.req_header(), why).with_status(303).into()),
    };
    if !token_eq(&rec.csrf, form.get("csrf")) {
        return Err(csrf_refused(gw, ctx, session).into());
    }
    Ok((LoggedIn { id, rec }, form))
}

/// Checks the form's `password` for the session's user, regulated like a login: `false` for a wrong one, a 429
/// page while the account or address is banned. Account changes are confirmed this way.
pub async fn confirm_password(
    gw: &Gateway,
    ctx: &mut Ctx,
    session: &Session,
    rec: &SessionRecord,
    form: &Form,
) -> Result<bool, HandlerError> {
    let client = ctx.client.and_then(|c| c.0);
    match gw.logins().confirm(&rec.realm, &rec.username, form.get("password"), client).await? {
        Confirmation::Confirmed => Ok(true),
        Confirmation::Wrong => Ok(false),
        Confirmation::TooManyAttempts(wait) => Err(too_many_attempts(gw, ctx, session, wait).into()),
    }
}
