//! The OpenAPI document (`GET /api/openapi.json`), generated with `utoipa` from the `lanyard-api`
//! types and the `#[utoipa::path]` of each handler, collected by `utoipa-axum` from the very router
//! that serves them — so a route cannot be served without being documented. The refusals every
//! handler can answer are declared once here, as `IntoResponses` sets the handlers list.
//!
//! Why utoipa: its schemas come from the serde types as they are (rename rules, optional fields,
//! tagged enums), it needs no wrapper router types in handlers (aide's `ApiRouter` needs its own
//! extractor impls), and `utoipa-axum` ties the document to axum 0.8's routing.

use lanyard_api::{ErrorBody, PeopleFilter, SsoSession, SsoStart};
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

/// The document's fixed parts; the paths come from the router.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "lanyard",
        description = "JWT single sign-on for web applications. Every refusal answers \
            `{\"error\": {\"code\", \"message\"}}` with a stable code (README: Error codes).",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(ErrorBody, PeopleFilter)),
    modifiers(&SessionCookie, &InternalErrors),
    tags(
        (name = "sso", description = "The SSO flow (SPEC §2)"),
        (name = "session", description = "Password login, sessions, first run (SPEC §3, §5)"),
        (name = "settings", description = "JWT settings, mappings, the dry run (SPEC §1, §4)"),
        (name = "people", description = "Users and groups (SPEC §4)"),
        (name = "audit", description = "The audit log (SPEC §4)"),
        (name = "provisioning", description = "SCIM's switch and token, API keys (SPEC §12)"),
        (name = "scim", description = "SCIM 2.0 service provider, RFC 7643/7644 (SPEC §12)"),
        (name = "forward", description = "Forward auth for reverse proxies (SPEC §13)"),
        (name = "ops", description = "Health, readiness, metrics (SPEC §7)"),
    )
)]
pub struct ApiDoc;

/// The session cookie, which every signed-in endpoint reads.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::session::COOKIE))),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))),
        );
        // `/auth/verify`'s machine clients (SPEC §15): an API key, a JWT access token or a session.
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(utoipa::openapi::security::Http::new(
                utoipa::openapi::security::HttpAuthScheme::Bearer,
            )),
        );
        components.add_security_scheme(
            "scim",
            SecurityScheme::Http(utoipa::openapi::security::Http::new(
                utoipa::openapi::security::HttpAuthScheme::Bearer,
            )),
        );
    }
}

/// Any operation can fail inside the server: `500 internal`, with no detail.
struct InternalErrors;

impl Modify for InternalErrors {
    fn modify(&self, openapi: &mut Document) {
        let response: RefOr<Response> = ResponseBuilder::new()
            .description("`internal`: something failed inside the server; details are in its log.")
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build()
            .into();
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                operation
                    .responses
                    .responses
                    .entry("500".to_owned())
                    .or_insert_with(|| response.clone());
            }
        }
    }
}

/// What `/auth/sso` answers in JSON mode: where to go (no token), or the session (a token).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SsoJson {
    /// No token: the IdP URL with `return_to`.
    Start(SsoStart),
    /// A token: the session, Metabase's SDK shape.
    Session(SsoSession),
}

/// The body of `POST /auth/sso` (a form or JSON).
#[derive(ToSchema)]
pub struct SsoForm {
    /// The signed token.
    pub jwt: String,
    /// Where to go after signing in.
    pub return_to: Option<String>,
}

/// Refusals of an endpoint that needs a signed-in administrator.
#[derive(IntoResponses)]
pub enum AdminOnly {
    /// `unauthenticated`: no valid session.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// `forbidden`: the user is not an administrator; or `cross_site_request`.
    #[response(status = 403)]
    Forbidden(ErrorBody),
}

/// Refusal of an endpoint that needs any signed-in user.
#[derive(IntoResponses)]
pub enum SignedInOnly {
    /// `unauthenticated`: no valid session.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
}

/// The body or parameters are not what the endpoint takes.
#[derive(IntoResponses)]
pub enum BadRequest {
    /// `invalid_request` (or `invalid_settings` with per-field errors).
    #[response(status = 400)]
    BadRequest(ErrorBody),
}

/// The resource named in the path does not exist.
#[derive(IntoResponses)]
pub enum NotFound {
    /// `not_found`.
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// The change conflicts with what is stored.
#[derive(IntoResponses)]
pub enum Conflict {
    /// `conflict`, `last_admin`, `builtin_group`, `already_set_up` or `settings_conflict`.
    #[response(status = 409)]
    Conflict(ErrorBody),
}

/// An unsafe request from another site.
#[derive(IntoResponses)]
pub enum CrossSite {
    /// `cross_site_request`.
    #[response(status = 403)]
    CrossSite(ErrorBody),
}

/// The document as served: the router's paths under [`ApiDoc`]'s fixed parts, with the two type
/// aliases of `lanyard-api` shown as what they are (utoipa turns a field typed `GroupId` into a
/// reference to a component named `i64`, and `GroupMappings` into one named `BTreeMap`).
pub fn finish(api: Document) -> serde_json::Value {
    let mut document = serde_json::to_value(&api).unwrap_or_default();
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        schemas.remove("i64");
        if let Some(mappings) = schemas.remove("BTreeMap") {
            schemas.insert("GroupMappings".to_owned(), mappings);
        }
    }
    rewrite_refs(&mut document);
    document_credential_throttling(&mut document);
    document
}

/// Every operation an API key or the SCIM token may call can answer `429 rate_limited`: an address
/// that sent too many wrong ones gets it for further wrong ones (`refusals.rs`). Added here, once,
/// rather than on each route.
fn document_credential_throttling(document: &mut serde_json::Value) {
    use serde_json::json;
    let Some(paths) = document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut())
    {
        let schemes: Vec<String> = operation["security"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_object)
            .flat_map(|requirement| requirement.keys().cloned())
            .collect();
        let content = if schemes.iter().any(|scheme| scheme == "scim") {
            json!({"application/scim+json": {"schema": {"type": "object"}}})
        } else if schemes.iter().any(|scheme| scheme == "api_key") {
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}})
        } else {
            continue;
        };
        if let Some(responses) = operation
            .get_mut("responses")
            .and_then(serde_json::Value::as_object_mut)
        {
            responses.entry("429").or_insert_with(|| {
                json!({
                    "description": "`rate_limited`: too many wrong credentials from this address; \
                        `Retry-After` says when to try again (a right one still passes).",
                    "content": content,
                })
            });
        }
    }
}

fn rewrite_refs(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            match fields.get("$ref").and_then(serde_json::Value::as_str) {
                Some("#/components/schemas/i64") => {
                    fields.remove("$ref");
                    fields.insert("type".to_owned(), "integer".into());
                    fields.insert("format".to_owned(), "int64".into());
                }
                Some("#/components/schemas/BTreeMap") => {
                    fields.insert(
                        "$ref".to_owned(),
                        "#/components/schemas/GroupMappings".into(),
                    );
                }
                _ => {}
            }
            fields.values_mut().for_each(rewrite_refs);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}
