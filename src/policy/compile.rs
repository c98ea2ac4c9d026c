//! Turns parsed policy files into compiled rules, checking every value on the way; each problem is reported at its
//! file, line and column. Analyses across rules (duplicates, contradictions, shadowing) are in [`super::check`].

use super::file::{FileIdle, FilePolicy, FileRule, FileWindow, SpannedList};
use super::window::{parse_day, parse_time, Schedule, Window};
use super::{
    Assurance, CheckContext, CompiledRule, Effect, IdleOverride, LocalizedMessage, LoginCond, RuleRef, Texts,
    ACCOUNT_ACTIONS, DEFAULT_TIMEZONE,
};
use crate::config::error::{ConfigError, LineIndex, SourceFile};
use crate::methods::{Method, Methods};
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::{BTreeSet, HashMap};
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
    /// Valid but suspicious: names nothing known produces (`FILE:LINE:COL: warning: …`).
    pub warnings: Vec<ConfigError>,
}

/// Compiles `sources` in order against `ctx`.
pub(super) fn compile(sources: &[SourceFile], ctx: &CheckContext) -> Compiled {
    let mut out = Compiled { rules: Vec::new(), idle: Vec::new(), errors: Vec::new(), warnings: Vec::new() };
    let mut seen_ids: HashMap<String, RuleRef> = HashMap::new();
    for src in sources {
        let file: FilePolicy = match src.parse() {
            Ok(f) => f,
            Err(e) => {
                out.errors.push(e);
                continue;
            }
        };
        let mut c =
            FileCompiler { src, lines: LineIndex::new(&src.text), ctx, errors: Vec::new(), warnings: Vec::new() };
        let default_tz = match &file.timezone {
            Some(t) => c.timezone(t).unwrap_or(DEFAULT_TIMEZONE),
            None => DEFAULT_TIMEZONE,
        };
        for rule in &file.rule {
            let header = c.lines.line_col(rule.span().start);
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
        out.warnings.extend(c.warnings);
    }
    out
}

struct FileCompiler<'a> {
    src: &'a SourceFile,
    lines: LineIndex<'a>,
    ctx: &'a CheckContext,
    errors: Vec<ConfigError>,
    warnings: Vec<ConfigError>,
}

/// "a, b, c" for a list of names.
fn names<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(", ")
}

