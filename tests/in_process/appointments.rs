//! Booking through the whole router: the resident's own booking and manage
//! link, staff on the phone, no overbooking under 200 concurrent bookings
//! over a real socket, one appointment per reason, and refusals that name
//! the field.

use axum::http::StatusCode;
use chrono::Utc;
use contracts::Role;
use creneau_tests::{Call, TestApp, book, booking, site_with_slots};
use serde_json::{Value, json};

#[tokio::test]
async fn a_resident_books_then_sees_and_cancels_with_the_link_and_nothing_else() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let free = t
        .send(Call::get(&format!(
            "/api/v1/availability?site={site}&reason=procedure_caf&days=3"
        )))
        .await;
    assert_eq!(free.status, StatusCode::OK, "{}", free.body);
    let start = t.at_nine(1);
    assert!(
        free.json()
            .as_array()
            .expect("list")
            .iter()
            .any(|s| s["start"] == start.as_str()),
        "{}",
        free.body
    );

    let made = book(&t, &site, &start, "06 12 34 56 78").await;
    let a = made;
    assert_eq!(a["status"], "booked");
    assert_eq!(a["start"], start.as_str());
    assert!(a["reference"].as_str().is_some_and(|r| r.len() == 7));
    let url = a["manage_url"].as_str().expect("manage url");
    let path = url.trim_start_matches(creneau_tests::ORIGIN);
    let token = path.strip_prefix("/r/").expect("a short link").to_owned();
    assert_eq!(token.len(), 22, "128 bits, short enough for one SMS");
    let id = a["id"].as_str().expect("id").to_owned();
    // The link opens the appointment's page, in French.
    let opened = t.send(Call::get(path)).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    let reference = a["reference"].as_str().expect("reference");
    assert!(
        opened.body.contains("Votre rendez-vous") && opened.body.contains(reference),
        "{}",
        opened.body
    );
    let path = format!("/api/v1/appointments/{id}?token={token}");
    let path = path.as_str();

    let other = t
        .send(Call::post("/api/v1/appointments").json(booking(
            &site,
            &start.replace("T09:00", "T09:30"),
            "06 98 76 54 32",
        )))
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    let other_id = other.json()["id"].as_str().expect("id").to_owned();

    let seen = t.send(Call::get(path)).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.json()["id"], id.as_str());
    assert!(!seen.body.contains("manage_url") && !seen.body.contains("Traoré"));
    let by_header = t
        .send(Call::get(&format!("/api/v1/appointments/{id}")).bearer(&token))
        .await;
    assert_eq!(by_header.status, StatusCode::OK);
    let idor = t
        .send(Call::get(&format!(
            "/api/v1/appointments/{other_id}?token={token}"
        )))
        .await;
    assert_eq!(
        idor.status,
        StatusCode::NOT_FOUND,
        "one link opens one appointment: {}",
        idor.body
    );
    let unknown = t
        .send(Call::get(&format!(
            "/api/v1/appointments/{}?token={token}",
            contracts::AppointmentId::new()
        )))
        .await;
    assert_eq!(
        (idor.status, idor.json()["message"].clone()),
        (unknown.status, unknown.json()["message"].clone()),
        "no difference to learn from"
    );
    let none = t
        .send(Call::get(&format!("/api/v1/appointments/{id}")))
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    let cancel_other = t
        .send(Call::post(&format!(
            "/api/v1/appointments/{other_id}/cancel?token={token}"
        )))
        .await;
    assert_eq!(cancel_other.status, StatusCode::NOT_FOUND);

    let slot_taken = t
        .send(Call::get(&format!(
            "/api/v1/availability?site={site}&reason=procedure_caf&days=3"
        )))
        .await;
    assert!(
        !slot_taken
            .json()
            .as_array()
            .expect("list")
            .iter()
            .any(|s| s["start"] == start.as_str())
    );
    let cancelled = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/cancel"))
                .bearer(&token)
                .json(json!({"reason": "empêchement"})),
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::NO_CONTENT,
        "{}",
        cancelled.body
    );
    let seen = t.send(Call::get(path)).await;
    assert_eq!(seen.json()["status"], "cancelled");
    let free_again = t
        .send(Call::get(&format!(
            "/api/v1/availability?site={site}&reason=procedure_caf&days=3"
        )))
        .await;
    assert!(
        free_again
            .json()
            .as_array()
            .expect("list")
            .iter()
            .any(|s| s["start"] == start.as_str()),
        "the place is free again"
    );
    let history = t
        .state
        .store
        .read_stream(
            &eventlog::StreamName::new(format!(
                "booking-{}",
                seen.json()["permanence"].as_str().expect("p")
            ))
            .expect("stream"),
            0,
            10,
        )
        .await
        .expect("read");
    assert_eq!(
        history
            .last()
            .expect("event")
            .metadata
            .actor
            .to_string()
            .split(':')
            .next(),
        Some("resident"),
        "the resident cancelled, through their link"
    );
}

