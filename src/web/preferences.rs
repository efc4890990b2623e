//! The preferences page (channels per category, quiet hours), and the pages of the
//! one-click unsubscribe link, which work with no cookie and no sign-in: the link's signed
//! token is the authority.

use super::session::{finish, Action, PageResult, Viewer};
use super::view::{frame, html, Outcome};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::{ApiError, AppState};
use crate::domain::{Category, Channel, LocalTime, QuietHours, CHOOSABLE};
use crate::preferences::{self, PreferenceChange};
use crate::store::preferences::Source;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use minijinja::{context, Value};
use std::collections::BTreeMap;

/// `GET /preferences`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    let mut c = state.store.acquire().await?;
    let view = preferences::view(&state, &mut c, &viewer.user).await?;
    drop(c);
    let base = frame(&state, &viewer, "/preferences", &outcome).await?;
    let body = state.pages.render(
        "preferences.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                prefs => Value::from_serialize(&view),
                has_phone => viewer.user.phone.is_some(),
            }
        },
    )?;
    Ok(html(body))
}

/// `POST /preferences`: every box of the form, checked or not, and the quiet hours.
pub async fn save(
    State(state): State<AppState>,
    action: Action<Vec<(String, String)>>,
) -> PageResult {
    let fields = &action.form;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    // The channels the form showed (each has a hidden `channel` field): a box left
    // unticked turns its channel off; a channel not shown is left as it was. A form of an
    // earlier release (open across an upgrade) showed email and SMS.
    let mut shown: Vec<Channel> = fields
        .iter()
        .filter(|(k, _)| k == "channel")
        .filter_map(|(_, v)| Channel::parse(v).ok())
        .filter(|c| CHOOSABLE.contains(c))
        .collect();
    if shown.is_empty() {
        shown = vec![Channel::Email, Channel::Sms];
    }
    let mut channels = BTreeMap::new();
    for category in Category::CHOOSABLE {
        let mut chosen = BTreeMap::new();
        for channel in &shown {
            let name = format!("{}.{}", category.as_str(), channel.as_str());
            chosen.insert(*channel, field(&name).is_some());
        }
        channels.insert(*category, chosen);
    }
    let whatsapp = field("whatsapp_shown").map(|_| field("whatsapp_agreed").is_some());
    let quiet_hours = if field("quiet_own").is_some() {
        let time = |name: &str| {
            LocalTime::parse(field(name).unwrap_or_default())
                .map_err(|e| ApiError::unprocessable(format!("{name}: {}", e.0)))
        };
        match (time("quiet_start"), time("quiet_end")) {
            (Ok(start), Ok(end)) => Some(Some(QuietHours { start, end })),
            (Err(e), _) | (_, Err(e)) => return Ok(finish(&action.back, Err(e))),
        }
    } else {
        Some(None)
    };
    let change = PreferenceChange {
        channels,
        quiet_hours,
        whatsapp,
    };
    let outcome = preferences::change(
        &state,
        &action.viewer.user,
        &change,
        Source::Dashboard,
        None,
    )
    .await
    .map(|_| "preferences_saved");
    Ok(finish(&action.back, outcome))
}

/// The page for a link this installation did not sign (404).
fn invalid_link(state: &AppState) -> axum::response::Response {
    let body = state
        .pages
        .render(
            "unsubscribe.html",
            crate::domain::Language::default(),
            context! { done => false, invalid => true, token => "" },
        )
        .unwrap_or_default();
    (StatusCode::NOT_FOUND, axum::response::Html(body)).into_response()
}

/// `GET /unsubscribe/{token}`: asks to confirm (mail scanners follow links; only the POST
/// changes anything).
pub async fn confirm(State(state): State<AppState>, ApiPath(token): ApiPath<String>) -> PageResult {
    unsubscribe_page(&state, &token, false).await
}

/// `POST /unsubscribe/{token}`: RFC 8058 one-click (`List-Unsubscribe=One-Click`, sent by
/// mail clients with no cookie), or the confirmation page's button.
pub async fn one_click(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> PageResult {
    unsubscribe_page(&state, &token, true).await
}

/// The link's page in its reader's language; with `act`, after turning the channel off.
async fn unsubscribe_page(state: &AppState, token: &str, act: bool) -> PageResult {
    let Some((user_id, category, channel)) = state.templates.verify_unsubscribe(token) else {
        return Ok(invalid_link(state));
    };
    if act {
        preferences::unsubscribe(state, user_id, category, channel).await?;
    }
    let lang = reader_language(state, user_id).await?;
    let body = state.pages.render(
        "unsubscribe.html",
        lang,
        context! { done => act, invalid => false, token => token, category => category.as_str(), channel => channel.as_str() },
    )?;
    Ok(html(body))
}

async fn reader_language(
    state: &AppState,
    user_id: i64,
) -> Result<crate::domain::Language, super::session::PageError> {
    let mut c = state.store.acquire().await?;
    Ok(crate::store::users::get(&mut c, user_id)
        .await?
        .map(|u| u.language)
        .unwrap_or_default())
}