impl FileCompiler<'_> {
    fn err(&mut self, span: Range<usize>, msg: impl Into<String>) {
        self.errors.push(self.src.error_at(Some(span), msg));
    }

    fn warn(&mut self, span: Range<usize>, msg: impl AsRef<str>) {
        self.warnings.push(self.src.error_at(Some(span), format!("warning: {}", msg.as_ref())));
    }

    fn duplicate_id(&mut self, id: &Spanned<String>, seen: &mut HashMap<String, RuleRef>, line: usize) {
        if let Some(first) = seen.get(id.get_ref()) {
            let msg = format!(
                "duplicate rule id \"{}\": already used by the rule at {}:{}; rule ids must be unique across all \
                 policy files",
                id.get_ref(),
                first.file.display(),
                first.line
            );
            self.err(id.span(), msg);
        } else {
            seen.insert(id.get_ref().clone(), RuleRef { file: self.src.path.clone(), id: id.get_ref().clone(), line });
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
        let realms = r.realms.as_ref().and_then(|l| {
            let known = self.ctx.realms.clone();
            self.names_warned(l, "realms", "realm", "the directories are", known.as_ref())
        });
        let institutions = r.institutions.as_ref().and_then(|l| {
            let known = self.ctx.institutions.clone();
            self.names_warned(l, "institutions", "institution", "[[institutions]] lists", known.as_ref())
        });
        let methods = r.methods.as_ref().and_then(|m| self.methods(m));
        let min_assurance = r.min_assurance.as_ref().and_then(|a| {
            let level = Assurance::parse(a.get_ref());
            if level.is_none() {
                self.err(
                    a.span(),
                    format!("unknown assurance level \"{}\": write \"low\", \"substantial\" or \"high\"", a.get_ref()),
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
            realms,
            institutions,
            login,
            schedule,
            message,
            sites: Sites {
                min_assurance: r.min_assurance.as_ref().map(|s| s.span()),
                two_factor: r.two_factor.as_ref().map(|s| s.span()),
                methods: r.methods.as_ref().map(|s| s.span()),
            }
            .positions(&self.lines),
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
            let listed = if listed.is_empty() { "no group".to_string() } else { names(&listed) };
            let mut ok = true;
            for g in items {
                if known.contains(g.get_ref()) {
                    continue;
                }
                if self.ctx.groups_mapped {
                    // The rule stays valid; it just cannot match through this group until a mapping produces it.
                    self.warn(
                        g.span(),
                        format!(
                            "no directory or group_map produces group \"{}\", so this entry never matches; the \
                             directories produce {listed}",
                            g.get_ref()
                        ),
                    );
                } else {
                    ok = false;
                    self.err(g.span(), format!("unknown group \"{}\": the directories know {listed}", g.get_ref()));
                }
            }
            if !ok {
                return None;
            }
        }
        Some(sorted_set(items.iter().map(|s| s.get_ref().as_str())))
    }

    /// `realms` or `institutions`: a non-empty list; names not in `known` are warnings (the entry never matches).
    fn names_warned(
        &mut self,
        list: &SpannedList,
        key: &str,
        what: &str,
        known_are: &str,
        known: Option<&std::collections::HashSet<String>>,
    ) -> Option<Box<[Box<str>]>> {
        let remedy = format!("remove {key} to match every {what}, or list at least one");
        let items = self.non_empty(list, key, &remedy)?;
        if let Some(known) = known {
            let mut listed: Vec<&str> = known.iter().map(String::as_str).collect();
            listed.sort_unstable();
            let listed = if listed.is_empty() { "none".to_string() } else { names(&listed) };
            for i in items {
                if !known.contains(i.get_ref()) {
                    self.warn(
                        i.span(),
                        format!(
                            "unknown {what} \"{}\", so this entry never matches; {known_are} {listed}",
                            i.get_ref()
                        ),
                    );
                }
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
    fn positions(self, lines: &LineIndex<'_>) -> super::LoginSites {
        let pos = |s: Option<Range<usize>>| s.map(|s| lines.line_col(s.start));
        super::LoginSites {
            min_assurance: pos(self.min_assurance),
            two_factor: pos(self.two_factor),
            methods: pos(self.methods),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::{CheckContext, PolicySet};
    use crate::config::error::SourceFile;

    fn ctx() -> CheckContext {
        CheckContext {
            services: ["self-service", "expense", "signing"].map(String::from).to_vec(),
            zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
            groups: Some(["staff", "teachers"].map(String::from).into_iter().collect()),
            ..Default::default()
        }
    }

    /// Every problem in `files` as `FILE:LINE:COL: message`; empty when they load.
    pub(in crate::policy) fn problems_in(files: &[(&str, &str)], ctx: &CheckContext) -> Vec<String> {
        let sources: Vec<SourceFile> =
            files.iter().map(|(p, t)| SourceFile { path: p.into(), text: t.to_string() }).collect();
        match PolicySet::from_sources(&sources, ctx) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn problems(text: &str) -> Vec<String> {
        problems_in(&[("policies/a.toml", text)], &ctx())
    }

    /// A rule that loads, to put one bad key into.
    fn rule(extra: &str) -> String {
        format!("[[rule]]\nid = \"r\"\nservices = [\"expense\"]\neffect = \"allow\"\n{extra}")
    }

    /// TOML syntax errors, wrong types and unknown keys (in rules, messages, windows, files) point at the spot.
    #[test]
    fn syntax_type_and_unknown_keys() {
        assert_eq!(problems("[[rule]]\nid = \"r\n"), vec!["policies/a.toml:2:8: invalid basic string"]);
        assert_eq!(
            problems(&rule("two_factor = \"yes\"\n")),
            vec!["policies/a.toml:5:14: invalid type: string \"yes\", expected a boolean"]
        );
        assert_eq!(
            problems(&rule("efect = \"deny\"\n")),
            vec![
                "policies/a.toml:5:1: unknown field `efect`, expected one of `id`, `services`, `paths`, `effect`, \
                 `zones`, `groups`, `users`, `realms`, `institutions`, `methods`, `two_factor`, `min_assurance`, \
                 `timezone`, `except_dates`, `message`, `windows`"
            ]
        );
        assert_eq!(
            problems(&rule("message.fr = \"Fermé\"\n")),
            vec!["policies/a.toml:5:9: unknown field `fr`, expected one of `sv`, `nb`, `nn`, `da`, `en`"]
        );
        assert_eq!(
            problems("zone = \"x\"\n"),
            vec!["policies/a.toml:1:1: unknown field `zone`, expected one of `timezone`, `rule`, `idle`"]
        );
        assert_eq!(
            problems(&rule("[[rule.windows]]\ndays = [\"mon\"]\nfrom = \"07:00\"\nto = \"18:00\"\nuntil = \"x\"\n")),
            vec!["policies/a.toml:9:1: unknown field `until`, expected one of `days`, `from`, `to`"]
        );
        assert_eq!(
            problems("[[rule]]\nid = \"r\"\neffect = \"allow\"\n"),
            vec!["policies/a.toml:1:1: missing field `services`"]
        );
    }

    /// Rule ids must be unique across files; the second use is flagged and names the first.
    #[test]
    fn duplicate_ids_across_files() {
        let a = "[[rule]]\nid = \"same\"\nservices = [\"expense\"]\neffect = \"allow\"\n";
        let b = "# second\n\n[[rule]]\nid = \"same\"\nservices = [\"signing\"]\neffect = \"allow\"\n";
        assert_eq!(
            problems_in(&[("policies/a.toml", a), ("policies/b.toml", b)], &ctx()),
            vec![
                "policies/b.toml:4:6: duplicate rule id \"same\": already used by the rule at policies/a.toml:1; \
                 rule ids must be unique across all policy files"
            ]
        );
    }

    /// Ids, effects, services, zones, groups, methods and assurance levels are checked by name.
    #[test]
    fn unknown_names() {
        assert_eq!(
            problems("[[rule]]\nid = \"Expense Rule\"\nservices = [\"expense\"]\neffect = \"allow\"\n"),
            vec![
                "policies/a.toml:2:6: invalid rule id \"Expense Rule\": use lower-case letters, digits, '-', '_' and \
                 '.', e.g. \"expense-office-hours\""
            ]
        );
        assert_eq!(
            problems("[[rule]]\nid = \"r\"\nservices = [\"expense\"]\neffect = \"permit\"\n"),
            vec!["policies/a.toml:4:10: invalid effect \"permit\": write \"allow\" or \"deny\""]
        );
        assert_eq!(
            problems("[[rule]]\nid = \"r\"\nservices = [\"expense\", \"payrol\"]\neffect = \"allow\"\n"),
            vec![
                "policies/a.toml:3:24: unknown service \"payrol\": the config's services are self-service, expense, \
                 signing; account actions are account.phones, account.eid-link"
            ]
        );
        assert_eq!(
            problems(&rule("zones = [\"internal\", \"intranet\"]\n")),
            vec!["policies/a.toml:5:22: unknown zone \"intranet\": the zones are internal, schools, remote"]
        );
        assert_eq!(
            problems(&rule("groups = [\"nurses\"]\n")),
            vec!["policies/a.toml:5:11: unknown group \"nurses\": the directories know staff, teachers"]
        );
        assert_eq!(
            problems(&rule("methods = [\"password\", \"bankid\"]\n")),
            vec!["policies/a.toml:5:24: unknown login method \"bankid\": write password, sms, email or eid"]
        );
        assert_eq!(
            problems(&rule("min_assurance = \"medium\"\n")),
            vec![
                "policies/a.toml:5:17: unknown assurance level \"medium\": write \"low\", \"substantial\" or \"high\""
            ]
        );
    }

    /// Warnings of a set that loads, as `FILE:LINE:COL: warning: message`.
    fn warnings_in(text: &str, ctx: &CheckContext) -> Vec<String> {
        let src = SourceFile { path: "policies/a.toml".into(), text: text.to_string() };
        match PolicySet::from_sources(&[src], ctx) {
            Ok(set) => set.warnings().iter().map(|e| e.to_string()).collect(),
            Err(e) => panic!("{e}"),
        }
    }

    /// A group that no LDAP group_map produces is a warning (the set still loads), not an error; with users files
    /// only, whose groups are all listed, it stays an error.
    #[test]
    fn unmapped_group_is_a_warning() {
        let mapped = CheckContext { groups_mapped: true, ..ctx() };
        assert_eq!(
            warnings_in(&rule("groups = [\"staff\", \"nurses\"]\n"), &mapped),
            vec![
                "policies/a.toml:5:20: warning: no directory or group_map produces group \"nurses\", so this entry \
                 never matches; the directories produce staff, teachers"
            ]
        );
        assert!(warnings_in(&rule("groups = [\"staff\"]\n"), &mapped).is_empty());
        assert_eq!(problems(&rule("groups = [\"nurses\"]\n")).len(), 1);
    }

    /// Unknown realms and institutions are warnings at their position; empty lists are errors.
    #[test]
    fn realms_and_institutions_checked_by_name() {
        let c = CheckContext {
            realms: Some(["admin", "teachers"].map(String::from).into_iter().collect()),
            institutions: Some(["skola-nord"].map(String::from).into_iter().collect()),
            ..ctx()
        };
        assert_eq!(
            warnings_in(&rule("realms = [\"admin\", \"teacher\"]\ninstitutions = [\"skola-syd\"]\n"), &c),
            vec![
                "policies/a.toml:5:20: warning: unknown realm \"teacher\", so this entry never matches; the \
                 directories are admin, teachers",
                "policies/a.toml:6:17: warning: unknown institution \"skola-syd\", so this entry never matches; \
                 [[institutions]] lists skola-nord",
            ]
        );
        assert_eq!(
            problems_in(&[("p.toml", &rule("realms = []\n"))], &c),
            vec![
                "p.toml:5:10: realms is empty, so this can never match: remove realms to match every realm, or list \
                  at least one"
            ]
        );
    }

    /// Any group is accepted when the directories cannot list their groups.
    #[test]
    fn groups_unchecked_without_a_list() {
        let open = CheckContext { groups: None, ..ctx() };
        assert!(problems_in(&[("p.toml", &rule("groups = [\"nurses\"]\n"))], &open).is_empty());
    }

    /// Time zones, days, times, empty windows and dates are checked where they are written.
    #[test]
    fn times_days_zones_and_dates() {
        assert_eq!(
            problems("timezone = \"Europe/Olso\"\n"),
            vec![
                "policies/a.toml:1:12: unknown time zone \"Europe/Olso\": use an IANA name such as \"Europe/Oslo\", \
                 \"Europe/Stockholm\" or \"Europe/Copenhagen\""
            ]
        );
        let window = |days: &str, from: &str, to: &str| {
            rule(&format!("[[rule.windows]]\ndays = {days}\nfrom = \"{from}\"\nto = \"{to}\"\n"))
        };
        assert_eq!(
            problems(&window("[\"mon\", \"fre\"]", "07:00", "18:00")),
            vec!["policies/a.toml:6:16: unknown day \"fre\": write mon, tue, wed, thu, fri, sat or sun"]
        );
        assert_eq!(
            problems(&window("[\"mon\"]", "25:00", "26:00")),
            vec![
                "policies/a.toml:7:8: invalid time \"25:00\": write HH:MM from 00:00 to 23:59",
                "policies/a.toml:8:6: invalid time \"26:00\": write HH:MM from 00:00 to 23:59, or 24:00 for the end \
                 of the day",
            ]
        );
        assert_eq!(
            problems(&window("[\"mon\"]", "07:00", "07:00")),
            vec![
                "policies/a.toml:8:6: window from 07:00 to 07:00 is empty: to end on the next day write a different \
                 time; for a whole day write from = \"00:00\", to = \"24:00\""
            ]
        );
        assert_eq!(
            problems(&window("[]", "07:00", "18:00")),
            vec![
                "policies/a.toml:6:8: days is empty, so this window never opens: list days such as [\"mon\", \"tue\", \
                 \"wed\", \"thu\", \"fri\"]"
            ]
        );
        assert_eq!(
            problems(&rule("windows = []\n")),
            vec![
                "policies/a.toml:5:11: windows is empty, so this rule can never match: remove windows to apply at \
                 all times, or add [[rule.windows]] entries"
            ]
        );
        assert_eq!(
            problems(&rule(
                "timezone = \"Oslo\"\nexcept_dates = [\"2026-02-30\"]\n[[rule.windows]]\ndays = [\"mon\"]\n\
                 from = \"07:00\"\nto = \"18:00\"\n"
            )),
            vec![
                "policies/a.toml:5:12: unknown time zone \"Oslo\": use an IANA name such as \"Europe/Oslo\", \
                 \"Europe/Stockholm\" or \"Europe/Copenhagen\"",
                "policies/a.toml:6:17: invalid date \"2026-02-30\": write a calendar date as YYYY-MM-DD, e.g. \
                 \"2026-12-24\"",
            ]
        );
        assert_eq!(
            problems(&rule("except_dates = [\"2026-12-24\"]\n")),
            vec![
                "policies/a.toml:5:16: except_dates has no effect without [[rule.windows]]: a rule without windows \
                 applies at all times; add windows or remove except_dates"
            ]
        );
    }

    /// Empty lists can never match and are flagged, each with its own remedy.
    #[test]
    fn empty_lists() {
        assert_eq!(
            problems("[[rule]]\nid = \"r\"\nservices = []\neffect = \"allow\"\n"),
            vec![
                "policies/a.toml:3:12: services is empty, so this can never match: list the services (or account \
                 actions) this rule is about"
            ]
        );
        assert_eq!(
            problems(&rule("zones = []\n")),
            vec![
                "policies/a.toml:5:9: zones is empty, so this can never match: remove zones to match every zone, or \
                 list at least one"
            ]
        );
        assert_eq!(
            problems(&rule("groups = []\n")),
            vec![
                "policies/a.toml:5:10: groups is empty, so this can never match: remove groups to match users in any \
                 group, or list at least one"
            ]
        );
        assert_eq!(
            problems(&rule("users = []\n")),
            vec![
                "policies/a.toml:5:9: users is empty, so this can never match: remove users to match every user, or \
                 list at least one"
            ]
        );
        assert_eq!(
            problems(&rule("methods = []\n")),
            vec![
                "policies/a.toml:5:11: methods is empty, so this can never match: remove methods to accept any \
                 login, or list some of password, sms, email, eid"
            ]
        );
        assert_eq!(
            problems(&rule("paths = []\n")),
            vec![
                "policies/a.toml:5:9: paths is empty, so this can never match: remove paths to cover the whole \
                 service, or list path prefixes such as \"/expense/admin\""
            ]
        );
    }

    /// Path prefixes must be plain absolute paths, and account actions have none.
    #[test]
    fn path_prefixes() {
        assert_eq!(
            problems(&rule("paths = [\"/expense/\", \"admin\", \"/a/../b\", \"/a%20b\", \"/a?x\"]\n")),
            vec![
                "policies/a.toml:5:23: path prefix \"admin\" must start with '/'",
                "policies/a.toml:5:32: path prefix \"/a/../b\" must not contain '.' or '..' segments or empty segments",
                "policies/a.toml:5:43: path prefix \"/a%20b\" must be written decoded, without '%' escapes or \
                 backslashes",
                "policies/a.toml:5:53: path prefix \"/a?x\" must not contain a query ('?') or fragment ('#')",
            ]
        );
        assert_eq!(
            problems("[[rule]]\nid = \"r\"\nservices = [\"account.phones\"]\neffect = \"allow\"\npaths = [\"/x\"]\n"),
            vec![
                "policies/a.toml:5:9: paths do not apply to the account action account.phones: remove paths, or \
                 give account.phones its own rule"
            ]
        );
    }

    /// Idle overrides are checked like rules: names, durations, and a zero timeout is refused.
    #[test]
    fn idle_entries() {
        assert_eq!(
            problems("[[idle]]\nzones = [\"remote\", \"vpn\"]\nmethods = [\"pin\"]\ntimeout = \"0s\"\n"),
            vec![
                "policies/a.toml:2:20: unknown zone \"vpn\": the zones are internal, schools, remote",
                "policies/a.toml:3:12: unknown login method \"pin\": write password, sms, email or eid",
                "policies/a.toml:4:11: an idle timeout of zero would end every session at once: write a duration \
                 such as \"10m\"",
            ]
        );
        assert_eq!(
            problems("[[idle]]\ntimeout = \"900\"\n"),
            vec!["policies/a.toml:2:11: duration \"900\" has no unit: write it like \"900s\" or \"900m\""]
        );
    }

    /// Problems in several files and rules are all reported together, in file order.
    #[test]
    fn all_problems_together() {
        let a = "[[rule]]\nid = \"a\"\nservices = [\"nope\"]\neffect = \"allow\"\n";
        let b = "[[rule]]\nid = \"b\"\nservices = [\"expense\"]\neffect = \"allow\"\nzones = [\"x\"]\n";
        let got = problems_in(&[("p/a.toml", a), ("p/b.toml", b)], &ctx());
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("p/a.toml:3:13: unknown service \"nope\""));
        assert!(got[1].starts_with("p/b.toml:5:10: unknown zone \"x\""));
    }
}
