//! Webhooks, against a receiver on loopback: deliveries signed with the
//! documented algorithm, in order, each with its event id; tried again
//! after a 500 and a timeout with the same id, paused after a day of
//! failures and resumed; both secrets of a rotation valid; residents'
//! details only where the subscription chose them, and not once the
//! resident is erased; a receiver that holds its answer does not hold
//! bookings; each owner sees their own subscriptions and delivery log.

use std::time::Duration;

use axum::http::StatusCode;
use contracts::Role;
use creneau_tests::receiver::{Answer, Receiver};
use creneau_tests::{Call, TestApp, book, site_with_slots, test_now};
use eventlog::ManualClock;
use serde_json::{Value, json};

fn acting(t: &TestApp) -> api::Acting {
    api::Acting::new(
        eventlog::Actor::System("webhooks".into()),
        uuid::Uuid::now_v7(),
        t.now(),
    )
}

async fn deliver(t: &TestApp) -> usize {
    t.state
        .webhooks
        .deliver_round(&acting(t))
        .await
        .expect("a round")
}

async fn subscribe(t: &TestApp, token: &str, body: Value) -> Value {
    let reply = t
        .send(Call::post("/api/v1/webhooks").bearer(token).json(body))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.json()
}

async fn shown(t: &TestApp, token: &str, id: &str) -> Value {
    let reply = t
        .send(Call::get(&format!("/api/v1/webhooks/{id}")).bearer(token))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.json()
}

/// The receiver's side of the documented algorithm: HMAC-SHA256, keyed
/// with the secret's text, of `<t>.<body>`, in lower-case hex; which of the
/// header's signatures it finds.
fn signed_with(secret: &str, header: &str, body: &str) -> bool {
    let t = header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .expect("t=");
    let expected = contracts::mac::to_hex(&contracts::mac::hmac_sha256(
        secret.as_bytes(),
        &[t.as_bytes(), b".", body.as_bytes()],
    ));
    header
        .split(',')
        .filter_map(|p| p.strip_prefix("v1="))
        .any(|v| v == expected)
}

async fn app() -> (
    TestApp,
    std::sync::Arc<ManualClock>,
    creneau_tests::Staff,
    String,
) {
    let clock = ManualClock::new(test_now());
    let t = TestApp::with_clock(clock.clone()).await;
    let admin = t.staff("admin", &[(Role::Admin, None)]).await;
    let site = site_with_slots(&t, 3).await;
    (t, clock, admin, site)
}

#[tokio::test]
async fn bookings_reach_a_subscriber_signed_in_order_each_with_its_id_and_no_personal_data() {
    let (t, _clock, admin, site) = app().await;
    let r = Receiver::start().await;
    let sub = subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["appointment.booked", "appointment.moved", "appointment.cancelled"]}),
    )
    .await;
    let secret = sub["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let booked = book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let id = booked["id"].as_str().expect("id").to_owned();
    let moved = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/reschedule"))
                .bearer(&admin.token)
                .json(json!({"start": t.at_nine(2)})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let cancelled = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/cancel"))
                .bearer(&admin.token)
                .json(json!({"reason": "the resident called"})),
        )
        .await;
    assert_eq!(
        cancelled.status,
        StatusCode::NO_CONTENT,
        "{}",
        cancelled.body
    );

    assert_eq!(deliver(&t).await, 3);
    let got = r.received();
    let kinds: Vec<Value> = got.iter().map(|d| d.json()["kind"].clone()).collect();
    assert_eq!(
        kinds,
        vec![
            json!("appointment.booked"),
            json!("appointment.moved"),
            json!("appointment.cancelled")
        ]
    );
    let mut positions = Vec::new();
    for d in &got {
        let body = d.json();
        assert_eq!(body["data"]["appointment_id"], id.as_str());
        assert_eq!(
            d.header("creneau-event-id"),
            body["id"].as_str().expect("id")
        );
        assert!(
            signed_with(&secret, &d.header("creneau-signature"), &d.body),
            "{}",
            d.header("creneau-signature")
        );
        assert!(!signed_with(
            "whsec_another",
            &d.header("creneau-signature"),
            &d.body
        ));
        assert!(body.get("resident").is_none(), "{body}");
        assert!(!d.body.contains("612345678"), "{}", d.body);
        positions.push(body["position"].as_u64().expect("position"));
    }
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(got[2].json()["data"]["cause"], "asked");

    // Delivered once: nothing more to send.
    assert_eq!(deliver(&t).await, 0);
    assert_eq!(r.received().len(), 3);
    let webhook = sub["webhook_id"].as_str().expect("webhook id");
    let log = t
        .send(Call::get(&format!("/api/v1/webhooks/{webhook}/deliveries")).bearer(&admin.token))
        .await
        .json();
    assert_eq!(log.as_array().map(Vec::len), Some(3), "{log}");
    assert!(
        log.as_array()
            .expect("log")
            .iter()
            .all(|d| d["delivered"] == true && d["status"] == 200)
    );
    assert_eq!(shown(&t, &admin.token, webhook).await["delivered"], 3);
}

