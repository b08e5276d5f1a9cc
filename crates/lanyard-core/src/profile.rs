//! Claims → the user a login signs in as (SPEC §2.2 email rules, §2.3 names, §2.4 login attributes,
//! §2.5 the groups claim's shape).

use email_address::{EmailAddress, Options};
use lanyard_api::{ErrorCode, ProfileView};
use serde_json::{Map, Value};

use crate::claims;
use crate::settings::{MAX_NAME_CHARS, Settings};
use crate::strict_json::{Json, RawObject, StrictJsonError, string_array};

/// Longest email accepted, in bytes (RFC 5321's path limit less the angle brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Most entries a groups claim may have.
pub const MAX_GROUPS: usize = 1000;
/// Claims RFC 7519 registers; they are never stored as login attributes.
pub const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// Which claims hold the email, names and groups (from the settings' `jwt_attribute_*`).
#[derive(Debug, Clone, Copy)]
pub struct ClaimNames<'a> {
    /// Claim holding the email.
    pub email: &'a str,
    /// Claim holding the first name.
    pub first_name: &'a str,
    /// Claim holding the last name.
    pub last_name: &'a str,
    /// Claim holding the groups.
    pub groups: &'a str,
}

impl<'a> ClaimNames<'a> {
    /// The claim names the settings configure.
    pub fn from_settings(settings: &'a Settings) -> Self {
        Self {
            email: &settings.jwt_attribute_email,
            first_name: &settings.jwt_attribute_firstname,
            last_name: &settings.jwt_attribute_lastname,
            groups: &settings.jwt_attribute_groups,
        }
    }

    fn is_profile_claim(&self, name: &str) -> bool {
        [self.email, self.first_name, self.last_name, self.groups].contains(&name)
    }
}

/// The user a verified token describes. Names are `None` when their claim is absent or blank, which
/// keeps the stored name (SPEC §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The email, ASCII-lowercased: the key users are matched on.
    pub email: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The groups claim: `None` when absent (or, with group sync off, unusable).
    pub groups: Option<Vec<String>>,
    /// Every claim that is neither registered nor one of the four profile claims.
    pub login_attributes: LoginAttributes,
    /// The `sub` claim when it is a string of at most 255 characters (`sso_subject`, SPEC §9): how
    /// a back-channel logout names the user.
    pub subject: Option<String>,
}

impl Profile {
    /// The wire form shown by the token preview and the dry run.
    pub fn view(&self) -> ProfileView {
        ProfileView {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            groups: self.groups.clone(),
            login_attributes: self.login_attributes.to_map(),
        }
    }
}

/// Login attributes as one JSON object text: the token's own bytes for each value, so storing them
/// needs no re-encoding and the login path builds no `Value` tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttributes(String);

impl LoginAttributes {
    /// The JSON object text, e.g. `{"department":"Finance"}`.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// The attributes as a map, for display.
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(&self.0).unwrap_or_default()
    }
}

/// Maps a token payload (JSON bytes) to a [`Profile`]: the payload is read as strictly as by the SSO
/// endpoint (`malformed_token`, `duplicate_key`), then [`map_claims`]' rules apply.
///
/// ```
/// use lanyard_core::profile::{map_payload, ClaimNames};
/// let names = ClaimNames { email: "email", first_name: "first_name", last_name: "last_name", groups: "groups" };
/// let profile = map_payload(br#"{"email":"Ada@Example.com","team":"core"}"#, names, false).unwrap();
/// assert_eq!(profile.email, "ada@example.com");
/// assert_eq!(profile.login_attributes.as_json(), r#"{"team":"core"}"#);
/// ```
pub fn map_payload(
    payload: &[u8],
    names: ClaimNames<'_>,
    group_sync: bool,
) -> Result<Profile, ErrorCode> {
    let claims = RawObject::parse(payload).map_err(|error| match error {
        StrictJsonError::DuplicateKey => ErrorCode::DuplicateKey,
        StrictJsonError::NotAnObject => ErrorCode::MalformedToken,
    })?;
    map_claims(&claims, names, group_sync)
}

/// Maps verified claims to a [`Profile`]. With `group_sync` on, a malformed groups claim refuses the
/// login (`invalid_groups_claim`); with it off the claim is ignored, since nothing reads it.
pub(crate) fn map_claims(
    claims: &RawObject<'_>,
    names: ClaimNames<'_>,
    group_sync: bool,
) -> Result<Profile, ErrorCode> {
    if crate::logout::is_logout_token(claims) {
        return Err(ErrorCode::LogoutToken);
    }
    let email = email(claims, names.email)?;
    let first_name = name(claims, names.first_name)?;
    let last_name = name(claims, names.last_name)?;
    let groups = match groups(claims, names.groups) {
        Ok(groups) => groups,
        Err(code) if group_sync => return Err(code),
        Err(_) => None,
    };
    Ok(Profile {
        email,
        first_name,
        last_name,
        groups,
        login_attributes: login_attributes(claims, names),
        subject: subject(claims),
    })
}

