//! Who may call what. Every route is declared with the [`Need`] it has,
//! through [`Routes`]; the [`authorize`] middleware looks the matched route
//! up and refuses what its rule does not allow. A route that was added
//! without a rule answers 500 to everyone: forgetting a rule closes the
//! route, it never opens it.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::RequestExt as _;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use axum::{Router, extract::FromRequestParts};
use contracts::{Role, SiteId, StaffId};
use eventlog::Actor;
use serde::Serialize;
use uuid::Uuid;

use crate::error::ApiError;

/// The header a cookie session sends its CSRF token in, on every request
/// that changes something.
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The role's name in the API and on the command line: `reception`,
/// `mediator`, `it_helper`, `coordinator`, `admin`.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reception => "reception",
        Role::Mediator => "mediator",
        Role::ItHelper => "it_helper",
        Role::Coordinator => "coordinator",
        Role::Admin => "admin",
        Role::Unspecified => "unspecified",
    }
}

/// The role named `name` (see [`role_name`]).
pub fn parse_role(name: &str) -> Result<Role, String> {
    match name.trim() {
        "reception" => Ok(Role::Reception),
        "mediator" => Ok(Role::Mediator),
        "it_helper" => Ok(Role::ItHelper),
        "coordinator" => Ok(Role::Coordinator),
        "admin" => Ok(Role::Admin),
        other => Err(format!(
            "{other:?} is not a role: use reception, mediator, it_helper, coordinator or admin"
        )),
    }
}

/// A role, for one site or (`site: None`) for every site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub role: Role,
    pub site: Option<SiteId>,
}

impl Serialize for Grant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            role: &'a str,
            site_id: Option<SiteId>,
        }
        Shown {
            role: role_name(self.role),
            site_id: self.site,
        }
        .serialize(s)
    }
}

/// A cookie session's own values.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub session_id: Uuid,
    /// What the client must send in [`CSRF_HEADER`] (or a form's `csrf`
    /// field) with anything that changes something.
    pub csrf: String,
}

/// The staff member a request acts as.
#[derive(Debug, Clone)]
pub struct Principal {
    pub staff_id: StaffId,
    pub display_name: String,
    pub grants: Vec<Grant>,
    /// Set when signed in with a session cookie.
    pub session: Option<SessionInfo>,
    /// Set when signed in with an API bearer token.
    pub token_id: Option<Uuid>,
}

impl Principal {
    /// Who did it, for the events this request writes.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.staff_id.0)
    }

    /// This staff member acting within the request's correlation.
    pub fn acting(&self, correlation: crate::CorrelationId) -> crate::Acting {
        crate::Acting::new(self.actor(), correlation.0)
    }

    /// Administrator of every site.
    pub fn is_admin(&self) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == Role::Admin && g.site.is_none())
    }

    /// Whether one of `roles` (any role when empty) is granted at `site`
    /// (anywhere when `None`). An administrator's grant counts as every role
    /// at its sites.
    pub fn may(&self, roles: &[Role], site: Option<SiteId>) -> bool {
        self.grants.iter().any(|g| {
            let role_fits = roles.is_empty() || g.role == Role::Admin || roles.contains(&g.role);
            let site_fits = match (g.site, site) {
                (None, _) | (_, None) => true,
                (Some(granted), Some(asked)) => granted == asked,
            };
            role_fits && site_fits
        })
    }

    /// [`Principal::may`], or the 403 that says what is missing.
    pub fn require(&self, roles: &[Role], site: Option<SiteId>) -> Result<(), ApiError> {
        if self.may(roles, site) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| role_name(*r)).collect();
        let at = site.map_or_else(|| "any site".to_owned(), |s| format!("site {s}"));
        Err(ApiError::Forbidden(format!(
            "this needs the role {} at {at}; ask an administrator if you should have it",
            names.join(" or ")
        )))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("sign in first".into()))
    }
}

