//! The reminders HTTP API: delivery reports posted by SMS providers, and
//! what reception sees (the messages of an appointment, the messages that
//! could not be sent, to phone the resident instead).

use api::{ApiError, Doc, FRONT_DESK, Need, Routes, Verb, path_id};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use contracts::{AppointmentId, SiteId};
use serde::Deserialize;

use crate::service::Reminders;

/// Every route of the reminders service.
pub fn routes(reminders: Reminders) -> Routes {
    use Need::{Public, Staff};
    use Verb::{Get, Post};
    Routes::new()
        // Providers authenticate with a signature or a shared secret, which
        // the handler checks.
        .route(
            Post,
            "/api/v1/reminders/reports/{provider}",
            Public,
            report_post,
        )
        .doc(
            Doc::new("A provider's delivery report (its own format)")
                .query::<ReportQuery>()
                .empty(204)
                .or_empty(202),
        )
        // OVHcloud reports by GET, its fields in the query.
        .route(
            Get,
            "/api/v1/reminders/reports/{provider}",
            Public,
            report_get,
        )
        .doc(
            Doc::new("A provider's delivery report, in the query (OVHcloud)")
                .query::<ReportQuery>()
                .empty(204)
                .or_empty(202),
        )
        .route(Post, "/api/v1/booking-codes", Public, booking_code_post)
        .doc(
            Doc::new("Send a booking code by SMS, where the site asks for one")
                .body::<CodeBody>()
                .created::<CodeSent>(),
        )
        .route(
            Get,
            "/api/v1/appointments/{appointment_id}/reminders",
            Staff(FRONT_DESK),
            of_appointment_get,
        )
        .doc(Doc::new("An appointment's messages").ok::<Vec<crate::ReminderView>>())
        .route(
            Post,
            "/api/v1/appointments/{appointment_id}/reminders/resend",
            Staff(FRONT_DESK),
            resend_post,
        )
        .doc(Doc::new("Send an appointment's last SMS again").created::<Resent>())
        .route(
            Get,
            "/api/v1/sites/{site_id}/reminders/failed",
            Staff(FRONT_DESK),
            failed_get,
        )
        .doc(Doc::new("Messages that could not be delivered").ok::<Vec<crate::ReminderView>>())
        .with_state(reminders)
}

/// The message sent again.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct Resent {
    reminder: contracts::ReminderId,
}

