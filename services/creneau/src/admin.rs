//! Commands for administrators: the first account, audit, erasure, export,
//! and the daily retention job that `serve` runs.

use std::io::{IsTerminal as _, Write};
use std::time::Duration;

use anyhow::{Context as _, bail};
use api::Grant;
use contracts::{ResidentId, Role, StaffId};
use identity::{Acting, ErasureCause, Identity, NewStaff, Subject};
use tracing::Instrument as _;

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The administrator's email: their sign-in name.
    #[arg(long)]
    pub email: String,
    /// The name colleagues see (default: the part of the email before @).
    #[arg(long)]
    pub name: Option<String>,
    /// Generate a password and print it once, instead of asking for one.
    #[arg(long)]
    pub generate_password: bool,
}

#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct AuditArgs {
    /// Everything that concerns this resident, and who did it.
    #[arg(long)]
    pub resident: Option<String>,
    /// Everything this staff member did, and what was done to their account.
    #[arg(long)]
    pub staff: Option<String>,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn ask_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!(
            "there is no terminal to type a password in: run it in a terminal, or add --generate-password"
        );
    }
    loop {
        let first = rpassword::prompt_password("Password (12 characters or more): ")
            .context("cannot read the password from the terminal")?;
        if let Err(e) = identity::password::check_policy(&first) {
            eprintln!("{e}");
            continue;
        }
        let again = rpassword::prompt_password("The same password again: ")
            .context("cannot read the password from the terminal")?;
        if first == again {
            return Ok(first);
        }
        eprintln!("the two passwords differ: try again");
    }
}

pub async fn create(
    identity: &Identity,
    args: CreateArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let password = if args.generate_password {
        None
    } else {
        Some(ask_password()?)
    };
    let name = args.name.unwrap_or_else(|| {
        args.email
            .split('@')
            .next()
            .unwrap_or(&args.email)
            .to_owned()
    });
    let created = identity
        .create_staff(
            &Acting::system("admin-cli", identity.now()),
            NewStaff {
                email: args.email.clone(),
                display_name: name,
                password,
                grants: vec![Grant {
                    role: Role::Admin,
                    site: None,
                }],
            },
        )
        .await?;
    writeln!(
        out,
        "created administrator {} ({})",
        args.email.trim(),
        created.staff_id
    )?;
    if let Some(p) = created.generated_password {
        writeln!(out, "password: {p}")?;
        writeln!(
            out,
            "this password is shown once: give it to its owner, who should change it after signing in"
        )?;
    }
    Ok(())
}

pub async fn audit(
    identity: &Identity,
    args: AuditArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let subject = match (&args.resident, &args.staff) {
        (Some(r), _) => Subject::Resident(
            r.parse::<ResidentId>()
                .map_err(|_| anyhow::anyhow!("{r:?} is not a resident id (a UUID)"))?,
        ),
        (None, Some(s)) => Subject::Staff(
            s.parse::<StaffId>()
                .map_err(|_| anyhow::anyhow!("{s:?} is not a staff id (a UUID)"))?,
        ),
        (None, None) => bail!("say whose history to list: --resident <id> or --staff <id>"),
    };
    let entries = identity.audit(subject).await?;
    if entries.is_empty() {
        eprintln!("nothing in the log concerns them");
    }
    for e in entries {
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&e)?)?;
        } else {
            let at = contracts::time::to_local(e.at).format("%Y-%m-%d %H:%M:%S");
            let who = match &e.actor_name {
                Some(name) => format!("{} ({name})", e.actor),
                None => e.actor.clone(),
            };
            writeln!(
                out,
                "{at}  #{:<8} {who:<60} {:<48} {}  correlation {}",
                e.position, e.event_type, e.stream, e.correlation_id
            )?;
        }
    }
    Ok(())
}

fn resident_id(raw: &str) -> anyhow::Result<ResidentId> {
    raw.parse()
        .map_err(|_| anyhow::anyhow!("{raw:?} is not a resident id (a UUID): find it with `creneau audit` or in the staff pages"))
}

