# carebell's wording in Arabic. Every language has exactly the messages English has
# (a test checks it). Interface labels first, then notification texts.

skip_to_content = انتقل إلى المحتوى
times_in = الأوقات بتوقيت
unread_notifications = إشعارات غير مقروءة
sign_in = تسجيل الدخول
sign_out = تسجيل الخروج
email = البريد الإلكتروني
pw_label = كلمة المرور
language = اللغة
notifications = الإشعارات
unread = غير مقروءة
mark_all_read = تعليم الكل كمقروء
mark_read = تعليم كمقروء
no_notifications = لا توجد إشعارات بعد.
back_to_dashboard = العودة إلى لوحة التحكم
role-patient = مريض
role-practitioner = طبيب
role-admin = مسؤول
patient_dashboard = مواعيدي
appointment = الموعد
history = ما جرى
past_cutoff = فات أوان إلغاء هذا الموعد أو نقله عبر الإنترنت؛ يُرجى الاتصال بالعيادة.
my_appointments = المواعيد القادمة
no_appointments = ليس لديك أي موعد قادم.
past_appointments = السابقة
status-requested = بانتظار التأكيد
status-confirmed = مؤكد
status-declined = مرفوض
status-cancelled = ملغى
cancel_reason = السبب (اختياري)
cancel_reason_required = السبب (يُبلَّغ به المريض)
cancel = إلغاء الموعد
move_to = نقل إلى
reschedule = تغيير الموعد
practitioners = الأطباء
follow = متابعة
following = متابَع (إيقاف)
free_slots = الأوقات المتاحة
no_free_slots = لا توجد أوقات متاحة حالياً.
reason_for_visit = سبب الزيارة
urgency = مدى الاستعجال
urgency-routine = عادي
urgency-soon = قريباً
urgency-urgent = عاجل
book = حجز
practitioner_dashboard = عيادتي
pending_requests = طلبات بانتظار الرد
no_pending = لا توجد طلبات بانتظار الرد.
accept = قبول
decline_reason = سبب الرفض
decline = رفض
agenda = المواعيد المؤكدة
no_agenda = لا شيء مؤكد بعد.
my_slots = أوقاتي المتاحة
add_slots = إضافة أوقات
date = التاريخ
from = من
until = إلى
minutes = دقائق لكل موعد
notify_followers = إبلاغ المتابعين
add = إضافة
notify_availability = إبلاغ المتابعين بالأوقات المتاحة
note = ملاحظة (اختيارية)
send = إرسال
no_slots = لا توجد أوقات قادمة.
free = متاح
held = محجوز
deliveries = الإرسالات
delivery_states = حالات الإرسال
job-dead = فاشلة
job-pending = قيد الانتظار
job-sending = قيد الإرسال
job-sent = مرسلة
job-delivered = سُلِّمت (إشعار التسليم)
job-undelivered = لم تُسلَّم (إشعار التسليم)
job-voided = ملغاة
no_deliveries = لا شيء.
kind = النوع
channel = القناة
recipient = المستلم
due = الموعد
attempts = المحاولات
last_error = السبب
in_flight_at_change = سُلِّم إلى المزوّد قبل تغيير الموعد؛ رسالة التغيير تتبعه.
actions = إجراءات
retry = إعادة المحاولة
offer = موعد محجوز لك
offer_held_until = محجوز لك حتى
offer_moves_from = موعدك الحالي يوم
offer_accept = خذ هذا الموعد
offer_decline = اتركه للشخص التالي
offer_see_appointment = عرض الموعد
offer-open = محجوز لك
offer-accepted = مأخوذ
offer-declined = تُرك للتالي
offer-expired = انتهى الحجز
waitlist = قائمة الانتظار
waitlist_none = أنت لا تنتظر أي موعد.
waitlist_join = أبلغني عندما يتاح موعد
waitlist_join_earlier = أبلغني إذا أتيح موعد أبكر
waitlist_from = من (تاريخ)
waitlist_until = حتى (تاريخ)
waitlist_day_start = ليس قبل
waitlist_day_end = ليس بعد
waitlist_earlier_than = أبكر من
waitlist_leave = مغادرة قائمة الانتظار
waitlist_offers = عروض الأوقات المتاحة
attendance_confirm = سأحضر
attendance_confirmed = الحضور مؤكد
ok-offer_accepted = الموعد لك.
ok-offer_declined = تم: عُرض الموعد على الشخص التالي. ستبقى على قائمة الانتظار.
ok-waitlist_joined = أنت على قائمة الانتظار: عندما يتاح موعد يناسبك يُحجز لك ونبلغك.
ok-waitlist_left = غادرت قائمة الانتظار.
ok-attendance_confirmed = شكرًا: يرى الطبيب أنك ستحضر.
ok-booked = تم إرسال طلبك. سنبلغك فور تأكيده.
ok-cancelled = تم إلغاء الموعد.
ok-rescheduled = تم نقل الموعد.
ok-followed = ستصلك أخبار الأوقات المتاحة الجديدة.
ok-unfollowed = لم تعد تتابع هذا الطبيب.
ok-accepted = تم القبول. تم إبلاغ المريض.
ok-declined = تم الرفض. تم إبلاغ المريض.
ok-slots_added = تمت إضافة الأوقات.
ok-notified = تم إبلاغ متابعيك.
ok-retried = أعيد الإرسال إلى قائمة الانتظار.
ok-read = تم التعليم كمقروء.
ok-all_read = تم تعليم الكل كمقروء.
error-other = لم تنجح العملية:
people = الأشخاص
people_search = الاسم أو البريد الإلكتروني
people_find = بحث
people_none = لم يُعثر على أحد.
people_role = الدور
people_state = الحالة
people_active = نشط
people_deactivated = معطّل
people_deactivate = تعطيل
people_reactivate = إعادة التفعيل
ok-deactivated = تم تعطيل الحساب: انتهت جلساته ولن يصله شيء بعد الآن.
ok-reactivated = عاد الحساب نشطًا.
webhooks = الويب هوك
webhooks_intro = الأنظمة التي تُبلَّغ بالمواعيد وعمليات الإرسال. يسجّل المدمجون عناوينهم عبر الواجهة البرمجية (POST /api/v1/admin/webhooks)، التي تعرض كل سر مرة واحدة.
webhooks_none = لا توجد عناوين بعد.
webhook_url = العنوان
webhook_events = الأحداث
webhook_off = متوقف
webhook_failing_since = يفشل منذ
webhook_enable = تشغيل
webhook_disable = إيقاف
ok-webhook_enabled = العنوان يعمل من جديد.
ok-webhook_disabled = العنوان متوقف: لن يُرسل إليه شيء بعد الآن.
profile = الملف الشخصي
profile_name = الاسم
profile_phone = رقم الهاتف
profile_phone_hint = بالصيغة الدولية، مثل ‎+33 6 12 34 56 78. اتركه فارغًا كي لا تصلك رسائل نصية.
profile_zone = المنطقة الزمنية (مثل Europe/Paris)
profile_password = كلمة المرور
profile_current_password = كلمة المرور الحالية
profile_new_password = كلمة المرور الجديدة
profile_password_hint = عشرة أحرف على الأقل. تنتهي جلساتك ورموزك الأخرى عند تغييرها.
profile_change_password = تغيير كلمة المرور
ok-profile_saved = تم حفظ ملفك الشخصي.
ok-password_changed = تم تغيير كلمة المرور. انتهت جلساتك الأخرى.
reset_forgot = هل نسيت كلمة المرور؟
reset_title = اختيار كلمة مرور جديدة
reset_intro = اكتب عنوان البريد الإلكتروني لحسابك. سنرسل إليه رابطًا لاختيار كلمة مرور جديدة.
reset_send = أرسل لي رابطًا
reset_sent = إن كان هناك حساب يستخدم هذا العنوان، فالرابط في طريقه إليه. يعمل الرابط مرة واحدة، لمدة { $minutes } دقيقة.
reset_new = كلمة المرور الجديدة
reset_hint = عشرة أحرف على الأقل. تنتهي جميع جلسات حسابك ورموزه عند تعيينها.
reset_repeat = كلمة المرور الجديدة مرة أخرى
reset_mismatch = كلمتا المرور غير متطابقتين.
reset_save = تعيين كلمة المرور
reset_invalid = لا يمكن استخدام هذا الرابط: فهو غير صالح أو استُخدم من قبل أو انتهت صلاحيته.
reset_again = طلب رابط جديد
ok-password_reset = تم تعيين كلمة المرور الجديدة. سجّل الدخول بها.
notices = الإعلانات
notice = إعلان
notice_new = كتابة إعلان
notice_day = إبلاغ مرضى يوم معيّن
notice_day_hint = يُرسل إلى مرضاك الذين لديهم موعد مطلوب أو مؤكد في ذلك اليوم.
notice_audience = من يتلقاه
notice_who = الجمهور
audience-everyone = الجميع
audience-patients = كل المرضى
audience-practitioners = كل الممارسين
audience-patients_of = مرضى ممارس معيّن
audience-booked_on = المرضى الذين لديهم موعد في يوم معيّن
audience-booked_between = المرضى الذين لديهم موعد في فترة معيّنة
audience-users = أشخاص مختارون
notice_practitioner = الممارس
notice_any_practitioner = أي ممارس
notice_people = الأشخاص (لأشخاص مختارين)
notice_people_hint = عناوين بريدهم الإلكتروني أو أرقام حساباتهم، مفصولة بفواصل أو أسطر.
notice_date = اليوم (للمرضى الذين لديهم موعد فيه)
notice_channels = طريقة الإرسال
notice_in_app = في لوحة التحكم (دائمًا)
notice_severity = الأهمية
severity-info = معلومة
severity-success = خبر سار
severity-warning = تنبيه
severity-error = عاجل
notice_text-en = النص بالإنجليزية
notice_text-fr = النص بالفرنسية
notice_text-ar = النص بالعربية
notice_optional = اختياري
notice_title = العنوان
notice_message = النص
notice_preview = معرفة من سيصله
notice_state = الحالة
notice-draft = مسودة: لم يُرسل بعد
notice-sending = قيد الإرسال
notice-sent = أُرسل
notice-cancelled = أُوقف
notice_reach = عدد من سيصلهم
notice_planned = كُتب في صناديق الوارد
notice_sent = أُرسلت
notice_failed = فشلت
notice_from = من
notice_created = كُتب
notice_none = لا توجد إعلانات بعد.
notice_confirm = لا يُرسل شيء قبل أن تؤكد. عدد من سيصلهم:
notice_send = إرساله الآن
notice_discard = تجاهل المسودة
notice_progress = التقدّم
notice_shown = ظهر في لوحة التحكم
notice_read = قُرئ
notice_pending = قيد الانتظار
notice_suppressed = حجبتها اختيارات الشخص
notice_voided = أُوقفت
notice_refresh = تحديث
notice_cancel = إيقاف الإرسال
ok-notice_sent = الإعلان في طريقه.
ok-notice_cancelled = أُوقف الإعلان: ما لم يُسلَّم بعد لن يُسلَّم.
error-rate_limited = لقد أرسلت إعلانات كثيرة مؤخرًا. حاول لاحقًا.
error-notice_not_draft = هذا الإعلان أُرسل من قبل.
error-notice_cancelled = هذا الإعلان أُوقف من قبل.
preferences = تفضيلات الرسائل
preferences_intro = اختر كيف نتواصل معك لكل نوع من الرسائل. تبقى الإشعارات داخل التطبيق مفعّلة دائمًا.
sms_opted_out = طلب رقمك منا إيقاف الرسائل النصية (STOP). أرسل START إلى رقمنا لتصلك من جديد.
category-appointment_updates = متابعة المواعيد (الطلبات والتأكيدات والتغييرات والإلغاءات)
category-reminders = التذكير قبل الموعد
category-availability = مواعيد متاحة جديدة لدى الأطباء الذين تتابعهم
category-notices = إعلانات العيادة
category_required = تحتاج العيادة إلى وسيلة للتواصل معك بشأن هذا: أبقِ البريد الإلكتروني أو الرسائل النصية مفعّلة.
channel_email = البريد الإلكتروني
channel_sms = رسالة نصية
channel_push = الإشعارات في متصفحاتي
channel_whatsapp = واتساب
whatsapp_agree = أرسلوا لي رسائل واتساب أيضًا حيث تُرسل الرسائل النصية (يمكنني إيقافها من هنا في أي وقت).
push_heading = الإشعارات في هذا المتصفح
push_intro = تلقَّ إشعارًا على هذا الحاسوب أو الهاتف عند حدوث أي شيء، حتى عندما لا يكون carebell مفتوحًا.
push_browsers = المتصفحات التي فُعّلت فيها الإشعارات:
push_enable = تفعيل الإشعارات في هذا المتصفح
push_disable = إيقاف الإشعارات في هذا المتصفح
push_unsupported = لا يستطيع هذا المتصفح عرض إشعارات carebell.
push_on = الإشعارات مفعّلة في هذا المتصفح.
push_off = الإشعارات متوقفة في هذا المتصفح.
push_denied = رفض المتصفح: اسمح بالإشعارات لهذا الموقع في إعداداته، ثم حاول مجددًا.
push_failed = تعذّر على هذا المتصفح تفعيل الإشعارات: رفضت خدمة الإشعارات الخاصة به أو لم تستجب.
no_phone = لا يوجد رقم هاتف في حسابك
quiet_hours = ساعات الهدوء
quiet_hours_intro = تنتظر رسائل البريد والرسائل النصية المستحقة في هذه الساعات حتى تنتهي، بحسب توقيتك:
quiet_own = استخدام ساعات الهدوء الخاصة بي (وإلا فساعات العيادة)
quiet_from = من
quiet_until = حتى
in_app_always = تبقى الإشعارات في لوحة التحكم دائمًا.
save = حفظ
ok-preferences_saved = تم حفظ تفضيلاتك.
job-suppressed = محجوبة بحسب اختيارات المستلم
unsubscribe = إلغاء الاشتراك
unsubscribe_invalid = هذا الرابط غير صالح. سجّل الدخول لاختيار الرسائل التي تصلك.
unsubscribe_confirm = إيقاف هذه الرسائل
unsubscribe_more = اختيار كل تفضيلات الرسائل
unsubscribe_ask-appointment_updates = إيقاف رسائل البريد عن مواعيدك؟
unsubscribe_ask-reminders = إيقاف رسائل التذكير بالبريد؟
unsubscribe_ask-availability = إيقاف رسائل البريد عن المواعيد المتاحة الجديدة؟
unsubscribe_ask-notices = إيقاف رسائل البريد لإعلانات العيادة؟
unsubscribed-appointment_updates = تم: لن تصلك رسائل بريد عن مواعيدك، إلا إذا كانت الوسيلة الوحيدة للتواصل معك.
unsubscribed-reminders = تم: لن تصلك رسائل تذكير بالبريد.
unsubscribed-availability = تم: لن تصلك رسائل بريد عن المواعيد المتاحة الجديدة.
unsubscribed-notices = تم: لن تصلك رسائل بريد لإعلانات العيادة.
error-invalid_credentials = البريد الإلكتروني أو كلمة المرور غير صحيحة.
error-too_many_attempts = محاولات فاشلة كثيرة. انتظر بضع دقائق ثم حاول مجدداً.
error-busy = الخادم مشغول. حاول مجدداً بعد لحظة.
error-csrf_failed = انتهت صلاحية هذا النموذج. أعد تحميل الصفحة وحاول مجدداً.
error-slot_taken = حجز شخص آخر هذا الوقت قبلك. اختر وقتاً آخر.
error-slot_overlap = هذه الأوقات تتداخل مع أوقات موجودة.
error-slot_in_use = هذا الوقت محجوز.
error-invalid_transition = لم يعد بالإمكان تغيير هذا الموعد بهذه الطريقة.
error-appointment_started = لقد بدأ هذا الموعد بالفعل.
error-cancellation_cutoff_passed = فات وقت الإلغاء عبر الإنترنت. يرجى الاتصال بالعيادة.
error-concurrent_modification = غيّر شخص آخر ذلك في الوقت نفسه. تحقق وحاول مجدداً.
error-not_found = لم يعد هذا موجوداً.
error-not_dead = لا يمكن إعادة إلا الإرسالات الفاشلة.
error-internal_error = حدث خطأ من جهتنا. يرجى المحاولة مجدداً.

