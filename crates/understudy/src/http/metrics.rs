//! `/metrics`: a small Prometheus registry (requests, latency, store batch sizes).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::Method;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

use super::state::AppState;
use crate::store::sqlite::{BATCH_BUCKETS, BatchStats};

/// Upper bounds of the latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The `method` label for a request: the standard methods by name, anything else `other`.
/// hyper accepts any token as a method; labelling it raw would let any client add series
/// (memory, scrape size) without bound.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Request counters and latency histograms, by route.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    events: Mutex<BTreeMap<&'static str, u64>>,
    batches: Option<Arc<BatchStats>>,
}

impl Metrics {
    /// A registry that also reports the store's batch sizes.
    pub fn new(batches: Option<Arc<BatchStats>>) -> Self {
        Self {
            batches,
            ..Self::default()
        }
    }

    /// Records one finished request.
    pub fn observe(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((route.to_owned(), method.to_owned(), status))
                .or_default() += 1;
        }
        if let Ok(mut latency) = self.latency.lock() {
            let h = latency.entry(route.to_owned()).or_default();
            let secs = elapsed.as_secs_f64();
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.buckets[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// Counts one flow event (`tickets_accepted`, `session_tokens_minted`, …).
    pub fn count_event(&self, event: &'static str) {
        if let Ok(mut events) = self.events.lock() {
            *events.entry(event).or_default() += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP understudy_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE understudy_http_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, method, status), n) in requests.iter() {
                let _ = writeln!(
                    out,
                    "understudy_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    escape(route),
                    escape(method)
                );
            }
        }
        out.push_str(
            "# HELP understudy_http_request_duration_seconds HTTP request latency by route.\n",
        );
        out.push_str("# TYPE understudy_http_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                let route = escape(route);
                for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "understudy_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                        h.buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "understudy_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "understudy_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "understudy_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                    h.count
                );
            }
        }
        out.push_str("# HELP understudy_events_total Impersonation-flow events by kind.\n");
        out.push_str("# TYPE understudy_events_total counter\n");
        if let Ok(events) = self.events.lock() {
            for (event, n) in events.iter() {
                let _ = writeln!(out, "understudy_events_total{{event=\"{event}\"}} {n}");
            }
        }
        if let Some(b) = &self.batches {
            out.push_str(
                "# HELP understudy_store_batch_size Writes committed per store transaction.\n",
            );
            out.push_str("# TYPE understudy_store_batch_size histogram\n");
            let mut cumulative = 0;
            for (i, bound) in BATCH_BUCKETS.iter().enumerate() {
                cumulative += b.size_buckets[i].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "understudy_store_batch_size_bucket{{le=\"{bound}\"}} {cumulative}"
                );
            }
            let batches = b.batches.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "understudy_store_batch_size_bucket{{le=\"+Inf\"}} {batches}"
            );
            let _ = writeln!(
                out,
                "understudy_store_batch_size_sum {}",
                b.writes.load(Ordering::Relaxed)
            );
            let _ = writeln!(out, "understudy_store_batch_size_count {batches}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Prometheus metrics (ours). No authentication.
#[utoipa::path(
    get, path = "/metrics", tag = "Operations (ours)", operation_id = "Metrics",
    responses((status = 200, description = "Prometheus text format.", content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms() {
        let m = Metrics::new(None);
        m.observe("/v1/actor_tokens", "POST", 200, Duration::from_millis(3));
        m.observe("/v1/actor_tokens", "POST", 200, Duration::from_millis(30));
        m.count_event("tickets_accepted");
        let text = m.render();
        assert!(text.contains("understudy_events_total{event=\"tickets_accepted\"} 1"));
        assert!(text.contains(
            "understudy_http_requests_total{route=\"/v1/actor_tokens\",method=\"POST\",status=\"200\"} 2"
        ));
        assert!(text.contains("understudy_http_request_duration_seconds_bucket{route=\"/v1/actor_tokens\",le=\"0.005\"} 1"));
        assert!(text.contains("understudy_http_request_duration_seconds_bucket{route=\"/v1/actor_tokens\",le=\"0.05\"} 2"));
        assert!(text.contains(
            "understudy_http_request_duration_seconds_count{route=\"/v1/actor_tokens\"} 2"
        ));
    }
}
