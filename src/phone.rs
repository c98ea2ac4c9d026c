//! Mobile numbers: what employees type, parsed and validated per country with Google's libphonenumber metadata (the
//! `phonenumber` crate), stored in E.164, and shown masked the way a reader of a country writes them.
//!
//! A number typed in national form ("0701234567", "912 34 567") belongs to the page's [`Region`]: the country of the
//! page's language, or `[accounts] default_region` for English. A number starting with "+" or an international
//! prefix ("00") names its own country.

use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber, Type};

/// Most digits accepted in a typed number before parsing (E.164 has at most 15, plus an international prefix).
const MAX_TYPED_DIGITS: usize = 20;

/// Why a typed number was not accepted; each says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Letters or other symbols.
    #[error("use digits only, like 0701234567")]
    NotDigits,
    /// Too short or too long for a number of its country.
    #[error("the number has too few or too many digits")]
    Length,
    /// Not a number in use in its country (no such range).
    #[error("no phone has this number; check the digits, and begin another country's number with + and its code")]
    Invalid,
    /// A real number that cannot receive an SMS (a landline, a toll-free number).
    #[error("this is not a mobile number; begin another country's number with + and its code")]
    NotMobile,
    /// A country not on the allowlist.
    #[error("numbers in this country cannot receive codes")]
    Country,
}

/// A country whose numbering plan national numbers are read in ("SE", "NO", "DK"): an ISO 3166 code known to the
/// phone number metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region(phonenumber::country::Id);

impl Region {
    /// Sweden.
    pub const SE: Region = Region(phonenumber::country::Id::SE);
    /// Norway.
    pub const NO: Region = Region(phonenumber::country::Id::NO);
    /// Denmark.
    pub const DK: Region = Region(phonenumber::country::Id::DK);

    /// Parses an ISO 3166 code ("SE", "no"); None when the metadata knows no numbering plan for it.
    pub fn from_code(code: &str) -> Option<Region> {
        let code = code.trim().to_ascii_uppercase();
        if code.len() != 2 {
            return None;
        }
        let id: phonenumber::country::Id = code.parse().ok()?;
        DATABASE.by_id(id.as_ref()).map(|_| Region(id))
    }

    /// The main country of a calling code given as a prefix ("+46" → SE, "+47" → NO); None when no country has it.
    pub fn from_prefix(prefix: &str) -> Option<Region> {
        let code: u16 = prefix.strip_prefix('+')?.parse().ok()?;
        let metas = DATABASE.by_code(&code)?;
        let main = metas.iter().find(|m| m.is_main_country_for_code()).or_else(|| metas.first())?;
        Region::from_code(main.id())
    }

    /// The ISO 3166 code: "SE".
    pub fn code(&self) -> &str {
        self.0.as_ref()
    }

    /// The calling code without "+": 46 for Sweden.
    pub fn calling_code(self) -> Option<u16> {
        DATABASE.by_id(self.code()).map(|m| m.country_code())
    }

    /// An example mobile number of this country as its people write it ("070-123 45 67", "406 12 345"), from the
    /// metadata's own examples.
    pub fn example_mobile(self) -> Option<String> {
        let meta = DATABASE.by_id(self.code())?;
        let example = meta.descriptors().mobile()?.example()?;
        let n = parse(Some(self), example)?;
        Some(n.format().mode(Mode::National).to_string())
    }
}

/// Parses digits (and a leading "+") without letting a panic in the parser escape: input here comes from users and
/// directories. None when the parser refuses or fails.
fn parse(region: Option<Region>, digits: &str) -> Option<PhoneNumber> {
    let digits = digits.to_string();
    std::panic::catch_unwind(move || phonenumber::parse(region.map(|r| r.0), &digits).ok()).ok().flatten()
}

/// Normalises a typed number to E.164 ("+46701234567"). Spaces, dashes, dots, slashes and brackets are removed;
/// "+…" and the region's international prefix ("00…") are international; anything else is a national number of
/// `region` ("0701234567" in Sweden, "91234567" in Norway). The number must be a valid mobile number of its country
/// (Danish numbers do not tell mobile from landline and are accepted). `allowed` lists accepted country prefixes
/// ("+46", "+47", "+45"); empty allows all.
pub fn normalize(typed: &str, region: Region, allowed: &[String]) -> Result<String, PhoneError> {
    let t: String =
        typed.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' | '\u{2009}')).collect();
    let digits = t.strip_prefix('+').unwrap_or(&t);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(PhoneError::NotDigits);
    }
    if digits.len() > MAX_TYPED_DIGITS {
        return Err(PhoneError::Length);
    }
    // No country code starts with 0: "+0…" reaches no phone.
    if t.starts_with("+0") {
        return Err(PhoneError::Country);
    }
    let Some(n) = parse(Some(region), &t) else {
        return Err(PhoneError::Length);
    };
    let e164 = n.format().mode(Mode::E164).to_string();
    let nsn = national_digits(&n);
    if let Some((short, long)) = length_range(n.code().value()) {
        if nsn.len() < short || nsn.len() > long {
            return Err(PhoneError::Length);
        }
    }
    if !n.is_valid() {
        return Err(PhoneError::Invalid);
    }
    match n.number_type(&DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile | Type::Pager => {}
        _ => return Err(PhoneError::NotMobile),
    }
    if !allowed.is_empty() && !allowed.iter().any(|p| e164.starts_with(p.as_str())) {
        return Err(PhoneError::Country);
    }
    Ok(e164)
}

