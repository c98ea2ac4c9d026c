//! Small HTTP helpers: host, cookies, forms, query strings, redirects targets.

pub use crate::canonical::url_encode;
use pingora_http::RequestHeader;
use std::borrow::Cow;
use std::collections::HashMap;

/// The request's host name, lower case, without port: from the URI authority (HTTP/2), the authority of an
/// absolute-form target (RFC 9112 3.2.2; pingora refuses a Host header that disagrees), or the Host header.
/// Borrowed from the request when the Host header is a plain name in lower case (what browsers send).
pub fn host_of(req: &RequestHeader) -> Option<Cow<'_, str>> {
    let absolute = pingora_http::authority::raw_target_authority(req.raw_path()).authority();
    // Borrowed from the request where it can be; a parsed `Authority` is a local, so its host is copied.
    let raw: Cow<'_, str> = match (req.uri.authority(), absolute) {
        (Some(a), _) => Cow::Borrowed(a.host()),
        (None, Some(a)) => Cow::Owned(http::uri::Authority::try_from(a).ok()?.host().to_owned()),
        (None, None) => {
            let h = req.headers.get(http::header::HOST)?.to_str().ok()?;
            match plain_authority_host(h) {
                // The host as `Authority::host` would give it, without building an `Authority` (a copy).
                Some(host) => Cow::Borrowed(host),
                None => Cow::Owned(h.parse::<http::uri::Authority>().ok()?.host().to_owned()),
            }
        }
    };
    let lower = |h: &str| h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let h = match raw {
        // Lower-cased (a copy) only when it has capitals (a browser sends the host in lower case).
        Cow::Borrowed(r) => {
            let h = r.trim_start_matches('[').trim_end_matches(']');
            if h.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(h.to_ascii_lowercase())
            } else {
                Cow::Borrowed(h)
            }
        }
        Cow::Owned(r) => Cow::Owned(lower(&r)),
    };
    (!h.is_empty()).then_some(h)
}

/// The host of an authority written as a plain `name[:port]` (ASCII letters, digits, `.` and `-`; a port of one to
/// five digits): what browsers send in Host. Every such text is a valid `http::uri::Authority` equal to itself, whose
/// host is the part before the colon, so it needs no parse (`proptests::hosts::plain_authorities_agree_with_the_parse`). `None`
/// for anything else (IPv6 literals, user info, odd characters), which the caller parses.
pub(crate) fn plain_authority_host(h: &str) -> Option<&str> {
    let (host, port) = match h.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (h, None),
    };
    let host_ok = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let port_ok = port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some(host)
}

/// The Host header value as sent (with port), for building absolute URLs back to the same place.
pub fn authority_of(req: &RequestHeader) -> Option<String> {
    if let Some(a) = req.uri.authority() {
        return Some(a.as_str().to_string());
    }
    match pingora_http::authority::raw_target_authority(req.raw_path()).authority() {
        Some(a) => std::str::from_utf8(a).ok().map(str::to_string),
        None => req.headers.get(http::header::HOST)?.to_str().ok().map(str::to_string),
    }
}

/// The same authority as [`authority_of`], as a header value: for the usual HTTP/1.1 request (origin-form target,
/// a Host header) the Host header's own value, which shares the request head's bytes, so forwarding it copies
/// nothing.
pub fn authority_value(req: &RequestHeader) -> Option<http::HeaderValue> {
    if let Some(a) = req.uri.authority() {
        return http::HeaderValue::from_str(a.as_str()).ok();
    }
    match pingora_http::authority::raw_target_authority(req.raw_path()).authority() {
        Some(a) => std::str::from_utf8(a).ok().and_then(|a| http::HeaderValue::from_str(a).ok()),
        None => req.headers.get(http::header::HOST).filter(|v| v.to_str().is_ok()).cloned(),
    }
}

/// Whether the request carries exactly one Host header with a valid authority (RFC 9112 3.2).
pub fn valid_host_header(req: &RequestHeader) -> bool {
    let mut all = req.headers.get_all(http::header::HOST).into_iter();
    match (all.next(), all.next()) {
        (Some(v), None) => v.to_str().ok().is_some_and(|h| {
            plain_authority_host(h).is_some()
                || (!h.is_empty()
                    && h.parse::<http::uri::Authority>().is_ok_and(|a| a.as_str() == h && !a.as_str().contains('@')))
        }),
        _ => false,
    }
}

