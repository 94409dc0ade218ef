//! Waiting lists: joined only when nothing is free, once per person; a
//! freed place is held for the first one waiting, offered by SMS for two
//! hours of the day (never at night), taken, declined or lapsed, then the
//! next one's; under two processes offering at once, ten places freed go
//! to the first ten waiting, each once.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use contracts::Role;
use creneau_tests::sms_stand_in::StandIn;
use creneau_tests::{Call, TestApp, paris, paris_time};
use serde_json::{Value, json};

const SECRET: &str = "waiting-list-test-secret";

/// A site with one permanence on the second open day at 09:00: one
/// 30-minute appointment at `desks` desks. The site and the start.
async fn one_slot(t: &TestApp, desks: u32) -> (String, String) {
    let day = t.open_day(2);
    let (site, _) = creneau_tests::site_with_rule(
        t,
        json!({"once_at": format!("{day}T09:00"), "duration_minutes": 30,
               "offer": {"appointments": true, "appointment_minutes": 30, "desks": desks}}),
    )
    .await;
    (site, paris_time(day, "09:00"))
}

fn join(site: &str, name: &str, phone: &str) -> Value {
    json!({"site": site, "reason": "procedure_caf", "sms_consent": true,
           "resident": {"name": name, "phone": phone}})
}

