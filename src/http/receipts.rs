//! What providers post after a message left: delivery receipts (Twilio's status callback,
//! the webhook SMS provider's, WhatsApp's status webhooks) and bounces (RFC 3464
//! delivery-status notifications). Each is refused (403, nothing changed) unless its
//! signature is right.

use super::openapi::Invalid;
use super::webhooks::{refused, signed_with, twilio_form};
use super::{ApiError, ApiResult, AppState};
use crate::domain::Channel;
use crate::receipts::{self, Receipt};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Twilio's status callback (form fields `MessageSid`, `MessageStatus`, `ErrorCode`, …).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TwilioStatus {
    #[schema(rename = "MessageSid")]
    sid: String,
    /// `queued`, `sent`, `delivered`, `undelivered`, `failed`, …
    #[schema(rename = "MessageStatus")]
    status: String,
    #[schema(rename = "ErrorCode")]
    error_code: Option<String>,
}

/// `POST /webhooks/sms/twilio/status`.
#[utoipa::path(
    post,
    path = "/webhooks/sms/twilio/status",
    tag = "webhooks",
    summary = "Delivery receipts of our text messages, from Twilio (StatusCallback)",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature of the public URL and the form")),
    request_body(content = TwilioStatus, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 204, description = "Taken (an unknown message or a status other than delivered, undelivered or failed changes nothing)"),
        (status = 403, description = "Missing or wrong signature (invalid_signature); nothing changed", body = crate::app::error::Problem),
        Invalid
    )
)]
pub async fn twilio_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let params = twilio_form(&state, &headers, &body, "/webhooks/sms/twilio/status")?;
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let sid =
        field("MessageSid").ok_or_else(|| ApiError::unprocessable("MessageSid is missing"))?;
    let receipt = match field("MessageStatus").unwrap_or_default() {
        "delivered" => Some(Receipt::Delivered),
        "undelivered" | "failed" => Some(Receipt::Undelivered),
        _ => None,
    };
    if let Some(r) = receipt {
        receipts::apply(&state, Channel::Sms, sid, r, field("ErrorCode")).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook SMS provider's receipt.
#[derive(Deserialize, ToSchema)]
pub struct ProviderStatus {
    /// The message's id: the provider's (`id` in its answer to our request) or ours.
    id: String,
    /// `delivered`, `undelivered` or `failed` (others change nothing).
    status: String,
    /// The provider's reason, when not delivered.
    code: Option<String>,
}

/// `POST /webhooks/sms/status`.
#[utoipa::path(
    post,
    path = "/webhooks/sms/status",
    tag = "webhooks",
    summary = "Delivery receipts of our text messages, from the webhook provider",
    params(("X-Carebell-Signature" = String, Header, description = "sha256=<hex of HMAC-SHA256(sms.inbound_secret, body)>")),
    request_body = ProviderStatus,
    responses(
        (status = 204, description = "Taken"),
        (status = 403, description = "Missing or wrong signature (invalid_signature); nothing changed", body = crate::app::error::Problem),
        Invalid
    )
)]
pub async fn provider_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    signed_with(
        state.settings.sms.inbound_secret.as_ref(),
        &headers,
        "x-carebell-signature",
        &body,
    )?;
    let s: ProviderStatus = serde_json::from_slice(&body)
        .map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))?;
    let receipt = match s.status.as_str() {
        "delivered" => Some(Receipt::Delivered),
        "undelivered" | "failed" => Some(Receipt::Undelivered),
        _ => None,
    };
    if let Some(r) = receipt {
        receipts::apply(&state, Channel::Sms, &s.id, r, s.code.as_deref()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    #[param(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    #[param(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    #[param(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// `GET /webhooks/whatsapp`: the subscription handshake.
#[utoipa::path(
    get,
    path = "/webhooks/whatsapp",
    tag = "webhooks",
    summary = "WhatsApp's webhook subscription handshake: the challenge back when the verify token matches",
    params(Handshake),
    responses(
        (status = 200, description = "The challenge", content_type = "text/plain", body = String),
        (status = 403, description = "Wrong verify token (invalid_signature)", body = crate::app::error::Problem)
    )
)]
pub async fn whatsapp_handshake(
    State(state): State<AppState>,
    Query(q): Query<Handshake>,
) -> ApiResult<String> {
    let expected = state
        .settings
        .whatsapp
        .verify_token
        .as_ref()
        .map(|t| t.expose_secret().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(refused)?;
    let given = q.verify_token.unwrap_or_default();
    if q.mode.as_deref() != Some("subscribe")
        || !crate::auth::constant_time_eq(given.as_bytes(), expected.as_bytes())
    {
        return Err(refused());
    }
    Ok(q.challenge.unwrap_or_default())
}

/// WhatsApp's status webhook (`entry[].changes[].value.statuses[]`).
#[derive(Deserialize, ToSchema)]
pub struct WhatsAppWebhook {
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    entry: Vec<serde_json::Value>,
}

/// What was taken from a status webhook.
#[derive(Serialize, ToSchema)]
pub struct StatusesTaken {
    /// Receipts that named one of our messages.
    pub matched: usize,
}

/// `POST /webhooks/whatsapp`.
#[utoipa::path(
    post,
    path = "/webhooks/whatsapp",
    tag = "webhooks",
    summary = "Status webhooks of our WhatsApp messages (delivered, read, failed)",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex of HMAC-SHA256(whatsapp.app_secret, body)>")),
    request_body = WhatsAppWebhook,
    responses(
        (status = 200, description = "Taken", body = StatusesTaken),
        (status = 403, description = "Missing or wrong signature (invalid_signature); nothing changed", body = crate::app::error::Problem),
        Invalid
    )
)]
pub async fn whatsapp_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<StatusesTaken>> {
    signed_with(
        state.settings.whatsapp.app_secret.as_ref(),
        &headers,
        "x-hub-signature-256",
        &body,
    )?;
    let hook: WhatsAppWebhook = serde_json::from_slice(&body)
        .map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))?;
    let mut matched = 0;
    let statuses = hook
        .entry
        .iter()
        .flat_map(|e| e["changes"].as_array().cloned().unwrap_or_default())
        .flat_map(|c| {
            c["value"]["statuses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        });
    for s in statuses {
        let Some(id) = s["id"].as_str() else { continue };
        let receipt = match s["status"].as_str().unwrap_or_default() {
            "delivered" | "read" => Receipt::Delivered,
            "failed" => Receipt::Undelivered,
            _ => continue,
        };
        let code = s["errors"][0]["code"]
            .as_i64()
            .map(|c| c.to_string())
            .or_else(|| s["errors"][0]["code"].as_str().map(str::to_owned));
        if receipts::apply(&state, Channel::WhatsApp, id, receipt, code.as_deref()).await? {
            matched += 1;
        }
    }
    Ok(Json(StatusesTaken { matched }))
}

/// What a bounce marked.
#[derive(Serialize, ToSchema)]
pub struct BouncesTaken {
    /// Addresses marked as bouncing.
    pub bounced: usize,
}

/// `POST /webhooks/email/bounce`.
#[utoipa::path(
    post,
    path = "/webhooks/email/bounce",
    tag = "webhooks",
    summary = "A bounce: an RFC 3464 delivery-status notification, as the mail system received it",
    params(("X-Carebell-Signature" = String, Header, description = "sha256=<hex of HMAC-SHA256(email.inbound_secret, body)>")),
    request_body(content = String, content_type = "message/rfc822", description = "The whole notification (multipart/report; report-type=delivery-status)"),
    responses(
        (status = 200, description = "Taken: the addresses it reports as failed for good are marked", body = BouncesTaken),
        (status = 403, description = "Missing or wrong signature (invalid_signature); nothing changed", body = crate::app::error::Problem),
        Invalid
    )
)]
pub async fn email_bounce(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<BouncesTaken>> {
    signed_with(
        state.settings.email.inbound_secret.as_ref(),
        &headers,
        "x-carebell-signature",
        &body,
    )?;
    let bounced = receipts::bounce(&state, &body).await?;
    Ok(Json(BouncesTaken { bounced }))
}
