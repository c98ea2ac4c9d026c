//! E-mail delivery: [`SmtpSender`] speaks SMTP with `lettre` over rustls; [`LogEmailSender`] prints instead.

use super::config::{SmtpSecurity, SmtpSettings};
use super::{mask_email, EmailMessage, EmailSender, NotifyError};
use lettre::message::header::{ContentType, HeaderName, HeaderValue, MIME_VERSION_1_0};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::fmt;
use std::io::Write;
use std::time::Duration;

/// Sends through one SMTP server; a new connection per message (codes are rare, connections are not kept).
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
    security: SmtpSecurity,
    timeout: Duration,
}

impl fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSender")
            .field("server", &self.server)
            .field("security", &self.security)
            .field("from", &self.from.email.to_string())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// Prepares the transport (TLS parameters, credentials, timeouts); connects only when sending.
    pub fn new(s: &SmtpSettings) -> Result<SmtpSender, NotifyError> {
        let server =
            if s.host.contains(':') { format!("[{}]:{}", s.host, s.port) } else { format!("{}:{}", s.host, s.port) };
        let tls = match s.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(s, &server)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(s, &server)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str())
            .port(s.port)
            .tls(tls)
            .timeout(Some(s.timeout));
        if let Some((user, password)) = &s.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_string()));
        }
        Ok(SmtpSender {
            transport: builder.build(),
            from: s.from.clone(),
            server,
            security: s.security,
            timeout: s.timeout,
        })
    }

    fn classify(&self, e: &lettre::transport::smtp::Error) -> NotifyError {
        let server = &self.server;
        if e.is_timeout() {
            NotifyError::Timeout
        } else if e.status().is_some_and(|c| c.to_string().starts_with("53")) {
            // 530 authentication required, 534/535 mechanism or credentials refused.
            NotifyError::Rejected(format!(
                "SMTP server {server} refused the login ({e}): check `username` and `password` in [email]"
            ))
        } else if e.is_permanent() {
            NotifyError::Rejected(format!("SMTP server {server} refused the message: {e}"))
        } else if e.is_transient() {
            NotifyError::Unavailable(format!("SMTP server {server} answered with a temporary failure: {e}"))
        } else if e.is_tls() || is_certificate_error(e) {
            NotifyError::Unavailable(format!(
                "TLS with SMTP server {server} failed ({e}): check `security` and `port`, and that the server's \
                 certificate is valid for its host name (an internal CA goes in `ca_file`)"
            ))
        } else if e.is_client() && self.security == SmtpSecurity::StartTls {
            NotifyError::Unavailable(format!(
                "SMTP server {server}: {e}. Portvakt never falls back to plain text; if the server speaks TLS from \
                 the first byte (usually port 465), set security = \"tls\""
            ))
        } else {
            NotifyError::Unavailable(format!("cannot deliver through SMTP server {server}: {e}"))
        }
    }
}

/// Whether a rustls failure (e.g. an untrusted certificate) is somewhere in the error's causes; lettre reports
/// those as connection errors.
fn is_certificate_error(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if inner.is::<rustls::Error>() {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// TLS parameters for the configured host, trusting the public roots plus any `ca_file` certificates.
fn tls_parameters(s: &SmtpSettings, server: &str) -> Result<TlsParameters, NotifyError> {
    let mut b = TlsParameters::builder(s.host.clone());
    if let Some(path) = &s.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| NotifyError::Unavailable(format!("cannot read ca_file {}: {e}", path.display())))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| NotifyError::Unavailable(format!("ca_file {} is not PEM: {e}", path.display())))?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(|e| NotifyError::Unavailable(format!("cannot set up TLS for SMTP server {server}: {e}")))
}

#[async_trait::async_trait]
impl EmailSender for SmtpSender {
    async fn send(&self, to: &str, msg: &EmailMessage) -> Result<(), NotifyError> {
        let to_mailbox: Mailbox =
            to.parse().map_err(|e| NotifyError::Rejected(format!("\"{to}\" is not an e-mail address ({e})")))?;
        let domain = self.from.email.domain();
        // The SMTP end-of-data marker adds a line break of its own; without this a body ending in one would arrive
        // with an extra empty line.
        let body = msg.body.trim_end_matches(['\r', '\n']).to_string();
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to_mailbox)
            .subject(msg.subject.as_str())
            .message_id(Some(format!("<{:032x}@{domain}>", rand::random::<u128>())))
            .header(MIME_VERSION_1_0)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| NotifyError::Rejected(format!("cannot build the e-mail: {e}")))?;
        // RFC 3834: no vacation auto-replies to a no-reply sender.
        message
            .headers_mut()
            .insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str("Auto-Submitted"), "auto-generated".into()));
        // lettre applies the timeout to each network step; this bounds the whole delivery as documented.
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_elapsed) => {
                tracing::warn!(server = %self.server, to = %mask_email(to), "e-mail not sent: SMTP server timed out");
                Err(NotifyError::Timeout)
            }
            Ok(Err(e)) => {
                let err = self.classify(&e);
                tracing::warn!(server = %self.server, to = %mask_email(to), error = %err, "e-mail not sent");
                Err(err)
            }
            Ok(Ok(_response)) => {
                tracing::info!(server = %self.server, to = %mask_email(to), "e-mail handed to SMTP server");
                Ok(())
            }
        }
    }
}

/// Prints each e-mail to standard output instead of sending it (demo and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogEmailSender;

/// The text [`LogEmailSender`] prints for one message: a header line, then the body.
pub fn email_log_line(to: &str, msg: &EmailMessage) -> String {
    format!("[portvakt] e-mail to {to}: {}\n{}", msg.subject, msg.body)
}

#[async_trait::async_trait]
impl EmailSender for LogEmailSender {
    async fn send(&self, to: &str, msg: &EmailMessage) -> Result<(), NotifyError> {
        if to.parse::<Mailbox>().is_err() {
            return Err(NotifyError::Rejected(format!("\"{to}\" is not an e-mail address")));
        }
        let mut out = std::io::stdout().lock();
        // A closed stdout must not fail a login in the demo; the line is for a person watching the terminal.
        let _ = writeln!(out, "{}", email_log_line(to, msg));
        let _ = out.flush();
        tracing::info!(to = %mask_email(to), "e-mail printed to standard output (log provider)");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log line names the recipient and subject, then the body, with Nordic letters as they are.
    #[test]
    fn log_line_format() {
        let msg = EmailMessage { subject: "Din kod".into(), body: "Koden är ACD-479.\nHälsningar, Kommunen".into() };
        assert_eq!(
            email_log_line("anna@kommune.example", &msg),
            "[portvakt] e-mail to anna@kommune.example: Din kod\nKoden är ACD-479.\nHälsningar, Kommunen"
        );
    }

    /// The log sender refuses what is not an address, like a real server would.
    #[tokio::test]
    async fn log_sender_checks_address() {
        let msg = EmailMessage { subject: "s".into(), body: "b".into() };
        assert!(LogEmailSender.send("anna@kommune.example", &msg).await.is_ok());
        assert!(matches!(LogEmailSender.send("not an address", &msg).await, Err(NotifyError::Rejected(_))));
    }
}
