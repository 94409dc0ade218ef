//! Identity and access through the whole router, in-process:
//!
//! - the role matrix: every declared route, every kind of staff member;
//! - sessions: cookies, CSRF, sign-out, idle expiry, tampering;
//! - brute force: per-address limits and account lockout;
//! - residents' manage links: one appointment's link opens no other;
//! - personal data: erasure, export and audit over HTTP.

use std::time::Duration;

use api::{Door, Need, Verb};
use axum::http::{Method, StatusCode};
use contracts::{AppointmentId, ResidentId, Role, SiteId};
use creneau_tests::{Call, ORIGIN, Staff, TestApp};
use eventlog::{Actor, ExpectedVersion, Metadata};
use identity::Settings;
use serde_json::json;

/// Roles, each for one site or (None) for every site.
type Grants = Vec<(Role, Option<SiteId>)>;

const EVERY_ROLE: [Role; 5] = [
    Role::Reception,
    Role::Mediator,
    Role::ItHelper,
    Role::Coordinator,
    Role::Admin,
];

/// Whether someone with `grants` meets `need` on a route whose site is
/// `site` (`None` when the route names no site). Written out here, apart
/// from the code under test.
fn expected_to_pass(need: Need, grants: &[(Role, Option<SiteId>)], site: Option<SiteId>) -> bool {
    let at = |g: Option<SiteId>| match (g, site) {
        (None, _) | (_, None) => true,
        (Some(a), Some(b)) => a == b,
    };
    let fits = |roles: &[Role], r: Role| roles.is_empty() || r == Role::Admin || roles.contains(&r);
    match need {
        Need::Public | Need::Optional => true,
        // The handler checks front-desk roles at the appointment's site.
        Need::ResidentLink => grants
            .iter()
            .any(|&(r, s)| (r == Role::Admin || api::FRONT_DESK.contains(&r)) && at(s)),
        Need::Admin => grants.iter().any(|&(r, s)| r == Role::Admin && s.is_none()),
        Need::Everywhere(roles) => grants.iter().any(|&(r, s)| fits(roles, r) && s.is_none()),
        Need::Staff(roles) => grants.iter().any(|&(r, s)| fits(roles, r) && at(s)),
    }
}

fn method(verb: Verb) -> Method {
    verb.method()
}

async fn issue_link(
    t: &TestApp,
    appointment: AppointmentId,
    resident: ResidentId,
    hours: i64,
) -> String {
    let link = identity::new_link(
        appointment,
        resident,
        t.now() + chrono::Duration::hours(hours),
    )
    .expect("link");
    let event = contracts::to_new_event(
        &link.event,
        Metadata::new(Actor::System("test".into()), uuid::Uuid::now_v7(), t.now()),
    )
    .expect("event");
    t.state
        .store
        .append(&link_stream(appointment), ExpectedVersion::Any, vec![event])
        .await
        .expect("append");
    link.token
}

/// Where a link is issued: a booking stream, as a booking writes it.
fn link_stream(appointment: AppointmentId) -> eventlog::StreamName {
    eventlog::StreamName::new(format!(
        "{}-test_{}",
        contracts::streams::BOOKING,
        appointment.0.simple()
    ))
    .expect("stream")
}

