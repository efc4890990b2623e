//! Rendering a notification for one channel: email subject, HTML and text parts, SMS and
//! the iCalendar file, in the recipient's language (English fallback) and time zone.
//!
//! The texts live in `templates/` (a layout per email part and one strings file per
//! language). A clinic overrides any of them by putting a file with the same name in
//! `clinic.templates_dir`; they are read once at start and checked then.

mod ics;

pub use ics::{calendar_for, CalendarEvent, CalendarMethod};

use crate::config::ClinicSettings;
use crate::domain::{Language, NotificationKind, Timestamp};
use crate::store::notifications::Notification;
use crate::store::users::User;
use anyhow::{bail, Context};
use chrono::Locale;
use minijinja::{context, Environment, Value};
use std::collections::HashMap;
use std::path::Path;

const EMBEDDED: &[(&str, &str)] = &[
    ("email.html", include_str!("../../templates/email.html")),
    ("email.txt", include_str!("../../templates/email.txt")),
    (
        "messages/en.toml",
        include_str!("../../templates/messages/en.toml"),
    ),
    (
        "messages/fr.toml",
        include_str!("../../templates/messages/fr.toml"),
    ),
    (
        "messages/ar.toml",
        include_str!("../../templates/messages/ar.toml"),
    ),
];

/// A message ready for a channel.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub sms: Option<String>,
}

/// A notification as a dashboard shows it.
#[derive(Debug, Clone)]
pub struct InApp {
    pub title: String,
    pub message: String,
}

/// The texts of one message before they are laid out.
struct Texts {
    lang: Language,
    subject: String,
    heading: String,
    lines: Vec<String>,
    action: String,
    footer: String,
    sms: Option<String>,
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    messages: HashMap<&'static str, toml::Table>,
    clinic: String,
    clinic_phone: Option<String>,
    public_url: String,
    /// How long before the start a patient may still cancel or move online.
    patient_cancel_cutoff: std::time::Duration,
}

impl Templates {
    /// Loads the built-in templates, replaced file by file by those in `templates_dir`,
    /// and renders each kind once in each language so a broken override stops start-up.
    pub fn load(
        clinic: &ClinicSettings,
        public_url: &str,
        patient_cancel_cutoff: std::time::Duration,
    ) -> anyhow::Result<Self> {
        let mut files: HashMap<&'static str, String> = HashMap::new();
        for (name, text) in EMBEDDED {
            let text = match &clinic.templates_dir {
                Some(dir) if dir.join(name).is_file() => std::fs::read_to_string(dir.join(name))
                    .with_context(|| format!("reading template {}", dir.join(name).display()))?,
                _ => (*text).to_owned(),
            };
            files.insert(name, text);
        }
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        for layout in ["email.html", "email.txt"] {
            env.add_template_owned(layout, files[layout].clone())
                .with_context(|| format!("template {layout}"))?;
        }
        let mut messages = HashMap::new();
        for lang in Language::ALL {
            let name = format!("messages/{}.toml", lang.code());
            let table: toml::Table = files
                .get(name.as_str())
                .map(|t| toml::from_str(t))
                .transpose()
                .with_context(|| format!("template {name}"))?
                .unwrap_or_default();
            compile_strings(&mut env, lang.code(), &table)?;
            messages.insert(lang.code(), table);
        }
        let templates = Self {
            env,
            messages,
            clinic: clinic.name.clone(),
            clinic_phone: clinic.phone.clone(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            patient_cancel_cutoff,
        };
        templates.check()?;
        Ok(templates)
    }

    /// Every kind must exist in English and render in every language.
    fn check(&self) -> anyhow::Result<()> {
        for kind in NotificationKind::ALL {
            if self.messages["en"].get(kind.as_str()).is_none() {
                bail!(
                    "template messages/en.toml has no [{}] section",
                    kind.as_str()
                );
            }
            for lang in Language::ALL {
                self.render_parts(*kind, lang, sample_context())
                    .with_context(|| format!("template {} in {}", kind.as_str(), lang.code()))?;
            }
        }
        Ok(())
    }

    /// Renders a stored notification for its recipient, as of `now` (what a patient may
    /// still do online depends on it).
    pub fn render(&self, n: &Notification, to: &User, now: Timestamp) -> anyhow::Result<Rendered> {
        self.render_parts(n.kind, to.language, self.context(n, to, now))
    }

    /// The title and message a dashboard shows for a notification, in the recipient's
    /// language and zone: the message's heading and its body lines.
    pub fn in_app(&self, n: &Notification, to: &User, now: Timestamp) -> anyhow::Result<InApp> {
        let texts = self.texts(n.kind, to.language, &self.context(n, to, now))?;
        Ok(InApp {
            title: texts.heading,
            message: texts.lines.join(" "),
        })
    }

    /// The names the message texts can use.
    fn context(&self, n: &Notification, to: &User, now: Timestamp) -> Value {
        let d = &n.data;
        let starts_at = d
            .get("starts_at")
            .and_then(|v| v.as_str())
            .and_then(|s| Timestamp::parse_rfc3339(s).ok());
        // The patient's cut-off, as the lifecycle applies it: past it, cancelling or moving
        // online is refused, so messages say to call the clinic instead.
        let can_change_online = starts_at.is_some_and(|s| now.plus(self.patient_cancel_cutoff) < s);
        let when = |key: &str| {
            d.get(key)
                .and_then(|v| v.as_str())
                .and_then(|s| Timestamp::parse_rfc3339(s).ok())
                .map(|t| local_when(t, to))
        };
        let link = n.link.as_ref().map(|l| format!("{}{}", self.public_url, l));
        context! {
            clinic => &self.clinic,
            recipient => to.name.as_str(),
            patient => d.get("patient_name"),
            practitioner => d.get("practitioner_name"),
            when => when("starts_at").or_else(|| when("first_slot_starts_at")),
            previous_when => when("previous_starts_at"),
            first_when => when("first_slot_starts_at"),
            reason => d.get("status_reason"),
            note => d.get("note"),
            slot_count => d.get("slot_ids").and_then(|s| s.as_array()).map(|s| s.len()),
            title => &n.title,
            message => &n.message,
            link => link,
            can_change_online => can_change_online,
            clinic_phone => &self.clinic_phone,
        }
    }

    /// Every text of a kind in a language (English when the language lacks it).
    fn texts(&self, kind: NotificationKind, lang: Language, ctx: &Value) -> anyhow::Result<Texts> {
        let table = |l: &str| {
            self.messages
                .get(l)
                .and_then(|m| m.get(kind.as_str()))
                .and_then(|v| v.as_table())
        };
        let (lang, strings) = match table(lang.code()) {
            Some(t) => (lang, t),
            None => (Language::En, table("en").context("no English text")?),
        };
        let prefix = format!("{}/{}", lang.code(), kind.as_str());
        let render = |name: String| -> anyhow::Result<String> {
            Ok(self.env.get_template(&name)?.render(ctx)?)
        };
        let text_of = |key: &str| -> anyhow::Result<String> {
            match strings.get(key).and_then(|v| v.as_str()) {
                Some(_) => render(format!("{prefix}/{key}")),
                None => Ok(String::new()),
            }
        };
        // Subjects become a header: no line breaks, whatever a name or override holds.
        let subject: String = text_of("subject")?
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let line_count = strings
            .get("lines")
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len);
        let lines: Vec<String> = (0..line_count)
            .map(|i| render(format!("{prefix}/lines/{i}")))
            .collect::<anyhow::Result<Vec<_>>>()?
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let footer = match self.messages.get(lang.code()).and_then(|m| m.get("footer")) {
            Some(_) => render(format!("{}/footer", lang.code()))?,
            None => String::new(),
        };
        let sms = match strings.get("sms").and_then(|v| v.as_str()) {
            Some(_) => Some(render(format!("{prefix}/sms"))?.trim().to_owned()),
            None => None,
        };
        Ok(Texts {
            lang,
            subject,
            heading: text_of("heading")?,
            lines,
            action: text_of("action")?,
            footer,
            sms,
        })
    }

