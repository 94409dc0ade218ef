//! The activity report in the shape of the national digital mediators'
//! one (La Coop de la médiation numérique's "compte rendu d'activité"):
//! one row per accompaniment, without entering anything twice. Pure: the
//! fold in, rows out.
//!
//! Créneau's reasons map to the report's themes, equipment and, for online
//! procedures, the procedure's field, in one table ([`theme`]); the
//! autonomy levels map to its three levels ([`autonomy_words`]).

use contracts::Reason;

use crate::fold::{Fold, visit_level};
use crate::service::Query;

/// The report's theme for online procedures.
const PROCEDURES: &str = "Aide aux démarches administratives";

/// A reason as the report says it: its theme, the equipment it used (if
/// the reason says), and for an online procedure, the procedure's field.
pub fn theme(r: Reason) -> (&'static str, Option<&'static str>, Option<&'static str>) {
    match r {
        Reason::ProcedureCaf => (PROCEDURES, None, Some("Social - Santé")),
        Reason::ProcedurePrefecture => (PROCEDURES, None, Some("Étrangers - Europe")),
        Reason::ProcedureAnts => (PROCEDURES, None, Some("Papiers - Élections Citoyenneté")),
        Reason::ProcedureFranceTravail => (PROCEDURES, None, Some("Travail - Formation")),
        Reason::ProcedureTaxes => (PROCEDURES, None, Some("Argent - Impôts")),
        Reason::ProcedureHousing => (PROCEDURES, None, Some("Logement")),
        Reason::ProcedureHealthInsurance => (PROCEDURES, None, Some("Social - Santé")),
        Reason::ProcedureRetirement => (PROCEDURES, None, Some("Social - Santé")),
        Reason::ProcedureSchooling => (PROCEDURES, None, Some("Famille - Scolarité")),
        Reason::ProcedureOther | Reason::PersonalDocuments => (PROCEDURES, None, None),
        Reason::Smartphone => ("Prendre en main du matériel", Some("Téléphone"), None),
        Reason::Computer => ("Prendre en main du matériel", Some("Ordinateur"), None),
        Reason::Email => ("E-mail", None, None),
        Reason::Printing => ("Bureautique", None, None),
        Reason::Introduction => ("Culture numérique", None, None),
        Reason::Other | Reason::Unspecified => ("Autre", None, None),
        // A workshop session's rows name the workshop's own theme.
        Reason::Workshop => ("Culture numérique", None, None),
    }
}

/// The report's words for an autonomy level; none when it was not said.
pub fn autonomy_words(level: Option<u8>) -> &'static str {
    match level {
        Some(1) => "Entièrement accompagné",
        Some(2) => "Partiellement autonome",
        Some(3) => "Autonome",
        _ => "",
    }
}

/// Where an orientation went, as the report names a structure.
fn structure(key: &str) -> String {
    match key.split_once(':') {
        Some(("helper", "it_helper")) => "Conseiller numérique".to_owned(),
        Some(("helper", "mediator")) => "Médiateur".to_owned(),
        Some((_, name)) => name.to_owned(),
        None => key.to_owned(),
    }
}

/// The CSV of the visits of the query's period and sites: one row each,
/// oldest first, for a French spreadsheet (BOM, `;`).
pub fn csv(fold: &Fold, q: &Query) -> String {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let outcomes = fold.outcomes();
    for (permanence_id, p) in &fold.permanences {
        let Some(day) = p.day else { continue };
        let wanted_site = match (&q.sites, p.site) {
            (None, _) => true,
            (Some(list), Some(site)) => list.contains(&site),
            (Some(_), None) => false,
        };
        if day < q.from || day > q.to || !wanted_site {
            continue;
        }
        let place = p
            .site
            .and_then(|s| fold.sites.get(&s))
            .cloned()
            .unwrap_or_default();
        // A workshop session is one collective accompaniment: its
        // participants are those present.
        let present = outcomes
            .get(permanence_id.as_str())
            .map_or(0, |o| o.workshop_present);
        if p.workshop && present > 0 {
            let rule = permanence_id.split('_').next().unwrap_or_default();
            let (title, workshop_theme) = fold
                .workshops
                .get(rule)
                .map_or((String::new(), Reason::Introduction), |w| {
                    (w.title.clone(), w.theme)
                });
            let (t, e, _) = theme(workshop_theme);
            let fields = vec![
                day.format("%d/%m/%Y").to_string(),
                p.session_minutes.to_string(),
                place.clone(),
                "Atelier collectif".to_owned(),
                "Sur inscription".to_owned(),
                e.unwrap_or_default().to_owned(),
                t.to_owned(),
                String::new(),
                String::new(),
                "Non".to_owned(),
                String::new(),
                String::new(),
                permanence_id.clone(),
                present.to_string(),
                title,
            ];
            rows.push((format!("{day} {permanence_id}"), fields));
        }
        // A session's participants are its collective row, not
        // individual accompaniments.
        let visits = if p.workshop { None } else { Some(&p.visits) };
        for (visit, requests) in visits.into_iter().flatten() {
            if requests.is_empty() {
                continue;
            }
            let mut themes: Vec<&str> = Vec::new();
            let mut equipment: Vec<&str> = Vec::new();
            let mut procedures: Vec<&str> = Vec::new();
            for r in requests {
                let (t, e, d) = theme(r.reason);
                if !themes.contains(&t) {
                    themes.push(t);
                }
                for (list, x) in [(&mut equipment, e), (&mut procedures, d)] {
                    if let Some(x) = x
                        && !list.contains(&x)
                    {
                        list.push(x);
                    }
                }
            }
            let oriented: Vec<String> = p
                .oriented
                .get(visit)
                .map(|list| list.iter().map(|k| structure(k)).collect())
                .unwrap_or_default();
            let fields = vec![
                day.format("%d/%m/%Y").to_string(),
                fold.visit_minutes(visit)
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                place.clone(),
                "Accompagnement individuel".to_owned(),
                if fold.is_appointment(visit) {
                    "Rendez-vous"
                } else {
                    "Accès libre"
                }
                .to_owned(),
                equipment.join(", "),
                themes.join(", "),
                procedures.join(", "),
                autonomy_words(visit_level(requests)).to_owned(),
                if oriented.is_empty() { "Non" } else { "Oui" }.to_owned(),
                oriented.join(", "),
                requests.len().to_string(),
                permanence_id.clone(),
                "1".to_owned(),
                String::new(),
            ];
            rows.push((format!("{day} {permanence_id} {visit}"), fields));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::from("\u{feff}");
    out.push_str(
        "date;duree_min;lieu;type;modalite;materiel;thematiques;demarches;autonomie;orientation;structures_orientation;demandes;creneau;participants;atelier\r\n",
    );
    for (_, fields) in rows {
        let cells: Vec<String> = fields.iter().map(|f| crate::figures::cell(f)).collect();
        out.push_str(&cells.join(";"));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_has_a_theme_and_the_devices_their_equipment() {
        for r in Reason::ALL {
            let (theme, equipment, field) = theme(r);
            assert!(!theme.is_empty(), "{r:?}");
            // A procedure's field only for procedures.
            assert!(field.is_none() || theme == PROCEDURES, "{r:?}");
            assert_eq!(
                equipment.is_some(),
                matches!(r, Reason::Smartphone | Reason::Computer),
                "{r:?}"
            );
        }
        assert_eq!(autonomy_words(Some(1)), "Entièrement accompagné");
        assert_eq!(autonomy_words(None), "");
    }
}
