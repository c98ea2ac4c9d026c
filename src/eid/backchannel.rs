//! OpenID Connect Back-Channel Logout 1.0: a provider POSTs a signed `logout_token` to
//! `/.portvakt/eid/backchannel-logout` when a person's session there ends, and every gateway sharing the store ends
//! the matching sessions.
//!
//! The token is checked like an ID token where the specification says so (signature by the provider's published
//! keys, never `alg: none`; issuer; audience; `iat` on the injected clock) and for what makes it a logout token: the
//! back-channel-logout event in `events`, `sid` or `sub`, no `nonce` (so an ID token can't be replayed as one), and
//! a `jti` used once, remembered in the shared store for as long as the token could be accepted.

use super::{flow, Eid, EidError, IAT_SKEW};
use crate::clock::Instant;
use crate::store::{FlowStore, Key, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use openidconnect::core::CoreJwsSigningAlgorithm;
use openidconnect::JsonWebKey;
use serde_json::Value;
use std::time::Duration;

/// The member of `events` that makes a JWT a logout token.
pub const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How old a logout token may be (its `iat`) and still be accepted.
const MAX_AGE: Duration = Duration::from_secs(600);
/// How long a `jti` is remembered: past the oldest `iat` that could still be accepted.
const JTI_WINDOW: Duration = Duration::from_secs(600 + 300 + 60);
/// Longest accepted logout token.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// Longest accepted `jti`, `sid` or `sub`.
const MAX_ID: usize = 512;

/// Signature algorithms accepted for logout tokens (as for ID tokens).
const ALGS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
];

/// A verified logout request: end the sessions of `sid`, or (without `sid`) every eID session of `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    /// Provider name.
    pub provider: String,
    /// The provider session that ended.
    pub sid: Option<String>,
    /// The subject whose sessions ended.
    pub sub: Option<String>,
    /// The token's ID.
    pub jti: String,
}

/// Why a logout token was refused.
#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    /// The token is malformed, forged, or not a logout token for us.
    #[error("logout_token rejected: {0}")]
    Invalid(String),
    /// The token's `jti` was already used.
    #[error("logout_token replayed (jti already used)")]
    Replayed,
    /// The provider's keys or the store could not be reached.
    #[error(transparent)]
    Unavailable(#[from] EidError),
}

impl From<StoreError> for LogoutError {
    fn from(e: StoreError) -> Self {
        LogoutError::Unavailable(EidError::Store(e))
    }
}

fn invalid(msg: impl Into<String>) -> LogoutError {
    LogoutError::Invalid(msg.into())
}

/// A JWT's parts: header, claims, the signed text and the signature.
struct Parts {
    header: Value,
    claims: Value,
    signed: String,
    signature: Vec<u8>,
}

fn split(token: &str) -> Result<Parts, LogoutError> {
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(invalid("missing or too long"));
    }
    let mut it = token.split('.');
    let (Some(h), Some(c), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(invalid("not a signed JWT"));
    };
    let json = |p: &str| -> Result<Value, LogoutError> {
        let bytes = B64.decode(p).map_err(|_| invalid("not base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| invalid("not JSON"))
    };
    Ok(Parts {
        header: json(h)?,
        claims: json(c)?,
        signed: format!("{h}.{c}"),
        signature: B64.decode(s).map_err(|_| invalid("signature not base64url"))?,
    })
}

/// Whether a key of the provider's published set (with the header's `kid`, if any) verifies the signature.
fn signed_by(meta: &super::Discovered, parts: &Parts, alg: &CoreJwsSigningAlgorithm) -> bool {
    let kid = parts.header.get("kid").and_then(Value::as_str);
    meta.meta
        .jwks()
        .keys()
        .iter()
        .filter(|k| kid.is_none_or(|kid| k.key_id().is_some_and(|id| id.as_str() == kid)))
        .any(|k| k.verify_signature(alg, parts.signed.as_bytes(), &parts.signature).is_ok())
}

/// A string claim of bounded length, if present.
fn id_claim(claims: &Value, name: &str) -> Result<Option<String>, LogoutError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID => Ok(Some(s.clone())),
        Some(_) => Err(invalid(format!("{name} is not a usable string"))),
    }
}

