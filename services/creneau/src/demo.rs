//! Demo data: six sites of a city, two or three half-day permanences each,
//! staff of every role, a few closures, so that a new user sees a living
//! calendar at once. Loaded by `creneau demo` and `serve --demo`, once: a
//! store that has sites already is left as it is.

use std::io::Write;

use anyhow::Context as _;
use api::{Acting, Grant};
use calendar::Calendar;
use chrono::{Datelike, Days, NaiveDate, Utc};
use contracts::proto::calendar::v1 as ev;
use contracts::{Reason, Role, SiteId, StaffId};
use identity::{Identity, NewStaff};

struct DemoSite {
    name: &'static str,
    address: &'static str,
    phone: &'static str,
    accessibility: &'static str,
    /// (label, cron, minutes, drop-in capacity or 0, appointment minutes or 0)
    rules: &'static [(&'static str, &'static str, u32, u32, u32)],
}

/// The demo's workshops, one per site in turn: (title, cron, theme, level).
/// Workshops may run beside a permanence (their own room).
const WORKSHOPS: &[(&str, &str, Reason, ev::WorkshopLevel)] = &[
    (
        "Premiers pas sur smartphone",
        "0 14 * * WED",
        Reason::Smartphone,
        ev::WorkshopLevel::Beginner,
    ),
    (
        "Créer et utiliser sa boîte e-mail",
        "0 10 * * TUE",
        Reason::Email,
        ev::WorkshopLevel::Beginner,
    ),
    (
        "Mes démarches en ligne en sécurité",
        "0 14 * * THU",
        Reason::Introduction,
        ev::WorkshopLevel::Intermediate,
    ),
];

const SITES: &[DemoSite] = &[
    DemoSite {
        name: "Espace numérique des Tilleuls",
        address: "12 rue des Tilleuls, 44000 Nantes",
        phone: "02 40 11 22 01",
        accessibility: "Plain-pied, place PMR devant l'entrée",
        rules: &[
            ("Accès libre du mardi", "0 9 * * TUE", 210, 9, 0),
            ("Rendez-vous du jeudi", "30 13 * * THU", 180, 0, 45),
        ],
    },
    DemoSite {
        name: "ESC Centre-Ville",
        address: "3 place de la Mairie, 44000 Nantes",
        phone: "02 40 11 22 02",
        accessibility: "Ascenseur, boucle magnétique à l'accueil",
        rules: &[
            ("Matinée mixte du lundi", "0 9 * * MON", 210, 6, 30),
            ("Accès libre du mercredi", "30 13 * * WED", 180, 8, 0),
            ("Rendez-vous du vendredi", "0 9 * * FRI", 180, 0, 45),
        ],
    },
    DemoSite {
        name: "ESC Les Coteaux",
        address: "48 avenue des Coteaux, 44300 Nantes",
        phone: "02 40 11 22 03",
        accessibility: "Plain-pied",
        rules: &[
            (
                "Accès libre du mardi après-midi",
                "30 13 * * TUE",
                180,
                6,
                0,
            ),
            ("Rendez-vous du jeudi matin", "0 9 * * THU", 180, 0, 30),
        ],
    },
    DemoSite {
        name: "ESC La Roseraie",
        address: "7 allée de la Roseraie, 44100 Nantes",
        phone: "02 40 11 22 04",
        accessibility: "Salle au premier étage sans ascenseur : prévenir pour un accueil au rez-de-chaussée",
        rules: &[
            ("Matinée mixte du mercredi", "0 9 * * WED", 210, 5, 45),
            ("Accès libre du vendredi", "30 13 * * FRI", 180, 9, 0),
        ],
    },
    DemoSite {
        name: "ESC Bel-Air",
        address: "21 rue du Bel-Air, 44200 Nantes",
        phone: "02 40 11 22 05",
        accessibility: "Plain-pied, toilettes adaptées",
        rules: &[
            (
                "Rendez-vous du lundi après-midi",
                "30 13 * * MON",
                180,
                0,
                45,
            ),
            ("Accès libre du jeudi", "0 9 * * THU", 210, 7, 0),
            ("Matinée mixte du samedi", "0 9 * * SAT", 180, 4, 30),
        ],
    },
    DemoSite {
        name: "ESC Le Port",
        address: "2 quai de la Fosse, 44000 Nantes",
        phone: "02 40 11 22 06",
        accessibility: "Ascenseur",
        rules: &[
            ("Accès libre du mardi", "0 14 * * TUE", 180, 8, 0),
            ("Rendez-vous du vendredi matin", "0 9 * * FRI", 180, 0, 30),
        ],
    },
];

