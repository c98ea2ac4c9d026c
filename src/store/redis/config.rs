//! The `[store.redis]` table: its file format and the validated [`RedisSettings`], with secrets read from files.

use crate::config::duration::ConfigDuration;
use crate::config::error::{ConfigError, SourceFile};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// `[store.redis]` as written in the config file.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisFile {
    /// Standalone server: `redis://host:port` or `rediss://host:port` (TLS). No password in the URL.
    pub url: Option<Spanned<String>>,
    /// Sentinels instead of `url`: `redis://host:port` (or `rediss://` for TLS to Sentinels and servers).
    pub sentinels: Option<Spanned<Vec<Spanned<String>>>>,
    /// The master name the Sentinels monitor.
    pub master_name: Option<Spanned<String>>,
    /// ACL user on the Sentinels.
    pub sentinel_username: Option<Spanned<String>>,
    /// File holding the Sentinels' password.
    pub sentinel_password_file: Option<Spanned<String>>,
    /// ACL user on the Redis servers.
    pub username: Option<Spanned<String>>,
    /// File holding the password (systemd `LoadCredential=`).
    pub password_file: Option<Spanned<String>>,
    /// Database index.
    pub db: Option<Spanned<i64>>,
    /// Prefix of every key, so several deployments can share a server.
    pub key_prefix: Option<Spanned<String>>,
    /// CA certificate (PEM) that signed the servers' certificates; the system roots otherwise.
    pub ca_file: Option<Spanned<String>>,
    /// Client certificate (PEM) for servers that require one.
    pub cert_file: Option<Spanned<String>>,
    /// Client key (PEM) for `cert_file`.
    pub key_file: Option<Spanned<String>>,
    /// Time allowed to open a connection (TCP, TLS, AUTH), default 2s.
    pub connect_timeout: Option<Spanned<ConfigDuration>>,
    /// Time allowed for one answer, default 1s.
    pub response_timeout: Option<Spanned<ConfigDuration>>,
}

/// A secret read from a file; never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A `host:port` the gateway connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// Host name or IP address (the TLS server name when it is a name).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Where the Redis master is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// One server at a fixed address.
    Standalone(HostPort),
    /// Asked from Sentinels, again after every failure.
    Sentinel {
        /// The Sentinels, tried in turn.
        sentinels: Vec<HostPort>,
        /// The monitored master's name.
        master_name: String,
        /// ACL user on the Sentinels.
        username: Option<String>,
        /// Password on the Sentinels.
        password: Option<Secret>,
    },
}

/// TLS material, read at load.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsMaterial {
    /// CA certificates (PEM); the system roots when `None`.
    pub ca: Option<Vec<u8>>,
    /// Client certificate and key (PEM).
    pub client: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("ca", &self.ca.as_ref().map(|_| ".."))
            .field("client", &self.client.as_ref().map(|_| ".."))
            .finish()
    }
}

/// Validated Redis settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSettings {
    /// Standalone or Sentinel.
    pub endpoint: Endpoint,
    /// TLS to every node (`rediss://`), with its material.
    pub tls: Option<TlsMaterial>,
    /// ACL user.
    pub username: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Database index.
    pub db: i64,
    /// Prefix of every key.
    pub key_prefix: String,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Response timeout.
    pub response_timeout: Duration,
}

