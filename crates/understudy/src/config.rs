//! Server configuration and the instance settings that shape the API's answers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::clock::{Clock, SystemClock};
use crate::keys::MasterKey;

/// The default [`Config::frontend_url`].
pub const DEFAULT_FRONTEND_URL: &str = "http://127.0.0.1:3000";

/// Everything the server needs to start. `Default` gives the documented defaults.
/// `Debug` never shows the secret keys.
#[derive(Clone)]
pub struct Config {
    /// Where to listen; `127.0.0.1:3000` by default.
    pub addr: SocketAddr,
    /// `sqlite://PATH`; `sqlite://./understudy.db` by default.
    pub database_url: String,
    /// Secret keys made valid at start (e.g. from `UNDERSTUDY_SECRET_KEY`). Stored hashed.
    pub secret_keys: Vec<String>,
    /// The frontend URL tickets point at: `{frontend_url}/v1/tickets/accept?ticket=…`.
    /// Left at its default, it follows the address actually bound (so a server on port 0
    /// hands out tickets pointing at itself).
    pub frontend_url: String,
    /// Where a browser goes after accepting a ticket; `{frontend_url}/impersonation` (the
    /// built-in page) when `None`.
    pub after_accept_url: Option<String>,
    /// The key sealing signing keys at rest (e.g. from `UNDERSTUDY_MASTER_KEY`). When `None`,
    /// it is read from [`Config::master_key_file`], or from a file next to the database,
    /// created on first start.
    pub master_key: Option<MasterKey>,
    /// The master key file; by default `<database file>.master-key`.
    pub master_key_file: Option<PathBuf>,
    /// What this instance allows.
    pub settings: InstanceSettings,
    /// Largest accepted request body, in bytes (64 KiB by default).
    pub max_body_bytes: usize,
    /// A request taking longer than this is cut off (30 s by default).
    pub request_timeout: Duration,
    /// A connection that has not sent complete request headers this long after the server
    /// started reading them (or after its last response, when kept alive) is closed (30 s by
    /// default).
    pub header_read_timeout: Duration,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Keeps a test database's directory alive as long as a server uses it (see
    /// [`Config::for_tests`]); `None` otherwise.
    pub temp_dir: Option<Arc<tempfile::TempDir>>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &self.database_url)
            .field(
                "secret_keys",
                &format_args!("[{} redacted]", self.secret_keys.len()),
            )
            .field("frontend_url", &self.frontend_url)
            .field("after_accept_url", &self.after_accept_url)
            .field("master_key", &self.master_key.as_ref().map(|_| "redacted"))
            .field("master_key_file", &self.master_key_file)
            .field("settings", &self.settings)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://./understudy.db".to_owned(),
            secret_keys: Vec::new(),
            frontend_url: DEFAULT_FRONTEND_URL.to_owned(),
            after_accept_url: None,
            master_key: None,
            master_key_file: None,
            settings: InstanceSettings::default(),
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
            temp_dir: None,
        }
    }
}

impl Config {
    /// A configuration for tests: a fresh private database in a temporary directory (removed
    /// when the last server using it is dropped), `secret_key` valid, port 0 on loopback.
    ///
    /// # Panics
    /// When no temporary directory can be created, which a test cannot recover from anyway.
    pub fn for_tests(secret_key: &str) -> Config {
        let dir = tempfile::Builder::new()
            .prefix("understudy-test-")
            .tempdir()
            .expect("a temporary directory for the test database");
        let path: PathBuf = dir.path().join("understudy.db");
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}", path.display()),
            secret_keys: vec![secret_key.to_owned()],
            temp_dir: Some(Arc::new(dir)),
            ..Config::default()
        }
    }

    /// The SQLite file path named by [`Config::database_url`].
    pub fn sqlite_path(&self) -> Result<PathBuf, crate::Error> {
        sqlite_path(&self.database_url)
    }

    /// The master key file: [`Config::master_key_file`], or `<database file>.master-key`.
    pub fn master_key_path(&self) -> Result<PathBuf, crate::Error> {
        match &self.master_key_file {
            Some(path) => Ok(path.clone()),
            None => Ok(default_master_key_path(&self.sqlite_path()?)),
        }
    }

    /// The master key: [`Config::master_key`], else the key file (created, mode 0600, when
    /// it does not exist yet).
    pub fn master_key(&self) -> Result<MasterKey, crate::Error> {
        if let Some(key) = &self.master_key {
            return Ok(key.clone());
        }
        let path = self.master_key_path()?;
        MasterKey::load_or_create(&path).map_err(|e| crate::Error::Config(e.to_string()))
    }

    /// Where the browser goes after accepting a ticket.
    pub fn after_accept_url(&self) -> String {
        match &self.after_accept_url {
            Some(url) => url.clone(),
            None => format!("{}/impersonation", self.frontend_url.trim_end_matches('/')),
        }
    }
}

