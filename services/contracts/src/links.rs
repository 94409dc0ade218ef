//! Residents' manage links: a resident has no account; the link sent with
//! their appointment lets them see, cancel or move that appointment and
//! nothing else. The token carries 128 random bits (22 characters, short
//! enough for a one-segment SMS); the log keeps only its SHA-256, in a
//! `ManageLinkIssued` event that the appointments service appends to the
//! appointment's own stream when it books, and that identity folds to
//! open links.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::proto::identity::v1::ManageLinkIssued;
use crate::{AppointmentId, ResidentId};

/// Characters of a manage link's token.
pub const LINK_TOKEN_LEN: usize = 22;

/// A new link: the token to send (once), and the event that records it.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub token: String,
    pub event: ManageLinkIssued,
}

/// The machine gave no randomness: no token can be made.
#[derive(Debug, thiserror::Error)]
#[error("no randomness: {0}")]
pub struct NoRandomness(String);

/// `N` random bytes, base64url.
pub fn random_token<const N: usize>() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| NoRandomness(e.to_string()))?;
    Ok(B64URL.encode(bytes))
}

/// What is stored of a token: its SHA-256. Tokens carry 128 or 256 random
/// bits, so a fast hash is enough (no guessing a preimage), unlike
/// passwords.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A link for `appointment`, valid until `expires_at` (the end of the
/// appointment): 128 random bits, base64url.
pub fn new_link(
    appointment: AppointmentId,
    resident: ResidentId,
    expires_at: DateTime<Utc>,
) -> Result<NewLink, NoRandomness> {
    let token = random_token::<16>()?;
    Ok(NewLink {
        event: ManageLinkIssued {
            appointment_id: appointment.to_string(),
            resident_id: resident.to_string(),
            token_sha256: token_hash(&token).to_vec(),
            expires_at: expires_at.to_rfc3339(),
            token: None,
        },
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_carries_128_random_bits_and_the_log_only_their_hash() {
        let end = DateTime::<Utc>::UNIX_EPOCH;
        let a = new_link(AppointmentId::new(), ResidentId::new(), end).expect("link");
        let b = new_link(AppointmentId::new(), ResidentId::new(), end).expect("link");
        assert_eq!(a.token.len(), LINK_TOKEN_LEN);
        assert_eq!(B64URL.decode(&a.token).expect("base64url").len(), 16);
        assert_ne!(a.token, b.token);
        assert_eq!(a.event.token_sha256, token_hash(&a.token).to_vec());
        assert!(a.event.token.is_none());
    }
}
