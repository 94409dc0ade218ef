//! What the pages' forms share: the language cookie, the form token that
//! protects residents' forms (staff forms carry their session's CSRF token,
//! which the access layer checks), and reading a posted form without
//! losing what was typed.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use contracts::Language;

/// Remembers the language chosen on any page, for a year.
pub use api::i18n::LANG_COOKIE;
/// A random value per browser that residents' form tokens are bound to.
pub const FORM_COOKIE: &str = "creneau_form";
/// The resident a staff member is booking for (from reception's search:
/// "book for this person"), for an hour or until the booking is made.
pub const FOR_COOKIE: &str = "creneau_pour";
/// How long a resident's form stays good after it was shown.
pub const FORM_TOKEN_HOURS: i64 = 4;

pub use api::cookie;

/// The page's language: the one chosen (cookie), else French; the same
/// decision as the language the services speak in while answering.
pub fn language(headers: &HeaderMap) -> Language {
    api::i18n::language(headers, "/").into()
}

pub fn language_code(l: Language) -> &'static str {
    match l {
        Language::En => "en",
        Language::Ar => "ar",
        _ => "fr",
    }
}

/// A `Set-Cookie` value; `Secure` when the service is reached over https.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Signs and checks residents' form tokens.
#[derive(Clone)]
pub struct FormKey([u8; 32]);

/// What a resident's form token check found.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenCheck {
    Good,
    /// Too old, or from another browser, or missing: show the form again
    /// with what was typed.
    Stale,
}

impl FormKey {
    pub fn new(key: [u8; 32]) -> Self {
        FormKey(key)
    }

    /// A token for a form shown now to the browser holding `browser`.
    pub fn token(&self, browser: &str, now: DateTime<Utc>) -> String {
        let issued = now.timestamp();
        format!(
            "{issued}.{}",
            api::sign(&self.0, &format!("form|{browser}|{issued}"))
        )
    }

    pub fn check(&self, browser: Option<&str>, token: &str, now: DateTime<Utc>) -> TokenCheck {
        let Some(browser) = browser else {
            return TokenCheck::Stale;
        };
        let Some((issued, mac)) = token.split_once('.') else {
            return TokenCheck::Stale;
        };
        let Ok(issued) = issued.parse::<i64>() else {
            return TokenCheck::Stale;
        };
        let age = now.timestamp() - issued;
        if !(0..=FORM_TOKEN_HOURS * 3600).contains(&age) {
            return TokenCheck::Stale;
        }
        if api::verify(&self.0, &format!("form|{browser}|{issued}"), mac) {
            TokenCheck::Good
        } else {
            TokenCheck::Stale
        }
    }
}

/// A new random browser value for [`FORM_COOKIE`].
pub fn new_browser_value() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No randomness: the token check will fail and say so; nothing is
        // lost, the form is shown again.
        return String::new();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A posted form as pairs, in order; a body that is not a form reads as
/// empty (every field then says what it needs).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The first value of `name`, trimmed.
pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// Every value of `name` (checkboxes).
pub fn fields<'a>(pairs: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_token_is_good_for_its_browser_and_hours_only() {
        let key = FormKey::new([7; 32]);
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("a time");
        let t = key.token("browser-a", now);
        assert_eq!(key.check(Some("browser-a"), &t, now), TokenCheck::Good);
        assert_eq!(key.check(Some("browser-b"), &t, now), TokenCheck::Stale);
        assert_eq!(key.check(None, &t, now), TokenCheck::Stale);
        let later = now + chrono::Duration::hours(FORM_TOKEN_HOURS) + chrono::Duration::seconds(1);
        assert_eq!(key.check(Some("browser-a"), &t, later), TokenCheck::Stale);
        assert_eq!(
            key.check(Some("browser-a"), "garbage", now),
            TokenCheck::Stale
        );
        assert_eq!(key.check(Some("browser-a"), "1.x", now), TokenCheck::Stale);
    }

    #[test]
    fn a_form_reads_its_fields_in_order() {
        let p = pairs(b"a=1&b=+x+&c=2&c=3");
        assert_eq!(field(&p, "b"), "x");
        assert_eq!(fields(&p, "c"), vec!["2", "3"]);
        assert_eq!(field(&p, "none"), "");
        assert!(pairs(b"\xff\xfe=%").is_empty() || field(&pairs(b"\xff"), "x").is_empty());
    }
}
