//! SPEC §2: the SSO flow over HTTP.

use reqwest::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::*;

/// How many users exist (the "All Users" group's member count).
async fn user_count(server: &Server, admin: &str) -> i64 {
    let (_, groups) = server.get_json(admin, "/api/permissions/group").await;
    groups
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "All Users")
        .and_then(|g| g["member_count"].as_i64())
        .expect("All Users exists")
}

async fn error_code(response: reqwest::Response) -> (u16, String, bool) {
    let status = response.status().as_u16();
    let cookie = session_cookie(response.headers()).is_some();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
        cookie,
    )
}

async fn without_a_token_the_browser_is_sent_to_the_idp_with_return_to(server: Server) {
    server.configured(json!({})).await;
    let response = server
        .http
        .get(server.url("/auth/sso?return_to=/dash%3Fa%3D1"))
        .send()
        .await
        .expect("sso");
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()[LOCATION],
        "https://idp.example.com/login?app=bi&return_to=%2Fdash%3Fa%3D1",
        "existing query kept, return_to one encoded parameter"
    );
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    assert_eq!(response.headers()[REFERRER_POLICY], "no-referrer");

    // Metabase's login page calls it `redirect`; JSON callers get the SDK's shape.
    let response = server
        .http
        .get(server.url("/auth/sso?redirect=/q/1"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("sso");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body,
        json!({"url": "https://idp.example.com/login?app=bi&return_to=%2Fq%2F1", "method": "jwt"})
    );
}

async fn sso_is_refused_while_disabled(server: Server) {
    let response = server
        .http
        .get(server.url("/auth/sso"))
        .header("accept", "application/json")
        .send()
        .await
        .expect("sso");
    assert_eq!(
        error_code(response).await,
        (400, "sso_disabled".into(), false)
    );
    // Browsers get a page that says the same.
    let page = server
        .http
        .get(server.url("/auth/sso"))
        .send()
        .await
        .expect("sso");
    assert_eq!(page.status(), 400);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("<code>sso_disabled</code>")
    );
}

async fn a_valid_token_creates_the_user_syncs_groups_and_starts_a_session(server: Server) {
    let admin = server.setup_admin().await;
    let (_, analysts) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Analysts"}),
        )
        .await;
    let (_, finance) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let settings = json!({
        "jwt_enabled": true,
        "jwt_identity_provider_uri": "https://idp.example.com/login",
        "jwt_shared_secret": KEY,
        "jwt_group_sync": true,
        "jwt_group_mappings": {"analysts": [analysts["id"]], "finance": [finance["id"]]},
    });
    assert_eq!(
        server
            .put_json(&admin, "/api/setting/jwt", &settings)
            .await
            .0,
        200
    );

    let first = claims(
        "Kate@Example.com",
        json!({"groups": ["analysts", "unmapped"], "department": "sales"}),
    );
    let response = server.sso(&token(&first), &[("return_to", "/dash")]).await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()[LOCATION], "/dash");
    let set_cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=3600"] {
        assert!(set_cookie.contains(flag), "{set_cookie} lacks {flag}");
    }
    assert!(!set_cookie.contains("Secure"), "the site is http here");
    let cookie = session_cookie(response.headers()).expect("session");

    let (status, me) = server.get_json(&cookie, "/api/user/current").await;
    assert_eq!(status, 200);
    assert_eq!(me["email"], "kate@example.com");
    assert_eq!(
        (me["first_name"].as_str(), me["last_name"].as_str()),
        (Some("Kate"), Some("Bush"))
    );
    assert_eq!(me["sso_source"], "jwt");
    assert_eq!(me["login_attributes"], json!({"department": "sales"}));
    assert_eq!(me["group_ids"], json!([1, analysts["id"]]));
    assert_eq!(me["is_superuser"], false);

    // Next login: the token now says finance; analysts is left, finance joined, names kept when blank.
    let second = claims(
        "kate@example.com",
        json!({"groups": "finance", "first_name": " ", "iat": now() - 1}),
    );
    let response = server.sso(&token(&second), &[]).await;
    assert_eq!(response.headers()[LOCATION], "/");
    let cookie = session_cookie(response.headers()).expect("session");
    let (_, me) = server.get_json(&cookie, "/api/user/current").await;
    assert_eq!(me["group_ids"], json!([1, finance["id"]]));
    assert_eq!(me["first_name"], "Kate");
    assert_eq!(me["login_attributes"], json!({}), "replaced, not merged");
    assert_eq!(user_count(&server, &admin).await, 2);
}

