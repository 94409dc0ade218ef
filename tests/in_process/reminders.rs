//! Reminders end to end: bookings made over the HTTP API, the reminders
//! service on a clock the test moves, and SMS sent over real HTTP to a
//! local stand-in that checks each request as the provider documents it.

use creneau_tests::sms_stand_in;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Days, NaiveDateTime, Utc};
use contracts::Role;
use creneau_tests::{Call, TestApp, book, site_with_slots};
use reminders::sms::{Brevo, SmsProvider, Webhook};
use reminders::{ManualClock, Reminders, Round};
use serde_json::{Value, json};
use sms_stand_in::{Next, StandIn};

const SECRET: &str = "stand-in-secret";

fn paris(day: chrono::NaiveDate, hm: &str) -> DateTime<Utc> {
    let naive =
        NaiveDateTime::parse_from_str(&format!("{day} {hm}"), "%Y-%m-%d %H:%M").expect("time");
    contracts::time::to_utc(naive).expect("exists")
}

/// The tests' day ([`creneau_tests::test_now`]): the appointments are
/// booked on the app's clock, which starts there.
fn today() -> chrono::NaiveDate {
    contracts::time::local_date(creneau_tests::test_now())
}

/// The day of a test's appointment: the fifth open day after the tests'
/// day (never a public holiday, when the site is closed).
fn appointment_day() -> chrono::NaiveDate {
    creneau_tests::open_day_after(today(), 5)
}

/// The open day after the appointment's, where moves go.
fn day_after_appointment() -> chrono::NaiveDate {
    creneau_tests::open_day_after(appointment_day(), 1)
}

fn settings(hours_before: u32) -> reminders::Settings {
    reminders::Settings {
        public_url: creneau_tests::ORIGIN.to_owned(),
        hours_before,
        sender: "MairieLyon8".into(),
        // The test's clock runs ahead of the bookings' real time.
        notices_within: chrono::Duration::days(30),
        ..reminders::Settings::default()
    }
}

fn webhook(stand_in: &StandIn, timeout: Duration) -> Arc<dyn SmsProvider> {
    let client = reminders::sms::http_client(timeout).expect("client");
    Arc::new(Webhook::new(
        client,
        &format!("{}/sms", stand_in.url()),
        SECRET,
    ))
}

/// A site, an appointment at 09:00 in five days booked by a resident over
/// HTTP, and the reminders service on a clock set to tomorrow 10:00 (the
/// one the router uses from then on).
async fn booked(
    t: &mut TestApp,
    sms: Arc<dyn SmsProvider>,
    hours_before: u32,
) -> (String, Value, Reminders, Arc<ManualClock>) {
    let site = site_with_slots(t, 1).await;
    let start = paris(appointment_day(), "09:00");
    let made = book(
        t,
        &site,
        &contracts::time::to_local(start).fixed_offset().to_rfc3339(),
        "06 12 34 56 78",
    )
    .await;
    let clock = ManualClock::new(paris(today() + Days::new(1), "10:00"));
    let reminders = t.with_sms(sms, clock.clone(), settings(hours_before)).await;
    t.state.reminders = reminders.clone();
    (site, made, reminders, clock)
}

/// The manage token of a booking the API answered.
fn token_of(made: &Value) -> String {
    made["manage_url"]
        .as_str()
        .expect("url")
        .rsplit('/')
        .next()
        .expect("token")
        .to_owned()
}

/// Moves the appointment with its manage link, expecting success.
async fn reschedule(t: &TestApp, made: &Value, start: DateTime<Utc>) {
    let id = made["id"].as_str().expect("id");
    let moved = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/reschedule"))
                .bearer(&token_of(made))
                .json(
                    json!({"start": contracts::time::to_local(start).fixed_offset().to_rfc3339()}),
                ),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
}

/// Cancels the appointment with its manage link, expecting success.
async fn cancel(t: &TestApp, made: &Value) {
    let id = made["id"].as_str().expect("id");
    let cancelled = t
        .send(
            Call::post(&format!("/api/v1/appointments/{id}/cancel"))
                .bearer(&token_of(made))
                .json(json!({})),
        )
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
}

#[tokio::test]
async fn a_permanence_cancelled_with_appointments_in_it_cancels_them_and_tells_each_resident() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let (site, made, reminders, _clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 24).await;
    reminders.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 1, "the confirmation");
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let id: contracts::AppointmentId = made["id"].as_str().expect("id").parse().expect("id");
    let permanence = t
        .state
        .appointments
        .get(id)
        .await
        .expect("booking")
        .permanence_id;
    let cancelled = t
        .send(
            Call::post(&format!(
                "/api/v1/sites/{site}/permanences/{permanence}/cancel"
            ))
            .bearer(&boss.token)
            .json(json!({"reason": "Médiatrice absente"})),
        )
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
    // The minute sweep of `serve` cancels it (cause: the permanence), and
    // the reminders service tells the resident, once.
    let appointments = t.state.appointments.clone();
    assert_eq!(
        appointments
            .cancel_for_closed(t.now())
            .await
            .expect("sweep"),
        1
    );
    reminders.round().await.expect("round");
    reminders.round().await.expect("round");
    let sent = stand_in.received();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[1].text.contains("annulé"), "{}", sent[1].text);
    assert_eq!(sent[1].to, sent[0].to);
}

