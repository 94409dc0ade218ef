//! Statistics through the whole router: a day of appointments and drop-in
//! visits made through the services, then the coordinators' figures (JSON
//! and CSV), and the refusals.

use axum::http::StatusCode;
use chrono::Utc;
use contracts::proto::appointments::v1 as ev;
use contracts::{Reason, Role};
use creneau_tests::{Call, TestApp, book, site_with_slots};
use serde_json::json;

fn request(reason: Reason, accompanied: bool) -> ev::VisitRequest {
    let how = if accompanied {
        ev::Accompaniment::Accompanied
    } else {
        ev::Accompaniment::Autonomous
    };
    ev::VisitRequest::recorded(reason, how, ev::Outcome::Done)
}

#[tokio::test]
async fn a_day_of_visits_gives_the_figures_the_evaluation_counts() {
    let t = TestApp::new().await;
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let site = site_with_slots(&t, 2).await;
    let day = t.open_day(1);
    let at = |h: u32, m: u32| {
        contracts::time::to_utc(day.and_hms_opt(h, m, 0).expect("time")).expect("exists")
    };
    let iso = |t: chrono::DateTime<Utc>| contracts::time::to_local(t).fixed_offset().to_rfc3339();
    // Three appointments booked online: one comes, one does not, one is
    // cancelled.
    let came = book(&t, &site, &iso(at(9, 0)), "06 11 11 11 11").await;
    book(&t, &site, &iso(at(9, 0)), "06 22 22 22 22").await;
    let cancelled = book(&t, &site, &iso(at(9, 30)), "06 33 33 33 33").await;
    let q = &t.state.appointments;
    let acting = api::Acting::system("test", t.now());
    let id = |v: &serde_json::Value| v["id"].as_str().expect("id").parse().expect("id");
    q.advance(
        &acting.clone().at(at(9, 2)),
        id(&came),
        appointments::Stage::Arrived,
    )
    .await
    .expect("arrived");
    q.record_requests(
        &acting,
        id(&came).0,
        vec![request(Reason::ProcedurePrefecture, true)],
    )
    .await
    .expect("requests");
    q.cancel(
        &acting,
        id(&cancelled),
        contracts::Party::Staff,
        "le résident a appelé",
    )
    .await
    .expect("cancelled");
    q.mark_no_shows(at(11, 0)).await.expect("no-shows");

    // A drop-in permanence the same afternoon: three people, two served.
    let rule = t
        .rule(
            &boss.token,
            &site,
            json!({"cron": "0 14 * * *", "duration_minutes": 180, "valid_from": t.today().to_string(),
                   "offer": {"drop_in": true}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let permanence = t
        .state
        .calendar
        .permanences(None, day, day)
        .await
        .expect("list")
        .into_iter()
        .find(|p| p.permanence_id != came["permanence"])
        .expect("drop-in")
        .permanence_id;
    let mut tickets = Vec::new();
    for _ in 0..3 {
        tickets.push(
            q.drop_in_arrive(&acting.clone().at(at(14, 5)), &permanence, None, &[])
                .await
                .expect("ticket"),
        );
    }
    use appointments::TicketState::{Called, Left, Served};
    for t in &tickets[..2] {
        q.drop_in_step(&acting, t.id, Called).await.expect("called");
        q.drop_in_step(&acting, t.id, Served).await.expect("served");
    }
    q.drop_in_step(&acting, tickets[2].id, Left)
        .await
        .expect("left");
    q.record_requests(
        &acting,
        tickets[0].id,
        vec![
            request(Reason::ProcedureCaf, true),
            request(Reason::Printing, false),
        ],
    )
    .await
    .expect("requests");
    q.record_requests(
        &acting,
        tickets[1].id,
        vec![request(Reason::Smartphone, true)],
    )
    .await
    .expect("requests");

    // The reminders service sends its messages (to a file here).
    let outbox = t.dir.join("stats-outbox.jsonl");
    let reminders = t
        .with_sms(
            std::sync::Arc::new(reminders::sms::Outbox::new(outbox.clone())),
            reminders::ManualClock::new(at(8, 30)),
            reminders::Settings {
                // The day may be after a holiday: the notices are not stale.
                notices_within: chrono::Duration::days(7),
                ..reminders::Settings::default()
            },
        )
        .await;
    reminders.round().await.expect("round");
    let messages = std::fs::read_to_string(&outbox)
        .unwrap_or_default()
        .lines()
        .count();
    assert!(messages >= 2, "{messages}");

    let reply = t
        .send(
            Call::get(&format!(
                "/api/v1/stats?from={day}&to={day}&site={site}&by=site"
            ))
            .bearer(&boss.token),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = reply.json();
    let f = &body["rows"][0]["figures"];
    assert_eq!(body["rows"][0]["key"], site.as_str());
    assert_eq!(f["permanences"], 2);
    assert_eq!(
        f["people"], 4,
        "one resident came, three drop-in tickets: {f}"
    );
    assert_eq!(f["requests"], 4);
    assert_eq!(f["requests_per_person"], 1.0);
    assert_eq!(f["by_kind"]["online_procedure"], 2);
    assert_eq!(f["by_kind"]["printing"], 1);
    assert_eq!(f["by_kind"]["smartphone"], 1);
    assert_eq!(f["by_reason"]["procedure_prefecture"], 1);
    assert_eq!(f["accompanied_share"], 0.75);
    assert_eq!(f["waited"], 2);
    assert_eq!(f["left_unserved"], 1);
    assert_eq!(
        (f["booked"].clone(), f["booked_online"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(
        (f["honoured"].clone(), f["no_show"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(f["cancelled"], 1);
    assert_eq!(f["reminders_sent"], messages);
    assert_eq!(body["total"], *f);

    // The same as CSV, for a spreadsheet in French.
    let csv = t
        .send(
            Call::get(&format!("/api/v1/stats.csv?from={day}&to={day}&by=month"))
                .bearer(&boss.token),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.body.split("\r\n").collect();
    assert!(
        lines[0].starts_with("\u{feff}groupe;permanences;personnes;demandes;"),
        "{}",
        lines[0]
    );
    let month = day.format("%Y-%m").to_string();
    assert!(
        lines[1].starts_with(&format!("{month};2;4;4;1;2;0,75;0;0;2;1;0;0;1;")),
        "{}",
        lines[1]
    );
    assert!(lines[2].starts_with("total;2;4;4;"), "{}", lines[2]);

    // Charts, as SVG with their numbers in words.
    for (chart, says) in [
        ("people", format!("{month}: personnes 2, demandes 2.")),
        (
            "kinds",
            "Une démarche en ligne: demandes 2. Smartphone: demandes 1.".to_owned(),
        ),
        ("waits", "0–5 min: personnes 2.".to_owned()),
        ("no-shows", "sans rappel reçu: absents 50.".to_owned()),
    ] {
        let svg = t
            .send(
                Call::get(&format!(
                    "/api/v1/stats/charts/{chart}?from={day}&to={day}&by=month"
                ))
                .bearer(&boss.token)
                .language("fr"),
            )
            .await;
        assert_eq!(svg.status, StatusCode::OK, "{chart}: {}", svg.body);
        assert!(
            svg.headers["content-type"]
                .to_str()
                .expect("type")
                .starts_with("image/svg+xml")
        );
        assert!(svg.body.contains(&says), "{chart}: {}", svg.body);
    }
    let none = t
        .send(
            Call::get(&format!("/api/v1/stats/charts/pie?from={day}&to={day}")).bearer(&boss.token),
        )
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // A question left unanswered is counted as not said: never as
    // accompanied or done, and out of the accompanied share.
    q.record_requests(
        &acting,
        tickets[1].id,
        vec![
            request(Reason::Smartphone, true),
            ev::VisitRequest::recorded(
                Reason::Email,
                ev::Accompaniment::NotSaid,
                ev::Outcome::NotSaid,
            ),
        ],
    )
    .await
    .expect("requests");
    let figures = async || {
        t.send(
            Call::get(&format!(
                "/api/v1/stats?from={day}&to={day}&site={site}&by=site"
            ))
            .bearer(&boss.token),
        )
        .await
        .json()["rows"][0]["figures"]
            .clone()
    };
    let f = &figures().await;
    assert_eq!(f["requests"], 5, "{f}");
    assert_eq!(f["accompaniment_not_said"], 1, "{f}");
    assert_eq!(f["outcome_not_said"], 1, "{f}");
    assert_eq!(
        (f["accompanied"].clone(), f["autonomous"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(f["accompanied_share"], 0.75, "of the answered only: {f}");

    // An arrival taken back (a tap by mistake) is counted as never made:
    // one person fewer, no honoured appointment.
    q.advance(
        &acting.clone().at(at(11, 5)),
        id(&came),
        appointments::Stage::Booked,
    )
    .await
    .expect("undone");
    let after = &figures().await;
    assert_eq!(after["people"], 3, "{after}");
    assert_eq!(after["honoured"], 0, "{after}");
}

#[tokio::test]
async fn bad_periods_unknown_sites_and_other_sites_are_refused() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let other = site_with_slots(&t, 1).await;
    let here = t
        .staff(
            "coordination-ici",
            &[(Role::Coordinator, Some(site.parse().expect("site")))],
        )
        .await;
    let reception = t.staff("accueil", &[(Role::Reception, None)]).await;
    let get = |path: String, token: &str| Call::get(&path).bearer(token);

    let reversed = t
        .send(get(
            "/api/v1/stats?from=2019-02-01&to=2019-01-01".into(),
            &here.token,
        ))
        .await;
    assert_eq!(
        reversed.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reversed.body
    );
    assert_eq!(reversed.json()["field"], "to");
    let bad = t
        .send(get(
            "/api/v1/stats?from=2019-02-31&to=2019-03-01".into(),
            &here.token,
        ))
        .await;
    assert_eq!(bad.json()["field"], "from", "{}", bad.body);
    let by = t
        .send(get(
            "/api/v1/stats?from=2019-01-01&to=2019-03-01&by=decade".into(),
            &here.token,
        ))
        .await;
    assert_eq!(by.json()["field"], "by", "{}", by.body);
    let missing = t
        .send(get("/api/v1/stats?from=2019-01-01".into(), &here.token))
        .await;
    assert_eq!(
        missing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        missing.body
    );
    let unknown = t
        .send(get(
            format!(
                "/api/v1/stats?from=2019-01-01&to=2019-01-02&site={}",
                contracts::SiteId::new()
            ),
            &here.token,
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    let elsewhere = t
        .send(get(
            format!("/api/v1/stats?from=2019-01-01&to=2019-01-02&site={other}"),
            &here.token,
        ))
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::FORBIDDEN,
        "{}",
        elsewhere.body
    );
    let not_theirs = t
        .send(get(
            "/api/v1/stats?from=2019-01-01&to=2019-01-02".into(),
            &reception.token,
        ))
        .await;
    assert_eq!(
        not_theirs.status,
        StatusCode::FORBIDDEN,
        "{}",
        not_theirs.body
    );
    // Without a site, a coordinator of one site sees that site only.
    let mine = t
        .send(get(
            "/api/v1/stats?from=2019-01-01&to=2019-01-02&by=site".into(),
            &here.token,
        ))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
}

/// Three months of two simulated sites, written through the handlers: the
/// statistics give back the distributions the simulation was asked for.
#[tokio::test]
async fn a_simulated_quarter_gives_back_the_figures_it_was_calibrated_on() {
    let t = TestApp::new().await;
    let args = creneau::simulate::SimulateArgs {
        sites: 2,
        from: "2019-01-01".parse().expect("date"),
        to: "2019-03-31".parse().expect("date"),
        seed: 7,
        no_workshops: false,
        parallel: 1,
    };
    let mut out = Vec::new();
    let written = creneau::simulate::run(&t.state, &args, &mut out)
        .await
        .expect("simulated");
    assert!(written.visitors > 300, "{written:?}");
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let reply = t
        .send(Call::get("/api/v1/stats?from=2019-01-01&to=2019-03-31&by=site").bearer(&boss.token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = reply.json();
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    let share = |f: &serde_json::Value, kind: &str| {
        f["visits_by_kind"][kind].as_f64().unwrap_or(0.0) / f["visits"].as_f64().expect("visits")
    };
    for row in rows {
        let f = &row["figures"];
        let per = |k: &str| f[k].as_f64().expect("number") / f["permanences"].as_f64().expect("n");
        // Drop-in and appointment mornings together: people and requests
        // per permanence within the report's ranges.
        assert!(
            (2.5..=9.5).contains(&per("people")),
            "people per permanence: {f}"
        );
        assert!(
            (3.0..=12.0).contains(&per("requests")),
            "requests per permanence: {f}"
        );
        assert!((0.55..=0.85).contains(&share(f, "online_procedure")), "{f}");
        assert!((0.25..=0.55).contains(&share(f, "smartphone")), "{f}");
        assert!((0.05..=0.25).contains(&share(f, "computer")), "{f}");
        let autonomous = 1.0 - f["accompanied_share"].as_f64().expect("share");
        assert!((0.05..=0.25).contains(&autonomous), "{f}");
        assert!(
            f["wait_median_minutes"].as_f64().is_some_and(|m| m > 0.0),
            "{f}"
        );
        assert!(f["left_unserved"].as_u64().is_some_and(|n| n > 0), "{f}");
        assert!(f["no_show"].as_u64().is_some_and(|n| n > 0), "{f}");
        // Autonomy was partly reached: most requests guided, every level
        // said; the redirected requests oriented somewhere.
        let level = |k: &str| f[k].as_u64().expect("count");
        assert_eq!(level("autonomy_not_said"), 0, "{f}");
        assert!(
            level("autonomy_guided") > level("autonomy_with_help")
                && level("autonomy_with_help") > 0
                && level("autonomy_autonomous") > 0,
            "{f}"
        );
        assert!(f["oriented"].as_u64().is_some_and(|n| n > 0), "{f}");
    }
    // The most frequent procedures: employment, préfecture, CAF, ANTS.
    let total = &body["total"]["by_reason"];
    let count = |r: &str| total[r].as_u64().unwrap_or(0);
    let top = count("procedure_france_travail").min(count("procedure_prefecture"));
    for other in [
        "procedure_taxes",
        "procedure_housing",
        "procedure_retirement",
    ] {
        assert!(top > count(other), "{total}");
    }
    // The two sites differ as asked: the second one is busier.
    let people: Vec<u64> = rows
        .iter()
        .map(|r| r["figures"]["people"].as_u64().expect("people"))
        .collect();
    assert_ne!(people[0], people[1]);

    // The workshops: residents guided on a device are oriented to one,
    // enrolled and come; the autonomy recorded there makes a progression
    // visible that the same activity without workshops does not show.
    let f = &body["total"];
    let n = |k: &str| f[k].as_u64().unwrap_or(0);
    assert!(
        n("workshop_sessions") > 10 && n("workshop_places") > 30,
        "{f}"
    );
    assert!(
        n("workshop_present") > n("workshop_absent") && n("workshop_excused") > 0,
        "{f}"
    );
    assert!(
        n("oriented_to_workshop") > 0 && n("oriented_then_present") > 0,
        "{f}"
    );
    assert!(
        n("oriented_then_enrolled") >= n("oriented_then_present"),
        "{f}"
    );
    assert!(
        n("residents_followed") > 0 && n("residents_moved_up") > 0,
        "{f}"
    );
    let without = TestApp::new().await;
    let args = creneau::simulate::SimulateArgs {
        no_workshops: true,
        parallel: 1,
        ..args
    };
    creneau::simulate::run(&without.state, &args, &mut Vec::new())
        .await
        .expect("simulated");
    let boss = without
        .staff("coordination", &[(Role::Coordinator, None)])
        .await;
    let reply = without
        .send(Call::get("/api/v1/stats?from=2019-01-01&to=2019-03-31&by=site").bearer(&boss.token))
        .await;
    let plain = &reply.json()["total"];
    assert_eq!(plain["workshop_places"], 0, "{plain}");
    assert_eq!(plain["residents_followed"], 0, "{plain}");
    assert_eq!(
        (&plain["visits"], &plain["requests"]),
        (&f["visits"], &f["requests"]),
        "the same visits either way"
    );
}

/// The statistics are stored with their checkpoint: a restart loads them
/// instead of folding the log again, a rebuild gives the same figures, and
/// until they have caught up a query answers with the progress.
#[tokio::test]
async fn stored_statistics_survive_a_restart_and_say_when_they_are_not_ready() {
    let mut t = TestApp::new().await;
    let args = creneau::simulate::SimulateArgs {
        sites: 1,
        from: "2019-01-01".parse().expect("date"),
        to: "2019-01-31".parse().expect("date"),
        seed: 3,
        no_workshops: false,
        parallel: 1,
    };
    creneau::simulate::run(&t.state, &args, &mut Vec::new())
        .await
        .expect("simulated");
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let path = "/api/v1/stats?from=2019-01-01&to=2019-01-31&by=week";

    // A service that has not caught up yet: its progress, not figures.
    let store = std::sync::Arc::clone(&t.state.store);
    let cold = stats::Stats::new(std::sync::Arc::clone(&store));
    t.state.stats = cold.clone();
    let waiting = t.send(Call::get(path).bearer(&boss.token)).await;
    assert_eq!(
        waiting.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        waiting.body
    );
    assert!(
        waiting.body.contains("brought up to date"),
        "{}",
        waiting.body
    );
    cold.warm_up().await.expect("warm");
    let first = t.send(Call::get(path).bearer(&boss.token)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);

    // Stored with its checkpoint.
    let stored = store
        .load_projection(stats::service::PROJECTION)
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(stored.version, stats::service::VERSION);
    assert_eq!(
        store
            .load_checkpoint(stats::service::PROJECTION)
            .await
            .expect("checkpoint"),
        Some(stored.position)
    );

    // A restart loads it; a rebuild from the first event agrees.
    let restarted = stats::Stats::new(std::sync::Arc::clone(&store));
    restarted.warm_up().await.expect("warm");
    t.state.stats = restarted.clone();
    let again = t.send(Call::get(path).bearer(&boss.token)).await;
    assert_eq!(again.json(), first.json());
    let mut seen = Vec::new();
    restarted
        .rebuild(|folded, head| seen.push((folded, head)))
        .await
        .expect("rebuilt");
    assert!(seen.last().is_some_and(|(f, h)| f == h), "{seen:?}");
    let rebuilt = t.send(Call::get(path).bearer(&boss.token)).await;
    assert_eq!(rebuilt.json(), first.json());
}

/// The chart of requests by kind uses the forms' words: a kind that is one
/// reason has that reason's name, and the online procedures have the name
/// of the group the residents choose them from.
#[test]
fn the_kinds_chart_names_kinds_as_the_forms_do() {
    use contracts::{Language, ReasonKind};
    for lang in [Language::Fr, Language::En] {
        let chart = |kind: ReasonKind| {
            stats::MESSAGES.say(
                lang,
                "chart-kind",
                &[("kind", stats::fold::kind_code(kind).into())],
            )
        };
        for r in Reason::ALL {
            let alone = Reason::ALL.iter().filter(|x| x.kind() == r.kind()).count() == 1;
            if alone {
                assert_eq!(
                    chart(r.kind()),
                    web::text::reason_label(lang, r),
                    "{lang:?} {r:?}"
                );
            }
        }
        assert_eq!(
            chart(ReasonKind::OnlineProcedure),
            web::text::words(lang).group_procedure,
            "{lang:?}"
        );
    }
}

/// The resident's autonomy is recorded with a visit's requests (never
/// chosen in advance, refused in words when it is not a level), and the
/// figures show it: requests by level, and over successive visits who
/// moved up a level and how long it took, still counted after the person
/// is erased.
#[tokio::test]
async fn autonomy_is_recorded_and_progress_over_visits_survives_erasure() {
    let t = TestApp::new().await;
    let boss = t
        .staff("coordination-autonomie", &[(Role::Coordinator, None)])
        .await;
    let admin = t.staff("admin-autonomie", &[(Role::Admin, None)]).await;
    let site = site_with_slots(&t, 2).await;
    let mediator = t
        .staff_at("mediation-autonomie", Role::Mediator, &site)
        .await;
    let (first, later) = (t.open_day(1), t.open_day(4));
    let nine = |day: chrono::NaiveDate| {
        contracts::time::to_utc(day.and_hms_opt(9, 0, 0).expect("time")).expect("exists")
    };
    let iso = |t: chrono::DateTime<Utc>| contracts::time::to_local(t).fixed_offset().to_rfc3339();
    let q = &t.state.appointments;
    let acting = api::Acting::system("test", t.now());
    // Two visits each for Awa (guided, then autonomous) and for Karim
    // (with help twice): each booked for another reason.
    let mut visits = Vec::new();
    for (phone, name, levels) in [
        ("06 44 44 44 44", "Awa Traoré", ["guided", "autonomous"]),
        ("06 55 55 55 55", "Karim Benali", ["with_help", "with_help"]),
    ] {
        for ((day, reason), level) in [(first, "procedure_caf"), (later, "email")]
            .into_iter()
            .zip(levels)
        {
            let made = t
                .send(Call::post("/api/v1/appointments").json(json!({
                    "site": site, "start": iso(nine(day)), "reason": reason,
                    "resident": {"name": name, "phone": phone}})))
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
            let made = made.json();
            let id: contracts::AppointmentId =
                made["id"].as_str().expect("id").parse().expect("id");
            q.advance(
                &acting.clone().at(nine(day)),
                id,
                appointments::Stage::Arrived,
            )
            .await
            .expect("arrived");
            visits.push((id, made["resident_id"].as_str().map(str::to_owned), level));
        }
    }
    for (id, _, level) in &visits {
        let recorded = t
            .send(
                Call::new(
                    axum::http::Method::PUT,
                    &format!("/api/v1/visits/{}/requests", id.0),
                )
                .bearer(&mediator.token)
                .json(json!({"requests": [{"reason": "email", "autonomy": level}]})),
            )
            .await;
        assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
        assert_eq!(recorded.json()[0]["autonomy"], *level, "{}", recorded.body);
    }
    // A level that is not one is refused in words, naming the field.
    let wrong = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/visits/{}/requests", visits[0].0.0),
            )
            .bearer(&mediator.token)
            .json(json!({"requests": [{"reason": "email", "autonomy": "expert"}]})),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert_eq!(wrong.json()["field"], "requests.autonomy");

    let path = format!("/api/v1/stats?from={first}&to={later}&by=site");
    let total = t.send(Call::get(&path).bearer(&boss.token)).await.json()["total"].clone();
    assert_eq!(total["autonomy_guided"], 1, "{total}");
    assert_eq!(total["autonomy_with_help"], 2, "{total}");
    assert_eq!(total["autonomy_autonomous"], 1, "{total}");
    assert_eq!(total["residents_followed"], 2, "{total}");
    assert_eq!(total["residents_moved_up"], 1, "{total}");
    assert_eq!(total["moved_up_share"], 0.5, "{total}");
    let days = (later - first).num_days();
    assert_eq!(total["days_to_move_up_median"], days, "{total}");

    // The activity report: one row per visit, in the national report's
    // words (theme, autonomy level, orientation), its length the booked one.
    let report = t
        .send(
            Call::get(&format!(
                "/api/v1/stats/activity.csv?from={first}&to={later}&by=site"
            ))
            .bearer(&boss.token),
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    let lines: Vec<&str> = report.body.lines().collect();
    assert_eq!(lines.len(), 5, "{}", report.body);
    assert!(
        lines[0].contains("date;duree_min;lieu;type"),
        "{}",
        lines[0]
    );
    assert!(
        report.body.contains(
            ";30;Tilleuls;Accompagnement individuel;Rendez-vous;;E-mail;;Entièrement accompagné;Non;;1;"
        ),
        "{}",
        report.body
    );
    assert_eq!(report.body.matches("Partiellement autonome").count(), 2);

    // Awa is erased: her progress is still counted, her name nowhere.
    let awa = t
        .send(Call::get("/api/v1/residents/search?q=0644444444").bearer(&admin.token))
        .await
        .json()[0]["resident_id"]
        .as_str()
        .expect("a resident")
        .to_owned();
    let erased = t
        .send(
            Call::new(
                axum::http::Method::DELETE,
                &format!("/api/v1/residents/{awa}"),
            )
            .bearer(&admin.token),
        )
        .await;
    assert!(erased.status.is_success(), "{}", erased.body);
    let after = t.send(Call::get(&path).bearer(&boss.token)).await.json()["total"].clone();
    assert_eq!(after["residents_moved_up"], 1, "{after}");
    assert_eq!(after["residents_followed"], 2, "{after}");
    let csv = t
        .send(
            Call::get(&format!(
                "/api/v1/stats.csv?from={first}&to={later}&by=site"
            ))
            .bearer(&boss.token),
        )
        .await;
    assert!(!csv.body.contains("Awa"), "{}", csv.body);
    assert!(csv.body.contains("personnes_progressant"), "{}", csv.body);
}

/// A mediator orients a resident at the end of a visit, in one tap from
/// the visit's page or through the API: to another kind of helper or to a
/// partner the site lists (one the site does not list is refused in
/// words); the same orientation twice counts once; the figures count them
/// by where to.
#[tokio::test]
async fn orientations_are_recorded_in_one_tap_and_counted() {
    let t = TestApp::new().await;
    let boss = t
        .staff("coordination-orientation", &[(Role::Coordinator, None)])
        .await;
    let site = site_with_slots(&t, 1).await;
    let mediator = t
        .staff_at("mediation-orientation", Role::Mediator, &site)
        .await;
    // The site lists its partners.
    let current = t
        .send(Call::get(&format!("/api/v1/sites/{site}")).bearer(&boss.token))
        .await
        .json();
    let changed = t
        .send(
            Call::new(axum::http::Method::PUT, &format!("/api/v1/sites/{site}"))
                .bearer(&boss.token)
                .json(
                    json!({"name": current["name"], "address": current["address"],
                             "partners": ["CAF", "France Travail", " CAF "],
                             "version": current["version"]}),
                ),
        )
        .await;
    assert!(changed.status.is_success(), "{}", changed.body);
    let listed = t
        .send(Call::get(&format!("/api/v1/sites/{site}")).bearer(&boss.token))
        .await
        .json();
    assert_eq!(listed["partners"], json!(["CAF", "France Travail"]));

    let day = t.open_day(1);
    let made = book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let id: contracts::AppointmentId = made["id"].as_str().expect("id").parse().expect("id");
    let nine = contracts::time::to_utc(day.and_hms_opt(9, 0, 0).expect("time")).expect("exists");
    t.state
        .appointments
        .advance(
            &api::Acting::system("test", t.now()).at(nine),
            id,
            appointments::Stage::Arrived,
        )
        .await
        .expect("arrived");
    let path = format!("/api/v1/visits/{}/orientations", id.0);
    let orient = |to_kind: &str, to: &str| {
        Call::post(&path)
            .bearer(&mediator.token)
            .json(json!({"to_kind": to_kind, "to": to}))
    };
    let caf = t.send(orient("partner", "CAF")).await;
    assert_eq!(caf.status, StatusCode::CREATED, "{}", caf.body);
    let unknown = t.send(orient("partner", "Mairie annexe")).await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
    assert_eq!(unknown.json()["field"], "to");
    // The page offers one button per helper and partner; one tap records.
    let page = t
        .send(Call::get(&format!("/agents/visites/{}", id.0)).bearer(&mediator.token))
        .await;
    assert!(
        page.body.contains(r#"value="France Travail""#) && page.body.contains("✓ CAF"),
        "{}",
        page.body
    );
    let tap = t
        .send(
            Call::post(&format!("/agents/visites/{}/orienter", id.0))
                .bearer(&mediator.token)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw("to_kind=helper&to=it_helper".to_owned()),
        )
        .await;
    assert_eq!(tap.status, StatusCode::SEE_OTHER, "{}", tap.body);
    // Twice the same: once.
    let again = t.send(orient("partner", "CAF")).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    let list = t
        .send(Call::get(&path).bearer(&mediator.token))
        .await
        .json();
    assert_eq!(
        list,
        json!([{"to_kind": "partner", "to": "CAF"}, {"to_kind": "helper", "to": "it_helper"}])
    );
    let total = t
        .send(Call::get(&format!("/api/v1/stats?from={day}&to={day}&by=site")).bearer(&boss.token))
        .await
        .json()["total"]
        .clone();
    assert_eq!(total["oriented"], 2, "{total}");
    assert_eq!(
        total["oriented_to"],
        json!({"helper:it_helper": 1, "partner:CAF": 1}),
        "{total}"
    );
}
