//! The settings document (SPEC §1): defaults, validation that reports every field at once, partial
//! updates that keep the write-only signing key, and the masked view the API returns.

use std::collections::BTreeSet;

use lanyard_api::{
    FieldError, GroupId, JwtKey, JwtKeyView, JwtSettingsPatch, KeyStatus, OidcProvider,
    OidcProviderView, SettingField,
};

use crate::claims;
use crate::keys::{PublicKey, min_secret_bytes, valid_kid};
use url::Url;

/// Shortest signing key accepted, in bytes (RFC 8725 §3.5: an HMAC key is never a password).
pub const MIN_SECRET_BYTES: usize = 32;
/// Bounds of `jwt_max_age_seconds`.
pub const MAX_AGE_RANGE: std::ops::RangeInclusive<i64> = 1..=86_400;
/// Bounds of `jwt_clock_skew_seconds`.
pub const CLOCK_SKEW_RANGE: std::ops::RangeInclusive<i64> = 0..=300;
/// Longest claim name and JWT group name accepted.
pub const MAX_NAME_CHARS: usize = 255;
/// Most keys the ring may hold (SPEC §8).
pub const MAX_KEYS: usize = 20;
/// Bounds of `jwt_jwks_cache_seconds`.
pub const JWKS_CACHE_RANGE: std::ops::RangeInclusive<i64> = 60..=86_400;

lanyard_api::jwt_settings!(document);

// The functions the settings table (lanyard-api's `jwt_settings!`) names for each row's view and
// patch.

/// A view field that shows the stored value.
fn copied<T: Clone>(stored: &T, _now: i64) -> T {
    stored.clone()
}

/// Whether a secret is stored.
fn secret_set(stored: &str, _now: i64) -> bool {
    !stored.is_empty()
}

/// A stored secret's masked hint.
fn secret_hint(stored: &str, _now: i64) -> String {
    mask_secret(stored)
}

/// The ring as the view shows it: secrets masked, each key's status at `now`.
fn key_views(stored: &[JwtKey], now: i64) -> Vec<JwtKeyView> {
    stored.iter().map(|key| key_view(key, now)).collect()
}

/// `key` as written, with the stored secret of the same `kid` and algorithm kept when the secret
/// is absent or is that secret's masked hint sent back.
fn keep_stored_secret(current: &[JwtKey], key: &JwtKey) -> JwtKey {
    let stored = current
        .iter()
        .find(|stored| stored.kid == key.kid && stored.alg == key.alg)
        .and_then(|stored| stored.secret.as_deref());
    let mut key = key.clone();
    if let Some(stored) = stored
        && key
            .secret
            .as_deref()
            .is_none_or(|secret| secret == mask_secret(stored))
    {
        key.secret = Some(stored.to_owned());
    }
    key
}

/// A patch value replaces the stored one.
fn replace<T: Clone>(next: &mut T, _current: &T, sent: &T) {
    next.clone_from(sent);
}

/// A secret is replaced unless the masked hint of the stored one was sent back.
fn keep_secret(next: &mut String, current: &str, sent: &str) {
    if sent != mask_secret(current) {
        sent.clone_into(next);
    }
}

/// `""` clears an optional text; anything else sets it.
fn clear_if_empty(next: &mut Option<String>, _current: &Option<String>, sent: &str) {
    *next = (!sent.is_empty()).then(|| sent.to_owned());
}

/// The ring as sent, each HMAC key keeping its stored secret when the secret is absent or sent
/// back masked.
fn keep_stored_key_secrets(next: &mut Vec<JwtKey>, current: &[JwtKey], sent: &[JwtKey]) {
    *next = sent
        .iter()
        .map(|key| keep_stored_secret(current, key))
        .collect();
}

/// The providers as the view shows them: client secrets masked.
fn provider_views(stored: &[OidcProvider], _now: i64) -> Vec<OidcProviderView> {
    stored
        .iter()
        .map(|provider| provider.view(mask_secret))
        .collect()
}

