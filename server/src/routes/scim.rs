//! SCIM 2.0 under `/api/scim/v2/` (SPEC §12): authenticated by the SCIM bearer token alone (no
//! cookie, no same-origin rule), answered in `application/scim+json`, errors in SCIM's shape. Every
//! request is audited with source "scim": writes by their use case, reads and refusals here.

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lanyard_api::{AuditSource, ScimRequest};
use lanyard_core::scim::{self, Paging, ScimError, ScimType, discovery, list_response};
use serde_json::Value;

use crate::auth::Client;
use crate::error::AppError;
use crate::extract::AppBytes;
use crate::service::scim::{Change, ListQuery, Resource, Target};
use crate::service::{Actor, Error};
use crate::state::AppState;

/// A SCIM answer: a resource (with its `ETag`), a list, nothing (`204`), or a SCIM error.
pub struct Scim(Result<(StatusCode, Option<Value>), AppError>);

/// Which `scimType` a refusal carried, for the audit entry written after the response.
#[derive(Clone, Copy)]
struct Refused(Option<ScimType>);

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        match self.0 {
            Ok((status, body)) => {
                let etag = body
                    .as_ref()
                    .and_then(scim::resources::version)
                    .and_then(|v| HeaderValue::from_str(v).ok());
                let mut response = match body {
                    Some(body) => (status, axum::Json(body)).into_response(),
                    None => status.into_response(),
                };
                let headers = response.headers_mut();
                if status != StatusCode::NO_CONTENT {
                    headers.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(scim::CONTENT_TYPE),
                    );
                }
                if let Some(etag) = etag {
                    headers.insert(header::ETAG, etag);
                }
                response
            }
            Err(error) => {
                let kind = match &error {
                    AppError::Service(Error::Scim(e)) => e.scim_type,
                    _ => None,
                };
                let mut response = error.into_scim_response();
                response.extensions_mut().insert(Refused(kind));
                response
            }
        }
    }
}

fn ok(body: Result<Value, AppError>) -> Scim {
    Scim(body.map(|body| (StatusCode::OK, Some(body))))
}

/// The SCIM base URL (`https://site/api/scim/v2`).
pub fn endpoint(state: &AppState, headers: &HeaderMap) -> Result<String, AppError> {
    let snapshot = state.settings();
    let site = state.site_url(&snapshot.settings, crate::extract::host(headers))?;
    Ok(format!(
        "{}/api/scim/v2",
        site.as_str().trim_end_matches('/')
    ))
}

/// The token check, and one audit entry per authenticated read or refusal (writes audit
/// themselves). A request without the right token is only counted ([`crate::refusals`]): anyone
/// can send one, so it writes no entry of its own and does not count as the IdP's last request.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = lanyard_core::audit::bounded_path(request.uri().path());
    let actor = Actor::at(crate::auth::peer_ip_of(&request).map(|ip| ip.to_string()));
    let bearer = crate::session::bearer_from(request.headers());
    if let Err(error) = state.authenticate_scim(bearer.as_deref(), &actor).await {
        return Scim(Err(error.into())).into_response();
    }
    let response = next.run(request).await;
    let status = response.status();
    // Reads (a search is one, though POSTed) are audited here; writes audit themselves.
    let read = method == Method::GET || path.ends_with("/.search");
    if read || !status.is_success() {
        let scim_type = match response.extensions().get::<Refused>() {
            Some(Refused(Some(kind))) => Some(kind.as_str().to_owned()),
            _ => None,
        };
        let request = ScimRequest {
            method: method.as_str().to_owned(),
            path,
            status: status.as_u16(),
            scim_type,
        };
        state
            .scim_request_seen(&actor.as_source(AuditSource::Scim), request)
            .await;
    }
    response
}

/// A JSON body, whatever its media type says (IdPs send `application/scim+json` or
/// `application/json`); `invalidSyntax` when it is not JSON.
fn json_body(body: Result<AppBytes, AppError>) -> Result<Value, AppError> {
    let AppBytes(body) = body?;
    serde_json::from_slice(&body)
        .map_err(|_| ScimError::bad(ScimType::InvalidSyntax, "The body is not valid JSON.").into())
}

/// A list's query: `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`.
struct ListParams {
    filter: Option<String>,
    paging: Paging,
    attributes: Option<String>,
    excluded: Option<String>,
}

