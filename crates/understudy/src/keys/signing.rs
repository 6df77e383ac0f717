//! RSA-2048 signing keys and RS256 session-token minting.

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use clerk_models::SessionClaims;
use serde::Serialize;
use zeroize::Zeroizing;

use super::{Jwk, KeyError};

/// The JOSE header of every session token.
#[derive(Serialize)]
struct JwtHeader<'a> {
    alg: &'static str,
    kid: &'a str,
    typ: &'static str,
}

/// The claims `SessionClaims` serializes itself; `extra` must not repeat them.
const RESERVED_CLAIMS: [&str; 9] = ["iss", "sub", "sid", "iat", "nbf", "exp", "azp", "v", "act"];

/// A private RSA-2048 key that signs session tokens. `Debug` shows only the `kid`.
pub struct SigningKey {
    key_pair: KeyPair,
    jwk: Jwk,
    /// The header is the same for every token this key signs, so it is encoded once.
    encoded_header: String,
}

impl SigningKey {
    /// A fresh RSA-2048 key with exponent 65537. Keep it so: `@clerk/backend`'s offline
    /// `jwtKey` path reads the modulus out of the PEM by stripping the fixed SPKI prefix of
    /// exactly such keys, so any other size would fail there.
    pub fn generate() -> Result<Self, KeyError> {
        let key_pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| KeyError::Crypto("RSA key generation failed"))?;
        Self::from_key_pair(key_pair)
    }

    /// A key from its PKCS#8 (RFC 5208) DER encoding.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let key_pair = KeyPair::from_pkcs8(der).map_err(|_| KeyError::InvalidPrivateKey)?;
        Self::from_key_pair(key_pair)
    }

    fn from_key_pair(key_pair: KeyPair) -> Result<Self, KeyError> {
        let public = key_pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        let kid = rfc7638_thumbprint(&n, &e);
        let header = JwtHeader {
            alg: "RS256",
            kid: &kid,
            typ: "JWT",
        };
        let encoded_header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        let jwk = Jwk {
            kty: "RSA".into(),
            key_use: "sig".into(),
            alg: "RS256".into(),
            kid,
            n,
            e,
        };
        Ok(Self {
            key_pair,
            jwk,
            encoded_header,
        })
    }

    /// The key id: the base64url SHA-256 thumbprint of the public key (RFC 7638).
    pub fn kid(&self) -> &str {
        &self.jwk.kid
    }

    /// The public key as a JWK, for the JWKS.
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The public key as a PEM `PUBLIC KEY` (SPKI): what Clerk calls the "JWT public key",
    /// for networkless verification (`jwtKey` / `jwt_key` in the official SDKs).
    pub fn public_key_pem(&self) -> Result<String, KeyError> {
        let der: PublicKeyX509Der<'static> = self
            .key_pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::Crypto("public key encoding failed"))?;
        let body = STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            // Base64 output is ASCII, so every chunk is valid UTF-8.
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Ok(pem)
    }

    /// The private key as PKCS#8 DER, wiped from memory when dropped.
    pub(crate) fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let der: Pkcs8V1Der<'static> = self
            .key_pair
            .as_der()
            .map_err(|_| KeyError::Crypto("private key encoding failed"))?;
        Ok(Zeroizing::new(der.as_ref().to_vec()))
    }

    /// Signs `claims` as a compact RS256 JWT with header `{"alg":"RS256","kid":…,"typ":"JWT"}`.
    ///
    /// The key is parsed once, when the `SigningKey` is built; jsonwebtoken's `encode` would
    /// re-parse the DER on every call.
    pub fn mint(&self, claims: &SessionClaims) -> Result<String, KeyError> {
        // A registered claim repeated in `extra` would serialize twice, and verifiers differ
        // on which copy wins: refuse rather than sign an ambiguous payload.
        if let Some(name) = RESERVED_CLAIMS
            .iter()
            .find(|name| claims.extra.contains_key(**name))
        {
            return Err(KeyError::ReservedClaim(name));
        }
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?);
        let mut token = String::with_capacity(self.encoded_header.len() + payload.len() + 345);
        token.push_str(&self.encoded_header);
        token.push('.');
        token.push_str(&payload);
        let mut signature = vec![0u8; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| KeyError::Crypto("RS256 signing failed"))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.jwk.kid)
            .finish_non_exhaustive()
    }
}

/// RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
fn rfc7638_thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::test_support::signing_key;
    use clerk_models::Actor;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

    fn claims() -> SessionClaims {
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let mut claims =
            SessionClaims::new("http://127.0.0.1:3000", "user_1", "sess_1", now, now + 60);
        claims.azp = Some("https://app.example".into());
        claims.act = Some(Actor::new("user_support").with("reason", "ticket #4711"));
        claims
    }

    fn strict_validation() -> Validation {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "sub", "iss"]);
        validation
    }

    #[test]
    fn jwk_has_the_fields_clerk_serves() {
        let key = signing_key();
        let jwk = serde_json::to_value(key.public_jwk()).unwrap();
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["alg"], "RS256");
        assert_eq!(jwk["kid"], key.kid());
        assert_eq!(jwk["e"], "AQAB");
        // 2048-bit modulus: 256 bytes -> 342 base64url characters, no padding.
        assert_eq!(jwk["n"].as_str().unwrap().len(), 342);
        assert!(!jwk["n"].as_str().unwrap().contains('='));
    }

    #[test]
    fn kid_is_the_rfc7638_thumbprint_jsonwebtoken_computes() {
        let key = signing_key();
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(key.public_jwk()).unwrap()).unwrap();
        assert_eq!(
            jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256),
            key.kid()
        );
    }

    #[test]
    fn minted_token_verifies_against_the_published_jwk() {
        let key = signing_key();
        let token = key.mint(&claims()).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        assert_eq!(header.kid.as_deref(), Some(key.kid()));

        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(key.public_jwk()).unwrap()).unwrap();
        let decoding = DecodingKey::from_jwk(&jwk).unwrap();
        let decoded = decode::<SessionClaims>(&token, &decoding, &strict_validation()).unwrap();
        assert_eq!(decoded.claims, claims_with_times(&decoded.claims));
        let act = decoded.claims.act.unwrap();
        assert_eq!(act.sub, "user_support");
        assert_eq!(act.get("reason").unwrap(), "ticket #4711");
        assert_eq!(decoded.claims.v, Some(2));
    }

    /// The fixture's claims with the decoded token's times (they were taken from the clock).
    fn claims_with_times(decoded: &SessionClaims) -> SessionClaims {
        let mut expected = claims();
        expected.iat = decoded.iat;
        expected.nbf = decoded.nbf;
        expected.exp = decoded.exp;
        expected
    }

    #[test]
    fn payload_holds_exactly_the_session_claims() {
        let key = signing_key();
        let payload = |claims: &SessionClaims| {
            let token = key.mint(claims).unwrap();
            let part = token.split('.').nth(1).unwrap();
            let json: serde_json::Value =
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap();
            let mut keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            (json, keys)
        };
        let (json, keys) = payload(&claims());
        assert_eq!(
            keys,
            ["act", "azp", "exp", "iat", "iss", "nbf", "sid", "sub", "v"]
        );
        assert_eq!(json["v"], 2);
        assert_eq!(json["act"]["sub"], "user_support");
        let mut unknown_origin = claims();
        unknown_origin.azp = None;
        let (_, keys) = payload(&unknown_origin);
        assert!(!keys.contains(&"azp".to_owned()));
    }

    #[test]
    fn a_registered_claim_repeated_in_extra_is_refused() {
        for name in RESERVED_CLAIMS {
            let mut claims = claims();
            claims.extra.insert(name.into(), "x".into());
            assert!(
                matches!(signing_key().mint(&claims), Err(KeyError::ReservedClaim(n)) if n == name),
                "{name}"
            );
        }
        let mut claims = claims();
        claims.extra.insert("org_id".into(), "org_1".into());
        signing_key().mint(&claims).unwrap();
    }

    #[test]
    fn minted_token_verifies_against_the_pem() {
        let key = signing_key();
        let pem = key.public_key_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let decoding = DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let token = key.mint(&claims()).unwrap();
        decode::<SessionClaims>(&token, &decoding, &strict_validation()).unwrap();
    }

    #[test]
    fn another_keys_jwk_rejects_the_token() {
        let key = signing_key();
        let other = SigningKey::generate().unwrap();
        assert_ne!(key.kid(), other.kid());
        let jwk: jsonwebtoken::jwk::Jwk =
            serde_json::from_value(serde_json::to_value(other.public_jwk()).unwrap()).unwrap();
        let token = key.mint(&claims()).unwrap();
        let err = decode::<SessionClaims>(
            &token,
            &DecodingKey::from_jwk(&jwk).unwrap(),
            &strict_validation(),
        )
        .unwrap_err();
        assert_eq!(
            err.kind(),
            &jsonwebtoken::errors::ErrorKind::InvalidSignature
        );
    }

    #[test]
    fn pkcs8_round_trip_keeps_the_key() {
        let key = signing_key();
        let again = SigningKey::from_pkcs8(&key.pkcs8_der().unwrap()).unwrap();
        assert_eq!(again.public_jwk(), key.public_jwk());
    }

    #[test]
    fn garbage_pkcs8_is_a_typed_error() {
        assert!(matches!(
            SigningKey::from_pkcs8(b"not a key"),
            Err(KeyError::InvalidPrivateKey)
        ));
    }

    #[test]
    fn debug_shows_only_the_kid() {
        let key = signing_key();
        let printed = format!("{key:?}");
        assert!(printed.contains(key.kid()));
        assert!(!printed.contains(&key.public_jwk().n));
    }
}
