//! The calendar: where and when help is offered.
//!
//! - `schedule`: recurrences (cron, five fields) and one-off times, in
//!   Europe/Paris wall-clock time, with the rule that keeps them away from
//!   clock changes.
//! - `holidays`: French public holidays for any year.
//! - `model`: the read model folded from the `site-*` and `permanence-*`
//!   streams, and the checks of a rule.
//! - `service`: [`Calendar`], its commands and queries (permanences, slots).
//! - `ics`: iCalendar feeds per site and per staff member.
//! - `http`: the routes, each declared with its access rule.
//!
//! Invariant: owns the `site-*` and `permanence-*` streams and reads no
//! other; knows staff only by id.

// The calendar service's messages (`messages/fr.ftl`, `messages/en.ftl`):
// every refusal it answers says it in the caller's language.
messages::catalogue!(MESSAGES, "calendar", fr, en);

mod error;
pub mod holidays;
mod http;
mod ics;
mod model;
pub mod schedule;
mod service;

pub use error::{CalendarError, Invalid};
pub use http::routes;
pub use ics::{escape as ics_escape, feed_token, fold as ics_fold, ics, stamp as ics_stamp};
pub use model::{Model, RuleSpec, RuleView, SiteView, check_rule, parse_day};
pub use service::{
    Calendar, MAX_RANGE_DAYS, Permanence, Slot, Status, parse_permanence_id, permanence_id,
};
