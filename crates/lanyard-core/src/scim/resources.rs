//! SCIM Users and Groups ↔ lanyard's users and groups (SPEC §12): `userName` is the email (folded as
//! SSO folds it), `name.givenName`/`familyName` the names, `externalId` kept, `active` the account's
//! state; a Group is a lanyard group with its members. Nothing else a client sends is stored.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, ScimError, ScimType, USER_SCHEMA, get_ci};
use crate::profile::normalize_email;
use crate::settings::MAX_NAME_CHARS;

/// A user as SCIM shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord<'a> {
    /// Id.
    pub id: i64,
    /// Email (the `userName`, unless `user_name` says otherwise).
    pub email: &'a str,
    /// The `userName` as the client gave it, when it is not an email address.
    pub user_name: Option<&'a str>,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
    /// The IdP's id for the user.
    pub external_id: Option<&'a str>,
    /// Not deactivated.
    pub active: bool,
    /// Groups: id and name.
    pub groups: &'a [(i64, String)],
    /// Created (RFC 3339).
    pub created: &'a str,
    /// Last changed (RFC 3339).
    pub last_modified: &'a str,
}

/// A group as SCIM shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord<'a> {
    /// Id.
    pub id: i64,
    /// Name (the `displayName`).
    pub name: &'a str,
    /// The IdP's id for the group.
    pub external_id: Option<&'a str>,
    /// Members: user id and email.
    pub members: &'a [(i64, String)],
    /// Created (RFC 3339).
    pub created: &'a str,
    /// Last changed (RFC 3339).
    pub last_modified: &'a str,
}

/// The User resource; `base` is the SCIM endpoint (`https://site/api/scim/v2`).
pub fn user_json(user: &UserRecord<'_>, base: &str) -> Value {
    let mut name = Map::new();
    if let Some(first) = user.first_name {
        name.insert("givenName".into(), json!(first));
    }
    if let Some(last) = user.last_name {
        name.insert("familyName".into(), json!(last));
    }
    let formatted = [user.first_name, user.last_name]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if !formatted.is_empty() {
        name.insert("formatted".into(), json!(formatted));
    }
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": user.id.to_string(),
        "userName": user.user_name.unwrap_or(user.email),
        "displayName": if formatted.is_empty() { user.email.to_owned() } else { formatted },
        "emails": [{"value": user.email, "type": "work", "primary": true}],
        "active": user.active,
        "groups": user.groups.iter().map(|(id, name)| json!({
            "value": id.to_string(),
            "display": name,
            "$ref": format!("{base}/Groups/{id}"),
        })).collect::<Vec<_>>(),
    });
    if let Some(object) = resource.as_object_mut() {
        if let Some(external) = user.external_id {
            object.insert("externalId".into(), json!(external));
        }
        // No names: `name` is unassigned (absent), not an empty object (RFC 7643 §2.5).
        if !name.is_empty() {
            object.insert("name".into(), Value::Object(name));
        }
    }
    with_meta(
        resource,
        "User",
        user.created,
        user.last_modified,
        &format!("{base}/Users/{}", user.id),
    )
}

/// The Group resource; `base` is the SCIM endpoint.
pub fn group_json(group: &GroupRecord<'_>, base: &str) -> Value {
    let mut resource = json!({
        "schemas": [GROUP_SCHEMA],
        "id": group.id.to_string(),
        "displayName": group.name,
        "members": group.members.iter().map(|(id, email)| json!({
            "value": id.to_string(),
            "display": email,
            "type": "User",
            "$ref": format!("{base}/Users/{id}"),
        })).collect::<Vec<_>>(),
    });
    if let (Some(external), Some(object)) = (group.external_id, resource.as_object_mut()) {
        object.insert("externalId".into(), json!(external));
    }
    with_meta(
        resource,
        "Group",
        group.created,
        group.last_modified,
        &format!("{base}/Groups/{}", group.id),
    )
}

/// Adds `meta`, whose `version` is a weak ETag of everything else: it changes exactly when what a
/// client sees changes.
fn with_meta(
    mut resource: Value,
    kind: &str,
    created: &str,
    modified: &str,
    location: &str,
) -> Value {
    let digest = Sha256::digest(resource.to_string().as_bytes());
    let version = format!("W/\"{}\"", hex::encode(&digest[..12]));
    if let Some(object) = resource.as_object_mut() {
        object.insert(
            "meta".into(),
            json!({
                "resourceType": kind,
                "created": created,
                "lastModified": modified,
                "location": location,
                "version": version,
            }),
        );
    }
    resource
}

