//! Local time: everything a person sees or schedules is Europe/Paris time;
//! everything stored is UTC. A local time that does not exist (the spring
//! clock change skips 02:00–03:00) or exists twice (the autumn one repeats
//! 02:00–03:00) is refused with the reason, never silently shifted.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The time zone of every site.
pub const PARIS: Tz = chrono_tz::Europe::Paris;

/// Why a local time has no single instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    #[error("{}", messages::say!(crate::MESSAGES, "time-skipped", time = .0))]
    Skipped(NaiveDateTime),
    #[error("{}", messages::say!(crate::MESSAGES, "time-twice", time = .0))]
    Repeated(NaiveDateTime),
}

/// The instant of a Paris wall-clock time.
pub fn to_utc(local: NaiveDateTime) -> Result<DateTime<Utc>, LocalTimeError> {
    match PARIS.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(LocalTimeError::Skipped(local)),
        LocalResult::Ambiguous(..) => Err(LocalTimeError::Repeated(local)),
    }
}

/// An instant on Paris clocks.
pub fn to_local(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&PARIS)
}

/// The Paris date of an instant.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    to_local(t).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    fn at(d: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(d, "%Y-%m-%d %H:%M").expect("date")
    }

    #[test]
    fn nine_o_clock_stays_nine_o_clock_across_both_clock_changes() {
        // Winter: UTC+1; summer: UTC+2.
        assert_eq!(to_utc(at("2026-03-28 09:00")).expect("t").hour(), 8);
        assert_eq!(to_utc(at("2026-03-30 09:00")).expect("t").hour(), 7);
        assert_eq!(to_utc(at("2026-10-24 09:00")).expect("t").hour(), 7);
        assert_eq!(to_utc(at("2026-10-26 09:00")).expect("t").hour(), 8);
        for d in ["2026-03-28 09:00", "2026-03-30 09:00", "2026-10-26 09:00"] {
            assert_eq!(to_local(to_utc(at(d)).expect("t")).naive_local(), at(d));
        }
    }

    #[test]
    fn refuses_the_skipped_and_the_repeated_hour() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        assert_eq!(
            to_utc(at("2026-03-29 02:30")),
            Err(LocalTimeError::Skipped(at("2026-03-29 02:30")))
        );
        assert_eq!(
            to_utc(at("2026-10-25 02:30")),
            Err(LocalTimeError::Repeated(at("2026-10-25 02:30")))
        );
        assert!(
            to_utc(at("2026-10-25 02:30"))
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn a_late_evening_in_utc_can_be_the_next_day_in_paris() {
        let t = Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 30, 0)
            .single()
            .expect("t");
        assert_eq!(
            local_date(t),
            NaiveDate::from_ymd_opt(2027, 1, 1).expect("d")
        );
    }
}
