//! Client headers that never reach a backend: identity and address headers that other gateways and proxies set, and
//! that backends once behind them may still trust.
//!
//! Names are compared folded: any letter case, and `_` read as `-`, because nginx, Apache and CGI hand
//! `X_Remote_User` to applications as `X-Remote-User` (`HTTP_X_REMOTE_USER`). The gateway sets `X-Portvakt-*`,
//! `X-Forwarded-For`, `-Host` and `-Proto` itself (the last three are passed on from trusted proxies, see
//! `upstream_request_filter`); every other `X-Forwarded-*` and `Forwarded` from a client is removed.

pub mod config;

use std::borrow::Cow;
use std::collections::HashSet;

/// Built-in names removed from every request (folded), besides the prefixes in [`BUILTIN_PREFIXES`].
pub const BUILTIN_NAMES: &[&str] = &[
    // Authelia, Apache mod_auth_*, generic reverse-proxy login
    "remote-user",
    "remote-groups",
    "remote-name",
    "remote-email",
    "x-remote-user",
    "x-remote-groups",
    "x-remote-email",
    "x-authenticated-user",
    "x-authenticated-groups",
    "x-authenticated-email",
    "x-webauth-user",
    "x-user",
    "x-username",
    "x-email",
    "x-groups",
    "x-user-email",
    "x-proxy-user",
    "x-preferred-username",
    // Addresses and the original request, as other proxies report them
    "forwarded",
    "x-real-ip",
    "x-client-ip",
    "client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "x-cluster-client-ip",
    "fastly-client-ip",
    "x-original-url",
    "x-original-uri",
    "x-original-host",
    "x-original-method",
    "x-rewrite-url",
    "x-host",
    "x-http-host",
    "x-client-cert",
    "x-client-verify",
    "x-client-dn",
    "client-cert",
    "ssl-client-cert",
    "ssl-client-verify",
    "x-arr-clientcert",
    // Cloud identity proxies: Azure App Service, AWS ALB, Google IAP, Cloudflare Access
    "x-ms-client-principal",
    "x-ms-client-principal-name",
    "x-ms-client-principal-id",
    "x-ms-client-principal-idp",
    "x-ms-token-aad-id-token",
    "x-ms-token-aad-access-token",
    "cf-access-authenticated-user-email",
    "cf-access-jwt-assertion",
];

/// Built-in prefixes: every header whose folded name starts with one of these is removed.
pub const BUILTIN_PREFIXES: &[&str] =
    &["x-forwarded-", "x-auth-request-", "x-amzn-oidc-", "x-goog-authenticated-user-", "x-ssl-client-", "x-portvakt-"];

/// Names the gateway writes itself; from trusted proxies the last three are passed on (chained).
const GATEWAY_SET: &[&str] = &["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"];

/// A header name folded for comparison: lower case, `_` as `-`. Borrowed when already folded (the common case).
pub fn fold(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b == b'_' || b.is_ascii_uppercase()) {
        Cow::Owned(name.bytes().map(|b| if b == b'_' { '-' } else { char::from(b.to_ascii_lowercase()) }).collect())
    } else {
        Cow::Borrowed(name)
    }
}

/// Whether a name is on the built-in list (by name or prefix), in any spelling.
pub fn is_builtin(name: &str) -> bool {
    let f = fold(name);
    BUILTIN_NAMES.contains(&&*f) || BUILTIN_PREFIXES.iter().any(|p| f.starts_with(p))
}

/// Whether the gateway sets this header itself, so it can never be kept from a client: `X-Portvakt-*` and the
/// forwarding chain.
pub fn set_by_gateway(name: &str) -> bool {
    let f = fold(name);
    f.starts_with("x-portvakt-") || GATEWAY_SET.contains(&&*f)
}

/// Whether a header frames or routes the request (so removing it would change what the backend reads as the
/// request): these cannot be added to the strip list.
pub fn frames_request(name: &str) -> bool {
    matches!(
        &*fold(name),
        "host" | "content-length" | "transfer-encoding" | "connection" | "upgrade" | "te" | "trailer"
    )
}

/// `[forwarding]`, checked: which client headers never reach a backend, and how header names are spelled there.
#[derive(Debug, Clone, Default)]
pub struct Forwarding {
    /// Client headers removed before a request goes to a backend.
    pub headers: HeaderFilter,
    /// Whether HTTP/1.1 header names keep the letter case the client or the backend wrote. Off, they are passed on
    /// as HTTP/2 clients send them (lowercase; a few standard names titled), with one header map per head, not two.
    pub preserve_header_case: bool,
}

