//! Delivery jobs: one per notification and channel, sent by the dispatcher.

use super::{col, Conn, StoreResult};
use crate::domain::{Channel, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Pending,
    Sending,
    Sent,
    Dead,
    Voided,
}

impl JobState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::Voided => "voided",
        }
    }

    pub fn parse(s: &str) -> Result<Self, crate::domain::ParseError> {
        match s {
            "pending" => Ok(Self::Pending),
            "sending" => Ok(Self::Sending),
            "sent" => Ok(Self::Sent),
            "dead" => Ok(Self::Dead),
            "voided" => Ok(Self::Voided),
            other => Err(crate::domain::ParseError::new(format!(
                "unknown job state {other:?}"
            ))),
        }
    }
}

/// A job as operators see it (no message body: that stays with the notification).
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryJob {
    pub id: i64,
    pub notification_id: i64,
    pub recipient_id: i64,
    pub kind: String,
    pub appointment_id: Option<i64>,
    pub channel: Channel,
    pub state: JobState,
    pub due_at: Timestamp,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn from_row(row: &AnyRow) -> StoreResult<DeliveryJob> {
    Ok(DeliveryJob {
        id: col(row, "id")?,
        notification_id: col(row, "notification_id")?,
        recipient_id: col(row, "recipient_id")?,
        kind: col(row, "kind")?,
        appointment_id: col(row, "appointment_id")?,
        channel: Channel::parse(&col::<String>(row, "channel")?)?,
        state: JobState::parse(&col::<String>(row, "state")?)?,
        due_at: Timestamp::from_millis(col(row, "due_at")?),
        attempts: col(row, "attempts")?,
        last_error: col(row, "last_error")?,
        created_at: Timestamp::from_millis(col(row, "created_at")?),
        updated_at: Timestamp::from_millis(col(row, "updated_at")?),
    })
}

pub async fn insert_pending(
    c: &mut Conn,
    notification_id: i64,
    channel: Channel,
    due_at: Timestamp,
    now: Timestamp,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at)
         VALUES ($1, $2, 'pending', $3, $4, $4) RETURNING id",
    )
    .bind(notification_id)
    .bind(channel.as_str())
    .bind(due_at.millis())
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?)
}

/// Filters for the operators' list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub channel: Option<Channel>,
    pub recipient_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(c: &mut Conn, f: &JobFilter) -> StoreResult<Vec<DeliveryJob>> {
    let rows = sqlx::query(
        "SELECT j.id, j.notification_id, n.recipient_id, n.kind, n.appointment_id, j.channel, j.state,
                j.due_at, j.attempts, j.last_error, j.created_at, j.updated_at
         FROM delivery_jobs j JOIN notifications n ON n.id = j.notification_id
         WHERE ($1 = '' OR j.state = $1) AND ($2 = '' OR j.channel = $2)
           AND ($3 = 0 OR n.recipient_id = $3) AND ($4 = 0 OR n.appointment_id = $4) AND j.id < $5
         ORDER BY j.id DESC LIMIT $6",
    )
    .bind(f.state.map(|s| s.as_str()).unwrap_or(""))
    .bind(f.channel.map(|c| c.as_str()).unwrap_or(""))
    .bind(f.recipient_id.unwrap_or(0))
    .bind(f.appointment_id.unwrap_or(0))
    .bind(f.before_id.unwrap_or(i64::MAX))
    .bind(f.limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}
