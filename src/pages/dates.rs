//! Dates and times for readers, in their language: weekday and month names from the locale data of chrono's
//! `unstable-locales` (glibc's, which follows CLDR for these languages), in the order each language writes them.

use super::Lang;
use chrono::{DateTime, Locale, Utc};

/// The locale whose names a language's pages use.
fn locale(lang: Lang) -> Locale {
    match lang {
        Lang::Sv => Locale::sv_SE,
        Lang::Nb => Locale::nb_NO,
        Lang::Nn => Locale::nn_NO,
        Lang::Da => Locale::da_DK,
        Lang::En => Locale::en_GB,
    }
}

/// How a language writes a weekday, day, month and time: "mån 30 nov 05:00", "05:00 Mon 30 Nov".
fn pattern(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "%a %-d %b %H:%M",
        Lang::Nb | Lang::Nn | Lang::Da => "%a %-d. %b %H:%M",
        Lang::En => "%H:%M %a %-d %b",
    }
}

/// An instant as a reader in the policies' time zone sees it, in `lang`: "mån 30 nov 05:00" (sv),
/// "05:00 Mon 30 Nov" (en).
pub fn local_time(t: DateTime<Utc>, lang: Lang) -> String {
    let local = t.with_timezone(&crate::policy::DEFAULT_TIMEZONE);
    local.format_localized(pattern(lang), locale(lang)).to_string()
}

/// How a language writes a date: "30 november 2026" (sv, en: "30 November 2026"), "30. november 2026" (nb, nn, da).
fn date_pattern(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv | Lang::En => "%-d %B %Y",
        Lang::Nb | Lang::Nn | Lang::Da => "%-d. %B %Y",
    }
}

/// How a language writes a date with the time and its zone, as notices by e-mail say when something happened.
fn date_time_pattern(lang: Lang) -> &'static str {
    match lang {
        Lang::Sv => "%-d %B %Y kl. %H:%M %Z",
        Lang::Nb | Lang::Nn | Lang::Da => "%-d. %B %Y kl. %H:%M %Z",
        Lang::En => "%-d %B %Y at %H:%M %Z",
    }
}

/// The gateway's instant as chrono's UTC time (the epoch for an instant beyond chrono's range, which no clock gives).
fn utc(t: crate::clock::Instant) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(i64::try_from(t.0).unwrap_or(i64::MAX)).unwrap_or_default()
}

/// The day of an instant in the policies' time zone, in `lang`: "30 november 2026" (sv), "30. november 2026" (nb).
pub fn local_date(t: crate::clock::Instant, lang: Lang) -> String {
    let local = utc(t).with_timezone(&crate::policy::DEFAULT_TIMEZONE);
    local.format_localized(date_pattern(lang), locale(lang)).to_string()
}

/// An instant with its date, time and zone in the policies' time zone, in `lang`, for notices:
/// "30 november 2026 kl. 05:00 CET" (sv), "30 November 2026 at 05:00 CET" (en).
pub fn local_date_time(t: crate::clock::Instant, lang: Lang) -> String {
    let local = utc(t).with_timezone(&crate::policy::DEFAULT_TIMEZONE);
    local.format_localized(date_time_pattern(lang), locale(lang)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dates and notice times are in the reader's language and the gateway's time zone (CET/CEST), with the year.
    #[test]
    fn dates_and_notice_times_per_language() {
        let winter = crate::clock::Instant(1_796_011_200_000); // 2026-11-30T04:00:00Z
        let summer = crate::clock::Instant(1_782_792_000_000); // 2026-06-30T04:00:00Z
        assert_eq!(local_date(winter, Lang::Sv), "30 november 2026");
        assert_eq!(local_date(winter, Lang::Nb), "30. november 2026");
        assert_eq!(local_date(winter, Lang::Da), "30. november 2026");
        assert_eq!(local_date(winter, Lang::En), "30 November 2026");
        assert_eq!(local_date_time(winter, Lang::Sv), "30 november 2026 kl. 05:00 CET");
        assert_eq!(local_date_time(winter, Lang::Nn), "30. november 2026 kl. 05:00 CET");
        assert_eq!(local_date_time(summer, Lang::Da), "30. juni 2026 kl. 06:00 CEST");
        assert_eq!(local_date_time(winter, Lang::En), "30 November 2026 at 05:00 CET");
        // Just before midnight UTC is already the next day in Oslo.
        assert_eq!(local_date(crate::clock::Instant(1_796_081_400_000), Lang::Sv), "1 december 2026");
    }

    /// Weekday and month are in the reader's language: 2026-11-30 04:00 UTC is Monday 05:00 in Oslo.
    #[test]
    fn weekday_and_month_per_language() {
        let t: DateTime<Utc> = "2026-11-30T04:00:00Z".parse().unwrap();
        assert_eq!(local_time(t, Lang::Sv), "mån 30 nov 05:00");
        assert_eq!(local_time(t, Lang::Nb), "ma. 30. nov. 05:00");
        assert_eq!(local_time(t, Lang::Nn), "må. 30. nov. 05:00");
        assert_eq!(local_time(t, Lang::Da), "man 30. nov 05:00");
        assert_eq!(local_time(t, Lang::En), "05:00 Mon 30 Nov");
    }
}
