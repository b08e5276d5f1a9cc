//! lanyard's rules, pure and wasm-safe: the server enforces them and the admin SPA previews them with
//! the same code.
//!
//! Nothing here does I/O, reads a clock or draws randomness: callers pass `now` (Unix seconds) and
//! random bytes, so every rule is a plain function that tests can pin.
//!
//! - [`settings`]: the settings document, its validation and the write-only key's masked view.
//! - [`token`]: verification of a JWT (SPEC §2.2); [`inspect()`] reports every check for the preview.
//! - [`profile`]: claims → email, names, groups, login attributes.
//! - [`groups`]: the group-sync plan.
//! - [`accounts`]: who may sign in (SSO admission, the password-login switch and break-glass).
//! - [`people`]: rules on changing users (the last administrator stays one), passwords, group names.
//! - [`redirect`]: the `return_to` rule (with the cookie domain) and the redirect to the IdP.
//! - [`keys`]: public keys of the key ring — PEM/JWK parsing, fit to an algorithm, thumbprints.
//! - [`forward`]: forward auth — location restrictions and identity header values.
//! - [`policy`]: access policies — which forwarded requests pass, by host, path, method and network.
//! - [`scim`]: SCIM 2.0 — the filter language, PATCH, and SCIM resources ↔ users and groups.
//! - [`audit`]: what the audit log may hold — secrets redacted, CSV cells safe for spreadsheets.
#![deny(missing_docs)]

pub mod accounts;
pub mod audit;
pub mod bearer;
pub mod claims;
pub mod forward;
pub mod groups;
mod hmac;
pub mod impact;
mod inspect;
#[cfg(feature = "jose")]
pub mod jose;
pub mod keys;
pub mod logout;
pub mod oidc;
pub mod people;
pub mod policy;
pub mod profile;
pub mod redirect;
pub mod scim;
pub mod settings;
mod strict_json;
pub mod token;

pub use inspect::{
    GroupContext, InspectInput, PendingSignature, inspect, pending_signature,
    with_browser_signature,
};
pub use lanyard_api::ErrorCode;

use keys::{KeyRing, PublicKeyVerifier};
use profile::{ClaimNames, Profile};
use settings::Settings;
use token::{Policy, Refusal, VerifiedToken};

/// A token that passed every check, as the SSO endpoint uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    /// The user it signs in as.
    pub profile: Profile,
    /// The key to remember it under, to refuse a replay; `None` when it may be reused (SPEC §2.2).
    pub replay_key: Option<String>,
    /// Until when (Unix seconds) to remember it.
    pub replay_until: i64,
    /// The token's `iat`, when present (JSON mode answers it).
    pub issued_at: Option<i64>,
    /// The token's `exp`, when present.
    pub expires: Option<i64>,
}

/// Everything the SSO endpoint checks before touching storage: the token against the settings, then
/// its claims mapped to a profile. `site_url` is what `aud` must name. A refusal compares equal to
/// its code.
///
/// ```
/// use lanyard_core::{settings::Settings, verify_login, ErrorCode};
/// let settings = Settings::default();
/// assert_eq!(verify_login("x.y.z", &settings, "https://a.example", 0).unwrap_err(), ErrorCode::MalformedToken);
/// ```
pub fn verify_login(
    token: &str,
    settings: &Settings,
    site_url: &str,
    now: i64,
) -> Result<Login, Refusal> {
    let checks = Checks {
        settings,
        keys: &KeyRing::default(),
        verifier: None,
        site_url,
        now,
    };
    verify_login_with(token, &checks)
}

/// What a token is checked against: the settings, their key ring (parsed once per settings
/// version), the code that checks public-key signatures (the server's), the site's URL (what `aud`
/// must name) and the time. Sign-in and back-channel logout tokens share it.
#[derive(Clone, Copy)]
pub struct Checks<'a> {
    /// The settings.
    pub settings: &'a Settings,
    /// Their key ring.
    pub keys: &'a KeyRing,
    /// Public-key signature checks, when available.
    pub verifier: Option<&'a dyn PublicKeyVerifier>,
    /// The site's URL.
    pub site_url: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
}

impl<'a> Checks<'a> {
    /// The token policy these checks make, before a token kind's own changes.
    pub(crate) fn policy(&self) -> Policy<'a> {
        Policy {
            keys: self.keys,
            verifier: self.verifier,
            ..Policy::from_settings(self.settings, self.site_url)
        }
    }
}

/// [`verify_login`] with the settings' key ring and the public-key verifier (the server's).
pub fn verify_login_with(token: &str, checks: &Checks<'_>) -> Result<Login, Refusal> {
    let settings = checks.settings;
    let names = ClaimNames::from_settings(settings);
    let policy = checks.policy();
    let (profile, verified) = token::verify_with(token, &policy, checks.now, |claims| {
        profile::map_claims(claims, names, settings.jwt_group_sync)
    })?;
    let VerifiedToken {
        replay_key,
        replay_until,
        issued_at,
        expires,
    } = verified;
    Ok(Login {
        profile,
        replay_key,
        replay_until,
        issued_at,
        expires,
    })
}
