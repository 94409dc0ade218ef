//! Every word the resident pages show, in French (the default), English and
//! Arabic, from the web's resident catalogue (`messages/resident/*.ftl`).
//! Plain, short sentences: many residents read French with difficulty.
//! [`Words`] reads each message once per language at start; words with a
//! part that changes are methods.

use std::sync::LazyLock;

use contracts::{Language, Reason};

messages::catalogue!(RESIDENT, "web-resident", "resident", fr, en, ar);

/// The words of one language.
pub struct Words {
    lang: Language,
    pub code: &'static str,
    pub dir: &'static str,
    pub name: &'static str,
    pub skip: String,
    pub language: String,
    pub back: String,
    pub book_title: String,
    pub book_intro: String,
    pub where_q: String,
    pub no_free: String,
    pub map: String,
    pub closed_now: String,
    pub why_q: String,
    pub group_procedure: String,
    pub group_device: String,
    pub when_q: String,
    pub earliest: String,
    pub other_day: String,
    pub none_that_day: String,
    pub who_q: String,
    pub first_name: String,
    pub last_name: String,
    pub mobile: String,
    pub mobile_hint: String,
    pub email: String,
    pub email_hint: String,
    pub sms_consent: String,
    pub sms_consent_hint: String,
    pub how_to_cancel_no_sms: String,
    pub print: String,
    pub add_to_calendar: String,
    pub site_phone: String,
    pub access: String,
    pub err_link_call: String,
    pub confirm: String,
    pub place: String,
    pub reason: String,
    pub date_time: String,
    pub address: String,
    pub bring: String,
    pub reference: String,
    pub booked_title: String,
    pub booked_sms: String,
    pub booked_no_sms: String,
    pub how_to_cancel: String,
    pub your_appointment: String,
    pub cancel: String,
    pub cancel_q: String,
    pub cancel_yes: String,
    pub move_: String,
    pub move_q: String,
    pub cancelled: String,
    pub moved: String,
    pub past: String,
    pub code_title: String,
    pub code_label: String,
    pub code_send_again: String,
    pub err_fix: String,
    pub err_first_name: String,
    pub err_last_name: String,
    pub err_phone: String,
    pub err_email: String,
    pub err_code: String,
    pub err_expired: String,
    pub err_taken: String,
    pub err_already: String,
    pub err_too_many: String,
    pub err_unavailable: String,
    pub err_not_found: String,
    pub err_link: String,
    pub err_other: String,
    pub home: String,
    pub staff_space: String,
    pub workshops: String,
    pub workshops_intro: String,
    pub workshops_link: String,
    pub no_workshops: String,
    pub workshop_full: String,
    pub workshop_enrol: String,
    pub wait_link: String,
    pub wait_title: String,
    pub wait_intro: String,
    pub wait_sms_hint: String,
    pub wait_sms_needed: String,
    pub wait_join: String,
    pub wait_joined: String,
    pub wait_keep_link: String,
    pub wait_leave: String,
    pub wait_left: String,
    pub offer_title: String,
    pub offer_ended: String,
    pub offer_take: String,
    pub offer_decline: String,
    reasons: Vec<(Reason, String)>,
}

