//! Findings of black-box testing (SPEC §3, §4): concurrent guesses, the client address on every
//! audit entry, break-glass admins that cannot be told apart, lost updates, all-or-nothing mappings.

use std::net::{IpAddr, Ipv4Addr};

use serde_json::{Value, json};

use crate::support::*;

fn code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

/// 20 wrong passwords for one account at once, each from its own address: attempts count from the
/// moment they start, so at most 5 reach the password check and the rest get 429.
async fn concurrent_guesses_get_at_most_five_password_checks(server: Server) {
    server.setup_admin().await;
    let statuses = twenty_guesses(0, |_| server.url("/api/session")).await;
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(checked + limited, 20, "{statuses:?}");
    assert!(checked <= 5, "{checked} password checks: {statuses:?}");
    assert!(limited >= 15, "{statuses:?}");
}

/// The same 20 guesses spread over two replicas on one PostgreSQL: the counters live in the
/// database they share, so still at most 5 password checks in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_guesses_over_two_replicas_get_at_most_five_password_checks() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;
    a.setup_admin().await;
    let statuses =
        twenty_guesses(1, |i| if i % 2 == 0 { &a } else { &b }.url("/api/session")).await;
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    let limited = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!(checked + limited, 20, "{statuses:?}");
    assert!(checked <= 5, "{checked} password checks: {statuses:?}");
    // The right password is refused too while the account is blocked, on either replica.
    let response = b
        .http
        .post(b.url("/api/session"))
        .json(&json!({"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    drop((a, b, database));
}

/// 20 wrong passwords for the admin at once, guess `i` from 127.0.`subnet`.(10 + `i`) to `url(i)`;
/// their statuses.
async fn twenty_guesses(subnet: u8, url: impl Fn(u8) -> String) -> Vec<u16> {
    let guesses = (0..20u8).map(|i| {
        let client = reqwest::Client::builder()
            .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, subnet, 10 + i)))
            .build()
            .expect("client");
        let url = url(i);
        async move {
            client
                .post(url)
                .json(&json!({"username": ADMIN_EMAIL, "password": format!("guess {i}")}))
                .send()
                .await
                .expect("login")
                .status()
                .as_u16()
        }
    });
    futures_join_all(guesses).await
}

/// Runs the futures concurrently on this runtime.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

/// Every admin change is audited with who made it and from where.
async fn every_admin_change_records_its_actor_and_address(server: Server) {
    let admin = server.setup_admin().await;
    let (status, view) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_enabled": true, "jwt_identity_provider_uri": "https://idp.example.com", "jwt_shared_secret": KEY}),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    let (_, group) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let id = group["id"].as_i64().expect("group id");
    let path = format!("/api/permissions/group/{id}");
    assert_eq!(
        server
            .put_json(&admin, &path, &json!({"name": "Money"}))
            .await
            .0,
        200
    );
    assert_eq!(
        server
            .put_json(&admin, &format!("{path}/clear"), &json!({}))
            .await
            .0,
        204
    );
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    let (status, _) = server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": {"money": [id]}, "version": view["version"]}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        server
            .put_json(
                &admin,
                "/api/setting/enable-password-login",
                &json!({"value": false})
            )
            .await
            .0,
        200
    );
    let (_, user) = server
        .post_json(&admin, "/api/user", &json!({"email": "sam@example.com"}))
        .await;
    let user_path = format!("/api/user/{}", user["id"]);
    assert_eq!(
        server
            .put_json(&admin, &user_path, &json!({"first_name": "Sam"}))
            .await
            .0,
        200
    );
    assert_eq!(
        server
            .send(reqwest::Method::DELETE, &admin, &user_path, None)
            .await
            .0,
        200
    );
    assert_eq!(
        server
            .put_json(&admin, &format!("{user_path}/reactivate"), &json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        server
            .send(reqwest::Method::DELETE, &admin, &path, None)
            .await
            .0,
        204
    );

    let (_, log) = server.get_json(&admin, "/api/audit?limit=100").await;
    let entries = log["data"].as_array().expect("entries");
    for event in [
        "admin_created",
        "settings_changed",
        "group_created",
        "group_renamed",
        "group_cleared",
        "mappings_changed",
        "user_created",
        "user_updated",
        "group_deleted",
    ] {
        let found: Vec<_> = entries.iter().filter(|e| e["event"] == event).collect();
        assert!(!found.is_empty(), "{event} audited");
        for entry in found {
            assert_eq!(entry["ip"], "127.0.0.1", "{entry}");
            assert_eq!(entry["actor_email"], ADMIN_EMAIL, "{entry}");
        }
    }
    assert!(
        entries.iter().all(|e| e["ip"] == "127.0.0.1"),
        "every entry has the address: {entries:?}"
    );
}