/// The shortest and longest national numbers of any kind under a calling code, from every number type's possible
/// lengths (the metadata's general descriptor carries none).
fn length_range(calling_code: u16) -> Option<(usize, usize)> {
    let metas = DATABASE.by_code(&calling_code)?;
    let lengths = metas.iter().flat_map(|m| {
        let d = m.descriptors();
        [d.fixed_line(), d.mobile(), d.toll_free(), d.premium_rate(), d.shared_cost(), d.personal_number(), d.voip()]
            .into_iter()
            .chain([d.pager(), d.uan(), d.voicemail()])
            .flatten()
            .flat_map(|x| x.possible_length().iter().copied())
            .collect::<Vec<u16>>()
    });
    let (mut short, mut long) = (None::<u16>, None::<u16>);
    for l in lengths {
        short = Some(short.map_or(l, |s| s.min(l)));
        long = Some(long.map_or(l, |g| g.max(l)));
    }
    Some((usize::from(short?), usize::from(long?)))
}

/// The national significant number's digits ("701234567" for "+46701234567").
fn national_digits(n: &PhoneNumber) -> String {
    let e164 = n.format().mode(Mode::E164).to_string();
    let code = n.code().value().to_string();
    e164.strip_prefix('+').and_then(|d| d.strip_prefix(code.as_str())).unwrap_or_default().to_string()
}

/// National form for the reader's own country, international for any other.
fn mode_for(n: &PhoneNumber, reader: Region) -> Mode {
    if reader.calling_code() == Some(n.code().value()) {
        Mode::National
    } else {
        Mode::International
    }
}

/// A stored E.164 number as a reader of `reader`'s country writes it, for a field they may edit and save again:
/// national form for a number of that country ("+46701234567" → "070-123 45 67" for a Swedish reader), international
/// form with spaces for any other ("+47 912 34 567"). [`normalize`] reads it back, on a page of the same region, as
/// the same E.164 number. A value the metadata cannot parse is shown as stored.
pub fn display(e164: &str, reader: Region) -> String {
    match parse(None, e164) {
        Some(n) => n.format().mode(mode_for(&n, reader)).to_string(),
        None => e164.to_string(),
    }
}

