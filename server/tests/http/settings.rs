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

/// A body that does not fit the settings' shape says where and what that place accepts, instead of
/// a bare "The request is not valid." (issue 23 item 2); nothing is saved.
async fn a_malformed_settings_body_names_the_field_and_what_it_accepts(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, before) = server.get_json(&admin, "/api/setting/jwt").await;
    let rsa_key =
        |kid: &str, alg: &str| json!({"kid": kid, "alg": alg, "public_key": RSA_2048_PEM});
    // (body, the field error's field, its code, words the message must hold)
    let cases = [
        (
            json!({"jwt_replay_protection": "none"}),
            "jwt_replay_protection",
            "unknown_value",
            vec!["jwt_replay_protection", "`jti`", "`all`"],
        ),
        (
            json!({"jwt_claim_rules": [{"claim": "dept", "op": "regex", "value": "x"}]}),
            "jwt_claim_rules",
            "unknown_value",
            vec!["jwt_claim_rules[0].op", "`equals`", "`one_of`"],
        ),
        (
            json!({"jwt_keys": [rsa_key("a", "RS256"), rsa_key("b", "none")]}),
            "jwt_keys",
            "unknown_value",
            vec!["jwt_keys[1].alg", "`RS256`", "`EdDSA`"],
        ),
        (
            json!({"jwt_enabeld": true}),
            "jwt_enabeld",
            "unknown_field",
            vec!["jwt_enabeld", "`jwt_enabled`"],
        ),
        (
            json!({"jwt_enabled": "yes"}),
            "jwt_enabled",
            "invalid_value",
            vec!["jwt_enabled", "a boolean"],
        ),
        (
            json!({"jwt_keys": [{"kid": "a", "alg": "RS256", "public_key": 5}]}),
            "jwt_keys",
            "invalid_value",
            vec!["jwt_keys[0].public_key", "PEM", "JWK"],
        ),
    ];
    for (body, field, code, words) in cases {
        let (status, error) = server.put_json(&admin, "/api/setting/jwt", &body).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["error"]["code"], "invalid_request", "{body}");
        let message = error["error"]["message"].as_str().expect("message");
        for word in words {
            assert!(message.contains(word), "{body}: {message} lacks {word}");
        }
        assert_eq!(error["error"]["fields"][0]["field"], field, "{error}");
        assert_eq!(error["error"]["fields"][0]["code"], code, "{error}");
    }

    // A secret given in the wrong shape is never echoed.
    let (status, error) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_shared_secret": 31415926535897932_i64}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(!error.to_string().contains("31415926535897932"), "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("jwt_shared_secret")
    );

    // A JWK pasted as an object is read as the same JWK as text: a weak one gets the same field
    // error as its PEM.
    let weak_jwk = lanyard_core::keys::PublicKey::parse(RSA_1024_PEM)
        .expect("parses")
        .to_jwk();
    for public_key in [
        json!(weak_jwk),
        json!(weak_jwk.to_string()),
        json!(RSA_1024_PEM),
    ] {
        let body = json!({"jwt_keys": [{"kid": "weak", "alg": "RS256", "public_key": public_key}]});
        let (status, error) = server.put_json(&admin, "/api/setting/jwt", &body).await;
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (400, Some("invalid_settings")),
            "{error}"
        );
        assert_eq!(error["error"]["fields"][0]["field"], "jwt_keys", "{error}");
        assert!(
            error["error"]["fields"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("2048")),
            "{error}"
        );
    }
    // And a good one pasted as an object is saved and verifies as it would from PEM.
    let good_jwk = lanyard_core::keys::PublicKey::parse(RSA_2048_PEM)
        .expect("parses")
        .to_jwk();
    let body = json!({"jwt_keys": [{"kid": "good", "alg": "RS256", "public_key": good_jwk}]});
    let (status, saved) = server.put_json(&admin, "/api/setting/jwt", &body).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["jwt_keys"][0]["kid"], "good", "{saved}");
    let (_, after) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(
        after["version"].as_i64(),
        before["version"].as_i64().map(|v| v + 1)
    );
}

const RSA_2048_PEM: &str = include_str!("keys/r2048.pem");
const RSA_1024_PEM: &str = include_str!("../../../crates/lanyard-core/tests/core/keys/r1024.pem");

on_both_backends!(
    a_malformed_settings_body_names_the_field_and_what_it_accepts,
    the_key_is_never_returned_and_is_kept_when_omitted_or_masked,
    invalid_settings_report_every_field_and_change_nothing,
    admin_endpoints_need_an_admin_session,
    cross_site_unsafe_requests_are_refused,
    every_response_carries_the_security_headers,
    the_dry_run_reports_the_endpoints_verdict_without_touching_data,
    the_dry_run_knows_replays_accounts_and_existing_memberships,
);
