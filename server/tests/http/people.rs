//! SPEC §4: people, groups, the last admin, deactivation, and the audit log.

use serde_json::{Value, json};

use crate::support::*;

fn code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

async fn people_are_created_listed_and_searched(server: Server) {
    let admin = server.setup_admin().await;
    let (_, group) = server
        .post_json(&admin, "/api/permissions/group", &json!({"name": "Sales"}))
        .await;
    let (status, ada) = server
        .post_json(&admin, "/api/user", &json!({"email": "Ada@Example.com", "first_name": "Ada", "password": "long enough", "group_ids": [group["id"]]}))
        .await;
    assert_eq!(status, 201, "{ada}");
    assert_eq!(
        (ada["email"].as_str(), &ada["group_ids"]),
        (Some("ada@example.com"), &json!([1, group["id"]]))
    );
    let (status, body) = server
        .post_json(&admin, "/api/user", &json!({"email": "ada@example.com"}))
        .await;
    assert_eq!((status, code(&body)), (409, Some("conflict")));
    let (status, body) = server
        .post_json(&admin, "/api/user", &json!({"email": "not an email"}))
        .await;
    assert_eq!((status, code(&body)), (400, Some("invalid_email")));

    let (_, page) = server.get_json(&admin, "/api/user?query=ADA").await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["data"][0]["first_name"].as_str()
        ),
        (Some(1), Some("Ada"))
    );
    let (_, page) = server.get_json(&admin, "/api/user?limit=1&offset=1").await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["data"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
}

async fn the_last_active_admin_can_be_neither_demoted_nor_deactivated(server: Server) {
    let admin = server.setup_admin().await;
    let (_, me) = server.get_json(&admin, "/api/user/current").await;
    let id = me["id"].as_i64().expect("id");
    let (status, body) = server
        .send(
            reqwest::Method::PUT,
            &admin,
            &format!("/api/user/{id}"),
            Some(&json!({"is_superuser": false})),
        )
        .await;
    assert_eq!((status, code(&body)), (409, Some("last_admin")));
    let (status, body) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/user/{id}"),
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (409, Some("last_admin")));
    let (status, body) = server
        .send(
            reqwest::Method::PUT,
            &admin,
            &format!("/api/user/{id}"),
            Some(&json!({"group_ids": [1]})),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("last_admin")),
        "dropping the group is demotion too"
    );

    // With a second admin, the first may step down.
    let (status, _) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "second@example.com", "is_superuser": true}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = server
        .send(
            reqwest::Method::PUT,
            &admin,
            &format!("/api/user/{id}"),
            Some(&json!({"is_superuser": false, "first_name": "Former"})),
        )
        .await;
    assert_eq!(
        (
            status,
            body["is_superuser"].as_bool(),
            body["first_name"].as_str()
        ),
        (200, Some(false), Some("Former"))
    );
}

async fn a_deactivated_user_cannot_sign_in_and_loses_their_sessions(server: Server) {
    let admin = server.configured(json!({})).await;
    let response = server
        .sso(&token(&claims("kate@example.com", json!({}))), &[])
        .await;
    let kate = session_cookie(response.headers()).expect("kate signs in");
    let (_, me) = server.get_json(&kate, "/api/user/current").await;
    let id = me["id"].as_i64().expect("id");

    let (status, body) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/user/{id}"),
            None,
        )
        .await;
    assert_eq!((status, body["is_active"].as_bool()), (200, Some(false)));
    assert_eq!(
        server.get_json(&kate, "/api/user/current").await.0,
        401,
        "existing sessions stop working"
    );
    let response = server
        .sso(
            &token(&claims("kate@example.com", json!({"iat": now() - 1}))),
            &[("response", "json")],
        )
        .await;
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("json");
    assert_eq!(code(&body), Some("user_deactivated"));

    let (status, _) = server
        .send(
            reqwest::Method::PUT,
            &admin,
            &format!("/api/user/{id}/reactivate"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        server
            .sso(
                &token(&claims("kate@example.com", json!({"iat": now() - 2}))),
                &[]
            )
            .await
            .status(),
        302
    );
}

