//! The waitlist on the pages: the offer page every offer message links to (take it in one
//! tap, or pass), joining and leaving, and the patient's "I am coming".

use super::session::{finish, Action, Empty, PageResult, Viewer};
use super::view::{frame, html, short_time, Names, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::{ApiError, AppState};
use crate::domain::{LocalTime, Role, Timestamp};
use crate::lifecycle::JoinRequest;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use minijinja::context;
use serde::{Deserialize, Serialize};

/// An entry as the patient's page lists it.
#[derive(Serialize)]
pub(super) struct EntryView {
    pub id: i64,
    pub practitioner: String,
    /// For "anything earlier": the appointment's time.
    pub earlier_than: Option<String>,
    pub from: Option<String>,
    pub until: Option<String>,
    pub hours: Option<String>,
}

/// The patient's waiting entries, for their page.
pub(super) async fn entries_of(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<EntryView>, super::session::PageError> {
    let user = &viewer.user;
    let entries = state
        .lifecycle
        .waitlist_for(user, None)
        .await
        .map_err(ApiError::from)?;
    let mut c = state.store.acquire().await?;
    let mut names = Names::default();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let earlier_than = match e.appointment_id {
            Some(a) => crate::store::appointments::get(&mut c, a)
                .await?
                .map(|a| short_time(a.starts_at, user)),
            None => None,
        };
        let minutes = |m: i64| {
            LocalTime::from_minutes(m as u16)
                .map(|t| t.to_string())
                .unwrap_or_default()
        };
        out.push(EntryView {
            id: e.id,
            practitioner: names.of(&mut c, e.practitioner_id).await?,
            earlier_than,
            from: e.window_from.map(|t| short_time(t, user)),
            until: e.window_until.map(|t| short_time(t, user)),
            hours: e
                .day_start
                .zip(e.day_end)
                .map(|(a, b)| format!("{}–{}", minutes(a), minutes(b))),
        });
    }
    Ok(out)
}

/// `GET /offers/{id}`: the time held for the patient, until when, and the two answers.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    let user = &viewer.user;
    let (offer, slot, moves) = state
        .lifecycle
        .offer_for(user, id)
        .await
        .map_err(ApiError::from)?;
    let now = state.clock.now();
    let mut c = state.store.acquire().await?;
    let mut names = Names::default();
    let practitioner = names.of(&mut c, slot.practitioner_id).await?;
    let patient = names.of(&mut c, offer.patient_id).await?;
    drop(c);
    let open = offer.state == "open" && offer.expires_at > now;
    let state_label = if offer.state == "open" && !open {
        "expired"
    } else {
        offer.state.as_str()
    };
    let back = format!("/offers/{id}");
    let base = frame(&state, &viewer, &back, &outcome).await?;
    let body = state.pages.render(
        "offer.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                o => context! {
                    id => offer.id,
                    state => state_label,
                    when => short_time(slot.starts_at, user),
                    practitioner => practitioner,
                    patient => (user.role != Role::Patient).then_some(patient),
                    until => short_time(offer.expires_at, user),
                    moves_from => moves.as_ref().map(|a| short_time(a.starts_at, user)),
                    appointment_id => offer.appointment_id,
                },
                can_answer => open && user.role == Role::Patient,
            }
        },
    )?;
    Ok(html(body))
}

/// `POST /offers/{id}/accept`: booked (or moved), then the appointment's page.
pub async fn accept(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<Empty>,
) -> PageResult {
    match state.lifecycle.accept_offer(&action.viewer.user, id).await {
        Ok(a) => {
            Ok(Redirect::to(&format!("/appointments/{}?ok=offer_accepted", a.id)).into_response())
        }
        Err(e) => Ok(finish(&action.back, Err(e.into()))),
    }
}

/// `POST /offers/{id}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<Empty>,
) -> PageResult {
    let outcome = state
        .lifecycle
        .decline_offer(&action.viewer.user, id)
        .await
        .map(|_| "offer_declined")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}

#[derive(Deserialize)]
pub struct JoinForm {
    practitioner_id: Option<i64>,
    appointment_id: Option<i64>,
    /// Dates on the patient's clock, `YYYY-MM-DD` (from the start of the first to the end
    /// of the last).
    from_date: Option<String>,
    until_date: Option<String>,
    day_start: Option<String>,
    day_end: Option<String>,
    #[serde(default)]
    reason: String,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Midnight of a date on the viewer's clock, or of the day after.
fn day(viewer: &Viewer, field: &str, v: &str, next: bool) -> Result<Timestamp, ApiError> {
    use chrono::TimeZone as _;
    let date = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| ApiError::unprocessable(format!("{field}: a date YYYY-MM-DD")))?;
    let date = if next {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let at = viewer
        .user
        .time_zone
        .tz()
        .from_local_datetime(&local)
        .earliest()
        .ok_or_else(|| ApiError::unprocessable(format!("{field}: no such time here")))?;
    Ok(Timestamp::from_millis(at.timestamp_millis()))
}

/// `POST /waitlist/join`.
pub async fn join(State(state): State<AppState>, action: Action<JoinForm>) -> PageResult {
    action.viewer.require(Role::Patient)?;
    let f = &action.form;
    let v = &action.viewer;
    let outcome = async {
        let time = |field: &str, s: Option<&str>| {
            s.map(|s| {
                LocalTime::parse(s)
                    .map(|t| t.minutes())
                    .map_err(|e| ApiError::unprocessable(format!("{field}: {}", e.0)))
            })
            .transpose()
        };
        let req = JoinRequest {
            practitioner_id: f.practitioner_id,
            appointment_id: f.appointment_id,
            window_from: blank(&f.from_date)
                .map(|d| day(v, "from", d, false))
                .transpose()?,
            window_until: blank(&f.until_date)
                .map(|d| day(v, "until", d, true))
                .transpose()?,
            day_start: time("from time", blank(&f.day_start))?,
            day_end: time("until time", blank(&f.day_end))?,
            reason: f.reason.clone(),
            urgency: Default::default(),
        };
        state.lifecycle.join_waitlist(&v.user, req).await?;
        Ok::<_, ApiError>("waitlist_joined")
    }
    .await;
    Ok(finish(&action.back, outcome))
}

/// `POST /waitlist/{id}/leave`.
pub async fn leave(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<Empty>,
) -> PageResult {
    let outcome = state
        .lifecycle
        .leave_waitlist(&action.viewer.user, id)
        .await
        .map(|_| "waitlist_left")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}

/// `POST /appointments/{id}/attendance`: the patient says they are coming.
pub async fn confirm_attendance(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<Empty>,
) -> PageResult {
    let outcome = state
        .lifecycle
        .confirm_attendance(&action.viewer.user, id)
        .await
        .map(|_| "attendance_confirmed")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}
