//! The one canonical form of a request path, which routing, policy, logs and the backend all see.
//!
//! [`canonicalize`] decodes percent-escapes of unreserved characters (`%61` is `a`, `%2E` is `.`), removes dot
//! segments (RFC 3986 5.2.4, also when the dots were encoded), merges repeated slashes and writes every other byte
//! in one spelling: unreserved characters and literal sub-delimiters, `:` and `@` as themselves, everything else as
//! `%XX` with upper-case hex. Reserved characters that arrived encoded stay encoded (`%3B` is data, `;` is not).
//!
//! It refuses, rather than guesses, every spelling that backends are known to read differently: an encoded slash
//! (`%2F`), a backslash (`\` or `%5C`), NUL and other control characters, broken escapes, bytes that are not UTF-8
//! after decoding (overlong forms such as `%C0%AF`), and a second layer of encoding (`%25` followed by two hex
//! digits, which a backend that decodes twice would read as another character). What the backend makes of `;`
//! parameters and of letter case is a per-service setting ([`PathRules`]).
//!
//! The result is idempotent (`canonicalize(canonicalize(p)) == canonicalize(p)`) and never contains `//`, `/./`,
//! `/../` or `%2F`. This module knows nothing of HTTP libraries; the gateway calls it once per request.

use std::borrow::Cow;
use std::fmt::Write as _;

/// What a service's backend makes of `;` in a path segment (`/a;jsessionid=1/b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathParams {
    /// Refuse any literal `;` in the path with 400: no backend can read it differently from the gateway.
    #[default]
    Reject,
    /// Remove `;` and what follows it in each segment before dot segments are resolved, as Java servlet containers
    /// (Tomcat, Jetty) do: `/a/..;/b` is `/b`, `/secret;x/y` is `/secret/y`.
    Strip,
    /// `;` is an ordinary character; only a dot segment with parameters (`..;x`) is refused.
    Keep,
}

impl PathParams {
    /// The setting's name in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            PathParams::Reject => "reject",
            PathParams::Strip => "strip",
            PathParams::Keep => "keep",
        }
    }

    /// Parses the config file's spelling.
    pub fn parse(s: &str) -> Option<PathParams> {
        match s {
            "reject" => Some(PathParams::Reject),
            "strip" => Some(PathParams::Strip),
            "keep" => Some(PathParams::Keep),
            _ => None,
        }
    }
}

/// How one service's backend reads paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PathRules {
    /// What `;` parameters mean.
    pub params: PathParams,
    /// The backend ignores letter case and, like Windows, trailing dots and spaces in names (IIS): segments ending
    /// in `.` or ` ` are refused, and routing and policy compare paths case-insensitively.
    pub case_insensitive: bool,
}

/// Why a path is refused (always answered with 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path does not start with `/`.
    #[error("the path does not start with '/'")]
    NotAbsolute,
    /// A `%` not followed by two hex digits.
    #[error("a '%' not followed by two hex digits")]
    InvalidEscape,
    /// `%2F`: a slash that some backends decode into a separator.
    #[error("an encoded slash (%2F)")]
    EncodedSlash,
    /// `\` or `%5C`: a separator on Windows backends.
    #[error("a backslash")]
    Backslash,
    /// A NUL byte (`%00`), which ends a string in C.
    #[error("a NUL byte (%00)")]
    Nul,
    /// Another control character.
    #[error("a control character")]
    Control,
    /// The decoded bytes are not UTF-8 (overlong forms, surrogates, truncated sequences).
    #[error("bytes that are not valid UTF-8 after decoding (such as the overlong %C0%AF)")]
    InvalidUtf8,
    /// `%25` followed by two hex digits: encoded twice.
    #[error("a double encoding (%25 followed by two hex digits)")]
    DoubleEncoding,
    /// A `;` parameter on a service that refuses them.
    #[error("a ';' path parameter, which this service refuses")]
    PathParams,
    /// A dot segment carrying parameters (`..;x`) on a service that keeps parameters.
    #[error("a dot segment with a ';' parameter")]
    DotParams,
    /// A segment ending in `.` or space on a case-insensitive (Windows) service.
    #[error("a path segment ending in a dot or a space, which this service's backend ignores")]
    TrailingDotOrSpace,
    /// Parameter stripping would move the request to another service or to the gateway's own pages.
    #[error("path parameters that change which service the path belongs to")]
    Ambiguous,
}

