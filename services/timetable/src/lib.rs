//! The permanence schedule: when and where help is offered, computed the
//! same by every service that needs it (calendar owns the events,
//! appointments books inside the permanences). A pure library: it folds
//! events it is given and reads no store, no clock and no network.
//!
//! - `schedule`: recurrences (cron, five fields) and one-off times, in
//!   Europe/Paris wall-clock time, with the rule that keeps them away from
//!   clock changes.
//! - `holidays`: French public holidays for any year.
//! - `model`: the read model folded from the `site-*` and `permanence-*`
//!   streams, and the checks of a rule.
//! - `permanences`: the queries on that model (permanences, one permanence,
//!   its slots) and the permanence id.

// The schedule's messages (`messages/fr.ftl`, `messages/en.ftl`): a rule
// refused, a permanence not found, said in the caller's language.
messages::catalogue!(MESSAGES, "timetable", fr, en);

mod error;
pub mod holidays;
mod model;
mod permanences;
pub mod schedule;

pub use error::{Invalid, TimetableError, no_rule, no_site};
pub use model::{
    Closure, Model, Offer, RuleSpec, RuleView, SiteView, WORKSHOP_PLACES, Workshop, check_rule,
    level_name, level_of, parse_day,
};
pub use permanences::{
    MAX_RANGE_DAYS, Permanence, Slot, Status, parse_permanence_id, permanence_id,
};
