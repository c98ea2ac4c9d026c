//! The `[forwarding]` section: client headers removed before forwarding, beyond the built-in list, and the letter
//! case of forwarded header names (composed by [`crate::config`]).

use super::{Forwarding, HeaderFilter};
use crate::config::check::Checker;
use serde::Deserialize;
use toml::Spanned;

/// `[forwarding]`: client headers removed before a request goes to a backend.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileForwarding {
    /// Header names removed in addition to the built-in list.
    #[serde(default)]
    pub strip_request_headers: Vec<Spanned<String>>,
    /// Built-in names to pass through after all (each one a warning in `portvakt check`).
    #[serde(default)]
    pub keep_request_headers: Vec<Spanned<String>>,
    /// Keep the letter case of HTTP/1.1 header names between clients and backends.
    #[serde(default)]
    pub preserve_header_case: bool,
}

/// `[forwarding]`: header names as HTTP allows them; opting out of a built-in name is a warning, and the
/// headers the gateway sets itself cannot be kept.
pub fn validate(c: &mut Checker<'_>, f: &FileForwarding) -> Forwarding {
    Forwarding { headers: header_filter(c, f), preserve_header_case: f.preserve_header_case }
}

/// The removed client headers of `[forwarding]`.
fn header_filter(c: &mut Checker<'_>, f: &FileForwarding) -> HeaderFilter {
    let mut extra = Vec::new();
    for h in &f.strip_request_headers {
        match ::http::HeaderName::from_bytes(h.get_ref().as_bytes()) {
            Ok(_) if super::frames_request(h.get_ref()) => c.err(
                h,
                format!(
                    "\"{}\" frames or routes the request and cannot be removed (Host, Content-Length, \
                     Transfer-Encoding, Connection, Upgrade, TE, Trailer)",
                    h.get_ref()
                ),
            ),
            Ok(_) => extra.push(h.get_ref().clone()),
            Err(_) => c.err(h, format!("\"{}\" is not a valid header name", h.get_ref())),
        }
    }
    let mut keep = Vec::new();
    for h in &f.keep_request_headers {
        let name = h.get_ref();
        if super::set_by_gateway(name) {
            c.err(
                h,
                format!(
                    "\"{name}\" is set by the gateway itself and cannot be kept (X-Portvakt-* never come from a \
                     client; X-Forwarded-For, -Host and -Proto are passed on from trusted_proxies only)"
                ),
            );
        } else if !super::is_builtin(name) {
            c.err(h, format!("\"{name}\" is not on the built-in list, so it is not removed: nothing to keep"));
        } else if extra.iter().any(|e| super::fold(e) == super::fold(name)) {
            c.err(h, format!("\"{name}\" is both in strip_request_headers and keep_request_headers"));
        } else {
            c.warn(
                h,
                format!(
                    "warning: client header \"{name}\" is passed to backends: a backend that trusts it can be \
                     told any identity or address by any client"
                ),
            );
            keep.push(name.clone());
        }
    }
    HeaderFilter::new(&extra, &keep)
}