async fn built_in_groups_are_fixed_and_deleted_groups_leave_the_mappings(server: Server) {
    let admin = server.configured(json!({})).await;
    for id in [1, 2] {
        let (status, body) = server
            .send(
                reqwest::Method::PUT,
                &admin,
                &format!("/api/permissions/group/{id}"),
                Some(&json!({"name": "x"})),
            )
            .await;
        assert_eq!((status, code(&body)), (409, Some("builtin_group")));
        let (status, body) = server
            .send(
                reqwest::Method::DELETE,
                &admin,
                &format!("/api/permissions/group/{id}"),
                None,
            )
            .await;
        assert_eq!((status, code(&body)), (409, Some("builtin_group")));
    }
    let (_, sales) = server
        .post_json(&admin, "/api/permissions/group", &json!({"name": "Sales"}))
        .await;
    let sales = sales["id"].as_i64().expect("id");
    let (status, _) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_group_mappings": {"sales": [sales, 2]}}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, renamed) = server
        .send(
            reqwest::Method::PUT,
            &admin,
            &format!("/api/permissions/group/{sales}"),
            Some(&json!({"name": "Revenue"})),
        )
        .await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("Revenue")));
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/permissions/group/{sales}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(view["jwt_group_mappings"], json!({"sales": [2]}));
}

async fn group_sync_never_removes_the_last_admin_and_says_why(server: Server) {
    let admin = server
        .configured(json!({"jwt_group_sync": true, "jwt_group_mappings": {"admins": [2]}}))
        .await;
    // The only admin signs in through SSO without the admins group: they stay an admin.
    let response = server
        .sso(&token(&claims(ADMIN_EMAIL, json!({"groups": []}))), &[])
        .await;
    assert_eq!(response.status(), 302, "the login still succeeds");
    let (_, me) = server.get_json(&admin, "/api/user/current").await;
    assert_eq!(me["is_superuser"], true);
    let (_, audit) = server.get_json(&admin, "/api/audit").await;
    let login = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["event"] == "sso_login")
        .expect("audited");
    assert!(
        login["details"]["notes"][0]
            .as_str()
            .expect("note")
            .contains("last active administrator")
    );
}

async fn the_audit_log_records_sign_ins_and_changes_without_secrets(server: Server) {
    let admin = server.configured(json!({})).await;
    server
        .sso(&token(&claims("kate@example.com", json!({}))), &[])
        .await;
    server.sso("garbage", &[]).await;
    let (status, audit) = server.get_json(&admin, "/api/audit").await;
    assert_eq!(status, 200);
    let text = audit.to_string();
    assert!(
        !text.contains(KEY),
        "the signing key never reaches the audit log"
    );
    let events: Vec<&str> = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(
        events,
        [
            "sso_login_failed",
            "sso_login",
            "settings_changed",
            "admin_created"
        ],
        "newest first"
    );
    let failed = &audit["data"][0];
    assert_eq!(
        (failed["details"]["code"].as_str(), failed["ip"].as_str()),
        (Some("malformed_token"), Some("127.0.0.1"))
    );
    assert_eq!(
        audit["data"][2]["details"]["changes"]["jwt_shared_secret"],
        "(changed)"
    );
    assert_eq!(audit["data"][2]["actor_email"], ADMIN_EMAIL);
}

/// What a user's next request sees follows every change at once: names, groups, a renamed group,
/// deactivation (sessions are read through an in-memory cache on SQLite; no write may be missed).
async fn a_users_next_request_sees_every_change_at_once(server: Server) {
    let admin = server.configured(json!({})).await;
    let response = server
        .sso(&token(&claims("kate@example.com", json!({}))), &[])
        .await;
    let kate = session_cookie(response.headers()).expect("signed in");
    let (_, me) = server.get_json(&kate, "/api/user/current").await;
    let id = me["id"].as_i64().expect("id");
    let (_, team) = server
        .post_json(&admin, "/api/permissions/group", &json!({"name": "Team"}))
        .await;
    let team = team["id"].as_i64().expect("id");

    let path = format!("/api/user/{id}");
    let (status, _) = server
        .put_json(
            &admin,
            &path,
            &json!({"first_name": "Katherine", "group_ids": [team]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = server.get_json(&kate, "/api/user/current").await;
    assert_eq!(me["first_name"], "Katherine");
    assert_eq!(me["group_names"], json!(["All Users", "Team"]));

    let group = format!("/api/permissions/group/{team}");
    let (status, _) = server
        .put_json(&admin, &group, &json!({"name": "Crew"}))
        .await;
    assert_eq!(status, 200);
    let (_, me) = server.get_json(&kate, "/api/user/current").await;
    assert_eq!(me["group_names"], json!(["All Users", "Crew"]));

    let (status, _) = server
        .send(reqwest::Method::DELETE, &admin, &path, None)
        .await;
    assert_eq!(status, 200);
    let (status, body) = server.get_json(&kate, "/api/user/current").await;
    assert_eq!((status, code(&body)), (401, Some("unauthenticated")));
}

async fn people_are_filtered_by_status(server: Server) {
    let admin = server.configured(json!({})).await;
    let response = server
        .sso(&token(&claims("sso@example.com", json!({}))), &[])
        .await;
    assert!(response.status().is_redirection());
    let (_, pw) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "pw@example.com", "password": "a long password"}),
        )
        .await;
    let (_, gone) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "gone@example.com", "is_superuser": true}),
        )
        .await;
    let id = gone["id"].as_i64().expect("id");
    assert_eq!(
        server
            .send(
                reqwest::Method::DELETE,
                &admin,
                &format!("/api/user/{id}"),
                None
            )
            .await
            .0,
        200
    );
    assert!(pw["id"].is_i64());
    let emails = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    for (status, expected) in [
        (
            "all",
            vec![
                "admin@example.com",
                "sso@example.com",
                "pw@example.com",
                "gone@example.com",
            ],
        ),
        (
            "active",
            vec!["admin@example.com", "sso@example.com", "pw@example.com"],
        ),
        ("deactivated", vec!["gone@example.com"]),
        ("admins", vec!["admin@example.com", "gone@example.com"]),
        ("sso", vec!["sso@example.com"]),
        ("password", vec!["admin@example.com", "pw@example.com"]),
    ] {
        let (code, page) = server
            .get_json(&admin, &format!("/api/user?status={status}"))
            .await;
        assert_eq!(code, 200, "{status}: {page}");
        assert_eq!(emails(&page), expected, "{status}");
        assert_eq!(page["total"], expected.len(), "{status}");
    }
    // With a search, and past the last page (the total comes from the count).
    let (_, page) = server
        .get_json(&admin, "/api/user?status=active&query=example&offset=10")
        .await;
    assert_eq!(page["total"], 3);
    let (code, _) = server.get_json(&admin, "/api/user?status=everyone").await;
    assert_eq!(code, 400);
}

