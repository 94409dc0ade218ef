//! The queries on the schedule's model (pure, so that every service that
//! folds the calendar's events answers them the same): the permanences of
//! a range, one permanence, its appointment slots.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use contracts::{Reason, RuleId, SiteId, StaffId};
use serde::Serialize;

use crate::error::{Invalid, TimetableError, no_rule, no_site};
use crate::holidays;
use crate::model::{Model, RuleView, SiteView};

/// The longest range one query may ask for.
pub const MAX_RANGE_DAYS: i64 = 400;

/// Open, or closed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    Open,
    Closed { reason: String },
}

/// One permanence: a rule's occurrence on one day.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Permanence {
    /// `<rule id>_<date>`.
    pub permanence_id: String,
    pub site_id: SiteId,
    pub site_name: String,
    pub rule_id: RuleId,
    pub label: String,
    pub day: NaiveDate,
    /// Local (Europe/Paris) wall-clock times.
    pub starts_local: NaiveDateTime,
    pub ends_local: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub drop_in: bool,
    pub drop_in_capacity: Option<u32>,
    pub appointments: bool,
    pub appointment_minutes: u32,
    /// Appointments at once; for a workshop session, its places.
    pub desks: u32,
    pub roles_on_duty: Vec<&'static str>,
    /// Set: a workshop session, booked whole with [`Reason::Workshop`].
    pub workshop: Option<crate::model::Workshop>,
    pub staff: Vec<StaffId>,
    #[serde(flatten)]
    pub status: Status,
}

impl Permanence {
    /// Whether `reason` is booked here: a workshop place in a workshop
    /// session, any other reason in a permanence with appointments; `None`
    /// asks for either.
    pub fn bookable_for(&self, reason: Option<Reason>) -> bool {
        match (self.workshop.is_some(), reason) {
            (true, Some(r)) => r == Reason::Workshop,
            (false, Some(Reason::Workshop)) => false,
            (true, None) => true,
            (false, _) => self.appointments,
        }
    }
}

/// A bookable time inside a permanence.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Slot {
    pub starts_local: NaiveDateTime,
    pub ends_local: NaiveDateTime,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Appointments that can be held at this time.
    pub desks: u32,
}

pub fn permanence_id(rule: RuleId, day: NaiveDate) -> String {
    format!("{rule}_{day}")
}

/// Reads `<rule id>_<date>`.
pub fn parse_permanence_id(text: &str) -> Result<(RuleId, NaiveDate), TimetableError> {
    let bad = || {
        TimetableError::NotFound(messages::say!(
            crate::MESSAGES,
            "is-not-permanence-id-rule",
            text = format!("{:?}", text)
        ))
    };
    let (rule, day) = text.split_once('_').ok_or_else(bad)?;
    Ok((
        rule.parse().map_err(|_| bad())?,
        NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())?,
    ))
}

