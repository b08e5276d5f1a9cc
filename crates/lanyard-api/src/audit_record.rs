//! What an audit entry records (SPEC §4), typed: each event once, with its details. The server
//! writes an [`AuditRecord`]; the SPA reads one back from an entry
//! ([`AuditEntry::record`](crate::AuditEntry::record)) and describes it with an exhaustive `match`.
//! A secret has no field here: a settings change records it as [`Changed`], a password not at all.

use serde::{Deserialize, Serialize};

use crate::people::GroupId;
use crate::{ErrorCode, JwtSettingsChanges, UserChanges};

/// Declares every event once: its variant, wire string, details type and meaning.
macro_rules! audit_events {
    ($( $(#[doc = $doc:literal])* $variant:ident $wire:literal ($details:ty), )*) => {
        /// What an audit entry records. The wire strings are stable (`snake_case` of the name).
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum AuditEvent {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl AuditEvent {
            /// Every event, for documentation and exhaustive tests.
            pub const ALL: &'static [AuditEvent] = &[ $( Self::$variant, )* ];

            /// The stable wire string, e.g. `"settings_changed"`.
            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $wire, )* }
            }
        }

        /// One audit entry's event with its typed details.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum AuditRecord {
            $( $(#[doc = $doc])* $variant($details), )*
        }

        impl AuditRecord {
            /// The event.
            pub fn event(&self) -> AuditEvent {
                match self { $( Self::$variant(_) => AuditEvent::$variant, )* }
            }

            /// The details as stored and shown (JSON).
            pub fn details(&self) -> serde_json::Value {
                let value = match self { $( Self::$variant(details) => serde_json::to_value(details), )* };
                // Details are plain data (strings, numbers, lists, maps with string keys): they
                // always serialise.
                value.unwrap_or_default()
            }

            /// The record an entry holds: its event with its details read as that event's type.
            pub fn read(event: AuditEvent, details: &serde_json::Value) -> Result<Self, serde_json::Error> {
                Ok(match event {
                    $( AuditEvent::$variant => Self::$variant(<$details>::deserialize(details)?), )*
                })
            }
        }
    };
}

audit_events! {
    /// A user signed in through JWT SSO.
    SsoLogin "sso_login" (SignedIn),
    /// A JWT SSO sign-in was refused (`details.code` says why).
    SsoLoginFailed "sso_login_failed" (Refused),
    /// A user signed in with their password.
    PasswordLogin "password_login" (Nothing),
    /// A password sign-in was refused (`details.code` says why).
    PasswordLoginFailed "password_login_failed" (Refused),
    /// A user signed out.
    SignedOut "signed_out" (Nothing),
    /// The first administrator was created.
    AdminCreated "admin_created" (AdminCreated),
    /// The settings were changed (`details.changes`, the signing key only as "(changed)").
    SettingsChanged "settings_changed" (Box<SettingsChanged>),
    /// The group mappings were saved with their member removals and group deletions.
    MappingsChanged "mappings_changed" (MappingsChanged),
    /// A group was created.
    GroupCreated "group_created" (GroupNamed),
    /// A group was renamed.
    GroupRenamed "group_renamed" (GroupNamed),
    /// A group was deleted (and left every mapping).
    GroupDeleted "group_deleted" (GroupRef),
    /// Every member was removed from a group.
    GroupCleared "group_cleared" (GroupRef),
    /// An admin created a user.
    UserCreated "user_created" (UserCreated),
    /// An admin changed a user (names, admin flag, groups, active).
    UserUpdated "user_updated" (UserUpdated),
    /// An admin rotated lanyard's assertion signing key.
    AssertionKeyRotated "assertion_key_rotated" (KeyRotated),
    /// Saving the mappings with `apply_now` changed one SSO user's memberships (`details.user_id`,
    /// `groups_added`, `groups_removed`, `notes`).
    MappingsApplied "mappings_applied" (MappingsApplied),
    /// A back-channel logout from the IdP ended a user's sessions (`details.user_id`,
    /// `sessions_ended`; `user_id` null when the token named no known user).
    BackchannelLogout "backchannel_logout" (BackchannelLogout),
    /// A back-channel logout was refused (`details.code` says why).
    BackchannelLogoutFailed "backchannel_logout_failed" (Refused),
    /// Sessions were ended by their user ("Your sessions") or by an admin (`details.sessions_ended`).
    SessionEnded "session_ended" (SessionsEnded),
    /// A user changed their own password (their other sessions ended).
    PasswordChanged "password_changed" (PasswordChanged),
    /// SCIM provisioning was turned on (a new token was made).
    ScimEnabled "scim_enabled" (Nothing),
    /// SCIM provisioning was turned off (its token no longer works).
    ScimDisabled "scim_disabled" (Nothing),
    /// The SCIM token was replaced (the old one ended).
    ScimTokenRotated "scim_token_rotated" (Nothing),
    /// A SCIM request that changed nothing (a read), or one that was refused (`details.status`, `scim_type`).
    ScimRequest "scim_request" (ScimRequest),
    /// A group's members changed through SCIM (`details.added`, `removed`).
    GroupMembersChanged "group_members_changed" (MembersChanged),
    /// An admin created an API key (`details.name`).
    ApiKeyCreated "api_key_created" (ApiKeyCreated),
    /// An API key was replaced by a new one (the old one ended).
    ApiKeyRotated "api_key_rotated" (ApiKeyNamed),
    /// An API key was deleted.
    ApiKeyDeleted "api_key_deleted" (ApiKeyNamed),
    /// An API key authenticated a request (`details.method`, `path`).
    ApiKeyUsed "api_key_used" (ApiKeyUsed),
    /// Wrong SCIM tokens or API keys from one address (`details.credential`: `scim` or `api_key`;
    /// `attempts`: how many were refused since the last such entry). At most one a minute per
    /// address and credential; none while SCIM is off.
    CredentialsRefused "credentials_refused" (CredentialsRefused),
}

impl AuditEvent {
    /// The event with this wire string.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|event| event.as_str() == text)
    }
}

