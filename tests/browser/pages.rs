//! The web pages in a real browser (headless Chromium over WebDriver), on a
//! real HTTP server, with SMS sent over real HTTP to the provider stand-in:
//! a resident books on a phone, reception moves the appointment from the
//! keyboard, a mediator checks the resident in and records two requests
//! while the drop-in queue updates live, and the coordinator's statistics
//! count them. axe-core checks every page in each language. The forms' bad
//! input is checked over plain HTTP.

use creneau_tests::browser;
use creneau_tests::sms_stand_in;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use browser::Browser;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use contracts::Role;
use creneau_tests::{Call, Staff, TestApp};
use eventlog::ManualClock;
use serde_json::json;
use sms_stand_in::StandIn;

const SECRET: &str = "stand-in-secret";
const PHONE: (u32, u32) = (360, 800);
const DESKTOP: (u32, u32) = (1280, 900);

fn paris(day: NaiveDate, hm: &str) -> DateTime<Utc> {
    let naive =
        NaiveDateTime::parse_from_str(&format!("{day} {hm}"), "%Y-%m-%d %H:%M").expect("time");
    contracts::time::to_utc(naive).expect("exists")
}

/// The day the tests' clock is on: the open day after the tests' day
/// ([`creneau_tests::test_now`]), so that whatever hour that is, 10:05 on
/// it is still ahead and SMS go out in the daytime.
fn the_day() -> NaiveDate {
    creneau_tests::open_day_after(contracts::time::local_date(creneau_tests::test_now()), 1)
}

/// A served app whose clock is at 10:05 on [`the_day`], SMS to a stand-in,
/// one site with a morning permanence (appointments and drop-in), and its
/// coordinator, receptionist and mediator.
struct World {
    t: TestApp,
    base: String,
    stand_in: StandIn,
    reminders: reminders::Reminders,
    site: String,
    boss: Staff,
    reception: Staff,
    mediator: Staff,
    admin: Staff,
}

async fn world() -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let clock = ManualClock::new(paris(the_day(), "10:05"));
    let mut t = TestApp::with_origin_and_clock(&base, clock.clone()).await;
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
            clock.clone(),
            reminders::Settings {
                public_url: base.clone(),
                notices_within: chrono::Duration::days(30),
                ..reminders::Settings::default()
            },
        )
        .await;
    t.state.reminders = reminders.clone();
    let boss = t.staff("camille", &[(Role::Coordinator, None)]).await;
    let site = t
        .site(
            &boss.token,
            "Espace numérique des Tilleuls",
            "12 rue des Tilleuls, 44000 Nantes",
        )
        .await;
    let rule = t
        .rule(
            &boss.token,
            &site,
            json!({
                "cron": "0 10 * * *", "duration_minutes": 180,
                "valid_from": t.today().to_string(),
                "offer": {"appointments": true, "appointment_minutes": 30, "desks": 1, "drop_in": true},
            }),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let workshop = t
        .rule(
            &boss.token,
            &site,
            json!({
                "label": "Premiers pas sur smartphone",
                "cron": "0 14 * * *", "duration_minutes": 120,
                "valid_from": t.today().to_string(),
                "offer": {"desks": 8, "workshop": {"theme": "smartphone", "level": "beginner"}},
            }),
        )
        .await;
    assert_eq!(workshop.status, StatusCode::CREATED, "{}", workshop.body);
    let site_id: contracts::SiteId = site.parse().expect("site id");
    let reception = t.staff("rita", &[(Role::Reception, Some(site_id))]).await;
    let mediator = t.staff("ines", &[(Role::Mediator, Some(site_id))]).await;
    let admin = t.staff("alex", &[(Role::Admin, None)]).await;
    t.state.stats.warm_up().await.expect("statistics");
    t.serve(listener);
    World {
        t,
        base,
        stand_in,
        reminders,
        site,
        boss,
        reception,
        mediator,
        admin,
    }
}

impl World {
    /// A drop-in arrival recorded at another desk, at the tests' clock.
    async fn arrives(&self, permanence: &str, name: &str, reason: contracts::Reason) {
        self.t
            .state
            .appointments
            .drop_in_arrive(
                &api::Acting::new(
                    eventlog::Actor::Staff(self.boss.id.0),
                    uuid::Uuid::new_v4(),
                    paris(the_day(), "10:05"),
                ),
                permanence,
                Some(name),
                &[reason],
            )
            .await
            .expect("arrival");
    }

    async fn browser(&self, (w, h): (u32, u32)) -> Browser {
        Browser::start(w, h).await
    }

    async fn signed_in(&self, who: &Staff, size: (u32, u32)) -> Browser {
        let b = self.browser(size).await;
        b.goto(&format!("{}/connexion", self.base)).await;
        b.type_in("#email", &who.email).await;
        b.type_in("#password", &who.password).await;
        b.click_on("form[action='/connexion'] button[type=submit]")
            .await;
        assert!(
            b.url().await.contains("/agents"),
            "signed in: {}",
            b.text().await
        );
        b
    }
}

/// The manage link of the booking this page is the confirmation of.
async fn current_path(b: &Browser, base: &str) -> String {
    b.url().await.trim_start_matches(base).to_owned()
}

