//! The library's error: what can stop the server from starting or an admin command from running.

use crate::store::StoreError;

/// Why starting the server or an administrative operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The configuration is invalid (bad database URL, bad settings, unreadable file).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The signing keys cannot be loaded or created (a wrong master key, most likely).
    #[error("signing keys: {0}")]
    Keys(#[from] crate::keys::KeyringError),
    /// Input to an administrative command is invalid.
    #[error("invalid input: {0}")]
    Input(String),
    /// Other I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
