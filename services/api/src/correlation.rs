//! What every request carries from the server's first middleware: its
//! correlation id (every log line of the request and every event it writes
//! carry it) and its time (`Now`, from the app's clock: every decision the
//! request makes and every event it writes take it).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ApiError;

pub const CORRELATION_HEADER: HeaderName = HeaderName::from_static("x-correlation-id");

/// Set on every request by the server's first middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrelationId(pub Uuid);

impl CorrelationId {
    /// The caller's `X-Correlation-Id` when it is a UUID (events store
    /// correlation ids as UUIDs), otherwise a new UUID v7.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        CorrelationId(
            value
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Uuid::parse_str(v.trim()).ok())
                .unwrap_or_else(Uuid::now_v7),
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CorrelationId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<CorrelationId>()
            .copied()
            .unwrap_or_else(|| CorrelationId(Uuid::now_v7())))
    }
}

/// When the request is handled, read once from the app's clock by the
/// server's first middleware.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now(pub DateTime<Utc>);

impl<S: Send + Sync> FromRequestParts<S> for Now {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Now>().copied().ok_or_else(|| {
            ApiError::Internal(
                "the request has no time: the server's middleware reads it from the clock".into(),
            )
        })
    }
}