/// The default master key file of a database: `<database file>.master-key`, beside it.
pub fn default_master_key_path(database: &std::path::Path) -> PathBuf {
    let mut name = database
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "understudy.db".into());
    name.push(".master-key");
    database.with_file_name(name)
}

/// Parses `sqlite://PATH` (also `sqlite:PATH` and a bare path) into a file path.
pub fn sqlite_path(database_url: &str) -> Result<PathBuf, crate::Error> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .unwrap_or(database_url);
    if path.is_empty() {
        return Err(crate::Error::Config(format!(
            "database URL {database_url:?} names no file; use sqlite://PATH"
        )));
    }
    if database_url.contains("://") && !database_url.starts_with("sqlite://") {
        return Err(crate::Error::Config(format!(
            "unsupported database URL {database_url:?}; use sqlite://PATH"
        )));
    }
    Ok(PathBuf::from(path))
}

/// What this instance allows, as Clerk's plan and dashboard settings would.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InstanceSettings {
    /// Whether actor tokens can be created; `false` answers 402
    /// `unsupported_subscription_plan_features`.
    pub impersonation_enabled: bool,
    /// Actor tokens that may be created per calendar month (UTC); `None` is unlimited.
    /// Past it: 422 `impersonation_limit_exceeded`.
    pub monthly_impersonation_limit: Option<u64>,
    /// Largest accepted `expires_in_seconds` (30 days by default).
    pub max_expires_in_seconds: i64,
    /// Largest accepted `session_max_duration_in_seconds` (7 days by default).
    pub max_session_duration_in_seconds: i64,
    /// Requests per minute per secret key; `None` or `Some(0)` is unlimited. Past it: 429
    /// with `Retry-After`.
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        Self {
            impersonation_enabled: true,
            monthly_impersonation_limit: None,
            max_expires_in_seconds: 2_592_000,
            max_session_duration_in_seconds: 604_800,
            rate_limit_per_minute: Some(6000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_parse_to_paths_and_other_schemes_are_refused() {
        assert_eq!(
            sqlite_path("sqlite://./x.db").unwrap(),
            PathBuf::from("./x.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.db").unwrap(),
            PathBuf::from("/tmp/x.db")
        );
        assert_eq!(sqlite_path("x.db").unwrap(), PathBuf::from("x.db"));
        assert!(sqlite_path("sqlite://").is_err());
        assert!(sqlite_path("postgres://localhost/db").is_err());
    }

    #[test]
    fn debug_never_shows_secret_keys() {
        let text = format!("{:?}", Config::for_tests("sk_test_very_secret"));
        assert!(!text.contains("sk_test_very_secret"), "{text}");
        assert!(text.contains("1 redacted"));
    }

    #[test]
    fn the_master_key_file_defaults_to_beside_the_database_and_debug_hides_the_key() {
        let mut config = Config::for_tests("sk_test_a");
        let db = config.sqlite_path().unwrap();
        let path = config.master_key_path().unwrap();
        assert_eq!(path.parent(), db.parent());
        assert!(path.to_string_lossy().ends_with("understudy.db.master-key"));
        let key = config.master_key().unwrap();
        assert!(path.exists());
        config.master_key = Some(key);
        let text = format!("{config:?}");
        assert!(text.contains("redacted"), "{text}");
        assert_eq!(
            Config::default().after_accept_url(),
            "http://127.0.0.1:3000/impersonation"
        );
    }

    #[test]
    fn for_tests_uses_a_private_database_and_port_zero() {
        let a = Config::for_tests("sk_test_a");
        let b = Config::for_tests("sk_test_a");
        assert_ne!(a.database_url, b.database_url);
        assert_eq!(a.addr.port(), 0);
        assert_eq!(a.secret_keys, vec!["sk_test_a".to_owned()]);
    }
}

/// What a `--config FILE.toml` may set; every key is optional. Flags and environment
/// variables override the file.
///
/// ```toml
/// addr = "127.0.0.1:3000"
/// database_url = "sqlite://./understudy.db"
/// frontend_url = "http://127.0.0.1:3000"
/// after_accept_url = "http://127.0.0.1:3000/impersonation"
/// master_key_file = "./understudy.db.master-key"
/// max_body_bytes = 65536
///
/// [settings]
/// impersonation_enabled = true
/// monthly_impersonation_limit = 100
/// max_expires_in_seconds = 2592000
/// max_session_duration_in_seconds = 604800
/// rate_limit_per_minute = 6000
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FileConfig {
    /// Where to listen.
    pub addr: Option<SocketAddr>,
    /// `sqlite://PATH`
    pub database_url: Option<String>,
    /// Base of ticket URLs.
    pub frontend_url: Option<String>,
    /// Where a browser goes after accepting a ticket.
    pub after_accept_url: Option<String>,
    /// The master key file.
    pub master_key_file: Option<PathBuf>,
    /// Largest accepted body, in bytes.
    pub max_body_bytes: Option<usize>,
    /// Instance settings; absent keys keep their defaults.
    pub settings: Option<InstanceSettings>,
}

impl FileConfig {
    /// Parses a TOML configuration.
    pub fn parse(text: &str) -> Result<Self, crate::Error> {
        toml::from_str(text).map_err(|e| crate::Error::Config(e.to_string()))
    }

    /// Applies the file's values onto `config`.
    pub fn apply(self, config: &mut Config) {
        if let Some(addr) = self.addr {
            config.addr = addr;
        }
        if let Some(url) = self.database_url {
            config.database_url = url;
        }
        if let Some(url) = self.frontend_url {
            config.frontend_url = url;
        }
        if let Some(url) = self.after_accept_url {
            config.after_accept_url = Some(url);
        }
        if let Some(path) = self.master_key_file {
            config.master_key_file = Some(path);
        }
        if let Some(n) = self.max_body_bytes {
            config.max_body_bytes = n;
        }
        if let Some(settings) = self.settings {
            config.settings = settings;
        }
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    #[test]
    fn a_file_sets_what_it_names_and_keeps_the_other_defaults() {
        let file = FileConfig::parse(
            "addr = \"127.0.0.1:4000\"\n[settings]\nimpersonation_enabled = false\nmonthly_impersonation_limit = 3\n",
        )
        .unwrap();
        let mut config = Config::default();
        file.apply(&mut config);
        assert_eq!(config.addr.port(), 4000);
        assert!(!config.settings.impersonation_enabled);
        assert_eq!(config.settings.monthly_impersonation_limit, Some(3));
        assert_eq!(config.settings.max_expires_in_seconds, 2_592_000);
        let file = FileConfig::parse(
            "after_accept_url = \"http://app.example/x\"\nmaster_key_file = \"/keys/m\"\n",
        )
        .unwrap();
        file.apply(&mut config);
        assert_eq!(config.after_accept_url(), "http://app.example/x");
        assert_eq!(config.master_key_path().unwrap(), PathBuf::from("/keys/m"));
        assert!(FileConfig::parse("unknown = 1").is_err());
        assert!(FileConfig::parse("[settings]\nmax_expires_in_seconds = \"x\"").is_err());
    }
}
