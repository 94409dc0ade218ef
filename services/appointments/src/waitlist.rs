//! Waiting lists ("prévenez-moi si une place se libère"): the entries of
//! each list in the order they joined, and the freed places held for them.
//! An entry waits until it leaves or its offer ends: taken (an appointment
//! whose id is the offer's), declined or lapsed. A hold lives in the
//! booking stream of its permanence, so that bookings and offers of one
//! place are decided at one version.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::proto::identity::v1 as links;
use contracts::{AppointmentId, Reason, ResidentId, RuleId, SiteId, decode_event};
use eventlog::{RecordedEvent, StreamName};
use serde::Serialize;
use uuid::Uuid;

use crate::error::AppointmentError;

pub use contracts::streams::WAITLIST;

/// The stream of a list.
pub fn waitlist_stream(list: &str) -> Result<StreamName, AppointmentError> {
    StreamName::of(WAITLIST, list).map_err(AppointmentError::from)
}

/// The list of appointments of `reason` at `site`, or of a workshop.
pub fn list_of(site: SiteId, reason: Reason, workshop: Option<RuleId>) -> String {
    match workshop {
        Some(rule) => rule.to_string(),
        None => format!("{site}_{}", reason.code()),
    }
}

/// Why an entry no longer waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ended {
    /// The resident (or reception) left the list, or declined the offer.
    Left,
    /// They took the place offered.
    Booked,
    /// The offer was not taken in time.
    Lapsed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: Uuid,
    pub list: String,
    pub site: SiteId,
    pub reason: Reason,
    pub workshop: Option<RuleId>,
    pub resident: ResidentId,
    pub joined_at: DateTime<Utc>,
    pub ended: Option<Ended>,
    /// Offers made to it so far (each one's event id derives from it).
    pub offers: u32,
    /// The place held for it now.
    pub hold: Option<AppointmentId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldState {
    Live,
    Taken,
    Released,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub offer: AppointmentId,
    pub entry: Uuid,
    pub resident: ResidentId,
    pub site: SiteId,
    pub permanence_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Reason,
    pub expires_at: DateTime<Utc>,
    pub state: HoldState,
    /// The offer's link (its token's hash), which the appointment keeps
    /// once the place is taken.
    pub link: Option<[u8; 32]>,
}

/// Every list.
#[derive(Debug, Clone, Default)]
pub struct Waitlists {
    pub entries: HashMap<Uuid, Entry>,
    /// List → its entries, in the order they joined.
    pub lists: BTreeMap<String, Vec<Uuid>>,
    pub holds: HashMap<AppointmentId, Hold>,
    by_permanence: HashMap<String, Vec<AppointmentId>>,
}

fn bad(e: &RecordedEvent, what: &str) -> AppointmentError {
    AppointmentError::Internal(format!("event at {}: {what}", e.position))
}

fn parse<T: std::str::FromStr>(
    e: &RecordedEvent,
    text: &str,
    what: &str,
) -> Result<T, AppointmentError> {
    text.parse().map_err(|_| bad(e, what))
}

fn time(e: &RecordedEvent, text: &str) -> Result<DateTime<Utc>, AppointmentError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad(e, "time"))
}

impl Waitlists {
    /// Folds an event of a `waitlist-…` stream.
    pub fn fold_list(&mut self, e: &RecordedEvent) -> Result<(), AppointmentError> {
        if let Some(x) = decode_event::<ev::WaitlistJoined>(e)? {
            let id: Uuid = parse(e, &x.entry_id, "entry")?;
            let workshop = match x.rule_id.as_str() {
                "" => None,
                r => Some(parse(e, r, "rule")?),
            };
            self.lists.entry(x.list.clone()).or_default().push(id);
            self.entries.insert(
                id,
                Entry {
                    id,
                    list: x.list.clone(),
                    site: parse(e, &x.site_id, "site")?,
                    reason: x.reason(),
                    workshop,
                    resident: parse(e, &x.resident_id, "resident")?,
                    joined_at: e.metadata.recorded_at,
                    ended: None,
                    offers: 0,
                    hold: None,
                },
            );
        } else if let Some(x) = decode_event::<ev::WaitlistLeft>(e)? {
            let id: Uuid = parse(e, &x.entry_id, "entry")?;
            if let Some(entry) = self.entries.get_mut(&id)
                && entry.ended.is_none()
            {
                entry.ended = Some(match x.cause() {
                    ev::WaitlistLeftCause::Booked => Ended::Booked,
                    ev::WaitlistLeftCause::OfferLapsed => Ended::Lapsed,
                    _ => Ended::Left,
                });
            }
        }
        Ok(())
    }

