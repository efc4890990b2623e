//! Settings of the channels that reach people and systems beyond email and SMS:
//! outgoing webhooks, web push and WhatsApp.

use super::sections::serialize_redacted_opt;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// Outgoing webhooks to integrators (Standard Webhooks).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// How long one request to an endpoint may take before it counts as a transient
    /// failure. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// An endpoint whose every delivery has failed this long is turned off, and the admins
    /// are told. Default `5days`.
    #[serde(with = "humantime_serde")]
    pub disable_after: Duration,
    /// How long a rotated secret keeps signing beside the new one. Default `24h`.
    #[serde(with = "humantime_serde")]
    pub secret_overlap: Duration,
    /// Accept `http://` endpoints (otherwise `https://` only). Default false.
    pub allow_http: bool,
    /// Requests to endpoints in flight at most. Default 8.
    pub max_in_flight: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            disable_after: Duration::from_secs(5 * 86_400),
            secret_overlap: Duration::from_secs(86_400),
            allow_http: false,
            max_in_flight: 8,
        }
    }
}

/// Web push (RFC 8030, 8291, 8292) to the browsers where people turned notifications on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// How push services can reach the clinic (the VAPID `sub` claim): a `mailto:` or
    /// `https:` address. Default unset: `mailto:` the sender of `email.from`.
    pub contact: Option<String>,
    /// How long one request to a push service may take. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Requests to push services in flight at most. Default 8.
    pub max_in_flight: u32,
    /// Accept subscriptions whose endpoint is `http://` (browsers' push services are
    /// all `https://`; for tests). Default false.
    pub allow_http: bool,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            contact: None,
            timeout: Duration::from_secs(10),
            max_in_flight: 8,
            allow_http: false,
        }
    }
}

/// WhatsApp through the WhatsApp Business Cloud API (or one compatible with it).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppSettings {
    /// The API's address. Default `https://graph.facebook.com`.
    pub base_url: String,
    /// The API version in its paths. Default `v21.0`.
    pub api_version: String,
    /// The business phone number's id; unset: WhatsApp is off (nobody is offered it).
    pub phone_number_id: Option<String>,
    /// The access token; `CAREBELL__WHATSAPP__ACCESS_TOKEN`.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub access_token: Option<SecretString>,
    /// A file holding the access token (first line), instead of `whatsapp.access_token`.
    pub access_token_file: Option<PathBuf>,
    /// The app secret that signs the status webhooks (`X-Hub-Signature-256`);
    /// `CAREBELL__WHATSAPP__APP_SECRET`. Unset: `/webhooks/whatsapp` refuses everything.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub app_secret: Option<SecretString>,
    /// The token the webhook subscription handshake (`hub.verify_token`) must carry;
    /// `CAREBELL__WHATSAPP__VERIFY_TOKEN`.
    #[serde(serialize_with = "serialize_redacted_opt", default)]
    pub verify_token: Option<SecretString>,
    /// Messages are templates named this prefix and the kind (`carebell_appointment_reminder`),
    /// as WhatsApp requires outside a conversation. Default `carebell_`.
    pub template_prefix: String,
    /// How long one request may take. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Requests in flight at most. Default 8.
    pub max_in_flight: u32,
}

impl Default for WhatsAppSettings {
    fn default() -> Self {
        Self {
            base_url: "https://graph.facebook.com".into(),
            api_version: "v21.0".into(),
            phone_number_id: None,
            access_token: None,
            access_token_file: None,
            app_secret: None,
            verify_token: None,
            template_prefix: "carebell_".into(),
            timeout: Duration::from_secs(10),
            max_in_flight: 8,
        }
    }
}

impl WhatsAppSettings {
    /// Whether the clinic set WhatsApp up (people are offered it only then).
    pub fn configured(&self) -> bool {
        self.phone_number_id.is_some()
    }
}