fn list_params(query: Option<&str>) -> Result<ListParams, AppError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    Ok(ListParams {
        paging: Paging::from_query(get("startIndex").as_deref(), get("count").as_deref())?,
        filter: get("filter").filter(|f| !f.trim().is_empty()),
        attributes: get("attributes"),
        excluded: get("excludedAttributes"),
    })
}

/// A `POST /.search` body (RFC 7644 §3.4.3): the list query's parameters as a SearchRequest.
fn search_params(body: Result<AppBytes, AppError>) -> Result<ListParams, AppError> {
    let body = json_body(body)?;
    let object = body.as_object().ok_or_else(|| {
        ScimError::bad(ScimType::InvalidSyntax, "The body must be a JSON object.")
    })?;
    if !scim::get_ci(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|schemas| schemas.iter().any(|s| s == SEARCH_REQUEST_SCHEMA))
    {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            format!("schemas must hold {SEARCH_REQUEST_SCHEMA}"),
        )
        .into());
    }
    let text = |name: &str| -> Result<Option<String>, AppError> {
        match scim::get_ci(object, name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            // `attributes` and `excludedAttributes` are lists here; the query's form is one string.
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            )),
            Some(_) => Err(ScimError::bad(
                ScimType::InvalidValue,
                format!("{name} has the wrong type"),
            )
            .into()),
        }
    };
    Ok(ListParams {
        paging: Paging::from_query(text("startIndex")?.as_deref(), text("count")?.as_deref())?,
        filter: text("filter")?.filter(|f| !f.trim().is_empty()),
        attributes: text("attributes")?,
        excluded: text("excludedAttributes")?,
    })
}

const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A discovery list (`ResourceTypes`, `Schemas`): short, so every entry on one page.
fn whole_list(entries: Vec<Value>) -> Value {
    let total = entries.len();
    list_response(
        entries,
        total,
        Paging {
            start_index: 1,
            count: total,
        },
    )
}

/// The one discovery entry asked for, or SCIM's `404` saying what there is.
fn discovered(entry: Option<Value>, missing: &str) -> Result<Value, AppError> {
    entry.ok_or_else(|| ScimError::status(404, missing).into())
}

/// A list (`GET`) or search (`POST /.search`) of Users or Groups, with its parameters read.
async fn listed(
    state: &AppState,
    headers: &HeaderMap,
    params: Result<ListParams, AppError>,
    resource: Resource,
) -> Scim {
    ok(async {
        let params = params?;
        let base = endpoint(state, headers)?;
        let query = ListQuery {
            filter: params.filter.as_deref(),
            paging: params.paging,
        };
        let list = state.scim_list(resource, &base, query).await?;
        Ok(projected(list, &params))
    }
    .await)
}

fn projected(mut body: Value, params: &ListParams) -> Value {
    let (attributes, excluded) = (params.attributes.as_deref(), params.excluded.as_deref());
    match body.get_mut("Resources").and_then(Value::as_array_mut) {
        Some(resources) => resources
            .iter_mut()
            .for_each(|resource| scim::project(resource, attributes, excluded)),
        None => scim::project(&mut body, attributes, excluded),
    }
    body
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

fn scim_actor(client: Client) -> Actor {
    client.0.as_source(AuditSource::Scim)
}

/// `GET /api/scim/v2/ServiceProviderConfig`.
#[utoipa::path(get, path = "/api/scim/v2/ServiceProviderConfig", tag = "scim", operation_id = "scim_service_provider_config", security(("scim" = [])),
    responses((status = 200, description = "What this service provider supports (RFC 7644 §5).", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No or a wrong SCIM token, or SCIM is off.", content_type = "application/scim+json", body = Object)))]
pub async fn service_provider_config(State(state): State<AppState>, headers: HeaderMap) -> Scim {
    ok(endpoint(&state, &headers).map(|base| discovery::service_provider_config(&base)))
}

/// `GET /api/scim/v2/ResourceTypes`.
#[utoipa::path(get, path = "/api/scim/v2/ResourceTypes", tag = "scim", operation_id = "scim_resource_types", security(("scim" = [])),
    responses((status = 200, description = "User and Group.", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object)))]
pub async fn resource_types(State(state): State<AppState>, headers: HeaderMap) -> Scim {
    ok(endpoint(&state, &headers).map(|base| whole_list(discovery::resource_types(&base))))
}

/// `GET /api/scim/v2/Schemas`.
#[utoipa::path(get, path = "/api/scim/v2/Schemas", tag = "scim", operation_id = "scim_schemas", security(("scim" = [])),
    responses((status = 200, description = "The User and Group schemas (the attributes lanyard reads).", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object)))]