#[tokio::test]
async fn a_resident_books_on_a_phone_reception_moves_it_a_mediator_records_it_and_the_figures_count_it()
 {
    let w = world().await;

    // A resident, on a phone, in four steps.
    let b = w.browser(PHONE).await;
    b.goto(&format!("{}/", w.base)).await;
    assert_eq!(b.title().await, "Prendre rendez-vous · Créneau");
    assert!(b.text().await.contains("Étape 1 sur 4"));
    b.click(
        &b.find_text("a.choice", "Espace numérique des Tilleuls")
            .await,
    )
    .await;
    assert!(b.text().await.contains("Étape 2 sur 4"));
    b.click(&b.find_text("a.choice", "CAF").await).await;
    assert!(b.text().await.contains("Étape 3 sur 4"));
    // The earliest free time: 11:30 on the clock's day (10:05 plus the
    // hour of notice).
    b.click(&b.find_text("ul.times a", "11h30").await).await;
    assert!(b.text().await.contains("Étape 4 sur 4"));
    b.resize(320, 800).await;
    assert_eq!(
        b.script("return window.innerWidth;", json!([])).await,
        json!(320),
        "the page is 320 pixels wide"
    );
    assert!(b.fits_width().await, "the form fits a 320-pixel screen");
    // Sent empty first: each field says what it needs, nothing is booked.
    b.click_on("main form button[type=submit]").await;
    let text = b.text().await;
    assert!(text.contains("Écrivez votre prénom."), "{text}");
    assert!(text.contains("Ce numéro n’est pas un portable."), "{text}");
    b.type_in("#first_name", "Awa").await;
    b.type_in("#last_name", "Traoré").await;
    b.type_in("#phone", "06 12 34 56 78").await;
    // Consent to SMS is her choice: not ticked in advance, and said what
    // it gives.
    assert_eq!(
        b.script("return document.getElementById('sms').checked;", json!([]))
            .await,
        json!(false),
        "the SMS box is not ticked in advance"
    );
    assert!(
        b.text()
            .await
            .contains("votre rendez-vous est quand même pris")
    );
    b.click_on("#sms").await;
    b.click_on("main form button[type=submit]").await;
    let text = b.text().await;
    assert!(text.contains("Votre rendez-vous est pris"), "{text}");
    assert!(text.contains("Espace numérique des Tilleuls"), "{text}");
    assert!(text.contains("11h30"), "{text}");
    assert!(
        text.contains("Apportez vos codes CAF."),
        "what to bring: {text}"
    );
    assert!(b.fits_width().await);
    let manage = current_path(&b, &w.base).await;
    assert!(manage.starts_with("/r/"), "{manage}");

    // The confirmation SMS carries the link to that page.
    w.reminders.round().await.expect("round");
    let sent = w.stand_in.received();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, "+33612345678");
    let link = manage.split('?').next().unwrap_or_default();
    assert!(
        sent[0].text.contains(&format!("{}{link}", w.base)),
        "{}",
        sent[0].text
    );

    // Reception finds her by phone and moves the appointment, from the
    // keyboard alone.
    let r = w.signed_in(&w.reception, DESKTOP).await;
    r.goto(&format!("{}/agents/accueil", w.base)).await;
    assert_eq!(r.focused_id().await, "q", "the search box has the focus");
    r.keys("0612345678\u{E007}").await;
    let text = r.text().await;
    assert!(text.contains("Awa Traoré"), "{text}");
    let mut reached = false;
    for _ in 0..10 {
        r.keys("\u{E004}").await;
        let focused = r
            .script(
                "return document.activeElement.textContent.trim();",
                json!([]),
            )
            .await;
        if focused == "Déplacer" {
            reached = true;
            break;
        }
    }
    assert!(reached, "the move link is reached with Tab");
    r.keys("\u{E007}").await;
    assert!(r.url().await.contains("/deplacer"), "{}", r.url().await);
    r.click(&r.find_text("ul.times button", "12h00").await)
        .await;
    let text = r.text().await;
    assert!(text.contains("Rendez-vous déplacé"), "{text}");
    w.reminders.round().await.expect("round");
    let sent = w.stand_in.received();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[1].text.contains("12h00"),
        "the new time: {}",
        sent[1].text
    );
    assert!(w.stand_in.wrong().is_empty(), "{:?}", w.stand_in.wrong());

    // Reception books for someone on the phone: the same four steps, and
    // back to the desk, where the SMS that could not go out are listed.
    w.stand_in.then(sms_stand_in::Next::Refuse(
        400,
        "{\"code\":\"invalid_parameter\",\"message\":\"not a mobile\"}".into(),
        None,
    ));
    r.click(
        &r.find_text("main a", "Prendre un rendez-vous pour un habitant")
            .await,
    )
    .await;
    r.click(
        &r.find_text("a.choice", "Espace numérique des Tilleuls")
            .await,
    )
    .await;
    r.click(&r.find_text("a.choice", "Impôts").await).await;
    r.click_on("ul.times a").await;
    r.type_in("#first_name", "Jean").await;
    r.type_in("#last_name", "Martin").await;
    r.type_in("#phone", "06 98 76 54 32").await;
    // He said yes to SMS on the phone.
    r.click_on("#sms").await;
    r.click_on("main form button[type=submit]").await;
    let text = r.text().await;
    assert!(text.contains("Rendez-vous pris."), "{text}");
    assert!(
        text.contains("Jean Martin"),
        "the resident found at once: {text}"
    );
    w.reminders.round().await.expect("round");
    r.goto(&format!("{}/agents/accueil", w.base)).await;
    let text = r.text().await;
    assert!(
        text.contains("SMS non distribués") && text.contains("Jean Martin · 06 98 76 54 32"),
        "{text}"
    );

    // The resident's page shows the new time.
    b.goto(&format!("{}{link}", w.base)).await;
    assert!(b.text().await.contains("12h00"));

    // The mediator: today's permanence, check-in, the visit's requests, and
    // the queue following an arrival made elsewhere without a reload.
    let m = w.signed_in(&w.mediator, DESKTOP).await;
    m.goto(&format!("{}/agents/journee", w.base)).await;
    m.click(
        &m.find_text("a.choice", "Espace numérique des Tilleuls")
            .await,
    )
    .await;
    let permanence = current_path(&m, &w.base).await;
    m.click(&m.find_text("main button", "Arrivé").await).await;
    assert!(m.text().await.contains("arrivé"), "{}", m.text().await);
    // A tap by mistake is undone, and made again.
    m.click(&m.find_text("main button", "Annuler ce choix").await)
        .await;
    assert!(m.text().await.contains("prévu"), "{}", m.text().await);
    m.click(&m.find_text("main button", "Arrivé").await).await;
    // The day's counts, for this day or any other (she and Jean Martin,
    // whom reception booked, are expected; she arrived).
    m.goto(&format!("{}/agents/journee?jour={}", w.base, the_day()))
        .await;
    let day = m.text().await;
    assert!(
        day.contains("Prévus : 2") && day.contains("Arrivés : 1"),
        "{day}"
    );
    m.goto(&format!("{}{permanence}", w.base)).await;
    m.click(&m.find_text("main a", "Demandes").await).await;
    // Nothing is answered in advance for her.
    assert_eq!(m.count("input[type=radio]:checked").await, 0);
    m.click(&m.find_text("label", "CAF").await).await;
    m.click(&m.find_text("label", "Smartphone").await).await;
    m.click(&m.find_text("label", "Accompagné").await).await;
    m.click(&m.find_text("main button", "Enregistrer").await)
        .await;
    assert_eq!(current_path(&m, &w.base).await, permanence);

    // The day sheet to print: the appointment with the resident's phone.
    m.goto(&format!("{}{permanence}/feuille", w.base)).await;
    let sheet = m.text().await;
    assert!(
        sheet.contains("Awa Traoré") && sheet.contains("06 12 34 56 78") && sheet.contains("12h00"),
        "{sheet}"
    );
    m.goto(&format!("{}{permanence}", w.base)).await;

    m.type_in("#first_name", "Moussa").await;
    m.click(&m.find_text("label", "Imprimer").await).await;
    m.click(&m.find_text("main button", "Ajouter à la file").await)
        .await;
    assert!(m.text().await.contains("Moussa"));
    let before = m
        .script(
            "return document.getElementById('file').getAttribute('data-updated');",
            json!([]),
        )
        .await;
    assert_eq!(before, json!(null), "not updated by script yet");
    // Someone else adds a person to the queue from another desk.
    let permanence_id = permanence.rsplit('/').next().unwrap_or_default();
    w.arrives(permanence_id, "Léa", contracts::Reason::Smartphone)
        .await;
    assert!(
        m.wait_for(
            "return document.getElementById('file').textContent.includes('Léa');",
            10
        )
        .await,
        "the queue shows the new arrival without a reload"
    );

    // The coordinator's figures count the visit and its two requests.
    let c = w.signed_in(&w.boss, DESKTOP).await;
    let day = the_day();
    c.goto(&format!(
        "{}/agents/statistiques?from={day}&to={day}&by=site",
        w.base
    ))
    .await;
    let api =
        w.t.send(
            Call::get(&format!("/api/v1/stats?from={day}&to={day}&by=site")).bearer(&w.boss.token),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let total = &api.json()["total"];
    assert_eq!(total["requests"], 2, "{total}");
    // Accompanied was said; the outcome was not.
    assert_eq!(
        (
            total["accompanied"].clone(),
            total["accompaniment_not_said"].clone(),
            total["outcome_not_said"].clone(),
            total["done"].clone()
        ),
        (json!(2), json!(0), json!(2), json!(0)),
        "{total}"
    );
    let row = c
        .script(
            "const r = [...document.querySelector('table').querySelectorAll('tbody tr')].pop();
             return [...r.children].map(c => c.textContent.trim());",
            json!([]),
        )
        .await;
    assert_eq!(row[0], "Total", "{row}");
    assert_eq!(row[2], total["people"].to_string(), "people: {row}");
    assert_eq!(row[3], "2", "requests: {row}");
    assert_eq!(c.count("figure img").await, 4);
    let loaded = c
        .script(
            "return [...document.querySelectorAll('figure img')].every(i => i.complete && i.naturalWidth > 0);",
            json!([]),
        )
        .await;
    assert_eq!(loaded, json!(true), "the charts load");
}

