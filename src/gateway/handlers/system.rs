//! Pages without a user: health, readiness, the JWKS, the stylesheet, and the "logged out" page.

use crate::gateway::handler::{page_ctx, Handled};
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::pages;
use bytes::Bytes;
use pingora::proxy::Session;

/// GET /.portvakt/healthz: alive.
pub async fn healthz(_gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::text(200, "ok\n"))
}

/// GET /.portvakt/readyz: ready only while the store answers a write/read/delete probe, so a load balancer routes
/// around an instance whose store is down, and back once it answers again.
pub async fn readyz(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(match gw.state.stores.probe.probe().await {
        Ok(()) => Reply::text(200, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: store probe failed");
            Reply::text(503, "not ready: the state store does not answer\n")
        }
    })
}

/// GET /.portvakt/logged-out: where a provider's logout returns to.
pub async fn logged_out(_gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let pctx = page_ctx(ctx, session.req_header(), None);
    Ok(Reply::html(200, pages::logged_out_page(&pctx)))
}

/// GET /.portvakt/jwks.json: the assertion's public keys.
pub async fn jwks(gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::bytes(200, "application/jwk-set+json", Bytes::from(gw.state.key.jwks())))
}

/// GET the stylesheet.
pub async fn stylesheet(_gw: &Gateway, _session: &mut Session, _ctx: &mut Ctx) -> Handled {
    Ok(Reply::bytes(200, "text/css; charset=utf-8", Bytes::from_static(pages::CSS.as_bytes())))
}
