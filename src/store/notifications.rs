//! In-app notification records and the delivery jobs written with them.

use super::{Conn, Query, StoreResult};
use crate::domain::payload::Payload;
use crate::domain::{Channel, NotificationKind, Severity, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;

/// A stored notification, as its recipient sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub recipient_id: i64,
    pub kind: NotificationKind,
    pub severity: Severity,
    /// Rendered for the reader from the catalogue when read (empty as loaded).
    #[sqlx(skip)]
    pub title: String,
    /// Rendered for the reader from the catalogue when read (empty as loaded).
    #[sqlx(skip)]
    pub message: String,
    pub link: Option<String>,
    /// The notification's typed payload. About an appointment: appointment_id,
    /// appointment_version, status, starts_at, ends_at, previous_starts_at, patient_name,
    /// practitioner_name, urgency, cancelled_by, status_reason, calendar (request or cancel,
    /// when the step changes a calendar), reminder_offset_s. About availability:
    /// practitioner_id, practitioner_name, slot_ids, first_slot_starts_at, note. Never the
    /// reason for the visit.
    #[sqlx(try_from = "String")]
    #[schema(value_type = Object)]
    pub data: Payload,
    pub appointment_id: Option<i64>,
    /// Whether `read_at` is set.
    #[sqlx(skip)]
    pub read: bool,
    pub read_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// When it appeared in the inbox: `created_at`, or for a reminder the time it fell
    /// due. Lists are ordered by it.
    #[sqlx(rename = "visible_from")]
    pub visible_at: Timestamp,
    /// Its place in the recipient's live stream: given when it reached the in-app inbox,
    /// in commit order (the stream's event id). `None` until then.
    pub seq: Option<i64>,
}

/// A notification to write, with the channels it is delivered on besides in-app.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub recipient_id: i64,
    pub kind: NotificationKind,
    pub severity: Severity,
    pub link: Option<String>,
    pub data: Payload,
    pub appointment_id: Option<i64>,
    pub appointment_version: Option<i64>,
    /// Delivery channels other than in-app; one pending job is written for each.
    pub channels: Vec<Channel>,
    /// When it appears in-app and its jobs fall due; `None` for at once. Reminders use
    /// the start minus their offset.
    pub visible_from: Option<Timestamp>,
    /// For reminders, how long before the start.
    pub reminder_offset: Option<std::time::Duration>,
    /// When its jobs fall due, if not with `visible_from` (a reminder sent before quiet
    /// hours that would hold it too late).
    pub jobs_due: Option<Timestamp>,
}

const COLUMNS: &str = "id, recipient_id, kind, severity, link, data, appointment_id, read_at, created_at, visible_from, seq";

fn from_row(row: &AnyRow) -> StoreResult<Notification> {
    let mut n = <Notification as sqlx::FromRow<AnyRow>>::from_row(row)?;
    n.read = n.read_at.is_some();
    Ok(n)
}

/// Writes the notification and one pending delivery job per non-in-app channel, due now.
/// Call it inside the transaction that changes the state the notification is about.
pub async fn insert(c: &mut Conn, n: &NewNotification, now: Timestamp) -> StoreResult<i64> {
    insert_shown(c, n, now, true).await
}

/// Like [`insert`], for a message that travels only by its channels and never shows in
/// the inbox (a password reset): it is written as already handed to the inbox, with no
/// stream position, and every inbox read leaves it out.
pub async fn insert_not_in_inbox(
    c: &mut Conn,
    n: &NewNotification,
    now: Timestamp,
) -> StoreResult<i64> {
    insert_shown(c, n, now, false).await
}

/// The columns a notification is written with, as bound by [`bind`].
const INSERT_INTO: &str = "INSERT INTO notifications (recipient_id, kind, severity, link, data,
     appointment_id, appointment_version, created_at, visible_from, reminder_offset_s,
     in_app, delivered_at)";

/// How many parameters [`bind`] gives one notification.
pub(super) const PARAMS: usize = 14;

/// One statement writing a notification and its jobs ([`ctes`] from the first
/// parameter), returning its `id`: PostgreSQL only.
fn together() -> String {
    format!("WITH {} SELECT id FROM n", ctes(1, 0).join(", "))
}

