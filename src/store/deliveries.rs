//! Delivery jobs: one per notification and channel, sent by the dispatcher.

use super::{Conn, StoreResult};
use crate::domain::{Channel, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Pending,
    Sending,
    Sent,
    Dead,
    Voided,
    /// Held back by the recipient's choices (stored as `voided` with `suppressed_at`).
    Suppressed,
    /// Sent, and the provider's receipt says it reached the phone (stored as `sent` with
    /// its `receipt`).
    Delivered,
    /// Sent, and the provider's receipt says it did not reach the phone.
    Undelivered,
}

impl JobState {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Dead => "dead",
            Self::Voided => "voided",
            Self::Suppressed => "suppressed",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
        }
    }

    pub fn parse(s: &str) -> Result<Self, crate::domain::ParseError> {
        match s {
            "pending" => Ok(Self::Pending),
            "sending" => Ok(Self::Sending),
            "sent" => Ok(Self::Sent),
            "dead" => Ok(Self::Dead),
            "voided" => Ok(Self::Voided),
            "suppressed" => Ok(Self::Suppressed),
            "delivered" => Ok(Self::Delivered),
            "undelivered" => Ok(Self::Undelivered),
            other => Err(crate::domain::ParseError::new(format!(
                "unknown job state {other:?}"
            ))),
        }
    }
}

/// A job as operators see it (no message body: that stays with the notification).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DeliveryJob {
    pub id: i64,
    /// The notification it delivers; absent for a webhook job.
    pub notification_id: Option<i64>,
    /// Its recipient; absent for a webhook job.
    pub recipient_id: Option<i64>,
    /// The notification's kind, or a webhook job's event type.
    pub kind: String,
    pub appointment_id: Option<i64>,
    pub channel: Channel,
    pub state: JobState,
    pub due_at: Timestamp,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// For a reminder: when the appointment changed while this send was already handed to
    /// its provider (it could not be called back; the change's message follows it).
    pub in_flight_at_change: Option<Timestamp>,
    /// A job this one waits for (a reminder in flight when its appointment changed).
    pub after_job_id: Option<i64>,
    /// For a webhook job: the endpoint it goes to.
    pub endpoint_id: Option<i64>,
    /// The provider's code in its delivery receipt (why it did not reach the phone).
    pub receipt_code: Option<String>,
    /// For an email sent because a reminder's SMS did not reach the phone: that SMS job.
    pub fallback_for: Option<i64>,
}

