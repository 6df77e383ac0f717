//! The seeds' `clerk.actorTokens.create(…)`, in Rust.
//!
//! ```sh
//! CLERK_SECRET_KEY=sk_test_… [CLERK_API_URL=http://127.0.0.1:3000/v1] \
//!   cargo run -p clerk-backend-api --example create -- user_1a2b3c user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb
//! ```

use clerk_backend_api::models::{Actor, CreateActorTokenRequestBody};
use clerk_backend_api::{Clerk, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let user_id = args.next().unwrap_or_else(|| "user_1a2b3c".into());
    let actor_sub = args
        .next()
        .unwrap_or_else(|| "user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb".into());

    let mut builder =
        Clerk::builder().bearer_auth(std::env::var("CLERK_SECRET_KEY").unwrap_or_default());
    if let Ok(url) = std::env::var("CLERK_API_URL") {
        builder = builder.server_url(url);
    }
    let clerk = builder.build()?;

    let token = clerk
        .actor_tokens()
        .create(CreateActorTokenRequestBody::new(
            user_id,
            Actor::new(actor_sub).with("reason", "ticket #4711"),
        ))
        .await?;

    println!(
        "{} {} {}",
        token.id,
        token.status,
        token.url.as_deref().unwrap_or("")
    );
    Ok(())
}
