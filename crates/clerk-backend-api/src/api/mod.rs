//! The API handles, one file per API area (octocrab's layout).

pub mod actor_tokens;

pub use actor_tokens::{ActorTokens, CreateActorToken, RevokeActorToken};
