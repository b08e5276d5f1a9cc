//! SPEC §9 and §10 over HTTP: sign-in rules, issuer and audiences, nested claims, and the mapping
//! impact — its preview, `apply_now`, and that both agree with real logins.

use serde_json::{Value, json};

use crate::support::*;

/// The user with `email` as `GET /api/user` lists them.
async fn user(server: &Server, admin: &str, email: &str) -> Value {
    let (status, page) = server
        .get_json(admin, &format!("/api/user?query={email}"))
        .await;
    assert_eq!(status, 200);
    page["data"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["email"] == email))
        .cloned()
        .unwrap_or(Value::Null)
}

async fn group(server: &Server, admin: &str, name: &str) -> i64 {
    let (status, body) = server
        .post_json(admin, "/api/permissions/group", &json!({"name": name}))
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().expect("id")
}

fn ids(value: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

async fn sign_in(server: &Server, email: &str, extra: Value) {
    let (status, code) = sso_outcome(server, &token(&claims(email, extra))).await;
    assert_eq!((status, code.as_str()), (200, ""), "{email}");
}

async fn rules_issuer_and_audiences_decide_who_signs_in(server: Server) {
    let admin = server
        .configured(json!({
            "jwt_issuer": "https://idp.example.com/",
            "jwt_audiences": ["lanyard-prod"],
            "jwt_attribute_email": "/user/email",
            "jwt_claim_rules": [
                {"claim": "/realm_access/roles", "op": "contains", "value": "bi-user"},
                {"claim": "tenant", "op": "one_of", "value": ["acme", "globex"]},
                {"claim": "email_verified", "op": "equals", "value": true},
                {"claim": "sub", "op": "exists"},
            ],
        }))
        .await;
    let good = json!({
        "user": {"email": "ann@example.com"},
        "iss": "https://idp.example.com/",
        "aud": ["other", "lanyard-prod"],
        "realm_access": {"roles": ["bi-user"]},
        "tenant": "acme",
        "email_verified": true,
        "sub": "ann-1",
        "iat": now(),
    });
    let with = |changes: Value| {
        let mut claims = good.clone();
        for (key, value) in changes.as_object().expect("object") {
            if value.is_null() {
                claims.as_object_mut().expect("object").remove(key);
            } else {
                claims[key] = value.clone();
            }
        }
        claims
    };
    // (claims, status, code, the claim the message must name)
    let cases = [
        (
            with(json!({"iss": "https://evil.example/"})),
            401,
            "invalid_issuer",
            None,
        ),
        (with(json!({"iss": null})), 401, "invalid_issuer", None),
        (with(json!({"aud": null})), 401, "invalid_audience", None),
        (
            with(json!({"aud": "lanyard-dev"})),
            401,
            "invalid_audience",
            None,
        ),
        (
            with(json!({"realm_access": {"roles": ["viewer"]}})),
            403,
            "claim_rule_failed",
            Some("/realm_access/roles"),
        ),
        (
            with(json!({"tenant": "SecretCorp-Initech"})),
            403,
            "claim_rule_failed",
            Some("tenant"),
        ),
        (
            with(json!({"email_verified": "true"})),
            403,
            "claim_rule_failed",
            Some("email_verified"),
        ),
        (
            with(json!({"sub": null})),
            403,
            "claim_rule_failed",
            Some("sub"),
        ),
    ];
    for (claims, status, code, claim) in cases {
        let response = server.sso(&token(&claims), &[("response", "json")]).await;
        assert_eq!(response.status(), status, "{claims}");
        assert!(session_cookie(response.headers()).is_none(), "no session");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], code, "{claims}");
        let message = body["error"]["message"].as_str().expect("message");
        if let Some(claim) = claim {
            assert!(
                message.contains(&format!("\"{claim}\"")),
                "names the rule's claim: {message}"
            );
        }
        assert!(
            !body.to_string().contains("SecretCorp"),
            "never the value: {body}"
        );
    }
    // The audit entry says which claim too, so an admin sees why users are refused.
    let (_, audit) = server
        .get_json(&admin, "/api/audit?event=sso_login_failed")
        .await;
    let reasons: Vec<&str> = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["details"]["reason"].as_str())
        .collect();
    assert!(reasons.iter().any(|r| r.contains("\"tenant\"")), "{audit}");
    assert!(!audit.to_string().contains("SecretCorp"), "{audit}");
    assert_eq!(
        user(&server, &admin, "ann@example.com").await,
        Value::Null,
        "nobody created"
    );

    let (status, code) = sso_outcome(&server, &token(&good)).await;
    assert_eq!((status, code.as_str()), (200, ""));
    let ann = user(&server, &admin, "ann@example.com").await;
    assert_eq!(ann["sso_source"], "jwt");
}

