# The appointments service's messages, in English.

this-time-is-in-past = this time is in the past: choose a time to come
book-at-least-minutes-ahead = book at least { $notice } minutes ahead; for today, call the help desk
bookings-open-days-ahead-choose = bookings open { $horizon_days } days ahead: choose an earlier date
there-is-no-site = there is no site { $site }
there-is-no-appointment-at = there is no appointment at this time at this site: choose one of the times from /api/v1/availability
someone-else-changed-this-meanwhile = someone else changed this meanwhile: reload it, check their change, and make yours again
is-not-reason-use-procedure = { $code } is not a reason: use procedure_caf, procedure_prefecture, procedure_ants, procedure_france_travail, procedure_taxes, procedure_housing, procedure_health_insurance, procedure_retirement, procedure_schooling, procedure_other, smartphone, computer, email, printing, personal_documents, introduction or other
is-not-site-id = { $raw } is not a site id
is-not-date-write-2026 = { $text } is not a date: write 2026-12-01
ask-for-1-to-60 = ask for 1 to 60 days
this-time-was-just-taken = this time was just taken: here are the next free ones
is-not-offered-fr-en = { $other } is not offered: fr, en or ar
only-staff-may-book-past = only staff may book past the one-appointment rule
open-your-appointment-with-link = open your appointment with the link from your SMS or email
give-time-as-rfc-3339 = give the time as RFC 3339 with its offset, as /api/v1/availability gives it: 2026-12-01T09:00:00+01:00
is-not-step-arrived-started = { $other } is not a step: arrived, started, done, no-show, excused or undo
site-has-no-permanence = site { $site } has no permanence { $permanence }
use-it-helper-or-mediator = { $other }: use it_helper or mediator
is-not-step-call-served = { $other } is not a step: call, served or left
this-permanence-has-no-ticket = this permanence has no ticket { $ticket }
use-done-follow-up-or = { $other }: use done, follow_up, redirected or not_said (or leave it out)
too-many-bookings-from-this = too many bookings from this connection
too-many-bookings-for-this = too many bookings for this phone number today
this-resident-already-has-appointment = this resident already has an appointment for this reason on { $starts } (reference { $reference }): move it, or give override_reason to book another
you-already-have-appointment-for = you already have an appointment for this reason: use the link in its SMS to move it, or call the help desk
this-site-confirms-online-bookings = this site confirms online bookings with a code sent by SMS: ask for one with POST /api/v1/booking-codes, then send it with the booking
give-residents-name-200-characters = give the resident's name (200 characters at most)
say-why-resident-comes = say why the resident comes
note-has-characters-at-most = a note has { $max } characters at most
say-why-in-200-characters = say why in 200 characters at most
say-why-appointment-is-cancelled = say why the appointment is cancelled (the resident is told)
there-is-no-appointment = there is no appointment { $id }
this-appointment-is-too-close = this appointment is too close to be cancelled online: call the help desk
this-appointment-was-cancelled = this appointment was cancelled
this-appointment-is-already = this appointment is { $stage ->
    [booked] booked
    [arrived] checked in
    [in_progress] in progress
    [done] done
    [excused] marked excused
   *[no_show] marked as not come
} already
this-appointment-is-on-another = this appointment is on another day: it can be marked on its day
first-name-only-50-characters = a first name only, 50 characters at most
there-is-no-permanence = there is no permanence { $permanence_id }
this-permanence-has-no-drop = this permanence has no drop-in: book an appointment
this-drop-in-is-not = this drop-in is not open now
drop-in-is-full-people = the drop-in is full ({ $waiting } people waiting): come back later or book an appointment
there-is-no-ticket = there is no ticket { $id }
ticket-is-already = ticket { $number } is { $state ->
    [waiting] waiting
    [called] called
    [served] served
   *[left] gone
} already
many-people-are-changing-this = many people are changing this permanence right now: try again in a moment
this-appointment-was-cancelled-book = this appointment was cancelled: book a new one
this-appointment-is-too-close-2 = this appointment is too close to be moved online: call the help desk
record-1-to-10-requests = record 1 to 10 requests
every-request-needs-reason-and = every request needs a reason and an outcome
record-what-visit-was-about = record what a visit was about once the resident came
record-what-visit-was-about-2 = record what a visit was about once the resident was called
there-is-no-appointment-or = there is no appointment or ticket { $visit }
slot-taken = this time was just taken: choose another one
use-guided-with-help-or = { $other }: use guided, with_help, autonomous or not_said (or leave it out)
orient-to-a-helper-or-partner = "{ $to }": orient to it_helper or mediator, or to a partner the site lists (the site's page)
this-phone-has-a-place-in-session = this number already has a place in this workshop: one place per person and per number. For someone else, give their own number, or call the help desk
enrol-a-drop-in-visitor-by-booking = a drop-in visitor is not known by name: enrol them from the workshops page, with their name and number
session-is-not-of-this-workshop = this session is not one of this workshop's: choose one from the workshops' list
a-waiting-list-needs-sms = the freed place is offered by SMS: tick the SMS consent, or call the help desk
you-are-on-this-list-already = you are on this waiting list already, at position { $position }
there-is-no-such-entry = this link leads to no place nor waiting list: call the help desk
this-offer-has-ended = this place is no longer held for you: it went to the next person. Call the help desk for another appointment
there-are-free-places-book-one = there are free places left: book one instead of waiting
a-series-has-no-waiting-list = a series is followed from its first session: it has no waiting list. Ask the help desk for the next series
