//! Why a session token was not accepted.

/// A session token failed verification, or the verifier could not be set up.
///
/// No variant holds the token, the secret key or key material: every message is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token is not a well-formed JWT (three base64url parts of JSON), or its claims
    /// lack a required session claim.
    #[error("the session token is malformed: {reason}")]
    Malformed {
        /// What is wrong, without the token's content.
        reason: String,
    },
    /// The header names an algorithm other than RS256 (for instance `none` or `HS256`).
    #[error("the session token uses algorithm {alg:?}; only RS256 session tokens are accepted")]
    UnsupportedAlgorithm {
        /// The `alg` of the header.
        alg: String,
    },
    /// The signature does not match the key: the token was altered, or was signed by
    /// another instance.
    #[error(
        "the session token's signature is invalid: it was altered or signed by another \
         instance's key"
    )]
    InvalidSignature,
    /// `exp` is past, beyond the allowed clock skew.
    #[error(
        "the session token expired at {exp} (Unix seconds); session tokens live 60 s, \
         get a fresh one from the frontend"
    )]
    TokenExpired {
        /// The token's `exp`.
        exp: i64,
    },
    /// `nbf` is in the future, beyond the allowed clock skew.
    #[error(
        "the session token is not valid before {nbf} (Unix seconds); check this machine's \
         clock or raise clock_skew"
    )]
    TokenNotActiveYet {
        /// The token's `nbf`.
        nbf: i64,
    },
    /// `iat` is in the future, beyond the allowed clock skew.
    #[error(
        "the session token was issued in the future ({iat}, Unix seconds); check this \
         machine's clock or raise clock_skew"
    )]
    TokenIatInFuture {
        /// The token's `iat`.
        iat: i64,
    },
    /// `azp` is missing or not one of the configured authorized parties.
    #[error(
        "the session token's authorized party (azp) {azp:?} is not one of the configured \
         authorized parties"
    )]
    InvalidAuthorizedParty {
        /// The token's `azp`, when present.
        azp: Option<String>,
    },
    /// No key of the JWKS has the token's `kid`, even after refreshing it.
    #[error(
        "no key in the JWKS has kid {kid:?}: the token was not minted by this instance, \
         or its key was rotated out"
    )]
    UnknownKid {
        /// The token's `kid`.
        kid: String,
    },
    /// The JWKS could not be fetched (or not recently enough), so the token cannot be
    /// checked. The token is rejected: an outage never lets a token through.
    #[error("cannot verify the session token: the JWKS at {url} is unavailable ({reason})")]
    JwksUnavailable {
        /// The JWKS URL (it carries no secret: the secret key goes in a header).
        url: String,
        /// Why: a status, a transport error, an unusable body, or a recent failure.
        reason: String,
    },
    /// The PEM public key given for offline verification cannot be used.
    #[error(
        "the JWT public key is not a usable RSA public key; paste the PEM \
         (-----BEGIN PUBLIC KEY-----) from the instance's API keys page"
    )]
    InvalidKey,
    /// The options cannot work: no key source, or an invalid URL.
    #[error("invalid token verification options: {reason}")]
    InvalidOptions {
        /// What to fix.
        reason: String,
    },
}

impl VerifyError {
    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::Malformed {
            reason: reason.into(),
        }
    }
}
