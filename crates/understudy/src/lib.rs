//! Understudy: a server that speaks Clerk's actor-token API.

pub mod keys;
