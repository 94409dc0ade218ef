//! When a message goes out: never at night for an SMS (none between 20:00
//! and 08:00, Paris time), never once the appointment has started.

use chrono::{DateTime, Days, NaiveTime, Timelike, Utc};

/// The first hour an SMS may be sent, and the hour from which none is.
pub const DAY_STARTS: u32 = 8;
pub const NIGHT_STARTS: u32 = 20;

fn at(day: chrono::NaiveDate, h: u32, m: u32) -> Option<DateTime<Utc>> {
    // 08:00 and 19:59 exist every day in Paris (clocks change at 02:00 and
    // 03:00).
    contracts::time::to_utc(day.and_time(NaiveTime::from_hms_opt(h, m, 0)?)).ok()
}

/// Whether an SMS may be sent at `t`.
pub fn daytime(t: DateTime<Utc>) -> bool {
    let h = contracts::time::to_local(t).hour();
    (DAY_STARTS..NIGHT_STARTS).contains(&h)
}

/// A reminder due at `due`, moved out of the night to the last acceptable
/// time before it: 19:59 of the evening before.
pub fn before_night(due: DateTime<Utc>) -> DateTime<Utc> {
    if daytime(due) {
        return due;
    }
    let local = contracts::time::to_local(due);
    let day = if local.hour() >= NIGHT_STARTS {
        local.date_naive()
    } else {
        local.date_naive() - Days::new(1)
    };
    at(day, NIGHT_STARTS - 1, 59).unwrap_or(due)
}

/// A message that should go now (a confirmation, a notice), held until
/// 08:00 when now is night.
pub fn after_night(now: DateTime<Utc>) -> DateTime<Utc> {
    if daytime(now) {
        return now;
    }
    let local = contracts::time::to_local(now);
    let day = if local.hour() >= NIGHT_STARTS {
        local.date_naive() + Days::new(1)
    } else {
        local.date_naive()
    };
    at(day, DAY_STARTS, 0).unwrap_or(now)
}

/// When the reminder `hours` before `starts_at` goes out by SMS, or `None`
/// when that time has passed at `now` (the booking came later) .
pub fn reminder_at(
    starts_at: DateTime<Utc>,
    hours: u32,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let due = before_night(starts_at - chrono::Duration::hours(i64::from(hours)));
    (due > now).then_some(due)
}

/// Backoff before try `attempt + 1` (1-based `attempt`): 30 s doubling up to
/// an hour, with up to 25% jitter so that retries after an outage spread.
pub fn backoff(attempt: u32, jitter: f64) -> chrono::Duration {
    let base = 30i64
        .saturating_mul(1i64 << attempt.saturating_sub(1).min(7))
        .min(3600);
    let spread = (base as f64 * 0.25 * jitter.clamp(0.0, 1.0)) as i64;
    chrono::Duration::seconds(base + spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(text: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("time");
        contracts::time::to_utc(naive).expect("exists")
    }

    #[test]
    fn a_reminder_due_at_night_goes_the_evening_before() {
        assert_eq!(
            before_night(paris("2026-12-03 14:30")),
            paris("2026-12-03 14:30")
        );
        assert_eq!(
            before_night(paris("2026-12-03 07:59")),
            paris("2026-12-02 19:59")
        );
        assert_eq!(
            before_night(paris("2026-12-03 02:00")),
            paris("2026-12-02 19:59")
        );
        assert_eq!(
            before_night(paris("2026-12-03 20:00")),
            paris("2026-12-03 19:59")
        );
        assert_eq!(
            before_night(paris("2026-12-03 08:00")),
            paris("2026-12-03 08:00")
        );
    }

    #[test]
    fn a_confirmation_at_night_waits_for_the_morning() {
        assert_eq!(
            after_night(paris("2026-12-03 23:10")),
            paris("2026-12-04 08:00")
        );
        assert_eq!(
            after_night(paris("2026-12-03 05:10")),
            paris("2026-12-03 08:00")
        );
        assert_eq!(
            after_night(paris("2026-12-03 10:10")),
            paris("2026-12-03 10:10")
        );
    }

    #[test]
    fn forty_eight_hours_before_counts_real_hours_across_the_clock_changes() {
        // The clocks go forward on Sunday 29 March 2026: 48 hours before
        // Monday 30th 09:00 is Saturday 28th 08:00.
        assert_eq!(
            reminder_at(paris("2026-03-30 09:00"), 48, paris("2026-03-01 10:00")),
            Some(paris("2026-03-28 08:00"))
        );
        // They go back on Sunday 25 October: 48 hours before Monday 26th
        // 09:00 is Saturday 24th 10:00.
        assert_eq!(
            reminder_at(paris("2026-10-26 09:00"), 48, paris("2026-10-01 10:00")),
            Some(paris("2026-10-24 10:00"))
        );
        // 48 hours before Monday 30th 08:00 is Saturday 28th 07:00: night,
        // so 19:59 on Friday 27th.
        assert_eq!(
            reminder_at(paris("2026-03-30 08:00"), 48, paris("2026-03-01 10:00")),
            Some(paris("2026-03-27 19:59"))
        );
        assert_eq!(
            reminder_at(paris("2026-03-31 09:00"), 48, paris("2026-03-30 10:00")),
            None,
            "booked after the reminder's time"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_an_hour() {
        assert_eq!(backoff(1, 0.0).num_seconds(), 30);
        assert_eq!(backoff(2, 0.0).num_seconds(), 60);
        assert_eq!(backoff(3, 1.0).num_seconds(), 150);
        assert_eq!(backoff(20, 0.0).num_seconds(), 3600);
    }
}