## الإشعارات: انظر en.ftl للأسماء والقيم.

booking_received-to-patient =
    .subject = تم استلام الحجز: { $when }
    .heading = استلمنا طلب حجزك
    .body = تم استلام طلبك لموعد مع { $practitioner } يوم { $when }. سنخبرك فور تأكيده.
    .action = عرض موعدي

appointment_requested-to-practitioner =
    .subject = طلب موعد جديد: { $patient }، { $when }
    .heading = طلب موعد جديد
    .body = طلب { $patient } موعدًا يوم { $when } (الأولوية: { $urgency }).
    .next = اقبله أو ارفضه من صفحة الموعد.
    .action = مراجعة الطلب

appointment_confirmed-to-patient =
    .subject = تم تأكيد الموعد: { $when }
    .heading = تم تأكيد موعدك
    .body = أكّد { $practitioner } موعدك يوم { $when }.
    .action = عرض موعدي
    .sms = { $clinic }: تم تأكيد موعدك مع { $practitioner } يوم { $when }. لإدارته: { $link }

appointment_confirmed-to-practitioner =
    .subject = تم التأكيد: { $patient }، { $when }
    .heading = أكّدت موعدًا
    .body = أكّدت الموعد مع { $patient } يوم { $when }.
    .action = عرض الموعد

