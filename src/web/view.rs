//! What the page templates are given: times in the viewer's zone and language, the bell,
//! the notification list and the message a form left behind.

use super::session::{PageError, Viewer};
use crate::app::AppState;
use crate::domain::{Language, Timestamp};
use crate::inbox;
use crate::store::users::User;
use minijinja::Value;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Notifications shown on a page; older ones are in the API.
const LIST_LENGTH: i64 = 30;

/// `mar. 1 déc. 2026, 09:00` in the viewer's zone (the zone is named once, in the header).
pub fn short_time(t: Timestamp, to: &User) -> String {
    crate::catalogue::when(
        t,
        &to.time_zone,
        to.language,
        crate::catalogue::TimeStyle::Short,
    )
}

/// A notification as the list shows it, in the viewer's language.
#[derive(Serialize)]
pub struct NotificationView {
    pub id: i64,
    pub kind: &'static str,
    pub severity: &'static str,
    pub title: String,
    pub message: String,
    pub when: String,
    pub read: bool,
}

/// The latest notifications of the viewer and the unread count.
/// The user's newest notifications, the unread count, and the live-stream position the
/// page's script resumes from. The position is read first: a notification delivered
/// meanwhile is then sent by the stream too (the script ignores one it already shows)
/// rather than missed.
pub async fn notifications(
    state: &AppState,
    user: &User,
) -> Result<(Vec<NotificationView>, i64, i64), PageError> {
    let mut c = state.store.acquire().await?;
    let stream_from = inbox::stream_position(&mut c, user.id).await?;
    let page = inbox::page(state, &mut c, user, false, None, LIST_LENGTH).await?;
    let unread = page.unread_count;
    let views = page
        .items
        .into_iter()
        .map(|n| NotificationView {
            id: n.id,
            kind: n.kind.as_str(),
            severity: n.severity.as_str(),
            when: short_time(n.visible_at, user),
            read: n.read,
            title: n.title,
            message: n.message,
        })
        .collect();
    Ok((views, unread, stream_from))
}

/// What the last form did, from the redirect's query.
#[derive(Deserialize, Default)]
pub struct Outcome {
    ok: Option<String>,
    error: Option<String>,
    detail: Option<String>,
}

#[derive(Serialize)]
struct Flash {
    /// `ok` (a status message) or `error` (an alert).
    kind: &'static str,
    text: String,
}

impl Outcome {
    fn flash(&self, state: &AppState, lang: Language) -> Option<Flash> {
        if let Some(code) = &self.error {
            let key = format!("error-{code}");
            let text = if state.pages.has_text(&key) {
                state.pages.text(lang, &key)
            } else {
                let detail = self.detail.as_deref().unwrap_or(code);
                format!("{} {detail}", state.pages.text(lang, "error-other"))
            };
            return Some(Flash {
                kind: "error",
                text,
            });
        }
        let key = format!("ok-{}", self.ok.as_deref()?);
        state.pages.has_text(&key).then(|| Flash {
            kind: "ok",
            text: state.pages.text(lang, &key),
        })
    }
}

#[derive(Serialize)]
struct Me<'a> {
    name: &'a str,
    role: &'static str,
    zone: &'static str,
}

/// What every page's frame needs: who is signed in, the bell, the notification list, the
/// form token, the page to come back to and the message of the last form.
pub async fn frame(
    state: &AppState,
    viewer: &Viewer,
    back: &str,
    outcome: &Outcome,
) -> Result<Value, PageError> {
    let (list, unread, stream_from) = notifications(state, &viewer.user).await?;
    Ok(minijinja::context! {
        me => Value::from_serialize(Me {
            name: viewer.user.name.as_str(),
            role: viewer.user.role.as_str(),
            zone: viewer.user.time_zone.name(),
        }),
        csrf => &viewer.csrf,
        unread => unread,
        notifications => Value::from_serialize(&list),
        stream_from => stream_from,
        flash => Value::from_serialize(outcome.flash(state, viewer.lang())),
        back => back,
    })
}

/// Names of users by id, looked up once each.
#[derive(Default)]
pub struct Names(HashMap<i64, String>);

impl Names {
    /// Looks up on the request's own connection (never a second one from the pool).
    pub async fn of(&mut self, c: &mut crate::store::Conn, id: i64) -> Result<String, PageError> {
        if let Some(name) = self.0.get(&id) {
            return Ok(name.clone());
        }
        let name = crate::store::users::get(c, id)
            .await?
            .map(|u| u.name.as_str().to_owned())
            .unwrap_or_default();
        self.0.insert(id, name.clone());
        Ok(name)
    }
}

/// Sends a rendered page.
pub fn html(body: String) -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::response::Html(body))
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            super::escape("<script>\"'&"),
            "&lt;script&gt;&quot;&#39;&amp;"
        );
    }
}
