//! Decision tests: one table over a fixture policy, then messages, explanations, idle overrides and the shipped
//! `policies/` directory.

use super::*;
use crate::config::error::SourceFile;

/// A fixture exercising every kind of condition. Times below are in Europe/Oslo unless marked Z.
const FIXTURE: &str = r#"
timezone = "Europe/Oslo"

[[rule]]
id = "expense-internal"
services = ["expense"]
effect = "allow"
zones = ["internal", "schools"]
groups = ["staff", "support"]
methods = ["password", "eid"]

[[rule]]
id = "expense-remote"
services = ["expense"]
effect = "allow"
zones = ["remote"]
groups = ["staff", "support"]
two_factor = true

[[rule]]
id = "expense-admin-remote"
services = ["expense"]
paths = ["/expense/admin"]
effect = "deny"
zones = ["remote"]

[[rule]]
id = "expense-blocked-user"
services = ["expense"]
effect = "deny"
users = ["mallory"]

[[rule]]
id = "signing-internal"
services = ["signing"]
effect = "allow"
zones = ["internal"]
methods = ["eid"]
min_assurance = "substantial"

[[rule]]
id = "signing-remote"
services = ["signing"]
effect = "allow"
zones = ["remote"]
min_assurance = "high"

[[rule]]
id = "payroll-office"
services = ["payroll"]
effect = "allow"
zones = ["internal"]
groups = ["hr"]
except_dates = ["2026-12-24"]
message.en = "Payroll is open on weekdays 07:00-18:00."

[[rule.windows]]
days = ["mon", "tue", "wed", "thu", "fri"]
from = "07:00"
to = "18:00"

[[rule]]
id = "night-shift"
services = ["night"]
effect = "allow"
groups = ["staff"]

[[rule.windows]]
days = ["fri"]
from = "22:00"
to = "06:00"

[[rule]]
id = "self-service-all"
services = ["self-service"]
effect = "allow"
zones = ["internal", "schools"]

[[rule]]
id = "self-service-remote"
services = ["self-service"]
effect = "allow"
zones = ["remote"]
two_factor = true

[[rule]]
id = "self-service-batch"
services = ["self-service"]
effect = "deny"
except_dates = ["2026-12-24"]
message.sv = "Självservice är stängd 01–05 för körningar."
message.nb = "Selvbetjening er stengt 01–05 for kjøringer."
message.en = "Self-service is closed 01:00-05:00 for batch runs."

[[rule.windows]]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
from = "01:00"
to = "05:00"

[[rule]]
id = "dst-late"
services = ["dst"]
effect = "allow"

[[rule.windows]]
days = ["sun"]
from = "02:30"
to = "04:00"

[[rule]]
id = "dst-early"
services = ["dst-early"]
effect = "allow"

[[rule.windows]]
days = ["sun"]
from = "01:00"
to = "02:30"