appointment_declined-to-patient =
    .subject = تم رفض طلب الموعد
    .heading = تم رفض طلبك
    .body = تعذّر على { $practitioner } قبول طلبك ليوم { $when }.{ $has_reason ->
        [yes] { " " }السبب: { $reason }
       *[no] {""}
    }
    .next = يمكنك حجز وقت آخر.
    .action = البحث عن وقت آخر

cancellation_confirmed-to-patient =
    .subject = تم تأكيد الإلغاء: { $when }
    .heading = تم تأكيد الإلغاء
    .body = تم إلغاء موعدك مع { $practitioner } يوم { $when }.
    .next = يمكنك حجز وقت آخر متى شئت.
    .action = عرض الموعد

cancellation_confirmed-to-practitioner =
    .subject = ألغيت: { $patient }، { $when }
    .heading = تم تأكيد الإلغاء
    .body = ألغيت الموعد مع { $patient } يوم { $when }. تم إبلاغ { $patient }.
    .action = عرض الموعد

patient_cancelled-to-practitioner =
    .subject = ألغاه المريض: { $patient }، { $when }
    .heading = ألغى مريض موعده
    .body = ألغى { $patient } الموعد المحدد يوم { $when }.{ $has_reason ->
        [yes] { " " }السبب: { $reason }
       *[no] {""}
    }
    .next = أصبح الوقت متاحًا من جديد.
    .action = عرض الموعد

