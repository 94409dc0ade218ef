//! The calendar over a real SQLite file: local time across clock changes
//! and year ends, holidays, closures, cancellations, slots, concurrent
//! edits, refused input, and generated rules checked for the properties
//! every permanence must have.

use std::sync::Arc;

use api::Acting;
use calendar::{Calendar, CalendarError, Status};
use chrono::{Datelike, Days, NaiveDate, Timelike, Weekday};
use contracts::proto::calendar::v1 as ev;
use contracts::{Reason, SiteId};
use eventlog::EventStore;

struct Fixture {
    store: Arc<dyn EventStore>,
    calendar: Calendar,
    dir: std::path::PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The tests' now: a fixed day, whatever today is.
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_796_900_000, 0).expect("time")
}

async fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!(
        "creneau-calendar-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let store: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"));
    let calendar = Calendar::new(Arc::clone(&store), [3u8; 32])
        .await
        .expect("calendar");
    Fixture {
        store,
        calendar,
        dir,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn site(name: &str, holidays: bool) -> ev::SiteDetails {
    ev::SiteDetails {
        name: name.into(),
        address: "1 rue de la Paix, 44000 Nantes".into(),
        phone: "02 40 00 00 00".into(),
        accessibility: String::new(),
        open: true,
        opens_on_public_holidays: holidays,
        confirms_online_bookings_by_sms: false,
        appointments_per_reason: 0,
        partners: Vec::new(),
    }
}

fn rule(site: SiteId, cron: &str, minutes: u32, from: NaiveDate) -> ev::PermanenceRule {
    ev::PermanenceRule {
        site_id: site.to_string(),
        label: format!("rule {cron}"),
        cron: cron.into(),
        once_at: String::new(),
        duration_minutes: minutes,
        valid_from: from.to_string(),
        valid_until: String::new(),
        offer: Some(ev::Offer {
            drop_in: true,
            drop_in_capacity: 9,
            appointments: true,
            appointment_minutes: 30,
            desks: 2,
            by_reason: vec![ev::ReasonLength {
                reason: Reason::ProcedurePrefecture.into(),
                length_minutes: 45,
            }],
            roles_on_duty: vec![contracts::Role::Mediator.into()],
            workshop: None,
        }),
    }
}

#[tokio::test]
async fn a_nine_oclock_permanence_stays_at_nine_across_clock_changes_and_the_new_year() {
    let f = fixture().await;
    let a = Acting::system("test", now());
    let s = f
        .calendar
        .open_site(&a, &site("Tilleuls", true))
        .await
        .expect("site");
    f.calendar
        .create_rule(&a, &rule(s, "0 9 * * SUN", 180, date(2026, 1, 1)))
        .await
        .expect("rule");
    // Sundays of the clock changes (29 March, 25 October 2026) and around.
    let all = f
        .calendar
        .permanences(Some(s), date(2026, 3, 20), date(2027, 1, 10))
        .await
        .expect("list");
    assert!(
        all.iter()
            .all(|p| p.starts_local.hour() == 9 && p.starts_local.minute() == 0)
    );
    assert!(all.iter().all(|p| p.starts_local.weekday() == Weekday::Sun));
    let utc_hour = |d: NaiveDate| {
        all.iter()
            .find(|p| p.day == d)
            .map(|p| p.starts_at.hour())
            .expect("a permanence that day")
    };
    assert_eq!(utc_hour(date(2026, 3, 22)), 8, "winter: UTC+1");
    assert_eq!(
        utc_hour(date(2026, 3, 29)),
        7,
        "the day clocks go forward: UTC+2"
    );
    assert_eq!(
        utc_hour(date(2026, 10, 25)),
        8,
        "the day clocks go back: UTC+1"
    );
    assert!(
        all.iter().any(|p| p.day == date(2026, 12, 27))
            && all.iter().any(|p| p.day == date(2027, 1, 3))
    );
    assert!(all.windows(2).all(|w| w[0].starts_at < w[1].starts_at));
}

#[tokio::test]
async fn holidays_closures_and_cancellations_close_permanences_and_say_why() {
    let f = fixture().await;
    let a = Acting::system("test", now());
    let s = f
        .calendar
        .open_site(&a, &site("Coteaux", false))
        .await
        .expect("site");
    let open_on_holidays = f
        .calendar
        .open_site(&a, &site("Port", true))
        .await
        .expect("site");
    let r = f
        .calendar
        .create_rule(&a, &rule(s, "0 9 * * MON", 180, date(2027, 1, 1)))
        .await
        .expect("rule");
    f.calendar
        .create_rule(
            &a,
            &rule(open_on_holidays, "0 9 * * MON", 180, date(2027, 1, 1)),
        )
        .await
        .expect("rule");
    f.calendar
        .schedule_closure(
            &a,
            s,
            date(2027, 8, 2),
            date(2027, 8, 20),
            "Fermeture estivale",
        )
        .await
        .expect("closure");
    f.calendar
        .cancel_permanence(&a, r, date(2027, 2, 1), "Absence de la médiatrice")
        .await
        .expect("cancel");
    let status = |list: &[calendar::Permanence], d: NaiveDate| {
        list.iter()
            .find(|p| p.day == d)
            .map(|p| p.status.clone())
            .expect("that day")
    };
    let mine = f
        .calendar
        .permanences(Some(s), date(2027, 1, 1), date(2027, 12, 31))
        .await
        .expect("list");
    let closed = |reason: &str| Status::Closed {
        reason: reason.into(),
    };
    assert_eq!(
        status(&mine, date(2027, 3, 29)),
        closed("public holiday (Lundi de Pâques)")
    );
    assert_eq!(
        status(&mine, date(2027, 5, 17)),
        closed("public holiday (Lundi de Pentecôte)")
    );
    assert_eq!(
        status(&mine, date(2027, 8, 9)),
        closed("Fermeture estivale")
    );
    assert_eq!(
        status(&mine, date(2027, 2, 1)),
        closed("Absence de la médiatrice")
    );
    assert_eq!(status(&mine, date(2027, 2, 8)), Status::Open);
    let theirs = f
        .calendar
        .permanences(Some(open_on_holidays), date(2027, 3, 29), date(2027, 3, 29))
        .await
        .expect("list");
    assert_eq!(
        theirs[0].status,
        Status::Open,
        "this site opens on holidays"
    );

    f.calendar
        .reinstate_permanence(&a, r, date(2027, 2, 1))
        .await
        .expect("reinstate");
    let again = f
        .calendar
        .permanences(Some(s), date(2027, 2, 1), date(2027, 2, 1))
        .await
        .expect("list");
    assert_eq!(again[0].status, Status::Open);
    assert!(
        f.calendar
            .slots(&again[0].permanence_id, None)
            .await
            .expect("slots")
            .len()
            == 6
    );
    let long = f
        .calendar
        .slots(&again[0].permanence_id, Some(Reason::ProcedurePrefecture))
        .await
        .expect("slots");
    assert_eq!(long.len(), 4, "45-minute slots in 3 hours");
    assert_eq!(long[1].starts_local.format("%H:%M").to_string(), "09:45");
    let summer = f
        .calendar
        .permanences(Some(s), date(2027, 8, 9), date(2027, 8, 9))
        .await
        .expect("list");
    assert!(
        f.calendar
            .slots(&summer[0].permanence_id, None)
            .await
            .expect("slots")
            .is_empty()
    );
}

#[tokio::test]
async fn two_coordinators_editing_one_rule_the_second_is_told_and_nothing_is_lost() {
    // These assertions read the English messages.
    messages::set_default(messages::Language::En);
    let f = fixture().await;
    let a = Acting::system("test", now());
    let s = f
        .calendar
        .open_site(&a, &site("Roseraie", false))
        .await
        .expect("site");
    let r = f
        .calendar
        .create_rule(&a, &rule(s, "0 9 * * WED", 180, date(2027, 1, 1)))
        .await
        .expect("rule");
    let seen = f.calendar.model().await.expect("model").rules[&r].version;
    f.calendar
        .change_rule(
            &a,
            r,
            &rule(s, "0 10 * * WED", 120, date(2027, 1, 1)),
            Some(seen),
        )
        .await
        .expect("first edit");
    let head = f.store.head().await.expect("head");
    let e = f
        .calendar
        .change_rule(
            &a,
            r,
            &rule(s, "0 14 * * WED", 120, date(2027, 1, 1)),
            Some(seen),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, CalendarError::Conflict(_)), "{e}");
    assert!(e.to_string().contains("someone else changed"), "{e}");
    assert_eq!(f.store.head().await.expect("head"), head, "nothing written");
    let p = f
        .calendar
        .permanences(Some(s), date(2027, 1, 6), date(2027, 1, 6))
        .await
        .expect("list");
    assert_eq!(p[0].starts_local.hour(), 10, "the first edit holds");
}

