//! One's own profile: name, phone, time zone, language and password.

use super::session::{finish, Action, PageResult, Viewer};
use super::view::{frame, html, Outcome};
use crate::app::extract::ApiQuery;
use crate::app::session::Client;
use crate::app::AppState;
use crate::people::{PasswordChange, ProfileInput};
use axum::extract::State;
use minijinja::context;
use serde::Deserialize;

/// `GET /profile`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiQuery(outcome): ApiQuery<Outcome>,
) -> PageResult {
    let base = frame(&state, &viewer, "/profile", &outcome).await?;
    let u = &viewer.user;
    let body = state.pages.render(
        "profile.html",
        viewer.lang(),
        context! {
            ..base,
            ..context! {
                name => u.name.as_str(),
                email => u.email.as_str(),
                phone => u.phone.as_ref().map(|p| p.as_str()).unwrap_or_default(),
                zone => u.time_zone.name(),
                language => u.language.code(),
            }
        },
    )?;
    Ok(html(body))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    name: String,
    /// Absent from forms of earlier releases: the address stays.
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: String,
    time_zone: String,
    language: String,
}

/// `POST /profile`: an empty phone removes the number.
pub async fn save(State(state): State<AppState>, action: Action<ProfileForm>) -> PageResult {
    let f = &action.form;
    let phone = f.phone.trim();
    let input = ProfileInput {
        name: Some(f.name.clone()),
        email: f.email.clone().filter(|e| !e.trim().is_empty()),
        phone: Some((!phone.is_empty()).then(|| phone.to_owned())),
        time_zone: Some(f.time_zone.clone()),
        language: Some(f.language.clone()),
        role: None,
    };
    let me = &action.viewer.user;
    let outcome = crate::people::update(&state, me, me.id, &input)
        .await
        .map(|_| "profile_saved");
    Ok(finish(&action.back, outcome))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// `POST /profile/password`.
pub async fn password(
    State(state): State<AppState>,
    client: Client,
    action: Action<PasswordForm>,
) -> PageResult {
    let v = &action.viewer;
    let change = PasswordChange {
        current_password: action.form.current_password.clone(),
        new_password: action.form.new_password.clone(),
    };
    let outcome = crate::people::change_password(&state, &client, &v.user, v.session_id, &change)
        .await
        .map(|_| "password_changed");
    Ok(finish(&action.back, outcome))
}
