//! The second factor: choose where the code goes, send it ([`CodeSender`]), type it to step up.
//!
//! [`CodeSender`]: crate::services::codes::CodeSender

use super::eid_login;
use super::login::target_decision;
use crate::access::{Decision, StepUp};
use crate::audit;
use crate::gateway::extract::{self, LoggedIn};
use crate::gateway::handler::{
    account_key, after_login_target, page_ctx, to_login, unavailable, with_retry_after, Handled, HandlerError,
};
use crate::gateway::http::{self, query_param};
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::notify::EmailMessage;
use crate::pages::eid::ProviderButton;
use crate::pages::{self, ChannelChoice, Lang, Msg, Notice, SecondFactorView, Text};
use crate::second_factor::limits::LimitHit;
use crate::second_factor::{Channel, VerifyError};
use crate::services::codes::{CodeMessage, CodeRequest, Refusal, SendOutcome, StepRefusal};
use crate::session::{Invalid, SessionRecord};
use pingora::proxy::Session;
use pingora_http::RequestHeader;
use std::time::Duration;

/// A user's code channels: their registered numbers, then the directory's (LDAP `phone_attribute`), up to
/// [`crate::account::MAX_PHONES`] numbers in all, and their e-mail.
struct UserChannels {
    list: Vec<(Channel, String)>,
    /// The provider of the eID linked to the account, if one is.
    eid_link: Option<String>,
}

impl UserChannels {
    async fn load(gw: &Gateway, rec: &SessionRecord) -> Result<UserChannels, HandlerError> {
        let account = gw.state.accounts.get(&account_key(rec)).await.map_err(unavailable("account store"))?;
        let mut list = Vec::new();
        if gw.state.sms.is_some() {
            // Directory numbers in national form are read in the gateway's default region, whatever the page's language.
            let region = gw.state.cfg.accounts.default_region;
            let mut numbers: Vec<String> = Vec::new();
            let from_directory = rec.directory_phones.iter().filter_map(|p| match crate::phone::normalize(p, region, &[]) {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::warn!(user = %rec.username, realm = %rec.realm, error = %e, "a directory phone number is not usable for codes");
                    None
                }
            });
            for n in account.phones.iter().cloned().chain(from_directory) {
                if numbers.len() < crate::account::MAX_PHONES && !numbers.contains(&n) {
                    numbers.push(n);
                }
            }
            for (i, p) in numbers.into_iter().enumerate() {
                list.push((Channel::Sms(u8::try_from(i).unwrap_or(0)), p));
            }
        }
        if let (Some(e), Some(_)) = (&rec.email, &gw.state.email) {
            list.push((Channel::Email, e.clone()));
        }
        Ok(UserChannels { list, eid_link: account.eid.as_ref().map(|l| l.provider.clone()) })
    }

    fn destination(&self, c: Channel) -> Option<&str> {
        self.list.iter().find(|(ch, _)| *ch == c).map(|(_, d)| d.as_str())
    }

    fn choices(&self, gw: &Gateway, lang: Lang) -> Vec<ChannelChoice> {
        let reader = lang.region(gw.state.cfg.accounts.default_region);
        self.list
            .iter()
            .map(|(c, d)| {
                let label = match c {
                    Channel::Sms(_) => Msg::ChannelSms.arg("number", crate::phone::mask(d, reader)),
                    Channel::Email => Msg::ChannelEmail.arg("address", crate::phone::mask_email(d)),
                };
                ChannelChoice { value: c.as_str().to_string(), label }
            })
            .collect()
    }

    fn sent_message(&self, gw: &Gateway, lang: Lang, c: Channel) -> Option<Text> {
        let dest = self.destination(c)?;
        let minutes = gw.codes().lifetime_minutes();
        Some(match c {
            Channel::Sms(_) => Msg::CodeSentSms
                .arg("number", crate::phone::mask(dest, lang.region(gw.state.cfg.accounts.default_region)))
                .arg("minutes", minutes),
            Channel::Email => Msg::CodeSentEmail.arg("address", crate::phone::mask_email(dest)).arg("minutes", minutes),
        })
    }
}

