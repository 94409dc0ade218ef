//! Individual appointments: availability, booking without overbooking,
//! manage links, cancellation.
//!
//! - `model`: the calendar (folded with the calendar's own pure fold) and
//!   every booking, per permanence.
//! - `decide`: the booking rules as pure functions of the model (the slot,
//!   the room, one appointment per reason, the steps of the day).
//! - `service`: [`Appointments`], one file per concern (booking, moving,
//!   the day, cancelling, visits, the drop-in queue) over one decide loop.
//! - `queue`: the drop-in queue of a permanence.
//! - `waitlist`: the waiting lists and the freed places held for them.
//! - `http`: the routes.
//!
//! Invariant: every appointment event goes to its permanence's
//! `booking-<rule id>_<date>` stream, appended at the version the writer
//! saw: two bookings of the last place cannot both be written.

// The appointments service's messages (`messages/fr.ftl`, `messages/en.ftl`):
// every refusal it answers says it in the caller's language.
messages::catalogue!(MESSAGES, "appointments", fr, en, ar);

mod decide;
mod error;
mod http;
mod model;
mod queue;
mod service;
mod waitlist;

pub use error::{AppointmentError, Available};
pub use http::{autonomy_code, autonomy_of, manage_url, orientation_kind, routes};
pub use model::{BOOKING, Booking, Model, Stage};
pub use queue::{DROP_IN, Ticket, TicketState};
pub use service::{
    Appointments, BookRequest, Booked, Booker, JoinRequest, Joined, MAX_NOTE, Placed, Session,
    Settings, hold_until, is_night,
};
pub use waitlist::{Ended, Entry, Hold, HoldState, WAITLIST, list_of};
