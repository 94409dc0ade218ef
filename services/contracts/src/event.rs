//! Events: generated messages that go into the log as proto3 JSON.

use eventlog::{Metadata, NewEvent, RecordedEvent, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A message that is an event: its type name in the log is the message's
/// full protobuf name, e.g. `creneau.residents.v1.ResidentRegistered`.
pub trait Event: prost::Name + Serialize + DeserializeOwned + Default + Send + Sync {}

impl<T: prost::Name + Serialize + DeserializeOwned + Default + Send + Sync> Event for T {}

/// Why an event could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("event {event_type} at position {position} does not decode: {source}")]
    Decode {
        event_type: String,
        position: u64,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The event, ready to append, with a fresh UUID v7 id.
pub fn to_new_event<E: Event>(event: &E, metadata: Metadata) -> Result<NewEvent, StoreError> {
    NewEvent::json(E::full_name(), event, metadata)
}

/// The payload as `E` when the recorded event is of that type.
pub fn decode_event<E: Event>(recorded: &RecordedEvent) -> Result<Option<E>, ContractError> {
    // `package.Name`, compared without building the name: folds try
    // several types per event, millions of times.
    let is = recorded
        .event_type
        .strip_prefix(E::PACKAGE)
        .and_then(|rest| rest.strip_prefix('.'))
        == Some(E::NAME);
    if !is {
        return Ok(None);
    }
    serde_json::from_slice(&recorded.payload)
        .map(Some)
        .map_err(|source| ContractError::Decode {
            event_type: recorded.event_type.clone(),
            position: recorded.position.0,
            source,
        })
}

/// One entry of the registry of event messages.
pub struct EventType {
    /// Full protobuf name: the event type in the log.
    pub name: &'static str,
    /// A JSON payload that sets every field.
    pub sample: &'static str,
    /// Decodes JSON into the generated message and encodes it back.
    pub roundtrip: fn(&[u8]) -> Result<Vec<u8>, serde_json::Error>,
}

fn roundtrip<E: Event>(json: &[u8]) -> Result<Vec<u8>, serde_json::Error> {
    let message: E = serde_json::from_slice(json)?;
    serde_json::to_vec(&message)
}

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_round_trips_through_its_generated_message() {
        assert!(
            EVENT_TYPES.len() >= 3,
            "the registry lists the event messages"
        );
        for t in EVENT_TYPES {
            let back =
                (t.roundtrip)(t.sample.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", t.name));
            let original: serde_json::Value =
                serde_json::from_str(t.sample).expect("sample is JSON");
            let back: serde_json::Value = serde_json::from_slice(&back).expect("output is JSON");
            assert_eq!(original, back, "{} loses or changes a field", t.name);
            assert!(
                original.as_object().is_some_and(|o| !o.is_empty()),
                "{} sample sets fields",
                t.name
            );
        }
    }

    #[test]
    fn event_type_names_are_the_full_protobuf_names() {
        use crate::proto::residents::v1::ResidentErased;
        use prost::Name;
        assert_eq!(
            ResidentErased::full_name(),
            "creneau.residents.v1.ResidentErased"
        );
        assert!(
            EVENT_TYPES
                .iter()
                .any(|t| t.name == "creneau.residents.v1.ResidentErased")
        );
    }

    #[test]
    fn payloads_use_the_proto3_json_mapping() {
        use crate::proto::residents::v1::ResidentErased;
        let e = ResidentErased {
            resident_id: "r1".into(),
            cause: "request".into(),
        };
        let meta = Metadata::new(
            eventlog::Actor::System("test".into()),
            uuid::Uuid::now_v7(),
            chrono::DateTime::from_timestamp(1_796_900_000, 0).expect("time"),
        );
        let new = to_new_event(&e, meta.clone()).expect("event");
        assert_eq!(new.event_type, "creneau.residents.v1.ResidentErased");
        assert_eq!(
            String::from_utf8_lossy(&new.payload),
            r#"{"residentId":"r1","cause":"request"}"#
        );
        let recorded = RecordedEvent {
            position: eventlog::Position(1),
            stream: "resident-r1".into(),
            version: 0,
            event_type: new.event_type,
            event_id: new.event_id,
            payload: new.payload,
            metadata: meta,
        };
        assert_eq!(
            decode_event::<ResidentErased>(&recorded).expect("decode"),
            Some(e)
        );
        assert_eq!(
            decode_event::<crate::proto::residents::v1::ResidentRegistered>(&recorded)
                .expect("other type"),
            None
        );
    }
}
