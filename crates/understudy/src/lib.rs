//! Understudy: a self-hostable server that speaks the actor-token part of Clerk's Backend API
//! so exactly that the official clients cannot tell it from Clerk.
//!
//! Start one in-process (tests do this on port 0):
//!
//! ```no_run
//! # async fn demo() -> Result<(), understudy::Error> {
//! let server = understudy::spawn(understudy::Config::for_tests("sk_test_example")).await?;
//! println!("{}", server.api_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod admin;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
pub mod serve;
pub mod server;
pub mod store;

pub use clock::{Clock, SystemClock, TestClock};
pub use config::{Config, InstanceSettings};
pub use error::Error;
pub use server::{App, RunningServer, spawn};