#[tokio::test]
async fn the_pages_read_right_to_left_in_arabic_and_the_choice_is_remembered() {
    let w = world().await;
    let b = w.browser(PHONE).await;
    b.goto(&format!("{}/rdv/{}", w.base, w.site)).await;
    b.click(&b.find_text("nav.langs a", "العربية").await).await;
    assert!(b.url().await.ends_with(&format!("/rdv/{}", w.site)));
    let dir = b
        .script(
            "return [document.documentElement.lang, document.documentElement.dir];",
            json!([]),
        )
        .await;
    assert_eq!(dir, json!(["ar", "rtl"]));
    assert!(b.text().await.contains("ما الذي تحتاج المساعدة فيه؟"));
    b.goto(&format!("{}/", w.base)).await;
    assert!(b.text().await.contains("حجز موعد"), "the choice is kept");
    // Booked in Arabic: the reminders speak Arabic.
    b.click(
        &b.find_text("a.choice", "Espace numérique des Tilleuls")
            .await,
    )
    .await;
    b.click(&b.find_text("a.choice", "الهاتف الذكي").await)
        .await;
    b.click_on("ul.times a").await;
    books_in_arabic(&w, &b, "07 81 22 33 44").await;
}

/// Fills the "who" form as Amina with SMS, sends it, and checks that the
/// page and the confirmation SMS speak Arabic.
async fn books_in_arabic(w: &World, b: &Browser, phone: &str) {
    b.type_in("#first_name", "Amina").await;
    b.type_in("#last_name", "Benali").await;
    b.type_in("#phone", phone).await;
    b.click_on("#sms").await;
    b.click_on("main form button[type=submit]").await;
    assert!(
        b.text().await.contains("تم حجز موعدك"),
        "{}",
        b.text().await
    );
    w.reminders.round().await.expect("round");
    let sent = w.stand_in.received();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .text
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{}",
        sent[0].text
    );
}

