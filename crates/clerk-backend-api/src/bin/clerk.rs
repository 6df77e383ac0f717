//! `clerk`: create and revoke Clerk actor tokens from the command line (feature `cli`).
//!
//! A thin shell over the SDK: parse arguments, make one call, print the token as JSON on
//! stdout, or the error (with each Clerk error code and message) on stderr and exit 1.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use clerk_backend_api::models::{Actor, ActorToken, CreateActorTokenRequestBody};
use clerk_backend_api::{Clerk, DEFAULT_SERVER_URL, Error, RetryConfig};

/// Create and revoke Clerk actor tokens (impersonation).
#[derive(Debug, Parser)]
#[command(name = "clerk", version)]
struct Cli {
    /// The secret key (sk_test_… or sk_live_…).
    #[arg(long, env = "CLERK_SECRET_KEY", hide_env_values = true, global = true)]
    secret_key: Option<String>,
    /// The API base URL, such as http://127.0.0.1:3000/v1 for Understudy.
    #[arg(long, env = "CLERK_API_URL", default_value = DEFAULT_SERVER_URL, global = true)]
    api_url: String,
    /// Give up retrying (5XX, 429, connection errors) after this many seconds.
    #[arg(long, default_value_t = 30, global = true)]
    retry_seconds: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Actor tokens: let an actor sign in as a user.
    #[command(subcommand)]
    ActorTokens(ActorTokensCommand),
}

#[derive(Debug, Subcommand)]
enum ActorTokensCommand {
    /// Create a pending actor token; prints it with its `token` and `url`.
    Create {
        /// The user to impersonate.
        #[arg(long)]
        user_id: String,
        /// The actor as a JSON object holding at least "sub", e.g. '{"sub":"user_123"}'.
        #[arg(long)]
        actor: String,
        /// How long the token can be used (default 3600).
        #[arg(long)]
        expires_in_seconds: Option<i64>,
        /// The cap on the session the token creates (default 1800).
        #[arg(long)]
        session_max_duration_in_seconds: Option<i64>,
    },
    /// Revoke a pending actor token.
    Revoke {
        /// The actor token's id (act_…).
        id: String,
    },
}

/// Exit status for a call that failed (usage errors exit 2, as clap does).
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // An exported but empty CLERK_API_URL means "not set", as it does for the key.
    let api_url = match cli.api_url.trim() {
        "" => DEFAULT_SERVER_URL,
        url => url,
    };
    let clerk = match Clerk::builder()
        .bearer_auth(cli.secret_key.clone().unwrap_or_default())
        .server_url(api_url)
        .retry_config(RetryConfig::backoff().max_elapsed(Duration::from_secs(cli.retry_seconds)))
        .build()
    {
        Ok(clerk) => clerk,
        Err(e) => {
            eprintln!(
                "error: {e} (use --secret-key / CLERK_SECRET_KEY and --api-url / CLERK_API_URL)"
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match cli.command {
        Command::ActorTokens(ActorTokensCommand::Create {
            user_id,
            actor,
            expires_in_seconds,
            session_max_duration_in_seconds,
        }) => {
            let actor = match parse_actor(&actor) {
                Ok(actor) => actor,
                Err(message) => {
                    eprintln!("error: {message}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            let mut body = CreateActorTokenRequestBody::new(user_id, actor);
            if let Some(seconds) = expires_in_seconds {
                body = body.expires_in_seconds(seconds);
            }
            if let Some(seconds) = session_max_duration_in_seconds {
                body = body.session_max_duration_in_seconds(seconds);
            }
            clerk.actor_tokens().create(body).await
        }
        Command::ActorTokens(ActorTokensCommand::Revoke { id }) => {
            clerk.actor_tokens().revoke(id).await
        }
    };
    match result {
        Ok(token) => print_token(&token),
        Err(e) => {
            report(&e);
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn parse_actor(raw: &str) -> Result<Actor, String> {
    serde_json::from_str(raw).map_err(|e| {
        format!(r#"--actor must be a JSON object with a string "sub", such as '{{"sub":"user_123"}}': {e}"#)
    })
}

fn print_token(token: &ActorToken) -> ExitCode {
    match serde_json::to_string_pretty(token) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot print the token: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The error on one line, then each Clerk error as `code: message`.
fn report(error: &Error) {
    eprintln!("error: {error}");
    for e in error.clerk_errors() {
        let message = if e.long_message.is_empty() {
            &e.message
        } else {
            &e.long_message
        };
        eprintln!("  {}: {}", e.code, message);
    }
}