    /// Folds what a booking stream says of the lists: places held and
    /// released, offers taken (an appointment with the offer's id), and
    /// the offers' links. Returns whether the event was one of these.
    pub fn fold_booking(&mut self, e: &RecordedEvent) -> Result<bool, AppointmentError> {
        if let Some(x) = decode_event::<ev::PlaceHeld>(e)? {
            let offer: AppointmentId = parse(e, &x.offer_id, "offer")?;
            let entry: Uuid = parse(e, &x.entry_id, "entry")?;
            let hold = Hold {
                offer,
                entry,
                resident: parse(e, &x.resident_id, "resident")?,
                site: parse(e, &x.site_id, "site")?,
                permanence_id: x.permanence_id.clone(),
                starts_at: time(e, &x.starts_at)?,
                ends_at: time(e, &x.ends_at)?,
                reason: x.reason(),
                expires_at: time(e, &x.expires_at)?,
                state: HoldState::Live,
                link: None,
            };
            if let Some(en) = self.entries.get_mut(&entry) {
                en.offers += 1;
                en.hold = Some(offer);
            }
            self.by_permanence
                .entry(x.permanence_id)
                .or_default()
                .push(offer);
            self.holds.insert(offer, hold);
            return Ok(true);
        }
        if let Some(x) = decode_event::<ev::PlaceReleased>(e)? {
            let offer: AppointmentId = parse(e, &x.offer_id, "offer")?;
            let ended = match x.cause() {
                ev::PlaceReleasedCause::Declined => Ended::Left,
                _ => Ended::Lapsed,
            };
            self.end_hold(offer, HoldState::Released, ended);
            return Ok(true);
        }
        if let Some(x) = decode_event::<links::ManageLinkIssued>(e)?
            && let Ok(offer) = x.appointment_id.parse::<AppointmentId>()
            && let Some(h) = self.holds.get_mut(&offer)
            && h.link.is_none()
        {
            h.link = x.token_sha256.as_slice().try_into().ok();
            // The appointment, once taken, folds it too.
            return Ok(false);
        }
        if let Some(x) = decode_event::<ev::AppointmentBooked>(e)?
            && let Ok(offer) = x.appointment_id.parse::<AppointmentId>()
            && self.holds.contains_key(&offer)
        {
            self.end_hold(offer, HoldState::Taken, Ended::Booked);
        }
        Ok(false)
    }

    fn end_hold(&mut self, offer: AppointmentId, state: HoldState, ended: Ended) {
        let Some(h) = self.holds.get_mut(&offer) else {
            return;
        };
        if h.state != HoldState::Live {
            return;
        }
        h.state = state;
        if let Some(en) = self.entries.get_mut(&h.entry) {
            en.hold = None;
            en.ended.get_or_insert(ended);
        }
    }

    /// The places held at a permanence now.
    pub fn live_at<'a>(&'a self, permanence_id: &str) -> impl Iterator<Item = &'a Hold> {
        self.by_permanence
            .get(permanence_id)
            .into_iter()
            .flatten()
            .filter_map(|o| self.holds.get(o))
            .filter(|h| h.state == HoldState::Live)
    }

    /// The entries of a list still waiting, in order (those holding an
    /// offer among them).
    pub fn waiting<'a>(&'a self, list: &str) -> impl Iterator<Item = &'a Entry> {
        self.lists
            .get(list)
            .into_iter()
            .flatten()
            .filter_map(|id| self.entries.get(id))
            .filter(|e| e.ended.is_none())
    }

    /// An entry's place in its list (1 is next), while it waits.
    pub fn position(&self, entry: &Entry) -> Option<usize> {
        if entry.ended.is_some() {
            return None;
        }
        self.waiting(&entry.list)
            .position(|e| e.id == entry.id)
            .map(|p| p + 1)
    }

    /// Live holds past their time, to release.
    pub fn lapsed(&self, now: DateTime<Utc>) -> Vec<&Hold> {
        self.holds
            .values()
            .filter(|h| h.state == HoldState::Live && h.expires_at <= now)
            .collect()
    }
}
