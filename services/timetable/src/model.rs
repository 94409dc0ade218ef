//! The calendar's read model, folded in memory from its own streams (sites
//! and permanence rules). The service catches it up before every use, like
//! the identity directory (when the store's wake-up position passed it, or
//! after 250 ms), and hands queries an `Arc` snapshot, so that they run
//! side by side and never hold the lock while they compute.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};
use contracts::proto::calendar::v1 as ev;
use contracts::{Reason, Role, RuleId, SiteId, StaffId, decode_event};
use eventlog::{Position, RecordedEvent};
use uuid::Uuid;

use crate::error::{Invalid, TimetableError};
use crate::schedule::{Recurrence, When};

/// A local ISO date, `YYYY-MM-DD`.
pub fn parse_day(field: &'static str, text: &str) -> Result<NaiveDate, Invalid> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Invalid::new(
            field,
            messages::say!(
                crate::MESSAGES,
                "is-not-date-write-it",
                text = format!("{:?}", text)
            ),
        )
    })
}

/// What a permanence offers, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    pub drop_in: bool,
    /// `None`: no limit.
    pub drop_in_capacity: Option<u32>,
    pub appointments: bool,
    pub appointment_minutes: u32,
    pub desks: u32,
    pub by_reason: Vec<(Reason, u32)>,
    pub roles_on_duty: Vec<Role>,
    /// Each permanence is a workshop session of at most `desks` residents.
    pub workshop: Option<Workshop>,
}

/// A workshop ("atelier collectif"): its title is the rule's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Workshop {
    /// What it is about (a reason residents choose: smartphone, email…).
    #[serde(serialize_with = "reason_code")]
    #[schemars(with = "String")]
    pub theme: Reason,
    /// `beginner`, `intermediate` or `all`.
    #[serde(serialize_with = "level_code")]
    #[schemars(with = "String")]
    pub level: ev::WorkshopLevel,
    /// `fr`, `en` or `ar`.
    #[serde(serialize_with = "language_code")]
    #[schemars(with = "String")]
    pub language: contracts::Language,
    /// Residents enrol once for every session from the one they choose to
    /// the rule's last day.
    pub series: bool,
    /// Sessions attended for a series to count as completed; 0: all.
    pub completion_sessions: u32,
}

/// The longest list of a workshop session.
pub const WORKSHOP_PLACES: u32 = 30;

fn reason_code<S: serde::Serializer>(r: &Reason, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&r.code())
}

fn level_code<S: serde::Serializer>(l: &ev::WorkshopLevel, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(level_name(*l))
}

fn language_code<S: serde::Serializer>(l: &contracts::Language, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(messages::tag((*l).into()))
}

/// A workshop level's code in the API: `beginner`, `intermediate`, `all`.
pub fn level_name(l: ev::WorkshopLevel) -> &'static str {
    match l {
        ev::WorkshopLevel::Beginner => "beginner",
        ev::WorkshopLevel::Intermediate => "intermediate",
        ev::WorkshopLevel::All | ev::WorkshopLevel::Unspecified => "all",
    }
}

/// The level of a code (see [`level_name`]).
pub fn level_of(code: &str) -> Option<ev::WorkshopLevel> {
    [
        ev::WorkshopLevel::Beginner,
        ev::WorkshopLevel::Intermediate,
        ev::WorkshopLevel::All,
    ]
    .into_iter()
    .find(|l| level_name(*l) == code.trim())
}

impl Offer {
    /// The appointment length for `reason`.
    pub fn length_for(&self, reason: Option<Reason>) -> u32 {
        reason
            .and_then(|r| self.by_reason.iter().find(|(x, _)| *x == r))
            .map_or(self.appointment_minutes, |(_, m)| *m)
    }
}

/// A permanence rule, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    pub site: SiteId,
    pub label: String,
    pub when: When,
    pub duration_minutes: u32,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub offer: Offer,
}

