//! What every handler shares.

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::InstanceSettings;
use crate::keys::Keyring;
use crate::store::Store;

use super::metrics::Metrics;
use super::rate_limit::RateLimiter;

/// The state behind the router: the store, the clock, the settings and the counters.
#[derive(Clone)]
pub struct AppState {
    /// Where everything is kept.
    pub store: Arc<dyn Store>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// What this instance allows.
    pub settings: Arc<InstanceSettings>,
    /// Base of ticket URLs.
    pub frontend_url: Arc<str>,
    /// Per-key request windows.
    pub rate_limiter: Arc<RateLimiter>,
    /// Prometheus counters.
    pub metrics: Arc<Metrics>,
    /// Largest accepted body.
    pub max_body_bytes: usize,
    /// The signing keys.
    pub keyring: Arc<Keyring>,
    /// Where a browser goes after accepting a ticket.
    pub after_accept_url: Arc<str>,
    /// Whether the `__client` cookie is `Secure` (the frontend URL is https).
    pub secure_cookies: bool,
}
