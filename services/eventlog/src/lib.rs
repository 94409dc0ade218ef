//! The event log of Créneau: one append-only log of events, with optimistic
//! concurrency per stream, reads by stream or over everything, live
//! subscriptions that never skip an event, named checkpoints, and the key
//! table that makes erasing a person possible.
//!
//! - `clock`: [`Clock`], where every decision reads the time.
//! - `model`: positions, stream names, expected versions, events, filters.
//! - `error`: [`StoreError`] and [`AppendError`].
//! - `store`: the [`EventStore`] trait, [`KeyTable`], [`Subscription`].
//! - `sqlite`: the embedded backend (default).
//! - `postgres`: the PostgreSQL backend, for several processes.
//! - `kurrent`: the KurrentDB backend (cargo feature `kurrentdb`).
//! - `open`: a store from a URL.
//! - `bench`: the benchmark behind `creneau bench eventlog`; `peer`: Message
//!   DB and a bare table beside it, on the same PostgreSQL server.
//!
//! The log knows nothing of what events mean, of HTTP, or of services.

pub mod bench;
mod clock;
mod error;
#[cfg(feature = "kurrentdb")]
pub mod kurrent;
mod model;
mod open;
pub mod peer;
pub mod postgres;
pub mod sqlite;
mod store;

pub use clock::{Clock, ManualClock, RunningClock, ShiftedClock, SystemClock};
pub use error::{AppendError, StoreError, Unreachable};
pub use model::{
    Actor, AppendRequest, AppendResult, ExpectedVersion, Filter, MAX_EVENT_TYPE, MAX_STREAM_NAME,
    Metadata, NewEvent, NewKey, Position, RecordedEvent, StreamName, category_of,
    truncate_to_micros,
};
pub use open::{StoreUrl, open};
pub use store::{
    EventStore, Freshness, KeyTable, ProjectionState, Subscription, Tallies, TallyKey,
    append_in_turn,
};
