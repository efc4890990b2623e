//! Recipients' choices: channels per category, their own quiet hours, numbers opted out of
//! SMS, and the append-only record of every change (the database refuses to edit it).

use super::{Conn, StoreResult};
use crate::domain::{Category, Channel, LocalTime, QuietHours, Timestamp};
use serde::Serialize;

/// The stored choices of a user (pairs without a row follow the clinic's default).
pub async fn choices(c: &mut Conn, user_id: i64) -> StoreResult<Vec<(Category, Channel, bool)>> {
    let rows: Vec<(Category, Channel, i64)> =
        sqlx::query_as("SELECT category, channel, enabled FROM preferences WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&mut *c)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(k, ch, on)| (k, ch, on != 0))
        .collect())
}

pub async fn set_choice(
    c: &mut Conn,
    user_id: i64,
    category: Category,
    channel: Channel,
    enabled: bool,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO preferences (user_id, category, channel, enabled, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, category, channel)
         DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
    )
    .bind(user_id)
    .bind(category.as_str())
    .bind(channel.as_str())
    .bind(i64::from(enabled))
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Everything a recipient chose, read in one statement (the dispatcher reads it for every
/// job): their stored choices, their own quiet hours, and whether their number said STOP.
#[derive(Debug, Clone, Default)]
pub struct Chosen {
    pub choices: Vec<(Category, Channel, bool)>,
    pub own_quiet_hours: Option<QuietHours>,
    pub sms_opted_out: bool,
    /// The account's address bounced for good: with which status.
    pub email_bounce: Option<String>,
}

pub async fn chosen_by(c: &mut Conn, user_id: i64) -> StoreResult<Chosen> {
    #[derive(sqlx::FromRow)]
    struct Row {
        quiet_start: Option<i64>,
        quiet_end: Option<i64>,
        opted_out: i64,
        bounce: Option<String>,
        category: Option<Category>,
        channel: Option<Channel>,
        enabled: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT u.quiet_start, u.quiet_end,
                (SELECT COUNT(*) FROM sms_opt_outs o WHERE o.phone = u.phone) AS opted_out,
                (SELECT COALESCE(b.status, 'bounced') FROM email_bounces b WHERE b.email = lower(u.email)) AS bounce,
                p.category, p.channel, p.enabled
         FROM users u LEFT JOIN preferences p ON p.user_id = u.id
         WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(Chosen::default());
    };
    Ok(Chosen {
        own_quiet_hours: quiet_hours(first.quiet_start, first.quiet_end),
        sms_opted_out: first.opted_out > 0,
        email_bounce: first.bounce.clone(),
        choices: rows
            .iter()
            .filter_map(|r| Some((r.category?, r.channel?, r.enabled? != 0)))
            .collect(),
    })
}

fn quiet_hours(start: Option<i64>, end: Option<i64>) -> Option<QuietHours> {
    let minutes = |m: i64| {
        u16::try_from(m)
            .ok()
            .and_then(|m| LocalTime::from_minutes(m).ok())
    };
    Some(QuietHours {
        start: minutes(start?)?,
        end: minutes(end?)?,
    })
}

/// The user's own quiet hours, when they chose some.
pub async fn own_quiet_hours(c: &mut Conn, user_id: i64) -> StoreResult<Option<QuietHours>> {
    let row: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT quiet_start, quiet_end FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *c)
            .await?;
    Ok(row.and_then(|(s, e)| quiet_hours(s, e)))
}

/// Sets (or, with `None`, clears back to the clinic's) the user's quiet hours.
pub async fn set_quiet_hours(
    c: &mut Conn,
    user_id: i64,
    hours: Option<QuietHours>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET quiet_start = $1, quiet_end = $2 WHERE id = $3")
        .bind(hours.map(|h| i64::from(h.start.minutes())))
        .bind(hours.map(|h| i64::from(h.end.minutes())))
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Opts a number out of SMS; `false` when it already was.
pub async fn opt_out(c: &mut Conn, phone: &str, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO sms_opt_outs (phone, opted_out_at) VALUES ($1, $2)
         ON CONFLICT (phone) DO NOTHING",
    )
    .bind(phone)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Opts a number back in; `false` when it was not opted out.
pub async fn opt_in(c: &mut Conn, phone: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM sms_opt_outs WHERE phone = $1")
        .bind(phone)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The accounts a number belongs to.
pub async fn users_with_phone(c: &mut Conn, phone: &str) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM users WHERE phone = $1 ORDER BY id")
            .bind(phone)
            .fetch_all(&mut *c)
            .await?,
    )
}

