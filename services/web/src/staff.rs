//! Staff pages: sign-in; reception (find a resident by phone or name, move,
//! cancel, book on their behalf, SMS to call back about); mediators (today's
//! permanences, check-in, the live drop-in queue, a visit's requests, the
//! printable day sheet); coordinators (the statistics). In French, or
//! English when chosen; every action is a form that works from the
//! keyboard and without script.

use api::{ApiError, FRONT_DESK, Principal};
use appointments::{AppointmentError, Available, Booking, Stage, Ticket, TicketState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, Language, Reason, Role, SiteId};
use identity::ReadPurpose;
use maud::{Markup, html};
use serde::Deserialize;

use crate::Web;
use crate::forms::{self, TokenCheck};
use crate::layout::{
    Ctx, Page, csrf_field, failure, phone_words, says, see_other, staff_language, url_encode, when,
};
use crate::text::reason_label;

use crate::layout::fr_en as t;

/// Staff see reasons in French or English.
fn reason_words(ctx: &Ctx, r: Reason) -> &'static str {
    reason_label(
        if ctx.lang == Language::En {
            Language::En
        } else {
            Language::Fr
        },
        r,
    )
}

fn hm(at: DateTime<Utc>) -> String {
    contracts::time::to_local(at).format("%H:%M").to_string()
}

#[derive(Deserialize)]
pub struct SignInQuery {
    retour: Option<String>,
}

fn sign_in_form(
    web: &Web,
    ctx: &Ctx,
    email: &str,
    back: &str,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (token, cookie) = crate::resident::public_form_token(web, ctx);
    let title = t(ctx, "Connexion des agents", "Staff sign-in");
    let body = html! {
        h1 { (title) }
        @if let Some(p) = &problem { p.alert role="alert" id="probleme" { (p) } }
        form method="post" action="/connexion" {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="retour" value=(back);
            label for="email" { (t(ctx, "Adresse e-mail", "Email address")) }
            input type="email" id="email" name="email" value=(email) autocomplete="username" required;
            label for="password" { (t(ctx, "Mot de passe", "Password")) }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            button type="submit" { (t(ctx, "Se connecter", "Sign in")) }
        }
        @if web.inner.identity.offers_password_resets() {
            p { a href="/connexion/oubli" { (t(ctx, "Mot de passe oublié, ou compte bloqué ?", "Forgotten password, or account locked?")) } }
        }
    };
    Page::new(title, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

pub async fn sign_in_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<SignInQuery>,
) -> Response {
    let ctx = staff_language(ctx);
    let back = api::safe_return(q.retour.as_deref());
    if ctx.staff.is_some() {
        return see_other(if back == "/" { "/agents" } else { &back });
    }
    sign_in_form(&web, &ctx, "", &back, None, StatusCode::OK)
}

pub async fn sign_in_post(State(web): State<Web>, ctx: Ctx, body: Bytes) -> Response {
    let ctx = staff_language(ctx);
    let pairs = forms::pairs(&body);
    let email = forms::field(&pairs, "email");
    let back = api::safe_return(Some(forms::field(&pairs, "retour")));
    let back = if back == "/" {
        "/agents".to_owned()
    } else {
        back
    };
    if web.inner.forms.check(
        ctx.browser.as_deref(),
        forms::field(&pairs, "csrf"),
        web.now(),
    ) != TokenCheck::Good
    {
        let m = t(
            &ctx,
            "La page était ouverte depuis longtemps : connectez-vous à nouveau.",
            "The page was open for a long time: sign in again.",
        );
        return sign_in_form(
            &web,
            &ctx,
            email,
            &back,
            Some(m.to_owned()),
            StatusCode::BAD_REQUEST,
        );
    }
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map_or("", |(_, v)| v.as_str());
    match web
        .inner
        .identity
        .sign_in(email, password, &ctx.client, ctx.correlation.0)
        .await
    {
        Ok(signed) => {
            let mut r = see_other(&back);
            r.headers_mut()
                .append(header::SET_COOKIE, signed.set_cookie);
            r
        }
        Err(e) => {
            let e = ApiError::from(e);
            sign_in_form(&web, &ctx, email, &back, Some(says(&ctx, &e)), e.status())
        }
    }
}

pub async fn sign_out_post(State(web): State<Web>, ctx: Ctx, principal: Principal) -> Response {
    if let Some(session) = &principal.session
        && let Err(e) = web
            .inner
            .identity
            .sign_out(
                &principal.acting(ctx.correlation, ctx.now),
                principal.staff_id,
                session.session_id,
                "sign_out",
            )
            .await
    {
        return failure(&ctx, &ApiError::from(e));
    }
    let mut r = see_other("/connexion");
    r.headers_mut()
        .append(header::SET_COOKIE, web.inner.identity.expired_cookie());
    r
}

pub async fn home_page(ctx: Ctx) -> Response {
    staff_page!(ctx, p, async {
        let ctx_title = t(ctx, "Espace des agents", "Staff");
        let body = html! {
            h1 { (ctx_title) }
            p { (t(ctx, "Bonjour", "Hello")) " " (p.display_name) "." }
            ul.choices {
                @if p.may(FRONT_DESK, None) {
                    li { a.choice href="/agents/accueil" { strong { (t(ctx, "Accueil", "Reception")) } span { (t(ctx, "Trouver un habitant, prendre, déplacer ou annuler un rendez-vous, SMS à rappeler.", "Find a resident, book, move or cancel, SMS to call back about.")) } } }
                }
                @if p.may(FRONT_DESK, None) {
                    li { a.choice href="/agents/journee" { strong { (t(ctx, "Journée", "Today")) } span { (t(ctx, "Les permanences du jour, les arrivées et la file d’attente.", "Today's permanences, arrivals and the queue.")) } } }
                }
                @if p.may(&[Role::Coordinator], None) {
                    li { a.choice href="/agents/lieux" { strong { (t(ctx, "Lieux", "Sites")) } span { (t(ctx, "Les lieux, leurs permanences régulières, leurs fermetures.", "Sites, their regular permanences, their closures.")) } } }
                    li { a.choice href="/agents/statistiques" { strong { (t(ctx, "Statistiques", "Statistics")) } span { (t(ctx, "Fréquentation, demandes, attente, absences.", "Attendance, requests, waits, no-shows.")) } } }
                }
            }
        };
        Ok(Page::new(ctx_title, body).wide().render(ctx))
    })
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    fait: Option<String>,
}

fn done_words(ctx: &Ctx, fait: Option<&str>) -> Option<&'static str> {
    match fait? {
        "reserve" => Some(t(
            ctx,
            "Rendez-vous pris. Le SMS de confirmation part.",
            "Booked. The confirmation SMS is on its way.",
        )),
        "deplace" => Some(t(
            ctx,
            "Rendez-vous déplacé. L’habitant reçoit un SMS avec la nouvelle heure.",
            "Moved. The resident gets an SMS with the new time.",
        )),
        "annule" => Some(t(
            ctx,
            "Rendez-vous annulé. L’habitant reçoit un SMS.",
            "Cancelled. The resident gets an SMS.",
        )),
        _ => None,
    }
}

