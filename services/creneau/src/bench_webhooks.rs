//! `creneau bench webhooks`: a backlog of N bookings in the log (10,000 by
//! default) delivered to one subscription whose receiver answers at once
//! on loopback, as `serve`'s lease holder delivers them (deliveries per
//! second, each recorded in the subscription's stream); then bookings
//! arriving at a steady rate while the deliverer runs, and the lag from
//! each one's append to its receipt. Checked: every event delivered once,
//! in log order.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::Acting;
use contracts::proto::appointments::v1 as ap;
use eventlog::{ExpectedVersion, StreamName};

#[derive(Debug, Clone, clap::Args)]
pub struct WebhooksBenchArgs {
    /// Bookings in the log before deliveries start.
    #[arg(long, default_value_t = 10_000)]
    pub events: usize,
    /// Bookings appended one by one while the deliverer runs.
    #[arg(long, default_value_t = 2_000)]
    pub live_events: usize,
    /// How many of those per second.
    #[arg(long, default_value_t = 200)]
    pub live_rate: u32,
}

type Arrivals = Arc<Mutex<Vec<(Instant, u64)>>>;

/// A receiver on loopback answering 200 at once; what arrived, when.
async fn receiver() -> anyhow::Result<(String, Arrivals)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let arrivals: Arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&arrivals);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = Arc::clone(&seen);
            async move {
                let position = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["position"].as_u64())
                    .unwrap_or(0);
                if let Ok(mut s) = seen.lock() {
                    s.push((Instant::now(), position));
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, arrivals))
}

/// A booking as the log holds it, at one of 100 permanences.
fn booked(i: usize, site: &str) -> ap::AppointmentBooked {
    let start = chrono::DateTime::parse_from_rfc3339("2027-01-04T09:00:00+01:00")
        .map(|t| t + chrono::Duration::minutes(30 * (i as i64 % 500)))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    ap::AppointmentBooked {
        appointment_id: uuid::Uuid::now_v7().to_string(),
        reference: format!("B{i:06}"),
        resident_id: uuid::Uuid::now_v7().to_string(),
        site_id: site.to_owned(),
        permanence_id: format!("bench_{}", i % 100),
        starts_at: start.clone(),
        ends_at: start,
        reason: contracts::Reason::ProcedureCaf.into(),
        ..Default::default()
    }
}

pub async fn run(args: WebhooksBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = crate::bench::BenchDir::new("webhooks");
    let state = crate::bench::bench_state(
        &dir.0,
        Arc::new(reminders::sms::Outbox::new(dir.0.join("sms.jsonl")))
            as Arc<dyn reminders::sms::SmsProvider>,
    )
    .await?;
    let now = eventlog::Clock::now(&eventlog::SystemClock);
    let acting = Acting::system("bench", now);
    let (url, arrivals) = receiver().await?;
    state
        .webhooks
        .subscribe(
            &acting,
            contracts::StaffId::new(),
            webhooks::NewSubscription {
                url,
                kinds: vec![webhooks::Kind::AppointmentBooked],
                sites: Vec::new(),
                personal: false,
                personal_reason: String::new(),
            },
        )
        .await
        .context("subscribing")?;
    let site = contracts::SiteId::new().to_string();
    // The backlog, 100 bookings per append.
    let mut versions: HashMap<usize, u64> = HashMap::new();
    for chunk in (0..args.events).collect::<Vec<_>>().chunks(100) {
        let stream = chunk[0] / 100 % 100;
        let name = StreamName::of(contracts::streams::BOOKING, format!("bench_{stream}"))?;
        let events = chunk
            .iter()
            .map(|i| acting.event(&booked(*i, &site)))
            .collect::<Result<Vec<_>, _>>()?;
        let expected = versions
            .get(&stream)
            .map_or(ExpectedVersion::NoStream, |v| ExpectedVersion::Exact(*v));
        let r = state.store.append(&name, expected, events).await?;
        versions.insert(stream, r.next_expected.unwrap_or(0));
    }
    writeln!(out, "{} bookings in the log; delivering", args.events)?;
    let started = Instant::now();
    let mut rounds = 0;
    while arrivals.lock().map(|a| a.len()).unwrap_or(0) < args.events {
        state
            .webhooks
            .deliver_round(&Acting::system("webhooks", now))
            .await?;
        rounds += 1;
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "not delivered in 10 minutes"
        );
    }
    let backlog = started.elapsed();
    let got: Vec<u64> = arrivals
        .lock()
        .map(|a| a.iter().map(|x| x.1).collect())
        .unwrap_or_default();
    anyhow::ensure!(
        got.len() == args.events,
        "{} deliveries for {} events",
        got.len(),
        args.events
    );
    anyhow::ensure!(
        got.windows(2).all(|w| w[0] < w[1]),
        "deliveries out of log order"
    );
    writeln!(
        out,
        "backlog: {} events delivered in {:.2} s ({rounds} rounds): {:.0} deliveries/s, each recorded in the log, once each, in log order",
        args.events,
        backlog.as_secs_f64(),
        args.events as f64 / backlog.as_secs_f64()
    )?;

    // Live: appended one by one at a steady rate while the deliverer runs
    // as `serve` runs it (woken by the log, or every half second).
    arrivals.lock().map(|mut a| a.clear()).ok();
    let deliverer = {
        let webhooks = state.webhooks.clone();
        let store = Arc::clone(&state.store);
        tokio::spawn(async move {
            let mut wake = store.wake();
            loop {
                let _ = tokio::time::timeout(Duration::from_millis(500), wake.changed()).await;
                if webhooks
                    .deliver_round(&Acting::system("webhooks", webhooks.now()))
                    .await
                    .is_err()
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        })
    };
    let mut appended: HashMap<u64, Instant> = HashMap::new();
    let mut every = tokio::time::interval(Duration::from_secs_f64(
        1.0 / f64::from(args.live_rate.max(1)),
    ));
    let name = StreamName::of(contracts::streams::BOOKING, "bench_live")?;
    let mut version = None;
    for i in 0..args.live_events {
        every.tick().await;
        let expected = version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
        let r = state
            .store
            .append(&name, expected, vec![acting.event(&booked(i, &site))?])
            .await?;
        version = r.next_expected;
        if let Some(p) = r.first_position {
            appended.insert(p.0, Instant::now());
        }
    }
    let waited = Instant::now();
    while arrivals.lock().map(|a| a.len()).unwrap_or(0) < args.live_events
        && waited.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    deliverer.abort();
    let mut lags: Vec<f64> = arrivals
        .lock()
        .map(|a| {
            a.iter()
                .filter_map(|(at, p)| {
                    appended
                        .get(p)
                        .map(|t| at.duration_since(*t).as_secs_f64() * 1000.0)
                })
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(
        lags.len() == args.live_events,
        "{} of {} live events delivered",
        lags.len(),
        args.live_events
    );
    lags.sort_by(f64::total_cmp);
    let at = |q: f64| lags[((lags.len() - 1) as f64 * q) as usize];
    writeln!(
        out,
        "live: {} events at {}/s, lag from append to receipt: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.live_events,
        args.live_rate,
        at(0.5),
        at(0.99),
        lags.last().copied().unwrap_or(0.0)
    )?;
    Ok(())
}
