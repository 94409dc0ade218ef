//! HMAC-SHA256 signatures, base64url: session cookies, CSRF tokens, booking
//! codes, feed links. Keys are derived from the master key, so every
//! process of one deployment agrees on them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use sha2::Sha256;

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
    fn a_signature_fails_for_another_message_or_key() {
        let key = [7u8; 32];
        let s = sign(&key, "session|a|1");
        assert!(verify(&key, "session|a|1", &s));
        assert!(!verify(&key, "session|a|2", &s));
        assert!(!verify(&[8u8; 32], "session|a|1", &s));
        assert!(!verify(&key, "session|a|1", "not base64!"));
    }
}
