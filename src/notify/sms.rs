//! SMS delivery: [`Elks46Sender`] (the 46elks API), [`WebhookSender`] (a JSON POST to any gateway) and
//! [`LogSmsSender`] (prints instead). The HTTP senders share one `reqwest` client each, made at start, that follows
//! no redirects and never sends a request twice: a failure after the request went out is reported, not retried.

use super::config::{Elks46Settings, WebhookAuth, WebhookSettings};
use super::{is_e164, mask_phone, NotifyError, SmsSender};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use std::io::Write;
use std::time::Duration;

/// Longest part of a provider's error answer quoted in an error message.
const MAX_QUOTED: usize = 200;

/// The HTTP client both providers use: no redirects (a redirect would be a misconfiguration or an attack), the
/// configured timeout for the whole exchange.
fn http_client(timeout: Duration) -> Result<reqwest::Client, NotifyError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("portvakt/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotifyError::Unavailable(format!("cannot create the HTTP client for SMS: {e}")))
}

/// Maps a failed request (no answer) to an error; `what` names the provider for the admin.
fn request_error(what: &str, e: &reqwest::Error) -> NotifyError {
    if e.is_timeout() {
        NotifyError::Timeout
    } else if e.is_connect() {
        NotifyError::Unavailable(format!("cannot connect to {what}: {}", error_chain(e)))
    } else {
        NotifyError::Unavailable(format!("request to {what} failed: {}", error_chain(e)))
    }
}

/// An error with its causes, "a: b: c", since reqwest's own text omits them.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// The start of a provider's answer, on one line, for an error message.
fn quote(body: &str) -> String {
    let one_line: String = body.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_QUOTED).collect();
    one_line.trim().to_string()
}

/// Maps a non-2xx answer: 4xx means the provider refused (credentials, number, content), anything else that it
/// could not serve.
fn status_error(what: &str, status: reqwest::StatusCode, body: &str) -> NotifyError {
    let quoted = quote(body);
    let detail = if quoted.is_empty() { String::new() } else { format!(": {quoted}") };
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        NotifyError::Rejected(format!(
            "{what} refused the credentials (HTTP {status}){detail}; check username and password in [sms]"
        ))
    } else if status.is_client_error() {
        NotifyError::Rejected(format!("{what} refused the message (HTTP {status}){detail}"))
    } else if status.is_redirection() {
        NotifyError::Unavailable(format!(
            "{what} answered with a redirect (HTTP {status}); redirects are not followed: set the final URL in [sms]"
        ))
    } else {
        NotifyError::Unavailable(format!("{what} failed (HTTP {status}){detail}"))
    }
}

fn check_recipient(to: &str) -> Result<(), NotifyError> {
    if is_e164(to) {
        Ok(())
    } else {
        Err(NotifyError::Rejected(format!("\"{to}\" is not a phone number in E.164 form like +46701234567")))
    }
}

/// Sends through the 46elks API: a form POST with HTTP Basic auth, answered by JSON with a status.
#[derive(Debug)]
pub struct Elks46Sender {
    client: reqwest::Client,
    settings: Elks46Settings,
}

impl Elks46Sender {
    /// Creates the HTTP client once.
    pub fn new(s: &Elks46Settings) -> Result<Elks46Sender, NotifyError> {
        Ok(Elks46Sender { client: http_client(s.timeout)?, settings: s.clone() })
    }
}

#[async_trait::async_trait]
impl SmsSender for Elks46Sender {
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        check_recipient(to)?;
        let s = &self.settings;
        let what = "46elks";
        let sent = self
            .client
            .post(s.api_url.clone())
            .basic_auth(&s.username, Some(s.password.expose()))
            .form(&[("from", s.from.as_str()), ("to", to), ("message", text)])
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                let err = request_error(what, &e);
                tracing::warn!(to = %mask_phone(to), error = %err, "SMS not sent");
                return Err(err);
            }
        };
        let status = resp.status();
        // Once the provider has answered 2xx the message is on its way: whatever happens to the rest of the answer,
        // report success so the caller never sends it again.
        let body = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            let err = status_error(what, status, &body);
            tracing::warn!(to = %mask_phone(to), error = %err, "SMS not sent");
            return Err(err);
        }
        match serde_json::from_str::<serde_json::Value>(&body) {
            Ok(v) => {
                let state = v.get("status").and_then(|x| x.as_str()).unwrap_or("");
                let id = v.get("id").and_then(|x| x.as_str()).unwrap_or("");
                if state == "failed" {
                    let err = NotifyError::Rejected(format!("46elks accepted but could not send the SMS (id {id})"));
                    tracing::warn!(to = %mask_phone(to), error = %err, "SMS not sent");
                    return Err(err);
                }
                tracing::info!(to = %mask_phone(to), id, status = state, "SMS handed to 46elks");
            }
            Err(_) => {
                tracing::warn!(to = %mask_phone(to), "46elks answered {status} without the expected JSON; counted as sent")
            }
        }
        Ok(())
    }
}

/// Sends by POSTing a JSON body rendered from a template to any HTTP endpoint.
#[derive(Debug)]
pub struct WebhookSender {
    client: reqwest::Client,
    settings: WebhookSettings,
    headers: HeaderMap,
}

