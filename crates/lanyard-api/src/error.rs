//! The error contract: every refusal carries one stable code and a human message.

use serde::{Deserialize, Serialize};

/// Every error lanyard reports, with a stable wire string (`code`) and a default human message.
///
/// The strings are a public contract for IdP integrators and are listed in the README; never rename one.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // --- the token itself (SPEC §2.2) ---
    /// The token is longer than 16 KiB.
    TokenTooLarge,
    /// Not three canonical base64url segments, or a segment is not a JSON object.
    MalformedToken,
    /// A key appears twice in the header or the payload.
    DuplicateKey,
    /// The header carries `crit`, which lanyard does not support.
    CritHeader,
    /// `alg` is not an HMAC algorithm allowed with the configured key.
    AlgNotAllowed,
    /// The signature does not match the shared secret.
    InvalidSignature,
    /// `iat`, `exp` or `nbf` is not a number.
    InvalidTimeClaim,
    /// Neither `iat` nor a near `exp`: the token's age cannot be bounded.
    MissingIat,
    /// A bearer access token without `exp`: it would never expire (SPEC §15).
    MissingExp,
    /// `iat` is older than the configured maximum age.
    TokenTooOld,
    /// `iat` lies in the future beyond the allowed clock skew.
    IssuedInFuture,
    /// `exp` has passed.
    TokenExpired,
    /// `nbf` has not been reached yet.
    TokenNotYetValid,
    /// A token without `iat` whose `exp` lies more than 600 s ahead.
    ExpTooFar,
    /// `aud` is present and is not this site (or, with `jwt_audiences` set, absent or none of them).
    InvalidAudience,
    /// `jwt_issuer` is set and the token's `iss` is absent or another issuer.
    InvalidIssuer,
    /// A `jwt_claim_rules` rule does not hold for the token's claims.
    ClaimRuleFailed,
    /// A back-channel logout token lacks `iat`, `jti` or the logout event, carries a `nonce`, or
    /// names no user (`sub` or the email claim).
    InvalidLogoutToken,
    /// A back-channel logout token was sent to sign in: it never signs anyone in.
    LogoutToken,
    /// The email claim is absent.
    MissingEmail,
    /// The email claim is not a string holding one valid address.
    InvalidEmail,
    /// A first or last name claim is not a string, or is too long.
    InvalidNameClaim,
    /// The groups claim is not an array of strings, or has too many entries.
    InvalidGroupsClaim,
    /// This token was already used.
    TokenReplayed,
    /// The token's `kid` names no configured key (or an asymmetric token matches none).
    UnknownKey,
    /// The key that verifies this token is retired (`not_after` has passed).
    KeyRetired,
    /// The token needs the JWK Set, and no good copy of it is at hand (fetches failing for 24 h).
    JwksUnavailable,

    // --- the SSO flow (SPEC §2.1, §2.3, §2.7) ---
    /// JWT SSO is not enabled.
    SsoDisabled,
    /// `return_to` is not a safe same-site target.
    InvalidReturnTo,
    /// A parameter that must appear once appears several times.
    DuplicateParameter,
    /// The user is deactivated.
    UserDeactivated,
    /// The user is unknown and user provisioning is off.
    UserNotProvisioned,

    // --- OpenID Connect sign-in (SPEC §14) ---
    /// No enabled OpenID Connect provider has this slug.
    OidcDisabled,
    /// The sign-in's `state` is unknown, used, expired or bound to another browser.
    OidcStateInvalid,
    /// The callback's `iss` parameter (RFC 9207) is not the provider's issuer: a mix-up.
    OidcIssuerMismatch,
    /// The ID token's `nonce` is missing or not the one this sign-in sent.
    OidcNonceMismatch,
    /// The provider answered the sign-in with an `error`.
    OidcIdpError,
    /// The token endpoint failed, timed out or answered without a usable ID token.
    OidcTokenExchangeFailed,
    /// The userinfo endpoint failed, or answered for another `sub`.
    OidcUserinfoFailed,
    /// The provider's discovery document or JWK Set cannot be fetched or is unusable.
    OidcDiscoveryFailed,
    /// The email belongs to an existing account and the provider does not call it verified.
    OidcEmailUnverified,
    /// The provider's new email for this user is another account's.
    OidcEmailTaken,

    // --- sessions and password login (SPEC §3) ---
    /// Wrong email or password.
    InvalidCredentials,
    /// Password login is turned off.
    PasswordLoginDisabled,
    /// Too many failed attempts.
    RateLimited,
    /// No valid session.
    Unauthenticated,
    /// The `X-Api-Key` header names no API key (deleted, rotated or mistyped).
    InvalidApiKey,
    /// The call acts on a signed-in person's own account or on credentials, which an API key cannot.
    SessionRequired,
    /// The session's user may not do this.
    Forbidden,
    /// `/auth/verify`'s restriction query (`?group=`, `?admin=`) is not understood exactly: the
    /// location lets no one through until the proxy's configuration is fixed.
    InvalidRestriction,

    // --- the admin API (SPEC §4) ---
    /// The request body or parameters are not what the endpoint takes.
    InvalidRequest,
    /// The request body is larger than the endpoint accepts.
    RequestTooLarge,
    /// The request's URL is longer than lanyard accepts.
    UriTooLong,
    /// Settings failed validation; `fields` says which.
    InvalidSettings,
    /// An unsafe request from another origin.
    CrossSiteRequest,
    /// The thing asked for does not exist.
    NotFound,
    /// The change would conflict with existing data (a name already taken).
    Conflict,
    /// The change would leave no active administrator.
    LastAdmin,
    /// The built-in groups cannot be renamed or deleted.
    BuiltinGroup,
    /// The first admin can be created only while there are no users.
    AlreadySetUp,
    /// The settings changed since the version the change was made against.
    SettingsConflict,
    /// The database cannot be reached right now; nothing was changed. Retry shortly.
    StorageUnavailable,
    /// Something failed inside the server; details are in its log, never in the response.
    Internal,
}