fn check_workshop(o: &ev::Offer, w: &ev::Workshop) -> Result<Workshop, Invalid> {
    if o.drop_in || o.appointments {
        return Err(Invalid::new(
            "offer.workshop",
            messages::say!(crate::MESSAGES, "workshop-is-its-own-offer"),
        ));
    }
    if !(1..=WORKSHOP_PLACES).contains(&o.desks) {
        return Err(Invalid::new(
            "offer.desks",
            messages::say!(
                crate::MESSAGES,
                "workshop-places-1-to",
                desks = o.desks,
                most = WORKSHOP_PLACES
            ),
        ));
    }
    let theme = Reason::try_from(w.theme)
        .ok()
        .filter(|r| Reason::ALL.contains(r))
        .ok_or_else(|| {
            Invalid::new(
                "offer.workshop.theme",
                messages::say!(crate::MESSAGES, "workshop-theme-is-a-reason"),
            )
        })?;
    Ok(Workshop {
        series: w.series,
        completion_sessions: w.completion_sessions,
        theme,
        level: w.level(),
        language: match w.language() {
            contracts::Language::Unspecified => contracts::Language::Fr,
            l => l,
        },
    })
}

fn check_offer(o: &ev::Offer) -> Result<Offer, Invalid> {
    let workshop = o
        .workshop
        .as_ref()
        .map(|w| check_workshop(o, w))
        .transpose()?;
    if !o.drop_in && !o.appointments && workshop.is_none() {
        return Err(Invalid::new(
            "offer",
            messages::say!(crate::MESSAGES, "offer-drop-in-appointments-or"),
        ));
    }
    if o.appointments {
        if !(10..=240).contains(&o.appointment_minutes) {
            return Err(Invalid::new(
                "offer.appointment_minutes",
                messages::say!(
                    crate::MESSAGES,
                    "minutes-appointment-lasts-10-to",
                    appointment_minutes = o.appointment_minutes
                ),
            ));
        }
        if !(1..=20).contains(&o.desks) {
            return Err(Invalid::new(
                "offer.desks",
                messages::say!(crate::MESSAGES, "desks-give-1-to-20", desks = o.desks),
            ));
        }
    }
    let mut by_reason = Vec::new();
    for r in &o.by_reason {
        let reason = Reason::try_from(r.reason)
            .ok()
            .filter(|r| *r != Reason::Unspecified)
            .ok_or_else(|| {
                Invalid::new(
                    "offer.by_reason",
                    messages::say!(crate::MESSAGES, "reason-is-not-reason", reason = r.reason),
                )
            })?;
        if !(10..=240).contains(&r.length_minutes) {
            return Err(Invalid::new(
                "offer.by_reason",
                messages::say!(
                    crate::MESSAGES,
                    "minutes-for-one-reason-10",
                    length_minutes = r.length_minutes
                ),
            ));
        }
        by_reason.push((reason, r.length_minutes));
    }
    let mut roles_on_duty = Vec::new();
    for r in &o.roles_on_duty {
        let role = Role::try_from(*r)
            .ok()
            .filter(|r| *r != Role::Unspecified)
            .ok_or_else(|| {
                Invalid::new(
                    "offer.roles_on_duty",
                    messages::say!(crate::MESSAGES, "role-is-not-role", r = r),
                )
            })?;
        roles_on_duty.push(role);
    }
    Ok(Offer {
        drop_in: o.drop_in,
        drop_in_capacity: (o.drop_in && o.drop_in_capacity > 0).then_some(o.drop_in_capacity),
        appointments: o.appointments,
        appointment_minutes: o.appointment_minutes,
        desks: o.desks,
        by_reason,
        roles_on_duty,
        workshop,
    })
}

