//! Who acted on an appointment, read from new events and from old ones
//! that still said it as a word; the staff roles' names.

use crate::proto::appointments::v1::{Accompaniment, Autonomy, CancelCause, Outcome, VisitRequest};
use crate::proto::common::v1::Party;
use crate::proto::common::v1::Reason;
use crate::proto::identity::v1::Role;

impl Party {
    /// The party of an event: its typed field, or for an event written
    /// before the field existed, the word it carried ("resident", "staff").
    pub fn read(typed: i32, legacy: &str) -> Party {
        match Party::try_from(typed) {
            Ok(p) if p != Party::Unspecified => p,
            _ => match legacy {
                "resident" => Party::Resident,
                "staff" => Party::Staff,
                _ => Party::Unspecified,
            },
        }
    }

    /// The word the JSON API and the logs use.
    pub fn as_word(self) -> &'static str {
        match self {
            Party::Resident => "resident",
            Party::Staff => "staff",
            Party::System => "system",
            Party::Unspecified => "unknown",
        }
    }
}

impl CancelCause {
    /// The cause of a cancellation: its typed field, or for an old event,
    /// the reason it carried ("resident erased" meant an erasure).
    pub fn read(typed: i32, legacy_reason: &str) -> CancelCause {
        match CancelCause::try_from(typed) {
            Ok(c) if c != CancelCause::Unspecified => c,
            _ if legacy_reason == "resident erased" => CancelCause::ResidentErased,
            _ => CancelCause::Asked,
        }
    }
}

/// The role's name in the API and on the command line: `reception`,
/// `mediator`, `it_helper`, `coordinator`, `admin`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reception => "reception",
        Role::Mediator => "mediator",
        Role::ItHelper => "it_helper",
        Role::Coordinator => "coordinator",
        Role::Admin => "admin",
        Role::Unspecified => "unspecified",
    }
}

/// Every role, from the desk to the administrator.
pub const ROLES: [Role; 5] = [
    Role::Reception,
    Role::Mediator,
    Role::ItHelper,
    Role::Coordinator,
    Role::Admin,
];

/// The role named `name` (see [`role_name`]).
pub fn parse_role(name: &str) -> Result<Role, String> {
    match name.trim() {
        "reception" => Ok(Role::Reception),
        "mediator" => Ok(Role::Mediator),
        "it_helper" => Ok(Role::ItHelper),
        "coordinator" => Ok(Role::Coordinator),
        "admin" => Ok(Role::Admin),
        other => Err(messages::say!(
            crate::MESSAGES,
            "not-a-role",
            value = format!("{other:?}")
        )),
    }
}

impl VisitRequest {
    /// A request as recorded now: "not said" is an answer of its own, and
    /// the old `accompanied` field is still written for older readers.
    pub fn recorded(reason: Reason, how: Accompaniment, outcome: Outcome) -> VisitRequest {
        VisitRequest {
            reason: reason.into(),
            accompanied: how == Accompaniment::Accompanied,
            outcome: outcome.into(),
            accompaniment: how.into(),
            autonomy: Autonomy::NotSaid.into(),
        }
    }

    /// The same request, with the resident's autonomy for it.
    pub fn with_autonomy(mut self, autonomy: Autonomy) -> VisitRequest {
        self.autonomy = autonomy.into();
        self
    }

    /// Whether it was accompanied, from new events and from those written
    /// before "not said" existed (their `accompanied` says).
    pub fn how(&self) -> Accompaniment {
        match Accompaniment::try_from(self.accompaniment) {
            Ok(a) if a != Accompaniment::Unspecified => a,
            _ if self.accompanied => Accompaniment::Accompanied,
            _ => Accompaniment::Autonomous,
        }
    }

    /// What it came to; an event written before "not said" existed that
    /// gives none reads as done, as the statistics always counted it.
    pub fn came_to(&self) -> Outcome {
        match self.outcome() {
            Outcome::Unspecified => Outcome::Done,
            o => o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_events_are_read_from_their_words() {
        assert_eq!(Party::read(0, "staff"), Party::Staff);
        assert_eq!(Party::read(0, "resident"), Party::Resident);
        assert_eq!(Party::read(Party::System as i32, "staff"), Party::System);
        assert_eq!(Party::read(0, ""), Party::Unspecified);
        assert_eq!(
            CancelCause::read(0, "resident erased"),
            CancelCause::ResidentErased
        );
        assert_eq!(
            CancelCause::read(0, "le résident a appelé"),
            CancelCause::Asked
        );
        assert_eq!(
            CancelCause::read(CancelCause::ResidentErased as i32, ""),
            CancelCause::ResidentErased
        );
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in [
            Role::Reception,
            Role::Mediator,
            Role::ItHelper,
            Role::Coordinator,
            Role::Admin,
        ] {
            assert_eq!(parse_role(role_name(role)), Ok(role));
        }
        assert!(parse_role("boss").unwrap_err().contains("reception"));
    }

    #[test]
    fn a_request_says_not_said_and_old_ones_read_as_they_were_counted() {
        let new = VisitRequest::recorded(
            Reason::ProcedureCaf,
            Accompaniment::NotSaid,
            Outcome::NotSaid,
        );
        assert_eq!(new.how(), Accompaniment::NotSaid);
        assert_eq!(new.came_to(), Outcome::NotSaid);
        assert!(!new.accompanied);
        let old = VisitRequest {
            reason: Reason::ProcedureCaf.into(),
            accompanied: true,
            outcome: 0,
            accompaniment: 0,
            autonomy: 0,
        };
        assert_eq!(old.how(), Accompaniment::Accompanied);
        assert_eq!(old.came_to(), Outcome::Done);
        let old_alone = VisitRequest {
            accompanied: false,
            ..old
        };
        assert_eq!(old_alone.how(), Accompaniment::Autonomous);
    }
}
