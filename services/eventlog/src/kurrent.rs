//! The KurrentDB backend (formerly EventStoreDB), on the official client.
//!
//! Mapping: streams and expected versions map one to one (`StreamState`);
//! a [`Position`] is the commit position in `$all`, which KurrentDB assigns
//! in commit order, so subscriptions cannot skip a late commit. Our metadata
//! travels as the event's custom metadata (JSON, with KurrentDB's own
//! `$correlationId` and `$causationId` keys). Category filters become a
//! server-side stream-prefix filter on `$all`; event types are checked here.
//! KurrentDB has no tables, so checkpoints and data keys go to a SQLite
//! file beside it. KurrentDB's idempotence is its own: it recognises a retry
//! by event ids when the expected version is exact, but does not refuse the
//! same ids in another stream the way the SQL backends do.

use std::sync::Arc;

use async_trait::async_trait;
use kurrentdb::{
    AppendToStreamOptions, Client, ClientSettings, EventData, ReadAllOptions, ReadStreamOptions,
    StreamPosition, StreamState, SubscribeToAllOptions, SubscriptionFilter,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::error::{AppendError, StoreError};
use crate::model::{
    Actor, AppendRequest, AppendResult, ExpectedVersion, Filter, Metadata, NewEvent, NewKey,
    Position, RecordedEvent, StreamName, micros_to_time,
};
use crate::sqlite::SqliteStore;
use crate::store::{EventStore, KeyTable, raise_wake};

/// The custom metadata of every event written by Créneau.
#[derive(Serialize, Deserialize)]
struct StoredMetadata {
    actor: String,
    #[serde(rename = "$correlationId")]
    correlation_id: Uuid,
    #[serde(
        rename = "$causationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    causation_id: Option<Uuid>,
    #[serde(rename = "recordedAt")]
    recorded_at: i64,
}

/// The KurrentDB event store, with a SQLite side file for checkpoints and
/// data keys. Cheap to clone.
#[derive(Clone)]
pub struct KurrentStore {
    client: Client,
    side: SqliteStore,
    wake: Arc<watch::Sender<u64>>,
}

fn backend(e: kurrentdb::Error) -> StoreError {
    StoreError::Backend(format!("kurrentdb: {e}"))
}

impl KurrentStore {
    /// Connects to `url` (`kurrentdb://host:2113?tls=false`, `esdb://…`).
    pub async fn open(url: &str, side: SqliteStore) -> Result<Self, StoreError> {
        let settings: ClientSettings = url
            .parse()
            .map_err(|e| StoreError::Open(format!("kurrentdb: bad URL {url}: {e}")))?;
        let client =
            Client::new(settings).map_err(|e| StoreError::Open(format!("kurrentdb: {e}")))?;
        let store = KurrentStore {
            client,
            side,
            wake: Arc::new(watch::channel(0).0),
        };
        let head = store.head().await.map_err(|e| {
            StoreError::Open(format!(
                "cannot reach KurrentDB at {url}: {e}: is the server running?"
            ))
        })?;
        store.wake.send_replace(head.0);
        tokio::spawn(follow(store.client.clone(), Arc::downgrade(&store.wake)));
        Ok(store)
    }
}

/// Wakes subscriptions on every event appended to `$all`, for as long as the
/// store exists.
async fn follow(client: Client, wake: std::sync::Weak<watch::Sender<u64>>) {
    let options = SubscribeToAllOptions::default()
        .position(StreamPosition::End)
        .filter(SubscriptionFilter::on_stream_name().exclude_system_events());
    let mut subscription = client.subscribe_to_all(&options).await;
    loop {
        let next = subscription.next().await;
        let Some(wake) = wake.upgrade() else { return };
        match next {
            Ok(event) => {
                let p = event.get_original_event().position.commit;
                raise_wake(&wake, p);
            }
            Err(e) => {
                tracing::warn!(error = %e, "kurrentdb subscription failed; subscriptions fall back to polling");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                subscription = client.subscribe_to_all(&options).await;
            }
        }
    }
}

fn stream_state(expected: ExpectedVersion) -> StreamState {
    match expected {
        ExpectedVersion::Any => StreamState::Any,
        ExpectedVersion::NoStream => StreamState::NoStream,
        ExpectedVersion::StreamExists => StreamState::StreamExists,
        ExpectedVersion::Exact(v) => StreamState::StreamRevision(v),
    }
}

fn to_event_data(event: NewEvent) -> Result<EventData, StoreError> {
    let metadata = StoredMetadata {
        actor: event.metadata.actor.to_stored(),
        correlation_id: event.metadata.correlation_id,
        causation_id: event.metadata.causation_id,
        recorded_at: event.metadata.recorded_at.timestamp_micros(),
    };
    let payload: serde_json::Value = serde_json::from_slice(&event.payload)
        .map_err(|e| StoreError::InvalidInput(format!("payload is not JSON: {e}")))?;
    EventData::json(event.event_type, &payload)
        .and_then(|d| d.metadata_as_json(&metadata))
        .map(|d| d.id(event.event_id))
        .map_err(|e| StoreError::InvalidInput(format!("event does not serialize: {e}")))
}

fn from_recorded(event: &kurrentdb::RecordedEvent) -> Result<RecordedEvent, StoreError> {
    let metadata: StoredMetadata = serde_json::from_slice(&event.custom_metadata).map_err(|e| {
        StoreError::Corrupt(format!("event {} has no Créneau metadata: {e}", event.id))
    })?;
    Ok(RecordedEvent {
        position: Position(event.position.commit),
        stream: event.stream_id().to_owned(),
        version: event.revision,
        event_type: event.event_type.clone(),
        event_id: event.id,
        payload: event.data.to_vec(),
        metadata: Metadata {
            actor: Actor::from_stored(&metadata.actor)?,
            correlation_id: metadata.correlation_id,
            causation_id: metadata.causation_id,
            recorded_at: micros_to_time(metadata.recorded_at)?,
        },
    })
}

#[async_trait]
impl EventStore for KurrentStore {
    fn backend(&self) -> &'static str {
        "kurrentdb"
    }

    /// KurrentDB has no transaction across streams: one after another.
    async fn append_with(
        &self,
        first: AppendRequest,
        also: Vec<AppendRequest>,
        keys: Vec<NewKey>,
    ) -> Result<AppendResult, AppendError> {
        crate::store::append_in_turn(self, first, also, keys).await
    }

    fn transactional(&self) -> bool {
        false
    }

    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, AppendError> {
        if events.is_empty() {
            let last = self.read_last_version(stream).await?;
            if !expected.admits(last) {
                return Err(AppendError::WrongExpectedVersion {
                    stream: stream.to_string(),
                    expected,
                    actual: last,
                });
            }
            return Ok(AppendResult {
                next_expected: last,
                first_position: None,
                last_position: None,
            });
        }
        let data = events
            .into_iter()
            .map(to_event_data)
            .collect::<Result<Vec<_>, _>>()?;
        let options = AppendToStreamOptions::default().stream_state(stream_state(expected));
        match self
            .client
            .append_to_stream(stream.as_str(), &options, data)
            .await
        {
            Ok(result) => Ok(AppendResult {
                next_expected: Some(result.next_expected_version),
                first_position: None,
                last_position: Some(Position(result.position.commit)),
            }),
            Err(kurrentdb::Error::WrongExpectedVersion { current, .. }) => {
                Err(AppendError::WrongExpectedVersion {
                    stream: stream.to_string(),
                    expected,
                    actual: match current {
                        kurrentdb::CurrentRevision::Current(v) => Some(v),
                        kurrentdb::CurrentRevision::NoStream => None,
                    },
                })
            }
            Err(e) => Err(backend(e).into()),
        }
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let options = ReadStreamOptions::default()
            .forwards()
            .position(StreamPosition::Position(from_version))
            .max_count(max);
        let mut reader = match self.client.read_stream(stream.as_str(), &options).await {
            Ok(r) => r,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(Vec::new()),
            Err(e) => return Err(backend(e)),
        };
        let mut out = Vec::new();
        loop {
            match reader.next().await {
                Ok(Some(event)) => out.push(from_recorded(event.get_original_event())?),
                Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => return Ok(out),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
        filter: &Filter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let mut server_filter = SubscriptionFilter::on_stream_name().exclude_system_events();
        for category in &filter.categories {
            server_filter = server_filter.add_prefix(format!("{category}-"));
        }
        let start = if after.0 == 0 {
            StreamPosition::Start
        } else {
            StreamPosition::Position(kurrentdb::Position {
                commit: after.0,
                prepare: after.0,
            })
        };
        // Reading from a position includes the event there: ask for one more.
        let options = ReadAllOptions::default()
            .forwards()
            .position(start)
            .filter(server_filter)
            .max_count(max.saturating_add(1));
        let mut reader = self.client.read_all(&options).await.map_err(backend)?;
        let mut out = Vec::with_capacity(max.min(10_000));
        while out.len() < max {
            let Some(event) = reader.next().await.map_err(backend)? else {
                break;
            };
            let recorded = event.get_original_event();
            if recorded.position.commit <= after.0 || recorded.stream_id().starts_with('$') {
                continue;
            }
            if filter.matches(recorded.stream_id(), &recorded.event_type) {
                out.push(from_recorded(recorded)?);
            }
        }
        Ok(out)
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let options = ReadAllOptions::default()
            .backwards()
            .position(StreamPosition::End)
            .filter(SubscriptionFilter::on_stream_name().exclude_system_events())
            .max_count(1);
        let mut reader = self.client.read_all(&options).await.map_err(backend)?;
        Ok(match reader.next().await.map_err(backend)? {
            Some(event) => Position(event.get_original_event().position.commit),
            None => Position::START,
        })
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        self.side.load_checkpoint(name).await
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        self.side.save_checkpoint(name, position).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client.server_info().await.map(drop).map_err(backend)
    }

    fn keys(&self) -> &dyn KeyTable {
        &self.side
    }
}

impl KurrentStore {
    async fn read_last_version(&self, stream: &StreamName) -> Result<Option<u64>, StoreError> {
        let options = ReadStreamOptions::default()
            .backwards()
            .position(StreamPosition::End)
            .max_count(1);
        let mut reader = match self.client.read_stream(stream.as_str(), &options).await {
            Ok(r) => r,
            Err(kurrentdb::Error::ResourceNotFound) => return Ok(None),
            Err(e) => return Err(backend(e)),
        };
        match reader.next().await {
            Ok(Some(event)) => Ok(Some(event.get_original_event().revision)),
            Ok(None) | Err(kurrentdb::Error::ResourceNotFound) => Ok(None),
            Err(e) => Err(backend(e)),
        }
    }
}
