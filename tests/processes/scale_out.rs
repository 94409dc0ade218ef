//! Several processes on one PostgreSQL database: what must hold across them
//! holds in the store, not in one process's memory.

use std::sync::Arc;

use contracts::PhoneNumber;
use eventlog::EventStore;

use crate::cli::{
    creneau, http, postgres_admin_url, run_to_end, start_server_with, stop, temp_dir,
};

/// Wrong passwords sent to two servers count together: five in all lock
/// the account for that address on both, where each process alone would
/// have seen three and two.
#[tokio::test]
async fn a_sign_in_lockout_holds_across_two_server_processes() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    let db = eventlog::postgres::ScratchDatabase::create(&admin)
        .await
        .expect("scratch");
    let dir = temp_dir();
    let url = db.url.clone();
    let answers = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let (code, out) = run_to_end({
                let mut c = creneau(&dir);
                c.args([
                    "--store",
                    &url,
                    "admin",
                    "create",
                    "--email",
                    "chef@ville.fr",
                    "--name",
                    "Camille Chef",
                    "--generate-password",
                ]);
                c
            });
            assert_eq!(code, 0, "{out}");
            let password = out
                .lines()
                .find_map(|l| l.strip_prefix("password: "))
                .expect("password")
                .trim()
                .to_owned();
            let (one, at_one, _) = start_server_with(&dir, &["--store", &url]);
            let (two, at_two, _) = start_server_with(&dir, &["--store", &url]);
            let wrong = r#"{"email":"chef@ville.fr","password":"not it at all"}"#;
            let mut answers = Vec::new();
            for address in [&at_one, &at_two, &at_one, &at_two, &at_one] {
                answers.push(http(address, "POST", "/api/v1/session", &[], Some(wrong)));
            }
            let right = format!(r#"{{"email":"chef@ville.fr","password":"{password}"}}"#);
            answers.push(http(&at_two, "POST", "/api/v1/session", &[], Some(&right)));
            stop(one);
            stop(two);
            answers
        }
    })
    .await
    .expect("servers");
    for wrong in &answers[..4] {
        assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    }
    assert!(
        answers[4].starts_with("HTTP/1.1 429"),
        "the fifth wrong password, the second at this process, locks: {}",
        answers[4]
    );
    assert!(
        answers[5].starts_with("HTTP/1.1 429") && answers[5].contains("retry-after"),
        "the other process knows the lock: {}",
        answers[5]
    );
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// Two identity services on two connection pools to one database (what
/// two processes are, without the HTTP around them): the tries of a
/// booking code, and its single use, are counted once for both.
#[tokio::test]
async fn booking_code_tries_and_its_single_use_hold_across_two_processes() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    messages::set_default(messages::Language::En);
    let db = eventlog::postgres::ScratchDatabase::create(&admin)
        .await
        .expect("scratch");
    let master = contracts::MasterKey::generate().expect("key");
    let mut services = Vec::new();
    for _ in 0..2 {
        let store: Arc<dyn EventStore> = Arc::new(
            eventlog::postgres::PostgresStore::open(&db.url)
                .await
                .expect("store"),
        );
        let vault = contracts::Vault::open(master.clone(), Arc::clone(&store))
            .await
            .expect("vault");
        services.push(
            identity::Identity::new(
                store,
                vault,
                identity::Settings::default(),
                creneau_tests::test_clock(),
            )
            .await
            .expect("identity"),
        );
    }
    let (one, two) = (&services[0], &services[1]);
    let phone = PhoneNumber::parse("0612345678").expect("phone");

    // Used at one, refused at the other.
    let issued = one
        .issue_booking_code(&phone, "192.0.2.1")
        .await
        .expect("code");
    one.check_booking_code(&issued.challenge, &phone, &issued.code)
        .await
        .expect("the right code");
    let again = two
        .check_booking_code(&issued.challenge, &phone, &issued.code)
        .await;
    assert!(
        matches!(again, Err(identity::IdentityError::Refused(_))),
        "a code books once, whichever process checks it: {again:?}"
    );

    // Five wrong tries, three here and two there, end the challenge.
    let issued = two
        .issue_booking_code(&phone, "192.0.2.1")
        .await
        .expect("code");
    let wrong = if issued.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for service in [one, two, one, two, one] {
        let tried = service
            .check_booking_code(&issued.challenge, &phone, wrong)
            .await;
        assert!(tried.is_err(), "{tried:?}");
    }
    let right = two
        .check_booking_code(&issued.challenge, &phone, &issued.code)
        .await;
    assert!(
        matches!(right, Err(identity::IdentityError::Refused(_))),
        "five wrong tries in all end the code on both processes: {right:?}"
    );

    // Codes per number: the daily quota is one count for both.
    let mut sent = 2;
    let mut refused = None;
    for (i, service) in [one, two].iter().cycle().take(8).enumerate() {
        match service
            .issue_booking_code(&phone, &format!("198.51.100.{i}"))
            .await
        {
            Ok(_) => sent += 1,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    assert_eq!(
        sent, 3,
        "three codes per number in 15 minutes, across both processes"
    );
    assert!(matches!(
        refused,
        Some(identity::IdentityError::TooMany { .. })
    ));
    drop(services);
    db.drop_database().await.expect("drop");
}
