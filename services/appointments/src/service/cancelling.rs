//! Cancelling: asked by the resident or by staff, or after an erasure
//! (nobody is told then). The cause is a typed fact the reminders read.

use api::Acting;
use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, CancelCause, Party, ResidentId};

use super::{Appointments, Decision};
use crate::error::AppointmentError;
use crate::model::booking_stream;

impl Appointments {
    /// Cancels a booking at the request of the resident or of staff (who
    /// must say why: the resident is told).
    pub async fn cancel(
        &self,
        acting: &Acting,
        id: AppointmentId,
        by: Party,
        reason: &str,
    ) -> Result<(), AppointmentError> {
        if reason.chars().count() > 200 {
            return Err(AppointmentError::invalid(
                "reason",
                messages::say!(crate::MESSAGES, "say-why-in-200-characters"),
            ));
        }
        if by == Party::Staff && reason.trim().is_empty() {
            return Err(AppointmentError::invalid(
                "reason",
                messages::say!(crate::MESSAGES, "say-why-appointment-is-cancelled"),
            ));
        }
        self.write_cancel(acting, id, by, reason, CancelCause::Asked)
            .await?;
        // A place in a workshop series is the series: the places ahead go
        // with it, without a notice each (this one's tells the resident).
        let rest: Vec<AppointmentId> = {
            let m = self.read(false).await?;
            match m.booking(id)?.series {
                Some(series) => m
                    .series_ahead(series, acting.at)
                    .into_iter()
                    .map(|b| b.id)
                    .collect(),
                None => Vec::new(),
            }
        };
        for other in rest {
            self.write_cancel(acting, other, by, reason, CancelCause::WithSeries)
                .await?;
        }
        Ok(())
    }

    /// Writes a cancellation (none when it is cancelled already).
    pub(super) async fn write_cancel(
        &self,
        acting: &Acting,
        id: AppointmentId,
        by: Party,
        reason: &str,
        cause: CancelCause,
    ) -> Result<(), AppointmentError> {
        let too_close = self.inner.settings.notice;
        self.decide(|m| {
            let b = m.booking(id)?;
            if b.cancelled {
                return Ok(Decision::Answer(()));
            }
            if by == Party::Resident && b.starts_at - acting.at < too_close {
                return Err(AppointmentError::Refused(messages::say!(
                    crate::MESSAGES,
                    "this-appointment-is-too-close"
                )));
            }
            Ok(Decision::Append {
                stream: booking_stream(&b.permanence_id)?,
                events: vec![acting.event(&ev::AppointmentCancelled {
                    appointment_id: id.to_string(),
                    reason: reason.trim().to_owned(),
                    canceller: by.into(),
                    cause: cause.into(),
                    ..Default::default()
                })?],
                then: (),
            })
        })
        .await
    }

    /// Cancels the future appointments of `resident` (before or after their
    /// erasure; after it, the sweep finds them through `ResidentErased`).
    /// Returns how many.
    pub async fn cancel_future_of(
        &self,
        acting: &Acting,
        resident: ResidentId,
    ) -> Result<usize, AppointmentError> {
        let now = acting.at;
        let future: Vec<AppointmentId> = self
            .read(true)
            .await?
            .by_resident
            .get(&resident)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let mut cancelled = 0;
        for id in future {
            let b = self.get(id).await?;
            if !b.cancelled && b.ends_at > now {
                self.write_cancel(acting, id, Party::System, "", CancelCause::ResidentErased)
                    .await?;
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }

    /// Cancels what is ahead of residents erased through another way (the
    /// HTTP erasure, the retention sweep): run every minute by `serve`.
    pub async fn cancel_for_erased(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let due = self.read(true).await?.of_erased(now);
        let acting = Acting::system("erasure", now);
        for id in &due {
            self.write_cancel(&acting, *id, Party::System, "", CancelCause::ResidentErased)
                .await?;
        }
        Ok(due.len())
    }
}
