//! The token preview: every check of [`crate::token::verify`] and the claim mapping, each reported
//! with its outcome instead of stopping at the first failure. Decodes untrusted input and says so;
//! nothing here grants anything.

use std::collections::BTreeSet;

use lanyard_api::{Check, CheckName, CheckOutcome, ErrorCode, GroupId, Verdict};
use serde_json::Value;

use crate::claims;
use crate::groups::{self, BuiltinGroups, SyncInput};
use crate::keys::{KeyRing, PublicKeyVerifier};
use crate::profile::{self, ClaimNames};
use crate::settings::Settings;
use crate::strict_json::RawObject;
use crate::token::{self, CheckResult, Failure, Policy, Selected, TimeClaims};

/// The user the preview computes group changes for.
#[derive(Debug, Clone, Copy)]
pub struct GroupContext<'a> {
    /// Their memberships now.
    pub current: &'a BTreeSet<GroupId>,
    /// The built-in groups.
    pub builtins: BuiltinGroups,
    /// Whether they are the last active administrator.
    pub is_last_active_admin: bool,
}

/// What to inspect, and against what.
#[derive(Debug, Clone, Copy)]
pub struct InspectInput<'a> {
    /// The pasted token.
    pub token: &'a str,
    /// The settings to check against (the form's, saved or not).
    pub settings: &'a Settings,
    /// The shared secret to check an HS signature with; `None` skips that check (the saved key is
    /// write-only and never reaches the browser).
    pub key: Option<&'a [u8]>,
    /// The key ring (secrets empty where unknown: they are skipped like the shared secret).
    pub keys: &'a KeyRing,
    /// Checks public-key signatures; `None` skips them.
    pub verifier: Option<&'a dyn PublicKeyVerifier>,
    /// The site's URL, for `aud`.
    pub site_url: &'a str,
    /// Now, Unix seconds.
    pub now: i64,
    /// The existing user, for group changes; `None` previews a new user (no memberships yet).
    pub user: Option<GroupContext<'a>>,
}

const NOT_DECODED: &str = "not checked: the token could not be decoded";

/// A public-key signature the preview could not check itself (it has no RSA/EC code): the keys the
/// header selects, and the bytes, for the browser's Web Crypto to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignature {
    /// The algorithm.
    pub alg: lanyard_api::KeyAlg,
    /// The keys to try, in order (one, when the token names a `kid`).
    pub keys: Vec<crate::keys::PublicKey>,
    /// `header.payload`, the signed bytes.
    pub message: Vec<u8>,
    /// The signature's bytes.
    pub signature: Vec<u8>,
}

/// The public-key check [`inspect`] skipped for `input` (no verifier), if any.
pub fn pending_signature(input: &InspectInput<'_>) -> Option<PendingSignature> {
    use base64::Engine;
    let parts = token::split(input.token).ok()?;
    let header_bytes = token::decode_segment(parts.header).ok()?;
    let header = token::parse_object(&header_bytes).ok()?;
    let policy = Policy {
        secret: input.key.unwrap_or_default(),
        keys: input.keys,
        verifier: None,
        ..Policy::from_settings(input.settings, input.site_url)
    };
    let (_, selected) =
        token::select_key(&header, &policy, input.now, input.key.map(<[u8]>::len)).ok()?;
    let public = |key: &crate::keys::RingKey| match &key.material {
        crate::keys::KeyMaterial::Public(public) => Some(public.clone()),
        crate::keys::KeyMaterial::Secret(_) => None,
    };
    let (alg, keys) = match selected {
        Selected::Ring(key) => (key.alg, public(key).into_iter().collect::<Vec<_>>()),
        Selected::Candidates(alg, keys) => (alg, keys.into_iter().filter_map(public).collect()),
        Selected::Shared(_) => return None,
    };
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts.signature)
        .ok()?;
    (!keys.is_empty()).then(|| PendingSignature {
        alg,
        keys,
        message: parts.signed.as_bytes().to_vec(),
        signature,
    })
}

/// `verdict` with the signature check the browser made (Web Crypto): the check passes or fails, and
/// the verdict becomes what the endpoint's would be — a failed signature is the endpoint's error
/// when the checks before it passed.
pub fn with_browser_signature(mut verdict: Verdict, matches: bool) -> Verdict {
    let earlier_failed = verdict.checks.iter().any(|check| {
        matches!(check.name, CheckName::Format | CheckName::Alg)
            && matches!(check.outcome, CheckOutcome::Fail { .. })
    });
    for check in &mut verdict.checks {
        if check.name == CheckName::Signature {
            if matches {
                check.outcome = CheckOutcome::Pass;
                check.detail = "matches the key (checked in this browser with Web Crypto)".into();
            } else {
                check.outcome = CheckOutcome::Fail {
                    code: ErrorCode::InvalidSignature,
                };
                check.detail =
                    "does not match the key (checked in this browser with Web Crypto)".into();
            }
        }
    }
    if !matches && !earlier_failed {
        verdict.error = Some(ErrorCode::InvalidSignature);
    }
    verdict.accepted = matches && verdict.error.is_none();
    verdict
}

