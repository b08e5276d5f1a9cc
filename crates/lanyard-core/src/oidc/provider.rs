//! A provider's fields and their rules (SPEC §14), shared by the server and the SPA.

use std::collections::BTreeSet;

use lanyard_api::{FieldError, FieldName, GroupId, OidcProvider, SettingField, TokenEndpointAuth};
use url::Url;

use super::{check_scopes, check_slug};

/// Most providers the settings may hold.
pub const MAX_PROVIDERS: usize = 10;
/// Longest provider name and client id.
pub const MAX_PROVIDER_TEXT: usize = 255;

/// The field name a provider's field error carries: `oidc_providers.{index}.{field}`, so the SPA
/// can show it under that provider's field.
pub fn provider_field(index: usize, field: &str) -> FieldName {
    FieldName::Other(format!("oidc_providers.{index}.{field}"))
}

/// Every problem of the providers, each naming its provider's field (SPEC §14): slugs
/// (`[a-z0-9-]{1,32}`, unique), a name, an `https` issuer (`http` only on loopback) without query
/// or fragment, a client id, a client secret unless the client is public, scopes with `openid`,
/// claim names, group mappings and sign-in rules as for JWT.
pub fn provider_problems(
    providers: &[OidcProvider],
    known_groups: Option<&BTreeSet<GroupId>>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if providers.len() > MAX_PROVIDERS {
        errors.push(FieldError {
            field: SettingField::OidcProviders.into(),
            code: "too_many_providers".into(),
            message: "At most 10 OpenID Connect providers.".into(),
        });
    }
    let mut seen = BTreeSet::new();
    for (index, provider) in providers.iter().enumerate() {
        let mut fail = |field: &str, code: &str, message: &str| {
            errors.push(FieldError {
                field: provider_field(index, field),
                code: code.into(),
                message: message.into(),
            });
        };
        if let Some((code, message)) = check_slug(&provider.slug) {
            fail("slug", code, message);
        } else if !seen.insert(provider.slug.as_str()) {
            fail("slug", "duplicate_slug", "Another provider has this slug.");
        }
        if let Some((code, message)) = check_text(&provider.name, "name") {
            fail("name", code, message);
        }
        if let Some((code, message)) = check_issuer_url(&provider.issuer) {
            fail("issuer", code, message);
        }
        if let Some((code, message)) = check_text(&provider.client_id, "client id") {
            fail("client_id", code, message);
        }
        let secret = provider.client_secret.as_deref().unwrap_or_default();
        if provider.token_endpoint_auth != TokenEndpointAuth::None && secret.is_empty() {
            fail(
                "client_secret",
                "required",
                "Enter the client secret, or choose \"none\" for a public client.",
            );
        }
        if let Some((code, message)) = check_scopes(&provider.scopes) {
            fail("scopes", code, message);
        }
        for (field, value) in [
            ("attribute_email", &provider.attribute_email),
            ("attribute_firstname", &provider.attribute_firstname),
            ("attribute_lastname", &provider.attribute_lastname),
            ("attribute_groups", &provider.attribute_groups),
        ] {
            if let Some((code, message)) = crate::settings::check_claim_name(value) {
                fail(field, code, message);
            }
        }
        for (code, message) in
            crate::settings::mapping_problems(&provider.group_mappings, known_groups)
        {
            fail("group_mappings", code, message);
        }
        for (code, message) in crate::claims::rule_problems(&provider.claim_rules) {
            fail("claim_rules", code, &message);
        }
    }
    errors
}

/// `None` when `value` is non-empty, at most 255 characters and has no control characters.
fn check_text(value: &str, what: &str) -> Option<(&'static str, &'static str)> {
    if value.trim().is_empty() {
        Some((
            "required",
            if what == "name" {
                "Enter the provider's name."
            } else {
                "Enter the client id."
            },
        ))
    } else if value.chars().count() > MAX_PROVIDER_TEXT || value.chars().any(char::is_control) {
        Some((
            "invalid_text",
            "At most 255 characters, without control characters.",
        ))
    } else {
        None
    }
}

/// `None` when `value` can be an issuer: an `https` URL (`http` only for loopback) with no query
/// or fragment (OpenID Connect Discovery §3).
pub fn check_issuer_url(value: &str) -> Option<(&'static str, &'static str)> {
    if value.is_empty() {
        return Some((
            "required",
            "Enter the issuer URL, e.g. https://example.okta.com.",
        ));
    }
    if let Some((code, _)) = crate::settings::check_jwks_uri(value) {
        return Some(match code {
            "not_https" => (
                "not_https",
                "An issuer must be https (http only for 127.0.0.1, ::1 or localhost).",
            ),
            other => (
                other,
                "Enter the issuer as an absolute https:// URL, e.g. https://example.okta.com.",
            ),
        });
    }
    Url::parse(value)
        .ok()
        .filter(|url| url.query().is_some())
        .map(|_| ("has_query", "An issuer URL cannot have a ?query."))
}
