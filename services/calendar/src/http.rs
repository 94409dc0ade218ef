//! The calendar's HTTP API, every route declared with its need: reading is
//! open to all (residents find sites and times), writing needs a
//! coordinator (or administrator) of the site.

use api::{ApiError, ApiJson, CorrelationId, Doc, Need, Now, Principal, Routes, Verb, parse_role};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};
use contracts::proto::calendar::v1 as ev;
use contracts::{Reason, Role, RuleId, SiteId, StaffId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CalendarError;
use crate::ics::{feed_token, ics};
use crate::service::Calendar;
use timetable::Invalid;
use timetable::parse_day;
use timetable::parse_permanence_id;

const COORDINATOR: &[Role] = &[Role::Coordinator];

/// Every route of the calendar.
pub fn routes(calendar: Calendar) -> Routes {
    use Need::{Everywhere, Public, Staff};
    use Verb::{Delete, Get, Post, Put};
    Routes::new()
        .route(Get, "/api/v1/sites", Public, sites_list)
        .doc(Doc::new("Every site").ok::<Vec<SiteShown>>())
        // A new site belongs to no one yet: coordinators of every site open
        // them.
        .route(Post, "/api/v1/sites", Everywhere(COORDINATOR), sites_create)
        .doc(
            Doc::new("Open a site")
                .body::<SiteRequest>()
                .created::<SiteCreated>(),
        )
        .route(Get, "/api/v1/sites/{site_id}", Public, sites_get)
        .doc(Doc::new("One site").ok::<SiteShown>())
        .route(
            Put,
            "/api/v1/sites/{site_id}",
            Staff(COORDINATOR),
            sites_update,
        )
        .doc(
            Doc::new("Change a site's details")
                .body::<SiteRequest>()
                .empty(204),
        )
        .route(
            Post,
            "/api/v1/sites/{site_id}/closures",
            Staff(COORDINATOR),
            closures_create,
        )
        .doc(
            Doc::new("Close a site for some days")
                .body::<ClosureRequest>()
                .created::<ClosureCreated>(),
        )
        .route(
            Delete,
            "/api/v1/sites/{site_id}/closures/{closure_id}",
            Staff(COORDINATOR),
            closures_delete,
        )
        .doc(Doc::new("Take a closure back").empty(204))
        .route(Get, "/api/v1/sites/{site_id}/rules", Staff(&[]), rules_list)
        .doc(Doc::new("A site's permanence rules").ok::<Vec<RuleShown>>())
        .route(
            Post,
            "/api/v1/sites/{site_id}/rules",
            Staff(COORDINATOR),
            rules_create,
        )
        .doc(
            Doc::new("A new permanence rule (or workshop)")
                .body::<RuleRequest>()
                .created::<RuleCreated>(),
        )
        .route(
            Put,
            "/api/v1/sites/{site_id}/rules/{rule_id}",
            Staff(COORDINATOR),
            rules_update,
        )
        .doc(
            Doc::new("Change a permanence rule")
                .body::<RuleRequest>()
                .empty(204),
        )
        .route(
            Delete,
            "/api/v1/sites/{site_id}/rules/{rule_id}",
            Staff(COORDINATOR),
            rules_delete,
        )
        .doc(
            Doc::new("Retire a permanence rule from a day on")
                .query::<FromQuery>()
                .empty(204),
        )
        .route(
            Post,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/cancel",
            Staff(COORDINATOR),
            permanences_cancel,
        )
        .doc(
            Doc::new("Cancel one permanence")
                .body::<CancelRequest>()
                .empty(204),
        )
        .route(
            Post,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/reinstate",
            Staff(COORDINATOR),
            permanences_reinstate,
        )
        .doc(Doc::new("Hold a cancelled permanence again").empty(204))
        .route(
            Put,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/staff/{staff_id}",
            Staff(COORDINATOR),
            duty_assign,
        )
        .doc(Doc::new("Put a staff member on duty").empty(204))
        .route(
            Delete,
            "/api/v1/sites/{site_id}/permanences/{permanence_id}/staff/{staff_id}",
            Staff(COORDINATOR),
            duty_unassign,
        )
        .doc(Doc::new("Take a staff member off duty").empty(204))
        .route(Get, "/api/v1/permanences", Public, permanences_list)
        .doc(
            Doc::new("Permanences on a range of days")
                .query::<RangeQuery>()
                .ok::<Vec<timetable::Permanence>>(),
        )
        .route(
            Get,
            "/api/v1/permanences/{permanence_id}",
            Public,
            permanences_get,
        )
        .doc(Doc::new("One permanence").ok::<timetable::Permanence>())
        .route(
            Get,
            "/api/v1/permanences/{permanence_id}/slots",
            Public,
            slots_list,
        )
        .doc(
            Doc::new("A permanence's appointment times")
                .query::<ReasonQuery>()
                .ok::<Vec<timetable::Slot>>(),
        )
        .route(Get, "/api/v1/me/permanences", Staff(&[]), me_permanences)
        .doc(
            Doc::new("The permanences one is on duty at")
                .query::<RangeQuery>()
                .ok::<Vec<timetable::Permanence>>(),
        )
        .route(Get, "/api/v1/calendar/feeds", Staff(&[]), feeds_list)
        .doc(Doc::new("One's calendar feed addresses").ok::<Feeds>())
        .route(Get, "/ics/sites/{site_id}", Public, ics_site)
        .doc(
            Doc::new("A site's permanences as a calendar feed")
                .query::<TokenQuery>()
                .content("text/calendar", "An iCalendar feed (RFC 5545)."),
        )
        .route(Get, "/ics/staff/{staff_id}", Public, ics_staff)
        .doc(
            Doc::new("One's duties as a calendar feed")
                .query::<TokenQuery>()
                .content("text/calendar", "An iCalendar feed (RFC 5545)."),
        )
        .with_state(calendar)
}

fn site_id(raw: &str) -> Result<SiteId, ApiError> {
    api::path_id("site", raw)
}

fn json<T: Serialize>(value: T) -> Response {
    axum::Json(value).into_response()
}

#[derive(Serialize, JsonSchema)]
struct SiteShown {
    site_id: SiteId,
    name: String,
    address: String,
    phone: String,
    accessibility: String,
    open: bool,
    opens_on_public_holidays: bool,
    confirms_online_bookings_by_sms: bool,
    appointments_per_reason: u32,
    /// The partner organisations mediators orient residents to.
    partners: Vec<String>,
    /// Send it back with a change, so that a concurrent change is detected.
    version: u64,
    closures: Vec<ClosureShown>,
}

#[derive(Serialize, JsonSchema)]
struct ClosureShown {
    closure_id: Uuid,
    first_day: NaiveDate,
    last_day: NaiveDate,
    reason: String,
}

#[derive(Serialize, JsonSchema)]
struct SiteCreated {
    site_id: SiteId,
}

#[derive(Serialize, JsonSchema)]
struct ClosureCreated {
    closure_id: Uuid,
}

#[derive(Serialize, JsonSchema)]
struct RuleCreated {
    rule_id: RuleId,
}

/// Calendar feeds to subscribe to (paths on this server).
#[derive(Serialize, JsonSchema)]
struct Feeds {
    /// One's own duties.
    mine: String,
    sites: Vec<SiteFeed>,
}

#[derive(Serialize, JsonSchema)]
struct SiteFeed {
    site_id: SiteId,
    name: String,
    path: String,
}

fn site_shown(s: &timetable::SiteView) -> SiteShown {
    let d = &s.details;
    SiteShown {
        site_id: s.id,
        name: d.name.clone(),
        address: d.address.clone(),
        phone: d.phone.clone(),
        accessibility: d.accessibility.clone(),
        open: d.open,
        opens_on_public_holidays: d.opens_on_public_holidays,
        confirms_online_bookings_by_sms: d.confirms_online_bookings_by_sms,
        appointments_per_reason: d.appointments_per_reason.max(1),
        partners: d.partners.clone(),
        version: s.version,
        closures: s
            .closures
            .iter()
            .map(|(id, c)| ClosureShown {
                closure_id: *id,
                first_day: c.first_day,
                last_day: c.last_day,
                reason: c.reason.clone(),
            })
            .collect(),
    }
}

async fn sites_list(State(calendar): State<Calendar>) -> Result<Response, ApiError> {
    let m = calendar.model().await?;
    Ok(json(m.sites.values().map(site_shown).collect::<Vec<_>>()))
}

async fn sites_get(
    State(calendar): State<Calendar>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let id = site_id(&raw)?;
    let m = calendar.model().await?;
    let site = m.sites.get(&id).ok_or_else(|| {
        ApiError::NotFound(messages::say!(crate::MESSAGES, "there-is-no-site", id = id))
    })?;
    Ok(json(site_shown(site)))
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SiteRequest {
    name: String,
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    accessibility: String,
    #[serde(default = "yes")]
    open: bool,
    #[serde(default)]
    opens_on_public_holidays: bool,
    /// Online bookings confirmed by a 6-digit SMS code.
    #[serde(default)]
    confirms_online_bookings_by_sms: bool,
    /// Future appointments a phone may hold per reason (default 1).
    #[serde(default)]
    appointments_per_reason: u32,
    /// Partner organisations residents may be oriented to (CAF, France
    /// Travail, an association…).
    #[serde(default)]
    partners: Vec<String>,
    /// The version the editor saw (changes only).
    version: Option<u64>,
}

impl SiteRequest {
    fn details(&self) -> ev::SiteDetails {
        ev::SiteDetails {
            name: self.name.clone(),
            address: self.address.clone(),
            phone: self.phone.clone(),
            accessibility: self.accessibility.clone(),
            open: self.open,
            opens_on_public_holidays: self.opens_on_public_holidays,
            confirms_online_bookings_by_sms: self.confirms_online_bookings_by_sms,
            appointments_per_reason: self.appointments_per_reason,
            partners: self.partners.clone(),
        }
    }
}

async fn sites_create(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    ApiJson(body): ApiJson<SiteRequest>,
) -> Result<Response, ApiError> {
    let id = calendar
        .open_site(&principal.acting(correlation, now), &body.details())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(SiteCreated { site_id: id })).into_response())
}

