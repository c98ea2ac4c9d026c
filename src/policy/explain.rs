//! `portvakt explain`: the decision, each rule's part in it, and what would have turned a deny into an allow.

use super::window::{describe_instant, format_minutes};
use super::{
    normalize_path, AccessRequest, CompiledRule, Cond, DenyReason, Effect, Explanation, Facts, Login, LoginCond,
    PolicySet, Verdict, DEFAULT_TIMEZONE, LOOKAHEAD_DAYS,
};
use crate::methods::Method;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Builds the explanation for `req`.
pub(super) fn explain(set: &PolicySet, req: &AccessRequest<'_>) -> Explanation {
    let verdict = set.decide(req);
    let path = normalize_path(req.path, req.case_insensitive);
    let f = set.facts(req, &path);
    // A deny rule that matches now decides, also when it only holds until its window ends.
    let denied_now = set.by_service.get(req.service).and_then(|b| match set.evaluate(b, &f) {
        super::Outcome::Denied(r) => Some(r.rule_ref.clone()),
        _ => None,
    });
    let deciding = match &verdict {
        Verdict::Allow { rule } => Some(rule.clone()),
        Verdict::Deny { .. } => denied_now.clone(),
    };
    let mut reasons = Vec::new();
    let mut would_allow = Vec::new();
    let Some(b) = set.by_service.get(req.service) else {
        reasons.push(format!(
            "no rule mentions service \"{}\", and without a matching allow rule every request is denied",
            req.service
        ));
        return Explanation { verdict, deciding, reasons, would_allow };
    };
    for r in set.rules_of(&b.denies).chain(set.rules_of(&b.allows)) {
        reasons.push(rule_sentence(r, &f, req, set));
    }
    let reopen = if verdict.is_allow() { None } else { set.reopening(b, &f) };
    let reopen_tz = reopen.map(|(_, r)| display_tz(r, set, b));
    reasons.push(conclusion(&verdict, reopen_tz, denied_now.is_some()));
    if !verdict.is_allow() {
        let logins: Vec<Login> = set.stronger_logins(b, &f).map(|(l, _)| l).collect();
        if let Some(advice) = login_advice(&logins) {
            would_allow.push(advice);
        }
        let zones: Vec<&str> = set.other_zones(b, &f).map(|(z, _)| z).collect();
        if !zones.is_empty() {
            would_allow.push(format!("connect from zone {}", zones.join(" or ")));
        }
        if let (Some((t, _)), Some(tz)) = (reopen, reopen_tz) {
            let local = t.with_timezone(&tz).naive_local();
            would_allow.push(format!("try again after {} {}", local.format("%Y-%m-%d %H:%M"), tz.name()));
        }
    }
    Explanation { verdict, deciding, reasons, would_allow }
}

/// The time zone to show a reopening in: the allowing rule's, else that of a rule with windows for the service.
fn display_tz(r: &CompiledRule, set: &PolicySet, b: &super::Bucket) -> Tz {
    r.schedule
        .as_ref()
        .or_else(|| set.rules_of(&b.denies).chain(set.rules_of(&b.allows)).find_map(|r| r.schedule.as_ref()))
        .map(|s| s.tz)
        .unwrap_or(DEFAULT_TIMEZONE)
}

fn or_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| s.as_ref().to_string()).collect();
    match v.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// "two-factor logins using sms or email at eID assurance level high or higher".
fn login_condition(c: &LoginCond) -> String {
    let kind = match c.two_factor {
        Some(true) => "two-factor ",
        Some(false) => "single-factor ",
        None => "",
    };
    let using = c.methods.map(|m| format!(" using {}", or_list(m.iter().map(Method::as_str)))).unwrap_or_default();
    let level =
        c.min_assurance.map(|a| format!(" at eID assurance level {} or higher", a.as_str())).unwrap_or_default();
    format!("{kind}logins{using}{level}")
}

/// "password + sms" or "eid (assurance high)".
fn login_used(f: &Facts<'_>) -> String {
    let methods = f.methods.iter().map(Method::as_str).collect::<Vec<_>>().join(" + ");
    let methods = if methods.is_empty() { "no login method".to_string() } else { methods };
    if f.methods.contains(Method::Eid) {
        format!("{methods} (assurance {})", f.assurance.as_str())
    } else {
        methods
    }
}

