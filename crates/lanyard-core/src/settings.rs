//! The settings document (SPEC §1): defaults, validation that reports every field at once, partial
//! updates that keep the write-only signing key, and the masked view the API returns.

use std::collections::BTreeSet;

use lanyard_api::{
    FieldError, GroupId, GroupMappings, JwtSettingsPatch, JwtSettingsView, ReplayProtection,
};
use serde::{Deserialize, Serialize};
use url::Url;

/// Shortest signing key accepted, in bytes (RFC 8725 §3.5: an HMAC key is never a password).
pub const MIN_SECRET_BYTES: usize = 32;
/// Bounds of `jwt_max_age_seconds`.
pub const MAX_AGE_RANGE: std::ops::RangeInclusive<i64> = 1..=86_400;
/// Bounds of `jwt_clock_skew_seconds`.
pub const CLOCK_SKEW_RANGE: std::ops::RangeInclusive<i64> = 0..=300;
/// Longest claim name and JWT group name accepted.
pub const MAX_NAME_CHARS: usize = 255;

/// The stored settings document. `Debug` never prints the signing key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// JWT SSO on or off.
    pub jwt_enabled: bool,
    /// Where users are sent to sign in.
    pub jwt_identity_provider_uri: String,
    /// The HMAC key's bytes, as the admin typed them.
    pub jwt_shared_secret: String,
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
    /// Whether unknown users are created on first login.
    pub jwt_user_provisioning: bool,
    /// Oldest accepted `iat`, in seconds.
    pub jwt_max_age_seconds: i64,
    /// Clock leeway, in seconds.
    pub jwt_clock_skew_seconds: i64,
    /// Whether password login is allowed.
    pub enable_password_login: bool,
    /// The site's base URL; `None` means "derive it from the request".
    pub site_url: Option<String>,
    /// Which tokens are accepted only once.
    pub jwt_replay_protection: ReplayProtection,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            jwt_enabled: false,
            jwt_identity_provider_uri: String::new(),
            jwt_shared_secret: String::new(),
            jwt_attribute_email: "email".into(),
            jwt_attribute_firstname: "first_name".into(),
            jwt_attribute_lastname: "last_name".into(),
            jwt_attribute_groups: "groups".into(),
            jwt_group_sync: false,
            jwt_group_mappings: GroupMappings::new(),
            jwt_user_provisioning: true,
            jwt_max_age_seconds: 180,
            jwt_clock_skew_seconds: 30,
            enable_password_login: true,
            site_url: None,
            jwt_replay_protection: ReplayProtection::Jti,
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is left out on purpose: Debug output ends up in logs.
        f.debug_struct("Settings")
            .field("jwt_enabled", &self.jwt_enabled)
            .field("jwt_identity_provider_uri", &self.jwt_identity_provider_uri)
            .field("jwt_shared_secret", &mask_secret(&self.jwt_shared_secret))
            .field("jwt_group_sync", &self.jwt_group_sync)
            .field("jwt_group_mappings", &self.jwt_group_mappings)
            .field("enable_password_login", &self.enable_password_login)
            .finish_non_exhaustive()
    }
}

/// The hint shown for a stored key: `"…"` and its last two characters, or `""` for no key.
///
/// ```
/// assert_eq!(lanyard_core::settings::mask_secret("0123456789abcdef0123456789abcdef"), "…ef");
/// assert_eq!(lanyard_core::settings::mask_secret(""), "");
/// ```
pub fn mask_secret(secret: &str) -> String {
    if secret.is_empty() {
        return String::new();
    }
    let tail: Vec<char> = secret.chars().rev().take(2).collect();
    let mut hint = String::from("…");
    hint.extend(tail.iter().rev());
    hint
}

/// A fresh signing key as **Generate key** offers it: 64 hex characters from 32 random bytes, which the
/// caller draws from a CSPRNG (this crate has no randomness of its own).
pub fn generate_secret(random: [u8; 32]) -> String {
    hex::encode(random)
}