#[tokio::test]
async fn one_appointment_per_reason_unless_staff_say_why_and_bad_input_names_the_field() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 2).await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let start = t.at_nine(1);
    book(&t, &site, &start, "0611223344").await;
    let later = start.replace("T09:00", "T09:30");
    let again = t
        .send(Call::post("/api/v1/appointments").json(booking(&site, &later, "+33 6 11 22 33 44")))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body.contains("already have an appointment"),
        "{}",
        again.body
    );
    let staff_plain = t
        .send(
            Call::post("/api/v1/appointments")
                .bearer(&reception.token)
                .json(booking(&site, &later, "06 11 22 33 44")),
        )
        .await;
    assert_eq!(staff_plain.status, StatusCode::CONFLICT);
    assert!(
        staff_plain.body.contains("override_reason"),
        "{}",
        staff_plain.body
    );
    let mut with_reason = booking(&site, &later, "06 11 22 33 44");
    with_reason["override_reason"] = json!("dossier CAF en deux temps");
    let staff_ok = t
        .send(
            Call::post("/api/v1/appointments")
                .bearer(&reception.token)
                .json(with_reason),
        )
        .await;
    assert_eq!(staff_ok.status, StatusCode::CREATED, "{}", staff_ok.body);

    let head = t.state.store.head().await.expect("head");
    let past = contracts::time::to_local(t.now() - chrono::Duration::days(1))
        .fixed_offset()
        .to_rfc3339();
    let mut cases = vec![
        (booking(&site, &start, "01 23 45 67 89"), "resident.phone"),
        (
            booking(&site, &start.replace("T09:00", "T09:10"), "06 55 44 33 22"),
            "start",
        ),
        (booking(&site, &past, "06 55 44 33 22"), "start"),
        (booking(&site, "demain 9h", "06 55 44 33 22"), "start"),
        (
            booking(
                &contracts::SiteId::new().to_string(),
                &start,
                "06 55 44 33 22",
            ),
            "site",
        ),
    ];
    let mut r = booking(&site, &start, "06 55 44 33 22");
    r["reason"] = json!("astrologie");
    cases.push((r, "reason"));
    let mut r = booking(&site, &start, "06 55 44 33 22");
    r["note"] = json!("x".repeat(301));
    cases.push((r, "note"));
    let mut r = booking(&site, &start, "06 55 44 33 22");
    r["colour"] = json!("blue");
    cases.push((r, "colour"));
    let mut r = booking(&site, &start, "06 55 44 33 22");
    r["resident"]
        .as_object_mut()
        .expect("object")
        .remove("phone");
    cases.push((r, "phone"));
    for (i, (body, field)) in cases.into_iter().enumerate() {
        let reply = t
            .send(Call::post("/api/v1/appointments").json(body.clone()))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.body
        );
        assert_eq!(reply.json()["field"], field, "{}", reply.body);
        // Without Accept-Language (or asking for French) the same refusal
        // is in French: another text, the same code and field.
        for (n, language) in [(1, ""), (2, "fr-FR,fr;q=0.9,en;q=0.5")] {
            // Another connection and number, so that no rate limit answers.
            let mut body = body.clone();
            if body["resident"]["phone"] == "06 55 44 33 22" {
                body["resident"]["phone"] = json!(format!("06 11 22 {i:02} {n:02}"));
            }
            let french = t
                .send(
                    Call::post("/api/v1/appointments")
                        .language(language)
                        .sent_from([198, 51, 100, n])
                        .json(body),
                )
                .await;
            assert_eq!(french.json()["field"], field, "{}", french.body);
            assert_ne!(
                french.json()["message"],
                reply.json()["message"],
                "{field} has a French message"
            );
        }
    }
    assert_eq!(
        t.state.store.head().await.expect("head"),
        head,
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_bookings_of_one_place_make_exactly_one_appointment() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let (address, stop) = creneau_tests::on_a_socket(&t);
    let start = t.at_nine(1);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let body = booking(
            &site,
            &start,
            &format!("06 00 00 {:02} {:02}", i / 100, i % 100),
        )
        .to_string();
        let token = reception.token.clone();
        tasks.push(tokio::spawn(async move {
            creneau_tests::post_json(address, "/api/v1/appointments", &token, body).await
        }));
    }
    let mut created = 0;
    let mut taken = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            201 => created += 1,
            409 => {
                let v: Value = serde_json::from_str(&body).expect("json");
                assert_eq!(v["error"], "slot_taken", "{body}");
                let alternatives = v["alternatives"].as_array().expect("alternatives");
                assert!(
                    !alternatives.is_empty()
                        && alternatives.iter().all(|a| a["start"] != start.as_str()),
                    "{body}"
                );
                taken += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!((created, taken), (1, 199));
    let _ = stop.send(());
    let model = t.state.appointments.model().await.expect("model");
    assert_eq!(
        model.bookings.values().filter(|b| !b.cancelled).count(),
        1,
        "one appointment in the log"
    );
    // Each booking was decided before anything was written, and a new
    // resident is registered in the same commit as their place: a booking
    // that lost the place in the same instant wrote nothing, so no record
    // of a person was written (and erased) for it.
    let directory = t.state.identity.directory().await.expect("directory");
    let all: Vec<_> = directory.residents().collect();
    assert_eq!(all.len(), 1, "only the winner was registered");
    assert!(!all[0].erased);
    assert!(model.bookings.values().all(|b| b.resident == all[0].id));
    let log = t
        .state
        .store
        .read_all(eventlog::Position(0), 10_000, &eventlog::Filter::all())
        .await
        .expect("log");
    let position_of = |kind: &str| {
        let found: Vec<u64> = log
            .iter()
            .filter(|e| e.event_type.ends_with(kind))
            .map(|e| e.position.0)
            .collect();
        assert_eq!(found.len(), 1, "{kind}: {found:?}");
        found[0]
    };
    assert_eq!(
        position_of(".ResidentRegistered") + 1,
        position_of(".AppointmentBooked"),
        "the resident and their place in one commit"
    );
    assert!(
        !log.iter()
            .any(|e| e.event_type.ends_with(".ResidentErased"))
    );
}