/// Which client headers are removed before forwarding: the built-in list, plus the operator's names, minus the
/// built-in names the operator explicitly keeps.
#[derive(Debug, Clone)]
pub struct HeaderFilter {
    extra: HashSet<String>,
    keep: HashSet<String>,
    /// The first two bytes (folded) of every name this filter can remove: the built-in names and prefixes, the
    /// gateway's own and the operator's extra names. A name starting otherwise (`host`, `accept`, `user-agent`,
    /// `cookie`, `sec-fetch-*`: most of what a browser sends) is kept without the list scans.
    starts: Vec<[u8; 2]>,
}

/// A byte of a header name folded as [`fold`] folds it.
fn fold_byte(b: u8) -> u8 {
    if b == b'_' {
        b'-'
    } else {
        b.to_ascii_lowercase()
    }
}

/// The folded first two bytes of a name, `None` for a shorter one.
fn start_of(name: &str) -> Option<[u8; 2]> {
    match name.as_bytes() {
        [a, b, ..] => Some([fold_byte(*a), fold_byte(*b)]),
        _ => None,
    }
}

impl Default for HeaderFilter {
    /// The built-in list alone.
    fn default() -> HeaderFilter {
        HeaderFilter::new(&[], &[])
    }
}

impl HeaderFilter {
    /// A filter with extra names to remove and built-in names to keep (both in any spelling).
    pub fn new(extra: &[String], keep: &[String]) -> HeaderFilter {
        let extra: HashSet<String> = extra.iter().map(|n| fold(n).into_owned()).collect();
        let mut starts: Vec<[u8; 2]> = BUILTIN_NAMES
            .iter()
            .chain(BUILTIN_PREFIXES)
            .chain(GATEWAY_SET)
            .copied()
            .chain(extra.iter().map(String::as_str))
            .filter_map(start_of)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        HeaderFilter { extra, keep: keep.iter().map(|n| fold(n).into_owned()).collect(), starts }
    }

    /// Whether a client header with this name is removed. `X-Forwarded-For`, `-Host` and `-Proto` in exactly that
    /// spelling are left to the forwarding code (it rewrites them); any other spelling of them is removed here.
    pub fn removes(&self, name: &str) -> bool {
        // A name of two bytes or more that no removed name starts like is kept at once (one-byte names go the long
        // way: an operator may list one).
        if start_of(name).is_some_and(|s| !self.starts.contains(&s)) {
            return false;
        }
        self.removes_by_the_lists(name)
    }

    /// [`HeaderFilter::removes`] without the first-bytes shortcut: the gateway's names, the operator's extra names,
    /// the built-in names and prefixes, minus the kept ones (the same answer, slower; for tests and benches).
    pub fn removes_by_the_lists(&self, name: &str) -> bool {
        if GATEWAY_SET.contains(&name) {
            return false;
        }
        let f = fold(name);
        if f.starts_with("x-portvakt-") || GATEWAY_SET.contains(&&*f) {
            return true;
        }
        if self.extra.contains(&*f) {
            return true;
        }
        (BUILTIN_NAMES.contains(&&*f) || BUILTIN_PREFIXES.iter().any(|p| f.starts_with(p))) && !self.keep.contains(&*f)
    }
}

/// Whether a byte of a group name is sent as it is in `X-Portvakt-Groups`: visible ASCII except `,` (the list
/// separator) and `%` (the escape). This keeps RFC 3986's unreserved characters and every other character policy
/// group names use today, so names backends already see are unchanged.
fn group_byte_kept(b: u8) -> bool {
    b.is_ascii_graphic() && b != b',' && b != b'%'
}

/// One group name as `X-Portvakt-Groups` carries it: percent-encoded (RFC 3986 `%XX`, upper-case hex) where a byte
/// is `,`, `%`, space, a control or not ASCII (each UTF-8 byte), so a name can never split the list or break the
/// header. Borrowed when nothing needs encoding (every plain name).
pub fn encode_group(name: &str) -> Cow<'_, str> {
    if name.bytes().all(group_byte_kept) {
        return Cow::Borrowed(name);
    }
    use std::fmt::Write;
    let mut out = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if group_byte_kept(b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    Cow::Owned(out)
}

