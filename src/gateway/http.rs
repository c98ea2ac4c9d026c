//! Small HTTP helpers: host, cookies, forms, query strings, redirects targets.

use pingora_http::RequestHeader;
use std::collections::HashMap;

/// The request's host name, lower case, without port: from the URI authority (HTTP/2) or the Host header.
pub fn host_of(req: &RequestHeader) -> Option<String> {
    let raw = match req.uri.authority() {
        Some(a) => a.host().to_string(),
        None => {
            let h = req.headers.get(http::header::HOST)?.to_str().ok()?;
            let auth: http::uri::Authority = h.parse().ok()?;
            auth.host().to_string()
        }
    };
    let h = raw.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    (!h.is_empty()).then_some(h)
}

/// The Host header value as sent (with port), for building absolute URLs back to the same place.
pub fn authority_of(req: &RequestHeader) -> Option<String> {
    match req.uri.authority() {
        Some(a) => Some(a.as_str().to_string()),
        None => req.headers.get(http::header::HOST)?.to_str().ok().map(str::to_string),
    }
}

/// Every cookie in every Cookie header, as (name, value).
pub fn cookies(req: &RequestHeader) -> impl Iterator<Item = (&str, &str)> {
    req.headers
        .get_all(http::header::COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            let (n, v) = c.split_once('=')?;
            Some((n.trim(), v.trim()))
        })
}

/// The value of the first cookie with this name.
pub fn cookie<'a>(req: &'a RequestHeader, name: &str) -> Option<&'a str> {
    cookies(req).find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Removes the named cookies, keeping every other cookie; drops the Cookie header if nothing remains.
pub fn strip_cookies(req: &mut RequestHeader, names: &[String]) {
    let has_any = cookies(req).any(|(n, _)| names.iter().any(|x| x == n));
    if !has_any {
        return;
    }
    let kept: Vec<String> = req
        .headers
        .get_all(http::header::COOKIE)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter(|c| {
            let name = c.split_once('=').map(|(n, _)| n.trim()).unwrap_or(c.trim());
            !c.trim().is_empty() && !names.iter().any(|x| x == name)
        })
        .map(|c| c.trim().to_string())
        .collect();
    req.remove_header(&http::header::COOKIE);
    if !kept.is_empty() {
        let _ = req.insert_header(http::header::COOKIE, kept.join("; "));
    }
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

/// Percent-encodes a value for use in a query string.
pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
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
