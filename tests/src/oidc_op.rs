//! The real OpenID Provider (`oidc-provider`, `tests/oidc-op/op.mjs`), started once per test binary,
//! and a user agent that signs in through its own login form without a browser. The server's HTTP
//! tests and the browser test share it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use reqwest::redirect::Policy;
use serde_json::Value;

/// The two issuers of the running OP.
pub struct Op {
    /// Claims in the ID token.
    pub id_token_claims: String,
    /// Claims only at the userinfo endpoint.
    pub userinfo_claims: String,
    _child: Child,
}

static OP: OnceLock<Option<Op>> = OnceLock::new();

/// The OP, or `None` (with a note) when `LANYARD_OIDC_OP` is not set outside CI; `make test` sets
/// it (scripts/lib.sh: ensure_oidc_op), and under CI its absence fails the test.
pub fn op() -> Option<&'static Op> {
    OP.get_or_init(|| {
        let Ok(dir) = std::env::var("LANYARD_OIDC_OP") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "LANYARD_OIDC_OP is not set: make test installs oidc-provider and sets it"
            );
            eprintln!("skipped: LANYARD_OIDC_OP is not set (make test sets it)");
            return None;
        };
        // The script from this checkout, beside the installed package.
        let script = std::path::Path::new(&dir).join("op.mjs");
        std::fs::write(&script, include_str!("../oidc-op/op.mjs")).expect("op.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines
            .find_map(|line| line.ok()?.strip_prefix("READY ").map(str::to_owned))
            .expect("the OP says READY");
        // oidc-provider keeps writing notices: keep reading, or its writes fail and it stops.
        std::thread::spawn(move || lines.for_each(drop));
        let issuers: Value = serde_json::from_str(&ready).expect("issuers");
        Some(Op {
            id_token_claims: issuers["id_token_claims"].as_str().expect("issuer").into(),
            userinfo_claims: issuers["userinfo_claims"].as_str().expect("issuer").into(),
            _child: child,
        })
    })
    .as_ref()
}

impl Op {
    /// Sets the person the login `sub` signs in as, at both issuers.
    pub async fn set_person(&self, sub: &str, email: &str, verified: bool) {
        for issuer in [&self.id_token_claims, &self.userinfo_claims] {
            let response = reqwest::Client::new()
                .post(format!("{issuer}/test/people"))
                .json(&serde_json::json!({"sub": sub, "email": email, "email_verified": verified}))
                .send()
                .await
                .expect("the OP answers");
            assert_eq!(response.status(), 204);
        }
    }
}

impl Op {
    /// A back-channel logout token from `issuer` for `client_id`, naming `sub` and/or `sid`.
    pub async fn logout_token(
        issuer: &str,
        client_id: &str,
        sub: Option<&str>,
        sid: Option<&str>,
    ) -> String {
        let response = reqwest::Client::new()
            .post(format!("{issuer}/test/logout-token"))
            .json(&serde_json::json!({"client_id": client_id, "sub": sub, "sid": sid}))
            .send()
            .await
            .expect("the OP answers");
        assert_eq!(response.status(), 200);
        response.text().await.expect("token")
    }
}

/// A user agent at the OP: its own cookies, redirects followed by hand.
pub fn op_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .expect("client")
}

/// Follows the OP from `authorize` (lanyard's redirect) through its login form as `login`, and
/// returns the URL it sends the browser back to (lanyard's callback, or any URL off the OP).
pub async fn sign_in_at_op(browser: &reqwest::Client, authorize: &str, login: &str) -> String {
    let op_origin = {
        let url = url::Url::parse(authorize).expect("authorize URL");
        url.origin().ascii_serialization()
    };
    let mut next = authorize.to_owned();
    for _ in 0..12 {
        if !next.starts_with(&op_origin) {
            return next;
        }
        let response = browser.get(&next).send().await.expect("OP answers");
        if let Some(location) = response.headers().get("location") {
            let location = location.to_str().expect("location");
            next = url::Url::parse(&next)
                .and_then(|base| base.join(location))
                .expect("location URL")
                .into();
            continue;
        }
        let page = response.text().await.expect("page");
        let action =
            form_action(&page).unwrap_or_else(|| panic!("a form on the OP's page: {page}"));
        let action = url::Url::parse(&next)
            .and_then(|base| base.join(&action))
            .expect("action URL");
        let mut fields = hidden_inputs(&page);
        if page.contains("name=\"login\"") {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any".into()));
        }
        let posted = browser
            .post(action)
            .form(&fields)
            .send()
            .await
            .expect("OP answers the form");
        let location = posted
            .headers()
            .get("location")
            .unwrap_or_else(|| panic!("the form redirects: {}", posted.status()))
            .to_str()
            .expect("location");
        next = url::Url::parse(&next)
            .and_then(|base| base.join(location))
            .expect("location URL")
            .into();
    }
    panic!("the OP never sent the browser back");
}

/// The form's hidden inputs (`prompt=login`, `prompt=consent`).
fn hidden_inputs(page: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')?;
        Some(tag[start..start + end].to_owned())
    };
    page.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

fn form_action(page: &str) -> Option<String> {
    let form = &page[page.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].replace("&amp;", "&"))
}
