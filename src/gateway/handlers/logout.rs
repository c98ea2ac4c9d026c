//! Logout: GET shows a confirm page (a service can link to it), POST ends the session (and an eID login's session
//! at the provider) and redirects to the logged-out page, so Back and reload never resend the form.

use crate::gateway::extract;
use crate::gateway::handler::{csrf_refused, page_ctx, unavailable, Handled};
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::pages;
use crate::services::sessions::End;
use crate::session::token_eq;
use pingora::proxy::Session;

/// Where the browser lands after logout: a page of its own, reached by GET (POST-redirect-GET).
pub const LOGGED_OUT: &str = "/.portvakt/logged-out";

/// GET /.portvakt/logout: "Log out?" with the logout button for a live session; the logged-out page without one
/// (there is nothing to end, and a link from a service must never show an error).
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    match gw.current_session(session.req_header(), ctx).await? {
        Ok((_, rec)) => {
            let pctx = page_ctx(gw, ctx, session.req_header(), Some((&rec.display_name, &rec.csrf)));
            Ok(Reply::html(200, pages::logout_confirm_page(&pctx, &rec.csrf)))
        }
        Err(_) => {
            let pctx = page_ctx(gw, ctx, session.req_header(), None);
            Ok(Reply::html(200, pages::logged_out_page(&pctx)))
        }
    }
}

/// POST /.portvakt/logout: ends the session, clears the cookie and the browser's cache of our pages, then 303 to
/// the logged-out page (or to the provider's end-session endpoint, which comes back there).
pub async fn post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let form = extract::form(gw, session, ctx).await?;
    let mut provider_logout = None;
    // Without a session there is nothing to end, and the cookie is cleared anyway.
    let mut clear = gw.clear_session_cookie();
    if let Ok((id, rec)) = gw.current_session(session.req_header(), ctx).await? {
        if !token_eq(&rec.csrf, form.get("csrf")) {
            return Ok(csrf_refused(gw, ctx, session));
        }
        let end = gw.end_session(&id, &rec, End::Logout).await.map_err(unavailable("session store"))?;
        clear = end.unwrap_or(clear);
        // An eID login also ends the provider's session, or the next eID login would pass without a question.
        if let (Some(login), Some(base)) = (&rec.eid, &gw.state.cfg.server.public_url) {
            let back = format!("{}{LOGGED_OUT}", base.as_str().trim_end_matches('/'));
            let lang = ctx.lang(session.req_header());
            provider_logout = gw.state.eid.end_session_url(login, &back, lang.code()).await;
        }
    }
    let to = provider_logout.as_deref().unwrap_or(LOGGED_OUT);
    Ok(Reply::see_other(to).header("set-cookie", clear).header("clear-site-data", "\"cache\""))
}