#[tokio::test]
async fn a_workshop_series_is_confirmed_once_reminded_before_each_session_and_cancelled_in_one_sms()
{
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let first = appointment_day();
    let (site, _) = creneau_tests::site_with_rule(
        &t,
        json!({
            "label": "Premiers pas sur smartphone", "cron": "0 14 * * *", "duration_minutes": 120,
            "valid_from": first.to_string(), "valid_until": (first + Days::new(3)).to_string(),
            "offer": {"desks": 8, "workshop": {"theme": "smartphone", "series": true}},
        }),
    )
    .await;
    let entry = t
        .send(Call::get(&format!("/api/v1/workshops?site={site}&days=30")))
        .await
        .json()[0]
        .clone();
    let sessions = entry["series_sessions"].as_array().map_or(0, Vec::len);
    assert!(sessions >= 2, "{entry}");
    let made = t
        .send(Call::post("/api/v1/appointments").json(json!({
            "site": site, "start": entry["starts_at"], "reason": "workshop",
            "resident": {"name": "Awa Traoré", "phone": "06 12 34 56 78"}})))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let clock = ManualClock::new(paris(today() + Days::new(1), "10:00"));
    let reminders = t
        .with_sms(
            webhook(&stand_in, Duration::from_secs(5)),
            clock.clone(),
            settings(24),
        )
        .await;
    t.state.reminders = reminders.clone();
    let round = reminders.round().await.expect("round");
    assert_eq!(
        round.scheduled,
        1 + sessions,
        "one confirmation, a reminder per session"
    );
    assert_eq!(stand_in.received().len(), 1, "confirmed once");
    cancel(&t, &made.json()).await;
    reminders.round().await.expect("round");
    let sent = stand_in.received();
    assert_eq!(sent.len(), 2, "one cancellation for the series: {sent:?}");
    assert!(sent[1].text.contains("annulé"), "{}", sent[1].text);
}

#[tokio::test]
async fn a_booking_is_confirmed_in_one_segment_and_reminded_before_never_at_night() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    // 50 hours before 09:00 is 07:00, at night: the reminder goes at 19:59
    // the evening before.
    let (_, made, reminders, clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 50).await;

    let round = reminders.round().await.expect("round");
    assert_eq!((round.scheduled, round.sent), (2, 1), "{round:?}");
    let sent = stand_in.received();
    assert_eq!(sent.len(), 1);
    let confirmation = &sent[0];
    assert_eq!(confirmation.to, "+33612345678");
    assert_eq!(confirmation.sender, "MairieLyon8");
    let cost = reminders::gsm::cost(&confirmation.text);
    assert_eq!(
        (cost.encoding, cost.segments),
        (reminders::gsm::Encoding::Gsm7, 1),
        "{}",
        confirmation.text
    );
    assert!(
        confirmation.text.starts_with("RDV "),
        "French by default: {}",
        confirmation.text
    );
    assert!(
        confirmation.text.contains("Tilleuls"),
        "{}",
        confirmation.text
    );
    assert!(
        confirmation.text.contains("à 9h00"),
        "Paris time: {}",
        confirmation.text
    );
    // The link in the SMS opens the appointment.
    let link = confirmation
        .text
        .split_whitespace()
        .last()
        .expect("link")
        .trim_start_matches(creneau_tests::ORIGIN)
        .to_owned();
    let opened = t.send(Call::get(&link)).await;
    assert_eq!(opened.status, StatusCode::OK, "{link}");
    assert!(
        opened
            .body
            .contains(made["reference"].as_str().expect("reference")),
        "{}",
        opened.body
    );

    // 50 hours before the appointment's 09:00 is 07:00 two days before:
    // night, so 19:59 the evening before that. Nothing goes before.
    let evening = paris(appointment_day() - Days::new(3), "19:58");
    clock.set(evening);
    assert_eq!(reminders.round().await.expect("round").sent, 0);
    clock.set(evening + chrono::Duration::minutes(1));
    assert_eq!(reminders.round().await.expect("round").sent, 1);
    let sent = stand_in.received();
    assert_eq!(sent.len(), 2);
    assert!(sent[1].text.starts_with("Rappel : "), "{}", sent[1].text);
    assert_eq!(reminders::gsm::cost(&sent[1].text).segments, 1);

    // Rounds after that send nothing again.
    clock.set(paris(appointment_day(), "08:00"));
    assert_eq!(reminders.round().await.expect("round"), Round::default());
    assert_eq!(stand_in.received().len(), 2);
    assert!(stand_in.wrong().is_empty(), "{:?}", stand_in.wrong());

    // Reception sees what was sent.
    let boss = t.staff("accueil", &[(Role::Reception, None)]).await;
    let id = made["id"].as_str().expect("id");
    let listed = t
        .send(Call::get(&format!("/api/v1/appointments/{id}/reminders")).bearer(&boss.token))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let states: Vec<(String, String)> = listed
        .json()
        .as_array()
        .expect("list")
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or_default().to_owned(),
                r["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("confirmation".into(), "sent".into()),
            ("reminder".into(), "sent".into())
        ]
    );
}

