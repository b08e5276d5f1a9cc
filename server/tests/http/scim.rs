//! SPEC §12 over HTTP: SCIM 2.0 in the exact shapes Okta and Entra ID send (from their public
//! provisioning guides), refusals in SCIM's shape that change nothing, the token's life, and a
//! deactivation ending sessions — on both backends, and across two replicas.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Turns SCIM on as `admin`; the token.
pub async fn enable_scim(server: &Server, admin: &str) -> String {
    let (status, body) = server
        .put_json(admin, "/api/setting/scim", &json!({"enabled": true}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["endpoint"]
            .as_str()
            .expect("endpoint")
            .ends_with("/api/scim/v2")
    );
    body["token"].as_str().expect("token once").to_owned()
}

/// A SCIM request with `token`: status, `Content-Type`, `ETag`, body.
pub async fn scim(
    server: &Server,
    token: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, String, Option<String>, Value) {
    let mut request = server
        .http
        .request(method, server.url(&format!("/api/scim/v2{path}")))
        .header("authorization", format!("Bearer {token}"));
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.expect("scim request");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type").unwrap_or_default();
    let etag = header("etag");
    let text = response.text().await.expect("body");
    (
        status,
        content_type,
        etag,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn okta_user(email: &str) -> Value {
    // Okta's "Create User" request (developer.okta.com, SCIM 2.0 provisioning guide).
    json!({
        "schemas": [USER],
        "userName": email,
        "name": {"givenName": "Jane", "familyName": "Doe"},
        "emails": [{"primary": true, "value": email, "type": "work"}],
        "displayName": "Jane Doe",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

fn entra_user(email: &str) -> Value {
    // Entra ID's "Create User" request (learn.microsoft.com, "Tutorial: Develop a sample SCIM endpoint").
    json!({
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": email,
        "active": true,
        "displayName": "Test User",
        "emails": [{"primary": true, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}
    })
}

fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH], "Operations": operations})
}

async fn okta_and_entra_requests_get_the_answers_they_expect(server: Server) {
    let admin = server.configured(json!({})).await;
    let token = enable_scim(&server, &admin).await;
    let get = |path: &str| {
        let path = path.to_owned();
        let token = token.clone();
        let server = &server;
        async move { scim(server, &token, Method::GET, &path, None).await }
    };

    // Discovery.
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        let (status, content_type, _, body) = get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(content_type, "application/scim+json", "{path}");
    }
    let (_, _, _, config) = get("/ServiceProviderConfig").await;
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["filter"]["supported"], true);

    // Okta: look the user up, create them, look again.
    let filter =
        "/Users?filter=userName%20eq%20%22jane.doe%40example.com%22&startIndex=1&count=100";
    let (status, _, _, list) = get(filter).await;
    assert_eq!(
        (status, list["totalResults"].as_i64()),
        (200, Some(0)),
        "{list}"
    );
    let (status, content_type, etag, jane) = scim(
        &server,
        &token,
        Method::POST,
        "/Users",
        Some(&okta_user("Jane.Doe@Example.com")),
    )
    .await;
    assert_eq!(status, 201, "{jane}");
    assert_eq!(content_type, "application/scim+json");
    assert_eq!(
        jane["userName"], "jane.doe@example.com",
        "ASCII folded as SSO folds it"
    );
    assert_eq!(jane["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(jane["active"], true);
    assert!(jane.get("password").is_none(), "a password is never echoed");
    let jane_id = jane["id"].as_str().expect("id").to_owned();
    assert!(
        jane["meta"]["location"]
            .as_str()
            .expect("location")
            .ends_with(&format!("/api/scim/v2/Users/{jane_id}"))
    );
    assert_eq!(etag.as_deref(), jane["meta"]["version"].as_str());
    let (status, _, _, list) = get(filter).await;
    assert_eq!(
        (status, list["totalResults"].as_i64()),
        (200, Some(1)),
        "{list}"
    );
    assert_eq!(list["Resources"][0]["id"], jane_id.as_str());
    let (status, _, _, got) = get(&format!("/Users/{jane_id}")).await;
    assert_eq!((status, &got), (200, &jane));

    // Okta: PUT the whole user with a new last name.
    let mut replaced = okta_user("jane.doe@example.com");
    replaced["id"] = json!(jane_id);
    replaced["name"]["familyName"] = json!("Smith");
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PUT,
        &format!("/Users/{jane_id}"),
        Some(&replaced),
    )
    .await;
    assert_eq!(
        (status, &body["name"]["familyName"]),
        (200, &json!("Smith")),
        "{body}"
    );

    // Entra ID: create with the enterprise extension; a PATCH in Entra's shapes.
    let (status, _, _, test_user) = scim(
        &server,
        &token,
        Method::POST,
        "/Users",
        Some(&entra_user("Test_User_00aa00aa@contoso.com")),
    )
    .await;
    assert_eq!(status, 201, "{test_user}");
    let test_id = test_user["id"].as_str().expect("id").to_owned();
    let entra_patch = patch(json!([
        {"op": "Replace", "path": "name.givenName", "value": "Ryan"},
        {"op": "Add", "value": {"name.familyName": "Leenay", "externalId": "e-2"}},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
    ]));
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PATCH,
        &format!("/Users/{test_id}"),
        Some(&entra_patch),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["name"]["givenName"], "Ryan");
    assert_eq!(body["name"]["familyName"], "Leenay");
    assert_eq!(body["externalId"], "e-2");

    // Groups: Okta's group push with a member, then member changes in both IdPs' shapes.
    let (status, _, _, finance) = scim(
        &server,
        &token,
        Method::POST,
        "/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Finance", "members": [{"value": jane_id, "display": "jane.doe@example.com"}]})),
    )
    .await;
    assert_eq!(status, 201, "{finance}");
    let finance_id = finance["id"].as_str().expect("id").to_owned();
    assert_eq!(finance["members"].as_array().map(Vec::len), Some(1));
    let members = |body: &Value| -> Vec<String> {
        body["members"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|m| m["value"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let group_path = format!("/Groups/{finance_id}");
    // Okta: add, then remove by value filter.
    let (status, _, _, body) = scim(&server, &token, Method::PATCH, &group_path,
        Some(&patch(json!([{"op": "add", "path": "members", "value": [{"value": test_id, "display": "test"}]}])))).await;
    assert_eq!(
        (status, members(&body)),
        (200, vec![jane_id.clone(), test_id.clone()]),
        "{body}"
    );
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PATCH,
        &group_path,
        Some(&patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{jane_id}\"]")}]),
        )),
    )
    .await;
    assert_eq!(
        (status, members(&body)),
        (200, vec![test_id.clone()]),
        "{body}"
    );
    // Entra ID: Remove with the member in the value; Replace of the name.
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PATCH,
        &group_path,
        Some(&patch(json!([
            {"op": "Remove", "path": "members", "value": [{"value": test_id}]},
            {"op": "Replace", "path": "displayName", "value": "Finance EU"},
        ]))),
    )
    .await;
    assert_eq!(
        (status, members(&body), &body["displayName"]),
        (200, vec![], &json!("Finance EU")),
        "{body}"
    );
    // The users show their groups.
    let (_, _, _, jane_now) = get(&format!("/Users/{jane_id}")).await;
    assert!(
        jane_now["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .all(|g| g["display"] != "Finance EU")
    );
    // Filter and leave the members out, as Entra ID does.
    let (status, _, _, list) =
        get("/Groups?filter=displayName%20eq%20%22finance%20eu%22&excludedAttributes=members")
            .await;
    assert_eq!(
        (status, list["totalResults"].as_i64()),
        (200, Some(1)),
        "{list}"
    );
    assert!(list["Resources"][0].get("members").is_none(), "{list}");
    // Okta: PUT the group with both members.
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PUT,
        &group_path,
        Some(&json!({
            "schemas": [GROUP], "id": finance_id, "displayName": "Finance EU",
            "members": [{"value": jane_id}, {"value": test_id}]
        })),
    )
    .await;
    assert_eq!((status, members(&body).len()), (200, 2), "{body}");

    // Deactivation: Okta's PATCH, then Entra's string "False".
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PATCH,
        &format!("/Users/{jane_id}"),
        Some(&patch(
            json!([{"op": "replace", "value": {"active": false}}]),
        )),
    )
    .await;
    assert_eq!((status, &body["active"]), (200, &json!(false)), "{body}");
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::PATCH,
        &format!("/Users/{test_id}"),
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )),
    )
    .await;
    assert_eq!((status, &body["active"]), (200, &json!(false)), "{body}");
    let (status, _, _, list) = get("/Users?filter=active%20eq%20false").await;
    assert_eq!(
        (status, list["totalResults"].as_i64()),
        (200, Some(2)),
        "{list}"
    );

    // Deleting: a group goes; a built-in group stays; a user is deactivated.
    let (status, _, _, _) = scim(&server, &token, Method::DELETE, &group_path, None).await;
    assert_eq!(status, 204);
    let (status, _, _, _) = get(&group_path).await;
    assert_eq!(status, 404);
    let (status, _, _, body) = scim(&server, &token, Method::DELETE, "/Groups/1", None).await;
    assert_eq!(
        (status, &body["scimType"]),
        (400, &json!("mutability")),
        "{body}"
    );

    // Paging.
    let (_, _, _, page) = get("/Users?startIndex=2&count=1").await;
    assert_eq!(page["totalResults"], 3, "admin, Jane, Test User");
    assert_eq!(
        (page["startIndex"].as_i64(), page["itemsPerPage"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(page["Resources"][0]["id"], jane_id.as_str());

    // Every request is in the audit log with source "scim".
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=200").await;
    let scim_entries = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["source"] == "scim")
        .count();
    assert!(scim_entries >= 20, "{scim_entries} entries");
}

/// A SCIM answer: status, `Content-Type`, body.
type Answer = (u16, String, Value);

/// Snapshot of everything SCIM shows, to prove a refusal changed nothing.
async fn everything(server: &Server, token: &str) -> (Value, Value) {
    let (_, _, _, users) = scim(server, token, Method::GET, "/Users", None).await;
    let (_, _, _, groups) = scim(server, token, Method::GET, "/Groups", None).await;
    (users, groups)
}

async fn bad_requests_get_scim_errors_and_change_nothing(server: Server) {
    let admin = server.setup_admin().await;
    let token = enable_scim(&server, &admin).await;
    let (_, _, _, jane) = scim(
        &server,
        &token,
        Method::POST,
        "/Users",
        Some(&okta_user("jane@example.com")),
    )
    .await;
    let jane = jane["id"].as_str().expect("id").to_owned();
    let before = everything(&server, &token).await;
    let raw = |method: Method, path: &'static str, body: &'static str| {
        let server = &server;
        let token = token.clone();
        async move {
            let response = server
                .http
                .request(method, server.url(&format!("/api/scim/v2{path}")))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/scim+json")
                .body(body)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, content_type, body)
        }
    };
    let user_path = format!("/Users/{jane}");
    let cases: Vec<(&str, u16, &str, Answer)> = vec![
        (
            "malformed JSON",
            400,
            "invalidSyntax",
            raw(Method::POST, "/Users", "{\"schemas\": [").await,
        ),
        ("unknown schema", 400, "invalidValue", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::POST,
                "/Users",
                Some(&json!({"schemas": ["urn:example:custom:User"], "userName": "x@example.com"})),
            )
            .await;
            (s, c, b)
        }),
        ("userName not an email", 400, "invalidValue", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::POST,
                "/Users",
                Some(&okta_user("not an email")),
            )
            .await;
            (s, c, b)
        }),
        (
            "filter syntax",
            400,
            "invalidFilter",
            raw(Method::GET, "/Users?filter=userName%20eq", "").await,
        ),
        (
            "filter operator",
            400,
            "invalidFilter",
            raw(Method::GET, "/Users?filter=userName%20regex%20%22a%22", "").await,
        ),
        (
            "filter attribute",
            400,
            "invalidFilter",
            raw(Method::GET, "/Users?filter=nickName%20eq%20%22a%22", "").await,
        ),
        ("duplicate userName", 409, "uniqueness", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::POST,
                "/Users",
                Some(&okta_user("JANE@example.com")),
            )
            .await;
            (s, c, b)
        }),
        ("PATCH of id", 400, "mutability", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::PATCH,
                &user_path,
                Some(&patch(
                    json!([{"op": "replace", "path": "id", "value": "999"}]),
                )),
            )
            .await;
            (s, c, b)
        }),
        ("PATCH of groups", 400, "mutability", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::PATCH,
                &user_path,
                Some(&patch(
                    json!([{"op": "add", "path": "groups", "value": [{"value": "2"}]}]),
                )),
            )
            .await;
            (s, c, b)
        }),
        ("PATCH without PatchOp", 400, "invalidValue", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::PATCH,
                &user_path,
                Some(&json!({"Operations": [{"op": "replace", "value": {"active": false}}]})),
            )
            .await;
            (s, c, b)
        }),
        ("PATCH bad path", 400, "invalidPath", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::PATCH,
                &user_path,
                Some(&patch(
                    json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
                )),
            )
            .await;
            (s, c, b)
        }),
        ("the last admin deactivated", 400, "invalidValue", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::PATCH,
                "/Users/1",
                Some(&patch(
                    json!([{"op": "replace", "value": {"active": false}}]),
                )),
            )
            .await;
            (s, c, b)
        }),
        ("a member who is no user", 400, "invalidValue", {
            let (s, c, _, b) = scim(&server, &token, Method::POST, "/Groups",
                Some(&json!({"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "9999"}]}))).await;
            (s, c, b)
        }),
        ("renaming a built-in group", 400, "mutability", {
            let (s, c, _, b) = scim(
                &server,
                &token,
                Method::PATCH,
                "/Groups/2",
                Some(&patch(
                    json!([{"op": "replace", "path": "displayName", "value": "Admins"}]),
                )),
            )
            .await;
            (s, c, b)
        }),
        ("a stale If-Match", 412, "", {
            let response = server
                .http
                .patch(server.url(&format!("/api/scim/v2{user_path}")))
                .header("authorization", format!("Bearer {token}"))
                .header("if-match", "W/\"0000\"")
                .json(&patch(
                    json!([{"op": "replace", "value": {"active": false}}]),
                ))
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (
                status,
                content_type,
                response.json().await.unwrap_or(Value::Null),
            )
        }),
        ("an unknown user", 404, "", {
            let (s, c, _, b) = scim(&server, &token, Method::GET, "/Users/abc", None).await;
            (s, c, b)
        }),
    ];
    for (what, status, scim_type, (got_status, content_type, body)) in cases {
        assert_eq!(got_status, status, "{what}: {body}");
        assert_eq!(content_type, "application/scim+json", "{what}");
        assert_eq!(
            body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{what}: {body}"
        );
        assert_eq!(body["status"], status.to_string(), "{what}");
        if !scim_type.is_empty() {
            assert_eq!(body["scimType"], scim_type, "{what}: {body}");
        }
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{what}: a reason"
        );
    }
    assert_eq!(everything(&server, &token).await, before, "nothing changed");
    // Refusals are audited with their scimType.
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=100").await;
    assert!(
        audit["data"].as_array().expect("entries").iter().any(|e| {
            e["event"] == "scim_request"
                && e["details"]["scim_type"] == "uniqueness"
                && e["details"]["status"] == 409
        }),
        "{audit}"
    );
}

async fn the_token_is_shown_once_rotated_and_ended(server: Server) {
    let admin = server.setup_admin().await;
    let token = enable_scim(&server, &admin).await;
    assert!(token.starts_with("scim_") && token.len() > 40);
    // Turning it on again makes no new token.
    let (_, again) = server
        .put_json(&admin, "/api/setting/scim", &json!({"enabled": true}))
        .await;
    assert_eq!(again["token"], Value::Null);
    let (status, state) = server.get_json(&admin, "/api/setting/scim").await;
    assert_eq!(status, 200);
    assert_eq!(state["enabled"], true);
    assert!(
        !state.to_string().contains(&token),
        "the status never shows the token"
    );
    assert!(state["last_request"].is_null());
    assert_eq!(
        scim(&server, &token, Method::GET, "/Users", None).await.0,
        200
    );
    let (_, state) = server.get_json(&admin, "/api/setting/scim").await;
    assert!(state["last_request"].is_string(), "{state}");
    // No token, a wrong one: 401 with a reason and WWW-Authenticate.
    let response = server
        .http
        .get(server.url("/api/scim/v2/Users"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(
        scim(&server, &format!("{token}x"), Method::GET, "/Users", None)
            .await
            .0,
        401
    );
    // A session cookie is not a SCIM token.
    let response = server
        .http
        .get(server.url("/api/scim/v2/Users"))
        .header("cookie", &admin)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    // Rotation: the old token ends, the new one works.
    let (status, rotated) = server
        .post_json(&admin, "/api/setting/scim/token", &json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_token = rotated["token"].as_str().expect("token").to_owned();
    assert_eq!(
        scim(&server, &token, Method::GET, "/Users", None).await.0,
        401
    );
    assert_eq!(
        scim(&server, &new_token, Method::GET, "/Users", None)
            .await
            .0,
        200
    );
    // Off: the token ends.
    let (_, off) = server
        .put_json(&admin, "/api/setting/scim", &json!({"enabled": false}))
        .await;
    assert_eq!(off["enabled"], false);
    let (status, content_type, _, body) =
        scim(&server, &new_token, Method::GET, "/Users", None).await;
    assert_eq!(
        (status, content_type.as_str()),
        (401, "application/scim+json"),
        "{body}"
    );
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not enabled")),
        "{body}"
    );
    // Neither token appears in the audit log.
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=200").await;
    let audit = audit.to_string();
    assert!(!audit.contains(&token) && !audit.contains(&new_token));
}

async fn a_scim_user_signs_in_through_sso_and_a_deactivation_ends_their_sessions(server: Server) {
    let admin = server
        .configured(json!({"jwt_user_provisioning": false}))
        .await;
    let token = enable_scim(&server, &admin).await;
    // With provisioning off, only provisioned people sign in.
    assert_eq!(
        sso_outcome(
            &server,
            &super::support::token(&claims("stranger@example.com", json!({})))
        )
        .await,
        (403, "user_not_provisioned".to_owned())
    );
    let (_, _, _, kate) = scim(
        &server,
        &token,
        Method::POST,
        "/Users",
        Some(&okta_user("kate@example.com")),
    )
    .await;
    let kate_id = kate["id"].as_str().expect("id").to_owned();
    let response = server
        .sso(
            &super::support::token(&claims("Kate@example.com", json!({}))),
            &[],
        )
        .await;
    let cookie = session_cookie(response.headers()).expect("signed in");
    let (status, me) = server.get_json(&cookie, "/api/user/current").await;
    assert_eq!(status, 200);
    assert_eq!(me["id"].to_string(), kate_id, "the same account");
    // Deactivated through SCIM: the very next request is refused, and so is the next sign-in.
    let (status, _, _, _) = scim(
        &server,
        &token,
        Method::DELETE,
        &format!("/Users/{kate_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(server.get_json(&cookie, "/api/user/current").await.0, 401);
    assert_eq!(
        sso_outcome(
            &server,
            &super::support::token(&claims("kate@example.com", json!({})))
        )
        .await,
        (403, "user_deactivated".to_owned())
    );
    // The audit entry says SCIM did it.
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=50").await;
    let entry = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["event"] == "user_updated")
        .cloned()
        .expect("the deactivation");
    assert_eq!(entry["source"], "scim");
    assert_eq!(entry["details"]["sessions_ended"], 1);
}

/// RFC 7644 §4 in full (SPEC §12, wave 3): every list entry's `meta.location` answers its single
/// resource, and a search may be POSTed.
async fn discovery_resources_are_found_at_their_locations(server: Server) {
    let admin = server.configured(json!({})).await;
    let token = enable_scim(&server, &admin).await;
    for list in ["/ResourceTypes", "/Schemas"] {
        let (_, _, _, body) = scim(&server, &token, Method::GET, list, None).await;
        let entries = body["Resources"].as_array().expect("entries");
        assert_eq!(entries.len(), 2, "{body}");
        for entry in entries {
            let location = entry["meta"]["location"].as_str().expect("location");
            let path = location
                .split("/api/scim/v2")
                .nth(1)
                .expect("under the endpoint");
            let (status, content_type, _, single) =
                scim(&server, &token, Method::GET, path, None).await;
            assert_eq!(
                (status, content_type.as_str()),
                (200, "application/scim+json"),
                "{path}"
            );
            assert_eq!(&single, entry, "{path}");
        }
    }
    for path in [
        "/ResourceTypes/Nope",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Nope",
    ] {
        let (status, _, _, body) = scim(&server, &token, Method::GET, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["status"], "404", "{body}");
    }

    // POST /.search is the list with its parameters in the body.
    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"admin@example.com\"",
        "attributes": ["userName"],
        "startIndex": 1, "count": 10,
    });
    let (status, _, _, found) = scim(
        &server,
        &token,
        Method::POST,
        "/Users/.search",
        Some(&search),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["userName"], "admin@example.com");
    assert!(
        found["Resources"][0].get("name").is_none(),
        "only what was asked: {found}"
    );
    let groups = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "displayName eq \"Administrators\"",
    });
    let (status, _, _, found) = scim(
        &server,
        &token,
        Method::POST,
        "/Groups/.search",
        Some(&groups),
    )
    .await;
    assert_eq!(
        (status, found["totalResults"].as_i64()),
        (200, Some(1)),
        "{found}"
    );
    let (status, _, _, body) = scim(
        &server,
        &token,
        Method::POST,
        "/Users/.search",
        Some(&json!({"filter": "x"})),
    )
    .await;
    assert_eq!(
        (status, body["scimType"].as_str()),
        (400, Some("invalidSyntax")),
        "{body}"
    );
    // Several resource types at once is optional: 501, as RFC 7644 §3.12 says.
    let (status, _, _, _) = scim(&server, &token, Method::POST, "/.search", Some(&search)).await;
    assert_eq!(status, 501);
}

