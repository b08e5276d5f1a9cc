//! Machine clients at `/auth/verify` (SPEC §15): what an `Authorization: Bearer` value is, and the
//! checks a JWT access token passes — the JWT key ring's or an OpenID Connect provider's keys, its
//! issuer and sign-in rules, an `aud` among `bearer_audiences`, an `exp` — before its groups claim
//! is mapped as a sign-in's would be.

use std::collections::BTreeSet;

use lanyard_api::{ClaimRule, ErrorCode, GroupId, GroupMappings, OidcProvider, ReplayProtection};
use serde_json::Value;

use crate::Checks;
use crate::keys::{KeyRing, PublicKeyVerifier};
use crate::profile::{self, ClaimNames};
use crate::strict_json::{Json, RawObject};
use crate::token::{self, Policy, Refusal};

/// The prefix every API key starts with (SPEC §12).
pub const API_KEY_PREFIX: &str = "lanyard_";

/// What a bearer value is taken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerKind {
    /// An API key (`lanyard_…`).
    ApiKey,
    /// A JWT access token (three dot-separated parts).
    AccessToken,
    /// A session token (SPEC §13 let scripts send their session this way).
    Session,
}

/// Tells the three apart by shape: none of them can be mistaken for another (API keys and session
/// tokens are base64url without dots; a JWT has exactly two).
///
/// ```
/// use lanyard_core::bearer::{kind_of, BearerKind};
/// assert_eq!(kind_of("lanyard_abc"), BearerKind::ApiKey);
/// assert_eq!(kind_of("eyJ.eyJ.sig"), BearerKind::AccessToken);
/// assert_eq!(kind_of("Zm9vYmFy"), BearerKind::Session);
/// ```
pub fn kind_of(value: &str) -> BearerKind {
    if value.starts_with(API_KEY_PREFIX) {
        BearerKind::ApiKey
    } else if value.matches('.').count() == 2 {
        BearerKind::AccessToken
    } else {
        BearerKind::Session
    }
}

/// A verified access token: who it names and its groups claim (IdP names, not yet mapped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// `sub` (required).
    pub subject: String,
    /// The email claim, when present and valid.
    pub email: Option<String>,
    /// First and last name claims.
    pub names: (Option<String>, Option<String>),
    /// The groups claim (empty when absent).
    pub groups: Vec<String>,
}

/// The `iss` a token claims, unverified: which keys to try (a provider's whose issuer it names,
/// else the JWT key ring). Never trusted beyond that choice: the keys' own checks follow.
pub fn claimed_issuer(token: &str) -> Option<String> {
    let parts = token::split(token).ok()?;
    let bytes = token::decode_segment(parts.payload).ok()?;
    let claims = token::parse_object(&bytes).ok()?;
    match claims.to_map().get("iss") {
        Some(Value::String(iss)) => Some(iss.clone()),
        _ => None,
    }
}

/// Verifies an access token with JWT SSO's settings and key ring (`checks`): its algorithms,
/// issuer, clock rules and sign-in rules, with `aud` among `audiences` in place of the site.
pub fn verify_jwt_access_token(
    token: &str,
    checks: &Checks<'_>,
    audiences: &[String],
) -> Result<AccessToken, Refusal> {
    let settings = checks.settings;
    verify(
        token,
        checks.policy(),
        audiences,
        ClaimNames::from_settings(settings),
        checks.now,
    )
}

/// What a provider's access token is checked with: the provider, its JWK Set, the server's
/// signature checks, the clock leeway and the time.
#[derive(Clone, Copy)]
pub struct ProviderKeys<'a> {
    /// The provider: issuer, sign-in rules, claim names.
    pub provider: &'a OidcProvider,
    /// Its JWK Set as a key ring.
    pub keys: &'a KeyRing,
    /// Public-key signature checks (the server's).
    pub verifier: Option<&'a dyn PublicKeyVerifier>,
    /// Clock leeway, seconds.
    pub clock_skew_seconds: i64,
    /// Now, Unix seconds.
    pub now: i64,
}

/// Verifies an access token an OpenID Connect provider signed: its JWK Set (never an HMAC: the
/// client secret is not the provider's to sign others' tokens with), its issuer and sign-in rules.
pub fn verify_provider_access_token(
    token: &str,
    with: &ProviderKeys<'_>,
    audiences: &[String],
) -> Result<AccessToken, Refusal> {
    let provider = with.provider;
    let rules: &[ClaimRule] = &provider.claim_rules;
    let policy = Policy {
        secret: b"",
        keys: with.keys,
        verifier: with.verifier,
        remote_keys: true,
        max_age_seconds: 0,
        clock_skew_seconds: with.clock_skew_seconds,
        audience: "",
        audiences: &[],
        issuer: &provider.issuer,
        rules,
        replay: ReplayProtection::Jti,
    };
    let names = ClaimNames {
        email: &provider.attribute_email,
        first_name: &provider.attribute_firstname,
        last_name: &provider.attribute_lastname,
        groups: &provider.attribute_groups,
    };
    verify(token, policy, audiences, names, with.now)
}

/// The shared checks. Access tokens live for their `exp` (required), not for a sign-in token's
/// `jwt_max_age_seconds`; they are meant to be used many times, so no replay rule applies.
fn verify(
    token: &str,
    policy: Policy<'_>,
    audiences: &[String],
    names: ClaimNames<'_>,
    now: i64,
) -> Result<AccessToken, Refusal> {
    let Some(first) = audiences.first() else {
        return Err(Refusal {
            code: ErrorCode::InvalidAudience,
            reason: Some("no bearer audiences are configured".into()),
        });
    };
    let policy = Policy {
        max_age_seconds: i64::MAX,
        // `check_audience` accepts the first audience or any of the list: never the site.
        audience: first,
        audiences,
        ..policy
    };
    let (token, verified) = token::verify_with(token, &policy, now, |claims| read(claims, names))?;
    if verified.expires.is_none() {
        return Err(ErrorCode::MissingExp.into());
    }
    Ok(token)
}

fn read(claims: &RawObject<'_>, names: ClaimNames<'_>) -> Result<AccessToken, ErrorCode> {
    if crate::logout::is_logout_token(claims) {
        return Err(ErrorCode::LogoutToken);
    }
    let subject = match claims.get("sub") {
        Some(Json::String(sub)) if !sub.is_empty() && sub.chars().count() <= 255 => {
            sub.into_owned()
        }
        _ => return Err(ErrorCode::MalformedToken),
    };
    Ok(AccessToken {
        subject,
        email: profile::email(claims, names.email).ok(),
        names: (
            profile::name(claims, names.first_name)?,
            profile::name(claims, names.last_name)?,
        ),
        groups: profile::groups(claims, names.groups)?.unwrap_or_default(),
    })
}

/// The lanyard groups a machine client's IdP groups map to (its only groups: it has no account
/// whose memberships a sign-in would keep).
pub fn mapped_groups(token_groups: &[String], mappings: &GroupMappings) -> BTreeSet<GroupId> {
    token_groups
        .iter()
        .filter_map(|name| mappings.get(name))
        .flatten()
        .copied()
        .collect()
}
