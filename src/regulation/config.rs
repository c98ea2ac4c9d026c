//! The `[login]` section: its file format, settings and validation (composed by [`crate::config`]).

use crate::config::check::Checker;
use crate::config::duration::ConfigDuration;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[login]`: bans after repeated failed logins.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLogin {
    /// Failures per account within `find_time` that ban the account.
    pub max_failures: Option<Spanned<u32>>,
    /// Failures per client address within `find_time` that ban the address.
    pub max_failures_per_address: Option<Spanned<u32>>,
    /// Window in which failures are counted.
    pub find_time: Option<ConfigDuration>,
    /// How long a ban lasts.
    pub ban_time: Option<ConfigDuration>,
}

/// Failed-login regulation limits.
#[derive(Debug, Clone, Copy)]
pub struct LoginSettings {
    /// Per account.
    pub per_account: super::Limits,
    /// Per client address (IPv6: per /64).
    pub per_address: super::Limits,
}

/// `[login]`: failure counts of at least 1, a window and a ban time, per account and per client address.
pub fn validate(c: &mut Checker<'_>, l: &FileLogin) -> LoginSettings {
    let mut count = |v: &Option<Spanned<u32>>, default: u32| match v {
        Some(n) if *n.get_ref() == 0 => {
            c.err(n, "must be at least 1");
            default
        }
        Some(n) => *n.get_ref(),
        None => default,
    };
    let account = count(&l.max_failures, 5);
    let address = count(&l.max_failures_per_address, 20);
    let find_time = l.find_time.map(|d| d.0).unwrap_or(Duration::from_secs(300));
    let ban_time = l.ban_time.map(|d| d.0).unwrap_or(Duration::from_secs(300));
    let limits = |max_failures| super::Limits { max_failures, find_time, ban_time };
    LoginSettings { per_account: limits(account), per_address: limits(address) }
}
