//! Rust SDK for Clerk's Backend API actor tokens (impersonation).
//!
//! ```no_run
//! use clerk_backend_api::{Clerk, Error, models::{Actor, ActorTokenStatus, CreateActorTokenRequestBody}};
//!
//! # async fn run() -> Result<(), Error> {
//! let clerk = Clerk::builder()
//!     .bearer_auth(std::env::var("CLERK_SECRET_KEY").unwrap_or_default())
//!     .build()?;
//! let token = clerk
//!     .actor_tokens()
//!     .create(CreateActorTokenRequestBody::new(
//!         "user_1a2b3c",
//!         Actor::new("user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb").with("reason", "ticket #4711"),
//!     ))
//!     .await?;
//! match clerk.actor_tokens().revoke(&token.id).await {
//!     Ok(revoked) => assert_eq!(revoked.status, ActorTokenStatus::Revoked),
//!     Err(Error::ClerkErrors(e)) if e.has_code("actor_token_cannot_be_revoked_code") => {
//!         eprintln!("already used or revoked ({}), trace {:?}", e.status, e.trace_id);
//!     }
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! The pieces: [`Clerk`] (and its builder), [`ClerkCore`] with the standalone functions in
//! [`funcs`], per-call [`RequestOptions`], [`RetryConfig`], hooks, and one [`Error`] enum.

#![warn(missing_docs)]

pub mod api;
mod client;
mod core;
mod error;
pub mod funcs;
mod hooks;
mod options;
mod retry;
mod secret;
pub mod verify;

pub use clerk_models as models;

pub use crate::api::{ActorTokens, CreateActorToken, RevokeActorToken};
pub use crate::client::{Clerk, ClerkBuilder, SECRET_KEY_ENV};
pub use crate::core::{ClerkCore, DEFAULT_SERVER_URL, DEFAULT_TIMEOUT, USER_AGENT_VALUE};
pub use crate::error::{ApiError, ClerkErrorsResponse, ConnectionError, Error, Result};
pub use crate::hooks::{AfterErrorHook, AfterSuccessHook, BeforeRequestHook, HookContext};
pub use crate::options::RequestOptions;
pub use crate::retry::RetryConfig;
pub use crate::secret::SecretKey;
pub use crate::verify::{TokenVerifier, VerifyError, VerifyTokenOptions, verify_token};
