//! The reminders service: what residents receive by SMS (and, later, email)
//! about their appointments: a confirmation, reminders before, notices of a
//! move or a cancellation.
//!
//! - `gsm`: SMS encoding (GSM 03.38 segments, UCS-2), and keeping French
//!   in GSM-7.
//! - `texts`: the messages in French, English and Arabic, fitted into one
//!   SMS segment.
//! - `timing`: when a message goes (never at night, never late), backoff.
//! - `sms`: the SMS providers' HTTP APIs (generic JSON webhook, Brevo).
//! - `email`: SMTP (lettre), with an iCalendar invitation per message.
//! - `model`: what the service folds from the log.
//! - `service`: the scheduler (reacting to appointment events, with its
//!   checkpoint) and the dispatcher (lease, attempts, look-ups, retries).
//! - `http`: delivery reports, and what reception sees of failed messages.
//!
//! Invariant: reacts to events only; never writes to another service's
//! streams. A message is never sent twice where the provider can be asked
//! about an earlier attempt.

// The reminders service's refusals over the API (`messages/errors/fr.ftl`, `en.ftl`),
// in the caller's language.
messages::catalogue!(ERRORS, "reminders-errors", "errors", fr, en, ar);

pub mod email;
mod error;
pub mod gsm;
mod http;
pub mod model;
pub mod service;
pub mod sms;
pub mod texts;
pub mod timing;

pub use error::ReminderError;
pub use http::{routes, send_booking_code};
pub use service::{
    Clock, LEASE_WORK, ManualClock, ReminderView, Reminders, Round, Senders, Settings,
    SiteSettings, SystemClock, valid_sender,
};
