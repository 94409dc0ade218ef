//! What the messages say, in the resident's language: French (default),
//! English, Arabic. Plain short words. An SMS is fitted into one segment
//! when the language's script allows it (French and English in GSM-7):
//! first with the practical hint and the address, then without the hint,
//! then without the address, then with the site's name shortened; the
//! manage link is always there.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use contracts::{Language, Reason};

use crate::gsm;

/// Which message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Confirmation,
    Reminder,
    Moved,
    Cancelled,
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
}

fn lang(l: Language) -> Language {
    match l {
        Language::En | Language::Ar => l,
        _ => Language::Fr,
    }
}

fn weekday(l: Language, d: Weekday) -> &'static str {
    let i = d.num_days_from_monday() as usize;
    match lang(l) {
        Language::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
        Language::Ar => [
            "الاثنين",
            "الثلاثاء",
            "الأربعاء",
            "الخميس",
            "الجمعة",
            "السبت",
            "الأحد",
        ][i],
        _ => ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."][i],
    }
}

/// "mar. 03/12", "Tue 03/12": a day without its time.
pub fn day(l: Language, date: chrono::NaiveDate) -> String {
    format!(
        "{} {:02}/{:02}",
        weekday(l, date.weekday()),
        date.day(),
        date.month()
    )
}

/// "mar. 03/12 à 14h30", "Tue 03/12 at 14:30", in Paris time.
pub fn when(l: Language, t: DateTime<Utc>) -> String {
    let local = contracts::time::to_local(t);
    let day = day(l, local.date_naive());
    let (h, min) = (local.hour(), local.minute());
    match lang(l) {
        Language::En => format!("{day} at {h:02}:{min:02}"),
        Language::Ar => format!("{day} الساعة {h:02}:{min:02}"),
        _ => format!("{day} à {h}h{min:02}"),
    }
}

/// What to bring, when the reason has a practical hint.
pub fn hint(l: Language, reason: Reason) -> Option<&'static str> {
    let (fr, en, ar) = match reason {
        Reason::ProcedureCaf => (
            "Apportez vos codes CAF.",
            "Bring your CAF login.",
            "أحضر رموز CAF الخاصة بك.",
        ),
        Reason::ProcedurePrefecture => (
            "Apportez passeport et titre de séjour.",
            "Bring your passport and residence permit.",
            "أحضر جواز السفر وبطاقة الإقامة.",
        ),
        Reason::ProcedureAnts => (
            "Apportez pièce d'identité et photo.",
            "Bring an ID and a photo.",
            "أحضر بطاقة الهوية وصورة.",
        ),
        Reason::ProcedureFranceTravail => (
            "Apportez vos codes France Travail.",
            "Bring your France Travail login.",
            "أحضر رموز France Travail.",
        ),
        Reason::ProcedureTaxes => (
            "Apportez votre avis d'impôt.",
            "Bring your tax notice.",
            "أحضر إشعار الضريبة.",
        ),
        Reason::ProcedureHealthInsurance => (
            "Apportez votre carte Vitale.",
            "Bring your Vitale card.",
            "أحضر بطاقة Vitale.",
        ),
        Reason::Smartphone => (
            "Apportez votre téléphone chargé.",
            "Bring your phone, charged.",
            "أحضر هاتفك مشحونا.",
        ),
        Reason::Email => (
            "Apportez vos codes e-mail.",
            "Bring your email login.",
            "أحضر رموز بريدك الإلكتروني.",
        ),
        _ => return None,
    };
    Some(match lang(l) {
        Language::En => en,
        Language::Ar => ar,
        _ => fr,
    })
}

/// The text of an SMS, before fitting.
fn sms_parts(kind: Kind, l: Language, d: &Details<'_>, place: &str, hint: Option<&str>) -> String {
    let when = when(l, d.starts_at);
    let link = d.link.unwrap_or_default();
    let hint = hint.map(|h| format!(" {h}")).unwrap_or_default();
    match (lang(l), kind) {
        (Language::En, Kind::Confirmation) => {
            format!("Appointment {when}, {place}.{hint} Move or cancel: {link}")
        }
        (Language::En, Kind::Reminder) => {
            format!("Reminder: appointment {when}, {place}.{hint} Move or cancel: {link}")
        }
        (Language::En, Kind::Moved) => {
            format!("Your appointment is now {when}, {place}.{hint} Details: {link}")
        }
        (Language::En, Kind::Cancelled) => match d.site_phone {
            Some(p) => format!("Your appointment {when}, {place} is cancelled. To book again: {p}"),
            None => format!("Your appointment {when}, {place} is cancelled."),
        },
        (Language::Ar, Kind::Confirmation) => {
            format!("موعدك {when}، {place}.{hint} للتغيير أو الإلغاء: {link}")
        }
        (Language::Ar, Kind::Reminder) => {
            format!("تذكير: موعدك {when}، {place}.{hint} للتغيير أو الإلغاء: {link}")
        }
        (Language::Ar, Kind::Moved) => {
            format!("تم تغيير موعدك إلى {when}، {place}.{hint} التفاصيل: {link}")
        }
        (Language::Ar, Kind::Cancelled) => match d.site_phone {
            Some(p) => format!("تم إلغاء موعدك {when}، {place}. لحجز موعد جديد: {p}"),
            None => format!("تم إلغاء موعدك {when}، {place}."),
        },
        (_, Kind::Confirmation) => {
            format!("RDV {when}, {place}.{hint} Déplacer ou annuler : {link}")
        }
        (_, Kind::Reminder) => {
            format!("Rappel : RDV {when}, {place}.{hint} Déplacer ou annuler : {link}")
        }
        (_, Kind::Moved) => {
            format!("Votre RDV est déplacé au {when}, {place}.{hint} Détails : {link}")
        }
        (_, Kind::Cancelled) => match d.site_phone {
            Some(p) => {
                format!("Votre RDV du {when}, {place} est annulé. Pour en reprendre un : {p}")
            }
            None => format!("Votre RDV du {when}, {place} est annulé."),
        },
    }
}

