//! Rendering a notification for one channel: email subject, HTML and text parts, SMS,
//! the in-app title and message, and the iCalendar file, in the recipient's language
//! (English fallback) and time zone, from the one catalogue of wording
//! ([`crate::catalogue`]) and the notification's typed payload.
//!
//! The email layouts live in `templates/email.{html,txt}`; a clinic may replace either by
//! putting a file with the same name in `clinic.templates_dir` (and any message with
//! `messages/<lang>.ftl` there). Everything is read once at start and checked then.

mod ics;
pub mod pages;
mod short;

pub use ics::{calendar_for, CalendarEvent, CalendarParty};
pub use short::PushText;

use crate::catalogue::{self, Args, Catalogue, TimeStyle};
use crate::config::ClinicSettings;
use crate::domain::payload::{AppointmentFacts, CalendarChange, Payload};
use crate::domain::{
    AppointmentStatus, CancelledBy, Category, Channel, Language, NotificationKind, Role, Timestamp,
    Transition,
};
use crate::store::notifications::Notification;
use crate::store::users::User;
use anyhow::Context;
use minijinja::{context, Environment};
use std::path::Path;
use std::sync::Arc;
const LAYOUTS: &[(&str, &str)] = &[
    ("email.html", include_str!("../../templates/email.html")),
    ("email.txt", include_str!("../../templates/email.txt")),
];

/// A message ready for a channel.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub sms: Option<String>,
    /// The calendar file the email carries (and its text mentions), if any: the change it
    /// makes and the iCalendar text.
    pub calendar: Option<(CalendarChange, String)>,
    /// For messages not about the reader's own appointment: the one-click unsubscribe
    /// link (RFC 8058) of this category and channel.
    pub unsubscribe: Option<String>,
}

/// Where calendar files come from: the clinic's sender address (the organiser's) and the
/// domain that makes event UIDs unique (`<installation id>@<email domain>`).
#[derive(Debug, Clone)]
pub struct CalendarOrigin {
    pub sender: String,
    pub uid_domain: String,
}

/// A notification as a dashboard shows it.
#[derive(Debug, Clone)]
pub struct InApp {
    pub title: String,
    pub message: String,
}

/// The texts of one message before they are laid out.
struct Texts {
    subject: String,
    heading: String,
    body: String,
    next: String,
    action: String,
    sms: Option<String>,
}

/// The loaded layouts and catalogue, and the clinic facts messages carry.
pub struct Templates {
    env: Environment<'static>,
    catalogue: Arc<Catalogue>,
    clinic: ClinicSettings,
    public_url: String,
    origin: CalendarOrigin,
    /// How long before the start a patient may still cancel or move online.
    patient_cancel_cutoff: std::time::Duration,
    /// Signs unsubscribe links (this installation's key).
    link_key: Vec<u8>,
}

impl Templates {
    /// Loads the built-in layouts, each replaced by the clinic's file where
    /// `templates_dir` has one, and renders every kind for every role in every language
    /// once, so a broken override stops start-up.
    pub fn load(
        catalogue: Arc<Catalogue>,
        clinic: &ClinicSettings,
        public_url: &str,
        patient_cancel_cutoff: std::time::Duration,
        origin: CalendarOrigin,
    ) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        for (name, text) in LAYOUTS {
            let text = match &clinic.templates_dir {
                Some(dir) if dir.join(name).is_file() => std::fs::read_to_string(dir.join(name))
                    .with_context(|| format!("reading template {}", dir.join(name).display()))?,
                _ => (*text).to_owned(),
            };
            env.add_template_owned(*name, text)
                .with_context(|| format!("template {name}"))?;
        }
        let templates = Self {
            env,
            catalogue,
            clinic: clinic.clone(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            link_key: Vec::new(),
            patient_cancel_cutoff,
            origin,
        };
        templates.check()?;
        Ok(templates)
    }

