//! Slow-loris clients: a connection that never completes its request headers is closed after
//! the header read timeout, and it does not hold up a graceful shutdown.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, KEY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use understudy::Config;

const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(300);

async fn start() -> Harness {
    let mut config = Config::for_tests(KEY);
    config.header_read_timeout = HEADER_READ_TIMEOUT;
    Harness::with_config(config).await
}

/// Sends `bytes`, then waits (at most 10 s) for the server to close; returns how long it took.
async fn closed_after(h: &Harness, bytes: &[u8]) -> Duration {
    let mut stream = TcpStream::connect(h.server.addr).await.unwrap();
    let started = Instant::now();
    stream.write_all(bytes).await.unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            // Whatever hyper says before closing is fine; keep reading until it closes.
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection is still open after 10 s"),
        }
    }
}

#[tokio::test]
async fn unfinished_headers_are_cut_off_after_the_header_read_timeout() {
    let h = start().await;
    let took = closed_after(&h, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
    assert!(
        took >= HEADER_READ_TIMEOUT - Duration::from_millis(50),
        "{took:?}"
    );
    // A silent connection too.
    let took = closed_after(&h, b"").await;
    assert!(
        took >= HEADER_READ_TIMEOUT - Duration::from_millis(50),
        "{took:?}"
    );
    // Prompt requests are served as before.
    let r = h.client.get(h.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_half_sent_request_does_not_hold_up_shutdown() {
    let h = start().await;
    let mut stream = TcpStream::connect(h.server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Let the server start reading it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    tokio::time::timeout(Duration::from_secs(10), h.server.shutdown())
        .await
        .expect("shutdown finishes");
}
