//! The page templates (`web/templates/`), compiled into the binary and parsed once at
//! start, with the interface labels of the one catalogue of wording (`locales/`).

use crate::catalogue::Catalogue;
use crate::config::ClinicSettings;
use crate::domain::Language;
use anyhow::Context;
use minijinja::{Environment, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../web/templates/layout.html"),
    ),
    (
        "notifications.html",
        include_str!("../../web/templates/notifications.html"),
    ),
    ("bare.html", include_str!("../../web/templates/bare.html")),
    (
        "sign_in.html",
        include_str!("../../web/templates/sign_in.html"),
    ),
    (
        "patient.html",
        include_str!("../../web/templates/patient.html"),
    ),
    (
        "practitioner.html",
        include_str!("../../web/templates/practitioner.html"),
    ),
    ("admin.html", include_str!("../../web/templates/admin.html")),
    ("forms.html", include_str!("../../web/templates/forms.html")),
    (
        "appointment.html",
        include_str!("../../web/templates/appointment.html"),
    ),
    ("inbox.html", include_str!("../../web/templates/inbox.html")),
    (
        "profile.html",
        include_str!("../../web/templates/profile.html"),
    ),
    (
        "people.html",
        include_str!("../../web/templates/people.html"),
    ),
    (
        "preferences.html",
        include_str!("../../web/templates/preferences.html"),
    ),
    (
        "notices.html",
        include_str!("../../web/templates/notices.html"),
    ),
    (
        "notice.html",
        include_str!("../../web/templates/notice.html"),
    ),
    (
        "notice_form.html",
        include_str!("../../web/templates/notice_form.html"),
    ),
    (
        "password_reset.html",
        include_str!("../../web/templates/password_reset.html"),
    ),
    (
        "webhooks.html",
        include_str!("../../web/templates/webhooks.html"),
    ),
    (
        "unsubscribe.html",
        include_str!("../../web/templates/unsubscribe.html"),
    ),
    ("offer.html", include_str!("../../web/templates/offer.html")),
    (
        "clinic_footer.html",
        include_str!("../../web/templates/clinic_footer.html"),
    ),
];

/// The compiled pages and each language's labels (English fills any gap).
pub struct Pages {
    env: Environment<'static>,
    catalogue: Arc<Catalogue>,
    labels: HashMap<&'static str, BTreeMap<String, String>>,
    /// The clinic's name, address, phone, logo and accent, shown on every page.
    clinic: ClinicSettings,
}

impl Pages {
    pub fn load(catalogue: Arc<Catalogue>, clinic: &ClinicSettings) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .with_context(|| format!("page template {name}"))?;
        }
        let labels = Language::ALL
            .iter()
            .map(|lang| (lang.code(), catalogue.labels(*lang)))
            .collect();
        Ok(Self {
            env,
            catalogue,
            labels,
            clinic: clinic.clone(),
        })
    }

    /// One interface label (its id when unknown, so a gap shows rather than breaks).
    pub fn text(&self, lang: Language, id: &str) -> String {
        self.catalogue.text(lang, id)
    }

    /// Whether a label exists (for messages chosen by an error code).
    pub fn has_text(&self, id: &str) -> bool {
        self.catalogue.has(id)
    }

    /// Renders a page in a language; `ctx` gets `t` (the labels), `lang`, `dir` and
    /// `clinic`.
    pub fn render(&self, name: &str, lang: Language, ctx: Value) -> anyhow::Result<String> {
        let ctx = minijinja::context! {
            ..ctx,
            ..minijinja::context! {
                t => Value::from_serialize(&self.labels[lang.code()]),
                lang => lang.code(),
                dir => if lang.is_rtl() { "rtl" } else { "ltr" },
                clinic => Value::from_serialize(&self.clinic),
            }
        };
        self.env
            .get_template(name)?
            .render(ctx)
            .with_context(|| format!("rendering page {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_a_page_names_exists() {
        // Every `t.<id>` and `t["<id>"]` in the templates is a catalogue label.
        let pages = Pages::load(Arc::new(Catalogue::built_in()), &ClinicSettings::default())
            .expect("pages load");
        for (name, source) in TEMPLATES {
            let ids = source.match_indices("t.").filter_map(|(at, _)| {
                let before = source[..at].chars().next_back()?;
                if before.is_alphanumeric() || before == '_' || before == '.' {
                    return None;
                }
                let id: String = source[at + 2..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                (!id.is_empty()).then_some(id)
            });
            for id in ids {
                assert!(
                    pages.has_text(&id),
                    "{name} names t.{id}, which the catalogue lacks"
                );
            }
        }
    }
}
