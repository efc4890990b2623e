//! The short forms of a message: a push notification (title, one line, the link) and the
//! parameters of a WhatsApp template. Both carry the minimum: who, when, where to look;
//! never the reason for the visit or anything the practice typed about it.

use super::{message_id, Templates};
use crate::catalogue::{self, TimeStyle};
use crate::domain::payload::Payload;
use crate::domain::{Role, Timestamp};
use crate::store::notifications::Notification;
use crate::store::users::User;
use serde::Serialize;

/// What a push notification shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushText {
    pub title: String,
    pub body: String,
    /// The page it opens.
    pub url: String,
    pub lang: &'static str,
    pub dir: &'static str,
    /// A later push about the same thing replaces this one on the screen.
    pub tag: String,
}

impl Templates {
    /// The push notification of a message for its reader: the heading of the kind's
    /// message, and who and when (or the notice's title), in the reader's language and zone.
    pub fn push(&self, n: &Notification, to: &User, now: Timestamp) -> anyhow::Result<PushText> {
        let lang = to.language;
        let args = self.args(n, to, now);
        let heading = self.format(lang, &message_id(n.kind, to.role), Some("heading"), &args)?;
        let when = |t: Timestamp| catalogue::when(t, &to.time_zone, lang, TimeStyle::Long);
        let (title, body, tag) = match &n.data {
            Payload::Appointment(a) => {
                let other = match to.role {
                    Role::Patient => &a.practitioner_name,
                    _ => &a.patient_name,
                };
                let body = format!("{other} · {}", when(a.starts_at));
                (heading, body, format!("appointment-{}", a.appointment_id))
            }
            Payload::Availability(v) => {
                let body = match v.first_slot_starts_at {
                    Some(first) => format!("{} · {}", v.practitioner_name, when(first)),
                    None => v.practitioner_name.clone(),
                };
                (heading, body, format!("availability-{}", v.practitioner_id))
            }
            Payload::Notice(notice) => {
                let body: String = notice.message.chars().take(160).collect();
                (notice.title.clone(), body, format!("notice-{}", n.id))
            }
            Payload::Account(_) => (heading, String::new(), format!("account-{}", n.id)),
            Payload::Offer(o) => (
                heading,
                format!("{} · {}", o.practitioner_name, when(o.slot_starts_at)),
                format!("offer-{}", o.offer_id),
            ),
            Payload::Endpoint(e) => (
                heading,
                e.url.clone(),
                format!("endpoint-{}", e.endpoint_id),
            ),
        };
        Ok(PushText {
            title,
            body,
            url: self
                .link(n)
                .unwrap_or_else(|| format!("{}/dashboard", self.public_url)),
            lang: lang.code(),
            dir: if lang.is_rtl() { "rtl" } else { "ltr" },
            tag,
        })
    }

    /// The parameters of a kind's WhatsApp template, in order: the clinic, then for an
    /// appointment the other party and the time, for new availability the practitioner,
    /// for a notice its title and text.
    pub fn whatsapp_parameters(&self, n: &Notification, to: &User) -> Vec<String> {
        let lang = to.language;
        let when = |t: Timestamp| catalogue::when(t, &to.time_zone, lang, TimeStyle::Long);
        let clean = |s: String| s.replace(['\u{2068}', '\u{2069}'], "");
        let mut out = vec![self.clinic.name.clone()];
        match &n.data {
            Payload::Appointment(a) => {
                let other = match to.role {
                    Role::Patient => a.practitioner_name.clone(),
                    _ => a.patient_name.clone(),
                };
                out.extend([other, clean(when(a.starts_at))]);
            }
            Payload::Availability(v) => out.push(v.practitioner_name.clone()),
            Payload::Notice(notice) => out.extend([notice.title.clone(), notice.message.clone()]),
            Payload::Account(_) => {}
            Payload::Offer(o) => {
                out.extend([o.practitioner_name.clone(), clean(when(o.slot_starts_at))])
            }
            Payload::Endpoint(e) => out.push(e.url.clone()),
        }
        out
    }
}