#[tokio::test]
async fn a_failing_receiver_is_tried_again_later_with_the_same_id_then_paused_after_a_day() {
    let (t, clock, admin, site) = app().await;
    let r = Receiver::start().await;
    r.answer(Answer::Status(500));
    let sub = subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["appointment.booked"]}),
    )
    .await;
    let webhook = sub["webhook_id"].as_str().expect("id").to_owned();
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;

    assert_eq!(deliver(&t).await, 0);
    assert_eq!(r.received().len(), 1);
    let s = shown(&t, &admin.token, &webhook).await;
    assert_eq!(s["state"], "retrying");
    assert_eq!(s["last_error"], "HTTP 500");
    // Not before its time (10 s after the first failure).
    deliver(&t).await;
    assert_eq!(r.received().len(), 1);

    // A receiver that does not answer in time is a failure too.
    t.state.webhooks.set_timeout(Duration::from_millis(300));
    r.answer(Answer::Late(Duration::from_secs(3)));
    clock.advance(chrono::Duration::seconds(11));
    assert_eq!(deliver(&t).await, 0);
    assert_eq!(r.received().len(), 2);
    let s = shown(&t, &admin.token, &webhook).await;
    assert!(
        s["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("no answer")),
        "{s}"
    );

    r.answer(Answer::Status(200));
    clock.advance(chrono::Duration::seconds(31));
    assert_eq!(deliver(&t).await, 1);
    let got = r.received();
    assert_eq!(got.len(), 3);
    let ids: Vec<String> = got.iter().map(|d| d.header("creneau-event-id")).collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "the same event each time: {ids:?}"
    );
    let attempts: Vec<String> = got
        .iter()
        .map(|d| d.header("creneau-delivery-attempt"))
        .collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    assert_eq!(shown(&t, &admin.token, &webhook).await["state"], "active");

    // A day of failures pauses it, and its owner reads why.
    r.answer(Answer::Status(503));
    book(&t, &site, &t.at_nine(1), "06 12 34 56 79").await;
    for _ in 0..40 {
        deliver(&t).await;
        clock.advance(chrono::Duration::hours(1));
        if shown(&t, &admin.token, &webhook).await["state"] == "paused" {
            break;
        }
    }
    let s = shown(&t, &admin.token, &webhook).await;
    assert_eq!(s["state"], "paused", "{s}");
    assert!(
        s["paused_because"]
            .as_str()
            .is_some_and(|w| w.contains("HTTP 503")),
        "{s}"
    );
    let tries = r.received().len();
    clock.advance(chrono::Duration::hours(2));
    deliver(&t).await;
    assert_eq!(r.received().len(), tries, "nothing is sent while paused");

    // Resumed, it delivers what waited, at once.
    r.answer(Answer::Status(200));
    let resumed = t
        .send(Call::post(&format!("/api/v1/webhooks/{webhook}/resume")).bearer(&admin.token))
        .await;
    assert_eq!(resumed.status, StatusCode::NO_CONTENT, "{}", resumed.body);
    assert_eq!(deliver(&t).await, 1);
    assert_eq!(shown(&t, &admin.token, &webhook).await["state"], "active");
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_then_only_the_new_one() {
    let (t, clock, admin, site) = app().await;
    let r = Receiver::start().await;
    let sub = subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["appointment.booked"]}),
    )
    .await;
    let (webhook, old) = (
        sub["webhook_id"].as_str().expect("id").to_owned(),
        sub["secret"].as_str().expect("secret").to_owned(),
    );
    let rotated = t
        .send(Call::post(&format!("/api/v1/webhooks/{webhook}/rotate")).bearer(&admin.token))
        .await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{}", rotated.body);
    let new = rotated.json()["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(old, new);
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    deliver(&t).await;
    let d = &r.received()[0];
    let header = d.header("creneau-signature");
    assert_eq!(header.matches("v1=").count(), 2, "{header}");
    assert!(signed_with(&old, &header, &d.body) && signed_with(&new, &header, &d.body));

    clock.advance(chrono::Duration::hours(25));
    book(&t, &site, &t.at_nine(2), "06 12 34 56 79").await;
    deliver(&t).await;
    let d = &r.received()[1];
    let header = d.header("creneau-signature");
    assert!(signed_with(&new, &header, &d.body));
    assert!(
        !signed_with(&old, &header, &d.body),
        "the old secret no longer signs"
    );
}

