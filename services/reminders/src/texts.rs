//! What the messages say, in the resident's language: French (default),
//! English, Arabic. Plain short words. An SMS is fitted into one segment
//! when the language's script allows it (French and English in GSM-7):
//! first with the practical hint and the address, then without the hint,
//! then without the address, then with the site's name shortened; the
//! manage link is always there.

use chrono::{DateTime, Datelike, Timelike, Utc};
use contracts::{Language, Reason};

use crate::gsm;

/// Which message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Confirmation,
    Reminder,
    Moved,
    Cancelled,
    /// A freed place held from a waiting list.
    Offer,
}

/// What a message speaks of.
#[derive(Debug, Clone)]
pub struct Details<'a> {
    pub starts_at: DateTime<Utc>,
    pub site_name: &'a str,
    pub address: &'a str,
    /// The site's phone for residents, when it has one.
    pub site_phone: Option<&'a str>,
    pub reason: Reason,
    /// The manage link (absent for a cancellation notice).
    pub link: Option<&'a str>,
    /// An offer: held until then.
    pub until: Option<DateTime<Utc>>,
}

messages::catalogue!(MESSAGES, "reminders", fr, en, ar);

fn say(l: Language, id: &str, args: messages::Args<'_>) -> String {
    MESSAGES.say(l, id, args)
}

/// "mar. 03/12", "Tue 03/12": a day without its time.
pub fn day(l: Language, date: chrono::NaiveDate) -> String {
    let weekday = say(
        l,
        &format!("weekday-{}", date.weekday().number_from_monday()),
        &[],
    );
    say(
        l,
        "day",
        &[
            ("weekday", weekday.into()),
            (
                "date",
                format!("{:02}/{:02}", date.day(), date.month()).into(),
            ),
        ],
    )
}

/// "mar. 03/12 à 14h30", "Tue 03/12 at 14:30", in Paris time.
pub fn when(l: Language, t: DateTime<Utc>) -> String {
    let local = contracts::time::to_local(t);
    say(
        l,
        "when",
        &[
            ("day", day(l, local.date_naive()).into()),
            ("time", time(l, local.time()).into()),
        ],
    )
}

/// A time of day as every message and page writes it: "9h30" in French,
/// "9:30" in English and Arabic.
pub fn time(l: Language, t: chrono::NaiveTime) -> String {
    say(
        l,
        "time",
        &[
            ("hour", t.hour().to_string().into()),
            ("minute", format!("{:02}", t.minute()).into()),
        ],
    )
}

/// What to bring, when the reason has a practical hint.
pub fn hint(l: Language, reason: Reason) -> Option<String> {
    let id = match reason {
        Reason::ProcedureCaf => "hint-procedure-caf",
        Reason::ProcedurePrefecture => "hint-procedure-prefecture",
        Reason::ProcedureAnts => "hint-procedure-ants",
        Reason::ProcedureFranceTravail => "hint-procedure-france-travail",
        Reason::ProcedureTaxes => "hint-procedure-taxes",
        Reason::ProcedureHealthInsurance => "hint-procedure-health-insurance",
        Reason::Smartphone => "hint-smartphone",
        Reason::Email => "hint-email",
        _ => return None,
    };
    Some(say(l, id, &[]))
}

/// Whether the language is written in GSM-7 (and so can be fitted).
fn gsm_script(l: Language) -> bool {
    l != Language::Ar
}

/// The text of an SMS, before fitting.
fn sms_parts(kind: Kind, l: Language, d: &Details<'_>, place: &str, hint: Option<&str>) -> String {
    let when = when(l, d.starts_at);
    let link = d.link.unwrap_or_default();
    let hint = hint.map(|h| format!(" {h}")).unwrap_or_default();
    let id = match kind {
        Kind::Confirmation => "sms-confirmation",
        Kind::Reminder => "sms-reminder",
        Kind::Moved => "sms-moved",
        Kind::Offer => {
            let until = d.until.map_or_else(String::new, |u| {
                time(l, contracts::time::to_local(u).time())
            });
            return say(
                l,
                "sms-offer",
                &[
                    ("when", when.into()),
                    ("place", place.into()),
                    ("until", until.into()),
                    ("link", link.into()),
                ],
            );
        }
        Kind::Cancelled => {
            return match d.site_phone {
                Some(p) => say(
                    l,
                    "sms-cancelled-call",
                    &[
                        ("when", when.into()),
                        ("place", place.into()),
                        ("phone", p.into()),
                    ],
                ),
                None => say(
                    l,
                    "sms-cancelled",
                    &[("when", when.into()), ("place", place.into())],
                ),
            };
        }
    };
    say(
        l,
        id,
        &[
            ("when", when.into()),
            ("place", place.into()),
            ("hint", hint.into()),
            ("link", link.into()),
        ],
    )
}

/// The SMS for `kind`, in one segment where the script allows.
pub fn sms(kind: Kind, l: Language, d: &Details<'_>) -> String {
    let fit = |text: String| {
        if gsm_script(l) {
            gsm::fit_gsm(&text)
        } else {
            text
        }
    };
    let with_address = format!("{}, {}", d.site_name, d.address);
    let hint = hint(l, d.reason);
    let mut candidates = vec![
        (with_address.clone(), hint.as_deref()),
        (with_address, None),
        (d.site_name.to_owned(), hint.as_deref()),
        (d.site_name.to_owned(), None),
    ];
    if kind == Kind::Cancelled {
        candidates.retain(|(_, h)| h.is_none());
    }
    let mut last = String::new();
    for (place, hint) in candidates {
        let text = fit(sms_parts(kind, l, d, &place, hint));
        if gsm::cost(&text).segments == 1 {
            return text;
        }
        last = text;
    }
    if !gsm_script(l) {
        return last;
    }
    // Shorten the site's name until the text fits (or nothing is left).
    let mut name: Vec<char> = d.site_name.chars().collect();
    while !name.is_empty() {
        name.pop();
        let place = format!("{}.", name.iter().collect::<String>().trim_end());
        let text = fit(sms_parts(kind, l, d, &place, None));
        if gsm::cost(&text).segments == 1 {
            return text;
        }
        last = text;
    }
    last
}