/// Sites where `p` has one of `roles`.
async fn sites_of(
    web: &Web,
    p: &Principal,
    roles: &[Role],
) -> Result<Vec<calendar::SiteView>, ApiError> {
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let mut sites: Vec<calendar::SiteView> = model
        .sites
        .values()
        .filter(|s| p.may(roles, Some(s.id)))
        .cloned()
        .collect();
    sites.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    Ok(sites)
}

fn booking_row(ctx: &Ctx, b: &Booking, site_name: &str, back: &str) -> Markup {
    html! {
        tr {
            td { (when(ctx, b.starts_at)) }
            td { (site_name) }
            td { (reason_words(ctx, b.reason)) }
            td { (b.reference) }
            td {
                a.button.small.secondary href={ "/agents/rdv/" (b.id) "/deplacer" } { (t(ctx, "Déplacer", "Move")) }
                details {
                    summary { (t(ctx, "Annuler…", "Cancel…")) }
                    form method="post" action={ "/agents/rdv/" (b.id) "/annuler" } {
                        (csrf_field(ctx))
                        input type="hidden" name="retour" value=(back);
                        label for={ "motif-" (b.id) } { (t(ctx, "Motif (facultatif)", "Reason (optional)")) }
                        input type="text" id={ "motif-" (b.id) } name="motif" maxlength="200";
                        button.danger.small type="submit" { (t(ctx, "Annuler ce rendez-vous", "Cancel this appointment")) }
                    }
                }
            }
        }
    }
}

/// Reception: one search box, what it finds, and the SMS that failed.
pub async fn reception_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    staff_page!(ctx, p, reception(&web, ctx, p, q))
}