/// An address as a header value, formatted on the stack and copied once (not a `String` grown while formatting and
/// then turned into the value). An IPv4 address is written digit by digit, without `Display`'s formatting machinery.
pub fn ip_header_value(ip: std::net::IpAddr) -> http::HeaderValue {
    use std::io::Write as _;
    // The longest address text is 45 bytes (an IPv6 address with an embedded IPv4 one).
    let mut buf = [0u8; 48];
    let n = match ip {
        std::net::IpAddr::V4(v4) => write_ipv4(v4, &mut buf),
        std::net::IpAddr::V6(_) => {
            let mut w = &mut buf[..];
            let room = w.len();
            match write!(w, "{ip}") {
                Ok(()) => room - w.len(),
                Err(_) => 0,
            }
        }
    };
    buf.get(..n)
        .and_then(|b| http::HeaderValue::from_bytes(b).ok())
        .unwrap_or_else(|| http::HeaderValue::from_static(""))
}

/// Writes an IPv4 address in dotted decimal (as `Display` does: no leading zeros) into `buf`, returning its length
/// (at most 15 bytes; 0 if `buf` is too short).
fn write_ipv4(ip: std::net::Ipv4Addr, buf: &mut [u8]) -> usize {
    let mut n = 0;
    for (i, octet) in ip.octets().into_iter().enumerate() {
        let digits = [b'0' + octet / 100, b'0' + octet / 10 % 10, b'0' + octet % 10];
        let skip = match octet {
            100..=255 => 0,
            10..=99 => 1,
            _ => 2,
        };
        let dot: &[u8] = if i > 0 { b"." } else { b"" };
        for &b in dot.iter().chain(digits.get(skip..).unwrap_or_default()) {
            let Some(slot) = buf.get_mut(n) else { return 0 };
            *slot = b;
            n += 1;
        }
    }
    n
}

/// Content-Length values that differ, or one that is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("conflicting or malformed Content-Length values")]
pub struct AmbiguousContentLength;

/// The one Content-Length of a request: `Ok(None)` without one (or with Transfer-Encoding, which frames the body
/// instead), `Ok(Some(n))` when every value on every line is the same number, an error when they differ or one is
/// not a number.
pub fn single_content_length(req: &RequestHeader) -> Result<Option<u64>, AmbiguousContentLength> {
    if req.headers.contains_key(http::header::TRANSFER_ENCODING) {
        return Ok(None);
    }
    let mut found: Option<u64> = None;
    for v in req.headers.get_all(http::header::CONTENT_LENGTH) {
        let text = v.to_str().map_err(|_| AmbiguousContentLength)?;
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AmbiguousContentLength);
            }
            let n: u64 = part.parse().map_err(|_| AmbiguousContentLength)?;
            match found {
                Some(m) if m != n => return Err(AmbiguousContentLength),
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}

/// Whether a request body is declared `application/x-www-form-urlencoded` (any case, parameters such as `charset`
/// allowed): the only form encoding the gateway's pages send.
pub fn is_urlencoded_form(req: &RequestHeader) -> bool {
    let mut all = req.headers.get_all(http::header::CONTENT_TYPE).into_iter();
    match (all.next(), all.next()) {
        (Some(v), None) => v.to_str().ok().is_some_and(|t| {
            t.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/x-www-form-urlencoded")
        }),
        _ => false,
    }
}