/// The `WITH` parts that write `count` notifications (`n0`, `n1`, …, the `k`-th on
/// parameters `after + k * PARAMS + 1 ..`, as [`bind`] gives them), listed in `n` with
/// their `k`, and their jobs, job ids in the notifications' order, then each channel's.
pub(super) fn ctes(count: usize, after: usize) -> Vec<String> {
    let mut parts = Vec::with_capacity(count + 2);
    let mut written = Vec::with_capacity(count);
    for k in 0..count {
        let p = |i: usize| format!("${}", after + k * PARAMS + i);
        let values: Vec<String> = (1..=12).map(p).collect();
        parts.push(format!(
            "n{k} AS ({INSERT_INTO} VALUES ({}) RETURNING id)",
            values.join(", ")
        ));
        written.push(format!(
            "SELECT id, {k} AS k, {due} AS due, {at} AS at, {channels} AS channels FROM n{k}",
            due = p(13),
            at = p(8),
            channels = p(14),
        ));
    }
    parts.push(format!("n AS ({})", written.join(" UNION ALL ")));
    parts.push(
        "jobs AS (INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at)
             SELECT n.id, ch.channel, 'pending', n.due, n.at, n.at
             FROM n, unnest(string_to_array(n.channels, ',')) WITH ORDINALITY AS ch (channel, o)
             ORDER BY n.k, ch.o)"
            .to_owned(),
    );
    parts
}

/// Binds a notification's twelve columns, then `with_jobs` when its jobs fall due and
/// their channels (comma-separated, in-app left out): [`PARAMS`] in all.
pub(super) fn bind<'q>(
    query: Query<'q>,
    n: &NewNotification,
    now: Timestamp,
    in_inbox: bool,
    with_jobs: bool,
) -> StoreResult<Query<'q>> {
    let due = n.jobs_due.or(n.visible_from).unwrap_or(now);
    let channels: Vec<&str> = n
        .channels
        .iter()
        .filter(|ch| **ch != Channel::InApp)
        .map(|ch| ch.as_str())
        .collect();
    let query = query
        .bind(n.recipient_id)
        .bind(n.kind.as_str())
        .bind(n.severity.as_str())
        .bind(n.link.clone())
        .bind(
            serde_json::to_string(&n.data)
                .map_err(|e| super::StoreError::Corrupt(e.to_string()))?,
        )
        .bind(n.appointment_id)
        .bind(n.appointment_version)
        .bind(now.millis())
        .bind(n.visible_from.unwrap_or(now).millis())
        .bind(n.reminder_offset.map(|o| o.as_secs() as i64))
        .bind(i64::from(in_inbox))
        .bind((!in_inbox).then_some(now.millis()));
    Ok(if with_jobs {
        query.bind(due.millis()).bind(channels.join(","))
    } else {
        query
    })
}

async fn insert_shown(
    c: &mut Conn,
    n: &NewNotification,
    now: Timestamp,
    in_inbox: bool,
) -> StoreResult<i64> {
    // On PostgreSQL the record and its delivery jobs go in one statement (one round trip
    // instead of one per job); SQLite, in the process, takes no writing `WITH`.
    if c.backend_name() == "PostgreSQL" {
        let sql = together();
        let row = bind(sqlx::query(&sql), n, now, in_inbox, true)?
            .fetch_one(&mut *c)
            .await?;
        return super::col::<i64>(&row, "id");
    }
    let values: Vec<String> = (1..=12).map(|i| format!("${i}")).collect();
    let sql = format!("{INSERT_INTO} VALUES ({}) RETURNING id", values.join(", "));
    let row = bind(sqlx::query(&sql), n, now, in_inbox, false)?
        .fetch_one(&mut *c)
        .await?;
    let id = super::col::<i64>(&row, "id")?;
    let due = n.jobs_due.or(n.visible_from).unwrap_or(now);
    for channel in n.channels.iter().filter(|ch| **ch != Channel::InApp) {
        super::deliveries::insert_pending(c, id, *channel, due, now).await?;
    }
    Ok(id)
}

/// Which notifications a recipient sees at `$now`: inbox ones, not voided, and reminders
/// only once delivered (the pump checks them against the appointment first).
const VISIBLE: &str = "in_app = 1 AND voided_at IS NULL AND visible_from <= $now
     AND (delivered_at IS NOT NULL OR kind <> 'appointment_reminder')";

