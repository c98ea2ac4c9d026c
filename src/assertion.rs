//! The signed identity assertion (ES256 JWT) sent to backends, and the JWKS that lets them verify it.

pub mod config;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// An ES256 signing key with its key id. Signing uses ring (about 15× faster than the pure-Rust p256 crate on the
/// hot path); p256 reads and writes the PEM and gives the public coordinates for the JWKS.
#[derive(Clone)]
pub struct SigningKey {
    key: p256::ecdsa::SigningKey,
    /// `None` only for a key made [`SigningKey::unusable`].
    signer: Option<Arc<EcdsaKeyPair>>,
    rng: ring::rand::SystemRandom,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// Why a token could not be signed. Nothing unsigned is ever handed out instead: the caller fails the request.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The claims could not be written as JSON.
    #[error("assertion claims could not be serialised: {0}")]
    Claims(#[from] serde_json::Error),
    /// The signature failed (ring fails only when the system random number generator is unavailable).
    #[error("assertion signing failed: the system random number generator is unavailable")]
    Signature,
}

/// The facts an assertion carries.
#[derive(Debug, Serialize)]
pub struct Claims<'a> {
    /// Issuer.
    pub iss: &'a str,
    /// Username.
    pub sub: &'a str,
    /// Service name.
    pub aud: &'a str,
    /// Issued at (seconds).
    pub iat: u64,
    /// Not before (seconds).
    pub nbf: u64,
    /// Expiry (seconds).
    pub exp: u64,
    /// Display name.
    pub name: &'a str,
    /// Groups.
    pub groups: &'a [String],
    /// Login methods.
    pub amr: Vec<&'static str>,
    /// Zone the request came from.
    pub zone: &'a str,
    /// Realm (directory).
    pub realm: &'a str,
    /// The user's institution (left out when none is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<&'a str>,
}

impl SigningKey {
    /// A new random key (used when no key file is configured).
    pub fn generate() -> Result<SigningKey, String> {
        Self::from_key(p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// The key every instance sharing the store keys file derives alike (from the newest sealing key, for this
    /// purpose only), so assertions from any instance verify against one JWKS, and a restart keeps the key. Adding a
    /// sealing key to the file changes it (backends find the new `kid` in the JWKS).
    pub fn derive(secrets: &crate::store::seal::Secrets) -> Result<SigningKey, String> {
        // A 32-byte string is a valid P-256 scalar unless it is 0 or >= n (chance about 2^-32): try the next counter.
        for counter in 0u8..8 {
            let (_, seed) = secrets
                .derive_key(None, "portvakt assertion signing key", &[counter])
                .ok_or_else(|| "the store keys have no sealing key".to_string())?;
            if let Ok(key) = p256::ecdsa::SigningKey::from_bytes(&seed.into()) {
                return Self::from_key(key);
            }
        }
        Err("no valid signing key could be derived from the store keys".into())
    }

    /// Reads a PKCS#8 PEM P-256 key.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem).map_err(|e| e.to_string()).and_then(Self::from_key)
    }

    /// The key as PKCS#8 PEM, for writing a key file.
    pub fn to_pem(&self) -> Result<String, String> {
        self.key.to_pkcs8_pem(LineEnding::LF).map(|z| z.to_string()).map_err(|e| e.to_string())
    }

    fn from_key(key: p256::ecdsa::SigningKey) -> Result<SigningKey, String> {
        let point = key.verifying_key().to_encoded_point(false);
        let digest = Sha256::digest(point.as_bytes());
        let kid = B64.encode(digest.get(..12).unwrap_or_default());
        let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
        let rng = ring::rand::SystemRandom::new();
        let signer = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_bytes(), &rng)
            .map_err(|e| format!("key rejected: {e}"))?;
        Ok(SigningKey { key, signer: Some(Arc::new(signer)), rng, kid })
    }

    /// Key id, as in the JWT header and JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Uses `kid` as the key id instead of the one derived from the key (a provider may have registered another).
    pub fn with_kid(mut self, kid: &str) -> SigningKey {
        self.kid = kid.to_string();
        self
    }

