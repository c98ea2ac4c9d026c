//! The admin listener (`[admin] listen`, loopback by default): Prometheus metrics at `/metrics`, and `/healthz` and
//! `/readyz` as on the public listeners. It is a listener of its own; the public listeners never serve `/metrics`.

pub mod config;

pub use config::{validate, AdminSettings, FileAdmin, DEFAULT_LISTEN};

use crate::gateway::State;
use async_trait::async_trait;
use pingora_core::apps::http_app::ServeHttp;
use pingora_core::protocols::http::ServerSession;
use std::sync::Arc;

/// The admin HTTP app.
#[derive(Debug)]
pub struct Admin {
    /// Gateway state (metrics, stores).
    pub state: Arc<State>,
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> http::Response<Vec<u8>> {
    let mut r = http::Response::new(body);
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let len = r.body().len();
    let h = r.headers_mut();
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        h.insert(http::header::CONTENT_TYPE, v);
    }
    h.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(len));
    h.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    r
}

#[async_trait]
impl ServeHttp for Admin {
    async fn response(&self, session: &mut ServerSession) -> http::Response<Vec<u8>> {
        let req = session.req_header();
        if req.method != http::Method::GET && req.method != http::Method::HEAD {
            return reply(405, "text/plain; charset=utf-8", b"only GET\n".to_vec());
        }
        match req.uri.path() {
            "/metrics" => reply(
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                self.state.observer.metrics.render().into_bytes(),
            ),
            "/healthz" | "/.portvakt/healthz" => reply(200, "text/plain; charset=utf-8", b"ok\n".to_vec()),
            "/readyz" | "/.portvakt/readyz" => match self.state.stores.probe.probe().await {
                Ok(()) => reply(200, "text/plain; charset=utf-8", b"ready\n".to_vec()),
                Err(e) => {
                    tracing::warn!(error = %e, "not ready: store probe failed");
                    reply(503, "text/plain; charset=utf-8", b"not ready: the state store does not answer\n".to_vec())
                }
            },
            _ => reply(404, "text/plain; charset=utf-8", b"not found: try /metrics\n".to_vec()),
        }
    }
}
