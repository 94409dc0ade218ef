//! The one error answer of every API.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

/// What went wrong, for the person or program that asked. User mistakes are
/// 4xx with a message they can act on, said when the error is made, in the
/// request's language (each service's catalogue); a 500 says nothing
/// internal (the detail goes to the log, with the request's correlation
/// id).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A field of a well-formed request holds a value that cannot be used:
    /// 422, naming the field and what is accepted.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// Not signed in, or the credentials no longer work.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request fits no longer: someone changed the thing meanwhile, or it
    /// already exists.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts: try again after `retry_after`.
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after: Duration,
    },
    /// The address exists, not with this method: 405 with `Allow`.
    #[error("{}", messages::say!(crate::MESSAGES, "method-not-allowed", method = .method, allowed = .allowed.join(", ")))]
    MethodNotAllowed {
        method: String,
        allowed: Vec<String>,
    },
    /// The body is larger than any request of this API needs.
    #[error("{0}")]
    TooLarge(String),
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A staff page asked without a session: a redirect (303) to this
    /// address of the sign-in page.
    #[error("sign in first")]
    SignIn(String),
}

impl ApiError {
    /// An internal failure, with the whole chain of its causes for the log
    /// ("the calendar could not answer: the log refused an append: disk
    /// full"); the caller only ever reads that something went wrong.
    ///
    /// A database that does not answer (its cause is an
    /// [`eventlog::Unreachable`]) is not an internal failure: the answer is
    /// 503 with `Retry-After`, and the same request may be sent again.
    pub fn internal(e: impl std::error::Error + 'static) -> Self {
        if eventlog::StoreError::is_unreachable(&e) {
            tracing::warn!(error = %chain(&e), "the event log does not answer");
            return ApiError::Unavailable(messages::say!(
                crate::MESSAGES,
                "the-log-does-not-answer"
            ));
        }
        ApiError::Internal(chain(&e))
    }

    /// The machine-readable code of the answer's `error` field.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Invalid { .. } => "invalid",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooMany { .. } => "too_many_attempts",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
            ApiError::SignIn(_) => "sign_in",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::SignIn(_) => StatusCode::SEE_OTHER,
        }
    }
}

/// The field serde names between backticks ("missing field `phone`",
/// "unknown field `nmae`, expected one of …"), or "body".
fn field_in(text: &str) -> String {
    text.split('`')
        .nth(1)
        .filter(|_| text.contains("field `"))
        .unwrap_or("body")
        .to_owned()
}

/// A JSON body read after the caller's access was checked (handlers that
/// must not tell a stranger what a body should hold): 422 naming the field
/// for a body that does not fit, 400 for one that is not JSON.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        if e.is_data() || e.is_eof() && !bytes.is_empty() {
            ApiError::Invalid {
                field: field_in(&text),
                message: messages::say!(crate::MESSAGES, "body-does-not-fit-this", text = text),
            }
        } else {
            ApiError::BadRequest(messages::say!(
                crate::MESSAGES,
                "send-body-as-json",
                text = text
            ))
        }
    })
}

