//! The `[email]` and `[sms]` config tables ([`FileEmail`], [`FileSms`]) and their validation into
//! [`EmailSettings`] and [`SmsSettings`]. Every problem is reported with the file, line and column of the value at
//! fault; secrets are read from their files at load and held in [`Secret`], which never prints.
//!
//! The config loader calls [`validate_email`] and [`validate_sms`] with the parsed tables; the TOML shape is
//! documented in [`crate::notify`].

use crate::config::check::{is_loopback_host, is_loopback_url, Checker};
use crate::config::duration::ConfigDuration;
use crate::config::error::{ConfigError, SourceFile};
pub use crate::config::secret::Secret;
use lettre::message::Mailbox;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The 46elks SMS endpoint used when `api_url` is not set.
pub const ELKS46_API_URL: &str = "https://api.46elks.com/a1/sms";

/// The `[email]` table as written in the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEmail {
    /// "smtp" or "log".
    pub kind: Spanned<String>,
    /// SMTP server host name or IP address.
    pub host: Option<Spanned<String>>,
    /// SMTP port; defaults by `security`.
    pub port: Option<Spanned<u16>>,
    /// "starttls" (default), "tls" or "none".
    pub security: Option<Spanned<String>>,
    /// SMTP AUTH user.
    pub username: Option<Spanned<String>>,
    /// SMTP AUTH password written inline.
    pub password: Option<Spanned<Secret>>,
    /// File holding the SMTP AUTH password.
    pub password_file: Option<Spanned<String>>,
    /// Sender mailbox, e.g. "Portvakt <noreply@kommune.example>".
    pub from: Option<Spanned<String>>,
    /// Time limit for delivering one message.
    pub timeout: Option<Spanned<ConfigDuration>>,
    /// PEM file of extra root certificates to trust for the SMTP server.
    pub ca_file: Option<Spanned<String>>,
}

/// The `[sms]` table as written in the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSms {
    /// "46elks", "webhook" or "log".
    pub kind: Spanned<String>,
    /// 46elks API user, or the webhook's HTTP Basic user.
    pub username: Option<Spanned<String>>,
    /// 46elks API password, or the webhook's HTTP Basic password, written inline.
    pub password: Option<Spanned<Secret>>,
    /// File holding that password.
    pub password_file: Option<Spanned<String>>,
    /// 46elks sender: a text sender ID or an E.164 number.
    pub from: Option<Spanned<String>>,
    /// Time limit for one request to the provider.
    pub timeout: Option<Spanned<ConfigDuration>>,
    /// 46elks endpoint (tests point it at a local server).
    pub api_url: Option<Spanned<String>>,
    /// Webhook endpoint.
    pub url: Option<Spanned<String>>,
    /// Extra webhook request headers (values are treated as secrets).
    pub headers: Option<Spanned<BTreeMap<String, Spanned<Secret>>>>,
    /// Webhook JSON body with `{to}` and `{message}` placeholders.
    pub body_template: Option<Spanned<String>>,
    /// Webhook bearer token written inline.
    pub bearer_token: Option<Spanned<Secret>>,
    /// File holding the webhook bearer token.
    pub bearer_token_file: Option<Spanned<String>>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connect, then STARTTLS, which is required (no fallback to plain text).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption; allowed only to a loopback host.
    None,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// Validated e-mail delivery settings.
#[derive(Debug, Clone)]
pub enum EmailSettings {
    /// Send through an SMTP server.
    Smtp(SmtpSettings),
    /// Print each message to standard output (demo, tests).
    Log,
}

/// Validated SMTP settings.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Server host name or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection protection.
    pub security: SmtpSecurity,
    /// SMTP AUTH user and password, when configured.
    pub credentials: Option<(String, Secret)>,
    /// Sender mailbox.
    pub from: Mailbox,
    /// Time limit for delivering one message.
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM), checked readable at load.
    pub ca_file: Option<PathBuf>,
}

/// Validated SMS delivery settings.
#[derive(Debug, Clone)]
pub enum SmsSettings {
    /// The 46elks HTTP API.
    Elks46(Elks46Settings),
    /// A JSON POST to any HTTP endpoint.
    Webhook(WebhookSettings),
    /// Print each message to standard output (demo, tests).
    Log,
}

