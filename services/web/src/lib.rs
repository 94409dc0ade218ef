//! Créneau's web pages, rendered on the server (maud): residents book in
//! four steps and manage their appointment from the SMS link; reception
//! finds a resident and books, moves or cancels; mediators run the day and
//! the drop-in queue; coordinators read the figures.
//!
//! Every page works without JavaScript: forms post and redirect. One small
//! script (`/static/live.js`) makes the queue follow the server's changes
//! (server-sent events) and waiting times tick.
//!
//! The pages call the services' own commands, as their JSON APIs do; they
//! hold no state of their own besides two cookies (the language, and a
//! random value residents' form tokens are bound to).

/// Runs a staff page: `$ctx` becomes a `&Ctx` (in French or English),
/// `$p` the signed-in `&Principal`, and `$body` (a future of
/// `Result<Response, ApiError>`) runs; an error becomes a page that says
/// it, no session the sign-in page.
macro_rules! staff_page {
    ($ctx:ident, $p:ident, $body:expr) => {{
        let owned = crate::layout::staff_language($ctx);
        let $p: &api::Principal = match crate::layout::signed_in(&owned) {
            Ok(p) => p,
            Err(to_sign_in) => return axum::response::IntoResponse::into_response(to_sign_in),
        };
        let $ctx: &crate::layout::Ctx = &owned;
        let result: Result<axum::response::Response, api::ApiError> = $body.await;
        match result {
            Ok(r) => r,
            Err(e) => crate::layout::failure($ctx, &e),
        }
    }};
}

mod admin;
mod forms;
mod layout;
mod resident;
mod staff;
pub mod text;

use std::sync::Arc;

use api::{Need, Routes, Verb};
use axum::http::header;
use axum::response::IntoResponse;

pub use forms::{FORM_COOKIE, LANG_COOKIE};

/// What the pages reach: every service, and the key of residents' forms.
#[derive(Clone)]
pub struct Web {
    inner: Arc<Inner>,
}

struct Inner {
    identity: identity::Identity,
    calendar: calendar::Calendar,
    appointments: appointments::Appointments,
    reminders: reminders::Reminders,
    stats: stats::Stats,
    forms: forms::FormKey,
    secure_cookies: bool,
    clock: Arc<dyn reminders::Clock>,
}

impl Web {
    pub fn new(
        identity: identity::Identity,
        calendar: calendar::Calendar,
        appointments: appointments::Appointments,
        reminders: reminders::Reminders,
        stats: stats::Stats,
        public_url: &str,
        clock: Arc<dyn reminders::Clock>,
    ) -> Web {
        let forms = forms::FormKey::new(identity.vault().derive_key("web forms v1"));
        Web {
            inner: Arc::new(Inner {
                identity,
                calendar,
                appointments,
                reminders,
                stats,
                forms,
                secure_cookies: public_url.starts_with("https://"),
                clock,
            }),
        }
    }

    /// Now, as the pages decide with it.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }
}

