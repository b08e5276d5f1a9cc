//! SPEC §14 over HTTP against a real OpenID Provider (`oidc-provider`, see `oidc_op`): each client
//! authentication and signing algorithm, claims in the ID token or only at userinfo, nested group
//! claims, the identity rules, and the refusals: a reused state, another browser's state, a mixed-up
//! issuer, the IdP's own error. The hostile ID tokens a real OP never issues (wrong nonce or
//! audience, expired, an unknown key) and a token endpoint that fails or hangs come from a small
//! provider of the test's own (`hostile`).

use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::*;
use lanyard_e2e::oidc_op::{op, op_browser, sign_in_at_op};

/// A provider entry for the real OP's `client` (`basic`, `post` or `public`).
pub fn provider(issuer: &str, slug: &str, client: &str) -> Value {
    let (auth, secret) = match client {
        "basic" => ("client_secret_basic", Some("basic-secret")),
        "post" => ("client_secret_post", Some("post-secret")),
        _ => ("none", None),
    };
    let mut entry = json!({
        "slug": slug,
        "name": format!("Test OP ({client})"),
        "issuer": issuer,
        "client_id": client,
        "token_endpoint_auth": auth,
        "scopes": "openid email profile groups",
    });
    if let Some(secret) = secret {
        entry["client_secret"] = secret.into();
    }
    entry
}

/// The admin, with `providers` saved (and password login on).
pub async fn with_providers(server: &Server, providers: Value) -> String {
    let admin = server.setup_admin().await;
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"oidc_providers": providers}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    admin
}

/// `GET /auth/oidc/{slug}`: the provider's authorization URL and the browser-binding cookie.
pub async fn start(server: &Server, slug: &str, return_to: &str) -> (String, String) {
    let response = server
        .http
        .get(server.url(&format!("/auth/oidc/{slug}")))
        .query(&[("return_to", return_to)])
        .send()
        .await
        .expect("start");
    assert_eq!(response.status(), 302, "start");
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let cookie = response.headers()[SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let binding = cookie.split(';').next().expect("name=value").to_owned();
    (location, binding)
}

/// Lanyard's callback, with the binding cookie, asking for JSON errors.
pub async fn callback(server: &Server, url: &str, binding: &str) -> reqwest::Response {
    server
        .http
        .get(url)
        .header(COOKIE, binding)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("callback")
}

/// Signs in through `slug` as `login`: the callback's answer.
pub async fn sign_in(server: &Server, slug: &str, login: &str) -> reqwest::Response {
    let (authorize, binding) = start(server, slug, "/after").await;
    let back = sign_in_at_op(&op_browser(), &authorize, login).await;
    assert!(back.starts_with(&server.base), "{back}");
    callback(server, &back, &binding).await
}

/// The session a successful sign-in set, after checking it went to `return_to`.
pub async fn signed_in(response: reqwest::Response) -> String {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, 302, "{body}");
    assert_eq!(headers[LOCATION], "/after");
    session_cookie(&headers).expect("a session")
}

async fn refused(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert!(session_cookie(response.headers()).is_none(), "no session");
    let body: Value = response.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], code, "{body}");
    body
}