/// Validated 46elks settings.
#[derive(Debug, Clone)]
pub struct Elks46Settings {
    /// Endpoint, default [`ELKS46_API_URL`].
    pub api_url: url::Url,
    /// API user.
    pub username: String,
    /// API password.
    pub password: Secret,
    /// Sender ID or E.164 number.
    pub from: String,
    /// Time limit for one request.
    pub timeout: Duration,
}

/// Validated webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Endpoint.
    pub url: url::Url,
    /// Extra request headers, names checked; values may be credentials and never print.
    pub headers: Vec<(String, Secret)>,
    /// JSON body with `{to}` and `{message}` placeholders.
    pub body_template: String,
    /// HTTP authentication, when configured.
    pub auth: Option<WebhookAuth>,
    /// Time limit for one request.
    pub timeout: Duration,
}

/// HTTP authentication for the webhook.
#[derive(Debug, Clone)]
pub enum WebhookAuth {
    /// `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// HTTP Basic.
    Basic {
        /// User.
        username: String,
        /// Password.
        password: Secret,
    },
}

const EMAIL_TIMEOUT: (Duration, Duration, Duration) =
    (Duration::from_secs(10), Duration::from_secs(1), Duration::from_secs(60));
const SMS_TIMEOUT: (Duration, Duration, Duration) =
    (Duration::from_secs(5), Duration::from_secs(1), Duration::from_secs(10));

/// Headers the webhook sender sets itself or that would break the request.
const RESERVED_HEADERS: &[&str] = &["host", "content-length", "transfer-encoding", "connection", "upgrade", "te"];

/// Validates the `[email]` table; relative paths are resolved against `base_dir` (the config file's directory).
pub fn validate_email(src: &SourceFile, f: &FileEmail, base_dir: &Path) -> Result<EmailSettings, Vec<ConfigError>> {
    let mut c = Checker::with_base(src, base_dir);
    let settings = match f.kind.get_ref().as_str() {
        "log" => Some(EmailSettings::Log),
        "smtp" => smtp(&mut c, f).map(EmailSettings::Smtp),
        other => {
            c.err(&f.kind, format!("unknown e-mail kind \"{other}\": use \"smtp\" or \"log\""));
            None
        }
    };
    c.result(settings, &f.kind)
}

/// Validates the `[sms]` table; relative paths are resolved against `base_dir` (the config file's directory).
pub fn validate_sms(src: &SourceFile, f: &FileSms, base_dir: &Path) -> Result<SmsSettings, Vec<ConfigError>> {
    let mut c = Checker::with_base(src, base_dir);
    let settings = match f.kind.get_ref().as_str() {
        "log" => Some(SmsSettings::Log),
        "46elks" => elks46(&mut c, f).map(SmsSettings::Elks46),
        "webhook" => webhook(&mut c, f).map(SmsSettings::Webhook),
        other => {
            c.err(&f.kind, format!("unknown SMS kind \"{other}\": use \"46elks\", \"webhook\" or \"log\""));
            None
        }
    };
    c.result(settings, &f.kind)
}

