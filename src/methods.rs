//! Login methods (password, SMS code, e-mail code, eID) and sets of them, shared by sessions and policies.

use std::fmt;

/// A way of proving identity at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Directory password.
    Password,
    /// One-time code by SMS.
    Sms,
    /// One-time code by e-mail.
    Email,
    /// National eID over OpenID Connect.
    Eid,
}

impl Method {
    /// Every method, in header order.
    pub const ALL: [Method; 4] = [Method::Password, Method::Sms, Method::Email, Method::Eid];

    /// Name used in headers and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Password => "password",
            Method::Sms => "sms",
            Method::Email => "email",
            Method::Eid => "eid",
        }
    }

    /// Parses a method name.
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }

    fn bit(self) -> u8 {
        match self {
            Method::Password => 1,
            Method::Sms => 2,
            Method::Email => 4,
            Method::Eid => 8,
        }
    }
}

/// The set of methods a session's login used.
#[derive(Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Methods(u8);

impl Methods {
    /// The set holding only `m`.
    pub fn of(m: Method) -> Methods {
        Methods(m.bit())
    }

    /// This set plus `m`.
    pub fn with(self, m: Method) -> Methods {
        Methods(self.0 | m.bit())
    }

    /// Whether `m` is in the set.
    pub fn contains(self, m: Method) -> bool {
        self.0 & m.bit() != 0
    }

    /// Password plus a one-time code.
    pub fn is_password_and_code(self) -> bool {
        self.contains(Method::Password) && (self.contains(Method::Sms) || self.contains(Method::Email))
    }

    /// Members in header order.
    pub fn iter(self) -> impl Iterator<Item = Method> {
        Method::ALL.into_iter().filter(move |m| self.contains(*m))
    }

    /// Comma-separated, as in `X-Portvakt-Methods`.
    pub fn header_value(self) -> String {
        self.iter().map(Method::as_str).collect::<Vec<_>>().join(",")
    }
}

impl fmt::Debug for Methods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Methods({})", self.header_value())
    }
}

/// eID assurance level of a login (eIDAS); password and code logins have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Assurance {
    /// No eID in the login.
    #[default]
    None,
    /// eIDAS low: one factor; never counts as a two-factor login.
    Low,
    /// eIDAS substantial (e.g. MinID).
    Substantial,
    /// eIDAS high (e.g. BankID).
    High,
}

impl Assurance {
    /// Name used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Assurance::None => "none",
            Assurance::Low => "low",
            Assurance::Substantial => "substantial",
            Assurance::High => "high",
        }
    }

    /// Parses a level as written in policies and config ("low", "substantial" or "high").
    pub fn parse(s: &str) -> Option<Assurance> {
        match s {
            "low" => Some(Assurance::Low),
            "substantial" => Some(Assurance::Substantial),
            "high" => Some(Assurance::High),
            _ => None,
        }
    }
}

/// Whether a login is two-factor: password plus a one-time code, or an eID at eIDAS substantial or high (which
/// by definition take two factors). An eID login mapped to `low` counts as one factor.
pub fn is_two_factor(methods: Methods, assurance: Assurance) -> bool {
    methods.is_password_and_code() || (methods.contains(Method::Eid) && assurance >= Assurance::Substantial)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Methods render in header order; two-factor needs a code, or an eID at substantial or above.
    #[test]
    fn methods_set() {
        let m = Methods::of(Method::Password);
        let none = Assurance::None;
        assert!(!is_two_factor(m, none));
        assert_eq!(m.with(Method::Email).header_value(), "password,email");
        assert!(is_two_factor(m.with(Method::Sms), none));
        assert!(is_two_factor(Methods::of(Method::Eid), Assurance::Substantial));
        assert!(is_two_factor(Methods::of(Method::Eid), Assurance::High));
        assert!(!is_two_factor(Methods::of(Method::Eid), Assurance::Low));
        assert!(!is_two_factor(Methods::of(Method::Sms), none));
    }
}
