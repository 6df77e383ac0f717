//! Public keys as JSON Web Keys (RFC 7517), and the set `GET /v1/jwks` returns.

use serde::{Deserialize, Serialize};

/// An RSA public signing key as a JWK: `{"kty":"RSA","use":"sig","alg":"RS256","kid":…,"n":…,"e":…}`,
/// the shape Clerk's JWKS endpoint serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: always `RSA`.
    pub kty: String,
    /// Public key use: always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// Algorithm: always `RS256`.
    pub alg: String,
    /// Key id: the RFC 7638 SHA-256 thumbprint, the `kid` of the tokens this key signs.
    pub kid: String,
    /// Modulus, base64url without padding.
    pub n: String,
    /// Public exponent, base64url without padding.
    pub e: String,
}

/// The body of `GET /v1/jwks`: `{"keys":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Jwks {
    /// The published keys, active signer first.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// A set from the published keys, in the given order.
    pub fn new(keys: impl IntoIterator<Item = Jwk>) -> Self {
        Self {
            keys: keys.into_iter().collect(),
        }
    }

    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}
