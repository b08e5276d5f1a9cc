//! The audit log as the admin API shows it (SPEC §4): who did what, when, from where.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What an audit entry records. The wire strings are stable (`snake_case` of the name).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// A user signed in through JWT SSO.
    SsoLogin,
    /// A JWT SSO sign-in was refused (`details.code` says why).
    SsoLoginFailed,
    /// A user signed in with their password.
    PasswordLogin,
    /// A password sign-in was refused (`details.code` says why).
    PasswordLoginFailed,
    /// A user signed out.
    SignedOut,
    /// The first administrator was created.
    AdminCreated,
    /// The settings were changed (`details.changes`, the signing key only as "(changed)").
    SettingsChanged,
    /// The group mappings were saved with their member removals and group deletions.
    MappingsChanged,
    /// A group was created.
    GroupCreated,
    /// A group was renamed.
    GroupRenamed,
    /// A group was deleted (and left every mapping).
    GroupDeleted,
    /// Every member was removed from a group.
    GroupCleared,
    /// An admin created a user.
    UserCreated,
    /// An admin changed a user (names, admin flag, groups, active).
    UserUpdated,
    /// An admin rotated lanyard's assertion signing key.
    AssertionKeyRotated,
    /// Saving the mappings with `apply_now` changed one SSO user's memberships (`details.user_id`,
    /// `groups_added`, `groups_removed`, `notes`).
    MappingsApplied,
    /// A back-channel logout from the IdP ended a user's sessions (`details.user_id`,
    /// `sessions_ended`; `user_id` null when the token named no known user).
    BackchannelLogout,
    /// A back-channel logout was refused (`details.code` says why).
    BackchannelLogoutFailed,
    /// Sessions were ended by their user ("Your sessions") or by an admin (`details.sessions_ended`).
    SessionEnded,
    /// A user changed their own password (their other sessions ended).
    PasswordChanged,
    /// SCIM provisioning was turned on (a new token was made).
    ScimEnabled,
    /// SCIM provisioning was turned off (its token no longer works).
    ScimDisabled,
    /// The SCIM token was replaced (the old one ended).
    ScimTokenRotated,
    /// A SCIM request that changed nothing (a read), or one that was refused (`details.status`, `scim_type`).
    ScimRequest,
    /// A group's members changed through SCIM (`details.added`, `removed`).
    GroupMembersChanged,
    /// An admin created an API key (`details.name`).
    ApiKeyCreated,
    /// An API key was replaced by a new one (the old one ended).
    ApiKeyRotated,
    /// An API key was deleted.
    ApiKeyDeleted,
    /// An API key authenticated a request (`details.method`, `path`).
    ApiKeyUsed,
    /// Wrong SCIM tokens or API keys from one address (`details.credential`: `scim` or `api_key`;
    /// `attempts`: how many were refused since the last such entry). At most one a minute per
    /// address and credential; none while SCIM is off.
    CredentialsRefused,
}

impl AuditEvent {
    /// Every event, for documentation and exhaustive tests.
    pub const ALL: &'static [AuditEvent] = &[
        Self::SsoLogin,
        Self::SsoLoginFailed,
        Self::PasswordLogin,
        Self::PasswordLoginFailed,
        Self::SignedOut,
        Self::AdminCreated,
        Self::SettingsChanged,
        Self::MappingsChanged,
        Self::GroupCreated,
        Self::GroupRenamed,
        Self::GroupDeleted,
        Self::GroupCleared,
        Self::UserCreated,
        Self::UserUpdated,
        Self::AssertionKeyRotated,
        Self::MappingsApplied,
        Self::BackchannelLogout,
        Self::BackchannelLogoutFailed,
        Self::SessionEnded,
        Self::PasswordChanged,
        Self::ScimEnabled,
        Self::ScimDisabled,
        Self::ScimTokenRotated,
        Self::ScimRequest,
        Self::GroupMembersChanged,
        Self::ApiKeyCreated,
        Self::ApiKeyRotated,
        Self::ApiKeyDeleted,
        Self::ApiKeyUsed,
        Self::CredentialsRefused,
    ];

    /// The stable wire string, e.g. `"settings_changed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SsoLogin => "sso_login",
            Self::SsoLoginFailed => "sso_login_failed",
            Self::PasswordLogin => "password_login",
            Self::PasswordLoginFailed => "password_login_failed",
            Self::SignedOut => "signed_out",
            Self::AdminCreated => "admin_created",
            Self::SettingsChanged => "settings_changed",
            Self::MappingsChanged => "mappings_changed",
            Self::GroupCreated => "group_created",
            Self::GroupRenamed => "group_renamed",
            Self::GroupDeleted => "group_deleted",
            Self::GroupCleared => "group_cleared",
            Self::UserCreated => "user_created",
            Self::UserUpdated => "user_updated",
            Self::AssertionKeyRotated => "assertion_key_rotated",
            Self::MappingsApplied => "mappings_applied",
            Self::BackchannelLogout => "backchannel_logout",
            Self::BackchannelLogoutFailed => "backchannel_logout_failed",
            Self::SessionEnded => "session_ended",
            Self::PasswordChanged => "password_changed",
            Self::ScimEnabled => "scim_enabled",
            Self::ScimDisabled => "scim_disabled",
            Self::ScimTokenRotated => "scim_token_rotated",
            Self::ScimRequest => "scim_request",
            Self::GroupMembersChanged => "group_members_changed",
            Self::ApiKeyCreated => "api_key_created",
            Self::ApiKeyRotated => "api_key_rotated",
            Self::ApiKeyDeleted => "api_key_deleted",
            Self::ApiKeyUsed => "api_key_used",
            Self::CredentialsRefused => "credentials_refused",
        }
    }

    /// The event with this wire string.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|event| event.as_str() == text)
    }
}

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
    pub source: Option<String>,
    /// The client address.
    pub ip: Option<String>,
    /// Details; secrets are redacted before they are written.
    pub details: Value,
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
