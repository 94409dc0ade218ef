//! `creneau bench reminders`: N confirmations due in the same minute, sent
//! by the reminders service over real HTTP on loopback to a stand-in of
//! the generic webhook provider, which counts what it receives: messages
//! per second, and a check that none was received twice.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::Acting;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Days, Utc};
use contracts::{Language, Reason};
use futures_util::StreamExt as _;

#[derive(Debug, Clone, clap::Args)]
pub struct RemindersBenchArgs {
    /// Messages due at once.
    #[arg(long, default_value_t = 100_000)]
    pub messages: usize,
    /// Bookings made at once while setting up.
    #[arg(long, default_value_t = 64)]
    pub booking_tasks: usize,
}

/// What the stand-in received: reference → (provider id, times).
#[derive(Default)]
struct Received {
    by_reference: HashMap<String, (String, u32)>,
}

type Shared = Arc<Mutex<Received>>;

async fn take(State(s): State<Shared>, body: String) -> Response {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let reference = v["reference"].as_str().unwrap_or_default().to_owned();
    let Ok(mut r) = s.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let n = r.by_reference.len();
    let entry = r
        .by_reference
        .entry(reference)
        .or_insert_with(|| (format!("m{n}"), 0));
    entry.1 += 1;
    (
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"id": entry.0})),
    )
        .into_response()
}

async fn lookup(State(s): State<Shared>, Path(reference): Path<String>) -> Response {
    let found = s
        .lock()
        .ok()
        .and_then(|r| r.by_reference.get(&reference).map(|e| e.0.clone()));
    match found {
        Some(id) => axum::Json(serde_json::json!({"id": id})).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn run(args: RemindersBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = crate::bench::BenchDir::new("reminders");
    run_in(&dir.0, args, out).await
}

async fn run_in(
    dir: &std::path::Path,
    args: RemindersBenchArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let received: Shared = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/sms", listener.local_addr()?);
    let stand_in = axum::Router::new()
        .route("/sms", axum::routing::post(take))
        .route("/sms/{reference}", axum::routing::get(lookup))
        .with_state(Arc::clone(&received));
    tokio::spawn(async move {
        let _ = axum::serve(listener, stand_in).await;
    });

    let client =
        reminders::sms::http_client(Duration::from_secs(10)).map_err(anyhow::Error::msg)?;
    let provider: Arc<dyn reminders::sms::SmsProvider> =
        Arc::new(reminders::sms::Webhook::new(client, &url, "bench-secret"));
    let state = crate::bench::bench_state(dir, Arc::clone(&provider)).await?;

    // The service's clock: tomorrow at 07:00, when it schedules every
    // confirmation for 08:00 (no SMS at night), then 08:00, when they are
    // all due. Places from the day after, so that every booking is ahead.
    let day =
        contracts::time::local_date(eventlog::Clock::now(&eventlog::SystemClock)) + Days::new(1);
    let seven = contracts::time::to_utc(day.and_hms_opt(7, 0, 0).context("07:00 exists")?)?;
    let from = contracts::time::to_utc(
        (day + Days::new(1))
            .and_hms_opt(0, 0, 0)
            .context("midnight exists")?,
    )?
    .to_rfc3339();

    // Enough places, booked by reception for as many residents.
    let started = Instant::now();
    let mut places = Vec::new();
    for i in 0..6 {
        let site =
            crate::bench_booking::site_with_rule(&state, &format!("Site {i}"), 20, 720).await?;
        let ahead = crate::bench_booking::places(&state, site, 20).await?;
        places.extend(ahead.into_iter().filter(|(_, start)| {
            chrono::DateTime::parse_from_rfc3339(start).is_ok_and(|s| s.to_rfc3339() >= from)
        }));
        if places.len() >= args.messages {
            break;
        }
    }
    anyhow::ensure!(
        places.len() >= args.messages,
        "only {} places for {} messages",
        places.len(),
        args.messages
    );
    places.truncate(args.messages);
    // Booked in no particular order, as reception books (in calendar order,
    // the 64 tasks all wrote one permanence and spent their tries on each
    // other's commits).
    crate::bench_booking::shuffle(&mut places);
    let staff_acting = Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock));
    let booked = futures_util::stream::iter(places.into_iter().enumerate())
        .map(|(i, (site, start))| {
            let state = state.clone();
            let acting = staff_acting.clone();
            async move {
                let start = chrono::DateTime::parse_from_rfc3339(&start)?.with_timezone(&Utc);
                state
                    .appointments
                    .book(
                        appointments::BookRequest {
                            sms_consent: true,
                            site,
                            start,
                            reason: Reason::ProcedureCaf,
                            name: format!("Résident {i}"),
                            phone: format!("06{:08}", i),
                            email: None,
                            language: Language::Fr,
                            note: None,
                            confirmation: None,
                        },
                        appointments::Booker::Staff {
                            acting,
                            override_reason: None,
                        },
                        eventlog::Clock::now(&eventlog::SystemClock),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("booking {i}: {e}"))
            }
        })
        .buffer_unordered(args.booking_tasks.max(1))
        .collect::<Vec<_>>()
        .await;
    for b in booked {
        b?;
    }
    writeln!(
        out,
        "set-up: {} appointments booked in {:.1} s",
        args.messages,
        started.elapsed().as_secs_f64()
    )?;

    let clock = reminders::ManualClock::new(seven);
    let service = reminders::Reminders::new(
        Arc::clone(&state.store),
        state.vault.clone(),
        Arc::new(state.identity.clone()),
        provider,
        reminders::Settings {
            notices_within: chrono::Duration::days(3),
            // Each appointment also gets its reminder, an hour before: not
            // due in the measured minute.
            hours_before: 1,
            ..reminders::Settings::default()
        },
        clock.clone(),
    )
    .await?;
    let started = Instant::now();
    let round = service.round().await?;
    let scheduled = round.scheduled;
    let scheduled_after = started.elapsed();
    anyhow::ensure!(round.sent == 0, "sent at night");
    clock.advance(chrono::Duration::hours(1));
    let started = Instant::now();
    let mut sent = 0;
    let mut idle = 0;
    while sent < args.messages {
        let round = service.round().await?;
        sent += round.sent + round.found_by_lookup;
        idle = if round == reminders::Round::default() {
            idle + 1
        } else {
            0
        };
        anyhow::ensure!(idle < 100, "stuck at {sent} of {} sent", args.messages);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (distinct, total) = received
        .lock()
        .map(|r| {
            (
                r.by_reference.len(),
                r.by_reference.values().map(|e| u64::from(e.1)).sum::<u64>(),
            )
        })
        .map_err(|_| anyhow::anyhow!("stand-in poisoned"))?;
    let twice = received
        .lock()
        .map(|r| r.by_reference.values().filter(|e| e.1 > 1).count())
        .unwrap_or(usize::MAX);
    writeln!(
        out,
        "{} confirmations and as many reminders scheduled from their bookings in {:.1} s ({:.0} bookings/s); the confirmations all due at 08:00, sent in {elapsed:.1} s = {:.0} messages/s; \
         the stand-in received {total} requests for {distinct} messages, {twice} twice",
        args.messages,
        scheduled_after.as_secs_f64(),
        args.messages as f64 / scheduled_after.as_secs_f64(),
        args.messages as f64 / elapsed
    )?;
    anyhow::ensure!(
        scheduled == 2 * args.messages,
        "{scheduled} scheduled for {} appointments",
        args.messages
    );
    anyhow::ensure!(
        distinct == args.messages && total == args.messages as u64,
        "a message was lost or sent twice"
    );
    Ok(())
}
