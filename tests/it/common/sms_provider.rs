//! A local HTTP server that speaks 46elks' SMS API (also usable as a webhook endpoint): it checks the
//! Authorization header, records every request, and answers like 46elks: 200 with JSON `"status": "created"`.
//! Knobs make the next request fail with a chosen status or answer late, for error and timeout tests.

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The Authorization the server demands.
#[derive(Debug, Clone)]
pub enum ExpectAuth {
    /// HTTP Basic with this user and password (46elks).
    Basic(String, String),
    /// `Bearer <token>`.
    Bearer(String),
    /// Anything, or nothing.
    None,
}

/// One HTTP request as received.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    /// Method, e.g. "POST".
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// The value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// An SMS the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    /// Sender ID or number.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// Text.
    pub message: String,
}

#[derive(Default)]
struct Knobs {
    fail_next: Option<u16>,
    delay_next: Option<Duration>,
}

struct State {
    auth: ExpectAuth,
    requests: Mutex<Vec<ReceivedRequest>>,
    sent: Mutex<Vec<SentSms>>,
    knobs: Mutex<Knobs>,
}

/// A running fake 46elks on 127.0.0.1, on a thread of its own; stopped on drop.
pub struct Elks46Server {
    /// The SMS endpoint, like `http://127.0.0.1:PORT/a1/sms`.
    pub url: String,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Elks46Server {
    /// Starts a server that accepts these API credentials (HTTP Basic), like 46elks.
    pub fn start(username: &str, password: &str) -> Elks46Server {
        Elks46Server::start_expecting(ExpectAuth::Basic(username.into(), password.into()))
    }

    /// Starts a server demanding the given Authorization.
    pub fn start_expecting(auth: ExpectAuth) -> Elks46Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            auth,
            requests: Mutex::new(Vec::new()),
            sent: Mutex::new(Vec::new()),
            knobs: Mutex::new(Knobs::default()),
        });
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let st = st.clone();
                            tokio::spawn(async move {
                                let svc = service_fn(move |req| handle(st.clone(), req));
                                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                            });
                        }
                    }
                }
            });
        });
        Elks46Server { url: format!("http://{addr}/a1/sms"), state, stop: Some(tx), thread: Some(thread) }
    }

    /// The `[sms]` section that sends through this server as 46elks, with its Basic credentials and this timeout.
    pub fn sms_toml(&self, timeout: &str) -> String {
        let ExpectAuth::Basic(user, pass) = &self.state.auth else {
            panic!("sms_toml needs a server started with 46elks credentials");
        };
        format!(
            "[sms]\nkind = \"46elks\"\napi_url = \"{}\"\nusername = \"{user}\"\npassword = \"{pass}\"\n\
             from = \"Kommunen\"\ntimeout = \"{timeout}\"\n",
            self.url
        )
    }

    /// Every request received so far, answered or not.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    /// The SMS accepted so far (answered 200 "created").
    pub fn messages(&self) -> Vec<SentSms> {
        self.state.sent.lock().unwrap().clone()
    }

    /// The next request is answered with this status (a 3xx gets a Location header) instead of being accepted.
    pub fn fail_next(&self, status: u16) {
        self.state.knobs.lock().unwrap().fail_next = Some(status);
    }

    /// The next request is answered only after this delay.
    pub fn delay_next(&self, delay: Duration) {
        self.state.knobs.lock().unwrap().delay_next = Some(delay);
    }
}

impl Drop for Elks46Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn reply(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder().status(status).header("content-type", content_type).body(Full::new(Bytes::from(body))).unwrap()
}

fn authorized(expect: &ExpectAuth, got: Option<&str>) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    match expect {
        ExpectAuth::None => true,
        ExpectAuth::Bearer(t) => got == Some(format!("Bearer {t}").as_str()),
        ExpectAuth::Basic(u, p) => got == Some(format!("Basic {}", b64.encode(format!("{u}:{p}"))).as_str()),
    }
}

async fn handle(st: Arc<State>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
    let recorded = ReceivedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.clone(),
    };
    let auth_header = recorded.header("authorization").map(str::to_string);
    st.requests.lock().unwrap().push(recorded);
    let (fail, delay) = {
        let mut k = st.knobs.lock().unwrap();
        (k.fail_next.take(), k.delay_next.take())
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if !authorized(&st.auth, auth_header.as_deref()) {
        return Ok(reply(401, "text/plain", "Wrong API credentials".into()));
    }
    if let Some(status) = fail {
        let mut r = reply(status, "text/plain", format!("simulated failure {status}"));
        if (300..400).contains(&status) {
            r.headers_mut().insert("location", hyper::header::HeaderValue::from_static("http://127.0.0.1:9/elsewhere"));
        }
        return Ok(r);
    }
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).cloned().unwrap_or_default();
    let sms = SentSms { from: field("from"), to: field("to"), message: field("message") };
    let id = format!("s{:032x}", rand::random::<u128>());
    let answer = serde_json::json!({
        "status": "created",
        "direction": "outgoing",
        "from": sms.from,
        "to": sms.to,
        "message": sms.message,
        "created": "2024-01-01T12:00:00.000000",
        "parts": 1,
        "estimated_cost": 3500,
        "id": id,
    });
    st.sent.lock().unwrap().push(sms);
    Ok(reply(200, "application/json", answer.to_string()))
}
