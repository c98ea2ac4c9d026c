//! Logout: POST ends the session (and an eID login's session at the provider).

use crate::gateway::extract;
use crate::gateway::handler::{csrf_refused, page_ctx, unavailable, Handled};
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::pages;
use crate::session::token_eq;
use pingora::proxy::Session;

/// POST /.portvakt/logout: ends the session, clears the cookie and the browser's cache of our pages.
pub async fn post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let form = extract::form(gw, session, ctx).await?;
    let mut provider_logout = None;
    // Without a session there is nothing to end, and the cookie is cleared anyway.
    if let Ok((id, rec)) = gw.current_session(session.req_header(), ctx).await? {
        if !token_eq(&rec.csrf, form.get("csrf")) {
            return Ok(csrf_refused(gw, ctx, session));
        }
        crate::services::sessions::logout(&gw.state.sessions, &id, &rec).await.map_err(unavailable("session store"))?;
        // An eID login also ends the provider's session, or the next eID login would pass without a question.
        if let (Some(login), Some(base)) = (&rec.eid, &gw.state.cfg.server.public_url) {
            let back = format!("{}/.portvakt/logged-out", base.as_str().trim_end_matches('/'));
            let lang = ctx.lang(session.req_header());
            provider_logout = gw.state.eid.end_session_url(login, &back, lang.code()).await;
        }
    }
    let clear = gw.cookie_header(&gw.cookies.session, "", true);
    if let Some(url) = provider_logout {
        return Ok(Reply::see_other(&url).header("set-cookie", clear).header("clear-site-data", "\"cache\""));
    }
    let pctx = page_ctx(ctx, session.req_header(), None);
    Ok(Reply::html(200, pages::logged_out_page(&pctx))
        .header("set-cookie", clear)
        .header("clear-site-data", "\"cache\""))
}
