# The contracts crate's messages, in Arabic (what a resident reads on an
# Arabic page when a value is refused).

not-an-email = { $value } ليس عنوان بريد إلكتروني: اكتبه هكذا name@exemple.fr
phone-empty = رقم الهاتف فارغ: اكتب رقم هاتف محمول مثل 06 12 34 56 78
not-a-phone-number = { $value } ليس رقم هاتف: اكتب رقم هاتف محمول مثل 06 12 34 56 78
not-a-mobile-number = { $value } ليس رقم هاتف محمول: الرسائل القصيرة تحتاج إلى هاتف محمول (06 أو 07 أو +… من الخارج)
time-skipped = الساعة { $time } غير موجودة في باريس (تُقدَّم الساعة في تلك الليلة): اختر وقتًا آخر
time-twice = الساعة { $time } موجودة مرتين في باريس (تُؤخَّر الساعة في تلك الليلة): اختر وقتًا آخر
not-a-role = { $value } ليس دورًا: استعملوا reception أو mediator أو it_helper أو coordinator أو admin