/// Checks a rule as written in an event or a request.
pub fn check_rule(r: &ev::PermanenceRule) -> Result<RuleSpec, Invalid> {
    let site: SiteId = r.site_id.parse().map_err(|_| {
        Invalid::new(
            "site_id",
            messages::say!(
                crate::MESSAGES,
                "is-not-site-id",
                site_id = format!("{:?}", r.site_id)
            ),
        )
    })?;
    let label = r.label.trim();
    if label.chars().count() > 80 {
        return Err(Invalid::new(
            "label",
            messages::say!(crate::MESSAGES, "label-has-at-most-80"),
        ));
    }
    let when = match (r.cron.trim(), r.once_at.trim()) {
        (cron, "") if !cron.is_empty() => When::Recurring(Box::new(Recurrence::parse(cron)?)),
        ("", once) if !once.is_empty() => When::Once(
            NaiveDateTime::parse_from_str(once, "%Y-%m-%dT%H:%M").map_err(|_| {
                Invalid::new(
                    "once_at",
                    messages::say!(
                        crate::MESSAGES,
                        "is-not-local-date-and",
                        once = format!("{:?}", once)
                    ),
                )
            })?,
        ),
        _ => {
            return Err(Invalid::new(
                "cron",
                messages::say!(crate::MESSAGES, "give-either-cron-recurrence-e"),
            ));
        }
    };
    let valid_from = match (&when, r.valid_from.trim()) {
        (When::Once(t), "") => t.date(),
        (_, "") => {
            return Err(Invalid::new(
                "valid_from",
                messages::say!(crate::MESSAGES, "say-from-which-date-rule"),
            ));
        }
        (_, text) => parse_day("valid_from", text)?,
    };
    let valid_until = match r.valid_until.trim() {
        "" => None,
        text => Some(parse_day("valid_until", text)?),
    };
    if valid_until.is_some_and(|u| u < valid_from) {
        return Err(Invalid::new(
            "valid_until",
            messages::say!(crate::MESSAGES, "rule-ends-before-it-starts"),
        ));
    }
    let offer = check_offer(r.offer.as_ref().ok_or_else(|| {
        Invalid::new(
            "offer",
            messages::say!(crate::MESSAGES, "say-what-permanence-offers"),
        )
    })?)?;
    if offer.workshop.is_some_and(|w| w.series) && valid_until.is_none() {
        return Err(Invalid::new(
            "valid_until",
            messages::say!(crate::MESSAGES, "workshop-series-needs-last-day"),
        ));
    }
    if offer.workshop.is_some() && label.is_empty() {
        return Err(Invalid::new(
            "label",
            messages::say!(crate::MESSAGES, "workshop-needs-a-title"),
        ));
    }
    when.check(valid_from, r.duration_minutes)?;
    if offer.appointments && offer.appointment_minutes > r.duration_minutes {
        return Err(Invalid::new(
            "offer.appointment_minutes",
            messages::say!(crate::MESSAGES, "appointment-is-longer-than-permanence"),
        ));
    }
    Ok(RuleSpec {
        site,
        label: label.to_owned(),
        when,
        duration_minutes: r.duration_minutes,
        valid_from,
        valid_until,
        offer,
    })
}

#[derive(Debug, Clone)]
pub struct Closure {
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct SiteView {
    pub id: SiteId,
    pub details: ev::SiteDetails,
    pub closures: BTreeMap<Uuid, Closure>,
    pub version: u64,
}

impl SiteView {
    /// Why the site is closed on `day`, if it is.
    pub fn closure_on(&self, day: NaiveDate) -> Option<&Closure> {
        self.closures
            .values()
            .find(|c| c.first_day <= day && day <= c.last_day)
    }
}

#[derive(Debug, Clone)]
pub struct RuleView {
    pub id: RuleId,
    pub spec: RuleSpec,
    pub retired_from: Option<NaiveDate>,
    pub cancelled: BTreeMap<NaiveDate, String>,
    pub staff: BTreeMap<NaiveDate, BTreeSet<StaffId>>,
    pub version: u64,
}

impl RuleView {
    /// Local (start, end) of the rule's permanences on `from..=to`.
    pub fn occurrences(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        let last = [
            self.spec.valid_until,
            self.retired_from.and_then(|d| d.pred_opt()),
        ]
        .into_iter()
        .flatten()
        .fold(to, NaiveDate::min);
        let first = from.max(self.spec.valid_from);
        if first > last {
            return Vec::new();
        }
        let length = chrono::Duration::minutes(i64::from(self.spec.duration_minutes));
        self.spec
            .when
            .starts(first, last)
            .into_iter()
            .map(|s| (s, s + length))
            .collect()
    }
}

/// Cloned only when a change arrives while a query still holds the
/// previous version (queries work on `Arc` snapshots).
#[derive(Debug, Default, Clone)]
pub struct Model {
    position: Position,
    pub sites: BTreeMap<SiteId, SiteView>,
    pub rules: BTreeMap<RuleId, RuleView>,
}

fn id_of<T: std::str::FromStr>(text: &str, e: &RecordedEvent) -> Result<T, TimetableError> {
    text.parse()
        .map_err(|_| TimetableError::Internal(format!("event at {}: id {text:?}", e.position)))
}

fn day_of(text: &str, e: &RecordedEvent) -> Result<NaiveDate, TimetableError> {
    parse_day("day", text)
        .map_err(|i| TimetableError::Internal(format!("event at {}: {i}", e.position)))
}

fn spec_of(
    rule: Option<&ev::PermanenceRule>,
    e: &RecordedEvent,
) -> Result<RuleSpec, TimetableError> {
    let rule =
        rule.ok_or_else(|| TimetableError::Internal(format!("event at {}: no rule", e.position)))?;
    check_rule(rule).map_err(|i| TimetableError::Internal(format!("event at {}: {i}", e.position)))
}

impl Model {
    /// Position of the last event folded.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Folds `events`, read from the log after [`Model::position`].
    pub fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), TimetableError> {
        for e in events {
            self.fold(e)?;
            self.position = e.position;
        }
        Ok(())
    }

