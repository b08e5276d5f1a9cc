//! SPEC §3: password login, its switch, break-glass admins, rate limiting; SPEC §5: first run.

use serde_json::{Value, json};

use crate::support::*;

async fn login(server: &Server, username: &str, password: &str) -> (u16, Value, Option<String>) {
    let response = server
        .http
        .post(server.url("/api/session"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        retry_after,
    )
}

async fn first_run_creates_one_admin_only(server: Server) {
    let (_, properties) = server.get_json("", "/api/session/properties").await;
    assert_eq!(properties["needs_setup"], true);
    server.setup_admin().await;
    let (_, properties) = server.get_json("", "/api/session/properties").await;
    assert_eq!(
        properties,
        json!({"sso_enabled": false, "password_login_enabled": true, "sso_url": null, "needs_setup": false,
            "oidc_providers": [], "straight_to": null})
    );
    let (status, body) = server
        .post_json(
            "",
            "/api/setup",
            &json!({"email": "second@example.com", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("already_set_up"))
    );
}

async fn wrong_passwords_and_unknown_users_get_the_same_answer(server: Server) {
    server.setup_admin().await;
    let (status, body, _) = login(&server, "ADMIN@example.com", ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "emails are matched case-insensitively: {body}");
    let wrong = login(&server, ADMIN_EMAIL, "wrong password").await;
    let unknown = login(&server, "nobody@example.com", "wrong password").await;
    assert_eq!(
        (wrong.0, &wrong.1),
        (
            401,
            &json!({"error": {"code": "invalid_credentials", "message": "The email or password is not correct."}})
        )
    );
    assert_eq!((unknown.0, &unknown.1), (wrong.0, &wrong.1));
}

async fn the_sixth_failure_is_rate_limited_even_with_the_right_password(server: Server) {
    server.setup_admin().await;
    for _ in 0..5 {
        assert_eq!(login(&server, ADMIN_EMAIL, "wrong").await.0, 401);
    }
    let (status, body, retry_after) = login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(
        retry_after
            .and_then(|s| s.parse::<u64>().ok())
            .is_some_and(|s| (1..=300).contains(&s))
    );
}

async fn with_password_login_off_only_a_break_glass_admin_gets_in(server: Server) {
    let admin = server.configured(json!({})).await;
    // An SSO user, who has no password anyway.
    server
        .sso(&token(&claims("kate@example.com", json!({}))), &[])
        .await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/enable-password-login",
            &json!({"value": false}),
        )
        .await;
    assert_eq!(
        (status, &body["enable_password_login"]),
        (200, &json!(false))
    );
    let (_, properties) = server.get_json("", "/api/session/properties").await;
    assert_eq!(properties["password_login_enabled"], false);

    let (status, body, _) = login(&server, "kate@example.com", "anything").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("password_login_disabled"))
    );
    let (status, _, _) = login(&server, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        status, 200,
        "the admin without an SSO identity is the break-glass account"
    );

    // Turning JWT off turns password login back on.
    let (_, body) = server
        .put_json(&admin, "/api/setting/jwt", &json!({"jwt_enabled": false}))
        .await;
    assert_eq!(body["enable_password_login"], true);
}

on_both_backends!(
    first_run_creates_one_admin_only,
    wrong_passwords_and_unknown_users_get_the_same_answer,
    the_sixth_failure_is_rate_limited_even_with_the_right_password,
    with_password_login_off_only_a_break_glass_admin_gets_in,
);
