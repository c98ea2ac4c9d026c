//! eID endpoints: start, callback, linking by a code to the municipal e-mail, unlinking on the account page, and
//! front-channel logout. Thin handlers over [`crate::eid`], the account store and the directories.

use super::endpoints::{
    account_key, account_reply, after_login_target, confirm_password, csrf_refused, prelogin_csrf, read_form,
    session_form, too_many_attempts, unavailable, AccountRender,
};
use super::http::{self, query_param};
use super::reply::Reply;
use super::{Ctx, Gateway};
use crate::access::{Decision, Facts};
use crate::account::{EidLink, LinkOutcome};
use crate::eid::{Callback, EidError, Start, Verified};
use crate::notify::EmailMessage;
use crate::pages::eid::{link_page, EidMsg, LinkView};
use crate::pages::{self, Lang, Msg, PageCtx};
use crate::second_factor::{Channel, IssueError, VerifyError};
use crate::session::{Method, Methods, SessionFilter, SessionId, SessionKey, SessionRecord};
use pingora::prelude::*;
use pingora::proxy::Session;

fn eid_page(lang: Lang, status: u16, body: String) -> Reply {
    let ctx = PageCtx { lang, user: None };
    let mut b = String::from("<div class=\"card\"><p role=\"alert\">");
    b.push_str(&body);
    b.push_str("</p><p><a class=\"button\" href=\"/.portvakt/login\">");
    b.push_str(&pages::fill(Msg::LoginAgain.text(lang), &[]));
    b.push_str("</a></p></div>");
    Reply::html(status, pages::layout(&ctx, EidMsg::FailedTitle.text(lang), &b))
}

