# The identity service's messages, in Arabic.

too-many-codes-were-asked = طُلبت رموز كثيرة جدًا من هذا الاتصال
several-codes-were-sent-to = أُرسلت عدة رموز إلى هذا الرقم بالفعل
this-code-was-typed-wrong = كُتب هذا الرمز خطأً مرات كثيرة: اطلب رمزًا جديدًا
this-code-has-expired-it = انتهت صلاحية هذا الرمز (يدوم 10 دقائق): اطلب رمزًا جديدًا
this-code-was-used-for = استُعمل هذا الرمز لحجز من قبل: اطلب رمزًا جديدًا
this-is-not-code-we = هذا ليس الرمز المرسل: تحقّق من الأرقام الستة في الرسالة القصيرة واكتبها من جديد
body-does-not-fit-this = المحتوى لا يناسب هذا الطلب: { $why }
your-account-is-gone-sign = حسابك لم يعد موجودًا: سجّل الدخول من جديد
you-have-no-token = ليس لديك رمز { $token_id }
site-id-empty = site_id فارغ: اذكروا مكان الدور، أو احذفوا site_id لكل الأماكن
site-id-is-not-site = site_id { $text } ليس معرّف مكان
there-is-no-staff-account = لا يوجد حساب موظف { $id }
language-is-not-offered-use = اللغة { $other } غير متاحة: استخدم fr أو en أو ar
is-not-site-id = { $raw } ليس معرّف مكان
say-at-which-of-your = قل في أيّ من أماكنك سُجّل الساكن
say-whose-history-to-list = قل سجلّ من تريد عرضه: ?staff=<id> أو ?resident=<id>
is-not-resident-id = { $into } ليس معرّف ساكن
too-many-wrong-links-from = روابط خاطئة كثيرة جدًا من هذا الاتصال
this-link-no-longer-works = هذا الرابط لم يعد يعمل: استخدم أحدث رسالة قصيرة أو بريد إلكتروني عن موعدك، أو اتصل بالاستقبال
this-link-has-expired-appointment = انتهت صلاحية هذا الرابط: الموعد قد مضى. لأخذ موعد جديد، اتصل بالاستقبال أو احجز عبر الإنترنت
password-has-characters-use-at = كلمة المرور فيها { $chars } حرفًا: استعمل { $min } على الأقل (بضع كلمات تصنع كلمة مرور جيدة)
password-is-longer-than-characters = كلمة المرور تتجاوز { $max } حرفًا
password-repeats-too-few-characters = كلمة المرور قليلة التنوع في حروفها: اختر كلمة أصعب تخمينًا
type-at-least-two-letters = اكتب حرفين على الأقل من اسم، أو رقم هاتف
there-is-no-resident-at = لا يوجد ساكن { $id } في أماكنك
this-link-does-not-work = هذا الرابط لا يعمل (قديم جدًا، أو استُعمل، أو ناقص): اطلب رابطًا جديدًا
password-resets-by-email-are = إعادة تعيين كلمة المرور بالبريد الإلكتروني غير متاحة هنا: اطلب من مسؤول كلمة مرور جديدة
too-many-reset-links-were = طُلبت روابط إعادة تعيين كثيرة جدًا من هذا الاتصال
give-1-to-100-characters = أعطِ { $what ->
    [first-name] الاسم الأول
    [last-name] اسم العائلة
   *[other] { $what }
} (من 1 إلى 100 حرف)
say-why-3-to-200 = قل السبب (من 3 إلى 200 حرف): يُدوَّن في سجل التدقيق
there-is-no-resident = لا يوجد ساكن { $id }
resident-cannot-be-merged-into = لا يمكن دمج ساكن مع نفسه
one-of-them-was-merged = دُمج أحدهما من قبل: ابحث من جديد وادمج في الملف الظاهر
these-two-are-not-possible = هذان الملفان ليسا تكرارًا محتملًا (نفس رقم الهاتف واسم مشترك): لا يُدمج إلا الشخص نفسه المسجّل مرتين
resident-is-not-merged-into = الساكن { $id } غير مدموج مع أحد
too-many-sign-in-attempts = محاولات دخول كثيرة جدًا من هذا الاتصال
this-account-is-locked-for = هذا الحساب مقفل لهذا الاتصال بعد { $max_failures } كلمات مرور خاطئة متتالية؛ انتظر، أو اطلب من مسؤول كلمة مرور جديدة
this-account-is-now-locked = هذا الحساب مقفل الآن لهذا الاتصال بعد { $max_failures } كلمات مرور خاطئة متتالية؛ انتظر، أو اطلب من مسؤول كلمة مرور جديدة
this-account-is-disabled-ask = هذا الحساب معطّل: توجّه إلى مسؤول
your-session-was-ended-signed = انتهت جلستك (خروج، أو كلمة مرور جديدة، أو حساب معطّل): سجّل الدخول من جديد
your-session-ended-after-minutes = انتهت جلستك بعد { $minutes } دقيقة من عدم النشاط: سجّل الدخول من جديد
your-session-ended-hours-after = انتهت جلستك بعد { $num_hours } ساعات من الدخول: سجّل الدخول من جديد
this-api-token-is-not = رمز API هذا غير صالح أو منتهي الصلاحية أو ملغى: اطلب رمزًا جديدًا
give-name-of-1-to = أعطِ اسمًا من 1 إلى 100 حرف، كما يجب أن يراه الزملاء
at-site = { $role } في المكان { $site }
every-grant-needs-role = كل إسناد يحتاج إلى دور
there-is-already-account-for = يوجد حساب بالفعل لـ { $email }
say-which-role-to-grant = قل أيّ دور يُسند
does-not-have-role = ليس لـ { $display_name } الدور { $role }
this-is-last-administrator-make = هذا آخر مسؤول: عيّن شخصًا آخر مسؤولًا أولًا
too-many-wrong-passwords = كلمات مرور خاطئة كثيرة جدًا
current-password-is-wrong-type = كلمة المرور الحالية خاطئة: اكتبها من جديد
give-token-label-of-1 = أعطِ الرمز تسمية من 1 إلى 80 حرفًا تقول ما الذي يستعمله
token-lasts-1-to-days = يدوم الرمز من 1 إلى { $max } يومًا، لا { $days }
token-cannot-make-token-that = لا يمكن لرمز أن ينشئ رمزًا يعيش بعده: هذا ينتهي في { $ends }، اطلب أيامًا أقل أو سجّل الدخول بكلمة مرور
tokens-are-active-already-revoke = { $active } رموز نشطة بالفعل: ألغِ رمزًا لم تعد تستعمله
there-is-no-token = لا يوجد رمز { $token_id }
reset-email-subject = Créneau: كلمة مرور جديدة
reset-email-body =
    مرحبًا { $name }،
    لاختيار كلمة مرور جديدة لـ Créneau، افتح هذا الرابط خلال 30 دقيقة:
    { $link }
    إن لم تطلب شيئًا، تجاهل هذه الرسالة: كلمة مرورك لا تتغير.
wrong-email-or-password = البريد الإلكتروني أو كلمة المرور غير صحيحة
changed-meanwhile = تغيّر { $what } أثناء العملية: أعد المحاولة
token-not-a-session = أنت تستخدم رمز API وليس جلسة: ألغِ الرمز بـ DELETE /api/v1/tokens/{"{"}token_id{"}"}
