//! The identity service over a real SQLite file: accounts shared between
//! processes through the log, roles, passwords, retention and erasure.

use std::sync::Arc;

use api::{Credentials, Grant};
use chrono::{Months, Utc};
use contracts::{Language, ResidentId, Role, SiteId, Vault};
use eventlog::{Actor, EventStore, ExpectedVersion, Metadata, NewEvent, StreamName};
use identity::{Acting, ErasureCause, Identity, IdentityError, NewResident, NewStaff, Settings};

struct Fixture {
    store: Arc<dyn EventStore>,
    vault: Vault,
    master: contracts::MasterKey,
    dir: std::path::PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!(
        "creneau-identity-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let store: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"));
    let master = contracts::MasterKey::generate().expect("key");
    let vault = Vault::open(master.clone(), Arc::clone(&store))
        .await
        .expect("vault");
    Fixture {
        store,
        vault,
        master,
        dir,
    }
}

/// The tests' now: a fixed day, whatever today is.
fn now() -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-12-10T09:05:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

fn clock() -> Arc<dyn eventlog::Clock> {
    eventlog::RunningClock::new(now())
}

async fn identity(f: &Fixture) -> Identity {
    Identity::new(
        Arc::clone(&f.store),
        f.vault.clone(),
        Settings::default(),
        clock(),
    )
    .await
    .expect("identity")
}

fn staff(email: &str, grants: &[(Role, Option<SiteId>)]) -> NewStaff {
    NewStaff {
        email: email.into(),
        display_name: email.split('@').next().unwrap_or(email).into(),
        password: Some("un mot de passe solide".into()),
        grants: grants
            .iter()
            .map(|&(role, site)| Grant { role, site })
            .collect(),
    }
}

fn resident(first: &str) -> NewResident {
    NewResident {
        first_name: first.into(),
        last_name: "Martin".into(),
        phone: "+33 6 11 22 33 44".into(),
        email: None,
        language: Language::Fr,
        sms_consent: true,
        email_consent: false,
        site: None,
    }
}

#[tokio::test]
async fn another_process_sees_accounts_and_their_end_through_the_log() {
    // These assertions read the English messages.
    messages::set_default(messages::Language::En);
    let f = fixture().await;
    let a = identity(&f).await;
    // Another process: its own store on the same file, its own vault.
    let other: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(f.dir.join("c.db")).expect("open"));
    let other_vault = Vault::open(f.master.clone(), Arc::clone(&other))
        .await
        .expect("vault");
    let b = Identity::new(other, other_vault, Settings::default(), clock())
        .await
        .expect("identity");
    let acting = Acting::system("test", now());
    let made = a
        .create_staff(&acting, staff("ana@ville.fr", &[(Role::Reception, None)]))
        .await
        .expect("create");
    let signed = b
        .sign_in(
            "ANA@ville.fr ",
            "un mot de passe solide",
            "192.0.2.1",
            uuid::Uuid::now_v7(),
        )
        .await
        .expect("the other process knows the account, emails compare in lower case");
    let cookie = signed
        .set_cookie
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_owned())
        .expect("cookie value");
    use api::Authenticator as _;
    assert!(
        a.authenticate(Credentials::Session(&cookie)).await.is_ok(),
        "sessions hold across processes"
    );
    b.disable_staff(&acting, made.staff_id, "left the service")
        .await
        .expect("disable");
    // `a` decides from a copy that misses the disable: its append meets the
    // newer stream, it reads the log again and succeeds on the next try.
    a.grant_role(
        &acting,
        made.staff_id,
        Grant {
            role: Role::Mediator,
            site: None,
        },
    )
    .await
    .expect("a command on a stale copy is retried");
    assert!(a.authenticate(Credentials::Session(&cookie)).await.is_err());
    let again = a
        .sign_in(
            "ana@ville.fr",
            "un mot de passe solide",
            "192.0.2.1",
            uuid::Uuid::now_v7(),
        )
        .await
        .unwrap_err();
    assert!(again.to_string().contains("disabled"), "{again}");
}

