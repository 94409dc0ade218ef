# The web pages' own errors, in Arabic.

there-is-no-site = لا يوجد مكان { $raw }
this-needs-administrator-of-every = يجب أن تكون مسؤولًا عن جميع الأماكن
there-is-no-site-2 = لا يوجد مكان { $site }
there-is-no-appointment = لا يوجد موعد { $raw }
there-is-no-ticket = لا توجد تذكرة { $raw }
there-is-no-rule = لا يوجد دوام منتظم { $raw }