fn valid_token(t: &str) -> bool {
    t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// GET /.portvakt/eid/start?provider=NAME&rd=URL: sends the browser to the provider.
pub(super) async fn start(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let req = session.req_header();
    let lang = ctx.lang(req);
    let eid = &gw.state.eid;
    let name = query_param(req, "provider")
        .filter(|p| !p.is_empty())
        .or_else(|| gw.state.cfg.eid.providers.first().map(|p| p.name.clone()))
        .unwrap_or_default();
    if eid.provider(&name).is_none() {
        return Ok(Reply::error_page(gw, lang, 404, Msg::NotFoundTitle, Msg::NotFoundBody.text(lang).into()));
    }
    let rd = after_login_target(gw, &query_param(req, "rd").unwrap_or_default());
    // A browser that still holds a session cookie whose session has ended (idle timeout, lifetime) must log in
    // afresh at the provider too, or the provider's own single sign-on would undo our timeout.
    let had_session = http::cookie(req, &gw.cookies.session).and_then(SessionId::parse).is_some();
    let prompt_login = had_session && gw.current_session(req, ctx).await?.is_err();
    let req = session.req_header();
    let (binding, fresh) = match http::cookie(req, &gw.cookies.eid) {
        Some(b) if valid_token(b) => (b.to_string(), false),
        _ => (SessionId::generate().as_str().to_string(), true),
    };
    let started =
        eid.start(&Start { provider: &name, rd: &rd, lang: lang.code(), prompt_login, binding: &binding }).await;
    match started {
        Ok(url) => {
            tracing::info!(provider = %name, prompt_login, "eID login started");
            let mut r = Reply::redirect(&url);
            if fresh {
                r = r.header("set-cookie", gw.cookie_header(&gw.cookies.eid, &binding, false));
            }
            Ok(r)
        }
        Err(e) => Ok(failure(lang, &name, e)),
    }
}

/// The page for a failed eID step, logged with its cause.
fn failure(lang: Lang, provider: &str, e: EidError) -> Reply {
    let (status, body) = match &e {
        EidError::UnknownProvider | EidError::FlowMissing => (400, pages::fill(EidMsg::FlowMissing.text(lang), &[])),
        EidError::Denied { error, .. } if error == "access_denied" => {
            (403, pages::fill(EidMsg::Cancelled.text(lang), &[]))
        }
        EidError::Denied { error, .. } => {
            let shown: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
            (502, pages::fill(EidMsg::ProviderError.text(lang), &[("error", &shown)]))
        }
        EidError::Unavailable(_) => (502, pages::fill(EidMsg::Unavailable.text(lang), &[])),
        EidError::IssuerMismatch(_) | EidError::CodeRefused(_) | EidError::InvalidToken(_) => {
            (400, pages::fill(EidMsg::Invalid.text(lang), &[]))
        }
        EidError::AcrTooLow { .. } => (403, pages::fill(EidMsg::AcrTooLow.text(lang), &[])),
        EidError::Store(_) => (503, pages::fill(Msg::UnavailableBody.text(lang), &[])),
    };
    if status >= 500 {
        tracing::error!(provider, error = %e, "eID login failed");
    } else {
        tracing::warn!(provider, error = %e, "eID login refused");
    }
    eid_page(lang, status, body)
}

/// Whether an eID may be linked from the zone of this request: the `account.eid-link` policy when policies are
/// configured, else `[eid] link_zones`.
fn link_allowed(gw: &Gateway, ctx: &Ctx, assurance: crate::methods::Assurance) -> bool {
    let Some(zone) = ctx.zone.as_ref() else { return false };
    if gw.state.access.policies().is_some() {
        let f = Facts {
            service: crate::policy::ACCOUNT_EID_LINK,
            path: "/",
            case_insensitive: false,
            zone,
            user: "",
            groups: &[],
            methods: Methods::of(Method::Eid),
            assurance,
            at: gw.state.clock.now(),
            below_floor_allowed: false,
        };
        return gw.state.access.decide(&f) == Decision::Allow;
    }
    gw.state.cfg.eid.link_zones.iter().any(|z| *z == zone.name)
}

/// GET /.portvakt/eid/callback: the provider's answer.
pub(super) async fn callback(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let req = session.req_header();
    let lang = ctx.lang(req);
    let cb = Callback {
        state: query_param(req, "state"),
        code: query_param(req, "code"),
        iss: query_param(req, "iss"),
        error: query_param(req, "error"),
        error_description: query_param(req, "error_description"),
    };
    let binding = http::cookie(req, &gw.cookies.eid).unwrap_or_default().to_string();
    let v = match gw.state.eid.finish(&cb, &binding).await {
        Ok(v) => v,
        Err(e) => return Ok(failure(lang, "", e)),
    };
    let linked = gw.state.accounts.find_eid(&v.provider, &v.person_id).await.map_err(unavailable("account store"))?;
    let Some(account) = linked else {
        if !link_allowed(gw, ctx, v.assurance) {
            let zone = ctx.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default();
            tracing::info!(provider = %v.provider, zone = %zone, "unlinked eID refused outside the link zones");
            let body = pages::fill(EidMsg::LinkOnlyAtWorkBody.text(lang), &[]);
            let pctx = PageCtx { lang, user: None };
            let html = pages::layout(
                &pctx,
                EidMsg::LinkOnlyAtWorkTitle.text(lang),
                &format!(
                    "<div class=\"card\"><p role=\"alert\">{body}</p><p><a class=\"button\" href=\"/.portvakt/login\">{}</a></p></div>",
                    pages::fill(Msg::LoginAgain.text(lang), &[])
                ),
            );
            return Ok(Reply::html(403, html));
        }
        let token = gw.state.eid.park_for_link(&v).await.map_err(unavailable("eID flow store"))?;
        tracing::info!(provider = %v.provider, "eID verified, not linked yet: linking");
        return Ok(Reply::redirect("/.portvakt/eid/link")
            .header("set-cookie", gw.cookie_header(&gw.cookies.link, &token, false)));
    };
    log_in(gw, session, ctx, &account, &v).await
}

/// Starts the eID session for `account` ("realm:username") and sends the browser on.
async fn log_in(gw: &Gateway, session: &mut Session, ctx: &mut Ctx, account: &str, v: &Verified) -> Result<Reply> {
    let lang = ctx.lang(session.req_header());
    let (realm, username) = account.split_once(':').unwrap_or(("", account));
    let user = match gw.state.directory(Some(realm)) {
        Some(d) => d.lookup(username).await.map_err(unavailable("directory"))?,
        None => None,
    };
    let Some(user) = user else {
        tracing::warn!(account, provider = %v.provider, "eID is linked to an account the directory no longer has");
        return Ok(eid_page(lang, 403, pages::fill(EidMsg::AccountGone.text(lang), &[])));
    };
    if let Ok((old, _)) = gw.current_session(session.req_header(), ctx).await? {
        let _ = gw.state.sessions.end(&old).await;
    }
    let (id, rec) =
        gw.state.sessions.create_eid(&user, v.assurance, v.login()).await.map_err(unavailable("session store"))?;
    let zone = ctx.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default();
    tracing::info!(user = %rec.username, realm = %rec.realm, provider = %v.provider, acr = %v.acr, zone = %zone, "eID login");
    let target = after_login_target(gw, &v.rd);
    Ok(Reply::see_other(&target).header("set-cookie", gw.session_cookie(&id)))
}

/// The link cookie, its flow, and the second-factor key its code lives under.
async fn link_state(
    gw: &Gateway,
    session: &Session,
) -> Result<Option<(String, crate::eid::flow::LinkFlow, SessionKey)>> {
    let Some(token) = http::cookie(session.req_header(), &gw.cookies.link).filter(|t| valid_token(t)) else {
        return Ok(None);
    };
    let flow = gw.state.eid.link_flow(token).await.map_err(unavailable("eID flow store"))?;
    Ok(flow.map(|f| (token.to_string(), f, SessionKey(crate::eid::flow::hash(token)))))
}

fn link_reply(gw: &Gateway, ctx: &mut Ctx, session: &Session, status: u16, v: LinkView<'_>) -> Reply {
    let req = session.req_header();
    let (csrf, fresh) = prelogin_csrf(gw, req);
    let lang = ctx.lang(req);
    let pctx = PageCtx { lang, user: None };
    let minutes = (gw.state.second_factor.settings().code_lifetime.as_secs() / 60).max(1);
    let html = link_page(&pctx, &LinkView { csrf: &csrf, minutes, ..v });
    let mut r = Reply::html(status, html);
    if fresh {
        r = r.header("set-cookie", gw.cookie_header(&gw.cookies.csrf, &csrf, false));
    }
    r
}

fn link_expired(ctx: &mut Ctx, session: &Session) -> Reply {
    let lang = ctx.lang(session.req_header());
    eid_page(lang, 400, pages::fill(EidMsg::LinkExpired.text(lang), &[]))
}

/// GET /.portvakt/eid/link.
pub(super) async fn link_get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let Some((_, flow, _)) = link_state(gw, session).await? else {
        return Ok(link_expired(ctx, session));
    };
    let sent = flow.pending.as_ref().map(|(_, e)| e.as_str());
    Ok(link_reply(
        gw,
        ctx,
        session,
        200,
        LinkView { email: sent.unwrap_or(""), code_sent_to: sent, ..Default::default() },
    ))
}

