//! Rust SDK for Clerk's actor-token API.
pub use clerk_models as models;
