//! The account page: SMS numbers (changed only from allowed zones, after the password), and the eID link.

use crate::access::{AccountAction, Actor, Decision};
use crate::account::EidLink;
use crate::audit::Change;
use crate::gateway::extract::{self, LoggedIn};
use crate::gateway::handler::{account_key, page_ctx, unavailable, Handled};
use crate::gateway::reply::Reply;
use crate::gateway::{Ctx, Gateway};
use crate::notify::EmailMessage;
use crate::pages::{self, AccountView, Lang, Msg, Notice, PhoneRow, Text};
use crate::phone::PhoneError;
use crate::services::account_changes;
use crate::session::SessionRecord;
use pingora::proxy::Session;

/// What the account page shows besides the stored account.
struct Render<'a> {
    status: u16,
    phone1: &'a str,
    phone2: &'a str,
    notice: Option<Notice>,
    errors: Vec<Notice>,
}

impl Render<'_> {
    fn plain(status: u16, notice: Option<Notice>, errors: Vec<Notice>) -> Render<'static> {
        Render { status, phone1: "", phone2: "", notice, errors }
    }
}

/// Who asks, for the account-action rules.
fn actor(rec: &SessionRecord) -> Actor<'_> {
    Actor {
        user: &rec.username,
        groups: &rec.groups,
        realm: &rec.realm,
        institution: rec.institution.as_deref(),
        methods: rec.methods,
        assurance: rec.assurance,
    }
}

/// Whether this session may change its SMS numbers from the zone of this request: `Ok`, or what to tell the user
/// about where it can be done (the deciding rule's message, which names the networks, else the generic words).
fn phones_permission(gw: &Gateway, ctx: &Ctx, rec: &SessionRecord, lang: Lang) -> Result<(), Text> {
    let refused = |message: Option<&str>| message.map_or_else(|| Text::from(Msg::PhonesOnlyInternal), Text::verbatim);
    let Some(zone) = ctx.zone.as_ref() else { return Err(refused(None)) };
    let fallback = &gw.state.cfg.accounts.phone_zones;
    let now = gw.state.clock.now();
    match gw.state.access.account_action_decision(AccountAction::ChangePhones, &actor(rec), zone, now, fallback) {
        Decision::Allow => Ok(()),
        Decision::Deny(d) => Err(refused(d.message.as_ref().and_then(|m| m.get(lang.code())))),
        Decision::StepUp(s) => Err(refused(s.message.as_ref().and_then(|m| m.get(lang.code())))),
    }
}

/// Refuses an account change from a zone where it is not allowed: a 403 page that says from where it can be done.
fn refuse_zone(gw: &Gateway, ctx: &Ctx, rec: &SessionRecord, lang: Lang, where_: Text) -> Handled {
    let zone = ctx.zone.as_ref().map(|z| z.name.clone()).unwrap_or_default();
    tracing::warn!(user = %rec.username, zone = %zone, "number change refused outside the allowed zones");
    account_changes::refused(rec, Change::Phones, account_changes::Refusal::Zone);
    Ok(Reply::error_page(gw, lang, 403, Msg::ForbiddenTitle, where_))
}

/// The account page's eID card for a session (`None` without eID configured).
fn eid_card<'a>(
    gw: &'a Gateway,
    rec: &'a SessionRecord,
    link: Option<&'a EidLink>,
    lang: Lang,
) -> Option<pages::eid::AccountEid<'a>> {
    if !gw.state.eid.enabled() {
        return None;
    }
    let linked = link.map(|l| {
        let title =
            gw.state.eid.provider(&l.provider).map(|p| p.settings.title.as_str()).unwrap_or(l.provider.as_str());
        (title, crate::eid::mask_person_id(&l.person_id), crate::pages::dates::local_date(l.linked_at, lang))
    });
    Some(pages::eid::AccountEid { linked, csrf: &rec.csrf })
}

