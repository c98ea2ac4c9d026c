//! What a failed simple bind means: Active Directory hides the reason in the diagnostic message of an
//! `invalidCredentials` (49) result as `data XXX`, e.g.
//! `80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data 52e, v3839`.

use crate::directory::Refusal;

/// The `data XXX` code of an AD diagnostic message, lower-cased, if there is one.
pub fn data_code(diagnostic: &str) -> Option<String> {
    let lower = diagnostic.to_ascii_lowercase();
    let start = lower.find("data ")? + 5;
    let code: String = lower.get(start..)?.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
    (!code.is_empty()).then_some(code)
}

/// Classifies an `invalidCredentials` result by its diagnostic message: `None` is the normal wrong password
/// (AD 52e, 525, or a server that says nothing more).
pub fn classify(diagnostic: &str) -> Option<Refusal> {
    match data_code(diagnostic).as_deref() {
        Some("532") => Some(Refusal::PasswordExpired),
        Some("773") => Some(Refusal::PasswordMustChange),
        Some("533") => Some(Refusal::Disabled),
        Some("701") => Some(Refusal::AccountExpired),
        Some("775") => Some(Refusal::Locked),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad(code: &str) -> String {
        format!("80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data {code}, v3839\0")
    }

    /// Recorded AD diagnostic strings map to the page each code deserves.
    #[test]
    fn recorded_ad_messages() {
        assert_eq!(classify(&ad("52e")), None);
        assert_eq!(classify(&ad("525")), None);
        assert_eq!(classify(&ad("773")), Some(Refusal::PasswordMustChange));
        assert_eq!(classify(&ad("532")), Some(Refusal::PasswordExpired));
        assert_eq!(classify(&ad("533")), Some(Refusal::Disabled));
        assert_eq!(classify(&ad("701")), Some(Refusal::AccountExpired));
        // One audit reason per code; pages group them by what the user can do.
        let all = ["532", "773", "533", "701", "775"].map(|c| classify(&ad(c)).unwrap());
        assert_eq!(
            all.map(Refusal::reason),
            ["password_expired", "password_must_change", "account_disabled", "account_expired", "account_locked"]
        );
        assert_eq!(all.map(Refusal::must_change_password), [true, true, false, false, false]);
        assert_eq!(all.map(Refusal::disabled), [false, false, true, true, false]);
        assert_eq!(classify(&ad("775")), Some(Refusal::Locked));
        // Windows Server 2003-era wording, same code position.
        assert_eq!(
            classify("80090308: LdapErr: DSID-0C090334, comment: AcceptSecurityContext error, data 775, vece"),
            Some(Refusal::Locked)
        );
        assert_eq!(data_code(&ad("52e")).as_deref(), Some("52e"));
    }

    /// Servers that are not AD (slapd says nothing, or plain words) give the normal wrong-password page.
    #[test]
    fn other_servers_are_wrong_password() {
        assert_eq!(classify(""), None);
        assert_eq!(classify("Invalid credentials"), None);
        assert_eq!(classify("data "), None);
        assert_eq!(Refusal::Locked.reason(), "account_locked");
    }
}