appointment_cancelled-to-patient =
    .subject = تم إلغاء الموعد: { $when }
    .heading = تم إلغاء موعدك
    .body = { $by ->
        [practitioner] ألغى { $practitioner } موعدك يوم { $when }.
       *[system] ألغت { $clinic } موعدك مع { $practitioner } يوم { $when }.
    }{ $has_reason ->
        [yes] { " " }السبب: { $reason }
       *[no] {""}
    }
    .next = نعتذر عن الإزعاج. يمكنك حجز وقت آخر.
    .action = حجز وقت آخر
    .sms = { $clinic }: تم إلغاء موعدك مع { $practitioner } يوم { $when }. التفاصيل: { $link }

appointment_cancelled-to-practitioner =
    .subject = ألغته العيادة: { $patient }، { $when }
    .heading = ألغت العيادة موعدًا
    .body = ألغت { $clinic } الموعد مع { $patient } يوم { $when }.{ $has_reason ->
        [yes] { " " }السبب: { $reason }
       *[no] {""}
    }
    .action = عرض الموعد

appointment_modified-to-patient =
    .subject = تم نقل الموعد إلى { $when }
    .heading = تم نقل موعدك
    .body = تم نقل موعدك مع { $practitioner } من { $previous } إلى { $when }.
    .next = { $status ->
        [requested] لا يزال بانتظار التأكيد.
       *[other] {""}
    }
    .action = عرض موعدي
    .sms = { $clinic }: أصبح موعدك مع { $practitioner } يوم { $when }. التفاصيل: { $link }