async fn render(gw: &Gateway, ctx: &mut Ctx, session: &Session, rec: &SessionRecord, v: Render<'_>) -> Handled {
    let account = gw.state.accounts.get(&account_key(rec)).await.map_err(unavailable("account store"))?;
    let lang = ctx.lang(session.req_header());
    let reader = lang.region(gw.state.cfg.accounts.default_region);
    let phones: Vec<PhoneRow> =
        account.phones.iter().map(|p| PhoneRow { masked: crate::phone::mask(p, reader), e164: p.clone() }).collect();
    let pctx = page_ctx(gw, ctx, session.req_header(), Some((&rec.display_name, &rec.csrf)));
    // Unless a failed form is shown again as typed, the fields hold the registered numbers: the form replaces the
    // whole list, so empty fields would delete a number the user only meant to keep (issue #16.3). They are shown as
    // the reader writes them (national form for a number of the page's country, else international with spaces),
    // which the save reads back as the same number.
    let (phone1, phone2) = if v.phone1.is_empty() && v.phone2.is_empty() {
        let stored = |i: usize| account.phones.get(i).map_or_else(String::new, |p| crate::phone::display(p, reader));
        (stored(0), stored(1))
    } else {
        (v.phone1.to_string(), v.phone2.to_string())
    };
    let example = reader.example_mobile().unwrap_or_default();
    let realm = gw.state.cfg.directories.iter().find(|d| d.name == rec.realm).map_or(rec.realm.as_str(), |d| &d.title);
    let refusal = phones_permission(gw, ctx, rec, lang).err();
    let html = pages::account_page(
        &pctx,
        &AccountView {
            username: &rec.username,
            realm,
            email: rec.email.as_deref(),
            phones: &phones,
            phone1: &phone1,
            phone2: &phone2,
            example: &example,
            can_edit: refusal.is_none(),
            refusal,
            csrf: &rec.csrf,
            notice: v.notice,
            errors: v.errors,
            eid: eid_card(gw, rec, account.eid.as_ref(), lang),
        },
    );
    Ok(Reply::html(v.status, html))
}

/// GET /.portvakt/account.
pub async fn get(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let rec = extract::logged_in(gw, session, ctx).await?.rec;
    let (notice, errors) = query_notice(session.req_header());
    render(gw, ctx, session, &rec, Render::plain(200, notice, errors)).await
}

/// `r=` of the redirect after the numbers were saved.
const SAVED: &str = "saved";
/// `r=` of the redirect after the eID link was removed (by a session that was not made with it).
pub const EID_UNLINKED: &str = "eid-unlinked";

/// Longest masked number a removal notice names (a masked E.164 number is far shorter).
const MAX_MASKED_LEN: usize = 32;

/// The notice a change's redirect names (POST-redirect-GET): `r=saved` (the numbers were saved),
/// `r=eid-unlinked`, `r=not-registered` (a removal of a number that was not there), or `removed=` the masked number.
/// Only fixed words and the characters a masked number has are shown, so a crafted link cannot put other words on
/// the page.
fn query_notice(req: &pingora_http::RequestHeader) -> (Option<Notice>, Vec<Notice>) {
    match crate::gateway::http::query_param(req, "r").as_deref() {
        Some(SAVED) => return (Some(Notice::from(Msg::PhonesSaved)), vec![]),
        Some(EID_UNLINKED) => return (Some(Notice::from(Msg::EidUnlinked)), vec![]),
        Some("not-registered") => return (None, vec![Notice::from(Msg::PhoneNotRegistered)]),
        _ => {}
    }
    let masked = crate::gateway::http::query_param(req, "removed").filter(|m| {
        !m.is_empty()
            && m.chars().count() <= MAX_MASKED_LEN
            && m.chars().all(|c| c.is_ascii_digit() || " +-()\u{2022}".contains(c))
    });
    (masked.map(|m| Notice::from(Msg::PhoneRemoved.arg("number", m))), vec![])
}

