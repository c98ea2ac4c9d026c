//! An eID login started on one gateway and finished on another (no sticky sessions), on SQLite and on Redis, against
//! the real OpenID Provider: the flow is in the shared store, and its `state` is single use across both gateways.

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

/// The eID provider config of both gateways. The accounts are linked beforehand, so no link code is mailed (the
/// `[email]` section, which eID linking requires, points at a port nobody listens on).
fn provider_toml(op: &TestOp) -> String {
    format!(
        "[email]\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n\
         from = \"Portvakt <noreply@kommune.example>\"\ntimeout = \"5s\"\n\n\
         [[institutions]]\nname = \"kommune\"\ntitle = \"Eksempel kommune\"\nemail_domains = [\"kommune.example\"]\n\n\
         [[eid.providers]]\nname = \"idporten\"\ntitle = \"ID-porten\"\nissuer = \"{}\"\nclient_id = \"portvakt\"\n\
         client_secret = \"klient-hemlighet\"\nacr_values = [\"idporten-loa-substantial\"]\ntimeout = \"5s\"\n",
        free_port(),
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
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let client = OpClient::basic("portvakt", "klient-hemlighet", &format!("{public}/.portvakt/eid/callback"));
    let op = TestOp::start(vec![client]);
    let extra = format!("{}\n{store_extra}", provider_toml(&op));
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
