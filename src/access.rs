//! Access decisions: may this session open this service from this zone now?
//!
//! Until policy files arrive, one built-in rule decides: each zone names the login it needs (`password` for
//! configured internal zones by default, `two_factor` for `remote`). A login too weak for the zone the request comes
//! from now is sent to step up, even if it was strong enough where it was made.

use crate::config::LoginRequirement;
use crate::session::{Method, Methods};
use crate::zones::Zone;

/// The outcome of an access check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Forward the request.
    Allow,
    /// The login is too weak for this zone: send the user to the second-factor page.
    StepUp,
    /// Refused; the reason is shown to the user.
    Deny(DenyReason),
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyReason {
    /// The service can't be opened from this zone.
    Zone,
}

/// The name of the built-in rule, for logs and `explain`.
pub const BUILTIN_RULE: &str = "builtin:zone-login";

/// Decides by the built-in rule.
pub fn decide(zone: &Zone, methods: Methods) -> Decision {
    let ok = match zone.login {
        LoginRequirement::Password => methods.contains(Method::Password) || methods.contains(Method::Eid),
        LoginRequirement::TwoFactor => methods.is_two_factor(),
    };
    if ok {
        Decision::Allow
    } else {
        Decision::StepUp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(login: LoginRequirement) -> Zone {
        Zone::new("z", login)
    }

    /// Password suffices inside; outside it needs a code or eID.
    #[test]
    fn builtin_rule() {
        let pw = Methods::of(Method::Password);
        assert_eq!(decide(&zone(LoginRequirement::Password), pw), Decision::Allow);
        assert_eq!(decide(&zone(LoginRequirement::TwoFactor), pw), Decision::StepUp);
        assert_eq!(decide(&zone(LoginRequirement::TwoFactor), pw.with(Method::Sms)), Decision::Allow);
        assert_eq!(decide(&zone(LoginRequirement::TwoFactor), Methods::of(Method::Eid)), Decision::Allow);
        assert_eq!(decide(&zone(LoginRequirement::Password), Methods::default()), Decision::StepUp);
    }
}