/// A resident signs up for a workshop on a phone, in Arabic: the list
/// says the places left in words, "sign up" leads to the usual form, the
/// SMS confirms in Arabic, and one place fewer is left.
#[tokio::test]
async fn a_resident_signs_up_for_a_workshop_on_a_phone_in_arabic() {
    let w = world().await;
    let b = w.browser(PHONE).await;
    b.goto(&format!("{}/", w.base)).await;
    b.click(&b.find_text("nav.langs a", "العربية").await).await;
    b.click(&b.find_text("a", "شاهد الورشات").await).await;
    let text = b.text().await;
    assert!(
        text.contains("Premiers pas sur smartphone") && text.contains("8 أماكن متاحة من 8"),
        "{text}"
    );
    assert!(text.contains("للمبتدئين"), "{text}");
    b.click(&b.find_text("a.choice", "سجّل").await).await;
    books_in_arabic(&w, &b, "07 81 22 33 55").await;
    b.goto(&format!("{}/ateliers", w.base)).await;
    assert!(
        b.text().await.contains("7 أماكن متاحة من 8"),
        "{}",
        b.text().await
    );
}

/// Nothing free: a resident joins the waiting list on a phone and sees
/// their position; a place frees, the SMS's link opens it held for them,
/// and they take it. Each page passes axe.
#[tokio::test]
async fn a_resident_waits_on_a_phone_and_takes_the_place_the_sms_offers() {
    let w = world().await;
    // A site with one appointment, booked already.
    let day = creneau_tests::open_day_after(the_day(), 2);
    let site =
        w.t.site(
            &w.boss.token,
            "Centre social du Port",
            "3 quai du Port, 44000 Nantes",
        )
        .await;
    let rule =
        w.t.rule(
            &w.boss.token,
            &site,
            json!({"once_at": format!("{day}T09:00"), "duration_minutes": 30,
                   "offer": {"appointments": true, "appointment_minutes": 30, "desks": 1}}),
        )
        .await;
    assert_eq!(rule.status, StatusCode::CREATED, "{}", rule.body);
    let start = creneau_tests::paris_time(day, "09:00");
    let awa = creneau_tests::book(&w.t, &site, &start, "06 90 00 00 01").await;
    let b = w.browser(PHONE).await;
    b.goto(&format!("{}/rdv/{site}/procedure_caf", w.base))
        .await;
    b.click(
        &b.find_text("a", "Prévenez-moi si une place se libère")
            .await,
    )
    .await;
    assert!(
        b.serious_violations().await.is_empty(),
        "{:?}",
        b.serious_violations().await
    );
    b.type_in("#first_name", "Moussa").await;
    b.type_in("#last_name", "Camara").await;
    b.type_in("#phone", "06 90 00 00 02").await;
    b.click_on("#sms").await;
    b.click_on("main form button[type=submit]").await;
    let text = b.text().await;
    assert!(
        text.contains("Vous êtes n° 1 sur la liste d’attente"),
        "{text}"
    );
    assert!(
        b.serious_violations().await.is_empty(),
        "{:?}",
        b.serious_violations().await
    );

    // Awa cancels; in the morning the place is held for Moussa and the
    // SMS says so; its link opens the place, which he takes.
    let appts = &w.t.state.appointments;
    let id: contracts::AppointmentId = awa["id"].as_str().expect("id").parse().expect("id");
    appts
        .cancel(
            &api::Acting::system("test", w.t.now()),
            id,
            contracts::Party::Staff,
            "empêchée",
        )
        .await
        .expect("cancelled");
    assert_eq!(
        appts
            .offer_freed_places(paris(creneau_tests::open_day_after(the_day(), 1), "10:00"))
            .await
            .expect("offers"),
        1
    );
    w.reminders.round().await.expect("round");
    let sent = w.stand_in.received();
    let offer = sent
        .iter()
        .find(|m| m.text.contains("Gardée pour vous"))
        .unwrap_or_else(|| panic!("{sent:?}"));
    let link = offer.text.rsplit(' ').next().expect("link");
    b.goto(link).await;
    let text = b.text().await;
    assert!(text.contains("Une place s’est libérée pour vous"), "{text}");
    assert!(
        b.serious_violations().await.is_empty(),
        "{:?}",
        b.serious_violations().await
    );
    b.click(&b.find_text("button", "Je prends cette place").await)
        .await;
    let text = b.text().await;
    assert!(text.contains("Votre rendez-vous est pris"), "{text}");
    let model = appts.model().await.expect("model");
    assert!(model.bookings.values().any(|x| {
        !x.cancelled
            && x.starts_at.to_rfc3339()
                == chrono::DateTime::parse_from_rfc3339(&start)
                    .expect("t")
                    .with_timezone(&chrono::Utc)
                    .to_rfc3339()
            && x.id != id
    }));
}

