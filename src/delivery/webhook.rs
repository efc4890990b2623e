//! Webhooks to integrators, signed per the Standard Webhooks specification: `webhook-id`
//! (the message's id, the same on every retry, for de-duplication), `webhook-timestamp`
//! (Unix seconds of the attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` over
//! `id.timestamp.body`, once per secret while a rotated one overlaps).

use super::policy::Failure;
use crate::auth::signed::{webhook_secret_bytes, webhook_signature};
use anyhow::Context;
use reqwest::StatusCode;
use std::time::Duration;

pub struct WebhookSender {
    http: reqwest::Client,
}

/// What the endpoint answered when it took the message.
pub struct Delivered {
    pub code: String,
    pub reply: String,
}

/// The `webhook-id` of a message: stable for the message, whatever the attempt.
pub fn message_id(id: i64) -> String {
    format!("msg_{id}")
}

impl WebhookSender {
    pub fn new(timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(timeout)
                // An endpoint's redirect is not followed: the signature is for that URL.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("carebell/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("building the webhook HTTP client")?,
        })
    }

    /// Posts one message. 2xx is delivered; 408, 429, 5xx, a redirect and no answer are
    /// transient; other 4xx are permanent.
    pub async fn send(
        &self,
        url: &str,
        secrets: &[String],
        message: i64,
        timestamp: i64,
        body: &str,
    ) -> Result<Delivered, Failure> {
        let keys: Vec<Vec<u8>> = secrets
            .iter()
            .filter_map(|s| webhook_secret_bytes(s))
            .collect();
        if keys.is_empty() {
            return Err(Failure::permanent(
                None,
                "the endpoint has no usable secret",
            ));
        }
        let id = message_id(message);
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                webhook_signature(&keys, &id, timestamp, body),
            )
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| Failure::transient(None, format!("no answer from the endpoint: {e}")))?;
        let status = response.status();
        let reply: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        let code = Some(status.as_u16().to_string());
        if status.is_success() {
            Ok(Delivered {
                code: status.as_u16().to_string(),
                reply,
            })
        } else if status == StatusCode::REQUEST_TIMEOUT
            || status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
            || status.is_redirection()
        {
            Err(Failure::transient(code, reply))
        } else {
            Err(Failure::permanent(code, reply))
        }
    }
}
