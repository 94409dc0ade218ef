//! The identity service's HTTP API, every route declared with its need.

use api::{
    ApiError, ApiJson, ClientIp, CorrelationId, Doc, Grant, Need, Now, Principal, Routes, Verb,
    parse_role, path_id, role_name,
};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use contracts::{Language, ResidentId, SiteId, StaffId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::Subject;
use crate::directory::StaffView;
use crate::reads::ReadPurpose;
use crate::residents::{ErasureCause, NewResident};
use crate::service::Identity;
use crate::staff::NewStaff;

use api::FRONT_DESK;

/// Every route of the identity service.
pub fn routes(identity: Identity) -> Routes {
    use Need::{Admin, Public, Staff};
    use Verb::{Delete, Get, Post, Put};
    Routes::new()
        .route(Post, "/api/v1/session", Public, session_create)
        .doc(
            Doc::new("Sign in: a session cookie, and the CSRF token to send with it")
                .body::<SignIn>()
                .created::<Me>(),
        )
        .route(Get, "/api/v1/session", Staff(&[]), session_get)
        .doc(Doc::new("Who is signed in, with their roles").ok::<Me>())
        .route(Delete, "/api/v1/session", Staff(&[]), session_delete)
        .doc(Doc::new("Sign out").empty(204))
        .route(Put, "/api/v1/session/password", Staff(&[]), password_update)
        .doc(
            Doc::new("Change one's own password")
                .body::<PasswordChange>()
                .empty(204),
        )
        .route(Get, "/api/v1/tokens", Staff(&[]), tokens_list)
        .doc(Doc::new("One's API tokens").ok::<Vec<TokenShown>>())
        .route(Post, "/api/v1/tokens", Staff(&[]), tokens_create)
        .doc(
            Doc::new("A new API token, shown once")
                .body::<TokenRequest>()
                .created::<TokenIssued>(),
        )
        .route(
            Delete,
            "/api/v1/tokens/{token_id}",
            Staff(&[]),
            tokens_delete,
        )
        .doc(Doc::new("Revoke an API token").empty(204))
        .route(Get, "/api/v1/staff", Admin, staff_list)
        .doc(Doc::new("Every staff account").ok::<Vec<StaffShown>>())
        .route(Post, "/api/v1/staff", Admin, staff_create)
        .doc(
            Doc::new("A new staff account")
                .body::<StaffRequest>()
                .created::<StaffCreated>(),
        )
        .route(Get, "/api/v1/staff/{staff_id}", Admin, staff_get)
        .doc(Doc::new("One staff account").ok::<StaffShown>())
        .route(
            Post,
            "/api/v1/staff/{staff_id}/grants",
            Admin,
            grants_create,
        )
        .doc(
            Doc::new("Give a staff member a role")
                .body::<GrantRequest>()
                .empty(204),
        )
        .route(
            Delete,
            "/api/v1/staff/{staff_id}/grants/{role}",
            Admin,
            grants_delete,
        )
        .doc(Doc::new("Take a role back").query::<SiteQuery>().empty(204))
        .route(
            Post,
            "/api/v1/staff/{staff_id}/password",
            Admin,
            staff_password_reset,
        )
        .doc(
            Doc::new("Set a staff member's password (or generate one)")
                .optional_body::<PasswordReset>()
                .ok::<PasswordSet>(),
        )
        .route(
            Post,
            "/api/v1/staff/{staff_id}/disable",
            Admin,
            staff_disable,
        )
        .doc(
            Doc::new("Disable a staff account")
                .optional_body::<DisableRequest>()
                .empty(204),
        )
        .route(Post, "/api/v1/staff/{staff_id}/enable", Admin, staff_enable)
        .doc(Doc::new("Enable a staff account again").empty(204))
        .route(
            Post,
            "/api/v1/residents",
            Staff(FRONT_DESK),
            residents_create,
        )
        .doc(
            Doc::new("Register a resident")
                .body::<ResidentRequest>()
                .created::<ResidentCreated>(),
        )
        .route(
            Get,
            "/api/v1/residents/{resident_id}",
            Staff(FRONT_DESK),
            residents_get,
        )
        .doc(Doc::new("A resident's details (the read is audited)").ok::<crate::ResidentDetails>())
        .route(
            Delete,
            "/api/v1/residents/{resident_id}",
            Admin,
            residents_delete,
        )
        .doc(Doc::new("Erase a resident's personal data").ok::<crate::Erasure>())
        .route(
            Post,
            "/api/v1/residents/{resident_id}/merge",
            Staff(FRONT_DESK),
            residents_merge,
        )
        .doc(
            Doc::new("Merge a duplicate record into this resident")
                .body::<MergeBody>()
                .empty(204),
        )
        .route(
            Post,
            "/api/v1/residents/{resident_id}/unmerge",
            Admin,
            residents_unmerge,
        )
        .doc(Doc::new("Undo a merge").body::<UnmergeBody>().empty(204))
        .route(
            Get,
            "/api/v1/residents/{resident_id}/export",
            Admin,
            residents_export,
        )
        .doc(
            Doc::new("Everything held on a resident (the read is audited)")
                .ok::<crate::ResidentExport>(),
        )
        .route(Post, "/api/v1/password-resets", Public, resets_create)
        .doc(
            Doc::new("Ask for a password reset e-mail")
                .body::<ResetRequest>()
                .empty(202),
        )
        .route(
            Post,
            "/api/v1/password-resets/confirm",
            Public,
            resets_confirm,
        )
        .doc(
            Doc::new("Set a new password with the e-mail's code")
                .body::<ResetConfirm>()
                .empty(204),
        )
        .route(Get, "/api/v1/audit", Admin, audit_get)
        .doc(
            Doc::new("Who did what, for a staff member or a resident")
                .query::<AuditQuery>()
                .ok::<Vec<crate::AuditEntry>>(),
        )
        .route(Get, "/api/v1/links/{token}", Public, links_get)
        .doc(Doc::new("What a manage link opens").ok::<LinkOpened>())
        .with_state(identity)
}

/// A JSON body that may be left out (then every field takes its default).
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(messages::say!(
            crate::MESSAGES,
            "body-does-not-fit-this",
            why = e
        ))
    })
}

