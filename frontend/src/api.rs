//! Calls to the server with the shared wire types. Every non-OK response becomes an [`ApiError`] from
//! the server's own error body, so pages show the server's code and message.

use gloo_net::http::{Request, RequestBuilder, Response};
use lanyard_api::{ErrorBody, ErrorCode, FieldError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A failed call: the server's code and message (or a network failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The stable code, when the server answered with one.
    pub code: Option<ErrorCode>,
    /// What to show.
    pub message: String,
    /// Per-field errors (`invalid_settings`).
    pub fields: Vec<FieldError>,
}

impl ApiError {
    fn network(error: impl std::fmt::Display) -> Self {
        Self {
            code: None,
            message: format!("Could not reach the server: {error}"),
            fields: Vec::new(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} ({code})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

async fn into_result(response: Response) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    match response.json::<ErrorBody>().await {
        Ok(body) => Err(ApiError {
            code: Some(body.error.code),
            message: body.error.message,
            fields: body.error.fields,
        }),
        Err(_) => Err(ApiError {
            code: None,
            message: format!("The server answered {}.", response.status()),
            fields: Vec::new(),
        }),
    }
}

async fn json<T: DeserializeOwned>(
    request: Result<Request, gloo_net::Error>,
) -> Result<T, ApiError> {
    let response = request
        .map_err(ApiError::network)?
        .send()
        .await
        .map_err(ApiError::network)?;
    into_result(response)
        .await?
        .json::<T>()
        .await
        .map_err(ApiError::network)
}

/// `GET path` → `T`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    json(Request::get(path).build()).await
}

fn with_body<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Request, gloo_net::Error> {
    builder.json(body)
}

/// `POST path` with a JSON body → `T`.
pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    json(with_body(Request::post(path), body)).await
}

/// `PUT path` with a JSON body → `T`.
pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiError> {
    json(with_body(Request::put(path), body)).await
}

/// `DELETE path`: `None` for `204 No Content`, else the JSON answer.
pub async fn delete<T: DeserializeOwned>(path: &str) -> Result<Option<T>, ApiError> {
    let response = Request::delete(path)
        .send()
        .await
        .map_err(ApiError::network)?;
    let response = into_result(response).await?;
    if response.status() == 204 {
        return Ok(None);
    }
    response
        .json::<T>()
        .await
        .map(Some)
        .map_err(ApiError::network)
}

/// `PUT path` with a JSON body, answered without one (`204`).
pub async fn put_empty<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    let request = with_body(Request::put(path), body).map_err(ApiError::network)?;
    let response = request.send().await.map_err(ApiError::network)?;
    into_result(response).await.map(|_| ())
}

/// A call whose answer has no body (`204`), e.g. `DELETE`.
pub async fn send_empty(method: &str, path: &str) -> Result<(), ApiError> {
    let builder = match method {
        "DELETE" => Request::delete(path),
        "PUT" => Request::put(path),
        _ => Request::post(path),
    };
    let response = builder.send().await.map_err(ApiError::network)?;
    into_result(response).await.map(|_| ())
}

/// `POST path` with a JSON body, answered without one (`204`).
pub async fn post_empty<B: Serialize>(path: &str, body: &B) -> Result<(), ApiError> {
    let request = with_body(Request::post(path), body).map_err(ApiError::network)?;
    let response = request.send().await.map_err(ApiError::network)?;
    into_result(response).await.map(|_| ())
}