/// The probe: a resident look-up that failed once (a store read error)
/// moved the checkpoint past the booking, and its confirmation and
/// reminders were never scheduled; the same failure while sending
/// withdrew the message as if the resident had been erased.
#[tokio::test]
async fn a_reminder_whose_resident_cannot_be_read_waits_for_the_fault_to_clear() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let (_, _made, reminders, clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 50).await;

    // The resident's record cannot be read three times in a row: three
    // rounds fail, and nothing is scheduled, sent or skipped meanwhile.
    t.faults.fail_stream_reads("resident", 3);
    for _ in 0..3 {
        assert!(reminders.round().await.is_err(), "the fault is reported");
    }
    assert_eq!(t.faults.pending(), 0);
    assert!(stand_in.received().is_empty());
    // Once it clears, the booking is handled: the confirmation goes and
    // the reminder is scheduled, once.
    let round = reminders.round().await.expect("round");
    assert_eq!((round.scheduled, round.sent), (2, 1), "{round:?}");
    assert_eq!(reminders.round().await.expect("round"), Round::default());

    // When the reminder is due, the record fails twice more: the reminder
    // stays due (not withdrawn) and goes once the fault clears.
    clock.set(paris(appointment_day() - Days::new(3), "19:59"));
    t.faults.fail_stream_reads("resident", 2);
    for _ in 0..2 {
        let round = reminders.round().await.expect("round");
        assert_eq!((round.sent, round.withdrawn), (0, 0), "{round:?}");
    }
    let round = reminders.round().await.expect("round");
    assert_eq!((round.sent, round.withdrawn), (1, 0), "{round:?}");
    let sent = stand_in.received();
    assert_eq!(sent.len(), 2, "one confirmation and one reminder");
    assert!(sent[1].text.starts_with("Rappel : "), "{}", sent[1].text);
    assert_eq!(reminders.round().await.expect("round"), Round::default());
}

/// A provider that holds every message until the test lets it go.
struct Gate {
    inner: Arc<dyn SmsProvider>,
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl SmsProvider for Gate {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    async fn send(&self, sms: &reminders::sms::Sms) -> Result<String, reminders::sms::SendError> {
        self.entered.notify_one();
        self.release.notified().await;
        self.inner.send(sms).await
    }
    async fn lookup(
        &self,
        sms: &reminders::sms::Sms,
    ) -> Result<reminders::sms::Lookup, reminders::sms::SendError> {
        self.inner.lookup(sms).await
    }
    fn report(
        &self,
        body: &[u8],
        secret: Option<&str>,
        signature: Option<&str>,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<reminders::sms::Report>, reminders::sms::ReportError> {
        self.inner.report(body, secret, signature, received_at)
    }
}

/// The probe: the round lock was held across provider calls, so reception's
/// view of an appointment's messages waited for a whole dispatch.
#[tokio::test]
async fn reception_reads_the_messages_while_a_provider_is_slow() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let gate = Arc::new(Gate {
        inner: webhook(&stand_in, Duration::from_secs(5)),
        entered: tokio::sync::Notify::new(),
        release: tokio::sync::Notify::new(),
    });
    let (_, made, reminders, _) = booked(&mut t, gate.clone(), 50).await;
    let running = tokio::spawn({
        let reminders = reminders.clone();
        async move { reminders.round().await }
    });
    // The round is inside the provider's call with the confirmation.
    gate.entered.notified().await;
    let id: contracts::AppointmentId = made["id"].as_str().expect("id").parse().expect("uuid");
    // A generous bound, not a speed: before, this waited for the release.
    let views = tokio::time::timeout(Duration::from_secs(30), reminders.of_appointment(id))
        .await
        .expect("answered while the provider holds the message")
        .expect("views");
    assert_eq!(views.len(), 2, "the confirmation and the reminder");
    gate.release.notify_one();
    let round = running.await.expect("task").expect("round");
    assert_eq!(round.sent, 1, "{round:?}");
    assert_eq!(stand_in.received().len(), 1);
}

/// Two dispatchers on one log: the one holding the lease sends; the other
/// sends nothing until the first has stopped and its lease lapsed.
#[tokio::test]
async fn of_two_dispatchers_only_the_lease_holder_sends() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let (_, _, first, clock) = booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 50).await;
    let second = t
        .with_sms(
            webhook(&stand_in, Duration::from_secs(5)),
            clock.clone(),
            settings(50),
        )
        .await;
    assert_eq!(
        first.round().await.expect("round").sent,
        1,
        "the confirmation"
    );
    // The reminder comes due; the second process is the one that wakes.
    clock.set(paris(appointment_day() - Days::new(3), "19:59"));
    let _ = first.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 2, "sent by the holder");
    assert_eq!(second.round().await.expect("round").sent, 0);
    // The first stops; once its lease lapses the second works, and sends
    // nothing the first sent.
    clock.advance(chrono::Duration::seconds(9));
    assert_eq!(second.round().await.expect("round"), Round::default());
    assert_eq!(stand_in.received().len(), 2);
}

