//! The password login page: GET renders the form, POST checks the password ([`PasswordLogin`]) and starts a session.
//!
//! [`PasswordLogin`]: crate::services::login::PasswordLogin

use crate::access::{self, Decision};
use crate::directory::{normalize_username, DirectoryError};
use crate::gateway::extract;
use crate::gateway::handler::{page_ctx, too_many_attempts, unavailable, Handled, PORTAL};
use crate::gateway::http::{self, query_param, safe_redirect};
use crate::gateway::reply::Reply;
use crate::gateway::routing::Target;
use crate::gateway::{Ctx, Gateway};
use crate::pages::{self, LoginView, Msg, Notice};
use crate::services::login::LoginOutcome;
use crate::session::{Method, Methods, SessionRecord};
use crate::zones::Zone;
use pingora::proxy::Session;
use pingora_http::RequestHeader;

/// What a login page render needs beyond the gateway and request.
#[derive(Default)]
struct LoginRender<'a> {
    rd: &'a str,
    username: &'a str,
    realm: &'a str,
    error: Option<Notice>,
    notice: Option<Notice>,
    /// HTTP status; 0 means 200.
    status: u16,
}

fn render(gw: &Gateway, ctx: &mut Ctx, req: &RequestHeader, v: LoginRender<'_>) -> Reply {
    let (csrf, fresh) = extract::prelogin_csrf(gw, req);
    let pctx = page_ctx(gw, ctx, req, None);
    let buttons = gw.eid_buttons(ctx, pctx.lang);
    let html = pages::login_page(
        &pctx,
        &LoginView {
            rd: v.rd,
            csrf: &csrf,
            realms: &gw.state.realms,
            selected_realm: v.realm,
            username: v.username,
            error: v.error,
            notice: v.notice,
            password_help_url: gw.state.cfg.server.password_help_url.as_deref(),
            eid_providers: &buttons,
        },
    );
    let mut r = Reply::html(if v.status == 0 { 200 } else { v.status }, html);
    if fresh {
        r = r.header("set-cookie", gw.cookie_header(&gw.cookies.csrf, &csrf, false));
    }
    r
}

/// The realm a login page preselects: `?realm=` when it names one, else the realm whose `hosts` has this request's
/// host, else none (the first is shown first).
fn preselected_realm(gw: &Gateway, req: &RequestHeader) -> String {
    let known = |r: &str| gw.state.cfg.directories.iter().any(|d| d.name == r);
    if let Some(r) = query_param(req, "realm").filter(|r| known(r)) {
        return r;
    }
    let host = http::host_of(req).unwrap_or_default().into_owned();
    gw.state.cfg.directories.iter().find(|d| d.hosts.contains(&host)).map(|d| d.name.clone()).unwrap_or_default()
}

/// Longest idle timeout, in minutes, an `expired=` link may name (a week); larger or unreadable values name
/// `session.idle_timeout` instead.
const MAX_EXPIRED_MINUTES: u64 = 7 * 24 * 60;

/// GET /.portvakt/login?rd=URL[&realm=NAME][&expired=MINUTES]: after an idle logout, the notice names the timeout
/// that applied.
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let req = session.req_header();
    let rd = query_param(req, "rd").unwrap_or_default();
    let realm = preselected_realm(gw, req);
    let global = gw.state.cfg.session.idle_timeout.as_secs() / 60;
    let notice = query_param(req, "expired").map(|m| {
        let minutes = m.parse::<u64>().ok().filter(|m| (1..=MAX_EXPIRED_MINUTES).contains(m)).unwrap_or(global);
        Msg::SessionExpired.arg("minutes", minutes).into()
    });
    Ok(render(gw, ctx, req, LoginRender { rd: &rd, realm: &realm, notice, ..Default::default() }))
}

/// The username to check the password of: with `login_by_email` in the realm's directory, an e-mail address typed
/// as the username names the account that has it (then regulated and logged under its username, so guesses by
/// address and by name count together); anything else is the username as typed. `Err` when the directory does not
/// answer.
async fn login_name(gw: &Gateway, realm: &str, typed: &str) -> Result<String, ()> {
    let by_email = |name: &str| gw.state.cfg.directories.iter().any(|d| d.name == name && d.login_by_email);
    let Some(dir) = gw.state.directory(Some(realm)) else { return Ok(typed.to_string()) };
    if !typed.contains('@') || !by_email(dir.name()) {
        return Ok(typed.to_string());
    }
    match dir.find_by_email(typed).await {
        Ok(Some(user)) => Ok(user.username),
        // No account with this address (or two share it): the password is checked against the name as typed,
        // which fails in the same time as a wrong password. A disabled account likewise: the directory says so
        // only after a right password (AD's 533), never to a guess at an address.
        Ok(None) | Err(DirectoryError::Refused { .. }) => Ok(typed.to_string()),
        Err(e) => {
            tracing::error!(error = %e, realm = %dir.name(), "directory unavailable during login by e-mail address");
            Err(())
        }
    }
}