async fn a_token_with_a_jti_is_accepted_once(server: Server) {
    server.configured(json!({})).await;
    let token = token(&claims("kate@example.com", json!({"jti": "login-1"})));
    assert_eq!(server.sso(&token, &[]).await.status(), 302);
    let replay = server.sso(&token, &[("response", "json")]).await;
    assert_eq!(
        error_code(replay).await,
        (401, "token_replayed".into(), false)
    );
    // A browser gets the same refusal as a page.
    let page = server.sso(&token, &[]).await;
    assert_eq!(page.status(), 401);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("<code>token_replayed</code>")
    );
}

async fn bad_tokens_are_refused_with_their_code_and_change_nothing(server: Server) {
    let admin = server.configured(json!({"jwt_group_sync": true})).await;
    let other_key =
        jsonwebtoken::EncodingKey::from_secret(b"another key, also more than thirty-two bytes");
    let cases = [
        ("garbage", "abc".to_owned(), 400, "malformed_token"),
        (
            "another key",
            jsonwebtoken::encode(&Default::default(), &claims("a@b.c", json!({})), &other_key)
                .expect("sign"),
            401,
            "invalid_signature",
        ),
        (
            "expired",
            token(&claims("a@b.c", json!({"exp": now() - 3600}))),
            401,
            "token_expired",
        ),
        (
            "too old",
            token(&claims("a@b.c", json!({"iat": now() - 3600}))),
            401,
            "token_too_old",
        ),
        (
            "no email",
            token(&json!({"iat": now()})),
            400,
            "missing_email",
        ),
        (
            "bad groups",
            token(&claims("a@b.c", json!({"groups": 5}))),
            400,
            "invalid_groups_claim",
        ),
        (
            "other audience",
            token(&claims(
                "a@b.c",
                json!({"aud": "https://elsewhere.example"}),
            )),
            401,
            "invalid_audience",
        ),
        ("huge", "a".repeat(20_000), 400, "token_too_large"),
    ];
    for (name, token, status, code) in cases {
        let response = server
            .http
            .get(server.url("/auth/sso"))
            .query(&[("jwt", token.as_str())])
            .header("accept", "application/json")
            .send()
            .await
            .expect("sso");
        assert_eq!(
            error_code(response).await,
            (status, code.to_owned(), false),
            "{name}"
        );
    }
    assert_eq!(
        user_count(&server, &admin).await,
        1,
        "only the admin exists"
    );
}

async fn an_unsafe_return_to_is_refused_before_anything_is_written(server: Server) {
    let admin = server.configured(json!({})).await;
    let token = token(&claims("new@example.com", json!({})));
    for target in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let response = server.sso(&token, &[("return_to", target)]).await;
        assert_eq!(response.status(), 400, "{target}");
        assert!(session_cookie(response.headers()).is_none());
    }
    assert_eq!(user_count(&server, &admin).await, 1, "no user created");
    // The token was not consumed either: it still works with a safe target.
    let response = server.sso(&token, &[("return_to", "/ok")]).await;
    assert_eq!(response.headers()[LOCATION], "/ok");
}

