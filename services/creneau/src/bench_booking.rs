//! `creneau bench booking`: bookings through real HTTP on loopback, on the
//! embedded store: sustained bookings with many concurrent clients over
//! many places, then a burst of clients racing for a few places.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use api::{Acting, Grant};
use contracts::proto::calendar::v1 as cal;
use contracts::{Reason, Role, SiteId};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Clone, clap::Args)]
pub struct BookingBenchArgs {
    /// Bookings in the sustained run.
    #[arg(long, default_value_t = 20_000)]
    pub bookings: usize,
    /// Concurrent clients in the sustained run (one keep-alive connection each).
    #[arg(long, default_value_t = 256)]
    pub clients: usize,
    /// Clients in the burst, each on its own connection.
    #[arg(long, default_value_t = 10_000)]
    pub burst_clients: usize,
    /// Places the burst races for.
    #[arg(long, default_value_t = 100)]
    pub burst_places: u32,
    /// Burst connections open at once: client and server share this
    /// process's file descriptors (two per connection), and a store that
    /// cannot open a file fails its commits.
    #[arg(long, default_value_t = 4_000)]
    pub burst_connections: usize,
    /// Offered rates for the open-loop run, in bookings per second: at each,
    /// bookings arrive on a fixed schedule whatever the answers, and the
    /// latency counts from the time each was due (so a server falling
    /// behind shows in it).
    #[arg(long, value_delimiter = ',', default_values_t = [250, 500, 1000, 2000, 3000, 4000])]
    pub rates: Vec<u32>,
    /// Seconds each offered rate lasts (0: no open-loop run).
    #[arg(long, default_value_t = 5)]
    pub rate_seconds: u64,
}

/// One keep-alive HTTP/1.1 connection.
struct Client {
    stream: BufReader<TcpStream>,
}

impl Client {
    async fn connect(address: SocketAddr) -> anyhow::Result<Self> {
        Ok(Client {
            stream: BufReader::new(TcpStream::connect(address).await?),
        })
    }

