//! Reading bookings and the day of an appointment: the day list, its
//! stages (arrived, started, done), and the no-shows marked after it.

use api::Acting;
use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, ResidentId};

use super::{Appointments, Decision};
use crate::decide::step_allowed;
use crate::error::AppointmentError;
use crate::model::{Booking, Stage, booking_stream};

impl Appointments {
    /// One booking.
    pub async fn get(&self, id: AppointmentId) -> Result<Booking, AppointmentError> {
        self.read(false).await?.booking(id).cloned()
    }

    /// Moves an appointment along its day: arrived, started, done, or not
    /// come. Refused when it does not follow (done twice, arrived after a
    /// no-show, anything on a cancelled appointment, or before its day).
    pub async fn advance(
        &self,
        acting: &Acting,
        id: AppointmentId,
        to: Stage,
    ) -> Result<Booking, AppointmentError> {
        let now = acting.at;
        let answered = self
            .decide(|m| {
                let b = m.booking(id)?;
                if b.cancelled {
                    return Err(AppointmentError::Conflict(messages::say!(
                        crate::MESSAGES,
                        "this-appointment-was-cancelled"
                    )));
                }
                if b.stage == to {
                    return Ok(Decision::Answer(Some(b.clone())));
                }
                if !step_allowed(b.stage, to) {
                    return Err(AppointmentError::Conflict(messages::say!(
                        crate::MESSAGES,
                        "this-appointment-is-already",
                        stage = stage_key(b.stage)
                    )));
                }
                if contracts::time::local_date(now) < contracts::time::local_date(b.starts_at) {
                    return Err(AppointmentError::Conflict(messages::say!(
                        crate::MESSAGES,
                        "this-appointment-is-on-another"
                    )));
                }
                let appointment_id = id.to_string();
                let e = match to {
                    Stage::Arrived => acting.event(&ev::ResidentArrived { appointment_id })?,
                    Stage::InProgress => {
                        acting.event(&ev::AppointmentStarted { appointment_id })?
                    }
                    Stage::Done => acting.event(&ev::AppointmentDone { appointment_id })?,
                    Stage::NoShow => acting.event(&ev::AppointmentNoShow {
                        appointment_id,
                        automatic: false,
                    })?,
                    Stage::Excused => acting.event(&ev::AppointmentExcused { appointment_id })?,
                    // Only an arrival or a no-show is taken back
                    // (`step_allowed`).
                    Stage::Booked => acting.event(&ev::AppointmentStepUndone {
                        appointment_id,
                        step: stage_key(b.stage).to_owned(),
                    })?,
                };
                Ok(Decision::Append {
                    stream: booking_stream(&b.permanence_id)?,
                    events: vec![e],
                    then: None,
                })
            })
            .await?;
        match answered {
            Some(b) => Ok(b),
            None => self.get(id).await,
        }
    }

    /// Every booking of a resident, in time order.
    pub async fn bookings_of(
        &self,
        resident: ResidentId,
    ) -> Result<Vec<Booking>, AppointmentError> {
        let m = self.read(false).await?;
        let mut list: Vec<Booking> = m
            .by_resident
            .get(&resident)
            .into_iter()
            .flatten()
            .filter_map(|id| m.bookings.get(id))
            .cloned()
            .collect();
        list.sort_by_key(|b| b.starts_at);
        Ok(list)
    }

    /// The day list of a permanence: its live appointments in time order,
    /// those who arrived first among the same time.
    pub async fn day_list(&self, permanence_id: &str) -> Result<Vec<Booking>, AppointmentError> {
        Ok(self.read(false).await?.day_list(permanence_id))
    }

    /// Marks as not come every appointment still only booked once its
    /// permanence has ended (`AppointmentNoShow`, automatic). Returns how
    /// many. Run every minute by `serve`; running it twice changes nothing.
    pub async fn mark_no_shows(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let due: Vec<(AppointmentId, String)> = {
            let m = self.read(true).await?;
            m.bookings
                .values()
                .filter(|b| still_booked(b))
                .filter(|b| {
                    m.calendar
                        .permanence(&b.permanence_id)
                        .is_ok_and(|p| p.ends_at <= now)
                })
                .map(|b| (b.id, b.permanence_id.clone()))
                .collect()
        };
        self.write_no_shows(due, now).await
    }

    /// [`Appointments::mark_no_shows`] for one permanence (once it has
    /// ended at `now`): what a simulation of many sites, each at its own
    /// date, asks after each permanence it played.
    pub async fn mark_no_shows_at(
        &self,
        permanence_id: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, AppointmentError> {
        let due: Vec<(AppointmentId, String)> = {
            let m = self.read(true).await?;
            let ended = m
                .calendar
                .permanence(permanence_id)
                .is_ok_and(|p| p.ends_at <= now);
            m.live_at(permanence_id)
                .filter(|b| ended && still_booked(b))
                .map(|b| (b.id, b.permanence_id.clone()))
                .collect()
        };
        self.write_no_shows(due, now).await
    }

    async fn write_no_shows(
        &self,
        due: Vec<(AppointmentId, String)>,
        now: DateTime<Utc>,
    ) -> Result<usize, AppointmentError> {
        let acting = Acting::system("no-shows", now);
        let mut marked = 0;
        for (id, permanence) in due {
            // A check-in meanwhile wins: the decision is made again.
            let wrote = self
                .decide(|m| match m.bookings.get(&id) {
                    Some(b) if b.stage == Stage::Booked && !b.cancelled && !b.undone => {
                        Ok(Decision::Append {
                            stream: booking_stream(&permanence)?,
                            events: vec![acting.event(&ev::AppointmentNoShow {
                                appointment_id: id.to_string(),
                                automatic: true,
                            })?],
                            then: true,
                        })
                    }
                    _ => Ok(Decision::Answer(false)),
                })
                .await?;
            marked += usize::from(wrote);
        }
        if marked > 0 {
            drop(self.read(true).await?);
        }
        Ok(marked)
    }

    /// The resident behind a booking, for checks.
    pub async fn resident_of(&self, id: AppointmentId) -> Result<ResidentId, AppointmentError> {
        Ok(self.get(id).await?.resident)
    }
}

/// Still only booked: not cancelled, not come, not leaving, and not one
/// whose no-show staff took back (it stays booked until they record what
/// happened).
fn still_booked(b: &Booking) -> bool {
    !b.cancelled && b.stage == Stage::Booked && b.leaving.is_none() && !b.undone
}

/// The key a message selects its words for a stage with.
fn stage_key(stage: Stage) -> &'static str {
    match stage {
        Stage::Booked => "booked",
        Stage::Arrived => "arrived",
        Stage::InProgress => "in_progress",
        Stage::Done => "done",
        Stage::NoShow => "no_show",
        Stage::Excused => "excused",
    }
}