/// The email claim, validated and ASCII-lowercased.
///
/// Only ASCII letters are folded: Unicode folding would turn the Kelvin sign in `"\u{212A}ate@x.org"`
/// into `k` and hand Kate's account to whoever controls that other address.
pub(crate) fn email(claims: &RawObject<'_>, claim: &str) -> Result<String, ErrorCode> {
    match claims::get(claims, claim) {
        None | Some(Json::Null) => Err(ErrorCode::MissingEmail),
        Some(Json::String(value)) => normalize_email(&value),
        Some(_) => Err(ErrorCode::InvalidEmail),
    }
}

/// One valid address of at most 254 bytes, with no surrounding whitespace or control characters,
/// ASCII-lowercased: the form users are stored and matched in, whichever way the email arrives.
///
/// ```
/// use lanyard_core::profile::normalize_email;
/// assert_eq!(normalize_email("Ada@Example.COM").unwrap(), "ada@example.com");
/// assert!(normalize_email(" ada@example.com").is_err());
/// ```
pub fn normalize_email(value: &str) -> Result<String, ErrorCode> {
    let well_formed = value.len() <= MAX_EMAIL_BYTES
        && value.trim() == value
        && !value.chars().any(char::is_control)
        && EmailAddress::parse_with_options(
            value,
            Options::default()
                .without_display_text()
                .without_domain_literal(),
        )
        .is_ok();
    if well_formed {
        Ok(fold_email(value))
    } else {
        Err(ErrorCode::InvalidEmail)
    }
}

/// An email as typed into a sign-in form, in the form accounts are matched on: trimmed and
/// ASCII-lowercased. ASCII only: Unicode folding would turn `\u{212A}ate@…` (Kelvin sign) into
/// `kate@…` and sign in someone else.
///
/// ```
/// assert_eq!(lanyard_core::profile::fold_email(" Ada@Example.COM "), "ada@example.com");
/// assert_eq!(lanyard_core::profile::fold_email("\u{212A}ate@x.io"), "\u{212A}ate@x.io");
/// ```
pub fn fold_email(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

/// A first or last name claim: `None` when absent, null or blank; trimmed otherwise.
pub(crate) fn name(claims: &RawObject<'_>, claim: &str) -> Result<Option<String>, ErrorCode> {
    match claims::get(claims, claim) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(value)) => {
            let value = value.trim();
            if value.chars().count() > MAX_NAME_CHARS || value.chars().any(char::is_control) {
                Err(ErrorCode::InvalidNameClaim)
            } else {
                Ok((!value.is_empty()).then(|| value.to_owned()))
            }
        }
        Some(_) => Err(ErrorCode::InvalidNameClaim),
    }
}

/// The groups claim: `None` when absent, a lone string as a one-element list, otherwise an array of
/// at most [`MAX_GROUPS`] strings.
pub(crate) fn groups(
    claims: &RawObject<'_>,
    claim: &str,
) -> Result<Option<Vec<String>>, ErrorCode> {
    match claims::get(claims, claim) {
        None => Ok(None),
        Some(Json::String(group)) => Ok(Some(vec![group.into_owned()])),
        Some(Json::Array(raw)) => match string_array(raw) {
            Some(items) if items.len() <= MAX_GROUPS => {
                Ok(Some(items.into_iter().map(|g| g.into_owned()).collect()))
            }
            _ => Err(ErrorCode::InvalidGroupsClaim),
        },
        Some(_) => Err(ErrorCode::InvalidGroupsClaim),
    }
}

/// `sub` as a user's SSO subject: a non-empty string of at most 255 characters, else `None`.
fn subject(claims: &RawObject<'_>) -> Option<String> {
    match claims.get("sub") {
        Some(Json::String(sub)) if !sub.is_empty() && sub.chars().count() <= MAX_NAME_CHARS => {
            Some(sub.into_owned())
        }
        _ => None,
    }
}

/// Every claim that is neither registered (`iss sub aud exp nbf iat jti`) nor a profile claim.
pub(crate) fn login_attributes(claims: &RawObject<'_>, names: ClaimNames<'_>) -> LoginAttributes {
    let kept = claims
        .members()
        .filter(|(key, _)| !REGISTERED_CLAIMS.contains(key) && !names.is_profile_claim(key));
    let mut json = Vec::with_capacity(128);
    json.push(b'{');
    for (index, (key, raw)) in kept.enumerate() {
        if index > 0 {
            json.push(b',');
        }
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut json, key);
        json.push(b':');
        json.extend_from_slice(raw.get().as_bytes());
    }
    json.push(b'}');
    LoginAttributes(String::from_utf8(json).unwrap_or_else(|_| "{}".to_owned()))
}
