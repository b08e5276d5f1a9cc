//! The audit log as the admin API shows it (SPEC §4): who did what, when, from where.

use serde::{Deserialize, Serialize};

use crate::AuditEvent;
use serde_json::Value;

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Id, increasing.
    pub id: i64,
    /// When, RFC 3339.
    pub at: String,
    /// What happened.
    pub event: AuditEvent,
    /// Who did it (or who tried), when known.
    pub actor_email: Option<String>,
    /// What acted, when not a person: `"scim"` or `"api_key:<name>"`.
    #[serde(default)]
    pub source: Option<crate::AuditSource>,
    /// The client address.
    pub ip: Option<String>,
    /// Details; secrets are redacted before they are written.
    pub details: Value,
}

impl AuditEntry {
    /// The entry's event with its details, typed; `None` for details this version cannot read.
    pub fn record(&self) -> Option<crate::AuditRecord> {
        crate::AuditRecord::read(self.event, &self.details).ok()
    }
}

/// One page of `GET /api/audit`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The entries.
    pub data: Vec<AuditEntry>,
    /// How many entries exist in all.
    pub total: i64,
}

/// Which entries `GET /api/audit` (and its CSV export) returns; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditFilter {
    /// Only this kind of event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<AuditEvent>,
    /// Only entries naming this person (part of an email, matched against who acted, the source and
    /// the details, case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// To this day (`YYYY-MM-DD`, UTC), inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// Sign-ins in one stretch of time (an hour or a day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInBucket {
    /// Where the stretch starts (RFC 3339).
    pub start: String,
    /// Sign-ins that succeeded (SSO and password).
    pub successes: i64,
    /// Refused sign-ins by error code.
    pub failures: std::collections::BTreeMap<String, i64>,
}

/// The last refused SSO sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoFailure {
    /// When (RFC 3339).
    pub at: String,
    /// Its error code.
    pub code: String,
}

/// `GET /api/audit/summary`: the overview — sign-ins over time, counts, the IdP connection's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditSummary {
    /// Active people.
    pub people: i64,
    /// Unexpired sessions.
    pub active_sessions: i64,
    /// JWT SSO is on.
    pub sso_enabled: bool,
    /// The last 24 hours, hour by hour (oldest first; the last one is the current hour).
    pub last_24_hours: Vec<SignInBucket>,
    /// The last 7 days, day by day (UTC; oldest first; the last one is today).
    pub last_7_days: Vec<SignInBucket>,
    /// The last successful SSO sign-in (RFC 3339).
    pub last_sso_login: Option<String>,
    /// The last refused SSO sign-in.
    pub last_sso_failure: Option<SsoFailure>,
    /// The JWK Set's status, when a JWKS URI is set.
    pub jwks: Option<crate::JwksStatus>,
}
