//! What can go wrong with keys. No variant carries key material.

use std::path::PathBuf;

/// A failure to load, seal, open or use a signing key or the master key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The master key text is neither 64 hex digits nor base64 of 32 bytes.
    #[error(
        "the master key is not valid: expected 32 bytes as 64 hex digits or as base64 \
         (generate one with `openssl rand -base64 32`)"
    )]
    InvalidMasterKey,
    /// The master key file could not be read or created.
    #[error("cannot use the master key file {path}: {source}")]
    MasterKeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The master key file exists but does not hold a valid key.
    #[error(
        "the master key file {path} does not hold a valid key: expected 32 raw bytes, \
         64 hex digits or base64 of 32 bytes"
    )]
    InvalidMasterKeyFile {
        /// The file.
        path: PathBuf,
    },
    /// Decryption failed: the master key is not the one the key was sealed with, or the
    /// sealed bytes (or the kid they are bound to) were altered.
    #[error(
        "cannot open signing key {kid}: wrong master key, or the stored key was altered \
         (check UNDERSTUDY_MASTER_KEY / the key file)"
    )]
    OpenFailed {
        /// The key id.
        kid: String,
    },
    /// The sealed bytes are not in a format this version understands.
    #[error("signing key {kid} is stored in an unknown or truncated format")]
    SealedFormat {
        /// The key id.
        kid: String,
    },
    /// The decrypted private key does not match the stored public key or kid.
    #[error("signing key {kid}: the stored public key does not match the private key")]
    KeyMismatch {
        /// The key id.
        kid: String,
    },
    /// The private key bytes were not a usable RSA key.
    #[error("the private key is not a usable RSA key")]
    InvalidPrivateKey,
    /// The crypto library failed (key generation, randomness, signing).
    #[error("cryptographic operation failed: {0}")]
    Crypto(&'static str),
    /// `extra` repeats a registered claim (`exp`, `sub`, …), which would appear twice.
    #[error("claim {0:?} is set in the extra claims too; set it through its field only")]
    ReservedClaim(&'static str),
    /// The claims could not be serialized.
    #[error("cannot serialize the token claims: {0}")]
    Claims(#[from] serde_json::Error),
}
