//! SPEC §7: several replicas on one PostgreSQL behave as one. Runs when LANYARD_TEST_POSTGRES_URL is
//! set (`make test` sets it when a server answers on 127.0.0.1:5432); otherwise says it was skipped.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::Executor;

use crate::support::*;

/// A fresh database on the test server, dropped at the end.
struct TempDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TempDatabase {
    async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var("LANYARD_TEST_POSTGRES_URL") else {
            eprintln!("skipped: LANYARD_TEST_POSTGRES_URL is not set");
            return None;
        };
        sqlx::any::install_default_drivers();
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("time")
            .as_nanos();
        let name = format!("lanyard_test_{}_{unique}", std::process::id());
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin_url)
            .await
            .expect("PostgreSQL answers");
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create database");
        let mut url = url::Url::parse(&admin_url).expect("url");
        url.set_path(&name);
        Some(Self {
            admin_url,
            name,
            url: url.into(),
        })
    }

    async fn drop_now(self) {
        if let Ok(mut conn) =
            <sqlx::AnyConnection as sqlx::Connection>::connect(&self.admin_url).await
        {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                )))
                .await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgresql_behave_as_one() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone(), None).await;
    let b = Server::start(database.url.clone(), None).await;

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
    let token = token(&claims("kate@example.com", json!({})));
    assert_eq!(a.sso(&token, &[]).await.status(), 302);
    let replay = b.sso(&token, &[]).await;
    assert_eq!(replay.status(), 401);

    drop((a, b));
    database.drop_now().await;
}

#[tokio::test]
async fn the_sso_flow_runs_on_postgresql() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    {
        let server = Server::start(database.url.clone(), None).await;
        server.configured(json!({"jwt_group_sync": true})).await;
        let response = server
            .sso(
                &token(&claims(
                    "Kate@Example.com",
                    json!({"groups": ["x"], "team": "core"}),
                )),
                &[],
            )
            .await;
        let cookie = session_cookie(response.headers()).expect("signed in");
        let (_, me) = server.get_json(&cookie, "/api/user/current").await;
        assert_eq!(
            (me["email"].as_str(), &me["login_attributes"]),
            (Some("kate@example.com"), &json!({"team": "core"}))
        );
    }
    database.drop_now().await;
}
