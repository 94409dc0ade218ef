//! Secrets: random tokens, their SHA-256 (what is stored), and HMAC
//! signatures (session cookies, CSRF tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use sha2::{Digest, Sha256};

use crate::error::IdentityError;

/// 256 random bits, base64url: what manage links and API tokens carry.
pub fn random_token() -> Result<String, IdentityError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| IdentityError::Internal(format!("no randomness: {e}")))?;
    Ok(B64URL.encode(bytes))
}

/// What is stored of a token: its SHA-256. Tokens carry 256 random bits, so
/// a fast hash is enough (no guessing a preimage), unlike passwords.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

pub use api::{sign, verify};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits() {
        let a = random_token().expect("token");
        let b = random_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(B64URL.decode(&a).expect("base64url").len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