impl PathError {
    /// A short stable name for logs.
    pub fn code(self) -> &'static str {
        match self {
            PathError::NotAbsolute => "not-absolute",
            PathError::InvalidEscape => "invalid-escape",
            PathError::EncodedSlash => "encoded-slash",
            PathError::Backslash => "backslash",
            PathError::Nul => "nul",
            PathError::Control => "control",
            PathError::InvalidUtf8 => "invalid-utf8",
            PathError::DoubleEncoding => "double-encoding",
            PathError::PathParams => "path-params",
            PathError::DotParams => "dot-params",
            PathError::TrailingDotOrSpace => "trailing-dot-or-space",
            PathError::Ambiguous => "ambiguous",
        }
    }
}

/// Parameter handling, including the lenient reading used only to find the service first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Params {
    Reject,
    Strip,
    Keep,
    /// `;` is ordinary and nothing is refused for it (the first, service-finding pass).
    Lenient,
}

/// One byte of the decoded path, and whether it arrived percent-encoded.
#[derive(Debug, Clone, Copy)]
struct Unit {
    byte: u8,
    encoded: bool,
}

impl Unit {
    fn is_literal(self, b: u8) -> bool {
        !self.encoded && self.byte == b
    }
}

/// The canonical form of `raw` (a path without query) for a backend that reads paths by `rules`.
pub fn canonicalize(raw: &str, rules: PathRules) -> Result<String, PathError> {
    canonicalize_borrowed(raw, rules).map(Cow::into_owned)
}

/// Like [`canonicalize`], borrowing `raw` itself when it is already canonical (the usual request): no copy.
pub fn canonicalize_borrowed(raw: &str, rules: PathRules) -> Result<Cow<'_, str>, PathError> {
    let params = match rules.params {
        PathParams::Reject => Params::Reject,
        PathParams::Strip => Params::Strip,
        PathParams::Keep => Params::Keep,
    };
    canonical(raw, params, rules.case_insensitive)
}

/// The canonical form with `;` read as an ordinary character and letter case kept, refusing only what every
/// service refuses: the reading used to find which service a path belongs to, before its own rules apply.
pub fn canonicalize_for_routing(raw: &str) -> Result<String, PathError> {
    canonical(raw, Params::Lenient, false).map(Cow::into_owned)
}

/// Like [`canonicalize_for_routing`], borrowing `raw` itself when it is already canonical.
pub fn canonicalize_for_routing_borrowed(raw: &str) -> Result<Cow<'_, str>, PathError> {
    canonical(raw, Params::Lenient, false)
}

/// Whether `raw` is its own canonical form under every reading, so no pass over it can change or refuse it:
/// absolute; only characters that are written as they are (unreserved and the sub-delimiters allowed literally,
/// no `%` escape, no `;` parameter, nothing outside ASCII); no empty segment but the last (no `//`); no `.` or
/// `..` segment, and no segment ending in `.` (which case-insensitive services refuse). Anything else takes the
/// full pass below; `canonical::tests::the_shortcut_agrees_with_the_full_pass` compares the two.
fn already_canonical(raw: &str) -> bool {
    let b = raw.as_bytes();
    if b.first() != Some(&b'/') {
        return false;
    }
    // One pass over the bytes: a '/' right after '/' closes an empty segment that is not the last, and a '/' (or the
    // end) right after '.' closes a segment ending in '.'.
    let mut prev = b'/';
    for &c in b.get(1..).unwrap_or_default() {
        if !is_plain(c) || (c == b'/' && (prev == b'/' || prev == b'.')) {
            return false;
        }
        prev = c;
    }
    prev != b'.'
}