#[tokio::test]
async fn a_move_sends_the_new_time_and_a_cancellation_a_notice_and_old_reminders_are_withdrawn() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let (_, made, reminders, clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 48).await;
    reminders.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 1);

    reschedule(&t, &made, paris(day_after_appointment(), "09:30")).await;
    let round = reminders.round().await.expect("round");
    assert_eq!((round.withdrawn, round.sent), (1, 1), "{round:?}");
    let sent = stand_in.received();
    assert!(
        sent[1].text.starts_with("Votre RDV est déplacé au "),
        "{}",
        sent[1].text
    );
    assert!(sent[1].text.contains("9h30"), "{}", sent[1].text);

    cancel(&t, &made).await;
    let round = reminders.round().await.expect("round");
    assert_eq!((round.withdrawn, round.sent), (1, 1), "{round:?}");
    assert!(stand_in.received()[2].text.contains("est annulé"));

    // Past the old and the new reminders' times: nothing more goes.
    clock.set(paris(day_after_appointment(), "09:00"));
    reminders.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 3);
}

/// Reception sends the last SMS again for a resident who lost it, from
/// the API or the history page: the same words, once however many times it
/// is asked before it went; refused in words where there is nothing to
/// send; never by staff of another site.
#[tokio::test]
async fn reception_sends_the_last_sms_again_once() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let (site, made, reminders, _clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 48).await;
    let id = made["id"].as_str().expect("id").to_owned();
    let resend = format!("/api/v1/appointments/{id}/reminders/resend");
    let site: contracts::SiteId = site.parse().expect("site id");
    let reception = t
        .staff("accueil-renvoi", &[(Role::Reception, Some(site))])
        .await;
    // The confirmation has not gone yet: asking is answered with it, and
    // it goes once.
    let early = t.send(Call::post(&resend).bearer(&reception.token)).await;
    assert_eq!(early.status, StatusCode::CREATED, "{}", early.body);
    reminders.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 1);
    let first = t.send(Call::post(&resend).bearer(&reception.token)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // A double tap before it went is the same message.
    let again = t.send(Call::post(&resend).bearer(&reception.token)).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    assert_eq!(first.json()["reminder"], again.json()["reminder"]);
    let round = reminders.round().await.expect("round");
    assert_eq!(round.sent, 1, "{round:?}");
    let sent = stand_in.received();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].text, sent[1].text);
    assert_eq!(sent[0].to, sent[1].to);

    // From the history page: the button, then a page that says so.
    let resident = t
        .send(Call::get("/api/v1/residents/search?q=0612345678").bearer(&reception.token))
        .await
        .json()[0]["resident_id"]
        .as_str()
        .expect("a resident")
        .to_owned();
    let history = t
        .send(Call::get(&format!("/agents/personnes/{resident}")).bearer(&reception.token))
        .await;
    assert!(
        history
            .body
            .contains(&format!("/agents/rdv/{id}/renvoyer-sms")),
        "{}",
        history.body
    );
    let page = t
        .send(Call::post(&format!("/agents/rdv/{id}/renvoyer-sms")).bearer(&reception.token))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let to = page.headers["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let told = t.send(Call::get(&to).bearer(&reception.token)).await;
    assert!(told.body.contains("de nouveau"), "{}", told.body);
    reminders.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 3);

    // Reception of another site cannot.
    let elsewhere = site_with_slots(&t, 1).await;
    let other = t
        .staff_at("accueil-ailleurs", Role::Reception, &elsewhere)
        .await;
    let refused = t.send(Call::post(&resend).bearer(&other.token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // Once cancelled, the last SMS is the notice, and nothing is sent
    // again for a cancelled appointment.
    cancel(&t, &made).await;
    reminders.round().await.expect("round");
    let late = t.send(Call::post(&resend).bearer(&reception.token)).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);
    assert!(late.body.contains("cancelled"), "{}", late.body);
}

