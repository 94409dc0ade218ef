# The creneau service's messages, in French.

no-page-at-check-address = aucune page à l'adresse { $uri } : vérifiez l'adresse