async fn each_client_kind_and_algorithm_signs_in(server: Server) {
    let Some(op) = op() else { return };
    let issuer = &op.id_token_claims;
    let admin = with_providers(
        &server,
        json!([
            provider(issuer, "rsa", "basic"),
            provider(issuer, "ec", "post"),
            provider(issuer, "ed", "public"),
        ]),
    )
    .await;
    for (slug, login) in [("rsa", "ada"), ("ec", "grace"), ("ed", "linus")] {
        let session = signed_in(sign_in(&server, slug, login).await).await;
        let (status, me) = server.get_json(&session, "/api/user/current").await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(
            me["email"],
            format!("{login}@example.test").replace("linus@", "linus@")
        );
        assert_eq!(me["sso_source"], format!("oidc:{slug}"));
        assert!(me["login_attributes"].get("nonce").is_none(), "{me}");
    }
    let (_, ada) = server
        .get_json(&admin, "/api/audit?event=sso_login&limit=10")
        .await;
    let sources: Vec<&str> = ada["data"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["source"].as_str())
        .collect();
    for slug in ["rsa", "ec", "ed"] {
        assert!(
            sources.contains(&format!("oidc:{slug}").as_str()),
            "{sources:?}"
        );
    }
    let metrics = server.get_text("/metrics").await.1;
    assert!(
        metrics.contains("lanyard_oidc_logins_total{provider=\"rsa\",outcome=\"success\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("lanyard_oidc_token_endpoint_duration_seconds_count{provider=\"ed\"} 1")
    );
}

async fn claims_only_at_userinfo_are_asked_for(server: Server) {
    let Some(op) = op() else { return };
    with_providers(
        &server,
        json!([provider(&op.userinfo_claims, "plain", "basic")]),
    )
    .await;
    let session = signed_in(sign_in(&server, "plain", "ada").await).await;
    let (_, me) = server.get_json(&session, "/api/user/current").await;
    assert_eq!(me["email"], "ada@example.test");
    assert_eq!(me["first_name"], "Ada");
    assert_eq!(me["last_name"], "Lovelace");
}

async fn a_nested_groups_claim_syncs_the_mapped_groups(server: Server) {
    let Some(op) = op() else { return };
    let admin = server.setup_admin().await;
    let (_, group) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Analysts"}),
        )
        .await;
    let id = group["id"].as_i64().expect("group id");
    let mut entry = provider(&op.id_token_claims, "kc", "basic");
    entry["group_sync"] = true.into();
    entry["attribute_groups"] = "/realm_access/roles".into();
    entry["group_mappings"] = json!({"analyst": [id]});
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"oidc_providers": [entry]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let session = signed_in(sign_in(&server, "kc", "grace").await).await;
    let (_, me) = server.get_json(&session, "/api/user/current").await;
    assert!(
        me["group_names"]
            .as_array()
            .expect("groups")
            .contains(&json!("Analysts")),
        "{me}"
    );
}

async fn a_state_is_used_once_and_only_by_the_browser_that_started(server: Server) {
    let Some(op) = op() else { return };
    with_providers(
        &server,
        json!([provider(&op.id_token_claims, "op", "basic")]),
    )
    .await;
    // Another browser's binding cookie: refused, and the state is gone after that too.
    let (authorize, binding) = start(&server, "op", "/after").await;
    let back = sign_in_at_op(&op_browser(), &authorize, "ada").await;
    let (_, someone_else) = start(&server, "op", "/after").await;
    refused(
        callback(&server, &back, &someone_else).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    refused(
        callback(&server, &back, &binding).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    // Used once: the same answer again is refused.
    let (authorize, binding) = start(&server, "op", "/after").await;
    let back = sign_in_at_op(&op_browser(), &authorize, "ada").await;
    signed_in(callback(&server, &back, &binding).await).await;
    refused(
        callback(&server, &back, &binding).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    // No cookie at all, or no state.
    let no_cookie = server
        .http
        .get(&back)
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("callback");
    refused(no_cookie, 400, "oidc_state_invalid").await;
    let bare = server.url("/auth/oidc/op/callback?code=x");
    refused(
        callback(&server, &bare, &binding).await,
        400,
        "oidc_state_invalid",
    )
    .await;
}

async fn an_answer_from_another_issuer_is_a_mix_up(server: Server) {
    let Some(op) = op() else { return };
    with_providers(
        &server,
        json!([provider(&op.id_token_claims, "op", "basic")]),
    )
    .await;
    let (authorize, binding) = start(&server, "op", "/after").await;
    let back = sign_in_at_op(&op_browser(), &authorize, "ada").await;
    let mut url = url::Url::parse(&back).expect("callback URL");
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let value = if k == "iss" {
                op.userinfo_claims.clone()
            } else {
                v.into_owned()
            };
            (k.into_owned(), value)
        })
        .collect();
    assert!(
        pairs.iter().any(|(k, _)| k == "iss"),
        "oidc-provider sends iss (RFC 9207)"
    );
    url.query_pairs_mut().clear().extend_pairs(&pairs);
    refused(
        callback(&server, url.as_str(), &binding).await,
        400,
        "oidc_issuer_mismatch",
    )
    .await;
}

async fn the_idps_error_is_shown_as_text_and_audited(server: Server) {
    let Some(op) = op() else { return };
    let admin = with_providers(
        &server,
        json!([provider(&op.id_token_claims, "op", "basic")]),
    )
    .await;
    let (authorize, binding) = start(&server, "op", "/after").await;
    let state = url::Url::parse(&authorize)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("state");
    let url = format!(
        "{}?error=access_denied&error_description=%3Cb%3EUser%20cancelled%3C%2Fb%3E&state={state}",
        server.url("/auth/oidc/op/callback")
    );
    let body = refused(
        callback(&server, &url, &binding).await,
        403,
        "oidc_idp_error",
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("access_denied: <b>User cancelled</b>"),
        "{body}"
    );
    // As a page, the description is text, never markup.
    let page = server
        .http
        .get(&url)
        .header(COOKIE, &binding)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 403);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("&lt;b&gt;User cancelled&lt;/b&gt;") && !html.contains("<b>User"),
        "{html}"
    );
    let (_, audit) = server
        .get_json(&admin, "/api/audit?event=sso_login_failed&limit=5")
        .await;
    assert_eq!(audit["data"][0]["source"], "oidc:op", "{audit}");
}

