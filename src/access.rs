//! Access decisions: may this session open this service (or account action) from this zone now?
//!
//! Each zone names the login it needs (`password` for configured zones by default, `two_factor` for `remote`): the
//! zone's **floor**. Without `policies_dir` the floor is the only rule. With it, the policy files decide (see
//! `docs/policies.md`; the set is swapped atomically on reload), but they can only raise the floor: a login below
//! it is sent to step up whatever the rules say, unless the service names the zone in `allow_below_zone_floor`
//! (a config setting that `portvakt check` reports as a warning). Either way, a login too weak for the zone the
//! request comes from now is sent to step up, even if it was strong enough where it was made.

use crate::methods::{Method, Methods};
use crate::policy::{AccessRequest, Assurance, DenyReason, LocalizedMessage, PolicySet, Verdict};
use crate::zones::LoginRequirement;
use crate::zones::Zone;
use arc_swap::ArcSwapOption;
use std::sync::Arc;
use std::time::Duration;

/// The outcome of an access check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Forward the request.
    Allow,
    /// The login is too weak: send the user to the second-factor page.
    StepUp,
    /// Refused; the reason is shown to the user.
    Deny(Denial),
}

/// Why a request was refused, for the 403 page, the portal and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The kind of refusal.
    pub kind: DenyKind,
    /// The deciding rule ("id (file:line)"), if a rule decided.
    pub rule: Option<String>,
    /// The rule's message for users.
    pub message: Option<LocalizedMessage>,
}

/// The kinds of refusal users are told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyKind {
    /// Not from the network the request comes from.
    Zone,
    /// Closed now; opens at this instant.
    ClosedUntil(chrono::DateTime<chrono::Utc>),
    /// An explicit deny rule.
    Rule,
    /// No rule allows it.
    NoAccess,
}

/// The name of the built-in rule, for logs and `explain`.
pub const BUILTIN_RULE: &str = "builtin:zone-login";

/// The name `explain` gives a zone's floor when it overrides an allowing rule.
pub const FLOOR_RULE: &str = "builtin:zone-floor";

/// The facts of a request needed to decide on it.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Service name or account action.
    pub service: &'a str,
    /// Canonical request path.
    pub path: &'a str,
    /// The service's backend ignores letter case: policy paths match in any case.
    pub case_insensitive: bool,
    /// Zone of the request.
    pub zone: &'a Zone,
    /// Username.
    pub user: &'a str,
    /// Groups.
    pub groups: &'a [String],
    /// Realm (directory) of the session.
    pub realm: &'a str,
    /// Institution of the user, if known.
    pub institution: Option<&'a str>,
    /// Login methods.
    pub methods: Methods,
    /// eID assurance of the login.
    pub assurance: Assurance,
    /// Now.
    pub at: crate::clock::Instant,
    /// The service lets its policy rules decide below this zone's floor (`allow_below_zone_floor`).
    pub below_floor_allowed: bool,
}

/// Decides with the policy set in force, or the built-in rule.
#[derive(Debug, Default)]
pub struct Access {
    policies: ArcSwapOption<PolicySet>,
}

impl Access {
    /// Access with an initial policy set (`None`: the built-in rule).
    pub fn new(policies: Option<PolicySet>) -> Access {
        Access { policies: ArcSwapOption::new(policies.map(Arc::new)) }
    }

    /// Swaps in a new, already validated policy set; requests in flight keep the one they started with.
    pub fn replace(&self, policies: PolicySet) {
        self.policies.store(Some(Arc::new(policies)));
    }

    /// The policy set in force, if policies are configured.
    pub fn policies(&self) -> Option<Arc<PolicySet>> {
        self.policies.load_full()
    }