    fn render_parts(
        &self,
        kind: NotificationKind,
        lang: Language,
        ctx: Value,
    ) -> anyhow::Result<Rendered> {
        let t = self.texts(kind, lang, &ctx)?;
        let layout_ctx = context! {
            ..ctx.clone(),
            ..context! {
                lang => t.lang.code(),
                dir => if t.lang.is_rtl() { "rtl" } else { "ltr" },
                align => if t.lang.is_rtl() { "right" } else { "left" },
                subject => &t.subject,
                heading => &t.heading,
                lines => &t.lines,
                action => &t.action,
                footer => &t.footer,
            }
        };
        let html = self.env.get_template("email.html")?.render(&layout_ctx)?;
        let text = self.env.get_template("email.txt")?.render(&layout_ctx)?;
        Ok(Rendered {
            subject: t.subject,
            html,
            text,
            sms: t.sms,
        })
    }

    pub fn clinic(&self) -> &str {
        &self.clinic
    }
}

/// Compiles every text of a language once, at load, as a named template
/// (`fr/appointment_confirmed/subject`, `fr/appointment_confirmed/lines/0`, `fr/footer`),
/// so that sending a message renders them without parsing them again.
fn compile_strings(
    env: &mut Environment<'static>,
    lang: &str,
    table: &toml::Table,
) -> anyhow::Result<()> {
    let mut add = |name: String, src: &str| {
        env.add_template_owned(name.clone(), src.to_owned())
            .with_context(|| format!("template {name}"))
    };
    for (key, value) in table {
        match value {
            toml::Value::String(src) => add(format!("{lang}/{key}"), src)?,
            toml::Value::Table(kind) => {
                for (part, value) in kind {
                    match value {
                        toml::Value::String(src) => add(format!("{lang}/{key}/{part}"), src)?,
                        toml::Value::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                let src = item.as_str().with_context(|| {
                                    format!(
                                        "template {lang}/{key}/{part}: every entry must be text"
                                    )
                                })?;
                                add(format!("{lang}/{key}/{part}/{i}"), src)?;
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn sample_context() -> Value {
    context! {
        clinic => "Clinic", recipient => "R", patient => "P", practitioner => "D", when => "W",
        previous_when => "V", first_when => "F", reason => "X", note => "N", slot_count => 1,
        title => "T", message => "M", link => "http://x/",
    }
}

/// The start in the recipient's zone and language, with the zone named:
/// `mardi 1 décembre 2026, 09:00 (Europe/Paris)`.
pub fn local_when(t: Timestamp, to: &User) -> String {
    let locale = match to.language {
        Language::En => Locale::en_GB,
        Language::Fr => Locale::fr_FR,
        // Egyptian Arabic names the Gregorian months; Saudi locales use Hijri names.
        Language::Ar => Locale::ar_EG,
    };
    let local = t.to_datetime().with_timezone(&to.time_zone.tz());
    format!(
        "{} ({})",
        local.format_localized("%A %-d %B %Y, %H:%M", locale),
        to.time_zone.name()
    )
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
