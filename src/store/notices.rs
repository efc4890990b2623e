//! Notices and their fan-out. A notice is written as a draft with the size of its
//! audience; once confirmed, [`plan_batch`] writes its notifications and delivery jobs a
//! batch of recipients at a time, each batch in its own short transaction that also moves
//! the notice's cursor (`last_recipient_id`), so the fan-out never holds one long
//! transaction, never loads the audience into memory, and after a crash continues where
//! the last committed batch ended: nobody is written twice (a unique index says so too).

use super::{Conn, StoreError, StoreResult, Tx};
use crate::domain::notice::{Audience, NoticeState, NoticeTexts};
use crate::domain::payload::{NoticeFacts, Payload};
use crate::domain::{Channel, Language, Role, Severity, Timestamp};
use sqlx::any::AnyRow;

/// A notice to write.
pub struct NewNotice<'a> {
    pub sender_id: i64,
    pub severity: Severity,
    pub channels: &'a [Channel],
    pub texts: &'a NoticeTexts,
    pub audience: &'a Audience,
}

/// A notice as stored. For a notice to a list of users, `audience` is `Users` with no ids:
/// they are in `notice_members`.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: i64,
    pub sender_id: i64,
    pub state: NoticeState,
    pub severity: Severity,
    pub channels: Vec<Channel>,
    pub texts: NoticeTexts,
    pub audience: Audience,
    pub audience_size: i64,
    pub planned: i64,
    pub last_recipient_id: i64,
    pub created_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    sender_id: i64,
    state: NoticeState,
    severity: Severity,
    channels: String,
    texts: String,
    audience_kind: String,
    audience_practitioner_id: Option<i64>,
    audience_from: Option<Timestamp>,
    audience_to: Option<Timestamp>,
    audience_size: i64,
    planned: i64,
    last_recipient_id: i64,
    created_at: Timestamp,
    confirmed_at: Option<Timestamp>,
    finished_at: Option<Timestamp>,
    cancelled_at: Option<Timestamp>,
}

const COLUMNS: &str = "id, sender_id, state, severity, channels, texts, audience_kind,
    audience_practitioner_id, audience_from, audience_to, audience_size, planned,
    last_recipient_id, created_at, confirmed_at, finished_at, cancelled_at";

fn from_row(row: &AnyRow) -> StoreResult<Notice> {
    let r = <Row as sqlx::FromRow<AnyRow>>::from_row(row)?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("notice {}: {what}", r.id));
    let audience = match r.audience_kind.as_str() {
        "everyone" => Audience::Everyone,
        "patients" => Audience::Patients,
        "practitioners" => Audience::Practitioners,
        "patients_of" => Audience::PatientsOf {
            practitioner_id: r
                .audience_practitioner_id
                .ok_or_else(|| corrupt("no practitioner"))?,
        },
        "booked_between" => Audience::BookedBetween {
            from: r.audience_from.ok_or_else(|| corrupt("no start"))?,
            until: r.audience_to.ok_or_else(|| corrupt("no end"))?,
            practitioner_id: r.audience_practitioner_id,
        },
        "users" => Audience::Users(Vec::new()),
        other => return Err(corrupt(&format!("audience {other:?}"))),
    };
    let channels = r
        .channels
        .split(',')
        .filter(|c| !c.is_empty())
        .map(Channel::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Notice {
        id: r.id,
        sender_id: r.sender_id,
        state: r.state,
        severity: r.severity,
        channels,
        texts: NoticeTexts::from_json(&r.texts)?,
        audience,
        audience_size: r.audience_size,
        planned: r.planned,
        last_recipient_id: r.last_recipient_id,
        created_at: r.created_at,
        confirmed_at: r.confirmed_at,
        finished_at: r.finished_at,
        cancelled_at: r.cancelled_at,
    })
}