    /// The decision for a request.
    pub fn decide(&self, f: &Facts<'_>) -> Decision {
        let guard = self.policies.load();
        let Some(p) = guard.as_ref() else { return builtin(f.zone, f.methods, f.assurance) };
        let at = chrono::DateTime::from_timestamp_millis(i64::try_from(f.at.0).unwrap_or(i64::MAX)).unwrap_or_default();
        let req = AccessRequest {
            service: f.service,
            path: f.path,
            case_insensitive: f.case_insensitive,
            zone: &f.zone.name,
            user: f.user,
            groups: f.groups,
            realm: f.realm,
            institution: f.institution,
            methods: f.methods,
            assurance: f.assurance,
            at,
        };
        match p.decide(&req) {
            // The rules can raise the zone's floor, never lower it (unless the service says so in the config).
            Verdict::Allow { .. } if !f.below_floor_allowed && !meets_floor(f.zone.login, f.methods, f.assurance) => {
                Decision::StepUp
            }
            Verdict::Allow { .. } => Decision::Allow,
            Verdict::Deny { reason: DenyReason::NeedsStrongerLogin, .. } => Decision::StepUp,
            Verdict::Deny { rule, reason, message } => {
                let kind = match reason {
                    DenyReason::NotFromThisZone => DenyKind::Zone,
                    DenyReason::ClosedUntil(t) => DenyKind::ClosedUntil(t),
                    DenyReason::DeniedByRule => DenyKind::Rule,
                    DenyReason::NoMatchingAllow | DenyReason::NeedsStrongerLogin => DenyKind::NoAccess,
                };
                Decision::Deny(Denial { kind, rule: rule.map(|r| r.to_string()), message })
            }
        }
    }

    /// The idle timeout for a zone and login: the policies' override, or `default`.
    pub fn idle_timeout(&self, zone: &str, methods: Methods, default: Duration) -> Duration {
        self.policies.load().as_ref().and_then(|p| p.idle_timeout(zone, methods)).unwrap_or(default)
    }
}

/// Changes to an account that are allowed from some zones only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// Register or change the SMS numbers codes go to.
    ChangePhones,
    /// Link an eID to an account.
    LinkEid,
}

impl AccountAction {
    /// The name policy rules use for the action in `services`.
    pub fn policy_name(self) -> &'static str {
        match self {
            AccountAction::ChangePhones => crate::policy::ACCOUNT_PHONES,
            AccountAction::LinkEid => crate::policy::ACCOUNT_EID_LINK,
        }
    }
}

/// Who asks for an account action: the login's user, groups, methods and assurance.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Username (empty before the account is known, as when linking an eID).
    pub user: &'a str,
    /// Groups.
    pub groups: &'a [String],
    /// Realm (empty before the account is known).
    pub realm: &'a str,
    /// Institution, if known.
    pub institution: Option<&'a str>,
    /// Login methods.
    pub methods: Methods,
    /// eID assurance of the login.
    pub assurance: Assurance,
}

impl Access {
    /// Whether `who` may take `action` from `zone` now: the action's policy rules when policies are configured, else
    /// whether the zone is one of `fallback_zones` (the config's `[accounts] phone_zones` or `[eid] link_zones`).
    pub fn account_action_allowed(
        &self,
        action: AccountAction,
        who: &Actor<'_>,
        zone: &Zone,
        at: crate::clock::Instant,
        fallback_zones: &[String],
    ) -> bool {
        if self.policies.load().is_none() {
            return fallback_zones.contains(&zone.name);
        }
        let f = Facts {
            service: action.policy_name(),
            path: "/",
            case_insensitive: false,
            zone,
            user: who.user,
            groups: who.groups,
            realm: who.realm,
            institution: who.institution,
            methods: who.methods,
            assurance: who.assurance,
            at,
            below_floor_allowed: false,
        };
        self.decide(&f) == Decision::Allow
    }
}

/// Whether a login reaches a zone's floor: any password or eID login for `password`, two factors (or eID at
/// substantial or high) for `two_factor`.
pub fn meets_floor(floor: LoginRequirement, methods: Methods, assurance: Assurance) -> bool {
    match floor {
        LoginRequirement::Password => methods.contains(Method::Password) || methods.contains(Method::Eid),
        LoginRequirement::TwoFactor => crate::methods::is_two_factor(methods, assurance),
    }
}

/// What a floor asks for, in words for `portvakt explain`.
pub fn floor_words(floor: LoginRequirement) -> &'static str {
    match floor {
        LoginRequirement::Password => "a password login",
        LoginRequirement::TwoFactor => "password plus a one-time code (sms or email), or eid at substantial or high",
    }
}

/// The built-in rule: the zone's login requirement (its floor).
pub fn builtin(zone: &Zone, methods: Methods, assurance: Assurance) -> Decision {
    if meets_floor(zone.login, methods, assurance) {
        Decision::Allow
    } else {
        Decision::StepUp
    }
}

