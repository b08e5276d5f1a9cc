//! Settings as they cross the wire (SPEC §1). The signing key is write-only: it goes in through
//! [`JwtSettingsPatch`] and only a masked hint ever comes back in [`JwtSettingsView`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::{JwksStatus, JwtKey, JwtKeyView};
use crate::people::GroupId;

/// JWT group name → ids of lanyard groups. Ordered, so the same mappings always serialise the same.
pub type GroupMappings = BTreeMap<String, Vec<GroupId>>;

/// Which tokens are accepted only once (SPEC §2.2, `jwt_replay_protection`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReplayProtection {
    /// Tokens with a `jti` are accepted once per `iss` + `jti`; tokens without one may be reused
    /// within their short validity, as in Metabase (IdPs that sign no `jti` make byte-identical
    /// tokens for two logins in the same second).
    #[default]
    Jti,
    /// Every token is accepted once (by `iss` + `jti`, or by its signed bytes when it has no `jti`).
    All,
}

/// How a sign-in rule compares a claim with its value (SPEC §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimOp {
    /// The claim equals `value` (JSON equality; numbers by value).
    Equals,
    /// The claim equals one of `value`'s entries (an array).
    OneOf,
    /// The claim is an array with an entry equal to `value` (a lone string counts as a one-entry
    /// array, as in the groups claim).
    Contains,
    /// The claim is present and not `null`; no `value`.
    Exists,
}

/// One sign-in rule (`jwt_claim_rules`): every rule must hold for a token to sign anyone in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimRule {
    /// The claim: an exact top-level name, or an RFC 6901 JSON Pointer starting with `/` for a
    /// nested one (`/realm_access/roles`).
    pub claim: String,
    /// The comparison.
    pub op: ClaimOp,
    /// What the claim is compared with; absent for `exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<serde_json::Value>))]
    pub value: Option<serde_json::Value>,
}

/// What `GET /api/setting/jwt` answers: every setting, with the key replaced by whether it is set and a hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JwtSettingsView {
    /// Whether JWT SSO is on.
    pub jwt_enabled: bool,
    /// Where users are sent to sign in.
    pub jwt_identity_provider_uri: String,
    /// Whether a signing key is stored.
    pub jwt_shared_secret_set: bool,
    /// `"…"` and the key's last two characters, or `""` when no key is stored.
    pub jwt_shared_secret_hint: String,
    /// Claim holding the email.
    pub jwt_attribute_email: String,
    /// Claim holding the first name.
    pub jwt_attribute_firstname: String,
    /// Claim holding the last name.
    pub jwt_attribute_lastname: String,
    /// Claim holding the groups.
    pub jwt_attribute_groups: String,
    /// Whether group memberships follow the token.
    pub jwt_group_sync: bool,
    /// JWT group name → lanyard group ids.
    pub jwt_group_mappings: GroupMappings,
    /// Whether unknown users are created on first SSO login.
    pub jwt_user_provisioning: bool,
    /// Oldest accepted `iat`, in seconds.
    pub jwt_max_age_seconds: i64,
    /// Leeway for clocks, in seconds.
    pub jwt_clock_skew_seconds: i64,
    /// Whether password login is allowed.
    pub enable_password_login: bool,
    /// The site's base URL, when set; otherwise it is derived from each request.
    pub site_url: Option<String>,
    /// Which tokens are accepted only once.
    pub jwt_replay_protection: ReplayProtection,
    /// The key ring (SPEC §8), secrets masked.
    pub jwt_keys: Vec<JwtKeyView>,
    /// A JWK Set URL the server fetches keys from (`""`: none).
    pub jwt_jwks_uri: String,
    /// How long fetched keys are used before the set is fetched again, seconds.
    pub jwt_jwks_cache_seconds: i64,
    /// The JWK Set as this server last fetched it; `None` without `jwt_jwks_uri`.
    #[serde(default)]
    pub jwks: Option<JwksStatus>,
    /// The `iss` every token must carry; `""` accepts any (SPEC §9).
    pub jwt_issuer: String,
    /// Accepted audiences besides the site's URL; when non-empty, `aud` is required (SPEC §9).
    pub jwt_audiences: Vec<String>,
    /// Sign-in rules, all of which must hold (SPEC §9).
    pub jwt_claim_rules: Vec<ClaimRule>,
    /// Where an SSO user's browser goes after signing out here, so the IdP signs them out too;
    /// `""` for nowhere (SPEC §11).
    pub jwt_logout_uri: String,
    /// The stored settings' version: send it back with a change, and a change made meanwhile by
    /// someone else is refused (`settings_conflict`) instead of being overwritten.
    pub version: i64,
}