/// The account whose e-mail is `email`, among the directories of the institution owning its domain.
enum EmailLookup {
    NotAnEmail,
    NotMunicipal(String),
    NoAccount,
    Found(crate::directory::User),
}

async fn account_by_email(gw: &Gateway, email: &str) -> Result<EmailLookup> {
    let Some((local, domain)) = email.rsplit_once('@') else { return Ok(EmailLookup::NotAnEmail) };
    if local.is_empty() || domain.is_empty() || email.len() > 254 || email.chars().any(char::is_whitespace) {
        return Ok(EmailLookup::NotAnEmail);
    }
    let domain = domain.to_ascii_lowercase();
    let institutions: Vec<_> = gw.state.cfg.institutions.iter().filter(|i| i.has_domain(&domain)).collect();
    if institutions.is_empty() {
        return Ok(EmailLookup::NotMunicipal(domain));
    }
    for d in &gw.state.directories {
        if !institutions.iter().any(|i| i.has_realm(d.name())) {
            continue;
        }
        if let Some(u) = d.find_by_email(email).await.map_err(unavailable("directory"))? {
            return Ok(EmailLookup::Found(u));
        }
    }
    Ok(EmailLookup::NoAccount)
}

/// POST /.portvakt/eid/link: `email` sends a code; `code` links and logs in.
pub(super) async fn link_post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let form = match read_form(gw, session, ctx).await? {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let cookie_token = http::cookie(session.req_header(), &gw.cookies.csrf).unwrap_or("");
    let field = |k: &str| form.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if cookie_token.is_empty() || !crate::session::token_eq(cookie_token, &field("csrf")) {
        return Ok(csrf_refused(gw, ctx, session));
    }
    let Some((token, mut flow, key)) = link_state(gw, session).await? else {
        return Ok(link_expired(ctx, session));
    };
    let lang = ctx.lang(session.req_header());
    if !link_allowed(gw, ctx, flow.assurance) {
        let body = pages::fill(EidMsg::LinkOnlyAtWorkBody.text(lang), &[]);
        return Ok(eid_page(lang, 403, body));
    }
    let code = field("code");
    if !code.is_empty() {
        let Some((account, email)) = flow.pending.clone() else {
            let msg = pages::fill(Msg::CodeNone.text(lang), &[]);
            return Ok(link_reply(gw, ctx, session, 400, LinkView { error: Some(msg), ..Default::default() }));
        };
        let verified =
            gw.state.second_factor.verify(&key, &account, &code).await.map_err(unavailable("challenge store"))?;
        let refill = |error: String, keep: bool| LinkView {
            email: &email,
            code_sent_to: keep.then_some(email.as_str()),
            error: Some(error),
            ..Default::default()
        };
        match verified {
            Ok(_) => {}
            Err(VerifyError::Wrong(left)) => {
                let msg = pages::fill(Msg::CodeWrong.text(lang), &[("tries", &left.to_string())]);
                return Ok(link_reply(gw, ctx, session, 400, refill(msg, true)));
            }
            Err(VerifyError::Locked(w)) => return Ok(too_many_attempts(gw, ctx, session, w)),
            Err(why) => {
                let m = match why {
                    VerifyError::Expired => Msg::CodeExpired,
                    VerifyError::TooManyTries => Msg::CodeTooManyTries,
                    _ => Msg::CodeNone,
                };
                return Ok(link_reply(gw, ctx, session, 400, refill(pages::fill(m.text(lang), &[]), false)));
            }
        }
        let link = EidLink {
            provider: flow.provider.clone(),
            person_id: flow.person_id.clone(),
            linked_at: gw.state.clock.now(),
        };
        match gw.state.accounts.link_eid(&account, link).await.map_err(unavailable("account store"))? {
            LinkOutcome::Linked => {}
            LinkOutcome::AlreadyLinked | LinkOutcome::PersonTaken => {
                let msg = pages::fill(EidMsg::AlreadyLinked.text(lang), &[]);
                return Ok(link_reply(gw, ctx, session, 409, refill(msg, false)));
            }
        }
        let _ = gw.state.eid.end_link_flow(&token).await;
        let title = gw.state.eid.provider(&flow.provider).map(|p| p.settings.title.clone()).unwrap_or_default();
        tracing::info!(account = %account, provider = %flow.provider, "eID linked");
        announce(gw, lang, Some(email.clone()), EidMsg::LinkedSubject, EidMsg::LinkedBody, &title);
        let v = Verified {
            provider: flow.provider.clone(),
            person_id: flow.person_id.clone(),
            assurance: flow.assurance,
            acr: flow.acr.clone(),
            id_token: flow.id_token.clone(),
            sid: flow.sid.clone(),
            rd: flow.rd.clone(),
        };
        let r = log_in(gw, session, ctx, &account, &v).await?;
        return Ok(r.header("set-cookie", gw.cookie_header(&gw.cookies.link, "", true)));
    }
    let email = field("email").to_lowercase();
    let refuse = |gw: &Gateway, ctx: &mut Ctx, status: u16, msg: String| {
        link_reply(gw, ctx, session, status, LinkView { email: &email, error: Some(msg), ..Default::default() })
    };
    let user = match account_by_email(gw, &email).await? {
        EmailLookup::Found(u) => u,
        EmailLookup::NotAnEmail => return Ok(refuse(gw, ctx, 400, pages::fill(EidMsg::NotAnEmail.text(lang), &[]))),
        EmailLookup::NotMunicipal(domain) => {
            tracing::info!(provider = %flow.provider, domain = %domain, "eID link refused: not a municipal domain");
            return Ok(refuse(gw, ctx, 400, pages::fill(EidMsg::PrivateDomain.text(lang), &[("domain", &domain)])));
        }
        EmailLookup::NoAccount => {
            return Ok(refuse(gw, ctx, 400, pages::fill(EidMsg::NoAccount.text(lang), &[("email", &email)])));
        }
    };
    let account = format!("{}:{}", user.realm, user.username);
    let existing = gw.state.accounts.get(&account).await.map_err(unavailable("account store"))?;
    if existing.eid.is_some() {
        return Ok(refuse(gw, ctx, 409, pages::fill(EidMsg::AlreadyLinked.text(lang), &[])));
    }
    let client_ip = ctx.client.and_then(|c| c.0);
    let refused = match gw.state.second_factor.precheck(&key, &account).await {
        Ok(()) => match gw.state.second_factor.limits.check(&email, false, &account, client_ip).await {
            Ok(()) => None,
            Err(crate::second_factor::limits::CheckError::Limit(hit)) => {
                Some(super::endpoints::limit_message(lang, hit))
            }
            Err(crate::second_factor::limits::CheckError::Store(e)) => return Err(unavailable("rate limit store")(e)),
        },
        Err(IssueError::Store(e)) => return Err(unavailable("challenge store")(e)),
        Err(e) => Some(super::endpoints::issue_refusal(gw, lang, &e)),
    };
    if let Some((msg, wait)) = refused {
        tracing::warn!(account = %account, "eID link code refused by a limit");
        let mut r = refuse(gw, ctx, 429, msg);
        if let Some(w) = wait {
            r = r.header("retry-after", w.as_secs().max(1).to_string());
        }
        return Ok(r);
    }
    let code =
        gw.state.second_factor.issue(key, &account, Channel::Email).await.map_err(unavailable("second factor"))?;
    let shown = crate::second_factor::code::display(&code);
    let minutes = (gw.state.second_factor.settings().code_lifetime.as_secs() / 60).max(1).to_string();
    let msg = EmailMessage {
        subject: EidMsg::CodeSubject.text(lang).to_string(),
        body: EidMsg::CodeBody.text(lang).replace("{code}", &shown).replace("{minutes}", &minutes),
    };
    let sent = match &gw.state.email {
        Some(s) => s.send(&email, &msg).await,
        None => Err(crate::notify::NotifyError::Unavailable("no [email] configured".into())),
    };
    if let Err(e) = sent {
        let _ = gw.state.second_factor.uncount_send(&key).await;
        tracing::warn!(account = %account, error = %e, "eID link code could not be sent");
        return Ok(refuse(gw, ctx, 503, pages::fill(Msg::SendFailedEmail.text(lang), &[])));
    }
    tracing::info!(account = %account, provider = %flow.provider, "eID link code sent");
    flow.pending = Some((account, email.clone()));
    gw.state.eid.update_link_flow(&token, flow).await.map_err(unavailable("eID flow store"))?;
    Ok(link_reply(gw, ctx, session, 200, LinkView { email: &email, code_sent_to: Some(&email), ..Default::default() }))
}

