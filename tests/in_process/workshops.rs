//! Workshops ("ateliers collectifs"): a rule whose offer is a workshop
//! makes sessions of so many places, each booked whole (reason
//! `workshop`); the places left are shown; one place per person and per
//! phone; 100 residents racing for the last 3 places make 3 enrolments;
//! attendance is present, absent or excused; a session cancelled cancels
//! its places (the residents are told: see the reminders suite).

use axum::http::StatusCode;
use contracts::Role;
use creneau_tests::{Call, TestApp, paris_time};
use serde_json::{Value, json};

/// A site with a daily workshop at 14:00 of `places` places, and its
/// coordinator's token.
async fn site_with_workshop(t: &TestApp, places: u32) -> (String, String) {
    let rule = json!({
        "label": "Premiers pas sur smartphone",
        "cron": "0 14 * * *", "duration_minutes": 120, "valid_from": t.today().to_string(),
        "offer": {"desks": places, "workshop": {"theme": "smartphone", "level": "beginner"}},
    });
    creneau_tests::site_with_rule(t, rule).await
}

fn enrolment(site: &str, start: &str, name: &str, phone: &str) -> Value {
    json!({"site": site, "start": start, "reason": "workshop",
           "resident": {"name": name, "phone": phone}})
}

/// The session starting at `start` in the workshops' list.
async fn session(t: &TestApp, site: &str, start: &str) -> Value {
    let list = t
        .send(Call::get(&format!("/api/v1/workshops?site={site}&days=14")))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    list.json()
        .as_array()
        .expect("a list")
        .iter()
        .find(|s| s["starts_at"] == start)
        .cloned()
        .unwrap_or_else(|| panic!("no session at {start}: {}", list.body))
}

