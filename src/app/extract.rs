//! Extractors whose rejections are [`ApiError`]s, so that even a malformed request gets
//! the JSON error body.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

/// Path parameters; a non-numeric id gives 400 `invalid_path`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// Query parameters; a malformed query gives 400 `invalid_query`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// A request body as JSON, or as an HTML form when sent as
/// `application/x-www-form-urlencoded` (the dashboard paths of the system carebell
/// replaces posted forms). An empty body reads as `{}`, so endpoints whose fields are
/// all optional need no body.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|r| ApiError::client(r.status(), "invalid_body", r.body_text()))?;
        // `curl -d '{…}'` labels JSON as a form; a body that opens an object is JSON.
        let looks_like_json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if is_form && !looks_like_json {
            return serde_urlencoded::from_bytes(&bytes)
                .map(Body)
                .map_err(|e| ApiError::unprocessable(format!("invalid form body: {e}")));
        }
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize(&mut de) {
            Ok(v) => Ok(Body(v)),
            Err(e) => {
                let inner = e.inner();
                if inner.is_syntax() || inner.is_eof() {
                    Err(ApiError::bad_request(
                        "invalid_json",
                        format!("the body is not valid JSON: {inner}"),
                    ))
                } else {
                    let path = e.path().to_string();
                    let at = if path == "." {
                        String::new()
                    } else {
                        format!(" at {path}")
                    };
                    Err(ApiError::unprocessable(format!(
                        "invalid request body{at}: {inner}"
                    )))
                }
            }
        }
    }
}