impl Settings {
    /// The view `GET /api/setting/jwt` returns: everything but the key, with the version the
    /// settings are stored under.
    pub fn view(&self, version: i64) -> JwtSettingsView {
        JwtSettingsView {
            jwt_enabled: self.jwt_enabled,
            jwt_identity_provider_uri: self.jwt_identity_provider_uri.clone(),
            jwt_shared_secret_set: !self.jwt_shared_secret.is_empty(),
            jwt_shared_secret_hint: mask_secret(&self.jwt_shared_secret),
            jwt_attribute_email: self.jwt_attribute_email.clone(),
            jwt_attribute_firstname: self.jwt_attribute_firstname.clone(),
            jwt_attribute_lastname: self.jwt_attribute_lastname.clone(),
            jwt_attribute_groups: self.jwt_attribute_groups.clone(),
            jwt_group_sync: self.jwt_group_sync,
            jwt_group_mappings: self.jwt_group_mappings.clone(),
            jwt_user_provisioning: self.jwt_user_provisioning,
            jwt_max_age_seconds: self.jwt_max_age_seconds,
            jwt_clock_skew_seconds: self.jwt_clock_skew_seconds,
            enable_password_login: self.enable_password_login,
            site_url: self.site_url.clone(),
            jwt_replay_protection: self.jwt_replay_protection,
            version,
        }
    }

    /// These settings with `patch` applied, then validated as a whole.
    ///
    /// Absent fields keep their value. The key is kept when the patch omits it or sends the masked hint
    /// back unchanged. Turning JWT SSO off turns password login back on (SPEC §1), so nobody is locked out.
    /// `known_groups`, when given, are the ids mappings may point to.
    pub fn apply(
        &self,
        patch: &JwtSettingsPatch,
        known_groups: Option<&BTreeSet<GroupId>>,
    ) -> Result<Settings, Vec<FieldError>> {
        let mut next = self.clone();
        let keep = |current: &mut String, new: &Option<String>| {
            if let Some(value) = new {
                current.clone_from(value);
            }
        };
        if let Some(value) = patch.jwt_enabled {
            next.jwt_enabled = value;
        }
        keep(
            &mut next.jwt_identity_provider_uri,
            &patch.jwt_identity_provider_uri,
        );
        if let Some(secret) = &patch.jwt_shared_secret
            && *secret != mask_secret(&self.jwt_shared_secret)
        {
            next.jwt_shared_secret.clone_from(secret);
        }
        keep(&mut next.jwt_attribute_email, &patch.jwt_attribute_email);
        keep(
            &mut next.jwt_attribute_firstname,
            &patch.jwt_attribute_firstname,
        );
        keep(
            &mut next.jwt_attribute_lastname,
            &patch.jwt_attribute_lastname,
        );
        keep(&mut next.jwt_attribute_groups, &patch.jwt_attribute_groups);
        if let Some(value) = patch.jwt_group_sync {
            next.jwt_group_sync = value;
        }
        if let Some(value) = &patch.jwt_group_mappings {
            next.jwt_group_mappings.clone_from(value);
        }
        if let Some(value) = patch.jwt_user_provisioning {
            next.jwt_user_provisioning = value;
        }
        if let Some(value) = patch.jwt_max_age_seconds {
            next.jwt_max_age_seconds = value;
        }
        if let Some(value) = patch.jwt_clock_skew_seconds {
            next.jwt_clock_skew_seconds = value;
        }
        if let Some(value) = patch.enable_password_login {
            next.enable_password_login = value;
        }
        if let Some(value) = patch.jwt_replay_protection {
            next.jwt_replay_protection = value;
        }
        if let Some(value) = &patch.site_url {
            next.site_url = (!value.is_empty()).then(|| value.clone());
        }
        if !next.jwt_enabled && self.jwt_enabled {
            next.enable_password_login = true;
        }
        next.validate(known_groups)?;
        Ok(next)
    }

    /// Every rule of SPEC §1, all fields at once. `Ok` means the document may be stored.
    pub fn validate(
        &self,
        known_groups: Option<&BTreeSet<GroupId>>,
    ) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, code: &str, message: &str| {
            errors.push(FieldError {
                field: field.into(),
                code: code.into(),
                message: message.into(),
            });
        };

