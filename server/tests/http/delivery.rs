//! The built SPA as browsers get it: precompressed files (`lanyard precompress`) chosen by
//! `Accept-Encoding` with `Vary`, hashed files cached forever, `index.html` revalidated.

use std::io::Read;

use crate::support::*;

#[tokio::test]
async fn the_spa_is_sent_precompressed_and_cached_by_name() {
    let dist = tempfile::tempdir().expect("dist");
    let index = format!(
        "<!doctype html><html><head><title>lanyard</title></head><body>{}</body></html>",
        "<p>admin app</p>".repeat(200)
    );
    let wasm: Vec<u8> = (0..50_000u32).map(|i| (i % 7) as u8).collect();
    std::fs::write(dist.path().join("index.html"), &index).expect("index");
    std::fs::write(dist.path().join("app-0123456789abcdef_bg.wasm"), &wasm).expect("wasm");
    std::fs::write(dist.path().join("small.css"), "body{}").expect("css");
    let report = lanyard_server::precompress::directory(dist.path()).expect("precompress");
    assert_eq!(report.len(), 2, "the two files over 1 KiB: {report:?}");
    assert!(!dist.path().join("small.css.br").exists());

    let dir = dist.path().to_owned();
    let server = Server::sqlite_with(move |options| options.static_dir = dir).await;
    let get = |path: &'static str, encoding: &'static str| {
        let server = &server;
        async move {
            let mut request = server.http.get(server.url(path));
            if !encoding.is_empty() {
                request = request.header("accept-encoding", encoding);
            }
            request.send().await.expect("request")
        }
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    };

    // Brotli when accepted; the bytes decompress to the file.
    let response = get("/app-0123456789abcdef_bg.wasm", "gzip, deflate, br, zstd").await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-encoding"), "br");
    assert!(
        header(&response, "vary")
            .to_lowercase()
            .contains("accept-encoding")
    );
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    let body = response.bytes().await.expect("body");
    assert!(body.len() < wasm.len() / 10, "{} bytes", body.len());
    let mut plain = Vec::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_end(&mut plain)
        .expect("brotli");
    assert_eq!(plain, wasm);

    // Gzip when only gzip is accepted; as stored when nothing is.
    let response = get("/app-0123456789abcdef_bg.wasm", "gzip").await;
    assert_eq!(header(&response, "content-encoding"), "gzip");
    let body = response.bytes().await.expect("body");
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut plain)
        .expect("gzip");
    assert_eq!(plain, wasm);
    let response = get("/app-0123456789abcdef_bg.wasm", "").await;
    assert_eq!(header(&response, "content-encoding"), "");
    assert_eq!(response.bytes().await.expect("body").len(), wasm.len());

    // index.html (also for the SPA's routes) is revalidated on every load, and compressed too.
    for path in ["/", "/admin/people"] {
        let response = get(path, "br").await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
        assert_eq!(header(&response, "content-encoding"), "br", "{path}");
    }
    // The API is not cached as a file.
    let response = get("/api/session/properties", "br").await;
    assert_ne!(header(&response, "cache-control"), "no-cache");
    assert!(!header(&response, "cache-control").contains("immutable"));
}

/// Paths under `/api/`, `/auth/` and `/.well-known/` that name no endpoint answer `404` in the
/// API's error shape (SCIM's under `/api/scim/`), never the SPA's HTML; other paths still reach the
/// SPA (SPEC §4).
#[tokio::test]
async fn unknown_api_paths_are_404_errors_not_the_spa() {
    let dist = tempfile::tempdir().expect("dist");
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>lanyard</title><p>the SPA</p>",
    )
    .expect("index");
    let dir = dist.path().to_owned();
    let server = Server::sqlite_with(move |options| options.static_dir = dir).await;
    let admin = server.setup_admin().await;
    let get = |path: String| {
        let server = &server;
        async move {
            let response = server
                .http
                .get(server.url(&path))
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, content_type, response.text().await.expect("body"))
        }
    };
    for path in [
        "/api/nonexistent",
        "/api/user/1/nope",
        "/api/",
        "/api",
        "/auth/nope",
        "/auth/sso/nope",
        "/auth",
        "/.well-known/nope",
        "/.well-known/openid-configuration",
    ] {
        let (status, content_type, body) = get(path.to_owned()).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        let error: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(error["error"]["code"], "not_found", "{path}");
    }
    // Other methods too, and a known path still answers.
    let (status, body) = server
        .send(reqwest::Method::DELETE, &admin, "/api/nonexistent", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(get("/api/openapi.json".into()).await.0, 200);
    assert_eq!(get("/.well-known/jwks.json".into()).await.0, 200);

    // SCIM: an unknown path is SCIM's 404 (with the token; without it, SCIM's 401 as for any path).
    let (status, body) = server
        .put_json(
            &admin,
            "/api/setting/scim",
            &serde_json::json!({"enabled": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().expect("token");
    for path in [
        "/api/scim/v2/Nope",
        "/api/scim/v2/Users/1/x",
        "/api/scim/v3/Users",
    ] {
        let response = server
            .http
            .get(server.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("scim");
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/scim+json",
            "{path}"
        );
        let error: serde_json::Value = response.json().await.expect("json");
        assert_eq!(
            error["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{path}"
        );
        assert_eq!(error["status"], "404", "{path}");
    }

    // Everything else is the SPA's (its client-side routes).
    for path in ["/", "/admin/people/3", "/login", "/apiary", "/authors"] {
        let (status, content_type, body) = get(path.to_owned()).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        assert!(body.contains("the SPA"), "{path}");
    }
}