#[tokio::test]
async fn a_timeout_after_the_provider_took_the_message_is_looked_up_not_sent_again() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    stand_in.then(Next::AcceptThenHang(Duration::from_secs(3)));
    let (_, _, reminders, clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_millis(500)), 48).await;
    let round = reminders.round().await.expect("round");
    assert_eq!((round.sent, round.retried), (0, 1), "{round:?}");
    assert_eq!(stand_in.received().len(), 1, "the provider did take it");

    // The next try asks the provider first, and finds it.
    clock.advance(chrono::Duration::minutes(5));
    let round = reminders.round().await.expect("round");
    assert_eq!((round.found_by_lookup, round.sent), (1, 0), "{round:?}");
    assert_eq!(stand_in.received().len(), 1, "sent once");

    // A restart after that changes nothing.
    let again = t
        .with_sms(
            webhook(&stand_in, Duration::from_secs(5)),
            clock.clone(),
            settings(48),
        )
        .await;
    again.round().await.expect("round");
    assert_eq!(stand_in.received().len(), 1);
}

#[tokio::test]
async fn a_crash_between_the_providers_acceptance_and_the_record_sends_once_after_restart() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    stand_in.then(Next::AcceptThenHang(Duration::from_secs(2)));
    let (_, _, reminders, clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(10)), 48).await;
    // The process dies while the provider holds its answer.
    let running = tokio::spawn(async move { reminders.round().await });
    while stand_in.received().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    running.abort();
    let _ = running.await;
    // The new process takes over once the dead one's lease has run out.
    clock.advance(chrono::Duration::seconds(31));
    let restarted = t
        .with_sms(
            webhook(&stand_in, Duration::from_secs(10)),
            clock.clone(),
            settings(48),
        )
        .await;
    let round = restarted.round().await.expect("round");
    assert_eq!((round.found_by_lookup, round.sent), (1, 0), "{round:?}");
    assert_eq!(stand_in.received().len(), 1);
}

#[tokio::test]
async fn busy_providers_are_retried_with_backoff_and_refusals_are_shown_to_reception() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    stand_in.then(Next::Refuse(503, "down for maintenance".into(), None));
    stand_in.then(Next::Refuse(
        429,
        "{\"error\":\"slow down\"}".into(),
        Some(600),
    ));
    stand_in.then(Next::AcceptWithGarbage);
    let (site, _, reminders, clock) =
        booked(&mut t, webhook(&stand_in, Duration::from_secs(5)), 48).await;

    assert_eq!(reminders.round().await.expect("round").retried, 1);
    // Not before the backoff (30 s and up).
    assert_eq!(reminders.round().await.expect("round").retried, 0);
    clock.advance(chrono::Duration::seconds(40));
    assert_eq!(reminders.round().await.expect("round").retried, 1, "429");
    // The 429 asked for ten minutes.
    clock.advance(chrono::Duration::minutes(5));
    assert_eq!(reminders.round().await.expect("round"), Round::default());
    clock.advance(chrono::Duration::minutes(6));
    // Garbage with a 200: taken, but unknown: the next try looks it up.
    assert_eq!(reminders.round().await.expect("round").retried, 1);
    clock.advance(chrono::Duration::minutes(5));
    assert_eq!(reminders.round().await.expect("round").found_by_lookup, 1);
    assert_eq!(stand_in.received().len(), 1, "one message in the end");

    // A permanent refusal (a landline, say) is not retried and reception
    // sees it.
    let boss = t.staff("accueil", &[(Role::Reception, None)]).await;
    let site_b = site_with_slots(&t, 1).await;
    stand_in.then(Next::Refuse(
        400,
        "{\"code\":\"invalid_parameter\",\"message\":\"not a mobile\"}".into(),
        None,
    ));
    let start = paris(appointment_day(), "09:30");
    book(
        &t,
        &site_b,
        &contracts::time::to_local(start).fixed_offset().to_rfc3339(),
        "06 98 76 54 32",
    )
    .await;
    let round = reminders.round().await.expect("round");
    assert_eq!(round.failed, 1, "{round:?}");
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(reminders.round().await.expect("round").failed, 0);
    let failed = t
        .send(Call::get(&format!("/api/v1/sites/{site_b}/reminders/failed")).bearer(&boss.token))
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.body);
    assert_eq!(
        failed.json().as_array().map(Vec::len),
        Some(1),
        "{}",
        failed.body
    );
    assert!(failed.body.contains("not a mobile"), "{}", failed.body);
    let none = t
        .send(Call::get(&format!("/api/v1/sites/{site}/reminders/failed")).bearer(&boss.token))
        .await;
    assert_eq!(none.json().as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn delivery_reports_are_checked_and_never_go_back_in_time() {
    let mut app = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let (_, made, reminders, _) =
        booked(&mut app, webhook(&stand_in, Duration::from_secs(5)), 48).await;
    reminders.round().await.expect("round");
    let id = stand_in.received()[0].id.clone();
    let report = |status: &str, at: &str| {
        let body = json!({"id": id, "status": status, "at": at}).to_string();
        let signature = format!(
            "sha256={}",
            reminders::sms::hmac_hex(SECRET.as_bytes(), body.as_bytes())
        );
        (body, signature)
    };
    let post = |body: String, signature: String| {
        Call::post("/api/v1/reminders/reports/webhook")
            .header("x-signature", &signature)
            .header("content-type", "application/json")
            .raw(body)
    };
    let (body, sig) = report("delivered", "2026-12-01T10:00:05Z");
    assert_eq!(
        app.send(post(body, sig)).await.status,
        StatusCode::NO_CONTENT
    );
    // An older report (sent before, arriving after) does not undo it.
    let (body, sig) = report("accepted", "2026-12-01T10:00:01Z");
    assert_eq!(app.send(post(body, sig)).await.status, StatusCode::ACCEPTED);
    // Forged.
    let (body, _) = report("failed", "2026-12-01T10:00:09Z");
    let forged = app.send(post(body, "sha256=00".into())).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{}", forged.body);
    // Unknown message: taken and logged.
    let body =
        json!({"id": "nope", "status": "delivered", "at": "2026-12-01T10:00:05Z"}).to_string();
    let sig = format!(
        "sha256={}",
        reminders::sms::hmac_hex(SECRET.as_bytes(), body.as_bytes())
    );
    assert_eq!(app.send(post(body, sig)).await.status, StatusCode::ACCEPTED);

    let views = reminders
        .of_appointment(made["id"].as_str().expect("id").parse().expect("id"))
        .await
        .expect("views");
    assert_eq!(views[0].delivery.as_deref(), Some("delivered"));
}

#[tokio::test]
async fn brevo_is_spoken_to_as_documented_and_its_reports_need_the_secret() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let client = reminders::sms::http_client(Duration::from_millis(500)).expect("client");
    let brevo: Arc<dyn SmsProvider> =
        Arc::new(Brevo::new(client, &stand_in.url(), SECRET, "hook-secret"));
    stand_in.then(Next::AcceptThenHang(Duration::from_secs(2)));
    let (_, _, reminders, clock) = booked(&mut t, brevo, 48).await;
    assert_eq!(reminders.round().await.expect("round").retried, 1);
    clock.advance(chrono::Duration::minutes(5));
    assert_eq!(reminders.round().await.expect("round").found_by_lookup, 1);
    let sent = stand_in.received();
    assert_eq!(sent.len(), 1);
    assert!(stand_in.wrong().is_empty(), "{:?}", stand_in.wrong());
    let message_id = sent[0].id.clone();
    let body = json!({"id": 1, "to": "33612345678", "messageId": message_id.parse::<u64>().expect("number"),
                      "msg_status": "delivered", "date": "2026-12-01 10:00:05", "tag": sent[0].reference})
    .to_string();
    assert_eq!(
        reminders
            .report("brevo", body.as_bytes(), Some("hook-secret"), None)
            .await
            .expect("report"),
        1
    );
    assert!(
        reminders
            .report("brevo", body.as_bytes(), Some("guess"), None)
            .await
            .is_err()
    );
}