#[tokio::test]
async fn bad_rules_name_the_field_and_write_nothing() {
    let f = fixture().await;
    let a = Acting::system("test", now());
    let s = f
        .calendar
        .open_site(&a, &site("Bel-Air", false))
        .await
        .expect("site");
    f.calendar
        .create_rule(&a, &rule(s, "0 9 * * THU", 180, date(2027, 1, 1)))
        .await
        .expect("rule");
    let head = f.store.head().await.expect("head");
    let mut ends_first = rule(s, "0 9 * * FRI", 180, date(2027, 1, 1));
    ends_first.valid_until = "2026-12-01".into();
    let mut nothing_offered = rule(s, "0 9 * * FRI", 180, date(2027, 1, 1));
    if let Some(o) = nothing_offered.offer.as_mut() {
        o.drop_in = false;
        o.appointments = false;
    }
    let unknown_site = rule(SiteId::new(), "0 9 * * FRI", 180, date(2027, 1, 1));
    for (bad, field) in [
        (rule(s, "0 9 * * 4", 180, date(2027, 1, 1)), "cron"),
        (rule(s, "every tuesday", 180, date(2027, 1, 1)), "cron"),
        (rule(s, "30 10 * * THU", 60, date(2027, 1, 1)), "cron"),
        (rule(s, "0 5 * * FRI", 120, date(2027, 1, 1)), "cron"),
        (
            rule(s, "0 9 * * FRI", 0, date(2027, 1, 1)),
            "duration_minutes",
        ),
        (ends_first, "valid_until"),
        (nothing_offered, "offer"),
        (unknown_site, "site_id"),
    ] {
        match f.calendar.create_rule(&a, &bad).await {
            Err(CalendarError::Invalid(i)) => assert_eq!(i.field, field, "{}", i.message),
            other => panic!("{field}: {other:?}"),
        }
    }
    let e = f
        .calendar
        .schedule_closure(&a, s, date(2027, 5, 10), date(2027, 5, 1), "Travaux")
        .await
        .unwrap_err();
    assert!(
        matches!(e, CalendarError::Invalid(ref i) if i.field == "last_day"),
        "{e}"
    );
    let e = f
        .calendar
        .schedule_closure(&a, SiteId::new(), date(2027, 5, 1), date(2027, 5, 2), "x")
        .await
        .unwrap_err();
    assert!(matches!(e, CalendarError::NotFound(_)), "{e}");
    assert_eq!(f.store.head().await.expect("head"), head, "nothing written");
}

