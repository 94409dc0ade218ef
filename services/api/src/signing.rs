//! HMAC-SHA256 signatures, base64url: session cookies, CSRF tokens, booking
//! codes, feed links. Keys are derived from the master key, so every
//! process of one deployment agrees on them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use contracts::mac::{hmac_sha256, verify_hmac_sha256};

/// Signs with HMAC-SHA256 under `key`.
pub fn sign(key: &[u8; 32], message: &str) -> String {
    B64URL.encode(hmac_sha256(key, &[message.as_bytes()]))
}

/// Checks a signature from [`sign`] in constant time.
pub fn verify(key: &[u8; 32], message: &str, signature: &str) -> bool {
    let Ok(bytes) = B64URL.decode(signature) else {
        return false;
    };
    verify_hmac_sha256(key, &[message.as_bytes()], &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
