//! The calendar through the whole router: who may write what, refusals
//! that name the field, concurrent edits, ICS feeds, the OpenAPI document,
//! and the demo data.

use axum::http::StatusCode;
use contracts::Role;
use creneau_tests::{Call, TestApp, book, site_with_slots};
use serde_json::json;

fn tuesday_rule(version: Option<u64>) -> serde_json::Value {
    json!({
        "label": "Accès libre du mardi",
        "cron": "0 9 * * TUE",
        "duration_minutes": 210,
        "valid_from": "2027-01-01",
        "offer": {"drop_in": true, "drop_in_capacity": 9, "appointments": true,
                  "appointment_minutes": 30, "desks": 2,
                  "by_reason": [{"reason": "procedure_prefecture", "length_minutes": 45}],
                  "roles_on_duty": ["mediator", "it_helper"]},
        "version": version,
    })
}

#[tokio::test]
async fn coordinators_write_their_own_sites_only_and_bad_rules_name_their_field() {
    let t = TestApp::new().await;
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let made = t
        .send(
            Call::post("/api/v1/sites")
                .bearer(&boss.token)
                .json(json!({"name": "Tilleuls", "address": "12 rue des Tilleuls"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let a = made.json()["site_id"].as_str().expect("id").to_owned();
    let b = t.site(&boss.token, "Port", "2 quai").await;
    let local = t
        .staff(
            "coordination_a",
            &[(Role::Coordinator, Some(a.parse().expect("id")))],
        )
        .await;

    let rule = t
        .send(
            Call::post(&format!("/api/v1/sites/{b}/rules"))
                .bearer(&boss.token)
                .json(tuesday_rule(None)),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let rule_b = rule.json()["rule_id"].as_str().expect("id").to_owned();
    let theirs = t
        .send(
            Call::post(&format!("/api/v1/sites/{b}/rules"))
                .bearer(&local.token)
                .json(tuesday_rule(None)),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{}", theirs.body);
    let through_mine = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!("/api/v1/sites/{a}/rules/{rule_b}"),
            )
            .bearer(&local.token)
            .json(tuesday_rule(None)),
        )
        .await;
    assert_eq!(
        through_mine.status,
        StatusCode::NOT_FOUND,
        "another site's rule through my site's address: {}",
        through_mine.body
    );
    let new_site = t
        .send(
            Call::post("/api/v1/sites")
                .bearer(&local.token)
                .json(json!({"name": "X", "address": "Y"})),
        )
        .await;
    assert_eq!(new_site.status, StatusCode::FORBIDDEN, "{}", new_site.body);

    let head = t.state.store.head().await.expect("head");
    let mut cases = Vec::new();
    let mut r = tuesday_rule(None);
    r["cron"] = json!("0 9 * * 2");
    cases.push((r, "cron"));
    let mut r = tuesday_rule(None);
    r["duration_minutes"] = json!(0);
    cases.push((r, "duration_minutes"));
    let mut r = tuesday_rule(None);
    r["valid_until"] = json!("2026-06-01");
    cases.push((r, "valid_until"));
    let mut r = tuesday_rule(None);
    r["offer"] = json!({"drop_in": true, "drop_in_capacity": 0});
    cases.push((r, "offer.drop_in_capacity"));
    let mut r = tuesday_rule(None);
    r["offer"]["roles_on_duty"] = json!(["boss"]);
    cases.push((r, "offer.roles_on_duty"));
    let mut r = tuesday_rule(None);
    r["cron"] = json!("30 10 * * TUE");
    cases.push((r, "cron"));
    for (body, field) in cases {
        let a_rule = t
            .send(
                Call::post(&format!("/api/v1/sites/{b}/rules"))
                    .bearer(&boss.token)
                    .json(body.clone()),
            )
            .await;
        assert_eq!(
            a_rule.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            a_rule.body
        );
        assert_eq!(a_rule.json()["field"], field, "{}", a_rule.body);
    }
    let closure = t
        .send(Call::post(&format!("/api/v1/sites/{a}/closures")).bearer(&local.token).json(json!({"first_day": "2027-05-10", "last_day": "2027-05-01", "reason": "Travaux"})))
        .await;
    assert_eq!(closure.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(closure.json()["field"], "last_day");
    let unknown = t
        .send(
            Call::post(&format!(
                "/api/v1/sites/{}/closures",
                contracts::SiteId::new()
            ))
            .bearer(&boss.token)
            .json(json!({"first_day": "2027-05-01", "last_day": "2027-05-02", "reason": "x"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert_eq!(
        t.state.store.head().await.expect("head"),
        head,
        "nothing written"
    );

    // Two coordinators edit the same rule from the same version.
    let version = t
        .send(Call::get(&format!("/api/v1/sites/{b}/rules")).bearer(&boss.token))
        .await
        .json()[0]["version"]
        .as_u64();
    let mut first = tuesday_rule(version);
    first["cron"] = json!("0 10 * * TUE");
    let put = |body: serde_json::Value| {
        Call::new(
            axum::http::Method::PUT,
            &format!("/api/v1/sites/{b}/rules/{rule_b}"),
        )
        .bearer(&boss.token)
        .json(body)
    };
    assert_eq!(t.send(put(first)).await.status, StatusCode::NO_CONTENT);
    let second = t.send(put(tuesday_rule(version))).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert!(second.body.contains("reload"), "{}", second.body);
}

#[tokio::test]
async fn a_mediator_reads_their_permanences_as_json_and_in_their_phone_calendar() {
    let t = TestApp::new().await;
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let med = t.staff("mediation", &[(Role::Mediator, None)]).await;
    let site = t
        .site(&boss.token, "Tilleuls", "12 rue des Tilleuls, Nantes")
        .await;
    t.send(
        Call::post(&format!("/api/v1/sites/{site}/rules"))
            .bearer(&boss.token)
            .json(tuesday_rule(None)),
    )
    .await;
    let list = t
        .send(Call::get(&format!(
            "/api/v1/permanences?site_id={site}&from=2027-01-04&to=2027-01-17"
        )))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let ids: Vec<String> = list
        .json()
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["permanence_id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    let assign = t
        .send(
            Call::new(
                axum::http::Method::PUT,
                &format!(
                    "/api/v1/sites/{site}/permanences/{}/staff/{}",
                    ids[0], med.id
                ),
            )
            .bearer(&boss.token),
        )
        .await;
    assert_eq!(assign.status, StatusCode::NO_CONTENT, "{}", assign.body);
    let mine = t
        .send(Call::get("/api/v1/me/permanences?from=2027-01-01&to=2027-01-31").bearer(&med.token))
        .await;
    assert_eq!(
        mine.json().as_array().map(Vec::len),
        Some(1),
        "{}",
        mine.body
    );
    let slots = t
        .send(Call::get(&format!(
            "/api/v1/permanences/{}/slots?reason=procedure_prefecture",
            ids[0]
        )))
        .await;
    assert_eq!(
        slots.json().as_array().map(Vec::len),
        Some(4),
        "210 minutes in 45-minute slots: {}",
        slots.body
    );
    let bad = t
        .send(Call::get(
            "/api/v1/permanences?from=2027-02-01&to=2027-01-01",
        ))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["field"], "to");

    let feeds = t
        .send(Call::get("/api/v1/calendar/feeds").bearer(&med.token))
        .await
        .json();
    let mine = feeds["mine"].as_str().expect("path").to_owned();
    let ics = t.send(Call::get(&mine)).await;
    assert_eq!(ics.status, StatusCode::OK);
    assert!(
        ics.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/calendar")
    );
    // The assignment is in January 2027; the feed covers the coming year
    // from today, so it holds it only while that is ahead.
    assert!(
        ics.body.starts_with("BEGIN:VCALENDAR\r\n") && ics.body.ends_with("END:VCALENDAR\r\n"),
        "{}",
        ics.body
    );
    let site_feed = feeds["sites"][0]["path"].as_str().expect("path").to_owned();
    let ics = t.send(Call::get(&site_feed)).await;
    assert!(
        ics.body.contains("BEGIN:VEVENT")
            && ics.body.contains("LOCATION:12 rue des Tilleuls\\, Nantes"),
        "{}",
        ics.body
    );
    let forged = t
        .send(Call::get(&format!("/ics/sites/{site}?token=AAAA")))
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
    let other = t
        .send(Call::get(
            &mine.replace(&med.id.to_string(), &boss.id.to_string()),
        ))
        .await;
    assert_eq!(
        other.status,
        StatusCode::NOT_FOUND,
        "one person's token opens no one else's feed"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route_and_no_page() {
    let t = TestApp::new().await;
    let doc = t.send(Call::get("/api/openapi.json")).await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let rules = creneau::server::routes(t.state.clone()).rules().to_vec();
    for rule in &rules {
        let method = rule.verb.method().as_str().to_lowercase();
        let operation = &doc["paths"][rule.path][&method];
        if rule.door == api::Door::Page {
            assert!(
                operation.is_null(),
                "the page {method} {} is listed",
                rule.path
            );
            continue;
        }
        assert!(
            rule.doc.is_some(),
            "{method} {} says nothing of what it reads and answers",
            rule.path
        );
        let responses = operation["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{method} {}: no success answer",
            rule.path
        );
        for (status, response) in responses {
            assert!(
                response["content"].is_null()
                    || response["content"]
                        .as_object()
                        .is_some_and(|c| c.values().all(|m| m["schema"].is_object())),
                "{method} {} {status}: content without a schema",
                rule.path
            );
        }
        if ["post", "put"].contains(&method.as_str()) && rule.path.starts_with("/api/v1/") {
            // A body is described where one is read.
            let reads =
                operation["requestBody"]["content"]["application/json"]["schema"].is_object();
            let takes_none = responses
                .keys()
                .any(|k| k == "204" || k == "201" || k == "200");
            assert!(reads || takes_none, "{method} {}", rule.path);
        }
    }
    // The booking's body and answer, as a client generator sees them.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        doc["paths"]["/api/v1/appointments"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/BookBody"
    );
    assert_eq!(
        schemas["BookBody"]["required"],
        json!(["site", "start", "reason", "resident"])
    );
    assert_eq!(schemas["BookBody"]["additionalProperties"], json!(false));
    assert_eq!(
        doc["paths"]["/api/v1/appointments"]["post"]["responses"]["201"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/AppointmentShown"
    );
    assert_eq!(
        schemas["ErrorBody"]["required"],
        json!(["error", "message"])
    );
    // What webhook receivers are sent, in the document's `webhooks`.
    let delivery = &doc["webhooks"]["delivery"]["post"];
    assert!(
        delivery["requestBody"]["content"]["application/json"]["schema"]["properties"]["id"]
            .is_object(),
        "{delivery}"
    );
    assert!(
        delivery["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|h| h["name"] == "creneau-signature"))
    );
    assert!(
        doc["paths"]["/api/v1/availability"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(|p| p["name"] == "reason" && p["in"] == "query" && p["required"] == true)
    );
    assert_eq!(
        doc["paths"]["/api/v1/staff"]["post"]["x-roles"],
        json!(["admin"])
    );
    assert_eq!(
        doc["paths"]["/api/v1/sites/{site_id}/rules"]["post"]["parameters"][0]["name"],
        "site_id"
    );
}

#[tokio::test]
async fn the_demo_gives_six_living_sites_once() {
    let t = TestApp::new().await;
    let mut out = Vec::new();
    creneau::demo::load(
        t.identity(),
        &t.state.calendar,
        &t.state.appointments,
        &mut out,
    )
    .await
    .expect("demo");
    let text = String::from_utf8_lossy(&out).into_owned();
    assert!(text.contains("6 sites"), "{text}");
    let booked = t
        .state
        .appointments
        .model()
        .await
        .expect("model")
        .bookings
        .len();
    assert!(booked >= 4, "{booked} demo appointments: {text}");
    let sites = t.send(Call::get("/api/v1/sites")).await.json();
    assert_eq!(sites.as_array().map(Vec::len), Some(6));
    assert_eq!(
        sites[0]["confirms_online_bookings_by_sms"], true,
        "one site asks for an SMS code"
    );
    let today = t.today();
    let list = t
        .send(Call::get(&format!(
            "/api/v1/permanences?from={today}&to={}",
            today + chrono::Days::new(13)
        )))
        .await
        .json();
    let list = list.as_array().expect("list");
    assert!(list.len() >= 20, "{} permanences in two weeks", list.len());
    assert!(
        list.iter()
            .any(|p| !p["staff"].as_array().is_some_and(Vec::is_empty)),
        "mediators on duty"
    );
    for role in ["admin", "coordinator", "reception", "it_helper", "mediator"] {
        assert!(text.contains(role), "{role} account: {text}");
    }
    let password = text
        .split("shown once: ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("password")
        .to_owned();
    let signed = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": "coordination@demo.creneau.fr", "password": password})),
        )
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{}", signed.body);
    let mut again = Vec::new();
    creneau::demo::load(
        t.identity(),
        &t.state.calendar,
        &t.state.appointments,
        &mut again,
    )
    .await
    .expect("demo");
    assert!(String::from_utf8_lossy(&again).contains("nothing loaded"));
}

/// A coordinator changes a rule in place from the pages: the form comes
/// filled as the rule is saved; a change that would strand an appointment
/// already booked is refused in words, with what was typed kept; a change
/// that keeps it is saved; a form older than the rule is refused.
#[tokio::test]
async fn a_rule_is_changed_in_place_and_never_strands_a_booked_appointment() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let boss = t
        .staff("coordination-edition", &[(Role::Coordinator, None)])
        .await;
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let rules = t
        .send(Call::get(&format!("/api/v1/sites/{site}/rules")).bearer(&boss.token))
        .await
        .json();
    let rule = rules[0]["rule_id"].as_str().expect("rule id").to_owned();
    let page = t
        .send(Call::get(&format!("/agents/regles/{rule}")).bearer(&boss.token))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(r#"value="09:00""#) && page.body.contains(r#"value="10:30""#),
        "{}",
        page.body
    );
    let form = |start: &str, end: &str, version: u64| {
        let days: String = (0..7).map(|d| format!("day={d}&")).collect();
        Call::post(&format!("/agents/regles/{rule}"))
            .bearer(&boss.token)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(format!(
                "label=Matin&{days}start={start}&end={end}&valid_from={}&appointments=oui&appointment_minutes=30&desks=1&version={version}&action=save",
                t.today()
            ))
    };
    // 10:00–12:00 leaves the 09:00 appointment out: refused, nothing saved.
    let stranding = t.send(form("10:00", "12:00", 0)).await;
    assert_eq!(
        stranding.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stranding.body
    );
    assert!(
        stranding.body.contains("1 rendez-vous déjà pris"),
        "{}",
        stranding.body
    );
    assert!(
        stranding.body.contains(r#"value="10:00""#),
        "{}",
        stranding.body
    );
    // 09:00–11:00 keeps it.
    let kept = t.send(form("09:00", "11:00", 0)).await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.body);
    let after = t
        .send(Call::get(&format!("/api/v1/sites/{site}/rules")).bearer(&boss.token))
        .await;
    assert!(
        after.body.contains(r#""duration_minutes":120"#),
        "{}",
        after.body
    );
    // A form read before that change is refused, not written over it.
    let stale = t.send(form("09:00", "12:00", 0)).await;
    assert_eq!(
        stale.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        stale.body
    );
    let unchanged = t
        .send(Call::get(&format!("/api/v1/sites/{site}/rules")).bearer(&boss.token))
        .await;
    assert!(
        unchanged.body.contains(r#""duration_minutes":120"#),
        "{}",
        unchanged.body
    );
}

/// A refused staff form keeps what was typed and ties the error to its
/// field (marked invalid, described by the message), on the site's forms,
/// the rule form and the team's new-account form; nothing is written.
#[tokio::test]
async fn refused_staff_forms_keep_what_was_typed_and_point_at_the_field() {
    let t = TestApp::new().await;
    let site = site_with_slots(&t, 1).await;
    let boss = t
        .staff("coordination-formulaires", &[(Role::Coordinator, None)])
        .await;
    let admin = t.staff("admin-formulaires", &[(Role::Admin, None)]).await;
    let post = |path: String, token: &str, body: String| {
        Call::post(&path)
            .bearer(token)
            .header("content-type", "application/x-www-form-urlencoded")
            .raw(body)
    };
    // A closure that ends before it starts.
    let closure = t
        .send(post(
            format!("/agents/lieux/{site}/fermetures"),
            &boss.token,
            "first_day=2030-03-10&last_day=2030-03-01&reason=Travaux+de+peinture".into(),
        ))
        .await;
    assert_eq!(
        closure.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        closure.body
    );
    assert!(
        closure.body.contains(r#"value="Travaux de peinture""#),
        "{}",
        closure.body
    );
    assert!(
        closure.body.contains(r#"id="last_day" name="last_day" value="2030-03-01" aria-invalid="true" aria-describedby="err-last_day""#),
        "{}",
        closure.body
    );
    // A site's phone that is not one.
    let details = t
        .send(post(
            format!("/agents/lieux/{site}"),
            &boss.token,
            "name=Tilleuls+Nord&address=12+rue+des+Tilleuls&phone=abc&open=oui".into(),
        ))
        .await;
    assert_eq!(
        details.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        details.body
    );
    assert!(
        details.body.contains(r#"value="Tilleuls Nord""#),
        "{}",
        details.body
    );
    assert!(
        details.body.contains(r#"aria-describedby="err-phone""#),
        "{}",
        details.body
    );
    // A rule without a day.
    let rule = t
        .send(post(
            format!("/agents/lieux/{site}/regles"),
            &boss.token,
            "label=Sans+jour&start=14:00&end=16:00&valid_from=2030-01-01&appointments=oui&appointment_minutes=30&desks=1&action=save".into(),
        ))
        .await;
    assert_eq!(
        rule.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        rule.body
    );
    assert!(
        rule.body.contains(r#"aria-describedby="err-day""#),
        "{}",
        rule.body
    );
    assert!(rule.body.contains(r#"value="Sans jour""#), "{}", rule.body);
    // An account for an address already taken.
    let taken = t
        .send(post(
            "/agents/equipe".into(),
            &admin.token,
            format!(
                "name=Nadia+Benali&email={}&role=reception&site=",
                boss.email
            ),
        ))
        .await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        taken.body
    );
    assert!(
        taken.body.contains(r#"value="Nadia Benali""#),
        "{}",
        taken.body
    );
    assert!(
        taken.body.contains(r#"aria-describedby="err-email""#),
        "{}",
        taken.body
    );
    // Nothing was written: the site keeps its name, no closure.
    let sites = t
        .send(Call::get(&format!("/api/v1/sites/{site}")).bearer(&boss.token))
        .await;
    assert!(!sites.body.contains("Tilleuls Nord"), "{}", sites.body);
    assert!(!sites.body.contains("peinture"), "{}", sites.body);
}