/// The condition on `u` (a `users` row) that puts it in the audience of notice
/// `notice_id`, with its parameters numbered from `$first`, and their values in order.
/// Deactivated accounts and the sender are never in it.
fn audience_condition(
    audience: &Audience,
    notice_id: i64,
    sender_id: i64,
    first: usize,
) -> (String, Vec<Option<i64>>) {
    let p = |k: usize| format!("${}", first + k);
    let mut values = vec![Some(sender_id)];
    let base = format!("u.deactivated_at IS NULL AND u.id <> {}", p(0));
    let booked = "a.patient_id = u.id AND a.status IN ('requested', 'confirmed')";
    let specific = match audience {
        Audience::Everyone => "1 = 1".to_owned(),
        Audience::Patients => "u.role = 'patient'".to_owned(),
        Audience::Practitioners => "u.role = 'practitioner'".to_owned(),
        Audience::PatientsOf { practitioner_id } => {
            values.push(Some(*practitioner_id));
            format!(
                "u.role = 'patient' AND EXISTS (SELECT 1 FROM appointments a WHERE {booked} AND a.practitioner_id = {})",
                p(1)
            )
        }
        Audience::BookedBetween {
            from,
            until,
            practitioner_id,
        } => {
            values.extend([Some(from.millis()), Some(until.millis()), *practitioner_id]);
            format!(
                "EXISTS (SELECT 1 FROM appointments a WHERE {booked} AND a.starts_at >= {} AND a.starts_at < {}
                     AND (CAST({} AS BIGINT) IS NULL OR a.practitioner_id = {}))",
                p(1),
                p(2),
                p(3),
                p(3)
            )
        }
        Audience::Users(_) => {
            values.push(Some(notice_id));
            format!(
                "EXISTS (SELECT 1 FROM notice_members m WHERE m.notice_id = {} AND m.user_id = u.id)",
                p(1)
            )
        }
    };
    (format!("{base} AND {specific}"), values)
}

/// Writes a draft with the size its audience has now.
pub async fn insert_draft(c: &mut Conn, n: &NewNotice<'_>, now: Timestamp) -> StoreResult<Notice> {
    let channels: Vec<&str> = n.channels.iter().map(|c| c.as_str()).collect();
    let (practitioner, from, until) = match n.audience {
        Audience::BookedBetween {
            from,
            until,
            practitioner_id,
        } => (*practitioner_id, Some(from.millis()), Some(until.millis())),
        other => (other.practitioner_id(), None, None),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notices (sender_id, state, severity, channels, texts, audience_kind,
             audience_practitioner_id, audience_from, audience_to, audience_size, created_at)
         VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8, 0, $9) RETURNING id",
    )
    .bind(n.sender_id)
    .bind(n.severity.as_str())
    .bind(channels.join(","))
    .bind(n.texts.to_json().to_string())
    .bind(n.audience.kind())
    .bind(practitioner)
    .bind(from)
    .bind(until)
    .bind(now.millis())
    .fetch_one(&mut *c)
    .await?;
    if let Audience::Users(ids) = n.audience {
        for user_id in ids {
            sqlx::query(
                "INSERT INTO notice_members (notice_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(*user_id)
            .execute(&mut *c)
            .await?;
        }
    }
    let size = count_audience(c, n.audience, id, n.sender_id).await?;
    sqlx::query("UPDATE notices SET audience_size = $1 WHERE id = $2")
        .bind(size)
        .bind(id)
        .execute(&mut *c)
        .await?;
    get(c, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("notice {id} vanished")))
}

/// How many people the audience has now.
pub async fn count_audience(
    c: &mut Conn,
    audience: &Audience,
    notice_id: i64,
    sender_id: i64,
) -> StoreResult<i64> {
    let (condition, values) = audience_condition(audience, notice_id, sender_id, 1);
    let sql = format!("SELECT COUNT(*) FROM users u WHERE {condition}");
    let mut q = sqlx::query_scalar(&sql);
    for v in values {
        q = q.bind(v);
    }
    Ok(q.fetch_one(&mut *c).await?)
}

