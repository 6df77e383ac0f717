//! A load generator for a running Understudy, over loopback only.
//!
//! It creates one user, then drives one operation from `--concurrency` workers for a bounded
//! number of requests (`--requests`) or a bounded time (`--seconds`, default 10), and prints
//! throughput, latency percentiles and errors by status and code for each request kind.
//!
//! ```sh
//! cargo build --release -p understudy --example loadgen --bin understudy
//! UNDERSTUDY_SECRET_KEY=sk_test_… target/release/understudy serve --addr 127.0.0.1:3917 \
//!     --database sqlite:///tmp/load.db --rate-limit-per-minute 0 &
//! target/release/examples/loadgen --url http://127.0.0.1:3917 --key sk_test_… \
//!     --concurrency 64 --seconds 10 --op create
//! ```
//!
//! Ops: `create` (POST /v1/actor_tokens), `create-revoke` (create, then revoke it),
//! `accept` (create, then GET /v1/tickets/accept as JSON), `healthz` (GET /healthz: a
//! baseline without writes; it still reads the store once).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

/// Longest run allowed, so a typo cannot start an unbounded load.
const MAX_SECONDS: u64 = 3600;
/// Length of a run given neither --requests nor --seconds.
const DEFAULT_SECONDS: u64 = 10;
/// Most requests allowed in one run.
const MAX_REQUESTS: u64 = 10_000_000;
/// Most concurrent workers.
const MAX_CONCURRENCY: usize = 1024;
/// One request never waits longer than this; a slower answer counts as a transport error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(about = "Drive load at an Understudy server on 127.0.0.1")]
struct Args {
    /// The server's base URL; its host must be 127.0.0.1.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The secret key (sk_test_… / sk_live_…).
    #[arg(long, env = "UNDERSTUDY_SECRET_KEY", hide_env_values = true)]
    key: String,
    /// Concurrent workers (1..=1024).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Stop after this many operations (1..=10000000).
    #[arg(long)]
    requests: Option<u64>,
    /// Stop after this many seconds (1..=3600; default 10, or 3600 as a cap on --requests).
    #[arg(long)]
    seconds: Option<u64>,
    /// What each operation does.
    #[arg(long, value_enum, default_value_t = Op::Create)]
    op: Op,
}

/// The operation each worker repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Op {
    /// POST /v1/actor_tokens.
    Create,
    /// POST /v1/actor_tokens, then POST /v1/actor_tokens/{id}/revoke.
    CreateRevoke,
    /// POST /v1/actor_tokens, then GET /v1/tickets/accept?ticket=… (Accept: application/json).
    Accept,
    /// GET /healthz, a baseline without writes.
    Healthz,
}

/// When the run stops: after `requests` operations, if given, or at `deadline`.
#[derive(Debug, Clone, Copy)]
struct Bound {
    requests: Option<u64>,
    deadline: Instant,
}

/// What one worker saw, per request kind.
#[derive(Debug, Default)]
struct Tally {
    /// Latencies of answered requests (any status), in microseconds.
    latencies_us: BTreeMap<&'static str, Vec<u64>>,
    /// Counts of 2xx answers.
    ok: BTreeMap<&'static str, u64>,
    /// Counts of non-2xx answers and transport failures, by kind and "status code".
    errors: BTreeMap<(&'static str, String), u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (kind, mut l) in other.latencies_us {
            self.latencies_us.entry(kind).or_default().append(&mut l);
        }
        for (kind, n) in other.ok {
            *self.ok.entry(kind).or_default() += n;
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
    }
}

