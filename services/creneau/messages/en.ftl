# The creneau service's messages, in English.

no-page-at-check-address = no page at { $uri }: check the address