/// A small deterministic generator (xorshift): the same cases every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn generated_rules_give_local_non_overlapping_permanences_never_on_a_closed_day() {
    // These assertions read the English messages.
    messages::set_default(messages::Language::En);
    let f = fixture().await;
    let a = Acting::system("test", now());
    let mut g = Gen(0x5eed_c0de_1234_5678);
    let days = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let mut sites = Vec::new();
    for i in 0..4 {
        let s = f
            .calendar
            .open_site(&a, &site(&format!("Site {i}"), i == 0))
            .await
            .expect("site");
        let start = date(2026, 1, 1) + Days::new(g.next(600));
        f.calendar
            .schedule_closure(&a, s, start, start + Days::new(g.next(30)), "Fermeture")
            .await
            .expect("closure");
        sites.push(s);
    }
    let mut accepted = 0;
    for _ in 0..60 {
        let s = sites[g.next(4) as usize];
        let cron = format!(
            "{} {} * * {}",
            [0, 15, 30, 45][g.next(4) as usize],
            6 + g.next(14),
            days[g.next(7) as usize]
        );
        let from = date(2026, 1, 1) + Days::new(g.next(400));
        match f
            .calendar
            .create_rule(&a, &rule(s, &cron, 30 + 15 * g.next(14) as u32, from))
            .await
        {
            Ok(_) => accepted += 1,
            Err(CalendarError::Invalid(i)) => assert!(
                i.message.contains("overlaps") || i.message.contains("midnight"),
                "{cron}: {}",
                i.message
            ),
            Err(e) => panic!("{cron}: {e}"),
        }
    }
    assert!(accepted >= 20, "{accepted} rules accepted");
    let m = f.calendar.model().await.expect("model");
    let closures: Vec<(SiteId, NaiveDate, NaiveDate)> = m
        .sites
        .values()
        .flat_map(|s| {
            s.closures
                .values()
                .map(move |c| (s.id, c.first_day, c.last_day))
        })
        .collect();
    drop(m);
    let all = f
        .calendar
        .permanences(None, date(2026, 1, 1), date(2027, 1, 31))
        .await
        .expect("list");
    assert!(all.len() > 300, "{} permanences", all.len());
    for p in &all {
        assert_eq!(
            contracts::time::to_utc(p.starts_local).expect("exists"),
            p.starts_at,
            "local time"
        );
        assert_eq!(
            contracts::time::to_local(p.starts_at).naive_local(),
            p.starts_local
        );
        assert!(p.starts_local.hour() >= 6 && p.ends_local.date() == p.day);
        let closed_day = closures
            .iter()
            .any(|&(s, a, b)| s == p.site_id && a <= p.day && p.day <= b);
        if closed_day {
            assert_ne!(
                p.status,
                Status::Open,
                "open on a closed day: {}",
                p.permanence_id
            );
        }
    }
    for s in &sites {
        let mine: Vec<_> = all.iter().filter(|p| p.site_id == *s).collect();
        for w in mine.windows(2) {
            assert!(
                w[0].ends_at <= w[1].starts_at,
                "overlap at {}: {} and {}",
                w[0].site_name,
                w[0].permanence_id,
                w[1].permanence_id
            );
        }
    }
}