/// What the step-up page offers for its target: the ways that would let the request through and that this user has.
struct Offer {
    /// The step-up the target asks for; `None` when the target lets the session through already (a second factor
    /// asked for voluntarily: every channel and provider is offered).
    step: Option<StepUp>,
    /// The user's channels whose code would do.
    channels: UserChannels,
    /// eID providers that can give the level needed, each with the `level` it is asked for where above its own.
    eid: Vec<ProviderButton>,
}

impl Offer {
    fn new(gw: &Gateway, ctx: &Ctx, lang: Lang, ch: UserChannels, step: Option<StepUp>) -> Offer {
        let buttons = gw.eid_buttons(ctx, lang);
        let Some(s) = step else {
            return Offer { step: None, channels: ch, eid: buttons };
        };
        let list = ch.list.into_iter().filter(|(c, _)| s.codes.contains(c.method())).collect::<Vec<_>>();
        let mut eid = Vec::new();
        for mut b in buttons {
            let (Some(need), Some(p)) = (s.eid, gw.state.cfg.eid.providers.iter().find(|p| p.name == b.name)) else {
                continue;
            };
            // An eID login helps only when it can reach the level, and when it logs in (the eID is linked to this
            // account at this provider, or the provider names directory accounts itself) or can be linked here.
            let usable = ch.eid_link.as_deref() == Some(p.name.as_str())
                || p.entra.as_ref().is_some_and(|e| e.directory.is_some())
                || (ch.eid_link.is_none() && eid_login::link_allowed(gw, ctx, need));
            if crate::eid::best_assurance(p) >= need && usable {
                b.level = (need > p.min_assurance).then(|| need.as_str().to_string());
                eid.push(b);
            }
        }
        Offer { step: Some(s), channels: UserChannels { list, eid_link: ch.eid_link }, eid }
    }

    fn is_empty(&self) -> bool {
        self.channels.list.is_empty() && self.eid.is_empty()
    }
}

/// Why a send did not go out, carried in the redirect to the page (POST-redirect-GET): `r`, channel `c`, wait `w`.
fn refusal_query(r: Refusal) -> (&'static str, Option<Duration>) {
    match r {
        Refusal::Step(StepRefusal::Locked(w)) => ("locked", Some(w)),
        Refusal::Step(StepRefusal::ChallengeCap) | Refusal::Limit(LimitHit::Challenge) => ("cap", None),
        Refusal::Limit(LimitHit::Country) => ("country", None),
        Refusal::Limit(LimitHit::Cooldown(w)) => ("cooldown", Some(w)),
        Refusal::Limit(
            LimitHit::Destination(w) | LimitHit::Account(w) | LimitHit::Address(w) | LimitHit::Global(w),
        ) => ("limit", Some(w)),
    }
}

