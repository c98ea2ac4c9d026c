//! Linking an eID to an account ([`EidLinking`]): the page asks for the municipal e-mail address, sends a code
//! there, and links and logs in when the code is typed.
//!
//! [`EidLinking`]: crate::services::eid_link::EidLinking

use super::eid_login::{eid_page, link_allowed, log_in, valid_token};
use crate::eid::flow::LinkFlow;
use crate::gateway::extract;
use crate::gateway::handler::{
    code_refusal, page_ctx, too_many_attempts, unavailable, with_retry_after, Handled, HandlerError,
};
use crate::gateway::http;
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::notify::EmailMessage;
use crate::pages::eid::{link_page, LinkView};
use crate::pages::{Lang, Msg, Notice, Text};
use crate::second_factor::VerifyError;
use crate::services::codes::CodeMessage;
use crate::services::eid_link::{CodeStart, LinkResult};
use crate::session::SessionKey;
use pingora::proxy::Session;

/// The link cookie's token, its flow, and the key the flow's code lives under; a missing or ended flow is a 400
/// page that says the link step expired.
async fn link_state(
    gw: &Gateway,
    session: &Session,
    ctx: &mut Ctx,
) -> Result<(String, LinkFlow, SessionKey), HandlerError> {
    let token = http::cookie(session.req_header(), &gw.cookies.link).filter(|t| valid_token(t));
    let flow = match token {
        Some(t) => gw.state.eid.link_flow(t).await.map_err(unavailable("eID flow store"))?.map(|f| (t.to_string(), f)),
        None => None,
    };
    let Some((token, flow)) = flow else {
        let lang = ctx.lang(session.req_header());
        let body = Text::from(Msg::EidLinkExpired);
        return Err(eid_page(lang, 400, Msg::EidFailedTitle, body).into());
    };
    let key = SessionKey(crate::eid::flow::hash(&token));
    Ok((token, flow, key))
}

fn render(gw: &Gateway, ctx: &mut Ctx, session: &Session, status: u16, v: LinkView<'_>) -> Reply {
    let req = session.req_header();
    let (csrf, fresh) = extract::prelogin_csrf(gw, req);
    let pctx = page_ctx(gw, ctx, req, None);
    let minutes = gw.codes().lifetime_minutes();
    let html = link_page(&pctx, &LinkView { csrf: &csrf, minutes, ..v });
    let r = Reply::html(status, html);
    if fresh {
        r.header("set-cookie", gw.cookie_header(&gw.cookies.csrf, &csrf, false))
    } else {
        r
    }
}

/// The link page.
const LINK_PATH: &str = "/.portvakt/eid/link";

/// GET /.portvakt/eid/link: the e-mail form, with the code form once a code was sent.
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (_, flow, _) = link_state(gw, session, ctx).await?;
    let sent = flow.pending.as_ref().map(|(_, e)| e.as_str());
    let v = LinkView { email: sent.unwrap_or(""), code_sent_to: sent, ..Default::default() };
    Ok(render(gw, ctx, session, 200, v))
}

