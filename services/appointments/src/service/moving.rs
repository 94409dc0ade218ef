//! Moving an appointment: the new place is taken first, then the old one
//! released; a crash in between is mended at start.

use api::Acting;
use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, Party};
use eventlog::ExpectedVersion;

use super::{Appointments, Decision};
use crate::decide::{self, has_room};
use crate::error::AppointmentError;
use crate::model::{Booking, booking_stream};

impl Appointments {
    /// Moves a booking to `start` at its site: first the new place is taken
    /// (`AppointmentMovedIn`, at the new permanence's version), then the
    /// old one released (`AppointmentMovedOut`). A crash in between is
    /// mended by [`Appointments::complete_moves`]. The manage link keeps
    /// working until the new end.
    pub async fn reschedule(
        &self,
        acting: &Acting,
        id: AppointmentId,
        start: DateTime<Utc>,
        by: Party,
    ) -> Result<Booking, AppointmentError> {
        let now = acting.at;
        let notice = self.inner.settings.notice;
        self.decide(|m| {
            let b = m.booking(id)?;
            if b.cancelled {
                return Err(AppointmentError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "this-appointment-was-cancelled-book"
                )));
            }
            if by == Party::Resident && b.starts_at - now < notice {
                return Err(AppointmentError::Refused(messages::say!(
                    crate::MESSAGES,
                    "this-appointment-is-too-close-2"
                )));
            }
            let (permanence_id, end) =
                decide::slot(m, &self.inner.settings, b.site, start, b.reason, now)?;
            if !has_room(m, &permanence_id, start, end, Some(id))? {
                return Err(self.taken(m, b.site, b.reason, start, now)?);
            }
            let mut events = vec![acting.event(&ev::AppointmentMovedIn {
                appointment_id: id.to_string(),
                reference: b.reference.clone(),
                resident_id: b.resident.to_string(),
                site_id: b.site.to_string(),
                permanence_id: permanence_id.clone(),
                starts_at: start.to_rfc3339(),
                ends_at: end.to_rfc3339(),
                reason: b.reason.into(),
                booker: b.booked_by.into(),
                from_permanence_id: b.permanence_id.clone(),
                mover: by.into(),
                ..Default::default()
            })?];
            // The links last until the new end.
            for hash in &b.links {
                events.push(
                    acting.event(&contracts::proto::identity::v1::ManageLinkIssued {
                        appointment_id: id.to_string(),
                        resident_id: b.resident.to_string(),
                        token_sha256: hash.to_vec(),
                        expires_at: end.to_rfc3339(),
                        token: None,
                    })?,
                );
            }
            Ok(Decision::Append {
                stream: booking_stream(&permanence_id)?,
                events,
                then: (),
            })
        })
        .await?;
        self.complete_moves().await?;
        self.get(id).await
    }

    /// Writes the `AppointmentMovedOut` of every move whose second append
    /// did not happen (a crash between the two): afterwards each
    /// appointment is in exactly one place, in the log as in the model. The
    /// event id is derived from the move's, so doing it twice (two
    /// processes, a retry) writes it once. Returns how many were completed.
    pub async fn complete_moves(&self) -> Result<usize, AppointmentError> {
        let unfinished: Vec<Booking> = self.read(true).await?.unfinished_moves().cloned().collect();
        let mut done = 0;
        for b in &unfinished {
            let Some((from, move_event)) = &b.leaving else {
                continue;
            };
            let acting = Acting::system("appointments", self.inner.clock.now());
            let mut e = acting.event(&ev::AppointmentMovedOut {
                appointment_id: b.id.to_string(),
                to_permanence_id: b.permanence_id.clone(),
            })?;
            // Derived from the move's id ("moved out" XOR-ed in): the same
            // move always gives the same id.
            e.event_id = uuid::Uuid::from_u128(
                move_event.as_u128() ^ 0x6d6f_7665_6420_6f75_7400_0000_0000_0001,
            );
            e.metadata = e.metadata.caused_by(*move_event);
            self.inner
                .store
                .append(&booking_stream(from)?, ExpectedVersion::Any, vec![e])
                .await?;
            done += 1;
        }
        if done > 0 {
            drop(self.read(true).await?);
        }
        Ok(done)
    }
}
