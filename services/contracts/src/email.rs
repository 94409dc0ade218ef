//! Email addresses as people type them: the one check every form and
//! command uses.

/// Why a text is not an email address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", messages::say!(crate::MESSAGES, "not-an-email", value = format!("{:?}", .0)))]
pub struct EmailError(pub String);

/// The address, trimmed, if it is one: 254 bytes at most, no space or
/// control character, one `@` with something before it, and a domain with
/// a dot that neither starts nor ends it. Case is kept (compare staff
/// emails in lower case).
pub fn parse_email(text: &str) -> Result<String, EmailError> {
    let email = text.trim();
    let fits = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
        });
    if fits {
        Ok(email.to_owned())
    } else {
        Err(EmailError(email.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_people_type_are_taken_and_others_say_how_to_write_them() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        assert_eq!(parse_email(" Ana@Ville.FR "), Ok("Ana@Ville.FR".to_owned()));
        assert_eq!(
            parse_email("jean.petit+rdv@mairie.example.fr"),
            Ok("jean.petit+rdv@mairie.example.fr".to_owned())
        );
        for bad in [
            "ana",
            "ana@ville",
            "@ville.fr",
            "a na@ville.fr",
            "ana@.fr",
            "ana@ville.fr.",
            "ana@ville..fr",
            "ana@b@ville.fr",
            "ana\u{0}@ville.fr",
            "",
        ] {
            let e = parse_email(bad).expect_err(bad);
            assert!(e.to_string().contains("name@example.fr"), "{bad}: {e}");
        }
        assert!(parse_email(&format!("{}@ville.fr", "a".repeat(250))).is_err());
    }
}