#[derive(Serialize, JsonSchema)]
struct Me {
    staff_id: StaffId,
    display_name: String,
    grants: Vec<Grant>,
    /// Send this in the X-CSRF-Token header with anything that changes
    /// something (cookie sessions only).
    csrf_token: Option<String>,
}

fn me(p: &Principal) -> Me {
    Me {
        staff_id: p.staff_id,
        display_name: p.display_name.clone(),
        grants: p.grants.clone(),
        csrf_token: p.session.as_ref().map(|s| s.csrf.clone()),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: String,
    password: String,
}

async fn session_create(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    let signed = identity
        .sign_in(&body.email, &body.password, &client, correlation.0)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::SET_COOKIE, signed.set_cookie)],
        axum::Json(me(&signed.principal)),
    )
        .into_response())
}

async fn session_get(principal: Principal) -> axum::Json<Me> {
    axum::Json(me(&principal))
}

async fn session_delete(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
) -> Result<Response, ApiError> {
    let Some(session) = &principal.session else {
        return Err(ApiError::BadRequest(messages::say!(
            crate::MESSAGES,
            "token-not-a-session"
        )));
    };
    identity
        .sign_out(
            &principal.acting(correlation, now),
            principal.staff_id,
            session.session_id,
            "sign_out",
        )
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, identity.expired_cookie())],
    )
        .into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

async fn password_update(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    identity
        .change_own_password(
            &principal.acting(correlation, now),
            principal.staff_id,
            body.current_password,
            body.new_password,
        )
        .await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, identity.expired_cookie())],
    )
        .into_response())
}

#[derive(Serialize, JsonSchema)]
struct TokenShown {
    token_id: Uuid,
    label: String,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked: bool,
}

/// A new token: the only time its secret is shown.
#[derive(Serialize, JsonSchema)]
struct TokenIssued {
    token_id: Uuid,
    /// Send it as `Authorization: Bearer <token>`.
    token: String,
    expires_at: DateTime<Utc>,
    note: &'static str,
}

/// A new account, and its password when Créneau generated it.
#[derive(Serialize, JsonSchema)]
struct StaffCreated {
    staff_id: StaffId,
    generated_password: Option<String>,
}

