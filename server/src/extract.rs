//! `AppJson<T>`: axum's `Json`, but a bad body answers with our error shape (`invalid_request`), and
//! nothing is written.

use axum::extract::{FromRequest, Request};
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
                AppError::Code(ErrorCode::InvalidRequest)
            })
    }
}
