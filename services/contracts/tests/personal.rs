//! Personal data in the log: sealed on the way in, readable while the owner
//! has a key, gone for good once erased, never in clear in the file.

use std::sync::Arc;

use contracts::proto::residents::v1::{ResidentErased, ResidentRegistered};
use contracts::{
    Language, MasterKey, PhoneNumber, ResidentId, Revealed, Vault, VaultError, decode_event,
    to_new_event,
};
use eventlog::sqlite::SqliteStore;
use eventlog::{Actor, EventStore, ExpectedVersion, Filter, Metadata, Position};
use uuid::Uuid;

fn meta() -> Metadata {
    // A fixed instant: no test depends on today's date.
    Metadata::new(
        Actor::System("test".into()),
        Uuid::now_v7(),
        chrono::DateTime::from_timestamp(1_796_900_000, 0).expect("time"),
    )
}

struct Folded {
    first_name: Revealed,
    phone: Revealed,
    erased: bool,
}

/// A projection over the residents' events: what a reception screen reads.
async fn fold(store: &Arc<dyn EventStore>, vault: &Vault) -> Vec<Folded> {
    let mut out: Vec<Folded> = Vec::new();
    for e in store
        .read_all(Position::START, 1000, &Filter::categories(["resident"]))
        .await
        .expect("read")
    {
        if let Some(r) = decode_event::<ResidentRegistered>(&e).expect("decode") {
            out.push(Folded {
                first_name: vault
                    .open_sealed(r.first_name.as_ref().expect("name"))
                    .await
                    .expect("open"),
                phone: vault
                    .open_sealed(r.phone.as_ref().expect("phone"))
                    .await
                    .expect("open"),
                erased: false,
            });
        } else if decode_event::<ResidentErased>(&e)
            .expect("decode")
            .is_some()
            && let Some(last) = out.last_mut()
        {
            last.erased = true;
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn an_erased_resident_still_folds_but_their_data_is_gone_and_never_was_in_clear() {
    let dir = std::env::temp_dir().join(format!("creneau-personal-{}", Uuid::new_v4().simple()));
    let db = dir.join("creneau.db");
    let store: Arc<dyn EventStore> = Arc::new(SqliteStore::open(&db).expect("open"));
    let master = MasterKey::generate().expect("key");
    let vault = Vault::open(master.clone(), Arc::clone(&store))
        .await
        .expect("vault");

    let jeanne = ResidentId::new();
    let phone = PhoneNumber::parse("06 12 34 56 78").expect("phone");
    let registered = ResidentRegistered {
        resident_id: jeanne.to_string(),
        first_name: Some(
            vault
                .seal(jeanne.0, "Jeannette-Éloïse")
                .await
                .expect("seal"),
        ),
        last_name: Some(vault.seal(jeanne.0, "Zoubeyda").await.expect("seal")),
        phone: Some(vault.seal(jeanne.0, phone.as_str()).await.expect("seal")),
        email: Some(
            vault
                .seal(jeanne.0, "jeannette@example.org")
                .await
                .expect("seal"),
        ),
        language: Language::Fr as i32,
        sms_consent: true,
        email_consent: false,
        site_id: String::new(),
    };
    store
        .append(
            &jeanne.stream(),
            ExpectedVersion::NoStream,
            vec![to_new_event(&registered, meta()).expect("event")],
        )
        .await
        .expect("append");

    let before = fold(&store, &vault).await;
    assert_eq!(before.len(), 1);
    assert_eq!(
        before[0].first_name,
        Revealed::Value("Jeannette-Éloïse".into())
    );
    assert_eq!(before[0].phone, Revealed::Value("+33612345678".into()));

    assert!(vault.erase(jeanne.0).await.expect("erase"));
    let erased = ResidentErased {
        resident_id: jeanne.to_string(),
        cause: "request".into(),
    };
    store
        .append(
            &jeanne.stream(),
            ExpectedVersion::Exact(0),
            vec![to_new_event(&erased, meta()).expect("event")],
        )
        .await
        .expect("append");

    // The history still reads and folds; the person is gone.
    let after = fold(&store, &vault).await;
    assert_eq!(after.len(), 1);
    assert!(after[0].erased);
    assert_eq!(after[0].first_name, Revealed::Erased);
    assert_eq!(after[0].phone, Revealed::Erased);
    // A fresh vault (a restart, another process) cannot read it either.
    let restarted = Vault::open(master, Arc::clone(&store))
        .await
        .expect("vault");
    assert!(
        fold(&store, &restarted)
            .await
            .iter()
            .all(|f| f.first_name == Revealed::Erased)
    );

    drop(store);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut bytes = std::fs::read(&db).expect("db");
    for extra in ["creneau.db-wal", "creneau.db-shm"] {
        bytes.extend(std::fs::read(dir.join(extra)).unwrap_or_default());
    }
    for secret in [
        "Jeannette",
        "Zoubeyda",
        "+33612345678",
        "0612345678",
        "jeannette@example.org",
    ] {
        assert!(
            !contains(&bytes, secret),
            "{secret} is in clear in the database file"
        );
    }
    assert!(
        contains(&bytes, "ResidentRegistered"),
        "the file was read (sanity check)"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_and_a_missing_one_is_noticed() {
    let dir = std::env::temp_dir().join(format!("creneau-master-{}", Uuid::new_v4().simple()));
    let store: Arc<dyn EventStore> =
        Arc::new(SqliteStore::open(dir.join("creneau.db")).expect("open"));
    assert!(!Vault::store_is_sealed(store.as_ref()).await.expect("check"));
    let right = MasterKey::generate().expect("key");
    let vault = Vault::open(right.clone(), Arc::clone(&store))
        .await
        .expect("vault");
    let sealed = vault.seal(Uuid::now_v7(), "secret").await.expect("seal");
    assert!(Vault::store_is_sealed(store.as_ref()).await.expect("check"));

    let wrong = Vault::open(MasterKey::generate().expect("key"), Arc::clone(&store)).await;
    assert!(
        matches!(wrong, Err(VaultError::WrongMasterKey)),
        "{wrong:?}"
    );
    let message = VaultError::WrongMasterKey.to_string();
    assert!(message.contains("restore"), "{message}");

    // The right key, through a new vault: reads from the key table.
    let again = Vault::open(right, Arc::clone(&store)).await.expect("vault");
    assert_eq!(
        again.open_sealed(&sealed).await.expect("open"),
        Revealed::Value("secret".into())
    );

    // A value altered in the log is reported, not garbled.
    let mut altered = sealed.clone();
    if let Some(b) = altered.ciphertext.first_mut() {
        *b ^= 1;
    }
    assert!(matches!(
        again.open_sealed(&altered).await,
        Err(VaultError::Tampered { .. })
    ));
    // Moved to another owner: refused too (the owner is associated data).
    let mut moved = sealed;
    moved.owner = Uuid::now_v7().to_string();
    assert!(
        again
            .open_sealed(&moved)
            .await
            .is_ok_and(|r| r == Revealed::Erased)
    );

    // Key files: base64 of 32 bytes, created once, never replaced.
    let path = dir.join("master.key");
    let key = MasterKey::generate().expect("key");
    key.write_new_file(&path).expect("write");
    assert!(
        key.write_new_file(&path).is_err(),
        "an existing key file is never replaced"
    );
    assert_eq!(
        MasterKey::read_file(&path)
            .expect("read")
            .expect("some")
            .to_base64(),
        key.to_base64()
    );
    assert!(
        MasterKey::read_file(&dir.join("none.key"))
            .expect("read")
            .is_none()
    );
    std::fs::write(dir.join("bad.key"), "not a key").expect("write");
    assert!(MasterKey::read_file(&dir.join("bad.key")).is_err());
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}