async fn identities_link_by_subject_then_by_verified_email(server: Server) {
    let Some(op) = op() else { return };
    let admin = with_providers(
        &server,
        json!([provider(&op.id_token_claims, "op", "basic")]),
    )
    .await;
    for email in ["taken@example.test", "owner@example.test"] {
        let (status, body) = server
            .post_json(
                &admin,
                "/api/user",
                &json!({"email": email, "password": "a long enough password"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    // Tests share the OP: each uses subs of its own.
    let [kate, owner, other] = ["kate", "owner", "other"].map(unique_sub);
    // A new person; then the provider changes their email: the same account follows.
    let first_email = format!("{kate}@example.test");
    op.set_person(&kate, &first_email, true).await;
    let first = signed_in(sign_in(&server, "op", &kate).await).await;
    let (_, before) = server.get_json(&first, "/api/user/current").await;
    let new_email = format!("{kate}.new@example.test");
    op.set_person(&kate, &new_email, true).await;
    let moved = signed_in(sign_in(&server, "op", &kate).await).await;
    let (_, moved) = server.get_json(&moved, "/api/user/current").await;
    assert_eq!(moved["id"], before["id"]);
    assert_eq!(moved["email"], new_email.as_str());
    // An email another account holds is not taken over by a new one of this sub.
    op.set_person(&kate, "taken@example.test", true).await;
    refused(sign_in(&server, "op", &kate).await, 409, "oidc_email_taken").await;
    // An unverified email never links an existing (password) account…
    refused(
        sign_in(&server, "op", "mallory").await,
        403,
        "oidc_email_unverified",
    )
    .await;
    // …a verified one does, and from then on the sub finds it.
    op.set_person(&owner, "owner@example.test", true).await;
    let linked = signed_in(sign_in(&server, "op", &owner).await).await;
    let (_, account) = server.get_json(&linked, "/api/user/current").await;
    assert_eq!(account["email"], "owner@example.test");
    assert_eq!(account["sso_source"], "oidc:op");
    // Another sub of the same issuer cannot claim an account already linked to someone.
    op.set_person(&other, "owner@example.test", true).await;
    refused(
        sign_in(&server, "op", &other).await,
        409,
        "oidc_email_taken",
    )
    .await;
}

/// A `sub` no other test uses.
fn unique_sub(name: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{name}-{n}")
}

async fn trusting_unverified_emails_is_the_admins_choice(server: Server) {
    let Some(op) = op() else { return };
    let mut entry = provider(&op.id_token_claims, "op", "basic");
    entry["trust_unverified_email"] = true.into();
    let admin = with_providers(&server, json!([entry])).await;
    let (status, _) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "owner@example.test", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, 201);
    signed_in(sign_in(&server, "op", "mallory").await).await;
}

async fn discovery_is_checked_on_save_and_shown_to_the_admin(server: Server) {
    let Some(op) = op() else { return };
    let admin = server.setup_admin().await;
    let (status, found) = server
        .post_json(
            &admin,
            "/api/setting/oidc/discover",
            &json!({"issuer": op.id_token_claims}),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["issuer"], op.id_token_claims.as_str());
    assert!(
        found["id_token_signing_alg_values_supported"]
            .as_array()
            .expect("algs")
            .contains(&json!("EdDSA"))
    );
    // A trailing slash is another issuer: discovery says so, and the save is refused.
    let slashed = format!("{}/", op.id_token_claims);
    let (status, body) = server
        .post_json(
            &admin,
            "/api/setting/oidc/discover",
            &json!({"issuer": slashed}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"oidc_providers": [provider(&slashed, "op", "basic")]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["fields"][0]["field"], "oidc_providers.0.issuer",
        "{body}"
    );
    // The client secret is write-only: masked in the view, kept when sent back masked.
    let (status, saved) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"oidc_providers": [provider(&op.id_token_claims, "op", "basic")]}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let view = &saved["oidc_providers"][0];
    assert_eq!(view["client_secret_set"], true);
    assert!(!saved.to_string().contains("basic-secret"), "{saved}");
    let mut again = provider(&op.id_token_claims, "op", "basic");
    again["client_secret"] = view["client_secret_hint"].clone();
    let (status, _) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"oidc_providers": [again]}),
        )
        .await;
    assert_eq!(status, 200);
    signed_in(sign_in(&server, "op", "ada").await).await;
    let (_, audit) = server
        .get_json(&admin, "/api/audit?event=settings_changed&limit=5")
        .await;
    assert!(!audit.to_string().contains("basic-secret"), "{audit}");
}

