//! WhatsApp through the WhatsApp Business Cloud API (or a compatible endpoint): template
//! messages with their parameters, as the API requires outside a conversation the person
//! started. The answer's message id (`wamid…`) is kept for its status webhooks.

use super::policy::Failure;
use super::read_secret;
use crate::config::WhatsAppSettings;
use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

pub enum WhatsApp {
    /// Not set up: nobody is offered WhatsApp; a job that still comes fails for good.
    Off,
    Cloud {
        http: reqwest::Client,
        url: String,
        token: SecretString,
        prefix: String,
    },
}

/// What the API said when it took the message.
pub struct Sent {
    pub code: String,
    pub reply: String,
    /// Its message id, which the status webhooks name.
    pub message_id: Option<String>,
}

impl WhatsApp {
    pub fn from_settings(s: &WhatsAppSettings) -> anyhow::Result<Self> {
        let Some(number) = &s.phone_number_id else {
            return Ok(Self::Off);
        };
        let token = read_secret(
            s.access_token.as_ref(),
            s.access_token_file.as_deref(),
            "whatsapp.access_token",
        )?
        .context("whatsapp.access_token (or whatsapp.access_token_file) is required with whatsapp.phone_number_id")?;
        Ok(Self::Cloud {
            http: reqwest::Client::builder()
                .timeout(s.timeout)
                .build()
                .context("building the WhatsApp HTTP client")?,
            url: format!(
                "{}/{}/{number}/messages",
                s.base_url.trim_end_matches('/'),
                s.api_version
            ),
            token: SecretString::from(token),
            prefix: s.template_prefix.clone(),
        })
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Cloud { .. } => "WhatsApp Business Cloud API",
        }
    }

    /// Sends the template of `kind` in `language` to `to` (E.164) with `parameters` in the
    /// order its body names them. 2xx is accepted; 429 and 5xx transient; other 4xx
    /// permanent (an unknown template, a number not on WhatsApp).
    pub async fn send(
        &self,
        to: &str,
        kind: &str,
        language: &str,
        parameters: &[String],
    ) -> Result<Sent, Failure> {
        let Self::Cloud {
            http,
            url,
            token,
            prefix,
        } = self
        else {
            return Err(Failure::permanent(
                None,
                "WhatsApp is not set up (whatsapp.phone_number_id)",
            ));
        };
        let body = json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to.trim_start_matches('+'),
            "type": "template",
            "template": {
                "name": format!("{prefix}{kind}"),
                "language": {"code": language},
                "components": [{
                    "type": "body",
                    "parameters": parameters.iter().map(|p| json!({"type": "text", "text": p})).collect::<Vec<_>>(),
                }],
            },
        });
        let response = http
            .post(url)
            .bearer_auth(token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|e| Failure::transient(None, format!("no answer from WhatsApp: {e}")))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let code = Some(status.as_u16().to_string());
        let reply: String = text.chars().take(300).collect();
        if status.is_success() {
            let message_id = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["messages"][0]["id"].as_str().map(str::to_owned));
            Ok(Sent {
                code: status.as_u16().to_string(),
                reply,
                message_id,
            })
        } else if status.as_u16() == 429 || status.is_server_error() {
            Err(Failure::transient(code, reply))
        } else {
            Err(Failure::permanent(code, reply))
        }
    }
}
