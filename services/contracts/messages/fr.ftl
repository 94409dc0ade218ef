# The contracts crate's messages, in French.

not-an-email = { $value } n'est pas une adresse e-mail : écrivez-la comme nom@exemple.fr
phone-empty = le numéro de téléphone est vide : tapez un numéro de portable comme 06 12 34 56 78
not-a-phone-number = { $value } n'est pas un numéro de téléphone : tapez un numéro de portable comme 06 12 34 56 78
not-a-mobile-number = { $value } n'est pas un numéro de portable : les SMS demandent un portable (06, 07, ou +… à l'étranger)
time-skipped = { $time } n'existe pas à Paris (on avance l'heure cette nuit-là) : choisissez une autre heure
time-twice = { $time } existe deux fois à Paris (on recule l'heure cette nuit-là) : choisissez une autre heure
not-a-role = { $value } n'est pas un rôle : utilisez reception, mediator, it_helper, coordinator ou admin