/// Every page a resident or staff member sees, in each language, at a
/// phone's width and a desktop's: no violation of axe-core of impact
/// serious or critical, nothing wider than the window, no control outside
/// it.
#[tokio::test]
async fn every_page_fits_a_phone_and_a_desktop_and_passes_axe_in_each_language() {
    let w = world().await;
    // axe does find what it should: an image without words, a field
    // without a label.
    let b = w.browser(PHONE).await;
    b.goto("data:text/html,<html lang=fr><title>x</title><img src=x.png><input>")
        .await;
    let found = b.serious_violations().await.join("\n");
    assert!(
        found.contains("image-alt") && found.contains("label"),
        "{found}"
    );
    drop(b);
    let pages = visit_every_page(&w, async |_, _| {}).await;
    assert!(
        pages.is_empty(),
        "pages that fail their readers:\n{}",
        pages.join("\n")
    );
}

/// Opens every page in each language and at both sizes, calling `each`
/// with the browser on it and its name; returns axe's serious and critical
/// violations.
async fn visit_every_page(w: &World, each: impl AsyncFn(String, &Browser)) -> Vec<String> {
    // A booking and a drop-in visit to show.
    let made = w
        .t
        .send(Call::post("/api/v1/appointments").json(json!({
            "site": w.site, "start": contracts::time::to_local(paris(the_day(), "11:30")).fixed_offset().to_rfc3339(),
            "reason": "procedure_caf", "resident": {"name": "Awa Traoré", "phone": "06 12 34 56 78"}})))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let made = made.json();
    let manage = made["manage_url"]
        .as_str()
        .unwrap_or_default()
        .trim_start_matches(&w.base)
        .to_owned();
    let id = made["id"].as_str().unwrap_or_default().to_owned();
    let permanence = made["permanence"].as_str().unwrap_or_default().to_owned();
    w.arrives(&permanence, "Moussa", contracts::Reason::Printing)
        .await;
    let start = contracts::time::to_local(paris(the_day(), "12:00"))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let day = the_day();
    let next_day = creneau_tests::open_day_after(day, 1);
    let resident =
        w.t.send(Call::get("/api/v1/residents/search?q=0612345678").bearer(&w.admin.token))
            .await
            .json()[0]["resident_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    let rule =
        w.t.send(Call::get(&format!("/api/v1/sites/{}/rules", w.site)).bearer(&w.admin.token))
            .await
            .json()[0]["rule_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
    let public = [
        ("1-where", "/".to_owned()),
        ("2-why", format!("/rdv/{}", w.site)),
        ("2-why-at", format!("/rdv/{}?heure={start}", w.site)),
        ("3-when", format!("/rdv/{}/procedure_caf", w.site)),
        (
            "3-when-day",
            format!("/rdv/{}/procedure_caf?jour={day}", w.site),
        ),
        ("4-who", format!("/rdv/{}/procedure_caf/{start}", w.site)),
        ("5-appointment", format!("{manage}?nouveau=1")),
        ("6-move", format!("{manage}/deplacer")),
        ("7-bad-link", "/r/AAAAAAAAAAAAAAAAAAAAAA".to_owned()),
        ("8-sign-in", "/connexion".to_owned()),
        ("9-workshops", "/ateliers".to_owned()),
        (
            "9-waiting-list",
            format!("/attente?lieu={}&motif=procedure_caf", w.site),
        ),
        (
            "9-workshop-who",
            format!("/rdv/{}/workshop/{}T14:00", w.site, next_day),
        ),
    ];
    let staff = [
        ("staff-1-home", "/agents".to_owned()),
        (
            "staff-2-reception",
            "/agents/accueil?q=0612345678".to_owned(),
        ),
        ("staff-3-move", format!("/agents/rdv/{id}/deplacer")),
        ("staff-4-today", "/agents/journee".to_owned()),
        ("staff-4-day", format!("/agents/journee?jour={day}")),
        (
            "staff-5-permanence",
            format!("/agents/permanences/{permanence}"),
        ),
        ("staff-6-requests", format!("/agents/visites/{id}")),
        (
            "staff-7-day-sheet",
            format!("/agents/permanences/{permanence}/feuille"),
        ),
        (
            "staff-8-statistics",
            format!("/agents/statistiques?from={day}&to={day}&by=site"),
        ),
        ("staff-9-sites", "/agents/lieux".to_owned()),
        ("staff-10-site", format!("/agents/lieux/{}", w.site)),
        ("staff-11-team", "/agents/equipe".to_owned()),
        ("staff-12-history", format!("/agents/personnes/{resident}")),
        ("staff-10-rule", format!("/agents/regles/{rule}")),
        ("staff-14-waiting", "/agents/attente".to_owned()),
        ("staff-15-webhooks", "/agents/webhooks".to_owned()),
        (
            "staff-13-agenda",
            format!("/agents/agenda?lieu={}&jour={day}", w.site),
        ),
        (
            "staff-13-agenda-week",
            format!("/agents/agenda?lieu={}&jour={day}&vue=semaine", w.site),
        ),
    ];
    let mut problems = Vec::new();
    for (size_name, size) in [("phone", PHONE), ("desktop", DESKTOP)] {
        let b = w.browser(size).await;
        for lang in ["fr", "en", "ar"] {
            b.goto(&format!("{}/langue?l={lang}&retour=/", w.base))
                .await;
            for (name, path) in &public {
                b.goto(&format!("{}{path}", w.base)).await;
                problems.extend(fits(&b, lang, path, size_name).await);
                each(format!("{name}-{lang}-{size_name}"), &b).await;
            }
        }
        let s = w.signed_in(&w.admin, size).await;
        for lang in ["fr", "en"] {
            s.goto(&format!("{}/langue?l={lang}&retour=/agents", w.base))
                .await;
            for (name, path) in &staff {
                s.goto(&format!("{}{path}", w.base)).await;
                problems.extend(fits(&s, lang, path, size_name).await);
                each(format!("{name}-{lang}-{size_name}"), &s).await;
            }
        }
    }
    problems
}

/// What is wrong with the page the browser is on, at this size: axe's
/// serious and critical violations, a document wider than the window, a
/// control that lies outside it.
async fn fits(b: &Browser, lang: &str, path: &str, size: &str) -> Vec<String> {
    let mut problems: Vec<String> = b
        .serious_violations()
        .await
        .into_iter()
        .map(|v| format!("{lang} {size} {path}: {v}"))
        .collect();
    if !b.fits_width().await {
        problems.push(format!("{lang} {size} {path}: wider than the window"));
    }
    for c in b.controls_outside().await {
        problems.push(format!("{lang} {size} {path}: {c} lies outside the window"));
    }
    for c in b.small_targets().await {
        problems.push(format!(
            "{lang} {size} {path}: {c} is smaller than 44 × 44 px"
        ));
    }
    problems
}

/// Not a check: writes a screenshot of every page, at phone and desktop
/// sizes, to `docs/screenshots/` (`scripts/screenshots` runs it).
#[tokio::test]
#[ignore = "writes docs/screenshots; run by scripts/screenshots"]
async fn screenshots() {
    let out = std::path::PathBuf::from(
        std::env::var("CRENEAU_SCREENSHOTS").unwrap_or_else(|_| "../../docs/screenshots".into()),
    );
    std::fs::create_dir_all(&out).expect("folder");
    let w = world().await;
    let out = &out;
    visit_every_page(&w, async |name, b| {
        // French and Arabic at both sizes; English pages look like French.
        if name.contains("-en-") {
            return;
        }
        let width = if name.ends_with("phone") {
            PHONE.0
        } else {
            DESKTOP.0
        };
        let png = b.full_screenshot(width).await;
        std::fs::write(out.join(format!("{name}.png")), png).expect("write");
    })
    .await;
}

/// The forms' bad input over plain HTTP: each refused with a message on
/// the page, nothing booked twice, nothing lost.
#[tokio::test]
async fn bad_input_on_the_booking_form_is_refused_with_words_and_books_nothing() {
    let w = world().await;
    let start = contracts::time::to_local(paris(the_day(), "11:30"))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let path = format!("/rdv/{}/procedure_caf/{start}", w.site);
    // The form sets the browser cookie its token is bound to.
    let shown = w.t.send(Call::get(&path)).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    let (cookie, token) = shown.form_token();
    let post = |body: String, cookie: Option<&str>| {
        let mut c = Call::post(&path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &w.base)
            .raw(body);
        if let Some(k) = cookie {
            c = c.cookie(k);
        }
        c
    };
    let form = |first: &str, last: &str, phone: &str, email: &str| {
        format!(
            "csrf={token}&first_name={first}&last_name={last}&phone={phone}&email={email}&sms=yes"
        )
    };

    let empty = w.t.send(post(form("", "", "", ""), Some(&cookie))).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    for words in [
        "Écrivez votre prénom.",
        "Écrivez votre nom.",
        "Ce numéro n’est pas un portable.",
    ] {
        assert!(empty.body.contains(words), "{words}: {}", empty.body);
    }
    assert!(empty.body.contains("aria-invalid=\"true\""));

    let long = "a".repeat(101);
    let too_long =
        w.t.send(post(form(&long, "Traoré", "0612345678", ""), Some(&cookie)))
            .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long
            .body
            .contains("C’est trop long : 100 caractères au plus.")
    );
    assert!(too_long.body.contains(&long), "what was typed is kept");

    let bad =
        w.t.send(post(form("Awa", "Traoré", "12345", "awa@"), Some(&cookie)))
            .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("Ce numéro n’est pas un portable. Exemple : 06 12 34 56 78")
    );
    assert!(
        bad.body
            .contains("Cette adresse e-mail n’est pas complète.")
    );

    // Without the browser's cookie the token is stale: the form comes back
    // with what was typed, and nothing is booked.
    let stale =
        w.t.send(post(form("Awa", "Traoré", "0612345678", ""), None))
            .await;
    assert_eq!(stale.status, StatusCode::BAD_REQUEST);
    assert!(
        stale
            .body
            .contains("La page était ouverte depuis longtemps.")
    );
    assert!(stale.body.contains("value=\"Traoré\""));
    let forged =
        w.t.send(post(
            form("Awa", "Traoré", "0612345678", "").replace(&token, "1.forged"),
            Some(&cookie),
        ))
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);

    // Sent twice (a double click, or back and send again): one booking.
    let first =
        w.t.send(post(form("Awa", "Traoré", "0612345678", ""), Some(&cookie)))
            .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    let again =
        w.t.send(post(form("Awa", "Traoré", "0612345678", ""), Some(&cookie)))
            .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again
            .body
            .contains("Vous avez déjà un rendez-vous pour la même chose.")
    );
    let found =
        w.t.send(Call::get("/api/v1/residents/search?q=0612345678").bearer(&w.reception.token))
            .await;
    assert_eq!(
        found.json()[0]["upcoming"].as_array().map(Vec::len),
        Some(1),
        "{}",
        found.body
    );

    // Another person for the same time: taken, and the next free times
    // offered with the answers kept.
    let taken =
        w.t.send(post(
            form("Jean", "Martin", "0698765432", ""),
            Some(&cookie),
        ))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert!(taken.body.contains("Cette heure vient d’être prise"));
    assert!(taken.body.contains("value=\"Martin\""));

    // A staff form without its session's token changes nothing.
    let (session, _) = w.t.sign_in(&w.reception).await;
    let id = first
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(id.starts_with("/r/"), "{id}");
    let page =
        w.t.send(Call::get(id.split('?').next().unwrap_or_default()))
            .await;
    assert!(page.body.contains("Votre rendez-vous"), "{}", page.body);
    let refused =
        w.t.send(
            Call::post("/deconnexion")
                .cookie(&session)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", &w.base)
                .raw("csrf=wrong".into()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    // A page of staff without a session leads to the sign-in page.
    let anonymous = w.t.send(Call::get("/agents/accueil")).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/connexion?retour=/agents/accueil")
    );
}

