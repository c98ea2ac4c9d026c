//! The second factor: choose where the code goes, send it ([`CodeSender`]), type it to step up.
//!
//! [`CodeSender`]: crate::services::codes::CodeSender

use super::login::needs_step_up;
use crate::audit;
use crate::gateway::extract::{self, LoggedIn};
use crate::gateway::handler::{
    account_key, after_login_target, code_refusal, to_login, unavailable, with_retry_after, Handled, HandlerError,
};
use crate::gateway::http::query_param;
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::notify::EmailMessage;
use crate::pages::{self, ChannelChoice, Msg, Notice, PageCtx, SecondFactorView, Text};
use crate::second_factor::{Channel, VerifyError};
use crate::services::codes::{CodeMessage, CodeRequest, SendOutcome};
use crate::session::{Invalid, SessionRecord};
use pingora::proxy::Session;
use pingora_http::RequestHeader;

/// A user's code channels: their registered numbers, then the directory's (LDAP `phone_attribute`), up to
/// [`crate::account::MAX_PHONES`] numbers in all, and their e-mail.
struct UserChannels {
    list: Vec<(Channel, String)>,
}

impl UserChannels {
    async fn load(gw: &Gateway, rec: &SessionRecord) -> Result<UserChannels, HandlerError> {
        let account = gw.state.accounts.get(&account_key(rec)).await.map_err(unavailable("account store"))?;
        let mut list = Vec::new();
        if gw.state.sms.is_some() {
            let country = &gw.state.cfg.accounts.default_country;
            let mut numbers: Vec<String> = Vec::new();
            let from_directory = rec.directory_phones.iter().filter_map(|p| match crate::phone::normalize(p, country, &[]) {
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
        Ok(UserChannels { list })
    }

    fn destination(&self, c: Channel) -> Option<&str> {
        self.list.iter().find(|(ch, _)| *ch == c).map(|(_, d)| d.as_str())
    }

    fn choices(&self, gw: &Gateway) -> Vec<ChannelChoice> {
        let country = &gw.state.cfg.accounts.default_country;
        self.list
            .iter()
            .map(|(c, d)| {
                let label = match c {
                    Channel::Sms(_) => Msg::ChannelSms.arg("number", crate::phone::mask(d, country)),
                    Channel::Email => Msg::ChannelEmail.arg("address", crate::phone::mask_email(d)),
                };
                ChannelChoice { value: c.as_str().to_string(), label }
            })
            .collect()
    }

    fn sent_message(&self, gw: &Gateway, c: Channel) -> Option<Text> {
        let dest = self.destination(c)?;
        let minutes = gw.codes().lifetime_minutes();
        Some(match c {
            Channel::Sms(_) => Msg::CodeSentSms
                .arg("number", crate::phone::mask(dest, &gw.state.cfg.accounts.default_country))
                .arg("minutes", minutes),
            Channel::Email => Msg::CodeSentEmail.arg("address", crate::phone::mask_email(dest)).arg("minutes", minutes),
        })
    }
}

struct Render<'a> {
    status: u16,
    rd: &'a str,
    selected: &'a str,
    sent: Option<Text>,
    error: Option<Notice>,
}

fn render(
    gw: &Gateway,
    ctx: &mut Ctx,
    req: &RequestHeader,
    rec: &SessionRecord,
    ch: &UserChannels,
    v: Render<'_>,
) -> Reply {
    let lang = ctx.lang(req);
    let choices = ch.choices(gw);
    let pctx = PageCtx { lang, user: Some((&rec.display_name, &rec.csrf)) };
    let buttons = gw.eid_buttons(ctx, lang);
    let html = pages::second_factor_page(
        &pctx,
        &SecondFactorView {
            channels: &choices,
            selected: v.selected,
            rd: v.rd,
            csrf: &rec.csrf,
            sent: v.sent,
            error: v.error,
            eid_providers: &buttons,
        },
    );
    Reply::html(v.status, html)
}

/// GET /.portvakt/second-factor?rd=URL: the channel choice, or on to `rd` when the login is already strong enough.
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let LoggedIn { id, rec } = extract::logged_in(gw, session, ctx).await?;
    let req = session.req_header();
    let rd = query_param(req, "rd").unwrap_or_default();
    let zone = ctx.zone.clone().unwrap_or_else(|| gw.state.zones.remote().clone());
    if crate::methods::is_two_factor(rec.methods, rec.assurance) && !needs_step_up(gw, req, &zone, &rec, &rd) {
        return Ok(Reply::redirect(&after_login_target(gw, &rd)));
    }
    let ch = UserChannels::load(gw, &rec).await?;
    let now = gw.state.clock.now();
    let max_tries = gw.state.second_factor.settings().max_tries;
    let pending = gw
        .state
        .second_factor
        .pending(&id.key())
        .await
        .map_err(unavailable("challenge store"))?
        .filter(|c| c.expires > now && c.failures < max_tries);
    let sent = pending.as_ref().and_then(|c| ch.sent_message(gw, c.channel));
    let selected = pending.map(|c| c.channel.as_str()).unwrap_or("");
    let v = Render { status: 200, rd: &rd, selected, sent, error: None };
    Ok(render(gw, ctx, session.req_header(), &rec, &ch, v))
}

/// POST /.portvakt/second-factor/send: `channel` (`sms:0`, `sms:1`, `email`).
pub async fn send(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (LoggedIn { id, rec }, form) = extract::session_form(gw, session, ctx).await?;
    let rd = form.get("rd");
    let ch = UserChannels::load(gw, &rec).await?;
    let lang = ctx.lang(session.req_header());
    let req = session.req_header();
    let fail = |gw: &Gateway, ctx: &mut Ctx, status: u16, selected: &str, error: Text| {
        render(gw, ctx, req, &rec, &ch, Render { status, rd, selected, sent: None, error: Some(error.into()) })
    };
    let chosen = Channel::parse(form.get("channel")).and_then(|c| ch.destination(c).map(|d| (c, d.to_string())));
    let Some((channel, dest)) = chosen else {
        return Ok(fail(gw, ctx, 400, "", Text::from(Msg::BadRequestBody)));
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
    match gw.codes().send(code_req, compose).await? {
        SendOutcome::Sent => {}
        SendOutcome::Refused(r) => {
            let (msg, wait) = code_refusal(gw, r);
            return Ok(with_retry_after(fail(gw, ctx, 429, channel.as_str(), msg), wait));
        }
        SendOutcome::NotDelivered(_) => {
            // The provider's failure is not the user's: the page offers the other way.
            let (msg, other) = match channel {
                Channel::Sms(_) => (Msg::SendFailedSms, "email"),
                Channel::Email => (Msg::SendFailedEmail, "sms:0"),
            };
            return Ok(fail(gw, ctx, 503, other, Text::from(msg)));
        }
    }
    let sent = ch.sent_message(gw, channel);
    let v = Render { status: 200, rd, selected: channel.as_str(), sent, error: None };
    Ok(render(gw, ctx, session.req_header(), &rec, &ch, v))
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
    let ch = UserChannels::load(gw, &rec).await?;
    let pending = gw.state.second_factor.pending(&key).await.ok().flatten();
    let (status, msg, keep_form) = match why {
        VerifyError::Wrong(left) => (200, Msg::CodeWrong.arg("tries", left), true),
        VerifyError::Expired => (200, Text::from(Msg::CodeExpired), false),
        VerifyError::TooManyTries => (200, Text::from(Msg::CodeTooManyTries), false),
        VerifyError::NoChallenge => (200, Text::from(Msg::CodeNone), false),
        VerifyError::Locked(w) => {
            let minutes = w.as_secs().div_ceil(60).max(1);
            (429, Msg::SecondFactorLocked.arg("minutes", minutes), false)
        }
    };
    let sent = if keep_form { pending.as_ref().and_then(|c| ch.sent_message(gw, c.channel)) } else { None };
    let selected = pending.map(|c| c.channel.as_str()).unwrap_or("");
    let v = Render { status, rd, selected, sent, error: Some(msg.into()) };
    Ok(render(gw, ctx, session.req_header(), &rec, &ch, v))
}