async fn stream_types(t: &TestApp, permanence: &str) -> Vec<String> {
    t.state
        .store
        .read_stream(
            &eventlog::StreamName::new(format!("booking-{permanence}")).expect("stream"),
            0,
            100,
        )
        .await
        .expect("read")
        .into_iter()
        .map(|e| {
            e.event_type
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_move_takes_the_new_place_then_frees_the_old_one_and_the_link_follows() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let start = t.at_nine(1);
    let made = book(&t, &site, &start, "06 12 34 56 78").await;
    let id = made["id"].as_str().expect("id").to_owned();
    let token = made["manage_url"]
        .as_str()
        .expect("url")
        .split("/r/")
        .nth(1)
        .expect("token")
        .to_owned();
    let first_permanence = made["permanence"].as_str().expect("p").to_owned();

    // Within the same permanence.
    let later = start.replace("T09:00", "T09:30");
    let moved = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/reschedule"))
                .bearer(&token)
                .json(json!({"start": later})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.json()["start"], later.as_str());
    // To another day: another permanence.
    let next_day = t.at_nine(2);
    let moved = t
        .send(
            Call::post(&format!(
                "/api/v1/appointments/{id}/reschedule?token={token}"
            ))
            .json(json!({"start": next_day})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let second_permanence = moved.json()["permanence"].as_str().expect("p").to_owned();
    assert_ne!(first_permanence, second_permanence);
    assert_eq!(
        stream_types(&t, &first_permanence).await,
        [
            "AppointmentBooked",
            "ManageLinkIssued",
            "AppointmentMovedIn",
            "ManageLinkIssued",
            "AppointmentMovedOut"
        ]
    );
    assert_eq!(
        stream_types(&t, &second_permanence).await,
        ["AppointmentMovedIn", "ManageLinkIssued"]
    );
    let free = t
        .send(Call::get(&format!(
            "/api/v1/availability?site={site}&reason=procedure_caf&days=4"
        )))
        .await
        .json();
    let starts: Vec<&str> = free
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["start"].as_str())
        .collect();
    assert!(
        starts.contains(&start.as_str()) && starts.contains(&later.as_str()),
        "both old places are free"
    );
    assert!(
        !starts.contains(&next_day.as_str()),
        "the new place is taken"
    );
    let seen = t
        .send(Call::get(&format!(
            "/api/v1/appointments/{id}?token={token}"
        )))
        .await;
    assert_eq!(
        seen.json()["start"],
        next_day.as_str(),
        "the link follows the appointment"
    );

    // Into a taken place: 409 with alternatives, nothing moved.
    book(&t, &site, &start, "06 98 76 54 32").await;
    let taken = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/reschedule"))
                .bearer(&token)
                .json(json!({"start": start})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert_eq!(taken.json()["error"], "slot_taken");
    let in_french = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/reschedule"))
                .language("")
                .bearer(&token)
                .json(json!({"start": start})),
        )
        .await;
    assert_eq!(
        in_french.json()["message"],
        "ce créneau vient d'être pris : voici les prochains libres",
        "French unless English is asked for"
    );
    let seen = t
        .send(Call::get(&format!(
            "/api/v1/appointments/{id}?token={token}"
        )))
        .await;
    assert_eq!(seen.json()["start"], next_day.as_str());
}

#[tokio::test]
async fn a_move_cut_in_half_by_a_crash_is_completed_at_the_next_start_once() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let start = t.at_nine(1);
    let made = t
        .send(Call::post("/api/v1/appointments").json(booking(&site, &start, "06 12 34 56 78")))
        .await;
    let id: contracts::AppointmentId = made.json()["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let old = made.json()["permanence"].as_str().expect("p").to_owned();
    // The first half of a move to the next day, and then the process died.
    let b = t.state.appointments.get(id).await.expect("booking");
    let target = t.at_nine(2);
    let new_start = chrono::DateTime::parse_from_rfc3339(&target)
        .expect("time")
        .with_timezone(&Utc);
    let new_permanence = t
        .state
        .calendar
        .permanences(
            Some(b.site),
            contracts::time::local_date(new_start),
            contracts::time::local_date(new_start),
        )
        .await
        .expect("permanences")[0]
        .permanence_id
        .clone();
    let half = contracts::proto::appointments::v1::AppointmentMovedIn {
        appointment_id: id.to_string(),
        reference: b.reference.clone(),
        resident_id: b.resident.to_string(),
        site_id: b.site.to_string(),
        permanence_id: new_permanence.clone(),
        starts_at: new_start.to_rfc3339(),
        ends_at: (new_start + chrono::Duration::minutes(30)).to_rfc3339(),
        reason: b.reason.into(),
        booker: b.booked_by.into(),
        from_permanence_id: old.clone(),
        mover: contracts::Party::Staff.into(),
        ..Default::default()
    };
    let e = api::Acting::system("test", t.now())
        .event(&half)
        .expect("event");
    t.state
        .store
        .append(
            &eventlog::StreamName::new(format!("booking-{new_permanence}")).expect("stream"),
            eventlog::ExpectedVersion::NoStream,
            vec![e],
        )
        .await
        .expect("append");
    assert_eq!(
        stream_types(&t, &old).await,
        ["AppointmentBooked", "ManageLinkIssued"],
        "the old place is not released in the log"
    );

    // The service starts again (another instance over the same store).
    let restarted = appointments::Appointments::new(
        std::sync::Arc::clone(&t.state.store),
        std::sync::Arc::new(t.identity().clone()),
        t.identity().vault().clone(),
        appointments::Settings::default(),
        t.identity().clock(),
    )
    .await
    .expect("restart");
    assert_eq!(
        stream_types(&t, &old).await,
        [
            "AppointmentBooked",
            "ManageLinkIssued",
            "AppointmentMovedOut"
        ]
    );
    assert_eq!(
        restarted.complete_moves().await.expect("again"),
        0,
        "nothing left to complete"
    );
    let also = appointments::Appointments::new(
        std::sync::Arc::clone(&t.state.store),
        std::sync::Arc::new(t.identity().clone()),
        t.identity().vault().clone(),
        appointments::Settings::default(),
        t.identity().clock(),
    )
    .await
    .expect("another");
    drop(also);
    assert_eq!(
        stream_types(&t, &old).await.len(),
        3,
        "a second start completes nothing"
    );
    let m = restarted.model().await.expect("model");
    assert_eq!(m.live_at(&old).count(), 0);
    assert_eq!(
        m.live_at(&new_permanence).count(),
        1,
        "in exactly one place"
    );
}

#[tokio::test]
async fn the_day_of_an_appointment_check_in_start_done_and_no_shows_when_the_permanence_ends() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 2).await;
    let mediator = t.staff("mediation", &[(Role::Mediator, None)]).await;
    let start = t.at_nine(1);
    let mut ids = Vec::new();
    for phone in ["06 11 11 11 11", "06 22 22 22 22", "06 33 33 33 33"] {
        let made = t
            .send(Call::post("/api/v1/appointments").json(booking(&site, &start, phone)))
            .await;
        if made.status == StatusCode::CREATED {
            ids.push(made.json()["id"].as_str().expect("id").to_owned());
        }
    }
    assert_eq!(ids.len(), 2, "two desks, two places");
    // Not before its day.
    let early = t
        .send(
            Call::post(&format!("/api/v1/appointments/{}/arrived", ids[0])).bearer(&mediator.token),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("another day"), "{}", early.body);

    // On the day (the service is asked with tomorrow's clock).
    let appts = &t.state.appointments;
    let acting = api::Acting::system("test", t.now());
    let on_the_day = chrono::DateTime::parse_from_rfc3339(&start)
        .expect("time")
        .with_timezone(&Utc);
    let second: contracts::AppointmentId = ids[1].parse().expect("id");
    let first: contracts::AppointmentId = ids[0].parse().expect("id");
    use appointments::Stage;
    assert_eq!(
        appts
            .advance(&acting.clone().at(on_the_day), second, Stage::Arrived)
            .await
            .expect("arrived")
            .stage,
        Stage::Arrived
    );
    let permanence = appts.get(second).await.expect("booking").permanence_id;
    let list = t
        .send(
            Call::get(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/appointments"
            ))
            .bearer(&mediator.token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(
        list.json()[0]["id"],
        ids[1].as_str(),
        "the one who arrived comes first: {}",
        list.body
    );
    assert_eq!(list.json()[0]["stage"], "arrived");
    assert!(list.json()[0]["arrived_at"].is_string());
    appts
        .advance(&acting.clone().at(on_the_day), second, Stage::InProgress)
        .await
        .expect("started");
    appts
        .advance(&acting.clone().at(on_the_day), second, Stage::Done)
        .await
        .expect("done");
    let twice = appts
        .advance(&acting.clone().at(on_the_day), second, Stage::NoShow)
        .await
        .unwrap_err();
    assert!(twice.to_string().contains("done already"), "{twice}");

    // The permanence ends (09:00 + 90 minutes): who never came is a no-show.
    let before_end = on_the_day + chrono::Duration::minutes(60);
    assert_eq!(appts.mark_no_shows(before_end).await.expect("sweep"), 0);
    let after_end = on_the_day + chrono::Duration::minutes(91);
    assert_eq!(appts.mark_no_shows(after_end).await.expect("sweep"), 1);
    assert_eq!(
        appts.mark_no_shows(after_end).await.expect("sweep"),
        0,
        "once"
    );
    assert_eq!(
        appts.get(first).await.expect("booking").stage,
        Stage::NoShow
    );
    assert_eq!(
        appts.get(second).await.expect("booking").stage,
        Stage::Done,
        "a visit that happened stays done"
    );
    // A no-show recorded by mistake is taken back, and the sweep does not
    // mark it again; a done visit is not undone.
    // (Over HTTP the step exists, and like the others it is taken on the
    // appointment's day, which the test's clock is not.)
    let undo = t
        .send(Call::post(&format!("/api/v1/appointments/{}/undo", ids[0])).bearer(&mediator.token))
        .await;
    assert!(undo.body.contains("another day"), "{}", undo.body);
    appts
        .advance(&acting.clone().at(after_end), first, Stage::Booked)
        .await
        .expect("undone");
    assert_eq!(appts.mark_no_shows(after_end).await.expect("sweep"), 0);
    assert_eq!(
        appts.get(first).await.expect("booking").stage,
        Stage::Booked
    );
    let not_done = appts
        .advance(&acting.clone().at(on_the_day), second, Stage::Booked)
        .await;
    assert!(not_done.is_err(), "a done visit stays done");
    // Then she did come after all.
    appts
        .advance(&acting.clone().at(on_the_day), first, Stage::Arrived)
        .await
        .expect("arrived after all");
    let stranger = t
        .staff(
            "accueil_ailleurs",
            &[(Role::Reception, Some(contracts::SiteId::new()))],
        )
        .await;
    let refused = t
        .send(Call::post(&format!("/api/v1/appointments/{}/done", ids[0])).bearer(&stranger.token))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "another site's staff: {}",
        refused.body
    );
}

#[tokio::test]
async fn reception_finds_a_resident_by_any_phone_form_or_by_name_and_sees_possible_duplicates() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 2).await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let start = t.at_nine(1);
    let mut first = booking(&site, &start, "06 12 34 56 78");
    first["resident"]["name"] = json!("Éloïse N'Diaye");
    assert_eq!(
        t.send(Call::post("/api/v1/appointments").json(first))
            .await
            .status,
        StatusCode::CREATED
    );
    // The same person registered again by reception under another spelling.
    let again = t
        .send(
            Call::post("/api/v1/residents")
                .bearer(&reception.token)
                .json(json!({
            "first_name": "Eloise", "last_name": "Ndiaye", "phone": "+33612345678"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    let other = t
        .send(
            Call::post("/api/v1/residents")
                .bearer(&reception.token)
                .json(json!({
            "first_name": "Marc", "last_name": "Petit", "phone": "0798765432"})),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED);

    for query in [
        "06 12 34 56 78",
        "0612345678",
        "%2B33%206%2012%2034%2056%2078",
        "eloise",
        "NDIAYE",
        "éloïse n'diaye",
    ] {
        let found = t
            .send(
                Call::get(&format!(
                    "/api/v1/residents/search?q={}",
                    query.replace(' ', "%20")
                ))
                .bearer(&reception.token),
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{query}: {}", found.body);
        let list = found.json();
        let list = list.as_array().expect("list");
        assert_eq!(list.len(), 2, "{query}: {}", found.body);
        assert!(
            list.iter().all(|r| r["possible_duplicates"]
                .as_array()
                .is_some_and(|d| d.len() == 1)),
            "{}",
            found.body
        );
        assert!(!found.body.contains("Petit"));
    }
    let found = t
        .send(Call::get("/api/v1/residents/search?q=eloise").bearer(&reception.token))
        .await
        .json();
    let booked = found
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["upcoming"].as_array().is_some_and(|u| u.len() == 1))
        .cloned();
    assert!(
        booked
            .as_ref()
            .is_some_and(|r| r["phone"] == "06 12 34 56 78"),
        "{found}"
    );
    // Reception merges the second registration into the first.
    let keep = booked.expect("the booked one")["resident_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let duplicate = again.json()["resident_id"].as_str().expect("id").to_owned();
    let merged = t
        .send(
            Call::post(&format!("/api/v1/residents/{duplicate}/merge"))
                .bearer(&reception.token)
                .json(json!({"into": keep, "reason": "registered twice by reception"})),
        )
        .await;
    assert_eq!(merged.status, StatusCode::NO_CONTENT, "{}", merged.body);
    let found = t
        .send(
            Call::get("/api/v1/residents/search?q=06%2012%2034%2056%2078").bearer(&reception.token),
        )
        .await
        .json();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["resident_id"], keep.as_str());
    assert_eq!(found[0]["possible_duplicates"], json!([]));
    assert_eq!(found[0]["upcoming"].as_array().map(Vec::len), Some(1));
    let twice = t
        .send(
            Call::post(&format!("/api/v1/residents/{duplicate}/merge"))
                .bearer(&reception.token)
                .json(json!({"into": keep, "reason": "registered twice by reception"})),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    let short = t
        .send(Call::get("/api/v1/residents/search?q=e").bearer(&reception.token))
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let coordinator_elsewhere = t
        .staff(
            "coord_b",
            &[(Role::Mediator, Some(contracts::SiteId::new()))],
        )
        .await;
    assert_eq!(
        t.send(Call::get("/api/v1/residents/search?q=eloise").bearer(&coordinator_elsewhere.token))
            .await
            .status,
        StatusCode::OK,
        "front-desk roles search residents of every site: a resident is not a site's"
    );
    assert_eq!(
        t.send(Call::get("/api/v1/residents/search?q=eloise"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn erasing_a_resident_cancels_what_is_ahead_of_them_and_frees_the_place() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let start = t.at_nine(1);
    let made = book(&t, &site, &start, "06 12 34 56 78").await;
    let id: contracts::AppointmentId = made["id"].as_str().expect("id").parse().expect("uuid");
    let resident = t
        .state
        .appointments
        .get(id)
        .await
        .expect("booking")
        .resident;
    let erased = t
        .send(Call::delete(&format!("/api/v1/residents/{resident}")).bearer(&admin.token))
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    // The sweep serve runs every minute.
    assert_eq!(
        t.state
            .appointments
            .cancel_for_erased(t.now())
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(
        t.state
            .appointments
            .cancel_for_erased(t.now())
            .await
            .expect("sweep"),
        0,
        "once"
    );
    assert!(
        t.state
            .appointments
            .get(id)
            .await
            .expect("booking")
            .cancelled
    );
    let again = t
        .send(Call::post("/api/v1/appointments").json(booking(&site, &start, "06 98 76 54 32")))
        .await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "the place is free again: {}",
        again.body
    );
    // Staff's direct path (the CLI): cancelled first, then erased.
    let other: contracts::AppointmentId = again.json()["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let other_resident = t
        .state
        .appointments
        .get(other)
        .await
        .expect("booking")
        .resident;
    let n = t
        .state
        .appointments
        .cancel_future_of(&api::Acting::system("test", t.now()), other_resident)
        .await
        .expect("cancel");
    assert_eq!(n, 1);
}

#[tokio::test]
async fn the_drop_in_queue_gives_numbers_routes_to_the_right_helper_and_counts_the_wait() {
    let t = TestApp::new().await;
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let mediator = t.staff("mediation", &[(Role::Mediator, None)]).await;
    let site = t.site(&boss.token, "Port", "2 quai").await;
    let today = t.today();
    let rule = t
        .rule(
            &boss.token,
            &site,
            json!({
                "cron": "0 14 * * *", "duration_minutes": 180, "valid_from": today.to_string(),
                "offer": {"drop_in": true, "drop_in_capacity": 2},
            }),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let day = t.open_day(1);
    let permanence = t
        .state
        .calendar
        .permanences(None, day, day)
        .await
        .expect("list")[0]
        .permanence_id
        .clone();
    let opening =
        contracts::time::to_utc(day.and_hms_opt(14, 5, 0).expect("time")).expect("exists");
    let q = &t.state.appointments;
    let acting = api::Acting::system("test", t.now());
    use contracts::Reason;
    let early = q
        .drop_in_arrive(
            &acting.clone().at(opening - chrono::Duration::days(1)),
            &permanence,
            None,
            &[],
        )
        .await
        .unwrap_err();
    assert!(early.to_string().contains("not open now"), "{early}");

    // The live feed starts with the queue as it is.
    let live = t
        .send(
            Call::get(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/queue/live"
            ))
            .bearer(&mediator.token),
        )
        .await;
    assert_eq!(live.status, StatusCode::OK);
    assert!(
        live.body.starts_with("event: queue\ndata: []"),
        "{}",
        live.body
    );

    let first = q
        .drop_in_arrive(
            &acting.clone().at(opening),
            &permanence,
            Some("Awa"),
            &[Reason::ProcedureCaf],
        )
        .await
        .expect("first");
    let second = q
        .drop_in_arrive(
            &acting.clone().at(opening),
            &permanence,
            None,
            &[Reason::Smartphone, Reason::Email],
        )
        .await
        .expect("second");
    assert_eq!((first.number, second.number), (1, 2));
    let full = q
        .drop_in_arrive(&acting.clone().at(opening), &permanence, None, &[])
        .await
        .unwrap_err();
    assert!(
        full.to_string().contains("full (2 people waiting)"),
        "{full}"
    );

    let list = t
        .send(
            Call::get(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/queue?for=it_helper"
            ))
            .bearer(&mediator.token),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let list = list.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["number"], 2);
    assert_eq!(list[0]["for_it_helper"], true);
    let all = t
        .send(
            Call::get(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/queue"
            ))
            .bearer(&mediator.token),
        )
        .await
        .json();
    assert_eq!(
        all[0]["first_name"], "Awa",
        "the first name is sealed in the log, shown to staff"
    );

    let called = t
        .send(
            Call::post(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/queue/{}/call",
                first.id
            ))
            .bearer(&mediator.token),
        )
        .await;
    assert_eq!(called.status, StatusCode::OK, "{}", called.body);
    assert_eq!(called.json()["state"], "called");
    assert!(called.json()["waited_minutes"].is_number());
    // Someone left the waiting room: there is room again.
    q.drop_in_step(&acting, second.id, appointments::TicketState::Left)
        .await
        .expect("left");
    let third = q
        .drop_in_arrive(&acting.clone().at(opening), &permanence, None, &[])
        .await
        .expect("room again");
    assert_eq!(third.number, 3);
    let served = t
        .send(
            Call::post(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/queue/{}/served",
                first.id
            ))
            .bearer(&mediator.token),
        )
        .await;
    assert_eq!(served.json()["state"], "served");
    let twice = t
        .send(
            Call::post(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/queue/{}/call",
                first.id
            ))
            .bearer(&mediator.token),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    let log = t
        .state
        .store
        .read_stream(
            &eventlog::StreamName::new(format!("dropin-{permanence}")).expect("stream"),
            0,
            20,
        )
        .await
        .expect("read");
    assert!(
        log.iter()
            .all(|e| !String::from_utf8_lossy(&e.payload).contains("Awa")),
        "no clear first name in the log"
    );
}

#[tokio::test]
async fn the_live_queue_sends_the_new_list_when_someone_arrives() {
    use futures_util::StreamExt as _;
    use tower::ServiceExt as _;
    let t = TestApp::new().await;
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let site = t.site(&boss.token, "Port", "2 quai").await;
    let today = t.today();
    t.rule(
        &boss.token,
        &site,
        json!({
            "cron": "0 14 * * *", "duration_minutes": 180, "valid_from": today.to_string(),
            "offer": {"drop_in": true},
        }),
    )
    .await;
    let day = t.open_day(1);
    let permanence = t
        .state
        .calendar
        .permanences(None, day, day)
        .await
        .expect("list")[0]
        .permanence_id
        .clone();
    let request = axum::http::Request::get(format!(
        "/api/v1/sites/{site}/permanences/{permanence}/queue/live"
    ))
    .header("authorization", format!("Bearer {}", boss.token))
    .body(axum::body::Body::empty())
    .expect("request");
    let response = t.app().oneshot(request).await.expect("response");
    let mut frames = response.into_body().into_data_stream();
    let first = frames.next().await.expect("frame").expect("bytes");
    assert!(String::from_utf8_lossy(&first).contains("data: []"));
    let opening =
        contracts::time::to_utc(day.and_hms_opt(14, 5, 0).expect("time")).expect("exists");
    t.state
        .appointments
        .drop_in_arrive(
            &api::Acting::system("test", t.now()).clone().at(opening),
            &permanence,
            None,
            &[contracts::Reason::Computer],
        )
        .await
        .expect("arrive");
    let next = tokio::time::timeout(std::time::Duration::from_secs(20), frames.next())
        .await
        .expect("a new list comes")
        .expect("frame")
        .expect("bytes");
    let text = String::from_utf8_lossy(&next);
    assert!(
        text.starts_with("event: queue") && text.contains("\"number\":1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_visit_records_the_requests_it_carried_once_the_resident_came() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let mediator = t.staff("mediation", &[(Role::Mediator, None)]).await;
    let start = t.at_nine(1);
    let made = t
        .send(Call::post("/api/v1/appointments").json(booking(&site, &start, "06 12 34 56 78")))
        .await;
    let id = made.json()["id"].as_str().expect("id").to_owned();
    let body = json!({"requests": [
        {"reason": "procedure_caf", "accompanied": true, "outcome": "done"},
        {"reason": "email", "accompanied": false, "outcome": "follow_up"},
    ]});
    let too_early = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/visits/{id}/requests"),
            )
            .bearer(&mediator.token)
            .json(body.clone()),
        )
        .await;
    assert_eq!(too_early.status, StatusCode::CONFLICT, "{}", too_early.body);
    let on_the_day = chrono::DateTime::parse_from_rfc3339(&start)
        .expect("time")
        .with_timezone(&Utc);
    t.state
        .appointments
        .advance(
            &api::Acting::system("test", t.now()).clone().at(on_the_day),
            id.parse().expect("id"),
            appointments::Stage::Arrived,
        )
        .await
        .expect("arrived");
    let recorded = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/visits/{id}/requests"),
            )
            .bearer(&mediator.token)
            .json(body),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    let read = t
        .send(Call::get(&format!("/api/v1/visits/{id}/requests")).bearer(&mediator.token))
        .await
        .json();
    assert_eq!(read.as_array().map(Vec::len), Some(2));
    assert_eq!(read[1]["outcome"], "follow_up");
    let bad = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/visits/{id}/requests"),
            )
            .bearer(&mediator.token)
            .json(
                json!({"requests": [{"reason": "email", "accompanied": true, "outcome": "maybe"}]}),
            ),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "requests.outcome");
    let none = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/visits/{id}/requests"),
            )
            .bearer(&mediator.token)
            .json(json!({"requests": []})),
        )
        .await;
    assert_eq!(none.json()["field"], "requests");
    // The page records an outcome per request.
    let page = t
        .send(
            Call::post(&format!("/agents/visites/{id}"))
                .bearer(&mediator.token)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw("reason=procedure_caf&reason=email&accompagne=oui&resultat-procedure_caf=done&resultat-email=follow_up".to_owned()),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let read = t
        .send(Call::get(&format!("/api/v1/visits/{id}/requests")).bearer(&mediator.token))
        .await
        .json();
    assert_eq!(
        read,
        json!([
            {"reason": "procedure_caf", "accompanied": true, "outcome": "done"},
            {"reason": "email", "accompanied": true, "outcome": "follow_up"},
        ])
    );
    // Once recorded, the page asks each request's outcome apart.
    let form = t
        .send(Call::get(&format!("/agents/visites/{id}")).bearer(&mediator.token))
        .await;
    assert!(
        form.body.contains(r#"name="resultat-procedure_caf""#)
            && form.body.contains(r#"name="resultat-email""#),
        "{}",
        form.body
    );
    // What is not given is not said: never accompanied, never done.
    let unsaid = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/visits/{id}/requests"),
            )
            .bearer(&mediator.token)
            .json(json!({"requests": [{"reason": "email"}]})),
        )
        .await;
    assert_eq!(unsaid.status, StatusCode::OK, "{}", unsaid.body);
    assert_eq!(
        unsaid.json(),
        json!([{"reason": "email", "accompanied": null, "outcome": "not_said"}])
    );
}

