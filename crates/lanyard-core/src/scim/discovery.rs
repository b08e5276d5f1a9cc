//! The discovery resources (RFC 7644 §4): what this service provider supports, its resource types
//! and their schemas. `base` is the SCIM endpoint (`https://site/api/scim/v2`).

use serde_json::{Value, json};

use super::{GROUP_SCHEMA, MAX_RESULTS, USER_SCHEMA};

/// `GET /ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://github.com/lanyard/lanyard#provisioning-with-scim",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "The token shown once when SCIM is enabled in lanyard's admin app",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// `GET /ResourceTypes`.
pub fn resource_types(base: &str) -> Vec<Value> {
    [
        ("User", "A person who can sign in", USER_SCHEMA),
        ("Group", "A lanyard group", GROUP_SCHEMA),
    ]
    .into_iter()
    .map(|(name, description, schema)| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": name, "name": name, "endpoint": format!("/{name}s"),
            "description": description,
            "schema": schema,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")},
        })
    })
    .collect()
}

fn attribute(name: &str, kind: &str, mutability: &str, unique: bool, case_exact: bool) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "required": name == "userName" || name == "displayName",
        "caseExact": case_exact, "mutability": mutability, "returned": "default",
        "uniqueness": if unique { "server" } else { "none" },
    })
}

fn multi(name: &str, mutability: &str, subs: &[(&str, &str)]) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": true, "required": false,
        "mutability": mutability, "returned": "default",
        "subAttributes": subs.iter().map(|(sub, kind)| attribute(sub, kind, mutability, false, false)).collect::<Vec<_>>(),
    })
}

/// `attribute` with its `$ref` sub-attribute naming the one resource type it refers to.
fn with_reference_types(mut attribute: Value, resource_type: &str) -> Value {
    if let Some(subs) = attribute["subAttributes"].as_array_mut() {
        for sub in subs.iter_mut().filter(|sub| sub["name"] == "$ref") {
            sub["referenceTypes"] = json!([resource_type]);
        }
    }
    attribute
}

/// `GET /Schemas`: the attributes lanyard reads and returns.
pub fn schemas(base: &str) -> Vec<Value> {
    // Every lanyard user has an email: the userName when it is one, else from `emails` (SPEC §12).
    // Declared required so a client that reads the schema always sends it.
    let mut emails = multi(
        "emails",
        "readWrite",
        &[
            ("value", "string"),
            ("type", "string"),
            ("primary", "boolean"),
        ],
    );
    emails["required"] = json!(true);
    emails["subAttributes"][0]["required"] = json!(true);
    emails["description"] = json!(
        "The user's addresses: when userName is not an email address, the primary one (else the \
         work one, else the first) is the user's email."
    );
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "A person who can sign in",
        "attributes": [
            attribute("userName", "string", "readWrite", true, false),
            json!({
                "name": "name", "type": "complex", "multiValued": false, "required": false,
                "mutability": "readWrite", "returned": "default",
                "subAttributes": [
                    attribute("givenName", "string", "readWrite", false, false),
                    attribute("familyName", "string", "readWrite", false, false),
                    attribute("formatted", "string", "readOnly", false, false),
                ],
            }),
            attribute("displayName", "string", "readOnly", false, false),
            attribute("externalId", "string", "readWrite", false, true),
            attribute("active", "boolean", "readWrite", false, false),
            emails,
            with_reference_types(multi("groups", "readOnly", &[("value", "string"), ("display", "string"), ("$ref", "reference")]), "Group"),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")},
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA, "name": "Group", "description": "A lanyard group",
        "attributes": [
            attribute("displayName", "string", "readWrite", true, false),
            attribute("externalId", "string", "readWrite", false, true),
            // Only users are members: groups in groups are refused.
            with_reference_types(multi("members", "readWrite", &[("value", "string"), ("display", "string"), ("$ref", "reference"), ("type", "string")]), "User"),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}")},
    });
    vec![user, group]
}

/// `GET /ResourceTypes/{name}`: one of [`resource_types`] by its `id` (`User`, `Group`), as its
/// `meta.location` names it.
pub fn resource_type(base: &str, name: &str) -> Option<Value> {
    resource_types(base)
        .into_iter()
        .find(|kind| kind["id"] == name)
}

/// `GET /Schemas/{uri}`: one of [`schemas`] by its URI `id`.
pub fn schema(base: &str, uri: &str) -> Option<Value> {
    schemas(base).into_iter().find(|schema| schema["id"] == uri)
}
