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

// The web service's refusals over the API (`messages/errors/fr.ftl`, `en.ftl`),
// in the caller's language.
messages::catalogue!(ERRORS, "web-errors", "errors", fr, en, ar);

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
mod password;
mod resident;
mod staff;
pub mod text;

pub use layout::STAFF;

use std::sync::Arc;

use api::{Need, Routes, Twin, Verb};
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
    webhooks: webhooks::Webhooks,
    forms: forms::FormKey,
    secure_cookies: bool,
    clock: Arc<dyn eventlog::Clock>,
}

/// The services the pages read and act through.
pub struct Services {
    pub identity: identity::Identity,
    pub calendar: calendar::Calendar,
    pub appointments: appointments::Appointments,
    pub reminders: reminders::Reminders,
    pub stats: stats::Stats,
    pub webhooks: webhooks::Webhooks,
}

impl Web {
    pub fn new(services: Services, public_url: &str, clock: Arc<dyn eventlog::Clock>) -> Web {
        let Services {
            identity,
            calendar,
            appointments,
            reminders,
            stats,
            webhooks,
        } = services;
        let forms = forms::FormKey::new(identity.vault().derive_key("web forms v1"));
        Web {
            inner: Arc::new(Inner {
                identity,
                calendar,
                appointments,
                reminders,
                stats,
                webhooks,
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

/// Every page, each with its access rule: the same [`Need`] as the JSON
/// route that does the same thing (declared with `same_as`, and compared by
/// a test), so that no door is weaker than the other. A visitor without a
/// session on a staff page is sent to the sign-in page instead of getting
/// a JSON 401; the handler checks the roles at the site of what the page
/// shows, as the JSON handler does.
pub fn routes(web: Web) -> Routes {
    use Need::{Admin, Everywhere, Optional, Public, Staff};
    use Twin::Api;
    use Verb::{Delete, Get, Post, Put};
    const DESK: &[contracts::Role] = api::FRONT_DESK;
    const COORDINATOR: &[contracts::Role] = &[contracts::Role::Coordinator];
    const QUEUE: &str = "/api/v1/sites/{site_id}/permanences/{permanence_id}/queue";
    const DAY_LIST: &str = "/api/v1/sites/{site_id}/permanences/{permanence_id}/appointments";
    const REQUESTS: &str = "/api/v1/visits/{visit_id}/requests";
    Routes::new()
        .page(Get, "/static/creneau.css", Public, stylesheet)
        .page(Get, "/static/live.js", Public, script)
        .page(Get, "/langue", Public, layout::choose_language)
        .page(Get, "/", Optional, resident::sites_page)
        .page(Get, "/rdv/{site_id}", Optional, resident::reasons_page)
        .page(Get, "/ateliers", Optional, resident::workshops_page)
        .same_as(Api(Get, "/api/v1/workshops"))
        .page(Get, "/attente", Optional, resident::wait_page)
        .page(Post, "/attente", Optional, resident::wait_post)
        .same_as(Api(Post, "/api/v1/waitlists"))
        .page(
            Get,
            "/rdv/{site_id}/{reason}",
            Optional,
            resident::times_page,
        )
        .same_as(Api(Get, "/api/v1/availability"))
        .page(
            Get,
            "/rdv/{site_id}/{reason}/{start}",
            Optional,
            resident::who_page,
        )
        .page(
            Post,
            "/rdv/{site_id}/{reason}/{start}",
            Optional,
            resident::book_post,
        )
        .same_as(Api(Post, "/api/v1/appointments"))
        // The token in the address is the resident's credential: the
        // handlers check it as the JSON routes do; staff use their pages.
        .page(Get, "/r/{token}", Public, resident::manage_page)
        .same_as(Twin::None)
        .page(
            Get,
            "/r/{token}/rendez-vous.ics",
            Public,
            resident::ics_download,
        )
        .same_as(Twin::None)
        .page(Post, "/r/{token}/annuler", Public, resident::cancel_post)
        .same_as(Twin::None)
        .page(Post, "/r/{token}/prendre", Public, resident::take_post)
        .same_as(Twin::None)
        .page(Post, "/r/{token}/refuser", Public, resident::decline_post)
        .same_as(Twin::None)
        .page(Post, "/r/{token}/quitter", Public, resident::leave_post)
        .same_as(Twin::None)
        .page(Get, "/r/{token}/deplacer", Public, resident::move_page)
        .same_as(Twin::None)
        .page(Post, "/r/{token}/deplacer", Public, resident::move_post)
        .same_as(Twin::None)
        .page(Get, "/connexion", Optional, staff::sign_in_page)
        .page(Post, "/connexion", Public, staff::sign_in_post)
        .same_as(Api(Post, "/api/v1/session"))
        .page(Get, "/connexion/oubli", Public, password::forgot_page)
        .page(Post, "/connexion/oubli", Public, password::forgot_post)
        .same_as(Api(Post, "/api/v1/password-resets"))
        .page(Get, identity::RESET_PAGE, Public, password::reset_page)
        .page(Post, identity::RESET_PAGE, Public, password::reset_post)
        .same_as(Api(Post, "/api/v1/password-resets/confirm"))
        .page(Post, "/deconnexion", Staff(&[]), staff::sign_out_post)
        .same_as(Api(Delete, "/api/v1/session"))
        .page(Get, "/agents", Staff(&[]), staff::home_page)
        .page(Get, "/agents/accueil", Staff(DESK), staff::reception_page)
        .same_as(Api(Get, "/api/v1/residents/search"))
        .page(
            Get,
            "/agents/rdv/{appointment_id}/deplacer",
            Staff(DESK),
            staff::move_page,
        )
        .same_as(Api(Get, "/api/v1/appointments/{appointment_id}"))
        .page(
            Post,
            "/agents/rdv/{appointment_id}/deplacer",
            Staff(DESK),
            staff::move_post,
        )
        .same_as(Api(
            Post,
            "/api/v1/appointments/{appointment_id}/reschedule",
        ))
        .page(
            Post,
            "/agents/rdv/{appointment_id}/annuler",
            Staff(DESK),
            staff::cancel_post,
        )
        .same_as(Api(Post, "/api/v1/appointments/{appointment_id}/cancel"))
        .page(
            Post,
            "/agents/rdv/{appointment_id}/etape",
            Staff(DESK),
            staff::step_post,
        )
        .same_as(Api(Post, "/api/v1/appointments/{appointment_id}/{step}"))
        .page(
            Get,
            "/agents/pour/{resident_id}",
            Staff(DESK),
            staff::book_for,
        )
        .same_as(Twin::None)
        .page(
            Get,
            "/agents/personnes/{resident_id}",
            Staff(DESK),
            staff::history_page,
        )
        .same_as(Twin::None)
        .page(
            Post,
            "/agents/rdv/{appointment_id}/renvoyer-sms",
            Staff(DESK),
            staff::resend_post,
        )
        .same_as(Api(
            Post,
            "/api/v1/appointments/{appointment_id}/reminders/resend",
        ))
        .page(Get, "/agents/journee", Staff(DESK), staff::day_page)
        .page(Get, "/agents/agenda", Staff(DESK), staff::agenda_page)
        .page(Get, "/agents/attente", Staff(DESK), staff::waiting_page)
        .same_as(Api(Get, "/api/v1/waitlists"))
        .page(
            Get,
            "/agents/webhooks",
            Staff(COORDINATOR),
            staff::webhooks_page,
        )
        .same_as(Api(Get, "/api/v1/webhooks"))
        .page(
            Post,
            "/agents/webhooks/{webhook_id}/reprendre",
            Staff(COORDINATOR),
            staff::webhook_resume,
        )
        .same_as(Api(Post, "/api/v1/webhooks/{webhook_id}/resume"))
        .page(
            Post,
            "/agents/attente/{entry_id}/retirer",
            Staff(DESK),
            staff::waiting_remove,
        )
        .same_as(Api(Delete, "/api/v1/waitlists/{entry_id}"))
        .page(
            Get,
            "/agents/permanences/{permanence_id}",
            Staff(DESK),
            staff::permanence_page,
        )
        .same_as(Api(Get, DAY_LIST))
        .page(
            Get,
            "/agents/permanences/{permanence_id}/file",
            Staff(DESK),
            staff::queue_fragment,
        )
        .same_as(Api(Get, QUEUE))
        .page(
            Post,
            "/agents/permanences/{permanence_id}/file",
            Staff(DESK),
            staff::arrive_post,
        )
        .same_as(Api(Post, QUEUE))
        .page(
            Get,
            "/agents/permanences/{permanence_id}/feuille",
            Staff(DESK),
            staff::day_sheet,
        )
        .same_as(Api(Get, DAY_LIST))
        .page(
            Post,
            "/agents/tickets/{ticket_id}",
            Staff(DESK),
            staff::ticket_post,
        )
        .same_as(Api(
            Post,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/queue/{ticket_id}/{step}",
        ))
        .page(
            Get,
            "/agents/visites/{visit_id}",
            Staff(DESK),
            staff::visit_page,
        )
        .same_as(Api(Get, REQUESTS))
        .page(
            Post,
            "/agents/visites/{visit_id}/orienter",
            Staff(DESK),
            staff::orient_post,
        )
        .same_as(Api(Post, "/api/v1/visits/{visit_id}/orientations"))
        .page(
            Post,
            "/agents/visites/{visit_id}",
            Staff(DESK),
            staff::visit_post,
        )
        .same_as(Api(Put, REQUESTS))
        .page(
            Get,
            "/agents/statistiques",
            Staff(stats::READERS),
            staff::stats_page,
        )
        .same_as(Api(Get, "/api/v1/stats"))
        .page(Get, "/agents/lieux", Staff(COORDINATOR), admin::sites_page)
        .page(
            Post,
            "/agents/lieux",
            Everywhere(COORDINATOR),
            admin::site_create,
        )
        .same_as(Api(Post, "/api/v1/sites"))
        .page(
            Get,
            "/agents/lieux/{site_id}",
            Staff(COORDINATOR),
            admin::site_page,
        )
        .page(
            Post,
            "/agents/lieux/{site_id}",
            Staff(COORDINATOR),
            admin::site_change,
        )
        .same_as(Api(Put, "/api/v1/sites/{site_id}"))
        .page(
            Post,
            "/agents/lieux/{site_id}/fermetures",
            Staff(COORDINATOR),
            admin::closure_create,
        )
        .same_as(Api(Post, "/api/v1/sites/{site_id}/closures"))
        .page(
            Post,
            "/agents/lieux/{site_id}/fermetures/{closure_id}/lever",
            Staff(COORDINATOR),
            admin::closure_lift,
        )
        .same_as(Api(Delete, "/api/v1/sites/{site_id}/closures/{closure_id}"))
        .page(
            Post,
            "/agents/lieux/{site_id}/regles",
            Staff(COORDINATOR),
            admin::rule_create,
        )
        .same_as(Api(Post, "/api/v1/sites/{site_id}/rules"))
        .page(
            Get,
            "/agents/regles/{rule_id}",
            Staff(COORDINATOR),
            admin::rule_page,
        )
        .same_as(Twin::None)
        .page(
            Post,
            "/agents/regles/{rule_id}",
            Staff(COORDINATOR),
            admin::rule_change,
        )
        .same_as(Api(Put, "/api/v1/sites/{site_id}/rules/{rule_id}"))
        .page(
            Post,
            "/agents/regles/{rule_id}/retirer",
            Staff(COORDINATOR),
            admin::rule_retire,
        )
        .same_as(Api(Delete, "/api/v1/sites/{site_id}/rules/{rule_id}"))
        .page(Get, "/agents/equipe", Admin, admin::team_page)
        .same_as(Api(Get, "/api/v1/staff"))
        .page(Post, "/agents/equipe", Admin, admin::staff_create)
        .same_as(Api(Post, "/api/v1/staff"))
        .page(
            Post,
            "/agents/equipe/{staff_id}/roles",
            Admin,
            admin::staff_roles,
        )
        .same_as(Api(Post, "/api/v1/staff/{staff_id}/grants"))
        .page(
            Post,
            "/agents/equipe/{staff_id}/mot-de-passe",
            Admin,
            admin::staff_password,
        )
        .same_as(Api(Post, "/api/v1/staff/{staff_id}/password"))
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
