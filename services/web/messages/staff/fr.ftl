# Every word of the staff and administration pages, in French.

name = Nom
address = Adresse
front-desk-phone = Téléphone de l’accueil
access-ramp-lift-hearing-loop = Accès (rampe, ascenseur, boucle magnétique…)
open-untick-closed-until-further = Ouvert (décocher : fermé jusqu’à nouvel ordre)
open-on-public-holidays = Ouvert les jours fériés
confirm-online-bookings-with-an = Confirmer les réservations en ligne par un code SMS
sites = Les lieux
closed = fermé
open-a-site = Ouvrir un lieu
open-this-site = Ouvrir ce lieu
no-permanence-in-the-next = Aucune permanence dans les 4 semaines.
cancelled = annulée
new-regular-permanence = Nouvelle permanence régulière
preview-the-next-permanences = Aperçu : les prochaines permanences
name-e-g-tuesday-morning = Nom (ex. : Permanence du mardi matin)
days = Jours
start = Début
from = À partir du
what-is-offered = Ce qui est proposé
individual-appointments = Rendez-vous individuels
appointment-length-minutes = Durée d’un rendez-vous (minutes)
appointments-at-once-desks = Rendez-vous en même temps (postes)
drop-in-queue = Accès libre (file d’attente)
preview-the-next-dates = Voir les prochaines dates
save-the-permanence = Enregistrer la permanence
the-site = Le lieu
save = Enregistrer
closures-holidays-works = Fermetures (vacances, travaux…)
none = Aucune.
lift = Lever
lift-q = Rouvrir le lieu ces jours-là ? Les permanences reprennent et les personnes peuvent de nouveau réserver.
lift-yes = Oui, lever la fermeture
stop-q = Arrêter ces permanences à partir d’aujourd’hui ? Elles n’apparaîtront plus, ni pour l’équipe ni pour les personnes.
stop-yes = Oui, arrêter
cancel-q = La personne est prévenue par SMS si elle l’a accepté.
from-2 = Du
to = Au
why-residents-see-it = Pourquoi (les habitants le voient)
close-on-those-days = Fermer ces jours-là
public-holidays-are-closed-unless = Les jours fériés sont fermés d’office, sauf si le lieu ouvre les jours fériés.
regular-permanences = Permanences régulières
permanence = Permanence
stop-from-today = Arrêter à partir d’aujourd’hui
every-site = tous les lieux
staff = L’équipe
role = Rôle
site = Lieu
every-site-2 = Tous les lieux
account-created-for = Compte créé pour{" "}
password-shown-once-give-it = Mot de passe (montré une seule fois, à transmettre de vive voix) :{" "}
new-password-for = Nouveau mot de passe pour{" "}
reset-password = Nouveau mot de passe
reset-password-q = Un nouveau mot de passe remplace l’ancien et ferme les sessions ouvertes. Il s’affiche une seule fois : donnez-le de vive voix.
reset-password-yes = Oui, en créer un
email = E-mail
roles = Rôles
disabled = désactivé
remove = Retirer
grant-a-role = Donner un rôle
grant = Donner
new-account = Nouveau compte
display-name = Nom affiché
create-the-account = Créer le compte
forgotten-password = Mot de passe oublié
give-your-accounts-email-address = Donnez l’adresse e-mail de votre compte : un lien pour choisir un nouveau mot de passe vous sera envoyé.
email-address = Adresse e-mail
send-me-the-link = Recevoir le lien
back-to-sign-in = Retour à la connexion
the-page-was-open-for = La page était ouverte depuis longtemps : envoyez à nouveau.
if-this-address-has-an = Si cette adresse a un compte, un e-mail vient de partir. Le lien marche 30 minutes.
new-password = Nouveau mot de passe
new-password-at-least-12 = Nouveau mot de passe (12 caractères au moins ; quelques mots font un bon mot de passe)
the-same-again = Le même, encore
link-out-of-use = Lien hors d’usage
ask-for-a-new-link = Demander un nouveau lien
the-page-was-open-for-2 = La page était ouverte depuis longtemps : tapez à nouveau.
the-two-passwords-differ-type = Les deux mots de passe diffèrent : tapez-les à nouveau.
password-changed = Mot de passe changé
your-new-password-is-saved = Votre nouveau mot de passe est enregistré. Vos autres sessions et jetons d’API sont fermés.
sign-in = Se connecter
todays-permanences = Les permanences du jour
permanences-of = Les permanences du { $day }
previous-day = ← Jour précédent
next-day = Jour suivant →
back-to-today = Aujourd’hui
no-permanence-that-day = Pas de permanence ce jour-là à vos sites.
count-booked = Prévus : { $count }
count-arrived = Arrivés : { $count }
count-waiting = En attente : { $count }
count-seen = Reçus : { $count }
expected = prévu
arrived = arrivé
in-progress = en cours
done = terminé
did-not-come = absent
waiting = en attente
called = appelé
served = reçu
left = parti
first-name = Prénom
for = Pour
state = État
wait = Attente
actions = Actions
call = Appeler
done-2 = Terminé
left-2 = Parti
requests = Demandes
printable-day-sheet = Feuille du jour à imprimer
appointments = Rendez-vous
no-appointment = Aucun rendez-vous.
time = Heure
resident = Habitant
arrived-2 = Arrivé
no-show = Absent
undo = Annuler ce choix
drop-in-queue-2 = File d’attente (sans rendez-vous)
someone-arrives = Une arrivée
first-name-optional = Prénom (facultatif)
what-for = Pour quoi ?
add-to-the-queue = Ajouter à la file
back = Retour
phone = Téléphone
ref = Réf.
came = Venu
walk-ins = Venus sans rendez-vous
print = Imprimer
queue-without-script = Cette liste ne se met pas à jour seule ici (JavaScript est désactivé).
refresh = Actualiser la page
appointments-2 = rendez-vous
statistics = Statistiques
people-and-requests-per-permanence = Personnes et demandes par permanence
requests-by-kind = Demandes par type
wait-before-being-seen-drop = Attente avant d’être reçu (sans rendez-vous)
no-shows-with-and-without = Absences avec et sans rappel reçu
all-my-sites = Tous mes lieux
by = Par
show = Afficher
download-the-table-csv = Télécharger le tableau (CSV)
figures-of-the-period = Chiffres de la période
group = Groupe
permanences = Permanences
people = Personnes
median-wait-min = Attente médiane (min)
left-unserved = Partis sans être reçus
no-shows = Absents
sms-sent = SMS envoyés
total = Total
open-the-chart-with-its = ouvrir le graphique, avec ses chiffres
booked-the-confirmation-sms-is = Rendez-vous pris. Le SMS de confirmation part.
moved-the-resident-gets-an = Rendez-vous déplacé. L’habitant reçoit un SMS avec la nouvelle heure.
cancelled-the-resident-gets-an = Rendez-vous annulé. L’habitant reçoit un SMS.
move = Déplacer
cancel = Annuler…
reason-optional = Motif (facultatif)
cancel-this-appointment = Annuler ce rendez-vous
reception = Rechercher une personne
residents-phone-number-or-name = Téléphone ou nom de l’habitant
search = Chercher
type-at-least-two-letters = Tapez au moins deux lettres du nom, ou le numéro.
results = Résultats
nobody-found-check-the-number = Aucune personne trouvée. Vérifiez le numéro, ou prenez un nouveau rendez-vous.
no-upcoming-appointment = Aucun rendez-vous à venir.
upcoming-appointments-of = Rendez-vous à venir de{" "}
when = Quand
place = Lieu
reason = Motif
reference = Référence
book-for-a-resident = Prendre un rendez-vous pour un habitant
book-for-this-person = Prendre rendez-vous pour cette personne
history = Historique
history-of = Historique de { $name }
history-counts = { $count ->
    [one] 1 rendez-vous
   *[other] { $count } rendez-vous
}, dont { $no_shows } sans venir
messages-sent = Messages envoyés
there-is-no-such-resident = Cette personne n’existe pas ou n’est pas visible depuis vos lieux.
sms-not-delivered-call-back = SMS non distribués : à rappeler
none-2 = Aucun.
message = Message
error = Erreur
move-the-appointment = Déplacer le rendez-vous
next-free-times = Prochaines heures libres
no-free-time = Aucune heure libre.
another-day = Un autre jour
show-that-day = Voir ce jour
choose-a-time-from-the = Choisissez une heure dans la liste.
that-time-was-just-taken = Cette heure vient d’être prise : en voici d’autres.
staff-sign-in = Connexion des agents
password = Mot de passe
forgotten-password-or-account-locked = Mot de passe oublié, ou compte bloqué ?
the-page-was-open-for-3 = La page était ouverte depuis longtemps : connectez-vous à nouveau.
staff-2 = Espace des agents
hello = Bonjour
find-a-resident-book-move = Trouver un habitant, prendre, déplacer ou annuler un rendez-vous, SMS à rappeler.
today = Journée
todays-permanences-arrivals-and-the = Les permanences du jour, les arrivées et la file d’attente.
sites-2 = Lieux
sites-their-regular-permanences-their = Les lieux, leurs permanences régulières, leurs fermetures.
attendance-requests-waits-no-shows = Fréquentation, demandes, attente, absences.
the-visits-requests = Les demandes de la visite
requests-recorded = { $count ->
    [one] 1 demande enregistrée. Vous pouvez la corriger.
   *[other] { $count } demandes enregistrées. Vous pouvez les corriger.
}
requests-one-per-box = Demandes (une par case)
how = Comment
not-said = Non précisé
accompanied = Accompagné
autonomous = En autonomie
outcome = Résultat
done-3 = Fait
follow-up = À suivre
sent-elsewhere = Orienté ailleurs
tick-at-least-one-request = Cochez au moins une demande.

