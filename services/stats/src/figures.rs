//! Figures summed over permanences: per permanence, site, week, month or
//! year, as the city's evaluation counts them (people and requests per
//! "créneau", requests by kind, accompanied share, drop-in waits, no-shows
//! with and without a reminder).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use contracts::proto::appointments::v1::{Accompaniment, Autonomy, Outcome};
use contracts::{Reason, SiteId};
use serde::Serialize;

use crate::fold::{Outcomes, Permanence, kind_code};

/// How rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Permanence,
    Site,
    Week,
    Month,
    Year,
}

impl By {
    pub fn parse(text: &str) -> Option<By> {
        Some(match text {
            "permanence" => By::Permanence,
            "site" => By::Site,
            "week" => By::Week,
            "month" => By::Month,
            "year" => By::Year,
            _ => return None,
        })
    }

    /// The row a permanence falls in.
    pub fn key(self, id: &str, site: Option<SiteId>, day: NaiveDate) -> String {
        match self {
            By::Permanence => id.to_owned(),
            By::Site => site.map(|s| s.to_string()).unwrap_or_default(),
            By::Week => {
                let w = day.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            By::Month => format!("{}-{:02}", day.year(), day.month()),
            By::Year => day.year().to_string(),
        }
    }
}

/// What a group of permanences adds up to.
#[derive(Debug, Clone, Default, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Figures {
    pub permanences: u32,
    /// People present: residents who came to an appointment (each once per
    /// permanence) and drop-in tickets.
    pub people: u32,
    pub requests: u32,
    pub requests_per_person: Option<f64>,
    pub requests_per_permanence: Option<f64>,
    /// Requests by kind (online_procedure, smartphone, computer, email,
    /// printing, personal_documents, introduction, other).
    pub by_kind: BTreeMap<&'static str, u32>,
    /// Requests by reason code (procedure_caf…).
    pub by_reason: BTreeMap<String, u32>,
    /// Visits that recorded requests, and of those, how many carried at
    /// least one request of each kind: the evaluation's "share of requests
    /// about online procedures, about the smartphone…", which overlap (a
    /// procedure done on one's phone is both).
    pub visits: u32,
    pub visits_by_kind: BTreeMap<&'static str, u32>,
    pub accompanied: u32,
    pub autonomous: u32,
    /// Requests whose staff member did not say whether they were
    /// accompanied: left out of the share, and shown.
    pub accompaniment_not_said: u32,
    /// Accompanied among the requests where it was said.
    pub accompanied_share: Option<f64>,
    pub done: u32,
    pub follow_up: u32,
    pub redirected: u32,
    /// Requests whose outcome was not said.
    pub outcome_not_said: u32,
    /// Requests by the resident's autonomy for them (the national report's
    /// three levels), and those where it was not said.
    pub autonomy_guided: u32,
    pub autonomy_with_help: u32,
    pub autonomy_autonomous: u32,
    pub autonomy_not_said: u32,
    /// Progression: residents with at least two visits whose autonomy was
    /// said, among them those whose level rose after their first, and the
    /// median days from that first visit to the first higher level.
    pub residents_followed: u32,
    pub residents_moved_up: u32,
    pub moved_up_share: Option<f64>,
    pub days_to_move_up_median: Option<u32>,
    /// Orientations at the end of visits, and by where to
    /// (`helper:it_helper`, `partner:CAF`…).
    pub oriented: u32,
    pub oriented_to: BTreeMap<String, u32>,
    /// Drop-in: people called, and minutes from arrival to call.
    pub waited: u32,
    pub wait_median_minutes: Option<f64>,
    pub wait_p90_minutes: Option<f64>,
    pub wait_max_minutes: Option<f64>,
    /// People called after 0–5, 5–10, 10–15, 15–20, 20–30, 30–45, 45–60
    /// and over 60 minutes.
    pub wait_histogram: [u32; 8],
    pub left_unserved: u32,
    pub booked: u32,
    pub booked_online: u32,
    pub booked_by_staff: u32,
    pub honoured: u32,
    pub no_show: u32,
    pub cancelled: u32,
    pub cancelled_late: u32,
    pub lead_time_median_hours: Option<u32>,
    /// Messages about these appointments: sent, reported delivered, given
    /// up.
    pub reminders_sent: u32,
    pub reminders_delivered: u32,
    pub reminders_failed: u32,
    /// No-shows among appointments a delivered reminder reached, and
    /// among the others.
    pub no_show_rate_reminded: Option<f64>,
    pub no_show_rate_not_reminded: Option<f64>,
    /// Workshops ("ateliers collectifs"), apart from the permanences:
    /// sessions with places booked, places kept (not cancelled), and the
    /// attendance of those places (present, absent, excused), with the
    /// share present among those recorded.
    pub workshop_sessions: u32,
    pub workshop_places: u32,
    pub workshop_present: u32,
    pub workshop_absent: u32,
    pub workshop_excused: u32,
    pub workshop_presence_share: Option<f64>,
    /// Residents oriented to a workshop at the end of a visit, then
    /// enrolled in it, then present at one of its sessions.
    pub oriented_to_workshop: u32,
    pub oriented_then_enrolled: u32,
    pub oriented_then_present: u32,
    /// Workshop series: enrolments (counted at their first session), and
    /// those completed (present at the sessions the workshop asks, all of
    /// them unless it says fewer).
    pub series_enrolments: u32,
    pub series_completed: u32,
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Sums `permanences` (with their appointments' outcomes).
pub fn sum<'a>(permanences: impl IntoIterator<Item = (&'a Permanence, Outcomes)>) -> Figures {
    let mut f = Figures::default();
    let mut waits = Vec::new();
    let mut leads = Vec::new();
    let mut reminded = (0u32, 0u32);
    // Resident → (day, level) of each visit whose autonomy was said.
    let mut levels: BTreeMap<&str, Vec<(NaiveDate, u8)>> = BTreeMap::new();
    for (p, o) in permanences {
        if p.workshop {
            f.workshop_sessions += 1;
        } else {
            f.permanences += 1;
        }
        f.workshop_places += p.workshop_places;
        f.workshop_present += o.workshop_present;
        f.workshop_absent += o.workshop_absent;
        f.workshop_excused += o.workshop_excused;
        f.oriented_to_workshop += o.oriented_workshop;
        f.oriented_then_enrolled += o.oriented_enrolled;
        f.oriented_then_present += o.oriented_attended;
        f.series_enrolments += o.series_enrolments;
        f.series_completed += o.series_completed;
        if let Some(day) = p.day {
            for (resident, level) in &p.levels {
                levels.entry(resident).or_default().push((day, *level));
            }
        }
        f.people += u32::try_from(p.residents.len()).unwrap_or(u32::MAX) + p.tickets;
        // A workshop session's places carry the autonomy of each
        // participant (in the progression above), not individual requests.
        let visits = if p.workshop { None } else { Some(&p.visits) };
        for requests in visits.into_iter().flat_map(|v| v.values()) {
            if !requests.is_empty() {
                f.visits += 1;
            }
            let mut kinds: Vec<&'static str> = requests
                .iter()
                .map(|r| kind_code(r.reason.kind()))
                .collect();
            kinds.sort_unstable();
            kinds.dedup();
            for k in kinds {
                *f.visits_by_kind.entry(k).or_default() += 1;
            }
            for r in requests {
                f.requests += 1;
                *f.by_kind.entry(kind_code(r.reason.kind())).or_default() += 1;
                *f.by_reason.entry(Reason::code(r.reason)).or_default() += 1;
                match r.accompaniment {
                    Accompaniment::Accompanied => f.accompanied += 1,
                    Accompaniment::Autonomous => f.autonomous += 1,
                    Accompaniment::NotSaid | Accompaniment::Unspecified => {
                        f.accompaniment_not_said += 1;
                    }
                }
                match r.autonomy {
                    Autonomy::Guided => f.autonomy_guided += 1,
                    Autonomy::WithHelp => f.autonomy_with_help += 1,
                    Autonomy::Autonomous => f.autonomy_autonomous += 1,
                    Autonomy::NotSaid => f.autonomy_not_said += 1,
                }
                match r.outcome {
                    Outcome::FollowUp => f.follow_up += 1,
                    Outcome::Redirected => f.redirected += 1,
                    Outcome::NotSaid => f.outcome_not_said += 1,
                    Outcome::Done | Outcome::Unspecified => f.done += 1,
                }
            }
        }
        for to in p.oriented.values().flatten() {
            f.oriented += 1;
            *f.oriented_to.entry(to.clone()).or_default() += 1;
        }
        waits.extend_from_slice(&p.waits);
        leads.extend_from_slice(&p.lead_hours);
        f.left_unserved += p.left_unserved;
        f.booked += p.booked;
        f.booked_online += p.booked_online;
        f.booked_by_staff += p.booked_by_staff;
        f.cancelled += p.cancelled;
        f.cancelled_late += p.cancelled_late;
        f.reminders_sent += p.reminders_sent;
        f.reminders_delivered += p.reminders_delivered;
        f.reminders_failed += p.reminders_failed;
        f.honoured += o.honoured;
        f.no_show += o.no_show;
        reminded.0 += o.reminded_honoured + o.reminded_no_show;
        reminded.1 += o.reminded_no_show;
    }
    let mut days_up = Vec::new();
    for visits in levels.values_mut() {
        if visits.len() < 2 {
            continue;
        }
        visits.sort_unstable();
        f.residents_followed += 1;
        let (first_day, first) = visits[0];
        if let Some((day, _)) = visits.iter().find(|(_, l)| *l > first) {
            f.residents_moved_up += 1;
            days_up.push(u32::try_from((*day - first_day).num_days()).unwrap_or(0));
        }
    }
    days_up.sort_unstable();
    f.days_to_move_up_median = percentile(&days_up, 0.5);
    f.moved_up_share = share(f.residents_moved_up, f.residents_followed).map(round2);
    waits.sort_unstable();
    leads.sort_unstable();
    for w in &waits {
        let bucket = WAIT_BUCKETS
            .iter()
            .position(|limit| *w < limit * 60)
            .unwrap_or(WAIT_BUCKETS.len());
        f.wait_histogram[bucket] += 1;
    }
    let minutes = |s: Option<u32>| s.map(|s| round2(f64::from(s) / 60.0));
    f.waited = u32::try_from(waits.len()).unwrap_or(u32::MAX);
    f.wait_median_minutes = minutes(percentile(&waits, 0.5));
    f.wait_p90_minutes = minutes(percentile(&waits, 0.9));
    f.wait_max_minutes = minutes(waits.last().copied());
    f.lead_time_median_hours = percentile(&leads, 0.5);
    f.requests_per_person = share(f.requests, f.people).map(round2);
    f.requests_per_permanence = share(f.requests, f.permanences).map(round2);
    f.accompanied_share = share(f.accompanied, f.accompanied + f.autonomous).map(round2);
    f.workshop_presence_share = share(
        f.workshop_present,
        f.workshop_present + f.workshop_absent + f.workshop_excused,
    )
    .map(round2);
    let decided = f.honoured + f.no_show;
    f.no_show_rate_reminded = share(reminded.1, reminded.0).map(round2);
    f.no_show_rate_not_reminded =
        share(f.no_show - reminded.1, decided.saturating_sub(reminded.0)).map(round2);
    f
}

