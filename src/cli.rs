//! The subcommands behind `portvakt …`; `main.rs` parses arguments and calls these.

use crate::access::{self, Decision};
use crate::config::Config;
use crate::session::{Method, Methods};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// Exit code for an `explain` that ends in deny.
pub const EXIT_DENY: u8 = 3;

/// Sets up logging: text or JSON, level from `RUST_LOG` (default `info`). Colours only on a terminal (and without
/// `NO_COLOR`): the journal and log files get plain text.
pub fn init_logging(json: bool) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,pingora_core=warn,pingora_proxy=warn"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Loads a config and everything it refers to, collecting every problem.
pub fn load_all(path: &Path) -> Result<Config, crate::config::error::ConfigErrors> {
    let mut cfg = Config::load(path)?;
    let dirs = crate::directory::build_all(&cfg.path, &cfg.directories, &cfg.institutions)?;
    if let Some(p) = cfg.load_policies(&dirs)? {
        cfg.warnings.extend(p.warnings().iter().cloned());
    }
    if let Err(e) = crate::account::FileAccountStore::open(&cfg.accounts.path) {
        return Err(crate::config::error::ConfigErrors(vec![crate::config::error::ConfigError {
            file: cfg.accounts.path.clone(),
            position: None,
            message: e.to_string(),
        }]));
    }
    Ok(cfg)
}

