# Every word of the resident pages, in Arabic (the pages are right to left).
skip = انتقل إلى المحتوى
language = اللغة
back = رجوع
step = الخطوة { $n } من 4
book-title = حجز موعد
book-intro = يساعدك وسيط رقمي في معاملاتك عبر الإنترنت أو في استعمال هاتفك أو حاسوبك. الخدمة مجانية.
where-q = أين تريد أن تأتي؟
next-free = أقرب موعد متاح: { $when }
no-free = لا يوجد موعد متاح خلال الأسابيع الأربعة القادمة.
map = عرض على الخريطة
closed-now = مغلق حالياً.
why-q = ما الذي تحتاج المساعدة فيه؟
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
confirm = تأكيد الموعد
place = المكان
reason = من أجل
date-time = التاريخ والساعة
address = العنوان
bring = أحضر معك
reference = المرجع
booked-title = تم حجز موعدك
booked-sms = سنرسل لك رسالة قصيرة للتأكيد، ثم رسالة تذكير قبل يومين.
booked-no-sms = لن تصلك رسالة قصيرة. سجّل التاريخ والساعة.
how-to-cancel = لتغيير الساعة أو الإلغاء، افتح الرابط الموجود في الرسالة القصيرة، أو احتفظ بعنوان هذه الصفحة.
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
err-fix = تحقق مما هو مشار إليه أدناه.
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
