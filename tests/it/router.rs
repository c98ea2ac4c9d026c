//! The gateway's own pages over real sockets: which exist, which methods they answer, and the `Allow` header of a
//! 405, all as the route table (`portvakt::gateway::routes::ROUTES`) says; no second list decides.

use crate::common::*;
use portvakt::gateway::routes::{Method, ROUTES};
use std::collections::BTreeMap;

/// Per path in the table (eID pages left out when eID is off): the `Allow` value the table implies.
fn allow_per_path(eid: bool) -> BTreeMap<&'static str, String> {
    let mut m: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    for r in ROUTES.iter().filter(|r| eid || !r.needs_eid) {
        let names: &[&str] = match r.method {
            Method::Get => &["GET", "HEAD"],
            Method::Post => &["POST"],
        };
        m.entry(r.path).or_default().extend(names);
    }
    m.into_iter().map(|(p, v)| (p, v.join(", "))).collect()
}

/// Every page answers a method it lacks with 405 and an `Allow` header naming exactly the table's methods for it,
/// and an HTML page in the reader's language; a method it has is never 404 or 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_gets_405_with_the_tables_allow() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let paths = allow_per_path(false);
    assert!(paths.len() >= 10, "{paths:?}");
    for (path, allow) in &paths {
        let url = format!("{}{path}", env.http_url());
        let wrong = if allow.contains("GET") && allow.contains("POST") {
            reqwest::Method::PUT
        } else if allow.contains("GET") {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let r = c.request(wrong.clone(), &url).header("accept-language", "en").send().await.unwrap();
        assert_eq!(r.status(), 405, "{wrong} {path}");
        assert_eq!(r.headers().get("allow").and_then(|v| v.to_str().ok()), Some(allow.as_str()), "{wrong} {path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{wrong} {path}");
        if allow.contains("GET") {
            let r = c.head(&url).send().await.unwrap();
            assert!(![404, 405].contains(&r.status().as_u16()), "HEAD {path}: {}", r.status());
        } else {
            let r = c.post(&url).form(&[("csrf", "x")]).send().await.unwrap();
            assert!(![404, 405].contains(&r.status().as_u16()), "POST {path}: {}", r.status());
        }
    }
}

/// A path under the reserved prefix that is not in the table is 404 for every method (also a trailing slash, and
/// the eID pages while eID is not configured); it never reaches a backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_for_every_method() {
    let env = Env::start(Opts::default());
    let c = client_from(INTERNAL);
    let eid_only: Vec<&str> = ROUTES.iter().filter(|r| r.needs_eid).map(|r| r.path).collect();
    assert!(!eid_only.is_empty());
    let mut paths = vec!["/.portvakt/nope", "/.portvakt/login/", "/.portvakt/Login", "/.portvakt/"];
    paths.extend(eid_only);
    for path in paths {
        for m in [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::DELETE] {
            let r = c.request(m.clone(), format!("{}{path}", env.http_url())).send().await.unwrap();
            assert_eq!(r.status(), 404, "{m} {path}");
            assert!(r.headers().get("allow").is_none(), "{m} {path}");
            let body = r.text().await.unwrap();
            assert!(!body.contains("\"service\""), "{m} {path} reached a backend: {body}");
        }
    }
}