async fn sites_update(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<SiteRequest>,
) -> Result<StatusCode, ApiError> {
    let id = site_id(&raw)?;
    calendar
        .change_site(
            &principal.acting(correlation, now),
            id,
            &body.details(),
            body.version,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ClosureRequest {
    #[schemars(with = "chrono::NaiveDate")]
    first_day: String,
    #[schemars(with = "chrono::NaiveDate")]
    last_day: String,
    reason: String,
}

async fn closures_create(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ClosureRequest>,
) -> Result<Response, ApiError> {
    let id = site_id(&raw)?;
    let first = parse_day("first_day", &body.first_day).map_err(CalendarError::from)?;
    let last = parse_day("last_day", &body.last_day).map_err(CalendarError::from)?;
    let closure = calendar
        .schedule_closure(
            &principal.acting(correlation, now),
            id,
            first,
            last,
            &body.reason,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ClosureCreated {
            closure_id: closure,
        }),
    )
        .into_response())
}

async fn closures_delete(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, closure)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = site_id(&raw)?;
    let closure: Uuid = closure.parse().map_err(|_| {
        ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "is-not-closure-id",
            closure = format!("{:?}", closure)
        ))
    })?;
    calendar
        .lift_closure(&principal.acting(correlation, now), id, closure)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, JsonSchema)]
