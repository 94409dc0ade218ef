# The HTTP layer's messages, in Arabic.

any-site = أي مكان
site = المكان { $site }
this-needs-role-at-ask = يلزم الدور { $role } في { $at }؛ اطلبه من مسؤول إن كان يجب أن يكون لك
sign-in-first = سجّل الدخول أولًا
authorization-header-must-be-bearer = يجب أن يكون الترويسة Authorization « Bearer <رمز> » مع رمز API
this-form-is-too-large = هذا النموذج كبير جدًا: 64 كيلوبايت على الأكثر
route-has-no-access-rule = المسار { $method } { $path } ليست له قاعدة وصول: صرّح به عبر api::Routes
this-request-comes-from-page = هذا الطلب آتٍ من صفحة موقع آخر: افتح Créneau على عنوانه الخاص وأعد المحاولة
sign-in-first-this-needs = سجّل الدخول أولًا: يلزم جلسة موظف أو رمز API
this-form-is-out-of = هذا النموذج قديم أو لم يُرسل من Créneau: أعد تحميل الصفحة وأعد المحاولة
this-needs-administrator-of-every = يجب أن تكون مسؤولًا عن جميع الأماكن
this-needs-role-for-every = يلزم الدور { $role } لجميع الأماكن؛ اسأل مسؤولًا إن كان يجب أن يكون لك
body-does-not-fit-this = المحتوى لا يناسب هذا الطلب: { $text }
send-body-as-json = أرسل المحتوى بصيغة JSON: { $text }
is-not-id-check-address = { $raw } ليس معرّف { $what ->
    [site] مكان
    [staff] موظف
    [resident] ساكن
    [token] رمز
    [permanence] دوام
    [appointment] موعد
    [closure] إغلاق
    [rule] قاعدة
    [ticket] تذكرة
    [visit] زيارة
   *[other] { $what }
}: تحقّق من العنوان
something-went-wrong-on-our = حدثت مشكلة من جهتنا؛ أعد المحاولة، وأعطِ معرّف الترابط إن استمرت
not-ready = ليس جاهزًا بعد: { $what }
send-body-as-json-with = أرسل المحتوى بصيغة JSON، مع Content-Type: application/json
body-is-not-valid-json = المحتوى ليس JSON صالحًا: { $body_text }
this-request-is-too-large = هذا الطلب كبير جدًا: 256 كيلوبايت على الأكثر
addresss-query-string-is-not = معاملات العنوان غير صالحة
addresss-parameters-do-not-fit = معاملات العنوان غير مناسبة: { $text }
method-not-allowed = هذا العنوان لا يقبل { $method }: استخدم { $allowed }
wait-seconds = { $count ->
    [one] ثانية واحدة
    [two] ثانيتين
    [few] { $count } ثوانٍ
   *[other] { $count } ثانية
}
wait-minutes = { $count ->
    [one] دقيقة واحدة
    [two] دقيقتين
    [few] { $count } دقائق
   *[other] { $count } دقيقة
}
try-again-in = { $what }: أعد المحاولة بعد { $wait }
the-log-does-not-answer = سجل الأحداث لا يستجيب الآن: أعد المحاولة بعد بضع ثوانٍ
