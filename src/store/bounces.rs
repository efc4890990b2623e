//! Email addresses that bounced for good: a permanent SMTP refusal of the mailbox, or a
//! delivery-status notification (RFC 3464) saying it failed. Email to them is suppressed
//! until the account's address changes.

use super::{Conn, StoreResult};
use crate::domain::Timestamp;

/// Where a bounce was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The relay refused the mailbox while carebell was sending (a 55x reply).
    Smtp,
    /// A delivery-status notification came back later.
    Dsn,
}

impl Source {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Dsn => "dsn",
        }
    }
}

/// Marks an address as bouncing (again, with the latest reason).
pub async fn mark(
    c: &mut Conn,
    email: &str,
    status: Option<&str>,
    detail: Option<&str>,
    source: Source,
    now: Timestamp,
) -> StoreResult<()> {
    let detail = detail.map(|d| d.chars().take(300).collect::<String>());
    sqlx::query(
        "INSERT INTO email_bounces (email, bounced_at, status, detail, source) VALUES (lower($1), $2, $3, $4, $5)
         ON CONFLICT (email) DO UPDATE SET bounced_at = $2, status = $3, detail = $4, source = $5",
    )
    .bind(email.trim())
    .bind(now.millis())
    .bind(status.map(str::to_owned))
    .bind(detail)
    .bind(source.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Marks the address of a job's recipient as bouncing: the relay refused the mailbox.
pub async fn mark_for_job(
    c: &mut Conn,
    job_id: i64,
    code: Option<&str>,
    reply: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    let email: Option<String> = sqlx::query_scalar(
        "SELECT u.email FROM delivery_jobs j JOIN notifications n ON n.id = j.notification_id
         JOIN users u ON u.id = n.recipient_id WHERE j.id = $1",
    )
    .bind(job_id)
    .fetch_optional(&mut *c)
    .await?;
    match email {
        Some(email) => mark(c, &email, code, reply, Source::Smtp, now).await,
        None => Ok(()),
    }
}

/// The status a bouncing address bounced with (`5.1.1`, or the SMTP code), if it bounces.
pub async fn status_of(c: &mut Conn, email: &str) -> StoreResult<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT status FROM email_bounces WHERE email = lower($1)")
            .bind(email.trim())
            .fetch_optional(&mut *c)
            .await?;
    Ok(row.map(|r| r.0.unwrap_or_else(|| "bounced".into())))
}
