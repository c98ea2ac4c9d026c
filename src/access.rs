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
    /// The login is too weak, and these ways of logging in again would let it through: send the user to step up.
    StepUp(StepUp),
    /// Refused; the reason is shown to the user.
    Deny(Denial),
}

/// The ways a session can step up to be let through, found by trying each on this request; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepUp {
    /// The one-time code methods (`sms`, `email`) whose code, added to this session, would do.
    pub codes: Methods,
    /// The least eID assurance an eID login would need to do, if one would.
    pub eid: Option<Assurance>,
    /// The rule that asks for the stronger login ("id (file:line)"), if a rule does.
    pub rule: Option<String>,
    /// That rule's message for users.
    pub message: Option<LocalizedMessage>,
}

impl StepUp {
    /// Whether a code would do.
    pub fn code_suffices(&self) -> bool {
        self.codes.iter().next().is_some()
    }
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

    /// The decision for a request. A step-up names the ways that would let the request through (each tried on the
    /// same request); a login too weak with no such way is denied with the deciding rule's message instead, so a
    /// user is never sent to a step-up that cannot help.
    pub fn decide(&self, f: &Facts<'_>) -> Decision {
        let guard = self.policies.load();
        let p = guard.as_deref();
        match raw_decision(p, f) {
            Raw::Allow => Decision::Allow,
            Raw::Deny(d) => Decision::Deny(d),
            Raw::StepUp { rule, message } => {
                let allowed = |methods: Methods, assurance: Assurance| {
                    matches!(raw_decision(p, &Facts { methods, assurance, ..*f }), Raw::Allow)
                };
                // A code is added to a password session; an eID login replaces the session.
                let mut codes = Methods::default();
                if f.methods.contains(Method::Password) {
                    for m in [Method::Sms, Method::Email] {
                        if allowed(f.methods.with(m), f.assurance) {
                            codes = codes.with(m);
                        }
                    }
                }
                // The least eID level that would do; above the session's own when it is an eID login already.
                let has_eid = f.methods.contains(Method::Eid);
                let eid = [Assurance::Substantial, Assurance::High]
                    .into_iter()
                    .filter(|a| !has_eid || *a > f.assurance)
                    .find(|a| allowed(Methods::of(Method::Eid), *a));
                if codes.iter().next().is_none() && eid.is_none() {
                    let kind = DenyKind::NoAccess;
                    return Decision::Deny(Denial { kind, rule, message });
                }
                Decision::StepUp(StepUp { codes, eid, rule, message })
            }
        }
    }

    /// The idle timeout for a zone and login: the policies' override, or `default`.
    pub fn idle_timeout(&self, zone: &str, methods: Methods, default: Duration) -> Duration {
        self.policies.load().as_ref().and_then(|p| p.idle_timeout(zone, methods)).unwrap_or(default)
    }
}

/// A decision before the ways to step up are looked for.
enum Raw {
    Allow,
    StepUp { rule: Option<String>, message: Option<LocalizedMessage> },
    Deny(Denial),
}