#[tokio::test]
async fn every_route_answers_each_role_as_its_rule_says() {
    let t = TestApp::new().await;
    // A site A with a rule, a permanence and a closure, for calendar routes.
    let acting = identity::Acting::system("test", t.now());
    let calendar = &t.state.calendar;
    let site_a_made = calendar
        .open_site(
            &acting,
            &contracts::proto::calendar::v1::SiteDetails {
                name: "A".into(),
                address: "1 rue A".into(),
                open: true,
                ..Default::default()
            },
        )
        .await
        .expect("site");
    let today = t.today();
    let rule_id = calendar
        .create_rule(
            &acting,
            &contracts::proto::calendar::v1::PermanenceRule {
                site_id: site_a_made.to_string(),
                label: "matin".into(),
                cron: "0 9 * * *".into(),
                duration_minutes: 180,
                valid_from: today.to_string(),
                offer: Some(contracts::proto::calendar::v1::Offer {
                    drop_in: true,
                    appointments: true,
                    appointment_minutes: 30,
                    desks: 2,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("rule");
    let open_day = t.open_day(1);
    let permanence = calendar::permanence_id(rule_id, open_day);
    let closure = calendar
        .schedule_closure(
            &acting,
            site_a_made,
            today + chrono::Days::new(30),
            today + chrono::Days::new(31),
            "travaux",
        )
        .await
        .expect("closure");
    let site_a = site_a_made;
    let tomorrow_nine = creneau_tests::paris(open_day, "09:00");
    let appointment = t
        .state
        .appointments
        .book(
            appointments::BookRequest {
                sms_consent: true,
                site: site_a,
                start: tomorrow_nine,
                reason: contracts::Reason::Smartphone,
                name: "Awa Traoré".into(),
                phone: "06 11 22 33 44".into(),
                email: None,
                language: contracts::Language::Fr,
                note: None,
                confirmation: None,
            },
            appointments::Booker::Staff {
                acting: acting.clone(),
                override_reason: None,
            },
            t.now(),
        )
        .await
        .expect("appointment")
        .booking
        .id;
    let personas: Vec<(&str, Grants)> = vec![
        ("reception_a", vec![(Role::Reception, Some(site_a))]),
        ("reception_b", vec![(Role::Reception, Some(SiteId::new()))]),
        ("mediator", vec![(Role::Mediator, None)]),
        ("ithelper", vec![(Role::ItHelper, None)]),
        ("coordinator", vec![(Role::Coordinator, None)]),
        ("siteadmin", vec![(Role::Admin, Some(site_a))]),
        ("admin", vec![(Role::Admin, None)]),
    ];
    let mut staff: Vec<(Staff, Grants)> = Vec::new();
    for (name, grants) in &personas {
        staff.push((t.staff(name, grants).await, grants.clone()));
    }
    let target = t.staff("target", &[(Role::Reception, None)]).await;
    let resident = t
        .identity()
        .register_resident(
            &identity::Acting::system("test", t.now()),
            identity::NewResident {
                first_name: "Amina".into(),
                last_name: "Diallo".into(),
                phone: "06 12 34 56 78".into(),
                email: None,
                language: contracts::Language::Fr,
                sms_consent: true,
                email_consent: false,
                site: Some(site_a),
            },
        )
        .await
        .expect("resident");
    let link = issue_link(&t, AppointmentId::new(), resident, 24).await;
    // A waiting-list entry and a place held for it at site A.
    let entry = uuid::Uuid::now_v7();
    let offer = AppointmentId::new();
    let list = format!("{site_a}_smartphone");
    let write = |stream: String, e: eventlog::NewEvent| {
        let store = std::sync::Arc::clone(&t.state.store);
        async move {
            store
                .append(
                    &eventlog::StreamName::new(stream).expect("stream"),
                    ExpectedVersion::Any,
                    vec![e],
                )
                .await
                .expect("append");
        }
    };
    write(
        format!("waitlist-{list}"),
        acting
            .event(&contracts::proto::appointments::v1::WaitlistJoined {
                entry_id: entry.to_string(),
                list: list.clone(),
                site_id: site_a.to_string(),
                reason: contracts::Reason::Smartphone.into(),
                resident_id: resident.to_string(),
                ..Default::default()
            })
            .expect("event"),
    )
    .await;
    write(
        format!("booking-{permanence}"),
        acting
            .event(&contracts::proto::appointments::v1::PlaceHeld {
                offer_id: offer.to_string(),
                entry_id: entry.to_string(),
                list,
                resident_id: resident.to_string(),
                site_id: site_a.to_string(),
                permanence_id: permanence.clone(),
                starts_at: creneau_tests::paris(open_day, "10:00").to_rfc3339(),
                ends_at: creneau_tests::paris(open_day, "10:30").to_rfc3339(),
                reason: contracts::Reason::Smartphone.into(),
                expires_at: (t.now() + chrono::Duration::hours(2)).to_rfc3339(),
            })
            .expect("event"),
    )
    .await;

    // A time in the pages' address form: 09:00 on the next open day, Paris
    // time.
    let start_of_page = format!("{open_day}T09:00");
    let rules = creneau::server::routes(t.state.clone()).rules().to_vec();
    assert!(rules.len() >= 20, "the identity routes are declared");
    let mut checked = 0;
    let mut refused = 0;
    for rule in &rules {
        let path = rule
            .path
            .replace("{site_id}", &site_a.to_string())
            .replace("{staff_id}", &target.id.to_string())
            .replace("{resident_id}", &resident.to_string())
            .replace("{token_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{role}", "mediator")
            .replace("{rule_id}", &rule_id.to_string())
            .replace("{permanence_id}", &permanence)
            .replace("{closure_id}", &closure.to_string())
            .replace("{appointment_id}", &appointment.to_string())
            .replace("{ticket_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{step}", "call")
            .replace("{provider}", "outbox")
            .replace("{chart}", "people")
            .replace("{visit_id}", &appointment.to_string())
            .replace("{entry_id}", &entry.to_string())
            .replace("{offer_id}", &offer.to_string())
            .replace("{webhook_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{token}", &link)
            .replace("{reason}", "procedure_caf")
            .replace("{start}", &start_of_page);
        assert!(
            !path.contains('{'),
            "{}: a path parameter this test does not fill",
            rule.path
        );
        // Appointment routes are at site A: the fixture's appointment is there.
        let site = (rule.path.contains("{site_id}")
            || rule.path.contains("{appointment_id}")
            || rule.path.contains("{visit_id}")
            || rule.path.contains("{entry_id}")
            || rule.path.contains("{offer_id}"))
        .then_some(site_a);
        let body = if matches!(rule.verb, Verb::Get | Verb::Delete) {
            None
        } else {
            Some(json!({}))
        };
        let call = |auth: Option<&str>| {
            let mut c = Call::new(method(rule.verb), &path);
            if let Some(token) = auth {
                c = c.bearer(token);
            }
            if let Some(b) = &body {
                c = c.json(b.clone());
            }
            c
        };
        let anonymous = t.send(call(None)).await;
        let label = format!("{:?} {}", rule.verb, rule.path);
        match (rule.need, rule.door) {
            (Need::Public | Need::Optional, _) => assert!(
                !matches!(
                    anonymous.status,
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ) && anonymous.status.as_u16() < 500,
                "{label} is open to anyone, answered {}: {}",
                anonymous.status,
                anonymous.body
            ),
            (_, Door::Page) => assert_eq!(
                anonymous
                    .headers
                    .get("location")
                    .and_then(|v| v.to_str().ok()),
                Some(format!("/connexion?retour={path}").as_str()),
                "{label} without credentials leads to the sign-in page: {}",
                anonymous.status
            ),
            (_, Door::Api) => assert_eq!(
                anonymous.status,
                StatusCode::UNAUTHORIZED,
                "{label} without credentials: {}",
                anonymous.body
            ),
        }
        for (who, grants) in &staff {
            let reply = t.send(call(Some(&who.token))).await;
            let label = format!("{label} as {}", who.email);
            if expected_to_pass(rule.need, grants, site) {
                assert!(
                    !matches!(
                        reply.status,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                    ) && reply.status.as_u16() < 500
                        // The router's fallback: the route is not mounted.
                        && !reply.body.contains("no page at"),
                    "{label} should pass, answered {}: {}",
                    reply.status,
                    reply.body
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{label}: {}",
                    reply.body
                );
                refused += 1;
                // A JSON answer says why in `message`, a page in its alert.
                assert!(
                    reply.json()["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty())
                        || reply
                            .body
                            .contains("<p class=\"alert\" role=\"alert\">il faut le rôle"),
                    "{label}: {}",
                    reply.body
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, rules.len() * personas.len());
    // Admin routes refuse six of the seven personas, front-desk routes the
    // site-B receptionist on site A's routes and nobody else.
    assert!(refused >= 6 * 10, "{refused} refusals");
}

#[tokio::test]
async fn a_route_added_without_a_rule_is_closed_to_everyone() {
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use std::sync::Arc;
    use tower::ServiceExt as _;
    let t = TestApp::new().await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let policy = Arc::new(api::AccessPolicy::new(
        &[],
        Arc::new(t.identity().clone()),
        None,
    ));
    let router = axum::Router::new()
        .route("/forgotten", get(|| async { "open" }))
        .layer(from_fn_with_state(policy, api::authorize));
    for auth in [None, Some(admin.token.as_str())] {
        let mut request = axum::http::Request::get("/forgotten");
        if let Some(token) = auth {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = router
            .clone()
            .oneshot(request.body(axum::body::Body::empty()).expect("request"))
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}

#[tokio::test]
async fn a_cookie_session_needs_its_csrf_token_to_change_anything_and_ends_at_sign_out() {
    let t = TestApp::new().await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let reply = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": admin.email, "password": admin.password})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let set_cookie = reply.headers["set-cookie"].to_str().expect("ascii");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=1800"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP: no Secure flag ({set_cookie})"
    );
    let cookie = reply.cookie().expect("cookie");
    let csrf = reply.json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();

    let me = t.send(Call::get("/api/v1/session").cookie(&cookie)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["staff_id"], admin.id.to_string());

    let body = json!({"email": "new@ville.example.fr", "display_name": "New", "grants": [{"role": "reception"}]});
    let forged = t
        .send(
            Call::post("/api/v1/staff")
                .cookie(&cookie)
                .json(body.clone()),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    assert!(forged.body.contains("reload the page"), "{}", forged.body);
    let wrong = t
        .send(
            Call::post("/api/v1/staff")
                .cookie(&cookie)
                .header("x-csrf-token", "AAAA")
                .json(body.clone()),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let other_site = t
        .send(
            Call::post("/api/v1/staff")
                .cookie(&cookie)
                .header("x-csrf-token", &csrf)
                .header("origin", "https://evil.example")
                .json(body.clone()),
        )
        .await;
    assert_eq!(
        other_site.status,
        StatusCode::FORBIDDEN,
        "{}",
        other_site.body
    );
    let made = t
        .send(
            Call::post("/api/v1/staff")
                .cookie(&cookie)
                .header("x-csrf-token", &csrf)
                .header("origin", ORIGIN)
                .json(body),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert!(
        made.json()["generated_password"]
            .as_str()
            .is_some_and(|p| p.len() >= 12)
    );

    let out = t
        .send(
            Call::delete("/api/v1/session")
                .cookie(&cookie)
                .header("x-csrf-token", &csrf),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let after = t.send(Call::get("/api/v1/session").cookie(&cookie)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.body.contains("sign in again"), "{}", after.body);
}

#[tokio::test]
async fn tampered_malformed_and_idle_sessions_are_refused_with_a_reason() {
    let t = TestApp::with_settings(Settings {
        session_idle: Duration::from_secs(3),
        ..Settings::default()
    })
    .await;
    let who = t.staff("mediator", &[(Role::Mediator, None)]).await;
    let (cookie, _) = t.sign_in(&who).await;
    let (name, value) = cookie.split_once('=').expect("name=value");
    let mut parts: Vec<&str> = value.split('.').collect();
    let later = (t.now().timestamp() + 3600).to_string();
    parts[1] = &later;
    let tampered = format!("{name}={}", parts.join("."));
    for bad in [
        tampered.as_str(),
        "creneau_session=garbage",
        "creneau_session=a.b.c",
        "creneau_session=",
    ] {
        let reply = t.send(Call::get("/api/v1/session").cookie(bad)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert!(reply.body.contains("sign in again"), "{}", reply.body);
    }
    let reply = t
        .send(Call::get("/api/v1/session").bearer("crn_nothing"))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = t
        .send(Call::get("/api/v1/session").header("authorization", "Basic eDp5"))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("Bearer"), "{}", reply.body);

    // A fresh session works, then ends after 3 s without a request (the
    // cookie counts whole seconds: 4.5 s is past it on any machine).
    let (cookie, _) = t.sign_in(&who).await;
    assert_eq!(
        t.send(Call::get("/api/v1/session").cookie(&cookie))
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let idle = t.send(Call::get("/api/v1/session").cookie(&cookie)).await;
    assert_eq!(idle.status, StatusCode::UNAUTHORIZED);
    assert!(idle.body.contains("without activity"), "{}", idle.body);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer_and_repeated_failures_lock() {
    let t = TestApp::new().await;
    let who = t.staff("reception", &[(Role::Reception, None)]).await;
    let unknown = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": "nobody@ville.example.fr", "password": "whatever it is"})),
        )
        .await;
    let wrong = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": who.email, "password": "not the password"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (wrong.status, wrong.body.clone())
    );
    assert!(
        wrong.body.contains("wrong email or password"),
        "{}",
        wrong.body
    );

    for _ in 0..3 {
        let r = t
            .send(
                Call::post("/api/v1/session")
                    .json(json!({"email": who.email, "password": "not the password"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let locking = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": who.email, "password": "not the password"})),
        )
        .await;
    assert_eq!(
        locking.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locking.body
    );
    assert!(locking.body.contains("locked"), "{}", locking.body);
    assert!(locking.headers.contains_key("retry-after"));
    let right_but_locked = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": who.email, "password": who.password})),
        )
        .await;
    assert_eq!(right_but_locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        right_but_locked.body.contains("ask an administrator"),
        "{}",
        right_but_locked.body
    );

    // An administrator's new password lifts the lock.
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let reset = t
        .send(
            Call::post(&format!("/api/v1/staff/{}/password", who.id))
                .bearer(&admin.token)
                .json(json!({"password": "un tout nouveau mot de passe"})),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let back = t
        .send(
            Call::post("/api/v1/session")
                .json(json!({"email": who.email, "password": "un tout nouveau mot de passe"})),
        )
        .await;
    assert_eq!(back.status, StatusCode::CREATED, "{}", back.body);
}

#[tokio::test]
async fn one_address_trying_many_accounts_is_slowed_down_and_others_are_not() {
    let t = TestApp::new().await;
    let mut limited = None;
    for i in 0..40 {
        let r = t
            .send(
                Call::post("/api/v1/session")
                    .sent_from([203, 0, 113, 7])
                    .json(json!({"email": format!("guess{i}@ville.example.fr"), "password": "password123"})),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, r.body));
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let (after, body) = limited.expect("the address is limited");
    assert_eq!(after, 30, "30 attempts per 10 minutes");
    assert!(body.contains("this connection"), "{body}");
    let other = t
        .send(
            Call::post("/api/v1/session")
                .sent_from([203, 0, 113, 8])
                .json(json!({"email": "guess@ville.example.fr", "password": "password123"})),
        )
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoked_tokens_disabled_accounts_and_reset_passwords_stop_working() {
    let t = TestApp::new().await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let who = t.staff("coordinator", &[(Role::Coordinator, None)]).await;

    let made = t
        .send(
            Call::post("/api/v1/tokens")
                .bearer(&who.token)
                .json(json!({"label": "export script", "days": 7})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let second = made.json()["token"].as_str().expect("token").to_owned();
    assert!(second.starts_with("crn_"));
    let id = made.json()["token_id"].as_str().expect("id").to_owned();
    let listed = t.send(Call::get("/api/v1/tokens").bearer(&second)).await;
    assert_eq!(listed.json().as_array().map(Vec::len), Some(2));
    assert!(!listed.body.contains(&second), "a token is shown once only");

    let someone_else = t
        .send(Call::delete(&format!("/api/v1/tokens/{id}")).bearer(&admin.token))
        .await;
    assert_eq!(
        someone_else.status,
        StatusCode::NO_CONTENT,
        "administrators may revoke any token"
    );
    let revoked = t.send(Call::get("/api/v1/session").bearer(&second)).await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert!(revoked.body.contains("revoked"), "{}", revoked.body);

    let (cookie, _) = t.sign_in(&who).await;
    let reset = t
        .send(Call::post(&format!("/api/v1/staff/{}/password", who.id)).bearer(&admin.token))
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    assert!(reset.json()["generated_password"].as_str().is_some());
    let ended = t.send(Call::get("/api/v1/session").cookie(&cookie)).await;
    assert_eq!(
        ended.status,
        StatusCode::UNAUTHORIZED,
        "a new password ends sessions"
    );

    let off = t
        .send(
            Call::post(&format!("/api/v1/staff/{}/disable", who.id))
                .bearer(&admin.token)
                .json(json!({"reason": "left"})),
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.send(Call::get("/api/v1/session").bearer(&who.token))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let me = t
        .send(Call::get(&format!("/api/v1/staff/{}", who.id)).bearer(&admin.token))
        .await;
    assert_eq!(me.json()["disabled"], true);

    let last = t
        .send(Call::post(&format!("/api/v1/staff/{}/disable", admin.id)).bearer(&admin.token))
        .await;
    assert_eq!(last.status, StatusCode::FORBIDDEN, "{}", last.body);
    assert!(last.body.contains("last administrator"), "{}", last.body);
}

#[tokio::test]
async fn a_manage_link_opens_its_own_appointment_and_no_other() {
    let t = TestApp::new().await;
    let resident = ResidentId::new();
    let (a, b) = (AppointmentId::new(), AppointmentId::new());
    let token_a = issue_link(&t, a, resident, 24).await;
    let token_b = issue_link(&t, b, ResidentId::new(), 24).await;
    let expired = issue_link(&t, AppointmentId::new(), resident, -1).await;

    let reply = t.send(Call::get(&format!("/api/v1/links/{token_a}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["appointment_id"], a.to_string());
    assert_ne!(reply.json()["appointment_id"], b.to_string());
    assert!(
        !reply.body.contains(&resident.to_string()),
        "the link shows no more than needed"
    );

    let client = "198.51.100.1";
    let identity = t.identity();
    assert_eq!(
        identity
            .link_for(&token_a, a, client)
            .await
            .expect("own")
            .appointment_id,
        a
    );
    let idor = identity
        .link_for(&token_a, b, client)
        .await
        .unwrap_err()
        .to_string();
    let unknown = identity
        .resolve_link(&"x".repeat(identity::LINK_TOKEN_LEN), client)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        idor, unknown,
        "another appointment's link reads as an unknown link"
    );
    assert!(identity.link_for(&token_b, b, client).await.is_ok());

    let mut tampered = token_a.clone();
    tampered.replace_range(0..1, if token_a.starts_with('A') { "B" } else { "A" });
    let reply = t
        .send(Call::get(&format!("/api/v1/links/{tampered}")))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("not valid"), "{}", reply.body);
    let reply = t.send(Call::get(&format!("/api/v1/links/{expired}"))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("expired"), "{}", reply.body);

    // Revoked: a new link replaced it.
    let event = contracts::to_new_event(
        &identity::revoke_link(a, &token_a),
        Metadata::new(Actor::System("test".into()), uuid::Uuid::now_v7(), t.now()),
    )
    .expect("event");
    t.state
        .store
        .append(&link_stream(a), ExpectedVersion::Any, vec![event])
        .await
        .expect("append");
    let reply = t.send(Call::get(&format!("/api/v1/links/{token_a}"))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("no longer works"), "{}", reply.body);

    let mut limited = false;
    for i in 0..70 {
        let r = t
            .send(
                Call::get(&format!("/api/v1/links/{}{i:02}", "z".repeat(41)))
                    .sent_from([203, 0, 113, 9]),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing links from one address is limited");
}

#[tokio::test]
async fn erasure_over_http_leaves_the_history_and_no_readable_personal_value() {
    let t = TestApp::new().await;
    let reception = t.staff("reception", &[(Role::Reception, None)]).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let made = t
        .send(
            Call::post("/api/v1/residents")
                .bearer(&reception.token)
                .json(json!({
                    "first_name": "Éloïse", "last_name": "N'Diaye", "phone": "07 81 22 33 44",
                    "email": "eloise@example.fr", "language": "fr"
                })),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.json()["resident_id"].as_str().expect("id").to_owned();
    let details = t
        .send(Call::get(&format!("/api/v1/residents/{id}")).bearer(&reception.token))
        .await;
    assert_eq!(details.json()["first_name"], "Éloïse", "accents kept");
    assert_eq!(details.json()["phone"], "+33781223344");

    let export = t
        .send(Call::get(&format!("/api/v1/residents/{id}/export")).bearer(&admin.token))
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.body.contains("N'Diaye") || export.body.contains("N\\u0027Diaye"),
        "{}",
        export.body
    );
    assert!(
        export.headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("attachment")
    );
    let by_reception = t
        .send(Call::get(&format!("/api/v1/residents/{id}/export")).bearer(&reception.token))
        .await;
    assert_eq!(by_reception.status, StatusCode::FORBIDDEN);

    let before = t.state.store.head().await.expect("head");
    let erased = t
        .send(Call::delete(&format!("/api/v1/residents/{id}")).bearer(&admin.token))
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    assert_eq!(erased.json()["newly_erased"], true);
    let again = t
        .send(Call::delete(&format!("/api/v1/residents/{id}")).bearer(&admin.token))
        .await;
    assert_eq!(
        again.json()["newly_erased"],
        false,
        "erasing twice is harmless"
    );

    let details = t
        .send(Call::get(&format!("/api/v1/residents/{id}")).bearer(&reception.token))
        .await;
    assert_eq!(details.status, StatusCode::OK);
    assert_eq!(details.json()["erased"], true);
    assert_eq!(details.json()["first_name"], serde_json::Value::Null);
    assert_eq!(details.json()["phone"], serde_json::Value::Null);
    let export = t
        .send(Call::get(&format!("/api/v1/residents/{id}/export")).bearer(&admin.token))
        .await;
    assert!(
        !export.body.contains("Diaye") && !export.body.contains("7812233"),
        "{}",
        export.body
    );
    assert!(export.body.contains("[erased]"), "{}", export.body);

    // The history stays: one event more (the erasure), none less.
    let after = t.state.store.head().await.expect("head");
    assert_eq!(after.0, before.0 + 1);
    let all = t
        .state
        .store
        .read_all(eventlog::Position(0), 10_000, &eventlog::Filter::all())
        .await
        .expect("read");
    assert!(
        all.iter()
            .any(|e| e.event_type == "creneau.residents.v1.ResidentRegistered")
    );
    for e in &all {
        let text = String::from_utf8_lossy(&e.payload);
        assert!(
            !text.contains("Diaye") && !text.contains("eloise@"),
            "clear personal data in {}",
            e.event_type
        );
    }

    let audit = t
        .send(Call::get(&format!("/api/v1/audit?resident={id}")).bearer(&admin.token))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    let all_entries = audit.json();
    let all_entries = all_entries.as_array().expect("list");
    // Who read the resident's data is in the audit too: reception their
    // record, the administrator the export.
    let reads: Vec<(&str, &str)> = all_entries
        .iter()
        .filter(|e| e["event_type"] == "creneau.residents.v1.ResidentRecordsRead")
        .filter_map(|e| Some((e["actor"].as_str()?, e["actor_name"].as_str()?)))
        .collect();
    assert_eq!(
        reads,
        vec![
            (format!("staff:{}", reception.id).as_str(), "reception"),
            (format!("staff:{}", admin.id).as_str(), "admin"),
        ],
        "{}",
        audit.body
    );
    let entries: Vec<&serde_json::Value> = all_entries
        .iter()
        .filter(|e| e["event_type"] != "creneau.residents.v1.ResidentRecordsRead")
        .collect();
    assert_eq!(entries.len(), 2, "{}", audit.body);
    assert_eq!(entries[0]["actor"], format!("staff:{}", reception.id));
    assert_eq!(entries[0]["actor_name"], "reception");
    assert_eq!(
        entries[1]["event_type"],
        "creneau.residents.v1.ResidentErased"
    );
    assert_eq!(entries[1]["actor"], format!("staff:{}", admin.id));
    let audit = t
        .send(Call::get("/api/v1/audit").bearer(&admin.token))
        .await;
    assert_eq!(audit.status, StatusCode::BAD_REQUEST);
    assert!(audit.body.contains("?staff="), "{}", audit.body);
}

#[tokio::test]
async fn bad_bodies_and_ids_get_a_message_that_says_what_to_fix() {
    let t = TestApp::new().await;
    let reception = t.staff("reception", &[(Role::Reception, None)]).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let cases = [
        (Call::post("/api/v1/residents").bearer(&reception.token).json(json!({"first_name": "A", "last_name": "B", "phone": "12"})), "phone"),
        (Call::post("/api/v1/residents").bearer(&reception.token).header("content-type", "application/json"), "JSON"),
        (Call::post("/api/v1/residents").bearer(&reception.token).json(json!({"first_name": "A", "last_name": "B", "phone": "0612345678", "language": "xx"})), "fr, en or ar"),
        (Call::post("/api/v1/staff").bearer(&admin.token).json(json!({"email": "no-at-sign", "display_name": "X"})), "name@example.fr"),
        (Call::post("/api/v1/staff").bearer(&admin.token).json(json!({"email": "x@ville.fr", "display_name": "X", "password": "short"})), "at least 12"),
        (Call::post("/api/v1/staff").bearer(&admin.token).json(json!({"email": "x@ville.fr", "display_name": "X", "grants": [{"role": "boss"}]})), "reception, mediator"),
        (Call::post("/api/v1/staff").bearer(&admin.token).json(json!({"email": reception.email, "display_name": "Twin"})), "already an account"),
        (Call::get("/api/v1/residents/not-a-uuid").bearer(&reception.token), "not a resident id"),
        (Call::get(&format!("/api/v1/residents/{}", ResidentId::new())).bearer(&reception.token), "no resident"),
        (Call::post("/api/v1/tokens").bearer(&reception.token).json(json!({"label": "x", "days": 1000})), "1 to 90 days"),
    ];
    for (call, words) in cases {
        let reply = t.send(call).await;
        assert!(
            reply.status.is_client_error(),
            "{words}: {} {}",
            reply.status,
            reply.body
        );
        assert!(
            reply.body.contains(words),
            "expected {words:?} in {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let t = TestApp::new().await;
    for call in [
        Call::get("/healthz"),
        Call::get("/nowhere"),
        Call::get("/api/v1/staff"),
    ] {
        let reply = t.send(call).await;
        let h = &reply.headers;
        assert!(
            h["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["cache-control"], "no-store");
    }
}

#[test]
fn every_role_is_named() {
    assert_eq!(identity::role_names().len(), EVERY_ROLE.len());
}

/// Found by Schemathesis: `"site_id": ""` was read as no site, so a grant
/// with an emptied site field gave the role at every site. It is refused,
/// naming the field, in the caller's language, and nothing is granted.
#[tokio::test]
async fn an_empty_site_in_a_grant_is_refused_not_read_as_every_site() {
    let t = TestApp::new().await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let site = t
        .site(&admin.token, "Tilleuls", "12 rue des Tilleuls")
        .await;
    let med = t.staff_at("med", Role::Mediator, &site).await;
    let grants = format!("/api/v1/staff/{}/grants", med.id);
    for (body, field, words) in [
        (
            json!({"role": "coordinator", "site_id": ""}),
            "site_id",
            "site_id est vide",
        ),
        (
            json!({"role": "coordinator", "site_id": "  "}),
            "site_id",
            "site_id est vide",
        ),
        (
            json!({"role": "", "site_id": site}),
            "role",
            "n'est pas un rôle",
        ),
    ] {
        let reply = t
            .send(
                Call::post(&grants)
                    .bearer(&admin.token)
                    .language("fr")
                    .json(body),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        assert_eq!(reply.json()["field"], field);
        assert!(reply.body.contains(words), "{}", reply.body);
    }
    let shown = t
        .send(Call::get(&format!("/api/v1/staff/{}", med.id)).bearer(&admin.token))
        .await
        .json();
    assert_eq!(shown["grants"].as_array().map(Vec::len), Some(1), "{shown}");
    assert_eq!(shown["grants"][0]["role"], "mediator");
}
