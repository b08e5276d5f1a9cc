//! Calls to the server with the shared wire types. Every non-OK response becomes an [`ApiError`] from
//! the server's own error body, so pages show the server's code and message.

use gloo_net::http::{Request, Response};
use lanyard_api::{Endpoint, ErrorBody, ErrorCode, FieldError, Method};

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

/// Calls `endpoint` with `body` (nothing is sent for [`lanyard_api::NoBody`]): its answer, typed
/// as the endpoint says (`204` reads as [`lanyard_api::NoContent`], or `None` where the answer is
/// optional), or the server's error.
pub async fn call<E: Endpoint>(endpoint: &E, body: &E::Request) -> Result<E::Response, ApiError> {
    let url = url(endpoint);
    let builder = match E::METHOD {
        Method::Get => Request::get(&url),
        Method::Post => Request::post(&url),
        Method::Put => Request::put(&url),
        Method::Delete => Request::delete(&url),
    };
    let body = serde_json::to_value(body).map_err(ApiError::network)?;
    let request = if body.is_null() {
        builder.build()
    } else {
        builder.json(&body)
    };
    let response = request
        .map_err(ApiError::network)?
        .send()
        .await
        .map_err(ApiError::network)?;
    let response = into_result(response).await?;
    if response.status() == 204 {
        return serde_json::from_value(serde_json::Value::Null).map_err(ApiError::network);
    }
    response
        .json::<E::Response>()
        .await
        .map_err(ApiError::network)
}

/// The endpoint's URL: its path with its parameters, and its query (for a link, or a call).
pub fn url<E: Endpoint>(endpoint: &E) -> String {
    let mut url = endpoint.path();
    if let Some(query) = endpoint.query().map(|query| query_string(&query))
        && !query.is_empty()
    {
        url.push('?');
        url.push_str(&query);
    }
    url
}

/// `a=1&b=text` from a JSON object of plain values (each encoded; `null`s left out).
fn query_string(query: &serde_json::Value) -> String {
    let Some(object) = query.as_object() else {
        return String::new();
    };
    object
        .iter()
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::Null => return None,
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            Some(format!(
                "{}={}",
                js_sys::encode_uri_component(key),
                js_sys::encode_uri_component(&text)
            ))
        })
        .collect::<Vec<_>>()
        .join("&")
}
