//! Notices, for the API and the pages alike: an admin writes to any audience, a
//! practitioner to their own patients booked on a day or in a range ("running 40 minutes
//! late"). A notice is first a draft that says how many people it would reach (the
//! confirmation step); sending it starts a durable fan-out in batches (the dispatcher
//! writes each batch, see `store::notices::plan_batch`), which respects every recipient's
//! choices and quiet hours at send time like any other message, shows its progress, and
//! can be cancelled while in flight. Each sender may send `notices.per_sender` notices per
//! `notices.window`.

use crate::app::{ApiError, ApiResult, AppState};
use crate::domain::notice::{day_in, Audience, NoticeState, NoticeTexts, MAX_LISTED_USERS};
use crate::domain::{Channel, Role, Severity, Timestamp};
use crate::store::deliveries::JobState;
use crate::store::notices::{self as stored, NewNotice, Notice};
use crate::store::users::{self, User};
use crate::store::{audit, Conn, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

/// A title and text in one language.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    /// One line, up to 120 characters.
    pub title: String,
    /// Up to 2,000 characters (300 with the title when sent by SMS).
    pub message: String,
}

/// Who a notice goes to. Deactivated accounts and the sender are never among them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AudienceInput {
    /// Every account (admins).
    Everyone,
    /// Every patient (admins).
    Patients,
    /// Every practitioner (admins).
    Practitioners,
    /// Patients with a requested or confirmed appointment with the practitioner (admins).
    PatientsOf { practitioner_id: i64 },
    /// Patients with a requested or confirmed appointment on this day (`YYYY-MM-DD` on the
    /// sender's clock), with the practitioner if named. A practitioner's notice is always
    /// to their own patients.
    BookedOn {
        date: String,
        practitioner_id: Option<i64>,
    },
    /// Patients with a requested or confirmed appointment starting in `[from, until)`
    /// (RFC 3339, at most 31 days), with the practitioner if named.
    BookedBetween {
        #[schema(value_type = String, format = DateTime)]
        from: Timestamp,
        #[schema(value_type = String, format = DateTime)]
        until: Timestamp,
        practitioner_id: Option<i64>,
    },
    /// These accounts, up to 10,000 (admins).
    Users { user_ids: Vec<i64> },
}

/// `POST /api/v1/notices`: a draft; nothing is sent until it is confirmed.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    /// Title and text by language (`en`, `fr`, `ar`); each reader gets theirs, else
    /// English, else the first given.
    #[schema(value_type = Object, example = json!({"en": {"title": "Closed on Monday", "message": "The clinic is closed on Monday 7 December."}}))]
    pub texts: BTreeMap<String, TextInput>,
    /// `info` (default), `success`, `warning` or `error`: how the dashboard shows it.
    #[schema(value_type = Option<Severity>)]
    pub severity: Option<String>,
    /// Besides in-app (always): `email`, `sms`. Default `["email"]`.
    #[schema(value_type = Option<Vec<Channel>>)]
    pub channels: Option<Vec<String>>,
    pub audience: AudienceInput,
}

/// How one channel's deliveries stand.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ChannelProgress {
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    /// Dead: failed for good or out of retries.
    pub failed: i64,
    /// Held back by the recipient's choices.
    pub suppressed: i64,
    /// Not sent: the notice was cancelled.
    pub voided: i64,
}

/// How far a notice has got.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeProgress {
    /// Recipients written so far (of `audience_size`).
    pub planned: i64,
    /// In-app copies shown in inboxes.
    pub shown: i64,
    /// In-app copies read.
    pub read: i64,
    pub email: ChannelProgress,
    pub sms: ChannelProgress,
}

/// The audience as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AudienceView {
    /// `everyone`, `patients`, `practitioners`, `patients_of`, `booked_between` or `users`.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub practitioner_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub from: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Option<Timestamp>,
}