impl Words {
    fn of(lang: Language) -> Words {
        let say = |id: &str| RESIDENT.say(lang, id, &[]);
        let (code, dir, name) = match lang {
            Language::En => ("en", "ltr", "English"),
            Language::Ar => ("ar", "rtl", "العربية"),
            _ => ("fr", "ltr", "Français"),
        };
        Words {
            lang,
            code,
            dir,
            name,
            skip: say("skip"),
            language: say("language"),
            back: say("back"),
            book_title: say("book-title"),
            book_intro: say("book-intro"),
            where_q: say("where-q"),
            no_free: say("no-free"),
            map: say("map"),
            closed_now: say("closed-now"),
            why_q: say("why-q"),
            group_procedure: say("group-procedure"),
            group_device: say("group-device"),
            when_q: say("when-q"),
            earliest: say("earliest"),
            other_day: say("other-day"),
            none_that_day: say("none-that-day"),
            who_q: say("who-q"),
            first_name: say("first-name"),
            last_name: say("last-name"),
            mobile: say("mobile"),
            mobile_hint: say("mobile-hint"),
            email: say("email"),
            email_hint: say("email-hint"),
            sms_consent: say("sms-consent"),
            sms_consent_hint: say("sms-consent-hint"),
            how_to_cancel_no_sms: say("how-to-cancel-no-sms"),
            print: say("print"),
            add_to_calendar: say("add-to-calendar"),
            site_phone: say("site-phone"),
            access: say("access"),
            err_link_call: say("err-link-call"),
            confirm: say("confirm"),
            place: say("place"),
            reason: say("reason"),
            date_time: say("date-time"),
            address: say("address"),
            bring: say("bring"),
            reference: say("reference"),
            booked_title: say("booked-title"),
            booked_sms: say("booked-sms"),
            booked_no_sms: say("booked-no-sms"),
            how_to_cancel: say("how-to-cancel"),
            your_appointment: say("your-appointment"),
            cancel: say("cancel"),
            cancel_q: say("cancel-q"),
            cancel_yes: say("cancel-yes"),
            move_: say("move"),
            move_q: say("move-q"),
            cancelled: say("cancelled"),
            moved: say("moved"),
            past: say("past"),
            code_title: say("code-title"),
            code_label: say("code-label"),
            code_send_again: say("code-send-again"),
            err_fix: say("err-fix"),
            err_first_name: say("err-first-name"),
            err_last_name: say("err-last-name"),
            err_phone: say("err-phone"),
            err_email: say("err-email"),
            err_code: say("err-code"),
            err_expired: say("err-expired"),
            err_taken: say("err-taken"),
            err_already: say("err-already"),
            err_too_many: say("err-too-many"),
            err_unavailable: say("err-unavailable"),
            err_not_found: say("err-not-found"),
            err_link: say("err-link"),
            err_other: say("err-other"),
            home: say("home"),
            staff_space: say("staff-space"),
            workshops: say("workshops"),
            workshops_intro: say("workshops-intro"),
            workshops_link: say("workshops-link"),
            no_workshops: say("no-workshops"),
            workshop_full: say("workshop-full"),
            workshop_enrol: say("workshop-enrol"),
            wait_link: say("wait-link"),
            wait_title: say("wait-title"),
            wait_intro: say("wait-intro"),
            wait_sms_hint: say("wait-sms-hint"),
            wait_sms_needed: say("wait-sms-needed"),
            wait_join: say("wait-join"),
            wait_joined: say("wait-joined"),
            wait_keep_link: say("wait-keep-link"),
            wait_leave: say("wait-leave"),
            wait_left: say("wait-left"),
            offer_title: say("offer-title"),
            offer_ended: say("offer-ended"),
            offer_take: say("offer-take"),
            offer_decline: say("offer-decline"),
            reasons: Reason::ALL
                .iter()
                .chain([Reason::Unspecified, Reason::Workshop].iter())
                .map(|r| (*r, say(reason_id(*r))))
                .collect(),
        }
    }

    /// "Vous êtes n° 3 sur la liste d'attente."
    pub fn wait_position(&self, position: usize) -> String {
        RESIDENT.say(self.lang, "wait-position", &[("position", position.into())])
    }

    /// "Elle est gardée pour vous jusqu'à 12h15."
    pub fn offer_until(&self, until: &str) -> String {
        RESIDENT.say(self.lang, "offer-until", &[("until", until.into())])
    }

    /// "3 places libres sur 8".
    pub fn workshop_places(&self, left: u32, total: u32) -> String {
        RESIDENT.say(
            self.lang,
            "workshop-places",
            &[("left", left.into()), ("total", total.into())],
        )
    }

    /// "4 séances : mer. 09/12, mer. 16/12, …": a series is one enrolment.
    pub fn workshop_series(&self, days: &[String]) -> String {
        RESIDENT.say(
            self.lang,
            "workshop-series",
            &[
                ("count", days.len().into()),
                ("days", days.join(", ").into()),
            ],
        )
    }

    /// For whom a workshop is.
    pub fn workshop_level(&self, level: &str) -> String {
        let id = match level {
            "beginner" => "workshop-level-beginner",
            "intermediate" => "workshop-level-intermediate",
            _ => "workshop-level-all",
        };
        RESIDENT.say(self.lang, id, &[])
    }

    /// "En français": the workshop's language, named in its own words.
    pub fn workshop_language(&self, language: Language) -> String {
        let name = match language {
            Language::En => "English",
            Language::Ar => "العربية",
            _ => "français",
        };
        RESIDENT.say(self.lang, "workshop-language", &[("language", name.into())])
    }

    pub fn step(&self, n: u32) -> String {
        RESIDENT.say(self.lang, "step", &[("n", n.into())])
    }

    pub fn next_free(&self, when: &str) -> String {
        RESIDENT.say(self.lang, "next-free", &[("when", when.into())])
    }

