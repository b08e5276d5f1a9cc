//! Sign-in, sessions and the current user (SPEC §2.1, §2.8, §3, §5).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::people::{GroupId, UserId};

/// `GET /auth/sso` with `Accept: application/json` and no token: where to send the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoStart {
    /// The identity provider's URL with `return_to` added.
    pub url: String,
    /// Always `"jwt"`.
    pub method: String,
}

/// A new session from `POST /api/session` or `POST /api/setup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionCreated {
    /// The session token (also set as the `lanyard.SESSION` cookie).
    pub id: String,
    /// When the session expires, in seconds since the Unix epoch.
    pub expires_at: i64,
}

/// One of the caller's sessions (`GET /api/session/list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// Names the session in `DELETE /api/session/list/{id}` (never its token).
    pub id: String,
    /// Whether it is the session of this very request ("this device").
    pub current: bool,
    /// When it began, RFC 3339.
    pub created_at: String,
    /// When it was last used, RFC 3339 (recorded at most once a minute).
    pub last_seen: Option<String>,
    /// The client's address at last use.
    pub client_ip: Option<String>,
    /// The client's User-Agent at last use.
    pub user_agent: Option<String>,
    /// When it expires, RFC 3339.
    pub expires_at: String,
}

/// The body of `PUT /api/user/current/password`. `Debug` shows neither password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// The current password.
    pub old_password: String,
    /// The new password (lanyard-core's rule: at least 8 characters).
    pub password: String,
}

impl std::fmt::Debug for ChangePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePassword").finish_non_exhaustive()
    }
}

/// How many sessions a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionsEnded {
    /// The count.
    pub sessions_ended: u64,
}

/// `DELETE /api/session` for an SSO user while `jwt_logout_uri` is set: where to send the browser
/// so the identity provider signs them out too (SPEC §11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedOut {
    /// Where the browser continues so the IdP signs the user out too: `jwt_logout_uri`, or an
    /// OpenID Connect provider's `end_session_endpoint` with the session's `id_token_hint`.
    pub logout_url: String,
}

/// A session from `/auth/sso` in JSON mode (`token=true`, `response=json` or `Accept:
/// application/json`): Metabase's embedding-SDK shape plus `expires_at` (SPEC §2.8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoSession {
    /// The session token (also set as the `lanyard.SESSION` cookie).
    pub id: String,
    /// The token's `exp`, when it had one (Unix seconds).
    pub exp: Option<i64>,
    /// The token's `iat`, when it had one (Unix seconds).
    pub iat: Option<i64>,
    /// When the session expires (Unix seconds).
    pub expires_at: i64,
}

/// `POST /api/session`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordLogin {
    /// The email.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for PasswordLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordLogin")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `POST /api/setup`: the first admin, accepted only while there are no users.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FirstAdmin {
    /// The admin's email.
    pub email: String,
    /// The admin's password.
    pub password: String,
    /// First name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<String>,
}

impl std::fmt::Debug for FirstAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirstAdmin")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `GET /api/session/properties`: what the login page needs. Public, so no secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionProperties {
    /// Whether JWT SSO is on.
    pub sso_enabled: bool,
    /// Whether the password form should be shown.
    pub password_login_enabled: bool,
    /// Where **Sign in with SSO** points (`/auth/sso`), when SSO is on.
    pub sso_url: Option<String>,
    /// True while there are no users: the SPA shows "Create your admin account".
    pub needs_setup: bool,
    /// One **Sign in with {name}** button per enabled OpenID Connect provider (SPEC §14).
    #[serde(default)]
    pub oidc_providers: Vec<crate::OidcButton>,
    /// With password login off and exactly one SSO method: where the page goes at once (it keeps a
    /// link to stay).
    #[serde(default)]
    pub straight_to: Option<String>,
}

/// `GET /api/user/current`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    /// The user's id.
    pub id: UserId,
    /// The email, ASCII-lowercased.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Whether the user is an administrator.
    pub is_superuser: bool,
    /// The groups the user belongs to.
    pub group_ids: Vec<GroupId>,
    /// Their names, in the same order.
    pub group_names: Vec<String>,
    /// Claims stored from the last SSO login.
    pub login_attributes: Map<String, Value>,
    /// `"jwt"` for SSO users, `None` for password-only users.
    pub sso_source: Option<String>,
    /// Last sign-in, RFC 3339.
    pub last_login: Option<String>,
}