pub async fn erase(
    identity: &Identity,
    appointments: &appointments::Appointments,
    raw: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let id = resident_id(raw)?;
    let acting = Acting::system("admin-cli", identity.now());
    // First what is ahead of them: their future appointments.
    let cancelled = appointments.cancel_future_of(&acting, id).await?;
    if cancelled > 0 {
        writeln!(out, "cancelled {cancelled} future appointment(s)")?;
    }
    let erasure = identity
        .erase_resident(&acting, id, ErasureCause::Request)
        .await?;
    if erasure.newly_erased {
        writeln!(
            out,
            "erased resident {id}: their personal data can no longer be read; their visits still count in the statistics"
        )?;
    } else {
        writeln!(out, "resident {id} was erased already")?;
    }
    Ok(())
}

pub async fn export(identity: &Identity, raw: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let id = resident_id(raw)?;
    let export = identity.export_resident(id).await?;
    serde_json::to_writer_pretty(&mut *out, &export)?;
    writeln!(out)?;
    Ok(())
}

/// How long after start the first retention sweep runs, then how often.
const RETENTION_FIRST: Duration = Duration::from_secs(60);
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The retention sweep's lease is `lease-retention`.
pub const RETENTION_WORK: &str = "retention";
/// The no-show sweep's lease is `lease-no-shows`.
pub const NO_SHOWS_WORK: &str = "no-shows";

/// The retention sweep's lease: a day less an hour, so that the process
/// that swept keeps it to its next sweep and the others skip theirs.
pub const RETENTION_LEASE: Duration = Duration::from_secs(23 * 3600);
/// The no-show sweep's lease: longer than its minute, for the same reason;
/// another process takes over within it when the holder is gone.
pub const NO_SHOWS_LEASE: Duration = Duration::from_secs(90);
/// The waiting lists' offers: every few seconds (a freed place goes out
/// soon), one process at a time; a standby takes over a few seconds after
/// the holder stopped renewing.
pub const WAITLISTS_WORK: &str = "waitlists";
pub const WAITLISTS_LEASE: Duration = Duration::from_secs(6);
pub const WAITLISTS_EVERY: Duration = Duration::from_secs(2);

/// Whether this process does `work` now: it holds the lease, or the lease
/// could not be read (said in the log; the work waits for its next turn).
async fn my_turn(lease: &api::Lease, work: &str) -> bool {
    match lease.hold().await {
        Ok(held) => held,
        Err(e) => {
            tracing::error!(work, error = %api::chain(&e), "the lease could not be read: skipped this time");
            false
        }
    }
}

/// Erases inactive residents once a day, for as long as the server runs.
/// Every process runs this loop; the one holding the `lease-retention`
/// lease sweeps (an erasure is idempotent besides).
pub async fn retention_daily(identity: Identity, lease: api::Lease) {
    tokio::time::sleep(RETENTION_FIRST).await;
    let mut every = tokio::time::interval(RETENTION_EVERY);
    loop {
        every.tick().await;
        if !my_turn(&lease, "retention").await {
            continue;
        }
        let span = tracing::info_span!("retention", correlation_id = %uuid::Uuid::now_v7());
        async {
            match identity.retention_sweep(identity.now()).await {
                Ok(erased) => tracing::info!(erased = erased.len(), "retention sweep done"),
                Err(e) => tracing::error!(error = %e, "retention sweep failed; next try in a day"),
            }
        }
        .instrument(span)
        .await;
    }
}

/// Releases the waiting lists' lapsed offers, then holds each freed place
/// for the first one waiting (none at night), every few seconds, for as
/// long as the server runs. Every process runs this loop; the one holding
/// the `lease-waitlists` lease offers (each hold is decided at its booking
/// stream's version, and its event id is the entry's next offer's, so two
/// processes would still make each offer once).
pub async fn waitlists_every_few_seconds(
    appointments: appointments::Appointments,
    lease: api::Lease,
) {
    let mut every = tokio::time::interval(WAITLISTS_EVERY);
    loop {
        every.tick().await;
        if !my_turn(&lease, WAITLISTS_WORK).await {
            continue;
        }
        let span = tracing::info_span!("waitlists", correlation_id = %uuid::Uuid::now_v7());
        async {
            match appointments.release_lapsed(appointments.now()).await {
                Ok(0) => {}
                Ok(released) => tracing::info!(released, "lapsed waiting-list offers released"),
                Err(e) => {
                    tracing::error!(error = %e, "lapsed offers sweep failed; tried again soon")
                }
            }
            match appointments.offer_freed_places(appointments.now()).await {
                Ok(0) => {}
                Ok(offered) => tracing::info!(offered, "freed places offered to waiting lists"),
                Err(e) => {
                    tracing::error!(error = %e, "waiting-list offers failed; tried again soon")
                }
            }
        }
        .instrument(span)
        .await;
    }
}

