//! SPEC §7: several replicas on one PostgreSQL behave as one. (Every storage test also runs on
//! PostgreSQL alone: see `on_both_backends!`.) Runs when LANYARD_TEST_POSTGRES_URL is
//! set (`make test` sets it when a server answers on 127.0.0.1:5432); otherwise says it was skipped.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgresql_behave_as_one() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;

    // Settings saved on A apply on B within a second.
    let admin_on_a = a.configured(json!({})).await;
    let started = Instant::now();
    loop {
        let (_, properties) = b.get_json("", "/api/session/properties").await;
        if properties["sso_enabled"] == true {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "B did not see A's settings within a second"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A session made on A is valid on B.
    let (status, me) = b.get_json(&admin_on_a, "/api/user/current").await;
    assert_eq!((status, me["email"].as_str()), (200, Some(ADMIN_EMAIL)));

    // A token used on A is refused by B.
    let token = token(&claims("kate@example.com", json!({"jti": "kate-1"})));
    assert_eq!(a.sso(&token, &[]).await.status(), 302);
    let replay = b.sso(&token, &[]).await;
    assert_eq!(replay.status(), 401);

    // The servers stop before their database is dropped.
    drop((a, b, database));
}

/// Each replica caches signed-in users (issue 15); a change on A reaches B's cache before B's
/// very next request: sign-out, deactivation, and new groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_replica_is_seen_by_the_others_very_next_request() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;
    let admin = a.configured(json!({})).await;
    let sign_in = |email: &'static str, jti: &'static str| {
        let a = &a;
        async move {
            let token = token(&claims(email, json!({"jti": jti})));
            let response = a.sso(&token, &[]).await;
            assert_eq!(response.status(), 302);
            session_cookie(response.headers()).expect("a session")
        }
    };
    // Twice on B: the second answer comes from B's cache.
    let kate = sign_in("kate@example.com", "kate-1").await;
    for _ in 0..2 {
        assert_eq!(b.get_json(&kate, "/api/user/current").await.0, 200);
    }
    let (status, _) = a
        .send(reqwest::Method::DELETE, &kate, "/api/session", None)
        .await;
    assert_eq!(status, 204, "Kate signs out on A");
    // SPEC §7: every replica honours the change within one second (usually at once, through
    // NOTIFY; a busy machine may deliver it late, so the test polls up to the bound, never racing).
    assert_eq!(
        within_a_second(
            || b.get_json(&kate, "/api/user/current"),
            |(status, _)| *status == 401
        )
        .await
        .0,
        401,
        "B refuses the ended session within a second"
    );

    let bob = sign_in("bob@example.com", "bob-1").await;
    let (_, me) = b.get_json(&bob, "/api/user/current").await;
    let id = me["id"].as_i64().expect("id");
    assert_eq!(b.get_json(&bob, "/api/user/current").await.0, 200);
    let (_, group) = a
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let (status, _) = a
        .put_json(
            &admin,
            &format!("/api/user/{id}"),
            &json!({"group_ids": [1, group["id"]]}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, me) = within_a_second(
        || b.get_json(&bob, "/api/user/current"),
        |(_, me)| me["group_ids"] == json!([1, group["id"]]),
    )
    .await;
    assert_eq!(
        (&me["group_ids"], &me["group_names"]),
        (&json!([1, group["id"]]), &json!(["All Users", "Finance"])),
        "B shows Bob's new group within a second: {me}"
    );
    let (status, _) = a
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/user/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "Bob is deactivated on A");
    assert_eq!(
        within_a_second(
            || b.get_json(&bob, "/api/user/current"),
            |(status, _)| *status == 401
        )
        .await
        .0,
        401,
        "B refuses the deactivated user within a second"
    );
    drop((a, b, database));
}

/// SPEC §14: an OpenID Connect sign-in started on one replica finishes on another (the request's
/// state, nonce and verifier are stored, not kept in memory), and its state is still one use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oidc_sign_in_started_on_one_replica_finishes_on_another() {
    let Some(op) = lanyard_e2e::oidc_op::op() else {
        return;
    };
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;
    // Behind one load balancer both replicas answer at one site URL: A's here.
    let mut providers = json!([crate::oidc::provider(&op.id_token_claims, "op", "basic")]);
    let admin = crate::oidc::with_providers(&a, providers.take()).await;
    let (status, body) = a
        .put_json(&admin, "/api/setting/jwt", &json!({"site_url": a.base}))
        .await;
    assert_eq!(status, 200, "{body}");
    let b_sees = within_a_second(
        || b.get_json("", "/api/session/properties"),
        |(_, properties)| properties["oidc_providers"][0]["slug"] == "op",
    )
    .await;
    assert_eq!(b_sees.1["oidc_providers"][0]["slug"], "op", "{}", b_sees.1);

    let (authorize, binding) = crate::oidc::start(&a, "op", "/after").await;
    let back =
        lanyard_e2e::oidc_op::sign_in_at_op(&lanyard_e2e::oidc_op::op_browser(), &authorize, "ada")
            .await;
    let on_b = back.replacen(&a.base, &b.base, 1);
    assert_ne!(on_b, back, "the callback goes to B");
    let session = crate::oidc::signed_in(crate::oidc::callback(&b, &on_b, &binding).await).await;
    assert_eq!(a.get_json(&session, "/api/user/current").await.0, 200);
    // Used on B, refused on A.
    let again = crate::oidc::callback(&a, &back, &binding).await;
    assert_eq!(again.status(), 400);
    drop((a, b, database));
}