/// Every page, each with its access rule. Staff pages are `Page`: a visitor
/// without a session is sent to the sign-in page instead of getting a JSON
/// 401; the handler checks the roles at the site of what the page shows.
pub fn routes(web: Web) -> Routes {
    use Need::{AdminPage, Optional, Page, Public};
    const DESK: &[contracts::Role] = api::FRONT_DESK;
    const COORDINATOR: &[contracts::Role] = &[contracts::Role::Coordinator];
    use Verb::{Get, Post};
    Routes::new()
        .route(Get, "/static/creneau.css", Public, stylesheet)
        .route(Get, "/static/live.js", Public, script)
        .route(Get, "/langue", Public, layout::choose_language)
        .route(Get, "/", Optional, resident::sites_page)
        .route(Get, "/rdv/{site_id}", Optional, resident::reasons_page)
        .route(
            Get,
            "/rdv/{site_id}/{reason}",
            Optional,
            resident::times_page,
        )
        .route(
            Get,
            "/rdv/{site_id}/{reason}/{start}",
            Optional,
            resident::who_page,
        )
        .route(
            Post,
            "/rdv/{site_id}/{reason}/{start}",
            Optional,
            resident::book_post,
        )
        .route(Get, "/r/{token}", Public, resident::manage_page)
        .route(Post, "/r/{token}/annuler", Public, resident::cancel_post)
        .route(Get, "/r/{token}/deplacer", Public, resident::move_page)
        .route(Post, "/r/{token}/deplacer", Public, resident::move_post)
        .route(Get, "/connexion", Optional, staff::sign_in_page)
        .route(Post, "/connexion", Public, staff::sign_in_post)
        .route(Post, "/deconnexion", Page(&[]), staff::sign_out_post)
        .route(Get, "/agents", Page(&[]), staff::home_page)
        .route(Get, "/agents/accueil", Page(DESK), staff::reception_page)
        .route(
            Get,
            "/agents/rdv/{appointment_id}/deplacer",
            Page(DESK),
            staff::move_page,
        )
        .route(
            Post,
            "/agents/rdv/{appointment_id}/deplacer",
            Page(DESK),
            staff::move_post,
        )
        .route(
            Post,
            "/agents/rdv/{appointment_id}/annuler",
            Page(DESK),
            staff::cancel_post,
        )
        .route(
            Post,
            "/agents/rdv/{appointment_id}/etape",
            Page(DESK),
            staff::step_post,
        )
        .route(Get, "/agents/journee", Page(DESK), staff::day_page)
        .route(
            Get,
            "/agents/permanences/{permanence_id}",
            Page(DESK),
            staff::permanence_page,
        )
        .route(
            Get,
            "/agents/permanences/{permanence_id}/file",
            Page(DESK),
            staff::queue_fragment,
        )
        .route(
            Post,
            "/agents/permanences/{permanence_id}/file",
            Page(DESK),
            staff::arrive_post,
        )
        .route(
            Get,
            "/agents/permanences/{permanence_id}/feuille",
            Page(DESK),
            staff::day_sheet,
        )
        .route(
            Post,
            "/agents/tickets/{ticket_id}",
            Page(DESK),
            staff::ticket_post,
        )
        .route(
            Get,
            "/agents/visites/{visit_id}",
            Page(DESK),
            staff::visit_page,
        )
        .route(
            Post,
            "/agents/visites/{visit_id}",
            Page(DESK),
            staff::visit_post,
        )
        .route(
            Get,
            "/agents/statistiques",
            Page(stats::READERS),
            staff::stats_page,
        )
        .route(Get, "/agents/lieux", Page(COORDINATOR), admin::sites_page)
        .route(Post, "/agents/lieux", Page(COORDINATOR), admin::site_create)
        .route(
            Get,
            "/agents/lieux/{site_id}",
            Page(COORDINATOR),
            admin::site_page,
        )
        .route(
            Post,
            "/agents/lieux/{site_id}",
            Page(COORDINATOR),
            admin::site_change,
        )
        .route(
            Post,
            "/agents/lieux/{site_id}/fermetures",
            Page(COORDINATOR),
            admin::closure_create,
        )
        .route(
            Post,
            "/agents/lieux/{site_id}/fermetures/{closure_id}/lever",
            Page(COORDINATOR),
            admin::closure_lift,
        )
        .route(
            Post,
            "/agents/lieux/{site_id}/regles",
            Page(COORDINATOR),
            admin::rule_create,
        )
        .route(
            Post,
            "/agents/regles/{rule_id}/retirer",
            Page(COORDINATOR),
            admin::rule_retire,
        )
        .route(Get, "/agents/equipe", AdminPage, admin::team_page)
        .route(Post, "/agents/equipe", AdminPage, admin::staff_create)
        .route(
            Post,
            "/agents/equipe/{staff_id}/roles",
            AdminPage,
            admin::staff_roles,
        )
        .with_state(web)
}

/// Static files change with the binary only: browsers may keep them a day.
fn asset(content_type: &'static str, body: &'static str) -> axum::response::Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

async fn stylesheet() -> axum::response::Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../static/creneau.css"),
    )
}

async fn script() -> axum::response::Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/live.js"),
    )
}
