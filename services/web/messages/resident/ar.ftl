# Every word of the resident pages, in Arabic (the pages are right to left).
skip = انتقل إلى المحتوى
language = اللغة
back = رجوع
step = الخطوة { $n } من 4
book-title = حجز موعد
book-intro = شخص يساعدك. في معاملة على الإنترنت، أو في هاتفك، أو في حاسوبك. الخدمة مجانية.
where-q = أين تريد أن تأتي؟
next-free = أقرب موعد متاح: { $when }
no-free = لا يوجد موعد متاح خلال الأسابيع الأربعة القادمة.
map = عرض على الخريطة
closed-now = مغلق حالياً.
why-q = ما الذي تحتاج المساعدة فيه؟
group-procedure = إجراء عبر الإنترنت
group-device = مساعدة في الهاتف أو الحاسوب أو الإنترنت
when-q = متى تريد أن تأتي؟
earliest = أقرب المواعيد المتاحة
other-day = أو اختر يوماً
none-that-day = لا توجد مواعيد متاحة في ذلك اليوم. اختر يوماً آخر.
times-on = الأوقات المتاحة يوم { $day }
free-count = { $count ->
    [zero] لا أوقات متاحة
    [one] وقت واحد متاح
    [two] وقتان متاحان
    [few] { $count } أوقات متاحة
   *[other] { $count } وقتاً متاحاً
}
who-q = من سيأتي؟
first-name = الاسم الشخصي
last-name = اسم العائلة
mobile = رقم الهاتف المحمول
mobile-hint = لتصلك رسالة تذكير. مثال: 06 12 34 56 78
email = البريد الإلكتروني (إن أردت)
email-hint = مثال: nom@exemple.fr
sms-consent = أريد رسالة قصيرة للتأكيد ورسالة تذكير قبل الموعد.
sms-consent-hint = إذا اخترت هذا، تصلك: رسالة التأكيد، وتذكير قبل الموعد، والرابط لتغيير الساعة أو الإلغاء. إذا لم تختره، يُحجز الموعد أيضًا.
confirm = تأكيد الموعد
place = المكان
reason = من أجل
date-time = التاريخ والساعة
address = العنوان
access = الوصول
site-phone = هاتف الاستقبال
bring = أحضر معك
reference = المرجع
booked-title = تم حجز موعدك
booked-sms = سنرسل لك رسالة قصيرة للتأكيد، ثم رسالة تذكير قبل يومين.
booked-no-sms = لن تصلك رسالة قصيرة. سجّل التاريخ والساعة.
how-to-cancel = لتغيير الساعة أو الإلغاء، افتح الرابط الموجود في الرسالة القصيرة، أو احتفظ بعنوان هذه الصفحة.
how-to-cancel-no-sms = لتغيير الساعة أو الإلغاء: اتصل بالاستقبال. يمكنك أيضًا الاحتفاظ بهذه الصفحة.
add-to-calendar = أضف إلى تقويمي
print = طباعة
your-appointment = موعدك
cancel = إلغاء الموعد
cancel-q = هل تريد فعلاً إلغاء هذا الموعد؟
cancel-yes = نعم، ألغِ الموعد
move = تغيير الساعة
move-q = اختر ساعة جديدة
cancelled = تم إلغاء هذا الموعد.
moved = تم ذلك: هذه هي ساعتك الجديدة.
past = لقد مضى هذا الموعد.
code-title = الرمز المرسل في رسالة قصيرة
code-sent = أرسلنا رمزاً من 6 أرقام إلى { $phone }. اكتبه هنا.
code-label = رمز من 6 أرقام
code-send-again = الحصول على رمز جديد
err-fix = يوجد خطأ. اقرأ الرسالة تحت الخانة التي يجب تصحيحها.
err-first-name = اكتب اسمك الشخصي.
err-last-name = اكتب اسم عائلتك.
err-too-long = هذا طويل جداً: { $max } حرفاً على الأكثر.
err-phone = هذا ليس رقم هاتف محمول. مثال: 06 12 34 56 78
err-email = عنوان البريد الإلكتروني غير كامل. مثال: nom@exemple.fr
err-code = هذا الرمز غير صحيح. انظر إلى آخر رسالة قصيرة، أو اطلب رمزاً جديداً.
err-expired = بقيت الصفحة مفتوحة مدة طويلة. احتفظنا بأجوبتك: تحقق منها وأرسلها من جديد.
err-taken = حجز شخص آخر هذه الساعة للتو. اختر ساعة أخرى:
err-already = لديك موعد من أجل الأمر نفسه. يمكنك تغييره بالرابط الموجود في الرسالة القصيرة.
err-too-many = محاولات كثيرة جداً. انتظر بضع دقائق أو اتصل بالاستقبال.
err-unavailable = الخدمة لا تستجيب حالياً. أعد المحاولة بعد دقيقة.
err-not-found = هذه الصفحة غير موجودة.
err-link = هذا الرابط لا يعمل أو انتهت صلاحيته. اتصل بالاستقبال بخصوص موعدك.
err-link-call = اتصل باستقبال مكانك:
err-other = لم ينجح ذلك:
home = الرئيسية
staff-space = فضاء الموظفين

