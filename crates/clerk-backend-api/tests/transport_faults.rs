//! Faults below HTTP that neither wiremock nor a real server produce on demand: a server
//! that drops the connection, and one that sends headers and then stalls mid-body. Each
//! server here is a few lines over a loopback `TcpListener`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use clerk_backend_api::{Clerk, Error, RetryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "sk_test_transport_secret_5";

/// Serves every connection with `reply`; returns the API URL and the connection count.
async fn serve<F, Fut>(reply: F) -> (String, Arc<AtomicU32>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU32::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(reply(stream));
        }
    });
    (url, count)
}

/// Reads the request head so the client has finished sending.
async fn read_head(stream: &mut tokio::net::TcpStream) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

fn client(url: &str, retry: RetryConfig, timeout: Duration) -> Clerk {
    Clerk::builder()
        .bearer_auth(KEY)
        .server_url(url)
        .retry_config(retry)
        .timeout(timeout)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_dropped_connection_is_a_connection_error_after_retries() {
    let (url, connections) = serve(|mut stream| async move {
        read_head(&mut stream).await;
        drop(stream);
    })
    .await;
    let retry = RetryConfig::backoff()
        .initial_interval(Duration::from_millis(5))
        .max_elapsed(Duration::from_millis(200))
        .jitter(false);

    let err = client(&url, retry, Duration::from_secs(5))
        .actor_tokens()
        .revoke("act_1")
        .await
        .unwrap_err();

    let Error::Connection(e) = &err else {
        panic!("expected Connection, got {err:?}")
    };
    assert!(e.attempts > 1, "{}", e.attempts);
    assert_eq!(connections.load(Ordering::SeqCst), e.attempts);
    assert!(!format!("{err} {err:?}").contains(KEY));
}

#[tokio::test]
async fn a_body_that_stalls_midway_is_a_timeout() {
    let (url, _) = serve(|mut stream| async move {
        read_head(&mut stream).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n";
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(b"{\"object\":\"actor_token\",").await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await;

    let started = Instant::now();
    let err = client(&url, RetryConfig::none(), Duration::from_millis(300))
        .actor_tokens()
        .revoke("act_1")
        .await
        .unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            &err,
            Error::Timeout {
                operation: "RevokeActorToken",
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
}
