//! The practitioner's dashboard: requests to accept or decline, the confirmed agenda, the
//! slots (add a batch, tell followers), and the notifications.

use super::session::{finish, non_blank, Action, PageError, PageResult, ReasonForm, Viewer};
use super::view::{frame, html, short_time, Names, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::{ApiError, AppState};
use crate::directory;
use crate::domain::{AppointmentStatus, Role, Timestamp};
use crate::lifecycle::NewSlot;
use crate::store::appointments::Appointment;
use crate::store::users::User;
use axum::extract::State;
use chrono::{NaiveDate, NaiveTime, TimeZone as _};
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Most slots one form may add (a working day of 5-minute slots).
const MAX_BATCH: usize = 200;

#[derive(Serialize)]
struct RequestView {
    id: i64,
    when: String,
    patient: String,
    reason: String,
    urgency: &'static str,
    /// The patient said they are coming.
    attending: bool,
}

/// A line of the practitioner's waitlist section.
#[derive(Serialize)]
struct WaitView {
    patient: String,
    what: String,
}

#[derive(Serialize)]
struct SlotView {
    when: String,
    free: bool,
}

/// `GET /practitioner`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    viewer.require(Role::Practitioner)?;
    let now = state.clock.now();
    let user = &viewer.user;
    let mut names = Names::default();
    let mut c = state.store.acquire().await?;
    let mut pending =
        directory::appointments_of(&mut c, user, Some(AppointmentStatus::Requested), 200).await?;
    let mut agenda =
        directory::appointments_of(&mut c, user, Some(AppointmentStatus::Confirmed), 200).await?;
    let own = directory::own_slots(&mut c, user, now, 100).await?;
    pending.retain(|a| a.starts_at > now);
    agenda.retain(|a| a.ends_at > now);
    let pending = request_views(&mut c, &mut names, pending, user).await?;
    let agenda = request_views(&mut c, &mut names, agenda, user).await?;
    let mut waiting = Vec::new();
    let entries = state
        .lifecycle
        .waitlist_for(user, None)
        .await
        .map_err(crate::app::ApiError::from)?;
    for e in entries {
        waiting.push(WaitView {
            patient: names.of(&mut c, e.patient_id).await?,
            what: short_time(e.created_at, user),
        });
    }
    let mut offers = Vec::new();
    let recent = state
        .lifecycle
        .offers_for(user, 20)
        .await
        .map_err(crate::app::ApiError::from)?;
    for o in recent {
        let when = crate::store::slots::get(&mut c, o.slot_id)
            .await?
            .map(|s| short_time(s.starts_at, user))
            .unwrap_or_default();
        let state_label = if o.state == "open" && o.expires_at <= now {
            "expired".to_owned()
        } else {
            o.state.clone()
        };
        offers.push(minijinja::context! {
            id => o.id,
            when => when,
            patient => names.of(&mut c, o.patient_id).await?,
            state => state_label,
        });
    }
    drop(c);
    let slot_views: Vec<SlotView> = own
        .into_iter()
        .map(|(s, free)| SlotView {
            when: short_time(s.starts_at, user),
            free,
        })
        .collect();
    let tomorrow = now
        .to_datetime()
        .with_timezone(&user.time_zone.tz())
        .date_naive()
        .succ_opt()
        .map(|d| d.to_string())
        .unwrap_or_default();
    let base = frame(&state, &viewer, "/practitioner", &outcome).await?;
    let body = state.pages.render(
        "practitioner.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                pending => Value::from_serialize(&pending),
                agenda => Value::from_serialize(&agenda),
                slots => Value::from_serialize(&slot_views),
                waiting => Value::from_serialize(&waiting),
                offers => offers,
                tomorrow => tomorrow,
                today => super::notices::today(&state, user),
                languages => super::notices::text_languages(user),
                practitioners => Value::from_serialize(Vec::<()>::new()),
            }
        },
    )?;
    Ok(html(body))
}

