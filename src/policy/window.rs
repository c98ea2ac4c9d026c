//! Time windows read on the wall clock of a time zone, with holiday exceptions and daylight-saving changes.
//!
//! A window is a weekly pattern (`days`, `from`, `to`); each day in `days` has one *occurrence*. An occurrence
//! belongs to the day it starts on: `fri 22:00–06:00` covers Friday 22:00 to Saturday 06:00, and an exception date
//! removes the occurrences that start on it.
//!
//! An occurrence opens the first moment the wall clock reaches `from` and closes the first moment it then reaches
//! `to`. So, on the spring change (the clock jumps 02:00→03:00) a window from 02:30 opens at 03:00, the first
//! minute that exists; on the autumn change (03:00→02:00, the hour is repeated) an occurrence is one unbroken
//! stretch: a window 02:30–04:00 stays open through the repeated hour, and one that ends at 02:30 closes the first
//! time the clock shows 02:30 and does not reopen when the clock turns back.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Minutes in a day; `to = "24:00"` is stored as this.
pub(crate) const DAY_MINUTES: u16 = 24 * 60;

/// Day names as written in policy files, Monday first.
pub(crate) const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Day names for sentences, Monday first.
const DAY_WORDS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// One weekly window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Bit `n` set: an occurrence starts on day `n` (0 = Monday).
    pub days: u8,
    /// Opening, minutes after midnight (0..1440).
    pub from: u16,
    /// Closing, minutes after midnight (1..=1440); at or before `from` it is on the next day.
    pub to: u16,
}

/// The windows of one rule, with their time zone and exception dates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Schedule {
    /// Zone whose wall clock the windows are read on.
    pub tz: Tz,
    /// At least one window.
    pub windows: Box<[Window]>,
    /// Dates (in `tz`) on which no occurrence starts; sorted.
    pub except: Box<[NaiveDate]>,
}

/// Parses a day name ("mon" … "sun") to its index, Monday = 0.
pub(crate) fn parse_day(s: &str) -> Option<u8> {
    DAY_NAMES.iter().position(|d| *d == s).and_then(|i| u8::try_from(i).ok())
}

/// Parses "HH:MM" to minutes after midnight; "24:00" only when `allow_24` (a closing time).
pub(crate) fn parse_time(s: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    match (h, m) {
        (24, 0) if allow_24 => Some(DAY_MINUTES),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

/// "07:00" for minutes after midnight.
pub(crate) fn format_minutes(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The English name of a weekday index (Monday = 0).
pub(crate) fn day_word(day: u32) -> &'static str {
    DAY_WORDS.get(usize::try_from(day).unwrap_or(0)).copied().unwrap_or("Monday")
}

fn weekday_index(d: NaiveDate) -> u32 {
    d.weekday().num_days_from_monday()
}

fn time_of(minutes: u16) -> NaiveTime {
    NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0).unwrap_or(NaiveTime::MIN)
}

/// Local date and minutes (1..=1440) turned into a wall-clock reading; 1440 is midnight of the next day.
fn local_at(date: NaiveDate, minutes: u16) -> NaiveDateTime {
    if minutes >= DAY_MINUTES {
        date.checked_add_days(Days::new(1)).unwrap_or(date).and_time(NaiveTime::MIN)
    } else {
        date.and_time(time_of(minutes))
    }
}

/// The first instant at which the wall clock of `tz` shows `local` or later.
///
/// For a reading that exists once this is that instant; for one in the repeated autumn hour, its first occurrence;
/// for one in the skipped spring hour, the instant of the jump (the clock goes straight past it).
pub(crate) fn first_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => {
            // In a gap. UTC offsets lie within −12 h … +14 h, so the answer lies within these bounds; the wall
            // clock only moves forward around a gap, so a bisection on seconds finds the jump.
            let base = local.and_utc().timestamp();
            let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::UNIX_EPOCH);
            let (mut lo, mut hi) = (base - 15 * 3600, base + 15 * 3600);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if at(mid).with_timezone(&tz).naive_local() >= local {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            at(hi)
        }
    }
}

impl Window {
    /// Whether an occurrence starts on `date`'s weekday.
    fn on_day(&self, date: NaiveDate) -> bool {
        self.days & (1 << weekday_index(date)) != 0
    }

    /// Whether the closing time is on the day after the opening.
    pub fn spans_midnight(&self) -> bool {
        self.to <= self.from
    }

    /// The instant an occurrence starting on `date` opens.
    fn start(&self, tz: Tz, date: NaiveDate) -> DateTime<Utc> {
        first_instant(tz, local_at(date, self.from))
    }

    /// The instant an occurrence starting on `date` closes.
    fn end(&self, tz: Tz, date: NaiveDate) -> DateTime<Utc> {
        let end_date = if self.spans_midnight() { date.checked_add_days(Days::new(1)).unwrap_or(date) } else { date };
        first_instant(tz, local_at(end_date, self.to))
    }

    /// The date of the occurrence a wall-clock reading falls in, by the reading alone.
    fn occurrence_date_by_clock(&self, local: NaiveDateTime) -> Option<NaiveDate> {
        let date = local.date();
        let t = local.time();
        let from = time_of(self.from);
        if self.spans_midnight() {
            if t >= from {
                Some(date).filter(|d| self.on_day(*d))
            } else if self.to < DAY_MINUTES && t < time_of(self.to) {
                date.checked_sub_days(Days::new(1)).filter(|d| self.on_day(*d))
            } else {
                None
            }
        } else if t >= from && (self.to >= DAY_MINUTES || t < time_of(self.to)) {
            Some(date).filter(|d| self.on_day(*d))
        } else {
            None
        }
    }