/// Upper bounds (minutes) of the wait histogram's buckets; the last
/// bucket is everything above.
pub const WAIT_BUCKETS: [u32; 7] = [5, 10, 15, 20, 30, 45, 60];

/// The kinds, in the order tables show them.
pub const KINDS: [&str; 8] = [
    "online_procedure",
    "smartphone",
    "computer",
    "email",
    "printing",
    "personal_documents",
    "introduction",
    "other",
];

/// Rows as CSV for spreadsheet programs in French locales: UTF-8 with a
/// byte-order mark, `;` between fields, decimal commas.
pub fn csv(rows: &[(String, Figures)]) -> String {
    let mut out = String::from("\u{feff}");
    let mut header = vec![
        "groupe",
        "permanences",
        "personnes",
        "demandes",
        "demandes_par_personne",
        "demandes_par_permanence",
        "part_accompagnees",
        "accompagnement_non_precise",
        "resultat_non_precise",
    ];
    header.extend(KINDS);
    header.extend([
        "attente_mediane_min",
        "attente_p90_min",
        "attente_max_min",
        "partis_sans_etre_servis",
        "rdv_pris",
        "rdv_en_ligne",
        "rdv_par_l_accueil",
        "rdv_honores",
        "rdv_absents",
        "rdv_annules",
        "rdv_annules_tard",
        "delai_median_h",
        "rappels_envoyes",
        "rappels_recus",
        "rappels_en_echec",
        "taux_absence_avec_rappel",
        "taux_absence_sans_rappel",
        // Added after the others, so that a spreadsheet reading columns
        // by position keeps working.
        "autonomie_guide",
        "autonomie_avec_aide",
        "autonomie_autonome",
        "autonomie_non_precisee",
        "personnes_suivies",
        "personnes_progressant",
        "part_progressant",
        "jours_pour_progresser_median",
        "orientations",
        "ateliers_seances",
        "ateliers_places",
        "ateliers_presents",
        "ateliers_absents",
        "ateliers_excuses",
        "ateliers_part_presents",
        "orientes_vers_un_atelier",
        "orientes_puis_inscrits",
        "orientes_puis_venus",
        "series_inscriptions",
        "series_validees",
    ]);
    out.push_str(&header.join(";"));
    out.push_str("\r\n");
    let num = |x: Option<f64>| {
        x.map(|v| v.to_string().replace('.', ","))
            .unwrap_or_default()
    };
    for (key, f) in rows {
        let mut fields = vec![
            cell(key),
            f.permanences.to_string(),
            f.people.to_string(),
            f.requests.to_string(),
            num(f.requests_per_person),
            num(f.requests_per_permanence),
            num(f.accompanied_share),
            f.accompaniment_not_said.to_string(),
            f.outcome_not_said.to_string(),
        ];
        fields.extend(
            KINDS
                .iter()
                .map(|k| f.by_kind.get(k).copied().unwrap_or(0).to_string()),
        );
        fields.extend([
            num(f.wait_median_minutes),
            num(f.wait_p90_minutes),
            num(f.wait_max_minutes),
            f.left_unserved.to_string(),
            f.booked.to_string(),
            f.booked_online.to_string(),
            f.booked_by_staff.to_string(),
            f.honoured.to_string(),
            f.no_show.to_string(),
            f.cancelled.to_string(),
            f.cancelled_late.to_string(),
            f.lead_time_median_hours
                .map(|h| h.to_string())
                .unwrap_or_default(),
            f.reminders_sent.to_string(),
            f.reminders_delivered.to_string(),
            f.reminders_failed.to_string(),
            num(f.no_show_rate_reminded),
            num(f.no_show_rate_not_reminded),
            f.autonomy_guided.to_string(),
            f.autonomy_with_help.to_string(),
            f.autonomy_autonomous.to_string(),
            f.autonomy_not_said.to_string(),
            f.residents_followed.to_string(),
            f.residents_moved_up.to_string(),
            num(f.moved_up_share),
            f.days_to_move_up_median
                .map(|d| d.to_string())
                .unwrap_or_default(),
            f.oriented.to_string(),
            f.workshop_sessions.to_string(),
            f.workshop_places.to_string(),
            f.workshop_present.to_string(),
            f.workshop_absent.to_string(),
            f.workshop_excused.to_string(),
            num(f.workshop_presence_share),
            f.oriented_to_workshop.to_string(),
            f.oriented_then_enrolled.to_string(),
            f.oriented_then_present.to_string(),
            f.series_enrolments.to_string(),
            f.series_completed.to_string(),
        ]);
        out.push_str(&fields.join(";"));
        out.push_str("\r\n");
    }
    out
}

/// A CSV cell: quoted when it holds a separator, a quote or a line break;
/// a leading = + - @ is neutralised (spreadsheet formulas).
pub fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [60, 120, 180, 240, 300, 360, 420, 480, 540, 600];
        assert_eq!(percentile(&v, 0.5), Some(300));
        assert_eq!(percentile(&v, 0.9), Some(540));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn csv_opens_in_a_french_spreadsheet() {
        let f = Figures {
            permanences: 2,
            people: 7,
            requests: 9,
            requests_per_person: Some(1.29),
            ..Figures::default()
        };
        let text = csv(&[("2019-03".into(), f), ("=1+1;x".into(), Figures::default())]);
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert!(lines[0].starts_with("groupe;permanences;personnes;demandes;"));
        assert!(lines[1].starts_with("2019-03;2;7;9;1,29;"), "{}", lines[1]);
        assert!(lines[2].starts_with("\"'=1+1;x\";"), "{}", lines[2]);
        assert_eq!(lines[0].split(';').count(), lines[1].split(';').count());
    }
}
