//! HMAC-SHA256 and constant-time comparison: the one implementation behind
//! every signature in Créneau (session cookies, CSRF and form tokens,
//! booking codes, reset and feed links, providers' delivery reports, keys
//! derived from the master key).

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: no key can fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac
}

/// HMAC-SHA256 under `key` of `parts`, one after the other.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    mac(key, parts).finalize().into_bytes().into()
}

/// Whether `given` is the HMAC-SHA256 under `key` of `parts`, compared in
/// constant time.
pub fn verify_hmac_sha256(key: &[u8], parts: &[&[u8]], given: &[u8]) -> bool {
    mac(key, parts).verify_slice(given).is_ok()
}

/// Whether two secrets are equal, compared without stopping at the first
/// difference.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string, if it is one.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_checks_for_its_key_and_message_only() {
        let m = hmac_sha256(b"key", &[b"a", b"b"]);
        assert_eq!(m, hmac_sha256(b"key", &[b"ab"]));
        assert!(verify_hmac_sha256(b"key", &[b"ab"], &m));
        assert!(!verify_hmac_sha256(b"other", &[b"ab"], &m));
        assert!(!verify_hmac_sha256(b"key", &[b"ac"], &m));
        assert!(!verify_hmac_sha256(b"key", &[b"ab"], &m[..31]));
    }

    #[test]
    fn secrets_compare_whole_and_hex_reads_back() {
        assert!(same_bytes(b"abc", b"abc"));
        assert!(!same_bytes(b"abc", b"abd"));
        assert!(!same_bytes(b"abc", b"ab"));
        assert_eq!(from_hex(&to_hex(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
