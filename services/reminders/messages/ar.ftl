# What residents receive about their appointments, in Arabic (UCS-2 SMS:
# 70 characters a segment; no fitting is attempted).

weekday-1 = الاثنين
weekday-2 = الثلاثاء
weekday-3 = الأربعاء
weekday-4 = الخميس
weekday-5 = الجمعة
weekday-6 = السبت
weekday-7 = الأحد

day = { $weekday } { $date }
time = { $hour }:{ $minute }
when = { $day } الساعة { $time }

hint-procedure-caf = أحضر رموز CAF الخاصة بك.
hint-procedure-prefecture = أحضر جواز السفر وبطاقة الإقامة.
hint-procedure-ants = أحضر بطاقة الهوية وصورة.
hint-procedure-france-travail = أحضر رموز France Travail.
hint-procedure-taxes = أحضر إشعار الضريبة.
hint-procedure-health-insurance = أحضر بطاقة Vitale.
hint-smartphone = أحضر هاتفك مشحونا.
hint-email = أحضر رموز بريدك الإلكتروني.

sms-confirmation = موعدك { $when }، { $place }.{ $hint } للتغيير أو الإلغاء: { $link }
sms-reminder = تذكير: موعدك { $when }، { $place }.{ $hint } للتغيير أو الإلغاء: { $link }
sms-moved = تم تغيير موعدك إلى { $when }، { $place }.{ $hint } التفاصيل: { $link }
sms-cancelled = تم إلغاء موعدك { $when }، { $place }.
sms-cancelled-call = تم إلغاء موعدك { $when }، { $place }. لحجز موعد جديد: { $phone }
sms-code = Créneau: رمزك هو { $code }. صالح لمدة 10 دقائق.

email-subject-confirmation = تأكيد الموعد: { $when }
email-subject-reminder = تذكير بالموعد: { $when }
email-subject-moved = تم تغيير الموعد: { $when }
email-subject-cancelled = تم إلغاء الموعد: { $when }
email-body =
    مرحبا،

    موعدك: { $when }
    المكان: { $place }
    { $hint }
    للتغيير أو الإلغاء: { $link }
email-body-cancelled =
    مرحبا،

    تم إلغاء موعدك { $when } في { $place }.
    لحجز موعد جديد، اتصل بـ { $phone }.
sms-offer = أصبح مكان متاحاً: { $when }، { $place }. محجوز لك حتى { $until }. لأخذه: { $link }
email-subject-offer = مكان لك: { $when }
