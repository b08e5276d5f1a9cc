//! SPEC §11 over HTTP: the IdP's logout URL on signing out, and back-channel logout (OpenID Connect
//! Back-Channel Logout 1.0) ending every session of a user — on both backends, and across two
//! replicas on one PostgreSQL.

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::support::*;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A logout token for `sub`, issued now, with `extra` claims on top (a `null` removes one).
fn logout_token(sub: &str, extra: Value) -> String {
    let mut claims = json!({
        "sub": sub,
        "iat": now(),
        "jti": format!("logout-{sub}-{}", now()),
        "events": {EVENT: {}},
    });
    for (key, value) in extra.as_object().expect("object") {
        if value.is_null() {
            claims.as_object_mut().expect("object").remove(key);
        } else {
            claims[key] = value.clone();
        }
    }
    token(&claims)
}

async fn post_logout(server: &Server, token: &str) -> (u16, String) {
    let response = server
        .http
        .post(server.url("/auth/sso/logout"))
        .form(&[("logout_token", token)])
        .send()
        .await
        .expect("logout");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

/// Signs `email` in with `sub`; the session cookie.
async fn signed_in(server: &Server, email: &str, sub: &str) -> String {
    let response = server
        .sso(&token(&claims(email, json!({"sub": sub}))), &[])
        .await;
    assert_eq!(response.status(), 302);
    session_cookie(response.headers()).expect("session")
}

async fn is_signed_in(server: &Server, cookie: &str) -> bool {
    server.get_json(cookie, "/api/user/current").await.0 == 200
}

async fn signing_out_an_sso_user_goes_on_to_the_idp_logout(server: Server) {
    let admin = server
        .configured(json!({"jwt_logout_uri": "https://idp.example.com/logout?app=bi"}))
        .await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"jwt_logout_uri": "not a url"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["fields"][0]["field"], "jwt_logout_uri");

    let kate = signed_in(&server, "kate@example.com", "kate-1").await;
    let (status, body) = server
        .send(reqwest::Method::DELETE, &kate, "/api/session", None)
        .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"logout_url": "https://idp.example.com/logout?app=bi"})
        )
    );
    assert!(!is_signed_in(&server, &kate).await);
    // A password user just signs out.
    let (status, _) = server
        .send(reqwest::Method::DELETE, &admin, "/api/session", None)
        .await;
    assert_eq!(status, 204);
}

async fn a_backchannel_logout_ends_every_session_of_that_user(server: Server) {
    let admin = server.configured(json!({})).await;
    let laptop = signed_in(&server, "kate@example.com", "kate-1").await;
    let phone = signed_in(&server, "kate@example.com", "kate-1").await;
    let bob = signed_in(&server, "bob@example.com", "bob-1").await;

    let token = logout_token("kate-1", json!({}));
    assert_eq!(post_logout(&server, &token).await, (200, String::new()));
    assert!(
        !is_signed_in(&server, &laptop).await,
        "the next request is refused"
    );
    assert!(!is_signed_in(&server, &phone).await);
    assert!(is_signed_in(&server, &bob).await, "others stay signed in");
    // Always one use.
    assert_eq!(
        post_logout(&server, &token).await,
        (400, "token_replayed".into())
    );

    // By email when there is no sub.
    let by_email = logout_token("ignored", json!({"sub": null, "email": "Bob@Example.com"}));
    assert_eq!(post_logout(&server, &by_email).await, (200, String::new()));
    assert!(!is_signed_in(&server, &bob).await);

    // A valid token for a user lanyard does not know ends nothing, and succeeds.
    assert_eq!(
        post_logout(&server, &logout_token("nobody", json!({}))).await,
        (200, String::new())
    );
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=100").await;
    let ended: Vec<i64> = audit["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "backchannel_logout")
        .filter_map(|e| e["details"]["sessions_ended"].as_i64())
        .collect();
    assert_eq!(ended, vec![0, 1, 2], "newest first");
    assert!(is_signed_in(&server, &admin).await);
}

async fn bad_logout_tokens_are_refused_and_end_nothing(server: Server) {
    server.configured(json!({})).await;
    let kate = signed_in(&server, "kate@example.com", "kate-1").await;
    let forged = encode(
        &Header::default(),
        &json!({"sub": "kate-1", "iat": now(), "jti": "x", "events": {EVENT: {}}}),
        &EncodingKey::from_secret(b"another key, long enough for HS256!"),
    )
    .expect("sign");
    let cases = [
        (forged, "invalid_signature"),
        (
            logout_token("kate-1", json!({"events": null})),
            "invalid_logout_token",
        ),
        (
            logout_token("kate-1", json!({"events": {"other": {}}})),
            "invalid_logout_token",
        ),
        (
            logout_token("kate-1", json!({"events": {EVENT: "yes"}})),
            "invalid_logout_token",
        ),
        (
            logout_token("kate-1", json!({"nonce": "n"})),
            "invalid_logout_token",
        ),
        (
            logout_token("kate-1", json!({"jti": null})),
            "invalid_logout_token",
        ),
        (
            logout_token("kate-1", json!({"sub": null})),
            "invalid_logout_token",
        ),
        (
            logout_token("kate-1", json!({"iat": now() - 3600})),
            "token_too_old",
        ),
        ("garbage".to_owned(), "malformed_token"),
    ];
    for (token, code) in cases {
        assert_eq!(
            post_logout(&server, &token).await,
            (400, code.to_owned()),
            "{code}"
        );
        assert!(is_signed_in(&server, &kate).await, "{code}: nothing ended");
    }
    let response = server
        .http
        .post(server.url("/auth/sso/logout"))
        .form(&[("other", "x")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 400);

    // A logout token never signs anyone in.
    let logout_as_login = logout_token("kate-1", json!({"email": "kate@example.com"}));
    assert_eq!(
        sso_outcome(&server, &logout_as_login).await,
        (400, "logout_token".to_owned())
    );
}

on_both_backends!(
    signing_out_an_sso_user_goes_on_to_the_idp_logout,
    a_backchannel_logout_ends_every_session_of_that_user,
    bad_logout_tokens_are_refused_and_end_nothing,
);

/// Back-channel logout received by replica A ends the user's session on replica B at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backchannel_logout_on_one_replica_ends_the_session_on_the_other() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;
    a.configured(json!({})).await;
    // Settings reach B within a second.
    for _ in 0..40 {
        if b.get_json("", "/api/session/properties").await.1["sso_enabled"] == true {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let on_b = signed_in(&b, "kate@example.com", "kate-1").await;
    assert!(is_signed_in(&b, &on_b).await);
    assert_eq!(
        post_logout(&a, &logout_token("kate-1", json!({}))).await,
        (200, String::new())
    );
    // SPEC §7: every replica honours it within one second (at once when NOTIFY is on time).
    assert!(
        !within_a_second(|| is_signed_in(&b, &on_b), |signed_in| !*signed_in).await,
        "B refuses the session within a second"
    );
    drop((a, b, database));
}
