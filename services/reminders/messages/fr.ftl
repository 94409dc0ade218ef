# What residents receive about their appointments, in French.
# An SMS must fit one GSM-7 segment (160 characters) with a real site and
# link: keep the words short. `$hint` comes with its leading space.

weekday-1 = lun.
weekday-2 = mar.
weekday-3 = mer.
weekday-4 = jeu.
weekday-5 = ven.
weekday-6 = sam.
weekday-7 = dim.

# "mar. 03/12"
day = { $weekday } { $date }
# "mar. 03/12 à 14h30"
time = { $hour }h{ $minute }
when = { $day } à { $time }

hint-procedure-caf = Apportez vos codes CAF.
hint-procedure-prefecture = Apportez passeport et titre de séjour.
hint-procedure-ants = Apportez pièce d'identité et photo.
hint-procedure-france-travail = Apportez vos codes France Travail.
hint-procedure-taxes = Apportez votre avis d'impôt.
hint-procedure-health-insurance = Apportez votre carte Vitale.
hint-smartphone = Apportez votre téléphone chargé.
hint-email = Apportez vos codes e-mail.

sms-confirmation = RDV { $when }, { $place }.{ $hint } Déplacer ou annuler : { $link }
sms-reminder = Rappel : RDV { $when }, { $place }.{ $hint } Déplacer ou annuler : { $link }
sms-moved = Votre RDV est déplacé au { $when }, { $place }.{ $hint } Détails : { $link }
sms-cancelled = Votre RDV du { $when }, { $place } est annulé.
sms-cancelled-call = Votre RDV du { $when }, { $place } est annulé. Pour en reprendre un : { $phone }
sms-code = Créneau : votre code est { $code }. Il est valable 10 minutes.

email-subject-confirmation = Rendez-vous confirmé : { $when }
email-subject-reminder = Rappel : rendez-vous { $when }
email-subject-moved = Rendez-vous déplacé : { $when }
email-subject-cancelled = Rendez-vous annulé : { $when }
email-body =
    Bonjour,

    Votre rendez-vous : { $when }
    Lieu : { $place }
    { $hint }
    Pour le déplacer ou l'annuler : { $link }
email-body-cancelled =
    Bonjour,

    Votre rendez-vous du { $when } à { $place } est annulé.
    Pour en reprendre un, appelez le { $phone } ou réservez en ligne.
sms-offer = Une place s'est libérée : { $when }, { $place }. Gardée pour vous jusqu'à { $until }. Pour la prendre : { $link }
email-subject-offer = Une place pour vous : { $when }