/// POST /.portvakt/eid/link: `email` sends a code (then 303 to the page, which has the code form); `code` links and
/// logs in (303 on).
pub async fn post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let form = extract::prelogin_form(gw, session, ctx).await?;
    let (token, flow, key) = link_state(gw, session, ctx).await?;
    let lang = ctx.lang(session.req_header());
    if !link_allowed(gw, ctx, flow.login.assurance) {
        let body = Text::from(Msg::EidLinkOnlyAtWorkBody);
        return Ok(eid_page(lang, 403, Msg::EidFailedTitle, body));
    }
    let code = form.trimmed("code");
    if !code.is_empty() {
        return type_code(gw, session, ctx, &token, flow, key, &code).await;
    }
    let email = form.trimmed("email").to_lowercase();
    let refuse = |gw: &Gateway, ctx: &mut Ctx, status: u16, msg: Text| {
        render(gw, ctx, session, status, LinkView { email: &email, error: Some(msg.into()), ..Default::default() })
    };
    let minutes = gw.codes().lifetime_minutes();
    let compose = |code: &str| {
        CodeMessage::Email(EmailMessage {
            subject: Msg::EidCodeSubject.text(lang),
            body: Msg::EidCodeBody.arg("code", code).arg("minutes", minutes).render(lang),
        })
    };
    let client = ctx.client.and_then(|c| c.0);
    let fill = Text::from;
    Ok(match gw.eid_linking().send_code(&token, flow, key, &email, client, compose).await? {
        // POST-redirect-GET: the page shows the code form for the address the flow sent to; reload and Back never
        // send another code.
        CodeStart::Sent => Reply::see_other(LINK_PATH),
        CodeStart::NotAnEmail => refuse(gw, ctx, 400, fill(Msg::EidNotAnEmail)),
        CodeStart::NotMunicipal(domain) => refuse(gw, ctx, 400, Msg::EidPrivateDomain.arg("domain", &domain)),
        CodeStart::NoAccount => refuse(gw, ctx, 400, Msg::EidNoAccount.arg("email", &email)),
        CodeStart::Disabled => refuse(gw, ctx, 403, fill(Msg::AccountDisabled)),
        CodeStart::AlreadyLinked => refuse(gw, ctx, 409, fill(Msg::EidAlreadyLinked)),
        CodeStart::Refused(r) => {
            let (msg, wait) = code_refusal(gw, r);
            with_retry_after(refuse(gw, ctx, 429, msg), wait)
        }
        CodeStart::NotDelivered => refuse(gw, ctx, 503, Text::from(Msg::SendFailedEmail)),
    })
}

/// The `code` half of the link form: links, announces the link, and logs in.
async fn type_code(
    gw: &Gateway,
    session: &mut Session,
    ctx: &mut Ctx,
    token: &str,
    flow: LinkFlow,
    key: SessionKey,
    code: &str,
) -> Handled {
    let lang = ctx.lang(session.req_header());
    let sent_to = flow.pending.as_ref().map(|(_, e)| e.clone()).unwrap_or_default();
    let refill = |error: Text, keep: bool| LinkView {
        email: &sent_to,
        code_sent_to: keep.then_some(sent_to.as_str()),
        error: Some(Notice::from(error).about(&["code"])),
        ..Default::default()
    };
    let (account, email) = match gw.eid_linking().link(token, &flow, key, code).await? {
        LinkResult::Linked { account, email } => (account, email),
        LinkResult::NoCodeSent => {
            let msg = Text::from(Msg::CodeNone);
            return Ok(render(gw, ctx, session, 400, LinkView { error: Some(msg.into()), ..Default::default() }));
        }
        LinkResult::Wrong(left) => {
            let msg = Msg::CodeWrong.arg("tries", left);
            return Ok(render(gw, ctx, session, 400, refill(msg, true)));
        }
        LinkResult::Locked(w) => return Ok(too_many_attempts(gw, ctx, session, w)),
        LinkResult::CodeGone(why) => {
            let m = match why {
                VerifyError::Expired => Msg::CodeExpired,
                VerifyError::TooManyTries => Msg::CodeTooManyTries,
                _ => Msg::CodeNone,
            };
            return Ok(render(gw, ctx, session, 400, refill(Text::from(m), false)));
        }
        LinkResult::AlreadyLinked => {
            let msg = Text::from(Msg::EidAlreadyLinked);
            return Ok(render(gw, ctx, session, 409, refill(msg, false)));
        }
    };
    let title = gw.state.eid.provider(&flow.login.provider).map(|p| p.settings.title.clone()).unwrap_or_default();
    announce(gw, lang, Some(email), Msg::EidLinkedSubject, Msg::EidLinkedBody, &title);
    let r = log_in(gw, session, ctx, &account, &flow.login).await?;
    Ok(r.header("set-cookie", gw.cookie_header(&gw.cookies.link, "", true)))
}

/// Sends a link or unlink notice to the account's e-mail, in the background.
pub fn announce(gw: &Gateway, lang: Lang, to: Option<String>, subject: Msg, body: Msg, provider: &str) {
    let time = crate::pages::dates::local_date_time(gw.state.clock.now(), lang);
    let msg = EmailMessage {
        subject: subject.text(lang),
        body: body.arg("provider", provider).arg("time", time).render(lang),
    };
    crate::services::notify_in_background(gw.state.email.clone(), to, msg, "eID link change");
}
