# The reminders service's messages, in English.

there-is-no-appointment = there is no appointment { $id }
there-is-no-site = there is no site { $site }
is-not-offered-fr-en = { $other } is not offered: fr, en or ar
this-site-does-not-ask = this site does not ask for a code: book directly
code-could-not-be-sent = the code could not be sent by SMS right now: try again in a minute, or call the help desk
no-sms-provider-is-configured = no SMS provider { $provider } is configured
report-forged = the report's signature or secret is wrong
report-not-understood = the report is not understood: { $why }
no-sms-was-sent = no SMS has been sent for this appointment yet: there is nothing to send again
appointment-has-passed = this appointment has passed: no SMS is sent for it any more
no-sms-for-this-person = this person did not agree to SMS or has no mobile number: change their record first, or tell them on the phone
appointment-is-cancelled = this appointment is cancelled: tell the person on the phone, or book another
