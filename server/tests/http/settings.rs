//! SPEC §1, §4: the settings API, write-only key, validation, access control, CSRF, headers.

use serde_json::{Value, json};

use crate::support::*;

async fn the_key_is_never_returned_and_is_kept_when_omitted_or_masked(server: Server) {
    let admin = server.configured(json!({})).await;
    let (status, view) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(status, 200);
    assert!(!view.to_string().contains(KEY), "no key in {view}");
    assert_eq!(
        (
            view["jwt_shared_secret_set"].as_bool(),
            view["jwt_shared_secret_hint"].as_str()
        ),
        (Some(true), Some("…ef"))
    );
    assert!(view.get("jwt_shared_secret").is_none());

    let (_, after) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_shared_secret": "…ef", "jwt_group_sync": true}),
        )
        .await;
    assert_eq!(after["jwt_group_sync"], true);
    // The key still signs valid logins.
    assert_eq!(
        server
            .sso(&token(&claims("k@example.com", json!({}))), &[])
            .await
            .status(),
        302
    );
}

async fn invalid_settings_report_every_field_and_change_nothing(server: Server) {
    let admin = server.setup_admin().await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_enabled": true, "jwt_shared_secret": "short", "jwt_max_age_seconds": 0}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_settings");
    let fields: Vec<(String, String)> = body["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap_or("").to_owned(),
                f["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        fields.contains(&("jwt_identity_provider_uri".into(), "required".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("jwt_shared_secret".into(), "too_short".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("jwt_max_age_seconds".into(), "out_of_range".into())),
        "{fields:?}"
    );
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(
        (
            view["jwt_enabled"].as_bool(),
            view["jwt_shared_secret_set"].as_bool()
        ),
        (Some(false), Some(false))
    );

    for body in [json!({"jwt_enabeld": true}), json!({"jwt_enabled": "yes"})] {
        let (status, error) = server.put_json(&admin, "/api/setting/jwt", &body).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{body}"
        );
    }
    let (status, error) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_group_mappings": {"x": [999]}}),
        )
        .await;
    assert_eq!(
        (status, error["error"]["fields"][0]["code"].as_str()),
        (400, Some("unknown_group"))
    );
}

async fn admin_endpoints_need_an_admin_session(server: Server) {
    server.configured(json!({})).await;
    let (status, body) = server.get_json("", "/api/setting/jwt").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let response = server
        .sso(&token(&claims("kate@example.com", json!({}))), &[])
        .await;
    let user = session_cookie(response.headers()).expect("user session");
    let (status, body) = server.get_json(&user, "/api/setting/jwt").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        server
            .put_json(&user, "/api/setting/jwt", &json!({"jwt_enabled": false}))
            .await
            .0,
        403
    );
}

async fn cross_site_unsafe_requests_are_refused(server: Server) {
    let admin = server.configured(json!({})).await;
    let response = server
        .http
        .put(server.url("/api/setting/jwt"))
        .header("cookie", &admin)
        .header("origin", "https://evil.example")
        .json(&json!({"jwt_enabled": false}))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "cross_site_request");
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(view["jwt_enabled"], true, "nothing changed");
    // The same request from the site itself passes.
    let response = server
        .http
        .put(server.url("/api/setting/jwt"))
        .header("cookie", &admin)
        .header("origin", &server.base)
        .json(&json!({"jwt_group_sync": true}))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
}

async fn every_response_carries_the_security_headers(server: Server) {
    for path in [
        "/healthz",
        "/api/session/properties",
        "/auth/sso",
        "/nowhere",
    ] {
        let response = server.http.get(server.url(path)).send().await.expect("get");
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

async fn the_dry_run_reports_the_endpoints_verdict_without_touching_data(server: Server) {
    let admin = server.configured(json!({})).await;
    let good = token(&claims("kate@example.com", json!({})));
    let (status, verdict) = server
        .post_json(&admin, "/api/setting/jwt/test", &json!({"token": good}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            verdict["accepted"].as_bool(),
            verdict["profile"]["email"].as_str()
        ),
        (Some(true), Some("kate@example.com"))
    );
    // Nothing was consumed: the same token still signs in.
    assert_eq!(server.sso(&good, &[]).await.status(), 302);
    let expired = token(&claims("kate@example.com", json!({"exp": now() - 3600})));
    let (_, verdict) = server
        .post_json(&admin, "/api/setting/jwt/test", &json!({"token": expired}))
        .await;
    assert_eq!(
        (verdict["accepted"].as_bool(), verdict["error"].as_str()),
        (Some(false), Some("token_expired"))
    );
}

async fn the_dry_run_knows_replays_accounts_and_existing_memberships(server: Server) {
    let admin = server.setup_admin().await;
    let (_, sales) = server
        .post_json(&admin, "/api/permissions/group", &json!({"name": "Sales"}))
        .await;
    let settings = json!({
        "jwt_enabled": true, "jwt_identity_provider_uri": "https://idp.example.com", "jwt_shared_secret": KEY,
        "jwt_group_sync": true, "jwt_group_mappings": {"sales": [sales["id"]]},
    });
    assert_eq!(
        server
            .put_json(&admin, "/api/setting/jwt", &settings)
            .await
            .0,
        200
    );
    let used = token(&claims(
        "kate@example.com",
        json!({"groups": ["sales"], "jti": "used-once"}),
    ));
    assert_eq!(server.sso(&used, &[]).await.status(), 302);

    let check = |verdict: &Value, name: &str| {
        verdict["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .expect("reported")
    };
    let (_, verdict) = server
        .post_json(&admin, "/api/setting/jwt/test", &json!({"token": used}))
        .await;
    assert_eq!(
        (verdict["accepted"].as_bool(), verdict["error"].as_str()),
        (Some(false), Some("token_replayed"))
    );
    assert_eq!(
        check(&verdict, "replay")["outcome"]["code"],
        "token_replayed"
    );

    // Kate again, now without the sales group: the existing membership would be removed.
    let fresh = token(&claims(
        "kate@example.com",
        json!({"groups": [], "iat": now() - 1}),
    ));
    let (_, verdict) = server
        .post_json(&admin, "/api/setting/jwt/test", &json!({"token": fresh}))
        .await;
    assert_eq!(verdict["accepted"], true, "{verdict}");
    assert_eq!(verdict["group_changes"]["remove"], json!([sales["id"]]));
    assert_eq!(
        check(&verdict, "account")["detail"],
        "signs in to the existing account"
    );

    // Unsaved settings are tested too: with provisioning off, a stranger is refused.
    let stranger = token(&claims("stranger@example.com", json!({})));
    let body = json!({"token": stranger, "settings": {"jwt_user_provisioning": false}});
    let (_, verdict) = server
        .post_json(&admin, "/api/setting/jwt/test", &body)
        .await;
    assert_eq!(verdict["error"], "user_not_provisioned");
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(
        view["jwt_user_provisioning"], true,
        "the unsaved settings were not saved"
    );
}

on_both_backends!(
    the_key_is_never_returned_and_is_kept_when_omitted_or_masked,
    invalid_settings_report_every_field_and_change_nothing,
    admin_endpoints_need_an_admin_session,
    cross_site_unsafe_requests_are_refused,
    every_response_carries_the_security_headers,
    the_dry_run_reports_the_endpoints_verdict_without_touching_data,
    the_dry_run_knows_replays_accounts_and_existing_memberships,
);
