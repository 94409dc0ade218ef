//! The command line.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::RawConfig;
use crate::server::{self, AppState};
use crate::services::Service;
use crate::{admin, bench, debug, events, setup};

/// Créneau: help-desk permanences and appointments for social services.
#[derive(Debug, Parser)]
#[command(name = "creneau", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: RawConfig,
    /// Log lines as text for people or JSON for machines.
    #[arg(long, env = "CRENEAU_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serves Créneau over HTTP until Ctrl-C or SIGTERM.
    Serve {
        /// Load the demo data first (six sites, staff of every role), unless the store has sites.
        #[arg(long)]
        demo: bool,
        /// The services this process runs, comma-separated: identity, calendar,
        /// appointments, reminders, stats, web (or all). It serves only their
        /// routes and runs only their background work.
        #[arg(long, env = "CRENEAU_SERVICES", default_value = "all")]
        services: crate::services::Services,
    },
    /// Loads the demo data (six sites, permanences, staff of every role), unless the store has sites.
    Demo,
    /// Reads the event log.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Staff accounts from the command line.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Lists who did what and when, for one resident or one staff member.
    Audit(admin::AuditArgs),
    /// Residents' personal data: erasure and right of access.
    #[command(subcommand)]
    Residents(ResidentsCommand),
    /// Measures speed.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Helpers for fault-injection tests.
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
    /// The statistics: `stats rebuild` folds them again from the first event.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// Writes a realistic stretch of activity (sites, permanences, visits,
    /// appointments) through the real handlers, dated in the past, for the
    /// statistics.
    Simulate(crate::simulate::SimulateArgs),
    /// Checks a configuration without starting anything.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validates the settings (flags, environment, file) and says what a
    /// process would run; after `--`, a whole command line instead, e.g.
    /// `creneau config check -- serve --services reminders`.
    Check {
        /// A `creneau` command line, without `creneau`.
        #[arg(last = true)]
        line: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Shows the last events, and follows new ones with --follow.
    Tail(events::TailArgs),
    /// Counts events by category and type.
    Stats,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates an administrator of every site (the first account).
    Create(admin::CreateArgs),
}

#[derive(Debug, Subcommand)]
pub enum ResidentsCommand {
    /// Erases a resident: their personal data becomes unreadable for good;
    /// their visits still count in the statistics.
    Erase {
        /// The resident's id.
        resident_id: String,
    },
    /// Prints everything held on a resident, as JSON (right of access).
    Export {
        /// The resident's id.
        resident_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Appends and replay of the event log, on SQLite and PostgreSQL.
    Eventlog(bench::BenchArgs),
    /// Password hashing, sign-in, and credential checks per request.
    Identity(bench::IdentityBenchArgs),
    /// Permanence and slot queries over the demo city.
    Calendar(bench::CalendarBenchArgs),
    /// Bookings through HTTP: sustained, and a burst racing for a few places.
    Booking(crate::bench_booking::BookingBenchArgs),
    /// Many SMS due at once, sent to a loopback stand-in: messages/s, none twice.
    Reminders(crate::bench_reminders::RemindersBenchArgs),
    /// Many places freed at once with people waiting: offers/s, none twice.
    Waitlist(crate::bench_waitlist::WaitlistBenchArgs),
    /// The statistics' fold over many events, beside the raw read rate.
    Stats(crate::bench_stats::StatsBenchArgs),
    /// Many events delivered to a webhook receiver on loopback: deliveries/s and lag.
    Webhooks(crate::bench_webhooks::WebhooksBenchArgs),
    /// How long a new process takes to be ready on a long log.
    Ready(crate::bench_stats::ReadyBenchArgs),
    /// The disk's durable-write rate (4 KiB write + fdatasync, for a
    /// second), printed beside every figure that depends on it.
    Disk(bench::DiskArgs),
}

#[derive(Debug, Subcommand)]
pub enum StatsCommand {
    /// Drops the stored statistics and folds them again from the first
    /// event, showing the progress, then stores them with their checkpoint.
    Rebuild,
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Appends forever, printing each acknowledged append.
    AppendLoop {
        #[arg(long, default_value_t = 3)]
        batch: usize,
    },
    /// Runs the reminders' rounds forever on the process's clock (see
    /// `--clock-start`), with a short lease, printing each round that did
    /// something.
    Reminders {
        #[arg(long, default_value_t = 1000)]
        lease_ms: u64,
    },
}

/// Sets up logging: text or JSON, level from `RUST_LOG` (default `info`).
pub fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // When the log's reader is gone (a closed pipe), a failed write
        // must not be reported with eprintln!, which panics and took every
        // request down with it.
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}