/// The staff member a request acts as, when credentials were given on a
/// route that does not need them ([`Need::Optional`], [`Need::ResidentLink`]).
#[derive(Debug, Clone)]
pub struct MaybeStaff(pub Option<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeStaff {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeStaff(parts.extensions.get::<Principal>().cloned()))
    }
}

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone (health checks, sign-in, public reads).
    Public,
    /// Anyone; staff credentials, when given, are checked (bad ones are a
    /// 401) and the [`Principal`] attached: a resident books for themself,
    /// reception on their behalf.
    Optional,
    /// An appointment's manage token (`Authorization: Bearer` without the
    /// staff token prefix, or `?token=`), or staff credentials: the handler
    /// knows the appointment's site and checks the token or
    /// [`FRONT_DESK`] there.
    ResidentLink,
    /// A signed-in staff member with one of these roles (any role when
    /// empty), at the route's `{site_id}` when it has one.
    Staff(&'static [Role]),
    /// An administrator of every site: accounts, erasure, audit.
    Admin,
    /// A web page for staff: as [`Need::Staff`], but a visitor without
    /// credentials is sent to the sign-in page (303 to
    /// `/connexion?retour=<this page>`) rather than answered 401.
    Page(&'static [Role]),
    /// A web page for an administrator of every site: as [`Need::Admin`],
    /// with the sign-in redirect of [`Need::Page`].
    AdminPage,
}

/// The roles that work with residents' files and appointments.
pub const FRONT_DESK: &[Role] = &[
    Role::Reception,
    Role::Mediator,
    Role::ItHelper,
    Role::Coordinator,
];

/// Staff API tokens begin with this, so that a bearer token that does not
/// is known to be something else (a resident's manage token).
pub const STAFF_TOKEN_PREFIX: &str = "crn_";

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    pub fn method(self) -> Method {
        match self {
            Verb::Get => Method::GET,
            Verb::Post => Method::POST,
            Verb::Put => Method::PUT,
            Verb::Patch => Method::PATCH,
            Verb::Delete => Method::DELETE,
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Put => MethodFilter::PUT,
            Verb::Patch => MethodFilter::PATCH,
            Verb::Delete => MethodFilter::DELETE,
        }
    }
}

/// One route's declaration.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub verb: Verb,
    /// The route's path as written in the router, e.g. `/api/v1/staff/{staff_id}`.
    pub path: &'static str,
    pub need: Need,
}

/// A router that cannot take a route without its rule.
pub struct Routes<S = ()> {
    router: Router<S>,
    rules: Vec<Rule>,
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            rules: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `handler` for `verb path`, allowed to callers that meet `need`.
    pub fn route<H, T>(mut self, verb: Verb, path: &'static str, need: Need, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self.router.route(path, on(verb.filter(), handler));
        self.rules.push(Rule { verb, path, need });
        self
    }

    pub fn merge(mut self, other: Routes<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.rules.extend(other.rules);
        self
    }

