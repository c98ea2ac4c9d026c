//! argon2id password hashing, always on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashes a password into an argon2id PHC string with the library's recommended parameters.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

/// Checks that a PHC string is an argon2id hash that can be verified.
pub fn validate_phc(phc: &str) -> Result<(), String> {
    let h = PasswordHash::new(phc).map_err(|e| format!("not a PHC hash string ({e})"))?;
    if h.algorithm.as_str() != "argon2id" {
        return Err(format!(
            "hash algorithm is {}, expected argon2id: make one with `portvakt hash-password`",
            h.algorithm
        ));
    }
    Ok(())
}

/// Verifies a password against a PHC string; false on any mismatch or malformed hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

/// How many argon2 verifications may run at once: half the cores (at least one). Each takes ~20 ms of CPU and
/// 19 MiB of memory, so a login storm queues here instead of taking every core from proxied traffic and growing
/// memory with every concurrent login.
fn verify_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        tokio::sync::Semaphore::new((cores / 2).max(1))
    })
}

/// Verifies on the blocking pool so the async runtime keeps serving while argon2 works, with at most half the
/// cores verifying at a time.
pub async fn verify_password_blocking(password: String, phc: String) -> bool {
    let Ok(_permit) = verify_permits().acquire().await else { return false };
    tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hash verifies its own password and nothing else, and is argon2id.
    #[test]
    fn hash_roundtrip() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(validate_phc(&h).is_ok());
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("Correct horse", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(validate_phc("$2b$12$abcdefghijklmnopqrstuv").is_err());
    }
}
