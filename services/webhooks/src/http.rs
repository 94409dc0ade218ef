//! The webhooks API: subscriptions for administrators (every site, and
//! the only ones who may ask for residents' details) and coordinators
//! (their own sites), each seeing and changing their own.

use api::{ApiError, ApiJson, CorrelationId, Doc, Need, Now, Principal, Routes, Scope, Verb};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use contracts::{Role, SiteId, StaffId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::deliver::{NewSubscription, Webhooks};
use crate::error::WebhookError;
use crate::kinds::Kind;
use crate::model::Subscription;

const COORDINATOR: &[Role] = &[Role::Coordinator];

/// Every route of the webhooks service.
pub fn routes(webhooks: Webhooks) -> Routes {
    use Need::Staff;
    use Verb::{Delete, Get, Post};
    Routes::new()
        .route(Post, "/api/v1/webhooks", Staff(COORDINATOR), create)
        .doc(
            Doc::new("Subscribe a URL to kinds of events; the secret is answered once")
                .body::<SubscribeBody>()
                .created::<Subscribed>(),
        )
        .route(Get, "/api/v1/webhooks", Staff(COORDINATOR), list)
        .doc(Doc::new("One's subscriptions (an administrator: all)").ok::<Vec<Shown>>())
        .route(
            Get,
            "/api/v1/webhooks/{webhook_id}",
            Staff(COORDINATOR),
            get,
        )
        .doc(Doc::new("One subscription").ok::<Shown>())
        .route(
            Delete,
            "/api/v1/webhooks/{webhook_id}",
            Staff(COORDINATOR),
            remove,
        )
        .doc(Doc::new("End a subscription").empty(204))
        .route(
            Post,
            "/api/v1/webhooks/{webhook_id}/rotate",
            Staff(COORDINATOR),
            rotate,
        )
        .doc(
            Doc::new("A new secret; the previous one also signs for 24 hours").created::<Rotated>(),
        )
        .route(
            Post,
            "/api/v1/webhooks/{webhook_id}/pause",
            Staff(COORDINATOR),
            pause,
        )
        .doc(Doc::new("Stop deliveries for now").empty(204))
        .route(
            Post,
            "/api/v1/webhooks/{webhook_id}/resume",
            Staff(COORDINATOR),
            resume,
        )
        .doc(Doc::new("Deliver again, from where deliveries stopped, at once").empty(204))
        .route(
            Get,
            "/api/v1/webhooks/{webhook_id}/deliveries",
            Staff(COORDINATOR),
            deliveries,
        )
        .doc(
            Doc::new("The delivery log: the last 100 tries, newest first")
                .ok::<Vec<crate::Delivery>>(),
        )
        .with_state(webhooks)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = subscribe_example())]
struct SubscribeBody {
    /// Where deliveries are POSTed: `https://`, or `http://` on this
    /// machine.
    url: String,
    /// The kinds of events to deliver.
    #[schemars(with = "Vec<KindName>")]
    kinds: Vec<String>,
    /// Only events at these sites; left out: every site (administrators
    /// only).
    #[serde(default)]
    #[schemars(with = "Vec<SiteId>")]
    site_ids: Vec<String>,
    /// Payloads carry the resident's contact details (administrators
    /// only, with `personal_reason`; recorded with who chose it).
    #[serde(default)]
    personal: bool,
    #[serde(default)]
    personal_reason: String,
}

fn subscribe_example() -> serde_json::Value {
    serde_json::json!({
        "url": "https://crm.ville.fr/hooks/creneau",
        "kinds": ["appointment.booked", "appointment.cancelled"],
        "site_ids": ["0192f1e4-5a6b-7c8d-9e0f-1a2b3c4d5e6f"],
    })
}

/// A kind of event.
struct KindName;

impl JsonSchema for KindName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WebhookKind".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        schemars::json_schema!({"type": "string", "enum": names})
    }
}

/// A subscription as its owner sees it.
#[derive(Serialize, JsonSchema)]
struct Shown {
    webhook_id: Uuid,
    owner: StaffId,
    url: String,
    #[schemars(with = "Vec<KindName>")]
    kinds: Vec<&'static str>,
    site_ids: Vec<SiteId>,
    personal: bool,
    created_at: DateTime<Utc>,
    /// `active`, `retrying` or `paused`.
    state: &'static str,
    /// Why deliveries stopped, while paused.
    paused_because: Option<String>,
    /// The next try of an event that failed, while retrying.
    next_try_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    delivered: u64,
    failed_tries: u64,
    /// Until then, the previous secret signs too.
    previous_secret_valid_until: Option<DateTime<Utc>>,
}

fn shown(s: &Subscription) -> Shown {
    Shown {
        webhook_id: s.id,
        owner: s.owner,
        url: s.url.clone(),
        kinds: s.kinds.iter().map(|k| k.name()).collect(),
        site_ids: s.sites.clone(),
        personal: s.personal,
        created_at: s.created_at,
        state: match (&s.paused, &s.failing) {
            (Some(_), _) => "paused",
            (None, Some(_)) => "retrying",
            (None, None) => "active",
        },
        paused_because: s.paused.as_ref().map(|p| match p {
            crate::Paused::ByOwner => messages::say!(crate::MESSAGES, "paused-by-its-owner"),
            crate::Paused::Failing(error) => {
                messages::say!(crate::MESSAGES, "paused-after-a-day", error = error)
            }
        }),
        next_try_at: s.failing.as_ref().map(|f| f.next_at),
        last_error: s.failing.as_ref().map(|f| f.error.clone()),
        delivered: s.delivered,
        failed_tries: s.failed,
        previous_secret_valid_until: s.previous_valid_until,
    }
}