#[tokio::test]
async fn a_site_may_allow_more_than_one_appointment_per_reason() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let boss = t.staff("coordination2", &[(Role::Coordinator, None)]).await;
    let current = t
        .send(Call::get(&format!("/api/v1/sites/{site}")))
        .await
        .json();
    assert_eq!(current["appointments_per_reason"], 1);
    let changed = t
        .send(
            Call::new(axum::http::Method::PUT, &format!("/api/v1/sites/{site}"))
                .bearer(&boss.token)
                .json(json!({
            "name": current["name"], "address": current["address"], "appointments_per_reason": 2,
            "version": current["version"]})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let start = t.at_nine(1);
    for (at, expected) in [
        ("T09:00", StatusCode::CREATED),
        ("T09:30", StatusCode::CREATED),
        ("T10:00", StatusCode::CONFLICT),
    ] {
        let reply = t
            .send(Call::post("/api/v1/appointments").json(booking(
                &site,
                &start.replace("T09:00", at),
                "06 44 44 44 44",
            )))
            .await;
        assert_eq!(reply.status, expected, "{at}: {}", reply.body);
    }
    let too_many = t
        .send(
            Call::new(axum::http::Method::PUT, &format!("/api/v1/sites/{site}"))
                .bearer(&boss.token)
                .json(json!({
            "name": "x", "address": "y", "appointments_per_reason": 50})),
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_many.json()["field"], "appointments_per_reason");
}

#[tokio::test]
async fn bad_query_strings_get_the_same_error_format_naming_the_parameter() {
    let t = TestApp::new().await;
    for (path, field) in [
        ("/api/v1/availability", "reason"),
        ("/api/v1/availability?reason=email&colour=blue", "colour"),
        ("/api/v1/availability?reason=email&days=many", "body"),
    ] {
        let reply = t.send(Call::get(path)).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            reply.body
        );
        assert_eq!(reply.json()["error"], "invalid", "{}", reply.body);
        assert_eq!(reply.json()["field"], field, "{path}: {}", reply.body);
    }
}