/// Who sent it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sender {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A notice with its progress.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub state: NoticeState,
    pub severity: Severity,
    /// Besides in-app.
    pub channels: Vec<Channel>,
    /// Title and text by language.
    #[schema(value_type = Object)]
    pub texts: serde_json::Value,
    pub audience: AudienceView,
    /// How many people it goes to: counted for the draft, and again when it was sent.
    pub audience_size: i64,
    pub sender: Sender,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    /// When every recipient had been written.
    pub finished_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub progress: NoticeProgress,
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::unprocessable(detail)
}

/// The audience of an input, for this sender: admins choose any; a practitioner's notice
/// goes to their own patients booked on a day or in a range.
fn parse_audience(sender: &User, input: &AudienceInput) -> ApiResult<Audience> {
    let own = |practitioner_id: Option<i64>| -> ApiResult<Option<i64>> {
        match (sender.role, practitioner_id) {
            (Role::Practitioner, Some(id)) if id != sender.id => Err(ApiError::forbidden(
                "a practitioner's notice goes to their own patients",
            )),
            (Role::Practitioner, _) => Ok(Some(sender.id)),
            (_, given) => Ok(given),
        }
    };
    let admins_only = || -> ApiResult<()> {
        if sender.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "practitioners send notices to the patients booked with them on a day (booked_on) or in a range (booked_between)",
            ))
        }
    };
    let between = |from: Timestamp, until: Timestamp, practitioner_id: Option<i64>| {
        if until <= from {
            return Err(invalid("audience: until must be after from"));
        }
        if until.millis() - from.millis() > 31 * 86_400_000 {
            return Err(invalid("audience: at most 31 days"));
        }
        Ok(Audience::BookedBetween {
            from,
            until,
            practitioner_id: own(practitioner_id)?,
        })
    };
    match input {
        AudienceInput::Everyone => admins_only().map(|_| Audience::Everyone),
        AudienceInput::Patients => admins_only().map(|_| Audience::Patients),
        AudienceInput::Practitioners => admins_only().map(|_| Audience::Practitioners),
        AudienceInput::PatientsOf { practitioner_id } => {
            admins_only()?;
            Ok(Audience::PatientsOf {
                practitioner_id: *practitioner_id,
            })
        }
        AudienceInput::BookedOn {
            date,
            practitioner_id,
        } => {
            let (from, until) = day_in(date, sender.time_zone)
                .map_err(|e| invalid(format!("audience.date: {}", e.0)))?;
            between(from, until, *practitioner_id)
        }
        AudienceInput::BookedBetween {
            from,
            until,
            practitioner_id,
        } => between(*from, *until, *practitioner_id),
        AudienceInput::Users { user_ids } => {
            admins_only()?;
            if user_ids.is_empty() || user_ids.len() > MAX_LISTED_USERS {
                return Err(invalid(format!(
                    "audience.user_ids: from 1 to {MAX_LISTED_USERS} accounts"
                )));
            }
            Ok(Audience::Users(user_ids.clone()))
        }
    }
}

fn parse_channels(given: Option<&[String]>) -> ApiResult<Vec<Channel>> {
    let mut out = Vec::new();
    for name in given.unwrap_or(&["email".to_owned()]) {
        let channel = Channel::parse(name).map_err(|e| invalid(format!("channels: {}", e.0)))?;
        if channel != Channel::InApp && !out.contains(&channel) {
            out.push(channel);
        }
    }
    out.sort_by_key(|c| Channel::ALL.iter().position(|x| x == c));
    Ok(out)
}