#[derive(Serialize, JsonSchema)]
struct Subscribed {
    #[serde(flatten)]
    subscription: Shown,
    /// Shown once: it checks the `Creneau-Signature` of each delivery.
    secret: String,
}

#[derive(Serialize, JsonSchema)]
struct Rotated {
    /// The new secret, shown once.
    secret: String,
    previous_secret_valid_until: Option<DateTime<Utc>>,
}

async fn create(
    State(w): State<Webhooks>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    ApiJson(body): ApiJson<SubscribeBody>,
) -> Result<Response, ApiError> {
    let kinds = body
        .kinds
        .iter()
        .map(|k| {
            Kind::from_name(k.trim()).ok_or_else(|| {
                WebhookError::invalid(
                    "kinds",
                    messages::say!(
                        crate::MESSAGES,
                        "not-a-kind",
                        kind = format!("{k:?}"),
                        kinds = Kind::ALL.map(Kind::name).join(", ")
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sites = body
        .site_ids
        .iter()
        .map(|s| {
            s.trim().parse::<SiteId>().map_err(|_| {
                WebhookError::invalid(
                    "site_ids",
                    messages::say!(crate::MESSAGES, "not-a-site", site = format!("{s:?}")),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // A coordinator subscribes to their own sites, and never to
    // residents' details.
    if !principal.is_admin() {
        if body.personal {
            return Err(ApiError::Forbidden(messages::say!(
                crate::MESSAGES,
                "personal-needs-admin"
            )));
        }
        match principal.scope(COORDINATOR) {
            Scope::Everywhere => {}
            Scope::Sites(mine) => {
                if sites.is_empty() || sites.iter().any(|s| !mine.contains(s)) {
                    return Err(WebhookError::invalid(
                        "site_ids",
                        messages::say!(crate::MESSAGES, "your-sites-only"),
                    )
                    .into());
                }
            }
        }
    }
    let acting = principal.acting(correlation, now);
    let (s, secret) = w
        .subscribe(
            &acting,
            principal.staff_id,
            NewSubscription {
                url: body.url,
                kinds,
                sites,
                personal: body.personal,
                personal_reason: body.personal_reason,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Subscribed {
            subscription: shown(&s),
            secret,
        }),
    )
        .into_response())
}

/// The subscription of the address, if the caller owns it (or is an
/// administrator): anyone else learns nothing of it.
async fn owned(w: &Webhooks, principal: &Principal, raw: &str) -> Result<Subscription, ApiError> {
    let none = || ApiError::NotFound(messages::say!(crate::MESSAGES, "no-such-subscription"));
    let id: Uuid = raw.parse().map_err(|_| none())?;
    let s = w.subscription(id).await.map_err(|_| none())?;
    if s.owner != principal.staff_id && !principal.is_admin() {
        return Err(none());
    }
    Ok(s)
}

async fn list(State(w): State<Webhooks>, principal: Principal) -> Result<Response, ApiError> {
    let all = w.subscriptions().await?;
    let mine: Vec<Shown> = all
        .iter()
        .filter(|s| principal.is_admin() || s.owner == principal.staff_id)
        .map(shown)
        .collect();
    Ok(axum::Json(mine).into_response())
}

async fn get(
    State(w): State<Webhooks>,
    principal: Principal,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let s = owned(&w, &principal, &raw).await?;
    Ok(axum::Json(shown(&s)).into_response())
}

async fn rotate(
    State(w): State<Webhooks>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let s = owned(&w, &principal, &raw).await?;
    let secret = w.rotate(&principal.acting(correlation, now), s.id).await?;
    let s = w.subscription(s.id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Rotated {
            secret,
            previous_secret_valid_until: s.previous_valid_until,
        }),
    )
        .into_response())
}

/// What an owner does to a subscription, through [`change`].
enum Change {
    Remove,
    Pause,
    Resume,
}

async fn change(
    w: &Webhooks,
    principal: &Principal,
    raw: &str,
    correlation: CorrelationId,
    now: Now,
    what: Change,
) -> Result<StatusCode, ApiError> {
    let s = owned(w, principal, raw).await?;
    let acting = principal.acting(correlation, now);
    match what {
        Change::Remove => w.remove(&acting, s.id).await?,
        Change::Pause => w.pause(&acting, s.id).await?,
        Change::Resume => w.resume(&acting, s.id).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(
    State(w): State<Webhooks>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    change(&w, &principal, &raw, correlation, now, Change::Remove).await
}

async fn pause(
    State(w): State<Webhooks>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    change(&w, &principal, &raw, correlation, now, Change::Pause).await
}

async fn resume(
    State(w): State<Webhooks>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    change(&w, &principal, &raw, correlation, now, Change::Resume).await
}

async fn deliveries(
    State(w): State<Webhooks>,
    principal: Principal,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let s = owned(&w, &principal, &raw).await?;
    Ok(axum::Json(w.deliveries(s.id, 100).await?).into_response())
}
