//! The calendar: where and when help is offered.
//!
//! - the schedule itself (recurrences, public holidays, the read model
//!   folded from the `site-*` and `permanence-*` streams, the checks of a
//!   rule, permanences and slots) is the pure library `timetable`, which
//!   appointments folds the same; re-exported here.
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
mod http;
mod ics;
mod service;

pub use error::CalendarError;
pub use http::routes;
pub use ics::{escape as ics_escape, feed_token, fold as ics_fold, ics, stamp as ics_stamp};
pub use service::Calendar;
pub use timetable::{
    Invalid, MAX_RANGE_DAYS, Model, Permanence, RuleSpec, RuleView, SiteView, Slot, Status,
    WORKSHOP_PLACES, Workshop, check_rule, holidays, level_name, level_of, parse_day,
    parse_permanence_id, permanence_id, schedule,
};