fn from_row(row: &AnyRow) -> StoreResult<DeliveryJob> {
    Ok(<DeliveryJob as sqlx::FromRow<AnyRow>>::from_row(row)?)
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

/// A job's state as operators see it: `suppressed` (stored as `voided` with
/// `suppressed_at`) apart from the other voided jobs.
pub(crate) const SHOWN_STATE: &str = "CASE WHEN j.suppressed_at IS NOT NULL THEN 'suppressed'
     WHEN j.state = 'sent' AND j.receipt IS NOT NULL THEN j.receipt ELSE j.state END";

pub async fn list(c: &mut Conn, f: &JobFilter) -> StoreResult<Vec<DeliveryJob>> {
    let rows = sqlx::query(&format!(
        "SELECT j.id, j.notification_id, n.recipient_id, COALESCE(n.kind, w.event_type) AS kind,
                n.appointment_id, j.channel, {SHOWN_STATE} AS state,
                j.due_at, j.attempts, j.last_error, j.created_at, j.updated_at,
                j.in_flight_at_change, j.after_job_id, j.endpoint_id, j.receipt_code, j.fallback_for
         FROM delivery_jobs j LEFT JOIN notifications n ON n.id = j.notification_id
              LEFT JOIN webhook_messages w ON w.id = j.webhook_message_id
         WHERE (CAST($1 AS TEXT) IS NULL OR {SHOWN_STATE} = $1)
           AND (CAST($2 AS TEXT) IS NULL OR j.channel = $2)
           AND (CAST($3 AS BIGINT) IS NULL OR n.recipient_id = $3)
           AND (CAST($4 AS BIGINT) IS NULL OR n.appointment_id = $4)
           AND (CAST($5 AS BIGINT) IS NULL OR j.id < $5)
         ORDER BY j.id DESC LIMIT $6"
    ))
    // An absent filter is bound as NULL, never as a stand-in value.
    .bind(f.state.map(|s| s.as_str()))
    .bind(f.channel.map(|c| c.as_str()))
    .bind(f.recipient_id)
    .bind(f.appointment_id)
    .bind(f.before_id)
    .bind(f.limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A job claimed by a worker. `fence` must be given back when recording the outcome.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    pub id: i64,
    /// The notification it delivers (every channel but webhooks).
    pub notification_id: Option<i64>,
    /// For a webhook job: the message and the endpoint it goes to.
    pub webhook_message_id: Option<i64>,
    pub endpoint_id: Option<i64>,
    pub channel: Channel,
    /// 1 for the first try since the job was queued.
    #[sqlx(rename = "attempts")]
    pub attempt: i64,
    pub fence: i64,
    /// Attempts of this job whose outcome was recorded. A send repeated after a crash
    /// (outcome unknown) has the same count, so the same idempotency key.
    #[sqlx(rename = "finished")]
    pub finished_attempts: i64,
    /// For a reminder: set when the claim found that it still applies and handed it over
    /// (see [`claim`]); `None` for a reminder that no longer applies, and for other jobs.
    pub handed_at: Option<Timestamp>,
}

impl ClaimedJob {
    /// The key a provider uses to recognise a repeated request: the same for a send that is
    /// repeated because its outcome was never recorded (a crash, a lost reply), new for a
    /// retry after a recorded failure.
    pub fn idempotency_key(&self, installation: &str) -> String {
        format!(
            "carebell-{installation}-job{}-try{}",
            self.id,
            self.finished_attempts + 1
        )
    }
}

/// The SQL condition "this reminder notification (`n`) still applies at `$now`": not
/// voided; its appointment confirmed, at the version it was planned for, not started; and
/// no later reminder of the same version also due (after downtime only the most recent
/// meaningful reminder goes out). Kept in step with [`super::reminders::still_applies`],
/// which says why one does not.
pub(crate) const REMINDER_APPLIES: &str = "EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.id = n.appointment_id AND a.status = 'confirmed' AND a.version = n.appointment_version
      AND a.starts_at > $now AND n.voided_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM notifications l
          WHERE l.appointment_id = n.appointment_id AND l.appointment_version = n.appointment_version
            AND l.kind = 'appointment_reminder' AND l.reminder_offset_s < n.reminder_offset_s
            AND l.visible_from <= $now AND l.voided_at IS NULL))";

/// Claims up to `limit` due jobs: pending ones whose `due_at` passed and `sending` ones
/// whose lease expired (their worker died). One statement, so two workers never claim the
/// same job; on PostgreSQL locked rows are skipped rather than waited for. A job that must
/// follow another (`after_job_id`) waits until that one has finished.
///
/// A reminder is checked against its appointment ([`REMINDER_APPLIES`]) in the same
/// statement, and marked handed over (`handed_at`) when it still applies: a cancel,
/// decline or move that commits first leaves it unhanded (the dispatcher drops it), one
/// that commits later finds it in flight and makes its own message follow.
pub async fn claim(
    c: &mut Conn,
    backend: super::Backend,
    now: Timestamp,
    lease: std::time::Duration,
    limit: i64,
) -> StoreResult<Vec<ClaimedJob>> {
    let skip_locked = match backend {
        super::Backend::Sqlite => "",
        super::Backend::Postgres => " FOR UPDATE OF j SKIP LOCKED",
    };
    let lease_until = now.plus(lease).millis();
    let applies = REMINDER_APPLIES.replace("$now", "$1");
    let mut out = Vec::new();
    // Expired leases first: they are the oldest work.
    for (filter, order) in [
        (
            "j.state = 'sending' AND j.lease_until <= $1",
            "j.lease_until",
        ),
        ("j.state = 'pending' AND j.due_at <= $1", "j.due_at"),
    ] {
        let remaining = limit - out.len() as i64;
        if remaining <= 0 {
            break;
        }
        let rows = sqlx::query(&format!(
            "UPDATE delivery_jobs SET state = 'sending', attempts = attempts + 1, fence = fence + 1,
                 lease_until = $2, updated_at = $1,
                 handed_at = CASE WHEN EXISTS (SELECT 1 FROM notifications n
                     WHERE n.id = delivery_jobs.notification_id AND n.kind = 'appointment_reminder'
                       AND {applies}) THEN $1 END
             WHERE id IN (SELECT j.id FROM delivery_jobs j WHERE {filter}
                 AND (j.after_job_id IS NULL OR NOT EXISTS (
                     SELECT 1 FROM delivery_jobs b WHERE b.id = j.after_job_id AND b.state IN ('pending', 'sending')))
                 ORDER BY {order}, j.id LIMIT $3{skip_locked})
             RETURNING id, notification_id, webhook_message_id, endpoint_id, channel, attempts, fence, handed_at,
                 (SELECT COUNT(*) FROM delivery_attempts t WHERE t.job_id = delivery_jobs.id) AS finished"
        ))
        .bind(now.millis())
        .bind(lease_until)
        .bind(remaining)
        .fetch_all(&mut *c)
        .await?;
        for row in rows {
            out.push(<ClaimedJob as sqlx::FromRow<AnyRow>>::from_row(&row)?);
        }
    }
    Ok(out)
}

