//! Static analysis of compiled rules: rules whose login conditions no login Portvakt issues can meet, and allow
//! rules that a deny rule always overrides. Value-level problems (unknown names, bad times, empty lists) are found
//! while compiling, in [`super::compile`].
//!
//! Both analyses reason over the logins Portvakt issues (password; password + SMS or e-mail code; eID at
//! substantial or high), so they are exact for those and never flag a rule some real login could match.

use super::{path_under, CompiledRule, Effect, Login};
use crate::config::error::ConfigError;
use crate::methods::Method;

/// Every problem found across `rules`.
pub(super) fn analyse(rules: &[CompiledRule]) -> Vec<ConfigError> {
    let mut errors: Vec<ConfigError> = rules.iter().filter_map(unsatisfiable_login).collect();
    errors.extend(
        rules.iter().filter(|a| a.effect == Effect::Allow && admits_some_login(a)).filter_map(|a| shadowed(a, rules)),
    );
    errors
}

fn admits_some_login(r: &CompiledRule) -> bool {
    Login::issued().iter().any(|l| r.login.admits(l.methods, l.assurance))
}

fn error(r: &CompiledRule, at: Option<(usize, usize)>, message: String) -> ConfigError {
    ConfigError { file: r.rule_ref.file.clone(), position: Some(at.unwrap_or((r.rule_ref.line, r.col))), message }
}

/// A rule whose `methods`, `two_factor` and `min_assurance` no issued login meets together.
fn unsatisfiable_login(r: &CompiledRule) -> Option<ConfigError> {
    if admits_some_login(r) {
        return None;
    }
    let c = &r.login;
    let s = &r.sites;
    let without_eid = c.methods.is_some_and(|m| !m.contains(Method::Eid));
    let (at, why) = if c.min_assurance.is_some() && without_eid {
        (
            s.min_assurance,
            "min_assurance applies only to eID logins, but methods does not include \"eid\"; add \"eid\" to \
             methods or remove min_assurance"
                .to_string(),
        )
    } else if c.min_assurance.is_some() && c.two_factor == Some(false) {
        (
            s.two_factor,
            "min_assurance needs an eID login, and an eID login is always two-factor, but two_factor = false; \
             remove one of them"
                .to_string(),
        )
    } else if c.two_factor == Some(false) {
        (
            s.two_factor,
            format!(
                "every login that uses {} is two-factor (a code always follows a password, and eID counts as two \
                 factors), but two_factor = false; remove two_factor or add \"password\" to methods",
                c.methods.map(|m| m.header_value()).unwrap_or_default()
            ),
        )
    } else {
        (
            s.methods.or(s.two_factor).or(s.min_assurance),
            "no login Portvakt issues (password; password + SMS or e-mail code; eID) meets methods, two_factor and \
             min_assurance together"
                .to_string(),
        )
    };
    Some(error(r, at, format!("rule \"{}\" can never match: {why}", r.rule_ref.id)))
}

/// Whether `sub` is present and a subset of `sup`, or `sup` is absent (no condition).
fn within<T: PartialEq>(sub: Option<&[T]>, sup: Option<&[T]>) -> bool {
    match (sub, sup) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a.iter().all(|x| b.contains(x)),
    }
}

/// Whether deny rule `d` (without windows) matches every request allow rule `a` matches, for a shared service.
fn covers(d: &CompiledRule, a: &CompiledRule) -> bool {
    let paths = match (&a.paths, &d.paths) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(ap), Some(dp)) => ap.iter().all(|p| dp.iter().any(|q| path_under(p, q))),
    };
    paths
        && within(a.zones.as_deref(), d.zones.as_deref())
        && within(a.groups.as_deref(), d.groups.as_deref())
        && within(a.users.as_deref(), d.users.as_deref())
        && within(a.realms.as_deref(), d.realms.as_deref())
        && within(a.institutions.as_deref(), d.institutions.as_deref())
        && Login::issued()
            .iter()
            .filter(|l| a.login.admits(l.methods, l.assurance))
            .all(|l| d.login.admits(l.methods, l.assurance))
}

