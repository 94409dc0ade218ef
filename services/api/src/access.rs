//! Who may call what. Every route is declared with the [`Need`] it has,
//! through [`Routes`]; the [`authorize`] middleware looks the matched route
//! up and refuses what its rule does not allow. A route that was added
//! without a rule answers 500 to everyone: forgetting a rule closes the
//! route, it never opens it.

use std::collections::HashMap;
use std::sync::Arc;

use crate::openapi::Doc;
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
use contracts::role_name;

/// The header a cookie session sends its CSRF token in, on every request
/// that changes something.
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// A role, for one site or (`site: None`) for every site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Grant {
    pub role: Role,
    pub site: Option<SiteId>,
}

/// A grant as the API writes it.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Grant")]
struct GrantShown<'a> {
    /// `reception`, `mediator`, `it_helper`, `coordinator` or `admin`.
    role: &'a str,
    /// None: every site.
    site_id: Option<SiteId>,
}

impl schemars::JsonSchema for Grant {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        GrantShown::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        GrantShown::json_schema(generator)
    }
}

impl Serialize for Grant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        GrantShown {
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

    /// This staff member acting within the request's correlation, at its
    /// time.
    pub fn acting(&self, correlation: crate::CorrelationId, now: crate::Now) -> crate::Acting {
        crate::Acting::new(self.actor(), correlation.0, now.0)
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

    /// Whether one of `roles` is granted for every site (a grant without a
    /// site; an administrator's counts as every role).
    pub fn may_everywhere(&self, roles: &[Role]) -> bool {
        self.grants.iter().any(|g| {
            g.site.is_none()
                && (roles.is_empty() || g.role == Role::Admin || roles.contains(&g.role))
        })
    }

    /// The sites where one of `roles` is granted: every site, or these.
    pub fn scope(&self, roles: &[Role]) -> Scope {
        if self.may_everywhere(roles) {
            return Scope::Everywhere;
        }
        Scope::Sites(
            self.grants
                .iter()
                .filter(|g| roles.is_empty() || g.role == Role::Admin || roles.contains(&g.role))
                .filter_map(|g| g.site)
                .collect(),
        )
    }

    /// [`Principal::may`], or the 403 that says what is missing.
    pub fn require(&self, roles: &[Role], site: Option<SiteId>) -> Result<(), ApiError> {
        if self.may(roles, site) {
            return Ok(());
        }
        let names: Vec<&str> = roles.iter().map(|r| role_name(*r)).collect();
        let at = site.map_or_else(
            || messages::say!(crate::MESSAGES, "any-site").to_owned(),
            |s| messages::say!(crate::MESSAGES, "site", site = s),
        );
        Err(ApiError::Forbidden(messages::say!(
            crate::MESSAGES,
            "this-needs-role-at-ask",
            role = names.join(" or "),
            at = at
        )))
    }
}

/// The sites a staff member serves with some roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A grant for every site.
    Everywhere,
    Sites(std::collections::BTreeSet<SiteId>),
}

impl Scope {
    pub fn covers(&self, site: SiteId) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Sites(sites) => sites.contains(&site),
        }
    }

    /// Whether one of `sites` is covered.
    pub fn meets<'a>(&self, mut sites: impl Iterator<Item = &'a SiteId>) -> bool {
        match self {
            Scope::Everywhere => true,
            Scope::Sites(mine) => sites.any(|s| mine.contains(s)),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized(messages::say!(crate::MESSAGES, "sign-in-first")))
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

/// What a route needs from its caller. A web page and the JSON route that
/// do the same thing declare the same need ([`Routes::page`] with
/// [`Routes::same_as`]); only the door differs ([`Door`]).
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
    /// A staff member holding one of these roles for every site (a grant
    /// without a site): what belongs to no site yet, such as opening one.
    Everywhere(&'static [Role]),
    /// An administrator of every site: accounts, erasure, audit.
    Admin,
}

impl Need {
    /// What the need asks of staff, for comparing two doors to one
    /// operation: a manage link's route is, for staff, a front-desk route
    /// checked at the appointment's site; an optional one asks nothing.
    pub fn for_staff(self) -> Need {
        match self {
            Need::ResidentLink => Need::Staff(FRONT_DESK),
            Need::Optional => Need::Public,
            other => other,
        }
    }

    /// Whether the need asks for staff credentials.
    pub fn is_staff_only(self) -> bool {
        matches!(self, Need::Staff(_) | Need::Everywhere(_) | Need::Admin)
    }
}

/// How a route is reached: a JSON API answers a caller without credentials
/// with 401, a page for staff sends them to the sign-in page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Api,
    Page,
}