impl ErrorCode {
    /// Every code, for documentation and exhaustive tests.
    pub const ALL: &'static [ErrorCode] = &[
        Self::TokenTooLarge,
        Self::MalformedToken,
        Self::DuplicateKey,
        Self::CritHeader,
        Self::AlgNotAllowed,
        Self::InvalidSignature,
        Self::InvalidTimeClaim,
        Self::MissingIat,
        Self::MissingExp,
        Self::TokenTooOld,
        Self::IssuedInFuture,
        Self::TokenExpired,
        Self::TokenNotYetValid,
        Self::ExpTooFar,
        Self::InvalidAudience,
        Self::InvalidIssuer,
        Self::ClaimRuleFailed,
        Self::InvalidLogoutToken,
        Self::LogoutToken,
        Self::MissingEmail,
        Self::InvalidEmail,
        Self::InvalidNameClaim,
        Self::InvalidGroupsClaim,
        Self::TokenReplayed,
        Self::UnknownKey,
        Self::KeyRetired,
        Self::JwksUnavailable,
        Self::SsoDisabled,
        Self::OidcDisabled,
        Self::OidcStateInvalid,
        Self::OidcIssuerMismatch,
        Self::OidcNonceMismatch,
        Self::OidcIdpError,
        Self::OidcTokenExchangeFailed,
        Self::OidcUserinfoFailed,
        Self::OidcDiscoveryFailed,
        Self::OidcEmailUnverified,
        Self::OidcEmailTaken,
        Self::InvalidReturnTo,
        Self::DuplicateParameter,
        Self::UserDeactivated,
        Self::UserNotProvisioned,
        Self::InvalidCredentials,
        Self::PasswordLoginDisabled,
        Self::RateLimited,
        Self::Unauthenticated,
        Self::InvalidApiKey,
        Self::SessionRequired,
        Self::Forbidden,
        Self::InvalidRestriction,
        Self::InvalidRequest,
        Self::RequestTooLarge,
        Self::UriTooLong,
        Self::InvalidSettings,
        Self::CrossSiteRequest,
        Self::NotFound,
        Self::Conflict,
        Self::LastAdmin,
        Self::BuiltinGroup,
        Self::AlreadySetUp,
        Self::SettingsConflict,
        Self::StorageUnavailable,
        Self::Internal,
    ];

    /// The stable wire string, e.g. `"token_expired"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenTooLarge => "token_too_large",
            Self::MalformedToken => "malformed_token",
            Self::DuplicateKey => "duplicate_key",
            Self::CritHeader => "crit_header",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::InvalidSignature => "invalid_signature",
            Self::InvalidTimeClaim => "invalid_time_claim",
            Self::MissingIat => "missing_iat",
            Self::MissingExp => "missing_exp",
            Self::TokenTooOld => "token_too_old",
            Self::IssuedInFuture => "issued_in_future",
            Self::TokenExpired => "token_expired",
            Self::TokenNotYetValid => "token_not_yet_valid",
            Self::ExpTooFar => "exp_too_far",
            Self::InvalidAudience => "invalid_audience",
            Self::InvalidIssuer => "invalid_issuer",
            Self::ClaimRuleFailed => "claim_rule_failed",
            Self::InvalidLogoutToken => "invalid_logout_token",
            Self::LogoutToken => "logout_token",
            Self::MissingEmail => "missing_email",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidNameClaim => "invalid_name_claim",
            Self::InvalidGroupsClaim => "invalid_groups_claim",
            Self::TokenReplayed => "token_replayed",
            Self::UnknownKey => "unknown_key",
            Self::KeyRetired => "key_retired",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::SsoDisabled => "sso_disabled",
            Self::OidcDisabled => "oidc_disabled",
            Self::OidcStateInvalid => "oidc_state_invalid",
            Self::OidcIssuerMismatch => "oidc_issuer_mismatch",
            Self::OidcNonceMismatch => "oidc_nonce_mismatch",
            Self::OidcIdpError => "oidc_idp_error",
            Self::OidcTokenExchangeFailed => "oidc_token_exchange_failed",
            Self::OidcUserinfoFailed => "oidc_userinfo_failed",
            Self::OidcDiscoveryFailed => "oidc_discovery_failed",
            Self::OidcEmailUnverified => "oidc_email_unverified",
            Self::OidcEmailTaken => "oidc_email_taken",
            Self::InvalidReturnTo => "invalid_return_to",
            Self::DuplicateParameter => "duplicate_parameter",
            Self::UserDeactivated => "user_deactivated",
            Self::UserNotProvisioned => "user_not_provisioned",
            Self::InvalidCredentials => "invalid_credentials",
            Self::PasswordLoginDisabled => "password_login_disabled",
            Self::RateLimited => "rate_limited",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidApiKey => "invalid_api_key",
            Self::SessionRequired => "session_required",
            Self::Forbidden => "forbidden",
            Self::InvalidRestriction => "invalid_restriction",
            Self::InvalidRequest => "invalid_request",
            Self::RequestTooLarge => "request_too_large",
            Self::UriTooLong => "uri_too_long",
            Self::InvalidSettings => "invalid_settings",
            Self::CrossSiteRequest => "cross_site_request",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::LastAdmin => "last_admin",
            Self::BuiltinGroup => "builtin_group",
            Self::AlreadySetUp => "already_set_up",
            Self::SettingsConflict => "settings_conflict",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Internal => "internal",
        }
    }

    /// The default human message. It never contains request data, so it can never leak a secret.
    pub fn message(self) -> &'static str {
        match self {
            Self::TokenTooLarge => "The token is larger than 16 KiB.",
            Self::MalformedToken => {
                "The token is not a JWT: it must be three base64url parts (header.payload.signature) whose first two are JSON objects."
            }
            Self::DuplicateKey => "The token's header or payload names the same key twice.",
            Self::CritHeader => {
                "The token's header has a \"crit\" parameter, which is not supported."
            }
            Self::AlgNotAllowed => {
                "The token's \"alg\" is not allowed: HS256 (HS384/HS512 with a long enough key) with the shared secret, or the algorithm of the key it names."
            }
            Self::InvalidSignature => {
                "The token's signature does not match the configured signing key."
            }
            Self::InvalidTimeClaim => "The token's \"iat\", \"exp\" or \"nbf\" is not a number.",
            Self::MissingIat => {
                "The token has no \"iat\" (issued-at) claim and no \"exp\" to bound its age."
            }
            Self::MissingExp => "The access token has no \"exp\"; bearer tokens must expire.",
            Self::TokenTooOld => {
                "The token was issued too long ago; sign a fresh one for each login."
            }
            Self::IssuedInFuture => {
                "The token's \"iat\" is in the future; check the identity provider's clock."
            }
            Self::TokenExpired => "The token has expired.",
            Self::TokenNotYetValid => "The token is not valid yet (\"nbf\" is in the future).",
            Self::ExpTooFar => {
                "A token without \"iat\" must expire within 600 seconds; add \"iat\" or a nearer \"exp\"."
            }
            Self::InvalidAudience => {
                "The token's \"aud\" does not name this site or one of the accepted audiences."
            }
            Self::InvalidIssuer => "The token's \"iss\" is not the configured issuer.",
            Self::ClaimRuleFailed => "The token's claims do not meet a sign-in rule.",
            Self::LogoutToken => {
                "This is a back-channel logout token (it has the logout event): it never signs anyone in."
            }
            Self::InvalidLogoutToken => {
                "The logout token needs \"iat\", \"jti\", the back-channel logout event and a \"sub\" or email, and no \"nonce\"."
            }
            Self::MissingEmail => "The token has no email claim.",
            Self::InvalidEmail => "The token's email claim is not a valid email address.",
            Self::InvalidNameClaim => {
                "The token's first or last name claim is not a string of at most 255 characters."
            }
            Self::InvalidGroupsClaim => {
                "The token's groups claim must be an array of at most 1000 strings (or one string)."
            }
            Self::TokenReplayed => "This token was already used; sign a fresh one for each login.",
            Self::UnknownKey => {
                "The token's \"kid\" names no configured key, and no key fits its algorithm."
            }
            Self::KeyRetired => "The key that signed this token is retired.",
            Self::JwksUnavailable => {
                "The identity provider's key set (JWKS) cannot be fetched; try again later."
            }
            Self::SsoDisabled => "JWT single sign-on is not enabled.",
            Self::OidcDisabled => "No enabled OpenID Connect provider has this name.",
            Self::OidcStateInvalid => {
                "This sign-in link is unknown, was already used, has expired or was started in another browser. Start signing in again."
            }
            Self::OidcIssuerMismatch => {
                "The answer came from another issuer than the one this sign-in was sent to."
            }
            Self::OidcNonceMismatch => "The ID token's nonce is not the one this sign-in sent.",
            Self::OidcIdpError => "The identity provider refused the sign-in.",
            Self::OidcTokenExchangeFailed => {
                "The identity provider's token endpoint did not give a usable ID token."
            }
            Self::OidcUserinfoFailed => {
                "The identity provider's userinfo endpoint did not answer for this user."
            }
            Self::OidcDiscoveryFailed => {
                "The identity provider's configuration cannot be fetched right now."
            }
            Self::OidcEmailUnverified => {
                "This email belongs to an existing account and the identity provider has not verified it."
            }
            Self::OidcEmailTaken => "Another account already uses this email.",
            Self::InvalidReturnTo => {
                "The return_to address is not a path or an address on this site."
            }
            Self::DuplicateParameter => "A parameter that must appear once appears more than once.",
            Self::UserDeactivated => "This account is deactivated.",
            Self::UserNotProvisioned => {
                "There is no account for this email and new accounts are not created automatically."
            }
            Self::InvalidCredentials => "The email or password is not correct.",
            Self::PasswordLoginDisabled => "Password login is disabled; sign in with SSO.",
            Self::RateLimited => "Too many failed attempts; try again later.",
            Self::Unauthenticated => "You are not signed in.",
            Self::InvalidApiKey => "The X-Api-Key header is not a valid API key.",
            Self::SessionRequired => {
                "This call needs a signed-in administrator: API keys cannot manage credentials or act as a person."
            }
            Self::Forbidden => "You are not allowed to do this.",
            Self::InvalidRestriction => {
                "The location's restriction is not understood (only ?group=NAME, repeatable, and ?admin=true or ?admin=false are): no one is let through until the proxy's configuration is fixed."
            }
            Self::InvalidRequest => "The request is not valid.",
            Self::RequestTooLarge => "The request body is larger than this endpoint accepts.",
            Self::UriTooLong => "The request's address is longer than lanyard accepts.",
            Self::InvalidSettings => "The settings are not valid; nothing was saved.",
            Self::CrossSiteRequest => "Requests from other sites are refused.",
            Self::NotFound => "Not found.",
            Self::Conflict => "That name is already taken.",
            Self::LastAdmin => "This would leave no active administrator.",
            Self::BuiltinGroup => "The built-in groups cannot be renamed or deleted.",
            Self::AlreadySetUp => "An account already exists; sign in instead.",
            Self::SettingsConflict => {
                "Someone else changed the settings since you loaded them; reload and make your change again."
            }
            Self::StorageUnavailable => {
                "The database cannot be reached right now; nothing was changed. Try again shortly."
            }
            Self::Internal => "Something went wrong on the server.",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One field's validation error: which field, a stable code, a message for that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field: a setting (`"jwt_identity_provider_uri"`), or another field of the request body.
    pub field: FieldName,
    /// A stable code for the rule that failed, e.g. `"not_absolute_url"`.
    pub code: String,
    /// What is wrong, in words fit to show under the field.
    pub message: String,
}

