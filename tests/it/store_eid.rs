//! An eID login started on one gateway and finished on another (no sticky sessions), on SQLite and on Redis, against
//! the real OpenID Provider: the flow is in the shared store, and its `state` is single use across both gateways.
//! The link step (a first eID login linked to an account by a code mailed to a municipal address) also moves between
//! the gateways at every request, and an unlink on one ends the eID sessions on the other within the cache window.

use crate::common::oidc::{OpClient, TestOp, LOA_SUBSTANTIAL};
use crate::common::redis::RedisServer;
use crate::common::*;
use portvakt::store::redis::{Redis, RedisSettings, RedisStore};
use portvakt::store::seal::Secrets;
use std::sync::Arc;

/// The test person's national identity number (`pid`), linked to anna.
const PID: &str = "12089912345";

/// Two gateways behind one public address (A's): the OP redirects to A, the "load balancer" may send the callback
/// to either.
struct Pair {
    a: Env,
    b: Env,
    op: TestOp,
    _keys: tempfile::TempDir,
}

/// The eID provider config of both gateways, link codes mailed to the SMTP server at `smtp_port` (a port nobody
/// listens on where the accounts are linked beforehand).
fn provider_toml(op: &TestOp, smtp_port: u16) -> String {
    format!(
        "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n\
         [[institutions]]\nname = \"kommune\"\ntitle = \"Eksempel kommune\"\nemail_domains = [\"kommune.example\"]\n\n\
         [[eid.providers]]\nname = \"idporten\"\ntitle = \"ID-porten\"\nissuer = \"{}\"\nclient_id = \"portvakt\"\n\
         client_secret = \"klient-hemlighet\"\nacr_values = [\"idporten-loa-substantial\"]\ntimeout = \"5s\"\n",
        smtp_port,
        op.issuer()
    )
}

/// Starts the OP and two gateways made by `start(opts)`, both with A's public URL.
fn pair(
    store_extra: &str,
    accounts: Option<std::path::PathBuf>,
    stores: impl Fn() -> Opts,
    keys: tempfile::TempDir,
) -> Pair {
    pair_mailing_to(free_port(), store_extra, accounts, stores, keys)
}

/// Like [`pair`], with link codes mailed to the SMTP server at `smtp_port`.
fn pair_mailing_to(
    smtp_port: u16,
    store_extra: &str,
    accounts: Option<std::path::PathBuf>,
    stores: impl Fn() -> Opts,
    keys: tempfile::TempDir,
) -> Pair {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let client = OpClient::basic("portvakt", "klient-hemlighet", &format!("{public}/.portvakt/eid/callback"));
    let op = TestOp::start(vec![client]);
    let extra = format!("{}\n{store_extra}", provider_toml(&op, smtp_port));
    let opts = |http_port| Opts {
        http_port,
        server_extra: format!("public_url = \"{public}\""),
        extra: extra.clone(),
        accounts: accounts.clone(),
        ..stores()
    };
    let a = Env::start(opts(Some(port)));
    let b = Env::start(opts(None));
    Pair { a, b, op, _keys: keys }
}

