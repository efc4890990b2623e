//! What operators do with deliveries, for the API and the admin page alike.

use crate::app::{ApiError, ApiResult, AppState};
use crate::store::deliveries;

/// Queues a dead job again, due now (the API and the admin page), in the audit log as
/// done by `actor_id`.
pub async fn retry_dead_delivery(
    state: &AppState,
    actor_id: i64,
    id: i64,
) -> ApiResult<deliveries::DeliveryJob> {
    let mut c = state.store.acquire().await?;
    let job = delivery_or_404(&mut c, id).await?;
    if !deliveries::retry_dead(&mut c, id, state.clock.now()).await? {
        return Err(ApiError::conflict(
            "not_dead",
            format!(
                "only dead deliveries can be retried; this one is {}",
                job.state.as_str()
            ),
        ));
    }
    let event = crate::store::audit::NewEvent {
        actor_id: Some(actor_id),
        action: "delivery.retried",
        subject_user_id: job.recipient_id,
        appointment_id: job.appointment_id,
        target: Some(format!("delivery {id}")),
        ..Default::default()
    };
    crate::store::audit::append(&mut c, &event, state.clock.now()).await?;
    // Due now: the dispatcher in this process need not wait for its next poll.
    state.lifecycle.wake_dispatcher();
    delivery_or_404(&mut c, id).await
}

pub async fn delivery_or_404(
    c: &mut crate::store::Conn,
    id: i64,
) -> ApiResult<deliveries::DeliveryJob> {
    deliveries::get(c, id)
        .await?
        .ok_or_else(|| ApiError::not_found("delivery"))
}

/// Delivery jobs by state, channel, recipient or appointment, newest first.
pub async fn deliveries(
    c: &mut crate::store::Conn,
    filter: &deliveries::JobFilter,
) -> ApiResult<Vec<deliveries::DeliveryJob>> {
    Ok(deliveries::list(c, filter).await?)
}

/// One job and every attempt at it.
pub async fn delivery_with_attempts(
    c: &mut crate::store::Conn,
    id: i64,
) -> ApiResult<(deliveries::DeliveryJob, Vec<deliveries::Attempt>)> {
    let job = delivery_or_404(c, id).await?;
    let attempts = deliveries::attempts(c, id).await?;
    Ok((job, attempts))
}

/// Delivery jobs by state and channel, for the metrics.
pub async fn job_counts(
    c: &mut crate::store::Conn,
) -> ApiResult<Vec<(deliveries::JobState, crate::domain::Channel, i64)>> {
    Ok(deliveries::counts(c).await?)
}

/// When the oldest job that is due now fell due, for the metrics.
pub async fn oldest_due(
    c: &mut crate::store::Conn,
    now: crate::domain::Timestamp,
) -> ApiResult<Option<crate::domain::Timestamp>> {
    Ok(deliveries::oldest_due(c, now).await?)
}

/// The audit log, newest first (admins).
pub async fn audit_log(
    c: &mut crate::store::Conn,
    search: &crate::store::audit::Search,
) -> ApiResult<Vec<crate::store::audit::AuditEvent>> {
    Ok(crate::store::audit::search(c, search).await?)
}