/// The providers as sent, each keeping the stored client secret of the same slug when its secret
/// is absent or sent back masked. A public client (`none`) keeps none.
fn keep_stored_provider_secrets(
    next: &mut Vec<OidcProvider>,
    current: &[OidcProvider],
    sent: &[OidcProvider],
) {
    *next = sent
        .iter()
        .map(|provider| {
            let mut provider = provider.clone();
            let stored = current
                .iter()
                .find(|stored| stored.slug == provider.slug)
                .and_then(|stored| stored.client_secret.as_deref());
            if provider.token_endpoint_auth == lanyard_api::TokenEndpointAuth::None {
                provider.client_secret = None;
            } else if let Some(stored) = stored
                && provider
                    .client_secret
                    .as_deref()
                    .is_none_or(|secret| secret.is_empty() || secret == mask_secret(stored))
            {
                provider.client_secret = Some(stored.to_owned());
            }
            provider
        })
        .collect();
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
            .field("jwt_keys", &self.jwt_keys)
            .field("enable_password_login", &self.enable_password_login)
            .field("scim_enabled", &self.scim_enabled)
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
        let mut next = self.apply_fields(patch);
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
        let mut fail = |field: SettingField, code: &str, message: &str| {
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
            fail(SettingField::JwtIdentityProviderUri, code, message);
        }
        let secret_len = self.jwt_shared_secret.len();
        if secret_len > 0 && secret_len < MIN_SECRET_BYTES {
            fail(
                SettingField::JwtSharedSecret,
                "too_short",
                "The signing key must be at least 32 bytes; use Generate key for a strong one.",
            );
        }
        if self.jwt_enabled {
            if self.jwt_identity_provider_uri.is_empty() {
                fail(
                    SettingField::JwtIdentityProviderUri,
                    "required",
                    "Enter the identity provider's URI before enabling JWT.",
                );
            }
            if secret_len == 0 && self.jwt_keys.is_empty() && self.jwt_jwks_uri.is_empty() {
                fail(
                    SettingField::JwtSharedSecret,
                    "required",
                    "Enter or generate a signing key (or add a key or a JWKS URI) before enabling JWT.",
                );
            }
        }
        for (field, value) in [
            (SettingField::JwtAttributeEmail, &self.jwt_attribute_email),
            (
                SettingField::JwtAttributeFirstname,
                &self.jwt_attribute_firstname,
            ),
            (
                SettingField::JwtAttributeLastname,
                &self.jwt_attribute_lastname,
            ),
            (SettingField::JwtAttributeGroups, &self.jwt_attribute_groups),
        ] {
            if let Some((code, message)) = check_claim_name(value) {
                fail(field, code, message);
            }
        }
        for (code, message) in mapping_problems(&self.jwt_group_mappings, known_groups) {
            fail(SettingField::JwtGroupMappings, code, message);
        }
        if !MAX_AGE_RANGE.contains(&self.jwt_max_age_seconds) {
            fail(
                SettingField::JwtMaxAgeSeconds,
                "out_of_range",
                "The maximum token age must be between 1 and 86400 seconds.",
            );
        }
        if !CLOCK_SKEW_RANGE.contains(&self.jwt_clock_skew_seconds) {
            fail(
                SettingField::JwtClockSkewSeconds,
                "out_of_range",
                "The clock skew must be between 0 and 300 seconds.",
            );
        }
        if !self.enable_password_login
            && !self.jwt_enabled
            && self.enabled_providers().next().is_none()
        {
            fail(
                SettingField::EnablePasswordLogin,
                "requires_sso",
                "Password login can be turned off only while JWT SSO or an OpenID Connect provider is enabled.",
            );
        }
        if let Some(site_url) = &self.site_url
            && let Some((code, message)) = check_http_url(site_url)
        {
            fail(SettingField::SiteUrl, code, message);
        }

        if !self.jwt_jwks_uri.is_empty()
            && let Some((code, message)) = check_jwks_uri(&self.jwt_jwks_uri)
        {
            fail(SettingField::JwtJwksUri, code, message);
        }
        if !JWKS_CACHE_RANGE.contains(&self.jwt_jwks_cache_seconds) {
            fail(
                SettingField::JwtJwksCacheSeconds,
                "out_of_range",
                "The JWKS cache time must be between 60 and 86400 seconds.",
            );
        }
        for (code, message) in check_keys(&self.jwt_keys) {
            fail(SettingField::JwtKeys, code, &message);
        }
        if !self.jwt_logout_uri.is_empty()
            && let Some((code, message)) = check_http_url(&self.jwt_logout_uri)
        {
            fail(SettingField::JwtLogoutUri, code, message);
        }
        if let Some((code, message)) = claims::check_identifier(&self.jwt_issuer, "issuer") {
            fail(SettingField::JwtIssuer, code, &message);
        }
        if self.jwt_audiences.len() > claims::MAX_AUDIENCES {
            fail(
                SettingField::JwtAudiences,
                "too_many_audiences",
                "At most 20 accepted audiences.",
            );
        }
        for audience in &self.jwt_audiences {
            let problem = if audience.is_empty() {
                Some(("required", "An audience cannot be empty.".to_owned()))
            } else {
                claims::check_identifier(audience, "audience")
            };
            if let Some((code, message)) = problem {
                fail(SettingField::JwtAudiences, code, &message);
            }
        }
        for (code, message) in claims::rule_problems(&self.jwt_claim_rules) {
            fail(SettingField::JwtClaimRules, code, &message);
        }

        errors.extend(crate::oidc::provider_problems(
            &self.oidc_providers,
            known_groups,
        ));
        errors.extend(crate::policy::policy_problems(&self.access_policies));
        if self.bearer_audiences.len() > claims::MAX_AUDIENCES {
            fail_audiences(
                &mut errors,
                "too_many_audiences",
                "At most 20 bearer audiences.".into(),
            );
        }
        for audience in &self.bearer_audiences {
            let problem = if audience.is_empty() {
                Some(("required", "An audience cannot be empty.".to_owned()))
            } else {
                claims::check_identifier(audience, "audience")
            };
            if let Some((code, message)) = problem {
                fail_audiences(&mut errors, code, message);
            }
        }

        // Several mappings may fail the same way; one message per field and code is enough.
        errors.dedup_by(|a, b| a.field == b.field && a.code == b.code);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// These settings with `group` removed from every mapping, JWT's and each provider's (the group
    /// was deleted). A mapping
    /// left with no groups stays, so the admin sees it and can point it elsewhere.
    pub fn without_group(&self, group: GroupId) -> Settings {
        let mut next = self.clone();
        let provider_mappings = next
            .oidc_providers
            .iter_mut()
            .map(|provider| &mut provider.group_mappings);
        for mappings in std::iter::once(&mut next.jwt_group_mappings).chain(provider_mappings) {
            for ids in mappings.values_mut() {
                ids.retain(|&id| id != group);
            }
        }
        next
    }

    /// The mappings a sign-in method syncs with — JWT's (`provider` `None`) or a provider's — with
    /// whether its group sync is on and the `sso_source` of the users it signs in; `None` for an
    /// unknown provider.
    pub fn mappings_of(&self, provider: Option<&str>) -> Option<MappingTarget<'_>> {
        match provider {
            None => Some(MappingTarget {
                mappings: &self.jwt_group_mappings,
                group_sync: self.jwt_group_sync,
                source: "jwt".into(),
            }),
            Some(slug) => self
                .oidc_providers
                .iter()
                .find(|p| p.slug == slug)
                .map(|p| MappingTarget {
                    mappings: &p.group_mappings,
                    group_sync: p.group_sync,
                    source: format!("oidc:{slug}"),
                }),
        }
    }

    /// The patch that replaces the mappings of JWT (`provider` `None`) or of one provider.
    pub fn mappings_patch(
        &self,
        provider: Option<&str>,
        mappings: lanyard_api::GroupMappings,
    ) -> JwtSettingsPatch {
        match provider {
            None => JwtSettingsPatch {
                jwt_group_mappings: Some(mappings),
                ..JwtSettingsPatch::default()
            },
            Some(slug) => JwtSettingsPatch {
                oidc_providers: Some(
                    self.oidc_providers
                        .iter()
                        .map(|p| {
                            let mut p = p.clone();
                            if p.slug == slug {
                                p.group_mappings.clone_from(&mappings);
                            }
                            p
                        })
                        .collect(),
                ),
                ..JwtSettingsPatch::default()
            },
        }
    }

    /// The enabled OpenID Connect providers, in their order.
    pub fn enabled_providers(&self) -> impl Iterator<Item = &OidcProvider> {
        self.oidc_providers
            .iter()
            .filter(|provider| provider.enabled)
    }

    /// The enabled provider with this slug.
    pub fn provider(&self, slug: &str) -> Option<&OidcProvider> {
        self.enabled_providers()
            .find(|provider| provider.slug == slug)
    }

    /// True when JWT SSO is on and usable: what the login page and `/auth/sso` ask.
    pub fn sso_ready(&self) -> bool {
        self.jwt_enabled && self.validate(None).is_ok()
    }
}

