//! Notification delivery: one-time codes and link codes go out by e-mail (SMTP) or SMS (46elks or a webhook).
//!
//! The rest of the gateway sees two traits, [`EmailSender`] and [`SmsSender`], built once at start from validated
//! settings by [`build_email`] and [`build_sms`]. Each has a `log` implementation that prints the message to
//! standard output instead of sending it (the demo shows codes in the terminal that way).
//!
//! - [`config`]: the `[email]` and `[sms]` TOML tables, their validation into [`EmailSettings`]/[`SmsSettings`],
//!   and [`Secret`].
//! - [`email`]: SMTP over STARTTLS, implicit TLS or (loopback only) plain text, with `lettre` and rustls.
//! - [`sms`]: the 46elks API, a generic JSON webhook, and the log provider.
//!
//! Codes never reach the logs: senders log at `info` that a message went out, to a masked recipient, without its
//! text. Only the `log` providers print the text, and only to standard output.
//!
//! # Config
//! ```toml
//! [email]
//! kind = "smtp"            # "smtp" | "log"
//! host = "smtp.kommune.example"
//! port = 587               # default: 587 for starttls, 465 for tls, 25 for none
//! security = "starttls"    # "starttls" (default) | "tls" (implicit TLS) | "none" (loopback hosts only)
//! username = "portvakt"    # optional; then password or password_file is required too
//! password_file = "/etc/portvakt/smtp-password"   # read at load; or password = "..."
//! from = "Portvakt <noreply@kommune.example>"
//! timeout = "10s"          # whole delivery of one message; 1s..=60s, default 10s
//! # ca_file = "/etc/portvakt/internal-ca.pem"     # extra trusted roots for the server's certificate
//!
//! [sms]
//! kind = "46elks"          # "46elks" | "webhook" | "log"
//! username = "u1234..."
//! password_file = "/etc/portvakt/46elks-password" # or password = "..."
//! from = "Kommunen"        # 1-11 letters and digits (at least one letter), or an E.164 number
//! timeout = "4s"           # 1s..=10s, default 5s
//! # api_url = "https://api.46elks.com/a1/sms"     # the default; http:// only for loopback hosts
//!
//! # kind = "webhook"
//! # url = "https://sms-gw.example/send"          # http:// only for loopback hosts
//! # headers = { "X-Api-Key" = "..." }
//! # body_template = '{"to": "{to}", "text": "{message}"}'  # {to} and {message} are JSON-string-escaped
//! # bearer_token_file = "/etc/portvakt/sms-token"           # or bearer_token, or username + password[_file]
//! ```
//! Relative file paths are relative to the config file's directory. With `kind = "log"` every other key is
//! ignored, so switching a deployment to the log provider for a test is a one-line change.

pub mod config;
pub mod email;
pub mod sms;

pub use config::{
    validate_email, validate_sms, Elks46Settings, EmailSettings, FileEmail, FileSms, Secret, SmsSettings, SmtpSecurity,
    SmtpSettings, WebhookAuth, WebhookSettings,
};

use std::sync::Arc;

/// An e-mail ready to send (already localized by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// Subject line (any Unicode; encoded for the wire by the sender).
    pub subject: String,
    /// Plain-text UTF-8 body.
    pub body: String,
}

/// Sends e-mail to one recipient.
#[async_trait::async_trait]
pub trait EmailSender: Send + Sync + std::fmt::Debug {
    /// Delivers `msg` to the address `to` (e.g. "anna@kommune.example"), within the configured timeout.
    async fn send(&self, to: &str, msg: &EmailMessage) -> Result<(), NotifyError>;
}

/// Sends SMS to one phone.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    /// `to` is E.164 ("+46701234567"). Must never send twice for one call (no internal retries after the request
    /// was sent).
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError>;
}

/// Why a message could not be handed over for delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The mail server or SMS provider did not answer within the configured timeout.
    #[error(
        "the mail server or SMS provider did not answer in time: check that it is reachable from this host, \
         or raise `timeout` in [email] or [sms]"
    )]
    Timeout,
    /// The server or provider answered and refused: bad recipient, bad credentials, a 4xx answer.
    #[error("refused: {0}")]
    Rejected(String),
    /// The server or provider could not be reached or failed: connection refused, TLS failure, a 5xx answer.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// Builds the e-mail sender for validated settings; called once at start.
pub fn build_email(s: &EmailSettings) -> Result<Arc<dyn EmailSender>, NotifyError> {
    Ok(match s {
        EmailSettings::Smtp(smtp) => Arc::new(email::SmtpSender::new(smtp)?),
        EmailSettings::Log => Arc::new(email::LogEmailSender),
    })
}

/// Builds the SMS sender for validated settings; called once at start (HTTP clients are made here, not per send).
pub fn build_sms(s: &SmsSettings) -> Result<Arc<dyn SmsSender>, NotifyError> {
    Ok(match s {
        SmsSettings::Elks46(e) => Arc::new(sms::Elks46Sender::new(e)?),
        SmsSettings::Webhook(w) => Arc::new(sms::WebhookSender::new(w)?),
        SmsSettings::Log => Arc::new(sms::LogSmsSender),
    })
}

/// Whether `s` is an E.164 phone number: '+', a non-zero digit, then 6 to 14 more digits, nothing else.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else { return false };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// A phone number shortened for logs: "+46701234567" becomes "+467…67".
pub(crate) fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return "…".to_string();
    }
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars.iter().skip(chars.len() - 2).collect();
    format!("{head}…{tail}")
}

/// An e-mail address shortened for logs: "anna@kommune.example" becomes "a…@kommune.example".
pub(crate) fn mask_email(s: &str) -> String {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E.164 numbers are accepted; national formats, spaces and letters are not.
    #[test]
    fn e164_checks() {
        assert!(is_e164("+46701234567"));
        assert!(is_e164("+4790012345"));
        assert!(!is_e164("0701234567"));
        assert!(!is_e164("+46 70 123 45 67"));
        assert!(!is_e164("+0701234567"));
        assert!(!is_e164("+12345"));
        assert!(!is_e164("+1234567890123456"));
        assert!(!is_e164("+4670123456a"));
    }

    /// Log masks keep enough to tell recipients apart but not the whole number or address.
    #[test]
    fn masks_hide_most_of_the_recipient() {
        assert_eq!(mask_phone("+46701234567"), "+467…67");
        assert_eq!(mask_phone("+4670"), "…");
        assert_eq!(mask_email("anna@kommune.example"), "a…@kommune.example");
        assert_eq!(mask_email("nonsense"), "…");
    }

    /// Error texts say what happened and what to do.
    #[test]
    fn error_texts_are_actionable() {
        assert!(NotifyError::Timeout.to_string().contains("raise `timeout`"));
        assert_eq!(NotifyError::Rejected("bad number".into()).to_string(), "refused: bad number");
        assert_eq!(NotifyError::Unavailable("down".into()).to_string(), "unavailable: down");
    }
}