impl Eid {
    /// Verifies a `logout_token` (not yet its `jti`: see [`consume_jti`]).
    pub async fn verify_logout_token(&self, token: &str) -> Result<Logout, LogoutError> {
        let parts = split(token.trim())?;
        let alg: CoreJwsSigningAlgorithm = parts
            .header
            .get("alg")
            .and_then(|a| serde_json::from_value(a.clone()).ok())
            .filter(|a| ALGS.contains(a))
            .ok_or_else(|| invalid("signature algorithm not accepted"))?;
        if let Some(typ) = parts.header.get("typ").and_then(Value::as_str) {
            if !["logout+jwt", "application/logout+jwt", "JWT", "jwt"].contains(&typ) {
                return Err(invalid(format!("typ {typ} is not a logout token's")));
            }
        }
        let c = &parts.claims;
        let iss = c.get("iss").and_then(Value::as_str).ok_or_else(|| invalid("no iss"))?;
        let p = self.provider_by_issuer(iss).cloned().ok_or_else(|| invalid("unknown issuer"))?;
        let d = p.metadata(false).await?;
        if !signed_by(&d, &parts, &alg) {
            // Perhaps the provider rotated its keys: fetch them again (rate-limited) and retry once.
            let d = p.metadata(true).await?;
            if !signed_by(&d, &parts, &alg) {
                return Err(invalid("signature does not verify with the provider's keys"));
            }
        }
        let ours = |v: &Value| v.as_str() == Some(p.settings.client_id.as_str());
        let aud_ok = match c.get("aud") {
            Some(Value::Array(a)) => a.iter().any(ours),
            Some(v) => ours(v),
            None => false,
        };
        if !aud_ok {
            return Err(invalid("audience is not our client_id"));
        }
        let now = self.clock.now();
        let secs = |name: &str| c.get(name).and_then(Value::as_u64).map(|s| Instant(s.saturating_mul(1000)));
        let iat = secs("iat").ok_or_else(|| invalid("no iat"))?;
        if iat > now.plus(IAT_SKEW) {
            return Err(invalid("issued in the future"));
        }
        if now.since(iat) > MAX_AGE {
            return Err(invalid("too old"));
        }
        if let Some(exp) = secs("exp") {
            if now > exp.plus(IAT_SKEW) {
                return Err(invalid("expired"));
            }
        }
        let event = c.get("events").and_then(Value::as_object).and_then(|e| e.get(EVENT));
        if !event.is_some_and(Value::is_object) {
            return Err(invalid("events lacks the back-channel logout event"));
        }
        if c.get("nonce").is_some() {
            return Err(invalid("a logout token carries no nonce"));
        }
        let sid = id_claim(c, "sid")?;
        let sub = id_claim(c, "sub")?;
        if sid.is_none() && sub.is_none() {
            return Err(invalid("neither sid nor sub"));
        }
        let jti = id_claim(c, "jti")?.ok_or_else(|| invalid("no jti"))?;
        Ok(Logout { provider: p.settings.name.clone(), sid, sub, jti })
    }

    /// Remembers which account a provider's `sub` logged in as, for a logout token that names only `sub`; kept as
    /// long as a session can live.
    pub async fn remember_subject(
        &self,
        provider: &str,
        sub: &str,
        account: &str,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        if sub.is_empty() {
            return Ok(());
        }
        let f = flow::SubjectFlow { account: account.to_string(), expires: self.clock.now().plus(lifetime) };
        self.flows.put(subject_key(provider, sub), flow::Flow::Subject(f)).await
    }

    /// The account a provider's `sub` last logged in as, while its sessions may still live.
    pub async fn subject_account(&self, provider: &str, sub: &str) -> Result<Option<String>, StoreError> {
        Ok(match self.flows.get(&subject_key(provider, sub)).await? {
            Some(flow::Flow::Subject(s)) if self.clock.now() < s.expires => Some(s.account),
            _ => None,
        })
    }
}

fn subject_key(provider: &str, sub: &str) -> [u8; 32] {
    flow::hash(&format!("backchannel-sub\n{provider}\n{sub}"))
}

/// Marks the token's `jti` used in the shared store with its single-use operation ([`FlowStore::use_once`]):
/// `true` the first time, `false` for a replay, on any instance sharing the store, for as long as the token could
/// otherwise be accepted. Of racing deliveries of one token exactly one gets `true`.
pub async fn consume_jti(store: &dyn FlowStore, l: &Logout) -> Result<bool, StoreError> {
    let key = Key::of_token(&format!("eid-logout-jti\n{}\n{}", l.provider, l.jti));
    store.use_once(&key, JTI_WINDOW).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Malformed tokens are refused before any key is fetched: empty, two parts, four parts, not JSON.
    #[test]
    fn malformed_tokens() {
        for t in ["", "a.b", "a.b.c.d", "e30.bm90IGpzb24.c2ln"] {
            assert!(matches!(split(t), Err(LogoutError::Invalid(_))), "{t}");
        }
        assert!(split("e30.e30.c2ln").is_ok());
    }
}