    pub fn time_chosen(&self, when: &str) -> String {
        RESIDENT.say(self.lang, "time-chosen", &[("when", when.into())])
    }

    pub fn times_on(&self, day: &str) -> String {
        RESIDENT.say(self.lang, "times-on", &[("day", day.into())])
    }

    pub fn free_count(&self, count: usize) -> String {
        RESIDENT.say(self.lang, "free-count", &[("count", count.into())])
    }

    pub fn code_sent(&self, phone: &str) -> String {
        RESIDENT.say(self.lang, "code-sent", &[("phone", phone.into())])
    }

    pub fn err_too_long(&self, max: usize) -> String {
        RESIDENT.say(self.lang, "err-too-long", &[("max", max.into())])
    }

    /// Short words for a reason, on a button or in a table.
    pub fn reason(&self, r: Reason) -> &str {
        self.reasons
            .iter()
            .find(|(x, _)| *x == r)
            .map_or("", |(_, w)| w.as_str())
    }
}

fn reason_id(r: Reason) -> &'static str {
    match r {
        Reason::ProcedureCaf => "reason-procedure-caf",
        Reason::ProcedurePrefecture => "reason-procedure-prefecture",
        Reason::ProcedureAnts => "reason-procedure-ants",
        Reason::ProcedureFranceTravail => "reason-procedure-france-travail",
        Reason::ProcedureTaxes => "reason-procedure-taxes",
        Reason::ProcedureHousing => "reason-procedure-housing",
        Reason::ProcedureHealthInsurance => "reason-procedure-health-insurance",
        Reason::ProcedureRetirement => "reason-procedure-retirement",
        Reason::ProcedureSchooling => "reason-procedure-schooling",
        Reason::ProcedureOther => "reason-procedure-other",
        Reason::Smartphone => "reason-smartphone",
        Reason::Computer => "reason-computer",
        Reason::Email => "reason-email",
        Reason::Printing => "reason-printing",
        Reason::PersonalDocuments => "reason-personal-documents",
        Reason::Introduction => "reason-introduction",
        Reason::Other | Reason::Unspecified => "reason-other",
        Reason::Workshop => "reason-workshop",
    }
}

static WORDS: LazyLock<[Words; 3]> = LazyLock::new(|| {
    [
        Words::of(Language::Fr),
        Words::of(Language::En),
        Words::of(Language::Ar),
    ]
});

/// The words of `l`.
pub fn words(l: Language) -> &'static Words {
    match l {
        Language::En => &WORDS[1],
        Language::Ar => &WORDS[2],
        _ => &WORDS[0],
    }
}

/// Every language a page can be read in, in the switcher's order.
pub const LANGUAGES: [Language; 3] = [Language::Fr, Language::En, Language::Ar];
/// A pictogram for a reason (decorative: the word says it).
pub fn pictogram(r: Reason) -> &'static str {
    match r {
        Reason::ProcedureCaf => "👪",
        Reason::ProcedurePrefecture => "🛂",
        Reason::ProcedureAnts => "🪪",
        Reason::ProcedureFranceTravail => "💼",
        Reason::ProcedureTaxes => "🧾",
        Reason::ProcedureHousing => "🏠",
        Reason::ProcedureHealthInsurance => "🩺",
        Reason::ProcedureRetirement => "👵",
        Reason::ProcedureSchooling => "🎒",
        Reason::ProcedureOther => "🌐",
        Reason::Smartphone => "📱",
        Reason::Computer => "💻",
        Reason::Email => "✉️",
        Reason::Printing => "🖨️",
        Reason::PersonalDocuments => "📄",
        Reason::Introduction => "🧭",
        Reason::Other | Reason::Unspecified => "💬",
        Reason::Workshop => "👥",
    }
}

/// Short words for a reason, on a button or in a table.
pub fn reason_label(l: Language, r: Reason) -> &'static str {
    words(l).reason(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(words(Language::Fr).free_count(1), "1 libre");
        assert_eq!(words(Language::Fr).free_count(3), "3 libres");
        assert_eq!(words(Language::Ar).free_count(2), "وقتان متاحان");
        assert_eq!(words(Language::En).step(2), "Step 2 of 4");
    }

    #[test]
    fn every_reason_has_words_in_every_language() {
        for l in LANGUAGES {
            for r in Reason::ALL {
                assert!(!reason_label(l, r).is_empty());
            }
        }
        assert_eq!(words(Language::Ar).dir, "rtl");
    }
}