/// The notice for a send result named in the page's query, and the channel to preselect.
/// A refusal keeps the statuses a send had before POST-redirect-GET (README `[second_factor.limits]`): 429 with
/// `Retry-After` for a limit, 503 when the provider did not take the code; the page itself keeps the code field.
fn send_notice(gw: &Gateway, req: &RequestHeader) -> (Option<Notice>, Option<Channel>, u16, Option<Duration>) {
    let channel = query_param(req, "c").as_deref().and_then(Channel::parse);
    // Only the shown number of seconds comes from the query; a day at most.
    let mut wait = query_param(req, "w").and_then(|w| w.parse::<u64>().ok()).unwrap_or(0).min(86_400);
    // The wait ends at `u` (ms): a reload, Back or Forward after it shows the page as it is now, not a refusal
    // that no longer holds (a phone reloads the tab when its user comes back from the SMS app).
    if let Some(until) = query_param(req, "u").and_then(|u| u.parse::<u64>().ok()) {
        let left = crate::clock::Instant(until).since(gw.state.clock.now());
        if left.is_zero() {
            return (None, channel, 200, None);
        }
        wait = wait.min(left.as_secs() + u64::from(left.subsec_millis() > 0));
    }
    let minutes = wait.div_ceil(60).max(1);
    let text = match query_param(req, "r").as_deref() {
        Some("locked") => Msg::SecondFactorLocked.arg("minutes", minutes),
        Some("cap") => Msg::SendLimitReached.arg("minutes", gw.codes().lifetime_minutes()),
        Some("country") => Text::from(Msg::SendLimitCountry),
        Some("cooldown") => Msg::SendLimitCooldown.arg("seconds", wait.max(1)),
        // The code that went out moments ago belongs to another login (another browser, or a login made again):
        // this page has no field for it, so say why and when a code can be asked for here.
        Some("cooldown-other") => Msg::SendLimitCooldownElsewhere.arg("seconds", wait.max(1)),
        Some("limit") => Msg::SendLimitReached.arg("minutes", minutes),
        // The provider's failure is not the user's: the page preselects the other way.
        Some("failed") => {
            return match channel {
                Some(Channel::Email) => {
                    (Some(Text::from(Msg::SendFailedEmail).into()), Channel::parse("sms:0"), 503, None)
                }
                _ => (Some(Text::from(Msg::SendFailedSms).into()), Some(Channel::Email), 503, None),
            };
        }
        _ => return (None, channel, 200, None),
    };
    let retry = (wait > 0).then(|| Duration::from_secs(wait));
    (Some(text.into()), channel, 429, retry)
}

/// The step-up page for `rd`: the rule's words, the code part (with the code field whenever a sent code is still
/// good, whatever happened since) and the eID buttons, as the target needs; or, when nothing this user has can
/// satisfy the target, a 403 page that says what is needed and what to do (never a way round in circles).
#[allow(clippy::too_many_arguments)]
async fn page(
    gw: &Gateway,
    ctx: &mut Ctx,
    req: &RequestHeader,
    id: &crate::session::SessionId,
    rec: &SessionRecord,
    rd: &str,
    status: u16,
    error: Option<Notice>,
    selected: Option<Channel>,
) -> Handled {
    // Only a visit moves on by itself; an answer to a form shows what happened to it.
    let visit = error.is_none();
    let lang = ctx.lang(req);
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    let step = match target_decision(gw, req, &zone, rec, rd) {
        Decision::StepUp(s) => Some(s),
        Decision::Allow if visit && crate::methods::is_two_factor(rec.methods, rec.assurance) => {
            return Ok(Reply::redirect(&after_login_target(gw, rd)));
        }
        // Refused whatever the login: the target's own page says why.
        Decision::Deny(_) if visit => return Ok(Reply::redirect(&after_login_target(gw, rd))),
        Decision::Allow | Decision::Deny(_) => None,
    };
    let ch = UserChannels::load(gw, rec).await?;
    let offer = Offer::new(gw, ctx, lang, ch, step);
    let message = offer.step.as_ref().and_then(|s| s.message.as_ref()).and_then(|m| m.get(lang.code()));
    let needs_eid = offer.step.as_ref().filter(|s| !s.code_suffices()).and_then(|s| s.eid);
    if offer.is_empty() && offer.step.is_some() {
        let mut body: Vec<Notice> = Vec::new();
        match (message, needs_eid) {
            (Some(m), _) => body.push(Text::verbatim(m).into()),
            (None, Some(level)) => body.push(Msg::StepUpNeedsEid.arg("level", level.as_str()).into()),
            (None, None) => {}
        }
        let any_level =
            needs_eid.is_some_and(|l| gw.state.cfg.eid.providers.iter().any(|p| crate::eid::best_assurance(p) >= l));
        body.push(match needs_eid {
            Some(_) if any_level => Msg::EidLinkOnlyAtWorkBody.into(),
            Some(level) => Msg::StepUpEidNotOffered.arg("level", level.as_str()).into(),
            // The page the words name, one click away.
            None => Notice::from(Msg::NoChannels).with_link(pages::ACCOUNT_PATH, Msg::PhonesTitle),
        });
        tracing::info!(user = %rec.username, zone = %zone.name, rd, "step-up needed that this user cannot make here");
        return Ok(Reply::error_page_notices(gw, lang, 403, Msg::StepUpImpossibleTitle, body));
    }
    let now = gw.state.clock.now();
    let max_tries = gw.state.second_factor.settings().max_tries;
    let pending = gw
        .state
        .second_factor
        .pending(&id.key())
        .await
        .map_err(unavailable("challenge store"))?
        .filter(|c| c.expires > now && c.failures < max_tries)
        .filter(|c| offer.channels.destination(c.channel).is_some());
    let sent = pending.as_ref().and_then(|c| offer.channels.sent_message(gw, lang, c.channel));
    // When the destination's cooldown ends: the code went out a code lifetime before it expires.
    let resend_in = pending.as_ref().and_then(|c| {
        let lifetime = gw.state.second_factor.settings().code_lifetime;
        let cooldown = gw.state.second_factor.limits.settings().destination_cooldown;
        let sent_at =
            crate::clock::Instant(c.expires.0.saturating_sub(u64::try_from(lifetime.as_millis()).unwrap_or(0)));
        let left = sent_at.plus(cooldown).since(now);
        (left > Duration::ZERO).then(|| left.as_secs() + u64::from(left.subsec_millis() > 0))
    });
    let selected = selected.or(pending.as_ref().map(|c| c.channel)).map(Channel::as_str).unwrap_or("");
    let choices = offer.channels.choices(gw, lang);
    let lead = match (message, needs_eid) {
        (Some(m), _) => Some(Text::verbatim(m)),
        (None, Some(level)) => Some(Msg::StepUpNeedsEid.arg("level", level.as_str())),
        (None, None) => None,
    };
    let pctx = page_ctx(gw, ctx, req, Some((&rec.display_name, &rec.csrf)));
    let html = pages::second_factor_page(
        &pctx,
        &SecondFactorView {
            channels: &choices,
            selected,
            rd,
            csrf: &rec.csrf,
            sent,
            error,
            eid_providers: &offer.eid,
            lead,
            resend_in,
            eid_only: offer.step.as_ref().is_some_and(|s| !s.code_suffices()),
        },
    );
    Ok(Reply::html(status, html))
}

