//! SCIM 2.0 (RFC 7643/7644, SPEC §12), pure: the filter language, PATCH semantics, and the mapping
//! between SCIM resources and lanyard's users and groups. The server reads and writes storage; every
//! rule about what a SCIM request means lives here.
//!
//! No SCIM crate is used: `scim-filter` (the only maintained filter parser) matches serde values in
//! memory through nom 7, rust_decimal and chrono and exposes no syntax tree to validate or to plan a
//! lookup with; the model crates carry every optional attribute of RFC 7643 and no PATCH engine. The
//! grammar needed here is small (RFC 7644 §3.4.2.2) and is parsed by hand in [`filter`].

pub mod discovery;
pub mod filter;
pub mod patch;
pub mod resources;

use serde_json::{Value, json};

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (Entra ID and Okta send it; lanyard stores none of it).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// A PATCH request.
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A list response.
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// An error response.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The media type of every SCIM response.
pub const CONTENT_TYPE: &str = "application/scim+json";
/// Most resources one list page returns (ServiceProviderConfig's `filter.maxResults`).
pub const MAX_RESULTS: usize = 200;

/// RFC 7644 §3.12's `scimType` values lanyard answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    /// The filter is malformed or names something it cannot compare.
    InvalidFilter,
    /// The body is not valid JSON or not the request's shape.
    InvalidSyntax,
    /// A value is missing, of the wrong type, or not allowed.
    InvalidValue,
    /// A unique attribute (`userName`, a group's `displayName`) is taken.
    Uniqueness,
    /// The request changes an attribute that cannot be changed.
    Mutability,
    /// A PATCH path is malformed.
    InvalidPath,
    /// A PATCH path matched nothing where something must be matched.
    NoTarget,
}

impl ScimType {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidValue => "invalidValue",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
        }
    }
}

/// A refused SCIM request: the HTTP status, the `scimType` (for 400 and 409) and a message that
/// names what was wrong (never a stored secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    /// HTTP status.
    pub status: u16,
    /// `scimType`, when the status has one.
    pub scim_type: Option<ScimType>,
    /// Human message.
    pub detail: String,
}

impl ScimError {
    /// A `400` with `scim_type`.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            scim_type: Some(scim_type),
            detail: detail.into(),
        }
    }

    /// A `409 uniqueness`.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self {
            status: 409,
            scim_type: Some(ScimType::Uniqueness),
            detail: detail.into(),
        }
    }

    /// A status without a `scimType` (`401`, `404`, `412`, …).
    pub fn status(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type: None,
            detail: detail.into(),
        }
    }

    /// The error body (RFC 7644 §3.12).
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(kind), Some(object)) = (self.scim_type, body.as_object_mut()) {
            object.insert("scimType".into(), json!(kind.as_str()));
        }
        body
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl std::error::Error for ScimError {}

/// One page of a list (RFC 7644 §3.4.2.4): 1-based `startIndex`, at most [`MAX_RESULTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based index of the first resource.
    pub start_index: usize,
    /// How many to return.
    pub count: usize,
}

impl Paging {
    /// From the query's `startIndex` and `count`: below 1 means 1, negative counts mean 0, counts
    /// above [`MAX_RESULTS`] are cut to it; anything but an integer is `invalidValue`.
    pub fn from_query(start_index: Option<&str>, count: Option<&str>) -> Result<Self, ScimError> {
        let parse = |name: &str, value: Option<&str>, default: i64| match value {
            None => Ok(default),
            Some(text) => text.trim().parse::<i64>().map_err(|_| {
                ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer"))
            }),
        };
        let start = parse("startIndex", start_index, 1)?.max(1);
        let count = parse("count", count, MAX_RESULTS as i64)?.clamp(0, MAX_RESULTS as i64);
        Ok(Self {
            start_index: usize::try_from(start).unwrap_or(1),
            count: usize::try_from(count).unwrap_or(0),
        })
    }

    /// This page of `items`.
    pub fn page<T>(&self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.start_index - 1)
            .take(self.count)
            .collect()
    }
}

/// A list response of `resources` (already one page) out of `total`.
pub fn list_response(resources: Vec<Value>, total: usize, paging: Paging) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "startIndex": paging.start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// The member of `object` named `name`, compared case-insensitively (SCIM attribute names are).
pub fn get_ci<'a>(object: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value)
}

/// The key of `object` that names `name` case-insensitively, if any.
pub(crate) fn key_ci(object: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

/// Applies `attributes` (keep only these, besides `schemas`, `id` and `meta`) or
/// `excludedAttributes` (drop these) to a resource (RFC 7644 §3.9); top-level names, comma-separated.
pub fn project(resource: &mut Value, attributes: Option<&str>, excluded: Option<&str>) {
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(|name| {
                filter::split_uri(name.trim())
                    .1
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .filter(|name| !name.is_empty())
            .collect()
    };
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    let always = ["schemas", "id", "meta"];
    if let Some(keep) = attributes.map(names) {
        object.retain(|key, _| {
            always.iter().any(|a| a == key) || keep.iter().any(|k| k.eq_ignore_ascii_case(key))
        });
    } else if let Some(drop) = excluded.map(names) {
        object.retain(|key, _| {
            always.iter().any(|a| a == key) || !drop.iter().any(|d| d.eq_ignore_ascii_case(key))
        });
    }
}
