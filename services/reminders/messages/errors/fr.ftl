# The reminders service's messages, in French.

there-is-no-appointment = il n'y a pas de rendez-vous { $id }
there-is-no-site = il n'y a pas de site { $site }
is-not-offered-fr-en = { $other } n'est pas proposé : fr, en ou ar
this-site-does-not-ask = ce site ne demande pas de code : réservez directement
code-could-not-be-sent = le code n'a pas pu être envoyé par SMS pour l'instant : réessayez dans une minute, ou appelez l'accueil
no-sms-provider-is-configured = aucun fournisseur de SMS { $provider } n'est configuré
report-forged = la signature ou le secret du compte rendu est faux
report-not-understood = le compte rendu n'est pas compris : { $why }
no-sms-was-sent = aucun SMS n'a encore été envoyé pour ce rendez-vous : il n'y a rien à renvoyer
appointment-has-passed = ce rendez-vous est passé : il n'y a plus de SMS à envoyer
no-sms-for-this-person = cette personne n'a pas accepté les SMS ou n'a pas de numéro de portable : modifiez sa fiche d'abord, ou donnez-lui l'information au téléphone
appointment-is-cancelled = ce rendez-vous est annulé : dites-le à la personne au téléphone, ou prenez-en un autre