/// The typed numbers in E.164, or a message per number that is not one.
fn normalize_phones(gw: &Gateway, lang: Lang, typed: [&str; 2]) -> Result<Vec<String>, Vec<Notice>> {
    // A national number is read in the country of the page's language ("0701234567" on a Swedish page, "91234567"
    // on a Norwegian one); English pages use `[accounts] default_region`.
    let region = lang.region(gw.state.cfg.accounts.default_region);
    let allowed = &gw.state.cfg.second_factor.limits.allowed_prefixes;
    let (mut numbers, mut errors) = (Vec::new(), Vec::new());
    let fields: [&'static [&'static str]; 2] = [&["phone1"], &["phone2"]];
    for (t, field) in typed.into_iter().zip(fields).filter(|(t, _)| !t.is_empty()) {
        match crate::phone::normalize(t, region, allowed) {
            Ok(n) if !numbers.contains(&n) => numbers.push(n),
            Ok(_) => {}
            Err(e) => {
                let example = region.example_mobile().unwrap_or_default();
                let reason = match e {
                    PhoneError::NotDigits => Msg::PhoneReasonDigits.arg("example", example),
                    PhoneError::Length => Msg::PhoneReasonLength.into(),
                    PhoneError::Invalid => Msg::PhoneReasonInvalid.into(),
                    PhoneError::NotMobile => Msg::PhoneReasonNotMobile.into(),
                    PhoneError::Country => Msg::PhoneReasonCountry.into(),
                };
                errors.push(
                    Notice::from(Msg::PhoneInvalid.arg("input", t).arg("reason", reason.render(lang))).about(field),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(numbers)
    } else {
        Err(errors)
    }
}

/// POST /.portvakt/account/phones: `phone1`, `phone2`, `password`; refused (403) outside the allowed zones. Saved,
/// the answer is a 303 to the page, which says so; a refused form is shown again as typed, with its errors (400).
pub async fn phones(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (LoggedIn { rec, .. }, form) = extract::session_form(gw, session, ctx).await?;
    let lang = ctx.lang(session.req_header());
    if let Err(where_) = phones_permission(gw, ctx, &rec, lang) {
        return refuse_zone(gw, ctx, &rec, lang, where_);
    }
    let (phone1, phone2) = (form.trimmed("phone1"), form.trimmed("phone2"));
    let refill = |errors: Vec<Notice>| Render { status: 400, phone1: &phone1, phone2: &phone2, notice: None, errors };
    let too_many = || vec![Notice::from(Msg::PhonesTooMany).about(&["phone1", "phone2"])];
    let extra =
        form.iter().any(|(k, v)| k.starts_with("phone") && k != "phone1" && k != "phone2" && !v.trim().is_empty());
    if extra {
        return render(gw, ctx, session, &rec, refill(too_many())).await;
    }
    if !extract::confirm_password(gw, ctx, session, &rec, &form).await? {
        account_changes::refused(&rec, Change::Phones, account_changes::Refusal::WrongPassword);
        let errors = vec![Notice::from(Msg::PhonesPasswordWrong).about(&["password"])];
        return render(gw, ctx, session, &rec, refill(errors)).await;
    }
    let numbers = match normalize_phones(gw, lang, [&phone1, &phone2]) {
        Ok(n) if n.len() > crate::account::MAX_PHONES => {
            return render(gw, ctx, session, &rec, refill(too_many())).await
        }
        Ok(n) => n,
        Err(errors) => return render(gw, ctx, session, &rec, refill(errors)).await,
    };
    let accounts = gw.state.accounts.as_ref();
    let old = account_changes::set_phones(accounts, &rec, &account_key(&rec), numbers.clone()).await?;
    if old != numbers {
        announce_phone_change(gw, lang, &rec, old);
    }
    // POST-redirect-GET: Back and reload after saving show the page, never "Confirm Form Resubmission".
    Ok(Reply::see_other(&format!("{}?r={SAVED}", pages::ACCOUNT_PATH)))
}

/// How often a removal is tried again when the numbers changed between reading and writing them (another tab).
const REMOVE_ATTEMPTS: usize = 3;

/// POST /.portvakt/account/phones/remove: `phone` (a registered number, as the page's Remove button sends it);
/// removes that number only and answers 303 to the page, which says which number was removed (or that it was not
/// registered); refused (403) outside the allowed zones like any number change.
pub async fn remove_phone(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (LoggedIn { rec, .. }, form) = extract::session_form(gw, session, ctx).await?;
    let lang = ctx.lang(session.req_header());
    if let Err(where_) = phones_permission(gw, ctx, &rec, lang) {
        return refuse_zone(gw, ctx, &rec, lang, where_);
    }
    let number = form.trimmed("phone");
    let (accounts, key) = (gw.state.accounts.as_ref(), account_key(&rec));
    let mut base = accounts.get(&key).await.map_err(unavailable("account store"))?.phones;
    // The answers are redirects to the page (POST-redirect-GET): reload and Back never post the removal again.
    if !base.contains(&number) {
        return Ok(Reply::see_other(&format!("{}?r=not-registered", pages::ACCOUNT_PATH)));
    }
    // The store replaces the whole list: when another change came in between (the list written over is not the
    // one expected there), the removal is applied again to that list, so the other change is kept.
    let mut expected = base.clone();
    for _ in 0..REMOVE_ATTEMPTS {
        let kept: Vec<String> = base.iter().filter(|p| **p != number).cloned().collect();
        let old = account_changes::set_phones(accounts, &rec, &key, kept.clone()).await?;
        if old == expected {
            break;
        }
        (base, expected) = (old, kept);
    }
    announce_phone_change(gw, lang, &rec, base);
    let masked = crate::phone::mask(&number, lang.region(gw.state.cfg.accounts.default_region));
    Ok(Reply::see_other(&format!("{}?removed={}", pages::ACCOUNT_PATH, crate::canonical::url_encode(&masked))))
}

/// Tells the user, by e-mail and on every number registered before the change, that their numbers changed: a thief
/// who adds a number while keeping the owner's is announced on the owner's phone too.
fn announce_phone_change(gw: &Gateway, lang: Lang, rec: &SessionRecord, old: Vec<String>) {
    let time = crate::pages::dates::local_date_time(gw.state.clock.now(), lang);
    let msg = EmailMessage {
        subject: Msg::PhonesChangedSubject.text(lang),
        body: Msg::PhonesChangedBody.arg("time", time).render(lang),
    };
    crate::services::notify_in_background(gw.state.email.clone(), rec.email.clone(), msg, "number change");
    let Some(sms) = gw.state.sms.clone() else { return };
    let text = Msg::PhonesChangedSms.text(lang);
    tokio::spawn(async move {
        for n in &old {
            if let Err(e) = sms.send(n, &text).await {
                tracing::warn!(error = %e, "could not announce number change by SMS");
            }
        }
    });
}

/// POST /.portvakt/account/eid/unlink: `password`; removes the eID link and ends the sessions made with it, then
/// 303 to the account page (or, when this session was made with that eID and has ended, to the logged-out page),
/// which says the link was removed.
pub async fn eid_unlink(gw: &Gateway, session: &mut Session, ctx: &mut Ctx) -> Handled {
    let (LoggedIn { rec, .. }, form) = extract::session_form(gw, session, ctx).await?;
    let lang = ctx.lang(session.req_header());
    if !extract::confirm_password(gw, ctx, session, &rec, &form).await? {
        let errors = vec![Notice::from(Msg::EidUnlinkPasswordWrong).about(&["unlink-password"])];
        return render(gw, ctx, session, &rec, Render::plain(400, None, errors)).await;
    }
    let (accounts, sessions, observer) = (gw.state.accounts.as_ref(), &gw.state.sessions, &gw.state.observer);
    // Sessions opened with the unlinked eID end now: a wrongly linked person must not keep access.
    let removed = account_changes::unlink_eid(accounts, sessions, observer, &rec, &account_key(&rec)).await?;
    if let Some(l) = removed {
        let title = gw.state.eid.provider(&l.provider).map(|p| p.settings.title.clone()).unwrap_or(l.provider);
        super::eid_link::announce(gw, lang, rec.email.clone(), Msg::EidUnlinkedSubject, Msg::EidUnlinkedBody, &title);
    }
    // POST-redirect-GET, as after every change: Back and reload never post the unlink again.
    if rec.eid.is_some() {
        // This very session was an eID login and has just ended: the logged-out page says why.
        let to = format!("{}?r={EID_UNLINKED}", super::logout::LOGGED_OUT);
        return Ok(Reply::see_other(&to).header("set-cookie", gw.clear_session_cookie()));
    }
    Ok(Reply::see_other(&format!("{}?r={EID_UNLINKED}", pages::ACCOUNT_PATH)))
}
