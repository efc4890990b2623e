//! Admins register the endpoints integrators receive webhooks at: each with its event
//! types and a secret shown once (at creation and at each rotation); a rotated secret
//! keeps signing beside the new one for `webhooks.secret_overlap`. Every change is in
//! the audit log.

use crate::app::{ApiError, ApiResult, AppState};
use crate::auth::signed::new_webhook_secret;
use crate::notify::WEBHOOK_EVENTS;
use crate::store::audit;
use crate::store::users::User;
use crate::store::webhooks::{self, Endpoint, EndpointChange, EventTypes, NewEndpoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /api/v1/admin/webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointInput {
    /// Where the messages are posted: `https://…` (`http://` only with
    /// `webhooks.allow_http`).
    pub url: String,
    /// The event types it receives; `["*"]` (default) for all.
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
}

/// `PATCH /api/v1/admin/webhooks/{id}`: only what is given changes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
    /// Turning it on again clears its failure record.
    pub enabled: Option<bool>,
}

/// An endpoint with its secret, shown only now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WithSecret {
    pub endpoint: Endpoint,
    /// `whsec_…`: verify every message's `webhook-signature` with it (Standard Webhooks).
    pub secret: String,
}

fn parse_url(state: &AppState, url: &str) -> ApiResult<String> {
    let parsed = reqwest::Url::parse(url.trim())
        .map_err(|e| ApiError::unprocessable(format!("url: {e}")))?;
    let allowed = parsed.scheme() == "https"
        || (parsed.scheme() == "http" && state.settings.webhooks.allow_http);
    if !allowed || parsed.host().is_none() {
        return Err(ApiError::unprocessable(
            if state.settings.webhooks.allow_http {
                "url: an http:// or https:// address"
            } else {
                "url: an https:// address (http:// needs webhooks.allow_http)"
            },
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ApiError::unprocessable(
            "url: no credentials in the address; verify the signature instead",
        ));
    }
    Ok(parsed.to_string())
}

fn parse_events(given: Option<&[String]>) -> ApiResult<EventTypes> {
    let given = given.unwrap_or(&[]);
    if given.is_empty() || given.iter().any(|e| e == "*") {
        return Ok(EventTypes(vec!["*".into()]));
    }
    let mut out = Vec::new();
    for e in given {
        let e = e.trim();
        if !WEBHOOK_EVENTS.contains(&e) {
            return Err(ApiError::unprocessable(format!(
                "event_types: unknown event type {e:?}; expected one of {}",
                WEBHOOK_EVENTS.join(", ")
            )));
        }
        if !out.iter().any(|o: &String| o == e) {
            out.push(e.to_owned());
        }
    }
    Ok(EventTypes(out))
}

fn parse_description(d: Option<&str>) -> ApiResult<Option<String>> {
    d.map(|d| crate::domain::PersonName::parse(d).map(|n| n.as_str().to_owned()))
        .transpose()
        .map_err(|e| ApiError::unprocessable(e.0.replace("name", "description")))
}

async fn audited(
    c: &mut crate::store::Conn,
    admin: &User,
    action: &str,
    id: i64,
    now: crate::domain::Timestamp,
) -> ApiResult<()> {
    let event = audit::NewEvent {
        actor_id: Some(admin.id),
        action,
        target: Some(format!("webhook endpoint {id}")),
        ..Default::default()
    };
    audit::append(c, &event, now).await?;
    Ok(())
}

pub async fn create(
    state: &AppState,
    admin: &User,
    input: &EndpointInput,
) -> ApiResult<WithSecret> {
    let url = parse_url(state, &input.url)?;
    let events = parse_events(input.event_types.as_deref())?;
    let description = parse_description(input.description.as_deref())?;
    let secret = new_webhook_secret();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let endpoint = webhooks::insert(
        tx.conn(),
        &NewEndpoint {
            url: &url,
            description: description.as_deref(),
            event_types: &events,
            secret: &secret,
        },
        now,
    )
    .await?;
    audited(tx.conn(), admin, "webhook.created", endpoint.id, now).await?;
    tx.commit().await?;
    Ok(WithSecret { endpoint, secret })
}

pub async fn list(state: &AppState) -> ApiResult<Vec<Endpoint>> {
    let mut c = state.store.acquire().await?;
    Ok(webhooks::list(&mut c).await?)
}

pub async fn one(state: &AppState, id: i64) -> ApiResult<Endpoint> {
    let mut c = state.store.acquire().await?;
    webhooks::get(&mut c, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))
}

pub async fn change(
    state: &AppState,
    admin: &User,
    id: i64,
    patch: &EndpointPatch,
) -> ApiResult<Endpoint> {
    let url = patch
        .url
        .as_deref()
        .map(|u| parse_url(state, u))
        .transpose()?;
    let events = patch
        .event_types
        .as_deref()
        .map(|e| parse_events(Some(e)))
        .transpose()?;
    let description = parse_description(patch.description.as_deref())?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    webhooks::get(tx.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    let change = EndpointChange {
        url: url.as_deref(),
        description: patch.description.as_ref().map(|_| description.as_deref()),
        event_types: events.as_ref(),
        enabled: patch.enabled,
    };
    webhooks::update(tx.conn(), id, &change, now).await?;
    let action = match patch.enabled {
        Some(true) => "webhook.enabled",
        Some(false) => "webhook.disabled",
        None => "webhook.updated",
    };
    audited(tx.conn(), admin, action, id, now).await?;
    let endpoint = webhooks::get(tx.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    tx.commit().await?;
    Ok(endpoint)
}

/// A new secret, shown once; the old one keeps signing beside it for
/// `webhooks.secret_overlap`, so the receiver can switch without losing a message.
pub async fn rotate(state: &AppState, admin: &User, id: i64) -> ApiResult<WithSecret> {
    let now = state.clock.now();
    let secret = new_webhook_secret();
    let mut tx = state.store.begin().await?;
    webhooks::get(tx.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    let until = now.plus(state.settings.webhooks.secret_overlap);
    webhooks::rotate_secret(tx.conn(), id, &secret, until, now).await?;
    audited(tx.conn(), admin, "webhook.secret_rotated", id, now).await?;
    let endpoint = webhooks::get(tx.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook endpoint"))?;
    tx.commit().await?;
    Ok(WithSecret { endpoint, secret })
}