fn smtp(c: &mut Checker<'_>, f: &FileEmail) -> Option<SmtpSettings> {
    let security = match &f.security {
        None => Some(SmtpSecurity::StartTls),
        Some(s) => match s.get_ref().as_str() {
            "starttls" => Some(SmtpSecurity::StartTls),
            "tls" => Some(SmtpSecurity::Tls),
            "none" => Some(SmtpSecurity::None),
            other => {
                c.err(s, format!("unknown security \"{other}\": use \"starttls\", \"tls\" or \"none\""));
                None
            }
        },
    };
    let host = c.required(&f.host, "host", &f.kind).cloned();
    if let (Some(h), Some(host)) = (&f.host, &host) {
        if let Err(msg) = check_host(host) {
            c.err(h, msg);
        } else if security == Some(SmtpSecurity::None) && !is_loopback_host(host) {
            if let Some(s) = &f.security {
                c.err(
                    s,
                    format!(
                        "security = \"none\" would send codes and passwords unencrypted to {host}; it is only \
                         allowed for a loopback host (localhost, 127.0.0.1, ::1). Use \"starttls\" or \"tls\""
                    ),
                );
            }
        }
    }
    if let Some(p) = &f.port {
        if *p.get_ref() == 0 {
            c.err(p, "port 0 is not a port: use the SMTP server's port, e.g. 587");
        }
    }
    if let (Some(SmtpSecurity::None), Some(ca)) = (security, &f.ca_file) {
        c.err(ca, "`ca_file` has no use with security = \"none\"");
    }
    let ca_file = f.ca_file.as_ref().and_then(|ca| c.ca_file(ca));
    let password = c.secret(&f.password, &f.password_file, "password");
    let credentials = match (&f.username, password) {
        (Some(u), Some(Some(p))) => {
            if u.get_ref().is_empty() {
                c.err(u, "`username` is empty");
            }
            Some(Some((u.get_ref().clone(), p)))
        }
        (Some(u), Some(None)) => {
            c.err(u, "`username` needs `password` or `password_file`");
            None
        }
        (None, Some(Some(_))) => {
            let at = f.password_file.as_ref().map(Spanned::span).or(f.password.as_ref().map(Spanned::span));
            c.err_at(at, "a password needs `username`");
            None
        }
        (None, Some(None)) => Some(None),
        (_, None) => None,
    };
    let from = c.required(&f.from, "from", &f.kind).cloned();
    let from = match (&f.from, from) {
        (Some(at), Some(text)) => match text.parse::<Mailbox>() {
            Ok(m) => Some(m),
            Err(e) => {
                c.err(
                    at,
                    format!("`from` is not a mailbox ({e}): write it like \"Portvakt <noreply@kommune.example>\""),
                );
                None
            }
        },
        _ => None,
    };
    let timeout = c.timeout(&f.timeout, EMAIL_TIMEOUT, "a login waits while the code is sent");
    let security = security?;
    Some(SmtpSettings {
        host: host?,
        port: f.port.as_ref().map(|p| *p.get_ref()).unwrap_or(security.default_port()),
        security,
        credentials: credentials?,
        from: from?,
        timeout,
        ca_file,
    })
}

fn elks46(c: &mut Checker<'_>, f: &FileSms) -> Option<Elks46Settings> {
    c.unused(&f.url, "url", "webhook");
    c.unused(&f.headers, "headers", "webhook");
    c.unused(&f.body_template, "body_template", "webhook");
    c.unused(&f.bearer_token, "bearer_token", "webhook");
    c.unused(&f.bearer_token_file, "bearer_token_file", "webhook");
    let api_url = match &f.api_url {
        None => url::Url::parse(ELKS46_API_URL).ok(),
        Some(u) => http_url(c, u, "api_url"),
    };
    let username = c.required(&f.username, "username", &f.kind).cloned();
    if let Some(u) = &f.username {
        if u.get_ref().is_empty() {
            c.err(u, "`username` is empty: use the API username from the 46elks dashboard");
        }
    }
    let password = match c.secret(&f.password, &f.password_file, "password") {
        Some(Some(p)) => Some(p),
        Some(None) => {
            c.err(&f.kind, "kind = \"46elks\" needs `password` or `password_file` (the API password)");
            None
        }
        None => None,
    };
    let from = c.required(&f.from, "from", &f.kind).cloned();
    if let (Some(at), Some(text)) = (&f.from, &from) {
        if let Err(msg) = check_sender_id(text) {
            c.err(at, msg);
        }
    }
    let timeout = c.timeout(&f.timeout, SMS_TIMEOUT, "a login waits while the code is sent");
    Some(Elks46Settings { api_url: api_url?, username: username?, password: password?, from: from?, timeout })
}