/// Where a change of consent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Dashboard,
    Api,
    SmsKeyword,
    UnsubscribeLink,
    /// An admin, on the person's request.
    Admin,
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Dashboard => "dashboard",
            Source::Api => "api",
            Source::SmsKeyword => "sms_keyword",
            Source::UnsubscribeLink => "unsubscribe_link",
            Source::Admin => "admin",
        }
    }
}

/// One change to append.
#[derive(Debug, Clone)]
pub struct ConsentChange<'a> {
    pub user_id: Option<i64>,
    pub phone: Option<&'a str>,
    /// `email`, `sms`, or `all` (quiet hours).
    pub channel: &'a str,
    /// A category, `quiet_hours`, or `None` for every category (an SMS opt-out).
    pub category: Option<&'a str>,
    pub old_value: &'a str,
    pub new_value: &'a str,
    pub source: Source,
    pub actor_id: Option<i64>,
}

pub async fn record(c: &mut Conn, r: &ConsentChange<'_>, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consent_records (user_id, phone, at, channel, category, old_value, new_value, source, actor_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.user_id)
    .bind(r.phone.map(str::to_owned))
    .bind(now.millis())
    .bind(r.channel)
    .bind(r.category.map(str::to_owned))
    .bind(r.old_value)
    .bind(r.new_value)
    .bind(r.source.as_str())
    .bind(r.actor_id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A recorded change, as admins read it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ConsentRecord {
    pub id: i64,
    pub user_id: Option<i64>,
    /// The number, for an SMS opt-out or opt-in.
    pub phone: Option<String>,
    pub at: Timestamp,
    /// `email`, `sms`, or `all` (quiet hours).
    pub channel: String,
    /// A category, `quiet_hours`, or absent for every category (an SMS opt-out).
    pub category: Option<String>,
    pub old_value: String,
    pub new_value: String,
    /// `dashboard`, `api`, `sms_keyword`, `unsubscribe_link` or `admin`.
    pub source: String,
    /// Who made the change, when not the person themselves.
    pub actor_id: Option<i64>,
}

/// A user's record, oldest first: their own changes and those of their number.
pub async fn records_of(c: &mut Conn, user_id: i64) -> StoreResult<Vec<ConsentRecord>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.user_id, r.phone, r.at, r.channel, r.category, r.old_value, r.new_value, r.source, r.actor_id
         FROM consent_records r
         WHERE r.user_id = $1
            OR (r.user_id IS NULL AND r.phone = (SELECT phone FROM users WHERE id = $1))
         ORDER BY r.id",
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await?)
}

/// Marks a job held back by the recipient's choices: never sent, never retried, shown as
/// `suppressed` with `reason`. Only while the caller holds it (same fence, `sending`).
pub async fn suppress_job(
    c: &mut Conn,
    job_id: i64,
    fence: i64,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE delivery_jobs SET state = 'voided', suppressed_at = $1, last_error = $2,
             lease_until = NULL, updated_at = $1
         WHERE id = $3 AND fence = $4 AND state = 'sending'",
    )
    .bind(now.millis())
    .bind(reason)
    .bind(job_id)
    .bind(fence)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts a job back, due at `until` (the end of quiet hours), without using up a try.
pub async fn defer_job(
    c: &mut Conn,
    job_id: i64,
    fence: i64,
    until: Timestamp,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE delivery_jobs SET state = 'pending', due_at = $1, last_error = $2,
             attempts = attempts - 1, lease_until = NULL, updated_at = $3, handed_at = NULL
         WHERE id = $4 AND fence = $5 AND state = 'sending'",
    )
    .bind(until.millis())
    .bind(reason)
    .bind(now.millis())
    .bind(job_id)
    .bind(fence)
    .execute(&mut *c)
    .await?;
    if done.rows_affected() == 1 {
        // A reminder is handed over when claimed; held back instead, it was never sent, so a
        // message that was made to follow it (its appointment changed meanwhile) need not
        // wait for quiet hours to end. The reminder itself no longer applies then, and is
        // dropped at its next claim.
        sqlx::query("UPDATE delivery_jobs SET after_job_id = NULL WHERE after_job_id = $1")
            .bind(job_id)
            .execute(&mut *c)
            .await?;
    }
    Ok(done.rows_affected() == 1)
}