/// Keeps a claim alive while its send (or its wait for a free connection) goes on.
/// `false` when the job is no longer this worker's.
pub async fn extend_lease(
    c: &mut Conn,
    job: &ClaimedJob,
    now: Timestamp,
    lease: std::time::Duration,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE delivery_jobs SET lease_until = $1 WHERE id = $2 AND fence = $3 AND state = 'sending'",
    )
    .bind(now.plus(lease).millis())
    .bind(job.id)
    .bind(job.fence)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Failed; try again at `retry_at`, or `None` when the schedule is used up (dead).
    Transient {
        retry_at: Option<Timestamp>,
    },
    /// Failed for good (dead).
    Permanent,
    /// Not sent because it no longer applies (voided).
    Dropped,
    /// Held back for good by the recipient's choices (shown as `suppressed`).
    Suppressed,
    /// Held until quiet hours end; does not use up a try.
    Deferred {
        until: Timestamp,
    },
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Transient { .. } => "transient",
            Outcome::Permanent => "permanent",
            Outcome::Dropped => "dropped",
            Outcome::Suppressed => "suppressed",
            Outcome::Deferred { .. } => "deferred",
        }
    }
}

/// One recorded attempt.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attempt {
    pub attempt: i64,
    pub started_at: Timestamp,
    pub duration_ms: i64,
    /// `sent`, `transient`, `permanent` or `dropped`.
    pub outcome: String,
    pub code: Option<String>,
    pub reply: Option<String>,
}

/// What the provider said.
pub struct AttemptRecord<'a> {
    pub started_at: Timestamp,
    pub duration_ms: i64,
    pub outcome: Outcome,
    pub code: Option<&'a str>,
    pub reply: Option<&'a str>,
    /// What the provider calls the message it accepted, for its delivery receipts.
    pub provider_message_id: Option<&'a str>,
}

