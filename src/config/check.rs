//! [`Checker`]: the one validator every config section uses. It collects positioned errors and warnings while a
//! table is turned into settings, resolves paths against the config file's directory, reads secret files and
//! holds the checks several sections share (durations in a range, CA files, loopback hosts).

use super::duration::ConfigDuration;
use super::error::{ConfigError, SourceFile};
use super::secret::Secret;
use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// Collects positioned errors and warnings while a config file is validated.
pub struct Checker<'a> {
    src: &'a SourceFile,
    base_dir: PathBuf,
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigError>,
}

impl<'a> Checker<'a> {
    /// A checker for `src`; relative paths are resolved against the file's directory.
    pub fn new(src: &'a SourceFile) -> Checker<'a> {
        let base_dir = src.path.parent().map(Path::to_path_buf).unwrap_or_default();
        Checker::with_base(src, base_dir)
    }

    /// A checker for `src` that resolves relative paths against `base_dir`.
    pub fn with_base(src: &'a SourceFile, base_dir: impl Into<PathBuf>) -> Checker<'a> {
        Checker { src, base_dir: base_dir.into(), errors: Vec::new(), warnings: Vec::new() }
    }

    /// The file being checked.
    pub fn src(&self) -> &'a SourceFile {
        self.src
    }

    /// The directory relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// An error at a value.
    pub fn err<T>(&mut self, at: &Spanned<T>, msg: impl Into<String>) {
        self.errors.push(self.src.error_at(Some(at.span()), msg));
    }

    /// An error at a byte span, or at the file when there is none.
    pub fn err_at(&mut self, span: Option<Range<usize>>, msg: impl Into<String>) {
        self.errors.push(self.src.error_at(span, msg));
    }

    /// An error about the file as a whole.
    pub fn err_nopos(&mut self, msg: impl Into<String>) {
        self.errors.push(self.src.error_at(None, msg));
    }

    /// A warning at a value: valid, but weakening a default on purpose.
    pub fn warn<T>(&mut self, at: &Spanned<T>, msg: impl Into<String>) {
        self.warnings.push(self.src.error_at(Some(at.span()), msg));
    }

    /// A warning at a byte span, or about the file as a whole when there is none.
    pub fn warn_at(&mut self, span: Option<Range<usize>>, msg: impl Into<String>) {
        self.warnings.push(self.src.error_at(span, msg));
    }

    /// Adds errors found elsewhere (another file's checker, a section validated on its own).
    pub fn extend(&mut self, errors: impl IntoIterator<Item = ConfigError>) {
        self.errors.extend(errors);
    }

    /// Whether any error was found so far.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// The errors and warnings found.
    pub fn finish(self) -> (Vec<ConfigError>, Vec<ConfigError>) {
        (self.errors, self.warnings)
    }

    /// `Ok(settings)` when nothing was wrong, else every error (a section with no value and no error gets one at
    /// `at`).
    pub fn result<T>(self, settings: Option<T>, at: &Spanned<String>) -> Result<T, Vec<ConfigError>> {
        match settings {
            Some(s) if self.errors.is_empty() => Ok(s),
            _ if !self.errors.is_empty() => Err(self.errors),
            _ => Err(vec![self.src.error_at(Some(at.span()), "invalid settings")]),
        }
    }

    /// A path as written, made absolute against the config file's directory.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// A required value, or an error at `kind` naming the missing key.
    pub fn required<'f, T>(&mut self, v: &'f Option<Spanned<T>>, key: &str, kind: &Spanned<String>) -> Option<&'f T> {
        match v {
            Some(v) => Some(v.get_ref()),
            None => {
                self.err(kind, format!("kind = \"{}\" needs `{key}`", kind.get_ref()));
                None
            }
        }
    }

    /// Refuses keys that belong to another kind, so a half-edited table is noticed.
    pub fn unused<T>(&mut self, v: &Option<Spanned<T>>, key: &str, belongs_to: &str) {
        if let Some(v) = v {
            self.err(v, format!("`{key}` is only used with kind = \"{belongs_to}\"; remove it"));
        }
    }

    /// A timeout between `min` and `max` (`default` when absent); `what` says why the limits exist.
    pub fn timeout(
        &mut self,
        v: &Option<Spanned<ConfigDuration>>,
        (default, min, max): (Duration, Duration, Duration),
        what: &str,
    ) -> Duration {
        let Some(t) = v else { return default };
        let d = t.get_ref().0;
        if d < min || d > max {
            self.err(
                t,
                format!(
                    "timeout must be between {} and {}: {what}",
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ),
            );
        }
        d
    }

    /// A whole number from 1 to `max`, `default` when absent.
    pub fn positive(&mut self, v: &Option<Spanned<u32>>, default: u32, max: u32) -> u32 {
        match v {
            Some(n) if *n.get_ref() == 0 || *n.get_ref() > max => {
                self.err(n, format!("must be between 1 and {max}"));
                default
            }
            Some(n) => *n.get_ref(),
            None => default,
        }
    }

    /// A CA file to trust, checked readable and holding at least one PEM certificate.
    pub fn ca_file(&mut self, ca: &Spanned<String>) -> Option<PathBuf> {
        let path = self.resolve(ca.get_ref());
        match std::fs::read(&path) {
            Ok(pem) => match rustls_pemfile::certs(&mut pem.as_slice()).collect::<Result<Vec<_>, _>>() {
                Ok(certs) if !certs.is_empty() => Some(path),
                _ => {
                    self.err(ca, format!("{} holds no PEM certificate", path.display()));
                    None
                }
            },
            Err(e) => {
                self.err(ca, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    /// Reads a one-line secret file; trailing line breaks are dropped.
    pub fn read_secret_file(&mut self, p: &Spanned<String>) -> Option<Secret> {
        let path = self.resolve(p.get_ref());
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let value = text.trim_end_matches(['\r', '\n']);
                if value.is_empty() {
                    self.err(p, format!("{} is empty", path.display()));
                    None
                } else {
                    Some(Secret::new(value))
                }
            }
            Err(e) => {
                self.err(p, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    /// An inline secret or one read from a file; at most one of the two may be given.
    pub fn secret(
        &mut self,
        inline: &Option<Spanned<Secret>>,
        file: &Option<Spanned<String>>,
        key: &str,
    ) -> Option<Option<Secret>> {
        match (inline, file) {
            (Some(_), Some(f)) => {
                self.err(f, format!("give either `{key}` or `{key}_file`, not both"));
                None
            }
            (Some(s), None) => {
                if s.get_ref().expose().is_empty() {
                    self.err(s, format!("`{key}` is empty"));
                    return None;
                }
                Some(Some(s.get_ref().clone()))
            }
            (None, Some(f)) => self.read_secret_file(f).map(Some),
            (None, None) => Some(None),
        }
    }
}

/// Whether a host name or literal address (brackets allowed) is this machine's loopback: `localhost`,
/// 127.0.0.0/8 or ::1. Plain-text connections that carry codes or passwords are allowed only there.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Whether a URL's host is loopback ([`is_loopback_host`]), for special and non-special schemes alike.
pub fn is_loopback_url(u: &url::Url) -> bool {
    u.host_str().is_some_and(is_loopback_host)
}

/// Whether a name is a plain identifier (a-z, 0-9, '-', '_'), as zone, service and realm names must be.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Lower-cases a host name and checks it is a plausible DNS name or IP literal; `None` otherwise.
pub fn normalize_host(h: &str) -> Option<String> {
    let h = h.trim().to_ascii_lowercase();
    if h.is_empty() || h.len() > 253 {
        return None;
    }
    if h.parse::<std::net::IpAddr>().is_ok() {
        return Some(h);
    }
    let ok = h.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    ok.then_some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loopback means localhost, 127.0.0.0/8 and ::1, in URLs of any scheme too; nothing else.
    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "LOCALHOST", "127.0.0.1", "127.9.0.1", "::1", "[::1]"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["", "10.0.0.1", "localhost.example", "::2", "example.org"] {
            assert!(!is_loopback_host(h), "{h}");
        }
        for u in ["http://127.0.0.1:8080/x", "ldap://[::1]:389", "ldap://localhost", "http://[::1]/"] {
            assert!(is_loopback_url(&url::Url::parse(u).unwrap()), "{u}");
        }
        for u in ["http://10.1.1.1/", "ldap://ldap.example:389", "ldap://127.0.0.1.example"] {
            assert!(!is_loopback_url(&url::Url::parse(u).unwrap()), "{u}");
        }
    }

    /// Errors and warnings keep their positions; a relative path resolves beside the config file.
    #[test]
    fn positions_and_paths() {
        let src = SourceFile { path: "/etc/portvakt/p.toml".into(), text: "a = 1\nb = 2\n".into() };
        let mut c = Checker::new(&src);
        c.err_at(Some(6..7), "bad b");
        c.warn(&Spanned::new(0..1, 1), "weak a");
        assert_eq!(c.resolve("users.toml"), PathBuf::from("/etc/portvakt/users.toml"));
        assert_eq!(c.resolve("/abs"), PathBuf::from("/abs"));
        let (errors, warnings) = c.finish();
        assert_eq!(errors[0].to_string(), "/etc/portvakt/p.toml:2:1: bad b");
        assert_eq!(warnings[0].to_string(), "/etc/portvakt/p.toml:1:1: weak a");
    }
}
