# The identity service's messages, in French.

too-many-codes-were-asked = trop de codes ont été demandés depuis cette connexion
several-codes-were-sent-to = plusieurs codes ont déjà été envoyés à ce numéro
this-code-was-typed-wrong = ce code a été mal tapé trop de fois : demandez un nouveau code
this-code-has-expired-it = ce code a expiré (il dure 10 minutes) : demandez un nouveau code
this-code-was-used-for = ce code a déjà servi à une réservation : demandez un nouveau code
this-is-not-code-we = ce n'est pas le code envoyé : vérifiez les 6 chiffres du SMS et tapez-les à nouveau
body-does-not-fit-this = le contenu ne correspond pas à cette demande : { $why }
your-account-is-gone-sign = votre compte n'existe plus : reconnectez-vous
you-have-no-token = vous n'avez pas de jeton { $token_id }
site-id-empty = site_id est vide : donnez le site du rôle, ou omettez site_id pour tous les sites
site-id-is-not-site = site_id { $text } n'est pas un identifiant de site
there-is-no-staff-account = il n'y a pas de compte agent { $id }
language-is-not-offered-use = la langue { $other } n'est pas proposée : utilisez fr, en ou ar
is-not-site-id = { $raw } n'est pas un identifiant de site
say-at-which-of-your = dites dans lequel de vos lieux l'habitant est inscrit
say-whose-history-to-list = dites de qui lister l'historique : ?staff=<id> ou ?resident=<id>
is-not-resident-id = { $into } n'est pas un identifiant d'habitant
too-many-wrong-links-from = trop de liens erronés depuis cette connexion
this-link-no-longer-works = ce lien ne fonctionne plus : utilisez le SMS ou l'e-mail le plus récent sur votre rendez-vous, ou appelez l'accueil
this-link-has-expired-appointment = ce lien a expiré : le rendez-vous est passé. Pour en reprendre un, appelez l'accueil ou réservez en ligne
password-has-characters-use-at = le mot de passe a { $chars } caractères : utilisez-en au moins { $min } (quelques mots en font un bon)
password-is-longer-than-characters = le mot de passe dépasse { $max } caractères
password-repeats-too-few-characters = le mot de passe varie trop peu ses caractères : choisissez-en un plus difficile à deviner
type-at-least-two-letters = tapez au moins deux lettres d'un nom, ou un numéro de téléphone
there-is-no-resident-at = il n'y a pas d'habitant { $id } dans vos lieux
this-link-does-not-work = ce lien ne marche pas (trop ancien, déjà utilisé, ou incomplet) : demandez-en un nouveau
password-resets-by-email-are = la réinitialisation du mot de passe par e-mail n'est pas proposée ici : demandez à un administrateur un nouveau mot de passe
too-many-reset-links-were = trop de liens de réinitialisation ont été demandés depuis cette connexion
give-1-to-100-characters = donnez { $what ->
    [first-name] le prénom
    [last-name] le nom
   *[other] { $what }
} (1 à 100 caractères)
say-why-3-to-200 = dites pourquoi (3 à 200 caractères) : c'est inscrit au journal d'audit
there-is-no-resident = il n'y a pas d'habitant { $id }
resident-cannot-be-merged-into = un habitant ne peut pas être fusionné avec lui-même
one-of-them-was-merged = l'un d'eux a déjà été fusionné : cherchez à nouveau et fusionnez dans celui affiché
these-two-are-not-possible = ces deux fiches ne sont pas des doublons possibles (même numéro de téléphone et un nom en commun) : on ne fusionne que la même personne inscrite deux fois
resident-is-not-merged-into = l'habitant { $id } n'est fusionné avec personne
too-many-sign-in-attempts = trop de tentatives de connexion depuis cette connexion
this-account-is-locked-for = ce compte est bloqué pour cette connexion après { $max_failures } mots de passe erronés de suite ; attendez, ou demandez à un administrateur un nouveau mot de passe
this-account-is-now-locked = ce compte est maintenant bloqué pour cette connexion après { $max_failures } mots de passe erronés de suite ; attendez, ou demandez à un administrateur un nouveau mot de passe
this-account-is-disabled-ask = ce compte est désactivé : adressez-vous à un administrateur
your-session-was-ended-signed = votre session a pris fin (déconnexion, nouveau mot de passe ou compte désactivé) : reconnectez-vous
your-session-ended-after-minutes = votre session a pris fin après { $minutes } minutes d'inactivité : reconnectez-vous
your-session-ended-hours-after = votre session a pris fin { $num_hours } heures après la connexion : reconnectez-vous
this-api-token-is-not = ce jeton d'API n'est pas valide, a expiré ou a été révoqué : demandez-en un nouveau
give-name-of-1-to = donnez un nom de 1 à 100 caractères, tel que les collègues doivent le voir
at-site = { $role } sur le site { $site }
every-grant-needs-role = chaque attribution a besoin d'un rôle
there-is-already-account-for = il existe déjà un compte pour { $email }
say-which-role-to-grant = dites quel rôle attribuer
does-not-have-role = { $display_name } n'a pas le rôle { $role }
this-is-last-administrator-make = c'est le dernier administrateur : nommez d'abord quelqu'un d'autre administrateur
too-many-wrong-passwords = trop de mots de passe erronés
current-password-is-wrong-type = le mot de passe actuel est faux : tapez-le à nouveau
give-token-label-of-1 = donnez au jeton un libellé de 1 à 80 caractères qui dit ce qui l'utilise
token-lasts-1-to-days = un jeton dure de 1 à { $max } jours, pas { $days }
token-cannot-make-token-that = un jeton ne peut pas créer un jeton qui lui survit : celui-ci finit le { $ends }, demandez moins de jours ou connectez-vous avec un mot de passe
tokens-are-active-already-revoke = { $active } jetons sont déjà actifs : révoquez-en un que vous n'utilisez plus
there-is-no-token = il n'y a pas de jeton { $token_id }
reset-email-subject = Créneau : un nouveau mot de passe
reset-email-body =
    Bonjour { $name },

    Pour choisir un nouveau mot de passe Créneau, ouvrez ce lien dans les 30 minutes :
    { $link }

    Si vous n’avez rien demandé, ignorez ce message : votre mot de passe ne change pas.
wrong-email-or-password = e-mail ou mot de passe incorrect
changed-meanwhile = { $what } a changé pendant l'opération : réessayez
token-not-a-session = vous utilisez un jeton d'API, pas une session : révoquez le jeton avec DELETE /api/v1/tokens/{"{"}token_id{"}"}