async fn reception(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    q: SearchQuery,
) -> Result<Response, ApiError> {
    let query = q.q.as_deref().unwrap_or("").trim().to_owned();
    let sites = sites_of(web, p, FRONT_DESK).await?;
    let site_name = |id: SiteId| {
        sites
            .iter()
            .find(|s| s.id == id)
            .map_or_else(String::new, |s| s.details.name.clone())
    };
    let mut found = Vec::new();
    let mut too_short = !query.is_empty() && query.chars().count() < 2;
    if query.chars().count() >= 2 {
        let residents = match web
            .inner
            .identity
            .find_residents(p, ctx.correlation.0, &query)
            .await
        {
            Ok(found) => found,
            Err(identity::IdentityError::Invalid(_)) => {
                too_short = true;
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let now = web.now();
        for identity::ResidentSeen {
            id, name, phone, ..
        } in residents
        {
            let upcoming: Vec<Booking> = web
                .inner
                .appointments
                .bookings_of(id)
                .await?
                .into_iter()
                .filter(|b| b.ends_at > now && !b.cancelled && p.may(FRONT_DESK, Some(b.site)))
                .collect();
            found.push((name, phone, upcoming));
        }
    }
    let mut failed = Vec::new();
    for s in &sites {
        for r in web
            .inner
            .reminders
            .failed_at(s.id)
            .await
            .map_err(ApiError::internal)?
        {
            let resident = web.inner.appointments.resident_of(r.appointment).await.ok();
            failed.push((s.details.name.clone(), r, resident));
        }
    }
    let to_call = web
        .inner
        .identity
        .residents_for(
            p,
            ctx.correlation.0,
            ReadPurpose::CallBack,
            failed.iter().filter_map(|(_, _, r)| *r),
        )
        .await
        .map_err(ApiError::from)?;
    let failed: Vec<_> = failed
        .into_iter()
        .map(|(site, r, resident)| {
            let who = resident
                .and_then(|id| to_call.get(&id))
                .map(|v| (v.name.clone(), v.phone.clone()));
            (site, r, who)
        })
        .collect();
    let back = ctx.here.clone();
    let title = t(ctx, "Accueil", "Reception");
    let body = html! {
        h1 { (title) }
        @if let Some(d) = done_words(ctx, q.fait.as_deref()) { p.notice role="status" { (d) } }
        form method="get" action="/agents/accueil" role="search" {
            label for="q" { (t(ctx, "Téléphone ou nom de l’habitant", "Resident's phone number or name")) }
            input type="search" id="q" name="q" value=(query) autofocus;
            button type="submit" { (t(ctx, "Chercher", "Search")) }
        }
        @if too_short { p.error role="alert" { (t(ctx, "Tapez au moins deux lettres du nom, ou le numéro.", "Type at least two letters of the name, or the number.")) } }
        @if query.chars().count() >= 2 {
            h2 { (t(ctx, "Résultats", "Results")) " (" (found.len()) ")" }
            @if found.is_empty() {
                p { (t(ctx, "Personne trouvé. Vérifiez le numéro, ou prenez un nouveau rendez-vous.", "Nobody found. Check the number, or book a new appointment.")) }
            }
            @for (name, phone, upcoming) in &found {
                section {
                    h3 { (name) " · " (phone_words(phone)) }
                    @if upcoming.is_empty() {
                        p { (t(ctx, "Aucun rendez-vous à venir.", "No upcoming appointment.")) }
                    } @else {
                        table {
                            caption.skip { (t(ctx, "Rendez-vous à venir de ", "Upcoming appointments of ")) (name) }
                            thead { tr { th { (t(ctx, "Quand", "When")) } th { (t(ctx, "Lieu", "Place")) } th { (t(ctx, "Motif", "Reason")) } th { (t(ctx, "Référence", "Reference")) } th { (t(ctx, "Actions", "Actions")) } } }
                            tbody { @for b in upcoming { (booking_row(ctx, b, &site_name(b.site), &back)) } }
                        }
                    }
                }
            }
        }
        p { a.button.secondary href="/" { (t(ctx, "Prendre un rendez-vous pour un habitant", "Book for a resident")) } }
        h2 { (t(ctx, "SMS non distribués : à rappeler", "SMS not delivered: call back")) }
        @if failed.is_empty() {
            p { (t(ctx, "Aucun.", "None.")) }
        } @else {
            table {
                thead { tr { th { (t(ctx, "Lieu", "Place")) } th { (t(ctx, "Habitant", "Resident")) } th { (t(ctx, "Message", "Message")) } th { (t(ctx, "Erreur", "Error")) } } }
                tbody {
                    @for (site, r, who) in &failed {
                        tr {
                            td { (site) }
                            td { @if let Some((n, ph)) = who { (n) " · " a href={ "tel:" (ph) } { (phone_words(ph)) } } @else { "—" } }
                            td { (r.kind) " (" (r.channel) ")" }
                            td { (r.error.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(title, body).wide().render(ctx))
}

async fn booking_at_desk(web: &Web, p: &Principal, raw: &str) -> Result<Booking, ApiError> {
    let id: AppointmentId = crate::resident::appointment_id(raw)?;
    let b = web.inner.appointments.get(id).await?;
    p.require(FRONT_DESK, Some(b.site))?;
    Ok(b)
}

use crate::resident::DayQuery;

async fn move_view(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    b: &Booking,
    day: Option<NaiveDate>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let now = web.now();
    let from = day.unwrap_or_else(|| contracts::time::local_date(now));
    let times: Vec<Available> = web
        .inner
        .appointments
        .availability(
            Some(b.site),
            b.reason,
            from,
            if day.is_some() { 1 } else { 28 },
            now,
        )
        .await?;
    let phone = people(
        web,
        ctx,
        p,
        ReadPurpose::Appointment,
        std::slice::from_ref(b),
    )
    .await?
    .pop()
    .filter(|(name, _)| !name.is_empty());
    let title = t(ctx, "Déplacer le rendez-vous", "Move the appointment");
    let action = format!("/agents/rdv/{}/deplacer", b.id);
    let body = html! {
        p { a href={ "/agents/accueil?q=" (url_encode(phone.as_ref().map_or("", |p| p.1.as_str()))) } { "← " (t(ctx, "Retour", "Back")) } }
        h1 { (title) }
        @if let Some(m) = &problem { p.alert role="alert" { (m) } }
        p {
            @if let Some((n, ph)) = &phone { (n) " · " (phone_words(ph)) " · " }
            (reason_words(ctx, b.reason)) " · " strong { (when(ctx, b.starts_at)) }
        }
        h2 { @if let Some(d) = day { (d.format("%d/%m/%Y")) } @else { (t(ctx, "Prochaines heures libres", "Next free times")) } }
        @if times.is_empty() { p { (t(ctx, "Aucune heure libre.", "No free time.")) } }
        ul.times {
            @for a in times.iter().take(if day.is_some() { 40 } else { 12 }) {
                li {
                    form.inline method="post" action=(action) {
                        (csrf_field(ctx))
                        input type="hidden" name="start" value=(a.start.naive_local().format("%Y-%m-%dT%H:%M"));
                        button type="submit" { (when(ctx, a.start.to_utc())) }
                    }
                }
            }
        }
        form method="get" action=(action) {
            label for="jour" { (t(ctx, "Un autre jour", "Another day")) }
            input type="date" id="jour" name="jour" value=[day.map(|d| d.to_string())];
            button.secondary type="submit" { (t(ctx, "Voir ce jour", "Show that day")) }
        }
    };
    Ok(Page::new(title, body)
        .wide()
        .status(if problem.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        })
        .render(ctx))
}

pub async fn move_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<DayQuery>,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let day = q.day();
        move_view(&web, ctx, p, &b, day, None).await
    })
}

pub async fn move_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let start = NaiveDateTime::parse_from_str(forms::field(&pairs, "start"), "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| contracts::time::to_utc(t).ok());
        let Some(start) = start else {
            return move_view(
                &web,
                ctx,
                p,
                &b,
                None,
                Some(
                    t(
                        ctx,
                        "Choisissez une heure dans la liste.",
                        "Choose a time from the list.",
                    )
                    .to_owned(),
                ),
            )
            .await;
        };
        match web
            .inner
            .appointments
            .reschedule(
                &p.acting(ctx.correlation, ctx.now),
                b.id,
                start,
                contracts::Party::Staff,
            )
            .await
        {
            Ok(_) => {
                let phone = web
                    .inner
                    .identity
                    .directory()
                    .await
                    .map_err(ApiError::from)?
                    .resident(b.resident)
                    .map(|r| r.phone.clone())
                    .unwrap_or_default();
                Ok(see_other(&format!(
                    "/agents/accueil?q={}&fait=deplace",
                    url_encode(&phone)
                )))
            }
            Err(AppointmentError::SlotTaken { .. }) => {
                move_view(
                    &web,
                    ctx,
                    p,
                    &b,
                    None,
                    Some(
                        t(
                            ctx,
                            "Cette heure vient d’être prise : en voici d’autres.",
                            "That time was just taken: here are others.",
                        )
                        .to_owned(),
                    ),
                )
                .await
            }
            Err(e) => {
                let e = ApiError::from(e);
                move_view(&web, ctx, p, &b, None, Some(says(ctx, &e))).await
            }
        }
    })
}

pub async fn cancel_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        if !b.cancelled {
            web.inner
                .appointments
                .cancel(
                    &p.acting(ctx.correlation, ctx.now),
                    b.id,
                    contracts::Party::Staff,
                    forms::field(&pairs, "motif"),
                )
                .await?;
        }
        let back = api::safe_return(Some(forms::field(&pairs, "retour")));
        let sep = if back.contains('?') { '&' } else { '?' };
        Ok(see_other(&format!("{back}{sep}fait=annule")))
    })
}