async fn signing_out_continues_at_the_provider_and_its_logout_ends_sessions(server: Server) {
    let Some(op) = op() else { return };
    let issuer = &op.id_token_claims;
    with_providers(&server, json!([provider(issuer, "op", "basic")])).await;
    // RP-initiated logout: the provider's end_session_endpoint with the ID token as the hint.
    let session = signed_in(sign_in(&server, "op", "ada").await).await;
    let (status, out) = server
        .send(reqwest::Method::DELETE, &session, "/api/session", None)
        .await;
    assert_eq!(status, 200, "{out}");
    let url = url::Url::parse(out["logout_url"].as_str().expect("logout_url")).expect("URL");
    assert!(
        url.as_str().starts_with(&format!("{issuer}/session/end")),
        "{url}"
    );
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "basic");
    assert_eq!(
        query["post_logout_redirect_uri"],
        format!("{}/", server.base)
    );
    assert_eq!(query["id_token_hint"].split('.').count(), 3);
    // Back-channel logout by sub: both of ada's sessions from this provider end, grace's stays.
    let first = signed_in(sign_in(&server, "op", "ada").await).await;
    let second = signed_in(sign_in(&server, "op", "ada").await).await;
    let grace = signed_in(sign_in(&server, "op", "grace").await).await;
    let token = lanyard_e2e::oidc_op::Op::logout_token(issuer, "basic", Some("ada"), None).await;
    let post = |token: String| {
        let server = &server;
        async move {
            server
                .http
                .post(server.url("/auth/oidc/op/backchannel-logout"))
                .form(&[("logout_token", token)])
                .send()
                .await
                .expect("logout")
        }
    };
    assert_eq!(post(token.clone()).await.status(), 200);
    for ended in [&first, &second] {
        assert_eq!(server.get_json(ended, "/api/user/current").await.0, 401);
    }
    assert_eq!(server.get_json(&grace, "/api/user/current").await.0, 200);
    // The same token again is a replay; another client's token, or another issuer's, is refused.
    assert_eq!(post(token).await.status(), 400);
    let other_client =
        lanyard_e2e::oidc_op::Op::logout_token(issuer, "post", Some("grace"), None).await;
    assert_eq!(post(other_client).await.status(), 400);
    let other_issuer =
        lanyard_e2e::oidc_op::Op::logout_token(&op.userinfo_claims, "basic", Some("grace"), None)
            .await;
    assert_eq!(post(other_issuer).await.status(), 400);
    assert_eq!(server.get_json(&grace, "/api/user/current").await.0, 200);
}

async fn the_sign_in_page_lists_providers_and_goes_straight_to_the_only_method(server: Server) {
    let Some(op) = op() else { return };
    let admin = with_providers(
        &server,
        json!([provider(&op.id_token_claims, "okta", "basic")]),
    )
    .await;
    let (_, properties) = server.get_json("", "/api/session/properties").await;
    assert_eq!(
        properties["oidc_providers"],
        json!([{"slug": "okta", "name": "Test OP (basic)", "url": "/auth/oidc/okta"}])
    );
    assert_eq!(
        properties["straight_to"],
        Value::Null,
        "password login is on"
    );
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/enable-password-login",
            &json!({"value": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, properties) = server.get_json("", "/api/session/properties").await;
    assert_eq!(properties["straight_to"], "/auth/oidc/okta");
    assert_eq!(properties["password_login_enabled"], false);
    // Forward auth sends a stranger to the same place.
    let forwarded = [
        ("x-forwarded-proto", "http"),
        (
            "x-forwarded-host",
            server.base.trim_start_matches("http://"),
        ),
        ("x-forwarded-uri", "/app"),
        ("accept", "text/html"),
    ];
    let response = server.verify("", &forwarded).await;
    let location = response
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap_or_default().to_owned());
    assert!(
        location
            .as_deref()
            .is_some_and(|l| l.contains("/auth/oidc/okta?return_to=")),
        "{:?} {location:?}",
        response.status()
    );
}

