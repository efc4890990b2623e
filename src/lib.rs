//! carebell: the appointment lifecycle of a clinic and every notification it causes,
//! stored first and then delivered. See `README.md` and `docs/`.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod catalogue;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod http;
pub mod inbox;
pub mod integrations;
pub mod lifecycle;
pub mod notices;
pub mod notify;
pub mod operations;
pub mod people;
pub mod preferences;
pub mod realtime;
pub mod receipts;
pub mod recovery;
pub mod replies;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod web;

/// The crate's layers, lowest first: a module may use only modules of lower layers, so
/// the graph has no cycle and nothing points up. `http` (the JSON API) and `web` (the
/// pages) are siblings on one layer: neither may use the other. See
/// `docs/ARCHITECTURE.md`.
#[cfg(test)]
mod layers {
    const LAYERS: &[&[&str]] = &[
        &["domain"],
        &["config"],
        &["clock", "catalogue", "telemetry"],
        &["store"],
        &["auth", "notify"],
        &["lifecycle", "templates", "accounts"],
        &["delivery", "demo"],
        &["realtime"],
        &["app"],
        &[
            "inbox",
            "operations",
            "directory",
            "preferences",
            "people",
            "recovery",
            "notices",
            "integrations",
            "receipts",
        ],
        &["replies"],
        &["http", "web"],
        &["startup"],
    ];

    fn layer(module: &str) -> usize {
        LAYERS
            .iter()
            .position(|l| l.contains(&module))
            .unwrap_or_else(|| panic!("module {module} has no layer in LAYERS"))
    }

    /// The top-level modules a source text names as `crate::<module>`, comments aside.
    fn uses(source: &str) -> std::collections::BTreeSet<String> {
        source
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .flat_map(|l| l.match_indices("crate::").map(move |(at, _)| &l[at + 7..]))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .filter(|m| !m.is_empty())
            .collect()
    }

    fn files(path: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                files(&entry.unwrap().path(), out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.to_owned());
        }
    }

    #[test]
    fn modules_only_use_lower_layers() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut problems = Vec::new();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let module = path.file_stem().unwrap().to_string_lossy().into_owned();
            if module == "lib" || module == "main" {
                continue;
            }
            let mut sources = Vec::new();
            files(&path, &mut sources);
            for file in sources {
                for used in uses(&std::fs::read_to_string(&file).unwrap()) {
                    if used == "{" {
                        problems.push(format!(
                            "{}: write `use crate::module::…` per module, not `use crate::{{…}}`",
                            file.display()
                        ));
                    } else if used != module && layer(&used) >= layer(&module) {
                        problems.push(format!("{} uses crate::{used}", file.display()));
                    }
                }
            }
        }
        assert!(
            problems.is_empty(),
            "upward or sideways uses:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn the_check_sees_a_use_and_skips_comments() {
        let found =
            uses("use crate::web::Pages;\n// see crate::http\nlet x = crate::store::get();");
        assert_eq!(found.into_iter().collect::<Vec<_>>(), ["store", "web"]);
        assert!(layer("web") == layer("http"), "siblings");
    }
}