#[tokio::test]
async fn roles_are_granted_once_revoked_by_name_and_the_last_administrator_stays() {
    // These assertions read the English messages.
    messages::set_default(messages::Language::En);
    let f = fixture().await;
    let id = identity(&f).await;
    let acting = Acting::system("test", now());
    let admin = id
        .create_staff(&acting, staff("admin@ville.fr", &[(Role::Admin, None)]))
        .await
        .expect("admin");
    let site = SiteId::new();
    let m = id
        .create_staff(&acting, staff("med@ville.fr", &[]))
        .await
        .expect("mediator");
    let grant = Grant {
        role: Role::Mediator,
        site: Some(site),
    };
    let head = f.store.head().await.expect("head");
    id.grant_role(&acting, m.staff_id, grant)
        .await
        .expect("grant");
    id.grant_role(&acting, m.staff_id, grant)
        .await
        .expect("grant again");
    assert_eq!(
        f.store.head().await.expect("head").0,
        head.0 + 1,
        "granting twice writes once"
    );
    let other_site = Grant {
        role: Role::Mediator,
        site: Some(SiteId::new()),
    };
    let e = id
        .revoke_role(&acting, m.staff_id, other_site)
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::NotFound(_)), "{e}");
    id.revoke_role(&acting, m.staff_id, grant)
        .await
        .expect("revoke");
    assert!(
        id.directory()
            .await
            .expect("dir")
            .staff(m.staff_id)
            .expect("staff")
            .grants
            .is_empty()
    );

    let all = Grant {
        role: Role::Admin,
        site: None,
    };
    let e = id
        .revoke_role(&acting, admin.staff_id, all)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("last administrator"), "{e}");
    id.grant_role(&acting, m.staff_id, all)
        .await
        .expect("second admin");
    id.revoke_role(&acting, admin.staff_id, all)
        .await
        .expect("no longer the last");

    let e = id
        .create_staff(&acting, staff("MED@ville.fr", &[]))
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::Conflict(_)), "{e}");
}

