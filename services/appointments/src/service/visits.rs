//! The requests a visit carried (the statistics count these).

use api::Acting;
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, Reason, SiteId};

use super::{Appointments, Decision};
use crate::error::AppointmentError;
use crate::model::{Stage, booking_stream};

impl Appointments {
    /// Records the requests a visit carried (an appointment the resident
    /// came to, or a drop-in ticket that was called): 1 to 10, each with
    /// its reason, accompanied or not, and outcome. A later record replaces
    /// an earlier one.
    pub async fn record_requests(
        &self,
        acting: &Acting,
        visit: uuid::Uuid,
        requests: Vec<ev::VisitRequest>,
    ) -> Result<Vec<ev::VisitRequest>, AppointmentError> {
        if requests.is_empty() || requests.len() > 10 {
            return Err(AppointmentError::invalid(
                "requests",
                messages::say!(crate::MESSAGES, "record-1-to-10-requests"),
            ));
        }
        if requests
            .iter()
            .any(|r| r.reason() == Reason::Unspecified || r.outcome() == ev::Outcome::Unspecified)
        {
            return Err(AppointmentError::invalid(
                "requests",
                messages::say!(crate::MESSAGES, "every-request-needs-reason-and"),
            ));
        }
        self.decide(|m| {
            let (kind, site, permanence, stream) = visit_place(m, visit)?;
            Ok(Decision::Append {
                stream,
                events: vec![acting.event(&ev::VisitRequestsRecorded {
                    visit_id: visit.to_string(),
                    kind: kind.to_owned(),
                    site_id: site.to_string(),
                    permanence_id: permanence,
                    requests: requests.clone(),
                })?],
                then: (),
            })
        })
        .await?;
        Ok(requests)
    }

    /// Records where a visit oriented the resident: another kind of
    /// helper (`it_helper` or `mediator`), or a partner organisation the
    /// site lists. One event per orientation; the same one twice is kept
    /// once.
    pub async fn orient(
        &self,
        acting: &Acting,
        visit: uuid::Uuid,
        to_kind: ev::OrientationKind,
        to: &str,
    ) -> Result<ev::VisitOriented, AppointmentError> {
        let to = to.trim().to_owned();
        self.decide(|m| {
            let (kind, site, permanence, stream) = visit_place(m, visit)?;
            let listed = m
                .calendar
                .sites
                .get(&site)
                .is_some_and(|s| s.details.partners.contains(&to));
            let known = match to_kind {
                ev::OrientationKind::Helper => matches!(to.as_str(), "it_helper" | "mediator"),
                ev::OrientationKind::Partner => listed,
                ev::OrientationKind::Workshop => to
                    .parse::<contracts::RuleId>()
                    .ok()
                    .and_then(|r| m.calendar.rules.get(&r))
                    .is_some_and(|r| r.spec.offer.workshop.is_some()),
                ev::OrientationKind::Unspecified => false,
            };
            if !known {
                return Err(AppointmentError::invalid(
                    "to",
                    messages::say!(crate::MESSAGES, "orient-to-a-helper-or-partner", to = to),
                ));
            }
            let event = ev::VisitOriented {
                visit_id: visit.to_string(),
                kind: kind.to_owned(),
                site_id: site.to_string(),
                permanence_id: permanence,
                to_kind: to_kind.into(),
                to: to.clone(),
            };
            let already = m.orientations.get(&visit).is_some_and(|list| {
                list.iter()
                    .any(|o| o.to_kind == event.to_kind && o.to == to)
            });
            if already {
                return Ok(Decision::Answer(event));
            }
            Ok(Decision::Append {
                stream,
                events: vec![acting.event(&event)?],
                then: event,
            })
        })
        .await
    }

