//! What a lifecycle step writes besides the state change itself: its notifications and
//! their delivery jobs, its webhook message and jobs, its audit entry. On PostgreSQL they
//! are one statement, one round trip where there were four or more; SQLite, in the
//! process, takes no writing `WITH` and runs them one by one.

use super::{audit, notifications, webhooks, Conn, StoreResult};
use crate::domain::Timestamp;
use notifications::NewNotification;

/// One step's writes.
pub struct StepWrites<'a> {
    pub notifications: &'a [NewNotification],
    /// The webhook event's type and data, for the endpoints that want it.
    pub webhook: Option<(&'a str, serde_json::Value)>,
    pub audit: audit::NewEvent<'a>,
}

/// Writes them inside the caller's transaction.
pub async fn write(c: &mut Conn, w: StepWrites<'_>, now: Timestamp) -> StoreResult<()> {
    if c.backend_name() != "PostgreSQL" {
        for n in w.notifications {
            notifications::insert(c, n, now).await?;
        }
        if let Some((kind, data)) = w.webhook {
            webhooks::enqueue(c, kind, data, now).await?;
        }
        return audit::append(c, &w.audit, now).await;
    }
    let mut parts = Vec::new();
    let mut after = 0;
    if !w.notifications.is_empty() {
        parts.extend(notifications::ctes(w.notifications.len(), after));
        after += w.notifications.len() * notifications::PARAMS;
    }
    if w.webhook.is_some() {
        parts.extend(webhooks::ctes(after));
        after += webhooks::PARAMS;
    }
    parts.push(format!("au AS ({})", audit::insert(after)));
    // Every part writes whether or not the final query reads it.
    let sql = format!("WITH {} SELECT 1", parts.join(", "));
    let mut query = sqlx::query(&sql);
    for n in w.notifications {
        query = notifications::bind(query, n, now, true, true)?;
    }
    if let Some((kind, data)) = w.webhook {
        query = webhooks::bind(query, kind, data, now);
    }
    audit::bind(query, &w.audit, now).execute(&mut *c).await?;
    Ok(())
}
