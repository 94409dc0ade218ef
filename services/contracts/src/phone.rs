//! Mobile phone numbers, as residents and reception type them.
//!
//! Accepted: `06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12 34 56 78`,
//! `0033612345678`, and the overseas departments' mobiles, which French
//! people dial as `0690…` (Guadeloupe), `0694…` (Guyane), `0696…`/`0697…`
//! (Martinique), `0692…`/`0693…` (La Réunion), `0639…` (Mayotte): those have
//! their own country codes (+590, +594, +596, +262), not +33, and an SMS
//! sent to +33 690… never arrives. Stored and compared as E.164.

use std::fmt;

use phonenumber::country::Id;
use phonenumber::{Mode, Type};
use serde::{Deserialize, Serialize};

/// Regions tried, in order, for a number written without a country code.
const NATIONAL_REGIONS: [Id; 6] = [Id::FR, Id::GP, Id::GF, Id::MQ, Id::RE, Id::YT];

/// A mobile number in E.164 form, e.g. `+33612345678`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

/// Why a number was refused, in words a person at the desk can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{}", messages::say!(crate::MESSAGES, "phone-empty"))]
    Empty,
    #[error("{}", messages::say!(crate::MESSAGES, "not-a-phone-number", value = format!("{:?}", .0)))]
    NotANumber(String),
    #[error("{}", messages::say!(crate::MESSAGES, "not-a-mobile-number", value = format!("{:?}", .0)))]
    NotMobile(String),
}

impl PhoneNumber {
    /// Parses what someone typed; French national numbers by default.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " .-+()/\u{a0}".contains(c))
        {
            return Err(PhoneError::NotANumber(trimmed.to_owned()));
        }
        let international = trimmed.starts_with('+') || trimmed.starts_with("00");
        let regions: &[Id] = if international {
            &NATIONAL_REGIONS[..1]
        } else {
            &NATIONAL_REGIONS
        };
        let mut valid_but_not_mobile = false;
        for region in regions {
            let Ok(number) = phonenumber::parse(Some(*region), trimmed) else {
                continue;
            };
            if !phonenumber::is_valid(&number) {
                continue;
            }
            match number.number_type(&phonenumber::metadata::DATABASE) {
                Type::Mobile | Type::FixedLineOrMobile => {
                    return Ok(PhoneNumber(number.format().mode(Mode::E164).to_string()));
                }
                _ => valid_but_not_mobile = true,
            }
        }
        if valid_but_not_mobile {
            Err(PhoneError::NotMobile(trimmed.to_owned()))
        } else {
            Err(PhoneError::NotANumber(trimmed.to_owned()))
        }
    }

    /// E.164: `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits as people say them in France: `06 12 34 56 78` for a
    /// metropolitan number, E.164 otherwise.
    pub fn display_national(&self) -> String {
        match self.0.strip_prefix("+33") {
            Some(rest) if rest.len() == 9 => {
                let digits = format!("0{rest}");
                digits
                    .as_bytes()
                    .chunks(2)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            _ => self.0.clone(),
        }
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&value)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(s: &str) -> String {
        PhoneNumber::parse(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .as_str()
            .to_owned()
    }

    #[test]
    fn reads_the_ways_people_write_a_french_mobile() {
        for s in [
            "06 12 34 56 78",
            "0612345678",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033 6 12 34 56 78",
            " 07 81 23 45 67 ",
        ] {
            assert!(e164(s).starts_with("+33"), "{s}");
        }
        assert_eq!(e164("06 12 34 56 78"), "+33612345678");
    }

    #[test]
    fn overseas_mobiles_get_their_own_country_code() {
        assert_eq!(e164("0690 12 34 56"), "+590690123456"); // Guadeloupe
        assert_eq!(e164("0694 12 34 56"), "+594694123456"); // Guyane
        assert_eq!(e164("0696 12 34 56"), "+596696123456"); // Martinique
        assert_eq!(e164("0692 12 34 56"), "+262692123456"); // La Réunion
        assert_eq!(e164("0639 01 23 45"), "+262639012345"); // Mayotte
        assert_eq!(e164("+590 690 12 34 56"), "+590690123456");
    }

    #[test]
    fn foreign_mobiles_in_international_form_are_kept() {
        assert_eq!(e164("+44 7400 123456"), "+447400123456");
        assert_eq!(e164("+213 551 23 45 67"), "+213551234567");
    }

    #[test]
    fn refuses_landlines_and_nonsense_with_a_reason() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        assert_eq!(
            PhoneNumber::parse("01 42 76 40 40"),
            Err(PhoneError::NotMobile("01 42 76 40 40".into()))
        );
        assert_eq!(PhoneNumber::parse("  "), Err(PhoneError::Empty));
        assert!(matches!(
            PhoneNumber::parse("06 12"),
            Err(PhoneError::NotANumber(_))
        ));
        assert!(matches!(
            PhoneNumber::parse("jeanne@example.org"),
            Err(PhoneError::NotANumber(_))
        ));
        let message = PhoneNumber::parse("01 42 76 40 40")
            .unwrap_err()
            .to_string();
        assert!(message.contains("mobile"), "{message}");
    }

    #[test]
    fn shows_metropolitan_numbers_the_french_way() {
        assert_eq!(
            PhoneNumber::parse("+33612345678")
                .expect("parse")
                .display_national(),
            "06 12 34 56 78"
        );
        assert_eq!(
            PhoneNumber::parse("0690123456")
                .expect("parse")
                .display_national(),
            "+590690123456"
        );
    }
}
