//! The ID token (OpenID Connect Core §3.1.3.7), the userinfo merge (§5.3.2) and who an ID token
//! signs in as (SPEC §14's identity rules). The signature, times, `iss` and sign-in rules are the
//! JWT rules of [`crate::token`], with the provider's keys, issuer and client id as the policy.

use lanyard_api::{ErrorCode, OidcProvider, ReplayProtection};
use serde_json::{Map, Value};

use super::{IdTokenProblem, check_id_token_claims};
use crate::keys::{KeyRing, PublicKeyVerifier};
use crate::profile::{self, ClaimNames, Profile};
use crate::token::{self, Policy, Refusal};

/// What an ID token is checked against.
#[derive(Clone, Copy)]
pub struct IdTokenChecks<'a> {
    /// The provider (issuer, client id, client secret, sign-in rules).
    pub provider: &'a OidcProvider,
    /// The provider's JWK Set as a key ring.
    pub keys: &'a KeyRing,
    /// Public-key signature checks (the server's).
    pub verifier: Option<&'a dyn PublicKeyVerifier>,
    /// `id_token_signing_alg_values_supported` from discovery; empty means `["RS256"]`.
    pub algorithms: &'a [String],
    /// The nonce this sign-in sent.
    pub nonce: &'a str,
    /// Oldest accepted `iat`, seconds (`jwt_max_age_seconds`).
    pub max_age_seconds: i64,
    /// Clock leeway, seconds.
    pub clock_skew_seconds: i64,
    /// Now, Unix seconds.
    pub now: i64,
}

/// A verified ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct IdToken {
    /// Its claims.
    pub claims: Map<String, Value>,
    /// Its `sub` (required).
    pub subject: String,
}

/// Claims of the protocol, not of the person: never stored as login attributes.
const PROTOCOL_CLAIMS: [&str; 10] = [
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "s_hash",
    "auth_time",
    "acr",
    "amr",
    "sid",
    "email_verified",
];

/// Verifies an ID token: its `alg` is one discovery lists (`RS256` when it lists none; never
/// `none`; an HS algorithm only when listed, keyed by the client secret), then the JWT rules
/// (signature by the provider's keys, `iat`/`exp`/`nbf`, `iss` = the issuer, the provider's sign-in
/// rules), then `aud`/`azp`/`nonce` and a `sub`.
pub fn verify_id_token(token: &str, checks: &IdTokenChecks<'_>) -> Result<IdToken, Refusal> {
    let provider = checks.provider;
    let secret = allowed_secret(token, checks)?;
    let policy = provider_policy(checks, secret, &provider.claim_rules, ReplayProtection::Jti);
    let (claims, _) = token::verify_with(token, &policy, checks.now, |claims| Ok(claims.to_map()))?;
    check_id_token_claims(&claims, &provider.client_id, checks.nonce).map_err(|problem| {
        Refusal::from(match problem {
            IdTokenProblem::AudienceMissing | IdTokenProblem::AuthorizedPartyMismatch => {
                ErrorCode::InvalidAudience
            }
            IdTokenProblem::NonceMismatch => ErrorCode::OidcNonceMismatch,
        })
    })?;
    let subject = match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() && sub.len() <= 255 => sub.clone(),
        _ => return Err(ErrorCode::MalformedToken.into()),
    };
    Ok(IdToken { claims, subject })
}

/// The provider's tokens' policy: its keys, issuer and client id (as `aud`), the settings' age
/// rules, the HMAC `secret` [`allowed_secret`] gave, and `rules`.
pub(super) fn provider_policy<'a>(
    checks: &IdTokenChecks<'a>,
    secret: &'a str,
    rules: &'a [lanyard_api::ClaimRule],
    replay: ReplayProtection,
) -> Policy<'a> {
    Policy {
        secret: secret.as_bytes(),
        keys: checks.keys,
        verifier: checks.verifier,
        remote_keys: true,
        max_age_seconds: checks.max_age_seconds,
        clock_skew_seconds: checks.clock_skew_seconds,
        audience: &checks.provider.client_id,
        audiences: &[],
        issuer: &checks.provider.issuer,
        rules,
        replay,
    }
}

/// The token's `alg` checked against the algorithms discovery lists (`RS256` when it lists none;
/// never `none`), and the HMAC secret it may use: the client secret for a listed HS algorithm,
/// nothing otherwise.
pub(super) fn allowed_secret<'a>(
    token: &str,
    checks: &IdTokenChecks<'a>,
) -> Result<&'a str, Refusal> {
    let alg = header_alg(token)?;
    let listed = if checks.algorithms.is_empty() {
        alg == "RS256"
    } else {
        checks.algorithms.contains(&alg)
    };
    if !listed || alg == "none" {
        return Err(ErrorCode::AlgNotAllowed.into());
    }
    Ok(if alg.starts_with("HS") {
        checks.provider.client_secret.as_deref().unwrap_or_default()
    } else {
        ""
    })
}