    /// This key with signing switched off: every [`SigningKey::sign`] fails as it does when the system random
    /// number generator is unavailable. Lets tests prove that a failed signature fails the request closed.
    pub fn unusable(mut self) -> SigningKey {
        self.signer = None;
        self
    }

    /// Signs claims into a compact JWT.
    pub fn sign(&self, claims: &Claims<'_>) -> Result<String, SignError> {
        self.sign_json(claims)
    }

    /// Signs any serialisable claims into a compact ES256 JWT with this key's `kid`.
    pub fn sign_json<T: Serialize>(&self, claims: &T) -> Result<String, SignError> {
        let header = format!("{{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"{}\"}}", self.kid);
        let payload = serde_json::to_vec(claims)?;
        let mut out = String::with_capacity(512);
        out.push_str(&B64.encode(header.as_bytes()));
        out.push('.');
        out.push_str(&B64.encode(payload));
        // JWS ES256 wants the fixed-size r||s form, which is what ring's FIXED_SIGNING produces.
        let signer = self.signer.as_ref().ok_or(SignError::Signature)?;
        let sig = signer.sign(&self.rng, out.as_bytes()).map_err(|_| SignError::Signature)?;
        out.push('.');
        out.push_str(&B64.encode(sig.as_ref()));
        Ok(out)
    }

    /// The public key as a JWKS document.
    pub fn jwks(&self) -> String {
        let point = self.key.verifying_key().to_encoded_point(false);
        let x = point.x().map(|x| B64.encode(x)).unwrap_or_default();
        let y = point.y().map(|y| B64.encode(y)).unwrap_or_default();
        serde_json::json!({
            "keys": [{
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
                "kid": self.kid, "x": x, "y": y
            }]
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PEM round trip keeps the key id, so restarts with a key file keep backends' cached JWKS valid.
    #[test]
    fn pem_roundtrip_keeps_kid() {
        let k = SigningKey::generate().unwrap();
        let k2 = SigningKey::from_pem(&k.to_pem().unwrap()).unwrap();
        assert_eq!(k.kid(), k2.kid());
        assert!(SigningKey::from_pem("nope").is_err());
    }

    /// A signed token verifies with an independent JWT library against the published JWKS.
    #[test]
    fn token_verifies_against_jwks() {
        let k = SigningKey::generate().unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let groups = vec!["staff".to_string()];
        let t = k
            .sign(&Claims {
                iss: "portvakt",
                sub: "anna",
                aud: "expense",
                iat: now,
                nbf: now,
                exp: now + 60,
                name: "Anna",
                groups: &groups,
                amr: vec!["password"],
                zone: "internal",
                realm: "staff",
                institution: Some("skola-nord"),
            })
            .unwrap();
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&k.jwks()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwks.keys[0]).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        v.set_audience(&["expense"]);
        v.set_issuer(&["portvakt"]);
        let d = jsonwebtoken::decode::<serde_json::Value>(&t, &key, &v).unwrap();
        assert_eq!(d.claims["sub"], "anna");
        assert_eq!(d.claims["groups"][0], "staff");
        v.set_audience(&["self-service"]);
        assert!(jsonwebtoken::decode::<serde_json::Value>(&t, &key, &v).is_err());
    }

    /// An unusable key refuses to sign instead of handing out a token without a signature.
    #[test]
    fn unusable_key_fails_instead_of_signing() {
        let k = SigningKey::generate().unwrap().unusable();
        let e = k.sign_json(&serde_json::json!({"sub": "anna"})).unwrap_err();
        assert!(matches!(e, SignError::Signature), "{e}");
    }

    /// The key's Debug shows its id, never the private key.
    #[test]
    fn debug_leaves_out_the_private_key() {
        let k = SigningKey::generate().unwrap();
        let pem = k.to_pem().unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let shown = format!("{k:?}");
        assert!(shown.contains(k.kid()), "{shown}");
        assert!(!shown.contains(&body[..40]), "{shown}");
    }
}