pub async fn get(c: &mut Conn, id: i64) -> StoreResult<Option<Notice>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM notices WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Locks a notice until the transaction ends (PostgreSQL; SQLite's write lock already
/// serialises): a cancel waits for a batch being written, and the next batch sees it.
pub async fn lock(c: &mut Conn, backend: super::Backend, id: i64) -> StoreResult<Option<Notice>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notices WHERE id = $1{}",
        backend.for_update()
    ))
    .bind(id)
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A page of notices, newest first: one sender's, or everyone's.
pub async fn list(
    c: &mut Conn,
    sender_id: Option<i64>,
    before_id: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<Notice>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notices
         WHERE (CAST($1 AS BIGINT) IS NULL OR sender_id = $1)
           AND (CAST($2 AS BIGINT) IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(sender_id)
    .bind(before_id)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(from_row).collect()
}

/// When the sender's notices sent after `since` were confirmed, oldest first.
pub async fn confirmed_since(
    c: &mut Conn,
    sender_id: i64,
    since: Timestamp,
) -> StoreResult<Vec<Timestamp>> {
    let at: Vec<i64> = sqlx::query_scalar(
        "SELECT confirmed_at FROM notices WHERE sender_id = $1 AND confirmed_at > $2 ORDER BY confirmed_at",
    )
    .bind(sender_id)
    .bind(since.millis())
    .fetch_all(&mut *c)
    .await?;
    Ok(at.into_iter().map(Timestamp::from_millis).collect())
}

/// Starts the fan-out of a draft, with the audience size it has now.
pub async fn confirm(c: &mut Conn, n: &Notice, now: Timestamp) -> StoreResult<()> {
    let size = count_audience(c, &n.audience, n.id, n.sender_id).await?;
    sqlx::query(
        "UPDATE notices SET state = 'sending', confirmed_at = $1, audience_size = $2
         WHERE id = $3 AND state = 'draft'",
    )
    .bind(now.millis())
    .bind(size)
    .bind(n.id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Stops a notice: nothing more is written, and what is not yet delivered is voided (its
/// pending jobs, and in-app copies not yet shown). Returns how many jobs were voided.
pub async fn cancel(c: &mut Conn, id: i64, now: Timestamp) -> StoreResult<u64> {
    sqlx::query("UPDATE notices SET state = 'cancelled', cancelled_at = $1 WHERE id = $2")
        .bind(now.millis())
        .bind(id)
        .execute(&mut *c)
        .await?;
    let jobs = sqlx::query(
        "UPDATE delivery_jobs SET state = 'voided', last_error = 'the notice was cancelled', updated_at = $1
         WHERE state = 'pending' AND notification_id IN (SELECT n.id FROM notifications n WHERE n.notice_id = $2)",
    )
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE notifications SET voided_at = $1
         WHERE notice_id = $2 AND delivered_at IS NULL AND voided_at IS NULL",
    )
    .bind(now.millis())
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(jobs.rows_affected())
}

/// How far a notice has got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Recipients written so far.
    pub planned: i64,
    /// In-app copies shown in inboxes, and read there.
    pub shown: i64,
    pub read: i64,
    /// Jobs by channel and state as operators see it.
    pub jobs: Vec<(Channel, super::deliveries::JobState, i64)>,
}

pub async fn progress(c: &mut Conn, id: i64) -> StoreResult<Progress> {
    let (planned, shown, read): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*),
                COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND voided_at IS NULL THEN 1 ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN read_at IS NOT NULL THEN 1 ELSE 0 END), 0)
         FROM notifications WHERE notice_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *c)
    .await?;
    let jobs = sqlx::query_as(&format!(
        "SELECT j.channel, {} AS shown, COUNT(*) FROM delivery_jobs j
         JOIN notifications n ON n.id = j.notification_id
         WHERE n.notice_id = $1 GROUP BY j.channel, shown",
        super::deliveries::SHOWN_STATE
    ))
    .bind(id)
    .fetch_all(&mut *c)
    .await?;
    Ok(Progress {
        planned,
        shown,
        read,
        jobs,
    })
}

/// One batch written by [`plan_batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub notice_id: i64,
    /// Recipients written in this batch.
    pub recipients: usize,
    /// Whether that was the last batch.
    pub finished: bool,
}

