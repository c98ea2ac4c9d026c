//! Access policies: who may open which service, from which zone, with which login, and when.
//!
//! Policy files are TOML files in one directory ([`file`] is the format, `docs/policies.md` the reference). They
//! are checked and compiled at load ([`compile`], [`check`]) into a [`PolicySet`]: rules indexed by service, with
//! zones interned and groups and users sorted, so a decision costs a hash lookup and a few comparisons per rule.
//!
//! # Semantics
//! - A rule matches when every condition it states matches (AND); a list matches when any entry does (OR).
//! - **Deny overrides allow**: if any deny rule matches, the request is denied, whatever allows match.
//! - **No matching allow means deny.**
//! - Windows are read on the wall clock of the rule's time zone ([`window`] has the daylight-saving details).
//! - The time of a decision is passed in ([`AccessRequest::at`]); nothing here reads the clock.
//!
//! # Why a request is denied
//! When no rule allows a request, the decision names the first of these that applies, in this order:
//! 1. [`DenyReason::DeniedByRule`]: a deny rule matched.
//! 2. [`DenyReason::NeedsStrongerLogin`]: a login Portvakt issues that is stronger than this one would be allowed.
//! 3. [`DenyReason::NotFromThisZone`]: the same login would be allowed from another zone.
//! 4. [`DenyReason::ClosedUntil`]: the same request would be allowed later (within [`LOOKAHEAD_DAYS`] days).
//! 5. [`DenyReason::NoMatchingAllow`]: none of these.
//!
//! The order puts what the user can do right now first: step up the login, then move, then wait.

pub mod agreement;
mod check;
mod compile;
mod explain;
mod file;
mod window;

#[cfg(test)]
mod tests;

use crate::config::error::{ConfigError, ConfigErrors, SourceFile};
use crate::methods::{Method, Methods};
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use window::Schedule;

/// Pseudo-service for registering SMS numbers on the account page.
pub const ACCOUNT_PHONES: &str = "account.phones";
/// Pseudo-service for linking an eID to an account.
pub const ACCOUNT_EID_LINK: &str = "account.eid-link";
/// Every account pseudo-service; rules name them in `services` like real services.
pub const ACCOUNT_ACTIONS: [&str; 2] = [ACCOUNT_PHONES, ACCOUNT_EID_LINK];
/// Time zone of rules whose file and rule name none.
pub const DEFAULT_TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Oslo;
/// How far ahead [`DenyReason::ClosedUntil`] looks for a reopening.
pub const LOOKAHEAD_DAYS: i64 = 8;

/// What policy files are checked against: names from the gateway config.
#[derive(Debug, Clone, Default)]
pub struct CheckContext {
    /// Service names from the config.
    pub services: Vec<String>,
    /// Zone names, including `remote`.
    pub zones: Vec<String>,
    /// Known group names, when the directories can list them; `None` accepts any group.
    pub groups: Option<HashSet<String>>,
    /// Unknown groups are warnings, not errors: some directory's groups come from a mapping of directory groups
    /// (LDAP `group_map`), which the directory, not the config, fills.
    pub groups_mapped: bool,
    /// Realm (directory) names; `None` accepts any realm.
    pub realms: Option<HashSet<String>>,
    /// Institution names from `[[institutions]]`; `None` accepts any. Unknown names are warnings (a directory
    /// attribute may name institutions the config does not list).
    pub institutions: Option<HashSet<String>>,
}

pub use crate::methods::Assurance;

/// The facts of one request that policies decide on.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Service name, or an account pseudo-service such as [`ACCOUNT_PHONES`].
    pub service: &'a str,
    /// URL path (a query string is ignored; percent-escapes and dot segments are resolved before matching).
    pub path: &'a str,
    /// The service's backend ignores letter case: path rules match in any case.
    pub case_insensitive: bool,
    /// Zone the request comes from.
    pub zone: &'a str,
    /// Username.
    pub user: &'a str,
    /// The user's groups.
    pub groups: &'a [String],
    /// The realm (directory) the user logged in through.
    pub realm: &'a str,
    /// The user's institution, if one is known.
    pub institution: Option<&'a str>,
    /// Methods the session's login used.
    pub methods: Methods,
    /// eID assurance level of the login.
    pub assurance: Assurance,
    /// When the request is made.
    pub at: DateTime<Utc>,
}

