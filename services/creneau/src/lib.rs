//! The `creneau` binary's library: what `main` wires together, public so
//! that tests can drive the router and the commands in-process.
//!
//! - `cli`: the command line, and `run`, which carries out a command.
//! - `config`: flags, environment and TOML file, validated into `Config`.
//! - `check`: `config check`, and what `serve` refuses before it starts.
//! - `setup`: opening the store and the vault from a `Config`.
//! - `server`: the router (`app`), middleware, errors, graceful shutdown,
//!   and `/readyz`, which says how far each service is behind the log.
//! - `services`: the `--services` list of a `serve` process.
//! - `metrics`: the counters behind `/metrics`.
//! - `events`: `events tail` and `events stats`.
//! - `admin`: `admin create`, `audit`, `residents erase|export`, the
//!   retention job and the no-show sweep that `serve` runs.
//! - `bench`: `bench eventlog|identity|calendar`; `bench_booking`: `bench booking`;
//!   `bench_reminders`: `bench reminders`; `bench_stats`: `bench stats`.
//! - `demo`: the demo data of `creneau demo` and `serve --demo`.
//! - `debug`: hidden helpers for fault-injection tests.
//! - `simulate`: `creneau simulate`, a realistic year through the handlers.

// The creneau service's messages (`messages/fr.ftl`, `messages/en.ftl`):
// every refusal it answers says it in the caller's language.
messages::catalogue!(MESSAGES, "creneau", fr, en);

pub mod admin;
pub mod bench;
pub mod bench_booking;
pub mod bench_reminders;
pub mod bench_stats;
pub mod bench_waitlist;
pub mod bench_webhooks;
pub mod check;
pub mod cli;
pub mod config;
pub mod debug;
pub mod demo;
pub mod events;
pub mod metrics;
pub mod server;
pub mod services;
pub mod setup;
pub mod simulate;