appointment_modified-to-practitioner =
    .subject = تم نقل موعد: { $patient }، { $when }
    .heading = تم نقل موعد
    .body = { $by ->
        [patient] نقل { $patient } موعده من { $previous } إلى { $when }.
        [practitioner] نقلت الموعد مع { $patient } من { $previous } إلى { $when }.
       *[system] نقلت { $clinic } الموعد مع { $patient } من { $previous } إلى { $when }.
    }
    .action = عرض الموعد

appointment_reminder-to-patient =
    .subject = تذكير: موعد يوم { $when }
    .heading = تذكير بالموعد
    .body = موعدك مع { $practitioner } يوم { $when }.
    .next = { $check ->
        [yes] لم تؤكد لنا حضورك بعد: يرجى التأكيد في صفحة الموعد («سأحضر»)، أو الرد على رسالتنا بـ C.
       *[no] { $online ->
            [yes] إذا تعذّر عليك الحضور، يرجى الإلغاء ليستفيد غيرك من الوقت.
           *[no] إذا تعذّر عليك الحضور، يرجى الاتصال بالعيادة{ $has_phone ->
                [yes] { " " }على الرقم { $phone }
               *[no] {""}
            }: فات أوان الإلغاء عبر الإنترنت.
        }
    }
    .action = عرض موعدي
    .sms = { $clinic }: تذكير بموعدك مع { $practitioner } يوم { $when }. { $online ->
        [yes] للإلغاء أو النقل: { $link }
       *[no] لا تستطيع الحضور؟ اتصل { $has_phone ->
            [yes] على { $phone }
           *[no] بالعيادة
        }.
    }{" "}أرسل C أو تأكيد لتأكيد حضورك.

