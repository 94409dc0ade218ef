//! Secrets: random tokens, their SHA-256 (what is stored), and HMAC
//! signatures (session cookies, CSRF tokens).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
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

/// Signs with HMAC-SHA256 under `key`.
pub fn sign(key: &[u8; 32], message: &str) -> String {
    B64URL.encode(mac(key, message).finalize().into_bytes())
}

/// Checks a signature from [`sign`] in constant time.
pub fn verify(key: &[u8; 32], message: &str, signature: &str) -> bool {
    let Ok(bytes) = B64URL.decode(signature) else {
        return false;
    };
    mac(key, message).verify_slice(&bytes).is_ok()
}

fn mac(key: &[u8; 32], message: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length: a 32-byte key cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("hmac takes any key length"));
    mac.update(message.as_bytes());
    mac
}

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

    #[test]
    fn a_signature_fails_for_another_message_or_key() {
        let key = [7u8; 32];
        let s = sign(&key, "session|a|1");
        assert!(verify(&key, "session|a|1", &s));
        assert!(!verify(&key, "session|a|2", &s));
        assert!(!verify(&[8u8; 32], "session|a|1", &s));
        assert!(!verify(&key, "session|a|1", "not base64!"));
    }
}