    /// A sentence fragment: "mon, tue 07:00–18:00".
    pub fn describe(&self) -> String {
        let days: Vec<&str> =
            DAY_NAMES.iter().enumerate().filter(|(i, _)| self.days & (1 << i) != 0).map(|(_, d)| *d).collect();
        format!("{} {}–{}", days.join(", "), format_minutes(self.from), format_minutes(self.to))
    }
}

impl Schedule {
    fn excepted(&self, date: NaiveDate) -> bool {
        self.except.binary_search(&date).is_ok()
    }

    /// Whether `at` lies inside an occurrence of one of the windows.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.tz).naive_local();
        let unambiguous = matches!(self.tz.offset_from_local_datetime(&local), LocalResult::Single(_));
        if unambiguous {
            // Away from a repeated hour the wall-clock reading decides exactly (see the module doc).
            self.windows.iter().any(|w| w.occurrence_date_by_clock(local).is_some_and(|d| !self.excepted(d)))
        } else {
            // Inside a repeated hour, compare instants with the occurrences that could cover `at`.
            let date = local.date();
            self.windows.iter().any(|w| {
                [date.checked_sub_days(Days::new(1)), Some(date)]
                    .into_iter()
                    .flatten()
                    .filter(|d| w.on_day(*d) && !self.excepted(*d))
                    .any(|d| w.start(self.tz, d) <= at && at < w.end(self.tz, d))
            })
        }
    }

    /// Every instant in `(after, until]` at which an occurrence opens (`opening`) or closes (`!opening`).
    pub fn boundaries(&self, after: DateTime<Utc>, until: DateTime<Utc>, opening: bool, out: &mut Vec<DateTime<Utc>>) {
        let first = after.with_timezone(&self.tz).date_naive().checked_sub_days(Days::new(1));
        let last = until.with_timezone(&self.tz).date_naive();
        let mut day = first;
        while let Some(d) = day.filter(|d| *d <= last) {
            if !self.excepted(d) {
                for w in self.windows.iter().filter(|w| w.on_day(d)) {
                    let t = if opening { w.start(self.tz, d) } else { w.end(self.tz, d) };
                    if t > after && t <= until {
                        out.push(t);
                    }
                }
            }
            day = d.checked_add_days(Days::new(1));
        }
    }

    /// A sentence fragment: "mon, tue 07:00–18:00 or sat 10:00–14:00 (Europe/Oslo)".
    pub fn describe(&self) -> String {
        let ws: Vec<String> = self.windows.iter().map(Window::describe).collect();
        format!("{} ({})", ws.join(" or "), self.tz.name())
    }
}

/// "Monday 2026-11-23 07:00 Europe/Oslo": an instant on the wall clock of `tz`.
pub(crate) fn describe_instant(tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz).naive_local();
    format!("{} {} {}", day_word(weekday_index(local.date())), local.format("%Y-%m-%d %H:%M"), tz.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oslo() -> Tz {
        chrono_tz::Europe::Oslo
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn schedule(days: u8, from: &str, to: &str) -> Schedule {
        Schedule {
            tz: oslo(),
            windows: vec![Window { days, from: parse_time(from, false).unwrap(), to: parse_time(to, true).unwrap() }]
                .into(),
            except: Box::new([]),
        }
    }

    const EVERY_DAY: u8 = 0b111_1111;

    /// Times parse as HH:MM, 24:00 only as a closing time, and nonsense is refused.
    #[test]
    fn parses_times_and_days() {
        assert_eq!(parse_time("07:30", false), Some(450));
        assert_eq!(parse_time("24:00", true), Some(1440));
        assert_eq!(parse_time("24:00", false), None);
        assert_eq!(parse_time("25:00", true), None);
        assert_eq!(parse_time("7:30", false), None);
        assert_eq!(parse_time("07:60", false), None);
        assert_eq!(parse_day("sun"), Some(6));
        assert_eq!(parse_day("Sunday"), None);
    }

    /// In the spring gap a reading that never shows maps to the jump; repeated readings map to the first pass.
    #[test]
    fn first_instant_handles_gap_and_repeat() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let gap = d.and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(first_instant(oslo(), gap), utc("2026-03-29T01:00:00Z"));
        let d = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        let rep = d.and_hms_opt(2, 30, 0).unwrap();
        assert_eq!(first_instant(oslo(), rep), utc("2026-10-25T00:30:00Z"));
    }

    /// Autumn: a window opening inside the repeated hour stays open through it, as one stretch.
    #[test]
    fn autumn_window_is_one_stretch() {
        let s = schedule(EVERY_DAY, "02:30", "04:00");
        assert!(!s.contains(utc("2026-10-25T00:29:00Z"))); // 02:29 CEST
        assert!(s.contains(utc("2026-10-25T00:30:00Z"))); // 02:30 CEST
        assert!(s.contains(utc("2026-10-25T01:10:00Z"))); // 02:10 CET, second pass
        assert!(s.contains(utc("2026-10-25T02:59:00Z"))); // 03:59 CET
        assert!(!s.contains(utc("2026-10-25T03:00:00Z"))); // 04:00 CET
    }

    /// Boundaries are found from the windows, in the asked range only.
    #[test]
    fn boundaries_in_range() {
        let s = schedule(1, "07:00", "18:00"); // Mondays
        let mut out = Vec::new();
        s.boundaries(utc("2026-11-20T12:00:00Z"), utc("2026-11-28T12:00:00Z"), true, &mut out);
        assert_eq!(out, vec![utc("2026-11-23T06:00:00Z")]);
    }
}
