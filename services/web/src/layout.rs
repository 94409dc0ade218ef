//! The page shell (language switch, staff menu, skip link), what every
//! handler learns from the request ([`Ctx`]), redirects and error pages.

use api::{ApiError, CorrelationId, Principal};
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use contracts::Language;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::forms::{self, FORM_COOKIE, LANG_COOKIE};
use crate::text::{LANGUAGES, Words, words};

/// What a page knows about its request.
pub struct Ctx {
    pub lang: Language,
    /// Whether this browser chose its language (the language cookie): a
    /// page about a resident's appointment otherwise speaks theirs.
    pub lang_chosen: bool,
    pub w: &'static Words,
    /// Path and query of this page, to come back to.
    pub here: String,
    pub staff: Option<Principal>,
    /// The resident a staff member chose to book for ("book for this
    /// person"); only read for a signed-in staff member.
    pub booking_for: Option<contracts::ResidentId>,
    /// The value residents' form tokens are bound to, if the browser has it.
    pub browser: Option<String>,
    pub correlation: CorrelationId,
    /// When the request is handled (the app's clock).
    pub now: api::Now,
    pub client: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = forms::language(&parts.headers);
        let Ok(correlation) = CorrelationId::from_request_parts(parts, state).await;
        let Ok(api::ClientIp(client)) = api::ClientIp::from_request_parts(parts, state).await;
        let now = api::Now::from_request_parts(parts, state).await?;
        Ok(Ctx {
            lang,
            lang_chosen: forms::cookie(&parts.headers, LANG_COOKIE).is_some(),
            w: words(lang),
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            staff: parts.extensions.get::<Principal>().cloned(),
            booking_for: forms::cookie(&parts.headers, forms::FOR_COOKIE)
                .and_then(|v| v.parse().ok()),
            browser: forms::cookie(&parts.headers, FORM_COOKIE)
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            correlation,
            now,
            client,
        })
    }
}

/// A page to send.
pub struct Page {
    pub status: StatusCode,
    pub title: String,
    pub body: Markup,
    /// Staff pages use the width of a desk's screen.
    pub wide: bool,
    pub cookies: Vec<HeaderValue>,
}

impl Page {
    pub fn new(title: impl Into<String>, body: Markup) -> Page {
        Page {
            status: StatusCode::OK,
            title: title.into(),
            body,
            wide: false,
            cookies: Vec::new(),
        }
    }

    pub fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }

    /// 422 when the form it shows again was refused.
    pub fn refused_if(self, refused: bool) -> Page {
        if refused {
            self.status(StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            self
        }
    }

    pub fn wide(mut self) -> Page {
        self.wide = true;
        self
    }

    pub fn cookie(mut self, cookie: Option<HeaderValue>) -> Page {
        self.cookies.extend(cookie);
        self
    }

    pub fn render(self, ctx: &Ctx) -> Response {
        let w = ctx.w;
        let markup = html! {
            (DOCTYPE)
            html lang=(w.code) dir=(w.dir) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · Créneau" }
                    link rel="stylesheet" href="/static/creneau.css";
                    script src="/static/live.js" defer {}
                }
                body {
                    a.skip href="#contenu" { (w.skip) }
                    header.top {
                        a.brand href=(if ctx.staff.is_some() { "/agents" } else { "/" }) { "Créneau" }
                        nav.langs aria-label=(w.language) {
                            ul {
                                @for l in LANGUAGES {
                                    @let other = words(l);
                                    li {
                                        a href=(language_link(l, &ctx.here)) lang=(other.code) hreflang=(other.code)
                                            aria-current=[(l == ctx.lang).then_some("true")] { (other.name) }
                                    }
                                }
                            }
                        }
                        @if let Some(p) = &ctx.staff {
                            (staff_menu(ctx, p))
                        }
                    }
                    main id="contenu" class=[self.wide.then_some("wide")] tabindex="-1" {
                        (self.body)
                    }
                    footer {
                        @if ctx.staff.is_none() {
                            a href="/connexion" { (w.staff_space) }
                        }
                    }
                }
            }
        };
        let mut response = (self.status, maud_html(markup)).into_response();
        for c in self.cookies {
            response.headers_mut().append(header::SET_COOKIE, c);
        }
        response
    }
}