/// `portvakt check`: prints each problem as FILE:LINE:COL: message and exits 1; or prints each warning (a valid
/// setting that weakens a default on purpose) as FILE:LINE:COL: warning: message, then `ok`, and exits 0.
pub fn check(path: &Path) -> ExitCode {
    match load_all(path) {
        Ok(cfg) => {
            for w in &cfg.warnings {
                println!("{w}");
            }
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(errs) => {
            for e in errs.0 {
                println!("{e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// `portvakt run`.
pub fn run(path: &Path, upgrade: bool) -> ExitCode {
    let cfg = match load_all(path) {
        Ok(c) => c,
        Err(errs) => {
            for e in errs.0 {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    init_logging(cfg.server.log_json);
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    match crate::server::run_process(cfg, path.to_path_buf(), upgrade) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portvakt: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `portvakt upgrade`: checks the config with the binary on disk, then asks the running gateway to hand its
/// listening sockets to that binary ([`crate::upgrade`]) and waits until the new process serves.
pub fn upgrade(path: &Path) -> ExitCode {
    let cfg = match load_all(path) {
        Ok(c) => c,
        Err(errs) => {
            for e in errs.0 {
                eprintln!("{e}");
            }
            eprintln!("portvakt: not upgraded: the new binary refuses this config; the running gateway is untouched");
            return ExitCode::FAILURE;
        }
    };
    match crate::upgrade::request(&cfg, Duration::from_secs(90)) {
        Ok((old, new)) => {
            println!(
                "upgraded: pid {new} serves; pid {old} finishes its open requests within [server] grace_period ({:?}) and exits",
                cfg.server.grace_period
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("portvakt: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `portvakt hash-password`: reads a password on stdin and prints an argon2id PHC string.
pub fn hash_password() -> ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("portvakt: cannot read stdin: {e}");
        return ExitCode::FAILURE;
    }
    let pw = input.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&input);
    if pw.is_empty() {
        eprintln!("portvakt: empty password: type the password on standard input");
        return ExitCode::FAILURE;
    }
    match crate::directory::password::hash_password(pw) {
        Ok(h) => {
            println!("{h}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("portvakt: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The arguments of `portvakt explain`.
#[derive(Debug, Clone)]
pub struct ExplainArgs {
    /// Config file.
    pub config: PathBuf,
    /// Service name.
    pub service: String,
    /// Zone name.
    pub zone: String,
    /// Username.
    pub user: String,
    /// Groups.
    pub groups: Vec<String>,
    /// Realm (directory); the first configured one when absent.
    pub realm: Option<String>,
    /// Institution; the realm's (from `[[institutions]]`) when absent.
    pub institution: Option<String>,
    /// Login methods.
    pub methods: Vec<String>,
    /// eID assurance (low, substantial, high); substantial when methods include eid and this is absent.
    pub assurance: Option<String>,
    /// Time of the request (RFC 3339), now when absent.
    pub at: Option<String>,
}

/// `portvakt explain`: prints the decision, the deciding rule and why; exit 0 allow, 3 deny, 1 error.
pub fn explain(a: &ExplainArgs) -> ExitCode {
    let cfg = match load_all(&a.config) {
        Ok(c) => c,
        Err(errs) => {
            for e in errs.0 {
                eprintln!("{e}");
            }
            return ExitCode::FAILURE;
        }
    };
    let is_account_action = crate::policy::ACCOUNT_ACTIONS.contains(&a.service.as_str());
    if cfg.service(&a.service).is_none() && !is_account_action {
        let known: Vec<&str> =
            cfg.services.iter().map(|s| s.name.as_str()).chain(crate::policy::ACCOUNT_ACTIONS).collect();
        eprintln!("unknown service \"{}\"; known: {}", a.service, known.join(", "));
        return ExitCode::FAILURE;
    }
    let zones = crate::zones::ZoneTable::new(&cfg.zones, cfg.remote_login, &cfg.trusted_proxies);
    let Some(zone) = zones.by_name(&a.zone) else {
        eprintln!("unknown zone \"{}\"; known: {}", a.zone, cfg.zone_names().join(", "));
        return ExitCode::FAILURE;
    };
    let realm = match &a.realm {
        Some(r) if cfg.directories.iter().any(|d| d.name == *r) => r.clone(),
        Some(r) => {
            let known: Vec<&str> = cfg.directories.iter().map(|d| d.name.as_str()).collect();
            eprintln!("unknown realm \"{r}\"; known: {}", known.join(", "));
            return ExitCode::FAILURE;
        }
        None => cfg.directories.first().map(|d| d.name.clone()).unwrap_or_default(),
    };
    let institution =
        a.institution.clone().or_else(|| crate::directory::default_institution(&cfg.institutions, &realm));
    let mut methods = Methods::default();
    for m in a.methods.iter().filter(|m| !m.is_empty()) {
        match Method::parse(m) {
            Some(m) => methods = methods.with(m),
            None => {
                eprintln!("unknown login method \"{m}\"; use password, sms, email or eid");
                return ExitCode::FAILURE;
            }
        }
    }
    let assurance = match a.assurance.as_deref() {
        None if methods.contains(Method::Eid) => crate::policy::Assurance::Substantial,
        None => crate::policy::Assurance::None,
        Some(s) => match crate::policy::Assurance::parse(s) {
            Some(l) => l,
            None => {
                eprintln!("unknown assurance \"{s}\"; use low, substantial or high");
                return ExitCode::FAILURE;
            }
        },
    };
    let at = match &a.at {
        None => {
            use crate::clock::Clock;
            let ms = i64::try_from(crate::clock::SystemClock.now().0).unwrap_or(i64::MAX);
            chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
        }
        Some(t) => match chrono::DateTime::parse_from_rfc3339(t) {
            Ok(t) => t.with_timezone(&chrono::Utc),
            Err(_) => {
                eprintln!("--at \"{t}\" is not an RFC 3339 time such as 2026-11-23T08:00:00+01:00");
                return ExitCode::FAILURE;
            }
        },
    };
    let dirs = match crate::directory::build_all(&cfg.path, &cfg.directories, &cfg.institutions) {
        Ok(d) => d,
        Err(errs) => {
            eprintln!("{errs}");
            return ExitCode::FAILURE;
        }
    };
    let policies = match cfg.load_policies(&dirs) {
        Ok(p) => p,
        Err(errs) => {
            eprintln!("{errs}");
            return ExitCode::FAILURE;
        }
    };
    let Some(policies) = policies else {
        return explain_builtin(a, zone, methods, assurance);
    };
    let path = cfg.service(&a.service).map(|s| s.path_prefix.clone()).unwrap_or_else(|| "/".into());
    let ex = policies.explain(&crate::policy::AccessRequest {
        service: &a.service,
        path: &path,
        case_insensitive: cfg.service(&a.service).is_some_and(|s| s.path_rules.case_insensitive),
        zone: &zone.name,
        user: &a.user,
        groups: &a.groups,
        realm: &realm,
        institution: institution.as_deref(),
        methods,
        assurance,
        at,
    });
    // The rules can only raise the zone's floor: an allow below it is a step-up in the gateway, so here a deny.
    let below_allowed =
        cfg.service(&a.service).is_some_and(|s| s.allow_below_zone_floor.iter().any(|z| *z == zone.name));
    let floor_decides = ex.verdict.is_allow() && !below_allowed && !access::meets_floor(zone.login, methods, assurance);
    let allow = ex.verdict.is_allow() && !floor_decides;
    println!("{}", if allow { "allow" } else { "deny" });
    match &ex.deciding {
        _ if floor_decides => {
            println!("rule: {} (zone \"{}\": {})", access::FLOOR_RULE, zone.name, zone.login.as_str())
        }
        Some(r) => println!("rule: {r}"),
        None => println!("rule: none (no rule matched; no matching allow means deny)"),
    }
    for r in &ex.reasons {
        println!("why: {r}");
    }
    let floor = format!("zone \"{}\" needs at least {}", zone.name, access::floor_words(zone.login));
    if floor_decides {
        println!(
            "why: the rules allow this, but {floor} and this login used [{}]: rules can only raise a zone's floor, \
             so the gateway sends this login to step up",
            methods.header_value()
        );
        println!("would allow: log in with {}", access::floor_words(zone.login));
    } else {
        for w in &ex.would_allow {
            println!("would allow: {w}");
        }
    }
    if below_allowed {
        println!(
            "floor: {floor}, but service \"{}\" sets allow_below_zone_floor for it: the rules alone decide",
            a.service
        );
    } else {
        println!("floor: {floor}; the rules can only raise it");
    }
    if allow {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_DENY)
    }
}

fn explain_builtin(
    a: &ExplainArgs,
    zone: &crate::zones::Zone,
    methods: Methods,
    assurance: crate::policy::Assurance,
) -> ExitCode {
    let need = access::floor_words(zone.login);
    let why =
        format!("zone \"{}\" needs {need}; user {} logged in with [{}]", zone.name, a.user, methods.header_value());
    match access::builtin(zone, methods, assurance) {
        Decision::Allow => {
            println!("allow\nrule: {}\nwhy: {why}", access::BUILTIN_RULE);
            ExitCode::SUCCESS
        }
        _ => {
            println!("deny\nrule: {}\nwhy: {why}\nwould allow: log in with {need}", access::BUILTIN_RULE);
            ExitCode::from(EXIT_DENY)
        }
    }
}

/// `portvakt dev-cert`: writes a self-signed development certificate and key, plus an assertion signing key.
pub fn dev_cert(out: &Path, hosts: &[String]) -> ExitCode {
    let names = if hosts.is_empty() {
        vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()]
    } else {
        hosts.to_vec()
    };
    let ck = match rcgen::generate_simple_self_signed(names.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("portvakt: cannot make certificate: {e}");
            return ExitCode::FAILURE;
        }
    };
    let assertion_pem = match crate::assertion::SigningKey::generate().and_then(|k| k.to_pem()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("portvakt: cannot make an assertion key: {e}");
            return ExitCode::FAILURE;
        }
    };
    let files = [
        ("dev-cert.pem", ck.cert.pem()),
        ("dev-key.pem", ck.key_pair.serialize_pem()),
        ("dev-assertion-key.pem", assertion_pem),
        ("dev-store-keys", crate::store::seal::Secrets::generate_file_text()),
    ];
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("portvakt: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    for (name, pem) in files {
        let p = out.join(name);
        if let Err(e) = write_private(&p, pem.as_bytes()) {
            eprintln!("portvakt: cannot write {}: {e}", p.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", p.display());
    }
    println!("certificate names: {}", names.join(", "));
    ExitCode::SUCCESS
}

fn write_private(p: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(p)?;
    f.write_all(data)
}

/// `portvakt demo`: demo backends plus the gateway, credentials printed to the terminal.
pub fn demo(opts: &crate::demo::DemoOptions) -> ExitCode {
    init_logging(false);
    let demo_dir = crate::demo::DemoDir::new(&std::env::temp_dir());
    let dir = demo_dir.path();
    let path = match crate::demo::write_demo_files(dir, opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("portvakt: cannot write demo files to {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let cfg = match load_all(&path) {
        Ok(c) => c,
        Err(errs) => {
            eprintln!("portvakt: the embedded demo config is broken (a bug):\n{errs}");
            return ExitCode::FAILURE;
        }
    };
    let provider = if opts.eid {
        match crate::demo::start_provider(dir, opts) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("portvakt: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    if let Err(e) = crate::demo::spawn_backends(&cfg) {
        eprintln!("portvakt: cannot start demo backends (is another demo running?): {e}");
        return ExitCode::FAILURE;
    }
    println!("Portvakt demo\n");
    for l in &cfg.listeners {
        let what = match l.pinned_zone.as_deref() {
            Some("remote") => "counts as the internet, zone \"remote\" (one-time code needed)".to_string(),
            Some(z) => format!("counts as zone \"{z}\" (password is enough)"),
            None => "counts as the internal network (password is enough)".to_string(),
        };
        println!("  http://{}/  {what}", l.address);
    }
    println!("\nDemo users:");
    for (u, p, what) in crate::demo::DEMO_CREDENTIALS {
        println!("  {u} / {p}   ({what})");
    }
    println!("\nServices:");
    for s in &cfg.services {
        println!("  {:<14} {}/", s.title, s.path_prefix);
    }
    if opts.policies {
        println!(
            "\nPolicies: the shipped policies/ ({}), times in Europe/Oslo:",
            path.with_file_name("policies").display()
        );
        println!("  self-service is closed 01:00-05:00 while payroll runs (the portal says until when)");
        println!("  from the remote listener, self-service and expenses ask for a one-time code (step-up)");
        println!("  signing from the remote listener needs an eID login at level high; the portal says why");
        println!("  edit the files there: the demo reloads them within a second");
    }
    if let Some(p) = &provider {
        println!(
            "\neID: a local test OpenID Provider at {} (Node, tests/support/oidc; not part of the gateway).",
            p.issuer
        );
        println!("  1. On the login page choose \"Log in with Test eID (local)\"; at the provider type any 11 digits,");
        println!("     e.g. {}, and log in.", crate::demo::DEMO_PERSON_ID);
        println!(
            "  2. The first time, link that eID to an account: type anna's address anna.lindqvist@kommune.example;"
        );
        println!(
            "     the code for it is printed here. Later eID logins go straight in, also from the remote listener."
        );
    }
    println!("\nOne-time codes will be printed here. Stop with Ctrl-C.\n");
    let result = crate::server::run(cfg, crate::server::Deps::default(), None);
    drop(provider);
    drop(demo_dir);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portvakt: {e}");
            ExitCode::FAILURE
        }
    }
}