/// Where a rule is written: for logs, deny pages and `portvakt explain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuleRef {
    /// Policy file.
    pub file: PathBuf,
    /// Rule id.
    pub id: String,
    /// 1-based line of the rule's `[[rule]]` header.
    pub line: usize,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.id, self.file.display(), self.line)
    }
}

/// The outcome of a policy decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Let the request through.
    Allow {
        /// The allow rule that matched first.
        rule: RuleRef,
    },
    /// Refuse the request.
    Deny {
        /// For [`DenyReason::DeniedByRule`] the deny rule; for the other reasons except `NoMatchingAllow`, the allow
        /// rule that would have matched under the change the reason names.
        rule: Option<RuleRef>,
        /// Why, in the order documented on the module.
        reason: DenyReason,
        /// That rule's message for the user, if it has one.
        message: Option<LocalizedMessage>,
    },
}

impl Verdict {
    /// Whether the request may go through.
    pub fn is_allow(&self) -> bool {
        matches!(self, Verdict::Allow { .. })
    }
}

/// Why a request was denied; when several apply the first in this list wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// An explicit deny rule matched.
    DeniedByRule,
    /// An allow rule would match with a stronger login (two-factor, eID, higher assurance), all else equal, now.
    NeedsStrongerLogin,
    /// An allow rule would match from another zone, all else equal.
    NotFromThisZone,
    /// The request would be allowed at this later instant, the earliest within [`LOOKAHEAD_DAYS`] days.
    ClosedUntil(DateTime<Utc>),
    /// No rule would allow this request by any of the changes above.
    NoMatchingAllow,
}

impl DenyReason {
    /// A stable name for logs and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            DenyReason::DeniedByRule => "denied-by-rule",
            DenyReason::NeedsStrongerLogin => "needs-stronger-login",
            DenyReason::NotFromThisZone => "not-from-this-zone",
            DenyReason::ClosedUntil(_) => "closed-until",
            DenyReason::NoMatchingAllow => "no-matching-allow",
        }
    }
}

/// A rule's message for users in up to five languages; cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalizedMessage(Arc<Texts>);

#[derive(Debug, PartialEq, Eq)]
struct Texts {
    sv: Option<Box<str>>,
    nb: Option<Box<str>>,
    nn: Option<Box<str>>,
    da: Option<Box<str>>,
    en: Option<Box<str>>,
}

impl LocalizedMessage {
    /// The text in a language ("sv", "nb", "nn", "da", "en"; a region such as "nb-NO" and "no" for bokmål are
    /// understood), falling back to English, then to any language given.
    pub fn get(&self, lang_code: &str) -> Option<&str> {
        let t = &self.0;
        let primary = lang_code.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        let exact = match primary.as_str() {
            "sv" => &t.sv,
            "nb" | "no" => &t.nb,
            "nn" => &t.nn,
            "da" => &t.da,
            _ => &t.en,
        };
        exact
            .as_deref()
            .or(t.en.as_deref())
            .or(t.sv.as_deref())
            .or(t.nb.as_deref())
            .or(t.nn.as_deref())
            .or(t.da.as_deref())
    }
}

/// A decision with the reasoning behind it, for `portvakt explain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// What [`PolicySet::decide`] returns for the same request.
    pub verdict: Verdict,
    /// The rule that decided: the allow that matched, or the deny that matched; `None` when no rule matched.
    pub deciding: Option<RuleRef>,
    /// One sentence per rule for the service, in evaluation order (denies first), then the conclusion.
    pub reasons: Vec<String>,
    /// For a deny: each change that alone would let the request through.
    pub would_allow: Vec<String>,
}

/// Compiled policies: immutable, `Send + Sync`, shared behind an `Arc`.
#[derive(Debug)]
pub struct PolicySet {
    rules: Vec<CompiledRule>,
    by_service: HashMap<Box<str>, Bucket>,
    zones: Box<[Box<str>]>,
    idle: Vec<IdleOverride>,
    warnings: Vec<ConfigError>,
}

