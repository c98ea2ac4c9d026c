//! TLS on the listeners: the rustls server configuration (TLS 1.3 and 1.2, HTTP/2 and HTTP/1.1 by ALPN, the
//! reloadable certificate) and stateless session tickets.
//!
//! rustls's default keeps resumable sessions in a per-process cache of 256 entries and stores two per full handshake,
//! so beyond about 128 clients returning browsers paid a full handshake again, and no instance could resume another's
//! sessions. [`SessionTickets`] instead seals each session into the ticket the client keeps, with a key that every
//! instance sharing the store keys file derives alike ([`crate::store::seal::Secrets::derive_key`]) and that changes
//! every `session_ticket_lifetime`: a ticket opens under its own period's key while that period or the next one
//! lasts, and only while it is younger than the lifetime. Nothing is kept per client on the server.

pub mod config;

use crate::clock::SharedClock;
use crate::store::seal::Secrets;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rustls::server::{ProducesTickets, ResolvesServerCert};
use std::sync::Arc;
use std::time::Duration;

/// First byte of every ticket.
const VERSION: u8 = 1;
/// Version, sealing key ID, key period (big-endian u64): authenticated, not encrypted.
const HEAD: usize = 10;
/// XChaCha20-Poly1305 nonce length (random per ticket).
const NONCE: usize = 24;
/// What the ticket keys are derived for, so that no other use of the sealing keys can meet them.
const PURPOSE: &str = "portvakt tls session ticket key";
/// How far ahead of this instance's clock another instance's ticket may have been issued (clock skew between
/// instances).
const SKEW_MS: u64 = 60_000;

/// Stateless TLS session tickets under keys derived from the store keys, one per period of one lifetime.
pub struct SessionTickets {
    secrets: Arc<Secrets>,
    clock: SharedClock,
    lifetime_ms: u64,
}

impl std::fmt::Debug for SessionTickets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTickets").field("lifetime_ms", &self.lifetime_ms).finish_non_exhaustive()
    }
}

impl SessionTickets {
    /// Tickets valid for `lifetime` (at least one second), sealed under keys derived from `secrets`.
    pub fn new(secrets: Arc<Secrets>, clock: SharedClock, lifetime: Duration) -> SessionTickets {
        let lifetime_ms = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX).max(1000);
        SessionTickets { secrets, clock, lifetime_ms }
    }

    /// The cipher of key period `period` under sealing key `id` (the newest when `None`), with that key's ID.
    fn cipher(&self, id: Option<u8>, period: u64) -> Option<(u8, XChaCha20Poly1305)> {
        let (id, key) = self.secrets.derive_key(id, PURPOSE, &period.to_be_bytes())?;
        Some((id, XChaCha20Poly1305::new(&key.into())))
    }
}

impl ProducesTickets for SessionTickets {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        u32::try_from(self.lifetime_ms / 1000).unwrap_or(u32::MAX)
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let now = self.clock.now().0;
        let period = now / self.lifetime_ms;
        let (id, cipher) = self.cipher(None, period)?;
        let mut head = [0u8; HEAD];
        head[0] = VERSION;
        head[1] = id;
        head[2..].copy_from_slice(&period.to_be_bytes());
        let mut nonce = [0u8; NONCE];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut msg = Vec::with_capacity(8 + plain.len());
        msg.extend_from_slice(&now.to_be_bytes());
        msg.extend_from_slice(plain);
        let sealed = cipher.encrypt(&XNonce::from(nonce), Payload { msg: &msg, aad: &head }).ok()?;
        let mut out = Vec::with_capacity(HEAD + NONCE + sealed.len());
        out.extend_from_slice(&head);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Some(out)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let head = ticket.get(..HEAD)?;
        if head.first() != Some(&VERSION) {
            return None;
        }
        let id = *head.get(1)?;
        let period = u64::from_be_bytes(head.get(2..HEAD)?.try_into().ok()?);
        let now = self.clock.now().0;
        let current = now / self.lifetime_ms;
        // Only this period's key and the previous one are in use; older ones are rolled out.
        if period != current && period.checked_add(1) != Some(current) {
            return None;
        }
        let nonce: [u8; NONCE] = ticket.get(HEAD..HEAD + NONCE)?.try_into().ok()?;
        let (_, cipher) = self.cipher(Some(id), period)?;
        let msg = cipher.decrypt(&XNonce::from(nonce), Payload { msg: ticket.get(HEAD + NONCE..)?, aad: head }).ok()?;
        let issued = u64::from_be_bytes(msg.get(..8)?.try_into().ok()?);
        if issued > now.saturating_add(SKEW_MS) || now.saturating_sub(issued) > self.lifetime_ms {
            return None;
        }
        msg.get(8..).map(<[u8]>::to_vec)
    }
}

/// The rustls configuration of the TLS listeners: TLS 1.3 and 1.2 (ring), ALPN `h2` then `http/1.1`, the certificate
/// from `cert`, and session tickets from `tickets`.
pub fn server_config(
    cert: Arc<dyn ResolvesServerCert>,
    tickets: Arc<SessionTickets>,
) -> Result<rustls::ServerConfig, rustls::Error> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.ticketer = tickets;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Instant, ManualClock};

    fn tickets(secrets: &Arc<Secrets>, clock: &Arc<ManualClock>) -> SessionTickets {
        SessionTickets::new(secrets.clone(), clock.clone(), Duration::from_secs(3600))
    }

    /// A ticket opens on every instance with the same keys, within its lifetime, across one key change; not with
    /// other keys, not when altered, not past its lifetime.
    #[test]
    fn tickets_open_with_the_same_keys_within_their_lifetime() {
        let (secrets, clock) = (Arc::new(Secrets::generate()), ManualClock::new());
        clock.set(Instant(1_000 * 3600 * 1000 - 60_000)); // one minute before a key period ends
        let (a, b) = (tickets(&secrets, &clock), tickets(&secrets, &clock));
        let t = a.encrypt(b"session state").unwrap();
        assert_eq!(b.decrypt(&t).as_deref(), Some(&b"session state"[..]));
        clock.advance(Duration::from_secs(3000)); // the next period
        assert_eq!(b.decrypt(&t).as_deref(), Some(&b"session state"[..]));
        let other = tickets(&Arc::new(Secrets::generate()), &clock);
        assert_eq!(other.decrypt(&t), None);
        let mut bad = t.clone();
        if let Some(last) = bad.last_mut() {
            *last ^= 1;
        }
        assert_eq!(b.decrypt(&bad), None);
        assert_eq!(b.decrypt(&t[..HEAD + 3]), None);
        clock.advance(Duration::from_secs(601)); // 3601 s after issue
        assert_eq!(b.decrypt(&t), None);
        assert_eq!(a.lifetime(), 3600);
    }
}