/// What the booking sends back with the code.
#[derive(serde::Serialize, schemars::JsonSchema)]
struct CodeSent {
    challenge: contracts::ports::CodeChallenge,
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct ReportQuery {
    /// The shared secret of providers that report with one.
    secret: Option<String>,
}

async fn report_post(
    State(r): State<Reminders>,
    Path(provider): Path<String>,
    Query(q): Query<ReportQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let signature = headers.get("x-signature").and_then(|v| v.to_str().ok());
    let recorded = r
        .report(&provider, &body, q.secret.as_deref(), signature)
        .await?;
    // A report for a message we do not know is taken (202) and logged:
    // the provider must not retry it for ever.
    let status = if recorded > 0 {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    };
    Ok(status.into_response())
}

async fn report_get(
    State(r): State<Reminders>,
    Path(provider): Path<String>,
    Query(q): Query<ReportQuery>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let fields = uri.query().unwrap_or_default().to_owned();
    let recorded = r
        .report(&provider, fields.as_bytes(), q.secret.as_deref(), None)
        .await?;
    let status = if recorded > 0 {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    };
    Ok(status.into_response())
}

/// The appointment of the address, at a site where `principal` works at
/// the desk.
async fn appointment_at_desk(
    r: &Reminders,
    principal: &api::Principal,
    raw: &str,
) -> Result<AppointmentId, ApiError> {
    let id: AppointmentId = path_id("appointment", raw)?;
    let Some(site) = r.site_of(id).await? else {
        return Err(ApiError::NotFound(messages::say!(
            crate::ERRORS,
            "there-is-no-appointment",
            id = id
        )));
    };
    principal.require(FRONT_DESK, Some(site))?;
    Ok(id)
}

async fn of_appointment_get(
    State(r): State<Reminders>,
    principal: api::Principal,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = appointment_at_desk(&r, &principal, &raw).await?;
    Ok(axum::Json(r.of_appointment(id).await?).into_response())
}

/// Sends the appointment's last SMS again (reception, for a resident who
/// lost it): 201 with the message's id, the same id when asked again before
/// it went.
async fn resend_post(
    State(r): State<Reminders>,
    principal: api::Principal,
    correlation: api::CorrelationId,
    now: api::Now,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = appointment_at_desk(&r, &principal, &raw).await?;
    let acting = principal.acting(correlation, now);
    let reminder = r.resend_last_sms(&acting, id).await?;
    Ok((StatusCode::CREATED, axum::Json(Resent { reminder })).into_response())
}

async fn failed_get(
    State(r): State<Reminders>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let site: SiteId = path_id("site", &raw)?;
    Ok(axum::Json(r.failed_at(site).await?).into_response())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    #[schemars(with = "contracts::SiteId")]
    site: String,
    phone: String,
    /// fr (default), en or ar: the SMS's language.
    #[schemars(with = "Option<contracts::schema::LanguageCode>")]
    language: Option<String>,
}

/// Sends a 6-digit code to the resident's phone, where the site confirms
/// online bookings that way; answers the challenge the booking sends back
/// with the code.
async fn booking_code_post(
    State(r): State<Reminders>,
    api::ClientIp(client): api::ClientIp,
    api::ApiJson(body): api::ApiJson<CodeBody>,
) -> Result<Response, ApiError> {
    let site: SiteId = body.site.parse().map_err(|_| {
        ApiError::NotFound(messages::say!(
            crate::ERRORS,
            "there-is-no-site",
            site = body.site
        ))
    })?;
    let language = match body.language.as_deref() {
        None | Some("fr") => contracts::Language::Fr,
        Some("en") => contracts::Language::En,
        Some("ar") => contracts::Language::Ar,
        Some(other) => {
            return Err(ApiError::Invalid {
                field: "language".into(),
                message: messages::say!(
                    crate::ERRORS,
                    "is-not-offered-fr-en",
                    other = format!("{:?}", other)
                ),
            });
        }
    };
    let challenge = send_booking_code(&r, site, &body.phone, language, &client).await?;
    Ok((StatusCode::CREATED, axum::Json(CodeSent { challenge })).into_response())
}

/// Sends a booking code to `phone` for a booking at `site`, where the site
/// asks for one: the challenge the booking must carry back with the code.
/// Shared by the JSON API and the booking page.
pub async fn send_booking_code(
    r: &Reminders,
    site: SiteId,
    phone: &str,
    language: contracts::Language,
    client: &str,
) -> Result<contracts::ports::CodeChallenge, ApiError> {
    match r.site_asks_code(site).await? {
        None => {
            return Err(ApiError::NotFound(messages::say!(
                crate::ERRORS,
                "there-is-no-site",
                site = site
            )));
        }
        Some(false) => {
            return Err(ApiError::Invalid {
                field: "site".into(),
                message: messages::say!(crate::ERRORS, "this-site-does-not-ask"),
            });
        }
        Some(true) => {}
    }
    let phone = contracts::PhoneNumber::parse(phone).map_err(|e| ApiError::Invalid {
        field: "phone".into(),
        message: e.to_string(),
    })?;
    let issued = r
        .residents()
        .issue_booking_code(&phone, client)
        .await
        .map_err(|e| ApiError::from(crate::ReminderError::from(e)))?;
    let reference = format!("code-{}", issued.challenge.challenge_id);
    if let Err(e) = r
        .send_code(site, phone.as_str(), language, &issued.code, &reference)
        .await
    {
        tracing::warn!(error = %e, "a booking code could not be sent");
        return Err(ApiError::Unavailable(messages::say!(
            crate::ERRORS,
            "code-could-not-be-sent"
        )));
    }
    Ok(issued.challenge)
}