/// A coordinator sets a site up from the pages: a rule written as days and
/// a time, previewed before it is saved, then a closure that residents see
/// as days without free times; an administrator opens an account.
#[tokio::test]
async fn a_coordinator_previews_and_saves_a_rule_closes_a_day_and_an_admin_opens_an_account() {
    let w = world().await;
    let c = w.signed_in(&w.boss, DESKTOP).await;
    c.goto(&format!("{}/agents/lieux/{}", w.base, w.site)).await;
    c.type_in("#label", "Mardi après-midi").await;
    c.click_on("input[name=day][value='1']").await;
    c.type_in("#start", "14:00").await;
    c.type_in("#end", "16:00").await;
    c.click(&c.find_text("button", "Voir les prochaines dates").await)
        .await;
    let text = c.text().await;
    assert!(
        text.contains("Aperçu : les prochaines permanences"),
        "{} {:?}: {text}",
        c.url().await,
        c.script("return [document.getElementById('label').value, document.getElementById('start').value, [...document.querySelectorAll('input[name=day]')].map(i => i.checked)];", json!([])).await
    );
    assert!(
        text.contains("mardi") && text.contains("14h00–16h00"),
        "{text}"
    );
    assert_eq!(
        c.count("article").await,
        2,
        "nothing saved yet (the permanence and the workshop): {text}"
    );
    c.click(&c.find_text("button", "Enregistrer la permanence").await)
        .await;
    let text = c.text().await;
    assert!(text.contains("Mardi après-midi"), "{text}");
    assert_eq!(c.count("article").await, 3, "{text}");
    let rules =
        w.t.send(Call::get(&format!("/api/v1/sites/{}/rules", w.site)).bearer(&w.boss.token))
            .await;
    assert!(rules.body.contains("0 14 * * TUE"), "{}", rules.body);
    assert!(
        rules.body.contains(r#""duration_minutes":120"#),
        "{}",
        rules.body
    );
    // Said as a sentence on the page.
    assert!(
        text.contains("Chaque mardi, 14h00–16h00 : rendez-vous (1 poste)"),
        "{text}"
    );

    // A day without a day: the form says what to fix and saves nothing.
    c.type_in("#label", "Sans jour").await;
    c.click(&c.find_text("button", "Enregistrer la permanence").await)
        .await;
    assert!(c.text().await.contains("Cochez au moins un jour."));
    assert_eq!(c.count("article").await, 3);

    // An end before the start is refused in words, with what was typed.
    c.type_in("#label", "À l’envers").await;
    c.click_on("input[name=day][value='2']").await;
    c.type_in("#start", "14:00").await;
    c.type_in("#end", "13:00").await;
    c.click(&c.find_text("button", "Enregistrer la permanence").await)
        .await;
    let text = c.text().await;
    assert!(text.contains("La fin vient après le début"), "{text}");
    assert_eq!(c.count("article").await, 3, "nothing saved: {text}");

    // Closed on the clock's day: residents see no free time that day.
    let day = the_day();
    c.script(
        "document.getElementById('first_day').value = arguments[0];
         document.getElementById('last_day').value = arguments[0];",
        json!([day.to_string()]),
    )
    .await;
    c.type_in("#reason", "Formation de l’équipe").await;
    c.click(&c.find_text("button", "Fermer ces jours-là").await)
        .await;
    assert!(c.text().await.contains("Formation de l’équipe"));
    let free =
        w.t.send(Call::get(&format!(
            "/api/v1/availability?site={}&reason=procedure_caf&from={day}&days=1",
            w.site
        )))
        .await;
    assert_eq!(free.json(), json!([]), "{}", free.body);

    // The administrator opens an account; its password is shown once.
    let a = w.signed_in(&w.admin, DESKTOP).await;
    a.goto(&format!("{}/agents/equipe", w.base)).await;
    a.type_in("#name", "Sami").await;
    a.type_in("#email", "sami@ville.example.fr").await;
    a.click(&a.find_text("button", "Créer le compte").await)
        .await;
    let text = a.text().await;
    assert!(
        text.contains("Compte créé pour sami@ville.example.fr"),
        "{text}"
    );
    let password = a
        .script(
            "return document.querySelector('.notice code').textContent;",
            json!([]),
        )
        .await;
    let password = password.as_str().unwrap_or_default();
    assert!(password.len() >= 12, "{password}");
    let signed =
        w.t.send(Call::post("/api/v1/session").json(json!({
            "email": "sami@ville.example.fr", "password": password
        })))
        .await;
    assert_eq!(signed.status, StatusCode::CREATED, "{}", signed.body);

    // Then gives Sami a second role at the site, and takes the first away.
    let row =
        "[...document.querySelectorAll('tbody tr')].find(r => r.textContent.includes('sami@'))";
    let details = a
        .find_by_script(&format!(
            "return {row}.querySelector('details:not(.confirm) summary');"
        ))
        .await;
    a.click(&details).await;
    a.script(
        &format!(
            "const f = {row}.querySelector('details:not(.confirm) form');
             f.querySelector('select[name=role]').value = 'mediator';
             f.querySelector('select[name=site]').value = arguments[0];"
        ),
        json!([w.site]),
    )
    .await;
    let grant = a
        .find_by_script(&format!(
            "return {row}.querySelector('details:not(.confirm) form button');"
        ))
        .await;
    a.click(&grant).await;
    let first = a
        .find_by_script(&format!("return {row}.querySelector('li form button');"))
        .await;
    a.click(&first).await;
    let staff =
        w.t.send(Call::get("/api/v1/staff").bearer(&w.admin.token))
            .await;
    let sami = staff
        .json()
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|s| s["email"] == "sami@ville.example.fr")
                .cloned()
        })
        .expect("sami");
    assert_eq!(
        sami["grants"],
        json!([{"role": "mediator", "site_id": w.site}]),
        "{sami}"
    );

    // Sami forgot it: the administrator makes a new one, asked twice; the
    // old one stops working.
    let reset = a
        .find_by_script(&format!(
            "return {row}.querySelector('details.confirm summary');"
        ))
        .await;
    a.click(&reset).await;
    let yes = a
        .find_by_script(&format!(
            "return {row}.querySelector('details.confirm form button');"
        ))
        .await;
    a.click(&yes).await;
    let text = a.text().await;
    assert!(
        text.contains("Nouveau mot de passe pour sami@ville.example.fr"),
        "{text}"
    );
    let new_password = a
        .script(
            "return document.querySelector('.notice code').textContent;",
            json!([]),
        )
        .await;
    let new_password = new_password.as_str().unwrap_or_default();
    assert!(new_password.len() >= 12 && new_password != password);
    for (tried, status) in [
        (password, StatusCode::UNAUTHORIZED),
        (new_password, StatusCode::CREATED),
    ] {
        let signed =
            w.t.send(Call::post("/api/v1/session").json(json!({
                "email": "sami@ville.example.fr", "password": tried
            })))
            .await;
        assert_eq!(signed.status, status, "{}", signed.body);
    }
}