fn token_of(url: &Value) -> String {
    url.as_str()
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_freed_place_is_held_for_the_first_one_waiting_for_two_hours_of_the_day() {
    let mut t = TestApp::new().await;
    let (site, start) = one_slot(&t, 1).await;
    // A place is free: book it rather than wait.
    let early = t
        .send(Call::post("/api/v1/waitlists").json(join(&site, "Bob Martin", "06 66 00 00 01")))
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    let awa = creneau_tests::book(&t, &site, &start, "06 66 00 00 00").await;

    // Now nothing is free: Bob, then Chloé, join; without SMS, no list;
    // Bob twice is once.
    let no_sms = t
        .send(
            Call::post("/api/v1/waitlists").json(json!({"site": site, "reason": "procedure_caf",
            "resident": {"name": "Dan Petit", "phone": "06 66 00 00 03"}})),
        )
        .await;
    assert_eq!(
        no_sms.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        no_sms.body
    );
    assert_eq!(no_sms.json()["field"], "sms_consent");
    let bob = t
        .send(Call::post("/api/v1/waitlists").json(join(&site, "Bob Martin", "06 66 00 00 01")))
        .await;
    assert_eq!(bob.status, StatusCode::CREATED, "{}", bob.body);
    assert_eq!(bob.json()["position"], 1);
    let chloe = t
        .send(Call::post("/api/v1/waitlists").json(join(&site, "Chloé Petit", "06 66 00 00 02")))
        .await;
    assert_eq!(chloe.json()["position"], 2, "{}", chloe.body);
    let again = t
        .send(Call::post("/api/v1/waitlists").json(join(&site, "Bob Martin", "06 66 00 00 01")))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let bob_entry = bob.json()["entry_id"].as_str().expect("entry").to_owned();
    let bob_token = token_of(&bob.json()["manage_url"]);
    let mine = t
        .send(Call::get(&format!("/api/v1/waitlists/{bob_entry}")).bearer(&bob_token))
        .await;
    assert_eq!(mine.json()["position"], 1, "{}", mine.body);
    // Someone else's entry link opens nothing of Bob's.
    let other = t
        .send(
            Call::get(&format!("/api/v1/waitlists/{bob_entry}"))
                .bearer(&token_of(&chloe.json()["manage_url"])),
        )
        .await;
    assert!(other.status.is_client_error(), "{}", other.body);
    // Reception sees the list in order; Eve joins and leaves with her link.
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let eve = t
        .send(Call::post("/api/v1/waitlists").json(join(&site, "Eve Durand", "06 66 00 00 05")))
        .await;
    assert_eq!(eve.json()["position"], 3, "{}", eve.body);
    let eve_entry = eve.json()["entry_id"].as_str().expect("entry").to_owned();
    let left = t
        .send(
            Call::delete(&format!("/api/v1/waitlists/{eve_entry}"))
                .bearer(&token_of(&eve.json()["manage_url"])),
        )
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{}", left.body);
    let listed = t
        .send(Call::get(&format!("/api/v1/waitlists?site={site}")).bearer(&reception.token))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let order: Vec<(Value, Value)> = listed
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| (e["entry_id"].clone(), e["position"].clone()))
        .collect();
    assert_eq!(
        order,
        vec![
            (json!(bob_entry), json!(1)),
            (chloe.json()["entry_id"].clone(), json!(2))
        ],
        "Eve left"
    );

    // Awa cancels: at night nothing is offered; in the morning the place
    // is held for Bob only, until 12:00 (two hours), and sent by SMS.
    let id = awa["id"].as_str().expect("id");
    let cancelled = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/cancel"))
                .bearer(&token_of(&awa["manage_url"]))
                .json(json!({})),
        )
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
    let appts = t.state.appointments.clone();
    let day1 = t.open_day(1);
    assert_eq!(
        appts
            .offer_freed_places(paris(day1, "21:00"))
            .await
            .expect("night"),
        0
    );
    assert_eq!(
        appts
            .offer_freed_places(paris(day1, "07:30"))
            .await
            .expect("night"),
        0
    );
    let morning = paris(day1, "10:00");
    assert_eq!(appts.offer_freed_places(morning).await.expect("offers"), 1);
    assert_eq!(
        appts.offer_freed_places(morning).await.expect("offers"),
        0,
        "once"
    );
    let mine = t
        .send(Call::get(&format!("/api/v1/waitlists/{bob_entry}")).bearer(&bob_token))
        .await
        .json();
    assert_eq!(mine["offer"]["state"], "live", "{mine}");
    assert_eq!(
        mine["offer"]["expires_at"],
        paris_time(day1, "12:00"),
        "{mine}"
    );
    let offer = mine["offer"]["offer_id"]
        .as_str()
        .expect("offer")
        .to_owned();
    // Held: nobody else books it.
    let taken = t
        .send(
            Call::post("/api/v1/appointments").json(creneau_tests::booking(
                &site,
                &start,
                "06 66 00 00 09",
            )),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    // The SMS says until when, with the link.
    let stand_in = StandIn::start(SECRET).await;
    let client = reminders::sms::http_client(Duration::from_secs(5)).expect("client");
    let sms: Arc<dyn reminders::sms::SmsProvider> = Arc::new(reminders::sms::Webhook::new(
        client,
        &format!("{}/sms", stand_in.url()),
        SECRET,
    ));
    let reminders = t
        .with_sms(
            sms,
            eventlog::ManualClock::new(morning + chrono::Duration::minutes(1)),
            reminders::Settings {
                public_url: creneau_tests::ORIGIN.to_owned(),
                notices_within: chrono::Duration::days(30),
                ..reminders::Settings::default()
            },
        )
        .await;
    t.state.reminders = reminders.clone();
    reminders.round().await.expect("round");
    let sent: Vec<_> = stand_in
        .received()
        .into_iter()
        .filter(|s| s.text.contains("12h00"))
        .collect();
    assert_eq!(sent.len(), 1, "{:?}", stand_in.received());
    assert!(
        sent[0].text.contains("Gardée pour vous jusqu'à 12h00"),
        "{}",
        sent[0].text
    );
    assert_eq!(
        reminders::gsm::cost(&sent[0].text).segments,
        1,
        "{}",
        sent[0].text
    );
    let link = sent[0].text.rsplit(' ').next().expect("link").to_owned();
    let offer_token = token_of(&json!(link));

    // Bob says no: Chloé gets it, and takes it from her SMS link; the
    // same link then opens her appointment.
    let declined = t
        .send(Call::post(&format!("/api/v1/offers/{offer}/decline")).bearer(&offer_token))
        .await;
    assert_eq!(declined.status, StatusCode::NO_CONTENT, "{}", declined.body);
    assert_eq!(appts.offer_freed_places(morning).await.expect("offers"), 1);
    let entry = chloe.json()["entry_id"].as_str().expect("entry").to_owned();
    let hers = appts
        .entry(entry.parse().expect("id"))
        .await
        .expect("entry");
    let held = hers.2.expect("a place held for Chloé");
    let took = t
        .send(Call::post(&format!("/api/v1/offers/{}/take", held.offer)).bearer(&reception.token))
        .await;
    assert_eq!(took.status, StatusCode::CREATED, "{}", took.body);
    assert_eq!(took.json()["id"], held.offer.to_string());
    assert_eq!(took.json()["start"], start.as_str());
    let hers = appts
        .entry(entry.parse().expect("id"))
        .await
        .expect("entry");
    assert_eq!(
        (hers.0.ended, hers.1),
        (Some(appointments::Ended::Booked), None)
    );
    // Bob is off the list (he declined).
    let mine = t
        .send(Call::get(&format!("/api/v1/waitlists/{bob_entry}")).bearer(&bob_token))
        .await
        .json();
    assert_eq!(mine["ended"], "left", "{mine}");

    // Dan waits; Chloé cancels; his offer lapses at 12:00 and goes back.
    let dan = t
        .send(Call::post("/api/v1/waitlists").json(join(&site, "Dan Petit", "06 66 00 00 03")))
        .await;
    assert_eq!(dan.status, StatusCode::CREATED, "{}", dan.body);
    appts
        .cancel(
            &api::Acting::system("test", morning),
            held.offer,
            contracts::Party::Staff,
            "changement",
        )
        .await
        .expect("cancelled");
    assert_eq!(appts.offer_freed_places(morning).await.expect("offers"), 1);
    assert_eq!(
        appts
            .release_lapsed(paris(day1, "11:59"))
            .await
            .expect("sweep"),
        0
    );
    assert_eq!(
        appts
            .release_lapsed(paris(day1, "12:00"))
            .await
            .expect("sweep"),
        1
    );
    let dans = appts
        .entry(
            dan.json()["entry_id"]
                .as_str()
                .expect("entry")
                .parse()
                .expect("id"),
        )
        .await
        .expect("entry");
    assert_eq!(dans.0.ended, Some(appointments::Ended::Lapsed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_places_freed_at_once_go_to_the_first_ten_waiting_once_whatever_two_processes_do() {
    let t = TestApp::new().await;
    let (site, start) = one_slot(&t, 10).await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let mut booked = Vec::new();
    for i in 0..10 {
        let b = creneau_tests::book(&t, &site, &start, &format!("06 77 00 00 {i:02}")).await;
        booked.push(
            b["id"]
                .as_str()
                .expect("id")
                .parse::<contracts::AppointmentId>()
                .expect("id"),
        );
    }
    let mut entries = Vec::new();
    for i in 0..15 {
        let joined = t
            .send(
                Call::post("/api/v1/waitlists")
                    .bearer(&reception.token)
                    .json(join(
                        &site,
                        &format!("Personne {i}"),
                        &format!("06 78 00 00 {i:02}"),
                    )),
            )
            .await;
        assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.body);
        entries.push(
            joined.json()["entry_id"]
                .as_str()
                .expect("entry")
                .parse::<uuid::Uuid>()
                .expect("id"),
        );
    }
    let appts = t.state.appointments.clone();
    let now = paris(t.open_day(1), "10:00");
    for id in &booked {
        appts
            .cancel(
                &api::Acting::system("test", now),
                *id,
                contracts::Party::Staff,
                "libéré",
            )
            .await
            .expect("cancelled");
    }
    // A second process on the same log.
    let other = appointments::Appointments::new(
        Arc::clone(&t.state.store),
        Arc::new(t.state.identity.clone()),
        t.state.vault.clone(),
        appointments::Settings::default(),
        Arc::clone(&t.state.clock),
    )
    .await
    .expect("a second process");
    let (a, b) = tokio::join!(appts.offer_freed_places(now), other.offer_freed_places(now));
    let made = a.expect("offers") + b.expect("offers");
    assert_eq!(made, 10, "ten places, ten offers");
    let m = appts.model().await.expect("model");
    let live: Vec<_> = m
        .waitlists
        .holds
        .values()
        .filter(|h| h.state == appointments::HoldState::Live)
        .collect();
    assert_eq!(live.len(), 10);
    let mut held_for: Vec<uuid::Uuid> = live.iter().map(|h| h.entry).collect();
    held_for.sort();
    held_for.dedup();
    assert_eq!(held_for.len(), 10, "each to one person, none twice");
    let first_ten: std::collections::HashSet<_> = entries[..10].iter().collect();
    assert!(
        held_for.iter().all(|e| first_ten.contains(e)),
        "the first ten waiting"
    );
    assert_eq!(
        appts.offer_freed_places(now).await.expect("offers")
            + other.offer_freed_places(now).await.expect("offers"),
        0
    );
}
