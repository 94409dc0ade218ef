# The stats service's messages, in French.

is-not-date-write-2019 = { $text } n'est pas une date : écrivez 2019-01-31
group-by-permanence-site-week = { $b } : regroupez par permanence, site, week, month ou year
there-is-no-site = il n'y a pas de site { $raw }
there-is-no-chart-people = il n'y a pas de graphique { $other } : people, kinds, waits ou no-shows
period-ends-before-it-starts = la période finit avant de commencer : to doit être le même jour que from ou après
rebuilding = les statistiques sont en cours de mise à jour : { $folded } événements lus sur { $head } ; réessayez dans un instant

# Les graphiques des coordinateurs.
chart-people = personnes
chart-requests = demandes
chart-absent = absents
chart-people-title = Personnes et demandes par permanence
chart-kinds-title = Demandes par type
chart-no-data = Pas de données pour cette période
chart-waits-title = Attente en accès libre (arrivée → appel)
chart-no-shows-title = Absences aux rendez-vous (%)
chart-with-reminder = avec un rappel reçu
chart-without-reminder = sans rappel reçu
chart-wait-between = { $low }–{ $high } min
chart-wait-over = plus de { $low } min
chart-kind = { $kind ->
    [online_procedure] Une démarche en ligne
    [smartphone] Smartphone
    [computer] Ordinateur
    [email] Messagerie, e-mail
    [printing] Imprimer, copier, scanner
    [personal_documents] Scanner et envoyer mes documents
    [introduction] Découvrir le numérique
   *[other] Autre
}
