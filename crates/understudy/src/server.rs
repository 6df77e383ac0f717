//! Building the app from a config and running it in the background.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::domain::ids;
use crate::error::Error;
use crate::http::metrics::Metrics;
use crate::http::rate_limit::RateLimiter;
use crate::http::{AppState, router};
use crate::keys::Keyring;
use crate::store::{SecretKeyRecord, SqliteStore, Store};

/// The application: a store and a config, ready to become a router.
pub struct App {
    state: AppState,
    config: Config,
}

impl App {
    /// The application over an already-open store and its loaded signing keys.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        keyring: Arc<Keyring>,
    ) -> Self {
        let secure_cookies = url::Url::parse(&config.frontend_url)
            .map(|u| u.scheme() == "https")
            .unwrap_or(false);
        let state = AppState {
            keyring,
            after_accept_url: config.after_accept_url().into(),
            secure_cookies,
            store,
            clock: Arc::clone(&config.clock),
            settings: Arc::new(config.settings.clone()),
            frontend_url: config.frontend_url.trim_end_matches('/').into(),
            // 0 means unlimited, so a config file (where absent means the default) can say so.
            rate_limiter: Arc::new(RateLimiter::new(
                config.settings.rate_limit_per_minute.filter(|n| *n > 0),
            )),
            metrics,
            max_body_bytes: config.max_body_bytes,
        };
        Self { state, config }
    }

    /// The router serving the API.
    pub fn router(&self) -> Router {
        router(self.state.clone(), self.config.request_timeout)
    }

    /// The store behind the app.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.state.store)
    }
}

/// A server running in the background; [`RunningServer::shutdown`] stops it gracefully.
pub struct RunningServer {
    /// The bound address (the real port when 0 was asked for).
    pub addr: SocketAddr,
    dev_secret_key: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    store: Arc<dyn Store>,
    _temp_dir: Option<Arc<tempfile::TempDir>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn api_url(&self) -> String {
        format!("{}/v1", self.base_url())
    }

    /// The development secret key created at start because the database had none, if any.
    /// It is shown here once and stored only hashed.
    pub fn dev_secret_key(&self) -> Option<&str> {
        self.dev_secret_key.as_deref()
    }

    /// Stops accepting connections, lets in-flight requests finish, then flushes and closes
    /// the store.
    pub async fn shutdown(mut self) {
        self.stop().await;
    }

    /// Waits until the server stops by itself (it only does on an I/O failure).
    pub async fn wait(mut self) -> Result<(), Error> {
        let result = match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?,
            None => Ok(()),
        };
        self.store.close().await;
        result.map_err(Error::Io)
    }

    async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.store.close().await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn validate(config: &Config) -> Result<(), Error> {
    let s = &config.settings;
    if s.max_expires_in_seconds <= 0 || s.max_session_duration_in_seconds <= 0 {
        return Err(Error::Config(
            "maximum durations must be greater than zero".into(),
        ));
    }
    if config.header_read_timeout.is_zero() {
        return Err(Error::Config(
            "the header read timeout must be greater than zero".into(),
        ));
    }
    if config.max_body_bytes == 0 {
        return Err(Error::Config(
            "the body limit must be greater than zero".into(),
        ));
    }
    url::Url::parse(&config.frontend_url)
        .map_err(|e| Error::Config(format!("frontend URL {:?}: {e}", config.frontend_url)))?;
    if let Some(url) = &config.after_accept_url {
        url::Url::parse(url)
            .map_err(|e| Error::Config(format!("after-accept URL {url:?}: {e}")))?;
    }
    for key in &config.secret_keys {
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(Error::Config(
                "a configured secret key is empty or contains whitespace".into(),
            ));
        }
    }
    Ok(())
}

/// Opens the store named by `config`, makes the configured keys valid and, when the database
/// holds no key at all and none is configured, creates one development key (returned once).
pub async fn open_store(config: &Config) -> Result<(Arc<SqliteStore>, Option<String>), Error> {
    let path = config.sqlite_path()?;
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
    let store = Arc::new(store);
    let now = config.clock.now_ms();
    for key in &config.secret_keys {
        store
            .ensure_secret_key(SecretKeyRecord {
                id: ids::secret_key_id(),
                key_hash: ids::secret_hash(key),
                label: Some("configured".into()),
                created_at: now,
                revoked_at: None,
            })
            .await?;
    }
    let mut dev_key = None;
    if config.secret_keys.is_empty() {
        let key = ids::new_secret_key();
        let created = store
            .insert_first_secret_key(SecretKeyRecord {
                id: ids::secret_key_id(),
                key_hash: ids::secret_hash(&key),
                label: Some("development key".into()),
                created_at: now,
                revoked_at: None,
            })
            .await?;
        if created {
            dev_key = Some(key);
        }
    }
    Ok((store, dev_key))
}

/// Reads the master key and loads the signing keys, creating the first one if needed.
pub async fn load_keyring(config: &Config, store: Arc<dyn Store>) -> Result<Keyring, Error> {
    let now = config.clock.now_ms();
    let config = config.clone();
    let master = tokio::task::spawn_blocking(move || config.master_key())
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
    Ok(Keyring::load(store, master, now).await?)
}

/// Opens the store, binds `config.addr` and serves in the background.
pub async fn spawn(config: Config) -> Result<RunningServer, Error> {
    validate(&config)?;
    let (store, dev_secret_key) = open_store(&config).await?;
    let metrics = Arc::new(Metrics::new(Some(store.batch_stats())));
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|source| Error::Bind {
            addr: config.addr,
            source,
        })?;
    let addr = listener.local_addr()?;
    let mut config = config;
    if config.frontend_url == crate::config::DEFAULT_FRONTEND_URL {
        config.frontend_url = format!("http://{addr}");
    }
    let temp_dir = config.temp_dir.clone();
    let store: Arc<dyn Store> = store;
    let keyring = match load_keyring(&config, Arc::clone(&store)).await {
        Ok(keyring) => keyring,
        Err(e) => {
            store.close().await;
            return Err(e);
        }
    };
    let header_read_timeout = config.header_read_timeout;
    let app = App::new(config, Arc::clone(&store), metrics, Arc::new(keyring));
    let router = app.router();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(crate::serve::serve(
        listener,
        router,
        header_read_timeout,
        async move {
            let _ = rx.await;
        },
    ));
    Ok(RunningServer {
        addr,
        dev_secret_key,
        shutdown: Some(tx),
        task: Some(task),
        store,
        _temp_dir: temp_dir,
    })
}