fn webhook(c: &mut Checker<'_>, f: &FileSms) -> Option<WebhookSettings> {
    c.unused(&f.from, "from", "46elks");
    c.unused(&f.api_url, "api_url", "46elks");
    let url = match &f.url {
        Some(u) => http_url(c, u, "url"),
        None => {
            c.err(&f.kind, "kind = \"webhook\" needs `url`");
            None
        }
    };
    let body_template = c.required(&f.body_template, "body_template", &f.kind).cloned();
    if let (Some(at), Some(t)) = (&f.body_template, &body_template) {
        if let Err(msg) = check_template(t) {
            c.err(at, msg);
        }
    }
    let bearer = c.secret(&f.bearer_token, &f.bearer_token_file, "bearer_token");
    let password = c.secret(&f.password, &f.password_file, "password");
    let auth = match (bearer, &f.username, password) {
        (Some(Some(_)), Some(u), _) => {
            c.err(u, "give either `bearer_token` or `username` + `password`, not both");
            None
        }
        (Some(Some(t)), None, Some(None)) => Some(Some(WebhookAuth::Bearer(t))),
        (Some(None), Some(u), Some(Some(p))) => {
            Some(Some(WebhookAuth::Basic { username: u.get_ref().clone(), password: p }))
        }
        (Some(None), Some(u), Some(None)) => {
            c.err(u, "`username` needs `password` or `password_file`");
            None
        }
        (_, None, Some(Some(_))) => {
            let at = f.password_file.as_ref().map(Spanned::span).or(f.password.as_ref().map(Spanned::span));
            c.err_at(at, "a password needs `username`");
            None
        }
        (Some(None), None, Some(None)) => Some(None),
        _ => None,
    };
    let mut headers = Vec::new();
    if let Some(h) = &f.headers {
        for (name, value) in h.get_ref() {
            let lower = name.to_ascii_lowercase();
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                c.err(h, format!("\"{name}\" is not a valid HTTP header name"));
            } else if RESERVED_HEADERS.contains(&lower.as_str()) {
                c.err(h, format!("header \"{name}\" is set by Portvakt itself; remove it"));
            } else if lower == "authorization" && matches!(auth, Some(Some(_))) {
                c.err(h, "an Authorization header and `bearer_token`/`username` both set it; keep one");
            } else if http::HeaderValue::from_str(value.get_ref().expose()).is_err() {
                c.err(value, format!("the value of header \"{name}\" has characters HTTP does not allow"));
            } else {
                headers.push((name.clone(), value.get_ref().clone()));
            }
        }
    }
    let timeout = c.timeout(&f.timeout, SMS_TIMEOUT, "a login waits while the code is sent");
    Some(WebhookSettings { url: url?, headers, body_template: body_template?, auth: auth?, timeout })
}

/// An http(s) URL; plain http only to a loopback host, since requests carry codes and credentials.
fn http_url(c: &mut Checker<'_>, u: &Spanned<String>, key: &str) -> Option<url::Url> {
    let parsed = match url::Url::parse(u.get_ref()) {
        Ok(p) => p,
        Err(e) => {
            c.err(u, format!("`{key}` is not a URL ({e}): write it like \"https://sms.example/send\""));
            return None;
        }
    };
    let loopback = is_loopback_url(&parsed);
    match parsed.scheme() {
        "https" => Some(parsed),
        "http" if loopback => Some(parsed),
        "http" => {
            c.err(u, format!("`{key}` must use https: codes and credentials are not sent unencrypted"));
            None
        }
        other => {
            c.err(u, format!("`{key}` has scheme \"{other}\": use https"));
            None
        }
    }
}

/// A host name or IP address, without scheme or port.
fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("`host` is empty".into());
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    if host.contains("://") || host.contains(':') || host.contains('/') {
        return Err(format!("`host` = \"{host}\" must be a bare host name or IP address; put the port in `port`"));
    }
    match url::Host::parse(host) {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("`host` = \"{host}\" is not a valid host name ({e})")),
    }
}

/// A 46elks sender: an E.164 number, or a text sender ID of 1-11 ASCII letters and digits with at least one letter.
fn check_sender_id(s: &str) -> Result<(), String> {
    if s.starts_with('+') {
        if super::is_e164(s) {
            return Ok(());
        }
        return Err(format!("`from` = \"{s}\" is not an E.164 number: write it like \"+46701234567\""));
    }
    let len = s.chars().count();
    if (1..=11).contains(&len)
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_alphabetic())
    {
        return Ok(());
    }
    Err(format!(
        "`from` = \"{s}\" is not a valid sender: use 1 to 11 letters A-Z/a-z and digits with at least one letter \
         (no spaces or å ä ö), or an E.164 number like \"+46701234567\""
    ))
}

