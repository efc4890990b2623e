//! Text messages through a provider: Twilio's REST API (or a compatible one), a generic
//! JSON webhook, or files in an outbox folder when none is configured.

use super::policy::Failure;
use super::read_secret;
use crate::config::{SmsProviderKind, SmsSettings};
use anyhow::Context;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::path::PathBuf;

/// The configured provider.
pub enum SmsGateway {
    Outbox(PathBuf),
    Twilio {
        http: reqwest::Client,
        base_url: String,
        account_sid: String,
        auth_token: SecretString,
        from: String,
        /// Where Twilio posts the message's delivery receipts (`StatusCallback`).
        status_callback: String,
    },
    Webhook {
        http: reqwest::Client,
        url: String,
        token: Option<SecretString>,
        from: Option<String>,
    },
}

/// The provider's receipt.
pub struct SmsAccepted {
    pub code: String,
    pub reply: String,
    /// What the provider calls the message (Twilio's `sid`; the webhook provider's `id`,
    /// or ours): its delivery receipts name it.
    pub message_id: Option<String>,
}

impl SmsGateway {
    /// The provider of the settings; `public_url` is where its receipts come back.
    pub fn from_settings(s: &SmsSettings, public_url: &str) -> anyhow::Result<Self> {
        let http = || {
            reqwest::Client::builder()
                .timeout(s.timeout)
                .build()
                .context("building the SMS HTTP client")
        };
        Ok(match s.provider {
            SmsProviderKind::Outbox => {
                std::fs::create_dir_all(&s.outbox_dir).with_context(|| {
                    format!("creating sms.outbox_dir {}", s.outbox_dir.display())
                })?;
                Self::Outbox(s.outbox_dir.clone())
            }
            SmsProviderKind::Twilio => Self::Twilio {
                http: http()?,
                base_url: s.twilio_base_url.trim_end_matches('/').to_owned(),
                account_sid: s
                    .twilio_account_sid
                    .clone()
                    .context("sms.twilio_account_sid")?,
                auth_token: read_secret(
                    s.twilio_auth_token.as_ref(),
                    s.auth_token_file.as_deref(),
                    "sms.twilio_auth_token",
                )?
                .map(SecretString::from)
                .context("sms.twilio_auth_token (or sms.auth_token_file) is required for twilio")?,
                from: s.from.clone().context("sms.from")?,
                status_callback: format!(
                    "{}/webhooks/sms/twilio/status",
                    public_url.trim_end_matches('/')
                ),
            },
            SmsProviderKind::Webhook => Self::Webhook {
                http: http()?,
                url: s.webhook_url.clone().context("sms.webhook_url")?,
                token: read_secret(
                    s.webhook_token.as_ref(),
                    s.auth_token_file.as_deref(),
                    "sms.webhook_token",
                )?
                .map(SecretString::from),
                from: s.from.clone(),
            },
        })
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Outbox(_) => "SMS outbox folder",
            Self::Twilio { .. } => "Twilio-compatible REST API",
            Self::Webhook { .. } => "JSON webhook",
        }
    }

    /// Sends `body` to `to` (E.164). `id` identifies the message for the provider and
    /// names the outbox file; `idempotency_key` goes with the request (`Idempotency-Key`
    /// header, and in the webhook's JSON) so that a provider can recognise a request
    /// repeated because its answer was lost.
    pub async fn send(
        &self,
        id: &str,
        idempotency_key: &str,
        to: &str,
        body: &str,
    ) -> Result<SmsAccepted, Failure> {
        match self {
            Self::Outbox(dir) => {
                let path = dir.join(format!("{id}.txt"));
                tokio::fs::write(&path, format!("To: {to}\n\n{body}\n"))
                    .await
                    .map(|()| SmsAccepted {
                        code: "file".into(),
                        reply: format!("written to {}", path.display()),
                        message_id: Some(id.to_owned()),
                    })
                    .map_err(|e| {
                        Failure::transient(None, format!("writing {}: {e}", path.display()))
                    })
            }
            Self::Twilio {
                http,
                base_url,
                account_sid,
                auth_token,
                from,
                status_callback,
            } => {
                let url = format!("{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json");
                let request = http
                    .post(url)
                    .basic_auth(account_sid, Some(auth_token.expose_secret()))
                    .header("Idempotency-Key", idempotency_key)
                    .form(&[
                        ("To", to),
                        ("From", from.as_str()),
                        ("Body", body),
                        ("StatusCallback", status_callback.as_str()),
                    ]);
                answer(request.send().await, "sid", id).await
            }
            Self::Webhook {
                http,
                url,
                token,
                from,
            } => {
                let mut request = http
                    .post(url)
                    .header("Idempotency-Key", idempotency_key)
                    .json(&json!({
                        "id": id,
                        "idempotency_key": idempotency_key,
                        "to": to,
                        "from": from,
                        "body": body,
                    }));
                if let Some(token) = token {
                    request = request.bearer_auth(token.expose_secret());
                }
                answer(request.send().await, "id", id).await
            }
        }
    }
}

/// 2xx is accepted; 429 and 5xx are transient; other 4xx permanent; no answer transient.
/// The message's id is the answer's JSON field `id_field`, else `ours`.
async fn answer(
    result: Result<reqwest::Response, reqwest::Error>,
    id_field: &str,
    ours: &str,
) -> Result<SmsAccepted, Failure> {
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            return Err(Failure::transient(
                None,
                format!("no answer from the SMS provider: {e}"),
            ))
        }
    };
    let status = response.status();
    let full = response.text().await.unwrap_or_default();
    let text: String = full.chars().take(300).collect();
    let code = Some(status.as_u16().to_string());
    if status.is_success() {
        let message_id = serde_json::from_str::<serde_json::Value>(&full)
            .ok()
            .and_then(|v| v[id_field].as_str().map(str::to_owned))
            .unwrap_or_else(|| ours.to_owned());
        Ok(SmsAccepted {
            code: status.as_u16().to_string(),
            reply: text,
            message_id: Some(message_id),
        })
    } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Err(Failure::transient(code, text))
    } else {
        Err(Failure::permanent(code, text))
    }
}