/// The rules of one service, as indices into [`PolicySet::rules`], in file order.
#[derive(Debug, Default)]
struct Bucket {
    denies: Vec<usize>,
    allows: Vec<usize>,
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

impl Effect {
    fn verb(self) -> &'static str {
        match self {
            Effect::Allow => "allows",
            Effect::Deny => "denies",
        }
    }
}

/// The login conditions of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct LoginCond {
    methods: Option<Methods>,
    two_factor: Option<bool>,
    min_assurance: Option<Assurance>,
}

impl LoginCond {
    fn admits(&self, methods: Methods, assurance: Assurance) -> bool {
        self.methods.is_none_or(|want| want.iter().any(|m| methods.contains(m)))
            && self.two_factor.is_none_or(|tf| crate::methods::is_two_factor(methods, assurance) == tf)
            && self.min_assurance.is_none_or(|min| assurance >= min)
    }
}

/// A login as Portvakt issues it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Login {
    methods: Methods,
    assurance: Assurance,
}

impl Login {
    /// The logins policies are checked against: password; password + SMS or e-mail code; eID at substantial or
    /// high (ID-porten's levels; an eID mapped to `low` is rare and judged like a one-factor login).
    fn issued() -> [Login; 5] {
        let pw = Methods::of(Method::Password);
        let eid = Methods::of(Method::Eid);
        [
            Login { methods: pw, assurance: Assurance::None },
            Login { methods: pw.with(Method::Sms), assurance: Assurance::None },
            Login { methods: pw.with(Method::Email), assurance: Assurance::None },
            Login { methods: eid, assurance: Assurance::Substantial },
            Login { methods: eid, assurance: Assurance::High },
        ]
    }

    /// Strength, for "stronger login": password (or eID low) < one-time code < eID substantial < eID high.
    fn rank(methods: Methods, assurance: Assurance) -> u8 {
        if methods.contains(Method::Eid) {
            match assurance {
                Assurance::High => 4,
                Assurance::Substantial => 3,
                _ => 1,
            }
        } else if methods.is_password_and_code() {
            2
        } else if methods.contains(Method::Password) {
            1
        } else {
            0
        }
    }
}

/// A validated rule, ready to evaluate.
#[derive(Debug)]
struct CompiledRule {
    rule_ref: RuleRef,
    /// Column of the `[[rule]]` header, for checker messages.
    col: usize,
    effect: Effect,
    services: Box<[Box<str>]>,
    /// Normalised prefixes: leading '/', no trailing '/' except the root.
    paths: Option<Box<[Box<str>]>>,
    zones: Option<Box<[u16]>>,
    /// Sorted.
    groups: Option<Box<[Box<str>]>>,
    /// Sorted.
    users: Option<Box<[Box<str>]>>,
    /// Sorted.
    realms: Option<Box<[Box<str>]>>,
    /// Sorted.
    institutions: Option<Box<[Box<str>]>>,
    login: LoginCond,
    schedule: Option<Schedule>,
    message: Option<LocalizedMessage>,
    /// Where the login conditions are written, for checker messages.
    sites: LoginSites,
}

/// Line and column of a rule's login keys.
#[derive(Debug, Clone, Copy, Default)]
struct LoginSites {
    min_assurance: Option<(usize, usize)>,
    two_factor: Option<(usize, usize)>,
    methods: Option<(usize, usize)>,
}

/// The condition of a rule that a request failed first, in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cond {
    Path,
    Zone,
    Group,
    User,
    Realm,
    Institution,
    Login,
    Time,
}

/// A request with its zone interned and its path normalised.
#[derive(Debug, Clone, Copy)]
struct Facts<'a> {
    path: &'a str,
    /// `path` is lower-cased and path rules compare in lower case.
    fold: bool,
    zone: Option<u16>,
    user: &'a str,
    groups: &'a [String],
    realm: &'a str,
    institution: Option<&'a str>,
    methods: Methods,
    assurance: Assurance,
    at: DateTime<Utc>,
}

/// Whether `path` is `prefix` or lies below it, segment-wise ("/a/b" is under "/a", "/ab" is not).
fn path_under(path: &str, prefix: &str) -> bool {
    prefix == "/" || (path.starts_with(prefix) && matches!(path.as_bytes().get(prefix.len()), None | Some(b'/')))
}

