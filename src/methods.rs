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

    /// Password plus a one-time code, or eID.
    pub fn is_two_factor(self) -> bool {
        self.contains(Method::Eid)
            || (self.contains(Method::Password) && (self.contains(Method::Sms) || self.contains(Method::Email)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Methods render in header order and two-factor needs a code or eID.
    #[test]
    fn methods_set() {
        let m = Methods::of(Method::Password);
        assert!(!m.is_two_factor());
        assert_eq!(m.with(Method::Email).header_value(), "password,email");
        assert!(m.with(Method::Sms).is_two_factor());
        assert!(Methods::of(Method::Eid).is_two_factor());
        assert!(!Methods::of(Method::Sms).is_two_factor());
    }
}
