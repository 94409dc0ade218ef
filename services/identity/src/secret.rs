//! Secrets: random tokens, their SHA-256 (what is stored), and HMAC
//! signatures (session cookies, CSRF tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use sha2::{Digest, Sha256};

use crate::error::IdentityError;

/// 256 random bits, base64url (43 characters): what API tokens carry.
pub fn random_token() -> Result<String, IdentityError> {
    random::<32>()
}

/// 128 random bits, base64url (22 characters): what manage links carry.
/// Short, because the link goes into a one-segment SMS; 2^128 cannot be
/// guessed, all the more as failed look-ups are rate-limited.
pub fn link_token() -> Result<String, IdentityError> {
    random::<16>()
}

fn random<const N: usize>() -> Result<String, IdentityError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| IdentityError::Internal(format!("no randomness: {e}")))?;
    Ok(B64URL.encode(bytes))
}

/// What is stored of a token: its SHA-256. Tokens carry 128 or 256 random bits, so
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