#[tokio::test]
async fn residents_details_go_only_where_an_administrator_chose_them_and_not_once_erased() {
    let (t, clock, admin, site) = app().await;
    let coordinator = t.staff_at("coordination", Role::Coordinator, &site).await;
    let r = Receiver::start().await;
    // A coordinator may not choose it; an administrator must say why.
    let refused = t
        .send(Call::post("/api/v1/webhooks").bearer(&coordinator.token).json(
            json!({"url": r.url(), "kinds": ["appointment.booked"], "site_ids": [site], "personal": true, "personal_reason": "the CRM calls residents back"}),
        ))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let unexplained = t
        .send(
            Call::post("/api/v1/webhooks")
                .bearer(&admin.token)
                .json(json!({"url": r.url(), "kinds": ["appointment.booked"], "personal": true})),
        )
        .await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unexplained.json()["field"], "personal_reason");
    let sub = subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["appointment.booked"], "personal": true,
               "personal_reason": "the city's CRM calls residents back"}),
    )
    .await;
    // The choice is in the administrator's history.
    let audit = t
        .send(Call::get(&format!("/api/v1/audit?staff={}", admin.id)).bearer(&admin.token))
        .await;
    assert!(audit.body.contains("WebhookSubscribed"), "{}", audit.body);

    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    deliver(&t).await;
    let first = r.received()[0].json();
    assert_eq!(first["resident"]["phone"], "+33612345678", "{first}");

    // A delivery still pending when its resident is erased carries
    // nothing of them.
    r.answer(Answer::Status(500));
    book(&t, &site, &t.at_nine(2), "06 98 76 54 32").await;
    deliver(&t).await;
    let found = t
        .send(Call::get("/api/v1/residents/search?q=0698765432").bearer(&admin.token))
        .await
        .json();
    let resident = found[0]["resident_id"]
        .as_str()
        .expect("resident")
        .to_owned();
    let erased = t
        .send(Call::delete(&format!("/api/v1/residents/{resident}")).bearer(&admin.token))
        .await;
    assert_eq!(erased.status, StatusCode::OK, "{}", erased.body);
    r.answer(Answer::Status(200));
    clock.advance(chrono::Duration::seconds(11));
    deliver(&t).await;
    let last = r.received().last().expect("delivered").clone();
    assert!(last.json()["resident"].is_null(), "{}", last.body);
    assert!(!last.body.contains("698765432"), "{}", last.body);
    let _ = sub;
}

#[tokio::test]
async fn a_receiver_that_holds_its_answer_does_not_hold_bookings() {
    let (t, _clock, admin, site) = app().await;
    let r = Receiver::start().await;
    r.answer(Answer::Held);
    subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["appointment.booked"]}),
    )
    .await;
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    let webhooks = t.state.webhooks.clone();
    let round = {
        let acting = acting(&t);
        tokio::spawn(async move { webhooks.deliver_round(&acting).await })
    };
    while r.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The delivery waits on the receiver; bookings do not.
    for i in 0..6u64 {
        let day = 1 + i / 3;
        let phone = format!("06 12 34 56 {:02}", 80 + i);
        let b = t
            .send(
                Call::post("/api/v1/appointments").json(creneau_tests::booking(
                    &site,
                    &t.at_nine(day + 1),
                    &phone,
                )),
            )
            .await;
        assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    }
    assert!(!round.is_finished(), "the delivery is still held");
    r.release();
    let delivered = round.await.expect("joined").expect("round");
    assert!(delivered >= 1);
}