/// The path policies match on: without query or fragment, percent-decoded, with empty and dot segments resolved
/// and backslashes read as slashes, lower-cased when `fold`. Borrowed when already in that form (the common case).
/// The gateway hands in canonical paths (`crate::canonical`), so only their remaining escapes are decoded here.
fn normalize_path(raw: &str, fold: bool) -> Cow<'_, str> {
    let p = normalize_spelling(raw);
    if fold {
        return Cow::Owned(p.to_lowercase());
    }
    p
}

fn normalize_spelling(raw: &str) -> Cow<'_, str> {
    let p = raw.split(['?', '#']).next().unwrap_or("");
    let clean = p.starts_with('/')
        && !p.contains("//")
        && !p.contains(['%', '\\'])
        && !p.split('/').any(|s| s == "." || s == "..");
    if clean {
        return Cow::Borrowed(p);
    }
    let decoded = percent_encoding::percent_decode_str(p).decode_utf8_lossy();
    let mut segs: Vec<&str> = Vec::new();
    for s in decoded.split(['/', '\\']) {
        match s {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let mut out = String::with_capacity(decoded.len() + 1);
    for s in &segs {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

fn sorted_contains(set: &[Box<str>], s: &str) -> bool {
    set.binary_search_by(|x| (**x).cmp(s)).is_ok()
}

impl CompiledRule {
    /// The first condition `f` fails, or `None` when the rule matches; time is ignored unless `with_time`.
    fn mismatch(&self, f: &Facts<'_>, with_time: bool) -> Option<Cond> {
        if let Some(ps) = &self.paths {
            let under = |p: &str| if f.fold { path_under(f.path, &p.to_lowercase()) } else { path_under(f.path, p) };
            if !ps.iter().any(|p| under(p)) {
                return Some(Cond::Path);
            }
        }
        if let Some(zs) = &self.zones {
            if !f.zone.is_some_and(|z| zs.contains(&z)) {
                return Some(Cond::Zone);
            }
        }
        if let Some(gs) = &self.groups {
            if !f.groups.iter().any(|g| sorted_contains(gs, g)) {
                return Some(Cond::Group);
            }
        }
        if let Some(us) = &self.users {
            if !sorted_contains(us, f.user) {
                return Some(Cond::User);
            }
        }
        if let Some(rs) = &self.realms {
            if !sorted_contains(rs, f.realm) {
                return Some(Cond::Realm);
            }
        }
        if let Some(is) = &self.institutions {
            if !f.institution.is_some_and(|i| sorted_contains(is, i)) {
                return Some(Cond::Institution);
            }
        }
        if !self.login.admits(f.methods, f.assurance) {
            return Some(Cond::Login);
        }
        if with_time {
            if let Some(s) = &self.schedule {
                if !s.contains(f.at) {
                    return Some(Cond::Time);
                }
            }
        }
        None
    }

    fn matches(&self, f: &Facts<'_>) -> bool {
        self.mismatch(f, true).is_none()
    }
}

/// What the rules of a service say about one set of facts.
enum Outcome<'s> {
    Denied(&'s CompiledRule),
    Allowed(&'s CompiledRule),
    NoMatch,
}

impl PolicySet {
    /// Loads every `*.toml` in `dir` (sorted by name; hidden files skipped), validates against `ctx`; all problems
    /// together, each `FILE:LINE:COL`.
    pub fn load_dir(dir: &Path, ctx: &CheckContext) -> Result<PolicySet, ConfigErrors> {
        let dir_error =
            |message: String| ConfigErrors(vec![ConfigError { file: dir.to_path_buf(), position: None, message }]);
        let entries =
            std::fs::read_dir(dir).map_err(|e| dir_error(format!("cannot read the policy directory: {e}")))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.ends_with(".toml") && !name.starts_with('.') && p.is_file()
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(dir_error(
                "no policy files (*.toml) here: with no rules every request is denied; add a policy file \
                 (see docs/policies.md) or remove policies_dir from the config"
                    .to_string(),
            ));
        }
        let mut sources = Vec::with_capacity(paths.len());
        let mut errors = Vec::new();
        for p in &paths {
            match SourceFile::read(p) {
                Ok(s) => sources.push(s),
                Err(e) => errors.push(e),
            }
        }
        match PolicySet::from_sources(&sources, ctx) {
            Ok(set) if errors.is_empty() => Ok(set),
            Ok(_) => Err(ConfigErrors(errors)),
            Err(ConfigErrors(more)) => {
                errors.extend(more);
                Err(ConfigErrors(errors))
            }
        }
    }

    /// Same as [`PolicySet::load_dir`] from in-memory sources, in the order given.
    pub fn from_sources(sources: &[SourceFile], ctx: &CheckContext) -> Result<PolicySet, ConfigErrors> {
        let compiled = compile::compile(sources, ctx);
        let warnings = compiled.warnings;
        let mut errors = compiled.errors;
        errors.extend(check::analyse(&compiled.rules));
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        let mut by_service: HashMap<Box<str>, Bucket> = HashMap::new();
        for (i, r) in compiled.rules.iter().enumerate() {
            for s in r.services.iter() {
                let b = by_service.entry(s.clone()).or_default();
                match r.effect {
                    Effect::Allow => b.allows.push(i),
                    Effect::Deny => b.denies.push(i),
                }
            }
        }
        Ok(PolicySet {
            rules: compiled.rules,
            by_service,
            zones: ctx.zones.iter().map(|z| z.as_str().into()).collect(),
            idle: compiled.idle,
            warnings,
        })
    }

    /// What `portvakt check` reports as warnings: valid rules naming a group, realm or institution that nothing
    /// known produces, each as `FILE:LINE:COL: warning: …`.
    pub fn warnings(&self) -> &[ConfigError] {
        &self.warnings
    }

    /// Decides a request: allow, or deny with the reason (see the module doc for the order of reasons).
    pub fn decide(&self, req: &AccessRequest<'_>) -> Verdict {
        let path = normalize_path(req.path, req.case_insensitive);
        let f = self.facts(req, &path);
        let Some(b) = self.by_service.get(req.service) else {
            return Verdict::Deny { rule: None, reason: DenyReason::NoMatchingAllow, message: None };
        };
        match self.evaluate(b, &f) {
            // A deny that only holds at certain hours closes the service for now: say until when, with the
            // deny rule's own message, when the request would be allowed once its window ends.
            Outcome::Denied(r) if r.schedule.is_some() => match self.reopening(b, &f) {
                Some((t, _)) => deny(DenyReason::ClosedUntil(t), r),
                None => deny(DenyReason::DeniedByRule, r),
            },
            Outcome::Denied(r) => deny(DenyReason::DeniedByRule, r),
            Outcome::Allowed(r) => Verdict::Allow { rule: r.rule_ref.clone() },
            Outcome::NoMatch => self.classify(b, &f),
        }
    }

    /// The decision and why (for `portvakt explain`): each rule's part, and what would have made a deny an allow.
    pub fn explain(&self, req: &AccessRequest<'_>) -> Explanation {
        explain::explain(self, req)
    }

    /// The idle timeout for a zone and login: the shortest of the matching `[[idle]]` overrides, or `None` for the
    /// configured default.
    pub fn idle_timeout(&self, zone: &str, methods: Methods) -> Option<Duration> {
        let zone = self.zone_id(zone);
        self.idle.iter().filter(|o| o.matches(zone, methods)).map(|o| o.timeout).min()
    }

    /// Number of rules across all files.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    fn zone_id(&self, zone: &str) -> Option<u16> {
        self.zones.iter().position(|z| **z == *zone).and_then(|i| u16::try_from(i).ok())
    }

    fn facts<'a>(&self, req: &AccessRequest<'a>, path: &'a str) -> Facts<'a> {
        Facts {
            path,
            fold: req.case_insensitive,
            zone: self.zone_id(req.zone),
            user: req.user,
            groups: req.groups,
            realm: req.realm,
            institution: req.institution,
            methods: req.methods,
            assurance: req.assurance,
            at: req.at,
        }
    }

    fn rules_of<'s, 'i>(&'s self, ids: &'i [usize]) -> impl Iterator<Item = &'s CompiledRule> + use<'s, 'i> {
        ids.iter().filter_map(|&i| self.rules.get(i))
    }

    fn evaluate(&self, b: &Bucket, f: &Facts<'_>) -> Outcome<'_> {
        if let Some(r) = self.rules_of(&b.denies).find(|r| r.matches(f)) {
            return Outcome::Denied(r);
        }
        match self.rules_of(&b.allows).find(|r| r.matches(f)) {
            Some(r) => Outcome::Allowed(r),
            None => Outcome::NoMatch,
        }
    }

    /// Names the reason for a deny where no rule matched (module doc, "Why a request is denied").
    fn classify(&self, b: &Bucket, f: &Facts<'_>) -> Verdict {
        if let Some((_, r)) = self.stronger_logins(b, f).next() {
            return deny(DenyReason::NeedsStrongerLogin, r);
        }
        if let Some((_, r)) = self.other_zones(b, f).next() {
            return deny(DenyReason::NotFromThisZone, r);
        }
        if let Some((t, r)) = self.reopening(b, f) {
            return deny(DenyReason::ClosedUntil(t), r);
        }
        Verdict::Deny { rule: None, reason: DenyReason::NoMatchingAllow, message: None }
    }

    /// Issued logins stronger than this one under which the request would be allowed, with the allowing rule.
    fn stronger_logins<'s>(
        &'s self,
        b: &'s Bucket,
        f: &'s Facts<'s>,
    ) -> impl Iterator<Item = (Login, &'s CompiledRule)> + 's {
        let current = Login::rank(f.methods, f.assurance);
        Login::issued().into_iter().filter(move |l| Login::rank(l.methods, l.assurance) > current).filter_map(
            move |l| {
                let h = Facts { methods: l.methods, assurance: l.assurance, ..*f };
                match self.evaluate(b, &h) {
                    Outcome::Allowed(r) => Some((l, r)),
                    _ => None,
                }
            },
        )
    }

    /// Other zones from which the request would be allowed, with the allowing rule.
    fn other_zones<'s>(
        &'s self,
        b: &'s Bucket,
        f: &'s Facts<'s>,
    ) -> impl Iterator<Item = (&'s str, &'s CompiledRule)> + 's {
        self.zones
            .iter()
            .enumerate()
            .filter_map(|(i, z)| u16::try_from(i).ok().map(|i| (i, z)))
            .filter(move |(i, _)| f.zone != Some(*i))
            .filter_map(move |(i, z)| {
                let h = Facts { zone: Some(i), ..*f };
                match self.evaluate(b, &h) {
                    Outcome::Allowed(r) => Some((&**z, r)),
                    _ => None,
                }
            })
    }

    /// The earliest instant within [`LOOKAHEAD_DAYS`] at which the same request would be allowed.
    ///
    /// Only window boundaries can change a decision: an allow rule's window opening or a deny rule's window
    /// closing. Those of the rules that match in every other respect are collected and tried in order.
    fn reopening<'s>(&'s self, b: &'s Bucket, f: &Facts<'_>) -> Option<(DateTime<Utc>, &'s CompiledRule)> {
        let until = f.at + chrono::Duration::days(LOOKAHEAD_DAYS);
        let mut candidates = Vec::new();
        for (ids, opening) in [(&b.allows, true), (&b.denies, false)] {
            for r in self.rules_of(ids) {
                if let Some(s) = &r.schedule {
                    if r.mismatch(f, false).is_none() {
                        s.boundaries(f.at, until, opening, &mut candidates);
                    }
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find_map(|t| {
            let h = Facts { at: t, ..*f };
            match self.evaluate(b, &h) {
                Outcome::Allowed(r) => Some((t, r)),
                _ => None,
            }
        })
    }
}

fn deny(reason: DenyReason, r: &CompiledRule) -> Verdict {
    Verdict::Deny { rule: Some(r.rule_ref.clone()), reason, message: r.message.clone() }
}

/// An `[[idle]]` override.
#[derive(Debug)]
struct IdleOverride {
    zones: Option<Box<[u16]>>,
    methods: Option<Methods>,
    timeout: Duration,
}

impl IdleOverride {
    fn matches(&self, zone: Option<u16>, methods: Methods) -> bool {
        self.zones.as_ref().is_none_or(|zs| zone.is_some_and(|z| zs.contains(&z)))
            && self.methods.is_none_or(|want| want.iter().any(|m| methods.contains(m)))
    }
}