/// An id from the address, or a 404 that says the address is wrong: `what`
/// names the kind of id ("site", "staff"…).
pub fn path_id<T: std::str::FromStr>(what: &str, raw: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::NotFound(messages::say!(
            crate::MESSAGES,
            "is-not-id-check-address",
            raw = format!("{:?}", raw),
            what = what
        ))
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::SignIn(to) = &self {
            return (StatusCode::SEE_OTHER, [(header::LOCATION, to.clone())]).into_response();
        }
        let status = self.status();
        let message = match &self {
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                messages::say!(crate::MESSAGES, "something-went-wrong-on-our")
            }
            ApiError::Unavailable(m) => messages::say!(crate::MESSAGES, "not-ready", what = m),
            ApiError::Invalid { field, message } => format!("{field}: {message}"),
            other => other.to_string(),
        };
        let code = self.code();
        let body = ErrorBody {
            error: code,
            message,
            field: match &self {
                ApiError::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::TooMany { retry_after, .. } = &self
            && let Ok(v) = HeaderValue::from_str(&retry_after.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if let ApiError::Unavailable(_) = &self {
            // Ready again in a few seconds, as a rule (a restart, a
            // failover): `/readyz` says when.
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        if let ApiError::MethodNotAllowed { allowed, .. } = &self
            && let Ok(v) = HeaderValue::from_str(&allowed.join(", "))
        {
            response.headers_mut().insert(header::ALLOW, v);
        }
        response
    }
}

/// The body of every error answer.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(example = ErrorBody::example())]
pub struct ErrorBody {
    /// What went wrong, for programs: `bad_request`, `invalid`,
    /// `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `too_many_attempts`, `method_not_allowed`, `too_large`,
    /// `unavailable`, `internal` (and `slot_taken` for a booking).
    pub error: &'static str,
    /// What went wrong and what to do, for people, in the request's
    /// language.
    pub message: String,
    /// With `invalid`: the field that holds the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ErrorBody {
    fn example() -> ErrorBody {
        ErrorBody {
            error: "invalid",
            message: "phone: this is not a phone number; write it as 06 12 34 56 78".into(),
            field: Some("phone".into()),
        }
    }
}

/// `axum::Json`, whose rejection is an [`ApiError`] that says what is wrong
/// with the body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::BadRequest(
                messages::say!(crate::MESSAGES, "send-body-as-json-with"),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest(messages::say!(
                crate::MESSAGES,
                "body-is-not-valid-json",
                body_text = e.body_text()
            ))),
            Err(JsonRejection::JsonDataError(e)) => {
                // serde names the field between backticks: "missing field
                // `phone`", "unknown field `nmae`, expected one of …".
                let text = e.body_text();
                Err(ApiError::Invalid {
                    field: field_in(&text),
                    message: messages::say!(crate::MESSAGES, "body-does-not-fit-this", text = text),
                })
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// The largest body any request takes (the app's `DefaultBodyLimit`).
pub const MAX_BODY: usize = 256 * 1024;

/// The answer to a body over [`MAX_BODY`].
pub fn too_large() -> ApiError {
    ApiError::TooLarge(messages::say!(crate::MESSAGES, "this-request-is-too-large"))
}

/// Middleware: an answer the framework wrote itself (a body over the
/// limit, a method a route does not take) goes out as the app's own error,
/// in the caller's language.
pub async fn uniform_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().to_string();
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE if !is_json => too_large().into_response(),
        StatusCode::METHOD_NOT_ALLOWED if !is_json => {
            let allowed = response
                .headers()
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.split(',').map(|m| m.trim().to_owned()).collect())
                .unwrap_or_default();
            ApiError::MethodNotAllowed { method, allowed }.into_response()
        }
        _ => response,
    }
}

/// `axum::extract::Query`, whose rejection is a 422 naming the parameter
/// (or a 400), in the app's own error format.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_like(query).map(ApiQuery)
    }
}

/// Reads a query string with axum's own deserializer, mapping its error.
fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let uri: axum::http::Uri = format!("/?{query}").parse().map_err(|_| {
        ApiError::BadRequest(messages::say!(
            crate::MESSAGES,
            "addresss-query-string-is-not"
        ))
    })?;
    axum::extract::Query::<T>::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| {
            let text = e.body_text();
            ApiError::Invalid {
                field: field_in(&text),
                message: messages::say!(
                    crate::MESSAGES,
                    "addresss-parameters-do-not-fit",
                    text = text
                ),
            }
        })
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// An error and its causes, outermost first, joined with ": " (a cause
/// whose text its wrapper already shows is not repeated).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod chain_tests {
    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error("the calendar could not answer")]
        Calendar(#[source] Inner),
    }
    #[derive(Debug, thiserror::Error)]
    #[error("disk full")]
    struct Inner;

    #[test]
    fn an_internal_error_keeps_its_causes() {
        let e = super::ApiError::internal(Outer::Calendar(Inner));
        assert!(
            matches!(&e, super::ApiError::Internal(d) if d == "the calendar could not answer: disk full"),
            "{e:?}"
        );
    }
}
