//! The settings' sections, each with its defaults (the reference table in
//! `docs/CONFIGURATION.md` is checked against them).

use crate::domain::{Category, LocalTime};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Reminders before each confirmed appointment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    /// How long before the start each reminder goes out, as real elapsed time (24 h
    /// before is 24 h before, also across a daylight-saving change). Default `["24h", "2h"]`.
    #[serde(with = "humantime_list")]
    pub offsets: Vec<Duration>,
    /// `always` (default): a reminder goes by email and SMS alike. `fallback`: by SMS to
    /// those with a number, and by email only when the SMS cannot be sent or its receipt
    /// says it did not reach the phone (and to those without SMS).
    pub email: ReminderEmail,
    /// When set, a patient who has not confirmed they are coming (a reply `C`, or the
    /// appointment page) this long before a confirmed visit gets one more reminder, by
    /// email (and push or WhatsApp where they have them), not by SMS; confirming first
    /// drops it. Default unset (off).
    #[serde(default, with = "humantime_serde")]
    pub confirmation_followup: Option<Duration>,
}

/// When a reminder goes by email.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ReminderEmail {
    #[default]
    Always,
    Fallback,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            offsets: vec![
                Duration::from_secs(24 * 3600),
                Duration::from_secs(2 * 3600),
            ],
            email: ReminderEmail::Always,
            confirmation_followup: None,
        }
    }
}

/// Who the messages come from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicSettings {
    /// The clinic's name, shown in messages. Default `carebell clinic`.
    pub name: String,
    /// Folder of template files that override the built-in ones (same names). Default unset.
    pub templates_dir: Option<PathBuf>,
    /// The clinic's phone number, given in messages when a patient can no longer cancel
    /// online, in calendar invites and in the email footer. Default unset ("call the
    /// clinic").
    pub phone: Option<String>,
    /// The clinic's postal address: the calendar invite's LOCATION, the email footer and
    /// the pages. Default unset.
    pub address: Option<String>,
    /// An https address of the clinic's logo, shown at the top of emails and pages (the
    /// pages' Content-Security-Policy then allows images from its origin). Default unset.
    pub logo_url: Option<String>,
    /// The accent colour of emails and pages, `#rrggbb`. Default `#0b7a75`.
    pub accent_colour: String,
}

/// The dispatcher that sends delivery jobs.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// Run the dispatcher inside `carebell serve`. Set false to run it as a separate
    /// `carebell worker` process. Default true.
    pub enabled: bool,
    /// Jobs claimed at once. Default 64.
    pub batch_size: u32,
    /// How long a claimed job is held before another worker may take it over. Default `2m`.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// How long an idle dispatcher sleeps before looking again. Default `500ms`.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Delay before each retry of a transient failure; once used up the job is dead.
    /// Default `1m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 8h` (about a day, as SMTP servers do).
    #[serde(with = "humantime_list")]
    pub retry_schedule: Vec<Duration>,
    /// Random spread applied to each retry delay, as a fraction (0.2 = ±20%). Default 0.2.
    pub retry_jitter: f64,
}

/// Email.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// Sender, `Name <address>`. Default `carebell <no-reply@carebell.localhost>`.
    pub from: String,
    /// Where mail goes when no SMTP host is set: one `.eml` file per message.
    /// Default `var/mail`.
    pub outbox_dir: PathBuf,
    /// Practitioners get the calendar invite too: an email with the `.ics` whenever a
    /// confirmed appointment of theirs is confirmed, moved or cancelled. Default true.
    pub invite_practitioners: bool,
    /// An address that takes unsubscribe requests by mail: when set, emails that carry
    /// one-click unsubscribe also list `mailto:` it (subject: the link's token). Default
    /// unset (the https link only).
    pub unsubscribe_mailto: Option<String>,
    /// Key of the HMAC-SHA256 signature (`X-Carebell-Signature: sha256=<hex>`) that the
    /// mail system puts on the bounces (RFC 3464 delivery-status notifications) it forwards
    /// to `/webhooks/email/bounce`; `CAREBELL__EMAIL__INBOUND_SECRET`. Unset: that path
    /// refuses everything.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub inbound_secret: Option<SecretString>,
    #[serde(default)]
    pub smtp: SmtpSettings,
}