/// No details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nothing {}

/// How someone signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// A JWT from the IdP at `/auth/sso`.
    Jwt,
    /// An OpenID Connect provider's ID token (the provider is the entry's source).
    Oidc,
}

/// A sign-in, with the group changes group sync made (absent when group sync is off).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// How.
    pub method: SignInMethod,
    /// Groups joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_added: Option<Vec<GroupId>>,
    /// Groups left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups_removed: Option<Vec<GroupId>>,
    /// Changes left out on purpose (the last administrator stays one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A refusal: its error code and, for a sign-in rule, the sentence naming the rule's claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// Why.
    pub code: ErrorCode,
    /// More of why, never a value from the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where the first administrator came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AdminSource {
    /// `lanyard admin create` or `LANYARD_ADMIN_EMAIL`.
    #[serde(rename = "command line")]
    CommandLine,
}

/// The first administrator: from the setup page (no source) or the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminCreated {
    /// Where from, when not the setup page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<AdminSource>,
}

/// A settings save.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsChanged {
    /// The fields it sent.
    #[serde(default)]
    pub changes: JwtSettingsChanges,
}

/// An IdP group and the lanyard groups it maps to, by their names then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingNamed {
    /// The IdP's group.
    pub idp_group: String,
    /// lanyard's groups.
    pub groups: Vec<String>,
}

/// A mapping whose groups changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingChanged {
    /// The IdP's group.
    pub idp_group: String,
    /// Its groups before.
    pub before: Vec<String>,
    /// Its groups after.
    pub after: Vec<String>,
}

/// A group emptied or deleted with the mappings save, and how many members it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembersCount {
    /// Its name then.
    pub group: String,
    /// Its id.
    pub group_id: GroupId,
    /// Members it had.
    pub members: u64,
}

/// A mappings save: what it did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingsChanged {
    /// The mappings saved.
    #[serde(default)]
    pub mappings: crate::GroupMappings,
    /// Mappings added.
    #[serde(default)]
    pub mappings_added: Vec<MappingNamed>,
    /// Mappings whose groups changed.
    #[serde(default)]
    pub mappings_changed: Vec<MappingChanged>,
    /// Mappings removed.
    #[serde(default)]
    pub mappings_removed: Vec<MappingNamed>,
    /// Groups whose members were all removed.
    #[serde(default)]
    pub members_removed: Vec<GroupMembersCount>,
    /// Groups deleted.
    #[serde(default)]
    pub groups_deleted: Vec<GroupMembersCount>,
    /// How many people `apply_now` changed; `None` without `apply_now`.
    #[serde(default)]
    pub applied_to: Option<u64>,
}

/// A group by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupNamed {
    /// Its id.
    pub group: GroupId,
    /// Its (new) name.
    pub name: String,
}

/// A group by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    /// Its id.
    pub group: GroupId,
}