/// [`VISIBLE`] with "now" taken from the statement's parameter `now_param` (`"$2"`, say):
/// the value is bound, never pasted into the SQL text, so the statement is prepared once.
fn visible(now_param: &str) -> String {
    VISIBLE.replace("$now", now_param)
}

/// A page of a recipient's notifications, newest first by when each became visible (a
/// reminder planned days ago sorts where it appeared). `before_id` is the last id of the
/// previous page.
pub async fn list(
    c: &mut Conn,
    recipient_id: i64,
    unread_only: bool,
    before_id: Option<i64>,
    limit: i64,
    now: Timestamp,
) -> StoreResult<Vec<Notification>> {
    let cursor = if before_id.is_some() {
        "AND (visible_from, id) < (SELECT visible_from, id FROM notifications WHERE id = $5)"
    } else {
        "AND CAST($5 AS BIGINT) IS NULL"
    };
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE recipient_id = $1 AND ($2 = 0 OR read_at IS NULL) {cursor} AND {}
         ORDER BY visible_from DESC, id DESC LIMIT $3",
        visible("$4")
    ))
    .bind(recipient_id)
    .bind(i64::from(unread_only))
    .bind(limit)
    .bind(now.millis())
    .bind(before_id)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The recipient's visible notifications about one appointment, oldest first: what
/// happened to it, as that reader was told.
pub async fn about_appointment(
    c: &mut Conn,
    recipient_id: i64,
    appointment_id: i64,
    now: Timestamp,
) -> StoreResult<Vec<Notification>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE recipient_id = $1 AND appointment_id = $2 AND {}
         ORDER BY visible_from, id LIMIT 100",
        visible("$3")
    ))
    .bind(recipient_id)
    .bind(appointment_id)
    .bind(now.millis())
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The recipient's notifications that reached the inbox after stream position `after_seq`,
/// in stream order: what a live client has not been sent yet.
pub async fn list_after_seq(
    c: &mut Conn,
    recipient_id: i64,
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<Notification>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications
         WHERE recipient_id = $1 AND seq > $2 AND voided_at IS NULL
         ORDER BY seq LIMIT $3"
    ))
    .bind(recipient_id)
    .bind(after_seq)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The recipient's latest stream position (0 when nothing reached the inbox yet).
pub async fn last_seq(c: &mut Conn, recipient_id: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(seq), 0) FROM notifications WHERE recipient_id = $1 AND seq IS NOT NULL",
    )
    .bind(recipient_id)
    .fetch_one(&mut *c)
    .await?)
}

pub async fn unread_count(c: &mut Conn, recipient_id: i64, now: Timestamp) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL AND {}",
        visible("$2")
    ))
    .bind(recipient_id)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?)
}

/// Marks one of the recipient's notifications read. `false` when the recipient has no
/// such notification; marking an already read one again is fine.
pub async fn mark_read(
    c: &mut Conn,
    recipient_id: i64,
    id: i64,
    now: Timestamp,
) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE notifications SET read_at = COALESCE(read_at, $1)
             WHERE id = $2 AND recipient_id = $3 AND {} RETURNING id",
        visible("$1")
    ))
    .bind(now.millis())
    .bind(id)
    .bind(recipient_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(found.is_some())
}

/// Marks all of the recipient's notifications that they can see read; returns how many
/// changed. A reminder not yet shown stays unread, so it rings the bell when it appears.
pub async fn mark_all_read(c: &mut Conn, recipient_id: i64, now: Timestamp) -> StoreResult<u64> {
    let done = sqlx::query(&format!(
        "UPDATE notifications SET read_at = $1 WHERE recipient_id = $2 AND read_at IS NULL AND {}",
        visible("$1")
    ))
    .bind(now.millis())
    .bind(recipient_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected())
}

/// A notification with its recipient, for the dispatcher.
pub async fn with_recipient(
    c: &mut Conn,
    id: i64,
) -> StoreResult<Option<(Notification, super::users::User)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    let Some(n) = row.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    Ok(super::users::get(c, n.recipient_id).await?.map(|u| (n, u)))
}

/// An in-app notification that just reached the inbox.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct DueInApp {
    pub id: i64,
    pub recipient_id: i64,
    pub seq: i64,
}

