//! The password reset pages: ask for a link (the same answer whether or not an account
//! has the address), and choose a new password from the link in the email. Nobody is
//! signed in here, so the forms carry a token double-submitted in a cookie, as the sign-in
//! form does; the link's page only shows a form (mail scanners open links).

use super::session::{form_guard, form_guard_holds, visitor_language, PageResult};
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::session::Client;
use crate::app::{ApiError, AppState};
use crate::domain::Language;
use crate::recovery::{self, ResetCompletion};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect};
use minijinja::context;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// What the page shows.
struct View<'a> {
    mode: &'a str,
    error: Option<String>,
    email: &'a str,
    token: &'a str,
    sent: Option<String>,
}

fn show(state: &AppState, lang: Language, view: View<'_>, status: StatusCode) -> PageResult {
    // One form cookie for every page under /password-reset: each page replaces it.
    let (csrf, cookie) = form_guard(state, "/password-reset")?;
    let html = state.pages.render(
        "password_reset.html",
        lang,
        context! {
            mode => view.mode, error => view.error, email => view.email,
            token => view.token, sent => view.sent, csrf => csrf,
        },
    )?;
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// An error as the page words it.
fn error_text(state: &AppState, lang: Language, e: &ApiError) -> String {
    let id = match e {
        ApiError::TooManyAttempts { .. } => "error-too_many_attempts",
        ApiError::Busy { .. } => "error-busy",
        ApiError::Client {
            code: "invalid_reset_token",
            ..
        } => "reset_invalid",
        ApiError::Client {
            code: "validation_failed",
            ..
        } => "reset_hint",
        _ => "error-internal_error",
    };
    state.pages.text(lang, id)
}

fn status_of(e: ApiError) -> StatusCode {
    e.public_parts().0
}

/// `GET /password-reset`: the form that asks for a link.
pub async fn ask_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LangQuery>,
) -> PageResult {
    let lang = visitor_language(q.lang.as_deref(), &headers);
    let view = View {
        mode: "ask",
        error: None,
        email: "",
        token: "",
        sent: None,
    };
    show(&state, lang, view, StatusCode::OK)
}

#[derive(Deserialize)]
struct AskForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
    lang: Option<String>,
}

/// `POST /password-reset`: asks for the link; the answer says the same for any address.
pub async fn ask(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let form: AskForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::unprocessable(format!("invalid form: {e}")))?;
    let lang = visitor_language(form.lang.as_deref(), &headers);
    let refused = |e: ApiError| {
        let error = Some(error_text(&state, lang, &e));
        let view = View {
            mode: "ask",
            error,
            email: &form.email,
            token: "",
            sent: None,
        };
        show(&state, lang, view, status_of(e))
    };
    if !form_guard_holds(&headers, &form.csrf_token) {
        let e = ApiError::client(StatusCode::FORBIDDEN, "csrf_failed", "form expired");
        let mut response = refused(e)?;
        *response.status_mut() = StatusCode::FORBIDDEN;
        return Ok(response);
    }
    match recovery::request(&state, &client, &form.email).await {
        Ok(()) => {}
        // A malformed address is said so; it tells nothing about accounts.
        Err(ApiError::Client {
            code: "validation_failed",
            ..
        }) => {
            let view = View {
                mode: "ask",
                error: Some(state.pages.text(lang, "error-invalid_credentials")),
                email: &form.email,
                token: "",
                sent: None,
            };
            return show(&state, lang, view, StatusCode::UNPROCESSABLE_ENTITY);
        }
        Err(e) => return refused(e),
    }
    let minutes = state
        .settings
        .auth
        .password_reset_ttl
        .as_secs()
        .div_ceil(60);
    let mut args = crate::catalogue::Args::new();
    args.set("minutes", crate::catalogue::number(minutes as usize));
    let sent = state
        .templates
        .catalogue()
        .try_format(lang, "reset_sent", None, Some(&args))?;
    let view = View {
        mode: "sent",
        error: None,
        email: "",
        token: "",
        sent,
    };
    show(&state, lang, view, StatusCode::OK)
}

/// `GET /password-reset/{token}`: the form for a new password, in the account's language,
/// when the link can still be used.
pub async fn choose_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(token): ApiPath<String>,
) -> PageResult {
    match recovery::check(&state, &token).await {
        Ok(user) => {
            let view = View {
                mode: "choose",
                error: None,
                email: user.email.as_str(),
                token: &token,
                sent: None,
            };
            show(&state, user.language, view, StatusCode::OK)
        }
        Err(e) => {
            let lang = visitor_language(None, &headers);
            let error = Some(error_text(&state, lang, &e));
            let view = View {
                mode: "invalid",
                error,
                email: "",
                token: &token,
                sent: None,
            };
            show(&state, lang, view, status_of(e))
        }
    }
}

#[derive(Deserialize)]
struct ChooseForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
    #[serde(default)]
    csrf_token: String,
}

/// `POST /password-reset/{token}`: sets the password, then to the sign-in page.
pub async fn choose(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    ApiPath(token): ApiPath<String>,
    body: Bytes,
) -> PageResult {
    let form: ChooseForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::unprocessable(format!("invalid form: {e}")))?;
    let (lang, email) = match recovery::check(&state, &token).await {
        Ok(user) => (user.language, user.email.as_str().to_owned()),
        Err(_) => (visitor_language(None, &headers), String::new()),
    };
    let again = |error: String, status: StatusCode| {
        let mode = if email.is_empty() {
            "invalid"
        } else {
            "choose"
        };
        let view = View {
            mode,
            error: Some(error),
            email: &email,
            token: &token,
            sent: None,
        };
        show(&state, lang, view, status)
    };
    if !form_guard_holds(&headers, &form.csrf_token) {
        return again(
            state.pages.text(lang, "error-csrf_failed"),
            StatusCode::FORBIDDEN,
        );
    }
    if form.new_password != form.repeat_password {
        return again(
            state.pages.text(lang, "reset_mismatch"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let completion = ResetCompletion {
        token: token.clone(),
        new_password: form.new_password,
    };
    match recovery::complete(&state, &client, &completion).await {
        Ok(user) => {
            let to = format!("/sign-in?ok=password_reset&lang={}", user.language.code());
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let text = error_text(&state, lang, &e);
            again(text, status_of(e))
        }
    }
}
