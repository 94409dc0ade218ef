//! One conformance suite for every backend that is reachable: SQLite always,
//! PostgreSQL when `CRENEAU_TEST_POSTGRES` names a server or one answers on
//! 127.0.0.1:5432 (under CI it must), KurrentDB when `CRENEAU_KURRENTDB_URL`
//! is set and the crate is built with `--features kurrentdb`.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use eventlog::postgres::{PostgresStore, ScratchDatabase};
use eventlog::sqlite::SqliteStore;
use eventlog::{
    Actor, AppendError, EventStore, ExpectedVersion, Filter, Metadata, NewEvent, Position,
    StreamName, Subscription,
};
use uuid::Uuid;

/// A store under test and what to clean up after it.
struct Backend {
    store: Arc<dyn EventStore>,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Database(ScratchDatabase),
}

impl Backend {
    async fn finish(self) {
        drop(self.store);
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database(db) => {
                // Give the pool's connections a moment to close.
                tokio::time::sleep(Duration::from_millis(50)).await;
                if let Err(e) = db.drop_database().await {
                    eprintln!("could not drop scratch database: {e}");
                }
            }
        }
    }
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("creneau-test-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// The PostgreSQL admin URL to test against, if any.
async fn postgres_url() -> Option<String> {
    if let Ok(url) = std::env::var("CRENEAU_TEST_POSTGRES") {
        return Some(url);
    }
    let url = "postgres://postgres@127.0.0.1:5432/postgres".to_owned();
    let reachable = tokio::time::timeout(Duration::from_secs(2), tokio_postgres_connect(&url))
        .await
        .unwrap_or(false);
    if reachable {
        return Some(url);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no PostgreSQL reachable under CI: scripts/test sets CRENEAU_TEST_POSTGRES"
    );
    eprintln!(
        "PostgreSQL not reachable: its conformance run is skipped (scripts/test provides one)"
    );
    None
}

async fn tokio_postgres_connect(url: &str) -> bool {
    match ScratchDatabase::create(url).await {
        Ok(db) => db.drop_database().await.is_ok(),
        Err(_) => false,
    }
}

async fn backends() -> Vec<Backend> {
    let dir = temp_dir();
    let sqlite = SqliteStore::open(dir.join("creneau.db")).expect("open sqlite");
    let mut all = vec![Backend {
        store: Arc::new(sqlite),
        cleanup: Cleanup::Dir(dir),
    }];
    if let Some(url) = postgres_url().await {
        let db = ScratchDatabase::create(&url)
            .await
            .expect("create scratch database");
        let store = PostgresStore::open(&db.url).await.expect("open postgres");
        all.push(Backend {
            store: Arc::new(store),
            cleanup: Cleanup::Database(db),
        });
    }
    #[cfg(feature = "kurrentdb")]
    if let Ok(url) = std::env::var("CRENEAU_KURRENTDB_URL") {
        // A fresh, empty server: categories are shared by everything on it.
        let dir = temp_dir();
        let side = SqliteStore::open(dir.join("side.db")).expect("side store");
        let store = eventlog::kurrent::KurrentStore::open(&url, side)
            .await
            .expect("open kurrentdb");
        all.push(Backend {
            store: Arc::new(store),
            cleanup: Cleanup::Dir(dir),
        });
    }
    all
}

fn meta() -> Metadata {
    // A fixed instant: no test depends on today's date.
    Metadata::new(
        Actor::System("test".into()),
        Uuid::now_v7(),
        chrono::DateTime::from_timestamp(1_796_900_000, 0).expect("time"),
    )
}

fn event(kind: &str, n: usize) -> NewEvent {
    NewEvent::json(
        kind,
        &serde_json::json!({ "n": n, "note": "é à ç" }),
        meta(),
    )
    .expect("event")
}

fn stream(name: &str) -> StreamName {
    StreamName::new(name).expect("stream name")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_64_writers_wins_each_version() {
    for b in backends().await {
        let store = &b.store;
        let s = stream("race-1");
        for round in 0..5u64 {
            let expected = if round == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(round - 1)
            };
            let barrier = Arc::new(tokio::sync::Barrier::new(64));
            let tasks: Vec<_> = (0..64)
                .map(|w| {
                    let store = Arc::clone(store);
                    let s = s.clone();
                    let barrier = Arc::clone(&barrier);
                    tokio::spawn(async move {
                        barrier.wait().await;
                        store.append(&s, expected, vec![event("Raced", w)]).await
                    })
                })
                .collect();
            let mut winners = 0;
            for t in tasks {
                match t.await.expect("task") {
                    Ok(r) => {
                        winners += 1;
                        assert_eq!(r.next_expected, Some(round), "{}", store.backend());
                    }
                    Err(AppendError::WrongExpectedVersion {
                        actual,
                        expected: e,
                        ..
                    }) => {
                        assert_eq!(actual, Some(round), "conflict carries the actual version");
                        assert_eq!(e, expected);
                    }
                    Err(other) => panic!("{}: unexpected error {other}", store.backend()),
                }
            }
            assert_eq!(winners, 1, "{}: round {round}", store.backend());
        }
        let events = store.read_stream(&s, 0, 100).await.expect("read");
        let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            vec![0, 1, 2, 3, 4],
            "{}: no gaps, no duplicates",
            store.backend()
        );
        b.finish().await;
    }
}