/// Writes the next batch of at most `batch` recipients of the oldest notice being sent:
/// one notification each (in the reader's language, from the languages it was written
/// in) and its delivery jobs, and moves the notice's cursor past them, in `tx`. Locked
/// notices are skipped on PostgreSQL, so several instances share the fan-out of several
/// notices and never write the same batch. `None` when no notice is being sent.
pub async fn plan_batch(tx: &mut Tx, now: Timestamp, batch: i64) -> StoreResult<Option<Planned>> {
    let skip_locked = match tx.backend() {
        super::Backend::Sqlite => "",
        super::Backend::Postgres => " FOR UPDATE SKIP LOCKED",
    };
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notices WHERE state = 'sending' ORDER BY id LIMIT 1{skip_locked}"
    ))
    .fetch_optional(tx.conn())
    .await?;
    let Some(notice) = row.as_ref().map(from_row).transpose()? else {
        return Ok(None);
    };
    let sender = super::users::get(tx.conn(), notice.sender_id).await?;
    // A practitioner signs their notices; the clinic's go out in its own name.
    let sender_name = sender
        .filter(|s| s.role == Role::Practitioner)
        .map(|s| s.name.as_str().to_owned());
    let mut payloads = Vec::with_capacity(Language::ALL.len());
    for lang in Language::ALL {
        let text = notice.texts.for_reader(lang);
        let data = Payload::Notice(NoticeFacts {
            title: text.title.clone(),
            message: text.message.clone(),
            notice_id: Some(notice.id),
            sender_name: sender_name.clone(),
        });
        payloads
            .push(serde_json::to_string(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?);
    }
    // $1 severity, $2.. one payload per language, then notice, now, cursor, limit.
    let n = Language::ALL.len();
    let by_language: String = Language::ALL
        .iter()
        .enumerate()
        .map(|(i, l)| format!(" WHEN '{}' THEN ${}", l.code(), i + 2))
        .collect();
    let (notice_p, now_p, cursor_p, limit_p) = (n + 2, n + 3, n + 4, n + 5);
    let (condition, values) =
        audience_condition(&notice.audience, notice.id, notice.sender_id, n + 6);
    let sql = format!(
        "INSERT INTO notifications (recipient_id, kind, severity, link, data, notice_id, created_at, visible_from)
         SELECT u.id, 'system_notice', $1, '/dashboard', CASE u.language{by_language} ELSE $2 END, ${notice_p}, ${now_p}, ${now_p}
         FROM users u WHERE u.id > ${cursor_p} AND {condition}
         ORDER BY u.id LIMIT ${limit_p}
         RETURNING recipient_id"
    );
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(notice.severity.as_str());
    for p in &payloads {
        q = q.bind(p.as_str());
    }
    q = q
        .bind(notice.id)
        .bind(now.millis())
        .bind(notice.last_recipient_id)
        .bind(batch);
    for v in values {
        q = q.bind(v);
    }
    let written = q.fetch_all(tx.conn()).await?;
    let last = written
        .iter()
        .copied()
        .max()
        .unwrap_or(notice.last_recipient_id);
    // The sender's channels, as for every other message: SMS only to those with a number,
    // WhatsApp beside SMS to those who agreed to it, and push to every recipient with a
    // browser that takes notifications.
    let mut channels: Vec<(Channel, &str)> = Vec::new();
    for channel in &notice.channels {
        match channel {
            Channel::Email => channels.push((Channel::Email, "")),
            Channel::Sms => {
                channels.push((
                    Channel::Sms,
                    "JOIN users u ON u.id = n.recipient_id AND u.phone IS NOT NULL",
                ));
                channels.push((
                    Channel::WhatsApp,
                    "JOIN users u ON u.id = n.recipient_id AND u.phone IS NOT NULL AND u.whatsapp_opt_in_at IS NOT NULL",
                ));
            }
            _ => {}
        }
    }
    channels.push((
        Channel::Push,
        "JOIN (SELECT DISTINCT p.user_id FROM push_subscriptions p) s ON s.user_id = n.recipient_id",
    ));
    for (channel, only) in channels {
        sqlx::query(&format!(
            "INSERT INTO delivery_jobs (notification_id, channel, state, due_at, created_at, updated_at)
             SELECT n.id, $1, 'pending', $2, $2, $2 FROM notifications n {only}
             WHERE n.notice_id = $3 AND n.recipient_id > $4 AND n.recipient_id <= $5"
        ))
        .bind(channel.as_str())
        .bind(now.millis())
        .bind(notice.id)
        .bind(notice.last_recipient_id)
        .bind(last)
        .execute(tx.conn())
        .await?;
    }
    let finished = (written.len() as i64) < batch;
    sqlx::query(
        "UPDATE notices SET planned = planned + $1, last_recipient_id = $2,
             state = CASE WHEN $3 = 1 THEN 'sent' ELSE state END,
             finished_at = CASE WHEN $3 = 1 THEN $4 ELSE finished_at END
         WHERE id = $5",
    )
    .bind(written.len() as i64)
    .bind(last)
    .bind(i64::from(finished))
    .bind(now.millis())
    .bind(notice.id)
    .execute(tx.conn())
    .await?;
    Ok(Some(Planned {
        notice_id: notice.id,
        recipients: written.len(),
        finished,
    }))
}
