//! Webhooks: a staff member subscribes a URL to kinds of events (an
//! appointment booked, moved, cancelled, missed; a workshop enrolment; a
//! visit recorded; a drop-in visitor served; a reminder that failed), and
//! the lease holder among the processes delivers each one from the log:
//! in log order per subscription (so in order per appointment), at least
//! once, each with its event id, signed with HMAC-SHA256. A receiver that
//! fails is tried again with a growing delay; after a day of failures the
//! subscription pauses and its owner sees why on the staff pages.
//!
//! Everything that must hold across processes is in the log: the
//! subscriptions, and for each the deliveries made (its delivery log and
//! where the next starts). Payloads are built when they are sent, from the
//! event and this service's own fold of the log, so that an erasure takes
//! the resident's details out of deliveries still pending.

messages::catalogue!(MESSAGES, "webhooks", fr, en);

mod deliver;
mod error;
mod http;
mod kinds;
mod model;
mod sign;

pub use deliver::{
    BACKOFF, Envelope, NewSubscription, PAUSE_AFTER, ResidentShown, TIMEOUT, Webhooks, backoff,
    openapi_webhooks,
};
pub use error::WebhookError;
pub use http::routes;
pub use kinds::Kind;
pub use model::{Delivery, Paused, Subscription};
pub use sign::{SIGNATURE_HEADER, sign, verify};

/// The lease of the deliveries: one process delivers at a time.
pub const LEASE_WORK: &str = "webhooks";

/// The stream category of subscriptions: `webhook-<subscription id>`.
pub const CATEGORY: &str = "webhook";