/// The resource's `meta.version` (its ETag).
pub fn version(resource: &Value) -> Option<&str> {
    resource.get("meta")?.get("version")?.as_str()
}

/// A user as a client asks for it (create or replace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInput {
    /// Email, folded: the `userName`, or when that is not an email address, taken from `emails`.
    pub email: String,
    /// The `userName` as given, when it is not an email address.
    pub user_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The IdP's id.
    pub external_id: Option<String>,
    /// Active.
    pub active: bool,
}

/// A group as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInput {
    /// Name.
    pub name: String,
    /// The IdP's id.
    pub external_id: Option<String>,
    /// Member user ids (absent members mean none).
    pub members: Vec<i64>,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// `schemas` must list `core` and nothing lanyard does not know.
fn check_schemas(object: &Map<String, Value>, core: &str, known: &[&str]) -> Result<(), ScimError> {
    let Some(Value::Array(schemas)) = get_ci(object, "schemas") else {
        return Err(invalid(format!("schemas must list {core}")));
    };
    let mut has_core = false;
    for schema in schemas {
        let Some(schema) = schema.as_str() else {
            return Err(invalid("schemas must be strings"));
        };
        if schema.eq_ignore_ascii_case(core) {
            has_core = true;
        } else if !known.iter().any(|k| k.eq_ignore_ascii_case(schema)) {
            return Err(invalid(format!("unknown schema {schema}")));
        }
    }
    if has_core {
        Ok(())
    } else {
        Err(invalid(format!("schemas must list {core}")))
    }
}

fn optional_text(
    object: &Map<String, Value>,
    name: &str,
    label: &str,
) -> Result<Option<String>, ScimError> {
    match get_ci(object, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            let text = text.trim();
            if text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
                Err(invalid(format!(
                    "{label} must be at most {MAX_NAME_CHARS} characters without control characters"
                )))
            } else if text.is_empty() {
                Ok(None)
            } else {
                Ok(Some(text.to_owned()))
            }
        }
        Some(_) => Err(invalid(format!("{label} must be a string"))),
    }
}

/// A boolean, or the strings `"True"`/`"False"` Entra ID sends.
fn boolean(value: &Value, label: &str) -> Result<bool, ScimError> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid(format!("{label} must be true or false"))),
    }
}

/// Reads a User body (`POST`, `PUT`, or the result of a `PATCH`).
pub fn user_input(body: &Value) -> Result<UserInput, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "the body must be a JSON object"))?;
    check_schemas(object, USER_SCHEMA, &[ENTERPRISE_USER_SCHEMA])?;
    let user_name = match get_ci(object, "userName") {
        Some(Value::String(name)) => name.trim(),
        _ => return Err(invalid("userName is required and must be a string")),
    };
    let (email, user_name) = match normalize_email(user_name) {
        Ok(email) => (email, None),
        Err(_) => {
            if user_name.is_empty()
                || user_name.chars().count() > MAX_USER_NAME_CHARS
                || user_name.chars().any(char::is_control)
            {
                return Err(invalid(
                    "userName must be 1 to 255 characters without control characters",
                ));
            }
            let email = email_from_emails(get_ci(object, "emails"))?.ok_or_else(|| {
                invalid(
                    "userName is not an email address and emails holds none: one of them must \
                     be the user's email",
                )
            })?;
            (email, Some(user_name.to_owned()))
        }
    };
    let (first_name, last_name) = match get_ci(object, "name") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(name)) => (
            optional_text(name, "givenName", "name.givenName")?,
            optional_text(name, "familyName", "name.familyName")?,
        ),
        Some(_) => return Err(invalid("name must be an object")),
    };
    let active = match get_ci(object, "active") {
        None | Some(Value::Null) => true,
        Some(value) => boolean(value, "active")?,
    };
    if let Some(emails) = get_ci(object, "emails")
        && !(emails.is_null()
            || emails
                .as_array()
                .is_some_and(|list| list.iter().all(Value::is_object)))
    {
        return Err(invalid("emails must be a list of objects"));
    }
    Ok(UserInput {
        email,
        user_name,
        first_name,
        last_name,
        external_id: optional_text(object, "externalId", "externalId")?,
        active,
    })
}

