//! SPEC §15: the applications' side. An assertion from a live lanyard verified by the
//! `lanyard-assertion` layer in an axum app, and by README's Python (PyJWT) and Node.js (jose)
//! recipes, run as written with the test's addresses in place of `sso.example.com` and
//! `app.example.com`.

use std::path::PathBuf;

use axum::routing::get;
use lanyard_assertion::Identity;
use lanyard_assertion::layer::AssertionLayer;
use serde_json::{Value, json};

use crate::support::*;

const HOST: &str = "app.example.test";

/// The admin (in Finance) signed in: their cookie, an assertion for `HOST`, and one for another host.
async fn assertions(server: &Server) -> (String, String, String) {
    let admin = server.configured(json!({})).await;
    let (_, finance) = server
        .post_json(
            &admin,
            "/api/permissions/group",
            &json!({"name": "Finance"}),
        )
        .await;
    let (_, me) = server.get_json(&admin, "/api/user/current").await;
    server
        .post_json(
            &admin,
            &format!("/api/permissions/group/{}/members", finance["id"]),
            &json!({"user_id": me["id"]}),
        )
        .await;
    let ask = |host: &'static str| {
        let (server, admin) = (server, admin.clone());
        async move {
            let response = server
                .verify("", &[("x-forwarded-host", host), ("cookie", &admin)])
                .await;
            assert_eq!(response.status(), 200);
            response.headers()["x-lanyard-assertion"]
                .to_str()
                .expect("ascii")
                .to_owned()
        }
    };
    let (good, other) = (ask(HOST).await, ask("elsewhere.example.test").await);
    (admin, good, other)
}

/// The README block after `<!-- recipe: NAME -->`, with the test's addresses.
fn recipe(name: &str, site: &str) -> String {
    let readme = include_str!("../../../README.md");
    let marker = format!("<!-- recipe: {name} -->\n```");
    let start = readme.find(&marker).expect("the recipe in README") + marker.len();
    let body = &readme[start..];
    let body = &body[body.find('\n').expect("fence line") + 1..];
    let end = body.find("\n```").expect("closing fence");
    body[..end]
        .replace("https://sso.example.com", site)
        .replace("app.example.com", HOST)
}

#[tokio::test]
async fn the_rust_layer_lets_through_only_a_verified_assertion() {
    let server = Server::sqlite().await;
    let (admin, good, other_host) = assertions(&server).await;
    async fn whoami(identity: Identity) -> axum::Json<Identity> {
        axum::Json(identity)
    }
    let layer = AssertionLayer::new(&server.base, HOST);
    let app = axum::Router::new().route("/", get(whoami)).layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let call = |assertion: Option<String>| {
        let (http, url) = (server.http.clone(), url.clone());
        async move {
            let mut request = http.get(&url);
            if let Some(value) = assertion {
                request = request.header("x-lanyard-assertion", value);
            }
            request.send().await.expect("app")
        }
    };
    let response = call(Some(good.clone())).await;
    assert_eq!(response.status(), 200);
    let identity: Value = response.json().await.expect("json");
    assert_eq!(identity["email"], ADMIN_EMAIL);
    assert!(
        identity["groups"].to_string().contains("Finance"),
        "{identity}"
    );
    assert_eq!(call(None).await.status(), 401);
    assert_eq!(
        call(Some(other_host)).await.status(),
        401,
        "another app's assertion"
    );
    let mut tampered = good.clone();
    tampered.push('A');
    assert_eq!(call(Some(tampered)).await.status(), 401);

    // A rotation: the new key's first assertion is verified (the layer refetches the set).
    let (status, _) = server
        .post_json(&admin, "/api/setting/assertion-key/rotate", &json!({}))
        .await;
    assert_eq!(status, 200);
    let response = server
        .verify("", &[("x-forwarded-host", HOST), ("cookie", &admin)])
        .await;
    let rotated = response.headers()["x-lanyard-assertion"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_ne!(rotated, good);
    assert_eq!(call(Some(rotated)).await.status(), 200);
}

/// Where `make test` installed jose and PyJWT (scripts/lib.sh: ensure_recipes); `None`, with a
/// note, outside `make test` and CI.
fn recipes() -> Option<PathBuf> {
    match std::env::var("LANYARD_RECIPES") {
        Ok(dir) => Some(PathBuf::from(dir)),
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "LANYARD_RECIPES is not set: make test installs the recipes' packages and sets it"
            );
            eprintln!("skipped: LANYARD_RECIPES is not set (make test sets it)");
            None
        }
    }
}

/// Runs `program file token` (the file written into `dir`); its stdout as JSON, or `None` when
/// it failed (a refused token).
async fn run(
    program: PathBuf,
    dir: &std::path::Path,
    file: &str,
    code: String,
    token: &str,
) -> Option<Value> {
    let path = dir.join(file);
    std::fs::write(&path, code).expect("write the recipe");
    let output = tokio::process::Command::new(program)
        .arg(&path)
        .arg(token)
        .output()
        .await
        .expect("run the recipe");
    let _ = std::fs::remove_file(&path);
    output
        .status
        .success()
        .then(|| serde_json::from_slice(&output.stdout).expect("JSON on stdout"))
}

#[tokio::test]
async fn the_python_and_node_recipes_verify_a_live_assertion() {
    let Some(dir) = recipes() else {
        return;
    };
    let server = Server::sqlite().await;
    let (_, good, other_host) = assertions(&server).await;
    let id = std::process::id();
    let python = format!(
        "{}\n\nimport json, sys\nprint(json.dumps(lanyard_user({{'X-Lanyard-Assertion': sys.argv[1]}})))\n",
        recipe("python", &server.base)
    );
    let node = format!(
        "{}\n\nconsole.log(JSON.stringify(await lanyardUser({{'x-lanyard-assertion': process.argv[2]}})));\n",
        recipe("node", &server.base)
    );
    let runners = [
        (
            dir.join("venv/bin/python"),
            format!("recipe-{id}.py"),
            python,
        ),
        (PathBuf::from("node"), format!("recipe-{id}.mjs"), node),
    ];
    for (program, file, code) in runners {
        let claims = run(program.clone(), &dir, &file, code.clone(), &good)
            .await
            .unwrap_or_else(|| panic!("{file} refused a good assertion"));
        assert_eq!(claims["email"], ADMIN_EMAIL, "{file}");
        assert!(
            claims["groups"].to_string().contains("Finance"),
            "{file}: {claims}"
        );
        assert_eq!(claims["iss"], server.base.as_str(), "{file}");
        assert!(
            run(program, &dir, &file, code, &other_host).await.is_none(),
            "{file} accepted another application's assertion"
        );
    }
}
