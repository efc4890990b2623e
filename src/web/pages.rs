//! The page templates (`web/templates/`) and the interface texts (`web/i18n/`), compiled
//! into the binary and parsed once at start.

use crate::domain::Language;
use anyhow::Context;
use minijinja::{Environment, Value};
use std::collections::{BTreeMap, HashMap};

const TEMPLATES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../web/templates/layout.html"),
    ),
    (
        "notifications.html",
        include_str!("../../web/templates/notifications.html"),
    ),
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
];

const TEXTS: &[(Language, &str)] = &[
    (Language::En, include_str!("../../web/i18n/en.toml")),
    (Language::Fr, include_str!("../../web/i18n/fr.toml")),
    (Language::Ar, include_str!("../../web/i18n/ar.toml")),
];

/// The compiled pages and each language's texts (English fills any gap).
pub struct Pages {
    env: Environment<'static>,
    texts: HashMap<&'static str, BTreeMap<String, String>>,
}

impl Pages {
    pub fn load() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .with_context(|| format!("page template {name}"))?;
        }
        let parse = |lang: Language, source: &str| -> anyhow::Result<BTreeMap<String, String>> {
            toml::from_str(source).with_context(|| format!("web/i18n/{}.toml", lang.code()))
        };
        let english = parse(Language::En, TEXTS[0].1)?;
        let mut texts = HashMap::new();
        for (lang, source) in TEXTS {
            let mut table = english.clone();
            let own = parse(*lang, source)?;
            if let Some(extra) = own.keys().find(|k| !english.contains_key(*k)) {
                anyhow::bail!(
                    "web/i18n/{}.toml has {extra:?}, which English lacks",
                    lang.code()
                );
            }
            table.extend(own);
            texts.insert(lang.code(), table);
        }
        Ok(Self { env, texts })
    }

    /// One interface text (its key when unknown, so a gap shows rather than breaks).
    pub fn text(&self, lang: Language, key: &str) -> String {
        self.texts[lang.code()]
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether a text exists (for messages chosen by an error code).
    pub fn has_text(&self, key: &str) -> bool {
        self.texts["en"].contains_key(key)
    }

    /// Renders a page in a language; `ctx` gets `t` (the texts), `lang` and `dir`.
    pub fn render(&self, name: &str, lang: Language, ctx: Value) -> anyhow::Result<String> {
        let ctx = minijinja::context! {
            ..ctx,
            ..minijinja::context! {
                t => Value::from_serialize(&self.texts[lang.code()]),
                lang => lang.code(),
                dir => if lang.is_rtl() { "rtl" } else { "ltr" },
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
    fn every_language_translates_every_text() {
        let pages = Pages::load().expect("pages load");
        for lang in Language::ALL {
            let own: BTreeMap<String, String> =
                toml::from_str(TEXTS.iter().find(|(l, _)| l == &lang).unwrap().1).unwrap();
            let missing: Vec<_> = pages.texts["en"]
                .keys()
                .filter(|k| !own.contains_key(*k))
                .collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
        }
    }
}