async fn invalid_rules_are_field_errors_and_nothing_is_saved(server: Server) {
    let admin = server.configured(json!({})).await;
    let (_, before) = server.get_json(&admin, "/api/setting/jwt").await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({
                "jwt_issuer": " padded ",
                "jwt_claim_rules": [{"claim": "/a~9", "op": "equals", "value": "x"},
                                    {"claim": "dept", "op": "one_of", "value": "Sales"}],
            }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"jwt_issuer") && fields.contains(&"jwt_claim_rules"),
        "{body}"
    );
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_claim_rules": [{"claim": "dept", "op": "matches", "value": "x"}]}),
        )
        .await;
    assert_eq!(status, 400, "an unknown operator: {body}");
    let (_, after) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(before, after);
}

/// Three SSO users with their groups claims; Sales and Legacy are mapped, Finance is not yet.
async fn three_members(server: &Server) -> (String, i64, i64, i64) {
    let admin = server.setup_admin().await;
    let sales = group(server, &admin, "Sales").await;
    let finance = group(server, &admin, "Finance").await;
    let legacy = group(server, &admin, "Legacy").await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({
                "jwt_enabled": true,
                "jwt_identity_provider_uri": "https://idp.example.com/login",
                "jwt_shared_secret": KEY,
                "jwt_group_sync": true,
                "jwt_group_mappings": {"sales": [sales], "old": [legacy]},
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    sign_in(
        server,
        "a@example.com",
        json!({"groups": ["sales", "finance", "old"]}),
    )
    .await;
    sign_in(server, "b@example.com", json!({"groups": ["sales"]})).await;
    sign_in(server, "c@example.com", json!({"groups": ["finance"]})).await;
    // A login without the claim keeps the last one seen.
    sign_in(server, "c@example.com", json!({})).await;
    (admin, sales, finance, legacy)
}

async fn the_preview_shows_joins_leaves_and_unmapped_groups_and_changes_nothing(server: Server) {
    let (admin, sales, finance, legacy) = three_members(&server).await;
    let a = user(&server, &admin, "a@example.com").await;
    let b = user(&server, &admin, "b@example.com").await;
    let c = user(&server, &admin, "c@example.com").await;
    let new = json!({"finance": [finance], "sales": [sales, finance]});
    let (status, preview) = server
        .post_json(
            &admin,
            "/api/setting/jwt/mappings/preview",
            &json!({"mappings": new}),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    let of = |id: i64| {
        preview["groups"]
            .as_array()
            .and_then(|groups| groups.iter().find(|g| g["group_id"] == id))
            .cloned()
            .unwrap_or(Value::Null)
    };
    // Everyone with "sales" or "finance" joins Finance; nobody leaves Sales.
    assert_eq!(
        ids(&of(finance)["join"]),
        ids(&json!([a["id"], b["id"], c["id"]]))
    );
    assert_eq!(of(sales), Value::Null, "no change to Sales");
    assert_eq!(
        preview["unmapped_groups"],
        json!([{"group_id": legacy, "member_count": 1}])
    );
    let (_, audit_before) = server.get_json(&admin, "/api/audit?limit=500").await;
    assert_eq!(
        user(&server, &admin, "b@example.com").await,
        b,
        "nothing changed"
    );
    let (_, audit_after) = server.get_json(&admin, "/api/audit?limit=500").await;
    assert_eq!(audit_before["total"], audit_after["total"]);

    let (status, body) = server
        .post_json(
            &admin,
            "/api/setting/jwt/mappings/preview",
            &json!({"mappings": {"x": [9999]}}),
        )
        .await;
    assert_eq!(status, 400, "unknown group: {body}");
}

async fn apply_now_applies_the_preview_and_logins_agree(server: Server) {
    let (admin, sales, finance, legacy) = three_members(&server).await;
    let (_, settings) = server.get_json(&admin, "/api/setting/jwt").await;
    let new = json!({"finance": [finance], "sales": [sales, finance]});
    let (_, preview) = server
        .post_json(
            &admin,
            "/api/setting/jwt/mappings/preview",
            &json!({"mappings": new}),
        )
        .await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": new, "version": settings["version"], "apply_now": true,
                    "remove_members_of": [legacy]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        let person = user(&server, &admin, email).await;
        let groups = ids(&person["group_ids"]);
        assert!(
            groups.contains(&finance),
            "{email} joined Finance: {groups:?}"
        );
        assert!(!groups.contains(&legacy), "{email} left Legacy");
    }
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=500").await;
    let applied: Vec<&Value> = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "mappings_applied")
        .collect();
    assert_eq!(
        applied.len(),
        preview["users"].as_array().expect("users").len()
    );
    assert!(applied.iter().all(|e| e["actor_email"] == ADMIN_EMAIL));

    // Each user signing in again with the same groups changes nothing more.
    for (email, groups) in [
        ("a@example.com", json!(["sales", "finance", "old"])),
        ("b@example.com", json!(["sales"])),
        ("c@example.com", json!(["finance"])),
    ] {
        let before = ids(&user(&server, &admin, email).await["group_ids"]);
        sign_in(&server, email, json!({"groups": groups})).await;
        assert_eq!(
            ids(&user(&server, &admin, email).await["group_ids"]),
            before,
            "{email}"
        );
    }
}

async fn an_invalid_apply_now_changes_nothing(server: Server) {
    let (admin, sales, finance, _legacy) = three_members(&server).await;
    let (_, settings) = server.get_json(&admin, "/api/setting/jwt").await;
    let before: Vec<Value> = [
        user(&server, &admin, "a@example.com").await,
        user(&server, &admin, "c@example.com").await,
    ]
    .into();
    // A built-in group among the removals makes the whole save fail, apply_now included.
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": {"finance": [finance], "sales": [sales]}, "version": settings["version"],
                    "apply_now": true, "remove_members_of": [1]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let after: Vec<Value> = [
        user(&server, &admin, "a@example.com").await,
        user(&server, &admin, "c@example.com").await,
    ]
    .into();
    assert_eq!(before, after);
    let (_, unchanged) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(unchanged["version"], settings["version"]);

    // With group sync off there is nothing to apply: refused, nothing saved.
    let (status, _) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_group_sync": false}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, settings) = server.get_json(&admin, "/api/setting/jwt").await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt/mappings",
            &json!({"mappings": {"finance": [finance]}, "version": settings["version"], "apply_now": true}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "apply_now");
    let (_, unchanged) = server.get_json(&admin, "/api/setting/jwt").await;
    assert_eq!(unchanged["version"], settings["version"]);
}

on_both_backends!(
    rules_issuer_and_audiences_decide_who_signs_in,
    invalid_rules_are_field_errors_and_nothing_is_saved,
    the_preview_shows_joins_leaves_and_unmapped_groups_and_changes_nothing,
    apply_now_applies_the_preview_and_logins_agree,
    an_invalid_apply_now_changes_nothing,
);