    /// The routes with their state given, ready to merge with other services'.
    pub fn with_state<S2>(self, state: S) -> Routes<S2> {
        Routes {
            router: self.router.with_state(state),
            rules: self.rules,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn into_parts(self) -> (Router<S>, Vec<Rule>) {
        (self.router, self.rules)
    }
}

/// What a request presents to prove who it is.
#[derive(Debug, Clone, Copy)]
pub enum Credentials<'a> {
    /// The value of the session cookie.
    Session(&'a str),
    /// The token after `Authorization: Bearer`.
    Bearer(&'a str),
}

/// A request's credentials, checked.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    /// A renewed session cookie to send back (sliding expiry), if any.
    pub set_cookie: Option<HeaderValue>,
}

/// Checks credentials: implemented by the identity service.
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// The name of the session cookie.
    fn session_cookie(&self) -> &str;

    /// The principal behind `credentials`, or a 401 that says why not.
    async fn authenticate(&self, credentials: Credentials<'_>) -> Result<Authenticated, ApiError>;
}

/// The rules of every route, and how to check credentials.
pub struct AccessPolicy {
    rules: HashMap<(Method, &'static str), Need>,
    authenticator: Arc<dyn Authenticator>,
    /// `scheme://host[:port]` the service is reached at: requests that
    /// change something and come from a page of another origin are refused.
    origin: Option<String>,
}

impl AccessPolicy {
    pub fn new(
        rules: &[Rule],
        authenticator: Arc<dyn Authenticator>,
        origin: Option<String>,
    ) -> Self {
        AccessPolicy {
            rules: rules
                .iter()
                .map(|r| ((r.verb.method(), r.path), r.need))
                .collect(),
            authenticator,
            origin,
        }
    }
}

fn changes_something(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Compares without stopping at the first difference.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from a request's headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn credentials<'a>(
    request: &'a Request,
    cookie: &str,
) -> Result<Option<Credentials<'a>>, ApiError> {
    if let Some(value) = request.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the Authorization header must be \"Bearer <token>\" with an API token".into(),
                )
            })?;
        return Ok(Some(Credentials::Bearer(token)));
    }
    Ok(self::cookie(request.headers(), cookie).map(Credentials::Session))
}

/// The `{site_id}` of the route, when it has one.
async fn path_site(request: &mut Request) -> Result<Option<SiteId>, ApiError> {
    let Ok(params) = request.extract_parts::<RawPathParams>().await else {
        return Ok(None);
    };
    let Some((_, raw)) = params.iter().find(|(name, _)| *name == "site_id") else {
        return Ok(None);
    };
    raw.parse::<SiteId>()
        .map(Some)
        .map_err(|_| ApiError::NotFound(format!("{raw:?} is not a site id: check the address")))
}

/// The largest form whose `csrf` field is looked for; web forms are a few
/// hundred bytes.
const MAX_FORM: usize = 64 * 1024;

/// The `csrf` field of an HTML form (a page without script cannot set a
/// header), and the request with its body put back for the handler.
async fn form_csrf(request: Request) -> Result<(Vec<u8>, Request), ApiError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((Vec::new(), request));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| ApiError::BadRequest("this form is too large: 64 KiB at most".into()))?;
    let sent = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_bytes())
        .unwrap_or_default();
    Ok((
        sent,
        Request::from_parts(parts, axum::body::Body::from(bytes)),
    ))
}

/// Where a page without a session sends its visitor: the sign-in page,
/// which comes back here.
fn sign_in_address(uri: &axum::http::Uri) -> String {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("/connexion?retour={}", url_encode(here))
}

