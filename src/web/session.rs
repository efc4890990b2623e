//! Who is looking at a page, sign-in and sign-out, the CSRF check of every form, and how
//! a form's outcome is reported back (a redirect to the page with a message).

use super::view;
use crate::app::extract::{ApiPath, ApiQuery};
use crate::app::session::{
    authenticate, cookie, open_browser_session, Client, CLEAR_CSRF_COOKIE, CLEAR_SESSION_COOKIE,
    SESSION_COOKIE,
};
use crate::app::{ApiError, AppState};
use crate::auth::{constant_time_eq, random_token};
use crate::domain::{Language, Role};
use crate::inbox::{mark_all, mark_one};
use crate::store::sessions::{self, SessionKind};
use crate::store::users::User;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The cookie that carries the sign-in form's CSRF token (there is no session yet).
const FORM_COOKIE: &str = "carebell_form";

/// A page request that cannot go on: sent somewhere else, or shown an error page.
pub enum PageError {
    Redirect(String),
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl From<anyhow::Error> for PageError {
    fn from(e: anyhow::Error) -> Self {
        Self::Api(ApiError::Internal(e))
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Api(e.into())
    }
}

pub type PageResult = Result<Response, PageError>;

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(to) => Redirect::to(&to).into_response(),
            Self::Api(e) => {
                let (status, code, detail) = e.public_parts();
                let body = format!(
                    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
                     <title>{status}</title><link rel=\"stylesheet\" href=\"/assets/app.css\">\
                     </head><body><main class=\"narrow\"><h1>{status}</h1>\
                     <p role=\"alert\"><code>{code}</code>: {}</p>\
                     <p><a href=\"/dashboard\">carebell</a></p></main></body></html>\n",
                    view::escape(&detail)
                );
                (status, Html(body)).into_response()
            }
        }
    }
}

/// The signed-in user of a browser session, for pages. Without a session the browser is
/// sent to the sign-in page.
pub struct Viewer {
    pub user: User,
    pub csrf: String,
    pub session_id: i64,
}

impl Viewer {
    /// Sends anyone whose role is not `role` to their own dashboard.
    pub fn require(&self, role: Role) -> Result<(), PageError> {
        if self.user.role == role {
            Ok(())
        } else {
            Err(PageError::Redirect("/dashboard".into()))
        }
    }

    pub fn lang(&self) -> Language {
        self.user.language
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        // A page asked for without a session is come back to after sign-in.
        let wanted = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .filter(|p| parts.method == axum::http::Method::GET && is_local_path(p));
        let to_sign_in = || match &wanted {
            Some(path) => PageError::Redirect(format!(
                "/sign-in?{}",
                serde_urlencoded::to_string([("next", path)]).unwrap_or_default()
            )),
            None => PageError::Redirect("/sign-in".into()),
        };
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(to_sign_in)?;
        let session = state
            .store
            .find_session(&token, state.clock.now())
            .await?
            .filter(|s| s.kind == SessionKind::Browser)
            .ok_or_else(to_sign_in)?;
        Ok(Viewer {
            csrf: session.csrf_token.clone().unwrap_or_default(),
            session_id: session.id,
            user: session.user,
        })
    }
}

/// A form posted by a signed-in user whose CSRF token matched: the user and the form.
pub struct Action<T> {
    pub viewer: Viewer,
    pub form: T,
    /// The page to go back to (from the form's `back` field, this site's paths only).
    pub back: String,
}

#[derive(Deserialize)]
struct Guard {
    #[serde(default)]
    csrf_token: String,
    back: Option<String>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Action<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, PageError> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|r| ApiError::client(r.status(), "invalid_body", r.body_text()))?;
        let guard: Guard = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::unprocessable(format!("invalid form: {e}")))?;
        if viewer.csrf.is_empty()
            || !constant_time_eq(guard.csrf_token.as_bytes(), viewer.csrf.as_bytes())
        {
            return Err(ApiError::client(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "this form has expired; go back, reload the page and try again",
            )
            .into());
        }
        let form: T = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::unprocessable(format!("invalid form: {e}")))?;
        let back = guard
            .back
            .filter(|b| is_local_path(b))
            .unwrap_or_else(|| home_of(viewer.user.role).to_owned());
        Ok(Action { viewer, form, back })
    }
}

