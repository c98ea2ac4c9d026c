//! The static backend of `bench/run`: HTTP/1.1 with keep-alive and pipelining, every request answered with the
//! same small `200 OK`. It parses only what it must (the end of the head, `Content-Length`, `Connection: close`),
//! so it costs far less per request than any proxy in front of it and is never the bottleneck.
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
            let Some(end) = find_head_end(buf.get(pos..).unwrap_or_default()) else { break };
            let head = buf.get(pos..pos + end).unwrap_or_default();
            skip = content_length(head);
            close = close || connection_close(head);
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

/// Length of the request head including its blank line, if the buffer holds a whole one.
fn find_head_end(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    head.split(|&c| c == b'\n').find_map(|line| {
        let colon = line.iter().position(|&c| c == b':')?;
        let (n, v) = line.split_at(colon);
        n.eq_ignore_ascii_case(name).then(|| v.get(1..).unwrap_or_default().trim_ascii())
    })
}

fn content_length(head: &[u8]) -> usize {
    header_value(head, b"content-length")
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn connection_close(head: &[u8]) -> bool {
    header_value(head, b"connection").is_some_and(|v| v.eq_ignore_ascii_case(b"close"))
}