/// Masks a stored E.164 number for display, national form for a number of the reader's country, international otherwise: the trunk prefix or country code and the
/// first digits that tell the kind of number, then "•••", then the last four digits; at least three digits are always
/// hidden. "+46701234567" → "070•••45 67" for a Swedish reader, "+46 70•••45 67" for a Norwegian one;
/// "+4791234567" → "9•••45 67" for a Norwegian reader.
pub fn mask(e164: &str, reader: Region) -> String {
    let Some(n) = parse(None, e164) else {
        return "•••".to_string();
    };
    let formatted = n.format().mode(mode_for(&n, reader)).to_string();
    let nsn_len = national_digits(&n).len();
    let total = formatted.chars().filter(char::is_ascii_digit).count();
    if nsn_len < 7 || total < nsn_len {
        return "•••".to_string();
    }
    // Digits before the national number (a trunk "0", or the country code) are always shown, then up to two of the
    // national number's, as long as three stay hidden before the last four.
    let shown_front = (total - nsn_len) + nsn_len.saturating_sub(7).min(2);
    let tail_from = total - 4;
    let (mut head, mut tail, mut seen) = (String::new(), String::new(), 0usize);
    for c in formatted.chars() {
        let digit = c.is_ascii_digit();
        if digit {
            seen += 1;
        }
        if (digit && seen <= shown_front) || (!digit && seen < shown_front) {
            head.push(c);
        } else if seen > tail_from {
            tail.push(c);
        }
    }
    format!("{}•••{}", head.trim_end(), tail.trim_start())
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

    /// A number shown for editing is in the reader's national form when it is of the reader's country, else in
    /// international form; read back on a page of the same country, each is the same E.164 number.
    #[test]
    fn display_round_trips_per_reader() {
        let numbers = ["+46701234567", "+4791234567", "+4520123456", "+4740612345", "+46761234567"];
        for reader in [Region::SE, Region::NO, Region::DK] {
            for n in numbers {
                let shown = display(n, reader);
                assert_eq!(
                    normalize(&shown, reader, &allowed()),
                    Ok(n.to_string()),
                    "{n} shown as {shown} in {reader:?}"
                );
                let own = reader.calling_code().is_some_and(|c| n.starts_with(&format!("+{c}")));
                assert_eq!(shown.starts_with('+'), !own, "{n} shown as {shown} in {reader:?}");
            }
        }
        assert_eq!(display("+46701234567", Region::SE), "070-123 45 67");
        assert_eq!(display("+4791234567", Region::NO), "91 23 45 67");
        assert_eq!(display("+4520123456", Region::DK), "20 12 34 56");
        assert_eq!(display("+4791234567", Region::SE), "+47 91 23 45 67");
        assert_eq!(display("+46701234567", Region::NO), "+46 70 123 45 67");
        assert_eq!(display("not a number", Region::SE), "not a number");
    }

    /// National forms are read in the page's country and international forms in their own, for Swedish, Norwegian
    /// and Danish numbers; separators are removed.
    #[test]
    fn normalises_per_country() {
        let se = Region::SE;
        assert_eq!(normalize("0701234567", se, &allowed()), Ok("+46701234567".into()));
        assert_eq!(normalize("070-123 45 67", se, &allowed()), Ok("+46701234567".into()));
        assert_eq!(normalize("+46 (0)70 123 45 67", se, &allowed()), Ok("+46701234567".into()));
        assert_eq!(normalize("+4791234567", se, &allowed()), Ok("+4791234567".into()));
        assert_eq!(normalize("004520123456", se, &allowed()), Ok("+4520123456".into()));
        assert_eq!(normalize("912 34 567", Region::NO, &allowed()), Ok("+4791234567".into()));
        assert_eq!(normalize("+47 912 34 567", Region::DK, &allowed()), Ok("+4791234567".into()));
        assert_eq!(normalize("20 12 34 56", Region::DK, &allowed()), Ok("+4520123456".into()));
        assert_eq!(normalize("0046701234567", Region::NO, &allowed()), Ok("+46701234567".into()));
        assert_eq!(normalize("1234", Region::NO, &allowed()), Err(PhoneError::Length));
    }

    /// A Norwegian mobile number typed without +47 on a Swedish page is a Swedish landline there, and is refused
    /// as not mobile rather than stored as a number the user never had.
    #[test]
    fn another_countrys_number_in_national_form_is_refused() {
        assert_eq!(normalize("91234567", Region::SE, &allowed()), Err(PhoneError::NotMobile));
        assert_eq!(normalize("08-123 45 67", Region::SE, &allowed()), Err(PhoneError::NotMobile));
        assert_eq!(normalize("22 12 34 56", Region::NO, &allowed()), Err(PhoneError::NotMobile));
        assert_eq!(normalize("0701234567", Region::NO, &allowed()), Err(PhoneError::Length));
    }

    /// Letters, empty input, wrong lengths and other countries are refused with a reason, never a panic.
    #[test]
    fn refuses_bad_input() {
        let se = Region::SE;
        assert_eq!(normalize("07O1234567", se, &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("", se, &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("+", se, &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("0701", se, &allowed()), Err(PhoneError::Length));
        assert_eq!(normalize("0", se, &allowed()), Err(PhoneError::Length));
        assert_eq!(normalize("07012345678901234", se, &allowed()), Err(PhoneError::Length));
        assert_eq!(normalize("+12025550123", se, &allowed()), Err(PhoneError::Country));
        assert_eq!(normalize("+12025550123", se, &[]), Ok("+12025550123".into()));
        assert_eq!(normalize("ååå", se, &allowed()), Err(PhoneError::NotDigits));
        assert_eq!(normalize("+0046701234567", se, &[]), Err(PhoneError::Country));
        assert_eq!(normalize("+00000000", se, &[]), Err(PhoneError::Country));
        assert_eq!(normalize("+99912345678", se, &[]), Err(PhoneError::Length));
    }

    /// Masks follow the reader's country: national form with its own trunk prefix at home, international abroad;
    /// the last four digits show and at least three stay hidden.
    #[test]
    fn masks_per_reader() {
        assert_eq!(mask("+46701234567", Region::SE), "070•••45 67");
        assert_eq!(mask("+46701234567", Region::NO), "+46 70•••45 67");
        assert_eq!(mask("+4791234567", Region::NO), "9•••45 67");
        assert_eq!(mask("+4791234567", Region::SE), "+47 9•••45 67");
        assert_eq!(mask("+4520123456", Region::DK), "2•••34 56");
        assert_eq!(mask("+4520123456", Region::NO), "+45 2•••34 56");
        assert_eq!(mask("garbage", Region::SE), "•••");
        assert_eq!(mask_email("anna.lindqvist@kommune.no"), "an•••@kommune.no");
    }

    /// Regions parse from ISO codes and calling codes; examples are mobile numbers of their country.
    #[test]
    fn regions_and_examples() {
        assert_eq!(Region::from_code("se"), Some(Region::SE));
        assert_eq!(Region::from_code("XX"), None);
        assert_eq!(Region::from_code("SEE"), None);
        assert_eq!(Region::from_prefix("+47"), Some(Region::NO));
        assert_eq!(Region::from_prefix("+45"), Some(Region::DK));
        assert_eq!(Region::from_prefix("+999"), None);
        for r in [Region::SE, Region::NO, Region::DK] {
            let example = r.example_mobile().unwrap();
            assert!(normalize(&example, r, &[]).is_ok(), "{example}");
        }
        assert_eq!(Region::SE.example_mobile().as_deref(), Some("070-123 45 67"));
    }
}