/// A path on this site (not `//host` nor `/\host`, which browsers treat as another site).
/// `/` followed by anything but `/` or `\`, with no control character anywhere: browsers
/// drop tabs and newlines, so `/\t/host` would become `//host`, and other controls cannot
/// go in a `Location` header at all.
pub(crate) fn is_local_path(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !p.chars().any(char::is_control)
}

pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Patient => "/patient",
        Role::Practitioner => "/practitioner",
        Role::Admin => "/admin",
    }
}

/// After a form: back to its page with `ok=<what>` or `error=<code>` (and the detail).
pub fn finish(back: &str, outcome: Result<&'static str, ApiError>) -> Response {
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    let mut pairs: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "ok" | "error" | "detail"))
            .collect();
    match outcome {
        Ok(what) => pairs.push(("ok".into(), what.into())),
        Err(e) => {
            let (_, code, detail) = e.public_parts();
            pairs.push(("error".into(), code.into()));
            pairs.push(("detail".into(), detail));
        }
    }
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let to = format!("{path}?{query}");
    if !is_local_path(&to) {
        return Redirect::to("/dashboard").into_response();
    }
    Redirect::to(&to).into_response()
}

/// `GET /dashboard`: each role's own page.
pub async fn dashboard(viewer: Viewer) -> Response {
    Redirect::to(home_of(viewer.user.role)).into_response()
}

#[derive(Deserialize)]
pub struct SignInQuery {
    error: Option<String>,
    /// What was done before (a password set through a reset link).
    ok: Option<String>,
    lang: Option<String>,
    /// The page to go to after signing in (this site's paths only).
    next: Option<String>,
}

/// Where to go after signing in: `next` when it is a page of this site (not the sign-in
/// page itself), else the user's own dashboard.
fn after_sign_in(next: Option<&str>, role: Role) -> String {
    next.filter(|n| is_local_path(n) && !n.starts_with("/sign-in"))
        .map_or_else(|| home_of(role).to_owned(), str::to_owned)
}

/// `GET /sign-in`.
pub async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SignInQuery>,
) -> PageResult {
    let lang = visitor_language(q.lang.as_deref(), &headers);
    let next = q.next.as_deref().filter(|n| is_local_path(n));
    let ok = q.ok.as_deref().filter(|o| *o == "password_reset");
    sign_in_form(
        &state,
        lang,
        q.error.as_deref(),
        ok,
        "",
        next,
        StatusCode::OK,
    )
}

