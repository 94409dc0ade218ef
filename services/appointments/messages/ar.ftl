# The appointments service's messages, in Arabic (what a resident reads on
# an Arabic page when a booking, a move or a cancellation is refused).

this-time-is-in-past = هذا الوقت قد مضى: اختر وقتًا قادمًا
book-at-least-minutes-ahead = احجز قبل { $notice } دقيقة على الأقل؛ لليوم نفسه، اتصل بالاستقبال
bookings-open-days-ahead-choose = يُفتح الحجز قبل { $horizon_days } يومًا: اختر تاريخًا أقرب
there-is-no-site = لا يوجد مكان { $site }
there-is-no-appointment-at = لا يوجد موعد في هذا الوقت في هذا المكان: اختر أحد الأوقات من /api/v1/availability
someone-else-changed-this-meanwhile = غيّر شخص آخر هذا في الأثناء: أعد التحميل، وتحقّق من تغييره، ثم أعد تغييرك
is-not-reason-use-procedure = { $code } ليس سببًا: استخدم procedure_caf أو procedure_prefecture أو procedure_ants أو procedure_france_travail أو procedure_taxes أو procedure_housing أو procedure_health_insurance أو procedure_retirement أو procedure_schooling أو procedure_other أو smartphone أو computer أو email أو printing أو personal_documents أو introduction أو other
is-not-site-id = { $raw } ليس معرّف مكان
is-not-date-write-2026 = { $text } ليس تاريخًا: اكتب 2026-12-01
ask-for-1-to-60 = اطلب من 1 إلى 60 يومًا
this-time-was-just-taken = حُجز هذا الوقت للتو: إليك الأوقات المتاحة التالية
is-not-offered-fr-en = { $other } غير متاحة: fr أو en أو ar
only-staff-may-book-past = وحدهم الموظفون يمكنهم الحجز متجاوزين قاعدة موعد واحد
open-your-appointment-with-link = افتح موعدك بالرابط الذي وصلك في الرسالة القصيرة أو البريد الإلكتروني
give-time-as-rfc-3339 = أعطِ الوقت بصيغة RFC 3339 مع فرق التوقيت، كما يعطيه /api/v1/availability: 2026-12-01T09:00:00+01:00
is-not-step-arrived-started = { $other } ليست مرحلة: arrived أو started أو done أو no-show أو excused أو undo
site-has-no-permanence = المكان { $site } ليس فيه دوام { $permanence }
use-it-helper-or-mediator = { $other }: استخدم it_helper أو mediator
is-not-step-call-served = { $other } ليست مرحلة: call أو served أو left
this-permanence-has-no-ticket = هذا الدوام ليس فيه تذكرة { $ticket }
use-done-follow-up-or = { $other }: استخدم done أو follow_up أو redirected أو not_said (أو لا تعطه)
too-many-bookings-from-this = حجوزات كثيرة جدًا من هذا الاتصال
too-many-bookings-for-this = حجوزات كثيرة جدًا لرقم الهاتف هذا اليوم
this-resident-already-has-appointment = لهذا الساكن موعد لهذا السبب يوم { $starts } (المرجع { $reference }): انقله، أو أعطِ override_reason لحجز موعد آخر
you-already-have-appointment-for = لديك موعد لهذا السبب: استخدم الرابط في رسالته القصيرة لنقله، أو اتصل بالاستقبال
this-site-confirms-online-bookings = هذا المكان يؤكد الحجوزات عبر الإنترنت برمز يُرسل برسالة قصيرة: اطلبه بـ POST /api/v1/booking-codes ثم أرسله مع الحجز
give-residents-name-200-characters = أعطِ اسم الساكن (200 حرف على الأكثر)
say-why-resident-comes = قل لماذا يأتي الساكن
note-has-characters-at-most = الملاحظة { $max } حرفًا على الأكثر
say-why-in-200-characters = قل السبب في 200 حرف على الأكثر
say-why-appointment-is-cancelled = قل لماذا أُلغي الموعد (يُبلَّغ الساكن بذلك)
there-is-no-appointment = لا يوجد موعد { $id }
this-appointment-is-too-close = هذا الموعد قريب جدًا لإلغائه عبر الإنترنت: اتصل بالاستقبال
this-appointment-was-cancelled = أُلغي هذا الموعد
this-appointment-is-already = هذا الموعد { $stage ->
    [booked] محجوز
    [arrived] وصل صاحبه
    [in_progress] جارٍ
    [done] منتهٍ
    [excused] مسجّل معذور
   *[no_show] مسجَّل غيابًا
} بالفعل
this-appointment-is-on-another = هذا الموعد في يوم آخر: يُسجَّل الحضور في اليوم نفسه
first-name-only-50-characters = الاسم الأول فقط، 50 حرفًا على الأكثر
there-is-no-permanence = لا يوجد دوام { $permanence_id }
this-permanence-has-no-drop = هذا الدوام ليس فيه استقبال حر: احجز موعدًا
this-drop-in-is-not = هذا الاستقبال الحر غير مفتوح الآن
drop-in-is-full-people = الاستقبال الحر ممتلئ ({ $waiting } أشخاص ينتظرون): عد لاحقًا أو احجز موعدًا
there-is-no-ticket = لا توجد تذكرة { $id }
ticket-is-already = التذكرة { $number } { $state ->
    [waiting] في الانتظار
    [called] نودي عليها
    [served] خُدمت
   *[left] غادر صاحبها
} بالفعل
many-people-are-changing-this = أشخاص كثيرون يغيّرون هذا الدوام الآن: أعد المحاولة بعد لحظة
this-appointment-was-cancelled-book = أُلغي هذا الموعد: احجز موعدًا جديدًا
this-appointment-is-too-close-2 = هذا الموعد قريب جدًا لنقله عبر الإنترنت: اتصل بالاستقبال
record-1-to-10-requests = سجّل من 1 إلى 10 طلبات
every-request-needs-reason-and = كل طلب يحتاج إلى سبب ونتيجة
record-what-visit-was-about = سجّل موضوع الزيارة بعد وصول الساكن
record-what-visit-was-about-2 = سجّل موضوع الزيارة بعد المناداة على الساكن
there-is-no-appointment-or = لا يوجد موعد ولا تذكرة { $visit }
slot-taken = حُجز هذا الوقت للتو: اختر وقتًا آخر
use-guided-with-help-or = { $other }: استخدم guided أو with_help أو autonomous أو not_said (أو لا تعطه)
orient-to-a-helper-or-partner = « { $to } »: وجّه إلى it_helper أو mediator، أو إلى شريك يذكره المكان (صفحة المكان)
this-phone-has-a-place-in-session = لهذا الرقم مكان في هذه الورشة: مكان واحد لكل شخص ولكل رقم. لشخص آخر، أعطِ رقمه الخاص، أو اتصل بالاستقبال
enrol-a-drop-in-visitor-by-booking = الشخص الذي جاء دون موعد غير معروف باسمه: سجّله من صفحة الورشات، باسمه ورقمه
session-is-not-of-this-workshop = هذه الجلسة ليست من جلسات هذه الورشة: اختر واحدة من قائمة الورشات
a-waiting-list-needs-sms = يُعرض المكان المتاح برسالة قصيرة: اقبل الرسائل القصيرة، أو اتصل بالاستقبال
you-are-on-this-list-already = أنت على قائمة الانتظار هذه، في المرتبة { $position }
there-is-no-such-entry = هذا الرابط لا يؤدي إلى أي مكان أو قائمة انتظار: اتصل بالاستقبال
this-offer-has-ended = هذا المكان لم يعد محجوزاً لك: عُرض على الشخص التالي. اتصل بالاستقبال لموعد آخر
there-are-free-places-book-one = ما زالت هناك أماكن متاحة: احجز واحداً بدل الانتظار
a-series-has-no-waiting-list = تُتابع السلسلة من جلستها الأولى: لا قائمة انتظار لها. اسأل الاستقبال عن السلسلة القادمة
