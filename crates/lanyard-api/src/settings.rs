//! Settings as they cross the wire (SPEC §1). The signing key is write-only: it goes in through
//! [`JwtSettingsPatch`] and only a masked hint ever comes back in [`JwtSettingsView`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::JwtKey;
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

crate::jwt_settings!(wire);

/// A secret in an audit record: that it was sent, never what it was (`"(changed)"` on the wire).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Changed {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some([Changed::TEXT]))
            .description(Some("A secret was sent; its value is never recorded."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Changed {}

impl Changed {
    /// What a secret reads as in the audit log.
    pub const TEXT: &'static str = "(changed)";
}

impl Serialize for Changed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Self::TEXT)
    }
}

impl<'de> Deserialize<'de> for Changed {
    /// Any value reads as "changed": older entries were redacted where they were written.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| Changed)
    }
}

/// A ring key as a `settings_changed` entry records it: its secret only as [`Changed`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditedKey {
    /// The key id.
    pub kid: String,
    /// Its algorithm.
    pub alg: crate::KeyAlg,
    /// Whether a secret was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Changed>,
    /// The public key as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// When it retires (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
    /// Its name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A setting's audited value: as sent.
pub(crate) fn same<T: Clone>(value: &T) -> T {
    value.clone()
}

/// A secret's audited value: that it changed.
pub(crate) fn changed(_secret: &str) -> Changed {
    Changed
}

/// The key ring as audited: each secret only as [`Changed`].
pub(crate) fn keys_audited(keys: &[JwtKey]) -> Vec<AuditedKey> {
    keys.iter()
        .map(|key| AuditedKey {
            kid: key.kid.clone(),
            alg: key.alg,
            secret: key.secret.as_ref().map(|_| Changed),
            public_key: key.public_key.clone(),
            not_after: key.not_after,
            label: key.label.clone(),
        })
        .collect()
}

impl Serialize for SettingField {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SettingField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown setting `{name}`")))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for SettingField {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(SettingField::ALL.iter().map(|field| field.as_str())))
            .description(Some("A setting's name."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for SettingField {}

impl std::fmt::Display for SettingField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// The OpenID Connect provider (slug) whose mappings these are; absent: JWT's (SPEC §14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// The body of `POST /api/setting/jwt/mappings/preview`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MappingsPreviewRequest {
    /// The mappings to preview, as they would be saved.
    pub mappings: GroupMappings,
    /// The OpenID Connect provider (slug) whose mappings these are; absent: JWT's (SPEC §14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
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