/// Records an attempt and moves the job on, but only if the caller still holds the job
/// (same fence, still `sending`): a worker whose lease expired and was overtaken records
/// its attempt for the history without touching the job. Returns whether the job moved.
pub async fn record(
    c: &mut Conn,
    job: &ClaimedJob,
    r: &AttemptRecord<'_>,
    now: Timestamp,
) -> StoreResult<bool> {
    let reply = r.reply.map(|s| s.chars().take(1_000).collect::<String>());
    // Nothing was sent: the job itself records why, not an attempt.
    match r.outcome {
        Outcome::Suppressed => {
            let why = reply.unwrap_or_default();
            return super::preferences::suppress_job(c, job.id, job.fence, &why, now).await;
        }
        Outcome::Deferred { until } => {
            let why = reply.unwrap_or_default();
            return super::preferences::defer_job(c, job.id, job.fence, until, &why, now).await;
        }
        _ => {}
    }
    sqlx::query(
        "INSERT INTO delivery_attempts (job_id, attempt, fence, channel, started_at, duration_ms, outcome, code, reply)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(job.id)
    .bind(job.attempt)
    .bind(job.fence)
    .bind(job.channel.as_str())
    .bind(r.started_at.millis())
    .bind(r.duration_ms)
    .bind(r.outcome.name())
    .bind(r.code.map(str::to_owned))
    .bind(reply.clone())
    .execute(&mut *c)
    .await?;
    let (state, due_at, sent_at, error) = match r.outcome {
        Outcome::Sent => (JobState::Sent, None, Some(now.millis()), None),
        Outcome::Transient { retry_at: Some(at) } => {
            (JobState::Pending, Some(at.millis()), None, reply)
        }
        Outcome::Transient { retry_at: None } => (
            JobState::Dead,
            None,
            None,
            Some(format!(
                "retries exhausted; last reply: {}",
                reply.unwrap_or_default()
            )),
        ),
        Outcome::Permanent => (JobState::Dead, None, None, reply),
        Outcome::Dropped => (JobState::Voided, None, None, reply),
        Outcome::Suppressed | Outcome::Deferred { .. } => return Ok(false),
    };
    let moved = sqlx::query(
        "UPDATE delivery_jobs SET state = $1, due_at = COALESCE($2, due_at), sent_at = $3, last_error = $4,
             lease_until = NULL, updated_at = $5, provider_message_id = COALESCE($8, provider_message_id)
         WHERE id = $6 AND fence = $7 AND state = 'sending'",
    )
    .bind(state.as_str())
    .bind(due_at)
    .bind(sent_at)
    .bind(error)
    .bind(now.millis())
    .bind(job.id)
    .bind(job.fence)
    .bind(r.provider_message_id.map(str::to_owned))
    .execute(&mut *c)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Records a provider's receipt on the job it names (by the provider's message id, on that
/// channel). Returns the job's id, or `None` when no job has that id.
pub async fn record_receipt(
    c: &mut Conn,
    channel: Channel,
    provider_id: &str,
    receipt: &str,
    code: Option<&str>,
    now: Timestamp,
) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE delivery_jobs SET receipt = $1, receipt_code = $2, receipt_at = $3
         WHERE provider_message_id = $4 AND channel = $5 RETURNING id",
    )
    .bind(receipt)
    .bind(code.map(str::to_owned))
    .bind(now.millis())
    .bind(provider_id)
    .bind(channel.as_str())
    .fetch_optional(&mut *c)
    .await?)
}

/// Writes the email of a reminder whose SMS (`sms_job_id`) did not reach the phone, due
/// now, unless the reminder already has an email or no longer applies. Returns whether
/// one was written.
pub async fn write_fallback_email(
    c: &mut Conn,
    sms_job_id: i64,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at, fallback_for)
         SELECT j.notification_id, 'email', 'pending', $2, $2, $2, j.id
         FROM delivery_jobs j JOIN notifications n ON n.id = j.notification_id
         WHERE j.id = $1 AND j.channel = 'sms' AND n.kind = 'appointment_reminder' AND n.voided_at IS NULL
         ON CONFLICT DO NOTHING",
    )
    .bind(sms_job_id)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The attempts of a job, oldest first.
pub async fn attempts(c: &mut Conn, job_id: i64) -> StoreResult<Vec<Attempt>> {
    let rows = sqlx::query(
        "SELECT attempt, started_at, duration_ms, outcome, code, reply FROM delivery_attempts
         WHERE job_id = $1 ORDER BY id",
    )
    .bind(job_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok(<Attempt as sqlx::FromRow<AnyRow>>::from_row(r)?))
        .collect()
}

/// Queues a dead job again, due now, with a fresh retry schedule. `false` when there is
/// no such job or it is not dead.
pub async fn retry_dead(c: &mut Conn, id: i64, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE delivery_jobs SET state = 'pending', due_at = $1, attempts = 0, updated_at = $1
         WHERE id = $2 AND state = 'dead'",
    )
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(c: &mut Conn, id: i64) -> StoreResult<Option<DeliveryJob>> {
    let f = JobFilter {
        limit: 1,
        before_id: Some(id + 1),
        ..JobFilter::default()
    };
    Ok(list(c, &f).await?.into_iter().find(|j| j.id == id))
}

/// How many jobs there are by state (`suppressed` counted apart from `voided`) and channel.
pub async fn counts(c: &mut Conn) -> StoreResult<Vec<(JobState, Channel, i64)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {SHOWN_STATE} AS shown, j.channel, COUNT(*) FROM delivery_jobs j GROUP BY shown, j.channel"
    ))
    .fetch_all(&mut *c)
    .await?)
}

/// The due time of the oldest pending job that is due at `now`.
pub async fn oldest_due(c: &mut Conn, now: Timestamp) -> StoreResult<Option<Timestamp>> {
    let min: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(due_at) FROM delivery_jobs WHERE state = 'pending' AND due_at <= $1",
    )
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    Ok(min.map(Timestamp::from_millis))
}
