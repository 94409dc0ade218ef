//! The language of the answers' messages: French by default, English when
//! the caller asks for it (`Accept-Language: en`).
//!
//! Messages are written in English in the code, and this catalogue gives
//! their French, gettext-style: the English text is the key, `{}` stands for
//! a part that changes (an id, a date, a number), and the French puts the
//! same parts in the same order. A changing part that is itself a message
//! of the catalogue ("cancelled", "5 minutes") is translated too. A message
//! without an entry goes out in English and is logged, so a missing
//! translation shows up in the logs rather than as a wrong answer.
//!
//! The [`localize`] middleware reads the caller's language once per request
//! and [`ApiError`](crate::ApiError) answers in it.

use std::borrow::Cow;
use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

/// A language the API answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// The caller's choice from `Accept-Language`: the French or English
    /// range with the highest weight, French when neither is named.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default()
    }

    pub fn from_accept_language(value: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for range in value.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let primary = tag.split('-').next().unwrap_or_default();
            let lang = match primary {
                "fr" => Lang::Fr,
                "en" => Lang::En,
                _ => continue,
            };
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the request being answered (French outside a request).
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Middleware: answers of the wrapped routes speak the caller's language.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = Lang::from_headers(request.headers());
    LANG.scope(lang, next.run(request)).await
}

/// `message` in the language of the request being answered.
pub fn localized(message: &str) -> Cow<'_, str> {
    translate(message, current())
}

/// `message` (English, as the code writes it) in `lang`.
pub fn translate(message: &str, lang: Lang) -> Cow<'_, str> {
    match lang {
        Lang::En => Cow::Borrowed(message),
        Lang::Fr => match french(message) {
            Some(fr) => Cow::Owned(fr),
            None => {
                tracing::warn!(message, "no French for this message");
                Cow::Borrowed(message)
            }
        },
    }
}

/// One entry: the English with its holes split out, and the French.
struct Entry {
    english: Vec<&'static str>,
    french: Vec<&'static str>,
    literal_len: usize,
}

fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| {
        let mut all: Vec<Entry> = CATALOGUE
            .iter()
            .map(|(en, fr)| {
                let english: Vec<&str> = en.split("{}").collect();
                Entry {
                    literal_len: english.iter().map(|p| p.len()).sum(),
                    english,
                    french: fr.split("{}").collect(),
                }
            })
            .collect();
        // The most specific template wins where two would match.
        all.sort_by_key(|e| std::cmp::Reverse(e.literal_len));
        all
    })
}

/// The changing parts of `message` if it fits the template `pieces`.
fn captures<'m>(pieces: &[&str], message: &'m str) -> Option<Vec<&'m str>> {
    let (first, rest) = pieces.split_first()?;
    let mut tail = message.strip_prefix(first)?;
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty().then(Vec::new);
    };
    let mut found = Vec::with_capacity(rest.len());
    for piece in middle {
        // A hole is never empty, so the next piece is looked for after at
        // least one character.
        let from = tail.char_indices().nth(1).map(|(i, _)| i)?;
        let at = tail[from..].find(piece)? + from;
        found.push(&tail[..at]);
        tail = &tail[at + piece.len()..];
    }
    let part = tail.strip_suffix(last)?;
    if part.is_empty() {
        return None;
    }
    found.push(part);
    Some(found)
}

fn french(message: &str) -> Option<String> {
    entries().iter().find_map(|entry| {
        let parts = captures(&entry.english, message)?;
        let mut out = String::with_capacity(message.len() + 16);
        for (i, piece) in entry.french.iter().enumerate() {
            out.push_str(piece);
            if let Some(part) = parts.get(i) {
                // A part that is itself a message (a status, a duration) is
                // said in French too; anything else (an id, a date) as is.
                match french(part) {
                    Some(fr) => out.push_str(&fr),
                    None => out.push_str(part),
                }
            }
        }
        Some(out)
    })
}

