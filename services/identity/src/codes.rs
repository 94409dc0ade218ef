//! The 6-digit code that confirms a booking made online, where a site asks
//! for one: sent by SMS to the number given, typed back by the resident.
//!
//! Nothing is stored: the challenge handed to the booking form carries the
//! expiry and an HMAC of (challenge id, phone, code) under a key derived from
//! the master key, so any process can check it. Attempts per challenge,
//! codes per phone number and per address, and the code's single use are
//! counted in the store's tallies where processes share the store (see
//! `api::limits`): a second process gives no second set of tries.

use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::PhoneNumber;
use uuid::Uuid;

use crate::error::IdentityError;
use crate::secret;
use crate::service::Identity;

/// How long a code may be typed back.
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Wrong codes per challenge before it stops working.
pub const MAX_ATTEMPTS: u32 = 5;
/// Codes a phone number receives in a day, whoever asks and from however
/// many addresses: a stranger's number is not flooded.
pub const CODES_PER_PHONE_DAILY: u32 = 6;

pub use contracts::ports::{CodeChallenge, IssuedCode};

fn message(challenge: Uuid, expires_at: DateTime<Utc>, phone: &PhoneNumber, code: &str) -> String {
    format!(
        "booking code|{challenge}|{}|{}|{code}",
        expires_at.timestamp(),
        phone.as_str()
    )
}

fn six_digits() -> Result<String, IdentityError> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes)
        .map_err(|e| IdentityError::Internal(format!("no randomness: {e}")))?;
    // 2^32 mod 10^6 leaves a bias of 1 in 4,000: harmless for a code that
    // allows five tries.
    Ok(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

impl Identity {
    /// A new code for `phone`, asked from `client` (an IP address). Limited
    /// to 10 per address and 3 per number in 15 minutes, and
    /// [`CODES_PER_PHONE_DAILY`] per number in a day, so that the service
    /// cannot be used to flood someone with SMS. The address is checked
    /// first: an address over its limit spends nothing of the number's.
    pub async fn issue_booking_code(
        &self,
        phone: &PhoneNumber,
        client: &str,
    ) -> Result<IssuedCode, IdentityError> {
        if let Err(wait) = self.inner.codes_per_ip.hit(client).await {
            return Err(IdentityError::too_many(
                messages::say!(crate::MESSAGES, "too-many-codes-were-asked"),
                wait,
            ));
        }
        let number = phone.as_str();
        let phone_full = match self.inner.codes_per_phone.check(number).await {
            Ok(()) => self.inner.codes_per_phone_daily.check(number).await,
            full => full,
        };
        if let Err(wait) = phone_full {
            return Err(IdentityError::too_many(
                messages::say!(crate::MESSAGES, "several-codes-were-sent-to"),
                wait,
            ));
        }
        // Both were below their limits a moment ago: count this code.
        let _ = self.inner.codes_per_phone.hit(number).await;
        let _ = self.inner.codes_per_phone_daily.hit(number).await;
        let code = six_digits()?;
        let challenge_id = Uuid::now_v7();
        let expires_at = self.now()
            + chrono::Duration::from_std(CODE_LIFETIME).unwrap_or(chrono::Duration::minutes(10));
        let mac = secret::sign(
            &self.inner.code_key,
            &message(challenge_id, expires_at, phone, &code),
        );
        Ok(IssuedCode {
            code,
            challenge: CodeChallenge {
                challenge_id,
                expires_at,
                mac,
            },
        })
    }

    /// Checks a typed code against its challenge and takes it: a code
    /// books once. When the booking it was for fails, give it back with
    /// [`Identity::release_booking_code`].
    pub async fn check_booking_code(
        &self,
        challenge: &CodeChallenge,
        phone: &PhoneNumber,
        typed: &str,
    ) -> Result<(), IdentityError> {
        let key = challenge.challenge_id.to_string();
        if self.inner.code_attempts.locked(&key, "").await.is_some() {
            return Err(IdentityError::Refused(messages::say!(
                crate::MESSAGES,
                "this-code-was-typed-wrong"
            )));
        }
        if challenge.expires_at <= self.now() {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "this-code-has-expired-it"
            )));
        }
        let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        let well_formed = typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit());
        let signed = message(challenge.challenge_id, challenge.expires_at, phone, &typed);
        if well_formed && secret::verify(&self.inner.code_key, &signed, &challenge.mac) {
            self.inner.code_attempts.cleared(&key, "").await;
            if !self.inner.codes_used.claim(&key).await {
                return Err(IdentityError::Refused(messages::say!(
                    crate::MESSAGES,
                    "this-code-was-used-for"
                )));
            }
            return Ok(());
        }
        if self.inner.code_attempts.failed(&key, "").await.is_some() {
            return Err(IdentityError::Refused(messages::say!(
                crate::MESSAGES,
                "this-code-was-typed-wrong"
            )));
        }
        Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "this-is-not-code-we"
        )))
    }
}

impl Identity {
    /// Gives back a code taken by [`Identity::check_booking_code`] for a
    /// booking that did not happen (the time was taken meanwhile).
    pub async fn release_booking_code(&self, challenge: &CodeChallenge) {
        self.inner
            .codes_used
            .release(&challenge.challenge_id.to_string())
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let c = six_digits().expect("code");
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
