//! SPEC §3 and §11 over HTTP: "Your sessions" (last use, address, browser, this one marked), ending
//! one, all others, or — as an admin — all of a user's; password changes and deactivation ending
//! sessions; the idle timeout; and an admin's revocation on one replica refused by the other.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

/// Signs in with the admin's password from a browser called `agent`; the cookie.
async fn password_session(server: &Server, email: &str, password: &str, agent: &str) -> String {
    let response = server
        .http
        .post(server.url("/api/session"))
        .header("user-agent", agent)
        .json(&json!({"username": email, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200, "{email}");
    session_cookie(response.headers()).expect("cookie")
}

async fn sessions(server: &Server, cookie: &str, agent: &str) -> Vec<Value> {
    let response = server
        .http
        .get(server.url("/api/session/list"))
        .header("cookie", cookie)
        .header("user-agent", agent)
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

async fn works(server: &Server, cookie: &str) -> bool {
    server.get_json(cookie, "/api/user/current").await.0 == 200
}

async fn your_sessions_are_listed_and_can_be_ended(server: Server) {
    let laptop = server.setup_admin().await;
    let phone = password_session(&server, ADMIN_EMAIL, ADMIN_PASSWORD, "Phone/1.0").await;
    let tablet = password_session(&server, ADMIN_EMAIL, ADMIN_PASSWORD, "Tablet/2.0").await;
    // The tablet's next request records its browser and address.
    assert_eq!(sessions(&server, &tablet, "Tablet/2.0").await.len(), 3);
    let list = sessions(&server, &phone, "Phone/1.0").await;
    assert_eq!(list.len(), 3, "{list:?}");
    let current: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Phone/1.0");
    assert_eq!(current[0]["client_ip"], "127.0.0.1");
    assert!(current[0]["last_seen"].is_string());
    let tablet_id = list
        .iter()
        .find(|s| s["user_agent"] == "Tablet/2.0")
        .map(|s| s["id"].as_str().expect("id").to_owned())
        .expect("the tablet");
    assert!(
        !list.iter().any(|s| s.to_string().contains(&tablet[16..])),
        "no token shown"
    );

    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &phone,
            &format!("/api/session/list/{tablet_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(!works(&server, &tablet).await);
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &phone,
            "/api/session/list/not-a-session",
            None,
        )
        .await;
    assert_eq!(status, 404);
    let this_one = list
        .iter()
        .find(|s| s["current"] == true)
        .and_then(|s| s["id"].as_str())
        .expect("this session");
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &phone,
            &format!("/api/session/list/{this_one}"),
            None,
        )
        .await;
    assert_eq!(status, 400, "sign out of this one with DELETE /api/session");

    let (status, body) = server
        .send(reqwest::Method::DELETE, &phone, "/api/session/list", None)
        .await;
    assert_eq!((status, body), (200, json!({"sessions_ended": 1})));
    assert!(!works(&server, &laptop).await, "others ended");
    assert!(works(&server, &phone).await, "this one stays");
}

async fn an_admin_signs_a_user_out_everywhere_and_deactivation_ends_sessions(server: Server) {
    let admin = server.configured(json!({})).await;
    let sso = |email: &str| token(&claims(email, json!({})));
    let kate =
        session_cookie(server.sso(&sso("kate@example.com"), &[]).await.headers()).expect("kate");
    let kate_too =
        session_cookie(server.sso(&sso("kate@example.com"), &[]).await.headers()).expect("kate");
    let (_, me) = server.get_json(&kate, "/api/user/current").await;
    let id = me["id"].as_i64().expect("id");

    // Not for non-admins.
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &kate,
            &format!("/api/user/{id}/sessions"),
            None,
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/user/{id}/sessions"),
            None,
        )
        .await;
    assert_eq!((status, body), (200, json!({"sessions_ended": 2})));
    assert!(!works(&server, &kate).await && !works(&server, &kate_too).await);

    // Deactivation ends sessions for good: reactivating does not bring them back.
    let kate =
        session_cookie(server.sso(&sso("kate@example.com"), &[]).await.headers()).expect("kate");
    let (status, _) = server
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/user/{id}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server
        .put_json(&admin, &format!("/api/user/{id}/reactivate"), &json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(!works(&server, &kate).await);
}

async fn password_changes_end_the_other_sessions(server: Server) {
    let admin = server.setup_admin().await;
    let other = password_session(&server, ADMIN_EMAIL, ADMIN_PASSWORD, "Other").await;
    let change = |old: &str, new: &str| json!({"old_password": old, "password": new});
    let path = "/api/user/current/password";
    let (status, body) = server
        .put_json(
            &admin,
            path,
            &change("wrong password", "a new secret phrase"),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (status, _) = server
        .put_json(&admin, path, &change(ADMIN_PASSWORD, "short"))
        .await;
    assert_eq!(status, 400);
    assert!(works(&server, &other).await, "nothing changed yet");
    let (status, _) = server
        .put_json(&admin, path, &change(ADMIN_PASSWORD, "a new secret phrase"))
        .await;
    assert_eq!(status, 204);
    assert!(works(&server, &admin).await, "this session stays");
    assert!(!works(&server, &other).await, "the other one ended");
    password_session(&server, ADMIN_EMAIL, "a new secret phrase", "New").await;

    // An admin sets a user's password: every session of that user ends; the audit log never
    // holds the password.
    let (status, user) = server
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "bob@example.com", "password": "bobs first password"}),
        )
        .await;
    assert_eq!(status, 201, "{user}");
    let bob = password_session(&server, "bob@example.com", "bobs first password", "Bob").await;
    let id = user["id"].as_i64().expect("id");
    let (status, _) = server
        .put_json(
            &admin,
            &format!("/api/user/{id}"),
            &json!({"password": "bobs second password"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!works(&server, &bob).await);
    password_session(&server, "bob@example.com", "bobs second password", "Bob").await;
    // An admin setting their own password here stays signed in here; their other sessions end.
    let (_, me) = server.get_json(&admin, "/api/user/current").await;
    let elsewhere =
        password_session(&server, ADMIN_EMAIL, "a new secret phrase", "Elsewhere").await;
    let (status, _) = server
        .put_json(
            &admin,
            &format!("/api/user/{}", me["id"]),
            &json!({"password": "a third secret phrase"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(works(&server, &admin).await);
    assert!(!works(&server, &elsewhere).await);
    let (_, audit) = server.get_json(&admin, "/api/audit?limit=100").await;
    let text = audit.to_string();
    assert!(!text.contains("bobs second password") && !text.contains("a new secret phrase"));
    assert!(text.contains("password_changed"));

    // Wrong current passwords count as failed logins: with the wrong one above, from this same
    // address, the sixth within the window is refused.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            server
                .put_json(&admin, path, &change("not it", "whatever else 1"))
                .await
                .0,
        );
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 429, 429]);

    // SSO-only users have no password to change.
    let (status, _) = server
        .put_json(&admin, "/api/setting/jwt", &json!({
            "jwt_enabled": true, "jwt_identity_provider_uri": "https://idp.example.com/", "jwt_shared_secret": KEY,
        }))
        .await;
    assert_eq!(status, 200);
    let kate = session_cookie(
        server
            .sso(&token(&claims("kate@example.com", json!({}))), &[])
            .await
            .headers(),
    )
    .expect("kate");
    let (status, _) = server
        .put_json(&kate, path, &change("", "a brand new password"))
        .await;
    assert_eq!(status, 403);
}

/// A session is listed with the address and browser it was signed in from before it is ever used
/// again (SPEC §11): a phone that signed in and was put away is not "Unknown browser".
async fn sessions_show_where_they_were_signed_in_from(server: Server) {
    let setup = server.configured(json!({})).await;
    let sso_from = |agent: &'static str| {
        let server = &server;
        async move {
            let response = server
                .http
                .get(server.url("/auth/sso"))
                .header("user-agent", agent)
                .query(&[(
                    "jwt",
                    token(&claims("kate@example.com", json!({}))).as_str(),
                )])
                .send()
                .await
                .expect("sso");
            session_cookie(response.headers()).expect("signed in")
        }
    };
    let phone_cookie = sso_from("Phone/1.0").await;
    let laptop = sso_from("Laptop/3.0").await;
    // A use that sends no User-Agent (this client sends none) keeps the one recorded.
    assert!(works(&server, &phone_cookie).await);
    let list = sessions(&server, &laptop, "Laptop/3.0").await;
    let phone = list
        .iter()
        .find(|s| s["current"] == false)
        .expect("the phone's session");
    assert_eq!(phone["user_agent"], "Phone/1.0", "{list:?}");
    assert_eq!(phone["client_ip"], "127.0.0.1", "{list:?}");

    // Password sign-ins and the first admin's session (setup) too.
    let tablet = password_session(&server, ADMIN_EMAIL, ADMIN_PASSWORD, "Tablet/2.0").await;
    let desk = password_session(&server, ADMIN_EMAIL, ADMIN_PASSWORD, "Desk/4.0").await;
    let list = sessions(&server, &desk, "Desk/4.0").await;
    assert_eq!(list.len(), 3, "{list:?}");
    let tablet_row = list
        .iter()
        .find(|s| s["user_agent"] == "Tablet/2.0")
        .unwrap_or_else(|| panic!("the tablet's session by its browser: {list:?}"));
    assert_eq!(tablet_row["client_ip"], "127.0.0.1");
    assert!(
        list.iter().all(|s| s["client_ip"] == "127.0.0.1"),
        "the setup session too: {list:?}"
    );
    assert!(works(&server, &tablet).await && works(&server, &setup).await);
}

on_both_backends!(
    sessions_show_where_they_were_signed_in_from,
    your_sessions_are_listed_and_can_be_ended,
    an_admin_signs_a_user_out_everywhere_and_deactivation_ends_sessions,
    password_changes_end_the_other_sessions,
);

/// A session unused for longer than `--session-idle-timeout` ends; one in use does not.
async fn idle_sessions_end(server: Server) {
    let cookie = server.setup_admin().await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(works(&server, &cookie).await, "in use, it stays");
    }
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(!works(&server, &cookie).await, "idle for 3 s, it ended");
}