/// Sends a link or unlink notice to the account's e-mail, in the background.
fn announce(gw: &Gateway, lang: Lang, to: Option<String>, subject: EidMsg, body: EidMsg, provider: &str) {
    let (Some(to), Some(email)) = (to, gw.state.email.clone()) else { return };
    let time = gw.state.clock.now().utc_minute();
    let msg = EmailMessage {
        subject: subject.text(lang).to_string(),
        body: body.text(lang).replace("{provider}", provider).replace("{time}", &time),
    };
    tokio::spawn(async move {
        if let Err(e) = email.send(&to, &msg).await {
            tracing::warn!(error = %e, "could not announce an eID link change by e-mail");
        }
    });
}

/// The account page's eID card for a session.
pub fn account_card<'a>(
    gw: &'a Gateway,
    rec: &'a SessionRecord,
    link: Option<&'a EidLink>,
) -> Option<pages::eid::AccountEid<'a>> {
    if !gw.state.eid.enabled() {
        return None;
    }
    let linked = link.map(|l| {
        let title =
            gw.state.eid.provider(&l.provider).map(|p| p.settings.title.as_str()).unwrap_or(l.provider.as_str());
        (title, crate::eid::mask_person_id(&l.person_id), l.linked_at.utc_date())
    });
    Some(pages::eid::AccountEid { linked, csrf: &rec.csrf })
}

