//! Back-channel logout from an OpenID Connect provider (SPEC §14, OpenID Connect Back-Channel
//! Logout 1.0 §2.6): the logout token checked with that provider's keys, issuer and `aud` =
//! client id, always one use, naming the sessions to end by `sid` or `sub`.

use lanyard_api::{ErrorCode, ReplayProtection};
use serde_json::{Map, Value};

use super::IdTokenChecks;
use super::id_token::{allowed_secret, provider_policy};
use crate::logout::BACKCHANNEL_LOGOUT_EVENT;
use crate::token;

/// A verified provider logout token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderLogout {
    /// Its `sid`: the provider's session, when named.
    pub sid: Option<String>,
    /// Its `sub`, when named.
    pub subject: Option<String>,
    /// The key it is remembered under (every logout token is accepted once).
    pub replay_key: String,
    /// Until when to remember it.
    pub replay_until: i64,
}

/// Verifies a provider's logout token: the provider's algorithms, keys and issuer as for an ID
/// token (`checks.nonce` is not used), `aud` naming the client, then the logout shape — `iat`,
/// `jti`, the back-channel event, no `nonce`, and a `sid` or a `sub`.
pub fn verify_provider_logout(
    token: &str,
    checks: &IdTokenChecks<'_>,
) -> Result<ProviderLogout, ErrorCode> {
    let provider = checks.provider;
    let secret = allowed_secret(token, checks)?;
    let policy = provider_policy(checks, secret, &[], ReplayProtection::All);
    let (claims, verified) =
        token::verify_with(token, &policy, checks.now, |claims| Ok(claims.to_map()))
            .map_err(ErrorCode::from)?;
    let (sid, subject) = logout_target(&claims, &provider.client_id)?;
    Ok(ProviderLogout {
        sid,
        subject,
        replay_key: verified.replay_key.ok_or(ErrorCode::InvalidLogoutToken)?,
        replay_until: verified.replay_until,
    })
}

type Target = (Option<String>, Option<String>);

fn logout_target(claims: &Map<String, Value>, client_id: &str) -> Result<Target, ErrorCode> {
    const INVALID: ErrorCode = ErrorCode::InvalidLogoutToken;
    let names_client = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(client_id)),
        _ => false,
    };
    if !names_client {
        return Err(ErrorCode::InvalidAudience);
    }
    let has_event = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
        .is_some_and(Value::is_object);
    let has_jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .is_some_and(|jti| !jti.is_empty());
    if !has_event || !has_jti || !claims.contains_key("iat") || claims.contains_key("nonce") {
        return Err(INVALID);
    }
    let text = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(Value::String(value)) if !value.is_empty() => Ok(Some(value.clone())),
        Some(_) => Err(INVALID),
    };
    let (sid, subject) = (text("sid")?, text("sub")?);
    if sid.is_none() && subject.is_none() {
        return Err(INVALID);
    }
    Ok((sid, subject))
}
