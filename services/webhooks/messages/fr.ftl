# Les messages du service des webhooks, en français.

no-such-subscription = il n'y a pas d'abonnement webhook avec cet identifiant : vérifiez-le dans GET /api/v1/webhooks
name-the-kinds = nommez au moins un type d'événement à envoyer
not-a-kind = { $kind } n'est pas un type d'événement : utilisez { $kinds }
not-a-site = { $site } n'est pas un identifiant de site
your-sites-only = nommez les sites dont envoyer les événements (site_ids) : vos propres sites seulement
personal-needs-admin = seul un administrateur peut s'abonner aux coordonnées des usagers
say-why-personal = dites pourquoi le destinataire a besoin des coordonnées des usagers (personal_reason, 10 caractères au moins) : ce choix est enregistré
url-https = { $url } ne peut pas recevoir les envois : donnez une adresse https:// (http:// seulement sur cette machine)
changed-meanwhile = l'abonnement a changé entre-temps : relisez-le et recommencez
paused-by-its-owner = mis en pause par son propriétaire
paused-after-a-day = en pause : le destinataire a échoué pendant une journée ({ $error }) ; reprenez-le quand il répondra de nouveau