/// Writes a draft and answers how many people it would reach; nothing is sent yet.
pub async fn draft(state: &AppState, sender: &User, input: &NoticeInput) -> ApiResult<NoticeView> {
    if sender.role == Role::Patient {
        return Err(ApiError::forbidden("admins and practitioners send notices"));
    }
    let audience = parse_audience(sender, &input.audience)?;
    let channels = parse_channels(input.channels.as_deref())?;
    let severity = input
        .severity
        .as_deref()
        .map(Severity::parse)
        .transpose()
        .map_err(|e| invalid(format!("severity: {}", e.0)))?
        .unwrap_or(Severity::Info);
    let texts = NoticeTexts::parse(
        input
            .texts
            .iter()
            .map(|(l, t)| (l.as_str(), t.title.as_str(), t.message.as_str())),
        channels.contains(&Channel::Sms),
    )?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if let Some(id) = audience.practitioner_id() {
        users::get(tx.conn(), id)
            .await?
            .filter(|u| u.role == Role::Practitioner)
            .ok_or_else(|| {
                invalid(format!(
                    "audience.practitioner_id: {id} is not a practitioner"
                ))
            })?;
    }
    let new = NewNotice {
        sender_id: sender.id,
        severity,
        channels: &channels,
        texts: &texts,
        audience: &audience,
    };
    let notice = stored::insert_draft(tx.conn(), &new, now)
        .await
        .map_err(|e| match e {
            StoreError::MissingReference => invalid("audience.user_ids: an id names no account"),
            other => other.into(),
        })?;
    audited(tx.conn(), sender, "notice.drafted", &notice, now).await?;
    let view = view_of(tx.conn(), notice).await?;
    tx.commit().await?;
    Ok(view)
}

async fn audited(
    c: &mut Conn,
    actor: &User,
    action: &str,
    notice: &Notice,
    now: Timestamp,
) -> ApiResult<()> {
    let event = audit::NewEvent {
        actor_id: Some(actor.id),
        action,
        target: Some(format!(
            "notice {} to {} people",
            notice.id, notice.audience_size
        )),
        ..Default::default()
    };
    audit::append(c, &event, now).await?;
    Ok(())
}

/// A notice the actor may see: an admin any, a practitioner their own.
async fn visible(
    c: &mut Conn,
    backend: Option<crate::store::Backend>,
    actor: &User,
    id: i64,
) -> ApiResult<Notice> {
    let found = match backend {
        Some(b) => stored::lock(c, b, id).await?,
        None => stored::get(c, id).await?,
    };
    found
        .filter(|n| actor.role == Role::Admin || n.sender_id == actor.id)
        .ok_or_else(|| ApiError::not_found("notice"))
}

/// Sends a draft: its fan-out starts (the audience is counted again). Refused past the
/// sender's rate limit.
pub async fn send(state: &AppState, sender: &User, id: i64) -> ApiResult<NoticeView> {
    let now = state.clock.now();
    let limits = &state.settings.notices;
    let mut tx = state.store.begin().await?;
    let backend = tx.backend();
    let notice = visible(tx.conn(), Some(backend), sender, id).await?;
    if notice.sender_id != sender.id {
        return Err(ApiError::forbidden("only its sender sends a notice"));
    }
    if notice.state != NoticeState::Draft {
        return Err(ApiError::conflict(
            "notice_not_draft",
            format!("this notice is {}, not a draft", notice.state.as_str()),
        ));
    }
    // One sender's sends one at a time, so two at once cannot both pass the limit.
    users::lock(tx.conn(), backend, sender.id).await?;
    let recent = stored::confirmed_since(tx.conn(), sender.id, now.minus(limits.window)).await?;
    if recent.len() >= limits.per_sender as usize {
        let frees_at = recent[recent.len() - limits.per_sender as usize].plus(limits.window);
        let wait = Duration::from_millis((frees_at.millis() - now.millis()).max(1_000) as u64);
        return Err(ApiError::RateLimited {
            retry_after: wait,
            detail: format!(
                "at most {} notices per {}; try again in {} minute(s)",
                limits.per_sender,
                humantime::format_duration(limits.window),
                wait.as_secs().div_ceil(60)
            ),
        });
    }
    stored::confirm(tx.conn(), &notice, now).await?;
    let notice = visible(tx.conn(), None, sender, id).await?;
    audited(tx.conn(), sender, "notice.sent", &notice, now).await?;
    let view = view_of(tx.conn(), notice).await?;
    tx.commit().await?;
    state.dispatcher.wake_planner();
    Ok(view)
}