/// The header's `alg`, read strictly (the JWT rules read it again when verifying).
fn header_alg(token: &str) -> Result<String, Refusal> {
    let first = |(code, _): (ErrorCode, String)| Refusal::from(code);
    let parts = token::split(token).map_err(first)?;
    let bytes = token::decode_segment(parts.header).map_err(first)?;
    let header = token::parse_object(&bytes).map_err(first)?;
    match header.to_map().get("alg") {
        Some(Value::String(alg)) => Ok(alg.clone()),
        _ => Err(ErrorCode::MalformedToken.into()),
    }
}

/// Whether the claims lack one the profile reads (email, names, and groups when group sync is on),
/// so the userinfo endpoint should be asked.
pub fn needs_userinfo(claims: &Map<String, Value>, provider: &OidcProvider) -> bool {
    let mut wanted = vec![
        &provider.attribute_email,
        &provider.attribute_firstname,
        &provider.attribute_lastname,
    ];
    if provider.group_sync {
        wanted.push(&provider.attribute_groups);
    }
    let Ok(payload) = serde_json::to_vec(claims) else {
        return true;
    };
    wanted
        .into_iter()
        .any(|name| crate::claims::lookup_json(&payload, name).is_none_or(|found| found == "null"))
}

/// The ID token's claims completed by userinfo's (OpenID Connect Core §5.3.2): userinfo's `sub`
/// must be the ID token's (else `oidc_userinfo_failed`); the ID token's own claims win.
pub fn merge_userinfo(
    id_token: &IdToken,
    userinfo: &Map<String, Value>,
) -> Result<Map<String, Value>, ErrorCode> {
    match userinfo.get("sub") {
        Some(Value::String(sub)) if *sub == id_token.subject => {}
        _ => return Err(ErrorCode::OidcUserinfoFailed),
    }
    let mut merged = id_token.claims.clone();
    for (name, value) in userinfo {
        merged.entry(name.clone()).or_insert_with(|| value.clone());
    }
    Ok(merged)
}

/// `email_verified` as the provider states it: `true`, or the string `"true"` some providers send.
pub fn email_verified(claims: &Map<String, Value>) -> bool {
    match claims.get("email_verified") {
        Some(Value::Bool(verified)) => *verified,
        Some(Value::String(text)) => text == "true",
        _ => false,
    }
}

/// The profile the claims describe, by the provider's claim names (as the JWT pipeline maps a
/// token's), without the protocol's claims among the login attributes.
pub fn profile(claims: &Map<String, Value>, provider: &OidcProvider) -> Result<Profile, ErrorCode> {
    let mut person = claims.clone();
    for name in PROTOCOL_CLAIMS {
        person.remove(name);
    }
    let payload = serde_json::to_vec(&person).map_err(|_| ErrorCode::MalformedToken)?;
    let names = ClaimNames {
        email: &provider.attribute_email,
        first_name: &provider.attribute_firstname,
        last_name: &provider.attribute_lastname,
        groups: &provider.attribute_groups,
    };
    profile::map_payload(&payload, names, provider.group_sync)
}

/// The accounts an OIDC sign-in could be: the one linked to (issuer, `sub`), and the one holding
/// the sign-in's email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Linked {
    /// The account linked to (issuer, `sub`), and whether its stored email differs from the
    /// sign-in's.
    pub by_subject: Option<(i64, bool)>,
    /// The account holding the email, and whether another `sub` of this issuer is linked to it.
    pub by_email: Option<(i64, bool)>,
}

/// Who an OIDC sign-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The account linked to (issuer, `sub`); `email_changed` when the provider's email is new.
    Existing {
        /// The account.
        user: i64,
        /// Whether its email is to be updated to the provider's.
        email_changed: bool,
    },
    /// An account found by its email, to be linked to (issuer, `sub`) now.
    LinkByEmail {
        /// The account.
        user: i64,
    },
    /// Nobody yet: a new account (when provisioning allows).
    New,
}

/// SPEC §14's identity rules: (issuer, `sub`) first; a new email for a linked user is taken unless
/// another account holds it (`oidc_email_taken`); else an account with the email is linked only
/// when the email is verified or trusted (`oidc_email_unverified`), and never one another identity
/// of this issuer already holds (`oidc_email_taken`).
pub fn link(found: Linked, verified: bool, trust_unverified: bool) -> Result<Link, ErrorCode> {
    match (found.by_subject, found.by_email) {
        (Some((user, _)), Some((holder, _))) if holder != user => Err(ErrorCode::OidcEmailTaken),
        (Some((user, email_changed)), _) => Ok(Link::Existing {
            user,
            email_changed,
        }),
        (None, Some((_, true))) => Err(ErrorCode::OidcEmailTaken),
        (None, Some((user, false))) if verified || trust_unverified => {
            Ok(Link::LinkByEmail { user })
        }
        (None, Some(_)) => Err(ErrorCode::OidcEmailUnverified),
        (None, None) => Ok(Link::New),
    }
}
