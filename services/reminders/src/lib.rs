//! The reminders service: what residents receive by SMS and email about
//! their appointments.
//!
//! - `gsm`: SMS encoding (GSM 03.38 segments, UCS-2), and keeping French
//!   in GSM-7.
//! - `texts`: the messages in French, English and Arabic, fitted into one
//!   SMS segment.

pub mod gsm;
pub mod texts;
