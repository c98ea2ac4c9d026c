//! Operations from the outside: Prometheus metrics on the admin listener (and nowhere else), the audit trail's
//! schema and what it must never hold, readiness following the store, and systemd watchdog pings.

use crate::common::redis::RedisServer;
use crate::common::smtp::SmtpServer;
use crate::common::*;
use portvakt::clock::ManualClock;
use portvakt::store::redis::{Redis, RedisSettings, RedisStore};
use portvakt::store::seal::Secrets;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Teachers may not open expenses; everyone else may, with two factors from outside.
const POLICY: &str = r#"
timezone = "Europe/Oslo"

[[rule]]
id = "teachers-no-expense"
services = ["expense"]
effect = "deny"
groups = ["teachers"]

[[rule]]
id = "inside"
services = ["self-service", "expense", "signing"]
effect = "allow"
zones = ["internal"]

[[rule]]
id = "outside-two-factor"
services = ["self-service", "expense"]
effect = "allow"
zones = ["remote"]
two_factor = true

[[rule]]
id = "phones-internal"
services = ["account.phones"]
effect = "allow"
zones = ["internal"]
"#;

/// Every field an audit line always has.
const FIELDS: [&str; 15] = [
    "time",
    "event",
    "outcome",
    "reason",
    "user",
    "realm",
    "session",
    "client",
    "zone",
    "method",
    "service",
    "rule",
    "request_id",
    "instance",
    "detail",
];

struct OpsEnv {
    env: Env,
    smtp: SmtpServer,
    admin: String,
    audit: std::path::PathBuf,
}

fn start() -> OpsEnv {
    start_with(None)
}

/// Like [`start`], with this many worker threads per listener.
fn start_with(threads: Option<usize>) -> OpsEnv {
    let smtp = SmtpServer::start();
    let admin_port = free_port();
    let extra = format!(
        "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\nfrom = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n\
         [admin]\nlisten = \"127.0.0.1:{admin_port}\"\n\n[audit]\nfile = \"audit.jsonl\"\ninstance = \"gw-test\"\n",
        smtp.port
    );
    let env = Env::start(Opts { extra, policies: Some(POLICY.into()), threads, ..Default::default() });
    let audit = env.dir.path().join("audit.jsonl");
    OpsEnv { env, smtp, admin: format!("http://127.0.0.1:{admin_port}"), audit }
}

impl OpsEnv {
    fn url(&self, p: &str) -> String {
        format!("{}{p}", self.env.http_url())
    }

    async fn scrape(&self) -> String {
        let r = client_from(INTERNAL).get(format!("{}/metrics", self.admin)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        r.text().await.unwrap()
    }

    /// The audit lines written so far (waits until at least `n` are on disk).
    async fn audit_lines(&self, n: usize) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&self.audit).unwrap_or_default();
            let lines: Vec<serde_json::Value> =
                text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
            if lines.len() >= n || start.elapsed() > Duration::from_secs(10) {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A remote password login, an e-mail code and its verification; returns the two-factor cookie and the code.
    async fn remote_code_login(&self, c: &reqwest::Client) -> (String, String, String) {
        let l = login(c, &self.env.http_url(), "anna", PASSWORD, "/expense/claims", "portvakt", None).await;
        assert_eq!(l.location.as_deref(), Some("/.portvakt/second-factor?rd=%2Fexpense%2Fclaims"));
        let cookie = l.cookie.unwrap();
        let html = browse(c, &self.url("/.portvakt/second-factor?rd=%2Fexpense%2Fclaims"), &cookie, &[])
            .await
            .text()
            .await
            .unwrap();
        let csrf = hidden_field(&html, "csrf").unwrap();
        let form = [("csrf", csrf.as_str()), ("channel", "email"), ("rd", "/expense/claims")];
        assert_eq!(send_code(c, &self.env.http_url(), &cookie, &form).await.0, "sent");
        let mail = self.smtp.wait_for(1, Duration::from_secs(10));
        let code = code_in(&mail.last().unwrap().body);
        let form = [("csrf", csrf.as_str()), ("code", code.as_str()), ("rd", "/expense/claims")];
        let r = c.post(self.url("/.portvakt/second-factor/verify")).header("cookie", &cookie).form(&form).send();
        let r = r.await.unwrap();
        assert_eq!(r.status(), 303);
        (set_cookie(r.headers(), "portvakt").unwrap(), code, csrf)
    }
}

/// The code in a message: three characters, a dash, three characters.
fn code_in(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    for w in chars.windows(7) {
        if w[3] == '-' && w.iter().enumerate().all(|(i, c)| i == 3 || c.is_ascii_uppercase() || c.is_ascii_digit()) {
            return w.iter().collect();
        }
    }
    panic!("no code in {text:?}");
}

/// The value of one series in a scrape (0 when absent).
fn value(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.strip_prefix(' ')))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0.0)
}