/// Cookies of the browser that started the login (the pre-login state cookie among them), as one header.
fn cookies_of(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Starts an eID login on A, logs in at the OP, then sends the callback 10 times in parallel, alternately to B and
/// to A, with the browser's cookies: exactly one gets a session, and it is the only one that reached the OP's token
/// endpoint (the others found the state already taken). The session works on both gateways as an eID login.
/// Returns the session cookie.
async fn started_on_a_finished_on_b(p: &Pair) -> String {
    let c = client_from(INTERNAL);
    let start = c
        .get(format!("{}/.portvakt/eid/start?provider=idporten&rd=%2Fexpense%2F", p.a.http_url()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 302);
    let cookies = cookies_of(&start);
    let to = start.headers()["location"].to_str().unwrap().to_string();
    let back = p.op.browser(INTERNAL).authorize(&to, PID, LOA_SUBSTANTIAL).await;
    assert!(back.callback.starts_with(&p.a.http_url()), "{}", back.callback);
    let on_b = back.callback.replacen(&p.a.http_url(), &p.b.http_url(), 1);
    p.op.clear_requests().await;

    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let url = if i % 2 == 0 { on_b.clone() } else { back.callback.clone() };
            let (c, cookies) = (c.clone(), cookies.clone());
            tokio::spawn(async move {
                let r = c
                    .get(url)
                    .header("cookie", cookies)
                    .header("accept", "text/html")
                    .header("accept-language", "en")
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), set_cookie(r.headers(), "portvakt"))
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut statuses = Vec::new();
    for t in tasks {
        let (s, cookie) = t.await.unwrap();
        statuses.push(s);
        winners.extend(cookie);
    }
    assert_eq!(winners.len(), 1, "exactly one callback logs in: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 303 || *s == 400), "the others are refused: {statuses:?}");
    let tokens = p.op.requests_of("token").await;
    assert_eq!(tokens.len(), 1, "only the one that took the state exchanged the code: {tokens:?}");

    let session = &winners[0];
    for gw in [&p.a, &p.b] {
        let (s, echo) = get_json(&c, &format!("{}/expense/", gw.http_url()), session, &[]).await;
        assert_eq!(s, 200, "{echo}");
        assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
        assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
    }
    winners.remove(0)
}

/// Whether `haystack` holds `needle` anywhere.
fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// SQLite (two gateways on one file): the eID link comes from the old accounts file, imported at the first start.
/// Afterwards the database file and its WAL hold neither the session ID nor the person ID nor the account in clear.
#[tokio::test(flavor = "multi_thread")]
async fn eid_flow_across_gateways_on_sqlite() {
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(keys.path().join("store-keys"), Secrets::generate_file_text()).unwrap();
    let accounts = keys.path().join("accounts.json");
    std::fs::write(
        &accounts,
        format!(
            r#"{{"staff:anna": {{"phones": [], "eid": {{"provider": "idporten", "person_id": "{PID}", "linked_at": 1795420800000}}}}}}"#
        ),
    )
    .unwrap();
    let store = format!(
        "\n[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
        keys.path().join("state.db").display(),
        keys.path().join("store-keys").display()
    );
    let db = keys.path().join("state.db");
    let p = pair(&store, Some(accounts), Opts::default, keys);
    let session = started_on_a_finished_on_b(&p).await;
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
    assert!(bytes.len() > 4096, "the store has data");
    let id = session.split_once('=').unwrap().1;
    for clear in [id, PID, "staff:anna"] {
        assert!(!holds(&bytes, clear), "{clear} in clear in the SQLite file");
    }
}

/// Redis (two gateways, one server): the eID link is made in Redis beforehand. Afterwards a dump of Redis holds
/// neither the session ID nor the person ID nor the account in clear.
#[tokio::test(flavor = "multi_thread")]
async fn eid_flow_across_gateways_on_redis() {
    let server = RedisServer::start();
    let settings = RedisSettings::standalone("127.0.0.1", server.port());
    let clock = portvakt::clock::ManualClock::new();
    let secrets = Arc::new(Secrets::generate());
    {
        let setup = RedisStore::stores(Arc::new(Redis::new(settings.clone())), secrets.clone(), clock.clone());
        let link = portvakt::store::EidLink {
            provider: "idporten".into(),
            person_id: PID.into(),
            linked_at: portvakt::clock::Instant(1_795_420_800_000),
        };
        assert_eq!(setup.accounts.link_eid("staff:anna", link).await.unwrap(), portvakt::store::LinkOutcome::Linked);
    }
    let stores = || Opts {
        stores: Some((
            RedisStore::stores(Arc::new(Redis::new(settings.clone())), secrets.clone(), clock.clone()),
            secrets.clone(),
        )),
        clock: Some(clock.clone()),
        ..Opts::default()
    };
    let p = pair("", None, stores, tempfile::tempdir().unwrap());
    let session = started_on_a_finished_on_b(&p).await;
    let dump = server.dump();
    let id = session.split_once('=').unwrap().1;
    for clear in [id, PID, "staff:anna"] {
        assert!(!crate::common::redis::dump_contains(&dump, clear.as_bytes()), "{clear} in clear in Redis");
    }
}

/// The link step across gateways: the eID login starts on A, its callback lands on B (not linked yet: the link
/// page), the page is fetched from A, the municipal address posted to B, the mailed code to A: the link is made and
/// logs anna in, and the session works on both. A second eID login, on B, needs no link step. Then the eID is
/// unlinked on B: the eID session is refused on B at once and on A once A's cache window (1 s) is over.
async fn link_moves_between_gateways(p: &Pair, smtp: &crate::common::smtp::SmtpServer) {
    use crate::eid::{code_in, location, Browser};
    let (a, b) = (p.a.http_url(), p.b.http_url());
    let mut br = Browser::from(INTERNAL);
    let r = br.get(&format!("{a}/.portvakt/eid/start?provider=idporten&rd=%2Fexpense%2F")).await;
    assert_eq!(r.status(), 302);
    let back = p.op.browser(INTERNAL).authorize(&location(&r), PID, LOA_SUBSTANTIAL).await;
    let r = br.get(&back.callback.replacen(&a, &b, 1)).await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap());
    assert_eq!(location(&r), "/.portvakt/eid/link");
    assert!(br.cookie("portvakt").is_none(), "no session before the link is made");
    let page = br.get(&format!("{a}/.portvakt/eid/link")).await;
    assert_eq!(page.status(), 200, "the link step started on B is found on A");
    let csrf = hidden_field(&page.text().await.unwrap(), "csrf").unwrap();
    let r = br.post(&format!("{b}/.portvakt/eid/link"), &[("csrf", &csrf), ("email", "anna@kommune.example")]).await;
    let html = br.after_see_other(&b, r).await;
    assert!(html.contains("We sent a code to anna@kommune.example"), "{html}");
    let code = code_in(&smtp.wait_for(1, std::time::Duration::from_secs(10)).remove(0).body);
    let r = br.post(&format!("{a}/.portvakt/eid/link"), &[("csrf", &csrf), ("code", &code)]).await;
    assert_eq!(r.status(), 303, "the code mailed by B is accepted on A: {}", r.text().await.unwrap());
    assert_eq!(location(&r), "/expense/");
    let session = format!("portvakt={}", br.cookie("portvakt").expect("the link logs anna in"));
    let c = client_from(INTERNAL);
    for gw in [&a, &b] {
        let (s, echo) = get_json(&c, &format!("{gw}/expense/"), &session, &[]).await;
        assert_eq!(s, 200, "{echo}");
        assert_eq!(echo["headers"]["x-portvakt-user"][0], "anna");
        assert_eq!(echo["headers"]["x-portvakt-methods"][0], "eid");
    }
    // The link is in the shared store: a new browser's eID login on B logs in directly.
    let mut other = Browser::from(INTERNAL);
    let r = other.get(&format!("{b}/.portvakt/eid/start?provider=idporten&rd=%2Fexpense%2F")).await;
    let back = p.op.browser(INTERNAL).authorize(&location(&r), PID, LOA_SUBSTANTIAL).await;
    let r = other.get(&back.callback.replacen(&a, &b, 1)).await;
    assert_eq!(r.status(), 303, "linked: no link step on B");
    // Unlinked on B with the password.
    let page = br.get(&format!("{b}/.portvakt/account")).await.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf").unwrap();
    let r = br.post(&format!("{b}/.portvakt/account/eid/unlink"), &[("csrf", &csrf), ("password", PASSWORD)]).await;
    assert!(br.after_see_other(&b, r).await.contains("Your eID is no longer linked"));
    assert_eq!(get_json(&c, &format!("{b}/expense/"), &session, &[]).await.0, 401, "refused at once on B");
    p.a.clock.advance(std::time::Duration::from_secs(1));
    assert_eq!(get_json(&c, &format!("{a}/expense/"), &session, &[]).await.0, 401, "and on A after 1 s");
}

/// The link step moving between two gateways on one SQLite file (see [`link_moves_between_gateways`]).
#[tokio::test(flavor = "multi_thread")]
async fn eid_link_across_gateways_on_sqlite() {
    let keys = tempfile::tempdir().unwrap();
    std::fs::write(keys.path().join("store-keys"), Secrets::generate_file_text()).unwrap();
    let store = format!(
        "\n[store]\nkind = \"sqlite\"\npath = \"{}\"\nkeys_file = \"{}\"\n",
        keys.path().join("state.db").display(),
        keys.path().join("store-keys").display()
    );
    let smtp = crate::common::smtp::SmtpServer::start();
    let p = pair_mailing_to(smtp.port, &store, None, Opts::default, keys);
    p.b.clock.set(portvakt::clock::Clock::now(&*p.a.clock));
    link_moves_between_gateways(&p, &smtp).await;
}

/// The link step moving between two gateways on one Redis (see [`link_moves_between_gateways`]).
#[tokio::test(flavor = "multi_thread")]
async fn eid_link_across_gateways_on_redis() {
    let server = RedisServer::start();
    let settings = RedisSettings::standalone("127.0.0.1", server.port());
    let clock = portvakt::clock::ManualClock::new();
    let secrets = Arc::new(Secrets::generate());
    let stores = || Opts {
        stores: Some((
            RedisStore::stores(Arc::new(Redis::new(settings.clone())), secrets.clone(), clock.clone()),
            secrets.clone(),
        )),
        clock: Some(clock.clone()),
        ..Opts::default()
    };
    let smtp = crate::common::smtp::SmtpServer::start();
    let p = pair_mailing_to(smtp.port, "", None, stores, tempfile::tempdir().unwrap());
    link_moves_between_gateways(&p, &smtp).await;
}
