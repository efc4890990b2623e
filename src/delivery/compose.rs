//! Message composition for the email channel: the MIME message with its text and HTML
//! parts and, where it applies, the iCalendar file.

use super::email::mailbox;
use super::policy::Failure;
use super::{Dispatcher, JobError};
use crate::domain::{NotificationKind, Role, Timestamp};
use crate::store::notifications::Notification;
use crate::store::users::User;
use crate::templates::{calendar_for, CalendarEvent, CalendarMethod};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart};
use lettre::Message;

impl Dispatcher {
    /// Builds the MIME message: text and HTML alternatives, and an iCalendar file for
    /// patients when the appointment was confirmed, moved or cancelled.
    pub(super) fn email_for(
        &self,
        n: &Notification,
        to: &User,
        r: crate::templates::Rendered,
    ) -> Result<Message, JobError> {
        let me = &self.inner;
        let recipient = mailbox(to.name.as_str(), to.email.as_str()).map_err(JobError::Failed)?;
        let date: std::time::SystemTime = me.clock.now().to_datetime().into();
        let builder = Message::builder()
            .from(me.from.clone())
            .to(recipient)
            .subject(r.subject.clone())
            .date(date)
            // Stable per notification: a message sent twice (reply lost) is one message.
            .message_id(Some(format!("<n{}.email@{}>", n.id, me.domain)));
        let alternative = MultiPart::alternative_plain_html(r.text, r.html);
        let body = match self.calendar(n, to) {
            Some((method, ics)) => {
                let content_type = ContentType::parse(&format!(
                    "text/calendar; charset=utf-8; method={}",
                    method.as_str()
                ))
                .map_err(|e| {
                    JobError::Failed(Failure::permanent(None, format!("calendar type: {e}")))
                })?;
                MultiPart::mixed()
                    .multipart(alternative)
                    .singlepart(Attachment::new("appointment.ics".into()).body(ics, content_type))
            }
            None => alternative,
        };
        builder.multipart(body).map_err(|e| {
            JobError::Failed(Failure::permanent(
                None,
                format!("building the message: {e}"),
            ))
        })
    }

    fn calendar(&self, n: &Notification, to: &User) -> Option<(CalendarMethod, String)> {
        if to.role != Role::Patient {
            return None;
        }
        let d = &n.data;
        let confirmed = d.get("status").and_then(|s| s.as_str()) == Some("confirmed");
        let method = match n.kind {
            NotificationKind::AppointmentConfirmed => CalendarMethod::Request,
            NotificationKind::AppointmentModified if confirmed => CalendarMethod::Request,
            NotificationKind::AppointmentCancelled | NotificationKind::CancellationConfirmed => {
                CalendarMethod::Cancel
            }
            _ => return None,
        };
        let ts = |k: &str| {
            d.get(k)
                .and_then(|v| v.as_str())
                .and_then(|s| Timestamp::parse_rfc3339(s).ok())
        };
        let event = CalendarEvent {
            appointment_id: d.get("appointment_id")?.as_i64()?,
            version: d.get("appointment_version")?.as_i64()?,
            starts_at: ts("starts_at")?,
            ends_at: ts("ends_at")?,
        };
        let practitioner = d
            .get("practitioner_name")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let summary = format!("{} – {}", self.inner.templates.clinic(), practitioner);
        let me = &self.inner;
        Some((
            method,
            calendar_for(
                &event,
                method,
                &summary,
                me.from.email.as_ref(),
                to.email.as_str(),
                &me.domain,
                me.clock.now(),
            ),
        ))
    }
}
