//! `creneau simulate`: a realistic stretch of activity written through the
//! real command handlers, each event dated when it would have happened, so
//! that the statistics have something to show and their tests something to
//! check.
//!
//! Calibrated on the 2019 figures of a city's six espaces numériques
//! (`../shared/context`): 3 to 9 people per drop-in permanence (site by
//! site), about 1.3 requests per person (4 to 11.5 per permanence), 60–80 %
//! of visits about online procedures, 30–50 % about the smartphone, 10–20 %
//! about computers, up to 30 % printing or scanning at some sites, 10–20 %
//! of requests done autonomously; the most frequent procedures are
//! employment (France Travail), the préfecture, the CAF and the ANTS. Each
//! site also has a weekly appointment morning, booked online or by
//! reception some days ahead, with cancellations and no-shows.
//!
//! Unless `--no-workshops`, each site also runs a weekly workshop
//! ("Premiers pas sur smartphone", 8 places): residents guided step by
//! step on a device are oriented to it at the end of an appointment and
//! enrolled in its next session, reception fills other places, and the
//! autonomy recorded at the workshop shows the progression the
//! evaluation could not see (its share of initiation sessions was small).
//! Workshop draws come from a generator of their own, so that the same
//! seed gives the same visits with or without workshops.

use std::io::Write;

use anyhow::Context as _;
use api::Acting;
use appointments::{BookRequest, Booker, Stage, TicketState};
use chrono::{Duration, NaiveDate};
use contracts::proto::appointments::v1 as ev;
use contracts::proto::calendar::v1 as cal;
use contracts::{Language, Reason, SiteId};

use crate::server::AppState;

#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    #[arg(long, default_value_t = 6)]
    pub sites: usize,
    /// First day, e.g. 2019-01-01.
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day, e.g. 2019-12-31.
    #[arg(long)]
    pub to: NaiveDate,
    /// Makes the same activity every time.
    #[arg(long, default_value_t = 2019)]
    pub seed: u64,
    /// Leaves the workshops out: the offer the evaluation found, to
    /// compare with the same activity and a workshop offer.
    #[arg(long)]
    pub no_workshops: bool,
    /// Sites written side by side (their appends share group commits):
    /// 32 writes a national network's year in minutes. With more than one,
    /// a site's activity may depend on another's now and then (a phone or
    /// an address drawn by both), so a seed repeats exactly only with 1.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
}

/// A site's workshop in the simulation, and its own draws.
struct WorkshopSim {
    rule: contracts::RuleId,
    rng: Rng,
}

/// What one site is like, within the figures' ranges.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Mean people per drop-in permanence.
    pub people: f64,
    /// Chance that a visit is about each kind.
    pub procedure: f64,
    pub smartphone: f64,
    pub computer: f64,
    pub printing: f64,
    /// Chance that a request is done autonomously.
    pub autonomous: f64,
}

/// Site `i` of `n`: the sites spread over the ranges.
pub fn profile(i: usize, n: usize) -> Profile {
    let t = if n > 1 {
        i as f64 / (n - 1) as f64
    } else {
        0.5
    };
    Profile {
        people: 3.5 + 5.0 * t,
        procedure: 0.6 + 0.2 * t,
        smartphone: 0.5 - 0.2 * t,
        computer: 0.1 + 0.1 * (1.0 - t),
        printing: if i.is_multiple_of(2) { 0.25 } else { 0.05 },
        autonomous: 0.1 + 0.1 * t,
    }
}

/// A small, seeded generator (xorshift64*): the same year every time.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.draw() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// In [low, high].
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.draw() % (high - low + 1).max(1) as u64) as i64
    }
}

/// The procedure a visit is about: employment first, then the préfecture,
/// the CAF, the ANTS, the rest.
fn procedure(rng: &mut Rng) -> Reason {
    let x = rng.unit();
    match x {
        x if x < 0.28 => Reason::ProcedureFranceTravail,
        x if x < 0.50 => Reason::ProcedurePrefecture,
        x if x < 0.68 => Reason::ProcedureCaf,
        x if x < 0.82 => Reason::ProcedureAnts,
        x if x < 0.88 => Reason::ProcedureTaxes,
        x if x < 0.93 => Reason::ProcedureHealthInsurance,
        x if x < 0.97 => Reason::ProcedureHousing,
        _ => Reason::ProcedureRetirement,
    }
}