/// Whether a browser says this request comes from another site. `Sec-Fetch-Site`, which pages cannot set, decides
/// when present: `cross-site` is another site, `same-origin` and `none` are not (a browser sends `Origin: null` on
/// its own form posts from a page with `Referrer-Policy: no-referrer`, as every gateway page has). Otherwise an
/// `Origin` that is neither the request's own origin (its Host) nor an http(s) origin on one of `own_hosts`, or
/// `null` (sandboxed frames, opaque origins), counts as another site. Requests without either header (non-browser
/// clients, old browsers) are left to the CSRF token.
pub fn is_cross_site(req: &RequestHeader, own_hosts: &dyn Fn(&str) -> bool) -> bool {
    let fetch_site = req.headers.get("sec-fetch-site").map(|v| v.as_bytes());
    if fetch_site.is_some_and(|v| v.eq_ignore_ascii_case(b"cross-site")) {
        return true;
    }
    if fetch_site.is_some_and(|v| v.eq_ignore_ascii_case(b"same-origin") || v.eq_ignore_ascii_case(b"none")) {
        return false;
    }
    let mut origins = req.headers.get_all(http::header::ORIGIN).into_iter();
    let origin = match (origins.next(), origins.next()) {
        (None, _) => return false,
        (Some(o), None) => o,
        (Some(_), Some(_)) => return true,
    };
    let Some(url) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        return true;
    };
    if url.scheme() != "https" && url.scheme() != "http" {
        return true;
    }
    let Some(host) = url.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase())
    else {
        return true;
    };
    let own_origin = authority_of(req).is_some_and(|a| {
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let with_port = match url.host() {
            Some(url::Host::Ipv6(_)) => format!("[{host}]{port}"),
            _ => format!("{host}{port}"),
        };
        a.eq_ignore_ascii_case(&with_port)
    });
    !(own_origin || own_hosts(&host))
}

/// Every cookie in every Cookie header, as (name, value), read as the `cookie` crate's `Cookie::split_parse` reads
/// them (`proptests::cookies::cookie_pieces_read_as_the_crate_reads_them`): pieces split on `;`, names and values trimmed, a piece
/// without `=` or without a name skipped. Read by hand: the crate builds a `Cookie` for every piece. A piece that is
/// not UTF-8 is skipped; the pieces beside it are still read.
pub fn cookies(req: &RequestHeader) -> impl Iterator<Item = (&str, &str)> {
    cookie_header_pieces(req).filter_map(|p| std::str::from_utf8(p).ok()).filter_map(cookie_pair)
}

/// The `;`-separated pieces of every Cookie header, as bytes. A browser sends a cookie's value as it was set, and a
/// backend behind the same host may set one beyond ASCII ("namn=Åsa"), which `HeaderValue::to_str` refuses: read per
/// piece, such a value neither hides the cookies beside it nor keeps them from being stripped.
fn cookie_header_pieces(req: &RequestHeader) -> impl Iterator<Item = &[u8]> {
    req.headers.get_all(http::header::COOKIE).into_iter().flat_map(|v| v.as_bytes().split(|&b| b == b';'))
}

/// Each piece of the Cookie headers that is not blank, trimmed as [`cookies`] trims it, with its name as
/// [`cookie_header_piece_name`] reads it; a piece that is not UTF-8 trimmed of ASCII white space and named by the
/// bytes before its first `=`, trimmed the same way.
fn named_pieces(req: &RequestHeader) -> impl Iterator<Item = (&[u8], &[u8])> {
    cookie_header_pieces(req).filter_map(|piece| {
        let (piece, name) = match std::str::from_utf8(piece) {
            Ok(text) => {
                let text = text.trim();
                (text.as_bytes(), cookie_header_piece_name(text).as_bytes())
            }
            Err(_) => {
                let piece = piece.trim_ascii();
                (piece, piece.split(|&b| b == b'=').next().unwrap_or_default().trim_ascii())
            }
        };
        (!piece.is_empty()).then_some((piece, name))
    })
}

/// One `;`-separated piece of a Cookie header as (name, value), both trimmed; `None` without `=` or a name.
fn cookie_pair(piece: &str) -> Option<(&str, &str)> {
    let (name, value) = piece.split_once('=')?;
    let name = name.trim();
    (!name.is_empty()).then(|| (name, value.trim()))
}

/// The value of the first cookie with this name.
pub fn cookie<'a>(req: &'a RequestHeader, name: &str) -> Option<&'a str> {
    cookies(req).find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// The name of one `name=value` piece of a Cookie header (or of a Set-Cookie line): as the `cookie` crate reads it,
/// or for a piece it refuses (no `=`, empty name) the text before any `=`, trimmed, so such a piece cannot smuggle
/// one of our names past the filter.
pub fn cookie_piece_name(piece: &str) -> &str {
    match cookie::Cookie::parse(piece) {
        Ok(c) => c.name_raw().unwrap_or(""),
        Err(_) => piece.split_once('=').map_or(piece, |(n, _)| n).split(';').next().unwrap_or("").trim(),
    }
}