/// Carries out the command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config.validate()?;
    let mut stdout = std::io::stdout();
    // The one clock of the process: every service composed below reads it.
    let clock = config.clock();
    // Outside a request, what Créneau says (a command's refusal) is in its
    // operator's locale, and in English (the command line's own language)
    // when the locale names none Créneau speaks. The server's requests
    // speak their callers' languages.
    messages::set_default(messages::from_locale_env().unwrap_or(messages::Language::En));
    match cli.command {
        Command::Serve { demo, services } => {
            crate::check::serve_allowed(&config, &services)?;
            // Held until the process ends: one server per SQLite file.
            let _one_server = crate::check::one_server_per_file(&config)?;
            let (store, vault, identity) =
                setup::open_identity_unread(&config, Arc::clone(&clock)).await?;
            let state = AppState::open_running(
                store,
                vault,
                identity,
                setup::senders(&config)?,
                config.sms.reminders.clone(),
                Some(config.origin()),
                services.clone(),
            )
            .await?;
            for left in services.leaves() {
                if let Some((work, stops)) = left.singleton() {
                    tracing::warn!(
                        service = left.name(),
                        lease = work,
                        "this process does not run {left}: another one must, or {stops}; /readyz says whether one does"
                    );
                }
            }
            if demo {
                crate::demo::load(
                    &state.identity,
                    &state.calendar,
                    &state.appointments,
                    &mut stdout,
                )
                .await?;
            }
            let lease = |work: &str, lasts: std::time::Duration| {
                api::Lease::new(
                    Arc::clone(&state.store),
                    Arc::clone(&state.clock),
                    work,
                    api::Lease::this_process(),
                    lasts,
                )
            };
            if services.runs(Service::Identity) {
                tokio::spawn(admin::retention_daily(
                    state.identity.clone(),
                    lease(admin::RETENTION_WORK, admin::RETENTION_LEASE)?,
                ));
            }
            if services.runs(Service::Appointments) {
                tokio::spawn(admin::no_shows_every_minute(
                    state.appointments.clone(),
                    lease(admin::NO_SHOWS_WORK, admin::NO_SHOWS_LEASE)?,
                ));
                tokio::spawn(admin::waitlists_every_few_seconds(
                    state.appointments.clone(),
                    lease(admin::WAITLISTS_WORK, admin::WAITLISTS_LEASE)?,
                ));
            }
            if services.runs(Service::Reminders) {
                state.reminders.clone().spawn();
            }
            if services.runs(Service::Webhooks) {
                tokio::spawn(admin::webhooks_every_half_second(
                    state.webhooks.clone(),
                    lease(admin::WEBHOOKS_WORK, admin::WEBHOOKS_LEASE)?,
                    Arc::clone(&state.store),
                ));
            }
            // Each model folds the log now, not at its first request:
            // `/readyz` answers 200 once they all have.
            server::warm_up(&state);
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}: is another program using it? set --listen or CRENEAU_LISTEN", config.listen))?;
            let address = listener.local_addr()?;
            tracing::info!(%address, backend = state.store.backend(), services = %services, "listening on http://{address}");
            server::run(listener, server::app(state), server::shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Config(ConfigCommand::Check { line }) => {
            crate::check::check(config, line, &mut stdout)?;
        }
        Command::Demo => {
            let (store, vault, identity) =
                setup::open_identity(&config, Arc::clone(&clock)).await?;
            let calendar = setup::open_calendar(&store, &vault).await?;
            let appointments = setup::open_appointments(&store, &identity).await?;
            crate::demo::load(&identity, &calendar, &appointments, &mut stdout).await?;
        }
        Command::Events(EventsCommand::Tail(args)) => {
            let store = setup::open_store(&config).await?;
            let vault = setup::existing_vault(&config, &store).await;
            if vault.is_none() {
                eprintln!("note: no master key at hand: personal values are shown as [sealed]");
            }
            events::tail(store, vault, args, &mut stdout).await?;
        }
        Command::Admin(AdminCommand::Create(args)) => {
            let (_, _, identity) = setup::open_identity(&config, Arc::clone(&clock)).await?;
            admin::create(&identity, args, &mut stdout).await?;
        }
        Command::Audit(args) => {
            let (_, _, identity) = setup::open_identity(&config, Arc::clone(&clock)).await?;
            admin::audit(&identity, args, &mut stdout).await?;
        }
        Command::Residents(ResidentsCommand::Erase { resident_id }) => {
            let (store, _, identity) = setup::open_identity(&config, Arc::clone(&clock)).await?;
            let appointments = setup::open_appointments(&store, &identity).await?;
            admin::erase(&identity, &appointments, &resident_id, &mut stdout).await?;
        }
        Command::Residents(ResidentsCommand::Export { resident_id }) => {
            let (_, _, identity) = setup::open_identity(&config, Arc::clone(&clock)).await?;
            admin::export(&identity, &resident_id, &mut stdout).await?;
        }
        Command::Events(EventsCommand::Stats) => {
            events::stats(setup::open_store(&config).await?, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Eventlog(args)) => {
            bench::run(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Stats(args)) => {
            crate::bench_stats::run(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Disk(args)) => {
            bench::disk(&args.dir, &mut stdout)?;
        }
        Command::Bench(BenchCommand::Ready(args)) => {
            crate::bench_stats::ready(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Reminders(args)) => {
            crate::bench_reminders::run(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Webhooks(args)) => {
            crate::bench_webhooks::run(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Waitlist(args)) => {
            crate::bench_waitlist::run(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Booking(args)) => {
            crate::bench_booking::run(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Calendar(args)) => {
            bench::run_calendar(args, &mut stdout).await?;
        }
        Command::Bench(BenchCommand::Identity(args)) => {
            bench::run_identity(args, &mut stdout).await?;
        }
        Command::Stats(StatsCommand::Rebuild) => {
            let store = setup::open_store(&config).await?;
            let stats = stats::Stats::new(store);
            let started = std::time::Instant::now();
            let events = stats
                .rebuild(|folded, head| {
                    let share = if head == 0 {
                        1.0
                    } else {
                        folded as f64 / head as f64
                    };
                    let filled = (share * 30.0).round() as usize;
                    eprint!(
                        "\r[{}{}] {:3.0} %  {folded} / {head}",
                        "#".repeat(filled),
                        " ".repeat(30 - filled.min(30)),
                        share * 100.0
                    );
                })
                .await?;
            eprintln!();
            writeln!(
                stdout,
                "statistics rebuilt: {events} events folded in {:.1} s, stored with their checkpoint",
                started.elapsed().as_secs_f64()
            )?;
        }
        Command::Simulate(args) => {
            // Identity's directory is read with the other models.
            let (store, vault, identity) =
                setup::open_identity_unread(&config, Arc::clone(&clock)).await?;
            let state = AppState::open(
                store,
                vault,
                identity,
                setup::senders(&config)?,
                config.sms.reminders.clone(),
                Some(config.origin()),
            )
            .await?;
            let w = crate::simulate::run(&state, &args, &mut stdout).await?;
            writeln!(
                stdout,
                "simulated {} to {}: {} permanences, {} drop-in visitors, {} appointments",
                args.from, args.to, w.permanences, w.visitors, w.appointments
            )?;
        }
        Command::Debug(DebugCommand::Reminders { lease_ms }) => {
            let (store, _, identity) = setup::open_identity(&config, Arc::clone(&clock)).await?;
            debug::reminders_loop(
                &config,
                store,
                identity,
                std::time::Duration::from_millis(lease_ms),
                &mut stdout,
            )
            .await?;
        }
        Command::Debug(DebugCommand::AppendLoop { batch }) => {
            let store = setup::open_store(&config).await?;
            debug::append_loop(store, clock, batch, &mut stdout).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