/// The other door to a page's operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Twin {
    /// Not said: a page that changes something must say (a test checks).
    Unsaid,
    /// The JSON route that does the same thing: both declare one need.
    Api(Verb, &'static str),
    /// The page has no JSON twin (signing out of the pages, a preview).
    None,
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
    pub door: Door,
    pub twin: Twin,
    /// What it reads and answers, for the OpenAPI document.
    pub doc: Option<Doc>,
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
    pub fn route<H, T>(self, verb: Verb, path: &'static str, need: Need, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(verb, path, need, Door::Api, handler)
    }

    /// Adds a web page: as [`Routes::route`], but a visitor without
    /// credentials on a staff page is sent to the sign-in page.
    pub fn page<H, T>(self, verb: Verb, path: &'static str, need: Need, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.add(verb, path, need, Door::Page, handler)
    }

    /// Says that the page just added does what `verb path` of the JSON API
    /// does (or, with [`Twin::None`], that it has no twin).
    pub fn same_as(mut self, twin: Twin) -> Self {
        if let Some(last) = self.rules.last_mut() {
            last.twin = twin;
        }
        self
    }

    /// Says what the route just added reads and answers.
    pub fn doc(mut self, doc: Doc) -> Self {
        if let Some(last) = self.rules.last_mut() {
            last.doc = Some(doc);
        }
        self
    }

    fn add<H, T>(
        mut self,
        verb: Verb,
        path: &'static str,
        need: Need,
        door: Door,
        handler: H,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        self.router = self.router.route(path, on(verb.filter(), handler));
        self.rules.push(Rule {
            verb,
            path,
            need,
            door,
            twin: Twin::Unsaid,
            doc: None,
        });
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
    rules: HashMap<(Method, &'static str), (Need, Door)>,
    /// The methods each path takes, for the `Allow` of a 405.
    methods: HashMap<&'static str, Vec<Method>>,
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
        let mut methods: HashMap<&'static str, Vec<Method>> = HashMap::new();
        for r in rules {
            let taken = methods.entry(r.path).or_default();
            taken.push(r.verb.method());
            if r.verb == Verb::Get {
                taken.push(Method::HEAD);
            }
        }
        AccessPolicy {
            rules: rules
                .iter()
                .map(|r| ((r.verb.method(), r.path), (r.need, r.door)))
                .collect(),
            methods,
            authenticator,
            origin,
        }
    }
}

fn changes_something(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub use contracts::mac::same_bytes as same_secret;

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
                ApiError::Unauthorized(messages::say!(
                    crate::MESSAGES,
                    "authorization-header-must-be-bearer"
                ))
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
    let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| {
        ApiError::TooLarge(messages::say!(crate::MESSAGES, "this-form-is-too-large"))
    })?;
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

/// Where to send someone back to after a form or a sign-in: a path of this
/// site only. Control characters are dropped (browsers drop them too, so
/// `/\t/evil.example` would read as `//evil.example`); anything that is not
/// one leading `/` followed by a character other than `/` or `\\` is
/// refused for `/`; what a header cannot carry is percent-encoded.
pub fn safe_return(raw: Option<&str>) -> String {
    let kept: String = raw
        .unwrap_or("/")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let mut chars = kept.chars();
    let fits = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    if !fits {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(kept.len());
    for c in kept.chars() {
        if c.is_ascii_graphic() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
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
    let Some((need, door)) = policy.rules.get(&(method.clone(), path.as_str())).copied() else {
        // The path is declared, the method is not: 405 with what it takes.
        if let Some(allowed) = policy.methods.get(path.as_str()) {
            return Err(ApiError::MethodNotAllowed {
                method: request.method().to_string(),
                allowed: allowed.iter().map(ToString::to_string).collect(),
            });
        }
        return Err(ApiError::Internal(messages::say!(
            crate::MESSAGES,
            "route-has-no-access-rule",
            method = method,
            path = path.as_str()
        )));
    };
    if changes_something(&method)
        && let (Some(expected), Some(origin)) =
            (&policy.origin, request.headers().get(header::ORIGIN))
        && origin.as_bytes() != expected.as_bytes()
    {
        return Err(ApiError::Forbidden(messages::say!(
            crate::MESSAGES,
            "this-request-comes-from-page"
        )));
    }
    let optional = match need {
        Need::Public => return Ok((request, None)),
        Need::Optional | Need::ResidentLink => true,
        Need::Staff(_) | Need::Everywhere(_) | Need::Admin => false,
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
        if door == Door::Page {
            return Err(ApiError::SignIn(sign_in_address(request.uri())));
        }
        return Err(ApiError::Unauthorized(messages::say!(
            crate::MESSAGES,
            "sign-in-first-this-needs"
        )));
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
            return Err(ApiError::Forbidden(messages::say!(
                crate::MESSAGES,
                "this-form-is-out-of"
            )));
        }
    }
    match need {
        Need::Admin if !principal.is_admin() => {
            return Err(ApiError::Forbidden(messages::say!(
                crate::MESSAGES,
                "this-needs-administrator-of-every"
            )));
        }
        Need::Everywhere(roles) if !principal.may_everywhere(roles) => {
            let names: Vec<&str> = roles.iter().map(|r| role_name(*r)).collect();
            return Err(ApiError::Forbidden(messages::say!(
                crate::MESSAGES,
                "this-needs-role-for-every",
                role = names.join(" or ")
            )));
        }
        Need::Staff(roles) => {
            let site = path_site(&mut request).await?;
            principal.require(roles, site)?;
        }
        _ => {}
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
    fn going_back_stays_on_this_site() {
        assert_eq!(safe_return(Some("/rdv/x?y=1")), "/rdv/x?y=1");
        assert_eq!(safe_return(Some("/")), "/");
        assert_eq!(safe_return(None), "/");
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example",
            "\t//evil.example",
            "https://evil.example",
            "evil.example",
            "",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
        ] {
            assert_eq!(safe_return(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_return(Some("/a b/é")), "/a%20b/%C3%A9");
    }
}
