#[allow(clippy::result_large_err)] // figment::Jail's closure signature
mod settings {
    use crate::config::*;

    #[test]
    fn defaults_are_valid() {
        let s = Settings::default();
        s.validate().unwrap();
        assert_eq!(s.sqlite_dir(), Some(PathBuf::from("var")));
        assert!(!s.cookie_secure());
    }

    #[test]
    fn environment_overrides_file_and_bad_values_name_the_option() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("carebell.toml", "[server]\nlisten = \"127.0.0.1:9000\"\n")?;
            let s = Settings::load(None).expect("loads");
            assert_eq!(s.server.listen.port(), 9000);

            jail.set_env("CAREBELL__SERVER__LISTEN", "127.0.0.1:9001");
            let s = Settings::load(None).expect("loads");
            assert_eq!(s.server.listen.port(), 9001);

            jail.set_env("CAREBELL__LIFECYCLE__PATIENT_CANCEL_CUTOFF", "soon");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("lifecycle.patient_cancel_cutoff"), "{err}");

            jail.set_env("CAREBELL__LIFECYCLE__PATIENT_CANCEL_CUTOFF", "3h");
            jail.set_env("CAREBELL__DATABASE__URL", "mysql://x");
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("database.url"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn unknown_options_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("carebell.toml", "[server]\nlisen = \"127.0.0.1:9000\"\n")?;
            let err = Settings::load(None).unwrap_err().to_string();
            assert!(err.contains("lisen"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn branding_values_are_checked() {
        let with = |f: &dyn Fn(&mut ClinicSettings)| {
            let mut s = Settings::default();
            f(&mut s.clinic);
            s.validate().map_err(|e| e.to_string())
        };
        assert!(with(&|c| c.accent_colour = "#12ab3F".into()).is_ok());
        for bad in ["red", "#12ab3", "#12ab3g", "12ab3f"] {
            let err = with(&|c| c.accent_colour = bad.into()).unwrap_err();
            assert!(err.contains("clinic.accent_colour"), "{bad}: {err}");
        }
        assert!(with(&|c| c.logo_url = Some("https://cdn.example/logo.png".into())).is_ok());
        for bad in [
            "http://cdn.example/logo.png",
            "https:///x",
            "https://a b/",
            "javascript:alert(1)",
            "https://x/\"<",
        ] {
            let err = with(&|c| c.logo_url = Some(bad.into())).unwrap_err();
            assert!(err.contains("clinic.logo_url"), "{bad}: {err}");
        }
        let err = with(&|c| c.address = Some("1 Main St\r\nBcc: x".into())).unwrap_err();
        assert!(err.contains("clinic.address"), "{err}");
        assert_eq!(
            logo_origin("https://cdn.example:8443/a/logo.png?v=2").as_deref(),
            Some("https://cdn.example:8443")
        );
    }
}

/// `docs/CONFIGURATION.md` against the code: every option has a row, every row an
/// option, with the right environment variable and the default the code has.
mod reference_table {
    use crate::config::Settings;
    use std::collections::BTreeMap;

    /// Defaults the table describes in words rather than as a value.
    const DESCRIBED: &[(&str, &str)] = &[
        ("auth.max_concurrent_hashes", "number of cores"),
        ("database.url", "`sqlite://var/carebell.db`"),
        ("email.smtp.port", "465 / 587 / 25"),
    ];

    fn leaves(prefix: &str, v: &serde_json::Value, out: &mut BTreeMap<String, serde_json::Value>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(&key, v, out);
                }
            }
            other => {
                out.insert(prefix.to_owned(), other.clone());
            }
        }
    }

    /// (environment variable, default) of each row, by option.
    fn rows() -> BTreeMap<String, (String, String)> {
        let doc = include_str!("../../docs/CONFIGURATION.md");
        doc.lines()
            // Rows of the options table (its keys are dotted; the table of other
            // environment variables below it has none).
            .filter(|l| {
                l.starts_with("| `") && l.split(" | ").next().is_some_and(|k| k.contains('.'))
            })
            .map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                let key = cells[0]
                    .trim_start_matches("| ")
                    .trim_matches('`')
                    .to_owned();
                (
                    key,
                    (cells[1].trim_matches('`').to_owned(), cells[2].to_owned()),
                )
            })
            .collect()
    }

    fn same_default(code: &serde_json::Value, doc: &str) -> bool {
        if doc == "unset" {
            return code.is_null();
        }
        let Some(doc) = doc.strip_prefix('`').and_then(|d| d.strip_suffix('`')) else {
            return false;
        };
        match code {
            serde_json::Value::String(s) => {
                s == doc
                    || matches!(
                        (humantime::parse_duration(s), humantime::parse_duration(doc)),
                        (Ok(a), Ok(b)) if a == b
                    )
            }
            serde_json::Value::Array(items) => {
                let as_durations = |v: &[serde_json::Value]| {
                    v.iter()
                        .map(|i| humantime::parse_duration(i.as_str()?).ok())
                        .collect::<Option<Vec<_>>>()
                };
                let doc_items: Option<Vec<serde_json::Value>> = serde_json::from_str(doc).ok();
                match doc_items {
                    Some(d) => {
                        d == *items
                            || (as_durations(&d).is_some()
                                && as_durations(&d) == as_durations(items))
                    }
                    None => false,
                }
            }
            other => serde_json::from_str::<serde_json::Value>(doc).ok().as_ref() == Some(other),
        }
    }

    #[test]
    fn every_option_is_documented_with_its_default_and_nothing_else_is() {
        let mut code = BTreeMap::new();
        leaves(
            "",
            &serde_json::to_value(Settings::default()).unwrap(),
            &mut code,
        );
        let docs = rows();
        let mut problems = Vec::new();
        for (key, value) in &code {
            let Some((env, default)) = docs.get(key) else {
                problems.push(format!("{key} (default {value}) has no row"));
                continue;
            };
            let expected_env = format!("CAREBELL__{}", key.replace('.', "__").to_uppercase());
            if env != &expected_env && env != "(in the file)" {
                problems.push(format!(
                    "{key}: environment variable {env}, expected {expected_env}"
                ));
            }
            let described = DESCRIBED.iter().find(|(k, _)| k == key);
            let ok = match described {
                Some((_, words)) => default == words,
                None => same_default(value, default),
            };
            if !ok {
                problems.push(format!("{key}: the table says {default}, the code {value}"));
            }
        }
        for key in docs.keys() {
            if !code.contains_key(key) {
                problems.push(format!("{key} is in the table but not an option"));
            }
        }
        assert!(
            problems.is_empty(),
            "docs/CONFIGURATION.md:\n{}",
            problems.join("\n")
        );
    }
}
