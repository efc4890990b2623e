//! `GET /api/v1/notifications/stream`: Server-Sent Events for the signed-in user.
//!
//! Each new notification is an event `notification` whose `id` is the notification's id,
//! with the notification and the unread count. A client that reconnects with
//! `Last-Event-ID` (browsers do it by themselves) first receives what it missed, so a
//! dropped connection loses nothing and repeats nothing. Marking read anywhere sends an
//! `unread` event with the new count. A comment line every 15 s keeps proxies from
//! closing an idle stream.

use super::answers::{NotificationEvent, UnreadCount};
use super::auth::CurrentUser;
use super::extract::ApiQuery;
use super::openapi::{BadRequest, Unauthenticated};
use super::{ApiError, ApiResult, AppState};
use crate::app::streams::StreamTicket;
use crate::delivery::live::LiveEvent;
use crate::inbox::localize;
use crate::store::notifications::{self, Notification};
use crate::store::users::User;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use utoipa::IntoParams;

/// Most missed notifications replayed on reconnect; older ones are in the list endpoint.
const REPLAY_LIMIT: i64 = 200;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// For clients that cannot set the `Last-Event-ID` header.
    last_event_id: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/notifications/stream",
    tag = "notifications",
    summary = "Live notifications (Server-Sent Events)",
    description = "Events `notification` (id: the stream position; data: a NotificationEvent) \
        and `unread` (data: an UnreadCount); a heartbeat comment every 15 s. Reconnect with the \
        Last-Event-ID header (or ?last_event_id=) to receive what was missed, once.",
    security(("bearer" = []), ("session" = [])),
    params(
        ("Last-Event-ID" = Option<i64>, Header, description = "The id of the last event received"),
        StreamQuery
    ),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        BadRequest, Unauthenticated
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let header_id = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_header",
                        "Last-Event-ID must be an event id this stream sent",
                    )
                })?,
        ),
        None => None,
    };
    // Subscribe before reading what was missed, so nothing falls between the two.
    let live = state.live.subscribe();
    let (tx, rx) = mpsc::channel::<Event>(64);
    let cap = state.settings.server.max_streams_per_user as usize;
    let closed = state.streams.open(me.user.id, cap);
    tokio::spawn(pump(
        state,
        me.user,
        header_id.or(q.last_event_id),
        live,
        tx,
        closed,
    ));
    let events =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    Ok(Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(Duration::from_secs(15))
            .text("heartbeat"),
    ))
}

/// Feeds one client until it goes away. Event ids are stream positions (`seq`), given in
/// commit order, so resuming after the last one sent never skips a notification.
async fn pump(
    state: AppState,
    user: User,
    resume_after: Option<i64>,
    mut live: broadcast::Receiver<LiveEvent>,
    tx: mpsc::Sender<Event>,
    ticket: StreamTicket,
) {
    let user_id = user.id;
    let mut cursor = match resume_after {
        Some(after) => after,
        None => {
            // A fresh client starts from now (it loads the list itself).
            let start = async {
                let mut c = state.store.acquire().await?;
                notifications::last_seq(&mut c, user_id).await
            }
            .await;
            match start {
                Ok(seq) => seq,
                Err(e) => {
                    tracing::warn!(error = %e, "live stream could not read its start");
                    return;
                }
            }
        }
    };
    let started = if resume_after.is_some() {
        let after = cursor;
        replay(&state, &user, after, &mut cursor, &tx).await
    } else {
        send_unread(&state, user_id, &tx).await
    };
    if started.is_err() {
        return;
    }
    loop {
        let event = tokio::select! {
            e = live.recv() => e,
            _ = tx.closed() => return,
            _ = ticket.closed.cancelled() => return,
            // The server is stopping: ending the stream lets the client reconnect elsewhere.
            _ = state.shutdown.cancelled() => return,
        };
        let sent = match event {
            Ok(LiveEvent::Delivered { recipient_id, .. }) if recipient_id == user_id => {
                let after = cursor;
                replay(&state, &user, after, &mut cursor, &tx).await
            }
            Ok(LiveEvent::ReadChanged { recipient_id }) if recipient_id == user_id => {
                send_unread(&state, user_id, &tx).await
            }
            Ok(_) => Ok(()),
            // Fell behind the hub: catch up from the store instead.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                let after = cursor;
                replay(&state, &user, after, &mut cursor, &tx).await
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if sent.is_err() {
            return;
        }
    }
}

/// Sends the user's notifications after stream position `after`, in order, each once,
/// moving `cursor` to the last one sent.
async fn replay(
    state: &AppState,
    user: &User,
    after: i64,
    cursor: &mut i64,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ()> {
    let (items, unread) = match load(state, user.id, after).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "live stream could not read notifications");
            return Ok(());
        }
    };
    for n in items {
        let Some(seq) = n.seq else { continue };
        let n = localize(state, n, user);
        let data = NotificationEvent {
            notification: n,
            unread_count: unread,
        };
        let data = serde_json::to_string(&data).unwrap_or_default();
        tx.send(
            Event::default()
                .event("notification")
                .id(seq.to_string())
                .data(data),
        )
        .await
        .map_err(|_| ())?;
        *cursor = seq;
    }
    Ok(())
}

async fn load(
    state: &AppState,
    user_id: i64,
    after: i64,
) -> anyhow::Result<(Vec<Notification>, i64)> {
    let now = state.clock.now();
    let mut c = state.store.acquire().await?;
    let items = notifications::list_after_seq(&mut c, user_id, after, REPLAY_LIMIT).await?;
    let unread = notifications::unread_count(&mut c, user_id, now).await?;
    Ok((items, unread))
}

async fn send_unread(state: &AppState, user_id: i64, tx: &mpsc::Sender<Event>) -> Result<(), ()> {
    let count = {
        let Ok(mut c) = state.store.acquire().await else {
            return Ok(());
        };
        match notifications::unread_count(&mut c, user_id, state.clock.now()).await {
            Ok(n) => n,
            Err(_) => return Ok(()),
        }
    };
    let data = serde_json::to_string(&UnreadCount {
        unread_count: count,
    })
    .unwrap_or_default();
    tx.send(Event::default().event("unread").data(data))
        .await
        .map_err(|_| ())
}
