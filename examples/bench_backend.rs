//! The static backend of `bench/run`: HTTP/1.1 with keep-alive and pipelining, every request answered with the
//! same small `200 OK`. Each head is read in one pass by `httparse` (hyper's parser); of its fields only
//! `Content-Length` and `Connection: close` are looked at. So it costs far less per request than any proxy in front of
//! it, and about the same per head byte whichever proxy it sits behind (see finding 98 in docs/BENCHMARKS.md).
//!
//! Usage: `bench_backend [ADDR] [THREADS] [LIFETIME_SECS]` (defaults `127.0.0.1:19100`, 1, 3600). It listens on
//! loopback only and exits by itself after its lifetime, so a forgotten one does not linger.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The body every request gets: 128 bytes, about the size of a small JSON answer.
const BODY: &[u8; 128] = b"{\"ok\":true,\"service\":\"bench-backend\",\"note\":\"a fixed body of 128 bytes so that every proxy forwards the same\",\"pad\":\"xxxxxxxx\"}\n";

fn response() -> Vec<u8> {
    let mut r = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", BODY.len())
        .into_bytes();
    r.extend_from_slice(BODY);
    r
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:19100".into())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("address: {e}")))?;
    if !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the bench backend listens on loopback only",
        ));
    }
    let threads: usize = args.next().and_then(|t| t.parse().ok()).unwrap_or(1).max(1);
    let lifetime = Duration::from_secs(args.next().and_then(|t| t.parse().ok()).unwrap_or(3600));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(addr).await?;
        let resp: &'static [u8] = Box::leak(response().into_boxed_slice());
        let serve = async {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = connection(stream, resp).await;
                });
            }
        };
        tokio::select! {
            _ = serve => Ok(()),
            _ = tokio::time::sleep(lifetime) => Ok(()),
        }
    })
}

/// Answers every complete request in the buffer, then writes all answers at once.
async fn connection(mut stream: TcpStream, resp: &[u8]) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut out: Vec<u8> = Vec::with_capacity(8192);
    let mut chunk = vec![0u8; 16384];
    // Body bytes of the current request still to be skipped.
    let mut skip = 0usize;
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut close = false;
        let mut pos = 0usize;
        loop {
            if skip > 0 {
                let take = skip.min(buf.len() - pos);
                pos += take;
                skip -= take;
                if skip > 0 {
                    break;
                }
            }
            let (end, body, closes) = match read_head(buf.get(pos..).unwrap_or_default()) {
                Head::Complete { len, body, close } => (len, body, close),
                Head::Partial => break,
                Head::Invalid => return Ok(()),
            };
            skip = body;
            close = close || closes;
            out.extend_from_slice(resp);
            pos += end;
            if close {
                break;
            }
        }
        buf.drain(..pos);
        if buf.len() > 1024 * 1024 {
            return Ok(());
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if close {
            return Ok(());
        }
    }
}

/// What the start of the buffer holds.
enum Head {
    /// A whole request head: its length with the blank line, its body's length, and whether it asks to close.
    Complete { len: usize, body: usize, close: bool },
    /// The start of one; the rest has not arrived.
    Partial,
    /// Not HTTP/1.1: the connection is closed.
    Invalid,
}

/// The request head at the start of `b`, parsed once; only `Content-Length` and `Connection` are read from its fields.
fn read_head(b: &[u8]) -> Head {
    let mut fields = [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; 64];
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(b, &mut fields) {
        Ok(httparse::Status::Complete(len)) => {
            let (mut body, mut close) = (0, false);
            for f in req.headers.iter() {
                if f.name.eq_ignore_ascii_case("content-length") {
                    body = std::str::from_utf8(f.value).ok().and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                } else if f.name.eq_ignore_ascii_case("connection") {
                    close = f.value.trim_ascii().eq_ignore_ascii_case(b"close");
                }
            }
            Head::Complete { len, body, close }
        }
        Ok(httparse::Status::Partial) => Head::Partial,
        Err(_) => Head::Invalid,
    }
}