async fn a_test_sign_in_reports_and_signs_nobody_in(server: Server) {
    let Some(op) = op() else { return };
    let mut entry = provider(&op.id_token_claims, "op", "basic");
    entry["group_sync"] = true.into();
    let admin = with_providers(&server, json!([entry])).await;
    // Only an administrator may run one.
    let stranger = server
        .http
        .get(server.url("/auth/oidc/op?test=true"))
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("start");
    assert_eq!(stranger.status(), 401);
    let response = server
        .http
        .get(server.url("/auth/oidc/op?test=true"))
        .header(COOKIE, &admin)
        .send()
        .await
        .expect("start");
    assert_eq!(response.status(), 302);
    let authorize = response.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let binding = response.headers()[SET_COOKIE]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("cookie")
        .to_owned();
    let back = sign_in_at_op(&op_browser(), &authorize, "ada").await;
    let answer = callback(&server, &back, &binding).await;
    assert_eq!(answer.status(), 302);
    assert!(session_cookie(answer.headers()).is_none(), "no session");
    let location = answer.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let (page, fragment) = location.split_once('#').expect("a fragment");
    assert_eq!(page, "/admin/settings/authentication/oidc/test");
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(fragment)
        .expect("base64url");
    let report: lanyard_api::OidcTestResult = serde_json::from_slice(&json).expect("a report");
    assert!(report.accepted, "{report:?}");
    assert_eq!(report.claims["email"], "ada@example.test");
    assert_eq!(
        report.profile.as_ref().map(|p| p.email.as_str()),
        Some("ada@example.test")
    );
    assert_eq!(report.account.as_deref(), Some("a new user, created now"));
    assert!(report.groups.is_some());
    let (_, people) = server.get_json(&admin, "/api/user?query=ada").await;
    assert_eq!(people["total"], 0, "nobody was created: {people}");
}

/// `make run`'s demo IdP speaks OpenID Connect too: discovery, its form at the authorization
/// endpoint, the token endpoint (client secret, PKCE), userinfo and its JWK Set.
async fn the_demo_idp_signs_in_over_openid_connect(server: Server) {
    let issuer = server.url("/demo-idp");
    let admin = with_providers(
        &server,
        json!([{"slug": "demo", "name": "Demo IdP", "issuer": issuer, "client_id": "lanyard-demo",
                "client_secret": "demo-secret", "scopes": "openid email profile groups",
                "group_sync": true}]),
    )
    .await;
    let (authorize, binding) = start(&server, "demo", "/after").await;
    assert!(
        authorize.starts_with(&format!("{issuer}/authorize?")),
        "{authorize}"
    );
    let form = server
        .http
        .get(&authorize)
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("page");
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = form.find(&marker).expect(name) + marker.len();
        form[start..start + form[start..].find('"').expect("end")].to_owned()
    };
    let approved = server
        .http
        .post(server.url("/demo-idp/authorize"))
        .form(&[
            ("email", "kate@example.com"),
            ("given_name", "Kate"),
            ("family_name", "Bell"),
            ("groups", "sales"),
            ("redirect_uri", &hidden("redirect_uri")),
            ("state", &hidden("state")),
            ("nonce", &hidden("nonce")),
            ("code_challenge", &hidden("code_challenge")),
        ])
        .send()
        .await
        .expect("approve");
    assert_eq!(approved.status(), 302);
    let back = approved.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let session = signed_in(callback(&server, &back, &binding).await).await;
    let (_, me) = server.get_json(&session, "/api/user/current").await;
    assert_eq!(me["email"], "kate@example.com");
    assert_eq!(me["last_name"], "Bell");
    assert_eq!(me["sso_source"], "oidc:demo");
    // The code was used once.
    refused(
        callback(&server, &back, &binding).await,
        400,
        "oidc_state_invalid",
    )
    .await;
    drop(admin);
}

