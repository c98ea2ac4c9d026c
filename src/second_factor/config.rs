//! The `[second_factor]` section: its file format and validation into [`SecondFactorSettings`] (composed by
//! [`crate::config`]).

use super::code::CodeFormat;
use super::limits::LimitSettings;
use super::SecondFactorSettings;
use crate::config::check::Checker;
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[second_factor]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSecondFactor {
    /// How long a code is valid.
    pub code_lifetime: Option<Spanned<ConfigDuration>>,
    /// Wrong tries per code.
    pub max_tries: Option<Spanned<u32>>,
    /// Consecutive wrong codes before the account's code step is locked.
    pub lockout_after: Option<Spanned<u32>>,
    /// Lock duration.
    pub lockout_time: Option<ConfigDuration>,
    /// SMS code length.
    pub sms_code_length: Option<Spanned<usize>>,
    /// SMS code alphabet.
    pub sms_alphabet: Option<Spanned<String>>,
    /// E-mail code length.
    pub email_code_length: Option<Spanned<usize>>,
    /// E-mail code alphabet.
    pub email_alphabet: Option<Spanned<String>>,
    /// Send limits.
    #[serde(default)]
    pub limits: FileSendLimits,
}

/// `[second_factor.limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSendLimits {
    /// Minimum time between sends to one number or address.
    pub destination_cooldown: Option<ConfigDuration>,
    /// Sends per number or address per day.
    pub per_destination_per_day: Option<Spanned<u32>>,
    /// Sends per login attempt.
    pub per_challenge: Option<Spanned<u32>>,
    /// Sends per account per hour.
    pub per_account_per_hour: Option<Spanned<u32>>,
    /// Sends per client address per hour.
    pub per_address_per_hour: Option<Spanned<u32>>,
    /// Sends per hour for the whole gateway.
    pub per_hour: Option<Spanned<u32>>,
    /// Country prefixes SMS may go to.
    pub allowed_country_prefixes: Option<Vec<Spanned<String>>>,
}

/// `[second_factor]`: a code lifetime from 30 s to an hour, tries and lockout in range, code formats that can be
/// typed in any case, send limits and SMS country prefixes.
pub fn validate(c: &mut Checker<'_>, s: &FileSecondFactor) -> SecondFactorSettings {
    let mut out = SecondFactorSettings::default();
    if let Some(d) = &s.code_lifetime {
        let v = d.get_ref().0;
        if v < Duration::from_secs(30) || v > Duration::from_secs(3600) {
            c.err(d, "code_lifetime must be between \"30s\" and \"1h\"");
        } else {
            out.code_lifetime = v;
        }
    }
    out.max_tries = c.positive(&s.max_tries, 5, 20);
    out.lockout_after = c.positive(&s.lockout_after, 10, 1000);
    if let Some(d) = s.lockout_time {
        out.lockout_time = d.0;
    }
    out.sms_code = code_format(c, &s.sms_code_length, &s.sms_alphabet);
    out.email_code = code_format(c, &s.email_code_length, &s.email_alphabet);
    let l = &s.limits;
    let d = LimitSettings::default();
    out.limits = LimitSettings {
        destination_cooldown: l.destination_cooldown.map(|x| x.0).unwrap_or(d.destination_cooldown),
        per_destination_per_day: c.positive(&l.per_destination_per_day, d.per_destination_per_day, 1000),
        per_challenge: c.positive(&l.per_challenge, d.per_challenge, 100),
        per_account_per_hour: c.positive(&l.per_account_per_hour, d.per_account_per_hour, 1000),
        per_address_per_hour: c.positive(&l.per_address_per_hour, d.per_address_per_hour, 100_000),
        per_hour: c.positive(&l.per_hour, d.per_hour, 10_000_000),
        allowed_prefixes: match &l.allowed_country_prefixes {
            None => d.allowed_prefixes,
            Some(v) => v
                .iter()
                .filter_map(|p| {
                    let ok = p.get_ref().len() >= 2
                        && p.get_ref().starts_with('+')
                        && p.get_ref().chars().skip(1).all(|c| c.is_ascii_digit());
                    if !ok {
                        c.err(p, format!("\"{}\" is not a country prefix like \"+46\"", p.get_ref()));
                    }
                    ok.then(|| p.get_ref().clone())
                })
                .collect(),
        },
    };
    out
}

/// A code length from 4 to 12 and an alphabet of at least 10 different characters from A-Z and 0-9.
fn code_format(c: &mut Checker<'_>, len: &Option<Spanned<usize>>, alphabet: &Option<Spanned<String>>) -> CodeFormat {
    let mut f = CodeFormat::default();
    if let Some(l) = len {
        if !(4..=12).contains(l.get_ref()) {
            c.err(l, "code length must be between 4 and 12");
        } else {
            f.length = *l.get_ref();
        }
    }
    if let Some(a) = alphabet {
        let chars: Vec<char> = a.get_ref().chars().collect();
        let mut uniq = chars.clone();
        uniq.sort();
        uniq.dedup();
        if chars.len() < 10
            || uniq.len() != chars.len()
            || chars.iter().any(|c| !c.is_ascii_alphanumeric() || c.is_ascii_lowercase())
        {
            c.err(a, "alphabet must be at least 10 different characters from A-Z and 0-9 (upper case; codes are typed in any case)");
        } else {
            f.alphabet = chars;
        }
    }
    f
}
