//! Durations written as strings like "15m", "30s" or "12h" in config files.

use serde::{Deserialize, Deserializer};
use std::time::Duration;

/// A duration read from a string such as "15m"; a bare number is refused so units are never guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigDuration(pub Duration);

impl<'de> Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s).map(ConfigDuration).map_err(serde::de::Error::custom)
    }
}

/// Parses "15m", "30s", "12h", "1h30m", "500ms", "7d".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration: write it like \"15m\", \"30s\" or \"12h\"".into());
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("duration \"{t}\" has no unit: write it like \"{t}s\" or \"{t}m\""));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("invalid duration \"{t}\" ({e}): write it like \"15m\", \"30s\" or \"12h\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Common unit strings parse; unitless numbers and garbage are refused with a hint.
    #[test]
    fn parses_units_and_refuses_bare_numbers() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(43200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("900").unwrap_err().contains("no unit"));
        assert!(parse_duration("soon").is_err());
    }
}
