# The api service's messages, in French.

any-site = n'importe quel site
site = le site { $site }
this-needs-role-at-ask = il faut le rôle { $role } sur { $at } ; demandez-le à un administrateur si vous devriez l'avoir
sign-in-first = connectez-vous d'abord
authorization-header-must-be-bearer = l'en-tête Authorization doit être « Bearer <jeton> » avec un jeton d'API
this-form-is-too-large = ce formulaire est trop grand : 64 Kio au plus
route-has-no-access-rule = la route { $method } { $path } n'a pas de règle d'accès : déclarez-la par api::Routes
this-request-comes-from-page = cette demande vient d'une page d'un autre site : ouvrez Créneau à sa propre adresse et recommencez
sign-in-first-this-needs = connectez-vous d'abord : il faut une session d'agent ou un jeton d'API
this-form-is-out-of = ce formulaire est périmé ou n'a pas été envoyé depuis Créneau : rechargez la page et recommencez
this-needs-administrator-of-every = il faut être administrateur de tous les sites
this-needs-role-for-every = il faut le rôle { $role } pour tous les sites ; demandez à un administrateur si vous devriez l'avoir
body-does-not-fit-this = le contenu ne correspond pas à cette demande : { $text }
send-body-as-json = envoyez le contenu en JSON : { $text }
is-not-id-check-address = { $raw } n'est pas un identifiant { $what ->
    [site] de site
    [staff] d'agent
    [resident] d'habitant
    [token] de jeton
    [permanence] de permanence
    [appointment] de rendez-vous
    [closure] de fermeture
    [rule] de règle
    [ticket] de ticket
    [visit] de visite
   *[other] de { $what }
} : vérifiez l'adresse
something-went-wrong-on-our = un problème est survenu de notre côté ; réessayez, et donnez l'identifiant de corrélation si cela continue
not-ready = pas encore prêt : { $what }
send-body-as-json-with = envoyez le contenu en JSON, avec Content-Type: application/json
body-is-not-valid-json = le contenu n'est pas du JSON valide : { $body_text }
this-request-is-too-large = cette requête est trop grande : 256 Kio au plus
addresss-query-string-is-not = les paramètres de l'adresse ne sont pas valides
addresss-parameters-do-not-fit = les paramètres de l'adresse ne conviennent pas : { $text }
method-not-allowed = cette adresse n'accepte pas { $method } : utilisez { $allowed }
wait-seconds = { $count ->
    [one] { $count } seconde
   *[other] { $count } secondes
}
wait-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
try-again-in = { $what } : réessayez dans { $wait }
the-log-does-not-answer = le journal des événements ne répond pas pour l'instant : réessayez dans quelques secondes
