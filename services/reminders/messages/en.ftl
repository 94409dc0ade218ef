# What residents receive about their appointments, in English.
# An SMS must fit one GSM-7 segment (160 characters) with a real site and
# link: keep the words short. `$hint` comes with its leading space.

weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun

day = { $weekday } { $date }
time = { $hour }:{ $minute }
when = { $day } at { $time }

hint-procedure-caf = Bring your CAF login.
hint-procedure-prefecture = Bring your passport and residence permit.
hint-procedure-ants = Bring an ID and a photo.
hint-procedure-france-travail = Bring your France Travail login.
hint-procedure-taxes = Bring your tax notice.
hint-procedure-health-insurance = Bring your Vitale card.
hint-smartphone = Bring your phone, charged.
hint-email = Bring your email login.

sms-confirmation = Appointment { $when }, { $place }.{ $hint } Move or cancel: { $link }
sms-reminder = Reminder: appointment { $when }, { $place }.{ $hint } Move or cancel: { $link }
sms-moved = Your appointment is now { $when }, { $place }.{ $hint } Details: { $link }
sms-cancelled = Your appointment { $when }, { $place } is cancelled.
sms-cancelled-call = Your appointment { $when }, { $place } is cancelled. To book again: { $phone }
sms-code = Créneau: your code is { $code }. It lasts 10 minutes.

email-subject-confirmation = Appointment confirmed: { $when }
email-subject-reminder = Reminder: appointment { $when }
email-subject-moved = Appointment moved: { $when }
email-subject-cancelled = Appointment cancelled: { $when }
email-body =
    Hello,

    Your appointment: { $when }
    Where: { $place }
    { $hint }
    To move or cancel it: { $link }
email-body-cancelled =
    Hello,

    Your appointment { $when } at { $place } is cancelled.
    To book again, call { $phone } or book online.
sms-offer = A place is free: { $when }, { $place }. Held for you until { $until }. To take it: { $link }
email-subject-offer = A place for you: { $when }
