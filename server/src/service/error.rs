//! The use cases' one error type: what went wrong, as a stable [`ErrorCode`] and what the answer
//! needs besides it. It names no HTTP type: the HTTP layer maps it to a response.

use lanyard_api::{ErrorCode, FieldError};
use lanyard_core::scim::ScimError;
use lanyard_core::token::Refusal;

use crate::store::StoreError;

/// Everything a use case can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A refusal with a stable code.
    #[error("{0}")]
    Code(ErrorCode),
    /// A token refused by lanyard-core, with the reason when the code alone does not say what
    /// failed (a sign-in rule's claim).
    #[error("{}", .0.code)]
    Refused(Refusal),
    /// Settings failed validation.
    #[error("invalid settings")]
    Settings(Vec<FieldError>),
    /// Too many failures; retry after this many seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after: u64,
    },
    /// A SCIM request refused with SCIM's `status` and `scimType` (SPEC §12).
    #[error("{0}")]
    Scim(ScimError),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Self::Code(code)
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Self::Code(ErrorCode::Conflict),
            StoreError::NotFound => Self::Code(ErrorCode::NotFound),
            StoreError::Replayed => Self::Code(ErrorCode::TokenReplayed),
            StoreError::VersionConflict => Self::Code(ErrorCode::SettingsConflict),
            other => Self::Store(other),
        }
    }
}

impl From<ScimError> for Error {
    fn from(error: ScimError) -> Self {
        Self::Scim(error)
    }
}

impl Error {
    /// The stable code this error answers with.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Code(code) => *code,
            Self::Refused(refusal) => refusal.code,
            Self::Settings(_) => ErrorCode::InvalidSettings,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Scim(error) if error.status == 404 => ErrorCode::NotFound,
            Self::Scim(error) if error.status == 409 => ErrorCode::Conflict,
            Self::Scim(_) => ErrorCode::InvalidRequest,
            Self::Store(StoreError::Unavailable(_)) => ErrorCode::StorageUnavailable,
            Self::Store(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The refusal as its audit entry records it: the code, and for a sign-in rule the reason.
    pub fn refused(&self) -> lanyard_api::Refused {
        let reason = match self {
            Self::Refused(Refusal { reason, .. }) => reason.clone(),
            _ => None,
        };
        lanyard_api::Refused {
            code: self.code(),
            reason,
        }
    }

    /// Whether the database is out of reach (answered `503`, and logged once by the health probe
    /// rather than once per request).
    pub fn is_outage(&self) -> bool {
        matches!(self, Self::Store(StoreError::Unavailable(_)))
    }

    /// Seconds after which a retry can succeed, for a refusal that has them: a rate limit, or
    /// the database being out of reach (a second).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } => Some(*retry_after),
            Self::Store(StoreError::Unavailable(_)) => Some(1),
            _ => None,
        }
    }
}
