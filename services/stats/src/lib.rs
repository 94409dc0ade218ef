//! The statistics service: attendance, requests and waiting times per
//! permanence, summed per site, week, month and year, from the event log.
//!
//! - `fold`: the pure fold of appointment, drop-in and reminder events into
//!   per-permanence raw figures.
//! - `figures`: sums, medians and percentiles, and CSV for spreadsheets.
//! - `charts`: bar charts as SVG, described in words for screen readers.
//! - `service`: the fold kept in memory and caught up from the log.
//! - `http`: `GET /api/v1/stats`, `/api/v1/stats.csv` and
//!   `/api/v1/stats/charts/{chart}` for coordinators.
//!
//! Invariant: reads events only; writes nothing to the log.

// The stats service's messages (`messages/fr.ftl`, `messages/en.ftl`):
// every refusal it answers says it in the caller's language.
messages::catalogue!(MESSAGES, "stats", fr, en);

pub mod activity;
pub mod charts;
mod error;
pub mod figures;
pub mod fold;
mod http;
pub mod service;

pub use error::StatsError;
pub use figures::{By, Figures};
pub use http::{READERS, allowed_query, routes};
pub use service::{Query, Row, Stats, Table};
