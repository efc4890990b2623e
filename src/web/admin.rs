//! The admin's page: delivery jobs by state, dead letters with their reason and a retry.

use super::session::{finish, Action, PageResult, Viewer};
use super::view::{frame, html, short_time, Names, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::AppState;
use crate::domain::Role;
use crate::store::deliveries::{JobFilter, JobState};
use axum::extract::State;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

const STATES: &[&str] = &[
    "dead",
    "pending",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "suppressed",
    "voided",
];

#[derive(Deserialize, Default)]
pub struct AdminQuery {
    state: Option<String>,
}

#[derive(Serialize)]
struct JobView {
    id: i64,
    kind: String,
    channel: &'static str,
    state: &'static str,
    recipient: String,
    appointment_id: Option<i64>,
    due: String,
    attempts: i64,
    last_error: Option<String>,
    /// A reminder already handed to its provider when its appointment changed.
    in_flight_at_change: Option<String>,
}

/// `GET /admin?state=dead`: dead letters first by default.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<AdminQuery>,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let shown = q
        .state
        .as_deref()
        .and_then(|s| JobState::parse(s).ok())
        .unwrap_or(JobState::Dead);
    let filter = JobFilter {
        state: Some(shown),
        channel: None,
        recipient_id: None,
        appointment_id: None,
        before_id: None,
        limit: 100,
    };
    let mut c = state.store.acquire().await?;
    let jobs = crate::operations::deliveries(&mut c, &filter).await?;
    let mut names = Names::default();
    let mut views = Vec::with_capacity(jobs.len());
    for j in jobs {
        views.push(JobView {
            id: j.id,
            kind: j.kind,
            channel: j.channel.as_str(),
            state: j.state.as_str(),
            recipient: match j.recipient_id {
                Some(id) => names.of(&mut c, id).await?,
                None => format!("webhook endpoint {}", j.endpoint_id.unwrap_or_default()),
            },
            appointment_id: j.appointment_id,
            due: short_time(j.due_at, &viewer.user),
            attempts: j.attempts,
            last_error: j.last_error,
            in_flight_at_change: j.in_flight_at_change.map(|t| short_time(t, &viewer.user)),
        });
    }
    drop(c);
    let back = format!("/admin?state={}", shown.as_str());
    let base = frame(&state, &viewer, &back, &outcome).await?;
    let body = state.pages.render(
        "admin.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                states => STATES,
                shown => shown.as_str(),
                jobs => Value::from_serialize(&views),
            }
        },
    )?;
    Ok(html(body))
}

/// `POST /admin/deliveries/{id}/retry`: a dead job is due again now.
pub async fn retry(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    action.viewer.require(Role::Admin)?;
    let outcome = crate::operations::retry_dead_delivery(&state, action.viewer.user.id, id)
        .await
        .map(|_| "retried");
    Ok(finish(&action.back, outcome))
}

#[derive(Serialize)]
struct EndpointView {
    id: i64,
    url: String,
    description: Option<String>,
    event_types: Vec<String>,
    enabled: bool,
    failing_since: Option<i64>,
    failing: String,
    disabled_reason: Option<String>,
}

/// `GET /admin/webhooks`: the integrators' endpoints, their state, and a button to turn
/// each off or on again (registering one, and its secret, is the API's).
pub async fn webhooks(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let endpoints: Vec<EndpointView> = crate::integrations::list(&state)
        .await?
        .into_iter()
        .map(|e| EndpointView {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types.0,
            enabled: e.enabled.0,
            failing_since: e.failing_since.map(|t| t.millis()),
            failing: e
                .failing_since
                .map(|t| short_time(t, &viewer.user))
                .unwrap_or_default(),
            disabled_reason: e.disabled_reason,
        })
        .collect();
    let base = frame(&state, &viewer, "/admin/webhooks", &outcome).await?;
    let body = state.pages.render(
        "webhooks.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! { endpoints => Value::from_serialize(&endpoints) }
        },
    )?;
    Ok(html(body))
}

/// `POST /admin/webhooks/{id}/enable` and `/disable`.
pub async fn switch_webhook(
    State(state): State<AppState>,
    ApiPath((id, to)): ApiPath<(i64, String)>,
    action: Action<super::session::Empty>,
) -> PageResult {
    action.viewer.require(Role::Admin)?;
    let enabled = match to.as_str() {
        "enable" => true,
        "disable" => false,
        _ => return Err(crate::app::ApiError::not_found("action").into()),
    };
    let patch = crate::integrations::EndpointPatch {
        enabled: Some(enabled),
        ..Default::default()
    };
    let outcome = crate::integrations::change(&state, &action.viewer.user, id, &patch)
        .await
        .map(|_| {
            if enabled {
                "webhook_enabled"
            } else {
                "webhook_disabled"
            }
        });
    Ok(finish(&action.back, outcome))
}

#[derive(Deserialize, Default)]
pub struct PeopleQuery {
    q: Option<String>,
}

#[derive(Serialize)]
struct PersonView {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    active: bool,
}

/// `GET /admin/people?q=`: accounts found by name or email, newest first, with their
/// state and a button to deactivate or reactivate them.
pub async fn people(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<PeopleQuery>,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    viewer.require(Role::Admin)?;
    let query = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut c = state.store.acquire().await?;
    let found = crate::directory::find_users(&mut c, query, None, None, 100).await?;
    drop(c);
    let people: Vec<PersonView> = found
        .iter()
        .map(|u| PersonView {
            id: u.id,
            name: u.name.as_str().to_owned(),
            email: u.email.as_str().to_owned(),
            role: u.role.as_str(),
            active: u.deactivated_at.is_none(),
        })
        .collect();
    let back = match query {
        Some(q) => format!(
            "/admin/people?{}",
            serde_urlencoded::to_string([("q", q)]).unwrap_or_default()
        ),
        None => "/admin/people".to_owned(),
    };
    let base = frame(&state, &viewer, &back, &outcome).await?;
    let body = state.pages.render(
        "people.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                query => query.unwrap_or_default(),
                people => Value::from_serialize(&people),
                me => viewer.user.id,
            }
        },
    )?;
    Ok(html(body))
}

/// `POST /admin/people/{id}/deactivate`.
pub async fn deactivate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    action.viewer.require(Role::Admin)?;
    let outcome = crate::people::deactivate(&state, &action.viewer.user, id)
        .await
        .map(|_| "deactivated");
    Ok(finish(&action.back, outcome))
}

/// `POST /admin/people/{id}/reactivate`.
pub async fn reactivate(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    action.viewer.require(Role::Admin)?;
    let outcome = crate::people::reactivate(&state, &action.viewer.user, id)
        .await
        .map(|_| "reactivated");
    Ok(finish(&action.back, outcome))
}
