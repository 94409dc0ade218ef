# The reminders service's messages, in English.

there-is-no-appointment = there is no appointment { $id }
there-is-no-site = there is no site { $site }
is-not-offered-fr-en = { $other } is not offered: fr, en or ar
this-site-does-not-ask = this site does not ask for a code: book directly
code-could-not-be-sent = the code could not be sent by SMS right now: try again in a minute, or call the help desk
no-sms-provider-is-configured = no SMS provider { $provider } is configured
report-forged = the report's signature or secret is wrong
report-not-understood = the report is not understood: { $why }
