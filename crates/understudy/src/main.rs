//! `understudy`: argument parsing and start-up only; the work lives in the library.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use understudy::config::FileConfig;
use understudy::domain::pagination::MAX_LIMIT;
use understudy::keys::MasterKey;
use understudy::{Config, admin};

/// A self-hostable server that speaks Clerk's actor-token API.
#[derive(Parser)]
#[command(name = "understudy", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve(ServeArgs),
    /// Manage secret keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage users.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
}

#[derive(Args)]
struct DatabaseArg {
    /// The database: sqlite://PATH.
    #[arg(
        long = "database",
        env = "UNDERSTUDY_DATABASE_URL",
        default_value = "sqlite://./understudy.db"
    )]
    database_url: String,
}

#[derive(Args)]
struct MasterKeyArg {
    /// The master key file sealing the signing keys (default: <database file>.master-key,
    /// created on first start). UNDERSTUDY_MASTER_KEY, when set, takes precedence.
    #[arg(long)]
    master_key_file: Option<PathBuf>,
}

impl MasterKeyArg {
    /// Applies UNDERSTUDY_MASTER_KEY (64 hex digits or base64) or the file to `config`.
    fn apply(self, config: &mut Config) -> Result<()> {
        if let Some(key) = MasterKey::from_env()? {
            config.master_key = Some(key);
        }
        if let Some(path) = self.master_key_file {
            config.master_key_file = Some(path);
        }
        Ok(())
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "UNDERSTUDY_ADDR")]
    addr: Option<SocketAddr>,
    /// The database: sqlite://PATH (default sqlite://./understudy.db).
    #[arg(long = "database", env = "UNDERSTUDY_DATABASE_URL")]
    database_url: Option<String>,
    /// Base URL of ticket links ({frontend_url}/v1/tickets/accept?ticket=…).
    #[arg(long, env = "UNDERSTUDY_FRONTEND_URL")]
    frontend_url: Option<String>,
    /// Where a browser goes after accepting a ticket (default {frontend_url}/impersonation).
    #[arg(long, env = "UNDERSTUDY_AFTER_ACCEPT_URL")]
    after_accept_url: Option<String>,
    #[command(flatten)]
    master: MasterKeyArg,
    /// A TOML configuration file; flags and environment override it.
    #[arg(long, env = "UNDERSTUDY_CONFIG")]
    config: Option<PathBuf>,
    /// Whether actor tokens can be created.
    #[arg(long)]
    impersonation_enabled: Option<bool>,
    /// Actor tokens allowed per calendar month (UTC).
    #[arg(long)]
    monthly_impersonation_limit: Option<u64>,
    /// Largest accepted expires_in_seconds.
    #[arg(long)]
    max_expires_in_seconds: Option<i64>,
    /// Largest accepted session_max_duration_in_seconds.
    #[arg(long)]
    max_session_duration_in_seconds: Option<i64>,
    /// Requests per minute per secret key (0 = unlimited).
    #[arg(long)]
    rate_limit_per_minute: Option<u32>,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a secret key and print it once.
    Create {
        #[command(flatten)]
        db: DatabaseArg,
        /// A note to recognise the key by.
        #[arg(long)]
        label: Option<String>,
    },
    /// List secret keys (ids, never keys).
    List {
        #[command(flatten)]
        db: DatabaseArg,
    },
    /// Revoke a secret key by id.
    Revoke {
        #[command(flatten)]
        db: DatabaseArg,
        /// The key's id (ak_…).
        id: String,
    },
    /// Add a new session-token signing key; the old one stays in the JWKS until its
    /// tokens have expired. Running servers pick it up at once.
    RotateSigning {
        #[command(flatten)]
        db: DatabaseArg,
        #[command(flatten)]
        master: MasterKeyArg,
        /// Publish the new key 5 minutes before it starts signing, so verifiers that cache
        /// the JWKS already hold it (a planned rotation). Without it, it signs at once.
        #[arg(long)]
        publish_first: bool,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user and print it as JSON.
    Create {
        #[command(flatten)]
        db: DatabaseArg,
        /// Given name.
        #[arg(long)]
        first_name: Option<String>,
        /// Family name.
        #[arg(long)]
        last_name: Option<String>,
        /// Unique handle.
        #[arg(long)]
        username: Option<String>,
        /// The application's own id for this user.
        #[arg(long)]
        external_id: Option<String>,
        /// May be repeated; the first becomes primary.
        #[arg(long)]
        email_address: Vec<String>,
    },
    /// Import users from a JSON array (or NDJSON) of POST /v1/users bodies; all or none.
    Import {
        #[command(flatten)]
        db: DatabaseArg,
        /// The file ("-" for standard input).
        file: PathBuf,
    },
    /// List users as JSON ({data, total_count}).
    List {
        #[command(flatten)]
        db: DatabaseArg,
        /// Page size, 1 to 500.
        #[arg(long, default_value_t = MAX_LIMIT)]
        limit: u32,
        /// Users to skip, newest first.
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
}

/// How long shutdown waits for in-flight requests.
const SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);