/// The webhooks' lease: the deliveries are made by one process at a time,
/// another takes over within seconds of its holder's end.
pub const WEBHOOKS_WORK: &str = webhooks::LEASE_WORK;
pub const WEBHOOKS_LEASE: Duration = Duration::from_secs(6);
pub const WEBHOOKS_EVERY: Duration = Duration::from_millis(500);

/// Delivers to webhooks what happened, every half second or as soon as
/// the log moves, for as long as the server runs. Every process runs this
/// loop; the one holding `lease-webhooks` delivers, and each delivery is
/// recorded at the version of its subscription's stream besides.
pub async fn webhooks_every_half_second(
    webhooks: webhooks::Webhooks,
    lease: api::Lease,
    store: std::sync::Arc<dyn eventlog::EventStore>,
) {
    let mut wake = store.wake();
    loop {
        // The log moved, or half a second went by (a retry falls due).
        let _ = tokio::time::timeout(WEBHOOKS_EVERY, wake.changed()).await;
        if !my_turn(&lease, WEBHOOKS_WORK).await {
            tokio::time::sleep(WEBHOOKS_EVERY).await;
            continue;
        }
        let correlation = uuid::Uuid::now_v7();
        let span = tracing::info_span!("webhooks", correlation_id = %correlation);
        async {
            let acting = api::Acting::new(
                eventlog::Actor::System("webhooks".into()),
                correlation,
                webhooks.now(),
            );
            match webhooks.deliver_round(&acting).await {
                Ok(0) => {}
                Ok(delivered) => tracing::info!(delivered, "delivered to webhooks"),
                Err(e) => {
                    tracing::error!(error = %api::chain(&e), "webhook deliveries failed; tried again soon")
                }
            }
        }
        .instrument(span)
        .await;
    }
}

/// Marks appointments as not come once their permanence has ended,
/// cancels those of erased residents and those at permanences (and
/// workshop sessions) that will not take place, every minute, for as long as the
/// server runs. Every process runs this loop; the one holding the
/// `lease-no-shows` lease sweeps (each mark is appended at the version it
/// decided from besides).
pub async fn no_shows_every_minute(appointments: appointments::Appointments, lease: api::Lease) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        if !my_turn(&lease, "no-shows").await {
            continue;
        }
        let span = tracing::info_span!("no-shows", correlation_id = %uuid::Uuid::now_v7());
        async {
            match appointments.mark_no_shows(appointments.now()).await {
                Ok(0) => {}
                Ok(marked) => tracing::info!(marked, "appointments marked as not come"),
                Err(e) => tracing::error!(error = %e, "no-show sweep failed; next try in a minute"),
            }
            match appointments.cancel_for_erased(appointments.now()).await {
                Ok(0) => {}
                Ok(cancelled) => {
                    tracing::info!(cancelled, "appointments of erased residents cancelled")
                }
                Err(e) => tracing::error!(error = %e, "erasure sweep failed; next try in a minute"),
            }
            match appointments.cancel_for_closed(appointments.now()).await {
                Ok(0) => {}
                Ok(cancelled) => {
                    tracing::info!(cancelled, "appointments at cancelled permanences cancelled")
                }
                Err(e) => {
                    tracing::error!(error = %e, "closure sweep failed; next try in a minute")
                }
            }
            match appointments.follow_moved_sessions(appointments.now()).await {
                Ok(0) => {}
                Ok(moved) => tracing::info!(moved, "workshop places moved with their session"),
                Err(e) => tracing::error!(error = %e, "session moves failed; next try in a minute"),
            }
            match appointments.complete_series(appointments.now()).await {
                Ok(0) => {}
                Ok(cancelled) => {
                    tracing::warn!(cancelled, "places of series enrolments cut short cancelled")
                }
                Err(e) => tracing::error!(error = %e, "series sweep failed; next try in a minute"),
            }
        }
        .instrument(span)
        .await;
    }
}