/// After a login, a wrong password, a code, a denial and a proxied request, the admin listener's scrape shows each
/// counter moved (with bounded labels: no user name or address in it); the public listeners never serve metrics.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_move_and_stay_off_the_public_listeners() {
    let e = start();
    let before = e.scrape().await;
    let ok = "portvakt_logins_total{method=\"password\",zone=\"internal\",result=\"success\"}";
    let proxied = "portvakt_requests_total{zone=\"internal\",service=\"self-service\",status=\"200\"}";
    assert_eq!(value(&before, ok), 0.0);
    assert_eq!(value(&before, proxied), 0.0, "pre-registered at zero:\n{before}");
    assert!(before.contains(proxied), "request series exist from the start");
    assert!(before.contains("portvakt_build_info{version=\""), "{before}");

    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &e.env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(get_json(&inside, &e.url("/self-service/x"), &cookie, &[]).await.0, 200);
    assert!(login(&inside, &e.env.http_url(), "anna", "wrong", "/", "portvakt", None).await.cookie.is_none());
    let teacher = login(&inside, &e.env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(get_json(&inside, &e.url("/expense/claims"), &teacher, &[]).await.0, 403);
    let remote = client_from(REMOTE);
    let (two_factor, _, _) = e.remote_code_login(&remote).await;
    assert_eq!(get_json(&remote, &e.url("/expense/claims"), &two_factor, &[]).await.0, 200);

    let expect = [
        (ok, 2.0),
        ("portvakt_logins_total{method=\"password\",zone=\"internal\",result=\"failure\"}", 1.0),
        ("portvakt_logins_total{method=\"password\",zone=\"remote\",result=\"success\"}", 1.0),
        ("portvakt_logins_total{method=\"email\",zone=\"remote\",result=\"success\"}", 1.0),
        ("portvakt_codes_sent_total{channel=\"email\",result=\"success\"}", 1.0),
        ("portvakt_policy_denials_total{zone=\"internal\",service=\"expense\",kind=\"rule\"}", 1.0),
        (proxied, 1.0),
        ("portvakt_requests_total{zone=\"remote\",service=\"expense\",status=\"200\"}", 1.0),
        ("portvakt_requests_total{zone=\"internal\",service=\"expense\",status=\"403\"}", 1.0),
        ("portvakt_sessions_created_total", 3.0),
        ("portvakt_request_duration_seconds_count{zone=\"internal\",service=\"self-service\"}", 1.0),
        ("portvakt_login_duration_seconds_count{method=\"password\",result=\"success\"}", 3.0),
        ("portvakt_policy_rules", 4.0),
        ("portvakt_store_operations_total{store=\"sessions\",op=\"create\",result=\"success\"}", 3.0),
        ("portvakt_directory_operations_total{directory=\"staff\",op=\"authenticate\",result=\"success\"}", 4.0),
        ("portvakt_directory_operation_duration_seconds_count{directory=\"staff\",op=\"authenticate\"}", 4.0),
    ];
    // A request is counted in pingora's logging phase, just after its answer went out: poll briefly.
    let started = Instant::now();
    let after = loop {
        let after = e.scrape().await;
        if expect.iter().all(|(series, want)| value(&after, series) == *want)
            || started.elapsed() > Duration::from_secs(5)
        {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for (series, want) in expect {
        assert_eq!(value(&after, series), want, "{series} in\n{after}");
    }
    for secret in ["anna", "bjorn", "127.0.0.", "/claims", "/x"] {
        assert!(!after.contains(secret), "{secret} in a label:\n{after}");
    }
    // Not on the public listeners, under any spelling.
    for base in [e.env.http_url(), e.env.https_url()] {
        for path in ["/metrics", "/.portvakt/metrics"] {
            let r = inside.get(format!("{base}{path}")).send().await.unwrap();
            assert_ne!(r.status(), 200, "{base}{path}");
            assert!(!r.text().await.unwrap().contains("portvakt_requests_total"), "{base}{path}");
        }
    }
}

/// Every audit line has the same fields; the events of a journey carry what docs/audit.md says; and after logins,
/// a wrong password, a code, a denial, a number change and a logout, the file holds no password, code, cookie,
/// CSRF token or phone number.
/// Requests answered by two worker threads at once, over many connections, are each counted exactly once in
/// `/metrics` (the request series are kept per thread and added up when scraped), and the counts only grow.
#[tokio::test(flavor = "multi_thread")]
async fn requests_on_two_threads_are_counted_exactly() {
    let e = start_with(Some(2));
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &e.env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let proxied = "portvakt_requests_total{zone=\"internal\",service=\"self-service\",status=\"200\"}";
    let took = "portvakt_request_duration_seconds_count{zone=\"internal\",service=\"self-service\"}";
    let inf = "portvakt_request_duration_seconds_bucket{le=\"+Inf\",zone=\"internal\",service=\"self-service\"}";
    let mut last = 0.0;
    for round in 1..=2 {
        // Eight clients of their own (eight connections), 25 requests each, all at once.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (url, cookie) = (e.url("/self-service/x"), cookie.clone());
            tasks.push(tokio::spawn(async move {
                let c = client_from(INTERNAL);
                for _ in 0..25 {
                    assert_eq!(get_json(&c, &url, &cookie, &[]).await.0, 200);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let want = f64::from(200 * round);
        // Counted in pingora's logging phase, just after the answer went out: poll briefly.
        let started = Instant::now();
        let scrape = loop {
            let s = e.scrape().await;
            if value(&s, proxied) >= want || started.elapsed() > Duration::from_secs(5) {
                break s;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(value(&scrape, proxied), want, "{scrape}");
        assert_eq!(value(&scrape, took), want, "{scrape}");
        assert_eq!(value(&scrape, inf), want, "{scrape}");
        assert!(value(&scrape, proxied) > last);
        last = value(&scrape, proxied);
        assert_eq!(scrape.matches("# TYPE portvakt_requests counter").count(), 1, "{scrape}");
    }
}

/// A logout is refused at once on every connection, whichever worker thread serves it: with two threads and eight
/// keep-alive connections that each used the session (so both threads answered it, each from its own copy of the
/// store's entry after the first), the next request on each of the eight after the logout is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_logout_is_refused_at_once_on_both_threads() {
    let e = start_with(Some(2));
    let inside = client_from(INTERNAL);
    let cookie = login(&inside, &e.env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let url = e.url("/self-service/x");
    let clients: Vec<reqwest::Client> = (0..8).map(|_| client_from(INTERNAL)).collect();
    for c in &clients {
        for _ in 0..5 {
            assert_eq!(get_json(c, &url, &cookie, &[]).await.0, 200);
        }
    }
    assert_eq!(logout(&inside, &e.env.http_url(), &cookie).await, 200);
    for (i, c) in clients.iter().enumerate() {
        assert_eq!(get_json(c, &url, &cookie, &[]).await.0, 401, "connection {i}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_schema_and_no_secrets() {
    let e = start();
    let inside = client_from(INTERNAL);
    let l = login(&inside, &e.env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await;
    let cookie = l.cookie.unwrap();
    assert!(login(&inside, &e.env.http_url(), "anna", "fel-lösenord-123", "/", "portvakt", None)
        .await
        .cookie
        .is_none());
    // A number change (needs the password again).
    let html = browse(&inside, &e.url("/.portvakt/account"), &cookie, &[]).await.text().await.unwrap();
    let csrf = hidden_field(&html, "csrf").unwrap();
    let form = [("csrf", csrf.as_str()), ("password", PASSWORD), ("phone1", "+4791234567")];
    let r = inside.post(e.url("/.portvakt/account/phones")).header("cookie", &cookie).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let teacher = login(&inside, &e.env.http_url(), "bjorn", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    assert_eq!(get_json(&inside, &e.url("/expense/claims"), &teacher, &[]).await.0, 403);
    let remote = client_from(REMOTE);
    let (two_factor, code, code_csrf) = e.remote_code_login(&remote).await;
    let html = browse(&remote, &e.url("/.portvakt/portal"), &two_factor, &[]).await.text().await.unwrap();
    let logout_csrf = hidden_field(&html, "csrf").unwrap();
    let r = remote
        .post(e.url("/.portvakt/logout"))
        .header("cookie", &two_factor)
        .form(&[("csrf", logout_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let lines = e.audit_lines(12).await;
    for l in &lines {
        let keys: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = FIELDS.to_vec();
        want.sort();
        let mut got = keys.clone();
        got.sort();
        assert_eq!(got, want, "{l}");
        assert_eq!(l["instance"], "gw-test");
        assert!(l["time"].as_str().unwrap().ends_with('Z'), "{l}");
        assert!(["success", "failure", "error"].contains(&l["outcome"].as_str().unwrap()), "{l}");
    }
    let find = |event: &str, outcome: &str, user: &str| {
        lines
            .iter()
            .find(|l| l["event"] == event && l["outcome"] == outcome && l["user"] == user)
            .unwrap_or_else(|| panic!("no {event} {outcome} for {user} in {lines:#?}"))
    };
    let ok = find("login", "success", "anna");
    assert_eq!(
        (ok["method"].as_str(), ok["zone"].as_str(), ok["realm"].as_str()),
        (Some("password"), Some("internal"), Some("staff"))
    );
    assert_eq!(ok["client"], "127.0.0.1");
    assert_eq!(ok["request_id"].as_str().unwrap().len(), 16);
    assert_eq!(find("login", "failure", "anna")["reason"], "wrong_password");
    let created = find("session_created", "success", "anna");
    assert_eq!(created["request_id"], ok["request_id"], "the request id links the login and its session");
    assert_eq!(created["session"].as_str().unwrap().len(), 12);
    assert_eq!(created["method"], "password");
    assert_eq!(find("account_changed", "success", "anna")["detail"]["change"], "phones");
    let denied = find("policy_denied", "failure", "bjorn");
    assert_eq!((denied["rule"].as_str(), denied["service"].as_str()), (Some("teachers-no-expense"), Some("expense")));
    let sent = find("code_sent", "success", "anna");
    assert_eq!((sent["zone"].as_str(), sent["detail"]["channel"].as_str()), (Some("remote"), Some("email")));
    let verified = lines.iter().find(|l| l["event"] == "login" && l["method"] == "email").expect("code verified");
    assert_eq!(verified["outcome"], "success");
    let ended = find("session_ended", "success", "anna");
    assert_eq!(ended["reason"], "logout");
    assert_ne!(ended["session"], created["session"], "the logout ended the stepped-up session, not the first");
    let stepped_up = lines.iter().find(|l| l["event"] == "login" && l["method"] == "email").unwrap();
    assert_eq!(ended["session"], stepped_up["session"]);

    let text = std::fs::read_to_string(&e.audit).unwrap();
    let cookie_value = |c: &str| c.split_once('=').unwrap().1.to_string();
    let secrets = [
        PASSWORD.to_string(),
        "fel-lösenord-123".to_string(),
        code.clone(),
        code.replace('-', ""),
        cookie_value(&cookie),
        cookie_value(&teacher),
        cookie_value(&two_factor),
        csrf,
        code_csrf,
        logout_csrf,
        "91234567".to_string(),
        "anna@kommune.example".to_string(),
    ];
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "{s} in the audit file:\n{text}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&e.audit).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

/// `/.portvakt/readyz` (public and admin) says 503 while Redis is stopped and 200 again once it is back, without a
/// restart; `/healthz` stays 200 throughout.
#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_the_store() {
    let mut server = RedisServer::start();
    let clock = ManualClock::new();
    let secrets = Arc::new(Secrets::generate());
    let redis = Arc::new(Redis::new(RedisSettings::standalone("127.0.0.1", server.port())));
    let stores = RedisStore::stores(redis, secrets.clone(), clock.clone());
    let admin_port = free_port();
    let env = Env::start(Opts {
        stores: Some((stores, secrets)),
        clock: Some(clock),
        extra: format!("[admin]\nlisten = \"127.0.0.1:{admin_port}\"\n"),
        ..Default::default()
    });
    let c = client_from(INTERNAL);
    let urls = [format!("{}/.portvakt/readyz", env.http_url()), format!("http://127.0.0.1:{admin_port}/readyz")];
    let status = |u: String| {
        let c = c.clone();
        async move { c.get(u).send().await.unwrap().status().as_u16() }
    };
    for u in &urls {
        assert_eq!(status(u.clone()).await, 200, "{u}");
    }
    server.stop();
    for u in &urls {
        assert_eq!(status(u.clone()).await, 503, "{u}");
    }
    assert_eq!(status(format!("{}/.portvakt/healthz", env.http_url())).await, 200);
    server.start_again();
    for u in &urls {
        let start = Instant::now();
        while status(u.clone()).await != 200 {
            assert!(start.elapsed() < Duration::from_secs(15), "{u} stayed unready after Redis came back");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// An LDAP directory that stops answering leaves the instance ready (the store is fine) and shows as directory
/// errors in the metrics; logins in the meantime are errors, not failures.
#[tokio::test(flavor = "multi_thread")]
async fn directory_outage_is_ready_and_counted() {
    let mut slapd = crate::common::ldap::Slapd::start();
    let admin_port = free_port();
    let env = Env::start(Opts {
        directories: Some(slapd.directory_toml(
            "admin",
            "Administration",
            "ou=admin,ou=people,dc=kommune,dc=example",
            "",
        )),
        extra: format!("[admin]\nlisten = \"127.0.0.1:{admin_port}\"\n"),
        ..Default::default()
    });
    let c = client_from(INTERNAL);
    slapd.stop();
    let l = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await;
    assert_eq!(l.status, 503, "{}", l.body);
    let ready = c.get(format!("{}/.portvakt/readyz", env.http_url())).send().await.unwrap();
    assert_eq!(ready.status(), 200, "a directory outage does not make the instance unready");
    let scrape = c.get(format!("http://127.0.0.1:{admin_port}/metrics")).send().await.unwrap().text().await.unwrap();
    let errors = "portvakt_directory_operations_total{directory=\"admin\",op=\"authenticate\",result=\"error\"}";
    assert_eq!(value(&scrape, errors), 1.0, "{scrape}");
    let login_errors = "portvakt_logins_total{method=\"password\",zone=\"internal\",result=\"error\"}";
    assert_eq!(value(&scrape, login_errors), 1.0, "{scrape}");
    slapd.resume();
}

/// With `WATCHDOG_USEC` set, the real process sends READY=1 and then WATCHDOG=1 repeatedly to the NOTIFY_SOCKET this
/// test owns; without it, no WATCHDOG=1 is sent.
#[tokio::test(flavor = "multi_thread")]
async fn watchdog_pings_reach_the_notify_socket() {
    for watchdog in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let hash = portvakt::directory::password::hash_password(PASSWORD).unwrap();
        std::fs::write(
            dir.path().join("users.toml"),
            format!("[[users]]\nusername = \"anna\"\npassword_hash = \"{hash}\"\n"),
        )
        .unwrap();
        let port = free_port();
        let cfg = format!(
            "[server]\nthreads = 1\ngrace_period = \"0s\"\ngraceful_shutdown_timeout = \"1s\"\npid_file = \"{d}/p.pid\"\nupgrade_socket = \"{d}/u.sock\"\n\n\
             [[listeners]]\naddress = \"127.0.0.1:{port}\"\nredirect_to_https = false\n\n\
             [[directories]]\nname = \"staff\"\nkind = \"file\"\npath = \"users.toml\"\n\n[accounts]\npath = \"accounts.json\"\n",
            d = dir.path().display()
        );
        std::fs::write(dir.path().join("portvakt.toml"), cfg).unwrap();
        let sock_path = dir.path().join("notify.sock");
        let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_portvakt"));
        cmd.args(["run", "--config"])
            .arg(dir.path().join("portvakt.toml"))
            .env("NOTIFY_SOCKET", &sock_path)
            .env_remove("WATCHDOG_PID")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if watchdog {
            cmd.env("WATCHDOG_USEC", "400000");
        } else {
            cmd.env_remove("WATCHDOG_USEC");
        }
        let mut child = cmd.spawn().unwrap();
        let (mut ready, mut pings) = (false, 0);
        let start = Instant::now();
        let mut buf = [0u8; 512];
        while start.elapsed() < Duration::from_secs(8) && pings < 4 {
            if let Ok(n) = sock.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).to_string();
                ready |= msg.lines().any(|l| l == "READY=1");
                pings += msg.lines().filter(|l| *l == "WATCHDOG=1").count();
            }
            if !watchdog && ready && start.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        assert!(ready, "READY=1 sent (watchdog {watchdog})");
        if watchdog {
            assert!(pings >= 4, "WATCHDOG=1 repeated: {pings} in {:?}", start.elapsed());
        } else {
            assert_eq!(pings, 0, "no watchdog pings without WATCHDOG_USEC");
        }
    }
}