/// A provider's mappings through the mappings modal's endpoints (SPEC §6, §10, §14): the preview and
/// `apply_now` reach that provider's users only.
async fn a_providers_mappings_are_previewed_and_applied_to_its_users(server: Server) {
    let Some(op) = op() else { return };
    let admin = server.setup_admin().await;
    let (_, group) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Engineering"}),
        )
        .await;
    let id = group["id"].as_i64().expect("group id");
    let mut entry = provider(&op.id_token_claims, "op", "basic");
    entry["group_sync"] = true.into();
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/jwt",
            &json!({"oidc_providers": [entry]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let grace = signed_in(sign_in(&server, "op", "grace").await).await;
    let mappings = json!({"engineering": [id]});
    let (status, impact) = server
        .post_json(
            &admin,
            "/api/setting/jwt/mappings/preview",
            &json!({"mappings": mappings, "provider": "op"}),
        )
        .await;
    assert_eq!(status, 200, "{impact}");
    assert_eq!(
        impact["users"].as_array().map(Vec::len),
        Some(1),
        "{impact}"
    );
    let (_, jwt_impact) = server
        .post_json(
            &admin,
            "/api/setting/jwt/mappings/preview",
            &json!({"mappings": mappings}),
        )
        .await;
    assert_eq!(
        jwt_impact["users"],
        json!([]),
        "JWT's mappings reach no OIDC user: {jwt_impact}"
    );
    let (_, view) = server.get_json(&admin, "/api/setting/jwt").await;
    let (status, saved) = server
        .put_json(&admin, "/api/setting/jwt/mappings", &json!({
            "mappings": mappings, "provider": "op", "apply_now": true, "version": view["version"],
        }))
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["oidc_providers"][0]["group_mappings"], mappings);
    assert_eq!(
        saved["oidc_providers"][0]["client_secret_set"], true,
        "the secret is kept"
    );
    assert_eq!(saved["jwt_group_mappings"], json!({}));
    let (_, me) = server.get_json(&grace, "/api/user/current").await;
    assert!(
        me["group_names"]
            .as_array()
            .expect("groups")
            .contains(&json!("Engineering")),
        "{me}"
    );
    let (status, _) = server
        .post_json(
            &admin,
            "/api/setting/jwt/mappings/preview",
            &json!({"mappings": {}, "provider": "nope"}),
        )
        .await;
    assert_eq!(status, 404);
}

/// A slug nobody configured never becomes an audit entry's source (schemathesis found
/// `oidc:\u{ec}` in the log): the refusal is audited without one.
async fn an_unknown_slug_is_never_an_audit_source(server: Server) {
    let admin = server.setup_admin().await;
    let logout = server
        .http
        .post(server.url("/auth/oidc/%C3%AC/backchannel-logout"))
        .form(&[("logout_token", "x.y.z")])
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), 400);
    let callback = server
        .http
        .get(server.url("/auth/oidc/nope/callback?state=x&code=y"))
        .header(ACCEPT, "application/json")
        .send()
        .await
        .expect("callback");
    assert_eq!(callback.status(), 404);
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=50").await;
    let entries = audit["data"].as_array().expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e["event"] == "backchannel_logout_failed"),
        "{audit}"
    );
    assert!(entries.iter().all(|e| e["source"].is_null()), "{audit}");
}

on_both_backends!(
    an_unknown_slug_is_never_an_audit_source,
    a_providers_mappings_are_previewed_and_applied_to_its_users,
    the_demo_idp_signs_in_over_openid_connect,
    a_test_sign_in_reports_and_signs_nobody_in,
    signing_out_continues_at_the_provider_and_its_logout_ends_sessions,
    the_sign_in_page_lists_providers_and_goes_straight_to_the_only_method,
    each_client_kind_and_algorithm_signs_in,
    claims_only_at_userinfo_are_asked_for,
    a_nested_groups_claim_syncs_the_mapped_groups,
    a_state_is_used_once_and_only_by_the_browser_that_started,
    an_answer_from_another_issuer_is_a_mix_up,
    the_idps_error_is_shown_as_text_and_audited,
    identities_link_by_subject_then_by_verified_email,
    trusting_unverified_emails_is_the_admins_choice,
    discovery_is_checked_on_save_and_shown_to_the_admin,
);