/// Appointments as the lists show them, soonest first, with the patient's name.
async fn request_views(
    c: &mut crate::store::Conn,
    names: &mut Names,
    mut list: Vec<Appointment>,
    user: &User,
) -> Result<Vec<RequestView>, PageError> {
    list.sort_by_key(|a| a.starts_at);
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        out.push(RequestView {
            id: a.id,
            when: short_time(a.starts_at, user),
            patient: names.of(c, a.patient_id).await?,
            urgency: a.urgency.as_str(),
            attending: a.attendance_confirmed_at.is_some(),
            reason: a.reason,
        });
    }
    Ok(out)
}

/// `POST /practitioner/appointments/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<super::session::Empty>,
) -> PageResult {
    action.viewer.require(Role::Practitioner)?;
    let outcome = state
        .lifecycle
        .accept(&action.viewer.user, id)
        .await
        .map(|_| "accepted")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}

/// `POST /practitioner/appointments/{id}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<ReasonForm>,
) -> PageResult {
    action.viewer.require(Role::Practitioner)?;
    let outcome = state
        .lifecycle
        .decline(&action.viewer.user, id, action.form.reason())
        .await
        .map(|_| "declined")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}

#[derive(Deserialize)]
pub struct SlotsForm {
    date: String,
    from: String,
    until: String,
    minutes: u32,
    /// A checkbox: present when ticked.
    notify: Option<String>,
}

/// `POST /practitioner/slots`: slots of `minutes` from `from` to `until` on `date`, in the
/// practitioner's own zone.
pub async fn add_slots(State(state): State<AppState>, action: Action<SlotsForm>) -> PageResult {
    action.viewer.require(Role::Practitioner)?;
    let user = &action.viewer.user;
    let outcome = async {
        let batch = slot_batch(&action.form, user)?;
        let notify = action.form.notify.is_some();
        state.lifecycle.add_slots(user, &batch, notify).await?;
        Ok("slots_added")
    }
    .await;
    Ok(finish(&action.back, outcome))
}

fn slot_batch(f: &SlotsForm, user: &User) -> Result<Vec<NewSlot>, ApiError> {
    let bad = |what: &str| ApiError::unprocessable(what.to_owned());
    let date = NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d")
        .map_err(|_| bad("date must be YYYY-MM-DD"))?;
    let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M");
    let from = time(&f.from).map_err(|_| bad("from must be HH:MM"))?;
    let until = time(&f.until).map_err(|_| bad("until must be HH:MM"))?;
    if !(5..=480).contains(&f.minutes) {
        return Err(bad("a slot lasts between 5 and 480 minutes"));
    }
    if until <= from {
        return Err(bad("until must be after from"));
    }
    let tz = user.time_zone.tz();
    let length = chrono::Duration::minutes(i64::from(f.minutes));
    let mut batch = Vec::new();
    let mut start = date.and_time(from);
    while start + length <= date.and_time(until) {
        // A local time skipped by a clock change has no slot.
        if let Some(local) = tz.from_local_datetime(&start).earliest() {
            let starts_at = Timestamp::from_datetime(local.with_timezone(&chrono::Utc));
            batch.push(NewSlot {
                starts_at,
                ends_at: starts_at.plus(Duration::from_secs(u64::from(f.minutes) * 60)),
            });
        }
        if batch.len() > MAX_BATCH {
            return Err(bad("that is more than 200 slots at once"));
        }
        start += length;
    }
    if batch.is_empty() {
        return Err(bad("no slot fits between from and until"));
    }
    Ok(batch)
}

#[derive(Deserialize)]
pub struct NotifyForm {
    note: Option<String>,
}

/// `POST /practitioner/notify`: tells followers about the free slots.
pub async fn notify(State(state): State<AppState>, action: Action<NotifyForm>) -> PageResult {
    action.viewer.require(Role::Practitioner)?;
    let note = non_blank(&action.form.note);
    let outcome = state
        .lifecycle
        .notify_availability(&action.viewer.user, note)
        .await
        .map(|_| "notified")
        .map_err(ApiError::from);
    Ok(finish(&action.back, outcome))
}
