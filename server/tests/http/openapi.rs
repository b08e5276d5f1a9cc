//! The OpenAPI document: served, complete, and pinned by a snapshot so API drift shows in review
//! (`INSTA_UPDATE=always cargo test -p lanyard-server --test http openapi` accepts a deliberate change).

use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn the_openapi_document_is_served_and_pinned() {
    let server = Server::sqlite().await;
    let response = server
        .http
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .expect("openapi");
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.expect("json");
    // Operation ids are what generated clients name their calls: each must be unique.
    let mut ids: Vec<&str> = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().into_iter().flat_map(|ops| ops.values()))
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationId");
    // Every schema a path refers to exists.
    let text = document.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(
            document["components"]["schemas"].get(name).is_some(),
            "missing schema {name}"
        );
    }
    insta::assert_json_snapshot!("openapi", sorted(document));
}

/// The endpoints lanyard-api declares (what the SPA calls, with their types) are the ones the
/// server serves: each at its method and path in the document the router is built from.
#[tokio::test]
async fn every_declared_endpoint_is_served_at_its_method_and_path() {
    let server = Server::sqlite().await;
    let document: Value = server
        .http
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    for (method, path) in lanyard_api::endpoint::ENDPOINTS {
        let operation = &document["paths"][*path][method.as_str().to_lowercase()];
        assert!(
            operation.is_object(),
            "{} {path} is declared in lanyard-api but not served",
            method.as_str()
        );
    }
}

/// The same document with every object's keys in order: serde_json keeps insertion order when any
/// crate in the build enables its `preserve_order` feature (the workspace build does, a lone
/// `-p lanyard-server` build does not), and the snapshot must not depend on which build ran it.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(fields) => {
            let mut fields: Vec<_> = fields.into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(fields.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
