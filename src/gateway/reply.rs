//! Responses written by the gateway itself, each with the security headers every gateway page carries.

use super::{Ctx, Gateway};
use crate::pages::{self, Lang, Msg, PageCtx, Text};
use bytes::Bytes;
use pingora::prelude::*;
use pingora::proxy::Session;
use pingora_http::ResponseHeader;

/// Cache-Control of every reply unless it says otherwise: pages hold names, tokens and state.
const NO_STORE: &str = "no-store";

/// A response the gateway answers with instead of proxying.
#[derive(Debug)]
pub struct Reply {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    is_page: bool,
    /// `frame-ancestors` origins (boxed: a handler error carries a whole reply, kept small).
    frame_ancestors: Option<Box<str>>,
    cache_control: &'static str,
    /// A page rendered when it is sent, with the request's chrome, language switcher and header user.
    deferred: Option<Box<Deferred>>,
}

/// A page whose HTML is written when the reply is sent: error and message pages are built where no page context is
/// at hand (deep in a handler, in `fail_to_proxy`) and still show the municipality's chrome and, when the request
/// presented a live session, the "logged in as" header with the logout button.
#[derive(Debug)]
enum Deferred {
    /// An error page: title and paragraphs.
    Error { lang: Lang, title: Msg, body: Vec<pages::Notice> },
    /// A message page with a button to the login page; `alert` marks a problem.
    Message { lang: Lang, title: Msg, body: Text, alert: bool },
}

impl Reply {
    /// An HTML page.
    pub fn html(status: u16, html: String) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
            body: html.into(),
            is_page: true,
            frame_ancestors: None,
            cache_control: NO_STORE,
            deferred: None,
        }
    }

    /// A plain-text answer (health checks, API clients).
    pub fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: Bytes::copy_from_slice(text.as_bytes()),
            is_page: false,
            frame_ancestors: None,
            cache_control: NO_STORE,
            deferred: None,
        }
    }

    /// Any other body with its content type.
    pub fn bytes(status: u16, content_type: &'static str, body: Bytes) -> Reply {
        Reply {
            status,
            content_type,
            headers: Vec::new(),
            body,
            is_page: false,
            frame_ancestors: None,
            cache_control: NO_STORE,
            deferred: None,
        }
    }

    /// A 302 redirect (GET to GET).
    pub fn redirect(location: &str) -> Reply {
        Reply::text(302, "").header("location", location)
    }

    /// A 303 redirect (after a POST).
    pub fn see_other(location: &str) -> Reply {
        Reply::text(303, "").header("location", location)
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The same reply with another status (e.g. 303 instead of 302 after a POST).
    pub fn with_status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    /// The same reply with another Cache-Control than `no-store` (static files with a version in their URL).
    pub fn cache_control(mut self, value: &'static str) -> Reply {
        self.cache_control = value;
        self
    }

    /// Lets `origins` frame this reply (front-channel logout is loaded in the provider's iframe); nothing else may.
    pub fn framable_by(mut self, origins: String) -> Reply {
        self.frame_ancestors = Some(origins.into_boxed_str());
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// An error page: its title and what to do, in the reader's language.
    pub fn error_page(gw: &Gateway, lang: Lang, status: u16, title: Msg, body: impl Into<Text>) -> Reply {
        Self::error_page_paragraphs(gw, lang, status, title, vec![body.into()])
    }

    /// An error page whose body has several paragraphs.
    pub fn error_page_paragraphs(gw: &Gateway, lang: Lang, status: u16, title: Msg, body: Vec<Text>) -> Reply {
        Self::error_page_notices(gw, lang, status, title, body.into_iter().map(pages::Notice::from).collect())
    }

    /// An error page whose paragraphs may end in a link.
    pub fn error_page_notices(_gw: &Gateway, lang: Lang, status: u16, title: Msg, body: Vec<pages::Notice>) -> Reply {
        let mut r = Reply::html(status, String::new());
        r.deferred = Some(Box::new(Deferred::Error { lang, title, body }));
        r
    }

    /// A page with one message and a button to the login page (an eID login that did not go through, a session
    /// that has just ended); `alert` marks a problem rather than news.
    pub fn message_page(lang: Lang, status: u16, title: Msg, body: Text, alert: bool) -> Reply {
        let mut r = Reply::html(status, String::new());
        r.deferred = Some(Box::new(Deferred::Message { lang, title, body, alert }));
        r
    }

    /// The HTML of a deferred page for this request: no store call (a page about a store outage must render).
    fn render_deferred(d: &Deferred, gw: &Gateway, session: &Session, ctx: &Ctx) -> Bytes {
        let user = ctx.page_user();
        let lang = match d {
            Deferred::Error { lang, .. } | Deferred::Message { lang, .. } => *lang,
        };
        let pctx = PageCtx {
            lang,
            user: user.as_ref().map(|(n, c)| (n.as_str(), c.as_str())),
            chrome: &gw.state.chrome,
            here: super::handler::return_path(ctx, session.req_header()),
            answers_form: session.req_header().method == ::http::Method::POST,
        };
        match d {
            Deferred::Error { title, body, .. } => pages::error_page_notices(&pctx, *title, body).into(),
            Deferred::Message { title, body, alert, .. } => pages::message_page(&pctx, *title, body, *alert).into(),
        }
    }

    /// Writes the response, with security headers, to the client; a deferred page is rendered now, for `ctx`.
    pub async fn send(mut self, gw: &Gateway, session: &mut Session, ctx: &Ctx) -> Result<()> {
        if let Some(d) = self.deferred.take() {
            self.body = Reply::render_deferred(&d, gw, session, ctx);
        }
        let mut h = ResponseHeader::build(self.status, Some(8 + self.headers.len()))?;
        h.insert_header("content-type", self.content_type)?;
        h.insert_header("content-length", self.body.len().to_string())?;
        h.insert_header("cache-control", self.cache_control)?;
        h.insert_header("x-content-type-options", "nosniff")?;
        h.insert_header("referrer-policy", "no-referrer")?;
        if let Some(origins) = &self.frame_ancestors {
            h.insert_header("content-security-policy", format!("default-src 'none'; frame-ancestors {origins}"))?;
        } else if self.is_page {
            h.insert_header("x-frame-options", "DENY")?;
            h.insert_header("content-security-policy", gw.state.csp.as_str())?;
            h.insert_header("cross-origin-opener-policy", "same-origin")?;
        } else {
            h.insert_header("x-frame-options", "DENY")?;
            h.insert_header("content-security-policy", "default-src 'none'; frame-ancestors 'none'")?;
        }
        if gw.listener.is_https() {
            h.insert_header("strict-transport-security", "max-age=31536000; includeSubDomains")?;
        }
        for (n, v) in self.headers {
            h.append_header(n, v)?;
        }
        let head_only = session.req_header().method == ::http::Method::HEAD;
        session.write_response_header(Box::new(h), head_only || self.body.is_empty()).await?;
        if !head_only && !self.body.is_empty() {
            session.write_response_body(Some(self.body), true).await?;
        }
        Ok(())
    }
}
