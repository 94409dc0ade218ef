//! Typed identifiers: UUID v7, so that they sort by creation time.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $category:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The stream category of this kind of entity.
            pub const CATEGORY: &'static str = $category;

            /// A new id (UUID v7).
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            /// The entity's stream: `category-uuid`.
            pub fn stream(&self) -> eventlog::StreamName {
                // A category and a UUID always make a valid stream name.
                eventlog::StreamName::of(Self::CATEGORY, self.0)
                    .unwrap_or_else(|_| unreachable!("category-uuid is a valid stream name"))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }
    };
}

id_type!(
    /// A resident ("usager").
    ResidentId, "resident"
);
id_type!(
    /// A staff account.
    StaffId, "staff"
);
id_type!(
    /// A site (one espace numérique).
    SiteId, "site"
);
id_type!(
    /// A permanence rule (and its occurrences' exceptions and staff).
    RuleId, "permanence"
);
id_type!(
    /// An individual appointment.
    AppointmentId, "appointment"
);
id_type!(
    /// One message to a resident (an SMS or an email about an appointment).
    ReminderId, "reminder"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_time_ordered_and_name_their_stream() {
        let a = ResidentId::new();
        let b = ResidentId::new();
        assert!(a < b);
        assert_eq!(a.0.get_version_num(), 7);
        assert_eq!(a.stream().category(), "resident");
        assert_eq!(a.to_string().parse::<ResidentId>().expect("parse"), a);
    }
}