pub async fn step_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let to = match forms::field(&pairs, "etape") {
            "arrived" => Stage::Arrived,
            "started" => Stage::InProgress,
            "done" => Stage::Done,
            "no-show" => Stage::NoShow,
            other => {
                return Err(ApiError::Invalid {
                    field: "etape".into(),
                    message: format!("{other:?}: use arrived, started, done or no-show"),
                });
            }
        };
        web.inner
            .appointments
            .advance(&p.acting(ctx.correlation, ctx.now), b.id, to)
            .await?;
        Ok(see_other(&format!(
            "/agents/permanences/{}#rdv-{}",
            b.permanence_id, b.id
        )))
    })
}

/// Today's permanences at the sites of the signed-in staff member.
pub async fn day_page(State(web): State<Web>, ctx: Ctx) -> Response {
    staff_page!(ctx, p, async {
        let today = contracts::time::local_date(web.now());
        let list: Vec<calendar::Permanence> = web
            .inner
            .calendar
            .permanences(None, today, today)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .filter(|x| p.may(FRONT_DESK, Some(x.site_id)))
            .collect();
        let title = t(ctx, "Les permanences du jour", "Today's permanences");
        let body = html! {
            h1 { (title) }
            @if list.is_empty() { p { (t(ctx, "Pas de permanence aujourd’hui à vos sites.", "No permanence today at your sites.")) } }
            ul.choices {
                @for x in &list {
                    li { a.choice href={ "/agents/permanences/" (x.permanence_id) } {
                        strong { (x.site_name) " · " (x.starts_local.format("%H:%M")) "–" (x.ends_local.format("%H:%M")) }
                        span { (x.label) @if matches!(x.status, calendar::Status::Closed { .. }) { " · " (t(ctx, "annulée", "cancelled")) } }
                    } }
                }
            }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

async fn permanence_at_desk(
    web: &Web,
    p: &Principal,
    id: &str,
) -> Result<calendar::Permanence, ApiError> {
    let x = web
        .inner
        .calendar
        .permanence(id)
        .await
        .map_err(ApiError::from)?;
    p.require(FRONT_DESK, Some(x.site_id))?;
    Ok(x)
}

fn stage_words(ctx: &Ctx, s: Stage) -> &'static str {
    match s {
        Stage::Booked => t(ctx, "attendu", "expected"),
        Stage::Arrived => t(ctx, "arrivé", "arrived"),
        Stage::InProgress => t(ctx, "en cours", "in progress"),
        Stage::Done => t(ctx, "terminé", "done"),
        Stage::NoShow => t(ctx, "absent", "did not come"),
    }
}

fn ticket_words(ctx: &Ctx, s: TicketState) -> (&'static str, &'static str) {
    match s {
        TicketState::Waiting => (t(ctx, "attend", "waiting"), "waiting"),
        TicketState::Called => (t(ctx, "appelé", "called"), "called"),
        TicketState::Served => (t(ctx, "reçu", "served"), "done"),
        TicketState::Left => (t(ctx, "parti", "left"), ""),
    }
}

/// The queue's table: what the live script replaces.
async fn queue_markup(web: &Web, ctx: &Ctx, x: &calendar::Permanence) -> Result<Markup, ApiError> {
    let tickets: Vec<Ticket> = web.inner.appointments.queue(&x.permanence_id).await?;
    let mut names = Vec::with_capacity(tickets.len());
    for tk in &tickets {
        names.push(web.inner.appointments.first_name_of(tk).await);
    }
    let waiting = tickets
        .iter()
        .filter(|k| k.state == TicketState::Waiting)
        .count();
    let minutes_format = t(ctx, "{} min", "{} min");
    let now = web.now();
    Ok(html! {
        p role="status" { (waiting) " " (t(ctx, "personne(s) en attente", "waiting")) }
        table {
            thead { tr { th.num { "N°" } th { (t(ctx, "Prénom", "First name")) } th { (t(ctx, "Pour", "For")) } th { (t(ctx, "État", "State")) } th { (t(ctx, "Attente", "Wait")) } th { (t(ctx, "Actions", "Actions")) } } }
            tbody {
                @for (tk, name) in tickets.iter().zip(&names) {
                    @let (state, class) = ticket_words(ctx, tk.state);
                    tr id={ "ticket-" (tk.id) } {
                        td.num { (tk.number) }
                        td { (name.as_deref().unwrap_or("—")) }
                        td { @for r in &tk.reasons { span.badge { (reason_words(ctx, *r)) } " " } }
                        td { span class={ "badge " (class) } { (state) } }
                        td {
                            @match (tk.state, tk.waited_minutes()) {
                                (TicketState::Waiting, _) => span data-since=(tk.arrived_at.to_rfc3339()) data-format=(minutes_format) { (minutes_since(now, tk.arrived_at)) " min" },
                                (_, Some(m)) => span { (m) " min" },
                                _ => span { "—" },
                            }
                        }
                        td {
                            @if tk.state == TicketState::Waiting {
                                (ticket_button(ctx, tk, "called", t(ctx, "Appeler", "Call")))
                            }
                            @if tk.state == TicketState::Called {
                                (ticket_button(ctx, tk, "served", t(ctx, "Terminé", "Done")))
                            }
                            @if matches!(tk.state, TicketState::Waiting | TicketState::Called) {
                                (ticket_button(ctx, tk, "left", t(ctx, "Parti", "Left")))
                            }
                            @if matches!(tk.state, TicketState::Called | TicketState::Served) {
                                a.button.small.secondary href={ "/agents/visites/" (tk.id) } { (t(ctx, "Demandes", "Requests")) }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn minutes_since(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (now - then).num_minutes().max(0)
}

fn ticket_button(ctx: &Ctx, tk: &Ticket, step: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/agents/tickets/" (tk.id) } {
            (csrf_field(ctx))
            input type="hidden" name="etape" value=(step);
            button.small type="submit" id={ "t-" (tk.id) "-" (step) } { (label) " " span.skip { "n° " (tk.number) } }
        }
    }
}

fn reason_chips(ctx: &Ctx, name: &str, checked: &[Reason]) -> Markup {
    html! {
        div.chips {
            @for r in Reason::ALL {
                label {
                    input type="checkbox" name=(name) value=(r.code()) checked[checked.contains(&r)];
                    (reason_words(ctx, r))
                }
            }
        }
    }
}

/// The name and phone number of each appointment's resident, as `p` may
/// see them (recorded in the audit with `purpose`).
async fn people(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    purpose: ReadPurpose,
    list: &[Booking],
) -> Result<Vec<(String, String)>, ApiError> {
    let seen = web
        .inner
        .identity
        .residents_for(
            p,
            ctx.correlation.0,
            purpose,
            list.iter().map(|b| b.resident),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(list
        .iter()
        .map(|b| {
            seen.get(&b.resident)
                .map(|r| (r.name.clone(), r.phone.clone()))
                .unwrap_or_default()
        })
        .collect())
}

/// A permanence's day: appointments with their buttons, the drop-in queue
/// (live), and the arrival form.
pub async fn permanence_page(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let list = web.inner.appointments.day_list(&x.permanence_id).await?;
        let names: Vec<String> = people(&web, ctx, p, ReadPurpose::DayList, &list)
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let queue = if x.drop_in {
            Some(queue_markup(&web, ctx, &x).await?)
        } else {
            None
        };
        let title = format!(
            "{} · {} {}–{}",
            x.site_name,
            x.day.format("%d/%m"),
            x.starts_local.format("%H:%M"),
            x.ends_local.format("%H:%M")
        );
        let body = html! {
            p { a href="/agents/journee" { "← " (t(ctx, "Les permanences du jour", "Today's permanences")) } " · " a href={ "/agents/permanences/" (x.permanence_id) "/feuille" } { (t(ctx, "Feuille du jour à imprimer", "Printable day sheet")) } }
            h1 { (title) }
            div.grid2 {
                section aria-labelledby="h-rdv" {
                    h2 id="h-rdv" { (t(ctx, "Rendez-vous", "Appointments")) " (" (list.len()) ")" }
                    @if list.is_empty() { p { (t(ctx, "Aucun rendez-vous.", "No appointment.")) } }
                    table {
                        thead { tr { th { (t(ctx, "Heure", "Time")) } th { (t(ctx, "Habitant", "Resident")) } th { (t(ctx, "Pour", "For")) } th { (t(ctx, "État", "State")) } th { (t(ctx, "Actions", "Actions")) } } }
                        tbody {
                            @for (b, name) in list.iter().zip(&names) {
                                tr id={ "rdv-" (b.id) } {
                                    td { (hm(b.starts_at)) }
                                    td { (name) }
                                    td { (reason_words(ctx, b.reason)) }
                                    td { span.badge { (stage_words(ctx, b.stage)) } }
                                    td {
                                        @if b.stage == Stage::Booked {
                                            (step_button(ctx, b, "arrived", t(ctx, "Arrivé", "Arrived"), name))
                                            (step_button(ctx, b, "no-show", t(ctx, "Absent", "No-show"), name))
                                        }
                                        @if matches!(b.stage, Stage::Arrived | Stage::InProgress) {
                                            (step_button(ctx, b, "done", t(ctx, "Terminé", "Done"), name))
                                        }
                                        @if matches!(b.stage, Stage::Arrived | Stage::InProgress | Stage::Done) {
                                            a.button.small.secondary href={ "/agents/visites/" (b.id) } { (t(ctx, "Demandes", "Requests")) span.skip { " " (name) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                @if let Some(q) = queue {
                    section aria-labelledby="h-file" {
                        h2 id="h-file" { (t(ctx, "File d’attente (sans rendez-vous)", "Drop-in queue")) }
                        div id="file" aria-live="polite"
                            data-live={ "/api/v1/sites/" (x.site_id) "/permanences/" (x.permanence_id) "/queue/live" }
                            data-fragment={ "/agents/permanences/" (x.permanence_id) "/file" } { (q) }
                        form method="post" action={ "/agents/permanences/" (x.permanence_id) "/file" } {
                            (csrf_field(ctx))
                            fieldset {
                                legend { (t(ctx, "Une arrivée", "Someone arrives")) }
                                label for="first_name" { (t(ctx, "Prénom (facultatif)", "First name (optional)")) }
                                input type="text" id="first_name" name="first_name" maxlength="50";
                                p { (t(ctx, "Pour quoi ?", "What for?")) }
                                (reason_chips(ctx, "reason", &[]))
                                button type="submit" { (t(ctx, "Ajouter à la file", "Add to the queue")) }
                            }
                        }
                    }
                }
            }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

fn step_button(ctx: &Ctx, b: &Booking, step: &str, label: &str, name: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/agents/rdv/" (b.id) "/etape" } {
            (csrf_field(ctx))
            input type="hidden" name="etape" value=(step);
            button.small type="submit" id={ "a-" (b.id) "-" (step) } { (label) span.skip { " " (name) } }
        }
    }
}

pub async fn queue_fragment(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let m = queue_markup(&web, ctx, &x).await?;
        Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            m.into_string(),
        )
            .into_response())
    })
}

fn reasons_from(pairs: &[(String, String)], name: &str) -> Result<Vec<Reason>, ApiError> {
    forms::fields(pairs, name)
        .into_iter()
        .map(|c| {
            Reason::from_code(c).ok_or_else(|| ApiError::Invalid {
                field: name.into(),
                message: format!("{c:?} is not a reason"),
            })
        })
        .collect()
}

pub async fn arrive_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let pairs = forms::pairs(&body);
        let reasons = reasons_from(&pairs, "reason")?;
        let first = forms::field(&pairs, "first_name");
        web.inner
            .appointments
            .drop_in_arrive(
                &p.acting(ctx.correlation, ctx.now),
                &x.permanence_id,
                Some(first),
                &reasons,
            )
            .await?;
        Ok(see_other(&format!(
            "/agents/permanences/{}#file",
            x.permanence_id
        )))
    })
}

pub async fn ticket_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let id: uuid::Uuid = raw
            .parse()
            .map_err(|_| ApiError::NotFound(format!("there is no ticket {raw}")))?;
        let ticket = web.inner.appointments.ticket(id).await?;
        let x = permanence_at_desk(&web, p, &ticket.permanence_id).await?;
        let pairs = forms::pairs(&body);
        let to = match forms::field(&pairs, "etape") {
            "called" => TicketState::Called,
            "served" => TicketState::Served,
            "left" => TicketState::Left,
            other => {
                return Err(ApiError::Invalid {
                    field: "etape".into(),
                    message: format!("{other:?}: use called, served or left"),
                });
            }
        };
        web.inner
            .appointments
            .drop_in_step(&p.acting(ctx.correlation, ctx.now), id, to)
            .await?;
        Ok(see_other(&format!(
            "/agents/permanences/{}#file",
            x.permanence_id
        )))
    })
}

/// Where a visit (an appointment or a ticket) happened, checked for `p`.
async fn visit_at_desk(
    web: &Web,
    p: &Principal,
    raw: &str,
) -> Result<(uuid::Uuid, SiteId), ApiError> {
    let id: uuid::Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("there is no visit {raw}")))?;
    let site = web.inner.appointments.visit_site(id).await?;
    p.require(FRONT_DESK, Some(site))?;
    Ok((id, site))
}

async fn visit_view(
    web: &Web,
    ctx: &Ctx,
    id: uuid::Uuid,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let recorded = web.inner.appointments.requests_of(id).await?;
    let checked: Vec<Reason> = recorded.iter().map(|r| r.reason()).collect();
    let accompanied = recorded.first().is_none_or(|r| r.accompanied);
    let outcome = recorded.first().map_or(ev::Outcome::Done, |r| r.outcome());
    let title = t(ctx, "Les demandes de la visite", "The visit's requests");
    let body = html! {
        h1 { (title) }
        @if let Some(m) = &problem { p.alert role="alert" { (m) } }
        @if !recorded.is_empty() { p.notice role="status" { (recorded.len()) " " (t(ctx, "demande(s) enregistrée(s). Vous pouvez corriger.", "request(s) recorded. You can correct them.")) } }
        form method="post" action={ "/agents/visites/" (id) } {
            (csrf_field(ctx))
            fieldset {
                legend { (t(ctx, "Demandes (une par case)", "Requests (one per box)")) }
                (reason_chips(ctx, "reason", &checked))
            }
            fieldset {
                legend { (t(ctx, "Comment", "How")) }
                div.chips {
                    label { input type="radio" name="accompagne" value="oui" checked[accompanied]; (t(ctx, "Accompagné", "Accompanied")) }
                    label { input type="radio" name="accompagne" value="non" checked[!accompanied]; (t(ctx, "En autonomie", "Autonomous")) }
                }
            }
            fieldset {
                legend { (t(ctx, "Résultat", "Outcome")) }
                div.chips {
                    label { input type="radio" name="resultat" value="done" checked[outcome == ev::Outcome::Done]; (t(ctx, "Fait", "Done")) }
                    label { input type="radio" name="resultat" value="follow_up" checked[outcome == ev::Outcome::FollowUp]; (t(ctx, "À suivre", "Follow-up")) }
                    label { input type="radio" name="resultat" value="redirected" checked[outcome == ev::Outcome::Redirected]; (t(ctx, "Orienté ailleurs", "Sent elsewhere")) }
                }
            }
            button type="submit" { (t(ctx, "Enregistrer", "Save")) }
        }
    };
    Ok(Page::new(title, body)
        .wide()
        .refused_if(problem.is_some())
        .render(ctx))
}

pub async fn visit_page(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let (id, _) = visit_at_desk(&web, p, &raw).await?;
        visit_view(&web, ctx, id, None).await
    })
}

pub async fn visit_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let (id, _) = visit_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let reasons = reasons_from(&pairs, "reason")?;
        if reasons.is_empty() {
            return visit_view(
                &web,
                ctx,
                id,
                Some(
                    t(
                        ctx,
                        "Cochez au moins une demande.",
                        "Tick at least one request.",
                    )
                    .to_owned(),
                ),
            )
            .await;
        }
        let accompanied = forms::field(&pairs, "accompagne") != "non";
        let outcome = match forms::field(&pairs, "resultat") {
            "follow_up" => ev::Outcome::FollowUp,
            "redirected" => ev::Outcome::Redirected,
            _ => ev::Outcome::Done,
        };
        let requests = reasons
            .into_iter()
            .map(|r| ev::VisitRequest {
                reason: r as i32,
                accompanied,
                outcome: outcome as i32,
            })
            .collect();
        match web
            .inner
            .appointments
            .record_requests(&p.acting(ctx.correlation, ctx.now), id, requests)
            .await
        {
            Ok(_) => {}
            Err(AppointmentError::Invalid { message, .. }) => {
                let e = ApiError::Invalid {
                    field: String::new(),
                    message,
                };
                return visit_view(&web, ctx, id, Some(says(ctx, &e))).await;
            }
            Err(e) => return Err(e.into()),
        }
        let permanence = match web.inner.appointments.get(AppointmentId(id)).await {
            Ok(b) => Some(b.permanence_id),
            Err(_) => web
                .inner
                .appointments
                .ticket(id)
                .await
                .ok()
                .map(|t| t.permanence_id),
        };
        Ok(see_other(&permanence.map_or_else(
            || "/agents/journee".to_owned(),
            |p| format!("/agents/permanences/{p}"),
        )))
    })
}

/// One page to print: the day's appointments and the queue of a
/// permanence, with a phone number to call for each appointment.
pub async fn day_sheet(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let list = web.inner.appointments.day_list(&x.permanence_id).await?;
        let people = people(&web, ctx, p, ReadPurpose::DayList, &list).await?;
        let title = format!(
            "{} · {} · {}–{}",
            x.site_name,
            x.day.format("%d/%m/%Y"),
            x.starts_local.format("%H:%M"),
            x.ends_local.format("%H:%M")
        );
        let body = html! {
            h1 { (title) }
            p.no-print { a href={ "/agents/permanences/" (x.permanence_id) } { "← " (t(ctx, "Retour", "Back")) } }
            table {
                thead { tr { th { (t(ctx, "Heure", "Time")) } th { (t(ctx, "Habitant", "Resident")) } th { (t(ctx, "Téléphone", "Phone")) } th { (t(ctx, "Pour", "For")) } th { (t(ctx, "Réf.", "Ref.")) } th { (t(ctx, "Venu", "Came")) } } }
                tbody {
                    @for (b, (name, phone)) in list.iter().zip(&people) {
                        tr { td { (hm(b.starts_at)) } td { (name) } td { (phone_words(phone)) } td { (reason_words(ctx, b.reason)) } td { (b.reference) } td { "☐" } }
                    }
                }
            }
            p { (list.len()) " " (t(ctx, "rendez-vous", "appointments")) }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

#[derive(Deserialize)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    site: Option<String>,
    by: Option<String>,
}

fn number(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}").replace('.', ","))
}

/// The figures of the coordinator's sites: a table, the charts, the CSV.
pub async fn stats_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<StatsQuery>) -> Response {
    staff_page!(ctx, p, async {
        p.require(stats::READERS, None)?;
        let today = contracts::time::local_date(web.now());
        let first = today.with_day0(0).unwrap_or(today);
        let from = q
            .from
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| first.to_string());
        let to =
            q.to.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| today.to_string());
        let site = q.site.clone().filter(|s| !s.is_empty());
        let by =
            q.by.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "site".to_owned());
        let sites = sites_of(&web, p, stats::READERS).await?;
        let query =
            stats::allowed_query(&web.inner.calendar, p, &from, &to, site.clone(), Some(&by)).await;
        let (table, problem) = match query {
            Ok(query) => match web.inner.stats.table(&query).await {
                Ok(t) => (Some(t), None),
                Err(e) => (None, Some(says(ctx, &ApiError::from(e)))),
            },
            Err(e) => (None, Some(says(ctx, &e))),
        };
        let mut params = format!(
            "from={}&to={}&by={}",
            url_encode(&from),
            url_encode(&to),
            url_encode(&by)
        );
        if let Some(s) = &site {
            params.push_str(&format!("&site={}", url_encode(s)));
        }
        let site_name = |key: &str| {
            sites
                .iter()
                .find(|s| s.id.to_string() == key)
                .map_or_else(|| key.to_owned(), |s| s.details.name.clone())
        };
        let title = t(ctx, "Statistiques", "Statistics");
        let charts = [
            (
                "people",
                t(
                    ctx,
                    "Personnes et demandes par permanence",
                    "People and requests per permanence",
                ),
            ),
            ("kinds", t(ctx, "Demandes par type", "Requests by kind")),
            (
                "waits",
                t(
                    ctx,
                    "Attente avant d’être reçu (sans rendez-vous)",
                    "Wait before being seen (drop-in)",
                ),
            ),
            (
                "no-shows",
                t(
                    ctx,
                    "Absences avec et sans rappel reçu",
                    "No-shows with and without a delivered reminder",
                ),
            ),
        ];
        let body = html! {
            h1 { (title) }
            form method="get" action="/agents/statistiques" {
                div.grid2 {
                    div { label for="from" { (t(ctx, "Du", "From")) } input type="date" id="from" name="from" value=(from); }
                    div { label for="to" { (t(ctx, "Au", "To")) } input type="date" id="to" name="to" value=(to); }
                    div {
                        label for="site" { (t(ctx, "Lieu", "Site")) }
                        select id="site" name="site" {
                            option value="" { (t(ctx, "Tous mes lieux", "All my sites")) }
                            @for s in &sites { option value=(s.id) selected[site.as_deref() == Some(s.id.to_string().as_str())] { (s.details.name) } }
                        }
                    }
                    div {
                        label for="by" { (t(ctx, "Par", "By")) }
                        select id="by" name="by" {
                            @for (v, fr, en) in [("site", "lieu", "site"), ("permanence", "permanence", "permanence"), ("week", "semaine", "week"), ("month", "mois", "month"), ("year", "année", "year")] {
                                option value=(v) selected[by == v] { (t(ctx, fr, en)) }
                            }
                        }
                    }
                }
                button type="submit" { (t(ctx, "Afficher", "Show")) }
            }
            @if let Some(m) = &problem { p.alert role="alert" { (m) } }
            @if let Some(tb) = &table {
                p { a.button.secondary href={ "/api/v1/stats.csv?" (params) } download { (t(ctx, "Télécharger le tableau (CSV)", "Download the table (CSV)")) } }
                table {
                    caption { (t(ctx, "Chiffres de la période", "Figures of the period")) }
                    thead { tr {
                        th scope="col" { (t(ctx, "Groupe", "Group")) }
                        th.num scope="col" { (t(ctx, "Permanences", "Permanences")) }
                        th.num scope="col" { (t(ctx, "Personnes", "People")) }
                        th.num scope="col" { (t(ctx, "Demandes", "Requests")) }
                        th.num scope="col" { (t(ctx, "Attente médiane (min)", "Median wait (min)")) }
                        th.num scope="col" { (t(ctx, "Partis sans être reçus", "Left unserved")) }
                        th.num scope="col" { (t(ctx, "Rendez-vous", "Appointments")) }
                        th.num scope="col" { (t(ctx, "Absents", "No-shows")) }
                        th.num scope="col" { (t(ctx, "SMS envoyés", "SMS sent")) }
                    } }
                    tbody {
                        @for r in tb.rows.iter().map(|r| (site_name(&r.key), &r.figures)).chain(std::iter::once((t(ctx, "Total", "Total").to_owned(), &tb.total))) {
                            tr {
                                th scope="row" { (r.0) }
                                td.num { (r.1.permanences) }
                                td.num { (r.1.people) }
                                td.num { (r.1.requests) }
                                td.num { (number(r.1.wait_median_minutes)) }
                                td.num { (r.1.left_unserved) }
                                td.num { (r.1.booked) }
                                td.num { (r.1.no_show) }
                                td.num { (r.1.reminders_sent) }
                            }
                        }
                    }
                }
                @for (chart, caption) in charts {
                    figure {
                        img src={ "/api/v1/stats/charts/" (chart) "?" (params) } alt=(caption) width="720" height="360";
                        figcaption { (caption) " · " a href={ "/api/v1/stats/charts/" (chart) "?" (params) } { (t(ctx, "ouvrir le graphique, avec ses chiffres", "open the chart, with its figures")) } }
                    }
                }
            }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

use chrono::Datelike as _;
