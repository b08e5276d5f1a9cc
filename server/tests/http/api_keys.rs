//! SPEC §12 over HTTP: API keys — made once, stored as a hash, listed without the key; `X-Api-Key`
//! authenticating any admin call without a session or the same-origin rule, also with password
//! login off; never reaching credentials; rotated and deleted keys ending at once; every use audited.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

async fn with_key(
    server: &Server,
    key: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = server
        .http
        .request(method, server.url(path))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn api_keys_act_as_admins_without_a_session(server: Server) {
    let admin = server.configured(json!({})).await;
    let (status, created) = server
        .post_json(
            &admin,
            "/api/api-key",
            &json!({"name": "Deploy bot", "is_admin": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let key = created["key"].as_str().expect("the key, once").to_owned();
    assert!(key.starts_with("lanyard_") && key.len() > 40);
    let (_, listed) = server.get_json(&admin, "/api/api-key").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["name"], "Deploy bot");
    assert!(
        !listed.to_string().contains(&key),
        "the list never shows a key"
    );
    assert!(
        key.starts_with(
            listed[0]["prefix"]
                .as_str()
                .expect("prefix")
                .trim_end_matches('…')
        )
    );

    // Password login off: the key still works, from anywhere, without the same-origin rule.
    let (status, _) = server
        .put_json(
            &admin,
            "/api/setting/enable-password-login",
            &json!({"value": false}),
        )
        .await;
    assert_eq!(status, 200);
    let response = server
        .http
        .post(server.url("/api/session"))
        .json(&json!({"username": "nobody@example.com", "password": "a guess at it"}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 403, "password login is off");
    assert_eq!(
        with_key(&server, &key, Method::GET, "/api/user", None)
            .await
            .0,
        200
    );
    let response = server
        .http
        .post(server.url("/api/permissions/group"))
        .header("x-api-key", &key)
        .header("origin", "https://elsewhere.example")
        .json(&json!({"name": "Automated"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201, "no same-origin rule for a key");
    let (status, settings) = with_key(&server, &key, Method::GET, "/api/setting/jwt", None).await;
    assert_eq!(status, 200);
    assert!(
        settings.get("jwt_shared_secret").is_none(),
        "the signing key is never readable"
    );

    // Credentials and personal calls are out of a key's reach.
    for (method, path, body) in [
        (Method::GET, "/api/api-key", None),
        (
            Method::POST,
            "/api/api-key",
            Some(json!({"name": "Another", "is_admin": true})),
        ),
        (Method::POST, "/api/api-key/1/rotate", None),
        (Method::DELETE, "/api/api-key/1", None),
        (
            Method::PUT,
            "/api/setting/scim",
            Some(json!({"enabled": true})),
        ),
        (Method::POST, "/api/setting/scim/token", None),
        (Method::GET, "/api/user/current", None),
        (Method::GET, "/api/session/list", None),
    ] {
        let (status, body) = with_key(&server, &key, method.clone(), path, body.as_ref()).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("session_required")),
            "{method} {path}"
        );
    }

    // Every use is audited with the key's name; the key itself never is.
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=100").await;
    let entries = audit["data"].as_array().expect("entries");
    assert!(entries.iter().any(|e| e["event"] == "api_key_used"
        && e["source"] == "api_key:Deploy bot"
        && e["details"]["path"] == "/api/user"));
    assert!(
        entries
            .iter()
            .any(|e| e["event"] == "group_created" && e["source"] == "api_key:Deploy bot")
    );
    assert!(!audit.to_string().contains(&key));
    let (_, listed) = server.get_json(&admin, "/api/api-key").await;
    assert!(listed[0]["last_used_at"].is_string());

    // Rotation ends the old key at once; deletion ends the new one.
    let id = created["api_key"]["id"].as_i64().expect("id");
    let (status, rotated) = server
        .post_json(&admin, &format!("/api/api-key/{id}/rotate"), &json!({}))
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new_key = rotated["key"].as_str().expect("new key").to_owned();
    let (status, body) = with_key(&server, &key, Method::GET, "/api/user", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    assert_eq!(
        with_key(&server, &new_key, Method::GET, "/api/user", None)
            .await
            .0,
        200
    );
    let (status, _) = server
        .send(Method::DELETE, &admin, &format!("/api/api-key/{id}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        with_key(&server, &new_key, Method::GET, "/api/user", None)
            .await
            .0,
        401
    );
}

async fn a_group_key_is_no_admin_and_a_deactivated_creator_leaves_keys_working(server: Server) {
    let admin = server.setup_admin().await;
    let (_, group) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Readers"}),
        )
        .await;
    let (status, member_key) = server
        .post_json(
            &admin,
            "/api/api-key",
            &json!({"name": "Reader", "group_ids": [group["id"]]}),
        )
        .await;
    assert_eq!(status, 201, "{member_key}");
    let (status, body) = with_key(
        &server,
        member_key["key"].as_str().expect("key"),
        Method::GET,
        "/api/user",
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // Bad bodies: a taken name, no groups for a non-admin key, an unknown group.
    for (body, status) in [
        (json!({"name": "Reader", "is_admin": true}), 409),
        (json!({"name": "Nobody"}), 400),
        (json!({"name": "Ghost", "group_ids": [999]}), 400),
        (json!({"name": "  ", "is_admin": true}), 400),
    ] {
        assert_eq!(
            server.post_json(&admin, "/api/api-key", &body).await.0,
            status,
            "{body}"
        );
    }
    // A second admin makes a key and is deactivated: the key keeps working.
    let (_, second) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "ops@example.com", "password": "ops password", "is_superuser": true}),
        )
        .await;
    let response = server
        .http
        .post(server.url("/api/session"))
        .json(&json!({"username": "ops@example.com", "password": "ops password"}))
        .send()
        .await
        .expect("login");
    let ops = session_cookie(response.headers()).expect("ops signs in");
    let (_, made) = server
        .post_json(
            &ops,
            "/api/api-key",
            &json!({"name": "Ops bot", "is_admin": true}),
        )
        .await;
    assert_eq!(made["api_key"]["created_by"], "ops@example.com");
    let id = second["id"].as_i64().expect("id");
    assert_eq!(
        server
            .send(Method::DELETE, &admin, &format!("/api/user/{id}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        with_key(
            &server,
            made["key"].as_str().expect("key"),
            Method::GET,
            "/api/user",
            None
        )
        .await
        .0,
        200
    );
    // No key at all, or a made-up one.
    assert_eq!(
        with_key(&server, "lanyard_nope", Method::GET, "/api/user", None)
            .await
            .0,
        401
    );
}

/// README's plain statement (issue 22): an admin key is full admin power and what it does outlives
/// it — an admin it makes keeps working after the key is deleted — and every such act is in the
/// audit log under the key's name, which is how an admin finds it after a leak.
async fn what_an_admin_key_does_outlives_it_and_is_audited_under_its_name(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, created) = server
        .post_json(
            &admin,
            "/api/api-key",
            &json!({"name": "Leaky", "is_admin": true}),
        )
        .await;
    let key = created["key"].as_str().expect("key").to_owned();
    let body = json!({"email": "made-by-key@example.com", "password": "a password from a key",
                      "is_superuser": true, "group_ids": []});
    let (status, made) = with_key(&server, &key, Method::POST, "/api/user", Some(&body)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["is_superuser"], true);
    let (status, _) = server
        .send(
            Method::DELETE,
            &admin,
            &format!("/api/api-key/{}", created["api_key"]["id"]),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let signed_in = server
        .http
        .post(server.url("/api/session"))
        .json(&json!({"username": "made-by-key@example.com", "password": "a password from a key"}))
        .send()
        .await
        .expect("login");
    assert_eq!(
        signed_in.status(),
        200,
        "the admin the key made outlives the key"
    );
    let (_, page) = server
        .get_json(&admin, "/api/audit?event=user_created&person=leaky")
        .await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(page["data"][0]["source"], "api_key:Leaky");
}

on_both_backends!(
    what_an_admin_key_does_outlives_it_and_is_audited_under_its_name,
    api_keys_act_as_admins_without_a_session,
    a_group_key_is_no_admin_and_a_deactivated_creator_leaves_keys_working,
);
