//! Responses written by the gateway itself, each with the security headers every gateway page carries.

use super::Gateway;
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
    frame_ancestors: Option<String>,
    cache_control: &'static str,
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
        self.frame_ancestors = Some(origins);
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
        let ctx = PageCtx { lang, user: None };
        Reply::html(status, pages::error_page_notices(&ctx, title, &body))
    }

    /// Writes the response, with security headers, to the client.
    pub async fn send(self, gw: &Gateway, session: &mut Session) -> Result<()> {
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