#[tokio::test]
async fn each_owner_sees_and_changes_their_own_subscriptions_only_for_their_sites() {
    let (t, _clock, admin, site) = app().await;
    let other_site = t.site(&admin.token, "Coteaux", "3 rue des Coteaux").await;
    let mine = t.staff_at("coordination", Role::Coordinator, &site).await;
    let theirs = t.staff_at("ailleurs", Role::Coordinator, &other_site).await;
    let r = Receiver::start().await;
    let elsewhere = t
        .send(
            Call::post("/api/v1/webhooks").bearer(&mine.token).json(
                json!({"url": r.url(), "kinds": ["visit.recorded"], "site_ids": [other_site]}),
            ),
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        elsewhere.body
    );
    assert_eq!(elsewhere.json()["field"], "site_ids");
    for (body, field) in [
        (
            json!({"url": "http://crm.ville.fr/hook", "kinds": ["visit.recorded"], "site_ids": [site]}),
            "url",
        ),
        (
            json!({"url": r.url(), "kinds": ["everything"], "site_ids": [site]}),
            "kinds",
        ),
        (
            json!({"url": r.url(), "kinds": [], "site_ids": [site]}),
            "kinds",
        ),
    ] {
        let refused = t
            .send(
                Call::post("/api/v1/webhooks")
                    .bearer(&mine.token)
                    .json(body),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.json()["field"], field);
    }
    let sub = subscribe(
        &t,
        &mine.token,
        json!({"url": r.url(), "kinds": ["appointment.booked"], "site_ids": [site]}),
    )
    .await;
    let webhook = sub["webhook_id"].as_str().expect("id");
    // Another coordinator learns nothing of it.
    for call in [
        Call::get(&format!("/api/v1/webhooks/{webhook}")),
        Call::get(&format!("/api/v1/webhooks/{webhook}/deliveries")),
        Call::delete(&format!("/api/v1/webhooks/{webhook}")),
    ] {
        assert_eq!(
            t.send(call.bearer(&theirs.token)).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let listed = t
        .send(Call::get("/api/v1/webhooks").bearer(&theirs.token))
        .await
        .json();
    assert_eq!(listed, json!([]));
    assert_eq!(
        t.send(Call::get("/api/v1/webhooks").bearer(&admin.token))
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Only its own site's events.
    book(
        &t,
        &other_site_slots(&t, &admin.token, &other_site).await,
        &t.at_nine(1),
        "06 12 34 56 70",
    )
    .await;
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    deliver(&t).await;
    let got = r.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["data"]["site_id"], site.as_str());
    let removed = t
        .send(Call::delete(&format!("/api/v1/webhooks/{webhook}")).bearer(&mine.token))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    book(&t, &site, &t.at_nine(2), "06 12 34 56 77").await;
    deliver(&t).await;
    assert_eq!(r.received().len(), 1, "nothing after the end");
}

/// Gives `site` the appointment permanence of `site_with_slots`: the site.
async fn other_site_slots(t: &TestApp, token: &str, site: &str) -> String {
    let made = t
        .rule(
            token,
            site,
            json!({"cron": "0 9 * * *", "duration_minutes": 90, "valid_from": t.today().to_string(),
                   "offer": {"appointments": true, "appointment_minutes": 30, "desks": 3}}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    site.to_owned()
}

/// A paused webhook is said on its owner's staff home page; its page shows
/// why and its last deliveries, and resumes it.
#[tokio::test]
async fn a_paused_webhook_is_said_on_its_owners_home_page_and_resumed_there() {
    let (t, _clock, admin, site) = app().await;
    let r = Receiver::start().await;
    let sub = subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["appointment.booked"]}),
    )
    .await;
    let webhook = sub["webhook_id"].as_str().expect("id").to_owned();
    book(&t, &site, &t.at_nine(1), "06 12 34 56 78").await;
    deliver(&t).await;
    let paused = t
        .send(Call::post(&format!("/api/v1/webhooks/{webhook}/pause")).bearer(&admin.token))
        .await;
    assert_eq!(paused.status, StatusCode::NO_CONTENT, "{}", paused.body);
    let (cookie, csrf) = t.sign_in(&admin).await;
    let home = t
        .send(Call::get("/agents").cookie(&cookie).language("fr"))
        .await;
    assert!(
        home.body
            .contains("est en pause (mis en pause par son propriétaire)"),
        "{}",
        home.body
    );
    assert!(home.body.contains(&r.url()), "{}", home.body);
    let page = t
        .send(Call::get("/agents/webhooks").cookie(&cookie).language("fr"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Reprendre les envois") && page.body.contains("appointment.booked"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("reçu (200)"),
        "the delivery log: {}",
        page.body
    );
    // Another coordinator sees none of it.
    let other = t.staff_at("ailleurs", Role::Coordinator, &site).await;
    let (their_cookie, _) = t.sign_in(&other).await;
    let theirs = t
        .send(Call::get("/agents/webhooks").cookie(&their_cookie))
        .await;
    assert!(!theirs.body.contains(&r.url()), "{}", theirs.body);

    let resumed = t
        .send(
            Call::post(&format!("/agents/webhooks/{webhook}/reprendre"))
                .cookie(&cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .raw(format!("csrf={csrf}")),
        )
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER, "{}", resumed.body);
    assert_eq!(shown(&t, &admin.token, &webhook).await["state"], "active");
    let home = t
        .send(Call::get("/agents").cookie(&cookie).language("fr"))
        .await;
    assert!(!home.body.contains("est en pause"), "{}", home.body);
}

/// A drop-in visitor served and the requests of their visit reach a
/// subscriber of `dropin.served` and `visit.recorded`, with the ticket's
/// number and the requests, and no first name.
#[tokio::test]
async fn a_drop_in_visit_served_and_recorded_is_delivered_without_the_visitors_name() {
    let (t, _clock, admin, _) = app().await;
    let site = t.site(&admin.token, "Port", "2 quai").await;
    let rule = t
        .rule(
            &admin.token,
            &site,
            json!({"cron": "0 14 * * *", "duration_minutes": 180, "valid_from": t.today().to_string(),
                   "offer": {"drop_in": true}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let r = Receiver::start().await;
    subscribe(
        &t,
        &admin.token,
        json!({"url": r.url(), "kinds": ["dropin.served", "visit.recorded"]}),
    )
    .await;
    let day = t.open_day(1);
    let permanence = t
        .state
        .calendar
        .permanences(None, day, day)
        .await
        .expect("list")
        .into_iter()
        .find(|p| p.site_id.to_string() == site && p.drop_in)
        .expect("the drop-in permanence")
        .permanence_id;
    let opening = contracts::time::to_utc(day.and_hms_opt(14, 5, 0).expect("time")).expect("time");
    let acting = api::Acting::system("test", t.now()).at(opening);
    let q = &t.state.appointments;
    let ticket = q
        .drop_in_arrive(
            &acting,
            &permanence,
            Some("Awa"),
            &[contracts::Reason::Smartphone],
        )
        .await
        .expect("arrived");
    q.drop_in_step(&acting, ticket.id, appointments::TicketState::Called)
        .await
        .expect("called");
    q.drop_in_step(&acting, ticket.id, appointments::TicketState::Served)
        .await
        .expect("served");
    let recorded = t
        .send(
            Call::new(axum::http::Method::PUT, &format!("/api/v1/visits/{}/requests", ticket.id))
                .bearer(&admin.token)
                .json(json!({"requests": [{"reason": "smartphone", "accompanied": true, "outcome": "done"}]})),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::OK, "{}", recorded.body);
    assert_eq!(deliver(&t).await, 2);
    let got: Vec<Value> = r.received().iter().map(|d| d.json()).collect();
    assert_eq!(got[0]["kind"], "dropin.served");
    assert_eq!(got[0]["data"]["number"], 1);
    assert_eq!(got[0]["data"]["site_id"], site.as_str());
    assert_eq!(got[1]["kind"], "visit.recorded");
    assert_eq!(got[1]["data"]["requests"][0]["reason"], "smartphone");
    assert_eq!(got[1]["data"]["requests"][0]["accompanied"], true);
    assert!(r.received().iter().all(|d| !d.body.contains("Awa")));
}