/// Runs every check and reports each; see [`Verdict`].
pub fn inspect(input: InspectInput<'_>) -> Verdict {
    let mut checks = Vec::with_capacity(10);

    let parts = token::split(input.token);
    let header_bytes = parts.as_ref().ok().map(|p| token::decode_segment(p.header));
    let payload_bytes = parts
        .as_ref()
        .ok()
        .map(|p| token::decode_segment(p.payload));
    let header = object(&header_bytes);
    let payload = object(&payload_bytes);
    checks.push(to_check(
        CheckName::Format,
        Some(match (&parts, &header, &payload) {
            (Err(failure), _, _) => Err(failure.clone()),
            (_, Some(Err(failure)), _) | (_, _, Some(Err(failure))) => Err(failure.clone()),
            _ => Ok("three base64url parts; header and payload are JSON objects"),
        }),
        NOT_DECODED,
    ));
    let header = header.and_then(Result::ok);
    let claims = payload.and_then(Result::ok);

    let policy = Policy {
        secret: input.key.unwrap_or_default(),
        keys: input.keys,
        verifier: input.verifier,
        ..Policy::from_settings(input.settings, input.site_url)
    };
    let selection = header
        .as_ref()
        .map(|h| token::select_key(h, &policy, input.now, input.key.map(<[u8]>::len)));
    checks.push(to_check(
        CheckName::Alg,
        selection
            .clone()
            .map(|r| r.map(|(_, selected)| selected.to_string())),
        NOT_DECODED,
    ));

    let signature = match (&parts, &selection) {
        (Ok(parts), Some(Ok((_, selected))))
            if token::can_check(selected, &policy, input.key.is_some()) =>
        {
            Some(token::check_selected_signature(parts, selected, &policy))
        }
        _ => None,
    };
    let signature_skip = match &selection {
        Some(Ok((_, Selected::Shared(_)))) => {
            "not checked: type the signing key into the form to check it here, or use Test on server"
        }
        Some(Ok(_)) => {
            "not checked here: a key ring secret is write-only and public-key signatures are checked by the server; use Test on server"
        }
        Some(Err(_)) => "not checked: no key was selected",
        None => NOT_DECODED,
    };
    let signature_checked_here = signature.is_some();
    checks.push(to_check(CheckName::Signature, signature, signature_skip));

    let times = claims.as_ref().map(TimeClaims::read);
    let time_check = |check: fn(&TimeClaims, &Policy<'_>, i64) -> CheckResult| {
        times.as_ref().map(|t| {
            t.as_ref()
                .map_err(Clone::clone)
                .and_then(|t| check(t, &policy, input.now))
        })
    };
    checks.push(to_check(
        CheckName::Iat,
        time_check(TimeClaims::check_iat),
        NOT_DECODED,
    ));
    checks.push(to_check(
        CheckName::Exp,
        time_check(TimeClaims::check_exp),
        NOT_DECODED,
    ));
    checks.push(to_check(
        CheckName::Nbf,
        time_check(TimeClaims::check_nbf),
        NOT_DECODED,
    ));
    checks.push(to_check(
        CheckName::Audience,
        claims
            .as_ref()
            .map(|c| claims::check_audience(c, input.site_url, policy.audiences)),
        NOT_DECODED,
    ));
    checks.push(to_check(
        CheckName::Issuer,
        claims
            .as_ref()
            .map(|c| claims::check_issuer(c, policy.issuer)),
        NOT_DECODED,
    ));
    for rule in policy.rules {
        let mut check = to_check(
            CheckName::ClaimRule,
            claims.as_ref().map(|c| claims::check_rule(c, rule)),
            NOT_DECODED,
        );
        check.detail = format!("{}: {}", claims::describe_rule(rule), check.detail);
        checks.push(check);
    }

    let names = ClaimNames::from_settings(input.settings);
    let claim_check =
        |check: &dyn Fn(&RawObject<'_>) -> Result<String, Failure>| claims.as_ref().map(check);
    checks.push(to_check(
        CheckName::Email,
        claim_check(&|c| {
            if crate::logout::is_logout_token(c) {
                let code = ErrorCode::LogoutToken;
                return Err((code, code.message().to_owned()));
            }
            profile::email(c, names.email)
                .map(|email| format!("signs in as {email} (from {})", path(names.email)))
                .map_err(|code| (code, code.message().to_owned()))
        }),
        NOT_DECODED,
    ));
    checks.push(to_check(
        CheckName::Names,
        claim_check(&|c| {
            let read = |claim: &str| {
                profile::name(c, claim).map(|found| match found {
                    Some(_) => format!("from {}", path(claim)),
                    None => format!("none in {} (the stored one is kept)", path(claim)),
                })
            };
            read(names.first_name)
                .and_then(|first| read(names.last_name).map(|last| (first, last)))
                .map(|(first, last)| format!("first name {first}; last name {last}"))
                .map_err(|code| (code, code.message().to_owned()))
        }),
        NOT_DECODED,
    ));
    checks.push(to_check(
        CheckName::Groups,
        claim_check(&|c| match profile::groups(c, names.groups) {
            Ok(None) => Ok("no groups claim: memberships stay as they are".into()),
            Ok(Some(groups)) => Ok(format!(
                "{} group(s) (from {})",
                groups.len(),
                path(names.groups)
            )),
            Err(code) if input.settings.jwt_group_sync => Err((code, code.message().to_owned())),
            Err(_) => Ok("malformed, but group sync is off so it is ignored".into()),
        }),
        NOT_DECODED,
    ));

    let profile = claims
        .as_ref()
        .and_then(|c| profile::map_claims(c, names, input.settings.jwt_group_sync).ok());
    let group_changes = profile
        .as_ref()
        .filter(|_| input.settings.jwt_group_sync)
        .map(|profile| {
            let empty = BTreeSet::new();
            // A new user belongs to nothing yet, so nothing can be removed and the built-in ids
            // (which only guard removals) do not matter.
            let user = input.user.unwrap_or(GroupContext {
                current: &empty,
                builtins: BuiltinGroups {
                    all_users: GroupId::MIN,
                    administrators: GroupId::MIN,
                },
                is_last_active_admin: false,
            });
            groups::plan(SyncInput {
                current: user.current,
                mappings: &input.settings.jwt_group_mappings,
                token_groups: profile.groups.as_deref(),
                builtins: user.builtins,
                is_last_active_admin: user.is_last_active_admin,
            })
            .changes()
        });

    // With the signature checked, the verdict is exactly the SSO endpoint's: same function, same
    // order. Without, the first failing check.
    let error = if signature_checked_here {
        token::verify_with(input.token, &policy, input.now, |claims| {
            profile::map_claims(claims, names, input.settings.jwt_group_sync)
        })
        .err()
        .map(|refusal| refusal.code)
    } else {
        first_failure(&checks)
    };
    let signature_checked = checks
        .iter()
        .any(|c| c.name == CheckName::Signature && c.outcome == CheckOutcome::Pass);
    Verdict {
        accepted: error.is_none() && signature_checked,
        error,
        header: header.map(|h| Value::Object(h.to_map())),
        payload: claims.as_ref().map(|c| Value::Object(c.to_map())),
        checks,
        profile: profile.map(|p| p.view()),
        group_changes,
    }
}

/// How the preview names where a claim was read: `"email"`, or the pointer `/user/email`.
fn path(name: &str) -> String {
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("\"{name}\"")
    }
}

/// A check's result as the wire reports it; `None` means not checked, for `skipped_because`.
fn to_check<Seen: std::fmt::Display>(
    name: CheckName,
    result: Option<Result<Seen, Failure>>,
    skipped_because: &str,
) -> Check {
    let (outcome, detail) = match result {
        Some(Ok(seen)) => (CheckOutcome::Pass, seen.to_string()),
        Some(Err((code, detail))) => (CheckOutcome::Fail { code }, detail),
        None => (CheckOutcome::Skipped, skipped_because.to_owned()),
    };
    Check {
        name,
        outcome,
        detail,
    }
}

fn first_failure(checks: &[Check]) -> Option<ErrorCode> {
    checks.iter().find_map(|check| match check.outcome {
        CheckOutcome::Fail { code } => Some(code),
        _ => None,
    })
}

/// A decoded segment parsed as an object; `None` when there was nothing to decode.
fn object(bytes: &Option<Result<Vec<u8>, Failure>>) -> Option<Result<RawObject<'_>, Failure>> {
    match bytes {
        Some(Ok(bytes)) => Some(token::parse_object(bytes)),
        Some(Err(failure)) => Some(Err(failure.clone())),
        None => None,
    }
}
