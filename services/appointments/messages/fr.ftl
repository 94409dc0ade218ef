# The appointments service's messages, in French.

this-time-is-in-past = cette heure est passée : choisissez une heure à venir
book-at-least-minutes-ahead = réservez au moins { $notice } minutes à l'avance ; pour aujourd'hui, appelez l'accueil
bookings-open-days-ahead-choose = les réservations ouvrent { $horizon_days } jours à l'avance : choisissez une date plus proche
there-is-no-site = il n'y a pas de site { $site }
there-is-no-appointment-at = il n'y a pas de rendez-vous à cette heure sur ce site : choisissez une des heures de /api/v1/availability
someone-else-changed-this-meanwhile = quelqu'un d'autre l'a modifié entre-temps : rechargez, vérifiez sa modification et refaites la vôtre
is-not-reason-use-procedure = { $code } n'est pas un motif : utilisez procedure_caf, procedure_prefecture, procedure_ants, procedure_france_travail, procedure_taxes, procedure_housing, procedure_health_insurance, procedure_retirement, procedure_schooling, procedure_other, smartphone, computer, email, printing, personal_documents, introduction ou other
is-not-site-id = { $raw } n'est pas un identifiant de site
is-not-date-write-2026 = { $text } n'est pas une date : écrivez 2026-12-01
ask-for-1-to-60 = demandez de 1 à 60 jours
this-time-was-just-taken = ce créneau vient d'être pris : voici les prochains libres
is-not-offered-fr-en = { $other } n'est pas proposé : fr, en ou ar
only-staff-may-book-past = seuls les agents peuvent réserver au-delà de la règle d'un rendez-vous
open-your-appointment-with-link = ouvrez votre rendez-vous avec le lien reçu par SMS ou par e-mail
give-time-as-rfc-3339 = donnez l'heure au format RFC 3339 avec son décalage, comme /api/v1/availability la donne : 2026-12-01T09:00:00+01:00
is-not-step-arrived-started = { $other } n'est pas une étape : arrived, started, done, no-show, excused ou undo
site-has-no-permanence = le site { $site } n'a pas de permanence { $permanence }
use-it-helper-or-mediator = { $other } : utilisez it_helper ou mediator
is-not-step-call-served = { $other } n'est pas une étape : call, served ou left
this-permanence-has-no-ticket = cette permanence n'a pas de ticket { $ticket }
use-done-follow-up-or = { $other } : utilisez done, follow_up, redirected ou not_said (ou ne le donnez pas)
too-many-bookings-from-this = trop de réservations depuis cette connexion
too-many-bookings-for-this = trop de réservations pour ce numéro de téléphone aujourd'hui
this-resident-already-has-appointment = cet habitant a déjà un rendez-vous pour ce motif le { $starts } (référence { $reference }) : déplacez-le, ou donnez override_reason pour en réserver un autre
you-already-have-appointment-for = vous avez déjà un rendez-vous pour ce motif : utilisez le lien de son SMS pour le déplacer, ou appelez l'accueil
this-site-confirms-online-bookings = ce site confirme les réservations en ligne par un code envoyé par SMS : demandez-le avec POST /api/v1/booking-codes, puis envoyez-le avec la réservation
give-residents-name-200-characters = donnez le nom de l'habitant (200 caractères au plus)
say-why-resident-comes = dites pourquoi l'habitant vient
note-has-characters-at-most = une note fait { $max } caractères au plus
say-why-in-200-characters = dites pourquoi en 200 caractères au plus
say-why-appointment-is-cancelled = dites pourquoi le rendez-vous est annulé (l'habitant en est informé)
there-is-no-appointment = il n'y a pas de rendez-vous { $id }
this-appointment-is-too-close = ce rendez-vous est trop proche pour être annulé en ligne : appelez l'accueil
this-appointment-was-cancelled = ce rendez-vous a été annulé
this-appointment-is-already = ce rendez-vous est déjà { $stage ->
    [booked] réservé
    [arrived] arrivé
    [in_progress] en cours
    [done] terminé
    [excused] noté excusé
   *[no_show] noté absent
}
this-appointment-is-on-another = ce rendez-vous est un autre jour : il peut être pointé le jour même
first-name-only-50-characters = un prénom seulement, 50 caractères au plus
there-is-no-permanence = il n'y a pas de permanence { $permanence_id }
this-permanence-has-no-drop = cette permanence n'a pas d'accès libre : prenez un rendez-vous
this-drop-in-is-not = cet accès libre n'est pas ouvert en ce moment
drop-in-is-full-people = l'accès libre est complet ({ $waiting } personnes attendent) : revenez plus tard ou prenez un rendez-vous
there-is-no-ticket = il n'y a pas de ticket { $id }
ticket-is-already = le ticket { $number } est déjà { $state ->
    [waiting] en attente
    [called] appelé
    [served] reçu
   *[left] parti
}
many-people-are-changing-this = beaucoup de personnes modifient cette permanence en ce moment : réessayez dans un instant
this-appointment-was-cancelled-book = ce rendez-vous a été annulé : prenez-en un nouveau
this-appointment-is-too-close-2 = ce rendez-vous est trop proche pour être déplacé en ligne : appelez l'accueil
record-1-to-10-requests = enregistrez de 1 à 10 demandes
every-request-needs-reason-and = chaque demande a besoin d'un motif et d'une suite
record-what-visit-was-about = enregistrez l'objet d'une visite une fois l'habitant venu
record-what-visit-was-about-2 = enregistrez l'objet d'une visite une fois l'habitant appelé
there-is-no-appointment-or = il n'y a pas de rendez-vous ni de ticket { $visit }
slot-taken = ce créneau vient d'être pris : choisissez-en un autre
use-guided-with-help-or = { $other } : utilisez guided, with_help, autonomous ou not_said (ou ne le donnez pas)
orient-to-a-helper-or-partner = « { $to } » : orientez vers it_helper ou mediator, ou vers un partenaire que le lieu liste (page du lieu)
this-phone-has-a-place-in-session = ce numéro a déjà une place à cet atelier : une place par personne et par numéro. Pour une autre personne, donnez son propre numéro, ou appelez l'accueil
enrol-a-drop-in-visitor-by-booking = une personne venue en accès libre n'est pas connue par son nom : inscrivez-la depuis la page des ateliers, avec son nom et son numéro
session-is-not-of-this-workshop = cette séance n'est pas une séance de cet atelier : choisissez-en une dans la liste des ateliers
a-waiting-list-needs-sms = la place libérée est proposée par SMS : cochez l'accord pour les SMS, ou appelez l'accueil
you-are-on-this-list-already = vous êtes déjà sur cette liste d'attente, en position { $position }
there-is-no-such-entry = ce lien ne mène à aucune place ni liste d'attente : appelez l'accueil
this-offer-has-ended = cette place n'est plus gardée pour vous : elle a été proposée à la personne suivante. Appelez l'accueil pour un autre rendez-vous
there-are-free-places-book-one = il reste des places libres : réservez-en une plutôt que d'attendre
a-series-has-no-waiting-list = une série se suit depuis sa première séance : elle n'a pas de liste d'attente. Demandez à l'accueil la prochaine série