#[tokio::test]
async fn a_workshop_is_its_own_offer_and_its_sessions_show_their_places() {
    let t = TestApp::new().await;
    let (site, boss) = site_with_workshop(&t, 8).await;
    let start = paris_time(t.open_day(2), "14:00");
    let s = session(&t, &site, &start).await;
    assert_eq!(s["title"], "Premiers pas sur smartphone");
    assert_eq!(
        (&s["theme"], &s["level"], &s["language"]),
        (&json!("smartphone"), &json!("beginner"), &json!("fr"))
    );
    assert_eq!(
        (s["places"].as_u64(), s["places_left"].as_u64()),
        (Some(8), Some(8))
    );
    assert_eq!(s["bookable"], true);

    // A workshop with drop-in, without places, or on no theme is refused,
    // naming the field; nothing is written.
    let head = t.state.store.head().await.expect("head");
    for (offer, field) in [
        (
            json!({"desks": 8, "drop_in": true, "workshop": {"theme": "email"}}),
            "offer.workshop",
        ),
        (
            json!({"desks": 0, "workshop": {"theme": "email"}}),
            "offer.desks",
        ),
        (
            json!({"desks": 8, "workshop": {"theme": "cooking"}}),
            "offer.workshop.theme",
        ),
        (
            json!({"desks": 8, "workshop": {"theme": "email", "level": "expert"}}),
            "offer.workshop.level",
        ),
    ] {
        let refused = t
            .rule(
                &boss,
                &site,
                json!({"label": "Atelier e-mail", "cron": "0 10 * * *", "duration_minutes": 60,
                       "valid_from": t.today().to_string(), "offer": offer}),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.json()["field"], field, "{}", refused.body);
    }
    assert_eq!(
        t.state.store.head().await.expect("head"),
        head,
        "nothing written"
    );

    // A place is the whole session; an appointment's reason finds no slot
    // in it, and a workshop place none in a permanence.
    let made = t
        .send(Call::post("/api/v1/appointments").json(enrolment(
            &site,
            &start,
            "Awa Traoré",
            "06 12 34 56 01",
        )))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(
        made.json()["end"],
        paris_time(t.open_day(2), "16:00"),
        "{}",
        made.body
    );
    let caf = t
        .send(Call::post("/api/v1/appointments").json(json!({"site": site, "start": start,
            "reason": "procedure_caf", "resident": {"name": "Awa Traoré", "phone": "06 12 34 56 02"}})))
        .await;
    assert_eq!(caf.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", caf.body);
    assert_eq!(caf.json()["field"], "start");
    let s = session(&t, &site, &start).await;
    assert_eq!(s["places_left"].as_u64(), Some(7));

    // One place per person and per phone: Awa again, or her son on her
    // phone, hear that the number has a place.
    let reception = t.staff("accueil-atelier", &[(Role::Reception, None)]).await;
    for (name, token) in [
        ("Awa Traoré", None),
        ("Moussa Traoré", None),
        ("Moussa Traoré", Some(&reception.token)),
    ] {
        let mut call = Call::post("/api/v1/appointments").json(enrolment(
            &site,
            &start,
            name,
            "06 12 34 56 01",
        ));
        if let Some(token) = token {
            call = call.bearer(token);
        }
        let again = t.send(call).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{name}: {}", again.body);
        assert!(
            again.body.contains("one place per person"),
            "{}",
            again.body
        );
    }
    // The next session is another place.
    let next = paris_time(t.open_day(3), "14:00");
    let other = t
        .send(Call::post("/api/v1/appointments").json(enrolment(
            &site,
            &next,
            "Awa Traoré",
            "06 12 34 56 01",
        )))
        .await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);

    // The resident page lists the sessions with their places, in words.
    let page = t.send(Call::get(&format!("/ateliers?lieu={site}"))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Premiers pas sur smartphone"),
        "{}",
        page.body
    );
    assert!(page.body.contains("7 places libres sur 8"), "{}", page.body);
    assert!(page.body.contains("Pour débuter"), "{}", page.body);
    let english = t
        .send(Call::get(&format!("/ateliers?lieu={site}")).header("cookie", "creneau_lang=en"))
        .await;
    assert!(
        english.body.contains("7 places free of 8"),
        "{}",
        english.body
    );
    // A workshop runs in its own room: beside a permanence of the site at
    // the same hours, but not beside another workshop.
    let beside = t
        .rule(
            &boss,
            &site,
            json!({"cron": "0 14 * * *", "duration_minutes": 120, "valid_from": t.today().to_string(),
                   "offer": {"appointments": true, "appointment_minutes": 30, "desks": 1}}),
        )
        .await;
    assert_eq!(beside.status, StatusCode::CREATED, "{}", beside.body);
    let second = t
        .rule(
            &boss,
            &site,
            json!({"label": "Atelier e-mail", "cron": "0 15 * * *", "duration_minutes": 60,
                   "valid_from": t.today().to_string(),
                   "offer": {"desks": 8, "workshop": {"theme": "email"}}}),
        )
        .await;
    assert_eq!(
        second.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        second.body
    );
    assert_eq!(second.json()["field"], "cron", "{}", second.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_residents_racing_for_the_last_three_places_make_three_enrolments() {
    let t = TestApp::new().await;
    let (site, _) = site_with_workshop(&t, 8).await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let start = paris_time(t.open_day(2), "14:00");
    for i in 0..5 {
        let made = t
            .send(
                Call::post("/api/v1/appointments")
                    .bearer(&reception.token)
                    .json(enrolment(
                        &site,
                        &start,
                        &format!("Inscrit {i}"),
                        &format!("06 11 00 00 0{i}"),
                    )),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    }
    let (address, stop) = creneau_tests::on_a_socket(&t);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let body = enrolment(
            &site,
            &start,
            &format!("Personne {i}"),
            &format!("06 22 00 {:02} {:02}", i / 100, i % 100),
        )
        .to_string();
        let token = reception.token.clone();
        tasks.push(tokio::spawn(async move {
            creneau_tests::post_json(address, "/api/v1/appointments", &token, body).await
        }));
    }
    let (mut created, mut taken) = (0, 0);
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            201 => created += 1,
            409 => {
                assert!(body.contains("slot_taken"), "{body}");
                taken += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    let _ = stop.send(());
    assert_eq!((created, taken), (3, 97));
    let s = session(&t, &site, &start).await;
    assert_eq!(s["places_left"].as_u64(), Some(0));
    assert_eq!(s["bookable"], false);
    let model = t.state.appointments.model().await.expect("model");
    assert_eq!(model.bookings.values().filter(|b| !b.cancelled).count(), 8);
    let page = t.send(Call::get(&format!("/ateliers?lieu={site}"))).await;
    assert!(page.body.contains("Complet"), "{}", page.body);
}

#[tokio::test]
async fn attendance_is_present_absent_or_excused_and_a_cancelled_session_cancels_its_places() {
    use appointments::Stage;
    let t = TestApp::new().await;
    let (site, boss) = site_with_workshop(&t, 8).await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let enrol = |start: String, i: usize| {
        let site = site.clone();
        let t = &t;
        async move {
            let made = t
                .send(Call::post("/api/v1/appointments").json(enrolment(
                    &site,
                    &start,
                    &format!("Personne {i}"),
                    &format!("06 33 00 00 0{i}"),
                )))
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
            let id: contracts::AppointmentId =
                made.json()["id"].as_str().expect("id").parse().expect("id");
            id
        }
    };
    let start = paris_time(t.open_day(2), "14:00");
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(enrol(start.clone(), i).await);
    }
    // `excused` is a step of the API like the others, on its day.
    let early = t
        .send(
            Call::post(&format!("/api/v1/appointments/{}/excused", ids[0]))
                .bearer(&reception.token),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert!(early.body.contains("another day"), "{}", early.body);

    // On the day: present, excused, absent then excused after the fact,
    // and an excuse by mistake taken back.
    let on_the_day = chrono::DateTime::parse_from_rfc3339(&start)
        .expect("time")
        .with_timezone(&chrono::Utc);
    let acting = api::Acting::system("test", on_the_day);
    let appts = &t.state.appointments;
    let step = |id, to| appts.advance(&acting, id, to);
    assert_eq!(
        step(ids[0], Stage::Arrived).await.expect("present").stage,
        Stage::Arrived
    );
    assert_eq!(
        step(ids[1], Stage::Excused).await.expect("excused").stage,
        Stage::Excused
    );
    assert_eq!(
        step(ids[2], Stage::NoShow).await.expect("absent").stage,
        Stage::NoShow
    );
    assert_eq!(
        step(ids[2], Stage::Excused).await.expect("excused").stage,
        Stage::Excused
    );
    assert_eq!(
        step(ids[2], Stage::Booked).await.expect("undone").stage,
        Stage::Booked
    );
    assert!(
        step(ids[0], Stage::Excused).await.is_err(),
        "present is not excused"
    );

    // The coordinator cancels the next session: the sweep cancels its
    // places, once, saying why; the session shows closed.
    let next = paris_time(t.open_day(3), "14:00");
    for i in 3..5 {
        enrol(next.clone(), i).await;
    }
    let permanence = session(&t, &site, &next).await["permanence_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let cancelled = t
        .send(
            Call::post(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/cancel"
            ))
            .bearer(&boss)
            .json(json!({"reason": "Animatrice malade"})),
        )
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
    assert_eq!(appts.cancel_for_closed(t.now()).await.expect("sweep"), 2);
    assert_eq!(appts.cancel_for_closed(t.now()).await.expect("sweep"), 0);
    let model = appts.model().await.expect("model");
    assert_eq!(
        model.bookings.values().filter(|b| b.cancelled).count(),
        2,
        "the other session keeps its places"
    );
    let s = session(&t, &site, &next).await;
    assert_eq!(
        (
            s["status"].as_str(),
            s["reason"].as_str(),
            s["bookable"].as_bool()
        ),
        (Some("closed"), Some("Animatrice malade"), Some(false))
    );
}

#[tokio::test]
async fn a_resident_oriented_to_a_workshop_is_enrolled_in_one_tap_and_the_figures_follow_them() {
    use appointments::Stage;
    let t = TestApp::new().await;
    let (site, boss) = site_with_workshop(&t, 8).await;
    let permanence = t
        .rule(
            &boss,
            &site,
            json!({"cron": "0 9 * * *", "duration_minutes": 90, "valid_from": t.today().to_string(),
                   "offer": {"appointments": true, "appointment_minutes": 30, "desks": 2}}),
        )
        .await;
    assert_eq!(
        permanence.status,
        StatusCode::CREATED,
        "{}",
        permanence.body
    );
    let (day1, day2) = (t.open_day(1), t.open_day(2));
    let made = t
        .send(Call::post("/api/v1/appointments").json(json!({
            "site": site, "start": paris_time(day1, "09:00"), "reason": "procedure_caf",
            "resident": {"name": "Awa Traoré", "phone": "06 44 00 00 01"}})))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let visit: contracts::AppointmentId =
        made.json()["id"].as_str().expect("id").parse().expect("id");
    let appts = &t.state.appointments;
    let at = |day, hm| api::Acting::system("test", creneau_tests::paris(day, hm));
    appts
        .advance(&at(day1, "09:05"), visit, Stage::Arrived)
        .await
        .expect("arrived");

    // One tap: oriented to the workshop and enrolled in its next session.
    let start = paris_time(day2, "14:00");
    let session_id = session(&t, &site, &start).await["permanence_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let rule = session_id.split('_').next().expect("rule").to_owned();
    let mediator = t.staff("mediatrice", &[(Role::Mediator, None)]).await;
    let orient = |body: Value| {
        Call::post(&format!("/api/v1/visits/{visit}/orientations"))
            .bearer(&mediator.token)
            .json(body)
    };
    let tapped = t
        .send(orient(
            json!({"to_kind": "workshop", "to": rule, "session": session_id}),
        ))
        .await;
    assert_eq!(tapped.status, StatusCode::CREATED, "{}", tapped.body);
    assert_eq!(tapped.json()["to_kind"], "workshop");
    assert_eq!(tapped.json()["session"], session_id.as_str());
    let place: contracts::AppointmentId = tapped.json()["appointment_id"]
        .as_str()
        .expect("an enrolment")
        .parse()
        .expect("id");
    assert_eq!(
        appts.get(place).await.expect("place").reason,
        contracts::Reason::Workshop
    );
    // Another visitor is offered a place by SMS instead: it is held for
    // them (one place fewer), and theirs to take from the SMS's link.
    let made = t
        .send(Call::post("/api/v1/appointments").json(json!({
            "site": site, "start": paris_time(day1, "09:30"), "reason": "procedure_caf",
            "resident": {"name": "Dina Sow", "phone": "06 44 00 00 09"}})))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let second: contracts::AppointmentId =
        made.json()["id"].as_str().expect("id").parse().expect("id");
    appts
        .advance(&at(day1, "09:35"), second, Stage::Arrived)
        .await
        .expect("arrived");
    let offered = t
        .send(
            Call::post(&format!("/api/v1/visits/{second}/orientations"))
                .bearer(&mediator.token)
                .json(json!({"to_kind": "workshop", "to": rule, "session": session_id, "by_sms": true})),
        )
        .await;
    assert_eq!(offered.status, StatusCode::CREATED, "{}", offered.body);
    let offer: contracts::AppointmentId = offered.json()["offer_id"]
        .as_str()
        .expect("an offer")
        .parse()
        .expect("id");
    let held = appts.offer(offer).await.expect("held");
    assert_eq!(
        (held.state, held.permanence_id.as_str()),
        (appointments::HoldState::Live, session_id.as_str())
    );
    assert_eq!(
        session(&t, &site, &start).await["places_left"],
        6,
        "Awa's place and Dina's held one"
    );
    // A session with another kind, or an unknown workshop, is refused.
    let helper = t
        .send(orient(
            json!({"to_kind": "helper", "to": "mediator", "session": session_id}),
        ))
        .await;
    assert_eq!(
        helper.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        helper.body
    );
    assert_eq!(helper.json()["field"], "session");
    let unknown = t
        .send(orient(
            json!({"to_kind": "workshop", "to": uuid::Uuid::now_v7().to_string()}),
        ))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );

    // The session's attendance: Awa present, one absent, one excused.
    let mut others = Vec::new();
    for (name, phone) in [
        ("Bob Martin", "06 44 00 00 02"),
        ("Chloé Petit", "06 44 00 00 03"),
    ] {
        let made = t
            .send(Call::post("/api/v1/appointments").json(enrolment(&site, &start, name, phone)))
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        others.push(
            made.json()["id"]
                .as_str()
                .expect("id")
                .parse::<contracts::AppointmentId>()
                .expect("id"),
        );
    }
    let during = at(day2, "14:10");
    appts
        .advance(&during, place, Stage::Arrived)
        .await
        .expect("present");
    appts
        .advance(&during, others[0], Stage::NoShow)
        .await
        .expect("absent");
    appts
        .advance(&during, others[1], Stage::Excused)
        .await
        .expect("excused");

    let figures = t
        .send(
            Call::get(&format!(
                "/api/v1/stats?from={day1}&to={day2}&site={site}&by=site"
            ))
            .bearer(&boss),
        )
        .await;
    assert_eq!(figures.status, StatusCode::OK, "{}", figures.body);
    let f = &figures.json()["rows"][0]["figures"];
    assert_eq!(
        (&f["permanences"], &f["people"], &f["booked"]),
        (&json!(1), &json!(2), &json!(2)),
        "a workshop's places are not appointments (Awa and Dina came to theirs): {f}"
    );
    assert_eq!(
        (
            &f["workshop_sessions"],
            &f["workshop_places"],
            &f["workshop_present"],
            &f["workshop_absent"],
            &f["workshop_excused"]
        ),
        (&json!(1), &json!(3), &json!(1), &json!(1), &json!(1)),
        "{f}"
    );
    assert_eq!(f["workshop_presence_share"], 0.33, "{f}");
    assert_eq!(
        (
            &f["oriented_to_workshop"],
            &f["oriented_then_enrolled"],
            &f["oriented_then_present"]
        ),
        (&json!(2), &json!(1), &json!(1)),
        "Awa enrolled and came; Dina's place is only offered yet: {f}"
    );
    assert_eq!(f["oriented_to"][format!("workshop:{rule}")], 2, "{f}");

    // The national report has one collective row for the session.
    let report = t
        .send(
            Call::get(&format!(
                "/api/v1/stats/activity.csv?from={day1}&to={day2}&site={site}"
            ))
            .bearer(&boss),
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let row = report
        .body
        .lines()
        .find(|l| l.contains("Atelier collectif"))
        .unwrap_or_else(|| panic!("no collective row: {}", report.body));
    assert!(row.contains(";120;") && row.contains("Téléphone"), "{row}");
    assert!(row.ends_with(";1;Premiers pas sur smartphone"), "{row}");
}

/// A site with a daily series of 4 workshop sessions from the second open
/// day (fewer when a public holiday closes one), completed at 3 sessions
/// attended: the site, the coordinator's token and the series' entry in
/// the workshops' list.
async fn site_with_series(t: &TestApp, places: u32) -> (String, String, Value) {
    let first = t.open_day(2);
    let rule = json!({
        "label": "Premiers pas sur smartphone, en 4 séances",
        "cron": "0 14 * * *", "duration_minutes": 120,
        "valid_from": first.to_string(), "valid_until": (first + chrono::Days::new(3)).to_string(),
        "offer": {"desks": places, "workshop": {"theme": "smartphone", "series": true, "completion_sessions": 3}},
    });
    let (site, boss) = creneau_tests::site_with_rule(t, rule).await;
    let list = t
        .send(Call::get(&format!("/api/v1/workshops?site={site}&days=14")))
        .await;
    let entries = list.json().as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "a series is listed once: {}", list.body);
    (site, boss, entries[0].clone())
}

#[tokio::test]
async fn a_series_is_one_enrolment_cancelled_whole_and_completed_at_its_threshold() {
    use appointments::Stage;
    let t = TestApp::new().await;
    // A series needs a last day.
    let (site, boss, entry) = site_with_series(&t, 8).await;
    let open_ended = t
        .rule(
            &boss,
            &site,
            json!({"label": "Sans fin", "cron": "0 10 * * *", "duration_minutes": 60,
                   "valid_from": t.today().to_string(),
                   "offer": {"desks": 8, "workshop": {"theme": "email", "series": true}}}),
        )
        .await;
    assert_eq!(
        open_ended.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        open_ended.body
    );
    assert_eq!(open_ended.json()["field"], "valid_until");

    let dates = entry["series_sessions"].as_array().expect("dates").len();
    assert!((2..=4).contains(&dates), "{entry}");
    // A series has no waiting list: it is followed from its start.
    let rule = entry["permanence_id"]
        .as_str()
        .and_then(|p| p.split('_').next())
        .expect("rule");
    let waiting = t
        .send(
            Call::post("/api/v1/waitlists")
                .json(json!({"site": site, "workshop": rule, "sms_consent": true,
            "resident": {"name": "Zoé Petit", "phone": "06 55 00 00 09"}})),
        )
        .await;
    assert_eq!(
        waiting.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        waiting.body
    );
    assert_eq!(waiting.json()["field"], "workshop");
    let start = entry["starts_at"].as_str().expect("start").to_owned();
    assert_eq!(entry["series_sessions"][0], start.as_str());
    let enrol = |name: &str, phone: &str| {
        Call::post("/api/v1/appointments").json(enrolment(&site, &start, name, phone))
    };
    let awa = t.send(enrol("Awa Traoré", "06 55 00 00 01")).await;
    assert_eq!(awa.status, StatusCode::CREATED, "{}", awa.body);
    assert_eq!(
        awa.json()["start"],
        start.as_str(),
        "the first session's place"
    );
    let first: contracts::AppointmentId =
        awa.json()["id"].as_str().expect("id").parse().expect("id");
    let appts = &t.state.appointments;
    let model = appts.model().await.expect("model");
    let places: Vec<_> = model
        .bookings
        .values()
        .filter(|b| b.series == Some(first))
        .collect();
    assert_eq!(places.len(), dates, "one place in every session");
    drop(model);
    let entry = t
        .send(Call::get(&format!("/api/v1/workshops?site={site}&days=14")))
        .await
        .json()[0]
        .clone();
    assert_eq!(entry["places_left"], 7, "{entry}");
    // The same person again: refused, nothing written.
    let head = t.state.store.head().await.expect("head");
    let again = t.send(enrol("Awa Traoré", "06 55 00 00 01")).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(t.state.store.head().await.expect("head"), head);

    // Cancelling one place cancels the series: only that one tells the
    // resident, the others go with it.
    let token = awa.json()["manage_url"]
        .as_str()
        .and_then(|u| u.rsplit('/').next())
        .expect("token")
        .to_owned();
    let cancelled = t
        .send(
            Call::post(&format!("/api/v1/appointments/{first}/cancel"))
                .bearer(&token)
                .json(json!({})),
        )
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
    let model = appts.model().await.expect("model");
    assert!(
        model
            .bookings
            .values()
            .filter(|b| b.series == Some(first))
            .all(|b| b.cancelled)
    );
    drop(model);

    // Bob comes to every session but one: completed at three when there
    // are four (all of them when a holiday left fewer).
    let bob = t.send(enrol("Bob Martin", "06 55 00 00 02")).await;
    assert_eq!(bob.status, StatusCode::CREATED, "{}", bob.body);
    let series: contracts::AppointmentId =
        bob.json()["id"].as_str().expect("id").parse().expect("id");
    let mut his: Vec<(contracts::AppointmentId, chrono::DateTime<chrono::Utc>)> = appts
        .model()
        .await
        .expect("model")
        .bookings
        .values()
        .filter(|b| b.series == Some(series))
        .map(|b| (b.id, b.starts_at))
        .collect();
    his.sort_by_key(|(_, at)| *at);
    let skip = if dates == 4 { 1 } else { 0 };
    for (k, (id, at)) in his.iter().enumerate() {
        let acting = api::Acting::system("test", *at + chrono::Duration::minutes(5));
        let to = if k < skip {
            Stage::NoShow
        } else {
            Stage::Arrived
        };
        appts.advance(&acting, *id, to).await.expect("attendance");
    }
    let (from, to) = (t.open_day(2), t.open_day(2) + chrono::Days::new(3));
    let f = t
        .send(
            Call::get(&format!(
                "/api/v1/stats?from={from}&to={to}&site={site}&by=site"
            ))
            .bearer(&boss),
        )
        .await
        .json()["rows"][0]["figures"]
        .clone();
    assert_eq!(
        (&f["series_enrolments"], &f["series_completed"]),
        (&json!(1), &json!(1)),
        "{f}"
    );
}

#[tokio::test]
async fn places_of_a_series_cut_short_by_a_crash_are_cancelled_at_the_next_sweep() {
    let t = TestApp::new().await;
    let (site, _, entry) = site_with_series(&t, 8).await;
    let dates = entry["series_sessions"].as_array().expect("dates").clone();
    let last = dates
        .last()
        .and_then(Value::as_str)
        .expect("a last session")
        .to_owned();
    let session = t
        .send(Call::get(&format!("/api/v1/workshops?site={site}&days=14")))
        .await
        .json()[0]["permanence_id"]
        .as_str()
        .expect("id")
        .to_owned();
    // The last session's place of a series whose first was never written
    // (the process died in between), written a while ago.
    let day = last.get(..10).expect("a date");
    let permanence = format!("{}_{day}", session.split('_').next().expect("rule"));
    let starts = chrono::DateTime::parse_from_rfc3339(&last)
        .expect("time")
        .with_timezone(&chrono::Utc);
    let orphan = contracts::AppointmentId::new();
    let acting = api::Acting::system("test", t.now() - chrono::Duration::minutes(5));
    let event = acting
        .event(&contracts::proto::appointments::v1::AppointmentBooked {
            appointment_id: orphan.to_string(),
            reference: "ACD-EFG".into(),
            resident_id: contracts::ResidentId::new().to_string(),
            site_id: site.clone(),
            permanence_id: permanence.clone(),
            starts_at: starts.to_rfc3339(),
            ends_at: (starts + chrono::Duration::hours(2)).to_rfc3339(),
            reason: contracts::Reason::Workshop.into(),
            series_id: contracts::AppointmentId::new().to_string(),
            ..Default::default()
        })
        .expect("event");
    t.state
        .store
        .append(
            &eventlog::StreamName::new(format!("booking-{permanence}")).expect("stream"),
            eventlog::ExpectedVersion::Any,
            vec![event],
        )
        .await
        .expect("appended");
    let appts = &t.state.appointments;
    assert_eq!(appts.complete_series(t.now()).await.expect("sweep"), 1);
    assert_eq!(appts.complete_series(t.now()).await.expect("sweep"), 0);
    assert!(appts.get(orphan).await.expect("place").cancelled);
}

#[tokio::test]
async fn a_session_moved_to_another_hour_takes_its_places_along_and_each_resident_is_told() {
    let t = TestApp::new().await;
    let (site, boss) = site_with_workshop(&t, 8).await;
    let start = paris_time(t.open_day(2), "14:00");
    let rule = session(&t, &site, &start).await["permanence_id"]
        .as_str()
        .and_then(|p| p.split('_').next())
        .expect("rule")
        .to_owned();
    let mut ids = Vec::new();
    for i in 0..2 {
        let made = t
            .send(Call::post("/api/v1/appointments").json(enrolment(
                &site,
                &start,
                &format!("Personne {i}"),
                &format!("06 88 00 00 0{i}"),
            )))
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        ids.push(
            made.json()["id"]
                .as_str()
                .expect("id")
                .parse::<contracts::AppointmentId>()
                .expect("id"),
        );
    }
    // The coordinator moves the workshop to 15:00.
    let version = t
        .send(Call::get(&format!("/api/v1/sites/{site}/rules")).bearer(&boss))
        .await
        .json()[0]["version"]
        .clone();
    let changed = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/sites/{site}/rules/{rule}"),
            )
            .bearer(&boss)
            .json(json!({
                "label": "Premiers pas sur smartphone",
                "cron": "0 15 * * *", "duration_minutes": 120, "valid_from": t.today().to_string(),
                "offer": {"desks": 8, "workshop": {"theme": "smartphone", "level": "beginner"}},
                "version": version,
            })),
        )
        .await;
    assert!(changed.status.is_success(), "{}", changed.body);
    let appts = &t.state.appointments;
    assert_eq!(
        appts.follow_moved_sessions(t.now()).await.expect("sweep"),
        2
    );
    assert_eq!(
        appts.follow_moved_sessions(t.now()).await.expect("sweep"),
        0,
        "once"
    );
    let moved = paris_time(t.open_day(2), "15:00");
    for id in &ids {
        let b = appts.get(*id).await.expect("place");
        assert_eq!(
            contracts::time::to_local(b.starts_at)
                .fixed_offset()
                .to_rfc3339(),
            moved
        );
    }
    // Each resident gets the moved notice: an `AppointmentMovedIn` each.
    let permanence = appts.get(ids[0]).await.expect("place").permanence_id;
    let types: Vec<String> = t
        .state
        .store
        .read_stream(
            &eventlog::StreamName::new(format!("booking-{permanence}")).expect("stream"),
            0,
            100,
        )
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| t.ends_with("AppointmentMovedIn"))
            .count(),
        2,
        "{types:?}"
    );
}