/// The `X-Portvakt-Groups` value: each name [`encode_group`]d, joined by `,`.
pub fn groups_header(groups: &[String]) -> String {
    let mut out = String::with_capacity(groups.iter().map(|g| g.len() + 1).sum());
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&encode_group(g));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain names pass unchanged; `,`, `%`, space, controls and non-ASCII are percent-encoded per UTF-8 byte, so
    /// the list splits on `,` into exactly the names, which decode back to the originals.
    #[test]
    fn group_names_are_percent_encoded() {
        assert!(matches!(encode_group("finance-staff"), Cow::Borrowed("finance-staff")));
        for kept in ["payroll", "hr_admins", "a.b~c", "Team:1/2@x+y=z;(q)*!$&'", "ALL-CAPS"] {
            assert_eq!(encode_group(kept), kept);
        }
        assert_eq!(encode_group("Lön, ekonomi"), "L%C3%B6n%2C%20ekonomi");
        assert_eq!(encode_group("100%"), "100%25");
        assert_eq!(encode_group("a\r\nX-Evil: 1"), "a%0D%0AX-Evil:%201");
        assert_eq!(encode_group("tab\tdel\u{7f}"), "tab%09del%7F");
        let groups = vec!["Lön, ekonomi".to_string(), "payroll".to_string(), "ø".to_string()];
        let header = groups_header(&groups);
        assert_eq!(header, "L%C3%B6n%2C%20ekonomi,payroll,%C3%B8");
        let back: Vec<String> = header
            .split(',')
            .map(|g| percent_encoding::percent_decode_str(g).decode_utf8().unwrap().into_owned())
            .collect();
        assert_eq!(back, groups);
        assert_eq!(groups_header(&[]), "");
        assert!(::http::HeaderValue::from_str(&header).is_ok());
    }

    /// Built-in names and prefixes are recognised in any case and with underscores; ordinary headers are not.
    #[test]
    fn builtin_names_in_any_spelling() {
        let f = HeaderFilter::default();
        for n in [
            "remote-user",
            "Remote_User",
            "X-REMOTE-USER",
            "x_forwarded_user",
            "x-forwarded-port",
            "X-Forwarded-Prefix",
            "x-auth-request-email",
            "x-real-ip",
            "forwarded",
            "x-original-url",
            "X_Rewrite_URL",
            "x-portvakt-user",
            "X_Portvakt_Groups",
            "x_forwarded_for",
            "X-Forwarded-Host",
        ] {
            assert!(f.removes(n), "{n}");
        }
        for n in ["x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "accept", "x-request-id", "user-agent"] {
            assert!(!f.removes(n), "{n}");
        }
    }

    /// The first-bytes shortcut never changes an answer: every built-in name and prefix (with suffixes, in three
    /// spellings), the operator's names (one of a single byte and one of two), and common browser headers get the
    /// same answer as from the lists alone, with and without operator settings.
    #[test]
    fn the_shortcut_answers_as_the_lists_do() {
        let filters = [
            HeaderFilter::default(),
            HeaderFilter::new(&["X-Legacy-Auth".into(), "q".into(), "Zz".into()], &["X-Real-IP".into()]),
        ];
        let mut names: Vec<String> = ["host", "accept", "user-agent", "cookie", "referer", "sec-fetch-site", "q", "Q"]
            .into_iter()
            .chain(["zz", "z", "", "x", "x-legacy-auth", "X_Legacy_Auth", "zz-top", "te", "x-request-id"])
            .map(str::to_string)
            .collect();
        for n in BUILTIN_NAMES.iter().chain(BUILTIN_PREFIXES).chain(GATEWAY_SET) {
            for m in [n.to_string(), n.to_ascii_uppercase(), n.replace('-', "_"), format!("{n}x"), format!("a{n}")] {
                names.push(m);
            }
        }
        let mut removed = 0;
        for f in &filters {
            for n in &names {
                assert_eq!(f.removes(n), f.removes_by_the_lists(n), "{n}");
                removed += usize::from(f.removes(n));
            }
        }
        assert!(removed > 2 * BUILTIN_NAMES.len(), "the lists remove names ({removed})");
        assert!(filters[1].removes("q") && filters[1].removes("ZZ") && !filters[0].removes("zz"));
    }

    /// Operator names are added in any spelling; a kept built-in name passes, the gateway's own never do.
    #[test]
    fn extra_and_keep() {
        let f = HeaderFilter::new(&["X-Legacy-Auth".into()], &["X-Real-IP".into()]);
        assert!(f.removes("x-legacy-auth"));
        assert!(f.removes("x_legacy_auth"));
        assert!(!f.removes("x-real-ip"));
        assert!(f.removes("remote-user"));
        assert!(set_by_gateway("X-Portvakt-User") && set_by_gateway("x_forwarded_for"));
        assert!(!set_by_gateway("x-real-ip"));
        assert!(is_builtin("X_Real_IP") && !is_builtin("x-legacy-auth"));
        assert!(frames_request("Transfer_Encoding") && frames_request("Host") && !frames_request("x-legacy-auth"));
    }
}
