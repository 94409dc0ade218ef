//! Créneau's event contracts and the value types every service shares.
//!
//! - `proto`: the messages generated from `proto/` (prost), with their proto3
//!   JSON mapping (pbjson). Payloads in the log are that JSON.
//! - `event`: the [`Event`] trait, turning messages into log events and back,
//!   and [`EVENT_TYPES`], the registry of every event message.
//! - `email`: the one check of an email address.
//! - `ids`: typed UUID v7 identifiers.
//! - `ics`: iCalendar text (escaping, folding, times), for feeds and
//!   invitations.
//! - `links`: residents' manage links (a random token, the log keeps its
//!   hash), and the hash of every token.
//! - `mac`: HMAC-SHA256 and constant-time comparison, for every signature.
//! - `phone`: mobile phone numbers, parsed and normalised to E.164.
//! - `party`: who acted on an appointment ([`Party`]), and why it was
//!   cancelled, read from old events' words too.
//! - `reason`: why residents come, with the French words for them.
//! - `time`: Europe/Paris local time, with clock changes refused, not guessed.
//! - `personal`: sealing personal data under per-resident keys, and erasing it.
//! - `acting`: [`Acting`], who does something and in which correlation.
//! - `ports`: traits for what services need from outside (sending an email)
//!   or from the one service that holds a fact (residents, by phone).
//! - `streams`: the stream categories and link shapes services find each
//!   other's facts by.

// The contracts' refusals (a phone, an email, a local time), in the
// caller's language (`messages/fr.ftl`, `messages/en.ftl`).
messages::catalogue!(MESSAGES, "contracts", fr, en, ar);

mod acting;
pub mod email;
mod event;
pub mod ics;
mod ids;
pub mod links;
pub mod mac;
mod party;
pub mod personal;
mod phone;
pub mod ports;
mod reason;
pub mod schema;
pub mod streams;
pub mod time;

/// Generated from `proto/`: one module per package, `proto::<area>::v1`.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    pub mod appointments {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.appointments.v1.rs"));
            include!(concat!(
                env!("OUT_DIR"),
                "/creneau.appointments.v1.serde.rs"
            ));
        }
    }
    pub mod calendar {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.calendar.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.calendar.v1.serde.rs"));
        }
    }
    pub mod common {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.common.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.common.v1.serde.rs"));
        }
    }
    pub mod identity {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.identity.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.identity.v1.serde.rs"));
        }
    }
    pub mod reminders {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.reminders.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.reminders.v1.serde.rs"));
        }
    }
    pub mod residents {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.residents.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.residents.v1.serde.rs"));
        }
    }
    pub mod webhooks {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.webhooks.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.webhooks.v1.serde.rs"));
        }
    }
    pub mod work {
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/creneau.work.v1.rs"));
            include!(concat!(env!("OUT_DIR"), "/creneau.work.v1.serde.rs"));
        }
    }
}

pub use acting::Acting;
pub use event::{ContractError, EVENT_TYPES, Event, EventType, decode_event, to_new_event};
pub use ids::{AppointmentId, ReminderId, ResidentId, RuleId, SiteId, StaffId};
pub use party::{ROLES, parse_role, role_name};
pub use personal::{MasterKey, Revealed, Vault, VaultError};
pub use phone::{PhoneError, PhoneNumber};
pub use proto::appointments::v1::CancelCause;
pub use proto::common::v1::{Language, Party, Reason, Sealed};
pub use proto::identity::v1::Role;
pub use reason::ReasonKind;

/// The language an event names, as the message catalogues speak it
/// (unspecified is French).
impl From<Language> for messages::Language {
    fn from(l: Language) -> Self {
        match l {
            Language::En => messages::Language::En,
            Language::Ar => messages::Language::Ar,
            Language::Fr | Language::Unspecified => messages::Language::Fr,
        }
    }
}

impl From<messages::Language> for Language {
    fn from(l: messages::Language) -> Self {
        match l {
            messages::Language::Fr => Language::Fr,
            messages::Language::En => Language::En,
            messages::Language::Ar => Language::Ar,
        }
    }
}