#[tokio::test]
async fn changing_ones_password_needs_the_current_one() {
    // These assertions read the English messages.
    messages::set_default(messages::Language::En);
    let f = fixture().await;
    let id = identity(&f).await;
    let acting = Acting::system("test", now());
    let made = id
        .create_staff(&acting, staff("li@ville.fr", &[]))
        .await
        .expect("create");
    let e = id
        .change_own_password(
            &acting,
            made.staff_id,
            "pas le bon".into(),
            "un autre mot de passe".into(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("current password is wrong"), "{e}");
    id.change_own_password(
        &acting,
        made.staff_id,
        "un mot de passe solide".into(),
        "un autre mot de passe".into(),
    )
    .await
    .expect("change");
    assert!(
        id.sign_in(
            "li@ville.fr",
            "un mot de passe solide",
            "x",
            uuid::Uuid::now_v7()
        )
        .await
        .is_err()
    );
    assert!(
        id.sign_in(
            "li@ville.fr",
            "un autre mot de passe",
            "x",
            uuid::Uuid::now_v7()
        )
        .await
        .is_ok()
    );
    let hashes = f
        .store
        .read_stream(&made.staff_id.stream(), 0, 100)
        .await
        .expect("read");
    for e in hashes {
        let text = String::from_utf8_lossy(&e.payload);
        assert!(
            !text.contains("argon2"),
            "password hashes are sealed too: {text}"
        );
    }
}

fn event_at(event_type: &str, payload: serde_json::Value, at: chrono::DateTime<Utc>) -> NewEvent {
    let meta = Metadata::new(Actor::System("test".into()), uuid::Uuid::now_v7(), at);
    NewEvent::json(event_type, &payload, meta).expect("event")
}

#[tokio::test]
async fn retention_erases_residents_inactive_for_the_period_and_no_one_else() {
    let f = fixture().await;
    let id = identity(&f).await;
    let acting = Acting::system("test", now());
    let quiet = id
        .register_resident(&acting, resident("Quiet"))
        .await
        .expect("quiet");
    let busy = id
        .register_resident(&acting, resident("Busy"))
        .await
        .expect("busy");
    // A later visit of `busy`, as the appointments service will record it.
    let later = now() + Months::new(12);
    let stream = StreamName::new(format!("appointment-{}", uuid::Uuid::now_v7())).expect("stream");
    f.store
        .append(
            &stream,
            ExpectedVersion::NoStream,
            vec![event_at(
                "creneau.appointments.v1.VisitRecorded",
                serde_json::json!({"residentId": busy.to_string()}),
                later,
            )],
        )
        .await
        .expect("append");

    let soon = now() + Months::new(23);
    assert!(id.retention_sweep(soon).await.expect("sweep").is_empty());
    let past_period = now() + Months::new(25);
    assert_eq!(
        id.retention_sweep(past_period).await.expect("sweep"),
        vec![quiet]
    );
    assert!(id.resident_details(quiet).await.expect("details").erased);
    assert_eq!(
        id.resident_details(quiet)
            .await
            .expect("details")
            .first_name,
        None
    );
    let kept = id.resident_details(busy).await.expect("details");
    assert_eq!(kept.first_name.as_deref(), Some("Busy"));
    assert!(
        id.retention_sweep(past_period)
            .await
            .expect("sweep")
            .is_empty(),
        "once only"
    );
    let erased = f
        .store
        .read_stream(&quiet.stream(), 0, 10)
        .await
        .expect("read");
    let last = erased.last().expect("event");
    assert_eq!(last.event_type, "creneau.residents.v1.ResidentErased");
    assert_eq!(last.metadata.actor, Actor::System("retention".into()));
    assert!(String::from_utf8_lossy(&last.payload).contains("retention"));
}

#[tokio::test]
async fn an_erasure_interrupted_before_the_key_went_is_finished_by_the_next_sweep() {
    let f = fixture().await;
    let id = identity(&f).await;
    let acting = Acting::system("test", now());
    let r = id
        .register_resident(&acting, resident("Half"))
        .await
        .expect("resident");
    // The event was written, then the process died before deleting the key.
    let event = contracts::to_new_event(
        &contracts::proto::residents::v1::ResidentErased {
            resident_id: r.to_string(),
            cause: "request".into(),
        },
        acting.metadata(),
    )
    .expect("event");
    f.store
        .append(&r.stream(), ExpectedVersion::Exact(0), vec![event])
        .await
        .expect("append");
    assert!(f.store.keys().fetch_key(r.0).await.expect("key").is_some());
    id.retention_sweep(now()).await.expect("sweep");
    assert!(f.store.keys().fetch_key(r.0).await.expect("key").is_none());
    let e = id
        .erase_resident(&acting, ResidentId::new(), ErasureCause::Request)
        .await
        .unwrap_err();
    assert!(matches!(e, IdentityError::NotFound(_)), "{e}");
}

#[tokio::test]
async fn a_booking_code_confirms_its_own_number_only_and_not_after_five_wrong_tries() {
    // These assertions read the English messages.
    messages::set_default(messages::Language::En);
    let f = fixture().await;
    let id = identity(&f).await;
    let phone = contracts::PhoneNumber::parse("06 12 34 56 78").expect("phone");
    let other = contracts::PhoneNumber::parse("07 81 22 33 44").expect("phone");
    let issued = id
        .issue_booking_code(&phone, "192.0.2.5")
        .await
        .expect("code");
    let spaced = format!("{} {}", &issued.code[..3], &issued.code[3..]);
    assert!(
        id.check_booking_code(&issued.challenge, &other, &issued.code)
            .await
            .is_err(),
        "another number"
    );
    id.check_booking_code(&issued.challenge, &phone, &spaced)
        .await
        .expect("typed with a space");

    let second = id
        .issue_booking_code(&phone, "192.0.2.5")
        .await
        .expect("code");
    let wrong = if second.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut forged = second.challenge.clone();
    forged.expires_at += chrono::Duration::hours(1);
    assert!(
        id.check_booking_code(&forged, &phone, &second.code)
            .await
            .is_err(),
        "a longer life cannot be forged"
    );
    for _ in 0..3 {
        let e = id
            .check_booking_code(&second.challenge, &phone, wrong)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("6 digits"), "{e}");
    }
    let e = id
        .check_booking_code(&second.challenge, &phone, wrong)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("too many times"), "{e}");
    let e = id
        .check_booking_code(&second.challenge, &phone, &second.code)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("ask for a new code"), "{e}");

    assert!(id.issue_booking_code(&phone, "192.0.2.6").await.is_ok());
    let e = id
        .issue_booking_code(&phone, "192.0.2.7")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("this number"), "{e}");
    let mut expired = id
        .issue_booking_code(&other, "192.0.2.8")
        .await
        .expect("code");
    expired.challenge.expires_at = now() - chrono::Duration::seconds(1);
    let e = id
        .check_booking_code(&expired.challenge, &other, &expired.code)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("expired") || e.to_string().contains("6 digits"),
        "{e}"
    );
}