    /// POSTs `body` to /api/v1/appointments; the status code.
    async fn book(&mut self, token: &str, body: &str) -> anyhow::Result<u16> {
        let request = format!(
            "POST /api/v1/appointments HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .context("no status line")?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await?;
        Ok(status)
    }
}

/// A fixed shuffle (xorshift), so that runs compare.
pub(crate) fn shuffle<T>(v: &mut [T]) {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..v.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        v.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

/// What an open-loop run measured.
struct OpenLoop {
    /// From the time each booking was due to its answer, sorted.
    latencies: Vec<Duration>,
    done_per_second: f64,
    not_created: usize,
}

/// Sends `jobs` at `rate` per second on a fixed schedule, whatever the
/// answers: each booking is due at its time, takes an idle keep-alive
/// connection (or opens one), and its latency counts from when it was due.
async fn open_loop(
    address: SocketAddr,
    token: &str,
    jobs: Vec<String>,
    rate: u32,
) -> anyhow::Result<OpenLoop> {
    let idle: Arc<std::sync::Mutex<Vec<Client>>> = Arc::default();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.into_iter().enumerate() {
        let due = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
        tokio::time::sleep_until(due).await;
        let (idle, token) = (Arc::clone(&idle), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let taken = idle.lock().ok().and_then(|mut v| v.pop());
            let mut client = match taken {
                Some(c) => c,
                None => Client::connect(address).await?,
            };
            let status = client.book(&token, &job).await?;
            let latency = due.elapsed();
            if let Ok(mut v) = idle.lock() {
                v.push(client);
            }
            anyhow::Ok((latency, status))
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut not_created = 0;
    for t in tasks {
        let (latency, status) = t.await??;
        latencies.push(latency);
        not_created += usize::from(status != 201);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(OpenLoop {
        done_per_second: latencies.len() as f64 / elapsed,
        latencies,
        not_created,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn body(site: SiteId, start: &str, phone: usize) -> String {
    format!(
        r#"{{"site":"{site}","start":"{start}","reason":"procedure_caf","resident":{{"name":"Client {phone}","phone":"06{:08}"}}}}"#,
        phone
    )
}

pub(crate) async fn site_with_rule(
    state: &crate::server::AppState,
    name: &str,
    desks: u32,
    minutes: u32,
) -> anyhow::Result<SiteId> {
    let acting = Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock));
    let site = state
        .calendar
        .open_site(
            &acting,
            &cal::SiteDetails {
                name: name.into(),
                address: "1 place de la Mairie".into(),
                open: true,
                opens_on_public_holidays: true,
                ..Default::default()
            },
        )
        .await?;
    state
        .calendar
        .create_rule(
            &acting,
            &cal::PermanenceRule {
                site_id: site.to_string(),
                cron: "0 8 * * *".into(),
                duration_minutes: minutes,
                valid_from: contracts::time::local_date(eventlog::Clock::now(
                    &eventlog::SystemClock,
                ))
                .to_string(),
                offer: Some(cal::Offer {
                    appointments: true,
                    appointment_minutes: 10,
                    desks,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await?;
    Ok(site)
}

/// Every free place (site, start) for the reason, one entry per desk.
pub(crate) async fn places(
    state: &crate::server::AppState,
    site: SiteId,
    desks: u32,
) -> anyhow::Result<Vec<(SiteId, String)>> {
    let today = contracts::time::local_date(eventlog::Clock::now(&eventlog::SystemClock));
    let free = state
        .appointments
        .availability(
            Some(site),
            Reason::ProcedureCaf,
            today,
            40,
            eventlog::Clock::now(&eventlog::SystemClock),
        )
        .await?;
    Ok(free
        .into_iter()
        .flat_map(|a| (0..desks).map(move |_| (site, a.start.to_rfc3339())))
        .collect())
}

pub async fn run(args: BookingBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = crate::bench::BenchDir::new("booking");
    run_in(&dir.0, args, out).await
}

async fn run_in(
    dir: &std::path::Path,
    args: BookingBenchArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let state = crate::bench::bench_state(
        dir,
        Arc::new(reminders::sms::Outbox::new(dir.join("sms.jsonl")))
            as Arc<dyn reminders::sms::SmsProvider>,
    )
    .await?;
    let identity = state.identity.clone();
    let staff = identity
        .create_staff(
            &Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock)),
            identity::NewStaff {
                email: "accueil@bench.example.fr".into(),
                display_name: "Accueil".into(),
                password: Some("un mot de passe de banc d'essai".into()),
                grants: vec![Grant {
                    role: Role::Reception,
                    site: None,
                }],
            },
        )
        .await?;
    let token = identity
        .issue_token(
            &Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock)),
            staff.staff_id,
            "bench",
            Some(1),
            None,
        )
        .await?
        .token;

    // Sustained: six sites, 08:00–20:00 every day, 10-minute slots, 20 desks.
    let mut all = Vec::new();
    for i in 0..6 {
        let site = site_with_rule(&state, &format!("Site {i}"), 20, 720).await?;
        all.extend(places(&state, site, 20).await?);
    }
    // Residents book all over the calendar, not in its order: a fixed
    // shuffle (xorshift), so that runs compare. The sustained run takes the
    // first places, the open-loop run the next ones.
    shuffle(&mut all);
    let mut bodies = all
        .iter()
        .enumerate()
        .map(|(i, (site, start))| body(*site, start, i));
    let n = args.bookings.min(all.len());
    let jobs: Arc<Vec<String>> = Arc::new(bodies.by_ref().take(n).collect());
    writeln!(
        out,
        "{} places open; booking {} of them with {} clients",
        all.len(),
        jobs.len(),
        args.clients
    )?;

    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let listener = socket.listen(8192)?;
    let address = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::server::run(
        listener,
        crate::server::app(state.clone()),
        async {
            let _ = stopped.await;
        },
    ));

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.clients {
        let (jobs, next, token) = (Arc::clone(&jobs), Arc::clone(&next), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = Client::connect(address).await?;
            let mut latencies = Vec::new();
            let mut statuses = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let t = Instant::now();
                statuses.push(client.book(&token, job).await?);
                latencies.push(t.elapsed());
            }
            anyhow::Ok((latencies, statuses))
        }));
    }
    let mut latencies = Vec::new();
    let mut created = 0;
    let mut other = 0;
    for t in tasks {
        let (l, s) = t.await??;
        latencies.extend(l);
        created += s.iter().filter(|s| **s == 201).count();
        other += s.iter().filter(|s| **s != 201).count();
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    writeln!(
        out,
        "sustained: {created} bookings in {elapsed:.1} s = {:.0} bookings/s; p50 {:.1} ms, p99 {:.1} ms; {other} not 201",
        created as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99)
    )?;

    for &rate in args.rates.iter().filter(|_| args.rate_seconds > 0) {
        let wanted = rate as usize * args.rate_seconds as usize;
        let jobs: Vec<String> = bodies.by_ref().take(wanted).collect();
        anyhow::ensure!(jobs.len() == wanted, "not enough free places for {rate}/s");
        let r = open_loop(address, &token, jobs, rate).await?;
        writeln!(
            out,
            "open loop: {rate:>5} bookings/s offered for {} s: {:.0}/s done; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {} not 201",
            args.rate_seconds,
            r.done_per_second,
            percentile(&r.latencies, 0.50),
            percentile(&r.latencies, 0.99),
            percentile(&r.latencies, 1.0),
            r.not_created
        )?;
        if r.done_per_second < 0.9 * f64::from(rate) {
            writeln!(
                out,
                "open loop: saturated at {rate}/s offered; higher rates not run"
            )?;
            break;
        }
    }

    // Burst: many clients, each on its own connection, for a few places.
    let desks = args.burst_places.div_ceil(5).max(1);
    let site = site_with_rule(&state, "Burst", desks, 50).await?;
    let free = places(&state, site, desks).await?;
    let target: Vec<String> = free
        .iter()
        .map(|(_, s)| s.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .take(5)
        .collect();
    let capacity = target.len() * desks as usize;
    let barrier = Arc::new(tokio::sync::Barrier::new(args.burst_clients));
    let connections = Arc::new(tokio::sync::Semaphore::new(args.burst_connections.max(1)));
    let mut tasks = Vec::new();
    for i in 0..args.burst_clients {
        let start = target[i % target.len()].clone();
        let (token, barrier, connections) = (
            token.clone(),
            Arc::clone(&barrier),
            Arc::clone(&connections),
        );
        tasks.push(tokio::spawn(async move {
            let payload = body(site, &start, 50_000_000 + i);
            barrier.wait().await;
            let t = Instant::now();
            let _open = connections.acquire().await?;
            let mut client = Client::connect(address).await?;
            let status = client.book(&token, &payload).await?;
            anyhow::Ok((t.elapsed(), status))
        }));
    }
    let mut burst = Vec::new();
    let (mut won, mut lost, mut failed) = (0, 0, 0);
    for t in tasks {
        match t.await? {
            Ok((d, 201)) => {
                won += 1;
                burst.push(d);
            }
            Ok((d, 409)) => {
                lost += 1;
                burst.push(d);
            }
            _ => failed += 1,
        }
    }
    burst.sort();
    writeln!(
        out,
        "burst: {} clients ({} connections at once) for {capacity} places: {won} booked, {lost} got 409 with alternatives, {failed} failed; p50 {:.1} ms, p99 {:.1} ms",
        args.burst_clients,
        args.burst_connections,
        percentile(&burst, 0.50),
        percentile(&burst, 0.99)
    )?;
    let _ = stop.send(());
    let _ = server.await;
    anyhow::ensure!(
        won == capacity,
        "the burst booked {won} places out of {capacity}"
    );
    Ok(())
}