/// Everything a worker needs.
#[derive(Debug)]
struct Target {
    client: reqwest::Client,
    base: String,
    auth: String,
    user_id: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let base = loopback_base(&args.url)?;
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        return Err(format!("--concurrency must be 1..={MAX_CONCURRENCY}"));
    }
    if let Some(n) = args.requests
        && !(1..=MAX_REQUESTS).contains(&n)
    {
        return Err(format!("--requests must be 1..={MAX_REQUESTS}"));
    }
    let seconds = args.seconds.unwrap_or(if args.requests.is_some() {
        MAX_SECONDS
    } else {
        DEFAULT_SECONDS
    });
    if !(1..=MAX_SECONDS).contains(&seconds) {
        return Err(format!("--seconds must be 1..={MAX_SECONDS}"));
    }
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(args.concurrency)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let auth = if args.key.starts_with("Bearer ") {
        args.key.clone()
    } else {
        format!("Bearer {}", args.key)
    };
    let mut target = Target {
        client,
        base,
        auth,
        user_id: String::new(),
    };
    if args.op != Op::Healthz {
        target.user_id = create_user(&target).await?;
    }
    let target = Arc::new(target);

    let started = Instant::now();
    // A time bound also caps a --requests run, so a stalled server cannot hang it.
    let bound = Bound {
        requests: args.requests,
        deadline: started + Duration::from_secs(seconds),
    };
    let issued = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let target = Arc::clone(&target);
            let issued = Arc::clone(&issued);
            tokio::spawn(worker(target, args.op, bound, issued))
        })
        .collect();
    let mut tally = Tally::default();
    for w in workers {
        tally.merge(w.await.map_err(|e| format!("worker: {e}"))?);
    }
    let elapsed = started.elapsed();
    // A closed stdout (`| head`) is not worth a panic.
    let _ = std::io::stdout().write_all(report(&args, elapsed, &tally).as_bytes());
    Ok(())
}

