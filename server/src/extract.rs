//! Extractors whose rejections answer with our error shape (`invalid_request`) instead of axum's
//! plain-text ones, so every refusal matches the documented `ErrorBody`, and nothing is written.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use lanyard_api::ErrorCode;

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
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(value)| Self(value))
            .map_err(|rejection| {
                tracing::debug!(%rejection, "bad JSON body");
                body_error(rejection.status())
            })
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
        AppError::Code(ErrorCode::RequestTooLarge)
    } else {
        AppError::Code(ErrorCode::InvalidRequest)
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
                AppError::Code(ErrorCode::InvalidRequest)
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
                AppError::Code(ErrorCode::InvalidRequest)
            })
    }
}
