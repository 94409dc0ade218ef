//! The names every service may use to find another's facts in the log:
//! stream categories and the shape of the links residents receive. A
//! service reads another's events through these and the messages of
//! `proto/`, never through the other service's crate.

/// The permanences' booking streams, `booking-<rule id>_<date>`: every
/// appointment event, with its manage link.
pub const BOOKING: &str = "booking";

/// The drop-in queues, `dropin-<rule id>_<date>`.
pub const DROP_IN: &str = "dropin";

/// The waiting lists, `waitlist-<site id>_<reason code>` (appointments) or
/// `waitlist-<rule id>` (a workshop).
pub const WAITLIST: &str = "waitlist";

/// The page a manage link opens: `<public url>/r/<token>`. The web serves
/// it; the appointments API answers it after a booking; reminders put it
/// in their messages.
pub fn manage_url(public_url: &str, token: &str) -> String {
    format!("{}/r/{token}", public_url.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_manage_link_is_the_page_under_the_public_address() {
        assert_eq!(
            super::manage_url("https://rdv.ville.fr/", "AbC"),
            "https://rdv.ville.fr/r/AbC"
        );
        assert_eq!(super::manage_url("http://x", "t"), "http://x/r/t");
    }
}