/// Formats an instant for users in the policies' default time zone, e.g. "07:00 Tue 24 Nov".
pub fn local_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&crate::policy::DEFAULT_TIMEZONE).format("%H:%M %a %-d %b").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::SourceFile;
    use crate::policy::CheckContext;

    fn zone(name: &str, login: LoginRequirement) -> Zone {
        Zone::new(name, login)
    }

    fn facts<'a>(zone: &'a Zone, methods: Methods, groups: &'a [String]) -> Facts<'a> {
        Facts {
            service: "expense",
            path: "/expense/",
            case_insensitive: false,
            zone,
            user: "anna",
            groups,
            realm: "staff",
            institution: None,
            methods,
            assurance: Assurance::None,
            at: crate::clock::Instant(1_795_420_800_000),
            below_floor_allowed: false,
        }
    }

    /// Password suffices inside; outside it needs a code or eID.
    #[test]
    fn builtin_rule() {
        let pw = Methods::of(Method::Password);
        let a = Access::default();
        let g: Vec<String> = vec![];
        assert_eq!(a.decide(&facts(&zone("internal", LoginRequirement::Password), pw, &g)), Decision::Allow);
        assert_eq!(a.decide(&facts(&zone("remote", LoginRequirement::TwoFactor), pw, &g)), Decision::StepUp);
        let two = pw.with(Method::Sms);
        assert_eq!(a.decide(&facts(&zone("remote", LoginRequirement::TwoFactor), two, &g)), Decision::Allow);
        let eid = Methods::of(Method::Eid);
        let remote = zone("r", LoginRequirement::TwoFactor);
        assert_eq!(builtin(&remote, eid, Assurance::Substantial), Decision::Allow);
        assert_eq!(builtin(&remote, eid, Assurance::Low), Decision::StepUp);
        assert_eq!(
            builtin(&zone("i", LoginRequirement::Password), Methods::default(), Assurance::None),
            Decision::StepUp
        );
    }

    /// With policies, a weak login maps to step-up, a foreign zone and a deny rule to denials, and a swap takes
    /// effect for the next decision.
    #[test]
    fn policies_map_to_decisions_and_swap() {
        let ctx = CheckContext {
            services: vec!["expense".into()],
            zones: vec!["internal".into(), "remote".into()],
            groups: None,
            ..Default::default()
        };
        let src = |t: &str| SourceFile { path: "p.toml".into(), text: t.into() };
        let allow = "[[rule]]\nid = \"a\"\nservices = [\"expense\"]\neffect = \"allow\"\nzones = [\"internal\"]\n\n[[rule]]\nid = \"b\"\nservices = [\"expense\"]\neffect = \"allow\"\nzones = [\"remote\"]\ntwo_factor = true\n";
        let a = Access::new(Some(PolicySet::from_sources(&[src(allow)], &ctx).unwrap()));
        let g: Vec<String> = vec![];
        let pw = Methods::of(Method::Password);
        let remote = zone("remote", LoginRequirement::TwoFactor);
        let internal = zone("internal", LoginRequirement::Password);
        assert_eq!(a.decide(&facts(&internal, pw, &g)), Decision::Allow);
        assert_eq!(a.decide(&facts(&remote, pw, &g)), Decision::StepUp);
        let stricter = "[[rule]]\nid = \"a\"\nservices = [\"expense\"]\neffect = \"allow\"\nzones = [\"internal\"]\n";
        a.replace(PolicySet::from_sources(&[src(stricter)], &ctx).unwrap());
        match a.decide(&facts(&remote, pw.with(Method::Sms), &g)) {
            Decision::Deny(d) => assert_eq!(d.kind, DenyKind::Zone),
            other => panic!("{other:?}"),
        }
    }

    /// A rule with no conditions cannot lower a zone's floor: password from a two-factor zone steps up, unless the
    /// service allows it below the floor; two factors pass either way.
    #[test]
    fn rules_cannot_lower_the_floor() {
        let ctx = CheckContext {
            services: vec!["expense".into()],
            zones: vec!["remote".into()],
            groups: None,
            ..Default::default()
        };
        let src = SourceFile {
            path: "p.toml".into(),
            text: "[[rule]]\nid = \"any\"\nservices = [\"expense\"]\neffect = \"allow\"\n".into(),
        };
        let a = Access::new(Some(PolicySet::from_sources(&[src], &ctx).unwrap()));
        let g: Vec<String> = vec![];
        let pw = Methods::of(Method::Password);
        let remote = zone("remote", LoginRequirement::TwoFactor);
        assert_eq!(a.decide(&facts(&remote, pw, &g)), Decision::StepUp);
        assert_eq!(a.decide(&facts(&remote, pw.with(Method::Email), &g)), Decision::Allow);
        assert_eq!(a.decide(&Facts { below_floor_allowed: true, ..facts(&remote, pw, &g) }), Decision::Allow);
    }
}