fn fail_audiences(errors: &mut Vec<FieldError>, code: &str, message: String) {
    errors.push(FieldError {
        field: SettingField::BearerAudiences.into(),
        code: code.into(),
        message,
    });
}

/// The mappings one sign-in method syncs with ([`Settings::mappings_of`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingTarget<'a> {
    /// The mappings.
    pub mappings: &'a lanyard_api::GroupMappings,
    /// Whether that method's group sync is on.
    pub group_sync: bool,
    /// The `sso_source` of the users it signs in (`jwt`, `oidc:{slug}`).
    pub source: String,
}

/// What is wrong with group mappings: empty or long names, ids of groups that do not exist (when
/// `known_groups` is given). One entry per problem kind.
pub(crate) fn mapping_problems(
    mappings: &lanyard_api::GroupMappings,
    known_groups: Option<&BTreeSet<GroupId>>,
) -> Vec<(&'static str, &'static str)> {
    let mut problems = Vec::new();
    for (name, ids) in mappings {
        if name.trim().is_empty() {
            problems.push(("empty_group_name", "A JWT group name cannot be empty."));
        } else if name.chars().count() > MAX_NAME_CHARS {
            problems.push((
                "group_name_too_long",
                "A JWT group name can be at most 255 characters.",
            ));
        }
        if let Some(known) = known_groups
            && ids.iter().any(|id| !known.contains(id))
        {
            problems.push((
                "unknown_group",
                "A mapping points to a group that does not exist.",
            ));
        }
    }
    problems.sort_unstable();
    problems.dedup();
    problems
}