fn rule_sentence(r: &CompiledRule, f: &Facts<'_>, req: &AccessRequest<'_>, set: &PolicySet) -> String {
    let who = &r.rule_ref;
    let verb = r.effect.verb();
    let list = |v: &[Box<str>]| or_list(v.iter().map(|s| &**s));
    match r.mismatch(f, true) {
        None => format!("rule {who} {verb} this request"),
        Some(Cond::Path) => format!(
            "rule {who} {verb} only paths under {}; this request is for {}",
            list(r.paths.as_deref().unwrap_or_default()),
            f.path
        ),
        Some(Cond::Zone) => {
            let zones = r
                .zones
                .as_deref()
                .unwrap_or_default()
                .iter()
                .filter_map(|&z| set.zones.get(usize::from(z)))
                .map(|z| &**z);
            format!("rule {who} {verb} only from zone {}; this request comes from zone {}", or_list(zones), req.zone)
        }
        Some(Cond::Group) => format!(
            "rule {who} {verb} only members of {}; user {} is in {}",
            list(r.groups.as_deref().unwrap_or_default()),
            req.user,
            if req.groups.is_empty() { "no group".to_string() } else { req.groups.join(", ") }
        ),
        Some(Cond::User) => format!(
            "rule {who} {verb} only the users {}; this is {}",
            list(r.users.as_deref().unwrap_or_default()),
            req.user
        ),
        Some(Cond::Realm) => format!(
            "rule {who} {verb} only users of realm {}; user {} logged in through realm {}",
            list(r.realms.as_deref().unwrap_or_default()),
            req.user,
            req.realm
        ),
        Some(Cond::Institution) => format!(
            "rule {who} {verb} only users of institution {}; user {} {}",
            list(r.institutions.as_deref().unwrap_or_default()),
            req.user,
            match req.institution {
                Some(i) => format!("belongs to institution {i}"),
                None => "belongs to no institution".to_string(),
            }
        ),
        Some(Cond::Login) => {
            format!("rule {who} {verb} only {}; this login used {}", login_condition(&r.login), login_used(f))
        }
        Some(Cond::Time) => time_sentence(r, f),
    }
}

fn time_sentence(r: &CompiledRule, f: &Facts<'_>) -> String {
    let who = &r.rule_ref;
    let Some(s) = &r.schedule else {
        return format!("rule {who} does not apply now");
    };
    match r.effect {
        Effect::Deny => format!("rule {who} denies only during {}; now is outside them", s.describe()),
        Effect::Allow => {
            let mut opens = Vec::new();
            let until = f.at + chrono::Duration::days(LOOKAHEAD_DAYS);
            s.boundaries(f.at, until, true, &mut opens);
            match opens.into_iter().min() {
                Some(t) => {
                    let local = t.with_timezone(&s.tz).naive_local();
                    let minutes =
                        u16::try_from(chrono::Timelike::num_seconds_from_midnight(&local.time()) / 60).unwrap_or(0);
                    format!(
                        "rule {who} allows from {} on {} ({}); it is closed now (windows: {})",
                        format_minutes(minutes),
                        day_and_date(t, s.tz),
                        s.tz.name(),
                        s.describe()
                    )
                }
                None => format!(
                    "rule {who} allows only during {}, and is closed for the next {LOOKAHEAD_DAYS} days",
                    s.describe()
                ),
            }
        }
    }
}

/// "Monday 2026-11-23".
fn day_and_date(t: DateTime<Utc>, tz: Tz) -> String {
    let full = describe_instant(tz, t);
    // "Monday 2026-11-23 07:00 Europe/Oslo": keep the day and the date.
    full.split(' ').take(2).collect::<Vec<_>>().join(" ")
}

fn conclusion(verdict: &Verdict, reopen_tz: Option<Tz>, denied_now: bool) -> String {
    match verdict {
        Verdict::Allow { rule } => format!("allowed by rule {rule}: no deny rule matches"),
        Verdict::Deny { rule, reason, .. } => {
            let rule = rule.as_ref().map(|r| r.to_string()).unwrap_or_else(|| "none".to_string());
            match reason {
                DenyReason::DeniedByRule => {
                    format!("denied by rule {rule}: a matching deny overrides any allow")
                }
                DenyReason::NeedsStrongerLogin => {
                    format!("denied: rule {rule} would allow this with a stronger login")
                }
                DenyReason::NotFromThisZone => {
                    format!("denied: rule {rule} would allow this from another zone")
                }
                DenyReason::ClosedUntil(t) if denied_now => {
                    let tz = reopen_tz.unwrap_or(DEFAULT_TIMEZONE);
                    format!(
                        "denied by rule {rule} until {}: a matching deny overrides any allow",
                        describe_instant(tz, *t)
                    )
                }
                DenyReason::ClosedUntil(t) => {
                    let tz = reopen_tz.unwrap_or(DEFAULT_TIMEZONE);
                    format!("denied: rule {rule} allows this from {}", describe_instant(tz, *t))
                }
                DenyReason::NoMatchingAllow => format!(
                    "denied: no allow rule matches, and neither a stronger login, another zone nor a later time \
                     (within {LOOKAHEAD_DAYS} days) would change that"
                ),
            }
        }
    }
}

/// "log in with a one-time code (sms or email) or eID", from the stronger logins that would be allowed.
fn login_advice(logins: &[Login]) -> Option<String> {
    let has = |m: Method| logins.iter().any(|l| l.methods.contains(m));
    let eid_substantial =
        logins.iter().any(|l| l.methods.contains(Method::Eid) && l.assurance == super::Assurance::Substantial);
    let code = match (has(Method::Sms), has(Method::Email)) {
        (true, true) => Some("a one-time code (sms or email)"),
        (true, false) => Some("a one-time code by sms"),
        (false, true) => Some("a one-time code by email"),
        (false, false) => None,
    };
    let eid = if eid_substantial {
        Some("eID")
    } else if has(Method::Eid) {
        Some("eID at assurance level high")
    } else {
        None
    };
    let parts: Vec<&str> = code.into_iter().chain(eid).collect();
    (!parts.is_empty()).then(|| format!("log in with {}", parts.join(" or ")))
}
