# The reminders service's messages, in Arabic.

there-is-no-appointment = لا يوجد موعد { $id }
there-is-no-site = لا يوجد مكان { $site }
is-not-offered-fr-en = { $other } غير متاحة: fr أو en أو ar
this-site-does-not-ask = هذا المكان لا يطلب رمزًا: احجز مباشرة
code-could-not-be-sent = تعذّر إرسال الرمز برسالة قصيرة الآن: أعد المحاولة بعد دقيقة، أو اتصل بالاستقبال
no-sms-provider-is-configured = لم يُضبط أي مزوّد رسائل قصيرة { $provider }
report-forged = توقيع التقرير أو سرّه خاطئ
report-not-understood = التقرير غير مفهوم: { $why }
no-sms-was-sent = لم تُرسل أي رسالة قصيرة لهذا الموعد بعد: لا يوجد ما يُعاد إرساله
appointment-has-passed = هذا الموعد قد مضى: لم تعد تُرسل رسائل قصيرة بشأنه
no-sms-for-this-person = هذا الشخص لم يوافق على الرسائل القصيرة أو ليس لديه رقم هاتف محمول: عدّل ملفه أولًا، أو أخبره بالهاتف
appointment-is-cancelled = هذا الموعد ملغى: أخبر الشخص بالهاتف، أو احجز موعدًا آخر
