//! Work that must happen once among processes runs under a lease kept in
//! the log: one holder works, another takes over once the first is gone,
//! and a holder that lost its lease stops.

use std::sync::Arc;
use std::time::Duration;

use api::Lease;
use creneau_tests::TestApp;
use eventlog::{Clock, ExpectedVersion, ManualClock, StreamName};

fn lease(t: &TestApp, clock: &Arc<ManualClock>, holder: &str) -> Lease {
    Lease::new(
        Arc::clone(&t.state.store),
        clock.clone(),
        "test-work",
        holder,
        Duration::from_secs(8),
    )
    .expect("lease")
}

#[tokio::test]
async fn one_process_holds_the_lease_and_another_takes_over_once_it_lapses() {
    let t = TestApp::new().await;
    let clock = ManualClock::new(t.now());
    let (a, b) = (lease(&t, &clock, "a"), lease(&t, &clock, "b"));
    assert!(a.hold().await.expect("hold"), "the first to ask takes it");
    assert!(!b.hold().await.expect("hold"), "held by a");
    assert!(a.held() && !b.held());

    // a renews it as it works: b never gets it meanwhile.
    for _ in 0..5 {
        clock.advance(chrono::Duration::seconds(5));
        assert!(a.hold().await.expect("hold"));
        assert!(!b.hold().await.expect("hold"));
    }
    // a stops (killed, paused): once the lease lapses b takes it, and a,
    // were it to wake up, knows without reading the store that it is not
    // its turn, and cannot take it back.
    clock.advance(chrono::Duration::seconds(9));
    assert!(!a.held(), "lapsed");
    assert!(b.hold().await.expect("hold"), "taken over");
    assert!(!a.hold().await.expect("hold"));
    assert!(b.held() && !a.held());
}

#[tokio::test]
async fn a_lease_written_by_the_old_reminders_dispatcher_is_respected() {
    let t = TestApp::new().await;
    let clock = ManualClock::new(t.now());
    let old = contracts::proto::reminders::v1::DispatcherLeaseTaken {
        holder: "an-older-process".into(),
        expires_at: (clock.now() + chrono::Duration::seconds(30)).to_rfc3339(),
    };
    t.state
        .store
        .append(
            &StreamName::new("lease-reminders".to_owned()).expect("name"),
            ExpectedVersion::NoStream,
            vec![
                api::Acting::system("test", clock.now())
                    .event(&old)
                    .expect("event"),
            ],
        )
        .await
        .expect("append");
    let new = Lease::new(
        Arc::clone(&t.state.store),
        clock.clone(),
        "reminders",
        "new",
        Duration::from_secs(8),
    )
    .expect("lease");
    assert!(
        !new.hold().await.expect("hold"),
        "the older holder keeps it"
    );
    clock.advance(chrono::Duration::seconds(31));
    assert!(new.hold().await.expect("hold"), "then it lapses");
}

/// Opens a site on `store`: one event the statistics fold.
async fn open_a_site(store: &Arc<dyn eventlog::EventStore>, at: chrono::DateTime<chrono::Utc>) {
    let site = contracts::SiteId::new();
    store
        .append(
            &site.stream(),
            ExpectedVersion::NoStream,
            vec![
                api::Acting::system("test", at)
                    .event(&contracts::proto::calendar::v1::SiteOpened {
                        site_id: site.to_string(),
                        details: None,
                    })
                    .expect("event"),
            ],
        )
        .await
        .expect("append");
}

#[tokio::test]
async fn of_two_processes_only_the_lease_holder_stores_the_statistics() {
    let dir = std::env::temp_dir().join(format!("creneau-lease-{}", uuid::Uuid::new_v4().simple()));
    let store: Arc<dyn eventlog::EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"));
    let clock = ManualClock::new(creneau_tests::test_now());
    let process = |holder: &str| {
        stats::Stats::under_lease(
            Arc::clone(&store),
            Lease::new(
                Arc::clone(&store),
                clock.clone(),
                "stats",
                holder,
                Duration::from_secs(120),
            )
            .expect("lease"),
        )
    };
    let (a, b) = (process("a"), process("b"));
    let stored = || async {
        store
            .load_projection("stats")
            .await
            .expect("load")
            .map(|p| p.position)
    };
    open_a_site(&store, clock.now()).await;
    a.rebuild(|_, _| {}).await.expect("fold");
    let first = stored().await.expect("a stored its fold");
    // b folds further, but a holds the lease: b keeps its fold to itself.
    open_a_site(&store, clock.now()).await;
    b.rebuild(|_, _| {}).await.expect("fold");
    assert_eq!(stored().await, Some(first), "only the holder stores");
    // a is gone; once its lease lapses, b stores.
    clock.advance(chrono::Duration::seconds(121));
    b.rebuild(|_, _| {}).await.expect("fold");
    let second = stored().await.expect("b stored its fold");
    assert!(second > first, "{second} after {first}");
    let _ = std::fs::remove_dir_all(dir);
}