/// A `userName` that is not an email takes the email from `emails`, is returned as given, is
/// found by a filter and is unique in any letter case (SPEC §12, wave 3).
async fn a_user_name_that_is_not_an_email_is_kept_and_the_email_comes_from_emails(server: Server) {
    let admin = server.configured(json!({})).await;
    let token = enable_scim(&server, &admin).await;
    let body = |user_name: &str, emails: Value| {
        json!({
            "schemas": [USER],
            "userName": user_name,
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": emails,
        })
    };
    let (status, _, _, bjensen) = scim(
        &server,
        &token,
        Method::POST,
        "/Users",
        Some(&body(
            "bjensen",
            json!([
                {"value": "babs@home.example", "type": "home"},
                {"value": "Barbara.Jensen@Example.com", "type": "work", "primary": true},
            ]),
        )),
    )
    .await;
    assert_eq!(status, 201, "{bjensen}");
    assert_eq!(bjensen["userName"], "bjensen");
    assert_eq!(bjensen["emails"][0]["value"], "barbara.jensen@example.com");
    let id = bjensen["id"].as_str().expect("id").to_owned();
    // In lanyard, the person is their email: SSO signs them in by it.
    let (_, people) = server.get_json(&admin, "/api/user").await;
    assert!(
        people.to_string().contains("barbara.jensen@example.com"),
        "{people}"
    );

    let (status, _, _, found) = scim(
        &server,
        &token,
        Method::GET,
        "/Users?filter=userName%20eq%20%22BJensen%22",
        None,
    )
    .await;
    assert_eq!(
        (status, found["totalResults"].as_i64()),
        (200, Some(1)),
        "{found}"
    );
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    // Unique regardless of case; an email some user has is taken too.
    for (user_name, emails) in [
        ("BJENSEN", json!([{"value": "other@example.com"}])),
        ("someone", json!([{"value": "barbara.jensen@example.com"}])),
    ] {
        let (status, _, _, error) = scim(
            &server,
            &token,
            Method::POST,
            "/Users",
            Some(&body(user_name, emails)),
        )
        .await;
        assert_eq!(
            (status, error["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{user_name}: {error}"
        );
    }
    // Neither an email userName nor an email in emails: invalidValue naming userName.
    let (status, _, _, error) = scim(
        &server,
        &token,
        Method::POST,
        "/Users",
        Some(&body("nobody", json!([]))),
    )
    .await;
    assert_eq!(
        (status, error["scimType"].as_str()),
        (400, Some("invalidValue"))
    );
    assert!(
        error["detail"]
            .as_str()
            .expect("detail")
            .contains("userName")
    );

    // A PATCH of the primary address changes the email and keeps the userName.
    let (status, _, _, patched) = scim(
        &server,
        &token,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(&patch(json!([{
            "op": "replace", "path": "emails",
            "value": [{"value": "barbara@new.example", "type": "work", "primary": true}],
        }]))),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["userName"], "bjensen");
    assert_eq!(patched["emails"][0]["value"], "barbara@new.example");
    // And a userName that is an email makes it the email again.
    let (status, _, _, replaced) = scim(
        &server,
        &token,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(&body(
            "babs@example.com",
            json!([{"value": "ignored@example.com"}]),
        )),
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["userName"], "babs@example.com");
    assert_eq!(replaced["emails"][0]["value"], "babs@example.com");
    let (_, _, _, found) = scim(
        &server,
        &token,
        Method::GET,
        "/Users?filter=userName%20eq%20%22bjensen%22",
        None,
    )
    .await;
    assert_eq!(
        found["totalResults"], 0,
        "the old userName is free: {found}"
    );
}

/// Issue 23 item 8: a group of 50,000 members is PATCHed in and out (linear work, set-based SQL,
/// the change worked out before the write lock is taken), sign-ins keep working meanwhile, and a
/// PATCH that must be refused is refused. Run in release with `--nocapture` it prints the times
/// BENCHMARKS.md records; nothing here asserts a duration.
async fn a_group_of_50_000_members_is_patched_in_and_out_while_people_sign_in(server: Server) {
    const MEMBERS: i64 = 50_000;
    let admin = server.configured(json!({})).await;
    let scim_token = enable_scim(&server, &admin).await;
    let (_, group) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Everyone at Acme"}),
        )
        .await;
    let group_id = group["id"].as_i64().expect("id");

    // 50,000 people, as an import would leave them (each in All Users).
    sqlx::any::install_default_drivers();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&server.database_url)
        .await
        .expect("database");
    let numbers = if server.database_url.starts_with("sqlite") {
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) SELECT i FROM n"
    } else {
        "SELECT i FROM generate_series(1, 50000) AS i"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO users (email, created_at) SELECT 'person' || i || '@bulk.example', 0 FROM ({numbers}) AS numbers"
    )))
    .execute(&mut db)
    .await
    .expect("people");
    sqlx::query(
        "INSERT INTO memberships (user_id, group_id) SELECT id, 1 FROM users WHERE email LIKE '%@bulk.example'",
    )
    .execute(&mut db)
    .await
    .expect("all users");
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE email LIKE '%@bulk.example' ORDER BY id")
            .fetch_all(&mut db)
            .await
            .expect("ids");
    assert_eq!(ids.len() as i64, MEMBERS);
    let members: Vec<Value> = ids
        .iter()
        .map(|id| json!({"value": id.to_string()}))
        .collect();

    // Sign-ins go on all the while; each one's wait is kept.
    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let signing_in = {
        let running = std::sync::Arc::clone(&running);
        let http = server.http.clone();
        let url = server.url("/auth/sso");
        tokio::spawn(async move {
            let mut waits = Vec::new();
            let mut n = 0;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let jwt = token(&claims(&format!("signer{n}@example.com"), json!({})));
                let started = std::time::Instant::now();
                let response = http
                    .get(&url)
                    .query(&[("jwt", jwt.as_str()), ("response", "json")])
                    .send()
                    .await
                    .expect("sso");
                assert_eq!(response.status(), 200, "a sign-in during provisioning");
                waits.push(started.elapsed());
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            waits
        })
    };

    let patch_members = |op: &'static str, members: Vec<Value>| {
        let server = &server;
        let token = &scim_token;
        async move {
            let started = std::time::Instant::now();
            let (status, _, _, body) = scim(
                server,
                token,
                Method::PATCH,
                &format!("/Groups/{group_id}?excludedAttributes=members"),
                Some(&patch(
                    json!([{"op": op, "path": "members", "value": members}]),
                )),
            )
            .await;
            (status, body, started.elapsed())
        }
    };
    let member_count = || {
        let server = &server;
        let admin = &admin;
        async move {
            let (_, group) = server
                .get_json(admin, &format!("/api/permissions/group/{group_id}"))
                .await;
            group["members"]
                .as_array()
                .map(Vec::len)
                .unwrap_or(usize::MAX)
        }
    };

    let (status, body, added_in) = patch_members("add", members.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(member_count().await, ids.len());
    // Adding them again changes nothing.
    let (status, body, _) = patch_members("add", members.clone()).await;
    assert_eq!(status, 200, "{body}");
    // Entra ID's removal: the value list.
    let (status, body, removed_in) = patch_members("remove", members.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(member_count().await, 0);

    // All Users' members cannot change: refused, and nothing written.
    let started = std::time::Instant::now();
    let (status, _, _, refusal) = scim(
        &server,
        &scim_token,
        Method::PATCH,
        "/Groups/1",
        Some(&patch(
            json!([{"op": "remove", "path": "members", "value": members}]),
        )),
    )
    .await;
    let refused_in = started.elapsed();
    assert_eq!(
        (status, refusal["scimType"].as_str()),
        (400, Some("mutability"))
    );
    let everyone: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE group_id = 1")
        .fetch_one(&mut db)
        .await
        .expect("count");
    assert!(everyone > MEMBERS, "nobody left All Users");

    running.store(false, std::sync::atomic::Ordering::Relaxed);
    let waits = signing_in.await.expect("sign-ins");
    assert!(!waits.is_empty());
    let longest = waits.iter().max().copied().unwrap_or_default();
    eprintln!(
        "50,000 members: add {added_in:?}, remove {removed_in:?}, refused {refused_in:?}; \
         {} sign-ins meanwhile, the longest took {longest:?}",
        waits.len()
    );
}

on_both_backends!(
    okta_and_entra_requests_get_the_answers_they_expect,
    a_group_of_50_000_members_is_patched_in_and_out_while_people_sign_in,
    discovery_resources_are_found_at_their_locations,
    a_user_name_that_is_not_an_email_is_kept_and_the_email_comes_from_emails,
    bad_requests_get_scim_errors_and_change_nothing,
    the_token_is_shown_once_rotated_and_ended,
    a_scim_user_signs_in_through_sso_and_a_deactivation_ends_their_sessions,
);

/// A deactivation through SCIM on replica A is refused by A at once and by B within one second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scim_deactivation_on_one_replica_ends_sessions_on_the_other() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;
    let admin = a.configured(json!({})).await;
    let token = enable_scim(&a, &admin).await;
    // B sees A's settings within its poll (500 ms).
    let mut ann_on_b = None;
    for _ in 0..100 {
        let response = b
            .sso(
                &super::support::token(&claims("ann@example.com", json!({}))),
                &[],
            )
            .await;
        ann_on_b = session_cookie(response.headers());
        if ann_on_b.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let ann_on_b = ann_on_b.expect("signed in on B");
    let response = a
        .sso(
            &super::support::token(&claims("ann@example.com", json!({"jti": "on-a"}))),
            &[],
        )
        .await;
    let ann_on_a = session_cookie(response.headers()).expect("signed in on A");
    assert_eq!(b.get_json(&ann_on_b, "/api/user/current").await.0, 200);
    let (_, _, _, list) = scim(
        &a,
        &token,
        Method::GET,
        "/Users?filter=userName%20eq%20%22ann%40example.com%22",
        None,
    )
    .await;
    let id = list["Resources"][0]["id"].as_str().expect("Ann").to_owned();
    let (status, _, _, _) = scim(
        &a,
        &token,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": false}]),
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        a.get_json(&ann_on_a, "/api/user/current").await.0,
        401,
        "A, which made the change, refuses at once"
    );
    // SPEC §7: another replica within one second (its NOTIFY may still be on the way).
    let on_b = super::support::within_a_second(
        || async { b.get_json(&ann_on_b, "/api/user/current").await.0 },
        |status| *status == 401,
    )
    .await;
    assert_eq!(on_b, 401, "B refuses within one second");
    let response = a
        .sso(
            &super::support::token(&claims("ann@example.com", json!({"jti": "second"}))),
            &[],
        )
        .await;
    assert_eq!(
        response.status(),
        403,
        "deactivated: no new session on A either"
    );
}