/// A site that confirms online bookings by SMS: no code, no booking; the
/// code sent to the phone (the outbox here) books; a wrong one names the
/// field; staff on the phone need none.
#[tokio::test]
async fn a_site_that_confirms_by_sms_books_only_with_the_code_sent() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 2).await;
    let boss = t.staff("chef", &[(Role::Admin, None)]).await;
    let changed = t
        .send(
            Call::new(axum::http::Method::PUT, &format!("/api/v1/sites/{site}"))
                .bearer(&boss.token)
                .json(json!({"name": "Tilleuls", "address": "12 rue des Tilleuls",
                             "confirms_online_bookings_by_sms": true})),
        )
        .await;
    assert!(changed.status.is_success(), "{}", changed.body);
    let start = t.at_nine(1);
    let phone = "06 12 34 56 78";

    let without = t
        .send(Call::post("/api/v1/appointments").json(booking(&site, &start, phone)))
        .await;
    assert_eq!(
        without.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        without.body
    );
    assert_eq!(without.json()["field"], "confirmation");

    let asked = t
        .send(Call::post("/api/v1/booking-codes").json(json!({"site": site, "phone": phone})))
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let challenge = asked.json()["challenge"].clone();
    let outbox = std::fs::read_to_string(t.dir.join("sms.jsonl")).expect("the SMS");
    let sms: Value = serde_json::from_str(outbox.lines().last().expect("a line")).expect("JSON");
    assert_eq!(sms["to"], "+33612345678");
    assert_eq!(sms["segments"], 1);
    let code: String = sms["text"]
        .as_str()
        .expect("text")
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    assert_eq!(code.len(), 6, "{sms}");

    let mut wrong = booking(&site, &start, phone);
    let other = if code == "000000" { "111111" } else { "000000" };
    wrong["confirmation"] = json!({"challenge": challenge, "code": other});
    let refused = t.send(Call::post("/api/v1/appointments").json(wrong)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.json()["field"], "confirmation.code");

    let mut right = booking(&site, &start, phone);
    right["confirmation"] = json!({"challenge": challenge, "code": code});
    let booked = t.send(Call::post("/api/v1/appointments").json(right)).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);

    // Reception on the phone needs no code.
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let by_staff = t
        .send(
            Call::post("/api/v1/appointments")
                .bearer(&reception.token)
                .json(booking(&site, &start, "06 98 76 54 32")),
        )
        .await;
    assert_eq!(by_staff.status, StatusCode::CREATED, "{}", by_staff.body);

    // A site that asks for no code says so.
    let plain = site_with_slots(&t, 1).await;
    let no_code = t
        .send(Call::post("/api/v1/booking-codes").json(json!({"site": plain, "phone": phone})))
        .await;
    assert_eq!(no_code.json()["field"], "site", "{}", no_code.body);
}

