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
#[derive(
    Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
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
    /// The language's proto name (`LANGUAGE_FR`, `LANGUAGE_EN`,
    /// `LANGUAGE_AR`): `contracts::Language::from_str_name` reads it.
    pub language: String,
    pub sms_consent: bool,
    pub email_consent: bool,
}

/// A resident as reception or a booking form gives them.
#[derive(Debug, Clone)]
pub struct NewResident {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub language: crate::Language,
    pub sms_consent: bool,
    pub email_consent: bool,
    /// The site whose staff register them (at the desk, on the phone);
    /// `None` when they become known by booking, which names its site.
    pub site: Option<crate::SiteId>,
}

/// A resident's registration made ready by the service that holds
/// residents, not written: the caller appends `append` (a new stream) and
/// stores `key` in the same transaction as what the resident is registered
/// for (`EventStore::append_with`): a booking and its new resident are one
/// commit, and a booking refused leaves no record of a person behind. If
/// that write is refused, the caller's vault forgets the key.
#[derive(Debug, Clone)]
pub struct Registration {
    pub resident: crate::ResidentId,
    pub append: eventlog::AppendRequest,
    pub key: eventlog::NewKey,
}

/// A resident found by reception's search, as staff see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundResident {
    pub id: crate::ResidentId,
    pub name: String,
    /// E.164.
    pub phone: String,
    /// The same phone and a shared name word: perhaps the same person.
    pub possible_duplicates: Vec<crate::ResidentId>,
}

/// Why the service that holds residents did not answer as asked.
#[derive(Debug, thiserror::Error)]
pub enum ResidentsError {
    /// Input that cannot be used (a name, a code), with what to do.
    #[error("{0}")]
    Invalid(String),
    /// A code or a link that does not open what it was given for.
    #[error("{0}")]
    Refused(String),
    /// No such resident, or a link that opens nothing.
    #[error("{0}")]
    NotFound(String),
    /// Someone changed the same resident meanwhile, again and again.
    #[error("{0}")]
    Conflict(String),
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
/// who holds a phone number, registering and forgetting one, booking codes
/// and manage links.
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

    /// The resident registered with `phone` under `name` (another name is
    /// another person: families share a phone).
    async fn resident_named(
        &self,
        phone: &crate::PhoneNumber,
        name: &str,
    ) -> Result<Option<crate::ResidentId>, ResidentsError>;

    /// A resident's registration, checked and sealed, for the caller to
    /// write with what it registers them for (see [`Registration`]).
    async fn register(
        &self,
        acting: &crate::Acting,
        resident: NewResident,
    ) -> Result<Registration, ResidentsError>;

    /// Erases a record registered for a booking that was then refused
    /// (where the store cannot write both in one transaction, or a
    /// workshop series refused after its first place): it holds nothing and
    /// is not kept.
    async fn forget_unbooked(
        &self,
        acting: &crate::Acting,
        resident: crate::ResidentId,
    ) -> Result<(), ResidentsError>;

    /// Takes the booking code `code` typed for `challenge` and `phone`
    /// (once, within its tries); `Invalid` or `Refused` says why not.
    async fn check_booking_code(
        &self,
        challenge: &CodeChallenge,
        phone: &crate::PhoneNumber,
        code: &str,
    ) -> Result<(), ResidentsError>;

    /// Gives a code taken for a booking that failed back, so that the
    /// resident can use it again.
    async fn release_booking_code(&self, challenge: &CodeChallenge);

    /// Whether the manage link `token` opens `appointment`, for a caller
    /// at `client` (failed look-ups are limited per address).
    async fn open_link(
        &self,
        token: &str,
        appointment: crate::AppointmentId,
        client: &str,
    ) -> Result<(), ResidentsError>;
}

/// Reception's search for residents, as `Who` (the signed-in staff member,
/// a type of the HTTP layer) may search: by phone everyone registered with
/// it, by name the residents of their sites; recorded in the audit.
#[async_trait]
pub trait ResidentSearch<Who: Sync>: Send + Sync {
    async fn find(
        &self,
        who: &Who,
        correlation: uuid::Uuid,
        query: &str,
    ) -> Result<Vec<FoundResident>, ResidentsError>;
}