/// With password login off, everything but a break-glass admin's right password gets the very same
/// 403, so the answer never tells who is a break-glass admin.
async fn with_password_login_off_every_refusal_is_the_same_403(server: Server) {
    let admin = server
        .configured(json!({"enable_password_login": false}))
        .await;
    let (status, _) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "member@example.com", "password": "member password"}),
        )
        .await;
    assert_eq!(status, 201);
    let login = |username: &'static str, password: &'static str| {
        let server = &server;
        async move {
            server
                .post_json(
                    "",
                    "/api/session",
                    &json!({"username": username, "password": password}),
                )
                .await
        }
    };
    let (status, body) = login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "break-glass: {body}");
    let refusals = [
        login(ADMIN_EMAIL, "wrong password").await,
        login("nobody@example.com", "wrong password").await,
        login("member@example.com", "member password").await,
        login("member@example.com", "wrong password").await,
    ];
    for refusal in &refusals {
        assert_eq!(refusal, &refusals[0]);
    }
    assert_eq!(refusals[0].0, 403);
    assert_eq!(code(&refusals[0].1), Some("password_login_disabled"));
}

/// A save made against a version that is no longer current is refused and writes nothing.
async fn a_stale_settings_save_is_a_409_and_writes_nothing(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, loaded) = server.get_json(&admin, "/api/setting/jwt").await;
    let version = loaded["version"].as_i64().expect("version");
    let (status, first) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_identity_provider_uri": "https://first.example.com", "version": version}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(first["version"], version + 1);
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_identity_provider_uri": "https://second.example.com", "version": version}),
        )
        .await;
    assert_eq!((status, code(&body)), (409, Some("settings_conflict")));
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/enable-password-login",
            &json!({"value": false, "version": version}),
        )
        .await;
    assert_eq!((status, code(&body)), (409, Some("settings_conflict")));
    let (_, now) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(
        now["jwt_identity_provider_uri"],
        "https://first.example.com"
    );
    assert_eq!(now["enable_password_login"], true);
    assert_eq!(now["version"], version + 1);
}

/// The mappings modal's result is one request: when any part of it is refused, nothing at all
/// changes — no member removed, no group deleted, no mapping saved.
async fn a_mappings_request_whose_last_part_is_invalid_changes_nothing(server: Server) {
    let admin = server.configured(json!({"jwt_group_sync": true})).await;
    let mut ids = Vec::new();
    for name in ["Finance", "Sales"] {
        let (_, group) = server
            .post_json(&admin, "/api/permissions/group", &json!({"name": name}))
            .await;
        ids.push(group["id"].as_i64().expect("id"));
    }
    let (finance, sales) = (ids[0], ids[1]);
    let (status, _) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "sam@example.com", "group_ids": [finance, sales]}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    let version = view["version"].clone();
    let (status, _) = server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": {"finance": [finance], "sales": [sales]}, "version": version}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, before_view) = server.get_json(&admin, "/api/setting/jwt").await;
    let (_, before_groups) = server.get_json(&admin, "/api/permissions/group").await;

    let version = before_view["version"].clone();
    for (body, expected) in [
        // The last part deletes a built-in group.
        (
            json!({"mappings": {"sales": [sales]}, "version": version,
                   "remove_members_of": [finance], "delete_groups": [sales, 1]}),
            (409, "builtin_group"),
        ),
        // The last part names a group that does not exist.
        (
            json!({"mappings": {}, "version": version,
                   "remove_members_of": [finance], "delete_groups": [sales, 99999]}),
            (404, "not_found"),
        ),
        // The mappings themselves point to a group that does not exist.
        (
            json!({"mappings": {"x": [99999]}, "version": version,
                   "remove_members_of": [finance], "delete_groups": [sales]}),
            (400, "invalid_settings"),
        ),
        // Valid, but made against an older version.
        (
            json!({"mappings": {}, "version": 1, "remove_members_of": [finance]}),
            (409, "settings_conflict"),
        ),
    ] {
        let (status, answer) = server
            .put_json(&admin, "/api/setting/jwt/mappings", &body)
            .await;
        assert_eq!(
            (status, code(&answer)),
            (expected.0, Some(expected.1)),
            "{body}"
        );
        assert_eq!(
            server.get_json(&admin, "/api/setting/jwt").await.1,
            before_view
        );
        assert_eq!(
            server.get_json(&admin, "/api/permissions/group").await.1,
            before_groups
        );
    }

    // The same request, valid: every part happens.
    let (status, after) = server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": {"finance": [finance], "sales": [sales]}, "version": version,
                    "remove_members_of": [finance], "delete_groups": [sales]}),
        )
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(
        after["jwt_group_mappings"],
        json!({"finance": [finance], "sales": []})
    );
    let (_, groups) = server.get_json(&admin, "/api/permissions/group").await;
    let groups = groups.as_array().expect("groups");
    assert!(groups.iter().all(|g| g["id"] != sales), "Sales deleted");
    let finance_members = groups
        .iter()
        .find(|g| g["id"] == finance)
        .map(|g| g["member_count"].clone());
    assert_eq!(finance_members, Some(json!(0)));
}

on_both_backends!(
    concurrent_guesses_get_at_most_five_password_checks,
    every_admin_change_records_its_actor_and_address,
    with_password_login_off_every_refusal_is_the_same_403,
    a_stale_settings_save_is_a_409_and_writes_nothing,
    a_mappings_request_whose_last_part_is_invalid_changes_nothing,
);