/// 1,000 confirmations due, a dispatcher process killed with SIGKILL at
/// random moments and started again until they are all out: each reached
/// the provider exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_killed_at_random_sends_every_message_exactly_once() {
    use std::process::{Command, Stdio};
    const MESSAGES: usize = 1000;
    let t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let boss = t.staff("coordination", &[(Role::Coordinator, None)]).await;
    let site = t.site(&boss.token, "Tilleuls", "12 rue des Tilleuls").await;
    // 08:00–20:00, 10-minute slots, 20 desks: 1,440 places a day.
    let rule = t
        .rule(
            &boss.token,
            &site,
            json!({"cron": "0 8 * * *", "duration_minutes": 720, "valid_from": today().to_string(),
                   "offer": {"appointments": true, "appointment_minutes": 10, "desks": 20}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    // Four open days ahead: the reminders 48 hours before are not due yet,
    // only the confirmations are.
    let day = creneau_tests::open_day_after(today(), 4);
    let acting = api::Acting::system("test", t.now());
    creneau_tests::book_many(
        &t.state.appointments,
        site.parse().expect("site"),
        day,
        MESSAGES,
        &acting,
    )
    .await;
    // The processes' clock starts in the daytime of the tests' day (no SMS
    // at night), whatever the machine's date.
    let clock_start = creneau_tests::daytime_from(t.now());
    let config = t.dir.join("creneau.toml");
    std::fs::write(
        &config,
        format!(
            "[sms]\nprovider = \"webhook\"\nurl = \"{}/sms\"\nsecret = \"{SECRET}\"\ntimeout_seconds = 5\n",
            stand_in.url()
        ),
    )
    .expect("config");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_creneau-under-test"))
            .env_remove("CRENEAU_STORE")
            .env_remove("CRENEAU_MASTER_KEY")
            .env("RUST_LOG", "error")
            .arg("--store")
            .arg(format!("sqlite://{}", t.dir.join("c.db").display()))
            .arg("--master-key-file")
            .arg(t.dir.join("master.key"))
            .arg("--config")
            .arg(&config)
            .arg("--clock-start")
            .arg(clock_start.to_rfc3339())
            .args(["debug", "reminders", "--lease-ms", "500"])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn")
    };
    let distinct = |received: &[sms_stand_in::Received]| {
        received
            .iter()
            .map(|r| r.reference.split('.').next().unwrap_or_default().to_owned())
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let mut kills = 0;
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let started = std::time::Instant::now();
    while distinct(&stand_in.received()) < MESSAGES {
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "only {} of {MESSAGES} sent after {kills} kills",
            distinct(&stand_in.received())
        );
        let mut child = run();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Killed after 0.2 to 1.2 s, in the middle of whatever it does; the
        // last runs go to the end.
        let life = if kills < 8 { 200 + seed % 1000 } else { 20_000 };
        let deadline = std::time::Instant::now() + Duration::from_millis(life);
        while std::time::Instant::now() < deadline && distinct(&stand_in.received()) < MESSAGES {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        kills += 1;
    }
    let received = stand_in.received();
    assert_eq!(distinct(&received), MESSAGES);
    assert_eq!(
        received.len(),
        MESSAGES,
        "{} messages sent twice after {kills} kills",
        received.len() - MESSAGES
    );
    assert!(kills >= 2, "the dispatcher was killed while sending");
    eprintln!("{MESSAGES} messages, each sent once, through {kills} processes killed with SIGKILL");
    assert!(stand_in.wrong().is_empty(), "{:?}", stand_in.wrong());
}

use creneau_tests::smtp;

/// An appointment at 09:00 in five days, booked online by a resident who
/// gave an email address, and the reminders service sending SMS to the
/// stand-in and email to the SMTP server on `smtp_port`, on a clock set to
/// tomorrow 10:00.
async fn booked_with_email(
    t: &mut TestApp,
    stand_in: &StandIn,
    reason: &str,
    smtp_port: u16,
) -> (Value, Reminders, Arc<ManualClock>) {
    let site = site_with_slots(t, 1).await;
    let start = paris(appointment_day(), "09:00");
    let made = t
        .send(Call::post("/api/v1/appointments").json(json!({
            "site": site, "reason": reason,
            "start": contracts::time::to_local(start).fixed_offset().to_rfc3339(),
            "resident": {"name": "Awa Traoré", "phone": "06 12 34 56 78", "email": "awa@example.fr"}})))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let mailer = reminders::email::Mailer::new(&reminders::email::MailSettings {
        host: "127.0.0.1".into(),
        port: smtp_port,
        security: reminders::email::Security::Plain,
        username: None,
        password: None,
        from: "Espace numérique <rdv@ville.example.fr>".into(),
        timeout: Duration::from_secs(2),
    })
    .expect("mailer");
    let clock = ManualClock::new(paris(today() + Days::new(1), "10:00"));
    let senders = reminders::Senders {
        sms: webhook(stand_in, Duration::from_secs(5)),
        mail: Some(Arc::new(mailer)),
    };
    let reminders = t.with_sms(senders, clock.clone(), settings(48)).await;
    t.state.reminders = reminders.clone();
    (made.json(), reminders, clock)
}

/// Email through a real SMTP server: a confirmation with its invitation,
/// the new time with the same UID and a higher SEQUENCE, the cancellation.
#[tokio::test]
async fn emails_carry_an_invitation_that_follows_the_appointment() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let server = smtp::Smtp::start().await;
    let start = paris(appointment_day(), "09:00");
    let (made, reminders, _) =
        booked_with_email(&mut t, &stand_in, "smartphone", server.port).await;
    let round = reminders.round().await.expect("round");
    assert_eq!(round.sent, 2, "an SMS and an email: {round:?}");

    let mails = server.received();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail["to"], "awa@example.fr");
    assert!(
        mail["subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("Rendez-vous confirmé")),
        "{mail}"
    );
    let part = |m: &Value, kind: &str| -> String {
        m["parts"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["type"] == kind)
            .and_then(|p| p["text"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let text = part(mail, "text/plain");
    assert!(
        text.contains("Apportez votre téléphone chargé."),
        "the reason's hint: {text}"
    );
    assert!(text.contains("/r/"), "the manage link: {text}");
    assert!(part(mail, "text/html").contains("<a href="), "{mail}");
    let ics = part(mail, "text/calendar");
    let uid = format!("UID:{}@creneau", made["id"].as_str().expect("id"));
    assert!(
        ics.contains("METHOD:REQUEST") && ics.contains(&uid),
        "{ics}"
    );
    assert!(ics.contains("SEQUENCE:0"), "{ics}");
    assert!(
        ics.contains(&format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ"))),
        "{ics}"
    );
    assert!(
        mail["parts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["filename"] == "invitation.ics"),
        "an attachment too: {mail}"
    );

    // Moved: the same UID, a higher SEQUENCE, the new time.
    let new_start = paris(day_after_appointment(), "09:30");
    reschedule(&t, &made, new_start).await;
    reminders.round().await.expect("round");
    cancel(&t, &made).await;
    reminders.round().await.expect("round");
    let mails = server.received();
    assert_eq!(mails.len(), 3, "{mails:?}");
    let moved_ics = mails
        .iter()
        .map(|m| part(m, "text/calendar"))
        .find(|i| i.contains("SEQUENCE:1"))
        .expect("moved");
    assert!(
        moved_ics.contains(&uid) && moved_ics.contains("METHOD:REQUEST"),
        "{moved_ics}"
    );
    assert!(
        moved_ics.contains(&format!("DTSTART:{}", new_start.format("%Y%m%dT%H%M%SZ"))),
        "{moved_ics}"
    );
    let cancel_ics = mails
        .iter()
        .map(|m| part(m, "text/calendar"))
        .find(|i| i.contains("SEQUENCE:2"))
        .expect("cancelled");
    assert!(
        cancel_ics.contains(&uid)
            && cancel_ics.contains("METHOD:CANCEL")
            && cancel_ics.contains("STATUS:CANCELLED"),
        "{cancel_ics}"
    );
    // Every message has its own Message-ID.
    let ids: std::collections::HashSet<&str> = mails
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 3);
}

/// A mail server that is down: the email waits and goes once it is back.
#[tokio::test]
async fn an_email_waits_for_a_mail_server_that_is_down() {
    let mut t = TestApp::new().await;
    let stand_in = StandIn::start(SECRET).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let (_, reminders, clock) = booked_with_email(&mut t, &stand_in, "procedure_caf", port).await;
    let round = reminders.round().await.expect("round");
    assert_eq!(
        (round.sent, round.retried),
        (1, 1),
        "the SMS went, the email waits: {round:?}"
    );
    let server = smtp::Smtp::start_on(port).await;
    clock.advance(chrono::Duration::minutes(2));
    let round = reminders.round().await.expect("round");
    assert_eq!(round.sent, 1, "{round:?}");
    assert_eq!(server.received().len(), 1);
}

/// Twilio and OVHcloud, each against the stand-in of its documented API
/// (Twilio's Basic auth and form, OVH's signed requests): a timeout after
/// acceptance is found again by the look-up each provider offers, and a
/// number the provider refuses for good is not retried.
#[tokio::test]
async fn twilio_and_ovh_are_spoken_to_as_documented_and_never_send_twice() {
    for provider in ["twilio", "ovh"] {
        let mut t = TestApp::new().await;
        let stand_in = StandIn::start(SECRET).await;
        let client = reminders::sms::http_client(Duration::from_millis(500)).expect("client");
        let sms: Arc<dyn SmsProvider> = match provider {
            "twilio" => Arc::new(reminders::sms::Twilio::new(
                client,
                &stand_in.url(),
                "AC0123456789abcdef0123456789abcdef",
                SECRET,
                "hook-secret",
                None,
            )),
            _ => Arc::new(reminders::sms::Ovh::new(
                client,
                &stand_in.url(),
                "sms-ab12345-1",
                "app-key",
                SECRET,
                "consumer-key",
                "hook-secret",
                None,
            )),
        };
        stand_in.then(Next::AcceptThenHang(Duration::from_secs(2)));
        let (_, _, reminders, clock) = booked(&mut t, sms, 48).await;
        assert_eq!(
            reminders.round().await.expect("round").retried,
            1,
            "{provider}"
        );
        clock.advance(chrono::Duration::minutes(5));
        let round = reminders.round().await.expect("round");
        assert_eq!(round.found_by_lookup, 1, "{provider}: {round:?}");
        assert_eq!(stand_in.received().len(), 1, "{provider}: sent once");
        assert!(
            stand_in.wrong().is_empty(),
            "{provider}: {:?}",
            stand_in.wrong()
        );
        assert_eq!(stand_in.received()[0].sender, "MairieLyon8");

        // A report with the secret in its address.
        let id = match provider {
            "twilio" => format!("SM{}", stand_in.received()[0].id),
            _ => stand_in.received()[0].id.clone(),
        };
        let body = match provider {
            "twilio" => format!("MessageSid={id}&MessageStatus=delivered&To=%2B33612345678"),
            _ => format!("id={id}&ptt=13&date=2026-12-01T10%3A00%3A05%2B01%3A00"),
        };
        assert_eq!(
            reminders
                .report(provider, body.as_bytes(), Some("hook-secret"), None)
                .await
                .expect("report"),
            1,
            "{provider}"
        );
        assert!(
            reminders
                .report(provider, body.as_bytes(), Some("guess"), None)
                .await
                .is_err()
        );
    }
}