impl WebhookSender {
    /// Creates the HTTP client and the fixed request headers once.
    pub fn new(s: &WebhookSettings) -> Result<WebhookSender, NotifyError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (name, value) in &s.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| NotifyError::Unavailable(format!("webhook header name \"{name}\": {e}")))?;
            let mut v = HeaderValue::from_str(value.expose())
                .map_err(|e| NotifyError::Unavailable(format!("webhook header \"{name}\" value: {e}")))?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        Ok(WebhookSender { client: http_client(s.timeout)?, settings: s.clone(), headers })
    }
}

#[async_trait::async_trait]
impl SmsSender for WebhookSender {
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        check_recipient(to)?;
        let s = &self.settings;
        let what = format!("the SMS webhook {}", s.url.host_str().unwrap_or(""));
        let mut req =
            self.client.post(s.url.clone()).headers(self.headers.clone()).body(render_body(&s.body_template, to, text));
        req = match &s.auth {
            Some(WebhookAuth::Bearer(t)) => req.bearer_auth(t.expose()),
            Some(WebhookAuth::Basic { username, password }) => req.basic_auth(username, Some(password.expose())),
            None => req,
        };
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = request_error(&what, &e);
                tracing::warn!(to = %mask_phone(to), error = %err, "SMS not sent");
                return Err(err);
            }
        };
        let status = resp.status();
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            let err = status_error(&what, status, &body);
            tracing::warn!(to = %mask_phone(to), error = %err, "SMS not sent");
            return Err(err);
        }
        tracing::info!(to = %mask_phone(to), status = status.as_u16(), "SMS handed to webhook");
        Ok(())
    }
}

/// Fills `{to}` and `{message}` in a webhook template, each JSON-string-escaped (without surrounding quotes), in
/// one pass: text that looks like a placeholder inside the message is not expanded again.
pub fn render_body(template: &str, to: &str, message: &str) -> String {
    let mut out = String::with_capacity(template.len() + to.len() + message.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let (before, tail) = rest.split_at(i);
        out.push_str(before);
        if let Some(after) = tail.strip_prefix("{to}") {
            out.push_str(&json_escape(to));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{message}") {
            out.push_str(&json_escape(message));
            rest = after;
        } else {
            out.push('{');
            rest = tail.strip_prefix('{').unwrap_or("");
        }
    }
    out.push_str(rest);
    out
}

/// `s` as the inside of a JSON string literal.
fn json_escape(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or("").to_string()
}

/// Prints each SMS to standard output instead of sending it (demo and tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogSmsSender;

/// The line [`LogSmsSender`] prints for one message.
pub fn sms_log_line(to: &str, text: &str) -> String {
    format!("[portvakt] SMS to {to}: {text}")
}

#[async_trait::async_trait]
impl SmsSender for LogSmsSender {
    async fn send(&self, to: &str, text: &str) -> Result<(), NotifyError> {
        check_recipient(to)?;
        let mut out = std::io::stdout().lock();
        // A closed stdout must not fail a login in the demo; the line is for a person watching the terminal.
        let _ = writeln!(out, "{}", sms_log_line(to, text));
        let _ = out.flush();
        tracing::info!(to = %mask_phone(to), "SMS printed to standard output (log provider)");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log line is exactly what the demo shows in the terminal.
    #[test]
    fn log_line_format() {
        assert_eq!(
            sms_log_line("+46701234567", "Din kod: ACD-479"),
            "[portvakt] SMS to +46701234567: Din kod: ACD-479"
        );
    }

    /// Placeholders are JSON-escaped, filled once, and other braces are kept.
    #[test]
    fn template_rendering() {
        let t = r#"{"to": "{to}", "text": "{message}", "x": {"y": "{other}"}}"#;
        let out = render_body(t, "+4670", "say \"hi\"\nto {to} \\ å");
        assert_eq!(out, r#"{"to": "+4670", "text": "say \"hi\"\nto {to} \\ å", "x": {"y": "{other}"}}"#);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["text"], "say \"hi\"\nto {to} \\ å");
        assert_eq!(render_body("{", "a", "b"), "{");
        assert_eq!(render_body("{{to}}", "a", "b"), "{a}");
    }

    /// Provider answers map to errors an admin can act on: 401 names the credentials, 5xx is unavailability.
    #[test]
    fn status_mapping() {
        let e = status_error("46elks", reqwest::StatusCode::UNAUTHORIZED, "");
        assert!(matches!(&e, NotifyError::Rejected(m) if m.contains("check username and password")), "{e}");
        let e = status_error("46elks", reqwest::StatusCode::BAD_REQUEST, "Invalid to number\n");
        assert!(matches!(&e, NotifyError::Rejected(m) if m.ends_with("(HTTP 400 Bad Request): Invalid to number")));
        assert!(matches!(status_error("x", reqwest::StatusCode::BAD_GATEWAY, ""), NotifyError::Unavailable(_)));
        assert!(matches!(status_error("x", reqwest::StatusCode::FOUND, ""), NotifyError::Unavailable(_)));
    }

    /// Numbers not in E.164 form are refused before anything is sent.
    #[tokio::test]
    async fn log_sender_checks_number() {
        assert!(LogSmsSender.send("+46701234567", "kod").await.is_ok());
        assert!(matches!(LogSmsSender.send("0701234567", "kod").await, Err(NotifyError::Rejected(_))));
    }
}
