//! Wire types of Clerk's actor-token API, shared by the `clerk-backend-api` SDK and the
//! Understudy server.
//!
//! This crate does no I/O: it is serde types, the error-code strings and the API versions,
//! so that client and server cannot disagree on the wire format (the kube-core pattern).
//!
//! ```
//! use clerk_models::{Actor, CreateActorTokenRequestBody};
//!
//! let body = CreateActorTokenRequestBody::new(
//!     "user_1a2b3c",
//!     Actor::new("user_2OEpKhcCN1Lat9NQ0G6puh7q5Rb").with("reason", "ticket #4711"),
//! );
//! let json = serde_json::to_value(&body).unwrap();
//! assert_eq!(json["expires_in_seconds"], 3600);
//! assert_eq!(json["actor"]["reason"], "ticket #4711");
//! ```

#![warn(missing_docs)]

pub mod actor;
pub mod actor_token;
pub mod api_version;
pub mod claims;
pub mod codes;
pub mod error;
pub mod page;
pub mod session;
pub mod user;

pub use actor::{Act, Actor};
pub use actor_token::{ActorToken, ActorTokenStatus, CreateActorTokenRequestBody};
pub use claims::SessionClaims;
pub use error::{ClerkError, ClerkErrors};
pub use page::Page;
pub use session::{Session, SessionStatus, SessionToken};
pub use user::{CreateUserRequestBody, DeletedObject, EmailAddress, User};