impl RedisSettings {
    /// Settings for one server at `host:port`, plain, no authentication, default timeouts and prefix.
    pub fn standalone(host: &str, port: u16) -> RedisSettings {
        RedisSettings {
            endpoint: Endpoint::Standalone(HostPort { host: host.to_string(), port }),
            tls: None,
            username: None,
            password: None,
            db: 0,
            key_prefix: DEFAULT_PREFIX.to_string(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
        }
    }

    /// The config keys that name the server, as an operator wrote them (`url = "redis://10.0.0.5:6379"`, or the
    /// sentinels and master name), for startup messages. No secret is in it.
    pub fn describe(&self) -> String {
        let scheme = if self.tls.is_some() { "rediss" } else { "redis" };
        match &self.endpoint {
            Endpoint::Standalone(hp) => format!("url = \"{scheme}://{hp}\""),
            Endpoint::Sentinel { sentinels, master_name, .. } => {
                let list: Vec<String> = sentinels.iter().map(|s| format!("\"{s}\"")).collect();
                format!("sentinels = [{}], master_name = \"{master_name}\"", list.join(", "))
            }
        }
    }
}

/// Default key prefix.
pub const DEFAULT_PREFIX: &str = "portvakt:";
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Default response timeout.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Parses `redis://host:port` / `rediss://host:port` (no user, password, path or query); returns the address and
/// whether it asks for TLS.
pub fn parse_url(s: &str, default_port: u16) -> Result<(HostPort, bool), String> {
    let u = url::Url::parse(s)
        .map_err(|e| format!("invalid Redis URL \"{s}\" ({e}): write it like redis://10.0.0.5:6379"))?;
    let tls = match u.scheme() {
        "redis" => false,
        "rediss" => true,
        other => {
            return Err(format!("Redis URL scheme \"{other}\" is not supported: use redis:// or rediss:// (TLS)"));
        }
    };
    if u.password().is_some() || !u.username().is_empty() {
        return Err(
            "the Redis URL must not carry a user or password: set `username` and `password_file` instead".into()
        );
    }
    if !(u.path().is_empty() || u.path() == "/") || u.query().is_some() || u.fragment().is_some() {
        return Err("the Redis URL must be just scheme, host and port: set the database with `db`".into());
    }
    let host = match u.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_string(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => return Err(format!("the Redis URL \"{s}\" has no host")),
    };
    Ok((HostPort { host, port: u.port().unwrap_or(default_port) }, tls))
}

/// Reads a secret file: its whole content without the trailing line end; empty is refused.
pub fn read_secret(path: &Path) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
    let s = text.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        return Err(format!("secret file {} is empty", path.display()));
    }
    Ok(Secret(s))
}

fn resolve(src: &SourceFile, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        src.path.parent().map(Path::to_path_buf).unwrap_or_default().join(p)
    }
}

/// A problem in `[store.redis]` at a byte range of the config file, where one applies.
pub type Problem = (Option<std::ops::Range<usize>>, String);

struct Errors<'a> {
    resolve: &'a dyn Fn(&str) -> PathBuf,
    list: Vec<Problem>,
}

impl Errors<'_> {
    fn at<T>(&mut self, v: &Spanned<T>, msg: impl Into<String>) {
        self.list.push((Some(v.span()), msg.into()));
    }

    fn secret(&mut self, p: &Spanned<String>) -> Option<Secret> {
        match read_secret(&(self.resolve)(p.get_ref())) {
            Ok(s) => Some(s),
            Err(e) => {
                self.at(p, e);
                None
            }
        }
    }

    fn pem(&mut self, p: &Spanned<String>, what: &str) -> Option<Vec<u8>> {
        let path = (self.resolve)(p.get_ref());
        match std::fs::read(&path) {
            Ok(b) if b.windows(10).any(|w| w == b"-----BEGIN") => Some(b),
            Ok(_) => {
                self.at(p, format!("{what} {} is not PEM", path.display()));
                None
            }
            Err(e) => {
                self.at(p, format!("cannot read {what} {}: {e}", path.display()));
                None
            }
        }
    }

    fn timeout(&mut self, v: &Option<Spanned<ConfigDuration>>, name: &str, default: Duration) -> Duration {
        match v {
            Some(d) if d.get_ref().0 < Duration::from_millis(10) || d.get_ref().0 > Duration::from_secs(60) => {
                self.at(d, format!("`{name}` must be between 10ms and 60s"));
                default
            }
            Some(d) => d.get_ref().0,
            None => default,
        }
    }
}

/// Validates `[store.redis]` as written in `src`; every problem is reported with its position. `table` is the span
/// of the table (for problems with no key of their own, such as a missing `url`).
pub fn validate(
    src: &SourceFile,
    f: &RedisFile,
    table: Option<std::ops::Range<usize>>,
) -> Result<RedisSettings, Vec<ConfigError>> {
    let resolve = |p: &str| resolve(src, p);
    check(f, table, &resolve).map_err(|v| v.into_iter().map(|(span, msg)| src.error_at(span, msg)).collect())
}

