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

#[cfg(test)]
mod tests {
    use super::*;

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
