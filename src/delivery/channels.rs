//! The sends of the channels beyond email and SMS: web push to every browser of the
//! recipient, WhatsApp templates, and webhooks to integrators' endpoints.

use super::policy::Failure;
use super::push::{Delivery, PushResult, Target};
use super::{Dispatcher, JobError, Receipt};
use crate::domain::{Category, Timestamp};
use crate::store::deliveries::ClaimedJob;
use crate::store::notifications::Notification;
use crate::store::users::User;
use crate::store::{push as subscriptions, webhooks};
use std::time::Duration;

fn db(e: crate::store::StoreError) -> JobError {
    JobError::transient(format!("database: {e}"))
}

impl Dispatcher {
    /// Pushes to every browser of the recipient. Delivered when one push service took it;
    /// a subscription the push service says is gone is forgotten; transient when none took
    /// it and one may later.
    pub(super) async fn send_push(
        &self,
        job: &ClaimedJob,
        n: &Notification,
        to: &User,
    ) -> Result<Receipt, JobError> {
        let me = &self.inner;
        let now = me.clock.now();
        let subs = {
            let mut c = me.store.acquire().await.map_err(db)?;
            subscriptions::of_user(&mut c, to.id).await.map_err(db)?
        };
        if subs.is_empty() {
            return Err(JobError::Dropped(
                "no browser of the recipient takes notifications any more".into(),
            ));
        }
        let text = me
            .templates
            .push(n, to, now)
            .map_err(|e| JobError::Failed(Failure::permanent(None, format!("template: {e:#}"))))?;
        let payload = serde_json::to_vec(&text).unwrap_or_default();
        let (ttl, urgency) = push_handling(n, now);
        let topic = super::push::topic_for(job.id);
        let how = Delivery {
            ttl,
            urgency,
            topic: &topic,
        };
        let (mut accepted, mut gone, mut failures) = (0, 0, Vec::new());
        for sub in &subs {
            let target = Target {
                endpoint: &sub.endpoint,
                p256dh: &sub.p256dh,
                auth: &sub.auth,
            };
            let result = me.push.send(&target, &payload, &how).await;
            let mut c = me.store.acquire().await.map_err(db)?;
            match result {
                PushResult::Accepted { .. } => {
                    accepted += 1;
                    subscriptions::succeeded(&mut c, sub.id, me.clock.now())
                        .await
                        .map_err(db)?;
                }
                PushResult::Gone { .. } => {
                    gone += 1;
                    subscriptions::forget(&mut c, sub.id).await.map_err(db)?;
                }
                PushResult::Failed(f) => failures.push(f),
            }
        }
        let tried = subs.len();
        if accepted > 0 {
            return Ok(Receipt {
                code: "201".into(),
                reply: format!(
                    "taken by the push services of {accepted} of {tried} browsers ({gone} gone)"
                ),
                provider_message_id: None,
            });
        }
        if gone == tried {
            return Err(JobError::Dropped(format!(
                "every browser of the recipient unsubscribed ({gone} gone)"
            )));
        }
        let failure = failures
            .iter()
            .find(|f| matches!(f, Failure::Transient { .. }))
            .or(failures.first())
            .cloned()
            .unwrap_or_else(|| Failure::transient(None, "no push service answered"));
        Err(JobError::Failed(failure))
    }

    /// Sends the kind's WhatsApp template in the reader's language.
    pub(super) async fn send_whatsapp(
        &self,
        n: &Notification,
        to: &User,
    ) -> Result<Receipt, JobError> {
        let me = &self.inner;
        let phone = to.phone.as_ref().ok_or_else(|| {
            JobError::Dropped("the recipient has no phone number any more".into())
        })?;
        let parameters = me.templates.whatsapp_parameters(n, to);
        me.whatsapp
            .send(
                phone.as_str(),
                n.kind.as_str(),
                to.language.code(),
                &parameters,
            )
            .await
            .map(|s| Receipt {
                code: s.code,
                reply: s.reply,
                provider_message_id: s.message_id,
            })
            .map_err(JobError::Failed)
    }

    /// Posts a webhook message to its endpoint, signed with the endpoint's secrets.
    pub(super) async fn send_webhook(&self, job: &ClaimedJob) -> Result<Receipt, JobError> {
        let me = &self.inner;
        let (Some(message), Some(endpoint)) = (job.webhook_message_id, job.endpoint_id) else {
            return Err(JobError::Dropped(
                "a webhook job without its message".into(),
            ));
        };
        let now = me.clock.now();
        let out = {
            let mut c = me.store.acquire().await.map_err(db)?;
            webhooks::outgoing(&mut c, message, endpoint, now)
                .await
                .map_err(db)?
        }
        .ok_or_else(|| JobError::Dropped("the endpoint no longer exists".into()))?;
        if !out.enabled {
            return Err(JobError::Dropped("the endpoint is turned off".into()));
        }
        let timestamp = now.millis() / 1000;
        me.webhooks
            .send(
                &out.url,
                &out.secrets,
                out.message_id,
                timestamp,
                &out.payload,
            )
            .await
            .map(|d| Receipt {
                code: d.code,
                reply: d.reply,
                provider_message_id: None,
            })
            .map_err(JobError::Failed)
    }
}

/// How long a push service keeps a push for a browser that is offline, and how urgent it
/// is (RFC 8030): a reminder until its visit starts, urgently; a change to an
/// appointment for a day, urgently; new availability for 12 hours, at low urgency;
/// anything else for a day.
fn push_handling(n: &Notification, now: Timestamp) -> (Duration, &'static str) {
    let day = Duration::from_secs(86_400);
    match Category::of(n.kind) {
        Category::Reminders => {
            let until = n
                .data
                .appointment()
                .map(|a| (a.starts_at.millis() - now.millis()).max(60_000) as u64)
                .map(Duration::from_millis)
                .unwrap_or(day);
            (until.min(day), "high")
        }
        Category::AppointmentUpdates => (day, "high"),
        Category::Availability => (Duration::from_secs(12 * 3600), "low"),
        Category::Notices | Category::Account => (day, "normal"),
    }
}