/// 64 writers race for one stream, each with a stream and a key of its own:
/// exactly one wins, and of the 63 losers nothing is left, neither their
/// other stream nor their key, on any transactional store. Repeating the
/// winner's write (a retry) writes nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_append_with_other_streams_and_keys_writes_all_or_nothing() {
    for b in backends().await {
        let store = &b.store;
        if !store.transactional() {
            b.finish().await;
            continue;
        }
        let s = stream("place-1");
        store
            .append(&s, ExpectedVersion::NoStream, vec![event("Opened", 0)])
            .await
            .expect("first");
        let barrier = Arc::new(tokio::sync::Barrier::new(64));
        let tasks: Vec<_> = (0..64)
            .map(|w| {
                let store = Arc::clone(store);
                let s = s.clone();
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    let owner = Uuid::now_v7();
                    let mine = eventlog::AppendRequest {
                        stream: stream(&format!("person-{}", owner.simple())),
                        expected: ExpectedVersion::NoStream,
                        events: vec![event("Registered", w)],
                    };
                    let place = eventlog::AppendRequest {
                        stream: s,
                        expected: ExpectedVersion::Exact(0),
                        events: vec![event("Taken", w)],
                    };
                    let key = eventlog::NewKey {
                        owner,
                        wrapped: vec![u8::try_from(w).unwrap_or(0); 40],
                    };
                    barrier.wait().await;
                    let r = store
                        .append_with(place.clone(), vec![mine.clone()], vec![key.clone()])
                        .await;
                    (owner, mine, place, key, r)
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            let (owner, mine, place, key, r) = t.await.expect("task");
            let kept = store.keys().fetch_key(owner).await.expect("key");
            let theirs = store.read_stream(&mine.stream, 0, 10).await.expect("read");
            match r {
                Ok(r) => {
                    assert_eq!(r.next_expected, Some(1), "{}", store.backend());
                    assert_eq!(kept.as_deref(), Some(key.wrapped.as_slice()));
                    assert_eq!(theirs.len(), 1);
                    // Written before the place, in the same commit.
                    assert_eq!(
                        theirs[0].position.0 + 1,
                        r.first_position.expect("written").0,
                        "{}",
                        store.backend()
                    );
                    winners.push((mine, place, key, r));
                }
                Err(e) => {
                    assert!(e.is_conflict(), "{}: {e}", store.backend());
                    assert_eq!(kept, None, "{}: a loser's key is not kept", store.backend());
                    assert!(
                        theirs.is_empty(),
                        "{}: a loser's stream is not written",
                        store.backend()
                    );
                }
            }
        }
        assert_eq!(winners.len(), 1, "{}", store.backend());
        let head = store.head().await.expect("head");
        let (mine, place, key, first) = winners.remove(0);
        let again = store
            .append_with(place, vec![mine], vec![key])
            .await
            .expect("a retry");
        assert_eq!(again, first, "{}", store.backend());
        assert_eq!(
            store.head().await.expect("head"),
            head,
            "{}",
            store.backend()
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn expected_versions_are_checked() {
    for b in backends().await {
        let store = &b.store;
        let s = stream("exp-1");
        let err = store
            .append(&s, ExpectedVersion::StreamExists, vec![event("A", 0)])
            .await
            .unwrap_err();
        assert!(err.is_conflict(), "{err}");
        assert!(err.to_string().contains("no stream"), "{err}");
        store
            .append(&s, ExpectedVersion::Any, vec![event("A", 0)])
            .await
            .expect("any");
        let err = store
            .append(&s, ExpectedVersion::NoStream, vec![event("A", 1)])
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AppendError::WrongExpectedVersion {
                    actual: Some(0),
                    ..
                }
            ),
            "{err}"
        );
        store
            .append(&s, ExpectedVersion::StreamExists, vec![event("A", 1)])
            .await
            .expect("exists");
        let err = store
            .append(&s, ExpectedVersion::Exact(0), vec![event("A", 2)])
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AppendError::WrongExpectedVersion {
                    actual: Some(1),
                    ..
                }
            ),
            "{err}"
        );
        let r = store
            .append(
                &s,
                ExpectedVersion::Exact(1),
                vec![event("A", 2), event("A", 3)],
            )
            .await
            .expect("exact");
        assert_eq!(r.next_expected, Some(3));
        let empty = store
            .append(&s, ExpectedVersion::Exact(3), vec![])
            .await
            .expect("empty append");
        assert_eq!((empty.next_expected, empty.first_position), (Some(3), None));
        assert_eq!(store.read_stream(&s, 2, 10).await.expect("read").len(), 2);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_retried_append_returns_the_first_result_and_writes_nothing() {
    for b in backends().await {
        let store = &b.store;
        let s = stream("retry-1");
        store
            .append(&s, ExpectedVersion::NoStream, vec![event("A", 0)])
            .await
            .expect("first");
        let batch = vec![event("B", 1), event("B", 2)];
        let first = store
            .append(&s, ExpectedVersion::Exact(0), batch.clone())
            .await
            .expect("append");
        let again = store
            .append(&s, ExpectedVersion::Exact(0), batch.clone())
            .await
            .expect("retry");
        assert_eq!(first, again, "{}", store.backend());
        assert_eq!(store.read_stream(&s, 0, 10).await.expect("read").len(), 3);
        assert_eq!(
            store.head().await.expect("head"),
            first.last_position.expect("position")
        );
        // The same ids with an expectation the original could not have met.
        let err = store
            .append(&s, ExpectedVersion::NoStream, batch.clone())
            .await
            .unwrap_err();
        assert!(err.is_conflict(), "{err}");
        if store.backend() == "kurrentdb" {
            // KurrentDB judges duplicate ids its own way (see eventlog::kurrent).
            b.finish().await;
            continue;
        }
        // The same ids in another stream are a mistake, not a retry.
        let err = store
            .append(&stream("retry-2"), ExpectedVersion::Any, batch.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppendError::DuplicateEventIds { .. }),
            "{err}"
        );
        // Part of an earlier append plus a new event: refused, nothing written.
        let err = store
            .append(
                &s,
                ExpectedVersion::Any,
                vec![event("C", 3), batch[1].clone()],
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppendError::DuplicateEventIds { .. }),
            "{err}"
        );
        assert_eq!(store.read_stream(&s, 0, 10).await.expect("read").len(), 3);
        assert!(
            store
                .read_stream(&stream("retry-2"), 0, 10)
                .await
                .expect("read")
                .is_empty()
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn reads_filter_by_category_and_type_in_position_order() {
    for b in backends().await {
        let store = &b.store;
        for i in 0..30 {
            let (cat, kind) = match i % 3 {
                0 => ("calendar", "SiteOpened"),
                1 => ("appointment", "AppointmentBooked"),
                _ => ("appointment", "AppointmentCancelled"),
            };
            store
                .append(
                    &stream(&format!("{cat}-{}", i % 4)),
                    ExpectedVersion::Any,
                    vec![event(kind, i)],
                )
                .await
                .expect("append");
        }
        let all = store
            .read_all(Position::START, 1000, &Filter::all())
            .await
            .expect("all");
        assert_eq!(all.len(), 30);
        assert!(
            all.windows(2).all(|w| w[0].position < w[1].position),
            "strictly increasing"
        );
        let appointments = store
            .read_all(Position::START, 1000, &Filter::categories(["appointment"]))
            .await
            .expect("category");
        assert_eq!(appointments.len(), 20);
        assert!(appointments.iter().all(|e| e.category() == "appointment"));
        let cancelled = store
            .read_all(
                Position::START,
                1000,
                &Filter::categories(["appointment"]).event_types(["AppointmentCancelled"]),
            )
            .await
            .expect("both");
        assert_eq!(cancelled.len(), 10);
        let by_type = store
            .read_all(
                Position::START,
                1000,
                &Filter::all().event_types(["SiteOpened", "AppointmentCancelled"]),
            )
            .await
            .expect("types");
        assert_eq!(by_type.len(), 20);
        // Paging: after a position, at most max.
        let page = store
            .read_all(all[9].position, 5, &Filter::all())
            .await
            .expect("page");
        assert_eq!(
            page.iter().map(|e| e.position).collect::<Vec<_>>(),
            all[10..15].iter().map(|e| e.position).collect::<Vec<_>>()
        );
        // Paging over several categories (and types): every matching
        // event once, in position order, whatever the page size.
        for filter in [
            Filter::categories(["calendar", "appointment"]),
            Filter::categories(["appointment", "calendar", "nothing"]),
            Filter::categories(["calendar", "appointment"])
                .event_types(["SiteOpened", "AppointmentCancelled"]),
        ] {
            let expected: Vec<Position> = all
                .iter()
                .filter(|e| filter.categories.iter().any(|c| c == e.category()))
                .filter(|e| {
                    filter.event_types.is_empty() || filter.event_types.contains(&e.event_type)
                })
                .map(|e| e.position)
                .collect();
            for size in [1, 4, 7, 1000] {
                let mut read = Vec::new();
                let mut after = Position::START;
                loop {
                    let page = store.read_all(after, size, &filter).await.expect("page");
                    assert!(page.len() <= size, "at most {size}");
                    let Some(last) = page.last() else { break };
                    after = last.position;
                    read.extend(page.iter().map(|e| e.position));
                }
                assert_eq!(read, expected, "{filter:?} by pages of {size}");
            }
        }
        // What was written reads back the same.
        let first = &all[0];
        assert_eq!(
            first.decode::<serde_json::Value>().expect("json")["note"],
            "é à ç"
        );
        assert_eq!(first.metadata.actor, Actor::System("test".into()));
        assert_eq!(
            store
                .read_stream(&stream("calendar-0"), 1, 100)
                .await
                .expect("stream")[0]
                .version,
            1
        );
        b.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_sees_every_event_of_16_writers_once_in_order() {
    for b in backends().await {
        let store = &b.store;
        let mut subscription = Subscription::new(Arc::clone(store), Position::START, Filter::all());
        let writers: Vec<_> = (0..16)
            .map(|w| {
                let store = Arc::clone(store);
                tokio::spawn(async move {
                    let mut acked = Vec::new();
                    for i in 0..150 {
                        // Some single events, some small batches, many streams.
                        let events = (0..1 + i % 3).map(|k| event("Tick", k)).collect::<Vec<_>>();
                        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
                        store
                            .append(
                                &stream(&format!("tick-{}", (w * 7 + i) % 40)),
                                ExpectedVersion::Any,
                                events,
                            )
                            .await
                            .expect("append");
                        acked.extend(ids);
                    }
                    acked
                })
            })
            .collect();
        let mut acked = HashSet::new();
        for w in writers {
            acked.extend(w.await.expect("writer"));
        }
        let mut seen = Vec::with_capacity(acked.len());
        let mut last = Position::START;
        while seen.len() < acked.len() {
            let e = tokio::time::timeout(Duration::from_secs(20), subscription.next())
                .await
                .expect("subscriber stalled")
                .expect("subscription");
            assert!(e.position > last, "{}: out of order", store.backend());
            last = e.position;
            seen.push(e.event_id);
        }
        let unique: HashSet<Uuid> = seen.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "{}: an event came twice",
            store.backend()
        );
        assert_eq!(unique, acked, "{}: an event was missed", store.backend());
        b.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscriber_reading_during_concurrent_commits_skips_nothing() {
    // The sequence-gap problem: readers poll while writers commit out of
    // order. A log that hands out positions before commit fails this.
    for b in backends().await {
        let store = &b.store;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let store = Arc::clone(store);
            let done = Arc::clone(&done);
            tokio::spawn(async move {
                let mut after = Position::START;
                let mut seen = BTreeSet::new();
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let batch = store
                        .read_all(after, 50, &Filter::all())
                        .await
                        .expect("read");
                    for e in &batch {
                        assert!(seen.insert(e.position.0), "position {} twice", e.position);
                        after = e.position;
                    }
                    if batch.is_empty() {
                        if finished {
                            return seen;
                        }
                        tokio::task::yield_now().await;
                    }
                }
            })
        };
        let writers: Vec<_> = (0..16)
            .map(|w| {
                let store = Arc::clone(store);
                tokio::spawn(async move {
                    for i in 0..100 {
                        store
                            .append(
                                &stream(&format!("gap-{w}")),
                                ExpectedVersion::Any,
                                vec![event("Gap", i)],
                            )
                            .await
                            .expect("append");
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.expect("writer");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = reader.await.expect("reader");
        let all: BTreeSet<u64> = store
            .read_all(Position::START, 10_000, &Filter::all())
            .await
            .expect("all")
            .iter()
            .map(|e| e.position.0)
            .collect();
        assert_eq!(all.len(), 1600);
        assert_eq!(
            seen,
            all,
            "{}: the live reader skipped events",
            store.backend()
        );
        b.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_subscriber_is_woken_by_a_commit() {
    for b in backends().await {
        let store = &b.store;
        let mut subscription = Subscription::new(
            Arc::clone(store),
            Position::START,
            Filter::categories(["live"]),
        );
        let waiting = tokio::spawn(async move { subscription.next().await.map(|e| e.event_type) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        store
            .append(
                &stream("other-1"),
                ExpectedVersion::Any,
                vec![event("Ignored", 0)],
            )
            .await
            .expect("append");
        store
            .append(
                &stream("live-1"),
                ExpectedVersion::Any,
                vec![event("Live", 1)],
            )
            .await
            .expect("append");
        let got = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("woken")
            .expect("task");
        assert_eq!(got.expect("event"), "Live");
        b.finish().await;
    }
}

#[tokio::test]
async fn a_projection_keeps_its_state_with_its_checkpoint() {
    for b in backends().await {
        if b.store.backend() == "kurrentdb" {
            continue;
        }
        let store = &b.store;
        assert_eq!(store.load_projection("stats").await.expect("load"), None);
        store
            .save_projection("stats", 1, Position(42), b"{\"a\":1}".to_vec())
            .await
            .expect("save");
        store
            .save_projection("stats", 2, Position(50), vec![0, 1, 2, 255])
            .await
            .expect("save");
        let got = store
            .load_projection("stats")
            .await
            .expect("load")
            .expect("state");
        assert_eq!(
            (got.version, got.position, got.state),
            (2, Position(50), vec![0, 1, 2, 255])
        );
        assert_eq!(
            store.load_checkpoint("stats").await.expect("checkpoint"),
            Some(Position(50)),
            "the checkpoint moved with the state"
        );
        // A process behind, or running older code, does not replace it.
        for (version, at) in [(2, 49), (1, 60)] {
            store
                .save_projection("stats", version, Position(at), vec![9])
                .await
                .expect("save");
            let got = store
                .load_projection("stats")
                .await
                .expect("load")
                .expect("state");
            assert_eq!(
                (got.version, got.position),
                (2, Position(50)),
                "{version} at {at}"
            );
            assert_eq!(
                store.load_checkpoint("stats").await.expect("checkpoint"),
                Some(Position(50))
            );
        }
        // Newer code replaces it wherever it has folded to.
        store
            .save_projection("stats", 3, Position(10), vec![3])
            .await
            .expect("save");
        let got = store
            .load_projection("stats")
            .await
            .expect("load")
            .expect("state");
        assert_eq!(
            (got.version, got.position, got.state),
            (3, Position(10), vec![3])
        );
    }
}

#[tokio::test]
async fn checkpoints_and_keys_are_stored() {
    for b in backends().await {
        let store = &b.store;
        assert_eq!(store.load_checkpoint("stats").await.expect("load"), None);
        store
            .save_checkpoint("stats", Position(42))
            .await
            .expect("save");
        store
            .save_checkpoint("stats", Position(43))
            .await
            .expect("save");
        assert_eq!(
            store.load_checkpoint("stats").await.expect("load"),
            Some(Position(43))
        );

        let owner = Uuid::now_v7();
        let keys = store.keys();
        assert_eq!(keys.fetch_key(owner).await.expect("fetch"), None);
        assert_eq!(
            keys.insert_key(owner, vec![1; 60]).await.expect("insert"),
            vec![1; 60]
        );
        // A second insert keeps the first key: two writers agree on one.
        assert_eq!(
            keys.insert_key(owner, vec![2; 60]).await.expect("insert"),
            vec![1; 60]
        );
        assert!(keys.delete_key(owner).await.expect("delete"));
        assert!(!keys.delete_key(owner).await.expect("delete again"));
        assert_eq!(keys.fetch_key(owner).await.expect("fetch"), None);
        // Many keys in one read: more owners than one statement takes, some
        // with no key (the deleted one, and unknown ones), one asked twice.
        let stored: Vec<(Uuid, Vec<u8>)> = (0..300u16)
            .map(|i| (Uuid::now_v7(), i.to_be_bytes().repeat(30)))
            .collect();
        for (o, w) in &stored {
            keys.insert_key(*o, w.clone()).await.expect("insert");
        }
        let mut asked: Vec<Uuid> = stored.iter().map(|(o, _)| *o).collect();
        asked.extend([owner, Uuid::now_v7(), stored[7].0]);
        let mut fetched = keys.fetch_keys(&asked).await.expect("fetch many");
        fetched.sort();
        fetched.dedup();
        let mut expected = stored.clone();
        expected.sort();
        assert_eq!(fetched, expected);
        assert_eq!(keys.fetch_keys(&[]).await.expect("none"), vec![]);
        store.ping().await.expect("ping");
        b.finish().await;
    }
}

#[tokio::test]
async fn a_sqlite_projection_commits_its_rows_and_checkpoint_together() {
    let dir = temp_dir();
    let store = SqliteStore::open(dir.join("p.db")).expect("open");
    store
        .write(|c| Ok(c.execute_batch("CREATE TABLE counts (kind TEXT PRIMARY KEY, n INTEGER)")?))
        .await
        .expect("create");
    store
        .append(
            &stream("p-1"),
            ExpectedVersion::Any,
            vec![event("A", 0), event("A", 1)],
        )
        .await
        .expect("append");
    // A fold that succeeds: rows and checkpoint together.
    store
        .write(|c| {
            c.execute("INSERT INTO counts VALUES ('A', 2)", [])?;
            eventlog::sqlite::save_checkpoint(c, "counts", Position(2))
        })
        .await
        .expect("fold");
    // A fold that fails half-way: neither its rows nor its checkpoint stay.
    let failed = store
        .write(|c| {
            c.execute("UPDATE counts SET n = 99", [])?;
            eventlog::sqlite::save_checkpoint(c, "counts", Position(9))?;
            Err::<(), _>(eventlog::StoreError::InvalidInput("boom".into()))
        })
        .await;
    assert!(failed.is_err());
    let (n, checkpoint) = store
        .read(|c| {
            let n: i64 = c.query_row("SELECT n FROM counts", [], |r| r.get(0))?;
            Ok((n, eventlog::sqlite::load_checkpoint(c, "counts")?))
        })
        .await
        .expect("read");
    assert_eq!((n, checkpoint), (2, Some(Position(2))));
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_postgres_projection_commits_its_rows_and_checkpoint_together() {
    let Some(url) = postgres_url().await else {
        return;
    };
    let db = ScratchDatabase::create(&url).await.expect("scratch");
    let store = PostgresStore::open(&db.url).await.expect("open");
    let mut client = store.client().await.expect("client");
    client
        .batch_execute("CREATE TABLE counts (kind text PRIMARY KEY, n bigint)")
        .await
        .expect("create");
    let tx = client.transaction().await.expect("tx");
    tx.execute("INSERT INTO counts VALUES ('A', 2)", &[])
        .await
        .expect("insert");
    eventlog::postgres::save_checkpoint(&tx, "counts", Position(2))
        .await
        .expect("save");
    tx.commit().await.expect("commit");
    let tx = client.transaction().await.expect("tx");
    tx.execute("UPDATE counts SET n = 99", &[])
        .await
        .expect("update");
    eventlog::postgres::save_checkpoint(&tx, "counts", Position(9))
        .await
        .expect("save");
    drop(tx); // a crash before commit
    let n: i64 = client
        .query_one("SELECT n FROM counts", &[])
        .await
        .expect("n")
        .get(0);
    let checkpoint = eventlog::postgres::load_checkpoint(&client, "counts")
        .await
        .expect("load");
    assert_eq!((n, checkpoint), (2, Some(Position(2))));
    drop(client);
    drop(store);
    db.drop_database().await.expect("drop");
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_message() {
    let err = StreamName::new("").unwrap_err().to_string();
    assert!(err.contains("stream name"), "{err}");
    assert!(StreamName::new("a\nb").is_err());
    assert!(StreamName::new("x".repeat(201)).is_err());
    let err = NewEvent::raw(Uuid::now_v7(), "T", b"{not json".to_vec(), meta())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not JSON"), "{err}");
    assert!(NewEvent::raw(Uuid::now_v7(), "has space", b"{}".to_vec(), meta()).is_err());
    let err = eventlog::StoreUrl::parse("mysql://x")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown scheme") && err.contains("sqlite://"),
        "{err}"
    );
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).expect("read file")
}

#[tokio::test]
async fn a_file_that_is_not_a_creneau_database_is_refused_untouched() {
    let dir = temp_dir();
    let text = dir.join("notes.txt");
    std::fs::write(&text, "bonjour, this is not a database at all").expect("write");
    let err = SqliteStore::open(&text).err().expect("refused").to_string();
    assert!(err.contains("not a Créneau database"), "{err}");
    assert_eq!(file_bytes(&text), b"bonjour, this is not a database at all");

    let other = dir.join("other.db");
    run_sql(
        &other,
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);",
    );
    let before = file_bytes(&other);
    let err = SqliteStore::open(&other)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("another program"), "{err}");
    assert_eq!(file_bytes(&other), before, "nothing modified");
    assert!(!dir.join("other.db-wal").exists(), "no WAL created");

    let newer = dir.join("newer.db");
    drop(SqliteStore::open(&newer).expect("create"));
    std::thread::sleep(Duration::from_millis(100));
    run_sql(&newer, "PRAGMA user_version = 99;");
    let before = file_bytes(&newer);
    let err = SqliteStore::open(&newer)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("schema version 99 is newer"), "{err}");
    assert_eq!(file_bytes(&newer), before, "nothing modified");

    // A file of the first schema (before projections) is migrated on open.
    let older = dir.join("older.db");
    drop(SqliteStore::open(&older).expect("create"));
    std::thread::sleep(Duration::from_millis(100));
    run_sql(&older, "DROP TABLE projections; PRAGMA user_version = 1;");
    let store = SqliteStore::open(&older).expect("migrated");
    store
        .save_projection("p", 1, Position(0), vec![1])
        .await
        .expect("the projections table is there");
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes an SQLite file the way another program would.
fn run_sql(path: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(path)
        .expect("open")
        .execute_batch(sql)
        .expect("sql");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_postgres_stores_on_one_database_share_one_log() {
    // Two stores are two writers with their own pools, writer tasks and
    // listeners, as two processes would be.
    let Some(url) = postgres_url().await else {
        return;
    };
    let db = ScratchDatabase::create(&url).await.expect("scratch");
    let a: Arc<dyn EventStore> = Arc::new(PostgresStore::open(&db.url).await.expect("open a"));
    let b: Arc<dyn EventStore> = Arc::new(PostgresStore::open(&db.url).await.expect("open b"));
    let mut seen_by_a = Subscription::new(Arc::clone(&a), Position::START, Filter::all());
    let s = stream("shared-1");
    for round in 0..5u64 {
        let expected = if round == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(round - 1)
        };
        let tasks: Vec<_> = (0..32)
            .map(|w| {
                let store = Arc::clone(if w % 2 == 0 { &a } else { &b });
                let s = s.clone();
                tokio::spawn(
                    async move { store.append(&s, expected, vec![event("Shared", w)]).await },
                )
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            match t.await.expect("task") {
                Ok(_) => winners += 1,
                Err(e) => assert!(e.is_conflict(), "{e}"),
            }
        }
        assert_eq!(
            winners, 1,
            "round {round}: exactly one writer of either store wins"
        );
    }
    // Events written through b reach a's subscriber, in order.
    for i in 0..20 {
        b.append(
            &stream(&format!("fromb-{i}")),
            ExpectedVersion::NoStream,
            vec![event("FromB", i)],
        )
        .await
        .expect("append through b");
    }
    let mut last = Position::START;
    for _ in 0..25 {
        let e = tokio::time::timeout(Duration::from_secs(10), seen_by_a.next())
            .await
            .expect("a's subscriber is woken by b's commits")
            .expect("event");
        assert!(e.position > last);
        last = e.position;
    }
    assert_eq!(last, a.head().await.expect("head"));
    drop((a, b, seen_by_a));
    tokio::time::sleep(Duration::from_millis(50)).await;
    db.drop_database().await.expect("drop");
}

#[tokio::test]
async fn postgres_connections_plan_for_the_table_as_it_is_now() {
    // Regression: with cached statements PostgreSQL kept a generic plan made
    // on an empty table (a sequential scan for the event-id lookup) and
    // appends crawled once the log was large.
    let Some(url) = postgres_url().await else {
        return;
    };
    let db = ScratchDatabase::create(&url).await.expect("scratch");
    let store = PostgresStore::open(&db.url).await.expect("open");
    let client = store.client().await.expect("client");
    let mode: String = client
        .query_one("SHOW plan_cache_mode", &[])
        .await
        .expect("show")
        .get(0);
    assert_eq!(mode, "force_custom_plan");
    drop(client);
    drop(store);
    db.drop_database().await.expect("drop");
}

#[tokio::test]
async fn a_long_stream_reads_back_from_any_version() {
    // Long enough to cross the SQLite stream index's folds (every 1,024
    // events of the log) twice, interleaved with another stream, in single
    // and batch appends.
    for b in backends().await {
        let store = &b.store;
        let (long, other) = (stream("long-1"), stream("long-2"));
        let mut written = 0u64;
        while written < 1500 {
            let n = if written.is_multiple_of(7) { 5 } else { 1 };
            let events = (0..n)
                .map(|k| event("Long", (written + k) as usize))
                .collect();
            store
                .append(&long, ExpectedVersion::Any, events)
                .await
                .expect("append");
            store
                .append(&other, ExpectedVersion::Any, vec![event("Other", 0)])
                .await
                .expect("append");
            written += n;
        }
        for (from, max) in [
            (0u64, 2000usize),
            (0, 10),
            (250, 20),
            (555, 3),
            (1023, 300),
            (1495, 100),
            (1500, 10),
            (5000, 1),
        ] {
            let got = store.read_stream(&long, from, max).await.expect("read");
            let versions: Vec<u64> = got.iter().map(|e| e.version).collect();
            let want: Vec<u64> = (from..written).take(max).collect();
            assert_eq!(
                versions,
                want,
                "{}: from {from}, max {max}",
                store.backend()
            );
            assert!(
                got.iter()
                    .all(|e| e.stream == "long-1" && e.event_type == "Long")
            );
            assert!(got.windows(2).all(|w| w[0].position < w[1].position));
        }
        let err = store
            .append(&long, ExpectedVersion::Exact(3), vec![event("Late", 0)])
            .await
            .unwrap_err();
        assert!(
            matches!(err, AppendError::WrongExpectedVersion { actual: Some(v), .. } if v == written - 1),
            "{err}"
        );
        b.finish().await;
    }
}