struct RuleShown {
    rule_id: RuleId,
    site_id: SiteId,
    label: String,
    cron: Option<String>,
    once_at: Option<String>,
    duration_minutes: u32,
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    retired_from: Option<NaiveDate>,
    drop_in: bool,
    drop_in_capacity: Option<u32>,
    appointments: bool,
    appointment_minutes: u32,
    desks: u32,
    roles_on_duty: Vec<&'static str>,
    workshop: Option<timetable::Workshop>,
    version: u64,
}

async fn rules_list(
    State(calendar): State<Calendar>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    use crate::schedule::When;
    let id = site_id(&raw)?;
    let m = calendar.model().await?;
    if !m.sites.contains_key(&id) {
        return Err(ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "there-is-no-site",
            id = id
        )));
    }
    let rules: Vec<RuleShown> = m
        .rules
        .values()
        .filter(|r| r.spec.site == id)
        .map(|r| RuleShown {
            rule_id: r.id,
            site_id: id,
            label: r.spec.label.clone(),
            cron: match &r.spec.when {
                When::Recurring(c) => Some(c.as_str().to_owned()),
                When::Once(_) => None,
            },
            once_at: match &r.spec.when {
                When::Once(t) => Some(t.format("%Y-%m-%dT%H:%M").to_string()),
                When::Recurring(_) => None,
            },
            duration_minutes: r.spec.duration_minutes,
            valid_from: r.spec.valid_from,
            valid_until: r.spec.valid_until,
            retired_from: r.retired_from,
            drop_in: r.spec.offer.drop_in,
            drop_in_capacity: r.spec.offer.drop_in_capacity,
            appointments: r.spec.offer.appointments,
            appointment_minutes: r.spec.offer.appointment_minutes,
            desks: r.spec.offer.desks,
            roles_on_duty: r
                .spec
                .offer
                .roles_on_duty
                .iter()
                .map(|r| api::role_name(*r))
                .collect(),
            workshop: r.spec.offer.workshop,
            version: r.version,
        })
        .collect();
    Ok(json(rules))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReasonLengthRequest {
    #[schemars(with = "contracts::schema::ReasonCode")]
    reason: String,
    length_minutes: u32,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OfferRequest {
    #[serde(default)]
    drop_in: bool,
    /// Left out: no limit.
    drop_in_capacity: Option<u32>,
    #[serde(default)]
    appointments: bool,
    #[serde(default)]
    appointment_minutes: u32,
    #[serde(default)]
    desks: u32,
    #[serde(default)]
    by_reason: Vec<ReasonLengthRequest>,
    #[serde(default)]
    #[schemars(with = "Vec<contracts::schema::RoleName>")]
    roles_on_duty: Vec<String>,
    /// Set: every permanence is a workshop session of `desks` places.
    workshop: Option<WorkshopRequest>,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct WorkshopRequest {
    /// A reason's code: `smartphone`, `email`, `introduction`…
    theme: String,
    /// `beginner`, `intermediate` or `all` (the default).
    #[serde(default)]
    level: String,
    /// `fr` (the default), `en` or `ar`.
    #[serde(default)]
    language: String,
    /// One enrolment for every session to the rule's last day.
    #[serde(default)]
    series: bool,
    /// Sessions attended for a series to count as completed; 0: all.
    #[serde(default)]
    completion_sessions: u32,
}

fn workshop_of(w: &WorkshopRequest) -> Result<ev::Workshop, Invalid> {
    let theme = Reason::from_code(&w.theme).ok_or_else(|| {
        Invalid::new(
            "offer.workshop.theme",
            messages::say!(crate::MESSAGES, "workshop-theme-unknown"),
        )
    })?;
    let level = match w.level.trim() {
        "" => ev::WorkshopLevel::All,
        code => timetable::level_of(code).ok_or_else(|| {
            Invalid::new(
                "offer.workshop.level",
                messages::say!(crate::MESSAGES, "workshop-level-unknown"),
            )
        })?,
    };
    let language = match w.language.trim() {
        "" | "fr" => contracts::Language::Fr,
        "en" => contracts::Language::En,
        "ar" => contracts::Language::Ar,
        _ => {
            return Err(Invalid::new(
                "offer.workshop.language",
                messages::say!(crate::MESSAGES, "workshop-language-unknown"),
            ));
        }
    };
    Ok(ev::Workshop {
        theme: theme.into(),
        level: level.into(),
        language: language.into(),
        series: w.series,
        completion_sessions: w.completion_sessions,
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RuleRequest {
    #[serde(default)]
    label: String,
    #[serde(default)]
    cron: String,
    #[serde(default)]
    once_at: String,
    duration_minutes: u32,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
    offer: OfferRequest,
    /// The version the editor saw (changes only).
    version: Option<u64>,
}

/// `procedure_caf`, `smartphone`… (see [`Reason::code`]).
fn parse_reason(name: &str) -> Result<Reason, Invalid> {
    Reason::from_code(name).ok_or_else(|| {
        Invalid::new(
            "offer.by_reason",
            messages::say!(
                crate::MESSAGES,
                "is-not-reason-use-procedure",
                name = format!("{:?}", name)
            ),
        )
    })
}

fn rule_of(site: SiteId, r: &RuleRequest) -> Result<ev::PermanenceRule, ApiError> {
    let by_reason = r
        .offer
        .by_reason
        .iter()
        .map(|b| {
            Ok(ev::ReasonLength {
                reason: parse_reason(&b.reason)?.into(),
                length_minutes: b.length_minutes,
            })
        })
        .collect::<Result<Vec<_>, Invalid>>()
        .map_err(CalendarError::from)?;
    let roles = r
        .offer
        .roles_on_duty
        .iter()
        .map(|name| {
            parse_role(name)
                .map(i32::from)
                .map_err(|m| Invalid::new("offer.roles_on_duty", m))
        })
        .collect::<Result<Vec<_>, Invalid>>()
        .map_err(CalendarError::from)?;
    let workshop = r
        .offer
        .workshop
        .as_ref()
        .map(workshop_of)
        .transpose()
        .map_err(CalendarError::from)?;
    if r.offer.drop_in_capacity == Some(0) {
        return Err(CalendarError::from(Invalid::new(
            "offer.drop_in_capacity",
            messages::say!(crate::MESSAGES, "capacity-of-0-lets-nobody"),
        ))
        .into());
    }
    Ok(ev::PermanenceRule {
        site_id: site.to_string(),
        label: r.label.clone(),
        cron: r.cron.clone(),
        once_at: r.once_at.clone(),
        duration_minutes: r.duration_minutes,
        valid_from: r.valid_from.clone(),
        valid_until: r.valid_until.clone(),
        offer: Some(ev::Offer {
            drop_in: r.offer.drop_in,
            drop_in_capacity: r.offer.drop_in_capacity.unwrap_or(0),
            appointments: r.offer.appointments,
            appointment_minutes: r.offer.appointment_minutes,
            desks: r.offer.desks,
            by_reason,
            roles_on_duty: roles,
            workshop,
        }),
    })
}

async fn rules_create(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<RuleRequest>,
) -> Result<Response, ApiError> {
    let site = site_id(&raw)?;
    let rule = rule_of(site, &body)?;
    let id = calendar
        .create_rule(&principal.acting(correlation, now), &rule)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(RuleCreated { rule_id: id })).into_response())
}

/// The rule `raw`, checked to be at `site` (a grant for one site opens
/// nothing of another's through its address).
async fn rule_at(calendar: &Calendar, site: SiteId, raw: &str) -> Result<RuleId, ApiError> {
    let id: RuleId = raw.parse().map_err(|_| {
        ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "is-not-rule-id",
            raw = format!("{:?}", raw)
        ))
    })?;
    let m = calendar.model().await?;
    match m.rules.get(&id) {
        Some(r) if r.spec.site == site => Ok(id),
        _ => Err(ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "site-has-no-permanence-rule",
            site = site,
            id = id
        ))),
    }
}