/// Percent-encodes a query value (slashes kept, for paths).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The authorization middleware: applies the matched route's [`Need`].
pub async fn authorize(
    State(policy): State<Arc<AccessPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    match check(&policy, request).await {
        Ok((request, set_cookie)) => {
            let mut response = next.run(request).await;
            if let Some(cookie) = set_cookie {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn check(
    policy: &AccessPolicy,
    mut request: Request,
) -> Result<(Request, Option<HeaderValue>), ApiError> {
    // No matched route: the fallback answers (404).
    let Some(path) = request.extensions().get::<MatchedPath>().cloned() else {
        return Ok((request, None));
    };
    let method = if request.method() == Method::HEAD {
        Method::GET
    } else {
        request.method().clone()
    };
    let Some(need) = policy.rules.get(&(method.clone(), path.as_str())).copied() else {
        return Err(ApiError::Internal(format!(
            "route {method} {} has no access rule: declare it through api::Routes",
            path.as_str()
        )));
    };
    if changes_something(&method)
        && let (Some(expected), Some(origin)) =
            (&policy.origin, request.headers().get(header::ORIGIN))
        && origin.as_bytes() != expected.as_bytes()
    {
        return Err(ApiError::Forbidden(
            "this request comes from a page of another site: open Créneau at its own address and try again"
                .into(),
        ));
    }
    let (needed_roles, optional): (&[Role], bool) = match need {
        Need::Public => return Ok((request, None)),
        Need::Optional | Need::ResidentLink => (&[], true),
        Need::Staff(roles) | Need::Page(roles) => (roles, false),
        Need::Admin | Need::AdminPage => (&[Role::Admin], false),
    };
    let creds = match credentials(&request, policy.authenticator.session_cookie())? {
        // A resident's manage token: the handler checks it.
        Some(Credentials::Bearer(token))
            if need == Need::ResidentLink && !token.starts_with(STAFF_TOKEN_PREFIX) =>
        {
            None
        }
        other => other,
    };
    let Some(creds) = creds else {
        if optional {
            return Ok((request, None));
        }
        if let Need::Page(_) | Need::AdminPage = need {
            return Err(ApiError::SignIn(sign_in_address(request.uri())));
        }
        return Err(ApiError::Unauthorized(
            "sign in first: this needs a staff session or an API token".into(),
        ));
    };
    let Authenticated {
        principal,
        set_cookie,
    } = policy.authenticator.authenticate(creds).await?;
    if changes_something(&method)
        && let Some(session) = &principal.session
    {
        let (sent, back) = match request.headers().get(&CSRF_HEADER) {
            Some(v) => (v.as_bytes().to_vec(), request),
            None => form_csrf(request).await?,
        };
        request = back;
        if !same_secret(&sent, session.csrf.as_bytes()) {
            return Err(ApiError::Forbidden(
                "this form is out of date or was not sent from Créneau: reload the page and try again"
                    .into(),
            ));
        }
    }
    if matches!(need, Need::Admin | Need::AdminPage) {
        if !principal.is_admin() {
            return Err(ApiError::Forbidden(
                "this needs an administrator of every site".into(),
            ));
        }
    } else if !optional {
        let site = path_site(&mut request).await?;
        principal.require(needed_roles, site)?;
    }
    tracing::debug!(staff = %principal.staff_id, "authorized");
    request.extensions_mut().insert(principal);
    Ok((request, set_cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(grants: &[(Role, Option<SiteId>)]) -> Principal {
        Principal {
            staff_id: StaffId::new(),
            display_name: "x".into(),
            grants: grants
                .iter()
                .map(|&(role, site)| Grant { role, site })
                .collect(),
            session: None,
            token_id: None,
        }
    }

    #[test]
    fn a_grant_for_one_site_does_not_reach_another() {
        let a = SiteId::new();
        let b = SiteId::new();
        let p = principal(&[(Role::Reception, Some(a))]);
        assert!(p.may(&[Role::Reception], Some(a)));
        assert!(!p.may(&[Role::Reception], Some(b)));
        assert!(p.may(&[Role::Reception], None));
        assert!(!p.may(&[Role::Coordinator], Some(a)));
        assert!(p.may(&[], Some(a)));
        assert!(!p.is_admin());
    }

    #[test]
    fn an_administrator_of_one_site_is_every_role_there_but_not_everywhere() {
        let a = SiteId::new();
        let p = principal(&[(Role::Admin, Some(a))]);
        assert!(p.may(&[Role::Coordinator], Some(a)));
        assert!(!p.may(&[Role::Coordinator], Some(SiteId::new())));
        assert!(!p.is_admin());
        assert!(principal(&[(Role::Admin, None)]).is_admin());
    }

    #[test]
    fn roles_read_back_from_their_names() {
        for role in [
            Role::Reception,
            Role::Mediator,
            Role::ItHelper,
            Role::Coordinator,
            Role::Admin,
        ] {
            assert_eq!(parse_role(role_name(role)), Ok(role));
        }
        assert!(parse_role("boss").unwrap_err().contains("reception"));
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
    }
}
