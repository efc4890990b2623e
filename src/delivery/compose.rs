//! Message composition for the email channel: the MIME message with its text and HTML
//! parts and, where it applies, the iCalendar file.

use super::email::mailbox;
use super::policy::Failure;
use super::{Dispatcher, JobError};
use crate::store::notifications::Notification;
use crate::store::users::User;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, MultiPart};
use lettre::Message;

impl Dispatcher {
    /// Builds the MIME message: text and HTML alternatives, and the iCalendar file when
    /// the notification changes a calendar (its text then says so).
    pub(super) fn email_for(
        &self,
        n: &Notification,
        to: &User,
        r: crate::templates::Rendered,
    ) -> Result<Message, JobError> {
        let me = &self.inner;
        let recipient = mailbox(to.name.as_str(), to.email.as_str()).map_err(JobError::Failed)?;
        let now = me.clock.now();
        let date: std::time::SystemTime = now.to_datetime().into();
        let builder = Message::builder()
            .from(me.from.clone())
            .to(recipient)
            .subject(r.subject.clone())
            .date(date)
            // Stable per notification (a message sent twice because a reply was lost is
            // one message) and unique across installations.
            .message_id(Some(format!(
                "<n{}.email.{}@{}>",
                n.id, me.installation, me.domain
            )));
        // One-click unsubscribe (RFC 8058) for messages not about the reader's own visit.
        let builder = match &r.unsubscribe {
            Some(url) => {
                let mut targets = format!("<{url}>");
                if let Some(mailbox) = &me.unsubscribe_mailto {
                    let token = url.rsplit('/').next().unwrap_or_default();
                    targets.push_str(&format!(
                        ", <mailto:{mailbox}?subject=unsubscribe%20{token}>"
                    ));
                }
                builder
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe"),
                        targets,
                    ))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click".to_owned(),
                    ))
            }
            None => builder,
        };
        let alternative = MultiPart::alternative_plain_html(r.text, r.html);
        let body = match r.calendar {
            Some((change, ics)) => {
                let content_type = ContentType::parse(&format!(
                    "text/calendar; charset=utf-8; method={}",
                    change.method()
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
}