fn maud_html(m: Markup) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        m.into_string(),
    )
        .into_response()
}

/// The menu of a signed-in staff member: what their roles open.
fn staff_menu(ctx: &Ctx, p: &Principal) -> Markup {
    use contracts::Role;
    html! {
        nav.staff aria-label=(t(ctx, "staff-menu")) {
            ul {
                @if p.may(api::FRONT_DESK, None) {
                    li { a href="/agents/accueil" { (t(ctx, "menu-reception")) } }
                    li { a href="/agents/journee" { (t(ctx, "menu-today")) } }
                    li { a href="/agents/agenda" { (t(ctx, "menu-agenda")) } }
                    li { a href="/agents/attente" { (t(ctx, "menu-waiting")) } }
                }
                @if p.may(&[Role::Coordinator], None) {
                    li { a href="/agents/statistiques" { (t(ctx, "menu-statistics")) } }
                    li { a href="/agents/lieux" { (t(ctx, "menu-sites")) } }
                    li { a href="/agents/webhooks" { (t(ctx, "menu-webhooks")) } }
                }
                @if p.is_admin() {
                    li { a href="/agents/equipe" { (t(ctx, "menu-team")) } }
                }
                li {
                    form.inline method="post" action="/deconnexion" {
                        (csrf_field(ctx))
                        button.small.secondary type="submit" { (t(ctx, "sign-out")) " (" (p.display_name) ")" }
                    }
                }
            }
        }
    }
}

/// A staff page's words, from the web's staff catalogue
/// (`messages/staff/*.ftl`): French, or English when chosen. Staff pages
/// asked in Arabic are shown in French (the catalogue has no Arabic yet:
/// the same mechanism takes it when a translation is written).
pub fn t(ctx: &Ctx, id: &str) -> String {
    STAFF.say(ctx.lang, id, &[])
}

/// A staff message with parts that change.
pub fn t_with(ctx: &Ctx, id: &str, args: messages::Args<'_>) -> String {
    STAFF.say(ctx.lang, id, args)
}

messages::catalogue!(STAFF, "web-staff", "staff", fr, en);

/// Staff pages are in French or English: a page asked in Arabic is shown
/// in French, and says so in its `lang`.
pub fn staff_language(mut ctx: Ctx) -> Ctx {
    if ctx.lang == Language::Ar {
        ctx.lang = Language::Fr;
        ctx.w = words(Language::Fr);
    }
    ctx
}

/// The hidden CSRF field of a staff form (the session's token).
pub fn csrf_field(ctx: &Ctx) -> Markup {
    let token = ctx
        .staff
        .as_ref()
        .and_then(|p| p.session.as_ref())
        .map(|s| s.csrf.as_str())
        .unwrap_or_default();
    html! { input type="hidden" name="csrf" value=(token); }
}

fn language_link(l: Language, here: &str) -> String {
    let back: String = url_encode(here);
    format!("/langue?l={}&retour={back}", forms::language_code(l))
}

pub use api::url_encode;

#[derive(Deserialize)]
pub struct LanguageQuery {
    l: Option<String>,
    retour: Option<String>,
}

/// `GET /langue?l=ar&retour=/rdv/…`: remembers the language and goes back.
pub async fn choose_language(ctx: Ctx, Query(q): Query<LanguageQuery>) -> Response {
    let code = match q.l.as_deref() {
        Some(c @ ("fr" | "en" | "ar")) => c,
        _ => forms::language_code(ctx.lang),
    };
    let back = api::safe_return(q.retour.as_deref());
    let mut response = see_other(&back);
    response.headers_mut().append(
        header::SET_COOKIE,
        forms::set_cookie(LANG_COOKIE, code, 365 * 24 * 3600, false),
    );
    response
}

/// 303 to `to`: after a form, the browser gets the page and the back
/// button does not send the form again.
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// The signed-in staff member, or the way to the sign-in page (the access
/// layer sends visitors of staff pages there already; this is the
/// handler's own check).
pub fn signed_in(ctx: &Ctx) -> Result<&Principal, ApiError> {
    ctx.staff.as_ref().ok_or_else(|| {
        ApiError::SignIn(format!(
            "/connexion?retour={}",
            url_encode(&api::safe_return(Some(&ctx.here)))
        ))
    })
}