/// The SMS for `kind`, in one segment where the script allows.
pub fn sms(kind: Kind, l: Language, d: &Details<'_>) -> String {
    let fit = |text: String| {
        if lang(l) == Language::Ar {
            text
        } else {
            gsm::fit_gsm(&text)
        }
    };
    let with_address = format!("{}, {}", d.site_name, d.address);
    let hint = hint(l, d.reason);
    let mut candidates = vec![
        (with_address.clone(), hint),
        (with_address, None),
        (d.site_name.to_owned(), hint),
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
    if lang(l) == Language::Ar {
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
    let text = match lang(l) {
        Language::En => format!("Créneau: your code is {code}. It lasts 10 minutes."),
        Language::Ar => format!("Créneau: رمزك هو {code}. صالح لمدة 10 دقائق."),
        _ => format!("Créneau : votre code est {code}. Il est valable 10 minutes."),
    };
    if lang(l) == Language::Ar {
        text
    } else {
        gsm::fit_gsm(&text)
    }
}

/// An email's subject and plain-text body.
pub fn email(kind: Kind, l: Language, d: &Details<'_>) -> (String, String) {
    let when = when(l, d.starts_at);
    let place = format!("{}, {}", d.site_name, d.address);
    let link = d.link.unwrap_or_default();
    let hint = hint(l, d.reason)
        .map(|h| format!("\n{h}\n"))
        .unwrap_or_default();
    let phone = d.site_phone.unwrap_or_default();
    match (lang(l), kind) {
        (Language::En, Kind::Cancelled) => (
            format!("Appointment cancelled: {when}"),
            format!(
                "Hello,\n\nYour appointment {when} at {place} is cancelled.\nTo book again, call {phone} or book online.\n"
            ),
        ),
        (Language::En, k) => (
            match k {
                Kind::Reminder => format!("Reminder: appointment {when}"),
                Kind::Moved => format!("Appointment moved: {when}"),
                _ => format!("Appointment confirmed: {when}"),
            },
            format!(
                "Hello,\n\nYour appointment: {when}\nWhere: {place}\n{hint}\nTo move or cancel it: {link}\n"
            ),
        ),
        (Language::Ar, Kind::Cancelled) => (
            format!("تم إلغاء الموعد: {when}"),
            format!(
                "مرحبا،\n\nتم إلغاء موعدك {when} في {place}.\nلحجز موعد جديد، اتصل بـ {phone}.\n"
            ),
        ),
        (Language::Ar, k) => (
            match k {
                Kind::Reminder => format!("تذكير بالموعد: {when}"),
                Kind::Moved => format!("تم تغيير الموعد: {when}"),
                _ => format!("تأكيد الموعد: {when}"),
            },
            format!(
                "مرحبا،\n\nموعدك: {when}\nالمكان: {place}\n{hint}\nللتغيير أو الإلغاء: {link}\n"
            ),
        ),
        (_, Kind::Cancelled) => (
            format!("Rendez-vous annulé : {when}"),
            format!(
                "Bonjour,\n\nVotre rendez-vous du {when} à {place} est annulé.\nPour en reprendre un, appelez le {phone} ou réservez en ligne.\n"
            ),
        ),
        (_, k) => (
            match k {
                Kind::Reminder => format!("Rappel : rendez-vous {when}"),
                Kind::Moved => format!("Rendez-vous déplacé : {when}"),
                _ => format!("Rendez-vous confirmé : {when}"),
            },
            format!(
                "Bonjour,\n\nVotre rendez-vous : {when}\nLieu : {place}\n{hint}\nPour le déplacer ou l'annuler : {link}\n"
            ),
        ),
    }
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
    fn emails_carry_the_hint_and_the_link() {
        let (subject, body) = email(Kind::Confirmation, Language::Fr, &details(LINK));
        assert!(subject.starts_with("Rendez-vous confirmé"), "{subject}");
        assert!(body.contains("codes CAF") && body.contains(LINK), "{body}");
    }
}
