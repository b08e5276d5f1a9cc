//! SPEC §2, Metabase compatibility: IdPs that sign no `jti`, the same browser presenting a used token
//! again, JSON mode (`token=true`), JSON bodies, exp-only tokens.

use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::*;

async fn code_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (
        status,
        body["error"]["code"].as_str().unwrap_or("").to_owned(),
    )
}

/// Metabase's Node.js example signs `{email, first_name, last_name, exp}` and its library adds
/// `iat`: two logins in the same second give byte-identical tokens. Both must work (two tabs, a
/// double submit), each with its own session.
async fn byte_identical_tokens_without_jti_both_sign_in(server: Server) {
    server.configured(json!({})).await;
    let claims = json!({"email": "kate@example.com", "first_name": "Kate", "iat": now(), "exp": now() + 600});
    let first = token(&claims);
    let second = token(&claims);
    assert_eq!(first, second, "the IdP made the same bytes twice");
    let one = server.sso(&first, &[]).await;
    let two = server.sso(&second, &[]).await;
    assert_eq!((one.status().as_u16(), two.status().as_u16()), (302, 302));
    let (a, b) = (
        session_cookie(one.headers()).expect("first session"),
        session_cookie(two.headers()).expect("second session"),
    );
    assert_ne!(a, b, "each login has its own session");
    for cookie in [&a, &b] {
        let (status, me) = server.get_json(cookie, "/api/user/current").await;
        assert_eq!(
            (status, me["email"].as_str()),
            (200, Some("kate@example.com"))
        );
    }
}

/// `jwt_replay_protection: "all"` refuses every second use, jti or not.
async fn replay_protection_all_refuses_every_second_use(server: Server) {
    server
        .configured(json!({"jwt_replay_protection": "all"}))
        .await;
    let token = token(&claims("kate@example.com", json!({})));
    assert_eq!(server.sso(&token, &[]).await.status(), 302);
    assert_eq!(
        code_of(server.sso(&token, &[("response", "json")]).await).await,
        (401, "token_replayed".into())
    );
}

/// Refresh and Back on `/auth/sso?jwt=…`: a used token presented with the cookie it created is
/// answered as the first use was — same redirect, no new session — while any other replay is refused.
async fn the_same_browser_presenting_a_used_token_is_answered_as_the_first_use(server: Server) {
    let admin = server.configured(json!({})).await;
    let token = token(&claims("kate@example.com", json!({"jti": "refresh-me"})));
    let first = server.sso(&token, &[("return_to", "/dash")]).await;
    assert_eq!(first.status(), 302);
    let cookie = session_cookie(first.headers()).expect("session");

    let refresh = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", token.as_str()), ("return_to", "/dash")])
        .header("cookie", &cookie)
        .send()
        .await
        .expect("refresh");
    assert_eq!(refresh.status(), 302);
    assert_eq!(refresh.headers()[LOCATION], "/dash");
    assert!(
        refresh.headers().get(SET_COOKIE).is_none(),
        "no new session"
    );
    let json_refresh = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", token.as_str()), ("token", "true")])
        .header("cookie", &cookie)
        .send()
        .await
        .expect("json refresh");
    let body: Value = json_refresh.json().await.expect("json");
    assert_eq!(
        format!("lanyard.SESSION={}", body["id"].as_str().unwrap_or("")),
        cookie
    );

    // Another browser, or a cookie that is not the one this token made: refused.
    assert_eq!(
        code_of(server.sso(&token, &[("response", "json")]).await).await,
        (401, "token_replayed".into())
    );
    let other = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", token.as_str()), ("response", "json")])
        .header("cookie", &admin)
        .send()
        .await
        .expect("other cookie");
    assert_eq!(code_of(other).await, (401, "token_replayed".into()));

    // Once the session is signed out, the token is a plain replay again.
    assert_eq!(
        server
            .send(reqwest::Method::DELETE, &cookie, "/api/session", None)
            .await
            .0,
        204
    );
    let after = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", token.as_str()), ("response", "json")])
        .header("cookie", &cookie)
        .send()
        .await
        .expect("after sign-out");
    assert_eq!(code_of(after).await, (401, "token_replayed".into()));
}

