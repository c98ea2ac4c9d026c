//! Notification delivery against real peers on loopback: aiosmtpd for e-mail (run `scripts/install-test-deps`
//! first) and a local HTTP server speaking 46elks' API for SMS. Settings are built from TOML through the same
//! validators the config loader uses.

use crate::common::sms_provider::{Elks46Server, ExpectAuth};
use crate::common::smtp::{SmtpOptions, SmtpServer, SmtpTls};
use portvakt::config::error::SourceFile;
use portvakt::notify::{
    build_email, build_sms, validate_email, validate_sms, EmailMessage, EmailSender, EmailSettings, FileEmail, FileSms,
    NotifyError, SmsSender, SmsSettings,
};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(serde::Deserialize)]
struct Doc {
    email: Option<FileEmail>,
    sms: Option<FileSms>,
}

fn email_settings(toml: &str) -> EmailSettings {
    let src = SourceFile { path: "test.toml".into(), text: format!("[email]\n{toml}") };
    let doc: Doc = src.parse().unwrap_or_else(|e| panic!("{e}"));
    validate_email(&src, &doc.email.unwrap(), Path::new("/")).unwrap_or_else(|e| panic!("{e:?}"))
}

fn sms_settings(toml: &str) -> SmsSettings {
    let src = SourceFile { path: "test.toml".into(), text: format!("[sms]\n{toml}") };
    let doc: Doc = src.parse().unwrap_or_else(|e| panic!("{e}"));
    validate_sms(&src, &doc.sms.unwrap(), Path::new("/")).unwrap_or_else(|e| panic!("{e:?}"))
}

fn smtp_sender(toml: &str) -> Arc<dyn EmailSender> {
    build_email(&email_settings(toml)).unwrap()
}

fn elks_sender(url: &str, username: &str, password: &str, timeout: &str) -> Arc<dyn SmsSender> {
    build_sms(&sms_settings(&format!(
        "kind = \"46elks\"\napi_url = \"{url}\"\nusername = \"{username}\"\npassword = \"{password}\"\n\
         from = \"Kommunen\"\ntimeout = \"{timeout}\"\n"
    )))
    .unwrap()
}

fn nordic_message() -> EmailMessage {
    EmailMessage {
        subject: "Din engångskod – åäö ÆØ".into(),
        body: "Hej Åsa!\n\nDin kod är ACD-479. Den gäller i fem minuter.\nHilsen Bjørn Ærø, kommunen\n".into(),
    }
}

/// SMTP with security = "none" on loopback delivers a UTF-8 subject and body intact, with the right From and To.
#[tokio::test]
async fn smtp_plain_loopback_delivers_utf8() {
    let server = SmtpServer::start();
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n",
        server.port
    ));
    let msg = nordic_message();
    sender.send("anna@kommune.example", &msg).await.unwrap();
    let mails = server.wait_for(1, Duration::from_secs(5));
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert_eq!(m.from, "noreply@kommune.example");
    assert_eq!(m.to, "anna@kommune.example");
    assert_eq!(m.envelope_from, "noreply@kommune.example");
    assert_eq!(m.envelope_to, vec!["anna@kommune.example".to_string()]);
    assert_eq!(m.subject, msg.subject);
    assert_eq!(m.body, msg.body);
    assert!(m.raw.is_ascii(), "non-ASCII text must be transfer-encoded on the wire");
    assert!(m.raw.contains("@kommune.example>\r\n"), "Message-ID in the sender's domain:\n{}", m.raw);
    assert!(m.raw.contains("Auto-Submitted: auto-generated\r\n"), "{}", m.raw);
}

/// A port where nothing listens gives Unavailable at once, not after the timeout.
#[tokio::test]
async fn smtp_nothing_listening_is_unavailable_quickly() {
    let port = crate::common::free_port();
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"noreply@kommune.example\"\ntimeout = \"10s\"\n"
    ));
    let started = Instant::now();
    let err = sender.send("anna@kommune.example", &nordic_message()).await.unwrap_err();
    assert!(matches!(err, NotifyError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

/// A server that accepts the connection and never greets gives Timeout within the configured timeout.
#[tokio::test]
async fn smtp_silent_server_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"noreply@kommune.example\"\ntimeout = \"1s\"\n"
    ));
    let started = Instant::now();
    let err = sender.send("anna@kommune.example", &nordic_message()).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err, NotifyError::Timeout);
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(2500), "took {took:?}");
    silent.abort();
}

/// security = "starttls" against a server that does not offer STARTTLS fails and sends nothing in plain text.
#[tokio::test]
async fn smtp_starttls_not_offered_fails_without_downgrade() {
    let server = SmtpServer::start();
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"starttls\"\nfrom = \"noreply@kommune.example\"\ntimeout = \"5s\"\n",
        server.port
    ));
    let err = sender.send("anna@kommune.example", &nordic_message()).await.unwrap_err();
    assert!(matches!(&err, NotifyError::Unavailable(m) if m.contains("STARTTLS")), "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(server.messages().is_empty());
}

