//! The rules: validation, ids, token lifecycle, quotas. Pure functions, no I/O.

pub mod actor_token;
pub mod ids;
pub mod month;
pub mod pagination;
pub mod params;
pub mod session;
pub mod ticket;
pub mod user;

pub use params::{ParamError, ParamErrorKind};