/// `None` when `value` is an absolute http(s) URL with a host and no fragment; otherwise the problem.
pub(crate) fn check_http_url(value: &str) -> Option<(&'static str, &'static str)> {
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

/// `None` when `value` can name a claim: an exact name, or a well-formed JSON Pointer (`/a/b`).
pub(crate) fn check_claim_name(value: &str) -> Option<(&'static str, &'static str)> {
    if value.is_empty() {
        Some(("required", "Enter a claim name."))
    } else if value.trim() != value || value.chars().any(char::is_control) {
        Some((
            "invalid_claim_name",
            "A claim name cannot have surrounding spaces or control characters.",
        ))
    } else if value.chars().count() > MAX_NAME_CHARS {
        Some(("too_long", "A claim name can be at most 255 characters."))
    } else if !claims::valid_pointer(value) {
        Some((
            "invalid_pointer",
            "A claim path starting with / is a JSON Pointer: write ~0 for ~ and ~1 for / inside a name.",
        ))
    } else {
        None
    }
}

/// A key as the API shows it: secrets masked, public keys with their thumbprint.
fn key_view(key: &JwtKey, now: i64) -> JwtKeyView {
    let secret = key.secret.as_deref().unwrap_or_default();
    let public = key
        .public_key
        .as_deref()
        .and_then(|text| PublicKey::parse(text).ok());
    JwtKeyView {
        kid: key.kid.clone(),
        alg: key.alg,
        label: key.label.clone(),
        not_after: key.not_after,
        status: if key.not_after.is_some_and(|not_after| now > not_after) {
            KeyStatus::Retired
        } else {
            KeyStatus::Active
        },
        secret_set: !secret.is_empty(),
        secret_hint: mask_secret(secret),
        public_key: key.public_key.clone(),
        public_jwk: public.as_ref().map(|public| public.to_jwk().to_string()),
        thumbprint: public.as_ref().map(PublicKey::thumbprint),
    }
}

/// The key ring's rules (SPEC §8): each problem once, named by the key's id.
fn check_keys(keys: &[JwtKey]) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if keys.len() > MAX_KEYS {
        problems.push((
            "too_many_keys",
            format!("The key ring holds at most {MAX_KEYS} keys."),
        ));
    }
    let mut seen = BTreeSet::new();
    for key in keys {
        let kid = &key.kid;
        if !valid_kid(kid) {
            problems.push((
                "invalid_kid",
                "A key id is 1 to 128 printable ASCII characters, without spaces.".to_owned(),
            ));
        } else if !seen.insert(kid.as_str()) {
            problems.push(("duplicate_kid", format!("Two keys have the id \"{kid}\".")));
        }
        if key
            .label
            .as_ref()
            .is_some_and(|label| label.chars().count() > MAX_NAME_CHARS)
        {
            problems.push((
                "too_long",
                format!("The label of \"{kid}\" is over 255 characters."),
            ));
        }
        match (min_secret_bytes(key.alg), &key.secret, &key.public_key) {
            (Some(_), _, Some(_)) => problems.push((
                "unexpected_public_key",
                format!("\"{kid}\" is an HMAC key: give it a secret, not a public key."),
            )),
            (Some(min), secret, None) => {
                let len = secret.as_deref().map_or(0, str::len);
                if len == 0 {
                    problems.push(("secret_required", format!("\"{kid}\" needs its secret.")));
                } else if len < min {
                    problems.push((
                        "too_short",
                        format!(
                            "The secret of \"{kid}\" must be at least {min} bytes for {}.",
                            key.alg.as_str()
                        ),
                    ));
                }
            }
            (None, Some(_), _) => problems.push((
                "unexpected_secret",
                format!("\"{kid}\" is a public-key algorithm: give it a public key, not a secret."),
            )),
            (None, None, None) => problems.push((
                "public_key_required",
                format!("\"{kid}\" needs its public key (PEM or JWK)."),
            )),
            (None, None, Some(text)) => {
                if let Err(error) = PublicKey::parse(text).and_then(|key_| key_.check_for(key.alg))
                {
                    problems.push((error.code, format!("\"{kid}\": {}", error.message)));
                }
            }
        }
    }
    problems
}

/// A JWKS URI is https — or http to this machine (loopback), for tests and sidecars.
pub(crate) fn check_jwks_uri(value: &str) -> Option<(&'static str, &'static str)> {
    if let Some(problem) = check_http_url(value) {
        return Some(problem);
    }
    let url = Url::parse(value).ok()?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    (url.scheme() != "https" && !loopback).then_some((
        "not_https",
        "A JWKS URI must be https (http only for 127.0.0.1, ::1 or localhost).",
    ))
}
