//! The patient's dashboard: upcoming appointments (cancel, move), practitioners to follow
//! and their free slots to book, and the notifications.

use super::session::{finish, Action, PageError, PageResult, Viewer};
use super::view::{frame, html, short_time, Names, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::{ApiError, AppState};
use crate::directory;
use crate::domain::{Role, Urgency};
use crate::lifecycle::BookingRequest;
use axum::extract::State;
use axum::response::Response;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};
use std::collections::hash_map::{Entry, HashMap};

#[derive(Deserialize, Default)]
pub struct PatientQuery {
    /// The practitioner whose free slots are shown (an id; anything else shows the first).
    practitioner: Option<String>,
}

/// A free slot as a page lists it: its id and its time in the reader's zone.
#[derive(Serialize, Clone)]
pub(super) struct SlotView {
    pub id: i64,
    pub when: String,
}

#[derive(Serialize)]
struct AppointmentView {
    id: i64,
    status: &'static str,
    when: String,
    practitioner: String,
    reason: String,
    status_reason: Option<String>,
    /// Free slots of the same practitioner it can move to.
    moves: Vec<SlotView>,
}

#[derive(Serialize)]
struct PractitionerView {
    id: i64,
    name: String,
    followed: bool,
    selected: bool,
}

/// `GET /patient`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(q): ApiQuery<PatientQuery>,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    viewer.require(Role::Patient)?;
    let now = state.clock.now();
    let user = &viewer.user;
    let mut c = state.store.acquire().await?;
    let mut names = Names::default();
    let mine = directory::appointments_of(&mut c, user, None, 200).await?;
    let (mut upcoming, past): (Vec<_>, Vec<_>) = mine
        .into_iter()
        .partition(|a| a.status.is_active() && a.ends_at > now);
    upcoming.sort_by_key(|a| a.starts_at);
    let mut upcoming_views = Vec::new();
    // Free slots to move to, looked up once per practitioner.
    let mut moves_of: HashMap<i64, Vec<SlotView>> = HashMap::new();
    for a in &upcoming {
        if let Entry::Vacant(entry) = moves_of.entry(a.practitioner_id) {
            let free = directory::free_slots(&mut c, a.practitioner_id, now, 10)
                .await?
                .into_iter()
                .map(|s| SlotView {
                    id: s.id,
                    when: short_time(s.starts_at, user),
                })
                .collect();
            entry.insert(free);
        }
        let moves = moves_of[&a.practitioner_id].clone();
        upcoming_views.push(AppointmentView {
            id: a.id,
            status: a.status.as_str(),
            when: short_time(a.starts_at, user),
            practitioner: names.of(&mut c, a.practitioner_id).await?,
            reason: a.reason.clone(),
            status_reason: None,
            moves,
        });
    }
    let mut past_views = Vec::new();
    for a in past.iter().take(10) {
        past_views.push(AppointmentView {
            id: a.id,
            status: a.status.as_str(),
            when: short_time(a.starts_at, user),
            practitioner: names.of(&mut c, a.practitioner_id).await?,
            reason: a.reason.clone(),
            status_reason: a.status_reason.clone(),
            moves: Vec::new(),
        });
    }
    let practitioners = directory::practitioners(&mut c).await?;
    let followed: Vec<i64> = directory::followed(&mut c, user)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    let wanted = q
        .practitioner
        .as_deref()
        .and_then(|p| p.parse::<i64>().ok());
    let selected = practitioners
        .iter()
        .find(|p| Some(p.id) == wanted)
        .or_else(|| practitioners.first());
    let free: Vec<SlotView> = match selected {
        Some(p) => directory::free_slots(&mut c, p.id, now, 30)
            .await?
            .into_iter()
            .map(|s| SlotView {
                id: s.id,
                when: short_time(s.starts_at, user),
            })
            .collect(),
        None => Vec::new(),
    };
    drop(c);
    let practitioner_views: Vec<PractitionerView> = practitioners
        .iter()
        .map(|p| PractitionerView {
            id: p.id,
            name: p.name.as_str().to_owned(),
            followed: followed.contains(&p.id),
            selected: selected.is_some_and(|s| s.id == p.id),
        })
        .collect();
    let back = match selected {
        Some(p) => format!("/patient?practitioner={}", p.id),
        None => "/patient".to_owned(),
    };
    let waitlist = super::waitlist::entries_of(&state, &viewer).await?;
    let base = frame(&state, &viewer, &back, &outcome).await?;
    let body = state.pages.render(
        "patient.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                upcoming => Value::from_serialize(&upcoming_views),
                past => Value::from_serialize(&past_views),
                practitioners => Value::from_serialize(&practitioner_views),
                selected => selected.map(|p| p.name.as_str().to_owned()),
                selected_id => selected.map(|p| p.id),
                waitlist => Value::from_serialize(&waitlist),
                free => Value::from_serialize(&free),
            }
        },
    )?;
    Ok(html(body))
}

#[derive(Deserialize)]
pub struct BookForm {
    slot_id: i64,
    #[serde(default)]
    reason: String,
    urgency: Option<String>,
}

/// `POST /patient/book`.
pub async fn book(State(state): State<AppState>, action: Action<BookForm>) -> PageResult {
    action.viewer.require(Role::Patient)?;
    let f = &action.form;
    let outcome = async {
        let urgency = match f.urgency.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => Urgency::parse(u)?,
            None => Urgency::default(),
        };
        let req = BookingRequest {
            slot_id: f.slot_id,
            reason: f.reason.clone(),
            urgency,
        };
        state.lifecycle.book(&action.viewer.user, req).await?;
        Ok::<_, ApiError>("booked")
    }
    .await;
    Ok(finish(&action.back, outcome))
}

/// `POST /patient/follow/{id}`.
pub async fn follow(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    set_follow(state, id, action, true).await
}

/// `POST /patient/unfollow/{id}`.
pub async fn unfollow(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    set_follow(state, id, action, false).await
}

async fn set_follow(
    state: AppState,
    id: i64,
    action: Action<super::session::Empty>,
    on: bool,
) -> PageResult {
    action.viewer.require(Role::Patient)?;
    let outcome = async {
        let mut c = state.store.acquire().await?;
        directory::set_follow(&mut c, &action.viewer.user, id, on, state.clock.now()).await?;
        Ok(if on { "followed" } else { "unfollowed" })
    }
    .await;
    Ok(finish(&action.back, outcome))
}

/// `GET /patient-dashboard/notifications/` (a path of the system carebell replaces): the
/// patient's notifications on a page of their own. Integrations may read it with a
/// bearer token.
pub async fn notifications_page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> Result<Response, PageError> {
    viewer.require(Role::Patient)?;
    let base = frame(
        &state,
        &viewer,
        "/patient-dashboard/notifications/",
        &outcome,
    )
    .await?;
    let body = state.pages.render("inbox.html", viewer.lang(), base)?;
    // The old page's script reads the CSRF token from this cookie; a session opened before
    // it was given at sign-in gets it here.
    let mut response = html(body);
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        crate::app::session::csrf_cookie(&state, &viewer.csrf)?,
    );
    Ok(response)
}
