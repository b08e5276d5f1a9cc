//! Extractors whose rejections answer with our error shape (`invalid_request`) instead of axum's
//! plain-text ones, so every refusal matches the documented `ErrorBody`, and nothing is written.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use lanyard_api::{ErrorCode, FieldError};

use crate::error::AppError;

/// A JSON body of type `T` (unknown fields and wrong types refused where `T` says so).
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            tracing::debug!("body without a JSON content type");
            return Err(AppError::Invalid {
                message: "The body must be JSON (Content-Type: application/json).".into(),
                field: None,
            });
        }
        let AppBytes(bytes) = AppBytes::from_request(req, state).await?;
        parse_json(&bytes).map(Self)
    }
}

/// The request's `Host` header, when it is text.
pub fn host(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
}

/// What axum's `Json` takes: `application/json` or a `+json` type, parameters aside.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .get(.."application/".len())
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("application/"))
            && essence.to_ascii_lowercase().ends_with("+json")
}

/// Reads `T` from JSON, or says where and what is wrong: the path of the offending value
/// (`jwt_claim_rules[0].op`) and what that place accepts, as the message and as a field error on
/// the top-level field — never a value given under a secret's name.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        body_refusal(&path, error.inner())
    })?;
    deserializer
        .end()
        .map_err(|error| body_refusal(".", &error))?;
    Ok(value)
}

fn body_refusal(path: &str, error: &serde_json::Error) -> AppError {
    tracing::debug!(path, "bad JSON body");
    let what = if error.is_data() {
        describe_data_error(path, &error.to_string())
    } else {
        // Syntax, or the body ended early: serde's words name a position, never a value.
        format!("the body is not valid JSON ({error})")
    };
    let top = path
        .split(['.', '['])
        .next()
        .filter(|name| !name.is_empty() && error.is_data());
    let message = match top {
        Some(_) => format!("The request is not valid: {path}: {what}."),
        None => format!("The request is not valid: {what}."),
    };
    let field = top.map(|name| FieldError {
        field: name.into(),
        code: data_error_code(&what).to_owned(),
        message: format!("{path}: {what}."),
    });
    AppError::Invalid { message, field }
}

/// serde's sentence without the " at line 1 column 9" tail, and without the value given when the
/// path runs through a secret's name ("invalid type: integer `5`, expected a string" keeps only
/// "expected a string").
fn describe_data_error(path: &str, serde_text: &str) -> String {
    let text = serde_text
        .rsplit_once(" at line ")
        .map_or(serde_text, |(text, _)| text);
    let secret = path
        .split(['.', '[', ']'])
        .any(lanyard_core::audit::is_secret_name);
    if !secret {
        return text.to_owned();
    }
    match text.split_once("expected ") {
        Some((_, expected)) => format!("not a valid value; expected {expected}"),
        None => "not a valid value".to_owned(),
    }
}

fn data_error_code(what: &str) -> &'static str {
    if what.starts_with("unknown field") {
        "unknown_field"
    } else if what.starts_with("missing field") {
        "missing"
    } else if what.starts_with("unknown variant") {
        "unknown_value"
    } else {
        "invalid_value"
    }
}

/// A body's bytes (the SSO form and SCIM, which parse it themselves): too large is
/// `request_too_large` (413), one that does not arrive in time `invalid_request`.
pub struct AppBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for AppBytes {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::body::Bytes::from_request(req, state)
            .await
            .map(Self)
            .map_err(|rejection| {
                tracing::debug!(%rejection, "body not read");
                body_error(rejection.status())
            })
    }
}

/// The code for a body that could not be taken.
fn body_error(status: axum::http::StatusCode) -> AppError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::from(ErrorCode::RequestTooLarge)
    } else {
        AppError::from(ErrorCode::InvalidRequest)
    }
}

/// Path parameters of type `T` (an id that is not a number is `invalid_request`).
pub struct AppPath<T>(pub T);

impl<S, T> FromRequestParts<S> for AppPath<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| {
                tracing::debug!(%rejection, "bad path parameter");
                AppError::from(ErrorCode::InvalidRequest)
            })
    }
}

/// Query parameters of type `T`.
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| {
                tracing::debug!(%rejection, "bad query");
                AppError::from(ErrorCode::InvalidRequest)
            })
    }
}
