# The web service's messages, in English.

there-is-no-site = there is no site { $raw }
this-needs-administrator-of-every = this needs an administrator of every site
there-is-no-site-2 = there is no site { $site }
there-is-no-appointment = there is no appointment { $raw }
there-is-no-ticket = there is no ticket { $raw }
there-is-no-rule = there is no regular permanence { $raw }