/// GET /.portvakt/second-factor?rd=URL: the ways to step up for `rd` (see [`page`]), or on to `rd` when the login is
/// already strong enough. After a send, `r`, `c` and `w` name its result.
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let LoggedIn { id, rec } = extract::logged_in(gw, session, ctx).await?;
    let req = session.req_header();
    let rd = query_param(req, "rd").unwrap_or_default();
    let (error, selected, status, retry) = send_notice(gw, req);
    Ok(with_retry_after(page(gw, ctx, req, &id, &rec, &rd, status, error, selected).await?, retry))
}

/// POST /.portvakt/second-factor/send: `channel` (`sms:0`, `sms:1`, `email`). Whatever the result, the answer is a
/// 303 to the page (POST-redirect-GET: reload and Back never send again), which keeps the code field while the code
/// already sent is good and names a refusal or failure from the query.
pub async fn send(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (LoggedIn { id, rec }, form) = extract::session_form(gw, session, ctx).await?;
    let rd = form.get("rd");
    let ch = UserChannels::load(gw, &rec).await?;
    let lang = ctx.lang(session.req_header());
    let chosen = Channel::parse(form.get("channel")).and_then(|c| ch.destination(c).map(|d| (c, d.to_string())));
    let Some((channel, dest)) = chosen else {
        let req = session.req_header();
        return page(gw, ctx, req, &id, &rec, rd, 400, Some(Text::from(Msg::BadRequestBody).into()), None).await;
    };
    let account = account_key(&rec);
    let minutes = gw.codes().lifetime_minutes();
    let compose = |code: &str| match channel {
        Channel::Sms(_) => CodeMessage::Sms(Msg::CodeSmsText.arg("code", code).arg("minutes", minutes).render(lang)),
        Channel::Email => CodeMessage::Email(EmailMessage {
            subject: Msg::CodeEmailSubject.text(lang),
            body: Msg::CodeEmailBody.arg("code", code).arg("minutes", minutes).render(lang),
        }),
    };
    let client = ctx.client.and_then(|c| c.0);
    let code_req = CodeRequest { key: id.key(), account: &account, channel, destination: &dest, client };
    let (mut result, wait) = match gw.codes().send(code_req, compose).await? {
        SendOutcome::Sent => ("sent", None),
        SendOutcome::Refused(r) => refusal_query(r),
        SendOutcome::NotDelivered(_) => ("failed", None),
    };
    if result == "cooldown" {
        let max_tries = gw.state.second_factor.settings().max_tries;
        let now = gw.state.clock.now();
        let own = gw.state.second_factor.pending(&id.key()).await.map_err(unavailable("challenge store"))?;
        if !own.is_some_and(|c| c.expires > now && c.failures < max_tries) {
            result = "cooldown-other";
        }
    }
    let mut loc = format!("/.portvakt/second-factor?rd={}&r={result}&c={}", http::url_encode(rd), channel.as_str());
    if let Some(w) = wait {
        let secs = w.as_secs().max(1);
        let until = gw.state.clock.now().plus(Duration::from_secs(secs));
        loc.push_str(&format!("&w={secs}&u={}", until.0));
    }
    Ok(Reply::see_other(&loc))
}