/// The name under which a browser sends back the cookie of a Set-Cookie line: [`cookie_piece_name`], or for a
/// nameless cookie (`=portvakt=x`, which browsers keep and send back as `portvakt=x`: RFC 6265bis, "Set-Cookie" and
/// "Retrieval Algorithm") the name of its value.
pub fn set_cookie_sent_name(line: &str) -> &str {
    let name = cookie_piece_name(line);
    if !name.is_empty() {
        return name;
    }
    let pair = line.split(';').next().unwrap_or("");
    cookie_header_piece_name(pair.split_once('=').map_or(pair, |(_, value)| value))
}

/// A backend's `Clear-Site-Data` lines without what would clear cookies: the `"cookies"` directive dropped, `"*"`
/// narrowed to the other types a browser clears (`"cache"`, `"storage"`, `"executionContexts"`), every other
/// directive kept as written. A line left empty, or one that is not text (which a browser might still read), is
/// dropped.
pub fn clear_site_data_without_cookies<'a>(
    lines: impl Iterator<Item = &'a http::HeaderValue>,
) -> Vec<http::HeaderValue> {
    lines
        .filter_map(|v| v.to_str().ok())
        .filter_map(|line| {
            let kept: Vec<&str> = line
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .flat_map(|d| match d.trim_matches('"').to_ascii_lowercase().as_str() {
                    "cookies" => vec![],
                    "*" => vec!["\"cache\"", "\"storage\"", "\"executionContexts\""],
                    _ => vec![d],
                })
                .collect();
            (!kept.is_empty()).then(|| http::HeaderValue::from_str(&kept.join(", ")).ok()).flatten()
        })
        .collect()
}

/// [`cookie_piece_name`] of a Cookie header's piece, which has no `;`: the text before the first `=` (all of it
/// without one), trimmed. The same name without parsing a `Cookie` (`proptests::cookies::piece_names_agree_with_the_crate`).
pub(crate) fn cookie_header_piece_name(piece: &str) -> &str {
    piece.split_once('=').map_or(piece, |(n, _)| n).trim()
}

/// Removes the named cookies, keeping every other cookie as sent (byte for byte, whatever its value holds); drops the
/// Cookie header if nothing remains.
pub fn strip_cookies(req: &mut RequestHeader, names: &[String]) {
    let ours = |name: &[u8]| names.iter().any(|x| x.as_bytes() == name);
    // One pass: the rest written straight into the new value (one allocation when anything is kept, no list of
    // pieces to join), which replaces the header only if one of ours was there. On the proxied path one always is
    // (the session), so a first pass asking whether any is ours read every piece twice.
    let mut kept: Vec<u8> = Vec::new();
    let mut stripped = false;
    for (piece, name) in named_pieces(req) {
        if ours(name) {
            stripped = true;
            continue;
        }
        if kept.is_empty() {
            kept.reserve(req.headers.get_all(http::header::COOKIE).into_iter().map(|v| v.len() + 2).sum());
        } else {
            kept.extend_from_slice(b"; ");
        }
        kept.extend_from_slice(piece);
    }
    if !stripped {
        return;
    }
    req.remove_header(&http::header::COOKIE);
    // Pieces of valid values joined by "; " make a valid value (checked, not copied).
    if let Some(v) = (!kept.is_empty()).then(|| http::HeaderValue::try_from(kept).ok()).flatten() {
        let _ = req.insert_header(http::header::COOKIE, v);
    }
}

/// A `Set-Cookie` value built by the `cookie` crate: `Path=/`, `HttpOnly`, `SameSite=Lax`, `Secure` when `secure`,
/// `Domain` when given, and `Max-Age=0` when `clear` (the browser drops it).
pub fn set_cookie(name: &str, value: &str, secure: bool, domain: Option<&str>, clear: bool) -> String {
    let mut c = cookie::Cookie::build((name, value)).path("/").http_only(true).same_site(cookie::SameSite::Lax);
    if secure {
        c = c.secure(true);
    }
    if let Some(d) = domain {
        c = c.domain(d);
    }
    if clear {
        c = c.max_age(cookie::time::Duration::ZERO);
    }
    c.build().to_string()
}

/// Parses an `application/x-www-form-urlencoded` body; the first value of a repeated field wins.
pub fn parse_form(body: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        m.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    m
}