    /// Every kind the matrix sends to a role renders in every language, in each variant
    /// its text chooses between.
    fn check(&self) -> anyhow::Result<()> {
        let now = Timestamp::from_millis(0);
        let any_role = crate::notify::ANY_ROLE.iter().flat_map(|kind| {
            [Role::Patient, Role::Practitioner, Role::Admin].map(|role| (*kind, role))
        });
        for (kind, role) in crate::notify::AUDIENCE.iter().copied().chain(any_role) {
            for sample in samples(kind, role) {
                for lang in Language::ALL {
                    let mut to = sample.1.clone();
                    to.language = lang;
                    self.render(&sample.0, &to, now).with_context(|| {
                        format!("message {} in {}", message_id(kind, role), lang.code())
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Signs unsubscribe links with `key` (this installation's, from the database).
    pub fn with_link_key(mut self, key: Vec<u8>) -> Self {
        self.link_key = key;
        self
    }

    /// What an unsubscribe token is for, if this installation signed it.
    pub fn verify_unsubscribe(&self, token: &str) -> Option<(i64, Category, Channel)> {
        if self.link_key.is_empty() {
            return None;
        }
        crate::auth::signed::verify_unsubscribe(&self.link_key, token)
    }

    /// What a password reset token is for (reset id, user id), if this installation
    /// signed it.
    pub fn verify_reset(&self, token: &str) -> Option<(i64, i64)> {
        if self.link_key.is_empty() {
            return None;
        }
        crate::auth::signed::verify_reset(&self.link_key, token)
    }

    /// The page where a password reset link leads.
    pub fn reset_url(&self, reset_id: i64, user_id: i64) -> String {
        let token = crate::auth::signed::reset_token(&self.link_key, reset_id, user_id);
        format!("{}/password-reset/{token}", self.public_url)
    }

    /// The one-click unsubscribe address of a category and channel for a user.
    pub fn unsubscribe_url(&self, user_id: i64, category: Category, channel: Channel) -> String {
        let token =
            crate::auth::signed::unsubscribe_token(&self.link_key, user_id, category, channel);
        format!("{}/unsubscribe/{token}", self.public_url)
    }

    /// Renders a stored notification for its recipient, as of `now` (what a patient may
    /// still do online depends on it).
    pub fn render(&self, n: &Notification, to: &User, now: Timestamp) -> anyhow::Result<Rendered> {
        let lang = to.language;
        let mut args = self.args(n, to, now);
        let link = self.link(n);
        let t = self.texts(n.kind, to.role, lang, &args, link.as_deref())?;
        let calendar = self.calendar(n, to, &args, now)?;
        let calendar_line = calendar_change(n)
            .map(|change| {
                let id = match (change, n.kind) {
                    (CalendarChange::Cancel, _) => "email-calendar-remove",
                    (CalendarChange::Request, NotificationKind::AppointmentModified) => {
                        "email-calendar-update"
                    }
                    (CalendarChange::Request, _) => "email-calendar-add",
                };
                self.format(lang, id, None, &args)
            })
            .transpose()?;
        let lines: Vec<&str> = [
            Some(t.body.as_str()),
            Some(t.next.as_str()),
            calendar_line.as_deref(),
        ]
        .into_iter()
        .flatten()
        .filter(|l| !l.trim().is_empty())
        .collect();
        let footer = self.format(lang, "email-footer", None, &args)?;
        let category = Category::of(n.kind);
        let unsubscribe = category
            .is_bulk()
            .then(|| self.unsubscribe_url(to.id, category, Channel::Email));
        args.set("category", category.as_str());
        let choices = self.format(lang, "email-choices", None, &args)?;
        let unsubscribe_label = self.format(lang, "email-unsubscribe", None, &args)?;
        let c = &self.clinic;
        let layout = context! {
            lang => lang.code(),
            dir => if lang.is_rtl() { "rtl" } else { "ltr" },
            align => if lang.is_rtl() { "right" } else { "left" },
            clinic => &c.name,
            clinic_address => &c.address,
            clinic_phone => &c.phone,
            logo_url => &c.logo_url,
            accent => &c.accent_colour,
            subject => &t.subject,
            heading => &t.heading,
            lines => lines,
            action => &t.action,
            link => link,
            footer => footer,
            choices => choices,
            preferences_url => format!("{}/preferences", self.public_url),
            unsubscribe_label => unsubscribe_label,
            unsubscribe_url => &unsubscribe,
        };
        Ok(Rendered {
            html: self.env.get_template("email.html")?.render(&layout)?,
            text: self.env.get_template("email.txt")?.render(&layout)?,
            subject: t.subject,
            sms: t.sms,
            calendar,
            unsubscribe,
        })
    }

    /// The text message of a notification for its recipient (`None` for a kind the
    /// matrix sends no SMS for), without laying out the email.
    pub fn sms(
        &self,
        n: &Notification,
        to: &User,
        now: Timestamp,
    ) -> anyhow::Result<Option<String>> {
        let args = self.args(n, to, now);
        let link = self.link(n);
        Ok(self
            .texts(n.kind, to.role, to.language, &args, link.as_deref())?
            .sms)
    }

    /// The title and message a dashboard shows: the heading, and the body with its second
    /// paragraph. No attachment is ever mentioned: only emails carry one.
    pub fn in_app(&self, n: &Notification, to: &User, now: Timestamp) -> anyhow::Result<InApp> {
        let args = self.args(n, to, now);
        let t = self.texts(n.kind, to.role, to.language, &args, None)?;
        let message = [t.body, t.next]
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(InApp {
            title: t.heading,
            message,
        })
    }

    /// The iCalendar file an email carries, if its notification changes a calendar:
    /// organised by the practitioner (named) from the clinic's sender address, the
    /// recipient as attendee, at the clinic's address, with how to reach the clinic.
    fn calendar(
        &self,
        n: &Notification,
        to: &User,
        args: &Args<'_>,
        now: Timestamp,
    ) -> anyhow::Result<Option<(CalendarChange, String)>> {
        let (Some(change), Some(a)) = (calendar_change(n), n.data.appointment()) else {
            return Ok(None);
        };
        let lang = to.language;
        let summary = match to.role {
            Role::Practitioner => "calendar-summary-practitioner",
            _ => "calendar-summary",
        };
        let summary = self.format(lang, summary, None, args)?;
        let description = self.format(lang, "calendar-description", None, args)?;
        let event = CalendarEvent {
            uid: format!(
                "appointment-{}.{}",
                a.appointment_id, self.origin.uid_domain
            ),
            sequence: a.appointment_version,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            summary: strip_isolation(&summary),
            description: strip_isolation(&description),
            location: self
                .clinic
                .address
                .clone()
                .unwrap_or_else(|| self.clinic.name.clone()),
            organizer: CalendarParty {
                name: a.practitioner_name.clone(),
                email: self.origin.sender.clone(),
            },
            attendee: CalendarParty {
                name: to.name.as_str().to_owned(),
                email: to.email.as_str().to_owned(),
            },
        };
        Ok(Some((change, calendar_for(&event, change, now))))
    }

    /// The absolute address of a notification's page. A password reset's is signed now:
    /// its token is stored nowhere.
    fn link(&self, n: &Notification) -> Option<String> {
        if let Payload::Account(a) = &n.data {
            return Some(self.reset_url(a.reset_id, n.recipient_id));
        }
        n.link.as_ref().map(|l| format!("{}{}", self.public_url, l))
    }

    /// The values the catalogue's notification messages use.
    fn args(&self, n: &Notification, to: &User, now: Timestamp) -> Args<'static> {
        let lang = to.language;
        let when = |t: Timestamp| catalogue::when(t, &to.time_zone, lang, TimeStyle::Long);
        let yes = |b: bool| if b { "yes" } else { "no" };
        let mut args = Args::new();
        let c = &self.clinic;
        args.set("clinic", c.name.clone());
        args.set("has_phone", yes(c.phone.is_some()));
        args.set("phone", c.phone.clone().unwrap_or_default());
        args.set(
            "link",
            self.link(n).unwrap_or_else(|| self.public_url.clone()),
        );
        match &n.data {
            Payload::Appointment(a) => {
                args.set("patient", a.patient_name.clone());
                args.set("practitioner", a.practitioner_name.clone());
                args.set("when", when(a.starts_at));
                args.set(
                    "previous",
                    a.previous_starts_at.map(when).unwrap_or_default(),
                );
                args.set("status", a.status.as_str());
                args.set("by", a.cancelled_by.map_or("system", |b| b.as_str()));
                let reason = a.status_reason.clone().filter(|r| !r.trim().is_empty());
                args.set("has_reason", yes(reason.is_some()));
                args.set("reason", reason.unwrap_or_default());
                args.set(
                    "urgency",
                    self.catalogue
                        .text(lang, &format!("urgency-{}", a.urgency.as_str())),
                );
                args.set("online", yes(self.can_change_online(a, now)));
                args.set("check", yes(a.attendance_check));
            }
            Payload::Availability(v) => {
                args.set("practitioner", v.practitioner_name.clone());
                args.set("count", catalogue::number(v.slot_ids.len()));
                args.set("has_first", yes(v.first_slot_starts_at.is_some()));
                args.set(
                    "first",
                    v.first_slot_starts_at.map(when).unwrap_or_default(),
                );
                let note = v.note.clone().filter(|n| !n.trim().is_empty());
                args.set("has_note", yes(note.is_some()));
                args.set("note", note.unwrap_or_default());
            }
            Payload::Notice(notice) => {
                args.set("title", notice.title.clone());
                args.set("message", notice.message.clone());
                args.set("has_sender", yes(notice.sender_name.is_some()));
                args.set("sender", notice.sender_name.clone().unwrap_or_default());
            }
            Payload::Account(a) => {
                args.set("expires", when(a.expires_at));
            }
            Payload::Offer(o) => {
                args.set("practitioner", o.practitioner_name.clone());
                args.set("when", when(o.slot_starts_at));
                args.set(
                    "until",
                    catalogue::when(o.hold_until, &to.time_zone, lang, TimeStyle::Short),
                );
                args.set("moves", yes(o.moves_from.is_some()));
                args.set("previous", o.moves_from.map(when).unwrap_or_default());
            }
            Payload::Endpoint(e) => {
                args.set("url", e.url.clone());
                args.set("since", e.failing_since.map(when).unwrap_or_default());
            }
        }
        args
    }

    /// Whether the patient may still cancel online, by the lifecycle's own rule
    /// (`AppointmentStatus::apply`), asked for the next millisecond: a message is read
    /// after it is sent, so one sent at the cut-off itself (the 2 h reminder with the
    /// default 2 h cut-off) already says to call the clinic instead.
    fn can_change_online(&self, a: &AppointmentFacts, now: Timestamp) -> bool {
        let read_at = now.plus(std::time::Duration::from_millis(1));
        a.status
            .apply(
                Transition::Cancel(CancelledBy::Patient),
                a.starts_at,
                read_at,
                self.patient_cancel_cutoff,
            )
            .is_ok()
    }

    fn format(
        &self,
        lang: Language,
        id: &str,
        attribute: Option<&str>,
        args: &Args<'_>,
    ) -> anyhow::Result<String> {
        self.catalogue
            .try_format(lang, id, attribute, Some(args))?
            .with_context(|| {
                format!(
                    "the catalogue has no {id}{}",
                    attribute.map(|a| format!(".{a}")).unwrap_or_default()
                )
            })
    }

    /// Every text of a kind for a role in a language.
    fn texts(
        &self,
        kind: NotificationKind,
        role: Role,
        lang: Language,
        args: &Args<'_>,
        link: Option<&str>,
    ) -> anyhow::Result<Texts> {
        let id = message_id(kind, role);
        let part = |name: &str| self.format(lang, &id, Some(name), args);
        let optional = |name: &str| self.catalogue.try_format(lang, &id, Some(name), Some(args));
        // Subjects become a header: no line breaks, whatever a name or override holds.
        let subject: String = part("subject")?
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Ok(Texts {
            subject,
            heading: part("heading")?,
            body: part("body")?,
            next: optional("next")?.unwrap_or_default(),
            action: part("action")?,
            // A link stays a plain run at the end of an SMS: isolation marks around it
            // could be taken into the address by a phone's link detection.
            sms: optional("sms")?.map(|s| {
                let s = s.trim().to_owned();
                match link {
                    Some(l) => s.replace(&format!("\u{2068}{l}\u{2069}"), l),
                    None => s,
                }
            }),
        })
    }

    pub fn clinic(&self) -> &ClinicSettings {
        &self.clinic
    }

    pub fn catalogue(&self) -> &Arc<Catalogue> {
        &self.catalogue
    }
}

/// The catalogue message of a kind for a role: `<kind>-to-<role>`; notices and password
/// resets ([`crate::notify::ANY_ROLE`]) are the same for everyone.
pub fn message_id(kind: NotificationKind, role: Role) -> String {
    if crate::notify::ANY_ROLE.contains(&kind) {
        kind.as_str().to_owned()
    } else {
        format!("{}-to-{}", kind.as_str(), role.as_str())
    }
}

/// The calendar change a notification's email carries: exactly when its payload says the
/// step changed a calendar that holds the appointment.
pub fn calendar_change(n: &Notification) -> Option<CalendarChange> {
    n.data.appointment().and_then(|a| a.calendar)
}

/// Removes the bidi isolation marks Fluent puts around values in right-to-left text, for
/// places that are not shown as running text (calendar fields).
fn strip_isolation(s: &str) -> String {
    s.replace(['\u{2068}', '\u{2069}'], "")
}

/// Sample notifications of a kind for a role, one per variant its texts choose between.
fn samples(kind: NotificationKind, role: Role) -> Vec<(Notification, User)> {
    use crate::domain::payload::{
        AccountFacts, AvailabilityFacts, EndpointFacts, NoticeFacts, OfferFacts,
    };
    use crate::domain::{CancelledBy, Email, PersonName, TimeZone, Urgency};
    let t = Timestamp::from_millis(1_796_115_600_000);
    let to = User {
        id: 1,
        role,
        name: PersonName::parse("R").expect("sample name"),
        email: Email::parse("r@example.org").expect("sample email"),
        phone: None,
        time_zone: TimeZone::parse("UTC").expect("sample zone"),
        language: Language::En,
        deactivated_at: None,
        whatsapp_opt_in_at: None,
        push_enabled_at: None,
    };
    let appointment = |status, by, reason: Option<&str>, calendar| {
        Payload::Appointment(AppointmentFacts {
            appointment_id: 1,
            appointment_version: 1,
            status,
            starts_at: t,
            ends_at: t,
            previous_starts_at: Some(t),
            patient_name: "P".into(),
            practitioner_name: "D".into(),
            cancelled_by: by,
            status_reason: reason.map(str::to_owned),
            urgency: Urgency::Routine,
            calendar,
            reminder_offset_s: None,
            attendance_check: false,
        })
    };
    let payloads = match kind {
        NotificationKind::NewAvailability => vec![
            Payload::Availability(AvailabilityFacts {
                practitioner_id: 1,
                practitioner_name: "D".into(),
                slot_ids: vec![1, 2],
                first_slot_starts_at: Some(t),
                note: Some("N".into()),
            }),
            Payload::Availability(AvailabilityFacts {
                practitioner_id: 1,
                practitioner_name: "D".into(),
                slot_ids: vec![],
                first_slot_starts_at: None,
                note: None,
            }),
        ],
        NotificationKind::SystemNotice => [None, Some("S")]
            .map(|sender| {
                Payload::Notice(NoticeFacts {
                    title: "T".into(),
                    message: "M".into(),
                    notice_id: Some(1),
                    sender_name: sender.map(str::to_owned),
                })
            })
            .to_vec(),
        NotificationKind::PasswordReset => vec![Payload::Account(AccountFacts {
            reset_id: 1,
            expires_at: t,
        })],
        NotificationKind::WaitlistOffer => [None, Some(t)]
            .map(|moves_from| {
                Payload::Offer(OfferFacts {
                    offer_id: 1,
                    practitioner_name: "D".into(),
                    slot_starts_at: t,
                    slot_ends_at: t,
                    hold_until: t,
                    moves_from,
                })
            })
            .to_vec(),
        NotificationKind::WebhookDisabled => vec![Payload::Endpoint(EndpointFacts {
            endpoint_id: 1,
            url: "https://example.org/hook".into(),
            failing_since: Some(t),
        })],
        _ => vec![
            appointment(
                AppointmentStatus::Confirmed,
                None,
                None,
                Some(CalendarChange::Request),
            ),
            appointment(
                AppointmentStatus::Cancelled,
                Some(CancelledBy::Practitioner),
                Some("X"),
                Some(CalendarChange::Cancel),
            ),
            appointment(
                AppointmentStatus::Requested,
                Some(CancelledBy::Patient),
                None,
                None,
            ),
        ],
    };
    payloads
        .into_iter()
        .map(|data| {
            let n = Notification {
                id: 1,
                recipient_id: 1,
                kind,
                severity: crate::domain::Severity::Info,
                title: String::new(),
                message: String::new(),
                link: Some("/".into()),
                data,
                appointment_id: None,
                read: false,
                read_at: None,
                created_at: t,
                visible_at: t,
                seq: None,
            };
            (n, to.clone())
        })
        .collect()
}

/// Whether a template folder override exists (for start-up logging).
pub fn describe_source(dir: Option<&Path>) -> String {
    match dir {
        Some(d) => format!("built-in, overridden by {}", d.display()),
        None => "built-in".into(),
    }
}

#[cfg(test)]
mod tests;