pub async fn schemas(State(state): State<AppState>, headers: HeaderMap) -> Scim {
    ok(endpoint(&state, &headers).map(|base| whole_list(discovery::schemas(&base))))
}

/// `GET /api/scim/v2/ResourceTypes/{name}`: the `meta.location` of each entry of the list.
#[utoipa::path(get, path = "/api/scim/v2/ResourceTypes/{name}", tag = "scim", operation_id = "scim_resource_type", security(("scim" = [])),
    params(("name" = String, Path, description = "`User` or `Group`.")),
    responses((status = 200, description = "The resource type.", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such resource type.", content_type = "application/scim+json", body = Object)))]
pub async fn resource_type(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Scim {
    ok(endpoint(&state, &headers).and_then(|base| {
        discovered(
            discovery::resource_type(&base, &name),
            "No such resource type: this server has User and Group.",
        )
    }))
}

/// `GET /api/scim/v2/Schemas/{uri}`: the `meta.location` of each entry of the list.
#[utoipa::path(get, path = "/api/scim/v2/Schemas/{uri}", tag = "scim", operation_id = "scim_schema", security(("scim" = [])),
    params(("uri" = String, Path, description = "The schema's URI, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.")),
    responses((status = 200, description = "The schema.", content_type = "application/scim+json", body = Object),
        (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object),
        (status = 404, description = "No such schema.", content_type = "application/scim+json", body = Object)))]
pub async fn schema(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(uri): Path<String>,
) -> Scim {
    ok(endpoint(&state, &headers).and_then(|base| {
        discovered(
            discovery::schema(&base, &uri),
            "No such schema: see GET /Schemas for the two this server has.",
        )
    }))
}

/// `POST /api/scim/v2/.search`: a search of several resource types at once, which RFC 7644 §3.4.3
/// leaves optional: `501`, as §3.12 says for an operation not supported.
pub async fn search_all() -> Scim {
    Scim(Err(ScimError::status(
        501,
        "Searching several resource types at once is not supported: POST /Users/.search or \
         /Groups/.search.",
    )
    .into()))
}

/// A `PUT` or `PATCH` of one resource (they differ in what a `400` may say).
macro_rules! scim_change_endpoint {
    ($method:ident $name:ident = $change:expr; $verb:literal, $plural:literal, $lower:ident,
     $one:literal, $noun:literal, $bad:literal) => {
        #[doc = concat!("`", $verb, " /api/scim/v2/", $plural, "/{id}`.")]
        #[utoipa::path($method, path = concat!("/api/scim/v2/", $plural, "/{id}"), tag = "scim",
            operation_id = concat!("scim_", stringify!($lower), "_", stringify!($name)), security(("scim" = [])),
            summary = concat!("`", $verb, " /api/scim/v2/", $plural, "/{id}`."),
            params(("id" = String, Path, description = concat!("The ", $noun, "'s id."))),
            request_body(content = Object, content_type = "application/scim+json"),
            responses((status = 200, description = concat!("The ", $one, "."), content_type = "application/scim+json", body = Object),
                (status = 400, description = $bad, content_type = "application/scim+json", body = Object),
                (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object),
                (status = 404, description = concat!("No such ", $noun, "."), content_type = "application/scim+json", body = Object),
                (status = 409, description = "`uniqueness`.", content_type = "application/scim+json", body = Object),
                (status = 412, description = "If-Match is not the current version.", content_type = "application/scim+json", body = Object)))]
        pub async fn $name(State(state): State<AppState>, headers: HeaderMap, client: Client, Path(id): Path<String>, body: Result<AppBytes, AppError>) -> Scim {
            changed(&state, &headers, client, &id, body, $change).await
        }
    };
}