/// What a failed login says: the password or username is wrong; with several groups, also which groups there are,
/// after every failure alike, so it tells nothing about which of the three was wrong.
fn login_failed(gw: &Gateway, ctx: &mut Ctx, req: &RequestHeader) -> Notice {
    if gw.state.realms.len() < 2 {
        return Msg::LoginFailed.into();
    }
    let lang = ctx.lang(req);
    let groups: Vec<&str> = gw.state.realms.iter().map(|r| r.title.as_str()).collect();
    let hint = Msg::WrongGroupHint.arg("groups", groups.join(", ")).render(lang);
    Notice::from(pages::Text::verbatim(format!("{} {hint}", Msg::LoginFailed.text(lang))))
}

/// POST /.portvakt/login: `username`, `password`, `csrf`, `rd`, optional `realm`.
pub async fn post(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let form = extract::prelogin_form(gw, session, ctx).await?;
    let (rd, realm) = (form.get("rd"), form.get("realm"));
    let typed = normalize_username(form.get("username"));
    let client = ctx.client.and_then(|c| c.0);
    let outcome = match login_name(gw, realm, &typed).await {
        Ok(username) => gw.logins().attempt(realm, &username, form.get("password"), client).await?,
        Err(()) => LoginOutcome::DirectoryDown,
    };
    // A failed form is shown again with what was typed (the e-mail address, if that was it).
    let username = typed;
    let refill = |error: Notice, status: u16| LoginRender {
        rd,
        username: &username,
        realm,
        error: Some(error),
        notice: None,
        status,
    };
    let user = match outcome {
        LoginOutcome::Success(user) => user,
        LoginOutcome::Failed => {
            let msg = login_failed(gw, ctx, session.req_header()).about(&["username", "password"]);
            return Ok(render(gw, ctx, session.req_header(), refill(msg, 0)));
        }
        LoginOutcome::TooManyAttempts(wait) => return Ok(too_many_attempts(gw, ctx, session, wait)),
        LoginOutcome::Refused { reason, password_change_url } => {
            // One audit reason per AD code; one page per thing the user can do.
            let m = if reason.must_change_password() {
                Msg::PasswordMustChange
            } else if reason.disabled() {
                Msg::AccountDisabled
            } else {
                Msg::AccountLocked
            };
            let mut msg = Notice::from(m);
            if let (true, Some(url)) = (reason.must_change_password(), password_change_url) {
                msg = msg.with_link(url, Msg::PasswordChangeLink);
            }
            return Ok(render(gw, ctx, session.req_header(), refill(msg, 0)));
        }
        LoginOutcome::DirectoryDown => {
            // eID stays offered on the page.
            let msg = Notice::from(Msg::DirectoryDown);
            return Ok(render(gw, ctx, session.req_header(), refill(msg, 503)).header("retry-after", "60"));
        }
    };
    // What the directory just said is the account's last-known entry (eID during a directory outage).
    gw.remember_entry(&user).await;
    // A session the client already had is ended, never upgraded: the new login gets a new ID.
    gw.end_current_session(session.req_header(), ctx).await?;
    let (id, rec) = crate::services::sessions::create(&gw.state.sessions, &user, Methods::of(Method::Password))
        .await
        .map_err(unavailable("session store"))?;
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    let shown = client.map(|c| c.to_string()).unwrap_or_default();
    tracing::info!(user = %rec.username, client = %shown, zone = %zone.name, realm = %rec.realm, "login");
    let req = session.req_header();
    let target = safe_redirect(rd, &|h| gw.is_own_host(h)).unwrap_or_else(|| PORTAL.to_string());
    let location = if needs_step_up(gw, req, &zone, &rec, &target) {
        format!("/.portvakt/second-factor?rd={}", http::url_encode(&target))
    } else {
        target
    };
    Ok(Reply::see_other(&location).header("set-cookie", gw.session_cookie(&id)))
}

/// Whether, after a password login, the user should step up before going to `target`: when the target is a service
/// that needs a stronger login, or (for the portal and other pages) when the zone itself requires two factors.
pub fn needs_step_up(gw: &Gateway, req: &RequestHeader, zone: &Zone, rec: &SessionRecord, target: &str) -> bool {
    matches!(target_decision(gw, req, zone, rec, target), Decision::StepUp(_))
}

/// The decision the request to `target` will get with this session from this zone: the service's, or (for the
/// portal and other pages) the zone's floor.
pub fn target_decision(gw: &Gateway, req: &RequestHeader, zone: &Zone, rec: &SessionRecord, target: &str) -> Decision {
    let (host, path) = match url::Url::parse(target) {
        Ok(u) => (u.host_str().unwrap_or_default().to_ascii_lowercase(), u.path().to_string()),
        Err(_) => {
            (http::host_of(req).unwrap_or_default().into_owned(), target.split('?').next().unwrap_or("/").to_string())
        }
    };
    // The same canonical path and route the request to `target` will get.
    let resolved = gw.state.router.resolve(&host, &path).ok();
    let service = resolved.as_ref().and_then(|r| match r.target {
        Target::Service(i) => gw.state.cfg.services.get(i).map(|s| (s, r.path.as_str())),
        _ => None,
    });
    match service {
        Some((s, path)) => gw.state.access.decide(&gw.facts(zone, rec, &s.name, path)),
        None => access::builtin(zone, rec.methods, rec.assurance),
    }
}
