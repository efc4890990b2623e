//! The page every message about an appointment links to, for whichever party reads it:
//! when (in the reader's zone), with whom, its status, what happened to it (the reader's own
//! notifications about it), and the actions the reader may take now, only those the policy
//! allows at this moment. Someone who is not party to it gets the not-found page.

use super::patient::SlotView;
use super::session::{finish, Action, PageResult, ReasonForm, Viewer};
use super::view::{frame, html, short_time, Names, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::{ApiError, AppState};
use crate::domain::{AppointmentStatus, CancelledBy, Role, Transition};
use crate::lifecycle::Reschedule;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use serde::Deserialize;
use serde::Serialize;

#[derive(Serialize)]
struct Step {
    when: String,
    title: String,
}

/// `GET /appointments/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    let user = &viewer.user;
    let a = state
        .lifecycle
        .appointment_for(user, id)
        .await
        .map_err(crate::app::ApiError::from)?;
    let now = state.clock.now();
    let cutoff = state.settings.lifecycle.patient_cancel_cutoff;
    let mut c = state.store.acquire().await?;
    let mut names = Names::default();
    let other = match user.role {
        Role::Patient => names.of(&mut c, a.practitioner_id).await?,
        Role::Practitioner => names.of(&mut c, a.patient_id).await?,
        Role::Admin => format!(
            "{} · {}",
            names.of(&mut c, a.patient_id).await?,
            names.of(&mut c, a.practitioner_id).await?
        ),
    };
    let allowed = |t: Transition| a.status.apply(t, a.starts_at, now, cutoff).is_ok();
    let is_patient = user.role == Role::Patient;
    let is_practitioner = user.role == Role::Practitioner;
    // The side this reader acts as; the lifecycle applies the same rule when they submit.
    let side = match user.role {
        Role::Patient => CancelledBy::Patient,
        Role::Practitioner => CancelledBy::Practitioner,
        Role::Admin => CancelledBy::System,
    };
    let can_cancel = allowed(Transition::Cancel(side));
    let can_move = allowed(Transition::Reschedule(side));
    let can_decide =
        is_practitioner && a.status == AppointmentStatus::Requested && a.starts_at > now;
    let moves: Vec<SlotView> = if can_move {
        crate::directory::free_slots(&mut c, a.practitioner_id, now, 10)
            .await?
            .into_iter()
            .filter(|s| Some(s.id) != a.slot_id)
            .map(|s| SlotView {
                id: s.id,
                when: short_time(s.starts_at, user),
            })
            .collect()
    } else {
        Vec::new()
    };
    let history: Vec<Step> = crate::inbox::about_appointment(&state, &mut c, user, a.id)
        .await?
        .into_iter()
        .map(|n| Step {
            when: short_time(n.visible_at, user),
            title: n.title,
        })
        .collect();
    drop(c);
    let waiting_earlier = is_patient
        && state
            .lifecycle
            .waitlist_for(user, None)
            .await
            .map_err(ApiError::from)?
            .iter()
            .any(|e| e.appointment_id == Some(a.id));
    let back = format!("/appointments/{}", a.id);
    let base = frame(&state, &viewer, &back, &outcome).await?;
    let body = state.pages.render(
        "appointment.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                a => context! {
                    id => a.id,
                    status => a.status.as_str(),
                    status_reason => a.status_reason,
                    when => short_time(a.starts_at, user),
                    other => other,
                    reason => (user.role != Role::Admin).then_some(a.reason),
                    attendance_confirmed => a.attendance_confirmed_at.is_some(),
                },
                can_confirm_attendance => is_patient && a.status == AppointmentStatus::Confirmed && a.starts_at > now,
                can_wait_earlier => is_patient && a.status.is_active() && a.starts_at > now && !waiting_earlier,
                can_cancel => can_cancel,
                reason_required => !is_patient,
                can_decide => can_decide,
                past_cutoff => is_patient && a.status.is_active() && !can_cancel && a.starts_at > now,
                moves => Value::from_serialize(&moves),
                clinic_phone => &state.settings.clinic.phone,
                history => Value::from_serialize(&history),
            }
        },
    )?;
    Ok(html(body))
}

/// `POST /appointments/{id}/cancel`, by either party or an admin (the lifecycle checks
/// who may, and that the practice gives a reason).
pub async fn cancel(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<ReasonForm>,
) -> PageResult {
    let outcome = state
        .lifecycle
        .cancel(&action.viewer.user, id, action.form.reason())
        .await
        .map(|_| "cancelled")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}

#[derive(Deserialize)]
pub struct MoveForm {
    slot_id: i64,
}

/// `POST /appointments/{id}/reschedule`, by either party or an admin.
pub async fn reschedule(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<MoveForm>,
) -> PageResult {
    let to = Reschedule {
        slot_id: action.form.slot_id,
    };
    let outcome = state
        .lifecycle
        .reschedule(&action.viewer.user, id, to)
        .await
        .map(|_| "rescheduled")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}

/// `GET /practitioners/{id}`: a practitioner's free times, on the patient's page.
pub async fn practitioner(viewer: Viewer, ApiPath(id): ApiPath<i64>) -> Response {
    match viewer.user.role {
        Role::Patient => Redirect::to(&format!("/patient?practitioner={id}#slots")).into_response(),
        role => Redirect::to(super::session::home_of(role)).into_response(),
    }
}

/// The paths that messages sent before this page existed link to.
pub async fn old_appointment_link(ApiPath(id): ApiPath<i64>) -> Redirect {
    Redirect::to(&format!("/appointments/{id}"))
}

pub async fn old_practitioner_link(ApiPath(id): ApiPath<i64>) -> Redirect {
    Redirect::to(&format!("/practitioners/{id}"))
}