/// The requests one visit carries.
/// `levels` draws the autonomy levels apart, so that the calibrated
/// draws stay as they were.
fn requests(rng: &mut Rng, levels: &mut Rng, p: &Profile) -> Vec<ev::VisitRequest> {
    let mut reasons = Vec::new();
    if rng.chance(p.procedure) {
        reasons.push(procedure(rng));
    }
    if rng.chance(p.smartphone) {
        reasons.push(Reason::Smartphone);
    }
    if rng.chance(p.computer) {
        reasons.push(Reason::Computer);
    }
    if rng.chance(p.printing) {
        reasons.push(Reason::Printing);
    }
    if reasons.is_empty() {
        reasons.push(if rng.chance(0.5) {
            Reason::Email
        } else {
            Reason::PersonalDocuments
        });
    }
    reasons
        .into_iter()
        .map(|reason| {
            let how = if rng.chance(p.autonomous) {
                ev::Accompaniment::Autonomous
            } else {
                ev::Accompaniment::Accompanied
            };
            // The national report's levels: an autonomous request is
            // autonomous; an accompanied one mostly guided step by step
            // (the evaluation found autonomy "only partly reached").
            let autonomy = match how {
                ev::Accompaniment::Autonomous => ev::Autonomy::Autonomous,
                _ if levels.chance(0.7) => ev::Autonomy::Guided,
                _ => ev::Autonomy::WithHelp,
            };
            let outcome = if rng.chance(0.8) {
                ev::Outcome::Done
            } else if rng.chance(0.6) {
                ev::Outcome::FollowUp
            } else {
                ev::Outcome::Redirected
            };
            ev::VisitRequest::recorded(reason, how, outcome).with_autonomy(autonomy)
        })
        .collect()
}

/// The partners each simulated site lists, to orient people to.
const PARTNERS: [&str; 4] = ["CAF", "France Travail", "CPAM", "Préfecture"];

/// Records a visit's requests, then, for a request sent on elsewhere, an
/// orientation: to the partner its procedure belongs to, else to another
/// kind of helper.
async fn visit(
    q: &appointments::Appointments,
    acting: &Acting,
    visit: uuid::Uuid,
    requests: Vec<ev::VisitRequest>,
    workshop: Option<&mut WorkshopSim>,
) -> anyhow::Result<()> {
    let redirected: Vec<Reason> = requests
        .iter()
        .filter(|r| r.came_to() == ev::Outcome::Redirected)
        .map(|r| r.reason())
        .collect();
    let guided_on_a_device = requests.iter().any(|r| {
        matches!(
            r.reason(),
            Reason::Smartphone | Reason::Computer | Reason::Email | Reason::Introduction
        ) && r.autonomy() == ev::Autonomy::Guided
    });
    q.record_requests(acting, visit, requests).await?;
    for reason in redirected {
        let (kind, to) = match reason {
            Reason::ProcedureCaf => (ev::OrientationKind::Partner, "CAF"),
            Reason::ProcedureFranceTravail => (ev::OrientationKind::Partner, "France Travail"),
            Reason::ProcedureHealthInsurance => (ev::OrientationKind::Partner, "CPAM"),
            Reason::ProcedurePrefecture => (ev::OrientationKind::Partner, "Préfecture"),
            Reason::Smartphone | Reason::Computer => (ev::OrientationKind::Helper, "it_helper"),
            _ => (ev::OrientationKind::Helper, "mediator"),
        };
        q.orient(acting, visit, kind, to).await?;
    }
    // Guided step by step on a device, at an appointment: oriented to the
    // workshop and enrolled in its next session, half the time.
    if let Some(w) = workshop
        && guided_on_a_device
        && w.rng.chance(0.5)
        && let Ok(b) = q.get(contracts::AppointmentId(visit)).await
    {
        let sessions = q
            .workshop_sessions(
                Some(b.site),
                contracts::time::local_date(acting.at),
                28,
                acting.at,
            )
            .await?;
        let rule = w.rule.to_string();
        if let Some(s) = sessions
            .iter()
            .find(|s| s.bookable && s.permanence_id.starts_with(&rule))
        {
            let enrolled = q
                .orient_and_enrol(
                    acting,
                    visit,
                    ev::OrientationKind::Workshop,
                    &rule,
                    Some(&s.permanence_id),
                    false,
                )
                .await;
            refused_or(enrolled.map(|_| ()))?;
        }
    }
    Ok(())
}

