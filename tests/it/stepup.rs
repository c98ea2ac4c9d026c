//! Step-up that always has a way forward (issue #16 point 1), against the shipped policies (`policies/*.toml`), a
//! real OpenID Provider (oidc-provider, configured like ID-porten), a real SMTP server and a 46elks stand-in: the
//! step-up page and the portal offer exactly the ways that satisfy the rule, the eID request asks for the level the
//! rule needs, and a walk over every (service × zone × session state) proves that each step-up offered leads in and
//! no chain of redirects comes round again.

use crate::common::oidc::{OpClient, OpOptions, TestOp, LOA_HIGH, LOA_SUBSTANTIAL};
use crate::common::sms_provider::Elks46Server;
use crate::common::smtp::SmtpServer;
use crate::common::*;
use portvakt::clock::Clock;
use std::collections::HashSet;
use std::time::Duration;

/// The test person's national identity number (`pid`), linked to anna.
const PID: &str = "12089912345";
const ELKS_USER: &str = "u0123456789abcdef";
const ELKS_PASS: &str = "elks-secret";
/// A source address in the `schools` zone this module adds.
const SCHOOLS: &str = "127.0.0.6";

/// A gateway with the shipped policies, eID (ID-porten's levels), e-mail and SMS codes; anna has a number and a
/// linked eID.
struct StepEnv {
    env: Env,
    op: TestOp,
    smtp: SmtpServer,
    sms: Elks46Server,
    base: String,
    _dir: tempfile::TempDir,
}

/// The shipped policy files as one file (the second's `timezone` line dropped: the first sets the same).
fn shipped_policies() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let services = std::fs::read_to_string(dir.join("services.toml")).unwrap();
    let account = std::fs::read_to_string(dir.join("account.toml")).unwrap();
    let account: String = account.lines().filter(|l| !l.starts_with("timezone")).map(|l| format!("{l}\n")).collect();
    format!("{services}\n{account}")
}

fn start() -> StepEnv {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let client = OpClient::basic("portvakt", "klient-hemlighet", &format!("{base}/.portvakt/eid/callback"));
    // Tokens outlive the gateway's clock being moved on by up to a day and a half (see `at_oslo`).
    let op = TestOp::start_with(vec![client], OpOptions { id_token_ttl_secs: 36 * 3600, ..Default::default() });
    let smtp = SmtpServer::start();
    let sms = Elks46Server::start(ELKS_USER, ELKS_PASS);
    let accounts = dir.path().join("accounts.json");
    std::fs::write(
        &accounts,
        format!(
            r#"{{"staff:anna": {{"phones": ["+46701234567"], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
        ),
    )
    .unwrap();
    let extra = format!(
        r#"
{email}
{sms}
[second_factor.limits]
destination_cooldown = "10ms"
per_destination_per_day = 1000
per_account_per_hour = 1000
per_address_per_hour = 1000

[[zones]]
name = "schools"
cidrs = ["{SCHOOLS}/32"]

{KOMMUNE_INSTITUTION}
{eid}"#,
        email = smtp.email_toml(),
        sms = sms.sms_toml("2s"),
        eid = op.idporten_toml("ID-porten"),
    );
    let env = Env::start(Opts {
        http_port: Some(port),
        server_extra: format!("public_url = \"{base}\""),
        extra,
        accounts: Some(accounts),
        policies: Some(shipped_policies()),
        ..Default::default()
    });
    StepEnv { env, op, smtp, sms, base, _dir: dir }
}

impl StepEnv {
    /// Moves the gateway's clock on to the next `hour`:00 in Oslo (CET; at most a day ahead).
    fn at_oslo(&self, hour: u64) {
        let now = self.env.clock.now().0;
        let day = 86_400_000;
        let mut t = now / day * day + (hour + 23) % 24 * 3_600_000;
        if t < now {
            t += day;
        }
        self.env.clock.set(portvakt::clock::Instant(t));
    }
}

/// One answer: status, Location, body.
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

/// A browser at one source address, with its cookie jar; redirects are followed by the caller.
struct Jar {
    source: &'static str,
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Jar {
    fn from(source: &'static str) -> Jar {
        Jar { source, http: client_from(source), cookies: Vec::new() }
    }

    fn header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn answer(&mut self, r: reqwest::Response) -> Answer {
        for line in r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let (k, v) = line.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !v.is_empty() && !line.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        let status = r.status().as_u16();
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_string());
        Answer { status, location, body: r.text().await.unwrap() }
    }

