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

const STATES: &[&str] = &["dead", "pending", "sending", "sent", "suppressed", "voided"];

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