/// Metabase's embedding SDK: `token=true` → `{id, exp, iat, expires_at}`; the same shape for
/// `Accept: application/json` and `response=json`.
async fn json_mode_answers_the_sdk_shape(server: Server) {
    server.configured(json!({})).await;
    let iat = now() - 5;
    for (i, extra) in [
        [("token", "true")].as_slice(),
        [("response", "json")].as_slice(),
    ]
    .into_iter()
    .enumerate()
    {
        let token =
            token(&json!({"email": format!("u{i}@example.com"), "iat": iat, "exp": iat + 300}));
        let response = server.sso(&token, extra).await;
        assert_eq!(response.status(), 200, "{extra:?}");
        let cookie = session_cookie(response.headers()).expect("cookie");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["iat"], iat);
        assert_eq!(body["exp"], iat + 300);
        assert!(body["expires_at"].as_i64().expect("expires_at") > now());
        assert_eq!(
            format!("lanyard.SESSION={}", body["id"].as_str().expect("id")),
            cookie
        );
        let mut keys: Vec<_> = body.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["exp", "expires_at", "iat", "id"]);
    }
    let exp_less = token(&json!({"email": "u3@example.com", "iat": iat}));
    let response = server
        .http
        .get(server.url("/auth/sso"))
        .query(&[("jwt", exp_less.as_str())])
        .header("accept", "application/json")
        .send()
        .await
        .expect("sso");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        (body["iat"].clone(), body["exp"].clone()),
        (json!(iat), Value::Null)
    );
}

/// `POST /auth/sso` with `{"jwt", "return_to"}` as JSON; repeated parameters are refused.
async fn a_json_body_is_accepted_and_repeats_are_refused(server: Server) {
    server.configured(json!({})).await;
    let token = token(&claims("kate@example.com", json!({})));
    let response = server
        .http
        .post(server.url("/auth/sso"))
        .json(&json!({"jwt": token, "return_to": "/dash"}))
        .send()
        .await
        .expect("sso");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()[LOCATION], "/dash");
    assert!(session_cookie(response.headers()).is_some());

    let twice = format!(r#"{{"jwt": "{token}", "jwt": "{token}"}}"#);
    let response = server
        .http
        .post(server.url("/auth/sso"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(twice)
        .send()
        .await
        .expect("sso");
    assert_eq!(code_of(response).await, (400, "duplicate_parameter".into()));
    let query_and_body = server
        .http
        .post(server.url("/auth/sso"))
        .query(&[("jwt", token.as_str())])
        .header("accept", "application/json")
        .json(&json!({"jwt": token}))
        .send()
        .await
        .expect("sso");
    assert_eq!(
        code_of(query_and_body).await,
        (400, "duplicate_parameter".into())
    );
}

/// Metabase's Clojure example signs exp-only tokens with exactly now + 600: accepted up to 600 s +
/// skew ahead, refused beyond.
async fn exp_only_tokens_are_accepted_up_to_600_seconds_plus_skew(server: Server) {
    server.configured(json!({})).await;
    let ahead = |seconds: i64, email: &str| token(&json!({"email": email, "exp": now() + seconds}));
    assert_eq!(
        server.sso(&ahead(600, "a@example.com"), &[]).await.status(),
        302
    );
    assert_eq!(
        server.sso(&ahead(620, "b@example.com"), &[]).await.status(),
        302
    );
    assert_eq!(
        code_of(
            server
                .sso(&ahead(700, "c@example.com"), &[("response", "json")])
                .await
        )
        .await,
        (400, "exp_too_far".into())
    );
}

on_both_backends!(
    byte_identical_tokens_without_jti_both_sign_in,
    replay_protection_all_refuses_every_second_use,
    the_same_browser_presenting_a_used_token_is_answered_as_the_first_use,
    json_mode_answers_the_sdk_shape,
    a_json_body_is_accepted_and_repeats_are_refused,
    exp_only_tokens_are_accepted_up_to_600_seconds_plus_skew,
);