/// The decision of the policies (or, without them, the built-in rule) and the zone's floor.
fn raw_decision(p: Option<&PolicySet>, f: &Facts<'_>) -> Raw {
    {
        let Some(p) = p else {
            return if meets_floor(f.zone.login, f.methods, f.assurance) {
                Raw::Allow
            } else {
                Raw::StepUp { rule: None, message: None }
            };
        };
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
                Raw::StepUp { rule: None, message: None }
            }
            Verdict::Allow { .. } => Raw::Allow,
            Verdict::Deny { reason: DenyReason::NeedsStrongerLogin, rule, message } => {
                Raw::StepUp { rule: rule.map(|r| r.to_string()), message }
            }
            Verdict::Deny { rule, reason, message } => {
                let kind = match reason {
                    DenyReason::NotFromThisZone => DenyKind::Zone,
                    DenyReason::ClosedUntil(t) => DenyKind::ClosedUntil(t),
                    DenyReason::DeniedByRule => DenyKind::Rule,
                    DenyReason::NoMatchingAllow | DenyReason::NeedsStrongerLogin => DenyKind::NoAccess,
                };
                Raw::Deny(Denial { kind, rule: rule.map(|r| r.to_string()), message })
            }
        }
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
        self.account_action_decision(action, who, zone, at, fallback_zones) == Decision::Allow
    }

    /// The decision on `who` taking `action` from `zone` now: the action's policy rules when policies are configured
    /// (a refusal carries the rule's message, which says where the action can be taken), else `Allow` when the zone
    /// is one of `fallback_zones` and a [`DenyKind::Zone`] denial without a rule otherwise.
    pub fn account_action_decision(
        &self,
        action: AccountAction,
        who: &Actor<'_>,
        zone: &Zone,
        at: crate::clock::Instant,
        fallback_zones: &[String],
    ) -> Decision {
        if self.policies.load().is_none() {
            return if fallback_zones.contains(&zone.name) {
                Decision::Allow
            } else {
                Decision::Deny(Denial { kind: DenyKind::Zone, rule: None, message: None })
            };
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
        self.decide(&f)
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

/// The built-in rule: the zone's login requirement (its floor), with the ways to reach it.
pub fn builtin(zone: &Zone, methods: Methods, assurance: Assurance) -> Decision {
    let f = Facts {
        service: "",
        path: "/",
        case_insensitive: false,
        zone,
        user: "",
        groups: &[],
        realm: "",
        institution: None,
        methods,
        assurance,
        at: crate::clock::Instant(0),
        below_floor_allowed: false,
    };
    Access::default().decide(&f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::error::SourceFile;
    use crate::policy::CheckContext;

    fn is_step_up(d: &Decision) -> bool {
        matches!(d, Decision::StepUp(_))
    }

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
        assert!(is_step_up(&a.decide(&facts(&zone("remote", LoginRequirement::TwoFactor), pw, &g))));
        let two = pw.with(Method::Sms);
        assert_eq!(a.decide(&facts(&zone("remote", LoginRequirement::TwoFactor), two, &g)), Decision::Allow);
        let eid = Methods::of(Method::Eid);
        let remote = zone("r", LoginRequirement::TwoFactor);
        assert_eq!(builtin(&remote, eid, Assurance::Substantial), Decision::Allow);
        assert!(is_step_up(&builtin(&remote, eid, Assurance::Low)));
        assert!(is_step_up(&builtin(&zone("i", LoginRequirement::Password), Methods::default(), Assurance::None)));
    }

    /// A step-up names exactly the ways that would let the request through: a code and eID substantial for a
    /// password login outside; only eID high (with the rule's message) for a rule that needs high, whatever the
    /// session has; and a session already at the highest level that a rule still refuses is denied, not stepped up.
    #[test]
    fn step_up_names_the_ways_that_help() {
        let ctx = CheckContext {
            services: vec!["expense".into()],
            zones: vec!["internal".into(), "remote".into()],
            groups: None,
            ..Default::default()
        };
        let text = "[[rule]]\nid = \"high\"\nservices = [\"expense\"]\neffect = \"allow\"\nzones = [\"remote\"]\nmin_assurance = \"high\"\nmessage.en = \"needs high\"\n";
        let src = SourceFile { path: "p.toml".into(), text: text.into() };
        let a = Access::new(Some(PolicySet::from_sources(&[src], &ctx).unwrap()));
        let g: Vec<String> = vec![];
        let pw = Methods::of(Method::Password);
        let remote = zone("remote", LoginRequirement::TwoFactor);
        match builtin(&remote, pw, Assurance::None) {
            Decision::StepUp(s) => {
                assert_eq!(s.codes, Methods::of(Method::Sms).with(Method::Email));
                assert_eq!(s.eid, Some(Assurance::Substantial));
            }
            other => panic!("{other:?}"),
        }
        for (methods, assurance) in [
            (pw, Assurance::None),
            (pw.with(Method::Sms), Assurance::None),
            (Methods::of(Method::Eid), Assurance::Substantial),
        ] {
            match a.decide(&Facts { assurance, ..facts(&remote, methods, &g) }) {
                Decision::StepUp(s) => {
                    assert!(!s.code_suffices(), "{methods:?}");
                    assert_eq!(s.eid, Some(Assurance::High));
                    assert_eq!(s.message.as_ref().and_then(|m| m.get("en")), Some("needs high"));
                    assert!(s.rule.as_deref().unwrap_or("").starts_with("high "), "{s:?}");
                }
                other => panic!("{methods:?}: {other:?}"),
            }
        }
        let eid = Methods::of(Method::Eid);
        assert_eq!(a.decide(&Facts { assurance: Assurance::High, ..facts(&remote, eid, &g) }), Decision::Allow);
        let internal = zone("internal", LoginRequirement::Password);
        assert!(matches!(a.decide(&facts(&internal, pw, &g)), Decision::Deny(_)), "no rule inside: no step-up helps");
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
        assert!(is_step_up(&a.decide(&facts(&remote, pw, &g))));
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
        assert!(is_step_up(&a.decide(&facts(&remote, pw, &g))));
        assert_eq!(a.decide(&facts(&remote, pw.with(Method::Email), &g)), Decision::Allow);
        assert_eq!(a.decide(&Facts { below_floor_allowed: true, ..facts(&remote, pw, &g) }), Decision::Allow);
    }
}