#[tokio::test]
async fn idle_sessions_end_on_sqlite() {
    idle_sessions_end(Server::sqlite_with(|args| args.session_idle_timeout = Some(2)).await).await;
}

#[tokio::test]
async fn idle_sessions_end_on_postgres() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let server = Server::start_with(database.url.clone(), |args| {
        args.session_idle_timeout = Some(2)
    })
    .await;
    idle_sessions_end(server).await;
    drop(database);
}

/// An admin's revocation on replica A is refused by B within one second (SPEC §7).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_replica_is_seen_by_the_other() {
    let Some(database) = TempDatabase::create().await else {
        return;
    };
    let a = Server::start(database.url.clone()).await;
    let b = Server::start(database.url.clone()).await;
    let admin = a.setup_admin().await;
    let (_, user) = a
        .post_json(
            &admin,
            "/api/user",
            &json!({"email": "bob@example.com", "password": "bobs password"}),
        )
        .await;
    let bob_on_b = password_session(&b, "bob@example.com", "bobs password", "Bob").await;
    let bob_on_a = password_session(&a, "bob@example.com", "bobs password", "Bob").await;
    assert!(works(&b, &bob_on_b).await && works(&a, &bob_on_a).await);
    let id = user["id"].as_i64().expect("id");
    let (status, _) = a
        .send(
            reqwest::Method::DELETE,
            &admin,
            &format!("/api/user/{id}/sessions"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // SPEC §7: the replica that made the change at once, any other within one second (its
    // NOTIFY may still be on the way).
    assert!(!works(&a, &bob_on_a).await, "A refuses at once");
    let still_works =
        super::support::within_a_second(|| works(&b, &bob_on_b), |works| !*works).await;
    assert!(
        !still_works,
        "B refuses the revoked session within one second"
    );
    drop((a, b, database));
}
