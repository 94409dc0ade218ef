//! `creneau bench waitlist`: N places freed at once (cancellations) with
//! more people waiting than that; the time for the waiting lists to hold
//! every place for one person each (offers per second), checked: no place
//! held twice, nobody offered two places, the first ones waiting served
//! first. Two "processes" (two appointments services over one SQLite log)
//! offer at the same time, as two API processes would.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use api::Acting;
use chrono::{Days, Utc};
use contracts::{AppointmentId, Language, Reason};
use futures_util::StreamExt as _;

#[derive(Debug, Clone, clap::Args)]
pub struct WaitlistBenchArgs {
    /// Places freed at once.
    #[arg(long, default_value_t = 1_000)]
    pub places: usize,
    /// People waiting beyond the places freed.
    #[arg(long, default_value_t = 200)]
    pub more_waiting: usize,
    /// Bookings made at once while setting up.
    #[arg(long, default_value_t = 64)]
    pub booking_tasks: usize,
}

pub async fn run(args: WaitlistBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = crate::bench::BenchDir::new("waitlist");
    run_in(&dir.0, args, out).await
}

async fn run_in(
    dir: &std::path::Path,
    args: WaitlistBenchArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let state = crate::bench::bench_state(
        dir,
        Arc::new(reminders::sms::Outbox::new(dir.join("sms.jsonl")))
            as Arc<dyn reminders::sms::SmsProvider>,
    )
    .await?;
    let now = eventlog::Clock::now(&eventlog::SystemClock);
    // One site, every place of its next four weeks booked: 20 desks, three
    // 10-minute appointments a day.
    let started = Instant::now();
    let site = crate::bench_booking::site_with_rule(&state, "Site", 20, 30).await?;
    let places = crate::bench_booking::places(&state, site, 20).await?;
    let acting = Acting::system("bench", now);
    let booked: Vec<anyhow::Result<(AppointmentId, chrono::DateTime<Utc>)>> =
        futures_util::stream::iter(places.into_iter().enumerate())
            .map(|(i, (site, start))| {
                let state = state.clone();
                let acting = acting.clone();
                async move {
                    let start = chrono::DateTime::parse_from_rfc3339(&start)?.with_timezone(&Utc);
                    let b = state
                        .appointments
                        .book(
                            appointments::BookRequest {
                                sms_consent: true,
                                site,
                                start,
                                reason: Reason::ProcedureCaf,
                                name: format!("Résident {i}"),
                                phone: format!("06{i:08}"),
                                email: None,
                                language: Language::Fr,
                                note: None,
                                confirmation: None,
                            },
                            appointments::Booker::Staff {
                                acting,
                                override_reason: None,
                            },
                            now,
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("booking {i}: {e}"))?;
                    Ok((b.booking.id, start))
                }
            })
            .buffer_unordered(args.booking_tasks.max(1))
            .collect()
            .await;
    let mut booked = booked.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let total = booked.len();
    // Offers are made in the day: tomorrow at 10:00; places from the day
    // after are freed.
    let morning = contracts::time::to_utc(
        (contracts::time::local_date(now) + Days::new(1))
            .and_hms_opt(10, 0, 0)
            .context("10:00 exists")?,
    )?;
    let after = morning + chrono::Duration::days(1);
    booked.retain(|(_, start)| *start >= after);
    anyhow::ensure!(
        booked.len() >= args.places,
        "only {} places to free for {}",
        booked.len(),
        args.places
    );
    booked.truncate(args.places);
    let waiting = args.places + args.more_waiting;
    let mut entries = Vec::with_capacity(waiting);
    for i in 0..waiting {
        let joined = state
            .appointments
            .join_waitlist(
                appointments::JoinRequest {
                    site,
                    reason: Reason::ProcedureCaf,
                    workshop: None,
                    name: format!("Attente {i}"),
                    phone: format!("07{:08}", 80_000_000 + i),
                    language: Language::Fr,
                    sms_consent: true,
                },
                appointments::Booker::Staff {
                    acting: acting.clone(),
                    override_reason: None,
                },
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("joining {i}: {e}"))?;
        entries.push(joined.entry.id);
    }
    for (id, _) in &booked {
        state
            .appointments
            .cancel(&acting, *id, contracts::Party::Staff, "libéré")
            .await?;
    }
    writeln!(
        out,
        "set-up: {total} places booked, {waiting} waiting, {} freed, in {:.1} s",
        args.places,
        started.elapsed().as_secs_f64()
    )?;

    let other = appointments::Appointments::new(
        Arc::clone(&state.store),
        Arc::new(state.identity.clone()),
        state.vault.clone(),
        appointments::Settings::default(),
        Arc::clone(&state.clock),
    )
    .await?;
    let started = Instant::now();
    let (a, b) = tokio::join!(
        state.appointments.offer_freed_places(morning),
        other.offer_freed_places(morning)
    );
    let made = a? + b?;
    let took = started.elapsed().as_secs_f64();
    let m = state.appointments.model().await?;
    let live: Vec<_> = m
        .waitlists
        .holds
        .values()
        .filter(|h| h.state == appointments::HoldState::Live)
        .collect();
    let people: HashSet<_> = live.iter().map(|h| h.entry).collect();
    let first: HashSet<_> = entries[..args.places].iter().collect();
    anyhow::ensure!(
        made == args.places,
        "{made} offers for {} places",
        args.places
    );
    anyhow::ensure!(live.len() == made, "{} holds for {made} offers", live.len());
    anyhow::ensure!(people.len() == live.len(), "someone was offered two places");
    anyhow::ensure!(
        people.iter().all(|e| first.contains(e)),
        "an offer skipped someone ahead in the list"
    );
    writeln!(
        out,
        "{made} places freed at once, held by two processes: {:.2} s, {:.0} offers/s; each place once, each person once, in the list's order",
        took,
        made as f64 / took
    )?;
    Ok(())
}