waitlist_offer-to-patient =
    .subject = موعد متاح مع { $practitioner }: { $when }
    .heading = موعد محجوز لك
    .body = { $moves ->
        [yes] أصبح موعد أبكر مع { $practitioner } متاحًا: { $when } (موعدك الحالي يوم { $previous }).
       *[no] أصبح متاحًا موعد مع { $practitioner } كنت تنتظره: { $when }.
    } هو محجوز لك حتى { $until }.
    .next = اقبله بلمسة واحدة، أو ارفضه ليحصل عليه الشخص التالي.
    .action = عرض العرض
    .sms = { $clinic }: { $practitioner } متاح يوم { $when }{ $moves ->
        [yes] ، أبكر من موعدك
       *[no] {""}
    }. محجوز لك حتى { $until }. أرسل نعم لأخذه أو لا لتركه، أو افتح { $link }

new_availability-to-patient =
    .subject = مواعيد جديدة لدى { $practitioner }
    .heading = تتوفر أوقات جديدة
    .body = لدى { $practitioner } { free-times }{ $has_first ->
        [yes] ، أولها يوم { $first }
       *[no] {""}
    }.{ $has_note ->
        [yes] { " " }{ $note }
       *[no] {""}
    }
    .action = حجز وقت

system_notice =
    .subject = { $has_sender ->
        [yes] { $sender }: { $title }
       *[no] { $title }
    }
    .heading = { $title }
    .body = { $message }
    .next = { $has_sender ->
        [yes] من { $sender }، { $clinic }.
       *[no] من { $clinic }.
    }
    .action = فتح لوحة التحكم الخاصة بي
    .sms = { $has_sender ->
        [yes] { $clinic }، { $sender }:
       *[no] { $clinic }:
    } { $title }. { $message }

password_reset =
    .subject = إعادة تعيين كلمة المرور لدى { $clinic }
    .heading = اختر كلمة مرور جديدة
    .body = طلب أحدهم إعادة تعيين كلمة مرور حسابك لدى { $clinic }. يعمل الرابط مرة واحدة فقط، حتى { $expires }.
    .next = إن لم تكن أنت من طلب ذلك، فتجاهل هذه الرسالة: تبقى كلمة مرورك كما هي.
    .action = اختيار كلمة مرور جديدة

webhook_disabled =
    .subject = أُوقف عنوان الويب هوك: { $url }
    .heading = أُوقف أحد عناوين الويب هوك
    .body = فشلت كل عمليات التسليم إلى { $url } منذ { $since }، فأوقفت { $clinic } هذا العنوان. لن يُرسل إليه شيء بعد الآن.
    .next = أصلح العنوان ثم أعد تشغيله؛ يمكن إعادة محاولة عمليات التسليم الفاشلة من سجل الإرسال.
    .action = عرض العناوين

free-times = { $count ->
    [zero] لا أوقات متاحة
    [one] وقت متاح واحد
    [two] وقتان متاحان
    [few] { $count } أوقات متاحة
    [many] { $count } وقتًا متاحًا
   *[other] { $count } وقت متاح
}

## ما يضيفه البريد الإلكتروني.

