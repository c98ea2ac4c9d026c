//! The policy file format, as written by security teams. Converted into compiled rules by [`super::compile`];
//! nothing else reads it.

use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use toml::Spanned;

/// A list whose own position and whose entries' positions are kept for error messages.
pub(crate) type SpannedList = Spanned<Vec<Spanned<String>>>;

/// One policy file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilePolicy {
    /// Default IANA time zone for the rules in this file.
    pub timezone: Option<Spanned<String>>,
    /// `[[rule]]` entries.
    #[serde(default)]
    pub rule: Vec<Spanned<FileRule>>,
    /// `[[idle]]` entries.
    #[serde(default)]
    pub idle: Vec<Spanned<FileIdle>>,
}

/// One `[[rule]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileRule {
    /// Unique id.
    pub id: Spanned<String>,
    /// Services or account actions the rule is about.
    pub services: SpannedList,
    /// Path prefixes inside the service.
    pub paths: Option<SpannedList>,
    /// "allow" or "deny".
    pub effect: Spanned<String>,
    /// Zones, any of.
    pub zones: Option<SpannedList>,
    /// Groups, any of.
    pub groups: Option<SpannedList>,
    /// Users, any of.
    pub users: Option<SpannedList>,
    /// Realms (directories the user logged in through), any of.
    pub realms: Option<SpannedList>,
    /// Institutions of the user, any of.
    pub institutions: Option<SpannedList>,
    /// Login methods, at least one used.
    pub methods: Option<SpannedList>,
    /// Whether the session must (or must not) be two-factor.
    pub two_factor: Option<Spanned<bool>>,
    /// Lowest eID assurance level.
    pub min_assurance: Option<Spanned<String>>,
    /// Time zone override.
    pub timezone: Option<Spanned<String>>,
    /// Dates on which no window occurrence starts.
    pub except_dates: Option<SpannedList>,
    /// Message per language shown when this rule turns a request away.
    pub message: Option<FileMessage>,
    /// Weekly windows.
    pub windows: Option<Spanned<Vec<Spanned<FileWindow>>>>,
}

/// `message.sv = "…"` and friends (not `Spanned`: toml cannot span a table written with dotted keys).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileMessage {
    /// Swedish.
    pub sv: Option<String>,
    /// Norwegian bokmål.
    pub nb: Option<String>,
    /// Norwegian nynorsk.
    pub nn: Option<String>,
    /// Danish.
    pub da: Option<String>,
    /// English.
    pub en: Option<String>,
}

/// One `[[rule.windows]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileWindow {
    /// Days on which an occurrence starts.
    pub days: SpannedList,
    /// "HH:MM".
    pub from: Spanned<String>,
    /// "HH:MM" or "24:00".
    pub to: Spanned<String>,
}

/// One `[[idle]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileIdle {
    /// Zones, any of.
    pub zones: Option<SpannedList>,
    /// Login methods, at least one used.
    pub methods: Option<SpannedList>,
    /// The idle timeout.
    pub timeout: Spanned<ConfigDuration>,
}
