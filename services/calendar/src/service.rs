//! The calendar service: its commands (each decides from the read model and
//! appends to one stream at the version it decided from) and its queries.

use std::sync::Arc;

use api::Acting;
use chrono::NaiveDate;
use contracts::proto::calendar::v1 as ev;
use contracts::{Reason, RuleId, SiteId, StaffId};
use eventlog::{EventStore, ExpectedVersion, Filter, Freshness, NewEvent, StreamName};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::error::CalendarError;
use timetable::Invalid;
use timetable::{Model, Permanence, RuleView, SiteView, Slot, check_rule};

#[derive(Clone)]
pub struct Calendar {
    inner: Arc<Inner>,
}

/// The current model, and when the log was last read for it.
struct Live {
    model: Arc<Model>,
    freshness: Freshness,
}

struct Inner {
    store: Arc<dyn EventStore>,
    /// A tokio mutex: held across the awaits of a catch-up, never while a
    /// query computes (queries get an `Arc` snapshot).
    live: Mutex<Live>,
    committed: tokio::sync::watch::Receiver<u64>,
    /// Signs the ICS feed links.
    feed_key: [u8; 32],
}

fn check_details(d: &ev::SiteDetails) -> Result<ev::SiteDetails, Invalid> {
    let text = |field: &'static str, value: &str, max: usize, required: bool| {
        let v = value.trim();
        if (required && v.is_empty()) || v.chars().count() > max || v.chars().any(char::is_control)
        {
            Err(Invalid::new(
                field,
                messages::say!(
                    crate::MESSAGES,
                    "give-characters-at-most",
                    max = max,
                    field = if required { ", not empty" } else { "" }
                ),
            ))
        } else {
            Ok(v.to_owned())
        }
    };
    let phone = text("phone", &d.phone, 20, false)?;
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +.-()".contains(c))
    {
        return Err(Invalid::new(
            "phone",
            messages::say!(
                crate::MESSAGES,
                "is-not-phone-number-write",
                phone = format!("{:?}", phone)
            ),
        ));
    }
    Ok(ev::SiteDetails {
        name: text("name", &d.name, 100, true)?,
        address: text("address", &d.address, 200, true)?,
        phone,
        accessibility: text("accessibility", &d.accessibility, 500, false)?,
        open: d.open,
        opens_on_public_holidays: d.opens_on_public_holidays,
        confirms_online_bookings_by_sms: d.confirms_online_bookings_by_sms,
        appointments_per_reason: match d.appointments_per_reason {
            0..=10 => d.appointments_per_reason,
            n => {
                return Err(Invalid::new(
                    "appointments_per_reason",
                    messages::say!(crate::MESSAGES, "give-1-to-10-or", n = n),
                ));
            }
        },
        partners: partners(&d.partners)?,
    })
}

/// The partner organisations a site lists: each named in 1 to 100
/// characters, at most 30, blank lines and repeats dropped.
fn partners(names: &[String]) -> Result<Vec<String>, Invalid> {
    let mut kept: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(Invalid::new(
                "partners",
                messages::say!(crate::MESSAGES, "partner-name-too-long", name = name),
            ));
        }
        if !kept.iter().any(|k| k == name) {
            kept.push(name.to_owned());
        }
    }
    if kept.len() > 30 {
        return Err(Invalid::new(
            "partners",
            messages::say!(crate::MESSAGES, "at-most-30-partners"),
        ));
    }
    Ok(kept)
}

fn not_found_site(id: SiteId) -> CalendarError {
    timetable::no_site(id).into()
}

fn not_found_rule(id: RuleId) -> CalendarError {
    timetable::no_rule(id).into()
}

fn expected(version: Option<u64>, current: u64) -> ExpectedVersion {
    ExpectedVersion::Exact(version.unwrap_or(current))
}