/// STARTTLS with a trusted certificate (ca_file) and SMTP AUTH delivers, authenticated as the configured user.
#[tokio::test]
async fn smtp_starttls_with_auth_delivers() {
    let server = SmtpServer::start_with(SmtpOptions {
        tls: SmtpTls::StartTls,
        auth: Some(("portvakt".into(), "hemligt lösen".into())),
    });
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"starttls\"\nusername = \"portvakt\"\n\
         password = \"hemligt lösen\"\nfrom = \"Portvakt <noreply@kommune.example>\"\nca_file = \"{}\"\ntimeout = \"5s\"\n",
        server.port,
        server.cert_path().display()
    ));
    sender.send("bjorn@kommune.example", &nordic_message()).await.unwrap();
    let m = &server.wait_for(1, Duration::from_secs(5))[0];
    assert_eq!(m.auth_user.as_deref(), Some("portvakt"));
    assert_eq!(m.to, "bjorn@kommune.example");
    assert_eq!(m.body, nordic_message().body);
}

/// Wrong SMTP AUTH credentials are Rejected, and nothing is delivered.
#[tokio::test]
async fn smtp_wrong_password_is_rejected() {
    let server =
        SmtpServer::start_with(SmtpOptions { tls: SmtpTls::StartTls, auth: Some(("portvakt".into(), "rätt".into())) });
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nusername = \"portvakt\"\npassword = \"fel\"\n\
         from = \"noreply@kommune.example\"\nca_file = \"{}\"\ntimeout = \"5s\"\n",
        server.port,
        server.cert_path().display()
    ));
    let err = sender.send("anna@kommune.example", &nordic_message()).await.unwrap_err();
    assert!(matches!(&err, NotifyError::Rejected(m) if m.contains("refused the login")), "{err}");
    assert!(server.messages().is_empty());
}

/// STARTTLS to a server whose certificate is not trusted fails (no delivery over an unverified connection).
#[tokio::test]
async fn smtp_untrusted_certificate_fails() {
    let server = SmtpServer::start_with(SmtpOptions { tls: SmtpTls::StartTls, auth: None });
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nfrom = \"noreply@kommune.example\"\ntimeout = \"5s\"\n",
        server.port
    ));
    let err = sender.send("anna@kommune.example", &nordic_message()).await.unwrap_err();
    assert!(matches!(&err, NotifyError::Unavailable(m) if m.contains("TLS")), "{err}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(server.messages().is_empty());
}

/// Implicit TLS (security = "tls") delivers to an SMTPS server.
#[tokio::test]
async fn smtp_implicit_tls_delivers() {
    let server = SmtpServer::start_with(SmtpOptions { tls: SmtpTls::Implicit, auth: None });
    let sender = smtp_sender(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"tls\"\nfrom = \"noreply@kommune.example\"\n\
         ca_file = \"{}\"\ntimeout = \"5s\"\n",
        server.port,
        server.cert_path().display()
    ));
    sender.send("anna@kommune.example", &nordic_message()).await.unwrap();
    assert_eq!(server.wait_for(1, Duration::from_secs(5))[0].subject, nordic_message().subject);
}

/// 46elks: the message arrives with from, to and text, sent as a form with the configured Basic credentials.
#[tokio::test]
async fn elks46_delivers_with_basic_auth() {
    let provider = Elks46Server::start("u0123456789abcdef", "API-lösen");
    let sender = elks_sender(&provider.url, "u0123456789abcdef", "API-lösen", "4s");
    sender.send("+46701234567", "Din kod: ACD-479 (gäller 5 min)").await.unwrap();
    let sent = provider.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].from, "Kommunen");
    assert_eq!(sent[0].to, "+46701234567");
    assert_eq!(sent[0].message, "Din kod: ACD-479 (gäller 5 min)");
    let req = &provider.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/a1/sms");
    assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert!(req.header("authorization").unwrap().starts_with("Basic "));
}

/// 46elks with wrong credentials: the provider answers 401 and the sender reports Rejected.
#[tokio::test]
async fn elks46_wrong_credentials_rejected() {
    let provider = Elks46Server::start("u1", "right");
    let sender = elks_sender(&provider.url, "u1", "wrong", "4s");
    let err = sender.send("+46701234567", "Din kod: ACD-479").await.unwrap_err();
    assert!(matches!(&err, NotifyError::Rejected(m) if m.contains("401")), "{err}");
    assert!(provider.messages().is_empty());
}

