//! The inbox use cases, for the API and the pages alike: a notification's text for its
//! reader, and marking read (which tells the reader's other open pages).

use crate::app::{ApiError, ApiResult, AppState};
use crate::delivery::live::LiveEvent;
use crate::store::notifications::{self, Notification};
use crate::store::users::User;
use serde::Serialize;

/// What marking read leaves: `{"success": true, "marked"?, "unread_count"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Marked {
    /// Always true.
    pub success: bool,
    /// How many were marked (mark all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marked: Option<u64>,
    pub unread_count: i64,
}

/// A notification with its title and message in the recipient's language and zone (the
/// stored English text stays when a template fails).
pub fn localize(state: &AppState, mut n: Notification, to: &User) -> Notification {
    match state.templates.in_app(&n, to, state.clock.now()) {
        Ok(text) => {
            n.title = text.title;
            n.message = text.message;
        }
        Err(e) => tracing::warn!(error = %e, notification_id = n.id, "in-app text failed"),
    }
    n
}

/// Marks one of the user's notifications read; someone else's is "not found".
pub async fn mark_one(state: &AppState, user_id: i64, id: i64) -> ApiResult<Marked> {
    let mut c = state.store.acquire().await?;
    if !notifications::mark_read(&mut c, user_id, id, state.clock.now()).await? {
        return Err(ApiError::not_found("notification"));
    }
    let n = notifications::unread_count(&mut c, user_id, state.clock.now()).await?;
    state.live.publish(LiveEvent::ReadChanged {
        recipient_id: user_id,
    });
    Ok(Marked {
        success: true,
        marked: None,
        unread_count: n,
    })
}

pub async fn mark_all(state: &AppState, user_id: i64) -> ApiResult<Marked> {
    let mut c = state.store.acquire().await?;
    let marked = notifications::mark_all_read(&mut c, user_id, state.clock.now()).await?;
    // Counted again: a notification may have arrived since.
    let n = notifications::unread_count(&mut c, user_id, state.clock.now()).await?;
    state.live.publish(LiveEvent::ReadChanged {
        recipient_id: user_id,
    });
    Ok(Marked {
        success: true,
        marked: Some(marked),
        unread_count: n,
    })
}

/// A page of the reader's notifications, newest first by when each appeared, each in the
/// reader's language, with the unread count.
pub struct Page {
    pub items: Vec<Notification>,
    pub unread_count: i64,
}

/// The reader's notifications: `unread_only`, older than the cursor `before`, at most
/// `limit`, rendered for the reader.
pub async fn page(
    state: &AppState,
    c: &mut crate::store::Conn,
    user: &User,
    unread_only: bool,
    before: Option<i64>,
    limit: i64,
) -> ApiResult<Page> {
    let now = state.clock.now();
    let items = notifications::list(c, user.id, unread_only, before, limit, now)
        .await?
        .into_iter()
        .map(|n| localize(state, n, user))
        .collect();
    let unread_count = notifications::unread_count(c, user.id, now).await?;
    Ok(Page {
        items,
        unread_count,
    })
}

/// How many of the reader's visible notifications are unread.
pub async fn unread_count(
    state: &AppState,
    c: &mut crate::store::Conn,
    user_id: i64,
) -> ApiResult<i64> {
    Ok(notifications::unread_count(c, user_id, state.clock.now()).await?)
}

/// The reader's live-stream position now (a page resumes its stream from it).
pub async fn stream_position(c: &mut crate::store::Conn, user_id: i64) -> ApiResult<i64> {
    Ok(notifications::last_seq(c, user_id).await?)
}

/// What the reader was told about one appointment, oldest first, in their language.
pub async fn about_appointment(
    state: &AppState,
    c: &mut crate::store::Conn,
    user: &User,
    appointment_id: i64,
) -> ApiResult<Vec<Notification>> {
    Ok(
        notifications::about_appointment(c, user.id, appointment_id, state.clock.now())
            .await?
            .into_iter()
            .map(|n| localize(state, n, user))
            .collect(),
    )
}
