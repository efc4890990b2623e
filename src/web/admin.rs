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
            recipient: names.of(&mut c, j.recipient_id).await?,
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
