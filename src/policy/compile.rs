//! Turns parsed policy files into compiled rules, checking every value on the way; each problem is reported at its
//! file, line and column. Analyses across rules (duplicates, contradictions, shadowing) are in [`super::check`].

use super::file::{FileIdle, FilePolicy, FileRule, FileWindow, SpannedList};
use super::window::{parse_day, parse_time, Schedule, Window};
use super::{
    Assurance, CheckContext, CompiledRule, Effect, IdleOverride, LocalizedMessage, LoginCond, RuleRef, Texts,
    ACCOUNT_ACTIONS, DEFAULT_TIMEZONE,
};
use crate::config::error::{ConfigError, SourceFile};
use crate::methods::{Method, Methods};
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;
use toml::Spanned;

/// The result of compiling every source.
pub(super) struct Compiled {
    /// Rules without problems of their own, in file order.
    pub rules: Vec<CompiledRule>,
    /// Idle overrides without problems.
    pub idle: Vec<IdleOverride>,
    /// Every problem found.
    pub errors: Vec<ConfigError>,
}

/// Compiles `sources` in order against `ctx`.
pub(super) fn compile(sources: &[SourceFile], ctx: &CheckContext) -> Compiled {
    let mut out = Compiled { rules: Vec::new(), idle: Vec::new(), errors: Vec::new() };
    let mut seen_ids: Vec<(String, RuleRef)> = Vec::new();
    for src in sources {
        let file: FilePolicy = match src.parse() {
            Ok(f) => f,
            Err(e) => {
                out.errors.push(e);
                continue;
            }
        };
        let mut c = FileCompiler { src, ctx, errors: Vec::new() };
        let default_tz = match &file.timezone {
            Some(t) => c.timezone(t).unwrap_or(DEFAULT_TIMEZONE),
            None => DEFAULT_TIMEZONE,
        };
        for rule in &file.rule {
            let header = src.line_col(rule.span().start);
            let r = rule.get_ref();
            c.duplicate_id(&r.id, &mut seen_ids, header.0);
            if let Some(compiled) = c.rule(r, header, default_tz) {
                out.rules.push(compiled);
            }
        }
        for idle in &file.idle {
            if let Some(o) = c.idle(idle.get_ref()) {
                out.idle.push(o);
            }
        }
        out.errors.extend(c.errors);
    }
    out
}

struct FileCompiler<'a> {
    src: &'a SourceFile,
    ctx: &'a CheckContext,
    errors: Vec<ConfigError>,
}

/// "a, b, c" for a list of names.
fn names<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(", ")
}

