//! The verdict on one token, as the token preview (in the browser) and the dry-run endpoint (on the
//! server) both report it, so the two can be shown side by side.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ErrorCode;
use crate::people::GroupId;

/// One of the checks a token goes through, in the order they are reported.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// Size, three canonical base64url segments, JSON objects without duplicate keys.
    Format,
    /// The header's `alg` (and no `crit`).
    Alg,
    /// The HMAC signature.
    Signature,
    /// `iat`: present (or a near `exp`), not too old, not in the future.
    Iat,
    /// `exp`, when present.
    Exp,
    /// `nbf`, when present.
    Nbf,
    /// `aud`: this site or an accepted audience (required when audiences are configured).
    Audience,
    /// `iss`, when an issuer is configured.
    Issuer,
    /// One sign-in rule (`jwt_claim_rules`): one check per rule, in order.
    ClaimRule,
    /// The email claim.
    Email,
    /// The first and last name claims.
    Names,
    /// The groups claim (only when group sync is on).
    Groups,
    /// Whether the token was already used (server only).
    Replay,
    /// The account it signs in: existing, to be created, deactivated, or not provisioned (server only).
    Account,
}

/// How one check came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Passed.
    Pass,
    /// Failed with this code; the login would be refused.
    Fail {
        /// Why.
        code: ErrorCode,
    },
    /// Not checked (the reason is in [`Check::detail`]), e.g. the signature without a key.
    Skipped,
}

/// One check with its outcome and a sentence saying what was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Its outcome.
    pub outcome: CheckOutcome,
    /// What was seen, e.g. `"issued 42 s ago (limit 180 s)"`.
    pub detail: String,
}

/// The user a token would sign in as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileView {
    /// The email, ASCII-lowercased.
    pub email: String,
    /// The first name, when the claim is present and not blank.
    pub first_name: Option<String>,
    /// The last name, when the claim is present and not blank.
    pub last_name: Option<String>,
    /// The token's groups, when the claim is present.
    pub groups: Option<Vec<String>>,
    /// Every other non-registered claim.
    pub login_attributes: Map<String, Value>,
}

/// The group memberships a login would change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroupChanges {
    /// Groups the user would be added to.
    pub add: Vec<GroupId>,
    /// Groups the user would be removed from.
    pub remove: Vec<GroupId>,
    /// Why some change was not made (e.g. the last administrator stays one).
    pub notes: Vec<String>,
}

/// The whole verdict: accepted or the first failing code, and every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    /// Whether the SSO endpoint would accept the token (ignoring checks that were skipped).
    pub accepted: bool,
    /// The code the SSO endpoint would answer with: the first failing check's.
    pub error: Option<ErrorCode>,
    /// The decoded header, when it could be decoded.
    pub header: Option<Value>,
    /// The decoded payload, when it could be decoded. Decoded, not trusted.
    pub payload: Option<Value>,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// The resulting profile, when the claims map to one.
    pub profile: Option<ProfileView>,
    /// The resulting group changes, when group sync is on and they can be computed.
    pub group_changes: Option<GroupChanges>,
}