[[rule]]
id = "phones-internal"
services = ["account.phones"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "eid-link-internal"
services = ["account.eid-link"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "wiki-anna"
services = ["wiki"]
effect = "allow"
users = ["anna"]

[[rule]]
id = "wiki-public"
services = ["wiki"]
paths = ["/wiki/public"]
effect = "allow"

[[rule]]
id = "mixed-internal"
services = ["mixed"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "mixed-remote-hours"
services = ["mixed"]
effect = "allow"
zones = ["remote"]

[[rule.windows]]
days = ["mon", "tue", "wed", "thu", "fri"]
from = "07:00"
to = "18:00"

[[idle]]
zones = ["remote"]
timeout = "10m"

[[idle]]
zones = ["remote"]
methods = ["password"]
timeout = "5m"

[[idle]]
methods = ["eid"]
timeout = "20m"
"#;

fn ctx() -> CheckContext {
    CheckContext {
        services: ["self-service", "expense", "signing", "payroll", "night", "dst", "dst-early", "wiki", "mixed"]
            .map(String::from)
            .to_vec(),
        zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
        groups: Some(["staff", "support", "teachers", "hr"].map(String::from).into_iter().collect()),
        ..Default::default()
    }
}

fn fixture() -> PolicySet {
    let src = SourceFile { path: "policies/test.toml".into(), text: FIXTURE.to_string() };
    match PolicySet::from_sources(&[src], &ctx()) {
        Ok(p) => p,
        Err(e) => panic!("fixture does not load:\n{e}"),
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A login as written in the table.
fn login(s: &str) -> (Methods, Assurance) {
    let pw = Methods::of(Method::Password);
    let eid = Methods::of(Method::Eid);
    match s {
        "none" => (Methods::default(), Assurance::None),
        "pw" => (pw, Assurance::None),
        "pw+sms" => (pw.with(Method::Sms), Assurance::None),
        "pw+email" => (pw.with(Method::Email), Assurance::None),
        "eid-sub" => (eid, Assurance::Substantial),
        "eid-high" => (eid, Assurance::High),
        other => panic!("unknown login {other}"),
    }
}

/// What a case expects.
#[derive(Debug, Clone, Copy)]
enum E {
    /// Allowed by this rule.
    A(&'static str),
    /// Denied by this deny rule.
    ByRule(&'static str),
    /// Denied; this allow rule would match with a stronger login.
    Stronger(&'static str),
    /// Denied; this allow rule would match from another zone.
    Zone(&'static str),
    /// Denied; this allow rule matches from this instant.
    Until(&'static str, &'static str),
    /// Denied; nothing would help.
    NoAllow,
}

struct Case {
    what: &'static str,
    service: &'static str,
    path: &'static str,
    zone: &'static str,
    user: &'static str,
    groups: &'static str,
    login: &'static str,
    at: &'static str,
    expect: E,
}

/// Monday 2026-11-23 10:00 in Oslo (CET).
const MON_10: &str = "2026-11-23T09:00:00Z";

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let c = |what, service, path, zone, user, groups, login, at, expect| Case {
        what, service, path, zone, user, groups, login, at, expect,
    };
    use E::*;
    vec![
        // Zones, groups, methods, two_factor.
        c("internal staff with password", "expense", "/expense", "internal", "ola", "staff", "pw", MON_10, A("expense-internal")),
        c("schools zone counts as listed", "expense", "/expense", "schools", "ola", "staff", "pw", MON_10, A("expense-internal")),
        c("remote password needs a code", "expense", "/expense", "remote", "ola", "staff", "pw", MON_10, Stronger("expense-remote")),
        c("remote password+sms", "expense", "/expense", "remote", "ola", "staff", "pw+sms", MON_10, A("expense-remote")),
        c("remote password+email", "expense", "/expense", "remote", "ola", "staff", "pw+email", MON_10, A("expense-remote")),
        c("remote eID is two-factor", "expense", "/expense", "remote", "ola", "staff", "eid-sub", MON_10, A("expense-remote")),
        c("wrong group", "expense", "/expense", "internal", "ola", "teachers", "pw", MON_10, NoAllow),
        c("second listed group", "expense", "/expense", "internal", "ola", "support", "pw", MON_10, A("expense-internal")),
        c("any of several groups", "expense", "/expense", "internal", "ola", "teachers,support", "pw", MON_10, A("expense-internal")),
        c("no groups at all", "expense", "/expense", "internal", "ola", "", "pw", MON_10, NoAllow),
        c("eid is among the methods", "expense", "/expense", "internal", "ola", "staff", "eid-sub", MON_10, A("expense-internal")),
        c("password+sms used password", "expense", "/expense", "internal", "ola", "staff", "pw+sms", MON_10, A("expense-internal")),
        c("no login method matches nothing", "expense", "/expense", "internal", "ola", "staff", "none", MON_10, Stronger("expense-internal")),
        c("unknown zone, other zone would do", "expense", "/expense", "vpn", "ola", "staff", "pw+sms", MON_10, Zone("expense-internal")),
        // Users and deny over allow.
        c("blocked user is denied though allows match", "expense", "/expense", "internal", "mallory", "staff", "pw", MON_10, ByRule("expense-blocked-user")),
        c("users list matches", "wiki", "/wiki/private", "remote", "anna", "", "pw", MON_10, A("wiki-anna")),
        c("user not listed", "wiki", "/wiki/private", "remote", "bob", "", "pw", MON_10, NoAllow),
        // Paths, segment-wise and normalised.
        c("deny on admin path from remote", "expense", "/expense/admin", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("below the admin path", "expense", "/expense/admin/users", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("prefix is segment-wise", "expense", "/expense/administrator", "remote", "ola", "staff", "pw+sms", MON_10, A("expense-remote")),
        c("trailing slash", "expense", "/expense/admin/", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("doubled slash", "expense", "/expense//admin", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("percent-encoded letter", "expense", "/expense/%61dmin", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("dot-dot segment", "expense", "/expense/x/../admin", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("query string ignored", "expense", "/expense/admin?x=1", "remote", "ola", "staff", "pw+sms", MON_10, ByRule("expense-admin-remote")),
        c("admin path deny is remote only", "expense", "/expense/admin", "internal", "ola", "staff", "pw", MON_10, A("expense-internal")),
        c("deny outranks a stronger login", "expense", "/expense/admin", "remote", "ola", "staff", "pw", MON_10, ByRule("expense-admin-remote")),
        c("public path for anyone", "wiki", "/wiki/public/page", "remote", "bob", "", "pw", MON_10, A("wiki-public")),
        // Assurance levels.
        c("signing internal substantial", "signing", "/signing", "internal", "ola", "staff", "eid-sub", MON_10, A("signing-internal")),
        c("signing internal high", "signing", "/signing", "internal", "ola", "staff", "eid-high", MON_10, A("signing-internal")),
        c("signing internal password", "signing", "/signing", "internal", "ola", "staff", "pw", MON_10, Stronger("signing-internal")),
        c("signing remote substantial is too low", "signing", "/signing", "remote", "ola", "staff", "eid-sub", MON_10, Stronger("signing-remote")),
        c("signing remote high", "signing", "/signing", "remote", "ola", "staff", "eid-high", MON_10, A("signing-remote")),
        c("signing remote code login", "signing", "/signing", "remote", "ola", "staff", "pw+sms", MON_10, Stronger("signing-remote")),
        c("signing from schools: only zone helps", "signing", "/signing", "schools", "ola", "staff", "eid-high", MON_10, Zone("signing-internal")),
        // Office hours, holiday.
        c("payroll in office hours", "payroll", "/", "internal", "kari", "hr", "pw", MON_10, A("payroll-office")),
        c("payroll a minute early", "payroll", "/", "internal", "kari", "hr", "pw", "2026-11-23T05:59:00Z", Until("payroll-office", "2026-11-23T06:00:00Z")),
        c("payroll at closing", "payroll", "/", "internal", "kari", "hr", "pw", "2026-11-23T17:00:00Z", Until("payroll-office", "2026-11-24T06:00:00Z")),
        c("payroll on Saturday", "payroll", "/", "internal", "kari", "hr", "pw", "2026-11-28T11:00:00Z", Until("payroll-office", "2026-11-30T06:00:00Z")),
        c("payroll last minute Friday", "payroll", "/", "internal", "kari", "hr", "pw", "2026-11-27T16:59:00Z", A("payroll-office")),
        c("payroll on Christmas eve", "payroll", "/", "internal", "kari", "hr", "pw", "2026-12-24T09:00:00Z", Until("payroll-office", "2026-12-25T06:00:00Z")),
        c("payroll the day before", "payroll", "/", "internal", "kari", "hr", "pw", "2026-12-23T09:00:00Z", A("payroll-office")),
        c("payroll from remote", "payroll", "/", "remote", "kari", "hr", "pw+sms", MON_10, Zone("payroll-office")),
        c("payroll for staff", "payroll", "/", "internal", "ola", "staff", "pw", MON_10, NoAllow),
        c("two changes needed is no reason", "payroll", "/", "remote", "kari", "hr", "pw", "2026-11-28T11:00:00Z", NoAllow),
        // A window over midnight belongs to the day it starts.
        c("night opens Friday 22:00", "night", "/", "remote", "ola", "staff", "pw", "2026-11-27T21:00:00Z", A("night-shift")),
        c("night a minute before", "night", "/", "remote", "ola", "staff", "pw", "2026-11-27T20:59:00Z", Until("night-shift", "2026-11-27T21:00:00Z")),
        c("night Saturday 03:00 is Friday's", "night", "/", "remote", "ola", "staff", "pw", "2026-11-28T02:00:00Z", A("night-shift")),
        c("night Saturday 05:59", "night", "/", "remote", "ola", "staff", "pw", "2026-11-28T04:59:00Z", A("night-shift")),
        c("night closes Saturday 06:00", "night", "/", "remote", "ola", "staff", "pw", "2026-11-28T05:00:00Z", Until("night-shift", "2026-12-04T21:00:00Z")),
        c("Friday 03:00 is Thursday's night", "night", "/", "remote", "ola", "staff", "pw", "2026-11-27T02:00:00Z", Until("night-shift", "2026-11-27T21:00:00Z")),
        c("Saturday late is closed", "night", "/", "remote", "ola", "staff", "pw", "2026-11-28T22:00:00Z", Until("night-shift", "2026-12-04T21:00:00Z")),
        // A deny with windows denies only inside them; its holiday lifts it.
        c("self-service by day", "self-service", "/self-service", "internal", "ola", "", "pw", MON_10, A("self-service-all")),
        c("self-service batch at 03:00", "self-service", "/self-service", "internal", "ola", "", "pw", "2026-11-24T02:00:00Z", Until("self-service-batch", "2026-11-24T04:00:00Z")),
        c("self-service at 05:00 reopens", "self-service", "/self-service", "internal", "ola", "", "pw", "2026-11-24T04:00:00Z", A("self-service-all")),
        c("self-service at 00:59", "self-service", "/self-service", "internal", "ola", "", "pw", "2026-11-23T23:59:00Z", A("self-service-all")),
        c("no batch on Christmas eve", "self-service", "/self-service", "internal", "ola", "", "pw", "2026-12-24T02:00:00Z", A("self-service-all")),
        c("batch again on Christmas day", "self-service", "/self-service", "internal", "ola", "", "pw", "2026-12-25T00:30:00Z", Until("self-service-batch", "2026-12-25T04:00:00Z")),
        c("self-service remote password", "self-service", "/self-service", "remote", "ola", "", "pw", MON_10, Stronger("self-service-remote")),
        c("batch deny before step-up", "self-service", "/self-service", "remote", "ola", "", "pw", "2026-11-24T02:00:00Z", ByRule("self-service-batch")),
        // Spring change, 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00Z.
        c("spring: 01:59 CET, window from 02:30", "dst", "/", "remote", "ola", "", "pw", "2026-03-29T00:59:00Z", Until("dst-late", "2026-03-29T01:00:00Z")),
        c("spring: opens at 03:00 CEST", "dst", "/", "remote", "ola", "", "pw", "2026-03-29T01:00:00Z", A("dst-late")),
        c("spring: 03:59 CEST", "dst", "/", "remote", "ola", "", "pw", "2026-03-29T01:59:00Z", A("dst-late")),
        c("spring: 04:00 CEST closes", "dst", "/", "remote", "ola", "", "pw", "2026-03-29T02:00:00Z", Until("dst-late", "2026-04-05T00:30:00Z")),
        c("spring: 01:30 CET", "dst-early", "/", "remote", "ola", "", "pw", "2026-03-29T00:30:00Z", A("dst-early")),
        c("spring: 01:59 CET", "dst-early", "/", "remote", "ola", "", "pw", "2026-03-29T00:59:00Z", A("dst-early")),
        c("spring: closes at the jump", "dst-early", "/", "remote", "ola", "", "pw", "2026-03-29T01:00:00Z", Until("dst-early", "2026-04-04T23:00:00Z")),
        // Autumn change, 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00Z.
        c("autumn: 02:29 CEST", "dst", "/", "remote", "ola", "", "pw", "2026-10-25T00:29:00Z", Until("dst-late", "2026-10-25T00:30:00Z")),
        c("autumn: 02:30 CEST opens", "dst", "/", "remote", "ola", "", "pw", "2026-10-25T00:30:00Z", A("dst-late")),
        c("autumn: 02:15 CET, repeated hour", "dst", "/", "remote", "ola", "", "pw", "2026-10-25T01:15:00Z", A("dst-late")),
        c("autumn: 03:59 CET", "dst", "/", "remote", "ola", "", "pw", "2026-10-25T02:59:00Z", A("dst-late")),
        c("autumn: 04:00 CET closes", "dst", "/", "remote", "ola", "", "pw", "2026-10-25T03:00:00Z", Until("dst-late", "2026-11-01T01:30:00Z")),
        c("autumn: 01:30 CEST", "dst-early", "/", "remote", "ola", "", "pw", "2026-10-24T23:30:00Z", A("dst-early")),
        c("autumn: 02:15 CEST", "dst-early", "/", "remote", "ola", "", "pw", "2026-10-25T00:15:00Z", A("dst-early")),
        c("autumn: first 02:30 closes", "dst-early", "/", "remote", "ola", "", "pw", "2026-10-25T00:30:00Z", Until("dst-early", "2026-11-01T00:00:00Z")),
        c("autumn: no reopening at 02:10 CET", "dst-early", "/", "remote", "ola", "", "pw", "2026-10-25T01:10:00Z", Until("dst-early", "2026-11-01T00:00:00Z")),
        // Account actions.
        c("phones from internal", "account.phones", "/", "internal", "ola", "staff", "pw", MON_10, A("phones-internal")),
        c("phones from remote", "account.phones", "/", "remote", "ola", "staff", "pw+sms", MON_10, Zone("phones-internal")),
        c("phones from schools", "account.phones", "/", "schools", "ola", "staff", "pw", MON_10, Zone("phones-internal")),
        c("eid link from internal", "account.eid-link", "/", "internal", "ola", "staff", "eid-sub", MON_10, A("eid-link-internal")),
        c("eid link from remote", "account.eid-link", "/", "remote", "ola", "staff", "eid-high", MON_10, Zone("eid-link-internal")),
        // Reason order and unknown services.
        c("zone beats a later time", "mixed", "/", "remote", "ola", "", "pw", "2026-11-23T05:00:00Z", Zone("mixed-internal")),
        c("mixed remote in hours", "mixed", "/", "remote", "ola", "", "pw", MON_10, A("mixed-remote-hours")),
        c("service without rules", "unlisted", "/", "internal", "ola", "staff", "eid-high", MON_10, NoAllow),
    ]
}

/// Every case of the table decides as expected: allow by the named rule, or deny with the named reason and rule.
#[test]
fn decision_table() {
    let set = fixture();
    let table = cases();
    assert!(table.len() >= 60, "only {} cases", table.len());
    let mut failures = Vec::new();
    for case in &table {
        let groups: Vec<String> = case.groups.split(',').filter(|g| !g.is_empty()).map(String::from).collect();
        let (methods, assurance) = login(case.login);
        let req = AccessRequest {
            service: case.service,
            path: case.path,
            case_insensitive: false,
            zone: case.zone,
            user: case.user,
            groups: &groups,
            realm: "staff",
            institution: None,
            methods,
            assurance,
            at: utc(case.at),
        };
        let got = set.decide(&req);
        let id = |r: &Option<RuleRef>| r.as_ref().map(|r| r.id.clone());
        let ok = match (case.expect, &got) {
            (E::A(want), Verdict::Allow { rule }) => rule.id == want,
            (E::ByRule(want), Verdict::Deny { rule, reason: DenyReason::DeniedByRule, .. })
            | (E::Stronger(want), Verdict::Deny { rule, reason: DenyReason::NeedsStrongerLogin, .. })
            | (E::Zone(want), Verdict::Deny { rule, reason: DenyReason::NotFromThisZone, .. }) => {
                id(rule).as_deref() == Some(want)
            }
            (E::Until(want, t), Verdict::Deny { rule, reason: DenyReason::ClosedUntil(at), .. }) => {
                id(rule).as_deref() == Some(want) && *at == utc(t)
            }
            (E::NoAllow, Verdict::Deny { rule: None, reason: DenyReason::NoMatchingAllow, .. }) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: expected {:?}, got {:?}", case.what, case.expect, got));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), table.len(), failures.join("\n"));
}

fn request<'a>(service: &'a str, zone: &'a str, groups: &'a [String], login_: &str, at: &str) -> AccessRequest<'a> {
    let (methods, assurance) = login(login_);
    AccessRequest {
        service,
        path: "/",
        case_insensitive: false,
        zone,
        user: "kari",
        groups,
        realm: "staff",
        institution: None,
        methods,
        assurance,
        at: utc(at),
    }
}

/// A deny rule's message reaches the verdict, per language with fallback to English.
#[test]
fn deny_message_in_languages() {
    let set = fixture();
    let v = set.decide(&request("self-service", "internal", &[], "pw", "2026-11-24T02:00:00Z"));
    // A deny that holds only at night reports when it ends, with its own message.
    let Verdict::Deny { message: Some(m), reason: DenyReason::ClosedUntil(_), .. } = v else {
        panic!("expected a deny with a message, got {v:?}");
    };
    assert_eq!(m.get("sv"), Some("Självservice är stängd 01–05 för körningar."));
    assert_eq!(m.get("nb-NO"), Some("Selvbetjening er stengt 01–05 for kjøringer."));
    assert_eq!(m.get("no"), Some("Selvbetjening er stengt 01–05 for kjøringer."));
    assert_eq!(m.get("da"), Some("Self-service is closed 01:00-05:00 for batch runs."));
    assert_eq!(m.get("fr"), Some("Self-service is closed 01:00-05:00 for batch runs."));
}

/// An allow rule's message comes with the deny it explains (closed until its window opens).
#[test]
fn allow_rule_message_explains_closed() {
    let set = fixture();
    let hr = vec!["hr".to_string()];
    let v = set.decide(&request("payroll", "internal", &hr, "pw", "2026-11-28T11:00:00Z"));
    let Verdict::Deny { message: Some(m), .. } = v else {
        panic!("expected a message, got {v:?}");
    };
    assert_eq!(m.get("sv"), Some("Payroll is open on weekdays 07:00-18:00."));
}

/// Explain names the rule, where it is written, when it opens, and every single change that would allow.
#[test]
fn explain_closed_payroll() {
    let set = fixture();
    let hr = vec!["hr".to_string()];
    let e = set.explain(&request("payroll", "internal", &hr, "pw", "2026-11-23T17:30:00Z"));
    assert_eq!(e.deciding, None);
    assert!(
        e.reasons.iter().any(|r| r.starts_with(
            "rule payroll-office (policies/test.toml:48) allows from 07:00 on Tuesday 2026-11-24 (Europe/Oslo)"
        )),
        "{:#?}",
        e.reasons
    );
    assert_eq!(e.would_allow, vec!["try again after 2026-11-24 07:00 Europe/Oslo".to_string()]);
}

/// Explain lists a stronger login and another zone when each alone would allow.
#[test]
fn explain_lists_login_and_zone() {
    let set = fixture();
    let staff = vec!["staff".to_string()];
    let e = set.explain(&request("expense", "remote", &staff, "pw", MON_10));
    assert!(matches!(e.verdict, Verdict::Deny { reason: DenyReason::NeedsStrongerLogin, .. }));
    assert_eq!(
        e.would_allow,
        vec![
            "log in with a one-time code (sms or email) or eID".to_string(),
            "connect from zone internal or schools".to_string()
        ]
    );
    assert!(
        e.reasons.iter().any(|r| r.contains("allows only two-factor logins; this login used password")),
        "{:#?}",
        e.reasons
    );
}

/// Explain of a deny rule names it as deciding and says when the deny window ends.
#[test]
fn explain_deny_rule_with_window() {
    let set = fixture();
    let e = set.explain(&request("self-service", "internal", &[], "pw", "2026-11-24T02:00:00Z"));
    assert_eq!(e.deciding.map(|r| r.id), Some("self-service-batch".to_string()));
    assert_eq!(e.would_allow, vec!["try again after 2026-11-24 05:00 Europe/Oslo".to_string()]);
    assert!(e.reasons.iter().any(|r| r.starts_with("denied by rule self-service-batch")), "{:#?}", e.reasons);
}

/// Explain of an allow names the allowing rule and nothing to change.
#[test]
fn explain_allow() {
    let set = fixture();
    let staff = vec!["staff".to_string()];
    let e = set.explain(&request("expense", "internal", &staff, "pw", MON_10));
    assert!(e.verdict.is_allow());
    assert_eq!(e.deciding.map(|r| (r.id, r.line)), Some(("expense-internal".to_string(), 4)));
    assert!(e.would_allow.is_empty());
}

/// The strictest matching idle override applies; none matching means the configured default.
#[test]
fn idle_overrides() {
    let set = fixture();
    let pw = Methods::of(Method::Password);
    let min = |m: u64| Some(Duration::from_secs(m * 60));
    assert_eq!(set.idle_timeout("remote", pw), min(5));
    assert_eq!(set.idle_timeout("remote", pw.with(Method::Sms)), min(5));
    assert_eq!(set.idle_timeout("remote", Methods::of(Method::Eid)), min(10));
    assert_eq!(set.idle_timeout("internal", Methods::of(Method::Eid)), min(20));
    assert_eq!(set.idle_timeout("internal", pw), None);
    assert_eq!(set.idle_timeout("nowhere", pw), None);
}

/// Paths are normalised before matching, and the common clean path is not copied.
#[test]
fn normalizes_paths() {
    assert!(matches!(normalize_path("/a/b", false), Cow::Borrowed("/a/b")));
    assert_eq!(normalize_path("/a/./b/../c//d?q=1", false), "/a/c/d");
    assert_eq!(normalize_path("/a/%2e%2e/b", false), "/b");
    assert_eq!(normalize_path("\\a\\b", false), "/a/b");
    assert_eq!(normalize_path("/../..", false), "/");
    assert_eq!(normalize_path("/Expense/%C3%85R", true), "/expense/år");
    assert!(path_under("/a/b", "/a") && path_under("/a", "/a") && !path_under("/ab", "/a"));
}

/// The compiled set can be shared across threads.
#[test]
fn policy_set_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PolicySet>();
    assert_eq!(fixture().rule_count(), 19);
}

/// The shipped `policies/` directory loads cleanly against the shipped config's services and zones.
#[test]
fn shipped_policies_load() {
    let ctx = CheckContext {
        services: ["self-service", "expense", "signing"].map(String::from).to_vec(),
        zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
        groups: None,
        ..Default::default()
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let set = match PolicySet::load_dir(&dir, &ctx) {
        Ok(set) => set,
        Err(e) => panic!("policies/ does not load:\n{e}"),
    };
    let reason = |service: &str, zone: &str, login_: &str, at: &str| match set.decide(&request(
        service,
        zone,
        &[],
        login_,
        at,
    )) {
        Verdict::Allow { .. } => None,
        Verdict::Deny { reason, .. } => Some(reason),
    };
    assert_eq!(reason("expense", "internal", "pw", MON_10), None);
    assert_eq!(reason("expense", "remote", "pw", MON_10), Some(DenyReason::NeedsStrongerLogin));
    assert_eq!(reason("signing", "remote", "pw+sms", MON_10), Some(DenyReason::NeedsStrongerLogin));
    assert_eq!(reason("signing", "remote", "eid-high", MON_10), None);
    // The night batch deny holds 01:00-05:00 Oslo: it reports when self-service opens again.
    assert_eq!(
        reason("self-service", "schools", "pw", "2026-11-24T02:00:00Z"),
        Some(DenyReason::ClosedUntil(utc("2026-11-24T04:00:00Z")))
    );
    assert_eq!(reason("self-service", "schools", "pw", "2026-12-24T02:00:00Z"), None);
    // Numbers are registered from the municipality's own networks, the schools' included (#16.5), never from outside.
    assert_eq!(reason("account.phones", "schools", "pw", MON_10), None);
    assert_eq!(reason("account.phones", "remote", "pw+sms", MON_10), Some(DenyReason::NotFromThisZone));
    assert_eq!(reason("account.eid-link", "internal", "eid-sub", MON_10), None);
}

/// A directory loads its *.toml files in name order, skipping other and hidden files.
#[test]
fn load_dir_reads_toml_files_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str| format!("[[rule]]\nid = \"{id}\"\nservices = [\"expense\"]\neffect = \"allow\"\n");
    std::fs::write(dir.path().join("b.toml"), rule("dup")).unwrap();
    std::fs::write(dir.path().join("a.toml"), rule("dup")).unwrap();
    std::fs::write(dir.path().join("notes.md"), "not a policy").unwrap();
    std::fs::write(dir.path().join(".#a.toml"), "editor lock = ").unwrap();
    let err = PolicySet::load_dir(dir.path(), &ctx()).unwrap_err();
    let b = dir.path().join("b.toml");
    let a = dir.path().join("a.toml");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2:6: duplicate rule id \"dup\": already used by the rule at {}:1; rule ids must be unique across all \
             policy files",
            b.display(),
            a.display()
        )
    );
}

/// An empty or missing directory is an error naming it, not a gateway that silently denies everything.
#[test]
fn load_dir_empty_or_missing() {
    let dir = tempfile::tempdir().unwrap();
    let err = PolicySet::load_dir(dir.path(), &ctx()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: no policy files (*.toml) here: with no rules every request is denied; add a policy file (see \
             docs/policies.md) or remove policies_dir from the config",
            dir.path().display()
        )
    );
    let missing = dir.path().join("nope");
    let err = PolicySet::load_dir(&missing, &ctx()).unwrap_err();
    assert!(err.to_string().starts_with(&format!("{}: cannot read the policy directory: ", missing.display())));
}

/// `realms` and `institutions` match the session's realm and institution (any of each list); a user with no
/// institution never matches an `institutions` condition, and a deny by institution overrides an allow by realm.
/// Explain says which one failed.
#[test]
fn realms_and_institutions_decide() {
    let text = r#"
[[rule]]
id = "nord-only"
services = ["expense"]
effect = "allow"
realms = ["teachers"]
institutions = ["skola-nord"]

[[rule]]
id = "admin-realm"
services = ["signing"]
effect = "allow"
realms = ["admin"]

[[rule]]
id = "no-syd-signing"
services = ["signing"]
effect = "deny"
institutions = ["skola-syd"]
"#;
    let set = PolicySet::from_sources(&[SourceFile { path: "p.toml".into(), text: text.into() }], &ctx()).unwrap();
    let req = |service, realm, institution| AccessRequest {
        realm,
        institution,
        ..request(service, "internal", &[], "pw", MON_10)
    };
    assert!(set.decide(&req("expense", "teachers", Some("skola-nord"))).is_allow());
    assert!(!set.decide(&req("expense", "teachers", Some("skola-syd"))).is_allow());
    assert!(!set.decide(&req("expense", "teachers", None)).is_allow());
    assert!(!set.decide(&req("expense", "admin", Some("skola-nord"))).is_allow());
    assert!(set.decide(&req("signing", "admin", Some("skola-nord"))).is_allow());
    assert!(set.decide(&req("signing", "admin", None)).is_allow());
    assert!(matches!(
        set.decide(&req("signing", "admin", Some("skola-syd"))),
        Verdict::Deny { reason: DenyReason::DeniedByRule, .. }
    ));
    let e = set.explain(&req("expense", "admin", Some("skola-nord")));
    assert!(
        e.reasons
            .iter()
            .any(|r| r.contains("allows only users of realm teachers; user kari logged in through realm admin")),
        "{:#?}",
        e.reasons
    );
    let e = set.explain(&req("expense", "teachers", None));
    assert!(
        e.reasons
            .iter()
            .any(|r| r.contains("allows only users of institution skola-nord; user kari belongs to no institution")),
        "{:#?}",
        e.reasons
    );
}
