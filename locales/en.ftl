# carebell's wording in English. Every language has exactly the messages English has
# (a test checks it). Interface labels first, then notification texts.

skip_to_content = Skip to content
times_in = Times in
unread_notifications = unread notifications
sign_in = Sign in
sign_out = Sign out
email = Email
pw_label = Password
language = Language
notifications = Notifications
unread = unread
mark_all_read = Mark all read
mark_read = Mark read
no_notifications = No notifications yet.
back_to_dashboard = Back to the dashboard
role-patient = Patient
role-practitioner = Practitioner
role-admin = Administrator
patient_dashboard = My appointments
appointment = Appointment
history = What happened
past_cutoff = It is too late to cancel or move this appointment online; please call the clinic.
my_appointments = Upcoming appointments
no_appointments = You have no upcoming appointment.
past_appointments = Earlier
status-requested = Awaiting confirmation
status-confirmed = Confirmed
status-declined = Declined
status-cancelled = Cancelled
cancel_reason = Reason (optional)
cancel_reason_required = Reason (the patient is told it)
cancel = Cancel appointment
move_to = Move to
reschedule = Reschedule
practitioners = Practitioners
follow = Follow
following = Following (stop)
free_slots = Free times
no_free_slots = No free time at the moment.
reason_for_visit = Reason for the visit
urgency = How soon
urgency-routine = Routine
urgency-soon = Soon
urgency-urgent = Urgent
book = Book
practitioner_dashboard = My practice
pending_requests = Requests to answer
no_pending = No request waiting.
accept = Accept
decline_reason = Reason for declining
decline = Decline
agenda = Confirmed agenda
no_agenda = Nothing confirmed yet.
my_slots = My free times
add_slots = Add times
date = Date
from = From
until = Until
minutes = Minutes each
notify_followers = Tell my followers
add = Add
notify_availability = Tell followers I have free times
note = Note (optional)
send = Send
no_slots = No upcoming times.
free = free
held = booked
deliveries = Deliveries
delivery_states = Delivery states
job-dead = Dead letters
job-pending = Pending
job-sending = Sending
job-sent = Sent
job-delivered = Delivered (receipt)
job-undelivered = Not delivered (receipt)
job-voided = Voided
no_deliveries = None.
kind = Kind
channel = Channel
recipient = Recipient
due = Due
attempts = Attempts
last_error = Reason
in_flight_at_change = Already sent to the provider when the appointment changed; the change message follows it.
actions = Actions
retry = Retry
offer = A time held for you
offer_held_until = held for you until
offer_moves_from = Your appointment is now on
offer_accept = Take this time
offer_decline = Pass it to the next person
offer_see_appointment = See the appointment
offer-open = Held for you
offer-accepted = Taken
offer-declined = Passed on
offer-expired = The hold ended
waitlist = Waitlist
waitlist_none = You are not waiting for any time.
waitlist_join = Tell me when a time frees up
waitlist_join_earlier = Tell me if an earlier time frees up
waitlist_from = From (date)
waitlist_until = Until (date)
waitlist_day_start = Not before
waitlist_day_end = Not after
waitlist_earlier_than = earlier than
waitlist_leave = Leave the waitlist
waitlist_offers = Offers of freed times
attendance_confirm = I am coming
attendance_confirmed = Attendance confirmed
ok-offer_accepted = The time is yours.
ok-offer_declined = Passed on: the next person waiting is offered the time. You stay on the waitlist.
ok-waitlist_joined = You are on the waitlist: when a matching time frees up, it is held for you and you are told.
ok-waitlist_left = You left the waitlist.
ok-attendance_confirmed = Thank you: the practitioner sees that you are coming.
ok-booked = Your request was sent. You will be told when it is confirmed.
ok-cancelled = The appointment is cancelled.
ok-rescheduled = The appointment was moved.
ok-followed = You will hear about new free times.
ok-unfollowed = You no longer follow this practitioner.
ok-accepted = Accepted. The patient is told.
ok-declined = Declined. The patient is told.
ok-slots_added = The times were added.
ok-notified = Your followers are told.
ok-retried = The delivery is queued again.
ok-read = Marked read.
ok-all_read = All marked read.
error-other = That did not work:
people = People
people_search = Name or email
people_find = Find
people_none = Nobody found.
people_role = Role
people_state = State
people_active = Active
people_deactivated = Deactivated
people_deactivate = Deactivate
people_reactivate = Reactivate
ok-deactivated = The account is deactivated: its sessions have ended and it receives nothing more.
ok-reactivated = The account is active again.
webhooks = Webhooks
webhooks_intro = Systems that hear about appointments and deliveries. Integrators register endpoints through the API (POST /api/v1/admin/webhooks), which shows each secret once.
webhooks_none = No endpoint yet.
webhook_url = Address
webhook_events = Events
webhook_off = Turned off
webhook_failing_since = Failing since
webhook_enable = Turn on
webhook_disable = Turn off
ok-webhook_enabled = The endpoint is on again.
ok-webhook_disabled = The endpoint is off: nothing more is sent to it.
profile = Profile
profile_name = Name
profile_phone = Phone number
profile_phone_hint = In international form, e.g. +33 6 12 34 56 78. Leave it empty to receive no text messages.
profile_zone = Time zone (e.g. Europe/Paris)
profile_password = Password
profile_current_password = Current password
profile_new_password = New password
profile_password_hint = At least 10 characters. Your other sessions and tokens end when you change it.
profile_change_password = Change the password
ok-profile_saved = Your profile is saved.
ok-password_changed = Your password is changed. Your other sessions have ended.
reset_forgot = Forgot your password?
reset_title = Choose a new password
reset_intro = Type the email address of your account. We will send it a link to choose a new password.
reset_send = Send me a link
reset_sent = If an account uses this address, a link is on its way to it. The link works once, for { $minutes } minutes.
reset_new = New password
reset_hint = At least 10 characters. Every session and token of your account ends when you set it.
reset_repeat = The new password again
reset_mismatch = The two passwords are not the same.
reset_save = Set the password
reset_invalid = This link cannot be used: it is not valid, was already used or has expired.
reset_again = Ask for a new link
ok-password_reset = Your new password is set. Sign in with it.
notices = Notices
notice = Notice
notice_new = Write a notice
notice_day = Tell the patients of a day
notice_day_hint = It goes to your patients with a requested or confirmed appointment on that day.
notice_audience = Who receives it
notice_who = Audience
audience-everyone = Everyone
audience-patients = All patients
audience-practitioners = All practitioners
audience-patients_of = Patients of a practitioner
audience-booked_on = Patients booked on a day
audience-booked_between = Patients booked in a period
audience-users = Chosen people
notice_practitioner = Practitioner
notice_any_practitioner = Any practitioner
notice_people = People (for chosen people)
notice_people_hint = Their email addresses or account numbers, separated by commas or lines.
notice_date = Day (for patients booked on a day)
notice_channels = How it is sent
notice_in_app = In the dashboard (always)
notice_severity = Importance
severity-info = Information
severity-success = Good news
severity-warning = Warning
severity-error = Urgent
notice_text-en = Text in English
notice_text-fr = Text in French
notice_text-ar = Text in Arabic
notice_optional = optional
notice_title = Title
notice_message = Text
notice_preview = See who it reaches
notice_state = State
notice-draft = Draft: not sent yet
notice-sending = Being sent
notice-sent = Sent
notice-cancelled = Stopped
notice_reach = People it reaches
notice_planned = Written to inboxes
notice_sent = Sent
notice_failed = Failed
notice_from = From
notice_created = Written
notice_none = No notice yet.
notice_confirm = Nothing is sent until you confirm. People it will reach:
notice_send = Send it now
notice_discard = Discard the draft
notice_progress = Progress
notice_shown = Shown in the dashboard
notice_read = Read
notice_pending = Waiting
notice_suppressed = Held back by the person's choices
notice_voided = Stopped
notice_refresh = Refresh
notice_cancel = Stop sending
ok-notice_sent = The notice is on its way.
ok-notice_cancelled = The notice is stopped: what was not delivered yet will not be.
error-rate_limited = You have sent many notices recently. Try again later.
error-notice_not_draft = That notice was already sent.
error-notice_cancelled = That notice was already stopped.
preferences = Message preferences
preferences_intro = Choose how we reach you for each kind of message. In-app notifications always stay on.
sms_opted_out = Your number asked us to stop text messages (STOP). Reply START to our number to receive them again.
category-appointment_updates = Appointment updates (requests, confirmations, changes, cancellations)
category-reminders = Reminders before a visit
category-availability = New free times of practitioners you follow
category-notices = Notices from the clinic
category_required = The clinic needs one way to reach you about this: keep email or text message on.
channel_email = Email
channel_sms = Text message
channel_push = Notifications in my browsers
channel_whatsapp = WhatsApp
whatsapp_agree = Send me WhatsApp messages too, where text messages go (I can stop them here at any time).
push_heading = Notifications in this browser
push_intro = Get a notification on this computer or phone when something happens, even when carebell is not open.
push_browsers = Browsers with notifications on:
push_enable = Turn on notifications in this browser
push_disable = Turn off notifications in this browser
push_unsupported = This browser cannot show notifications from carebell.
push_on = Notifications are on in this browser.
push_off = Notifications are off in this browser.
push_denied = The browser refused: allow notifications for this site in its settings, then try again.
push_failed = This browser could not turn notifications on: its push service refused or did not answer.
no_phone = no phone number on your account
quiet_hours = Quiet hours
quiet_hours_intro = Emails and text messages that fall due in these hours wait until they end, on your clock:
quiet_own = Use my own quiet hours (otherwise the clinic's)
quiet_from = From
quiet_until = Until
in_app_always = Notifications in the dashboard are always kept.
save = Save
ok-preferences_saved = Your preferences are saved.
job-suppressed = Held back by the recipient's choices
unsubscribe = Unsubscribe
unsubscribe_invalid = This link is not valid. Sign in to change which messages you receive.
unsubscribe_confirm = Stop these emails
unsubscribe_more = Choose all your message preferences
unsubscribe_ask-appointment_updates = Stop emails about your appointments?
unsubscribe_ask-reminders = Stop reminder emails?
unsubscribe_ask-availability = Stop emails about new free times?
unsubscribe_ask-notices = Stop emails with notices from the clinic?
unsubscribed-appointment_updates = Done: no more emails about your appointments, unless it is the only way to reach you.
unsubscribed-reminders = Done: no more reminder emails.
unsubscribed-availability = Done: no more emails about new free times.
unsubscribed-notices = Done: no more emails with notices from the clinic.
error-invalid_credentials = Email or password is wrong.
error-too_many_attempts = Too many failed attempts. Wait a few minutes and try again.
error-busy = The server is busy. Try again in a moment.
error-csrf_failed = This form expired. Reload the page and try again.
error-slot_taken = Someone booked that time first. Choose another.
error-slot_overlap = Those times overlap times you already have.
error-slot_in_use = That time is booked.
error-invalid_transition = That appointment cannot change that way any more.
error-appointment_started = That appointment has already started.
error-cancellation_cutoff_passed = It is too late to cancel online. Please call the practice.
error-concurrent_modification = Someone changed that at the same time. Look again and retry.
error-not_found = That no longer exists.
error-not_dead = Only dead deliveries can be retried.
error-internal_error = Something went wrong on our side. Please try again.

## Notifications: one message per kind and recipient role, `<kind>-to-<role>`.
## Attributes: subject, heading, body (the in-app text and the email's first paragraph),
## next (an optional second paragraph), action (the email's button), sms (where the
## matrix sends one: short, never the reason for the visit).
## Values: $clinic, $patient, $practitioner, $when, $previous, $status, $by, $urgency,
## $has_reason/$reason (what the practice typed), $online (yes: the patient may still
## cancel or move online), $has_phone/$phone (the clinic's), $link, and for availability
## $count, $has_first/$first, $has_note/$note; for notices $title, $message,
## $has_sender/$sender (the practitioner who wrote it); for a password reset $expires.

booking_received-to-patient =
    .subject = Booking received: { $when }
    .heading = We received your booking
    .body = Your request for an appointment with { $practitioner } on { $when } was received. You will be told as soon as it is confirmed.
    .action = View my appointment

appointment_requested-to-practitioner =
    .subject = New appointment request: { $patient }, { $when }
    .heading = New appointment request
    .body = { $patient } asked for an appointment on { $when } (urgency: { $urgency }).
    .next = Accept or decline it from the appointment page.
    .action = Review the request

appointment_confirmed-to-patient =
    .subject = Appointment confirmed: { $when }
    .heading = Your appointment is confirmed
    .body = { $practitioner } confirmed your appointment on { $when }.
    .action = View my appointment
    .sms = { $clinic }: appointment with { $practitioner } confirmed for { $when }. Manage it: { $link }

appointment_confirmed-to-practitioner =
    .subject = Confirmed: { $patient }, { $when }
    .heading = You confirmed an appointment
    .body = You confirmed the appointment with { $patient } on { $when }.
    .action = View the appointment

appointment_declined-to-patient =
    .subject = Appointment request declined
    .heading = Your request was declined
    .body = { $practitioner } could not accept your request for { $when }.{ $has_reason ->
        [yes] { " " }Reason: { $reason }
       *[no] {""}
    }
    .next = You can book another time.
    .action = Find another time

cancellation_confirmed-to-patient =
    .subject = Cancellation confirmed: { $when }
    .heading = Cancellation confirmed
    .body = Your appointment with { $practitioner } on { $when } is cancelled.
    .next = You can book another time whenever you wish.
    .action = View the appointment

cancellation_confirmed-to-practitioner =
    .subject = You cancelled: { $patient }, { $when }
    .heading = Cancellation confirmed
    .body = You cancelled the appointment with { $patient } on { $when }. { $patient } has been told.
    .action = View the appointment

patient_cancelled-to-practitioner =
    .subject = Cancelled by the patient: { $patient }, { $when }
    .heading = A patient cancelled
    .body = { $patient } cancelled the appointment on { $when }.{ $has_reason ->
        [yes] { " " }Reason: { $reason }
       *[no] {""}
    }
    .next = The time is free again.
    .action = View the appointment

appointment_cancelled-to-patient =
    .subject = Appointment cancelled: { $when }
    .heading = Your appointment was cancelled
    .body = { $by ->
        [practitioner] { $practitioner } cancelled your appointment on { $when }.
       *[system] { $clinic } cancelled your appointment with { $practitioner } on { $when }.
    }{ $has_reason ->
        [yes] { " " }Reason: { $reason }
       *[no] {""}
    }
    .next = We are sorry for the inconvenience. You can book another time.
    .action = Book another time
    .sms = { $clinic }: your appointment with { $practitioner } on { $when } was cancelled. Details: { $link }

appointment_cancelled-to-practitioner =
    .subject = Cancelled by the clinic: { $patient }, { $when }
    .heading = The clinic cancelled an appointment
    .body = { $clinic } cancelled the appointment with { $patient } on { $when }.{ $has_reason ->
        [yes] { " " }Reason: { $reason }
       *[no] {""}
    }
    .action = View the appointment

appointment_modified-to-patient =
    .subject = Appointment moved to { $when }
    .heading = Your appointment was moved
    .body = Your appointment with { $practitioner } was moved from { $previous } to { $when }.
    .next = { $status ->
        [requested] It still awaits confirmation.
       *[other] {""}
    }
    .action = View my appointment
    .sms = { $clinic }: your appointment with { $practitioner } is now on { $when }. Details: { $link }

appointment_modified-to-practitioner =
    .subject = Appointment moved: { $patient }, { $when }
    .heading = An appointment was moved
    .body = { $by ->
        [patient] { $patient } moved their appointment from { $previous } to { $when }.
        [practitioner] You moved the appointment with { $patient } from { $previous } to { $when }.
       *[system] { $clinic } moved the appointment with { $patient } from { $previous } to { $when }.
    }
    .action = View the appointment

appointment_reminder-to-patient =
    .subject = Reminder: appointment { $when }
    .heading = Appointment reminder
    .body = Your appointment with { $practitioner } is on { $when }.
    .next = { $check ->
        [yes] You have not told us yet that you are coming: please confirm on the appointment page ("I am coming"), or reply C to our text.
       *[no] { $online ->
            [yes] If you cannot come, please cancel so someone else can have the time.
           *[no] If you cannot come, please call the clinic{ $has_phone ->
                [yes] { " " }on { $phone }
               *[no] {""}
            }: it is too late to cancel online.
        }
    }
    .action = View my appointment
    .sms = { $clinic }: reminder, appointment with { $practitioner } on { $when }. { $online ->
        [yes] To cancel or move: { $link }
       *[no] Cannot come? Call { $has_phone ->
            [yes] { $phone }
           *[no] the clinic
        }.
    }{" "}Reply C to confirm you are coming.

waitlist_offer-to-patient =
    .subject = A time with { $practitioner } is free: { $when }
    .heading = A time is held for you
    .body = { $moves ->
        [yes] An earlier time with { $practitioner } is free: { $when } (your appointment is now on { $previous }).
       *[no] A time with { $practitioner } you were waiting for is free: { $when }.
    } It is held for you until { $until }.
    .next = Accept it in one tap, or decline so the next person can have it.
    .action = See the offer
    .sms = { $clinic }: { $practitioner } is free { $when }{ $moves ->
        [yes] , earlier than your appointment
       *[no] {""}
    }. Held for you until { $until }. Reply Y to take it or N to pass, or open { $link }

new_availability-to-patient =
    .subject = New availability with { $practitioner }
    .heading = New times are available
    .body = { $practitioner } has { free-times }{ $has_first ->
        [yes] ; the first is on { $first }
       *[no] {""}
    }.{ $has_note ->
        [yes] { " " }{ $note }
       *[no] {""}
    }
    .action = Book a time

system_notice =
    .subject = { $has_sender ->
        [yes] { $sender }: { $title }
       *[no] { $title }
    }
    .heading = { $title }
    .body = { $message }
    .next = { $has_sender ->
        [yes] From { $sender }, { $clinic }.
       *[no] From { $clinic }.
    }
    .action = Open my dashboard
    .sms = { $has_sender ->
        [yes] { $clinic }, { $sender }:
       *[no] { $clinic }:
    } { $title }. { $message }

password_reset =
    .subject = Reset your password at { $clinic }
    .heading = Choose a new password
    .body = Someone asked to reset the password of your { $clinic } account. The link works once, until { $expires }.
    .next = If it was not you, ignore this message: your password stays as it is.
    .action = Choose a new password

webhook_disabled =
    .subject = Webhook endpoint turned off: { $url }
    .heading = A webhook endpoint was turned off
    .body = Every delivery to { $url } has failed since { $since }, so { $clinic } turned the endpoint off. Nothing more is sent to it.
    .next = Fix the endpoint, then turn it on again; failed deliveries can be retried from the delivery log.
    .action = See the endpoints

free-times = { $count ->
    [one] { $count } free time
   *[other] { $count } free times
}

## What an email adds.

email-footer = You receive this message because you have an account with { $clinic }.
email-choices = Choose which messages you receive, and when:
email-unsubscribe = { $category ->
    [availability] Stop emails about new availability
   *[notices] Stop emails with clinic notices
}
email-calendar-add = The attached calendar file adds it to your calendar.
email-calendar-update = The attached calendar file updates your calendar.
email-calendar-remove = The attached calendar file removes it from your calendar.
calendar-summary = Appointment with { $practitioner }
calendar-summary-practitioner = Appointment: { $patient }
calendar-description = With { $practitioner } at { $clinic }. { $has_phone ->
    [yes] To change or cancel, open { $link } or call { $phone }.
   *[no] To change or cancel, open { $link }.
}

## The answers of the old dashboard paths (`/practitioner-dashboard/…`).

time-ago = { $unit ->
    [now] just now
    [minutes] { $count ->
        [one] { $count } minute ago
       *[other] { $count } minutes ago
    }
    [hours] { $count ->
        [one] { $count } hour ago
       *[other] { $count } hours ago
    }
   *[days] { $count ->
        [one] { $count } day ago
       *[other] { $count } days ago
    }
}
old-accepted = Appointment accepted. The patient has been told.
old-declined = Appointment declined. The patient has been told.
old-notified = { $count ->
    [0] No patient to tell.
    [one] { $count } patient told of your availability.
   *[other] { $count } patients told of your availability.
}

## Answers to SMS keywords
sms-stopped = { $clinic }: you will receive no more text messages from us. Reply START to receive them again.
sms-started = { $clinic }: you will receive text messages from us again. Reply STOP to stop them.
sms-help = { $clinic }: appointment messages. { $phone ->
    [none] Reply STOP to stop them.
   *[other] Call { $phone }. Reply STOP to stop them.
}

sms-reply-help = { $clinic }: reply C to confirm your appointment, X to cancel it, Y or N to answer an offer of a time, STOP to stop texts.{ $phone ->
    [none] {""}
   *[other] { " " }Questions: { $phone }.
}
sms-reply-nothing = { $clinic }: we found no upcoming appointment of yours that this reply could be about. Reply HELP for help.
sms-reply-choice = { $n }: { $practitioner }, { $when }.
sms-reply-which = { $clinic }: which appointment? { $choices }
sms-reply-confirmed = { $clinic }: thank you, we told { $practitioner } you are coming on { $when }.
sms-reply-not-confirmed = { $clinic }: your appointment with { $practitioner } on { $when } is not confirmed yet; we will text you when it is.
sms-reply-cancelled = { $clinic }: your appointment with { $practitioner } on { $when } is cancelled.
sms-reply-too-late = { $clinic }: it is too late to cancel your appointment with { $practitioner } on { $when } by text. { $phone ->
    [none] Please call the clinic.
   *[other] Please call { $phone }.
}
sms-reply-no-offer = { $clinic }: no time is held for you at the moment.
sms-reply-offer-taken = { $clinic }: done, { $practitioner } on { $when } is yours.
sms-reply-offer-passed = { $clinic }: understood, { $practitioner } on { $when } goes to the next person. You stay on the waitlist.
sms-reply-offer-gone = { $clinic }: sorry, { $practitioner } on { $when } is no longer held for you.