/// The queries, on a snapshot of the model: pure, so that another service
/// that folds the calendar's events (appointments) answers them the same.
impl Model {
    /// The permanences on `from..=to`, of one site or all, in time order.
    pub fn permanences(
        &self,
        site: Option<SiteId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Permanence>, TimetableError> {
        if to < from {
            return Err(Invalid::new(
                "to",
                messages::say!(crate::MESSAGES, "range-ends-before-it-starts"),
            )
            .into());
        }
        if (to - from).num_days() > MAX_RANGE_DAYS {
            return Err(Invalid::new(
                "to",
                messages::say!(
                    crate::MESSAGES,
                    "ask-for-days-at-most",
                    max = MAX_RANGE_DAYS
                ),
            )
            .into());
        }
        let m = self;
        if let Some(s) = site
            && !m.sites.contains_key(&s)
        {
            return Err(no_site(s));
        }
        let mut found = Vec::new();
        for rule in m
            .rules
            .values()
            .filter(|r| site.is_none_or(|s| r.spec.site == s))
        {
            let Some(site) = m.sites.get(&rule.spec.site) else {
                continue;
            };
            for (start, end) in rule.occurrences(from, to) {
                found.push(permanence(site, rule, start, end)?);
            }
        }
        found.sort_by(|a, b| (a.starts_at, &a.site_name).cmp(&(b.starts_at, &b.site_name)));
        Ok(found)
    }

    /// One permanence.
    pub fn permanence(&self, id: &str) -> Result<Permanence, TimetableError> {
        let (rule_id, day) = parse_permanence_id(id)?;
        let m = self;
        let rule = m.rules.get(&rule_id).ok_or_else(|| no_rule(rule_id))?;
        let site = m
            .sites
            .get(&rule.spec.site)
            .ok_or_else(|| no_site(rule.spec.site))?;
        let (start, end) = rule
            .occurrences(day, day)
            .into_iter()
            .next()
            .ok_or_else(|| {
                TimetableError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-permanence",
                    id = id
                ))
            })?;
        permanence(site, rule, start, end)
    }

    /// The appointment slots of a permanence, for `reason` (its length).
    pub fn slots(&self, id: &str, reason: Option<Reason>) -> Result<Vec<Slot>, TimetableError> {
        let p = self.permanence(id)?;
        if !p.bookable_for(reason) || p.status != Status::Open {
            return Ok(Vec::new());
        }
        if p.workshop.is_some() {
            // A session is booked whole.
            return Ok(vec![Slot {
                starts_local: p.starts_local,
                ends_local: p.ends_local,
                starts_at: p.starts_at,
                ends_at: p.ends_at,
                desks: p.desks,
            }]);
        }
        let (rule_id, _) = parse_permanence_id(id)?;
        let length = self
            .rules
            .get(&rule_id)
            .map_or(p.appointment_minutes, |r| r.spec.offer.length_for(reason));
        let step = chrono::Duration::minutes(i64::from(length));
        let mut slots = Vec::new();
        let mut start = p.starts_local;
        while start + step <= p.ends_local {
            slots.push(Slot {
                starts_local: start,
                ends_local: start + step,
                starts_at: to_utc(start)?,
                ends_at: to_utc(start + step)?,
                desks: p.desks,
            });
            start += step;
        }
        Ok(slots)
    }
}

fn to_utc(local: NaiveDateTime) -> Result<DateTime<Utc>, TimetableError> {
    // Rules keep permanences between 06:00 and midnight, where every local
    // time exists once.
    contracts::time::to_utc(local).map_err(|e| TimetableError::Internal(format!("{local}: {e}")))
}

fn permanence(
    site: &SiteView,
    rule: &RuleView,
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> Result<Permanence, TimetableError> {
    let day = start.date();
    let status = if let Some(reason) = rule.cancelled.get(&day) {
        Status::Closed {
            reason: reason.clone(),
        }
    } else if !site.details.open {
        Status::Closed {
            reason: messages::say!(crate::MESSAGES, "site-closed-until-further-notice"),
        }
    } else if let Some(c) = site.closure_on(day) {
        Status::Closed {
            reason: c.reason.clone(),
        }
    } else if let (Some(name), false) = (
        holidays::holiday(day),
        site.details.opens_on_public_holidays,
    ) {
        Status::Closed {
            reason: format!("public holiday ({name})"),
        }
    } else {
        Status::Open
    };
    let offer = &rule.spec.offer;
    Ok(Permanence {
        permanence_id: permanence_id(rule.id, day),
        site_id: site.id,
        site_name: site.details.name.clone(),
        rule_id: rule.id,
        label: rule.spec.label.clone(),
        day,
        starts_local: start,
        ends_local: end,
        starts_at: to_utc(start)?,
        ends_at: to_utc(end)?,
        drop_in: offer.drop_in,
        drop_in_capacity: offer.drop_in_capacity,
        appointments: offer.appointments,
        appointment_minutes: offer.appointment_minutes,
        desks: offer.desks,
        workshop: offer.workshop,
        roles_on_duty: offer
            .roles_on_duty
            .iter()
            .map(|r| contracts::role_name(*r))
            .collect(),
        staff: rule
            .staff
            .get(&day)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default(),
        status,
    })
}
