//! The server's one error type and its one mapping to HTTP. Internal details are logged, never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use lanyard_api::{ErrorBody, ErrorCode, FieldError};

use crate::service::Error;

/// Everything a request can fail with: a use case's [`Error`], or a request the HTTP layer could
/// not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// What the use case said.
    #[error(transparent)]
    Service(#[from] Error),
    /// A body or parameter not of the endpoint's shape (`invalid_request`), with a message that
    /// says where and what is accepted there.
    #[error("invalid request")]
    Invalid {
        /// The whole sentence.
        message: String,
        /// The top-level field at fault, when there is one.
        field: Option<FieldError>,
    },
}

impl From<ErrorCode> for AppError {
    fn from(code: ErrorCode) -> Self {
        Self::Service(Error::Code(code))
    }
}

impl From<lanyard_core::scim::ScimError> for AppError {
    fn from(error: lanyard_core::scim::ScimError) -> Self {
        Self::Service(Error::Scim(error))
    }
}

impl AppError {
    /// An error that is ours, with what to log.
    pub fn internal(what: impl Into<String>) -> Self {
        Self::Service(Error::Internal(what.into()))
    }

    /// The stable code this error answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Service(error) => error.code(),
            Self::Invalid { .. } => ErrorCode::InvalidRequest,
        }
    }

    fn body(&self) -> ErrorBody {
        match self {
            Self::Service(Error::Settings(fields)) => {
                ErrorBody::with_fields(ErrorCode::InvalidSettings, fields.clone())
            }
            Self::Service(Error::Refused(refusal)) => match &refusal.reason {
                Some(reason) => ErrorBody::explained(refusal.code, reason),
                None => ErrorBody::new(refusal.code),
            },
            Self::Invalid { message, field } => {
                let mut body = ErrorBody::with_fields(
                    ErrorCode::InvalidRequest,
                    field.iter().cloned().collect(),
                );
                body.error.message.clone_from(message);
                body
            }
            other => ErrorBody::new(other.code()),
        }
    }

    fn log_if_internal(&self) {
        match self {
            // One line per refused request would flood the log during an outage; the health
            // probe logs the outage's start and end once each.
            Self::Service(error) if error.is_outage() => {
                tracing::debug!(%error, "request refused: database unreachable");
            }
            Self::Service(error) if error.code() == ErrorCode::Internal => {
                tracing::error!(error = %self, "request failed");
            }
            _ => {}
        }
    }

    fn with_retry_after(&self, mut response: Response) -> Response {
        let Some(retry_after) = (match self {
            Self::Service(error) => error.retry_after(),
            Self::Invalid { .. } => None,
        }) else {
            return response;
        };
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        response
    }

    /// The error as an HTML page (the SSO endpoint, for browsers).
    pub fn into_html_response(self) -> Response {
        self.log_if_internal();
        let body = self.body();
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed</title>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
             <body style=\"font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem\">\
             <h1>Sign-in failed</h1><p>{}</p><p>Error code: <code>{}</code></p><p><a href=\"/\">Back to lanyard</a></p>\
             </body></html>",
            escape_html(&body.error.message),
            body.error.code.as_str(),
        );
        let response = (status_of(self.code()), Html(page)).into_response();
        self.with_retry_after(response)
    }
}

impl AppError {
    /// The error in SCIM's shape (RFC 7644 §3.12), as every `/api/scim/v2/` response is.
    pub fn into_scim_response(self) -> Response {
        use lanyard_core::scim::{CONTENT_TYPE, ScimError};
        self.log_if_internal();
        let error = match &self {
            Self::Service(Error::Scim(error)) => error.clone(),
            other => {
                let code = other.code();
                ScimError::status(status_of(code).as_u16(), code.message())
            }
        };
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response =
            self.with_retry_after((status, axum::Json(error.to_json())).into_response());
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"lanyard SCIM\""),
            );
        }
        response
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let response = (status_of(self.code()), axum::Json(self.body())).into_response();
        self.with_retry_after(response)
    }
}

/// The HTTP status for each code (README's error table).
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::AlgNotAllowed
        | C::InvalidSignature
        | C::TokenTooOld
        | C::IssuedInFuture
        | C::TokenExpired
        | C::TokenNotYetValid
        | C::InvalidAudience
        | C::InvalidIssuer
        | C::OidcNonceMismatch
        | C::TokenReplayed
        | C::UnknownKey
        | C::KeyRetired
        | C::MissingExp
        | C::InvalidCredentials
        | C::InvalidApiKey
        | C::Unauthenticated => StatusCode::UNAUTHORIZED,
        // A valid token whose claims the sign-in rules refuse: who, not whether it is genuine.
        C::ClaimRuleFailed
        | C::UserDeactivated
        | C::UserNotProvisioned
        | C::OidcEmailUnverified
        | C::OidcIdpError
        | C::PasswordLoginDisabled
        | C::Forbidden
        | C::SessionRequired
        | C::CrossSiteRequest => StatusCode::FORBIDDEN,
        C::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        C::RequestTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::UriTooLong => StatusCode::URI_TOO_LONG,
        C::NotFound | C::OidcDisabled => StatusCode::NOT_FOUND,
        C::OidcTokenExchangeFailed | C::OidcUserinfoFailed | C::OidcDiscoveryFailed => {
            StatusCode::BAD_GATEWAY
        }
        C::OidcEmailTaken
        | C::Conflict
        | C::LastAdmin
        | C::BuiltinGroup
        | C::AlreadySetUp
        | C::SettingsConflict => StatusCode::CONFLICT,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        C::JwksUnavailable | C::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