impl Calendar {
    pub async fn new(
        store: Arc<dyn EventStore>,
        feed_key: [u8; 32],
    ) -> Result<Self, CalendarError> {
        let calendar = Calendar {
            inner: Arc::new(Inner {
                committed: store.wake(),
                store,
                live: Mutex::new(Live {
                    model: Arc::new(Model::default()),
                    freshness: Freshness::default(),
                }),
                feed_key,
            }),
        };
        drop(calendar.model().await?);
        Ok(calendar)
    }

    pub(crate) fn feed_key(&self) -> &[u8; 32] {
        &self.inner.feed_key
    }

    /// A snapshot of the model, caught up with the log: with every commit
    /// this process was told of, read at most 250 ms ago.
    pub async fn model(&self) -> Result<Arc<Model>, CalendarError> {
        let committed = *self.inner.committed.borrow();
        let mut live = self.inner.live.lock().await;
        if live.freshness.is_due(committed, live.model.position()) {
            live.freshness.reading();
            let filter = Filter::categories([SiteId::CATEGORY, RuleId::CATEGORY]);
            loop {
                let events = self
                    .inner
                    .store
                    .read_all(live.model.position(), 1000, &filter)
                    .await?;
                if events.is_empty() {
                    break;
                }
                Arc::make_mut(&mut live.model).apply(&events)?;
            }
        }
        Ok(Arc::clone(&live.model))
    }

    async fn append(
        &self,
        stream: &StreamName,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<(), CalendarError> {
        self.inner.store.append(stream, expected, events).await?;
        drop(self.model().await?);
        Ok(())
    }

    async fn site(&self, id: SiteId) -> Result<SiteView, CalendarError> {
        self.model()
            .await?
            .sites
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found_site(id))
    }

    async fn rule(&self, id: RuleId) -> Result<RuleView, CalendarError> {
        self.model()
            .await?
            .rules
            .get(&id)
            .cloned()
            .ok_or_else(|| not_found_rule(id))
    }

    pub async fn open_site(
        &self,
        acting: &Acting,
        details: &ev::SiteDetails,
    ) -> Result<SiteId, CalendarError> {
        let details = check_details(details)?;
        let id = SiteId::new();
        let e = acting.event(&ev::SiteOpened {
            site_id: id.to_string(),
            details: Some(details),
        })?;
        self.append(&id.stream(), ExpectedVersion::NoStream, vec![e])
            .await?;
        Ok(id)
    }

    /// Replaces a site's details; `version` is the one the editor saw.
    pub async fn change_site(
        &self,
        acting: &Acting,
        id: SiteId,
        details: &ev::SiteDetails,
        version: Option<u64>,
    ) -> Result<(), CalendarError> {
        let details = check_details(details)?;
        let site = self.site(id).await?;
        let e = acting.event(&ev::SiteDetailsChanged {
            site_id: id.to_string(),
            details: Some(details),
        })?;
        self.append(&id.stream(), expected(version, site.version), vec![e])
            .await
    }