/// The longest `userName` kept when it is not an email address.
pub const MAX_USER_NAME_CHARS: usize = 255;

/// The email `emails` gives a user whose `userName` is not one (SPEC §12): the `primary` entry,
/// else the one of `type` `work`, else the first. `None` when the list is absent or empty.
fn email_from_emails(emails: Option<&Value>) -> Result<Option<String>, ScimError> {
    let Some(Value::Array(list)) = emails else {
        return Ok(None);
    };
    let entries: Vec<&Map<String, Value>> = list.iter().filter_map(Value::as_object).collect();
    let primary = entries.iter().find(|entry| {
        get_ci(entry, "primary").is_some_and(|flag| boolean(flag, "primary").unwrap_or(false))
    });
    let work = entries.iter().find(|entry| {
        get_ci(entry, "type")
            .and_then(Value::as_str)
            .is_some_and(|kind| kind.eq_ignore_ascii_case("work"))
    });
    let Some(chosen) = primary.or(work).or(entries.first()) else {
        return Ok(None);
    };
    match get_ci(chosen, "value") {
        Some(Value::String(value)) => normalize_email(value.trim())
            .map(Some)
            .map_err(|_| invalid("the email chosen from emails is not one valid email address")),
        _ => Err(invalid("each of emails must have a value")),
    }
}

/// Reads a Group body (`POST`, `PUT`, or the result of a `PATCH`).
pub fn group_input(body: &Value) -> Result<GroupInput, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::bad(ScimType::InvalidSyntax, "the body must be a JSON object"))?;
    check_schemas(object, GROUP_SCHEMA, &[])?;
    let name = match get_ci(object, "displayName") {
        Some(Value::String(name)) => crate::people::group_name(name)
            .map_err(|_| {
                invalid("displayName must be 1 to 255 characters without control characters")
            })?
            .to_owned(),
        _ => return Err(invalid("displayName is required and must be a string")),
    };
    let members = match get_ci(object, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.iter().map(member_id).collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("members must be a list")),
    };
    Ok(GroupInput {
        name,
        external_id: optional_text(object, "externalId", "externalId")?,
        members,
    })
}

/// A member's user id: `{"value": "7"}` (string or number); groups in groups are refused.
fn member_id(member: &Value) -> Result<i64, ScimError> {
    let Value::Object(member) = member else {
        return Err(invalid("each member must be an object with a value"));
    };
    if get_ci(member, "type")
        .and_then(Value::as_str)
        .is_some_and(|kind| kind.eq_ignore_ascii_case("group"))
    {
        return Err(invalid("groups cannot be members of groups"));
    }
    match get_ci(member, "value") {
        Some(Value::String(text)) => text.trim().parse().ok(),
        Some(Value::Number(number)) => number.as_i64(),
        _ => None,
    }
    .ok_or_else(|| invalid("a member's value must be a user id"))
}

/// `mutability` when the patched resource changed a read-only attribute (`id`, `meta`, and on a
/// User its `groups`, which are changed through Groups).
pub fn check_read_only(before: &Value, after: &Value, names: &[&str]) -> Result<(), ScimError> {
    let (Some(before), Some(after)) = (before.as_object(), after.as_object()) else {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "the resource must be an object",
        ));
    };
    for name in names {
        if get_ci(before, name) != get_ci(after, name) {
            return Err(ScimError::bad(
                ScimType::Mutability,
                format!("{name} is read-only"),
            ));
        }
    }
    Ok(())
}

/// The read-only attributes of a User.
pub const USER_READ_ONLY: &[&str] = &["id", "meta", "groups"];
/// The read-only attributes of a Group.
pub const GROUP_READ_ONLY: &[&str] = &["id", "meta"];

/// A body's `id`, when it has one: a `PUT` naming another resource's id is `mutability`.
pub fn check_body_id(body: &Value, id: i64) -> Result<(), ScimError> {
    match body.as_object().and_then(|object| get_ci(object, "id")) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(given)) if given.trim() == id.to_string() => Ok(()),
        Some(_) => Err(ScimError::bad(ScimType::Mutability, "id is read-only")),
    }
}
