//! SPEC §4 and issue 14: the audit log filtered (event, person, days) and paged by the API, and its
//! CSV export of the same selection.

use serde_json::json;

use crate::support::*;

async fn the_audit_log_is_filtered_paged_and_exported(server: Server) {
    let admin = server.configured(json!({})).await;
    for email in ["ann@example.com", "bob@example.com", "ann@example.com"] {
        let response = server
            .sso(
                &token(&claims(email, json!({"jti": format!("{email}{}", now())}))),
                &[],
            )
            .await;
        assert!(response.status().is_redirection(), "{email}");
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let (_, refused) = server.get_json(&admin, "/api/audit?limit=1").await;
    let everything = refused["total"].as_i64().expect("total");
    assert!(everything >= 5, "setup, settings, three logins: {refused}");
    let get = |query: &str| {
        let server = &server;
        let admin = admin.clone();
        let query = query.to_owned();
        async move {
            server
                .get_json(&admin, &format!("/api/audit?{query}"))
                .await
        }
    };
    // One kind of event.
    let (status, logins) = get("event=sso_login").await;
    assert_eq!(status, 200, "{logins}");
    assert_eq!(logins["total"], 3);
    assert!(
        logins["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|e| e["event"] == "sso_login")
    );
    // One person, in any case; with the event.
    let (_, ann) = get("event=sso_login&person=ANN@").await;
    assert_eq!(ann["total"], 2, "{ann}");
    // Paging: the total stays, the page moves.
    let (_, first) = get("event=sso_login&limit=2&offset=0").await;
    let (_, second) = get("event=sso_login&limit=2&offset=2").await;
    assert_eq!(
        (
            first["data"].as_array().map(Vec::len),
            second["data"].as_array().map(Vec::len)
        ),
        (Some(2), Some(1))
    );
    assert_eq!(second["total"], 3);
    assert_ne!(first["data"][0]["id"], second["data"][0]["id"]);
    // Days: today holds everything; a day long past holds nothing.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let (_, days) = get(&format!("from={today}&to={today}")).await;
    assert!(days["total"].as_i64().expect("total") >= everything);
    let (_, past) = get("from=2001-01-01&to=2001-01-31").await;
    assert_eq!(past["total"], 0);
    // Bad filters are refused, not ignored.
    for query in ["event=no_such_event", "from=yesterday", "to=2026-13-01"] {
        let (status, body) = get(query).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_request")),
            "{query}"
        );
    }
    // The CSV export holds the same selection.
    let response = server
        .http
        .get(server.url("/api/audit/export.csv?event=sso_login&person=ann"))
        .header("cookie", &admin)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("disposition")
            .contains("attachment")
    );
    let csv = response.text().await.expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "at,event,actor,source,ip,details");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.contains(",sso_login,ann@example.com,")),
        "{csv}"
    );
}

async fn the_summary_counts_sign_ins_by_hour_and_day(server: Server) {
    let admin = server.configured(json!({})).await;
    for email in ["ann@example.com", "bob@example.com"] {
        let response = server.sso(&token(&claims(email, json!({}))), &[]).await;
        assert!(response.status().is_redirection(), "{email}");
    }
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims("eve@example.com", json!({})),
        &jsonwebtoken::EncodingKey::from_secret(b"not the key, not the key, not the key!!"),
    )
    .expect("sign");
    assert_eq!(
        sso_outcome(&server, &forged).await,
        (401, "invalid_signature".to_owned())
    );
    assert_eq!(sso_outcome(&server, "x.y.z").await.0, 400);
    let (status, summary) = server.get_json(&admin, "/api/audit/summary").await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["people"], 3, "the admin, Ann and Bob");
    assert!(summary["active_sessions"].as_i64().expect("sessions") >= 3);
    assert_eq!(summary["sso_enabled"], true);
    for (key, stretches) in [("last_24_hours", 24), ("last_7_days", 7)] {
        let buckets = summary[key].as_array().expect("buckets");
        assert_eq!(buckets.len(), stretches, "{key}");
        let successes: i64 = buckets
            .iter()
            .map(|b| b["successes"].as_i64().unwrap_or(0))
            .sum();
        let failures = |code: &str| -> i64 {
            buckets
                .iter()
                .map(|b| b["failures"][code].as_i64().unwrap_or(0))
                .sum()
        };
        assert_eq!(successes, 2, "{key}: {summary}");
        assert_eq!(failures("invalid_signature"), 1, "{key}");
        assert_eq!(failures("malformed_token"), 1, "{key}");
        assert!(
            buckets
                .windows(2)
                .all(|w| w[0]["start"].as_str() < w[1]["start"].as_str()),
            "oldest first"
        );
    }
    assert!(summary["last_sso_login"].is_string());
    assert_eq!(summary["last_sso_failure"]["code"], "malformed_token");
    assert!(summary["jwks"].is_null());
}

on_both_backends!(
    the_audit_log_is_filtered_paged_and_exported,
    the_summary_counts_sign_ins_by_hour_and_day,
);
