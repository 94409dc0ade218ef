//! When a permanence rule happens: a cron expression read in Europe/Paris
//! wall-clock time, or one date and time.
//!
//! The expression is evaluated on local dates and times, with no time zone
//! at all, and each start is then turned into an instant with
//! `contracts::time::to_utc`; so a 09:00 permanence is at 09:00 on both
//! sides of a clock change. Clock changes in Paris happen between 02:00 and
//! 03:00: a permanence must start at 06:00 or later and end by midnight the
//! same day, so neither its start nor its end can fall in a skipped or
//! repeated hour. That is the documented rule; anything else is refused
//! when the rule is written.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::error::Invalid;

/// Earliest start: after any clock change of the night.
pub const EARLIEST_START: NaiveTime = match NaiveTime::from_hms_opt(6, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};
/// More than this many occurrences a year is not a half-day permanence.
const MAX_PER_YEAR: usize = 800;

/// A weekly (or other) recurrence, in local time.
#[derive(Debug, Clone)]
pub struct Recurrence {
    text: String,
    schedule: cron::Schedule,
}

impl PartialEq for Recurrence {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// How to write a rule, said after what was wrong with one.
fn cron_help() -> String {
    messages::say!(crate::MESSAGES, "write-five-fields-minute-hour")
}

impl Recurrence {
    /// Reads a five-field expression (minute hour day-of-month month
    /// day-of-week). Days of the week must be names (MON…SUN): numbers mean
    /// different days to different cron dialects.
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let fields: Vec<&str> = text.split(' ').collect();
        if fields.len() != 5 {
            return Err(Invalid::new(
                "cron",
                messages::say!(
                    crate::MESSAGES,
                    "has-fields",
                    text = format!("{:?}", text),
                    fields = fields.len(),
                    help = cron_help()
                ),
            ));
        }
        if fields[4].chars().any(|c| c.is_ascii_digit()) {
            return Err(Invalid::new(
                "cron",
                messages::say!(
                    crate::MESSAGES,
                    "day-of-week-uses-numbers",
                    field = format!("{:?}", fields[4])
                ),
            ));
        }
        let schedule =
            cron::Schedule::from_str(&format!("0 {}", text.to_uppercase())).map_err(|e| {
                Invalid::new(
                    "cron",
                    messages::say!(
                        crate::MESSAGES,
                        "is-not-cron-expression",
                        text = format!("{:?}", text),
                        why = e,
                        help = cron_help()
                    ),
                )
            })?;
        Ok(Recurrence {
            text: text.to_uppercase(),
            schedule,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Local start times on the dates `from..=to`.
    pub fn starts(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDateTime> {
        // UTC stands for "no time zone": the schedule walks wall-clock time.
        let Some(before) = from
            .and_time(NaiveTime::MIN)
            .checked_sub_signed(Duration::seconds(1))
        else {
            return Vec::new();
        };
        let start = Utc.from_utc_datetime(&before);
        self.schedule
            .after(&start)
            .map(|t: DateTime<Utc>| t.naive_utc())
            .take_while(|t| t.date() <= to)
            .take(MAX_PER_YEAR * 2)
            .collect()
    }
}

/// When a rule's permanences happen.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    Recurring(Box<Recurrence>),
    /// One extra permanence, at this local date and time.
    Once(NaiveDateTime),
}

impl When {
    pub fn starts(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDateTime> {
        match self {
            When::Recurring(r) => r.starts(from, to),
            When::Once(t) if t.date() >= from && t.date() <= to => vec![*t],
            When::Once(_) => Vec::new(),
        }
    }

    /// Checks that every start of the coming year, `minutes` long, stays
    /// within one day from 06:00, and that the rule happens at all.
    pub fn check(&self, from: NaiveDate, minutes: u32) -> Result<(), Invalid> {
        if !(30..=12 * 60).contains(&minutes) {
            return Err(Invalid::new(
                "duration_minutes",
                messages::say!(
                    crate::MESSAGES,
                    "minutes-permanence-lasts-30-to",
                    minutes = minutes
                ),
            ));
        }
        let year = from
            .checked_add_days(chrono::Days::new(366))
            .unwrap_or(from);
        let starts = match self {
            When::Once(t) => vec![*t],
            When::Recurring(r) => r.starts(from, year),
        };
        let field = match self {
            When::Recurring(_) => "cron",
            When::Once(_) => "once_at",
        };
        if starts.is_empty() {
            return Err(Invalid::new(
                field,
                messages::say!(crate::MESSAGES, "this-never-happens-in-coming"),
            ));
        }
        if starts.len() > MAX_PER_YEAR {
            return Err(Invalid::new(
                field,
                messages::say!(
                    crate::MESSAGES,
                    "this-happens-times-year-permanence",
                    starts = starts.len()
                ),
            ));
        }
        for s in starts {
            let end = s + Duration::minutes(i64::from(minutes));
            if s.time() < EARLIEST_START || end.date() != s.date() {
                return Err(Invalid::new(
                    field,
                    messages::say!(
                        crate::MESSAGES,
                        "permanence-at-lasting-minutes-permanences",
                        start = s.format("%H:%M"),
                        minutes = minutes
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn tuesdays_at_nine_stay_at_nine_in_local_time_across_both_clock_changes() {
        let r = Recurrence::parse("0 9 * * TUE").expect("cron");
        let starts = r.starts(date(2026, 3, 20), date(2026, 11, 5));
        assert!(
            starts
                .iter()
                .all(|t| t.format("%a %H:%M").to_string() == "Tue 09:00")
        );
        // Either side of 29 March and 25 October 2026.
        for (day, utc_hour) in [((3, 24), 8), ((3, 31), 7), ((10, 20), 7), ((10, 27), 8)] {
            let local = date(2026, day.0, day.1).and_hms_opt(9, 0, 0).expect("time");
            assert!(starts.contains(&local));
            let utc = contracts::time::to_utc(local).expect("exists");
            assert_eq!(
                utc.format("%H").to_string(),
                format!("{utc_hour:02}"),
                "{local}"
            );
        }
    }

    #[test]
    fn a_recurrence_runs_over_the_year_boundary() {
        let r = Recurrence::parse("30 13 * * MON,THU").expect("cron");
        let starts = r.starts(date(2026, 12, 28), date(2027, 1, 8));
        let days: Vec<String> = starts
            .iter()
            .map(|t| t.format("%m-%d %H:%M").to_string())
            .collect();
        assert_eq!(
            days,
            ["12-28 13:30", "12-31 13:30", "01-04 13:30", "01-07 13:30"]
        );
    }

    #[test]
    fn bad_expressions_say_what_to_write() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        for (bad, words) in [
            ("0 9 * *", "5 fields"),
            ("0 9 * * 2", "day names"),
            ("0 25 * * TUE", "not a cron expression"),
            ("nonsense here a b c", "not a cron expression"),
        ] {
            let e = Recurrence::parse(bad).unwrap_err();
            assert_eq!(e.field, "cron");
            assert!(
                e.message.contains(words) || e.message.contains("fields"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn night_or_overlong_permanences_are_refused_with_the_rule() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        let from = date(2026, 1, 1);
        let at = |text: &str| When::Recurring(Box::new(Recurrence::parse(text).expect("cron")));
        let e = at("30 2 * * SUN").check(from, 120).unwrap_err();
        assert!(e.message.contains("06:00"), "{}", e.message);
        let e = at("0 22 * * FRI").check(from, 180).unwrap_err();
        assert!(e.message.contains("midnight"), "{}", e.message);
        let e = at("* 9 * * *").check(from, 60).unwrap_err();
        assert!(e.message.contains("half-day"), "{}", e.message);
        let e = at("0 9 30 2 *").check(from, 60).unwrap_err();
        assert!(e.message.contains("never happens"), "{}", e.message);
        assert_eq!(
            at("0 9 * * TUE").check(from, 10).unwrap_err().field,
            "duration_minutes"
        );
        at("0 9 * * TUE").check(from, 210).expect("a morning");
    }
}
