//! The appointments HTTP API (the contract of the appointments issue):
//! availability, booking (by the resident, or by staff on their behalf),
//! reading and cancelling with the manage token or as front-desk staff.

use std::sync::Arc;

use api::{
    ApiError, ApiJson, CorrelationId, Doc, FRONT_DESK, MaybeStaff, Need, Now, Principal, Routes,
    Verb, path_id,
};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use contracts::{AppointmentId, Language, Party, Reason, SiteId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::AppointmentError;
use crate::model::Booking;
use crate::service::{Appointments, BookRequest, Booker};

#[derive(Clone)]
struct HttpState {
    appointments: Appointments,
    /// Where people reach Créneau: manage links start with it.
    public_url: Arc<str>,
}

/// Every route of the appointments service.
pub fn routes(appointments: Appointments, public_url: &str) -> Routes {
    use Need::{Optional, Public, ResidentLink, Staff};
    use Verb::{Get, Post};
    Routes::new()
        .route(Get, "/api/v1/availability", Public, availability_get)
        .doc(
            Doc::new("Free times to book, by permanence and day")
                .query::<AvailabilityQuery>()
                .ok::<Vec<crate::Available>>(),
        )
        .route(Get, "/api/v1/workshops", Public, workshops_get)
        .doc(
            Doc::new("Workshop sessions ahead, with their places left")
                .query::<WorkshopsQuery>()
                .ok::<Vec<crate::Session>>(),
        )
        .route(Post, "/api/v1/appointments", Optional, appointments_create)
        .doc(
            Doc::new("Book an appointment (or a workshop place)")
                .body::<BookBody>()
                .created::<AppointmentShown>()
                .also::<SlotTaken>(409),
        )
        .route(
            Get,
            "/api/v1/appointments/{appointment_id}",
            ResidentLink,
            appointments_get,
        )
        .doc(Doc::new("One appointment").ok::<AppointmentShown>())
        .route(
            Post,
            "/api/v1/appointments/{appointment_id}/cancel",
            ResidentLink,
            appointments_cancel,
        )
        .doc(
            Doc::new("Cancel an appointment")
                .optional_body::<CancelBody>()
                .empty(204),
        )
        .route(
            Post,
            "/api/v1/appointments/{appointment_id}/reschedule",
            ResidentLink,
            appointments_reschedule,
        )
        .doc(
            Doc::new("Move an appointment to another free time")
                .body::<RescheduleBody>()
                .ok::<AppointmentShown>()
                .also::<SlotTaken>(409),
        )
        .route(
            Post,
            "/api/v1/appointments/{appointment_id}/{step}",
            Staff(FRONT_DESK),
            appointments_step,
        )
        .doc(
            Doc::new("Move an appointment along its day: arrived, started, done, no-show, excused")
                .ok::<AppointmentShown>(),
        )
        .route(
            Get,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/appointments",
            Staff(FRONT_DESK),
            day_list_get,
        )
        .doc(Doc::new("A permanence's appointments, in time order").ok::<Vec<AppointmentShown>>())
        .route(
            Get,
            "/api/v1/residents/search",
            Staff(FRONT_DESK),
            residents_search,
        )
        .doc(
            Doc::new("Find residents by phone or name, with their appointments")
                .query::<SearchQuery>()
                .ok::<Vec<ResidentFound>>(),
        )
        .route(
            Get,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/queue",
            Staff(FRONT_DESK),
            queue_get,
        )
        .doc(
            Doc::new("A drop-in permanence's queue")
                .query::<QueueQuery>()
                .ok::<Vec<TicketShown>>(),
        )
        .route(
            Post,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/queue",
            Staff(FRONT_DESK),
            queue_arrive,
        )
        .doc(
            Doc::new("A visitor arrives at a drop-in permanence: their ticket")
                .body::<ArriveBody>()
                .created::<TicketShown>(),
        )
        .route(
            Get,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/queue/live",
            Staff(FRONT_DESK),
            queue_live,
        )
        .doc(
            Doc::new("The queue as it changes (server-sent events)")
                .query::<QueueQuery>()
                .content(
                    "text/event-stream",
                    "One `queue` event with the whole queue (as GET …/queue answers it) at once and on every change.",
                ),
        )
        .route(
            Post,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/queue/{ticket_id}/{step}",
            Staff(FRONT_DESK),
            queue_step,
        )
        .doc(Doc::new("Move a ticket along: call, serve, done, gone").ok::<TicketShown>())
        .route(
            Get,
            "/api/v1/visits/{visit_id}/requests",
            Staff(FRONT_DESK),
            requests_get,
        )
        .doc(Doc::new("What a visit was about").ok::<Vec<RequestBody>>())
        .route(
            Verb::Put,
            "/api/v1/visits/{visit_id}/requests",
            Staff(FRONT_DESK),
            requests_put,
        )
        .doc(
            Doc::new("Record what a visit was about")
                .body::<RequestsBody>()
                .ok::<Vec<RequestBody>>(),
        )
        .route(
            Get,
            "/api/v1/visits/{visit_id}/orientations",
            Staff(FRONT_DESK),
            orientations_get,
        )
        .doc(Doc::new("Where a visit oriented the resident").ok::<Vec<OrientationBody>>())
        .route(
            Post,
            "/api/v1/visits/{visit_id}/orientations",
            Staff(FRONT_DESK),
            orientations_post,
        )
        .doc(
            Doc::new("Orient the resident of a visit (and enrol them in a workshop session)")
                .body::<OrientationBody>()
                .created::<OrientedShown>(),
        )
        .route(Post, "/api/v1/waitlists", Optional, waitlists_join)
        .doc(
            Doc::new("Join a waiting list")
                .body::<JoinBody>()
                .created::<EntryShown>(),
        )
        .route(Get, "/api/v1/waitlists", Staff(FRONT_DESK), waitlists_get)
        .doc(
            Doc::new("Who waits at a site, list by list, in order")
                .query::<WaitlistsQuery>()
                .ok::<Vec<EntryShown>>(),
        )
        .route(
            Get,
            "/api/v1/waitlists/{entry_id}",
            ResidentLink,
            waitlist_entry_get,
        )
        .doc(Doc::new("One waiting-list entry, its position and its offer").ok::<EntryShown>())
        .route(
            Verb::Delete,
            "/api/v1/waitlists/{entry_id}",
            ResidentLink,
            waitlist_entry_leave,
        )
        .doc(Doc::new("Leave a waiting list").empty(204))
        .route(
            Post,
            "/api/v1/offers/{offer_id}/take",
            ResidentLink,
            offer_take,
        )
        .doc(Doc::new("Take the place an offer holds").created::<AppointmentShown>())
        .route(
            Post,
            "/api/v1/offers/{offer_id}/decline",
            ResidentLink,
            offer_decline,
        )
        .doc(Doc::new("Decline an offer: it goes to the next person").empty(204))
        .with_state(HttpState {
            appointments,
            public_url: Arc::from(public_url.trim_end_matches('/')),
        })
}

fn reason(code: &str, field: &'static str) -> Result<Reason, ApiError> {
    Reason::from_code(code).ok_or_else(|| {
        AppointmentError::invalid(
            field,
            messages::say!(
                crate::MESSAGES,
                "is-not-reason-use-procedure",
                code = format!("{:?}", code)
            ),
        )
        .into()
    })
}

fn site(raw: &str, field: &'static str) -> Result<SiteId, ApiError> {
    raw.parse().map_err(|_| {
        AppointmentError::invalid(
            field,
            messages::say!(
                crate::MESSAGES,
                "is-not-site-id",
                raw = format!("{:?}", raw)
            ),
        )
        .into()
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AvailabilityQuery {
    #[schemars(with = "Option<contracts::SiteId>")]
    site: Option<String>,
    #[schemars(with = "contracts::schema::ReasonCode")]
    reason: String,
    #[schemars(with = "Option<chrono::NaiveDate>")]
    from: Option<String>,
    #[schemars(range(min = 1, max = 60))]
    days: Option<u64>,
}

/// `from` as a date (today when left out) and `days` (1 to 60; 14 when
/// left out), as `/api/v1/availability` and `/api/v1/workshops` read them.
fn period(
    from: Option<&str>,
    days: Option<u64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(NaiveDate, u64), ApiError> {
    let from = match from {
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
            ApiError::from(AppointmentError::invalid(
                "from",
                messages::say!(
                    crate::MESSAGES,
                    "is-not-date-write-2026",
                    text = format!("{:?}", t)
                ),
            ))
        })?,
        None => contracts::time::local_date(now),
    };
    let days = days.unwrap_or(14);
    if !(1..=60).contains(&days) {
        return Err(AppointmentError::invalid(
            "days",
            messages::say!(crate::MESSAGES, "ask-for-1-to-60"),
        )
        .into());
    }
    Ok((from, days))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WorkshopsQuery {
    #[schemars(with = "Option<contracts::SiteId>")]
    site: Option<String>,
    #[schemars(with = "Option<chrono::NaiveDate>")]
    from: Option<String>,
    #[schemars(range(min = 1, max = 60))]
    days: Option<u64>,
}

/// The workshop sessions ahead, with their places left. A place is
/// booked with `POST /api/v1/appointments`, reason `workshop`, at the
/// session's start.
async fn workshops_get(
    State(s): State<HttpState>,
    Now(now): Now,
    api::ApiQuery(q): api::ApiQuery<WorkshopsQuery>,
) -> Result<Response, ApiError> {
    let site = q.site.as_deref().map(|raw| site(raw, "site")).transpose()?;
    let (from, days) = period(q.from.as_deref(), q.days, now)?;
    Ok(axum::Json(
        s.appointments
            .workshop_sessions(site, from, days, now)
            .await?,
    )
    .into_response())
}

async fn availability_get(
    State(s): State<HttpState>,
    Now(now): Now,
    api::ApiQuery(q): api::ApiQuery<AvailabilityQuery>,
) -> Result<Response, ApiError> {
    let site = q.site.as_deref().map(|raw| site(raw, "site")).transpose()?;
    let reason = reason(&q.reason, "reason")?;
    let (from, days) = period(q.from.as_deref(), q.days, now)?;
    Ok(axum::Json(
        s.appointments
            .availability(site, reason, from, days, now)
            .await?,
    )
    .into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResidentBody {
    #[schemars(length(min = 1, max = 100))]
    name: String,
    phone: String,
    email: Option<String>,
    /// fr (default), en or ar.
    #[schemars(with = "Option<contracts::schema::LanguageCode>")]
    language: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = book_example())]
struct BookBody {
    #[schemars(with = "contracts::SiteId")]
    site: String,
    #[schemars(with = "chrono::DateTime<chrono::FixedOffset>")]
    start: String,
    #[schemars(with = "contracts::schema::ReasonCode")]
    reason: String,
    resident: ResidentBody,
    #[schemars(length(max = 300))]
    note: Option<String>,
    /// Staff only: book past the one-appointment-per-reason rule.
    override_reason: Option<String>,
    /// Where the site asks for it: the code sent by SMS, with the challenge
    /// `POST /api/v1/booking-codes` answered.
    confirmation: Option<ConfirmationBody>,
}

/// A booking as a resident's client sends it (the example of the
/// document).
fn book_example() -> serde_json::Value {
    serde_json::json!({
        "site": "0192f1e4-5a6b-7c8d-9e0f-1a2b3c4d5e6f",
        "start": "2026-12-15T09:00:00+01:00",
        "reason": "procedure_caf",
        "resident": {"name": "Awa Traoré", "phone": "06 12 34 56 78", "language": "fr"},
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmationBody {
    challenge: contracts::ports::CodeChallenge,
    code: String,
}

#[derive(Serialize, JsonSchema)]
struct AppointmentShown {
    id: AppointmentId,
    reference: String,
    start: DateTime<chrono::FixedOffset>,
    end: DateTime<chrono::FixedOffset>,
    site: SiteId,
    permanence: String,
    reason: String,
    status: &'static str,
    /// booked, arrived, in_progress, done or no_show.
    stage: crate::model::Stage,
    arrived_at: Option<DateTime<chrono::FixedOffset>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manage_url: Option<String>,
}

fn shown(b: &Booking, manage_url: Option<String>) -> AppointmentShown {
    AppointmentShown {
        id: b.id,
        reference: b.reference.clone(),
        start: contracts::time::to_local(b.starts_at).fixed_offset(),
        end: contracts::time::to_local(b.ends_at).fixed_offset(),
        site: b.site,
        permanence: b.permanence_id.clone(),
        reason: b.reason.code(),
        status: if b.cancelled { "cancelled" } else { "booked" },
        stage: b.stage,
        arrived_at: b
            .arrived_at
            .map(|t| contracts::time::to_local(t).fixed_offset()),
        manage_url,
    }
}

/// A time taken meanwhile: the next free times instead.
#[derive(Serialize, JsonSchema)]
struct SlotTaken {
    /// `slot_taken`.
    error: &'static str,
    message: String,
    /// The next free times at the same site for the same reason.
    alternatives: Vec<crate::Available>,
}

/// 409 with the next free times, as the contract says.
fn slot_taken(e: AppointmentError) -> Response {
    match e {
        AppointmentError::SlotTaken { alternatives } => (
            StatusCode::CONFLICT,
            axum::Json(SlotTaken {
                error: "slot_taken",
                message: messages::say!(crate::MESSAGES, "this-time-was-just-taken"),
                alternatives,
            }),
        )
            .into_response(),
        other => ApiError::from(other).into_response(),
    }
}

async fn appointments_create(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    client: api::ClientIp,
    ApiJson(body): ApiJson<BookBody>,
) -> Result<Response, ApiError> {
    let site = site(&body.site, "site")?;
    let start = parse_start(&body.start)?;
    let reason = reason(&body.reason, "reason")?;
    let language = language_of(body.resident.language.as_deref())?;
    if staff.is_none() && body.override_reason.is_some() {
        return Err(AppointmentError::invalid(
            "override_reason",
            messages::say!(crate::MESSAGES, "only-staff-may-book-past"),
        )
        .into());
    }
    let booker = booker_of(
        staff.as_ref(),
        site,
        client,
        correlation,
        now,
        body.override_reason.clone(),
    )?;
    let request = BookRequest {
        sms_consent: true,
        site,
        start,
        reason,
        name: body.resident.name,
        phone: body.resident.phone,
        email: body.resident.email,
        language,
        note: body.note,
        confirmation: body.confirmation.map(|c| (c.challenge, c.code)),
    };
    match s.appointments.book(request, booker, now.0).await {
        Ok(booked) => {
            let url = manage_url(&s.public_url, &booked.token);
            Ok((
                StatusCode::CREATED,
                axum::Json(shown(&booked.booking, Some(url))),
            )
                .into_response())
        }
        Err(e) => Ok(slot_taken(e)),
    }
}

/// The address a resident keeps: short, for a one-segment SMS.
pub fn manage_url(public_url: &str, token: &str) -> String {
    contracts::streams::manage_url(public_url, token)
}

/// The manage link from an SMS or email: on to the appointment it opens
/// (the resident's page when there is one, the appointment's JSON until
/// then). An unknown or expired token is refused as any other.
/// What a resident presents: the manage token (from `Authorization:
/// Bearer` or `?token=`), and where they call from.
struct LinkCredentials {
    token: Option<String>,
    client: String,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for LinkCredentials {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let query = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| *k == "token")
                .map(|(_, v)| v.to_owned())
        });
        let api::ClientIp(client) = api::ClientIp::from_request_parts(parts, state).await?;
        Ok(LinkCredentials {
            token: bearer.or(query),
            client,
        })
    }
}

/// Who may see or change this appointment: front-desk staff of its site,
/// or the holder of its manage token. Anyone else learns nothing, not even
/// whether the appointment exists.
async fn check_access(
    s: &HttpState,
    staff: Option<&api::Principal>,
    link: &LinkCredentials,
    id: AppointmentId,
) -> Result<Party, ApiError> {
    let site = match staff {
        Some(_) => Some(s.appointments.get(id).await?.site),
        None => None,
    };
    check_link_or_desk(s, staff, link, id, site).await
}

/// Front-desk staff of `site`, or the holder of the link issued for `id`
/// (an appointment, a waiting-list entry, an offer).
async fn check_link_or_desk(
    s: &HttpState,
    staff: Option<&api::Principal>,
    link: &LinkCredentials,
    id: AppointmentId,
    site: Option<SiteId>,
) -> Result<Party, ApiError> {
    if let Some(p) = staff {
        p.require(FRONT_DESK, site)?;
        return Ok(Party::Staff);
    }
    let Some(token) = link.token.as_deref() else {
        return Err(ApiError::Unauthorized(messages::say!(
            crate::MESSAGES,
            "open-your-appointment-with-link"
        )));
    };
    s.appointments
        .residents()
        .open_link(token, id, &link.client)
        .await
        .map_err(AppointmentError::from)?;
    Ok(Party::Resident)
}

async fn appointments_get(
    State(s): State<HttpState>,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id: AppointmentId = path_id("appointment", &raw)?;
    check_access(&s, staff.as_ref(), &link, id).await?;
    Ok(axum::Json(shown(&s.appointments.get(id).await?, None)).into_response())
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    reason: Option<String>,
}

async fn appointments_cancel(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let id: AppointmentId = path_id("appointment", &raw)?;
    let by = check_access(&s, staff.as_ref(), &link, id).await?;
    let body: CancelBody = if body.iter().all(u8::is_ascii_whitespace) {
        CancelBody::default()
    } else {
        api::json_body(&body)?
    };
    let acting = match &staff {
        Some(p) => p.acting(correlation, now),
        None => {
            let resident = s.appointments.resident_of(id).await?;
            api::Acting::new(eventlog::Actor::Resident(resident.0), correlation.0, now.0)
        }
    };
    s.appointments
        .cancel(&acting, id, by, body.reason.as_deref().unwrap_or_default())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RescheduleBody {
    #[schemars(with = "chrono::DateTime<chrono::FixedOffset>")]
    start: String,
}

async fn appointments_reschedule(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id: AppointmentId = path_id("appointment", &raw)?;
    // Who asks comes first: a stranger learns nothing, not even what the
    // body should hold.
    let by = check_access(&s, staff.as_ref(), &link, id).await?;
    let body: RescheduleBody = api::json_body(&body)?;
    let start = parse_start(&body.start)?;
    let acting = match &staff {
        Some(p) => p.acting(correlation, now),
        None => {
            let resident = s.appointments.resident_of(id).await?;
            api::Acting::new(eventlog::Actor::Resident(resident.0), correlation.0, now.0)
        }
    };
    match s.appointments.reschedule(&acting, id, start, by).await {
        Ok(b) => Ok(axum::Json(shown(&b, None)).into_response()),
        Err(e) => Ok(slot_taken(e)),
    }
}

fn parse_start(text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            AppointmentError::invalid(
                "start",
                messages::say!(crate::MESSAGES, "give-time-as-rfc-3339"),
            )
            .into()
        })
}

/// Moves an appointment along its day (`arrived`, `started`, `done`,
/// `no-show`), as front-desk staff of its site.
async fn appointments_step(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    principal: api::Principal,
    Path((raw, step)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    use crate::model::Stage;
    let id: AppointmentId = path_id("appointment", &raw)?;
    let booking = s.appointments.get(id).await?;
    principal.require(FRONT_DESK, Some(booking.site))?;
    let Some(to) = Stage::of_step(&step) else {
        return Err(ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "is-not-step-arrived-started",
            other = format!("{:?}", step)
        )));
    };
    let b = s
        .appointments
        .advance(&principal.acting(correlation, now), id, to)
        .await?;
    Ok(axum::Json(shown(&b, None)).into_response())
}

/// The mediator's list for one permanence: time order, arrivals first.
async fn day_list_get(
    State(s): State<HttpState>,
    Path((site, permanence)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let site: SiteId = path_id("site", &site)?;
    let list = s.appointments.day_list(&permanence).await?;
    let shown: Vec<AppointmentShown> = list
        .iter()
        .filter(|b| b.site == site)
        .map(|b| shown(b, None))
        .collect();
    Ok(axum::Json(shown).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    /// A phone number in any common form, or words of a name.
    q: String,
}

#[derive(Serialize, JsonSchema)]
struct ResidentFound {
    resident_id: contracts::ResidentId,
    name: String,
    phone: String,
    upcoming: Vec<AppointmentShown>,
    past: Vec<AppointmentShown>,
    /// The same phone and a shared name: perhaps the same person.
    possible_duplicates: Vec<contracts::ResidentId>,
}

/// Reception's search: by phone (06 12 34 56 78, +33612345678…), everyone
/// registered with it; by name (accents and case ignored), the residents
/// of the caller's sites; with each one's appointments at those sites.
async fn residents_search(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    api::ApiQuery(q): api::ApiQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let found = s
        .appointments
        .residents()
        .find(&principal, correlation.0, &q.q)
        .await
        .map_err(|e| match e {
            contracts::ports::ResidentsError::Invalid(m) => AppointmentError::invalid("q", m),
            other => other.into(),
        })?;
    let now = now.0;
    let mut shown_list = Vec::new();
    for r in found {
        let bookings = s.appointments.bookings_of(r.id).await?;
        let (upcoming, past): (Vec<_>, Vec<_>) = bookings
            .iter()
            .filter(|b| principal.may(FRONT_DESK, Some(b.site)))
            .partition(|b| b.ends_at > now && !b.cancelled);
        shown_list.push(ResidentFound {
            resident_id: r.id,
            phone: contracts::PhoneNumber::parse(&r.phone)
                .map_or_else(|_| r.phone.clone(), |p| p.display_national()),
            name: r.name,
            upcoming: upcoming.into_iter().map(|b| shown(b, None)).collect(),
            past: past.into_iter().map(|b| shown(b, None)).collect(),
            possible_duplicates: r.possible_duplicates,
        });
    }
    Ok(axum::Json(shown_list).into_response())
}

/// The permanence of the address, checked to be at the site of the address.
async fn queue_at(s: &HttpState, site: &str, permanence: &str) -> Result<(), ApiError> {
    let site: SiteId = path_id("site", site)?;
    match s.appointments.site_of(permanence).await? {
        Some(at) if at == site => Ok(()),
        _ => Err(ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "site-has-no-permanence",
            site = site,
            permanence = permanence
        ))),
    }
}

#[derive(Serialize, JsonSchema)]
struct TicketShown {
    ticket_id: uuid::Uuid,
    number: u32,
    first_name: Option<String>,
    reasons: Vec<String>,
    state: crate::queue::TicketState,
    arrived_at: DateTime<chrono::FixedOffset>,
    called_at: Option<DateTime<chrono::FixedOffset>>,
    waited_minutes: Option<i64>,
    /// Smartphone, computer or email questions only: the IT helper's.
    for_it_helper: bool,
}

async fn ticket_shown(s: &HttpState, t: &crate::queue::Ticket) -> TicketShown {
    let first_name = s.appointments.first_name_of(t).await;
    TicketShown {
        ticket_id: t.id,
        number: t.number,
        first_name,
        reasons: t.reasons.iter().map(|r| r.code()).collect(),
        state: t.state,
        arrived_at: contracts::time::to_local(t.arrived_at).fixed_offset(),
        called_at: t
            .called_at
            .map(|c| contracts::time::to_local(c).fixed_offset()),
        waited_minutes: t.waited_minutes(),
        for_it_helper: t.for_it_helper(),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct QueueQuery {
    /// `it_helper`: equipment questions only; `mediator`: the others.
    #[serde(rename = "for")]
    for_role: Option<String>,
}

async fn queue_list(
    s: &HttpState,
    permanence: &str,
    for_role: Option<&str>,
) -> Result<Vec<TicketShown>, ApiError> {
    let wanted: Option<bool> = match for_role {
        None | Some("") => None,
        Some("it_helper") => Some(true),
        Some("mediator") => Some(false),
        Some(other) => {
            return Err(AppointmentError::invalid(
                "for",
                messages::say!(
                    crate::MESSAGES,
                    "use-it-helper-or-mediator",
                    other = format!("{:?}", other)
                ),
            )
            .into());
        }
    };
    let mut shown_list = Vec::new();
    for t in s.appointments.queue(permanence).await? {
        if wanted.is_none_or(|w| t.for_it_helper() == w) {
            shown_list.push(ticket_shown(s, &t).await);
        }
    }
    Ok(shown_list)
}

async fn queue_get(
    State(s): State<HttpState>,
    Path((site, permanence)): Path<(String, String)>,
    api::ApiQuery(q): api::ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    queue_at(&s, &site, &permanence).await?;
    Ok(axum::Json(queue_list(&s, &permanence, q.for_role.as_deref()).await?).into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ArriveBody {
    first_name: Option<String>,
    #[serde(default)]
    #[schemars(with = "Vec<contracts::schema::ReasonCode>")]
    reasons: Vec<String>,
}

async fn queue_arrive(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    principal: api::Principal,
    Path((site, permanence)): Path<(String, String)>,
    ApiJson(body): ApiJson<ArriveBody>,
) -> Result<Response, ApiError> {
    queue_at(&s, &site, &permanence).await?;
    let reasons = body
        .reasons
        .iter()
        .map(|r| reason(r, "reasons"))
        .collect::<Result<Vec<_>, _>>()?;
    let t = s
        .appointments
        .drop_in_arrive(
            &principal.acting(correlation, now),
            &permanence,
            body.first_name.as_deref(),
            &reasons,
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ticket_shown(&s, &t).await)).into_response())
}

async fn queue_step(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    principal: api::Principal,
    Path((site, permanence, ticket, step)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    queue_at(&s, &site, &permanence).await?;
    let ticket: uuid::Uuid = path_id("ticket", &ticket)?;
    let to = match step.as_str() {
        "call" => crate::queue::TicketState::Called,
        "served" => crate::queue::TicketState::Served,
        "left" => crate::queue::TicketState::Left,
        other => {
            return Err(ApiError::NotFound(messages::say!(
                crate::MESSAGES,
                "is-not-step-call-served",
                other = format!("{:?}", other)
            )));
        }
    };
    if s.appointments.ticket(ticket).await?.permanence_id != permanence {
        return Err(ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "this-permanence-has-no-ticket",
            ticket = ticket
        )));
    }
    let t = s
        .appointments
        .drop_in_step(&principal.acting(correlation, now), ticket, to)
        .await?;
    Ok(axum::Json(ticket_shown(&s, &t).await).into_response())
}

/// The queue, live: a `queue` event with the whole list now, then again at
/// every change (server-sent events), for the mediators' screen.
async fn queue_live(
    State(s): State<HttpState>,
    Path((site, permanence)): Path<(String, String)>,
    api::ApiQuery(q): api::ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    queue_at(&s, &site, &permanence).await?;
    let first = serde_json::to_string(&queue_list(&s, &permanence, q.for_role.as_deref()).await?)
        .map_err(ApiError::internal)?;
    let changes = s.appointments.changes();
    let state = (s, permanence, q.for_role, changes, first, true);
    let stream = futures_util::stream::unfold(
        state,
        |(s, permanence, for_role, mut changes, last, first)| async move {
            if first {
                let event = Event::default().event("queue").data(last.clone());
                return Some((
                    Ok::<_, std::convert::Infallible>(event),
                    (s, permanence, for_role, changes, last, false),
                ));
            }
            loop {
                changes.changed().await.ok()?;
                let Ok(list) = queue_list(&s, &permanence, for_role.as_deref()).await else {
                    continue;
                };
                let Ok(now) = serde_json::to_string(&list) else {
                    continue;
                };
                if now != last {
                    let event = Event::default().event("queue").data(now.clone());
                    return Some((Ok(event), (s, permanence, for_role, changes, now, false)));
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    #[schemars(with = "contracts::schema::ReasonCode")]
    reason: String,
    /// Accompanied (true) or not (false); absent or null: not said.
    #[serde(default)]
    accompanied: Option<bool>,
    /// done, follow_up, redirected or not_said (also when absent).
    #[serde(default)]
    outcome: Option<String>,
    /// The resident's autonomy for it: guided, with_help or autonomous;
    /// absent or null: not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    autonomy: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RequestsBody {
    requests: Vec<RequestBody>,
}

fn outcome_code(o: contracts::proto::appointments::v1::Outcome) -> &'static str {
    use contracts::proto::appointments::v1::Outcome;
    match o {
        Outcome::Done => "done",
        Outcome::FollowUp => "follow_up",
        Outcome::Redirected => "redirected",
        Outcome::NotSaid => "not_said",
        // Read as done (`VisitRequest::came_to`).
        Outcome::Unspecified => "done",
    }
}

fn requests_shown(list: &[contracts::proto::appointments::v1::VisitRequest]) -> Vec<RequestBody> {
    use contracts::proto::appointments::v1::Accompaniment;
    list.iter()
        .map(|r| RequestBody {
            reason: r.reason().code(),
            accompanied: match r.how() {
                Accompaniment::Accompanied => Some(true),
                Accompaniment::Autonomous => Some(false),
                Accompaniment::NotSaid | Accompaniment::Unspecified => None,
            },
            outcome: Some(outcome_code(r.came_to()).to_owned()),
            autonomy: autonomy_code(r.autonomy()).map(str::to_owned),
        })
        .collect()
}

/// An autonomy level as the API writes it; "not said" is left out.
pub fn autonomy_code(a: contracts::proto::appointments::v1::Autonomy) -> Option<&'static str> {
    use contracts::proto::appointments::v1::Autonomy;
    match a {
        Autonomy::Guided => Some("guided"),
        Autonomy::WithHelp => Some("with_help"),
        Autonomy::Autonomous => Some("autonomous"),
        Autonomy::NotSaid => None,
    }
}

/// An autonomy level as the API reads it (absent, null or `not_said`: not
/// said).
pub fn autonomy_of(
    code: Option<&str>,
) -> Result<contracts::proto::appointments::v1::Autonomy, AppointmentError> {
    use contracts::proto::appointments::v1::Autonomy;
    match code.unwrap_or("not_said") {
        "guided" => Ok(Autonomy::Guided),
        "with_help" => Ok(Autonomy::WithHelp),
        "autonomous" => Ok(Autonomy::Autonomous),
        "not_said" => Ok(Autonomy::NotSaid),
        other => Err(AppointmentError::invalid(
            "requests.autonomy",
            messages::say!(
                crate::MESSAGES,
                "use-guided-with-help-or",
                other = format!("{other:?}")
            ),
        )),
    }
}

/// The visit of the address, checked to be at a site where the caller works.
async fn visit_for(
    s: &HttpState,
    principal: &api::Principal,
    raw: &str,
) -> Result<uuid::Uuid, ApiError> {
    let visit: uuid::Uuid = path_id("visit", raw)?;
    let site = s.appointments.visit_site(visit).await?;
    principal.require(FRONT_DESK, Some(site))?;
    Ok(visit)
}

async fn requests_get(
    State(s): State<HttpState>,
    principal: api::Principal,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let visit = visit_for(&s, &principal, &raw).await?;
    Ok(axum::Json(requests_shown(&s.appointments.requests_of(visit).await?)).into_response())
}

async fn requests_put(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    principal: api::Principal,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    use contracts::proto::appointments::v1::{Accompaniment, Outcome, VisitRequest};
    let visit = visit_for(&s, &principal, &raw).await?;
    let body: RequestsBody = api::json_body(&body)?;
    let mut requests = Vec::new();
    for r in &body.requests {
        let outcome = match r.outcome.as_deref().unwrap_or("not_said") {
            "done" => Outcome::Done,
            "follow_up" => Outcome::FollowUp,
            "redirected" => Outcome::Redirected,
            "not_said" => Outcome::NotSaid,
            other => {
                return Err(AppointmentError::invalid(
                    "requests.outcome",
                    messages::say!(
                        crate::MESSAGES,
                        "use-done-follow-up-or",
                        other = format!("{:?}", other)
                    ),
                )
                .into());
            }
        };
        let how = match r.accompanied {
            Some(true) => Accompaniment::Accompanied,
            Some(false) => Accompaniment::Autonomous,
            None => Accompaniment::NotSaid,
        };
        requests.push(
            VisitRequest::recorded(reason(&r.reason, "requests.reason")?, how, outcome)
                .with_autonomy(autonomy_of(r.autonomy.as_deref())?),
        );
    }
    let recorded = s
        .appointments
        .record_requests(&principal.acting(correlation, now), visit, requests)
        .await?;
    Ok(axum::Json(requests_shown(&recorded)).into_response())
}

/// One orientation, as the API reads and writes it.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OrientationBody {
    /// `helper` (then `to` is `it_helper` or `mediator`), `partner`
    /// (then `to` is a partner the site lists) or `workshop` (then `to` is
    /// the workshop's rule id).
    to_kind: String,
    to: String,
    /// With `workshop`: a session of it (its permanence id) to enrol the
    /// resident in at once (the visit must be an appointment: a drop-in
    /// visitor is not known by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    /// With `session`: hold a place in it and offer it by SMS (two hours
    /// of the day to take it) rather than enrol at once.
    #[serde(default, skip_serializing)]
    by_sms: bool,
}

/// An orientation recorded, with the place it gave when it gave one.
#[derive(Serialize, JsonSchema)]
struct OrientedShown {
    #[serde(flatten)]
    orientation: OrientationBody,
    /// The workshop place booked (with `session`).
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment_id: Option<AppointmentId>,
    /// The place held and offered by SMS (with `session` and `by_sms`).
    #[serde(skip_serializing_if = "Option::is_none")]
    offer_id: Option<AppointmentId>,
}

fn orientation_shown(o: &contracts::proto::appointments::v1::VisitOriented) -> OrientationBody {
    use contracts::proto::appointments::v1::OrientationKind;
    OrientationBody {
        to_kind: match o.to_kind() {
            OrientationKind::Partner => "partner",
            OrientationKind::Workshop => "workshop",
            _ => "helper",
        }
        .to_owned(),
        to: o.to.clone(),
        session: None,
        by_sms: false,
    }
}

/// An orientation kind as the API reads it.
pub fn orientation_kind(
    code: &str,
) -> Result<contracts::proto::appointments::v1::OrientationKind, AppointmentError> {
    use contracts::proto::appointments::v1::OrientationKind;
    match code {
        "helper" => Ok(OrientationKind::Helper),
        "partner" => Ok(OrientationKind::Partner),
        "workshop" => Ok(OrientationKind::Workshop),
        other => Err(AppointmentError::invalid(
            "to_kind",
            messages::say!(crate::MESSAGES, "orient-to-a-helper-or-partner", to = other),
        )),
    }
}

async fn orientations_get(
    State(s): State<HttpState>,
    principal: api::Principal,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let visit = visit_for(&s, &principal, &raw).await?;
    let list = s.appointments.orientations_of(visit).await?;
    Ok(axum::Json(list.iter().map(orientation_shown).collect::<Vec<_>>()).into_response())
}

async fn orientations_post(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    principal: api::Principal,
    Path(raw): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let visit = visit_for(&s, &principal, &raw).await?;
    let body: OrientationBody = api::json_body(&body)?;
    let acting = principal.acting(correlation, now);
    let (oriented, enrolled) = s
        .appointments
        .orient_and_enrol(
            &acting,
            visit,
            orientation_kind(&body.to_kind)?,
            &body.to,
            body.session.as_deref(),
            body.by_sms,
        )
        .await?;
    let mut shown = OrientedShown {
        orientation: orientation_shown(&oriented),
        appointment_id: None,
        offer_id: None,
    };
    match enrolled {
        Some(crate::Placed::Enrolled(b)) => {
            shown.appointment_id = Some(b.booking.id);
            shown.orientation.session = Some(b.booking.permanence_id.clone());
        }
        Some(crate::Placed::Offered(offer)) => {
            shown.offer_id = Some(offer);
            shown.orientation.session = body.session;
        }
        None => {}
    }
    Ok((StatusCode::CREATED, axum::Json(shown)).into_response())
}

/// Who books or joins: front-desk staff of `site` (with their reason to
/// book past the one-per-reason rule), or the resident from their address.
fn booker_of(
    staff: Option<&api::Principal>,
    site: SiteId,
    client: api::ClientIp,
    correlation: CorrelationId,
    now: Now,
    override_reason: Option<String>,
) -> Result<Booker, ApiError> {
    Ok(match staff {
        Some(p) => {
            p.require(FRONT_DESK, Some(site))?;
            Booker::Staff {
                acting: p.acting(correlation, now),
                override_reason,
            }
        }
        None => Booker::Resident { client: client.0 },
    })
}

/// A resident's language as the API writes it: `fr` (the default), `en`,
/// `ar`.
fn language_of(code: Option<&str>) -> Result<Language, ApiError> {
    match code.map(str::trim) {
        None | Some("fr" | "") => Ok(Language::Fr),
        Some("en") => Ok(Language::En),
        Some("ar") => Ok(Language::Ar),
        Some(other) => Err(AppointmentError::invalid(
            "resident.language",
            messages::say!(
                crate::MESSAGES,
                "is-not-offered-fr-en",
                other = format!("{:?}", other)
            ),
        )
        .into()),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    #[schemars(with = "contracts::SiteId")]
    site: String,
    /// Appointments of this reason; or `workshop` with a workshop's rule id.
    #[serde(default)]
    #[schemars(with = "Option<contracts::schema::ReasonCode>")]
    reason: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<contracts::RuleId>")]
    workshop: Option<String>,
    resident: ResidentBody,
    /// The place freed is offered by SMS: required.
    #[serde(default)]
    sms_consent: bool,
}

/// An entry as the API shows it.
#[derive(Serialize, JsonSchema)]
struct EntryShown {
    entry_id: uuid::Uuid,
    site: SiteId,
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    workshop: Option<contracts::RuleId>,
    resident_id: contracts::ResidentId,
    /// 1 is next; none once it no longer waits.
    position: Option<usize>,
    /// Why it no longer waits.
    ended: Option<crate::waitlist::Ended>,
    /// The place held for it now.
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<OfferShown>,
    /// Once, after joining: the link to see the position and leave.
    #[serde(skip_serializing_if = "Option::is_none")]
    manage_url: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct OfferShown {
    offer_id: AppointmentId,
    permanence: String,
    start: DateTime<chrono::FixedOffset>,
    end: DateTime<chrono::FixedOffset>,
    expires_at: DateTime<chrono::FixedOffset>,
    state: crate::waitlist::HoldState,
}

fn offer_shown(h: &crate::waitlist::Hold) -> OfferShown {
    OfferShown {
        offer_id: h.offer,
        permanence: h.permanence_id.clone(),
        start: crate::decide::local(h.starts_at),
        end: crate::decide::local(h.ends_at),
        expires_at: crate::decide::local(h.expires_at),
        state: h.state,
    }
}

fn entry_shown(
    e: &crate::waitlist::Entry,
    position: Option<usize>,
    hold: Option<&crate::waitlist::Hold>,
    manage_url: Option<String>,
) -> EntryShown {
    EntryShown {
        entry_id: e.id,
        site: e.site,
        reason: e.reason.code(),
        workshop: e.workshop,
        resident_id: e.resident,
        position,
        ended: e.ended,
        offer: hold.map(offer_shown),
        manage_url,
    }
}

/// Joins a waiting list: the resident online, or reception for them.
async fn waitlists_join(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    client: api::ClientIp,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<Response, ApiError> {
    let site = site(&body.site, "site")?;
    let workshop = match body.workshop.as_deref() {
        Some(raw) => Some(raw.parse::<contracts::RuleId>().map_err(|_| {
            ApiError::from(AppointmentError::invalid(
                "workshop",
                messages::say!(crate::MESSAGES, "session-is-not-of-this-workshop"),
            ))
        })?),
        None => None,
    };
    let reason = match (&workshop, body.reason.as_deref()) {
        (Some(_), _) => Reason::Workshop,
        (None, Some(code)) => reason(code, "reason")?,
        (None, None) => {
            return Err(AppointmentError::invalid(
                "reason",
                messages::say!(crate::MESSAGES, "say-why-resident-comes"),
            )
            .into());
        }
    };
    let booker = booker_of(staff.as_ref(), site, client, correlation, now, None)?;
    let request = crate::JoinRequest {
        site,
        reason,
        workshop,
        name: body.resident.name,
        phone: body.resident.phone,
        language: language_of(body.resident.language.as_deref())?,
        sms_consent: body.sms_consent,
    };
    let joined = s.appointments.join_waitlist(request, booker, now.0).await?;
    let url = manage_url(&s.public_url, &joined.token);
    Ok((
        StatusCode::CREATED,
        axum::Json(entry_shown(
            &joined.entry,
            Some(joined.position),
            None,
            Some(url),
        )),
    )
        .into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WaitlistsQuery {
    #[schemars(with = "contracts::SiteId")]
    site: String,
}

/// The entries waiting at a site, list by list, in order.
async fn waitlists_get(
    State(s): State<HttpState>,
    principal: api::Principal,
    api::ApiQuery(q): api::ApiQuery<WaitlistsQuery>,
) -> Result<Response, ApiError> {
    let site = site(&q.site, "site")?;
    principal.require(FRONT_DESK, Some(site))?;
    let list = s.appointments.waiting_at(site).await?;
    let mut shown = Vec::new();
    for (e, position) in &list {
        let hold = match e.hold {
            Some(o) => Some(s.appointments.offer(o).await?),
            None => None,
        };
        shown.push(entry_shown(e, Some(*position), hold.as_ref(), None));
    }
    Ok(axum::Json(shown).into_response())
}

fn entry_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(messages::say!(crate::MESSAGES, "there-is-no-such-entry")))
}

async fn waitlist_entry_get(
    State(s): State<HttpState>,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = entry_id(&raw)?;
    let (e, position, hold) = s.appointments.entry(id).await?;
    check_link_or_desk(&s, staff.as_ref(), &link, AppointmentId(id), Some(e.site)).await?;
    Ok(axum::Json(entry_shown(&e, position, hold.as_ref(), None)).into_response())
}

async fn waitlist_entry_leave(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = entry_id(&raw)?;
    let (e, _, _) = s.appointments.entry(id).await?;
    let acting =
        match check_link_or_desk(&s, staff.as_ref(), &link, AppointmentId(id), Some(e.site)).await?
        {
            Party::Staff => staff
                .as_ref()
                .map(|p| p.acting(correlation, now))
                .ok_or_else(|| ApiError::Internal("staff without a principal".into()))?,
            _ => api::Acting::new(
                eventlog::Actor::Resident(e.resident.0),
                correlation.0,
                now.0,
            ),
        };
    s.appointments.leave_waitlist(&acting, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The holder of the offer's link (the SMS), or front-desk staff.
async fn offer_acting(
    s: &HttpState,
    staff: Option<&api::Principal>,
    link: &LinkCredentials,
    raw: &str,
    correlation: CorrelationId,
    now: Now,
) -> Result<(AppointmentId, api::Acting), ApiError> {
    let id: AppointmentId = path_id("offer", raw)?;
    let hold = s.appointments.offer(id).await?;
    let acting = match check_link_or_desk(s, staff, link, id, Some(hold.site)).await? {
        Party::Staff => staff
            .map(|p| p.acting(correlation, now))
            .ok_or_else(|| ApiError::Internal("staff without a principal".into()))?,
        _ => api::Acting::new(
            eventlog::Actor::Resident(hold.resident.0),
            correlation.0,
            now.0,
        ),
    };
    Ok((id, acting))
}

async fn offer_take(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let (id, acting) = offer_acting(&s, staff.as_ref(), &link, &raw, correlation, now).await?;
    let booked = s.appointments.take_offer(&acting, id).await?;
    Ok((StatusCode::CREATED, axum::Json(shown(&booked, None))).into_response())
}

async fn offer_decline(
    State(s): State<HttpState>,
    correlation: CorrelationId,
    now: Now,
    MaybeStaff(staff): MaybeStaff,
    link: LinkCredentials,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (id, acting) = offer_acting(&s, staff.as_ref(), &link, &raw, correlation, now).await?;
    s.appointments.decline_offer(&acting, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