    async fn get(&mut self, url: &str) -> Answer {
        let r = self.http.get(url).header("cookie", self.header()).header("accept", "text/html");
        let r = r.header("accept-language", "en").send().await.unwrap();
        self.answer(r).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Answer {
        let r = self.http.post(url).header("cookie", self.header()).header("accept", "text/html");
        let r = r.header("accept-language", "en").form(form).send().await.unwrap();
        self.answer(r).await
    }
}

/// The login a session was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Password,
    PasswordSms,
    PasswordEmail,
    EidSubstantial,
    EidHigh,
}

const STATES: [State; 5] =
    [State::Password, State::PasswordSms, State::PasswordEmail, State::EidSubstantial, State::EidHigh];

/// What one walk ended in.
#[derive(Debug)]
enum End {
    /// The backend answered.
    Allowed,
    /// A 403 page that offers no way to step up.
    Denied,
    /// A step-up page with the ways it offers, and the page's URL.
    StepUp { page: String, html: String, ways: Vec<Way> },
}

/// A way forward a step-up page offers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Way {
    /// A code to this channel (`sms:0`, `email`).
    Code(String),
    /// An eID login link.
    Eid(String),
}

/// The ways a page offers: its channel choices and its eID links.
fn ways_on(html: &str) -> Vec<Way> {
    let mut ways = Vec::new();
    for part in html.split("name=\"channel\"").skip(1) {
        let v = part.split("value=\"").nth(1).unwrap().split('"').next().unwrap();
        ways.push(Way::Code(v.to_string()));
    }
    for part in html.split("href=\"/.portvakt/eid/start?").skip(1) {
        let q = part.split('"').next().unwrap().replace("&amp;", "&");
        ways.push(Way::Eid(format!("/.portvakt/eid/start?{q}")));
    }
    ways
}