/// The seven endpoints of one SCIM resource type (list, search, create, get, replace, patch,
/// delete), written once: each handler reads the request and calls the one use case of its
/// operation with the resource type. The resource's names make the paths, ids and words; what
/// else differs is given.
macro_rules! scim_resource {
    (
        mod $lower:ident = $resource:expr; $plural:literal, $one:literal, $noun:literal;
        filter: $filter:literal; excluded: $excluded:literal; taken: $taken:literal;
        delete: $delete_doc:literal, $deleted:literal, $undeletable:literal;
    ) => {
        pub mod $lower {
            use super::*;

            #[doc = concat!("`GET /api/scim/v2/", $plural, "`.")]
            #[utoipa::path(get, path = concat!("/api/scim/v2/", $plural), tag = "scim",
                operation_id = concat!("scim_", stringify!($lower), "_list"), security(("scim" = [])),
                summary = concat!("`GET /api/scim/v2/", $plural, "`."),
                params(
                    ("filter" = Option<String>, Query, description = $filter),
                    ("startIndex" = Option<String>, Query, description = "1-based index of the first result."),
                    ("count" = Option<String>, Query, description = "Page size, at most 200."),
                    ("attributes" = Option<String>, Query, description = "Attributes to return."),
                    ("excludedAttributes" = Option<String>, Query, description = $excluded),
                ),
                responses((status = 200, description = concat!("A ListResponse of ", $plural, "."), content_type = "application/scim+json", body = Object),
                    (status = 400, description = "`invalidFilter` or `invalidValue`.", content_type = "application/scim+json", body = Object),
                    (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object)))]
            pub async fn list(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Scim {
                listed(&state, &headers, list_params(query.as_deref()), $resource).await
            }

            #[doc = concat!("`POST /api/scim/v2/", $plural, "/.search`: `GET /", $plural, "` with its parameters in the body.")]
            #[utoipa::path(post, path = concat!("/api/scim/v2/", $plural, "/.search"), tag = "scim",
                operation_id = concat!("scim_", stringify!($lower), "_search"), security(("scim" = [])),
                summary = concat!("`POST /api/scim/v2/", $plural, "/.search`: `GET /", $plural, "` with its parameters in the body."),
                request_body(content = Object, content_type = "application/scim+json", description = "A SearchRequest: `filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`."),
                responses((status = 200, description = concat!("A ListResponse of ", $plural, "."), content_type = "application/scim+json", body = Object),
                    (status = 400, description = "`invalidSyntax`, `invalidFilter` or `invalidValue`.", content_type = "application/scim+json", body = Object),
                    (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object)))]
            pub async fn search(State(state): State<AppState>, headers: HeaderMap, body: Result<AppBytes, AppError>) -> Scim {
                listed(&state, &headers, search_params(body), $resource).await
            }

            #[doc = concat!("`POST /api/scim/v2/", $plural, "`.")]
            #[utoipa::path(post, path = concat!("/api/scim/v2/", $plural), tag = "scim",
                operation_id = concat!("scim_", stringify!($lower), "_create"), security(("scim" = [])),
                summary = concat!("`POST /api/scim/v2/", $plural, "`."),
                request_body(content = Object, content_type = "application/scim+json"),
                responses((status = 201, description = concat!("The ", $one, "."), content_type = "application/scim+json", body = Object),
                    (status = 400, description = "`invalidSyntax` or `invalidValue`.", content_type = "application/scim+json", body = Object),
                    (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object),
                    (status = 409, description = $taken, content_type = "application/scim+json", body = Object)))]
            pub async fn create(State(state): State<AppState>, headers: HeaderMap, client: Client, body: Result<AppBytes, AppError>) -> Scim {
                created(&state, &headers, client, body, $resource).await
            }

            #[doc = concat!("`GET /api/scim/v2/", $plural, "/{id}`.")]
            #[utoipa::path(get, path = concat!("/api/scim/v2/", $plural, "/{id}"), tag = "scim",
                operation_id = concat!("scim_", stringify!($lower), "_get"), security(("scim" = [])),
                summary = concat!("`GET /api/scim/v2/", $plural, "/{id}`."),
                params(("id" = String, Path, description = concat!("The ", $noun, "'s id."))),
                responses((status = 200, description = concat!("The ", $one, "."), content_type = "application/scim+json", body = Object),
                    (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object),
                    (status = 404, description = concat!("No such ", $noun, "."), content_type = "application/scim+json", body = Object)))]
            pub async fn get(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>, RawQuery(query): RawQuery) -> Scim {
                fetched(&state, &headers, &id, query.as_deref(), $resource).await
            }

            scim_change_endpoint!(put replace = Change::Replace($resource); "PUT", $plural, $lower, $one, $noun,
                "`invalidSyntax`, `invalidValue` or `mutability`.");
            scim_change_endpoint!(patch patch = Change::Patch($resource); "PATCH", $plural, $lower, $one, $noun,
                "`invalidSyntax`, `invalidValue`, `invalidPath`, `noTarget` or `mutability`.");

            #[doc = concat!("`DELETE /api/scim/v2/", $plural, "/{id}`: ", $delete_doc)]
            #[utoipa::path(delete, path = concat!("/api/scim/v2/", $plural, "/{id}"), tag = "scim",
                operation_id = concat!("scim_", stringify!($lower), "_delete"), security(("scim" = [])),
                summary = concat!("`DELETE /api/scim/v2/", $plural, "/{id}`: ", $delete_doc),
                params(("id" = String, Path, description = concat!("The ", $noun, "'s id."))),
                responses((status = 204, description = $deleted),
                    (status = 400, description = $undeletable, content_type = "application/scim+json", body = Object),
                    (status = 401, description = "No or a wrong SCIM token.", content_type = "application/scim+json", body = Object),
                    (status = 404, description = concat!("No such ", $noun, "."), content_type = "application/scim+json", body = Object)))]
            pub async fn delete(State(state): State<AppState>, headers: HeaderMap, client: Client, Path(id): Path<String>) -> Scim {
                deleted(&state, &headers, client, &id, $resource).await
            }
        }
    };
}

