//! `creneau debug …`: helpers for fault-injection tests, hidden from help.

use std::io::Write;
use std::sync::Arc;

use eventlog::{Actor, Clock, EventStore, ExpectedVersion, Metadata, NewEvent, StreamName};

/// Appends `batch` events to `durable-<i>` for i = 0, 1, 2… forever, and
/// prints `acked <i> <last position>` after each acknowledged append, so a
/// test can kill it at any moment and check what survived.
pub async fn append_loop(
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    batch: usize,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    for i in 0u64.. {
        let events = (0..batch)
            .map(|k| {
                NewEvent::json(
                    "creneau.debug.v1.Durable",
                    &serde_json::json!({ "i": i, "k": k, "padding": "x".repeat(200) }),
                    Metadata::new(
                        Actor::System("append-loop".into()),
                        uuid::Uuid::now_v7(),
                        clock.now(),
                    ),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let r = store
            .append(
                &StreamName::of("durable", i)?,
                ExpectedVersion::NoStream,
                events,
            )
            .await?;
        writeln!(out, "acked {i} {}", r.last_position.map_or(0, |p| p.0))?;
        out.flush()?;
    }
    Ok(())
}

/// The reminders' rounds, forever, printing `round <sent> <found>` after
/// each that did something, for a test that kills this process at any
/// moment and counts what the provider received.
pub async fn reminders_loop(
    config: &crate::config::Config,
    store: Arc<dyn EventStore>,
    identity: identity::Identity,
    lease: std::time::Duration,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let settings = reminders::Settings {
        lease,
        notices_within: chrono::Duration::days(2),
        ..config.sms.reminders.clone()
    };
    let clock = identity.clock();
    let service = reminders::Reminders::new(
        store,
        identity.vault().clone(),
        Arc::new(identity),
        crate::setup::senders(config)?,
        settings,
        clock,
    )
    .await?;
    loop {
        let round = service.round().await?;
        if round != reminders::Round::default() {
            writeln!(out, "round {} {}", round.sent, round.found_by_lookup)?;
            out.flush()?;
        } else {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}