/// The appointment page says how to reach the site (its phone as a link
/// that calls, its access notes), never sends someone who will get no SMS
/// to the SMS's link, and gives the appointment as an iCalendar file; a
/// link that opens nothing lists each site's number.
#[tokio::test]
async fn the_appointment_page_says_how_to_reach_the_site_and_gives_a_calendar_file() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let boss = t
        .staff("coordination-acces", &[(Role::Coordinator, None)])
        .await;
    let current = t
        .send(Call::get(&format!("/api/v1/sites/{site}")))
        .await
        .json();
    let changed = t
        .send(
            Call::new(axum::http::Method::PUT, &format!("/api/v1/sites/{site}"))
                .bearer(&boss.token)
                .json(json!({
                    "name": current["name"], "address": current["address"],
                    "phone": "01 23 45 67 89", "accessibility": "Rez-de-chaussée, rampe à gauche",
                    "version": current["version"]})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    let start = t.at_nine(1);
    let made = book(&t, &site, &start, "06 12 34 56 78").await;
    let url = made["manage_url"].as_str().expect("link");
    let path = &url[url.find("/r/").expect("a manage link")..];

    let page = t
        .send(Call::get(&format!("{path}?nouveau=0")).language("fr"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"href="tel:0123456789""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Rez-de-chaussée, rampe à gauche"));
    assert!(page.body.contains("Vous ne recevrez pas de SMS"));
    assert!(
        !page.body.contains("reçu par SMS"),
        "no SMS link promised after no SMS: {}",
        page.body
    );
    assert!(page.body.contains(&format!("{path}/rendez-vous.ics")));

    let ics = t.send(Call::get(&format!("{path}/rendez-vous.ics"))).await;
    assert_eq!(ics.status, StatusCode::OK, "{}", ics.body);
    assert!(
        ics.headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/calendar")
    );
    let starts = chrono::DateTime::parse_from_rfc3339(&start)
        .expect("start")
        .with_timezone(&Utc);
    for line in [
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@creneau", made["id"].as_str().expect("id")),
        format!("DTSTART:{}", contracts::ics::stamp(starts)),
        "LOCATION:Tilleuls\\, 12 rue des Tilleuls".to_owned(),
    ] {
        assert!(
            ics.body.contains(&format!("{line}\r\n")),
            "{line}: {}",
            ics.body
        );
    }

    let bad = t
        .send(Call::get("/r/AAAAAAAAAAAAAAAAAAAAAA").language("fr"))
        .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert!(
        bad.body.contains("Tilleuls") && bad.body.contains(r#"href="tel:0123456789""#),
        "{}",
        bad.body
    );
}

/// The SMS link opens in the language the resident booked in, whatever
/// browser opens it; a browser that chose a language keeps its own.
#[tokio::test]
async fn the_sms_link_opens_in_the_language_the_resident_booked_in() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let made = t
        .send(Call::post("/api/v1/appointments").json(json!({
            "site": site, "start": t.at_nine(1), "reason": "procedure_caf",
            "resident": {"name": "Amina Haddad", "phone": "06 11 22 33 44", "language": "ar"}})))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let made = made.json();
    let url = made["manage_url"].as_str().expect("link");
    let path = &url[url.find("/r/").expect("a manage link")..];
    let fresh = t.send(Call::get(path)).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.body);
    assert!(
        fresh.body.contains(r#"lang="ar""#) && fresh.body.contains(r#"dir="rtl""#),
        "{}",
        fresh.body
    );
    let chosen = t.send(Call::get(path).cookie("creneau_lang=fr")).await;
    assert!(chosen.body.contains(r#"lang="fr""#), "{}", chosen.body);
    // What the services say on that page is in Arabic too: a move to a
    // time that has passed is refused in her language.
    let page = t.send(Call::get(&format!("{path}/deplacer"))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (cookie, token) = page.form_token();
    let refused = t
        .send(
            Call::post(&format!("{path}/deplacer"))
                .cookie(&cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw(format!("csrf={token}&start=2020-01-02T09:00")),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("هذا الوقت قد مضى") && refused.body.contains(r#"dir="rtl""#),
        "{}",
        refused.body
    );
    // And the JSON API speaks it to a program that asks for it.
    let api = t
        .send(
            Call::post("/api/v1/appointments")
                .language("ar")
                .json(json!({
                    "site": site, "start": t.at_nine(2), "reason": "procedure_caf",
                    "resident": {"name": "Amina Haddad", "phone": "12"}})),
        )
        .await;
    assert!(api.body.contains("ليس رقم هاتف"), "{}", api.body);
}

/// "Book for this person": reception picks a resident found by the
/// search, and the booking form comes filled with them, until the
/// booking is made.
#[tokio::test]
async fn book_for_this_person_fills_the_form_with_the_resident_found() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 2).await;
    let reception = t.staff("accueil-pour", &[(Role::Reception, None)]).await;
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let found = t
        .send(Call::get("/api/v1/residents/search?q=0612345678").bearer(&reception.token))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let id = found.json()[0]["resident_id"]
        .as_str()
        .expect("a resident")
        .to_owned();
    let chosen = t
        .send(Call::get(&format!("/agents/pour/{id}")).bearer(&reception.token))
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.body);
    let cookie = chosen.headers["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    assert!(cookie.starts_with("creneau_pour="), "{cookie}");
    let start = chrono::DateTime::parse_from_rfc3339(&t.at_nine(2))
        .expect("start")
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let form = t
        .send(
            Call::get(&format!("/rdv/{site}/procedure_caf/{start}"))
                .bearer(&reception.token)
                .cookie(&cookie),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains(r#"value="Awa""#)
            && form.body.contains(r#"value="Traoré""#)
            && form.body.contains(r#"value="06 12 34 56 78""#),
        "{}",
        form.body
    );
    // Her history: the appointment, and what was sent about it.
    let history = t
        .send(Call::get(&format!("/agents/personnes/{id}")).bearer(&reception.token))
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    assert!(
        history.body.contains("Awa Traoré") && history.body.contains("CAF"),
        "{}",
        history.body
    );
    // A resident booking themselves never gets someone else's details.
    let alone = t
        .send(Call::get(&format!("/rdv/{site}/procedure_caf/{start}")).cookie(&cookie))
        .await;
    assert!(!alone.body.contains(r#"value="Awa""#), "{}", alone.body);
    // Nor does a stranger's id open anything.
    let unknown = t
        .send(
            Call::get(&format!("/agents/pour/{}", contracts::ResidentId::new()))
                .bearer(&reception.token),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// A site's agenda, as reception reads it on the phone: who is booked at
/// each time, the places left, and "book here" on a free place, which
/// leads through the reason to the form at that time; a full time has no
/// "book here"; a site that is not the caller's is not shown.
#[tokio::test]
async fn a_sites_agenda_shows_who_is_booked_and_books_a_free_place() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let reception = t.staff_at("accueil-agenda", Role::Reception, &site).await;
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let day = t.open_day(1);
    let agenda = t
        .send(Call::get(&format!("/agents/agenda?lieu={site}&jour={day}")).bearer(&reception.token))
        .await;
    assert_eq!(agenda.status, StatusCode::OK, "{}", agenda.body);
    assert!(agenda.body.contains("Awa Traoré"), "{}", agenda.body);
    // One desk: 09:00 is taken, 09:30 and 10:00 are free.
    let nine = format!("/rdv/{site}?heure={day}T09:00");
    let half_past = format!("/rdv/{site}?heure={day}T09:30");
    assert!(!agenda.body.contains(&nine), "{}", agenda.body);
    assert!(
        agenda.body.contains("complet") && agenda.body.contains("1 place libre"),
        "{}",
        agenda.body
    );
    assert!(agenda.body.contains(&half_past), "{}", agenda.body);
    // The week holds the day.
    let week = t
        .send(
            Call::get(&format!(
                "/agents/agenda?lieu={site}&jour={day}&vue=semaine"
            ))
            .bearer(&reception.token),
        )
        .await;
    assert!(week.body.contains(&half_past), "{}", week.body);
    // "Book here": each reason leads to the form at that time.
    let reasons = t.send(Call::get(&half_past).bearer(&reception.token)).await;
    assert_eq!(reasons.status, StatusCode::OK, "{}", reasons.body);
    let form = format!("/rdv/{site}/procedure_caf/{day}T09:30");
    assert!(reasons.body.contains(&form), "{}", reasons.body);
    let filled = t.send(Call::get(&form).bearer(&reception.token)).await;
    assert_eq!(filled.status, StatusCode::OK, "{}", filled.body);
    // A day at the calendar's very ends is a day like any other, not a
    // crash.
    for far in ["-262143-01-01", "+262142-12-31", "lundi"] {
        let page = t
            .send(
                Call::get(&format!(
                    "/agents/agenda?lieu={site}&jour={far}&vue=semaine"
                ))
                .bearer(&reception.token),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{far}: {}", page.body);
    }
    // Reception of another site sees its own site, never this one.
    let elsewhere = site_with_slots(&t, 1).await;
    let other = t
        .staff_at("accueil-agenda-ailleurs", Role::Reception, &elsewhere)
        .await;
    let theirs = t
        .send(Call::get(&format!("/agents/agenda?lieu={site}&jour={day}")).bearer(&other.token))
        .await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    assert!(!theirs.body.contains("Awa Traoré"), "{}", theirs.body);
    assert!(
        theirs
            .body
            .contains(&format!("/rdv/{elsewhere}?heure={day}T09:00")),
        "{}",
        theirs.body
    );
}

/// A mediator's tap refused (an arrival on another day) comes back to the
/// permanence's page, which says why, not to an error page.
#[tokio::test]
async fn a_refused_arrival_is_said_on_the_permanences_page() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let mediator = t.staff_at("mediation-refus", Role::Mediator, &site).await;
    let made = book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let id = made["id"].as_str().expect("id");
    let refused = t
        .send(
            Call::post(&format!("/agents/rdv/{id}/etape"))
                .bearer(&mediator.token)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw("etape=arrived".to_owned()),
        )
        .await;
    assert!(
        matches!(
            refused.status,
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("un autre jour") && refused.body.contains(r#"id="h-rdv""#),
        "{}",
        refused.body
    );
}

/// A cancellation reception's form cannot make (a reason longer than the
/// log keeps) comes back to the search it came from, which says why, and
/// cancels nothing.
#[tokio::test]
async fn a_refused_cancellation_is_said_on_the_reception_page() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let reception = t
        .staff_at("accueil-annulation", Role::Reception, &site)
        .await;
    let made = book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let id = made["id"].as_str().expect("id");
    let refused = t
        .send(
            Call::post(&format!("/agents/rdv/{id}/annuler"))
                .bearer(&reception.token)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw(format!(
                    "motif={}&retour=%2Fagents%2Faccueil%3Fq%3D0612345678",
                    "x".repeat(250)
                )),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("200") && refused.body.contains(r#"role="alert""#),
        "{}",
        refused.body
    );
    // The search is shown again, with the appointment still there.
    assert!(refused.body.contains("Awa Traoré"), "{}", refused.body);
    let still = t
        .send(Call::get(&format!("/api/v1/appointments/{id}")).bearer(&reception.token))
        .await
        .json();
    assert_eq!(still["status"], "booked", "{still}");
}
