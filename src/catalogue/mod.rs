//! The one catalogue of wording: every text a person reads (email, SMS, in-app
//! notifications, the dashboard pages) in each language, as Fluent messages in
//! `locales/{en,fr,ar}.ftl`, and the one formatter of times.
//!
//! Fluent gives real plural rules per language (Arabic's six forms among them) and, for
//! right-to-left languages, isolates every inserted value (names, times) with U+2068 …
//! U+2069 so a Latin name cannot reorder an Arabic sentence. Left-to-right languages are
//! formatted without those marks: they would only turn a GSM-7 SMS into a UCS-2 one.
//!
//! A clinic may override any message by putting `messages/<lang>.ftl` in
//! `clinic.templates_dir`; an override may only name messages the built-in English has.

mod when;

pub use fluent_bundle::FluentArgs as Args;
pub use when::{when, TimeStyle};

use crate::domain::Language;
use anyhow::{bail, Context};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentResource, FluentValue};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The built-in catalogue, one Fluent file per language.
pub const BUILT_IN: &[(Language, &str)] = &[
    (Language::En, include_str!("../../locales/en.ftl")),
    (Language::Fr, include_str!("../../locales/fr.ftl")),
    (Language::Ar, include_str!("../../locales/ar.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

/// Each language's messages, ready to format.
pub struct Catalogue {
    bundles: Vec<(Language, Bundle)>,
}

impl Catalogue {
    /// The built-in messages, each replaced by a clinic's override where `dir` has one.
    pub fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        let english = names(BUILT_IN[0].1).context("locales/en.ftl")?;
        let mut bundles = Vec::new();
        for (lang, source) in BUILT_IN {
            let mut bundle =
                Bundle::new_concurrent(vec![lang.code().parse().context("language tag")?]);
            bundle.set_use_isolating(lang.is_rtl());
            let resource = parse(source).with_context(|| format!("locales/{}.ftl", lang.code()))?;
            bundle
                .add_resource(resource)
                .map_err(|e| anyhow::anyhow!("locales/{}.ftl: {e:?}", lang.code()))?;
            if let Some(path) = dir
                .map(|d| d.join(format!("messages/{}.ftl", lang.code())))
                .filter(|p| p.is_file())
            {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let theirs = names(&text).with_context(|| path.display().to_string())?;
                if let Some(unknown) = theirs.difference(&english).next() {
                    bail!(
                        "{}: {unknown:?} is not a message of the built-in catalogue",
                        path.display()
                    );
                }
                bundle.add_resource_overriding(
                    parse(&text).with_context(|| path.display().to_string())?,
                );
            }
            bundles.push((*lang, bundle));
        }
        Ok(Self { bundles })
    }

    /// The built-in messages alone.
    pub fn built_in() -> Self {
        Self::load(None).expect("the built-in catalogue parses (checked by its tests)")
    }

    fn bundle(&self, lang: Language) -> &Bundle {
        &self
            .bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .unwrap_or(&self.bundles[0])
            .1
    }

    /// Whether the catalogue has this message (in English, hence everywhere).
    pub fn has(&self, id: &str) -> bool {
        self.bundle(Language::En).has_message(id)
    }

    /// Formats a message, or one of its attributes (`attribute`), in `lang`; English when
    /// that language lacks it; `None` when English lacks it too. A value the message
    /// needs but `args` lacks is an error.
    pub fn try_format(
        &self,
        lang: Language,
        id: &str,
        attribute: Option<&str>,
        args: Option<&Args<'_>>,
    ) -> anyhow::Result<Option<String>> {
        for lang in [lang, Language::En] {
            let bundle = self.bundle(lang);
            let Some(message) = bundle.get_message(id) else {
                continue;
            };
            let pattern = match attribute {
                Some(name) => message.get_attribute(name).map(|a| a.value()),
                None => message.value(),
            };
            let Some(pattern) = pattern else { continue };
            let mut errors = Vec::new();
            let text = bundle.format_pattern(pattern, args, &mut errors);
            if let Some(e) = errors.first() {
                bail!(
                    "message {id}{} in {}: {e}",
                    attribute.map(|a| format!(".{a}")).unwrap_or_default(),
                    lang.code()
                );
            }
            return Ok(Some(text.into_owned()));
        }
        Ok(None)
    }

    /// A message without values (an interface label); its id when unknown, so a gap shows
    /// instead of breaking the page.
    pub fn text(&self, lang: Language, id: &str) -> String {
        self.try_format(lang, id, None, None)
            .ok()
            .flatten()
            .unwrap_or_else(|| id.to_owned())
    }

    /// Every message of a language that has a value and needs no values to format:
    /// the labels the page templates use as `t.<id>`.
    pub fn labels(&self, lang: Language) -> BTreeMap<String, String> {
        let english = names(BUILT_IN[0].1).unwrap_or_default();
        english
            .iter()
            .filter(|n| !n.contains('.'))
            .filter_map(|id| {
                let text = self.try_format(lang, id, None, None).ok().flatten()?;
                Some((id.clone(), text))
            })
            .collect()
    }
}

/// A number for a plural selector.
pub fn number(n: usize) -> FluentValue<'static> {
    FluentValue::from(n as f64)
}

fn parse(source: &str) -> anyhow::Result<FluentResource> {
    FluentResource::try_new(source.to_owned())
        .map_err(|(_, errors)| anyhow::anyhow!("Fluent syntax: {errors:?}"))
}

/// The names a Fluent file defines: each message id, and `id.attribute` for each of its
/// attributes.
pub fn names(source: &str) -> anyhow::Result<BTreeSet<String>> {
    use fluent_syntax::ast::Entry;
    let resource = fluent_syntax::parser::parse(source)
        .map_err(|(_, errors)| anyhow::anyhow!("Fluent syntax: {errors:?}"))?;
    let mut out = BTreeSet::new();
    for entry in resource.body {
        if let Entry::Message(m) = entry {
            let id = m.id.name.to_owned();
            for a in &m.attributes {
                out.insert(format!("{id}.{}", a.id.name));
            }
            if m.value.is_some() {
                out.insert(id);
            } else if m.attributes.is_empty() {
                bail!("message {id} has neither a value nor attributes");
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_exactly_the_messages_english_has() {
        let english = names(BUILT_IN[0].1).unwrap();
        assert!(english.len() > 100, "{} names", english.len());
        for (lang, source) in BUILT_IN {
            let own = names(source).unwrap();
            let missing: Vec<_> = english.difference(&own).collect();
            let extra: Vec<_> = own.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{} lacks {missing:?} and has extra {extra:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn the_missing_message_check_notices_a_gap() {
        // The check above is only worth something if a gap changes the set it compares.
        let english = names(BUILT_IN[0].1).unwrap();
        let cut = BUILT_IN[1].1.replacen("sign_out =", "sign_out_gone =", 1);
        assert_ne!(names(&cut).unwrap(), english);
    }

    #[test]
    fn arabic_has_six_plural_forms_and_isolates_names() {
        let c = Catalogue::built_in();
        let mut seen = BTreeSet::new();
        for n in [0, 1, 2, 3, 11, 100] {
            let mut args = Args::new();
            args.set("count", number(n));
            let text = c
                .try_format(Language::Ar, "free-times", None, Some(&args))
                .unwrap()
                .unwrap();
            seen.insert(text.replace(&n.to_string(), "#"));
        }
        assert_eq!(seen.len(), 6, "{seen:?}");
        let mut args = Args::new();
        args.set("count", number(2));
        let fr = c
            .try_format(Language::Fr, "free-times", None, Some(&args))
            .unwrap()
            .unwrap();
        assert_eq!(fr, "2 créneaux libres");
        assert!(!fr.contains('\u{2068}'), "no isolation marks in LTR text");
        let mut args = Args::new();
        args.set("practitioner", "Dr Amina Haddad");
        let ar = c
            .try_format(Language::Ar, "calendar-summary", None, Some(&args))
            .unwrap()
            .unwrap();
        assert!(ar.contains("\u{2068}Dr Amina Haddad\u{2069}"), "{ar:?}");
    }

    #[test]
    fn the_old_dashboard_answers_format_in_every_language() {
        // Start-up renders the notification texts; these short answers it does not.
        let c = Catalogue::built_in();
        for lang in Language::ALL {
            for (id, unit, n) in [
                ("time-ago", "now", 0),
                ("time-ago", "minutes", 1),
                ("time-ago", "hours", 5),
                ("time-ago", "days", 12),
                ("old-notified", "", 0),
                ("old-notified", "", 3),
                ("old-accepted", "", 0),
                ("old-declined", "", 0),
            ] {
                let mut args = Args::new();
                args.set("unit", unit);
                args.set("count", number(n));
                let text = c.try_format(lang, id, None, Some(&args)).unwrap();
                assert!(
                    text.is_some_and(|t| !t.trim().is_empty()),
                    "{id} {unit} {n} in {lang:?}"
                );
            }
        }
    }

    #[test]
    fn an_override_must_name_a_built_in_message() {
        let dir = std::env::temp_dir().join(format!("carebell-ftl-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("messages")).unwrap();
        std::fs::write(dir.join("messages/en.ftl"), "sign_in = Log in\n").unwrap();
        let c = Catalogue::load(Some(&dir)).unwrap();
        assert_eq!(c.text(Language::En, "sign_in"), "Log in");
        std::fs::write(dir.join("messages/en.ftl"), "sing_in = Log in\n").unwrap();
        let err = Catalogue::load(Some(&dir)).err().unwrap().to_string();
        assert!(err.contains("sing_in"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