# Placeholders filled by the page's script: keep the braces.
minutes-ticking = {"{}"} min
people-waiting = { $count ->
    [one] { $count } personne en attente
   *[other] { $count } personnes en attente
}
weekday-mon = lundi
weekday-tue = mardi
weekday-wed = mercredi
weekday-thu = jeudi
weekday-fri = vendredi
weekday-sat = samedi
weekday-sun = dimanche
rule-tick-a-day = Cochez au moins un jour.
rule-start-time = Écrivez l’heure de début ainsi : 09:00.
end-time = Fin (heure)
rule-end-time = Écrivez l’heure de fin ainsi : 12:00.
rule-end-after-start = La fin vient après le début, le même jour.
rule-every = Chaque { $days }, { $times }
rule-every-day = Chaque jour, { $times }
rule-once = Une fois, { $when }
rule-offers-both = rendez-vous ({ $desks ->
    [one] 1 poste
   *[other] { $desks } postes
}) et accès libre
rule-offers-appointments = rendez-vous ({ $desks ->
    [one] 1 poste
   *[other] { $desks } postes
})
rule-offers-drop-in = accès libre
rule-figures = Écrivez les durées et le nombre de postes en chiffres.
role-reception = Agent d’accueil
role-mediator = Médiateur
role-it-helper = Aide informatique
role-coordinator = Coordination
role-admin = Administration
by-site = lieu
by-permanence = permanence
by-week = semaine
by-month = mois
by-year = année