/// Loads the demo data unless the calendar has sites; prints the demo
/// accounts and their shared password.
pub async fn load(
    identity: &Identity,
    calendar: &Calendar,
    appointments: &appointments::Appointments,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if !calendar.model().await?.sites.is_empty() {
        writeln!(out, "demo: the calendar has sites already; nothing loaded")?;
        return Ok(());
    }
    // The demo's coming week is the app's: its clock, not the machine's.
    let acting = Acting::system("demo", identity.now());
    let today = contracts::time::local_date(acting.at);
    let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let mut site_ids: Vec<SiteId> = Vec::new();
    let mut rule_ids = Vec::new();
    for site in SITES {
        let id = calendar
            .open_site(
                &acting,
                &ev::SiteDetails {
                    name: site.name.into(),
                    address: site.address.into(),
                    phone: site.phone.into(),
                    accessibility: site.accessibility.into(),
                    open: true,
                    opens_on_public_holidays: false,
                    // The first site confirms online bookings by SMS.
                    confirms_online_bookings_by_sms: site_ids.is_empty(),
                    appointments_per_reason: 1,
                    // The partners the evaluation's help desks sent people
                    // to most.
                    partners: [
                        "CAF",
                        "France Travail",
                        "CPAM (Assurance maladie)",
                        "Préfecture",
                        "Centre communal d’action sociale",
                        "Association d’aide aux démarches",
                    ]
                    .map(str::to_owned)
                    .to_vec(),
                },
            )
            .await
            .with_context(|| format!("demo site {}", site.name))?;
        site_ids.push(id);
        for &(label, cron, minutes, capacity, appointment) in site.rules {
            let rule = ev::PermanenceRule {
                site_id: id.to_string(),
                label: label.into(),
                cron: cron.into(),
                once_at: String::new(),
                duration_minutes: minutes,
                valid_from: month_start.to_string(),
                valid_until: String::new(),
                offer: Some(ev::Offer {
                    drop_in: capacity > 0,
                    drop_in_capacity: capacity,
                    appointments: appointment > 0,
                    appointment_minutes: appointment,
                    desks: if appointment > 0 { 2 } else { 0 },
                    by_reason: if appointment > 0 {
                        vec![
                            ev::ReasonLength {
                                reason: Reason::ProcedurePrefecture.into(),
                                length_minutes: 45,
                            },
                            ev::ReasonLength {
                                reason: Reason::Smartphone.into(),
                                length_minutes: 30,
                            },
                        ]
                    } else {
                        Vec::new()
                    },
                    roles_on_duty: vec![Role::Mediator.into(), Role::ItHelper.into()],
                    workshop: None,
                }),
            };
            let rule_id = calendar
                .create_rule(&acting, &rule)
                .await
                .with_context(|| format!("demo rule {label} at {}", site.name))?;
            rule_ids.push((id, rule_id));
        }
        // A weekly workshop at every site, on an afternoon the site's
        // permanences leave free: the evaluation found that half of the
        // offer missing.
        let (label, cron, theme, level) = WORKSHOPS[site_ids.len() % WORKSHOPS.len()];
        // The e-mail workshop is a series of four weekly sessions from today: one
        // enrolment, completed at three sessions attended.
        let series = site_ids.len() % WORKSHOPS.len() == 1;
        let workshop = ev::PermanenceRule {
            site_id: id.to_string(),
            label: label.into(),
            cron: cron.into(),
            once_at: String::new(),
            duration_minutes: 120,
            valid_from: if series { today } else { month_start }.to_string(),
            valid_until: if series {
                (today + chrono::Days::new(27)).to_string()
            } else {
                String::new()
            },
            offer: Some(ev::Offer {
                desks: 8,
                workshop: Some(ev::Workshop {
                    theme: theme.into(),
                    level: level.into(),
                    language: contracts::Language::Fr.into(),
                    series,
                    completion_sessions: if series { 3 } else { 0 },
                }),
                ..Default::default()
            }),
        };
        calendar
            .create_rule(&acting, &workshop)
            .await
            .with_context(|| format!("demo workshop {label} at {}", site.name))?;
    }

    // Closures: a summer break at one site, works at another, next month.
    let next_month = month_start
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month_start);
    if let Some(&first) = site_ids.first() {
        let summer_start =
            NaiveDate::from_ymd_opt(today.year() + i32::from(today.month() > 8), 8, 1)
                .unwrap_or(today);
        calendar
            .schedule_closure(
                &acting,
                first,
                summer_start,
                summer_start + Days::new(20),
                "Fermeture estivale",
            )
            .await?;
    }
    if let Some(&third) = site_ids.get(2) {
        let works = next_month + Days::new(9);
        calendar
            .schedule_closure(
                &acting,
                third,
                works,
                works + Days::new(4),
                "Travaux dans la salle informatique",
            )
            .await?;
    }

    // Staff: one account per role, mediators at two sites each.
    let password = identity::password::generate()?;
    let mut accounts: Vec<(String, &str, Vec<Grant>)> = vec![
        (
            "admin@demo.creneau.fr".into(),
            "Alex Admin",
            vec![Grant {
                role: Role::Admin,
                site: None,
            }],
        ),
        (
            "coordination@demo.creneau.fr".into(),
            "Camille Coordination",
            vec![Grant {
                role: Role::Coordinator,
                site: None,
            }],
        ),
        (
            "accueil@demo.creneau.fr".into(),
            "Dominique Accueil",
            vec![Grant {
                role: Role::Reception,
                site: None,
            }],
        ),
        (
            "informatique@demo.creneau.fr".into(),
            "Sami Informatique",
            vec![Grant {
                role: Role::ItHelper,
                site: None,
            }],
        ),
    ];
    let mediators = ["Inès", "Yann", "Fatou"];
    for (i, name) in mediators.iter().enumerate() {
        let sites = [site_ids.get(2 * i), site_ids.get(2 * i + 1)];
        accounts.push((
            format!("mediation{}@demo.creneau.fr", i + 1),
            name,
            sites
                .into_iter()
                .flatten()
                .map(|s| Grant {
                    role: Role::Mediator,
                    site: Some(*s),
                })
                .collect(),
        ));
    }
    let mut mediator_ids: Vec<(StaffId, Vec<SiteId>)> = Vec::new();
    for (email, name, grants) in &accounts {
        let created = identity
            .create_staff(
                &acting,
                NewStaff {
                    email: email.clone(),
                    display_name: (*name).into(),
                    password: Some(password.clone()),
                    grants: grants.clone(),
                },
            )
            .await
            .with_context(|| format!("demo account {email}"))?;
        if grants.iter().all(|g| g.role == Role::Mediator) {
            mediator_ids.push((
                created.staff_id,
                grants.iter().filter_map(|g| g.site).collect(),
            ));
        }
    }

    // Mediators on duty at their sites for the next four weeks; one
    // permanence cancelled next week.
    let horizon = today + Days::new(28);
    for p in calendar.permanences(None, today, horizon).await? {
        if let Some((staff, _)) = mediator_ids
            .iter()
            .find(|(_, sites)| sites.contains(&p.site_id))
        {
            calendar
                .assign_staff(&acting, p.rule_id, p.day, *staff)
                .await?;
        }
    }
    if let Some(p) = calendar
        .permanences(
            site_ids.get(1).copied(),
            today + Days::new(7),
            today + Days::new(13),
        )
        .await?
        .into_iter()
        .next()
    {
        calendar
            .cancel_permanence(&acting, p.rule_id, p.day, "Absence de la médiatrice")
            .await?;
    }

    // A few appointments in the coming week, booked by reception.
    const RESIDENTS: &[(&str, &str)] = &[
        ("Awa Traoré", "06 10 20 30 01"),
        ("Mohamed Benali", "06 10 20 30 02"),
        ("Jeanne Le Goff", "06 10 20 30 03"),
        ("Nguyen Thi Lan", "06 10 20 30 04"),
        ("Élodie Martin", "06 10 20 30 05"),
        ("Ibrahima Diallo", "06 10 20 30 06"),
        ("Fatima Zahra El Idrissi", "06 10 20 30 07"),
        ("Paul Lefèvre", "06 10 20 30 08"),
    ];
    let reasons = [
        Reason::ProcedureCaf,
        Reason::ProcedurePrefecture,
        Reason::Smartphone,
        Reason::ProcedureAnts,
    ];
    let now = identity.now();
    let mut booked = 0;
    for (i, &(name, phone)) in RESIDENTS.iter().enumerate() {
        let reason = reasons[i % reasons.len()];
        let site = site_ids[i % site_ids.len()];
        let free = appointments
            .availability(Some(site), reason, today, 7, now)
            .await?;
        let Some(slot) = free.get(i % 3) else {
            continue;
        };
        appointments
            .book(
                appointments::BookRequest {
                    sms_consent: true,
                    site,
                    start: slot.start.with_timezone(&Utc),
                    reason,
                    name: name.into(),
                    phone: phone.into(),
                    email: None,
                    language: contracts::Language::Fr,
                    note: None,
                    confirmation: None,
                },
                appointments::Booker::Staff {
                    acting: acting.clone(),
                    override_reason: None,
                },
                now,
            )
            .await
            .with_context(|| format!("demo appointment for {name}"))?;
        booked += 1;
    }

    writeln!(
        out,
        "demo: {} sites, {} permanence rules, {} staff accounts, {booked} appointments loaded",
        site_ids.len(),
        rule_ids.len(),
        accounts.len()
    )?;
    writeln!(
        out,
        "demo accounts (password for all, shown once: {password}):"
    )?;
    for (email, name, grants) in &accounts {
        let role = grants.first().map_or("", |g| api::role_name(g.role));
        let at = if grants.iter().all(|g| g.site.is_none()) {
            "every site".to_owned()
        } else {
            format!("{} sites", grants.len())
        };
        writeln!(out, "  {email:<34} {name:<22} {role} at {at}")?;
    }
    Ok(())
}
