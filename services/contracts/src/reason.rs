//! Reasons for a visit: the "demandes" the statistics count.

use crate::proto::common::v1::Reason;

/// The families of reasons that the evaluation report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonKind {
    /// "Démarches en ligne": handled by mediators.
    OnlineProcedure,
    Smartphone,
    Computer,
    Email,
    /// Printing, copying, scanning.
    Printing,
    /// Scanning and sending personal documents.
    PersonalDocuments,
    /// Introduction to digital tools.
    Introduction,
    Other,
    /// A place in a workshop session ("atelier collectif").
    Workshop,
}

impl Reason {
    /// Every reason a resident can choose, in display order (a workshop
    /// place, [`Reason::Workshop`], is chosen from the workshops' list).
    pub const ALL: [Reason; 17] = [
        Reason::ProcedureCaf,
        Reason::ProcedurePrefecture,
        Reason::ProcedureAnts,
        Reason::ProcedureFranceTravail,
        Reason::ProcedureTaxes,
        Reason::ProcedureHousing,
        Reason::ProcedureHealthInsurance,
        Reason::ProcedureRetirement,
        Reason::ProcedureSchooling,
        Reason::ProcedureOther,
        Reason::Smartphone,
        Reason::Computer,
        Reason::Email,
        Reason::Printing,
        Reason::PersonalDocuments,
        Reason::Introduction,
        Reason::Other,
    ];

    /// The reason's code in the API: `procedure_caf`, `smartphone`… (the
    /// proto name without `REASON_`, in lower case).
    pub fn code(self) -> String {
        self.as_str_name()
            .trim_start_matches("REASON_")
            .to_lowercase()
    }

    /// The reason of a code (see [`Reason::code`]).
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::from_str_name(&format!("REASON_{}", code.trim().to_uppercase()))
            .filter(|r| *r != Reason::Unspecified)
    }

    pub fn kind(self) -> ReasonKind {
        match self {
            Reason::ProcedureCaf
            | Reason::ProcedurePrefecture
            | Reason::ProcedureAnts
            | Reason::ProcedureFranceTravail
            | Reason::ProcedureTaxes
            | Reason::ProcedureHousing
            | Reason::ProcedureHealthInsurance
            | Reason::ProcedureRetirement
            | Reason::ProcedureSchooling
            | Reason::ProcedureOther => ReasonKind::OnlineProcedure,
            Reason::Smartphone => ReasonKind::Smartphone,
            Reason::Computer => ReasonKind::Computer,
            Reason::Email => ReasonKind::Email,
            Reason::Printing => ReasonKind::Printing,
            Reason::PersonalDocuments => ReasonKind::PersonalDocuments,
            Reason::Introduction => ReasonKind::Introduction,
            Reason::Other | Reason::Unspecified => ReasonKind::Other,
            Reason::Workshop => ReasonKind::Workshop,
        }
    }

    /// Whether the public IT helper, rather than a mediator, takes it.
    pub fn for_it_helper(self) -> bool {
        matches!(
            self.kind(),
            ReasonKind::Smartphone | ReasonKind::Computer | ReasonKind::Email
        )
    }

    /// Short French words for a button or a table.
    pub fn label_fr(self) -> &'static str {
        match self {
            Reason::ProcedureCaf => "CAF",
            Reason::ProcedurePrefecture => "Préfecture, titre de séjour",
            Reason::ProcedureAnts => "Carte d’identité, passeport, permis (ANTS)",
            Reason::ProcedureFranceTravail => "France Travail, emploi",
            Reason::ProcedureTaxes => "Impôts",
            Reason::ProcedureHousing => "Logement",
            Reason::ProcedureHealthInsurance => "Santé, Assurance maladie",
            Reason::ProcedureRetirement => "Retraite",
            Reason::ProcedureSchooling => "École, scolarité",
            Reason::ProcedureOther => "Autre démarche en ligne",
            Reason::Smartphone => "Smartphone",
            Reason::Computer => "Ordinateur",
            Reason::Email => "Messagerie, e-mail",
            Reason::Printing => "Imprimer, copier, scanner",
            Reason::PersonalDocuments => "Scanner et envoyer mes documents",
            Reason::Introduction => "Découvrir le numérique",
            Reason::Other | Reason::Unspecified => "Autre",
            Reason::Workshop => "Atelier collectif",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_back_from_its_code() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_code(&r.code()), Some(r));
        }
        assert_eq!(
            Reason::ProcedureFranceTravail.code(),
            "procedure_france_travail"
        );
        assert_eq!(Reason::from_code("unspecified"), None);
        assert_eq!(Reason::from_code("nonsense"), None);
    }

    #[test]
    fn procedures_go_to_mediators_and_equipment_to_the_it_helper() {
        assert_eq!(Reason::ProcedureCaf.kind(), ReasonKind::OnlineProcedure);
        assert!(!Reason::ProcedureAnts.for_it_helper());
        assert!(Reason::Smartphone.for_it_helper());
        assert!(Reason::ALL.iter().all(|r| !r.label_fr().is_empty()));
        assert_eq!(
            Reason::ALL
                .iter()
                .filter(|r| r.kind() == ReasonKind::OnlineProcedure)
                .count(),
            10
        );
    }
}
