//! What follows a recorded attempt, in the same transaction: integrators hear of it
//! (`delivery.*` webhooks), a failing endpoint's record moves (and one failing for days is
//! turned off, with a message to the admins), a mailbox refused for good is marked as
//! bouncing, and a reminder whose SMS did not go gets its email fallback.

use super::Dispatcher;
use crate::config::ReminderEmail;
use crate::domain::payload::{EndpointFacts, Payload};
use crate::domain::{Channel, NotificationKind, Role, Severity, Timestamp};
use crate::store::deliveries::{self, AttemptRecord, ClaimedJob, Outcome};
use crate::store::notifications::{self, NewNotification};
use crate::store::webhooks::{self, Endpoint};
use crate::store::{bounces, users, StoreResult, Tx};

/// SMTP replies that say the mailbox itself is refused (not the message, not for now).
const MAILBOX_REFUSED: &[&str] = &["550", "551", "553"];

impl Dispatcher {
    pub(super) async fn after_outcome(
        &self,
        tx: &mut Tx,
        job: &ClaimedJob,
        r: &AttemptRecord<'_>,
        now: Timestamp,
    ) -> StoreResult<()> {
        if job.channel == Channel::Webhook {
            return self.endpoint_health(tx, job, r.outcome, now).await;
        }
        if job.channel == Channel::Email
            && r.outcome == Outcome::Permanent
            && r.code.is_some_and(|c| MAILBOX_REFUSED.contains(&c))
        {
            bounces::mark_for_job(tx.conn(), job.id, r.code, r.reply, now).await?;
        }
        let sms_did_not_go = matches!(
            r.outcome,
            Outcome::Suppressed | Outcome::Permanent | Outcome::Transient { retry_at: None }
        );
        if job.channel == Channel::Sms
            && sms_did_not_go
            && self.inner.reminder_email == ReminderEmail::Fallback
        {
            deliveries::write_fallback_email(tx.conn(), job.id, now).await?;
        }
        let event = match r.outcome {
            Outcome::Sent => "delivery.sent",
            Outcome::Transient { retry_at: Some(_) } => "delivery.failed",
            Outcome::Transient { retry_at: None } | Outcome::Permanent => "delivery.dead",
            Outcome::Dropped | Outcome::Suppressed | Outcome::Deferred { .. } => return Ok(()),
        };
        delivery_event(tx, job.id, event, now).await
    }

    async fn endpoint_health(
        &self,
        tx: &mut Tx,
        job: &ClaimedJob,
        outcome: Outcome,
        now: Timestamp,
    ) -> StoreResult<()> {
        let Some(endpoint) = job.endpoint_id else {
            return Ok(());
        };
        match outcome {
            Outcome::Sent => webhooks::note_success(tx.conn(), endpoint).await,
            Outcome::Transient { .. } | Outcome::Permanent => {
                let disabled = webhooks::note_failure(
                    tx.conn(),
                    endpoint,
                    now,
                    self.inner.webhook_disable_after,
                )
                .await?;
                match disabled {
                    Some(e) => {
                        tracing::warn!(
                            endpoint_id = e.id,
                            "webhook endpoint turned off after failing"
                        );
                        tell_admins(tx, &e, now).await
                    }
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }
}

/// A `delivery.*` event about a job, for the endpoints that take it.
pub(crate) async fn delivery_event(
    tx: &mut Tx,
    job_id: i64,
    event: &str,
    now: Timestamp,
) -> StoreResult<()> {
    if !webhooks::wanted(tx.conn(), event).await? {
        return Ok(());
    }
    if let Some(data) = webhooks::delivery_event_data(tx.conn(), job_id).await? {
        webhooks::enqueue(tx.conn(), event, data, now).await?;
    }
    Ok(())
}

/// Every active admin hears that an endpoint was turned off, in-app and by email.
async fn tell_admins(tx: &mut Tx, e: &Endpoint, now: Timestamp) -> StoreResult<()> {
    let admins = users::search(tx.conn(), None, Some(Role::Admin), None, 100).await?;
    for admin in admins.iter().filter(|a| a.deactivated_at.is_none()) {
        let n = NewNotification {
            recipient_id: admin.id,
            kind: NotificationKind::WebhookDisabled,
            severity: Severity::Error,
            link: Some("/admin/webhooks".into()),
            data: Payload::Endpoint(EndpointFacts {
                endpoint_id: e.id,
                url: e.url.clone(),
                failing_since: e.failing_since,
            }),
            appointment_id: None,
            appointment_version: None,
            channels: vec![Channel::Email],
            visible_from: None,
            reminder_offset: None,
            jobs_due: None,
        };
        notifications::insert(tx.conn(), &n, now).await?;
    }
    Ok(())
}