fn print_json(value: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("UNDERSTUDY_LOG")
                .unwrap_or_else(|_| "understudy=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::Keys { command } => keys(command).await,
        Command::Users { command } => users(command).await,
    }
}

async fn serve(args: ServeArgs) -> Result<()> {
    let mut config = Config::default();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        FileConfig::parse(&text)?.apply(&mut config);
    }
    if let Some(addr) = args.addr {
        config.addr = addr;
    }
    if let Some(url) = args.database_url {
        config.database_url = url;
    }
    if let Some(url) = args.frontend_url {
        config.frontend_url = url;
    }
    if let Some(url) = args.after_accept_url {
        config.after_accept_url = Some(url);
    }
    args.master.apply(&mut config)?;
    let s = &mut config.settings;
    if let Some(v) = args.impersonation_enabled {
        s.impersonation_enabled = v;
    }
    if let Some(v) = args.monthly_impersonation_limit {
        s.monthly_impersonation_limit = Some(v);
    }
    if let Some(v) = args.max_expires_in_seconds {
        s.max_expires_in_seconds = v;
    }
    if let Some(v) = args.max_session_duration_in_seconds {
        s.max_session_duration_in_seconds = v;
    }
    if let Some(v) = args.rate_limit_per_minute {
        s.rate_limit_per_minute = (v > 0).then_some(v);
    }
    if let Ok(key) = std::env::var("UNDERSTUDY_SECRET_KEY")
        && !key.is_empty()
    {
        config.secret_keys.push(key);
    }

    if config.master_key.is_none() {
        // Never the key: only where it lives, so an operator knows what to back up.
        let path = config.master_key_path()?;
        tracing::info!(path = %path.display(), "signing keys are sealed with the master key file (set UNDERSTUDY_MASTER_KEY to use a key from the environment)");
    }
    let server = understudy::spawn(config).await?;
    if let Some(key) = server.dev_secret_key() {
        println!("development secret key (shown once, stored hashed): {key}");
    }
    println!("understudy listening on {}", server.base_url());
    tracing::info!(addr = %server.addr, "listening");

    shutdown_signal().await?;
    tracing::info!("shutting down: finishing in-flight requests");
    // A client that never finishes its request must not hold the process forever; every
    // acknowledged write is already durable, so giving up after the deadline loses nothing.
    if tokio::time::timeout(SHUTDOWN_DEADLINE, server.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish in time; exiting");
    }
    Ok(())
}

async fn shutdown_signal() -> Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}

async fn keys(command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::Create { db, label } => {
            let (record, key) = admin::create_key(&db.database_url, label).await?;
            let mut out = admin::key_json(&record);
            out["secret_key"] = json!(key);
            print_json(&out)
        }
        KeysCommand::List { db } => {
            let keys = admin::list_keys(&db.database_url).await?;
            print_json(&Value::Array(keys.iter().map(admin::key_json).collect()))
        }
        KeysCommand::Revoke { db, id } => {
            if !admin::revoke_key(&db.database_url, &id).await? {
                bail!("no active secret key has id {id}");
            }
            print_json(&json!({"object": "secret_key", "id": id, "revoked": true}))
        }
        KeysCommand::RotateSigning {
            db,
            master,
            publish_first,
        } => {
            let mut config = Config {
                database_url: db.database_url.clone(),
                ..Config::default()
            };
            master.apply(&mut config)?;
            let lead = if publish_first {
                understudy::keys::ROTATION_PUBLISH_LEAD
            } else {
                std::time::Duration::ZERO
            };
            let kid =
                admin::rotate_signing_key(&db.database_url, &config.master_key()?, lead).await?;
            print_json(
                &json!({"object": "signing_key", "kid": kid, "signs_in_seconds": lead.as_secs()}),
            )
        }
    }
}

async fn users(command: UsersCommand) -> Result<()> {
    match command {
        UsersCommand::Create {
            db,
            first_name,
            last_name,
            username,
            external_id,
            email_address,
        } => {
            let mut body = json!({
                "first_name": first_name, "last_name": last_name,
                "username": username, "external_id": external_id,
            });
            if !email_address.is_empty() {
                body["email_address"] = json!(email_address);
            }
            let user = admin::create_user(&db.database_url, &body).await?;
            print_json(&serde_json::to_value(user)?)
        }
        UsersCommand::Import { db, file } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?
            };
            let users = admin::import_users(&db.database_url, &text).await?;
            print_json(&json!({"imported": users.len(), "data": users}))
        }
        UsersCommand::List { db, limit, offset } => {
            let page = understudy::domain::pagination::parse_page(
                Some(&limit.to_string()),
                Some(&offset.to_string()),
            )
            .map_err(|e| anyhow::anyhow!(e.long_message))?;
            let (users, total) = admin::list_users(&db.database_url, page).await?;
            print_json(&json!({"data": users, "total_count": total}))
        }
    }
}
