# The web service's messages, in French.

there-is-no-site = il n'y a pas de site { $raw }
this-needs-administrator-of-every = il faut être administrateur de tous les sites
there-is-no-site-2 = il n'y a pas de site { $site }
there-is-no-appointment = il n'y a pas de rendez-vous { $raw }
there-is-no-ticket = il n'y a pas de ticket { $raw }
there-is-no-rule = il n'y a pas de permanence régulière { $raw }