impl FileCompiler<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.errors.push(self.src.error_at(Some(span), msg));
    }

    fn duplicate_id(&mut self, id: &Spanned<String>, seen: &mut Vec<(String, RuleRef)>, line: usize) {
        if let Some((_, first)) = seen.iter().find(|(s, _)| s == id.get_ref()) {
            let msg = format!(
                "duplicate rule id \"{}\": already used by the rule at {}:{}; rule ids must be unique across all \
                 policy files",
                id.get_ref(),
                first.file.display(),
                first.line
            );
            self.err(id.span(), msg);
        } else {
            seen.push((id.get_ref().clone(), RuleRef { file: self.src.path.clone(), id: id.get_ref().clone(), line }));
        }
    }

    fn timezone(&mut self, t: &Spanned<String>) -> Option<Tz> {
        match t.get_ref().parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.err(
                    t.span(),
                    format!(
                        "unknown time zone \"{}\": use an IANA name such as \"Europe/Oslo\", \"Europe/Stockholm\" \
                         or \"Europe/Copenhagen\"",
                        t.get_ref()
                    ),
                );
                None
            }
        }
    }

    /// A list that must not be empty (an empty one can never match); `None` after reporting if it is.
    fn non_empty<'l>(&mut self, list: &'l SpannedList, key: &str, remedy: &str) -> Option<&'l [Spanned<String>]> {
        if list.get_ref().is_empty() {
            self.err(list.span(), format!("{key} is empty, so this can never match: {remedy}"));
            None
        } else {
            Some(list.get_ref())
        }
    }

    fn methods(&mut self, list: &SpannedList) -> Option<Methods> {
        let items = self.non_empty(
            list,
            "methods",
            "remove methods to accept any login, or list some of password, sms, email, eid",
        )?;
        let mut set = Methods::default();
        let mut ok = true;
        for m in items {
            match Method::parse(m.get_ref()) {
                Some(m) => set = set.with(m),
                None => {
                    ok = false;
                    self.err(
                        m.span(),
                        format!("unknown login method \"{}\": write password, sms, email or eid", m.get_ref()),
                    );
                }
            }
        }
        ok.then_some(set)
    }

    fn zones(&mut self, list: &SpannedList) -> Option<Box<[u16]>> {
        let items = self.non_empty(list, "zones", "remove zones to match every zone, or list at least one")?;
        let mut ids = BTreeSet::new();
        let mut ok = true;
        for z in items {
            match self.ctx.zones.iter().position(|k| k == z.get_ref()).and_then(|i| u16::try_from(i).ok()) {
                Some(i) => {
                    ids.insert(i);
                }
                None => {
                    ok = false;
                    let known = names(&self.ctx.zones);
                    self.err(z.span(), format!("unknown zone \"{}\": the zones are {known}", z.get_ref()));
                }
            }
        }
        ok.then(|| ids.into_iter().collect())
    }

    fn rule(&mut self, r: &FileRule, (line, col): (usize, usize), default_tz: Tz) -> Option<CompiledRule> {
        let before = self.errors.len();

        let id = r.id.get_ref();
        if id.is_empty()
            || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'))
        {
            self.err(
                r.id.span(),
                format!(
                    "invalid rule id \"{id}\": use lower-case letters, digits, '-', '_' and '.', e.g. \
                     \"expense-office-hours\""
                ),
            );
        }

        let effect = match r.effect.get_ref().as_str() {
            "allow" => Effect::Allow,
            "deny" => Effect::Deny,
            other => {
                self.err(r.effect.span(), format!("invalid effect \"{other}\": write \"allow\" or \"deny\""));
                Effect::Deny
            }
        };

        let services = self.services(&r.services);
        let paths = r.paths.as_ref().and_then(|p| self.paths(p, &services));
        let zones = r.zones.as_ref().and_then(|z| self.zones(z));
        let groups = r.groups.as_ref().and_then(|g| self.groups(g));
        let users = r.users.as_ref().and_then(|u| {
            self.non_empty(u, "users", "remove users to match every user, or list at least one")
                .map(|items| sorted_set(items.iter().map(|s| s.get_ref().as_str())))
        });
        let methods = r.methods.as_ref().and_then(|m| self.methods(m));
        let min_assurance = r.min_assurance.as_ref().and_then(|a| {
            let level = Assurance::parse(a.get_ref());
            if level.is_none() {
                self.err(
                    a.span(),
                    format!("unknown assurance level \"{}\": write \"substantial\" or \"high\"", a.get_ref()),
                );
            }
            level
        });
        let login = LoginCond { methods, two_factor: r.two_factor.as_ref().map(|t| *t.get_ref()), min_assurance };
        let tz = match &r.timezone {
            Some(t) => self.timezone(t).unwrap_or(default_tz),
            None => default_tz,
        };
        let except = r.except_dates.as_ref().map(|d| self.dates(d));
        let windows = r.windows.as_ref().and_then(|w| self.windows(w));
        if let (Some(d), None) = (&r.except_dates, &r.windows) {
            self.err(
                d.span(),
                "except_dates has no effect without [[rule.windows]]: a rule without windows applies at all \
                 times; add windows or remove except_dates",
            );
        }
        let schedule = windows.map(|windows| Schedule { tz, windows, except: except.unwrap_or_default() });
        let message = r.message.as_ref().map(|m| {
            let b = |s: &Option<String>| s.as_deref().map(Box::<str>::from);
            LocalizedMessage(Arc::new(Texts { sv: b(&m.sv), nb: b(&m.nb), nn: b(&m.nn), da: b(&m.da), en: b(&m.en) }))
        });

        if self.errors.len() > before {
            return None;
        }
        Some(CompiledRule {
            rule_ref: RuleRef { file: self.src.path.clone(), id: id.clone(), line },
            col,
            effect,
            services,
            paths,
            zones,
            groups,
            users,
            login,
            schedule,
            message,
            sites: Sites {
                min_assurance: r.min_assurance.as_ref().map(|s| s.span()),
                two_factor: r.two_factor.as_ref().map(|s| s.span()),
                methods: r.methods.as_ref().map(|s| s.span()),
            }
            .positions(self.src),
        })
    }

    fn services(&mut self, list: &SpannedList) -> Box<[Box<str>]> {
        let Some(items) = self.non_empty(list, "services", "list the services (or account actions) this rule is about")
        else {
            return Box::new([]);
        };
        let mut out = BTreeSet::new();
        for s in items {
            let name = s.get_ref().as_str();
            if self.ctx.services.iter().any(|k| k == name) || ACCOUNT_ACTIONS.contains(&name) {
                out.insert(name);
            } else {
                let known = names(&self.ctx.services);
                let actions = names(&ACCOUNT_ACTIONS);
                self.err(
                    s.span(),
                    format!(
                        "unknown service \"{name}\": the config's services are {known}; account actions are \
                         {actions}"
                    ),
                );
            }
        }
        out.into_iter().map(Box::from).collect()
    }

    fn paths(&mut self, list: &SpannedList, services: &[Box<str>]) -> Option<Box<[Box<str>]>> {
        let items = self.non_empty(
            list,
            "paths",
            "remove paths to cover the whole service, or list path prefixes such as \"/expense/admin\"",
        )?;
        if let Some(a) = services.iter().find(|s| ACCOUNT_ACTIONS.contains(&&***s)) {
            self.err(
                list.span(),
                format!("paths do not apply to the account action {a}: remove paths, or give {a} its own rule"),
            );
            return None;
        }
        let mut out = BTreeSet::new();
        for p in items {
            let raw = p.get_ref();
            let bad = if !raw.starts_with('/') {
                Some("must start with '/'")
            } else if raw.contains(['?', '#']) {
                Some("must not contain a query ('?') or fragment ('#')")
            } else if raw.contains(['%', '\\']) {
                Some("must be written decoded, without '%' escapes or backslashes")
            } else if raw.split('/').any(|s| s == "." || s == "..") || raw.trim_end_matches('/').contains("//") {
                Some("must not contain '.' or '..' segments or empty segments")
            } else {
                None
            };
            match bad {
                Some(why) => self.err(p.span(), format!("path prefix \"{raw}\" {why}")),
                None => {
                    let t = raw.trim_end_matches('/');
                    out.insert(if t.is_empty() { "/" } else { t });
                }
            }
        }
        Some(out.into_iter().map(Box::from).collect())
    }

    fn groups(&mut self, list: &SpannedList) -> Option<Box<[Box<str>]>> {
        let items =
            self.non_empty(list, "groups", "remove groups to match users in any group, or list at least one")?;
        if let Some(known) = &self.ctx.groups {
            let mut listed: Vec<&str> = known.iter().map(String::as_str).collect();
            listed.sort_unstable();
            let mut ok = true;
            for g in items {
                if !known.contains(g.get_ref()) {
                    ok = false;
                    self.err(
                        g.span(),
                        format!("unknown group \"{}\": the directories know {}", g.get_ref(), names(&listed)),
                    );
                }
            }
            if !ok {
                return None;
            }
        }
        Some(sorted_set(items.iter().map(|s| s.get_ref().as_str())))
    }

    fn dates(&mut self, list: &SpannedList) -> Box<[NaiveDate]> {
        let mut out = BTreeSet::new();
        for d in list.get_ref() {
            let s = d.get_ref();
            match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(date) if s.len() == 10 => {
                    out.insert(date);
                }
                _ => self.err(
                    d.span(),
                    format!("invalid date \"{s}\": write a calendar date as YYYY-MM-DD, e.g. \"2026-12-24\""),
                ),
            }
        }
        out.into_iter().collect()
    }

    fn windows(&mut self, list: &Spanned<Vec<Spanned<FileWindow>>>) -> Option<Box<[Window]>> {
        if list.get_ref().is_empty() {
            self.err(
                list.span(),
                "windows is empty, so this rule can never match: remove windows to apply at all times, or add \
                 [[rule.windows]] entries",
            );
            return None;
        }
        let mut out = Vec::new();
        for w in list.get_ref() {
            if let Some(w) = self.window(w.get_ref()) {
                out.push(w);
            }
        }
        Some(out.into())
    }

    fn window(&mut self, w: &FileWindow) -> Option<Window> {
        let before = self.errors.len();
        let mut days = 0u8;
        if w.days.get_ref().is_empty() {
            self.err(
                w.days.span(),
                "days is empty, so this window never opens: list days such as [\"mon\", \"tue\", \"wed\", \"thu\", \
                 \"fri\"]",
            );
        }
        for d in w.days.get_ref() {
            match parse_day(d.get_ref()) {
                Some(i) => days |= 1 << i,
                None => self.err(
                    d.span(),
                    format!("unknown day \"{}\": write mon, tue, wed, thu, fri, sat or sun", d.get_ref()),
                ),
            }
        }
        let time = |c: &mut Self, t: &Spanned<String>, allow_24: bool| {
            let v = parse_time(t.get_ref(), allow_24);
            if v.is_none() {
                let hint = if allow_24 {
                    "write HH:MM from 00:00 to 23:59, or 24:00 for the end of the day"
                } else {
                    "write HH:MM from 00:00 to 23:59"
                };
                c.err(t.span(), format!("invalid time \"{}\": {hint}", t.get_ref()));
            }
            v
        };
        let from = time(self, &w.from, false);
        let to = time(self, &w.to, true);
        if let (Some(f), Some(t)) = (from, to) {
            if f == t {
                self.err(
                    w.to.span(),
                    format!(
                        "window from {} to {} is empty: to end on the next day write a different time; for a whole \
                         day write from = \"00:00\", to = \"24:00\"",
                        w.from.get_ref(),
                        w.to.get_ref()
                    ),
                );
            }
        }
        match (from, to) {
            (Some(from), Some(to)) if self.errors.len() == before => Some(Window { days, from, to }),
            _ => None,
        }
    }

    fn idle(&mut self, i: &FileIdle) -> Option<IdleOverride> {
        let before = self.errors.len();
        let zones = i.zones.as_ref().and_then(|z| self.zones(z));
        let methods = i.methods.as_ref().and_then(|m| self.methods(m));
        let timeout = i.timeout.get_ref().0;
        if timeout.is_zero() {
            self.err(
                i.timeout.span(),
                "an idle timeout of zero would end every session at once: write a duration such as \"10m\"",
            );
        }
        (self.errors.len() == before).then_some(IdleOverride { zones, methods, timeout })
    }
}

fn sorted_set<'s>(items: impl Iterator<Item = &'s str>) -> Box<[Box<str>]> {
    items.collect::<BTreeSet<_>>().into_iter().map(Box::from).collect()
}

/// Byte spans of the keys [`super::check`] may point at.
struct Sites {
    min_assurance: Option<Range<usize>>,
    two_factor: Option<Range<usize>>,
    methods: Option<Range<usize>>,
}

impl Sites {
    fn positions(self, src: &SourceFile) -> super::LoginSites {
        let pos = |s: Option<Range<usize>>| s.map(|s| src.line_col(s.start));
        super::LoginSites {
            min_assurance: pos(self.min_assurance),
            two_factor: pos(self.two_factor),
            methods: pos(self.methods),
        }
    }
}
