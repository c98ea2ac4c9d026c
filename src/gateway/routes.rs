//! The gateway's own pages as one table of `(method, path, handler)`. Dispatch, 404, 405 and the `Allow` header are
//! all derived from [`ROUTES`]: adding a page is one row here and one handler function.

use super::handler::{Handled, HandlerError};
use super::handlers::{account, eid_link, eid_login, login, logout, portal, second_factor, system};
use super::reply::Reply;
use super::{Ctx, Gateway};
use crate::pages::Msg;
use pingora::proxy::Session;
use std::future::Future;
use std::pin::Pin;

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Handled> + Send + 'a>>;

/// A page handler: reads what it needs from the request, answers with a reply.
pub type Handler = for<'a> fn(&'a Gateway, &'a mut Session, &'a mut Ctx) -> HandlerFuture<'a>;

/// The request methods a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET, and HEAD (the same answer without its body).
    Get,
    /// POST.
    Post,
}

impl Method {
    /// Whether this route method answers a request with `m`.
    pub fn answers(self, m: &::http::Method) -> bool {
        match self {
            Method::Get => m == ::http::Method::GET || m == ::http::Method::HEAD,
            Method::Post => m == ::http::Method::POST,
        }
    }

    /// The names in an `Allow` header.
    fn allow_names(self) -> &'static [&'static str] {
        match self {
            Method::Get => &["GET", "HEAD"],
            Method::Post => &["POST"],
        }
    }
}

/// One row of the table.
#[derive(Clone, Copy)]
pub struct Route {
    /// The method answered.
    pub method: Method,
    /// The canonical path, exactly.
    pub path: &'static str,
    /// Only served when eID login is configured (otherwise the path does not exist: 404).
    pub needs_eid: bool,
    /// The handler.
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route").field("method", &self.method).field("path", &self.path).finish_non_exhaustive()
    }
}

/// Wraps an `async fn(&Gateway, &mut Session, &mut Ctx) -> Handled` as a table [`Handler`].
macro_rules! h {
    ($f:path) => {
        |gw, s, c| Box::pin($f(gw, s, c))
    };
}

const fn get(path: &'static str, handler: Handler) -> Route {
    Route { method: Method::Get, path, needs_eid: false, handler }
}

const fn post(path: &'static str, handler: Handler) -> Route {
    Route { method: Method::Post, path, needs_eid: false, handler }
}

const fn eid_only(r: Route) -> Route {
    Route { needs_eid: true, ..r }
}

/// Every page of the gateway under `/.portvakt/`.
pub const ROUTES: &[Route] = &[
    get("/.portvakt/healthz", h!(system::healthz)),
    get("/.portvakt/readyz", h!(system::readyz)),
    get("/.portvakt/logged-out", h!(system::logged_out)),
    get("/.portvakt/jwks.json", h!(system::jwks)),
    get(crate::pages::CSS_PATH, h!(system::stylesheet)),
    get(crate::pages::FORM_ANSWER_JS_PATH, h!(system::form_answer_script)),
    get(crate::pages::FAVICON_PATH, h!(system::favicon)),
    get(crate::pages::LOGO_PATH, h!(system::logo)),
    get("/.portvakt/language", h!(system::language)),
    get("/.portvakt/login", h!(login::get)),
    post("/.portvakt/login", h!(login::post)),
    get("/.portvakt/second-factor", h!(second_factor::get)),
    post("/.portvakt/second-factor/send", h!(second_factor::send)),
    post("/.portvakt/second-factor/verify", h!(second_factor::verify)),
    get("/.portvakt/account", h!(account::get)),
    post("/.portvakt/account/phones", h!(account::phones)),
    post("/.portvakt/account/phones/remove", h!(account::remove_phone)),
    get("/.portvakt/logout", h!(logout::get)),
    post("/.portvakt/logout", h!(logout::post)),
    get("/.portvakt/portal", h!(portal::get)),
    eid_only(get("/.portvakt/eid/start", h!(eid_login::start))),
    eid_only(get("/.portvakt/eid/callback", h!(eid_login::callback))),
    eid_only(get("/.portvakt/eid/link", h!(eid_link::get))),
    eid_only(post("/.portvakt/eid/link", h!(eid_link::post))),
    eid_only(get("/.portvakt/eid/frontchannel-logout", h!(eid_login::frontchannel_logout))),
    eid_only(post("/.portvakt/eid/backchannel-logout", h!(eid_login::backchannel_logout))),
    eid_only(post("/.portvakt/account/eid/unlink", h!(account::eid_unlink))),
];