async fn rules_update(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, rule)): Path<(String, String)>,
    ApiJson(body): ApiJson<RuleRequest>,
) -> Result<StatusCode, ApiError> {
    let site = site_id(&raw)?;
    let id = rule_at(&calendar, site, &rule).await?;
    let rule = rule_of(site, &body)?;
    calendar
        .change_rule(&principal.acting(correlation, now), id, &rule, body.version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FromQuery {
    /// The first day without it (`YYYY-MM-DD`); today when left out.
    #[schemars(with = "Option<chrono::NaiveDate>")]
    from: Option<String>,
}

async fn rules_delete(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, rule)): Path<(String, String)>,
    api::ApiQuery(q): api::ApiQuery<FromQuery>,
) -> Result<StatusCode, ApiError> {
    let site = site_id(&raw)?;
    let id = rule_at(&calendar, site, &rule).await?;
    let from = match q.from.as_deref() {
        Some(text) => parse_day("from", text).map_err(CalendarError::from)?,
        None => contracts::time::local_date(now.0),
    };
    calendar
        .retire_rule(&principal.acting(correlation, now), id, from)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The permanence `raw`, checked to be at `site`.
async fn permanence_at(
    calendar: &Calendar,
    site: SiteId,
    raw: &str,
) -> Result<(RuleId, NaiveDate), ApiError> {
    let (rule, day) = parse_permanence_id(raw).map_err(CalendarError::from)?;
    rule_at(calendar, site, &rule.to_string()).await?;
    Ok((rule, day))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CancelRequest {
    reason: String,
}

async fn permanences_cancel(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, permanence)): Path<(String, String)>,
    ApiJson(body): ApiJson<CancelRequest>,
) -> Result<StatusCode, ApiError> {
    let (rule, day) = permanence_at(&calendar, site_id(&raw)?, &permanence).await?;
    calendar
        .cancel_permanence(&principal.acting(correlation, now), rule, day, &body.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn permanences_reinstate(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, permanence)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (rule, day) = permanence_at(&calendar, site_id(&raw)?, &permanence).await?;
    calendar
        .reinstate_permanence(&principal.acting(correlation, now), rule, day)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn staff_id(raw: &str) -> Result<StaffId, ApiError> {
    api::path_id("staff", raw)
}

async fn duty_assign(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, permanence, staff)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (rule, day) = permanence_at(&calendar, site_id(&raw)?, &permanence).await?;
    calendar
        .assign_staff(
            &principal.acting(correlation, now),
            rule,
            day,
            staff_id(&staff)?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn duty_unassign(
    State(calendar): State<Calendar>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((raw, permanence, staff)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (rule, day) = permanence_at(&calendar, site_id(&raw)?, &permanence).await?;
    calendar
        .unassign_staff(
            &principal.acting(correlation, now),
            rule,
            day,
            staff_id(&staff)?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RangeQuery {
    #[schemars(with = "Option<contracts::SiteId>")]
    site_id: Option<String>,
    #[schemars(with = "Option<chrono::NaiveDate>")]
    from: Option<String>,
    #[schemars(with = "Option<chrono::NaiveDate>")]
    to: Option<String>,
}

/// `from` (default today) and `to` (default four weeks on).
fn range(
    from: Option<&str>,
    to: Option<&str>,
    now: Now,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let from = match from {
        Some(t) => parse_day("from", t).map_err(CalendarError::from)?,
        None => contracts::time::local_date(now.0),
    };
    let to = match to {
        Some(t) => parse_day("to", t).map_err(CalendarError::from)?,
        None => from.checked_add_days(Days::new(28)).unwrap_or(from),
    };
    Ok((from, to))
}

async fn permanences_list(
    State(calendar): State<Calendar>,
    now: Now,
    api::ApiQuery(q): api::ApiQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let site = q.site_id.as_deref().map(site_id).transpose()?;
    let (from, to) = range(q.from.as_deref(), q.to.as_deref(), now)?;
    Ok(json(calendar.permanences(site, from, to).await?))
}

async fn permanences_get(
    State(calendar): State<Calendar>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(json(calendar.permanence(&id).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReasonQuery {
    #[schemars(with = "Option<contracts::schema::ReasonCode>")]
    reason: Option<String>,
}

async fn slots_list(
    State(calendar): State<Calendar>,
    Path(id): Path<String>,
    api::ApiQuery(q): api::ApiQuery<ReasonQuery>,
) -> Result<Response, ApiError> {
    let reason = q
        .reason
        .as_deref()
        .map(parse_reason)
        .transpose()
        .map_err(CalendarError::from)?;
    Ok(json(calendar.slots(&id, reason).await?))
}

async fn me_permanences(
    State(calendar): State<Calendar>,
    now: Now,
    principal: Principal,
    api::ApiQuery(q): api::ApiQuery<RangeQuery>,
) -> Result<Response, ApiError> {
    let (from, to) = range(q.from.as_deref(), q.to.as_deref(), now)?;
    let mine: Vec<_> = calendar
        .permanences(None, from, to)
        .await?
        .into_iter()
        .filter(|p| p.staff.contains(&principal.staff_id))
        .collect();
    Ok(json(mine))
}

async fn feeds_list(
    State(calendar): State<Calendar>,
    principal: Principal,
) -> Result<Response, ApiError> {
    let key = calendar.feed_key();
    let m = calendar.model().await?;
    let sites: Vec<_> = m
        .sites
        .values()
        .filter(|s| principal.may(&[], Some(s.id)))
        .map(|s| SiteFeed {
            site_id: s.id,
            name: s.details.name.clone(),
            path: format!(
                "/ics/sites/{}?token={}",
                s.id,
                feed_token(key, "site", &s.id.to_string())
            ),
        })
        .collect();
    let me = principal.staff_id.to_string();
    Ok(json(Feeds {
        mine: format!("/ics/staff/{me}?token={}", feed_token(key, "staff", &me)),
        sites,
    }))
}

#[derive(Deserialize, JsonSchema)]
struct TokenQuery {
    /// The feed's token, from GET /api/v1/calendar/feeds.
    token: Option<String>,
}

fn check_feed(
    calendar: &Calendar,
    kind: &str,
    id: &str,
    token: Option<&str>,
) -> Result<(), ApiError> {
    let expected = feed_token(calendar.feed_key(), kind, id);
    match token {
        Some(t)
            if api::verify(calendar.feed_key(), &format!("ics|{kind}|{id}"), t)
                && t.len() == expected.len() =>
        {
            Ok(())
        }
        _ => Err(ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "this-calendar-link-is-not"
        ))),
    }
}

fn ics_response(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// Feeds cover the past two weeks and the coming year.
fn feed_range(now: Now) -> (NaiveDate, NaiveDate) {
    let today = contracts::time::local_date(now.0);
    (
        today.checked_sub_days(Days::new(14)).unwrap_or(today),
        today.checked_add_days(Days::new(365)).unwrap_or(today),
    )
}

async fn ics_site(
    State(calendar): State<Calendar>,
    now: Now,
    Path(raw): Path<String>,
    api::ApiQuery(q): api::ApiQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    let raw = raw.trim_end_matches(".ics");
    check_feed(&calendar, "site", raw, q.token.as_deref())?;
    let id = site_id(raw)?;
    let (from, to) = feed_range(now);
    let permanences = calendar.permanences(Some(id), from, to).await?;
    let m = calendar.model().await?;
    let name = m
        .sites
        .get(&id)
        .map_or_else(String::new, |s| s.details.name.clone());
    let address = |p: &timetable::Permanence| {
        m.sites
            .get(&p.site_id)
            .map_or_else(String::new, |s| s.details.address.clone())
    };
    Ok(ics_response(ics(
        &format!("Permanences — {name}"),
        &permanences,
        &address,
        now.0,
    )))
}

async fn ics_staff(
    State(calendar): State<Calendar>,
    now: Now,
    Path(raw): Path<String>,
    api::ApiQuery(q): api::ApiQuery<TokenQuery>,
) -> Result<Response, ApiError> {
    let raw = raw.trim_end_matches(".ics");
    check_feed(&calendar, "staff", raw, q.token.as_deref())?;
    let id = staff_id(raw)?;
    let (from, to) = feed_range(now);
    let mine: Vec<_> = calendar
        .permanences(None, from, to)
        .await?
        .into_iter()
        .filter(|p| p.staff.contains(&id))
        .collect();
    let m = calendar.model().await?;
    let address = |p: &timetable::Permanence| {
        m.sites
            .get(&p.site_id)
            .map_or_else(String::new, |s| s.details.address.clone())
    };
    Ok(ics_response(ics("Mes permanences", &mine, &address, now.0)))
}
