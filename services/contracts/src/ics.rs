//! iCalendar (RFC 5545) text: what the calendar's feeds and the reminders'
//! email invitations both write, in one place.

use chrono::{DateTime, Utc};

/// A text value escaped for iCalendar.
pub fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets, on character boundaries.
pub fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// A UTC time in iCalendar's form.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// One appointment as an iCalendar event.
pub struct Appointment<'a> {
    /// The appointment id: the event's UID is `<id>@creneau`, the same in
    /// an emailed invitation and a downloaded file.
    pub id: &'a str,
    /// Raised at every change, so that calendars replace the event.
    pub sequence: u32,
    /// When this text is written (DTSTAMP).
    pub stamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
}

/// A calendar holding `a`: `method` (REQUEST, CANCEL, PUBLISH), then
/// `people` (ORGANIZER and ATTENDEE lines, already written) in the event;
/// `cancelled` marks it so.
pub fn appointment(
    a: &Appointment<'_>,
    method: &str,
    people: &[String],
    cancelled: bool,
) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Créneau//rendez-vous//FR".to_owned(),
        format!("METHOD:{method}"),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@creneau", a.id),
        format!("SEQUENCE:{}", a.sequence),
        format!("DTSTAMP:{}", stamp(a.stamp)),
        format!("DTSTART:{}", stamp(a.starts_at)),
        format!("DTEND:{}", stamp(a.ends_at)),
        format!("SUMMARY:{}", escape(a.summary)),
        format!("LOCATION:{}", escape(a.location)),
        format!("DESCRIPTION:{}", escape(a.description)),
    ];
    lines.extend(people.iter().cloned());
    lines.extend([
        format!(
            "STATUS:{}",
            if cancelled { "CANCELLED" } else { "CONFIRMED" }
        ),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ]);
    let mut out = String::new();
    for line in lines {
        fold(&line, &mut out);
    }
    out
}