# The staff menu.
staff-menu = Menu des agents
menu-reception = Rechercher
menu-today = Journée
menu-statistics = Statistiques
menu-sites = Lieux
menu-team = Équipe
sign-out = Se déconnecter
send-last-sms-again = Renvoyer le dernier SMS
sms-sent-again = Le dernier SMS part de nouveau. Son état s’affiche ci-dessous.
menu-agenda = Agenda
agenda-of = Agenda · { $site }
week-from-to = Semaine du { $from } au { $to }
day = Jour
show-as = Afficher
one-day = un jour
one-week = une semaine
previous-week = ← Semaine précédente
next-week = Semaine suivante →
no-permanence-then = Aucune permanence sur cette période.
desks-count = { $count ->
    [one] 1 poste
   *[other] { $count } postes
}
open-the-permanence = Ouvrir la permanence
no-appointment-times = Pas de rendez-vous à cette permanence (accès libre seulement).
booked = Réservé
free-places = Places libres
book-here = Réserver ici
no-site-of-yours = Aucun lieu ne vous est attribué : demandez à un administrateur.
change-this-permanence = Modifier cette permanence
change-applies-to-coming = La modification vaut pour les prochaines permanences. Elle est refusée tant qu’un rendez-vous déjà pris ne tiendrait plus dans les nouveaux horaires.
rule-changed-through-api = Cette permanence a été écrite par l’API (une règle qui n’est pas hebdomadaire) : modifiez-la par l’API, ou arrêtez-la et créez-en une nouvelle ici.
rule-change-strands = { $count ->
    [one] 1 rendez-vous déjà pris ne tiendrait plus dans les nouveaux horaires
   *[other] { $count } rendez-vous déjà pris ne tiendraient plus dans les nouveaux horaires
} : déplacez-les ou annulez-les d’abord (depuis l’agenda du lieu), puis enregistrez de nouveau.
free-places-count = { $count ->
    [0] complet
    [one] 1 place libre
   *[other] { $count } places libres
}
autonomy-for-what-was-done = Autonomie de la personne pour ce qui a été fait
autonomy-guided = Fait avec elle, étape par étape
autonomy-with-help = Autonome, avec de l’aide si besoin
autonomy-autonomous = Autonome
autonomy-and-progression = Autonomie des personnes et progression au fil des visites
residents-followed = Personnes suivies (2 visites ou plus)
residents-moved-up = Ont progressé d’un niveau
days-to-move-up = Jours pour progresser (médiane)
partners-one-per-line = Partenaires vers qui orienter (un par ligne : CAF, France Travail, une association…)
orient-the-person = Orienter la personne
orient-hint = Un appui suffit : l’orientation est enregistrée et comptée dans les statistiques.
orient-it-helper = Vers un conseiller numérique
orient-mediator = Vers un médiateur
no-partners-listed = Ce lieu ne liste pas encore de partenaires : un coordinateur les ajoute sur la page du lieu.
orientations = Orientations en fin de visite
no-orientation-in-period = Aucune orientation sur cette période.
download-activity-report = Télécharger le compte rendu d’activité (une ligne par accompagnement, CSV)
rule-offers-workshop = atelier collectif ({ $places ->
    [one] 1 place
   *[other] { $places } places
})
workshop-instead = Atelier collectif, à la place : chaque séance reçoit autant de personnes que de postes, qui s’inscrivent pour la séance entière
workshop-theme = Thème de l’atelier
workshop-level = Pour qui
workshop-level-all = Pour tous
workshop-level-beginner = Pour débuter
workshop-level-intermediate = Pour aller plus loin
workshop-choose-theme = Choisissez le thème de l’atelier dans la liste.
excused = Excusé
excuse = Excusé
orient-to-a-workshop = Vers un atelier
no-workshop-ahead = Pas d’atelier ouvert à l’inscription dans les quatre semaines à venir ici.
enrol-in-session = Inscrire : { $title }, { $when }
orient-to-workshop = Orienter vers : { $title }
oriented-to-a-workshop = Orientation vers un atelier enregistrée. Une inscription reçoit son SMS de confirmation et son rappel.
workshops-and-orientations = Ateliers collectifs et orientations vers eux
workshop-sessions = Séances
workshop-places = Places prises
workshop-present = Présents
workshop-absent = Absents
oriented-to-workshop = Orientés vers un atelier
oriented-then-enrolled = puis inscrits
oriented-then-present = puis venus
