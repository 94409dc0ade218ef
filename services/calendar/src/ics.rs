//! iCalendar feeds (RFC 5545), read-only, so that mediators see their
//! permanences in their phone's calendar. The link carries a token: an HMAC
//! of the feed's name under a key derived from the master key.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use timetable::{Permanence, Status};

/// The token of the feed `kind`/`id` (`site`/`staff` and an id): base64url
/// HMAC-SHA256, 43 characters.
pub fn feed_token(key: &[u8; 32], kind: &str, id: &str) -> String {
    api::sign(key, &format!("ics|{kind}|{id}"))
}

pub use contracts::ics::{escape, fold, stamp};

/// A calendar named `name` with one event per permanence; closed ones are
/// marked cancelled, with the reason.
pub fn ics(
    name: &str,
    permanences: &[Permanence],
    addresses: &dyn Fn(&Permanence) -> String,
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Créneau//permanences//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        fold(line, &mut out);
    }
    fold(&format!("X-WR-CALNAME:{}", escape(name)), &mut out);
    let now = stamp(now);
    for p in permanences {
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@creneau", p.permanence_id),
            format!("DTSTAMP:{now}"),
            format!("DTSTART:{}", stamp(p.starts_at)),
            format!("DTEND:{}", stamp(p.ends_at)),
        ];
        let title = if p.label.is_empty() {
            format!("Permanence — {}", p.site_name)
        } else {
            format!("{} — {}", p.label, p.site_name)
        };
        let mut description = String::new();
        if p.drop_in {
            description.push_str("Accès libre accompagné. ");
        }
        if p.appointments {
            let _ = write!(
                description,
                "Rendez-vous individuels ({} min).",
                p.appointment_minutes
            );
        }
        match &p.status {
            Status::Open => {
                lines.push(format!("SUMMARY:{}", escape(&title)));
                lines.push("STATUS:CONFIRMED".into());
            }
            Status::Closed { reason } => {
                lines.push(format!("SUMMARY:{}", escape(&format!("Fermé : {title}"))));
                lines.push("STATUS:CANCELLED".into());
                let _ = write!(description, " Fermé : {reason}.");
            }
        }
        lines.push(format!("DESCRIPTION:{}", escape(description.trim())));
        lines.push(format!("LOCATION:{}", escape(&addresses(p))));
        lines.push("END:VEVENT".into());
        for l in lines {
            fold(&l, &mut out);
        }
    }
    fold("END:VCALENDAR", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_folded_within_75_octets_without_splitting_a_character() {
        let mut out = String::new();
        fold(&format!("DESCRIPTION:{}", "é".repeat(80)), &mut out);
        for line in out.split("\r\n") {
            assert!(line.len() <= 75, "{line}");
        }
        assert_eq!(
            out.replace("\r\n ", "").trim_end(),
            format!("DESCRIPTION:{}", "é".repeat(80))
        );
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
    }
}
