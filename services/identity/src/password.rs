//! Passwords: argon2id (19 MiB, 2 passes: OWASP's recommended minimum), a
//! length rule, and generated passwords for new accounts.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::IdentityError;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 256;

/// Why a new password is refused.
pub fn check_policy(password: &str) -> Result<(), IdentityError> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "password-has-characters-use-at",
            chars = chars,
            min = MIN_LEN
        )));
    }
    if chars > MAX_LEN {
        return Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "password-is-longer-than-characters",
            max = MAX_LEN
        )));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "password-repeats-too-few-characters"
        )));
    }
    Ok(())
}

/// The argon2id PHC string of `password`, with a fresh salt. Slow on
/// purpose: call it off the async threads.
pub fn hash(password: &str) -> Result<String, IdentityError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| IdentityError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| IdentityError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| IdentityError::Internal(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A password for a new account: 20 characters from an alphabet without
/// look-alikes (no 0/O, 1/l/I), about 112 bits.
pub fn generate() -> Result<String, IdentityError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|e| IdentityError::Internal(format!("no randomness: {e}")))?;
    // 256 % 57 leaves a bias under 1% per character: harmless at 112 bits.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterie", &h));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn short_or_monotonous_passwords_are_refused_with_the_rule() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        let e = check_policy("short").unwrap_err().to_string();
        assert!(e.contains("at least 12"), "{e}");
        assert!(check_policy("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_policy("quatre mots bien choisis").is_ok());
    }

    #[test]
    fn generated_passwords_pass_the_rule() {
        let p = generate().expect("password");
        assert_eq!(p.len(), 20);
        check_policy(&p).expect("generated passwords are good");
    }
}
