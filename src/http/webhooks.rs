//! What providers post to us: replies to our text messages. Each is refused (403, nothing
//! changed) unless its signature is right: Twilio's `X-Twilio-Signature` with the Twilio
//! auth token over the public URL of this path and the form, or the webhook provider's
//! `X-Carebell-Signature` with `sms.inbound_secret` over the body. The answer is the one
//! text to send back (TwiML for Twilio, JSON for the webhook provider).

use super::openapi::Invalid;
use super::{ApiError, ApiResult, AppState};
use crate::auth::signed;
use crate::domain::PhoneNumber;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(super) fn refused() -> ApiError {
    ApiError::client(
        StatusCode::FORBIDDEN,
        "invalid_signature",
        "the request's signature is missing or wrong",
    )
}

fn number(from: &str) -> ApiResult<String> {
    PhoneNumber::parse(from)
        .map(|p| p.as_str().to_owned())
        .map_err(|e| ApiError::unprocessable(format!("from: {}", e.0)))
}

/// A Twilio incoming-message webhook (form fields `From`, `To`, `Body`, …).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TwilioMessage {
    #[schema(rename = "From")]
    from: String,
    #[schema(rename = "Body")]
    body: String,
}

/// `POST /webhooks/sms/twilio`.
#[utoipa::path(
    post,
    path = "/webhooks/sms/twilio",
    tag = "webhooks",
    summary = "Replies to our text messages, from Twilio (STOP, START, HELP)",
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature of the public URL and the form")),
    request_body(content = TwilioMessage, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "TwiML with the one reply, if any", content_type = "application/xml", body = String),
        (status = 403, description = "Missing or wrong signature (invalid_signature); nothing changed", body = crate::app::error::Problem),
        Invalid
    )
)]
pub async fn twilio(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<impl IntoResponse> {
    let params = twilio_form(&state, &headers, &body, "/webhooks/sms/twilio")?;
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let from = number(field("From"))?;
    let reply = crate::replies::sms_reply(&state, &from, field("Body")).await?;
    let twiml = match reply {
        Some(text) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
            xml_escape(&text)
        ),
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>".to_owned(),
    };
    Ok(([(CONTENT_TYPE, "application/xml")], twiml))
}

/// The form of a request Twilio signed for `path` of this site (`X-Twilio-Signature`, with
/// the Twilio auth token over the public URL and the sorted form), or `403`.
pub(super) fn twilio_form(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    path: &str,
) -> ApiResult<Vec<(String, String)>> {
    let s = &state.settings.sms;
    let token = crate::delivery::read_secret(
        s.twilio_auth_token.as_ref(),
        s.auth_token_file.as_deref(),
        "sms.twilio_auth_token",
    )?
    .filter(|t| !t.is_empty())
    .ok_or_else(refused)?;
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| ApiError::unprocessable(format!("invalid form body: {e}")))?;
    let url = format!(
        "{}{path}",
        state.settings.server.public_url.trim_end_matches('/')
    );
    let sent = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    if !signed::verify_twilio(&token, &url, &params, sent) {
        return Err(refused());
    }
    Ok(params)
}

/// `Ok` when `header` carries `sha256=<hex HMAC-SHA256(secret, body)>`; `403` otherwise, and
/// when no secret is configured.
pub(super) fn signed_with(
    secret: Option<&secrecy::SecretString>,
    headers: &HeaderMap,
    header: &str,
    body: &[u8],
) -> ApiResult<()> {
    let secret = secret
        .map(|s| s.expose_secret().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or_else(refused)?;
    let sent = headers
        .get(header)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    if signed::verify_body(secret.as_bytes(), body, sent) {
        Ok(())
    } else {
        Err(refused())
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A reply forwarded by the webhook provider.
#[derive(Deserialize, ToSchema)]
pub struct InboundMessage {
    /// The sender's number.
    from: String,
    /// Our number.
    #[allow(dead_code)]
    to: Option<String>,
    body: String,
    /// The provider's id of the message.
    #[allow(dead_code)]
    id: Option<String>,
}

/// The answer to the webhook provider.
#[derive(Serialize, ToSchema)]
pub struct InboundReply {
    /// The one text to send back, if any.
    reply: Option<String>,
}

/// `POST /webhooks/sms/inbound`.
#[utoipa::path(
    post,
    path = "/webhooks/sms/inbound",
    tag = "webhooks",
    summary = "Replies to our text messages, from the webhook provider (STOP, START, HELP)",
    params(("X-Carebell-Signature" = String, Header, description = "sha256=<hex of HMAC-SHA256(sms.inbound_secret, body)>")),
    request_body = InboundMessage,
    responses(
        (status = 200, description = "The one reply, if any", body = InboundReply),
        (status = 403, description = "Missing or wrong signature (invalid_signature); nothing changed", body = crate::app::error::Problem),
        Invalid
    )
)]
pub async fn inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<InboundReply>> {
    signed_with(
        state.settings.sms.inbound_secret.as_ref(),
        &headers,
        "x-carebell-signature",
        &body,
    )?;
    let message: InboundMessage = serde_json::from_slice(&body)
        .map_err(|e| ApiError::unprocessable(format!("invalid request body: {e}")))?;
    let from = number(&message.from)?;
    let reply = crate::replies::sms_reply(&state, &from, &message.body).await?;
    Ok(Json(InboundReply { reply }))
}