async fn repeated_parameters_are_refused(server: Server) {
    server.configured(json!({})).await;
    let token = token(&claims("kate@example.com", json!({})));
    let response = server.sso(&token, &[("jwt", "x")]).await;
    assert_eq!(response.status(), 400);
    let response = server
        .sso(&token, &[("return_to", "/a"), ("return_to", "/b")])
        .await;
    assert_eq!(response.status(), 400);
}

async fn the_token_may_come_in_a_form_post_and_json_mode_returns_the_session(server: Server) {
    server.configured(json!({})).await;
    let token = token(&claims("kate@example.com", json!({})));
    let response = server
        .http
        .post(server.url("/auth/sso"))
        .header("accept", "application/json")
        .form(&[("jwt", token.as_str())])
        .send()
        .await
        .expect("sso");
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(response.headers()).expect("cookie set in JSON mode too");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        format!("lanyard.SESSION={}", body["id"].as_str().expect("id")),
        cookie
    );
    assert!(body["expires_at"].as_i64().expect("expires_at") > now());
}

async fn a_session_cookie_sent_with_the_login_is_ignored(server: Server) {
    server.configured(json!({})).await;
    let planted = "lanyard.SESSION=attacker-chosen-value";
    let response = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", token(&claims("kate@example.com", json!({}))))])
        .header("cookie", planted)
        .send()
        .await
        .expect("sso");
    let issued = session_cookie(response.headers()).expect("a fresh session");
    assert_ne!(issued, planted);
    assert_eq!(server.get_json(planted, "/api/user/current").await.0, 401);
}

async fn unknown_users_are_refused_when_provisioning_is_off(server: Server) {
    let admin = server
        .configured(json!({"jwt_user_provisioning": false}))
        .await;
    let response = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", token(&claims("stranger@example.com", json!({}))))])
        .header("accept", "application/json")
        .send()
        .await
        .expect("sso");
    assert_eq!(
        error_code(response).await,
        (403, "user_not_provisioned".into(), false)
    );
    assert_eq!(user_count(&server, &admin).await, 1);
    // An existing (password) user may still use SSO, and becomes an SSO user.
    let response = server
        .sso(&token(&claims(ADMIN_EMAIL, json!({}))), &[])
        .await;
    let cookie = session_cookie(response.headers()).expect("admin signs in through SSO");
    let (_, me) = server.get_json(&cookie, "/api/user/current").await;
    assert_eq!(
        (me["sso_source"].as_str(), me["is_superuser"].as_bool()),
        (Some("jwt"), Some(true))
    );
}

async fn sign_out_ends_the_session(server: Server) {
    let admin = server.setup_admin().await;
    let response = server
        .http
        .delete(server.url("/api/session"))
        .header("cookie", &admin)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), 204);
    assert_eq!(server.get_json(&admin, "/api/user/current").await.0, 401);
}

async fn the_demo_idp_signs_a_token_that_completes_the_flow(server: Server) {
    server.configured(json!({})).await;
    let response = server
        .http
        .post(server.url("/demo-idp"))
        .form(&[
            ("email", "demo@example.com"),
            ("first_name", "Demo"),
            ("groups", "a, b"),
            ("return_to", "/x"),
        ])
        .send()
        .await
        .expect("demo idp");
    assert_eq!(response.status(), 302);
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(location.starts_with("/auth/sso?jwt="));
    let response = server
        .http
        .get(server.url(&location))
        .send()
        .await
        .expect("sso");
    assert_eq!(response.headers()[LOCATION], "/x");
    let cookie = session_cookie(response.headers()).expect("signed in");
    assert_eq!(
        server.get_json(&cookie, "/api/user/current").await.1["first_name"],
        "Demo"
    );

    // Its Sign out everywhere sends lanyard a back-channel logout for that person.
    let response = server
        .http
        .post(server.url("/demo-idp/logout"))
        .form(&[("email", "demo@example.com")])
        .send()
        .await
        .expect("demo logout");
    assert_eq!(response.status(), 200);
    let page = response.text().await.expect("page");
    assert!(page.contains("1 session(s) ended"), "{page}");
    assert_eq!(server.get_json(&cookie, "/api/user/current").await.0, 401);
}

