//! Policy decisions against 1,000 generated rules over 100 services: an allow, and denies of each reason, with
//! their classification. Run: `cargo bench --bench policy -- --warm-up-time 1 --measurement-time 3`.

use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use portvakt::config::error::SourceFile;
use portvakt::methods::{Method, Methods};
use portvakt::policy::{AccessRequest, Assurance, CheckContext, PolicySet, Verdict};
use std::fmt::Write;
use std::hint::black_box;

const SERVICES: usize = 100;

/// Ten rules per service, mixing every kind of condition: zones, groups, users, paths, login, windows, holidays.
fn generated_policy() -> String {
    let mut t = String::from("timezone = \"Europe/Oslo\"\n");
    for i in 0..SERVICES {
        let rules = [
            format!("effect = \"allow\"\nzones = [\"internal\", \"schools\"]\ngroups = [\"g{}\", \"staff\"]\nmethods = [\"password\", \"eid\"]\n", i % 20),
            "effect = \"allow\"\nzones = [\"remote\"]\ngroups = [\"staff\"]\ntwo_factor = true\n".to_string(),
            format!("effect = \"deny\"\npaths = [\"/svc{i}/admin\"]\nzones = [\"remote\"]\n"),
            format!("effect = \"deny\"\nusers = [\"blocked{i}\"]\n"),
            "effect = \"allow\"\ngroups = [\"hr\"]\nzones = [\"internal\"]\nexcept_dates = [\"2026-12-24\", \"2026-12-25\"]\n\
             [[rule.windows]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nfrom = \"07:00\"\nto = \"18:00\"\n"
                .to_string(),
            format!("effect = \"allow\"\npaths = [\"/svc{i}/public\"]\n"),
            format!("effect = \"allow\"\nusers = [\"user{i}\"]\nzones = [\"remote\"]\nmin_assurance = \"high\"\n"),
            "effect = \"deny\"\ngroups = [\"night-blocked\"]\n[[rule.windows]]\n\
             days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nfrom = \"01:00\"\nto = \"05:00\"\n"
                .to_string(),
            "effect = \"allow\"\nzones = [\"schools\"]\ngroups = [\"teachers\"]\nmethods = [\"password\"]\n".to_string(),
            "effect = \"allow\"\nzones = [\"remote\"]\ngroups = [\"support\"]\ntwo_factor = true\n\
             [[rule.windows]]\ndays = [\"fri\"]\nfrom = \"22:00\"\nto = \"06:00\"\n"
                .to_string(),
        ];
        for (j, body) in rules.iter().enumerate() {
            // Windows tables must follow the rule's own keys, which `body` keeps in order.
            let _ = write!(t, "\n[[rule]]\nid = \"svc{i}-r{j}\"\nservices = [\"svc{i}\"]\n{body}");
        }
    }
    t
}

fn load() -> PolicySet {
    let ctx = CheckContext {
        services: (0..SERVICES).map(|i| format!("svc{i}")).collect(),
        zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
        groups: None,
        ..Default::default()
    };
    let src = SourceFile { path: "bench.toml".into(), text: generated_policy() };
    match PolicySet::from_sources(&[src], &ctx) {
        Ok(set) => set,
        Err(e) => panic!("generated policy does not load:\n{e}"),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    match DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.with_timezone(&Utc),
        Err(e) => panic!("{s}: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let set = load();
    assert_eq!(set.rule_count(), 1000);
    let staff = vec!["staff".to_string()];
    let hr = vec!["hr".to_string()];
    let nobody = vec!["nobody".to_string()];
    let pw = Methods::of(Method::Password);
    let monday = at("2026-11-23T09:00:00Z");
    let saturday = at("2026-11-28T11:00:00Z");
    let req = |zone, user, groups, at| AccessRequest {
        service: "svc42",
        path: "/svc42/reports/2026",
        case_insensitive: false,
        zone,
        user,
        groups,
        realm: "staff",
        institution: None,
        methods: pw,
        assurance: Assurance::None,
        at,
    };
    // (name, request, expected outcome as `allow` or `DenyReason::as_str`)
    let cases = [
        ("allow", req("internal", "kari", &staff, monday), "allow"),
        ("deny: denied by rule", req("internal", "blocked42", &staff, monday), "denied-by-rule"),
        ("deny: needs stronger login", req("remote", "kari", &staff, monday), "needs-stronger-login"),
        ("deny: closed until", req("internal", "kari", &hr, saturday), "closed-until"),
        ("deny: no matching allow", req("remote", "kari", &nobody, monday), "no-matching-allow"),
    ];
    let mut g = c.benchmark_group("policy decide (1000 rules, 100 services)");
    for (name, r, expect) in &cases {
        let got = match set.decide(r) {
            Verdict::Allow { .. } => "allow",
            Verdict::Deny { reason, .. } => reason.as_str(),
        };
        assert_eq!(got, *expect, "{name}");
        g.bench_function(*name, |b| b.iter(|| set.decide(black_box(r))));
    }
    g.finish();

    let mut g = c.benchmark_group("policy load");
    let text = generated_policy();
    g.bench_function("compile and check 1000 rules", |b| {
        b.iter(|| {
            let ctx = CheckContext {
                services: (0..SERVICES).map(|i| format!("svc{i}")).collect(),
                zones: ["internal", "schools", "remote"].map(String::from).to_vec(),
                groups: None,
                ..Default::default()
            };
            let src = SourceFile { path: "bench.toml".into(), text: text.clone() };
            PolicySet::from_sources(black_box(&[src]), &ctx).map(|s| s.rule_count())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