email-footer = تصلك هذه الرسالة لأن لديك حسابًا لدى { $clinic }.
email-choices = اختر الرسائل التي تصلك ومتى:
email-unsubscribe = { $category ->
    [availability] إيقاف رسائل البريد عن المواعيد المتاحة الجديدة
   *[notices] إيقاف رسائل البريد لإعلانات العيادة
}
email-calendar-add = ملف التقويم المرفق يضيفه إلى تقويمك.
email-calendar-update = ملف التقويم المرفق يحدّث تقويمك.
email-calendar-remove = ملف التقويم المرفق يزيله من تقويمك.
calendar-summary = موعد مع { $practitioner }
calendar-summary-practitioner = موعد: { $patient }
calendar-description = مع { $practitioner }، { $clinic }. { $has_phone ->
    [yes] للتعديل أو الإلغاء: { $link } أو { $phone }.
   *[no] للتعديل أو الإلغاء: { $link }.
}

## ردود مسارات لوحة التحكم القديمة (`/practitioner-dashboard/…`).

time-ago = { $unit ->
    [now] الآن
    [minutes] { $count ->
        [one] منذ دقيقة
        [two] منذ دقيقتين
        [few] منذ { $count } دقائق
       *[other] منذ { $count } دقيقة
    }
    [hours] { $count ->
        [one] منذ ساعة
        [two] منذ ساعتين
        [few] منذ { $count } ساعات
       *[other] منذ { $count } ساعة
    }
   *[days] { $count ->
        [one] منذ يوم
        [two] منذ يومين
        [few] منذ { $count } أيام
       *[other] منذ { $count } يومًا
    }
}
old-accepted = تم قبول الموعد وإبلاغ المريض.
old-declined = تم رفض الموعد وإبلاغ المريض.
old-notified = { $count ->
    [0] لا يوجد مريض لإبلاغه.
    [one] تم إبلاغ مريض واحد بمواعيدك المتاحة.
    [two] تم إبلاغ مريضين بمواعيدك المتاحة.
    [few] تم إبلاغ { $count } مرضى بمواعيدك المتاحة.
   *[other] تم إبلاغ { $count } مريضًا بمواعيدك المتاحة.
}

## Answers to SMS keywords
sms-stopped = { $clinic }: لن تصلك منا رسائل نصية بعد الآن. أرسل START لتصلك من جديد.
sms-started = { $clinic }: ستصلك رسائلنا النصية من جديد. أرسل STOP لإيقافها.
sms-help = { $clinic }: رسائل المواعيد. { $phone ->
    [none] أرسل STOP لإيقافها.
   *[other] اتصل على { $phone }. أرسل STOP لإيقافها.
}

sms-reply-help = { $clinic }: أرسل C أو تأكيد لتأكيد موعدك، X أو إلغاء لإلغائه، نعم أو لا للرد على عرض موعد، STOP لإيقاف الرسائل.{ $phone ->
    [none] {""}
   *[other] { " " }للاستفسار: { $phone }.
}
sms-reply-nothing = { $clinic }: لم نجد موعدًا قادمًا لك يخصه هذا الرد. أرسل HELP للمساعدة.
sms-reply-choice = { $n }: { $practitioner }، { $when }.
sms-reply-which = { $clinic }: أي موعد؟ { $choices }
sms-reply-confirmed = { $clinic }: شكرًا، أبلغنا { $practitioner } بحضورك يوم { $when }.
sms-reply-not-confirmed = { $clinic }: موعدك مع { $practitioner } يوم { $when } لم يُؤكَّد بعد؛ سنرسل لك رسالة عند تأكيده.
sms-reply-cancelled = { $clinic }: أُلغي موعدك مع { $practitioner } يوم { $when }.
sms-reply-too-late = { $clinic }: فات أوان إلغاء موعدك مع { $practitioner } يوم { $when } عبر الرسائل. { $phone ->
    [none] يرجى الاتصال بالعيادة.
   *[other] يرجى الاتصال على { $phone }.
}
sms-reply-no-offer = { $clinic }: لا يوجد موعد محجوز لك حاليًا.
sms-reply-offer-taken = { $clinic }: تم، موعد { $practitioner } يوم { $when } لك.
sms-reply-offer-passed = { $clinic }: حسنًا، موعد { $practitioner } يوم { $when } سيذهب إلى الشخص التالي. ستبقى على قائمة الانتظار.
sms-reply-offer-gone = { $clinic }: عذرًا، موعد { $practitioner } يوم { $when } لم يعد محجوزًا لك.
