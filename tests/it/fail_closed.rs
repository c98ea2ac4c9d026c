//! Failures on the way to a backend fail closed: a request the gateway cannot vouch for is answered by the gateway
//! and never reaches the backend.

use crate::common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A backend that counts the requests it receives (any bytes on a connection) and answers each with 200.
async fn counting_backend() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                if let Ok(n) = s.read(&mut buf).await {
                    if n > 0 {
                        seen.fetch_add(1, Ordering::SeqCst);
                        let _ =
                            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
                    }
                }
            });
        }
    });
    (addr, count)
}

/// When the identity assertion cannot be signed, the request gets a 500 page and the backend receives nothing:
/// no request without a signature, or with a token that only pretends to be one.
#[tokio::test(flavor = "multi_thread")]
async fn signing_failure_gives_500_and_reaches_no_backend() {
    let (addr, count) = counting_backend().await;
    let key = portvakt::assertion::SigningKey::generate().unwrap().unusable();
    let env = Env::start(Opts { dead_backend: Some(addr), signing_key: Some(key), ..Default::default() });
    let c = client_from(INTERNAL);
    let cookie = login(&c, &env.http_url(), "anna", PASSWORD, "/", "portvakt", None).await.cookie.unwrap();
    let r = c
        .get(format!("{}/signing/", env.http_url()))
        .header("cookie", &cookie)
        .header("accept", "text/html")
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = r.text().await.unwrap();
    assert!(html.contains("<html") && !html.contains(".unsigned"), "{html}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "the backend was sent a request without a valid assertion");
}