/// An SMTP relay. Unset `host` means mail is written to `email.outbox_dir`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Relay host name. Default unset.
    pub host: Option<String>,
    /// Port. Default: 465 for `tls`, 587 for `starttls`, 25 for `none`.
    pub port: Option<u16>,
    /// `starttls` (default), `tls` (implicit TLS) or `none` (plain text; for a relay on
    /// the same host only). Certificates are always verified.
    pub security: SmtpSecurity,
    /// User name, if the relay wants one.
    pub username: Option<String>,
    /// Password; set it with `CAREBELL__EMAIL__SMTP__PASSWORD` or `password_file`.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub password: Option<SecretString>,
    /// File holding the password (first line), e.g. a mounted secret.
    pub password_file: Option<PathBuf>,
    /// Connections to the relay at most, each reused for one message after another; also
    /// the number of emails being sent at once. Default 8.
    pub pool_size: u32,
    /// Give up on one SMTP exchange after this long. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

/// Text messages.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// `outbox` (default: files in `sms.outbox_dir`), `twilio` or `webhook`.
    pub provider: SmsProviderKind,
    /// Sender number or name given to the provider.
    pub from: Option<String>,
    /// Folder for the `outbox` provider. Default `var/sms`.
    pub outbox_dir: PathBuf,
    /// Twilio (or compatible) API base URL. Default `https://api.twilio.com`.
    pub twilio_base_url: String,
    /// Twilio account SID.
    pub twilio_account_sid: Option<String>,
    /// Twilio auth token; `CAREBELL__SMS__TWILIO_AUTH_TOKEN` or `auth_token_file`.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub twilio_auth_token: Option<SecretString>,
    /// File holding the Twilio auth token or the webhook token.
    pub auth_token_file: Option<PathBuf>,
    /// URL the `webhook` provider posts `{"to", "from", "body", "id"}` to.
    pub webhook_url: Option<String>,
    /// Bearer token sent to the webhook; `CAREBELL__SMS__WEBHOOK_TOKEN` or `auth_token_file`.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub webhook_token: Option<SecretString>,
    /// Give up on one request after this long. Default `15s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Requests to the provider in flight at most. Default 8.
    pub max_in_flight: u32,
    /// Key of the HMAC-SHA256 signature (`X-Carebell-Signature: sha256=<hex>`) the
    /// `webhook` provider puts on the messages it forwards to `/webhooks/sms/inbound`;
    /// `CAREBELL__SMS__INBOUND_SECRET`. Unset: that path refuses everything. (Twilio's
    /// inbound messages are checked with the Twilio auth token.)
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub inbound_secret: Option<SecretString>,
}

/// Availability alerts to followers.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilitySettings {
    /// At most one alert per follower and practitioner in this window; later ones are
    /// folded into one digest shown and sent when it ends. `0s` turns it off. Default `6h`.
    #[serde(with = "humantime_serde")]
    pub throttle: Duration,
}

impl Default for AvailabilitySettings {
    fn default() -> Self {
        Self {
            throttle: Duration::from_secs(6 * 3600),
        }
    }
}

/// The waitlist: freed slots offered to waiting patients.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WaitlistSettings {
    /// How long an offered slot is held for the patient it is offered to; nobody else can
    /// book it meanwhile. Default `15m`.
    #[serde(with = "humantime_serde")]
    pub hold: Duration,
    /// A slot starting sooner than this after the hold would end is not offered (it would
    /// come too late to be useful). Default `2h`.
    #[serde(with = "humantime_serde")]
    pub min_notice: Duration,
}

