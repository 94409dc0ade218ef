//! The language of a request: what every message said while answering it
//! is said in (API errors, pages). The messages themselves are in each
//! service's Fluent catalogue (see the `messages` crate).
//!
//! The [`localize`] middleware decides once per request: the language the
//! pages' switch stored (`creneau_lang` cookie); else, for the JSON API (and
//! health and metrics), the caller's `Accept-Language` (French, English or
//! Arabic, by weight);
//! else French. Pages do not follow the browser's language: a resident on
//! a borrowed phone chooses it on the page.

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::Response;

pub use messages::{Language, current};

/// The cookie the pages' language switch sets.
pub const LANG_COOKIE: &str = "creneau_lang";

/// The language of a request to `path` with these headers.
pub fn language(headers: &HeaderMap, path: &str) -> Language {
    if let Some(l) = crate::cookie(headers, LANG_COOKIE).and_then(Language::from_tag) {
        return l;
    }
    if for_programs(path) {
        return headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Language::from_accept_language)
            .unwrap_or_default();
    }
    Language::Fr
}

/// Whether `path` is read by programs (the JSON API, health and metrics),
/// not shown as a page.
pub fn for_programs(path: &str) -> bool {
    path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Middleware: everything said while answering speaks the request's
/// language.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = language(request.headers(), request.uri().path());
    messages::scope(lang, next.run(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_pages_choice_wins_then_the_api_callers_then_french() {
        let en = headers(&[("accept-language", "en-GB,en;q=0.9")]);
        assert_eq!(language(&en, "/api/v1/sites"), Language::En);
        assert_eq!(
            language(&en, "/rdv/x"),
            Language::Fr,
            "pages wait for the switch"
        );
        let chosen = headers(&[("cookie", "creneau_lang=ar"), ("accept-language", "en")]);
        assert_eq!(language(&chosen, "/api/v1/sites"), Language::Ar);
        assert_eq!(language(&chosen, "/"), Language::Ar);
        assert_eq!(language(&HeaderMap::new(), "/api/v1/sites"), Language::Fr);
    }
}
