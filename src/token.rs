//! Random tokens (CSRF, nonces, lock values) and their constant-time comparison.

use base64::Engine;
use rand::RngCore;

/// 128 random bits, base64url: CSRF tokens and similar.
pub fn random_token() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Constant-time string equality for tokens.
pub fn token_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
