//! Secrets: random tokens, their SHA-256 (what is stored), and HMAC
//! signatures (session cookies, CSRF tokens).

use crate::error::IdentityError;

/// 256 random bits, base64url (43 characters): what API tokens carry.
pub fn random_token() -> Result<String, IdentityError> {
    contracts::links::random_token::<32>().map_err(|e| IdentityError::Internal(e.to_string()))
}

/// What is stored of a token: its SHA-256 (one implementation, in
/// `contracts`, where manage links are made).
pub use contracts::links::token_hash;

pub use api::{sign, verify};

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;

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