fn sign_in_form(
    state: &AppState,
    lang: Language,
    error: Option<&str>,
    ok: Option<&str>,
    email: &str,
    next: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let error = error.map(|code| {
        let key = format!("error-{code}");
        if state.pages.has_text(&key) {
            state.pages.text(lang, &key)
        } else {
            state.pages.text(lang, "error-invalid_credentials")
        }
    });
    let ok = ok.map(|what| state.pages.text(lang, &format!("ok-{what}")));
    let (token, cookie) = form_guard(state, "/sign-in")?;
    let html = state.pages.render(
        "sign_in.html",
        lang,
        context! { csrf => &token, error => error, ok => ok, email => email, next => next },
    )?;
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// The token of a form shown to someone not signed in, and the cookie that carries it
/// (double submit), valid for the forms under `path` only.
pub(super) fn form_guard(state: &AppState, path: &str) -> Result<(String, HeaderValue), PageError> {
    let token = random_token();
    let mut cookie = format!("{FORM_COOKIE}={token}; Path={path}; HttpOnly; SameSite=Strict");
    if state.settings.cookie_secure() {
        cookie.push_str("; Secure");
    }
    let cookie = HeaderValue::from_str(&cookie).map_err(anyhow::Error::from)?;
    Ok((token, cookie))
}

/// Whether a form posted by someone not signed in carries the token of its cookie.
pub(super) fn form_guard_holds(headers: &HeaderMap, sent: &str) -> bool {
    let expected = cookie(headers, FORM_COOKIE).unwrap_or_default();
    !expected.is_empty() && constant_time_eq(expected.as_bytes(), sent.as_bytes())
}

/// The language of a page for someone not signed in: `?lang=`, else the browser's.
pub(super) fn visitor_language(asked: Option<&str>, headers: &HeaderMap) -> Language {
    asked
        .and_then(|l| Language::parse(l).ok())
        .or_else(|| preferred_language(headers))
        .unwrap_or(Language::En)
}

/// The first of the browser's languages that carebell speaks.
fn preferred_language(headers: &HeaderMap) -> Option<Language> {
    let accept = headers.get("accept-language")?.to_str().ok()?;
    accept
        .split(',')
        .filter_map(|part| part.split(';').next())
        .filter_map(|tag| tag.trim().split('-').next())
        .find_map(|code| Language::parse(code).ok())
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    next: Option<String>,
}

/// `POST /sign-in`: checks the form token (double-submitted in a cookie), then the
/// credentials, then opens a session and goes to the dashboard.
pub async fn sign_in(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let lang = preferred_language(&headers).unwrap_or(Language::En);
    let form: SignInForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::unprocessable(format!("invalid form: {e}")))?;
    if !form_guard_holds(&headers, &form.csrf_token) {
        return sign_in_form(
            &state,
            lang,
            Some("csrf_failed"),
            None,
            &form.email,
            form.next.as_deref(),
            StatusCode::FORBIDDEN,
        );
    }
    let signed = match authenticate(&state, &client, &form.email, &form.password).await {
        Ok(signed) => signed,
        Err(ApiError::TooManyAttempts { .. }) => {
            return sign_in_form(
                &state,
                lang,
                Some("too_many_attempts"),
                None,
                &form.email,
                form.next.as_deref(),
                StatusCode::TOO_MANY_REQUESTS,
            )
        }
        Err(ApiError::Busy { .. }) => {
            return sign_in_form(
                &state,
                lang,
                Some("busy"),
                None,
                &form.email,
                form.next.as_deref(),
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
        Err(ApiError::Client { status, code, .. }) => {
            return sign_in_form(
                &state,
                lang,
                Some(code),
                None,
                &form.email,
                form.next.as_deref(),
                status,
            )
        }
        Err(e) => return Err(e.into()),
    };
    let opened = open_browser_session(&state, &signed).await?;
    let to = after_sign_in(form.next.as_deref(), signed.user.role);
    let mut response = Redirect::to(&to).into_response();
    let headers = response.headers_mut();
    opened.set_cookies(headers);
    headers.append(
        SET_COOKIE,
        HeaderValue::from_static(
            "carebell_form=; Path=/sign-in; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(response)
}

/// `POST /sign-out`.
pub async fn sign_out(State(state): State<AppState>, action: Action<Empty>) -> PageResult {
    let mut c = state.store.acquire().await?;
    sessions::delete(&mut c, action.viewer.session_id).await?;
    drop(c);
    crate::app::session::audit(&state, action.viewer.user.id, "auth.signed_out", None, None)
        .await?;
    let mut response = Redirect::to("/sign-in").into_response();
    let headers = response.headers_mut();
    headers.insert(SET_COOKIE, HeaderValue::from_static(CLEAR_SESSION_COOKIE));
    headers.append(SET_COOKIE, HeaderValue::from_static(CLEAR_CSRF_COOKIE));
    Ok(response)
}

/// A form with nothing but its token.
#[derive(Deserialize)]
pub struct Empty {}

/// A form with an optional free text (a reason to cancel or decline).
#[derive(Deserialize)]
pub struct ReasonForm {
    reason: Option<String>,
}

impl ReasonForm {
    /// The reason, unless left blank.
    pub fn reason(&self) -> Option<&str> {
        non_blank(&self.reason)
    }
}

/// A text field's value, unless left blank.
pub fn non_blank(field: &Option<String>) -> Option<&str> {
    field.as_deref().filter(|r| !r.trim().is_empty())
}

/// `POST /notifications/{id}/read` (the form; the script uses the API).
pub async fn mark_read(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    action: Action<Empty>,
) -> Response {
    let outcome = mark_one(&state, action.viewer.user.id, id).await;
    finish(&action.back, outcome.map(|_| "read"))
}

/// `POST /notifications/read-all`.
pub async fn mark_all_read(State(state): State<AppState>, action: Action<Empty>) -> Response {
    let outcome = mark_all(&state, action.viewer.user.id).await;
    finish(&action.back, outcome.map(|_| "all_read"))
}
