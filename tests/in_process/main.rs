//! Requests through the whole router, in process, each suite on its own
//! throw-away store and the app's clock set to a chosen day (see
//! `creneau_tests::test_now`): identity and access, the security probe,
//! the calendar, booking, reminders over real HTTP and SMTP, statistics,
//! the event contracts, and the HTTP server's own behaviour.

mod access;
mod appointments;
mod calendar;
mod codebase;
mod events;
mod http;
mod leases;
mod reminders;
mod security;
mod stats;
mod waitlists;
mod webhooks;
mod workshops;
