//! Ports: what a service needs from the outside world, behind a trait the
//! binary fills in, so that no service crate depends on another.

use async_trait::async_trait;

/// Sends an email now (a message a person asked for, such as a password
/// reset link: if it fails, they ask again).
#[async_trait]
pub trait MailOut: Send + Sync {
    /// Sends a plain-text email to `to`; `Err` says what went wrong, for the
    /// log.
    async fn send_plain(&self, to: &str, subject: &str, text: &str) -> Result<(), String>;
}

/// What the booking form keeps between a booking code sent by SMS and the
/// code typed back: the code itself is never stored; the challenge carries
/// its expiry and an HMAC that any process can check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CodeChallenge {
    pub challenge_id: uuid::Uuid,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub mac: String,
}

/// A booking code to send, and its challenge.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// Six digits, to send by SMS; never logged, never stored.
    pub code: String,
    pub challenge: CodeChallenge,
}

/// How a resident is reached, as the service that holds residents reads
/// it (the values are sealed in the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A language tag (`fr`, `en`, `ar`).
    pub language: String,
    pub sms_consent: bool,
    pub email_consent: bool,
}

/// Why the service that holds residents did not answer as asked.
#[derive(Debug, thiserror::Error)]
pub enum ResidentsError {
    /// Too many tries (codes asked for a number, from an address): the
    /// message says so in the caller's language; try again after `wait`.
    #[error("{message}")]
    TooMany {
        message: String,
        wait: std::time::Duration,
    },
    /// The store or the vault failed: try again later.
    #[error("the residents could not be read")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What a service asks of the one that holds residents' identities (the
/// identity service; the binary hands it over): how to reach a resident,
/// and a booking code for a phone number.
#[async_trait]
pub trait Residents: Send + Sync {
    /// `None`: no such resident, or one erased.
    async fn contact(&self, resident: crate::ResidentId)
    -> Result<Option<Contact>, ResidentsError>;

    /// A booking code for `phone`, asked from `client` (an IP address),
    /// within the limits per number and per address.
    async fn issue_booking_code(
        &self,
        phone: &crate::PhoneNumber,
        client: &str,
    ) -> Result<IssuedCode, ResidentsError>;
}