async fn group_members_are_listed_added_and_removed(server: Server) {
    let admin = server.setup_admin().await;
    let (_, group) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let gid = group["id"].as_i64().expect("id");
    let (_, kim) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "kim@example.com", "first_name": "Kim"}),
        )
        .await;
    let kid = kim["id"].as_i64().expect("id");
    let (status, _) = server
        .post_json(
            &admin,
            &format!("/api/permissions/group/{gid}/members"),
            &json!({"user_id": kid}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, detail) = server
        .get_json(&admin, &format!("/api/permissions/group/{gid}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["group"]["name"], "Finance");
    assert_eq!(detail["group"]["member_count"], 1);
    assert_eq!(detail["members"][0]["email"], "kim@example.com");
    assert_eq!(detail["members"][0]["name"], "Kim");
    let (_, user) = server.get_json(&admin, "/api/user?query=kim").await;
    assert!(
        user["data"][0]["group_ids"]
            .as_array()
            .expect("ids")
            .contains(&json!(gid))
    );
    let path = format!("/api/permissions/group/{gid}/members/{kid}");
    assert_eq!(
        server
            .send(reqwest::Method::DELETE, &admin, &path, None)
            .await
            .0,
        204
    );
    let (_, detail) = server
        .get_json(&admin, &format!("/api/permissions/group/{gid}"))
        .await;
    assert_eq!(detail["members"], json!([]));
    // Refusals: All Users holds everyone; the last admin stays; unknown group or user.
    let (status, body) = server
        .post_json(
            &admin,
            "/api/permissions/group/1/members",
            &json!({"user_id": kid}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("builtin_group"))
    );
    let (_, me) = server.get_json(&admin, "/api/user/current").await;
    let me = me["id"].as_i64().expect("id");
    let (status, body) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/permissions/group/2/members/{me}"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("last_admin"))
    );
    assert_eq!(
        server.get_json(&admin, "/api/user/current").await.1["is_superuser"],
        true,
        "nothing changed"
    );
    assert_eq!(
        server
            .post_json(
                &admin,
                "/api/permissions/group/999/members",
                &json!({"user_id": kid})
            )
            .await
            .0,
        404
    );
    assert_eq!(
        server
            .post_json(
                &admin,
                &format!("/api/permissions/group/{gid}/members"),
                &json!({"user_id": 999})
            )
            .await
            .0,
        404
    );
    assert_eq!(
        server
            .get_json(&admin, "/api/permissions/group/999")
            .await
            .0,
        404
    );
    // Audited.
    let (_, audit) = server
        .get_json(&admin, "/api/audit?event=group_members_changed")
        .await;
    assert_eq!(audit["total"], 2, "{audit}");
}

async fn a_persons_page_has_them_and_their_sessions(server: Server) {
    let admin = server.configured(json!({})).await;
    let response = server
        .sso(
            &token(&claims("kate@example.com", json!({"department": "R&D"}))),
            &[],
        )
        .await;
    assert!(response.status().is_redirection());
    let (_, page) = server.get_json(&admin, "/api/user?query=kate").await;
    let id = page["data"][0]["id"].as_i64().expect("id");
    let (status, kate) = server.get_json(&admin, &format!("/api/user/{id}")).await;
    assert_eq!(status, 200, "{kate}");
    assert_eq!(kate["email"], "kate@example.com");
    assert_eq!(kate["sso_source"], "jwt");
    let (status, sessions) = server
        .get_json(&admin, &format!("/api/user/{id}/sessions"))
        .await;
    assert_eq!(status, 200, "{sessions}");
    assert_eq!(sessions.as_array().map(Vec::len), Some(1));
    assert_eq!(sessions[0]["current"], false);
    assert_eq!(server.get_json(&admin, "/api/user/999").await.0, 404);
    assert_eq!(
        server.get_json(&admin, "/api/user/999/sessions").await.0,
        404
    );
}

/// "Group mappings changed" says what the save did: mappings added, changed and removed (by the
/// groups' names then), members removed, groups deleted (issue 23 item 6).
async fn a_mappings_change_is_audited_with_what_it_did(server: Server) {
    let admin = server.configured(json!({})).await;
    let mut ids = std::collections::BTreeMap::new();
    for name in ["Finance", "Sales", "Legacy", "Temp"] {
        let (status, group) = server
            .post_json(&admin, "/api/permissions/group", &json!({"name": name}))
            .await;
        assert_eq!(status, 201, "{group}");
        ids.insert(name, group["id"].as_i64().expect("id"));
    }
    let (_, kim) = server
        .post_json(&admin, "/api/user", &json!({"email": "kim@example.com"}))
        .await;
    for group in ["Legacy", "Temp"] {
        let (status, _) = server
            .post_json(
                &admin,
                &format!("/api/permissions/group/{}/members", ids[group]),
                &json!({"user_id": kim["id"]}),
            )
            .await;
        assert_eq!(status, 204);
    }
    let save = |body: serde_json::Value| {
        let server = &server;
        let admin = &admin;
        async move {
            let (_, view) = server.get_json(admin, "/api/setting/jwt").await;
            let mut body = body;
            body["version"] = view["version"].clone();
            let (status, answer) = server
                .put_json(admin, "/api/setting/jwt/mappings", &body)
                .await;
            assert_eq!(status, 200, "{answer}");
        }
    };
    save(json!({"mappings": {
        "fin": [ids["Finance"]], "old": [ids["Legacy"]], "tmp": [ids["Temp"]],
    }}))
    .await;
    save(json!({
        "mappings": {"fin": [ids["Sales"], ids["Finance"]], "new": [ids["Sales"]], "tmp": [ids["Temp"]]},
        "remove_members_of": [ids["Legacy"]],
        "delete_groups": [ids["Temp"]],
    }))
    .await;

    let (_, audit) = server
        .get_json(&admin, "/api/audit?event=mappings_changed&limit=1")
        .await;
    let details = &audit["data"][0]["details"];
    assert_eq!(
        details["mappings_added"],
        json!([{"idp_group": "new", "groups": ["Sales"]}]),
        "{details}"
    );
    assert_eq!(
        details["mappings_changed"],
        json!([
            {"idp_group": "fin", "before": ["Finance"], "after": ["Finance", "Sales"]},
            // The deleted group leaves its mapping (SPEC §10), and the entry still names it.
            {"idp_group": "tmp", "before": ["Temp"], "after": []},
        ]),
        "{details}"
    );
    assert_eq!(
        details["mappings_removed"],
        json!([{"idp_group": "old", "groups": ["Legacy"]}]),
        "{details}"
    );
    assert_eq!(
        details["members_removed"],
        json!([{"group": "Legacy", "group_id": ids["Legacy"], "members": 1}]),
        "{details}"
    );
    assert_eq!(
        details["groups_deleted"],
        json!([{"group": "Temp", "group_id": ids["Temp"], "members": 1}]),
        "{details}"
    );
}

on_both_backends!(
    a_persons_page_has_them_and_their_sessions,
    a_mappings_change_is_audited_with_what_it_did,
    group_members_are_listed_added_and_removed,
    people_are_filtered_by_status,
    a_users_next_request_sees_every_change_at_once,
    people_are_created_listed_and_searched,
    the_last_active_admin_can_be_neither_demoted_nor_deactivated,
    a_deactivated_user_cannot_sign_in_and_loses_their_sessions,
    built_in_groups_are_fixed_and_deleted_groups_leave_the_mappings,
    group_sync_never_removes_the_last_admin_and_says_why,
    the_audit_log_records_sign_ins_and_changes_without_secrets,
);
