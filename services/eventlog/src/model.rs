//! The values that go into and come out of the log.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreError;

/// Longest stream name accepted, in bytes.
pub const MAX_STREAM_NAME: usize = 200;
/// Longest event type accepted, in bytes.
pub const MAX_EVENT_TYPE: usize = 200;

/// Global position of an event in the log: strictly increasing in commit
/// order, starting at 1. Position 0 means "before the first event".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Position(pub u64);

impl Position {
    /// Before the first event: reading after it reads everything.
    pub const START: Position = Position(0);
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A stream's name: `category-id`, e.g. `appointment-0192…`. The category is
/// the part before the first `-` (the whole name when there is none).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamName(String);

impl StreamName {
    /// Checks a name: 1 to 200 bytes, no control characters, no white space
    /// at either end.
    pub fn new(name: impl Into<String>) -> Result<Self, StoreError> {
        let name = name.into();
        if name.is_empty() || name.len() > MAX_STREAM_NAME {
            return Err(StoreError::InvalidInput(format!(
                "stream name must be 1 to {MAX_STREAM_NAME} bytes long, got {}",
                name.len()
            )));
        }
        if name.chars().any(char::is_control) || name.trim() != name {
            return Err(StoreError::InvalidInput(format!(
                "stream name {name:?} has control characters or surrounding spaces"
            )));
        }
        Ok(StreamName(name))
    }

    /// `category` + `-` + `id`.
    pub fn of(category: &str, id: impl fmt::Display) -> Result<Self, StoreError> {
        Self::new(format!("{category}-{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn category(&self) -> &str {
        category_of(&self.0)
    }
}

/// The category of a stream name: the part before the first `-`.
pub fn category_of(stream: &str) -> &str {
    stream.split_once('-').map_or(stream, |(c, _)| c)
}

impl TryFrom<String> for StreamName {
    type Error = StoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        StreamName::new(value)
    }
}

impl From<StreamName> for String {
    fn from(value: StreamName) -> Self {
        value.0
    }
}

impl fmt::Display for StreamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the writer believes about the stream before its append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// No check.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must have at least one event.
    StreamExists,
    /// The stream's last event must have this version (versions start at 0).
    Exact(u64),
}

impl ExpectedVersion {
    /// Whether a stream whose last version is `actual` (None: no stream)
    /// satisfies this expectation.
    pub fn admits(self, actual: Option<u64>) -> bool {
        match self {
            ExpectedVersion::Any => true,
            ExpectedVersion::NoStream => actual.is_none(),
            ExpectedVersion::StreamExists => actual.is_some(),
            ExpectedVersion::Exact(v) => actual == Some(v),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedVersion::Any => f.write_str("any version"),
            ExpectedVersion::NoStream => f.write_str("no stream"),
            ExpectedVersion::StreamExists => f.write_str("an existing stream"),
            ExpectedVersion::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// A staff member, by account id.
    Staff(Uuid),
    /// A resident acting through their own link, by resident id.
    Resident(Uuid),
    /// The system itself: a named process (`reminders`, `demo`, `migration`…).
    System(String),
}

impl Actor {
    /// The stored form: `staff:<uuid>`, `resident:<uuid>`, `system:<name>`.
    pub fn to_stored(&self) -> String {
        self.to_string()
    }

    /// Reads the stored form back.
    pub fn from_stored(s: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::Corrupt(format!("actor {s:?} is not kind:id"));
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        match kind {
            "staff" => Ok(Actor::Staff(Uuid::parse_str(rest).map_err(|_| bad())?)),
            "resident" => Ok(Actor::Resident(Uuid::parse_str(rest).map_err(|_| bad())?)),
            "system" => Ok(Actor::System(rest.to_owned())),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "staff:{id}"),
            Actor::Resident(id) => write!(f, "resident:{id}"),
            Actor::System(name) => write!(f, "system:{name}"),
        }
    }
}

/// Who did it, why, and when: carried by every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub actor: Actor,
    /// Shared by everything done for one request or one handled event.
    pub correlation_id: Uuid,
    /// The event or command that caused this one, when there is one.
    pub causation_id: Option<Uuid>,
    /// When the event happened, UTC, microsecond precision.
    pub recorded_at: DateTime<Utc>,
}

impl Metadata {
    /// Metadata for something done at `at` by `actor` within
    /// `correlation_id` (the time from the doer's [`crate::Clock`]).
    pub fn new(actor: Actor, correlation_id: Uuid, at: DateTime<Utc>) -> Self {
        Metadata {
            actor,
            correlation_id,
            causation_id: None,
            recorded_at: truncate_to_micros(at),
        }
    }

    /// The same, caused by `causation_id`.
    pub fn caused_by(mut self, causation_id: Uuid) -> Self {
        self.causation_id = Some(causation_id);
        self
    }
}

/// Drops the nanoseconds below a microsecond: what every backend stores.
pub fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

pub(crate) fn micros_to_time(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("recorded_at {micros} is out of range")))
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Makes retries idempotent: the same id is never written twice.
    pub event_id: Uuid,
    pub event_type: String,
    /// JSON text (the proto3 JSON mapping of the event's message).
    pub payload: Vec<u8>,
    pub metadata: Metadata,
}

impl NewEvent {
    /// An event whose payload is `payload` serialized as JSON, with a fresh
    /// UUID v7 as its id.
    pub fn json<T: Serialize + ?Sized>(
        event_type: impl Into<String>,
        payload: &T,
        metadata: Metadata,
    ) -> Result<Self, StoreError> {
        let payload = serde_json::to_vec(payload)
            .map_err(|e| StoreError::InvalidInput(format!("payload does not serialize: {e}")))?;
        Self::raw(Uuid::now_v7(), event_type, payload, metadata)
    }