/// The words an error says to the person in front of the page.
pub fn says(ctx: &Ctx, e: &ApiError) -> String {
    let w = ctx.w;
    let message = match e {
        ApiError::TooMany { .. } => return w.err_too_many.to_owned(),
        ApiError::Unavailable(_) | ApiError::Internal(_) | ApiError::SignIn(_) => {
            return w.err_unavailable.to_owned();
        }
        ApiError::Invalid { message, .. } => message.as_str(),
        ApiError::MethodNotAllowed { .. } => return w.err_other.to_owned(),
        ApiError::TooLarge(m)
        | ApiError::BadRequest(m)
        | ApiError::Unauthorized(m)
        | ApiError::Forbidden(m)
        | ApiError::NotFound(m)
        | ApiError::Conflict(m) => m.as_str(),
    };
    // Said already in the request's language, by the service that refused.
    message.to_owned()
}

/// A page that says what went wrong and where to go from here.
pub fn failure(ctx: &Ctx, e: &ApiError) -> Response {
    if matches!(e, ApiError::Internal(_)) {
        tracing::error!(correlation = %ctx.correlation.0, error = %e, "a page failed");
    }
    let w = ctx.w;
    let status = e.status();
    let title = if status == StatusCode::NOT_FOUND {
        w.err_not_found.as_str()
    } else {
        w.err_other.trim_end_matches([':', ' ', '\u{a0}'])
    };
    Page::new(
        title,
        html! {
            h1 { (title) }
            p.alert role="alert" { (says(ctx, e)) }
            p { a href=(if ctx.staff.is_some() { "/agents" } else { "/" }) { (w.home) } }
        },
    )
    .status(status)
    .render(ctx)
}

/// "mar. 03/12 à 9h30" in the page's language, Paris time.
pub fn when(ctx: &Ctx, t: DateTime<Utc>) -> String {
    reminders::texts::when(ctx.lang, t)
}

/// A stored number (E.164) as people say it in France: `06 12 34 56 78`.
pub fn phone_words(e164: &str) -> String {
    contracts::PhoneNumber::parse(e164).map_or_else(|_| e164.to_owned(), |p| p.display_national())
}

/// A link to the address on OpenStreetMap (no key, no tracking script).
pub fn map_link(address: &str) -> String {
    format!(
        "https://www.openstreetmap.org/search?query={}",
        url_encode(address)
    )
}

/// What a refused staff form says: the message, and the field it is about
/// when the service named one. The form shows the message at the top and
/// again under its field, which is marked invalid and described by it.
pub struct Refusal {
    pub field: Option<String>,
    pub message: String,
}

impl Refusal {
    pub fn of(ctx: &Ctx, e: &ApiError) -> Refusal {
        Refusal {
            field: match e {
                ApiError::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            },
            message: says(ctx, e),
        }
    }

    /// A refusal the page itself decides, about `field`.
    pub fn at(field: &str, message: String) -> Refusal {
        Refusal {
            field: Some(field.to_owned()),
            message,
        }
    }

    /// Whether it is about the form's field `name` (the service may name it
    /// with a path: `offer.desks` is the form's `desks`).
    pub fn about(&self, name: &str) -> bool {
        self.field
            .as_deref()
            .is_some_and(|f| f == name || f.rsplit('.').next() == Some(name))
    }
}

/// The refusal at the top of a form, if any.
pub fn refusal_top(r: Option<&Refusal>) -> Markup {
    html! { @if let Some(r) = r { p.alert role="alert" { (r.message) } } }
}

/// A labelled text input that keeps what was typed and, when the form was
/// refused about it, is marked invalid and described by the message.
pub fn staff_input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    r: Option<&Refusal>,
) -> Markup {
    let wrong = r.filter(|r| r.about(name));
    let described = wrong.map(|_| format!("err-{name}"));
    html! {
        label for=(name) { (label) }
        input type=(kind) id=(name) name=(name) value=(value)
            aria-invalid=[wrong.map(|_| "true")] aria-describedby=[described.as_deref()];
        @if let Some(w) = wrong { p.error id={ "err-" (name) } { (w.message) } }
    }
}