/// POST /.portvakt/account/eid/unlink: removes the link after the password is confirmed.
pub(super) async fn unlink(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Result<Reply> {
    let (_, rec, form) = match session_form(gw, session, ctx).await? {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let lang = ctx.lang(session.req_header());
    let account = account_key(&rec);
    let ok = match confirm_password(gw, ctx, session, &rec, &form).await? {
        Ok(ok) => ok,
        Err(r) => return Ok(r),
    };
    let render = |status, notice: Option<String>, errors: Vec<String>| AccountRender {
        status,
        phone1: "",
        phone2: "",
        notice,
        errors,
    };
    if !ok {
        let errors = vec![pages::fill(EidMsg::UnlinkPasswordWrong.text(lang), &[])];
        return account_reply(gw, ctx, session, &rec, render(400, None, errors)).await;
    }
    let removed = gw.state.accounts.unlink_eid(&account).await.map_err(unavailable("account store"))?;
    if let Some(l) = removed {
        // Sessions opened with the unlinked eID end now: a wrongly linked person must not keep access.
        let ended = gw
            .state
            .sessions
            .end_matching(&SessionFilter::EidOfUser { realm: &rec.realm, username: &rec.username })
            .await
            .map_err(unavailable("session store"))?;
        tracing::info!(user = %rec.username, provider = %l.provider, ended, "eID unlinked");
        let title = gw.state.eid.provider(&l.provider).map(|p| p.settings.title.clone()).unwrap_or(l.provider);
        announce(gw, lang, rec.email.clone(), EidMsg::UnlinkedSubject, EidMsg::UnlinkedBody, &title);
    }
    let notice = pages::fill(EidMsg::Unlinked.text(lang), &[]);
    if rec.eid.is_some() {
        // This very session was an eID login and has just ended.
        let pctx = PageCtx { lang, user: None };
        let body = format!(
            "<div class=\"card\"><p class=\"notice\" role=\"status\">{}</p><p><a class=\"button\" href=\"/.portvakt/login\">{}</a></p></div>",
            notice,
            pages::fill(Msg::LoginAgain.text(lang), &[])
        );
        return Ok(Reply::html(200, pages::layout(&pctx, EidMsg::AccountTitle.text(lang), &body))
            .header("set-cookie", gw.cookie_header(&gw.cookies.session, "", true)));
    }
    account_reply(gw, ctx, session, &rec, render(200, Some(notice), vec![])).await
}

/// GET /.portvakt/eid/frontchannel-logout?iss=..&sid=..: the provider ends our sessions of its session.
pub(super) async fn frontchannel_logout(gw: &Gateway, session: &mut Session, _ctx: &mut Ctx) -> Result<Reply> {
    let req = session.req_header();
    let (iss, sid) = (query_param(req, "iss").unwrap_or_default(), query_param(req, "sid").unwrap_or_default());
    let Some(p) = gw.state.eid.provider_by_issuer(&iss).cloned() else {
        return Ok(Reply::text(400, "unknown issuer\n"));
    };
    if sid.is_empty() || sid.len() > 512 {
        return Ok(Reply::text(400, "sid required\n"));
    }
    let origin = url::Url::parse(&p.settings.issuer).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    let sessions = gw.state.sessions.clone();
    let name = p.settings.name.clone();
    // Ending sessions is quick in memory but a round trip with Redis; the iframe need not wait for it.
    tokio::spawn(async move {
        match sessions.end_matching(&SessionFilter::EidSid { provider: &name, sid: &sid }).await {
            Ok(n) => tracing::info!(provider = %name, ended = n, "front-channel logout"),
            Err(e) => tracing::warn!(provider = %name, error = %e, "front-channel logout failed"),
        }
    });
    Ok(Reply::html(200, "<!doctype html><title>Logged out</title>\n".into()).framable_by(origin))
}