/// Accepts only `http://127.0.0.1[:port][/]`; returns the base without a trailing slash.
fn loopback_base(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("--url {raw:?}: {e}"))?;
    if url.scheme() != "http" || url.host_str() != Some("127.0.0.1") {
        return Err(format!("--url must be http://127.0.0.1:PORT, got {raw:?}"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

async fn create_user(t: &Target) -> Result<String, String> {
    let resp = t
        .client
        .post(format!("{}/v1/users", t.base))
        .header("authorization", &t.auth)
        .json(&json!({"first_name": "Load", "last_name": "Generator"}))
        .send()
        .await
        .map_err(|e| format!("creating the user: {e}"))?;
    let status = resp.status();
    let body: Value = resp
        .json()
        .await
        .map_err(|e| format!("creating the user: {status}: {e}"))?;
    if !status.is_success() {
        return Err(format!("creating the user: {status} {}", error_code(&body)));
    }
    body["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "creating the user: no id in the answer".to_owned())
}

async fn worker(t: Arc<Target>, op: Op, bound: Bound, issued: Arc<AtomicU64>) -> Tally {
    let mut tally = Tally::default();
    loop {
        let go_on = Instant::now() < bound.deadline
            && bound
                .requests
                .is_none_or(|n| issued.fetch_add(1, Ordering::Relaxed) < n);
        if !go_on {
            return tally;
        }
        match op {
            Op::Healthz => {
                let req = t.client.get(format!("{}/healthz", t.base));
                send(&mut tally, "GET /healthz", req).await;
            }
            Op::Create => {
                create_token(&t, &mut tally).await;
            }
            Op::CreateRevoke => {
                if let Some(token) = create_token(&t, &mut tally).await
                    && let Some(id) = token["id"].as_str()
                {
                    let req = t
                        .client
                        .post(format!("{}/v1/actor_tokens/{id}/revoke", t.base))
                        .header("authorization", &t.auth);
                    send(&mut tally, "POST revoke", req).await;
                }
            }
            Op::Accept => {
                if let Some(token) = create_token(&t, &mut tally).await
                    && let Some(ticket) = token["token"].as_str()
                {
                    let req = t
                        .client
                        .get(format!("{}/v1/tickets/accept", t.base))
                        .query(&[("ticket", ticket)])
                        .header("accept", "application/json");
                    send(&mut tally, "GET accept", req).await;
                }
            }
        }
    }
}

async fn create_token(t: &Target, tally: &mut Tally) -> Option<Value> {
    let req = t
        .client
        .post(format!("{}/v1/actor_tokens", t.base))
        .header("authorization", &t.auth)
        .json(&json!({
            "user_id": t.user_id,
            "actor": {"sub": "user_loadgen_actor"},
            "expires_in_seconds": 3600,
            "session_max_duration_in_seconds": 1800,
        }));
    send(tally, "POST create", req).await
}

/// Sends one request, records its latency and any error; the JSON body on 2xx.
async fn send(
    tally: &mut Tally,
    kind: &'static str,
    req: reqwest::RequestBuilder,
) -> Option<Value> {
    let started = Instant::now();
    let (status, body) = match answer(req).await {
        Ok(answer) => answer,
        Err(e) => {
            let what = if e.is_timeout() {
                "transport timeout"
            } else {
                "transport error"
            };
            *tally.errors.entry((kind, what.to_owned())).or_default() += 1;
            return None;
        }
    };
    let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    tally.latencies_us.entry(kind).or_default().push(us);
    let json: Option<Value> = serde_json::from_slice(&body).ok();
    if status.is_success() {
        *tally.ok.entry(kind).or_default() += 1;
        return json;
    }
    let code = json.as_ref().map_or("(no JSON body)", error_code);
    *tally
        .errors
        .entry((kind, format!("{} {code}", status.as_u16())))
        .or_default() += 1;
    None
}

async fn answer(
    req: reqwest::RequestBuilder,
) -> reqwest::Result<(reqwest::StatusCode, axum::body::Bytes)> {
    let resp = req.send().await?;
    let status = resp.status();
    Ok((status, resp.bytes().await?))
}

fn error_code(body: &Value) -> &str {
    body["errors"][0]["code"].as_str().unwrap_or("(no code)")
}

/// The report: one line per request kind, then errors by kind and "status code".
fn report(args: &Args, elapsed: Duration, tally: &Tally) -> String {
    let secs = elapsed.as_secs_f64();
    let op = args
        .op
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_owned());
    let mut out = format!(
        "op={op} concurrency={} elapsed={secs:.2}s\n{:<14} {:>9} {:>10} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}\n",
        args.concurrency,
        "request",
        "answered",
        "req/s",
        "2xx",
        "2xx/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms"
    );
    for (kind, lat) in &tally.latencies_us {
        let mut sorted = lat.clone();
        sorted.sort_unstable();
        let ok = tally.ok.get(kind).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "{:<14} {:>9} {:>10.1} {:>9} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
            kind,
            sorted.len(),
            sorted.len() as f64 / secs,
            ok,
            ok as f64 / secs,
            ms(percentile(&sorted, 50.0)),
            ms(percentile(&sorted, 90.0)),
            ms(percentile(&sorted, 99.0)),
            ms(sorted.last().copied().unwrap_or(0)),
        );
    }
    if tally.errors.is_empty() {
        out.push_str("errors: none\n");
    } else {
        out.push_str("errors:\n");
        for ((kind, what), n) in &tally.errors {
            let _ = writeln!(out, "  {kind:<14} {what}: {n}");
        }
    }
    out
}

/// Nearest-rank percentile of sorted values; 0 when empty.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::{loopback_base, percentile};

    #[test]
    fn only_plain_http_on_127_0_0_1_is_a_target() {
        assert_eq!(
            loopback_base("http://127.0.0.1:3000/").as_deref(),
            Ok("http://127.0.0.1:3000")
        );
        for bad in [
            "http://localhost:3000",
            "https://127.0.0.1:3000",
            "http://127.0.0.2:3000",
            "http://[::1]:3000",
            "http://example.com",
            "http://127.0.0.1.example.com",
            "127.0.0.1:3000",
        ] {
            assert!(loopback_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 90.0), 90);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 50.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }
}
