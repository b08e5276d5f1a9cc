//! Access policies (SPEC §15): the ordered rules `/auth/verify` judges forwarded requests by, the
//! default when none matches, and the tester's question and answer.

use serde::{Deserialize, Serialize};

/// What a matching rule does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicyAction {
    /// Let the request through, signed in or not (identity headers when signed in).
    Bypass,
    /// Refuse it (`403`).
    Deny,
    /// The caller must be signed in and, when the rule names groups or admins, be in one of them.
    #[default]
    Allow,
}

/// What happens when no rule matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccessDefault {
    /// Any signed-in person (forward auth before policies).
    #[default]
    SignedIn,
    /// Nobody.
    Deny,
}

/// One rule. An empty list matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct AccessPolicy {
    /// Its name, for the tester, the metrics and the audit log.
    pub name: String,
    /// Hosts: `app.example.com`, or `*.example.com` for any host under it (case-insensitive,
    /// ports ignored).
    pub hosts: Vec<String>,
    /// Paths: a prefix (`/api/`), or a glob where `*` is one segment and `**` any number
    /// (`/admin/**`, `/users/*/avatar`).
    pub paths: Vec<String>,
    /// HTTP methods (`GET`, `POST`, …).
    pub methods: Vec<String>,
    /// Client networks, as CIDRs (`10.0.0.0/8`, `::1/128`).
    pub networks: Vec<String>,
    /// What a match does.
    pub action: PolicyAction,
    /// `allow` only: the groups (by name) one of which the caller must be in.
    pub groups: Vec<String>,
    /// `allow` only: administrators may pass (with `groups`: either).
    pub admins: bool,
}

/// A request as the policies see it (the tester's question; `/auth/verify` builds the same).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PolicyRequest {
    /// The host the request was for.
    pub host: String,
    /// Its URI (path and query).
    pub uri: String,
    /// Its method (`GET` when empty).
    pub method: String,
    /// The client's address, when known.
    pub address: Option<String>,
}

/// What the policies decided, and which rule did (`None`: the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyDecision {
    /// What happens.
    pub action: PolicyOutcome,
    /// The rule that decided, by its position (0-based), when one matched.
    pub rule: Option<usize>,
    /// Its name, or `"default"`.
    pub rule_name: String,
}

/// The outcome for a request (before who the caller is is known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PolicyOutcome {
    /// Through, signed in or not.
    Bypass,
    /// Refused.
    Deny,
    /// Signed in, and in one of `groups` or an admin when either is given.
    Allow {
        /// Groups one of which is required (none: any signed-in person).
        groups: Vec<String>,
        /// Whether administrators pass.
        admins: bool,
    },
}

/// The body of `POST /api/setting/policies/test`: a request, and who makes it (a user, or a set of
/// group names; neither: someone signed out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct PolicyTest {
    /// The host the request is for.
    pub host: String,
    /// Its URI.
    pub uri: String,
    /// Its method (`GET` when empty).
    pub method: String,
    /// The client's address.
    pub address: Option<String>,
    /// Who asks: a user by id …
    pub user_id: Option<i64>,
    /// … or anyone in these groups (names).
    pub groups: Option<Vec<String>>,
    /// With `groups`: whether that someone is an administrator.
    pub admin: bool,
}

/// What the stored policies decide for a [`PolicyTest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyTestResult {
    /// The rule's decision.
    pub decision: PolicyDecision,
    /// `allowed` (200), `denied` (403) or `unauthenticated` (401/302) for the caller described.
    pub answer: String,
}