/// The first value of a query parameter.
pub fn query_param(req: &RequestHeader, name: &str) -> Option<String> {
    let q = req.uri.query()?;
    form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Whether the client is a browser that should be redirected rather than answered 401.
pub fn wants_html(req: &RequestHeader) -> bool {
    req.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Total size of the request head as received: request line plus every header line.
pub fn header_bytes(req: &RequestHeader) -> usize {
    let uri_len = req.uri.path_and_query().map_or(1, |p| p.as_str().len())
        + req.uri.authority().map_or(0, |a| a.as_str().len())
        + req.uri.scheme_str().map_or(0, |s| s.len() + 3);
    let line = req.method.as_str().len() + uri_len + 12;
    req.headers.iter().fold(line, |acc, (n, v)| acc + n.as_str().len() + v.len() + 4)
}

/// Checks a post-login redirect target: a local path, or an absolute http(s) URL to one of `own_hosts`.
/// Returns the target to use, or `None` to fall back to the portal.
pub fn safe_redirect(rd: &str, own_hosts: &dyn Fn(&str) -> bool) -> Option<String> {
    let rd = rd.trim();
    if rd.is_empty() || rd.len() > 4096 || rd.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    if rd.starts_with('/') {
        // "//host" and "/\host" are network-path references to another host.
        if rd.starts_with("//") {
            return None;
        }
        return Some(rd.to_string());
    }
    let url = url::Url::parse(rd).ok()?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return None;
    }
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    own_hosts(&host).then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> RequestHeader {
        let mut r = RequestHeader::build("GET", b"/x?rd=%2Fa%3Fb&z=1", None).unwrap();
        for (k, v) in headers {
            r.append_header(k.to_string(), *v).unwrap();
        }
        r
    }

    /// Host comes from the Host header, lower-cased and without port.
    #[test]
    fn host_parsing() {
        assert_eq!(host_of(&req(&[("host", "Portal.Kommune.no:8443")])).as_deref(), Some("portal.kommune.no"));
        assert_eq!(host_of(&req(&[("host", "[::1]:8443")])).as_deref(), Some("::1"));
        assert_eq!(host_of(&req(&[])), None);
        let abs = RequestHeader::build("GET", b"http://Expense.Kommune.no:8080/x", None).unwrap();
        assert_eq!(host_of(&abs).as_deref(), Some("expense.kommune.no"));
    }

    /// The X-Forwarded-For value written by hand is the address's `Display` text, for addresses with one-, two- and
    /// three-digit octets (every octet value in every position) and for IPv6 (still formatted by `Display`).
    #[test]
    fn forwarded_addresses_read_as_display_writes_them() {
        for o in 0..=255u8 {
            for ip in [[o, 0, 9, 10], [10, o, 99, 100], [255, 1, o, 0], [1, 22, 233, o], [o, o, o, o]] {
                let ip = std::net::Ipv4Addr::from(ip);
                assert_eq!(ip_header_value(ip.into()), ip.to_string().as_str(), "{ip}");
            }
        }
        let v6: std::net::IpAddr = "2001:db8::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(ip_header_value(v6), v6.to_string().as_str());
        assert_eq!(write_ipv4(std::net::Ipv4Addr::new(255, 255, 255, 255), &mut [0u8; 14]), 0, "too short a buffer");
    }

    /// Our cookies are removed from every Cookie header; others survive.
    #[test]
    fn cookie_stripping() {
        let mut r = req(&[("cookie", "a=1; portvakt=secret"), ("cookie", "portvakt-csrf=t; b=2")]);
        assert_eq!(cookie(&r, "portvakt"), Some("secret"));
        strip_cookies(&mut r, &["portvakt".into(), "portvakt-csrf".into()]);
        let all: Vec<_> = cookies(&r).collect();
        assert_eq!(all, vec![("a", "1"), ("b", "2")]);
        let mut r = req(&[("cookie", "portvakt=x")]);
        strip_cookies(&mut r, &["portvakt".into()]);
        assert!(r.headers.get("cookie").is_none());
    }

    /// Cookie pieces the crate refuses are still recognised by name, so they are stripped too; values as sent
    /// survive, and pieces without a name are neither read nor lost.
    #[test]
    fn odd_cookie_pieces() {
        let mut r = req(&[("cookie", " portvakt ; a=\"q v\" ;=x; portvakt-csrf =t;;b")]);
        assert_eq!(cookie(&r, "a"), Some("\"q v\""));
        assert_eq!(cookie(&r, "portvakt-csrf"), Some("t"));
        assert_eq!(cookies(&r).count(), 2);
        strip_cookies(&mut r, &["portvakt".into(), "portvakt-csrf".into()]);
        assert_eq!(r.headers.get("cookie").unwrap(), "a=\"q v\"; =x; b");
    }

    /// Set-Cookie lines carry the attributes browsers need, and clearing sets Max-Age=0.
    #[test]
    fn set_cookie_lines() {
        let line = set_cookie("__Secure-portvakt", "tok", true, Some("kommune.example"), false);
        assert!(line.starts_with("__Secure-portvakt=tok; "), "{line}");
        for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure", "Domain=kommune.example"] {
            assert!(line.split("; ").any(|a| a == attr), "{attr} in {line}");
        }
        assert!(!line.contains("Max-Age"), "{line}");
        let line = set_cookie("portvakt", "", false, None, true);
        assert!(line.starts_with("portvakt=; ") && line.contains("; Max-Age=0"), "{line}");
        assert!(!line.contains("Secure") && !line.contains("Domain"), "{line}");
        let parsed = cookie::Cookie::parse(line.as_str()).unwrap();
        assert_eq!((parsed.name(), parsed.path(), parsed.http_only()), ("portvakt", Some("/"), Some(true)));
    }

    /// The name a browser sends a Set-Cookie line's cookie back under: its own, or for a nameless cookie its value's.
    #[test]
    fn set_cookie_sent_names() {
        for (line, name) in [
            ("portvakt=x; Path=/", "portvakt"),
            (" portvakt =x", "portvakt"),
            ("portvakt", "portvakt"),
            ("=portvakt=x; Path=/", "portvakt"),
            (" = portvakt=x", "portvakt"),
            ("=portvakt", "portvakt"),
            ("=x; Path=/portvakt=1", "x"),
            ("app=1; Path=/", "app"),
            ("", ""),
        ] {
            assert_eq!(set_cookie_sent_name(line), name, "{line:?}");
        }
    }

    /// A backend's Clear-Site-Data loses only what would clear cookies.
    #[test]
    fn clear_site_data_keeps_all_but_cookies() {
        let lines = |vs: &[&str]| -> Vec<String> {
            let values: Vec<http::HeaderValue> = vs.iter().map(|v| http::HeaderValue::from_str(v).unwrap()).collect();
            clear_site_data_without_cookies(values.iter()).iter().map(|v| v.to_str().unwrap().to_string()).collect()
        };
        assert_eq!(lines(&["\"cache\", \"cookies\""]), ["\"cache\""]);
        assert_eq!(lines(&["\"cookies\""]), Vec::<String>::new());
        assert_eq!(lines(&["\"*\""]), ["\"cache\", \"storage\", \"executionContexts\""]);
        assert_eq!(lines(&[" \"COOKIES\" ,\"storage\""]), ["\"storage\""]);
        assert_eq!(lines(&["\"cache\"", "\"cookies\", \"storage\""]), ["\"cache\"", "\"storage\""]);
        let odd = http::HeaderValue::from_bytes(b"\"cookies\", \"\xc3\xa5\"").unwrap();
        assert!(clear_site_data_without_cookies(std::iter::once(&odd)).is_empty());
    }

    /// Exactly one valid Host header is required; a missing, repeated or malformed one is not.
    #[test]
    fn host_header_validity() {
        assert!(valid_host_header(&req(&[("host", "portal.kommune.no:8443")])));
        assert!(valid_host_header(&req(&[("host", "[::1]:8443")])));
        assert!(!valid_host_header(&req(&[])));
        assert!(!valid_host_header(&req(&[("host", "a.example"), ("host", "b.example")])));
        assert!(!valid_host_header(&req(&[("host", "")])));
        assert!(!valid_host_header(&req(&[("host", "a b")])));
        assert!(!valid_host_header(&req(&[("host", "user@a.example")])));
    }

    /// Equal Content-Length values collapse to one; differing or non-numeric ones are refused.
    #[test]
    fn content_length_reconciled() {
        assert_eq!(single_content_length(&req(&[])), Ok(None));
        assert_eq!(single_content_length(&req(&[("content-length", "5")])), Ok(Some(5)));
        assert_eq!(single_content_length(&req(&[("content-length", "5, 5")])), Ok(Some(5)));
        assert_eq!(single_content_length(&req(&[("content-length", "5"), ("content-length", "5")])), Ok(Some(5)));
        assert_eq!(single_content_length(&req(&[("content-length", "5, 6")])), Err(AmbiguousContentLength));
        assert_eq!(
            single_content_length(&req(&[("content-length", "5"), ("content-length", "6")])),
            Err(AmbiguousContentLength)
        );
        assert_eq!(single_content_length(&req(&[("content-length", "+5")])), Err(AmbiguousContentLength));
        assert_eq!(single_content_length(&req(&[("content-length", "5,")])), Err(AmbiguousContentLength));
        assert_eq!(
            single_content_length(&req(&[("content-length", "5, 6"), ("transfer-encoding", "chunked")])),
            Ok(None)
        );
    }

    /// Only `application/x-www-form-urlencoded` bodies are forms.
    #[test]
    fn form_content_type() {
        assert!(is_urlencoded_form(&req(&[("content-type", "application/x-www-form-urlencoded")])));
        assert!(is_urlencoded_form(&req(&[("content-type", "Application/X-WWW-Form-Urlencoded; charset=UTF-8")])));
        for bad in ["text/plain", "multipart/form-data; boundary=x", "application/json", ""] {
            assert!(!is_urlencoded_form(&req(&[("content-type", bad)])), "{bad}");
        }
        assert!(!is_urlencoded_form(&req(&[])));
    }

    /// Another site is recognised by Sec-Fetch-Site or a foreign, null or malformed Origin; the own origin, a
    /// configured host and requests without either header pass.
    #[test]
    fn cross_site_detection() {
        let own = |h: &str| h == "portal.kommune.no";
        let host = ("host", "127.0.0.1:8080");
        assert!(!is_cross_site(&req(&[host]), &own));
        assert!(!is_cross_site(&req(&[host, ("origin", "http://127.0.0.1:8080")]), &own));
        assert!(!is_cross_site(&req(&[host, ("origin", "https://portal.kommune.no")]), &own));
        assert!(!is_cross_site(&req(&[host, ("sec-fetch-site", "same-origin")]), &own));
        assert!(!is_cross_site(&req(&[host, ("sec-fetch-site", "none")]), &own));
        assert!(is_cross_site(&req(&[host, ("sec-fetch-site", "cross-site")]), &own));
        assert!(is_cross_site(&req(&[host, ("origin", "http://127.0.0.1:9999")]), &own));
        assert!(is_cross_site(&req(&[host, ("origin", "https://evil.example")]), &own));
        assert!(is_cross_site(&req(&[host, ("origin", "null")]), &own));
        // Chromium's own form post from a page with Referrer-Policy: no-referrer.
        assert!(!is_cross_site(&req(&[host, ("origin", "null"), ("sec-fetch-site", "same-origin")]), &own));
        assert!(is_cross_site(&req(&[host, ("origin", "null"), ("sec-fetch-site", "same-site")]), &own));
        assert!(is_cross_site(&req(&[host, ("origin", "file://")]), &own));
    }

    /// Query parameters are decoded.
    #[test]
    fn query() {
        assert_eq!(query_param(&req(&[]), "rd").as_deref(), Some("/a?b"));
        assert_eq!(query_param(&req(&[]), "nope"), None);
    }

    /// Only local paths and the gateway's own hosts are accepted as redirect targets.
    #[test]
    fn redirect_targets() {
        let own = |h: &str| h == "portal.kommune.no";
        assert_eq!(safe_redirect("/expense/x?y=1", &own).as_deref(), Some("/expense/x?y=1"));
        assert!(safe_redirect("https://portal.kommune.no/a", &own).is_some());
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "https://portal.kommune.no@evil.example/",
            "https://u:p@portal.kommune.no/",
            "",
            "http://evil.example\n/",
        ] {
            assert_eq!(safe_redirect(bad, &own), None, "{bad}");
        }
    }
}