        let uri_problem = check_http_url(&self.jwt_identity_provider_uri);
        if let Some((code, message)) =
            uri_problem.filter(|_| !self.jwt_identity_provider_uri.is_empty())
        {
            fail("jwt_identity_provider_uri", code, message);
        }
        let secret_len = self.jwt_shared_secret.len();
        if secret_len > 0 && secret_len < MIN_SECRET_BYTES {
            fail(
                "jwt_shared_secret",
                "too_short",
                "The signing key must be at least 32 bytes; use Generate key for a strong one.",
            );
        }
        if self.jwt_enabled {
            if self.jwt_identity_provider_uri.is_empty() {
                fail(
                    "jwt_identity_provider_uri",
                    "required",
                    "Enter the identity provider's URI before enabling JWT.",
                );
            }
            if secret_len == 0 {
                fail(
                    "jwt_shared_secret",
                    "required",
                    "Enter or generate a signing key before enabling JWT.",
                );
            }
        }
        for (field, value) in [
            ("jwt_attribute_email", &self.jwt_attribute_email),
            ("jwt_attribute_firstname", &self.jwt_attribute_firstname),
            ("jwt_attribute_lastname", &self.jwt_attribute_lastname),
            ("jwt_attribute_groups", &self.jwt_attribute_groups),
        ] {
            if let Some((code, message)) = check_claim_name(value) {
                fail(field, code, message);
            }
        }
        for (name, ids) in &self.jwt_group_mappings {
            if name.trim().is_empty() {
                fail(
                    "jwt_group_mappings",
                    "empty_group_name",
                    "A JWT group name cannot be empty.",
                );
            } else if name.chars().count() > MAX_NAME_CHARS {
                fail(
                    "jwt_group_mappings",
                    "group_name_too_long",
                    "A JWT group name can be at most 255 characters.",
                );
            }
            if let Some(known) = known_groups
                && ids.iter().any(|id| !known.contains(id))
            {
                fail(
                    "jwt_group_mappings",
                    "unknown_group",
                    "A mapping points to a group that does not exist.",
                );
            }
        }
        if !MAX_AGE_RANGE.contains(&self.jwt_max_age_seconds) {
            fail(
                "jwt_max_age_seconds",
                "out_of_range",
                "The maximum token age must be between 1 and 86400 seconds.",
            );
        }
        if !CLOCK_SKEW_RANGE.contains(&self.jwt_clock_skew_seconds) {
            fail(
                "jwt_clock_skew_seconds",
                "out_of_range",
                "The clock skew must be between 0 and 300 seconds.",
            );
        }
        if !self.enable_password_login && !self.jwt_enabled {
            fail(
                "enable_password_login",
                "requires_sso",
                "Password login can be turned off only while JWT SSO is enabled.",
            );
        }
        if let Some(site_url) = &self.site_url
            && let Some((code, message)) = check_http_url(site_url)
        {
            fail("site_url", code, message);
        }

        // Several mappings may fail the same way; one message per field and code is enough.
        errors.dedup_by(|a, b| a.field == b.field && a.code == b.code);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// These settings with `group` removed from every mapping (the group was deleted). A mapping
    /// left with no groups stays, so the admin sees it and can point it elsewhere.
    pub fn without_group(&self, group: GroupId) -> Settings {
        let mut next = self.clone();
        for ids in next.jwt_group_mappings.values_mut() {
            ids.retain(|&id| id != group);
        }
        next
    }

    /// True when JWT SSO is on and usable: what the login page and `/auth/sso` ask.
    pub fn sso_ready(&self) -> bool {
        self.jwt_enabled && self.validate(None).is_ok()
    }
}

/// `None` when `value` is an absolute http(s) URL with a host and no fragment; otherwise the problem.
fn check_http_url(value: &str) -> Option<(&'static str, &'static str)> {
    const NOT_URL: (&str, &str) = (
        "not_absolute_url",
        "Enter an absolute http:// or https:// URL, e.g. https://idp.example.com/sso.",
    );
    if value.trim() != value {
        return Some((
            "surrounding_whitespace",
            "Remove the spaces around the URL.",
        ));
    }
    let Ok(url) = Url::parse(value) else {
        return Some(NOT_URL);
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Some(NOT_URL);
    }
    if url.fragment().is_some() {
        return Some(("has_fragment", "The URL cannot have a #fragment."));
    }
    None
}

/// `None` when `value` can name a claim.
fn check_claim_name(value: &str) -> Option<(&'static str, &'static str)> {
    if value.is_empty() {
        Some(("required", "Enter a claim name."))
    } else if value.trim() != value || value.chars().any(char::is_control) {
        Some((
            "invalid_claim_name",
            "A claim name cannot have surrounding spaces or control characters.",
        ))
    } else if value.chars().count() > MAX_NAME_CHARS {
        Some(("too_long", "A claim name can be at most 255 characters."))
    } else {
        None
    }
}