/// Cancels a draft or a notice in flight: nothing more is written, and what has not been
/// delivered is voided. What was already sent stays sent.
pub async fn cancel(state: &AppState, actor: &User, id: i64) -> ApiResult<NoticeView> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let backend = tx.backend();
    // Waits for a batch being written (its lock), so the next batch sees the cancel.
    let notice = visible(tx.conn(), Some(backend), actor, id).await?;
    if notice.state == NoticeState::Cancelled {
        return Err(ApiError::conflict(
            "notice_cancelled",
            "this notice is already cancelled",
        ));
    }
    let voided = stored::cancel(tx.conn(), id, now).await?;
    let event = audit::NewEvent {
        actor_id: Some(actor.id),
        action: "notice.cancelled",
        target: Some(format!("notice {id}; {voided} deliveries voided")),
        ..Default::default()
    };
    audit::append(tx.conn(), &event, now).await?;
    let notice = visible(tx.conn(), None, actor, id).await?;
    let view = view_of(tx.conn(), notice).await?;
    tx.commit().await?;
    Ok(view)
}

/// One notice with its progress.
pub async fn one(state: &AppState, actor: &User, id: i64) -> ApiResult<NoticeView> {
    let mut c = state.store.acquire().await?;
    let notice = visible(&mut c, None, actor, id).await?;
    view_of(&mut c, notice).await
}

/// Notices newest first: every one for an admin, one's own for a practitioner.
pub async fn list(
    state: &AppState,
    actor: &User,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Vec<NoticeView>> {
    if actor.role == Role::Patient {
        return Err(ApiError::forbidden("admins and practitioners send notices"));
    }
    let mut c = state.store.acquire().await?;
    let sender = (actor.role != Role::Admin).then_some(actor.id);
    let notices = stored::list(&mut c, sender, before, limit).await?;
    let mut out = Vec::with_capacity(notices.len());
    for n in notices {
        out.push(view_of(&mut c, n).await?);
    }
    Ok(out)
}

async fn view_of(c: &mut Conn, n: Notice) -> ApiResult<NoticeView> {
    let p = stored::progress(c, n.id).await?;
    let by = |channel: Channel| {
        let mut out = ChannelProgress::default();
        for (ch, state, count) in &p.jobs {
            if *ch != channel {
                continue;
            }
            let slot = match state {
                JobState::Pending => &mut out.pending,
                JobState::Sending => &mut out.sending,
                JobState::Sent | JobState::Delivered | JobState::Undelivered => &mut out.sent,
                JobState::Dead => &mut out.failed,
                JobState::Suppressed => &mut out.suppressed,
                JobState::Voided => &mut out.voided,
            };
            *slot += count;
        }
        out
    };
    let sender = users::get(c, n.sender_id)
        .await?
        .map(|u| Sender {
            id: u.id,
            name: u.name.as_str().to_owned(),
            role: u.role,
        })
        .ok_or_else(|| ApiError::not_found("sender"))?;
    let (from, until) = match n.audience {
        Audience::BookedBetween { from, until, .. } => (Some(from), Some(until)),
        _ => (None, None),
    };
    Ok(NoticeView {
        id: n.id,
        state: n.state,
        severity: n.severity,
        channels: n.channels.clone(),
        texts: n.texts.to_json(),
        audience: AudienceView {
            kind: n.audience.kind(),
            practitioner_id: n.audience.practitioner_id(),
            from,
            until,
        },
        audience_size: n.audience_size,
        sender,
        created_at: n.created_at,
        confirmed_at: n.confirmed_at,
        finished_at: n.finished_at,
        cancelled_at: n.cancelled_at,
        progress: NoticeProgress {
            planned: p.planned,
            shown: p.shown,
            read: p.read,
            email: by(Channel::Email),
            sms: by(Channel::Sms),
        },
    })
}