    fn fold(&mut self, e: &RecordedEvent) -> Result<(), TimetableError> {
        if let Some(x) = decode_event::<ev::SiteOpened>(e)? {
            let id = id_of(&x.site_id, e)?;
            self.sites.insert(
                id,
                SiteView {
                    id,
                    details: x.details.unwrap_or_default(),
                    closures: BTreeMap::new(),
                    version: e.version,
                },
            );
            return Ok(());
        }
        if let Some(x) = decode_event::<ev::PermanenceRuleCreated>(e)? {
            let id = id_of(&x.rule_id, e)?;
            let spec = spec_of(x.rule.as_ref(), e)?;
            self.rules.insert(
                id,
                RuleView {
                    id,
                    spec,
                    retired_from: None,
                    cancelled: BTreeMap::new(),
                    staff: BTreeMap::new(),
                    version: e.version,
                },
            );
            return Ok(());
        }
        if e.category() == SiteId::CATEGORY {
            let Some(site) = e
                .stream
                .split_once('-')
                .and_then(|(_, id)| id.parse::<SiteId>().ok())
                .and_then(|id| self.sites.get_mut(&id))
            else {
                return Ok(());
            };
            site.version = e.version;
            if let Some(x) = decode_event::<ev::SiteDetailsChanged>(e)? {
                site.details = x.details.unwrap_or_default();
            } else if let Some(x) = decode_event::<ev::SiteClosureScheduled>(e)? {
                site.closures.insert(
                    id_of(&x.closure_id, e)?,
                    Closure {
                        first_day: day_of(&x.first_day, e)?,
                        last_day: day_of(&x.last_day, e)?,
                        reason: x.reason,
                    },
                );
            } else if let Some(x) = decode_event::<ev::SiteClosureLifted>(e)? {
                site.closures.remove(&id_of(&x.closure_id, e)?);
            }
            return Ok(());
        }
        let Some(rule) = e
            .stream
            .split_once('-')
            .and_then(|(_, id)| id.parse::<RuleId>().ok())
            .and_then(|id| self.rules.get_mut(&id))
        else {
            return Ok(());
        };
        rule.version = e.version;
        if let Some(x) = decode_event::<ev::PermanenceRuleChanged>(e)? {
            rule.spec = spec_of(x.rule.as_ref(), e)?;
        } else if let Some(x) = decode_event::<ev::PermanenceRuleRetired>(e)? {
            rule.retired_from = Some(day_of(&x.from_day, e)?);
        } else if let Some(x) = decode_event::<ev::PermanenceCancelled>(e)? {
            rule.cancelled.insert(day_of(&x.day, e)?, x.reason);
        } else if let Some(x) = decode_event::<ev::PermanenceReinstated>(e)? {
            rule.cancelled.remove(&day_of(&x.day, e)?);
        } else if let Some(x) = decode_event::<ev::StaffAssigned>(e)? {
            rule.staff
                .entry(day_of(&x.day, e)?)
                .or_default()
                .insert(id_of(&x.staff_id, e)?);
        } else if let Some(x) = decode_event::<ev::StaffUnassigned>(e)?
            && let Some(on_duty) = rule.staff.get_mut(&day_of(&x.day, e)?)
        {
            on_duty.remove(&id_of(&x.staff_id, e)?);
        }
        Ok(())
    }
}