    pub async fn schedule_closure(
        &self,
        acting: &Acting,
        id: SiteId,
        first_day: NaiveDate,
        last_day: NaiveDate,
        reason: &str,
    ) -> Result<Uuid, CalendarError> {
        if last_day < first_day {
            return Err(Invalid::new(
                "last_day",
                messages::say!(crate::MESSAGES, "closure-ends-before-it-starts"),
            )
            .into());
        }
        if (last_day - first_day).num_days() > 366 {
            return Err(Invalid::new(
                "last_day",
                messages::say!(crate::MESSAGES, "closure-lasts-year-at-most"),
            )
            .into());
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(Invalid::new(
                "reason",
                messages::say!(crate::MESSAGES, "say-why-in-200-characters"),
            )
            .into());
        }
        let site = self.site(id).await?;
        let closure = Uuid::now_v7();
        let e = acting.event(&ev::SiteClosureScheduled {
            site_id: id.to_string(),
            closure_id: closure.to_string(),
            first_day: first_day.to_string(),
            last_day: last_day.to_string(),
            reason: reason.to_owned(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(site.version), vec![e])
            .await?;
        Ok(closure)
    }

    pub async fn lift_closure(
        &self,
        acting: &Acting,
        id: SiteId,
        closure: Uuid,
    ) -> Result<(), CalendarError> {
        let site = self.site(id).await?;
        if !site.closures.contains_key(&closure) {
            return Err(CalendarError::NotFound(messages::say!(
                crate::MESSAGES,
                "site-has-no-closure",
                id = id,
                closure = closure
            )));
        }
        let e = acting.event(&ev::SiteClosureLifted {
            site_id: id.to_string(),
            closure_id: closure.to_string(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(site.version), vec![e])
            .await
    }

    /// Refuses a rule whose permanences of the coming year overlap another
    /// rule's at the same site.
    fn check_overlap(m: &Model, rule: RuleId, spec: &timetable::RuleSpec) -> Result<(), Invalid> {
        let from = spec.valid_from;
        let to = from + chrono::Duration::days(366);
        let candidate = RuleView {
            id: rule,
            spec: spec.clone(),
            retired_from: None,
            cancelled: Default::default(),
            staff: Default::default(),
            version: 0,
        };
        let mine = candidate.occurrences(from, to);
        for other in m
            .rules
            .values()
            .filter(|r| r.id != rule && r.spec.site == spec.site)
            // A workshop is held in its own room: it may run beside a
            // permanence, not beside another workshop.
            .filter(|r| r.spec.offer.workshop.is_some() == spec.offer.workshop.is_some())
        {
            for (s, e) in other.occurrences(from, to) {
                if let Some((ms, _)) = mine.iter().find(|(ms, me)| *ms < e && s < *me) {
                    return Err(Invalid::new(
                        if matches!(spec.when, crate::schedule::When::Once(_)) {
                            "once_at"
                        } else {
                            "cron"
                        },
                        messages::say!(
                            crate::MESSAGES,
                            "this-overlaps-permanence-of-at",
                            label = format!("{:?}", other.spec.label),
                            start = ms.format("%Y-%m-%d %H:%M")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    pub async fn create_rule(
        &self,
        acting: &Acting,
        rule: &ev::PermanenceRule,
    ) -> Result<RuleId, CalendarError> {
        let spec = check_rule(rule)?;
        let id = RuleId::new();
        {
            let m = self.model().await?;
            if !m.sites.contains_key(&spec.site) {
                return Err(Invalid::new(
                    "site_id",
                    messages::say!(crate::MESSAGES, "there-is-no-site-2", site = spec.site),
                )
                .into());
            }
            Self::check_overlap(&m, id, &spec)?;
        }
        let e = acting.event(&ev::PermanenceRuleCreated {
            rule_id: id.to_string(),
            rule: Some(rule.clone()),
        })?;
        self.append(&id.stream(), ExpectedVersion::NoStream, vec![e])
            .await?;
        Ok(id)
    }

    /// Replaces a rule; `version` is the one the editor saw: when someone
    /// changed the rule since, nothing is written and the answer says so.
    pub async fn change_rule(
        &self,
        acting: &Acting,
        id: RuleId,
        rule: &ev::PermanenceRule,
        version: Option<u64>,
    ) -> Result<(), CalendarError> {
        let spec = check_rule(rule)?;
        let current = {
            let m = self.model().await?;
            let current = m
                .rules
                .get(&id)
                .cloned()
                .ok_or_else(|| not_found_rule(id))?;
            if current.spec.site != spec.site {
                return Err(Invalid::new(
                    "site_id",
                    messages::say!(crate::MESSAGES, "rule-stays-at-its-site"),
                )
                .into());
            }
            Self::check_overlap(&m, id, &spec)?;
            current
        };
        let e = acting.event(&ev::PermanenceRuleChanged {
            rule_id: id.to_string(),
            rule: Some(rule.clone()),
        })?;
        self.append(&id.stream(), expected(version, current.version), vec![e])
            .await
    }

    pub async fn retire_rule(
        &self,
        acting: &Acting,
        id: RuleId,
        from_day: NaiveDate,
    ) -> Result<(), CalendarError> {
        let rule = self.rule(id).await?;
        let e = acting.event(&ev::PermanenceRuleRetired {
            rule_id: id.to_string(),
            from_day: from_day.to_string(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(rule.version), vec![e])
            .await
    }

    /// The rule, if `day` is one of its permanences.
    async fn occurrence(&self, id: RuleId, day: NaiveDate) -> Result<RuleView, CalendarError> {
        let rule = self.rule(id).await?;
        if rule.occurrences(day, day).is_empty() {
            return Err(CalendarError::NotFound(messages::say!(
                crate::MESSAGES,
                "rule-has-no-permanence-on",
                label = format!("{:?}", rule.spec.label),
                day = day
            )));
        }
        Ok(rule)
    }

    pub async fn cancel_permanence(
        &self,
        acting: &Acting,
        id: RuleId,
        day: NaiveDate,
        reason: &str,
    ) -> Result<(), CalendarError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(Invalid::new(
                "reason",
                messages::say!(crate::MESSAGES, "say-why-in-200-characters"),
            )
            .into());
        }
        let rule = self.occurrence(id, day).await?;
        let e = acting.event(&ev::PermanenceCancelled {
            rule_id: id.to_string(),
            day: day.to_string(),
            reason: reason.to_owned(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(rule.version), vec![e])
            .await
    }

    pub async fn reinstate_permanence(
        &self,
        acting: &Acting,
        id: RuleId,
        day: NaiveDate,
    ) -> Result<(), CalendarError> {
        let rule = self.occurrence(id, day).await?;
        if !rule.cancelled.contains_key(&day) {
            return Ok(());
        }
        let e = acting.event(&ev::PermanenceReinstated {
            rule_id: id.to_string(),
            day: day.to_string(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(rule.version), vec![e])
            .await
    }

    pub async fn assign_staff(
        &self,
        acting: &Acting,
        id: RuleId,
        day: NaiveDate,
        staff: StaffId,
    ) -> Result<(), CalendarError> {
        let rule = self.occurrence(id, day).await?;
        if rule.staff.get(&day).is_some_and(|s| s.contains(&staff)) {
            return Ok(());
        }
        let e = acting.event(&ev::StaffAssigned {
            rule_id: id.to_string(),
            day: day.to_string(),
            staff_id: staff.to_string(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(rule.version), vec![e])
            .await
    }

    pub async fn unassign_staff(
        &self,
        acting: &Acting,
        id: RuleId,
        day: NaiveDate,
        staff: StaffId,
    ) -> Result<(), CalendarError> {
        let rule = self.occurrence(id, day).await?;
        if !rule.staff.get(&day).is_some_and(|s| s.contains(&staff)) {
            return Err(CalendarError::NotFound(messages::say!(
                crate::MESSAGES,
                "is-not-on-duty-on",
                staff = staff,
                day = day
            )));
        }
        let e = acting.event(&ev::StaffUnassigned {
            rule_id: id.to_string(),
            day: day.to_string(),
            staff_id: staff.to_string(),
        })?;
        self.append(&id.stream(), ExpectedVersion::Exact(rule.version), vec![e])
            .await
    }

    /// The permanences on `from..=to`, of one site or all, in time order.
    pub async fn permanences(
        &self,
        site: Option<SiteId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Permanence>, CalendarError> {
        Ok(self.model().await?.permanences(site, from, to)?)
    }

    /// One permanence.
    pub async fn permanence(&self, id: &str) -> Result<Permanence, CalendarError> {
        Ok(self.model().await?.permanence(id)?)
    }

    /// The appointment slots of a permanence, for `reason` (its length).
    pub async fn slots(
        &self,
        id: &str,
        reason: Option<Reason>,
    ) -> Result<Vec<Slot>, CalendarError> {
        Ok(self.model().await?.slots(id, reason)?)
    }
}