    /// An event from JSON bytes that are checked to be one JSON value.
    pub fn raw(
        event_id: Uuid,
        event_type: impl Into<String>,
        payload: Vec<u8>,
        metadata: Metadata,
    ) -> Result<Self, StoreError> {
        let event_type = event_type.into();
        if event_type.is_empty()
            || event_type.len() > MAX_EVENT_TYPE
            || event_type
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(StoreError::InvalidInput(format!(
                "event type {event_type:?} must be 1 to {MAX_EVENT_TYPE} bytes without spaces"
            )));
        }
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&payload) {
            return Err(StoreError::InvalidInput(format!(
                "payload of {event_type} is not JSON: {e}"
            )));
        }
        Ok(NewEvent {
            event_id,
            event_type,
            payload,
            metadata: Metadata {
                recorded_at: truncate_to_micros(metadata.recorded_at),
                ..metadata
            },
        })
    }
}

/// An event as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    pub position: Position,
    pub stream: String,
    /// The event's version in its stream, from 0.
    pub version: u64,
    pub event_type: String,
    pub event_id: Uuid,
    pub payload: Vec<u8>,
    pub metadata: Metadata,
}

impl RecordedEvent {
    pub fn category(&self) -> &str {
        category_of(&self.stream)
    }

    /// Decodes the payload.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T, StoreError> {
        serde_json::from_slice(&self.payload).map_err(|e| {
            StoreError::Corrupt(format!(
                "event {} at position {} ({}) does not decode: {e}",
                self.event_id, self.position, self.event_type
            ))
        })
    }
}

/// What an append wrote (or, for an idempotent retry, had written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendResult {
    /// Version of the stream's last event after the append: the expected
    /// version for the next one. `None` only for an empty append to a stream
    /// that does not exist.
    pub next_expected: Option<u64>,
    /// Position of the first event written (None for an empty append).
    pub first_position: Option<Position>,
    /// Position of the last event written.
    pub last_position: Option<Position>,
}

/// Which events a reader wants. Empty lists mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Stream categories (the part of the name before the first `-`).
    pub categories: Vec<String>,
    /// Event types, exactly.
    pub event_types: Vec<String>,
}

impl Filter {
    pub fn all() -> Self {
        Filter::default()
    }

    pub fn categories<I, S>(categories: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter {
            categories: categories.into_iter().map(Into::into).collect(),
            event_types: Vec::new(),
        }
    }

    pub fn event_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.event_types = types.into_iter().map(Into::into).collect();
        self
    }

    pub fn is_all(&self) -> bool {
        self.categories.is_empty() && self.event_types.is_empty()
    }

    pub fn matches(&self, stream: &str, event_type: &str) -> bool {
        (self.categories.is_empty() || self.categories.iter().any(|c| c == category_of(stream)))
            && (self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type))
    }
}

/// Longest a group commit waits for more requests when writers are
/// concurrent: a fraction of a commit's own cost.
pub(crate) const GATHER_WINDOW: std::time::Duration = std::time::Duration::from_micros(300);

/// How many requests a group commit waits for, given how many the last
/// group carried: three quarters of them, so that stragglers go into the
/// next group instead of holding this one up; 1 (no wait) for a lone writer.
pub(crate) fn gather_target(last_group: usize, max: usize) -> usize {
    (last_group * 3 / 4).clamp(1, max)
}

/// Events to append to one stream if it is at `expected`: one request of a
/// group commit, or one part of [`crate::EventStore::append_with`].
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub stream: StreamName,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
}

/// A wrapped data key to store with an append (see
/// [`crate::EventStore::append_with`]): kept unless the owner has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub owner: Uuid,
    pub wrapped: Vec<u8>,
}

/// What the log knows about events that already carry the ids of an append.
#[derive(Debug, Clone)]
pub(crate) struct ExistingEvent {
    pub stream: String,
    pub version: u64,
    pub position: u64,
}

/// Decides an append that found some of its event ids already written: an
/// idempotent retry returns the original result; anything else is refused.
pub(crate) fn judge_retry(
    request: &AppendRequest,
    existing: &[Option<ExistingEvent>],
) -> Result<AppendResult, crate::AppendError> {
    let mismatch = || crate::AppendError::DuplicateEventIds {
        stream: request.stream.to_string(),
    };
    let mut previous: Option<&ExistingEvent> = None;
    for found in existing {
        let found = found.as_ref().ok_or_else(mismatch)?;
        if found.stream != request.stream.as_str() {
            return Err(mismatch());
        }
        if let Some(p) = previous
            && (found.version != p.version + 1 || found.position <= p.position)
        {
            return Err(mismatch());
        }
        previous = Some(found);
    }
    let (Some(first), Some(last)) = (
        existing.first().and_then(Option::as_ref),
        existing.last().and_then(Option::as_ref),
    ) else {
        return Err(mismatch());
    };
    // The retry must carry an expectation the original append could have met.
    let before = first.version.checked_sub(1);
    if !request.expected.admits(before) {
        return Err(crate::AppendError::WrongExpectedVersion {
            stream: request.stream.to_string(),
            expected: request.expected,
            actual: Some(last.version),
        });
    }
    Ok(AppendResult {
        next_expected: Some(last.version),
        first_position: Some(Position(first.position)),
        last_position: Some(Position(last.position)),
    })
}
