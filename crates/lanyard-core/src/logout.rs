//! Back-channel logout (SPEC §11): a logout token in the shape of OpenID Connect Back-Channel Logout
//! 1.0, checked with the same keys, algorithm binding, `iss`/`aud` and age rules as a login token,
//! always one use, then reduced to the user it names.

use lanyard_api::{ErrorCode, ReplayProtection};

use crate::Checks;
use crate::profile;
use crate::strict_json::{Json, RawObject};
use crate::token::{self, Policy};

/// The event a logout token's `events` claim must hold.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A verified logout token: whom to sign out everywhere, and how to refuse it a second time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logout {
    /// Its `sub` (matched against users' `sso_subject`).
    pub subject: Option<String>,
    /// Its email claim (`jwt_attribute_email`), folded, when present and valid.
    pub email: Option<String>,
    /// The key it is remembered under: every logout token is accepted once.
    pub replay_key: String,
    /// Until when to remember it.
    pub replay_until: i64,
}

/// Verifies a logout token: the login rules (size, strict JSON, key selection and signature, `iat`
/// age, `exp`, `nbf`, `aud`, `iss`), then OIDC Back-Channel Logout's own — `iat` and `jti` present,
/// `events` holding [`BACKCHANNEL_LOGOUT_EVENT`] as an object, no `nonce`, and a `sub` or an email
/// naming the user. The sign-in rules (`jwt_claim_rules`) are about who may sign in, not out, and do
/// not apply. Failures of the logout shape are `invalid_logout_token`.
pub fn verify_logout(token: &str, checks: &Checks<'_>) -> Result<Logout, ErrorCode> {
    let settings = checks.settings;
    let policy = Policy {
        rules: &[],
        replay: ReplayProtection::All,
        ..checks.policy()
    };
    let (target, verified) = token::verify_with(token, &policy, checks.now, |claims| {
        logout_target(claims, &settings.jwt_attribute_email)
    })
    .map_err(ErrorCode::from)?;
    let (subject, email) = target;
    Ok(Logout {
        subject,
        email,
        replay_key: verified.replay_key.ok_or(ErrorCode::InvalidLogoutToken)?,
        replay_until: verified.replay_until,
    })
}

/// Whether the claims carry the back-channel logout event: such a token signs nobody in.
pub(crate) fn is_logout_token(claims: &RawObject<'_>) -> bool {
    claims
        .raw("events")
        .and_then(|raw| RawObject::parse(raw.get().as_bytes()).ok())
        .is_some_and(|events| events.contains(BACKCHANNEL_LOGOUT_EVENT))
}

/// The logout shape's rules, and the user it names.
fn logout_target(
    claims: &RawObject<'_>,
    email_claim: &str,
) -> Result<(Option<String>, Option<String>), ErrorCode> {
    const INVALID: ErrorCode = ErrorCode::InvalidLogoutToken;
    let has_event = claims
        .raw("events")
        .and_then(|raw| RawObject::parse(raw.get().as_bytes()).ok())
        .and_then(|events| events.raw(BACKCHANNEL_LOGOUT_EVENT))
        .is_some_and(|event| event.get().starts_with('{'));
    let has_jti = matches!(claims.get("jti"), Some(Json::String(jti)) if !jti.is_empty());
    if !has_event || !has_jti || !claims.contains("iat") || claims.contains("nonce") {
        return Err(INVALID);
    }
    let subject = match claims.get("sub") {
        Some(Json::String(sub)) if !sub.is_empty() => Some(sub.into_owned()),
        None => None,
        Some(_) => return Err(INVALID),
    };
    let email = profile::email(claims, email_claim).ok();
    if subject.is_none() && email.is_none() {
        return Err(INVALID);
    }
    Ok((subject, email))
}