impl Default for WaitlistSettings {
    fn default() -> Self {
        Self {
            hold: Duration::from_secs(15 * 60),
            min_notice: Duration::from_secs(2 * 3600),
        }
    }
}

/// Notices from admins and practitioners.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeSettings {
    /// Notices one person may send within `notices.window`; one more is refused with
    /// `429 rate_limited`. Default 10.
    pub per_sender: u32,
    /// The window `notices.per_sender` counts in. Default `1h`.
    #[serde(with = "humantime_serde")]
    pub window: Duration,
    /// Recipients written per transaction while a notice fans out. Default 500.
    pub batch_size: u32,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            per_sender: 10,
            window: Duration::from_secs(3600),
            batch_size: 500,
        }
    }
}

/// The Prometheus metrics endpoint.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Bearer token that `GET /metrics` on the main listener requires;
    /// `CAREBELL__METRICS__TOKEN`. Default unset: the main listener answers `/metrics`
    /// with 404.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub token: Option<SecretString>,
    /// A separate address serving `GET /metrics` with no token (keep it private). Default
    /// unset.
    pub listen: Option<SocketAddr>,
}

/// What recipients may turn off, and how everyone starts.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PreferenceSettings {
    /// Categories nobody can turn off entirely: at least one of email and SMS stays on
    /// (in-app always does). Default `["appointment_updates"]`.
    pub required: Vec<Category>,
    /// `category.channel` pairs that start off for everyone until they turn them on, e.g.
    /// `["availability.sms"]`. Default `[]`.
    pub off_by_default: Vec<String>,
}

impl Default for PreferenceSettings {
    fn default() -> Self {
        Self {
            required: vec![Category::AppointmentUpdates],
            off_by_default: Vec::new(),
        }
    }
}

/// Hours in which email and SMS wait, on each recipient's own clock.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHourSettings {
    /// When quiet hours begin. Default `21:00`.
    pub start: LocalTime,
    /// When they end. Default `08:00`.
    pub end: LocalTime,
    /// The earliest and latest start a user may choose. Default `["19:00", "23:00"]`.
    pub start_between: [LocalTime; 2],
    /// The earliest and latest end a user may choose. Default `["06:00", "10:00"]`.
    pub end_between: [LocalTime; 2],
    /// A reminder that quiet hours would hold until less than this before the visit goes
    /// out just before they begin instead. Default `1h`.
    #[serde(with = "humantime_serde")]
    pub reminder_lead: Duration,
}