/// The password Créneau generated, if it did.
#[derive(Serialize, JsonSchema)]
struct PasswordSet {
    generated_password: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct ResidentCreated {
    resident_id: ResidentId,
}

/// What a manage link opens, until when.
#[derive(Serialize, JsonSchema)]
struct LinkOpened {
    appointment_id: contracts::AppointmentId,
    expires_at: DateTime<Utc>,
}

fn tokens_of(staff: &StaffView) -> Vec<TokenShown> {
    staff
        .tokens
        .values()
        .map(|t| TokenShown {
            token_id: t.token_id,
            label: t.label.clone(),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            revoked: t.revoked,
        })
        .collect()
}

async fn tokens_list(
    State(identity): State<Identity>,
    principal: Principal,
) -> Result<axum::Json<Vec<TokenShown>>, ApiError> {
    let d = identity.directory().await?;
    let staff = d.staff(principal.staff_id).ok_or_else(|| {
        ApiError::Unauthorized(messages::say!(crate::MESSAGES, "your-account-is-gone-sign"))
    })?;
    Ok(axum::Json(tokens_of(staff)))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    #[schemars(length(min = 1, max = 80))]
    label: String,
    days: Option<u32>,
}

async fn tokens_create(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Response, ApiError> {
    let issued = identity
        .issue_token(
            &principal.acting(correlation, now),
            principal.staff_id,
            &body.label,
            body.days,
            principal.token_id,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenIssued {
            token_id: issued.token_id,
            token: issued.token,
            expires_at: issued.expires_at,
            note: "this token is shown once: keep it where your program reads it",
        }),
    )
        .into_response())
}