/// A webhook body template must name both placeholders and be JSON once they are filled in.
fn check_template(t: &str) -> Result<(), String> {
    for p in ["{to}", "{message}"] {
        if !t.contains(p) {
            return Err(format!("`body_template` has no {p} placeholder"));
        }
    }
    let sample = super::sms::render_body(t, "+46701234567", "Din kod: \"ABC-123\"\nÅÄÖ");
    serde_json::from_str::<serde_json::Value>(&sample).map(|_| ()).map_err(|e| {
        format!(
            "`body_template` is not JSON once filled in ({e}); put the placeholders inside quotes, \
             like '{{\"to\": \"{{to}}\", \"text\": \"{{message}}\"}}'"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        email: Option<FileEmail>,
        sms: Option<FileSms>,
    }

    fn src(text: &str) -> SourceFile {
        SourceFile { path: "t.toml".into(), text: text.into() }
    }

    fn email(text: &str) -> Result<EmailSettings, Vec<String>> {
        email_in(text, Path::new("/nonexistent"))
    }

    fn email_in(text: &str, dir: &Path) -> Result<EmailSettings, Vec<String>> {
        let s = src(text);
        let doc: Doc = s.parse().map_err(|e| vec![e.to_string()])?;
        let f = doc.email.ok_or_else(|| vec!["no [email]".to_string()])?;
        validate_email(&s, &f, dir).map_err(|es| es.iter().map(ToString::to_string).collect())
    }

    fn sms(text: &str) -> Result<SmsSettings, Vec<String>> {
        sms_in(text, Path::new("/nonexistent"))
    }

    fn sms_in(text: &str, dir: &Path) -> Result<SmsSettings, Vec<String>> {
        let s = src(text);
        let doc: Doc = s.parse().map_err(|e| vec![e.to_string()])?;
        let f = doc.sms.ok_or_else(|| vec!["no [sms]".to_string()])?;
        validate_sms(&s, &f, dir).map_err(|es| es.iter().map(ToString::to_string).collect())
    }

    const SMTP: &str =
        "[email]\nkind = \"smtp\"\nhost = \"smtp.kommune.example\"\nfrom = \"Portvakt <noreply@kommune.example>\"\n";
    const ELKS: &str = "[sms]\nkind = \"46elks\"\nusername = \"u1\"\npassword = \"p1\"\nfrom = \"Kommunen\"\n";

    fn one_error(r: Result<impl fmt::Debug, Vec<String>>) -> String {
        let errs = r.unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        errs.into_iter().next().unwrap()
    }

    /// A minimal SMTP table gets STARTTLS on port 587, no credentials and a 10s timeout.
    #[test]
    fn smtp_defaults() {
        let EmailSettings::Smtp(s) = email(SMTP).unwrap() else { panic!("not smtp") };
        assert_eq!(s.security, SmtpSecurity::StartTls);
        assert_eq!(s.port, 587);
        assert!(s.credentials.is_none());
        assert_eq!(s.timeout, Duration::from_secs(10));
        assert_eq!(s.from.email.to_string(), "noreply@kommune.example");
        let EmailSettings::Smtp(s) = email(&format!("{SMTP}security = \"tls\"\n")).unwrap() else { panic!() };
        assert_eq!(s.port, 465);
    }

    /// An unknown key in [email] is reported at its line and column.
    #[test]
    fn unknown_key_is_positioned() {
        let e = one_error(email(&format!("{SMTP}hots = \"x\"\n")));
        assert!(e.starts_with("t.toml:5:1: unknown field `hots`"), "{e}");
        let e = one_error(sms(&format!("{ELKS}sender = \"x\"\n")));
        assert!(e.starts_with("t.toml:6:1: unknown field `sender`"), "{e}");
    }

    /// security = "none" is refused for a remote host, at the `security` value, and allowed for loopback.
    #[test]
    fn plaintext_only_to_loopback() {
        let e = one_error(email(&format!("{SMTP}security = \"none\"\n")));
        assert!(e.starts_with("t.toml:5:12: security = \"none\" would send codes"), "{e}");
        let text = "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nsecurity = \"none\"\nfrom = \"a@b.example\"\n";
        let EmailSettings::Smtp(s) = email(text).unwrap() else { panic!() };
        assert_eq!((s.security, s.port), (SmtpSecurity::None, 25));
        assert!(email(&text.replace("127.0.0.1", "localhost")).is_ok());
        assert!(email(&text.replace("127.0.0.1", "::1")).is_ok());
        assert!(email(&text.replace("127.0.0.1", "10.0.0.1")).is_err());
    }

    /// Timeouts outside their range are reported at the value: SMS 1s..=10s, e-mail 1s..=60s.
    #[test]
    fn timeout_out_of_range() {
        let e = one_error(sms(&format!("{ELKS}timeout = \"30s\"\n")));
        assert!(e.starts_with("t.toml:6:11: timeout must be between 1s and 10s"), "{e}");
        let e = one_error(sms(&format!("{ELKS}timeout = \"500ms\"\n")));
        assert!(e.starts_with("t.toml:6:11: timeout must be between 1s and 10s"), "{e}");
        let SmsSettings::Elks46(s) = sms(&format!("{ELKS}timeout = \"10s\"\n")).unwrap() else { panic!() };
        assert_eq!(s.timeout, Duration::from_secs(10));
        let e = one_error(email(&format!("{SMTP}timeout = \"2m\"\n")));
        assert!(e.starts_with("t.toml:5:11: timeout must be between 1s and 1m"), "{e}");
    }

    /// A password file that cannot be read is reported at `password_file`; a readable one is trimmed of its newline.
    #[test]
    fn password_file_read_or_reported() {
        let e = one_error(email(&format!("{SMTP}username = \"pv\"\npassword_file = \"missing-password\"\n")));
        assert!(e.starts_with("t.toml:6:17: cannot read /nonexistent/missing-password:"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "hemligt lösen\n").unwrap();
        let EmailSettings::Smtp(s) =
            email_in(&format!("{SMTP}username = \"pv\"\npassword_file = \"pw\"\n"), dir.path()).unwrap()
        else {
            panic!()
        };
        let (user, pw) = s.credentials.unwrap();
        assert_eq!((user.as_str(), pw.expose()), ("pv", "hemligt lösen"));
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let e = one_error(sms_in(&ELKS.replace("password = \"p1\"", "password_file = \"empty\""), dir.path()));
        assert!(e.starts_with("t.toml:4:17: ") && e.ends_with("is empty"), "{e}");
    }

    /// Username without password, and password plus password_file, are refused.
    #[test]
    fn credentials_must_pair() {
        let e = one_error(email(&format!("{SMTP}username = \"pv\"\n")));
        assert!(e.starts_with("t.toml:5:12: `username` needs `password`"), "{e}");
        let e = one_error(email(&format!("{SMTP}password = \"x\"\n")));
        assert!(e.starts_with("t.toml:5:12: a password needs `username`"), "{e}");
        let e = one_error(sms(&format!("{ELKS}password_file = \"pw\"\n")));
        assert!(e.starts_with("t.toml:6:17: give either `password` or `password_file`"), "{e}");
    }

    /// Sender IDs longer than 11 characters, with spaces or Nordic letters, or malformed numbers are refused.
    #[test]
    fn bad_sender_id() {
        for bad in ["Kommunen Syd", "Sundsvallskommun", "Västerås", "+46 70 123", "12345", ""] {
            let e = one_error(sms(&ELKS.replace("\"Kommunen\"", &format!("\"{bad}\""))));
            assert!(e.starts_with("t.toml:5:8: `from` = "), "{bad}: {e}");
        }
        for good in ["Kommunen", "Kommun1", "ABCDEFGHIJK", "+46701234567"] {
            assert!(sms(&ELKS.replace("\"Kommunen\"", &format!("\"{good}\""))).is_ok(), "{good}");
        }
    }

    /// 46elks defaults to the public API; api_url may point at loopback over http but not elsewhere.
    #[test]
    fn elks_api_url() {
        let SmsSettings::Elks46(s) = sms(ELKS).unwrap() else { panic!() };
        assert_eq!(s.api_url.as_str(), ELKS46_API_URL);
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert!(sms(&format!("{ELKS}api_url = \"http://127.0.0.1:9/a1/sms\"\n")).is_ok());
        let e = one_error(sms(&format!("{ELKS}api_url = \"http://sms.example/a1/sms\"\n")));
        assert!(e.starts_with("t.toml:6:11: `api_url` must use https"), "{e}");
    }

    /// Missing required keys are reported at `kind`, and keys of another kind at themselves.
    #[test]
    fn missing_and_foreign_keys() {
        let errs = sms("[sms]\nkind = \"46elks\"\nurl = \"https://x.example\"\n").unwrap_err();
        assert!(errs.iter().any(|e| e.starts_with("t.toml:3:7: `url` is only used with kind = \"webhook\"")));
        assert!(errs.iter().any(|e| e.starts_with("t.toml:2:8: kind = \"46elks\" needs `username`")));
        assert!(errs.iter().any(|e| e.starts_with("t.toml:2:8: kind = \"46elks\" needs `from`")));
        let e = one_error(email("[email]\nkind = \"smpt\"\n"));
        assert!(e.starts_with("t.toml:2:8: unknown e-mail kind \"smpt\""), "{e}");
    }

    /// Log ignores every other key, so switching kind is a one-line change.
    #[test]
    fn log_kind_ignores_other_keys() {
        assert!(matches!(email(&SMTP.replace("\"smtp\"", "\"log\"")), Ok(EmailSettings::Log)));
        assert!(matches!(sms(&ELKS.replace("\"46elks\"", "\"log\"")), Ok(SmsSettings::Log)));
    }

    /// A webhook table with headers, template and bearer token validates; its Debug shows no secret.
    #[test]
    fn webhook_settings_and_debug_hides_secrets() {
        let text = "[sms]\nkind = \"webhook\"\nurl = \"https://sms-gw.example/send\"\n\
                    headers = { \"X-Api-Key\" = \"nyckel-123\" }\n\
                    body_template = '{\"to\": \"{to}\", \"text\": \"{message}\"}'\nbearer_token = \"tok-456\"\n";
        let s = sms(text).unwrap();
        let SmsSettings::Webhook(w) = &s else { panic!() };
        assert_eq!(w.headers.len(), 1);
        assert!(matches!(w.auth, Some(WebhookAuth::Bearer(_))));
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("nyckel-123") && !dbg.contains("tok-456"), "{dbg}");
        let e = one_error(sms(&text.replace("{message}", "{msg}")));
        assert!(e.starts_with("t.toml:5:17: `body_template` has no {message} placeholder"), "{e}");
        let e = one_error(sms(&text.replace("\"{to}\"", "{to}")));
        assert!(e.starts_with("t.toml:5:17: `body_template` is not JSON once filled in"), "{e}");
        let e = one_error(sms(&text.replace("X-Api-Key", "Content-Length")));
        assert!(e.starts_with("t.toml:4:11: header \"Content-Length\" is set by Portvakt"), "{e}");
    }

    /// Debug of SMTP and 46elks settings and of the file tables never shows a password.
    #[test]
    fn debug_hides_passwords() {
        let s = email(&format!("{SMTP}username = \"pv\"\npassword = \"smtp-hemlis\"\n")).unwrap();
        assert!(!format!("{s:?}").contains("smtp-hemlis"));
        let s = sms(ELKS).unwrap();
        assert!(!format!("{s:?}").contains("\"p1\""), "{s:?}");
        let doc: Doc = src(ELKS).parse().unwrap();
        assert!(!format!("{:?}", doc.sms).contains("\"p1\""));
    }

    /// A CA file that holds no certificate is refused.
    #[test]
    fn ca_file_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), "not a cert\n").unwrap();
        let e = one_error(email_in(&format!("{SMTP}ca_file = \"ca.pem\"\n"), dir.path()));
        assert!(e.starts_with("t.toml:5:11: ") && e.ends_with("holds no PEM certificate"), "{e}");
    }
}