/// Logins that arrive together — on PostgreSQL an existing user's are written together, in one
/// statement — each sign their own user in, once: every fresh token gets a session of its own
/// user's with the name it carried, a token sent twice at once signs in once, and each login has
/// its audit entry.
async fn logins_at_once_each_sign_their_own_user_in_once(server: Server) {
    let admin = server.configured(json!({})).await;
    let emails: Vec<String> = (0..6).map(|i| format!("user{i}@example.com")).collect();
    for email in &emails {
        let first = token(&claims(email, json!({})));
        assert_eq!(sso_outcome(&server, &first).await, (200, String::new()));
    }
    let logins_before = audit_total(&server, &admin, "sso_login").await;
    // Six logins per user, with and without a `jti`, each naming its user after its round; the
    // first token is sent twice.
    let mut tokens = Vec::new();
    for round in 0..6 {
        for (i, email) in emails.iter().enumerate() {
            let mut extra = json!({"last_name": format!("Round{round}")});
            if round % 2 == 0 {
                extra["jti"] = json!(format!("at-once-{round}-{i}"));
            }
            tokens.push((email.clone(), token(&claims(email, extra))));
        }
    }
    tokens.push(tokens[0].clone());
    let mut logins = tokio::task::JoinSet::new();
    for (email, token) in tokens {
        let (http, url) = (server.http.clone(), server.url("/auth/sso"));
        logins.spawn(async move {
            let query = [("jwt", token.as_str()), ("response", "json")];
            let response = http.get(url).query(&query).send().await.expect("sso");
            let cookie = session_cookie(response.headers());
            (email, error_code(response).await, cookie)
        });
    }
    let mut signed_in = Vec::new();
    let mut refused = Vec::new();
    while let Some(login) = logins.join_next().await {
        match login.expect("login") {
            (email, (200, _, true), Some(cookie)) => signed_in.push((email, cookie)),
            (email, outcome, _) => refused.push((email, outcome)),
        }
    }
    assert_eq!(
        refused,
        [(emails[0].clone(), (401, "token_replayed".to_owned(), false))]
    );
    assert_eq!(signed_in.len(), 36);
    for (email, cookie) in &signed_in {
        let (status, me) = server.get_json(cookie, "/api/user/current").await;
        assert_eq!((status, me["email"].as_str()), (200, Some(email.as_str())));
        assert!(
            me["last_name"]
                .as_str()
                .is_some_and(|name| name.starts_with("Round"))
        );
    }
    assert_eq!(
        audit_total(&server, &admin, "sso_login").await,
        logins_before + 36
    );
}

/// How many audit entries of `event` there are.
async fn audit_total(server: &Server, admin: &str, event: &str) -> i64 {
    let (_, page) = server
        .get_json(admin, &format!("/api/audit?event={event}&limit=1"))
        .await;
    page["total"].as_i64().expect("total")
}

on_both_backends!(
    without_a_token_the_browser_is_sent_to_the_idp_with_return_to,
    sso_is_refused_while_disabled,
    a_valid_token_creates_the_user_syncs_groups_and_starts_a_session,
    a_token_with_a_jti_is_accepted_once,
    bad_tokens_are_refused_with_their_code_and_change_nothing,
    an_unsafe_return_to_is_refused_before_anything_is_written,
    repeated_parameters_are_refused,
    the_token_may_come_in_a_form_post_and_json_mode_returns_the_session,
    a_session_cookie_sent_with_the_login_is_ignored,
    unknown_users_are_refused_when_provisioning_is_off,
    sign_out_ends_the_session,
    the_demo_idp_signs_a_token_that_completes_the_flow,
    logins_at_once_each_sign_their_own_user_in_once,
);
