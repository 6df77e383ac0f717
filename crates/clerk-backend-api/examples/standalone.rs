//! The seeds' standalone functions (`funcs/`): one `ClerkCore` shared by tasks, with
//! per-call options.
//!
//! ```sh
//! CLERK_SECRET_KEY=sk_test_… CLERK_API_URL=http://127.0.0.1:3000/v1 \
//!   cargo run -p clerk-backend-api --example standalone -- user_1a2b3c user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb
//! ```

use std::time::Duration;

use clerk_backend_api::funcs::{actor_tokens_create, actor_tokens_revoke};
use clerk_backend_api::models::{Actor, CreateActorTokenRequestBody};
use clerk_backend_api::{ClerkCore, Error, RequestOptions, RetryConfig};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let user_id = args.next().unwrap_or_else(|| "user_1a2b3c".into());
    let actor_sub = args
        .next()
        .unwrap_or_else(|| "user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb".into());

    // One core for the whole application: cheap to clone, safe to share.
    let mut builder = ClerkCore::builder().secret_key_from_env();
    if let Ok(url) = std::env::var("CLERK_API_URL") {
        builder = builder.server_url(url);
    }
    let core = builder.build()?;
    let opts = RequestOptions::default()
        .timeout(Duration::from_secs(5))
        .retries(RetryConfig::backoff().max_elapsed(Duration::from_secs(30)))
        .header("X-Request-Reason", "support");

    let task = tokio::spawn({
        let core = core.clone();
        let opts = opts.clone();
        async move {
            let body = CreateActorTokenRequestBody::new(user_id, Actor::new(actor_sub));
            actor_tokens_create(&core, body, opts).await
        }
    });
    let created = task.await.expect("the task ran")?;
    println!("created {} ({})", created.id, created.status);

    let revoked = actor_tokens_revoke(&core, &created.id, opts).await?;
    println!("revoked {} ({})", revoked.id, revoked.status);
    Ok(())
}
