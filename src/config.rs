//! Layered configuration: built-in defaults < `carebell.toml` < `CAREBELL__*` environment
//! variables (`CAREBELL__SERVER__LISTEN=0.0.0.0:8080`) < command-line flags.
//! Every field is documented in `docs/CONFIGURATION.md`; a bad value stops start-up with
//! a message that names the option.

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// All of carebell's settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub server: ServerSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub lifecycle: LifecycleSettings,
    #[serde(default)]
    pub auth: AuthSettings,
    #[serde(default)]
    pub log: LogSettings,
}

/// The HTTP listener.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address and port to listen on. Default `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// The address users reach carebell at, used for links in messages.
    /// Default `http://127.0.0.1:8080`.
    pub public_url: String,
}

/// Storage.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path/file.db` (default `sqlite://var/carebell.db`, created if missing) or
    /// `postgres://user@host:port/db`. Secret: it may hold a password, so it is never logged.
    #[serde(serialize_with = "serialize_redacted")]
    pub url: SecretString,
    /// Most connections in the pool. Default 8.
    pub max_connections: u32,
    /// Apply pending migrations at start. Default true.
    pub migrate_on_start: bool,
}

/// Rules of the appointment lifecycle.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSettings {
    /// How long before the start a patient may still cancel or move an appointment.
    /// Default `2h`.
    #[serde(with = "humantime_serde")]
    pub patient_cancel_cutoff: Duration,
}

/// Sign-in sessions.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// How long a browser session lasts. Default `12h`.
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// How long an API token lasts. Default `90days`.
    #[serde(with = "humantime_serde")]
    pub api_token_ttl: Duration,
    /// Mark the session cookie `Secure`. Default: true when `server.public_url` is https.
    pub cookie_secure: Option<bool>,
}

/// Logging.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` (default) or `json`.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `carebell=debug,info`. Default `info`.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

fn serialize_redacted<S: serde::Serializer>(_: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("[redacted]")
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://var/carebell.db"),
            max_connections: 8,
            migrate_on_start: true,
        }
    }
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            patient_cancel_cutoff: Duration::from_secs(2 * 3600),
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            api_token_ttl: Duration::from_secs(90 * 86_400),
            cookie_secure: None,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info".into(),
        }
    }
}

impl Settings {
    /// Loads the layers. `file` is an explicit config file (it must exist); without one,
    /// `./carebell.toml` is read when present.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        // The redacted default must not be read back as the URL.
        figment = figment.merge(Serialized::default(
            "database.url",
            "sqlite://var/carebell.db",
        ));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("config file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("carebell.toml")),
        }
        figment = figment.merge(Env::prefixed("CAREBELL__").split("__"));
        let settings: Settings = figment.extract().map_err(describe_figment_error)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            bail!("invalid value for database.url: expected sqlite://… or postgres://…");
        }
        if self.database.max_connections == 0 {
            bail!("invalid value for database.max_connections: must be at least 1");
        }
        if !(self.server.public_url.starts_with("http://")
            || self.server.public_url.starts_with("https://"))
        {
            bail!("invalid value for server.public_url: must start with http:// or https://");
        }
        if self.lifecycle.patient_cancel_cutoff > Duration::from_secs(30 * 86_400) {
            bail!("invalid value for lifecycle.patient_cancel_cutoff: at most 30 days");
        }
        if self.auth.session_ttl < Duration::from_secs(60) {
            bail!("invalid value for auth.session_ttl: at least 1 minute");
        }
        if self.auth.api_token_ttl < Duration::from_secs(60) {
            bail!("invalid value for auth.api_token_ttl: at least 1 minute");
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.filter)
            .with_context(|| format!("invalid value for log.filter: {:?}", self.log.filter))?;
        Ok(())
    }

    /// Whether the session cookie carries `Secure`.
    pub fn cookie_secure(&self) -> bool {
        self.auth
            .cookie_secure
            .unwrap_or_else(|| self.server.public_url.starts_with("https://"))
    }

    /// For a SQLite URL, the folder its file lives in (created at start).
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        let url = self.database.url.expose_secret();
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Path::new(path).parent().map(Path::to_path_buf)
    }
}

/// figment names the key in its message; keep that and say where values come from.
fn describe_figment_error(err: figment::Error) -> anyhow::Error {
    let mut lines = Vec::new();
    for e in err {
        let key = if e.path.is_empty() {
            String::new()
        } else {
            format!(" for option {}", e.path.join("."))
        };
        lines.push(format!("invalid configuration{key}: {}", e.kind));
    }
    anyhow::anyhow!(lines.join("\n"))
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature
mod tests {
    use super::*;

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
}
