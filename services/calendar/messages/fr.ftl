# The calendar service's messages, in French.

someone-else-changed-this-meanwhile = quelqu'un d'autre l'a modifié entre-temps : rechargez, vérifiez sa modification et refaites la vôtre
there-is-no-site = il n'y a pas de site { $id }
is-not-closure-id = { $closure } n'est pas un identifiant de fermeture
is-not-reason-use-procedure = { $name } n'est pas un motif : utilisez procedure_caf, procedure_prefecture, smartphone, computer, email…
capacity-of-0-lets-nobody = une capacité de 0 ne laisse entrer personne : donnez le nombre maximum de personnes à la fois, ou ne la donnez pas pour ne pas limiter
is-not-rule-id = { $raw } n'est pas un identifiant de règle
site-has-no-permanence-rule = le site { $site } n'a pas de règle de permanence { $id }
this-calendar-link-is-not = ce lien d'agenda n'est pas valide : copiez-le à nouveau depuis Créneau (Mon agenda)
give-characters-at-most = donnez { $max } caractères au plus{ $field }
is-not-phone-number-write = { $phone } n'est pas un numéro de téléphone : écrivez-le comme 01 23 45 67 89
give-1-to-10-or = { $n } : donnez de 1 à 10 (ou rien pour 1)
closure-ends-before-it-starts = la fermeture finit avant de commencer : last_day doit être le même jour que first_day ou après
closure-lasts-year-at-most = une fermeture dure un an au plus : fermez plutôt le site (open: false)
say-why-in-200-characters = dites pourquoi, en 200 caractères au plus (les habitants le voient)
site-has-no-closure = le site { $id } n'a pas de fermeture { $closure }
this-overlaps-permanence-of-at = cela chevauche la permanence { $label } de { $start } sur le même site : changez l'heure ou les jours
there-is-no-site-2 = il n'y a pas de site { $site }
rule-stays-at-its-site = une règle reste sur son site : retirez-la et créez-en une sur l'autre site
rule-has-no-permanence-on = la règle { $label } n'a pas de permanence le { $day }
is-not-on-duty-on = { $staff } n'est pas de service le { $day }
partner-name-too-long = « { $name } » : un partenaire se nomme en 100 caractères au plus, sur une ligne
at-most-30-partners = un lieu liste 30 partenaires au plus
workshop-theme-unknown = ce thème n’existe pas : donnez le code d’un motif, par exemple « smartphone », « email » ou « introduction »
workshop-level-unknown = ce niveau n’existe pas : « beginner », « intermediate » ou « all »
workshop-language-unknown = cette langue n’est pas proposée : « fr », « en » ou « ar »