    /// Orients the resident (see [`Appointments::orient`]) and, for a
    /// workshop with a `session` given, enrols them in it (or, `by_sms`,
    /// holds a place in it and offers it to them by SMS): the orientation
    /// first, so that a crash in between leaves an honest record (oriented,
    /// not enrolled) that the same tap completes.
    pub async fn orient_and_enrol(
        &self,
        acting: &Acting,
        visit: uuid::Uuid,
        to_kind: ev::OrientationKind,
        to: &str,
        session: Option<&str>,
        by_sms: bool,
    ) -> Result<(ev::VisitOriented, Option<Placed>), AppointmentError> {
        let session = session.map(str::trim).filter(|s| !s.is_empty());
        if session.is_some() && to_kind != ev::OrientationKind::Workshop {
            return Err(AppointmentError::invalid(
                "session",
                messages::say!(crate::MESSAGES, "session-is-not-of-this-workshop"),
            ));
        }
        let oriented = self.orient(acting, visit, to_kind, to).await?;
        let enrolled = match (session, to.trim().parse::<contracts::RuleId>()) {
            (Some(session), Ok(rule)) if by_sms => Some(Placed::Offered(
                self.offer_to_visitor(acting, visit, rule, session).await?,
            )),
            (Some(session), Ok(rule)) => Some(Placed::Enrolled(Box::new(
                self.enrol_visitor(acting, visit, rule, session).await?,
            ))),
            _ => None,
        };
        Ok((oriented, enrolled))
    }

    /// Where a visit oriented the resident, in order.
    pub async fn orientations_of(
        &self,
        visit: uuid::Uuid,
    ) -> Result<Vec<ev::VisitOriented>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .orientations
            .get(&visit)
            .cloned()
            .unwrap_or_default())
    }

    /// The requests recorded for a visit.
    pub async fn requests_of(
        &self,
        visit: uuid::Uuid,
    ) -> Result<Vec<ev::VisitRequest>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .visits
            .get(&visit)
            .cloned()
            .unwrap_or_default())
    }

    /// The site of a visit (appointment or ticket).
    pub async fn visit_site(&self, visit: uuid::Uuid) -> Result<SiteId, AppointmentError> {
        let m = self.read(false).await?;
        if let Some(b) = m.bookings.get(&AppointmentId(visit)) {
            return Ok(b.site);
        }
        let t = m.queues.tickets.get(&visit).ok_or_else(|| {
            AppointmentError::NotFound(messages::say!(
                crate::MESSAGES,
                "there-is-no-appointment-or",
                visit = visit
            ))
        })?;
        m.calendar
            .permanence(&t.permanence_id)
            .map(|p| p.site_id)
            .map_err(AppointmentError::from)
    }
}

/// Where a visit happened and the stream its records go to: an appointment
/// the resident came to, or a drop-in ticket that was called; anything
/// else is refused in words.
fn visit_place(
    m: &crate::model::Model,
    visit: uuid::Uuid,
) -> Result<(&'static str, SiteId, String, eventlog::StreamName), AppointmentError> {
    if let Some(b) = m.bookings.get(&AppointmentId(visit)) {
        if b.cancelled || !matches!(b.stage, Stage::Arrived | Stage::InProgress | Stage::Done) {
            return Err(AppointmentError::Conflict(messages::say!(
                crate::MESSAGES,
                "record-what-visit-was-about"
            )));
        }
        return Ok((
            "appointment",
            b.site,
            b.permanence_id.clone(),
            booking_stream(&b.permanence_id)?,
        ));
    }
    let Some(t) = m.queues.tickets.get(&visit) else {
        return Err(AppointmentError::NotFound(messages::say!(
            crate::MESSAGES,
            "there-is-no-appointment-or",
            visit = visit
        )));
    };
    if !matches!(
        t.state,
        crate::queue::TicketState::Called | crate::queue::TicketState::Served
    ) {
        return Err(AppointmentError::Conflict(messages::say!(
            crate::MESSAGES,
            "record-what-visit-was-about-2"
        )));
    }
    let site = m.calendar.permanence(&t.permanence_id)?.site_id;
    Ok((
        "drop_in",
        site,
        t.permanence_id.clone(),
        crate::queue::queue_stream(&t.permanence_id)?,
    ))
}

/// What an orientation to a workshop did beyond recording it.
#[derive(Debug, Clone)]
pub enum Placed {
    /// Enrolled in the session.
    Enrolled(Box<super::Booked>),
    /// A place held for them in it, offered by SMS: the offer's id.
    Offered(AppointmentId),
}