/// Validates `[store.redis]`; `resolve` turns a configured path into one relative to the config file.
pub fn check(
    f: &RedisFile,
    table: Option<std::ops::Range<usize>>,
    resolve: &dyn Fn(&str) -> PathBuf,
) -> Result<RedisSettings, Vec<Problem>> {
    let mut e = Errors { resolve, list: Vec::new() };
    let mut schemes = Vec::new();

    let endpoint = match (&f.url, &f.sentinels) {
        (Some(_), Some(s)) => {
            e.at(s, "set either `url` (one server) or `sentinels`, not both");
            None
        }
        (None, None) => {
            e.list.push((table, "[store.redis] needs `url` (one server) or `sentinels` with `master_name`".into()));
            None
        }
        (Some(u), None) => {
            for k in [&f.master_name, &f.sentinel_username, &f.sentinel_password_file].into_iter().flatten() {
                e.at(k, "`master_name` and the Sentinel credentials only apply with `sentinels`");
            }
            match parse_url(u.get_ref(), 6379) {
                Ok((hp, tls)) => {
                    schemes.push(tls);
                    Some(Endpoint::Standalone(hp))
                }
                Err(msg) => {
                    e.at(u, msg);
                    None
                }
            }
        }
        (None, Some(list)) => {
            let mut sentinels = Vec::new();
            if list.get_ref().is_empty() {
                e.at(list, "`sentinels` is empty: list at least one (three is usual)");
            }
            for s in list.get_ref() {
                match parse_url(s.get_ref(), 26379) {
                    Ok((hp, tls)) => {
                        schemes.push(tls);
                        sentinels.push(hp);
                    }
                    Err(msg) => e.at(s, msg),
                }
            }
            if schemes.iter().any(|t| *t) && !schemes.iter().all(|t| *t) {
                e.at(list, "a mix of redis:// and rediss://: TLS is used to every node or to none");
            }
            let master_name = match &f.master_name {
                Some(m) if !m.get_ref().trim().is_empty() => Some(m.get_ref().clone()),
                Some(m) => {
                    e.at(m, "`master_name` is empty");
                    None
                }
                None => {
                    e.at(list, "`sentinels` needs `master_name`: the name the Sentinels monitor");
                    None
                }
            };
            let password = f.sentinel_password_file.as_ref().and_then(|p| e.secret(p));
            master_name.map(|master_name| Endpoint::Sentinel {
                sentinels,
                master_name,
                username: f.sentinel_username.as_ref().map(|u| u.get_ref().clone()),
                password,
            })
        }
    };
    let tls_on = schemes.iter().any(|t| *t);

    let ca = f.ca_file.as_ref().and_then(|p| e.pem(p, "CA file"));
    let cert = f.cert_file.as_ref().and_then(|p| e.pem(p, "client certificate"));
    let key = f.key_file.as_ref().and_then(|p| e.pem(p, "client key"));
    match (&f.cert_file, &f.key_file) {
        (Some(c), None) => e.at(c, "`cert_file` needs `key_file`"),
        (None, Some(k)) => e.at(k, "`key_file` needs `cert_file`"),
        _ => {}
    }
    if !tls_on {
        for k in [&f.ca_file, &f.cert_file, &f.key_file].into_iter().flatten() {
            e.at(k, "TLS files need a rediss:// URL");
        }
    }
    let tls = tls_on.then_some(TlsMaterial {
        ca,
        client: match (cert, key) {
            (Some(c), Some(k)) => Some((c, k)),
            _ => None,
        },
    });

    let password = f.password_file.as_ref().and_then(|p| e.secret(p));
    if let (Some(u), None) = (&f.username, &f.password_file) {
        e.at(u, "`username` needs `password_file`");
    }
    if let (Some(u), None) = (&f.sentinel_username, &f.sentinel_password_file) {
        e.at(u, "`sentinel_username` needs `sentinel_password_file`");
    }
    let db = match &f.db {
        Some(d) if *d.get_ref() < 0 => {
            e.at(d, format!("`db` must be a database index (0 or more), not {}", d.get_ref()));
            0
        }
        Some(d) => *d.get_ref(),
        None => 0,
    };
    let key_prefix = match &f.key_prefix {
        Some(p) if p.get_ref().is_empty() || p.get_ref().len() > 64 || p.get_ref().chars().any(char::is_whitespace) => {
            e.at(p, "`key_prefix` must be 1 to 64 characters without spaces, like \"portvakt:\"");
            String::new()
        }
        Some(p) => p.get_ref().clone(),
        None => DEFAULT_PREFIX.to_string(),
    };
    let connect_timeout = e.timeout(&f.connect_timeout, "connect_timeout", DEFAULT_CONNECT_TIMEOUT);
    let response_timeout = e.timeout(&f.response_timeout, "response_timeout", DEFAULT_RESPONSE_TIMEOUT);

    match endpoint {
        Some(endpoint) if e.list.is_empty() => Ok(RedisSettings {
            endpoint,
            tls,
            username: f.username.as_ref().map(|u| u.get_ref().clone()),
            password,
            db,
            key_prefix,
            connect_timeout,
            response_timeout,
        }),
        _ => Err(e.list),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Wrap {
        store: StoreWrap,
    }
    #[derive(serde::Deserialize)]
    struct StoreWrap {
        redis: Spanned<RedisFile>,
    }

    fn check(text: &str) -> Result<RedisSettings, Vec<String>> {
        let src = SourceFile { path: "/etc/portvakt/portvakt.toml".into(), text: text.to_string() };
        let w: Wrap = src.parse().map_err(|e| vec![e.to_string()])?;
        let span = w.store.redis.span();
        validate(&src, w.store.redis.get_ref(), Some(span)).map_err(|v| v.iter().map(|e| e.to_string()).collect())
    }

    /// A plain URL with defaults gives a standalone endpoint, database 0, the default prefix and timeouts.
    #[test]
    fn standalone_defaults() {
        let s = check("[store.redis]\nurl = \"redis://10.0.0.5\"\n").unwrap();
        assert_eq!(s.endpoint, Endpoint::Standalone(HostPort { host: "10.0.0.5".into(), port: 6379 }));
        assert_eq!((s.db, s.key_prefix.as_str(), s.tls.is_none()), (0, DEFAULT_PREFIX, true));
        assert_eq!((s.connect_timeout, s.response_timeout), (DEFAULT_CONNECT_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT));
    }

    /// Bad URLs are reported at the value's position with what to write instead.
    #[test]
    fn bad_urls_have_positions() {
        let e = check("[store.redis]\nurl = \"http://10.0.0.5:6379\"\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("/etc/portvakt/portvakt.toml:2:7: Redis URL scheme \"http\""), "{e:?}");
        let e = check("[store.redis]\nurl = \"redis://user:pw@10.0.0.5\"\n").unwrap_err();
        assert!(e[0].contains(":2:7:") && e[0].contains("password_file"), "{e:?}");
        assert!(!e[0].contains("pw@"), "the password must not be echoed: {e:?}");
        let e = check("[store.redis]\nurl = \"redis://\"\n").unwrap_err();
        assert!(e[0].contains(":2:7:"), "{e:?}");
        let e = check("[store.redis]\nurl = \"redis://h/2\"\n").unwrap_err();
        assert!(e[0].contains("`db`"), "{e:?}");
    }

    /// An unreadable or empty secret file is an error at the key's value; a readable one is read without its
    /// line end.
    #[test]
    fn secret_files() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let text = format!(
            "[store.redis]\nurl = \"redis://h\"\nusername = \"pv\"\npassword_file = \"{}\"\n",
            missing.display()
        );
        let e = check(&text).unwrap_err();
        assert!(e[0].contains(":4:17: cannot read secret file"), "{e:?}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let e = check(&text.replace("nope", "empty")).unwrap_err();
        assert!(e[0].contains("is empty"), "{e:?}");
        std::fs::write(dir.path().join("pw"), "hunter2\n").unwrap();
        let s = check(&text.replace("nope", "pw")).unwrap();
        assert_eq!(s.password, Some(Secret("hunter2".into())));
        assert_eq!(format!("{:?}", s.password), "Some(Secret(..))");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    /// Sentinel needs a master name; TLS files need rediss://; one of url/sentinels is required; unknown keys and
    /// bad timeouts are refused.
    #[test]
    fn shape_errors() {
        let e = check("[store.redis]\nsentinels = [\"redis://a:26379\"]\n").unwrap_err();
        assert!(e[0].contains(":2:13:") && e[0].contains("master_name"), "{e:?}");
        let s = check("[store.redis]\nsentinels = [\"redis://a\", \"redis://b:1\"]\nmaster_name = \"m\"\n").unwrap();
        assert!(
            matches!(s.endpoint, Endpoint::Sentinel { ref sentinels, .. } if sentinels[0].port == 26379 && sentinels[1].port == 1)
        );
        let e = check("[store.redis]\nurl = \"redis://h\"\nca_file = \"ca.pem\"\n").unwrap_err();
        assert!(e.iter().any(|m| m.contains(":3:11: TLS files need a rediss:// URL")), "{e:?}");
        let e = check("[store.redis]\ndb = 1\n").unwrap_err();
        assert!(e[0].contains("needs `url`"), "{e:?}");
        let e = check("[store.redis]\nurl = \"redis://h\"\nurll = \"x\"\n").unwrap_err();
        assert!(e[0].contains(":3:1:") && e[0].contains("unknown field"), "{e:?}");
        let e = check("[store.redis]\nurl = \"redis://h\"\nresponse_timeout = \"5ms\"\n").unwrap_err();
        assert!(e[0].contains(":3:20:") && e[0].contains("10ms"), "{e:?}");
    }
}