/// Where a site confirms online bookings by SMS, the booking form asks for
/// the code sent to the phone: a wrong code is refused in words, the right
/// one books.
#[tokio::test]
async fn a_site_that_confirms_by_sms_asks_the_resident_for_the_code() {
    let w = world().await;
    let site_id: contracts::SiteId = w.site.parse().expect("site");
    let mut details = w.t.state.calendar.model().await.expect("calendar").sites[&site_id]
        .details
        .clone();
    details.confirms_online_bookings_by_sms = true;
    w.t.state
        .calendar
        .change_site(
            &api::Acting::system("test", w.t.now()),
            site_id,
            &details,
            None,
        )
        .await
        .expect("site");
    let start = contracts::time::to_local(paris(the_day(), "11:30"))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let path = format!("/rdv/{}/procedure_caf/{start}", w.site);
    let shown = w.t.send(Call::get(&path)).await;
    let (cookie, token) = shown.form_token();
    let field = |body: &str, name: &str| {
        body.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(|v| v.replace("&quot;", "\""))
            .expect(name)
    };
    let post = |body: String| {
        Call::post(&path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &w.base)
            .cookie(&cookie)
            .raw(body)
    };
    let answers =
        format!("csrf={token}&first_name=Awa&last_name=Traor%C3%A9&phone=0612345678&sms=yes");

    // First the code is sent, and the page asks for it.
    let asked = w.t.send(post(answers.clone())).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert!(
        asked.body.contains("Le code reçu par SMS"),
        "{}",
        asked.body
    );
    assert!(asked.body.contains("06 12 34 56 78"), "{}", asked.body);
    let sent = w.stand_in.received();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let code: String = sent[0]
        .text
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    assert_eq!(code.len(), 6, "{}", sent[0].text);
    let challenge = field(&asked.body, "challenge");
    let with_code = |code: &str| {
        format!(
            "{answers}&challenge={}&code={code}",
            api::url_encode(&challenge).replace('/', "%2F")
        )
    };

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = w.t.send(post(with_code(wrong))).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("Ce code n’est pas le bon."),
        "{}",
        refused.body
    );

    let booked = w.t.send(post(with_code(&code))).await;
    assert_eq!(booked.status, StatusCode::SEE_OTHER, "{}", booked.body);
    assert!(
        booked
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.starts_with("/r/")),
        "{:?}",
        booked.headers
    );
}
