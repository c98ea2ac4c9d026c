//! eID login: start at the provider, the provider's callback, and its front-channel logout.

use crate::access::{AccountAction, Actor};
use crate::audit;
use crate::audit::Who;
use crate::eid::{Callback, EidError, Start, Verified};
use crate::gateway::handler::{after_login_target, unavailable, Handled};
use crate::gateway::http::{self, query_param};
use crate::gateway::reply::Reply;
use crate::gateway::snapshots::EidAccount;
use crate::gateway::{Ctx, Gateway};
use crate::identity::AccountId;
use crate::methods::Assurance;
use crate::pages::{self, Lang, Msg, Text};
use crate::services::eid_login::{self, Refusal};
use crate::session::{Method, Methods, SessionFilter, SessionId};
use pingora::proxy::Session;

/// An eID error page with a way back to the login page.
pub fn eid_page(lang: Lang, status: u16, title: Msg, body: impl Into<Text>) -> Reply {
    Reply::message_page(lang, status, title, body.into(), true)
}

/// Whether a cookie value has the shape of our 256-bit tokens.
pub fn valid_token(t: &str) -> bool {
    t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether an eID with `assurance` may be linked from the zone of this request.
pub fn link_allowed(gw: &Gateway, ctx: &Ctx, assurance: Assurance) -> bool {
    let Some(zone) = ctx.zone.as_ref() else { return false };
    let who =
        Actor { user: "", groups: &[], realm: "", institution: None, methods: Methods::of(Method::Eid), assurance };
    let fallback = &gw.state.cfg.eid.link_zones;
    gw.state.access.account_action_allowed(AccountAction::LinkEid, &who, zone, gw.state.clock.now(), fallback)
}

/// GET /.portvakt/eid/start?provider=NAME&rd=URL: sends the browser to the provider.
pub async fn start(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let req = session.req_header();
    let lang = ctx.lang(req);
    let eid = &gw.state.eid;
    let name = query_param(req, "provider")
        .filter(|p| !p.is_empty())
        .or_else(|| gw.state.cfg.eid.providers.first().map(|p| p.name.clone()))
        .unwrap_or_default();
    let Some(provider) = eid.provider(&name) else {
        return Ok(Reply::error_page(gw, lang, 404, Msg::NotFoundTitle, Msg::NotFoundBody));
    };
    if !usable_here(&provider.settings, ctx) {
        return Ok(not_from_here(lang, &name));
    }
    let query: Vec<(String, String)> =
        req.uri.query().map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let rd = after_login_target(gw, &query_param(req, "rd").unwrap_or_default());
    // A browser that still holds a session cookie whose session has ended (idle timeout, lifetime) must log in
    // afresh at the provider too, or the provider's own single sign-on would undo our timeout.
    let had_session = http::cookie(req, &gw.cookies.session).and_then(SessionId::parse).is_some();
    let current = if had_session { Some(gw.current_session(req, ctx).await?) } else { None };
    // A step-up names the level its rule needs (`level=high`): the provider is asked for that level, and for a fresh
    // login when this session's eID level is below it (the provider may hold a single sign-on at the weaker level).
    let level = query_param(req, "level").as_deref().and_then(Assurance::parse).filter(|a| *a > Assurance::Low);
    let weaker = match &current {
        Some(Ok((_, rec))) => level.is_some_and(|l| rec.assurance < l),
        _ => false,
    };
    let prompt_login = matches!(current, Some(Err(_))) || weaker;
    let req = session.req_header();
    let (binding, fresh) = match http::cookie(req, &gw.cookies.eid) {
        Some(b) if valid_token(b) => (b.to_string(), false),
        _ => (SessionId::generate().as_str().to_string(), true),
    };
    let start =
        Start { provider: &name, rd: &rd, lang: lang.code(), prompt_login, level, binding: &binding, query: &query };
    let started = eid.start(&start).await;
    match started {
        Ok(url) => {
            let level = level.map(Assurance::as_str).unwrap_or("");
            tracing::info!(provider = %name, prompt_login, level, "eID login started");
            let r = Reply::redirect(&url);
            Ok(if fresh { r.header("set-cookie", gw.cookie_header(&gw.cookies.eid, &binding, false)) } else { r })
        }
        Err(e) => Ok(failure(lang, &name, e)),
    }
}

/// Whether the provider may be used from this request's zone (`zones` of the provider).
fn usable_here(p: &crate::eid::config::ProviderSettings, ctx: &Ctx) -> bool {
    ctx.zone.as_ref().is_some_and(|z| p.usable_in(&z.name))
}

/// The page for a provider that is not offered in this zone (403).
fn not_from_here(lang: Lang, provider: &str) -> Reply {
    tracing::info!(provider, "eID provider used outside its zones");
    eid_login::refused(provider, Refusal::ZoneNotAllowed, Assurance::None, audit::Who::default());
    eid_page(lang, 403, Msg::EidFailedTitle, Text::from(Msg::EidNotFromHere))
}

/// The page for a failed eID step, logged with its cause.
fn failure(lang: Lang, provider: &str, e: EidError) -> Reply {
    let (status, body) = match &e {
        EidError::UnknownProvider | EidError::FlowMissing => (400, Text::from(Msg::EidFlowMissing)),
        EidError::Denied { error, .. } if error == "access_denied" => (403, Text::from(Msg::EidCancelled)),
        EidError::Denied { error, .. } => {
            let shown: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
            (502, Msg::EidProviderError.arg("error", &shown))
        }
        EidError::Unavailable(_) => (502, Text::from(Msg::EidUnavailable)),
        EidError::IssuerMismatch(_) | EidError::CodeRefused(_) | EidError::InvalidToken(_) => {
            (400, Text::from(Msg::EidInvalid))
        }
        EidError::AcrTooLow { .. } => (403, Text::from(Msg::EidAcrTooLow)),
        EidError::Store(_) => (503, Text::from(Msg::UnavailableBody)),
    };
    if status >= 500 {
        tracing::error!(provider, error = %e, "eID login failed");
    } else {
        tracing::warn!(provider, error = %e, "eID login refused");
    }
    eid_login::failed(provider, &e);
    eid_page(lang, status, Msg::EidFailedTitle, body)
}

/// GET /.portvakt/eid/callback: the provider's answer. A linked eID logs in; an unlinked one goes to linking.
pub async fn callback(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
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
    let Some(settings) = gw.state.eid.provider(&v.provider).map(|p| p.settings.clone()) else {
        return Ok(failure(lang, "", EidError::UnknownProvider));
    };
    if !usable_here(&settings, ctx) {
        return Ok(not_from_here(lang, &v.provider));
    }
    if let Some(realm) = settings.maps_directly() {
        return mapped_log_in(gw, session, ctx, &settings, realm, &v).await;
    }
    let linked = gw.state.accounts.find_eid(&v.provider, &v.person_id).await.map_err(unavailable("account store"))?;
    if let Some(account) = linked {
        return log_in(gw, session, ctx, &account, &v).await;
    }
    if !link_allowed(gw, ctx, v.assurance) {
        let zone = ctx.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default();
        tracing::info!(provider = %v.provider, zone = %zone, "unlinked eID refused outside the link zones");
        eid_login::refused(&v.provider, Refusal::NotLinked, v.assurance, audit::Who::default());
        let body = Text::from(Msg::EidLinkOnlyAtWorkBody);
        return Ok(eid_page(lang, 403, Msg::EidLinkOnlyAtWorkTitle, body));
    }
    let token = gw.state.eid.park_for_link(&v).await.map_err(unavailable("eID flow store"))?;
    tracing::info!(provider = %v.provider, "eID verified, not linked yet: linking");
    Ok(Reply::redirect("/.portvakt/eid/link").header("set-cookie", gw.cookie_header(&gw.cookies.link, &token, false)))
}

/// `trust_directory_mapping`: the claim names the account in `realm` itself (by username, or by e-mail for
/// `person_claim = "email"`); no link step. An unknown account is refused, never linked by e-mail instead.
async fn mapped_log_in(
    gw: &Gateway,
    session: &mut Session,
    ctx: &mut Ctx,
    settings: &crate::eid::config::ProviderSettings,
    realm: &str,
    v: &Verified,
) -> Handled {
    let lang = ctx.lang(session.req_header());
    let found = match gw.state.directory(Some(realm)) {
        Some(d) if settings.person_claim_label() == "email" => d.find_by_email(&v.person_id).await,
        Some(d) => d.lookup(&crate::directory::normalize_username(&v.person_id)).await,
        None => Ok(None),
    };
    let user = match found {
        Ok(u) => u,
        Err(crate::directory::DirectoryError::Refused { .. }) => {
            tracing::warn!(provider = %v.provider, realm, "eID names a disabled account in the mapped directory");
            return Ok(account_disabled(lang, v, Who::default()));
        }
        Err(e) => return Err(unavailable("directory")(e)),
    };
    let Some(user) = user.filter(|u| u.realm == realm) else {
        tracing::warn!(provider = %v.provider, realm, "eID names no account in the mapped directory");
        eid_login::refused(&v.provider, Refusal::NoMappedAccount, v.assurance, audit::Who::default());
        return Ok(eid_page(lang, 403, Msg::EidFailedTitle, Text::from(Msg::EidNoMappedAccount)));
    };
    log_in(gw, session, ctx, &AccountId::new(&user.realm, &user.username).key(), v).await
}

/// The page for an eID that names a disabled account (403), recorded as `account_disabled`.
fn account_disabled(lang: Lang, v: &Verified, who: Who<'_>) -> Reply {
    eid_login::refused(&v.provider, Refusal::AccountDisabled, v.assurance, who);
    eid_page(lang, 403, Msg::EidFailedTitle, Text::from(Msg::AccountDisabled))
}

/// Starts the eID session for `account` ("realm:username") and sends the browser on.
pub async fn log_in(gw: &Gateway, session: &mut Session, ctx: &mut Ctx, account: &str, v: &Verified) -> Handled {
    let lang = ctx.lang(session.req_header());
    let id = AccountId::from_key(account);
    let (realm, username) = (id.realm.as_str(), id.username.as_str());
    // The directory's word, or while it does not answer the account's last-known entry within `outage_grace`.
    let (user, from_snapshot) = match gw
        .eid_account(realm, username)
        .await
        .map_err(unavailable("last-known directory entries"))?
    {
        EidAccount::Found(user, from_snapshot) => (user, from_snapshot),
        EidAccount::Gone => {
            tracing::warn!(account, provider = %v.provider, "eID is linked to an account the directory no longer has");
            eid_login::refused(&v.provider, Refusal::AccountGone, v.assurance, audit::Who::user(username, realm));
            let body = Text::from(Msg::EidAccountGone);
            return Ok(eid_page(lang, 403, Msg::EidFailedTitle, body));
        }
        EidAccount::Disabled => {
            tracing::warn!(account, provider = %v.provider, "eID is linked to an account the directory calls disabled");
            return Ok(account_disabled(lang, v, Who::user(username, realm)));
        }
        EidAccount::Unavailable(e) => return Err(unavailable("directory")(e)),
    };
    gw.end_current_session(session.req_header(), ctx).await?;
    let (id, rec) = eid_login::start_session(&gw.state.sessions, &user, v, from_snapshot)
        .await
        .map_err(unavailable("session store"))?;
    let zone = ctx.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default();
    tracing::info!(user = %rec.username, realm = %rec.realm, provider = %v.provider, acr = %v.acr, zone = %zone, "eID login");
    // A back-channel logout may name only `sub`: remember whose it is for as long as the session can live.
    let lifetime = gw.state.cfg.session.absolute_lifetime;
    if let Err(e) = gw.state.eid.remember_subject(&v.provider, &v.sub, account, lifetime).await {
        tracing::warn!(provider = %v.provider, error = %e, "eID subject not remembered for back-channel logout");
    }
    let target = after_login_target(gw, &v.rd);
    Ok(Reply::see_other(&target).header("set-cookie", gw.session_cookie(&id)))
}

/// GET /.portvakt/eid/frontchannel-logout?iss=..&sid=..: the provider ends our sessions of its session.
pub async fn frontchannel_logout(gw: &Gateway, session: &mut Session, _ctx: &mut Ctx) -> Handled {
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
    let observer = gw.state.observer.clone();
    // Ending sessions is quick in memory but a round trip with Redis; the iframe need not wait for it.
    tokio::spawn(async move {
        let filter = SessionFilter::EidSid { provider: &name, sid: &sid };
        match eid_login::end_sessions(&sessions, &observer, &filter).await {
            Ok(n) => tracing::info!(provider = %name, ended = n, "front-channel logout"),
            Err(e) => tracing::warn!(provider = %name, error = %e, "front-channel logout failed"),
        }
    });
    Ok(Reply::html(200, pages::frontchannel_logout_page()).framable_by(origin))
}

/// POST /.portvakt/eid/backchannel-logout (form field `logout_token`): the provider ends our sessions of its session
/// (`sid`) or of its subject (`sub`), on every instance sharing the store. 200 when the token is good (also when no
/// session matched), 400 with an OAuth error body when it is not or was used before, 503 when the store or the
/// provider's keys can't be reached (the provider may retry).
pub async fn backchannel_logout(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    use crate::eid::backchannel::{consume_jti, LogoutError};
    let form = crate::gateway::extract::form(gw, session, ctx).await?;
    let refuse = |status: u16, error: &str, why: &str| {
        let body = serde_json::json!({ "error": error, "error_description": why }).to_string();
        Reply::bytes(status, "application/json", body.into())
    };
    let l = match gw.state.eid.verify_logout_token(form.get("logout_token")).await {
        Ok(l) => l,
        Err(LogoutError::Unavailable(e)) => {
            tracing::error!(error = %e, "back-channel logout: provider or store unavailable");
            return Ok(refuse(503, "temporarily_unavailable", "try again later"));
        }
        Err(e) => {
            tracing::warn!(error = %e, "back-channel logout refused");
            return Ok(refuse(400, "invalid_request", &e.to_string()));
        }
    };
    match consume_jti(gw.state.stores.flows.as_ref(), &l).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(provider = %l.provider, "back-channel logout refused: {}", LogoutError::Replayed);
            return Ok(refuse(400, "invalid_request", &LogoutError::Replayed.to_string()));
        }
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout: store unavailable");
            return Ok(refuse(503, "temporarily_unavailable", "try again later"));
        }
    }
    let (sessions, observer) = (&gw.state.sessions, &gw.state.observer);
    let ended = match (&l.sid, &l.sub) {
        (Some(sid), _) => {
            eid_login::end_sessions(sessions, observer, &SessionFilter::EidSid { provider: &l.provider, sid }).await
        }
        (None, Some(sub)) => match gw.state.eid.subject_account(&l.provider, sub).await {
            Ok(Some(account)) => {
                let AccountId { realm, username } = AccountId::from_key(&account);
                let filter = SessionFilter::EidOfUser { realm: &realm, username: &username };
                eid_login::end_sessions(sessions, observer, &filter).await
            }
            Ok(None) => Ok(0),
            Err(e) => Err(e),
        },
        (None, None) => Ok(0),
    };
    match ended {
        Ok(n) => {
            tracing::info!(provider = %l.provider, by_sid = l.sid.is_some(), ended = n, "back-channel logout");
            Ok(Reply::bytes(200, "text/plain; charset=utf-8", bytes::Bytes::new()))
        }
        Err(e) => {
            tracing::error!(provider = %l.provider, error = %e, "back-channel logout: store unavailable");
            Ok(refuse(503, "temporarily_unavailable", "try again later"))
        }
    }
}
