# The identity service's messages, in English.

too-many-codes-were-asked = too many codes were asked from this connection
several-codes-were-sent-to = several codes were sent to this number already
this-code-was-typed-wrong = this code was typed wrong too many times: ask for a new code
this-code-has-expired-it = this code has expired (it lasts 10 minutes): ask for a new code
this-code-was-used-for = this code was used for a booking already: ask for a new code
this-is-not-code-we = this is not the code we sent: check the 6 digits in the SMS and type them again
body-does-not-fit-this = the body does not fit this request: { $why }
your-account-is-gone-sign = your account is gone: sign in again
you-have-no-token = you have no token { $token_id }
site-id-empty = site_id is empty: give the site of the role, or leave site_id out for every site
site-id-is-not-site = site_id { $text } is not a site id
there-is-no-staff-account = there is no staff account { $id }
language-is-not-offered-use = language { $other } is not offered: use fr, en or ar
is-not-site-id = { $raw } is not a site id
say-at-which-of-your = say at which of your sites the resident is registered
say-whose-history-to-list = say whose history to list: ?staff=<id> or ?resident=<id>
is-not-resident-id = { $into } is not a resident id
too-many-wrong-links-from = too many wrong links from this connection
this-link-no-longer-works = this link no longer works: use the most recent SMS or email about your appointment, or call the help desk
this-link-has-expired-appointment = this link has expired: the appointment it was for is over. To book again, call the help desk or book online
password-has-characters-use-at = the password has { $chars } characters: use at least { $min } (a few words make a good one)
password-is-longer-than-characters = the password is longer than { $max } characters
password-repeats-too-few-characters = the password repeats too few characters: choose one that is harder to guess
type-at-least-two-letters = type at least two letters of a name, or a phone number
there-is-no-resident-at = there is no resident { $id } at your sites
this-link-does-not-work = this link does not work (too old, used already, or not whole): ask for a new one
password-resets-by-email-are = password resets by email are not offered here: ask an administrator to set a new password
too-many-reset-links-were = too many reset links were asked from this connection
give-1-to-100-characters = give the { $what ->
    [first-name] first name
    [last-name] last name
   *[other] { $what }
} (1 to 100 characters)
say-why-3-to-200 = say why (3 to 200 characters): it goes into the audit
there-is-no-resident = there is no resident { $id }
resident-cannot-be-merged-into = a resident cannot be merged into themself
one-of-them-was-merged = one of them was merged already: search again and merge into the one shown
these-two-are-not-possible = these two are not possible duplicates (the same phone number and a shared name): only the same person registered twice is merged
resident-is-not-merged-into = resident { $id } is not merged into anyone
too-many-sign-in-attempts = too many sign-in attempts from this connection
this-account-is-locked-for = this account is locked for this connection after { $max_failures } wrong passwords in a row; wait, or ask an administrator to set a new password
this-account-is-now-locked = this account is now locked for this connection after { $max_failures } wrong passwords in a row; wait, or ask an administrator to set a new password
this-account-is-disabled-ask = this account is disabled: ask an administrator
your-session-was-ended-signed = your session was ended (signed out, new password or account disabled): sign in again
your-session-ended-after-minutes = your session ended after { $minutes } minutes without activity: sign in again
your-session-ended-hours-after = your session ended { $num_hours } hours after you signed in: sign in again
this-api-token-is-not = this API token is not valid, expired or was revoked: ask for a new one
give-name-of-1-to = give a name of 1 to 100 characters, as colleagues should see it
at-site = { $role } at site { $site }
every-grant-needs-role = every grant needs a role
there-is-already-account-for = there is already an account for { $email }
say-which-role-to-grant = say which role to grant
does-not-have-role = { $display_name } does not have the role { $role }
this-is-last-administrator-make = this is the last administrator: make someone else administrator first
too-many-wrong-passwords = too many wrong passwords
current-password-is-wrong-type = the current password is wrong: type it again
give-token-label-of-1 = give the token a label of 1 to 80 characters, saying what uses it
token-lasts-1-to-days = a token lasts 1 to { $max } days, not { $days }
token-cannot-make-token-that = a token cannot make a token that outlives it: this one ends on { $ends }, ask for fewer days or sign in with a password
tokens-are-active-already-revoke = { $active } tokens are active already: revoke one you no longer use
there-is-no-token = there is no token { $token_id }
reset-email-subject = Créneau: a new password
reset-email-body =
    Hello { $name },

    To choose a new Créneau password, open this link within 30 minutes:
    { $link }

    If you did not ask for it, ignore this message: your password stays as it is.
wrong-email-or-password = wrong email or password
changed-meanwhile = { $what } changed while this was being done: try again
token-not-a-session = you are using an API token, not a session: revoke the token with DELETE /api/v1/tokens/{"{"}token_id{"}"}