/// Delivers up to `limit` due in-app notifications, oldest first, giving each the next
/// stream position (`seq`). Due reminders that no longer apply are voided instead, in the
/// same transaction, so a change that commits first always wins.
///
/// Positions are given under a lock held until commit (SQLite's write lock; on PostgreSQL a
/// transaction-level advisory lock), so a reader never sees a higher `seq` before a lower
/// one: a live stream that resumes after the last position it sent skips nothing.
pub async fn deliver_due_in_app(
    tx: &mut super::Tx,
    now: Timestamp,
    limit: i64,
) -> StoreResult<Vec<DueInApp>> {
    tx.serialize_on(STREAM_ORDER_LOCK).await?;
    let applies = super::deliveries::REMINDER_APPLIES.replace("$now", "$1");
    sqlx::query(&format!(
        "UPDATE notifications SET voided_at = $1
         WHERE id IN (SELECT n.id FROM notifications n
                      WHERE n.delivered_at IS NULL AND n.voided_at IS NULL AND n.visible_from <= $1
                        AND n.kind = 'appointment_reminder' AND NOT {applies})"
    ))
    .bind(now.millis())
    .execute(tx.conn())
    .await?;
    let base: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM notifications")
        .fetch_one(tx.conn())
        .await?;
    let rows = sqlx::query(&format!(
        "UPDATE notifications SET delivered_at = $1, seq = $2 + d.rn
         FROM (SELECT n.id AS nid, ROW_NUMBER() OVER (ORDER BY n.visible_from, n.id) AS rn
               FROM notifications n
               WHERE n.delivered_at IS NULL AND n.voided_at IS NULL AND n.visible_from <= $1
                 AND (n.kind <> 'appointment_reminder' OR {applies})
               ORDER BY n.visible_from, n.id LIMIT $3) AS d
         WHERE notifications.id = d.nid
         RETURNING id, recipient_id, seq"
    ))
    .bind(now.millis())
    .bind(base)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    let mut out = rows
        .iter()
        .map(|r| Ok(<DueInApp as sqlx::FromRow<AnyRow>>::from_row(r)?))
        .collect::<StoreResult<Vec<_>>>()?;
    out.sort_unstable_by_key(|d| d.seq);
    Ok(out)
}

/// Whether any in-app notification is due and not yet delivered (a cheap look first).
pub async fn any_due_in_app(c: &mut Conn, now: Timestamp) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM notifications
         WHERE delivered_at IS NULL AND voided_at IS NULL AND visible_from <= $1 LIMIT 1",
    )
    .bind(now.millis())
    .fetch_optional(&mut *c)
    .await?;
    Ok(found.is_some())
}

/// The advisory lock that orders stream positions on PostgreSQL.
const STREAM_ORDER_LOCK: i64 = 0x6361_7265_6265_6c6c; // "carebell"

/// When `recipient_id` was last shown an availability alert behind `link` (the
/// practitioner's page), if ever: alerts are throttled per follower and practitioner.
pub async fn last_alert(
    c: &mut Conn,
    recipient_id: i64,
    link: &str,
    now: Timestamp,
) -> StoreResult<Option<Timestamp>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(visible_from) FROM notifications
         WHERE recipient_id = $1 AND kind = 'new_availability' AND link = $2
           AND voided_at IS NULL AND visible_from <= $3",
    )
    .bind(recipient_id)
    .bind(link)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    Ok(at.map(Timestamp::from_millis))
}

/// Voids the availability digest behind `link` still waiting to be shown to
/// `recipient_id`, with its jobs: a newer alert replaces it, so one digest goes out.
pub async fn void_waiting_alert(
    c: &mut Conn,
    recipient_id: i64,
    link: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let waiting = "SELECT id FROM notifications
         WHERE recipient_id = $1 AND kind = 'new_availability' AND link = $2
           AND voided_at IS NULL AND visible_from > $3";
    sqlx::query(&format!(
        "UPDATE delivery_jobs SET state = 'voided', last_error = 'folded into a newer digest', updated_at = $3
         WHERE state = 'pending' AND notification_id IN ({waiting})"
    ))
    .bind(recipient_id)
    .bind(link)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    sqlx::query(&format!(
        "UPDATE notifications SET voided_at = $3 WHERE id IN ({waiting})"
    ))
    .bind(recipient_id)
    .bind(link)
    .bind(now.millis())
    .execute(&mut *c)
    .await?;
    Ok(())
}