# Why residents come, on a button or in a table.
reason-procedure-caf = صندوق المنح العائلية (CAF)
reason-procedure-prefecture = المحافظة، بطاقة الإقامة
reason-procedure-ants = بطاقة الهوية، جواز السفر، رخصة السياقة (ANTS)
reason-procedure-france-travail = فرانس ترافاي، العمل
reason-procedure-taxes = الضرائب
reason-procedure-housing = السكن
reason-procedure-health-insurance = الصحة، التأمين الصحي
reason-procedure-retirement = التقاعد
reason-procedure-schooling = المدرسة
reason-procedure-other = معاملة أخرى عبر الإنترنت
reason-smartphone = الهاتف الذكي
reason-computer = الحاسوب
reason-email = البريد الإلكتروني
reason-printing = طباعة، نسخ، مسح ضوئي
reason-personal-documents = مسح وإرسال وثائقي
reason-introduction = التعرف على الرقمي
reason-other = أمر آخر
time-chosen = الوقت المختار: { $when }. اختر الآن سبب الموعد.
reason-workshop = ورشة
workshops = الورشات
workshops-intro = تعلّم في مجموعة صغيرة، مجاناً. شخص يساعدك.
workshops-link = شاهد الورشات: تعلّم الهاتف الذكي والحاسوب والبريد الإلكتروني
no-workshops = لا توجد ورشة مبرمجة حالياً. اتصل بالاستقبال.
workshop-places = { $left ->
    [zero] لا مكان متاح
    [one] مكان واحد متاح
    [two] مكانان متاحان
    [few] { $left } أماكن متاحة
   *[other] { $left } مكاناً متاحاً
} من { $total }
workshop-full = مكتملة
workshop-enrol = سجّل
workshop-level-beginner = للمبتدئين
workshop-level-intermediate = للمتقدمين
workshop-level-all = للجميع
workshop-language = باللغة { $language }
workshop-series = { $count ->
    [zero] لا جلسات
    [one] جلسة واحدة
    [two] جلستان
    [few] { $count } جلسات
   *[other] { $count } جلسة
}، تسجيل واحد: { $days }
wait-link = أخبرني إذا أصبح مكان متاحاً
wait-title = قائمة الانتظار
wait-intro = لا يوجد مكان متاح. اترك رقمك: إذا أصبح مكان متاحاً، تصلك رسالة قصيرة. المكان محجوز لك لمدة ساعتين (لا يُحتسب الليل).
wait-sms-hint = يُعرض عليك المكان المتاح برسالة قصيرة، مع رابط لأخذه.
wait-sms-needed = لتكون على القائمة، اقبل الرسائل القصيرة: يُعرض عليك المكان برسالة قصيرة.
wait-join = سجّلني في قائمة الانتظار
wait-joined = تم: أنت على قائمة الانتظار.
wait-position = أنت رقم { $position } على قائمة الانتظار.
wait-keep-link = احتفظ بهذه الصفحة (أو اتصل بالاستقبال): تُظهر مكانك في القائمة.
wait-leave = مغادرة قائمة الانتظار
wait-left = لم تعد على قائمة الانتظار هذه.
offer-title = أصبح مكان متاحاً لك
offer-until = إنه محجوز لك حتى { $until }.
offer-ended = هذا المكان لم يعد محجوزاً لك: عُرض على الشخص التالي.
offer-take = آخذ هذا المكان
offer-decline = لا، شكراً