/// A place refused (full, a number drawn twice, a phone with a place
/// already) is the simulation's ordinary life; anything else stops it.
fn refused_or(r: Result<(), appointments::AppointmentError>) -> anyhow::Result<()> {
    use appointments::AppointmentError as E;
    match r {
        Ok(())
        | Err(
            E::Invalid { .. }
            | E::SlotTaken { .. }
            | E::AlreadyBooked(_)
            | E::Conflict(_)
            | E::Refused(_),
        ) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    pub permanences: usize,
    pub visitors: usize,
    pub appointments: usize,
    /// Workshop places taken, and those present.
    pub workshop_places: usize,
    pub workshop_present: usize,
}

impl std::ops::AddAssign for Written {
    fn add_assign(&mut self, w: Written) {
        self.permanences += w.permanences;
        self.visitors += w.visitors;
        self.appointments += w.appointments;
        self.workshop_places += w.workshop_places;
        self.workshop_present += w.workshop_present;
    }
}

/// Days one read of a site's permanences covers (the calendar reads at
/// most 400 days at once): a longer simulation goes year by year.
const DAYS_AT_ONCE: i64 = 366;

/// Writes `args.from`..=`args.to` for `args.sites` new sites.
pub async fn run(
    state: &AppState,
    args: &SimulateArgs,
    out: &mut impl Write,
) -> anyhow::Result<Written> {
    use futures_util::StreamExt as _;
    anyhow::ensure!(args.to >= args.from, "--to must be on or after --from");
    anyhow::ensure!(args.sites >= 1, "--sites: give at least 1");
    let mut written = Written::default();
    let mut sites =
        futures_util::stream::iter((0..args.sites).map(|i| simulate_site(state, args, i)))
            .buffered(args.parallel.max(1));
    let mut i = 0;
    while let Some(w) = sites.next().await {
        let w = w?;
        i += 1;
        written += w;
        writeln!(
            out,
            "site {i}: {} permanences, {} visitors, {} appointments, {} workshop places ({} present)",
            w.permanences, w.visitors, w.appointments, w.workshop_places, w.workshop_present
        )?;
    }
    Ok(written)
}

/// Opens site `i` with its permanences and workshop, then writes its
/// activity, a year at a time. Each site draws from its own generators.
async fn simulate_site(state: &AppState, args: &SimulateArgs, i: usize) -> anyhow::Result<Written> {
    let site_seed = args
        .seed
        .wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut rng = Rng::new(site_seed);
    let mut levels = Rng::new(site_seed.wrapping_add(1));
    let setup = Acting::system(
        "simulate",
        contracts::time::to_utc(args.from.and_hms_opt(7, 0, 0).context("07:00")?)?
            - Duration::days(1),
    );
    let p = profile(i, args.sites);
    let site = state
        .calendar
        .open_site(
            &setup,
            &cal::SiteDetails {
                name: format!("Espace numérique {} (simulation)", i + 1),
                address: format!("{} rue de la Simulation", i + 1),
                open: true,
                partners: PARTNERS.map(str::to_owned).to_vec(),
                ..Default::default()
            },
        )
        .await?;
    for (cron, drop_in) in [
        ("0 14 * * TUE", true),
        ("0 9 * * THU", true),
        ("0 9 * * WED", false),
    ] {
        state
            .calendar
            .create_rule(
                &setup,
                &cal::PermanenceRule {
                    site_id: site.to_string(),
                    cron: cron.into(),
                    duration_minutes: 180,
                    valid_from: args.from.to_string(),
                    offer: Some(cal::Offer {
                        drop_in,
                        appointments: !drop_in,
                        appointment_minutes: 30,
                        desks: 1,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
    }
    let mut workshop = if args.no_workshops {
        None
    } else {
        let rule = state
            .calendar
            .create_rule(
                &setup,
                &cal::PermanenceRule {
                    site_id: site.to_string(),
                    label: "Premiers pas sur smartphone".into(),
                    cron: "0 14 * * FRI".into(),
                    duration_minutes: 120,
                    valid_from: args.from.to_string(),
                    offer: Some(cal::Offer {
                        desks: 8,
                        workshop: Some(cal::Workshop {
                            theme: Reason::Smartphone.into(),
                            level: cal::WorkshopLevel::Beginner.into(),
                            language: Language::Fr.into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        Some(WorkshopSim {
            rule,
            rng: Rng::new(site_seed.wrapping_add(2)),
        })
    };
    let mut total = Written::default();
    let mut from = args.from;
    while from <= args.to {
        let to = (from + Duration::days(DAYS_AT_ONCE - 1)).min(args.to);
        let w = site_year(
            state,
            site,
            &p,
            (from, to),
            (&mut rng, &mut levels),
            workshop.as_mut(),
        )
        .await?;
        total += w;
        from = to + Duration::days(1);
    }
    Ok(total)
}

async fn site_year(
    state: &AppState,
    site: SiteId,
    p: &Profile,
    (from, to): (NaiveDate, NaiveDate),
    (rng, levels): (&mut Rng, &mut Rng),
    mut workshop: Option<&mut WorkshopSim>,
) -> anyhow::Result<Written> {
    let mut w = Written::default();
    let q = &state.appointments;
    let permanences = state.calendar.permanences(Some(site), from, to).await?;
    for perm in permanences {
        if !matches!(perm.status, calendar::Status::Open) {
            continue;
        }
        if perm.workshop.is_some() {
            if let Some(ws) = workshop.as_deref_mut() {
                let (places, present) = session(q, site, &perm, ws).await?;
                w.workshop_places += places;
                w.workshop_present += present;
            }
            continue;
        }
        w.permanences += 1;
        if perm.drop_in {
            // Arrivals spread over the first two hours, called in order.
            let people = ((p.people + rng.between(-2, 2) as f64).round().max(1.0)) as usize;
            let mut arrivals: Vec<i64> = (0..people).map(|_| rng.between(0, 120)).collect();
            arrivals.sort_unstable();
            let mut desk_free = perm.starts_at;
            for minute in arrivals {
                let arrived = perm.starts_at + Duration::minutes(minute);
                let acting = Acting::system("simulate", arrived);
                let ticket = q
                    .drop_in_arrive(&acting, &perm.permanence_id, None, &[])
                    .await?;
                w.visitors += 1;
                if rng.chance(0.07) {
                    let gone = arrived + Duration::minutes(rng.between(10, 40));
                    q.drop_in_step(&acting.clone().at(gone), ticket.id, TicketState::Left)
                        .await?;
                    continue;
                }
                let called = desk_free.max(arrived) + Duration::minutes(rng.between(0, 6));
                q.drop_in_step(&acting.clone().at(called), ticket.id, TicketState::Called)
                    .await?;
                let served = called + Duration::minutes(rng.between(8, 25));
                desk_free = served;
                q.drop_in_step(&acting.clone().at(served), ticket.id, TicketState::Served)
                    .await?;
                visit(
                    q,
                    &acting.clone().at(served),
                    ticket.id,
                    requests(rng, levels, p),
                    None,
                )
                .await?;
            }
        }
        if perm.appointments {
            let slots = (perm.ends_at - perm.starts_at).num_minutes() / 30;
            let booked = rng.between(2, slots.min(6));
            for k in 0..booked {
                let start = perm.starts_at + Duration::minutes(30 * k);
                let when = start - Duration::hours(rng.between(26, 14 * 24));
                let online = rng.chance(0.6);
                let acting = Acting::system("simulate", when);
                let booker = if online {
                    Booker::Resident {
                        client: format!("simulation-{}", rng.draw()),
                    }
                } else {
                    Booker::Staff {
                        acting: acting.clone(),
                        override_reason: None,
                    }
                };
                let made = q
                    .book(
                        BookRequest {
                            sms_consent: true,
                            site,
                            start,
                            reason: procedure(rng),
                            name: format!("Résident {}", rng.draw() % 100_000),
                            phone: format!("06{:08}", rng.draw() % 100_000_000),
                            email: None,
                            language: Language::Fr,
                            note: None,
                            confirmation: None,
                        },
                        booker,
                        when,
                    )
                    .await;
                // A number drawn twice, or a place taken: the next one.
                let Ok(made) = made else { continue };
                w.appointments += 1;
                let id = made.booking.id;
                if rng.chance(0.1) {
                    let at = start - Duration::hours(rng.between(2, 72));
                    q.cancel(
                        &acting.clone().at(at),
                        id,
                        contracts::Party::Staff,
                        "le résident a appelé",
                    )
                    .await?;
                } else if rng.chance(0.85) {
                    let at = start + Duration::minutes(rng.between(-5, 5));
                    q.advance(&acting.clone().at(at), id, Stage::Arrived)
                        .await?;
                    visit(
                        q,
                        &acting.clone().at(at),
                        id.0,
                        requests(rng, levels, p),
                        workshop.as_deref_mut(),
                    )
                    .await?;
                }
            }
            q.mark_no_shows_at(&perm.permanence_id, perm.ends_at + Duration::minutes(1))
                .await?;
        }
    }
    Ok(w)
}

/// A workshop session: reception fills a few more places some days
/// ahead, then each place is present (three in four, its autonomy
/// recorded: mostly with help, some autonomous), absent or excused.
/// Returns the places taken and those present.
async fn session(
    q: &appointments::Appointments,
    site: SiteId,
    perm: &calendar::Permanence,
    w: &mut WorkshopSim,
) -> anyhow::Result<(usize, usize)> {
    for _ in 0..w.rng.between(2, 5) {
        let when = perm.starts_at - Duration::days(w.rng.between(2, 14));
        let acting = Acting::system("simulate", when);
        let made = q
            .book(
                BookRequest {
                    sms_consent: true,
                    site,
                    start: perm.starts_at,
                    reason: Reason::Workshop,
                    name: format!("Participant {}", w.rng.draw() % 100_000),
                    phone: format!("07{:08}", w.rng.draw() % 100_000_000),
                    email: None,
                    language: Language::Fr,
                    note: None,
                    confirmation: None,
                },
                Booker::Staff {
                    acting: acting.clone(),
                    override_reason: None,
                },
                when,
            )
            .await;
        refused_or(made.map(|_| ()))?;
    }
    let list = q.day_list(&perm.permanence_id).await?;
    let at = Acting::system("simulate", perm.starts_at + Duration::minutes(3));
    let mut present = 0;
    for b in &list {
        let draw = w.rng.unit();
        if draw < 0.75 {
            q.advance(&at, b.id, Stage::Arrived).await?;
            let autonomy = match w.rng.unit() {
                x if x < 0.6 => ev::Autonomy::WithHelp,
                x if x < 0.85 => ev::Autonomy::Autonomous,
                _ => ev::Autonomy::Guided,
            };
            let done = at.clone().at(perm.ends_at);
            q.record_requests(
                &done,
                b.id.0,
                vec![
                    ev::VisitRequest::recorded(
                        Reason::Smartphone,
                        ev::Accompaniment::Accompanied,
                        ev::Outcome::Done,
                    )
                    .with_autonomy(autonomy),
                ],
            )
            .await?;
            present += 1;
        } else if draw < 0.88 {
            q.advance(&at, b.id, Stage::NoShow).await?;
        } else {
            q.advance(&at, b.id, Stage::Excused).await?;
        }
    }
    Ok((list.len(), present))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_stay_inside_the_reported_ranges() {
        for i in 0..6 {
            let p = profile(i, 6);
            assert!((3.0..=9.0).contains(&p.people));
            assert!((0.6..=0.8).contains(&p.procedure));
            assert!((0.3..=0.5).contains(&p.smartphone));
            assert!((0.1..=0.2).contains(&p.computer));
            assert!(p.printing <= 0.3);
            assert!((0.1..=0.2).contains(&p.autonomous));
        }
    }

    #[test]
    fn the_generator_is_the_same_every_time() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!((a.draw(), a.draw()), (b.draw(), b.draw()));
        let x = Rng::new(1).unit();
        assert!((0.0..1.0).contains(&x));
    }
}