/// Whether `c` stands in a path as it is whatever the reading: what [`push_unit`] writes literally, except `;` (a
/// parameter to some readings), and `/`.
fn is_plain(c: u8) -> bool {
    c == b'/' || (c != b';' && (is_unreserved(c) || is_literal_delimiter(c)))
}

/// RFC 3986 unreserved characters: written as they are, and an escape of one decodes to the same path.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Sub-delimiters, `:` and `@`: written as they are when they were not escaped.
fn is_literal_delimiter(b: u8) -> bool {
    matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@')
}

fn canonical(raw: &str, params: Params, case_insensitive: bool) -> Result<Cow<'_, str>, PathError> {
    if already_canonical(raw) {
        return Ok(Cow::Borrowed(raw));
    }
    full_pass(raw, params, case_insensitive).map(Cow::Owned)
}

/// Decodes, checks and re-spells `raw` segment by segment.
fn full_pass(raw: &str, params: Params, case_insensitive: bool) -> Result<String, PathError> {
    let units = decode(raw)?;
    let mut segments: Vec<&[Unit]> = Vec::new();
    // Whether the output ends in '/': after an empty, "." or ".." last segment.
    let mut trailing = false;
    for seg in units.get(1..).unwrap_or_default().split(|u| u.is_literal(b'/')) {
        let mut seg = seg;
        if let Some(p) = seg.iter().position(|u| u.is_literal(b';')) {
            let before = seg.get(..p).unwrap_or_default();
            match params {
                Params::Reject => return Err(PathError::PathParams),
                Params::Strip => seg = before,
                Params::Keep if dot_kind(before).is_some() => return Err(PathError::DotParams),
                Params::Keep | Params::Lenient => {}
            }
        }
        match dot_kind(seg) {
            Some(Dot::Empty | Dot::One) => trailing = true,
            Some(Dot::Two) => {
                segments.pop();
                trailing = true;
            }
            None => {
                if case_insensitive && seg.last().is_some_and(|u| u.byte == b'.' || u.byte == b' ') {
                    return Err(PathError::TrailingDotOrSpace);
                }
                segments.push(seg);
                trailing = false;
            }
        }
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for seg in &segments {
        out.push('/');
        for u in seg.iter() {
            push_unit(&mut out, *u);
        }
    }
    if segments.is_empty() || trailing {
        out.push('/');
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dot {
    Empty,
    One,
    Two,
}

/// Whether a decoded segment is empty, "." or "..".
fn dot_kind(seg: &[Unit]) -> Option<Dot> {
    match seg {
        [] => Some(Dot::Empty),
        [a] if a.byte == b'.' => Some(Dot::One),
        [a, b] if a.byte == b'.' && b.byte == b'.' => Some(Dot::Two),
        _ => None,
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes every escape once and refuses what no service accepts.
fn decode(raw: &str) -> Result<Vec<Unit>, PathError> {
    let b = raw.as_bytes();
    if b.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    let mut units = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let (Some(h), Some(l)) = (b.get(i + 1).and_then(|&x| hex(x)), b.get(i + 2).and_then(|&x| hex(x))) else {
                return Err(PathError::InvalidEscape);
            };
            units.push(Unit { byte: h << 4 | l, encoded: true });
            i += 3;
        } else {
            units.push(Unit { byte: c, encoded: false });
            i += 1;
        }
    }
    for (k, u) in units.iter().enumerate() {
        match u.byte {
            b'/' if u.encoded => return Err(PathError::EncodedSlash),
            b'\\' => return Err(PathError::Backslash),
            0 => return Err(PathError::Nul),
            0x01..=0x1f | 0x7f => return Err(PathError::Control),
            // A '%' here arrived as %25; followed by two hex digits (however spelled) it is a second encoding.
            b'%' => {
                let next_hex = |j: usize| units.get(j).is_some_and(|n| hex(n.byte).is_some());
                if next_hex(k + 1) && next_hex(k + 2) {
                    return Err(PathError::DoubleEncoding);
                }
            }
            _ => {}
        }
    }
    let bytes: Vec<u8> = units.iter().map(|u| u.byte).collect();
    if std::str::from_utf8(&bytes).is_err() {
        return Err(PathError::InvalidUtf8);
    }
    Ok(units)
}

/// Writes one byte in its canonical spelling.
fn push_unit(out: &mut String, u: Unit) {
    let b = u.byte;
    if is_unreserved(b) || (!u.encoded && is_literal_delimiter(b)) {
        out.push(char::from(b));
    } else {
        let _ = write!(out, "%{b:02X}");
    }
}

/// Percent-encodes a value for use in a query string (`application/x-www-form-urlencoded`), e.g. an `rd` target.
pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Whether a canonical path is one of the gateway's own (`/.portvakt` or below it), in any letter case.
pub fn is_reserved(path: &str) -> bool {
    const PREFIX: &str = "/.portvakt";
    path.get(..PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(PREFIX))
        && matches!(path.as_bytes().get(PREFIX.len()), None | Some(b'/'))
}

/// The decoded, lower-cased form of a canonical path, for case-insensitive comparison.
pub fn folded(path: &str) -> String {
    percent_encoding::percent_decode_str(path).decode_utf8_lossy().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STRICT: PathRules = PathRules { params: PathParams::Reject, case_insensitive: false };

    fn c(raw: &str) -> Result<String, PathError> {
        canonicalize(raw, STRICT)
    }

    /// Unreserved escapes are decoded, dot segments (also encoded) removed, slashes merged, hex upper-cased.
    #[test]
    fn canonical_forms() {
        for (raw, want) in [
            ("/", "/"),
            ("", ""),
            ("/a/b", "/a/b"),
            ("/a//b", "/a/b"),
            ("///a", "/a"),
            ("/a/./b", "/a/b"),
            ("/a/x/../b", "/a/b"),
            ("/a/%2e/b", "/a/b"),
            ("/a/%2E%2e/b", "/b"),
            ("/a/.%2E/b", "/b"),
            ("/../../a", "/a"),
            ("/a/..", "/"),
            ("/a/b/..", "/a/"),
            ("/a/.", "/a/"),
            ("/a/", "/a/"),
            ("/a//", "/a/"),
            ("/%61dmin", "/admin"),
            ("/%7euser", "/~user"),
            ("/a%20b", "/a%20b"),
            ("/a%3bb", "/a%3Bb"),
            ("/a%3Fb", "/a%3Fb"),
            ("/caf%c3%a9", "/caf%C3%A9"),
            ("/café", "/caf%C3%A9"),
            ("/a'b:c@d=e", "/a'b:c@d=e"),
            ("/a{b}", "/a%7Bb%7D"),
            ("/100%25", "/100%25"),
            ("/100%25done", "/100%25done"),
            ("/...", "/..."),
            ("/a./b ", "/a./b%20"),
        ] {
            if want.is_empty() {
                assert_eq!(c(raw), Err(PathError::NotAbsolute), "{raw}");
            } else {
                assert_eq!(c(raw).as_deref(), Ok(want), "{raw}");
            }
        }
    }

    /// Every spelling backends read differently is refused, with its reason.
    #[test]
    fn refused_forms() {
        use PathError::*;
        for (raw, why) in [
            ("*", NotAbsolute),
            ("a/b", NotAbsolute),
            ("/a%2fb", EncodedSlash),
            ("/a%2Fb", EncodedSlash),
            ("/a\\b", Backslash),
            ("/a%5cb", Backslash),
            ("/a%5C..%5Cb", Backslash),
            ("/a%00", Nul),
            ("/a%0a", Control),
            ("/a%0D", Control),
            ("/a%1b", Control),
            ("/a%7f", Control),
            ("/a%", InvalidEscape),
            ("/a%2", InvalidEscape),
            ("/a%zz", InvalidEscape),
            ("/a%%32%65", InvalidEscape),
            ("/%c0%af", InvalidUtf8),
            ("/%c0%ae%c0%ae/x", InvalidUtf8),
            ("/%e0%80%af", InvalidUtf8),
            ("/%ed%a0%80", InvalidUtf8),
            ("/%c3", InvalidUtf8),
            ("/%ff", InvalidUtf8),
            ("/%252e%252e/x", DoubleEncoding),
            ("/%252f", DoubleEncoding),
            ("/%2561dmin", DoubleEncoding),
            ("/%25%32%65", DoubleEncoding),
            ("/a;b", PathParams),
            ("/a/..;/b", PathParams),
        ] {
            assert_eq!(c(raw), Err(why), "{raw}");
        }
    }

    /// Parameters are refused, stripped before dot segments are resolved, or kept with dot segments refused.
    #[test]
    fn path_params() {
        let strip = PathRules { params: PathParams::Strip, case_insensitive: false };
        let keep = PathRules { params: PathParams::Keep, case_insensitive: false };
        assert_eq!(canonicalize("/a/secret;x/y", strip).as_deref(), Ok("/a/secret/y"));
        assert_eq!(canonicalize("/a/x/..;/b", strip).as_deref(), Ok("/a/b"));
        assert_eq!(canonicalize("/a/;x/b", strip).as_deref(), Ok("/a/b"));
        assert_eq!(canonicalize("/a/b;jsessionid=1", strip).as_deref(), Ok("/a/b"));
        assert_eq!(canonicalize("/a/secret;/x", keep).as_deref(), Ok("/a/secret;/x"));
        assert_eq!(canonicalize("/a/x/..;/b", keep), Err(PathError::DotParams));
        assert_eq!(canonicalize("/a/.;x/b", keep), Err(PathError::DotParams));
        assert_eq!(canonicalize("/a/;x/b", keep), Err(PathError::DotParams));
        assert_eq!(canonicalize_for_routing("/a/x/..;/b").as_deref(), Ok("/a/x/..;/b"));
        // An encoded ';' is data, never a parameter.
        assert_eq!(c("/a%3Bx/b").as_deref(), Ok("/a%3Bx/b"));
    }

    /// On a case-insensitive (Windows) service, segments ending in a dot or space are refused; elsewhere they are
    /// ordinary names.
    #[test]
    fn trailing_dot_or_space() {
        let win = PathRules { params: PathParams::Reject, case_insensitive: true };
        for raw in ["/secret.", "/secret%20", "/secret./x", "/a/...", "/x%2e", "/x%20/y"] {
            assert_eq!(canonicalize(raw, win), Err(PathError::TrailingDotOrSpace), "{raw}");
        }
        assert_eq!(canonicalize("/Secret/x.aspx", win).as_deref(), Ok("/Secret/x.aspx"));
        assert_eq!(c("/secret.").as_deref(), Ok("/secret."));
    }

    /// The reserved prefix is recognised in any letter case and only on a segment boundary.
    #[test]
    fn reserved() {
        for p in ["/.portvakt", "/.portvakt/", "/.portvakt/login", "/.PortVakt/login"] {
            assert!(is_reserved(p), "{p}");
        }
        for p in ["/", "/.portvakter", "/x/.portvakt/login", "/portvakt/"] {
            assert!(!is_reserved(p), "{p}");
        }
    }

    fn rules() -> impl Strategy<Value = PathRules> {
        (0..3u8, any::<bool>()).prop_map(|(p, ci)| PathRules {
            params: [PathParams::Reject, PathParams::Strip, PathParams::Keep][usize::from(p)],
            case_insensitive: ci,
        })
    }

    /// Paths built from the pieces that matter: separators, dots, escapes of them, parameters, letters, spaces.
    fn raw_path() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("."),
            Just(".."),
            Just("%2e"),
            Just("%2E"),
            Just("%2f"),
            Just("%25"),
            Just("%5c"),
            Just("%3b"),
            Just(";"),
            Just("a"),
            Just("B"),
            Just("%41"),
            Just("%20"),
            Just("%c3%a9"),
            Just("%c0"),
            Just("%"),
            Just("2e"),
            Just("~"),
            Just("é"),
            Just("{"),
            Just("@"),
        ];
        proptest::collection::vec(piece, 0..16).prop_map(|v| format!("/{}", v.concat()))
    }

    /// The paths browsers send every day skip the full pass; anything with an escape, a parameter, an empty or dot
    /// segment, or a character outside the plain set does not.
    #[test]
    fn everyday_paths_take_the_shortcut_and_odd_ones_do_not() {
        for p in ["/", "/app/x", "/self-service/", "/a.b/c.pdf", "/signing/doc:1@x", "/a/b/"] {
            assert!(already_canonical(p), "{p}");
        }
        for p in ["", "app", "//", "/a//b", "/a./b", "/.", "/a/..", "/a/.", "/a%20", "/a;b", "/å", "/a b"] {
            assert!(!already_canonical(p), "{p}");
        }
    }

    proptest! {
        /// canonical(canonical(p)) == canonical(p), and no canonical path contains //, /./, /../ or %2F, or ends
        /// in a dot segment.
        #[test]
        fn idempotent_and_clean(raw in raw_path(), r in rules()) {
            if let Ok(once) = canonicalize(&raw, r) {
                prop_assert_eq!(canonicalize(&once, r), Ok(once.clone()));
                prop_assert_eq!(canonicalize_for_routing(&once), Ok(once.clone()));
                prop_assert!(once.starts_with('/'));
                for bad in ["//", "/./", "/../", "%2f", "%2F", "\\", "%5C", "%00"] {
                    prop_assert!(!once.contains(bad), "{} in {}", bad, once);
                }
                prop_assert!(!once.ends_with("/.") && !once.ends_with("/.."), "{}", once);
                // The canonical form decodes to valid UTF-8 (nothing to reinterpret).
                prop_assert!(percent_encoding::percent_decode_str(&once).decode_utf8().is_ok());
            }
        }

        /// The one-pass shortcut answers as the rule its doc comment states, read segment by segment (the
        /// shortcut's first form).
        #[test]
        fn the_one_pass_shortcut_answers_as_the_segment_reading(raw in "/?[a-zA-Z0-9./;:@=+,*()'&$!~_%-]{0,30}") {
            let by_segments = raw.starts_with('/') && raw.bytes().all(is_plain) && {
                let rest = raw.get(1..).unwrap_or_default();
                let last = rest.split('/').count() - 1;
                rest.split('/').enumerate().all(|(i, seg)| (!seg.is_empty() || i == last) && !seg.ends_with('.'))
            };
            prop_assert_eq!(already_canonical(&raw), by_segments, "{}", raw);
        }

        /// A path the shortcut takes as already canonical is exactly what the full pass makes of it, under every
        /// reading (parameters refused, stripped, kept or lenient; case-sensitive or not).
        #[test]
        fn the_shortcut_agrees_with_the_full_pass(raw in "/[a-zA-Z0-9./;:@=+,*()'&$!~_%-]{0,30}") {
            if already_canonical(&raw) {
                for params in [Params::Reject, Params::Strip, Params::Keep, Params::Lenient] {
                    for ci in [false, true] {
                        prop_assert_eq!(full_pass(&raw, params, ci), Ok(raw.clone()), "{:?} {}", params, ci);
                    }
                }
            }
        }

        /// Any string at all either is refused or comes out canonical and stable.
        #[test]
        fn arbitrary_input(raw in "/[ -~é]{0,40}", r in rules()) {
            if let Ok(once) = canonicalize(&raw, r) {
                prop_assert_eq!(canonicalize(&once, r), Ok(once.clone()));
                prop_assert!(!once.contains("//") && !once.contains("/../") && !once.contains("/./"));
            }
        }

        /// Writing a letter or digit as an escape never changes the canonical form.
        #[test]
        fn escaped_unreserved_is_the_same(s in "[a-zA-Z0-9._~-]{1,12}") {
            let escaped: String = s.bytes().map(|b| format!("%{b:02x}")).collect();
            prop_assert_eq!(c(&format!("/x/{escaped}")), c(&format!("/x/{s}")));
        }
    }
}
