//! Where time comes from. Every decision, sweep, handler and event reads
//! the time from a [`Clock`] it was given: the system's in production, one
//! a test sets (to Christmas Eve, to the night of a clock change) in tests.
//! This module is the only place that reads the system's wall clock.

use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};

/// Now, as the holder decides with it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The wall clock for the store's own bookkeeping (when a checkpoint or a
/// key row was written): never for a decision, which takes a [`Clock`].
pub(crate) fn bookkeeping_now() -> DateTime<Utc> {
    SystemClock.now()
}

/// A clock that stands still until it is set or moved.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(ManualClock(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        // A poisoned lock still holds the last time set.
        match self.0.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// A clock that starts at a chosen instant and runs at the speed of real
/// time from there (measured on the monotonic clock): a test's day that
/// goes on as the test runs, whatever today's date is.
#[derive(Debug)]
pub struct RunningClock {
    start: DateTime<Utc>,
    since: Instant,
}

impl RunningClock {
    pub fn new(start: DateTime<Utc>) -> std::sync::Arc<Self> {
        std::sync::Arc::new(RunningClock {
            start,
            since: Instant::now(),
        })
    }
}

impl Clock for RunningClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = chrono::Duration::from_std(self.since.elapsed()).unwrap_or_default();
        self.start + elapsed
    }
}

/// A clock `offset` away from another (the `debug` helpers that play a
/// process running late or early).
pub struct ShiftedClock<C: Clock> {
    pub clock: C,
    pub offset: chrono::Duration,
}

impl<C: Clock> Clock for ShiftedClock<C> {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now() + self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let c = ManualClock::new(at);
        assert_eq!(c.now(), at);
        c.advance(chrono::Duration::minutes(5));
        assert_eq!(c.now(), at + chrono::Duration::minutes(5));
    }

    #[test]
    fn a_running_clock_starts_where_it_is_told_and_goes_on() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        let c = RunningClock::new(at);
        let first = c.now();
        assert!(first >= at && first - at < chrono::Duration::seconds(5));
        assert!(c.now() >= first);
    }
}
