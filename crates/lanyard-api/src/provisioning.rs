//! SCIM provisioning's settings and API keys (SPEC §12). Secrets (the SCIM token, an API key) appear
//! only in the one response that creates them; nothing here can carry a stored one back.

use serde::{Deserialize, Serialize};

use crate::GroupId;

/// `GET /api/setting/scim`: never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimStatus {
    /// SCIM provisioning on or off.
    pub enabled: bool,
    /// The SCIM base URL to paste into the IdP (`https://site/api/scim/v2`).
    pub endpoint: String,
    /// When the last SCIM request arrived (RFC 3339), if any.
    pub last_request: Option<String>,
}

/// `PUT /api/setting/scim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnableScim {
    /// Turn SCIM on (a new token is made when it was off) or off (the token ends).
    pub enabled: bool,
}

/// The answer to turning SCIM on or rotating its token: the token, this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScimToken {
    /// SCIM provisioning on or off.
    pub enabled: bool,
    /// The bearer token for the IdP; `None` when nothing new was made (turned off, or already on).
    pub token: Option<String>,
    /// The SCIM base URL.
    pub endpoint: String,
}

impl std::fmt::Debug for ScimToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimToken")
            .field("enabled", &self.enabled)
            .field("token", &self.token.as_ref().map(|_| "(redacted)"))
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// `POST /api/api-key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// A name, unique among keys (audit entries show it).
    pub name: String,
    /// Acts as an administrator.
    #[serde(default)]
    pub is_admin: bool,
    /// Otherwise acts as a member of these groups.
    #[serde(default)]
    pub group_ids: Vec<GroupId>,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The key's first characters, to tell keys apart (`lanyard_AbC1…`).
    pub prefix: String,
    /// Acts as an administrator.
    pub is_admin: bool,
    /// Groups it acts as a member of.
    pub group_ids: Vec<GroupId>,
    /// The admin who created it.
    pub created_by: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last replaced (RFC 3339).
    pub rotated_at: Option<String>,
    /// Last used (RFC 3339).
    pub last_used_at: Option<String>,
}

/// A key just made (created or rotated): the key, this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreated {
    /// The key as listed.
    pub api_key: ApiKeyView,
    /// The key to send as `X-Api-Key`; only its hash is stored.
    pub key: String,
}

impl std::fmt::Debug for ApiKeyCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyCreated")
            .field("api_key", &self.api_key)
            .field("key", &"(redacted)")
            .finish()
    }
}
