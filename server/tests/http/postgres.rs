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