/// What the table says about a request.
#[derive(Debug, Clone)]
pub enum Found {
    /// The handler for this method and path.
    Handler(Handler),
    /// The path exists, not for this method: 405 with this `Allow` value.
    MethodNotAllowed(String),
    /// No such page: 404.
    NotFound,
}

/// Looks a request up in `table`; routes that need eID exist only with `eid_enabled`.
pub fn find(table: &[Route], method: &::http::Method, path: &str, eid_enabled: bool) -> Found {
    let mut rows = table.iter().filter(|r| r.path == path && (eid_enabled || !r.needs_eid)).peekable();
    if rows.peek().is_none() {
        return Found::NotFound;
    }
    let mut allow: Vec<&str> = Vec::new();
    for r in rows {
        if r.method.answers(method) {
            return Found::Handler(r.handler);
        }
        allow.extend(r.method.allow_names());
    }
    Found::MethodNotAllowed(allow.join(", "))
}

/// Answers a request under `/.portvakt/` from [`ROUTES`]: its handler, or 405 with `Allow`, or 404.
pub async fn dispatch(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> pingora::Result<Reply> {
    let req = session.req_header();
    let method = req.method.clone();
    // The canonical path: `/.portvakt/./login` and `/x/../.portvakt/login` are the login page.
    let path = ctx.path.clone().unwrap_or_else(|| req.uri.path().to_string());
    match find(ROUTES, &method, &path, gw.state.eid.enabled()) {
        Found::Handler(h) => h(gw, session, ctx).await.or_else(HandlerError::into_reply),
        Found::MethodNotAllowed(allow) => {
            let lang = ctx.lang(session.req_header());
            Ok(Reply::error_page(gw, lang, 405, Msg::BadRequestTitle, Msg::BadRequestBody).header("allow", allow))
        }
        Found::NotFound => {
            let lang = ctx.lang(session.req_header());
            Ok(Reply::error_page(gw, lang, 404, Msg::NotFoundTitle, Msg::NotFoundBody))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow_of(path: &str, eid: bool) -> Option<String> {
        match find(ROUTES, &::http::Method::DELETE, path, eid) {
            Found::MethodNotAllowed(a) => Some(a),
            _ => None,
        }
    }

    /// No two rows share a method and path: the first would silently hide the second.
    #[test]
    fn rows_are_unique() {
        for (i, a) in ROUTES.iter().enumerate() {
            for b in ROUTES.iter().skip(i + 1) {
                assert!(!(a.path == b.path && a.method == b.method), "{a:?} twice");
            }
        }
    }

    /// Each row answers its own method (GET rows also HEAD) and nothing else; the table decides 404 and 405.
    #[test]
    fn found_405_and_404_follow_the_table() {
        for r in ROUTES {
            let m = match r.method {
                Method::Get => ::http::Method::HEAD,
                Method::Post => ::http::Method::POST,
            };
            assert!(matches!(find(ROUTES, &m, r.path, true), Found::Handler(_)), "{r:?}");
            assert!(matches!(find(ROUTES, &::http::Method::PUT, r.path, true), Found::MethodNotAllowed(_)), "{r:?}");
        }
        assert!(matches!(find(ROUTES, &::http::Method::GET, "/.portvakt/nope", true), Found::NotFound));
        assert!(matches!(find(ROUTES, &::http::Method::GET, "/.portvakt/login/", true), Found::NotFound));
    }

    /// `Allow` lists exactly the methods the table has for the path, in table order.
    #[test]
    fn allow_lists_the_rows_methods() {
        assert_eq!(allow_of("/.portvakt/login", false).as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow_of("/.portvakt/logout", false).as_deref(), Some("GET, HEAD, POST"));
        assert_eq!(allow_of("/.portvakt/account/phones", false).as_deref(), Some("POST"));
        assert_eq!(allow_of("/.portvakt/healthz", false).as_deref(), Some("GET, HEAD"));
        assert_eq!(allow_of("/.portvakt/eid/link", true).as_deref(), Some("GET, HEAD, POST"));
    }

    /// Without eID configured its pages do not exist (404), whatever the method.
    #[test]
    fn eid_routes_exist_only_with_eid() {
        for p in ["/.portvakt/eid/start", "/.portvakt/eid/link", "/.portvakt/account/eid/unlink"] {
            assert!(matches!(find(ROUTES, &::http::Method::GET, p, false), Found::NotFound), "{p}");
            assert!(matches!(find(ROUTES, &::http::Method::POST, p, false), Found::NotFound), "{p}");
        }
    }
}