/// An allow rule that, for every one of its services, some deny rule without windows always overrides.
fn shadowed(a: &CompiledRule, rules: &[CompiledRule]) -> Option<ConfigError> {
    let mut by: Vec<(&str, &CompiledRule)> = Vec::new();
    for s in a.services.iter() {
        let d = rules
            .iter()
            .find(|d| d.effect == Effect::Deny && d.schedule.is_none() && d.services.contains(s) && covers(d, a))?;
        by.push((s, d));
    }
    let first = by.first()?.1;
    let single = by.iter().all(|(_, d)| std::ptr::eq(*d, first));
    let verb = if single { "matches" } else { "match" };
    let denies = if single {
        format!("deny rule \"{}\" ({}:{})", first.rule_ref.id, first.rule_ref.file.display(), first.rule_ref.line)
    } else {
        let parts: Vec<String> = by
            .iter()
            .map(|(s, d)| format!("\"{}\" ({}:{}) for {s}", d.rule_ref.id, d.rule_ref.file.display(), d.rule_ref.line))
            .collect();
        format!("deny rules {}", parts.join(", "))
    };
    Some(error(
        a,
        None,
        format!(
            "allow rule \"{}\" can never take effect: {denies} {verb} every request it allows, and deny overrides \
             allow; narrow the deny (zones, groups, users, paths, login or windows) or remove this allow",
            a.rule_ref.id
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::compile::tests::problems_in;
    use super::super::CheckContext;

    fn ctx() -> CheckContext {
        CheckContext {
            services: ["self-service", "expense", "signing"].map(String::from).to_vec(),
            zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
            groups: None,
            ..Default::default()
        }
    }

    fn problems(text: &str) -> Vec<String> {
        problems_in(&[("policies/a.toml", text)], &ctx())
    }

    fn rule(id: &str, effect: &str, extra: &str) -> String {
        format!("[[rule]]\nid = \"{id}\"\nservices = [\"expense\"]\neffect = \"{effect}\"\n{extra}")
    }

    /// min_assurance with methods that exclude eid can never match; the error points at min_assurance.
    #[test]
    fn assurance_without_eid() {
        assert_eq!(
            problems(&rule("r", "allow", "methods = [\"password\", \"sms\"]\nmin_assurance = \"high\"\n")),
            vec![
                "policies/a.toml:6:17: rule \"r\" can never match: min_assurance applies only to eID logins, but \
                 methods does not include \"eid\"; add \"eid\" to methods or remove min_assurance"
            ]
        );
    }

    /// two_factor = false contradicts min_assurance, and methods that are always two-factor.
    #[test]
    fn single_factor_contradictions() {
        assert_eq!(
            problems(&rule("r", "deny", "two_factor = false\nmin_assurance = \"substantial\"\n")),
            vec![
                "policies/a.toml:5:14: rule \"r\" can never match: min_assurance needs an eID login, and an eID login \
                 is always two-factor, but two_factor = false; remove one of them"
            ]
        );
        assert_eq!(
            problems(&rule("r", "deny", "methods = [\"sms\", \"eid\"]\ntwo_factor = false\n")),
            vec![
                "policies/a.toml:6:14: rule \"r\" can never match: every login that uses sms,eid is two-factor (a code \
                 always follows a password, and eID counts as two factors), but two_factor = false; remove \
                 two_factor or add \"password\" to methods"
            ]
        );
    }

    /// `methods = ["password"]` with `two_factor = true` matches password + code logins, so it is accepted.
    #[test]
    fn password_and_two_factor_is_satisfiable() {
        assert!(problems(&rule("r", "allow", "methods = [\"password\"]\ntwo_factor = true\n")).is_empty());
    }

    /// An allow that a window-less, no-narrower deny always overrides is flagged at the allow, naming the deny.
    #[test]
    fn shadowed_allow() {
        let text = format!(
            "{}\n{}",
            rule("closed", "deny", "zones = [\"remote\", \"internal\"]\n"),
            rule("remote-staff", "allow", "zones = [\"remote\"]\ngroups = [\"staff\"]\ntwo_factor = true\n")
        );
        assert_eq!(
            problems(&text),
            vec![
                "policies/a.toml:7:1: allow rule \"remote-staff\" can never take effect: deny rule \"closed\" \
                 (policies/a.toml:1) matches every request it allows, and deny overrides allow; narrow the deny \
                 (zones, groups, users, paths, login or windows) or remove this allow"
            ]
        );
    }

    /// Shadowing is found across files and per service, naming each deny.
    #[test]
    fn shadowed_across_files_and_services() {
        let denies = "[[rule]]\nid = \"no-expense\"\nservices = [\"expense\"]\neffect = \"deny\"\n\n\
                      [[rule]]\nid = \"no-signing-pw\"\nservices = [\"signing\"]\neffect = \"deny\"\n\
                      methods = [\"password\"]\n";
        let allow = "[[rule]]\nid = \"both\"\nservices = [\"expense\", \"signing\"]\neffect = \"allow\"\n\
                     methods = [\"password\"]\n";
        assert_eq!(
            problems_in(&[("p/deny.toml", denies), ("p/allow.toml", allow)], &ctx()),
            vec![
                "p/allow.toml:1:1: allow rule \"both\" can never take effect: deny rules \"no-expense\" \
                 (p/deny.toml:1) for expense, \"no-signing-pw\" (p/deny.toml:6) for signing match every request it \
                 allows, and deny overrides allow; narrow the deny (zones, groups, users, paths, login or windows) \
                 or remove this allow"
            ]
        );
    }

    /// A narrower deny, a deny with windows, or one on a sub-path does not shadow the allow.
    #[test]
    fn not_shadowed() {
        let cases = [
            rule("d", "deny", "zones = [\"remote\"]\n"),
            rule("d", "deny", "paths = [\"/expense/admin\"]\n"),
            rule("d", "deny", "methods = [\"password\"]\ntwo_factor = false\n"),
            rule("d", "deny", "[[rule.windows]]\ndays = [\"sun\"]\nfrom = \"01:00\"\nto = \"05:00\"\n"),
        ];
        for deny in cases {
            let text = format!("{deny}\n{}", rule("a", "allow", "zones = [\"internal\", \"remote\"]\n"));
            assert_eq!(problems(&text), Vec::<String>::new(), "{text}");
        }
        // A deny of password-only logins does shadow an allow of password-only logins on a sub-path.
        let text = format!(
            "{}\n{}",
            rule("d", "deny", "methods = [\"password\"]\ntwo_factor = false\n"),
            rule("a", "allow", "paths = [\"/expense/x\"]\ntwo_factor = false\n")
        );
        assert_eq!(problems(&text).len(), 1, "{text}");
    }
}
