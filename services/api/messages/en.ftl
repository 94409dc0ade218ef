# The api service's messages, in English.

any-site = any site
site = site { $site }
this-needs-role-at-ask = this needs the role { $role } at { $at }; ask an administrator if you should have it
sign-in-first = sign in first
authorization-header-must-be-bearer = the Authorization header must be "Bearer <token>" with an API token
this-form-is-too-large = this form is too large: 64 KiB at most
route-has-no-access-rule = route { $method } { $path } has no access rule: declare it through api::Routes
this-request-comes-from-page = this request comes from a page of another site: open Créneau at its own address and try again
sign-in-first-this-needs = sign in first: this needs a staff session or an API token
this-form-is-out-of = this form is out of date or was not sent from Créneau: reload the page and try again
this-needs-administrator-of-every = this needs an administrator of every site
this-needs-role-for-every = this needs the role { $role } for every site; ask an administrator if you should have it
body-does-not-fit-this = the body does not fit this request: { $text }
send-body-as-json = send the body as JSON: { $text }
is-not-id-check-address = { $raw } is not a { $what } id: check the address
something-went-wrong-on-our = something went wrong on our side; try again, and give the correlation id if it goes on
not-ready = not ready: { $what }
send-body-as-json-with = send the body as JSON, with Content-Type: application/json
body-is-not-valid-json = the body is not valid JSON: { $body_text }
this-request-is-too-large = this request is too large: 256 KiB at most
addresss-query-string-is-not = the address's query string is not valid
addresss-parameters-do-not-fit = the address's parameters do not fit: { $text }
method-not-allowed = this address does not take { $method }: use { $allowed }
wait-seconds = { $count ->
    [one] { $count } second
   *[other] { $count } seconds
}
wait-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
try-again-in = { $what }: try again in { $wait }
the-log-does-not-answer = the event log does not answer for a moment: try again in a few seconds