impl Default for QuietHourSettings {
    fn default() -> Self {
        let t = LocalTime::at;
        Self {
            start: t(21, 0),
            end: t(8, 0),
            start_between: [t(19, 0), t(23, 0)],
            end_between: [t(6, 0), t(10, 0)],
            reminder_lead: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmsProviderKind {
    Outbox,
    Twilio,
    Webhook,
}

pub(super) fn serialize_redacted_opt<S: serde::Serializer>(
    v: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

/// A list of humantime durations (`["1m", "5m"]`).
mod humantime_list {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(v: &[Duration], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|d| humantime::format_duration(*d).to_string()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
        let raw = Vec::<String>::deserialize(d)?;
        raw.iter()
            .map(|r| humantime::parse_duration(r).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// The origin (`https://host[:port]`) of a logo address, if it is a plain https URL.
pub fn logo_origin(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    (!host.is_empty()
        && host.chars().all(plain)
        && !url
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>')))
    .then(|| format!("https://{host}"))
}

impl Default for ClinicSettings {
    fn default() -> Self {
        Self {
            name: "carebell clinic".into(),
            templates_dir: None,
            phone: None,
            address: None,
            logo_url: None,
            accent_colour: "#0b7a75".into(),
        }
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(n * 60);
        Self {
            enabled: true,
            batch_size: 64,
            lease: m(2),
            poll_interval: Duration::from_millis(500),
            retry_schedule: vec![
                m(1),
                m(5),
                m(15),
                m(30),
                m(60),
                m(120),
                m(240),
                m(480),
                m(480),
            ],
            retry_jitter: 0.2,
        }
    }
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            from: "carebell <no-reply@carebell.localhost>".into(),
            outbox_dir: PathBuf::from("var/mail"),
            invite_practitioners: true,
            unsubscribe_mailto: None,
            inbound_secret: None,
            smtp: SmtpSettings::default(),
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: None,
            security: SmtpSecurity::Starttls,
            username: None,
            password: None,
            password_file: None,
            pool_size: 8,
            timeout: Duration::from_secs(30),
        }
    }
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            provider: SmsProviderKind::Outbox,
            from: None,
            outbox_dir: PathBuf::from("var/sms"),
            twilio_base_url: "https://api.twilio.com".into(),
            twilio_account_sid: None,
            twilio_auth_token: None,
            auth_token_file: None,
            webhook_url: None,
            webhook_token: None,
            timeout: Duration::from_secs(15),
            max_in_flight: 8,
            inbound_secret: None,
        }
    }
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
    /// Reverse proxies whose `X-Forwarded-For` is believed, as addresses or networks
    /// (`["10.0.0.0/8", "127.0.0.1"]`). The client's address is the right-most one in that
    /// header that is not a trusted proxy. Default none: the peer's address is the client's.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Live streams one user may have open at once (per instance); opening one more closes
    /// the oldest. Default 20.
    pub max_streams_per_user: u32,
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
    /// PostgreSQL only: a session left idle inside a transaction this long is ended by the
    /// server, releasing its locks (a last line of defence). Default `30s`.
    #[serde(with = "humantime_serde")]
    pub idle_in_transaction_timeout: Duration,
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
    /// Password checks (Argon2id, about 19 MiB each) running at once at most. Default: the
    /// number of CPU cores.
    pub max_concurrent_hashes: Option<u32>,
    /// How long a sign-in waits for a free password check before it is answered `503` with
    /// `Retry-After`. Default `2s`.
    #[serde(with = "humantime_serde")]
    pub hash_queue_wait: Duration,
    /// Failed sign-ins per account (from browsers it has not seen succeed), and per known
    /// browser, within `auth.failure_window`, after which further attempts wait for the
    /// window to pass. Default 5.
    pub max_failures: u32,
    /// Failed sign-ins from one client address, over all accounts, within
    /// `auth.failure_window`. Default 20.
    pub max_failures_per_address: u32,
    /// The window failures are counted in. Default `15m`.
    #[serde(with = "humantime_serde")]
    pub failure_window: Duration,
    /// Requests per minute one client address may make to the sign-in and token endpoints,
    /// whatever their outcome (in memory, per instance). Default 30.
    pub requests_per_minute_per_address: u32,
    /// How long a password reset link works (once). Default `30m`.
    #[serde(with = "humantime_serde")]
    pub password_reset_ttl: Duration,
    /// Reset emails asked for one address within `auth.failure_window`; later requests get
    /// the same answer and send nothing. Default 3.
    pub password_resets_per_account: u32,
    /// Password reset requests from one client address within `auth.failure_window`, over
    /// all addresses asked for; then `429`. Default 10.
    pub password_resets_per_address: u32,
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
            trusted_proxies: Vec::new(),
            max_streams_per_user: 20,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("sqlite://var/carebell.db"),
            max_connections: 8,
            migrate_on_start: true,
            idle_in_transaction_timeout: Duration::from_secs(30),
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
            max_concurrent_hashes: None,
            hash_queue_wait: Duration::from_secs(2),
            max_failures: 5,
            max_failures_per_address: 20,
            failure_window: Duration::from_secs(15 * 60),
            requests_per_minute_per_address: 30,
            password_reset_ttl: Duration::from_secs(30 * 60),
            password_resets_per_account: 3,
            password_resets_per_address: 10,
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