/// Which field a [`FieldError`] is about: one of the settings, or (for a body that is not the
/// settings) the field's name as sent. On the wire it is the name either way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldName {
    /// A setting.
    Setting(crate::SettingField),
    /// Another field, by its name as sent (`apply_now`, or an unknown field's name).
    Other(String),
}

impl FieldName {
    /// The name as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Setting(field) => field.as_str(),
            Self::Other(name) => name,
        }
    }
}

impl From<crate::SettingField> for FieldName {
    fn from(field: crate::SettingField) -> Self {
        Self::Setting(field)
    }
}

impl From<&str> for FieldName {
    fn from(name: &str) -> Self {
        crate::SettingField::parse(name).map_or_else(|| Self::Other(name.to_owned()), Self::Setting)
    }
}

impl PartialEq<crate::SettingField> for FieldName {
    fn eq(&self, other: &crate::SettingField) -> bool {
        *self == Self::Setting(*other)
    }
}

impl std::fmt::Display for FieldName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FieldName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|name| Self::from(name.as_str()))
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for FieldName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::ToSchema;
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name(
                crate::SettingField::name(),
            ))
            .item(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .description(Some(
                        "Another field of the request body, by its name as sent.",
                    )),
            )
            .description(Some("A setting, or another field of the request body."))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for FieldName {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((
            <crate::SettingField as utoipa::ToSchema>::name().into(),
            crate::SettingField::schema(),
        ));
    }
}

/// The body of every error response: `{"error": {"code": …, "message": …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// The stable code.
    pub code: ErrorCode,
    /// A human message.
    pub message: String,
    /// Per-field errors, for `invalid_settings` and other validation failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl ErrorBody {
    /// The body for `code` with its default message.
    pub fn new(code: ErrorCode) -> Self {
        Self::with_fields(code, Vec::new())
    }

    /// The body for `code` whose message goes on to say what failed: "The token's claims do not
    /// meet a sign-in rule: the claim "tenant" is missing."
    pub fn explained(code: ErrorCode, reason: &str) -> Self {
        let mut body = Self::new(code);
        let general = body.error.message.trim_end_matches('.');
        body.error.message = format!("{general}: {}.", reason.trim_end_matches('.'));
        body
    }

    /// The body for `code` with per-field errors.
    pub fn with_fields(code: ErrorCode, fields: Vec<FieldError>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: code.message().to_owned(),
                fields,
            },
        }
    }
}