/// English → French. Keep the `{}` in the same order on both sides.
const CATALOGUE: &[(&str, &str)] = &[
    // Shared answers (api).
    (
        "this needs the role {} at {}; ask an administrator if you should have it",
        "il faut le rôle {} sur {} ; demandez-le à un administrateur si vous devriez l'avoir",
    ),
    ("any site", "n'importe quel site"),
    ("site {}", "le site {}"),
    ("sign in first", "connectez-vous d'abord"),
    (
        "the Authorization header must be \"Bearer <token>\" with an API token",
        "l'en-tête Authorization doit être « Bearer <jeton> » avec un jeton d'API",
    ),
    (
        "this request comes from a page of another site: open Créneau at its own address and try again",
        "cette demande vient d'une page d'un autre site : ouvrez Créneau à sa propre adresse et recommencez",
    ),
    (
        "sign in first: this needs a staff session or an API token",
        "connectez-vous d'abord : il faut une session d'agent ou un jeton d'API",
    ),
    (
        "this form is out of date or was not sent from Créneau: reload the page and try again",
        "ce formulaire est périmé ou n'a pas été envoyé depuis Créneau : rechargez la page et recommencez",
    ),
    (
        "this needs an administrator of every site",
        "il faut être administrateur de tous les sites",
    ),
    (
        "route {} {} has no access rule: declare it through api::Routes",
        "la route {} {} n'a pas de règle d'accès : déclarez-la par api::Routes",
    ),
    (
        "the body does not fit this request: {}",
        "le contenu ne correspond pas à cette demande : {}",
    ),
    (
        "send the body as JSON: {}",
        "envoyez le contenu en JSON : {}",
    ),
    (
        "send the body as JSON, with Content-Type: application/json",
        "envoyez le contenu en JSON, avec Content-Type: application/json",
    ),
    (
        "the body is not valid JSON: {}",
        "le contenu n'est pas du JSON valide : {}",
    ),
    (
        "the address's query string is not valid",
        "les paramètres de l'adresse ne sont pas valides",
    ),
    (
        "the address's parameters do not fit: {}",
        "les paramètres de l'adresse ne conviennent pas : {}",
    ),
    (
        "{} is not a {} id: check the address",
        "{} n'est pas un identifiant de {} : vérifiez l'adresse",
    ),
    (
        "something went wrong on our side; try again, and give the correlation id if it goes on",
        "un problème est survenu de notre côté ; réessayez, et donnez l'identifiant de corrélation si cela continue",
    ),
    ("not ready: {}", "pas encore prêt : {}"),
    (
        "no page at {}: check the address",
        "aucune page à l'adresse {} : vérifiez l'adresse",
    ),
    ("{} second", "{} seconde"),
    ("{} seconds", "{} secondes"),
    ("{} minute", "{} minute"),
    ("{} minutes", "{} minutes"),
    ("site", "site"),
    ("staff", "agent"),
    ("resident", "habitant"),
    ("token", "jeton"),
    ("permanence", "permanence"),
    ("appointment", "rendez-vous"),
    ("closure", "fermeture"),
    ("rule", "règle"),
    ("ticket", "ticket"),
    ("visit", "visite"),
    // Appointments.
    (
        "this time was just taken: choose another one",
        "ce créneau vient d'être pris : choisissez-en un autre",
    ),
    (
        "this time was just taken: here are the next free ones",
        "ce créneau vient d'être pris : voici les prochains libres",
    ),
    (
        "{} is not a reason: use procedure_caf, procedure_prefecture, procedure_ants, procedure_france_travail, procedure_taxes, procedure_housing, procedure_health_insurance, procedure_retirement, procedure_schooling, procedure_other, smartphone, computer, email, printing, personal_documents, introduction or other",
        "{} n'est pas un motif : utilisez procedure_caf, procedure_prefecture, procedure_ants, procedure_france_travail, procedure_taxes, procedure_housing, procedure_health_insurance, procedure_retirement, procedure_schooling, procedure_other, smartphone, computer, email, printing, personal_documents, introduction ou other",
    ),
    ("{} is not a site id", "{} n'est pas un identifiant de site"),
    (
        "{} is not a date: write 2026-12-01",
        "{} n'est pas une date : écrivez 2026-12-01",
    ),
    ("ask for 1 to 60 days", "demandez de 1 à 60 jours"),
    (
        "{} is not offered: fr, en or ar",
        "{} n'est pas proposé : fr, en ou ar",
    ),
    (
        "only staff may book past the one-appointment rule",
        "seuls les agents peuvent réserver au-delà de la règle d'un rendez-vous",
    ),
    (
        "open your appointment with the link from your SMS or email",
        "ouvrez votre rendez-vous avec le lien reçu par SMS ou par e-mail",
    ),
    (
        "give the time as RFC 3339 with its offset, as /api/v1/availability gives it: 2026-12-01T09:00:00+01:00",
        "donnez l'heure au format RFC 3339 avec son décalage, comme /api/v1/availability la donne : 2026-12-01T09:00:00+01:00",
    ),
    (
        "{} is not a step: arrived, started, done or no-show",
        "{} n'est pas une étape : arrived, started, done ou no-show",
    ),
    (
        "type at least two letters of a name, or a phone number",
        "tapez au moins deux lettres d'un nom, ou un numéro de téléphone",
    ),
    (
        "site {} has no permanence {}",
        "le site {} n'a pas de permanence {}",
    ),
    (
        "{}: use it_helper or mediator",
        "{} : utilisez it_helper ou mediator",
    ),
    (
        "{} is not a step: call, served or left",
        "{} n'est pas une étape : call, served ou left",
    ),
    (
        "this permanence has no ticket {}",
        "cette permanence n'a pas de ticket {}",
    ),
    (
        "{}: use done, follow_up or redirected",
        "{} : utilisez done, follow_up ou redirected",
    ),
    (
        "many people are changing this permanence right now: try again in a moment",
        "beaucoup de personnes modifient cette permanence en ce moment : réessayez dans un instant",
    ),
    (
        "give the resident's name (200 characters at most)",
        "donnez le nom de l'habitant (200 caractères au plus)",
    ),
    (
        "say why the resident comes",
        "dites pourquoi l'habitant vient",
    ),
    (
        "a note has {} characters at most",
        "une note fait {} caractères au plus",
    ),
    (
        "too many bookings from this connection",
        "trop de réservations depuis cette connexion",
    ),
    (
        "too many bookings for this phone number today",
        "trop de réservations pour ce numéro de téléphone aujourd'hui",
    ),
    (
        "this resident already has an appointment for this reason on {} (reference {}): move it, or give override_reason to book another",
        "cet habitant a déjà un rendez-vous pour ce motif le {} (référence {}) : déplacez-le, ou donnez override_reason pour en réserver un autre",
    ),
    (
        "you already have an appointment for this reason: use the link in its SMS to move it, or call the help desk",
        "vous avez déjà un rendez-vous pour ce motif : utilisez le lien de son SMS pour le déplacer, ou appelez l'accueil",
    ),
    (
        "this time is in the past: choose a time to come",
        "cette heure est passée : choisissez une heure à venir",
    ),
    (
        "book at least {} minutes ahead; for today, call the help desk",
        "réservez au moins {} minutes à l'avance ; pour aujourd'hui, appelez l'accueil",
    ),
    (
        "bookings open {} days ahead: choose an earlier date",
        "les réservations ouvrent {} jours à l'avance : choisissez une date plus proche",
    ),
    ("there is no site {}", "il n'y a pas de site {}"),
    (
        "there is no appointment at this time at this site: choose one of the times from /api/v1/availability",
        "il n'y a pas de rendez-vous à cette heure sur ce site : choisissez une des heures de /api/v1/availability",
    ),
    (
        "there is no appointment {}",
        "il n'y a pas de rendez-vous {}",
    ),
    (
        "this appointment was cancelled: book a new one",
        "ce rendez-vous a été annulé : prenez-en un nouveau",
    ),
    (
        "this appointment is too close to be moved online: call the help desk",
        "ce rendez-vous est trop proche pour être déplacé en ligne : appelez l'accueil",
    ),
    (
        "this appointment was cancelled",
        "ce rendez-vous a été annulé",
    ),
    (
        "this appointment is {} already",
        "ce rendez-vous est déjà {}",
    ),
    (
        "this appointment is on another day: it can be marked on its day",
        "ce rendez-vous est un autre jour : il peut être pointé le jour même",
    ),
    (
        "no way back to booked",
        "impossible de revenir à « réservé »",
    ),
    ("booked", "réservé"),
    ("checked in", "arrivé"),
    ("in progress", "en cours"),
    ("done", "terminé"),
    ("cancelled", "annulé"),
    ("marked as not come", "noté absent"),
    ("record 1 to 10 requests", "enregistrez de 1 à 10 demandes"),
    (
        "every request needs a reason and an outcome",
        "chaque demande a besoin d'un motif et d'une suite",
    ),
    (
        "record what a visit was about once the resident came",
        "enregistrez l'objet d'une visite une fois l'habitant venu",
    ),
    (
        "record what a visit was about once the resident was called",
        "enregistrez l'objet d'une visite une fois l'habitant appelé",
    ),
    (
        "there is no appointment or ticket {}",
        "il n'y a pas de rendez-vous ni de ticket {}",
    ),
    (
        "a first name only, 50 characters at most",
        "un prénom seulement, 50 caractères au plus",
    ),
    ("there is no permanence {}", "il n'y a pas de permanence {}"),
    (
        "this permanence has no drop-in: book an appointment",
        "cette permanence n'a pas d'accès libre : prenez un rendez-vous",
    ),
    (
        "this drop-in is not open now",
        "cet accès libre n'est pas ouvert en ce moment",
    ),
    (
        "the drop-in is full ({} people waiting): come back later or book an appointment",
        "l'accès libre est complet ({} personnes attendent) : revenez plus tard ou prenez un rendez-vous",
    ),
    ("there is no ticket {}", "il n'y a pas de ticket {}"),
    ("ticket {} is {} already", "le ticket {} est déjà {}"),
    (
        "say why in 200 characters at most",
        "dites pourquoi en 200 caractères au plus",
    ),
    (
        "say why the appointment is cancelled (the resident is told)",
        "dites pourquoi le rendez-vous est annulé (l'habitant en est informé)",
    ),
    (
        "this appointment is too close to be cancelled online: call the help desk",
        "ce rendez-vous est trop proche pour être annulé en ligne : appelez l'accueil",
    ),
    // Reminders.
    (
        "this site does not ask for a code: book directly",
        "ce site ne demande pas de code : réservez directement",
    ),
    (
        "the code could not be sent by SMS right now: try again in a minute, or call the help desk",
        "le code n'a pas pu être envoyé par SMS pour l'instant : réessayez dans une minute, ou appelez l'accueil",
    ),
    (
        "this site confirms online bookings with a code sent by SMS: ask for one with POST /api/v1/booking-codes, then send it with the booking",
        "ce site confirme les réservations en ligne par un code envoyé par SMS : demandez-le avec POST /api/v1/booking-codes, puis envoyez-le avec la réservation",
    ),
    (
        "no SMS provider {} is configured",
        "aucun fournisseur de SMS {} n'est configuré",
    ),
    (
        "the report's signature or secret is wrong",
        "la signature ou le secret du compte rendu est faux",
    ),
    (
        "the report is not understood: {}",
        "le compte rendu n'est pas compris : {}",
    ),
    // Statistics.
    (
        "the statistics are being brought up to date: {} of {} events read; try again in a moment",
        "les statistiques sont en cours de mise à jour : {} événements lus sur {} ; réessayez dans un instant",
    ),
    (
        "there is no chart {}: people, kinds, waits or no-shows",
        "il n'y a pas de graphique {} : people, kinds, waits ou no-shows",
    ),
    (
        "{} is not a date: write 2019-01-31",
        "{} n'est pas une date : écrivez 2019-01-31",
    ),
    (
        "{}: group by permanence, site, week, month or year",
        "{} : regroupez par permanence, site, week, month ou year",
    ),
    (
        "the period ends before it starts: to must be on or after from",
        "la période finit avant de commencer : to doit être le même jour que from ou après",
    ),
    // Calendar.
    (
        "someone else changed this meanwhile: reload it, check their change, and make yours again",
        "quelqu'un d'autre l'a modifié entre-temps : rechargez, vérifiez sa modification et refaites la vôtre",
    ),
    (
        "this needs the role {} for every site; ask an administrator if you should have it",
        "il faut le rôle {} pour tous les sites ; demandez à un administrateur si vous devriez l'avoir",
    ),
    (
        "{} is not a closure id",
        "{} n'est pas un identifiant de fermeture",
    ),
    (
        "{} is not a reason: use procedure_caf, procedure_prefecture, smartphone, computer, email…",
        "{} n'est pas un motif : utilisez procedure_caf, procedure_prefecture, smartphone, computer, email…",
    ),
    (
        "a capacity of 0 lets nobody in: give the most people at once, or leave it out for no limit",
        "une capacité de 0 ne laisse entrer personne : donnez le nombre maximum de personnes à la fois, ou ne la donnez pas pour ne pas limiter",
    ),
    (
        "{} is not a rule id",
        "{} n'est pas un identifiant de règle",
    ),
    (
        "site {} has no permanence rule {}",
        "le site {} n'a pas de règle de permanence {}",
    ),
    (
        "this calendar link is not valid: copy it again from Créneau (Mon agenda)",
        "ce lien d'agenda n'est pas valide : copiez-le à nouveau depuis Créneau (Mon agenda)",
    ),
    (
        "{} is not a date: write it as 2026-09-15",
        "{} n'est pas une date : écrivez-la comme 2026-09-15",
    ),
    (
        "offer drop-in, appointments, or both",
        "proposez l'accès libre, des rendez-vous, ou les deux",
    ),
    (
        "{} minutes: an appointment lasts 10 to 240 minutes",
        "{} minutes : un rendez-vous dure de 10 à 240 minutes",
    ),
    (
        "{} desks: give 1 to 20 appointments held at the same time",
        "{} postes : donnez de 1 à 20 rendez-vous tenus en même temps",
    ),
    ("reason {} is not a reason", "le motif {} n'existe pas"),
    (
        "{} minutes for one reason: 10 to 240 are accepted",
        "{} minutes pour un motif : de 10 à 240 sont acceptées",
    ),
    ("role {} is not a role", "{} n'est pas un rôle"),
    (
        "a label has at most 80 characters",
        "un libellé fait 80 caractères au plus",
    ),
    (
        "{} is not a local date and time: write 2026-09-15T09:00",
        "{} n'est pas une date et heure locale : écrivez 2026-09-15T09:00",
    ),
    (
        "give either cron (a recurrence, e.g. \"0 9 * * TUE\") or once_at (one extra permanence), not both",
        "donnez soit cron (une récurrence, par ex. « 0 9 * * TUE »), soit once_at (une permanence en plus), pas les deux",
    ),
    (
        "say from which date the rule holds, e.g. 2026-09-01",
        "dites à partir de quelle date la règle vaut, par ex. 2026-09-01",
    ),
    (
        "the rule ends before it starts: valid_until must be on or after valid_from",
        "la règle finit avant de commencer : valid_until doit être le même jour que valid_from ou après",
    ),
    (
        "say what the permanence offers",
        "dites ce que la permanence propose",
    ),
    (
        "an appointment is longer than the permanence: no slot would fit",
        "un rendez-vous est plus long que la permanence : aucun créneau ne tiendrait",
    ),
    (
        "day of week {} uses numbers: use day names (MON, TUE, WED, THU, FRI, SAT, SUN)",
        "le jour de la semaine {} utilise des chiffres : utilisez les noms des jours (MON, TUE, WED, THU, FRI, SAT, SUN)",
    ),
    ("{} has {} fields: {}", "{} a {} champs : {}"),
    (
        "{} is not a cron expression ({}): {}",
        "{} n'est pas une expression cron ({}) : {}",
    ),
    (
        "{} minutes: a permanence lasts 30 to 720 minutes (3h30 is 210)",
        "{} minutes : une permanence dure de 30 à 720 minutes (3h30 font 210)",
    ),
    (
        "this never happens in the coming year: check the days and months",
        "cela n'arrive jamais dans l'année qui vient : vérifiez les jours et les mois",
    ),
    (
        "this happens {}+ times a year: a permanence is a half-day, write its start time (e.g. \"0 9 * * TUE\")",
        "cela arrive plus de {} fois par an : une permanence est une demi-journée, écrivez son heure de début (par ex. « 0 9 * * TUE »)",
    ),
    (
        "a permanence at {} lasting {} minutes: permanences start at 06:00 or later and end by midnight the same day (clock changes happen at night)",
        "une permanence à {} de {} minutes : les permanences commencent à 06:00 ou plus tard et finissent avant minuit le même jour (les changements d'heure ont lieu la nuit)",
    ),
    (
        "{} is not a permanence id (rule id, underscore, date)",
        "{} n'est pas un identifiant de permanence (identifiant de règle, tiret bas, date)",
    ),
    (
        "give {} characters at most{}",
        "donnez {} caractères au plus{}",
    ),
    (
        "{} is not a phone number: write it as 01 23 45 67 89",
        "{} n'est pas un numéro de téléphone : écrivez-le comme 01 23 45 67 89",
    ),
    (
        "{}: give 1 to 10 (or leave it out for 1)",
        "{} : donnez de 1 à 10 (ou rien pour 1)",
    ),
    (
        "there is no permanence rule {}",
        "il n'y a pas de règle de permanence {}",
    ),
    (
        "the closure ends before it starts: last_day must be on or after first_day",
        "la fermeture finit avant de commencer : last_day doit être le même jour que first_day ou après",
    ),
    (
        "a closure lasts a year at most: close the site instead (open: false)",
        "une fermeture dure un an au plus : fermez plutôt le site (open: false)",
    ),
    (
        "say why, in 200 characters at most (residents see it)",
        "dites pourquoi, en 200 caractères au plus (les habitants le voient)",
    ),
    (
        "site {} has no closure {}",
        "le site {} n'a pas de fermeture {}",
    ),
    (
        "this overlaps the permanence {} of {} at the same site: change the time or the days",
        "cela chevauche la permanence {} de {} sur le même site : changez l'heure ou les jours",
    ),
    (
        "a rule stays at its site: retire it and create one at the other site",
        "une règle reste sur son site : retirez-la et créez-en une sur l'autre site",
    ),
    (
        "the rule {} has no permanence on {}",
        "la règle {} n'a pas de permanence le {}",
    ),
    ("{} is not on duty on {}", "{} n'est pas de service le {}"),
    (
        "the range ends before it starts: to must be on or after from",
        "la période finit avant de commencer : to doit être le même jour que from ou après",
    ),
    ("ask for {} days at most", "demandez {} jours au plus"),
    (
        "write five fields, minute hour day-of-month month day-of-week, with day names: \"0 9 * * TUE\" (Tuesdays at 09:00), \"30 13 * * MON,THU\"",
        "écrivez cinq champs, minute heure jour-du-mois mois jour-de-la-semaine, avec les noms des jours : « 0 9 * * TUE » (le mardi à 09:00), « 30 13 * * MON,THU »",
    ),
    (
        "site closed until further notice",
        "site fermé jusqu'à nouvel ordre",
    ),
    // Phone numbers and local times (contracts).
    (
        "the phone number is empty: type a mobile number such as 06 12 34 56 78",
        "le numéro de téléphone est vide : tapez un numéro de portable comme 06 12 34 56 78",
    ),
    (
        "{} is not a phone number: type a mobile number such as 06 12 34 56 78",
        "{} n'est pas un numéro de téléphone : tapez un numéro de portable comme 06 12 34 56 78",
    ),
    (
        "{} is not a mobile number: text messages need a mobile (06, 07, or +… abroad)",
        "{} n'est pas un numéro de portable : les SMS demandent un portable (06, 07, ou +… à l'étranger)",
    ),
    (
        "{} does not exist in Paris (the clocks go forward that night): choose another time",
        "{} n'existe pas à Paris (on avance l'heure cette nuit-là) : choisissez une autre heure",
    ),
    (
        "{} happens twice in Paris (the clocks go back that night): choose another time",
        "{} existe deux fois à Paris (on recule l'heure cette nuit-là) : choisissez une autre heure",
    ),
    // Identity.
    (
        "several codes were sent to this number already",
        "plusieurs codes ont déjà été envoyés à ce numéro",
    ),
    (
        "too many codes were asked from this connection",
        "trop de codes ont été demandés depuis cette connexion",
    ),
    (
        "this code was typed wrong too many times: ask for a new code",
        "ce code a été mal tapé trop de fois : demandez un nouveau code",
    ),
    (
        "this code has expired (it lasts 10 minutes): ask for a new code",
        "ce code a expiré (il dure 10 minutes) : demandez un nouveau code",
    ),
    (
        "this is not the code we sent: check the 6 digits in the SMS and type them again",
        "ce n'est pas le code envoyé : vérifiez les 6 chiffres du SMS et tapez-les à nouveau",
    ),
    (
        "wrong email or password",
        "e-mail ou mot de passe incorrect",
    ),
    (
        "{} changed while this was being done: try again",
        "{} a changé pendant l'opération : réessayez",
    ),
    ("{}: try again in {}", "{} : réessayez dans {}"),
    (
        "you are using an API token, not a session: revoke the token with DELETE /api/v1/tokens/{}",
        "vous utilisez un jeton d'API, pas une session : révoquez le jeton avec DELETE /api/v1/tokens/{}",
    ),
    (
        "your account is gone: sign in again",
        "votre compte n'existe plus : reconnectez-vous",
    ),
    ("you have no token {}", "vous n'avez pas de jeton {}"),
    (
        "site_id {} is not a site id",
        "site_id {} n'est pas un identifiant de site",
    ),
    (
        "there is no staff account {}",
        "il n'y a pas de compte agent {}",
    ),
    (
        "language {} is not offered: use fr, en or ar",
        "la langue {} n'est pas proposée : utilisez fr, en ou ar",
    ),
    (
        "say whose history to list: ?staff=<id> or ?resident=<id>",
        "dites de qui lister l'historique : ?staff=<id> ou ?resident=<id>",
    ),
    (
        "{} is not a resident id",
        "{} n'est pas un identifiant d'habitant",
    ),
    (
        "too many wrong links from this connection",
        "trop de liens erronés depuis cette connexion",
    ),
    (
        "this link no longer works: use the most recent SMS or email about your appointment, or call the help desk",
        "ce lien ne fonctionne plus : utilisez le SMS ou l'e-mail le plus récent sur votre rendez-vous, ou appelez l'accueil",
    ),
    (
        "this link has expired: the appointment it was for is over. To book again, call the help desk or book online",
        "ce lien a expiré : le rendez-vous est passé. Pour en reprendre un, appelez l'accueil ou réservez en ligne",
    ),
    (
        "the password has {} characters: use at least {} (a few words make a good one)",
        "le mot de passe a {} caractères : utilisez-en au moins {} (quelques mots en font un bon)",
    ),
    (
        "the password is longer than {} characters",
        "le mot de passe dépasse {} caractères",
    ),
    (
        "the password repeats too few characters: choose one that is harder to guess",
        "le mot de passe varie trop peu ses caractères : choisissez-en un plus difficile à deviner",
    ),
    (
        "give the {} (1 to 100 characters)",
        "donnez le {} (1 à 100 caractères)",
    ),
    ("first name", "prénom"),
    ("last name", "nom"),
    (
        "{} is not an email address: write it as name@example.fr, or leave it empty",
        "{} n'est pas une adresse e-mail : écrivez-la comme nom@exemple.fr, ou laissez vide",
    ),
    (
        "{} is not an email address: write it as name@example.fr",
        "{} n'est pas une adresse e-mail : écrivez-la comme nom@exemple.fr",
    ),
    ("there is no resident {}", "il n'y a pas d'habitant {}"),
    (
        "a resident cannot be merged into themself",
        "un habitant ne peut pas être fusionné avec lui-même",
    ),
    (
        "one of them was merged already: search again and merge into the one shown",
        "l'un d'eux a déjà été fusionné : cherchez à nouveau et fusionnez dans celui affiché",
    ),
    (
        "too many sign-in attempts from this connection",
        "trop de tentatives de connexion depuis cette connexion",
    ),
    (
        "this account is locked for this connection after {} wrong passwords in a row; wait, or ask an administrator to set a new password",
        "ce compte est bloqué pour cette connexion après {} mots de passe erronés de suite ; attendez, ou demandez à un administrateur un nouveau mot de passe",
    ),
    (
        "this account is now locked for this connection after {} wrong passwords in a row; wait, or ask an administrator to set a new password",
        "ce compte est maintenant bloqué pour cette connexion après {} mots de passe erronés de suite ; attendez, ou demandez à un administrateur un nouveau mot de passe",
    ),
    (
        "this account is disabled: ask an administrator",
        "ce compte est désactivé : adressez-vous à un administrateur",
    ),
    (
        "your session was ended (signed out, new password or account disabled): sign in again",
        "votre session a pris fin (déconnexion, nouveau mot de passe ou compte désactivé) : reconnectez-vous",
    ),
    (
        "your session ended after {} minutes without activity: sign in again",
        "votre session a pris fin après {} minutes d'inactivité : reconnectez-vous",
    ),
    (
        "your session ended {} hours after you signed in: sign in again",
        "votre session a pris fin {} heures après la connexion : reconnectez-vous",
    ),
    (
        "this API token is not valid, expired or was revoked: ask for a new one",
        "ce jeton d'API n'est pas valide, a expiré ou a été révoqué : demandez-en un nouveau",
    ),
    (
        "give a name of 1 to 100 characters, as colleagues should see it",
        "donnez un nom de 1 à 100 caractères, tel que les collègues doivent le voir",
    ),
    ("{} at site {}", "{} sur le site {}"),
    (
        "every grant needs a role",
        "chaque attribution a besoin d'un rôle",
    ),
    (
        "there is already an account for {}",
        "il existe déjà un compte pour {}",
    ),
    ("say which role to grant", "dites quel rôle attribuer"),
    ("{} does not have the role {}", "{} n'a pas le rôle {}"),
    (
        "this is the last administrator: make someone else administrator first",
        "c'est le dernier administrateur : nommez d'abord quelqu'un d'autre administrateur",
    ),
    ("too many wrong passwords", "trop de mots de passe erronés"),
    (
        "the current password is wrong: type it again",
        "le mot de passe actuel est faux : tapez-le à nouveau",
    ),
    (
        "give the token a label of 1 to 80 characters, saying what uses it",
        "donnez au jeton un libellé de 1 à 80 caractères qui dit ce qui l'utilise",
    ),
    (
        "a token lasts 1 to {} days, not {}",
        "un jeton dure de 1 à {} jours, pas {}",
    ),
    (
        "{} tokens are active already: revoke one you no longer use",
        "{} jetons sont déjà actifs : révoquez-en un que vous n'utilisez plus",
    ),
    ("there is no token {}", "il n'y a pas de jeton {}"),
    (
        "this address does not take {}: use {}",
        "cette adresse n'accepte pas {} : utilisez {}",
    ),
    (
        "this request is too large: 256 KiB at most",
        "cette requête est trop grande : 256 Kio au plus",
    ),
    (
        "this form is too large: 64 KiB at most",
        "ce formulaire est trop grand : 64 Kio au plus",
    ),
    (
        "there is no resident {} at your sites",
        "il n'y a pas d'habitant {} dans vos lieux",
    ),
    (
        "say why (3 to 200 characters): it goes into the audit",
        "dites pourquoi (3 à 200 caractères) : c'est inscrit au journal d'audit",
    ),
    (
        "these two are not possible duplicates (the same phone number and a shared name): only the same person registered twice is merged",
        "ces deux fiches ne sont pas des doublons possibles (même numéro de téléphone et un nom en commun) : on ne fusionne que la même personne inscrite deux fois",
    ),
    (
        "resident {} is not merged into anyone",
        "l'habitant {} n'est fusionné avec personne",
    ),
    (
        "say at which of your sites the resident is registered",
        "dites dans lequel de vos lieux l'habitant est inscrit",
    ),
    (
        "a token cannot make a token that outlives it: this one ends on {}, ask for fewer days or sign in with a password",
        "un jeton ne peut pas créer un jeton qui lui survit : celui-ci finit le {}, demandez moins de jours ou connectez-vous avec un mot de passe",
    ),
    (
        "this code was used for a booking already: ask for a new code",
        "ce code a déjà servi à une réservation : demandez un nouveau code",
    ),
    (
        "password resets by email are not offered here: ask an administrator to set a new password",
        "la réinitialisation du mot de passe par e-mail n'est pas proposée ici : demandez à un administrateur un nouveau mot de passe",
    ),
    (
        "too many reset links were asked from this connection",
        "trop de liens de réinitialisation ont été demandés depuis cette connexion",
    ),
    (
        "this link does not work (too old, used already, or not whole): ask for a new one",
        "ce lien ne marche pas (trop ancien, déjà utilisé, ou incomplet) : demandez-en un nouveau",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_is_the_default_and_english_is_chosen_by_weight() {
        assert_eq!(Lang::from_accept_language(""), Lang::Fr);
        assert_eq!(Lang::from_accept_language("de-DE,de;q=0.9"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("en"), Lang::En);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,en;q=0.8"),
            Lang::Fr
        );
        assert_eq!(Lang::from_accept_language("ar,en;q=0.5,fr;q=0.4"), Lang::En);
        assert_eq!(Lang::from_accept_language("en;q=0,fr;q=0.1"), Lang::Fr);
    }

    #[test]
    fn messages_with_changing_parts_keep_them_in_french() {
        assert_eq!(
            translate("there is no appointment 0193-ab", Lang::Fr),
            "il n'y a pas de rendez-vous 0193-ab"
        );
        assert_eq!(
            translate("this appointment is cancelled already", Lang::Fr),
            "ce rendez-vous est déjà annulé"
        );
        assert_eq!(
            translate("too many wrong passwords: try again in 5 minutes", Lang::Fr),
            "trop de mots de passe erronés : réessayez dans 5 minutes"
        );
        assert_eq!(
            translate(
                "\"0123\" is not a mobile number: text messages need a mobile (06, 07, or +… abroad)",
                Lang::Fr
            ),
            "\"0123\" n'est pas un numéro de portable : les SMS demandent un portable (06, 07, ou +… à l'étranger)"
        );
        assert_eq!(
            translate("there is no appointment 0193-ab", Lang::En),
            "there is no appointment 0193-ab"
        );
    }

    #[test]
    fn a_part_that_is_a_message_is_translated_too() {
        let cron = "\"0 9\" has 2 fields: write five fields, minute hour day-of-month month day-of-week, with day names: \"0 9 * * TUE\" (Tuesdays at 09:00), \"30 13 * * MON,THU\"";
        let fr = translate(cron, Lang::Fr);
        assert!(
            fr.starts_with("\"0 9\" a 2 champs : écrivez cinq champs"),
            "{fr}"
        );
    }

    #[test]
    fn an_unknown_message_goes_out_as_it_is() {
        assert_eq!(translate("zzz unknown", Lang::Fr), "zzz unknown");
    }

    #[test]
    fn every_template_has_as_many_holes_in_french_as_in_english() {
        for (en, fr) in CATALOGUE {
            assert_eq!(en.matches("{}").count(), fr.matches("{}").count(), "{en}");
        }
    }
}