/// POST /.portvakt/second-factor/verify: `code`; right, the session steps up (with a new ID) and goes on to `rd`.
pub async fn verify(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (LoggedIn { id, rec }, form) = extract::session_form(gw, session, ctx).await?;
    let rd = form.get("rd");
    let account = account_key(&rec);
    let key = id.key();
    let who = audit::Who::user(&rec.username, &rec.realm).with_session(&key);
    let result =
        gw.codes().verify(&key, &account, form.get("code"), who).await.map_err(unavailable("challenge store"))?;
    let why = match result {
        Ok(channel) => {
            // Step-up checks the account again, whatever the refresh interval says.
            let Some(rec) = gw.refresh_account(&id, rec, true).await? else {
                // The account is gone or disabled in the directory: the session has ended; 303, as for every POST.
                return Ok(to_login(ctx, session.req_header(), Invalid::Missing).with_status(303));
            };
            let (new_id, _) = crate::services::sessions::step_up(&gw.state.sessions, &id, &rec, channel.method())
                .await
                .map_err(unavailable("session store"))?;
            let target = after_login_target(gw, rd);
            return Ok(Reply::see_other(&target).header("set-cookie", gw.session_cookie(&new_id)));
        }
        Err(why) => why,
    };
    tracing::info!(user = %rec.username, reason = ?why, "second factor refused");
    let pending = gw.state.second_factor.pending(&key).await.ok().flatten();
    let (status, msg) = match why {
        VerifyError::Wrong(left) => (200, Msg::CodeWrong.arg("tries", left)),
        VerifyError::Expired => (200, Text::from(Msg::CodeExpired)),
        VerifyError::TooManyTries => (200, Text::from(Msg::CodeTooManyTries)),
        VerifyError::NoChallenge => (200, Text::from(Msg::CodeNone)),
        VerifyError::Locked(w) => {
            let minutes = w.as_secs().div_ceil(60).max(1);
            (429, Msg::SecondFactorLocked.arg("minutes", minutes))
        }
    };
    // The code field stays while the code sent is still good (a wrong try); the page finds that out itself.
    let selected = pending.map(|c| c.channel);
    let req = session.req_header();
    // A wrong, expired or used-up code is an error about the code field.
    let notice = Notice::from(msg).about(if status == 429 { &[] } else { &["code"] });
    page(gw, ctx, req, &id, &rec, rd, status, Some(notice), selected).await
}
