//! SPEC §7: `/healthz`, `/readyz` and `/metrics`.

use serde_json::json;

use crate::support::*;

/// The value of the metric line that starts with `series` (name and labels), if there is one.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn health_and_readiness_answer(server: Server) {
    assert_eq!(server.get_text("/healthz").await, (200, "ok".to_owned()));
    assert_eq!(server.get_text("/readyz").await, (200, "ready".to_owned()));
}

async fn metrics_count_sign_ins_by_outcome_and_time_requests_by_route(server: Server) {
    server.configured(json!({})).await;
    let good = token(&claims("kate@example.com", json!({"jti": "once"})));
    assert_eq!(server.sso(&good, &[]).await.status(), 302);
    assert_eq!(server.sso(&good, &[]).await.status(), 401, "replayed");
    assert_eq!(server.sso("not-a-token", &[]).await.status(), 400);
    let id_path = "/api/user/12345";
    server.get_text(id_path).await;

    let (status, metrics) = server.get_text("/metrics").await;
    assert_eq!(status, 200);
    let sign_ins = |outcome: &str| {
        metric(
            &metrics,
            &format!("lanyard_sign_ins_total{{method=\"jwt\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(sign_ins("success"), Some(1.0), "{metrics}");
    assert_eq!(sign_ins("token_replayed"), Some(1.0), "{metrics}");
    assert_eq!(sign_ins("malformed_token"), Some(1.0), "{metrics}");

    let sso = "lanyard_http_request_duration_seconds";
    let route = "route=\"/auth/sso\"";
    assert_eq!(
        metric(&metrics, &format!("{sso}_count{{{route}}}")),
        Some(3.0)
    );
    assert_eq!(
        metric(&metrics, &format!("{sso}_bucket{{le=\"+Inf\",{route}}}")),
        Some(3.0)
    );
    assert!(metric(&metrics, &format!("{sso}_sum{{{route}}}")).is_some_and(|s| s > 0.0));
    // Routes are labelled by pattern, so a user id never becomes a label value.
    assert!(!metrics.contains(id_path), "{metrics}");
    assert!(metrics.ends_with("# EOF\n"), "OpenMetrics text");
    assert!(metrics.contains("route=\"/api/user/{id}\""), "{metrics}");
    // Nothing secret or personal in the exposition.
    assert!(
        !metrics.contains(KEY) && !metrics.contains("kate@"),
        "{metrics}"
    );
}

on_both_backends!(
    health_and_readiness_answer,
    metrics_count_sign_ins_by_outcome_and_time_requests_by_route,
);