impl StepEnv {
    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http") {
            path_or_url.to_string()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    /// The newest code anna got on `channel`, waiting for message number `n`.
    async fn code(&self, channel: &str, n: usize) -> String {
        if channel == "email" {
            let mails = self.smtp.wait_for(n, Duration::from_secs(10));
            return crate::second_factor::code_in(&mails.last().unwrap().body);
        }
        for _ in 0..200 {
            let msgs = self.sms.messages();
            if msgs.len() >= n {
                return crate::second_factor::code_in(&msgs.last().unwrap().message);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no SMS arrived");
    }

    /// Sends a code to `channel` from the step-up page `html` and types it: the answer to the verify POST.
    async fn code_step(&self, jar: &mut Jar, html: &str, channel: &str) -> Answer {
        let csrf = hidden_field(html, "csrf").unwrap();
        let rd = hidden_field(html, "rd").unwrap_or_default();
        let n = if channel == "email" { self.smtp.messages().len() } else { self.sms.messages().len() } + 1;
        self.env.clock.advance(Duration::from_secs(1));
        let form = [("csrf", csrf.as_str()), ("channel", channel), ("rd", rd.as_str())];
        let sent = jar.post(&self.url("/.portvakt/second-factor/send"), &form).await;
        assert_eq!(sent.status, 303, "a send is POST-redirect-GET: {}", sent.body);
        let loc = sent.location.unwrap();
        assert!(loc.contains("r=sent"), "{loc}");
        let page = jar.get(&self.url(&loc)).await;
        assert!(page.body.contains("name=\"code\""), "{}", page.body);
        let code = self.code(channel, n).await;
        jar.post(&self.url("/.portvakt/second-factor/verify"), &[("csrf", &csrf), ("code", &code), ("rd", &rd)]).await
    }

    /// Follows an eID link at the gateway through the OP, logging in at the level the request asks for: the
    /// gateway's answer to the callback, and the authorization request's parameters.
    async fn eid_step(&self, jar: &mut Jar, link: &str) -> (Answer, serde_json::Value) {
        let start = jar.get(&self.url(link)).await;
        assert_eq!(start.status, 302, "{}", start.body);
        let to = start.location.unwrap();
        assert!(to.starts_with(&self.op.issuer()), "{to}");
        let params: serde_json::Map<String, serde_json::Value> = url::Url::parse(&to)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        let acr = if params["acr_values"].as_str().unwrap().contains("high") { LOA_HIGH } else { LOA_SUBSTANTIAL };
        let back = self.op.browser(jar.source).authorize(&to, PID, acr).await;
        (jar.get(&back.callback).await, serde_json::Value::Object(params))
    }

    /// A fresh session of anna's in `state`, made from `source`.
    async fn session(&self, source: &'static str, state: State) -> Jar {
        let mut jar = Jar::from(source);
        match state {
            State::EidSubstantial | State::EidHigh => {
                let start = jar.get(&self.url("/.portvakt/eid/start?provider=idporten&rd=%2F.portvakt%2Fportal")).await;
                assert_eq!(start.status, 302, "{}", start.body);
                let acr = if state == State::EidHigh { LOA_HIGH } else { LOA_SUBSTANTIAL };
                let back = self.op.browser(source).authorize(&start.location.unwrap(), PID, acr).await;
                let r = jar.get(&back.callback).await;
                assert_eq!(r.status, 303, "{}", r.body);
            }
            State::Password | State::PasswordSms | State::PasswordEmail => {
                let l = login(&jar.http, &self.base, "anna", PASSWORD, "/.portvakt/portal", "portvakt", None).await;
                let pair = l.cookie.unwrap();
                let (k, v) = pair.split_once('=').unwrap();
                jar.cookies.push((k.into(), v.into()));
                let channel = match state {
                    State::PasswordSms => "sms:0",
                    State::PasswordEmail => "email",
                    _ => return jar,
                };
                // The portal's own step-up (voluntary where the zone's floor is a password).
                let page = jar.get(&self.url("/.portvakt/second-factor?rd=%2F.portvakt%2Fportal")).await;
                assert_eq!(page.status, 200, "{}", page.body);
                let r = self.code_step(&mut jar, &page.body, channel).await;
                assert_eq!(r.status, 303, "{}", r.body);
            }
        }
        jar
    }

    /// Follows redirects from `url` until a page stops the walk; panics when a (URL, session) pair comes round
    /// again, or a step-up page offers no way forward.
    async fn walk(&self, jar: &mut Jar, url: &str, seen: &mut HashSet<(String, String)>) -> End {
        let mut url = self.url(url);
        for _ in 0..12 {
            assert!(seen.insert((url.clone(), jar.header())), "a redirect chain came round again at {url}: {seen:?}");
            let a = jar.get(&url).await;
            match a.status {
                302 | 303 => {
                    url = self.url(&a.location.unwrap());
                    continue;
                }
                // The echo backend, showing the identity it was given.
                200 if a.body.contains("x-portvakt-user") => return End::Allowed,
                200 => {
                    assert!(!url.contains("/.portvakt/login"), "the session was lost on the way: {url}");
                    let ways = ways_on(&a.body);
                    assert!(!ways.is_empty(), "a step-up page with no way forward at {url}: {}", a.body);
                    return End::StepUp { page: url, html: a.body, ways };
                }
                403 => {
                    assert!(ways_on(&a.body).is_empty(), "a denial offering a step-up at {url}: {}", a.body);
                    assert!(!a.body.contains("name=\"code\""), "{}", a.body);
                    return End::Denied;
                }
                s => panic!("{s} at {url}: {}", a.body),
            }
        }
        panic!("more than 12 redirects from {url}");
    }
}

/// Signing from outside (the shipped rule needs eID at level high from `remote`), for a user logged in with an SMS
/// code: the step-up page shows the rule's own message and only eID, its button asks ID-porten for level high with
/// `prompt=login`, the portal's tile says the same, and the eID login at high reaches the signing backend. Before
/// issue #16.1 this page offered another code, which landed back on it forever.
#[tokio::test(flavor = "multi_thread")]
async fn signing_from_outside_offers_eid_high_not_another_code() {
    let e = start();
    let mut jar = e.session(REMOTE, State::PasswordSms).await;
    let r = jar.get(&e.url("/signing/contract")).await;
    assert_eq!(r.status, 302, "{}", r.body);
    let step_up = r.location.unwrap();
    assert_eq!(step_up, "/.portvakt/second-factor?rd=%2Fsigning%2Fcontract");
    let page = jar.get(&e.url(&step_up)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.body;
    assert!(
        html.contains("Signing from outside the municipality&#x27;s network needs an eID login at level high")
            || html.contains("Signing from outside the municipality's network needs an eID login at level high"),
        "the rule's own message: {html}"
    );
    assert!(!html.contains("name=\"channel\"") && !html.contains("name=\"code\""), "no code can help: {html}");
    assert!(html.contains("Log in with ID-porten (level high)"), "{html}");
    assert_eq!(
        ways_on(&html),
        vec![Way::Eid("/.portvakt/eid/start?provider=idporten&rd=%2Fsigning%2Fcontract&level=high".into())]
    );
    // The portal says the same.
    let portal = jar.get(&e.url("/.portvakt/portal")).await.body;
    let tile = portal.split("<li ").find(|t| t.contains("<h2>Signing</h2>")).unwrap_or_else(|| panic!("{portal}"));
    assert!(tile.contains("data-state=\"step-up\""), "{tile}");
    assert!(tile.contains("Log in with eID at level high"), "{tile}");
    assert!(!tile.contains("one-time code"), "{tile}");
    // The eID request asks for high, and for a fresh login (the provider's own level is substantial).
    let (back, params) =
        e.eid_step(&mut jar, "/.portvakt/eid/start?provider=idporten&rd=%2Fsigning%2Fcontract&level=high").await;
    assert_eq!(params["acr_values"], LOA_HIGH, "{params}");
    assert_eq!(params["prompt"], "login", "{params}");
    let auth = e.op.requests_of("auth").await;
    assert_eq!(auth.last().unwrap()["params"]["acr_values"], LOA_HIGH);
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location.as_deref(), Some("/signing/contract"));
    let (s, echo) = get_json(&jar.http, &e.url("/signing/contract"), &jar.header(), &[]).await;
    assert_eq!(s, 200, "{echo}");
    assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
}

/// A MinID user (eID at substantial) opening signing from outside is sent to ID-porten for level high with
/// `prompt=login`: the provider's single sign-on at substantial cannot answer it, the person logs in again at high,
/// and reaches the backend. An answer at substantial to a request for high is refused with a page, not looped.
#[tokio::test(flavor = "multi_thread")]
async fn eid_substantial_steps_up_to_high_at_the_provider() {
    let e = start();
    let op = e.op.browser(REMOTE);
    let mut jar = Jar::from(REMOTE);
    let start = jar.get(&e.url("/.portvakt/eid/start?provider=idporten&rd=%2Fsigning%2F")).await;
    let back = op.authorize(&start.location.unwrap(), PID, LOA_SUBSTANTIAL).await;
    let r = jar.get(&back.callback).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/signing/")));
    let r = jar.get(&e.url("/signing/")).await;
    assert_eq!(r.location.as_deref(), Some("/.portvakt/second-factor?rd=%2Fsigning%2F"));
    let html = jar.get(&e.url("/.portvakt/second-factor?rd=%2Fsigning%2F")).await.body;
    let link = match ways_on(&html).as_slice() {
        [Way::Eid(l)] => l.clone(),
        other => panic!("{other:?}: {html}"),
    };
    assert!(link.ends_with("&level=high"), "{link}");
    let start = jar.get(&e.url(&link)).await;
    let to = start.location.unwrap();
    let q: Vec<(String, String)> = url::Url::parse(&to).unwrap().query_pairs().into_owned().collect();
    assert!(q.contains(&("acr_values".into(), LOA_HIGH.into())), "{q:?}");
    assert!(q.contains(&("prompt".into(), "login".into())), "{q:?}");
    // The same provider session at substantial: ID-porten asks again (the OP's login form shows).
    let back = op.authorize(&to, PID, LOA_HIGH).await;
    assert!(back.prompted, "the provider's single sign-on at substantial must not answer a request for high");
    let r = jar.get(&back.callback).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/signing/")), "{}", r.body);
    let (s, echo) = get_json(&jar.http, &e.url("/signing/"), &jar.header(), &[]).await;
    assert_eq!(s, 200, "{echo}");

    // A provider answering a request for high at substantial anyway: a page saying so, no session, no loop.
    let mut other = Jar::from(REMOTE);
    let start = other.get(&e.url("/.portvakt/eid/start?provider=idporten&rd=%2Fsigning%2F&level=high")).await;
    let fresh = e.op.browser(REMOTE);
    let back = fresh.authorize(&start.location.unwrap(), PID, LOA_HIGH).await;
    e.op.tamper_next(serde_json::json!({ "set": { "acr": LOA_SUBSTANTIAL } })).await;
    let r = other.get(&back.callback).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("lower security level"), "{}", r.body);
    assert!(other.cookies.iter().all(|(k, _)| k != "portvakt"), "no session from a login below the level asked for");
}

/// The walk over the shipped policies: for every service × zone (internal, schools, remote) × session state
/// (password; password + SMS; password + e-mail; eID substantial; eID high), at night (02:00, self-service closed for
/// the payroll run) and at noon, following redirects with a cookie jar, each request ends at the backend, at a denial
/// that offers no step-up, or at a step-up page whose every offered way (each code channel, each eID link), taken from
/// a fresh session in the same state, ends at the backend; and no (URL, session) pair comes round twice on the way.
#[tokio::test(flavor = "multi_thread")]
async fn every_denial_offers_only_ways_that_lead_in() {
    let e = start();
    let mut table = Vec::new();
    for hour in [2, 12] {
        e.at_oslo(hour);
        for source in [INTERNAL, SCHOOLS, REMOTE] {
            for state in STATES {
                for service in ["/self-service/", "/expense/", "/signing/"] {
                    let end = walk_all_ways(&e, source, state, service).await;
                    table.push(format!("{hour:02}:00 {source} {state:?} {service}: {end}"));
                }
            }
        }
    }
    eprintln!("{}", table.join("\n"));
    assert_eq!(table.len(), 2 * 3 * 5 * 3);
    let line = |l: &str| table.iter().find(|t| t.starts_with(l)).unwrap_or_else(|| panic!("{l}")).clone();
    // The case the issue names: an SMS login outside gets eID high for signing, and nothing else.
    let sms_signing = line(&format!("12:00 {REMOTE} PasswordSms /signing/"));
    assert!(sms_signing.ends_with("level=high\")]"), "{sms_signing}");
    assert!(!sms_signing.contains("Code"), "{sms_signing}");
    // A password login outside may use a code or eID for expenses; at night self-service is closed to everyone,
    // and the closed service offers no step-up.
    assert!(line(&format!("12:00 {REMOTE} Password /expense/")).contains("Code(\"sms:0\"), Code(\"email\"), Eid("));
    assert!(table
        .iter()
        .filter(|t| t.starts_with("02:00") && t.contains("/self-service/"))
        .all(|t| t.ends_with("denied")));
    assert!(line(&format!("12:00 {REMOTE} EidHigh /signing/")).ends_with("allowed"));
}

/// One walk from a fresh session, and each way its step-up page offers taken from another fresh session: how it
/// ended, for the table.
async fn walk_all_ways(e: &StepEnv, source: &'static str, state: State, service: &str) -> String {
    let mut jar = e.session(source, state).await;
    let end = e.walk(&mut jar, service, &mut HashSet::new()).await;
    let ways = match &end {
        End::StepUp { ways, .. } => ways.clone(),
        End::Allowed => return "allowed".into(),
        End::Denied => return "denied".into(),
    };
    for way in &ways {
        let mut jar = e.session(source, state).await;
        let mut seen = HashSet::new();
        let (page, html) = match e.walk(&mut jar, service, &mut seen).await {
            End::StepUp { page, html, .. } => (page, html),
            other => panic!("{source} {state:?} {service}: the same walk ended at {other:?}"),
        };
        let next = match way {
            Way::Code(channel) => e.code_step(&mut jar, &html, channel).await,
            Way::Eid(link) => e.eid_step(&mut jar, link).await.0,
        };
        assert_eq!(next.status, 303, "{source} {state:?} {service} {way:?} from {page}: {}", next.body);
        let end = e.walk(&mut jar, &next.location.unwrap(), &mut seen).await;
        assert!(
            matches!(end, End::Allowed),
            "{source} {state:?} {service}: {way:?} offered at {page} did not lead in: {end:?}"
        );
    }
    format!("step-up {ways:?}")
}
