//! Layered configuration: built-in defaults < `carebell.toml` < `CAREBELL__*` environment
//! variables (`CAREBELL__SERVER__LISTEN=0.0.0.0:8080`) < command-line flags.
//! Every field is documented in `docs/CONFIGURATION.md`; a bad value stops start-up with
//! a message that names the option.

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::str::FromStr;
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
    #[serde(default)]
    pub reminders: ReminderSettings,
    #[serde(default)]
    pub clinic: ClinicSettings,
    #[serde(default)]
    pub delivery: DeliverySettings,
    #[serde(default)]
    pub email: EmailSettings,
    #[serde(default)]
    pub sms: SmsSettings,
    #[serde(default)]
    pub preferences: PreferenceSettings,
    #[serde(default)]
    pub quiet_hours: QuietHourSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub availability: AvailabilitySettings,
    #[serde(default)]
    pub notices: NoticeSettings,
    #[serde(default)]
    pub waitlist: WaitlistSettings,
    #[serde(default)]
    pub webhooks: WebhookSettings,
    #[serde(default)]
    pub push: PushSettings,
    #[serde(default)]
    pub whatsapp: WhatsAppSettings,
}

mod reach;
mod sections;
pub use reach::*;
pub use sections::*;

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
        let reset = self.auth.password_reset_ttl;
        if reset < Duration::from_secs(60) || reset > Duration::from_secs(86_400) {
            bail!("invalid value for auth.password_reset_ttl: from 1 minute to 24 hours");
        }
        let hold = self.waitlist.hold;
        if hold < Duration::from_secs(60) || hold > Duration::from_secs(86_400) {
            bail!("invalid value for waitlist.hold: from 1 minute to 24 hours");
        }
        if self.waitlist.min_notice > Duration::from_secs(30 * 86_400) {
            bail!("invalid value for waitlist.min_notice: at most 30 days");
        }
        let offsets = &self.reminders.offsets;
        if offsets.len() > 10
            || offsets
                .iter()
                .any(|o| o.as_secs() < 60 || *o > Duration::from_secs(30 * 86_400))
        {
            bail!(
                "invalid value for reminders.offsets: at most 10 offsets, each from 1m to 30days"
            );
        }
        if let Some(f) = self.reminders.confirmation_followup {
            if f.as_secs() < 60 || f > Duration::from_secs(30 * 86_400) || offsets.contains(&f) {
                bail!("invalid value for reminders.confirmation_followup: from 1m to 30days, and not one of reminders.offsets");
            }
        }
        let mut sorted = offsets.clone();
        sorted.sort();
        sorted.dedup();
        if sorted.len() != offsets.len() {
            bail!("invalid value for reminders.offsets: each offset once");
        }
        let d = &self.delivery;
        if d.batch_size == 0 || d.batch_size > 10_000 {
            bail!("invalid value for delivery.batch_size: 1 to 10000");
        }
        if d.lease < Duration::from_secs(1) {
            bail!("invalid value for delivery.lease: at least 1s");
        }
        if !(0.0..=1.0).contains(&d.retry_jitter) {
            bail!("invalid value for delivery.retry_jitter: a fraction from 0 to 1");
        }
        if d.retry_schedule.len() > 50 {
            bail!("invalid value for delivery.retry_schedule: at most 50 retries");
        }
        let n = &self.notices;
        if n.batch_size == 0 || n.batch_size > 10_000 {
            bail!("invalid value for notices.batch_size: 1 to 10000");
        }
        if n.per_sender == 0 {
            bail!("invalid value for notices.per_sender: at least 1");
        }
        let q = &self.quiet_hours;
        for (name, [low, high], value) in [
            ("quiet_hours.start", q.start_between, q.start),
            ("quiet_hours.end", q.end_between, q.end),
        ] {
            if !(low <= value && value <= high) {
                bail!("invalid value for {name}: must lie within its own _between range ({low} to {high})");
            }
        }
        for pair in &self.preferences.off_by_default {
            crate::domain::preference_key(pair).map_err(|e| {
                anyhow::anyhow!("invalid value for preferences.off_by_default: {e}")
            })?;
        }
        let clinic = &self.clinic;
        let hex = clinic.accent_colour.strip_prefix('#').unwrap_or_default();
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            bail!("invalid value for clinic.accent_colour: expected #rrggbb");
        }
        if let Some(logo) = &clinic.logo_url {
            if logo_origin(logo).is_none() {
                bail!("invalid value for clinic.logo_url: expected an https://host/… address");
            }
        }
        for (name, value) in [
            ("clinic.name", Some(&clinic.name)),
            ("clinic.phone", clinic.phone.as_ref()),
            ("clinic.address", clinic.address.as_ref()),
        ] {
            if value.is_some_and(|v| v.chars().any(char::is_control)) {
                bail!("invalid value for {name}: no line breaks or control characters");
            }
        }
        lettre::message::Mailbox::from_str(&self.email.from)
            .map_err(|e| anyhow::anyhow!("invalid value for email.from: {e}"))?;
        if self
            .email
            .smtp
            .host
            .as_deref()
            .is_some_and(|h| h.trim().is_empty())
        {
            bail!("invalid value for email.smtp.host: must not be empty");
        }
        if self.sms.max_in_flight == 0 {
            bail!("invalid value for sms.max_in_flight: at least 1");
        }
        if self.server.max_streams_per_user == 0 {
            bail!("invalid value for server.max_streams_per_user: at least 1");
        }
        let a = &self.auth;
        if a.max_concurrent_hashes == Some(0) {
            bail!("invalid value for auth.max_concurrent_hashes: at least 1");
        }
        if a.max_failures == 0
            || a.max_failures_per_address == 0
            || a.requests_per_minute_per_address == 0
        {
            bail!("invalid value for auth.max_failures, auth.max_failures_per_address or auth.requests_per_minute_per_address: at least 1");
        }
        if a.failure_window < Duration::from_secs(1) {
            bail!("invalid value for auth.failure_window: at least 1s");
        }
        if self.email.smtp.pool_size == 0 {
            bail!("invalid value for email.smtp.pool_size: at least 1");
        }
        match self.sms.provider {
            SmsProviderKind::Twilio
                if self.sms.twilio_account_sid.is_none() || self.sms.from.is_none() =>
            {
                bail!("invalid value for sms.provider: twilio needs sms.twilio_account_sid and sms.from")
            }
            SmsProviderKind::Webhook if self.sms.webhook_url.is_none() => {
                bail!("invalid value for sms.provider: webhook needs sms.webhook_url")
            }
            _ => {}
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
mod tests;