scim_resource! {
    mod users = Resource::User; "Users", "User", "user";
    filter: "An RFC 7644 filter, e.g. `userName eq \"a@example.com\"`."; excluded: "Attributes to leave out."; taken: "`uniqueness`: the userName is taken.";
    delete: "deactivates the user and ends their sessions.", "Deactivated; every session ended.", "`invalidValue`: the last active administrator.";
}

scim_resource! {
    mod groups = Resource::Group; "Groups", "Group", "group";
    filter: "An RFC 7644 filter, e.g. `displayName eq \"Finance\"`."; excluded: "Attributes to leave out (e.g. `members`)."; taken: "`uniqueness`: the name is taken.";
    delete: "not a built-in group.", "Deleted (and removed from every mapping).", "`mutability`: a built-in group.";
}

/// `POST` of a new resource: `201` with it.
async fn created(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    body: Result<AppBytes, AppError>,
    resource: Resource,
) -> Scim {
    Scim(
        async {
            let base = endpoint(state, headers)?;
            let created = state
                .scim_create(resource, &base, &json_body(body)?, &scim_actor(client))
                .await?;
            Ok((StatusCode::CREATED, Some(created)))
        }
        .await,
    )
}

/// `GET` of one resource, projected by `attributes` / `excludedAttributes`.
async fn fetched(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    query: Option<&str>,
    resource: Resource,
) -> Scim {
    ok(async {
        let params = list_params(query)?;
        let base = endpoint(state, headers)?;
        Ok(projected(
            state.scim_get(resource, &base, id).await?,
            &params,
        ))
    }
    .await)
}

/// `PUT` or `PATCH` of one resource, under `If-Match` when sent.
async fn changed(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    id: &str,
    body: Result<AppBytes, AppError>,
    change: Change,
) -> Scim {
    ok(async {
        let base = endpoint(state, headers)?;
        let body = json_body(body)?;
        let target = Target {
            base: &base,
            id,
            if_match: if_match(headers),
        };
        state
            .scim_change(change, target, &body, &scim_actor(client))
            .await
            .map_err(AppError::from)
    }
    .await)
}

/// `DELETE` of one resource: `204`.
async fn deleted(
    state: &AppState,
    headers: &HeaderMap,
    client: Client,
    id: &str,
    resource: Resource,
) -> Scim {
    Scim(
        async {
            let base = endpoint(state, headers)?;
            let target = Target {
                base: &base,
                id,
                if_match: if_match(headers),
            };
            state
                .scim_delete(resource, target, &scim_actor(client))
                .await?;
            Ok((StatusCode::NO_CONTENT, None))
        }
        .await,
    )
}