/// The body of `PUT /api/setting/jwt`: a partial update. Absent fields keep their value; unknown fields
/// are refused so a typo never silently does nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct JwtSettingsPatch {
    /// See [`JwtSettingsView::jwt_enabled`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_enabled: Option<bool>,
    /// See [`JwtSettingsView::jwt_identity_provider_uri`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_identity_provider_uri: Option<String>,
    /// The new signing key. Absent, or the masked hint sent back unchanged: the stored key is kept.
    /// `""` removes the key (allowed only while JWT SSO is off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_shared_secret: Option<String>,
    /// See [`JwtSettingsView::jwt_attribute_email`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_attribute_email: Option<String>,
    /// See [`JwtSettingsView::jwt_attribute_firstname`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_attribute_firstname: Option<String>,
    /// See [`JwtSettingsView::jwt_attribute_lastname`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_attribute_lastname: Option<String>,
    /// See [`JwtSettingsView::jwt_attribute_groups`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_attribute_groups: Option<String>,
    /// See [`JwtSettingsView::jwt_group_sync`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_group_sync: Option<bool>,
    /// See [`JwtSettingsView::jwt_group_mappings`]. Replaces all mappings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_group_mappings: Option<GroupMappings>,
    /// See [`JwtSettingsView::jwt_user_provisioning`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_user_provisioning: Option<bool>,
    /// See [`JwtSettingsView::jwt_max_age_seconds`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_max_age_seconds: Option<i64>,
    /// See [`JwtSettingsView::jwt_clock_skew_seconds`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_clock_skew_seconds: Option<i64>,
    /// See [`JwtSettingsView::enable_password_login`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_password_login: Option<bool>,
    /// See [`JwtSettingsView::site_url`]. `""` clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// See [`JwtSettingsView::jwt_replay_protection`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_replay_protection: Option<ReplayProtection>,
    /// The whole key ring (replaces it); an HMAC key's secret absent or sent back masked is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_keys: Option<Vec<JwtKey>>,
    /// See [`JwtSettingsView::jwt_jwks_uri`]. Fetched on save: an unreachable or unusable set is a
    /// field error and nothing is saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_jwks_uri: Option<String>,
    /// See [`JwtSettingsView::jwt_jwks_cache_seconds`] (60..=86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_jwks_cache_seconds: Option<i64>,
    /// See [`JwtSettingsView::jwt_issuer`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_issuer: Option<String>,
    /// See [`JwtSettingsView::jwt_audiences`]. Replaces the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_audiences: Option<Vec<String>>,
    /// See [`JwtSettingsView::jwt_claim_rules`]. Replaces the rules (at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_claim_rules: Option<Vec<ClaimRule>>,
    /// See [`JwtSettingsView::jwt_logout_uri`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt_logout_uri: Option<String>,
    /// The version these changes were made against ([`JwtSettingsView::version`]). When it is no
    /// longer current the save is refused with `409 settings_conflict`; absent, the change applies
    /// to whatever is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// The body of `PUT /api/setting/enable-password-login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EnablePasswordLogin {
    /// The new value.
    pub value: bool,
    /// As [`JwtSettingsPatch::version`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// The body of `PUT /api/setting/jwt/mappings`: the mappings modal's whole result, saved in one
/// transaction that either does all of it or nothing (SPEC §4, §10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SaveMappings {
    /// The new mappings (they replace the old ones).
    pub mappings: GroupMappings,
    /// The settings version the modal was opened on; `409 settings_conflict` when it changed.
    pub version: i64,
    /// Groups whose members are all removed ("also remove all members").
    #[serde(default)]
    pub remove_members_of: Vec<GroupId>,
    /// Groups deleted ("also delete the group"); they leave every mapping too.
    #[serde(default)]
    pub delete_groups: Vec<GroupId>,
    /// Apply the new mappings to every SSO user now, from the groups of their last login, as their
    /// next login would (SPEC §10); audited per user.
    #[serde(default)]
    pub apply_now: bool,
}

/// The body of `POST /api/setting/jwt/mappings/preview`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingsPreviewRequest {
    /// The mappings to preview, as they would be saved.
    pub mappings: GroupMappings,
}

/// What new mappings would do to the people who sign in with SSO (SPEC §10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingsImpact {
    /// Each SSO user whose memberships would change at their next login (or at once with
    /// `apply_now`), by id.
    pub users: Vec<UserImpact>,
    /// Per group: who would join and leave.
    pub groups: Vec<GroupImpact>,
    /// Groups the current mappings name and the new ones do not: sync stops touching them, so
    /// their members stay unless removed.
    pub unmapped_groups: Vec<UnmappedGroup>,
}

/// One person's changes under the previewed mappings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserImpact {
    /// The user's id.
    pub user_id: i64,
    /// Their email.
    pub email: String,
    /// Groups they would join.
    pub add: Vec<GroupId>,
    /// Groups they would leave.
    pub remove: Vec<GroupId>,
    /// Changes left out on purpose (the last administrator stays one).
    pub notes: Vec<String>,
}

/// One group's changes under the previewed mappings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupImpact {
    /// The group's id.
    pub group_id: GroupId,
    /// Users who would join it.
    pub join: Vec<i64>,
    /// Users who would leave it.
    pub leave: Vec<i64>,
}

/// A group that stops being mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnmappedGroup {
    /// The group's id.
    pub group_id: GroupId,
    /// How many members it has now.
    pub member_count: i64,
}

/// The body of `POST /api/setting/jwt/test`: a token, checked against the saved settings with the
/// optional unsaved changes applied on top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenTestRequest {
    /// The JWT to check.
    pub token: String,
    /// Unsaved changes to test with; the saved settings are used for every absent field.
    #[serde(default)]
    pub settings: Option<JwtSettingsPatch>,
}

/// `POST /api/setting/assertion-key/rotate`: the key that signs forward-auth assertions from now on
/// (the previous one stays published for 10 minutes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssertionKey {
    /// The new key's id: the RFC 7638 thumbprint of its public JWK.
    pub kid: String,
}