/// The SMS that carries a booking code.
pub fn code_sms(l: Language, code: &str) -> String {
    let text = say(l, "sms-code", &[("code", code.into())]);
    if gsm_script(l) {
        gsm::fit_gsm(&text)
    } else {
        text
    }
}

/// An email's subject and plain-text body.
pub fn email(kind: Kind, l: Language, d: &Details<'_>) -> (String, String) {
    let when = when(l, d.starts_at);
    let place = format!("{}, {}", d.site_name, d.address);
    let subject = say(
        l,
        match kind {
            Kind::Confirmation => "email-subject-confirmation",
            Kind::Reminder => "email-subject-reminder",
            Kind::Moved => "email-subject-moved",
            Kind::Cancelled => "email-subject-cancelled",
            Kind::Offer => "email-subject-offer",
        },
        &[("when", when.clone().into())],
    );
    let body = if kind == Kind::Cancelled {
        say(
            l,
            "email-body-cancelled",
            &[
                ("when", when.into()),
                ("place", place.into()),
                ("phone", d.site_phone.unwrap_or_default().into()),
            ],
        )
    } else {
        let hint = hint(l, d.reason)
            .map(|h| format!("\n{h}\n"))
            .unwrap_or_default();
        say(
            l,
            "email-body",
            &[
                ("when", when.into()),
                ("place", place.into()),
                ("hint", hint.into()),
                ("link", d.link.unwrap_or_default().into()),
            ],
        )
    };
    (subject, format!("{body}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(link: &'static str) -> Details<'static> {
        Details {
            starts_at: "2026-12-01T13:30:00Z".parse().expect("time"),
            site_name: "Espace numérique des Tilleuls",
            address: "12 rue des Tilleuls, 69008 Lyon",
            site_phone: Some("04 72 00 00 00"),
            reason: Reason::ProcedureCaf,
            link: Some(link),
            until: Some("2026-11-30T11:15:00Z".parse().expect("time")),
        }
    }

    const LINK: &str = "https://rdv.ville.fr/r/AbCdEfGhIjKlMnOpQr-_";

    #[test]
    fn french_and_english_messages_fit_one_gsm_segment_with_a_real_site_and_link() {
        for l in [Language::Fr, Language::En] {
            for kind in [
                Kind::Confirmation,
                Kind::Reminder,
                Kind::Moved,
                Kind::Cancelled,
                Kind::Offer,
            ] {
                let text = sms(kind, l, &details(LINK));
                let cost = gsm::cost(&text);
                assert_eq!(cost.encoding, gsm::Encoding::Gsm7, "{text}");
                assert_eq!(
                    cost.segments, 1,
                    "{l:?} {kind:?}: {text} ({} septets)",
                    cost.units
                );
                if kind != Kind::Cancelled {
                    assert!(text.ends_with(LINK), "{text}");
                }
                assert!(text.contains("01/12"), "{text}");
            }
        }
        let fr = sms(Kind::Reminder, Language::Fr, &details(LINK));
        assert!(fr.contains("mar. 01/12 à 14h30"), "Paris time: {fr}");
        let offer = sms(Kind::Offer, Language::Fr, &details(LINK));
        assert!(
            offer.contains("jusqu'à 12h15"),
            "held until, Paris time: {offer}"
        );
        assert!(fr.contains("Tilleuls"), "{fr}");
    }

    #[test]
    fn a_very_long_site_name_is_shortened_and_the_link_kept() {
        let mut d = details(LINK);
        d.site_name = "Centre social et culturel municipal Jean-Baptiste Poquelin dit Molière, annexe des Hauts-de-Seine";
        let text = sms(Kind::Confirmation, Language::Fr, &d);
        assert_eq!(gsm::cost(&text).segments, 1, "{text}");
        assert!(text.ends_with(LINK));
    }

    #[test]
    fn arabic_is_written_in_arabic() {
        let text = sms(Kind::Reminder, Language::Ar, &details(LINK));
        assert!(text.contains("تذكير"), "{text}");
        assert!(text.contains("14:30"), "{text}");
        assert_eq!(gsm::cost(&text).encoding, gsm::Encoding::Ucs2);
    }

    #[test]
    fn emails_keep_their_blank_lines() {
        let (_, body) = email(Kind::Confirmation, Language::Fr, &details(LINK));
        assert!(
            body.starts_with("Bonjour,\n\nVotre rendez-vous : mar. 01/12 à 14h30\n"),
            "{body:?}"
        );
        assert!(
            body.contains("\n\nApportez vos codes CAF.\n\nPour le déplacer"),
            "{body:?}"
        );
        let (_, cancelled) = email(Kind::Cancelled, Language::En, &details(LINK));
        assert!(
            cancelled.contains("call 04 72 00 00 00 or book online.\n"),
            "{cancelled:?}"
        );
    }

    #[test]
    fn emails_carry_the_hint_and_the_link() {
        let (subject, body) = email(Kind::Confirmation, Language::Fr, &details(LINK));
        assert!(subject.starts_with("Rendez-vous confirmé"), "{subject}");
        assert!(body.contains("codes CAF") && body.contains(LINK), "{body}");
    }
}
