//! `creneau events tail` and `events stats`, through the library functions
//! the commands call, on a real SQLite store.

use std::sync::Arc;

use contracts::proto::residents::v1::ResidentRegistered;
use contracts::{Language, MasterKey, ResidentId, Vault, to_new_event};
use creneau::events::{TailArgs, stats, tail};
use eventlog::{Actor, EventStore, ExpectedVersion, Metadata};

async fn store_with_one_resident() -> (Arc<dyn EventStore>, Vault, ResidentId, std::path::PathBuf) {
    let dir =
        std::env::temp_dir().join(format!("creneau-events-{}", uuid::Uuid::new_v4().simple()));
    let store: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"));
    let vault = Vault::open(MasterKey::generate().expect("key"), Arc::clone(&store))
        .await
        .expect("vault");
    let id = ResidentId::new();
    let event = ResidentRegistered {
        resident_id: id.to_string(),
        first_name: Some(vault.seal(id.0, "Fatoumata").await.expect("seal")),
        last_name: Some(vault.seal(id.0, "Diallo").await.expect("seal")),
        phone: Some(vault.seal(id.0, "+33612345678").await.expect("seal")),
        email: None,
        language: Language::Fr as i32,
        sms_consent: true,
        email_consent: false,
        site_id: String::new(),
    };
    let meta = Metadata::new(
        Actor::System("test".into()),
        uuid::Uuid::now_v7(),
        creneau_tests::test_now(),
    );
    store
        .append(
            &id.stream(),
            ExpectedVersion::NoStream,
            vec![to_new_event(&event, meta).expect("event")],
        )
        .await
        .expect("append");
    (store, vault, id, dir)
}

fn args() -> TailArgs {
    TailArgs {
        follow: false,
        stream: None,
        category: Vec::new(),
        lines: 20,
    }
}

async fn tail_text(store: &Arc<dyn EventStore>, vault: Option<Vault>, args: TailArgs) -> String {
    let mut out = Vec::new();
    tail(Arc::clone(store), vault, args, &mut out)
        .await
        .expect("tail");
    String::from_utf8(out).expect("utf-8")
}

#[tokio::test]
async fn tail_shows_personal_values_only_with_the_key_and_never_after_erasure() {
    let (store, vault, id, dir) = store_with_one_resident().await;
    let with_key = tail_text(&store, Some(vault.clone()), args()).await;
    assert!(
        with_key.contains("creneau.residents.v1.ResidentRegistered"),
        "{with_key}"
    );
    assert!(
        with_key.contains("\"firstName\":\"Fatoumata\""),
        "{with_key}"
    );
    assert!(with_key.contains(&format!("resident-{id}@0")), "{with_key}");
    assert!(with_key.contains("by system:test"), "{with_key}");

    let without_key = tail_text(&store, None, args()).await;
    assert!(
        without_key.contains("\"firstName\":\"[sealed]\""),
        "{without_key}"
    );
    assert!(!without_key.contains("Fatoumata"));

    vault.erase(id.0).await.expect("erase");
    let erased = tail_text(&store, Some(vault), args()).await;
    assert!(erased.contains("\"firstName\":\"[erased]\""), "{erased}");
    assert!(!erased.contains("Fatoumata"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn tail_picks_a_stream_or_the_last_lines_and_stats_count_by_type() {
    let (store, vault, id, dir) = store_with_one_resident().await;
    for i in 0..30 {
        let meta = Metadata::new(
            Actor::System("test".into()),
            uuid::Uuid::now_v7(),
            creneau_tests::test_now(),
        );
        let e =
            eventlog::NewEvent::json("creneau.test.v1.Tick", &serde_json::json!({ "i": i }), meta)
                .expect("event");
        store
            .append(
                &eventlog::StreamName::new(format!("tick-{}", i % 3)).expect("name"),
                ExpectedVersion::Any,
                vec![e],
            )
            .await
            .expect("append");
    }
    let last5 = tail_text(&store, None, TailArgs { lines: 5, ..args() }).await;
    assert_eq!(last5.lines().count(), 5, "{last5}");
    assert!(
        last5.lines().last().is_some_and(|l| l.starts_with("#31 ")),
        "{last5}"
    );
    let one = tail_text(
        &store,
        Some(vault),
        TailArgs {
            stream: Some(id.stream().to_string()),
            ..args()
        },
    )
    .await;
    assert_eq!(one.lines().count(), 1, "{one}");
    let ticks = tail_text(
        &store,
        None,
        TailArgs {
            category: vec!["tick".into()],
            lines: 100,
            ..args()
        },
    )
    .await;
    assert_eq!(ticks.lines().count(), 30, "{ticks}");

    let mut out = Vec::new();
    stats(Arc::clone(&store), &mut out).await.expect("stats");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("events    31"), "{text}");
    assert!(text.contains("streams   4"), "{text}");
    assert!(text.contains("30  creneau.test.v1.Tick"), "{text}");
    assert!(text.contains("1  resident"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Hands each write to the test as it happens.
struct Lines(std::sync::mpsc::Sender<String>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = self.0.send(String::from_utf8_lossy(buf).into_owned());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tail_follow_prints_events_committed_after_it_started() {
    let (store, vault, _, dir) = store_with_one_resident().await;
    let (tx, rx) = std::sync::mpsc::channel();
    let following = {
        let store = Arc::clone(&store);
        let args = TailArgs {
            follow: true,
            category: vec!["live".into()],
            ..args()
        };
        tokio::spawn(async move { tail(store, Some(vault), args, &mut Lines(tx)).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for (stream, kind) in [
        ("other-1", "creneau.test.v1.Ignored"),
        ("live-1", "creneau.test.v1.Arrived"),
    ] {
        let meta = Metadata::new(
            Actor::System("test".into()),
            uuid::Uuid::now_v7(),
            creneau_tests::test_now(),
        );
        let e = eventlog::NewEvent::json(kind, &serde_json::json!({}), meta).expect("event");
        store
            .append(
                &eventlog::StreamName::new(stream).expect("name"),
                ExpectedVersion::Any,
                vec![e],
            )
            .await
            .expect("append");
    }
    // writeln! arrives in pieces: gather them up to the end of the line.
    let line = tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        while !text.contains('\n') {
            let piece = rx.recv_timeout(std::time::Duration::from_secs(10));
            text.push_str(&piece.expect("a line within 10 s"));
        }
        text
    })
    .await
    .expect("receiver");
    assert!(line.contains("live-1@0 creneau.test.v1.Arrived"), "{line}");
    assert!(!following.is_finished(), "--follow keeps going");
    following.abort();
    let _ = std::fs::remove_dir_all(dir);
}
