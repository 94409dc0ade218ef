//! How deliveries are signed, for receivers to check:
//!
//! `Creneau-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`, each `v1` the
//! lower-case hex HMAC-SHA256, keyed with a secret of the subscription (its
//! text, as bytes), of `<t>.<body>`. While a rotation is in progress two
//! secrets are valid, and each signs: a receiver holding either finds its
//! own. A receiver checks that `t` is recent (five minutes) and that one
//! `v1` matches, in constant time.

use contracts::mac::{from_hex, hmac_sha256, to_hex, verify_hmac_sha256};

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "creneau-signature";

/// The header's value for `body` sent at `timestamp` (Unix seconds),
/// signed with each of `secrets`.
pub fn sign(secrets: &[String], timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mut header = format!("t={t}");
    for secret in secrets {
        let mac = hmac_sha256(secret.as_bytes(), &[t.as_bytes(), b".", body]);
        header.push_str(",v1=");
        header.push_str(&to_hex(&mac));
    }
    header
}

/// Whether `header` signs `body` with `secret`, at most `tolerance` seconds
/// from `now`: what a receiver does.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: i64) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok().map(|n| (n, v.to_owned())),
            Some(("v1", v)) => signatures.push(v.to_owned()),
            _ => {}
        }
    }
    let Some((t, text)) = t else {
        return false;
    };
    if (now - t).abs() > tolerance {
        return false;
    }
    signatures.iter().any(|hex| {
        from_hex(hex).is_some_and(|given| {
            verify_hmac_sha256(secret.as_bytes(), &[text.as_bytes(), b".", body], &given)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_secret_of_a_rotation_verifies_and_nothing_else_does() {
        let (old, new) = ("whsec_old".to_owned(), "whsec_new".to_owned());
        let body = br#"{"id":"1"}"#;
        let header = sign(&[new.clone(), old.clone()], 1_000, body);
        assert!(verify(&new, &header, body, 1_010, 300));
        assert!(verify(&old, &header, body, 1_010, 300));
        assert!(!verify("whsec_other", &header, body, 1_010, 300));
        assert!(!verify(&new, &header, br#"{"id":"2"}"#, 1_010, 300));
        assert!(!verify(&new, &header, body, 2_000, 300), "too old");
        assert!(!verify(&new, "t=1000,v1=zz", body, 1_000, 300));
        // The documented algorithm, spelled out: HMAC-SHA256 of "t.body".
        let mac = hmac_sha256(b"whsec_new", &[b"1000.", body]);
        assert!(header.contains(&to_hex(&mac)));
    }
}