async fn tokens_delete(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(token_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token_id: Uuid = path_id("token", &token_id)?;
    let owner = identity.token_owner(token_id).await?;
    let owner = match owner {
        Some(o) if o == principal.staff_id || principal.is_admin() => o,
        _ => {
            return Err(ApiError::NotFound(messages::say!(
                crate::MESSAGES,
                "you-have-no-token",
                token_id = token_id
            )));
        }
    };
    identity
        .revoke_token(&principal.acting(correlation, now), owner, token_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, JsonSchema)]
struct StaffShown {
    staff_id: StaffId,
    email: String,
    display_name: String,
    grants: Vec<Grant>,
    disabled: bool,
    created_at: DateTime<Utc>,
}

fn staff_shown(s: &StaffView) -> StaffShown {
    StaffShown {
        staff_id: s.id,
        email: s.email.clone(),
        display_name: s.display_name.clone(),
        grants: s.grants.iter().copied().collect(),
        disabled: s.disabled,
        created_at: s.created_at,
    }
}

async fn staff_list(
    State(identity): State<Identity>,
) -> Result<axum::Json<Vec<StaffShown>>, ApiError> {
    let d = identity.directory().await?;
    Ok(axum::Json(
        d.all_staff().into_iter().map(staff_shown).collect(),
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct GrantRequest {
    #[schemars(with = "contracts::schema::RoleName")]
    role: String,
    #[schemars(with = "Option<contracts::SiteId>")]
    site_id: Option<String>,
}

/// A grant as the API reads it: a role, at a site or (`site_id` left
/// out) at every site. An empty `site_id` is refused rather than read as
/// every site: a form that lost its site must not grant everywhere.
fn grant_of(role: &str, site: Option<&str>) -> Result<Grant, ApiError> {
    let role = parse_role(role).map_err(|message| ApiError::Invalid {
        field: "role".into(),
        message,
    })?;
    let site = match site.map(str::trim) {
        Some("") => {
            return Err(ApiError::Invalid {
                field: "site_id".into(),
                message: messages::say!(crate::MESSAGES, "site-id-empty"),
            });
        }
        Some(s) => Some(s.parse::<SiteId>().map_err(|_| ApiError::Invalid {
            field: "site_id".into(),
            message: messages::say!(
                crate::MESSAGES,
                "site-id-is-not-site",
                text = format!("{:?}", s)
            ),
        })?),
        None => None,
    };
    Ok(Grant { role, site })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct StaffRequest {
    email: String,
    #[schemars(length(min = 1, max = 100))]
    display_name: String,
    password: Option<String>,
    #[serde(default)]
    grants: Vec<GrantRequest>,
}

async fn staff_create(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    ApiJson(body): ApiJson<StaffRequest>,
) -> Result<Response, ApiError> {
    let grants = body
        .grants
        .iter()
        .map(|g| grant_of(&g.role, g.site_id.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let created = identity
        .create_staff(
            &principal.acting(correlation, now),
            NewStaff {
                email: body.email,
                display_name: body.display_name,
                password: body.password,
                grants,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(StaffCreated {
            staff_id: created.staff_id,
            generated_password: created.generated_password,
        }),
    )
        .into_response())
}

async fn staff_get(
    State(identity): State<Identity>,
    Path(staff_id): Path<String>,
) -> Result<axum::Json<StaffShown>, ApiError> {
    let id: StaffId = path_id("staff", &staff_id)?;
    let d = identity.directory().await?;
    let s = d.staff(id).ok_or_else(|| {
        ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "there-is-no-staff-account",
            id = id
        ))
    })?;
    Ok(axum::Json(staff_shown(s)))
}

async fn grants_create(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(staff_id): Path<String>,
    ApiJson(body): ApiJson<GrantRequest>,
) -> Result<StatusCode, ApiError> {
    let id: StaffId = path_id("staff", &staff_id)?;
    let grant = grant_of(&body.role, body.site_id.as_deref())?;
    identity
        .grant_role(&principal.acting(correlation, now), id, grant)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SiteQuery {
    /// The site of the grant; none: the grant for every site.
    #[schemars(with = "Option<contracts::SiteId>")]
    site_id: Option<String>,
}

async fn grants_delete(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path((staff_id, role)): Path<(String, String)>,
    api::ApiQuery(q): api::ApiQuery<SiteQuery>,
) -> Result<StatusCode, ApiError> {
    let id: StaffId = path_id("staff", &staff_id)?;
    let grant = grant_of(&role, q.site_id.as_deref())?;
    identity
        .revoke_role(&principal.acting(correlation, now), id, grant)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PasswordReset {
    password: Option<String>,
}

async fn staff_password_reset(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(staff_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<axum::Json<PasswordSet>, ApiError> {
    let id: StaffId = path_id("staff", &staff_id)?;
    let body: PasswordReset = optional_json(&body)?;
    let generated = identity
        .set_password(&principal.acting(correlation, now), id, body.password)
        .await?;
    Ok(axum::Json(PasswordSet {
        generated_password: generated,
    }))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DisableRequest {
    reason: Option<String>,
}

async fn staff_disable(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(staff_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let id: StaffId = path_id("staff", &staff_id)?;
    let reason = optional_json::<DisableRequest>(&body)?
        .reason
        .unwrap_or_default();
    identity
        .disable_staff(&principal.acting(correlation, now), id, &reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn staff_enable(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(staff_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: StaffId = path_id("staff", &staff_id)?;
    identity
        .enable_staff(&principal.acting(correlation, now), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResidentRequest {
    #[schemars(length(min = 1, max = 100))]
    first_name: String,
    #[schemars(length(min = 1, max = 100))]
    last_name: String,
    phone: String,
    email: Option<String>,
    /// `fr` (default), `en` or `ar`.
    #[schemars(with = "Option<contracts::schema::LanguageCode>")]
    language: Option<String>,
    #[serde(default = "yes")]
    sms_consent: bool,
    #[serde(default)]
    email_consent: bool,
    /// The site registering them; may be left out by staff of one site.
    #[schemars(with = "Option<contracts::SiteId>")]
    site_id: Option<String>,
}

fn yes() -> bool {
    true
}

fn language(code: Option<&str>) -> Result<Language, ApiError> {
    match code.map(str::trim).unwrap_or("fr") {
        "fr" | "" => Ok(Language::Fr),
        "en" => Ok(Language::En),
        "ar" => Ok(Language::Ar),
        other => Err(ApiError::BadRequest(messages::say!(
            crate::MESSAGES,
            "language-is-not-offered-use",
            other = format!("{:?}", other)
        ))),
    }
}

/// The site a resident is registered at: the one given, which must be one
/// of `who`'s, or `who`'s only site.
fn registering_site(who: &Principal, given: Option<&str>) -> Result<Option<SiteId>, ApiError> {
    let scope = crate::reads::scope_of(who);
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => {
            let site: SiteId = raw.parse().map_err(|_| ApiError::Invalid {
                field: "site_id".into(),
                message: messages::say!(
                    crate::MESSAGES,
                    "is-not-site-id",
                    raw = format!("{:?}", raw)
                ),
            })?;
            who.require(api::FRONT_DESK, Some(site))?;
            Ok(Some(site))
        }
        None => match scope {
            api::Scope::Everywhere => Ok(None),
            api::Scope::Sites(sites) if sites.len() == 1 => Ok(sites.into_iter().next()),
            api::Scope::Sites(_) => Err(ApiError::Invalid {
                field: "site_id".into(),
                message: messages::say!(crate::MESSAGES, "say-at-which-of-your"),
            }),
        },
    }
}

async fn residents_create(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    ApiJson(body): ApiJson<ResidentRequest>,
) -> Result<Response, ApiError> {
    let site = registering_site(&principal, body.site_id.as_deref())?;
    let id = identity
        .register_resident(
            &principal.acting(correlation, now),
            NewResident {
                language: language(body.language.as_deref())?,
                first_name: body.first_name,
                last_name: body.last_name,
                phone: body.phone,
                email: body.email,
                sms_consent: body.sms_consent,
                email_consent: body.email_consent,
                site,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ResidentCreated { resident_id: id }),
    )
        .into_response())
}

async fn residents_get(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    principal: Principal,
    Path(resident_id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ResidentId = path_id("resident", &resident_id)?;
    identity.check_visible(&principal, id).await?;
    let details = identity.resident_details(id).await?;
    identity
        .record_reads(&principal, correlation.0, ReadPurpose::Record, [id])
        .await?;
    Ok(axum::Json(details).into_response())
}

async fn residents_delete(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(resident_id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ResidentId = path_id("resident", &resident_id)?;
    let erasure = identity
        .erase_resident(
            &principal.acting(correlation, now),
            id,
            ErasureCause::Request,
        )
        .await?;
    Ok(axum::Json(erasure).into_response())
}

async fn residents_export(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    principal: Principal,
    Path(resident_id): Path<String>,
) -> Result<Response, ApiError> {
    let id: ResidentId = path_id("resident", &resident_id)?;
    let export = identity.export_resident(id).await?;
    identity
        .record_reads(&principal, correlation.0, ReadPurpose::Export, [id])
        .await?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"resident-{id}.json\""),
        )],
        axum::Json(export),
    )
        .into_response())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    #[schemars(with = "Option<contracts::StaffId>")]
    staff: Option<String>,
    #[schemars(with = "Option<contracts::ResidentId>")]
    resident: Option<String>,
}

async fn audit_get(
    State(identity): State<Identity>,
    api::ApiQuery(q): api::ApiQuery<AuditQuery>,
) -> Result<Response, ApiError> {
    let subject = match (q.staff.as_deref(), q.resident.as_deref()) {
        (Some(s), None) => Subject::Staff(path_id("staff", s)?),
        (None, Some(r)) => Subject::Resident(path_id("resident", r)?),
        _ => {
            return Err(ApiError::BadRequest(messages::say!(
                crate::MESSAGES,
                "say-whose-history-to-list"
            )));
        }
    };
    Ok(axum::Json(identity.audit(subject).await?).into_response())
}

async fn links_get(
    State(identity): State<Identity>,
    ClientIp(client): ClientIp,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let access = identity.resolve_link(&token, &client).await?;
    Ok(axum::Json(LinkOpened {
        appointment_id: access.appointment_id,
        expires_at: access.expires_at,
    })
    .into_response())
}

/// The role names, for help texts.
pub fn role_names() -> Vec<&'static str> {
    contracts::ROLES.into_iter().map(role_name).collect()
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The resident who stands for both from now on.
    into: String,
    /// Why they are the same person (audited).
    reason: String,
}

async fn residents_merge(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    principal: Principal,
    Path(resident_id): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<StatusCode, ApiError> {
    let duplicate: ResidentId = path_id("resident", &resident_id)?;
    let into: ResidentId = body.into.parse().map_err(|_| ApiError::Invalid {
        field: "into".into(),
        message: messages::say!(
            crate::MESSAGES,
            "is-not-resident-id",
            into = format!("{:?}", body.into)
        ),
    })?;
    identity
        .merge_residents(&principal, correlation.0, duplicate, into, &body.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UnmergeBody {
    /// Why the merge was wrong (audited).
    reason: String,
}

async fn residents_unmerge(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    now: Now,
    principal: Principal,
    Path(resident_id): Path<String>,
    ApiJson(body): ApiJson<UnmergeBody>,
) -> Result<StatusCode, ApiError> {
    let id: ResidentId = path_id("resident", &resident_id)?;
    identity
        .unmerge_resident(&principal.acting(correlation, now), id, &body.reason)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: String,
}

/// Sends a reset link to the account's email: 202 whether the account
/// exists or not.
async fn resets_create(
    State(identity): State<Identity>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    identity
        .request_password_reset(&body.email, &client, api::i18n::current())
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResetConfirm {
    /// From the link sent by email (its `jeton`).
    token: String,
    password: String,
}

async fn resets_confirm(
    State(identity): State<Identity>,
    correlation: CorrelationId,
    ApiJson(body): ApiJson<ResetConfirm>,
) -> Result<StatusCode, ApiError> {
    identity
        .reset_password(&body.token, body.password, correlation.0)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
