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
}

impl SmsGateway {
    pub fn from_settings(s: &SmsSettings) -> anyhow::Result<Self> {
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
            } => {
                let url = format!("{base_url}/2010-04-01/Accounts/{account_sid}/Messages.json");
                let request = http
                    .post(url)
                    .basic_auth(account_sid, Some(auth_token.expose_secret()))
                    .header("Idempotency-Key", idempotency_key)
                    .form(&[("To", to), ("From", from.as_str()), ("Body", body)]);
                answer(request.send().await).await
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
                answer(request.send().await).await
            }
        }
    }
}

/// 2xx is accepted; 429 and 5xx are transient; other 4xx permanent; no answer transient.
async fn answer(result: Result<reqwest::Response, reqwest::Error>) -> Result<SmsAccepted, Failure> {
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
    let text: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    let code = Some(status.as_u16().to_string());
    if status.is_success() {
        Ok(SmsAccepted {
            code: status.as_u16().to_string(),
            reply: text,
        })
    } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Err(Failure::transient(code, text))
    } else {
        Err(Failure::permanent(code, text))
    }
}
