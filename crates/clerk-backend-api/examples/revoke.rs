//! The seeds' `clerk.actorTokens.revoke(…)`, in Rust, reading the error a second revoke gets.
//!
//! ```sh
//! CLERK_SECRET_KEY=sk_test_… [CLERK_API_URL=http://127.0.0.1:3000/v1] \
//!   cargo run -p clerk-backend-api --example revoke -- act_2EL6mQKzeUtoRwGuLZsznyfkIsH
//! ```

use clerk_backend_api::models::{ActorTokenStatus, codes};
use clerk_backend_api::{Clerk, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let id = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "act_2EL6mQKzeUtoRwGuLZsznyfkIsH".into());
    let mut builder =
        Clerk::builder().bearer_auth(std::env::var("CLERK_SECRET_KEY").unwrap_or_default());
    if let Ok(url) = std::env::var("CLERK_API_URL") {
        builder = builder.server_url(url);
    }
    let clerk = builder.build()?;

    match clerk.actor_tokens().revoke(&id).await {
        Ok(token) => {
            assert_eq!(token.status, ActorTokenStatus::Revoked);
            println!("revoked {}", token.id);
        }
        Err(Error::ClerkErrors(e)) if e.has_code(codes::ACTOR_TOKEN_CANNOT_BE_REVOKED) => {
            eprintln!(
                "already used or revoked ({}), trace {:?}",
                e.status, e.trace_id
            );
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