/// A provider 500 is Unavailable, and exactly one request was made (no retry, no double send).
#[tokio::test]
async fn elks46_server_error_unavailable_single_request() {
    let provider = Elks46Server::start("u1", "p1");
    provider.fail_next(500);
    let sender = elks_sender(&provider.url, "u1", "p1", "4s");
    let err = sender.send("+46701234567", "Din kod: ACD-479").await.unwrap_err();
    assert!(matches!(&err, NotifyError::Unavailable(m) if m.contains("500")), "{err}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(provider.requests().len(), 1);
}

/// A slow provider gives Timeout within the configured timeout, and still exactly one request was made.
#[tokio::test]
async fn elks46_slow_provider_times_out_single_request() {
    let provider = Elks46Server::start("u1", "p1");
    provider.delay_next(Duration::from_secs(3));
    let sender = elks_sender(&provider.url, "u1", "p1", "1s");
    let started = Instant::now();
    let err = sender.send("+46701234567", "Din kod: ACD-479").await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err, NotifyError::Timeout);
    assert!(took >= Duration::from_millis(900) && took < Duration::from_millis(2500), "took {took:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(provider.requests().len(), 1);
}

/// A redirect from the provider is not followed: one request, reported as Unavailable.
#[tokio::test]
async fn elks46_redirect_not_followed() {
    let provider = Elks46Server::start("u1", "p1");
    provider.fail_next(302);
    let sender = elks_sender(&provider.url, "u1", "p1", "4s");
    let err = sender.send("+46701234567", "Din kod: ACD-479").await.unwrap_err();
    assert!(matches!(&err, NotifyError::Unavailable(m) if m.contains("redirect")), "{err}");
    assert_eq!(provider.requests().len(), 1);
}

/// A number not in E.164 form is Rejected before any request is made.
#[tokio::test]
async fn elks46_bad_number_rejected_without_request() {
    let provider = Elks46Server::start("u1", "p1");
    let sender = elks_sender(&provider.url, "u1", "p1", "4s");
    let err = sender.send("070-123 45 67", "Din kod: ACD-479").await.unwrap_err();
    assert!(matches!(err, NotifyError::Rejected(_)), "{err:?}");
    assert!(provider.requests().is_empty());
}

/// Webhook: the body template is filled with JSON escaping (quotes, newline, Nordic letters), and the custom
/// header and bearer token are sent.
#[tokio::test]
async fn webhook_renders_json_and_sends_headers() {
    let provider = Elks46Server::start_expecting(ExpectAuth::Bearer("tok-123".into()));
    let sender = build_sms(&sms_settings(&format!(
        "kind = \"webhook\"\nurl = \"{}\"\nheaders = {{ \"X-Api-Key\" = \"nyckel-789\" }}\n\
         body_template = '{{\"to\": \"{{to}}\", \"text\": \"{{message}}\", \"sender\": \"Kommunen\"}}'\n\
         bearer_token = \"tok-123\"\ntimeout = \"4s\"\n",
        provider.url
    )))
    .unwrap();
    let text = "Din kod är \"ACD-479\".\nGäller i 5 min – Bjørn {to}";
    sender.send("+4790012345", text).await.unwrap();
    let reqs = provider.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.header("x-api-key"), Some("nyckel-789"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("authorization"), Some("Bearer tok-123"));
    let body: serde_json::Value = serde_json::from_str(&req.text()).unwrap();
    assert_eq!(body["to"], "+4790012345");
    assert_eq!(body["text"], text);
    assert_eq!(body["sender"], "Kommunen");
}

/// Webhook: a 4xx answer is Rejected, a wrong token too (401); a 503 is Unavailable.
#[tokio::test]
async fn webhook_error_statuses() {
    let provider = Elks46Server::start_expecting(ExpectAuth::Basic("gw".into(), "pw".into()));
    let settings = |password: &str| {
        sms_settings(&format!(
            "kind = \"webhook\"\nurl = \"{}\"\nbody_template = '{{\"to\": \"{{to}}\", \"text\": \"{{message}}\"}}'\n\
             username = \"gw\"\npassword = \"{password}\"\n",
            provider.url
        ))
    };
    let good = build_sms(&settings("pw")).unwrap();
    provider.fail_next(422);
    assert!(matches!(good.send("+46701234567", "kod").await, Err(NotifyError::Rejected(_))));
    provider.fail_next(503);
    assert!(matches!(good.send("+46701234567", "kod").await, Err(NotifyError::Unavailable(_))));
    let bad = build_sms(&settings("fel")).unwrap();
    assert!(matches!(bad.send("+46701234567", "kod").await, Err(NotifyError::Rejected(_))));
    good.send("+46701234567", "kod").await.unwrap();
    assert_eq!(provider.requests().len(), 4);
}