/// A user created by an admin or by SCIM (which also says whether it is active).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserCreated {
    /// Their email.
    pub user: String,
    /// Their id.
    pub user_id: i64,
    /// Active (SCIM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A user changed by an admin (`changes`) or by SCIM (`active`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdated {
    /// Their email.
    pub user: String,
    /// Their id.
    pub user_id: i64,
    /// What an admin changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<UserChanges>,
    /// Active (SCIM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Sessions the change ended.
    #[serde(default)]
    pub sessions_ended: u64,
}

/// The assertion key now in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRotated {
    /// Its id.
    pub kid: String,
}

/// `apply_now` for one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingsApplied {
    /// Their id.
    pub user_id: i64,
    /// Their email.
    pub email: String,
    /// Groups joined.
    pub groups_added: Vec<GroupId>,
    /// Groups left.
    pub groups_removed: Vec<GroupId>,
    /// Changes left out on purpose.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// A back-channel logout: whom it named (none when no known user) and what it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackchannelLogout {
    /// The user's id.
    pub user_id: Option<i64>,
    /// Their email.
    pub email: Option<String>,
    /// Sessions ended.
    pub sessions_ended: u64,
}

/// Sessions ended: one of the caller's, all their others, or all of a user's (by an admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SessionsEnded {
    /// An admin ended all of a user's sessions.
    OfUser {
        /// Their email.
        user: String,
        /// Their id.
        user_id: i64,
        /// How many.
        sessions_ended: u64,
    },
    /// The caller ended all their other sessions.
    Others {
        /// Always `true`.
        others: bool,
        /// How many.
        sessions_ended: u64,
    },
    /// The caller ended one session.
    One {
        /// Its id.
        session: String,
    },
}

/// A user changed their own password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    /// Their id.
    pub user_id: i64,
    /// Their other sessions, ended.
    pub sessions_ended: u64,
}

/// A SCIM request that changed nothing, or was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimRequest {
    /// Its method.
    pub method: String,
    /// Its path (bounded).
    pub path: String,
    /// The answer's status.
    pub status: u16,
    /// The answer's `scimType`, when refused with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
}

/// A group's members changed (by an admin or SCIM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersChanged {
    /// The group.
    pub group: GroupId,
    /// Users added.
    #[serde(default)]
    pub added: Vec<i64>,
    /// Users removed.
    #[serde(default)]
    pub removed: Vec<i64>,
}

/// An API key created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    /// Its id.
    pub api_key: i64,
    /// Its name.
    pub name: String,
    /// Whether it acts as an administrator.
    pub is_admin: bool,
    /// Its groups.
    #[serde(default)]
    pub group_ids: Vec<GroupId>,
}

/// An API key by id and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyNamed {
    /// Its id.
    pub api_key: i64,
    /// Its name.
    pub name: String,
}

/// A request an API key authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyUsed {
    /// The key's id.
    pub api_key: i64,
    /// The request's method.
    pub method: String,
    /// Its path (bounded).
    pub path: String,
}

/// Which credential was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// The SCIM bearer token.
    Scim,
    /// An API key.
    ApiKey,
}

impl Credential {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scim => "scim",
            Self::ApiKey => "api_key",
        }
    }
}

/// Wrong credentials from one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsRefused {
    /// Which credential.
    pub credential: Credential,
    /// How many were refused since the last such entry.
    pub attempts: u64,
}

/// What acted, when it was not a person (SPEC §12): SCIM, or an API key by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditSource {
    /// The SCIM client.
    Scim,
    /// An API key, by its name.
    ApiKey(String),
    /// An OpenID Connect provider, by its slug (SPEC §14).
    Oidc(String),
}

impl AuditSource {
    /// As stored and sent: `"scim"` or `"api_key:<name>"`.
    pub fn to_wire(&self) -> String {
        match self {
            Self::Scim => "scim".into(),
            Self::ApiKey(name) => format!("api_key:{name}"),
            Self::Oidc(slug) => format!("oidc:{slug}"),
        }
    }

    /// The source with this wire form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "scim" => Some(Self::Scim),
            _ => text
                .strip_prefix("api_key:")
                .map(|name| Self::ApiKey(name.to_owned()))
                .or_else(|| {
                    text.strip_prefix("oidc:")
                        .map(|slug| Self::Oidc(slug.to_owned()))
                }),
        }
    }
}

impl Serialize for AuditSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for AuditSource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown audit source `{text}`")))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for AuditSource {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^(scim|api_key:.+|oidc:[a-z0-9-]+)$"))
            .description(Some(
                "What acted, when not a person: `scim`, or `api_key:` and the key's name.",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for AuditSource {}
