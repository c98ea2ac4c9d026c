//! Mobile numbers: what employees type (digits, as the old portal asked) normalised to E.164, and masked for display.

/// Why a typed number was not accepted; each says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Letters or other symbols.
    #[error("use digits only, like 0701234567")]
    NotDigits,
    /// Too short or too long for a mobile number.
    #[error("the number has too few or too many digits")]
    Length,
    /// A country not on the allowlist.
    #[error("numbers in this country cannot receive codes")]
    Country,
}

/// Normalises a typed number to E.164 ("+46701234567"). Spaces, dashes, dots and brackets are removed;
/// "0046…" and "+46…" are international; anything else is national and gets `default_country` (e.g. "+46"), after
/// dropping a trunk 0 where the country writes one ("0701234567"; Norwegian "91234567" has none). `allowed` lists accepted country prefixes ("+46", "+47", "+45"); empty allows all.
pub fn normalize(typed: &str, default_country: &str, allowed: &[String]) -> Result<String, PhoneError> {
    let t: String = typed.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}')).collect();
    let (international, digits) = if let Some(rest) = t.strip_prefix('+') {
        (true, rest.to_string())
    } else if let Some(rest) = t.strip_prefix("00") {
        (true, rest.to_string())
    } else {
        (false, t.clone())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(PhoneError::NotDigits);
    }
    let e164 = if international {
        format!("+{digits}")
    } else {
        // Sweden and Finland write a trunk 0 before national numbers; Norway and Denmark have none.
        let national = digits.strip_prefix('0').unwrap_or(&digits);
        format!("{default_country}{national}")
    };
    // Digits after the "+"; saturating, so an empty result (a lone "0" with no default country) is refused, not a panic.
    let n = e164.len().saturating_sub(1);
    if !(8..=15).contains(&n) {
        return Err(PhoneError::Length);
    }
    // No country code starts with 0: "+0…" reaches no phone, even where every country is allowed.
    if e164.starts_with("+0") {
        return Err(PhoneError::Country);
    }
    if !allowed.is_empty() && !allowed.iter().any(|p| e164.starts_with(p.as_str())) {
        return Err(PhoneError::Country);
    }
    Ok(e164)
}

/// Masks an E.164 number for display as the user knows it: "+46701234567" with default "+46" → "070•••45 67".
pub fn mask(e164: &str, default_country: &str) -> String {
    let shown = match e164.strip_prefix(default_country) {
        Some(national) => format!("0{national}"),
        None => e164.to_string(),
    };
    let chars: Vec<char> = shown.chars().collect();
    if chars.len() < 8 {
        return "•••".to_string();
    }
    let head: String = chars.iter().take(3).collect();
    let tail: Vec<char> = chars.iter().skip(chars.len() - 4).copied().collect();
    let (a, b) = tail.split_at(2);
    format!("{head}•••{} {}", a.iter().collect::<String>(), b.iter().collect::<String>())
}

/// Masks an e-mail address: "anna.lindqvist@kommune.no" → "an•••@kommune.no".
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let head: String = local.chars().take(2).collect();
            format!("{head}•••@{domain}")
        }
        None => "•••".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["+46".into(), "+47".into(), "+45".into()]
    }

    /// National and international forms normalise to E.164; separators are removed.
    #[test]
    fn normalises() {
        assert_eq!(normalize("0701234567", "+46", &allowed()), Ok("+46701234567".into()));
        assert_eq!(normalize("070-123 45 67", "+46", &allowed()), Ok("+46701234567".into()));
        assert_eq!(normalize("+4791234567", "+46", &allowed()), Ok("+4791234567".into()));
        assert_eq!(normalize("004520123456", "+46", &allowed()), Ok("+4520123456".into()));
        assert_eq!(normalize("91234567", "+47", &allowed()), Ok("+4791234567".into()));
        assert_eq!(normalize("20 12 34 56", "+45", &allowed()), Ok("+4520123456".into()));
        assert_eq!(normalize("1234", "+47", &allowed()), Err(PhoneError::Length));
    }

    /// Letters, empty input, wrong lengths and other countries are refused with a reason, never a panic.
    #[test]
    fn refuses_bad_input() {
        assert_eq!(normalize("07O1234567", "+46", &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("", "+46", &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("+", "+46", &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("0701", "+46", &allowed()), Err(PhoneError::Length));
        assert_eq!(normalize("0", "+46", &allowed()), Err(PhoneError::Length));
        assert_eq!(normalize("07012345678901234", "+46", &allowed()), Err(PhoneError::Length));
        assert_eq!(normalize("+12025550123", "+46", &allowed()), Err(PhoneError::Country));
        assert_eq!(normalize("+12025550123", "+46", &[]), Ok("+12025550123".into()));
        assert_eq!(normalize("ååå", "+46", &allowed()), Err(PhoneError::NotDigits));
        // Found by the property tests: with every country allowed, "+0…" was accepted though no country code
        // starts with 0.
        assert_eq!(normalize("+0046701234567", "+46", &[]), Err(PhoneError::Country));
        assert_eq!(normalize("+00000000", "+46", &[]), Err(PhoneError::Country));
    }

    /// Masks show what the user recognises and hide the middle.
    #[test]
    fn masks() {
        assert_eq!(mask("+46701234567", "+46"), "070•••45 67");
        assert_eq!(mask("+4791234567", "+46"), "+47•••45 67");
        assert_eq!(mask_email("anna.lindqvist@kommune.no"), "an•••@kommune.no");
    }
}
